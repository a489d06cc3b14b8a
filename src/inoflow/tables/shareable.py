"""The shareable release of a cut's tables: every table and a book of them, rendered from the
ARD with small cells suppressed (:mod:`inoflow.tables.suppress`), for sharing outside the study
(the sites, a registry, a journal's supplement). The study's own tables stay exact.

Written to ``results/<study>/<cut>/shareable/``: ``ard/all_outputs.parquet`` (the suppressed
ARD the tables are rendered from), ``tables/<output_id>.{csv,html,rtf,docx}`` and ``book.html``.
Figures are not part of it: a Kaplan-Meier curve shows each event, a flow diagram every count.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from inoflow.config import read_yaml
from inoflow.tables import report
from inoflow.tables.shells import load_display
from inoflow.tables.suppress import NOT_REPORTED, footnote, masked, suppress

CSS = (
    "body{font-family:Georgia,serif;max-width:1000px;margin:2em auto;color:#222;line-height:1.4}"
    "table{border-collapse:collapse;font-family:Arial,sans-serif;font-size:.85em;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top}th{background:#eef3f8}"
    "tbody th{background:none;font-weight:normal;text-align:left}tr.heading th{font-weight:bold}"
    ".footnote{font-size:.8em;color:#555}.shareable{background:#e8f4ea;border:1px solid #7fb58a;padding:.6em}"
)


def write_shareable(
    study: str,
    cut: str,
    title: str,
    ard_path: str | Path,
    definitions_path: str | Path,
    out_dir: str | Path,
    min_cell_count: int = 5,
    synthetic: bool = False,
) -> dict[str, int]:
    """Write the shareable ARD, tables and book of a cut; return how many statistics were
    withheld (``<m`` and ``NR``) and how many tables were written."""
    out = Path(out_dir)
    outputs = report.load_outputs(study)
    display = load_display()
    definitions = read_yaml(definitions_path)
    shared = suppress(pd.read_parquet(ard_path), min_cell_count, outputs)
    (out / "ard").mkdir(parents=True, exist_ok=True)
    shared.to_parquet(out / "ard" / "all_outputs.parquet", index=False)
    rule = footnote(min_cell_count)
    endpoints = report.study_endpoints(study)
    sections = []
    for endpoint, output_ids in endpoints.items():
        sections.append(f"<h2>{html.escape(endpoint.capitalize())}</h2>")
        for output_id in output_ids:
            paths, _ = report.write_table(
                shared, output_id, outputs[output_id], definitions, out / "tables", None, display, extra_notes=[rule]
            )
            sections.append(paths[1].read_text(encoding="utf-8"))  # its HTML, as written beside the other formats
    toc = "".join(
        f"<li><a href='#{oid}'>{oid}</a> {html.escape(outputs[oid]['title'])}</li>"
        for ids in endpoints.values()
        for oid in ids
    )
    banner = (
        f"<p class='shareable'><b>Shareable release.</b> {html.escape(rule)} Figures are not included. "
        "The study's own tables, with every count, are in the cut's book.</p>"
    )
    demo = "<p><b>Synthetic demo data.</b> No record describes a real person.</p>" if synthetic else ""
    (out / "book.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} - {cut} (shareable)</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1><p>Data cut <b>{html.escape(cut)}</b>.</p>"
        f"{banner}{demo}<h2>Contents</h2><ol>{toc}</ol>{''.join(sections)}</body></html>\n",
        encoding="utf-8",
    )
    withheld = int(shared["stat_fmt"].isin([masked(min_cell_count), NOT_REPORTED]).sum())
    return {"withheld": withheld, "statistics": len(shared), "tables": sum(len(i) for i in endpoints.values())}
