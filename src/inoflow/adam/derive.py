"""One entry point per ADaM dataset, so the workflow's derivation rule is one rule for all.

Each derivation reads only the SDTM domains and upstream ADaM datasets ``ADAM_SOURCES``
declares for it (:mod:`inoflow.adam.sources`).
"""

from __future__ import annotations

import pandas as pd

from inoflow.adam.sources import ADAM_SOURCES, upstream_of

__all__ = ["ADAM_SOURCES", "derive", "derive_datasets", "upstream_of"]


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
