"""Assembly: one self-contained HTML book per study and cut.

Numbered outputs with titles, populations and footnotes (definitions, methods), the figures
embedded, and the appendices: "Comparison with the publication" (every published figure
beside the reproduced one with the reason for each difference), "Data quality" (the cut's
data-quality report) and "Screened cases not eligible" (each with the criterion it failed).
Every result shown comes from the ARD files and the tables/figures rendered from them.

A cut under policy ``fail`` gets no book while its data-quality report lists findings.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from inoflow.audit.provenance import describe_code_version, git_state, package_versions
from inoflow.config import read_yaml
from inoflow.errors import InoflowError
from inoflow.model import quality
from inoflow.tables import compare, report
from inoflow.tables.shells import DisplayTable, display_table, footnotes, load_display

CSS = """
body{font-family:Georgia,serif;max-width:1000px;margin:2em auto;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:2px solid #1f4e79;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-family:Arial,sans-serif;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top}th{background:#eef3f8}
tbody th{background:none;font-weight:normal;text-align:left}tr.heading th{font-weight:bold}
.footnote{font-size:.8em;color:#555}.provenance{font-size:.7em;color:#777}.synthetic{background:#fff3cd;border:1px solid #e0c060;padding:.6em}
.MISMATCH{background:#f8d7da}.status-documented{background:#fff3cd}
img{max-width:100%}
"""


def provenance(study: str, cut: str) -> str:
    """The book's own provenance line: study, cut, code version, run time, package versions."""
    packages = ", ".join(f"{name} {v}" for name, v in package_versions().items())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Study {study}, data cut {cut}. Code version: {describe_code_version(git_state())}. Run {stamp}. {packages}."
    )


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f"<img alt='{html.escape(path.stem)}' src='data:image/png;base64,{data}'>"


class DataQualityError(InoflowError):
    """A cut under policy fail has data-quality findings: no book until they are resolved."""


GATE_LISTED = 20
"""Findings listed in the refusal of the data-quality gate (the terminal and the log); all of them
are in the report."""


def check_data_quality_gate(findings: pd.DataFrame, policy: str, report_path: str) -> None:
    """Under policy fail (every locked cut), refuse to assemble the book while the data-quality
    report lists findings of severity error (each listed with site, file, row, column, value and
    rule; the first GATE_LISTED of them, the rest counted). A warning (a check the study declared
    so, ``data_quality: severity:``) is listed in the report and stops nothing; a finding without
    a severity is an error."""
    if policy != "fail" or findings.empty:
        return
    severity = findings["severity"] if "severity" in findings.columns else pd.Series("", index=findings.index)
    errors = findings[severity.fillna("").replace("", quality.ERROR) == quality.ERROR]
    if errors.empty:
        return
    lines = [
        f"  - [{r.category}] site {r.site}, file {r.file}"
        + (f", sheet {r.sheet!r}" if r.sheet else "")
        + (f", row {r.row}" if not pd.isna(r.row) else "")
        + (f", column {r.column!r}" if r.column else "")
        + (f", value {r.value!r}" if r.value else "")
        + f": {r.rule}"
        for r in errors.head(GATE_LISTED).fillna({"sheet": "", "column": "", "value": ""}).itertuples()
    ]
    if len(errors) > GATE_LISTED:
        lines.append(f"  ... and {len(errors) - GATE_LISTED} more, listed in the report")
    warnings = len(findings) - len(errors)
    listed = f" (and {warnings} warning(s), listed in the report)" if warnings else ""
    raise DataQualityError(
        f"{len(errors)} data-quality finding(s) of severity error in a cut under policy fail{listed} (see "
        f"{report_path}); the book is not assembled until they are resolved at the site or the cut is run as "
        "interim with policy quarantine:\n" + "\n".join(lines)
    )


def excluded_cases(adelig: pd.DataFrame) -> pd.DataFrame:
    """The listing of screened cases found not eligible, with the criterion each failed
    (ADELIG.EXCLREAS, derived from the screening logs by the eligibility criteria)."""
    listing = adelig[adelig["ELIGFL"] == "N"].sort_values(["SITEID", "SCRNID"])
    listing = listing.assign(SCRNDT=pd.to_datetime(listing["SCRNDT"]).dt.date.astype(str))
    columns = {
        "SITEID": "Site",
        "SCRNID": "Screening number",
        "SCRNDT": "Screening date",
        "AGE": "Age",
        "EXCLREAS": "Reason not eligible",
    }
    return listing[list(columns)].rename(columns=columns).reset_index(drop=True)


@dataclass
class BookTable:
    table: DisplayTable
    title: str
    notes: list[str]
    provenance: str | None

    @property
    def heading(self) -> str:
        return f"{self.table.output_id}. {self.title}"


@dataclass
class BookFigure:
    output_id: str
    caption: str
    png: Path

    @property
    def anchor(self) -> str:
        return f"figure-{self.png.stem}"


FIGURE_KINDS = {
    "KM": "Kaplan-Meier curve",
    "disposition": "flow diagram",
    "forest": "forest plot",
    "swimmer": "swimmer plot",
}


def book_sections(
    endpoints: dict[str, list[str]],
    outputs: dict,
    ards: dict[str, pd.DataFrame],
    figures_dirs: dict[str, str],
    tables_dirs: dict[str, str],
    definitions: dict,
    display: dict,
) -> list[tuple[str, list[BookTable | BookFigure]]]:
    """What the book shows, endpoint by endpoint: each output's table, then its figures (named
    ``<output_id>_<kind>...`` by the endpoint), numbered by the output id: the HTML, DOCX and PDF
    books alike."""
    sections = []
    for endpoint, output_ids in endpoints.items():
        footer = report.read_provenance_footer(Path(tables_dirs.get(endpoint, "/nonexistent")))
        pngs = sorted(Path(figures_dirs.get(endpoint, "/nonexistent")).glob("*.png"))
        items: list[BookTable | BookFigure] = []
        for output_id in output_ids:
            spec = outputs[output_id]
            table = display_table(ards[endpoint], output_id, spec, display)
            notes = footnotes(ards[endpoint], output_id, spec, definitions, display)
            items.append(BookTable(table, spec["title"], notes, footer))
            for png in (p for p in pngs if p.stem.startswith(f"{output_id}_")):
                kind = next((text for key, text in FIGURE_KINDS.items() if key in png.stem.split("_")), "figure")
                detail = png.stem.split("_KM_")[1] if "_KM_" in png.stem else ""
                caption = f"Figure {output_id}. {spec['title']}: {kind}" + (f" ({detail})" if detail else "")
                items.append(BookFigure(output_id, caption, png))
        sections.append((endpoint, items))
    return sections


def assemble_book(
    study: str,
    cut: str,
    title: str,
    endpoints: dict[str, list[str]],
    ard_paths: dict[str, str],
    figures_dirs: dict[str, str],
    synthetic: bool,
    out_html: str,
    out_comparison: str,
    out_ard: str,
    data_quality: str | None = None,
    checks: str | None = None,
    reconciliation: str | None = None,
    adelig: str | None = None,
    policy: str = "fail",
    out_excluded: str | None = None,
    publication_cut: str = "",
    tables_dirs: dict[str, str] | None = None,
    definitions: str | None = None,
    out_docx: str | None = None,
    out_pdf: str | None = None,
) -> pd.DataFrame:
    """Write the book and the comparison table; return the comparison. Each table carries the
    provenance footer its endpoint recorded (``tables/<endpoint>/provenance.json``)."""
    dq = pd.read_csv(data_quality, dtype=str, keep_default_na=False) if data_quality else None
    if dq is not None:
        dq["row"] = pd.to_numeric(dq["row"], errors="coerce").astype("Int64")
        check_data_quality_gate(dq, policy, data_quality)
    outputs = report.load_outputs(study)
    definitions_data = read_yaml(definitions) if definitions else {}
    display = load_display()
    ards = {e: pd.read_parquet(p) for e, p in ard_paths.items()}
    ard = pd.concat(ards.values(), ignore_index=True)
    ard.to_parquet(out_ard, index=False)
    comparison = compare.compare(ard, compare.load_items(study))
    comparison.to_csv(out_comparison, index=False)

    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} - {cut}</title>"
        f"<style>{CSS}{quality.STYLE if dq is not None else ''}</style></head><body>"
    ]
    parts.append(f"<h1>{html.escape(title)}</h1><p>Data cut <b>{html.escape(cut)}</b>.</p>")
    if synthetic:
        parts.append(
            "<p class='synthetic'><b>Synthetic demo data.</b> These results come from a seeded, reconstructed cohort written as site extracts; no record describes a real person.</p>"
        )
    toc = "".join(
        f"<li><a href='#{oid}'>{oid}</a> {html.escape(outputs[oid]['title'])}</li>"
        for e in endpoints
        for oid in endpoints[e]
    )
    appendices = "<li><a href='#comparison'>Appendix: comparison with the publication</a></li>"
    if dq is not None:
        appendices += "<li><a href='#data-quality'>Appendix: data quality</a></li>"
    if adelig:
        appendices += "<li><a href='#not-eligible'>Appendix: screened cases not eligible</a></li>"
    parts.append(f"<h2>Contents</h2><ol>{toc}{appendices}</ol>")
    sections = book_sections(endpoints, outputs, ards, figures_dirs, tables_dirs or {}, definitions_data, display)
    for endpoint, items in sections:
        parts.append(f"<h2>{html.escape(endpoint.capitalize())}</h2>")
        for item in items:
            if isinstance(item, BookFigure):
                parts.append(
                    f"<figure id='{item.anchor}'>{_img(item.png)}<figcaption class='footnote'>{html.escape(item.caption)} "
                    f"(SVG beside the PNG: figures/{endpoint}/{item.png.stem}.svg)</figcaption></figure>"
                )
            else:
                parts.append(report.table_html(item.table, item.title, item.notes, provenance=item.provenance))
    counts = comparison["status"].value_counts().to_dict()
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    table = comparison.drop(columns=["ard_row_id"]).to_html(index=False, escape=True, border=0)
    other_cut = (
        f"<p><b>The publication reports cut {html.escape(publication_cut)}; this is cut {html.escape(cut)}.</b> "
        "Its figures are put beside the published ones for information: differences are expected.</p>"
        if publication_cut and publication_cut != cut
        else ""
    )
    parts.append(
        f"<h2 id='comparison'>Appendix: comparison with the publication</h2>{other_cut}"
        f"<p>{len(comparison)} published figures: {summary}.</p>{table}"
    )
    if dq is not None:
        checks_run = pd.read_csv(checks) if checks else pd.DataFrame(columns=quality.CHECK_COLUMNS)
        accounting = pd.read_csv(reconciliation) if reconciliation else None
        parts.append(
            "<h2 id='data-quality'>Appendix: data quality</h2>"
            f"<p class='footnote'>Also in data_quality/data_quality.html and .csv (policy {html.escape(policy)}).</p>"
            + quality.report_body(dq, checks_run, accounting)
        )
    if adelig:
        listing = excluded_cases(pd.read_parquet(adelig))
        if out_excluded:
            listing.to_csv(out_excluded, index=False)
        parts.append(
            "<h2 id='not-eligible'>Appendix: screened cases not eligible</h2>"
            f"<p>{len(listing)} of the cases in the sites' screening logs did not meet the inclusion criteria "
            "of the registry record (age 18 or over, CD22 positive, relapsed or refractory, InO monotherapy, "
            "Ph-positive only after failure of at least one TKI); each is listed with the criteria "
            "it failed.</p>" + listing.to_html(index=False, escape=True, border=0)
        )
    parts.append(f"<hr><p class='footnote'>{html.escape(provenance(study, cut))}</p></body></html>")
    Path(out_html).write_text("\n".join(parts), encoding="utf-8")
    if out_docx or out_pdf:
        from inoflow.tables.book_documents import write_book_docx, write_book_pdf

        subtitle = f"Data cut {cut}. {provenance(study, cut)}"
        notice = "Synthetic demo data: no record describes a real person." if synthetic else ""
        appendix = comparison.drop(columns=["ard_row_id"])
        if out_docx:
            write_book_docx(title, subtitle, notice, sections, appendix, Path(out_docx))
        if out_pdf:
            write_book_pdf(title, subtitle, notice, sections, appendix, Path(out_pdf))
    return comparison


def load_endpoints(study: str) -> dict[str, list[str]]:
    return read_yaml(report.OUTPUTS_FILE)[study]["endpoints"]
