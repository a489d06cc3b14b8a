"""Data quality of the harmonised common model, and the data-quality report.

Two stages find problems in the data, each in the categories of the OHDSI Data Quality
Dashboard (Kahn et al., eGEMs 2016):

- **conformance**: does a value follow the agreed format (type, date format, code list, the
  file's layout; does a record belong to a patient of the patient list)?
- **completeness**: is what must be there present (required values; every patient dosed and
  followed up; every site sending every file it must send)?
- **plausibility**: is a value believable (within a possible range; dates in an order that can
  happen: diagnosis before treatment, nothing after death)?

The *extract* stage checks each file as the site sent it, cell by cell
(:mod:`inoflow.extract.validate`, :mod:`inoflow.extract.plausibility`). This module adds the *common model*
stage: checks that need several domains, or all sites, at once. Each check is a small function
returning a list of :class:`~inoflow.errors.Finding`, declared in :data:`CROSS_DOMAIN_CHECKS`
so that the report lists every check run, passed or failed. A finding locates the record in
the file the site sent: site, file, sheet, row (as in the file, header rows counted), the column
as the site named it (looked up in the record's SRCCOLS), and the value as harmonised (ISO
dates, numbers in the common model's standard unit).

A date may be partial (``2019-03``, ``2019``: a site's dialect may declare them). A check of
dates in order compares the span of days each date may be (:func:`inoflow.extract.parsing.iso_date_bounds`)
and finds a problem only when the order is broken whatever the unknown day or month is: an
adverse event in ``2019-03`` is after a death on 2019-02-20, not after a death on 2019-03-10.

:func:`data_quality_report` turns the findings of both stages into one CSV table (one row per
finding) and one self-contained HTML page a statistician can read without Python.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from inspect import signature
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from inoflow.config import load_contract, load_units
from inoflow.errors import FINDING_COLUMNS, Finding, findings_frame
from inoflow.extract.parsing import iso_date_bounds

CONFORMANCE, COMPLETENESS, PLAUSIBILITY = "conformance", "completeness", "plausibility"
CATEGORIES = (CONFORMANCE, COMPLETENESS, PLAUSIBILITY)
STAGE_EXTRACT, STAGE_COMMON_MODEL = "extract", "common model"
STAGES = (STAGE_EXTRACT, STAGE_COMMON_MODEL)
REPORT_COLUMNS = [*FINDING_COLUMNS, "stage"]
CHECK_COLUMNS = ["check", "category", "description", "records_checked", "failures"]

# Single values out of range (a dose of 8 mg/m2, blasts of 130 %, platelets of 15000 x10^9/L)
# are checked once, per extract and before pooling, against the `plausible:` ranges of
# config/contract.yaml and config/units.yaml (inoflow.extract.plausibility), where a row can still be
# quarantined. The checks here need more than one record.

# A marrow assessment dated before the first InO dose is a pre-treatment one: the study's
# baseline is the last marrow on or before the first dose (config/definitions/<study>.yaml,
# baseline_marrow). More than this many days before the first dose it belongs to an earlier line
# of therapy, or it is a response assessment with a wrong date (year or month slip).
PRETREATMENT_WINDOW_DAYS = 90

# PRCAT values of transplants the data say were done after InO. The contract's transplants
# extract is "one row per haematopoietic stem cell transplant after InO" and gives its records
# this PRCAT (config/contract.yaml, transplants -> PR); the analysis counts the first one on or
# after the first dose (config/definitions/<study>.yaml, hsct). Transplants of another PRCAT
# (e.g. a prior HSCT, should the contract add one) may precede InO and are not checked.
HSCT_AFTER_INO_PRCAT = ("HAEMATOPOIETIC STEM CELL TRANSPLANT",)

# Domains every site must send records of: without them a site's patients cannot be analysed
# (no patients, no doses, no response, no survival).
REQUIRED_DOMAINS = ("DM", "EX", "RS", "DS")

DOMAIN_LABELS = {
    "IE": "screening log",
    "DM": "patient list",
    "MH": "diagnosis",
    "SC": "patient characteristics",
    "EX": "InO doses",
    "LB": "laboratory and marrow results",
    "RS": "disease assessments",
    "VS": "temperatures",
    "PR": "transplants",
    "AE": "adverse events",
    "CM": "medications",
    "DS": "follow-up",
    "DD": "causes of death",
}

DATE_LABELS = {
    "IEDTC": "screening date",
    "MHSTDTC": "diagnosis date",
    "EXSTDTC": "InO dose date",
    "LBDTC": "laboratory or marrow date",
    "RSDTC": "disease assessment date",
    "VSDTC": "temperature date",
    "PRSTDTC": "transplant or transfusion date",
    "HOSTDTC": "hospital admission date",
    "HOENDTC": "hospital discharge date",
    "AESTDTC": "adverse event start date",
    "AEENDTC": "adverse event end date",
    "CMSTDTC": "medication start date",
    "CMENDTC": "medication end date",
    "DSSTDTC": "last contact date",
    "DDDTC": "death date (cause of death record)",
}


class Check(NamedTuple):
    """One cross-domain check: its name, the rule in words, its OHDSI DQD category, the function."""

    name: str
    description: str
    category: str
    function: Callable[[dict[str, pd.DataFrame]], list[Finding]]


class Checked(list):
    """What a check returns: its findings (a list of Finding) and how many records it examined."""

    def __init__(self, findings: Iterable[Finding] = (), records_checked: int = 0):
        super().__init__(findings)
        self.records_checked = records_checked


# --- Helpers ---------------------------------------------------------------------------------


def _domain(sdtm: dict[str, pd.DataFrame], name: str, *columns: str) -> pd.DataFrame:
    """A domain of the common model with at least the given columns (empty if not sent)."""
    frame = sdtm.get(name)
    base = ["USUBJID", "SUBJID", "SITEID", "SRCFILE", "SRCSHEET", "SRCROW", "SRCCOLS"]
    if frame is None:
        return pd.DataFrame(columns=[*base, *columns])
    missing = [c for c in [*base, *columns] if c not in frame.columns]
    return frame.assign(**dict.fromkeys(missing)) if missing else frame


def _dates(frame: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    """``frame`` with the span of days its ISO date ``column`` may be: ``<name>`` the earliest,
    ``<name>HI`` the latest (equal for a full date; a whole month or year for a partial one)."""
    low, high = iso_date_bounds(frame[column])
    return frame.assign(**{name: low, f"{name}HI": high})


def _shown(value) -> str:
    """A harmonised value as a person writes it: ISO dates, numbers without trailing zeros."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat()
    if isinstance(value, float):
        return format(value, ".6f").rstrip("0").rstrip(".")
    return str(value)


def _contract_variable(name: str, record: pd.Series, variable: str) -> str | None:
    """The contract variable an SDTM variable of a record was built from (config/contract.yaml)."""
    if variable == "SUBJID":
        return "SUBJID"
    contract = load_contract()
    sent = set(json.loads(record["SRCCOLS"]))
    for raw in contract.sources_of(name):
        if not sent <= set(contract.variables(raw)):
            continue
        spec = contract.domains[raw]["sdtm"][name]
        if spec["kind"] == "record":
            return spec["columns"].get(variable)
        if variable.endswith("DTC"):
            return spec.get("date")
        if spec["kind"] == "findings":
            test = spec["tests"].get(record.get(f"{name}TESTCD"))
            return test["variable"] if test else None
        return spec["value"]
    return None


def source_column(name: str, record: pd.Series, variable: str) -> str:
    """The column, as the site named it, that an SDTM variable of a record came from."""
    columns = json.loads(record["SRCCOLS"]) if isinstance(record.get("SRCCOLS"), str) else {}
    contract_variable = _contract_variable(name, record, variable) if columns else None
    return columns.get(contract_variable, variable) if contract_variable else variable


def _finding(name: str, record: pd.Series, variable: str, rule: str, category: str) -> Finding:
    """A finding on one record of domain ``name``, located in the file the record came from."""
    row = record.get("SRCROW")
    sheet = record.get("SRCSHEET")
    return Finding(
        site=str(record["SITEID"]),
        file=str(record["SRCFILE"]),
        sheet="" if sheet is None or pd.isna(sheet) else str(sheet),
        row=None if row is None or pd.isna(row) else int(row),
        column=source_column(name, record, variable),
        value=_shown(record[variable]),
        rule=rule,
        category=category,
    )


def _where(record: pd.Series) -> str:
    """Where another record is, for a rule's text: 'file F, sheet S, row N'."""
    where = f"file {record['SRCFILE']}"
    if isinstance(record.get("SRCSHEET"), str) and record["SRCSHEET"]:
        where += f", sheet {record['SRCSHEET']}"
    return f"{where}, row {int(record['SRCROW'])}"


def _first_doses(sdtm: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per dosed subject: the EX record of the first InO dose, its date as FIRSTDT."""
    ex = _dates(_domain(sdtm, "EX", "EXSTDTC"), "EXSTDTC", "FIRSTDT").dropna(subset=["FIRSTDT"])
    latest = ex.groupby("USUBJID")["FIRSTDTHI"].min()  # a partial dose date: the first dose is at the latest then
    ex = ex.sort_values(["USUBJID", "FIRSTDT", "SRCROW"], kind="stable")
    first = ex.drop_duplicates("USUBJID").set_index("USUBJID")
    return first.assign(FIRSTDTHI=latest.reindex(first.index))


def _death_records(sdtm: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per subject with a death date: the DS record carrying it, the date as DTHDT."""
    ds = _dates(_domain(sdtm, "DS", "DSDTHDTC"), "DSDTHDTC", "DTHDT").dropna(subset=["DTHDT"])
    return ds.sort_values(["USUBJID", "DTHDT"], kind="stable").drop_duplicates("USUBJID").set_index("USUBJID")


def _dated_records(sdtm: dict[str, pd.DataFrame]):
    """Every (domain, date variable, records with that date filled) of the common model."""
    for name, frame in sdtm.items():
        for variable in [c for c in frame.columns if c in DATE_LABELS]:
            dated = frame[frame[variable].notna()]
            if len(dated):
                yield name, variable, _dates(dated, variable, "ADT")


# --- Plausibility: dates in an order that can happen ------------------------------------------


def diagnosis_before_first_dose(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """The diagnosis of B-ALL (MH MHSTDTC) is dated before the first InO dose (earliest EX
    EXSTDTC): InO treats relapsed or refractory disease, so the diagnosis comes first."""
    mh = _domain(sdtm, "MH", "MHSTDTC")
    first = _first_doses(sdtm)
    mh = mh[mh["USUBJID"].isin(first.index)]
    mh = _dates(mh, "MHSTDTC", "ADT").assign(FIRSTDTHI=mh["USUBJID"].map(first["FIRSTDTHI"]))
    bad = mh[mh["ADT"].notna() & (mh["ADT"] >= mh["FIRSTDTHI"])]
    findings = []
    for _, record in bad.iterrows():
        dose = first.loc[record["USUBJID"]]
        rule = (
            f"diagnosis date {_shown(record['MHSTDTC'])} is not before the first InO dose on "
            f"{_shown(dose['EXSTDTC'])} ({_where(dose)}): InO is given for relapsed or refractory "
            "disease, so the diagnosis must come first"
        )
        findings.append(_finding("MH", record, "MHSTDTC", rule, PLAUSIBILITY))
    return Checked(findings, len(mh))


def assessments_after_first_dose(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """Every disease assessment (RS RSDTC, one per marrow assessment row) is dated on or after
    the first InO dose, except pre-treatment marrows (the baseline is the last one on or before
    the first dose) up to PRETREATMENT_WINDOW_DAYS before it; an older one is mis-dated or
    belongs to an earlier line of therapy."""
    rs = _domain(sdtm, "RS", "RSDTC")
    first = _first_doses(sdtm)
    rows = rs[rs["USUBJID"].isin(first.index)].drop_duplicates(["SITEID", "SRCFILE", "SRCSHEET", "SRCROW"])
    rows = _dates(rows, "RSDTC", "ADT").assign(FIRSTDT=rows["USUBJID"].map(first["FIRSTDT"]))
    days_before = (rows["FIRSTDT"] - rows["ADTHI"]).dt.days  # at least this many days before
    bad = rows[days_before > PRETREATMENT_WINDOW_DAYS]
    findings = []
    for index, record in bad.iterrows():
        dose = first.loc[record["USUBJID"]]
        rule = (
            f"disease assessment dated {_shown(record['RSDTC'])} is {int(days_before[index])} days before the "
            f"first InO dose on {_shown(dose['EXSTDTC'])} ({_where(dose)}): response assessments follow the "
            f"first dose and a pre-treatment marrow is at most {PRETREATMENT_WINDOW_DAYS} days before it; "
            "is the date wrong?"
        )
        findings.append(_finding("RS", record, "RSDTC", rule, PLAUSIBILITY))
    return Checked(findings, len(rows))


def hsct_after_first_dose(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """A transplant the data record as done after InO (PR with PRCAT in HSCT_AFTER_INO_PRCAT) is
    dated on or after the first InO dose; the analysis counts only those (HSCTFL), so an earlier
    one would silently not count."""
    pr = _domain(sdtm, "PR", "PRCAT", "PRSTDTC")
    first = _first_doses(sdtm)
    pr = pr[pr["PRCAT"].isin(HSCT_AFTER_INO_PRCAT) & pr["USUBJID"].isin(first.index)]
    pr = _dates(pr, "PRSTDTC", "ADT").assign(FIRSTDT=pr["USUBJID"].map(first["FIRSTDT"]))
    bad = pr[pr["ADTHI"].notna() & (pr["ADTHI"] < pr["FIRSTDT"])]
    findings = []
    for _, record in bad.iterrows():
        dose = first.loc[record["USUBJID"]]
        rule = (
            f"transplant dated {_shown(record['PRSTDTC'])} is before the first InO dose on {_shown(dose['EXSTDTC'])} "
            f"({_where(dose)}): the site's transplant list is of transplants after InO"
        )
        findings.append(_finding("PR", record, "PRSTDTC", rule, PLAUSIBILITY))
    return Checked(findings, len(pr))


def no_records_after_death(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """No record of any domain (a dose, an assessment, a laboratory value, an adverse event, a
    medication, a transplant, a last-contact date) is dated after the subject's death (DS
    DSDTHDTC)."""
    deaths = _death_records(sdtm)
    findings, checked = [], 0
    for name, variable, records in _dated_records(sdtm):
        records = records[records["USUBJID"].isin(deaths.index)]
        records = records.assign(DTHDTHI=records["USUBJID"].map(deaths["DTHDTHI"]))
        checked += len(records)
        for _, record in records[records["ADT"] > records["DTHDTHI"]].iterrows():
            death = deaths.loc[record["USUBJID"]]
            rule = (
                f"{DATE_LABELS[variable]} {_shown(record[variable])} is after the subject's death on "
                f"{_shown(death['DSDTHDTC'])} ({_where(death)}): no record can follow death"
            )
            findings.append(_finding(name, record, variable, rule, PLAUSIBILITY))
    return Checked(findings, checked)


def no_records_after_last_contact(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """For a subject not known dead, no record is dated after the last contact date (DS DSSTDTC,
    the date last known alive): a later record means the subject was seen later, and survival
    would be censored too early."""
    ds = _domain(sdtm, "DS", "DSDECOD", "DSSTDTC")
    deaths = _death_records(sdtm)
    ds = ds[(ds["DSDECOD"] != "DEAD") & ~ds["USUBJID"].isin(deaths.index)]
    ds = _dates(ds, "DSSTDTC", "LSTDT").dropna(subset=["LSTDT"])
    last = ds.sort_values(["USUBJID", "LSTDTHI"]).drop_duplicates("USUBJID", keep="last").set_index("USUBJID")
    findings, checked = [], 0
    for name, variable, records in _dated_records(sdtm):
        if name == "DS":
            continue
        records = records[records["USUBJID"].isin(last.index)]
        records = records.assign(LSTDTHI=records["USUBJID"].map(last["LSTDTHI"]))
        checked += len(records)
        for _, record in records[records["ADT"] > records["LSTDTHI"]].iterrows():
            contact = last.loc[record["USUBJID"]]
            rule = (
                f"{DATE_LABELS[variable]} {_shown(record[variable])} is after the last contact date "
                f"{_shown(contact['DSSTDTC'])} ({_where(contact)}): is the last contact date out of date?"
            )
            findings.append(_finding(name, record, variable, rule, PLAUSIBILITY))
    return Checked(findings, checked)


# --- Conformance: values in the standard unit ---------------------------------------------------


def lab_values_in_standard_units(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """Each laboratory value and temperature is in the standard unit of its test
    (config/units.yaml; LB LBSTRESU, VS VSSTRESU): the analysis thresholds assume it."""
    standard = {test: q["standard"] for test, q in load_units().quantities.items()}
    findings, checked = [], 0
    for name in ("LB", "VS"):
        frame = _domain(sdtm, name, f"{name}TESTCD", f"{name}TEST", f"{name}STRESN", f"{name}STRESU")
        frame = frame[frame[f"{name}TESTCD"].isin(standard) & frame[f"{name}STRESN"].notna()]
        checked += len(frame)
        expected = frame[f"{name}TESTCD"].map(standard)
        for index, record in frame[frame[f"{name}STRESU"] != expected].iterrows():
            label = record[f"{name}TEST"] or record[f"{name}TESTCD"]
            unit = _shown(record[f"{name}STRESU"]) or "no unit"
            rule = f"{label} is in {unit}, not in the standard unit {expected[index]}: was the unit converted?"
            findings.append(_finding(name, record, f"{name}STRESN", rule, CONFORMANCE))
    return Checked(findings, checked)


# --- Plausibility: one patient, one site -----------------------------------------------------


def one_subject_one_site(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """Each patient is in the patient list (DM) once, and of one site only: no subject is listed
    twice, and no two subjects of different sites share sex, diagnosis date and first InO dose
    date (the same patient sent by two sites, e.g. after a referral)."""
    dm = _domain(sdtm, "DM", "SEX")
    findings = []
    for _, record in dm[dm.duplicated("USUBJID", keep=False)].iterrows():
        rule = f"subject {record['SUBJID']} is listed more than once in the patient list of site {record['SITEID']}"
        findings.append(_finding("DM", record, "SUBJID", rule, PLAUSIBILITY))
    mh = _domain(sdtm, "MH", "MHSTDTC").drop_duplicates("USUBJID").set_index("USUBJID")["MHSTDTC"]
    first = _first_doses(sdtm)["EXSTDTC"]
    keyed = dm.drop_duplicates("USUBJID")
    keyed = keyed.assign(DIAG=keyed["USUBJID"].map(mh), FIRST=keyed["USUBJID"].map(first))
    keyed = keyed.dropna(subset=["SEX", "DIAG", "FIRST"])
    for _, same in keyed.groupby(["SEX", "DIAG", "FIRST"]):
        if same["SITEID"].nunique() < 2:
            continue
        for _, record in same.iterrows():
            others = same[same["SITEID"] != record["SITEID"]]
            named = ", ".join(f"subject {o['SUBJID']} of site {o['SITEID']}" for _, o in others.iterrows())
            rule = (
                f"subject {record['SUBJID']} has the same sex ({record['SEX']}), diagnosis date ({record['DIAG']}) "
                f"and first InO dose ({record['FIRST']}) as {named}: the same patient sent by two sites?"
            )
            findings.append(_finding("DM", record, "SUBJID", rule, PLAUSIBILITY))
    return Checked(findings, len(dm))


# --- Conformance: records belong to a listed patient ------------------------------------------


def records_of_listed_subjects(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """Every record of every domain (the screening log IE aside, which also lists cases never
    enrolled) belongs to a subject of the site's patient list (DM): a subject id not in the list
    is a typing slip or a patient missing from the list."""
    dm = _domain(sdtm, "DM")
    listed = set(dm["USUBJID"])
    findings, checked = [], 0
    for name, frame in sdtm.items():
        if name in ("DM", "IE") or frame.empty:
            continue
        checked += len(frame)
        for _, record in frame[~frame["USUBJID"].isin(listed)].iterrows():
            rule = (
                f"subject {record['SUBJID']} appears in the {DOMAIN_LABELS.get(name, name)} but not in the patient "
                f"list of site {record['SITEID']}: a mistyped subject id, or a patient missing from the list?"
            )
            findings.append(_finding(name, record, "SUBJID", rule, CONFORMANCE))
    return Checked(findings, checked)


# --- Completeness ----------------------------------------------------------------------------


def every_subject_dosed(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """Every subject of the patient list (DM) has at least one InO dose (EX): the study is of
    InO-treated patients, and the first dose is the index date of every time-to-event endpoint."""
    dm = _domain(sdtm, "DM")
    dosed = set(_domain(sdtm, "EX")["USUBJID"])
    findings = [
        _finding(
            "DM",
            record,
            "SUBJID",
            f"subject {record['SUBJID']} of site {record['SITEID']} has no InO dose in the dosing data",
            COMPLETENESS,
        )
        for _, record in dm[~dm["USUBJID"].isin(dosed)].iterrows()
    ]
    return Checked(findings, len(dm))


def every_subject_followed_up(sdtm: dict[str, pd.DataFrame]) -> list[Finding]:
    """Every subject of the patient list (DM) has a follow-up record (DS: last contact, vital
    status): overall survival cannot be derived without it."""
    dm = _domain(sdtm, "DM")
    followed = set(_domain(sdtm, "DS")["USUBJID"])
    findings = [
        _finding(
            "DM",
            record,
            "SUBJID",
            f"subject {record['SUBJID']} of site {record['SITEID']} has no follow-up record (last contact, vital status)",
            COMPLETENESS,
        )
        for _, record in dm[~dm["USUBJID"].isin(followed)].iterrows()
    ]
    return Checked(findings, len(dm))


def every_site_sends_required_domains(
    sdtm: dict[str, pd.DataFrame], expected_sites: Iterable[str] = ()
) -> list[Finding]:
    """Every site (of any domain, or expected by the study) has records in each of
    REQUIRED_DOMAINS: patient list (DM), InO doses (EX), disease assessments (RS) and follow-up
    (DS). A site with none is a file not sent, sent empty, or read with the wrong layout."""
    sites = set(expected_sites)
    for frame in sdtm.values():
        if "SITEID" in frame.columns:
            sites |= set(frame["SITEID"].dropna())
    findings = []
    for site in sorted(sites):
        for name in REQUIRED_DOMAINS:
            frame = _domain(sdtm, name)
            if not (frame["SITEID"] == site).any():
                required = ", ".join(DOMAIN_LABELS[d] for d in REQUIRED_DOMAINS)
                rule = f"site {site} sent no {DOMAIN_LABELS[name]} ({name}): every site must send {required}"
                findings.append(Finding(site, "", "", None, "", "", rule, COMPLETENESS))
    return Checked(findings, len(sites) * len(REQUIRED_DOMAINS))


CROSS_DOMAIN_CHECKS: list[Check] = [
    Check(
        "records_of_listed_subjects",
        "Every record (screening log aside) belongs to a subject of the site's patient list.",
        CONFORMANCE,
        records_of_listed_subjects,
    ),
    Check(
        "lab_values_in_standard_units",
        "Laboratory values and temperatures are in the standard unit of their test.",
        CONFORMANCE,
        lab_values_in_standard_units,
    ),
    Check(
        "every_subject_dosed",
        "Every subject of the patient list has at least one InO dose.",
        COMPLETENESS,
        every_subject_dosed,
    ),
    Check(
        "every_subject_followed_up",
        "Every subject of the patient list has a follow-up record (last contact, vital status).",
        COMPLETENESS,
        every_subject_followed_up,
    ),
    Check(
        "every_site_sends_required_domains",
        "Every site sends patients, InO doses, disease assessments and follow-up (at least one record each).",
        COMPLETENESS,
        every_site_sends_required_domains,
    ),
    Check(
        "diagnosis_before_first_dose",
        "The diagnosis of B-ALL is dated before the first InO dose.",
        PLAUSIBILITY,
        diagnosis_before_first_dose,
    ),
    Check(
        "assessments_after_first_dose",
        f"Disease assessments follow the first InO dose; a pre-treatment marrow is at most "
        f"{PRETREATMENT_WINDOW_DAYS} days before it.",
        PLAUSIBILITY,
        assessments_after_first_dose,
    ),
    Check(
        "hsct_after_first_dose",
        "A transplant recorded as after InO is dated on or after the first InO dose.",
        PLAUSIBILITY,
        hsct_after_first_dose,
    ),
    Check(
        "no_records_after_death",
        "No record (dose, assessment, laboratory value, event, medication, transplant, last contact) "
        "is dated after the subject's death.",
        PLAUSIBILITY,
        no_records_after_death,
    ),
    Check(
        "no_records_after_last_contact",
        "For a subject not known dead, no record is dated after the last contact date.",
        PLAUSIBILITY,
        no_records_after_last_contact,
    ),
    Check(
        "one_subject_one_site",
        "Each patient is listed once, by one site only (no two sites share a patient's sex, diagnosis "
        "date and first dose date).",
        PLAUSIBILITY,
        one_subject_one_site,
    ),
]


def check_common_model(
    sdtm: dict[str, pd.DataFrame], expected_sites: Iterable[str] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every check of CROSS_DOMAIN_CHECKS on the common model.

    Returns ``(findings, checks)``: the findings (columns REPORT_COLUMNS, ``stage`` 'common
    model', one row each, ordered by site, file, sheet and row) and one row per check run
    (CHECK_COLUMNS), failed or not. ``expected_sites`` (e.g. the study's site ids) lets a site
    that sent nothing at all be found.
    """
    findings: list[Finding] = []
    rows = []
    for check in CROSS_DOMAIN_CHECKS:
        context = {"expected_sites": expected_sites} if "expected_sites" in signature(check.function).parameters else {}
        found = check.function(sdtm, **context)
        findings += found
        records = getattr(found, "records_checked", None)
        rows.append([check.name, check.category, check.description, records, len(found)])
    frame = findings_frame(findings).assign(stage=STAGE_COMMON_MODEL)
    frame["row"] = frame["row"].astype("Int64")
    frame = frame.sort_values(["site", "file", "sheet", "row", "column"], kind="stable", na_position="first")
    checks = pd.DataFrame(rows, columns=CHECK_COLUMNS).astype({"records_checked": "Int64", "failures": "int64"})
    return frame[REPORT_COLUMNS].reset_index(drop=True), checks


# --- The report ------------------------------------------------------------------------------


def collect_findings(
    extract_findings: Iterable[pd.DataFrame | str | Path], common_model: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The findings of both stages in one frame (REPORT_COLUMNS).

    ``extract_findings`` are the per-extract findings tables (frames, or the CSVs the extract
    stage writes: columns of :func:`inoflow.errors.findings_frame`), marked stage 'extract';
    ``common_model`` is the findings frame of :func:`check_common_model`.
    """
    parts = []
    for item in extract_findings:
        frame = item if isinstance(item, pd.DataFrame) else pd.read_csv(item, dtype=str, keep_default_na=False)
        parts.append(frame.reindex(columns=FINDING_COLUMNS).assign(stage=STAGE_EXTRACT))
    if common_model is not None:
        parts.append(common_model.reindex(columns=REPORT_COLUMNS))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    return _tidy(pd.concat(parts, ignore_index=True))


def _tidy(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings as text cells (row a whole number or empty), in report order."""
    missing = [c for c in REPORT_COLUMNS if c not in findings.columns]
    if missing:
        raise ValueError(f"findings lack the column(s) {missing}; expected {REPORT_COLUMNS}")
    table = findings[REPORT_COLUMNS].copy()
    for column in REPORT_COLUMNS:
        if column != "row":
            table[column] = table[column].map(_cell)
    table["row"] = pd.to_numeric(table["row"].map(lambda v: _cell(v) or None), errors="coerce").astype("Int64")
    order = {
        "stage": {s: i for i, s in enumerate(STAGES)},
        "category": {c: i for i, c in enumerate(CATEGORIES)},
    }
    table = table.sort_values(
        ["stage", "category", "site", "file", "sheet", "row", "column"],
        key=lambda s: s.map(order[s.name]).fillna(len(order[s.name])) if s.name in order else s,
        kind="stable",
        na_position="first",
    )
    return table.reset_index(drop=True)


def _cell(value) -> str:
    """A cell as text: empty for a missing value, whole numbers without '.0'."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def counts_by_site(findings: pd.DataFrame) -> pd.DataFrame:
    """Number of findings per site (rows) and category (columns), with totals.

    Sites are listed in order; a finding without a site is counted under '(no site)'.
    """
    table = _tidy(findings) if len(findings) else pd.DataFrame(columns=REPORT_COLUMNS)
    sites = table["site"].replace("", "(no site)")
    counts = pd.crosstab(sites, table["category"]).reindex(columns=list(CATEGORIES), fill_value=0)
    extra = [c for c in sorted(set(table["category"])) if c not in CATEGORIES]
    if extra:
        counts = pd.concat([counts, pd.crosstab(sites, table["category"])[extra]], axis=1)
    counts = counts.reindex(sorted(counts.index), fill_value=0)
    counts["total"] = counts.sum(axis=1)
    counts.loc["all sites"] = counts.sum(axis=0)
    counts.index.name = "site"
    return counts.astype(int)


CATEGORY_TEXT = {
    CONFORMANCE: "Does each value follow the agreed format? The file's layout, the type of each value "
    "(a number, a date in the declared format, a code from the agreed list), required columns, and "
    "whether each record belongs to a patient of the site's patient list.",
    COMPLETENESS: "Is what must be there present? Required values in each row; every patient dosed and "
    "followed up; every site sending patients, doses, disease assessments and follow-up.",
    PLAUSIBILITY: "Is each value believable? Values within physically possible ranges (in the common "
    "unit), dates not in the future, and dates in an order that can happen: diagnosis before "
    "treatment, assessments after it, nothing after death.",
}

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:75em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{font-size:1.3em;margin-top:1.6em;border-bottom:1px solid #ccc}h3{font-size:1.1em}
table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #bbb;padding:3px 8px;font-size:90%;vertical-align:top}
th{background:#eee;text-align:left}td.n{text-align:right}tr.total td{font-weight:bold}
.pass{color:#1a6b1a;font-weight:bold}.fail{color:#a31515;font-weight:bold}.muted{color:#666}
.box{background:#f6f6f6;border-left:4px solid #888;padding:.5em 1em}
"""


def _table(header: list[str], rows: Iterable[list[str]], numeric: Iterable[int] = (), classes=None) -> str:
    """An HTML table of text cells (escaped here); ``numeric`` columns are right-aligned."""
    numeric = set(numeric)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(
            f'<td class="n">{html.escape(c)}</td>' if j in numeric else f"<td>{html.escape(c)}</td>"
            for j, c in enumerate(row)
        )
        row_class = f' class="{classes[i]}"' if classes and classes[i] else ""
        body.append(f"<tr{row_class}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def data_quality_report(
    findings: pd.DataFrame,
    checks: pd.DataFrame,
    reconciliation: pd.DataFrame | None = None,
    title: str = "",
) -> tuple[pd.DataFrame, str]:
    """The data-quality report: the CSV table and a self-contained HTML page.

    ``findings`` holds the findings of both stages (REPORT_COLUMNS; see :func:`collect_findings`),
    ``checks`` the checks run on the common model (CHECK_COLUMNS, from :func:`check_common_model`),
    ``reconciliation`` the row accounting of :mod:`inoflow.model.reconcile` (optional). Returns the
    table (one row per finding, columns REPORT_COLUMNS) and the HTML page.
    """
    table = _tidy(findings) if len(findings) else pd.DataFrame(columns=REPORT_COLUMNS).astype({"row": "Int64"})
    heading = "Data quality report" + (f": {title}" if title else "")
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(heading)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(heading)}</h1>",
        report_body(table, checks, reconciliation),
        "</body></html>",
    ]
    return table, "\n".join(parts) + "\n"


def report_body(table: pd.DataFrame, checks: pd.DataFrame, reconciliation: pd.DataFrame | None = None) -> str:
    """The report's sections (HTML, no page around them; styled by STYLE): what was checked,
    the verdict, rows accounted for, counts per site and category, checks run, every finding.
    The HTML book embeds this as its data-quality appendix."""
    table = _tidy(table) if len(table) else pd.DataFrame(columns=REPORT_COLUMNS).astype({"row": "Int64"})
    parts = [_introduction(), _verdict(table, checks)]
    if reconciliation is not None:
        parts.append(_reconciliation_section(reconciliation))
    parts.append(_counts_section(table, reconciliation))
    parts.append(_checks_section(checks))
    parts.append(_findings_section(table))
    return "\n".join(parts)


def _introduction() -> str:
    categories = "".join(
        f"<li><b>{html.escape(c.capitalize())}</b>: {html.escape(CATEGORY_TEXT[c])}</li>" for c in CATEGORIES
    )
    return f"""<h2>What was checked</h2>
<p>The data were checked twice. First <b>each file a site sent</b> (the <i>extract</i> stage), cell
by cell, against the layout the site declared and the data contract the sites agreed to. Then the
<b>harmonised data of all sites together</b> (the <i>common model</i> stage), with checks that need
several tables at once: dates in a possible order, one patient in one site, every patient dosed.</p>
<p>Each check belongs to one of three categories, those of the OHDSI Data Quality Dashboard:</p>
<ul>{categories}</ul>
<p>Each finding says where to look in the file the site sent: the <b>site</b>, the <b>file</b>, the
<b>sheet</b> (for Excel workbooks), the <b>row</b> as numbered in the file (header rows counted), the
<b>column</b> as the site named it, the <b>value</b> and the <b>rule</b> it breaks. At the extract
stage the value is shown as the site wrote it; at the common-model stage it is shown as harmonised
(dates as yyyy-mm-dd, numbers in the common unit named in the rule). A plausibility finding is not
necessarily an error: it asks the site to confirm or correct the value.</p>"""


def _verdict(table: pd.DataFrame, checks: pd.DataFrame) -> str:
    failed = int((checks["failures"] > 0).sum()) if len(checks) else 0
    run = f"{_plural(len(checks), 'check')} on the common model, {failed} failed"
    if table.empty:
        return f'<p class="box"><b>No findings.</b> Every check passed ({html.escape(run)}).</p>'
    by_category = ", ".join(f"{int((table['category'] == c).sum())} {c}" for c in CATEGORIES)
    by_stage = ", ".join(f"{int((table['stage'] == s).sum())} at the {s} stage" for s in STAGES)
    return (
        f'<p class="box"><b>{_plural(len(table), "finding")}</b>: {html.escape(by_category)} '
        f"({html.escape(by_stage)}). {html.escape(run)}.</p>"
    )


def _reconciliation_section(reconciliation: pd.DataFrame) -> str:
    columns = ["rows_read", "rows_harmonised", "rows_rejected", "rows_unaccounted"]
    if reconciliation.empty or not set(columns) <= set(reconciliation.columns):
        return "<h2>Rows accounted for</h2><p>No reconciliation table was given.</p>"
    per_site = reconciliation.groupby("site")[columns].sum().sort_index()
    balanced = reconciliation.groupby("site")["balanced"].all() if "balanced" in reconciliation else None
    rows = []
    for site, r in per_site.iterrows():
        ok = balanced is None or bool(balanced[site])
        rows.append([str(site), *(str(int(r[c])) for c in columns), "yes" if ok else "NO"])
    totals = per_site.sum()
    all_ok = balanced is None or bool(balanced.all())
    rows.append(["all sites", *(str(int(totals[c])) for c in columns), "yes" if all_ok else "NO"])
    status = (
        "Every row read is accounted for: each was harmonised or rejected with its reason."
        if all_ok
        else "Some rows are not accounted for: see the reconciliation report."
    )
    header = ["site", "rows read", "harmonised", "rejected", "unaccounted", "balanced"]
    classes = [""] * (len(rows) - 1) + ["total"]
    return (
        f"<h2>Rows accounted for</h2><p>{html.escape(status)} Each rejected row is also a finding of "
        f"the extract stage.</p>{_table(header, rows, numeric=range(1, 5), classes=classes)}"
    )


def _counts_section(table: pd.DataFrame, reconciliation: pd.DataFrame | None) -> str:
    counts = counts_by_site(table)
    known = set(reconciliation["site"]) if reconciliation is not None and "site" in reconciliation else set()
    missing = sorted(known - set(counts.index))
    if missing:
        zero = pd.DataFrame(0, index=missing, columns=counts.columns)
        counts = pd.concat([counts.drop(index="all sites"), zero]).sort_index()
        counts.loc["all sites"] = counts.sum(axis=0)
    header = ["site", *counts.columns]
    rows = [[str(site), *(str(int(v)) for v in values)] for site, values in counts.iterrows()]
    classes = [""] * (len(rows) - 1) + ["total"]
    return (
        f"<h2>Findings per site and category</h2>{_table(header, rows, numeric=range(1, len(header)), classes=classes)}"
    )


def _checks_section(checks: pd.DataFrame) -> str:
    if checks.empty:
        return "<h2>Checks run on the common model</h2><p>No common-model checks were run.</p>"
    rows, classes = [], []
    for c in checks.itertuples(index=False):
        failures = int(c.failures)
        records = "" if pd.isna(c.records_checked) else str(int(c.records_checked))
        rows.append([c.check, c.category, c.description, records, str(failures), "FAIL" if failures else "pass"])
        classes.append("")
    header = ["check", "category", "rule", "records checked", "findings", "result"]
    body = _table(header, rows, numeric=(3, 4))
    body = body.replace("<td>FAIL</td>", '<td class="fail">FAIL</td>').replace(
        "<td>pass</td>", '<td class="pass">pass</td>'
    )
    return (
        "<h2>Checks run on the common model</h2>"
        "<p>Every check that needs several tables or all sites, passed or failed. The extract-stage "
        "checks are one per column and rule of each site's layout; their failures are listed below.</p>"
        f"{body}"
    )


def _findings_section(table: pd.DataFrame) -> str:
    parts = ["<h2>Findings</h2>"]
    if table.empty:
        parts.append("<p>There are no findings: every value of every file passed every check.</p>")
        return "".join(parts)
    categories = list(CATEGORIES) + sorted(set(table["category"]) - set(CATEGORIES))
    header = ["site", "file", "sheet", "row", "column", "value", "rule", "stage"]
    for category in categories:
        part = table[table["category"] == category]
        name = category.capitalize() if category else "Uncategorised"
        parts.append(f"<h3>{html.escape(name)} ({len(part)})</h3>")
        if part.empty:
            parts.append(f"<p>No {html.escape(category)} findings.</p>")
            continue
        rows = [
            [_cell(r.site), _cell(r.file), _cell(r.sheet), "" if pd.isna(r.row) else str(int(r.row)), *r[4:]]
            for r in part[header].itertuples(index=False)
        ]
        parts.append(_table(header, rows, numeric=(3,)))
    return "".join(parts)


def write_data_quality_report(
    sdtm: dict[str, pd.DataFrame] | Iterable[str | Path],
    extract_findings: Iterable[pd.DataFrame | str | Path],
    reconciliation: pd.DataFrame | str | Path | None,
    out_csv: str | Path,
    out_html: str | Path,
    out_checks: str | Path | None = None,
    title: str = "",
    expected_sites: Iterable[str] = (),
) -> pd.DataFrame:
    """Check the common model, merge its findings with the extract stage's, write the report.

    ``sdtm`` is the common model, or its parquet files (one per domain, named ``<DOMAIN>.parquet``);
    ``extract_findings`` the extract stage's findings CSVs; ``reconciliation`` its table or CSV.
    Writes the findings table (``out_csv``), the HTML page (``out_html``) and, if asked, the
    checks-run table (``out_checks``); returns the findings table.
    """
    if not isinstance(sdtm, dict):
        sdtm = {Path(path).stem: pd.read_parquet(path) for path in sdtm}
    common, checks = check_common_model(sdtm, expected_sites)
    if reconciliation is not None and not isinstance(reconciliation, pd.DataFrame):
        reconciliation = pd.read_csv(reconciliation)
    table, page = data_quality_report(collect_findings(extract_findings, common), checks, reconciliation, title)
    table.to_csv(out_csv, index=False)
    Path(out_html).write_text(page, encoding="utf-8")
    if out_checks is not None:
        checks.to_csv(out_checks, index=False)
    return table
