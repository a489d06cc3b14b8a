"""Cell-level lineage: the subjects behind every ARD row, and what that implies upstream.

The ARD builders (:mod:`inoflow.analysis.ard`) record, beside each statistic, the subjects it was
computed from and the part each played (``ROLE``). :func:`lineage_frame` turns those into the
lineage written beside each endpoint's ARD, as two tables (:class:`Lineage`):

- ``ard/<endpoint>.lineage.parquet``: one row per ARD row and role (``ard_row_id, output_id,
  ROLE, DATASETS, PARAMCD, SUBJSET``), ``SUBJSET`` naming a set of subjects;
- ``ard/<endpoint>.subjects.parquet``: the members of each set (``SUBJSET, USUBJID``), each
  set once. The rows of an endpoint share few sets (every row computed from one dataset has
  the same ``source`` subjects; a group's denominator recurs in every level of it), so the
  lineage grows with ARD rows plus subjects, not with their product (at 100,000 patients the
  one-row-per-subject table held 220 million rows).

:meth:`Lineage.long` gives the table one row per (ARD row, subject, role), as an auditor
reads it:

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from inoflow.adam.sources import ADAM_SOURCES, upstream_of
from inoflow.analysis.endpoints import ADAM_INPUTS
from inoflow.frames import read_parquet

LINEAGE_COLUMNS = ["ard_row_id", "output_id", "ROLE", "DATASETS", "PARAMCD", "SUBJSET"]
SUBJECT_SET_COLUMNS = ["SUBJSET", "USUBJID"]
LONG_COLUMNS = ["ard_row_id", "output_id", "USUBJID", "ROLE", "DATASETS", "PARAMCD"]

ROLES = {
    "source": "in the dataset the row is computed from (membership decided from its data)",
    "denominator": "counted in N",
    "numerator": "counted in n",
    "value": "a value behind the summary",
    "population": "in the Kaplan-Meier fit",
    "at_risk": "at risk at that time",
    "event": "an event by that time",
    "censored": "censored (no event): an event of the reverse Kaplan-Meier fit of the follow-up",
    "exposed": "counted as transplanted from the HSCT on (the exposure as a time-dependent event)",
    "included": "followed beyond the landmark: in the landmark analysis",
    "excluded": "died or censored by the landmark: not in the landmark analysis",
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


@dataclass(frozen=True)
class Lineage:
    """An endpoint's lineage: ``rows`` one per (ARD row, role) naming a subject set
    (``LINEAGE_COLUMNS``), ``sets`` the members of each set (``SUBJECT_SET_COLUMNS``)."""

    rows: pd.DataFrame
    sets: pd.DataFrame

    def long(self, ard_row_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """One row per (ARD row, subject, role) (``LONG_COLUMNS``), in ARD order, each role's
        subjects in the order the statistic met them; of ``ard_row_ids`` only when given."""
        rows = self.rows
        if ard_row_ids is not None:
            rows = rows[rows["ard_row_id"].isin(set(ard_row_ids))]
        members = self.sets.groupby("SUBJSET", sort=False).indices
        empty = np.array([], dtype=np.intp)
        positions = [members.get(s, empty) for s in rows["SUBJSET"]]
        sizes = np.fromiter((len(p) for p in positions), dtype=np.intp, count=len(positions))
        picked = np.concatenate(positions) if positions else empty
        repeated = rows.drop(columns="SUBJSET").iloc[np.repeat(np.arange(len(rows)), sizes)].reset_index(drop=True)
        repeated.insert(2, "USUBJID", self.sets["USUBJID"].to_numpy()[picked])
        return repeated[LONG_COLUMNS].astype({"USUBJID": str})

    def write(self, path: str | Path) -> None:
        """Write ``rows`` to ``path`` (``<endpoint>.lineage.parquet``) and ``sets`` beside it."""
        self.rows.to_parquet(path, index=False)
        self.sets.to_parquet(subjects_path(path), index=False)

    @classmethod
    def read(cls, path: str | Path) -> Lineage:
        """The lineage written to ``path`` (and its subject sets beside it)."""
        return cls(read_parquet(path), read_parquet(subjects_path(path)))


def subjects_path(lineage_path: str | Path) -> Path:
    """Where the subject sets of ``<endpoint>.lineage.parquet`` are: ``<endpoint>.subjects.parquet``."""
    path = Path(lineage_path)
    if not path.name.endswith("lineage.parquet"):
        raise ValueError(f"a lineage file is named <endpoint>.lineage.parquet, not {path.name}")
    return path.with_name(path.name.removesuffix("lineage.parquet") + "subjects.parquet")


def lineage_frame(rows: Iterable[dict], ard: pd.DataFrame) -> Lineage:
    """Builder row dicts (in ARD order) -> the lineage of ``ard`` (``finish_with_lineage``):
    one row per ARD row and role, each role's subjects a set shared by every row that has the
    same subjects in the same order."""
    records, set_of_object, set_of_value, members = [], {}, {}, []
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
            # the same object (a frame's source subjects) is looked up by identity, at no cost
            # for its length; an equal tuple built elsewhere by value
            known = set_of_object.get(id(subjects))
            if known is not None and known[0] is subjects:
                subjset = known[1]
            else:
                key = tuple(subjects)
                subjset = set_of_value.setdefault(key, len(set_of_value))
                if subjset == len(members):
                    members.append(key)
                set_of_object[id(subjects)] = (subjects, subjset)  # held, so its id is not reused
            records.append((ard_row_id, output_id, role, datasets, paramcd, subjset))
    table = pd.DataFrame.from_records(records, columns=LINEAGE_COLUMNS).astype(
        {"ard_row_id": str, "output_id": str, "ROLE": str, "DATASETS": str, "PARAMCD": "string", "SUBJSET": "int64"}
    )
    sizes = [len(m) for m in members]
    sets = pd.DataFrame(
        {
            "SUBJSET": np.repeat(np.arange(len(members), dtype="int64"), sizes),
            "USUBJID": np.array([s for m in members for s in m], dtype=object),
        },
        columns=SUBJECT_SET_COLUMNS,
    ).astype({"USUBJID": str})
    return Lineage(table, sets)


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
