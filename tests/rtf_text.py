"""A reader of the text of the RTF tables rtflite writes (for the tests): each table row's
cells, each cell's text with RTF's escapes undone (``\\{``, ``\\}``, ``\\\\``, ``\\uN*``,
``\\line``); pages split at ``\\page``."""

from __future__ import annotations

import re

_CELL = re.compile(r"\{\\f\d+ ((?:\\.|[^\\{}])*)\}\\cell")
_PARAGRAPH = re.compile(r"\{\\pard[^{}]*\{\\f\d+ ((?:\\.|[^\\{}])*)\}\\par\}")


def rtf_decode(text: str) -> str:
    text = re.sub(r"\\uc1\\u(-?\d+)\*", lambda m: chr(int(m.group(1)) % 65536), text)
    text = text.replace("\\line ", "\n")
    return re.sub(r"\\([{}\\])", r"\1", text)


def rtf_table_rows(text: str) -> list[list[str]]:
    """Every table row of ``text``, in order, as its cells' text."""
    rows = []
    for chunk in re.split(r"\\row\b", text):
        cells = [rtf_decode(c) for c in _CELL.findall(chunk)]
        if cells:
            rows.append(cells)
    return rows


def rtf_paragraphs(text: str) -> list[str]:
    """The text of every paragraph outside the tables (the title)."""
    return [rtf_decode(p) for p in _PARAGRAPH.findall(text)]


def rtf_pages(text: str) -> list[str]:
    return re.split(r"\\page\b", text)
