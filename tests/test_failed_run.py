"""A failed rerun leaves no out-of-date result that looks current (issue 13, item 3).

A copy of the project runs the interim Indian cut; then IN02 resends its adverse-event file
with an empty required cell. Under the study's policy (fail) the rerun stops: the cut's
extract job fails as a whole (the files it read are in the output cache, and the next run
restores them), and the cut's folder keeps its logs, a data-quality report of the failed run
(the refused file's findings among the others) and a RUN_FAILED.txt naming the failed step
and its message;
the earlier book, common model, ADaM, ARD, tables and audit zip are moved to
results/.out-of-date/, the book with an OUT OF DATE banner. The file corrected, the same command
rebuilds the cut and the notice goes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from inoflow.project import copy_project

pytestmark = pytest.mark.workflow

CUT = "2022-09-30"
AE = f"data/india/{CUT}/IN02/IN02_adverse_events.csv"


def run(root: Path) -> subprocess.CompletedProcess:
    target = f"results/india/{CUT}/audit/india_{CUT}_audit.zip"
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", target, "--cores", "2"], cwd=root, env=env, capture_output=True, text=True
    )


def test_a_failed_rerun_moves_the_out_of_date_results_aside_and_the_next_run_rebuilds_them(tmp_path):
    root = copy_project(tmp_path / "project", PROJECT_ROOT)
    first = run(root)
    assert first.returncode == 0, first.stderr[-3000:]
    cut_dir = root / "results" / "india" / CUT
    before = {p.name for p in cut_dir.iterdir()}
    assert {"book.html", "sdtm", "adam", "ard", "tables", "audit", "reconciliation", "data_quality"} <= before

    original = (root / AE).read_bytes()
    lines = original.decode("utf-8").splitlines(keepends=True)
    assert lines[1].startswith("02-0001,UTI,")
    lines[1] = lines[1].replace("UTI", "", 1)  # a required cell left empty
    (root / AE).write_text("".join(lines), encoding="utf-8")
    failed = run(root)

    assert failed.returncode != 0
    assert (
        f"inoflow: india {CUT}: 1 step(s) failed; nothing downstream is left in place; earlier results moved to "
        in (failed.stderr)
    )
    assert sorted(p.name for p in cut_dir.iterdir()) == [
        "RUN_FAILED.txt",
        "data_quality",
        "logs",
    ]
    # the cut's data-quality report of the failed run: the refused file's findings among the rest
    report = pd.read_csv(cut_dir / "data_quality" / "failed_run.csv", keep_default_na=False)
    refused = report[report["file"] == "IN02/IN02_adverse_events.csv"]
    assert refused[["row", "column", "rule"]].values.tolist() == [
        [2, "AE term", "AE_TERM is required but the cell is empty"]
    ]
    assert sorted(p.name for p in (cut_dir / "data_quality").iterdir()) == ["failed_run.csv", "failed_run.html"]
    notice = (cut_dir / "RUN_FAILED.txt").read_text(encoding="utf-8")
    assert "  - extract (log: results/india/2022-09-30/logs/extract/extract.log)" in notice
    assert (
        "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'AE term': AE_TERM is required but the cell is empty"
    ) in notice
    (aside,) = (root / "results" / ".out-of-date" / "india" / CUT).iterdir()
    assert {"book.html", "sdtm", "adam", "ard", "tables", "audit", "reconciliation", "data_quality"} <= {
        p.name for p in aside.iterdir()
    }
    book = (aside / "book.html").read_text(encoding="utf-8")
    assert 'id="inoflow-out-of-date"' in book and "OUT OF DATE. The run started" in book

    (root / AE).write_bytes(original)
    again = run(root)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"inoflow: india {CUT} is complete again (its RUN_FAILED.txt was removed)" in again.stderr
    assert not (cut_dir / "RUN_FAILED.txt").exists()
    assert not (cut_dir / "data_quality" / "failed_run.csv").exists()
    assert before <= {p.name for p in cut_dir.iterdir()}
    assert "inoflow-out-of-date" not in (cut_dir / "book.html").read_text(encoding="utf-8")
