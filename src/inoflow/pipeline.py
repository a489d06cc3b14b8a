"""A whole cut in one process: what the Snakemake rules do job by job (the extract stages, the
pooling), for tests, notebooks and checks that need a cut's common model without a run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from inoflow.config import Study, load_contract
from inoflow.extract import process_extract
from inoflow.pool import pool_domain


def harmonise_cut(study: Study, extracts: Path, policy: str = "fail") -> dict[str, pd.DataFrame]:
    """Every site's extracts -> canonical (contract) tables, one per raw domain, all sites pooled."""
    canonical: dict[str, list[pd.DataFrame]] = {}
    for site in study.sites.values():
        for domain in site.domains:
            stages = process_extract(site, domain, extracts, policy)
            canonical.setdefault(domain, []).append(stages.harmonised)
    return {domain: pd.concat(parts, ignore_index=True) for domain, parts in canonical.items()}


def build_common_model(study: Study, canonical: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Canonical tables -> every validated SDTM domain."""
    contract = load_contract()
    return {
        name: pool_domain(
            name, [canonical[raw] for raw in contract.sources_of(name) if raw in canonical], study.studyid
        )
        for name in contract.sdtm_domains()
    }
