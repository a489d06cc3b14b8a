"""The battery of bad inputs, shared parts: how a case is described and how a copy of the demo
extracts is broken, as a hospital export would break it.

``tests/test_bad_inputs.py`` runs every :class:`Case` of its own list and of the topic modules
``tests/battery_*.py`` (each exports ``CASES``) under policy fail and, for a problem confined
to a row, under policy quarantine: the row set aside, or, for an identifier in a column the
analysis does not use (``masked``), the cell masked and the row kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

TODAY = date(2026, 11, 22)


def edit_line(path: Path, line: int, old: str, new: str, encoding: str = "utf-8") -> None:
    """Replace text on one line (1-based, header = line 1) of a CSV/TSV file."""
    lines = path.read_bytes().decode(encoding).splitlines(keepends=True)
    assert old in lines[line - 1], (old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_bytes("".join(lines).encode(encoding))


def append_line(path: Path, copy_of: int, encoding: str = "utf-8", change: tuple[str, str] | None = None) -> None:
    lines = path.read_bytes().decode(encoding).splitlines(keepends=True)
    extra = lines[copy_of - 1]
    if change:
        extra = extra.replace(*change, 1)
    if not lines[-1].endswith("\n"):
        lines[-1] += "\r\n"
    path.write_bytes(("".join(lines) + extra).encode(encoding))


def edit_workbook(path: Path, sheet: str, change: Callable) -> None:
    workbook = load_workbook(path)
    change(workbook[sheet])
    workbook.save(path)


def add_column(path: Path, name: str, values: list[str], encoding: str = "utf-8") -> None:
    lines = path.read_bytes().decode(encoding).splitlines()
    lines = [line + "," + (name if i == 0 else values[(i - 1) % len(values)]) for i, line in enumerate(lines)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


@dataclass
class Case:
    """One kind of bad input: where it is, how it is made, what the message must say."""

    kind: str
    site: str
    domain: str
    file: str
    breaks: Callable[[Path], None]
    expected: list[str]
    row: int | None = None  # the source row a quarantine moves aside (None: the file fails whatever the policy)
    secret: str | None = None  # an identifier that must appear in no message
    # an identifier in a column the analysis does not use: quarantine masks the cell, lists the
    # finding at ``row`` and keeps the row (its clinical data are sound)
    masked: bool = False


IN02 = "IN02"
AE = "IN02/IN02_adverse_events.csv"
DOSES = "IN02/IN02_ino_doses.csv"
MARROW = "IN02/IN02_bone_marrow.csv"
PATIENTS = "IN02/IN02_patients.csv"
IN03_MARROW = "IN03/ALL_InO_marrow.csv"
IN04_BOOK = "IN04/IN04_ino_database.xlsx"
IN05_MARROW = "IN05/his_export_marrow.txt"
