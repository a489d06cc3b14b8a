"""Snakemake script: one file a site sent -> read, validated and harmonised tables per domain."""

from pathlib import Path

from inoflow.config import load_study
from inoflow.extract import STAGE_OUTPUTS, process_extract
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    study = load_study(smk.params.study_config, check=False)
    site = study.sites[smk.wildcards.site]
    policy = study.cuts[smk.wildcards.cut].validation_policy
    for i, domain in enumerate(smk.params.domains):
        stages = process_extract(site, domain, Path(smk.params.extracts), policy)
        stages.write({stage: smk.output[stage][i] for stage in STAGE_OUTPUTS})
