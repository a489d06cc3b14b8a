"""Snakemake script: validate one ingested extract against its site's declared layout."""

import pandas as pd

from inoflow.config import load_study
from inoflow.runner import step
from inoflow.validate import validate_extract

with step(snakemake) as log:  # noqa: F821
    study = load_study(snakemake.params.study_config, check=False)  # noqa: F821
    site = study.sites[snakemake.wildcards.site]  # noqa: F821
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    result = validate_extract(table, site, snakemake.wildcards.domain, study.validation_policy)  # noqa: F821
    result.findings.to_csv(snakemake.output.findings, index=False)  # noqa: F821
    result.accepted.to_parquet(snakemake.output.accepted, index=False)  # noqa: F821
    result.rejected.to_parquet(snakemake.output.rejected, index=False)  # noqa: F821
