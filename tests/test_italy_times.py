"""The synthetic Italian INO-CD22 cohort reproduces the published time-to-event figures.

Each published figure is recomputed with the project's own Kaplan-Meier module
(:mod:`inoflow.analysis.stats.km`) and compared as printed: the number formatted to the published decimals
and compared as a string. Months = days / 30.4375.
"""

from __future__ import annotations

import pandas as pd
import pytest

from inodemo.italy_times import COLUMNS, italy_survival
from inoflow.analysis.stats.km import fit_km, quantile, reverse_km, survival_at

MONTH = 30.4375


def months(days: float, decimals: int) -> str:
    return f"{days / MONTH:.{decimals}f}"


def pct(p: float) -> str:
    return f"{100 * p:.1f}"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return italy_survival()


@pytest.fixture(scope="module")
def os_fit(cohort):
    return fit_km(cohort["OS_DAYS"], cohort["DEATH"].astype(int), conf_level=0.95, conf_type="log-log")


@pytest.fixture(scope="module")
def responders(cohort) -> pd.DataFrame:
    return cohort[cohort["RESPONSE"].isin(["CR", "CRi"])]


@pytest.fixture(scope="module")
def dor_fit(responders):
    return fit_km(responders["DOR_DAYS"].astype(int), responders["DOR_EVENT"].astype(int))


# --- published survival figures ------------------------------------------------------------------


def test_median_os_with_brookmeyer_crowley_interval(os_fit):
    q = quantile(os_fit, 0.5)
    assert months(q["estimate"], 1) == "7.9"
    assert (months(q["conf_low"], 2), months(q["conf_high"], 2)) == ("6.08", "12.42")


def test_three_year_os_with_log_log_interval(os_fit):
    s = survival_at(os_fit, 36 * MONTH)
    assert (pct(s["estimate"]), pct(s["conf_low"]), pct(s["conf_high"])) == ("21.2", "11.9", "32.3")


def test_five_year_os(os_fit):
    s = survival_at(os_fit, 60 * MONTH)
    assert pct(s["estimate"]) == "5.3"
    # The published 5-year interval (9.6-29.8) cannot contain its estimate; it is not targeted.
    assert s["conf_low"] < s["estimate"] < s["conf_high"]


def test_median_follow_up_by_reverse_kaplan_meier(cohort):
    time, death = cohort["OS_DAYS"], cohort["DEATH"].astype(int)
    follow_up = quantile(reverse_km(time, death), 0.5)["estimate"]
    assert months(follow_up, 1) == "37.2"
    # censoring as the event, deaths censored: the same curve as fitting 1 - death
    assert follow_up == quantile(fit_km(time, 1 - death), 0.5)["estimate"]


def test_duration_of_response_median_and_quartiles(dor_fit):
    # quantile(fit, p) is the first time S(t) <= 1 - p: p = 0.25 gives the 25th percentile of the
    # time (S <= 0.75), p = 0.75 the 75th (S <= 0.25).
    q1, med, q3 = (quantile(dor_fit, p)["estimate"] for p in (0.25, 0.5, 0.75))
    assert (months(q1, 1), months(med, 1), months(q3, 1)) == ("2.3", "4.4", "11.2")
    table = dor_fit.table
    first_at_or_below_half = table.loc[table["estimate"] <= 0.5 + 1e-9, "time"].iloc[0]
    assert months(first_at_or_below_half, 1) == "4.4"  # also without R's midpoint rule


# --- counts and consistency ----------------------------------------------------------------------


def test_columns_and_patients(cohort):
    assert list(cohort.columns) == COLUMNS
    assert cohort["PATIENT"].tolist() == list(range(1, 74))
    assert cohort["OS_DAYS"].gt(0).all()


def test_deterministic(cohort):
    pd.testing.assert_frame_equal(italy_survival(), cohort)


def test_response_counts(cohort, responders):
    assert cohort["RESPONSE"].value_counts().to_dict() == {"CR": 51, "NR": 19, "CRi": 3}
    assert len(responders) == 54
    assert responders["RESPONSE_DAY"].between(14, 91).all()  # within the first ~3 months
    non = cohort[cohort["RESPONSE"] == "NR"]
    for column in ("RESPONSE_DAY", "DOR_DAYS", "DOR_EVENT", "RELAPSE"):
        assert responders[column].notna().all() and non[column].isna().all()


def test_duration_of_response_inside_overall_survival(responders):
    end = responders["RESPONSE_DAY"] + responders["DOR_DAYS"]
    assert responders["DOR_DAYS"].gt(0).all()
    assert (end <= responders["OS_DAYS"]).all()
    dead = responders["DEATH"]
    assert responders.loc[dead, "DOR_EVENT"].all()  # every responder who died had a DOR event
    censored = ~responders["DOR_EVENT"]
    assert (~dead[censored]).all() and (end[censored] == responders.loc[censored, "OS_DAYS"]).all()
    # a relapse comes before death or last contact; a death in remission ends DOR on the death day
    relapse = responders["RELAPSE"].astype(bool)
    assert (end[relapse] < responders.loc[relapse, "OS_DAYS"]).all()
    in_remission = responders["DOR_EVENT"].astype(bool) & ~relapse
    assert dead[in_remission].all() and (end[in_remission] == responders.loc[in_remission, "OS_DAYS"]).all()


def test_hsct(cohort, responders):
    hsct = cohort[cohort["HSCT"]]
    assert len(hsct) == 27
    assert hsct["RESPONSE"].isin(["CR", "CRi"]).sum() == 25  # mostly responders
    assert hsct["HSCT_DAY"].notna().all() and cohort.loc[~cohort["HSCT"], "HSCT_DAY"].isna().all()
    assert (hsct["HSCT_DAY"] < hsct["OS_DAYS"]).all()  # before death or last contact
    transplanted = responders[responders["HSCT"]]
    assert (transplanted["HSCT_DAY"] > transplanted["RESPONSE_DAY"]).all()  # after response
    # in remission: before the end of the response (relapse, death or last contact)
    assert (transplanted["HSCT_DAY"] < transplanted["RESPONSE_DAY"] + transplanted["DOR_DAYS"]).all()


def test_vod(cohort):
    vod = cohort[cohort["VOD"]]
    assert len(vod) == 8
    assert vod["VOD_DAY"].notna().all() and cohort.loc[~cohort["VOD"], "VOD_DAY"].isna().all()
    assert (vod["VOD_DAY"] < vod["OS_DAYS"]).all()
    after = vod[vod["HSCT"]]
    assert len(after) == 6 and (after["VOD_DAY"] > after["HSCT_DAY"]).all()
    assert (cohort.loc[cohort["DEATH_CAUSE"] == "VOD/SOS", "VOD"]).all()


def test_causes_of_death(cohort):
    dead = cohort["DEATH"]
    assert dead.sum() == 58
    assert cohort.loc[dead, "DEATH_CAUSE"].notna().all() and cohort.loc[~dead, "DEATH_CAUSE"].isna().all()
    causes = {"Disease progression", "Relapse", "Infection", "Pneumonia", "VOD/SOS", "GvHD"}
    assert set(cohort.loc[dead, "DEATH_CAUSE"]) <= causes
    assert cohort.loc[cohort["DEATH_CAUSE"] == "Relapse", "RELAPSE"].eq(True).all()
    assert (cohort.loc[cohort["DEATH_CAUSE"] == "Disease progression", "RESPONSE"] == "NR").all()
    assert cohort.loc[cohort["DEATH_CAUSE"] == "GvHD", "HSCT"].all()
