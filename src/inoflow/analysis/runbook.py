"""Execute a cut's endpoint notebooks with papermill on one kernel.

A kernel costs seconds to start and to import the analysis stack (pandas, lifelines,
matplotlib); a cut's endpoints share one. Each notebook is still executed whole, from its
parameters cell on, and saved as its own executed ``.ipynb`` with an HTML rendering. Between
notebooks the kernel's namespace is cleared and its execution count reset (IPython's
``reset(new_session=True)``): a notebook sees only its own parameters and what it computes, as
on a fresh kernel; the modules it imported stay loaded.

The kernel starts on the first notebook executed: a job whose endpoints are all restored from
the output cache starts none. Once started, it is asked at once to import what every endpoint
notebook imports (:func:`warm_up`, silently: nothing is left in its namespace or history), so
that it boots and imports while this process loads papermill and nbconvert, instead of after.
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
# what an endpoint notebook imports, whatever its endpoint (inoflow.analysis.notebook.run_endpoint:
# the analysis plan, the tables with their RTF and DOCX writers and, through report.pyplot,
# matplotlib with the Agg backend)
WARM_UP_MODULES = (
    "IPython.display",
    "inoflow.analysis.notebook",
    "inoflow.analysis.endpoints.plan",
    "scipy.special",
    "rtflite",
    "docx",
)


def warm_up(modules: tuple[str, ...] = WARM_UP_MODULES) -> str:
    """The code a new kernel runs first: it imports ``modules`` and matplotlib's pyplot (as the
    figures do, :func:`inoflow.tables.report.pyplot`) and binds no name."""
    lines = [f"__import__({m!r})" for m in modules]
    return "\n".join([*lines, "__import__('inoflow.tables.report', fromlist=['pyplot']).pyplot()"])


class NotebookRunner:
    """A context: ``execute`` runs notebooks on one kernel, shut down at the end."""

    def __init__(
        self, log: logging.Logger, cwd: str | Path | None = None, warm_modules: tuple[str, ...] | None = WARM_UP_MODULES
    ):
        self.log = log
        self.warm_modules = warm_modules
        self.cwd = str(cwd or os.getcwd())  # the working folder (the study's configuration), as every job
        self.km = None
        self.executed = 0
        self.sockets: str | None = None  # the kernel's private folder of IPC sockets
        self.warming = None  # (client, msg_id) of the warm-up request, until its reply is read

    def __enter__(self) -> NotebookRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.warming is not None:
            self.warming[0].stop_channels()
            self.warming = None
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
            if self.warm_modules is None:  # (tests: a kernel as papermill alone would start it)
                self.log.info("kernel %s started", KERNEL)
            else:
                client = self.km.blocking_client()
                client.start_channels()
                self.warming = (client, client.execute(warm_up(self.warm_modules), silent=True, store_history=False))
                self.log.info("kernel %s started; importing the analysis modules", KERNEL)
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

    def _warmed(self) -> None:
        """Wait for the warm-up's reply (the kernel then has the modules loaded); an import
        that failed stops here, with its error, before any notebook runs."""
        if self.warming is None:
            return
        client, msg_id = self.warming
        try:
            while True:
                reply = client.get_shell_msg(timeout=120)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        finally:
            client.stop_channels()
            self.warming = None
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the kernel could not import the analysis modules: {reply['content'].get('evalue')}")

    def execute(self, notebook: str | Path, outputs: dict[str, str], parameters: dict[str, Any]) -> None:
        """Execute ``notebook`` with ``parameters``; write the executed notebook to the output
        named ``notebook__<endpoint>`` and its HTML to ``html__<endpoint>``."""
        km = self._kernel()  # first: a new kernel boots and imports while papermill loads here

        import nbformat
        import papermill
        from nbconvert import HTMLExporter

        executed, html = (next(p for n, p in outputs.items() if n.startswith(k)) for k in ("notebook__", "html__"))
        self._warmed()
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
