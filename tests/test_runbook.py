"""Endpoint notebooks executed on one kernel per job (inoflow.analysis.runbook): two jobs of one
working folder running at once each talk to their own kernel. By default a kernel's IPC sockets
are kernel-ipc-1..5 in the working folder, which two jobs started together would share (seen
as 'Invalid Signature' and a kernel that did not respond)."""

from __future__ import annotations

import logging
import os

import nbformat

from inoflow.analysis.runbook import NotebookRunner


def test_two_runners_in_one_folder_use_their_own_kernels(tmp_path):
    notebook = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    notebook.cells = [
        nbformat.v4.new_code_cell("answer = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import os\nprint(answer, os.getpid())"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, path)
    log = logging.getLogger("test")
    with NotebookRunner(log, cwd=tmp_path) as first, NotebookRunner(log, cwd=tmp_path) as second:
        outputs = {}
        for runner, answer in ((first, 1), (second, 2)):
            out = {"notebook__x": str(tmp_path / f"out{answer}.ipynb"), "html__x": str(tmp_path / f"out{answer}.html")}
            runner.execute(path, out, {"answer": answer})
            cell = nbformat.read(out["notebook__x"], as_version=4).cells[-1]
            outputs[answer] = cell.outputs[0]["text"].split()
        sockets = (first.sockets, second.sockets)
        assert sockets[0] != sockets[1] and all(os.path.isdir(s) for s in sockets)
        assert not list(tmp_path.glob("kernel-ipc*"))  # nothing in the working folder
    assert outputs[1][0] == "1" and outputs[2][0] == "2"
    assert outputs[1][1] != outputs[2][1]  # two kernel processes
    assert not any(os.path.exists(s) for s in sockets)  # removed with the kernels
