"""Snakemake script: execute every endpoint notebook of a cut with papermill, on one kernel, and
render each to HTML (inoflow.analysis.runbook).

One job per cut; each endpoint is a part of it in the output cache (inoflow.cache.JobParts): an
endpoint whose notebook, ADaM datasets, definitions and code are those of an earlier run is
restored from its verified entry, and the kernel is started only if a notebook must run.
"""

from inoflow.cache import JobParts
from inoflow.runner import step

smk = snakemake  # noqa: F821 (injected by Snakemake)

with step(smk) as log:
    import os

    from inoflow.analysis.runbook import NotebookRunner

    parts = JobParts(smk, log, script=__file__)
    notebooks = {os.path.splitext(os.path.basename(path))[0]: path for path in smk.input.notebooks}
    adam = {os.path.splitext(os.path.basename(path))[0]: path for path in smk.input.adam}
    shared = [
        ("definitions", smk.input.definitions),
        ("catalogue", smk.input.catalogue),
        ("display", smk.input.display),
        ("registry", smk.input.registry),
    ]
    with NotebookRunner(log) as runner:
        for endpoint, parameters in smk.params.notebook_parameters.items():
            outputs = {name: path for name, path in smk.output.items() if name.split("__")[1] == endpoint}
            inputs = [("notebook", notebooks[endpoint])]
            inputs += [("adam", adam[name]) for name in parameters["adam_paths"]]
            inputs += shared + ([("costs", smk.input.costs)] if endpoint == "costs" else [])
            parts.run(
                endpoint,
                lambda: runner.execute(notebooks[endpoint], outputs, parameters),  # noqa: B023 (run at once)
                outputs=outputs,
                inputs=inputs,
                params={"parameters": parameters},
            )
    parts.summary()
