"""inoflow.analysis.stats: Clopper-Pearson and Kaplan-Meier against published R output, hand-worked
examples and, for the Kaplan-Meier curve and its log-log interval, lifelines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inoflow.analysis.stats import km as kmlib
from inoflow.analysis.stats.proportion import METHOD, clopper_pearson

Z95 = 1.959963984540054  # qnorm(0.975)


def approx(value, abs=5e-7):  # same keyword as pytest.approx
    return pytest.approx(value, abs=abs, nan_ok=True)


# --- Clopper-Pearson -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "conf", "low", "high"),
    [
        # R binom.test(19, 32) (mtcars$am): 95 percent confidence interval 0.4064492 0.7630159
        (19, 32, 0.95, 0.4064492, 0.7630159),
        # R binom.test(9, 24, 1/6): 95 percent confidence interval 0.1879929 0.5940636
        (9, 24, 0.95, 0.1879929, 0.5940636),
        # R binom.test(x = 542, n = 3611, conf.level = .90)$conf.int: 0.1403939 0.1602214
        (542, 3611, 0.90, 0.1403939, 0.1602214),
        # R binom.test(1, 1497, 0.0033, conf.level = 0.9): 3.426347e-05 3.164954e-03
        (1, 1497, 0.90, 3.426347e-05, 3.164954e-03),
    ],
)
def test_clopper_pearson_matches_r_binom_test(x, n, conf, low, high):
    lo, hi = clopper_pearson(x, n, conf)
    # R prints 7 significant digits
    assert lo == pytest.approx(low, rel=1e-6) and hi == pytest.approx(high, rel=1e-6)


def test_clopper_pearson_closed_forms_at_the_edges():
    # x = 0: lower 0, upper solves (1 - p)^n = alpha / 2, i.e. 1 - 0.025^(1/10) = 0.30849710781876...
    assert clopper_pearson(0, 10) == (0.0, pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-12))
    assert clopper_pearson(0, 10)[1] == pytest.approx(0.3085, abs=5e-5)
    # x = n: upper 1, lower solves p^n = alpha / 2, i.e. 0.025^(1/10) = 0.69150289218123...
    assert clopper_pearson(10, 10) == (pytest.approx(0.025 ** (1 / 10), abs=1e-12), 1.0)
    # x = 1: lower solves 1 - (1 - p)^n = alpha / 2, i.e. 1 - 0.975^(1/n); x = n - 1 mirrors it
    assert clopper_pearson(1, 20)[0] == pytest.approx(1 - 0.975 ** (1 / 20), abs=1e-12)
    assert clopper_pearson(19, 20)[1] == pytest.approx(0.975 ** (1 / 20), abs=1e-12)
    # 90%: x = 0 upper = 1 - 0.05^(1/n)
    assert clopper_pearson(0, 7, 0.90)[1] == pytest.approx(1 - 0.05 ** (1 / 7), abs=1e-12)


def test_clopper_pearson_symmetry_and_empty():
    lo, hi = clopper_pearson(7, 30)
    lo2, hi2 = clopper_pearson(23, 30)
    assert (lo, hi) == (pytest.approx(1 - hi2, abs=1e-12), pytest.approx(1 - lo2, abs=1e-12))
    assert all(math.isnan(v) for v in clopper_pearson(0, 0))
    assert METHOD == "Clopper-Pearson exact"


@pytest.mark.parametrize(("x", "n"), [(5, 4), (-1, 4), (1.5, 4), (True, 4), (1, -1)])
def test_clopper_pearson_rejects_bad_counts(x, n):
    with pytest.raises(ValueError, match="x"):
        clopper_pearson(x, n)


def test_clopper_pearson_rejects_bad_level():
    with pytest.raises(ValueError, match="conf_level"):
        clopper_pearson(1, 4, 95)


# --- Kaplan-Meier: a hand-worked example -----------------------------------------------------

HAND_TIME = [1, 2, 2, 3, 4, 5]
HAND_EVENT = [1, 1, 0, 1, 0, 1]


def test_km_hand_worked_table():
    """times 1, 2, 2+, 3, 4+, 5 (+ censored); z = 1.959964.

    t  n  d  c  S                      Greenwood sum G               SE(S) = S sqrt(G)
    1  6  1  0  5/6       = 0.833333   1/(6*5)            = 1/30     0.833333*0.182574 = 0.152145
    2  5  1  1  5/6*4/5   = 0.666667   1/30 + 1/(5*4)     = 1/12     0.666667*0.288675 = 0.192450
    3  3  1  0  4/6*2/3   = 0.444444   1/12 + 1/(3*2)     = 1/4      0.444444*0.5      = 0.222222
    4  2  0  1  0.444444 (no event)    1/4                           0.222222
    5  1  1  0  0                      1/4 + 1/(1*0) = inf           0 * inf = NaN (as R)

    log-log limits, a = log(-log S), r = z sqrt(G) / log S (negative):
      low = exp(-exp(a - r)), high = exp(-exp(a + r))
    t=1: log S = -0.182322, a = -1.701983, r = 1.959964*0.182574/-0.182322 = -1.962680
         low = exp(-exp(0.260697))  = exp(-1.297842) = 0.273123
         high = exp(-exp(-3.664663)) = exp(-0.025613) = 0.974712
    t=2: log S = -0.405465, a = -0.902720, r = 1.959964*0.288675/-0.405465 = -1.395417
         low = exp(-exp(0.492697)) = 0.194617; high = exp(-exp(-2.298137)) = 0.904434
    t=3: log S = -0.810930, a = -0.209573, r = 1.959964*0.5/-0.810930 = -1.208466
         low = exp(-exp(0.998893)) = 0.066187; high = exp(-exp(-1.418039)) = 0.784908
    t=5: S = 0, limits undefined (NaN), as R.
    """
    fit = kmlib.fit_km(HAND_TIME, HAND_EVENT)
    t = fit.table
    assert list(t.columns) == [
        "time",
        "n_risk",
        "n_event",
        "n_censor",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
    ]
    assert t["time"].tolist() == [1, 2, 3, 4, 5]
    assert t["n_risk"].tolist() == [6, 5, 3, 2, 1]
    assert t["n_event"].tolist() == [1, 1, 1, 0, 1]
    assert t["n_censor"].tolist() == [0, 1, 0, 1, 0]
    assert t["estimate"].tolist() == approx([5 / 6, 4 / 6, 4 / 9, 4 / 9, 0.0], abs=1e-12)
    assert t["std_error"].tolist() == approx([0.152145, 0.192450, 0.222222, 0.222222, np.nan])
    assert t["conf_low"].tolist() == approx([0.273123, 0.194617, 0.066187, 0.066187, np.nan])
    assert t["conf_high"].tolist() == approx([0.974712, 0.904434, 0.784908, 0.784908, np.nan])
    assert (fit.n, fit.n_event, fit.conf_type, fit.variance, fit.conf_level) == (6, 4, "log-log", "Greenwood", 0.95)
    # exact Greenwood identities
    assert t["std_error"].iloc[0] == pytest.approx(5 / 6 * math.sqrt(1 / 30), abs=1e-12)
    assert t["std_error"].iloc[2] == pytest.approx(4 / 9 * 0.5, abs=1e-12)


def test_km_hand_worked_median_and_reading():
    fit = kmlib.fit_km(HAND_TIME, HAND_EVENT)
    # S first <= 0.5 at t = 3. Lower band <= 0.5 already at t = 1 (0.273) -> lower limit 1;
    # upper band: 0.974, 0.904, 0.785, 0.785, then NaN at S = 0 -> never <= 0.5 -> NaN
    m = kmlib.median(fit)
    assert m["estimate"] == 3.0 and m["conf_low"] == 1.0 and math.isnan(m["conf_high"])

    before = kmlib.survival_at(fit, 0)
    assert before == {"time": 0.0, "n_risk": 6, "estimate": 1.0, "std_error": 0.0, "conf_low": 1.0, "conf_high": 1.0}
    at2 = kmlib.survival_at(fit, 2)
    assert (at2["n_risk"], at2["estimate"]) == (5, pytest.approx(4 / 6))
    assert (at2["std_error"], at2["conf_low"], at2["conf_high"]) == (
        approx(0.192450),
        approx(0.194617),
        approx(0.904434),
    )
    between = kmlib.survival_at(fit, 2.5)  # the step function holds; 3 subjects have time >= 2.5
    assert (between["n_risk"], between["estimate"]) == (3, pytest.approx(4 / 6))
    beyond = kmlib.survival_at(fit, 10)
    assert beyond["n_risk"] == 0 and beyond["estimate"] == 0.0 and math.isnan(beyond["conf_low"])


def test_km_tie_puts_events_before_censorings():
    # 2 (event) and 2+ (censored): both at risk at 2, so the factor at 2 is (5 - 1)/5 not (4 - 1)/4
    fit = kmlib.fit_km([1, 2, 2, 3], [0, 1, 0, 1])
    row = fit.table.set_index("time").loc[2.0]
    assert (row["n_risk"], row["n_event"], row["n_censor"]) == (3, 1, 1)
    assert row["estimate"] == pytest.approx(2 / 3)


def test_km_rows_at_s_equal_1_have_no_log_log_interval():
    # censorings before the first event: S = 1, log-log limits undefined (R gives NA)
    fit = kmlib.fit_km([1, 2, 3, 4], [0, 0, 1, 1])
    first = fit.table.iloc[0]
    assert first["estimate"] == 1.0 and first["std_error"] == 0.0
    assert math.isnan(first["conf_low"]) and math.isnan(first["conf_high"])
    plain = kmlib.fit_km([1, 2, 3, 4], [0, 0, 1, 1], conf_type="log").table.iloc[0]
    assert (plain["conf_low"], plain["conf_high"]) == (1.0, 1.0)


def test_km_plain_interval_by_hand():
    # plain: S -+ z * SE(S), truncated to [0, 1]. t=3 of the hand example: 0.444444 -+ 1.959964*0.222222
    fit = kmlib.fit_km(HAND_TIME, HAND_EVENT, conf_type="plain")
    row = fit.table.iloc[2]
    assert row["conf_low"] == pytest.approx(4 / 9 - Z95 * 4 / 9 * 0.5, abs=1e-12)  # 0.008897
    assert row["conf_high"] == pytest.approx(4 / 9 + Z95 * 4 / 9 * 0.5, abs=1e-12)  # 0.879992
    assert fit.table.iloc[0]["conf_high"] == 1.0  # 0.833 + 0.298 truncated


# --- Kaplan-Meier: R survival's aml data ---------------------------------------------------

# survival::aml, x = Maintained: 9, 13, 13+, 18, 23, 28+, 31, 34, 45+, 48, 161+
AML_M_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
AML_M_EVENT = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
# x = Nonmaintained: 5, 5, 8, 8, 12, 16+, 23, 27, 30, 33, 43, 45
AML_N_TIME = [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
AML_N_EVENT = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]


def _event_rows(fit):
    return fit.table[fit.table["n_event"] > 0]


def test_aml_matches_published_r_output_log_transform():
    """Published R output (survival's default conf.type = "log"):

    survfit(Surv(time, status) ~ x, data = aml)
                     n events median 0.95LCL 0.95UCL
    x=Maintained    11      7     31      18      NA
    x=Nonmaintained 12     11     23       8      NA

    summary(survfit(Surv(time, status) ~ x, data = aml)), x=Maintained
     time n.risk n.event survival std.err lower 95% CI upper 95% CI
        9     11       1    0.909  0.0867       0.7541        1.000
       13     10       1    0.818  0.1163       0.6192        1.000
       18      8       1    0.716  0.1397       0.4884        1.000
       23      7       1    0.614  0.1526       0.3769        0.999
       31      5       1    0.491  0.1642       0.2549        0.946
       34      4       1    0.368  0.1627       0.1549        0.875
       48      2       1    0.184  0.1535       0.0359        0.944
    x=Nonmaintained
        5     12       2   0.8333  0.1076       0.6470        1.000
        8     10       2   0.6667  0.1361       0.4468        0.995
       12      8       1   0.5833  0.1423       0.3616        0.941
       23      6       1   0.4861  0.1481       0.2675        0.883
       27      5       1   0.3889  0.1470       0.1854        0.816
       30      4       1   0.2917  0.1387       0.1148        0.741
       33      3       1   0.1944  0.1219       0.0569        0.664
       43      2       1   0.0972  0.0919       0.0153        0.620
       45      1       1   0.0000     NaN           NA           NA
    """
    m = kmlib.fit_km(AML_M_TIME, AML_M_EVENT, conf_type="log")
    rows = _event_rows(m)
    assert rows["time"].tolist() == [9, 13, 18, 23, 31, 34, 48]
    assert rows["n_risk"].tolist() == [11, 10, 8, 7, 5, 4, 2]
    assert rows["estimate"].tolist() == approx([0.909, 0.818, 0.716, 0.614, 0.491, 0.368, 0.184], abs=5e-4)
    assert rows["std_error"].tolist() == approx([0.0867, 0.1163, 0.1397, 0.1526, 0.1642, 0.1627, 0.1535], abs=5e-5)
    assert rows["conf_low"].tolist() == approx([0.7541, 0.6192, 0.4884, 0.3769, 0.2549, 0.1549, 0.0359], abs=5e-5)
    assert rows["conf_high"].tolist() == approx([1.000, 1.000, 1.000, 0.999, 0.946, 0.875, 0.944], abs=5e-4)
    assert kmlib.median(m) == {"estimate": 31.0, "conf_low": 18.0, "conf_high": approx(np.nan)}

    n = kmlib.fit_km(AML_N_TIME, AML_N_EVENT, conf_type="log")
    rows = _event_rows(n)
    assert rows["time"].tolist() == [5, 8, 12, 23, 27, 30, 33, 43, 45]
    assert rows["estimate"].tolist() == approx(
        [0.8333, 0.6667, 0.5833, 0.4861, 0.3889, 0.2917, 0.1944, 0.0972, 0.0], abs=5e-5
    )
    assert rows["std_error"].tolist() == approx(
        [0.1076, 0.1361, 0.1423, 0.1481, 0.1470, 0.1387, 0.1219, 0.0919, np.nan], abs=5e-5
    )
    assert rows["conf_low"].tolist() == approx(
        [0.6470, 0.4468, 0.3616, 0.2675, 0.1854, 0.1148, 0.0569, 0.0153, np.nan], abs=5e-5
    )
    assert rows["conf_high"].tolist() == approx(
        [1.000, 0.995, 0.941, 0.883, 0.816, 0.741, 0.664, 0.620, np.nan], abs=5e-4
    )
    assert kmlib.median(n) == {"estimate": 23.0, "conf_low": 8.0, "conf_high": approx(np.nan)}


def test_aml_pooled_matches_published_r_output():
    """Published R output for all 23 aml patients (conf.type = "log"):

    survfit(Surv(time, status) ~ 1, data = aml):  n 23, events 18, median 27, 0.95LCL 18, 0.95UCL 45
    summary(fit, times = c(12, 24, 60))
     time n.risk n.event survival std.err lower 95% CI upper 95% CI
       12     18       6   0.7391  0.0916       0.5798        0.942
       24     11       4   0.5466  0.1073       0.3721        0.803
       60      1       8   0.0828  0.0727       0.0148        0.462
    """
    fit = kmlib.fit_km(AML_M_TIME + AML_N_TIME, AML_M_EVENT + AML_N_EVENT, conf_type="log")
    assert (fit.n, fit.n_event) == (23, 18)
    # the upper band is not monotone here: 0.5148 at 43, 0.4584 at 45, 0.4623 at 48 (2 at risk);
    # the published UCL 45 is its first crossing of 0.5
    upper = fit.table.set_index("time")["conf_high"]
    assert (upper[43.0], upper[45.0], upper[48.0]) == (approx(0.514826), approx(0.458447), approx(0.462327))
    assert kmlib.median(fit) == {"estimate": 27.0, "conf_low": 18.0, "conf_high": 45.0}
    published = {
        12: (18, 0.7391, 0.0916, 0.5798, 0.942),
        24: (11, 0.5466, 0.1073, 0.3721, 0.803),
        60: (1, 0.0828, 0.0727, 0.0148, 0.462),
    }
    for t, (n_risk, surv, se, low, high) in published.items():
        at = kmlib.survival_at(fit, t)
        assert at["n_risk"] == n_risk
        assert (at["estimate"], at["std_error"], at["conf_low"]) == (
            approx(surv, 5e-5),
            approx(se, 5e-5),
            approx(low, 5e-5),
        )
        assert at["conf_high"] == approx(high, 5e-4)
    assert kmlib.number_at_risk(AML_M_TIME + AML_N_TIME, [12, 24, 60]) == [18, 11, 1]


def test_aml_maintained_median_log_log_by_hand():
    """survfit(Surv(time, status) ~ x, data = aml, conf.type = "log-log"), x = Maintained.
    No printed R output was found for the log-log interval, so the limits are derived by hand.

    S drops to <= 0.5 first at 31 (0.490909) -> median 31.
    Lower band (Brookmeyer-Crowley lower limit = first time the LOWER band is <= 0.5):
      t=9:  S = 10/11, log S = -0.095310, G = 1/110, sqrt(G) = 0.095346,
            a = log(0.095310) = -2.350619, r = 1.959964*0.095346/-0.095310 = -1.960706,
            low = exp(-exp(-2.350619 + 1.960706)) = exp(-exp(-0.389913)) = 0.508080 > 0.5
      t=13: S = 9/11, log S = -0.200671, G = 1/110 + 1/90 = 0.020202, sqrt(G) = 0.142134,
            a = -1.606090, r = -1.388230, low = exp(-exp(-0.217860)) = 0.447429 <= 0.5 -> 13
    Upper band (upper limit = first time the UPPER band is <= 0.5): its smallest value, at 48,
      S = 0.184091, log S = -1.692326, G = 0.695202, sqrt(G) = 0.833788, a = 0.526104,
      r = -0.965650, high = exp(-exp(0.526104 - 0.965650)) = 0.525015 > 0.5 -> not reached (NA).
    Median 31 (95% CI 13, NA).
    """
    fit = kmlib.fit_km(AML_M_TIME, AML_M_EVENT)
    t = fit.table.set_index("time")
    assert t.loc[9.0, "conf_low"] == approx(0.508080) and t.loc[13.0, "conf_low"] == approx(0.447429)
    assert t.loc[48.0, "conf_high"] == approx(0.525015)
    m = kmlib.median(fit)
    assert m["estimate"] == 31.0 and m["conf_low"] == 13.0 and math.isnan(m["conf_high"])
    # quartiles: S <= 0.75 first at 18 (0.716); S <= 0.25 first at 48 (0.184)
    assert kmlib.quantile(fit, 0.25)["estimate"] == 18.0
    assert kmlib.quantile(fit, 0.75)["estimate"] == 48.0


# --- quantiles: R's midpoint rule and "not reached" -------------------------------------------


def test_median_midpoint_when_the_curve_is_exactly_one_half():
    # uncensored 1, 2, 3, 4: S = 0.75, 0.5, 0.25, 0 -> S = 0.5 on [2, 3) -> (2 + 3) / 2 = 2.5,
    # the ordinary sample median; quartiles likewise (1 + 2) / 2 and (3 + 4) / 2
    fit = kmlib.fit_km([1, 2, 3, 4], [1, 1, 1, 1])
    assert kmlib.median(fit)["estimate"] == 2.5
    assert kmlib.quantile(fit, 0.25)["estimate"] == 1.5
    assert kmlib.quantile(fit, 0.75)["estimate"] == 3.5
    # a censoring inside the flat: S = 5/6, 4/6, 3/6 at 3, still 0.5 at 4+, 0.25 at 5 -> (3 + 5) / 2
    fit = kmlib.fit_km([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 1])
    assert kmlib.median(fit)["estimate"] == 4.0
    # R survfit(Surv(1:20) ~ 1): the product is 0.5 only up to rounding -> (10 + 11) / 2
    assert kmlib.median(kmlib.fit_km(range(1, 21), [1] * 20))["estimate"] == 10.5


def test_median_flat_at_one_half_to_the_end_uses_the_last_time():
    # R quantile.survfit: S = 0.75, 0.5 then only censorings (3+, 4+): the flat runs to the last
    # observed time, so the median is (2 + 4) / 2 = 3
    fit = kmlib.fit_km([1, 2, 3, 4], [1, 1, 0, 0])
    assert kmlib.median(fit)["estimate"] == 3.0
    # the curve drops to 0 at 4: the flat [2, 4) gives (2 + 4) / 2 = 3 as well
    assert kmlib.median(kmlib.fit_km([1, 2, 3, 4], [1, 1, 0, 1]))["estimate"] == 3.0


def test_median_not_reached():
    fit = kmlib.fit_km([1, 2, 3, 4, 5], [1, 0, 0, 0, 0])  # S = 0.8 to the end
    m = kmlib.median(fit)
    assert math.isnan(m["estimate"]) and math.isnan(m["conf_high"])
    no_events = kmlib.fit_km([1, 2, 3], [0, 0, 0])
    assert no_events.n_event == 0
    assert all(math.isnan(v) for v in kmlib.median(no_events).values())


def test_quantile_rejects_bad_probability():
    fit = kmlib.fit_km(HAND_TIME, HAND_EVENT)
    for p in (0, 1, -0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="p must be"):
            kmlib.quantile(fit, p)


# --- counts, reverse Kaplan-Meier, crude proportion -------------------------------------------


def test_number_at_risk_counts_time_on_or_after_each_grid_time():
    assert kmlib.number_at_risk(HAND_TIME, [0, 2, 2.5, 5, 6]) == [6, 5, 3, 1, 0]
    fit = kmlib.fit_km(HAND_TIME, HAND_EVENT)
    assert [kmlib.survival_at(fit, g)["n_risk"] for g in (0, 2, 2.5, 5, 6)] == [6, 5, 3, 1, 0]


def test_reverse_km_median_follow_up():
    """Censoring distribution of the hand example: "events" are the censorings 2+ and 4+.

    t  n  censorings  G
    1  6  0           1
    2  5  1           4/5 = 0.8   (the death at 2 stays at risk, as survfit(Surv(time, 1 - status)))
    3  3  0           0.8
    4  2  1           0.8 * 1/2 = 0.4
    5  1  0           0.4
    G first <= 0.5 at 4: median follow-up 4. Lower limit: the lower band at 2 is
    exp(-exp(log(-log 0.8) + 1.959964 sqrt(1/20) / -log 0.8)) = 0.203809 <= 0.5 -> 2;
    the upper band stays above 0.5 (0.829 at 4) -> not reached.
    """
    rev = kmlib.reverse_km(HAND_TIME, HAND_EVENT)
    assert rev.table["n_event"].tolist() == [0, 1, 0, 1, 0]
    assert rev.table["estimate"].tolist() == approx([1.0, 0.8, 0.8, 0.4, 0.4], abs=1e-12)
    assert rev.table["conf_low"].iloc[1] == approx(0.203809)
    m = kmlib.median(rev)
    assert m["estimate"] == 4.0 and m["conf_low"] == 2.0 and math.isnan(m["conf_high"])


def test_crude_proportion_alive_counts_time_on_or_after_the_landmark():
    time, event = [2.0, 6.0, 7.5, 13.0], [1, 0, 1, 0]
    assert kmlib.crude_proportion_alive(time, event, 6) == (3, 4)  # 6.0 is on the landmark
    assert kmlib.crude_proportion_alive(time, event, 12) == (1, 4)
    assert kmlib.crude_proportion_alive(time, event, 0) == (4, 4)


# --- input checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time", "event", "message"),
    [
        ([1, -2], [1, 0], "non-negative"),
        ([1, float("nan")], [1, 0], "finite"),
        ([1, 2], [1, 2], "event must be 1"),
        ([1, 2], [1, float("nan")], "event must be 1"),
        ([1, 2, 3], [1, 0], "differ in length"),
        ([], [], "no observations"),
        (["a", 1], [1, 0], "numbers"),
    ],
)
def test_fit_km_rejects_bad_input(time, event, message):
    with pytest.raises(ValueError, match=message):
        kmlib.fit_km(time, event)


def test_fit_km_rejects_bad_options():
    with pytest.raises(ValueError, match="conf_type"):
        kmlib.fit_km([1, 2], [1, 0], conf_type="logit")
    with pytest.raises(ValueError, match="conf_level"):
        kmlib.fit_km([1, 2], [1, 0], conf_level=1.0)


def test_fit_km_accepts_pandas_and_booleans():
    fit = kmlib.fit_km(pd.Series(HAND_TIME, dtype=float), pd.Series([bool(e) for e in HAND_EVENT]))
    assert fit.table["estimate"].iloc[2] == pytest.approx(4 / 9)


# --- cross-check against lifelines ------------------------------------------------------------


def _random_dataset(rng):
    n = int(rng.integers(1, 80))
    # integer times on a small range give many ties; some zeros
    time = rng.integers(0, int(rng.integers(2, 40)), size=n).astype(float)
    if rng.random() < 0.3:
        time = np.round(rng.exponential(10, size=n), 1)
    event = (rng.random(n) < rng.uniform(0.2, 1.0)).astype(int)
    return time, event


def test_km_matches_lifelines_on_random_data():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(20240607)
    median_survival_times = pytest.importorskip("lifelines.utils").median_survival_times
    checked_ci = checked_medians = checked_ci_medians = 0
    for i in range(400):
        time, event = _random_dataset(rng)
        conf_level = (0.95, 0.90, 0.99)[i % 3]
        fit = kmlib.fit_km(time, event, conf_level=conf_level)
        kmf = lifelines.KaplanMeierFitter(alpha=1 - conf_level).fit(time, event)
        table = fit.table
        times = table["time"].to_numpy()

        # counts from lifelines' event table
        et = kmf.event_table.loc[times]
        assert table["n_risk"].tolist() == et["at_risk"].astype(int).tolist()
        assert table["n_event"].tolist() == et["observed"].astype(int).tolist()
        assert table["n_censor"].tolist() == et["censored"].astype(int).tolist()

        surv = table["estimate"].to_numpy()
        np.testing.assert_allclose(surv, kmf.survival_function_.loc[times].iloc[:, 0].to_numpy(), rtol=0, atol=1e-10)

        # Greenwood from lifelines' at-risk and event counts
        n_risk, d = et["at_risk"].to_numpy(float), et["observed"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            greenwood = np.cumsum(np.where(d > 0, d / (n_risk * (n_risk - d)), 0.0))
        inside = (surv > 0) & (surv < 1)
        np.testing.assert_allclose(
            table["std_error"].to_numpy()[inside], (surv * np.sqrt(greenwood))[inside], rtol=0, atol=1e-10
        )

        # lifelines' interval is the exponential-Greenwood (log(-log)) interval, R's "log-log"
        ci = kmf.confidence_interval_.loc[times]
        low, high = ci.iloc[:, 0].to_numpy(), ci.iloc[:, 1].to_numpy()
        np.testing.assert_allclose(table["conf_low"].to_numpy()[inside], low[inside], rtol=0, atol=1e-10)
        np.testing.assert_allclose(table["conf_high"].to_numpy()[inside], high[inside], rtol=0, atol=1e-10)
        assert (table["conf_low"].to_numpy()[inside] <= surv[inside]).all()
        assert (table["conf_high"].to_numpy()[inside] >= surv[inside]).all()
        # where S is 1 or 0, R (and this module) leave the log-log limits undefined; lifelines fills 1 / 0
        assert table.loc[~inside, ["conf_low", "conf_high"]].isna().all().all()
        checked_ci += int(inside.sum())

        # median: lifelines takes the first time S <= 0.5 (no midpoint rule), so compare where the
        # curve has no flat at exactly 0.5
        if not np.any(np.abs(surv - 0.5) < 1e-8):
            ours = kmlib.median(fit)["estimate"]
            theirs = kmf.median_survival_time_
            assert (math.isnan(ours) and math.isinf(theirs)) or ours == theirs
            checked_medians += 1

        # Brookmeyer-Crowley limits: lifelines' median_survival_times(confidence_interval_) takes the
        # first time each band is <= 0.5; comparable where the bands are monotone, none is exactly
        # 0.5 and the curve never reaches 0 (there R leaves the bands undefined, lifelines sets 0)
        bands = table[["conf_low", "conf_high"]].to_numpy()[inside]
        comparable = (
            surv[-1] > 0
            and not np.any(np.abs(surv - 0.5) < 1e-8)
            and not np.any(np.abs(bands - 0.5) < 1e-8)
            and (np.diff(bands, axis=0) <= 0).all()
        )
        if comparable:
            ours = kmlib.median(fit)
            theirs = median_survival_times(kmf.confidence_interval_).iloc[0].to_numpy()
            for mine, other in ((ours["conf_low"], theirs[0]), (ours["conf_high"], theirs[1])):
                assert (math.isnan(mine) and math.isinf(other)) or mine == other
            assert not ours["conf_low"] > ours["estimate"] and not ours["estimate"] > ours["conf_high"]
            checked_ci_medians += 1
    assert checked_ci > 3000 and checked_medians > 300 and checked_ci_medians > 100
