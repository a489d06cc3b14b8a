"""Tables as RTF (rtflite) and DOCX (python-docx), one file each per output id
(inoflow.tables.documents): every cell's text is the display table's, title, footnote and
provenance are in the document, pages are numbered, the header row repeats on every page, and a
wide table is laid out on a landscape page. Read back with python-docx and with a reader of the
RTF table rows (tests/rtf_text.py)."""

from __future__ import annotations

import pandas as pd
from docx import Document
from rtf_text import rtf_pages, rtf_paragraphs, rtf_table_rows

from inoflow.tables.documents import TableDocument, relative_widths, write_docx, write_rtf

TABLE = pd.DataFrame(
    {
        "Group": ["All", "HSCT: Yes"],
        "Characteristic": ["CR/CRi", "Lab x10^9/L, COST_HSCT"],
        "Level": ["", "{braces} \\ backslash"],
        "Result": ["25/32 (78.1%) [95% CI 60.0-90.7]", "71.4% (95% CI 25.8-92.0); at risk ≥ 5 & <10"],
    }
)


def _document(table: pd.DataFrame = TABLE) -> TableDocument:
    return TableDocument("OM01", "Participants achieving CR or CRi", table, ["Population: FAS."], "Source: ADSL.")


def test_docx_holds_every_cell_title_notes_and_page_numbers(tmp_path):
    path = write_docx(_document(), tmp_path / "OM01.docx")
    doc = Document(str(path))
    assert [[c.text for c in row.cells] for row in doc.tables[0].rows] == _document().cells()
    assert _document().cells()[2] == [
        "HSCT: Yes",
        "Lab x10^9/L, COST_HSCT",
        "{braces} \\ backslash",
        TABLE["Result"][1],
    ]
    assert [p.text for p in doc.paragraphs] == [
        "OM01. Participants achieving CR or CRi",
        "Population: FAS.",
        "Source: ADSL.",
    ]
    footer = doc.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer  # "Page x of y" fields
    assert "w:tblHeader" in doc.tables[0].rows[0]._tr.xml  # the header row repeats on every page
    assert doc.sections[0].page_width < doc.sections[0].page_height  # 4 columns, short cells: portrait


def test_rtf_holds_every_cell_as_written_title_notes_and_page_numbers(tmp_path):
    text = write_rtf(_document(), tmp_path / "OM01.rtf").read_text(encoding="utf-8")
    rows = rtf_table_rows(text)
    assert rows[:-1] == _document().cells()  # as written: no LaTeX-like conversion of ^ or _
    assert rows[-1] == ["Population: FAS.\nSource: ADSL."]  # the footnote and the provenance line
    assert rtf_paragraphs(text) == ["OM01. Participants achieving CR or CRi"]
    assert "Page \\chpgn of {\\field{\\*\\fldinst NUMPAGES }}" in text
    assert "\\landscape" not in text


def test_a_long_rtf_table_repeats_its_header_on_every_page(tmp_path):
    long = pd.DataFrame({"Characteristic": [f"row {i}" for i in range(120)], "Result": ["1 (1%)"] * 120})
    text = write_rtf(_document(long), tmp_path / "long.rtf").read_text(encoding="utf-8")
    pages = rtf_pages(text)
    assert len(pages) > 2
    for page in pages:
        assert rtf_table_rows(page)[0] == ["Characteristic", "Result"]
    body = [row for page in pages for row in rtf_table_rows(page)[1:] if row[0].startswith("row ")]
    assert body == [[f"row {i}", "1 (1%)"] for i in range(120)]  # every row once, in order


def test_a_wide_table_is_laid_out_landscape(tmp_path):
    wide = TABLE.assign(**{f"Arm {i}": TABLE["Result"] for i in range(3)})
    assert _document(wide).landscape and not _document().landscape
    doc = Document(str(write_docx(_document(wide), tmp_path / "wide.docx")))
    assert doc.sections[0].page_width > doc.sections[0].page_height
    assert "\\landscape" in write_rtf(_document(wide), tmp_path / "wide.rtf").read_text(encoding="utf-8")


def test_a_line_break_in_a_cell_is_written_as_a_space(tmp_path):
    table = pd.DataFrame({"Reason": ["Age < 18:\n2"]})
    assert _document(table).cells() == [["Reason"], ["Age < 18: 2"]]
    assert rtf_table_rows(write_rtf(_document(table), tmp_path / "b.rtf").read_text(encoding="utf-8"))[1] == [
        "Age < 18: 2"
    ]


def test_column_widths_follow_the_longest_text():
    assert relative_widths(pd.DataFrame({"a": ["x" * 14], "bb": ["y" * 42], "c": ["z" * 300]})) == [1, 3, 6]
    # a short label counts as 14 characters: beside 28, one half of the width, not one tenth
    assert relative_widths(pd.DataFrame({"": ["VOD"], "b": ["y" * 28]})) == [1, 2]
