"""Validate a derived ADaM dataset against its pandera model (schemas/adam.py), lazily.

Every failure is collected and reported together, each naming the dataset and rule, the record
(its key variables), the variable and value, and where the record came from: the site, file,
sheet and row of its source record. A record that carries its source row (SRCFILE, SRCSHEET,
SRCROW) names it; one that names its source by domain and sequence number (SRCDOM, SRCSEQ: ADaM
traceability) is looked up in that source; any other record of a subject points at the
subject's row of the patients file (DM).

Before the model is checked, a record whose subject is not in the common model's DM (its
patient is not in the site's patient list: a mistyped id, a patient left out of the patients
file or set aside there) is reported as such, by itself: the model's complaints about the same
record (no SITEID, no STUDYID) would only follow from it.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pandera.pandas as pa

from inoflow.errors import Finding, InoflowError, shown_id, shown_value
from inoflow.schemas.adam import MODELS as ADAM_MODELS
from inoflow.schemas.adam import RECORD_KEYS

__all__ = ["ADAM_MODELS", "AdamError", "AdamFinding", "adam_findings", "validate_adam"]

log = logging.getLogger(__name__)

# the datasets whose every subject is a subject of DM (ADELIG also holds patients screened
# and not enrolled, who have a screening record only)
OF_DM_SUBJECTS = frozenset({"ADSL", "ADRS", "ADAE", "ADTTE", "ADRU"})

RANGE_WORDS = {
    "greater_than_or_equal_to": (">=", "min_value"),
    "greater_than": (">", "min_value"),
    "less_than_or_equal_to": ("<=", "max_value"),
    "less_than": ("<", "max_value"),
    "equal_to": ("==", "value"),
    "not_equal_to": ("!=", "value"),
}


@dataclass(frozen=True)
class AdamFinding(Finding):
    """A failed check on a record (or the whole) of an ADaM dataset."""

    dataset: str = ""
    record: str = ""  # the record's key variables, e.g. "USUBJID=INO-IND-RWS-IN01-P001 PARAMCD=OS"

    def __post_init__(self) -> None:
        # the values of a derived dataset come from validated data (codes, ids, dates, numbers):
        # only text an identifier pattern matches is masked (inoflow.errors.shown_value)
        value = "" if self.value is None else str(self.value)
        object.__setattr__(self, "value", shown_value(value, words=False))

    def describe(self) -> str:
        parts = [f"record {self.record}"] if self.record else []
        if self.site:
            parts.append(f"site {self.site}")
        if self.file:
            parts.append(f"file {self.file}")
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.value != "":
            parts.append(f"value {self.value!r}")
        return f"{', '.join(parts) or self.dataset}: {self.rule}"


class AdamError(InoflowError):
    """A derived ADaM dataset breaks its model (schemas/adam.py)."""

    def __init__(self, dataset: str, findings: list[AdamFinding], max_listed: int = 25):
        self.dataset = dataset
        self.findings = findings
        lines = [f"  - {f.describe()}" for f in findings[:max_listed]]
        if len(findings) > max_listed:
            lines.append(f"  ... and {len(findings) - max_listed} more")
        super().__init__(f"{dataset}: {len(findings)} problem(s) in the analysis dataset:\n" + "\n".join(lines))


def validate_adam(name: str, dataset: pd.DataFrame, sources: dict[str, pd.DataFrame] | None = None) -> None:
    """Validate one derived ADaM dataset (``ADSL``, ``ADRS``, ``ADAE``, ``ADTTE``, ``ADELIG``)
    against its model; raise :class:`AdamError` listing every failure.

    ``sources``: the SDTM domains and ADaM datasets it was derived from, by name. With them, a
    record of a subject missing from DM is reported as such, and every finding names the file
    and row of the record's source.
    """
    if name not in ADAM_MODELS:
        raise ValueError(f"no ADaM model for {name}; known: {sorted(ADAM_MODELS)}")
    data = dataset.reset_index(drop=True)
    sources = sources or {}
    orphans = orphan_findings(name, data, sources["DM"]) if "DM" in sources and name in OF_DM_SUBJECTS else []
    if orphans:
        raise AdamError(name, orphans)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pandera's own concatenation of failure cases
            ADAM_MODELS[name].validate(data, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise AdamError(name, adam_findings(name, data, exc, source_rows(data, sources))) from None
    log.info("%s: %d records pass the ADaM schema", name, len(data))


def _subject_id(usubjid: str, dm: pd.DataFrame) -> tuple[str, str]:
    """(site, the site's patient id) of a USUBJID built as STUDYID-SITEID-SUBJID."""
    for studyid in dm["STUDYID"].dropna().unique():
        for site in dm["SITEID"].dropna().unique():
            prefix = f"{studyid}-{site}-"
            if usubjid.startswith(prefix):
                return site, usubjid[len(prefix) :]
    return "", usubjid


def orphan_findings(name: str, data: pd.DataFrame, dm: pd.DataFrame) -> list[AdamFinding]:
    """One finding per record whose subject is not in DM: "patient 02-0904 in
    IN02/IN02_adverse_events.csv row 12 is not in the site's patient list"."""
    if "USUBJID" not in data.columns or data.empty:
        return []
    known = set(dm["USUBJID"].dropna())
    findings = []
    for _, record in data[data["USUBJID"].notna() & ~data["USUBJID"].isin(known)].iterrows():
        site, raw = _subject_id(str(record["USUBJID"]), dm)
        patient = shown_id(raw)  # a name typed into the id column is masked
        file, row = _text(record.get("SRCFILE")), record.get("SRCROW")
        row = None if row is None or pd.isna(row) else int(row)
        where = f" in {file}" + (f" row {row}" if row is not None else "") if file else ""
        rule = (
            f"{name}: patient {patient}{where} is not in the site's patient list (no DM record): a mistyped "
            "patient id, or a patient missing from the patients file or set aside there?"
        )
        keys = [k for k in RECORD_KEYS.get(name, []) if k in record.index]
        findings.append(
            AdamFinding(
                site=_text(record.get("SITEID")) or site,
                file=file,
                sheet=_text(record.get("SRCSHEET")),
                row=row,
                column="USUBJID",
                value="",
                rule=rule,
                category="conformance",
                dataset=name,
                record=" ".join(f"{k}={_text(record[k])}" for k in keys).replace(raw, patient),
            )
        )
    return findings


def source_rows(data: pd.DataFrame, sources: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per record (same index as ``data``): the SRCFILE, SRCSHEET and SRCROW of its source
    record: its own, else the record its SRCDOM and SRCSEQ name in ``sources``, else its
    subject's record in DM."""
    columns = ["SRCFILE", "SRCSHEET", "SRCROW"]
    where = pd.DataFrame({c: data[c] if c in data.columns else None for c in columns}, index=data.index).astype(object)
    missing = where["SRCFILE"].isna() | (where["SRCFILE"] == "")
    if not missing.any() or "USUBJID" not in data.columns:
        return where
    if {"SRCDOM", "SRCSEQ"} <= set(data.columns):
        for domain, group in data[missing].groupby("SRCDOM"):
            table = sources.get(domain)
            seq = f"{domain}SEQ" if table is not None and f"{domain}SEQ" in table.columns else "ASEQ"
            if table is None or seq not in table.columns or not set(columns) <= set(table.columns):
                continue
            lookup = table.dropna(subset=["SRCFILE"]).drop_duplicates(["USUBJID", seq]).set_index(["USUBJID", seq])
            keys = zip(group["USUBJID"], pd.to_numeric(group["SRCSEQ"], errors="coerce"), strict=True)
            for index, key in zip(group.index, keys, strict=True):
                if key in lookup.index:
                    where.loc[index, columns] = lookup.loc[key, columns].tolist()
        missing = where["SRCFILE"].isna() | (where["SRCFILE"] == "")
    dm = sources.get("DM")
    if missing.any() and dm is not None and set(columns) <= set(dm.columns):
        lookup = dm.drop_duplicates("USUBJID").set_index("USUBJID")
        for index in where.index[missing]:
            subject = data.at[index, "USUBJID"]
            if subject in lookup.index:
                where.loc[index, columns] = lookup.loc[subject, columns].tolist()
    return where


def adam_findings(
    name: str, data: pd.DataFrame, exc: pa.errors.SchemaErrors, where: pd.DataFrame | None = None
) -> list[AdamFinding]:
    """One finding per failing record and check (or per dataset-level failure), in record order
    (``where``: each record's source row, :func:`source_rows`; default the record's own)."""
    findings: list[tuple[int, AdamFinding]] = []
    for error in exc.schema_errors:
        check = error.check
        statistics = getattr(check, "statistics", None) or {}
        if "columns" in statistics:  # a record-level rule (schemas.adam.record_check)
            columns = statistics["columns"]
            rule, category = f"{name}: {check.error}", statistics.get("category", "conformance")
        else:
            columns = [error.column_name] if isinstance(error.column_name, str) else []
            rule, category = _field_rule(name, error, columns[0] if columns else "")
        cases = error.failure_cases
        if not isinstance(cases, pd.DataFrame) or "index" not in cases.columns or cases["index"].isna().all():
            findings.append((-1, _dataset_finding(name, error, columns, rule, category)))
            continue
        for index in pd.unique(cases["index"].dropna()):
            record = data.loc[index]
            if "columns" in statistics:
                value = _values(record, columns)
            else:
                value = _text(cases.loc[cases["index"] == index, "failure_case"].iloc[0])
            source = record if where is None else where.loc[index]
            findings.append(
                (int(index), _locate(name, record, source, columns[0] if columns else "", value, rule, category))
            )
    findings.sort(key=lambda item: (item[0], item[1].column, item[1].rule))
    return [finding for _, finding in findings]


def _dataset_finding(name: str, error, columns: list[str], rule: str, category: str) -> AdamFinding:
    """A failure of the dataset as a whole: a missing or undeclared column, a wrong type, a
    check that could not run."""
    cases = error.failure_cases
    text = "" if isinstance(cases, pd.DataFrame) else _text(cases)
    reason = error.reason_code.name
    column, value = (columns[0] if columns else ""), text
    if reason in ("COLUMN_NOT_IN_DATAFRAME", "COLUMN_NOT_IN_SCHEMA"):
        column, value = text, ""
    elif reason == "INVALID_COLUMN_NAME":
        column, value = re.sub(r"^no_regex_column_match\('(.*)'\)$", r"\1", str(error.check)), ""
    elif reason == "CHECK_ERROR":
        rule, value = f"{rule} (the check could not run: {text})", ""
    return AdamFinding("", "", "", None, column, value, rule, category, name, "")


def _locate(
    name: str, record: pd.Series, source: pd.Series, column: str, value: str, rule: str, category: str
) -> AdamFinding:
    keys = [k for k in RECORD_KEYS.get(name, []) if k in record.index]
    row = source.get("SRCROW", pd.NA)
    return AdamFinding(
        site=_text(record.get("SITEID")),
        file=_text(source.get("SRCFILE")),
        sheet=_text(source.get("SRCSHEET")),
        row=None if row is None or pd.isna(row) else int(row),
        column=column,
        value=value,
        rule=rule,
        category=category,
        dataset=name,
        record=" ".join(f"{k}={_text(record[k])}" for k in keys),
    )


def _field_rule(name: str, error, column: str) -> tuple[str, str]:
    """The rule a pandera column-level failure breaks, in words, and its category."""
    check = error.check
    reason = error.reason_code.name
    if reason == "COLUMN_NOT_IN_DATAFRAME":
        return f"{name}: a variable of the specification is missing from the dataset", "completeness"
    if reason == "COLUMN_NOT_IN_SCHEMA":
        return f"{name}: the column is not a variable of the dataset specification", "conformance"
    if reason == "INVALID_COLUMN_NAME":
        return f"{name}: the specification needs a column matching this pattern", "completeness"
    if reason == "SERIES_CONTAINS_NULLS":
        return f"{name}: {column} is required (the value is missing)", "completeness"
    if reason == "WRONG_DATATYPE":
        expected = re.sub(r"^dtype\('(.*)'\)$", r"\1", str(check))
        return f"{name}: {column} must have type {expected}", "conformance"
    if reason == "SERIES_CONTAINS_DUPLICATES":
        return f"{name}: {column} must be unique", "conformance"
    check_name = getattr(check, "name", str(check))
    statistics = getattr(check, "statistics", None) or {}
    if check_name == "isin":
        return f"{name}: {column} must be {_alternatives(statistics['allowed_values'])}", "conformance"
    if check_name == "str_matches":
        return f"{name}: {column} must match the pattern {statistics['pattern']}", "conformance"
    if check_name == "in_range":
        low, high = statistics["min_value"], statistics["max_value"]
        return f"{name}: {column} must be between {low} and {high}", "plausibility"
    if check_name in RANGE_WORDS:
        symbol, key = RANGE_WORDS[check_name]
        return f"{name}: {column} must be {symbol} {statistics[key]}", "plausibility"
    return f"{name}: {column} {getattr(check, 'error', None) or check}", "conformance"


def _alternatives(values: list[Any]) -> str:
    """``[0, 1]`` as ``0 or 1``; ``['A', 'B', 'C']`` as ``one of 'A', 'B' or 'C'``."""
    shown = [repr(v) if isinstance(v, str) else str(v) for v in values]
    if len(shown) == 1:
        return shown[0]
    listed = f"{', '.join(shown[:-1])} or {shown[-1]}"
    return listed if len(shown) == 2 else f"one of {listed}"


def _values(record: pd.Series, columns: list[str]) -> str:
    """The values a record-level rule looked at: the value alone for one variable, else
    ``AVAL 8, ADT 2020-01-10, STARTDT 2020-01-01``."""
    present = [c for c in columns if c in record.index]
    if len(present) == 1:
        return _text(record[present[0]])
    return ", ".join(f"{c} {_text(record[c]) or 'missing'}" for c in present)


def _text(value: Any) -> str:
    """A value as text: dates at midnight as ISO dates, missing as empty."""
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    return str(value)
