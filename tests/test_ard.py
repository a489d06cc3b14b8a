"""ARD builders: the cards/cardx layout, hand-worked statistics, stable row ids."""

from __future__ import annotations

import pandas as pd
import pytest

from inoflow.analysis import ard as cards
from inoflow.analysis.lineage import tag
from inoflow.tables.compare import compare, shown


def frame(**columns):
    """A small analysis dataset; subjects S1, S2, ... unless USUBJID is given."""
    n = len(next(iter(columns.values())))
    return tag(pd.DataFrame({"USUBJID": [f"S{i}" for i in range(1, n + 1)], **columns}), "ADSL")


def test_layout_has_the_cards_columns_and_output_id():
    rows = cards.ard_categorical(frame(SEX=["F", "M", "M"]), "SEX", "T1", ["F", "M"])
    ard = cards.finish(rows)
    assert list(ard.columns) == cards.ARD_COLUMNS
    assert set(ard["stat_name"]) == {"n", "N", "p"}
    assert ard["ard_row_id"].is_unique


def test_categorical_counts_and_proportions():
    ard = cards.finish(cards.ard_categorical(frame(SEX=["F", "M", "M", None]), "SEX", "T1", ["F", "M"]))
    m = ard[ard["variable_level"] == "M"].set_index("stat_name")["stat"]
    assert (m["n"], m["N"], m["p"]) == (2, 3, pytest.approx(2 / 3))  # N counts non-missing


def test_proportion_ci_is_clopper_pearson_and_names_the_method():
    data = frame(RESPFL=["Y"] * 19 + ["N"] * 13)
    ard = cards.finish(cards.ard_proportion_ci(data, "RESPFL", "OM01"))
    stats = ard.set_index("stat_name")
    assert stats.loc["n", "stat"] == 19 and stats.loc["N", "stat"] == 32
    assert stats.loc["estimate", "stat"] == pytest.approx(19 / 32)
    assert stats.loc["conf.low", "stat"] == pytest.approx(0.4064492, abs=5e-7)
    assert stats.loc["conf.high", "stat"] == pytest.approx(0.7630159, abs=5e-7)  # R binom.test(19, 32)
    assert stats.loc["method", "stat_fmt"] == "Clopper-Pearson exact"
    assert stats.loc["estimate", "stat_fmt"] == "59.4"


def test_proportion_by_group_keeps_group_levels():
    data = frame(RESPFL=["Y", "N", "Y", "Y"], BURDEN=["LOW", "LOW", "HIGH", "HIGH"])
    ard = cards.finish(cards.ard_proportion_ci(data, "RESPFL", "OM03", by="BURDEN", by_levels=["LOW", "HIGH"]))
    n = ard[ard["stat_name"] == "n"].set_index("group1_level")["stat"]
    assert n.to_dict() == {"LOW": 1.0, "HIGH": 2.0}
    assert set(ard["group1"]) == {"BURDEN"}


def test_continuous_uses_type2_quartiles():
    ard = cards.finish(cards.ard_continuous(frame(X=[1, 2, 3, 4]), "X", "OM08"))
    stats = ard.set_index("stat_name")["stat"]
    # type 2: n*p = 1 is whole, so Q1 = (x1 + x2) / 2; Q3: n*p = 3, (x3 + x4) / 2
    assert (stats["p25"], stats["median"], stats["p75"]) == (1.5, 2.5, 3.5)
    assert stats["sd"] == pytest.approx(1.2909944, abs=1e-7)
    assert cards.quantile_type2(pd.Series([1, 2, 3, 4, 5]), 0.25) == 2.0  # n*p = 1.25 -> x2


def test_two_grouping_variables():
    data = frame(V=["Y", "N", "Y"], H=["Y", "Y", "N"], S=["1", "1", "2"])
    ard = cards.finish(cards.ard_proportion_ci(data, "V", "OM17", by=("H", "S"), by_levels=(["Y", "N"], ["1", "2"])))
    n = ard[(ard["stat_name"] == "N")]
    assert n[["group1_level", "group2_level", "stat"]].values.tolist() == [
        ["Y", "1", 2.0],
        ["Y", "2", 0.0],
        ["N", "1", 0.0],
        ["N", "2", 1.0],
    ]


def test_survfit_rows_follow_cardx_names():
    data = frame(USUBJID=["A", "B", "C", "D"], MONTHS=[1.0, 2.0, 3.0, 4.0], EVENT=[1, 1, 0, 1])
    ard = cards.finish(cards.ard_survfit(data, "F2", [0, 2]))
    assert set(ard.loc[ard["variable"] == "time", "stat_name"]) == {
        "n.risk",
        "estimate",
        "std.error",
        "conf.low",
        "conf.high",
    }
    # S is 1/2 from 2 to the death at 4: the median is the midpoint 3 (R quantile.survfit), flagged
    assert set(ard.loc[ard["variable"] == "prob", "stat_name"]) == {"estimate", "conf.low", "conf.high", "flat.segment"}
    assert cards.stat_value(ard, "F2", "estimate", variable="prob") == 3.0
    at2 = ard[(ard["variable"] == "time") & (ard["variable_level"] == "2")].set_index("stat_name")["stat"]
    assert at2["n.risk"] == 3 and at2["estimate"] == pytest.approx(0.5)  # (1 - 1/4)(1 - 1/3)
    assert ard.loc[ard["stat_name"] == "conf.type", "stat_fmt"].item() == "log-log"


def test_crude_alive_counts_follow_up_reaching_the_landmark():
    data = frame(USUBJID=["A", "B", "C", "D"], MONTHS=[2.0, 6.0, 7.5, 13.0], EVENT=[1, 0, 1, 0])
    ard = cards.finish(cards.ard_crude_alive(data, [6, 12], "F2"))
    n = ard[ard["stat_name"] == "n"].set_index("variable_level")["stat"]
    assert n.to_dict() == {"6": 3.0, "12": 1.0}


def test_duplicate_rows_are_refused():
    rows = cards.ard_categorical(frame(SEX=["F"]), "SEX", "T1", ["F"])
    with pytest.raises(ValueError, match="ARD rows are not unique"):
        cards.finish(rows + rows)


def test_comparison_statuses():
    ard = cards.finish(cards.ard_proportion_ci(frame(V=["Y"] * 27 + ["N"] * 5), "V", "T8"))
    items = [
        {
            "label": "count",
            "source": "T",
            "published": 27,
            "check": "count",
            "output_id": "T8",
            "variable": "V",
            "variable_level": "Y",
            "stat_name": "n",
        },
        {
            "label": "misprint",
            "source": "T",
            "published": 84.8,
            "check": "pct1",
            "output_id": "T8",
            "variable": "V",
            "variable_level": "Y",
            "stat_name": "estimate",
            "expect": "differs",
        },
        {
            "label": "wrong",
            "source": "T",
            "published": 26,
            "check": "count",
            "output_id": "T8",
            "variable": "V",
            "variable_level": "Y",
            "stat_name": "n",
        },
        {"label": "absent", "source": "F", "published": 50, "check": "count", "expect": "not_in_extracts"},
    ]
    result = compare(ard, items).set_index("label")
    assert result.loc["count", "status"] == "reproduced"
    assert (
        result.loc["misprint", "status"] == "documented difference" and result.loc["misprint", "reproduced"] == "84.4"
    )
    assert result.loc["wrong", "status"] == "MISMATCH"
    assert result.loc["absent", "status"] == "not in extracts"
    assert shown(0.5625, "dec2pct") == "56.25"


def test_catalogue_titles_with_commas_are_read_whole():
    from inoflow.tables.report import load_outputs, repair_flow_title

    assert repair_flow_title({"title": "VOD (a", "b)": None, "population": "FAS"}) == {
        "title": "VOD (a, b)",
        "population": "FAS",
    }
    outputs = load_outputs("india")
    assert (
        outputs["OM12"]["title"]
        == "Participants by InO dose category (standard 1.8, under < 1.8, over > 1.8 mg/m2 per cycle)"
    )
    assert outputs["OM27"]["title"] == "Haematological toxicities (febrile neutropenia, neutropenia, thrombocytopenia)"
    assert outputs["OM12"]["population"] == "FAS"
