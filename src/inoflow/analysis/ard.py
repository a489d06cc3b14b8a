"""Analysis results data (ARD) in the layout of the pharmaverse ``cards``/``cardx`` packages.

One row per statistic: ``output_id, group1, group1_level, variable, variable_level, context,
stat_name, stat_label, stat, stat_fmt`` plus ``ard_row_id``. ``cards`` keeps ``stat`` in a
list column that mixes numbers and text; a parquet column has one type, so numeric statistics
are in ``stat`` (float64) and every statistic, text ones included (the CI method, the
transform), is also written formatted in ``stat_fmt``. Levels are text. Proportions ``p`` are
0-1. Every displayed table is rendered from these rows.

Builders (``ard_*``) mirror the cards/cardx functions of the same purpose:

- :func:`ard_categorical`  ~ ``cards::ard_categorical``  (n, N, p per level)
- :func:`ard_proportion_ci` ~ ``cardx::ard_proportion_ci`` (N, n, estimate, conf.low, conf.high, conf.level, method)
- :func:`ard_continuous`   ~ ``cards::ard_continuous``   (N, mean, sd, median, p25, p75, min, max)
- :func:`ard_survfit`      ~ ``cardx::ard_survival_survfit`` (time: n.risk, estimate, std.error, conf.low,
  conf.high; prob 0.5 (and any other ``probs``): estimate, conf.low, conf.high; plus n, n.event,
  conf.type, variance)
- :func:`ard_followup`     median follow-up by the reverse Kaplan-Meier method (as ``ard_survfit`` of
  the censoring distribution: prob 0.5 with its interval, n, n.censored)
- :func:`ard_median_ci`    the median with its distribution-free (order statistics) interval
- :func:`ard_events`       ~ ``cards::ard_stack_hierarchical`` for one level: subjects with at least one
  record of each term (n, N, p), N the population
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from inoflow.analysis.lineage import LINEAGE_KEY, Lineage, lineage_frame, sources_of, subjects_of
from inoflow.analysis.stats import cmprsk as cmprsklib
from inoflow.analysis.stats import compare as comparelib
from inoflow.analysis.stats import km as kmlib
from inoflow.analysis.stats import order as orderlib
from inoflow.analysis.stats import timedep as timedeplib
from inoflow.analysis.stats.proportion import METHOD as CP_METHOD
from inoflow.analysis.stats.proportion import clopper_pearson

# the columns that identify a result within an output (cards' grouping and variable columns)
ROW_KEY = ["group1", "group1_level", "group2", "group2_level", "variable", "variable_level"]


def display_row_keys(rows: pd.DataFrame) -> pd.Series:
    """The row of a displayed table each ARD row belongs to: its row key and its analysis
    (``context``), so that two analyses of one variable (the median with its interval and the
    summary statistics of age) are two table rows."""
    return rows[[*ROW_KEY, "context"]].fillna("").astype(str).agg("|".join, axis=1)


ARD_COLUMNS = [
    "ard_row_id",
    "output_id",
    "group1",
    "group1_level",
    "group2",
    "group2_level",
    "variable",
    "variable_level",
    "context",
    "stat_name",
    "stat_label",
    "stat",
    "stat_fmt",
]

STAT_LABELS = {
    "n": "n",
    "N": "N",
    "p": "%",
    "estimate": "Estimate",
    "conf.low": "CI Lower Bound",
    "conf.high": "CI Upper Bound",
    "conf.level": "CI Confidence Level",
    "method": "Method",
    "mean": "Mean",
    "sd": "SD",
    "median": "Median",
    "p25": "Q1",
    "p75": "Q3",
    "min": "Min",
    "max": "Max",
    "n.risk": "Number of Subjects at Risk",
    "std.error": "Standard Error",
    "n.event": "Number of Events",
    "conf.type": "CI Transform",
    "variance": "Variance Estimator",
    "n.censored": "Number Censored",
    "coverage": "Exact Coverage",
    "statistic": "X^2 Statistic",
    "df": "Degrees of Freedom",
    "p.value": "p-value",
    "reference": "Reference Level",
    "observed": "Observed Events",
    "expected": "Expected Events",
    "n.excluded": "Number Excluded",
    "beyond.last": "Beyond the Last Observation",
    "flat.segment": "Quantile on a Flat Segment",
}


def _fmt(stat_name: str, value, context: str, variable: str, spec: str | None = None) -> str:
    """Display text of one statistic: ``spec`` (a Python format specification) where the builder
    gives one (:data:`WHOLE_NUMBERS`, :data:`MONEY`); else counts whole; proportions and survival
    probabilities as percentages to 1 decimal; times in months and the median with its
    order-statistic interval to 1 decimal; standard errors to 4 decimals; other numbers to 2
    decimals."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NE"
    value = float(value)
    if spec:
        return format(value, spec)
    if stat_name in ("beyond.last", "flat.segment"):  # flags: 1 where the rule applied
        return "yes"
    if stat_name in ("n", "N", "n.risk", "n.event", "n.censored", "df", "n.excluded", "observed"):
        return str(int(value))
    if stat_name == "p.value":
        return "<0.0001" if value < 0.0001 else f"{value:.4f}"
    if stat_name == "conf.level":
        return f"{100 * value:g}%"
    if stat_name == "std.error":
        return f"{value:.4f}"
    if stat_name == "time":
        return f"{value:g}"
    probability = context in ("proportion_ci", "tidycmprsk_cuminc") or (
        context == "survival_survfit" and variable != "prob"
    )
    if stat_name == "p" or (stat_name in ("estimate", "conf.low", "conf.high") and probability):
        return f"{100 * value:.1f}"
    if stat_name == "coverage":
        return f"{100 * value:.2f}%"
    return f"{value:.1f}" if context in ("survival_survfit", "survival_followup", "median_ci") else f"{value:.2f}"


# Formats of the summary statistics of a variable of whole numbers (cycles, days, units): the
# range whole, the mean, SD, median and quartiles to 1 decimal.
WHOLE_NUMBERS = {"mean": ".1f", "sd": ".1f", "median": ".1f", "p25": ".1f", "p75": ".1f", "min": ".0f", "max": ".0f"}
MONEY = ",.2f"  # amounts of money: thousands separated, to the cent


def _rows(
    output_id: str,
    group,
    variable: str,
    level,
    context: str,
    stats: dict,
    lineage: dict,
    formats: dict[str, str] | None = None,
) -> list[dict]:
    """``group``: None, (var, level), or ((var1, level1), (var2, level2)) for two grouping variables.
    ``lineage``: the subjects behind the statistics, by role (:mod:`inoflow.analysis.lineage`).
    ``formats``: statistic name -> format specification of its ``stat_fmt`` (:func:`_fmt`)."""
    formats = formats or {}
    rows = []
    g1, g2 = group if group and isinstance(group[0], tuple) else (group, None)
    for name, value in stats.items():
        numeric = (
            float(value) if isinstance(value, (int, float, np.integer, np.floating)) and value is not None else np.nan
        )
        rows.append(
            {
                "output_id": output_id,
                "group1": g1[0] if g1 else None,
                "group1_level": None if not g1 or g1[1] is None else str(g1[1]),
                "group2": g2[0] if g2 else None,
                "group2_level": None if not g2 or g2[1] is None else str(g2[1]),
                "variable": variable,
                "variable_level": None if level is None else str(level),
                "context": context,
                "stat_name": name,
                "stat_label": STAT_LABELS.get(name, name),
                "stat": numeric,
                "stat_fmt": _fmt(name, value, context, variable, formats.get(name)),
                LINEAGE_KEY: lineage,
            }
        )
    return rows


def _groups(data: pd.DataFrame, by, by_levels) -> Iterable[tuple[object, pd.DataFrame]]:
    """Split by one grouping variable (``by`` a name) or two (``by`` a pair of names, ``by_levels``
    a pair of level lists)."""
    if by is None:
        yield None, data
        return
    if isinstance(by, (list, tuple)):
        (b1, b2), (l1, l2) = by, by_levels
        for v1 in l1:
            for v2 in l2:
                yield ((b1, v1), (b2, v2)), data[(data[b1] == v1) & (data[b2] == v2)]
        return
    levels = list(by_levels) if by_levels is not None else sorted(data[by].dropna().unique())
    for level in levels:
        yield (by, level), data[data[by] == level]


def finish_with_lineage(rows: list[dict]) -> tuple[pd.DataFrame, Lineage]:
    """Rows -> the ARD and its lineage (the subjects behind each ARD row, by role)."""
    ard = finish(rows)
    return ard, lineage_frame(rows, ard)


def finish(rows: list[dict]) -> pd.DataFrame:
    """Rows -> an ARD frame with stable row ids (hash of the identifying columns)."""
    ard = pd.DataFrame(rows, columns=[c for c in ARD_COLUMNS if c != "ard_row_id"])
    key = ard[["output_id", *ROW_KEY, "context", "stat_name"]].astype(str).agg("|".join, axis=1)
    ard.insert(0, "ard_row_id", key.map(lambda k: hashlib.sha1(k.encode()).hexdigest()[:12]))
    if ard["ard_row_id"].duplicated().any():
        dup = ard.loc[
            ard["ard_row_id"].duplicated(keep=False), ["output_id", "variable", "variable_level", "stat_name"]
        ]
        raise ValueError(f"ARD rows are not unique:\n{dup}")
    return ard


def ard_categorical(
    data: pd.DataFrame,
    variable: str,
    output_id: str,
    levels: Sequence,
    by: str | None = None,
    by_levels: Sequence | None = None,
) -> list[dict]:
    """n, N and p (0-1) of each level of ``variable`` (N = non-missing in the group)."""
    rows = []
    for group, part in _groups(data, by, by_levels):
        part = part[part[variable].notna()]
        values = part[variable]
        total = len(values)
        for level in levels:
            n = int((values == level).sum())
            lineage = {
                "denominator": subjects_of(part),
                "numerator": subjects_of(part, values == level),
                **sources_of(part),
            }
            rows += _rows(
                output_id,
                group,
                variable,
                level,
                "categorical",
                {"n": n, "N": total, "p": n / total if total else np.nan},
                lineage,
            )
    return rows


def ard_proportion_ci(
    data: pd.DataFrame,
    variable: str,
    output_id: str,
    value="Y",
    by: str | None = None,
    by_levels: Sequence | None = None,
    conf_level: float = 0.95,
) -> list[dict]:
    """Proportion of ``variable == value`` with its exact Clopper-Pearson interval."""
    rows = []
    for group, part in _groups(data, by, by_levels):
        part = part[part[variable].notna()]
        values = part[variable]
        n, total = int((values == value).sum()), len(values)
        lineage = {
            "denominator": subjects_of(part),
            "numerator": subjects_of(part, values == value),
            **sources_of(part),
        }
        low, high = clopper_pearson(n, total, conf_level) if total else (np.nan, np.nan)
        stats = {
            "N": total,
            "n": n,
            "estimate": n / total if total else np.nan,
            "conf.low": low,
            "conf.high": high,
            "conf.level": conf_level,
            "method": CP_METHOD,
        }
        rows += _rows(output_id, group, variable, value, "proportion_ci", stats, lineage)
    return rows


def ard_continuous(
    data: pd.DataFrame,
    variable: str,
    output_id: str,
    by: str | None = None,
    by_levels: Sequence | None = None,
    money: bool = False,
) -> list[dict]:
    """:func:`summary_statistics` of ``variable`` (each group's). Formatted as :data:`MONEY` for
    amounts of money, as :data:`WHOLE_NUMBERS` where every value is a whole number."""
    rows = []
    for group, part in _groups(data, by, by_levels):
        numeric = pd.to_numeric(part[variable], errors="coerce")
        stats = summary_statistics(numeric)
        if money:
            formats = dict.fromkeys(("mean", "sd", "median", "p25", "p75", "min", "max"), MONEY)
        else:
            values = numeric.dropna().astype(float)
            formats = WHOLE_NUMBERS if len(values) and bool((values == values.round()).all()) else None
        rows += _rows(
            output_id,
            group,
            variable,
            None,
            "continuous",
            stats,
            {"value": subjects_of(part, numeric.notna()), **sources_of(part)},
            formats,
        )
    return rows


def summary_statistics(values: Iterable[float]) -> dict[str, float]:
    """N, mean, SD (n - 1 denominator), median, p25 and p75 (Hyndman-Fan type 2 quantiles, the
    SAS default and cards' for p25/p75: :func:`quantile_type2`), min, max of the non-missing
    ``values``; NaN where undefined (SD with N < 2; everything but N with N = 0). Used for every
    continuous summary, the cost assessment's distributions included.

    >>> d = summary_statistics([100.0, 200.0, 400.0, 1000.0])
    >>> d["N"], d["mean"], d["median"], d["p25"], d["p75"]
    (4, 425.0, 300.0, 150.0, 700.0)
    """
    x = pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce").dropna().astype(float)
    return {
        "N": len(x),
        "mean": float(x.mean()) if len(x) else np.nan,
        "sd": float(x.std(ddof=1)) if len(x) > 1 else np.nan,
        "median": float(x.median()) if len(x) else np.nan,
        "p25": quantile_type2(x, 0.25),
        "p75": quantile_type2(x, 0.75),
        "min": float(x.min()) if len(x) else np.nan,
        "max": float(x.max()) if len(x) else np.nan,
    }


def quantile_type2(x: pd.Series, prob: float) -> float:
    """Quantile by Hyndman-Fan type 2 (inverse of the empirical CDF with averaging), the
    definition SAS uses by default and ``cards::ard_continuous`` uses for p25/p75."""
    values = np.sort(np.asarray(x, dtype=float))
    n = len(values)
    if n == 0:
        return np.nan
    position = n * prob
    j = int(math.floor(position))
    if position == j:
        return float((values[max(j - 1, 0)] + values[min(j, n - 1)]) / 2)
    return float(values[min(j, n - 1)])


def ard_survfit(
    data: pd.DataFrame,
    output_id: str,
    variable_times: Sequence[float],
    group: tuple[str, str] | None = None,
    conf_level: float = 0.95,
    probs: Sequence[float] = (0.5,),
) -> list[dict]:
    """Kaplan-Meier estimates at ``variable_times`` (months), the quantiles ``probs`` (the median by
    default; 0.25 and 0.75 for the quartiles) with their Brookmeyer-Crowley intervals, n and
    n.event, Greenwood variance, log-log transform. The p-th quantile is the first time the curve
    falls to 1 - p or below (midpoint where it is flat at exactly 1 - p), as R ``quantile.survfit``.
    Where that rule rather than the data gives a value, the block says so: ``flat.segment`` (1)
    on a quantile from a flat at exactly 1 - p, ``beyond.last`` (1) on a nonzero estimate after
    the last observed time, carried forward as R ``summary.survfit(extend = TRUE)`` does.

    ``data``: one row per subject with ``USUBJID``, ``MONTHS`` (time), ``EVENT`` (1 event,
    0 censored) and, for a BDS parameter, ``PARAMCD``; with ``ENTRY``, counting-process data
    (a Simon-Makuch curve, :mod:`inoflow.analysis.stats.timedep`): each row at risk over
    (ENTRY, MONTHS] only, and ``n.risk`` the risk set at the time (R's ``summary`` reports that
    of the next recorded time instead). Lineage: every row has the fit's population; a time row
    its subjects at risk and its events so far; the median every event.
    """
    time = np.asarray(data["MONTHS"], dtype=float)
    event = np.asarray(data["EVENT"], dtype=int)
    entry = np.asarray(data["ENTRY"], dtype=float) if "ENTRY" in data else None
    fit = kmlib.fit_km(time, event, conf_level=conf_level, conf_type="log-log", entry=entry)
    population = subjects_of(data)
    events = subjects_of(data, event == 1)
    sources = sources_of(data)
    rows = _rows(
        output_id,
        group,
        "..ard_survfit..",
        None,
        "survival_survfit",
        {
            "n": fit.n,
            "n.event": fit.n_event,
            "conf.type": fit.conf_type,
            "variance": fit.variance,
            "conf.level": conf_level,
        },
        {"population": population, "event": events, **sources},
    )
    last = float(fit.table["time"].iloc[-1])
    for t in variable_times:
        at = kmlib.survival_at(fit, t)
        at_risk = kmlib.at_risk(time, t, entry)
        at["n_risk"] = int(at_risk.sum())
        flags = {"beyond.last": 1} if t > last and at["estimate"] > 0 else {}  # carried past the last observation
        lineage = {
            "population": population,
            "at_risk": subjects_of(data, at_risk),
            "event": subjects_of(data, (event == 1) & (time <= t)),
            **sources,
        }
        rows += _rows(
            output_id,
            group,
            "time",
            t,
            "survival_survfit",
            {**{k: at[k] for k in ("n_risk", "estimate", "std_error", "conf_low", "conf_high")}, **flags},
            lineage,
        )
    for prob in probs:
        q = kmlib.quantile(fit, prob)
        flat = {"flat.segment": 1} if kmlib.quantile_on_flat(fit, prob) else {}  # the midpoint of a flat at 1 - p
        rows += _rows(
            output_id,
            group,
            "prob",
            prob,
            "survival_survfit",
            {"estimate": q["estimate"], "conf.low": q["conf_low"], "conf.high": q["conf_high"], **flat},
            {"population": population, "event": events, **sources},
        )
    return [_cardx_names(r) for r in rows]


def ard_followup(
    data: pd.DataFrame, output_id: str, group: tuple[str, str] | None = None, conf_level: float = 0.95
) -> list[dict]:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper and Smith, 1996): the
    Kaplan-Meier median of the censoring distribution (censorings as events, deaths censored;
    :func:`inoflow.analysis.stats.km.reverse_km`), with its Brookmeyer-Crowley interval. ``data`` as for
    :func:`ard_survfit`. Lineage: the population, and the censored subjects (role ``censored``)."""
    time = np.asarray(data["MONTHS"], dtype=float)
    event = np.asarray(data["EVENT"], dtype=int)
    fit = kmlib.reverse_km(time, event, conf_level=conf_level, conf_type="log-log")
    q = kmlib.quantile(fit, 0.5)
    lineage = {"population": subjects_of(data), "censored": subjects_of(data, event == 0), **sources_of(data)}
    stats = {
        "n": len(time),
        "n.censored": int((event == 0).sum()),
        "estimate": q["estimate"],
        "conf.low": q["conf_low"],
        "conf.high": q["conf_high"],
        "conf.type": fit.conf_type,
        "method": "Reverse Kaplan-Meier (censoring as the event)",
    }
    return _rows(output_id, group, "followup", 0.5, "survival_followup", stats, lineage)


def ard_median_ci(
    data: pd.DataFrame,
    variable: str,
    output_id: str,
    by: str | None = None,
    by_levels: Sequence | None = None,
    conf_level: float = 0.95,
) -> list[dict]:
    """The median of ``variable`` with its distribution-free confidence interval from order
    statistics (:func:`inoflow.analysis.stats.order.median_ci`), N and the exact coverage."""
    rows = []
    for group, part in _groups(data, by, by_levels):
        numeric = pd.to_numeric(part[variable], errors="coerce")
        ci = orderlib.median_ci(numeric.dropna().astype(float), conf_level)
        stats = {
            "N": int(numeric.notna().sum()),
            "median": ci.median,
            "conf.low": ci.conf_low,
            "conf.high": ci.conf_high,
            "conf.level": conf_level,
            "coverage": ci.coverage,
            "method": orderlib.METHOD,
        }
        lineage = {"value": subjects_of(part, numeric.notna()), **sources_of(part)}
        rows += _rows(output_id, group, variable, None, "median_ci", stats, lineage)
    return rows


def ard_summary(
    data: pd.DataFrame,
    output_id: str,
    variable: str,
    stats: dict,
    context: str,
    group: tuple[str, str] | None = None,
    level: str | None = None,
    roles: dict[str, Sequence[bool] | pd.Series | None] | None = None,
    formats: dict[str, str] | None = None,
) -> list[dict]:
    """Statistics computed elsewhere (``stats``: name -> number or text) as ARD rows of ``data``
    (for ``variable`` at ``level``). ``roles``: lineage role -> the rows of ``data`` it holds (a
    mask; None: every row); by default every subject is the denominator. A statistic no subject
    decides (a unit cost) takes ``roles={}``: only the source. ``formats`` as for :func:`_rows`."""
    roles = {"denominator": None} if roles is None else roles
    lineage = {role: subjects_of(data, mask) for role, mask in roles.items()}
    return _rows(output_id, group, variable, level, context, stats, {**lineage, **sources_of(data)}, formats)


TOTAL_N = "..ard_total_n.."


def ard_total_n(
    data: pd.DataFrame, output_id: str, by: str | None = None, by_levels: Sequence | None = None
) -> list[dict]:
    """The number of patients of an output's population, overall or per level of ``by`` (the
    ``N = n`` of a column header), as ``cards::ard_total_n`` writes it: variable
    ``..ard_total_n..``, context ``total_n``, statistic ``N``."""
    rows = []
    for group, part in _groups(data, by, by_levels):
        rows += _rows(
            output_id,
            group,
            TOTAL_N,
            None,
            "total_n",
            {"N": len(part)},
            {"denominator": subjects_of(part), **sources_of(part)},
        )
    return rows


def ard_events(
    population: pd.DataFrame,
    events: pd.DataFrame,
    variable: str,
    output_id: str,
    levels: Sequence | None = None,
    any_label: str | None = "ANY",
) -> list[dict]:
    """Subjects of ``population`` with at least one record in ``events`` (n, N, p), overall
    (``variable_level`` ``any_label``) and for each level of ``variable`` (by default every level
    present, most frequent first, then alphabetically). N is the population; records of subjects
    outside it are not counted. Lineage: the population is the denominator, the subjects with a
    record the numerator; ``population`` is tagged with the datasets of both frames
    (:func:`inoflow.analysis.lineage.tag`), its subjects the source."""
    ids = set(population["USUBJID"])
    events = events[events["USUBJID"].isin(ids)]
    total = int(population["USUBJID"].nunique())
    if levels is None:
        counts = events.groupby(variable)["USUBJID"].nunique()
        levels = sorted(counts.index, key=lambda level: (-counts[level], str(level)))
    sources = sources_of(population)
    rows = []
    selections = ([(any_label, events)] if any_label else []) + [
        (level, events[events[variable] == level]) for level in levels
    ]
    for level, part in selections:
        with_event = population["USUBJID"].isin(set(part["USUBJID"]))
        n = int(with_event.sum())
        lineage = {
            "denominator": subjects_of(population),
            "numerator": subjects_of(population, with_event),
            **sources,
        }
        rows += _rows(
            output_id,
            None,
            variable,
            level,
            "hierarchical",
            {"n": n, "N": total, "p": n / total if total else np.nan},
            lineage,
        )
    return rows


def _cardx_names(row: dict) -> dict:
    rename = {"n_risk": "n.risk", "std_error": "std.error", "conf_low": "conf.low", "conf_high": "conf.high"}
    if row["stat_name"] in rename:
        row["stat_name"] = rename[row["stat_name"]]
        row["stat_label"] = STAT_LABELS[row["stat_name"]]
        row["stat_fmt"] = _fmt(row["stat_name"], row["stat"], row["context"], row["variable"])
    return row


def ard_survdiff(data: pd.DataFrame, output_id: str, by: str, levels: Sequence[str]) -> list[dict]:
    """The log-rank test of ``data`` (``MONTHS``, ``EVENT``) across the ``levels`` of ``by``, as
    ``cardx::ard_survival_survdiff`` names its statistics (statistic, df, p.value, method);
    ``variable`` is the compared variable. :mod:`inoflow.analysis.stats.compare`."""
    part = data[data[by].astype(str).isin([str(level) for level in levels])]
    result = comparelib.logrank(part["MONTHS"], part["EVENT"], part[by].astype(str))
    lineage = {"population": subjects_of(part), "event": subjects_of(part, part["EVENT"] == 1), **sources_of(part)}
    stats = {**result, "method": comparelib.LOGRANK_METHOD}
    return _rows(output_id, None, by, None, "survival_survdiff", stats, lineage)


def ard_coxph(data: pd.DataFrame, output_id: str, by: str, levels: Sequence[str]) -> list[dict]:
    """Hazard ratios of each level of ``levels[1:]`` of ``by`` against ``levels[0]`` (Cox
    model, Efron ties, Wald interval and p-value; :mod:`inoflow.analysis.stats.compare`): one
    block per level (estimate, conf.low, conf.high, std.error, p.value, reference, method)."""
    levels = [str(level) for level in levels]
    part = data[data[by].astype(str).isin(levels)]
    ratios = comparelib.hazard_ratios(part["MONTHS"], part["EVENT"], part[by].astype(str), levels)
    rows = []
    for level, stats in ratios.items():
        compared = part[by].astype(str).isin([levels[0], level])
        lineage = {
            "population": subjects_of(part, compared),
            "event": subjects_of(part, compared & (part["EVENT"] == 1)),
            **sources_of(part),
        }
        stats = {**stats, "reference": levels[0], "method": comparelib.COX_METHOD}
        rows += _rows(output_id, None, by, level, "coxph", stats, lineage)
    return rows


def ard_time_dependent(
    data: pd.DataFrame, output_id: str, exposure: str, variable: str, times: Sequence[float]
) -> list[dict]:
    """An exposure that starts during follow-up (HSCT after InO) as a time-dependent event
    (:mod:`inoflow.analysis.stats.timedep`): ``data`` as for :func:`ard_survfit`, one row per
    subject, with ``exposure`` the months from the start to the exposure (missing: never).

    Rows: the N of each state of ``variable`` (``N`` not or not yet exposed, ``Y`` exposed: the
    subjects with time in it), its Simon-Makuch curve at ``times`` (:func:`ard_survfit` on the
    counting-process data), the Mantel-Byar test (context ``survival_mantel_byar``: statistic,
    df, p.value, observed and expected deaths when exposed) and the hazard ratio of the exposed
    state from the time-dependent Cox model (context ``coxph``, reference ``N``)."""
    states, intervals = time_dependent_states(data, exposure, variable)
    rows = ard_curves(states, output_id, variable, ["N", "Y"], times)
    lineage = {
        "population": subjects_of(data),
        "event": subjects_of(data, data["EVENT"] == 1),
        "exposed": subjects_of(states, states[variable] == "Y"),
        **sources_of(data),
    }
    test = {**timedeplib.mantel_byar(intervals), "method": timedeplib.MANTEL_BYAR_METHOD}
    rows += _rows(output_id, None, variable, None, "survival_mantel_byar", test, lineage)
    ratio = {
        **timedeplib.time_dependent_hazard_ratio(intervals),
        "reference": "N",
        "method": timedeplib.TIME_DEPENDENT_COX_METHOD,
    }
    rows += _rows(output_id, None, variable, "Y", "coxph", ratio, lineage)
    return rows


def time_dependent_states(data: pd.DataFrame, exposure: str, variable: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The counting-process data of :func:`ard_time_dependent`: a row of ``data`` per interval
    with ``ENTRY``, ``MONTHS`` (its end), ``EVENT`` and ``variable`` (``N``, ``Y``), and the
    intervals as :func:`inoflow.analysis.stats.timedep.counting_process` gives them."""
    positions = np.arange(len(data))
    intervals = timedeplib.counting_process(positions, data["MONTHS"], data["EVENT"], data[exposure])
    states = data.iloc[intervals["id"].to_numpy()].copy()  # a row selection keeps the lineage tag
    states["ENTRY"] = intervals["start"].to_numpy()
    states["MONTHS"] = intervals["stop"].to_numpy()
    states["EVENT"] = intervals["event"].to_numpy()
    states[variable] = np.where(intervals["exposed"].to_numpy() == 1, "Y", "N")
    return states, intervals


def landmark_data(data: pd.DataFrame, exposure: str, variable: str, landmark: float) -> pd.DataFrame:
    """The landmark data set of :func:`inoflow.analysis.stats.timedep.landmark`: the rows of
    ``data`` followed beyond ``landmark`` months, ``MONTHS`` from it, ``variable`` ``Y`` when
    ``exposure`` came at or before it, else ``N``."""
    chosen = timedeplib.landmark(data["MONTHS"], data["EVENT"], data[exposure], landmark)
    out = data.iloc[chosen["index"].to_numpy()].copy()
    out["MONTHS"] = chosen["time"].to_numpy()
    out[variable] = np.where(chosen["exposed"].to_numpy() == 1, "Y", "N")
    return out


def ard_landmark(
    data: pd.DataFrame, output_id: str, exposure: str, variable: str, landmark: float, times: Sequence[float]
) -> list[dict]:
    """A landmark analysis (Anderson, Cain and Gelber, 1983) of ``data`` (as for
    :func:`ard_survfit`) by ``exposure`` (months from the start, missing: never) at ``landmark``
    months: the landmark (context ``landmark``: time, n included, n.excluded, those who died or
    were censored by it), N per group of ``variable`` (``N``, ``Y``: exposed by the landmark),
    each group's Kaplan-Meier curve at ``times`` months from the landmark, the log-rank test and
    the hazard ratio of ``Y`` against ``N``."""
    chosen = landmark_data(data, exposure, variable, landmark)
    lineage = {
        "population": subjects_of(data),
        "included": subjects_of(chosen),
        "excluded": subjects_of(data, data["MONTHS"] <= landmark),
        **sources_of(data),
    }
    stats = {"time": float(landmark), "n": len(chosen), "n.excluded": len(data) - len(chosen)}
    rows = _rows(output_id, None, "landmark", None, "landmark", stats, lineage)
    return rows + ard_stratified(chosen, output_id, variable, ["N", "Y"], times)


def ard_curves(data: pd.DataFrame, output_id: str, by: str, levels: Sequence, times: Sequence[float]) -> list[dict]:
    """N per level of ``by`` (the column headers) and each level's Kaplan-Meier curve at ``times``
    (:func:`ard_survfit`; a level without patients has none)."""
    rows = ard_total_n(data, output_id, by=by, by_levels=levels)
    for level in levels:
        part = data[data[by] == level]
        if len(part):
            rows += ard_survfit(part, output_id, times, group=(by, level))
    return rows


def ard_stratified(data: pd.DataFrame, output_id: str, by: str, levels: Sequence, times: Sequence[float]) -> list[dict]:
    """A stratified Kaplan-Meier output: :func:`ard_curves`, then the groups compared (the
    log-rank test, :func:`ard_survdiff`, and the hazard ratios against ``levels[0]``,
    :func:`ard_coxph`)."""
    rows = ard_curves(data, output_id, by, levels, times)
    return rows + ard_survdiff(data, output_id, by, levels) + ard_coxph(data, output_id, by, levels)


COMPETING_OUTCOMES = {1: "relapse", 2: "death without relapse"}  # CMPRSK of ADTTE CIR


def ard_cuminc(
    data: pd.DataFrame,
    output_id: str,
    times: Sequence[float],
    outcomes: dict[int, str] | None = None,
    by: str | None = None,
    by_levels: Sequence | None = None,
) -> list[dict]:
    """Cumulative incidence of each outcome with the others competing
    (:mod:`inoflow.analysis.stats.cmprsk`: Aalen-Johansen, cmprsk's variance, tidycmprsk's
    interval), at ``times`` months, overall or per level of ``by``; with ``by``, Gray's test of
    each outcome across the levels. ``data``: ``MONTHS`` and ``CMPRSK`` (0 censored, else the
    outcome's code) of one ADTTE competing-risks parameter. Rows as tidycmprsk's: context
    ``tidycmprsk_cuminc``, ``variable`` ``outcome``, ``variable_level`` the outcome, statistics time,
    estimate, std.error, conf.low, conf.high, n.risk; each time a group (``months``), after the
    ``by`` group."""
    outcomes = outcomes or COMPETING_OUTCOMES
    rows = []
    for group, part in _groups(data, by, by_levels):
        months = np.asarray(part["MONTHS"], dtype=float)
        status = np.asarray(part["CMPRSK"], dtype=int)
        sources = sources_of(part)
        for code, outcome in outcomes.items():
            fit = cmprsklib.cuminc(months, status, code) if len(part) else None
            for t in times:
                at = fit.at(t) if fit else dict.fromkeys(("estimate", "std.error", "conf.low", "conf.high"), np.nan)
                lineage = {
                    "population": subjects_of(part),
                    "at_risk": subjects_of(part, months >= t),
                    "event": subjects_of(part, (status == code) & (months <= t)),
                    **sources,
                }
                stats = {"time": float(t), **at, "n.risk": int((months >= t).sum())}
                key = ("months", _time_level(t))
                groups = key if group is None else (group, key)
                rows += _rows(output_id, groups, "outcome", outcome, "tidycmprsk_cuminc", stats, lineage)
    if by is not None:
        levels = [str(v) for v in (by_levels if by_levels is not None else sorted(data[by].dropna().unique()))]
        part = data[data[by].astype(str).isin(levels)]
        for code, outcome in outcomes.items():
            result = cmprsklib.gray_test(part["MONTHS"], part["CMPRSK"], part[by].astype(str), code)
            lineage = {
                "population": subjects_of(part),
                "event": subjects_of(part, part["CMPRSK"] == code),
                **sources_of(part),
            }
            stats = {**result, "method": "Gray's test (cmprsk::cuminc)"}
            rows += _rows(output_id, None, by, outcome, "cuminc_gray", stats, lineage)
    return rows


def _time_level(t: float) -> str:
    return f"{float(t):g}"


def ard_crude_alive(
    data: pd.DataFrame,
    landmarks: Sequence[float],
    output_id: str,
    group: tuple[str, str] | None = None,
) -> list[dict]:
    """Crude proportion known alive at each landmark (``stats.km.crude_proportion_alive``): death
    or last contact on or after it, of all N (how the paper's 6- and 12-month figures were computed).
    ``data`` as for :func:`ard_survfit`."""
    time = np.asarray(data["MONTHS"], dtype=float)
    event = np.asarray(data["EVENT"], dtype=int)
    sources = sources_of(data)
    rows = []
    for t in landmarks:
        alive, total = kmlib.crude_proportion_alive(time, event, t)
        stats = {"n": alive, "N": total, "p": alive / total if total else np.nan}
        lineage = {"denominator": subjects_of(data), "numerator": subjects_of(data, time >= t), **sources}
        rows += _rows(output_id, group, "crude_alive", t, "crude_proportion", stats, lineage)
    return rows


def stat_value(ard: pd.DataFrame, output_id: str, stat_name: str, **where) -> float:
    """One numeric statistic from an ARD, selected by output id, stat name and column values."""
    rows = ard[(ard["output_id"] == output_id) & (ard["stat_name"] == stat_name)]
    for column, value in where.items():
        rows = rows[rows[column].astype(str) == str(value)] if value is not None else rows[rows[column].isna()]
    if len(rows) != 1:
        raise KeyError(f"{output_id} {stat_name} {where}: {len(rows)} rows")
    return float(rows["stat"].iloc[0])
