"""De-identification gate: refuse an extract that carries direct identifiers.

Hospitals send de-identified extracts; before anything is validated or written, each ingested
extract is checked for the identifiers listed in ``config/deidentification.yaml``: names, phone
numbers, e-mail and street addresses, national identity numbers (Aadhaar, codice fiscale, ...),
medical record / hospital numbers, and birth dates finer than the year. A column is flagged when
its name says it holds an identifier (and a cell is filled) or when any cell's text looks like
one. A finding names the site, file, sheet, column, the kind of identifier and how many cells,
but never the value: the error text, the findings and the logs carry nothing identifying.

Works on the pyarrow table :func:`inoflow.extract.ingest.read_extract` returns (or a pandas DataFrame
of text cells); the provenance columns are skipped. Each column's distinct values are checked
once, so a long laboratory file with few distinct values is quick.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from inoflow.config import read_yaml
from inoflow.errors import ConfigError, ExtractError, Finding
from inoflow.extract.ingest import PROVENANCE

DEID_RULES = Path("config/deidentification.yaml")  # of the working folder
ADVICE = "direct identifiers must be removed before the extract is sent; the value is not shown"
_KIND_TAG = re.compile(r"\[identifier kind: (\w+)\]")
_HEADER_SEPARATORS = re.compile(r"[\s_\-./():#,;]+")


@dataclass(frozen=True)
class ValuePattern:
    name: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class IdentifierKind:
    """One kind of direct identifier and how to recognise it (one entry of ``kinds:``)."""

    kind: str
    label: str
    header_patterns: tuple[re.Pattern[str], ...]
    header_exclusions: tuple[re.Pattern[str], ...]
    value_patterns: tuple[ValuePattern, ...]
    allowed_values: re.Pattern[str] | None
    min_cells: int

    def header_matches(self, normalised_header: str) -> bool:
        return any(p.search(normalised_header) for p in self.header_patterns) and not any(
            p.search(normalised_header) for p in self.header_exclusions
        )


@dataclass(frozen=True)
class DeidRules:
    kinds: tuple[IdentifierKind, ...]
    placeholders: re.Pattern[str]
    source: str


def normalise_header(name: str) -> str:
    """A column name as the header patterns see it: lower case, separators made one space."""
    return _HEADER_SEPARATORS.sub(" ", str(name).lower()).strip()


def finding_kind(finding: Finding) -> str | None:
    """The identifier kind (``phone``, ``birth_date``, ...) of a finding of this gate, else None."""
    match = _KIND_TAG.search(finding.rule)
    return match.group(1) if match else None


def _compile(pattern: Any, where: str, source: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise ConfigError(f"{source}: {where}: a pattern must be a string, not {type(pattern).__name__}")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{source}: {where}: not a valid regular expression ({exc})") from None


def compile_rules(doc: Any, source: str = "deidentification rules") -> DeidRules:
    """Check and compile the rules document (the parsed YAML), naming any bad entry."""
    if not isinstance(doc, dict) or not isinstance(doc.get("kinds"), dict) or not doc["kinds"]:
        raise ConfigError(f"{source}: needs a non-empty `kinds:` mapping")
    default_min = (doc.get("defaults") or {}).get("min_cells", 1)
    kinds = []
    for kind, spec in doc["kinds"].items():
        where = f"kinds/{kind}"
        if not isinstance(spec, dict) or not isinstance(spec.get("label"), str):
            raise ConfigError(f"{source}: {where}: needs a `label:`")
        values = []
        for i, entry in enumerate(spec.get("value_patterns") or []):
            if not isinstance(entry, dict) or "name" not in entry or "pattern" not in entry:
                raise ConfigError(f"{source}: {where}/value_patterns/{i}: needs `name:` and `pattern:`")
            values.append(
                ValuePattern(str(entry["name"]), _compile(entry["pattern"], f"{where}/value_patterns/{i}", source))
            )
        min_cells = spec.get("min_cells", default_min)
        if not isinstance(min_cells, int) or isinstance(min_cells, bool) or min_cells < 1:
            raise ConfigError(f"{source}: {where}/min_cells: must be a whole number >= 1, not {min_cells!r}")
        allowed = spec.get("allowed_values")
        kinds.append(
            IdentifierKind(
                kind=str(kind),
                label=spec["label"],
                header_patterns=tuple(
                    _compile(p, f"{where}/header_patterns/{i}", source)
                    for i, p in enumerate(spec.get("header_patterns") or [])
                ),
                header_exclusions=tuple(
                    _compile(p, f"{where}/header_exclusions/{i}", source)
                    for i, p in enumerate(spec.get("header_exclusions") or [])
                ),
                value_patterns=tuple(values),
                allowed_values=None if allowed is None else _compile(allowed, f"{where}/allowed_values", source),
                min_cells=min_cells,
            )
        )
    placeholders = _compile(doc.get("placeholders", r"^\s*$"), "placeholders", source)
    return DeidRules(kinds=tuple(kinds), placeholders=placeholders, source=source)


@functools.cache
def load_deid_rules(path: str | Path = DEID_RULES) -> DeidRules:
    """The de-identification rules (``config/deidentification.yaml``), read and compiled once."""
    return compile_rules(read_yaml(path), str(path))


def _text_columns(table: Any) -> tuple[list[tuple[str, pa.ChunkedArray | pa.Array]], pa.Array | None]:
    """(name, string array) of every non-provenance column, and the SRCROW column if any."""
    if isinstance(table, pa.Table):
        columns = []
        for name in table.column_names:
            if name in PROVENANCE:
                continue
            column = table.column(name)
            if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
                column = pc.cast(column, pa.string())
            columns.append((name, column))
        srcrow = table.column("SRCROW").combine_chunks() if "SRCROW" in table.column_names else None
        return columns, srcrow
    # a pandas DataFrame (pandas is imported by whoever built it)
    columns = []
    for name in table.columns:
        if name in PROVENANCE:
            continue
        series = table[name]
        text = series.astype(str).where(series.notna(), None)
        columns.append((str(name), pa.array(text.tolist(), type=pa.string())))
    srcrow = None
    if "SRCROW" in table.columns:
        rows = table["SRCROW"]
        srcrow = pa.array([int(v) if v == v and v is not None else None for v in rows.tolist()], type=pa.int64())
    return columns, srcrow


def _distinct_cells(column: pa.ChunkedArray | pa.Array, placeholders: re.Pattern[str]) -> list[tuple[str, int]]:
    """Each distinct filled value of a column with how many cells hold it (placeholders left out)."""
    if len(column) == 0:
        return []
    counts = pc.value_counts(column)
    return [
        (value, count)
        for value, count in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        if value is not None and not placeholders.match(value)
    ]


def _first_row(column: pa.ChunkedArray | pa.Array, values: list[str], srcrow: pa.Array | None) -> int | None:
    if srcrow is None or not values:
        return None
    mask = pc.is_in(column, value_set=pa.array(values, type=pa.string()))
    index = pc.index(mask, True).as_py()
    return None if index < 0 else srcrow[index].as_py()


def _cells(n: int, singular: str, plural: str) -> str:
    """'1 cell matches', '3 cells match'."""
    return f"{n} cell {singular}" if n == 1 else f"{n} cells {plural}"


def _check_column(
    kind: IdentifierKind,
    header: str,
    column: pa.ChunkedArray | pa.Array,
    cells: list[tuple[str, int]],
    srcrow: pa.Array | None,
) -> tuple[int | None, str] | None:
    """(row, rule) when the column carries this kind of identifier, else None."""
    tag = f"[identifier kind: {kind.kind}]"
    if kind.header_matches(header):
        if kind.allowed_values is not None:
            finer = [(v, c) for v, c in cells if not kind.allowed_values.fullmatch(v)]
            n = sum(c for _, c in finer)
            if n >= kind.min_cells:
                rule = (
                    f"column name says {kind.label} and {_cells(n, 'holds', 'hold')} more than the year "
                    f"{tag}: keep only the age or the year of birth; {ADVICE}"
                )
                return _first_row(column, [v for v, _ in finer], srcrow), rule
        else:
            n = sum(c for _, c in cells)
            if n >= kind.min_cells:
                return None, f"column name says {kind.label} and {_cells(n, 'is', 'are')} filled {tag}: {ADVICE}"
    if not kind.value_patterns:
        return None
    matched: list[str] = []
    hit_names: set[str] = set()
    n = 0
    for value, count in cells:
        hit = {p.name for p in kind.value_patterns if p.regex.search(value)}
        if hit:
            matched.append(value)
            n += count
            hit_names |= hit
    if n >= kind.min_cells:
        names = ", ".join(p.name for p in kind.value_patterns if p.name in hit_names)
        rule = f"column looks like {kind.label} ({_cells(n, 'matches', 'match')}: {names}) {tag}: {ADVICE}"
        return _first_row(column, matched, srcrow), rule
    return None


def find_identifiers(
    table: Any, site: str, file: str, sheet: str, rules: DeidRules | dict | None = None
) -> list[Finding]:
    """Every (column, identifier kind) the extract carries, as findings without the value.

    ``table`` is an ingested extract (pyarrow Table or pandas DataFrame of text cells, with or
    without the provenance columns). ``row`` is the source row of the first matching cell, or
    None when the column name itself says it holds an identifier. ``rules``: compiled rules, a
    rules document (the parsed YAML), or None for ``config/deidentification.yaml``.
    """
    if rules is None:
        rules = load_deid_rules()
    elif not isinstance(rules, DeidRules):
        rules = compile_rules(rules)
    columns, srcrow = _text_columns(table)
    findings = []
    for name, column in columns:
        header = normalise_header(name)
        cells = _distinct_cells(column, rules.placeholders)
        for kind in rules.kinds:
            hit = _check_column(kind, header, column, cells, srcrow)
            if hit is not None:
                row, rule = hit
                findings.append(Finding(site, file, sheet, row, name, "", rule, "conformance"))
    return findings


def check_deidentified(
    table: Any, site: str, file: str | None = None, sheet: str | None = None, rules: DeidRules | dict | None = None
) -> None:
    """Raise :class:`ExtractError` when the extract carries any direct identifier.

    ``file`` and ``sheet`` default to the table's own provenance (SRCFILE, SRCSHEET).
    """
    if file is None or sheet is None:
        file_from, sheet_from = _provenance(table)
        file = file_from if file is None else file
        sheet = sheet_from if sheet is None else sheet
    findings = find_identifiers(table, site, file, sheet, rules)
    if findings:
        raise ExtractError(findings)


def _provenance(table: Any) -> tuple[str, str]:
    def first(name: str) -> str:
        if isinstance(table, pa.Table):
            if name not in table.column_names or table.num_rows == 0:
                return ""
            value = table.column(name)[0].as_py()
        else:
            if name not in table.columns or len(table) == 0:
                return ""
            value = table[name].iloc[0]
        return "" if value is None else str(value)

    return first("SRCFILE"), first("SRCSHEET")
