"""Response to InO: CR/CRi overall and by subgroup, cycles, doses, HSCT, concomitant
medication, EMD (OM01-OM03, OM08-OM10, OM12-OM15, OM28; Tables 1-4; Figure 1 counts)."""

from __future__ import annotations

import pandas as pd

from inoflow.analysis import ard as cards
from inoflow.analysis.endpoints import AGE_LEVELS, BURDEN_LEVELS, SALVAGE_LEVELS, SUBGROUPS


def ard_rows(adam: dict[str, pd.DataFrame], definitions: dict) -> list[dict]:
    adsl = adam["ADSL"]
    fas = adsl[adsl["FASFL"] == "Y"]
    resp = fas[fas["RESPFL"] == "Y"]
    rows: list[dict] = []
    for output in ("OM02", "T3"):  # N = n of the column headers (the full analysis set, by salvage line)
        rows += cards.ard_total_n(fas, output, by="SALVLNGR", by_levels=SALVAGE_LEVELS)
    for output in ("OM03", "T4"):
        rows += cards.ard_total_n(fas, output, by="BURDEN", by_levels=BURDEN_LEVELS)
    rows += cards.ard_total_n(fas, "OM15")
    rows += cards.ard_total_n(fas, "OM15", by="RESPFL", by_levels=["Y", "N"])
    rows += cards.ard_total_n(fas, "T1")
    # OM01: CR or CRi, with the best response categories behind it
    rows += cards.ard_proportion_ci(fas, "RESPFL", "OM01")
    rows += cards.ard_categorical(fas, "BESTRSP", "OM01", ["CR", "CRi", "NR", "NE"])
    # OM02 / T3: by salvage line; OM03 / T4: by disease burden
    for output in ("OM02", "T3"):
        rows += cards.ard_proportion_ci(fas, "RESPFL", output, by="SALVLNGR", by_levels=SALVAGE_LEVELS)
    for output in ("OM03", "T4"):
        rows += cards.ard_proportion_ci(fas, "RESPFL", output, by="BURDEN", by_levels=BURDEN_LEVELS)
    # OM08: cycles received; OM09 / T2: cycles to CR/CRi; OM10: by salvage line (mean)
    rows += cards.ard_continuous(fas, "NCYCLES", "OM08")
    for output in ("OM09", "T2"):
        rows += cards.ard_continuous(resp, "CYCRESP", output)
    rows += cards.ard_continuous(resp, "CYCRESP", "OM10", by="SALVLNGR", by_levels=SALVAGE_LEVELS)
    # OM12: cycle-1 dose category; OM13: any dose modification; OM14: concomitant medication
    rows += cards.ard_categorical(fas, "DOSECAT", "OM12", ["STANDARD", "UNDER", "OVER"])
    rows += cards.ard_proportion_ci(fas, "DOSEMODFL", "OM13")
    rows += cards.ard_proportion_ci(fas, "CMFL", "OM14")
    # OM15: HSCT after InO, overall and among responders (and after a single cycle)
    rows += cards.ard_proportion_ci(fas, "HSCTFL", "OM15")
    rows += cards.ard_proportion_ci(fas, "HSCTFL", "OM15", by="RESPFL", by_levels=["Y", "N"])
    rows += cards.ard_proportion_ci(resp[resp["HSCTFL"] == "Y"], "HSCT1CFL", "OM15", by="RESPFL", by_levels=["Y"])
    # OM28: EMD/LBL at baseline who achieved CR/CRi
    rows += cards.ard_categorical(fas, "EMDBLFL", "OM28", ["Y", "N"])
    rows += cards.ard_proportion_ci(fas, "RESPFL", "OM28", by="EMDBLFL", by_levels=["Y"])
    emd_resp = fas[(fas["EMDBLFL"] == "Y") & (fas["RESPFL"] == "Y")]
    rows += cards.ard_categorical(emd_resp, "HSCTFL", "OM28", ["Y", "N"], by="EMDBLFL", by_levels=["Y"])
    # T1: patient characteristics
    rows += cards.ard_categorical(fas, "SEX", "T1", ["F", "M"])
    rows += cards.ard_categorical(fas, "AGEGR1", "T1", AGE_LEVELS)
    rows += cards.ard_continuous(fas, "AGE", "T1")
    rows += cards.ard_categorical(fas, "SALVLNGR", "T1", SALVAGE_LEVELS)
    rows += cards.ard_categorical(fas, "DISSTAT", "T1", ["RELAPSED", "REFRACTORY"])
    rows += cards.ard_categorical(fas, "NCYCLES", "T1", sorted(fas["NCYCLES"].dropna().unique()))
    rows += cards.ard_categorical(fas, "DOSECAT", "T1", ["STANDARD", "UNDER", "OVER"])
    rows += cards.ard_categorical(fas, "BURDEN", "T1", BURDEN_LEVELS)
    rows += cards.ard_categorical(fas, "EMDBLFL", "T1", ["Y"])
    # SF6: CR/CRi overall and by baseline subgroup (its forest plot)
    rows += cards.ard_proportion_ci(fas, "RESPFL", "SF6")
    for var, levels in SUBGROUPS:
        rows += cards.ard_proportion_ci(fas, "RESPFL", "SF6", by=var, by_levels=levels)
    # F1: disposition from the extracts: identified (screening logs) -> eligible (criteria
    # derived) -> analysed, reasons for exclusion, lost to follow-up windows
    adelig = adam["ADELIG"]
    rows += cards.ard_categorical(adelig, "ELIGFL", "F1", ["Y", "N"])
    excluded = adelig[adelig["ELIGFL"] == "N"]
    for criterion in definitions["eligibility"]:  # a case may fail several criteria: one count each
        rows += cards.ard_categorical(excluded, f"IC{criterion['criterion']}", "F1", ["N"])
    rows += cards.ard_categorical(adelig[adelig["ELIGFL"] == "Y"], "ENRLFL", "F1", ["Y"])
    rows += cards.ard_categorical(fas, "FASFL", "F1", ["Y"])
    rows += cards.ard_categorical(fas, "LTFUWIN", "F1", ["<6", "6-12", ">=12"])
    rows += cards.ard_categorical(fas, "EOSSTT", "F1", ["DEAD", "LOST TO FOLLOW-UP", "ALIVE"])  # a partition
    return rows
