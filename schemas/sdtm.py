"""pandera models of the harmonised common model (CDISC SDTM-named domains).

One model per domain, all inheriting the identifier and provenance columns. Checks are the
ones a harmonised record must pass whatever site it came from; cross-domain plausibility
(dates in order, one subject in one site) lives in :mod:`inoflow.model.pool`.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
"""ISO 8601 date, full or partial (``2019-03`` day unknown, ``2019`` month and day unknown): a site's
dialect may declare that a date column carries partial dates (``partial_dates:``)."""
ISO_DATE_OR_YEAR = r"^\d{4}(-\d{2}-\d{2})?$"


class SDTMRecord(pa.DataFrameModel):
    """Identifiers and provenance carried by every record of the common model."""

    STUDYID: Series[str] = pa.Field(description="Study identifier")
    DOMAIN: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 2}, description="Domain abbreviation")
    USUBJID: Series[str] = pa.Field(description="Unique subject identifier: STUDYID-SITEID-SUBJID")
    SUBJID: Series[str] = pa.Field(description="Subject identifier as used at the site")
    SITEID: Series[str] = pa.Field(str_matches=r"^[A-Z]{2}\d{2}$", description="Site identifier")
    SRCFILE: Series[str] = pa.Field(description="Source file, relative to the cut's extract folder")
    SRCSHA256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$", description="sha256 of the source file")
    SRCSHEET: Series[str] = pa.Field(nullable=True, description="Source sheet (Excel), empty for CSV")
    SRCROW: Series[pa.Int64] = pa.Field(ge=1, description="Row number in the source file, header rows counted")
    SRCCOLS: Series[str] = pa.Field(description="JSON: contract variable -> source column")

    @pa.dataframe_check(error="USUBJID must equal STUDYID-SITEID-SUBJID")
    def usubjid_composed(cls, df):  # noqa: N805
        return df["USUBJID"] == df["STUDYID"] + "-" + df["SITEID"] + "-" + df["SUBJID"]

    class Config:
        coerce = False
        strict = False


class DM(SDTMRecord):
    """Demographics: one record per subject."""

    AGE: Series[pa.Int64] = pa.Field(nullable=True, ge=0, le=120, description="Age in years at first InO dose, as sent")
    AGEU: Series[str] = pa.Field(isin=["YEARS"])
    BRTHDTC: Series[str] = pa.Field(
        nullable=True, str_matches=ISO_DATE_OR_YEAR, description="Birth year (partial ISO 8601)"
    )
    SEX: Series[str] = pa.Field(isin=["F", "M"])

    @pa.dataframe_check(error="each subject has exactly one DM record")
    def one_record_per_subject(cls, df):  # noqa: N805
        return ~df["USUBJID"].duplicated(keep=False)


class Findings(SDTMRecord):
    """Shared variables of findings domains (LB, SC, RS, VS)."""

    @pa.dataframe_check(error="--TESTCD and --ORRES are required on every findings record")
    def test_and_result(cls, df):  # noqa: N805
        if df.empty:  # a domain no site of the study sends
            return pd.Series(True, index=df.index)
        prefix = df["DOMAIN"].iloc[0]
        return df[f"{prefix}TESTCD"].notna() & df[f"{prefix}ORRES"].notna()


class SC(Findings):
    """Subject characteristics: Ph status, TKIs failed, CD22 %, disease status, prior lines, salvage
    line, prior blinatumomab and induction, age with decimals."""

    SCTESTCD: Series[str] = pa.Field(
        isin=["PHSTAT", "TKIFAILN", "CD22PCT", "DISSTAT", "PRIORLN", "SALVLN", "PRBLINA", "PRINDCT", "AGEYRS"]
    )
    SCORRES: Series[str]
    SCSTRESC: Series[str]


class IE(Findings):
    """Screening log: the facts each inclusion criterion needs, for every identified case."""

    IETESTCD: Series[str] = pa.Field(isin=["SCRNID", "AGE", "CD22POS", "RRSTAT", "INOMONO", "PHSTAT", "TKIFAILN"])
    IEDTC: Series[str] = pa.Field(str_matches=ISO_DATE)


class MH(SDTMRecord):
    """Medical history: the primary diagnosis of B-cell ALL and its date."""

    MHTERM: Series[str]
    MHCAT: Series[str]
    MHSTDTC: Series[str] = pa.Field(str_matches=ISO_DATE)


class EX(SDTMRecord):
    """Exposure: one record per InO administration, the dose in mg/m2."""

    EXTRT: Series[str] = pa.Field(isin=["INOTUZUMAB OZOGAMICIN"])
    EXCYCLE: Series[pa.Int64] = pa.Field(ge=1, le=12, description="InO cycle number")
    EXCYDY: Series[pa.Int64] = pa.Field(ge=1, le=42, description="Day within the cycle")
    EXSTDTC: Series[str] = pa.Field(str_matches=ISO_DATE)
    EXDOSE: Series[float] = pa.Field(gt=0, le=2.0, description="Dose in mg/m2 (one administration)")
    EXDOSU: Series[str] = pa.Field(isin=["mg/m2"])
    EXBSA: Series[float] = pa.Field(nullable=True, ge=0.8, le=3.0, description="Body surface area, m2")


class LB(Findings):
    """Laboratory: marrow blasts and MRD (with the assessments), counts and chemistry with their
    upper limit of normal."""

    LBTESTCD: Series[str] = pa.Field(isin=["BLAST", "NEUT", "PLAT", "MRD", "ALT", "AST", "BILI", "HGB", "WBC"])
    LBSTRESN: Series[float] = pa.Field(ge=0)
    LBSTRESU: Series[str]
    LBDTC: Series[str] = pa.Field(str_matches=ISO_DATE)
    LBSTNRHI: Optional[Series[float]] = pa.Field(  # noqa: UP045 (pandera reads Optional)
        nullable=True, gt=0, description="Upper limit of normal (laboratory panels; absent where no site sends labs)"
    )

    @pa.dataframe_check(error="percentages (blasts, MRD) must lie in 0-100")
    def percent_range(cls, df):  # noqa: N805
        pct = df["LBTESTCD"].isin(["BLAST", "MRD"])
        return ~pct | df["LBSTRESN"].between(0, 100)


class RS(Findings):
    """Disease response facts as documented: MRD status, extramedullary disease and its site, the
    site's own response label."""

    RSTESTCD: Series[str] = pa.Field(isin=["MRDSTAT", "EMD", "EMDSITE", "SITERESP"])
    RSDTC: Series[str] = pa.Field(str_matches=ISO_DATE)


class VS(Findings):
    """Vital signs: body temperature."""

    VSTESTCD: Series[str] = pa.Field(isin=["TEMP"])
    VSSTRESN: Series[float] = pa.Field(ge=30, le=45, description="Body temperature, C")
    VSDTC: Series[str] = pa.Field(str_matches=ISO_DATE)


class PR(SDTMRecord):
    """Procedures: transplants (PRCAT HAEMATOPOIETIC STEM CELL TRANSPLANT) and, where a study
    collects them, transfusions (PRCAT TRANSFUSION, units in PRDOSE)."""

    PRTRT: Series[str]
    PRCAT: Series[str]
    PRSTDTC: Series[str] = pa.Field(str_matches=ISO_DATE)
    PRDOSE: Optional[Series[pd.Int64Dtype]] = pa.Field(  # noqa: UP045 (pandera reads Optional, not X | None)
        nullable=True, ge=1, le=20, description="Units transfused"
    )


class HO(SDTMRecord):
    """Healthcare encounters: inpatient stays (where a study collects them, for resource use)."""

    HOTERM: Series[str] = pa.Field(isin=["HOSPITAL", "INTENSIVE CARE UNIT"])
    HOCAT: Series[str]
    HOSTDTC: Series[str] = pa.Field(str_matches=ISO_DATE)
    HOENDTC: Series[str] = pa.Field(nullable=True, str_matches=ISO_DATE)

    @pa.dataframe_check(error="a stay cannot end before it starts (HOENDTC < HOSTDTC)")
    def ends_after_start(cls, df):  # noqa: N805
        # partial dates: an end that can lie on or after the start passes (latest end >= earliest start)
        latest_end = df["HOENDTC"].astype("string").str.pad(10, side="right", fillchar="~")
        earliest_start = df["HOSTDTC"].astype("string")
        return df["HOENDTC"].isna() | (latest_end >= earliest_start).fillna(False).astype(bool)


class AE(SDTMRecord):
    """Adverse events: verbatim and standardised term, dates, CTCAE grade, relatedness, seriousness."""

    AETERM: Series[str]
    AEDECOD: Series[str]
    AESTDTC: Series[str] = pa.Field(str_matches=ISO_DATE)
    AEENDTC: Series[str] = pa.Field(nullable=True, str_matches=ISO_DATE)
    AETOXGR: Series[pa.Int64] = pa.Field(ge=1, le=5)
    AEREL: Series[str] = pa.Field(isin=["N", "Y"])
    AESER: Series[str] = pa.Field(isin=["N", "Y"])


class CM(SDTMRecord):
    """Medications other than InO: concomitant, or subsequent antileukaemic therapy."""

    CMTRT: Series[str]
    CMCAT: Series[str]
    CMSTDTC: Series[str] = pa.Field(str_matches=ISO_DATE)
    CMENDTC: Series[str] = pa.Field(nullable=True, str_matches=ISO_DATE)


class DS(SDTMRecord):
    """Disposition: end of follow-up, one record per subject (last contact, vital status, death date)."""

    DSDECOD: Series[str] = pa.Field(isin=["ALIVE", "DEAD", "LOST TO FOLLOW-UP"])
    DSSTDTC: Series[str] = pa.Field(str_matches=ISO_DATE)
    DSDTHDTC: Series[str] = pa.Field(nullable=True, str_matches=ISO_DATE)

    @pa.dataframe_check(error="a subject recorded DEAD needs a death date equal to the last contact date")
    def death_consistent(cls, df):  # noqa: N805
        dead = df["DSDECOD"] == "DEAD"
        return ~dead | (df["DSDTHDTC"].notna() & (df["DSDTHDTC"] == df["DSSTDTC"]))

    @pa.dataframe_check(error="only subjects recorded DEAD may carry a death date")
    def no_death_date_if_alive(cls, df):  # noqa: N805
        return (df["DSDECOD"] == "DEAD") | df["DSDTHDTC"].isna()


class DD(SDTMRecord):
    """Death details: the primary cause of death, verbatim and standardised."""

    DDTESTCD: Series[str] = pa.Field(isin=["PRCDTH"])
    DDORRES: Series[str]
    DDSTRESC: Series[str]


MODELS: dict[str, type[SDTMRecord]] = {
    "IE": IE,
    "DM": DM,
    "SC": SC,
    "MH": MH,
    "EX": EX,
    "LB": LB,
    "RS": RS,
    "VS": VS,
    "PR": PR,
    "HO": HO,
    "AE": AE,
    "CM": CM,
    "DS": DS,
    "DD": DD,
}


LABELS: dict[str, str] = {
    # identifiers and provenance (every domain)
    "STUDYID": "Study Identifier",
    "DOMAIN": "Domain Abbreviation",
    "USUBJID": "Unique Subject Identifier",
    "SUBJID": "Subject Identifier for the Study",
    "SITEID": "Study Site Identifier",
    "SRCFILE": "Source File",
    "SRCSHA256": "Source File SHA-256",
    "SRCSHEET": "Source Sheet",
    "SRCROW": "Source Row",
    "SRCCOLS": "Source Columns",
    # IE, DM, SC, MH
    "IETESTCD": "Inclusion/Exclusion Criterion Short Name",
    "IEDTC": "Date/Time of Collection",
    "AGE": "Age",
    "AGEU": "Age Units",
    "BRTHDTC": "Date/Time of Birth",
    "SEX": "Sex",
    "SCTESTCD": "Subject Characteristic Short Name",
    "SCORRES": "Result or Finding in Original Units",
    "SCSTRESC": "Character Result/Finding in Std Format",
    "MHTERM": "Reported Term for the Medical History",
    "MHCAT": "Category for Medical History",
    "MHSTDTC": "Start Date/Time of Medical History Event",
    # EX
    "EXTRT": "Name of Treatment",
    "EXCYCLE": "Cycle Number",
    "EXCYDY": "Day Within Cycle",
    "EXSTDTC": "Start Date/Time of Treatment",
    "EXDOSE": "Dose",
    "EXDOSU": "Dose Units",
    "EXBSA": "Body Surface Area (m2)",
    "EXROUTE": "Route of Administration",
    # LB, RS, VS
    "LBTESTCD": "Lab Test or Examination Short Name",
    "LBSTRESN": "Numeric Result/Finding in Standard Units",
    "LBSTRESU": "Standard Units",
    "LBDTC": "Date/Time of Specimen Collection",
    "LBSTNRHI": "Reference Range Upper Limit-Std Units",
    "RSTESTCD": "Assessment Short Name",
    "RSDTC": "Date/Time of Assessment",
    "VSTESTCD": "Vital Signs Test Short Name",
    "VSSTRESN": "Numeric Result/Finding in Standard Units",
    "VSDTC": "Date/Time of Measurements",
    # PR, HO
    "PRTRT": "Reported Name of Procedure",
    "PRCAT": "Category",
    "PRSTDTC": "Start Date/Time of Procedure",
    "PRDOSE": "Dose",
    "PRDOSU": "Dose Units",
    "PRINDC": "Indication",
    "HOTERM": "Healthcare Encounter Term",
    "HOCAT": "Category for Healthcare Encounter",
    "HOSTDTC": "Start Date/Time of Healthcare Encounter",
    "HOENDTC": "End Date/Time of Healthcare Encounter",
    # AE, CM
    "AETERM": "Reported Term for the Adverse Event",
    "AEDECOD": "Dictionary-Derived Term",
    "AESTDTC": "Start Date/Time of Adverse Event",
    "AEENDTC": "End Date/Time of Adverse Event",
    "AETOXGR": "Standard Toxicity Grade",
    "AEREL": "Causality",
    "AESER": "Serious Event",
    "CMTRT": "Reported Name of Drug, Med, or Therapy",
    "CMCAT": "Category for Medication",
    "CMSTDTC": "Start Date/Time of Medication",
    "CMENDTC": "End Date/Time of Medication",
    # DS, DD
    "DSDECOD": "Standardized Disposition Term",
    "DSCAT": "Category for Disposition Event",
    "DSSCAT": "Subcategory for Disposition Event",
    "DSSTDTC": "Start Date/Time of Disposition Event",
    "DSDTHDTC": "Date/Time of Death",
    "DDTESTCD": "Death Detail Assessment Short Name",
    "DDTEST": "Death Detail Assessment Name",
    "DDORRES": "Result or Finding as Collected",
    "DDSTRESC": "Character Result/Finding in Std Format",
    "DDDTC": "Date/Time of Collection",
}
"""The CDISC SDTM label of each common-model variable (the data dictionary's ``label``; a
``Field(title=...)`` on a model takes precedence). Generic findings variables are labelled by
suffix in :data:`FINDINGS_LABELS`."""

FINDINGS_LABELS: dict[str, str] = {
    "SEQ": "Sequence Number",
    "TESTCD": "Short Name of Test",
    "TEST": "Name of Test",
    "ORRES": "Result or Finding in Original Units",
    "ORRESU": "Original Units",
    "STRESC": "Character Result/Finding in Std Format",
    "STRESN": "Numeric Result/Finding in Standard Units",
    "STRESU": "Standard Units",
    "SPEC": "Specimen Type",
    "METHOD": "Method of Test or Examination",
    "STNRHI": "Reference Range Upper Limit-Std Units",
    "DTC": "Date/Time of Collection",
}
"""CDISC labels of the variables every findings domain may carry (``<DOMAIN><suffix>``, e.g.
``LBORRES``; :mod:`inoflow.model.build`), and of ``--SEQ``, which every domain carries."""
