"""Endpoint notebooks executed on one kernel per job (inoflow.analysis.runbook): two jobs of one
working folder running at once each talk to their own kernel. By default a kernel's IPC sockets
are kernel-ipc-1..5 in the working folder, which two jobs started together would share (seen
as 'Invalid Signature' and a kernel that did not respond)."""

from __future__ import annotations

import logging
import os

import nbformat

from inoflow.analysis.runbook import WARM_UP_MODULES, NotebookRunner


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


def _notebook(tmp_path, code: str):
    notebook = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    notebook.cells = [
        nbformat.v4.new_code_cell("answer = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(code),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, path)
    return path


def test_a_warmed_kernel_runs_the_first_notebook_as_a_fresh_one(tmp_path):
    """The warm-up imports the analysis modules and leaves nothing else: the first notebook sees
    the names a kernel without warm-up shows it, and its cells are counted from 1 as there."""
    path = _notebook(
        tmp_path,
        "import sys\n"
        "print(sorted(k for k in globals() if not k.startswith('_')))\n"
        "print('inoflow.analysis.notebook' in sys.modules, 'matplotlib.pyplot' in sys.modules)",
    )
    seen = {}
    for warm_modules in (WARM_UP_MODULES, None):
        out = {"notebook__x": str(tmp_path / f"{warm_modules}.ipynb"), "html__x": str(tmp_path / "out.html")}
        with NotebookRunner(logging.getLogger("test"), cwd=tmp_path, warm_modules=warm_modules) as runner:
            runner.execute(path, out, {"answer": 42})
            assert runner.warming is None  # the warm-up's reply was read before the notebook ran
        executed = nbformat.read(out["notebook__x"], as_version=4)
        names, loaded = executed.cells[-1].outputs[0]["text"].splitlines()
        counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
        seen[warm_modules is not None] = (names, loaded, counts)
    assert seen[True][0] == seen[False][0]
    assert "'answer'" in seen[True][0] and "'sys'" in seen[True][0]
    assert seen[True][1] == "True True" and seen[False][1] == "False False"  # imported before it asked
    assert seen[True][2] == seen[False][2] == [1, 2, 3]  # papermill's parameters cell, ours, the code


def test_a_warm_up_that_cannot_import_stops_before_any_notebook(tmp_path):
    path = _notebook(tmp_path, "print(answer)")
    out = {"notebook__x": str(tmp_path / "out.ipynb"), "html__x": str(tmp_path / "out.html")}
    with NotebookRunner(logging.getLogger("test"), cwd=tmp_path, warm_modules=("inoflow_no_such_module",)) as runner:
        try:
            runner.execute(path, out, {"answer": 1})
        except RuntimeError as exc:
            message = str(exc)
        else:
            message = ""
    assert message == "the kernel could not import the analysis modules: No module named 'inoflow_no_such_module'"
    assert not os.path.exists(out["notebook__x"])
