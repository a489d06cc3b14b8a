"""One entry point per ADaM dataset, so the workflow's derivation rule is one rule for all.

``ADAM_SOURCES`` declares which SDTM domains and upstream ADaM datasets each derivation
reads; the rules declare exactly these as inputs, so a changed domain reruns only the
datasets (and then the endpoints) that depend on it.
"""

from __future__ import annotations

import pandas as pd

ADAM_SOURCES: dict[str, dict[str, list[str]]] = {
    "ADELIG": {"sdtm": ["IE", "DM"], "adam": []},
    "ADRS": {"sdtm": ["DM", "EX", "LB", "RS"], "adam": []},
    "ADAE": {"sdtm": ["DM", "EX", "AE", "LB", "VS", "PR"], "adam": []},
    # ADSL reads no adverse events: the subject-level safety flags are derived from ADAE where
    # they are used (inoflow.analysis.endpoints.safety), so a changed AE file does not rerun ADSL and ADTTE.
    "ADSL": {"sdtm": ["DM", "SC", "MH", "EX", "LB", "RS", "PR", "CM", "DS", "DD"], "adam": ["ADRS"]},
    "ADTTE": {"sdtm": ["DM", "EX", "DS", "PR", "CM"], "adam": ["ADSL", "ADRS"]},
    # resource use for the cost assessment: InO administrations, stays, transfusions, HSCT
    "ADRU": {"sdtm": ["DM", "EX", "HO", "PR"], "adam": ["ADSL"]},
}


def upstream_of(datasets) -> list[str]:
    """``datasets`` and every ADaM dataset they are derived from, sources first."""
    seen: list[str] = []

    def visit(name: str) -> None:
        if name not in ADAM_SOURCES:
            raise ValueError(f"unknown ADaM dataset {name!r}; known: {sorted(ADAM_SOURCES)}")
        for upstream in ADAM_SOURCES[name]["adam"]:
            visit(upstream)
        if name not in seen:
            seen.append(name)

    for name in datasets:
        visit(name)
    return seen


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
