"""Ingest: read one site's extract file for one domain, exactly as sent.

Every cell is kept as text (no type guessing), and every row keeps where it came from:
the file path relative to the cut's extract folder, the file's sha256, the sheet and the
row number a person sees when opening the file (1-based, header rows counted).

Rows that are not data are declared in the dialect and read like the others, so that every row
is accounted for: the rows above the header (``header_row``: a title or export banner) are not
rows of the table; the last ``skip_footer`` non-blank rows (a report footer, "Exported by HIS on
2023-05-02") and rows a ``reject_rows`` rule matches are read even when they have fewer or more
fields than the header (the field-count check does not apply to them), and validation sets them
aside as rejected rows with their reason (:mod:`inoflow.extract.validate`): rows read = harmonised +
rejected.

Row numbers are those a spreadsheet program shows: a CSV record counts as one row even when a
quoted cell in it spans several lines, and a quote left open is reported at the row where it
opens. A column the dialect does not declare (mapped, ``free_text:``, ``ignore:`` or a test's
value column) is dropped after the de-identification gate has seen it
(:func:`drop_undeclared`): it is never written. An Excel formula whose calculated value the
workbook does not hold is refused (the cell would read as missing).

Ingest uses pyarrow, not pandas: it runs once per site and domain, and a light import keeps
a cold run of the workflow quick.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pyarrow as pa

from inoflow.checksum import sha256_file
from inoflow.config import Site
from inoflow.errors import ExtractError, Finding

log = logging.getLogger(__name__)

PROVENANCE = ["SRCFILE", "SRCSHA256", "SRCSHEET", "SRCROW"]


def extract_path(site: Site, domain: str, extracts_dir: Path) -> Path:
    """Where a site's file for a domain lives inside a cut's extract folder."""
    return Path(extracts_dir) / site.site / site.domain_spec(domain)["file"]


def read_extract(site: Site, domain: str, extracts_dir: Path) -> pa.Table:
    """Read a site's file for one domain into a table of text cells plus provenance columns."""
    path = extract_path(site, domain, extracts_dir)
    relative = path.relative_to(extracts_dir).as_posix()
    if not path.exists():
        raise ExtractError(
            [
                Finding(
                    site.site,
                    relative,
                    "",
                    None,
                    "",
                    "",
                    f"the {domain} file declared in {site.path.name} is missing",
                    "completeness",
                )
            ]
        )
    settings = site.reader(domain)
    sheet = site.domain_spec(domain).get("sheet", "")
    not_data = NotData(site.domain_spec(domain).get("reject_rows", []), settings["skip_footer"])
    if settings["format"] == "xlsx":
        header, rows, problems = _read_xlsx(path, relative, site.site, sheet, settings["header_row"], not_data)
    else:
        header, rows, problems = _read_csv(path, relative, site.site, settings, not_data)
    # a misplaced header explains the row problems it causes, so it is reported first
    _check_header_placement(header, rows, declared_columns(site, domain), site.site, relative, sheet, settings)
    _check_header(header, site.site, relative, sheet, settings["header_row"])
    if problems:
        raise ExtractError(problems)
    columns = {name: pa.array([r[i] for _, r in rows], type=pa.string()) for i, name in enumerate(header)}
    digest = sha256_file(path)
    columns["SRCFILE"] = pa.array([relative] * len(rows), type=pa.string())
    columns["SRCSHA256"] = pa.array([digest] * len(rows), type=pa.string())
    columns["SRCSHEET"] = pa.array([sheet] * len(rows), type=pa.string())
    columns["SRCROW"] = pa.array([n for n, _ in rows], type=pa.int64())
    table = pa.table(columns)
    log.info("%s %s: read %d rows from %s%s", site.site, domain, len(rows), relative, f" [{sheet}]" if sheet else "")
    return table


def reject_rule_matches(rule: dict, text: str | None) -> bool:
    """Whether a dialect ``reject_rows`` rule matches a cell: ``pattern`` a regular expression
    searched in the text, ``equals`` the whole text, trimmed, letter case ignored.

    >>> reject_rule_matches({"pattern": "^Exported by"}, "Exported by HIS on 2023-05-02")
    True
    >>> reject_rule_matches({"equals": "deleted"}, " Deleted "), reject_rule_matches({"equals": "x"}, None)
    (True, False)
    """
    text = text or ""
    if "pattern" in rule:
        return re.search(rule["pattern"], text) is not None
    return text.strip().casefold() == str(rule["equals"]).strip().casefold()


def footer_rows(rows: list[tuple[int, list[str | None]]], count: int) -> set[int]:
    """Row numbers of the last ``count`` rows that are not blank (a trailing blank line does not
    shift the footer).

    >>> footer_rows([(2, ["a"]), (3, ["Exported"]), (4, [None])], 1)
    {3}
    """
    filled = [number for number, cells in rows if any(c is not None and str(c).strip() for c in cells)]
    return set(filled[-count:]) if count > 0 else set()


class NotData:
    """The dialect's declaration of rows that are not data: ``reject_rows`` rules and the number
    of footer rows, applied before the field-count check."""

    def __init__(self, reject_rows: list[dict], footer: int = 0) -> None:
        self.reject_rows = reject_rows
        self.footer = footer

    def rejected(self, header: list[str], cells: list[str | None]) -> bool:
        """Whether a ``reject_rows`` rule matches the row (cells by header position; a short row's
        missing cells are empty)."""
        for rule in self.reject_rows:
            if rule["column"] in header:
                i = header.index(rule["column"])
                if reject_rule_matches(rule, cells[i] if i < len(cells) else None):
                    return True
        return False


def _fit(cells: list[str | None], width: int) -> list[str | None]:
    """A row's cells cut or padded to the header's width (empty cells missing)."""
    return [c if c not in ("", None) else None for c in (list(cells) + [None] * width)[:width]]


def declared_columns(site: Site, domain: str) -> set[str]:
    """Every column name the site's dialect declares for a domain (mapped, tests, free text,
    ignored)."""
    spec = site.domain_spec(domain)
    names = set(spec.get("columns", {})) | set(spec.get("ignore", [])) | set(spec.get("free_text", []))
    for test in spec.get("tests", {}).values():
        names |= {test["value"], test.get("uln")} - {None}
    for target in spec.get("columns", {}).values():
        if isinstance(target, dict) and target.get("bsa_column"):
            names.add(target["bsa_column"])
    return names


def drop_undeclared(table: pa.Table, site: Site, domain: str) -> pa.Table:
    """The table without the columns the dialect does not declare: a column the site added
    (a remark, a local field) is not read further and never written. The log names each dropped
    column and how many cells it filled, never a value."""
    declared = declared_columns(site, domain)
    dropped = [c for c in table.column_names if c not in declared and c not in PROVENANCE]
    if not dropped:
        return table
    for name in dropped:
        filled = table.num_rows - table.column(name).null_count
        log.warning(
            "%s %s: column %r is not declared in %s (map it, or list it under free_text or ignore): "
            "dropped, %d filled cell(s) not read",
            site.site,
            domain,
            name,
            site.path.name,
            filled,
        )
    return table.drop_columns(dropped)


def _check_header_placement(
    header: list[str],
    rows: list[tuple[int, list[str | None]]],
    declared: set[str],
    site: str,
    file: str,
    sheet: str,
    settings: dict,
) -> None:
    """The header row holds none of the declared columns: say where they are, if anywhere.

    Typical causes: title rows above the header that the dialect does not declare, or a
    file written with another delimiter than the dialect's.
    """
    header_row = settings["header_row"]
    if not declared or declared & {h.strip() for h in header}:
        return
    for number, cells in rows[:20]:
        if len(declared & {(c or "").strip() for c in cells}) * 2 >= len(declared):
            rule = (
                f"the header row {header_row} holds none of the columns the dialect declares; they are in row "
                f"{number}: are there title rows above the header? (declare header_row: {number})"
            )
            raise ExtractError([Finding(site, file, sheet, header_row, "", "", rule)])
    rule = f"the header row {header_row} holds none of the columns the dialect declares (e.g. {sorted(declared)[:3]})"
    raise ExtractError([Finding(site, file, sheet, header_row, "", "", rule)])


def _check_header(header: list[str], site: str, file: str, sheet: str, header_row: int) -> None:
    problems = []
    for i, name in enumerate(header, start=1):
        if name == "":
            problems.append(
                Finding(
                    site, file, sheet, header_row, f"#{i}", "", "header cell is empty (merged or missing column name)"
                )
            )
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(Finding(site, file, sheet, header_row, name, "", "column name appears twice in the header"))
        seen.add(name)
    if problems:
        raise ExtractError(problems)


def _read_csv(
    path: Path, relative: str, site: str, settings: dict, not_data: NotData | None = None
) -> tuple[list[str], list[tuple[int, list[str | None]]], list[Finding]]:
    raw = path.read_bytes()
    if not raw.strip():
        raise ExtractError([Finding(site, relative, "", None, "", "", "file is empty", "completeness")])
    encoding = settings["encoding"]
    utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")
    if raw.startswith(b"\xef\xbb\xbf") and not utf8:
        rule = (
            f"the file starts with a UTF-8 byte-order mark but the dialect declares encoding {encoding!r}: "
            "the file is UTF-8 (declare encoding: utf-8)"
        )
        raise ExtractError([Finding(site, relative, "", 1, "", "", rule)])
    try:
        text = raw.decode("utf-8-sig" if utf8 else encoding)  # a byte-order mark is not part of the header
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ExtractError(
            [
                Finding(
                    site,
                    relative,
                    "",
                    line,
                    "",
                    "",
                    f"text is not valid {encoding} (declared encoding in the site dialect): "
                    f"byte 0x{raw[exc.start]:02x} cannot be read",
                )
            ]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=settings["delimiter"])
    header_row = settings["header_row"]
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    lines: dict[int, tuple[int, int]] = {}  # row -> (first, last) line of the file, for a row spanning lines
    last_line = 0
    # a spreadsheet's row number: one per record, a quoted cell spanning lines counted once
    for line, record in enumerate(reader, start=1):
        if reader.line_num - last_line > 1:
            lines[line] = (last_line + 1, reader.line_num)
        last_line = reader.line_num
        if line < header_row:
            continue  # above the header: a title or banner, not a row of the table
        if header is None:
            header = [c.strip() for c in record]
            _check_delimiter(header, settings["delimiter"], site, relative, line)
            continue
        records.append((line, record))
    _check_the_last_quote(text, records, lines, last_line, site, relative)
    if header is None:
        raise ExtractError(
            [
                Finding(
                    site,
                    relative,
                    "",
                    header_row,
                    "",
                    "",
                    "no header row where the dialect declares it",
                    "completeness",
                )
            ]
        )
    not_data = not_data or NotData([])
    footer = footer_rows([(n, [c or None for c in r]) for n, r in records], settings.get("skip_footer", 0))
    rows: list[tuple[int, list[str | None]]] = []
    problems: list[Finding] = []
    for line, record in records:
        if len(record) != len(header) and any(c.strip() for c in record):
            declared = line in footer or not_data.rejected(header, record)
            if line in lines and any("\n" in c or "\r" in c for c in record):
                first, last = lines[line]
                rule = (
                    f"a quote opened in this row is not closed: the cell runs from line {first} to line {last} "
                    f"of the file and the row has {len(record)} fields but the header has {len(header)} "
                    "(close the quote, or remove it)"
                )
                problems.append(Finding(site, relative, "", line, "", "", rule))
            elif not declared:
                rule = f"row has {len(record)} fields but the header has {len(header)}"
                problems.append(Finding(site, relative, "", line, "", "", rule))
            # kept (to locate the header, or to be set aside by validation with its reason)
            rows.append((line, _fit(record, len(header)) if declared else (record + [""] * len(header))[: len(header)]))
            continue
        if len(record) != len(header):  # a blank line of another width
            record = [""] * len(header)
        rows.append((line, _fit(record, len(header))))
    return header, rows, problems


def _check_the_last_quote(
    text: str,
    records: list[tuple[int, list[str]]],
    lines: dict[int, tuple[int, int]],
    last_line: int,
    site: str,
    file: str,
) -> None:
    """A quote opened in the last record and never closed: the csv reader puts the rest of the
    file into that one cell, whatever its field count, so the rows after it would vanish. In a
    well-quoted record quotes come in pairs (an escaped quote is two); an odd count in the last
    record's lines means the file ends inside a quoted cell."""
    if not records:
        return
    row, _ = records[-1]
    first = lines.get(row, (last_line, last_line))[0]
    physical = re.split(r"\r\n|\r|\n", text)
    if "".join(physical[first - 1 :]).count('"') % 2:
        rule = (
            f"a quote opened in this row is not closed: the file ends inside it (the cell runs from line "
            f"{first} to the end of the file, line {last_line}), so the rows after it cannot be read "
            "(close the quote, or remove it)"
        )
        raise ExtractError([Finding(site, file, "", row, "", "", rule)])


def _check_delimiter(header: list[str], declared: str, site: str, file: str, line: int) -> None:
    """A header read as one field that contains another delimiter: the dialect's is wrong."""
    if len(header) != 1:
        return
    for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")):
        if delimiter != declared and delimiter in header[0]:
            rule = (
                f"the header is one field containing {name}s: the file looks {name}-separated but the "
                f"dialect declares delimiter {declared!r}"
            )
            raise ExtractError([Finding(site, file, "", line, "", "", rule)])


def _cell_text(value: object) -> str | None:
    """Excel cell -> text: dates as ISO 8601, whole numbers without '.0'."""
    if value is None:
        return None
    if type(value) is str:  # most cells: text (the checks below are for other types)
        return value if value.strip() != "" else None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0, 0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() != "" else None


FORMULA_RULE = (
    "formula without a calculated value: the workbook was saved by a program that does not calculate "
    "formulas, so the cell would read as missing; open the workbook in Excel or LibreOffice, recalculate "
    "and save it, or send the values"
)


@dataclass(frozen=True)
class SheetXml:
    """What only a sheet's XML tells: the formula cells with no calculated value, by (row,
    column number), and the error cells (``#DIV/0!``, ``#N/A``: type ``e``), row -> (column
    number, text). The cell reader gives both as empty."""

    formulas_without_value: list[tuple[int, int]]
    errors: dict[int, list[tuple[int, str]]]


def _sheet_xml(worksheet) -> SheetXml:
    """The :class:`SheetXml` of a sheet, read from the workbook already open; a sheet with no
    formula and no error cell is passed over at the cost of two byte searches."""
    import xml.etree.ElementTree as ET

    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    with worksheet._get_source() as source:  # the open workbook's archive, not the file again
        data = source.read()
    found: list[tuple[int, int]] = []
    errors: dict[int, list[tuple[int, str]]] = {}
    if b"<f" not in data and b":f" not in data and b't="e"' not in data and b"t='e'" not in data:
        return SheetXml(found, errors)
    for _, element in ET.iterparse(io.BytesIO(data)):
        if element.tag.rsplit("}", 1)[-1] != "c":
            continue
        children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
        value = children.get("v")
        reference = element.get("r")
        if reference:
            letters, row = coordinate_from_string(reference)
            column = column_index_from_string(letters)
            # no calculated value: no <v>, or an empty one in a cell that is not a text result
            missing = value is None or (not (value.text or "") and element.get("t") != "str")
            if "f" in children and missing:
                found.append((row, column))
            elif element.get("t") == "e" and value is not None and value.text:
                errors.setdefault(row, []).append((column, value.text))
        element.clear()
    return SheetXml(found, errors)


# the workbooks kept open by :func:`workbooks_kept_open`: path -> the open workbook
_OPEN_WORKBOOKS: dict[Path, Workbook] | None = None


@dataclass
class Workbook:
    """An Excel workbook opened once: its structure (sheet names, visibility, the sheets' XML)
    through openpyxl, read-only, and its cells' values, as last calculated, through calamine
    (python-calamine: the same values as openpyxl's, tested on every workbook of the demo,
    about fifty times faster)."""

    structure: Any  # openpyxl.Workbook, read-only
    values: Any  # python_calamine.CalamineWorkbook

    def rows(self, sheet: str) -> list[list[object]]:
        """The sheet's rows from row 1 and column A, each cell as openpyxl gives it (an empty
        cell ``None`` or ``''``; an error cell ``''``: see :class:`SheetXml`)."""
        return self.values.get_sheet_by_name(sheet).to_python(skip_empty_area=False)

    def close(self) -> None:
        self.structure.close()
        self.values.close()


@contextlib.contextmanager
def workbooks_kept_open():
    """Within this block a workbook is opened once and each of its sheets read from it (a site's
    one workbook holds every domain); they are closed at the end."""
    global _OPEN_WORKBOOKS
    outer, _OPEN_WORKBOOKS = _OPEN_WORKBOOKS, {}
    try:
        yield
    finally:
        for workbook in _OPEN_WORKBOOKS.values():
            workbook.close()
        _OPEN_WORKBOOKS = outer


def _open_workbook(path: Path, relative: str, site: str, sheet: str) -> Workbook:
    """The workbook at ``path`` (see :class:`Workbook`); kept open within
    :func:`workbooks_kept_open`. An unreadable workbook is a finding."""
    from openpyxl import load_workbook
    from python_calamine import CalamineWorkbook

    key = Path(path).resolve()
    if _OPEN_WORKBOOKS is not None and key in _OPEN_WORKBOOKS:
        return _OPEN_WORKBOOKS[key]
    try:
        structure = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged workbook
        raise ExtractError(
            [Finding(site, relative, sheet, None, "", "", f"not a readable Excel workbook ({type(exc).__name__})")]
        ) from None
    try:
        values = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine's own error types
        structure.close()
        raise ExtractError(
            [Finding(site, relative, sheet, None, "", "", f"not a readable Excel workbook ({type(exc).__name__})")]
        ) from None
    workbook = Workbook(structure, values)
    if _OPEN_WORKBOOKS is not None:
        _OPEN_WORKBOOKS[key] = workbook
    return workbook


def _read_xlsx(
    path: Path, relative: str, site: str, sheet: str, header_row: int, not_data: NotData | None = None
) -> tuple[list[str], list[tuple[int, list[str | None]]], list[Finding]]:
    workbook = _open_workbook(path, relative, site, sheet)
    try:
        if sheet not in workbook.structure.sheetnames:
            raise ExtractError(
                [
                    Finding(
                        site,
                        relative,
                        sheet,
                        None,
                        "",
                        "",
                        f"sheet not found; the workbook has {workbook.structure.sheetnames}",
                        "completeness",
                    )
                ]
            )
        worksheet = workbook.structure[sheet]
        if worksheet.sheet_state != "visible":
            rule = (
                f"the sheet is {worksheet.sheet_state} in the workbook: a hidden sheet is not read (it is often "
                "an outdated copy); ask the site to unhide it or to send the sheet meant"
            )
            raise ExtractError([Finding(site, relative, sheet, None, "", "", rule)])
        xml = _sheet_xml(worksheet)
        header: list[str] | None = None
        records: list[tuple[int, list[str | None]]] = []
        for number, values in enumerate(workbook.rows(sheet), start=1):
            if number < header_row:
                continue
            cells = [_cell_text(v) for v in values]
            for column, text in xml.errors.get(number, ()):
                cells[column - 1] = text
            if header is None:
                header = [(c or "").strip() for c in cells]
                while header and header[-1] == "":
                    header.pop()
                continue
            records.append((number, (cells + [None] * len(header))[: max(len(header), len(cells))]))
        # a sheet may report formatted-but-empty trailing rows; they carry nothing to account for
        while records and all(c is None for c in records[-1][1]):
            records.pop()
        not_data = not_data or NotData([])
        footer = footer_rows(records, not_data.footer)
        rows: list[tuple[int, list[str | None]]] = []
        problems: list[Finding] = []
        data_rows = {number for number, _ in records}
        for number, column in xml.formulas_without_value:
            if number in data_rows and header and column <= len(header):
                problems.append(
                    Finding(site, relative, sheet, number, header[column - 1], "", FORMULA_RULE, "completeness")
                )
        for number, cells in records:
            if any(c is not None for c in cells[len(header or []) :]):
                if number in footer or not_data.rejected(header or [], cells):
                    rows.append((number, cells[: len(header or [])]))  # set aside by validation, with its reason
                    continue
                problems.append(
                    Finding(site, relative, sheet, number, "", "", "row has values beyond the last named column")
                )
                rows.append((number, cells))  # kept whole to locate the header
                continue
            rows.append((number, cells[: len(header or [])]))
    finally:
        if _OPEN_WORKBOOKS is None:  # else closed at the end of workbooks_kept_open
            workbook.close()
    if header is None:
        raise ExtractError(
            [
                Finding(
                    site,
                    relative,
                    sheet,
                    header_row,
                    "",
                    "",
                    "no header row where the dialect declares it",
                    "completeness",
                )
            ]
        )
    return header, rows, problems
