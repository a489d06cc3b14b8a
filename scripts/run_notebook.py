"""Snakemake script: execute one endpoint notebook with papermill and render it to HTML."""

import nbformat
import papermill
from nbconvert import HTMLExporter

from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    parameters = dict(smk.params.notebook_parameters)
    log.info("papermill %s -> %s with %s", smk.input.notebook, smk.output.notebook, parameters)
    papermill.execute_notebook(
        smk.input.notebook,
        smk.output.notebook,
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=smk.params.workdir,
    )
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(smk.output.notebook, as_version=4))
    with open(smk.output.html, "w", encoding="utf-8") as handle:
        handle.write(body)
