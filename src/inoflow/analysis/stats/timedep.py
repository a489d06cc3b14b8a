"""An exposure that starts during follow-up (transplant after InO) as a time-dependent event,
as R ``survival`` analyses it.

Counting-process data
    R ``tmerge(data, data, id, death = event(time, status), exposed = tdc(switch))``: a subject
    followed over (0, T] with the exposure starting at s has one interval (0, T] unexposed when
    s is missing or s >= T, one interval (0, T] exposed when s <= 0, and otherwise two intervals,
    (0, s] unexposed without an event and (s, T] exposed with the subject's event. An interval
    of length 0 (T = 0) is dropped, as ``coxph`` refuses it.
Simon-Makuch curves
    Simon and Makuch (1984): the product-limit estimate of each exposure state on the
    counting-process data, a subject at risk in a state over its interval (start, stop] only:
    R ``survfit(Surv(tstart, tstop, death) ~ exposed)``, Greenwood variance and log-log interval
    (:func:`inoflow.analysis.stats.km.fit_km` with ``entry``).
Mantel-Byar test
    Mantel and Byar (1974): the log-rank test on the counting-process data, each subject counted
    in the state it is in at each death time; at each distinct death time, with n at risk, n1 of
    them exposed, d deaths and d1 exposed deaths, O - E = d1 - d n1 / n and the hypergeometric
    variance d (n - d) n1 (n - n1) / (n^2 (n - 1)); the statistic (sum O - E)^2 / sum V on one
    degree of freedom. It is the score test of R ``coxph(Surv(tstart, tstop, death) ~ exposed,
    ties = "exact")``, which is how R computes it here.
Time-dependent Cox model
    R ``coxph(Surv(tstart, tstop, death) ~ exposed)`` (Efron ties): lifelines
    ``CoxTimeVaryingFitter``; the hazard ratio of the exposed state with its Wald 95% interval.
Landmark analysis
    Anderson, Cain and Gelber (1983): the patients alive and followed beyond the landmark L,
    grouped by their exposure by L (exposed at or before L, else not, whatever happens later),
    followed from L (time T - L); Kaplan-Meier, log-rank and Cox as for a baseline grouping.

References
----------
Mantel N, Byar DP. Evaluation of response-time data involving transient states: an illustration
using heart-transplant data. J Am Stat Assoc 1974; 69: 81-86.
Simon R, Makuch RW. A non-parametric graphical representation of the relationship between
survival and the occurrence of an event: application to responder versus non-responder bias.
Stat Med 1984; 3: 35-44.
Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin Oncol 1983; 1:
710-719.
Therneau T, Crowson C, Atkinson E. Using time dependent covariates and time dependent
coefficients in the Cox model (survival package vignette, ``tmerge``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import chi2

from inoflow.analysis.stats import km as kmlib

MANTEL_BYAR_METHOD = "Mantel-Byar test (log-rank on the counting-process data, HSCT time-dependent)"
TIME_DEPENDENT_COX_METHOD = "Cox proportional hazards, HSCT time-dependent (counting process), Efron ties, Wald 95% CI"


def counting_process(ids, time, event, switch) -> pd.DataFrame:
    """The counting-process intervals of subjects followed over (0, ``time``] with ``event``
    (1 death, 0 censored) at its end and an exposure starting at ``switch`` (NaN: never):
    columns ``id, start, stop, event, exposed``, as R ``tmerge`` with ``tdc(switch)``."""
    ids = np.asarray(ids, dtype=object)
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=int)
    switch = np.asarray(switch, dtype=float)
    if not (len(ids) == len(time) == len(event) == len(switch)):
        raise ValueError("ids, time, event and switch must have one length")
    if np.isnan(time).any() or (time < 0).any():
        raise ValueError("time must be known and not negative")
    splits = ~np.isnan(switch) & (switch > 0) & (switch < time)
    exposed_from_start = ~np.isnan(switch) & (switch <= 0)
    whole = pd.DataFrame(
        {"id": ids, "start": 0.0, "stop": time, "event": event, "exposed": exposed_from_start.astype(int)}
    )[~splits]
    before = pd.DataFrame({"id": ids, "start": 0.0, "stop": switch, "event": 0, "exposed": 0})[splits]
    after = pd.DataFrame({"id": ids, "start": switch, "stop": time, "event": event, "exposed": 1})[splits]
    out = pd.concat([whole, before, after]).sort_values(["id", "start"], kind="stable")
    return out[out["stop"] > out["start"]].reset_index(drop=True)


def simon_makuch(intervals: pd.DataFrame, exposed: int, conf_level: float = 0.95) -> kmlib.KaplanMeier:
    """The Simon-Makuch curve of one state (``exposed`` 0 or 1) of :func:`counting_process` data."""
    part = intervals[intervals["exposed"] == exposed]
    return kmlib.fit_km(part["stop"], part["event"], conf_level=conf_level, entry=part["start"])


def at_risk(intervals: pd.DataFrame, exposed: int, t: float) -> int:
    """Subjects at risk in a state at time ``t``: intervals with start < t <= stop
    (:func:`inoflow.analysis.stats.km.at_risk`)."""
    part = intervals[intervals["exposed"] == exposed]
    return int(kmlib.at_risk(part["stop"], t, part["start"]).sum())


def mantel_byar(intervals: pd.DataFrame) -> dict[str, float]:
    """The Mantel-Byar test of :func:`counting_process` data: statistic, df, p.value and the
    observed and expected deaths in the exposed state."""
    start, stop = intervals["start"].to_numpy(float), intervals["stop"].to_numpy(float)
    event, exposed = intervals["event"].to_numpy(int), intervals["exposed"].to_numpy(int)
    observed = expected = variance = 0.0
    for t in np.unique(stop[event == 1]):
        risk = (start < t) & (stop >= t)
        dead = risk & (stop == t) & (event == 1)
        n, n1, d, d1 = risk.sum(), (risk & (exposed == 1)).sum(), dead.sum(), (dead & (exposed == 1)).sum()
        observed += d1
        expected += d * n1 / n
        if n > 1:
            variance += d * (n - d) * n1 * (n - n1) / (n * n * (n - 1))
    statistic = (observed - expected) ** 2 / variance if variance > 0 else np.nan
    return {
        "statistic": float(statistic),
        "df": 1,
        "p.value": float(chi2.sf(statistic, 1)) if np.isfinite(statistic) else np.nan,
        "observed": float(observed),
        "expected": float(expected),
    }


def time_dependent_hazard_ratio(intervals: pd.DataFrame, conf_level: float = 0.95) -> dict[str, float]:
    """The hazard ratio of the exposed state from the Cox model on :func:`counting_process` data
    (lifelines ``CoxTimeVaryingFitter``, Efron ties): estimate, conf.low, conf.high, std.error
    (of the log hazard ratio), p.value; NaN when a state has no death."""
    from lifelines import CoxTimeVaryingFitter
    from lifelines.exceptions import ConvergenceError

    out = dict.fromkeys(("estimate", "conf.low", "conf.high", "std.error", "p.value"), np.nan)
    deaths = intervals[intervals["event"] == 1]
    if deaths.empty or deaths["exposed"].nunique() < 2:
        return out
    frame = intervals[["id", "start", "stop", "event", "exposed"]].astype({"exposed": float})
    fitter = CoxTimeVaryingFitter(alpha=1 - conf_level)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter.fit(frame, id_col="id", event_col="event", start_col="start", stop_col="stop",
                       fit_options={"precision": 1e-24, "r_precision": 1e-15, "max_steps": 500})  # fmt: skip
    except ConvergenceError:
        return out
    row = fitter.summary.loc["exposed"]
    return {
        "estimate": float(row["exp(coef)"]),
        "conf.low": float(row[f"exp(coef) lower {100 * conf_level:g}%"]),
        "conf.high": float(row[f"exp(coef) upper {100 * conf_level:g}%"]),
        "std.error": float(row["se(coef)"]),
        "p.value": float(row["p"]),
    }


def landmark(time, event, switch, at: float) -> pd.DataFrame:
    """The landmark data set at ``at``: the subjects followed beyond it (time > at), their time
    from it and whether the exposure had started by it (switch <= at): columns ``index`` (the
    position in the input), ``time``, ``event``, ``exposed``."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=int)
    switch = np.asarray(switch, dtype=float)
    keep = time > at
    exposed = ~np.isnan(switch) & (switch <= at)
    return pd.DataFrame(
        {
            "index": np.flatnonzero(keep),
            "time": time[keep] - at,
            "event": event[keep],
            "exposed": exposed[keep].astype(int),
        }
    )
