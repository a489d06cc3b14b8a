"""A whole cut in one process: what the Snakemake rules do job by job (the extract stages, the
pooling), for tests, notebooks and checks that need a cut's common model without a run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from inoflow.config import Study, load_contract, read_yaml
from inoflow.extract.ingest import workbooks_kept_open
from inoflow.extract.process import process_extract
from inoflow.model.pool import pool_domain


def harmonise_cut(
    study: Study,
    extracts: Path,
    policy: str = "fail",
    read_dir: Path | None = None,
    sites: tuple[str, ...] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every site's extracts -> canonical (contract) tables, one per raw domain, all sites pooled
    (``sites``: the sites that sent the cut, default every site of the study).
    With ``read_dir``, each extract as read is also written to ``<read_dir>/<site>/<domain>.parquet``
    (the workflow's ``ingest/``)."""
    canonical: dict[str, list[pd.DataFrame]] = {}
    for site in (study.sites[s] for s in (study.sites if sites is None else sites)):
        with workbooks_kept_open():  # a site's workbook is opened once for all its sheets, as the extract job does
            for domain in site.domains:
                stages = process_extract(site, domain, extracts, policy)
                if read_dir is not None:
                    (Path(read_dir) / site.site).mkdir(parents=True, exist_ok=True)
                    pq.write_table(stages.read, Path(read_dir) / site.site / f"{domain}.parquet")
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


def write_cut(study: Study, cut: str, out_dir: Path) -> Path:
    """A whole cut in one process, written in the workflow's layout under ``out_dir``
    (``ingest/<site>/<domain>.parquet``, ``sdtm/``, ``adam/``, ``ard/<endpoint>.parquet`` with
    ``<endpoint>.lineage.parquet``, ``<endpoint>.subjects.parquet``): what :mod:`inoflow.audit.trace` reads, without a Snakemake run."""

    from inoflow.adam.derive import derive_datasets
    from inoflow.analysis.endpoints import ADAM_INPUTS
    from inoflow.analysis.notebook import build_ard_with_lineage
    from inoflow.tables.report import study_endpoints

    out_dir = Path(out_dir)
    spec = study.cuts[cut]
    sdtm = build_common_model(study, harmonise_cut(study, spec.extracts, read_dir=out_dir / "ingest", sites=spec.sites))
    definitions = read_yaml(study.definitions)
    endpoints = study_endpoints(study.study)
    adam = derive_datasets([n for e in endpoints for n in ADAM_INPUTS[e]], sdtm, definitions, spec.cutoff)
    for folder, frames in (("sdtm", sdtm), ("adam", adam)):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
        for name, frame in frames.items():
            frame.to_parquet(out_dir / folder / f"{name}.parquet", index=False)
    (out_dir / "ard").mkdir(parents=True, exist_ok=True)
    for endpoint, output_ids in endpoints.items():
        inputs = {n: adam[n] for n in ADAM_INPUTS[endpoint]}
        ard, lineage = build_ard_with_lineage(endpoint, inputs, definitions, output_ids)
        ard.to_parquet(out_dir / "ard" / f"{endpoint}.parquet", index=False)
        lineage.write(out_dir / "ard" / f"{endpoint}.lineage.parquet")
    return out_dir
