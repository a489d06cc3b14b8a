"""Transplant as a time-dependent event (inoflow.analysis.stats.timedep) against R 4.2.2 and
survival 3.5.3, printed by R into this file (issue 16): ``tmerge`` counting-process data,
Simon-Makuch curves (``survfit(Surv(tstart, tstop, death) ~ exposed)``), the Mantel-Byar test
(the score test of ``coxph(..., ties = "exact")``, and the counting-process log-rank summed by
hand in R), the time-dependent Cox model (``coxph``, Efron), a landmark analysis at 3 and OS
censored at the exposure.

The hand-made subjects cover: tied deaths in both states, a death on the day of the transplant
(o: no split, the death unexposed, as tmerge), a transplant at time 0 (k: exposed throughout),
a transplant after the end of follow-up (l: never exposed) and censorings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inoflow.analysis.stats import km
from inoflow.analysis.stats import timedep as td

NA = math.nan
IDS = list("abcdefghijklmnop")
TIME = [2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 10, 11, 12, 4, 13]
STATUS = [1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1]
SWITCH = [NA, 1, NA, 2, 2, NA, NA, 3, NA, 5, 0, 12, 4, 6, 4, NA]

# R: summary(survfit(Surv(tstart, tstop, death) ~ exposed, conf.type = "log-log"), times = ...)
TIMES = [2, 4, 6, 8, 10]
R_SM = {
    0: {
        "estimate": [0.928571428571429, 0.750360750360750, 0.643166357452072, 0.428777571634714, 0.214388785817357],
        "std_error": [
            0.0688302936899594,
            0.1266183540520121,
            0.1470642136277025,
            0.2006342278944398,
            0.1817822848707207,
        ],
        "conf_low": [
            0.5907668674267581,
            0.4031456870658284,
            0.2957132890174616,
            0.0819934706739098,
            0.0107709114866049,
        ],
        "conf_high": [0.989619823136850, 0.913203748946272, 0.852246549895020, 0.750728172461445, 0.592500868928262],
        "median": (7, 4, NA),
    },
    1: {
        "estimate": [1.0, 0.75, 0.5625, 0.3375, 0.3375],
        "std_error": [0.0, 0.2165063509461096, 0.2296396633859230, 0.1848563631579936, 0.1848563631579936],
        "conf_low": [1.0, 0.1279469175951459, 0.0991035188395997, 0.0540243423143554, 0.0540243423143554],
        "conf_high": [1.0, 0.960548642285078, 0.866571676762163, 0.667459589943902, 0.667459589943902],
        "median": (7, 3, NA),
    },
}


@pytest.fixture(scope="module")
def intervals() -> pd.DataFrame:
    return td.counting_process(IDS, TIME, STATUS, SWITCH)


def test_the_counting_process_data_are_tmerges(intervals):
    assert len(intervals) == 23  # R: nrow(tmerge(...)) on these subjects
    by_id = {i: part[["start", "stop", "event", "exposed"]].values.tolist() for i, part in intervals.groupby("id")}
    assert by_id["b"] == [[0, 1, 0, 0], [1, 3, 1, 1]]
    assert by_id["o"] == [[0, 4, 1, 0]]  # death on the day of the transplant: no split
    assert by_id["k"] == [[0, 9, 0, 1]]  # transplanted at 0: exposed throughout
    assert by_id["l"] == [[0, 10, 1, 0]]  # transplanted after the end of follow-up


@pytest.mark.parametrize("state", [0, 1])
def test_simon_makuch_curves_are_rs(intervals, state):
    fit = td.simon_makuch(intervals, state)
    got = [km.survival_at(fit, t) for t in TIMES]
    for column in ("estimate", "std_error", "conf_low", "conf_high"):
        assert [g[column] for g in got] == pytest.approx(R_SM[state][column], abs=1e-12), column
    q = km.quantile(fit, 0.5)
    assert [q["estimate"], q["conf_low"], q["conf_high"]] == pytest.approx(list(R_SM[state]["median"]), nan_ok=True)


def test_the_number_at_risk_is_the_risk_set(intervals):
    # the risk set at t is start < t <= stop: at 2 the exposed are b (1, 3] and k (0, 9]; at 6,
    # h (3, 7], j (5, 8], k and m (4, 11], not n (6, 12]. R's summary(times = ) reports n.risk of
    # the next recorded time instead, which counts subjects entering before it: 4, 4, 5, 4, 2
    assert [td.at_risk(intervals, 1, t) for t in TIMES] == [2, 4, 4, 4, 2]
    assert [td.at_risk(intervals, 0, t) for t in TIMES] == [14, 9, 5, 2, 2]  # R: 14, 9, 5, 2, 2


def test_mantel_byar_is_the_exact_score_test(intervals):
    result = td.mantel_byar(intervals)
    # R: coxph(Surv(tstart, tstop, death) ~ exposed, ties = "exact")$score, and the sum by hand
    assert result["statistic"] == pytest.approx(0.0226960818151089, abs=1e-12)
    assert result["observed"] == 5 and result["expected"] == pytest.approx(4.7766317016317, abs=1e-12)
    assert result["df"] == 1 and result["p.value"] == pytest.approx(0.8802500909195587, abs=1e-12)
    # with tied deaths it is not the Efron score test (R: 0.0239405799032117)
    assert abs(result["statistic"] - 0.0239405799032117) > 1e-3


def test_time_dependent_cox_is_coxph(intervals):
    hr = td.time_dependent_hazard_ratio(intervals)
    # R: coxph(Surv(tstart, tstop, death) ~ exposed): coef 0.101117993743923, se 0.653698407854810
    # (the same with coxph.control(eps = 1e-14): converged)
    assert math.log(hr["estimate"]) == pytest.approx(0.101117993743923, abs=1e-12)
    assert hr["std.error"] == pytest.approx(0.653698407854810, abs=1e-12)
    assert (hr["conf.low"], hr["conf.high"]) == pytest.approx((0.307245756333267, 3.984227055299902), abs=1e-12)
    assert hr["p.value"] == pytest.approx(0.877068865318055, abs=1e-12)


def test_landmark_at_3(intervals):
    data = td.landmark(TIME, STATUS, SWITCH, 3)
    assert len(data) == 13 and data["exposed"].value_counts().to_dict() == {0: 9, 1: 4}  # R: table(lm$g)
    exposed = data[data["exposed"] == 1]
    fit = km.fit_km(exposed["time"], exposed["event"])
    # R: summary(survfit(Surv(t, status) ~ g), times = c(1, 3, 5)) for g = 1
    assert [km.survival_at(fit, t)["estimate"] for t in (1, 3, 5)] == pytest.approx([1, 2 / 3, 1 / 3], abs=1e-12)
    assert km.survival_at(fit, 5)["conf_low"] == pytest.approx(0.00896162833097908, abs=1e-12)
    from inoflow.analysis.stats.compare import hazard_ratios, logrank

    assert logrank(data["time"], data["event"], data["exposed"])["statistic"] == pytest.approx(
        0.223784943702702, abs=1e-9
    )
    hr = hazard_ratios(data["time"], data["event"], data["exposed"].astype(str), ["0", "1"])["1"]
    # R coxph (converged, eps 1e-14): 1.561163932045407 (0.282734713513281-8.620210770846814)
    assert hr["estimate"] == pytest.approx(1.561163932045407, abs=1e-12)
    assert (hr["conf.low"], hr["conf.high"]) == pytest.approx((0.282734713513281, 8.620210770846814), abs=1e-12)


def test_os_censored_at_the_exposure_is_the_unexposed_curve(intervals):
    switch = np.asarray(SWITCH, float)
    time, status = np.asarray(TIME, float), np.asarray(STATUS)
    cut = ~np.isnan(switch) & (switch < time)
    censored = km.fit_km(np.where(cut, switch, time), np.where(cut, 0, status))
    # R: survfit(Surv(tc, sc) ~ 1) equals the unexposed Simon-Makuch curve but for subject k,
    # exposed from 0 (censored at 0 here)
    assert [km.survival_at(censored, t)["estimate"] for t in TIMES] == pytest.approx(R_SM[0]["estimate"], abs=1e-12)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="one length"):
        td.counting_process(["a"], [1, 2], [1, 0], [NA, NA])
    with pytest.raises(ValueError, match="entry"):
        km.fit_km([1, 2], [1, 0], entry=[0, 2])
