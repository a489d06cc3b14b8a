"""Snakemake script: the data-quality report of a cut (cross-record checks of the common model,
and against the previous cut where there is one, plus every extract's findings), as CSV and as
an HTML page a statistician can read."""

from inoflow.config import load_study
from inoflow.model.quality import write_data_quality_report
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    study = load_study(smk.params.study_config, check=False)
    previous = smk.params.previous_cut or None
    table = write_data_quality_report(
        sdtm=smk.input.sdtm,
        extract_findings=smk.params.findings,
        reconciliation=smk.input.reconciliation,
        out_csv=smk.output.csv,
        out_html=smk.output.html,
        out_checks=smk.output.checks,
        title=f"{study.studyid}, cut {smk.wildcards.cut}",
        expected_sites=study.sites_of(smk.wildcards.cut),
        study=study,
        previous_sdtm=smk.input.previous_sdtm if previous else None,
        previous_reconciliation=smk.input.previous_reconciliation[0] if previous else None,
        previous_cut=previous,
        set_aside=smk.params.set_aside,
    )
    if previous:
        log.info("data quality: compared with the previous cut %s", previous)
    for (stage, category), count in table.groupby(["stage", "category"]).size().items():
        log.info("data quality: %d %s finding(s) at the %s stage", count, category, stage)
    if table.empty:
        log.info("data quality: no findings")
