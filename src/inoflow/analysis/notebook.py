"""What an endpoint notebook calls: load the ADaM datasets, build the endpoint's ARD, write
it with its tables and figures. The notebook only passes parameters and shows the result."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from inoflow.analysis import ard as cards
from inoflow.analysis.ard import finish, finish_with_lineage
from inoflow.analysis.endpoints import ADAM_INPUTS
from inoflow.analysis.lineage import Lineage, tag
from inoflow.audit.provenance import Provenance
from inoflow.config import read_yaml
from inoflow.frames import read_parquet
from inoflow.tables import report
from inoflow.tables.shells import Labels, load_display


def builder(endpoint: str):
    """The module building an endpoint's ARD (inoflow.analysis.endpoints.<endpoint>), imported by name so
    that a notebook job runs, and its code hash covers, only its own endpoint's module."""
    if endpoint not in ADAM_INPUTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; known: {sorted(ADAM_INPUTS)}")
    return importlib.import_module(f"inoflow.analysis.endpoints.{endpoint}")


def endpoint_rows(
    endpoint: str, adam: dict[str, pd.DataFrame], definitions: dict, output_ids: list[str] | None = None
) -> list[dict]:
    """An endpoint's ARD rows: from the study's analysis plan when its definitions declare one
    (``analyses:``, :mod:`inoflow.analysis.endpoints.plan`), else from ``inoflow.analysis.endpoints.<endpoint>``.
    ``output_ids`` default to the endpoint's outputs in the catalogue (config/reference/outputs.yaml)."""
    if uses_plan(endpoint, definitions):
        from inoflow.analysis.endpoints import plan

        if output_ids is None:
            output_ids = report.endpoint_outputs(definitions["study"], endpoint)
        return plan.ard_rows(_tagged(adam), definitions, output_ids)
    return builder(endpoint).ard_rows(_tagged(adam), definitions)


# Endpoints computed by their own module whatever the study (their outputs need more than the
# plan's analyses): the cost assessment.
MODULE_ENDPOINTS = ("costs",)


def uses_plan(endpoint: str, definitions: dict) -> bool:
    """True when the study declares an analysis plan (``analyses:``) and the endpoint is not one
    of :data:`MODULE_ENDPOINTS`: its outputs then come from the plan, which refuses an output it
    does not plan (``PlanError``) rather than falling back to another study's code."""
    return bool(definitions.get("analyses")) and endpoint not in MODULE_ENDPOINTS


def build_ard(
    endpoint: str, adam: dict[str, pd.DataFrame], definitions: dict, output_ids: list[str] | None = None
) -> pd.DataFrame:
    """An endpoint's ARD (:func:`endpoint_rows`)."""
    return finish(endpoint_rows(endpoint, adam, definitions, output_ids))


def build_ard_with_lineage(
    endpoint: str, adam: dict[str, pd.DataFrame], definitions: dict, output_ids: list[str] | None = None
) -> tuple[pd.DataFrame, Lineage]:
    """An endpoint's ARD and its lineage (the subjects behind each ARD row)."""
    return finish_with_lineage(endpoint_rows(endpoint, adam, definitions, output_ids))


def _tagged(adam: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each dataset tagged with its name, for the lineage (``inoflow.analysis.lineage.tag``)."""
    return {name: tag(frame.copy(deep=False), name) for name, frame in adam.items()}


@dataclass
class EndpointResult:
    ard: pd.DataFrame
    lineage: Lineage
    provenance: Provenance
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)


def disposition(ard: pd.DataFrame, definitions: dict, labels: Labels) -> report.Consort:
    """Figure 1 as a CONSORT diagram, every count an F1 row of the ARD: the cases of the sites'
    screening logs, split into eligible and not (each reason's count: a case may fail more than
    one criterion), the enrolled and analysed, and the analysed split by their status at the end
    of follow-up (a partition: died, lost to follow-up with the window, alive in follow-up)."""
    rows = ard[ard["output_id"] == "F1"]

    def stat(variable: str, level: str, name: str = "n") -> str:
        found = rows[(rows["variable"] == variable) & (rows["variable_level"] == level) & (rows["stat_name"] == name)]
        return found["stat_fmt"].iloc[0]

    reasons = [
        f"{c['reason']}: {stat('IC' + c['criterion'], 'N')}"
        for c in definitions["eligibility"]
        if stat("IC" + c["criterion"], "N") != "0"
    ]
    reasons.append("(a case may fail more than one criterion)")
    windows = [f"{labels.level('LTFUWIN', w)}: {stat('LTFUWIN', w)}" for w in ("<6", "6-12", ">=12")]
    status = []
    for level in ("DEAD", "LOST TO FOLLOW-UP", "ALIVE"):
        detail = windows if level == "LOST TO FOLLOW-UP" else []
        status.append((labels.level("EOSSTT", level), f"n = {stat('EOSSTT', level)}", detail))
    return report.Consort(
        main=[
            ("Cases in the sites' screening logs", f"N = {stat('ELIGFL', 'Y', 'N')}"),
            ("Eligible and enrolled", f"n = {stat('ENRLFL', 'Y')}"),
            ("Analysed (full analysis set)", f"n = {stat('FASFL', 'Y')}"),
        ],
        side={0: ("Not eligible", f"n = {stat('ELIGFL', 'N')}", reasons)},
        split=status,
        split_title="Status at the end of follow-up",
    )


def run_endpoint(
    endpoint: str,
    study: str,
    adam_paths: dict[str, str],
    definitions_path: str,
    output_ids: list[str],
    ard_path: str,
    tables_dir: str,
    figures_dir: str,
    lineage_path: str,
    cut: str,
    cutoff: str,
    program: str,
    code: str,
) -> EndpointResult:
    """Build, write and return one endpoint's ARD with its lineage, tables (CSV + HTML) and
    figures (PNG + SVG), each HTML table and figure with its provenance footer."""
    adam = _tagged({name: read_parquet(path) for name, path in adam_paths.items()})
    definitions = read_yaml(definitions_path)
    ard, lineage = build_ard_with_lineage(endpoint, adam, definitions, output_ids)
    Path(ard_path).parent.mkdir(parents=True, exist_ok=True)
    ard.to_parquet(ard_path, index=False)
    lineage.write(lineage_path)  # and its subject sets beside it (lineage.subjects_path)
    parameters = {
        "study": study,
        "cut": cut,
        "endpoint": endpoint,
        "adam_paths": adam_paths,
        "definitions_path": definitions_path,
        "output_ids": output_ids,
    }
    provenance = Provenance.of_endpoint(
        study, cut, cutoff, adam_paths, program, f"inoflow.analysis.endpoints.{endpoint}", code, parameters
    )
    outputs = report.load_outputs(study)
    result = EndpointResult(ard=ard, lineage=lineage, provenance=provenance)
    tables = Path(tables_dir)
    display = load_display()
    for output_id in output_ids:
        _, table = report.write_table(
            ard, output_id, outputs[output_id], definitions, tables, provenance.footer(), display
        )
        result.tables[output_id] = table.frame()
    report.write_provenance(provenance, tables / "provenance.json")
    figures = Path(figures_dir)
    figures.mkdir(parents=True, exist_ok=True)  # declared as an output even where an endpoint has no figure
    for output_id in output_ids:  # an output's own figure, declared in the catalogue
        if outputs[output_id].get("figure") == "forest":
            title = outputs[output_id]["title"].removesuffix(" (forest plot)")
            result.figures += report.forest_figure(
                ard, output_id, title, figures / f"{output_id}_forest", Labels(display), provenance.short_footer()
            )
    if uses_plan(endpoint, definitions):
        result.figures += plan_figures(adam, definitions, output_ids, ard, figures, provenance.short_footer())
    elif endpoint == "survival":
        survival = builder("survival")
        grid = survival.FIGURE_GRID_MONTHS
        for paramcd, output_id, title in (
            ("OS", "F2", "Overall survival from the first InO dose"),
            ("RFS", "OM21", "Relapse-free survival among responders (CR/CRi)"),
            ("DOR", "OM11", "Duration of remission from the first CR/CRi"),
        ):
            data = survival.tte(adam, paramcd, definitions)
            if paramcd == "OS":
                data = data[data["FASFL"] == "Y"]
            elif paramcd == "RFS":
                data = data[data["RESPFL"] == "Y"]
            elif "DOREVFL" in data:
                data = data[data["DOREVFL"] == "Y"]
            result.figures += report.km_figure(
                data["MONTHS"],
                data["EVENT"],
                ard,
                output_id,
                title,
                grid,
                figures / f"{output_id}_KM_{paramcd}",
                footer=provenance.short_footer(),
                xlabel=time_axis(paramcd),
            )
        labels = Labels(display)
        if "SF9" in output_ids:  # relapse and death without relapse, competing
            result.figures += report.cuminc_figure(
                survival.tte(adam, "CIR", definitions),
                ard,
                "SF9",
                "Relapse and death without relapse among responders",
                grid,
                figures / "SF9_cuminc_CIR",
                labels,
                footer=provenance.short_footer(),
                xlabel=time_axis("CIR"),
            )
        hsct = survival.with_exposure(survival.analysis_set(adam, "OS", definitions), "HSCTDT", definitions)
        for output_id, kind, var in (("SF11", "time_dependent", "HSCTTD"), ("SF12", "landmark", "HSCTLM")):
            if output_id in output_ids:
                spec = {"analysis": kind, "paramcd": "OS", "variable": var, "landmark": "hsct__landmark_months"}
                spec["figure"] = {"title": outputs[output_id]["title"].split(" (")[0], "grid": grid}
                result.figures += hsct_figure(
                    hsct, spec, definitions, ard, output_id, figures, provenance.short_footer()
                )
        for output_id, paramcd, var, levels in survival.STRATIFIED_FIGURES:
            title = outputs[output_id]["title"].removeprefix("Kaplan-Meier ")
            data = survival.analysis_set(adam, paramcd, definitions)
            figure = {"title": title[:1].upper() + title[1:], "grid": grid}
            result.figures += km_by_figure(
                data, var, levels, ard, output_id, paramcd, figure, figures, provenance.short_footer()
            )
    if endpoint == "mrd" and "SF8" in output_ids:
        result.figures += report.swimmer_figure(
            builder("mrd").swimmer_data(adam, definitions),
            figures / "SF8_swimmer",
            "Each patient's course from the first InO dose",
            footer=provenance.short_footer(),
            xlabel=time_axis("OS"),
        )
    if endpoint == "response" and not uses_plan(endpoint, definitions):  # India's Figure 1
        result.figures += report.consort_figure(
            disposition(ard, definitions, Labels(display)),
            figures / "F1_disposition",
            "Patient disposition and follow-up",
            footer=provenance.short_footer(),
        )
    return result


def time_axis(paramcd: str) -> str:
    """The time axis of a parameter's Kaplan-Meier figure, from its own origin (display.yaml)."""
    return load_display().get("time_axes", {}).get(paramcd, "Months")


def hsct_figure(
    data: pd.DataFrame, spec: dict, definitions: dict, ard: pd.DataFrame, output_id: str, figures: Path, footer: str
) -> list[Path]:
    """The figure of a ``time_dependent`` analysis (Simon-Makuch curves of the states of its
    ``variable``) or of a ``landmark`` analysis (the groups' curves from the landmark), ``data``
    holding the exposure's months (:func:`inoflow.analysis.endpoints.survival.with_exposure`)."""
    from inoflow.analysis.endpoints.plan import lookup
    from inoflow.analysis.endpoints.survival import EXPOSURE

    var, paramcd = spec["variable"], spec["paramcd"]
    if spec["analysis"] == "time_dependent":
        shown, _ = cards.time_dependent_states(data, EXPOSURE, var)
        xlabel = None
    else:
        at = lookup(definitions, spec["landmark"])
        shown = cards.landmark_data(data, EXPOSURE, var, at)
        xlabel = f"Months since the landmark ({at:g} months after the first InO dose)"
    return km_by_figure(shown, var, ["N", "Y"], ard, output_id, paramcd, spec["figure"], figures, footer, xlabel)


def km_by_figure(
    data: pd.DataFrame,
    by: str,
    levels: list[str],
    ard: pd.DataFrame,
    output_id: str,
    paramcd: str,
    figure: dict,
    figures: Path,
    footer: str,
    xlabel: str | None = None,
) -> list[Path]:
    """One curve per level of ``by`` (:func:`inoflow.tables.report.km_figure_by`), ``figure``
    its ``title`` and ``grid``, written as ``<output>_KM_<paramcd>_by_<by>``, the levels by their
    labels, the time axis from the parameter's origin unless ``xlabel`` says otherwise."""
    labels = Labels(load_display())
    return report.km_figure_by(
        data,
        by,
        levels,
        ard,
        output_id,
        figure["title"],
        figure["grid"],
        figures / f"{output_id}_KM_{paramcd}_by_{by}",
        {level: labels.level(by, level) for level in levels},
        footer=footer,
        xlabel=xlabel or time_axis(paramcd),
    )


def plan_figures(
    adam: dict[str, pd.DataFrame],
    definitions: dict,
    output_ids: list[str],
    ard: pd.DataFrame,
    figures: Path,
    footer: str,
) -> list[Path]:
    """The Kaplan-Meier figures an analysis plan asks for (``figure:`` of a ``km`` analysis)."""
    from inoflow.analysis.endpoints import plan

    written: list[Path] = []
    labels = Labels(load_display())
    for output_id, spec in plan.figures_of(definitions, output_ids):
        data = plan.analysis_data(adam, spec, definitions)
        if spec["analysis"] in ("time_dependent", "landmark"):
            written += hsct_figure(data, spec, definitions, ard, output_id, figures, footer)
            continue
        if spec["analysis"] == "cuminc":  # the competing outcomes' cumulative incidence
            written += report.cuminc_figure(
                data,
                ard,
                output_id,
                spec["figure"]["title"],
                spec["figure"]["grid"],
                figures / f"{output_id}_cuminc_{spec['paramcd']}",
                labels,
                footer=footer,
                xlabel=time_axis(spec["paramcd"]),
            )
            continue
        if spec.get("by"):  # one curve per group
            levels = [str(level) for level in spec["by_levels"]]
            written += km_by_figure(
                data, spec["by"], levels, ard, output_id, spec["paramcd"], spec["figure"], figures, footer
            )
            continue
        written += report.km_figure(
            data["MONTHS"],
            data["EVENT"],
            ard,
            output_id,
            spec["figure"]["title"],
            spec["figure"]["grid"],
            figures / f"{output_id}_KM_{spec['paramcd']}",
            footer=footer,
            xlabel=time_axis(spec["paramcd"]),
        )
    return written
