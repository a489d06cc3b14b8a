"""Cumulative incidence with competing risks (inoflow.analysis.stats.cmprsk) against R 4.2.2
cmprsk 2.2-11 ``cuminc`` and ``timepoints`` (and Gray's test, ``cuminc(..., group)$Tests``),
printed by R into this file: hand-made data with tied event times of both causes and
censorings tied with events (issue 16)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inoflow.analysis.stats.cmprsk import confint, cuminc, gray_test

# R: f <- cuminc(time, status); timepoints(f, c(2, 5, 8, 12, 16))  (status 0 censored, 1 and 2 causes)
TIME = [1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12, 12, 14, 15, 16, 18, 20, 3, 5, 8, 8]
STATUS = [1, 2, 0, 1, 1, 2, 1, 0, 2, 1, 0, 1, 2, 0, 1, 2, 0, 1, 0, 0, 2, 1, 1, 2]
POINTS = [2, 5, 8, 12, 16]
R_ESTIMATE = {
    1: [0.0416666666667, 0.2162698412698, 0.3098072562358, 0.4137377173091, 0.4968820861678],
    2: [0.0416666666667, 0.1289682539683, 0.2225056689342, 0.2744708994709, 0.3368291761149],
}
R_VARIANCE = {
    1: [0.00173611111111, 0.00771491844831, 0.01006719413705, 0.01221455193606, 0.01657895546464],
    2: [0.00173939298467, 0.00507926534812, 0.00817379921765, 0.00983826069531, 0.01228182828336],
}


@pytest.mark.parametrize("cause", [1, 2])
def test_estimate_and_variance_are_cmprsks(cause):
    fit = cuminc(TIME, STATUS, cause)
    got = [fit.at(t) for t in POINTS]
    assert [g["estimate"] for g in got] == pytest.approx(R_ESTIMATE[cause], abs=1e-12)
    assert [g["std.error"] ** 2 for g in got] == pytest.approx(R_VARIANCE[cause], abs=1e-13)


def test_before_the_first_event_and_after_the_last():
    fit = cuminc(TIME, STATUS, 1)
    assert fit.at(0.5) == {"estimate": 0.0, "std.error": 0.0, "conf.low": pytest.approx(np.nan, nan_ok=True),
                           "conf.high": pytest.approx(np.nan, nan_ok=True)}  # fmt: skip
    assert fit.at(100)["estimate"] == fit.estimate[-1]  # flat after the last event
    assert fit.n_risk[0] == 24 and fit.time[0] == 1


def test_the_log_log_interval_by_hand():
    # F = 0.4, se = 0.1: exponent z se / (F log F) = 1.959964 * 0.1 / (0.4 * log 0.4) = -0.534757...
    spread = 1.959963984540054 * 0.1 / (0.4 * math.log(0.4))
    low, high = confint(0.4, 0.1)
    assert (low, high) == pytest.approx((0.4 ** math.exp(-spread), 0.4 ** math.exp(spread)), abs=1e-15)
    assert low == pytest.approx(0.2093, abs=1e-4) and high == pytest.approx(0.5846, abs=1e-4)
    assert all(math.isnan(v) for v in confint(0.0, 0.0) + confint(1.0, 0.0))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="one length"):
        cuminc([1, 2], [1])
    with pytest.raises(ValueError, match="not negative"):
        cuminc([1, -2], [1, 0])


@pytest.mark.parametrize(("cause", "expected"), [(1, (4.812166, 0.0282595)), (2, (0.553676, 0.4568196))])
def test_grays_test_of_two_groups_is_cmprsks(cause, expected):
    # cuminc(time, status, g)$Tests, g: the first 12 subjects A, the other 12 B
    result = gray_test(TIME, STATUS, ["A"] * 12 + ["B"] * 12, cause)
    assert (result["statistic"], result["p.value"]) == pytest.approx(expected, abs=1e-6)
    assert result["df"] == 1


@pytest.mark.parametrize(
    ("cause", "expected"), [(1, (6.3550090180242, 0.0416895613434)), (2, (2.9304133330881, 0.2310302403219))]
)
def test_grays_test_of_three_groups_is_cmprsks(cause, expected):
    time = [1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12, 12, 14, 15, 16, 18, 20, 3, 5, 8, 8, 2, 4, 6, 6, 9, 13]
    status = [1, 2, 0, 1, 1, 2, 1, 0, 2, 1, 0, 1, 2, 0, 1, 2, 0, 1, 0, 0, 2, 1, 1, 2, 1, 1, 2, 0, 1, 0]
    result = gray_test(time, status, ["A"] * 10 + ["B"] * 10 + ["C"] * 10, cause)
    assert (result["statistic"], result["p.value"]) == pytest.approx(expected, abs=1e-10)
    assert result["df"] == 2
    assert np.isnan(gray_test(time, status, ["A"] * 30)["p.value"])  # one group: no test
