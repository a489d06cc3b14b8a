"""Cumulative incidence with competing risks, as R ``cmprsk::cuminc`` computes it.

Estimate
    Aalen-Johansen: at each distinct time t_j with n_j subjects at risk, d1_j events of the
    cause of interest and d2_j of the competing causes, F1(t_j) = F1(t_{j-1}) + S(t_{j-1}) d1_j / n_j,
    S the Kaplan-Meier estimate of being free of every cause (censorings at t_j still at risk).
Variance
    The estimator ``cmprsk::cuminc`` reports (Gray's ``cinc``, after Aalen 1978 and Dinse and
    Larson 1986): accumulated over the event times from three sums, with a correction for tied
    events (1 - (d - 1) / (n - 1)).
Confidence interval
    As ``tidycmprsk::cuminc`` (Pintilie, *Competing Risks: A Practical Perspective*):
    F^exp(+-z se / (F log F)); undefined (NaN) where F is 0 or 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


@dataclass(frozen=True)
class CumulativeIncidence:
    """The step function of one cause: at each distinct event time, the estimate and variance,
    and the number at risk just before it."""

    time: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    n_risk: np.ndarray
    n: int

    def at(self, t: float, conf_level: float = 0.95) -> dict[str, float]:
        """The estimate at ``t`` (the last step at or before it), its standard error and interval,
        and the number at risk at ``t`` (observed time >= t)."""
        index = np.searchsorted(self.time, t, side="right") - 1
        estimate = float(self.estimate[index]) if index >= 0 else 0.0
        variance = float(self.variance[index]) if index >= 0 else 0.0
        se = float(np.sqrt(variance))
        low, high = confint(estimate, se, conf_level)
        return {"estimate": estimate, "std.error": se, "conf.low": low, "conf.high": high}


def confint(estimate: float, se: float, conf_level: float = 0.95) -> tuple[float, float]:
    """tidycmprsk's log-log interval: F^exp(+-z se / (F log F))."""
    if not 0 < estimate < 1:
        return (np.nan, np.nan)
    z = norm.ppf(1 - (1 - conf_level) / 2)
    spread = z * se / (estimate * np.log(estimate))  # negative: log F < 0
    return (float(estimate ** np.exp(-spread)), float(estimate ** np.exp(spread)))


def cuminc(time, status, cause: int = 1) -> CumulativeIncidence:
    """Cumulative incidence of ``cause`` (``status``: 0 censored, any other code an event of that
    cause), with cmprsk's variance."""
    time = np.asarray(time, dtype=float)
    status = np.asarray(status, dtype=int)
    if time.shape != status.shape or not len(time):
        raise ValueError("time and status must be non-empty and of one length")
    if np.isnan(time).any() or (time < 0).any():
        raise ValueError("times must be known and not negative")
    times, estimates, variances, risks = [], [], [], []
    survival, incidence, v1, v2, v3 = 1.0, 0.0, 0.0, 0.0, 0.0
    for t in np.unique(time[status != 0]):
        at_risk = float((time >= t).sum())
        d1 = float(((time == t) & (status == cause)).sum())
        d2 = float(((time == t) & (status != 0) & (status != cause)).sum())
        after = survival * (at_risk - d1 - d2) / at_risk
        incidence += survival * d1 / at_risk
        if d2 > 0 and after > 0:
            ties = 1 - (d2 - 1) / (at_risk - 1) if d2 > 1 else 1.0
            weight = survival * survival * ties * d2 / (at_risk * at_risk)
            t3, t4 = 1 / after, incidence / after
            v1, v2, v3 = v1 + t4 * t4 * weight, v2 + t3 * t4 * weight, v3 + t3 * t3 * weight
        if d1 > 0:
            ties = 1 - (d1 - 1) / (at_risk - 1) if d1 > 1 else 1.0
            weight = survival * survival * ties * d1 / (at_risk * at_risk)
            t3 = 1 / after if after > 0 else 0.0
            t4 = 1 + t3 * incidence
            v1, v2, v3 = v1 + t4 * t4 * weight, v2 + t3 * t4 * weight, v3 + t3 * t3 * weight
        times.append(t)
        estimates.append(incidence)
        variances.append(v1 + incidence * incidence * v3 - 2 * incidence * v2)
        risks.append(at_risk)
        survival = after
    return CumulativeIncidence(np.array(times), np.array(estimates), np.array(variances), np.array(risks), len(time))
