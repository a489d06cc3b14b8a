"""Snakemake script: execute one endpoint notebook with papermill and render it to HTML."""

import os
import sys

# nbformat validates with jsonschema, which compiles an IRI grammar (~1.6 s) that no notebook
# schema uses; declared absent, as in workflow/rules/common.smk.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
import papermill  # noqa: E402
from nbconvert import HTMLExporter  # noqa: E402

from inoflow.runner import step  # noqa: E402

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
        cwd=os.getcwd(),  # the working folder (the study's configuration), as every job
    )
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(smk.output.notebook, as_version=4))
    with open(smk.output.html, "w", encoding="utf-8") as handle:
        handle.write(body)
