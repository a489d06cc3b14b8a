"""Partial dates, as CDISC does: a site's dialect declares the partial forms of a date column; the
common model keeps the ISO 8601 partial value ("2019-03", "2019"); ADaM imputes it only as the
study's definitions declare (admiral's derive_vars_dt(highest_imputation, date_imputation)) and
flags the imputation (D: day imputed, M: month and day); a partial date that may not be imputed
is an error naming site, file, row and column. The data cut, dates in the future and the
cross-record date checks compare a partial date by the span of days it may be."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from inoflow.adam.adae import derive_adae
from inoflow.adam.adrs import derive_adrs
from inoflow.adam.adsl import derive_adsl
from inoflow.adam.common import impute_dtc_dt, impute_partial_dates, load_definitions
from inoflow.adam.datacut import apply_data_cut
from inoflow.adam.validate import validate_adam
from inoflow.config import Site, check_site_against_contract, validate_against_schema
from inoflow.errors import ConfigError, ExtractError
from inoflow.extract.dialect import column_rules
from inoflow.extract.harmonise import harmonise_extract
from inoflow.extract.ingest import read_extract
from inoflow.extract.plausibility import check_plausibility
from inoflow.extract.validate import validate_extract
from inoflow.model.build import build_sdtm_domain
from inoflow.model.pool import validate_sdtm_domain
from inoflow.model.quality import no_records_after_death

AE_HEADER = "Patient ID,AE term,Start date,End date,Grade,InO related,Serious\r\n"
FORMS = ["%m/%Y", "%Y", "UN-%b-%Y", "UNK-%m-%Y"]
T = pd.Timestamp


def site_with(india, column: str = "Start date", variable: str = "AE_START", forms=FORMS) -> Site:
    """Centre IN02's dialect (dd/mm/yyyy dates) with one adverse-event column's partial forms."""
    spec = copy.deepcopy(india.sites["IN02"].spec)
    spec["domains"]["adverse_events"]["columns"][column] = {"to": variable, "partial_dates": forms}
    validate_against_schema(spec, "site", "IN02 (test)")
    return Site(site="IN02", path=india.sites["IN02"].path, spec=spec)


def write(folder: Path, rows: str) -> None:
    path = folder / "IN02" / "IN02_adverse_events.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((AE_HEADER + rows).encode("utf-8"))


def harmonised_ae(site: Site, folder: Path) -> pd.DataFrame:
    read = read_extract(site, "adverse_events", folder).to_pandas()
    return harmonise_extract(validate_extract(read, site, "adverse_events", "fail").accepted, site, "adverse_events")


# --- the dialect -----------------------------------------------------------------------------------


def test_1_each_declared_form_reads_as_iso_partial_and_sdtm_keeps_it(india, tmp_path):
    write(
        tmp_path,
        "02-0001,Nausea,05/03/2019,,1,No,No\r\n"  # full date
        "02-0001,Fatigue,03/2019,,1,No,No\r\n"  # mm/yyyy
        "02-0001,Fever,2019,,1,No,No\r\n"  # yyyy
        "02-0001,Vomiting,UN-MAR-2019,,1,No,No\r\n"  # UN-Mon-yyyy
        "02-0001,Sepsis,unk-03-2019,,1,No,No\r\n",  # UNK-mm-yyyy, letter case ignored
    )
    harmonised = harmonised_ae(site_with(india), tmp_path)
    assert harmonised["AE_START"].tolist() == ["2019-03-05", "2019-03", "2019", "2019-03", "2019-03"]
    ae = build_sdtm_domain("AE", {"adverse_events": harmonised}, "INO-TEST")
    assert ae.set_index("AETERM")["AESTDTC"].to_dict() == {
        "Nausea": "2019-03-05",
        "Fatigue": "2019-03",
        "Fever": "2019",
        "Vomiting": "2019-03",
        "Sepsis": "2019-03",
    }
    validate_sdtm_domain("AE", ae)  # the common model's pandera model accepts ISO partial dates


def test_2_a_value_in_no_declared_form_names_site_file_row_column_and_rule(india, tmp_path):
    write(tmp_path, "02-0001,Nausea,03/2019,,1,No,No\r\n02-0001,Fever,13/2019,,1,No,No\r\n")
    site = site_with(india)
    read = read_extract(site, "adverse_events", tmp_path).to_pandas()
    with pytest.raises(ExtractError) as error:
        validate_extract(read, site, "adverse_events", "fail")
    assert str(error.value).endswith(
        "site IN02, file IN02/IN02_adverse_events.csv, row 3, column 'Start date', value '13/2019': AE_START must be "
        "a calendar date written dd/mm/yyyy, or a partial date written mm/yyyy or yyyy or UN-Mon-yyyy or UNK-mm-yyyy "
        "(the dialect's partial_dates)"
    )


def test_3_without_the_declaration_a_partial_date_is_refused(india, tmp_path):
    write(tmp_path, "02-0001,Fatigue,03/2019,,1,No,No\r\n")
    read = read_extract(india.sites["IN02"], "adverse_events", tmp_path).to_pandas()
    with pytest.raises(ExtractError, match="AE_START must be a calendar date written dd/mm/yyyy"):
        validate_extract(read, india.sites["IN02"], "adverse_events", "fail")


def test_4_partial_forms_only_on_dates_naming_a_year_and_no_day(india):
    with pytest.raises(ConfigError, match="GRADE is a integer variable, not a date"):
        column_rules(site_with(india, "Grade", "GRADE", ["%Y"]), "adverse_events")
    with pytest.raises(ConfigError, match="names a day or time: it is a full date format"):
        column_rules(site_with(india, forms=["%d/%m/%Y"]), "adverse_events")
    with pytest.raises(ConfigError, match="does not match site.schema.yaml"):
        site_with(india, forms=["%m/%y"])  # no four-digit year: refused by the schema
    # refused when the workflow starts (snakemake -n), not only when the job runs
    spec = copy.deepcopy(india.sites["IN02"].spec)
    spec["domains"]["adverse_events"]["columns"]["Start date"] = {"to": "AE_START", "partial_dates": ["%d/%m/%Y"]}
    spec["domains"]["adverse_events"]["columns"]["Grade"] = {"to": "GRADE", "partial_dates": ["%Y"]}
    with pytest.raises(ConfigError) as refused:
        check_site_against_contract(spec, "IN02.yaml")
    assert (
        "domains/adverse_events/columns/Start date/partial_dates: partial date format '%d/%m/%Y' names a day or time"
        in str(refused.value)
    )
    assert "domains/adverse_events/columns/Grade/partial_dates: GRADE is a integer variable, not a date" in str(
        refused.value
    )
    spec = copy.deepcopy(india.sites["IN02"].spec)
    spec["domains"]["adverse_events"]["columns"]["Start date"] = {"to": "AE_START", "partial_date": ["%Y"]}
    with pytest.raises(ConfigError, match="Start date"):  # a misspelled key is not silently ignored
        validate_against_schema(spec, "site", "IN02 (test)")


# --- ADaM imputation, hand-worked -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtc", "highest", "imputation", "expected", "flag"),
    [
        ("2019-03", "M", "first", "2019-03-01", "D"),  # Test 1: day unknown, first
        ("2019", "M", "first", "2019-01-01", "M"),  # Test 2: month and day unknown, first
        ("2019-03", "M", "last", "2019-03-31", "D"),  # Test 3: last day of a 31-day month
        ("2019", "M", "last", "2019-12-31", "M"),  # Test 4: 31 December
        ("2020-02", "M", "last", "2020-02-29", "D"),  # Test 5: leap year
        ("2019-02", "M", "last", "2019-02-28", "D"),  # Test 6: not a leap year
        ("2019-04", "D", "last", "2019-04-30", "D"),  # Test 7: a 30-day month, day only
        ("2019-03", "M", "mid", "2019-03-15", "D"),  # Test 8: admiral's mid
        ("2019", "M", "mid", "2019-06-30", "M"),  # Test 9: admiral's mid of a year
        ("2019-03-05", "M", "last", "2019-03-05", None),  # Test 10: a full date is kept, no flag
        ("2019", "D", "first", None, None),  # Test 11: month unknown is above highest_imputation D
        ("2019-03", "n", "first", None, None),  # Test 12: no imputation
    ],
)
def test_5_impute_dtc_dt(dtc, highest, imputation, expected, flag):
    out = impute_dtc_dt(pd.Series([dtc]), highest, imputation)
    got = out["DT"].iloc[0]
    assert (None if pd.isna(got) else got.strftime("%Y-%m-%d")) == expected
    assert out["DTF"].iloc[0] == flag


def _record(domain: str, column: str, value: str, row: int, srccols: dict, **extra) -> dict:
    return {
        "USUBJID": "INO-TEST-IN02-02-0001",
        "SUBJID": "02-0001",
        "SITEID": "IN02",
        column: value,
        "SRCFILE": f"IN02/IN02_{domain}.csv",
        "SRCSHEET": "",
        "SRCROW": row,
        "SRCCOLS": json.dumps(srccols),
        **extra,
    }


def test_6_a_partial_first_dose_date_is_an_error_naming_site_file_row_column_and_rule():
    ex = pd.DataFrame(
        [
            _record("ino_doses", "EXSTDTC", "2019-03", 2, {"DOSE_DATE": "Administration date"}),
            _record("ino_doses", "EXSTDTC", "2019-03-08", 3, {"DOSE_DATE": "Administration date"}),
        ]
    )
    definitions = load_definitions("config/definitions/india.yaml")
    with pytest.raises(ExtractError) as error:
        impute_partial_dates({"EX": ex}, definitions)
    assert str(error.value) == (
        "1 problem(s) in the extract:\n"
        "  - site IN02, file IN02/IN02_ino_doses.csv, row 2, column 'Administration date', value '2019-03': "
        "EX EXSTDTC is a partial date (the day is unknown) and the study's definitions allow no imputation of it "
        "(the first InO dose anchors every time-to-event endpoint and the cycles are dated by their doses): ask the "
        "site for the full date, or declare how to impute it (date_imputation: EXSTDTC in "
        "config/definitions/<study>.yaml)"
    )


def test_7_a_date_with_no_rule_is_never_imputed_silently():
    lb = pd.DataFrame([_record("labs_long", "LBDTC", "2019", 4, {"LAB_DATE": "Sample date"})])
    with pytest.raises(ExtractError, match="column 'Sample date', value '2019': LB LBDTC is a partial date"):
        impute_partial_dates({"LB": lb}, {"date_imputation": {}})


def test_8_adae_and_adsl_impute_and_flag_on_the_demo_cut(demo_sdtm):
    """The demo has no partial date; three are made: an AE start and end and a diagnosis date."""
    definitions = load_definitions("config/definitions/india.yaml")
    sdtm = {name: frame.copy() for name, frame in demo_sdtm.items()}
    ae = sdtm["AE"]
    first = ae.index[ae["AEENDTC"].notna()][0]
    start, end = ae.loc[first, "AESTDTC"], ae.loc[first, "AEENDTC"]
    ae.loc[first, ["AESTDTC", "AEENDTC"]] = [start[:7], end[:4]]  # "YYYY-MM" and "YYYY"
    adae = derive_adae(sdtm, definitions)
    record = adae[
        (adae["SRCDOM"] == "AE")
        & (adae["SRCSEQ"] == ae.loc[first, "AESEQ"])
        & (adae["USUBJID"] == ae.loc[first, "USUBJID"])
    ].iloc[0]
    ex = sdtm["EX"]
    first_dose = pd.to_datetime(ex.loc[ex["USUBJID"] == ae.loc[first, "USUBJID"], "EXSTDTC"]).min()
    # the AE's month (May 2017) holds the subject's first dose (25 May): min_dates TRTSDT, not 1 May
    assert start[:7] == "2017-05" and first_dose == T("2017-05-25")
    assert record["ASTDT"] == first_dose and record["ASTDTF"] == "D" and record["TRTEMFL"] == "Y"
    ds = sdtm["DS"]
    death = pd.to_datetime(ds.loc[ds["USUBJID"] == ae.loc[first, "USUBJID"], "DSDTHDTC"]).min()
    # the end, "2017", with last imputation: 31 December, but the subject died on 12 August 2017
    assert end[:4] == "2017" and death == T("2017-08-12")
    assert record["AENDT"] == death and record["AENDTF"] == "M"
    assert adae["ASTDTF"].notna().sum() == 1 and adae["AENDTF"].notna().sum() == 1
    validate_adam("ADAE", adae)

    mh = sdtm["MH"]
    subject = mh.loc[0, "USUBJID"]
    diagnosis = mh.loc[0, "MHSTDTC"]
    mh.loc[0, "MHSTDTC"] = diagnosis[:4]
    adsl = derive_adsl(sdtm, derive_adrs(sdtm, definitions), definitions, "2023-04-30").set_index("USUBJID")
    assert adsl.loc[subject, "DIAGDT"] == T(diagnosis[:4] + "-01-01") and adsl.loc[subject, "DIAGDTF"] == "M"
    assert adsl["DIAGDTF"].notna().sum() == 1 and adsl["DTHDTF"].isna().all()
    validate_adam("ADSL", adsl.reset_index())


# --- the data cut, dates in the future, cross-record order -----------------------------------------


def test_9_data_cut_keeps_a_partial_date_that_may_be_on_or_before_the_cutoff():
    ae = pd.DataFrame({"AESTDTC": ["2023-04", "2023-05", "2023", "2023-04-30", "2023-05-01", None]})
    assert apply_data_cut({"AE": ae}, "2023-04-30")["AE"]["AESTDTC"].tolist() == ["2023-04", "2023", "2023-04-30", None]
    # the first day of the month is the boundary: 2023-04 may be 2023-04-01
    assert apply_data_cut({"AE": ae}, "2023-04-01")["AE"]["AESTDTC"].tolist() == ["2023-04", "2023", None]
    assert apply_data_cut({"AE": ae}, "2023-03-31")["AE"]["AESTDTC"].tolist() == ["2023", None]


def test_10_a_partial_date_is_in_the_future_only_when_its_first_day_is(india, tmp_path):
    write(tmp_path, "02-0001,Nausea,05/2023,,1,No,No\r\n02-0001,Fever,06/2023,,1,No,No\r\n")
    site = site_with(india)
    read = read_extract(site, "adverse_events", tmp_path).to_pandas()
    accepted = validate_extract(read, site, "adverse_events", "fail").accepted
    harmonised = harmonise_extract(accepted, site, "adverse_events")
    findings = check_plausibility(harmonised, accepted, "IN02", "adverse_events", today=date(2023, 5, 15))
    assert [(f.row, f.column, f.value, f.rule) for f in findings] == [
        (3, "Start date", "06/2023", "AE_START 2023-06 is after the day of the run (2023-05-15): a date in the future")
    ]


def test_11_cross_record_order_compares_the_span_of_a_partial_date():
    ae = pd.DataFrame([_record("adverse_events", "AESTDTC", "2019-03", 5, {"AE_START": "Start date"}, AEENDTC=None)])
    for death, expected in (("2019-02-20", 1), ("2019-03-10", 0), ("2019-03", 0)):
        ds = pd.DataFrame(
            [_record("followup", "DSDTHDTC", death, 2, {"DEATH_DATE": "Date of death"}, DSDECOD="DEAD", DSSTDTC=death)]
        )
        findings = no_records_after_death({"AE": ae, "DS": ds})
        assert len(findings) == expected, death
    ds = pd.DataFrame([_record("followup", "DSDTHDTC", "2019-02-20", 2, {}, DSDECOD="DEAD", DSSTDTC="2019-02-20")])
    (finding,) = no_records_after_death({"AE": ae, "DS": ds})
    assert (finding.row, finding.column, finding.value) == (5, "Start date", "2019-03")
    assert finding.rule.startswith("adverse event start date 2019-03 is after the subject's death on 2019-02-20")


def test_12_imputation_bounded_by_first_dose_and_death_as_admiral_min_max_dates():
    """AESTDTC first, min_dates TRTSDT; AEENDTC last, max_dates DTHDT (the studies' rules):
    hand-worked for two subjects, A (first dose 2019-03-10, died 2019-05-20) and B (first dose
    2019-02-10, alive)."""
    from inoflow.adam.common import impute_partial_dates

    rules = {
        "date_imputation": {
            "AESTDTC": {"highest_imputation": "M", "date_imputation": "first", "min_dates": ["TRTSDT"]},
            "AEENDTC": {"highest_imputation": "M", "date_imputation": "last", "max_dates": ["DTHDT"]},
        }
    }
    ex = pd.DataFrame({"USUBJID": ["A", "A", "B"], "EXSTDTC": ["2019-04-07", "2019-03-10", "2019-02-10"]})
    ds = pd.DataFrame({"USUBJID": ["A", "B"], "DSDTHDTC": ["2019-05-20", None]})
    ae = pd.DataFrame(
        {
            "USUBJID": ["A", "A", "A", "B", "A"],
            "AESTDTC": ["2019-03", "2019", "2019-02", "2019-03", "2019-03-02"],
            "AEENDTC": ["2019-05", "2019", "2019-06", "2019-05", "2019-03-04"],
        }
    )
    out = impute_partial_dates({"AE": ae, "EX": ex, "DS": ds}, rules)["AE"]
    assert out["AESTDTC"].tolist() == [
        "2019-03-10",  # March contains A's first dose: not before it
        "2019-03-10",  # so does 2019
        "2019-02-01",  # February ends before it: first day
        "2019-03-01",  # B's first dose was in February: first day
        "2019-03-02",  # a full date is never moved
    ]
    assert out["AESTDTF"].tolist() == ["D", "M", "D", "D", None]
    assert out["AEENDTC"].tolist() == [
        "2019-05-20",  # May contains A's death: not after it
        "2019-05-20",  # so does 2019
        "2019-06-30",  # June is after it: the rule's last day (a date check reports the order)
        "2019-05-31",  # B is alive: last day
        "2019-03-04",
    ]
    assert out["AEENDTF"].tolist() == ["D", "M", "D", "D", None]
    with pytest.raises(ValueError, match=r"min_dates may name \['DTHDT', 'TRTSDT'\], not \['RANDDT'\]"):
        impute_partial_dates(
            {"AE": ae},
            {"date_imputation": {"AESTDTC": {**rules["date_imputation"]["AESTDTC"], "min_dates": ["RANDDT"]}}},
        )
