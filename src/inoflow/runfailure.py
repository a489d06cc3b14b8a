"""After a failed run, no result that looks current is out of date.

A run that fails part-way leaves two kinds of results in a cut's folder that a reader could
take for current: results of an earlier successful run whose inputs have since changed (the
book, the ADaM datasets, the ARD, the tables, the audit zip), and results this run wrote
downstream of good files while another file of the same cut failed (with ``keep-going``, an
ADSL built before the adverse-event extract was refused). Neither belongs to a complete cut.

So when Snakemake reports a failure (the workflow's ``onerror:`` handler), for each cut with a
failed step:

* everything the cut's folder holds downstream of the extract stages (``sdtm/``, ``adam/``,
  ``ard/``, ``tables/``, ``figures/``, ``notebooks/``, ``listings/``, ``audit/``, the book and
  its comparison with the publication, and the reconciliation and data-quality reports unless
  this run wrote them) is moved to ``results/.out-of-date/<study>/<cut>/<run start>/``, and so
  is every comparison of cuts that involves the cut;
* the moved book carries a banner naming the failed run;
* ``results/<study>/<cut>/RUN_FAILED.txt`` names the run, each failed step with its log and
  its error lines (the workflow's messages, which never show an identifying value), and where
  the earlier results went;
* unless this run wrote the cut's data-quality report, ``data_quality/failed_run.csv`` and
  ``.html`` list the extract stage's findings: those of every file read, and those of each file
  refused (its step writes them beside its log, :func:`failed_findings_path`).

The extract stages (``ingest/``, ``validated/``, ``harmonised/``) stay: each of their files is
the result of one extract as it is now (Snakemake removes the outputs of a step that failed),
and the logs stay. A later run of the same command rebuilds the cut; once its book is written
again (``onsuccess:``), the notice is removed. Failed steps are read from the error blocks of
Snakemake's own log of the run (``Error in rule <name>:`` with the step's ``output:`` and
``log:`` paths), the one record every executor (local, SLURM) writes.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

NOTICE = "RUN_FAILED.txt"
FAILED_RUN_REPORT = ("data_quality/failed_run.csv", "data_quality/failed_run.html")
OUT_OF_DATE = ".out-of-date"
KEPT = frozenset({"ingest", "validated", "harmonised", "logs", NOTICE})
KEPT_IF_WRITTEN_BY_THE_RUN = frozenset({"data_quality", "reconciliation"})
_ERROR_BLOCK = re.compile(r"^Error in rule (?P<rule>[^\s:]+):\n(?P<body>(?:[ \t]+.*(?:\n|$))*)", re.MULTILINE)
_FIELD = re.compile(r"^\s+(?P<name>output|log): (?P<value>.*)$", re.MULTILINE)
_BANNER_ID = "inoflow-out-of-date"


@dataclass(frozen=True)
class FailedStep:
    """One failed step of a run: its rule, the results folder it writes to, its log file."""

    rule: str
    folder: tuple[str, ...]  # (study, cut) or (study, "compare", "<before>_vs_<after>")
    log: str


def _paths(value: str) -> list[str]:
    value = value.split(" (check log file", 1)[0]
    return [p.strip() for p in value.split(", ") if p.strip()]


def _folder_of(path: str, results: Path, cuts: dict[str, Iterable[str]]) -> tuple[str, ...] | None:
    try:
        parts = Path(os.path.abspath(path)).relative_to(results).parts
    except ValueError:
        return None
    if len(parts) < 3 or parts[0] not in cuts:
        return None
    if parts[1] == "compare":
        return (parts[0], "compare", parts[2]) if len(parts) > 3 else None
    return (parts[0], parts[1]) if parts[1] in set(cuts[parts[0]]) else None


def failed_steps(log_text: str, results: str | Path, cuts: dict[str, Iterable[str]]) -> list[FailedStep]:
    """The failed steps named in Snakemake's log of a run, each with the results folder it
    writes to (``cuts``: study -> its cut ids; steps writing elsewhere are left out)."""
    results = Path(os.path.abspath(results))
    steps = []
    for block in _ERROR_BLOCK.finditer(log_text):
        fields = {m.group("name"): _paths(m.group("value")) for m in _FIELD.finditer(block.group("body"))}
        folder = None
        for path in fields.get("output", []) + fields.get("log", []):
            folder = _folder_of(path, results, cuts)
            if folder:
                break
        if folder:
            log = (fields.get("log") or [""])[0]
            steps.append(FailedStep(block.group("rule"), folder, log))
    return steps


def failed_findings_path(job_log: str | Path) -> Path:
    """Where a refused extract's findings go: beside its job's log (which a failure keeps)."""
    return Path(job_log).with_suffix(".findings.csv")


def write_failure_report(cut_dir: Path, steps: list[FailedStep], started: float, title: str) -> int:
    """The extract stage's findings of a failed cut (those of the files read, and of the files
    refused in this run), as the data-quality report lays them out; returns how many."""
    import pandas as pd

    from inoflow.model.quality import CHECK_COLUMNS, collect_findings, data_quality_report

    tables = sorted((cut_dir / "validated").rglob("*.findings.csv"))
    for step in steps:
        refused = failed_findings_path(step.log) if step.log else None
        if refused and refused.is_file() and refused.stat().st_mtime >= started:
            tables.append(refused)
    if not tables:
        return 0
    no_checks = pd.DataFrame(columns=CHECK_COLUMNS).astype({"failures": "int64"})  # the model was not checked
    table, page = data_quality_report(collect_findings(tables), no_checks, None, title)
    csv_path, html_path = (cut_dir / name for name in FAILED_RUN_REPORT)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False)
    html_path.write_text(page, encoding="utf-8")
    return len(table)


def error_lines(log_path: str | Path, limit: int = 12) -> list[str]:
    """The error lines of a step's log (the workflow's own messages), else its last line."""
    path = Path(log_path)
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    start = next((i for i, line in enumerate(lines) if " ERROR " in line), None)
    chosen = lines[start:] if start is not None else lines[-1:]
    chosen = [re.sub(r"^\S+ \S+ ERROR \S+: ", "", line) for line in chosen]
    return chosen[:limit] + ([f"... ({len(chosen) - limit} more lines in the log)"] if len(chosen) > limit else [])


def _banner(book: Path, run: str, notice: str) -> None:
    text = book.read_text(encoding="utf-8")
    if _BANNER_ID in text:
        return
    banner = (
        f'<div id="{_BANNER_ID}" style="background:#b00020;color:#fff;padding:12px 16px;'
        f'font:bold 16px sans-serif;margin:0 0 1em 0">OUT OF DATE. The run started {html.escape(run)} failed '
        f"for this cut; this book is from an earlier run and no longer matches the extracts, the "
        f"configuration or the code. See {html.escape(notice)}.</div>"
    )
    match = re.search(r"<body[^>]*>", text)
    at = match.end() if match else 0
    book.write_text(text[:at] + banner + text[at:], encoding="utf-8")


def _written_since(path: Path, since: float) -> bool:
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return bool(files) and all(p.stat().st_mtime >= since for p in files)


def set_aside(
    results: str | Path, study: str, cut: str, steps: list[FailedStep], started: float, snakemake_log: str = ""
) -> Path | None:
    """Move a failed cut's out-of-date results aside and write its notice; returns the folder
    they went to (None when there was nothing to move)."""
    results = Path(results)
    cut_dir = results / study / cut
    run = datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M:%S")
    aside = results / OUT_OF_DATE / study / cut / datetime.fromtimestamp(started).strftime("%Y-%m-%dT%H%M%S")
    for name in FAILED_RUN_REPORT:  # an earlier failure's report: this run's replaces it
        (cut_dir / name).unlink(missing_ok=True)
    moved = []
    entries = sorted(cut_dir.iterdir()) if cut_dir.is_dir() else []
    for entry in entries:
        if entry.name in KEPT:
            continue
        if entry.name in KEPT_IF_WRITTEN_BY_THE_RUN and _written_since(entry, started):
            continue
        moved.append(entry)
    comparisons = results / study / "compare"
    involved = (
        [p for p in sorted(comparisons.iterdir()) if p.is_dir() and p.name != "logs" and cut in p.name.split("_vs_")]
        if comparisons.is_dir()
        else []
    )
    for entry in moved:
        aside.mkdir(parents=True, exist_ok=True)
        shutil.move(str(entry), str(aside / entry.name))
    for entry in involved:
        (aside / "compare").mkdir(parents=True, exist_ok=True)
        shutil.move(str(entry), str(aside / "compare" / entry.name))
    notice = cut_dir / NOTICE
    shown_aside = os.path.relpath(aside) if moved or involved else None
    report = None
    if not (cut_dir / "data_quality" / "data_quality.csv").is_file():  # not written by this run
        title = f"{study}, cut {cut}: the run of {run} failed before the common model was checked"
        try:
            count = write_failure_report(cut_dir, steps, started, title)
        except Exception as exc:  # the notice must be written whatever happens here  # noqa: BLE001
            count, report = 0, None
            print(f"inoflow: the failure report of {study} {cut} could not be written ({exc})")
        report = (count, os.path.relpath(cut_dir / FAILED_RUN_REPORT[1])) if count else None
    if (aside / "book.html").is_file():
        _banner(aside / "book.html", run, os.path.relpath(notice))
    lines = [
        f"The run started {run} failed for {study}, cut {cut}."
        + (f" Snakemake's log of the run: {os.path.relpath(snakemake_log)}" if snakemake_log else ""),
        "",
        "Failed steps:",
    ]
    for step in steps:
        lines.append(f"  - {step.rule}" + (f" (log: {os.path.relpath(step.log)})" if step.log else ""))
        lines += [f"      {line}" for line in error_lines(step.log)]
    lines.append("")
    if report:
        lines.append(f"The extract stage's {report[0]} finding(s), refused files included: {report[1]}")
        lines.append("")
    if shown_aside:
        lines.append(
            "Nothing downstream of the failure is kept in this folder: the results of earlier runs that are "
            f"out of date, and what this run wrote downstream of good files, were moved to {shown_aside}/ "
            "(their book carries an OUT OF DATE banner)."
        )
    else:
        lines.append("No earlier results of this cut were in place.")
    lines.append(
        "Fix the problem and run the same command again; this notice is removed when the cut's book is written."
    )
    cut_dir.mkdir(parents=True, exist_ok=True)
    notice.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return aside if shown_aside else None


def after_failure(
    snakemake_log: str | Path | list | None, results: str | Path, cuts: dict[str, Iterable[str]], started: float
) -> list[str]:
    """The workflow's ``onerror:``: set aside each failed cut's results; one line per cut.

    ``snakemake_log``: the log of the run, as Snakemake hands it over (a path, or a list of
    them: Snakemake 9 gives the list of its log files)."""
    if isinstance(snakemake_log, (list, tuple)):
        snakemake_log = next((str(p) for p in snakemake_log if str(p).endswith(".snakemake.log")), None)
    if not snakemake_log or not Path(snakemake_log).is_file():
        return []
    steps = failed_steps(Path(snakemake_log).read_text(encoding="utf-8", errors="replace"), results, cuts)
    by_cut: dict[tuple[str, str], list[FailedStep]] = {}
    for step in steps:
        study, second = step.folder[0], step.folder[1]
        if second == "compare":
            continue  # a failed comparison leaves no output of its own (Snakemake removes them)
        by_cut.setdefault((study, second), []).append(step)
    messages = []
    for (study, cut), cut_steps in sorted(by_cut.items()):
        aside = set_aside(results, study, cut, cut_steps, started, str(snakemake_log))
        where = f"; earlier results moved to {os.path.relpath(aside)}/" if aside else ""
        messages.append(
            f"{study} {cut}: {len(cut_steps)} step(s) failed; nothing downstream is left in place{where} "
            f"(see {os.path.relpath(Path(results) / study / cut / NOTICE)})"
        )
    return messages


def after_success(results: str | Path, cuts: dict[str, Iterable[str]]) -> list[str]:
    """The workflow's ``onsuccess:``: remove the notice of each cut whose book was written since."""
    cleared = []
    for study, study_cuts in cuts.items():
        for cut in study_cuts:
            notice = Path(results) / study / cut / NOTICE
            book = notice.with_name("book.html")
            if notice.is_file() and book.is_file() and book.stat().st_mtime >= notice.stat().st_mtime:
                for name in FAILED_RUN_REPORT:
                    (notice.parent / name).unlink(missing_ok=True)
                notice.unlink()
                cleared.append(f"{study} {cut}")
    return cleared
