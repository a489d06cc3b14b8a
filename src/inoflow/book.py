"""Assembly: one self-contained HTML book per study and cut.

Numbered outputs with titles, populations and footnotes (definitions, methods), the figures
embedded, and the appendix "Comparison with the publication" that puts every published
figure beside the reproduced one with the reason for each difference. Everything shown comes
from the ARD files and the tables/figures rendered from them.
"""

from __future__ import annotations

import base64
import html
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import yaml

from inoflow import compare, report
from inoflow.config import PROJECT_ROOT
from inoflow.notebook import footnote

CSS = """
body{font-family:Georgia,serif;max-width:1000px;margin:2em auto;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:2px solid #1f4e79;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-family:Arial,sans-serif;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top}th{background:#eef3f8}
.footnote{font-size:.8em;color:#555}.synthetic{background:#fff3cd;border:1px solid #e0c060;padding:.6em}
.MISMATCH{background:#f8d7da}.status-documented{background:#fff3cd}
img{max-width:100%}
"""


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT, capture_output=True, text=True
        ).stdout.strip()
        return rev + (" (uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def provenance(study: str, cut: str) -> str:
    packages = ", ".join(
        f"{p} {version(p)}" for p in ("snakemake", "pandas", "pandera", "lifelines", "matplotlib", "papermill")
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"Study {study}, data cut {cut}. Code version {git_revision()}. Run {stamp}. {packages}."


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f"<img alt='{html.escape(path.stem)}' src='data:image/png;base64,{data}'>"


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
) -> pd.DataFrame:
    """Write the book and the comparison table; return the comparison."""
    outputs = report.load_outputs(study)
    ards = {e: pd.read_parquet(p) for e, p in ard_paths.items()}
    ard = pd.concat(ards.values(), ignore_index=True)
    ard.to_parquet(out_ard, index=False)
    comparison = compare.compare(ard, compare.load_items(study))
    comparison.to_csv(out_comparison, index=False)

    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} - {cut}</title><style>{CSS}</style></head><body>"
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
    parts.append(
        f"<h2>Contents</h2><ol>{toc}<li><a href='#comparison'>Appendix: comparison with the publication</a></li></ol>"
    )
    for endpoint, output_ids in endpoints.items():
        parts.append(f"<h2>{html.escape(endpoint.capitalize())}</h2>")
        for output_id in output_ids:
            spec = outputs[output_id]
            parts.append(
                report.table_html(
                    report.render_table(ards[endpoint], output_id), output_id, spec["title"], footnote(spec)
                )
            )
        for figure in sorted(Path(figures_dirs.get(endpoint, "/nonexistent")).glob("*.png")):
            parts.append(
                f"<figure>{_img(figure)}<figcaption class='footnote'>{html.escape(figure.stem)} (SVG beside the PNG in the figures folder)</figcaption></figure>"
            )
    counts = comparison["status"].value_counts().to_dict()
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    table = comparison.drop(columns=["ard_row_id"]).to_html(index=False, escape=True, border=0)
    parts.append(
        f"<h2 id='comparison'>Appendix: comparison with the publication</h2><p>{len(comparison)} published figures: {summary}.</p>{table}"
    )
    parts.append(f"<hr><p class='footnote'>{html.escape(provenance(study, cut))}</p></body></html>")
    Path(out_html).write_text("\n".join(parts), encoding="utf-8")
    return comparison


def load_endpoints(study: str) -> dict[str, list[str]]:
    return yaml.safe_load(report.OUTPUTS_FILE.read_text(encoding="utf-8"))[study]["endpoints"]
