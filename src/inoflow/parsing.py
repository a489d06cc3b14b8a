"""Turning cell text into typed values, one dialect rule at a time.

Each parser takes the text of a column (a pandas Series of str or missing) and returns the
parsed values plus a boolean mask of the cells that could not be parsed, so that validation
(which reports the failures) and harmonisation (which uses the values) share one definition.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd

from inoflow.config import Units, load_vocabulary

_NUMBER = {
    ".": re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"),
    ",": re.compile(r"^[+-]?(\d+(,\d*)?|,\d+)$"),
}


def blank_mask(values: pd.Series, missing: list[str]) -> pd.Series:
    """Cells that hold no value: missing, empty or one of the dialect's 'no value' texts."""
    missing_set = {m.strip().casefold() for m in missing}
    text = values.astype("string").str.strip().str.casefold()
    return values.isna() | text.isin(missing_set).fillna(True)


def parse_number(values: pd.Series, decimal: str = ".", thousands: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse decimal numbers written with the dialect's decimal and thousands separators.

    Returns (floats, bad) where ``bad`` marks non-blank cells that are not numbers.
    >>> parse_number(pd.Series(["1,5", "x"]), decimal=",")[0].tolist()[0]
    1.5
    """
    text = values.astype("string").str.strip()
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    ok = text.str.match(_NUMBER[decimal].pattern).fillna(False).astype(bool)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    out = pd.to_numeric(text.where(ok), errors="coerce").astype("float64")
    bad = values.notna() & ~ok
    return out, bad


def parse_integer(values: pd.Series, decimal: str = ".", thousands: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse whole numbers; '3' and '3.0' are 3, '3.5' is not a whole number."""
    numbers, bad = parse_number(values, decimal, thousands)
    fractional = numbers.notna() & (numbers != np.floor(numbers))
    out = numbers.where(~fractional).astype("Int64")
    return out, bad | fractional


def parse_date(values: pd.Series, fmt: str) -> tuple[pd.Series, pd.Series]:
    """Parse dates with one strptime format, strictly (31/02/2019 is not a date).

    Returns (datetime.date objects or None, bad).
    """
    parsed: list[date | None] = []
    bad: list[bool] = []
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            parsed.append(None)
            bad.append(False)
            continue
        try:
            parsed.append(datetime.strptime(str(value).strip(), fmt).date())
            bad.append(False)
        except ValueError:
            parsed.append(None)
            bad.append(True)
    return pd.Series(parsed, index=values.index, dtype="object"), pd.Series(bad, index=values.index)


COMMON_DATE_FORMATS = ["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d-%b-%Y", "%d %b %Y", "%Y/%m/%d"]


def other_date_formats(value: str, declared: str) -> list[str]:
    """The common date formats, other than the declared one, in which ``value`` is a date."""
    found = []
    for fmt in COMMON_DATE_FORMATS:
        if fmt == declared:
            continue
        try:
            datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        found.append(fmt)
    return found


def parse_year(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a four-digit year (kept as text, ISO 8601 partial date 'YYYY')."""
    text = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    ok = text.str.fullmatch(r"(19|20)\d\d").fillna(False).astype(bool)
    return text.where(ok).astype("object").where(ok, None), values.notna() & ~ok


def map_codes(values: pd.Series, mapping: dict[str, str], allowed: list[str]) -> tuple[pd.Series, pd.Series]:
    """Map local codes onto contract codes, matching case-insensitively after trimming.

    A value that is already a contract code passes; anything else is bad.
    """
    lookup = {str(k).strip().casefold(): v for k, v in mapping.items()}
    for code in allowed:
        lookup.setdefault(code.casefold(), code)
    keys = values.astype("string").str.strip().str.casefold()
    out = keys.map(lambda k: lookup.get(k) if isinstance(k, str) else None)
    out = out.astype("object").where(out.notna(), None)
    bad = values.notna() & pd.Series([v is None for v in out], index=values.index)
    return out, bad


def normalise_term(text: str) -> str:
    """Vocabulary matching key: casefold, trim, collapse inner whitespace, drop a final full stop."""
    key = re.sub(r"\s+", " ", str(text).strip().casefold())
    return key[:-1].rstrip() if key.endswith(".") else key


def standardise_terms(
    values: pd.Series, vocabulary: str, extra: dict[str, list[str]] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Map free text onto a vocabulary's standard terms (study vocabulary plus site additions)."""
    lookup: dict[str, str] = {}
    for source in (load_vocabulary(vocabulary), extra or {}):
        for standard, synonyms in source.items():
            lookup[normalise_term(standard)] = standard
            for synonym in synonyms:
                lookup[normalise_term(synonym)] = standard
    out = pd.Series(
        [lookup.get(normalise_term(v)) if isinstance(v, str) else None for v in values],
        index=values.index,
        dtype="object",
    )
    bad = values.notna() & out.isna()
    return out, bad


def convert_units(values: pd.Series, units_text: pd.Series, quantity: str, units: Units) -> tuple[pd.Series, pd.Series]:
    """Convert values to the quantity's standard unit, row by row (units may differ by row).

    Returns (values in the standard unit, rounded to 6 decimals; bad) where ``bad`` marks rows
    whose unit has no declared conversion.
    """
    spec = units.quantities[quantity]
    names = units_text.astype("string").str.strip().map(lambda u: units.canonical_unit(u) if isinstance(u, str) else u)
    factor = names.map(lambda u: spec["factors"].get(u, np.nan)).astype("float64")
    out = values * factor
    for unit, affine in spec.get("affine", {}).items():
        rows = names == unit
        out = out.where(~rows, values * affine["scale"] + affine["offset"])
    known = factor.notna() | names.isin(list(spec.get("affine", {})))
    bad = values.notna() & ~known.fillna(False).astype(bool)
    return out.round(6), bad
