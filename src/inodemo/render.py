"""Render the synthetic cohort as the raw extracts five hospitals would send.

Each site's files are written in that site's dialect: the layout (file, sheet, header row,
column names, date format, decimal separator, units, local codes) is read from the site's
mapping in ``config/sites/<study>/<site>.yaml`` and applied in reverse, and the things no
mapping describes but real exports contain are added per site in :data:`REALISM` (banner
rows, a report footer, a record deleted in the source database, remarks columns, the units
a long laboratory file carries on each row).

The output is deterministic for a given cohort: Excel workbooks are written with fixed
document and zip timestamps so that regenerating unchanged data gives identical bytes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd

from inoflow.config import VARIABLE_QUANTITY, Site, Units, load_units
from inoflow.extract.dialect import ColumnRule, column_rules

BANNER = "SYNTHETIC DEMO DATA - a reconstructed cohort, not real patients"
FIXED_TIME = datetime(2023, 4, 30, 0, 0, 0)

# What the mappings do not describe: per-site quirks of real exports.
REALISM: dict[str, dict] = {
    "IN01": {"footer": {"adverse_events": "End of report ({n} records)"}},
    "IN02": {"remarks": {"patients": ("Remarks", "synthetic demo record")}},
    "IN04": {"deleted_row": {"adverse_events": "record_status"}},
    "IN05": {
        "long_lab_units": {"PLAT": "10^3/uL", "NEUT": "10^3/uL", "WBC": "10^3/uL", "TEMP": "°F", "BILI": "µmol/L"}
    },
}
LONG_LAB_UNITS_DEFAULT = {
    "AST": "U/L",
    "ALT": "U/L",
    "BILI": "µmol/L",
    "PLAT": "x10^9/L",
    "NEUT": "x10^9/L",
    "WBC": "x10^9/L",
    "HGB": "g/dL",
    "TEMP": "°C",
}


def render_site(truth: dict[str, pd.DataFrame], site: Site, out_dir: Path) -> list[Path]:
    """Write one site's extracts into ``out_dir/<site>/``; return the files written."""
    folder = Path(out_dir) / site.site
    folder.mkdir(parents=True, exist_ok=True)
    workbooks: dict[str, list[tuple[str, int, list[str], list[list]]]] = {}
    written: list[Path] = []
    for domain in site.domains:
        frame = truth[domain][truth[domain]["SITEID"] == site.site].reset_index(drop=True)
        header, rows = site_table(frame, site, domain)
        header, rows = _add_realism(header, rows, site, domain)
        settings = site.reader(domain)
        spec = site.domain_spec(domain)
        if settings["format"] == "xlsx":
            workbooks.setdefault(spec["file"], []).append((spec["sheet"], settings["header_row"], header, rows))
        else:
            path = folder / spec["file"]
            _write_csv(path, header, rows, settings)
            written.append(path)
    for file, sheets in workbooks.items():
        path = folder / file
        _write_xlsx(path, sheets)
        written.append(path)
    return written


def site_table(frame: pd.DataFrame, site: Site, domain: str) -> tuple[list[str], list[list]]:
    """The cells a site would send for one domain (values in the site's formats and units)."""
    units = load_units()
    spec = site.domain_spec(domain)
    rules = column_rules(site, domain)
    if spec.get("layout") == "wide_tests":
        return _wide_tests(frame, site, domain, rules, units)
    header = [r.source for r in rules]
    settings = site.reader(domain)
    rows = []
    for record in frame.to_dict("records"):
        row = []
        for rule in rules:
            value = record.get(rule.variable)
            if domain == "labs" and rule.variable in ("VALUE", "ULN", "UNIT"):
                row.append(_long_lab_cell(record, rule, site, units, settings))
            elif rule.variable == "DOSE" and rule.bsa_column:
                row.append(_number_text(record["DOSE"] * record["BSA"], settings, decimals=4))
            else:
                row.append(format_cell(value, rule, site, domain, units, settings))
        rows.append(row)
    return header, rows


def format_cell(value, rule: ColumnRule, site: Site, domain: str, units: Units, settings: dict | None = None):
    """One truth value in the site's dialect (text for CSV; native dates for Excel);
    ``settings`` is ``site.reader(domain)``, given when known."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    settings = settings or site.reader(domain)
    if rule.vtype == "date":
        if settings["format"] == "xlsx" and rule.date_format == "%Y-%m-%d":
            return datetime(value.year, value.month, value.day)
        return value.strftime(rule.date_format)
    if rule.vtype == "code":
        reverse = {}
        for local, code in (rule.codes or {}).items():
            reverse.setdefault(code, local)
        return reverse.get(value, value)
    if rule.vtype == "integer":
        return int(value) if settings["format"] == "xlsx" else str(int(value))
    if rule.vtype == "number":
        quantity = VARIABLE_QUANTITY.get((domain, rule.variable))
        if rule.unit and quantity:
            value = to_site_unit(float(value), quantity, rule.unit, units)
        return float(value) if settings["format"] == "xlsx" else _number_text(value, settings)
    return str(value)


def to_site_unit(value: float, quantity: str, unit: str, units: Units) -> float:
    """Inverse of the harmoniser's conversion: standard unit -> the site's unit."""
    spec = units.quantities[quantity]
    name = units.canonical_unit(unit)
    if name in spec.get("affine", {}):
        affine = spec["affine"][name]
        return (value - affine["offset"]) / affine["scale"]
    return value / spec["factors"][name]


def _number_text(value: float, settings: dict, decimals: int = 10) -> str:
    """A number as the file writes it (``settings``: the domain's reader settings)."""
    text = f"{float(value):.{decimals}f}".rstrip("0").rstrip(".")
    text = "0" if text in ("", "-0") else text
    return text.replace(".", ",") if settings["decimal"] == "," else text


def _long_lab_cell(record: dict, rule: ColumnRule, site: Site, units: Units, settings: dict):
    test = record["TEST"]
    unit = REALISM.get(site.site, {}).get("long_lab_units", {}).get(test, LONG_LAB_UNITS_DEFAULT[test])
    if rule.variable == "UNIT":
        return unit
    value = record[rule.variable]
    if value is None or pd.isna(value):
        return None
    converted = to_site_unit(float(value), test, unit, units)
    if settings["format"] == "xlsx":
        return float(converted)
    return _number_text(converted, settings)


def _wide_tests(
    frame: pd.DataFrame, site: Site, domain: str, rules: list[ColumnRule], units: Units
) -> tuple[list[str], list[list]]:
    spec = site.domain_spec(domain)
    id_rules = [r for r in rules if r.source in spec["columns"]]
    header = [r.source for r in id_rules]
    for tspec in spec["tests"].values():
        header.append(tspec["value"])
        if "uln" in tspec:
            header.append(tspec["uln"])
    settings = site.reader(domain)
    xlsx = settings["format"] == "xlsx"
    # one row per subject and date (in the order of their first record), a test's first record in it
    visits: dict[tuple, tuple[dict, dict]] = {}
    for record in frame.to_dict("records"):
        if pd.isna(record["SUBJID"]) or pd.isna(record["LAB_DATE"]):
            continue
        first, by_test = visits.setdefault((record["SUBJID"], record["LAB_DATE"]), (record, {}))
        by_test.setdefault(record["TEST"], record)
    rows = []
    for first, by_test in visits.values():
        row = [format_cell(first[r.variable], r, site, domain, units, settings) for r in id_rules]
        for test, tspec in spec["tests"].items():
            rec = by_test.get(test)
            cells = [None, None] if "uln" in tspec else [None]
            if rec is not None:
                value = to_site_unit(float(rec["VALUE"]), test, tspec["unit"], units)
                cells[0] = float(value) if xlsx else _number_text(value, settings)
                if "uln" in tspec and pd.notna(rec["ULN"]):
                    uln = to_site_unit(float(rec["ULN"]), test, tspec["unit"], units)
                    cells[1] = float(uln) if xlsx else _number_text(uln, settings)
            row.extend(cells)
        rows.append(row)
    return header, rows


def _add_realism(header: list[str], rows: list[list], site: Site, domain: str) -> tuple[list[str], list[list]]:
    quirks = REALISM.get(site.site, {})
    if domain in quirks.get("remarks", {}):
        column, text = quirks["remarks"][domain]
        header = header + [column]
        rows = [r + [text] for r in rows]
    if domain in quirks.get("deleted_row", {}):
        column = quirks["deleted_row"][domain]
        header = header + [column]
        rows = [r + [None] for r in rows]
        if rows:  # the coordinator entered an event twice and marked the copy Deleted
            rows.insert(len(rows) // 2, rows[len(rows) // 2][:-1] + ["Deleted"])
    if domain in quirks.get("footer", {}):
        footer = [None] * len(header)
        footer[0] = quirks["footer"][domain].format(n=len(rows))
        rows = rows + [footer]
    return header, rows


def _write_csv(path: Path, header: list[str], rows: list[list], settings: dict) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=settings["delimiter"], lineterminator="\r\n")
    for _ in range(settings["header_row"] - 1):
        writer.writerow([BANNER])
    writer.writerow(header)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode(settings["encoding"]))


def _write_xlsx(path: Path, sheets: list[tuple[str, int, list[str], list[list]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet, header_row, header, rows in sheets:
        ws = workbook.create_sheet(sheet)
        if header_row > 1:
            ws.cell(row=1, column=1, value=BANNER).font = Font(bold=True, color="C00000")
        for j, name in enumerate(header, start=1):
            ws.cell(row=header_row, column=j, value=name).font = Font(bold=True)
        for i, row in enumerate(rows, start=header_row + 1):
            for j, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=i, column=j, value=value)
                if isinstance(value, datetime):
                    cell.number_format = "DD-MMM-YYYY"
                elif isinstance(value, float):
                    cell.number_format = "0.0#"
    workbook.properties.creator = "inodemo (synthetic data generator)"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    _write_deterministic_zip(path, buffer.getvalue())


def _write_deterministic_zip(path: Path, data: bytes) -> None:
    """Rewrite a zip (xlsx) with fixed entry timestamps, so equal content gives equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = _fix_core_dates(payload)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, payload)
    path.write_bytes(out.getvalue())


def _fix_core_dates(payload: bytes) -> bytes:
    import re

    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp + rb"\g<3>", payload)
