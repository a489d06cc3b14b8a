"""Safety: VOD, grade 3/4 liver toxicity and haematological toxicity (OM22-OM27, Tables 6-7)."""

from __future__ import annotations

import pandas as pd

from inoflow.adam.adae import HAEM_FLAGS, LIVER_FLAGS, derive_subject_safety_flags
from inoflow.analysis import ard as cards
from inoflow.analysis.endpoints import AGE_LEVELS, BURDEN_LEVELS, SALVAGE_LEVELS, YN
from inoflow.analysis.lineage import tag

LIVER = list(LIVER_FLAGS.values())  # ASTFL, ALTFL, BILIFL
HAEM = list(HAEM_FLAGS.values())  # THRMBFL, NEUTRFL, FNFL


def adsl_with_safety_flags(adam: dict[str, pd.DataFrame], definitions: dict) -> pd.DataFrame:
    """ADSL with the subject-level safety flags (VODFL, VODHSCFL, LIVTOXFL, ASTFL, ALTFL, BILIFL,
    HEMTOXFL, THRMBFL, NEUTRFL, FNFL) derived from ADAE
    (:func:`inoflow.adam.adae.derive_subject_safety_flags`), one record per ADSL subject: what the
    safety and death outputs count. The flags are not stored in ADSL, so that ADSL does not
    depend on the adverse-event files."""
    adsl = adam["ADSL"]
    flags = derive_subject_safety_flags(adam["ADAE"], definitions, adsl["USUBJID"])
    return tag(adsl.merge(flags, on="USUBJID", how="left", validate="one_to_one"), "ADSL", "ADAE")


def any_and_each(data: pd.DataFrame, any_flag: str, flags: list[str], output_id: str) -> list[dict]:
    """A toxicity group (any) and each of its toxicities, as proportions with exact CIs."""
    rows = cards.ard_proportion_ci(data, any_flag, output_id)
    for flag in flags:
        rows += cards.ard_proportion_ci(data, flag, output_id)
    return rows


def ard_rows(adam: dict[str, pd.DataFrame], definitions: dict) -> list[dict]:
    adsl = adsl_with_safety_flags(adam, definitions)
    saf = adsl[adsl["SAFFL"] == "Y"]
    post = saf[saf["POSTBLFL"] == "Y"]  # Table 6 population: patients with follow-up after baseline
    rows: list[dict] = []
    # N = n of the column headers: by HSCT among patients with follow-up after baseline; the
    # total column of OM22 is the safety set
    rows += cards.ard_total_n(saf, "OM22")
    for output in ("OM22", "T6"):
        rows += cards.ard_total_n(post, output, by="HSCTFL", by_levels=YN)
    for output in ("OM23", "T7"):
        rows += cards.ard_total_n(saf, output, by="SALVLNGR", by_levels=SALVAGE_LEVELS)
    rows += cards.ard_total_n(saf, "OM24", by="BURDEN", by_levels=BURDEN_LEVELS)
    rows += cards.ard_proportion_ci(saf, "VODFL", "OM22")
    rows += cards.ard_proportion_ci(saf[saf["VODFL"] == "Y"], "VODHSCFL", "OM22")
    for output in ("OM22", "T6"):
        rows += cards.ard_proportion_ci(post, "VODFL", output, by="HSCTFL", by_levels=YN)
    for output in ("OM23", "T7"):
        rows += cards.ard_proportion_ci(saf, "VODFL", output, by="SALVLNGR", by_levels=SALVAGE_LEVELS)
    rows += cards.ard_proportion_ci(saf, "VODFL", "OM24", by="BURDEN", by_levels=BURDEN_LEVELS)
    rows += cards.ard_proportion_ci(saf, "VODFL", "OM25", by="AGEGR1", by_levels=AGE_LEVELS[1:])
    rows += any_and_each(saf, "LIVTOXFL", LIVER, "OM26")
    rows += any_and_each(saf, "HEMTOXFL", HAEM, "OM27")
    rows += cards.ard_proportion_ci(post, "LIVTOXFL", "T6", by="HSCTFL", by_levels=YN)
    rows += cards.ard_proportion_ci(post, "HEMTOXFL", "T6", by="HSCTFL", by_levels=YN)
    return rows
