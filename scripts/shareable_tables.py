"""Snakemake script: the shareable release of a cut's tables (inoflow.tables.shareable)."""

from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    from inoflow.tables.shareable import write_shareable

    smk = snakemake  # noqa: F821
    counts = write_shareable(
        study=smk.wildcards.study,
        cut=smk.wildcards.cut,
        title=smk.params.title,
        ard_path=smk.input.ard,
        definitions_path=smk.input.definitions,
        out_dir=smk.output.book.rsplit("/", 1)[0],
        min_cell_count=smk.params.min_cell_count,
        synthetic=smk.params.synthetic,
    )
    log.info(
        "shareable tables: %d tables; %d of %d statistics withheld (counts below %d and what gives them back)",
        counts["tables"],
        counts["withheld"],
        counts["statistics"],
        smk.params.min_cell_count,
    )
