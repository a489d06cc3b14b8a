"""Compare two runs of the workflow (two results folders): every SDTM, ADaM and ARD file of
every cut, frame for frame; used by scripts/slurm_demo.sh (a local run against a run through
SLURM). With --snakemake-log (the second run's terminal output) it also counts what was
submitted to SLURM: the jobs and the submissions (a group of jobs is one submission).

    python scripts/compare_runs.py RESULTS_A RESULTS_B [--snakemake-log LOG]

Prints one line and exits 1 when a file differs or is missing on one side.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

FOLDERS = ("sdtm", "adam", "ard")


def datasets(results: Path) -> dict[str, Path]:
    """Every SDTM, ADaM and ARD file under a results folder, by its path inside it."""
    return {
        path.relative_to(results).as_posix(): path
        for folder in FOLDERS
        for path in sorted(results.glob(f"*/*/{folder}/*.parquet"))
        if not path.relative_to(results).parts[0].startswith(".")
    }


def differences(a: Path, b: Path) -> list[str]:
    left, right = datasets(a), datasets(b)
    problems = [f"only in {a}: {name}" for name in sorted(set(left) - set(right))]
    problems += [f"only in {b}: {name}" for name in sorted(set(right) - set(left))]
    for name in sorted(set(left) & set(right)):
        try:
            pd.testing.assert_frame_equal(pd.read_parquet(left[name]), pd.read_parquet(right[name]))
        except AssertionError as exc:
            problems.append(f"{name} differs: {str(exc).splitlines()[0]}")
    return problems if left else [f"no datasets under {a}"]


def submissions(log: str) -> tuple[int, int]:
    """(jobs run, SLURM submissions) from a run's terminal output: a finished job is a
    '[k/N] <rule> ...' line (the 'all' target is not submitted), a submission a SLURM job id."""
    jobs = [line for line in re.findall(r"^\[\s*\d+/\d+\] (\S+)", log, re.M) if line != "all"]
    ids = set(re.findall(r"submitted with SLURM jobid (\d+)", log))
    return len(jobs), len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--snakemake-log", type=Path, help="the second run's terminal output (a SLURM run)")
    args = parser.parse_args()
    problems = differences(args.a, args.b)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    same = "yes" if not problems else f"no ({len(problems)} differences)"
    count = len(datasets(args.a))
    if args.snakemake_log:
        jobs, groups = submissions(args.snakemake_log.read_text(encoding="utf-8", errors="replace"))
        print(f"slurm: {jobs} jobs submitted as {groups} groups; results identical to the local run: {same}")
    else:
        print(f"{count} datasets compared; identical: {same}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
