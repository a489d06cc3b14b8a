"""Snakemake script: assemble the HTML book and the comparison with the publication."""

from inoflow.runner import step
from inoflow.tables.book import assemble_book

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    comparison = assemble_book(
        study=smk.wildcards.study,
        cut=smk.wildcards.cut,
        title=smk.params.title,
        endpoints=smk.params.endpoints,
        ard_paths=dict(zip(smk.params.endpoint_names, smk.input.ard, strict=True)),
        figures_dirs=dict(zip(smk.params.endpoint_names, smk.input.figures, strict=True)),
        tables_dirs=dict(zip(smk.params.endpoint_names, smk.input.tables, strict=True)),
        synthetic=smk.params.synthetic,
        out_html=smk.output.book,
        out_comparison=smk.output.comparison,
        out_ard=smk.output.ard,
        data_quality=smk.input.data_quality,
        checks=smk.input.checks,
        reconciliation=smk.input.reconciliation,
        adelig=smk.input.adelig,
        policy=smk.params.policy,
        publication_cut=smk.params.publication_cut,
        out_excluded=smk.output.excluded,
        definitions=smk.input.definitions,
        out_docx=smk.output.docx,
        out_pdf=smk.output.pdf,
    )
    for status, count in comparison["status"].value_counts().items():
        log.info("comparison with the publication: %d %s", count, status)
