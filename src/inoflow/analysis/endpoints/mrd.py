"""MRD negativity among CR/CRi (OM04-OM07, Table 5)."""

from __future__ import annotations

import pandas as pd

from inoflow.analysis import ard as cards
from inoflow.analysis.endpoints import AGE_LEVELS, BURDEN_LEVELS, SALVAGE_LEVELS
from inoflow.analysis.lineage import tag


def ard_rows(adam: dict[str, pd.DataFrame], definitions: dict) -> list[dict]:
    adsl = adam["ADSL"]
    adrs = adam["ADRS"]
    resp = adsl[(adsl["FASFL"] == "Y") & (adsl["RESPFL"] == "Y")].copy()
    first = adrs[adrs["PARAMCD"] == "MRDFIRST"][["USUBJID", "AVALC"]].rename(columns={"AVALC": "MRDFIRST"})
    resp = tag(resp.merge(first, on="USUBJID", how="left"), "ADSL", "ADRS", like=adsl)
    rows: list[dict] = []
    rows += cards.ard_total_n(resp, "OM05", by="SALVLNGR", by_levels=SALVAGE_LEVELS)  # N = n of the column headers
    rows += cards.ard_total_n(resp, "OM06", by="BURDEN", by_levels=BURDEN_LEVELS)
    rows += cards.ard_total_n(resp, "T5")
    rows += cards.ard_total_n(resp, "T5", by="BESTRSP", by_levels=["CR", "CRi"])
    rows += cards.ard_proportion_ci(resp, "MRDNEGFL", "OM04")
    rows += cards.ard_proportion_ci(resp, "MRDFIRST", "OM04")  # MRD negative at the first CR/CRi assessment
    rows += cards.ard_proportion_ci(resp, "MRDNEGFL", "OM05", by="SALVLNGR", by_levels=SALVAGE_LEVELS)
    rows += cards.ard_proportion_ci(resp, "MRDNEGFL", "OM06", by="BURDEN", by_levels=BURDEN_LEVELS)
    rows += cards.ard_proportion_ci(resp, "MRDNEGFL", "OM07", by="AGEGR1", by_levels=AGE_LEVELS[1:])
    rows += cards.ard_proportion_ci(resp, "MRDNEGFL", "T5", by="BESTRSP", by_levels=["CR", "CRi"])
    rows += cards.ard_proportion_ci(resp, "MRDNEGFL", "T5")
    return rows
