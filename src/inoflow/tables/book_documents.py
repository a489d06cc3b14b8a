"""The book as one DOCX (python-docx) and one PDF (reportlab), beside ``book.html``: the same
sections (:func:`inoflow.tables.book.book_sections`: each output's table with its footnotes and
provenance, then its figures, endpoint by endpoint) after a table of contents, and the
comparison with the publication as an appendix.

DOCX: headings in Word's Heading 1 and 2 styles and a TOC field that Word fills when the file is
opened (the document asks it to update its fields); "Page x of y" in the footer. PDF: a table of
contents with page numbers and the same headings as bookmarks, tables whose header row repeats
on every page, "Page n" at the foot; written with ``invariant`` so that the same book gives the
same bytes, and its text uncompressed (a search of the file finds it). Every cell's text is the
display table's: nothing is recomputed here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from inoflow.tables.documents import FONT, FONT_SIZE, add_docx_table, page_numbers, relative_widths, table_cells

Sections = Sequence[tuple[str, Sequence[object]]]  # (endpoint, [BookTable | BookFigure])


def _is_figure(item) -> bool:
    return hasattr(item, "png")


def write_book_docx(
    title: str, subtitle: str, notice: str, sections: Sections, appendix: pd.DataFrame, path: Path
) -> Path:
    """The book as DOCX."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Inches, Pt

    doc = Document()
    doc.styles["Normal"].font.name = FONT
    doc.styles["Normal"].font.size = Pt(FONT_SIZE)
    page_numbers(doc.sections[0].footer.paragraphs[0])
    doc.add_heading(title, level=0)
    doc.add_paragraph(subtitle)
    if notice:
        doc.add_paragraph(notice).runs[0].bold = True
    doc.add_paragraph("Contents").runs[0].bold = True
    headings = [
        text
        for endpoint, items in sections
        for text in [endpoint.capitalize(), *[f"    {item.heading}" for item in items if not _is_figure(item)]]
    ] + ["Appendix: comparison with the publication"]
    _toc_field(doc.add_paragraph(), headings)
    update = OxmlElement("w:updateFields")  # Word fills the contents when it opens the file
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)
    for endpoint, items in sections:
        doc.add_heading(endpoint.capitalize(), level=1)
        for item in items:
            if _is_figure(item):
                doc.add_picture(str(item.png), width=Inches(6.2))
                doc.add_paragraph(item.caption, style="Caption")
                continue
            doc.add_heading(item.heading, level=2)
            frame = item.table.frame()
            add_docx_table(doc, table_cells(frame), relative_widths(frame))
            for note in [*item.notes, item.provenance or ""]:
                if note:
                    doc.add_paragraph(note).runs[0].font.size = Pt(FONT_SIZE - 1)
    doc.add_heading("Appendix: comparison with the publication", level=1)
    add_docx_table(doc, table_cells(appendix), relative_widths(appendix.astype(str)))
    doc.core_properties.title = title
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def _toc_field(paragraph, headings: list[str]) -> None:
    """A table-of-contents field (headings 1-2, as links) whose shown text, until Word updates it
    with page numbers, is the list of ``headings`` (what a reader that does not update fields,
    LibreOffice, shows)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None)):
        if kind is None:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
    for number, heading in enumerate(headings):
        run = paragraph.add_run(heading)
        if number + 1 < len(headings):
            run.add_break()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def write_book_pdf(
    title: str, subtitle: str, notice: str, sections: Sections, appendix: pd.DataFrame, path: Path
) -> Path:
    """The book as PDF (A4), with a table of contents and bookmarks."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import BaseDocTemplate, Frame, Image, PageTemplate, Paragraph, Spacer, Table, TableStyle
    from reportlab.platypus.tableofcontents import TableOfContents

    styles = getSampleStyleSheet()
    h1 = ParagraphStyle("H1", parent=styles["Heading1"], fontSize=14)
    h2 = ParagraphStyle("H2", parent=styles["Heading2"], fontSize=11)
    body = ParagraphStyle("Body", parent=styles["BodyText"], fontSize=FONT_SIZE, leading=FONT_SIZE + 2)
    note = ParagraphStyle(
        "Note", parent=body, fontSize=FONT_SIZE - 1.5, leading=FONT_SIZE, textColor=colors.HexColor("#555555")
    )
    cell = ParagraphStyle("Cell", parent=body, fontSize=FONT_SIZE - 1, leading=FONT_SIZE + 0.5)
    head = ParagraphStyle("Head", parent=cell, fontName="Helvetica-Bold")

    class Book(BaseDocTemplate):
        def afterFlowable(self, flowable):  # noqa: N802 (reportlab's hook)
            if isinstance(flowable, Paragraph) and flowable.style.name in ("H1", "H2"):
                level = 0 if flowable.style.name == "H1" else 1
                key = f"h{self.seq.nextf('heading')}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level)
                self.notify("TOCEntry", (level, flowable.getPlainText(), self.page, key))

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(A4[0] - 1.5 * cm, 1 * cm, f"Page {document.page}")
        canvas.drawString(1.5 * cm, 1 * cm, title[:110])
        canvas.restoreState()

    path.parent.mkdir(parents=True, exist_ok=True)
    document = Book(
        str(path), pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
        bottomMargin=1.8 * cm, title=title, invariant=1, pageCompression=0,
    )  # fmt: skip
    frame = Frame(document.leftMargin, document.bottomMargin, document.width, document.height, id="body")
    document.addPageTemplates([PageTemplate("page", [frame], onPage=footer)])
    toc = TableOfContents()
    toc.levelStyles = [
        ParagraphStyle("TOC1", fontSize=10, leading=13, leftIndent=0),
        ParagraphStyle("TOC2", fontSize=8.5, leading=10.5, leftIndent=14),
    ]

    def table_of(rows: list[list[str]], widths: list[int], depths: list[int] | None = None) -> Table:
        total = sum(widths)
        column_widths = [document.width * w / total for w in widths]
        data = [[Paragraph(html.escape(text), head) for text in rows[0]]]
        for number, row in enumerate(rows[1:]):
            indent = 8 * (depths[number] if depths else 0)
            data.append(
                [Paragraph(html.escape(text), ParagraphStyle(f"c{indent}", parent=cell, leftIndent=indent) if i == 0 else cell)
                 for i, text in enumerate(row)]
            )  # fmt: skip
        table = Table(data, colWidths=column_widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3f8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return table

    story = [Paragraph(html.escape(title), styles["Title"]), Paragraph(html.escape(subtitle), body)]
    if notice:
        story.append(Paragraph(f"<b>{html.escape(notice)}</b>", body))
    story += [Spacer(1, 0.4 * cm), Paragraph("Contents", styles["Heading2"]), toc]
    for endpoint, items in sections:
        story.append(Paragraph(html.escape(endpoint.capitalize()), h1))
        for item in items:
            if _is_figure(item):
                story.append(_image(Image, item.png, document.width))
                story.append(Paragraph(html.escape(item.caption), note))
                continue
            story.append(Paragraph(html.escape(item.heading), h2))
            frame_ = item.table.frame()
            rows = [[c if c else "" for c in [""] + item.table.columns]] + [
                [row.label, *row.texts()] for row in item.table.rows
            ]
            story.append(table_of(rows, relative_widths(frame_), [row.depth for row in item.table.rows]))
            story += [Paragraph(html.escape(n), note) for n in [*item.notes, item.provenance or ""] if n]
    story.append(Paragraph("Appendix: comparison with the publication", h1))
    story.append(table_of(table_cells(appendix), relative_widths(appendix.astype(str))))
    document.multiBuild(story)
    return path


def _image(image_class, png: Path, width: float):
    """A figure at the text width, its aspect kept."""
    from PIL import Image as PILImage

    with PILImage.open(png) as picture:
        w, h = picture.size
    return image_class(str(png), width=width, height=width * h / w)
