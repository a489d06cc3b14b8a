"""Cross-record and cross-cut checks of the common model (inoflow.model.quality) on a copy of
the demo extracts broken as a site would break them: each silent change the issue lists ends in
a finding naming the site, file, row, column and rule, of its Kahn category and severity, and
under policy fail (every locked cut) the cut stops.

Each test re-reads only the file it breaks (inoflow.extract.process) and pools it with the
other demo files; the previous cut is the demo's interim cut 2022-09-30, pooled once.
"""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest
from battery import AE, IN02, PATIENTS, TODAY, append_line, edit_line

from inoflow.extract.process import process_extract
from inoflow.model.quality import check_common_model, set_aside_patients
from inoflow.pipeline import build_common_model, harmonise_cut
from inoflow.tables.book import DataQualityError, check_data_quality_gate

INTERIM = "2022-09-30"
DOSES = "IN02/IN02_ino_doses.csv"
SITES = ["IN01", "IN02", "IN03", "IN04", "IN05"]


def file_rows(study, cut: str, canonical: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows per file (site, domain, file, rows) of a cut, as its reconciliation counts them."""
    rows = []
    for site in study.cuts[cut].sites:
        for domain in study.sites[site].domains:
            table = canonical.get(domain, pd.DataFrame(columns=["SITEID", "SRCROW"]))
            sent = table[table["SITEID"] == site]
            rows.append(
                (site, domain, f"{site}/{study.sites[site].domain_spec(domain)['file']}", sent["SRCROW"].nunique())
            )
    return pd.DataFrame(rows, columns=["site", "domain", "file", "rows"])


@pytest.fixture(scope="module")
def interim(india):
    """The previous cut: its common model and rows per file."""
    canonical = harmonise_cut(india, india.cuts[INTERIM].extracts)
    return build_common_model(india, canonical), file_rows(india, INTERIM, canonical)


@pytest.fixture
def extracts(demo_extracts, tmp_path):
    shutil.copytree(demo_extracts, tmp_path / "extracts")
    return tmp_path / "extracts"


def reread(india, demo_canonical, extracts, *files, policy="fail"):
    """The demo cut's harmonised tables with the given (site, domain) files read again from
    ``extracts``; returns them and each file's stages."""
    canonical = {domain: table.copy() for domain, table in demo_canonical.items()}
    stages = {}
    for site, domain in files:
        stages[site, domain] = process_extract(india.sites[site], domain, extracts, policy, TODAY)
        kept = canonical[domain][canonical[domain]["SITEID"] != site]
        canonical[domain] = pd.concat([kept, stages[site, domain].harmonised], ignore_index=True)
    return canonical, stages


def check(india, canonical, interim=None, **context):
    """The common-model findings of a cut (against the interim cut, if given)."""
    if interim is not None:
        context.update(
            previous=interim[0],
            previous_cut=INTERIM,
            file_rows=file_rows(india, "2023-04-30", canonical),
            previous_file_rows=interim[1],
        )
    findings, checks = check_common_model(build_common_model(india, canonical), SITES, study=india, **context)
    return findings, checks.set_index("check")


def rules(findings: pd.DataFrame, check_file: str | None = None) -> list[list]:
    """site, file, row, column, value, rule, category and severity of each finding."""
    columns = ["site", "file", "row", "column", "value", "rule", "category", "severity"]
    table = findings if check_file is None else findings[findings["file"] == check_file]
    return [[None if pd.isna(v) else v for v in row] for row in table[columns].values.tolist()]


def stops(findings: pd.DataFrame) -> str:
    """The message a cut under policy fail stops with."""
    with pytest.raises(DataQualityError) as error:
        check_data_quality_gate(findings, "fail", "data_quality/data_quality.csv")
    return str(error.value)


def test_a_gate_refusal_lists_the_first_findings_and_counts_the_rest():
    """A cut with thousands of findings (a site sent its patients twice) is refused with the
    first GATE_LISTED findings in the terminal and the rest counted; all are in the report."""
    from inoflow.tables.book import GATE_LISTED

    findings = pd.DataFrame(
        {
            "site": "SA01",
            "file": "SA01/dm.csv",
            "sheet": "",
            "row": range(2, 2 + 45),
            "column": "PT_NO",
            "value": "",
            "rule": "the same patient sent by two sites?",
            "category": "plausibility",
            "severity": "error",
        }
    )
    message = stops(findings)
    assert GATE_LISTED == 20 and message.startswith("45 data-quality finding(s) of severity error")
    assert "row 21, column" in message and "row 22, column" not in message
    assert message.endswith("\n  ... and 25 more, listed in the report")
    assert len(message.splitlines()) == 1 + GATE_LISTED + 1


# --- Records of patients not in the patient list ----------------------------------------------


def test_an_orphan_record_names_the_patient_the_file_and_the_row(india, demo_canonical, extracts):
    edit_line(extracts / AE, 12, "02-0004,", "02-0031,")
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "adverse_events"))
    findings, _ = check(india, canonical)
    rule = (
        "patient 02-0031 in IN02/IN02_adverse_events.csv row 12 is not in the site's patient list "
        "(IN02/IN02_patients.csv): a mistyped subject id, or a patient missing from the list?"
    )
    assert rules(findings) == [[IN02, AE, 12, "Patient ID", "02-0031", rule, "conformance", "error"]]
    assert f"[conformance] site IN02, file {AE}, row 12, column 'Patient ID', value '02-0031': {rule}" in stops(
        findings
    )


def test_an_empty_patient_list_is_named_with_each_file_left_without_patients(india, demo_canonical, extracts):
    path = extracts / PATIENTS
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "patients"))
    findings, _ = check(india, canonical)
    assert rules(findings, PATIENTS) == [
        [
            IN02,
            PATIENTS,
            None,
            "",
            "",
            "site IN02 sent no patient list (DM) (IN02/IN02_patients.csv has no rows): every site must send "
            "patient list, InO doses, disease assessments, follow-up",
            "completeness",
            "error",
        ]
    ]
    assert rules(findings, AE) == [
        [
            IN02,
            AE,
            None,
            "",
            "",
            "26 rows of 7 patients in IN02/IN02_adverse_events.csv belong to no listed patient: "
            "IN02/IN02_patients.csv lists no patients (a file sent with its header only, or every row set aside?)",
            "conformance",
            "error",
        ]
    ]
    # one finding per file of the site, none per record
    assert findings["file"].str.startswith("IN02/").all() and findings["row"].isna().all()
    assert "SITEID is required" not in stops(findings)


def test_a_patient_row_set_aside_by_the_quarantine_is_named_by_the_records_it_leaves(
    india, demo_canonical, extracts, tmp_path
):
    edit_line(extracts / PATIENTS, 3, ",Female,", ",Femme,")
    canonical, stages = reread(india, demo_canonical, extracts, (IN02, "patients"), policy="quarantine")
    rejected = tmp_path / "validated" / IN02 / "patients.rejected.parquet"
    rejected.parent.mkdir(parents=True)
    stages[IN02, "patients"].validation.rejected.to_parquet(rejected)
    set_aside = set_aside_patients(india, [rejected])
    assert set_aside[["SITEID", "SUBJID", "SRCFILE", "SRCROW"]].values.tolist() == [[IN02, "02-0002", PATIENTS, 3]]
    findings, _ = check(india, canonical, set_aside=set_aside)
    rule = (
        "patient 02-0002 in IN02/IN02_adverse_events.csv row 5 is not in the site's patient list: the patient's "
        "row 3 of IN02/IN02_patients.csv was set aside by the quarantine (see its finding); correct that row at "
        "the site"
    )
    assert [IN02, AE, 5, "Patient ID", "02-0002", rule, "conformance", "error"] in rules(findings)
    assert set(findings["value"]) == {"02-0002"}  # every finding is about the patient set aside


# --- Dates within the patient's time and the study's -------------------------------------------


def test_a_slip_in_the_year_before_the_diagnosis(india, demo_canonical, extracts):
    edit_line(extracts / AE, 2, "11/08/2017", "11/08/2013")
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "adverse_events"))
    findings, _ = check(india, canonical)
    assert rules(findings) == [
        [
            IN02,
            AE,
            2,
            "Start date",
            "2013-08-11",
            "adverse event start date 2013-08-11 is before the diagnosis on 2014-03-17 (file IN02/IN02_patients.csv, "
            "row 2): every record of the study follows the diagnosis; a slip in the year?",
            "plausibility",
            "error",
        ]
    ]


def test_a_slip_in_the_year_outside_the_study_window(india, demo_canonical, extracts):
    edit_line(extracts / AE, 2, "11/08/2017", "11/08/2016")
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "adverse_events"))
    findings, _ = check(india, canonical)
    assert rules(findings) == [
        [
            IN02,
            AE,
            2,
            "Start date",
            "2016-08-11",
            "adverse event start date 2016-08-11 is outside the study window 2017-01-01 to 2023-04-30 "
            "(data_quality: study_window of the study's configuration): a slip in the year?",
            "plausibility",
            "error",
        ]
    ]


def test_a_date_before_the_patients_birth(india, demo_sdtm):
    """From the year of birth (IN03) and from the age at the first dose (IN02): the common model's
    second line behind the contract's earliest date."""
    sdtm = {name: frame.copy() for name, frame in demo_sdtm.items()}
    ae, lb = sdtm["AE"], sdtm["LB"]
    born_2000 = sdtm["DM"].loc[sdtm["DM"]["BRTHDTC"] == "2000", "USUBJID"].iloc[0]
    first_ae = ae.index[ae["USUBJID"] == born_2000][0]
    ae.loc[first_ae, "AESTDTC"] = "1999-05-02"
    first_lb = lb.index[lb["USUBJID"] == "INO-IND-RWS-IN02-02-0002"][0]
    lb.loc[first_lb, "LBDTC"] = "1997-05-01"
    findings, _ = check_common_model(sdtm, SITES, study=india)
    dm = sdtm["DM"].set_index("USUBJID")
    assert [f[5] for f in rules(findings)] == [
        "laboratory or marrow date 1997-05-01 is before the patient's birth (aged 19 at the first InO dose on "
        "2017-07-29, so born after 1997-07-29 (file IN02/IN02_patients.csv, row 3)): a slip in the year?",
        f"adverse event start date 1999-05-02 is before the patient's birth (born in 2000 (file "
        f"{dm.at[born_2000, 'SRCFILE']}, row {dm.at[born_2000, 'SRCROW']})): a slip in the year?",
    ]


def test_day_and_month_typed_the_other_way_round_against_the_patients_timeline(india, demo_canonical, extracts):
    """02-0001's aGVHD started 4 October 2017 (04/10/2017); typed 10/04/2017 it reads 10 April,
    before the first dose on 8 July: not treatment-emergent. Read the other way it is within the
    patient's time on study (to the last contact on 21 July 2018)."""
    edit_line(extracts / AE, 3, "aGVHD,04/10/2017", "aGVHD,10/04/2017")
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "adverse_events"))
    findings, _ = check(india, canonical)
    assert rules(findings) == [
        [
            IN02,
            AE,
            3,
            "Start date",
            "2017-04-10",
            "adverse event start date 2017-04-10 is before the first InO dose on 2017-07-08, outside the "
            "patient's time on study, but 2017-10-04 with day and month exchanged is within it: the file writes "
            "day and month in numbers; was this date typed the other way round?",
            "plausibility",
            "error",
        ]
    ]


# --- Against the previous cut -------------------------------------------------------------------


def test_the_demo_cut_against_its_interim_cut_has_no_findings(india, demo_canonical, interim):
    findings, checks = check(india, demo_canonical, interim)
    assert findings.empty, findings.to_string()
    assert checks.loc["patients_kept_from_previous_cut", "records_checked"] == 32
    assert checks.loc["row_counts_against_previous_cut", "records_checked"] == 45  # files of the interim cut


def test_a_patient_resent_under_a_new_id_is_found(india, demo_canonical, extracts, interim):
    """02-0001 sent again as 02-0008 (patient list and doses): N 32 -> 33 unless found."""
    append_line(extracts / PATIENTS, 2, change=("02-0001,", "02-0008,"))
    for line in (2, 3, 4):
        append_line(extracts / DOSES, line, change=("02-0001,", "02-0008,"))
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "patients"), (IN02, "dosing"))
    findings, _ = check(india, canonical, interim)
    same = "site IN02, sex (M), age (36), diagnosis date (2014-03-17) and first InO dose (2017-07-08)"
    where = [IN02, PATIENTS, 9, "Patient ID", "02-0008"]
    again = (
        f"patient 02-0008 is new in this cut and has the {same} of patient 02-0001 of the previous cut "
        "2022-09-30 (still listed): the same patient registered again under a new id?"
    )
    assert [*where, again, "plausibility", "error"] in rules(findings)
    # without a previous cut, the same pair is found within the cut
    alone, _ = check(india, canonical)
    twice = (
        f"patient 02-0008 has the {same} of patient 02-0001 (file IN02/IN02_patients.csv, row 2): the same "
        "patient registered twice under two ids?"
    )
    assert [*where, twice, "plausibility", "error"] in rules(alone)
    assert "the same patient registered again under a new id?" in stops(findings)


def test_a_patient_of_the_previous_cut_left_out_is_found(india, demo_canonical, extracts, interim):
    path = extracts / PATIENTS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:7]), encoding="utf-8")  # 02-0007, the last row, left out
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "patients"))
    findings, _ = check(india, canonical, interim)
    assert rules(findings, PATIENTS) == [
        [
            IN02,
            PATIENTS,
            None,
            "Patient ID",
            "02-0007",
            "patient 02-0007 of the previous cut 2022-09-30 (IN02/IN02_patients.csv row 8 then) is not in this "
            "cut's patient list (IN02/IN02_patients.csv): withdrawn, left out of the export, or registered again "
            "under a new id?",
            "completeness",
            "error",
        ]
    ]


def test_a_file_resent_with_its_header_only_or_most_rows_missing_is_found(india, demo_canonical, extracts, interim):
    path = extracts / AE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0], encoding="utf-8")
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "adverse_events"))
    findings, _ = check(india, canonical, interim)
    assert rules(findings) == [
        [
            IN02,
            AE,
            None,
            "",
            "0",
            "IN02/IN02_adverse_events.csv has no rows in this cut and had 26 in the previous cut 2022-09-30: a file "
            "sent with its header only? Its records would leave the analysis",
            "completeness",
            "error",
        ]
    ]
    path.write_text("".join(lines[:7]), encoding="utf-8")  # 6 of 26 rows
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "adverse_events"))
    findings, _ = check(india, canonical, interim)
    assert [f[5] for f in rules(findings)] == [
        "IN02/IN02_adverse_events.csv has 6 rows in this cut and had 26 in the previous cut 2022-09-30: 77% "
        "fewer, more than the 50% the study allows (data_quality: row_count_fall); a file sent incomplete?"
    ]


# --- Severity ---------------------------------------------------------------------------------------


def test_a_check_the_study_declares_a_warning_is_listed_and_stops_nothing(india, demo_canonical, extracts):
    edit_line(extracts / AE, 2, "11/08/2017", "11/08/2016")
    canonical, _ = reread(india, demo_canonical, extracts, (IN02, "adverse_events"))
    spec = {
        **india.spec,
        "data_quality": {**india.spec["data_quality"], "severity": {"dates_within_the_patients_time": "warning"}},
    }
    study = dataclasses.replace(india, spec=spec)
    findings, checks = check_common_model(build_common_model(study, canonical), SITES, study=study)
    assert findings["severity"].tolist() == ["warning"]
    assert checks.set_index("check").at["dates_within_the_patients_time", "severity"] == "warning"
    check_data_quality_gate(findings, "fail", "data_quality/data_quality.csv")  # listed, not fatal
    with pytest.raises(DataQualityError):
        check_data_quality_gate(findings.assign(severity="error"), "fail", "data_quality/data_quality.csv")


def test_site_sex_and_first_dose_alone_do_not_make_one_patient():
    from inoflow.model.quality import _same_patient

    a = pd.Series({"SITEID": "IN02", "SEX": "M", "FIRST": "2019-03-01", "BIRTHYEAR": "", "AGEN": pd.NA, "DIAG": ""})
    assert _same_patient(a, a.copy()) is None  # two patients who started the same day
    b = a.copy()
    b["DIAG"] = a["DIAG"] = "2018-11-02"
    assert _same_patient(a, b) == ("site IN02, sex (M), diagnosis date (2018-11-02) and first InO dose (2019-03-01)")


def test_two_new_ids_of_one_patient_in_a_later_cut_are_found(india, demo_sdtm, interim):
    """Against the previous cut, subjects new in this cut are also compared with each other:
    02-0001 left out of the previous cut, then sent twice more under new ids."""
    from inoflow.model.quality import no_patient_registered_twice

    sdtm = {name: table.copy() for name, table in demo_sdtm.items()}
    first = "INO-IND-RWS-IN02-02-0001"
    for subject in ("02-0901", "02-0902"):
        for name in ("DM", "MH", "SC", "EX"):
            rows = sdtm[name][sdtm[name]["USUBJID"] == first].assign(USUBJID=f"INO-IND-RWS-IN02-{subject}")
            if name == "DM":
                rows = rows.assign(SUBJID=subject)
            sdtm[name] = pd.concat([sdtm[name], rows], ignore_index=True)
    previous = {name: table[table["USUBJID"] != first] for name, table in interim[0].items()}
    found = no_patient_registered_twice(sdtm, previous, INTERIM)
    assert [f.rule.split(" has the ")[0] for f in found] == ["patient 02-0901", "patient 02-0902"]
    assert all(
        f.rule.endswith("the same patient registered twice under two ids?") and "of patient 02-0001 (" in f.rule
        for f in found
    )
