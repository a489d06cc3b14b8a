"""pandera validation of the ADaM datasets (schemas/adam.py, inoflow.adam.validate).

The shipped demo's five datasets pass; hand-broken copies fail with every problem listed, each
naming the dataset, the variable, the value, the rule and (where the record is traced to a
source row) the site, file, sheet and row it came from.
"""

from __future__ import annotations

import inoflow.schemas.adam as schema
import pandas as pd
import pandera.pandas as pa
import pytest
from conftest import DEMO_CUT

from inoflow.adam import adrs as adrs_module
from inoflow.adam import adsl as adsl_module
from inoflow.adam.adae import SAFETY_FLAGS
from inoflow.adam.adtte import TTE_PARAMETERS
from inoflow.adam.common import load_definitions
from inoflow.adam.derive import ADAM_SOURCES, derive
from inoflow.adam.validate import ADAM_MODELS, AdamError, AdamFinding, adam_findings, validate_adam
from inoflow.analysis.endpoints.safety import adsl_with_safety_flags
from inoflow.config import load_contract
from inoflow.errors import Finding, InoflowError

ORDER = ["ADELIG", "ADRS", "ADAE", "ADSL", "ADTTE"]


@pytest.fixture(scope="module")
def definitions(india):
    return load_definitions(india.definitions)


@pytest.fixture(scope="module")
def adam(india, demo_sdtm, definitions):
    """The demo cut's five ADaM datasets, derived in dependency order."""
    datasets: dict[str, pd.DataFrame] = {}
    for name in ORDER:
        datasets[name] = derive(name, demo_sdtm, datasets, definitions, india.cuts[DEMO_CUT].cutoff)
    return datasets


@pytest.fixture(scope="module")
def adsl_safety(adam, definitions):
    """ADSL with the subject-level safety flags derived from ADAE, as the safety and death
    endpoints count it (schemas/adam.py ADSLSafety)."""
    return adsl_with_safety_flags(adam, definitions)


def failures(name: str, data: pd.DataFrame) -> AdamError:
    with pytest.raises(AdamError) as caught:
        validate_adam(name, data)
    return caught.value


def safety_failures(data: pd.DataFrame) -> AdamError:
    """ADSLSafety is not a stored dataset (not in ADAM_MODELS): validated here as validate_adam
    would, its findings named as ADSL's."""
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        schema.ADSLSafety.validate(data.reset_index(drop=True), lazy=True)
    return AdamError("ADSL", adam_findings("ADSL", data.reset_index(drop=True), caught.value))


def only(error: AdamError, column: str, rule: str) -> AdamFinding:
    hits = [f for f in error.findings if f.column == column and f.rule == rule]
    assert len(hits) == 1, [f.describe() for f in error.findings]
    assert f"  - {hits[0].describe()}" in str(error)
    return hits[0]


def traced_to(finding: AdamFinding, record: pd.Series) -> None:
    """The finding carries the record's site and source row, and its message shows them."""
    assert (finding.site, finding.file, finding.sheet, finding.row) == (
        record["SITEID"],
        record["SRCFILE"],
        record["SRCSHEET"],
        int(record["SRCROW"]),
    )
    line = finding.describe()
    assert f"site {record['SITEID']}, file {record['SRCFILE']}" in line
    assert f"row {int(record['SRCROW'])}, column {finding.column!r}" in line


# ---------------------------------------------------------------------------------------------
# The demo passes
# ---------------------------------------------------------------------------------------------


def test_models_cover_the_derived_datasets():
    assert sorted(ADAM_MODELS) == sorted(ADAM_SOURCES) == sorted(schema.RECORD_KEYS)


@pytest.mark.parametrize("name", ORDER)
def test_demo_datasets_pass(adam, name):
    dataset = adam[name]
    assert len(dataset) > 0
    assert validate_adam(name, dataset) is None
    # shuffled, re-indexed records are still the same dataset
    assert validate_adam(name, dataset.sample(frac=1.0, random_state=1).set_axis(range(7, 7 + len(dataset)))) is None


def test_demo_sizes(adam):
    """The datasets validated are the real demo ones (sizes as the demo cohort defines them)."""
    assert adam["ADSL"]["USUBJID"].is_unique and len(adam["ADSL"]) == 32
    assert len(adam["ADELIG"]) == 50 and (adam["ADELIG"]["ELIGFL"] == "Y").sum() == 32
    assert adam["ADTTE"]["PARAMCD"].value_counts().to_dict() == {
        "OS": 32,
        "OSCHSCT": 32,
        "RFS": 19,
        "DOR": 19,
        "RFSLDA": 19,
        "DORLDA": 19,
        "CIR": 19,
        "NRM": 19,
    }


def test_adsl_with_safety_flags_passes(adam, adsl_safety):
    """ADSL's variables are exactly those derive_adsl writes; the subject-level safety flags live
    with ADAE and are checked on ADSL joined with them (ADSLSafety)."""
    adsl_columns = set(schema.ADSL.to_schema().columns) | set(schema.ADaMRecord.to_schema().columns)
    assert adsl_columns == set(adsl_module.COLUMNS)
    assert set(schema.ADSLSafety.to_schema().columns) == adsl_columns | set(SAFETY_FLAGS)
    assert not set(SAFETY_FLAGS) & set(adam["ADSL"].columns)
    assert list(adsl_safety.columns) == [*adam["ADSL"].columns, *SAFETY_FLAGS] and len(adsl_safety) == 32
    schema.ADSLSafety.validate(adsl_safety, lazy=True)
    schema.ADSLSafety.validate(adsl_safety.sample(frac=1.0, random_state=1).set_axis(range(7, 39)), lazy=True)


def test_adsl_keeps_no_safety_flags(adam, adsl_safety):
    error = failures("ADSL", adsl_safety)
    assert {(f.column, f.rule) for f in error.findings} == {
        (flag, "ADSL: the column is not a variable of the dataset specification") for flag in SAFETY_FLAGS
    }


def test_safety_flag_rules(adsl_safety):
    data = adsl_safety.copy()
    liver = data.index[data["ASTFL"] == "Y"][0]
    febrile = data.index[data["FNFL"] == "Y"][0]
    vod = data.index[data["VODHSCFL"] == "Y"][0]
    thromb = data.index[(data["THRMBFL"] == "Y") & (data["NEUTRFL"] == "N") & (data["FNFL"] == "N")][0]
    data.loc[liver, "LIVTOXFL"] = "N"
    data.loc[febrile, "NEUTRFL"] = "N"
    data.loc[vod, "VODFL"] = "N"
    data.loc[thromb, "HEMTOXFL"] = "N"
    error = safety_failures(data)
    rules = {(f.record, f.column, f.rule) for f in error.findings}
    usubjid = data["USUBJID"]
    assert rules == {
        (
            f"USUBJID={usubjid[liver]}",
            "LIVTOXFL",
            "ADSL: LIVTOXFL must be 'Y' exactly when ASTFL, ALTFL or BILIFL is",
        ),
        (
            f"USUBJID={usubjid[febrile]}",
            "FNFL",
            "ADSL: FNFL 'Y' (febrile neutropenia) needs NEUTRFL 'Y'",
        ),
        (f"USUBJID={usubjid[vod]}", "VODHSCFL", "ADSL: VODHSCFL 'Y' needs VODFL 'Y' and HSCTFL 'Y'"),
        (
            f"USUBJID={usubjid[thromb]}",
            "HEMTOXFL",
            "ADSL: HEMTOXFL must be 'Y' exactly when THRMBFL, NEUTRFL or FNFL is",
        ),
    }
    no_hsct = adsl_safety.copy()
    no_hsct.loc[vod, ["HSCTFL", "HSCTDT", "HSCT1CFL"]] = ["N", pd.NaT, None]
    finding = only(safety_failures(no_hsct), "VODHSCFL", "ADSL: VODHSCFL 'Y' needs VODFL 'Y' and HSCTFL 'Y'")
    assert finding.value == "VODHSCFL Y, VODFL Y, HSCTFL N"


def test_unknown_dataset():
    with pytest.raises(ValueError, match="no ADaM model for ADXX"):
        validate_adam("ADXX", pd.DataFrame())


# ---------------------------------------------------------------------------------------------
# Broken copies: every message names dataset, variable, value, rule and provenance
# ---------------------------------------------------------------------------------------------


def test_duplicated_adsl_subject(adam):
    adsl = adam["ADSL"]
    broken = pd.concat([adsl, adsl.iloc[[4]]], ignore_index=True)
    error = failures("ADSL", broken)
    usubjid = adsl["USUBJID"].iloc[4]
    assert usubjid == "INO-IND-RWS-IN01-P005"
    assert len(error.findings) == 2  # both copies, nothing else
    for finding in error.findings:
        assert finding.dataset == "ADSL" and finding.column == "USUBJID" and finding.value == usubjid
        assert finding.rule == "ADSL: one record per subject: USUBJID must be unique"
        assert finding.site == "IN01" and finding.file == "" and finding.row is None  # ADSL has no source row
        assert finding.record == f"USUBJID={usubjid}"
    assert str(error).startswith("ADSL: 2 problem(s) in the analysis dataset:\n")
    assert (
        f"  - record USUBJID={usubjid}, site IN01, column 'USUBJID', value '{usubjid}': "
        "ADSL: one record per subject: USUBJID must be unique"
    ) in str(error)


def test_censoring_flag_must_be_0_or_1(adam):
    adtte = adam["ADTTE"].copy()
    i = adtte.index[(adtte["PARAMCD"] == "OS") & (adtte["SRCDOM"] == "DS")][0]  # a death, traced to DS
    adtte.loc[i, "CNSR"] = 2
    error = failures("ADTTE", adtte)
    finding = only(error, "CNSR", "ADTTE: CNSR must be 0 or 1")
    assert (finding.value, finding.category, finding.dataset) == ("2", "conformance", "ADTTE")
    assert finding.record == f"USUBJID={adtte.loc[i, 'USUBJID']} PARAMCD=OS"
    traced_to(finding, adtte.loc[i])
    assert finding.file.startswith(adtte.loc[i, "SITEID"] + "/")
    # the event description no longer fits a CNSR that is neither event nor censoring
    related = [f for f in error.findings if f.column == "EVNTDESC"]
    assert [f.value for f in related] == ["EVNTDESC DEATH, PARAMCD OS, CNSR 2"]
    assert len(error.findings) == 2


def test_negative_time_to_event(adam):
    adtte = adam["ADTTE"].copy()
    i = adtte.index[(adtte["PARAMCD"] == "RFS") & (adtte["SRCDOM"] == "ADRS")][0]  # a relapse
    adt, start = adtte.loc[i, "ADT"], adtte.loc[i, "STARTDT"]
    adtte.loc[i, "AVAL"] = -3
    error = failures("ADTTE", adtte)
    negative = only(error, "AVAL", "ADTTE: AVAL must be >= 0")
    assert (negative.value, negative.category) == ("-3", "plausibility")
    traced_to(negative, adtte.loc[i])
    days = only(error, "AVAL", "ADTTE: AVAL must equal ADT - STARTDT in days")
    assert days.value == f"AVAL -3, ADT {adt:%Y-%m-%d}, STARTDT {start:%Y-%m-%d}"
    assert len(error.findings) == 2


def test_time_to_event_counts_days_from_start(adam):
    """AVAL is ADT - STARTDT (day of the start = 0): ADT - STARTDT + 1 is wrong."""
    adtte = adam["ADTTE"].copy()
    assert (adtte["AVAL"] == (adtte["ADT"] - adtte["STARTDT"]).dt.days).all()
    adtte["AVAL"] = adtte["AVAL"] + 1
    error = failures("ADTTE", adtte)
    assert len(error.findings) == len(adtte)
    assert {f.rule for f in error.findings} == {"ADTTE: AVAL must equal ADT - STARTDT in days"}


def test_unknown_paramcd(adam):
    adtte = adam["ADTTE"].copy()
    os_only = adtte.groupby("USUBJID")["PARAMCD"].transform("size") == 2  # OS and OSCHSCT: no CR/CRi
    i = adtte.index[os_only & (adtte["PARAMCD"] == "OS") & (adtte["CNSR"] == 1)][
        0
    ]  # censored at the last date known alive (ADSL)
    adtte.loc[i, "PARAMCD"] = "PFS"
    error = failures("ADTTE", adtte)
    known = "'OS', 'RFS', 'DOR', 'OSCHSCT', 'RFSLDA', 'DORLDA', 'CIR' or 'NRM'"
    finding = only(error, "PARAMCD", f"ADTTE: PARAMCD must be one of {known}")
    assert finding.value == "PFS"
    assert (finding.site, finding.file, finding.row) == (adtte.loc[i, "SITEID"], "", None)  # no source row
    assert len(error.findings) == 1


def test_flag_yes_instead_of_y(adam):
    adsl = adam["ADSL"].copy()
    adsl.loc[2, "CMFL"] = "Yes"
    error = failures("ADSL", adsl)
    finding = only(error, "CMFL", "ADSL: CMFL must be 'N' or 'Y'")
    assert (finding.value, finding.site, finding.record) == ("Yes", "IN01", f"USUBJID={adsl.loc[2, 'USUBJID']}")
    assert len(error.findings) == 1

    adae = adam["ADAE"].copy()
    i = adae.index[adae["AECAT"] == "REPORTED"][0]
    adae.loc[i, "AESER"] = "Yes"
    error = failures("ADAE", adae)
    finding = only(error, "AESER", "ADAE: AESER must be 'N' or 'Y'")
    assert finding.value == "Yes"
    traced_to(finding, adae.loc[i])
    assert len(error.findings) == 1


def test_usubjid_must_be_studyid_siteid_subjid(adam):
    adae = adam["ADAE"].copy()
    i = adae.index[adae["SRCDOM"] == "LB"][0]
    record = adae.loc[i]
    adae.loc[i, "USUBJID"] = f"INO-IND-RWS-IN09-{record['SUBJID']}"
    error = failures("ADAE", adae)
    finding = only(error, "USUBJID", "ADAE: USUBJID must equal STUDYID-SITEID-SUBJID")
    assert finding.value == (
        f"USUBJID INO-IND-RWS-IN09-{record['SUBJID']}, STUDYID INO-IND-RWS, "
        f"SITEID {record['SITEID']}, SUBJID {record['SUBJID']}"
    )
    traced_to(finding, record)
    assert len(error.findings) == 1


def test_grade_above_5(adam):
    adae = adam["ADAE"].copy()
    i = adae.index[adae["AECAT"] == "REPORTED"][-1]
    adae.loc[i, "AETOXGR"] = 6
    error = failures("ADAE", adae)
    finding = only(error, "AETOXGR", "ADAE: AETOXGR must be <= 5")
    assert (finding.value, finding.category) == ("6", "plausibility")
    traced_to(finding, adae.loc[i])


def test_best_response_outside_its_values(adam):
    adrs = adam["ADRS"].copy()
    i = adrs.index[(adrs["PARAMCD"] == "BOR") & (adrs["AVALC"] == "NR")][0]
    adrs.loc[i, "AVALC"] = "PR"
    error = failures("ADRS", adrs)
    assert len(error.findings) == 1
    finding = error.findings[0]
    assert finding.column == "AVALC" and finding.value == "AVALC PR, PARAMCD BOR"
    assert finding.rule.startswith("ADRS: AVALC must be a value of its PARAMCD (OVRLRESP: CR, CRi, NR, BASELINE")
    assert "BOR: CR, CRi, NR, NE" in finding.rule
    assert finding.record == f"USUBJID={adrs.loc[i, 'USUBJID']} ASEQ={adrs.loc[i, 'ASEQ']} PARAMCD=BOR"
    traced_to(finding, adrs.loc[i])


def test_age_group_must_match_age(adam):
    adsl = adam["ADSL"].copy()
    i = adsl.index[adsl["AGE"] < 60][0]
    adsl.loc[i, "AGEGR1"] = ">65"
    error = failures("ADSL", adsl)
    finding = only(
        error,
        "AGEGR1",
        "ADSL: AGEGR1 must be the category of AGE: '18-65' if AGE >= 18 and AGE <= 65; '>65' if AGE > 65",
    )
    assert finding.value == f"AGEGR1 >65, AGE {adsl.loc[i, 'AGE']}"


def test_dose_category_level(adam):
    adsl = adam["ADSL"].copy()
    i = adsl.index[adsl["DOSECAT"] == "UNDER"][0]
    adsl.loc[i, "DOSECAT"] = "LOW"
    error = failures("ADSL", adsl)
    assert only(error, "DOSECAT", "ADSL: DOSECAT must be one of 'STANDARD', 'UNDER' or 'OVER'").value == "LOW"
    category = [f for f in error.findings if f.rule.startswith("ADSL: DOSECAT must be the category of C1DOSE")]
    assert [f.value for f in category] == [f"DOSECAT LOW, C1DOSE {adsl.loc[i, 'C1DOSE']}"]


def test_dates_after_the_cutoff(adam):
    adsl = adam["ADSL"].copy()
    adsl.loc[0, "TRTEDT"] = pd.Timestamp("2023-05-02")
    adsl.loc[1, "DIAGDT"] = adsl.loc[1, "DIAGDT"] + pd.Timedelta(hours=10)
    error = failures("ADSL", adsl)
    late = only(error, "TRTEDT", "ADSL: TRTEDT must not be after the data cut-off DCUTDT")
    assert (late.value, late.category) == ("TRTEDT 2023-05-02, DCUTDT 2023-04-30", "plausibility")
    timed = only(error, "DIAGDT", "ADSL: DIAGDT must be a calendar date (no time of day)")
    assert timed.value == f"{adsl.loc[1, 'DIAGDT']:%Y-%m-%d}T10:00:00"


def test_duplicated_screening_case(adam):
    adelig = adam["ADELIG"]
    broken = pd.concat([adelig, adelig.iloc[[3]]], ignore_index=True)
    error = failures("ADELIG", broken)
    assert {(f.column, f.rule) for f in error.findings} == {
        ("USUBJID", "ADELIG: one record per case: USUBJID must be unique"),
        ("SITEID", "ADELIG: one record per case: SITEID x SCRNID must be unique"),
    }
    assert {f.record for f in error.findings} == {"USUBJID=INO-IND-RWS-IN01-SCR-01-004 SCRNID=SCR-01-004"}
    assert len(error.findings) == 4


def test_eligibility_must_follow_the_criteria(adam):
    adelig = adam["ADELIG"].copy()
    i = adelig.index[adelig["ICADULT"] == "N"][0]
    adelig.loc[i, "ELIGFL"] = "Y"
    error = failures("ADELIG", adelig)
    finding = only(error, "ELIGFL", "ADELIG: ELIGFL must be 'Y' exactly when every inclusion criterion (IC*) is 'Y'")
    assert (finding.value, finding.site) == ("Y", adelig.loc[i, "SITEID"])


def test_dataset_level_problems(adam):
    """A wrong type, a missing and an undeclared variable concern the dataset, not a record."""
    adtte = adam["ADTTE"].copy()
    adtte["CNSR"] = adtte["CNSR"].astype(str)
    adtte = adtte.drop(columns=["AVALU"]).assign(NOTE="x")
    error = failures("ADTTE", adtte)
    findings = {(f.column, f.value, f.rule, f.category) for f in error.findings}
    assert ("CNSR", "object", "ADTTE: CNSR must have type int64", "conformance") in findings
    assert (
        "AVALU",
        "",
        "ADTTE: a variable of the specification is missing from the dataset",
        "completeness",
    ) in findings
    assert ("NOTE", "", "ADTTE: the column is not a variable of the dataset specification", "conformance") in findings
    assert all(f.row is None and f.record == "" for f in error.findings if f.column in ("AVALU", "NOTE"))


def test_missing_required_value(adam):
    adtte = adam["ADTTE"].copy()
    adtte.loc[5, "SRCVAR"] = None
    error = failures("ADTTE", adtte)
    finding = only(error, "SRCVAR", "ADTTE: SRCVAR is required (the value is missing)")
    assert (finding.value, finding.category) == ("", "completeness")


# ---------------------------------------------------------------------------------------------
# Lazy: every problem is reported
# ---------------------------------------------------------------------------------------------


def test_two_faults_both_reported(adam):
    adtte = adam["ADTTE"].copy()
    censored = adtte.index[(adtte["PARAMCD"] == "OS") & (adtte["CNSR"] == 1)][0]
    death = adtte.index[(adtte["PARAMCD"] == "OS") & (adtte["SRCDOM"] == "DS")][1]
    adtte.loc[censored, "CNSR"] = 2
    adtte.loc[death, "AVAL"] = -1
    error = failures("ADTTE", adtte)
    assert (
        only(error, "CNSR", "ADTTE: CNSR must be 0 or 1").record
        == f"USUBJID={adtte.loc[censored, 'USUBJID']} PARAMCD=OS"
    )
    negative = only(error, "AVAL", "ADTTE: AVAL must be >= 0")
    traced_to(negative, adtte.loc[death])
    # each fault with its consequences: CNSR 2 is neither an event nor censored, AVAL is not days
    assert [f.column for f in error.findings] == ["AVAL", "AVAL", "CNSDTDSC", "CNSR", "EVNTDESC"]
    assert str(error).startswith("ADTTE: 5 problem(s)")

    adsl = adam["ADSL"].copy()
    adsl.loc[3, "SEX"] = "X"
    adsl.loc[7, "FASFL"] = "N"
    error = failures("ADSL", adsl)
    assert [(f.column, f.value) for f in error.findings] == [("SEX", "X"), ("FASFL", "N")]
    assert "ADSL: FASFL must be 'Y'" in str(error) and "ADSL: SEX must be 'F' or 'M'" in str(error)


def test_many_problems_are_summarised(adam):
    adsl = adam["ADSL"].copy()
    adsl["AGEU"] = "MONTHS"
    error = failures("ADSL", adsl)
    assert len(error.findings) == 32
    assert str(error).count("\n  - ") == 25 and str(error).endswith("  ... and 7 more")


def test_error_is_a_workflow_error(adam):
    """The Snakemake step prints InoflowError without a traceback; findings are Findings."""
    adsl = adam["ADSL"].copy()
    adsl.loc[0, "SEX"] = "X"
    error = failures("ADSL", adsl)
    assert isinstance(error, InoflowError)
    assert all(isinstance(f, Finding) for f in error.findings)


# ---------------------------------------------------------------------------------------------
# The controlled values agree with the derivations, the definitions and the contract
# ---------------------------------------------------------------------------------------------


def test_levels_agree_with_the_definitions(definitions):
    assert schema.AGE_GROUPS == definitions["age_groups"]
    assert schema.SALVAGE_LINE_GROUPS == definitions["salvage_line_groups"]
    assert schema.DOSE_CATEGORIES == definitions["dose"]["categories"]
    assert schema.DISEASE_BURDEN == definitions["disease_burden"]
    assert schema.LTFU_WINDOWS == [w["label"] for w in definitions["lost_to_follow_up_windows"]]
    assert schema.RESPONSES == definitions["complete_remission"]["response_order"]
    assert schema.NOT_EVALUABLE == definitions["complete_remission"]["not_evaluable"]
    assert schema.R2ULN_DECIMALS == definitions["liver_toxicity"]["ratio_decimals"]
    liver = [rule["aedecod"] for rule in definitions["liver_toxicity"].values() if isinstance(rule, dict)]
    assert schema.LIVER_TOXICITIES == liver
    assert schema.HAEMATOLOGICAL_TOXICITIES == list(definitions["hematological_toxicities"])


def test_levels_agree_with_the_derivations():
    assert schema.ASSESSMENT_PARAMS + schema.SUBJECT_PARAMS == list(adrs_module.PARAMS)
    assert list(schema.TTE_EVENTS) == list(TTE_PARAMETERS)
    for paramcd, parameter in TTE_PARAMETERS.items():
        assert schema.TTE_EVENTS[paramcd] == [e.description for e in (*parameter.events, *parameter.competing)]
        assert schema.TTE_COMPETING.get(paramcd) == next((e.description for e in parameter.competing), None)
        censors = (*parameter.censors, *parameter.ending)
        assert {c.description for c in censors} <= set(schema.TTE_CENSORING_OF.get(paramcd, schema.TTE_CENSORING))
        assert {c.censor_date_description for c in censors} <= set(schema.TTE_CENSOR_DATES)
        assert {s.dataset_name for s in (*parameter.events, *censors)} <= set(schema.TTE_SOURCES)


def test_levels_agree_with_the_contract():
    codelists = load_contract().codelists
    assert schema.SEX == codelists["SEX"]
    assert schema.PHSTAT == codelists["PHSTAT"]
    assert schema.DISSTAT == codelists["DISSTAT"]
    assert schema.MRDMETH == codelists["MRDMETH"]
    assert schema.MRDSTAT == codelists["MRDSTAT"]
    assert schema.EOSSTT == codelists["FUSTAT"]
    assert schema.YN == codelists["NY"]
