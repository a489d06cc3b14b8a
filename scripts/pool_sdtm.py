"""Snakemake script: pool every site's records of one common-model domain and validate it."""

import pandas as pd

from inoflow.config import load_study
from inoflow.pool import pool_domain
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821
    study = load_study(snakemake.params.study_config, check=False)  # noqa: F821
    tables = [pd.read_parquet(path) for path in snakemake.input.tables]  # noqa: F821
    pool_domain(snakemake.wildcards.sdtm, tables, study.studyid).to_parquet(snakemake.output.table, index=False)  # noqa: F821
