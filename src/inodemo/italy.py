"""A synthetic, patient-level reconstruction of the Italian INO-CD22 cohort (24 centres, N = 73).

SYNTHETIC DATA - no record describes a real person. The INO-CD22 study (adults with
relapsed/refractory B-cell ALL given inotuzumab ozogamicin (IO) in 24 Italian centres, first doses
2014-2019, compassionate use from 2014, data cut-off 31 December 2022) publishes only aggregate
figures. This module builds the raw-extract "truth" the 24 centres would send (one canonical frame
per contract domain, columns = contract variables + ``SITEID``) so that the workflow's
derivations (``config/definitions/italy.yaml``) reproduce every published figure, and the
cohort is otherwise clinically coherent. ``docs/demo-cohort-italy.md`` explains each choice.

The construction has three layers:

1. **Time-to-event truth** - :mod:`inodemo.italy_times` fixes, per patient, the response (CR,
   CRi, NR) and its day, overall survival, the duration of response and whether it ended in a
   relapse, the HSCT day, the VOD/SOS day and the cause of death (day 0 = first IO dose). Every
   marrow, dose and follow-up date here is placed so that the derivations give back exactly
   those days.
2. **Explicit allocation** where the publication constrains: the 73 ages (median 52.7, order
   statistics 28 and 29 = 51.9, 45 and 46 = 53.5), prior lines (median 3, quartiles 2 and 4), 62 prior
   standard inductions, 42 prior blinatumomab, the grade >= 3 liver toxicities and pneumonias
   (:data:`LIVER_G3`, :data:`PNEUMONIA`), the fatal adverse events, and the boundary values
   the tests of the definitions use (:data:`BOUNDARY_CASES`).
3. **Seeded generation** (``numpy.random.default_rng(seed)``) of everything else: centres,
   calendar dates, baseline details, cycle lengths, marrow values, other adverse events,
   hospital stays and transfusions, verbatim spellings, identifiers.

Study definitions (``config/definitions/italy.yaml``), day 0 = first IO dose:

* baseline marrow: the last on or before day 0;
* CR: blasts < 5 %, no extramedullary disease (EMD), platelets >= 100 and ANC >= 1.0 (10^9/L)
  on the marrow's row; CRi: blasts < 5 %, no EMD, either count below;
* relapse: the first marrow after the first CR/CRi with blasts >= 5 % or EMD;
* DOR: first CR/CRi to relapse or death, censored at the last date known alive; OS: day 0 to
  death, censored at the last date known alive (the latest dated record: nothing is dated after
  the last contact).

Italian centres send no laboratory panel and no medication list: the counts used by the response
definition are those written on each marrow row.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from inodemo.italy_times import italy_survival

DEFAULT_SEED = 20221231
CUTOFF = date(2022, 12, 31)
FIRST_DOSE_FROM = date(2014, 3, 1)  # compassionate use from 2014
FIRST_DOSE_TO = date(2019, 12, 31)
MONTH_DAYS = 30.4375

# Canonical raw-extract variables per domain the Italian centres send (config/contract.yaml order).
# fmt: off
DOMAIN_COLUMNS: dict[str, list[str]] = {
    "screening": [
        "SCREEN_ID", "SUBJID", "SCREEN_DATE", "AGE", "CD22_POSITIVE", "RELAPSED_REFRACTORY",
        "INO_MONOTHERAPY", "PH_STATUS", "TKI_FAILED",
    ],
    "patients": [
        "SUBJID", "AGE_YEARS", "SEX", "PH_STATUS", "TKI_FAILED", "CD22_PCT", "DIAG_DATE",
        "DISEASE_STATUS", "PRIOR_LINES", "SALVAGE_LINE", "PRIOR_BLINA", "PRIOR_INDUCTION",
    ],
    "dosing": ["SUBJID", "CYCLE", "DAY", "DOSE_DATE", "DOSE", "BSA"],
    "assessments": ["SUBJID", "ASSESS_DATE", "BM_BLASTS", "ANC", "PLATELETS", "EMD", "EMD_SITE", "SITE_RESPONSE"],
    "transplants": ["SUBJID", "HSCT_DATE", "HSCT_TYPE", "CONDITIONING"],
    "transfusions": ["SUBJID", "TRANSF_DATE", "PRODUCT", "UNITS"],
    "hospitalisations": ["SUBJID", "ADMIT_DATE", "DISCHARGE_DATE", "WARD"],
    "adverse_events": ["SUBJID", "AE_TERM", "AE_START", "AE_END", "GRADE", "RELATED", "SERIOUS"],
    "followup": ["SUBJID", "LAST_CONTACT", "STATUS", "DEATH_DATE", "DEATH_CAUSE"],
}
# the standard terms the verbatims were written for (the round trip compares them with __STD)
EXTRA_COLUMNS: dict[str, list[str]] = {"adverse_events": ["AE_DECOD"], "followup": ["DEATH_CAUSE_STD"]}
# fmt: on

# ---------------------------------------------------------------------------------------------
# Centres: size and the dialect family each writes in (config/sites/italy/templates/)
# ---------------------------------------------------------------------------------------------

CRF, HIS, WIN = "crf", "his", "win"
TEMPLATES = {
    CRF: "templates/crf_workbook.yaml",  # the study's Excel CRF, one workbook per centre
    HIS: "templates/csv_his.yaml",  # semicolon CSVs from a hospital system, UTF-8, mg/m2
    WIN: "templates/csv_windows.yaml",  # semicolon CSVs saved by Excel on Windows, cp1252, mg + BSA
}
# fmt: off
SITE_SIZES: dict[str, int] = {
    "IT01": 7, "IT02": 4, "IT03": 5, "IT04": 3, "IT05": 6, "IT06": 2, "IT07": 4, "IT08": 3,
    "IT09": 6, "IT10": 2, "IT11": 3, "IT12": 2, "IT13": 1, "IT14": 4, "IT15": 2, "IT16": 3,
    "IT17": 2, "IT18": 5, "IT19": 1, "IT20": 2, "IT21": 2, "IT22": 1, "IT23": 2, "IT24": 1,
}
SITE_FAMILY: dict[str, str] = {site: CRF for site in SITE_SIZES} | {
    "IT03": HIS, "IT08": HIS, "IT14": HIS, "IT17": HIS,
    "IT05": WIN, "IT11": WIN, "IT21": WIN,
}
# fmt: on

# Screening log: (site, reason) of the 5 cases screened and not eligible
EXCLUSIONS: tuple[tuple[str, str], ...] = (
    ("IT01", "under_18"),
    ("IT09", "under_18"),
    ("IT03", "not_relapsed_refractory"),  # MRD-positive in first CR: not relapsed/refractory
    ("IT18", "not_relapsed_refractory"),
    ("IT05", "cd22_negative"),
)

# ---------------------------------------------------------------------------------------------
# Explicit allocation: what the abstract constrains, and the planted boundary values
# ---------------------------------------------------------------------------------------------

N_PATIENTS = 73
# Prior lines of therapy (frontline included; IO salvage line = prior lines): 73 values with
# median 3 and type-2 (and type-7) quartiles 2 and 4 (sorted positions 19, 37, 55).
PRIOR_LINE_COUNTS = {1: 10, 2: 18, 3: 20, 4: 13, 5: 8, 6: 4}
N_PRIOR_BLINA = 42  # 57.5 %
N_PH_POSITIVE = 17
N_NO_PRIOR_INDUCTION = 11  # 62/73 had standard induction chemotherapy; the 11 others are Ph+ (chemo-free TKI induction)

# Grade >= 3 non-haematological adverse events the abstract names (liver toxicities, then
# pneumonia: two grade 4 and one grade 5); patient -> (standard term, grade)
LIVER_G3: dict[int, tuple[str, int]] = {
    1: ("TRANSAMINASES INCREASED", 3),
    10: ("TRANSAMINASES INCREASED", 4),
    31: ("TRANSAMINASES INCREASED", 3),
    64: ("TRANSAMINASES INCREASED", 3),
    15: ("BLOOD BILIRUBIN INCREASED", 3),
    37: ("BLOOD BILIRUBIN INCREASED", 4),
    71: ("BLOOD BILIRUBIN INCREASED", 3),
    18: ("HEPATOTOXICITY", 3),
    45: ("HEPATOTOXICITY", 3),
    60: ("ALANINE AMINOTRANSFERASE INCREASED", 3),
}
PNEUMONIA: dict[int, int] = {25: 5, 12: 4, 36: 4, 6: 3, 44: 3, 59: 3}
SEPSIS_G3 = (11, 53)  # non-fatal grade 3 sepsis
AGVHD_G3 = (2, 26)  # non-fatal grade 3 acute GvHD
# The fatal adverse event of each death whose cause is one (DEATH_CAUSE -> standard AE term)
FATAL_AE: dict[int, str] = {
    25: "PNEUMONIA",
    27: "SEPSIS",
    57: "SEPTIC SHOCK",
    66: "SEPSIS",
    29: "ACUTE GRAFT VERSUS HOST DISEASE",
    51: "CHRONIC GRAFT VERSUS HOST DISEASE",
    62: "GRAFT VERSUS HOST DISEASE",
    39: "VENO-OCCLUSIVE DISEASE",
    48: "VENO-OCCLUSIVE DISEASE",
}
ICU_DEATHS = (25, 27, 29, 39, 48, 57, 66)  # the final days of these fatal events in intensive care

# Boundary values planted on purpose (patient -> what): the tests of the definitions use them.
BOUNDARY_CASES: dict[int, str] = {
    23: "non-responder: first post-baseline marrow blasts exactly 5.0 % with full counts (not a remission: < 5 %); "
    "the centre labels it a complete remission",
    53: "non-responder: post-baseline marrow blasts 3.0 % but extramedullary disease (not a remission)",
    11: "CR: platelets exactly 100 x10^9/L on the first CR marrow (>= 100 is recovered); the centre labels it CRi",
    52: "CR: ANC exactly 1.0 x10^9/L on the first CR marrow (>= 1.0 is recovered)",
    10: "CR: blasts 4.9 % on the first CR marrow",
    7: "CRi: platelets 99 x10^9/L (one below 100) with ANC 2.1 on the first CRi marrow",
    33: "CRi: ANC 0.99 x10^9/L with platelets 140 on the first CRi marrow",
    71: "CRi: platelets 45 and ANC 0.6 x10^9/L (both counts low) on the first CRi marrow",
    1: "relapse marrow with blasts exactly 5.0 % (>= 5 % is a relapse)",
    16: "relapse by extramedullary disease alone (CNS) with marrow blasts 1.5 %",
    2: "a remission marrow with blasts 4.9 % between response and relapse (still in remission)",
}

# ---------------------------------------------------------------------------------------------
# Codes, verbatims and labels by dialect family (the templates' vocabularies hold them)
# ---------------------------------------------------------------------------------------------

MSD, MUD, HAPLO = "ALLOGENEIC MATCHED SIBLING", "ALLOGENEIC MATCHED UNRELATED", "HAPLOIDENTICAL"
MAC, RIC = "MYELOABLATIVE", "REDUCED INTENSITY"
RBC, PLT = "RED BLOOD CELLS", "PLATELETS"
WARD, ICU = "HOSPITAL", "INTENSIVE CARE UNIT"
VOD = "VENO-OCCLUSIVE DISEASE"

# italy_times.DEATH_CAUSE -> standard term of config/vocabularies/death_causes.yaml
DEATH_CAUSE_STD = {
    "Disease progression": "PROGRESSION OF DISEASE",
    "Relapse": "RELAPSE",
    "Infection": "INFECTION",
    "Pneumonia": "PNEUMONIA",
    "VOD/SOS": "VOD/SOS",
    "GvHD": "GRAFT VERSUS HOST DISEASE",
}

# standard AE term -> verbatims, per family (every one is a term or synonym of the vocabulary,
# or a synonym the family's template adds under `vocabularies:`)
AE_VERBATIMS: dict[str, dict[str, list[str]]] = {
    CRF: {
        VOD: ["Malattia veno-occlusiva epatica", "SOS/VOD"],
        "FEBRILE NEUTROPENIA": ["Neutropenia febbrile"],
        "NEUTROPENIA": ["Neutropenia"],
        "THROMBOCYTOPENIA": ["Piastrinopenia"],
        "ANAEMIA": ["Anemia"],
        "TRANSAMINASES INCREASED": ["Transaminasi aumentate", "Ipertransaminasemia"],
        "BLOOD BILIRUBIN INCREASED": ["Iperbilirubinemia"],
        "HEPATOTOXICITY": ["Epatotossicità"],
        "ALANINE AMINOTRANSFERASE INCREASED": ["ALT aumentate"],
        "PNEUMONIA": ["Polmonite"],
        "SEPSIS": ["Sepsi"],
        "SEPTIC SHOCK": ["Shock settico"],
        "ACUTE GRAFT VERSUS HOST DISEASE": ["GvHD acuta"],
        "CHRONIC GRAFT VERSUS HOST DISEASE": ["GvHD cronica"],
        "GRAFT VERSUS HOST DISEASE": ["GvHD"],
        "CYTOMEGALOVIRUS INFECTION REACTIVATION": ["Riattivazione CMV"],
        "NAUSEA": ["Nausea"],
        "VOMITING": ["Vomito"],
        "FATIGUE": ["Astenia"],
        "HEADACHE": ["Cefalea"],
        "PYREXIA": ["Febbre"],
        "ABDOMINAL PAIN": ["Dolore addominale"],
        "INFUSION RELATED REACTION": ["Reazione infusionale"],
        "MUCOSAL INFLAMMATION": ["Mucosite"],
        "DIARRHOEA": ["Diarrea"],
    },
    HIS: {
        VOD: ["VOD/SOS", "SOS epatica"],
        "FEBRILE NEUTROPENIA": ["Febbre in neutropenia", "Neutropenia febbrile"],
        "NEUTROPENIA": ["Neutropenia"],
        "THROMBOCYTOPENIA": ["Trombocitopenia"],
        "ANAEMIA": ["Anemia"],
        "TRANSAMINASES INCREASED": ["Ipertransaminasemia"],
        "BLOOD BILIRUBIN INCREASED": ["Iperbilirubinemia"],
        "HEPATOTOXICITY": ["Tossicità epatica"],
        "ALANINE AMINOTRANSFERASE INCREASED": ["Aumento ALT"],
        "PNEUMONIA": ["Polmonite batterica", "Broncopolmonite"],
        "SEPSIS": ["Sepsi da Gram negativi"],
        "SEPTIC SHOCK": ["Shock settico"],
        "ACUTE GRAFT VERSUS HOST DISEASE": ["aGvHD"],
        "CHRONIC GRAFT VERSUS HOST DISEASE": ["cGvHD"],
        "GRAFT VERSUS HOST DISEASE": ["GvHD"],
        "CYTOMEGALOVIRUS INFECTION REACTIVATION": ["Riattivazione CMV"],
        "NAUSEA": ["Nausea"],
        "VOMITING": ["Vomito"],
        "FATIGUE": ["Astenia"],
        "HEADACHE": ["Cefalea"],
        "PYREXIA": ["Iperpiressia"],
        "ABDOMINAL PAIN": ["Dolore addominale"],
        "INFUSION RELATED REACTION": ["Reazione correlata all'infusione"],
        "MUCOSAL INFLAMMATION": ["Mucosite orale"],
        "DIARRHOEA": ["Diarrea"],
    },
    WIN: {
        VOD: ["Malattia venoocclusiva (VOD)", "Sindrome da ostruzione sinusoidale"],
        "FEBRILE NEUTROPENIA": ["Neutropenia febbrile"],
        "NEUTROPENIA": ["Neutropenia"],
        "THROMBOCYTOPENIA": ["Piastrinopenia"],
        "ANAEMIA": ["Anemia"],
        "TRANSAMINASES INCREASED": ["Rialzo transaminasi"],
        "BLOOD BILIRUBIN INCREASED": ["Bilirubina aumentata"],
        "HEPATOTOXICITY": ["Epatotossicità"],
        "ALANINE AMINOTRANSFERASE INCREASED": ["Rialzo ALT"],
        "PNEUMONIA": ["Polmonite", "Polmonite interstiziale"],
        "SEPSIS": ["Sepsi"],
        "SEPTIC SHOCK": ["Shock settico"],
        "ACUTE GRAFT VERSUS HOST DISEASE": ["GvHD acuta intestinale"],
        "CHRONIC GRAFT VERSUS HOST DISEASE": ["GvHD cronica"],
        "GRAFT VERSUS HOST DISEASE": ["GvHD"],
        "CYTOMEGALOVIRUS INFECTION REACTIVATION": ["Riattivazione di CMV"],
        "NAUSEA": ["Nausea"],
        "VOMITING": ["Vomito"],
        "FATIGUE": ["Astenia"],
        "HEADACHE": ["Cefalea"],
        "PYREXIA": ["Febbre"],
        "ABDOMINAL PAIN": ["Dolori addominali"],
        "INFUSION RELATED REACTION": ["Reazione infusionale"],
        "MUCOSAL INFLAMMATION": ["Mucosite"],
        "DIARRHOEA": ["Diarrea"],
    },
}
# standard cause of death -> verbatims, per family
DEATH_VERBATIMS: dict[str, dict[str, list[str]]] = {
    CRF: {
        "PROGRESSION OF DISEASE": ["Progressione di malattia", "Malattia refrattaria in progressione"],
        "RELAPSE": ["Recidiva di malattia", "Recidiva leucemica"],
        "INFECTION": ["Infezione", "Complicanza infettiva"],
        "PNEUMONIA": ["Polmonite"],
        "VOD/SOS": ["Malattia veno-occlusiva epatica (VOD/SOS)"],
        "GRAFT VERSUS HOST DISEASE": ["GvHD", "Malattia del trapianto contro l'ospite"],
    },
    HIS: {
        "PROGRESSION OF DISEASE": ["Progressione", "PD"],
        "RELAPSE": ["Recidiva", "Recidiva post-trapianto"],
        "INFECTION": ["Sepsi"],
        "PNEUMONIA": ["Polmonite bilaterale"],
        "VOD/SOS": ["VOD/SOS"],
        "GRAFT VERSUS HOST DISEASE": ["GvHD cronica"],
    },
    WIN: {
        "PROGRESSION OF DISEASE": ["Progressione della leucemia"],
        "RELAPSE": ["Ricaduta di malattia"],
        "INFECTION": ["Infezione fungina invasiva"],
        "PNEUMONIA": ["Polmonite"],
        "VOD/SOS": ["Sindrome da ostruzione sinusoidale"],
        "GRAFT VERSUS HOST DISEASE": ["GvHD intestinale"],
    },
}
# the centres' own response labels (config/definitions/italy.yaml site_response_labels reads them)
RESPONSE_LABELS: dict[str, dict[str, str]] = {
    CRF: {
        "BASE_RELAPSED": "Recidiva",
        "BASE_REFRACTORY": "Malattia refrattaria",
        "NR": "Non risposta",
        "PARTIAL": "Risposta parziale",
        "CR": "Remissione completa",
        "CRi": "RC con recupero ematologico incompleto (CRi)",
        "REM": "RC persistente",
        "REMi": "CRi persistente",
        "REM_HSCT": "RC post-trapianto",
        "REL": "Recidiva midollare",
        "REL_EMD": "Recidiva extramidollare (SNC)",
    },
    HIS: {
        "BASE_RELAPSED": "Recidiva",
        "BASE_REFRACTORY": "Refrattaria",
        "NR": "Non risposta",
        "PARTIAL": "Risposta parziale",
        "CR": "RC",
        "CRi": "CRi",
        "REM": "RC",
        "REMi": "CRi",
        "REM_HSCT": "RC",
        "REL": "Recidiva",
        "REL_EMD": "Recidiva SNC",
    },
    WIN: {
        "BASE_RELAPSED": "Recidiva",
        "BASE_REFRACTORY": "Malattia refrattaria",
        "NR": "Malattia resistente",
        "PARTIAL": "Risposta parziale",
        "CR": "Remissione completa",
        "CRi": "Remissione completa con ricostituzione ematologica incompleta",
        "REM": "Remissione completa",
        "REMi": "Remissione completa con ricostituzione ematologica incompleta",
        "REM_HSCT": "Remissione completa",
        "REL": "Recidiva",
        "REL_EMD": "Recidiva extramidollare",
    },
}
EMD_SITES = ["SNC", "Cute", "Linfonodi", "Mediastino", "Testicolo"]


def subject_id(site: str, number: int) -> str:
    """The subject id a centre gives its k-th enrolled patient (CRF: '05-003'; hospital
    system: 'P003'; Windows spreadsheets: 'LAL-03')."""
    family = SITE_FAMILY[site]
    if family == CRF:
        return f"{site[2:]}-{number:03d}"
    if family == HIS:
        return f"P{number:03d}"
    return f"LAL-{number:02d}"


def screening_id(site: str, number: int) -> str:
    family = SITE_FAMILY[site]
    if family == CRF:
        return f"S{site[2:]}-{number:02d}"
    if family == HIS:
        return f"SCR{number:03d}"
    return f"SCR-{number:02d}"


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _int(rng: np.random.Generator, low: int, high: int) -> int:
    """An integer in [low, high] (both included)."""
    return int(rng.integers(low, high + 1))


def _uniform(rng: np.random.Generator, low: float, high: float, decimals: int = 1) -> float:
    return round(float(rng.uniform(low, high)), decimals)


def _pick(rng: np.random.Generator, options: list) -> Any:
    return options[int(rng.integers(0, len(options)))]


def _value(v: Any) -> Any:
    """None for a missing value (pandas NA, NaN), the value otherwise."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


# ---------------------------------------------------------------------------------------------
# Allocation of the constrained baseline facts
# ---------------------------------------------------------------------------------------------


def allocate_ages(rng: np.random.Generator) -> list[float]:
    """73 ages in years with one decimal, sorted: median (37th) 52.7; 28th and 29th 51.9; 45th
    and 46th 53.5.

    The abstract's "median age 52.7 years (I-III quartiles, 51.9-53.5)" is implausibly narrow for
    quartiles of adults aged 18-80; it is read as the distribution-free 95 % interval of the
    median. Its ranks are 28 and 46 of 73 by the binomial rule (inoflow.analysis.stats.order: the largest k
    with P(B <= k - 1) <= 0.025) and 29 and 45 by the normal approximation (n/2 -/+ 1.96 sqrt(n)/2);
    two tied ages at each limit give 51.9-53.5 either way. The real quartiles come out near 40 and 61.
    """
    low = rng.integers(180, 519, size=27)  # 18.0 - 51.8
    mid_low = rng.integers(520, 527, size=7)  # 52.0 - 52.6
    mid_high = rng.integers(528, 535, size=7)  # 52.8 - 53.4
    high = rng.integers(536, 791, size=27)  # 53.6 - 79.0
    tenths = sorted([*low, 519, 519, *mid_low, 527, *mid_high, 535, 535, *high])
    ages = [round(int(t) / 10, 1) for t in tenths]
    assert len(ages) == N_PATIENTS and (ages[27], ages[28], ages[36], ages[44], ages[45]) == (
        51.9,
        51.9,
        52.7,
        53.5,
        53.5,
    )
    return ages


def _allocate_sites(rng: np.random.Generator, dead: set[int]) -> dict[int, str]:
    """Patients to centres at random, redrawn until every centre has at least one death (58 of 73
    died), so that no centre sends a date column that is empty throughout (see the report in
    docs/demo-cohort-italy.md: the plausibility check cannot yet read an all-empty date column)."""
    while True:
        order = [int(p) for p in rng.permutation(np.arange(1, N_PATIENTS + 1))]
        sites: dict[int, str] = {}
        position = 0
        for site, size in SITE_SIZES.items():
            for patient in order[position : position + size]:
                sites[patient] = site
            position += size
        if all(any(sites[p] == site for p in dead) for site in SITE_SIZES):
            return sites


def _first_dose(row: pd.Series, rng: np.random.Generator) -> date:
    """Day 0: first doses 2014-2019, every date of follow-up on or before the cut-off. A patient
    alive at last contact was seen in the last months before the cut-off when the 2014-2019
    window allows it (long survivors were treated early)."""
    os_days = int(row["OS_DAYS"])
    latest = min(FIRST_DOSE_TO, CUTOFF - timedelta(days=os_days))
    if not row["DEATH"]:
        first = CUTOFF - timedelta(days=os_days + _int(rng, 0, 120))
        if first > FIRST_DOSE_TO:
            first = FIRST_DOSE_TO - timedelta(days=_int(rng, 0, 240))
        return max(first, FIRST_DOSE_FROM)
    span = (latest - FIRST_DOSE_FROM).days
    return FIRST_DOSE_FROM + timedelta(days=_int(rng, 0, span))


def _baseline(times: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per patient: age, prior lines, blinatumomab, induction, Ph, TKIs, CD22, status, sex."""
    n = len(times)
    ages = allocate_ages(rng)
    # transplanted patients are younger: rank by a noisy key shifted for HSCT, give ages in order
    key = rng.normal(0.0, 1.0, size=n) - 1.2 * times["HSCT"].to_numpy(dtype=float)
    by_key = np.argsort(key, kind="stable")
    age = np.empty(n)
    age[by_key] = ages
    lines = np.array([k for k, c in PRIOR_LINE_COUNTS.items() for _ in range(c)])
    lines = lines[rng.permutation(n)]
    weights = lines.astype(float) / lines.sum()  # blinatumomab more likely after more lines
    blina = np.zeros(n, dtype=bool)
    blina[rng.choice(n, size=N_PRIOR_BLINA, replace=False, p=weights)] = True
    ph = np.zeros(n, dtype=bool)
    ph[rng.choice(n, size=N_PH_POSITIVE, replace=False)] = True
    ph_index = np.flatnonzero(ph)
    no_induction = rng.choice(ph_index, size=N_NO_PRIOR_INDUCTION, replace=False)
    induction = np.ones(n, dtype=bool)
    induction[no_induction] = False
    rows = []
    for i in range(n):
        tki = _pick(rng, [1, 1, 2, 2, 3]) if ph[i] else 0
        rows.append(
            {
                "PATIENT": int(times["PATIENT"].iloc[i]),
                "AGE_YEARS": float(age[i]),
                "PRIOR_LINES": int(lines[i]),
                "PRIOR_BLINA": "Y" if blina[i] else "N",
                "PRIOR_INDUCTION": "Y" if induction[i] else "N",
                "PH_STATUS": "POSITIVE" if ph[i] else "NEGATIVE",
                "TKI_FAILED": tki,
                "CD22_PCT": _uniform(rng, 62.0, 99.5),
                "DISEASE_STATUS": "REFRACTORY" if rng.random() < 0.3 else "RELAPSED",
                "SEX": "M" if rng.random() < 0.56 else "F",
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# One patient's course (day 0 = first IO dose)
# ---------------------------------------------------------------------------------------------


class Course:
    """The facts of one patient from italy_times, in days, and what is generated around them."""

    def __init__(self, row: pd.Series):
        self.patient = int(row["PATIENT"])
        self.response = str(row["RESPONSE"])
        self.responder = self.response in ("CR", "CRi")
        self.resp_day = _value(row["RESPONSE_DAY"])
        self.os = int(row["OS_DAYS"])
        self.dead = bool(row["DEATH"])
        self.dor = _value(row["DOR_DAYS"])
        self.dor_event = bool(_value(row["DOR_EVENT"])) if self.responder else None
        self.relapse = bool(_value(row["RELAPSE"])) if self.responder else False
        self.rel_day = self.resp_day + self.dor if self.relapse else None
        self.hsct = _value(row["HSCT_DAY"])
        self.vod = _value(row["VOD_DAY"])
        self.cause = _value(row["DEATH_CAUSE"])
        self.starts: list[int] = []  # cycle start days
        self.doses: list[tuple[int, int, int, float]] = []  # (cycle, day in cycle, study day, mg/m2)

    @property
    def last_dose(self) -> int:
        return max(d for _, _, d, _ in self.doses)


def plan_cycles(c: Course, rng: np.random.Generator) -> None:
    """IO cycles on the label schedule: days 1, 8, 15 of 3-4 week cycles; cycle 1 0.8/0.5/0.5
    mg/m2, later cycles 0.5/0.5/0.5 once in CR/CRi (response day on or before the cycle's start),
    0.8/0.5/0.5 otherwise. No dose on or after death / last contact, a relapse, a VOD during
    treatment, nor within three weeks of an HSCT (a cycle is given only if it ends by then)."""
    starts = [0]
    for _ in range(5):
        starts.append(starts[-1] + _int(rng, 21, 28))
    limit = c.os
    if c.vod is not None and c.hsct is None:
        limit = min(limit, c.vod)
    if c.rel_day is not None:
        limit = min(limit, c.rel_day)
    if c.responder:
        before_response = sum(1 for s in starts if s <= c.resp_day - 21)  # cycles run before the CR marrow
        wanted = _pick(rng, [1, 2, 2, 2, 2, 3]) if c.hsct is not None else _pick(rng, [2, 2, 3, 3, 3, 4, 4, 5, 6])
        wanted = max(wanted, before_response)
    else:
        wanted = 2 if c.hsct is not None else _pick(rng, [1, 2, 2, 3])
    for k, start in enumerate(starts[:wanted], start=1):
        if start >= limit:
            break
        if c.hsct is not None and k > 1 and start + 14 > c.hsct - 21:
            break
        c.starts.append(start)
        in_remission = c.responder and k > 1 and c.resp_day <= start
        pattern = (0.5, 0.5, 0.5) if in_remission else (0.8, 0.5, 0.5)
        for day, dose in zip((1, 8, 15), pattern, strict=True):
            study_day = start + day - 1
            if study_day < limit:
                c.doses.append((k, day, study_day, dose))


def _marrow(day: int, kind: str, blasts: float, anc: float, plat: float, emd: str = "N", site: str | None = None):
    return {"day": day, "kind": kind, "blasts": blasts, "anc": anc, "plat": plat, "emd": emd, "emd_site": site}


def plan_marrows(c: Course, emd_baseline: bool, rng: np.random.Generator) -> list[dict]:
    """The bone-marrow assessments: a baseline on or before day 0; for responders possibly an
    earlier non-remission marrow, the first CR/CRi exactly on the response day, remission marrows
    until the relapse (exactly on response + DOR) or the end of follow-up; for non-responders one
    or two marrows with blasts >= 5 % (or EMD). ``kind``: BASE, NR, PARTIAL, CR, CRi, REM, REMi,
    REM_HSCT, REL, REL_EMD."""
    p = c.patient
    base_blasts = _uniform(rng, 20.0, 95.0)
    base_site = _pick(rng, EMD_SITES) if emd_baseline else None
    marrows = [
        _marrow(
            -_int(rng, 1, 14),
            "BASE",
            base_blasts,
            _uniform(rng, 0.1, 2.5, 2),
            float(_int(rng, 8, 140)),
            "Y" if emd_baseline else "N",
            base_site,
        )
    ]
    if not c.responder:
        if c.os <= 30:
            days = [_int(rng, max(1, c.os - 6), c.os - 1)]
        else:
            days = [_int(rng, 18, min(31, c.os - 1))]
            if len(c.starts) >= 2:
                second = c.starts[1] + _int(rng, 20, 27)
                if days[0] + 7 < second < c.os:
                    days.append(second)
        for k, day in enumerate(days):
            blasts = round(min(98.0, max(6.0, base_blasts * float(rng.uniform(0.3, 1.2)))), 1)
            emd = "Y" if emd_baseline and rng.random() < 0.5 else "N"
            marrow = _marrow(day, "NR", blasts, _uniform(rng, 0.05, 1.5, 2), float(_int(rng, 5, 90)), emd)
            if emd == "Y":
                marrow["emd_site"] = base_site
            if p == 23 and k == 0:  # boundary: exactly 5 % blasts, full counts: not a remission
                marrow.update(blasts=5.0, anc=1.8, plat=124.0, emd="N", emd_site=None)
            if p == 53 and k == 0:  # boundary: marrow clear but extramedullary disease
                marrow.update(blasts=3.0, anc=1.2, plat=108.0, emd="Y", emd_site=base_site)
            marrows.append(marrow)
        return marrows

    resp = c.resp_day
    if resp >= 40 and rng.random() < 0.75:
        marrows.append(
            _marrow(
                _int(rng, 18, resp - 12),
                "PARTIAL",
                _uniform(rng, 5.5, 35.0),
                _uniform(rng, 0.2, 2.0, 2),
                float(_int(rng, 15, 120)),
            )
        )
    if c.response == "CR":
        first = _marrow(resp, "CR", _uniform(rng, 0.0, 4.5), _uniform(rng, 1.05, 4.5, 2), float(_int(rng, 101, 320)))
    else:
        first = _marrow(resp, "CRi", _uniform(rng, 0.0, 4.5), _uniform(rng, 0.2, 0.95, 2), float(_int(rng, 30, 95)))
    first.update(
        {
            11: {"plat": 100.0, "anc": 1.6},
            52: {"anc": 1.0, "plat": 165.0},
            10: {"blasts": 4.9},
            7: {"plat": 99.0, "anc": 2.1},
            33: {"anc": 0.99, "plat": 140.0},
            71: {"plat": 45.0, "anc": 0.6},
        }.get(p, {})
    )
    marrows.append(first)

    end = c.rel_day if c.relapse else c.os
    days: list[int] = []
    day = resp + _int(rng, 42, 90)
    while day < end - 7 and len(days) < 10:
        days.append(day)
        day += _int(rng, 60, 120) if day - resp < 365 else _int(rng, 150, 365)
    hsct_days = []
    if c.hsct is not None:
        for offset in (30, 100):
            d = c.hsct + offset + _int(rng, -3, 3)
            if resp + 14 < d < end - 7:
                hsct_days.append(d)
    kept: list[int] = []
    for d in sorted(set(days) | set(hsct_days)):
        if d > resp + 14 and (not kept or d - kept[-1] >= 14):
            kept.append(d)
    for d in kept:
        recovered = c.response == "CR" and rng.random() < 0.85
        after_hsct = c.hsct is not None and d > c.hsct
        kind = ("REM_HSCT" if after_hsct else "REM") if recovered else "REMi"
        if recovered:
            marrow = _marrow(d, kind, _uniform(rng, 0.0, 3.5), _uniform(rng, 1.2, 6.0, 2), float(_int(rng, 110, 380)))
        else:
            marrow = _marrow(d, kind, _uniform(rng, 0.0, 3.5), _uniform(rng, 0.3, 0.95, 2), float(_int(rng, 40, 98)))
        marrows.append(marrow)
    if p == 2:  # boundary: 4.9 % blasts between response and relapse is still a remission
        remission = [m for m in marrows if m["kind"] in ("REM", "REM_HSCT", "REMi")]
        remission[len(remission) // 2]["blasts"] = 4.9
    if c.relapse:
        relapse = _marrow(
            c.rel_day, "REL", _uniform(rng, 8.0, 85.0), _uniform(rng, 0.1, 1.5, 2), float(_int(rng, 10, 90))
        )
        if p == 1:  # boundary: exactly 5 % blasts is a relapse
            relapse.update(blasts=5.0, anc=1.4, plat=112.0)
        if p == 16:  # boundary: isolated CNS relapse, marrow clear
            relapse.update(kind="REL_EMD", blasts=1.5, anc=2.2, plat=180.0, emd="Y", emd_site="SNC")
        marrows.append(relapse)
    return marrows


def _ae(std: str, day: int, grade: int, related: str, serious: str, end: int | None) -> dict:
    return {"std": std, "day": day, "grade": grade, "related": related, "serious": serious, "end": end}


def plan_adverse_events(c: Course, rng: np.random.Generator) -> list[dict]:
    """Adverse events, each dated between day 0 and the last contact / death."""
    p, os_days = c.patient, c.os
    treat_end = min(c.last_dose + 21, os_days)  # on treatment and the weeks after
    if c.hsct is not None:
        treat_end = min(treat_end, c.hsct - 1)
    events: list[dict] = []

    def end_of(day: int, low: int, high: int) -> int | None:
        stop = day + _int(rng, low, high)
        return stop if stop <= os_days else None

    def on_treatment(low: int = 1) -> int:
        return _int(rng, min(low, treat_end), max(min(low, treat_end), treat_end))

    # VOD/SOS (italy_times): grade 3-4, grade 5 when it was the cause of death
    if c.vod is not None:
        if c.cause == "VOD/SOS":
            events.append(_ae(VOD, c.vod, 5, "Y", "Y", os_days))
        else:
            events.append(_ae(VOD, c.vod, _pick(rng, [3, 3, 4]), "Y", "Y", end_of(c.vod, 14, 40)))
    # grade >= 3 liver toxicities and pneumonia (explicit allocation)
    if p in LIVER_G3:
        std, grade = LIVER_G3[p]
        day = on_treatment(5)
        events.append(_ae(std, day, grade, "Y", "Y" if grade >= 4 else "N", end_of(day, 7, 28)))
    if p in PNEUMONIA:
        grade = PNEUMONIA[p]
        if grade == 5:
            day = os_days - _int(rng, 8, 16)
            events.append(_ae("PNEUMONIA", day, 5, "N", "Y", os_days))
        else:
            day = _int(rng, 10, max(11, min(os_days - 3, c.last_dose + 60)))
            events.append(_ae("PNEUMONIA", day, grade, "N", "Y", end_of(day, 10, 25)))
    if p in SEPSIS_G3:
        day = on_treatment(6)
        events.append(_ae("SEPSIS", day, 3, "N", "Y", end_of(day, 7, 18)))
    # the fatal event of deaths from infection or GvHD (pneumonia and VOD above)
    if p in FATAL_AE and FATAL_AE[p] not in ("PNEUMONIA", VOD):
        std = FATAL_AE[p]
        if "GRAFT" in std:
            day = max(c.hsct + 15, os_days - _int(rng, 20, 90))
        else:
            day = os_days - _int(rng, 3, 10)
        events.append(_ae(std, day, 5, "N", "Y", os_days))
    # transplant complications (acute GvHD, CMV) after the HSCT
    if c.hsct is not None and p not in FATAL_AE:
        if p in AGVHD_G3:
            day = c.hsct + _int(rng, 18, 40)
            events.append(_ae("ACUTE GRAFT VERSUS HOST DISEASE", day, 3, "N", "Y", end_of(day, 20, 60)))
        elif rng.random() < 0.4:
            day = c.hsct + _int(rng, 15, 45)
            if day < os_days:
                events.append(_ae("ACUTE GRAFT VERSUS HOST DISEASE", day, _pick(rng, [1, 2, 2]), "N", "N", None))
                events[-1]["end"] = end_of(day, 14, 60)
        if rng.random() < 0.3:
            day = c.hsct + _int(rng, 20, 60)
            if day < os_days:
                events.append(_ae("CYTOMEGALOVIRUS INFECTION REACTIVATION", day, 2, "N", "N", end_of(day, 10, 30)))
    # haematological and other events during treatment
    nr = not c.responder
    if rng.random() < (0.6 if nr else 0.4):
        day = on_treatment(5)
        events.append(_ae("FEBRILE NEUTROPENIA", day, _pick(rng, [3, 3, 3, 4]), _pick(rng, ["Y", "N"]), "Y", None))
        events[-1]["end"] = end_of(day, 3, 10)
    if rng.random() < 0.35:
        day = on_treatment(3)
        events.append(_ae("THROMBOCYTOPENIA", day, _pick(rng, [3, 4]), "Y", "N", end_of(day, 7, 30)))
    if rng.random() < 0.25:
        day = on_treatment(4)
        events.append(_ae("NEUTROPENIA", day, _pick(rng, [3, 4]), "Y", "N", end_of(day, 5, 21)))
    if rng.random() < 0.15:
        day = on_treatment(2)
        events.append(_ae("ANAEMIA", day, _pick(rng, [2, 3]), "N", "N", end_of(day, 7, 30)))
    if p not in LIVER_G3 and rng.random() < 0.2:
        day = on_treatment(4)
        events.append(_ae("TRANSAMINASES INCREASED", day, _pick(rng, [1, 2]), "Y", "N", end_of(day, 7, 21)))
    dose_days = [d for _, _, d, _ in c.doses]
    if rng.random() < 0.2:
        day = min(_pick(rng, dose_days) + 1, os_days)
        events.append(_ae("NAUSEA", day, _pick(rng, [1, 2]), "Y", "N", end_of(day, 1, 4)))
    if rng.random() < 0.08:
        events.append(_ae("INFUSION RELATED REACTION", 0, _pick(rng, [1, 2]), "Y", "N", 0))
    for std, chance, grades in (
        ("FATIGUE", 0.15, [1, 2]),
        ("HEADACHE", 0.08, [1]),
        ("PYREXIA", 0.1, [1, 2]),
        ("ABDOMINAL PAIN", 0.08, [1, 2]),
        ("VOMITING", 0.06, [1, 2]),
        ("DIARRHOEA", 0.06, [1, 2]),
    ):
        if rng.random() < chance:
            day = on_treatment(1)
            events.append(_ae(std, day, _pick(rng, grades), _pick(rng, ["Y", "N"]), "N", end_of(day, 2, 14)))
    if c.hsct is not None and rng.random() < 0.3 and c.hsct + 5 < os_days:
        day = c.hsct + _int(rng, 2, 5)
        events.append(_ae("MUCOSAL INFLAMMATION", day, 2, "N", "N", end_of(day, 7, 14)))
    # one record per term and onset day
    seen: set[tuple[str, int]] = set()
    kept = []
    for e in sorted(events, key=lambda e: (e["day"], e["std"])):
        if (e["std"], e["day"]) not in seen:
            seen.add((e["std"], e["day"]))
            kept.append(e)
    return kept


def plan_stays(c: Course, events: list[dict], rng: np.random.Generator) -> list[tuple[int, int, str]]:
    """Inpatient stays (admission day, discharge day, ward): cycle-1 admissions, stays for
    complications, the transplant admission, terminal admissions; the final days of some fatal
    events in intensive care. Stays do not overlap; all lie within day 0 .. last contact/death."""
    os_days = c.os
    wanted: list[tuple[int, int]] = []
    if rng.random() < 0.7:
        wanted.append((0, _int(rng, 3, 10)))
    if len(c.starts) > 1 and rng.random() < 0.15:
        wanted.append((c.starts[1], c.starts[1] + _int(rng, 3, 5)))
    for e in events:
        std, grade = e["std"], e["grade"]
        if std == VOD:
            wanted.append((e["day"], e["day"] + _int(rng, 10, 40)))
        elif std in ("PNEUMONIA", "SEPSIS", "SEPTIC SHOCK") and grade >= 3:
            wanted.append((e["day"], e["day"] + _int(rng, 7, 30)))
        elif std == "FEBRILE NEUTROPENIA":
            wanted.append((e["day"], e["day"] + _int(rng, 5, 14)))
        elif "GRAFT" in std and grade >= 3:
            wanted.append((e["day"], e["day"] + _int(rng, 10, 40)))
    if c.hsct is not None:
        wanted.append((c.hsct - _int(rng, 7, 10), c.hsct + _int(rng, 18, 35)))
    if c.dead and c.cause in ("Disease progression", "Relapse") and rng.random() < 0.6:
        wanted.append((os_days - _int(rng, 3, 20), os_days))
    clipped = sorted((max(0, a), min(b, os_days)) for a, b in wanted if max(0, a) <= os_days)
    merged: list[list[int]] = []
    for a, b in clipped:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    stays = [(a, b, WARD) for a, b in merged]
    if c.patient in ICU_DEATHS:
        icu = os_days - _int(rng, 2, 8)
        kept = []
        for a, b, ward in stays:
            if b < icu:
                kept.append((a, b, ward))
            elif a < icu:
                kept.append((a, icu, ward))  # transferred to intensive care on the day
        stays = [*kept, (icu, os_days, ICU)]
    return stays


def plan_transfusions(c: Course, rng: np.random.Generator) -> list[tuple[int, str, int]]:
    """Transfusion episodes during IO treatment (day, product, units): 0-30 units per patient,
    more for non-responders (refractory cytopenias)."""
    window_end = min(c.last_dose + 35, c.os)
    if c.hsct is not None:
        window_end = min(window_end, c.hsct - 1)
    days = list(range(1, window_end + 1))
    if not days:
        return []
    nr = not c.responder
    episodes = []
    for product, (low, high), per in ((RBC, (1, 7) if nr else (0, 4), (1, 2)), (PLT, (1, 8) if nr else (0, 5), (1, 2))):
        n = min(_int(rng, low, high), len(days))
        for day in sorted(int(d) for d in rng.choice(days, size=n, replace=False)):
            episodes.append((day, product, _int(rng, *per) if product == RBC else (1 if rng.random() < 0.8 else 2)))
    total = 0
    kept = []
    for e in sorted(episodes):
        if total + e[2] <= 30:
            kept.append(e)
            total += e[2]
    return kept


# ---------------------------------------------------------------------------------------------
# The cohort
# ---------------------------------------------------------------------------------------------


def build_italy_cohort(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """The truth frames of the synthetic INO-CD22 cohort (SYNTHETIC DATA), one per domain the
    Italian centres send (screening, patients, dosing, assessments, transplants, transfusions,
    hospitalisations, adverse_events, followup), plus ``outcomes`` (one row per patient: site,
    subject id, italy_times ``PATIENT`` and its time-to-event facts, the first-dose date).
    Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    times = italy_survival()
    sites = _allocate_sites(rng, set(times.loc[times["DEATH"], "PATIENT"].astype(int)))
    first_doses = {int(r["PATIENT"]): _first_dose(r, rng) for _, r in times.iterrows()}
    baseline = _baseline(times, rng).set_index("PATIENT")
    # subject ids per centre in order of first dose
    ids: dict[int, str] = {}
    for site in SITE_SIZES:
        patients = sorted((p for p, s in sites.items() if s == site), key=lambda p: (first_doses[p], p))
        for k, patient in enumerate(patients, start=1):
            ids[patient] = subject_id(site, k)

    tables: dict[str, list[dict]] = {name: [] for name in DOMAIN_COLUMNS}
    outcomes = []
    for _, row in times.iterrows():
        c = Course(row)
        p = c.patient
        site, family = sites[p], SITE_FAMILY[sites[p]]
        day0 = first_doses[p]
        ident = {"SITEID": site, "SUBJID": ids[p]}
        b = baseline.loc[p]

        def on(day: int | None, day0: date = day0) -> date | None:
            return None if day is None else day0 + timedelta(days=int(day))

        plan_cycles(c, rng)
        bsa = _uniform(rng, 1.45, 2.20, 2)
        lines = int(b["PRIOR_LINES"])
        diag = day0 - timedelta(days=_int(rng, 150, 330) + (lines - 1) * _int(rng, 150, 330))
        tables["patients"].append(
            {
                **ident,
                "AGE_YEARS": float(b["AGE_YEARS"]),
                "SEX": b["SEX"],
                "PH_STATUS": b["PH_STATUS"],
                "TKI_FAILED": int(b["TKI_FAILED"]),
                "CD22_PCT": float(b["CD22_PCT"]),
                "DIAG_DATE": diag,
                "DISEASE_STATUS": b["DISEASE_STATUS"],
                "PRIOR_LINES": lines,
                "SALVAGE_LINE": lines,
                "PRIOR_BLINA": b["PRIOR_BLINA"],
                "PRIOR_INDUCTION": b["PRIOR_INDUCTION"],
            }
        )
        for cycle, day, study_day, dose in c.doses:
            tables["dosing"].append(
                {**ident, "CYCLE": cycle, "DAY": day, "DOSE_DATE": on(study_day), "DOSE": dose, "BSA": bsa}
            )
        emd_baseline = p == 53 or rng.random() < 0.1
        labels = RESPONSE_LABELS[family]
        for m in plan_marrows(c, emd_baseline, rng):
            kind = m["kind"]
            if kind == "BASE":
                label = labels["BASE_REFRACTORY" if b["DISEASE_STATUS"] == "REFRACTORY" else "BASE_RELAPSED"]
            else:
                label = labels[kind]
            if p == 23 and m["blasts"] == 5.0:
                label = labels["CR"]  # the centre reads <= 5 % as remission
            if p == 11 and kind == "CR":
                label = labels["CRi"]  # the centre reads platelets of exactly 100 as not recovered
            tables["assessments"].append(
                {
                    **ident,
                    "ASSESS_DATE": on(m["day"]),
                    "BM_BLASTS": float(m["blasts"]),
                    "ANC": float(m["anc"]),
                    "PLATELETS": float(m["plat"]),
                    "EMD": m["emd"],
                    "EMD_SITE": m["emd_site"],
                    "SITE_RESPONSE": label,
                }
            )
        if c.hsct is not None:
            donor = _pick(rng, [MUD, MUD, MSD, MSD, HAPLO, HAPLO, MUD])
            conditioning = MAC if (b["AGE_YEARS"] < 55) != (rng.random() < 0.15) else RIC
            tables["transplants"].append(
                {**ident, "HSCT_DATE": on(c.hsct), "HSCT_TYPE": donor, "CONDITIONING": conditioning}
            )
        events = plan_adverse_events(c, rng)
        for e in events:
            tables["adverse_events"].append(
                {
                    **ident,
                    "AE_TERM": _pick(rng, AE_VERBATIMS[family][e["std"]]),
                    "AE_START": on(e["day"]),
                    "AE_END": on(e["end"]),
                    "GRADE": e["grade"],
                    "RELATED": e["related"],
                    "SERIOUS": e["serious"],
                    "AE_DECOD": e["std"],
                }
            )
        for admit, discharge, ward in plan_stays(c, events, rng):
            tables["hospitalisations"].append(
                {**ident, "ADMIT_DATE": on(admit), "DISCHARGE_DATE": on(discharge), "WARD": ward}
            )
        for day, product, units in plan_transfusions(c, rng):
            tables["transfusions"].append({**ident, "TRANSF_DATE": on(day), "PRODUCT": product, "UNITS": units})
        cause_std = DEATH_CAUSE_STD[c.cause] if c.dead else None
        tables["followup"].append(
            {
                **ident,
                "LAST_CONTACT": on(c.os),
                "STATUS": "DEAD" if c.dead else "ALIVE",
                "DEATH_DATE": on(c.os) if c.dead else None,
                "DEATH_CAUSE": _pick(rng, DEATH_VERBATIMS[family][cause_std]) if c.dead else None,
                "DEATH_CAUSE_STD": cause_std,
            }
        )
        tables["screening"].append(
            {
                **ident,
                "SCREEN_DATE": day0 - timedelta(days=_int(rng, 2, 15)),
                "AGE": int(math.floor(float(b["AGE_YEARS"]))),
                "CD22_POSITIVE": "Y",
                "RELAPSED_REFRACTORY": "Y",
                "INO_MONOTHERAPY": "Y",
                "PH_STATUS": b["PH_STATUS"],
                "TKI_FAILED": int(b["TKI_FAILED"]),
            }
        )
        outcomes.append(
            {
                **ident,
                "PATIENT": p,
                "FIRST_DOSE_DATE": day0,
                **{k: row[k] for k in row.index if k != "PATIENT"},
            }
        )
    for site, reason in EXCLUSIONS:
        ph = "POSITIVE" if rng.random() < 0.25 else "NEGATIVE"
        tables["screening"].append(
            {
                "SITEID": site,
                "SUBJID": None,
                "SCREEN_DATE": FIRST_DOSE_FROM + timedelta(days=_int(rng, 60, (FIRST_DOSE_TO - FIRST_DOSE_FROM).days)),
                "AGE": _int(rng, 16, 17) if reason == "under_18" else _int(rng, 22, 70),
                "CD22_POSITIVE": "N" if reason == "cd22_negative" else "Y",
                "RELAPSED_REFRACTORY": "N" if reason == "not_relapsed_refractory" else "Y",
                "INO_MONOTHERAPY": "Y",
                "PH_STATUS": ph,
                "TKI_FAILED": _int(rng, 1, 2) if ph == "POSITIVE" else 0,
            }
        )
    return _frames(tables, outcomes)


def _frames(tables: dict[str, list[dict]], outcomes: list[dict]) -> dict[str, pd.DataFrame]:
    order = {(o["SITEID"], o["SUBJID"]): (o["SITEID"], o["FIRST_DOSE_DATE"]) for o in outcomes}
    sort_by = {
        "dosing": ["CYCLE", "DAY"],
        "assessments": ["ASSESS_DATE"],
        "transfusions": ["TRANSF_DATE", "PRODUCT"],
        "hospitalisations": ["ADMIT_DATE"],
        "adverse_events": ["AE_START", "AE_TERM"],
    }
    frames: dict[str, pd.DataFrame] = {}
    for name, columns in DOMAIN_COLUMNS.items():
        frame = pd.DataFrame(tables[name], columns=["SITEID", *columns, *EXTRA_COLUMNS.get(name, [])])
        if name == "screening":
            frame = frame.sort_values(["SITEID", "SCREEN_DATE"], kind="stable").reset_index(drop=True)
            numbers = frame.groupby("SITEID").cumcount() + 1
            frame["SCREEN_ID"] = [screening_id(s, int(k)) for s, k in zip(frame["SITEID"], numbers, strict=True)]
            frames[name] = frame
            continue
        frame["_order"] = [order[(s, i)] for s, i in zip(frame["SITEID"], frame["SUBJID"], strict=True)]
        frame = frame.sort_values(["_order", *sort_by.get(name, [])], kind="stable").drop(columns="_order")
        frames[name] = frame.reset_index(drop=True)
    outcome_frame = pd.DataFrame(outcomes)
    outcome_frame["_order"] = [
        order[(s, i)] for s, i in zip(outcome_frame["SITEID"], outcome_frame["SUBJID"], strict=True)
    ]
    frames["outcomes"] = (
        outcome_frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    )
    return frames


# ---------------------------------------------------------------------------------------------
# Self-check: the study definitions applied to the truth frames (independent of inoflow)
# ---------------------------------------------------------------------------------------------


def derive_from_truth(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per-patient facts derived from the truth frames with the Italian definitions, in days from
    the first dose: BESTRSP, RESPONSE_DAY, RELAPSE_DAY, OS_DAYS / DEATH, DOR_DAYS / DOR_EVENT,
    HSCT_DAY, VOD (a reported VENO-OCCLUSIVE DISEASE on or after day 0)."""
    rows = []
    fu = frames["followup"].set_index(["SITEID", "SUBJID"])
    dated = [
        ("dosing", "DOSE_DATE"),
        ("assessments", "ASSESS_DATE"),
        ("transplants", "HSCT_DATE"),
        ("transfusions", "TRANSF_DATE"),
    ]
    for (site, subj), f in fu.iterrows():
        own = {name: frame[(frame["SITEID"] == site) & (frame["SUBJID"] == subj)] for name, frame in frames.items()}
        first = own["dosing"]["DOSE_DATE"].min()
        a = own["assessments"].sort_values("ASSESS_DATE")
        post = a[a["ASSESS_DATE"] > first]
        clear = (post["BM_BLASTS"] < 5) & (post["EMD"] == "N")
        recovered = (post["PLATELETS"] >= 100) & (post["ANC"] >= 1.0)
        best = "CR" if (clear & recovered).any() else "CRi" if clear.any() else "NR" if len(post) else "NE"
        rec: dict[str, Any] = {"SITEID": site, "SUBJID": subj, "BESTRSP": best}
        last_alive = max(
            [f["LAST_CONTACT"]] + [d for name, col in dated for d in own[name][col].dropna() if d is not None]
        )
        dead = f["STATUS"] == "DEAD"
        end = f["DEATH_DATE"] if dead else last_alive
        rec["OS_DAYS"], rec["DEATH"] = (end - first).days, dead
        rec["RESPONSE_DAY"] = rec["RELAPSE_DAY"] = rec["DOR_DAYS"] = rec["DOR_EVENT"] = None
        if clear.any():
            respdt = post[clear]["ASSESS_DATE"].iloc[0]
            later = post[post["ASSESS_DATE"] > respdt]
            lost = later[(later["BM_BLASTS"] >= 5) | (later["EMD"] == "Y")]
            reldt = lost["ASSESS_DATE"].iloc[0] if len(lost) else None
            events = [d for d in (reldt, f["DEATH_DATE"] if dead else None) if d is not None]
            stop = min(events) if events else last_alive
            rec.update(
                RESPONSE_DAY=(respdt - first).days,
                RELAPSE_DAY=None if reldt is None else (reldt - first).days,
                DOR_DAYS=(stop - respdt).days,
                DOR_EVENT=bool(events),
            )
        h = own["transplants"]
        h = h[h["HSCT_DATE"] >= first]
        rec["HSCT_DAY"] = (h["HSCT_DATE"].min() - first).days if len(h) else None
        v = own["adverse_events"]
        rec["VOD"] = bool(((v["AE_DECOD"] == VOD) & (v["AE_START"] >= first)).any())
        rows.append(rec)
    return pd.DataFrame(rows)


def check_italy_cohort(frames: dict[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """Derive the published counts and the time-to-event truth from the truth frames; raise
    AssertionError on any mismatch with :mod:`inodemo.italy_times` or the abstract."""
    frames = frames if frames is not None else build_italy_cohort()
    derived = derive_from_truth(frames).merge(
        frames["outcomes"][["SITEID", "SUBJID", "PATIENT"]], on=["SITEID", "SUBJID"]
    )
    truth = italy_survival().set_index("PATIENT")
    problems = []
    for _, d in derived.iterrows():
        t = truth.loc[d["PATIENT"]]
        want = {
            "BESTRSP": t["RESPONSE"],
            "OS_DAYS": int(t["OS_DAYS"]),
            "DEATH": bool(t["DEATH"]),
            "RESPONSE_DAY": _value(t["RESPONSE_DAY"]),
            "DOR_DAYS": _value(t["DOR_DAYS"]),
            "DOR_EVENT": _value(t["DOR_EVENT"]),
            "HSCT_DAY": _value(t["HSCT_DAY"]),
            "VOD": bool(t["VOD"]),
        }
        for key, value in want.items():
            got = _value(d[key])
            if (got is None) != (value is None) or (got is not None and got != value):
                problems.append(f"patient {d['PATIENT']} ({d['SITEID']} {d['SUBJID']}) {key}: {got!r} != {value!r}")
    pts = frames["patients"]
    ages = sorted(pts["AGE_YEARS"])
    lines = pts["PRIOR_LINES"]
    summary = {
        "n": len(pts),
        "best_response": derived["BESTRSP"].value_counts().to_dict(),
        "hsct": int(derived["HSCT_DAY"].notna().sum()),
        "vod": int(derived["VOD"].sum()),
        "prior_blina": int((pts["PRIOR_BLINA"] == "Y").sum()),
        "prior_induction": int((pts["PRIOR_INDUCTION"] == "Y").sum()),
        "age_median": float(np.median(ages)),
        "age_order_28_29_45_46": (ages[27], ages[28], ages[44], ages[45]),
        "prior_lines_median_q1_q3": tuple(
            float(q) for q in np.quantile(lines, [0.5, 0.25, 0.75], method="averaged_inverted_cdf")
        ),
    }
    expect = {
        "n": 73,
        "best_response": {"CR": 51, "NR": 19, "CRi": 3},
        "hsct": 27,
        "vod": 8,
        "prior_blina": 42,
        "prior_induction": 62,
        "age_median": 52.7,
        "age_order_28_29_45_46": (51.9, 51.9, 53.5, 53.5),
        "prior_lines_median_q1_q3": (3.0, 2.0, 4.0),
    }
    problems += [f"{k}: {summary[k]!r} != {v!r}" for k, v in expect.items() if summary[k] != v]
    if problems:
        raise AssertionError("the Italian cohort does not reproduce its truth:\n  " + "\n  ".join(problems))
    return summary


if __name__ == "__main__":  # pragma: no cover
    print(check_italy_cohort())
