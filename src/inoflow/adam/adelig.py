"""ADELIG: eligibility of every case in the sites' screening logs (one row per case).

The inclusion criteria live in the definitions file (``eligibility:``), each a condition on the
screening facts (IE). A case is eligible when every condition holds; the reasons of the
criteria it fails are listed. Enrolment (a DM record for the case's subject id) is kept beside,
so that the disposition shows identified -> eligible -> analysed from the extracts alone.
"""

from __future__ import annotations

import pandas as pd

from inoflow.adam.common import impute_partial_dates

FACTS = {
    "AGE": "float",
    "CD22POS": "str",
    "RRSTAT": "str",
    "INOMONO": "str",
    "PHSTAT": "str",
    "TKIFAILN": "float",
    "SCRNID": "str",
}


def screening_facts(ie: pd.DataFrame) -> pd.DataFrame:
    """IE findings -> one row per case with a column per screening fact."""
    wide = ie.pivot_table(
        index=["STUDYID", "USUBJID", "SITEID"], columns="IETESTCD", values="IESTRESC", aggfunc="first"
    ).reset_index()
    wide.columns.name = None
    for fact, kind in FACTS.items():
        wide[fact] = pd.to_numeric(wide[fact]) if kind == "float" else wide[fact]
    dates = ie.groupby("USUBJID")["IEDTC"].first()
    wide["SCRNDT"] = pd.to_datetime(wide["USUBJID"].map(dates))
    return wide


def derive_eligibility(facts: pd.DataFrame, criteria: list[dict]) -> pd.DataFrame:
    """Apply each criterion's condition; ELIGFL 'Y' when all hold, EXCLREAS the failed reasons.

    >>> facts = pd.DataFrame({"AGE": [17, 40], "CD22POS": ["Y", "Y"]})
    >>> crit = [{"criterion": "ADULT", "condition": "AGE >= 18", "reason": "Age under 18 years"}]
    >>> derive_eligibility(facts, crit)[["ELIGFL", "EXCLREAS"]].values.tolist()
    [['N', 'Age under 18 years'], ['Y', None]]
    """
    out = facts.copy()
    failed = pd.DataFrame(index=out.index)
    for criterion in criteria:
        met = out.eval(criterion["condition"]).astype(bool)
        out[f"IC{criterion['criterion']}"] = met.map({True: "Y", False: "N"})
        failed[criterion["reason"]] = ~met
    out["ELIGFL"] = failed.any(axis=1).map({True: "N", False: "Y"})
    out["EXCLREAS"] = failed.apply(lambda row: "; ".join(r for r, f in row.items() if f) or None, axis=1)
    return out


def derive_adelig(sdtm: dict[str, pd.DataFrame], definitions: dict) -> pd.DataFrame:
    """ADELIG from IE (screening facts) and DM (who was enrolled); partial dates imputed first
    by the study's rules (``date_imputation:``)."""
    sdtm = impute_partial_dates(sdtm, definitions)
    facts = screening_facts(sdtm["IE"])
    out = derive_eligibility(facts, definitions["eligibility"])
    out["ENRLFL"] = out["USUBJID"].isin(set(sdtm["DM"]["USUBJID"])).map({True: "Y", False: "N"})
    return out.sort_values(["SITEID", "SCRNID"], kind="stable").reset_index(drop=True)
