"""One entry point per ADaM dataset, so the workflow's derivation rule is one rule for all.

Each derivation reads only the SDTM domains and upstream ADaM datasets ``ADAM_SOURCES``
declares for it (:mod:`inoflow.adam.sources`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inoflow.adam.sources import ADAM_SOURCES, BY_SUBJECT, upstream_of

__all__ = ["ADAM_SOURCES", "BATCH_SUBJECTS", "derive", "derive_by_subject", "derive_datasets", "upstream_of"]

BATCH_SUBJECTS = 2_000
"""Subjects per batch of a by-subject derivation (:func:`derive_by_subject`). A study of up to
this many subjects is derived whole; at 100,000 patients (7.6 million laboratory records) the
derivation of ADRS held 6 GB at once when whole."""


def derive_datasets(names, sdtm: dict[str, pd.DataFrame], definitions: dict, cutoff: str) -> dict[str, pd.DataFrame]:
    """Derive ``names`` and the datasets they are derived from (sources first), each from its
    declared sources only, as the workflow's jobs do."""
    adam: dict[str, pd.DataFrame] = {}
    for name in upstream_of(names):
        sources = ADAM_SOURCES[name]
        adam[name] = derive(
            name, {d: sdtm[d] for d in sources["sdtm"]}, {a: adam[a] for a in sources["adam"]}, definitions, cutoff
        )
    return adam


def derive(
    name: str, sdtm: dict[str, pd.DataFrame], adam: dict[str, pd.DataFrame], definitions: dict, cutoff: str
) -> pd.DataFrame:
    """Derive one ADaM dataset from its declared sources, as known at the data cut-off
    (inoflow.adam.datacut: records dated after ``cutoff`` are not part of the cut)."""
    from inoflow.adam import adae, adelig, adrs, adru, adsl, adtte
    from inoflow.adam.datacut import apply_data_cut

    sdtm = apply_data_cut(sdtm, cutoff)

    if name == "ADELIG":
        return adelig.derive_adelig(sdtm, definitions)
    if name == "ADRS":
        return adrs.derive_adrs(sdtm, definitions)
    if name == "ADAE":
        return adae.derive_adae(sdtm, definitions)
    if name == "ADSL":
        return adsl.derive_adsl(sdtm, adam["ADRS"], definitions, cutoff)
    if name == "ADTTE":
        return adtte.derive_adtte(sdtm, adam["ADSL"], adam["ADRS"], definitions)
    if name == "ADRU":
        return adru.derive_adru(sdtm, adam["ADSL"], definitions)
    raise ValueError(f"no derivation for {name}; known: {sorted(ADAM_SOURCES)}")


def derive_by_subject(
    name: str,
    sdtm: dict[str, pd.DataFrame],
    adam: dict[str, pd.DataFrame],
    definitions: dict,
    cutoff: str,
    batch_subjects: int = BATCH_SUBJECTS,
) -> pd.DataFrame:
    """:func:`derive`, a batch of ``batch_subjects`` subjects at a time for a dataset of
    ``BY_SUBJECT`` (each record from one subject's records, ordered by USUBJID first).

    The subjects of every source (sorted USUBJID) are cut into consecutive batches; each batch is
    derived from its subjects' records only, in the order they have in the source (a fresh frame,
    as read), and the batches are concatenated in subject order: the same dataset as one
    derivation of all subjects, in memory that grows with the batch, not the study. A study of at
    most ``batch_subjects`` subjects, or a dataset not in ``BY_SUBJECT``, is derived whole.
    """
    if name not in BY_SUBJECT:
        return derive(name, sdtm, adam, definitions, cutoff)
    frames = {**{("sdtm", d): f for d, f in sdtm.items()}, **{("adam", a): f for a, f in adam.items()}}
    subjects = pd.Index(
        sorted(set().union(*(f["USUBJID"].dropna().unique() for f in frames.values() if "USUBJID" in f.columns)))
    )
    if len(subjects) <= batch_subjects:
        return derive(name, sdtm, adam, definitions, cutoff)
    count = -(-len(subjects) // batch_subjects)
    rows = {key: _rows_by_batch(frame, subjects, batch_subjects, count) for key, frame in frames.items()}
    parts = []
    for batch in range(count):
        part = {key: frame.iloc[rows[key][batch]].reset_index(drop=True) for key, frame in frames.items()}
        parts.append(
            derive(
                name,
                {d: part[("sdtm", d)] for d in sdtm},
                {a: part[("adam", a)] for a in adam},
                definitions,
                cutoff,
            )
        )
        del part
    dataset = pd.concat(parts, ignore_index=True)
    if not dataset["USUBJID"].is_monotonic_increasing:
        raise ValueError(
            f"{name} is not ordered by USUBJID first, so it cannot be derived a batch of subjects at a time"
        )
    return dataset


def _rows_by_batch(frame: pd.DataFrame, subjects: pd.Index, size: int, count: int) -> list[np.ndarray]:
    """The row positions of ``frame`` in each batch of ``size`` consecutive ``subjects``, in
    frame order (a record without a subject goes with the first batch)."""
    if "USUBJID" not in frame.columns:
        return [np.arange(len(frame))] * count
    batch = np.maximum(subjects.get_indexer(frame["USUBJID"]), 0) // size
    order = np.argsort(batch, kind="stable")
    return np.split(order, np.cumsum(np.bincount(batch, minlength=count))[:-1])
