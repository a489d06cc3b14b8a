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
Gray's test
    Gray (1988), the comparison of the cumulative incidence of one cause across groups
    ``cmprsk::cuminc(..., group)`` reports: a port of Gray's Fortran ``crst`` (one stratum, weight
    (1 - F)^rho), the statistic s' V^-1 s on k - 1 degrees of freedom. The variance above and this
    test follow R. Gray's code in cmprsk (Copyright (C) 2000 Robert Gray, GPL-2 or later): a port
    of it carries that licence.
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


def gray_test(time, status, group, cause: int = 1, rho: float = 0.0) -> dict[str, float]:
    """Gray's test (1988) that the cumulative incidence of ``cause`` is the same in every group,
    as R ``cmprsk::cuminc(..., group)`` computes it (Gray's ``crst``, one stratum): the scores of
    the first k - 1 groups and their variance, statistic s' V^-1 s on k - 1 degrees of freedom.
    ``rho``: the power of the weight (1 - F)^rho (0, cmprsk's default, is the log-rank-like test)."""
    from scipy.stats import chi2

    time = np.asarray(time, dtype=float)
    status = np.asarray(status, dtype=int)
    labels = np.asarray(group, dtype=object)
    levels = sorted(set(labels.tolist()), key=str)
    ng = len(levels)
    if ng < 2:
        return {"statistic": np.nan, "df": np.nan, "p.value": np.nan}
    order = np.argsort(time, kind="stable")
    time, status = time[order], status[order]
    index = np.array([levels.index(g) for g in labels[order]])
    kind = np.where(status == 0, 0, np.where(status == cause, 1, 2))  # censored, the cause, another
    ng1 = ng - 1
    rs = np.bincount(index, minlength=ng).astype(float)
    f1m, f1 = np.zeros(ng), np.zeros(ng)
    skmm, skm = np.ones(ng), np.ones(ng)
    v3, v2, c = np.zeros(ng), np.zeros((ng1, ng)), np.zeros((ng, ng))
    s, v = np.zeros(ng1), np.zeros((ng1, ng1))
    fm = f = 0.0
    start, n = 0, len(time)
    while start < n:
        end = start
        while end + 1 < n and time[end + 1] == time[start]:
            end += 1
        block = slice(start, end + 1)
        d = np.zeros((3, ng))
        np.add.at(d, (kind[block], index[block]), 1)
        nd1, nd2 = d[1].sum(), d[2].sum()
        if nd1 > 0 or nd2 > 0:
            tr = tq = 0.0
            for i in range(ng):
                if rs[i] > 0:
                    skm[i] = skmm[i] * (rs[i] - d[1, i] - d[2, i]) / rs[i]
                    f1[i] = f1m[i] + skmm[i] * d[1, i] / rs[i]
                    tr += rs[i] / skmm[i]
                    tq += rs[i] * (1 - f1m[i]) / skmm[i]
            f = fm + nd1 / tr
            fb = (1 - fm) ** rho
            a = np.zeros((ng, ng))
            for i in range(ng):
                if rs[i] <= 0:
                    continue
                t1 = rs[i] / skmm[i]
                a[i, i] = fb * t1 * (1 - t1 / tr)
                if a[i, i] != 0:
                    c[i, i] += a[i, i] * nd1 / (tr * (1 - fm))
                for j in range(i + 1, ng):
                    if rs[j] > 0:
                        a[i, j] = -fb * t1 * rs[j] / (skmm[j] * tr)
                        if a[i, j] != 0:
                            c[i, j] += a[i, j] * nd1 / (tr * (1 - fm))
            lower = np.tril_indices(ng, -1)
            a[lower] = a.T[lower]
            c[lower] = c.T[lower]
            for i in range(ng1):
                if rs[i] > 0:
                    s[i] += fb * (d[1, i] - nd1 * rs[i] * (1 - f1m[i]) / (skmm[i] * tq))
            if nd1 > 0:
                for k in range(ng):
                    if rs[k] <= 0:
                        continue
                    t4 = 1 - (1 - f) / skm[k] if skm[k] > 0 else 1.0
                    t5 = 1 - (nd1 - 1) / (tr * skmm[k] - 1) if nd1 > 1 else 1.0
                    t3 = t5 * skmm[k] * nd1 / (tr * rs[k])
                    v3[k] += t4 * t4 * t3
                    for i in range(ng1):
                        t1 = a[i, k] - t4 * c[i, k]
                        v2[i, k] += t1 * t4 * t3
                        for j in range(i + 1):
                            v[i, j] += t1 * (a[j, k] - t4 * c[j, k]) * t3
            if nd2 > 0:
                for k in range(ng):
                    if skm[k] <= 0 or d[2, k] <= 0:
                        continue
                    t4 = (1 - f) / skm[k]
                    t5 = 1 - (d[2, k] - 1) / (rs[k] - 1) if d[2, k] > 1 else 1.0
                    t3 = t5 * skmm[k] ** 2 * d[2, k] / rs[k] ** 2
                    v3[k] += t4 * t4 * t3
                    for i in range(ng1):
                        t1 = t4 * c[i, k]
                        v2[i, k] -= t1 * t4 * t3
                        for j in range(i + 1):
                            v[i, j] += t1 * (t4 * c[j, k]) * t3
        if end + 1 >= n:
            break
        np.subtract.at(rs, index[block], 1)
        fm = f
        f1m, skmm = f1.copy(), skm.copy()
        start = end + 1
    for i in range(ng1):
        for j in range(i + 1):
            for k in range(ng):
                v[i, j] += c[i, k] * c[j, k] * v3[k] + c[i, k] * v2[j, k] + c[j, k] * v2[i, k]
    v = np.tril(v) + np.tril(v, -1).T
    statistic = float(s @ np.linalg.solve(v, s))
    return {"statistic": statistic, "df": ng1, "p.value": float(chi2.sf(statistic, ng1))}
