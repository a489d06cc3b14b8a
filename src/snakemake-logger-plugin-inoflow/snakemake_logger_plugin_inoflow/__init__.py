"""Snakemake logger plugin ``inoflow``: a terminal one can read, one line per job.

Selected with ``--logger inoflow`` (the profile in profiles/default/ selects it). Snakemake
finds logger plugins by their package name, ``snakemake_logger_plugin_<name>``. On the
terminal each finished job is one line::

    [ 12/210] ingest_validate_harmonise india/2023-04-30/IN02/labs  done in 3.1 s

with its rule, its wildcard values, the count of finished jobs and how long it ran ("restored
from the cache" instead of "done" when the job's log says its outputs were restored from the
project's output cache, inoflow.cache); then
warnings, errors (the failed job, its log and the last lines of that log with
``--show-failed-logs``) and the path of the complete log. Nothing is lost: every job's own
log holds what it did, and the complete log of the run (``.snakemake/log/``, written by
Snakemake's own file handler, which this plugin does not replace) keeps every job's inputs,
outputs and reason. No line is longer than ``MAX_LINE`` characters.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent
from snakemake_interface_logger_plugins.settings import LogHandlerSettingsBase

MAX_LINE = 300
# messages of Snakemake's that say nothing a reader of the terminal needs
_NOISE = ("Select jobs to execute...", "Assuming unrestricted shared filesystem usage.")
# what a cached step writes to its log when its outputs were restored (inoflow.cache), and the
# summary line of a job made of parts: "output cache: 22 of 29 parts restored; computed: ..."
RESTORED = "restored from cache entry"
PARTS = re.compile(r"output cache: (\d+) of (\d+) parts restored")


def is_noise(line: str) -> bool:
    """Said once per job or once per run, and nothing a reader needs (the complete log keeps it)."""
    return line in _NOISE


def how_done(logs: list[str]) -> str:
    """What a finished job's logs say of the output cache: "restored from the cache" (all its
    outputs), "done, 22 of 29 parts restored from the cache", or "done"."""
    for log in logs:
        try:
            with open(log, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        counts = PARTS.findall(text)
        if counts:
            restored, total = (int(n) for n in counts[-1])
            if restored and restored == total:
                return "restored from the cache"
            return f"done, {restored} of {total} parts restored from the cache" if restored else "done"
        if RESTORED in text:
            return "restored from the cache"
    return "done"


def short_reason(reason: str) -> str:
    """Why a job runs, without its file lists: "Missing output files; Code has changed since last execution"."""
    return "; ".join(part.split(":")[0].strip() for part in reason.split(";") if part.strip())


@dataclass
class LogHandlerSettings(LogHandlerSettingsBase):
    failed_log_lines: int = field(
        default=40,
        metadata={
            "help": "With --show-failed-logs: how many of the last lines of a failed job's log to show.",
            "type": int,
        },
    )


def clip(line: str, width: int = MAX_LINE) -> str:
    """One terminal line: tabs and carriage returns flattened, cut at ``width`` characters."""
    line = line.replace("\t", " ").replace("\r", "")
    return line if len(line) <= width else line[: width - 5] + " [..]"


def job_label(rule: str, wildcards: dict | None) -> str:
    """``rule value/value/...``: the rule and its wildcard values (study, cut, site, ...)."""
    values = "/".join(str(v) for v in (wildcards or {}).values())
    return f"{rule} {values}" if values else rule


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s"


def log_tail(path: str, lines: int) -> list[str]:
    """The last ``lines`` lines of a failed job's log, framed, or why there is nothing to show."""
    file = Path(path)
    if not file.exists():
        return [f"    (log {path} was not written: the job failed before opening it; its own error output is above)"]
    try:
        text = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        return [f"    (log {path} could not be read: {error})"]
    if not text:
        return [f"    (log {path} is empty)"]
    shown = text[-lines:]
    head = (
        f"    --- {path}: last {len(shown)} of {len(text)} lines ---"
        if len(shown) < len(text)
        else f"    --- {path} ---"
    )
    return [head, *(f"    | {line}" for line in shown), "    ---"]


class LogHandler(LogHandlerBase):
    """Writes the run to the terminal, one line per finished job (see the module docstring)."""

    def __post_init__(self) -> None:
        settings = self.settings if isinstance(self.settings, LogHandlerSettings) else LogHandlerSettings()
        self.failed_log_lines = settings.failed_log_lines
        self.stream = sys.stdout if getattr(self.common_settings, "stdout", False) else sys.stderr
        self.quiet = {str(q).lower() for q in (self.common_settings.quiet or ())}
        self.color = not self.common_settings.nocolor and bool(getattr(self.stream, "isatty", lambda: False)())
        self.jobs: dict[int, tuple[str, float, list[str]]] = {}  # jobid -> (label, start time, logs)
        self.finished: list[tuple[str, float, list[str]]] = []  # finished, waiting for the progress count

    # the LogHandlerBase contract: a stream handler with its own filter and formatter
    @property
    def writes_to_stream(self) -> bool:
        return True

    @property
    def writes_to_file(self) -> bool:
        return False

    @property
    def has_filter(self) -> bool:
        return True

    @property
    def has_formatter(self) -> bool:
        return True

    @property
    def needs_rulegraph(self) -> bool:
        return False

    def quiet_about(self, what: str) -> bool:
        return what in self.quiet or ("all" in self.quiet and not self.common_settings.dryrun)

    def write(self, lines: list[str], level: int = logging.INFO) -> None:
        colour = {logging.WARNING: "\033[33m", logging.ERROR: "\033[31m", logging.CRITICAL: "\033[31m"}.get(level)
        for line in lines:
            line = clip(line)
            self.stream.write(f"{colour}{line}\033[0m\n" if self.color and colour else f"{line}\n")
        self.stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            lines = self.lines_of(record)
            if lines:
                self.write(lines, record.levelno)
        except Exception:  # a logger must never end the run
            self.handleError(record)

    def lines_of(self, record: logging.LogRecord) -> list[str]:
        event = getattr(record, "event", None)
        if record.levelno >= logging.ERROR:
            return self.error_lines(record, event)
        if self.quiet_about("all") or (record.levelno < logging.INFO and not self.common_settings.verbose):
            return []
        if event == LogEvent.JOB_INFO:
            return self.job_info(record)
        if event == LogEvent.JOB_FINISHED:
            self.finished.append(self.jobs.pop(record.job_id, (f"job {record.job_id}", record.created, [])))
            return []
        if event == LogEvent.PROGRESS:
            return self.progress(record)
        if event == LogEvent.SHELLCMD:
            command = getattr(record, "shellcmd", None) or getattr(record, "cmd", None)
            if not command or not self.common_settings.printshellcmds or self.quiet_about("rules"):
                return []  # script and notebook rules have no shell command
            return [f"    $ {line}" for line in str(command).strip().splitlines()]
        if event == LogEvent.RUN_INFO:
            return [] if self.quiet_about("progress") else self.message(record)
        if event in (LogEvent.WORKFLOW_STARTED, LogEvent.JOB_STARTED, LogEvent.RULEGRAPH, LogEvent.GROUP_INFO):
            return []  # the header and "Execute n jobs..." stay in the complete log
        if event == LogEvent.DEBUG_DAG:
            job = getattr(record, "job", None)
            return [f"{record.status} job {job_label(job.rule.name, dict(job.wildcards_dict))}"] if job else []
        if event == LogEvent.RESOURCES_INFO and self.quiet_about("progress"):
            return []
        lines = self.message(record)
        return [] if len(lines) == 1 and is_noise(lines[0]) else lines

    @staticmethod
    def message(record: logging.LogRecord) -> list[str]:
        text = record.getMessage() if record.msg is not None else ""
        return [] if text in ("", "None") else text.rstrip().splitlines()

    def job_info(self, record: logging.LogRecord) -> list[str]:
        label = job_label(record.rule_name, getattr(record, "wildcards", None))
        logs = [str(path) for path in getattr(record, "log", None) or []]
        self.jobs[record.jobid] = (label, record.created, logs)
        if not self.common_settings.dryrun or self.quiet_about("rules"):
            return []
        reason = "" if self.quiet_about("reason") else f"  ({short_reason(str(record.reason))})"
        return [f"  {label}{reason}"]

    def progress(self, record: logging.LogRecord) -> list[str]:
        done, total = record.done, record.total
        finished, self.finished = self.finished, []
        if self.quiet_about("progress"):
            return []
        width = len(str(total))
        first = done - len(finished) + 1
        lines = []
        for k, (label, started, logs) in enumerate(finished, start=first):
            how = how_done(logs)
            lines.append(f"[{k:>{width}}/{total}] {label}  {how} in {duration(record.created - started)}")
        return lines

    def error_lines(self, record: logging.LogRecord, event: LogEvent | None) -> list[str]:
        if event == LogEvent.JOB_ERROR:
            label, started, _ = self.jobs.pop(record.jobid, (job_label(record.rule_name, None), record.created, []))
            logs = list(getattr(record, "log", None) or [])
            lines = [f"FAILED {label} (job {record.jobid}) after {duration(record.created - started)}"]
            if record.rule_msg:
                lines.append(f"    message: {record.rule_msg}")
            lines += [f"    log: {path}" for path in logs] or ["    (the rule has no log)"]
            if self.common_settings.show_failed_logs:
                for path in logs:
                    lines += log_tail(path, self.failed_log_lines)
            return lines
        if event == LogEvent.GROUP_ERROR:  # each of its jobs' errors follows
            return [f"FAILED group {getattr(record, 'groupid', '')}"]
        return self.message(record)
