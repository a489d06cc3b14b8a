"""Plausibility of single values, after harmonisation (values in the standard unit).

A value can parse and still be impossible: blasts of 130 %, a negative count, a dose of
8 mg/m2, platelets of 15000 x10^9/L because the site sent 10^9/L and declared lakh/cumm, a
date after today. The ranges are data, declared once: ``plausible: [min, max]`` on a
contract variable (config/contract.yaml, in the variable's standard unit) and on a laboratory
quantity (config/units.yaml, in its standard unit). Dates must not lie after the day of the
run; a partial date ("2019-03") is in the future when its earliest possible day is. Each finding
names the site, file, sheet, row and source column, the value as sent, the value in the
standard unit and the range; category ``plausibility`` (OHDSI DQD).

Cross-record checks (dates in order across domains, one subject in one site) are in
:mod:`inoflow.model.quality`; they need the pooled common model.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from inoflow.config import load_contract, load_units
from inoflow.errors import Finding
from inoflow.extract.parsing import iso_date_bounds


def plausible_ranges(domain: str) -> dict[str, tuple[float, float, str]]:
    """Contract variable -> (min, max, unit) for a raw domain's numeric variables."""
    ranges = {}
    for variable, spec in load_contract().variables(domain).items():
        if "plausible" in spec:
            low, high = spec["plausible"]
            ranges[variable] = (float(low), float(high), spec.get("unit", ""))
    return ranges


def lab_ranges() -> dict[str, tuple[float, float, str]]:
    """Laboratory test -> (min, max, standard unit) from config/units.yaml."""
    return {
        test: (float(q["plausible"][0]), float(q["plausible"][1]), q["standard"])
        for test, q in load_units().quantities.items()
        if "plausible" in q
    }


def check_plausibility(
    harmonised: pd.DataFrame, accepted: pd.DataFrame, site: str, domain: str, today: date | None = None
) -> list[Finding]:
    """Every implausible value of one harmonised extract, located in the file it came from.

    ``accepted`` is the validated raw table (cells as sent) the harmonised records came from;
    the finding shows the cell as sent, found by its row (SRCROW) and source column (SRCCOLS).
    """
    if harmonised.empty:
        return []
    today = today or date.today()
    raw = accepted.set_index("SRCROW")
    findings: list[Finding] = []

    def found(rows: pd.Series, variable: str, rule: str) -> None:
        for index in rows[rows].index:
            record = harmonised.loc[index]
            column = json.loads(record["SRCCOLS"]).get(variable, variable)
            first_column = column.split(" / ")[0]
            row = int(record["SRCROW"])
            sent = raw.at[row, first_column] if first_column in raw.columns else record[variable]
            findings.append(
                Finding(
                    site,
                    record["SRCFILE"],
                    record["SRCSHEET"] or "",
                    row,
                    column,
                    "" if pd.isna(sent) else str(sent),
                    rule.format(value=_shown(record[variable])),
                    "plausibility",
                )
            )

    for variable, (low, high, unit) in plausible_ranges(domain).items():
        if variable not in harmonised.columns:
            continue
        values = pd.to_numeric(harmonised[variable], errors="coerce")
        outside = values.notna() & ((values < low) | (values > high))
        found(outside, variable, _range_rule(variable, low, high, unit))

    if domain == "labs" and {"TEST", "VALUE"} <= set(harmonised.columns):
        for test, (low, high, unit) in lab_ranges().items():
            values = pd.to_numeric(harmonised["VALUE"], errors="coerce").where(harmonised["TEST"] == test)
            outside = values.notna() & ((values < low) | (values > high))
            found(outside, "VALUE", _range_rule(f"{test} VALUE", low, high, unit))

    for variable, spec in load_contract().variables(domain).items():
        if spec["type"] != "date" or variable not in harmonised.columns:
            continue
        # a partial date (2019-03) is in the future only if its earliest possible day is
        earliest, _ = iso_date_bounds(harmonised[variable])
        future = earliest.notna() & (earliest > pd.Timestamp(today))
        found(
            future,
            variable,
            f"{variable} {{value}} is after the day of the run ({today.isoformat()}): a date in the future",
        )
    return sorted(findings, key=lambda f: (f.row or 0, f.column))


def check_duplicates(harmonised: pd.DataFrame, site: str, domain: str) -> list[Finding]:
    """Rows that repeat an earlier row's contract key (config/contract.yaml ``key:``), e.g. a
    subject sent twice in the patients file or a dose recorded twice for one cycle and day.

    The later row is the finding; it names the earlier one. Compared on harmonised values, so
    the same date written two ways is still a duplicate. An exact copy of a whole row is named
    as such.
    """
    key = load_contract().domains[domain].get("key", [])
    if harmonised.empty or not key or not set(key) <= set(harmonised.columns):
        return []
    records = harmonised.drop_duplicates("SRCROW") if domain != "labs" else harmonised
    values = [c for c in records.columns if not c.startswith("SRC") and c != "SITEID"]
    findings = []
    first_row: dict[tuple, int] = {}
    for _, record in records.iterrows():
        k = tuple(None if pd.isna(record[c]) else record[c] for c in key)
        if any(v is None for v in k):
            continue
        row = int(record["SRCROW"])
        if k in first_row and first_row[k] != row:
            earlier = records[records["SRCROW"] == first_row[k]].iloc[0]
            same = all(_same(earlier[c], record[c]) for c in values)
            columns = json.loads(record["SRCCOLS"])
            what = "is an exact copy of" if same else f"repeats the key {', '.join(key)} of"
            findings.append(
                Finding(
                    site,
                    record["SRCFILE"],
                    record["SRCSHEET"] or "",
                    row,
                    ", ".join(columns.get(c, c) for c in key),
                    " | ".join(_shown(v) for v in k),
                    f"duplicate row: {what} row {first_row[k]} (one {domain} record per {', '.join(key)})",
                    "plausibility",
                )
            )
        else:
            first_row.setdefault(k, row)
    return findings


def _same(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)


def _range_rule(variable: str, low: float, high: float, unit: str) -> str:
    unit_text = f" {unit}" if unit else ""
    return (
        f"{variable} {{value}}{unit_text} is outside the plausible range {_shown(low)}-{_shown(high)}{unit_text} "
        "(config/contract.yaml, config/units.yaml): is the value or its declared unit wrong?"
    )


def _shown(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
