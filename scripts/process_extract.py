"""Snakemake script: one file a site sent -> read, validated and harmonised tables per domain.

Through the between-cut output cache (inoflow.cache): a file sent unchanged in an earlier cut
is restored from its verified entry instead of being read again.
"""

from inoflow.cache import cached_step


def work(log):
    # imported here: a step restored from the cache needs none of it
    from pathlib import Path

    from inoflow.config import load_study
    from inoflow.errors import ExtractError, findings_frame
    from inoflow.extract.process import STAGE_OUTPUTS, process_extract
    from inoflow.runfailure import failed_findings_path

    smk = snakemake  # noqa: F821 (injected by Snakemake)
    study = load_study(smk.params.study_config, check=False)
    site = study.sites[smk.wildcards.site]
    extracts = Path(smk.input.extract).parents[1]  # <cut's extract folder>/<site>/<file>
    one = len(smk.params.domains) == 1  # outputs named '<stage>', or '<stage>__<domain>' for a workbook
    # a refused file's findings go beside the job's log (its outputs are removed): the cut's
    # failure report lists them (inoflow.runfailure)
    refused = failed_findings_path(smk.log[0])
    refused.unlink(missing_ok=True)
    for domain in smk.params.domains:
        try:
            stages = process_extract(site, domain, extracts, smk.params.policy)
        except ExtractError as exc:
            findings_frame(exc.findings).to_csv(refused, index=False)
            raise
        stages.write({s: getattr(smk.output, s if one else f"{s}__{domain}") for s in STAGE_OUTPUTS})


cached_step(snakemake, work, script=__file__)  # noqa: F821
