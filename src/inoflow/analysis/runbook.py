"""Execute a cut's endpoint notebooks with papermill on one kernel.

A kernel costs seconds to start and to import the analysis stack (pandas, lifelines,
matplotlib); a cut's endpoints share one. Each notebook is still executed whole, from its
parameters cell on, and saved as its own executed ``.ipynb`` with an HTML rendering. Between
notebooks the kernel's namespace is cleared and its execution count reset (IPython's
``reset(new_session=True)``): a notebook sees only its own parameters and what it computes, as
on a fresh kernel; the modules it imported stay loaded.

The kernel starts on the first notebook executed: a job whose endpoints are all restored from
the output cache starts none.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

KERNEL = "python3"
RESET = "get_ipython().reset(new_session=True)"


class NotebookRunner:
    """A context: ``execute`` runs notebooks on one kernel, shut down at the end."""

    def __init__(self, log: logging.Logger, cwd: str | Path | None = None):
        self.log = log
        self.cwd = str(cwd or os.getcwd())  # the working folder (the study's configuration), as every job
        self.km = None
        self.executed = 0
        self.sockets: str | None = None  # the kernel's private folder of IPC sockets

    def __enter__(self) -> NotebookRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.km is not None:
            self.km.shutdown_kernel(now=True)
            self.km = None
        if self.sockets is not None:
            shutil.rmtree(self.sockets, ignore_errors=True)
            self.sockets = None

    def _kernel(self):
        if self.km is None:
            from jupyter_client import KernelManager

            # notebook outputs are written by nbconvert's traitlets loggers; their notices (a
            # client's sockets closed late, images without alternative text) stay out of the
            # terminal, and the kernel talks over local sockets (IPC), not TCP
            logging.getLogger("traitlets").setLevel(logging.ERROR)
            # the sockets in a folder of this runner's own: by default they are kernel-ipc-1..5 in
            # the working folder, which two endpoint jobs running at once would share
            self.sockets = tempfile.mkdtemp(prefix="inoflow-kernel-")
            self.km = KernelManager(kernel_name=KERNEL, transport="ipc", ip=os.path.join(self.sockets, "kernel"))
            self.km.start_kernel(cwd=self.cwd)
            self.log.info("kernel %s started", KERNEL)
        elif self.executed:
            client = self.km.blocking_client()
            client.start_channels()
            try:
                client.wait_for_ready(timeout=60)
                reply = client.execute_interactive(RESET, silent=True, store_history=False, timeout=60)
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"the kernel could not be reset: {reply['content'].get('evalue')}")
            finally:
                client.stop_channels()
        return self.km

    def execute(self, notebook: str | Path, outputs: dict[str, str], parameters: dict[str, Any]) -> None:
        """Execute ``notebook`` with ``parameters``; write the executed notebook to the output
        named ``notebook__<endpoint>`` and its HTML to ``html__<endpoint>``."""
        import nbformat
        import papermill
        from nbconvert import HTMLExporter

        executed, html = (next(p for n, p in outputs.items() if n.startswith(k)) for k in ("notebook__", "html__"))
        km = self._kernel()
        self.log.info("papermill %s -> %s with %s", notebook, executed, parameters)
        papermill.execute_notebook(
            str(notebook),
            executed,
            parameters=parameters,
            kernel_name=KERNEL,
            progress_bar=False,
            cwd=self.cwd,
            km=km,
        )
        self.executed += 1
        body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
        Path(html).write_text(body, encoding="utf-8")
