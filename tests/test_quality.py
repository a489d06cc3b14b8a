"""Cross-domain checks of the common model and the data-quality report.

The demo common model passes every check. Each check is then shown to fire on a copy of the
demo data broken in one place, with the exact finding: site, file, sheet, source row, the
column as the site named it, the value as harmonised and the rule in words.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from inoflow.errors import Finding, findings_frame
from inoflow.model.quality import (
    CHECK_COLUMNS,
    CROSS_DOMAIN_CHECKS,
    REPORT_COLUMNS,
    assessments_after_first_dose,
    check_common_model,
    collect_findings,
    counts_by_site,
    data_quality_report,
    diagnosis_before_first_dose,
    every_site_sends_required_domains,
    every_subject_dosed,
    every_subject_followed_up,
    hsct_after_first_dose,
    lab_values_in_standard_units,
    no_records_after_death,
    no_records_after_last_contact,
    one_subject_one_site,
    records_of_listed_subjects,
    write_data_quality_report,
)

SITES = ["IN01", "IN02", "IN03", "IN04", "IN05"]
IN01_FILE = "IN01/IN01_InO_RWE_export.xlsx"
IN04_FILE = "IN04/IN04_ino_database.xlsx"


@pytest.fixture
def sdtm(demo_sdtm):
    """A private copy of the demo common model, to break."""
    return {name: frame.copy() for name, frame in demo_sdtm.items()}


def at(frame: pd.DataFrame, site: str, row: int, file: str | None = None, **equal) -> pd.Series:
    """Records of one source row of a site (optionally of one file, with column values)."""
    mask = (frame["SITEID"] == site) & (frame["SRCROW"] == row)
    if file is not None:
        mask &= frame["SRCFILE"] == file
    for column, value in equal.items():
        mask &= frame[column] == value
    assert mask.sum() >= 1, f"no record of site {site}, row {row}, {equal}"
    return mask


def subject(site: str, subjid: str) -> str:
    return f"INO-IND-RWS-{site}-{subjid}"


# --- The demo ---------------------------------------------------------------------------------


def test_demo_common_model_has_no_cross_domain_findings(demo_sdtm):
    findings, checks = check_common_model(demo_sdtm, expected_sites=SITES)
    assert findings.empty, findings.to_string()
    assert list(findings.columns) == REPORT_COLUMNS
    assert list(checks.columns) == CHECK_COLUMNS
    assert checks["check"].tolist() == [c.name for c in CROSS_DOMAIN_CHECKS]
    assert checks["failures"].eq(0).all()
    assert checks["severity"].eq("error").all()
    # without the study (its dialects' date formats) and a previous cut these are not run; every
    # other check examined records
    not_run = ["day_and_month_in_order", "patients_kept_from_previous_cut", "row_counts_against_previous_cut"]
    assert checks.loc[checks["records_checked"].isna(), "check"].tolist() == not_run
    assert checks["records_checked"].dropna().gt(0).all()
    by_name = checks.set_index("check")["records_checked"]
    assert by_name["hsct_after_first_dose"] == len(demo_sdtm["PR"])  # every demo transplant is one after InO
    assert by_name["every_site_sends_required_domains"] == 5 * 4


def test_every_check_is_declared_with_a_category_and_a_rule():
    assert len({c.name for c in CROSS_DOMAIN_CHECKS}) == len(CROSS_DOMAIN_CHECKS)
    for check in CROSS_DOMAIN_CHECKS:
        assert check.category in ("conformance", "completeness", "plausibility")
        assert check.description and check.function.__doc__


# --- Plausibility: dates ------------------------------------------------------------------------


def test_diagnosis_after_first_dose(sdtm):
    mh = sdtm["MH"]
    mh.loc[mh["USUBJID"] == subject("IN02", "02-0003"), "MHSTDTC"] = "2018-03-20"
    assert diagnosis_before_first_dose(sdtm) == [
        Finding(
            "IN02",
            "IN02/IN02_patients.csv",
            "",
            4,
            "Diagnosis date",
            "2018-03-20",
            "diagnosis date 2018-03-20 is not before the first InO dose on 2018-03-05 "
            "(file IN02/IN02_ino_doses.csv, row 11): InO is given for relapsed or refractory disease, "
            "so the diagnosis must come first",
            "plausibility",
        )
    ]


def test_diagnosis_on_the_day_of_the_first_dose_is_a_finding(sdtm):
    mh = sdtm["MH"]
    mh.loc[mh["USUBJID"] == subject("IN01", "P001"), "MHSTDTC"] = "2017-05-25"
    [finding] = diagnosis_before_first_dose(sdtm)
    assert (finding.site, finding.sheet, finding.row, finding.column) == (
        "IN01",
        "Demographics",
        4,
        "Date of diagnosis",
    )


def test_assessment_long_before_the_first_dose(sdtm):
    # the third marrow of R4-24 (2017-07-23, after the first dose on 2017-06-03) with a year slip
    rs = sdtm["RS"]
    rs.loc[at(rs, "IN04", 8, IN04_FILE), "RSDTC"] = "2016-07-23"
    assert assessments_after_first_dose(sdtm) == [
        Finding(
            "IN04",
            IN04_FILE,
            "bm",
            8,
            "date",
            "2016-07-23",
            "disease assessment dated 2016-07-23 is 315 days before the first InO dose on 2017-06-03 "
            "(file IN04/IN04_ino_database.xlsx, sheet ino, row 20): response assessments follow the first "
            "dose and a pre-treatment marrow is at most 90 days before it; is the date wrong?",
            "plausibility",
        )
    ]


def test_pre_treatment_marrows_are_not_findings(demo_sdtm):
    """Every demo subject has a baseline marrow before the first dose (two have an earlier one,
    38 and 45 days before): these are the baseline, not misplaced response assessments."""
    first = demo_sdtm["EX"].groupby("USUBJID")["EXSTDTC"].min()
    rs = demo_sdtm["RS"]
    before = rs[rs["RSDTC"] < rs["USUBJID"].map(first)]
    assert before["USUBJID"].nunique() == len(demo_sdtm["DM"])
    assert assessments_after_first_dose(demo_sdtm) == []


def test_hsct_before_first_dose(sdtm):
    pr = sdtm["PR"]
    pr.loc[at(pr, "IN04", 2, IN04_FILE), "PRSTDTC"] = "2019-04-30"
    assert hsct_after_first_dose(sdtm) == [
        Finding(
            "IN04",
            IN04_FILE,
            "hsct",
            2,
            "date",
            "2019-04-30",
            "transplant dated 2019-04-30 is before the first InO dose on 2019-05-17 "
            "(file IN04/IN04_ino_database.xlsx, sheet ino, row 29): the site's transplant list is of "
            "transplants after InO",
            "plausibility",
        )
    ]


def test_a_transplant_of_another_category_may_precede_ino(sdtm):
    pr = sdtm["PR"]
    rows = at(pr, "IN04", 2, IN04_FILE)
    pr.loc[rows, "PRSTDTC"] = "2019-04-30"
    pr.loc[rows, "PRCAT"] = "PRIOR HAEMATOPOIETIC STEM CELL TRANSPLANT"
    assert hsct_after_first_dose(sdtm) == []


def test_last_contact_and_dose_after_death(sdtm):
    # 05/101 died on 2019-03-22; a last contact date and a dose later than that cannot be
    ds, ex = sdtm["DS"], sdtm["EX"]
    ds.loc[ds["USUBJID"] == subject("IN05", "05/101"), "DSSTDTC"] = "2019-04-30"
    ex.loc[at(ex, "IN05", 4), "EXSTDTC"] = "2019-03-27"
    death = "the subject's death on 2019-03-22 (file IN05/his_export_outcome.txt, row 2): no record can follow death"
    assert sorted(no_records_after_death(sdtm), key=lambda f: f.file) == [
        Finding(
            "IN05",
            "IN05/his_export_chemo_admin.txt",
            "",
            4,
            "ADMIN_DT",
            "2019-03-27",
            f"InO dose date 2019-03-27 is after {death}",
            "plausibility",
        ),
        Finding(
            "IN05",
            "IN05/his_export_outcome.txt",
            "",
            2,
            "LAST_CONTACT_DT",
            "2019-04-30",
            f"last contact date 2019-04-30 is after {death}",
            "plausibility",
        ),
    ]


def test_record_after_last_contact_of_a_living_subject(sdtm):
    ae = sdtm["AE"]
    ae.loc[at(ae, "IN01", 18, IN01_FILE), "AEENDTC"] = "2023-04-01"  # P003, alive at 2023-03-05
    assert no_records_after_last_contact(sdtm) == [
        Finding(
            "IN01",
            IN01_FILE,
            "Adverse events",
            18,
            "Resolved",
            "2023-04-01",
            "adverse event end date 2023-04-01 is after the last contact date 2023-03-05 "
            "(file IN01/IN01_InO_RWE_export.xlsx, sheet Follow-up, row 6): is the last contact date out of date?",
            "plausibility",
        )
    ]


# --- Plausibility: ranges -----------------------------------------------------------------------


def test_laboratory_value_not_in_the_standard_unit(sdtm):
    lb = sdtm["LB"]
    lb.loc[at(lb, "IN04", 13, IN04_FILE, LBTESTCD="HGB"), "LBSTRESU"] = "g/L"
    assert lab_values_in_standard_units(sdtm) == [
        Finding(
            "IN04",
            IN04_FILE,
            "labs",
            13,
            "value",
            "6.9",
            "Hemoglobin is in g/L, not in the standard unit g/dL: was the unit converted?",
            "conformance",
        )
    ]


# --- Plausibility: one patient, one site -----------------------------------------------------------


def test_same_patient_sent_by_two_sites(sdtm):
    # 05/102 (M) given P001's (M) diagnosis date and first dose date
    mh, ex = sdtm["MH"], sdtm["EX"]
    mh.loc[mh["USUBJID"] == subject("IN05", "05/102"), "MHSTDTC"] = "2014-08-06"
    ex.loc[at(ex, "IN05", 5), "EXSTDTC"] = "2017-05-25"
    same = "same sex (M), diagnosis date (2014-08-06) and first InO dose (2017-05-25)"
    assert one_subject_one_site(sdtm) == [
        Finding(
            "IN01",
            IN01_FILE,
            "Demographics",
            4,
            "Patient ID",
            "P001",
            f"subject P001 has the {same} as subject 05/102 of site IN05: the same patient sent by two sites?",
            "plausibility",
        ),
        Finding(
            "IN05",
            "IN05/his_export_demographics.txt",
            "",
            3,
            "PT_NO",
            "05/102",
            f"subject 05/102 has the {same} as subject P001 of site IN01: the same patient sent by two sites?",
            "plausibility",
        ),
    ]


def test_subject_listed_twice(sdtm):
    dm = sdtm["DM"]
    sdtm["DM"] = pd.concat([dm, dm[at(dm, "IN04", 3)].assign(SRCROW=9)], ignore_index=True)
    rule = "subject R4-24 is listed more than once in the patient list of site IN04"
    assert one_subject_one_site(sdtm) == [
        Finding("IN04", IN04_FILE, "baseline", 3, "id", "R4-24", rule, "plausibility"),
        Finding("IN04", IN04_FILE, "baseline", 9, "id", "R4-24", rule, "plausibility"),
    ]


# --- Conformance and completeness -------------------------------------------------------------------


def test_dose_of_a_subject_not_in_the_patient_list(sdtm):
    ex = sdtm["EX"]
    rows = at(ex, "IN02", 12)
    ex.loc[rows, "SUBJID"] = "02-0033"
    ex.loc[rows, "USUBJID"] = subject("IN02", "02-0033")
    assert records_of_listed_subjects(sdtm) == [
        Finding(
            "IN02",
            "IN02/IN02_ino_doses.csv",
            "",
            12,
            "Patient ID",
            "02-0033",
            "patient 02-0033 in IN02/IN02_ino_doses.csv row 12 is not in the site's patient list: a mistyped "
            "subject id, or a patient missing from the list?",
            "conformance",
        )
    ]


def test_subject_without_dose_or_follow_up(sdtm):
    gone = subject("IN03", "KMC/ALL/014")
    sdtm["EX"] = sdtm["EX"][sdtm["EX"]["USUBJID"] != gone]
    sdtm["DS"] = sdtm["DS"][sdtm["DS"]["USUBJID"] != gone]
    where = ("IN03", "IN03/ALL_InO_patients.csv", "", 4, "Study no", "KMC/ALL/014")
    assert every_subject_dosed(sdtm) == [
        Finding(*where, "subject KMC/ALL/014 of site IN03 has no InO dose in the dosing data", "completeness")
    ]
    assert every_subject_followed_up(sdtm) == [
        Finding(
            *where,
            "subject KMC/ALL/014 of site IN03 has no follow-up record (last contact, vital status)",
            "completeness",
        )
    ]


def test_site_without_assessments_and_a_site_that_sent_nothing(sdtm):
    sdtm["RS"] = sdtm["RS"][sdtm["RS"]["SITEID"] != "IN05"]
    required = "every site must send patient list, InO doses, disease assessments, follow-up"
    findings = every_site_sends_required_domains(sdtm, expected_sites=[*SITES, "IN06"])
    assert findings == [
        Finding(
            "IN05", "", "", None, "", "", f"site IN05 sent no disease assessments (RS): {required}", "completeness"
        ),
        *(
            Finding("IN06", "", "", None, "", "", f"site IN06 sent no {label} ({name}): {required}", "completeness")
            for name, label in [
                ("DM", "patient list"),
                ("EX", "InO doses"),
                ("RS", "disease assessments"),
                ("DS", "follow-up"),
            ]
        ),
    ]


def test_check_common_model_counts_the_failures_of_each_check(sdtm):
    mh = sdtm["MH"]
    mh.loc[mh["USUBJID"] == subject("IN02", "02-0003"), "MHSTDTC"] = "2018-03-20"
    findings, checks = check_common_model(sdtm)
    assert findings[["site", "row", "column", "value", "category", "stage"]].values.tolist() == [
        ["IN02", 4, "Diagnosis date", "2018-03-20", "plausibility", "common model"]
    ]
    failures = checks.set_index("check")["failures"]
    assert failures["diagnosis_before_first_dose"] == 1
    assert failures.drop("diagnosis_before_first_dose").eq(0).all()


# --- The report -------------------------------------------------------------------------------


def broken_findings(sdtm) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Extract findings (as a CSV would read back) and the common-model findings of a broken copy."""
    extract = findings_frame(
        [
            Finding(
                "IN02",
                "IN02/IN02_adverse_events.csv",
                "",
                3,
                "Start date",
                "31/02/2019",
                "AE_START must be a calendar date written dd/mm/yyyy",
                "conformance",
            ),
            Finding("IN02", "IN02/IN02_conmeds.csv", "", None, "Category", "", "column missing", "conformance"),
            Finding("IN03", "IN03/ALL_InO_AE.csv", "", 7, "Gr", "", "GRADE is required", "completeness"),
        ]
    ).astype({"row": "float64"})  # as read back from CSV: a row number without a value makes floats
    mh, pr = sdtm["MH"], sdtm["PR"]
    mh.loc[mh["USUBJID"] == subject("IN02", "02-0003"), "MHSTDTC"] = "2018-03-20"
    pr.loc[at(pr, "IN04", 2, IN04_FILE), "PRSTDTC"] = "2019-04-30"
    sdtm["EX"] = sdtm["EX"][sdtm["EX"]["USUBJID"] != subject("IN03", "KMC/ALL/014")]
    common, checks = check_common_model(sdtm)
    return extract, common, checks


def test_report_table_and_counts_per_site_and_category(sdtm):
    extract, common, checks = broken_findings(sdtm)
    findings = collect_findings([extract], common)
    table, _ = data_quality_report(findings, checks)
    assert list(table.columns) == REPORT_COLUMNS
    assert table["stage"].tolist() == ["extract"] * 3 + ["common model"] * 3
    assert table[["site", "row", "category"]].astype(str).values.tolist() == [
        ["IN02", "3", "conformance"],  # IN02/IN02_adverse_events.csv
        ["IN02", "<NA>", "conformance"],  # IN02/IN02_conmeds.csv: a finding on the file's layout
        ["IN03", "7", "completeness"],
        ["IN03", "4", "completeness"],
        ["IN02", "4", "plausibility"],
        ["IN04", "2", "plausibility"],
    ]
    counts = counts_by_site(table)
    assert counts.to_dict("index") == {
        "IN02": {"conformance": 2, "completeness": 0, "plausibility": 1, "total": 3},
        "IN03": {"conformance": 0, "completeness": 2, "plausibility": 0, "total": 2},
        "IN04": {"conformance": 0, "completeness": 0, "plausibility": 1, "total": 1},
        "all sites": {"conformance": 2, "completeness": 2, "plausibility": 2, "total": 6},
    }


def test_report_html_lists_every_finding_without_python_reprs(sdtm, tmp_path):
    extract, common, checks = broken_findings(sdtm)
    extract_csv = tmp_path / "findings.csv"
    extract.to_csv(extract_csv, index=False)
    reconciliation = pd.DataFrame(
        {
            "site": SITES,
            "rows_read": [10, 20, 30, 40, 50],
            "rows_harmonised": [10, 19, 30, 40, 50],
            "rows_rejected": [0, 1, 0, 0, 0],
            "rows_unaccounted": [0] * 5,
            "balanced": [True] * 5,
        }
    )
    table, page = data_quality_report(collect_findings([extract_csv], common), checks, reconciliation, "INO-IND-RWS")
    assert len(table) == 6
    for finding in table.itertuples():
        row = "" if pd.isna(finding.row) else str(finding.row)
        cells = [finding.site, finding.file, finding.sheet, row, finding.column, finding.value, finding.rule]
        pattern = "".join(rf"<td[^>]*>{re.escape(html.escape(c))}</td>" for c in cells)
        assert re.search(pattern, page), f"finding not in the page: {cells}"
    for repr_text in (r"\bnan\b", r"\bNaN\b", r"\bNone\b", r"<NA>", r"\bNaT\b", r"Finding\(", r"dtype", r"\[\]"):
        assert not re.search(repr_text, page), repr_text
    for section in ("What was checked", "Findings per site and category", "Checks run on the common model"):
        assert section in page
    assert "<h3>Conformance (2)</h3>" in page and "<h3>Plausibility (2)</h3>" in page
    # the counts table: IN03 has 0 conformance, 2 completeness, 0 plausibility, 2 in all; IN01 none
    assert re.search(
        r"<td>IN03</td>" + r'<td class="n">0</td><td class="n">2</td><td class="n">0</td>'
        r'<td class="n">2</td>',
        page,
    )
    assert re.search(r'<td>IN01</td>(<td class="n">0</td>){4}', page)
    assert "<td>hsct_after_first_dose</td><td>plausibility</td>" in page and '<td class="fail">FAIL</td>' in page
    assert "http" not in page.replace("http-equiv", "")  # self-contained: no external assets


def test_report_without_findings_says_so(demo_sdtm):
    findings, checks = check_common_model(demo_sdtm)
    table, page = data_quality_report(collect_findings([], findings), checks)
    assert table.empty and list(table.columns) == REPORT_COLUMNS
    assert "<b>No findings.</b> Every check passed" in page
    assert "There are no findings" in page
    assert "FAIL" not in page


def test_write_data_quality_report_from_files(demo_sdtm, tmp_path):
    """What a Snakemake job does: the common model's parquet files and the extract stage's
    findings CSVs in, the findings CSV, the checks CSV and the HTML page out."""
    paths = []
    for name, frame in demo_sdtm.items():
        paths.append(tmp_path / f"{name}.parquet")
        frame.to_parquet(paths[-1], index=False)
    extract_csv = tmp_path / "IN02.adverse_events.findings.csv"
    findings_frame([]).to_csv(extract_csv, index=False)  # an extract without findings
    out = {name: tmp_path / f"dq.{name}" for name in ("csv", "html", "checks.csv")}
    table = write_data_quality_report(
        paths, [extract_csv], None, out["csv"], out["html"], out["checks.csv"], "INO-IND-RWS 2023-04-30", SITES
    )
    assert table.empty
    assert pd.read_csv(out["csv"]).columns.tolist() == REPORT_COLUMNS
    assert pd.read_csv(out["checks.csv"])["failures"].eq(0).all()
    assert "<b>No findings.</b>" in out["html"].read_text(encoding="utf-8")


def test_checks_on_the_stored_model_equal_those_in_memory(sdtm, tmp_path):
    """The report's job reads the common model from its parquet files a domain at a time
    (StoredModel: with keep_rows 0 every domain is read again at each use, and the checks that
    go through every record read only their columns): the same findings and checks as on the
    frames in memory, on a model broken for six checks."""
    from inoflow.model.quality import StoredModel

    ds, ex, lb, ae, mh = (sdtm[d] for d in ("DS", "EX", "LB", "AE", "MH"))
    ds.loc[ds["USUBJID"] == subject("IN05", "05/101"), "DSSTDTC"] = "2019-04-30"  # after death
    ex.loc[at(ex, "IN05", 4), "EXSTDTC"] = "2019-03-27"  # a dose after death
    lb.loc[at(lb, "IN04", 13, IN04_FILE, LBTESTCD="HGB"), "LBSTRESU"] = "g/L"  # not the standard unit
    lb.loc[at(lb, "IN04", 13, IN04_FILE, LBTESTCD="PLAT"), "LBDTC"] = "1917-01-05"  # before birth
    ae.loc[at(ae, "IN01", 18, IN01_FILE), "AEENDTC"] = "2023-04-01"  # after the last contact
    mh.loc[mh["USUBJID"] == subject("IN02", "02-0003"), "MHSTDTC"] = "2018-03-20"  # diagnosis after dose
    ae.loc[ae.index[ae["SITEID"] == "IN02"][0], "USUBJID"] = subject("IN02", "02-0099")  # not in the list
    paths = []
    for name, frame in sdtm.items():
        paths.append(tmp_path / f"{name}.parquet")
        frame.to_parquet(paths[-1], index=False)
    stored = StoredModel(paths, keep_rows=0)
    assert list(stored) == list(sdtm) and stored.columns("LB") == list(sdtm["LB"].columns)
    from_files, checks_from_files = check_common_model(stored, SITES)
    in_memory, checks_in_memory = check_common_model(sdtm, SITES)
    pd.testing.assert_frame_equal(from_files, in_memory)
    pd.testing.assert_frame_equal(checks_from_files, checks_in_memory)
    failed = checks_in_memory.set_index("check")["failures"]
    assert set(failed[failed > 0].index) == {
        "no_records_after_death",
        "lab_values_in_standard_units",
        "dates_within_the_patients_time",
        "no_records_after_last_contact",
        "diagnosis_before_first_dose",
        "records_of_listed_subjects",
    }
    assert all(f.empty for f in stored._kept.values())  # only empty domains kept: others read at each use
    kept = StoredModel(paths)  # a domain of up to a million rows is read once
    assert kept["DM"] is kept["DM"] and set(kept._kept) == {"DM"}


def test_checks_on_a_large_stored_domain_read_in_parts_equal_those_in_memory(sdtm, tmp_path):
    """A stored domain over ``keep_rows`` records is gone through a part at a time by the checks
    that look at one record at a time (the laboratory results of a national registry): the same
    findings as in memory, with one finding for a source row whose records fall in two parts."""
    from inoflow.model.quality import StoredModel

    lb = sdtm["LB"].reset_index(drop=True)
    source = ["SITEID", "SRCFILE", "SRCSHEET", "SRCROW"]
    sizes = lb.groupby(source, dropna=False, sort=False).size()
    starts = lb.reset_index().groupby(source, dropna=False, sort=False)["index"].min()
    # a wide laboratory row (several records, one source row) a third of the way into LB
    first = starts[(sizes >= 2) & (starts >= len(lb) // 3)].index[0]
    rows = lb.index[(lb[source].fillna("") == pd.Series(first, index=source).fillna("")).all(axis=1)]
    assert len(rows) >= 2 and list(rows) == list(range(rows[0], rows[0] + len(rows)))
    lb.loc[rows, "USUBJID"] = subject(first[0], "0998")  # a patient the site's list lacks
    lb.loc[rows[-1] + 5, "LBSTRESU"] = "g/L"  # not the standard unit, in the next part
    model = {**sdtm, "LB": lb}
    paths = []
    for name, frame in model.items():
        paths.append(tmp_path / f"{name}.parquet")
        # LB's row groups (and so its parts) end right after the first of the source row's records
        frame.to_parquet(paths[-1], index=False, row_group_size=int(rows[0]) + 1 if name == "LB" else None)
    stored = StoredModel(paths, keep_rows=int(rows[0]) + 1)
    unread = StoredModel([tmp_path / "absent" / "ZZ.parquet"])  # asking whether a domain is there reads nothing
    assert "ZZ" in unread and "LB" not in unread and not unread._kept
    parts = list(stored.read_in_parts("LB", ["USUBJID"]))
    assert len(parts) == 3 and len(parts[0]) == rows[0] + 1 and parts[1].index[0] == rows[0] + 1
    from_files, checks_from_files = check_common_model(stored, SITES)
    in_memory, checks_in_memory = check_common_model(model, SITES)
    pd.testing.assert_frame_equal(from_files, in_memory)
    pd.testing.assert_frame_equal(checks_from_files, checks_in_memory)
    failed = checks_from_files.set_index("check")["failures"]
    assert failed["records_of_listed_subjects"] == 1  # once, though its records are in two parts
    assert failed["lab_values_in_standard_units"] == 1
    orphan = from_files[from_files["rule"].str.contains("is not in the site's patient list")]
    assert orphan[["file", "row"]].values.tolist() == [[first[1], first[3]]]
