"""Snakemake script: pool every site's records of a family of common-model domains, validate them."""

from pathlib import Path

import pandas as pd

from inoflow.config import load_contract, load_study
from inoflow.model.pool import pool_domain
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    study = load_study(smk.params.study_config, check=False)
    contract = load_contract()
    tables = [(Path(path).stem, pd.read_parquet(path)) for path in smk.input.tables]
    for name, path in smk.output.items():
        sources = contract.sources_of(name)
        domain = pool_domain(name, [table for raw, table in tables if raw in sources], study.studyid)
        domain.to_parquet(path, index=False)
