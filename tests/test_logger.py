"""The workflow's terminal: the Snakemake logger plugin ``inoflow`` (src/snakemake-logger-plugin-inoflow/).

Snakemake's own contract tests for logger plugins (snakemake_interface_logger_plugins.tests),
then what a reader of the terminal sees for the events of a run: one line per finished job with
its count and time, no ``Shell command: None``, a failed job with its log, no line over 300
characters. The whole run's terminal is measured in tests/test_workflow.py.
"""

from __future__ import annotations

import io
import logging

import pytest
from snakemake_interface_logger_plugins.common import LogEvent
from snakemake_interface_logger_plugins.registry import LoggerPluginRegistry
from snakemake_interface_logger_plugins.tests import MockOutputSettings, TestLogHandlerBase
from snakemake_logger_plugin_inoflow import MAX_LINE, LogHandler, LogHandlerSettings


class TestInoflowLogHandler(TestLogHandlerBase):
    """Snakemake's contract: instantiation, the abstract properties, every event emitted."""

    __test__ = True

    def get_log_handler_cls(self):
        return LogHandler

    def get_log_handler_settings(self):
        return LogHandlerSettings()


def test_snakemake_finds_the_plugin_by_its_package_name():
    assert LoggerPluginRegistry().is_installed("inoflow")


def make_handler(**settings) -> tuple[LogHandler, io.StringIO]:
    common = MockOutputSettings()
    for name, value in settings.items():
        setattr(common, name, value)
    handler = LogHandler(common, LogHandlerSettings(failed_log_lines=3))
    handler.stream = io.StringIO()
    return handler, handler.stream


def emit(handler: LogHandler, msg: str | None, at: float, level: int = logging.INFO, **extra) -> None:
    record = logging.LogRecord("snakemake.logging", level, "jobs.py", 1, msg, None, None)
    record.created = at
    record.__dict__.update(extra)
    handler.handle(record)


def job_info(handler: LogHandler, jobid: int, rule: str, wildcards: dict, at: float, **extra) -> None:
    emit(
        handler,
        f" Rule: {rule}, Jobid: {jobid}",
        at,
        event=LogEvent.JOB_INFO,
        jobid=jobid,
        rule_name=rule,
        rule_msg=None,
        wildcards=wildcards,
        reason="Missing output files: a.parquet, b.parquet; Code has changed since last execution",
        **extra,
    )
    emit(handler, "Shell command: None", at, event=LogEvent.SHELLCMD, shellcmd=None)


def finished(handler: LogHandler, jobid: int, done: int, total: int, at: float) -> None:
    emit(handler, f"Finished jobid: {jobid}", at, event=LogEvent.JOB_FINISHED, job_id=jobid)
    emit(handler, None, at, event=LogEvent.PROGRESS, done=done, total=total)


def test_one_line_per_finished_job_with_its_wildcards_count_and_time():
    """Test 1: two jobs run side by side; each finished job is one line, in the order they end."""
    handler, out = make_handler()
    job_info(
        handler,
        7,
        "ingest_validate_harmonise",
        {"study": "india", "cut": "2023-04-30", "site": "IN02", "domain": "labs"},
        100.0,
    )
    job_info(handler, 9, "derive_adam", {"study": "italy", "cut": "2022-12-31", "adam": "ADSL"}, 101.0)
    emit(handler, "Execute 2 jobs...", 101.0, event=LogEvent.JOB_STARTED, jobs=[7, 9])
    emit(handler, "Select jobs to execute...", 101.0)
    finished(handler, 9, 1, 210, 104.25)
    finished(handler, 7, 2, 210, 183.0)
    assert out.getvalue().splitlines() == [
        "[  1/210] derive_adam italy/2022-12-31/ADSL  done in 3.2 s",
        "[  2/210] ingest_validate_harmonise india/2023-04-30/IN02/labs  done in 1 min 23 s",
    ]


def test_a_job_restored_from_the_output_cache_says_so(tmp_path):
    """Test 2: a job whose log says its outputs were restored from the project's output cache
    (inoflow.cache) is marked; one that computed and stored them is "done"."""
    stored, restored = tmp_path / "a.log", tmp_path / "b.log"
    stored.write_text("INFO inoflow.cache: stored in cache entry 33958868e331 (1 files)\n", encoding="utf-8")
    restored.write_text("INFO inoflow.cache: restored from cache entry 33958868e331 (1 files, SHA-256 verified)\n")
    handler, out = make_handler()
    job_info(handler, 1, "pool_sdtm_dosing", {"study": "india", "cut": "2022-09-30"}, 0.0, log=[str(stored)])
    job_info(handler, 2, "pool_sdtm_dosing", {"study": "india", "cut": "2023-04-30"}, 0.0, log=[str(restored)])
    job_info(handler, 3, "pool_sdtm_dosing", {"study": "italy", "cut": "2022-12-31"}, 0.0, log=[str(tmp_path / "no")])
    finished(handler, 1, 1, 3, 1.0)
    finished(handler, 2, 2, 3, 1.5)
    finished(handler, 3, 3, 3, 2.0)
    assert out.getvalue().splitlines() == [
        "[1/3] pool_sdtm_dosing india/2022-09-30  done in 1.0 s",
        "[2/3] pool_sdtm_dosing india/2023-04-30  restored from the cache in 1.5 s",
        "[3/3] pool_sdtm_dosing italy/2022-12-31  done in 2.0 s",
    ]


def test_a_failed_job_names_its_log_and_shows_its_last_lines(tmp_path):
    """Test 3: with --show-failed-logs, the last lines of the failed job's log (3 here), each
    line clipped to 300 characters; a log the job never wrote is said to be missing."""
    log = tmp_path / "IN03" / "transplants.log"
    log.parent.mkdir()
    log.write_text("line 1\nline 2\nline 3\nERROR " + "x" * 500 + "\n", encoding="utf-8")
    handler, out = make_handler(show_failed_logs=True)
    wildcards = {"study": "india", "cut": "2022-09-30", "site": "IN03", "domain": "transplants"}
    job_info(handler, 24, "ingest_validate_harmonise", wildcards, 10.0)
    error = dict(event=LogEvent.JOB_ERROR, jobid=24, rule_name="ingest_validate_harmonise", rule_msg=None)
    emit(handler, "Error in rule ingest_validate_harmonise, jobid: 24", 12.5, logging.ERROR, **error, log=[str(log)])
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "FAILED ingest_validate_harmonise india/2022-09-30/IN03/transplants (job 24) after 2.5 s",
        f"    log: {log}",
        f"    --- {log}: last 3 of 4 lines ---",
    ]
    assert lines[3:5] == ["    | line 2", "    | line 3"]
    assert lines[5].startswith("    | ERROR xxx") and lines[5].endswith(" [..]") and len(lines[5]) == MAX_LINE
    assert lines[6] == "    ---"

    handler, out = make_handler(show_failed_logs=True)
    missing = tmp_path / "never.log"
    emit(handler, "Error in rule derive_adam", 1.0, logging.ERROR, **{**error, "jobid": 3, "log": [str(missing)]})
    assert out.getvalue().splitlines()[-1] == (
        f"    (log {missing} was not written: the job failed before opening it; its own error output is above)"
    )


def test_no_shell_command_none_and_no_long_lines():
    """Test 4: a script rule's "Shell command: None" is not shown; a shell rule's command is,
    with --printshellcmds; Snakemake's messages keep to 300 characters a line."""
    handler, out = make_handler(printshellcmds=True)
    emit(handler, "Shell command: None", 0.0, event=LogEvent.SHELLCMD, shellcmd=None)
    emit(handler, "Shell command: touch x", 0.0, event=LogEvent.SHELLCMD, shellcmd="touch x")
    emit(handler, "Reasons:\n    " + ", ".join(["pool_sdtm_transplants_transfusions"] * 40), 0.0)
    lines = out.getvalue().splitlines()
    assert lines[0] == "    $ touch x"
    assert lines[1] == "Reasons:"
    assert max(len(line) for line in lines) == MAX_LINE


@pytest.mark.parametrize(("quiet", "shown"), [(set(), 1), ({"progress"}, 0), ({"all"}, 0)])
def test_quiet_progress_hides_the_job_lines(quiet, shown):
    from snakemake.settings.enums import Quietness

    handler, out = make_handler(quiet={Quietness.parse_choice(q) for q in quiet})
    job_info(handler, 1, "all", {}, 0.0)
    finished(handler, 1, 1, 1, 0.1)
    assert len(out.getvalue().splitlines()) == shown
    emit(handler, "Error in rule x", 0.2, logging.ERROR)  # errors are always shown
    assert out.getvalue().splitlines()[-1] == "Error in rule x"


def test_a_dry_run_lists_each_job_with_why_it_would_run():
    handler, out = make_handler(dryrun=True)
    job_info(handler, 4, "derive_adam", {"study": "india", "cut": "2023-04-30", "adam": "ADTTE"}, 0.0)
    assert out.getvalue().splitlines() == [
        "  derive_adam india/2023-04-30/ADTTE  (Missing output files; Code has changed since last execution)"
    ]
