"""Validate a raw extract against its site's declared layout (pandera, lazily).

The schema is built from the site's dialect and the contract: every declared column present,
no undeclared column, each cell parseable as the contract type in the dialect's format
(dates, decimals, codes, vocabularies, units), and required cells filled. All failures are
collected (lazy validation) and reported together, each naming site, file, sheet, row,
column, value and rule. Rows the dialect declares as not data (report footers, records
deleted in the source system, blank lines) are set aside first, each with its reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
import pandera.pandas as pa

from inoflow.config import Site, load_units
from inoflow.errors import ExtractError, Finding, findings_frame
from inoflow.extract import parsing
from inoflow.extract.dialect import ColumnRule, DomainDialect, ParsedExtract, describe_rule, human_date_format
from inoflow.extract.ingest import PROVENANCE, footer_rows, reject_rule_matches

log = logging.getLogger(__name__)


def build_raw_schema(parsed: ParsedExtract) -> pa.DataFrameSchema:
    """The pandera schema of a site's raw extract for one domain; its checks read the cells
    ``parsed`` could not parse (each value is parsed once, by :meth:`DomainDialect.parse`)."""
    dialect = parsed.dialect
    site, domain = dialect.site, dialect.domain
    dspec = site.domain_spec(domain)
    # Every cell is text (validate_extract casts the frame to pandas' string dtype before
    # validating), so the columns declare no dtype: pandera's element-wise check of the string
    # dtype costs milliseconds per column and could not fail.
    columns: dict[str, pa.Column] = {
        c: pa.Column(None, nullable=True, required=True) for c in PROVENANCE if c != "SRCROW"
    }
    columns["SRCROW"] = pa.Column("Int64", nullable=False)
    for rule in dialect.rules:
        check = _parse_check(rule, parsed)
        columns[rule.source] = pa.Column(
            None,
            nullable=not rule.required or rule.variable in ("VALUE", "ULN"),
            checks=[check],
            required=True,
            description=rule.variable,
        )
    for name in dspec.get("ignore", []):
        columns[name] = pa.Column(None, nullable=True, required=False, description="declared, not used")
    for name in dspec.get("free_text", []):
        columns[name] = pa.Column(None, nullable=True, required=False, description="free text, not used")
    frame_checks = []
    if domain == "labs" and dspec.get("layout", "records") == "records":
        frame_checks.append(_lab_unit_check(parsed))
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=True, name=f"{site.site}/{domain}", coerce=False)


def _parse_check(rule: ColumnRule, parsed: ParsedExtract) -> pa.Check:
    def ok(values: pd.Series) -> pd.Series:
        return ~parsed.bad[rule.source].loc[values.index]

    return pa.Check(
        ok, error=describe_rule(rule, parsed.dialect.site, parsed.dialect.domain), name=f"{rule.variable}:{rule.vtype}"
    )


def _lab_unit_check(parsed: ParsedExtract) -> pa.Check:
    rules = {r.variable: r for r in parsed.dialect.rules}
    units = load_units()

    def ok(frame: pd.DataFrame) -> pd.Series:
        tests = parsed.values[rules["TEST"].source].loc[frame.index]
        unit_text = frame[rules["UNIT"].source]
        good = pd.Series(True, index=frame.index)
        for test in set(t for t in tests if t):
            rows = tests == test
            _, bad = parsing.convert_units(pd.Series(1.0, index=frame.index[rows]), unit_text[rows], test, units)
            good[bad[bad].index] = False
        return good

    return pa.Check(
        ok, error="UNIT has no conversion to the test's standard unit in config/units.yaml", name="UNIT:known"
    )


def _row_reject_rules(site: Site, domain: str) -> list[tuple[str, Callable[[pd.DataFrame], pd.Series], str]]:
    rules = []
    for rule in site.domain_spec(domain).get("reject_rows", []):
        column, reason = rule["column"], rule["reason"]

        def matches(frame: pd.DataFrame, column=column, rule=rule) -> pd.Series:  # one definition with ingest
            return frame[column].map(lambda v: reject_rule_matches(rule, None if pd.isna(v) else v)).astype(bool)

        rules.append((column, matches, f"{reason} (dialect rule on column {column!r})"))
    return rules


@dataclass
class ValidationResult:
    accepted: pd.DataFrame
    rejected: pd.DataFrame  # the rejected raw rows plus REJECT_REASON
    findings: pd.DataFrame
    parsed: ParsedExtract | None = None  # the accepted rows' values, parsed once


def validate_extract(
    table: pd.DataFrame, site: Site, domain: str, policy: str = "fail", dialect: DomainDialect | None = None
) -> ValidationResult:
    """Validate one ingested extract; return accepted rows, rejected rows, all findings and the
    accepted rows' parsed values (for harmonisation: each value is parsed once).

    policy ``fail`` raises :class:`ExtractError` listing every finding; ``quarantine`` moves
    each row with a finding to the rejected rows, its reasons joined, and carries on. Problems
    with the file's layout (a missing or undeclared column) always fail. ``dialect``: the
    site's dialect for the domain, resolved once by the caller (else resolved here).
    """
    dialect = dialect or DomainDialect.of(site, domain)
    settings = dialect.settings
    types = {c: "Int64" if c == "SRCROW" else "string" for c in table.columns}
    if any(str(table[c].dtype) != t for c, t in types.items()):  # process.text_frame gives them so
        table = table.astype(types)
    file = table["SRCFILE"].iloc[0] if len(table) else site.domain_spec(domain)["file"]
    sheet = site.domain_spec(domain).get("sheet", "")
    data_columns = [c for c in table.columns if c not in PROVENANCE]

    # 1. rows that are not data, by the dialect's declaration, and blank rows
    reasons = pd.Series("", index=table.index, dtype="object")
    empty = {c: parsing.blank_mask(table[c], settings["missing"]) for c in data_columns}  # each column once
    blank = pd.concat(empty.values(), axis=1).all(axis=1) if data_columns else pd.Series(True, index=table.index)
    reasons[blank] = "blank row"
    footer_count = settings["skip_footer"]
    if footer_count and data_columns:
        cells = table[data_columns].astype("object").where(table[data_columns].notna(), None).values.tolist()
        footer = footer_rows(list(zip(table["SRCROW"].astype(int), cells, strict=True)), footer_count)
        reasons[table["SRCROW"].astype(int).isin(footer).to_numpy()] = (
            f"report footer: one of the last {footer_count} non-blank rows, not data (dialect skip_footer: {footer_count})"
        )
    for column, matches, reason in _row_reject_rules(site, domain):
        if column not in table.columns:
            continue  # the schema check below reports the missing column
        hit = matches(table) & reasons.eq("")
        reasons[hit] = reason
    set_aside = reasons.ne("")
    kept = not set_aside.any()  # the rows are the table's (no row set aside): no reindexing below
    rows = table.copy() if kept else table.loc[~set_aside].copy()

    # 2. dialect 'no value' texts become missing before checking
    for column in data_columns:
        no_value = empty[column] & table[column].notna()  # a 'no value' text, not a cell already empty
        if no_value.any():
            rows[column] = rows[column].where(~(no_value if kept else no_value.loc[rows.index]), pd.NA)

    # 3. every declared column parsed once; the pandera schema checks what did not parse, lazily
    parsed = dialect.parse(rows)
    schema = build_raw_schema(parsed)
    findings: list[Finding] = []
    try:
        schema.validate(rows, lazy=True)
    except pa.errors.SchemaErrors as exc:
        findings = _findings_from_failure_cases(exc.failure_cases, rows, site.site, file, sheet, schema)
        findings = [_with_date_hint(f, dialect) for f in findings]

    layout_findings = [f for f in findings if f.row is None]
    if findings and (policy == "fail" or layout_findings):
        raise ExtractError(layout_findings or findings)

    bad_rows = pd.Series("", index=rows.index, dtype="object")
    for f in findings:
        index = rows.index[rows["SRCROW"] == f.row]
        bad_rows[index] = (bad_rows[index] + "; " + f"{f.column}: {f.rule}").str.lstrip("; ")
    quarantined = bad_rows.ne("")
    rejected = pd.concat(
        [
            table.loc[set_aside].assign(REJECT_REASON=reasons[set_aside]),
            rows.loc[quarantined].assign(REJECT_REASON=bad_rows[quarantined]),
        ]
    ).sort_values("SRCROW")
    accepted = rows.loc[~quarantined]
    log.info(
        "%s %s: %d rows read, %d accepted, %d set aside by dialect rules, %d quarantined",
        site.site,
        domain,
        len(table),
        len(accepted),
        int(set_aside.sum()),
        int(quarantined.sum()),
    )
    return ValidationResult(
        accepted=accepted, rejected=rejected, findings=findings_frame(findings), parsed=parsed.rows(accepted.index)
    )


def _with_date_hint(finding: Finding, dialect: DomainDialect) -> Finding:
    """A date that fails the declared format but reads in another common one says so: the
    dialect's format may be wrong, or the column mixes formats (e.g. dd/mm and mm/dd)."""
    rule = next((r for r in dialect.rules if r.source == finding.column and r.vtype == "date"), None)
    if rule is None or not finding.value or finding.row is None:
        return finding
    other = parsing.other_date_formats(finding.value, rule.date_format)
    if not other:
        return finding
    shown = " or ".join(human_date_format(f) for f in other)
    hint = f"; it reads as {shown}: is the declared format wrong, or does the column mix formats?"
    return replace(finding, rule=finding.rule + hint)


def _findings_from_failure_cases(
    cases: pd.DataFrame, rows: pd.DataFrame, site: str, file: str, sheet: str, schema: pa.DataFrameSchema
) -> list[Finding]:
    findings = []
    for case in cases.itertuples(index=False):
        column = case.column if isinstance(case.column, str) else ""
        value = "" if pd.isna(case.failure_case) else str(case.failure_case)
        if case.check == "column_in_schema":
            findings.append(
                Finding(
                    site,
                    file,
                    sheet,
                    None,
                    value,
                    "",
                    "column is not declared in the site dialect (map it, or list it under free_text or ignore)",
                )
            )
            continue
        if case.check == "column_in_dataframe":
            findings.append(
                Finding(
                    site,
                    file,
                    sheet,
                    None,
                    value,
                    "",
                    "column declared in the site dialect is missing from the file",
                    "completeness",
                )
            )
            continue
        row = None if pd.isna(case.index) else int(rows.loc[case.index, "SRCROW"])
        if case.check == "not_nullable":
            variable = schema.columns[column].description
            findings.append(
                Finding(
                    site, file, sheet, row, column, "", f"{variable} is required but the cell is empty", "completeness"
                )
            )
            continue
        if column == "" and case.schema_context == "DataFrameSchema":
            unit_col = [c for c in schema.columns if schema.columns[c].description == "UNIT"]
            column = unit_col[0] if unit_col else ""
            value = str(rows.loc[case.index, column]) if column and row is not None else value
        findings.append(Finding(site, file, sheet, row, column, value, str(case.check)))
    return sorted(findings, key=lambda f: (f.row or 0, f.column))
