"""Small-cell suppression for shareable tables (inoflow.tables.suppress) on hand-made counts:
primary (1 to 4 shown as <5, zero shown), within a result, complementary within a partition and
across the groups of a table, and the table a reader then gets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ard_data import patients
from conftest import PROJECT_ROOT

from inoflow.analysis import ard as cards
from inoflow.tables.shells import display_table, load_display
from inoflow.tables.suppress import suppress

DISPLAY = load_display(PROJECT_ROOT / "config/reference/display.yaml")


def shown(ard: pd.DataFrame, **where) -> dict[str, str]:
    rows = ard
    for column, value in where.items():
        rows = rows[rows[column].astype(str) == str(value)]
    return dict(zip(rows["stat_name"], rows["stat_fmt"], strict=True))


def categories(counts: dict[str, int]) -> pd.DataFrame:
    values = [level for level, n in counts.items() for _ in range(n)]
    return cards.finish(cards.ard_categorical(patients(DOSECAT=values), "DOSECAT", "X", list(counts)))


def test_a_count_below_five_and_its_one_complement_in_a_partition():
    ard = suppress(categories({"STANDARD": 3, "UNDER": 10, "OVER": 19}))
    assert shown(ard, variable_level="STANDARD") == {"n": "<5", "N": "32", "p": "NR"}
    # with N = 32 shown, STANDARD = 32 - 10 - 19: the smallest other level is withheld too
    assert shown(ard, variable_level="UNDER") == {"n": "NR", "N": "32", "p": "NR"}
    assert shown(ard, variable_level="OVER") == {"n": "19", "N": "32", "p": "59.4"}
    assert ard.loc[ard["stat_fmt"].isin(["<5", "NR"]), "stat"].isna().all()
    assert ard.loc[~ard["stat_fmt"].isin(["<5", "NR"]), "stat"].notna().all()


def test_zero_is_shown_and_two_small_levels_hide_each_other():
    assert suppress(categories({"STANDARD": 0, "UNDER": 12, "OVER": 20}))["stat_fmt"].isin(["<5", "NR"]).sum() == 0
    ard = suppress(categories({"STANDARD": 2, "UNDER": 3, "OVER": 27}))
    assert shown(ard, variable_level="STANDARD")["n"] == "<5"
    assert shown(ard, variable_level="UNDER")["n"] == "<5"
    assert shown(ard, variable_level="OVER") == {"n": "27", "N": "32", "p": "84.4"}  # 2 + 3 known only as a sum


def test_the_minimum_is_configurable_and_must_hide_something():
    ard = suppress(categories({"STANDARD": 6, "UNDER": 10, "OVER": 16}), min_cell_count=11)
    assert [shown(ard, variable_level=v)["n"] for v in ("STANDARD", "UNDER", "OVER")] == ["<11", "<11", "16"]
    with pytest.raises(ValueError, match="at least 2"):
        suppress(categories({"A": 1}), min_cell_count=1)


def test_a_group_below_five_hides_the_total_of_its_row():
    # T6's layout: HSCT yes 5 of 11 with VOD, no 2 of 20; the total 7 of 31 would give the 2 back
    data = patients(HSCTFL=["Y"] * 11 + ["N"] * 20, VODFL=["Y"] * 5 + ["N"] * 6 + ["Y"] * 2 + ["N"] * 18)
    rows = cards.ard_total_n(data, "T", by="HSCTFL", by_levels=["Y", "N"]) + cards.ard_total_n(data, "T")
    rows += cards.ard_proportion_ci(data, "VODFL", "T", by="HSCTFL", by_levels=["Y", "N"])
    rows += cards.ard_proportion_ci(data, "VODFL", "T")
    layout = {"columns": "HSCTFL"}
    ard = suppress(cards.finish(rows), 5, {"T": layout})
    frame = display_table(ard, "T", layout, DISPLAY).frame()
    assert frame.columns.tolist() == [
        "",
        "HSCT after InO: Yes (N = 11)",
        "HSCT after InO: No (N = 20)",
        "Total (N = 31)",
    ]
    assert frame.values.tolist() == [["VOD", "5/11 (45.5%) [95% CI 16.7-76.6]", "<5/20", "NR/31"]]
    exact = display_table(cards.finish(rows), "T", layout, DISPLAY).frame()  # the study's own table is exact
    assert exact.values.tolist()[0][2:] == ["2/20 (10.0%) [95% CI 1.2-31.7]", "7/31 (22.6%) [95% CI 9.6-41.1]"]


def test_a_header_count_below_five_hides_the_total_n():
    data = patients(HSCTFL=["Y"] * 3 + ["N"] * 9, RESPFL=["Y"] * 6 + ["N"] * 6)
    rows = cards.ard_total_n(data, "T", by="HSCTFL", by_levels=["Y", "N"]) + cards.ard_total_n(data, "T")
    rows += cards.ard_proportion_ci(data, "RESPFL", "T", by="HSCTFL", by_levels=["Y", "N"])
    ard = suppress(cards.finish(rows), 5, {"T": {"columns": "HSCTFL"}})
    table = display_table(ard, "T", {"columns": "HSCTFL"}, DISPLAY)
    assert table.columns == ["HSCT after InO: Yes (N = <5)", "HSCT after InO: No (N = 9)", "Total (N = NR)"]
    assert table.frame().values.tolist() == [["CR/CRi", "<5/<5", "<5/9", ""]]  # 3 of 3; 3 of 9


def test_summaries_and_kaplan_meier_of_fewer_than_five_are_not_reported():
    few = patients(AGE=[30, 41, 52, 67])
    ard = suppress(cards.finish(cards.ard_continuous(few, "AGE", "X")))
    assert shown(ard) == dict.fromkeys(["mean", "sd", "median", "p25", "p75", "min", "max"], "NR") | {"N": "<5"}
    months = patients(MONTHS=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 14.0], EVENT=[1, 0] * 5)
    rows = cards.ard_survfit(months, "K", [6, 12])
    rows += cards.ard_survfit(months.iloc[:3], "K", [6, 12], group=("HSCTFL", "Y"))
    ard = suppress(cards.finish(rows))
    overall = ard[ard["group1"].isna()]
    at_12 = shown(overall, variable="time", variable_level="12")
    assert at_12["n.risk"] == "<5" and at_12["estimate"] not in ("<5", "NR")  # 1 at risk; the estimate stands
    assert shown(overall, variable="..ard_survfit..")["n"] == "10"
    group = ard[ard["group1"] == "HSCTFL"]
    assert set(group["stat_fmt"]) <= {"<5", "NR"} and group["stat"].isna().all()
    assert np.isnan(group["stat"]).all()


def test_the_deaths_of_a_mantel_byar_test_and_the_excluded_of_a_landmark_are_counts():
    """Issue 16: six patients, three transplanted (at 1, 2 and 3 months), two deaths after HSCT:
    the observed deaths (2) and the patients left out at a landmark of 2.5 months (died or
    censored by it: 1) are shown as <5; the expected deaths and the test are not counts."""
    data = patients(
        MONTHS=[2.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        EVENT=[1, 1, 0, 1, 0, 1],
        EXP=[np.nan, 1.0, np.nan, 2.0, 3.0, np.nan],
    )
    rows = cards.ard_time_dependent(data, "X", "EXP", "HSCTTD", [3])
    rows += cards.ard_landmark(data, "X", "EXP", "HSCTLM", 2.5, [3])
    ard = cards.finish(rows)
    before = shown(ard, context="survival_mantel_byar")
    assert before["observed"] == "2" and shown(ard, context="landmark")["n.excluded"] == "1"
    after = shown(suppress(ard), context="survival_mantel_byar")
    assert after == {**before, "observed": "<5"}  # the expected deaths, the statistic and p stay
    assert shown(suppress(ard), context="landmark") == {"time": "2.5", "n": "5", "n.excluded": "<5"}
