"""Table shells (inoflow.tables.shells) on hand-made data: what each layout rule gives, cell by
cell, and the footnotes each output gets."""

from __future__ import annotations

import pandas as pd
import pytest
from ard_data import patients
from conftest import PROJECT_ROOT

from inoflow.analysis import ard as cards
from inoflow.analysis.lineage import tag
from inoflow.tables.shells import ShellError, display_table, footnotes, load_display

DISPLAY = load_display(PROJECT_ROOT / "config/reference/display.yaml")


@pytest.fixture
def five():
    # HSCT: S1-S3 yes (VOD in S1, S2), S4-S5 no (VOD in none); salvage lines 1, 1, 2, 2, >=3
    return patients(
        HSCTFL=["Y", "Y", "Y", "N", "N"],
        VODFL=["Y", "Y", "N", "N", "N"],
        SALVLNGR=["1", "1", "2", "2", ">=3"],
        RESPFL=["Y", "N", "Y", "Y", "N"],
    )


def test_columns_side_by_side_with_n_in_the_headers_and_a_total(five):
    rows = cards.ard_total_n(five, "X1", by="HSCTFL", by_levels=["Y", "N"])
    rows += cards.ard_total_n(five, "X1")
    rows += cards.ard_proportion_ci(five, "VODFL", "X1", by="HSCTFL", by_levels=["Y", "N"])
    rows += cards.ard_proportion_ci(five, "VODFL", "X1")
    table = display_table(cards.finish(rows), "X1", {"columns": "HSCTFL"}, DISPLAY)
    frame = table.frame()
    assert frame.columns.tolist() == ["", "HSCT after InO: Yes (N = 3)", "HSCT after InO: No (N = 2)", "Total (N = 5)"]
    # 2/3 = 66.7% [9.4-99.2]; 0/2 [0.0-84.2]; 2/5 = 40.0% [5.3-85.3] (Clopper-Pearson, by hand from the beta quantiles)
    assert frame.values.tolist() == [
        [
            "VOD",
            "2/3 (66.7%) [95% CI 9.4-99.2]",
            "0/2 (0.0%) [95% CI 0.0-84.2]",
            "2/5 (40.0%) [95% CI 5.3-85.3]",
        ]
    ]
    # each cell knows its ARD block (the --row of inoflow-trace: blocks 1-3 are the header counts)
    assert [c.number for c in table.cells()] == [4, 5, 6]
    assert all(len(c.ard_row_ids) == 7 for c in table.cells())  # N, n, estimate, conf.low/high/level, method


def test_a_section_of_one_row_per_level_reads_as_that_row_by_the_section(five):
    rows = cards.ard_proportion_ci(five, "RESPFL", "X2")
    rows += cards.ard_proportion_ci(five, "RESPFL", "X2", by="SALVLNGR", by_levels=["1", "2", ">=3"])
    frame = display_table(cards.finish(rows), "X2", {}, DISPLAY).frame()
    assert frame.columns.tolist() == ["", "Result"]  # no ard_total_n row: no N in the header
    assert frame[""].tolist() == [
        "CR/CRi",
        "CR/CRi, by salvage line of InO",
        "   First salvage",
        "   Second salvage",
        "   Third or later salvage",
    ]
    assert frame["Result"].tolist()[2:] == [
        "1/2 (50.0%) [95% CI 1.3-98.7]",
        "2/2 (100.0%) [95% CI 15.8-100.0]",
        "0/1 (0.0%) [95% CI 0.0-97.5]",
    ]


def test_levels_take_their_labels_and_continuous_summaries_their_lines():
    data = patients(SEX=["F", "M", "M", "M"], NCYCLES=[1, 2, 2, 6], PRBLINA=["Y", "N", "N", "Y"])
    rows = cards.ard_categorical(data, "SEX", "X3", ["F", "M"])
    rows += cards.ard_continuous(data, "NCYCLES", "X3")
    rows += cards.ard_categorical(data, "PRBLINA", "X3", ["Y", "N"])  # Y/N with no codelist of its own
    frame = display_table(cards.finish(rows), "X3", {}, DISPLAY).frame()
    assert frame.values.tolist() == [
        ["Sex", ""],
        ["   Female", "1/4 (25.0%)"],
        ["   Male", "3/4 (75.0%)"],
        ["Number of InO cycles", ""],
        ["   N", "4"],
        ["   Mean (SD)", "2.8 (2.2)"],  # 11 / 4 = 2.75; SD = sqrt(14.75 / 3) = 2.22
        ["   Median (Q1-Q3)", "2.0 (1.5-4.0)"],  # type 2: Q1 = (1 + 2) / 2, Q3 = (2 + 6) / 2
        ["   Range", "1-6"],  # whole numbers: the range whole
        ["Prior blinatumomab", ""],
        ["   Yes", "2/4 (50.0%)"],
        ["   No", "2/4 (50.0%)"],
    ]


def test_nested_rows_go_under_the_row_of_their_level():
    population = patients(SAFFL=["Y", "Y", "Y", "Y"])
    events = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S2", "S3"],
            "AEDECOD": ["PNEUMONIA", "PNEUMONIA", "PNEUMONIA", "SEPSIS"],
            "AETOXGR": [3, 4, 3, 5],
        }
    )
    rows = cards.ard_events(population, events, "AEDECOD", "X4")
    worst = events.groupby(["USUBJID", "AEDECOD"], as_index=False)["AETOXGR"].max()
    for term in ("PNEUMONIA", "SEPSIS"):
        part = tag(worst[worst["AEDECOD"] == term].assign(SRCFILE="x", SRCROW=1), "ADSL")
        rows += cards.ard_categorical(part, "AETOXGR", "X4", [3, 4, 5], by="AEDECOD", by_levels=[term])
    frame = display_table(cards.finish(rows), "X4", {"nest": "AEDECOD"}, DISPLAY).frame()
    assert frame.values.tolist() == [
        ["Grade >= 3 adverse event (preferred term)", ""],
        ["   Any grade >= 3 adverse event", "3/4 (75.0%)"],
        ["   Pneumonia", "2/4 (50.0%)"],  # MedDRA's upper case in sentence case
        ["      Worst grade", ""],
        ["         Grade 3", "1/2 (50.0%)"],
        ["         Grade 4", "1/2 (50.0%)"],  # S1's worst is 4, S2's 3
        ["         Grade 5", "0/2 (0.0%)"],
        ["   Sepsis", "1/4 (25.0%)"],
        ["      Worst grade", ""],
        ["         Grade 3", "0/1 (0.0%)"],
        ["         Grade 4", "0/1 (0.0%)"],
        ["         Grade 5", "1/1 (100.0%)"],
    ]


def test_money_is_separated_by_thousands():
    data = patients(TOTAL=[1234.5, 100000.0, 2000.25])
    ard = cards.finish(cards.ard_continuous(data, "TOTAL", "X5", money=True))
    formatted = dict(zip(ard["stat_name"], ard["stat_fmt"], strict=True))
    assert formatted == {
        "N": "3",
        "mean": "34,411.58",  # 103,234.75 / 3
        "sd": "56,802.53",
        "median": "2,000.25",
        "p25": "1,234.50",
        "p75": "100,000.00",
        "min": "1,234.50",
        "max": "100,000.00",
    }


def test_a_format_naming_a_statistic_the_block_lacks_is_refused(five):
    ard = cards.finish(cards.ard_proportion_ci(five, "VODFL", "X6"))
    display = {**DISPLAY, "formats": {**DISPLAY["formats"], "proportion_ci": [{"cell": "{n} of {total}"}]}}
    with pytest.raises(ShellError, match=r"output X6, VODFL Y \(proportion_ci\): the format names \{total\}"):
        display_table(ard, "X6", {}, display)


def test_footnotes_quote_the_definitions_an_output_uses_and_its_methods(five):
    rows = cards.ard_proportion_ci(five, "VODFL", "X7", by="HSCTFL", by_levels=["Y", "N"])
    ard = cards.finish(rows)
    definitions = {
        "month_days": 30.4375,
        "footnotes": [
            {"variables": ["RESPFL"], "populations": ["RESP"], "text": "CR: blasts < 5%."},
            {"variables": ["VODFL"], "text": "VOD:   by the\n  Baltimore criteria."},
            {"outputs": ["X9"], "text": "Only X9."},
        ],
    }
    notes = footnotes(ard, "X7", {"population": "SAF"}, definitions, DISPLAY)
    assert notes == [
        "Population: Safety set, patients who received at least one InO dose.",
        "VOD: by the Baltimore criteria.",
        "Percentages with exact Clopper-Pearson 95% CIs.",
    ]
    assert footnotes(ard, "X7", {"population": "RESP"}, definitions, DISPLAY)[1] == "CR: blasts < 5%."


def test_each_registry_definition_is_the_records_own_words():
    """config/reference/registry_definitions.yaml holds, for each outcome measure OMnn, the
    description that follows its title in the n-th measure of the registry record, word for word
    (markdown escapes removed), ending where the record's time frame begins."""
    import re

    from inoflow.config import read_yaml

    record = (PROJECT_ROOT / "docs/sources/india_registry_record.txt").read_text(encoding="utf-8").splitlines()
    measures = [re.sub(r"\\([\[\]<>*^_])", r"\1", m) for m in record[25].split("|") + record[26].split("|")]
    assert len(measures) == 28
    definitions = read_yaml(PROJECT_ROOT / "config/reference/registry_definitions.yaml")["india"]
    assert sorted(definitions) == [f"OM{i:02d}" for i in range(1, 29) if i != 20]  # OM20: none in the record
    for output_id, text in definitions.items():
        measure = measures[int(output_id[2:]) - 1]
        assert f", {text}, " in measure + ", ", output_id
        after = measure.split(f", {text}", 1)[1]
        assert after.startswith((", From InO treatment initiation", ", 6 and 12 months post")), output_id


def test_an_outcome_measure_quotes_the_registry_then_the_applied_definition():
    from inoflow.tables.report import load_outputs

    data = patients(RESPFL=["Y", "N", "Y"])
    ard = cards.finish(cards.ard_proportion_ci(data, "RESPFL", "OM01"))
    spec = load_outputs("india")["OM01"]
    definitions = {"footnotes": [{"variables": ["RESPFL"], "text": "CR: blasts <= 5%."}]}
    notes = footnotes(ard, "OM01", spec, definitions, DISPLAY)
    assert notes[0] == "Population: Full analysis set, all eligible patients who received InO."
    assert notes[1].startswith("Registry definition: CR was defined as 5 percent (%) bone marrow blasts, no evidence")
    assert notes[2] == "As derived here: CR: blasts <= 5%."


def test_values_a_stated_rule_gives_are_marked_and_the_rule_stated_once():
    """Issue 16: four patients, deaths at 2 and 4 months, censored at 3 and 8: the curve is 3/4
    from 2 and 3/8 from 4 months, never exactly 1/2; two patients, a death at 2 and a censoring at
    6: the curve is flat at exactly 50% from 2 to the end, so the median is (2 + 6) / 2 = 4 by
    R's quantile.survfit rule (flagged); at 12 months, after the last observation (8), the
    estimate 3/8 is carried forward (flagged); where it is 0 it is not. (Two deaths at 1 and 2 would
    be flat at 50% over [1, 2): R's median 1.5, flagged too.)"""
    four = patients(MONTHS=[2.0, 3.0, 4.0, 8.0], EVENT=[1, 0, 1, 0])
    two = patients(MONTHS=[2.0, 6.0], EVENT=[1, 0])
    dead = patients(MONTHS=[1.0, 2.0, 3.0], EVENT=[1, 1, 1])  # 2/3, 1/3, 0: never flat at 50%
    rows = cards.ard_survfit(four, "X9", [6, 12], group=("HSCTFL", "Y"))
    rows += cards.ard_survfit(two, "X9", [6, 12], group=("HSCTFL", "N"))
    rows += cards.ard_survfit(dead, "X9", [12])
    ard = cards.finish(rows)
    flags = ard[ard["stat_name"].isin(["beyond.last", "flat.segment"])]
    got = sorted(zip(flags["group1_level"].fillna("-"), flags["variable_level"], flags["stat_name"], strict=True))
    assert got == [("N", "0.5", "flat.segment"), ("N", "12", "beyond.last"), ("Y", "12", "beyond.last")]
    assert cards.stat_value(ard, "X9", "estimate", group1_level="N", variable="prob") == 4.0
    frame = display_table(ard, "X9", {"columns": "HSCTFL"}, DISPLAY).frame().set_index("")
    at_12 = frame.loc["At 12 months, % (95% CI)"].tolist()
    assert at_12[0].startswith("37.5 (") and at_12[0].endswith(") †") and at_12[1] == "50.0 (0.6-91.0) †"
    assert frame.loc["At 6 months, % (95% CI)"].tolist()[1] == "50.0 (0.6-91.0)"  # observed at 6: not marked
    assert frame.loc["At 12 months, % (95% CI)"].tolist()[2] == "0.0 (NE-NE)"  # 0 is no extrapolation
    assert frame.loc["Median, months (95% CI)"].tolist()[1] == "4.0 (2.0-NE) ‡"
    assert frame.loc["At risk at 12 months"].tolist()[:2] == ["0", "0"]  # the count itself is not marked
    notes = footnotes(ard, "X9", {}, {"month_days": 30.4375}, DISPLAY)
    assert sum(note.startswith("† After the last observed time") for note in notes) == 1
    assert sum(note.startswith("‡ The curve is exactly at 50%") for note in notes) == 1
