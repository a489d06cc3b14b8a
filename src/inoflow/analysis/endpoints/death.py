"""Cause of death and the adverse-event summary of Table 8 (OM20, Table 8)."""

from __future__ import annotations

import pandas as pd

from inoflow.analysis import ard as cards
from inoflow.analysis.endpoints.safety import HAEM, LIVER, adsl_with_safety_flags, any_and_each

CAUSES = [
    "PROGRESSION OF DISEASE",
    "RELAPSE",
    "SEPTIC SHOCK",
    "VOD-RELATED MULTI-ORGAN FAILURE",
    "VOD PNEUMONIA",
    "CNS RELAPSE",
    "NOT DOCUMENTED",
]


def ard_rows(adam: dict[str, pd.DataFrame], definitions: dict) -> list[dict]:
    adsl = adsl_with_safety_flags(adam, definitions)  # Table 8 counts the toxicities too
    fas = adsl[adsl["FASFL"] == "Y"]
    dead = fas[fas["DTHFL"] == "Y"]
    rows: list[dict] = []
    for output in ("OM20", "T8"):
        rows += cards.ard_proportion_ci(fas, "DTHFL", output)
        rows += cards.ard_categorical(dead, "DTHCAUS", output, CAUSES)
    rows += any_and_each(fas, "HEMTOXFL", HAEM, "T8")
    rows += any_and_each(fas, "LIVTOXFL", LIVER, "T8")
    return rows
