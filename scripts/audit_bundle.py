"""Snakemake script: write a cut's audit bundle (a zipped Provenance Run Crate)."""

from pathlib import Path

from inoflow.audit.crate import crate_metadata, write_audit_bundle
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    write_audit_bundle(
        study=smk.wildcards.study,
        cut=smk.wildcards.cut,
        cutoff=smk.params.cutoff,
        status=smk.params.status,
        cut_dir=Path(smk.input.book).parent,
        extracts_dir=smk.params.extracts,
        out_zip=smk.output.bundle,
        workflow_dir=smk.params.workflow_dir,
    )
    Path(smk.output.crate).write_bytes(crate_metadata(smk.output.bundle, raw=True))
