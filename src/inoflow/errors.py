"""Errors a statistician can read: each names where the problem is and which rule it breaks."""

from __future__ import annotations

from dataclasses import asdict, dataclass


class InoflowError(Exception):
    """Base of the workflow's own errors; the Snakemake scripts print these without a traceback."""


class ConfigError(InoflowError):
    """A configuration file is missing, malformed or inconsistent with the contract."""


class UnknownNameError(ConfigError):
    """A study, cut, site, output id or target that the configuration does not know (a typo):
    one line naming the value and the valid ones; command lines exit 2."""


def shown_value(value: str, words: bool = True) -> str:
    """What a finding may show of a cell: numbers, dates, ids, codes, units and clinical words
    as written; any other word masked but its first letter (``J*** S****``), and text that
    looks like an identifier masked whole (:func:`inoflow.extract.deid.display_form`). A
    finding, its message, a log, a report never carry a name typed into a cell. ``words=False``
    for values derived from validated data (the ADaM stage): only identifier patterns masked."""
    if not value:
        return value
    from inoflow.extract.deid import display_form  # imported late: deid reads the working folder's rules

    return display_form(value, words)


def shown_id(value: str) -> str:
    """A patient id as a message may name it: as sent when it reads as an id (one token with a
    digit: ``02-0031``, ``SCR-01-004``, ``KMC/ALL/001``), else as :func:`shown_value` shows
    text (a name typed into the id column: ``R***** K****``)."""
    value = str(value)
    if value and not any(c.isspace() for c in value) and any(c.isdigit() for c in value):
        return shown_value(value, words=False)
    return shown_value(value)


@dataclass(frozen=True)
class Finding:
    """One failed check on one cell (or row, or file) of an extract.

    ``value`` is stored as :func:`shown_value` shows it, whoever builds the finding: no path
    can forget to mask a cell's text."""

    site: str
    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    rule: str
    category: str = "conformance"  # conformance | completeness | plausibility (OHDSI DQD)

    def __post_init__(self) -> None:
        value = "" if self.value is None else str(self.value)
        shown = shown_value(value)
        if shown != self.value:
            object.__setattr__(self, "value", shown)

    def describe(self) -> str:
        where = f"site {self.site}, file {self.file}"
        if self.sheet:
            where += f", sheet {self.sheet!r}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        value = "" if self.value == "" else f", value {self.value!r}"
        return f"{where}{value}: {self.rule}"


FINDING_COLUMNS = list(Finding.__dataclass_fields__)


def findings_frame(findings: list[Finding]):
    """Findings as a pandas DataFrame (one row each, columns :data:`FINDING_COLUMNS`)."""
    import pandas as pd

    return pd.DataFrame([asdict(f) for f in findings], columns=FINDING_COLUMNS)


class ExtractError(InoflowError):
    """An extract breaks its site's declared layout or the contract."""

    def __init__(self, findings: list[Finding], max_listed: int = 25):
        self.findings = findings
        lines = [f"  - {f.describe()}" for f in findings[:max_listed]]
        if len(findings) > max_listed:
            lines.append(f"  ... and {len(findings) - max_listed} more (see the validation report)")
        super().__init__(f"{len(findings)} problem(s) in the extract:\n" + "\n".join(lines))
