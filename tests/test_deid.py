"""The de-identification gate: identifiers refuse an extract, and nothing identifying is printed."""

from __future__ import annotations

import logging
import re

import pandas as pd
import pyarrow as pa
import pytest

from inoflow.config import load_study
from inoflow.errors import ConfigError, ExtractError, Finding
from inoflow.extract.deid import (
    check_deidentified,
    compile_rules,
    display_form,
    find_identifiers,
    finding_kind,
    free_text_columns,
    load_deid_rules,
    load_name_list,
    looks_like_a_name,
    mask_text,
    normalise_header,
    quarantine_identifiers,
    safe_words,
    site_name_list,
)
from inoflow.extract.ingest import PROVENANCE, read_extract

STUDY = load_study("config/studies/india.yaml", check=False)
DEMO = STUDY.cuts["2023-04-30"].extracts
DEMO_EXTRACTS = [(site_id, domain) for site_id, site in STUDY.sites.items() for domain in site.domains]
ITALY = load_study("config/studies/italy.yaml", check=False)
ITALY_DEMO = ITALY.cuts["2022-12-31"].extracts


def extract(**columns: list) -> pd.DataFrame:
    """A small ingested extract: text cells plus the provenance columns (rows 2, 3, ...)."""
    frame = pd.DataFrame(columns)
    frame["SRCFILE"] = "IT01/IT01_patients.csv"
    frame["SRCSHA256"] = "0" * 64
    frame["SRCSHEET"] = ""
    frame["SRCROW"] = range(2, len(frame) + 2)
    return frame


def refused(frame: pd.DataFrame) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        check_deidentified(frame, "IT01", "IT01/IT01_patients.csv", "")
    return caught.value


def assert_not_disclosed(secrets: list[str], error: ExtractError, log_text: str = "") -> None:
    """No secret (nor its digits alone, for numbers) in the error text, the findings or the log."""
    shown = "\n".join([str(error), repr(error.findings), *(f.describe() for f in error.findings), log_text])
    for secret in secrets:
        assert secret not in shown
        digits = re.sub(r"\D", "", secret)
        if len(digits) >= 6:
            assert digits not in re.sub(r"\D", "", shown.replace(secret, ""))
    assert all(f.value == "" for f in error.findings)


# --- (1) the shipped demo extracts pass ------------------------------------------------------


@pytest.mark.parametrize(("site_id", "domain"), DEMO_EXTRACTS)
def test_every_demo_extract_passes(site_id, domain):
    """Every value pattern, the free-text name scan of the declared free-text columns and the
    site's name list: zero findings on the demo."""
    site = STUDY.sites[site_id]
    table = read_extract(site, domain, DEMO)
    free_text, names = free_text_columns(site, domain), site_name_list(site)
    assert find_identifiers(table, site_id, "demo", "", free_text=free_text, names=names) == []
    check_deidentified(table, site_id, free_text=free_text, names=names)  # file and sheet from the provenance
    assert quarantine_identifiers(table, site_id, "quarantine", free_text=free_text, names=names) == (table, [])


def test_every_italian_demo_extract_passes():
    for site_id, site in ITALY.sites.items():
        for domain in site.domains:
            table = read_extract(site, domain, ITALY_DEMO)
            found = find_identifiers(
                table, site_id, "demo", "", free_text=free_text_columns(site, domain), names=site_name_list(site)
            )
            assert found == [], (site_id, domain, [f.describe() for f in found])


def test_the_demo_declares_free_text_and_a_name_list():
    assert free_text_columns(STUDY.sites["IN02"], "patients") == ("Remarks",)
    names = site_name_list(STUDY.sites["IN02"])
    assert names is not None and names.count == 6


def test_demo_extracts_cover_every_dialect():
    assert {s for s, _ in DEMO_EXTRACTS} == {"IN01", "IN02", "IN03", "IN04", "IN05"}


# --- (2) one case per kind of identifier ---------------------------------------------------------

CASES = {
    "patient name column": (
        extract(**{"Patient name": ["Ravi Kumar", "Anita Sharma"], "Age": ["34", "56"]}),
        "Patient name",
        "person_name",
        None,
        ["Ravi Kumar", "Anita Sharma"],
    ),
    "Cognome column": (
        extract(**{"Cognome": ["Rossi", "Bianchi"], "Eta": ["61", "47"]}),
        "Cognome",
        "person_name",
        None,
        ["Rossi", "Bianchi"],
    ),
    "Nome column": (
        extract(**{"Nome": ["Mario", None], "Sesso": ["M", "F"]}),
        "Nome",
        "person_name",
        None,
        ["Mario"],
    ),
    "name after an honorific in free text": (
        extract(Remarks=["synthetic demo record", "consent signed by Smt Lakshmi Devi"]),
        "Remarks",
        "person_name",
        3,
        ["Lakshmi Devi"],
    ),
    "phone numbers in a column named Contact": (
        extract(Contact=["Self", "98450 12345", "+91-9876543210", None]),
        "Contact",
        "phone",
        3,
        ["98450 12345", "+91-9876543210"],
    ),
    "mobile number inside a free-text comment": (
        extract(
            **{
                "Patient ID": ["02-0001", "02-0002", "02-0003"],
                "Comments": ["lost to follow-up", "son can be reached on 9845012345 after 6 pm", None],
            }
        ),
        "Comments",
        "phone",
        3,
        ["9845012345"],
    ),
    "Italian phone number in a Telefono column": (
        extract(Telefono=["+39 06 1234 5678", "347 1234567"]),
        "Telefono",
        "phone",
        None,
        ["+39 06 1234 5678", "347 1234567"],
    ),
    "Italian mobile number in free text": (
        extract(Note=["paziente contattato al 347 1234567"]),
        "Note",
        "phone",
        2,
        ["347 1234567"],
    ),
    "e-mail address in a notes column": (
        extract(Informant=["mother", "ravi.kumar@example.org"]),
        "Informant",
        "email",
        3,
        ["ravi.kumar@example.org"],
    ),
    "E-mail column": (
        extract(**{"E-mail": ["x.y@example.in"]}),
        "E-mail",
        "email",
        None,
        ["x.y@example.in"],
    ),
    "Indian street address in free text": (
        extract(Remarks=["lives at 12 MG Road, Bengaluru", None]),
        "Remarks",
        "address",
        2,
        ["12 MG Road"],
    ),
    "Italian street address": (
        extract(Recapito=["Via Roma 5, 00184 Roma (RM)"]),
        "Recapito",
        "address",
        2,
        ["Via Roma 5", "00184"],
    ),
    "Indirizzo column": (
        extract(Indirizzo=["Piazza Duomo"]),
        "Indirizzo",
        "address",
        None,
        ["Piazza Duomo"],
    ),
    "Aadhaar number written 4-4-4": (
        extract(**{"ID proof": ["2345 6789 0123", None]}),
        "ID proof",
        "aadhaar",
        2,
        ["2345 6789 0123"],
    ),
    "Aadhaar column": (
        extract(**{"Aadhaar No": ["XXXX XXXX 4821"]}),
        "Aadhaar No",
        "aadhaar",
        None,
        ["4821"],
    ),
    "codice fiscale": (
        extract(Codice=["RSSMRA85T10A562S"]),
        "Codice",
        "codice_fiscale",
        2,
        ["RSSMRA85T10A562S"],
    ),
    "Codice fiscale column": (
        extract(**{"Codice fiscale": ["rssmra85t10a562s"]}),
        "Codice fiscale",
        "codice_fiscale",
        None,
        ["rssmra85t10a562s"],
    ),
    "MRN column": (
        extract(MRN=["0012345", "0012399"]),
        "MRN",
        "medical_record_number",
        None,
        ["0012345", "0012399"],
    ),
    "UHID column": (
        extract(UHID=["MH2019001234", "MH2020004321"]),
        "UHID",
        "medical_record_number",
        None,
        ["MH2019001234", "MH2020004321"],
    ),
    "IP/OP number column": (
        extract(**{"IP/OP No.": ["IP/45678"]}),
        "IP/OP No.",
        "medical_record_number",
        None,
        ["45678"],
    ),
    "n. nosologico column": (
        extract(**{"N. nosologico": ["2021001234"]}),
        "N. nosologico",
        "medical_record_number",
        None,
        ["2021001234"],
    ),
    "hospital number labelled in free text": (
        extract(Remarks=["see UHID: 2019/12345 for the discharge summary"]),
        "Remarks",
        "medical_record_number",
        2,
        ["2019/12345"],
    ),
    "exact birth date column": (
        extract(DOB=["1985", "1985-03-12", "12/07/1990"]),
        "DOB",
        "birth_date",
        3,
        ["1985-03-12", "12/07/1990"],
    ),
    "Data di nascita column": (
        extract(**{"Data di nascita": ["10/12/1985"]}),
        "Data di nascita",
        "birth_date",
        2,
        ["10/12/1985"],
    ),
    "birth date labelled in free text": (
        extract(Remarks=["DOB: 12/03/1985, referred from district hospital"]),
        "Remarks",
        "birth_date",
        2,
        ["12/03/1985"],
    ),
}


@pytest.mark.parametrize(("frame", "column", "kind", "row", "secrets"), CASES.values(), ids=CASES.keys())
def test_identifier_is_refused_without_showing_it(frame, column, kind, row, secrets, caplog):
    caplog.set_level(logging.DEBUG)
    error = refused(frame)
    hits = [f for f in error.findings if f.column == column and finding_kind(f) == kind]
    assert len(hits) == 1, [f.describe() for f in error.findings]
    finding = hits[0]
    assert (finding.site, finding.file, finding.sheet, finding.row) == ("IT01", "IT01/IT01_patients.csv", "", row)
    assert finding.category == "conformance"
    assert "the value is not shown" in finding.rule
    assert re.search(r"\d+ cells? (match|matches|is filled|are filled|holds|hold)\b", finding.rule)
    assert_not_disclosed(secrets, error, caplog.text)


def test_finding_counts_cells_and_names_the_pattern():
    frame = extract(Contact=["9845012345", "9845012345", "+39 347 123 4567", "Self"])
    (finding,) = find_identifiers(frame, "IT01", "f.csv", "Sheet1")
    assert finding.rule.startswith(
        "column looks like a phone number (3 cells match: Indian mobile number, Italian number with +39, "
        "Italian mobile number)"
    )
    assert finding.sheet == "Sheet1" and finding.row == 2


def test_pyarrow_table_gives_the_same_findings():
    frame = CASES["mobile number inside a free-text comment"][0]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert find_identifiers(table, "IT01", "f.csv", "") == find_identifiers(frame, "IT01", "f.csv", "")


def test_birth_year_column_is_allowed():
    frame = extract(**{"Year of birth": ["1985", "1990"], "DOB": ["1985", None], "Anno di nascita": ["1971", "2000"]})
    assert find_identifiers(frame, "IT01", "f.csv", "") == []


def test_emptied_or_masked_identifier_column_passes():
    frame = extract(**{"Patient name": ["XXXX", None, "NA"], "Phone": ["", "-", "***"], "MRN": [None, None, None]})
    assert find_identifiers(frame, "IT01", "f.csv", "") == []


def test_every_finding_of_a_table_is_listed():
    frame = extract(**{"Patient name": ["Ravi Kumar"], "Mobile no": ["9876543210"], "DOB": ["1985-03-12"]})
    error = refused(frame)
    assert [(f.column, finding_kind(f)) for f in error.findings] == [
        ("Patient name", "person_name"),
        ("Mobile no", "phone"),
        ("DOB", "birth_date"),
    ]
    assert_not_disclosed(["Ravi Kumar", "9876543210", "1985-03-12"], error)


# --- (3) what is not an identifier ----------------------------------------------------------


def test_ids_dates_lab_values_and_clinical_text_are_not_flagged():
    cells = {
        "Patient ID": ["KMC/ALL/001", "02-0001", "05/101", "R4-17", "P001", "SCR-01-001", "02-000123", "IN05-0001"],
        "Study no": ["KMC/ALL/012", "05/101234", "SCR-02-001", "R4-48", "01-12-2019", "0001234", "IT-01-007", "1"],
        "Date": ["2017-05-18", "29/06/2017", "02-Aug-2017", "25.01.2017", "06/14/2018", "2017-05-18 10:30:00", "", ""],
        "Last contact": ["2023-03-05", "04/11/2023", "10.04.2023", "26-Oct-2022", None, None, None, None],
        "T.Bil (mg/dL)": ["0.9705332086061741", "1.198550046772685", "98.42", "24000", "1,50,000", "0.003", "", ""],
        "Drug name": [
            "Piperacillin-tazobactam",
            "Ursodeoxycholic acid",
            "PCM premed",
            "Hydrocortisone",
            "",
            "",
            "",
            "",
        ],
        "Test name": ["SGPT (ALT)", "Total Leucocyte Count", "Platelet count", "x10^9/L", "", "", "", ""],
        "Year of birth": ["1998", "1971", "2000", "1983", "", "", "", ""],
        "Cause of death": [
            "MODS due to VOD",
            "Sepsis with septic shock",
            "2 days after road traffic accident",
            "Relapse post transplant, CR no MRD",
            "given via PICC line 2 on C1D8",
            "w/o fever; c/o pain abdomen",
            "UTI (E coli >10^5 CFU colony)",
            "Via EV 500 mg, ANC 1.2 x10^9/L on 12.06.2019",
        ],
    }
    assert find_identifiers(extract(**cells), "IN03", "f.csv", "") == []


@pytest.mark.parametrize("header", ["Drug", "DRUG_NAME", "Test name", "Hospital name", "Last contact", "PT_NO"])
def test_ordinary_headers_are_not_identifier_headers(header):
    assert find_identifiers(extract(**{header: ["x1", "y2"]}), "IN01", "f.csv", "") == []


# --- the rules file -------------------------------------------------------------------------------


def test_rules_are_loaded_once_and_cover_every_kind():
    rules = load_deid_rules()
    assert load_deid_rules() is rules
    assert {k.kind for k in rules.kinds} >= {
        "person_name",
        "phone",
        "email",
        "address",
        "aadhaar",
        "codice_fiscale",
        "medical_record_number",
        "birth_date",
    }
    assert all(k.min_cells == 1 for k in rules.kinds)


def test_header_normalisation():
    assert normalise_header("D.O.B.") == "d o b"
    assert normalise_header("IP/OP No.") == "ip op no"
    assert normalise_header("PT_NAME") == "pt name"


def test_bad_rule_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"kinds/phone/value_patterns/0"):
        compile_rules({"kinds": {"phone": {"label": "a phone", "value_patterns": [{"name": "x", "pattern": "("}]}}})


def test_provenance_columns_are_not_checked():
    frame = extract(Age=["34"])
    frame["SRCFILE"] = "IN01/ravi.kumar@example.org.csv"  # provenance is the workflow's own text
    assert find_identifiers(frame, "IN01", "f.csv", "") == []
    assert set(PROVENANCE) <= set(frame.columns)


# --- free text: names, the site's name list, masking -----------------------------------------------


def test_capitalised_words_that_are_not_clinical_words_are_a_name():
    allowed = safe_words()
    assert looks_like_a_name("brother Ramesh Kumar informed", allowed)
    assert looks_like_a_name("Kumar, Ramesh", allowed)
    assert looks_like_a_name("Mario Rossi ricoverato", allowed)
    for text in [
        "synthetic demo record",
        "Febrile Neutropenia",
        "Lost To Follow Up",
        "Complete Remission after Cycle 2",
        "Seen. Ramesh",  # one capitalised word after a full stop
        "Veno Occlusive Disease",
        "Tab Pantoprazole",
    ]:
        assert not looks_like_a_name(text, allowed), text


def test_a_name_in_a_declared_free_text_column_is_refused_without_showing_it():
    frame = extract(Remarks=["synthetic demo record", "brother Ramesh Kumar informed"], Other=["Ramesh Kumar", None])
    error = refused_free_text(frame)
    (finding,) = error.findings  # the undeclared-as-free-text column is not scanned for names
    assert (finding.column, finding.row, finding_kind(finding)) == ("Remarks", 3, "person_name")
    assert "capitalised words that are not clinical words" in finding.rule
    assert_not_disclosed(["Ramesh", "Kumar"], error)


def refused_free_text(frame: pd.DataFrame, names=None) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        check_deidentified(frame, "IT01", "IT01/IT01_patients.csv", "", free_text=["Remarks"], names=names)
    return caught.value


def test_the_site_name_list_is_matched_in_every_column_as_whole_words(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("# staff\nEkambaram\nFarzana Qureshi\nAl\n", encoding="utf-8")
    names = load_name_list(path)
    assert names.count == 2  # 'Al' is too short to match safely
    frame = extract(
        Remarks=["reviewed by ekambaram", "Ekambarampuram camp"], Term=["farzana  QURESHI", "Qureshi alone"]
    )
    error = refused_free_text(frame, names)
    assert [(f.column, f.row) for f in error.findings] == [("Remarks", 2), ("Term", 2)]
    assert all("a name on the site's name list" in f.rule for f in error.findings)
    assert_not_disclosed(["ekambaram", "Ekambaram", "farzana", "QURESHI"], error)


def test_quarantine_masks_the_cells_and_names_each_row(tmp_path):
    frame = extract(Remarks=["synthetic demo record", "son on 98450.12345", "brother Ramesh Kumar informed"])
    table = pa.Table.from_pandas(frame, preserve_index=False)
    masked, findings = quarantine_identifiers(table, "IT01", "quarantine", free_text=["Remarks"])
    assert masked.column("Remarks").to_pylist() == [
        "synthetic demo record",
        "s** o* *****.*****",  # a number after the first word is masked whole
        "b****** R***** K**** i*******",
    ]
    assert [(f.row, f.column, f.value, finding_kind(f)) for f in findings] == [
        (3, "Remarks", "", "phone"),
        (4, "Remarks", "", "person_name"),
    ]
    assert all("the cell is masked, the rest of the row kept" in f.rule for f in findings)
    with pytest.raises(ExtractError):
        quarantine_identifiers(table, "IT01", "fail", free_text=["Remarks"])


def test_a_column_named_for_an_identifier_is_refused_under_quarantine_too():
    table = pa.Table.from_pandas(extract(**{"Patient name": ["Ravi Kumar"]}), preserve_index=False)
    with pytest.raises(ExtractError, match=r"column 'Patient name': column name says a person's name"):
        quarantine_identifiers(table, "IT01", "quarantine")


def test_mask_keeps_the_first_character_of_each_word():
    assert mask_text("John Smith") == "J*** S****"
    assert mask_text("+39 06 6859 1234") == "+3* ** **** ****"
    assert mask_text("RSSMRA85T10A562S") == "R***************"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Ramesh Kumar", "R***** K****"),  # a name typed into a coded column
        ("Felt odd", "F*** o**"),
        ("98450.12345", "9****.*****"),  # an identifier pattern: masked whole
        ("RSSMRA85T10A562S", "R***************"),
        ("31/02/2019", "31/02/2019"),  # dates, numbers, ids, units, codes, vocabulary terms are shown
        ("-2.16", "-2.16"),
        ("02-0001 | UTI | 2017-08-11", "02-0001 | UTI | 2017-08-11"),
        ("0.92 mg", "0.92 mg"),
        ("mmol/L", "mmol/L"),
        ("Possibly", "Possibly"),
        ("Dead", "Dead"),
        ("KMC/ALL/001", "K**/ALL/001"),  # a word that is not a clinical word or code keeps its first letter
    ],
)
def test_a_finding_shows_a_cell_by_one_rule(value, shown):
    assert display_form(value) == shown
    assert Finding("IN02", "f.csv", "", 2, "Cause of death", value, "rule").value == shown


def test_free_text_rules_are_checked():
    with pytest.raises(ConfigError, match=r"free_text/min_words"):
        compile_rules({"kinds": {"phone": {"label": "a phone"}}, "free_text": {"min_words": 0}})
    rules = load_deid_rules()
    assert rules.name_min_words == 2 and {"remission", "cycle", "possibly"} <= rules.allowed_words


@pytest.mark.parametrize(
    "text", ["seen by Dr. Kumar", "visita Dott.ssa Bianchi", "Prof Rao advised", "per Dott. Verdi"]
)
def test_a_doctors_name_with_a_title_is_a_person_name(text):
    import pandas as pd

    from inoflow.extract.deid import find_identifiers

    table = pd.DataFrame({"Remarks": [text], "SRCROW": [2]})
    (finding,) = find_identifiers(table, "IN02", "IN02/IN02_patients.csv", "")
    assert "[identifier kind: person_name]" in finding.rule and "honorific and name" in finding.rule
    assert finding.row == 2 and finding.value == ""


@pytest.mark.parametrize(
    "value, shown",
    [
        ("Supportive", "Supportive"),  # IN02's label of a conmed category
        ("Total Leucocyte Count", "Total Leucocyte Count"),  # IN02's name of a laboratory test
        ("Not done", "Not done"),  # IN02's missing-value token
        ("Neutropenia febbrile", "Neutropenia febbrile"),  # an Italian template's vocabulary synonym
        ("Suresh Babu", "S***** B***"),
    ],
)
def test_a_sites_own_spellings_are_shown_and_a_name_is_not(value, shown):
    from inoflow.extract.deid import display_form

    assert display_form(value) == shown
