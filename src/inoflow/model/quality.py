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

Some checks need more than the cut's common model, and run when it is given (else they are
listed as not run): the study (its sites' dialects name the files and the date formats; its
``data_quality:`` settings declare the study window, the share of rows a file may lose against
the previous cut and any check's severity, :class:`inoflow.config.QualitySettings`), the
previous cut's common model and rows per file (cuts in order of cut-off; the first cut has
none), and the patient-list rows the quarantine set aside.

Each check has a **severity**, declared with it in :data:`CROSS_DOMAIN_CHECKS` and overridable
by the study (``data_quality: severity:``): ``error`` stops a cut under policy fail (every locked
cut) until the site corrects or confirms the data; ``warning`` is listed and stops nothing. An
extract-stage finding is an error.

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
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from inspect import signature
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from inoflow.config import DEFAULT_ROW_COUNT_FALL, load_contract, load_units
from inoflow.errors import FINDING_COLUMNS, Finding, findings_frame, shown_id
from inoflow.extract.parsing import iso_date_bounds
from inoflow.frames import read_parquet, read_parquet_in_parts

log = logging.getLogger(__name__)

CONFORMANCE, COMPLETENESS, PLAUSIBILITY = "conformance", "completeness", "plausibility"
CATEGORIES = (CONFORMANCE, COMPLETENESS, PLAUSIBILITY)
STAGE_EXTRACT, STAGE_COMMON_MODEL = "extract", "common model"
STAGES = (STAGE_EXTRACT, STAGE_COMMON_MODEL)
ERROR, WARNING = "error", "warning"
SEVERITIES = (ERROR, WARNING)
REPORT_COLUMNS = [*FINDING_COLUMNS, "stage", "severity"]
CHECK_COLUMNS = ["check", "category", "severity", "description", "records_checked", "failures"]

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


def _id(subject: object) -> str:
    """A patient id as a rule may name it (:func:`inoflow.errors.shown_id`): a name typed into
    the id column is masked."""
    return shown_id(str(subject))


class Check(NamedTuple):
    """One cross-domain check: its name, the rule in words, its OHDSI DQD category, the function
    and its severity (error: stops a cut under policy fail; warning: listed only)."""

    name: str
    description: str
    category: str
    function: Callable[[dict[str, pd.DataFrame]], list[Finding]]
    severity: str = ERROR


class Checked(list):
    """What a check returns: its findings (a list of Finding) and how many records it examined
    (None: not run, what it needs was not given, e.g. a previous cut for the first cut)."""

    def __init__(self, findings: Iterable[Finding] = (), records_checked: int | None = 0):
        super().__init__(findings)
        self.records_checked = records_checked


# --- Helpers ---------------------------------------------------------------------------------


RECORD_COLUMNS = ["USUBJID", "SUBJID", "SITEID", "SRCFILE", "SRCSHEET", "SRCROW", "SRCCOLS"]
"""The columns that say whose a record is and where it was read (a finding names them)."""


class StoredModel(Mapping):
    """A common model in its parquet files (one per domain, named ``<DOMAIN>.parquet``), each
    domain read when a check uses it. A domain of at most ``keep_rows`` rows is kept once read; a
    larger one (the laboratory results of a national registry) is read again at each use, and the
    checks that go through every record read only the columns they use (:func:`_narrow`): the
    report never holds every domain, nor every column of the largest, at once."""

    def __init__(self, paths: Iterable[str | Path], keep_rows: int = 1_000_000):
        self.paths = {Path(path).stem: Path(path) for path in paths}
        self.keep_rows = keep_rows
        self._kept: dict[str, pd.DataFrame] = {}
        self._columns: dict[str, list[str]] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self._kept:
            return self._kept[name]
        frame = read_parquet(self.paths[name])
        if len(frame) <= self.keep_rows:
            self._kept[name] = frame
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __contains__(self, name: object) -> bool:  # Mapping's would read the domain to find it
        return name in self.paths

    def __len__(self) -> int:
        return len(self.paths)

    def columns(self, name: str) -> list[str]:
        """A domain's columns, read from its file's schema once."""
        if name not in self._columns:
            import pyarrow.parquet as pq

            self._columns[name] = pq.read_schema(self.paths[name]).names
        return self._columns[name]

    def read(self, name: str, columns: list[str]) -> pd.DataFrame:
        """Only ``columns`` of a domain (each one it has)."""
        return self._kept[name][columns] if name in self._kept else read_parquet(self.paths[name], columns=columns)

    def read_in_parts(self, name: str, columns: list[str]) -> Iterator[pd.DataFrame]:
        """Only ``columns`` of a domain, in parts of whole row groups of about ``keep_rows``
        records (:func:`~inoflow.frames.read_parquet_in_parts`): one part if it is kept."""
        if name in self._kept:
            yield self._kept[name][columns]
        else:
            yield from read_parquet_in_parts(self.paths[name], columns=columns, rows=self.keep_rows)


def _domain(sdtm: Mapping[str, pd.DataFrame], name: str, *columns: str) -> pd.DataFrame:
    """A domain of the common model with at least the given columns (empty if not sent)."""
    frame = sdtm.get(name)
    if frame is None:
        return pd.DataFrame(columns=[*RECORD_COLUMNS, *columns])
    missing = [c for c in [*RECORD_COLUMNS, *columns] if c not in frame.columns]
    return frame.assign(**dict.fromkeys(missing)) if missing else frame


def _columns(sdtm: Mapping[str, pd.DataFrame], name: str) -> list[str]:
    """The columns of a domain of the common model."""
    return sdtm.columns(name) if isinstance(sdtm, StoredModel) else list(sdtm[name].columns)


def _narrow(sdtm: Mapping[str, pd.DataFrame], name: str, *columns: str, locate: bool = True) -> pd.DataFrame:
    """Only the given columns of a domain and, with ``locate``, those a finding on its records
    names (RECORD_COLUMNS and the domain's --TESTCD): for the checks that go through every record
    of every domain. A column the domain lacks is added empty, as :func:`_domain` does."""
    return next(_narrow_parts(sdtm, name, *columns, locate=locate, whole=True))


def _narrow_parts(
    sdtm: Mapping[str, pd.DataFrame], name: str, *columns: str, locate: bool = True, whole: bool = False
) -> Iterator[pd.DataFrame]:
    """:func:`_narrow`'s frame in parts of consecutive records (a stored domain over
    ``keep_rows`` records: the laboratory results of a national registry), indexed by their
    positions in the domain: for a check that looks at one record at a time, which then never
    holds the whole domain. With ``whole``, one part."""
    wanted = list(dict.fromkeys([*(RECORD_COLUMNS if locate else []), *columns]))
    optional = [f"{name}TESTCD"] if locate else []
    if name not in sdtm:
        yield pd.DataFrame(columns=wanted)
        return
    present = set(_columns(sdtm, name))
    read = [c for c in dict.fromkeys([*wanted, *optional]) if c in present]
    missing = [c for c in wanted if c not in present]
    if not isinstance(sdtm, StoredModel):
        frames = iter([sdtm[name][read]])
    elif whole:
        frames = iter([sdtm.read(name, read)])
    else:
        frames = sdtm.read_in_parts(name, read)
    for frame in frames:
        yield frame.assign(**dict.fromkeys(missing)) if missing else frame


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


def _dated_records(sdtm: Mapping[str, pd.DataFrame]):
    """Every (domain, date variable, records with that date filled) of the common model, each
    with the columns that locate a record (:func:`_narrow`) and its date; a large domain's
    records in consecutive parts (:func:`_narrow_parts`), each its own item."""
    for name in list(sdtm):
        for variable in [c for c in _columns(sdtm, name) if c in DATE_LABELS]:
            for frame in _narrow_parts(sdtm, name, variable):  # a large domain a part at a time
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
        columns = (f"{name}TESTCD", f"{name}TEST", f"{name}STRESN", f"{name}STRESU")
        for frame in _narrow_parts(sdtm, name, *columns):  # a large domain a part at a time
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
        rule = (
            f"subject {_id(record['SUBJID'])} is listed more than once in the patient list of site {record['SITEID']}"
        )
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
            named = ", ".join(f"subject {_id(o['SUBJID'])} of site {o['SITEID']}" for _, o in others.iterrows())
            rule = (
                f"subject {_id(record['SUBJID'])} has the same sex ({record['SEX']}), diagnosis date ({record['DIAG']}) "
                f"and first InO dose ({record['FIRST']}) as {named}: the same patient sent by two sites?"
            )
            findings.append(_finding("DM", record, "SUBJID", rule, PLAUSIBILITY))
    return Checked(findings, len(dm))


# --- Conformance: records belong to a listed patient ------------------------------------------


def _at(record: pd.Series) -> str:
    """Where a record is, as in a sentence: 'IN02/IN02_adverse_events.csv row 12' (a workbook's
    sheet named)."""
    sheet = record.get("SRCSHEET")
    sheet = f", sheet {sheet!r}," if isinstance(sheet, str) and sheet else ""
    return f"{record['SRCFILE']}{sheet} row {int(record['SRCROW'])}"


def patient_list_file(study, site: str) -> str:
    """The file (and sheet) a site sends its patient list in, as its records name it (SRCFILE),
    from its dialect; empty without the study."""
    if study is None or site not in study.sites or "patients" not in study.sites[site].domains:
        return ""
    spec = study.sites[site].domain_spec("patients")
    sheet = f", sheet {spec['sheet']!r}" if spec.get("sheet") else ""
    return f"{site}/{spec['file']}{sheet}"


def set_aside_patients(study, paths: Iterable[str | Path]) -> pd.DataFrame:
    """The patient-list rows the quarantine set aside (``validated/<site>/patients.rejected.parquet``
    of each site): SITEID, SUBJID (read from the column the site's dialect maps to it), SRCFILE,
    SRCSHEET, SRCROW. Nothing else of the rows is read."""
    parts = []
    for path in paths:
        site = Path(path).parent.name
        rejected = read_parquet(path)
        columns = study.sites[site].domain_spec("patients").get("columns", {})
        source = next((c for c, t in columns.items() if (t if isinstance(t, str) else t["to"]) == "SUBJID"), None)
        if rejected.empty or source not in rejected.columns:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "SITEID": site,
                    "SUBJID": rejected[source].astype(str).str.strip(),
                    "SRCFILE": rejected["SRCFILE"],
                    "SRCSHEET": rejected["SRCSHEET"],
                    "SRCROW": rejected["SRCROW"].astype(int),
                }
            )
        )
    columns = ["SITEID", "SUBJID", "SRCFILE", "SRCSHEET", "SRCROW"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def records_of_listed_subjects(
    sdtm: dict[str, pd.DataFrame], study=None, set_aside: pd.DataFrame | None = None
) -> list[Finding]:
    """Every record of every domain (the screening log IE aside, which also lists cases never
    enrolled) belongs to a subject of the site's patient list (DM): a subject id not in the list
    is a typing slip, a patient missing from the list, or a patient whose row of the list the
    quarantine set aside (``set_aside``, :func:`set_aside_patients`). One finding per source row,
    naming the patient, the file and the row; a site whose patient list is empty gets one finding
    per file instead (every record of the site is then without a patient)."""
    dm = _domain(sdtm, "DM")
    listed = set(dm["USUBJID"])
    sites_listing = set(dm["SITEID"])
    aside = {}
    if set_aside is not None:
        for _, row in set_aside.iterrows():
            aside.setdefault((row["SITEID"], row["SUBJID"]), row)
    findings, checked = [], 0
    seen: set[tuple] = set()
    unlisted_files: dict[tuple, list[pd.Series]] = {}
    for name, frame in ((n, f) for n in list(sdtm) if n not in ("DM", "IE") for f in _narrow_parts(sdtm, n)):
        if frame.empty:
            continue
        checked += len(frame)
        orphans = frame[~frame["USUBJID"].isin(listed)]
        orphans = orphans.drop_duplicates(["SITEID", "SRCFILE", "SRCSHEET", "SRCROW"])
        if len(orphans):  # a source row's records may straddle two parts of a large domain
            located = [orphans[c] for c in ("SITEID", "SRCFILE", "SRCSHEET", "SRCROW")]
            keys = [(name, *key) for key in zip(*located, strict=True)]
            orphans = orphans[[key not in seen for key in keys]]
            seen.update(keys)
        for _, record in orphans.iterrows():
            site = record["SITEID"]
            if site not in sites_listing:
                unlisted_files.setdefault((site, record["SRCFILE"], record["SRCSHEET"] or ""), []).append(record)
                continue
            text = f"patient {_id(record['SUBJID'])} in {_at(record)} is not in the site's patient list"
            listing = patient_list_file(study, site)
            held = aside.get((site, record["SUBJID"]))
            if held is not None:
                text += (
                    f": the patient's row {int(held['SRCROW'])} of {held['SRCFILE']} was set aside by the "
                    "quarantine (see its finding); correct that row at the site"
                )
            else:
                text += (f" ({listing})" if listing else "") + (
                    ": a mistyped subject id, or a patient missing from the list?"
                )
            findings.append(_finding(name, record, "SUBJID", text, CONFORMANCE))
    for (site, file, sheet), records in sorted(unlisted_files.items()):
        listing = patient_list_file(study, site) or "the site's patient list"
        patients = len({r["SUBJID"] for r in records})
        where = f"{file}, sheet {sheet!r}" if sheet else file
        rule = (
            f"{_plural(len(records), 'row')} of {_plural(patients, 'patient')} in {where} belong to no listed "
            f"patient: {listing} lists no patients (a file sent with its header only, or every row set aside?)"
        )
        findings.append(Finding(site, file, sheet, None, "", "", rule, CONFORMANCE))
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
            f"subject {_id(record['SUBJID'])} of site {record['SITEID']} has no InO dose in the dosing data",
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
            f"subject {_id(record['SUBJID'])} of site {record['SITEID']} has no follow-up record (last contact, vital status)",
            COMPLETENESS,
        )
        for _, record in dm[~dm["USUBJID"].isin(followed)].iterrows()
    ]
    return Checked(findings, len(dm))


def every_site_sends_required_domains(
    sdtm: dict[str, pd.DataFrame], expected_sites: Iterable[str] = (), study=None
) -> list[Finding]:
    """Every site (of any domain, or expected by the study) has records in each of
    REQUIRED_DOMAINS: patient list (DM), InO doses (EX), disease assessments (RS) and follow-up
    (DS). A site with none is a file not sent, sent empty, or read with the wrong layout."""
    sites = set(expected_sites)
    for name in list(sdtm):
        if "SITEID" in _columns(sdtm, name):
            for frame in _narrow_parts(sdtm, name, "SITEID", locate=False):
                sites |= set(frame["SITEID"].dropna())
    findings = []
    for site in sorted(sites):
        for name in REQUIRED_DOMAINS:
            frame = _domain(sdtm, name)
            if not (frame["SITEID"] == site).any():
                required = ", ".join(DOMAIN_LABELS[d] for d in REQUIRED_DOMAINS)
                files = _files_of(study, site, name)
                sent = f" ({', '.join(files)} has no rows)" if files else ""
                rule = f"site {site} sent no {DOMAIN_LABELS[name]} ({name}){sent}: every site must send {required}"
                findings.append(Finding(site, files[0] if files else "", "", None, "", "", rule, COMPLETENESS))
    return Checked(findings, len(sites) * len(REQUIRED_DOMAINS))


def _files_of(study, site: str, name: str) -> list[str]:
    """The files a site's dialect sends the records of a common-model domain in."""
    if study is None or site not in study.sites:
        return []
    contract = load_contract()
    dialect = study.sites[site]
    return sorted(
        {f"{site}/{dialect.domain_spec(raw)['file']}" for raw in contract.sources_of(name) if raw in dialect.domains}
    )


# --- Plausibility: each record within the patient's time and the study's -----------------------

# Domains whose dates are the patient's own history, not a record of the study period: the
# patient list (birth) and the diagnosis; the characteristics (SC) carry no date.
HISTORY_DOMAINS = ("DM", "MH", "SC")
# and dates that may lie in it: a concomitant medication may have been started years before the
# diagnosis (levothyroxine since 1998)
HISTORY_DATES = (("CM", "CMSTDTC"),)


def _whole_ages(sdtm: dict[str, pd.DataFrame], dm: pd.DataFrame) -> pd.Series:
    """Per subject of ``dm`` (indexed by USUBJID) the age in whole years at the first InO dose:
    DM AGE, else SC AGEYRS (years with decimals) rounded down; NaN when neither is known."""
    sc = _domain(sdtm, "SC", "SCTESTCD", "SCSTRESN")
    years = sc[sc["SCTESTCD"] == "AGEYRS"].drop_duplicates("USUBJID").set_index("USUBJID")["SCSTRESN"]
    age = pd.to_numeric(dm["AGE"], errors="coerce").astype("float64")
    return age.fillna(np.floor(pd.to_numeric(years, errors="coerce").reindex(dm.index)))


def _birth_bounds(sdtm: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per subject the earliest day the patient can have been born (BORN) and how the data say it
    (BORNTEXT): from the year of birth (DM BRTHDTC), else from the age at the first InO dose
    (DM AGE, or SC AGEYRS in years with decimals): a patient aged A on the first dose was born
    after the same day A + 1 years earlier."""
    dm = _domain(sdtm, "DM", "AGE", "BRTHDTC").drop_duplicates("USUBJID").set_index("USUBJID")
    ages = _whole_ages(sdtm, dm)
    first = _first_doses(sdtm)
    rows = {}
    for usubjid, record in dm.iterrows():
        birth = record["BRTHDTC"]
        if isinstance(birth, str) and birth:
            low, _ = iso_date_bounds(pd.Series([birth]))
            rows[usubjid] = (low.iloc[0], f"born in {birth[:4]} ({_where(record)})")
            continue
        age = ages[usubjid]
        if pd.isna(age) or usubjid not in first.index:
            continue
        dose = first.loc[usubjid]
        born = dose["FIRSTDT"] - pd.DateOffset(years=int(age) + 1)
        rows[usubjid] = (
            born,
            f"aged {int(age)} at the first InO dose on {_shown(dose['EXSTDTC'])}, so born after "
            f"{born.date().isoformat()} ({_where(record)})",
        )
    return pd.DataFrame.from_dict(rows, orient="index", columns=["BORN", "BORNTEXT"])


def dates_within_the_patients_time(sdtm: dict[str, pd.DataFrame], study=None) -> list[Finding]:
    """Every dated record of the study period (screening, doses, assessments, laboratory values,
    events, medications, transplants, stays, follow-up, death) is dated after the patient's birth
    (:func:`_birth_bounds`), not before the diagnosis (MH MHSTDTC), and within the study window
    (``data_quality: study_window`` of the study's configuration). A date that is not is a slip in
    the year (1917 for 2017) or the day and month exchanged; it would move a record across the
    first dose (an adverse event no longer treatment-emergent). One finding per record: the first
    of birth, diagnosis, window it breaks. A partial date breaks a bound whatever its unknown day."""
    births = _birth_bounds(sdtm)
    mh = _dates(_domain(sdtm, "MH", "MHSTDTC"), "MHSTDTC", "DIAGDT").dropna(subset=["DIAGDT"])
    diagnoses = mh.sort_values(["USUBJID", "DIAGDT"]).drop_duplicates("USUBJID").set_index("USUBJID")
    # a diagnosis not before the first dose is itself the finding (diagnosis_before_first_dose):
    # the records are not compared with it
    first = _first_doses(sdtm)["FIRSTDTHI"].reindex(diagnoses.index)
    diagnoses = diagnoses[first.isna() | (diagnoses["DIAGDT"] < first)]
    settings = study.quality if study is not None else None
    start = pd.Timestamp(settings.window_start) if settings and settings.window_start else None
    end = pd.Timestamp(settings.window_end) if settings and settings.window_end else None
    window = f"{settings.window_start} to {settings.window_end or 'the day of the run'}" if start is not None else ""
    findings, checked = [], 0
    for name, variable, records in _dated_records(sdtm):
        if name in HISTORY_DOMAINS or (name, variable) in HISTORY_DATES:
            continue
        checked += len(records)
        # the bound each record breaks (the first of birth, diagnosis, window), found for all at
        # once; a finding each, in record order
        high, low = pd.to_datetime(records["ADTHI"]), pd.to_datetime(records["ADT"])
        born = pd.to_datetime(records["USUBJID"].map(births["BORN"]) if len(births) else pd.NaT)
        diagnosed = pd.to_datetime(records["USUBJID"].map(diagnoses["DIAGDT"]) if len(diagnoses) else pd.NaT)
        before_birth = high < born
        before_diagnosis = ~before_birth & (name != "IE") & (high < diagnosed)
        outside = pd.Series(False, index=records.index)
        if start is not None:
            outside |= high < start
        if end is not None:
            outside |= low > end
        outside &= ~before_birth & ~before_diagnosis
        broken = (before_birth | before_diagnosis | outside).to_numpy()
        for (_, record), birth, diagnosis in zip(
            records[broken].iterrows(), before_birth[broken], before_diagnosis[broken], strict=True
        ):
            usubjid = record["USUBJID"]
            label = f"{DATE_LABELS[variable]} {_shown(record[variable])}"
            if birth:
                rule = f"{label} is before the patient's birth ({births.at[usubjid, 'BORNTEXT']}): a slip in the year?"
            elif diagnosis:
                diagnosis = diagnoses.loc[usubjid]
                rule = (
                    f"{label} is before the diagnosis on {_shown(diagnosis['MHSTDTC'])} ({_where(diagnosis)}): "
                    "every record of the study follows the diagnosis; a slip in the year?"
                )
            else:
                rule = (
                    f"{label} is outside the study window {window} (data_quality: study_window of the study's "
                    "configuration): a slip in the year?"
                )
            findings.append(_finding(name, record, variable, rule, PLAUSIBILITY))
    return Checked(findings, checked)


# Records that follow the first InO dose by what they are (the contract's adverse events, transplants
# and stays are those after InO): a date of one of them is checked against the patient's time on
# study when its day and month can be read either way.
ON_STUDY_DATES = {"AE": ("AESTDTC", "AEENDTC"), "PR": ("PRSTDTC",), "HO": ("HOSTDTC", "HOENDTC")}


def ambiguous_date_columns(study) -> set[tuple[str, str]]:
    """(site, source column) of every date column whose declared format writes the day and the
    month in numbers, day or month first (``%d/%m/%Y``, ``%m/%d/%Y``, ``%d.%m.%Y``): there 05/07
    reads two ways, and only the format says which. ISO (year first) and month names are not."""
    from inoflow.extract.dialect import column_rules

    found = set()
    for site_id, site in study.sites.items():
        for domain in site.domains:
            for rule in column_rules(site, domain):
                fmt = rule.date_format or ""
                if "%d" in fmt and "%m" in fmt and not fmt.startswith("%Y"):
                    found.add((site_id, rule.source))
    return found


def day_and_month_in_order(sdtm: dict[str, pd.DataFrame], study=None) -> list[Finding]:
    """A date of a record that follows the first dose (ON_STUDY_DATES), written in a file whose
    format puts day and month in numbers, lies within the patient's time on study (first InO dose
    to last contact or death) when it is read as the format declares, if read with its day and
    month exchanged it does. When the reading as declared falls outside and the exchanged one
    inside, the site typed this date the other way round (05/07 for 7 May in a dd/mm file): the
    rest of the patient's timeline, read from the same files in the same format, says which reading
    fits. Only full dates with a day of 12 or less, different from the month, read two ways."""

    if study is None:
        return Checked([], None)
    ambiguous = ambiguous_date_columns(study)
    first = _first_doses(sdtm)
    ds = _domain(sdtm, "DS", "DSSTDTC", "DSDTHDTC")
    _, contact = iso_date_bounds(ds["DSSTDTC"])
    _, death = iso_date_bounds(ds["DSDTHDTC"])
    last = pd.concat([contact, death], axis=1).max(axis=1).groupby(ds["USUBJID"]).max()
    findings, checked = [], 0
    for name, variables in ON_STUDY_DATES.items():
        frame = _domain(sdtm, name, *variables)
        for variable in variables:
            records = frame.loc[frame[variable].map(lambda v: isinstance(v, str) and len(v) == 10).astype(bool)]
            records = records[records["USUBJID"].isin(first.index) & records["USUBJID"].isin(last.index)]
            checked += len(records)
            # the timeline's test for all records at once; the file's format only for those it flags
            read = pd.to_datetime(records[variable], format="%Y-%m-%d", errors="coerce")
            other = pd.to_datetime(
                pd.DataFrame({"year": read.dt.year, "month": read.dt.day, "day": read.dt.month}), errors="coerce"
            )
            begin, end = records["USUBJID"].map(first["FIRSTDT"]), records["USUBJID"].map(last)
            flagged = (
                (read.dt.day <= 12)
                & (read.dt.day != read.dt.month)
                & ~((begin <= read) & (read <= end))
                & (begin <= other)
                & (other <= end)
            )
            for position in flagged.to_numpy().nonzero()[0]:
                record = records.iloc[position]
                if (record["SITEID"], source_column(name, record, variable)) not in ambiguous:
                    continue
                read_, other_ = read.iloc[position], other.iloc[position]
                begin_, end_ = begin.iloc[position], end.iloc[position]
                side = (
                    f"before the first InO dose on {begin_.date().isoformat()}"
                    if read_ < begin_
                    else f"after the last contact on {end_.date().isoformat()}"
                )
                rule = (
                    f"{DATE_LABELS[variable]} {_shown(record[variable])} is {side}, outside the patient's time on "
                    f"study, but {other_.date().isoformat()} with day and month exchanged is within it: the file "
                    "writes day and month in numbers; was this date typed the other way round?"
                )
                findings.append(_finding(name, record, variable, rule, PLAUSIBILITY))
    return Checked(findings, checked)


# --- Against the previous cut --------------------------------------------------------------------


def _subject_facts(sdtm: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per subject of the patient list: site, subject id, sex, year of birth, age, diagnosis and
    first InO dose (as harmonised), the DM record's provenance."""
    dm = _domain(sdtm, "DM", "SEX", "AGE", "BRTHDTC").drop_duplicates("USUBJID").set_index("USUBJID")
    mh = _domain(sdtm, "MH", "MHSTDTC").drop_duplicates("USUBJID").set_index("USUBJID")["MHSTDTC"]
    first = _first_doses(sdtm)["EXSTDTC"]
    return dm.assign(
        BIRTHYEAR=dm["BRTHDTC"].map(lambda v: v[:4] if isinstance(v, str) and v else None),
        AGEN=_whole_ages(sdtm, dm),
        DIAG=dm.index.map(mh).map(_shown),
        FIRST=dm.index.map(first).map(_shown),
    )


def _same_patient(a: pd.Series, b: pd.Series) -> str | None:
    """What two subjects share if they can be one patient: the same site, sex and first InO dose,
    and the same year of birth (or ages at most a year apart) and diagnosis where both are known,
    one of these at least; the shared facts in words, else None."""
    if a["SITEID"] != b["SITEID"] or a["SEX"] != b["SEX"] or not a["FIRST"] or a["FIRST"] != b["FIRST"]:
        return None
    facts = [f"site {a['SITEID']}", f"sex ({a['SEX']})"]
    known = 0  # site, sex and a first dose alone are shared by patients who started the same day
    if a["BIRTHYEAR"] and b["BIRTHYEAR"]:
        if a["BIRTHYEAR"] != b["BIRTHYEAR"]:
            return None
        facts.append(f"year of birth ({a['BIRTHYEAR']})")
        known += 1
    elif pd.notna(a["AGEN"]) and pd.notna(b["AGEN"]):
        if abs(a["AGEN"] - b["AGEN"]) > 1:
            return None
        facts.append(f"age ({int(a['AGEN'])})")
        known += 1
    if a["DIAG"] and b["DIAG"]:
        if a["DIAG"] != b["DIAG"]:
            return None
        facts.append(f"diagnosis date ({a['DIAG']})")
        known += 1
    if not known:
        return None
    facts.append(f"first InO dose ({a['FIRST']})")
    return ", ".join(facts[:-1]) + " and " + facts[-1]


def no_patient_registered_twice(
    sdtm: dict[str, pd.DataFrame], previous: dict[str, pd.DataFrame] | None = None, previous_cut: str | None = None
) -> list[Finding]:
    """No patient is in the patient list twice under two ids: two subjects of one site with the
    same sex, year of birth (or age), diagnosis date and first InO dose are one patient registered
    again (a patient resent under a new id adds one to every denominator). Against the previous cut
    (``previous``), a subject new in this cut is compared with every subject of the previous cut;
    in the cut alone, each pair of its subjects; new subjects also with each other. Only subjects
    of one site, sex and first dose are compared. The finding is on the newer id."""
    now = _subject_facts(sdtm)
    before = _subject_facts(previous) if previous is not None else None
    new = now[~now.index.isin(before.index)] if before is not None else now
    pool = pd.concat([before, new]) if before is not None else new  # the earlier subjects first
    earlier: dict[tuple, list[tuple[str, pd.Series]]] = {}
    findings = []
    for usubjid, record in pool.iterrows():
        key = (record["SITEID"], record["SEX"], record["FIRST"])
        candidates = earlier.setdefault(key, [])
        is_new = usubjid in new.index and (before is None or usubjid not in before.index)
        if is_new and record["FIRST"]:
            for other_id, other in candidates:
                shared = _same_patient(record, other)
                if shared is None:
                    continue
                if before is not None and other_id in before.index:
                    state = "still listed" if other_id in now.index else "no longer listed"
                    rule = (
                        f"patient {_id(record['SUBJID'])} is new in this cut and has the {shared} of patient "
                        f"{_id(other['SUBJID'])} of the previous cut {previous_cut} ({state}): the same patient "
                        "registered again under a new id?"
                    )
                else:
                    rule = (
                        f"patient {_id(record['SUBJID'])} has the {shared} of patient {_id(other['SUBJID'])} "
                        f"({_where(other)}): the same patient registered twice under two ids?"
                    )
                findings.append(_finding("DM", record, "SUBJID", rule, PLAUSIBILITY))
                break
        candidates.append((usubjid, record))
    return Checked(findings, len(now))


def patients_kept_from_previous_cut(
    sdtm: dict[str, pd.DataFrame],
    previous: dict[str, pd.DataFrame] | None = None,
    previous_cut: str | None = None,
    study=None,
    expected_sites: Iterable[str] = (),
) -> list[Finding]:
    """Every patient of the previous cut's patient list is in this cut's: a patient is not
    withdrawn from a study by leaving them out of an export (a shorter patient list changes every
    denominator). The finding names the patient, the site's patient list and the row the patient
    had in the previous cut. Only the sites of this cut (``expected_sites``, when given) count: a
    site the cut leaves out (its ``sites:``) takes its patients with it by design."""
    if previous is None:
        return Checked([], None)
    now = set(_domain(sdtm, "DM")["USUBJID"])
    before = _domain(previous, "DM").drop_duplicates("USUBJID")
    if expected_sites:
        before = before[before["SITEID"].isin(set(expected_sites))]
    findings = []
    for _, record in before[~before["USUBJID"].isin(now)].iterrows():
        listing = patient_list_file(study, record["SITEID"]) or str(record["SRCFILE"])
        rule = (
            f"patient {_id(record['SUBJID'])} of the previous cut {previous_cut} ({_at(record)} then) is not in this "
            f"cut's patient list ({listing}): withdrawn, left out of the export, or registered again under a new id?"
        )
        # the row is the previous cut's: this cut's file has none for the patient
        findings.append(replace(_finding("DM", record, "SUBJID", rule, COMPLETENESS), file=listing, row=None))
    return Checked(findings, len(before))


def rows_per_file(reconciliation: pd.DataFrame | None) -> pd.DataFrame | None:
    """Rows read per site and raw domain (site, domain, file, rows) from a cut's reconciliation."""
    if reconciliation is None:
        return None
    frame = reconciliation.rename(columns={"rows_read": "rows"})
    return frame[["site", "domain", "file", "rows"]].astype({"rows": int})


def row_counts_against_previous_cut(
    sdtm: dict[str, pd.DataFrame],
    file_rows: pd.DataFrame | None = None,
    previous_file_rows: pd.DataFrame | None = None,
    previous_cut: str | None = None,
    study=None,
    expected_sites: Iterable[str] = (),
) -> list[Finding]:
    """No file a site sends loses its rows against the previous cut: a file that had rows and has
    none (sent with its header only) or fell by more than the study's share (``data_quality:
    row_count_fall``, default 0.5) would take records out of the analysis while every row read is
    accounted for. Rows are those read, per site and raw domain (the reconciliation's rows_read).
    Only the sites of this cut (``expected_sites``, when given) count."""
    if file_rows is None or previous_file_rows is None:
        return Checked([], None)
    if expected_sites:
        previous_file_rows = previous_file_rows[previous_file_rows["site"].isin(set(expected_sites))]
    share = study.quality.row_count_fall if study is not None else DEFAULT_ROW_COUNT_FALL
    now = file_rows.set_index(["site", "domain"])
    findings = []
    for _, before in previous_file_rows.iterrows():
        key = (before["site"], before["domain"])
        rows_before = int(before["rows"])
        rows = int(now.at[key, "rows"]) if key in now.index else 0
        file = str(now.at[key, "file"]) if key in now.index and now.at[key, "file"] else str(before["file"])
        if rows_before == 0 or rows >= rows_before * (1 - share):
            continue
        if rows == 0:
            rule = (
                f"{file} has no rows in this cut and had {rows_before} in the previous cut {previous_cut}: "
                "a file sent with its header only? Its records would leave the analysis"
            )
        else:
            fell = round(100 * (rows_before - rows) / rows_before)
            rule = (
                f"{file} has {rows} rows in this cut and had {rows_before} in the previous cut {previous_cut}: "
                f"{fell}% fewer, more than the {round(100 * share)}% the study allows (data_quality: "
                "row_count_fall); a file sent incomplete?"
            )
        findings.append(Finding(before["site"], file, "", None, "", str(rows), rule, COMPLETENESS))
    return Checked(findings, len(previous_file_rows))


CROSS_DOMAIN_CHECKS: list[Check] = [
    Check(
        "records_of_listed_subjects",
        "Every record (screening log aside) belongs to a subject of the site's patient list; a patient-list "
        "row set aside by the quarantine, or an empty patient list, is named.",
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
        "dates_within_the_patients_time",
        "Every record of the study period is dated after the patient's birth, not before the diagnosis, "
        "and within the study window.",
        PLAUSIBILITY,
        dates_within_the_patients_time,
    ),
    Check(
        "day_and_month_in_order",
        "A date of an adverse event, transplant or stay written with day and month in numbers lies within the "
        "patient's time on study as read, unless only its day-month exchanged reading does.",
        PLAUSIBILITY,
        day_and_month_in_order,
    ),
    Check(
        "no_patient_registered_twice",
        "No patient is listed twice under two ids (same site, sex, year of birth or age, diagnosis and first "
        "dose), in the cut or against the previous cut.",
        PLAUSIBILITY,
        no_patient_registered_twice,
    ),
    Check(
        "patients_kept_from_previous_cut",
        "Every patient of the previous cut's patient list is in this cut's.",
        COMPLETENESS,
        patients_kept_from_previous_cut,
    ),
    Check(
        "row_counts_against_previous_cut",
        "No file has lost its rows, or more than the study's share of them, against the previous cut.",
        COMPLETENESS,
        row_counts_against_previous_cut,
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
    sdtm: dict[str, pd.DataFrame], expected_sites: Iterable[str] = (), **context
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every check of CROSS_DOMAIN_CHECKS on the common model.

    Returns ``(findings, checks)``: the findings (columns REPORT_COLUMNS, ``stage`` 'common
    model', ``severity`` that of their check, one row each, ordered by site, file, sheet and row)
    and one row per check run (CHECK_COLUMNS), failed or not. ``expected_sites`` (e.g. the study's
    site ids) lets a site that sent nothing at all be found. ``context`` gives what some checks
    need, each passed to the checks that name it: ``study`` (the :class:`~inoflow.config.Study`:
    dialects, ``data_quality:`` settings and severities), ``previous`` and ``previous_cut`` (the
    previous cut's common model and name), ``file_rows`` and ``previous_file_rows`` (rows read per
    file, :func:`rows_per_file`), ``set_aside`` (:func:`set_aside_patients`).
    """
    available = {"expected_sites": expected_sites, **context}
    study = context.get("study")
    overrides = study.quality.severity if study is not None else {}
    findings, severities = [], []
    rows = []
    for check in CROSS_DOMAIN_CHECKS:
        wanted = signature(check.function).parameters
        started = time.perf_counter()
        found = check.function(sdtm, **{k: v for k, v in available.items() if k in wanted})
        log.info(
            "data quality: %s: %d finding(s) in %.1f s (%s)",
            check.name,
            len(found),
            time.perf_counter() - started,
            _memory(),
        )
        severity = overrides.get(check.name, check.severity)
        findings += found
        severities += [severity] * len(found)
        records = getattr(found, "records_checked", None)
        rows.append([check.name, check.category, severity, check.description, records, len(found)])
    frame = findings_frame(findings).assign(stage=STAGE_COMMON_MODEL, severity=severities)
    frame["row"] = frame["row"].astype("Int64")
    frame = frame.sort_values(["site", "file", "sheet", "row", "column"], kind="stable", na_position="first")
    checks = pd.DataFrame(rows, columns=CHECK_COLUMNS).astype({"records_checked": "Int64", "failures": "int64"})
    return frame[REPORT_COLUMNS].reset_index(drop=True), checks


def _memory() -> str:
    """The process's resident memory now and at its peak, for the log ("rss 0.4 GB, peak 0.9
    GB"); Linux's /proc, else the peak alone."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("Vm")
        )
        now, peak = (int(fields[k].split()[0]) / 1024**2 for k in ("VmRSS", "VmHWM"))
        return f"rss {now:.2f} GB, peak {peak:.2f} GB"
    except (OSError, KeyError, ValueError):
        import resource

        return f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GB"


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
        parts.append(frame.reindex(columns=FINDING_COLUMNS).assign(stage=STAGE_EXTRACT, severity=ERROR))
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
        not_run = pd.isna(c.records_checked)
        records = "" if not_run else str(int(c.records_checked))
        result = "not run" if not_run else "FAIL" if failures else "pass"
        severity = getattr(c, "severity", ERROR)
        rows.append([c.check, c.category, severity, c.description, records, str(failures), result])
        classes.append("")
    header = ["check", "category", "severity", "rule", "records checked", "findings", "result"]
    body = _table(header, rows, numeric=(4, 5))
    body = body.replace("<td>FAIL</td>", '<td class="fail">FAIL</td>').replace(
        "<td>pass</td>", '<td class="pass">pass</td>'
    )
    return (
        "<h2>Checks run on the common model</h2>"
        "<p>Every check that needs several tables or all sites, passed or failed (not run: what it "
        "compares with was not given, e.g. a previous cut for a study's first cut). A finding of severity "
        "error stops a cut under policy fail; a warning asks the site to confirm. The extract-stage "
        "checks are one per column and rule of each site's layout; their failures are listed below.</p>"
        f"{body}"
    )


def _findings_section(table: pd.DataFrame) -> str:
    parts = ["<h2>Findings</h2>"]
    if table.empty:
        parts.append("<p>There are no findings: every value of every file passed every check.</p>")
        return "".join(parts)
    categories = list(CATEGORIES) + sorted(set(table["category"]) - set(CATEGORIES))
    header = ["site", "file", "sheet", "row", "column", "value", "rule", "stage", "severity"]
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
    study=None,
    previous_sdtm: dict[str, pd.DataFrame] | Iterable[str | Path] | None = None,
    previous_reconciliation: pd.DataFrame | str | Path | None = None,
    previous_cut: str | None = None,
    set_aside: Iterable[str | Path] = (),
) -> pd.DataFrame:
    """Check the common model, merge its findings with the extract stage's, write the report.

    ``sdtm`` is the common model, or its parquet files (one per domain, named ``<DOMAIN>.parquet``);
    ``extract_findings`` the extract stage's findings CSVs; ``reconciliation`` its table or CSV.
    ``study`` (its dialects and ``data_quality:`` settings), the previous cut's common model,
    reconciliation and name (none for a study's first cut) and the set-aside patient-list rows
    (``validated/<site>/patients.rejected.parquet``) let the checks that need them run.
    Writes the findings table (``out_csv``), the HTML page (``out_html``) and, if asked, the
    checks-run table (``out_checks``); returns the findings table.
    """
    sdtm = _read_model(sdtm)
    if reconciliation is not None and not isinstance(reconciliation, pd.DataFrame):
        reconciliation = pd.read_csv(reconciliation, dtype={"site": str, "domain": str, "file": str})
    if previous_reconciliation is not None and not isinstance(previous_reconciliation, pd.DataFrame):
        previous_reconciliation = pd.read_csv(
            previous_reconciliation, dtype={"site": str, "domain": str, "file": str}, keep_default_na=False
        )
    context = {"study": study, "set_aside": set_aside_patients(study, set_aside) if study is not None else None}
    if previous_sdtm is not None:
        context.update(
            previous=_read_model(previous_sdtm),
            previous_cut=previous_cut,
            file_rows=rows_per_file(reconciliation),
            previous_file_rows=rows_per_file(previous_reconciliation),
        )
    common, checks = check_common_model(sdtm, expected_sites, **context)
    table, page = data_quality_report(collect_findings(extract_findings, common), checks, reconciliation, title)
    table.to_csv(out_csv, index=False)
    Path(out_html).write_text(page, encoding="utf-8")
    if out_checks is not None:
        checks.to_csv(out_checks, index=False)
    return table


def _read_model(sdtm: Mapping[str, pd.DataFrame] | Iterable[str | Path]) -> Mapping[str, pd.DataFrame]:
    """A common model, or its parquet files (one per domain, named ``<DOMAIN>.parquet``), read
    when used (:class:`StoredModel`)."""
    if isinstance(sdtm, Mapping):
        return sdtm
    return StoredModel(sdtm)
