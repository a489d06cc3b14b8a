"""The battery of bad inputs: each kind of broken extract ends in its own message naming the
site, file, row, column and rule (policy fail), and nothing is written; a problem confined
to a row is quarantined instead under policy quarantine, and every row read is accounted for.

Each case starts from a copy of the shipped demo extracts and breaks one thing, as a
hospital export would. Problems with a whole file (its encoding, layout, header, a missing
file) fail under either policy: there is no row to set aside.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
from battery import (
    AE,
    DOSES,
    IN02,
    IN03_MARROW,
    IN04_BOOK,
    IN05_MARROW,
    MARROW,
    PATIENTS,
    TODAY,
    Case,
    add_column,
    append_line,
    edit_line,
    edit_workbook,
)

from inoflow.errors import ExtractError
from inoflow.extract.deid import mask_text
from inoflow.extract.process import process_extract


def _cp1252_in_utf8(root: Path) -> None:
    edit_line(root / AE, 2, "UTI", "Fièvre")
    text = (root / AE).read_text(encoding="utf-8")
    (root / AE).write_bytes(text.encode("cp1252"))


def _latin1_in_utf8(root: Path) -> None:
    edit_line(root / PATIENTS, 2, "synthetic demo record", "señora, synthetic demo record")
    (root / PATIENTS).write_bytes((root / PATIENTS).read_text(encoding="utf-8").encode("latin-1"))


def _bom_in_cp1252(root: Path) -> None:
    path = root / IN03_MARROW
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().decode("cp1252").encode("utf-8"))


def _semicolons(root: Path) -> None:
    path = root / MARROW
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [line.replace(",", ";") for line in lines]
    lines[2] = lines[2].replace("2.2", "2,2")  # decimal commas, as a semicolon-separated export writes them
    path.write_text("".join(lines), encoding="utf-8")


def _banner_rows(root: Path) -> None:
    def add_title(sheet):
        sheet.insert_rows(1, amount=2)
        sheet["A1"] = "InO database - exported 30/04/2023"

    edit_workbook(root / IN04_BOOK, "baseline", add_title)


def _merged_header(root: Path) -> None:
    def merge(sheet):
        sheet.merge_cells("B1:C1")

    edit_workbook(root / IN04_BOOK, "baseline", merge)


def _hidden_sheet(root: Path) -> None:
    def hide(sheet):
        sheet.sheet_state = "hidden"

    edit_workbook(root / IN04_BOOK, "baseline", hide)


def _missing_sheet(root: Path) -> None:
    def rename(sheet):
        sheet.title = "baseline_old"

    edit_workbook(root / IN04_BOOK, "baseline", rename)


def _truncated_workbook(root: Path) -> None:
    path = root / IN04_BOOK
    path.write_bytes(path.read_bytes()[:4000])


def _truncated_csv(root: Path) -> None:
    path = root / AE
    data = path.read_bytes().rstrip(b"\r\n")
    path.write_bytes(data[: data.rindex(b",", 0, data.rindex(b",") - 1)])


OWN_CASES = [
    Case(
        "cp1252 text in a file declared utf-8",
        IN02,
        "adverse_events",
        AE,
        _cp1252_in_utf8,
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2: text is not valid utf-8 (declared encoding in the "
            "site dialect): byte 0xe8 cannot be read"
        ],
    ),
    Case(
        "latin-1 text in a file declared utf-8",
        IN02,
        "patients",
        PATIENTS,
        _latin1_in_utf8,
        [
            "site IN02, file IN02/IN02_patients.csv, row 2: text is not valid utf-8 (declared encoding in the "
            "site dialect): byte 0xf1 cannot be read"
        ],
    ),
    Case(
        "UTF-8 with a byte-order mark in a file declared cp1252",
        "IN03",
        "assessments",
        IN03_MARROW,
        _bom_in_cp1252,
        ["site IN03, file IN03/ALL_InO_marrow.csv, row 1: the file starts with a UTF-8 byte-order mark"],
    ),
    Case(
        "semicolon delimiter with decimal commas",
        IN02,
        "assessments",
        MARROW,
        _semicolons,
        [
            "site IN02, file IN02/IN02_bone_marrow.csv, row 1: the header is one field containing semicolons: "
            "the file looks semicolon-separated but the dialect declares delimiter ','"
        ],
    ),
    Case(
        "Excel with title rows above the header",
        "IN04",
        "patients",
        IN04_BOOK,
        _banner_rows,
        [
            "site IN04, file IN04/IN04_ino_database.xlsx, sheet 'baseline', row 1: the header row 1 holds none of "
            "the columns the dialect declares; they are in row 3: are there title rows above the header? "
            "(declare header_row: 3)"
        ],
    ),
    Case(
        "Excel header with merged cells",
        "IN04",
        "patients",
        IN04_BOOK,
        _merged_header,
        [
            "site IN04, file IN04/IN04_ino_database.xlsx, sheet 'baseline', row 1, column '#3': "
            "header cell is empty (merged or missing column name)"
        ],
    ),
    Case(
        "Excel sheet hidden",
        "IN04",
        "patients",
        IN04_BOOK,
        _hidden_sheet,
        ["site IN04, file IN04/IN04_ino_database.xlsx, sheet 'baseline': the sheet is hidden in the workbook"],
    ),
    Case(
        "Excel sheet missing",
        "IN04",
        "patients",
        IN04_BOOK,
        _missing_sheet,
        ["site IN04, file IN04/IN04_ino_database.xlsx, sheet 'baseline': sheet not found; the workbook has"],
    ),
    Case(
        "truncated Excel workbook",
        "IN04",
        "patients",
        IN04_BOOK,
        _truncated_workbook,
        ["site IN04, file IN04/IN04_ino_database.xlsx, sheet 'baseline': not a readable Excel workbook"],
    ),
    Case(
        "truncated CSV (last line cut short)",
        IN02,
        "adverse_events",
        AE,
        _truncated_csv,
        ["site IN02, file IN02/IN02_adverse_events.csv, row 27: row has 5 fields but the header has 7"],
    ),
    Case(
        "empty file",
        IN02,
        "adverse_events",
        AE,
        lambda root: (root / AE).write_bytes(b""),
        ["site IN02, file IN02/IN02_adverse_events.csv: file is empty"],
    ),
    Case(
        "missing domain file",
        IN02,
        "transplants",
        "IN02/IN02_hsct.csv",
        lambda root: (root / "IN02/IN02_hsct.csv").unlink(),
        ["site IN02, file IN02/IN02_hsct.csv: the transplants file declared in IN02.yaml is missing"],
    ),
    Case(
        "missing column",
        IN02,
        "adverse_events",
        AE,
        lambda root: (root / AE).write_text(
            "\n".join(",".join(line.split(",")[:6]) for line in (root / AE).read_text().splitlines()) + "\n"
        ),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, column 'Serious': "
            "column declared in the site dialect is missing from the file"
        ],
    ),
    Case(
        "column name twice in the header",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 1, "End date", "Start date"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 1, column 'Start date': "
            "column name appears twice in the header"
        ],
    ),
    Case(
        "date in another format than declared",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, "11/08/2017", "2017-08-11"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'Start date', value '2017-08-11': "
            "AE_START must be a calendar date written dd/mm/yyyy; it reads as yyyy-mm-dd"
        ],
        row=2,
    ),
    Case(
        "day and month swapped (ambiguous format)",
        "IN05",
        "assessments",
        IN05_MARROW,
        lambda root: edit_line(root / IN05_MARROW, 3, "03/17/2019", "17/03/2019"),
        [
            "site IN05, file IN05/his_export_marrow.txt, row 3, column 'BM_DT', value '17/03/2019': "
            "ASSESS_DATE must be a calendar date written mm/dd/yyyy; it reads as dd/mm/yyyy: "
            "is the declared format wrong, or does the column mix formats?"
        ],
        row=3,
    ),
    Case(
        "31 February",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, "11/08/2017", "31/02/2017"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'Start date', value '31/02/2017': "
            "AE_START must be a calendar date written dd/mm/yyyy"
        ],
        row=2,
    ),
    Case(
        "date in the future",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, "13/08/2017", "13/08/2027"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'End date', value '13/08/2027': "
            "AE_END 2027-08-13 is after the day of the run (2026-11-22): a date in the future"
        ],
        row=2,
    ),
    Case(
        "negative value",
        IN02,
        "assessments",
        MARROW,
        lambda root: edit_line(root / MARROW, 2, ",2.16,", ",-2.16,"),
        [
            "site IN02, file IN02/IN02_bone_marrow.csv, row 2, column 'ANC x10^9/L', value '-2.16': "
            "ANC -2.16 10^9/L is outside the plausible range 0-100 10^9/L"
        ],
        row=2,
    ),
    Case(
        "out-of-range value",
        IN02,
        "assessments",
        MARROW,
        lambda root: edit_line(root / MARROW, 2, "02-0001,27/06/2017,27,", "02-0001,27/06/2017,127,"),
        [
            "site IN02, file IN02/IN02_bone_marrow.csv, row 2, column 'Blasts %', value '127': "
            "BM_BLASTS 127 % is outside the plausible range 0-100 %"
        ],
        row=2,
    ),
    Case(
        "grade outside 1-5",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, ",2,No,No", ",7,No,No"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'Grade', value '7': "
            "GRADE 7 is outside the plausible range 1-5"
        ],
        row=2,
    ),
    Case(
        "text in a numeric column",
        IN02,
        "dosing",
        DOSES,
        lambda root: edit_line(root / DOSES, 2, ",0.92,", ",0.92 mg,"),
        [
            "site IN02, file IN02/IN02_ino_doses.csv, row 2, column 'Dose given (mg)', value '0.92 mg': "
            "DOSE must be a number with decimal separator '.'"
        ],
        row=2,
    ),
    Case(
        "a unit that does not fit the values",
        "IN03",
        "assessments",
        IN03_MARROW,
        lambda root: edit_line(root / IN03_MARROW, 2, ",2280,1.22,", ",2280,122,", encoding="cp1252"),
        [
            "site IN03, file IN03/ALL_InO_marrow.csv, row 2, column 'Platelets (lakh/cumm)', value '122': "
            "PLATELETS 12200 10^9/L is outside the plausible range 0-2000 10^9/L "
            "(config/contract.yaml, config/units.yaml): is the value or its declared unit wrong?"
        ],
        row=2,
    ),
    Case(
        "a dose implausible once divided by BSA",
        IN02,
        "dosing",
        DOSES,
        lambda root: edit_line(root / DOSES, 2, ",0.92,", ",9.2,"),
        [
            "site IN02, file IN02/IN02_ino_doses.csv, row 2, column 'Dose given (mg) / BSA (m2)', value '9.2': "
            "DOSE 5 mg/m2 is outside the plausible range 0.1-1 mg/m2"
        ],
        row=2,
    ),
    Case(
        "a unit with no conversion",
        IN02,
        "labs",
        "IN02/IN02_labs_long.csv",
        lambda root: edit_line(root / "IN02/IN02_labs_long.csv", 2, ",26,U/L,", ",26,mmol/L,"),
        [
            "site IN02, file IN02/IN02_labs_long.csv, row 2, column 'Unit', value 'mmol/L': "
            "UNIT has no conversion to the test's standard unit in config/units.yaml"
        ],
        row=2,
    ),
    Case(
        "a quote left open in the last column swallows the rows after it",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 20, ",Yes,No\r\n", ',Yes,"No\r\n'),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 20: a quote opened in this row is not closed: the "
            "file ends inside it (the cell runs from line 20 to the end of the file, line 27), so the rows after it "
            "cannot be read"
        ],
    ),
    Case(
        "duplicate row",
        IN02,
        "adverse_events",
        AE,
        lambda root: append_line(root / AE, 2),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 28, column 'Patient ID, AE term, Start date', "
            "value '02-0001 | UTI | 2017-08-11': duplicate row: is an exact copy of row 2 "
            "(one adverse_events record per SUBJID, AE_TERM, AE_START)"
        ],
        row=28,
    ),
    Case(
        "one subject twice in the patients file",
        IN02,
        "patients",
        PATIENTS,
        lambda root: append_line(root / PATIENTS, 2, change=("02-0001,36,", "02-0001,37,")),
        [
            "site IN02, file IN02/IN02_patients.csv, row 9, column 'Patient ID', value '02-0001': "
            "duplicate row: repeats the key SUBJID of row 2 (one patients record per SUBJID)"
        ],
        row=9,
    ),
    Case(
        "an unmapped code",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, ",2,No,No", ",2,Possibly,No"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'InO related', value 'Possibly': "
            "RELATED must be one of the declared codes ['No', 'Yes']"
        ],
        row=2,
    ),
    Case(
        "an adverse-event term outside the vocabulary",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, "UTI", "Felt odd"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'AE term', value 'F*** o**': "
            "AE_TERM must be a term of the ae_terms vocabulary (or a site synonym)"
        ],
        row=2,
    ),
    Case(
        "a required cell left empty",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, "UTI", ""),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'AE term': "
            "AE_TERM is required but the cell is empty"
        ],
        row=2,
    ),
    Case(
        "identifier: a patient-name column",
        IN02,
        "patients",
        PATIENTS,
        lambda root: add_column(root / PATIENTS, "Patient name", ["Ramesh Kumar", "Sunita Devi"]),
        ["site IN02, file IN02/IN02_patients.csv, column 'Patient name'", "[identifier kind: person_name]"],
        secret="Ramesh",
    ),
    Case(
        "identifier: a mobile number in a free-text cell",
        IN02,
        "patients",
        PATIENTS,
        lambda root: edit_line(root / PATIENTS, 3, "synthetic demo record", "son reachable on 98450 12345"),
        ["site IN02, file IN02/IN02_patients.csv, row 3, column 'Remarks'", "[identifier kind: phone]"],
        row=3,
        secret="12345",
        masked=True,
    ),
    Case(
        "identifier: an e-mail address",
        IN02,
        "patients",
        PATIENTS,
        lambda root: edit_line(root / PATIENTS, 2, "synthetic demo record", "mail ramesh.k@example.in"),
        ["site IN02, file IN02/IN02_patients.csv, row 2, column 'Remarks'", "[identifier kind: email]"],
        row=2,
        secret="ramesh.k",
        masked=True,
    ),
    Case(
        "identifier: an Aadhaar number",
        IN02,
        "patients",
        PATIENTS,
        lambda root: add_column(root / PATIENTS, "Aadhaar", ["2345 6789 0123"]),
        ["site IN02, file IN02/IN02_patients.csv, column 'Aadhaar'", "[identifier kind: aadhaar]"],
        secret="6789",
    ),
    Case(
        "identifier: a hospital record number",
        IN02,
        "patients",
        PATIENTS,
        lambda root: add_column(root / PATIENTS, "UHID", ["KMC1234567"]),
        ["site IN02, file IN02/IN02_patients.csv, column 'UHID'", "[identifier kind: medical_record_number]"],
        secret="KMC1234567",
    ),
    Case(
        "identifier: an exact birth date where the study keeps the year",
        "IN03",
        "patients",
        "IN03/ALL_InO_patients.csv",
        lambda root: (
            edit_line(root / "IN03/ALL_InO_patients.csv", 1, "Year of birth", "Date of birth", encoding="cp1252")
            or edit_line(root / "IN03/ALL_InO_patients.csv", 2, ",1998,", ",14-Mar-1998,", encoding="cp1252")
        ),
        ["site IN03, file IN03/ALL_InO_patients.csv, row 2, column 'Date of birth'", "[identifier kind: birth_date]"],
        secret="14-Mar",
    ),
]


# the topic modules tests/battery_*.py, each with its own CASES
TOPICS = sorted(p.stem for p in Path(__file__).parent.glob("battery_*.py"))
CASES: list[Case] = OWN_CASES + [c for topic in TOPICS for c in importlib.import_module(topic).CASES]


@pytest.fixture
def extracts(demo_extracts, tmp_path):
    shutil.copytree(demo_extracts, tmp_path / "extracts")
    return tmp_path / "extracts"


# Kinds that show only across files, across cuts or in a whole run: each has its own test with
# its exact outcome, named here so that the battery lists every kind in one place.
ACROSS_FILES = {
    "the same patient sent by two sites": "test_bad_inputs.py::test_the_same_patient_sent_by_two_sites_stops_a_cut_under_policy_fail",
    "a record of a patient not in the site's patient list": "test_cross_checks.py::test_an_orphan_record_names_the_patient_the_file_and_the_row",
    "an empty patient list": "test_cross_checks.py::test_an_empty_patient_list_is_named_with_each_file_left_without_patients",
    "a patient row set aside, its records left behind": "test_cross_checks.py::test_a_patient_row_set_aside_by_the_quarantine_is_named_by_the_records_it_leaves",
    "a slip in the year: before the diagnosis": "test_cross_checks.py::test_a_slip_in_the_year_before_the_diagnosis",
    "a slip in the year: outside the study window": "test_cross_checks.py::test_a_slip_in_the_year_outside_the_study_window",
    "a date before the patient's birth": "test_cross_checks.py::test_a_date_before_the_patients_birth",
    "day and month swapped, valid both ways, against the patient's timeline": "test_cross_checks.py::test_day_and_month_typed_the_other_way_round_against_the_patients_timeline",
    "a patient resent under a new id": "test_cross_checks.py::test_a_patient_resent_under_a_new_id_is_found",
    "a patient of the previous cut left out": "test_cross_checks.py::test_a_patient_of_the_previous_cut_left_out_is_found",
    "a file resent with its header only (common model)": "test_cross_checks.py::test_a_file_resent_with_its_header_only_or_most_rows_missing_is_found",
    "a file resent with its header only (reconciliation)": "test_reconcile.py::test_a_file_that_had_rows_and_now_has_none_is_not_balanced",
    "an orphan adverse event at the ADaM stage": "test_adam_messages.py::test_an_adverse_event_of_a_patient_missing_from_the_patient_list_is_reported_as_such",
    "an ADaM-stage stop without a source row of its own": "test_adam_messages.py::test_a_record_with_srcdom_and_srcseq_names_its_source_record",
    "a failed rerun with earlier results in place": "test_failed_run.py::test_a_failed_rerun_moves_the_out_of_date_results_aside_and_the_next_run_rebuilds_them",
    "a locked cut's dialect changed": "test_lock.py::test_a_changed_dialect_of_a_locked_cut_refuses_to_run_until_relocked",
    "a locked cut's definitions changed": "test_lock.py::test_a_changed_definition_refuses_naming_the_file",
    "a locked cut's code changed": "test_lock.py::test_a_changed_engine_module_refuses_naming_the_module",
    "a lock manifest edited by hand": "test_lock.py::test_a_hand_edited_manifest_is_detected",
    "a corrupted cache entry": "test_cache.py::test_the_workflow_restores_the_right_bytes_and_recomputes_a_corrupted_entry",
    "a run killed with kill -9": "test_runlock.py::test_the_run_command_recovers_after_a_kill",
    "identifiers of every kind planted in one cut": "test_identifier_leaks.py::test_no_planted_identifier_reaches_results_logs_cache_or_bundle",
}


def test_each_kind_shown_elsewhere_has_its_test():
    for kind, where in ACROSS_FILES.items():
        module, name = where.split("::")
        source = (Path(__file__).parent / module).read_text(encoding="utf-8")
        assert f"\ndef {name}(" in source, (kind, where)


def test_the_battery_has_at_least_sixty_kinds():
    """Each kind once, across this module, the topic modules (tests/battery_*.py) and the kinds
    with a test of their own."""
    kinds = [c.kind for c in CASES] + list(ACROSS_FILES)
    assert len(kinds) == len(set(kinds))
    assert len(kinds) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_policy_fail_stops_with_a_message_naming_where_and_which_rule(case, india, extracts):
    case.breaks(extracts)
    with pytest.raises(ExtractError) as error:
        process_extract(india.sites[case.site], case.domain, extracts, "fail", TODAY)
    message = str(error.value)
    for expected in case.expected:
        assert expected in message
    assert "Traceback" not in message
    if case.secret:
        assert case.secret not in message
        assert all(case.secret not in f.value for f in error.value.findings)
    if case.masked:  # an identifier: the finding names the cell, never its value
        assert all(f.value == "" for f in error.value.findings if "[identifier kind: " in f.rule)


@pytest.mark.parametrize("case", [c for c in CASES if c.row is not None and not c.masked], ids=lambda c: c.kind)
def test_policy_quarantine_sets_the_row_aside_and_accounts_for_every_row(case, india, extracts):
    case.breaks(extracts)
    stages = process_extract(india.sites[case.site], case.domain, extracts, "quarantine", TODAY)
    rejected = stages.validation.rejected
    assert case.row in rejected["SRCROW"].tolist()
    reason = rejected.loc[rejected["SRCROW"] == case.row, "REJECT_REASON"].iloc[0]
    assert reason  # the reason travels with the row
    read_rows = set(stages.read.column("SRCROW").to_pylist())
    accepted = set(stages.validation.accepted["SRCROW"])
    assert accepted.isdisjoint(rejected["SRCROW"])
    assert accepted | set(rejected["SRCROW"]) == read_rows  # rows in = rows out + rows rejected
    assert case.row not in set(stages.harmonised["SRCROW"])
    assert set(stages.harmonised["SRCROW"]) <= accepted


@pytest.mark.parametrize("case", [c for c in CASES if c.row is None], ids=lambda c: c.kind)
def test_problems_with_a_whole_file_fail_under_quarantine_too(case, india, extracts):
    case.breaks(extracts)
    with pytest.raises(ExtractError):
        process_extract(india.sites[case.site], case.domain, extracts, "quarantine", TODAY)


@pytest.mark.parametrize("case", [c for c in CASES if c.masked], ids=lambda c: c.kind)
def test_policy_quarantine_masks_an_identifier_and_keeps_the_row(case, india, extracts, caplog):
    """An identifier in a column the analysis does not use: the cell is masked wherever it is
    written (as read, accepted), the finding lists the cell without the value, and the row's
    clinical data are kept; every row read is accounted for."""
    case.breaks(extracts)
    stages = process_extract(india.sites[case.site], case.domain, extracts, "quarantine", TODAY)
    findings = stages.validation.findings
    listed = findings[(findings["row"] == case.row) & findings["rule"].str.contains(r"\[identifier kind: ")]
    assert len(listed) == 1 and listed["value"].tolist() == [""]
    assert case.row in set(stages.validation.accepted["SRCROW"])
    assert case.row in set(stages.harmonised["SRCROW"])
    assert stages.validation.rejected.empty
    assert set(stages.validation.accepted["SRCROW"]) == set(stages.read.column("SRCROW").to_pylist())
    written = [stages.read.to_pandas(), stages.validation.accepted, stages.validation.rejected, findings]
    assert not any(case.secret in str(v) for frame in written for v in frame.to_numpy().ravel())
    assert case.secret not in caplog.text
    column = listed["column"].iloc[0]
    if column in stages.read.column_names:  # a declared column: kept, masked
        read = stages.read.to_pandas()
        cell = read.loc[read["SRCROW"] == case.row, column].iloc[0]
        assert cell == mask_text(cell) and "*" in cell
    else:  # a column the dialect does not declare: dropped
        assert column not in stages.validation.accepted.columns


def test_a_byte_order_mark_in_a_file_declared_utf8_is_read(india, extracts):
    """Not an error: a BOM is how many tools start a UTF-8 file; the header is read without it."""
    as_sent = process_extract(india.sites[IN02], "adverse_events", extracts, "fail", TODAY).harmonised
    path = extracts / AE
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    stages = process_extract(india.sites[IN02], "adverse_events", extracts, "fail", TODAY)
    assert stages.read.column_names[0] == "Patient ID"
    assert stages.harmonised.drop(columns="SRCSHA256").equals(as_sent.drop(columns="SRCSHA256"))


def test_the_same_patient_sent_by_two_sites_stops_a_cut_under_policy_fail(india, extracts):
    """Across sites, a patient is recognised by sex, diagnosis date and first InO dose: IN05's
    05/102 given IN01's P001's dates. The cross-record check finds both records; under policy
    fail the cut gets no book, the message naming site, file, row, column and rule."""
    from inoflow.model.quality import check_common_model
    from inoflow.pipeline import build_common_model, harmonise_cut
    from inoflow.tables.book import DataQualityError, check_data_quality_gate

    edit_line(extracts / "IN05/his_export_demographics.txt", 3, "07/21/2018", "08/06/2014")
    edit_line(extracts / "IN05/his_export_chemo_admin.txt", 5, "06/06/2020", "05/25/2017")
    findings, _ = check_common_model(build_common_model(india, harmonise_cut(india, extracts)))
    with pytest.raises(DataQualityError) as error:
        check_data_quality_gate(findings, "fail", "data_quality/data_quality.csv")
    message = str(error.value)
    same = "same sex (M), diagnosis date (2014-08-06) and first InO dose (2017-05-25)"
    assert (
        "[plausibility] site IN05, file IN05/his_export_demographics.txt, row 3, column 'PT_NO', value '05/102': "
        f"subject 05/102 has the {same} as subject P001 of site IN01: the same patient sent by two sites?"
    ) in message
    assert "site IN01, file IN01/IN01_InO_RWE_export.xlsx, sheet 'Demographics', row 4, column 'Patient ID'" in message
    check_data_quality_gate(findings, "quarantine", "data_quality/data_quality.csv")  # interim: listed, not fatal
