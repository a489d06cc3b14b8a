"""Snakemake script: what changed between two cuts of a study (records, subjects, result cells)."""

from inoflow.audit.cutdiff import write_cut_comparison
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    paths = write_cut_comparison(
        smk.params.before_dir,
        smk.params.after_dir,
        smk.wildcards.before,
        smk.wildcards.after,
        smk.params.out_dir,
        study=smk.wildcards.study,
    )
    log.info("%s -> %s: wrote %s", smk.wildcards.before, smk.wildcards.after, ", ".join(p.name for p in paths.values()))
