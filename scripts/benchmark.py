"""Benchmark: wall time, CPU time and job counts of the demo's reruns, or of a synthetic study
of any size.

    .venv/bin/python scripts/benchmark.py [--cores 4] [--repeat 1]
    .venv/bin/python scripts/benchmark.py --sites S --patients P [--cores 4] [--keep DIR]

With --sites and --patients: a synthetic study of S sites x P patients (src/inodemo/scale.py:
the Indian demo grown, its five site dialects in rotation) is generated in a copy of the
project and run cold (`snakemake --cores 4`, the default target), then again (a no-op), then
after one site resends its adverse-event file (one grade changed), and one line is printed:

    scale S sites x P patients: cold W s wall, C CPU-s, peak RSS M MB, J jobs; no-op N s; one AE file K s

(peak RSS: the largest resident set of any one process of the cold run.)

Runs Snakemake on a copy of the project (git-tracked files; the project's own results/ and
data are not touched) into a fresh temporary results folder and prints one line per
scenario:

- cold run, the demo: `snakemake --cores 4` on a fresh clone (both studies: the two Indian
  cuts and their comparison, the Italian cut), in a copy of its own; then, in that copy, a
  no-op, `snakemake -n` and `snakemake -n --forceall`;
- in-process, every cut: the extract -> SDTM -> ADaM -> ARD path of the three demo cuts in one
  fresh Python process (`inoflow.pipeline.write_cut`, imports included; no notebooks, tables,
  book or audit): the floor a run of jobs is measured against;
- cold run, one cut: the Indian interim cut from nothing;
- no-op: the same again;
- interim -> locked: then the locked cut (the files sent unchanged are restored from the
  output cache; the resent ones and everything at the level of the cut are computed) and the
  comparison of the two cuts: the rest of what `snakemake --cores 4` does on a fresh clone;
- one AE file changed: a site resends its adverse-event file for the interim cut (a grade
  corrected) and the workflow is rerun: only that file's chain and what depends on it;
- cold run, the Italian cut: the INO-CD22 cut (24 centres) from nothing, in the same copy.

A shared machine's wall time varies from run to run; CPU time shows whether the work itself
changed. A script that prints, not a timed test: the targets of issue 14 (2-core machine) are
read off its output: the demo cold <= 60 s wall and <= 100 CPU-s, its no-op <= 1.5 s,
`snakemake -n` <= 2 s, one AE file changed <= 10 s, in-process <= 10 s (and the scale line's).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from inoflow.project import copy_project

ROOT = Path(__file__).resolve().parents[1]
INTERIM = "2022-09-30"
LOCKED = "2023-04-30"
ITALY_CUT = "2022-12-31"
AE_FILE = f"data/india/{INTERIM}/IN02/IN02_adverse_events.csv"


class Run(NamedTuple):
    wall: float  # s
    cpu: float  # CPU-s, user + system, of Snakemake and every process it started
    jobs: int
    rss_mb: float  # the largest resident set of any one of those processes


# The extract -> SDTM -> ADaM -> ARD path of every configured cut in one Python process
# (inoflow.pipeline.write_cut; no notebooks, tables, book or audit), imports included.
IN_PROCESS = """
import tempfile
from pathlib import Path

from inoflow.config import load_config
from inoflow.pipeline import write_cut

studies = load_config()
with tempfile.TemporaryDirectory() as out:
    for name, study in studies.items():
        for cut in study.cuts:
            write_cut(study, cut, Path(out) / name / cut)
"""


def run(project: Path, targets: list[str], cores: str, extra: tuple[str, ...] = ()) -> Run:
    """``snakemake --cores`` in ``project`` (with ``extra`` arguments); its own resource use,
    read from its exit (wait4: CPU time and peak RSS of it and of every process it waited for)."""
    command = ["-m", "snakemake", *targets, "--cores", cores, "--config", f"results={project}/results", *extra]
    return run_python(project, command)


def in_process(project: Path) -> Run:
    """:data:`IN_PROCESS` in a fresh interpreter in ``project``."""
    return run_python(project, ["-c", IN_PROCESS])


def run_python(project: Path, arguments: list[str]) -> Run:
    env = {**os.environ, "PYTHONPATH": f"{project / 'src'}{os.pathsep}{project}"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *arguments],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(arguments[:2])} failed:\n{output[-3000:]}")
    done = re.findall(r"^\[\s*(\d+)/(\d+)\] ", output, re.M)  # the terminal's [k/N] lines
    jobs = int(done[-1][0]) if done else 0
    return Run(elapsed, usage.ru_utime + usage.ru_stime, jobs, usage.ru_maxrss / 1024)


def restored_from_cache(project: Path, cut: str) -> int:
    """How many parts of the jobs of the last run of a cut were restored from the output cache
    (inoflow.cache.JobParts): their logs say "output cache: N of M parts restored"."""
    logs = project / "results" / "india" / cut / "logs"
    found = (
        re.findall(r"output cache: (\d+) of \d+ parts restored", log.read_text(encoding="utf-8"))
        for log in logs.rglob("*.log")
    )
    return sum(int(counts[-1]) for counts in found if counts)


def scale(sites: int, patients: int, cores: str, keep: Path | None = None) -> None:
    """The scale scenario (see the module docstring): one line. With ``keep``, the study is
    made in that folder and left there; a study of the same size found there is reused (its
    extracts; the code and configuration copied afresh, the results removed)."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="inoflow-bench-scale-") as tmp:
            scale_in(Path(tmp) / "project", sites, patients, cores)
    else:
        scale_in(keep.resolve() / "project", sites, patients, cores)


def scale_in(project: Path, sites: int, patients: int, cores: str) -> None:
    from inodemo.scale import CUT, configure_scale_study, generated_marker, write_scale_study

    marker = generated_marker(project)
    if marker.is_file() and marker.read_text(encoding="utf-8").strip() == f"{sites} x {patients}":
        shutil.rmtree(project / "results", ignore_errors=True)
        copy_project(project, ROOT)
        configure_scale_study(project, sites, patients)
        print(f"reusing the {sites} sites x {patients} patients generated in {project}", flush=True)
    else:
        copy_project(project, ROOT)
        start = time.perf_counter()
        files = write_scale_study(project, sites, patients, workers=min(int(cores), os.cpu_count() or 1))
        print(
            f"generated {len(files)} files for {sites} sites x {patients} patients in {time.perf_counter() - start:.1f} s",
            flush=True,
        )
    cold_wall, cold_cpu, jobs, rss = run(project, [], cores)
    noop = run(project, [], cores).wall
    ae = next(
        p
        for p in sorted((project / "data" / "scale" / CUT).rglob("*"))
        if "adverse" in p.name.lower() and p.suffix == ".csv"
    )
    lines = ae.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",2,", ",3,", 1) if ",2," in lines[1] else lines[1].replace(",3,", ",2,", 1)
    ae.write_text("".join(lines), encoding="utf-8")
    changed = run(project, [], cores).wall
    print(
        f"scale {sites} sites x {patients} patients: cold {cold_wall:.1f} s wall, {cold_cpu:.0f} CPU-s, "
        f"peak RSS {rss:.0f} MB, {jobs} jobs; no-op {noop:.1f} s; one AE file {changed:.1f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", default="4")
    parser.add_argument("--repeat", type=int, default=1, help="times to run every scenario (default 1)")
    parser.add_argument("--sites", type=int, help="a synthetic study of this many sites (with --patients)")
    parser.add_argument("--patients", type=int, help="patients per site of the synthetic study")
    parser.add_argument(
        "--keep",
        type=Path,
        help="make the synthetic study in this folder and leave it there; one of the same size found there is reused",
    )
    args = parser.parse_args()
    if args.sites or args.patients:
        if not (args.sites and args.patients):
            parser.error("--sites and --patients go together")
        scale(args.sites, args.patients, args.cores, args.keep)
        return
    walls: dict[str, list[float]] = {}

    def report(scenario: str, result: Run, reference: Run | None = None):
        walls.setdefault(scenario, []).append(result.wall)
        share = (
            f"  ({result.jobs / reference.jobs:.0%} of the jobs, {result.wall / reference.wall:.0%} of the time)"
            if reference
            else ""
        )
        print(
            f"{scenario:38}: {result.wall:6.1f} s wall, {result.cpu:6.1f} s CPU, {result.jobs:3d} jobs run, "
            f"peak RSS {result.rss_mb:4.0f} MB{share}",
            flush=True,
        )

    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="inoflow-bench-demo-") as tmp:
            demo_project = copy_project(Path(tmp) / "project", ROOT)
            demo = run(demo_project, [], args.cores)
            report("cold run, the demo", demo)
            report("no-op, the demo", run(demo_project, [], args.cores))
            report("dry run (-n), the demo", run(demo_project, [], args.cores, ("-n",)))
            report("dry run (-n --forceall), the demo", run(demo_project, [], args.cores, ("-n", "--forceall")))
            report("in-process, every cut (write_cut)", in_process(demo_project))
        with tempfile.TemporaryDirectory(prefix="inoflow-bench-") as tmp:
            project = copy_project(Path(tmp) / "project", ROOT)
            interim = [f"{project}/results/india/{INTERIM}/book.html"]
            cold = run(project, interim, args.cores)
            report("cold run, one cut", cold)
            report("no-op", run(project, interim, args.cores))
            locked = [
                f"{project}/results/india/{LOCKED}/audit/india_{LOCKED}_audit.zip",
                f"{project}/results/india/compare/{INTERIM}_vs_{LOCKED}/comparison.html",
            ]
            to_locked = run(project, locked, args.cores)
            restored = restored_from_cache(project, LOCKED)
            report(f"interim -> locked ({restored} parts restored)", to_locked, reference=cold)
            path = project / AE_FILE
            path.write_text(
                path.read_text(encoding="utf-8").replace("UTI,22/07/2021,24/07/2021,2", "UTI,22/07/2021,24/07/2021,4"),
                encoding="utf-8",
            )
            changed = run(project, interim, args.cores)
            report("one AE file changed", changed, reference=demo)
            report("  (against the one cut)", changed, reference=cold)
            italy = [f"{project}/results/italy/{ITALY_CUT}/audit/italy_{ITALY_CUT}_audit.zip"]
            report("cold run, the Italian cut", run(project, italy, args.cores))
    if args.repeat > 1:
        for scenario, values in walls.items():
            print(f"{scenario:38}: median {statistics.median(values):6.1f} s wall over {len(values)} runs")


if __name__ == "__main__":
    main()
