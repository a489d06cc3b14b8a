"""After a failed run no out-of-date result looks current (inoflow.runfailure): the failed steps
are read from Snakemake's log, each failed cut's results downstream of the extract stages are
moved aside with a banner on the book, and a notice names the run and its failed steps."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

from inoflow.runfailure import (
    NOTICE,
    FailedStep,
    after_failure,
    after_success,
    error_lines,
    failed_findings_path,
    failed_steps,
    set_aside,
)

CUTS = {"india": ["2022-09-30", "2023-04-30"], "italy": ["2022-12-31"]}

# as Snakemake 9.27 writes it (.snakemake/log/<stamp>.snakemake.log), paths absolute or relative
LOG = """\
[Thu Dec  3 09:36:36 2026]
localrule derive_adam:
    input: results/india/2023-04-30/sdtm/DM.parquet
Error in rule ingest_validate_harmonise:
    message: None
    jobid: 12
    input: data/india/2023-04-30/IN02/IN02_adverse_events.csv, config/sites/india/IN02.yaml
    output: results/india/2023-04-30/ingest/IN02/adverse_events.parquet, results/india/2023-04-30/validated/IN02/adverse_events.parquet
    log: results/india/2023-04-30/logs/ingest_validate_harmonise/IN02/adverse_events.log (check log file(s) for error details)
Logfile results/india/2023-04-30/logs/ingest_validate_harmonise/IN02/adverse_events.log:
================================================================================
Error in rule derive_adam:
    message: None
    jobid: 204
    input: {root}/results/italy/2022-12-31/sdtm/DM.parquet
    output: {root}/results/italy/2022-12-31/adam/ADAE.parquet
    log: {root}/results/italy/2022-12-31/logs/derive_adam/ADAE.log (check log file(s) for error details)
Error in rule compare_cuts:
    jobid: 300
    output: results/india/compare/2022-09-30_vs_2023-04-30/records.csv
    log: results/india/compare/logs/2022-09-30_vs_2023-04-30.log (check log file(s) for error details)
Error in rule somewhere_else:
    output: elsewhere/file.txt
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_failed_steps_are_read_from_snakemakes_log_with_their_cut(project):
    steps = failed_steps(LOG.format(root=project), "results", CUTS)
    assert steps == [
        FailedStep(
            "ingest_validate_harmonise",
            ("india", "2023-04-30"),
            "results/india/2023-04-30/logs/ingest_validate_harmonise/IN02/adverse_events.log",
        ),
        FailedStep(
            "derive_adam", ("italy", "2022-12-31"), f"{project}/results/italy/2022-12-31/logs/derive_adam/ADAE.log"
        ),
        FailedStep(
            "compare_cuts",
            ("india", "compare", "2022-09-30_vs_2023-04-30"),
            "results/india/compare/logs/2022-09-30_vs_2023-04-30.log",
        ),
    ]


def test_an_unknown_cut_in_the_log_is_not_a_failed_cut(project):
    assert failed_steps(LOG.replace("2023-04-30", "2099-01-01").format(root=project), "results", CUTS)[0].folder == (
        "italy",
        "2022-12-31",
    )


def _write(path: Path, text: str = "x", mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _earlier_successful_run(cut_dir: Path, when: float) -> None:
    for name in (
        "ingest/IN02/adverse_events.parquet",
        "validated/IN02/adverse_events.parquet",
        "harmonised/IN02/adverse_events.parquet",
        "sdtm/AE.parquet",
        "adam/ADSL.parquet",
        "ard/response.parquet",
        "tables/response/OM01.csv",
        "figures/os/F1.png",
        "notebooks/os.ipynb",
        "listings/screened_not_eligible.csv",
        "audit/india_2023-04-30_audit.zip",
        "comparison_with_publication.csv",
        "reconciliation/reconciliation.csv",
        "data_quality/data_quality.csv",
        "logs/derive_adam/ADSL.log",
    ):
        _write(cut_dir / name, mtime=when)
    _write(cut_dir / "book.html", "<html><body class='x'><h1>Book</h1></body></html>", mtime=when)


def test_a_failed_cut_keeps_its_extract_stages_and_nothing_downstream(project):
    results = project / "results"
    cut_dir = results / "india" / "2023-04-30"
    started = time.time() - 10
    _earlier_successful_run(cut_dir, started - 3600)
    _write(results / "india/compare/2022-09-30_vs_2023-04-30/comparison.html", mtime=started - 3600)
    _write(results / "india/compare/logs/2022-09-30_vs_2023-04-30.log")
    _write(cut_dir / "adam/ADAE.parquet")  # written by the failed run, downstream of good files
    _write(cut_dir / "data_quality/data_quality.html")  # only part of the report was rewritten
    job_log = _write(
        cut_dir / "logs/ingest_validate_harmonise/IN02/adverse_events.log",
        "2026-12-03 09:36:36,420 INFO inoflow.rule.x: rule x\n"
        "2026-12-03 09:36:36,500 ERROR inoflow.rule.x: 1 problem(s) in the extract:\n"
        "  - site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'AE term': AE_TERM is required\n",
    )
    step = FailedStep("ingest_validate_harmonise", ("india", "2023-04-30"), str(job_log.relative_to(project)))

    aside = set_aside(results, "india", "2023-04-30", [step], started, ".snakemake/log/run.snakemake.log")

    stamp = time.strftime("%Y-%m-%dT%H%M%S", time.localtime(started))
    assert aside == results / ".out-of-date" / "india" / "2023-04-30" / stamp
    left = sorted(p.name for p in cut_dir.iterdir())
    assert left == sorted(["ingest", "validated", "harmonised", "logs", NOTICE])
    moved = sorted(p.name for p in aside.iterdir())
    assert moved == sorted(
        [
            "adam",
            "ard",
            "audit",
            "book.html",
            "compare",
            "comparison_with_publication.csv",
            "data_quality",
            "figures",
            "listings",
            "notebooks",
            "reconciliation",
            "sdtm",
            "tables",
        ]
    )
    assert (aside / "adam" / "ADAE.parquet").is_file() and (aside / "adam" / "ADSL.parquet").is_file()
    assert (aside / "compare" / "2022-09-30_vs_2023-04-30" / "comparison.html").is_file()
    assert (results / "india/compare/logs").is_dir()  # the comparisons' logs stay
    book = (aside / "book.html").read_text(encoding="utf-8")
    assert book.startswith("<html><body class='x'><div id=\"inoflow-out-of-date\"")
    assert "OUT OF DATE. The run started " in book and f"See results/india/2023-04-30/{NOTICE}." in book
    notice = (cut_dir / NOTICE).read_text(encoding="utf-8")
    assert notice.splitlines()[:4] == [
        f"The run started {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(started))} failed for india, "
        "cut 2023-04-30. Snakemake's log of the run: .snakemake/log/run.snakemake.log",
        "",
        "Failed steps:",
        "  - ingest_validate_harmonise (log: results/india/2023-04-30/logs/ingest_validate_harmonise/IN02/adverse_events.log)",
    ]
    assert "      1 problem(s) in the extract:" in notice
    assert "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'AE term': AE_TERM is required" in notice
    assert f"were moved to results/.out-of-date/india/2023-04-30/{stamp}/" in notice


def test_reports_the_failed_run_wrote_in_full_stay(project):
    results = project / "results"
    cut_dir = results / "india" / "2023-04-30"
    started = time.time() - 10
    _earlier_successful_run(cut_dir, started - 3600)
    for name in ("data_quality.csv", "data_quality.html", "checks.csv"):
        _write(cut_dir / "data_quality" / name)
    set_aside(results, "india", "2023-04-30", [], started)
    assert sorted(p.name for p in (cut_dir / "data_quality").iterdir()) == [
        "checks.csv",
        "data_quality.csv",
        "data_quality.html",
    ]
    assert not (cut_dir / "reconciliation").exists()  # an earlier run's "balanced" does not stay


def test_the_onerror_handler_sets_aside_each_failed_cut_and_the_onsuccess_handler_clears_its_notice(project):
    results = project / "results"
    started = time.time() - 10
    _earlier_successful_run(results / "india" / "2023-04-30", started - 3600)
    _earlier_successful_run(results / "india" / "2022-09-30", started - 3600)
    log = _write(project / ".snakemake/log/run.snakemake.log", LOG.format(root=project))
    messages = after_failure([str(log)], "results", CUTS, started)  # Snakemake 9 hands over a list
    assert [m.split(":")[0] for m in messages] == ["india 2023-04-30", "italy 2022-12-31"]
    assert messages[0].startswith("india 2023-04-30: 1 step(s) failed; nothing downstream is left in place; earlier")
    assert (results / "india/2023-04-30" / NOTICE).is_file()
    assert (results / "india/2022-09-30/book.html").is_file()  # the other cut did not fail
    assert not (results / "india/2022-09-30" / NOTICE).exists()
    assert "No earlier results of this cut were in place." in (results / "italy/2022-12-31" / NOTICE).read_text()

    assert after_success("results", CUTS) == []  # no new book yet: the notice stays
    _write(results / "india/2023-04-30/book.html")
    assert after_success("results", CUTS) == ["india 2023-04-30"]
    assert not (results / "india/2023-04-30" / NOTICE).exists()


def test_no_log_no_failed_steps(project):
    assert after_failure(None, "results", CUTS, time.time()) == []
    assert after_failure(project / "missing.log", "results", CUTS, time.time()) == []


def test_error_lines_show_the_workflows_message_or_the_last_line(project):
    log = _write(project / "a.log", "2026-12-03 09:36:36,420 INFO x: start\nTraceback\n  boom\nValueError: bad\n")
    assert error_lines(log) == ["ValueError: bad"]
    many = "".join(f"2026-12-03 09:36:36,500 ERROR inoflow.rule.x: line {i}\n" for i in range(20))
    assert error_lines(_write(project / "b.log", many), limit=3) == [
        "line 0",
        "line 1",
        "line 2",
        "... (17 more lines in the log)",
    ]
    assert error_lines(project / "none.log") == []


def test_a_cut_failed_at_the_extract_stage_gets_the_findings_of_every_file_with_the_refused_ones(project):
    """The failed step wrote its findings beside its log; with those of the files read, they are
    the cut's failure report, laid out as the data-quality report; a later success removes it."""
    from inoflow.errors import Finding, findings_frame

    results = project / "results"
    cut_dir = results / "india" / "2023-04-30"
    started = time.time() - 10
    _earlier_successful_run(cut_dir, started - 3600)
    read = Finding(
        "IN03", "IN03/ALL_InO_marrow.csv", "", 4, "Blasts", "130", "BM_BLASTS is outside 0-100", "plausibility"
    )
    findings_frame([read]).to_csv(_write(cut_dir / "validated/IN03/assessments.findings.csv"), index=False)
    job_log = _write(cut_dir / "logs/ingest_validate_harmonise/IN02/adverse_events.log", "ERROR x: 1 problem(s)\n")
    refused = Finding("IN02", "IN02/IN02_adverse_events.csv", "", 2, "AE term", "", "AE_TERM is required")
    findings_frame([refused]).to_csv(failed_findings_path(job_log), index=False)
    step = FailedStep("ingest_validate_harmonise", ("india", "2023-04-30"), str(job_log.relative_to(project)))

    set_aside(results, "india", "2023-04-30", [step], started)

    table = pd.read_csv(cut_dir / "data_quality" / "failed_run.csv", keep_default_na=False)
    assert table[["site", "file", "row", "rule", "stage"]].values.tolist() == [
        ["IN02", "IN02/IN02_adverse_events.csv", 2, "AE_TERM is required", "extract"],
        ["IN03", "IN03/ALL_InO_marrow.csv", 4, "BM_BLASTS is outside 0-100", "extract"],
    ]
    page = (cut_dir / "data_quality" / "failed_run.html").read_text(encoding="utf-8")
    assert "failed before the common model was checked" in page and "AE_TERM is required" in page
    notice = (cut_dir / NOTICE).read_text(encoding="utf-8")
    assert (
        "The extract stage's 2 finding(s), refused files included: results/india/2023-04-30/data_quality/failed_run.html"
        in notice
    )
    assert not (cut_dir / "data_quality" / "data_quality.csv").exists()  # the earlier report went aside

    _write(cut_dir / "book.html")
    assert after_success("results", CUTS) == ["india 2023-04-30"]
    assert not (cut_dir / "data_quality" / "failed_run.csv").exists()
    assert not (cut_dir / "data_quality" / "failed_run.html").exists()


def test_an_earlier_failure_report_does_not_make_this_runs_data_quality_report_look_stale(project):
    """Run 1 failed at the extract stage (failed_run.* written); run 2 wrote the data-quality
    report, then its book stopped at the gate: the report stays, the old failure report goes."""
    results = project / "results"
    cut_dir = results / "india" / "2023-04-30"
    started = time.time() - 10
    _earlier_successful_run(cut_dir, started - 3600)
    for name in ("failed_run.csv", "failed_run.html"):
        _write(cut_dir / "data_quality" / name, mtime=started - 600)
    (cut_dir / "data_quality" / "data_quality.csv").unlink()
    for name in ("data_quality.csv", "data_quality.html", "checks.csv"):
        _write(cut_dir / "data_quality" / name)
    step = FailedStep("assemble_book", ("india", "2023-04-30"), "results/india/2023-04-30/logs/assemble_book/book.log")
    set_aside(results, "india", "2023-04-30", [step], started)
    assert sorted(p.name for p in (cut_dir / "data_quality").iterdir()) == [
        "checks.csv",
        "data_quality.csv",
        "data_quality.html",
    ]
    assert "refused files included" not in (cut_dir / NOTICE).read_text(encoding="utf-8")
