"""Kaplan-Meier estimation as R ``survival::survfit(Surv(time, status) ~ 1)`` computes it.

Methods
-------
Estimate
    Product-limit (Kaplan and Meier, 1958): at each distinct time t_j with n_j subjects at risk
    (observed time >= t_j) and d_j events, S(t) = prod_{t_j <= t} (n_j - d_j) / n_j. Events
    and censorings at the same time: the censored subjects are still at risk at that time
    (events are taken to precede censorings), the usual convention and R's.
Variance
    Greenwood (1926): var(log S(t)) = sum_{t_j <= t} d_j / (n_j (n_j - d_j)). The reported
    ``std_error`` is on the survival scale, S(t) * sqrt(that sum), as ``summary.survfit`` and
    ``cardx::ard_survival_survfit`` report it. When every subject at risk has the event
    (n_j = d_j, S = 0) the sum is infinite, as in R, and the standard error is NaN.
Pointwise confidence interval (``conf_type``), with se = sqrt(Greenwood sum) and z the normal
quantile at 1 - (1 - conf_level) / 2, exactly as R ``survival:::survfit_confint``:
    ``"log-log"`` (default here; Kalbfleisch and Prentice, 1980): with se2 = z se / log S,
    lower = exp(-exp(log(-log S) - se2)), upper = exp(-exp(log(-log S) + se2)), i.e.
    S^exp(+-z se / log S). Undefined (NaN) where S = 1 (before any event) or S = 0.
    ``"log"`` (R's default): S exp(-+z se), the upper limit truncated at 1; NaN where S = 0.
    ``"plain"``: S -+ z S se, truncated to [0, 1].
    Before the first observed time (the time-0 row R's ``survfit0`` adds) S = 1, se = 0 and
    both limits are 1.
Quantiles
    R ``quantile.survfit``: the p-th quantile is the smallest time at which S(t) <= 1 - p; when
    the curve is exactly 1 - p (within sqrt(machine eps)) over an interval, the midpoint of
    that interval is returned (its end being the next drop of the curve, or the last observed
    time if the curve stays flat to the end). The confidence interval is that of Brookmeyer
    and Crowley (1982) as R computes it: the same rule applied to the pointwise confidence
    band of the chosen transform. The lower band falls to 1 - p first, so the lower limit of
    the quantile is where the LOWER band crosses and the upper limit where the UPPER band
    crosses; a limit the band never reaches is NaN (R's NA, "not reached"). Where S = 0 the
    log-log and log bands are undefined, so a band still above 1 - p at the last event gives
    NaN as in R. If a band rises again after crossing, the first crossing is taken (as R's
    ``print.survfit``; see ``_findq`` for how ``quantile.survfit`` differs there).
Reverse Kaplan-Meier
    The Kaplan-Meier estimate of the censoring distribution (Schemper and Smith, 1996): the
    same estimator with events and censorings swapped, R ``survfit(Surv(time, 1 - status) ~
    1)``; its median is the median follow-up.

References
----------
Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc
1958; 53: 457-481.
Greenwood M. The natural duration of cancer. Reports on Public Health and Medical Subjects 33.
London: HMSO; 1926.
Kalbfleisch JD, Prentice RL. The Statistical Analysis of Failure Time Data. Wiley; 1980.
Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics 1982;
38: 29-41.
Schemper M, Smith TL. A note on quantifying follow-up in studies of failure time. Control Clin
Trials 1996; 17: 343-346.
Therneau T. A Package for Survival Analysis in R (``survfitKM``, ``survfit_confint``,
``quantile.survfit``, ``summary.survfit``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "CONF_TYPES",
    "KaplanMeier",
    "at_risk",
    "crude_proportion_alive",
    "fit_km",
    "median",
    "number_at_risk",
    "quantile",
    "quantile_on_flat",
    "reverse_km",
    "survival_at",
]

CONF_TYPES = ("log-log", "log", "plain")
TABLE_COLUMNS = ["time", "n_risk", "n_event", "n_censor", "estimate", "std_error", "conf_low", "conf_high"]
# R quantile.survfit's default tolerance for "the curve is exactly 1 - p": sqrt(.Machine$double.eps)
QUANTILE_TOLERANCE = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True, eq=False)
class KaplanMeier:
    """A fitted Kaplan-Meier curve.

    ``table`` has one row per distinct observed time (event or censoring), increasing, with
    columns ``time, n_risk, n_event, n_censor, estimate, std_error, conf_low, conf_high``
    (``std_error`` on the survival scale). ``n`` subjects, ``n_event`` events in all.
    """

    table: pd.DataFrame
    conf_level: float
    conf_type: str
    variance: str
    n: int
    n_event: int


# --- input checks ----------------------------------------------------------------------------


def _times(time, name: str = "time") -> np.ndarray:
    try:
        values = np.asarray(time, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers: {exc}") from None
    if values.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {values.shape}")
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"{name} must be finite numbers; {int(bad.sum())} missing or infinite, first at position {int(np.flatnonzero(bad)[0])}"
        )
    if (values < 0).any():
        raise ValueError(
            f"{name} must be non-negative; {int((values < 0).sum())} negative, e.g. {values[values < 0][0]!r}"
        )
    return values


def _events(event, size: int) -> np.ndarray:
    try:
        values = np.asarray(event, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"event must be 1 (event) or 0 (censored): {exc}") from None
    if values.ndim != 1:
        raise ValueError(f"event must be one-dimensional, got shape {values.shape}")
    if len(values) != size:
        raise ValueError(f"time and event differ in length: {size} and {len(values)}")
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        raise ValueError(
            f"event must be 1 (event) or 0 (censored); got {np.unique(values[bad])[:5].tolist()} ({int(bad.sum())} values)"
        )
    return values.astype(int)


def _check_conf(conf_level: float, conf_type: str) -> None:
    if not (isinstance(conf_level, numbers.Real) and 0 < conf_level < 1):
        raise ValueError(f"conf_level must be strictly between 0 and 1, got {conf_level!r}")
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")


def _check_time_point(t, name: str) -> float:
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t):
        raise ValueError(f"{name} must be a finite number, got {t!r}")
    return float(t)


# --- fitting ---------------------------------------------------------------------------------


def _confint(surv: np.ndarray, se_log: np.ndarray, conf_level: float, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits from S and the Greenwood SE of log S, as R ``survfit_confint`` (usual
    lower limit, upper limit truncated at 1 for "log" and "plain")."""
    from scipy.special import ndtri  # the standard normal quantile; here: a job that formats KM rows never fits one

    z = ndtri(1 - (1 - conf_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se_log * surv * z
            return np.maximum(surv - se2, 0.0), np.minimum(surv + se2, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = z * se_log
            return np.exp(np.log(xx) - se2), np.minimum(np.exp(np.log(xx) + se2), 1.0)
        xx = np.where((surv == 0) | (surv == 1), np.nan, surv)  # log-log
        se2 = z * se_log / np.log(xx)
        return np.exp(-np.exp(np.log(-np.log(xx)) - se2)), np.exp(-np.exp(np.log(-np.log(xx)) + se2))


def fit_km(time, event, conf_level: float = 0.95, conf_type: str = "log-log", entry=None) -> KaplanMeier:
    """Kaplan-Meier estimate with Greenwood variance and pointwise confidence limits.

    ``time``: non-negative finite numbers; ``event``: 1 for an event, 0 for a censoring.
    ``conf_type``: ``"log-log"`` (default), ``"log"`` or ``"plain"`` (R's definitions).
    Matches R ``survfit(Surv(time, event) ~ 1, conf.type = conf_type, conf.int = conf_level)``
    with ``summary(fit, censored = TRUE)``'s standard error on the survival scale.
    ``entry``: for counting-process data (delayed entry), each interval's start, the subject at
    risk over (entry, time] only: R ``survfit(Surv(entry, time, event) ~ 1)``.
    """
    t = _times(time)
    d_all = _events(event, len(t))
    if len(t) == 0:
        raise ValueError("no observations: time and event are empty")
    _check_conf(conf_level, conf_type)

    times, index = np.unique(t, return_inverse=True)
    n_event = np.bincount(index, weights=d_all, minlength=len(times)).astype(int)
    n_total = np.bincount(index, minlength=len(times))
    n_censor = n_total - n_event
    n_risk = np.cumsum(n_total[::-1])[::-1]  # observed time >= t: events precede censorings
    if entry is not None:  # not yet at risk: entry >= t
        start = _times(entry, "entry")
        if len(start) != len(t) or (start >= t).any():
            raise ValueError("entry must have one value per time, each before its time")
        n_risk = n_risk - (len(start) - np.searchsorted(np.sort(start), times, side="left"))

    nr, ne = n_risk.astype(float), n_event.astype(float)
    surv = np.cumprod((nr - ne) / nr)  # factor exactly 1 where there is no event
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.where(n_event > 0, ne / (nr * (nr - ne)), 0.0)  # +inf where n_risk == n_event
        se_log = np.sqrt(np.cumsum(greenwood))
        std_error = np.where(surv == 0, np.nan, surv * se_log)  # R: 0 * Inf = NaN
    low, high = _confint(surv, se_log, float(conf_level), conf_type)

    table = pd.DataFrame(
        {
            "time": times,
            "n_risk": n_risk.astype(int),
            "n_event": n_event,
            "n_censor": n_censor.astype(int),
            "estimate": surv,
            "std_error": std_error,
            "conf_low": low,
            "conf_high": high,
        },
        columns=TABLE_COLUMNS,
    )
    return KaplanMeier(
        table=table,
        conf_level=float(conf_level),
        conf_type=conf_type,
        variance="Greenwood",
        n=int(len(t)),
        n_event=int(d_all.sum()),
    )


def reverse_km(time, event, conf_level: float = 0.95, conf_type: str = "log-log") -> KaplanMeier:
    """Reverse Kaplan-Meier: the Kaplan-Meier estimate of the censoring distribution, events and
    censorings swapped (R ``survfit(Surv(time, 1 - status) ~ 1)``). ``median(reverse_km(...))``
    is the median follow-up by the reverse Kaplan-Meier method (Schemper and Smith, 1996).
    At a time with both a death and a censoring, the swapped convention keeps the death in the
    risk set of the censoring, as that R call does."""
    t = _times(time)
    d = _events(event, len(t))
    return fit_km(t, 1 - d, conf_level=conf_level, conf_type=conf_type)


# --- reading the curve -----------------------------------------------------------------------


def survival_at(km: KaplanMeier, t: float) -> dict:
    """The curve at time ``t``, as R ``summary(fit, times = t, extend = TRUE)``.

    ``estimate``, ``std_error``, ``conf_low``, ``conf_high``: the step function, i.e. the last
    table row with time <= t (before the first observed time: estimate 1, standard error 0,
    limits 1). ``n_risk``: subjects with observed time >= t (0 beyond the last time).
    """
    t = _check_time_point(t, "t")
    table = km.table
    times = table["time"].to_numpy()
    row = int(np.searchsorted(times, t, side="right")) - 1
    first_at_or_after = int(np.searchsorted(times, t, side="left"))
    n_risk = int(table["n_risk"].iloc[first_at_or_after]) if first_at_or_after < len(table) else 0
    if row < 0:
        return {"time": t, "n_risk": n_risk, "estimate": 1.0, "std_error": 0.0, "conf_low": 1.0, "conf_high": 1.0}
    r = table.iloc[row]
    return {
        "time": t,
        "n_risk": n_risk,
        "estimate": float(r["estimate"]),
        "std_error": float(r["std_error"]),
        "conf_low": float(r["conf_low"]),
        "conf_high": float(r["conf_high"]),
    }


def _duplicated(values: np.ndarray) -> np.ndarray:
    """R ``duplicated``: True for a value seen earlier in the vector (NaN equal to NaN)."""
    seen: set[float] = set()
    seen_nan = False
    out = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if math.isnan(v):
            out[i], seen_nan = seen_nan, True
        else:
            out[i] = v in seen
            seen.add(v)
    return out


def _first_reaching(y: np.ndarray, level: float) -> int | None:
    """Index of the first (earliest) non-missing ``y`` that is >= ``level``, or None."""
    hits = np.flatnonzero(~np.isnan(y) & (y >= level))
    return int(hits[0]) if len(hits) else None


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float) -> float:
    """R ``survival:::findq``: where a horizontal line at ``p`` meets the CDF-like step curve
    ``y`` (1 - S, or 1 - a confidence band) over times ``x``, with the midpoint rule for flats.

    R finds the crossing with ``approx(y + tol, seq_along(y), p, method = "constant", f = 1)``,
    which sorts ``y`` first. For a monotone ``y`` (the estimate, and almost always the bands)
    that is the earliest index with ``y >= p - tol``, which is what is used here. A band can
    rise again after crossing (the Greenwood term jumps when few remain at risk); the sort
    then makes ``quantile.survfit`` return a later crossing, while ``print.survfit`` (and the
    published output for the pooled ``aml`` data: median 27, 95% CI 18 to 45) and the
    Brookmeyer-Crowley definition take the first crossing. The first crossing is used.
    """
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return math.nan
    xmax = x[-1]
    keep = ~_duplicated(y)  # censorings repeat the previous value
    x, y = x[keep], y[keep]
    i1 = _first_reaching(y, p - tol)  # first point at or within tol above the level
    i2 = _first_reaching(y, p + tol)  # first point clearly past it: the end of a flat at the level
    quant = (x[i1] + x[i2]) / 2 if i1 is not None and i2 is not None else math.nan
    if not math.isnan(y[-1]) and abs(p - y[-1]) < tol and i1 is not None:  # flat to the end of the curve
        quant = (x[i1] + xmax) / 2
    return float(quant)


def quantile(km: KaplanMeier, p: float = 0.5) -> dict:
    """The ``p``-th quantile of the survival time (0 < p < 1; p = 0.5 the median) with its
    Brookmeyer-Crowley confidence interval, as R ``quantile(fit, probs = p)`` (``survival``).

    Returns ``dict(estimate, conf_low, conf_high)``; NaN where the curve (or the band) never
    falls to 1 - p ("not reached"). The interval uses the fit's ``conf_type`` and ``conf_level``.
    """
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < p < 1:
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    table = km.table
    x = np.concatenate([[0.0], table["time"].to_numpy(dtype=float)])  # R: start at time 0

    def cdf(column: str) -> np.ndarray:
        return np.concatenate([[0.0], 1.0 - table[column].to_numpy(dtype=float)])

    tol = QUANTILE_TOLERANCE
    return {
        "estimate": _findq(x, cdf("estimate"), p, tol),
        "conf_low": _findq(x, cdf("conf_low"), p, tol),  # the lower band reaches 1 - p first
        "conf_high": _findq(x, cdf("conf_high"), p, tol),
    }


def quantile_on_flat(km: KaplanMeier, p: float = 0.5) -> bool:
    """True when the curve is exactly 1 - ``p`` (within R's tolerance) over an interval, so that
    :func:`quantile` returns that interval's midpoint (R ``quantile.survfit``'s rule) rather than
    a time at which the curve drops through 1 - p: the median of a curve flat at 50%."""
    cdf = 1.0 - km.table["estimate"].to_numpy(dtype=float)
    first = _first_reaching(cdf, p - QUANTILE_TOLERANCE)
    return first is not None and abs(cdf[first] - p) < QUANTILE_TOLERANCE


def median(km: KaplanMeier) -> dict:
    """Median survival time with its Brookmeyer-Crowley interval: ``quantile(km, 0.5)``.
    Quartiles: ``quantile(km, 0.25)`` (first quartile of time) and ``quantile(km, 0.75)``."""
    return quantile(km, 0.5)


# --- counts ----------------------------------------------------------------------------------


def at_risk(time, t: float, entry=None) -> np.ndarray:
    """Who is at risk at ``t``: observed time >= t; with ``entry`` (counting-process data) also
    entered before t (entry < t <= time), and at t = 0 the subjects who start at 0."""
    time = np.asarray(time, dtype=float)
    if entry is None:
        return time >= t
    entry = np.asarray(entry, dtype=float)
    return (time >= t) & ((entry < t) if t > 0 else (entry <= 0))


def number_at_risk(time, times_grid: Sequence[float]) -> list[int]:
    """Number at risk at each grid time (observed time >= grid time), for the table under a
    Kaplan-Meier plot; the same count as ``survival_at(...)["n_risk"]``."""
    t = np.sort(_times(time))
    grid = [_check_time_point(g, "times_grid value") for g in times_grid]
    return [int(len(t) - np.searchsorted(t, g, side="left")) for g in grid]


def crude_proportion_alive(time, event, landmark: float) -> tuple[int, int]:
    """Crude count known alive at ``landmark``: subjects whose death or last contact is on or
    after the landmark (observed time >= landmark), and the number of subjects n. Subjects
    censored before the landmark count as not known alive (denominator all n), which is what
    distinguishes this from the Kaplan-Meier estimate at the landmark."""
    t = _times(time)
    _events(event, len(t))
    landmark = _check_time_point(landmark, "landmark")
    return int((t >= landmark).sum()), int(len(t))
