"""Stops at the ADaM stage point at the right place (inoflow.adam.validate): a record whose
patient is not in the site's patient list says so, naming the file and row it came from, and
every other finding names the file and row of its record's source (its own, else the record
its SRCDOM/SRCSEQ name, else its subject's row of the patients file)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from inoflow.adam.derive import derive_datasets
from inoflow.adam.validate import AdamError, source_rows, validate_adam

CUTOFF = "2023-04-30"


@pytest.fixture(scope="module")
def definitions():
    return yaml.safe_load(open("config/definitions/india.yaml", encoding="utf-8"))


@pytest.fixture(scope="module")
def adam(demo_sdtm, definitions):
    return derive_datasets(["ADAE", "ADSL", "ADTTE"], demo_sdtm, definitions, CUTOFF)


def test_an_adverse_event_of_a_patient_missing_from_the_patient_list_is_reported_as_such(demo_sdtm, definitions):
    sdtm = dict(demo_sdtm)
    ae = sdtm["AE"].copy()
    first = ae.index[(ae["SRCFILE"] == "IN02/IN02_adverse_events.csv") & (ae["SRCROW"] == 12)][0]
    ae.loc[first, "USUBJID"] = "INO-IND-RWS-IN02-02-0904"  # a mistyped patient id
    sdtm["AE"] = ae
    adae = derive_datasets(["ADAE"], sdtm, definitions, CUTOFF)["ADAE"]
    with pytest.raises(AdamError) as error:
        validate_adam("ADAE", adae, sources=sdtm)
    assert str(error.value) == (
        "ADAE: 1 problem(s) in the analysis dataset:\n"
        "  - record USUBJID=INO-IND-RWS-IN02-02-0904 ASEQ=1, site IN02, file IN02/IN02_adverse_events.csv, "
        "row 12, column 'USUBJID': ADAE: patient 02-0904 in IN02/IN02_adverse_events.csv row 12 is not in the "
        "site's patient list (no DM record): a mistyped patient id, or a patient missing from the patients "
        "file or set aside there?"
    )
    assert "SITEID is required" not in str(error.value)


def test_without_the_patients_every_record_is_an_orphan_not_a_missing_siteid(demo_sdtm, definitions):
    """An empty patient list: each record names its own file and row."""
    sdtm = dict(demo_sdtm)
    adae = derive_datasets(["ADAE"], sdtm, definitions, CUTOFF)["ADAE"]
    dm = sdtm["DM"][sdtm["DM"]["SITEID"] != "IN02"]
    with pytest.raises(AdamError) as error:
        validate_adam("ADAE", adae, sources={**sdtm, "DM": dm})
    findings = error.value.findings
    assert len(findings) == (adae["SITEID"] == "IN02").sum() > 0
    assert {f.file for f in findings} >= {"IN02/IN02_adverse_events.csv"}
    assert all("is not in the site's patient list" in f.rule and f.row is not None for f in findings)


def test_a_subject_level_finding_names_the_patients_row(demo_sdtm, adam):
    adsl = adam["ADSL"].copy()
    p004 = adsl.index[adsl["USUBJID"] == "INO-IND-RWS-IN01-P004"][0]
    adsl.loc[p004, "AGE"] = -4
    with pytest.raises(AdamError) as error:
        validate_adam("ADSL", adsl, sources={**demo_sdtm, **adam})
    assert (
        "  - record USUBJID=INO-IND-RWS-IN01-P004, site IN01, file IN01/IN01_InO_RWE_export.xlsx, sheet "
        "'Demographics', row 7, column 'AGE', value '-4': ADSL: AGE must be >= 18"
    ) in str(error.value)


def test_a_record_with_srcdom_and_srcseq_names_its_source_record(demo_sdtm, adam):
    adtte = adam["ADTTE"].reset_index(drop=True)
    from_ds = adtte.index[(adtte["SRCDOM"] == "DS") & adtte["SRCSEQ"].notna()][0]
    trimmed = adtte.assign(SRCFILE=None, SRCSHEET=None, SRCROW=pd.NA)  # as if it carried no row of its own
    where = source_rows(trimmed, demo_sdtm)
    record = adtte.loc[from_ds]
    ds = demo_sdtm["DS"]
    expected = ds[(ds["USUBJID"] == record["USUBJID"]) & (ds["DSSEQ"] == record["SRCSEQ"])].iloc[0]
    assert where.loc[from_ds].tolist() == [expected["SRCFILE"], expected["SRCSHEET"], expected["SRCROW"]]
    from_adsl = adtte.index[adtte["SRCDOM"] == "ADSL"][0]  # no row of its own, no SRCSEQ: the patients row
    dm = demo_sdtm["DM"].set_index("USUBJID").loc[adtte.loc[from_adsl, "USUBJID"]]
    assert where.loc[from_adsl].tolist() == [dm["SRCFILE"], dm["SRCSHEET"], dm["SRCROW"]]


def test_patients_screened_and_not_enrolled_are_not_orphans(demo_sdtm, definitions):
    """ADELIG holds every screened patient: those not enrolled have no DM record, by design."""
    adelig = derive_datasets(["ADELIG"], demo_sdtm, definitions, CUTOFF)["ADELIG"]
    assert (~adelig["USUBJID"].isin(demo_sdtm["DM"]["USUBJID"])).sum() > 0
    assert validate_adam("ADELIG", adelig, sources=demo_sdtm) is None


def test_a_name_typed_into_the_patient_id_is_not_shown(demo_sdtm, definitions):
    sdtm = dict(demo_sdtm)
    ae = sdtm["AE"].copy()
    first = ae.index[(ae["SRCFILE"] == "IN02/IN02_adverse_events.csv") & (ae["SRCROW"] == 12)][0]
    ae.loc[first, "USUBJID"] = "INO-IND-RWS-IN02-Ramesh Kumar"
    sdtm["AE"] = ae
    adae = derive_datasets(["ADAE"], sdtm, definitions, CUTOFF)["ADAE"]
    with pytest.raises(AdamError) as error:
        validate_adam("ADAE", adae, sources=sdtm)
    message = str(error.value)
    assert "patient R***** K**** in IN02/IN02_adverse_events.csv row 12 is not in the site's patient list" in message
    assert "record USUBJID=INO-IND-RWS-IN02-R***** K**** ASEQ=1" in message
    assert "Ramesh" not in message and "Kumar" not in message
