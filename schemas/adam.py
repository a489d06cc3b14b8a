"""pandera models of the ADaM analysis datasets: ADSL, ADRS, ADAE, ADTTE and ADELIG, and of
ADSL with the subject-level safety flags derived from ADAE (ADSLSafety, the records the safety
and death endpoints count).

The third validation level (raw extracts: :mod:`inoflow.extract.validate`; common model:
:mod:`inoflow.schemas.sdtm`). Each model states what a derived dataset must satisfy whatever the
data: its variables and their types (dates are dates), keys, controlled values, and the
relations between variables that the derivations (src/inoflow/adam/) promise, e.g. ``AVAL`` of
ADTTE is ``ADT - STARTDT`` in days, ``AGEGR1`` is the age group of ``AGE``.

Controlled values are written out here, not imported from the derivations, so that a changed
derivation cannot silently change its own check; tests/test_adam_schemas.py checks that they
agree with the code, the study definitions (config/definitions/india.yaml) and the contract.

Record-level rules are declared with :func:`record_check`, naming the variables each concerns
(the first is the one reported) and its category (OHDSI DQD: conformance, plausibility).
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

# ---------------------------------------------------------------------------------------------
# Controlled values
# ---------------------------------------------------------------------------------------------

YN = ["N", "Y"]
DATE_IMPUTATION_FLAGS = ["D", "M"]
"""Date imputation flags (admiral ``--DTF``): D the day was imputed, M month and day were."""
SITE_ID = r"^[A-Z]{2}\d{2}$"
SHA256 = r"^[0-9a-f]{64}$"

# config/contract.yaml codelists
SEX = ["F", "M"]
PHSTAT = ["NEGATIVE", "POSITIVE"]
DISSTAT = ["REFRACTORY", "RELAPSED"]
MRDMETH = ["FLOW CYTOMETRY", "PCR", "NGS"]
MRDSTAT = ["NEGATIVE", "POSITIVE"]
EOSSTT = ["ALIVE", "DEAD", "LOST TO FOLLOW-UP"]

# config/definitions/india.yaml (the comparisons as written there)
AGE_GROUPS = [{"label": "18-65", "ge": 18, "le": 65}, {"label": ">65", "gt": 65}]
SALVAGE_LINE_GROUPS = [{"label": "1", "eq": 1}, {"label": "2", "eq": 2}, {"label": ">=3", "ge": 3}]
DOSE_CATEGORIES = [{"label": "STANDARD", "eq": 1.8}, {"label": "UNDER", "lt": 1.8}, {"label": "OVER", "gt": 1.8}]
DISEASE_BURDEN = [{"label": "LOW", "lt": 50}, {"label": "HIGH", "ge": 50}]
LTFU_WINDOWS = ["<6", "6-12", ">=12"]
RESPONSES = ["CR", "CRi", "NR"]  # complete_remission.response_order
RESPONDED = ["CR", "CRi"]
NOT_EVALUABLE = "NE"
R2ULN_DECIMALS = 6  # liver_toxicity.ratio_decimals
LIVER_TOXICITIES = [
    "ASPARTATE AMINOTRANSFERASE INCREASED",
    "ALANINE AMINOTRANSFERASE INCREASED",
    "BLOOD BILIRUBIN INCREASED",
]
HAEMATOLOGICAL_TOXICITIES = ["THROMBOCYTOPENIA", "NEUTROPENIA", "FEBRILE NEUTROPENIA"]

# src/inoflow/adam/adrs.py
ASSESSMENT_PARAMS = ["OVRLRESP", "MRDNEG", "SITERESP"]
SUBJECT_PARAMS = ["BOR", "CYCRESP", "MRDBEST", "MRDFIRST", "RELAPSE"]
RESPONDER_PARAMS = ["CYCRESP", "MRDBEST", "MRDFIRST", "RELAPSE"]
MRD_PARAMS = ["MRDNEG", "MRDBEST", "MRDFIRST"]
MRDRULE = ["DOCUMENTED", "THRESHOLD", "OTHER METHOD", "NOT ASSESSED"]
AVALC_LEVELS = {
    "OVRLRESP": [*RESPONSES, "BASELINE", "PRE-TREATMENT"],
    "BOR": [*RESPONSES, NOT_EVALUABLE],
    "MRDNEG": YN,
    "MRDBEST": YN,
    "MRDFIRST": YN,
    "RELAPSE": YN,
}

# src/inoflow/adam/adtte.py
TTE_EVENTS = {
    "OS": ["DEATH"],
    "RFS": ["DEATH", "RELAPSE FROM CR/CRI", "NEW INDUCTION THERAPY WITHOUT CR/CRI", "HSCT WITHOUT CR/CRI"],
    "DOR": ["RELAPSE FROM CR/CRI", "DEATH"],
    "OSCHSCT": ["DEATH"],
    "RFSLDA": ["DEATH", "RELAPSE FROM CR/CRI", "NEW INDUCTION THERAPY WITHOUT CR/CRI", "HSCT WITHOUT CR/CRI"],
    "DORLDA": ["RELAPSE FROM CR/CRI", "DEATH"],
    "CIR": ["RELAPSE FROM CR/CRI", "DEATH WITHOUT RELAPSE"],
    "NRM": ["DEATH WITHOUT RELAPSE", "RELAPSE FROM CR/CRI"],
}
TTE_COMPETING = {"CIR": "DEATH WITHOUT RELAPSE", "NRM": "RELAPSE FROM CR/CRI"}  # the competing event of each
TTE_CENSORING = ["LAST KNOWN ALIVE", "NO FOLLOW-UP"]
# what ends a censored record where it is not the last date known alive
TTE_CENSORING_OF = {
    "OSCHSCT": [*TTE_CENSORING, "HSCT"],
    "RFSLDA": ["LAST ADEQUATE DISEASE ASSESSMENT", "NO FOLLOW-UP"],
    "DORLDA": ["LAST ADEQUATE DISEASE ASSESSMENT", "NO FOLLOW-UP"],
}
TTE_CENSOR_DATES = ["LAST KNOWN ALIVE DATE", "DATA CUT-OFF", "START DATE", "HSCT DATE", "LAST ADEQUATE ASSESSMENT DATE"]
TTE_DOR = ["DOR", "DORLDA"]  # from the first CR/CRi, with DOREVFL
TTE_RFS = ["RFS", "RFSLDA"]  # from the first dose, among responders
TTE_SOURCES = ["DS", "ADRS", "CM", "PR", "ADSL"]

RECORD_KEYS = {
    "ADSL": ["USUBJID"],
    "ADRS": ["USUBJID", "ASEQ", "PARAMCD"],
    "ADAE": ["USUBJID", "ASEQ"],
    "ADTTE": ["USUBJID", "PARAMCD"],
    "ADELIG": ["USUBJID", "SCRNID"],
    "ADRU": ["USUBJID", "PARAMCD"],
}
"""The variables that name a record in an error message."""


# ---------------------------------------------------------------------------------------------
# Rule helpers
# ---------------------------------------------------------------------------------------------


def record_check(*columns: str, error: str, category: str = "conformance"):
    """Declare a record-level rule: ``columns`` are the variables it concerns (the first is the
    one reported), ``error`` states the rule. A missing result counts as a failure, so rules
    say explicitly what they allow when a value is missing."""

    def decorate(fn: Callable) -> classmethod:
        def check(cls, df: pd.DataFrame) -> pd.Series:
            return pd.Series(fn(cls, df), index=df.index).astype("boolean").fillna(False).astype(bool)

        check.__name__ = fn.__name__
        return pa.dataframe_check(
            check,
            name=fn.__name__,
            error=error,
            ignore_na=False,
            statistics={"columns": list(columns), "category": category},
        )

    return decorate


def _rule(name: str, *columns: str, error: str, category: str, test: Callable[[pd.DataFrame], pd.Series]):
    def fn(cls, df):
        return test(df)

    fn.__name__ = name
    return record_check(*columns, error=error, category=category)(fn)


def unique_key(*columns: str, what: str):
    """No two records share the values of ``columns``."""
    return _rule(
        "key_" + "_".join(columns).lower(),
        *columns,
        error=f"{what}: {' x '.join(columns)} must be unique",
        category="conformance",
        test=lambda df: ~df.duplicated(list(columns), keep=False),
    )


def present_exactly_when(column: str, when: Callable[[pd.DataFrame], pd.Series], text: str, *related: str):
    """``column`` is filled on the records meeting ``when`` and empty on the others."""
    return _rule(
        f"{column.lower()}_present_when",
        column,
        *related,
        error=f"{column} must be present exactly {text}",
        category="conformance",
        test=lambda df: df[column].notna() == when(df).astype("boolean").fillna(False).astype(bool),
    )


def not_before(column: str, reference: str, strictly: bool = False):
    """``column`` on or after (``strictly``: after) ``reference`` where both are known."""
    compare = operator.gt if strictly else operator.ge
    words = "after" if strictly else "on or after"
    return _rule(
        f"{column.lower()}_not_before_{reference.lower()}",
        column,
        reference,
        error=f"{column} must be {words} {reference}",
        category="plausibility",
        test=lambda df: df[column].isna() | df[reference].isna() | compare(df[column], df[reference]),
    )


def _describe_categories(source: str, categories: list[dict]) -> str:
    symbols = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "=="}
    parts = []
    for category in categories:
        bounds = " and ".join(f"{source} {symbols[op]} {value}" for op, value in category.items() if op != "label")
        parts.append(f"{category['label']!r} if {bounds}")
    return "; ".join(parts)


def categorise(values: pd.Series, categories: list[dict]) -> pd.Series:
    """The label of the first category whose comparisons all hold (missing if none)."""
    ops = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le, "eq": operator.eq}
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    out = pd.Series(None, index=values.index, dtype="object")
    for category in categories:
        hit = numbers.notna() & out.isna()
        for op, bound in category.items():
            if op != "label":
                hit &= ops[op](numbers, float(bound))
        out[hit] = category["label"]
    return out


def category_of(column: str, source: str, categories: list[dict]):
    """``column`` is the category of ``source`` (both missing when no category applies)."""

    def test(df):
        expected = categorise(df[source], categories)
        return (df[column] == expected) | (df[column].isna() & expected.isna())

    return _rule(
        f"{column.lower()}_category_of_{source.lower()}",
        column,
        source,
        error=f"{column} must be the category of {source}: {_describe_categories(source, categories)}",
        category="conformance",
        test=test,
    )


def one_value_per(column: str, by: str):
    """Every record of one ``by`` value carries the same ``column``."""
    return _rule(
        f"{column.lower()}_one_per_{by.lower()}",
        column,
        by,
        error=f"{column} must be the same on every record of a {by}",
        category="conformance",
        test=lambda df: df.groupby(by, dropna=False)[column].transform("nunique") <= 1,
    )


def study_day_reference_consistent(date: str, day: str):
    """The study days of one subject count from one reference date (the first dose): day
    ``date - reference + 1`` on or after it, ``date - reference`` before it (no day 0)."""

    def test(df):
        days = pd.to_numeric(df[day], errors="coerce").astype("float64")
        offset = days.where(days < 0, days - 1)
        reference = df[date] - pd.to_timedelta(offset, unit="D")
        return reference.groupby(df["USUBJID"]).transform("nunique") <= 1

    return _rule(
        f"{day.lower()}_reference",
        day,
        date,
        error=f"{day} must be the study day of {date} counted from one first-dose date per subject",
        category="conformance",
        test=test,
    )


def _levels_text(levels: dict[str, list[str]]) -> str:
    """``{"BOR": ["CR", "NE"]}`` as ``BOR: CR, NE``."""
    return "; ".join(f"{key}: {', '.join(values)}" for key, values in levels.items())


def _yes(df: pd.DataFrame, column: str) -> pd.Series:
    return df[column] == "Y"


# ---------------------------------------------------------------------------------------------
# Shared variables
# ---------------------------------------------------------------------------------------------


class ADaMDates(pa.DataFrameModel):
    """Every variable named ``*DT`` is a calendar date (``datetime64`` at midnight)."""

    @pa.check(r".*DT$", regex=True, name="calendar_date", error="must be a calendar date (no time of day)")
    def calendar_date(cls, values):  # noqa: N805
        return values.isna() | values.eq(values.dt.normalize())

    class Config:
        coerce = False
        strict = True


class ADaMRecord(ADaMDates):
    """Identifiers of every subject-level or BDS record."""

    STUDYID: Series[str] = pa.Field(description="Study identifier")
    USUBJID: Series[str] = pa.Field(description="Unique subject identifier: STUDYID-SITEID-SUBJID")
    SUBJID: Series[str] = pa.Field(description="Subject identifier as used at the site")
    SITEID: Series[str] = pa.Field(str_matches=SITE_ID, description="Site identifier")

    @record_check("USUBJID", "STUDYID", "SITEID", "SUBJID", error="USUBJID must equal STUDYID-SITEID-SUBJID")
    def usubjid_composed(cls, df):  # noqa: N805
        return df["USUBJID"] == df["STUDYID"] + "-" + df["SITEID"] + "-" + df["SUBJID"]

    @record_check("STUDYID", error="STUDYID must be the same on every record")
    def one_study(cls, df):  # noqa: N805
        return df["STUDYID"] == df["STUDYID"].mode().iloc[0] if len(df) else df["STUDYID"].notna()


class TracedRecord(ADaMRecord):
    """Traceability of a record derived from one source record: source domain, its --SEQ and the
    source row (file, sha256, sheet, row, columns), all present or all absent."""

    SRCDOM: Series[str] = pa.Field(nullable=True, description="Source dataset of the record")
    SRCSEQ: Series[pa.Int64] = pa.Field(nullable=True, ge=1, description="--SEQ / ASEQ of the source record")
    SRCFILE: Series[str] = pa.Field(nullable=True, description="Source file, relative to the cut's extract folder")
    SRCSHA256: Series[str] = pa.Field(nullable=True, str_matches=SHA256, description="sha256 of the source file")
    SRCSHEET: Series[str] = pa.Field(nullable=True, description="Source sheet (Excel), empty for CSV")
    SRCROW: Series[pa.Int64] = pa.Field(nullable=True, ge=1, description="Row in the source file, headers counted")
    SRCCOLS: Series[str] = pa.Field(nullable=True, description="JSON: contract variable -> source column")

    srcseq_traced = present_exactly_when(
        "SRCSEQ", lambda df: df["SRCFILE"].notna(), "when SRCFILE is present", "SRCFILE"
    )
    srcsha_traced = present_exactly_when(
        "SRCSHA256", lambda df: df["SRCFILE"].notna(), "when SRCFILE is present", "SRCFILE"
    )
    srcrow_traced = present_exactly_when(
        "SRCROW", lambda df: df["SRCFILE"].notna(), "when SRCFILE is present", "SRCFILE"
    )
    srccols_traced = present_exactly_when(
        "SRCCOLS", lambda df: df["SRCFILE"].notna(), "when SRCFILE is present", "SRCFILE"
    )

    @record_check("SRCSHEET", "SRCFILE", error="SRCSHEET must be empty when SRCFILE is empty")
    def srcsheet_traced(cls, df):  # noqa: N805
        return df["SRCFILE"].notna() | df["SRCSHEET"].isna()


# ---------------------------------------------------------------------------------------------
# ADSL
# ---------------------------------------------------------------------------------------------


def _not_after_cutoff(column: str):
    return _rule(
        f"{column.lower()}_not_after_cutoff",
        column,
        "DCUTDT",
        error=f"{column} must not be after the data cut-off DCUTDT",
        category="plausibility",
        test=lambda df: df[column].isna() | (df[column] <= df["DCUTDT"]),
    )


class ADSL(ADaMRecord):
    """Subject-level analysis dataset: one record per subject (src/inoflow/adam/adsl.py)."""

    DCUTDT: Series[pa.DateTime] = pa.Field(description="Data cut-off date")
    AGE: Series[pa.Int64] = pa.Field(
        ge=18, le=120, description="Age in completed years at the first dose (registry: adult patients)"
    )
    AAGE: Series[float] = pa.Field(
        nullable=True,
        ge=18,
        le=121,
        description="Analysis age: years with decimals at the first dose where sent, else AGE",
    )
    AGEU: Series[str] = pa.Field(isin=["YEARS"])
    AGEGR1: Series[str] = pa.Field(nullable=True, isin=[c["label"] for c in AGE_GROUPS])
    SEX: Series[str] = pa.Field(isin=SEX)
    PHSTAT: Series[str] = pa.Field(isin=PHSTAT, description="Philadelphia chromosome status")
    TKIFAILN: Series[pa.Int64] = pa.Field(ge=0, le=10, description="Number of TKIs failed")
    CD22PCT: Series[float] = pa.Field(ge=0, le=100, description="CD22 positive blasts, %")
    DISSTAT: Series[str] = pa.Field(isin=DISSTAT, description="Disease status before InO")
    PRIORLN: Series[pa.Int64] = pa.Field(ge=0, le=20, description="Prior lines of therapy")
    SALVLN: Series[pa.Int64] = pa.Field(ge=1, le=20, description="Salvage line of InO")
    SALVLNGR: Series[str] = pa.Field(nullable=True, isin=[c["label"] for c in SALVAGE_LINE_GROUPS])
    PRBLINA: Series[str] = pa.Field(isin=YN, description="Prior blinatumomab")
    PRINDCT: Series[str] = pa.Field(
        nullable=True, isin=YN, description="Prior standard induction chemotherapy (where the study collects it)"
    )
    DIAGDT: Series[pa.DateTime] = pa.Field(description="Date of diagnosis of B-cell ALL")
    DIAGDTF: Series[str] = pa.Field(
        nullable=True, isin=DATE_IMPUTATION_FLAGS, description="Imputation flag of DIAGDT (partial diagnosis date)"
    )
    TRTSDT: Series[pa.DateTime] = pa.Field(nullable=True, description="First InO dose")
    TRTEDT: Series[pa.DateTime] = pa.Field(nullable=True, description="Last InO dose")
    NCYCLES: Series[pa.Int64] = pa.Field(nullable=True, ge=1, le=12, description="InO cycles received")
    C1DOSE: Series[float] = pa.Field(nullable=True, gt=0, description="Cycle-1 dose, mg/m2")
    DOSECAT: Series[str] = pa.Field(nullable=True, isin=[c["label"] for c in DOSE_CATEGORIES])
    DOSEMODFL: Series[str] = pa.Field(nullable=True, isin=YN)
    BLBLAST: Series[float] = pa.Field(nullable=True, ge=0, le=100, description="Baseline marrow blasts, %")
    BURDEN: Series[str] = pa.Field(nullable=True, isin=[c["label"] for c in DISEASE_BURDEN])
    EMDBLFL: Series[str] = pa.Field(nullable=True, isin=YN)
    BESTRSP: Series[str] = pa.Field(isin=[*RESPONSES, NOT_EVALUABLE])
    RESPFL: Series[str] = pa.Field(isin=YN)
    RESPDT: Series[pa.DateTime] = pa.Field(nullable=True, description="First CR/CRi")
    CYCRESP: Series[pa.Int64] = pa.Field(nullable=True, ge=1, le=12, description="Cycles to the first CR/CRi")
    MRDNEGFL: Series[str] = pa.Field(nullable=True, isin=YN)
    HSCTFL: Series[str] = pa.Field(isin=YN)
    HSCTDT: Series[pa.DateTime] = pa.Field(nullable=True)
    HSCT1CFL: Series[str] = pa.Field(nullable=True, isin=YN)
    CMFL: Series[str] = pa.Field(isin=YN)
    DTHFL: Series[str] = pa.Field(isin=YN)
    DTHDT: Series[pa.DateTime] = pa.Field(nullable=True)
    DTHDTF: Series[str] = pa.Field(
        nullable=True, isin=DATE_IMPUTATION_FLAGS, description="Imputation flag of DTHDT (partial death date)"
    )
    DTHCAUS: Series[str] = pa.Field(nullable=True)
    LSTALVDT: Series[pa.DateTime] = pa.Field(description="Last date known alive, at most the cut-off")
    EOSSTT: Series[str] = pa.Field(isin=EOSSTT)
    LTFUWIN: Series[str] = pa.Field(nullable=True, isin=LTFU_WINDOWS)
    POSTBLFL: Series[str] = pa.Field(isin=YN)
    FASFL: Series[str] = pa.Field(isin=["Y"], description="Every enrolled eligible patient")
    SAFFL: Series[str] = pa.Field(isin=YN)
    RESPPOPFL: Series[str] = pa.Field(isin=YN)

    key = unique_key("USUBJID", what="one record per subject")

    @record_check("DCUTDT", error="DCUTDT must be the same on every record")
    def one_cutoff(cls, df):  # noqa: N805
        return df["DCUTDT"].nunique() <= 1

    agegr1_of_age = category_of("AGEGR1", "AGE", AGE_GROUPS)
    salvlngr_of_salvln = category_of("SALVLNGR", "SALVLN", SALVAGE_LINE_GROUPS)
    dosecat_of_c1dose = category_of("DOSECAT", "C1DOSE", DOSE_CATEGORIES)
    burden_of_blblast = category_of("BURDEN", "BLBLAST", DISEASE_BURDEN)

    # treatment
    trtsdt_if_saffl = present_exactly_when("TRTSDT", lambda df: _yes(df, "SAFFL"), "when SAFFL is 'Y'", "SAFFL")
    trtedt_if_saffl = present_exactly_when("TRTEDT", lambda df: _yes(df, "SAFFL"), "when SAFFL is 'Y'", "SAFFL")
    ncycles_if_saffl = present_exactly_when("NCYCLES", lambda df: _yes(df, "SAFFL"), "when SAFFL is 'Y'", "SAFFL")
    dosemodfl_if_saffl = present_exactly_when("DOSEMODFL", lambda df: _yes(df, "SAFFL"), "when SAFFL is 'Y'", "SAFFL")
    trtedt_order = not_before("TRTEDT", "TRTSDT")
    diagnosis_first = not_before("TRTSDT", "DIAGDT")

    @record_check("DOSEMODFL", "DOSECAT", error="DOSEMODFL must be 'Y' when the cycle-1 dose is not STANDARD")
    def dose_modified(cls, df):  # noqa: N805
        return df["DOSECAT"].isna() | (df["DOSECAT"] == "STANDARD") | _yes(df, "DOSEMODFL")

    # response
    @record_check("RESPFL", "BESTRSP", error=f"RESPFL must be 'Y' exactly when BESTRSP is {' or '.join(RESPONDED)}")
    def responder(cls, df):  # noqa: N805
        return _yes(df, "RESPFL") == df["BESTRSP"].isin(RESPONDED)

    @record_check("RESPPOPFL", "RESPFL", error="RESPPOPFL must equal RESPFL")
    def response_population(cls, df):  # noqa: N805
        return df["RESPPOPFL"] == df["RESPFL"]

    respdt_if_respfl = present_exactly_when("RESPDT", lambda df: _yes(df, "RESPFL"), "when RESPFL is 'Y'", "RESPFL")
    cycresp_if_respfl = present_exactly_when("CYCRESP", lambda df: _yes(df, "RESPFL"), "when RESPFL is 'Y'", "RESPFL")
    mrdnegfl_if_respfl = present_exactly_when("MRDNEGFL", lambda df: _yes(df, "RESPFL"), "when RESPFL is 'Y'", "RESPFL")
    response_after_dose = not_before("RESPDT", "TRTSDT", strictly=True)

    @record_check("CYCRESP", "NCYCLES", error="CYCRESP must not exceed NCYCLES", category="plausibility")
    def cycles_to_response(cls, df):  # noqa: N805
        return df["CYCRESP"].isna() | (df["CYCRESP"] <= df["NCYCLES"])

    @record_check(
        "POSTBLFL", "BESTRSP", error="POSTBLFL must be 'N' exactly when BESTRSP is NE (no post-baseline marrow)"
    )
    def evaluable(cls, df):  # noqa: N805
        return (df["POSTBLFL"] == "N") == (df["BESTRSP"] == NOT_EVALUABLE)

    # transplant
    hsctdt_if_hsctfl = present_exactly_when("HSCTDT", lambda df: _yes(df, "HSCTFL"), "when HSCTFL is 'Y'", "HSCTFL")
    hsct1cfl_if_hsctfl = present_exactly_when("HSCT1CFL", lambda df: _yes(df, "HSCTFL"), "when HSCTFL is 'Y'", "HSCTFL")
    hsct_after_dose = not_before("HSCTDT", "TRTSDT")

    # death and follow-up
    dthdt_if_dthfl = present_exactly_when("DTHDT", lambda df: _yes(df, "DTHFL"), "when DTHFL is 'Y'", "DTHFL")
    death_after_dose = not_before("DTHDT", "TRTSDT")
    alive_after_dose = not_before("LSTALVDT", "TRTSDT")

    @record_check("DTHCAUS", "DTHFL", error="DTHCAUS must be empty unless DTHFL is 'Y'")
    def cause_if_dead(cls, df):  # noqa: N805
        return df["DTHCAUS"].isna() | _yes(df, "DTHFL")

    @record_check("EOSSTT", "DTHFL", error="EOSSTT must be DEAD when DTHFL is 'Y'")
    def dead_at_end(cls, df):  # noqa: N805
        return ~_yes(df, "DTHFL") | (df["EOSSTT"] == "DEAD")

    @record_check("LSTALVDT", "DTHDT", error="LSTALVDT must not be after DTHDT", category="plausibility")
    def alive_before_death(cls, df):  # noqa: N805
        return df["DTHDT"].isna() | (df["LSTALVDT"] <= df["DTHDT"])

    @record_check(
        "LTFUWIN",
        "EOSSTT",
        "TRTSDT",
        error="LTFUWIN must be present exactly for subjects LOST TO FOLLOW-UP (with a first dose)",
    )
    def lost_window(cls, df):  # noqa: N805
        return df["LTFUWIN"].notna() == ((df["EOSSTT"] == "LOST TO FOLLOW-UP") & df["TRTSDT"].notna())

    # nothing known after the data cut-off
    diagdt_cut = _not_after_cutoff("DIAGDT")
    trtsdt_cut = _not_after_cutoff("TRTSDT")
    trtedt_cut = _not_after_cutoff("TRTEDT")
    respdt_cut = _not_after_cutoff("RESPDT")
    hsctdt_cut = _not_after_cutoff("HSCTDT")
    dthdt_cut = _not_after_cutoff("DTHDT")
    lstalvdt_cut = _not_after_cutoff("LSTALVDT")


class ADSLSafety(ADSL):
    """ADSL with the subject-level safety flags derived from ADAE
    (src/inoflow/adam/adae.py ``derive_subject_safety_flags``), one record per subject: what the
    safety and death endpoints count (src/inoflow/analysis/endpoints/safety.py ``adsl_with_safety_flags``).
    Not a stored dataset: the flags are not kept in ADSL, so that ADSL does not depend on the
    adverse-event files; every subject has every flag ('N' without a qualifying event)."""

    VODFL: Series[str] = pa.Field(isin=YN, description="Treatment-emergent reported VOD")
    VODHSCFL: Series[str] = pa.Field(isin=YN, description="VOD with onset after the HSCT date")
    LIVTOXFL: Series[str] = pa.Field(isin=YN, description="Any liver toxicity (AST, ALT, bilirubin)")
    ASTFL: Series[str] = pa.Field(isin=YN)
    ALTFL: Series[str] = pa.Field(isin=YN)
    BILIFL: Series[str] = pa.Field(isin=YN)
    HEMTOXFL: Series[str] = pa.Field(isin=YN, description="Any haematological toxicity")
    THRMBFL: Series[str] = pa.Field(isin=YN)
    NEUTRFL: Series[str] = pa.Field(isin=YN)
    FNFL: Series[str] = pa.Field(isin=YN)

    @record_check("VODHSCFL", "VODFL", "HSCTFL", error="VODHSCFL 'Y' needs VODFL 'Y' and HSCTFL 'Y'")
    def vod_after_hsct(cls, df):  # noqa: N805
        return ~_yes(df, "VODHSCFL") | (_yes(df, "VODFL") & _yes(df, "HSCTFL"))

    @record_check(
        "LIVTOXFL", "ASTFL", "ALTFL", "BILIFL", error="LIVTOXFL must be 'Y' exactly when ASTFL, ALTFL or BILIFL is"
    )
    def liver_toxicity(cls, df):  # noqa: N805
        return _yes(df, "LIVTOXFL") == (df[["ASTFL", "ALTFL", "BILIFL"]] == "Y").any(axis=1)

    @record_check(
        "HEMTOXFL", "THRMBFL", "NEUTRFL", "FNFL", error="HEMTOXFL must be 'Y' exactly when THRMBFL, NEUTRFL or FNFL is"
    )
    def haematological_toxicity(cls, df):  # noqa: N805
        return _yes(df, "HEMTOXFL") == (df[["THRMBFL", "NEUTRFL", "FNFL"]] == "Y").any(axis=1)

    @record_check("FNFL", "NEUTRFL", error="FNFL 'Y' (febrile neutropenia) needs NEUTRFL 'Y'", category="plausibility")
    def febrile_neutropenia(cls, df):  # noqa: N805
        return ~_yes(df, "FNFL") | _yes(df, "NEUTRFL")


# ---------------------------------------------------------------------------------------------
# ADRS
# ---------------------------------------------------------------------------------------------


def _visit_number(avisit) -> float | None:
    """The AVISITN of an AVISIT: PRE-TREATMENT -1, BASELINE 0, CYCLE n n (else missing)."""
    if avisit == "PRE-TREATMENT":
        return -1
    if avisit == "BASELINE":
        return 0
    if isinstance(avisit, str) and avisit.startswith("CYCLE ") and avisit[6:].isdigit():
        return int(avisit[6:])
    return None


class ADRS(TracedRecord):
    """Response at each marrow assessment and subject-level response parameters
    (src/inoflow/adam/adrs.py)."""

    ASEQ: Series[pa.Int64] = pa.Field(ge=1, description="Sequence number within the subject")
    PARAMCD: Series[str] = pa.Field(isin=ASSESSMENT_PARAMS + SUBJECT_PARAMS)
    PARAM: Series[str]
    AVAL: Series[float] = pa.Field(nullable=True, description="Numeric result (CYCRESP: cycles)")
    AVALC: Series[str] = pa.Field(description="Character result")
    AVALCAT1: Series[str] = pa.Field(nullable=True, isin=RESPONSES, description="SITERESP: the response it reads as")
    ADT: Series[pa.DateTime] = pa.Field(nullable=True, description="Assessment date")
    ADY: Series[pa.Int64] = pa.Field(nullable=True, ne=0, description="Study day of ADT (no day 0)")
    AVISIT: Series[str] = pa.Field(nullable=True, description="PRE-TREATMENT, BASELINE or CYCLE n of the marrow")
    AVISITN: Series[pa.Int64] = pa.Field(nullable=True, ge=-1)
    ABLFL: Series[str] = pa.Field(
        nullable=True, isin=["Y"], description="The baseline marrow: the last on or before the first dose"
    )
    BLAST: Series[float] = pa.Field(nullable=True, ge=0, le=100, description="Marrow blasts, %")
    PLAT: Series[float] = pa.Field(nullable=True, ge=0, description="Platelets, 10^9/L")
    NEUT: Series[float] = pa.Field(nullable=True, ge=0, description="Neutrophils, 10^9/L")
    CNTSRC: Series[str] = pa.Field(
        nullable=True,
        isin=["ASSESSMENT", "LABORATORY"],
        description="Whether PLAT and NEUT were sent with the marrow assessment or taken from the laboratory panels",
    )
    MRD: Series[float] = pa.Field(nullable=True, ge=0, le=100, description="MRD, % of nucleated marrow cells")
    MRDMETH: Series[str] = pa.Field(nullable=True, isin=MRDMETH)
    MRDSTAT: Series[str] = pa.Field(nullable=True, isin=MRDSTAT)
    MRDRULE: Series[str] = pa.Field(nullable=True, isin=MRDRULE)
    EMD: Series[str] = pa.Field(nullable=True, isin=YN)
    EMDSITE: Series[str] = pa.Field(nullable=True)
    RSPDISFL: Series[str] = pa.Field(
        nullable=True, isin=YN, description="SITERESP: the site's label disagrees with the derived response"
    )
    SRCDOM: Series[str] = pa.Field(nullable=True, isin=["LB", "RS"])

    key = unique_key("USUBJID", "ASEQ", what="one record per sequence number")
    param_text = one_value_per("PARAM", "PARAMCD")
    srcdom_traced = present_exactly_when(
        "SRCDOM", lambda df: df["SRCFILE"].notna(), "when SRCFILE is present", "SRCFILE"
    )
    ady_reference = study_day_reference_consistent("ADT", "ADY")
    ady_if_adt = present_exactly_when("ADY", lambda df: df["ADT"].notna(), "when ADT is present", "ADT")
    avisit_if_adt = present_exactly_when("AVISIT", lambda df: df["ADT"].notna(), "when ADT is present", "ADT")
    blast_if_adt = present_exactly_when(
        "BLAST", lambda df: df["ADT"].notna(), "when ADT is present (a marrow assessment)", "ADT"
    )
    cntsrc_if_counts = present_exactly_when(
        "CNTSRC", lambda df: df["PLAT"].notna() | df["NEUT"].notna(), "when PLAT or NEUT is present", "PLAT", "NEUT"
    )
    aval_if_cycresp = present_exactly_when("AVAL", lambda df: df["PARAMCD"] == "CYCRESP", "on CYCRESP", "PARAMCD")
    mrdrule_if_mrd = present_exactly_when(
        "MRDRULE", lambda df: df["PARAMCD"].isin(MRD_PARAMS), f"on {MRD_PARAMS}", "PARAMCD"
    )

    @record_check(
        "USUBJID", "PARAMCD", error=f"each subject must have at most one record of each of {', '.join(SUBJECT_PARAMS)}"
    )
    def one_per_subject(cls, df):  # noqa: N805
        return ~(df["PARAMCD"].isin(SUBJECT_PARAMS) & df.duplicated(["USUBJID", "PARAMCD"], keep=False))

    @record_check(
        "USUBJID",
        "PARAMCD",
        "ADT",
        error=f"each subject must have at most one {'/'.join(ASSESSMENT_PARAMS)} record per ADT",
    )
    def one_per_assessment(cls, df):  # noqa: N805
        return ~(df["PARAMCD"].isin(ASSESSMENT_PARAMS) & df.duplicated(["USUBJID", "PARAMCD", "ADT"], keep=False))

    @record_check("USUBJID", error="each subject must have a BOR record")
    def has_bor(cls, df):  # noqa: N805
        return df["USUBJID"].isin(set(df.loc[df["PARAMCD"] == "BOR", "USUBJID"]))

    @record_check(
        "PARAMCD",
        "USUBJID",
        error=f"{', '.join(RESPONDER_PARAMS)} must be present exactly for subjects with BOR {' or '.join(RESPONDED)}",
    )
    def responder_params(cls, df):  # noqa: N805
        responders = set(df.loc[(df["PARAMCD"] == "BOR") & df["AVALC"].isin(RESPONDED), "USUBJID"])
        params = df[df["PARAMCD"].isin(RESPONDER_PARAMS)].groupby("USUBJID")["PARAMCD"].nunique()
        complete = set(params[params == len(RESPONDER_PARAMS)].index)
        is_responder = df["USUBJID"].isin(responders)
        subject_ok = ~df["PARAMCD"].isin(RESPONDER_PARAMS) | is_responder
        bor_ok = (df["PARAMCD"] != "BOR") | ~is_responder | df["USUBJID"].isin(complete)
        return subject_ok & bor_ok

    @record_check("AVALC", "PARAMCD", error=f"AVALC must be a value of its PARAMCD ({_levels_text(AVALC_LEVELS)})")
    def avalc_levels(cls, df):  # noqa: N805
        ok = pd.Series(True, index=df.index)
        for paramcd, levels in AVALC_LEVELS.items():
            rows = df["PARAMCD"] == paramcd
            ok &= ~rows | df["AVALC"].isin(levels)
        return ok

    @record_check("AVAL", "AVALC", error="CYCRESP: AVAL must be a whole number >= 1 and AVALC its text")
    def cycles_to_response(cls, df):  # noqa: N805
        rows = df["PARAMCD"] == "CYCRESP"
        whole = df["AVAL"].notna() & (df["AVAL"] >= 1) & (df["AVAL"] % 1 == 0)
        text = df["AVAL"].map(lambda v: None if pd.isna(v) else str(int(v)))
        return ~rows | (whole & (df["AVALC"] == text))

    @record_check("AVALCAT1", "PARAMCD", error="AVALCAT1 must be empty except on SITERESP")
    def label_reading(cls, df):  # noqa: N805
        return df["AVALCAT1"].isna() | (df["PARAMCD"] == "SITERESP")

    @record_check(
        "RSPDISFL", "PARAMCD", "AVALCAT1", error="RSPDISFL must be empty except on SITERESP read as a response"
    )
    def disagreement(cls, df):  # noqa: N805
        return df["RSPDISFL"].isna() | ((df["PARAMCD"] == "SITERESP") & df["AVALCAT1"].notna())

    @record_check("ADT", "PARAMCD", "AVALC", error="ADT must be missing exactly on BOR 'NE' and RELAPSE 'N'")
    def undated(cls, df):  # noqa: N805
        undated = ((df["PARAMCD"] == "BOR") & (df["AVALC"] == NOT_EVALUABLE)) | (
            (df["PARAMCD"] == "RELAPSE") & (df["AVALC"] == "N")
        )
        return df["ADT"].isna() == undated

    @record_check("AVISITN", "AVISIT", error="AVISITN must match AVISIT: PRE-TREATMENT -1, BASELINE 0, CYCLE n n")
    def visit_number(cls, df):  # noqa: N805
        expected = pd.to_numeric(df["AVISIT"].map(_visit_number), errors="coerce").astype("float64")
        both_missing = df["AVISIT"].isna() & df["AVISITN"].isna()
        return both_missing | (df["AVISITN"].astype("float64") == expected)

    @record_check("ADY", "AVISITN", error="ADY must be <= 1 before treatment (AVISITN <= 0) and >= 2 in a cycle")
    def day_of_visit(cls, df):  # noqa: N805
        return df["ADY"].isna() | ((df["AVISITN"] <= 0) & (df["ADY"] <= 1)) | ((df["AVISITN"] >= 1) & (df["ADY"] >= 2))

    @record_check("ABLFL", "AVISIT", error="ABLFL must be 'Y' only at the BASELINE visit")
    def baseline_visit(cls, df):  # noqa: N805
        return df["ABLFL"].isna() | (df["AVISIT"] == "BASELINE")

    @record_check(
        "AVALC",
        "AVISIT",
        error="OVRLRESP: AVALC must be the visit at BASELINE and PRE-TREATMENT, a response in a cycle",
    )
    def response_of_visit(cls, df):  # noqa: N805
        rows = df["PARAMCD"] == "OVRLRESP"
        before = df["AVISIT"].isin(["BASELINE", "PRE-TREATMENT"])
        return ~rows | (before & (df["AVALC"] == df["AVISIT"])) | (~before & df["AVALC"].isin(RESPONSES))

    @record_check("ABLFL", "USUBJID", "AVISIT", error="OVRLRESP: one baseline record per subject, flagged ABLFL 'Y'")
    def one_baseline(cls, df):  # noqa: N805
        rows = (df["PARAMCD"] == "OVRLRESP") & (df["AVISIT"] == "BASELINE")
        repeated = rows & df.duplicated(["USUBJID", "PARAMCD", "AVISIT"], keep=False)
        return ~rows | (_yes(df, "ABLFL") & ~repeated)

    @record_check("MRDSTAT", "MRDRULE", error="MRDRULE DOCUMENTED needs MRDSTAT")
    def documented_mrd(cls, df):  # noqa: N805
        return (df["MRDRULE"] != "DOCUMENTED") | df["MRDSTAT"].notna()

    @record_check("MRD", "MRDRULE", error="MRDRULE THRESHOLD or OTHER METHOD needs MRD")
    def measured_mrd(cls, df):  # noqa: N805
        return ~df["MRDRULE"].isin(["THRESHOLD", "OTHER METHOD"]) | df["MRD"].notna()


# ---------------------------------------------------------------------------------------------
# ADAE
# ---------------------------------------------------------------------------------------------


def _reported(df: pd.DataFrame) -> pd.Series:
    return df["AECAT"] == "REPORTED"


def _laboratory(df: pd.DataFrame) -> pd.Series:
    return df["AECAT"] == "LABORATORY-DERIVED"


class ADAE(TracedRecord):
    """Reported and laboratory-derived adverse events (src/inoflow/adam/adae.py)."""

    ASEQ: Series[pa.Int64] = pa.Field(ge=1, description="Sequence number within the subject")
    AECAT: Series[str] = pa.Field(
        isin=["REPORTED", "LABORATORY-DERIVED"],
        description="REPORTED by the site (AE), or LABORATORY-DERIVED from a value meeting a toxicity criterion",
    )
    AEGRP: Series[str] = pa.Field(nullable=True, isin=["LIVER", "HAEMATOLOGICAL"])
    AETERM: Series[str]
    AEDECOD: Series[str]
    AETOXGR: Series[pa.Int64] = pa.Field(nullable=True, ge=1, le=5, description="CTCAE grade")
    AEREL: Series[str] = pa.Field(nullable=True, isin=YN)
    AESER: Series[str] = pa.Field(nullable=True, isin=YN)
    ASTDT: Series[pa.DateTime] = pa.Field(description="Onset date")
    ASTDTF: Series[str] = pa.Field(
        nullable=True, isin=DATE_IMPUTATION_FLAGS, description="Imputation flag of ASTDT (partial onset date)"
    )
    AENDT: Series[pa.DateTime] = pa.Field(nullable=True, description="End date")
    AENDTF: Series[str] = pa.Field(
        nullable=True, isin=DATE_IMPUTATION_FLAGS, description="Imputation flag of AENDT (partial end date)"
    )
    ASTDY: Series[pa.Int64] = pa.Field(nullable=True, ne=0, description="Study day of onset (no day 0)")
    TRTEMFL: Series[str] = pa.Field(isin=YN)
    VODFL: Series[str] = pa.Field(isin=YN)
    APHSCTFL: Series[str] = pa.Field(nullable=True, isin=YN)
    AVAL: Series[float] = pa.Field(nullable=True, ge=0, description="Laboratory value or temperature")
    AVALU: Series[str] = pa.Field(nullable=True)
    ULN: Series[float] = pa.Field(nullable=True, gt=0, description="Upper limit of normal")
    R2ULN: Series[float] = pa.Field(nullable=True, ge=0, description="AVAL / ULN")
    ANC: Series[float] = pa.Field(nullable=True, ge=0, description="Febrile neutropenia: the day's lowest ANC")
    ANCSEQ: Series[pa.Int64] = pa.Field(nullable=True, ge=1)
    AECRIT: Series[str] = pa.Field(nullable=True, description="The toxicity criterion the value meets")
    SRCDOM: Series[str] = pa.Field(isin=["AE", "LB", "VS"])

    key = unique_key("USUBJID", "ASEQ", what="one record per sequence number")
    aetoxgr_if_reported = present_exactly_when("AETOXGR", _reported, "on REPORTED events", "AECAT")
    aerel_if_reported = present_exactly_when("AEREL", _reported, "on REPORTED events", "AECAT")
    aeser_if_reported = present_exactly_when("AESER", _reported, "on REPORTED events", "AECAT")
    aegrp_if_laboratory = present_exactly_when("AEGRP", _laboratory, "on LABORATORY-DERIVED events", "AECAT")
    aval_if_laboratory = present_exactly_when("AVAL", _laboratory, "on LABORATORY-DERIVED events", "AECAT")
    avalu_if_laboratory = present_exactly_when("AVALU", _laboratory, "on LABORATORY-DERIVED events", "AECAT")
    aecrit_if_laboratory = present_exactly_when("AECRIT", _laboratory, "on LABORATORY-DERIVED events", "AECAT")
    r2uln_if_liver = present_exactly_when("R2ULN", lambda df: df["AEGRP"] == "LIVER", "on LIVER events", "AEGRP")
    anc_if_fever = present_exactly_when("ANC", lambda df: df["SRCDOM"] == "VS", "on events from VS (fever)", "SRCDOM")
    ancseq_if_fever = present_exactly_when(
        "ANCSEQ", lambda df: df["SRCDOM"] == "VS", "on events from VS (fever)", "SRCDOM"
    )
    end_after_onset = not_before("AENDT", "ASTDT")
    astdy_reference = study_day_reference_consistent("ASTDT", "ASTDY")
    vodfl_per_term = one_value_per("VODFL", "AEDECOD")

    @record_check("USUBJID", "AEDECOD", error="LABORATORY-DERIVED: one event per subject and AEDECOD")
    def first_occurrence(cls, df):  # noqa: N805
        return ~(_laboratory(df) & df.duplicated(["USUBJID", "AECAT", "AEDECOD"], keep=False))

    @record_check("SRCDOM", "AECAT", error="SRCDOM must be AE for REPORTED events, LB or VS for LABORATORY-DERIVED")
    def source_of_category(cls, df):  # noqa: N805
        return (_reported(df) & (df["SRCDOM"] == "AE")) | (_laboratory(df) & df["SRCDOM"].isin(["LB", "VS"]))

    @record_check(
        "AEDECOD",
        "AEGRP",
        error=f"LABORATORY-DERIVED: AEDECOD must be a toxicity of its AEGRP "
        f"(LIVER: {', '.join(LIVER_TOXICITIES)}; HAEMATOLOGICAL: {', '.join(HAEMATOLOGICAL_TOXICITIES)})",
    )
    def laboratory_term(cls, df):  # noqa: N805
        liver = (df["AEGRP"] == "LIVER") & df["AEDECOD"].isin(LIVER_TOXICITIES)
        haem = (df["AEGRP"] == "HAEMATOLOGICAL") & df["AEDECOD"].isin(HAEMATOLOGICAL_TOXICITIES)
        return ~_laboratory(df) | liver | haem

    @record_check("R2ULN", "AVAL", "ULN", error=f"R2ULN must equal AVAL / ULN rounded to {R2ULN_DECIMALS} decimals")
    def ratio_to_uln(cls, df):  # noqa: N805
        expected = (df["AVAL"] / df["ULN"]).round(R2ULN_DECIMALS)
        return df["R2ULN"].isna() | ((df["R2ULN"] - expected).abs() < 10 ** -(R2ULN_DECIMALS + 3))

    @record_check(
        "TRTEMFL", "ASTDY", error="TRTEMFL must be 'Y' exactly when onset is on or after the first dose (ASTDY >= 1)"
    )
    def treatment_emergent(cls, df):  # noqa: N805
        return _yes(df, "TRTEMFL") == (df["ASTDY"].notna() & (df["ASTDY"] >= 1)).astype(bool)

    @record_check("VODFL", "AECAT", error="VODFL must be 'N' on LABORATORY-DERIVED events")
    def vod_reported(cls, df):  # noqa: N805
        return ~_laboratory(df) | (df["VODFL"] == "N")


# ---------------------------------------------------------------------------------------------
# ADTTE
# ---------------------------------------------------------------------------------------------


def _parameter_dates(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` of each subject's OS, RFS and DOR records, aligned with the records."""
    wide = df.drop_duplicates(["USUBJID", "PARAMCD"]).pivot(index="USUBJID", columns="PARAMCD", values=column)
    wide = wide.reindex(columns=list(TTE_EVENTS))
    return wide.reindex(df["USUBJID"]).set_axis(df.index)


class ADTTE(TracedRecord):
    """Time-to-event parameters OS, RFS, DOR, OSCHSCT, RFSLDA, DORLDA, CIR and NRM, one record per
    subject and parameter (src/inoflow/adam/adtte.py: ``AVAL`` is the number of days from
    ``STARTDT`` to ``ADT``; ``CMPRSK`` on the competing-risks parameters CIR and NRM)."""

    PARAMCD: Series[str] = pa.Field(isin=list(TTE_EVENTS))
    PARAM: Series[str]
    STARTDT: Series[pa.DateTime] = pa.Field(description="Time origin")
    ADT: Series[pa.DateTime] = pa.Field(description="Event or censoring date")
    AVAL: Series[pa.Int64] = pa.Field(ge=0, description="Days from STARTDT to ADT")
    AVALU: Series[str] = pa.Field(isin=["DAYS"])
    CNSR: Series[pa.Int64] = pa.Field(isin=[0, 1], description="0 event, 1 censored")
    CMPRSK: Series[pa.Int64] = pa.Field(
        nullable=True, isin=[0, 1, 2], description="1 the parameter's event, 2 the competing event, 0 censored"
    )
    EVNTDESC: Series[str] = pa.Field(
        isin=sorted({e for v in [*TTE_EVENTS.values(), *TTE_CENSORING_OF.values()] for e in v} | set(TTE_CENSORING)),
        description="The event, or why the subject is censored",
    )
    CNSDTDSC: Series[str] = pa.Field(nullable=True, isin=TTE_CENSOR_DATES, description="The date censored at")
    DOREVFL: Series[str] = pa.Field(nullable=True, isin=YN)
    SRCDOM: Series[str] = pa.Field(isin=TTE_SOURCES)
    SRCVAR: Series[str] = pa.Field(description="Variable of the source the date comes from")

    key = unique_key("USUBJID", "PARAMCD", what="one record per subject and parameter")
    param_text = one_value_per("PARAM", "PARAMCD")
    adt_order = not_before("ADT", "STARTDT")
    cnsdtdsc_if_censored = present_exactly_when("CNSDTDSC", lambda df: df["CNSR"] == 1, "when CNSR is 1", "CNSR")
    doreval_if_dor = present_exactly_when(
        "DOREVFL", lambda df: df["PARAMCD"].isin(TTE_DOR), "on DOR and DORLDA", "PARAMCD"
    )
    cmprsk_if_competing = present_exactly_when(
        "CMPRSK", lambda df: df["PARAMCD"].isin(list(TTE_COMPETING)), "on CIR and NRM", "PARAMCD"
    )

    @record_check(
        "CMPRSK",
        "CNSR",
        "EVNTDESC",
        error="CMPRSK must be 0 when censored, 2 for the parameter's competing event, 1 for its own event",
    )
    def cmprsk_status(cls, df):  # noqa: N805
        competing = df["PARAMCD"].map(TTE_COMPETING)
        expected = pd.Series(1, index=df.index).where(df["EVNTDESC"] != competing, 2).where(df["CNSR"] == 0, 0)
        return ~df["PARAMCD"].isin(list(TTE_COMPETING)) | (df["CMPRSK"] == expected)

    srcfile_if_record = present_exactly_when(
        "SRCFILE", lambda df: df["SRCDOM"] != "ADSL", "when SRCDOM is a source record (not ADSL)", "SRCDOM"
    )

    @record_check("AVAL", "ADT", "STARTDT", error="AVAL must equal ADT - STARTDT in days")
    def aval_days(cls, df):  # noqa: N805
        return df["AVAL"] == (df["ADT"] - df["STARTDT"]).dt.days

    @record_check(
        "EVNTDESC",
        "PARAMCD",
        "CNSR",
        error=f"EVNTDESC must be an event of its PARAMCD when CNSR is 0 ({_levels_text(TTE_EVENTS)}), "
        f"a reason for censoring of its PARAMCD when CNSR is 1 ({' or '.join(TTE_CENSORING)}; "
        f"{_levels_text(TTE_CENSORING_OF)})",
    )
    def event_of_parameter(cls, df):  # noqa: N805
        pairs = list(zip(df["PARAMCD"], df["EVNTDESC"], strict=True))
        event = pd.Series([e in TTE_EVENTS.get(p, []) for p, e in pairs], index=df.index)
        censor = pd.Series([e in TTE_CENSORING_OF.get(p, TTE_CENSORING) for p, e in pairs], index=df.index)
        return ((df["CNSR"] == 0) & event) | ((df["CNSR"] == 1) & censor)

    @record_check("SRCDOM", "CNSR", error="an event (CNSR 0) must come from a source record, not ADSL")
    def event_source(cls, df):  # noqa: N805
        return (df["CNSR"] != 0) | (df["SRCDOM"] != "ADSL")

    @record_check("DOREVFL", "CNSR", error="DOR: DOREVFL must be 'Y' when the remission ends in an event (CNSR 0)")
    def dor_event_evaluable(cls, df):  # noqa: N805
        return ~df["PARAMCD"].isin(TTE_DOR) | (df["CNSR"] != 0) | _yes(df, "DOREVFL")

    @record_check("PARAMCD", "USUBJID", error=f"a subject with RFS or DOR must have all of {', '.join(TTE_EVENTS)}")
    def responder_parameters(cls, df):  # noqa: N805
        present = _parameter_dates(df, "STARTDT").notna()
        return ~(present["RFS"] | present["DOR"]) | present.all(axis=1)

    @record_check(
        "STARTDT", "PARAMCD", error="RFS must start on the OS start date and DOR after it", category="plausibility"
    )
    def origins(cls, df):  # noqa: N805
        start = _parameter_dates(df, "STARTDT")
        os_start = start["OS"]
        rfs_ok = ~df["PARAMCD"].isin(TTE_RFS) | (df["STARTDT"] == os_start)
        dor_ok = ~df["PARAMCD"].isin(TTE_DOR) | (df["STARTDT"] > os_start)
        return os_start.isna() | (rfs_ok & dor_ok)

    @record_check("ADT", "PARAMCD", error="RFS and DOR must end no later than OS", category="plausibility")
    def ends_before_survival(cls, df):  # noqa: N805
        os_end = _parameter_dates(df, "ADT")["OS"]
        return (df["PARAMCD"] == "OS") | os_end.isna() | (df["ADT"] <= os_end)


# ---------------------------------------------------------------------------------------------
# ADELIG
# ---------------------------------------------------------------------------------------------


class ADELIG(ADaMDates):
    """Eligibility of every case of the sites' screening logs, one record per case
    (src/inoflow/adam/adelig.py; the ``IC<criterion>`` flags follow the definitions file)."""

    STUDYID: Series[str]
    USUBJID: Series[str] = pa.Field(description="STUDYID-SITEID-<subject id, or screening number if not enrolled>")
    SITEID: Series[str] = pa.Field(str_matches=SITE_ID)
    SCRNID: Series[str] = pa.Field(description="Screening number in the site's log")
    SCRNDT: Series[pa.DateTime] = pa.Field(description="Screening date")
    AGE: Series[pa.Int64] = pa.Field(ge=0, le=120, description="Age at InO start, years")
    CD22POS: Series[str] = pa.Field(isin=YN)
    RRSTAT: Series[str] = pa.Field(isin=YN)
    INOMONO: Series[str] = pa.Field(isin=YN)
    PHSTAT: Series[str] = pa.Field(isin=PHSTAT)
    TKIFAILN: Series[pa.Int64] = pa.Field(ge=0, le=10)
    IC: Series[str] = pa.Field(alias=r"^IC[A-Z0-9]+$", regex=True, isin=YN, description="Inclusion criterion met")
    ELIGFL: Series[str] = pa.Field(isin=YN, description="Every inclusion criterion met")
    EXCLREAS: Series[str] = pa.Field(nullable=True, description="The reasons of the criteria not met, '; '-separated")
    ENRLFL: Series[str] = pa.Field(isin=YN, description="Enrolled: the case has a DM record")

    key = unique_key("USUBJID", what="one record per case")
    screening_key = unique_key("SITEID", "SCRNID", what="one record per case")

    @record_check("USUBJID", "STUDYID", "SITEID", error="USUBJID must be STUDYID-SITEID-<subject id>")
    def usubjid_composed(cls, df):  # noqa: N805
        prefix = df["STUDYID"] + "-" + df["SITEID"] + "-"
        return pd.Series(
            [
                isinstance(u, str) and u.startswith(p) and len(u) > len(p)
                for u, p in zip(df["USUBJID"], prefix, strict=True)
            ],
            index=df.index,
        )

    @record_check("STUDYID", error="STUDYID must be the same on every record")
    def one_study(cls, df):  # noqa: N805
        return df["STUDYID"] == df["STUDYID"].mode().iloc[0] if len(df) else df["STUDYID"].notna()

    @record_check("ELIGFL", error="ELIGFL must be 'Y' exactly when every inclusion criterion (IC*) is 'Y'")
    def eligible(cls, df):  # noqa: N805
        criteria = df.filter(regex=r"^IC[A-Z0-9]+$")
        return _yes(df, "ELIGFL") == (criteria == "Y").all(axis=1)

    @record_check(
        "EXCLREAS",
        "ELIGFL",
        error="EXCLREAS must list one reason per criterion not met ('; '-separated), none if eligible",
    )
    def reasons(cls, df):  # noqa: N805
        failed = (df.filter(regex=r"^IC[A-Z0-9]+$") == "N").sum(axis=1)
        listed = df["EXCLREAS"].map(lambda v: len(v.split("; ")) if isinstance(v, str) and v else 0)
        return listed == failed


RESOURCE_PARAMS = [
    "INOMG",
    "INOVIAL",
    "INOVIALS",
    "INOWASTE",
    "INOADM",
    "CYCLES",
    "WARDDAY",
    "ICUDAY",
    "RBCUNIT",
    "PLTUNIT",
    "HSCT",
]  # inoflow.analysis.costs.PARAMS


class ADRU(ADaMRecord):
    """Resource use per subject and parameter for the cost assessment (src/inoflow/adam/adru.py)."""

    PARAMN: Series[pa.Int64] = pa.Field(ge=1)
    PARAMCD: Series[str] = pa.Field(isin=RESOURCE_PARAMS)
    PARAM: Series[str]
    AVAL: Series[float] = pa.Field(nullable=True, ge=0, description="Quantity (missing when a needed value is)")
    SRCDOM: Series[str] = pa.Field(isin=["EX", "HO", "PR", "ADSL"])
    SRCSEQS: Series[str] = pa.Field(nullable=True, description="--SEQ of the records counted, comma-separated")

    key = unique_key("USUBJID", "PARAMCD", what="one record per subject and parameter")
    param_text = one_value_per("PARAM", "PARAMCD")

    @record_check("AVAL", "PARAMCD", error="HSCT is 0 or 1")
    def hsct_is_a_flag(cls, df):  # noqa: N805
        return (df["PARAMCD"] != "HSCT") | df["AVAL"].isna() | df["AVAL"].isin([0, 1])


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "ADSL": ADSL,
    "ADRS": ADRS,
    "ADAE": ADAE,
    "ADTTE": ADTTE,
    "ADELIG": ADELIG,
    "ADRU": ADRU,
}


LABELS: dict[str, str] = {
    # identifiers and traceability
    "STUDYID": "Study Identifier",
    "USUBJID": "Unique Subject Identifier",
    "SUBJID": "Subject Identifier for the Study",
    "SITEID": "Study Site Identifier",
    "SRCDOM": "Source Data",
    "SRCVAR": "Source Variable",
    "SRCSEQ": "Source Sequence Number",
    "SRCSEQS": "Source Sequence Numbers",
    "SRCFILE": "Source File",
    "SRCSHA256": "Source File SHA-256",
    "SRCSHEET": "Source Sheet",
    "SRCROW": "Source Row",
    "SRCCOLS": "Source Columns",
    # ADSL
    "DCUTDT": "Date of Data Cut",
    "AGE": "Age",
    "AAGE": "Analysis Age",
    "AGEU": "Age Units",
    "AGEGR1": "Pooled Age Group 1",
    "SEX": "Sex",
    "PHSTAT": "Philadelphia Chromosome Status",
    "TKIFAILN": "Number of TKIs Failed",
    "CD22PCT": "CD22 Positive Blasts (%)",
    "DISSTAT": "Disease Status Before InO",
    "PRIORLN": "Number of Prior Lines of Therapy",
    "SALVLN": "Salvage Line of InO",
    "SALVLNGR": "Salvage Line of InO Group",
    "PRBLINA": "Prior Blinatumomab",
    "PRINDCT": "Prior Standard Induction Chemotherapy",
    "DIAGDT": "Date of Initial Diagnosis",
    "DIAGDTF": "Date of Initial Diagnosis Imputation Flag",
    "TRTSDT": "Date of First Exposure to Treatment",
    "TRTEDT": "Date of Last Exposure to Treatment",
    "NCYCLES": "Number of InO Cycles Received",
    "C1DOSE": "Cycle 1 Dose (mg/m2)",
    "DOSECAT": "Cycle 1 Dose Category",
    "DOSEMODFL": "Dose Modified Flag",
    "BLBLAST": "Baseline Bone Marrow Blasts (%)",
    "BURDEN": "Baseline Disease Burden",
    "EMDBLFL": "Baseline Extramedullary Disease Flag",
    "BESTRSP": "Best Overall Response",
    "RESPFL": "Responder (CR/CRi) Flag",
    "RESPDT": "Date of First CR/CRi",
    "CYCRESP": "Cycles to First CR/CRi",
    "MRDNEGFL": "MRD Negative After CR/CRi Flag",
    "HSCTFL": "HSCT After InO Flag",
    "HSCTDT": "Date of First HSCT After InO",
    "HSCT1CFL": "HSCT After One InO Cycle Flag",
    "CMFL": "Concomitant Medication Flag",
    "DTHFL": "Subject Death Flag",
    "DTHDT": "Date of Death",
    "DTHDTF": "Date of Death Imputation Flag",
    "DTHCAUS": "Cause of Death",
    "LSTALVDT": "Date Last Known Alive",
    "EOSSTT": "End of Study Status",
    "LTFUWIN": "Lost to Follow-up Window (Months)",
    "POSTBLFL": "Post-baseline Marrow Assessment Flag",
    "FASFL": "Full Analysis Set Population Flag",
    "SAFFL": "Safety Population Flag",
    "RESPPOPFL": "Responder Population Flag",
    # ADSL safety flags (ADSLSafety)
    "VODFL": "Veno-occlusive Disease Flag",
    "VODHSCFL": "VOD After HSCT Flag",
    "LIVTOXFL": "Liver Toxicity Flag",
    "ASTFL": "AST Elevation Flag",
    "ALTFL": "ALT Elevation Flag",
    "BILIFL": "Bilirubin Elevation Flag",
    "HEMTOXFL": "Haematological Toxicity Flag",
    "THRMBFL": "Thrombocytopenia Flag",
    "NEUTRFL": "Neutropenia Flag",
    "FNFL": "Febrile Neutropenia Flag",
    # BDS (ADRS, ADTTE, ADRU)
    "ASEQ": "Analysis Sequence Number",
    "PARAMCD": "Parameter Code",
    "PARAM": "Parameter",
    "PARAMN": "Parameter (N)",
    "AVAL": "Analysis Value",
    "AVALC": "Analysis Value (C)",
    "AVALCAT1": "Analysis Value Category 1",
    "AVALU": "Analysis Value Unit",
    "ADT": "Analysis Date",
    "ADY": "Analysis Relative Day",
    "AVISIT": "Analysis Visit",
    "AVISITN": "Analysis Visit (N)",
    "ABLFL": "Baseline Record Flag",
    # ADRS measurements
    "BLAST": "Bone Marrow Blasts (%)",
    "PLAT": "Platelets (10^9/L)",
    "NEUT": "Neutrophils (10^9/L)",
    "CNTSRC": "Source of the Blood Counts",
    "MRD": "Minimal Residual Disease (%)",
    "MRDMETH": "MRD Method",
    "MRDSTAT": "MRD Status as Documented",
    "MRDRULE": "MRD Negativity Rule Applied",
    "EMD": "Extramedullary Disease",
    "EMDSITE": "Extramedullary Disease Site",
    "RSPDISFL": "Site Response Disagreement Flag",
    # ADAE
    "AECAT": "Category for Adverse Event",
    "AEGRP": "Toxicity Group",
    "AETERM": "Reported Term for the Adverse Event",
    "AEDECOD": "Dictionary-Derived Term",
    "AETOXGR": "Standard Toxicity Grade",
    "AEREL": "Causality",
    "AESER": "Serious Event",
    "ASTDT": "Analysis Start Date",
    "ASTDTF": "Analysis Start Date Imputation Flag",
    "AENDT": "Analysis End Date",
    "AENDTF": "Analysis End Date Imputation Flag",
    "ASTDY": "Analysis Start Relative Day",
    "TRTEMFL": "Treatment Emergent Analysis Flag",
    "APHSCTFL": "Onset After HSCT Flag",
    "ULN": "Upper Limit of Normal",
    "R2ULN": "Ratio to Upper Limit of Normal",
    "ANC": "Lowest ANC of the Day (10^9/L)",
    "ANCSEQ": "Sequence Number of the ANC Record",
    "AECRIT": "Toxicity Criterion Met",
    # ADTTE
    "STARTDT": "Time-to-Event Origin Date for Subject",
    "CNSR": "Censor",
    "EVNTDESC": "Event or Censoring Description",
    "CNSDTDSC": "Censor Date Description",
    "DOREVFL": "Duration of Remission Evaluable Flag",
    "CMPRSK": "Competing Risks Status (1 Event, 2 Competing Event, 0 Censored)",
    # ADELIG
    "SCRNID": "Screening Number",
    "SCRNDT": "Screening Date",
    "CD22POS": "CD22 Positive",
    "RRSTAT": "Relapsed or Refractory B-ALL",
    "INOMONO": "InO Given as Monotherapy",
    r"^IC[A-Z0-9]+$": "Inclusion Criterion Met",
    "ELIGFL": "Eligible Flag",
    "EXCLREAS": "Reasons Not Eligible",
    "ENRLFL": "Enrolled Flag",
}
"""The label of each ADaM variable (CDISC's where the variable is a CDISC one, e.g. TRTSDT "Date
of First Exposure to Treatment"), shown in the data dictionary (``inoflow.dictionary``). A
``Field(title=...)`` takes precedence; a new variable gets its label here or there."""
