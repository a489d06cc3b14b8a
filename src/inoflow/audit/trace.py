"""From a table cell to the raw rows behind it: the auditor's trace.

The chain, for one cell of a displayed table (or one ARD row):

1. **cell -> ARD rows**: the statistics the cell displays (``ard/<endpoint>.parquet``);
2. **ARD rows -> subjects**: the lineage (``ard/<endpoint>.lineage.parquet`` with its subject
   sets in ``ard/<endpoint>.subjects.parquet``), each subject with its role (numerator, denominator, at risk, event, ...; :mod:`inoflow.analysis.lineage`);
3. **subjects -> ADaM records**: their records in the datasets the endpoint reads and the
   datasets those are derived from (ADTTE restricted to the cell's parameter), each with the
   common-model record it was taken from where there is one (``SRCDOM``, ``SRCSEQ``);
4. **ADaM -> common-model records**: every record of those subjects, as known at the data
   cut-off, in the domains the datasets are derived from (``DIRECT`` marks the records an ADaM
   record names as its source);
5. **common model -> raw rows**: the rows of the files the sites sent (file relative to the
   cut's extract folder, its sha256, sheet, row number as seen when opening the file, the
   columns used, and every cell as read).

The trace is sufficient: re-running the derivations on nothing but its raw rows gives the
same statistic (``tests/test_trace.py`` checks this for ARD rows drawn at random).

Command line (installed as ``inoflow-trace``; also ``python -m inoflow.audit.trace``)::

    inoflow-trace --study india --cut 2023-04-30 --output OM01            # list the cells
    inoflow-trace --study india --cut 2023-04-30 --output OM01 --row 1    # trace one cell
    inoflow-trace --study india --cut 2023-04-30 --ard-row-id 1a2b3c4d5e6f --out audit/om01
    inoflow-trace --study india --cut 2023-04-30 --raw-file IN02/IN02_bone_marrow.csv --raw-row 3  # reverse
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from inoflow.adam.datacut import apply_data_cut
from inoflow.adam.sources import upstream_of
from inoflow.analysis.ard import display_row_keys
from inoflow.analysis.endpoints import ENDPOINTS
from inoflow.analysis.lineage import ROLES, Lineage, domains_behind
from inoflow.extract.ingest import PROVENANCE
from inoflow.frames import read_parquet

RAW_KEY = ["SRCFILE", "SRCSHEET", "SRCROW"]
RAW_COLUMNS = ["SITEID", "RAWDOM", *PROVENANCE, "DIRECT", "SRCCOLS", "VALUES"]


class TraceError(ValueError):
    """A cell or ARD row that cannot be traced (unknown output, row or id)."""


@dataclass
class Trace:
    """One cell's chain: each level a frame (see the module docstring)."""

    cells: pd.DataFrame
    subjects: pd.DataFrame
    adam: pd.DataFrame
    sdtm: pd.DataFrame
    raw: pd.DataFrame

    def datasets(self) -> list[str]:
        """The ADaM datasets the cell's ARD rows were computed from."""
        return sorted({name for names in self.subjects["DATASETS"] for name in names.split()})

    def summary(self) -> str:
        roles = self.subjects.groupby("ROLE")["USUBJID"].nunique().to_dict()
        files = self.raw["SRCFILE"].nunique() if len(self.raw) else 0
        return (
            f"{len(self.cells)} ARD row(s) -> {self.subjects['USUBJID'].nunique()} subject(s) "
            f"({', '.join(f'{r}: {n}' for r, n in sorted(roles.items()))}) -> {len(self.adam)} ADaM record(s) -> "
            f"{len(self.sdtm)} common-model record(s) -> {len(self.raw)} raw row(s) in {files} file(s)"
        )


# --- reading a cut's results -----------------------------------------------------------------


def load_ard(cut_dir: Path) -> pd.DataFrame:
    """Every endpoint's ARD of a cut, with the endpoint each row belongs to."""
    parts = []
    for endpoint in ENDPOINTS:
        path = cut_dir / "ard" / f"{endpoint}.parquet"
        if path.exists():
            parts.append(read_parquet(path).assign(endpoint=endpoint))
    if not parts:
        raise TraceError(f"no ARD under {cut_dir / 'ard'}: run the workflow first")
    return pd.concat(parts, ignore_index=True)


def load_lineage(cut_dir: Path, endpoint: str, ard_row_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """An endpoint's lineage one row per (ARD row, subject, role) (of ``ard_row_ids`` only,
    when given), from its two tables (``inoflow.analysis.lineage.Lineage``)."""
    return Lineage.read(cut_dir / "ard" / f"{endpoint}.lineage.parquet").long(ard_row_ids)


def load_raw(cut_dir: Path) -> pd.DataFrame:
    """Every row the sites sent, as read (``ingest/<site>/<domain>.parquet``): site, raw domain,
    provenance and the row's cells as JSON (header -> text, in the file's column order)."""
    parts = []
    for path in sorted((cut_dir / "ingest").glob("*/*.parquet")):
        table = read_parquet(path)
        cells = [c for c in table.columns if c not in PROVENANCE]
        values = [
            json.dumps(dict(zip(cells, row, strict=True)), ensure_ascii=False)
            for row in table[cells].itertuples(index=False)
        ]
        parts.append(
            table[PROVENANCE].assign(
                SITEID=path.parent.name, RAWDOM=path.stem, VALUES=values, SRCSHEET=table["SRCSHEET"].fillna("")
            )
        )
    return pd.concat(parts, ignore_index=True)


# --- selecting a cell ------------------------------------------------------------------------


def cell_blocks(ard: pd.DataFrame, output_id: str) -> list[pd.DataFrame]:
    """The cells of an output's table, in table order: the ARD rows behind each displayed row
    (one row key; the same order as :func:`inoflow.tables.report.render_table`)."""
    rows = ard[ard["output_id"] == output_id]
    if rows.empty:
        known = sorted(ard["output_id"].unique())
        raise TraceError(f"no output {output_id!r} in this cut's ARD; outputs: {', '.join(known)}")
    keys = display_row_keys(rows)
    return [rows[keys == key] for key in dict.fromkeys(keys)]


def select(
    ard: pd.DataFrame, output_id: str | None = None, row: int | None = None, ard_row_id: str | None = None
) -> pd.DataFrame:
    """The ARD rows of one cell: table row ``row`` (1-based, as numbered in the HTML table) of
    ``output_id``, or the one ARD row ``ard_row_id``."""
    if ard_row_id is not None:
        found = ard[ard["ard_row_id"] == ard_row_id]
        if found.empty:
            raise TraceError(f"no ARD row {ard_row_id!r} in this cut")
        return found
    if output_id is None or row is None:
        raise TraceError("give --ard-row-id, or --output and --row")
    blocks = cell_blocks(ard, output_id)
    if not 1 <= row <= len(blocks):
        raise TraceError(f"{output_id} has rows 1-{len(blocks)}; row {row} does not exist")
    return blocks[row - 1]


# --- the chain -------------------------------------------------------------------------------


def trace(cut_dir: Path, cells: pd.DataFrame, raw: pd.DataFrame | None = None) -> Trace:
    """The chain behind ``cells`` (ARD rows of one endpoint)."""
    cut_dir = Path(cut_dir)
    endpoints = cells["endpoint"].unique()
    if len(endpoints) != 1:
        raise TraceError(f"trace one endpoint's rows at a time, not {sorted(endpoints)}")
    endpoint = str(endpoints[0])
    subjects = load_lineage(cut_dir, endpoint, cells["ard_row_id"])
    ids = set(subjects["USUBJID"])
    paramcds = set(subjects["PARAMCD"].dropna())
    datasets = sorted({name for names in subjects["DATASETS"] for name in names.split()})

    adam_parts, direct = [], set()
    for name in upstream_of(datasets):
        data = read_parquet(cut_dir / "adam" / f"{name}.parquet")
        data = data[data["USUBJID"].isin(ids)]
        if "PARAMCD" in data.columns and paramcds and name == "ADTTE":
            data = data[data["PARAMCD"].isin(paramcds)]
        if {"SRCDOM", "SRCSEQ"} <= set(data.columns):
            direct |= {
                (d, u, int(s))
                for d, u, s in zip(data["SRCDOM"], data["USUBJID"], data["SRCSEQ"], strict=True)
                if pd.notna(s)
            }
        adam_parts.append(_adam_records(name, data))
    adam = pd.concat([p for p in adam_parts if len(p)], ignore_index=True)

    cutoff = _cutoff(cut_dir)
    domains = {d: read_parquet(cut_dir / "sdtm" / f"{d}.parquet") for d in domains_behind(datasets)}
    domains = apply_data_cut({d: frame[frame["USUBJID"].isin(ids)] for d, frame in domains.items()}, cutoff)
    sdtm = pd.concat([_sdtm_records(d, frame, direct) for d, frame in domains.items()], ignore_index=True)

    raw = load_raw(cut_dir) if raw is None else raw
    used = sdtm.groupby(RAW_KEY, dropna=False).agg(USED=("SRCCOLS", _union_columns), DIRECT=("DIRECT", "max"))
    rows = raw.merge(used.reset_index(), on=RAW_KEY, how="inner", validate="one_to_one")
    rows = rows.assign(SRCCOLS=rows.pop("USED"))[RAW_COLUMNS]
    missing = len(used) - len(rows)
    if missing:
        raise TraceError(
            f"{missing} common-model source row(s) not found among the rows read: the cut's ingest folder is incomplete"
        )
    return Trace(
        cells.reset_index(drop=True),
        subjects,
        adam,
        sdtm,
        rows.sort_values(["DIRECT", *RAW_KEY], ascending=[False, True, True, True], kind="stable").reset_index(
            drop=True
        ),
    )


def rows_fed_by(
    cut_dir: Path, srcfile: str, srcrow: int, srcsheet: str = "", ard: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The reverse of :func:`trace`: every ARD row whose trace contains one raw row (file
    relative to the cut's extract folder, row number, sheet for a workbook)."""
    cut_dir = Path(cut_dir)
    ard = load_ard(cut_dir) if ard is None else ard
    cutoff = _cutoff(cut_dir)
    records = []  # (domain, subject) of the common-model records made from the row, within the cut
    for path in sorted((cut_dir / "sdtm").glob("*.parquet")):
        frame = read_parquet(path)
        frame = frame[
            (frame["SRCFILE"] == srcfile)
            & (frame["SRCROW"].astype(int) == int(srcrow))
            & (frame["SRCSHEET"].fillna("") == srcsheet)
        ]
        records += [(path.stem, u) for u in apply_data_cut({path.stem: frame}, cutoff)[path.stem]["USUBJID"]]
    fed: set[str] = set()
    for endpoint in ard["endpoint"].unique():
        lineage = Lineage.read(cut_dir / "ard" / f"{endpoint}.lineage.parquet")
        for names, part in lineage.rows.groupby("DATASETS"):
            domains = domains_behind(names.split())
            subjects = {u for d, u in records if d in domains}
            sets = set(lineage.sets.loc[lineage.sets["USUBJID"].isin(subjects), "SUBJSET"])
            fed |= set(part.loc[part["SUBJSET"].isin(sets), "ard_row_id"])
    return ard[ard["ard_row_id"].isin(fed)].reset_index(drop=True)


def _cutoff(cut_dir: Path) -> str:
    return str(read_parquet(cut_dir / "adam" / "ADSL.parquet", columns=["DCUTDT"])["DCUTDT"].iloc[0].date())


def _adam_records(name: str, data: pd.DataFrame) -> pd.DataFrame:
    key = "PARAMCD" if "PARAMCD" in data.columns else ("ASEQ" if "ASEQ" in data.columns else None)
    values = [json.dumps({k: _plain(v) for k, v in rec.items()}, ensure_ascii=False) for rec in data.to_dict("records")]
    none = pd.Series(pd.NA, index=data.index)
    return pd.DataFrame(
        {
            "DATASET": name,
            "USUBJID": data["USUBJID"].astype(str),
            "RECORD": data[key].astype(str) if key else "",
            "SRCDOM": data.get("SRCDOM", none).astype("string"),
            "SRCSEQ": data.get("SRCSEQ", none).astype("Int64"),
            "VALUES": pd.Series(values, index=data.index, dtype="string"),
        }
    ).reset_index(drop=True)


def _sdtm_records(name: str, data: pd.DataFrame, direct: set) -> pd.DataFrame:
    seq = data[f"{name}SEQ"].astype(int)
    shown = [
        c for c in data.columns if c not in (*PROVENANCE, "SRCCOLS", "STUDYID", "DOMAIN", "USUBJID", "SUBJID", "SITEID")
    ]
    return pd.DataFrame(
        {
            "DOMAIN": name,
            "USUBJID": data["USUBJID"].astype(str).to_numpy(),
            "SEQ": seq.to_numpy(),
            "DIRECT": ["Y" if (name, u, s) in direct else "N" for u, s in zip(data["USUBJID"], seq, strict=True)],
            "VALUES": [
                json.dumps({k: _plain(v) for k, v in rec.items()}, ensure_ascii=False)
                for rec in data[shown].to_dict("records")
            ],
            "SRCFILE": data["SRCFILE"].to_numpy(),
            "SRCSHA256": data["SRCSHA256"].to_numpy(),
            "SRCSHEET": data["SRCSHEET"].fillna("").to_numpy(),
            "SRCROW": data["SRCROW"].astype(int).to_numpy(),
            "SRCCOLS": data["SRCCOLS"].to_numpy(),
        }
    )


def _union_columns(values: pd.Series) -> str:
    """The source columns used by the records made from one raw row (JSON maps, merged)."""
    merged: dict[str, str] = {}
    for value in values.dropna():
        merged.update(json.loads(value))
    return json.dumps(merged, ensure_ascii=False)


def _plain(value):
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


# --- output ----------------------------------------------------------------------------------


def print_trace(result: Trace, out=None, max_raw: int = 40) -> None:
    """The chain as text: the cell, its subjects by role, and the raw rows with their values."""
    out = out or sys.stdout
    first = result.cells.iloc[0]
    print(f"cell: {first['output_id']} {first['variable']} {first['variable_level'] or ''}".rstrip(), file=out)
    for row in result.cells.itertuples(index=False):
        print(f"  ARD row {row.ard_row_id}: {row.stat_name} = {row.stat_fmt}", file=out)
    print(result.summary(), file=out)
    for role, part in result.subjects.groupby("ROLE", sort=False):
        ids = sorted(part["USUBJID"].unique())
        print(f"  {role} ({ROLES[role]}): {len(ids)}: {', '.join(ids)}", file=out)
    direct = int((result.raw["DIRECT"] == "Y").sum())
    print(
        f"raw rows (file, sha256, sheet, row: columns used -> values as read); first the {direct} behind the "
        "records the ADaM datasets name as their source (DIRECT), then every other row of these subjects "
        "that the derivations read:",
        file=out,
    )
    for row in result.raw.head(max_raw).itertuples(index=False):
        used = json.loads(row.SRCCOLS)
        values = json.loads(row.VALUES)
        shown = "; ".join(
            f"{column}={values.get(column)!r}" for column in dict.fromkeys(used.values()) if column in values
        )
        sheet = f", sheet {row.SRCSHEET!r}" if row.SRCSHEET else ""
        mark = "*" if row.DIRECT == "Y" else " "
        print(f" {mark}{row.SRCFILE} ({row.SRCSHA256[:12]}){sheet}, row {row.SRCROW}: {shown}", file=out)
    if len(result.raw) > max_raw:
        print(f"  ... {len(result.raw) - max_raw} more raw row(s): write them all with --out", file=out)


def write_trace(result: Trace, folder: Path) -> list[Path]:
    """The chain as CSV files (one per level) and one HTML page, for the audit file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("cells", "subjects", "adam", "sdtm", "raw"):
        path = folder / f"{name}.csv"
        getattr(result, name).to_csv(path, index=False)
        paths.append(path)
    page = folder / "trace.html"
    page.write_text(trace_html(result), encoding="utf-8")
    return [*paths, page]


TRACE_STYLE = (
    "body{font-family:Arial,sans-serif;font-size:13px;max-width:1200px;margin:1.5em auto;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:2px solid #1f4e79;margin-top:1.6em}"
    "h3{font-size:1em;margin:1.2em 0 .3em}table{border-collapse:collapse;margin:.3em 0;font-size:12px}"
    "td,th{border:1px solid #ccc;padding:2px 5px;vertical-align:top;text-align:left}th{background:#eef3f8}"
    "td.used{background:#fff3b0;font-weight:bold}tr.direct td:first-child{border-left:4px solid #1f4e79}"
    ".note{color:#555;font-size:12px}code{font-size:12px}"
)


def _text(value) -> str:
    """A value as a reader sees it: missing is blank (no None, NaN, <NA> or NaT)."""
    value = _plain(value)
    return "" if value is None else html.escape(str(value))


def _records_table(records: pd.DataFrame, extra: list[str], used=None) -> str:
    """Records whose values are JSON maps, as one table: the ``extra`` columns, then every key of
    the maps in order of first appearance; ``used(row) -> set of keys`` highlights cells."""
    maps = [json.loads(v) if isinstance(v, str) else {} for v in records["VALUES"]]
    keys = list(dict.fromkeys(k for m in maps for k in m))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [*extra, *keys])
    lines = []
    for (_, row), values in zip(records.iterrows(), maps, strict=True):
        marked = used(row) if used else set()
        direct = " class='direct'" if row.get("DIRECT") == "Y" else ""
        cells = [f"<td>{_text(row[c])}</td>" for c in extra]
        cells += [f"<td{' class=used' if k in marked else ''}>{_text(values.get(k))}</td>" for k in keys]
        lines.append(f"<tr{direct}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def trace_html(result: Trace) -> str:
    """The chain as a page a reader can follow: the cell and its statistics, each subject once
    with its roles, the ADaM records by dataset, the common-model records by domain, and the raw
    rows grouped by the file (and sheet) they were read from, the columns the derivations used
    highlighted and the rows the ADaM records name as their source marked."""
    first = result.cells.iloc[0]
    cell = " ".join(str(v) for v in (first["output_id"], first["variable"], _plain(first["variable_level"]) or "") if v)
    stats = "".join(
        f"<tr><td>{_text(r.stat_name)}</td><td>{_text(r.stat_label)}</td><td>{_text(r.stat_fmt)}</td>"
        f"<td><code>{_text(r.ard_row_id)}</code></td></tr>"
        for r in result.cells.itertuples(index=False)
    )
    parts = [
        f"<h1>Trace of {html.escape(cell)}</h1><p>{html.escape(result.summary())}</p>",
        "<h2>1. The cell: its ARD rows</h2><table><thead><tr><th>Statistic</th><th>Label</th><th>Value</th>"
        f"<th>ARD row</th></tr></thead><tbody>{stats}</tbody></table>",
    ]
    subjects = (
        result.subjects.groupby("USUBJID", sort=True)
        .agg(
            ROLES=("ROLE", lambda r: ", ".join(dict.fromkeys(r))),
            DATASETS=("DATASETS", lambda d: " ".join(sorted({x for v in d for x in v.split()}))),
        )
        .reset_index()
    )
    roles = "; ".join(f"{role}: {text}" for role, text in ROLES.items() if role in set(result.subjects["ROLE"]))
    rows = "".join(
        f"<tr><td>{_text(r.USUBJID)}</td><td>{_text(r.ROLES)}</td><td>{_text(r.DATASETS)}</td></tr>"
        for r in subjects.itertuples(index=False)
    )
    parts.append(
        f"<h2>2. Subjects behind it ({len(subjects)}), each once with its roles</h2><p class='note'>{html.escape(roles)}</p>"
        f"<table><thead><tr><th>Subject</th><th>Roles</th><th>ADaM datasets</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    parts.append(f"<h2>3. ADaM records ({len(result.adam)})</h2>")
    for name, records in result.adam.groupby("DATASET", sort=False):
        parts.append(
            f"<h3>{html.escape(str(name))} ({len(records)})</h3>" + _records_table(records, ["USUBJID", "RECORD"])
        )
    parts.append(
        f"<h2>4. Common-model records ({len(result.sdtm)})</h2><p class='note'>Marked at the left: the records an "
        "ADaM record names as its source.</p>"
    )
    for name, records in result.sdtm.groupby("DOMAIN", sort=False):
        parts.append(
            f"<h3>{html.escape(str(name))} ({len(records)})</h3>"
            + _records_table(records, ["USUBJID", "SEQ", "SRCFILE", "SRCROW"])
        )
    parts.append(
        f"<h2>5. Raw rows of the files the sites sent ({len(result.raw)})</h2><p class='note'>Highlighted: the columns "
        "the derivations read; marked at the left: the rows behind the records the ADaM datasets name as their source.</p>"
    )
    for (file, sheet, sha), records in result.raw.groupby(
        ["SRCFILE", "SRCSHEET", "SRCSHA256"], sort=False, dropna=False
    ):
        where = f"{file}" + (f", sheet {sheet}" if isinstance(sheet, str) and sheet else "")
        parts.append(
            f"<h3>{html.escape(where)} ({len(records)} rows)</h3><p class='note'>sha256 <code>{html.escape(str(sha))}</code></p>"
            + _records_table(records, ["SRCROW"], used=lambda row: set(json.loads(row["SRCCOLS"]).values()))
        )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Trace of {html.escape(cell)}</title>"
        f"<style>{TRACE_STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def list_cells(ard: pd.DataFrame, output_id: str, out=None) -> None:
    """The cells of an output's table, numbered, with the ARD rows behind each."""
    out = out or sys.stdout
    from inoflow.tables.report import render_table

    table = render_table(ard.drop(columns=["endpoint"]), output_id)
    for number, (row, block) in enumerate(
        zip(table.itertuples(index=False), cell_blocks(ard, output_id), strict=True), 1
    ):
        ids = " ".join(block["ard_row_id"])
        print(f"{number:>3}  {row.Group} | {row.Characteristic} | {row.Level} | {row.Result}    [{ids}]", file=out)


# --- the command line: every value a user types is checked first -----------------------------------


def valid_list(values, limit: int = 12) -> str:
    """``a, b, c`` or, for a long list, its first ``limit`` values and how many there are."""
    values = [str(v) for v in values]
    if len(values) <= limit:
        return ", ".join(values)
    return f"{', '.join(values[:limit])}, ... ({len(values)} in all)"


def _suggest(value: str, valid: list[str]) -> str | None:
    """The valid value a typo most likely meant: the same but for case or a number's zero
    padding (om1 -> OM01), else the closest spelling."""

    def pad(text: str) -> str:
        return re.sub(r"\d+", lambda m: m.group().zfill(2), text).casefold()

    same = [v for v in valid if pad(v) == pad(value)]
    close = same or difflib.get_close_matches(value, valid, n=1, cutoff=0.75)
    return close[0] if close else None


def _unknown(what: str, value, where: str, valid) -> TraceError:
    valid = list(valid)
    close = _suggest(str(value), [str(v) for v in valid])
    hint = f" (did you mean {close}?)" if close else ""
    return TraceError(f"unknown {what} {str(value)!r}{where}{hint}; valid: {valid_list(valid) or 'none'}")


def configured_cuts(config_file: Path) -> dict[str, list[str]]:
    """The studies and their cuts declared in the working folder's configuration
    (``config/config.yaml`` -> ``studies:`` -> each study's ``cuts:``); empty if there is none."""
    import yaml

    if not config_file.is_file():
        return {}
    studies = {}
    for path in (yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}).get("studies", []):
        study_file = Path(path)
        if study_file.is_file():
            spec = yaml.safe_load(study_file.read_text(encoding="utf-8")) or {}
            studies[str(spec.get("study", study_file.stem))] = [str(c) for c in spec.get("cuts") or {}]
    return studies


def computed_cuts(results: Path) -> dict[str, list[str]]:
    """The studies and cuts the results folder holds (a cut is a folder with an ``ard/``)."""
    if not results.is_dir():
        return {}
    return {
        study.name: cuts
        for study in sorted(results.iterdir())
        if study.is_dir() and (cuts := sorted(c.name for c in study.iterdir() if (c / "ard").is_dir()))
    }


def check_study_and_cut(study: str, cut: str, results: Path, config_file: Path) -> Path:
    """The cut's results folder; an unknown study or cut, or one not computed yet, is a TraceError."""
    declared, computed = configured_cuts(config_file), computed_cuts(results)
    studies = sorted(set(declared) | set(computed))
    if not studies:
        raise TraceError(
            f"unknown study {study!r}: no results under {results} and no {config_file} here"
            " (run from the project folder, or give --results)"
        )
    if study not in studies:
        raise _unknown("study", study, "", studies)
    cuts = sorted(set(declared.get(study, [])) | set(computed.get(study, [])))
    if cut not in cuts:
        raise _unknown("cut", cut, f" for {study}", cuts)
    if cut not in computed.get(study, []):
        raise TraceError(f"no results for {study}/{cut} under {results}: run the workflow first")
    return results / study / cut


def check_output(ard: pd.DataFrame, output_id: str, where: str) -> None:
    outputs = sorted(ard["output_id"].unique())
    if output_id not in outputs:
        raise _unknown("output", output_id, f" for {where}", outputs)


def check_row(ard: pd.DataFrame, output_id: str, row: int, where: str) -> None:
    rows = len(cell_blocks(ard, output_id))
    if not 1 <= row <= rows:
        raise TraceError(f"unknown row {row} of {output_id} for {where}; valid: 1-{rows}")


def check_raw_row(cut_dir: Path, raw_file: str, raw_row: int | None, sheet: str, where: str) -> None:
    """The file, sheet and row a reverse trace names exist among the rows the sites sent."""
    parts = [read_parquet(path, columns=RAW_KEY) for path in sorted((cut_dir / "ingest").glob("*/*.parquet"))]
    read = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RAW_KEY)
    read["SRCSHEET"] = read["SRCSHEET"].fillna("")
    files = sorted(read["SRCFILE"].unique())
    if raw_file not in files:
        raise _unknown("raw file", raw_file, f" for {where}", files)
    of_file = read[read["SRCFILE"] == raw_file]
    sheets = sorted(of_file["SRCSHEET"].unique())
    if sheet not in sheets:
        raise _unknown("sheet", sheet, f" of {raw_file}", [repr(s) for s in sheets])
    if raw_row is None:
        raise TraceError(f"--raw-file {raw_file} needs --raw-row (the row number, as seen when opening the file)")
    rows = of_file.loc[of_file["SRCSHEET"] == sheet, "SRCROW"].astype(int)
    if raw_row not in set(rows):
        raise TraceError(
            f"unknown raw row {raw_row} of {raw_file}{f' [{sheet}]' if sheet else ''}; valid: {rows.min()}-{rows.max()}"
        )


def check_ard_row_id(ard: pd.DataFrame, ard_row_id: str, where: str) -> None:
    if ard_row_id not in set(ard["ard_row_id"]):
        raise TraceError(
            f"unknown ARD row id {ard_row_id!r} for {where}; valid: the ids `--output <id>` lists "
            f"({ard['ard_row_id'].nunique()} in this cut, e.g. {ard['ard_row_id'].iloc[0]})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inoflow-trace", description=__doc__.split("\n\n")[0])
    parser.add_argument("--study", required=True)
    parser.add_argument("--cut", required=True)
    parser.add_argument("--output", help="output id (OM01, T1, F2, ...); alone, lists its cells")
    parser.add_argument("--row", type=int, help="the table row (1-based, as numbered in the HTML table)")
    parser.add_argument("--ard-row-id", help="one ARD row (ard_row_id)")
    parser.add_argument("--raw-file", help="reverse: a file the site sent (relative to the cut's extract folder)")
    parser.add_argument("--raw-row", type=int, help="reverse: its row number; lists every ARD row the row feeds")
    parser.add_argument("--sheet", default="", help="reverse: the sheet, for a workbook")
    parser.add_argument("--results", default="results", help="results folder (default: results/ of the working folder)")
    parser.add_argument(
        "--config",
        default="config/config.yaml",
        help="the workflow's configuration, for the studies and cuts it declares (default: config/config.yaml)",
    )
    parser.add_argument("--out", help="also write the chain as CSV files and trace.html to this folder")
    args = parser.parse_args(argv)
    where = f"{args.study}/{args.cut}"
    try:
        cut_dir = check_study_and_cut(args.study, args.cut, Path(args.results), Path(args.config))
        ard = load_ard(cut_dir)
        if args.raw_file:
            check_raw_row(cut_dir, args.raw_file, args.raw_row, args.sheet, where)
            fed = rows_fed_by(cut_dir, args.raw_file, args.raw_row, args.sheet, ard)
            print(
                f"{args.raw_file} row {args.raw_row}: feeds {len(fed)} ARD row(s) in {fed['output_id'].nunique()} output(s)"
            )
            for row in fed.itertuples(index=False):
                level = row.variable_level if isinstance(row.variable_level, str) else ""
                print(f"  {row.ard_row_id}  {row.output_id} {row.variable} {level} {row.stat_name} = {row.stat_fmt}")
            return 0
        if args.ard_row_id is not None:
            check_ard_row_id(ard, args.ard_row_id, where)
        elif args.output is None:
            raise TraceError("give --output (alone, it lists the table's rows), --output and --row, or --ard-row-id")
        else:
            check_output(ard, args.output, where)
            if args.row is None:
                list_cells(ard, args.output)
                return 0
            check_row(ard, args.output, args.row, where)
        result = trace(cut_dir, select(ard, args.output, args.row, args.ard_row_id))
    except TraceError as exc:
        print(f"inoflow-trace: {exc}", file=sys.stderr)
        return 2
    print_trace(result)
    if args.out:
        paths = write_trace(result, Path(args.out))
        print(f"written: {', '.join(str(p) for p in paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
