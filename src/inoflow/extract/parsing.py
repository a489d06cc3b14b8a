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
    blank = _each_distinct(values, lambda text: text.casefold() in missing_set, missing=True, dtype=bool)
    return pd.Series(blank, index=values.index)


def parse_number(values: pd.Series, decimal: str = ".", thousands: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse decimal numbers written with the dialect's decimal and thousands separators.

    Returns (floats, bad) where ``bad`` marks non-blank cells that are not numbers. Each
    distinct text is read once, by Python's ``float`` (correctly rounded: the 17 digits that
    write an Excel cell's double read back as that double).
    >>> parse_number(pd.Series(["1,5", "x"]), decimal=",")[0].tolist()[0]
    1.5
    """
    pattern = _NUMBER[decimal]

    def read(text: str) -> float | None:
        if thousands:
            text = text.replace(thousands, "")
        if not pattern.match(text):
            return None
        return float(text.replace(",", ".") if decimal == "," else text)

    numbers, bad = _parse_cells(values, read)
    return numbers.astype("float64"), bad


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

    def read(text: str) -> date | None:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            return None

    return _parse_cells(values, read)


def _parse_cells(values: pd.Series, read) -> tuple[pd.Series, pd.Series]:
    """Each non-blank cell's stripped text through ``read`` (which returns None for text it
    cannot parse, and the same result for the same text: it is called once per distinct text,
    a column of dates repeating the same days): (the values, None for blank or unparseable
    cells; bad: the unparseable)."""
    results = _each_distinct(values, read, missing=None, dtype=object)
    bad = np.equal(results, None) & values.notna().to_numpy()  # None where a text did not parse
    return pd.Series(results, index=values.index, dtype="object"), pd.Series(bad, index=values.index)


def _each_distinct(values: pd.Series, read, missing: object, dtype) -> np.ndarray:
    """``read`` of each cell's stripped text, called once per distinct text (``pandas.factorize``:
    quick on a column of a few rows and on one of many); ``missing`` for a missing cell (None,
    NaN, NA)."""
    codes, texts = pd.factorize(values)  # a missing cell is -1
    results = np.fromiter((read(str(t).strip()) for t in texts), dtype=dtype, count=len(texts))
    return np.append(results, np.array([missing], dtype=dtype))[codes]


_DAY_DIRECTIVES = ("%d", "%j", "%U", "%W", "%a", "%A", "%w", "%H", "%I", "%M", "%S")
_MONTH_DIRECTIVES = ("%m", "%b", "%B")


def partial_date_precision(fmt: str) -> str:
    """What a partial-date format records: ``"M"`` (year and month, e.g. ``%m/%Y``,
    ``UN-%b-%Y``) or ``"Y"`` (the year only, e.g. ``%Y``, ``UNK-UNK-%Y``).

    A partial format names the year and no day: anything else is a ValueError.
    >>> partial_date_precision("UN-%b-%Y"), partial_date_precision("%Y")
    ('M', 'Y')
    """
    if "%Y" not in fmt:
        raise ValueError(f"partial date format {fmt!r} has no four-digit year (%Y)")
    if any(d in fmt for d in _DAY_DIRECTIVES):
        raise ValueError(f"partial date format {fmt!r} names a day or time: it is a full date format")
    return "M" if any(d in fmt for d in _MONTH_DIRECTIVES) else "Y"


def parse_date_or_partial(values: pd.Series, fmt: str, partial_formats: list[str]) -> tuple[pd.Series, pd.Series]:
    """Parse dates that may be partial, as ISO 8601 text: a full date in the declared format
    ``fmt`` -> ``"2019-03-05"``; one in a declared partial format -> ``"2019-03"`` (day
    unknown) or ``"2019"`` (month and day unknown), as SDTM keeps them.

    Formats are tried in order, the full one first; literal placeholders such as ``UN`` or
    ``UNK`` are matched as written, letter case ignored (strptime). Returns (ISO text or None,
    bad) where ``bad`` marks non-blank cells that fit none of the formats.

    >>> parse_date_or_partial(pd.Series(["05/03/2019", "03/2019", "2019", "UN-MAR-2019", "13/2019"]), "%d/%m/%Y",
    ...                       ["%m/%Y", "%Y", "UN-%b-%Y"])[0].tolist()
    ['2019-03-05', '2019-03', '2019', '2019-03', None]
    """
    precision = {f: partial_date_precision(f) for f in partial_formats}

    def read(text: str) -> str | None:
        iso = _strptime_iso(text, fmt, "D")
        for partial in partial_formats:
            if iso is not None:
                break
            iso = _strptime_iso(text, partial, precision[partial])
        return iso

    return _parse_cells(values, read)


def _strptime_iso(text: str, fmt: str, precision: str) -> str | None:
    """``text`` read with ``fmt`` as ISO 8601 text to ``precision`` (D day, M month, Y year)."""
    try:
        when = datetime.strptime(text, fmt)
    except ValueError:
        return None
    return {"D": when.strftime("%Y-%m-%d"), "M": when.strftime("%Y-%m"), "Y": when.strftime("%Y")}[precision]


_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def iso_date_bounds(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The earliest and the latest calendar day an ISO 8601 date may be (``Timestamp``):
    a full date is one day; ``"2019-02"`` is 2019-02-01 to 2019-02-28; ``"2019"`` is
    2019-01-01 to 2019-12-31. ``datetime.date`` and timestamps are full dates; missing or
    unreadable values are ``NaT``. One definition for every comparison of a date that may be
    partial (the data cut, dates in the future, cross-record order).

    >>> low, high = iso_date_bounds(pd.Series(["2020-02", "2019", "2019-03-05", None]))
    >>> low.dt.strftime("%Y-%m-%d").tolist(), high.dt.strftime("%Y-%m-%d").tolist()
    (['2020-02-01', '2019-01-01', '2019-03-05', nan], ['2020-02-29', '2019-12-31', '2019-03-05', nan])
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        days = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        days = days.dt.normalize().astype("datetime64[ns]")
        return days, days.copy()
    low = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    high = low.copy()
    is_text = np.array([isinstance(v, str) for v in values], dtype=bool)
    if is_text.any():  # a date-time counts by its date
        text = [v.strip()[:10] for v in values[is_text]]
        shape = np.array([len(v) if _ISO_DATE.match(v) else 0 for v in text])
        text = np.array(text, dtype=object)
        first = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
        last = first.copy()
        for length, unit in ((10, "D"), (7, "M"), (4, "Y")):  # numpy reads ISO 8601 days, months, years
            chosen = shape == length
            if chosen.any():
                first[chosen], last[chosen] = _calendar_span(text[chosen], unit)
        # days a timestamp cannot hold (before 1678, after 2261) are not dates in a record
        outside = (first < _EARLIEST) | (last > _LATEST)
        first[outside] = last[outside] = np.datetime64("NaT")
        first, last = first.astype("datetime64[ns]"), last.astype("datetime64[ns]")
        low[is_text], high[is_text] = first, last
    # dates and date-times (a timestamp is one) count by their calendar day, where they are
    positions = [
        position
        for position, value in enumerate(values)
        if not is_text[position] and isinstance(value, date) and not pd.isna(value)
    ]
    if positions:
        days = np.array(
            [(v.date() if isinstance(v, datetime) else v).isoformat() for v in values.iloc[positions]],
            dtype="datetime64[D]",
        )
        days[(days < _EARLIEST) | (days > _LATEST)] = np.datetime64("NaT")
        low[positions] = high[positions] = days.astype("datetime64[ns]")
    return pd.Series(low, index=values.index), pd.Series(high, index=values.index)


_EARLIEST, _LATEST = np.datetime64("1678-01-01", "D"), np.datetime64("2261-12-31", "D")


def _calendar_span(texts: np.ndarray, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """First and last day (``datetime64[D]``) of ISO 8601 days, months or years (``unit`` D, M,
    Y) written as text; one that is no calendar day (2019-02-30, 2019-13) is NaT."""
    try:
        periods = texts.astype(f"datetime64[{unit}]")
    except ValueError:  # one of them is no calendar day: read one by one
        periods = np.array([_one_period(t, unit) for t in texts], dtype=f"datetime64[{unit}]")
    return periods.astype("datetime64[D]"), (periods + 1).astype("datetime64[D]") - 1


def _one_period(text: str, unit: str) -> np.datetime64:
    try:
        return np.datetime64(text, unit)
    except ValueError:
        return np.datetime64("NaT", unit)


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
    return _parse_cells(values, lambda text: lookup.get(text.casefold()))


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
