"""Battery topic: identifiers in free text, a name typed into a coded column, and where ingest
says a problem is (a formula without its value, a quote left open, rows after a multi-line
cell).

``CASES`` are run by tests/test_bad_inputs.py: policy fail stops with the message parts below
and the ``secret`` appears in no message and no finding; policy quarantine sets ``row`` aside.

``MASKED_CASES`` (``masked=True``, part of ``CASES``) are identifiers in a column the analysis
does not use (declared free text, a column the dialect does not declare): policy fail stops as
for the others; policy quarantine masks the cell, lists the finding at ``row`` and keeps the
row (its clinical data are sound).
"""

from __future__ import annotations

from pathlib import Path

from battery import AE, IN02, IN04_BOOK, PATIENTS, Case, add_column, edit_line, edit_workbook

FOLLOWUP = "IN02/IN02_followup.csv"
REMARK = "synthetic demo record"  # the Remarks cell of every row of IN02's patients file (declared free_text)


def remark(row: int, text: str):
    """Write ``text`` into the Remarks cell of one row of IN02's patients file."""

    def breaks(root: Path) -> None:
        edit_line(root / PATIENTS, row, REMARK, text)

    return breaks


def _formula_without_value(root: Path) -> None:
    def formula(sheet):
        sheet["F5"] = "=F4+1"  # openpyxl writes the formula without a calculated value

    edit_workbook(root / IN04_BOOK, "baseline", formula)


def _unterminated_quote(root: Path) -> None:
    edit_line(root / AE, 5, "02-0002,FN,", '02-0002,"FN,')


def _multi_line_cell_then_a_bad_date(root: Path) -> None:
    edit_line(root / PATIENTS, 2, REMARK, '"synthetic demo record,\r\nsecond line of the remark"')
    lines = (root / PATIENTS).read_bytes().decode("utf-8").splitlines(keepends=True)
    # physical line 7 is the spreadsheet's row 6 (the two-line cell of row 2 counted once)
    lines[6] = lines[6].replace(lines[6].split(",")[6], "31/02/2016", 1)
    (root / PATIENTS).write_bytes("".join(lines).encode("utf-8"))


def _quoted(where: str) -> str:
    return f"site IN02, file IN02/IN02_patients.csv, {where}, column 'Remarks'"


CASES = [
    Case(
        "identifier: a name on the site's list typed into a coded column",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 3, "aGVHD", "Farzana Qureshi"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 3, column 'AE term'",
            "a name on the site's name list) [identifier kind: person_name]",
        ],
        row=3,
        secret="Qureshi",
    ),
    Case(
        "identifier: a name typed into the cause of death",
        IN02,
        "followup",
        FOLLOWUP,
        lambda root: edit_line(root / FOLLOWUP, 4, "Progression of leukaemia", "Suresh Babu"),
        [
            "site IN02, file IN02/IN02_followup.csv, row 4, column 'Cause of death', value 'S***** B***': "
            "DEATH_CAUSE must be a term of the death_causes vocabulary"
        ],
        row=4,
        secret="Suresh",
    ),
    Case(
        "Excel formula without a calculated value",
        "IN04",
        "patients",
        IN04_BOOK,
        _formula_without_value,
        [
            "site IN04, file IN04/IN04_ino_database.xlsx, sheet 'baseline', row 5, column 'cd22_pct': "
            "formula without a calculated value"
        ],
    ),
    Case(
        "a quote left open, reported where it opens",
        IN02,
        "adverse_events",
        AE,
        _unterminated_quote,
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 5: a quote opened in this row is not closed: "
            "the file ends inside it (the cell runs from line 5 to the end of the file, line 27)"
        ],
    ),
    Case(
        "rows after a multi-line cell numbered as a spreadsheet shows them",
        IN02,
        "patients",
        PATIENTS,
        _multi_line_cell_then_a_bad_date,
        [
            "site IN02, file IN02/IN02_patients.csv, row 6, column 'Diagnosis date', value '31/02/2016': "
            "DIAG_DATE must be a calendar date written dd/mm/yyyy"
        ],
        row=6,
    ),
]

MASKED_CASES = [
    Case(
        "identifier: a bare person name in a remarks column",
        IN02,
        "patients",
        PATIENTS,
        remark(3, "brother Ramesh Kumar informed"),
        [_quoted("row 3"), "capitalised words that are not clinical words) [identifier kind: person_name]"],
        row=3,
        secret="Ramesh",
        masked=True,
    ),
    Case(
        "identifier: a mobile number written with a dot",
        IN02,
        "patients",
        PATIENTS,
        remark(4, "son on 98450.12345"),
        [_quoted("row 4"), "(1 cell matches: Indian mobile number) [identifier kind: phone]"],
        row=4,
        secret="98450.12345",
        masked=True,
    ),
    Case(
        "identifier: an Italian number with +39",
        IN02,
        "patients",
        PATIENTS,
        remark(2, "figlia al +39 06 6859 1234"),
        [_quoted("row 2"), "Italian number with +39", "[identifier kind: phone]"],
        row=2,
        secret="6859",
        masked=True,
    ),
    Case(
        "identifier: an Italian mobile number written with dots",
        IN02,
        "patients",
        PATIENTS,
        remark(8, "cell. 347.123.4567"),
        [_quoted("row 8"), "Italian mobile number", "[identifier kind: phone]"],
        row=8,
        secret="347.123.4567",
        masked=True,
    ),
    Case(
        "identifier: a codice fiscale in free text",
        IN02,
        "patients",
        PATIENTS,
        remark(5, "CF RSSMRA85T10A562S"),
        [_quoted("row 5"), "[identifier kind: codice_fiscale]"],
        row=5,
        secret="RSSMRA85T10A562S",
        masked=True,
    ),
    Case(
        "identifier: a PAN in free text",
        IN02,
        "patients",
        PATIENTS,
        remark(6, "PAN ABCPK1234F on file"),
        [_quoted("row 6"), "(1 cell matches: PAN) [identifier kind: other_national_id]"],
        row=6,
        secret="ABCPK1234F",
        masked=True,
    ),
    Case(
        "identifier: an Aadhaar number in free text",
        IN02,
        "patients",
        PATIENTS,
        remark(7, "aadhaar 2345-6789-0123 verified"),
        [_quoted("row 7"), "[identifier kind: aadhaar]"],
        row=7,
        secret="6789",
        masked=True,
    ),
    Case(
        "identifier: a street address in free text",
        IN02,
        "patients",
        PATIENTS,
        remark(3, '"lives at #45, 2nd Cross, Indiranagar"'),
        [_quoted("row 3"), "Indian cross / main / block address", "[identifier kind: address]"],
        row=3,
        secret="Indiranagar",
        masked=True,
    ),
    Case(
        "identifier: a staff name from the site's name list",
        IN02,
        "patients",
        PATIENTS,
        remark(4, "reviewed by ekambaram"),
        [_quoted("row 4"), "(1 cell matches: a name on the site's name list) [identifier kind: person_name]"],
        row=4,
        secret="ekambaram",
        masked=True,
    ),
    Case(
        "identifier: a phone number in a column the dialect does not declare",
        IN02,
        "patients",
        PATIENTS,
        lambda root: add_column(root / PATIENTS, "Informant", ["mother", "9845012345"]),
        ["site IN02, file IN02/IN02_patients.csv, row 3, column 'Informant'", "[identifier kind: phone]"],
        row=3,
        secret="9845012345",
        masked=True,
    ),
]

CASES = CASES + MASKED_CASES
