"""A display table as the documents a clinical study report is assembled from: RTF (rtflite)
and DOCX (python-docx), one file each per output id, written beside its CSV and HTML.

Each document carries, in the document itself (not in a page header a reader might strip): the
output's number and title, the table with its column headers repeated on every page, the
output's footnote and the provenance line; pages are numbered ("Page x of y") and a table of
more than :data:`PORTRAIT_COLUMNS` columns, or with a cell longer than
:data:`PORTRAIT_CELL_CHARACTERS` characters, is laid out on a landscape page. Every cell's text is
the display table's (:mod:`inoflow.tables.shells`: the ARD's formatted values); nothing is
recomputed or reformatted here. The label column's indentation (leading spaces) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

PORTRAIT_COLUMNS = 4  # more columns than this: landscape
PORTRAIT_CELL_CHARACTERS = 60  # a cell longer than this: landscape
NARROWEST = 14  # characters: the least width a column is given
FONT = "Times New Roman"
FONT_SIZE = 9  # points, body and footnotes; the title one point larger


@dataclass(frozen=True)
class TableDocument:
    """What a table document shows, in order."""

    output_id: str
    title: str
    table: pd.DataFrame  # the display table: every cell text (:meth:`inoflow.tables.shells.DisplayTable.frame`)
    footnotes: tuple[str, ...] | list[str] = ()
    provenance: str = ""

    @property
    def heading(self) -> str:
        return f"{self.output_id}. {self.title}"

    @property
    def landscape(self) -> bool:
        longest = max((len(str(v)) for v in self.table.to_numpy().ravel()), default=0)
        return len(self.table.columns) > PORTRAIT_COLUMNS or longest > PORTRAIT_CELL_CHARACTERS

    def cells(self) -> list[list[str]]:
        """The table's text, header row first (what a reader of either document sees)."""
        return table_cells(self.table)

    def notes(self) -> list[str]:
        return [text for text in (*self.footnotes, self.provenance) if text]


def table_cells(table: pd.DataFrame) -> list[list[str]]:
    """A frame's text, header row first; a missing value is blank, a line break within a cell
    is written as a space."""
    return [[_one_line(c) for c in table.columns]] + [
        ["" if pd.isna(v) else _one_line(v) for v in row] for row in table.itertuples(index=False)
    ]


def _one_line(value: object) -> str:
    return " ".join(str(value).splitlines())


def relative_widths(table: pd.DataFrame) -> list[int]:
    """Column widths in proportion to the longest text of each column (header included, counted
    as at least :data:`NARROWEST` characters, so that a short label is not broken), each at most
    6 times the narrowest."""
    lengths = [
        max([NARROWEST, len(str(column))] + [len(str(v)) for v in table[column]]) for column in table.columns
    ] or [1]
    low = max(min(lengths), 1)
    return [max(1, min(6, round(length / low))) for length in lengths]


def write_rtf(document: TableDocument, path: Path) -> Path:
    """The table as an RTF file (rtflite): title, column headers (repeated on every page by
    rtflite's pagination), body, footnote and provenance, "Page x of y" at the top right. Text
    is passed as written: rtflite's conversion of LaTeX-like text is off (``10^9/L`` and
    ``COST_HSCT`` stay as they are) and RTF's own characters are escaped here."""
    import polars as pl  # rtflite's own frame (its conversion of a pandas frame fails on narwhals 2)
    import rtflite as rtf

    cells = [[_rtf_text(text) for text in row] for row in document.cells()]
    header, body = cells[0], cells[1:] or [[""] * len(cells[0])]
    names = [f"c{i}" for i in range(len(header))]
    frame = pl.DataFrame([list(column) for column in zip(*body, strict=True)], schema=names, orient="col")
    widths = relative_widths(document.table)
    notes = [_rtf_text(note) for note in document.notes()]
    rtf_document = rtf.RTFDocument(
        df=frame,
        rtf_page=rtf.RTFPage(orientation="landscape" if document.landscape else "portrait"),
        rtf_page_header=rtf.RTFPageHeader(),
        rtf_title=rtf.RTFTitle(text=[_rtf_text(document.heading)], text_convert=[False]),
        rtf_column_header=rtf.RTFColumnHeader(text=header, col_rel_width=widths, text_convert=[False]),
        rtf_body=rtf.RTFBody(col_rel_width=widths, text_justification=[["l"] * len(header)], text_convert=[[False]]),
        rtf_footnote=rtf.RTFFootnote(text=notes, text_convert=[[False]]) if notes else None,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rtf_document.rtf_encode(), encoding="utf-8")
    return path


def _rtf_text(text: str) -> str:
    """``text`` with RTF's own characters escaped (backslash, braces); non-ASCII characters are
    written by rtflite as RTF Unicode escapes."""
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")


def write_docx(document: TableDocument, path: Path) -> Path:
    """The table as a DOCX file (python-docx): title, a table whose header row repeats on every
    page, footnote and provenance, "Page x of y" in the footer."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(FONT_SIZE)
    section = doc.sections[0]
    if document.landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    page_numbers(section.footer.paragraphs[0])

    title = doc.add_paragraph()
    run = title.add_run(document.heading)
    run.bold = True
    run.font.size = Pt(FONT_SIZE + 1)

    add_docx_table(doc, document.cells(), relative_widths(document.table))
    for note in document.notes():
        doc.add_paragraph(note)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.core_properties.title = document.heading
    doc.save(str(path))
    return path


def add_docx_table(doc, cells: list[list[str]], widths: list[int]):
    """A table of ``cells`` (header row first, in bold, repeated on every page) at the end of
    ``doc``, its columns in proportion to ``widths`` across the last section's text width."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    section = doc.sections[-1]
    table = doc.add_table(rows=len(cells), cols=len(cells[0]))
    table.style = "Table Grid"
    table.autofit = False  # the widths below, in Word and LibreOffice alike
    usable = section.page_width - section.left_margin - section.right_margin
    column_widths = [int(usable * w / sum(widths)) for w in widths]
    for column, width in zip(table.columns, column_widths, strict=True):
        column.width = width  # the table grid (w:gridCol), which LibreOffice reads
    for i, (row, texts) in enumerate(zip(table.rows, cells, strict=True)):
        for cell, text, width in zip(row.cells, texts, column_widths, strict=True):
            cell.width = width
            cell.text = text
            if i == 0:
                for cell_run in cell.paragraphs[0].runs:
                    cell_run.bold = True
    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    return table


def page_numbers(paragraph) -> None:
    """'Page x of y' as Word fields (PAGE, NUMPAGES), right-aligned."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.add_run("Page ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" of ")
    _field(paragraph, "NUMPAGES")


def _field(paragraph, instruction: str) -> None:
    """A Word field (``instruction``: PAGE, NUMPAGES) at the end of ``paragraph``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("end", None)):
        if kind is None:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
