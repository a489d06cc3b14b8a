"""Benchmark: wall time and job counts of a cold run of the demo and of a no-op rerun.

    .venv/bin/python scripts/benchmark.py [--cores 4]

Runs Snakemake on the shipped demo into a fresh temporary results folder (the project's
own results/ is not touched) and prints one line per scenario. A script that prints, not a
timed test: targets (cold <= 60 s, no-op <= 3 s on a 2-core machine) are read off its output.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    done = re.findall(r"(\d+) of (\d+) steps", proc.stdout + proc.stderr)
    jobs = int(done[-1][0]) if done else 0
    return elapsed, jobs, proc.stdout + proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", default="4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="inoflow-bench-") as tmp:
        common = ["--cores", args.cores, "--config", f"results={tmp}/results"]
        cold, cold_jobs, _ = run(common)
        noop, noop_jobs, _ = run(common)
    print(f"cold run: {cold:6.1f} s, {cold_jobs} jobs")
    print(f"no-op   : {noop:6.1f} s, {noop_jobs} jobs")


if __name__ == "__main__":
    main()
