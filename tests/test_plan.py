"""Outputs declared as data (inoflow.analysis.endpoints.plan) and the builders it added to inoflow.analysis.ard:
the median with its order-statistic interval, quantiles of a Kaplan-Meier fit, median follow-up
by reverse Kaplan-Meier and subjects with events, each against a hand-worked case."""

from __future__ import annotations

import pandas as pd
import pytest

from inoflow.analysis import ard as cards
from inoflow.analysis.endpoints import plan
from inoflow.analysis.lineage import tag
from inoflow.analysis.stats.order import median_ci


def adsl(**columns):
    n = len(next(iter(columns.values())))
    return tag(pd.DataFrame({"USUBJID": [f"S{i}" for i in range(1, n + 1)], **columns}), "ADSL")


def stats_of(rows, **where):
    ard = cards.finish(rows)
    for column, value in where.items():
        ard = ard[ard[column].astype(str) == str(value)]
    return ard.set_index("stat_name")["stat"]


# --- the median and its distribution-free interval --------------------------------------------


def test_median_ci_ranks_by_hand_n11():
    # n = 11: P(B <= 1) = 12/2048 = 0.00586 <= 0.025 but P(B <= 2) = 67/2048 = 0.0327 > 0.025,
    # so k = 2: the limits are the 2nd and 10th smallest values, coverage 1 - 2 * 12/2048
    ci = median_ci([10, 1, 9, 2, 8, 3, 7, 4, 6, 5, 11])
    assert (ci.median, ci.conf_low, ci.conf_high) == (6.0, 2.0, 10.0)
    assert (ci.rank_low, ci.rank_high) == (2, 10)
    assert ci.coverage == pytest.approx(1 - 24 / 2048)


def test_median_ci_n73_uses_order_statistics_28_and_46():
    # the Italian cohort's size: P(B <= 27) = 0.0172 <= 0.025 < P(B <= 28) = 0.0302
    values = list(range(1, 74))
    ci = median_ci(values)
    assert (ci.rank_low, ci.rank_high, ci.conf_low, ci.conf_high, ci.median) == (28, 46, 28.0, 46.0, 37.0)
    assert ci.coverage == pytest.approx(0.965584, abs=1e-6)


def test_median_ci_too_few_values_has_no_interval():
    ci = median_ci([1, 2, 3, 4, 5])  # even min..max covers only 1 - 2/32 = 93.75 %
    assert ci.median == 3.0 and pd.isna(ci.conf_low) and ci.rank_low is None


def test_ard_median_ci_rows():
    rows = cards.ard_median_ci(adsl(AAGE=[50.0, 52.7, 51.9, None]), "AAGE", "IT01")
    stats = stats_of(rows)
    assert stats["N"] == 3 and stats["median"] == pytest.approx(51.9)
    assert cards.finish(rows).set_index("stat_name").loc["method", "stat_fmt"].startswith("Distribution-free")


# --- Kaplan-Meier quantiles and follow-up -----------------------------------------------------


def tte(months, events):
    return adsl(MONTHS=months, EVENT=events)


def test_km_quartiles_by_hand():
    # 4 events, no censoring: S = 0.75, 0.5, 0.25, 0 at 1, 2, 3, 4 months. The p-th quantile is the
    # first time S <= 1 - p; where S equals 1 - p exactly on a flat step, R takes the midpoint to
    # the next event: p = 0.25 -> (1 + 2) / 2, p = 0.5 -> (2 + 3) / 2, p = 0.75 -> (3 + 4) / 2
    rows = cards.ard_survfit(tte([1, 2, 3, 4], [1, 1, 1, 1]), "IT03", [], probs=[0.25, 0.5, 0.75])
    ard = cards.finish(rows)
    estimates = ard[(ard["variable"] == "prob") & (ard["stat_name"] == "estimate")]
    assert dict(zip(estimates["variable_level"], estimates["stat"], strict=True)) == {
        "0.25": 1.5,
        "0.5": 2.5,
        "0.75": 3.5,
    }


def test_followup_is_the_median_of_the_censoring_distribution():
    # deaths at 1 and 3, censored at 2, 4, 5 months. Reverse KM (censorings are the events,
    # deaths censored): at 2, 4 at risk -> 3/4; at 4, 2 at risk -> 3/4 * 1/2 = 3/8 <= 0.5: median 4
    rows = cards.ard_followup(tte([1, 2, 3, 4, 5], [1, 0, 1, 0, 0]), "IT04")
    stats = stats_of(rows)
    assert (stats["estimate"], stats["n"], stats["n.censored"]) == (4.0, 5, 3)


# --- subjects with events ---------------------------------------------------------------------


def test_events_count_subjects_once_and_only_in_the_population():
    population = tag(adsl(SAFFL=["Y", "Y", "Y", "Y"]), "ADSL", "ADAE")
    records = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S2", "S3", "S9"],  # S1 twice; S9 outside the population
            "AEDECOD": ["PNEUMONIA", "PNEUMONIA", "PNEUMONIA", "SEPSIS", "PNEUMONIA"],
        }
    )
    ard = cards.finish(cards.ard_events(population, records, "AEDECOD", "IT07"))
    n = ard[ard["stat_name"] == "n"].set_index("variable_level")["stat"].to_dict()
    assert n == {"ANY": 3, "PNEUMONIA": 2, "SEPSIS": 1}  # most frequent first
    assert set(ard.loc[ard["stat_name"] == "N", "stat"]) == {4}


# --- the plan ---------------------------------------------------------------------------------

DEFINITIONS = {
    "study": "demo",
    "month_days": 30.4375,
    "ae": {"grade": {"ge": 3}, "haem": ["NEUTROPENIA"], "groups": {"LIVER": ["ALT INCREASED", "AST INCREASED"]}},
    "analyses": {
        "X1": [
            {"analysis": "proportion", "population": "FASFL == 'Y'", "variable": "RESPFL"},
            {"analysis": "proportion", "population": "FASFL == 'Y'", "variable": "BESTRSP", "value": "CR"},
            {"analysis": "categorical", "population": "FASFL == 'Y'", "variable": "BESTRSP"},
        ],
        "X2": [
            {
                "analysis": "events",
                "data": "ADAE",
                "population": "FASFL == 'Y'",
                "where": "AETOXGR >= @ae__grade__ge and AEDECOD not in @ae__haem",
                "groups": "ae__groups",
                "worst_grade": [3, 4, 5],
            }
        ],
    },
}


def small_adam():
    adsl_ = adsl(
        FASFL=["Y", "Y", "Y", "Y", "N"],
        RESPFL=["Y", "Y", "N", "Y", "Y"],
        BESTRSP=["CR", "CRi", "NR", "CR", "CR"],
    )
    adae = tag(
        pd.DataFrame(
            {
                "USUBJID": ["S1", "S1", "S2", "S3", "S4", "S5"],
                "AEDECOD": ["ALT INCREASED", "PNEUMONIA", "AST INCREASED", "NEUTROPENIA", "PNEUMONIA", "PNEUMONIA"],
                "AETOXGR": [3, 4, 2, 4, 5, 3],
            }
        ),
        "ADAE",
    )
    return {"ADSL": adsl_, "ADAE": adae}


def test_plan_proportions_and_categories_follow_the_population():
    ard = cards.finish(plan.ard_rows(small_adam(), DEFINITIONS, ["X1"]))
    resp = ard[(ard["variable"] == "RESPFL") & (ard["context"] == "proportion_ci")].set_index("stat_name")["stat"]
    assert (resp["n"], resp["N"]) == (3, 4)  # S5 is outside the population
    cr = ard[(ard["variable_level"] == "CR") & (ard["context"] == "proportion_ci")].set_index("stat_name")["stat"]
    assert (cr["n"], cr["N"]) == (2, 4)
    levels = ard[(ard["context"] == "categorical") & (ard["stat_name"] == "n")]
    assert dict(zip(levels["variable_level"], levels["stat"], strict=True)) == {"CR": 2, "CRi": 1, "NR": 1}


def test_plan_events_where_groups_and_worst_grade():
    ard = cards.finish(plan.ard_rows(small_adam(), DEFINITIONS, ["X2"]))
    n = ard[(ard["stat_name"] == "n") & ard["group1"].isna()].set_index(["variable", "variable_level"])["stat"]
    # grade >= 3 and not haematological: S1 ALT 3 and pneumonia 4, S4 pneumonia 5 (S2 grade 2, S3
    # neutropenia, S5 outside the population)
    assert n[("AEDECOD", "ANY")] == 2
    assert n[("AEDECOD", "PNEUMONIA")] == 2 and n[("AEDECOD", "ALT INCREASED")] == 1
    assert n[("AEGROUP", "LIVER")] == 1
    worst = ard[(ard["group1"] == "AEDECOD") & (ard["group1_level"] == "PNEUMONIA") & (ard["stat_name"] == "n")]
    assert dict(zip(worst["variable_level"], worst["stat"], strict=True)) == {"3": 0, "4": 1, "5": 1}


def test_plan_refuses_unknown_analyses_and_missing_outputs():
    with pytest.raises(plan.PlanError, match="no analyses for X9"):
        plan.ard_rows(small_adam(), DEFINITIONS, ["X9"])
    bad = {**DEFINITIONS, "analyses": {"X1": [{"analysis": "forest"}]}}
    with pytest.raises(plan.PlanError, match="analysis 'forest' is not one of"):
        plan.ard_rows(small_adam(), bad, ["X1"])
    with pytest.raises(plan.PlanError, match="no 'ae__nothing'"):
        plan.lookup(DEFINITIONS, "ae__nothing")
