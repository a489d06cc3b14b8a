"""Dialect transformations, one rule at a time, with hand-worked cases."""

from datetime import date, datetime

import pandas as pd
import pytest

from inoflow.config import load_units
from inoflow.extract import parsing


def s(*values):
    return pd.Series(list(values), dtype="object")


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("05/03/2019", "%d/%m/%Y", date(2019, 3, 5)),  # Test 1: dd/mm/yyyy is day first
        ("03/05/2019", "%m/%d/%Y", date(2019, 3, 5)),  # Test 2: US mm/dd/yyyy
        ("05-Mar-2019", "%d-%b-%Y", date(2019, 3, 5)),  # Test 3: month abbreviation
        ("05.03.2019", "%d.%m.%Y", date(2019, 3, 5)),  # Test 4: dotted
        (" 2019-03-05 ", "%Y-%m-%d", date(2019, 3, 5)),  # Test 5: surrounding blanks trimmed
        ("29/02/2020", "%d/%m/%Y", date(2020, 2, 29)),  # Test 6: leap day
    ],
)
def test_parse_date_accepts_the_declared_format(text, fmt, expected):
    values, bad = parsing.parse_date(s(text), fmt)
    assert values.iloc[0] == expected
    assert not bad.iloc[0]


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("31/02/2019", "%d/%m/%Y"),  # no 31 February
        ("29/02/2019", "%d/%m/%Y"),  # 2019 is not a leap year
        ("2019-03-05", "%d/%m/%Y"),  # another format than declared
        ("13/25/2019", "%m/%d/%Y"),  # month 13
        ("yesterday", "%d/%m/%Y"),
    ],
)
def test_parse_date_rejects_what_is_not_a_date_in_the_declared_format(text, fmt):
    values, bad = parsing.parse_date(s(text), fmt)
    assert values.iloc[0] is None
    assert bad.iloc[0]


def test_parse_date_missing_is_not_bad():
    values, bad = parsing.parse_date(s(None), "%d/%m/%Y")
    assert values.iloc[0] is None and not bad.iloc[0]


# --- numbers -------------------------------------------------------------------------------


def test_parse_number_point_and_comma_decimals():
    point, bad_point = parsing.parse_number(s("1.5", "-0.25", "7", None), decimal=".")
    assert point.tolist()[:3] == [1.5, -0.25, 7.0] and pd.isna(point.iloc[3])
    assert not bad_point.any()
    comma, bad_comma = parsing.parse_number(s("1,5", "0,01"), decimal=",")
    assert comma.tolist() == [1.5, 0.01] and not bad_comma.any()


def test_parse_number_rejects_text_and_the_other_separator():
    _, bad = parsing.parse_number(s("12 U/L", "1,5", "n/a"), decimal=".")
    assert bad.tolist() == [True, True, True]


def test_parse_number_thousands_separator():
    values, bad = parsing.parse_number(s("45,000"), decimal=".", thousands=",")
    assert values.iloc[0] == 45000.0 and not bad.iloc[0]


def test_parse_integer_whole_numbers_only():
    values, bad = parsing.parse_integer(s("3", "3.0", "3.5"))
    assert values.iloc[0] == 3 and values.iloc[1] == 3
    assert bad.tolist() == [False, False, True]


def test_parse_year():
    values, bad = parsing.parse_year(s("1957", "57", "1957.0"))
    assert values.tolist() == ["1957", None, "1957"]
    assert bad.tolist() == [False, True, False]


# --- codes ---------------------------------------------------------------------------------


def test_map_codes_local_codes_case_insensitive():
    mapping = {"Yes": "Y", "No": "N"}
    values, bad = parsing.map_codes(s("Yes", "no", " YES ", "N", "maybe", None), mapping, ["N", "Y"])
    assert values.tolist() == ["Y", "N", "Y", "N", None, None]
    assert bad.tolist() == [False, False, False, False, True, False]


def test_map_codes_one_zero():
    values, bad = parsing.map_codes(s("1", "0"), {"1": "Y", "0": "N"}, ["N", "Y"])
    assert values.tolist() == ["Y", "N"] and not bad.any()


# --- vocabularies --------------------------------------------------------------------------


def test_normalise_term():
    assert parsing.normalise_term("  Febrile   Neutropenia. ") == "febrile neutropenia"


def test_standardise_terms_with_site_synonyms():
    extra = {"SEPTIC SHOCK": ["shock, septic (local wording)"]}
    values, bad = parsing.standardise_terms(
        s("Shock, septic (local wording)", "completely unknown wording xyz"), "death_causes", extra
    )
    assert values.iloc[0] == "SEPTIC SHOCK"
    assert values.iloc[1] is None and bad.tolist() == [False, True]


# --- units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "quantity", "expected"),
    [
        (45000, "/uL", "PLAT", 45.0),  # platelets per microlitre -> 10^9/L
        (1.25, "lakh/cumm", "PLAT", 125.0),  # 1.25 lakh/cumm = 125,000/uL = 125 x10^9/L
        (850, "cells/cumm", "NEUT", 0.85),  # ANC cells/uL -> 10^9/L
        (1.2, "10^3/uL", "NEUT", 1.2),
        (2.0, "mg/dL", "BILI", 34.208),  # bilirubin 1 mg/dL = 17.104 umol/L
        (101.3, "°F", "TEMP", 38.5),  # (101.3 - 32) * 5/9
        (38.5, "°C", "TEMP", 38.5),
        (120, "g/L", "HGB", 12.0),
    ],
)
def test_convert_units(value, unit, quantity, expected):
    out, bad = parsing.convert_units(pd.Series([float(value)]), pd.Series([unit]), quantity, load_units())
    assert out.iloc[0] == pytest.approx(expected, abs=1e-9)
    assert not bad.iloc[0]


def test_convert_units_unknown_unit_is_bad():
    out, bad = parsing.convert_units(pd.Series([5.0]), pd.Series(["mmol/L"]), "PLAT", load_units())
    assert bad.iloc[0] and pd.isna(out.iloc[0])


def test_blank_mask_uses_dialect_missing_texts():
    mask = parsing.blank_mask(s("", "NA", "nil", "0", None), ["", "NA", "nil"])
    assert mask.tolist() == [True, True, True, False, True]


# --- the calendar span of an ISO 8601 date that may be partial --------------------------------


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("2019-03-05", "2019-03-05", "2019-03-05"),  # a day is one day
        ("2020-02", "2020-02-01", "2020-02-29"),  # a month of a leap year
        ("2019-02", "2019-02-01", "2019-02-28"),
        ("2019", "2019-01-01", "2019-12-31"),  # a year
        (" 2021-04-01T10:00 ", "2021-04-01", "2021-04-01"),  # a date-time counts by its date
        (date(2020, 1, 5), "2020-01-05", "2020-01-05"),  # a date object
        (pd.Timestamp("2020-03-04 13:00", tz="UTC"), "2020-03-04", "2020-03-04"),  # a timestamp: its day
        (pd.Timestamp("2020-03-04 23:30", tz="UTC").tz_convert("Asia/Kolkata"), "2020-03-05", "2020-03-05"),  # its own
        (datetime(2021, 1, 2, 23, 59), "2021-01-02", "2021-01-02"),  # a date-time object
        (date(3000, 1, 1), None, None),  # a date object no timestamp holds (it stopped the run)
        (date(1500, 1, 1), None, None),
        (pd.NaT, None, None),
        ("2019-02-30", None, None),  # no calendar day
        ("2019-04-31", None, None),
        ("2019-13", None, None),  # no month
        ("2019-00", None, None),
        ("2019-1-05", None, None),  # not ISO 8601
        ("0000", None, None),  # a year no timestamp holds
        ("3000-01-01", None, None),
        ("unknown", None, None),
        (None, None, None),
        (pd.NA, None, None),
    ],
)
def test_iso_date_bounds(value, first, last):
    # beside two full dates, so that a vectorised reading and a value-by-value one are both used
    values = pd.Series(["2018-01-01", value, "2018-06"], index=[7, 7, 3], dtype="object")
    low, high = parsing.iso_date_bounds(values)
    assert low.index.tolist() == high.index.tolist() == [7, 7, 3]
    assert [low.iloc[0], high.iloc[0]] == [pd.Timestamp("2018-01-01")] * 2
    assert [low.iloc[2], high.iloc[2]] == [pd.Timestamp("2018-06-01"), pd.Timestamp("2018-06-30")]
    expected = [pd.NaT if d is None else pd.Timestamp(d) for d in (first, last)]
    assert [low.iloc[1], high.iloc[1]] == expected or (first is None and pd.isna(low.iloc[1]) and pd.isna(high.iloc[1]))


def test_iso_date_bounds_of_timestamps():
    values = pd.Series(pd.to_datetime(["2020-01-01 10:00", None]))
    low, high = parsing.iso_date_bounds(values)
    assert low.tolist()[0] == high.tolist()[0] == pd.Timestamp("2020-01-01")
    assert pd.isna(low.iloc[1]) and pd.isna(high.iloc[1])
