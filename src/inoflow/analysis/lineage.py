"""Cell-level lineage: the subjects behind every ARD row, and what that implies upstream.

The ARD builders (:mod:`inoflow.analysis.ard`) record, beside each statistic, the subjects it was
computed from and the part each played (``ROLE``). :func:`lineage_frame` turns those into the
lineage table written beside each endpoint's ARD (``ard/<endpoint>.lineage.parquet``), one row
per (ARD row, subject, role):

==============  ==========================================================================
ROLE            meaning
==============  ==========================================================================
source          a subject of the dataset(s) the row was computed from: whether it falls in
                the row's population and subgroup was decided from its data, so a change to
                its data can change the row (every row has them)
denominator     counted in N (a categorical level's or a proportion's denominator)
numerator       counted in n (has the level, or the value of the proportion)
value           a non-missing value behind a continuous summary (mean, median, ...)
population      in the Kaplan-Meier fit (n)
at_risk         at risk at the time of a Kaplan-Meier row (time >= t)
event           an event at or before the time of a Kaplan-Meier row (all events for the
                median and for n.event)
==============  ==========================================================================

``DATASETS`` names the ADaM datasets the row was computed from (the frame an ARD builder
receives is tagged with them: :func:`tag` when an endpoint's datasets are loaded, and again
where an endpoint joins two, as survival joins ADTTE to ADSL); ``PARAMCD`` is set where the
subject's record is one parameter of a BDS dataset (ADTTE: OS, RFS, DOR). From the subjects
the chain continues through those datasets, the datasets they are derived from and the
common-model domains behind them (:func:`sdtm_domains_of`, following
``inoflow.adam.sources.ADAM_SOURCES``): every common-model record of a traced subject in those
domains, and the raw rows it was harmonised from, is what the number can depend on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from inoflow.adam.sources import ADAM_SOURCES, upstream_of
from inoflow.analysis.endpoints import ADAM_INPUTS

LINEAGE_COLUMNS = ["ard_row_id", "output_id", "USUBJID", "ROLE", "DATASETS", "PARAMCD"]

ROLES = {
    "source": "in the dataset the row is computed from (membership decided from its data)",
    "denominator": "counted in N",
    "numerator": "counted in n",
    "value": "a value behind the summary",
    "population": "in the Kaplan-Meier fit",
    "at_risk": "at risk at that time",
    "event": "an event by that time",
    "censored": "censored (no event): an event of the reverse Kaplan-Meier fit of the follow-up",
}

LINEAGE_KEY = "_lineage"
"""Key of a builder row dict holding ``{role: subjects}``, ``DATASETS`` and, optionally, ``PARAMCD``."""
SOURCE_KEYS = ("DATASETS", "PARAMCD")
ATTR = "inoflow_datasets"
POPULATION = "inoflow_source_subjects"


def tag(frame: pd.DataFrame, *datasets: str, like: pd.DataFrame | None = None) -> pd.DataFrame:
    """Record on ``frame`` (pandas ``attrs``, kept by row selection and column assignment, not
    by a join) the ADaM datasets it holds and their subjects (the source role), before any
    selection; ``like``: take the subjects recorded on that frame (a join after a selection).
    Returns the frame."""
    frame.attrs[ATTR] = tuple(datasets)
    frame.attrs[POPULATION] = like.attrs[POPULATION] if like is not None else subjects_of(frame)
    return frame


def sources_of(data: pd.DataFrame) -> dict[str, object]:
    """``{"DATASETS": "ADSL ADAE", "PARAMCD": "OS", "source": (subjects...)}`` of a frame an ARD
    row is computed from."""
    datasets = data.attrs.get(ATTR)
    if not datasets:
        raise ValueError(
            "the data of an ARD row does not say which ADaM datasets it holds: tag it with "
            "inoflow.analysis.lineage.tag (a join drops the tag)"
        )
    paramcd = paramcd_of(data)
    return {
        "DATASETS": " ".join(datasets),
        **({"PARAMCD": paramcd} if paramcd else {}),
        "source": data.attrs[POPULATION],
    }


def subjects_of(data: pd.DataFrame, mask: Sequence[bool] | pd.Series | None = None) -> tuple[str, ...]:
    """The USUBJIDs of ``data`` (of the rows where ``mask`` holds), in order, without repeats."""
    if "USUBJID" not in data.columns:
        raise KeyError("lineage needs USUBJID in the data an ARD row is computed from")
    ids = data["USUBJID"] if mask is None else data.loc[pd.Series(mask, index=data.index).astype(bool), "USUBJID"]
    return tuple(dict.fromkeys(ids.astype(str)))


def paramcd_of(data: pd.DataFrame) -> str | None:
    """The one PARAMCD of a BDS subset (ADTTE), or None when the data has no parameter."""
    if "PARAMCD" not in data.columns:
        return None
    values = data["PARAMCD"].dropna().unique()
    if len(values) > 1:
        raise ValueError(f"an ARD row computed from several parameters: {sorted(values)}")
    return str(values[0]) if len(values) else None


def lineage_frame(rows: Iterable[dict], ard: pd.DataFrame) -> pd.DataFrame:
    """Builder row dicts (in ARD order) -> the lineage table of ``ard`` (``finish(rows)``)."""
    records = []
    for row, (ard_row_id, output_id) in zip(
        rows, ard[["ard_row_id", "output_id"]].itertuples(index=False), strict=True
    ):
        lineage = row.get(LINEAGE_KEY)
        if lineage is None or "DATASETS" not in lineage:
            raise ValueError(f"ARD row {ard_row_id} ({output_id} {row['variable']} {row['stat_name']}) has no lineage")
        datasets, paramcd = lineage["DATASETS"], lineage.get("PARAMCD")
        for role, subjects in lineage.items():
            if role in SOURCE_KEYS:
                continue
            if role not in ROLES:
                raise ValueError(f"unknown lineage role {role!r}; known: {sorted(ROLES)}")
            records += [(ard_row_id, output_id, s, role, datasets, paramcd) for s in subjects]
    return pd.DataFrame.from_records(records, columns=LINEAGE_COLUMNS).astype(
        {"ard_row_id": str, "output_id": str, "USUBJID": str, "ROLE": str, "DATASETS": str, "PARAMCD": "string"}
    )


def domains_behind(datasets: Iterable[str]) -> list[str]:
    """The common-model domains ``datasets`` (and their upstream datasets) are derived from."""
    domains: list[str] = []
    for name in upstream_of(datasets):
        domains += [d for d in ADAM_SOURCES[name]["sdtm"] if d not in domains]
    return domains


def adam_datasets_of(endpoint: str) -> list[str]:
    """The ADaM datasets an endpoint's numbers come from: those it reads and their sources."""
    if endpoint not in ADAM_INPUTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; known: {sorted(ADAM_INPUTS)}")
    return upstream_of(ADAM_INPUTS[endpoint])


def sdtm_domains_of(endpoint: str) -> list[str]:
    """The common-model domains an endpoint's numbers are derived from (through its ADaM datasets)."""
    return domains_behind(adam_datasets_of(endpoint))
