"""The data cut: what a cut's analysis may know is what happened on or before its cut-off date.

Extracts are sent some time after the cut-off and carry later records (doses, assessments,
adverse events, deaths). As pharmaverse {datacutr} does for SDTM, every record of a dated
domain that starts after the cut-off is removed before any ADaM derivation, so all datasets
of a cut see the same data. Baseline domains (DM, MH, SC) are kept whole. DS, the
end-of-follow-up record, is kept: a subject last seen after the cut-off was alive at it, and
ADSL clamps the last-known-alive date and ignores a death after the cut-off (adam.adsl).

A partial date (``2023-04``, ``2023``: a site's dialect may declare them) is compared by its
earliest possible day, as {datacutr} imputes partial SDTM dates for the cut (``impute_sdtm``:
missing month and day to the first): a record that may have happened on or before the cut-off
is kept (``2023-04`` at a cut-off of 2023-04-30, or of 2023-04-01), one that can only have
happened after it is removed (``2023-05``).
"""

from __future__ import annotations

import logging

import pandas as pd

from inoflow.extract.parsing import iso_date_bounds

log = logging.getLogger(__name__)

# SDTM domain -> the date that places a record in time (its start, or its collection date)
CUT_DATES: dict[str, str] = {
    "IE": "IEDTC",
    "EX": "EXSTDTC",
    "LB": "LBDTC",
    "VS": "VSDTC",
    "RS": "RSDTC",
    "PR": "PRSTDTC",
    "HO": "HOSTDTC",
    "AE": "AESTDTC",
    "CM": "CMSTDTC",
    "DD": "DDDTC",
}


def apply_data_cut(sdtm: dict[str, pd.DataFrame], cutoff: str) -> dict[str, pd.DataFrame]:
    """The common model as known at ``cutoff`` (ISO date): records dated after it removed.

    >>> ae = pd.DataFrame({"AESTDTC": ["2022-03-31", "2022-04-01", None]})
    >>> len(apply_data_cut({"AE": ae}, "2022-03-31")["AE"])
    2
    >>> partial = pd.DataFrame({"AESTDTC": ["2022-03", "2022-04", "2022"]})
    >>> apply_data_cut({"AE": partial}, "2022-03-31")["AE"]["AESTDTC"].tolist()
    ['2022-03', '2022']
    """
    cut = pd.Timestamp(cutoff).normalize()
    out = {}
    for name, domain in sdtm.items():
        column = CUT_DATES.get(name)
        if column is None or column not in domain.columns:
            out[name] = domain
            continue
        earliest, _ = iso_date_bounds(domain[column])
        after = earliest > cut
        if after.any():
            log.info("data cut %s: %d %s record(s) dated after it removed", cutoff, int(after.sum()), name)
        out[name] = domain.loc[~after].reset_index(drop=True)
    return out
