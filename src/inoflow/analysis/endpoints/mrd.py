"""MRD negativity among CR/CRi (OM04-OM07, Table 5), and the swimmer plot of every analysed
patient's course (SF8: InO treatment, first CR/CRi, first MRD negativity, HSCT, relapse, death
or last contact)."""

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
    # SF8: the patients the swimmer plot draws, and how many reach each of its marks
    fas = adsl[adsl["FASFL"] == "Y"]
    rows += cards.ard_total_n(fas, "SF8")
    for flag in ("RESPFL", "MRDNEGFL", "HSCTFL", "DTHFL"):
        rows += cards.ard_categorical(fas, flag, "SF8", ["Y"])
    return rows


def swimmer_data(adam: dict[str, pd.DataFrame], definitions: dict) -> pd.DataFrame:
    """One row per analysed patient, times in months from the first InO dose (days / month_days,
    days counted as ADTTE counts them): ``END`` death or last contact, ``DIED``, ``TREATEND`` the
    last InO dose, ``NCYCLES``, and the first ``RESPONSE`` (CR/CRi), ``MRDNEG``, ``HSCT`` and
    ``RELAPSE`` (NaN where none). Patient-level: the plot is a figure of the data, as a listing."""
    adsl = adam["ADSL"]
    fas = adsl[adsl["FASFL"] == "Y"].copy()
    adrs = adam["ADRS"]
    month = definitions["month_days"]

    def first(paramcd: str) -> pd.Series:
        rows = adrs[(adrs["PARAMCD"] == paramcd) & (adrs["AVALC"] == "Y") & adrs["ADT"].notna()]
        return rows.groupby("USUBJID")["ADT"].min()

    start = pd.to_datetime(fas["TRTSDT"])

    def months(dates) -> pd.Series:
        return (pd.to_datetime(dates) - start).dt.days / month

    ids = fas["USUBJID"]
    end = fas["DTHDT"].where(fas["DTHFL"] == "Y", fas["LSTALVDT"])
    return pd.DataFrame(
        {
            "END": months(end),
            "DIED": fas["DTHFL"] == "Y",
            "TREATEND": months(fas["TRTEDT"]),
            "NCYCLES": fas["NCYCLES"],
            "RESPONSE": months(fas["RESPDT"].where(fas["RESPFL"] == "Y")),
            "MRDNEG": months(ids.map(first("MRDNEG"))),
            "HSCT": months(fas["HSCTDT"].where(fas["HSCTFL"] == "Y")),
            "RELAPSE": months(ids.map(first("RELAPSE"))),
        }
    ).reset_index(drop=True)
