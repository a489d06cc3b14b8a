"""A synthetic, patient-level reconstruction of the Indian real-world InO cohort (N = 32).

SYNTHETIC DATA - no record describes a real person. The published study (five Indian centres,
adults with relapsed/refractory B-cell ALL treated with inotuzumab ozogamicin, first doses
February 2017 - October 2022, follow-up to April 2023) reports only aggregate counts. This
module builds a cohort whose raw-extract "truth" reproduces every published count and
cross-tabulation when derived with the study definitions below, and is otherwise clinically
coherent.

The construction has three layers:

1. **Reconstruction** - :data:`PLANS`, an explicit allocation table: one row per patient fixing
   every fact the publication constrains (site, sex, age, salvage line, disease status,
   baseline blasts and extramedullary disease, number of cycles, cycle-1 dose pattern, each
   bone-marrow assessment with its blasts/counts/MRD, HSCT, VOD, toxicity profile, vital
   status, time of death or censoring and the cause of death).
2. **Seeded generation** - :func:`build_cohort` draws the unconstrained details with
   ``numpy.random.default_rng(seed)``: calendar dates, cycle lengths, diagnosis dates,
   CD22 expression, body surface area, laboratory noise, verbatim spellings, adverse events
   and concomitant medications, identifiers.
3. **Self-check** - :func:`check_against_published` re-derives the published facts from the
   truth tables and compares them with ``outcomes`` and with the published values.

Study definitions used throughout (months = days / 30.4375; day 0 = first InO dose):

* Baseline marrow: the last assessment on or before the first dose. Burden high if its blasts
  are >= 50 %. Extramedullary disease (EMD) at baseline from the same assessment.
* Response at a post-baseline assessment: blasts <= 5 % and no EMD -> CR if platelets > 100
  and ANC > 1.0 (10^9/L), else CRi. Best response CR > CRi > NR; NE without a post-baseline
  marrow. Cycles to response: the cycle of the latest dose on or before the first CR/CRi.
* MRD negative: documented status NEGATIVE if present, else MRD < 0.01 %.
* Toxicity window: first dose to last dose + 42 days, truncated at the HSCT date. Liver:
  AST or ALT >= 2.5 x ULN, bilirubin >= 1.5 x ULN. Thrombocytopenia: platelets < 150;
  neutropenia: ANC < 1.0; febrile neutropenia: ANC < 1.0 and temperature >= 38.5 C on one date
  (laboratory values and the counts of assessments in the window).
* Relapse (responders): the first assessment after the first CR/CRi with blasts > 5 % or EMD.
  OS, RFS and DOR as in the module tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inodemo.screening import build_screening_log

DEFAULT_SEED = 20230430
MONTH_DAYS = 30.4375
FIRST_DOSE_FROM = date(2017, 2, 1)
FIRST_DOSE_TO = date(2022, 10, 31)
END_OF_FOLLOW_UP = date(2023, 4, 30)
LONG_FOLLOW_UP_FROM = date(2018, 4, 1)  # registry: "InO initiation (Apr 2018) ... up to 61 months"
PUBLISHED_RESULTS = Path("config/reference/published_results.yaml")  # the project's own copy, from its root

# Canonical raw-extract variables per domain (config/contract.yaml), in contract order.
# fmt: off
DOMAIN_COLUMNS: dict[str, list[str]] = {
    "patients": [
        "SUBJID", "AGE", "BIRTH_YEAR", "SEX", "PH_STATUS", "TKI_FAILED", "CD22_PCT", "DIAG_DATE",
        "DISEASE_STATUS", "PRIOR_LINES", "SALVAGE_LINE", "PRIOR_BLINA",
    ],
    "dosing": ["SUBJID", "CYCLE", "DAY", "DOSE_DATE", "DOSE", "BSA"],
    "assessments": [
        "SUBJID", "ASSESS_DATE", "BM_BLASTS", "ANC", "PLATELETS", "MRD_PCT", "MRD_METHOD",
        "MRD_STATUS", "EMD", "EMD_SITE", "SITE_RESPONSE",
    ],
    "labs": ["SUBJID", "LAB_DATE", "TEST", "VALUE", "UNIT", "ULN"],
    "transplants": ["SUBJID", "HSCT_DATE", "HSCT_TYPE", "CONDITIONING"],
    "adverse_events": ["SUBJID", "AE_TERM", "AE_START", "AE_END", "GRADE", "RELATED", "SERIOUS"],
    "conmeds": ["SUBJID", "CM_NAME", "CM_START", "CM_END", "CM_CATEGORY"],
    "followup": ["SUBJID", "LAST_CONTACT", "STATUS", "DEATH_DATE", "DEATH_CAUSE"],
}
EXTRA_COLUMNS: dict[str, list[str]] = {"adverse_events": ["AE_DECOD"], "followup": ["DEATH_CAUSE_STD"]}
# fmt: on

# ---------------------------------------------------------------------------------------------
# Codes and vocabularies used by the generator
# ---------------------------------------------------------------------------------------------

HAPLO, MSD, MUD = "HAPLOIDENTICAL", "ALLOGENEIC MATCHED SIBLING", "ALLOGENEIC MATCHED UNRELATED"
MAC, RIC = "MYELOABLATIVE", "REDUCED INTENSITY"
PROGRESSION, RELAPSE, CNS_RELAPSE = "PROGRESSION OF DISEASE", "RELAPSE", "CNS RELAPSE"
SEPTIC, VOD_MOF, VOD_PNEUMONIA = "SEPTIC SHOCK", "VOD-RELATED MULTI-ORGAN FAILURE", "VOD PNEUMONIA"
NOT_DOCUMENTED = "NOT DOCUMENTED"
VOD = "VENO-OCCLUSIVE DISEASE"

# Verbatim cause-of-death texts (config/vocabularies/death_causes.yaml holds them as synonyms).
DEATH_VERBATIMS: dict[str, list[str]] = {
    PROGRESSION: ["Disease progression", "Progressive disease", "Progression of leukaemia", "PD - refractory leukemia"],
    RELAPSE: [
        "relapsed ALL",
        "Relapse",
        "Died of relapsed disease",
        "Disease relapse",
        "Relapse of leukemia",
        "Relapse post transplant",
    ],
    CNS_RELAPSE: ["CNS relapse", "Isolated CNS relapse"],
    SEPTIC: ["Pt expired due to septic shock", "Septic shock", "Sepsis with septic shock"],
    VOD_MOF: ["Multi organ failure secondary to VOD", "MODS due to VOD"],
    VOD_PNEUMONIA: ["VOD with pneumonia", "Pneumonia in setting of VOD"],
    NOT_DOCUMENTED: ["not mentioned", "cause not recorded", "unknown", "Not documented"],
}

# Verbatim adverse-event terms by standard term (config/vocabularies/ae_terms.yaml).
AE_VERBATIMS: dict[str, list[str]] = {
    VOD: [
        "VOD",
        "Veno-occlusive disease",
        "hepatic VOD",
        "SOS/VOD",
        "Sinusoidal obstruction syndrome",
        "Hepatic veno-occlusive disease",
    ],
    "FEBRILE NEUTROPENIA": [
        "Febrile Neutropenia",
        "FN",
        "Febrile neutropaenia",
        "febrile neutropenia.",
        "Neutropenic fever",
    ],
    "NEUTROPENIA": ["Neutropenia", "neutropaenia", "Low ANC"],
    "THROMBOCYTOPENIA": ["Thrombocytopenia", "low platelets", "Thrombocytopaenia"],
    "ASPARTATE AMINOTRANSFERASE INCREASED": ["Raised SGOT", "SGOT raised", "AST increased"],
    "ALANINE AMINOTRANSFERASE INCREASED": ["Raised SGPT", "ALT increased"],
    "TRANSAMINASES INCREASED": ["Transaminitis", "Raised transaminases", "Elevated liver enzymes"],
    "BLOOD BILIRUBIN INCREASED": ["Hyperbilirubinaemia", "Hyperbilirubinemia", "Raised bilirubin"],
    "SEPSIS": ["Sepsis", "Septicaemia", "Gram negative sepsis"],
    "SEPTIC SHOCK": ["Septic shock"],
    "PNEUMONIA": ["Pneumonia", "Chest infection"],
    "URINARY TRACT INFECTION": ["UTI", "Urinary tract infection"],
    "MULTIPLE ORGAN DYSFUNCTION SYNDROME": ["Multi organ failure", "MODS"],
    "NAUSEA": ["Nausea", "nausea "],
    "VOMITING": ["Vomiting", "Emesis"],
    "MUCOSAL INFLAMMATION": ["Mucositis", "Oral mucositis"],
    "FATIGUE": ["Fatigue", "Generalised weakness"],
    "HEADACHE": ["Headache"],
    "DIARRHOEA": ["Diarrhoea", "Diarrhea", "Loose stools"],
    "ABDOMINAL PAIN": ["Abdominal pain", "Pain abdomen"],
    "INFUSION RELATED REACTION": ["Infusion reaction", "Infusion related reaction"],
    "PYREXIA": ["Fever", "Pyrexia"],
    "ACUTE GRAFT VERSUS HOST DISEASE": ["Acute GVHD", "aGVHD"],
    "CYTOMEGALOVIRUS INFECTION REACTIVATION": ["CMV reactivation"],
}

# Cycle dose patterns (mg/m2 on days 1, 8, 15; None = dose not given).
DOSE_PATTERNS: dict[str, tuple[float | None, float | None, float | None]] = {
    "STD": (0.8, 0.5, 0.5),  # label schedule, 1.8 mg/m2 per cycle
    "RSP": (0.5, 0.5, 0.5),  # responders from the cycle after CR/CRi: 1.5
    "U10": (0.5, 0.5, None),
    "U13": (0.8, 0.5, None),  # day 15 omitted
    "U14": (0.8, 0.3, 0.3),
    "U15": (0.5, 0.5, 0.5),
    "U16": (0.6, 0.5, 0.5),
    "O20": (1.0, 0.5, 0.5),
    "O21": (0.8, 0.8, 0.5),
    "O24": (0.8, 0.8, 0.8),
    "V13": (0.8, 0.5, None),  # cycle with day-15 dose withheld for VOD
}

# Site laboratories: upper limits of normal (standard units); TEMP has none.
SITE_ULN: dict[str, dict[str, float]] = {
    "IN01": {"AST": 40.0, "ALT": 41.0, "BILI": 20.5, "PLAT": 450.0, "NEUT": 7.5, "HGB": 16.5, "WBC": 11.0},
    "IN02": {"AST": 35.0, "ALT": 45.0, "BILI": 17.1, "PLAT": 410.0, "NEUT": 7.0, "HGB": 16.0, "WBC": 10.0},
    "IN03": {"AST": 37.0, "ALT": 40.0, "BILI": 21.0, "PLAT": 450.0, "NEUT": 8.0, "HGB": 17.0, "WBC": 11.0},
    "IN04": {"AST": 40.0, "ALT": 40.0, "BILI": 20.0, "PLAT": 400.0, "NEUT": 7.5, "HGB": 16.0, "WBC": 11.0},
    "IN05": {"AST": 34.0, "ALT": 36.0, "BILI": 18.8, "PLAT": 450.0, "NEUT": 7.0, "HGB": 16.5, "WBC": 10.5},
}
LAB_UNITS = {
    "AST": "U/L",
    "ALT": "U/L",
    "BILI": "umol/L",
    "PLAT": "10^9/L",
    "NEUT": "10^9/L",
    "HGB": "g/dL",
    "WBC": "10^9/L",
    "TEMP": "C",
}
LAB_TESTS = ["AST", "ALT", "BILI", "PLAT", "NEUT", "HGB", "WBC", "TEMP"]

# ---------------------------------------------------------------------------------------------
# 1. The reconstruction: explicit allocation table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marrow:
    """One bone-marrow assessment of the plan.

    ``at``: "P-38" pre-baseline day -38; "C2" after cycle 2 (between its day 21 and the next
    cycle's day 1); "D139" day 139; "H+30" 30 days after HSCT. ``mrd``: None (not done), a
    percentage, "NEG"/"POS" (status documented, no value) or (status, percentage).
    ``kind`` is the intended classification under the study rule: CR, CRi, NR (no response),
    REL (relapse) or PRE (before the first dose).
    """

    at: str
    blasts: float
    anc: float | None
    plat: float | None
    mrd: Any
    kind: str
    label: str | None = None
    emd: str | None = None


def M(at, blasts, anc=None, plat=None, mrd=None, kind="NR", label=None, emd=None) -> Marrow:  # noqa: N802
    return Marrow(at, float(blasts), anc, plat, mrd, kind, label, emd)


@dataclass(frozen=True)
class Plan:
    """The constrained facts of one patient (one row of the allocation table)."""

    key: str  # R = CR/CRi responder, N = no remission, X = not evaluable
    site: str
    sex: str
    age: int
    salvage: int
    status: str  # RELAPSED / REFRACTORY
    blasts: float  # baseline bone-marrow blasts (%)
    cycles: int
    c1: str  # cycle-1 dose pattern (DOSE_PATTERNS)
    response: str  # CR / CRi / NR / NE
    marrows: tuple[Marrow, ...]
    fate: str  # DEAD / ALIVE / LTFU
    end: int | None = None  # day of death or of last contact (None: alive to 2023)
    cause: str | None = None
    ctr: int | None = None  # cycles to response
    mrd: str | None = None  # responders: negative at "first" CR/CRi, "later", or "never"
    emd: str | None = None  # baseline extramedullary site
    hsct: tuple[int, str, str] | None = None  # (days after last dose, type, conditioning)
    vod: tuple[str, int] | None = None  # (onset anchor, grade)
    heme: str = ""  # T thrombocytopenia, N neutropenia, F febrile neutropenia
    liver: str = ""  # AST / ALT / BILI
    tki: int = 0  # TKIs failed (Ph-positive if >= 1)
    blina: bool = False
    later: tuple[str, ...] = ()  # dose patterns of cycles 2.. when not the default
    subsequent: tuple[str, int] | None = None  # subsequent antileukaemic therapy (name, day)


# fmt: off
PLANS: tuple[Plan, ...] = (
    # ---- CR/CRi responders (19) ------------------------------------------------------------
    # 1 cycle then HSCT (6 of the 9 transplanted responders)
    Plan("R01", "IN01", "M", 27, 2, "RELAPSED", 78.0, 1, "STD", "CR", ctr=1, mrd="first",
         marrows=(M("C1", 2, 1.4, 118, 0.003, "CR", "CR"),),
         hsct=(30, HAPLO, MAC), vod=("H+10", 4), fate="DEAD", end=79, cause=VOD_MOF,
         heme="TNF", liver="AST ALT"),
    Plan("R02", "IN02", "F", 42, 3, "RELAPSED", 32.0, 1, "STD", "CR", ctr=1, mrd="first",
         marrows=(M("C1", 3, 1.8, 126, "NEG", "CR", "Complete remission"),
                  M("H+28", 1, 0.9, 45, "NEG", "CRi", "CRi post transplant")),
         hsct=(38, HAPLO, MAC), vod=("H+12", 3), fate="DEAD", end=118, cause=VOD_PNEUMONIA,
         heme="T", blina=True),
    Plan("R03", "IN03", "M", 19, 1, "RELAPSED", 21.0, 1, "STD", "CR", ctr=1, mrd="first",
         marrows=(M("C1", 4, 2.1, 132, 0.0, "CR", "CR"),
                  M("H+30", 1, 1.6, 88, 0.0, "CRi", "CRi, MRD negative")),
         hsct=(40, MUD, MAC), vod=("H+16", 2), fate="LTFU", end=196, heme="T"),
    Plan("R04", "IN01", "M", 33, 2, "RELAPSED", 66.0, 1, "U13", "CR", ctr=1, mrd="later",
         marrows=(M("C1", 3, 1.2, 104, "POS", "CR", "CR MRD positive"),
                  M("H+30", 0.5, 1.9, 96, 0.0, "CRi", "CRi"),
                  M("D139", 38, 0.6, 34, None, "REL", "Relapse")),
         hsct=(34, MSD, MAC), fate="DEAD", end=171, cause=RELAPSE, heme="TNF", liver="AST", tki=1),
    Plan("R05", "IN04", "F", 24, 1, "RELAPSED", 18.0, 1, "STD", "CR", ctr=1, mrd="first",
         marrows=(M("C1", 1, 2.6, 185, "NEG", "CR", "CR"),
                  M("H+30", 0.8, 1.7, 142, 0.0, "CR", "CR"),
                  M("H+180", 0.5, 3.1, 210, "NEG", "CR", "Continued CR")),
         hsct=(42, HAPLO, MAC), fate="ALIVE", heme=""),
    Plan("R06", "IN02", "M", 36, 2, "RELAPSED", 27.0, 1, "U15", "CR", ctr=1, mrd="first",
         marrows=(M("C1", 2, 2.2, 168, 0.005, "CR", "CR"),
                  M("H+35", 1, 0.8, 60, 0.002, "CRi", "CRi post BMT")),
         hsct=(45, HAPLO, RIC), fate="LTFU", end=378, heme=""),
    # 1 cycle, no HSCT: VOD during cycle 1, InO stopped
    Plan("R07", "IN03", "M", 20, 1, "RELAPSED", 62.0, 1, "STD", "CR", ctr=1, mrd="first",
         marrows=(M("C1", 2, 1.3, 112, "NEG", "CR", "CR"),
                  M("D70", 1, 2.4, 156, 0.001, "CR", "CR"),
                  M("D108", 45, 0.7, 40, None, "REL", "Relapse")),
         vod=("D18", 3), fate="DEAD", end=149, cause=RELAPSE, heme="TNF", liver="AST BILI"),
    # 6 cycles
    Plan("R08", "IN01", "M", 67, 2, "RELAPSED", 85.0, 6, "U14", "CR", ctr=6, mrd="later",
         marrows=(M("C2", 30, 1.6, 62, None, "NR", "Partial response"),
                  M("C4", 9, 1.3, 88, None, "NR", "PR"),
                  M("C6", 2, 1.5, 110, 0.2, "CR", "CR"),
                  M("D260", 1, 2.9, 190, "NEG", "CR", "Continued CR")),
         fate="ALIVE", heme="T", liver="AST ALT"),
    Plan("R09", "IN04", "F", 32, 2, "RELAPSED", 35.0, 6, "U15", "CRi", ctr=2, mrd="first",
         marrows=(M("C2", 2, 1.6, 100.0, "NEG", "CRi", "CR"),  # site says CR: platelets not > 100
                  M("C4", 1, 1.0, 140, 0.004, "CRi", "CRi"),  # ANC exactly 1.0: not recovered
                  M("C6", 3, 1.4, 92, 0.003, "CRi", "CR with incomplete count recovery")),
         fate="LTFU", end=205, heme="T"),
    # 4 cycles
    Plan("R10", "IN02", "M", 46, 2, "RELAPSED", 71.0, 4, "STD", "CR", ctr=2, mrd="later",
         marrows=(M("C1", 12, 0.8, 45, None, "NR", "No response"),
                  M("C2", 3, 1.1, 85, 0.6, "CRi", "CRi"),
                  M("C4", 1, 2.0, 160, "NEG", "CR", "CR"),
                  M("D142", 28, 0.5, 38, None, "REL", "Relapse")),
         fate="DEAD", end=176, cause=RELAPSE, heme="TNF", liver="AST ALT BILI", tki=2, blina=True),
    Plan("R11", "IN01", "M", 26, 2, "RELAPSED", 24.0, 4, "U16", "CR", ctr=2, mrd="later",
         marrows=(M("C2", 1, 1.5, 128, 0.03, "CR", "CR"),
                  M("C4", 0.5, 1.9, 142, 0.002, "CR", "CR"),
                  M("H+30", 0.2, 1.2, 75, "NEG", "CRi", "CR with incomplete count recovery"),
                  M("H+100", 0.1, 2.8, 176, 0.0, "CR", "CR")),
         hsct=(35, MSD, MAC), fate="ALIVE", heme="T"),
    # 3 cycles
    Plan("R12", "IN04", "M", 55, 3, "RELAPSED", 90.0, 3, "U13", "CR", ctr=2, mrd="first",
         marrows=(M("C1", 15, 0.6, 30, None, "NR", "Refractory"),
                  M("C2", 2, 1.3, 109, ("NEG", 0.01), "CR", "CR"),  # documented negative wins
                  M("C3", 1, 1.8, 135, "NEG", "CR", "CR"),
                  M("D125", 1.5, 2.2, 140, None, "REL", "CNS relapse", emd="CNS")),
         fate="DEAD", end=158, cause=CNS_RELAPSE, heme="TNF", tki=2, blina=True,
         later=("STD", "RSP")),
    Plan("R13", "IN03", "F", 21, 1, "REFRACTORY", 29.0, 3, "U15", "CR", ctr=2, mrd="first",
         marrows=(M("C1", 9, 0.9, 170, None, "NR", "PR"),
                  M("C2", 3, 1.4, 165, 0.004, "CR", "CR")),
         fate="LTFU", end=199, heme="N"),
    Plan("R14", "IN05", "M", 28, 2, "RELAPSED", 58.0, 3, "O20", "CR", ctr=2, mrd="later", emd="Testis",
         marrows=(M("C1", 7, 1.2, 70, None, "NR", "PR", emd="Testis"),
                  M("C2", 2, 1.7, 121, 0.05, "CR", "CR"),
                  M("H+30", 0.3, 1.5, 98, "NEG", "CRi", "CRi"),
                  M("H+180", 0.2, 3.0, 220, 0.0, "CR", "CR")),
         hsct=(30, HAPLO, MAC), fate="ALIVE", heme="T", liver="AST ALT"),
    Plan("R15", "IN04", "F", 65, 2, "RELAPSED", 41.0, 3, "U14", "CR", ctr=3, mrd="first",
         marrows=(M("C1", 22, 1.5, 55, None, "NR", "No response"),
                  M("C2", 8, 1.2, 80, None, "NR", "Partial remission"),
                  M("C3", 2, 1.6, 131, "NEG", "CR", "CR")),
         fate="LTFU", end=190, heme="T"),
    # 2 cycles
    Plan("R16", "IN01", "M", 23, 1, "REFRACTORY", 50.0, 2, "U16", "CR", ctr=1, mrd="never",
         marrows=(M("P-38", 35, 0.9, 60, None, "PRE", "Refractory disease"),
                  M("C1", 4, 1.3, 115, 0.01, "CR", "CR"),  # MRD exactly 0.01 %: positive
                  M("C2", 2, 1.6, 124, 0.08, "CR", "CR MRD+"),
                  M("D104", 60, 0.4, 22, None, "REL", "Relapse")),
         fate="DEAD", end=137, cause=RELAPSE, heme="TN", liver="BILI"),
    Plan("R17", "IN02", "M", 34, 2, "RELAPSED", 15.0, 2, "STD", "CR", ctr=1, mrd="first",
         marrows=(M("C1", 1, 2.8, 190, 0.002, "CR", "CR"),
                  M("C2", 0.5, 3.1, 220, "NEG", "CR", "CR"),
                  M("D130", 1, 3.4, 245, 0.0, "CR", "CR"),
                  M("D213", 34, 1.1, 65, None, "REL", "Relapse")),
         fate="DEAD", end=301, cause=RELAPSE, heme=""),
    Plan("R18", "IN03", "M", 37, 1, "RELAPSED", 74.0, 2, "U13", "CR", ctr=2, mrd="first",
         marrows=(M("C1", 18, 0.5, 40, None, "NR", "Refractory"),
                  M("C2", 5.0, 1.5, 118, "NEG", "CR", "Partial remission"),  # blasts exactly 5
                  M("D146", 52, 0.3, 28, None, "REL", "Relapse")),
         fate="DEAD", end=182, cause=RELAPSE, heme="TN", tki=1),
    Plan("R19", "IN05", "F", 32, 2, "RELAPSED", 38.0, 2, "STD", "CR", ctr=2, mrd="first",
         marrows=(M("C1", 11, 1.1, 60, None, "NR", "PR"),
                  M("C2", 1, 1.9, 134, 0.005, "CR", "CR"),
                  M("H+30", 0.4, 1.3, 92, 0.0, "CRi", None)),
         hsct=(28, HAPLO, MAC), vod=("H+14", 3), fate="LTFU", end=384, heme="T"),
    # ---- no remission (12) -----------------------------------------------------------------
    Plan("N01", "IN04", "M", 26, 2, "RELAPSED", 44.0, 2, "STD", "NR",
         marrows=(M("C1", 20, 0.5, 25, None, "NR", "No response"),
                  M("C2", 9, 0.9, 58, 2.4, "NR", "PR")),
         hsct=(35, HAPLO, MAC), vod=("H+21", 3), fate="LTFU", end=372, heme="TN"),
    Plan("N02", "IN01", "M", 41, 2, "RELAPSED", 67.0, 3, "U15", "NR",
         marrows=(M("C1", 31, 0.4, 18, None, "NR", "Refractory"),
                  M("C3", 14, 0.8, 42, 6.1, "NR", "Resistant disease")),
         hsct=(42, HAPLO, RIC), fate="LTFU", end=389, heme="TNF", liver="BILI", tki=1),
    Plan("N03", "IN02", "F", 19, 1, "RELAPSED", 38.0, 2, "STD", "NR",
         marrows=(M("P-45", 30, 1.1, 70, None, "PRE", "Relapse"),
                  M("C1", 25, 0.3, 20, None, "NR", "No response"),
                  M("C2", 30, 0.4, 31, None, "NR", "Refractory")),
         fate="LTFU", end=201, heme="TNF", subsequent=("FLAG-IDA", 62)),
    Plan("N04", "IN03", "M", 47, 2, "RELAPSED", 83.0, 1, "U16", "NR",
         marrows=(M("C1", 61, 0.2, 12, None, "NR", "Refractory"),),
         fate="LTFU", end=381, heme="TN", subsequent=("Blinatumomab", 38)),
    Plan("N05", "IN01", "M", 27, 2, "RELAPSED", 88.0, 1, "O21", "NR", emd="Skin nodules",
         marrows=(M("C1", 3, 0.6, 44, None, "NR", "CR", emd="Skin nodules"),),  # site ignored the EMD
         fate="DEAD", end=58, cause=PROGRESSION, heme="TNF", liver="AST ALT BILI"),
    Plan("N06", "IN04", "F", 52, 3, "RELAPSED", 76.0, 2, "U13", "NR",
         marrows=(M("C1", 40, 0.5, 21, None, "NR", "No response"),
                  M("C2", 55, 0.3, 15, None, "NR", "Progressive disease")),
         vod=("S2+12", 3), later=("V13",), fate="DEAD", end=96, cause=NOT_DOCUMENTED,
         heme="TNF", liver="AST ALT BILI", tki=2, blina=True),
    Plan("N07", "IN02", "M", 20, 1, "REFRACTORY", 92.0, 1, "STD", "NR",
         marrows=(M("C1", 80, 0.1, 9, None, "NR", "Refractory"),),
         fate="DEAD", end=41, cause=PROGRESSION, heme="TNF"),
    Plan("N08", "IN05", "F", 35, 2, "RELAPSED", 26.0, 1, "U15", "NR",
         marrows=(M("C1", 18, 0.1, 11, None, "NR", "No response"),),
         fate="DEAD", end=30, cause=SEPTIC, heme="TNF"),
    Plan("N09", "IN01", "M", 32, 1, "REFRACTORY", 45.0, 1, "U16", "NR",
         marrows=(M("C1", 33, 0.7, 36, None, "NR", "Persistent disease"),),
         fate="DEAD", end=133, cause=NOT_DOCUMENTED, heme="TN",
         subsequent=("Vincristine + prednisolone", 40)),
    Plan("N10", "IN02", "M", 72, 2, "RELAPSED", 95.0, 1, "U10", "NR",
         marrows=(M("C1", 70, 0.2, 14, None, "NR", "No response"),),
         fate="DEAD", end=66, cause=PROGRESSION, heme="TNF", liver="BILI", tki=1),
    Plan("N11", "IN03", "F", 42, 2, "RELAPSED", 33.0, 2, "STD", "NR",
         marrows=(M("C1", 14, 0.4, 29, None, "NR", "PR"),),
         fate="DEAD", end=49, cause=SEPTIC, heme="TNF", liver="AST BILI"),
    Plan("N12", "IN01", "F", 55, 3, "RELAPSED", 81.0, 1, "O24", "NR",
         marrows=(M("C1", 66, 0.3, 17, None, "NR", "Refractory"),),
         fate="DEAD", end=112, cause=PROGRESSION, heme="TNF", blina=True,
         subsequent=("POMP (6-MP, methotrexate, vincristine, prednisolone)", 45)),
    # ---- not evaluable: lost to follow-up after cycle 1, no response marrow (1) -------------
    Plan("X01", "IN05", "M", 62, 1, "RELAPSED", 22.0, 1, "U13", "NE", marrows=(), fate="LTFU", end=40),
)
# fmt: on
"""The allocation table. How it meets the publication:

* responders R01-R19 (CR 18, CRi R09); no remission N01-N12; not evaluable X01.
* cycles: 1 = R01-R07, N04, N05, N07-N10, N12, X01 (15); 2 = R16-R19, N01, N03, N06, N11 (8);
  3 = R12-R15, N02 (5); 4 = R10, R11; 6 = R08, R09. Cycles to CR/CRi: 1 x 9, 2 x 8, 3 (R15),
  6 (R08).
* HSCT: R01-R06 (after one cycle), R11, R14, R19, and two non-responders N01, N02.
* VOD: after HSCT R01, R02, R03, R19, N01; during InO R07, N06.
* deaths before 6 months: R01 (VOD multi-organ failure), R02 (VOD pneumonia), R04, R07, R10,
  R16, R18 (relapse; R18 on day 182 = the 16th death: OS median 5.98 months), R12 (CNS
  relapse), N05, N07, N10, N12 (progression), N08, N11 (septic shock), N06, N09 (not
  documented); R17 relapses on day 213 (the RFS median) and dies on day 301.
* censored: lost to follow-up at 6-7 months R03, R09, R13, R15, N03; at 12-13 months R06,
  R19, N01, N02, N04; alive to 2023 R05, R08, R11, R14; X01 lost on day 40.
* MRD negative at the first CR/CRi marrow: 13; later: R04, R08, R10, R11, R14; never: R16.
* no marrow after the first CR/CRi and no event (DOR not evaluable): R13, R15.
"""

# ---------------------------------------------------------------------------------------------
# 2. Seeded generation of the details
# ---------------------------------------------------------------------------------------------


@dataclass
class _Timeline:
    """Day offsets (day 0 = first dose) realised for one patient."""

    cycle_starts: list[int]
    doses: list[tuple[int, int, int, float]]  # (cycle, day-in-cycle, day, dose)
    last_dose: int
    hsct: int | None
    vod: int | None
    marrows: list[tuple[int, Marrow]]
    baseline_day: int
    end: int  # death or last contact day
    window_end: int  # toxicity window end (day)

    def first_response(self) -> int | None:
        return next((d for d, m in self.marrows if m.kind in ("CR", "CRi")), None)

    def relapse(self) -> int | None:
        first = self.first_response()
        if first is None:
            return None
        return next((d for d, m in self.marrows if d > first and m.kind == "REL"), None)


def _uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


def _choice(rng: np.random.Generator, options: list) -> Any:
    return options[int(rng.integers(0, len(options)))]


def _anchor_day(anchor: str, starts: list[int], hsct: int | None, rng: np.random.Generator, cycles: int) -> int:
    """Resolve a plan anchor to a day offset."""
    kind, value = anchor[0], anchor[1:]
    if kind == "C":  # after cycle k: between its day 21 and the next cycle's day 1
        k = int(value)
        low = starts[k - 1] + 20
        high = starts[k] - 1 if k < cycles else starts[k - 1] + 27
        return int(rng.integers(low, high + 1))
    if kind in ("D", "P"):
        return int(value)
    if kind == "H":
        assert hsct is not None
        return hsct + int(value)
    if kind == "S":  # S2+12: day 12 after the start of cycle 2
        cycle, offset = value.split("+")
        return starts[int(cycle) - 1] + int(offset)
    raise ValueError(anchor)


def _timeline(plan: Plan, rng: np.random.Generator) -> _Timeline:
    starts = [0]
    for _ in range(plan.cycles - 1):
        starts.append(starts[-1] + int(rng.integers(21, 29)))
    patterns = [plan.c1] + [
        plan.later[i - 1] if i - 1 < len(plan.later) else ("RSP" if plan.ctr and i >= plan.ctr else "STD")
        for i in range(1, plan.cycles)
    ]
    doses = []
    for cycle, (start, pattern) in enumerate(zip(starts, patterns, strict=True), start=1):
        for day_in_cycle, dose in zip((1, 8, 15), DOSE_PATTERNS[pattern], strict=True):
            if dose is not None:
                doses.append((cycle, day_in_cycle, start + day_in_cycle - 1, dose))
    last_dose = max(d[2] for d in doses)
    hsct = last_dose + plan.hsct[0] if plan.hsct else None
    marrows = sorted(((_anchor_day(m.at, starts, hsct, rng, plan.cycles), m) for m in plan.marrows), key=lambda x: x[0])
    vod = _anchor_day(plan.vod[0], starts, hsct, rng, plan.cycles) if plan.vod else None
    baseline_day = -int(rng.integers(3, 15))
    end = plan.end if plan.end is not None else 10**6  # alive to 2023: fixed with the calendar
    window_end = last_dose + 42 if hsct is None else min(last_dose + 42, hsct)
    return _Timeline(starts, doses, last_dose, hsct, vod, marrows, baseline_day, end, window_end)


def _first_dose_date(plan: Plan, tl: _Timeline, rng: np.random.Generator) -> tuple[date, date]:
    """Draw the calendar: first dose date and (for patients alive to 2023) last contact."""
    if plan.fate == "ALIVE":
        latest_event = max(d for d, _ in tl.marrows)
        low = LONG_FOLLOW_UP_FROM
        high = min(date(2021, 12, 31), END_OF_FOLLOW_UP - timedelta(days=latest_event + 60))
        first = low + timedelta(days=int(rng.integers(0, (high - low).days + 1)))
        contact = date(2023, 3, 1) + timedelta(days=int(rng.integers(0, 59)))
        return first, contact
    high = min(FIRST_DOSE_TO, END_OF_FOLLOW_UP - timedelta(days=tl.end))
    first = FIRST_DOSE_FROM + timedelta(days=int(rng.integers(0, (high - FIRST_DOSE_FROM).days + 1)))
    return first, first + timedelta(days=tl.end)


def _mrd_fields(mrd: Any) -> tuple[float, str | None, str | None]:
    """(MRD_PCT, MRD_METHOD, MRD_STATUS) from a plan MRD entry."""
    if mrd is None:
        return math.nan, None, None
    if isinstance(mrd, str):
        return math.nan, "FLOW CYTOMETRY", {"NEG": "NEGATIVE", "POS": "POSITIVE"}[mrd]
    if isinstance(mrd, tuple):
        return float(mrd[1]), "FLOW CYTOMETRY", {"NEG": "NEGATIVE", "POS": "POSITIVE"}[mrd[0]]
    return float(mrd), "FLOW CYTOMETRY", None


def _baseline_counts(plan: Plan, rng: np.random.Generator) -> tuple[float, float]:
    if plan.blasts >= 50:
        return round(_uniform(rng, 0.2, 1.2), 2), float(round(_uniform(rng, 12, 70)))
    return round(_uniform(rng, 0.6, 2.5), 2), float(round(_uniform(rng, 45, 160)))


def _assessment_rows(plan: Plan, tl: _Timeline, day0: date, rng: np.random.Generator) -> list[dict]:
    anc0, plat0 = _baseline_counts(plan, rng)
    baseline_label = {
        "REFRACTORY": "Refractory disease",
        "RELAPSED": _choice(rng, ["Relapse", "Relapsed disease", None]),
    }
    rows = [
        {
            "ASSESS_DATE": day0 + timedelta(days=tl.baseline_day),
            "BM_BLASTS": plan.blasts,
            "ANC": anc0,
            "PLATELETS": plat0,
            "MRD_PCT": math.nan,
            "MRD_METHOD": None,
            "MRD_STATUS": None,
            "EMD": "Y" if plan.emd else "N",
            "EMD_SITE": plan.emd,
            "SITE_RESPONSE": baseline_label[plan.status],
        }
    ]
    for day, m in tl.marrows:
        pct, method, status = _mrd_fields(m.mrd)
        rows.append(
            {
                "ASSESS_DATE": day0 + timedelta(days=day),
                "BM_BLASTS": m.blasts,
                "ANC": math.nan if m.anc is None else float(m.anc),
                "PLATELETS": math.nan if m.plat is None else float(m.plat),
                "MRD_PCT": pct,
                "MRD_METHOD": method,
                "MRD_STATUS": status,
                "EMD": "Y" if m.emd else "N",
                "EMD_SITE": m.emd,
                "SITE_RESPONSE": m.label,
            }
        )
    return sorted(rows, key=lambda r: r["ASSESS_DATE"])


def _lab_days(plan: Plan, tl: _Timeline, rng: np.random.Generator) -> list[int]:
    days = {-int(rng.integers(1, 4))}
    for start in tl.cycle_starts:
        days.update(start + offset for offset in (0, 7, 14, 21))
    days.add(tl.last_dose + int(rng.integers(40, 47)))
    stop = tl.end - 1 if plan.fate == "DEAD" else tl.end
    if tl.hsct is not None:
        stop = min(stop, tl.hsct - 1)
    return sorted(d for d in days if d <= stop)


def _lab_rows(plan: Plan, tl: _Timeline, rng: np.random.Generator) -> list[tuple[int, str, float]]:
    """(day, test, value) for one patient, honouring the planned toxicity profile."""
    uln = SITE_ULN[plan.site]
    days = _lab_days(plan, tl, rng)
    response = tl.first_response()
    in_window = [d for d in days if 0 <= d <= tl.window_end]
    before_response = [d for d in in_window if d >= 7 and (response is None or d < response)]
    values: dict[int, dict[str, float]] = {}
    for d in days:
        v: dict[str, float] = {}
        recovered = response is not None and d > response
        if d < 0:
            v["PLAT"] = _uniform(rng, 12, 80) if plan.blasts >= 50 else _uniform(rng, 60, 200)
            v["NEUT"] = _uniform(rng, 0.2, 3.0)
        elif d <= tl.window_end:
            if "T" in plan.heme:
                v["PLAT"] = _uniform(rng, 95, 240) if recovered else _uniform(rng, 15, 140)
            else:
                v["PLAT"] = _uniform(rng, 158, 330)
            if "N" in plan.heme:
                v["NEUT"] = _uniform(rng, 1.1, 3.8) if recovered else _uniform(rng, 0.1, 1.6)
            else:
                v["NEUT"] = _uniform(rng, 1.05, 4.5)
        else:
            v["PLAT"] = _uniform(rng, 90, 260) if plan.response in ("CR", "CRi") else _uniform(rng, 8, 90)
            v["NEUT"] = _uniform(rng, 0.3, 4.0)
        v["TEMP"] = _uniform(rng, 36.3, 37.7)
        v["AST"] = _uniform(rng, 14, 55)
        v["ALT"] = _uniform(rng, 10, 60)
        v["BILI"] = _uniform(rng, 4, 19)
        v["HGB"] = _uniform(rng, 6.8, 12.5)
        values[d] = v

    # forced nadirs and peaks inside the toxicity window
    if "T" in plan.heme:
        values[_choice(rng, before_response)]["PLAT"] = _uniform(rng, 6, 60)
    if "N" in plan.heme:
        nadir = _choice(rng, before_response)
        values[nadir]["NEUT"] = _uniform(rng, 0.05, 0.8)
        if "F" in plan.heme:
            values[nadir]["TEMP"] = 38.5 if plan.key == "N07" else _uniform(rng, 38.6, 39.8)
            extra = [d for d in before_response if d != nadir and values[d]["NEUT"] < 1.0]
            if extra and rng.random() < 0.4:
                values[_choice(rng, extra)]["TEMP"] = _uniform(rng, 38.6, 39.4)
        elif plan.key == "R16":  # near miss: neutropenic with 38.4 C is not febrile neutropenia
            values[nadir]["TEMP"] = 38.4
    if plan.key == "R19":  # fever with a normal ANC is not febrile neutropenia
        values[_choice(rng, in_window[1:])]["TEMP"] = _uniform(rng, 38.6, 39.1)
    if plan.key == "N04":  # febrile and neutropenic on the baseline lab, before the first dose
        values[days[0]].update(NEUT=0.4, TEMP=38.7)
    if plan.key == "R05":  # baseline platelets low, but none in the window
        values[days[0]]["PLAT"] = 128.0
    liver_days = before_response
    if tl.vod is not None and tl.hsct is None:
        liver_days = [d for d in in_window if d >= tl.vod] or liver_days
    for test, factor in (("AST", (2.6, 6.0)), ("ALT", (2.6, 5.0)), ("BILI", (1.6, 4.0))):
        if test in plan.liver.split():
            values[_choice(rng, liver_days)][test] = uln[test] * _uniform(rng, *factor)
    exact: dict[tuple[int, str], float] = {}  # boundary values kept unrounded
    if plan.key == "R04":  # AST exactly 2.5 x ULN counts
        peak = max(values, key=lambda d: values[d]["AST"])
        exact[peak, "AST"] = 2.5 * uln["AST"]
    if plan.key == "R16":  # bilirubin exactly 1.5 x ULN counts
        peak = max(values, key=lambda d: values[d]["BILI"])
        exact[peak, "BILI"] = 1.5 * uln["BILI"]
    if plan.key == "N09":  # AST just below 2.5 x ULN does not
        exact[_choice(rng, in_window[1:]), "AST"] = 2.5 * uln["AST"] - 3

    rows = []
    for d in days:
        v = values[d]
        v["WBC"] = v["NEUT"] + _uniform(rng, 0.4, 2.5) + (_uniform(rng, 2, 25) if d < 0 and plan.blasts >= 50 else 0)
        rounded = {
            "AST": round(v["AST"]),
            "ALT": round(v["ALT"]),
            "BILI": round(v["BILI"], 1),
            "PLAT": round(v["PLAT"]),
            "NEUT": round(v["NEUT"], 2),
            "HGB": round(v["HGB"], 1),
            "WBC": round(v["WBC"], 2),
            "TEMP": round(v["TEMP"], 1),
        }
        rows.extend((d, test, float(exact.get((d, test), rounded[test]))) for test in LAB_TESTS)
    return rows


def _ae(rng, std: str, day: int, grade: int, related: str, serious: str, end: int | None) -> dict:
    return {
        "std": std,
        "term": _choice(rng, AE_VERBATIMS[std]),
        "day": day,
        "grade": grade,
        "related": related,
        "serious": serious,
        "end": end,
    }


def _adverse_events(
    plan: Plan, tl: _Timeline, labs: list[tuple[int, str, float]], rng: np.random.Generator
) -> list[dict]:
    if plan.response == "NE":
        return []
    death = tl.end if plan.fate == "DEAD" else None
    horizon = tl.end

    def ends(day: int, low: int, high: int) -> int | None:
        stop = day + int(rng.integers(low, high + 1))
        if rng.random() < 0.15 or stop >= horizon:
            return None
        return stop

    by_day: dict[int, dict[str, float]] = {}
    for d, test, value in labs:
        by_day.setdefault(d, {})[test] = value
    window = [d for d in sorted(by_day) if 0 <= d <= tl.window_end]
    uln = SITE_ULN[plan.site]
    events: list[dict] = []
    if plan.vod:
        grade = plan.vod[1]
        end = None if death is not None and death - tl.vod < 45 else ends(tl.vod, 14, 40)
        events.append(_ae(rng, VOD, tl.vod, grade, "Y", "Y", end))
    if "F" in plan.heme:
        for d in window:
            if by_day[d]["NEUT"] < 1.0 and by_day[d]["TEMP"] >= 38.5:
                events.append(_ae(rng, "FEBRILE NEUTROPENIA", d, _choice(rng, [3, 3, 4]), "Y", "Y", ends(d, 3, 8)))
    if "N" in plan.heme and rng.random() < 0.6:
        d = next(d for d in window if by_day[d]["NEUT"] < 1.0)
        events.append(_ae(rng, "NEUTROPENIA", d, _choice(rng, [3, 4]), "Y", "N", ends(d, 5, 20)))
    if "T" in plan.heme and rng.random() < 0.7:
        d = next(d for d in window if by_day[d]["PLAT"] < 150)
        events.append(_ae(rng, "THROMBOCYTOPENIA", d, _choice(rng, [3, 4]), "Y", "N", ends(d, 7, 30)))
    liver = plan.liver.split()

    def peak_day(test: str, factor: float) -> int:
        return next(d for d in window if by_day[d][test] >= factor * uln[test])

    if "AST" in liver and "ALT" in liver:
        d = peak_day("AST", 2.5)
        events.append(_ae(rng, "TRANSAMINASES INCREASED", d, 3, "Y", "N", ends(d, 7, 21)))
    elif "AST" in liver:
        d = peak_day("AST", 2.5)
        events.append(_ae(rng, "ASPARTATE AMINOTRANSFERASE INCREASED", d, 3, "Y", "N", ends(d, 7, 21)))
    if "BILI" in liver:
        d = peak_day("BILI", 1.5)
        events.append(_ae(rng, "BLOOD BILIRUBIN INCREASED", d, _choice(rng, [3, 3, 4]), "Y", "N", ends(d, 7, 28)))
    # events that caused or preceded deaths
    if plan.key == "R01":
        events.append(_ae(rng, "MULTIPLE ORGAN DYSFUNCTION SYNDROME", death - 4, 5, "Y", "Y", death))
    if plan.key == "R02":
        events.append(_ae(rng, "PNEUMONIA", death - 14, 5, "N", "Y", death))
    if plan.cause == SEPTIC:
        first = _choice(rng, ["SEPSIS", "PNEUMONIA"])
        events.append(_ae(rng, first, death - int(rng.integers(5, 9)), 4 if first == "SEPSIS" else 3, "N", "Y", None))
        events.append(_ae(rng, "SEPTIC SHOCK", death - 1, 5, "N", "Y", death))
    # post-transplant events in survivors
    if tl.hsct is not None and plan.fate != "DEAD":
        if rng.random() < 0.5:
            d = tl.hsct + int(rng.integers(20, 45))
            events.append(
                _ae(rng, "ACUTE GRAFT VERSUS HOST DISEASE", d, _choice(rng, [2, 2, 3]), "N", "N", ends(d, 14, 60))
            )
        if rng.random() < 0.4:
            d = tl.hsct + int(rng.integers(25, 60))
            events.append(_ae(rng, "CYTOMEGALOVIRUS INFECTION REACTIVATION", d, 2, "N", "N", ends(d, 10, 30)))
    if plan.key == "R19":
        d = next(d for d in window if by_day[d]["TEMP"] >= 38.5)
        events.append(_ae(rng, "PYREXIA", d, 1, "N", "N", d + 2))
    # other, mostly low-grade events during treatment
    minor = [
        ("NAUSEA", (1, 2), "Y"),
        ("VOMITING", (1, 2), "Y"),
        ("MUCOSAL INFLAMMATION", (2, 3), "N"),
        ("FATIGUE", (1, 2), "Y"),
        ("HEADACHE", (1, 1), "N"),
        ("DIARRHOEA", (1, 2), "N"),
        ("ABDOMINAL PAIN", (1, 2), "N"),
        ("INFUSION RELATED REACTION", (1, 2), "Y"),
        ("URINARY TRACT INFECTION", (2, 3), "N"),
    ]
    latest = min(tl.last_dose + 28, horizon - 1, (tl.hsct or 10**6) - 1)
    for i in sorted(rng.choice(len(minor), size=int(rng.integers(0, 4)), replace=False)):
        std, (g_low, g_high), related = minor[i]
        d = 0 if std == "INFUSION RELATED REACTION" else int(rng.integers(0, max(latest, 1) + 1))
        grade = int(rng.integers(g_low, g_high + 1))
        events.append(_ae(rng, std, d, grade, related, "Y" if grade >= 3 else "N", ends(d, 1, 10)))
    seen: set[tuple[str, int]] = set()
    unique = []
    for e in sorted(events, key=lambda e: (e["day"], e["std"])):
        if (e["term"], e["day"]) not in seen:
            seen.add((e["term"], e["day"]))
            unique.append(e)
    return unique


def _conmeds(plan: Plan, tl: _Timeline, labs: list[tuple[int, str, float]], rng: np.random.Generator) -> list[tuple]:
    """(name, start day, end day or None, category)."""
    if plan.key == "N07":  # nothing documented in this record
        return []
    horizon = tl.end
    cap = lambda d: None if d is None or d >= horizon else d  # noqa: E731
    rows = [
        (_choice(rng, ["Paracetamol (premedication)", "PCM premed"]), 0, tl.last_dose, "CONCOMITANT"),
        (
            _choice(rng, ["Chlorpheniramine (premedication)", "Hydrocortisone premedication"]),
            0,
            tl.last_dose,
            "CONCOMITANT",
        ),
        ("Ondansetron", 0, tl.last_dose, "CONCOMITANT"),
    ]
    if plan.response != "NE" or rng.random() < 0.5:
        stop = (tl.hsct + 80) if tl.hsct is not None else tl.last_dose + 30
        rows.append((_choice(rng, ["Ursodiol", "Ursodeoxycholic acid", "UDCA"]), 0, cap(stop), "CONCOMITANT"))
    if rng.random() < 0.75:
        rows.append(("Posaconazole", int(rng.integers(0, 8)), cap(tl.last_dose + 21), "CONCOMITANT"))
    if rng.random() < 0.85:
        rows.append((_choice(rng, ["Acyclovir", "Aciclovir"]), 0, cap(tl.last_dose + 30), "CONCOMITANT"))
    if plan.blasts >= 50:
        rows.append(("Allopurinol", -2, 10, "CONCOMITANT"))
    window = sorted({d for d, _, _ in labs if 0 <= d <= tl.window_end})
    neut = {d: v for d, t, v in labs if t == "NEUT"}
    temp = {d: v for d, t, v in labs if t == "TEMP"}
    if "N" in plan.heme:
        d = next(d for d in window if neut[d] < 1.0)
        rows.append(("Filgrastim", d, cap(d + 5), "CONCOMITANT"))
    if "F" in plan.heme:
        d = next(d for d in window if neut[d] < 1.0 and temp[d] >= 38.5)
        rows.append((_choice(rng, ["Meropenem", "Piperacillin-tazobactam"]), d, cap(d + 7), "CONCOMITANT"))
    if plan.vod:
        rows.append(("Defibrotide", tl.vod, cap(tl.vod + 21), "CONCOMITANT"))
    if plan.subsequent:
        name, day = plan.subsequent
        rows.append(
            (
                name,
                day,
                cap(day + int(rng.integers(21, 60))) if rng.random() < 0.6 else None,
                "SUBSEQUENT ANTILEUKAEMIC THERAPY",
            )
        )
    out, seen = [], set()
    for r in rows:
        if (r[0], r[1]) not in seen and r[1] < horizon:
            seen.add((r[0], r[1]))
            out.append(r)
    return out


def _subject_ids(plans: list[Plan], first_doses: dict[str, date], rng: np.random.Generator) -> dict[str, str]:
    """Site-local identifiers, numbered in order of the first InO dose."""
    ids: dict[str, str] = {}
    for site in ("IN01", "IN02", "IN03", "IN04", "IN05"):
        members = sorted((p for p in plans if p.site == site), key=lambda p: (first_doses[p.key], p.key))
        number = {"IN03": 12, "IN04": 17}.get(site, 0)
        for n, p in enumerate(members, start=1):
            if site == "IN01":
                ids[p.key] = f"P{n:03d}"
            elif site == "IN02":
                ids[p.key] = f"02-{n:04d}"
            elif site == "IN03":
                ids[p.key] = f"KMC/ALL/{number:03d}"
                number += int(rng.integers(1, 10))
            elif site == "IN04":
                ids[p.key] = f"R4-{number}"
                number += int(rng.integers(2, 9))
            else:
                ids[p.key] = f"05/{100 + n}"
    return ids


def _diagnosis_months(plan: Plan, rng: np.random.Generator) -> float:
    if plan.status == "REFRACTORY":
        return _uniform(rng, 4, 8)
    return _uniform(rng, *{1: (9, 30), 2: (14, 40), 3: (20, 48)}[plan.salvage])


def _death_text(cause: str, rng: np.random.Generator) -> str:
    return _choice(rng, DEATH_VERBATIMS[cause])


def build_cohort(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Build the synthetic truth tables (contract domains) and the intended ``outcomes``."""
    rng = np.random.default_rng(seed)
    plans = list(PLANS)
    timelines = {p.key: _timeline(p, rng) for p in plans}
    first_doses, contacts = {}, {}
    for p in plans:
        first_doses[p.key], contacts[p.key] = _first_dose_date(p, timelines[p.key], rng)
        if p.fate == "ALIVE":
            timelines[p.key].end = (contacts[p.key] - first_doses[p.key]).days
    ids = _subject_ids(plans, first_doses, rng)

    tables: dict[str, list[dict]] = {name: [] for name in DOMAIN_COLUMNS}
    outcomes = []
    for p in plans:
        tl = timelines[p.key]
        day0 = first_doses[p.key]
        on = lambda d, day0=day0: day0 + timedelta(days=int(d))  # noqa: E731
        ident = {"SITEID": p.site, "SUBJID": ids[p.key]}
        bsa = round(_uniform(rng, 1.40, 1.80) if p.sex == "F" else _uniform(rng, 1.55, 2.10), 2)
        birth_year = None
        if p.site == "IN03":  # sends the year of birth; 1 July of it gives the same age
            birth_year = day0.year - p.age - (0 if (day0.month, day0.day) >= (7, 1) else 1)
        tables["patients"].append(
            {
                **ident,
                "AGE": p.age,
                "BIRTH_YEAR": birth_year,
                "SEX": p.sex,
                "PH_STATUS": "POSITIVE" if p.tki else "NEGATIVE",
                "TKI_FAILED": p.tki,
                "CD22_PCT": round(_uniform(rng, 60, 99), 1),
                "DIAG_DATE": day0 - timedelta(days=round(_diagnosis_months(p, rng) * MONTH_DAYS)),
                "DISEASE_STATUS": p.status,
                "PRIOR_LINES": p.salvage,
                "SALVAGE_LINE": p.salvage,
                "PRIOR_BLINA": "Y" if p.blina else "N",
            }
        )
        for cycle, day_in_cycle, d, dose in tl.doses:
            tables["dosing"].append(
                {**ident, "CYCLE": cycle, "DAY": day_in_cycle, "DOSE_DATE": on(d), "DOSE": dose, "BSA": bsa}
            )
        for row in _assessment_rows(p, tl, day0, rng):
            tables["assessments"].append({**ident, **row})
        labs = _lab_rows(p, tl, rng)
        for d, test, value in labs:
            uln = SITE_ULN[p.site].get(test, math.nan)
            tables["labs"].append(
                {**ident, "LAB_DATE": on(d), "TEST": test, "VALUE": value, "UNIT": LAB_UNITS[test], "ULN": uln}
            )
        if p.hsct:
            tables["transplants"].append(
                {**ident, "HSCT_DATE": on(tl.hsct), "HSCT_TYPE": p.hsct[1], "CONDITIONING": p.hsct[2]}
            )
        for e in _adverse_events(p, tl, labs, rng):
            tables["adverse_events"].append(
                {
                    **ident,
                    "AE_TERM": e["term"],
                    "AE_START": on(e["day"]),
                    "AE_END": None if e["end"] is None else on(e["end"]),
                    "GRADE": e["grade"],
                    "RELATED": e["related"],
                    "SERIOUS": e["serious"],
                    "AE_DECOD": e["std"],
                }
            )
        cms = _conmeds(p, tl, labs, rng)
        for name, start, end, category in cms:
            tables["conmeds"].append(
                {
                    **ident,
                    "CM_NAME": name,
                    "CM_START": on(start),
                    "CM_END": None if end is None else on(end),
                    "CM_CATEGORY": category,
                }
            )
        dead = p.fate == "DEAD"
        tables["followup"].append(
            {
                **ident,
                "LAST_CONTACT": on(tl.end),
                "STATUS": {"DEAD": "DEAD", "ALIVE": "ALIVE", "LTFU": "LOST TO FOLLOW-UP"}[p.fate],
                "DEATH_DATE": on(tl.end) if dead else None,
                "DEATH_CAUSE": _death_text(p.cause, rng) if dead else None,
                "DEATH_CAUSE_STD": p.cause if dead else None,
            }
        )
        outcomes.append(_intended_outcome(p, tl, day0, ident, any(c[3] == "CONCOMITANT" for c in cms)))

    order = {ids[p.key]: (p.site, first_doses[p.key]) for p in plans}  # site, then enrolment
    sort_dates = {
        "dosing": ["CYCLE", "DAY"],
        "assessments": ["ASSESS_DATE"],
        "labs": ["LAB_DATE", "TEST"],
        "adverse_events": ["AE_START", "AE_TERM"],
        "conmeds": ["CM_START", "CM_NAME"],
    }
    frames = {}
    for name, columns in DOMAIN_COLUMNS.items():
        frame = pd.DataFrame(tables[name], columns=["SITEID", *columns, *EXTRA_COLUMNS.get(name, [])])
        frame["_order"] = frame["SUBJID"].map(order)
        frame = frame.sort_values(["_order", *sort_dates.get(name, [])], kind="stable").drop(columns="_order")
        frames[name] = frame.reset_index(drop=True)
    frames["patients"]["BIRTH_YEAR"] = frames["patients"]["BIRTH_YEAR"].astype("Int64")
    outcome_frame = pd.DataFrame(outcomes)
    outcome_frame["_order"] = outcome_frame["SUBJID"].map(order)
    outcome_frame = outcome_frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    for column in ("cycles_to_response", "rfs_days", "dor_days"):
        outcome_frame[column] = outcome_frame[column].astype("Int64")
    frames["outcomes"] = outcome_frame
    frames["screening"] = build_screening_log(frames["patients"], outcome_frame, seed)
    _check_plan_integrity(frames)
    return frames


def _intended_outcome(p: Plan, tl: _Timeline, day0: date, ident: dict, any_conmed: bool) -> dict:
    """The facts the plan intends for one patient (later derivations must reproduce them)."""

    def on(d):
        return None if d is None else day0 + timedelta(days=int(d))

    c1 = round(sum(dose for cycle, _, _, dose in tl.doses if cycle == 1), 1)
    totals = {}
    for cycle, _, _, dose in tl.doses:
        totals[cycle] = totals.get(cycle, 0.0) + dose
    responder = p.response in ("CR", "CRi")
    first = tl.first_response()
    relapse = tl.relapse()
    dead = p.fate == "DEAD"
    os_days = tl.end
    rfs_days = rfs_event = dor_days = dor_event = dor_evaluable = None
    if responder:
        event_day = min(d for d in (relapse, tl.end if dead else None) if d is not None) if (relapse or dead) else None
        rfs_event = event_day is not None
        rfs_days = event_day if rfs_event else tl.end
        dor_event = rfs_event
        dor_days = rfs_days - first
        dor_evaluable = rfs_event or any(d > first for d, _ in tl.marrows)
    ltfu = None
    if p.fate == "LTFU":
        months = tl.end / MONTH_DAYS
        ltfu = "<6" if months < 6 else ("6-12" if months < 12 else ">=12")
    liver = p.liver.split()
    return {
        **ident,
        "first_dose_date": day0,
        "age": p.age,
        "age_group": ">65" if p.age > 65 else "18-65",
        "salvage_line": p.salvage,
        "burden": "high" if p.blasts >= 50 else "low",
        "baseline_blasts": p.blasts,
        "emd_baseline": p.emd is not None,
        "n_cycles": p.cycles,
        "cycle1_dose_mgm2": c1,
        "dose_category": "standard" if c1 == 1.8 else ("under" if c1 < 1.8 else "over"),
        "dose_modified": any(round(t, 1) != 1.8 for t in totals.values()),
        "best_response": p.response,
        "cycles_to_response": p.ctr,
        "first_response_date": on(first),
        "mrd_negative": (p.mrd != "never") if responder else None,
        "mrd_negative_at_first_response": (p.mrd == "first") if responder else None,
        "hsct": p.hsct is not None,
        "hsct_date": on(tl.hsct),
        "vod": p.vod is not None,
        "vod_after_hsct": p.vod is not None and tl.hsct is not None and tl.vod > tl.hsct,
        "liver_ast": "AST" in liver,
        "liver_alt": "ALT" in liver,
        "liver_bili": "BILI" in liver,
        "liver_any": bool(liver),
        "thrombocytopenia": "T" in p.heme,
        "neutropenia": "N" in p.heme,
        "febrile_neutropenia": "F" in p.heme,
        "heme_any": bool(p.heme),
        "death": dead,
        "death_date": on(tl.end) if dead else None,
        "death_cause_std": p.cause,
        "last_contact": on(tl.end),
        "os_days": os_days,
        "relapse": (relapse is not None) if responder else None,
        "relapse_date": on(relapse),
        "rfs_days": rfs_days,
        "rfs_event": rfs_event,
        "dor_days": dor_days,
        "dor_event": dor_event,
        "dor_evaluable": dor_evaluable,
        "ltfu_window": ltfu,
        "any_conmed": any_conmed,
    }


def _check_plan_integrity(frames: dict[str, pd.DataFrame]) -> None:
    """Cheap structural checks on a build: no record after the end of a patient's follow-up."""
    last_contact = frames["outcomes"].set_index("SUBJID")["last_contact"]
    if (last_contact > END_OF_FOLLOW_UP).any():
        raise AssertionError("follow-up beyond 2023-04-30")
    columns = {
        "dosing": ["DOSE_DATE"],
        "assessments": ["ASSESS_DATE"],
        "labs": ["LAB_DATE"],
        "transplants": ["HSCT_DATE"],
        "adverse_events": ["AE_START", "AE_END"],
        "conmeds": ["CM_START", "CM_END"],
    }
    for name, date_columns in columns.items():
        frame = frames[name]
        limit = frame["SUBJID"].map(last_contact)
        for column in date_columns:
            present = frame[column].notna()
            late = present & (frame[column].where(present, limit) > limit)
            if late.any():
                raise AssertionError(f"{name}.{column} after last contact: {frame.loc[late, 'SUBJID'].tolist()}")


# ---------------------------------------------------------------------------------------------
# 3. Self-check: derive the published facts from the truth tables
# ---------------------------------------------------------------------------------------------


def derive(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per-patient facts derived from the truth tables with the study definitions."""
    rows = []
    dosing, assess, labs = frames["dosing"], frames["assessments"], frames["labs"]
    tx = frames["transplants"].set_index("SUBJID")
    fu = frames["followup"].set_index("SUBJID")
    aes = frames["adverse_events"]
    pts = frames["patients"].set_index("SUBJID")
    for subj in pts.index:
        d = dosing[dosing.SUBJID == subj]
        first = d.DOSE_DATE.min()
        last = d.DOSE_DATE.max()
        a = assess[assess.SUBJID == subj].sort_values("ASSESS_DATE")
        base = a[a.ASSESS_DATE <= first].iloc[-1]
        post = a[a.ASSESS_DATE > first]
        resp = (post.BM_BLASTS <= 5) & (post.EMD == "N")
        cr = resp & (post.PLATELETS > 100) & (post.ANC > 1.0)
        best = "CR" if cr.any() else "CRi" if resp.any() else "NR" if len(post) else "NE"
        first_resp = post[resp].ASSESS_DATE.min() if resp.any() else None
        hsct_date = tx.HSCT_DATE.get(subj)
        window_end = last + timedelta(days=42)
        if hsct_date is not None and hsct_date < window_end:
            window_end = hsct_date
        lw = labs[(labs.SUBJID == subj) & (labs.LAB_DATE >= first) & (labs.LAB_DATE <= window_end)]
        aw = a[(a.ASSESS_DATE >= first) & (a.ASSESS_DATE <= window_end)]
        wide = lw.pivot(index="LAB_DATE", columns="TEST", values="VALUE")
        ratio = (lw.VALUE / lw.ULN).groupby(lw.TEST).max()
        plat_min = pd.concat([wide.get("PLAT", pd.Series(dtype=float)), aw.PLATELETS]).min()
        neut_min = pd.concat([wide.get("NEUT", pd.Series(dtype=float)), aw.ANC]).min()
        fn = bool(((wide["NEUT"] < 1.0) & (wide["TEMP"] >= 38.5)).any()) if len(wide) else False
        mrd_neg = (post.MRD_STATUS == "NEGATIVE").where(post.MRD_STATUS.notna(), post.MRD_PCT < 0.01)
        f = fu.loc[subj]
        rec: dict[str, Any] = {
            "SUBJID": subj,
            "burden": "high" if base.BM_BLASTS >= 50 else "low",
            "emd_baseline": base.EMD == "Y",
            "n_cycles": int(d.CYCLE.max()),
            "best_response": best,
            "cycle1_dose_mgm2": round(d[d.CYCLE == 1].DOSE.sum(), 1),
            "first_response_date": first_resp,
            "hsct": hsct_date is not None,
            "liver_ast": ratio.get("AST", 0) >= 2.5,
            "liver_alt": ratio.get("ALT", 0) >= 2.5,
            "liver_bili": ratio.get("BILI", 0) >= 1.5,
            "thrombocytopenia": bool(plat_min < 150),
            "neutropenia": bool(neut_min < 1.0),
            "febrile_neutropenia": fn,
            "vod": bool((aes[aes.SUBJID == subj].AE_DECOD == VOD).any()),
            "death": f.STATUS == "DEAD",
            "os_days": (f.LAST_CONTACT - first).days,
        }
        if first_resp is not None:
            rec["cycles_to_response"] = int(d[d.DOSE_DATE <= first_resp].sort_values("DOSE_DATE").CYCLE.iloc[-1])
            on_after = post.ASSESS_DATE >= first_resp
            rec["mrd_negative"] = bool(mrd_neg[on_after].any())
            rec["mrd_negative_at_first_response"] = bool(mrd_neg[post.ASSESS_DATE == first_resp].iloc[0])
            later = post[post.ASSESS_DATE > first_resp]
            rel = later[(later.BM_BLASTS > 5) | (later.EMD == "Y")]
            rec["relapse"] = len(rel) > 0
            rec["relapse_date"] = rel.ASSESS_DATE.min() if len(rel) else None
            ends = [x for x in (rec["relapse_date"], f.DEATH_DATE) if x is not None]
            rec["rfs_event"] = bool(ends)
            rec["rfs_days"] = ((min(ends) if ends else f.LAST_CONTACT) - first).days
            rec["dor_days"] = ((min(ends) if ends else f.LAST_CONTACT) - first_resp).days
            rec["dor_evaluable"] = bool(ends) or len(later) > 0
        rows.append(rec)
    return pd.DataFrame(rows)


def _km_median_months(durations: pd.Series, events: pd.Series) -> float:
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(durations.astype(float) / MONTH_DAYS, events.astype(bool))
    return float(kmf.median_survival_time_)


def check_against_published(
    frames: dict[str, pd.DataFrame] | None = None, published: dict | None = None
) -> dict[str, Any]:
    """Derive the published facts from the truth tables; raise AssertionError on any mismatch.

    Returns the derived summary (including the Kaplan-Meier medians in months).
    """
    import yaml

    frames = frames if frames is not None else build_cohort()
    if published is None:
        published = yaml.safe_load(PUBLISHED_RESULTS.read_text(encoding="utf-8"))["india"]
    problems: list[str] = []
    derived = derive(frames).set_index("SUBJID")
    intended = frames["outcomes"].set_index("SUBJID")

    def missing(value: Any) -> bool:
        return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))

    for column in derived.columns:
        for subj in derived.index:
            got, want = derived.at[subj, column], intended.at[subj, column]
            same = missing(got) and missing(want) if missing(got) or missing(want) else got == want
            if not same:
                problems.append(f"{subj} {column}: derived {got!r}, intended {want!r}")

    o = derived
    o["liver_any"] = o.liver_ast | o.liver_alt | o.liver_bili
    o["heme_any"] = o.thrombocytopenia | o.neutropenia | o.febrile_neutropenia
    resp = o[o.best_response.isin(["CR", "CRi"])]
    evaluable = resp[resp.dor_evaluable.astype(bool)]
    summary = {
        "n": len(o),
        "best_response": o.best_response.value_counts().to_dict(),
        "cycles_to_response": resp.cycles_to_response.astype(int).describe().to_dict(),
        "os_median_months": _km_median_months(o.os_days, o.death),
        "rfs_median_months": _km_median_months(resp.rfs_days, resp.rfs_event),
        "dor_median_months": _km_median_months(evaluable.dor_days, evaluable.rfs_event),
    }
    pr = published["response"]
    expect = {
        "n": published["baseline"]["n"],
        "cr": pr["cr"],
        "cri": pr["cri"],
        "nr": pr["no_remission"],
        "ne": pr["not_evaluable_lost_to_follow_up"],
        "hsct": published["hsct"]["overall"],
        "vod": published["safety"]["vod"]["n"],
        "deaths": published["deaths"]["n"],
        "liver": published["safety"]["liver_toxicity_g34"],
        "heme": published["safety"]["hematological_toxicity"],
    }
    got = {
        "n": len(o),
        "cr": int((o.best_response == "CR").sum()),
        "cri": int((o.best_response == "CRi").sum()),
        "nr": int((o.best_response == "NR").sum()),
        "ne": int((o.best_response == "NE").sum()),
        "hsct": int(o.hsct.sum()),
        "vod": int(o.vod.sum()),
        "deaths": int(o.death.sum()),
        "liver": int(o.liver_any.sum()),
        "heme": int(o.heme_any.sum()),
    }
    problems += [f"{k}: {got[k]} != published {v}" for k, v in expect.items() if got[k] != v]
    if round(summary["os_median_months"], 1) != published["overall_survival"]["median_months"]:
        problems.append(f"OS median {summary['os_median_months']:.3f}")
    if round(summary["rfs_median_months"], 1) != published["relapse_free_survival"]["median_months"]:
        problems.append(f"RFS median {summary['rfs_median_months']:.3f}")
    if round(summary["dor_median_months"]) != published["duration_of_remission"]["median_months"]:
        problems.append(f"DOR median {summary['dor_median_months']:.3f}")
    if problems:
        raise AssertionError("the cohort does not reproduce the publication:\n  " + "\n  ".join(problems))
    return summary


if __name__ == "__main__":  # pragma: no cover
    print(check_against_published())
