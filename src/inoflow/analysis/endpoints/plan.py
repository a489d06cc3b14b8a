"""Outputs declared as data: a study's analysis plan.

A study's definitions file may hold ``analyses:``, output id -> a list of analyses, each a
mapping that reads like the statistical analysis plan::

    IT02:
      - {analysis: proportion, population: "FASFL == 'Y'", variable: RESPFL}
      - {analysis: proportion, population: "FASFL == 'Y'", variable: BESTRSP, value: CR}
    IT04:
      - {analysis: km, data: ADTTE, paramcd: OS, population: "FASFL == 'Y'", times: [36, 60]}
      - {analysis: followup, data: ADTTE, paramcd: OS, population: "FASFL == 'Y'"}

Keys of an analysis:

``analysis``
    ``total_n`` (the population's number of patients, overall or per level of ``by``: the ``N = n``
    of the table's column headers, :func:`inoflow.analysis.ard.ard_total_n`), ``proportion`` (:func:`inoflow.analysis.ard.ard_proportion_ci`: n/N with the Clopper-Pearson interval of
    ``variable == value``, value ``Y`` by default), ``categorical`` (n, N, % per level of
    ``levels``, by default the levels present), ``continuous`` (N, mean, SD, median, Q1, Q3, min, max), ``median_ci`` (the median
    with its distribution-free interval), ``km`` (Kaplan-Meier at ``times`` months with the
    quantiles ``probs``; with ``by``, one curve per level, and with a ``figure`` the curves in one
    plot), ``compare`` (a time-to-event parameter compared across ``by_levels``: the log-rank test
    and the Cox hazard ratios against the first level, :func:`inoflow.analysis.ard.ard_survdiff`,
    :func:`inoflow.analysis.ard.ard_coxph`), ``cuminc`` (the cumulative incidence of a competing-risks
    parameter's outcomes, CIR: relapse and death without relapse, at ``times`` months, with Gray's
    test across ``by_levels``, :func:`inoflow.analysis.ard.ard_cuminc`; with a ``figure``, the curves
    with the number at risk at its ticks), ``time_dependent`` (an ``exposure`` date of ADSL, HSCTDT,
    as a time-dependent event: Simon-Makuch curves of the states of ``variable`` at ``times``, the
    Mantel-Byar test and the time-dependent Cox model, :func:`inoflow.analysis.ard.ard_time_dependent`),
    ``landmark`` (the landmark analysis by ``exposure`` at the months of the definitions key named
    by ``landmark``, groups in ``variable``, :func:`inoflow.analysis.ard.ard_landmark`), ``followup`` (median follow-up by reverse Kaplan-Meier) or ``events``
    (subjects with at least one ADAE record meeting ``where``, overall and by ``variable``, by the
    groups named in ``groups`` and, with ``worst_grade``, each term and group by worst grade).
``data``
    ``ADSL`` (default), ``ADSL_SAFETY`` (ADSL with the subject-level safety flags of ADAE),
    ``ADTTE`` (one ``paramcd`` joined to ADSL, time in ``MONTHS``) or ``ADAE`` (``events`` only:
    the records; the population is ADSL's).
``population``
    a pandas query on the data selecting the analysis population (on ADSL for ``events``).
``by`` / ``by_levels``
    a subgroup variable and its levels (proportion, categorical, continuous, median_ci, km).
``where``
    ``events``: a pandas query on ADAE; ``@name`` refers to a value of the study definitions,
    nested keys joined by ``__`` (``@non_haematological_ae__haematological_terms``).
``groups``
    ``events``: a definitions key (``__`` for nesting) holding group name -> terms.
``figure``
    ``km``: ``{title, grid}``, a Kaplan-Meier plot with the number at risk at the ``grid`` months
    (also ``cuminc``, ``time_dependent``: Simon-Makuch curves, ``landmark``: curves from the landmark).
``group``
    ``km``: a mapping of grouping variables to the level its rows carry, for results that differ by
    how they were derived rather than by a variable of the data (``{CNSRULE: LASTASMT, ENDPOINT: DOR}``).

The same builders serve the coded outputs of the Indian study (``inoflow.analysis.endpoints.<endpoint>``);
a study whose definitions hold ``analyses`` gets its outputs from here
(:func:`inoflow.analysis.notebook.build_ard`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from inoflow.analysis import ard as cards
from inoflow.analysis.lineage import tag

ANALYSES = (
    "total_n",
    "proportion",
    "categorical",
    "continuous",
    "median_ci",
    "km",
    "compare",
    "cuminc",
    "time_dependent",
    "landmark",
    "followup",
    "events",
)
DATA = ("ADSL", "ADSL_SAFETY", "ADTTE", "ADAE")


class PlanError(ValueError):
    """An analysis plan entry that cannot be run, naming the output and the entry."""


def analyses_of(definitions: dict, output_ids: Sequence[str]) -> dict[str, list[dict]]:
    """The plan's analyses of ``output_ids``; every output id must have at least one."""
    plan = definitions.get("analyses") or {}
    missing = [o for o in output_ids if not plan.get(o)]
    if missing:
        raise PlanError(f"the analysis plan (definitions: analyses) has no analyses for {', '.join(missing)}")
    for output_id in output_ids:
        for number, spec in enumerate(plan[output_id], start=1):
            if spec.get("analysis") not in ANALYSES:
                raise PlanError(
                    f"analyses/{output_id} entry {number}: analysis {spec.get('analysis')!r} is not one of {ANALYSES}"
                )
            if spec.get("data", "ADSL") not in DATA:
                raise PlanError(f"analyses/{output_id} entry {number}: data {spec.get('data')!r} is not one of {DATA}")
    return {o: plan[o] for o in output_ids}


def definition_values(definitions: dict, prefix: str = "") -> dict[str, object]:
    """The definitions flattened for query ``@name`` references, nested keys joined by ``__``.

    >>> definition_values({"vod": {"aedecod": "VOD"}, "month_days": 30.4375})
    {'vod__aedecod': 'VOD', 'month_days': 30.4375}
    """
    values: dict[str, object] = {}
    for key, value in definitions.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            values.update(definition_values(value, f"{name}__"))
        else:
            values[name] = value
    return values


def lookup(definitions: dict, name: str):
    """A value of the definitions by its ``__``-joined key path.

    >>> lookup({"ae": {"groups": {"LIVER": ["ALT"]}}}, "ae__groups")
    {'LIVER': ['ALT']}
    """
    value = definitions
    for key in name.split("__"):
        if not isinstance(value, dict) or key not in value:
            raise PlanError(f"the definitions have no {name!r} (looked up key {key!r})")
        value = value[key]
    return value


def analysis_data(adam: dict[str, pd.DataFrame], spec: dict, definitions: dict) -> pd.DataFrame:
    """The records an analysis counts: its data, with time in months for ADTTE, its population
    selected."""
    name = spec.get("data", "ADSL")
    if name == "ADTTE":
        from inoflow.analysis.endpoints.survival import tte, with_exposure

        data = tte(adam, spec["paramcd"], definitions)
        if spec.get("exposure"):
            data = with_exposure(data, spec["exposure"], definitions)
    elif name == "ADSL_SAFETY":
        from inoflow.analysis.endpoints.safety import adsl_with_safety_flags

        data = adsl_with_safety_flags(adam, definitions)
    else:  # ADSL, and the population of ADAE events
        data = adam["ADSL"]
    population = spec.get("population")
    return data.query(population, engine="python") if population else data


def run_analysis(adam: dict[str, pd.DataFrame], output_id: str, spec: dict, definitions: dict) -> list[dict]:
    """The ARD rows of one analysis of the plan."""
    kind = spec["analysis"]
    data = analysis_data(adam, spec, definitions)
    by, by_levels = spec.get("by"), spec.get("by_levels")
    if kind == "total_n":
        return cards.ard_total_n(data, output_id, by, by_levels)
    if kind == "proportion":
        return cards.ard_proportion_ci(data, spec["variable"], output_id, spec.get("value", "Y"), by, by_levels)
    if kind == "categorical":  # without levels: the levels present, in order
        levels = spec.get("levels") or sorted(data[spec["variable"]].dropna().astype(str).unique())
        return cards.ard_categorical(data, spec["variable"], output_id, levels, by, by_levels)
    if kind == "continuous":
        return cards.ard_continuous(data, spec["variable"], output_id, by, by_levels)
    if kind == "median_ci":
        return cards.ard_median_ci(data, spec["variable"], output_id, by, by_levels)
    if kind == "km":
        return _km(data, output_id, spec)
    if kind == "compare":
        return cards.ard_survdiff(data, output_id, by, by_levels) + cards.ard_coxph(data, output_id, by, by_levels)
    if kind == "cuminc":
        return cards.ard_cuminc(data, output_id, times_of(spec), by=by, by_levels=by_levels)
    if kind in ("time_dependent", "landmark"):
        from inoflow.analysis.endpoints.survival import EXPOSURE

        times = times_of(spec)
        if kind == "time_dependent":
            return cards.ard_time_dependent(data, output_id, EXPOSURE, spec["variable"], times)
        at = lookup(definitions, spec["landmark"])
        return cards.ard_landmark(data, output_id, EXPOSURE, spec["variable"], at, times)
    if kind == "followup":
        return cards.ard_followup(data, output_id)
    return _events(adam, data, output_id, spec, definitions)


def times_of(spec: dict) -> list:
    """The months an analysis reports: its ``times`` and the ticks of its figure."""
    return sorted(set(spec.get("times", [])) | set(spec.get("figure", {}).get("grid", [])))


def _km(data: pd.DataFrame, output_id: str, spec: dict) -> list[dict]:
    times = times_of(spec)
    probs = spec.get("probs", [0.5])
    by = spec.get("by")
    if by is None:
        group = tuple((var, level) for var, level in (spec.get("group") or {}).items())
        group = (group[0] if len(group) == 1 else group) if group else None
        return cards.ard_survfit(data, output_id, times, group=group, probs=probs)
    rows = []
    for level in spec.get("by_levels") or sorted(data[by].dropna().unique()):
        part = data[data[by] == level]
        if len(part):
            rows += cards.ard_survfit(part, output_id, times, group=(by, level), probs=probs)
    return rows


def _events(
    adam: dict[str, pd.DataFrame], population: pd.DataFrame, output_id: str, spec: dict, definitions: dict
) -> list[dict]:
    adae = adam["ADAE"]
    where = spec.get("where")
    records = adae.query(where, engine="python", local_dict=definition_values(definitions)) if where else adae
    population = tag(population.copy(), "ADSL", "ADAE", like=adam["ADSL"])
    variable = spec.get("variable", "AEDECOD")
    rows = cards.ard_events(population, records, variable, output_id)
    if spec.get("worst_grade"):
        rows += _worst_grades(population, records, variable, output_id, spec["worst_grade"])
    if spec.get("groups"):
        groups = lookup(definitions, spec["groups"])
        member = {term: group for group, terms in groups.items() for term in terms}
        grouped = records.assign(AEGROUP=records[variable].map(member)).dropna(subset=["AEGROUP"])
        rows += cards.ard_events(population, grouped, "AEGROUP", output_id, levels=list(groups), any_label=None)
        if spec.get("worst_grade"):
            rows += _worst_grades(population, grouped, "AEGROUP", output_id, spec["worst_grade"])
    return rows


def _worst_grades(
    population: pd.DataFrame, records: pd.DataFrame, variable: str, output_id: str, grades: Sequence[int]
) -> list[dict]:
    """Among the subjects with a term, how many had each worst grade (n of those with the term)."""
    records = records[records["USUBJID"].isin(set(population["USUBJID"]))]
    worst = records.groupby(["USUBJID", variable], as_index=False)["AETOXGR"].max()
    rows = []
    for term in sorted(worst[variable].unique()):
        part = worst[worst[variable] == term].merge(population[["USUBJID"]], on="USUBJID")
        part = tag(part, "ADSL", "ADAE", like=population)
        rows += cards.ard_categorical(part, "AETOXGR", output_id, list(grades), by=variable, by_levels=[term])
    return rows


def ard_rows(adam: dict[str, pd.DataFrame], definitions: dict, output_ids: Sequence[str]) -> list[dict]:
    """Every ARD row of ``output_ids`` from the study's analysis plan."""
    rows: list[dict] = []
    for output_id, specs in analyses_of(definitions, output_ids).items():
        for spec in specs:
            rows += run_analysis(adam, output_id, spec, definitions)
    return rows


def figures_of(definitions: dict, output_ids: Sequence[str]) -> list[tuple[str, dict]]:
    """The figures the plan asks for: (output id, analysis) of each ``km``, ``cuminc``,
    ``time_dependent`` or ``landmark`` analysis with a ``figure``."""
    return [
        (output_id, spec)
        for output_id, specs in analyses_of(definitions, output_ids).items()
        for spec in specs
        if spec["analysis"] in ("km", "cuminc", "time_dependent", "landmark") and spec.get("figure")
    ]
