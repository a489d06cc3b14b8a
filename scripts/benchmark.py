"""Benchmark: wall time and job counts of a cold run of the demo and of a no-op rerun.

    .venv/bin/python scripts/benchmark.py [--cores 4] [--repeat 3]

Runs Snakemake on the shipped demo into a fresh temporary results folder (the project's
own results/ is not touched) and prints one line per scenario and repetition, with the CPU
time the run used (a shared machine's wall time varies from run to run; CPU time shows
whether the work itself changed), then the median wall time. A script that prints, not a
timed test: targets (cold <= 60 s, no-op <= 3 s on a 2-core machine) are read off its output.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str]) -> tuple[float, float, int, str]:
    start, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=ROOT, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, children_cpu() - cpu
    if proc.returncode != 0:
        sys.exit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    done = re.findall(r"(\d+) of (\d+) steps", proc.stdout + proc.stderr)
    jobs = int(done[-1][0]) if done else 0
    return elapsed, cpu, jobs, proc.stdout + proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", default="4")
    parser.add_argument("--repeat", type=int, default=1, help="cold + no-op pairs to run (default 1)")
    args = parser.parse_args()
    walls: dict[str, list[float]] = {"cold run": [], "no-op": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="inoflow-bench-") as tmp:
            common = ["--cores", args.cores, "--config", f"results={tmp}/results"]
            for scenario in walls:
                wall, cpu, jobs, _ = run(common)
                walls[scenario].append(wall)
                print(f"{scenario:8}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, {jobs} jobs", flush=True)
    if args.repeat > 1:
        for scenario, values in walls.items():
            print(f"{scenario:8}: median {statistics.median(values):6.1f} s wall over {len(values)} runs")


if __name__ == "__main__":
    main()
