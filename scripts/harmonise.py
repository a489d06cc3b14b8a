"""Snakemake script: one site's validated extract -> the contract's canonical variables."""

import pandas as pd

from inoflow.config import load_study
from inoflow.harmonise import harmonise_extract
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821
    study = load_study(snakemake.params.study_config, check=False)  # noqa: F821
    site = study.sites[snakemake.wildcards.site]  # noqa: F821
    accepted = pd.read_parquet(snakemake.input.accepted)  # noqa: F821
    harmonise_extract(accepted, site, snakemake.wildcards.domain).to_parquet(snakemake.output.table, index=False)  # noqa: F821
