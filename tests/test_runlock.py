"""Recovery after a killed run (inoflow.runlock): a stale Snakemake lock is cleared when no other
Snakemake run works in the folder, and kept while one does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

from inoflow.project import copy_project
from inoflow.runlock import clear_stale_lock, is_snakemake_run, snakemake_runs_in


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["snakemake", "--cores", "4"], True),
        (["/opt/inoflow/.venv/bin/python", "/opt/inoflow/.venv/bin/snakemake", "--cores", "4"], True),
        (["/usr/bin/python3.11", "-m", "snakemake", "-n"], True),
        (["python", "/work/.snakemake/scripts/tmp1a2b.process_extract.py"], False),  # a rule's script
        (["python", "-m", "ipykernel_launcher", "-f", "/tmp/kernel.json"], False),  # a notebook's kernel
        (["python", "-m", "pytest", "tests/test_workflow.py"], False),
        ([], False),
    ],
)
def test_a_snakemake_run_is_told_from_the_jobs_it_runs(argv, expected):
    assert is_snakemake_run(argv) is expected


def fake_process(proc: Path, pid: int, cwd: Path, argv: list[str]) -> None:
    (proc / str(pid)).mkdir(parents=True)
    (proc / str(pid) / "cwd").symlink_to(cwd)
    (proc / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")


def test_a_lock_is_stale_only_when_no_other_run_works_in_the_folder(tmp_path):
    folder, other, proc = tmp_path / "study", tmp_path / "other", tmp_path / "proc"
    (folder / ".snakemake" / "locks").mkdir(parents=True)
    other.mkdir()
    fake_process(proc, 101, other, ["snakemake", "--cores", "4"])  # a run in another folder
    fake_process(proc, 102, folder, ["python", str(folder / ".snakemake/scripts/tmpx.reconcile.py")])
    assert clear_stale_lock(folder, proc) == []  # no lock: nothing to do
    for name in ("0.input.lock", "0.output.lock"):
        (folder / ".snakemake" / "locks" / name).write_text("results/india/2023-04-30/book.html\n")
    fake_process(proc, 103, folder, ["/usr/bin/python3", "-m", "snakemake", "--cores", "2"])
    assert list(snakemake_runs_in(folder, proc)) == [103]
    assert clear_stale_lock(folder, proc) == []  # another run works here: its lock stays
    assert len(list((folder / ".snakemake" / "locks").iterdir())) == 2
    shutil.rmtree(proc / "103")
    assert clear_stale_lock(folder, proc) == ["0.input.lock", "0.output.lock"]
    assert list((folder / ".snakemake" / "locks").iterdir()) == []


@pytest.mark.workflow
def test_the_run_command_recovers_after_a_kill(tmp_path):
    """A copy of the project with the lock a killed run leaves: the same command runs (no
    --unlock); while another Snakemake run works in the folder, the lock is respected."""
    copy = copy_project(tmp_path / "copy", PROJECT_ROOT)
    target = "results/india/2023-04-30/reconciliation/reconciliation.csv"
    locks = copy / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.output.lock").write_text(f"{target}\n", encoding="utf-8")  # as Snakemake writes it
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "2", target]
    # another run in the folder (a process named snakemake working there): the lock is kept
    other = subprocess.Popen(["bash", "-c", "exec -a snakemake sleep 60"], cwd=copy)
    try:
        for _ in range(50):  # until the exec has renamed it
            if any(snakemake_runs_in(copy)):
                break
            time.sleep(0.1)
        refused = subprocess.run(snakemake, capture_output=True, text=True, cwd=copy)
    finally:
        other.kill()
        other.wait()
    assert refused.returncode != 0 and "Directory cannot be locked" in refused.stdout + refused.stderr
    assert (locks / "0.output.lock").exists()
    done = subprocess.run(snakemake, capture_output=True, text=True, cwd=copy, env={**os.environ})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "inoflow: cleared a stale lock (0.output.lock) left by a run that was killed" in done.stderr
    assert (copy / target).is_file() and not list(locks.glob("*.lock"))
