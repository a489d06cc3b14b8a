"""Snakemake script: one file a site sent -> read, validated and harmonised tables per domain.

Through the between-cut output cache (inoflow.cache): a file sent unchanged in an earlier cut
is restored from its verified entry instead of being read again.
"""

from inoflow.cache import cached_step


def work(log):
    # imported here: a step restored from the cache needs none of it
    from pathlib import Path

    from inoflow.config import load_study
    from inoflow.extract.process import STAGE_OUTPUTS, process_extract

    smk = snakemake  # noqa: F821 (injected by Snakemake)
    study = load_study(smk.params.study_config, check=False)
    site = study.sites[smk.wildcards.site]
    extracts = Path(smk.input.extract).parents[1]  # <cut's extract folder>/<site>/<file>
    one = len(smk.params.domains) == 1  # outputs named '<stage>', or '<stage>__<domain>' for a workbook
    for domain in smk.params.domains:
        stages = process_extract(site, domain, extracts, smk.params.policy)
        stages.write({s: getattr(smk.output, s if one else f"{s}__{domain}") for s in STAGE_OUTPUTS})


cached_step(snakemake, work, script=__file__)  # noqa: F821
