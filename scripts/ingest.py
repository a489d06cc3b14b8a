"""Snakemake script: read one site's extract for one domain, as sent, with provenance."""

from pathlib import Path

import pyarrow.parquet as pq

from inoflow.config import load_study
from inoflow.ingest import read_extract
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    study = load_study(snakemake.params.study_config, check=False)  # noqa: F821
    site = study.sites[snakemake.wildcards.site]  # noqa: F821
    table = read_extract(site, snakemake.wildcards.domain, Path(snakemake.params.extracts))  # noqa: F821
    pq.write_table(table, snakemake.output.table)  # noqa: F821
