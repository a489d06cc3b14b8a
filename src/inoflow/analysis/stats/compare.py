"""Comparing survival between groups, as R ``survival`` does it.

Log-rank test
    R ``survdiff(Surv(time, status) ~ group)`` (rho = 0): the chi-square statistic on k - 1
    degrees of freedom for k groups, from the observed and expected events at each distinct event
    time; lifelines ``multivariate_logrank_test`` computes the same statistic.
Hazard ratio
    R ``coxph(Surv(time, status) ~ group)``, the first level the reference: the partial
    likelihood with Efron's handling of tied event times (R's default and lifelines'), the hazard
    ratio exp(beta) of each other level with its Wald 95% interval exp(beta -+ z se) and Wald
    p-value; lifelines ``CoxPHFitter`` without penalty, iterated until the log-likelihood changes
    by less than 1e-15 of itself (lifelines' defaults stop on a Newton decrement of 1e-7 or a
    relative change of 1e-9, which can leave the ratio 3e-7 from R's converged value on tied data).
    A level without an event has no finite estimate: its ratio is not estimable (NaN).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

LOGRANK_METHOD = "Log-rank test (survdiff, rho = 0)"
COX_METHOD = "Cox proportional hazards, Efron ties, Wald 95% CI"


def logrank(time, event, group) -> dict[str, float]:
    """Chi-square, degrees of freedom and p-value of the log-rank test across the groups."""
    from lifelines.statistics import multivariate_logrank_test

    time, event, group = np.asarray(time, float), np.asarray(event, int), np.asarray(group, object)
    if len(set(group)) < 2:
        return {"statistic": np.nan, "df": np.nan, "p.value": np.nan}
    result = multivariate_logrank_test(time, group, event)
    return {
        "statistic": float(result.test_statistic),
        "df": int(result.degrees_of_freedom),
        "p.value": float(result.p_value),
    }


def hazard_ratios(time, event, group, levels: Sequence[str], conf_level: float = 0.95) -> dict[str, dict[str, float]]:
    """Each level of ``levels[1:]`` against ``levels[0]``: hazard ratio, its interval, the
    standard error of its logarithm and the Wald p-value."""
    import warnings

    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    frame = pd.DataFrame({"T": np.asarray(time, float), "E": np.asarray(event, int)})
    group = np.asarray(group, object)
    present = [level for level in levels if (group == level).any()]
    out = {
        level: dict.fromkeys(("estimate", "conf.low", "conf.high", "std.error", "p.value"), np.nan)
        for level in levels[1:]
    }
    if len(present) < 2 or present[0] != levels[0]:
        return out
    keep = np.isin(group, present)
    frame = frame[keep].reset_index(drop=True)
    for level in present[1:]:
        frame[f"L{level}"] = (group[keep] == level).astype(float)
    if frame["E"].sum() == 0:
        return out
    fitter = CoxPHFitter(alpha=1 - conf_level)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a level without events: reported as not estimable below
            fitter.fit(frame, "T", "E", fit_options={"precision": 1e-24, "r_precision": 1e-15, "max_steps": 500})
    except ConvergenceError:
        return out
    summary = fitter.summary
    for level in present[1:]:
        row = summary.loc[f"L{level}"]
        events = frame.loc[frame[f"L{level}"] == 1, "E"].sum()
        if events == 0 or not np.isfinite(row["se(coef)"]) or row["se(coef)"] > 100:
            continue
        out[level] = {
            "estimate": float(row["exp(coef)"]),
            "conf.low": float(row[f"exp(coef) lower {100 * conf_level:g}%"]),
            "conf.high": float(row[f"exp(coef) upper {100 * conf_level:g}%"]),
            "std.error": float(row["se(coef)"]),
            "p.value": float(row["p"]),
        }
    return out
