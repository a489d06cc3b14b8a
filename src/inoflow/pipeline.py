"""The extract stages in one process: what the Snakemake rules do job by job (ingest, validate,
harmonise, pool), for tests, notebooks and checks that need a cut's common model without a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from inoflow.config import Site, Study, load_contract
from inoflow.harmonise import harmonise_extract
from inoflow.ingest import read_extract
from inoflow.pool import pool_domain
from inoflow.validate import ValidationResult, validate_extract

STAGE_OUTPUTS = ("read", "accepted", "rejected", "findings", "harmonised")


@dataclass
class ExtractStages:
    """One extract after each stage: as read, as validated, as harmonised."""

    read: pa.Table
    validation: ValidationResult
    harmonised: pd.DataFrame

    def write(self, paths: dict[str, str]) -> None:
        """Write each stage to its file; ``paths`` maps each of STAGE_OUTPUTS to a path."""
        pq.write_table(self.read, paths["read"])
        self.validation.accepted.to_parquet(paths["accepted"], index=False)
        self.validation.rejected.to_parquet(paths["rejected"], index=False)
        self.validation.findings.to_csv(paths["findings"], index=False)
        self.harmonised.to_parquet(paths["harmonised"], index=False)


def process_extract(site: Site, domain: str, extracts: Path, policy: str = "fail") -> ExtractStages:
    """Ingest one site's extract for one domain, validate it against the site's layout, harmonise it."""
    read = read_extract(site, domain, extracts)
    validation = validate_extract(read.to_pandas(), site, domain, policy)
    return ExtractStages(read, validation, harmonise_extract(validation.accepted, site, domain))


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
