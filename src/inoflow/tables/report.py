"""Tables and figures rendered from the ARD (never from the analysis data directly).

Tables: each output as its table shell lays it out (:mod:`inoflow.tables.shells`: groups side by
side with N = n in the headers, labels from one codelist, formats per analysis, its own
footnotes), written as CSV (for a medical writer to paste), HTML (each cell with the ARD rows
behind it), RTF and DOCX (:mod:`inoflow.tables.documents`). :func:`render_table` is the ARD
listing (one row per cell of the table, numbered as ``inoflow-trace`` numbers them). Figures: the
Kaplan-Meier curve drawn from the fitted model with the numbers at risk and the median taken
from the ARD, and the disposition flow from the ARD's counts.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from inoflow.analysis.ard import display_row_keys
from inoflow.analysis.stats import km as kmlib
from inoflow.config import read_yaml
from inoflow.tables.shells import DisplayTable, display_table, footnotes, load_display


def pyplot():
    """matplotlib's pyplot with the file-only Agg backend, imported when a figure is drawn (the
    import costs ~0.4 s that the jobs drawing no figure, and the book, do not need to pay)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


OUTPUTS_FILE = Path("config/reference/outputs.yaml")  # the output catalogue, of the working folder

SPEC_KEYS = ("title", "population", "columns", "total", "nest", "figure")  # what an outputs.yaml entry may hold


def variable_labels() -> dict[str, str]:
    """Variable name -> label (``variables`` of config/reference/display.yaml)."""
    from inoflow.tables.shells import load_display

    return load_display()["variables"]


REGISTRY_DEFINITIONS_FILE = Path("config/reference/registry_definitions.yaml")  # of the working folder


def load_outputs(study: str) -> dict:
    """Output id -> its catalogue entry (title, population, layout), with ``definition``: the
    registry record's own description of the outcome measure, where it has one."""
    outputs = read_yaml(OUTPUTS_FILE)[study]["outputs"]
    definitions = (read_yaml(REGISTRY_DEFINITIONS_FILE) if REGISTRY_DEFINITIONS_FILE.exists() else {}).get(study) or {}
    specs = {output_id: repair_flow_title(spec) for output_id, spec in outputs.items()}
    for output_id, text in definitions.items():
        specs[output_id]["definition"] = " ".join(str(text).split())
    return specs


def study_endpoints(study: str) -> dict[str, list[str]]:
    """A study's endpoints and the output ids of each, from the output catalogue."""
    return dict(read_yaml(OUTPUTS_FILE)[study]["endpoints"])


def endpoint_outputs(study: str, endpoint: str) -> list[str]:
    """The output ids of one endpoint of a study, from the output catalogue."""
    return list(study_endpoints(study)[endpoint])


def repair_flow_title(spec: dict) -> dict:
    """The catalogue writes entries as YAML flow mappings with unquoted titles, so a title with
    commas is split into extra keys with no value ({title: A (x, y), ...} reads as title 'A (x'
    and a key 'y)'). Join them back, in order, into the title.

    >>> repair_flow_title({"title": "VOD (a", "b)": None, "population": "FAS", "columns": "HSCTFL"})
    {'title': 'VOD (a, b)', 'population': 'FAS', 'columns': 'HSCTFL'}
    """
    pieces = [spec["title"]] + [key for key, value in spec.items() if key not in SPEC_KEYS and value is None]
    repaired = {"title": ", ".join(pieces)}
    repaired.update({key: spec[key] for key in SPEC_KEYS[1:] if key in spec})
    return repaired


def _stats(block: pd.DataFrame) -> dict[str, str]:
    return dict(zip(block["stat_name"], block["stat_fmt"], strict=True))


def _num(block: pd.DataFrame) -> dict[str, float]:
    return dict(zip(block["stat_name"], block["stat"], strict=True))


def cell_text(block: pd.DataFrame) -> str:
    """The conventional display of one ARD block (one row key, all its statistics)."""
    s, context = _stats(block), block["context"].iloc[0]
    if context == "proportion_ci":
        return f"{s['n']}/{s['N']} ({s['estimate']}%) [95% CI {s['conf.low']}-{s['conf.high']}]"
    if context == "median_ci":
        return f"{s['median']} (95% CI {s['conf.low']}-{s['conf.high']}, distribution-free); N {s['N']}"
    if context == "survival_followup":
        return f"{s['estimate']} (95% CI {s['conf.low']}-{s['conf.high']}); {s['n.censored']} censored of {s['n']}"
    if context == "cost_per_responder":
        return f"{s['estimate']} ({s['total']} / {s['n']} responders of {s['N']})"
    if context == "cost_table":
        what = "ILLUSTRATIVE demo unit costs, not sourced prices" if s["status"] == "illustrative" else "sourced"
        return f"{s['currency']}, {s['price_year']} prices; {what}"
    if context == "unit_cost":
        return f"{s['unit_cost']} per {s['unit']} (source {s['source_date']}: {s['source']})"
    if context in ("categorical", "crude_proportion", "hierarchical"):
        return f"{s['n']}/{s['N']} ({s['p']}%)"
    if context == "continuous":
        return f"N {s['N']}; mean {s['mean']} (SD {s['sd']}); median {s['median']} (Q1-Q3 {s['p25']}-{s['p75']}); range {s['min']}-{s['max']}"
    if context == "survival_survfit":
        variable = block["variable"].iloc[0]
        if variable == "time":
            return f"{s['estimate']}% (95% CI {s['conf.low']}-{s['conf.high']}); at risk {s['n.risk']}"
        if variable == "prob":
            return f"{s['estimate']} (95% CI {s['conf.low']}-{s['conf.high']})"
        return f"{s['n']} ({s['n.event']} events); {s['variance']} variance, {s['conf.type']} CI"
    return "; ".join(f"{k} {v}" for k, v in s.items())


def render_table(ard: pd.DataFrame, output_id: str) -> pd.DataFrame:
    """The ARD listing of one output id: one row per ARD block (row key and context), in ARD
    order, the cells ``inoflow-trace --output X --row N`` numbers."""
    rows = ard[ard["output_id"] == output_id]
    if rows.empty:
        raise KeyError(f"no ARD rows for output {output_id}")
    labels = variable_labels()
    keys = display_row_keys(rows)
    table = []
    for key in dict.fromkeys(keys):
        block = rows[keys == key]
        first = block.iloc[0]
        group = " / ".join(
            f"{labels.get(first[g], first[g])}: {first[g + '_level']}"
            for g in ("group1", "group2")
            if isinstance(first[g], str)
        )
        table.append(
            {
                "Group": group or "All",
                "Characteristic": labels.get(first["variable"], first["variable"]),
                "Level": ""
                if first["variable_level"] is None or pd.isna(first["variable_level"])
                else str(first["variable_level"]),
                "Result": cell_text(block),
            }
        )
    return pd.DataFrame(table)


def write_table(
    ard: pd.DataFrame,
    output_id: str,
    spec: dict,
    definitions: dict,
    folder: Path,
    provenance: str | None = None,
    display: dict | None = None,
    extra_notes: list[str] = (),
) -> tuple[list[Path], DisplayTable]:
    """Write one output's table, laid out by its shell (``spec``: its outputs.yaml entry), as CSV
    (the text, for pasting), HTML (each cell with the ARD rows behind it, the footnotes and the
    provenance footer), and RTF and DOCX for a clinical study report
    (:mod:`inoflow.tables.documents`: title, footnotes and provenance in the document, numbered
    pages); ``extra_notes`` follow its footnotes (the suppression rule of a shareable table);
    returns the four paths and the table."""
    from inoflow.tables.documents import TableDocument, write_docx, write_rtf

    display = display if display is not None else load_display()
    folder.mkdir(parents=True, exist_ok=True)
    table = display_table(ard, output_id, spec, display)
    notes = [*footnotes(ard, output_id, spec, definitions, display), *extra_notes]
    frame = table.frame()
    csv_path, html_path = folder / f"{output_id}.csv", folder / f"{output_id}.html"
    frame.to_csv(csv_path, index=False)
    html_path.write_text(table_html(table, spec["title"], notes, provenance=provenance), encoding="utf-8")
    document = TableDocument(output_id, spec["title"], frame, notes, provenance or "")
    rtf_path = write_rtf(document, folder / f"{output_id}.rtf")
    docx_path = write_docx(document, folder / f"{output_id}.docx")
    return [csv_path, html_path, rtf_path, docx_path], table


def cell_row_ids(ard: pd.DataFrame, output_id: str) -> list[list[str]]:
    """The ARD row ids behind each row of :func:`render_table`, in the same order."""
    rows = ard[ard["output_id"] == output_id]
    keys = display_row_keys(rows)
    return [rows.loc[keys == key, "ard_row_id"].tolist() for key in dict.fromkeys(keys)]


def table_html(table: DisplayTable, title: str, notes: list[str], provenance: str | None = None) -> str:
    """The table as HTML: the labels indented as they nest, each result cell carrying its ARD
    row ids (``data-ard-row-ids``) and, on hover, the ``inoflow-trace`` command that traces it."""
    output_id = table.output_id
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["", *table.columns])
    lines = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if cell is None:
                cells.append("<td></td>")
                continue
            joined = " ".join(cell.ard_row_ids)
            cells.append(
                f"<td data-ard-row-ids='{joined}' title='inoflow-trace --output {output_id} --row {cell.number}  "
                f"(ARD rows {joined})'>{html.escape(cell.text)}</td>"
            )
        heading = " class='heading'" if not any(row.cells) else ""
        lines.append(
            f"<tr{heading}><th scope='row' style='padding-left:{0.3 + 1.2 * row.depth:.1f}em'>"
            f"{html.escape(row.label)}</th>{''.join(cells)}</tr>"
        )
    body = f"<table class='ard-table'><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    notes_html = "".join(f"<p class='footnote'>{html.escape(note)}</p>\n" for note in notes)
    foot = f"<p class='provenance'>{html.escape(provenance)}</p>\n" if provenance else ""
    return f"<h3 id='{output_id}'>{output_id}. {html.escape(title)}</h3>\n{body}\n{notes_html}{foot}"


def read_provenance_footer(tables_dir: Path) -> str | None:
    """The provenance footer an endpoint recorded beside its tables, if any."""
    import json

    from inoflow.audit.provenance import Provenance

    path = tables_dir / "provenance.json"
    if not path.exists():
        return None
    return Provenance(**json.loads(path.read_text(encoding="utf-8"))).footer()


def write_provenance(provenance, path: Path) -> Path:
    """The full provenance record of an endpoint's outputs, as JSON."""
    import json

    path.write_text(json.dumps(provenance.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --- figures -------------------------------------------------------------------------------


def km_figure(
    time_months,
    event,
    ard: pd.DataFrame,
    output_id: str,
    title: str,
    grid: list[float],
    path_stem: Path,
    group_label: str = "All patients",
    footer: str | None = None,
    xlabel: str = "Months since the first InO dose",
) -> list[Path]:
    """Kaplan-Meier step curve with censoring marks, the median marked, and the number at risk
    under the plot at every tick (the ARD's n.risk at the grid months; a tick the ARD has no
    count for stops the figure). ``xlabel``: the time axis from the parameter's own origin
    (``time_axes`` of display.yaml). Writes PNG and SVG."""
    fit = kmlib.fit_km(np.asarray(time_months, float), np.asarray(event, int))
    table = fit.table
    rows = ard[(ard["output_id"] == output_id) & ard["group1"].isna()]
    risk = numbers_at_risk(rows, output_id, grid)
    median = rows[
        (rows["variable"] == "prob") & (rows["variable_level"].astype(float) == 0.5) & (rows["stat_name"] == "estimate")
    ]["stat"]
    median_value = float(median.iloc[0]) if len(median) else float("nan")

    plt = pyplot()
    fig, (ax, ax_risk) = plt.subplots(2, 1, figsize=(7.5, 5.2), gridspec_kw={"height_ratios": [4, 1]}, sharex=True)
    times = np.concatenate([[0.0], table["time"].to_numpy()])
    surv = np.concatenate([[1.0], table["estimate"].to_numpy()])
    low = np.concatenate([[1.0], table["conf_low"].to_numpy()])
    high = np.concatenate([[1.0], table["conf_high"].to_numpy()])
    ax.step(times, surv, where="post", color="#1f4e79", label=group_label)
    ax.fill_between(
        times,
        np.nan_to_num(low, nan=0.0),
        np.nan_to_num(high, nan=1.0),
        step="post",
        color="#1f4e79",
        alpha=0.12,
        label="95% CI (log-log)",
    )
    censored = table[table["n_censor"] > 0]
    ax.plot(censored["time"], censored["estimate"], "|", color="#1f4e79", markersize=9, label="Censored")
    if not np.isnan(median_value):
        ax.axhline(0.5, color="grey", linewidth=0.6, linestyle=":")
        ax.axvline(median_value, color="grey", linewidth=0.6, linestyle=":")
        ax.annotate(
            f"Median {median_value:.1f} months",
            (median_value, 0.5),
            xytext=(6, 8),
            textcoords="offset points",
            fontsize=9,
        )
    for t in grid:
        ax_risk.text(t, 0.45, str(risk[float(t)]), ha="center", va="center", fontsize=9)
    ax_risk.set_ylabel("At risk", rotation=0, ha="right", va="center", fontsize=9, labelpad=14)
    _km_axes(ax, ax_risk, title, grid, xlabel, rows=1)
    fig.tight_layout()
    return _save(fig, path_stem, footer)


def numbers_at_risk(
    rows: pd.DataFrame, output_id: str, grid: list[float], what: str = "", time_column: str = "variable_level"
) -> dict[float, int]:
    """The ARD's number at risk (the ``n.risk`` of ``rows``, at the month in ``time_column``: a
    Kaplan-Meier ``time`` row's level, a cumulative incidence's ``months`` group) at every tick of
    a figure; a tick the ARD has no count for stops the figure."""
    at_risk = rows[rows["stat_name"] == "n.risk"]
    risk = {float(v): int(s) for v, s in zip(at_risk[time_column], at_risk["stat"], strict=True)}
    missing = [t for t in grid if float(t) not in risk]
    if missing:
        raise ValueError(
            f"{output_id}: the ARD has no number at risk{what} at month(s) {missing} of the figure's ticks"
        )
    return risk


def _km_axes(ax, ax_risk, title: str, grid: list[float], xlabel: str, rows: int) -> None:
    """The look every Kaplan-Meier figure shares: the probability axis, the legend, the grid, and
    the number-at-risk panel of ``rows`` rows under it on the same time axis."""
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Probability")
    ax.set_title(title, fontsize=11)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.grid(alpha=0.2)
    ax_risk.set_yticks([])
    ax_risk.set_ylim(0, rows)
    ax_risk.set_xlabel(xlabel)
    ax_risk.set_xticks(grid)
    ax_risk.set_xlim(-0.5, max(grid) + 0.5)
    for side in ("top", "right", "left"):
        ax_risk.spines[side].set_visible(False)


# The look of every group's curve (ggplot2's hue palette, as ggsurvfit draws strata), in order
# of the groups' levels.
GROUP_COLOURS = {
    1: ["#1f4e79"],
    2: ["#F8766D", "#00BFC4"],
    3: ["#F8766D", "#00BA38", "#619CFF"],
    4: ["#F8766D", "#7CAE00", "#00BFC4", "#C77CFF"],
}


def km_figure_by(
    data: pd.DataFrame,
    by: str,
    levels: list[str],
    ard: pd.DataFrame,
    output_id: str,
    title: str,
    grid: list[float],
    path_stem: Path,
    labels: dict[str, str],
    footer: str | None = None,
    xlabel: str = "Months since the first InO dose",
) -> list[Path]:
    """Kaplan-Meier curves of each group of ``by`` (``MONTHS``, ``EVENT`` of ``data``), with
    censoring marks, the number at risk of each group at every tick (the ARD's n.risk of the
    group's block), and the comparison of ``by`` the ARD holds (log-rank or Mantel-Byar p-value,
    hazard ratios) in the plot. With ``ENTRY`` in ``data`` (counting-process data), Simon-Makuch
    curves. ``labels``: level -> legend label. Writes PNG and SVG."""
    rows = ard[ard["output_id"] == output_id]
    colours = GROUP_COLOURS.get(len(levels)) or [None] * len(levels)
    plt = pyplot()
    fig, (ax, ax_risk) = plt.subplots(
        2,
        1,
        figsize=(7.5, 5.0 + 0.3 * len(levels)),
        gridspec_kw={"height_ratios": [4, 0.35 * len(levels) + 0.4]},
        sharex=True,
    )
    for index, (level, colour) in enumerate(zip(levels, colours, strict=True)):
        part = data[data[by].astype(str) == str(level)]
        if part.empty:
            continue
        entry = np.asarray(part["ENTRY"], float) if "ENTRY" in part else None  # Simon-Makuch: delayed entry
        fit = kmlib.fit_km(np.asarray(part["MONTHS"], float), np.asarray(part["EVENT"], int), entry=entry)
        table = fit.table
        start = 0.0 if entry is None else float(entry.min())  # a state's curve starts when its first patient enters it
        times = np.concatenate([[start], table["time"].to_numpy()])
        surv = np.concatenate([[1.0], table["estimate"].to_numpy()])
        ax.step(times, surv, where="post", color=colour, label=f"{labels[level]} (n = {len(part)})")
        censored = table[table["n_censor"] > 0]
        ax.plot(censored["time"], censored["estimate"], "|", color=colour, markersize=8)
        group = rows[(rows["group1"] == by) & (rows["group1_level"] == str(level))]
        risk = numbers_at_risk(group, output_id, grid, f" of {by} {level}")
        y = len(levels) - index - 0.5
        for t in grid:
            ax_risk.text(t, y, str(risk[float(t)]), ha="center", va="center", fontsize=8.5, color=colour)
        ax_risk.text(
            -0.02,
            y,
            labels[level],
            ha="right",
            va="center",
            fontsize=8,
            color=colour,
            transform=ax_risk.get_yaxis_transform(),
        )
    tests = {"survival_survdiff": "Log-rank", "survival_mantel_byar": "Mantel-Byar"}
    test = rows[rows["context"].isin(tests) & (rows["variable"] == by) & (rows["stat_name"] == "p.value")]
    ratios = rows[(rows["context"] == "coxph") & (rows["variable"] == by)]
    notes = [f"{tests[test['context'].iloc[0]]} p = {test['stat_fmt'].iloc[0]}"] if len(test) else []
    for level in dict.fromkeys(ratios["variable_level"]):
        s = dict(
            zip(
                ratios.loc[ratios["variable_level"] == level, "stat_name"],
                ratios.loc[ratios["variable_level"] == level, "stat_fmt"],
                strict=True,
            )
        )
        notes.append(
            f"HR {labels[level]} vs {labels[s['reference']]}: {s['estimate']} ({s['conf.low']}-{s['conf.high']})"
        )
    if notes:
        ax.text(0.02, 0.04, "\n".join(notes), transform=ax.transAxes, fontsize=8, va="bottom")
    ax_risk.set_title("Number at risk", fontsize=8, loc="left")
    _km_axes(ax, ax_risk, title, grid, xlabel, rows=len(levels))
    fig.tight_layout()
    return _save(fig, path_stem, footer)


def cuminc_figure(
    data: pd.DataFrame,
    ard: pd.DataFrame,
    output_id: str,
    title: str,
    grid: list[float],
    path_stem: Path,
    labels,
    footer: str | None = None,
    xlabel: str = "Months since the first InO dose",
) -> list[Path]:
    """The cumulative incidence of each competing outcome (``MONTHS``, ``CMPRSK`` of ``data``:
    :mod:`inoflow.analysis.stats.cmprsk`), as ggsurvfit's ``ggcuminc`` draws it, with the number
    at risk at every tick from the ARD (``n.risk`` of the output's ``tidycmprsk_cuminc`` rows)."""
    from inoflow.analysis.ard import COMPETING_OUTCOMES
    from inoflow.analysis.stats import cmprsk as cmprsklib

    rows = ard[(ard["output_id"] == output_id) & (ard["context"] == "tidycmprsk_cuminc")]
    first = rows[rows["variable_level"] == COMPETING_OUTCOMES[1]]  # the at-risk counts are every outcome's
    risk = numbers_at_risk(first, output_id, grid, time_column="group1_level")
    plt = pyplot()
    fig, (ax, ax_risk) = plt.subplots(2, 1, figsize=(7.5, 5.2), gridspec_kw={"height_ratios": [4, 1]}, sharex=True)
    months = np.asarray(data["MONTHS"], dtype=float)
    status = np.asarray(data["CMPRSK"], dtype=int)
    for (code, outcome), colour in zip(COMPETING_OUTCOMES.items(), GROUP_COLOURS[2], strict=True):
        fit = cmprsklib.cuminc(months, status, code)
        last = max(float(months.max()), float(fit.time[-1]) if len(fit.time) else 0.0)  # flat to the last follow-up
        times = np.concatenate([[0.0], fit.time, [last]])
        estimate = np.concatenate([[0.0], fit.estimate, [fit.estimate[-1] if len(fit.estimate) else 0.0]])
        ax.step(times, estimate, where="post", color=colour, label=labels.level("outcome", outcome))
    for t in grid:
        ax_risk.text(t, 0.45, str(risk[float(t)]), ha="center", va="center", fontsize=9)
    ax_risk.set_ylabel("At risk", rotation=0, ha="right", va="center", fontsize=9, labelpad=14)
    _km_axes(ax, ax_risk, title, grid, xlabel, rows=1)
    ax.set_ylabel("Cumulative incidence")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.tight_layout()
    return _save(fig, path_stem, footer)


def forest_figure(
    ard: pd.DataFrame, output_id: str, title: str, path_stem: Path, labels, footer: str | None = None
) -> list[Path]:
    """A forest plot of an output's proportions (``proportion_ci``: percentage with its exact
    interval, the overall one as a dashed line) or hazard ratios (``coxph``: ratio with its
    interval on a log scale, 1 marked), one row per result in ARD order, the ARD's formatted
    values written beside each. ``labels``: :class:`inoflow.tables.shells.Labels`."""
    rows = ard[(ard["output_id"] == output_id) & ard["context"].isin(["proportion_ci", "coxph"])]
    keys = display_row_keys(rows)
    entries = []
    for key in dict.fromkeys(keys):
        block = rows[keys == key]
        first = block.iloc[0]
        value = dict(zip(block["stat_name"], block["stat"], strict=True))
        text = dict(zip(block["stat_name"], block["stat_fmt"], strict=True))
        if first["context"] == "coxph":
            label = (
                f"{labels.variable(first['variable'])}: {labels.level(first['variable'], first['variable_level'])} "
                f"vs {labels.level(first['variable'], text['reference'])}"
            )
            shown = f"{text['estimate']} ({text['conf.low']}-{text['conf.high']})"
            scale = 1.0
        else:
            group = first["group1"]
            label = (
                f"{labels.variable(group)}: {labels.level(group, first['group1_level'])}"
                if isinstance(group, str)
                else "All patients"
            )
            shown = f"{text['n']}/{text['N']} ({text['estimate']}%)"
            scale = 100.0
        entries.append((label, scale * value["estimate"], scale * value["conf.low"], scale * value["conf.high"], shown))
    hazard = rows["context"].eq("coxph").any()
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * len(entries) + 1.6))
    for y, (_, estimate, low, high, shown) in enumerate(reversed(entries)):
        if np.isfinite(estimate):
            ax.plot([low, high], [y, y], color="#1f4e79", linewidth=1.4)
            ax.plot([estimate], [y], "s", color="#1f4e79", markersize=5)
        ax.text(
            1.02,
            y,
            shown if np.isfinite(estimate) else f"{shown} (not estimable)",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8,
        )
    ax.set_yticks(range(len(entries)))
    ax.set_yticklabels([e[0] for e in reversed(entries)], fontsize=8.5)
    if hazard:
        from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

        ax.set_xscale("log")
        finite = [v for e in entries for v in e[1:4] if np.isfinite(v) and v > 0] or [1.0]
        ticks = [t for t in (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20, 50) if min(finite) / 1.5 <= t <= max(finite) * 1.5]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.axvline(1.0, color="grey", linewidth=0.8)
        ax.set_xlabel("Hazard ratio (95% CI), log scale; < 1 favours the first group named")
    else:
        overall = [e for e in entries if e[0] == "All patients"]
        if overall:
            ax.axvline(overall[0][1], color="grey", linewidth=0.8, linestyle="--")
        ax.set_xlim(0, 100)
        ax.set_xlabel("Percentage (exact 95% CI)")
    ax.set_ylim(-0.7, len(entries) - 0.3)
    ax.grid(axis="x", alpha=0.2)
    ax.set_title(title, fontsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    fig.subplots_adjust(right=0.72)
    return _save(fig, path_stem, footer)


SWIMMER_MARKS = {  # column of the swimmer data: (legend, marker, colour)
    "RESPONSE": ("First CR/CRi", "^", "#00BA38"),
    "MRDNEG": ("First MRD negativity", "D", "#619CFF"),
    "HSCT": ("HSCT", "*", "#C77CFF"),
    "RELAPSE": ("Relapse", "X", "#F8766D"),
}


def swimmer_figure(
    data: pd.DataFrame, path_stem: Path, title: str, footer: str | None = None, xlabel: str = ""
) -> list[Path]:
    """One bar per patient (``inoflow.analysis.endpoints.mrd.swimmer_data``), longest at the
    top: dark while on InO (with the number of cycles), light to death (a black dot) or last
    contact (an arrow: alive), with the first CR/CRi, MRD negativity, HSCT and relapse marked.
    Patients are numbered, never named."""
    data = data.sort_values("END", ascending=True, kind="stable").reset_index(drop=True)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 0.22 * len(data) + 1.8))
    for y, row in data.iterrows():
        ax.barh(y, row["END"], height=0.6, color="#c9d8e8")
        ax.barh(y, min(row["TREATEND"], row["END"]), height=0.6, color="#1f4e79")
        ax.text(-0.2, y, f"{int(row['NCYCLES'])}", ha="right", va="center", fontsize=6.5, color="#1f4e79")
        if row["DIED"]:
            ax.plot(row["END"], y, "o", color="black", markersize=4)
        else:
            ax.annotate(
                "",
                xy=(row["END"] + 1.2, y),
                xytext=(row["END"], y),
                arrowprops={"arrowstyle": "->", "color": "#555555"},
            )
    for column, (label, marker, colour) in SWIMMER_MARKS.items():
        shown = data[data[column].notna()]
        ax.plot(shown[column], shown.index, marker, color=colour, markersize=6, linestyle="none", label=label)
    ax.plot([], [], "o", color="black", markersize=4, label="Death")
    ax.plot(
        [], [], marker=r"$\rightarrow$", color="#555555", linestyle="none", markersize=8, label="Alive at last contact"
    )
    from matplotlib.patches import Patch

    handles, names = ax.get_legend_handles_labels()
    handles.append(Patch(color="#1f4e79"))
    names.append("On InO (number of cycles at left)")
    ax.set_yticks(range(len(data)))
    ax.set_yticklabels([str(len(data) - i) for i in range(len(data))], fontsize=6)  # 1 = the longest
    ax.set_ylabel("Patient")
    ax.set_xlabel(xlabel)
    ax.set_xlim(left=-1.5)
    ax.set_title(title, fontsize=11)
    ax.legend(handles, names, loc="lower right", fontsize=7.5, frameon=True)
    ax.grid(axis="x", alpha=0.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _save(fig, path_stem, footer)


@dataclass
class Consort:
    """A CONSORT flow: ``main`` boxes top to bottom (label, count); ``side``: main box index ->
    the box branching to the right below it (label, count, lines); ``split``: the boxes the last
    main box divides into, side by side (label, count, lines), under ``split_title``."""

    main: list[tuple[str, str]]
    side: dict[int, tuple[str, str, list[str]]] = field(default_factory=dict)
    split: list[tuple[str, str, list[str]]] = field(default_factory=list)
    split_title: str = ""


def consort_figure(flow: Consort, path_stem: Path, title: str, footer: str | None = None) -> list[Path]:
    """The flow as a CONSORT diagram: main boxes joined by arrows, each exclusion to the right
    of the arrow it leaves, and the last box's split into side-by-side boxes that partition it."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 1.5 * len(flow.main) + 2.6))
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    levels = len(flow.main) + (1 if flow.split else 0)
    ys = [1 - (i + 0.6) / (levels + 0.2) for i in range(levels)]
    main_style = {"boxstyle": "round,pad=0.5", "fc": "#eef3f8", "ec": "#1f4e79"}
    side_style = {"boxstyle": "round,pad=0.4", "fc": "#fdf1e6", "ec": "#b35c00"}
    arrow = {"arrowstyle": "-|>", "color": "#1f4e79"}
    gap = 0.055
    for index, ((label, count), y) in enumerate(zip(flow.main, ys, strict=False)):
        ax.text(0.32, y, f"{label}\n{count}", ha="center", va="center", fontsize=9, bbox=main_style)
        if index + 1 < len(flow.main):
            ax.annotate("", xy=(0.32, ys[index + 1] + gap), xytext=(0.32, y - gap), arrowprops=arrow)
        if index in flow.side:
            label2, count2, lines = flow.side[index]
            middle = (y + ys[index + 1]) / 2
            text = "\n".join([f"{label2}: {count2}", *lines])
            ax.text(0.62, middle, text, ha="left", va="center", fontsize=7.5, bbox=side_style)
            ax.annotate("", xy=(0.6, middle), xytext=(0.32, middle), arrowprops={**arrow, "color": "#b35c00"})
    if flow.split:
        top, y = ys[len(flow.main) - 1], ys[-1]
        xs = [(i + 0.5) / len(flow.split) for i in range(len(flow.split))]
        bar = (top + y) / 2
        ax.plot([0.32, 0.32], [top - gap, bar], color="#1f4e79", linewidth=1)
        ax.plot([min(xs), max(xs)], [bar, bar], color="#1f4e79", linewidth=1)
        if flow.split_title:
            ax.text(max(xs), bar + 0.015, flow.split_title, ha="right", va="bottom", fontsize=8, color="#1f4e79")
        for x, (label, count, lines) in zip(xs, flow.split, strict=True):
            ax.annotate("", xy=(x, y + gap), xytext=(x, bar), arrowprops=arrow)
            text = "\n".join([label, count, *[textwrap.fill(line, 34) for line in lines]])
            ax.text(x, y + gap - 0.02, text, ha="center", va="top", fontsize=8, bbox=main_style)
    ax.set_title(title, fontsize=11)
    return _save(fig, path_stem, footer)


def _save(fig, path_stem: Path, footer: str | None = None) -> list[Path]:
    """Write PNG and SVG; ``footer`` (the provenance) in small type under the plot."""
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    if footer:
        fig.subplots_adjust(bottom=fig.subplotpars.bottom + 0.06)
        fig.text(0.01, 0.005, footer, fontsize=5.5, color="#555555", ha="left", va="bottom", wrap=False)
    paths = [path_stem.with_suffix(".png"), path_stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=150, metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None})
    pyplot().close(fig)
    return paths
