"""Plausibility of single values, after harmonisation (values in the standard unit).

A value can parse and still be impossible: blasts of 130 %, a negative count, a dose of
8 mg/m2, platelets of 15000 x10^9/L because the site sent 10^9/L and declared lakh/cumm, a
date after today. The ranges are data, declared once: ``plausible: [min, max]`` on a
contract variable (config/contract.yaml, in the variable's standard unit) and on a laboratory
quantity (config/units.yaml, in its standard unit). Dates must not lie after the day of the
run; a partial date ("2019-03") is in the future when its earliest possible day is. Each finding
names the site, file, sheet, row and source column, the value as sent, the value in the
standard unit and the range; category ``plausibility`` (OHDSI DQD).

Within one file, and still before pooling, where a row can be quarantined:

- **unit mix-ups**: a laboratory value inside its plausible range but outside its ``typical:``
  range (config/units.yaml) whose number, read in another unit of the same test, falls inside
  it (bilirubin 1.1 sent under a umol/L label: 19 umol/L if the value is in mg/dL);
- **dates too early**: a date before the ``earliest:`` day the contract declares for it (a slip in
  the year: 1917 for 2017);
- **dates out of order in a row**: an end before its start (``not_before:`` in the contract). A
  date written with day and month in numbers (``05/07/2019``; the day 12 or less) reads two ways;
  where the other reading puts the row in order, the finding says so: the day and month were
  swapped (:func:`swapped`);
- **a diagnosis before the year of birth** (patients files sending the year of birth).

Cross-record checks (dates in order across domains, one subject in one site, the study window,
the previous cut) are in :mod:`inoflow.model.quality`; they need the pooled common model.
"""

from __future__ import annotations

import json
import re
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


def earliest_dates(domain: str) -> dict[str, pd.Timestamp]:
    """Contract date variable -> the first day it can be (``earliest:`` in config/contract.yaml)."""
    return {
        variable: pd.Timestamp(spec["earliest"])
        for variable, spec in load_contract().variables(domain).items()
        if spec["type"] == "date" and "earliest" in spec
    }


def date_orders(domain: str) -> dict[str, str]:
    """Contract date variable -> the variable of the same row it cannot precede (``not_before:``)."""
    return {
        variable: spec["not_before"]
        for variable, spec in load_contract().variables(domain).items()
        if spec["type"] == "date" and "not_before" in spec
    }


def typical_ranges() -> dict[str, tuple[float, float, str]]:
    """Laboratory test -> (min, max, standard unit) where nearly every real result lies
    (``typical:`` in config/units.yaml)."""
    return {
        test: (float(q["typical"][0]), float(q["typical"][1]), q["standard"])
        for test, q in load_units().quantities.items()
        if "typical" in q
    }


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

    def found(rows: pd.Series, variable: str, rule) -> None:
        """A finding for each row where ``rows`` is true; ``rule`` is a text with {value} or a
        function of the record giving the text."""
        for index in rows[rows].index:
            record = harmonised.loc[index]
            text = rule(record) if callable(rule) else rule
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
                    text.format(value=_shown(record[variable])),
                    "plausibility",
                )
            )

    def found_each(rules: dict, variable: str) -> None:
        """A finding for each row of ``rules`` (row index -> its rule)."""
        for index, rule in rules.items():
            found(pd.Series(harmonised.index == index, index=harmonised.index), variable, rule)

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
    if domain == "labs" and {"TEST", "VALUE", "UNIT__ORIG"} <= set(harmonised.columns):
        found_each(unit_mixups(harmonised), "VALUE")

    for variable, earliest in earliest_dates(domain).items():
        if variable not in harmonised.columns:
            continue
        _, latest = iso_date_bounds(harmonised[variable])  # a partial date: its last possible day
        found(
            latest.notna() & (latest < earliest),
            variable,
            f"{variable} {{value}} is before {earliest.date().isoformat()}, the earliest date the contract "
            f"allows for it (config/contract.yaml): a slip in the year?",
        )

    for variable, start in date_orders(domain).items():
        if {variable, start} <= set(harmonised.columns):
            found_each(dates_out_of_order(harmonised, accepted, start, variable), variable)

    if domain == "patients" and {"DIAG_DATE", "BIRTH_YEAR"} <= set(harmonised.columns):
        _, diagnosed = iso_date_bounds(harmonised["DIAG_DATE"])
        born = pd.to_numeric(harmonised["BIRTH_YEAR"].astype("object").map(_year), errors="coerce")
        found(
            diagnosed.notna() & born.notna() & (diagnosed.dt.year < born),
            "DIAG_DATE",
            lambda r: f"DIAG_DATE {{value}} is before the year of birth {_year(r['BIRTH_YEAR'])} of the same row",
        )
    return sorted(findings, key=lambda f: (f.row or 0, f.column))


def _year(value) -> str:
    """A year of birth as text ('1998'), from a year, an ISO date or a number."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)[:4] if isinstance(value, str) else _shown(value)[:4]


def unit_mixups(harmonised: pd.DataFrame) -> dict:
    """Laboratory rows whose value, in the standard unit, is inside the plausible range but
    outside the typical one (config/units.yaml), while the number as sent, read in another unit
    of the same test, is typical: row index -> the rule in words."""
    units = load_units()
    plausible = lab_ranges()
    rules = {}
    for test, (low, high, standard) in typical_ranges().items():
        factors = units.quantities[test]["factors"]
        rows = harmonised[(harmonised["TEST"] == test) & harmonised["VALUE"].notna()]
        values = rows["VALUE"].astype(float)
        rows = rows[~((values >= low) & (values <= high))]  # the typical ones are passed over below
        for index, record in rows.iterrows():
            value = float(record["VALUE"])
            declared = units.canonical_unit(record["UNIT__ORIG"]) if isinstance(record["UNIT__ORIG"], str) else None
            if declared not in factors:
                continue
            if test in plausible and not plausible[test][0] <= value <= plausible[test][1]:
                continue  # outside the plausible range: that finding says it already
            sent = value / factors[declared]
            for other, factor in factors.items():
                candidate = sent * factor
                if factor == factors[declared] or not low <= candidate <= high:
                    continue
                side = "below" if value < low else "above"
                rules[index] = (
                    f"{test} {{value}} {standard} is {side} the typical range {_shown(low)}-{_shown(high)} "
                    f"{standard} (config/units.yaml), but {_shown(round(candidate, 2))} {standard}, within it, "
                    f"if the value sent under the label {record['UNIT__ORIG']} is in {other}: is the unit mislabelled?"
                )
                break
    return rules


def reads_both_ways(text) -> bool:
    """Whether a date's text is written with day and month in numbers that can be exchanged
    (``05/07/2019``, ``5.7.19``): both 12 or less, and different."""
    if not isinstance(text, str):
        return False
    match = re.fullmatch(r"\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})\s*", text)
    if not match:
        return False
    first, second = int(match.group(1)), int(match.group(2))
    return first != second and first <= 12 and second <= 12


def swap_day_and_month(date: pd.Timestamp) -> pd.Timestamp | None:
    """A calendar date with its day and month exchanged (None if that is no date)."""
    try:
        return pd.Timestamp(date.year, date.day, date.month)
    except ValueError:
        return None


def _swap(date: pd.Timestamp, text) -> pd.Timestamp | None:
    """``date`` (as read from ``text``) with its day and month exchanged, if ``text`` reads both ways."""
    if pd.isna(date) or not reads_both_ways(text):
        return None
    return swap_day_and_month(date)


def dates_out_of_order(harmonised: pd.DataFrame, accepted: pd.DataFrame, start: str, end: str) -> dict:
    """Rows whose ``end`` date is before their ``start`` date: row index -> the rule in words.

    A date written with day and month in numbers reads two ways; where exchanging the day and
    month of the start or of the end puts the row in order (and the date as read does not), the
    rule says the day and month were swapped: the file's other rows are read in the declared order,
    so this one alone was typed the other way round."""
    raw = accepted.set_index("SRCROW")
    columns = json.loads(harmonised["SRCCOLS"].iloc[0]) if len(harmonised) else {}
    begun, _ = iso_date_bounds(harmonised[start])
    _, ended = iso_date_bounds(harmonised[end])
    rules = {}
    for index in harmonised.index[begun.notna() & ended.notna() & (ended < begun)]:
        record = harmonised.loc[index]
        row = int(record["SRCROW"])
        texts = {v: raw.at[row, columns[v]] if columns.get(v) in raw.columns else None for v in (start, end)}
        shown = {v: _shown(record[v]) for v in (start, end)}
        order = f"{end} {shown[end]} is before {start} {shown[start]} of the same row"
        fixes = []
        other_start = _swap(begun[index], texts[start])
        if other_start is not None and other_start <= ended[index]:
            fixes.append(f"{start} {texts[start]} read the other way round ({other_start.date().isoformat()})")
        other_end = _swap(ended[index], texts[end])
        if other_end is not None and other_end >= begun[index]:
            fixes.append(f"{end} {texts[end]} read the other way round ({other_end.date().isoformat()})")
        if fixes:
            rules[index] = (
                f"{order}; with {' or '.join(fixes)} the row is in order: were day and month typed the other "
                "way round in this row?"
            )
        else:
            rules[index] = f"{order}: an end cannot precede its start"
    return rules


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
    # only rows whose complete key occurs more than once can repeat one: the rest are not looked at
    complete = records[key].notna().all(axis=1)
    candidates = records[complete & records.duplicated(key, keep=False)]
    for _, record in candidates.iterrows():
        k = tuple(record[c] for c in key)
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
