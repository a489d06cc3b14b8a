"""Snakemake script: account for every row read, per site and domain."""

from inoflow.model.reconcile import write_reconciliation
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    write_reconciliation(
        study=smk.wildcards.study,
        cut=smk.wildcards.cut,
        keys=smk.params.extracts,
        read=smk.params.read,
        rejected=smk.params.rejected,
        harmonised=smk.params.harmonised,
        sdtm=smk.input.sdtm,
        out_csv=smk.output.csv,
        out_rejected=smk.output.rejected,
        out_html=smk.output.html,
        previous=smk.input.previous[0] if smk.input.previous else None,
    )
