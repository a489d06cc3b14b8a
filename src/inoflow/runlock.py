"""Recovery after a killed run: Snakemake's lock of the working folder, cleared when stale.

Snakemake locks the files a run reads and writes (``.snakemake/locks/``) and releases them when
it ends. A run that is killed (``kill -9``, a lost SSH session, a power cut) cannot release
them, and the next run stops with "Directory cannot be locked" until someone runs
``snakemake --unlock``. The lock files name no process, so whether a lock is stale is decided
here the only way it can be: no Snakemake process other than this one works in this folder.
Then the lock is removed and the run goes on (incomplete outputs of the killed run are rerun:
``rerun-incomplete`` in the profile). While another Snakemake run works in the folder, its lock
is left alone and Snakemake refuses as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

LOCKS = Path(".snakemake") / "locks"


def is_snakemake_run(argv: list[str]) -> bool:
    """A command line that starts Snakemake (``snakemake ...``, ``python -m snakemake ...``),
    not a job it runs (a rule's script, a notebook's kernel)."""
    head = argv[:4]
    if any(Path(a).name == "snakemake" for a in head[:2]):  # snakemake, or python .venv/bin/snakemake
        return True
    return any(
        Path(a).name.startswith("python") and head[i + 1 : i + 3] == ["-m", "snakemake"] for i, a in enumerate(head[:2])
    )


def snakemake_runs_in(folder: Path, proc: Path = Path("/proc"), exclude: frozenset[int] = frozenset()) -> Iterator[int]:
    """The process ids of the Snakemake runs working in ``folder`` (other than ``exclude``)."""
    folder = folder.resolve()
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            argv = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
        except OSError:  # ended meanwhile, or not ours to read
            continue
        if cwd == folder and is_snakemake_run(argv):
            yield int(entry.name)


def clear_stale_lock(folder: str | Path = ".", proc: Path = Path("/proc")) -> list[str]:
    """Remove the lock files of a run that ended without releasing them; returns their names
    (none when there is no lock, when another Snakemake run works in ``folder``, or where
    processes cannot be listed)."""
    folder = Path(folder)
    locks = sorted(p for p in (folder / LOCKS).glob("*.lock") if p.is_file()) if (folder / LOCKS).is_dir() else []
    if not locks or not proc.is_dir():
        return []
    if any(snakemake_runs_in(folder, proc, exclude=frozenset({os.getpid()}))):
        return []
    for lock in locks:
        lock.unlink(missing_ok=True)
    return [lock.name for lock in locks]
