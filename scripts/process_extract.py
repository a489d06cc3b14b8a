"""Snakemake script: one file a site sent -> read, validated and harmonised tables per domain."""

from pathlib import Path

from inoflow.config import load_study
from inoflow.extract.process import STAGE_OUTPUTS, process_extract
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    study = load_study(smk.params.study_config, check=False)
    site = study.sites[smk.wildcards.site]
    extracts = Path(smk.input.extract).parents[1]  # <cut's extract folder>/<site>/<file>
    one = len(smk.params.domains) == 1  # outputs named '<stage>', or '<stage>__<domain>' for a workbook
    for domain in smk.params.domains:
        stages = process_extract(site, domain, extracts, smk.params.policy)
        stages.write({s: getattr(smk.output, s if one else f"{s}__{domain}") for s in STAGE_OUTPUTS})
