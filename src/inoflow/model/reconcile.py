"""Reconciliation: every row read is accounted for.

Per site and raw domain: rows read (ingest) = rows harmonised (present in the canonical
table) + rows rejected (each with its reason). And every harmonised row reaches at least one
record of the common model. The reconciliation fails loudly if either does not hold.

Against the previous cut of the study (its ``reconciliation.csv``), a file that had rows and
now has none is not balanced either: a file resent with its header only would otherwise take
its records out of the analysis while every row read is accounted for. That is recorded (not
balanced, with the previous cut's count) and said in the log, not raised: the data-quality
report, which reads this table, lists it as a finding of its own and stops the cut under policy
fail (inoflow.model.quality, ``row_counts_against_previous_cut``).
"""

from __future__ import annotations

import logging

import pandas as pd

from inoflow.errors import InoflowError
from inoflow.frames import read_parquet

log = logging.getLogger(__name__)

RECONCILIATION_COLUMNS = [
    "study",
    "cut",
    "site",
    "domain",
    "file",
    "sha256",
    "rows_read",
    "rows_harmonised",
    "rows_rejected",
    "rows_unaccounted",
    "records_harmonised",
    "rows_in_common_model",
    "rows_read_previous_cut",
    "balanced",
]


class ReconciliationError(InoflowError):
    pass


def reconcile_extract(
    study: str,
    cut: str,
    site: str,
    domain: str,
    read: pd.DataFrame,
    rejected: pd.DataFrame,
    harmonised: pd.DataFrame,
    sdtm_rows: set[tuple[str, int]],
    previous: dict | None = None,
) -> dict:
    """Account for one site's extract of one domain (``previous``: its row of the previous
    cut's reconciliation, if the extract was part of it)."""
    read_rows = set(read["SRCROW"].astype(int))
    harmonised_rows = set(harmonised["SRCROW"].astype(int))
    rejected_rows = set(rejected["SRCROW"].astype(int))
    previous_rows = None if previous is None else int(previous["rows_read"])
    file = read["SRCFILE"].iloc[0] if len(read) else (previous or {}).get("file", "")
    in_model = {r for r in harmonised_rows if (file, r) in sdtm_rows}
    unaccounted = read_rows - harmonised_rows - rejected_rows
    overlap = harmonised_rows & rejected_rows
    return {
        "study": study,
        "cut": cut,
        "site": site,
        "domain": domain,
        "file": file,
        "sha256": read["SRCSHA256"].iloc[0] if len(read) else "",
        "rows_read": len(read_rows),
        "rows_harmonised": len(harmonised_rows),
        "rows_rejected": len(rejected_rows),
        "rows_unaccounted": len(unaccounted) + len(overlap),
        "records_harmonised": len(harmonised),
        "rows_in_common_model": len(in_model),
        "rows_read_previous_cut": previous_rows,
        "balanced": not unaccounted
        and not overlap
        and len(read_rows) == len(read)
        and in_model == harmonised_rows
        and not (previous_rows and not read_rows),
    }


def _unbalanced(r) -> str:
    """Why one extract's row is not balanced."""
    where = f"{r.site} {r.domain} ({r.file})"
    if r.rows_read == 0 and pd.notna(r.rows_read_previous_cut) and r.rows_read_previous_cut > 0:
        return (
            f"{where}: read 0 rows, the previous cut read {int(r.rows_read_previous_cut)}: a file sent with its "
            "header only? Its records would leave the analysis"
        )
    return (
        f"{where}: read {r.rows_read}, harmonised {r.rows_harmonised}, rejected {r.rows_rejected}, "
        f"unaccounted {r.rows_unaccounted}, in common model {r.rows_in_common_model}"
    )


def emptied(table: pd.DataFrame) -> pd.Series:
    """The extracts that read no row though the previous cut's read some."""
    previous = pd.to_numeric(table["rows_read_previous_cut"], errors="coerce")
    return (table["rows_read"] == 0) & previous.gt(0)


def check_balanced(table: pd.DataFrame) -> None:
    """Raise when a row read is not accounted for; a file emptied since the previous cut is
    said in the log (the data-quality report stops the cut on it)."""
    for r in table[emptied(table)].itertuples():
        log.warning("reconciliation: %s", _unbalanced(r))
    bad = table[~table["balanced"] & ~emptied(table)]
    if not bad.empty:
        lines = [f"  - {_unbalanced(r)}" for r in bad.itertuples()]
        raise ReconciliationError("the reconciliation is not balanced:\n" + "\n".join(lines))
    log.info(
        "reconciliation: %d extracts, %d rows read, %d harmonised, %d rejected: every row read accounted for",
        len(table),
        table["rows_read"].sum(),
        table["rows_harmonised"].sum(),
        table["rows_rejected"].sum(),
    )


def write_reconciliation(
    study: str,
    cut: str,
    keys: list[tuple[str, str]],
    read: list[str],
    rejected: list[str],
    harmonised: list[str],
    sdtm: list[str],
    out_csv: str,
    out_rejected: str,
    out_html: str,
    previous: str | None = None,
) -> pd.DataFrame:
    """Reconcile every (site, domain) extract of a cut and write the CSV, rejected rows and HTML.

    ``keys[i]`` names the extract whose ingested, rejected and harmonised tables are
    ``read[i]``, ``rejected[i]`` and ``harmonised[i]``; ``sdtm`` lists the pooled domains;
    ``previous`` is the previous cut's ``reconciliation.csv`` (None for a study's first cut).
    """
    before = {}
    if previous:
        earlier = pd.read_csv(previous, dtype={"site": str, "domain": str, "file": str}, keep_default_na=False)
        before = {(r["site"], r["domain"]): r for r in earlier.to_dict("records")}
    sdtm_rows: set[tuple[str, int]] = set()
    for path in sdtm:
        domain = read_parquet(path, columns=["SRCFILE", "SRCROW"])
        sdtm_rows.update(zip(domain["SRCFILE"], domain["SRCROW"].astype(int), strict=True))
    rows, rejected_all = [], []
    for (site, domain), read_path, rejected_path, harmonised_path in zip(keys, read, rejected, harmonised, strict=True):
        read_table = read_parquet(read_path, columns=["SRCFILE", "SRCSHA256", "SRCSHEET", "SRCROW"])
        rejected_table = read_parquet(rejected_path)
        harmonised_table = read_parquet(harmonised_path, columns=["SRCROW"])
        rows.append(
            reconcile_extract(
                study,
                cut,
                site,
                domain,
                read_table,
                rejected_table,
                harmonised_table,
                sdtm_rows,
                before.get((site, domain)),
            )
        )
        if len(rejected_table):
            rejected_all.append(
                rejected_table[["SRCFILE", "SRCSHEET", "SRCROW", "REJECT_REASON"]].assign(site=site, domain=domain)
            )
    table = pd.DataFrame(rows, columns=RECONCILIATION_COLUMNS)
    rejected_rows = (
        pd.concat(rejected_all, ignore_index=True)[["site", "domain", "SRCFILE", "SRCSHEET", "SRCROW", "REJECT_REASON"]]
        if rejected_all
        else pd.DataFrame(columns=["site", "domain", "SRCFILE", "SRCSHEET", "SRCROW", "REJECT_REASON"])
    )
    table.to_csv(out_csv, index=False)
    rejected_rows.to_csv(out_rejected, index=False)
    _write_html(table, rejected_rows, study, cut, out_html)
    check_balanced(table)
    return table


def _write_html(table: pd.DataFrame, rejected_rows: pd.DataFrame, study: str, cut: str, path: str) -> None:
    totals = table[["rows_read", "rows_harmonised", "rows_rejected", "rows_unaccounted"]].sum()
    status = "every row read is accounted for" if table["balanced"].all() else "NOT BALANCED - see the table"
    html = f"""<!doctype html><html><head><meta charset="utf-8"><title>Reconciliation {study} {cut}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:3px 8px;font-size:90%}}</style>
</head><body><h1>Reconciliation of extracts: {study}, cut {cut}</h1>
<p>Rows read {totals.rows_read}, harmonised {totals.rows_harmonised}, rejected {totals.rows_rejected},
unaccounted {totals.rows_unaccounted}: <b>{status}</b>.</p>
<h2>Per site and domain</h2>{table.drop(columns=["study", "cut", "sha256"]).to_html(index=False)}
<h2>Rejected rows and reasons</h2>{rejected_rows.to_html(index=False) if len(rejected_rows) else "<p>None.</p>"}
</body></html>"""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(html)
