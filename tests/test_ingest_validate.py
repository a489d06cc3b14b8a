"""Ingest and validation on small extracts written in the shipped dialects.

Each bad input must end in an error that names the site, file, row, column, value and the
rule broken; rows the dialect declares as not data are set aside with their reason.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from inoflow.errors import ExtractError
from inoflow.extract.harmonise import harmonise_extract
from inoflow.extract.ingest import read_extract
from inoflow.extract.validate import validate_extract

AE_HEADER = "Patient ID,AE term,Start date,End date,Grade,InO related,Serious\r\n"


def write(folder: Path, site: str, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / site / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def ingest(india, tmp_path, site, domain):
    return read_extract(india.sites[site], domain, tmp_path).to_pandas()


def test_ingest_keeps_cells_as_text_with_provenance(india, tmp_path):
    write(
        tmp_path,
        "IN02",
        "IN02_adverse_events.csv",
        AE_HEADER + "02-0001,Nausea,05/03/2019,,1,No,No\r\n02-0001,FN,07/03/2019,10/03/2019,3,Yes,Yes\r\n",
    )
    table = ingest(india, tmp_path, "IN02", "adverse_events")
    assert table["Grade"].tolist() == ["1", "3"]  # text, not numbers
    assert table["SRCROW"].tolist() == [2, 3]  # the line numbers a person sees (header is line 1)
    assert table["SRCFILE"].unique().tolist() == ["IN02/IN02_adverse_events.csv"]
    assert table["SRCSHA256"].str.len().eq(64).all()


def test_impossible_date_names_site_file_row_column_value_and_rule(india, tmp_path):
    write(
        tmp_path,
        "IN02",
        "IN02_adverse_events.csv",
        AE_HEADER + "02-0001,Nausea,05/03/2019,,1,No,No\r\n02-0001,FN,31/02/2019,,3,Yes,Yes\r\n",
    )
    table = ingest(india, tmp_path, "IN02", "adverse_events")
    with pytest.raises(ExtractError) as error:
        validate_extract(table, india.sites["IN02"], "adverse_events", "fail")
    message = str(error.value)
    assert "site IN02, file IN02/IN02_adverse_events.csv, row 3, column 'Start date', value '31/02/2019'" in message
    assert "AE_START must be a calendar date written dd/mm/yyyy" in message


def test_all_failures_are_listed_at_once(india, tmp_path):
    write(tmp_path, "IN02", "IN02_adverse_events.csv", AE_HEADER + "02-0001,Nausea,2019-03-05,,one,Perhaps,No\r\n")
    table = ingest(india, tmp_path, "IN02", "adverse_events")
    with pytest.raises(ExtractError) as error:
        validate_extract(table, india.sites["IN02"], "adverse_events", "fail")
    columns = sorted(f.column for f in error.value.findings)
    assert columns == ["Grade", "InO related", "Start date"]
    assert "GRADE must be a whole number" in str(error.value)
    assert "RELATED must be one of the declared codes ['No', 'Yes']" in str(error.value)


def test_unknown_and_missing_columns(india, tmp_path):
    header = "Patient ID,AE term,Start date,End date,Grade,InO related,Severity\r\n"
    write(tmp_path, "IN02", "IN02_adverse_events.csv", header + "02-0001,Nausea,05/03/2019,,1,No,Mild\r\n")
    table = ingest(india, tmp_path, "IN02", "adverse_events")
    with pytest.raises(ExtractError) as error:
        validate_extract(table, india.sites["IN02"], "adverse_events", "quarantine")  # layout problems always fail
    message = str(error.value)
    assert "column 'Severity': column is not declared in the site dialect" in message
    assert "column 'Serious': column declared in the site dialect is missing from the file" in message


def test_required_cell_left_empty(india, tmp_path):
    write(tmp_path, "IN02", "IN02_adverse_events.csv", AE_HEADER + "02-0001,,05/03/2019,,1,No,No\r\n")
    table = ingest(india, tmp_path, "IN02", "adverse_events")
    with pytest.raises(ExtractError, match="row 2, column 'AE term': AE_TERM is required but the cell is empty"):
        validate_extract(table, india.sites["IN02"], "adverse_events", "fail")


def test_unmapped_free_text_term_is_named_and_shown_masked(india, tmp_path):
    """A verbatim term outside the vocabulary could be anything typed (a name): the finding
    shows each word by its first letter (inoflow.errors.shown_value)."""
    write(tmp_path, "IN02", "IN02_adverse_events.csv", AE_HEADER + "02-0001,Felt a bit odd,05/03/2019,,1,No,No\r\n")
    table = ingest(india, tmp_path, "IN02", "adverse_events")
    with pytest.raises(ExtractError) as error:
        validate_extract(table, india.sites["IN02"], "adverse_events", "fail")
    assert "row 2, column 'AE term', value 'F*** a b** o**': AE_TERM must be a term of the ae_terms vocabulary" in str(
        error.value
    )
    assert "Felt" not in str(error.value) and error.value.findings[0].value == "F*** a b** o**"


def test_quarantine_rejects_the_bad_row_with_its_reason_and_keeps_the_rest(india, tmp_path):
    write(
        tmp_path,
        "IN02",
        "IN02_adverse_events.csv",
        AE_HEADER + "02-0001,Nausea,05/03/2019,,1,No,No\r\n02-0001,FN,31/02/2019,,3,Yes,Yes\r\n",
    )
    table = ingest(india, tmp_path, "IN02", "adverse_events")
    result = validate_extract(table, india.sites["IN02"], "adverse_events", "quarantine")
    assert result.accepted["SRCROW"].tolist() == [2]
    assert result.rejected["SRCROW"].tolist() == [3]
    assert result.rejected["REJECT_REASON"].iloc[0] == "Start date: AE_START must be a calendar date written dd/mm/yyyy"
    assert len(result.accepted) + len(result.rejected) == len(table)


def test_blank_line_is_set_aside_not_lost(india, tmp_path):
    write(tmp_path, "IN02", "IN02_adverse_events.csv", AE_HEADER + "02-0001,Nausea,05/03/2019,,1,No,No\r\n,,,,,,\r\n")
    table = ingest(india, tmp_path, "IN02", "adverse_events")
    result = validate_extract(table, india.sites["IN02"], "adverse_events", "fail")
    assert result.rejected[["SRCROW", "REJECT_REASON"]].values.tolist() == [[3, "blank row"]]


def test_wrong_encoding_names_the_line(india, tmp_path):
    text = "Study no,Event,From,To,Gr,Related,SAE\r\nKMC/ALL/001,Fi\u00e8vre,05-Mar-2019,,1,0,0\r\n"
    write(tmp_path, "IN02", "IN02_adverse_events.csv", text, encoding="cp1252")
    with pytest.raises(ExtractError, match=r"row 2: text is not valid utf-8 .*: byte 0xe8 cannot be read"):
        ingest(india, tmp_path, "IN02", "adverse_events")


def test_missing_file_is_named(india, tmp_path):
    with pytest.raises(
        ExtractError, match="file IN02/IN02_hsct.csv: the transplants file declared in IN02.yaml is missing"
    ):
        ingest(india, tmp_path, "IN02", "transplants")


def test_short_row_is_reported(india, tmp_path):
    write(tmp_path, "IN02", "IN02_adverse_events.csv", AE_HEADER + "02-0001,Nausea,05/03/2019\r\n")
    with pytest.raises(ExtractError, match="row 2: row has 3 fields but the header has 7"):
        ingest(india, tmp_path, "IN02", "adverse_events")


# --- layouts and units end to end (one row, hand-worked) -----------------------------------


def test_long_labs_convert_units_row_by_row(india, tmp_path):
    header = "PT_NO\tRESULT_DT\tTEST_CODE\tRESULT_VAL\tRESULT_UNIT\tREF_HIGH\r\n"
    rows = "05/101\t03/08/2019\tB_PLT\t45\t10^3/uL\t450\r\n05/101\t03/08/2019\tV_TEMP\t101.3\t°F\t\r\n05/101\t03/08/2019\tS_TBIL\t34.2\tµmol/L\t20.5\r\n"
    write(tmp_path, "IN05", "his_export_lab_results.txt", header + rows)
    site = india.sites["IN05"]
    table = ingest(india, tmp_path, "IN05", "labs")
    canonical = harmonise_extract(validate_extract(table, site, "labs").accepted, site, "labs")
    got = canonical.set_index("TEST")
    assert got.loc["PLAT", "VALUE"] == 45.0 and got.loc["PLAT", "UNIT"] == "10^9/L" and got.loc["PLAT", "ULN"] == 450.0
    assert got.loc["TEMP", "VALUE"] == pytest.approx(38.5) and got.loc["TEMP", "UNIT"] == "C"
    assert got.loc["BILI", "VALUE"] == 34.2 and got.loc["BILI", "UNIT"] == "umol/L"
    assert got.loc["TEMP", "LAB_DATE"].isoformat() == "2019-03-08"  # mm/dd/yyyy


def test_wide_labs_become_one_record_per_test(india, tmp_path):
    header = "Study no,Date,SGOT,SGOT_ULN,SGPT,SGPT_ULN,TBIL (µmol/L),TBIL_ULN,PLT (lakh/cumm),PLT_ULN,ANC (cells/cumm),ANC_ULN,Hb (g/dL),Hb_ULN,TLC (cells/cumm),TLC_ULN,Temp (°C)\r\n"
    row = "KMC/ALL/001,04-Aug-2017,100,40,,,12.7,21,1.25,4.5,850,8000,9.3,17,,,38.6\r\n"
    write(tmp_path, "IN03", "ALL_InO_labs.csv", header + row, encoding="cp1252")
    site = india.sites["IN03"]
    table = ingest(india, tmp_path, "IN03", "labs")
    canonical = harmonise_extract(validate_extract(table, site, "labs").accepted, site, "labs")
    got = canonical.set_index("TEST")
    assert sorted(got.index) == ["AST", "BILI", "HGB", "NEUT", "PLAT", "TEMP"]  # blank ALT and WBC give no record
    assert got.loc["PLAT", "VALUE"] == 125.0  # 1.25 lakh/cumm
    assert got.loc["NEUT", "VALUE"] == 0.85 and got.loc["NEUT", "ULN"] == 8.0
    assert got.loc["AST", "ULN"] == 40.0
    assert set(canonical["SRCROW"]) == {2}
    assert '"VALUE": "PLT (lakh/cumm)"' in got.loc["PLAT", "SRCCOLS"]


def test_dose_in_mg_is_divided_by_bsa(india, tmp_path):
    header = "Patient ID,Cycle no,Day no,Administration date,Dose given (mg),BSA (m2)\r\n"
    write(tmp_path, "IN02", "IN02_ino_doses.csv", header + "02-0001,1,1,01/03/2019,1.384,1.73\r\n")
    site = india.sites["IN02"]
    table = ingest(india, tmp_path, "IN02", "dosing")
    canonical = harmonise_extract(validate_extract(table, site, "dosing").accepted, site, "dosing")
    assert canonical["DOSE"].tolist() == [0.8]  # 1.384 mg / 1.73 m2
    assert canonical["DOSE__ORIG"].tolist() == ["1.384"]


def test_excel_banner_rows_and_footer(india, demo_extracts, tmp_path):
    shutil.copytree(demo_extracts / "IN01", tmp_path / "IN01")
    site = india.sites["IN01"]
    table = ingest(india, tmp_path, "IN01", "adverse_events")
    assert table["SRCROW"].min() == 4  # banner row 1, blank row 2, header row 3
    result = validate_extract(table, site, "adverse_events")
    footer = result.rejected
    assert len(footer) == 1 and footer["Patient ID"].iloc[0].startswith("End of report")
    assert footer["SRCROW"].iloc[0] == table["SRCROW"].max()
    assert isinstance(result.accepted, pd.DataFrame) and len(result.accepted) == len(table) - 1


@pytest.mark.parametrize(
    ("site", "domain"), [("IN02", "labs"), ("IN01", "labs"), ("IN02", "dosing"), ("IN03", "patients")]
)
def test_each_value_is_parsed_once_from_read_to_harmonised(india, demo_extracts, monkeypatch, site, domain):
    """process_extract resolves the site's dialect once and parses each declared column once:
    validation checks the parsed frame, harmonisation uses its values (long and wide labs,
    doses in mg with the BSA, patients), and the result is the same as parsing afresh."""
    from inoflow.extract import dialect as dialect_module
    from inoflow.extract.dialect import DomainDialect
    from inoflow.extract.process import process_extract

    parsed_columns: list[str] = []
    parse = dialect_module.parse_column

    def counting(rule, values, *args):
        parsed_columns.append(rule.source)
        return parse(rule, values, *args)

    monkeypatch.setattr(dialect_module, "parse_column", counting)
    stages = process_extract(india.sites[site], domain, demo_extracts)
    rules = DomainDialect.of(india.sites[site], domain).rules
    assert sorted(parsed_columns) == sorted({r.source for r in rules}) and len(rules) >= 4
    assert len(parsed_columns) == len(set(parsed_columns))  # once each
    monkeypatch.setattr(dialect_module, "parse_column", parse)
    again = harmonise_extract(stages.validation.accepted, india.sites[site], domain)  # parsed afresh
    pd.testing.assert_frame_equal(stages.harmonised, again)


# --- row numbers as a spreadsheet shows them; a quote left open; formulas; dropped columns -------


def test_rows_after_a_multi_line_cell_are_numbered_as_a_spreadsheet_shows_them(india, tmp_path):
    write(
        tmp_path,
        "IN02",
        "IN02_adverse_events.csv",
        AE_HEADER
        + '02-0001,"Nausea\r\nand vomiting",05/03/2019,,1,No,No\r\n'
        + "02-0001,FN,07/03/2019,10/03/2019,3,Yes,Yes\r\n\r\n02-0002,FN,31/02/2019,,3,Yes,Yes\r\n",
    )
    table = ingest(india, tmp_path, "IN02", "adverse_events")
    assert table["SRCROW"].tolist() == [2, 3, 4, 5]  # physical lines 2-3, 4, 5 (blank), 6
    assert table["AE term"].iloc[0] == "Nausea\r\nand vomiting"
    with pytest.raises(ExtractError, match=r"row 5, column 'Start date', value '31/02/2019'"):
        validate_extract(table, india.sites["IN02"], "adverse_events", "fail")


def test_a_quote_left_open_is_reported_where_it_opens(india, tmp_path):
    rows = "".join(f"02-000{i},Nausea,05/03/2019,,1,No,No\r\n" for i in range(1, 8))
    broken = rows.replace("02-0003,Nausea", '02-0003,"Nausea', 1)
    write(tmp_path, "IN02", "IN02_adverse_events.csv", AE_HEADER + broken)
    with pytest.raises(ExtractError) as error:
        ingest(india, tmp_path, "IN02", "adverse_events")
    (finding,) = error.value.findings
    assert finding.row == 4
    assert finding.rule == (
        "a quote opened in this row is not closed: the file ends inside it (the cell runs from line 4 to the end "
        "of the file, line 8), so the rows after it cannot be read (close the quote, or remove it)"
    )


def _workbook_with_formula(demo_extracts, tmp_path, cached: str | None) -> Path:
    import zipfile

    from openpyxl import load_workbook

    shutil.copytree(demo_extracts / "IN04", tmp_path / "IN04")
    path = tmp_path / "IN04" / "IN04_ino_database.xlsx"
    workbook = load_workbook(path)
    workbook["baseline"]["F5"] = "=F4+1"
    workbook.save(path)
    if cached is not None:  # as Excel saves it: the formula and its calculated value
        with zipfile.ZipFile(path) as source:
            parts = {name: source.read(name) for name in source.namelist()}
        for name, data in parts.items():  # openpyxl writes the empty value as <v />, <v/> or none (with lxml)
            parts[name] = re.sub(rb"<f>F4\+1</f>(<v\s*/>|<v></v>)?", f"<f>F4+1</f><v>{cached}</v>".encode(), data)
        with zipfile.ZipFile(path, "w") as target:
            for name, data in parts.items():
                target.writestr(name, data)
    return path


def test_a_formula_without_its_calculated_value_is_refused(india, demo_extracts, tmp_path):
    _workbook_with_formula(demo_extracts, tmp_path, None)
    with pytest.raises(ExtractError) as error:
        ingest(india, tmp_path, "IN04", "patients")
    (finding,) = error.value.findings
    assert (finding.sheet, finding.row, finding.column, finding.category) == ("baseline", 5, "cd22_pct", "completeness")
    assert finding.rule.startswith("formula without a calculated value")


def test_a_formula_with_its_calculated_value_reads_the_value(india, demo_extracts, tmp_path):
    _workbook_with_formula(demo_extracts, tmp_path, "68.6")
    table = ingest(india, tmp_path, "IN04", "patients")
    assert table.loc[table["SRCROW"] == 5, "cd22_pct"].tolist() == ["68.6"]


def test_every_kind_of_excel_cell_is_read_as_the_text_a_site_means(tmp_path):
    """The cells' values come from calamine, the workbook's structure and the error and formula
    cells from its XML: each kind of cell as text, by hand."""
    import datetime as dt
    import zipfile

    from openpyxl import Workbook

    from inoflow.extract.ingest import _read_xlsx

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "data"
    sheet["A1"] = "a title row above the header"
    sheet.append([])
    sheet.append(["text", "whole", "decimal", "date", "date-time", "time", "flag", "percent", "serial", "error"])
    sheet.append([" x ", 32, 67.6, dt.datetime(2020, 1, 2), dt.datetime(2020, 1, 2, 13, 45, 30), dt.time(8, 30)])
    sheet.append(["   ", 1e20, 0.1 + 0.2, dt.date(2021, 3, 4), None, None, True, 0.25, 44000, "=1/0"])
    sheet["H5"].number_format = "0%"
    sheet["I5"].number_format = "dd/mm/yyyy"
    sheet.append(["two\nlines", -0.0, 1 / 3])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    with zipfile.ZipFile(path) as source:  # as Excel saves an error: the formula and its value
        parts = {name: source.read(name) for name in source.namelist()}
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(
                name,
                re.sub(
                    rb'<c r="J5"><f>1/0</f>(<v\s*/>|<v></v>)?</c>',
                    b'<c r="J5" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
                    data,
                ),
            )
    header, rows, problems = _read_xlsx(path, "book.xlsx", "IN04", "data", 3)
    assert header == ["text", "whole", "decimal", "date", "date-time", "time", "flag", "percent", "serial", "error"]
    assert rows == [
        (4, [" x ", "32", "67.6", "2020-01-02", "2020-01-02 13:45:30", "08:30:00", None, None, None, None]),
        (5, [None, "100000000000000000000", "0.3", "2021-03-04", None, None, "TRUE", "0.25", "2020-06-18", "#DIV/0!"]),
        (6, ["two\nlines", "0", "0.3333333333333333", None, None, None, None, None, None, None]),
    ]
    assert problems == []  # the error cell has its value: it is validated as sent, not read as empty


def test_a_column_the_dialect_does_not_declare_is_dropped_not_written(india, demo_extracts, tmp_path, caplog):
    from inoflow.extract.process import process_extract

    shutil.copytree(demo_extracts / "IN02", tmp_path / "IN02")
    path = tmp_path / "IN02" / "IN02_adverse_events.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line + (",Ward note" if i == 0 else ",bed 4 east wing") for i, line in enumerate(lines)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    as_sent = process_extract(india.sites["IN02"], "adverse_events", demo_extracts)
    stages = process_extract(india.sites["IN02"], "adverse_events", tmp_path)
    assert "Ward note" not in stages.read.column_names
    assert "Ward note" not in stages.validation.accepted.columns
    assert stages.harmonised.drop(columns="SRCSHA256").equals(as_sent.harmonised.drop(columns="SRCSHA256"))
    assert (
        "column 'Ward note' is not declared in IN02.yaml" in caplog.text and "dropped, 26 filled cell(s)" in caplog.text
    )
    assert "east wing" not in caplog.text


def test_a_name_in_a_column_the_dialect_does_not_declare_is_found_before_it_is_dropped(india, demo_extracts, tmp_path):
    """An undeclared column is scanned as free text (the file as sent still holds it)."""
    from inoflow.extract.process import process_extract

    shutil.copytree(demo_extracts / "IN02", tmp_path / "IN02")
    path = tmp_path / "IN02" / "IN02_adverse_events.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line + (",Ward note" if i == 0 else ",bed 4 Anand Venkat") for i, line in enumerate(lines)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    with pytest.raises(ExtractError) as error:
        process_extract(india.sites["IN02"], "adverse_events", tmp_path)
    assert str(error.value).startswith(
        "1 problem(s) in the extract:\n  - site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'Ward note': "
        "column looks like a person's name (26 cells match: capitalised words that are not clinical words) "
        "[identifier kind: person_name]"
    )
    assert "Anand" not in str(error.value)


def test_rejected_rows_and_the_rows_as_read_carry_a_name_typed_into_a_coded_column_masked(
    india, demo_extracts, tmp_path
):
    from inoflow.extract.process import process_extract

    shutil.copytree(demo_extracts / "IN02", tmp_path / "IN02")
    path = tmp_path / "IN02" / "IN02_followup.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Progression of leukaemia", "Suresh Babu", 1), "utf-8")
    stages = process_extract(india.sites["IN02"], "followup", tmp_path, "quarantine")
    rejected = stages.validation.rejected
    assert rejected[["SRCROW", "Cause of death"]].values.tolist() == [[4, "S***** B***"]]
    assert stages.validation.findings["value"].tolist() == ["S***** B***"]
    read = stages.read.to_pandas()
    assert read.loc[read["SRCROW"] == 4, "Cause of death"].tolist() == ["S***** B***"]
    assert not any("Suresh" in str(v) for v in read.to_numpy().ravel())
