"""The sites' screening logs: every case identified, enrolled or not.

The paper's Figure 1: 50 cases of CD22+ R/R B-ALL treated with InO were identified and 32
were eligible. The 18 exclusions are not itemised in the publication; the reconstruction
gives each one failed inclusion criterion of the registry record, so that eligibility can be
derived from the facts in the log (never from a site's own verdict).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

COLUMNS = [
    "SITEID",
    "SCREEN_ID",
    "SUBJID",
    "SCREEN_DATE",
    "AGE",
    "CD22_POSITIVE",
    "RELAPSED_REFRACTORY",
    "INO_MONOTHERAPY",
    "PH_STATUS",
    "TKI_FAILED",
]

# (site, failed criterion) for each of the 18 cases identified but not eligible
EXCLUSIONS = [
    ("IN01", "not_monotherapy"), ("IN01", "not_monotherapy"), ("IN01", "cd22_negative"), ("IN01", "under_18"), ("IN01", "ph_without_tki_failure"),
    ("IN02", "not_monotherapy"), ("IN02", "cd22_negative"), ("IN02", "under_18"), ("IN02", "not_relapsed_refractory"),
    ("IN03", "not_monotherapy"), ("IN03", "cd22_negative"), ("IN03", "ph_without_tki_failure"), ("IN03", "under_18"),
    ("IN04", "not_monotherapy"), ("IN04", "cd22_negative"), ("IN04", "ph_without_tki_failure"),
    ("IN05", "not_monotherapy"), ("IN05", "not_relapsed_refractory"),
]  # fmt: skip


def build_screening_log(patients: pd.DataFrame, outcomes: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per identified case: the enrolled patients (criteria met) and the exclusions."""
    rng = np.random.default_rng(seed + 1)  # its own stream: the cohort's draws stay as they were
    first_dose = outcomes.set_index("SUBJID")["first_dose_date"]
    rows = []
    for p in patients.to_dict("records"):
        rows.append(
            {
                "SITEID": p["SITEID"],
                "SUBJID": p["SUBJID"],
                "SCREEN_DATE": first_dose[p["SUBJID"]] - timedelta(days=int(rng.integers(3, 15))),
                "AGE": int(p["AGE"]),
                "CD22_POSITIVE": "Y",
                "RELAPSED_REFRACTORY": "Y",
                "INO_MONOTHERAPY": "Y",
                "PH_STATUS": p["PH_STATUS"],
                "TKI_FAILED": int(p["TKI_FAILED"]),
            }
        )
    for site, reason in EXCLUSIONS:
        ph = "POSITIVE" if reason == "ph_without_tki_failure" or rng.random() < 0.2 else "NEGATIVE"
        rows.append(
            {
                "SITEID": site,
                "SUBJID": None,
                "SCREEN_DATE": date(2017, 3, 1) + timedelta(days=int(rng.integers(0, 2000))),
                "AGE": int(rng.integers(16, 18)) if reason == "under_18" else int(rng.integers(19, 70)),
                "CD22_POSITIVE": "N" if reason == "cd22_negative" else "Y",
                "RELAPSED_REFRACTORY": "N" if reason == "not_relapsed_refractory" else "Y",
                "INO_MONOTHERAPY": "N" if reason == "not_monotherapy" else "Y",
                "PH_STATUS": ph,
                "TKI_FAILED": 0 if ph == "NEGATIVE" or reason == "ph_without_tki_failure" else int(rng.integers(1, 3)),
            }
        )
    log = pd.DataFrame(rows)
    log = log.sort_values(["SITEID", "SCREEN_DATE"], kind="stable").reset_index(drop=True)
    log["SCREEN_ID"] = (
        log["SITEID"].str[-2:].radd("SCR-") + "-" + (log.groupby("SITEID").cumcount() + 1).map("{:03d}".format)
    )
    return log[COLUMNS]
