"""Safety: VOD, grade 3/4 liver toxicity and haematological toxicity (OM22-OM27, Tables 6-7)."""

from __future__ import annotations

import pandas as pd

from inoflow import ard as cards
from inoflow.endpoints import AGE_LEVELS, BURDEN_LEVELS, SALVAGE_LEVELS, YN

LIVER = ["ASTFL", "ALTFL", "BILIFL"]
HAEM = ["THRMBFL", "NEUTRFL", "FNFL"]


def build_ard(adam: dict[str, pd.DataFrame], definitions: dict) -> pd.DataFrame:
    adsl = adam["ADSL"]
    saf = adsl[adsl["SAFFL"] == "Y"]
    post = saf[saf["POSTBLFL"] == "Y"]  # Table 6 population: patients with follow-up after baseline
    rows: list[dict] = []
    rows += cards.ard_proportion_ci(saf, "VODFL", "OM22")
    rows += cards.ard_proportion_ci(saf[saf["VODFL"] == "Y"], "VODHSCFL", "OM22")
    for output in ("OM22", "T6"):
        rows += cards.ard_proportion_ci(post, "VODFL", output, by="HSCTFL", by_levels=YN)
    for output in ("OM23", "T7"):
        rows += cards.ard_proportion_ci(saf, "VODFL", output, by="SALVLNGR", by_levels=SALVAGE_LEVELS)
    rows += cards.ard_proportion_ci(saf, "VODFL", "OM24", by="BURDEN", by_levels=BURDEN_LEVELS)
    rows += cards.ard_proportion_ci(saf, "VODFL", "OM25", by="AGEGR1", by_levels=AGE_LEVELS[1:])
    rows += cards.ard_proportion_ci(saf, "LIVTOXFL", "OM26")
    for flag in LIVER:
        rows += cards.ard_proportion_ci(saf, flag, "OM26")
    rows += cards.ard_proportion_ci(saf, "HEMTOXFL", "OM27")
    for flag in HAEM:
        rows += cards.ard_proportion_ci(saf, flag, "OM27")
    rows += cards.ard_proportion_ci(post, "LIVTOXFL", "T6", by="HSCTFL", by_levels=YN)
    rows += cards.ard_proportion_ci(post, "HEMTOXFL", "T6", by="HSCTFL", by_levels=YN)
    return cards.finish(rows)
