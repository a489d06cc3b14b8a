"""Cost assessment (Italian INO-CD22 protocol: "toxicity, effectiveness and costs assessment data
will be collected"): resource use per subject from the common model and its costs from a dated,
sourced unit-cost table (``config/costs/<study>.yaml``).

Pure functions over SDTM-named pandas frames; nothing is read or written except by
:func:`load_cost_table`. The chain:

1. :func:`ino_administrations`  EX -> one row per InO administration: mg, vials, wastage (rules 1-2)
2. :func:`inpatient_stays`      HO -> one row per stay: the days counted (rule 3)
3. :func:`transfusion_units`    PR -> RBC and platelet units per subject (rule 4)
4. :func:`hsct_received`        PR -> allogeneic HSCT after the first dose, 0/1 (rule 5)
5. :func:`resource_use`         all of the above -> a long (BDS-like) frame, one row per subject x
   PARAMCD (rule 6)
6. :func:`subject_costs`        resource use x unit costs, per subject, item and scenario (rule 7)
7. :func:`subject_totals`, :func:`cost_per_responder`  totals, cost per cycle and per responder (rule 7)
8. distributions: N, mean, SD, median, type-2 quartiles, min, max of the per-subject values
   (rule 8), by :func:`inoflow.analysis.ard.summary_statistics` (IT09, ``inoflow.analysis.endpoints.costs``)

Missing data: a record that counts towards a quantity but lacks the value it needs (an
administration without EXBSA, a transfusion without PRDOSE, a stay without an admission date)
makes that subject's quantity missing (``AVAL`` NaN, and so its costs), never 0: the quantity
is unknown, not none. A subject with no such record gets 0.

Windows (from ADSL): the first dose ``TRTSDT``; the cut-off ``DCUTDT``; the end of follow-up
``min(DTHDT if known else LSTALVDT, DCUTDT)``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from inoflow.adam.common import to_date
from inoflow.config import read_yaml
from inoflow.errors import ConfigError

# --------------------------------------------------------------------------------------------
# Terms of the common model (defaults of the keyword arguments; config/contract.yaml codelists)
# --------------------------------------------------------------------------------------------

WARD = "HOSPITAL"
ICU = "INTENSIVE CARE UNIT"
TRANSFUSION = "TRANSFUSION"
RBC = "RED BLOOD CELLS"
PLATELETS = "PLATELETS"
HSCT_PRCAT = "HAEMATOPOIETIC STEM CELL TRANSPLANT"

DOSE_DECIMALS = 4
"""Rule 1: the mg dose of an administration is rounded to this many decimals before any vial arithmetic."""

# --------------------------------------------------------------------------------------------
# Resource-use parameters (rule 6) and cost items (rule 7)
# --------------------------------------------------------------------------------------------

PARAMS: dict[str, tuple[str, str]] = {
    # PARAMCD: (PARAM, SRCDOM)
    "INOMG": ("InO administered (mg)", "EX"),
    "INOVIAL": ("InO vials used, no vial sharing (vials)", "EX"),
    "INOVIALS": ("InO vial-equivalents used, vial sharing (vials)", "EX"),
    "INOWASTE": ("InO wasted, no vial sharing (mg)", "EX"),
    "INOADM": ("InO administrations (n)", "EX"),
    "CYCLES": ("InO cycles received (n)", "ADSL"),
    "WARDDAY": ("Inpatient ward days (days)", "HO"),
    "ICUDAY": ("Intensive care unit days (days)", "HO"),
    "RBCUNIT": ("Red blood cell units transfused (units)", "PR"),
    "PLTUNIT": ("Platelet units transfused (units)", "PR"),
    "HSCT": ("Allogeneic HSCT on or after the first dose (0/1)", "PR"),
}
"""The resource-use parameters in output order: PARAMCD -> (PARAM, source domain SRCDOM)."""

RESOURCE_COLUMNS = ["USUBJID", "PARAMN", "PARAMCD", "PARAM", "AVAL", "SRCDOM", "SRCSEQS"]

WASTAGE_RULES = {
    "no_vial_sharing": "INOVIAL",  # whole vials per administration, the remainder of the last vial discarded
    "vial_sharing": "INOVIALS",  # the remainder is used for another patient: pay for the mg used
}
"""Wastage rule -> the resource parameter its InO vial cost is charged on."""

SCENARIOS = ("base", "vial_sharing")
"""``base``: the table's ``wastage_rule`` (no vial sharing); ``vial_sharing``: the sensitivity analysis."""

COST_ITEMS: dict[str, str | None] = {
    # cost item (key in the cost table) -> the resource PARAMCD it multiplies (None: by scenario)
    "INOVIAL": None,
    "INOADM": "INOADM",
    "WARDDAY": "WARDDAY",
    "ICUDAY": "ICUDAY",
    "RBCUNIT": "RBCUNIT",
    "PLTUNIT": "PLTUNIT",
    "HSCT": "HSCT",
}
"""The items every cost table must price, and the resource parameter each is charged on; the InO
vial is charged on ``INOVIAL`` or ``INOVIALS`` by the scenario's wastage rule."""

COST_COLUMNS = [
    "USUBJID",
    "SCENARIO",
    "ITEM",
    "ITEMLBL",
    "PARAMCD",
    "QUANTITY",
    "UNIT",
    "UNITCOST",
    "COST",
    "CURRENCY",
    "PRICEYR",
    "SRCDOM",
]

TOTAL_COLUMNS = ["USUBJID", "SCENARIO", "TOTAL", "CYCLES", "COSTPCYC", "CURRENCY", "PRICEYR"]


# --------------------------------------------------------------------------------------------
# Rules 1-2: InO dose and vials
# --------------------------------------------------------------------------------------------


def _decimal(value: float) -> Decimal:
    """The decimal a float was written as (``0.8`` -> ``Decimal('0.8')``, not its binary expansion)."""
    return Decimal(repr(float(value)))


def ino_dose_mg(dose_mg_m2: float, bsa_m2: float, decimals: int = DOSE_DECIMALS) -> float:
    """Rule 1: the InO dose of one administration in mg = EXDOSE (mg/m2) x EXBSA (m2), rounded
    half-up to ``decimals`` decimals (decimal arithmetic, so the product has no floating error).
    Missing (NaN) if either is missing.

    >>> ino_dose_mg(0.8, 1.85), ino_dose_mg(0.5, 2.0), 0.8 * 1.85
    (1.48, 1.0, 1.4800000000000002)
    """
    if dose_mg_m2 is None or bsa_m2 is None or pd.isna(dose_mg_m2) or pd.isna(bsa_m2):
        return math.nan
    product = _decimal(dose_mg_m2) * _decimal(bsa_m2)
    return float(product.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def vials_for_dose(dose_mg: float, vial_size_mg: float, sharing: bool = False) -> float:
    """Rule 2: the vials one administration uses.

    - no vial sharing (the base case): ``ceil(dose_mg / vial_size_mg)`` whole vials; the unused
      remainder of the last vial is wasted (:func:`wasted_mg`);
    - vial sharing (sensitivity analysis): the remainder is used for another patient, so the
      administration uses ``dose_mg / vial_size_mg`` vial-equivalents (one pays for the mg used).

    Decimal arithmetic: a dose of exactly one vial is one vial. Missing (NaN) for a missing dose.

    >>> vials_for_dose(1.48, 1.0), vials_for_dose(1.48, 1.0, sharing=True)
    (2.0, 1.48)
    >>> vials_for_dose(1.0, 1.0), vials_for_dose(1.0001, 1.0), vials_for_dose(0.925, 1.0)
    (1.0, 2.0, 1.0)
    """
    if vial_size_mg is None or not vial_size_mg > 0:
        raise ValueError(f"the vial size must be > 0 mg, got {vial_size_mg!r}")
    if dose_mg is None or pd.isna(dose_mg):
        return math.nan
    ratio = _decimal(dose_mg) / _decimal(vial_size_mg)
    return float(ratio) if sharing else float(ratio.to_integral_value(rounding=ROUND_CEILING))


def wasted_mg(dose_mg: float, vial_size_mg: float, decimals: int = DOSE_DECIMALS) -> float:
    """Rule 2: the mg wasted by one administration without vial sharing = whole vials x vial
    size - dose (0 with vial sharing, where nothing is wasted).

    >>> wasted_mg(1.48, 1.0), wasted_mg(0.925, 1.0), wasted_mg(1.0, 1.0)
    (0.52, 0.075, 0.0)
    """
    vials = vials_for_dose(dose_mg, vial_size_mg)
    if math.isnan(vials):
        return math.nan
    waste = Decimal(int(vials)) * _decimal(vial_size_mg) - _decimal(dose_mg)
    return float(waste.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------------------------
# Subject windows (ADSL)
# --------------------------------------------------------------------------------------------


def subject_windows(adsl: pd.DataFrame) -> pd.DataFrame:
    """Per subject (index USUBJID, ADSL order): ``TRTSDT`` (first dose), ``DCUTDT`` (cut-off),
    ``DTHDT`` (death), ``LSTALVDT`` (last date known alive), ``LASTDT`` = the death date if known, else the last date known alive, else the cut-off (where
    an ongoing stay ends, rule 3), and ``ENDDT`` = min(death date if known else last date known
    alive, cut-off) (the end of what counts, rule 3; the cut-off where neither is known)."""
    frame = adsl.drop_duplicates("USUBJID").set_index("USUBJID")
    out = pd.DataFrame(index=frame.index)
    for column in ("TRTSDT", "DCUTDT", "DTHDT", "LSTALVDT"):
        out[column] = to_date(frame[column]).to_numpy() if column in frame.columns else pd.NaT
    out["LASTDT"] = out["DTHDT"].fillna(out["LSTALVDT"]).fillna(out["DCUTDT"])
    alive_or_dead = out["DTHDT"].fillna(out["LSTALVDT"])
    out["ENDDT"] = pd.concat([alive_or_dead, out["DCUTDT"]], axis=1).min(axis=1)
    return out[["TRTSDT", "DCUTDT", "DTHDT", "LSTALVDT", "LASTDT", "ENDDT"]]


# --------------------------------------------------------------------------------------------
# Per-record derivations
# --------------------------------------------------------------------------------------------


def ino_administrations(
    ex: pd.DataFrame, adsl: pd.DataFrame, vial_size_mg: float, decimals: int = DOSE_DECIMALS
) -> pd.DataFrame:
    """One row per InO administration of an ADSL subject (EX record with EXDOSE > 0, not dated
    after the cut-off ``DCUTDT``; the EX schema requires the date): ``USUBJID, EXSEQ, EXCYCLE,
    EXCYDY, EXSTDT, EXDOSE, EXBSA``,

    - ``DOSEMG``  rule 1: EXDOSE x EXBSA rounded to ``decimals`` (:func:`ino_dose_mg`);
    - ``VIALS``   rule 2, no vial sharing: ceil(DOSEMG / vial size) (:func:`vials_for_dose`);
    - ``VIALEQ``  rule 2, vial sharing: DOSEMG / vial size;
    - ``WASTEMG`` rule 2, no vial sharing: VIALS x vial size - DOSEMG (:func:`wasted_mg`);

    and the provenance columns ``SRCFILE, SRCROW`` where EX has them. DOSEMG and the vials are
    missing where EXBSA (or EXDOSE) is missing.
    """
    windows = subject_windows(adsl)
    columns = ["USUBJID", "EXSEQ", "EXCYCLE", "EXCYDY", "EXSTDT", "EXDOSE", "EXBSA", "DOSEMG", "VIALS"]
    columns += ["VIALEQ", "WASTEMG", "SRCFILE", "SRCROW"]
    if ex is None or ex.empty:
        return pd.DataFrame(columns=columns)
    records = ex[ex["USUBJID"].isin(windows.index)].copy()
    records = records.assign(
        EXSTDT=to_date(records["EXSTDTC"]),
        EXDOSE=pd.to_numeric(records["EXDOSE"], errors="coerce"),
        EXBSA=pd.to_numeric(records["EXBSA"], errors="coerce") if "EXBSA" in records.columns else np.nan,
        **{
            c: records[c] if c in records.columns else None for c in ("EXSEQ", "EXCYCLE", "EXCYDY", "SRCFILE", "SRCROW")
        },
    )
    cutoff = records["USUBJID"].map(windows["DCUTDT"])
    records = records[(records["EXDOSE"] > 0) & ~(records["EXSTDT"] > cutoff)]
    records["DOSEMG"] = [ino_dose_mg(d, b, decimals) for d, b in zip(records["EXDOSE"], records["EXBSA"], strict=True)]
    records["VIALS"] = [vials_for_dose(d, vial_size_mg) for d in records["DOSEMG"]]
    records["VIALEQ"] = [vials_for_dose(d, vial_size_mg, sharing=True) for d in records["DOSEMG"]]
    records["WASTEMG"] = [wasted_mg(d, vial_size_mg, decimals) for d in records["DOSEMG"]]
    records = records.sort_values(["USUBJID", "EXSTDT", "EXSEQ"], kind="stable")
    return records[columns].reset_index(drop=True)


def inpatient_stays(ho: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """Rule 3: one row per inpatient stay of an ADSL subject with the days it counts.

    - A stay lasts discharge - admission days (nights), at least 1 (a same-day stay counts one day).
    - A stay without a discharge date (ongoing) ends at the death date, else the last date known
      alive, else the cut-off (``HOENDIMP`` says which: ``DEATH``, ``LAST KNOWN ALIVE``, ``CUT-OFF``).
    - Only the part on or after the first InO dose (``TRTSDT``) and on or before
      ``ENDDT`` = min(death date or last date known alive, cut-off) counts: the counted part runs
      from ``CNTSTDT`` = max(admission, TRTSDT) to ``CNTENDT`` = min(discharge, ENDDT) and counts
      ``DAYS`` = CNTENDT - CNTSTDT, at least 1 where CNTSTDT <= CNTENDT, else 0 (no overlap). So a
      stay discharged on the day of the first dose counts one day, and a stay still open at the
      cut-off counts as if discharged at the cut-off.
    - ``HOTERM`` ``HOSPITAL`` gives ward days, ``INTENSIVE CARE UNIT`` ICU days
      (:func:`resource_use`).

    Columns: ``USUBJID, HOSEQ, HOTERM, HOSTDT, HOENDT, HOENDIMP, CNTSTDT, CNTENDT, DAYS``;
    ``DAYS`` is missing where the admission date is.
    """
    columns = ["USUBJID", "HOSEQ", "HOTERM", "HOSTDT", "HOENDT", "HOENDIMP", "CNTSTDT", "CNTENDT", "DAYS"]
    windows = subject_windows(adsl)
    if ho is None or ho.empty:
        return pd.DataFrame(columns=columns)
    stays = ho[ho["USUBJID"].isin(windows.index)].copy()
    stays["HOSEQ"] = stays["HOSEQ"] if "HOSEQ" in stays.columns else None
    stays["HOSTDT"] = to_date(stays["HOSTDTC"])
    recorded = to_date(stays["HOENDTC"]) if "HOENDTC" in stays.columns else pd.Series(pd.NaT, index=stays.index)
    w = windows.reindex(stays["USUBJID"]).set_index(stays.index)
    death, alive = w["DTHDT"], w["LSTALVDT"]
    ongoing = recorded.isna()
    stays["HOENDIMP"] = np.select(
        [ongoing & death.notna(), ongoing & alive.notna(), ongoing],
        ["DEATH", "LAST KNOWN ALIVE", "CUT-OFF"],
        default=None,
    )
    stays["HOENDT"] = recorded.fillna(w["LASTDT"])
    stays["CNTSTDT"] = pd.concat([stays["HOSTDT"], w["TRTSDT"]], axis=1).max(axis=1, skipna=False)
    stays["CNTENDT"] = pd.concat([stays["HOENDT"], w["ENDDT"]], axis=1).min(axis=1)
    nights = (stays["CNTENDT"] - stays["CNTSTDT"]).dt.days
    days = np.where(nights >= 0, np.maximum(nights, 1), 0).astype(float)
    # unknown: no admission date; never dosed (no TRTSDT): nothing counts
    days[stays["HOSTDT"].isna().to_numpy()] = np.nan
    days[(stays["HOSTDT"].notna() & w["TRTSDT"].isna()).to_numpy()] = 0.0
    stays["DAYS"] = days
    stays = stays.sort_values(["USUBJID", "HOSTDT", "HOSEQ"], kind="stable")
    return stays[columns].reset_index(drop=True)


def transfusion_units(
    pr: pd.DataFrame,
    adsl: pd.DataFrame,
    category: str = TRANSFUSION,
    products: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Rule 4: units transfused per subject and product, from PR records with PRCAT ``category``
    dated on or after the first dose (``TRTSDT``) and on or before the cut-off (``DCUTDT``),
    summed over PRDOSE (units). ``products`` maps PRTRT to the resource parameter (default
    ``RED BLOOD CELLS`` -> ``RBCUNIT``, ``PLATELETS`` -> ``PLTUNIT``); other products are not counted.

    Index USUBJID (every ADSL subject), columns the parameters (0 without transfusions; missing
    if a counted transfusion lacks PRDOSE) and ``<PARAMCD>_SEQ`` (the PRSEQ counted, as text).
    """
    products = dict(products or {RBC: "RBCUNIT", PLATELETS: "PLTUNIT"})
    windows = subject_windows(adsl)
    counted = _dated_in_window(pr, windows, category)
    counted = counted[counted["PRTRT"].isin(products)] if not counted.empty else counted
    out = pd.DataFrame(index=windows.index)
    for product, paramcd in products.items():
        part = counted[counted["PRTRT"] == product] if not counted.empty else counted
        units = pd.to_numeric(part["PRDOSE"], errors="coerce") if "PRDOSE" in part else pd.Series(np.nan, part.index)
        grouped = units.groupby(part["USUBJID"]).agg(lambda s: s.sum(skipna=False)) if len(part) else None
        out[paramcd] = grouped.reindex(out.index).fillna(0.0) if grouped is not None else 0.0
        if grouped is not None:  # a subject with a counted record missing PRDOSE: unknown
            out.loc[grouped[grouped.isna()].index, paramcd] = np.nan
        out[f"{paramcd}_SEQ"] = _seq_text(part, "PRSEQ").reindex(out.index).fillna("")
    return out


def hsct_received(pr: pd.DataFrame, adsl: pd.DataFrame, category: str = HSCT_PRCAT) -> pd.DataFrame:
    """Rule 5: 1 if the subject had an allogeneic HSCT (PR record with PRCAT ``category``; every
    transplant type the contract collects is allogeneic) on or after the first dose (``TRTSDT``)
    and on or before the cut-off (``DCUTDT``), else 0. The first such transplant only: a second
    transplant is not costed. (The window is that of ADSL HSCTFL.)

    Index USUBJID (every ADSL subject), columns ``HSCT`` (0/1), ``HSCTDT`` and ``PRSEQ`` (of the
    transplant counted, missing without one).
    """
    windows = subject_windows(adsl)
    counted = _dated_in_window(pr, windows, category)
    out = pd.DataFrame(index=windows.index)
    if counted.empty:
        out["HSCT"], out["HSCTDT"], out["PRSEQ"] = 0.0, pd.NaT, pd.NA
        return out
    first = counted.sort_values(["USUBJID", "PRSTDT", "PRSEQ"], kind="stable").drop_duplicates("USUBJID")
    first = first.set_index("USUBJID")
    out["HSCTDT"] = first["PRSTDT"].reindex(out.index)
    out["PRSEQ"] = first["PRSEQ"].reindex(out.index)
    out["HSCT"] = out["HSCTDT"].notna().astype(float)
    return out[["HSCT", "HSCTDT", "PRSEQ"]]


def transplant_admission(stays: pd.DataFrame, hsct_dates: pd.Series) -> pd.Series:
    """Rule 5: the stays (of :func:`inpatient_stays`) that contain the date of the transplant
    costed as HSCT (admission <= HSCT date <= discharge): the transplant admission, whose days the
    HSCT tariff (a per-procedure DRG) already pays, so they are not counted again as ward or ICU
    days. ``hsct_dates``: HSCTDT by USUBJID (:func:`hsct_received`).

    >>> stays = pd.DataFrame({"USUBJID": ["A", "A", "B"], "HOSTDT": pd.to_datetime(["2020-01-01", "2020-03-01", "2020-03-01"]),
    ...                       "HOENDT": pd.to_datetime(["2020-01-09", "2020-04-05", "2020-04-05"])})
    >>> transplant_admission(stays, pd.Series(pd.to_datetime(["2020-03-10"]), index=["A"])).tolist()
    [False, True, False]
    """
    if stays.empty:
        return pd.Series(False, index=stays.index)
    hsct = stays["USUBJID"].map(hsct_dates)
    return (hsct.notna() & (stays["HOSTDT"] <= hsct) & (hsct <= stays["HOENDT"])).astype(bool)


def _dated_in_window(pr: pd.DataFrame | None, windows: pd.DataFrame, category: str) -> pd.DataFrame:
    """PR records of ``category`` of the subjects of ``windows`` dated TRTSDT <= PRSTDT <= DCUTDT."""
    if pr is None or pr.empty or "PRCAT" not in pr.columns:
        return pd.DataFrame(columns=["USUBJID", "PRTRT", "PRDOSE", "PRSTDT", "PRSEQ"])
    records = pr[(pr["PRCAT"] == category) & pr["USUBJID"].isin(windows.index)].copy()
    records["PRSTDT"] = to_date(records["PRSTDTC"])
    records["PRSEQ"] = records["PRSEQ"] if "PRSEQ" in records.columns else None
    w = windows.reindex(records["USUBJID"]).set_index(records.index)
    return records[(records["PRSTDT"] >= w["TRTSDT"]) & (records["PRSTDT"] <= w["DCUTDT"])]


def _seq_text(records: pd.DataFrame, seq_column: str) -> pd.Series:
    """Per USUBJID, the --SEQ of ``records`` as ascending comma-separated text ("1,4,7")."""
    if records is None or records.empty or seq_column not in records.columns:
        return pd.Series(dtype="object")
    seqs = pd.to_numeric(records[seq_column], errors="coerce")
    return seqs.groupby(records["USUBJID"]).agg(lambda s: ",".join(str(int(v)) for v in sorted(s.dropna())))


# --------------------------------------------------------------------------------------------
# Rule 6: resource use per subject
# --------------------------------------------------------------------------------------------


def _sum_or_missing(values: pd.Series, by: pd.Series, decimals: int | None = None) -> pd.Series:
    """Per group, the sum of ``values``, missing if any value is missing; rounded if asked."""
    sums = values.groupby(by).agg(lambda s: s.sum(skipna=False))
    return sums.round(decimals) if decimals is not None else sums


def resource_use(
    adsl: pd.DataFrame,
    ex: pd.DataFrame | None,
    ho: pd.DataFrame | None,
    pr: pd.DataFrame | None,
    vial_size_mg: float,
    decimals: int = DOSE_DECIMALS,
) -> pd.DataFrame:
    """Rule 6: resource use per subject, a long (BDS-like) frame with one row per ADSL subject x
    PARAMCD (every subject gets every parameter, 0 where none), in ADSL order and the order of
    :data:`PARAMS`. Columns :data:`RESOURCE_COLUMNS`: ``USUBJID, PARAMN, PARAMCD, PARAM, AVAL``,
    ``SRCDOM`` (the domain the value comes from: EX, HO, PR or ADSL) and ``SRCSEQS`` (the --SEQ
    of the records counted, comma-separated; empty for ADSL and for none).

    - ``INOMG``    sum of the administrations' mg (rule 1), rounded to ``decimals``;
    - ``INOVIAL``  whole vials, no vial sharing: the sum over administrations of ceil(mg / vial size) (rule 2);
    - ``INOVIALS`` vial-equivalents, vial sharing: INOMG / vial size (rule 2);
    - ``INOWASTE`` mg wasted without vial sharing: INOVIAL x vial size - INOMG (rule 2);
    - ``INOADM``   administrations (EX records with EXDOSE > 0 up to the cut-off);
    - ``CYCLES``   ADSL NCYCLES (cycles received; 0 if missing);
    - ``WARDDAY``, ``ICUDAY`` days of the HOSPITAL and INTENSIVE CARE UNIT stays (rule 3), except
      the transplant admission (the stay containing the HSCT date), paid by the HSCT tariff;
    - ``RBCUNIT``, ``PLTUNIT`` units transfused (rule 4);
    - ``HSCT``     allogeneic HSCT on or after the first dose, 0/1 (rule 5).

    ``vial_size_mg`` comes from the cost table (:attr:`CostTable.vial_size_mg`).
    """
    windows = subject_windows(adsl)
    subjects = windows.index
    values: dict[str, pd.Series] = {}
    seqs: dict[str, pd.Series] = {}

    adm = ino_administrations(ex, adsl, vial_size_mg, decimals)
    by = adm["USUBJID"]
    mg = _sum_or_missing(adm["DOSEMG"].astype(float), by, decimals)
    values["INOMG"] = mg
    values["INOVIAL"] = _sum_or_missing(adm["VIALS"].astype(float), by)
    values["INOVIALS"] = mg / float(vial_size_mg)
    values["INOWASTE"] = _sum_or_missing(adm["WASTEMG"].astype(float), by, decimals)
    values["INOADM"] = adm.groupby("USUBJID").size().astype(float) if len(adm) else pd.Series(dtype=float)
    for code in ("INOMG", "INOVIAL", "INOVIALS", "INOWASTE", "INOADM"):
        seqs[code] = _seq_text(adm, "EXSEQ")

    frame = adsl.drop_duplicates("USUBJID").set_index("USUBJID")
    cycles = frame["NCYCLES"] if "NCYCLES" in frame.columns else pd.Series(0, index=frame.index)
    values["CYCLES"] = pd.to_numeric(cycles, errors="coerce").fillna(0).astype(float)

    hsct = hsct_received(pr, adsl)
    stays = inpatient_stays(ho, adsl)
    stays = stays[~transplant_admission(stays, hsct["HSCTDT"])]  # costed with the HSCT (rule 5)
    for code, term in (("WARDDAY", WARD), ("ICUDAY", ICU)):
        part = stays[stays["HOTERM"] == term]
        counted = part[~(part["DAYS"] == 0)]
        values[code] = _sum_or_missing(part["DAYS"].astype(float), part["USUBJID"])
        seqs[code] = _seq_text(counted, "HOSEQ")

    units = transfusion_units(pr, adsl)
    for code in ("RBCUNIT", "PLTUNIT"):
        values[code], seqs[code] = units[code], units[f"{code}_SEQ"]

    values["HSCT"] = hsct["HSCT"]
    seqs["HSCT"] = hsct["PRSEQ"].map(lambda v: "" if pd.isna(v) else str(int(v)))

    rows = []
    for paramn, (code, (label, domain)) in enumerate(PARAMS.items(), start=1):
        aval = values[code].reindex(subjects)
        present = values[code].index
        aval = aval.where(subjects.isin(present), 0.0)  # no record: 0
        seq = seqs.get(code, pd.Series(dtype="object")).reindex(subjects).fillna("")
        rows.append(
            pd.DataFrame(
                {
                    "USUBJID": subjects,
                    "PARAMN": paramn,
                    "PARAMCD": code,
                    "PARAM": label,
                    "AVAL": aval.to_numpy(dtype=float),
                    "SRCDOM": domain,
                    "SRCSEQS": seq.to_numpy(),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    order = pd.Series(range(len(subjects)), index=subjects)
    out = out.assign(_O=out["USUBJID"].map(order)).sort_values(["_O", "PARAMN"], kind="stable").drop(columns="_O")
    return out[RESOURCE_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The unit-cost table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostItem:
    """One priced resource: ``code`` (the key in the table, e.g. ``WARDDAY``), ``label``,
    ``unit`` (what one unit is), ``value`` (unit cost in the table's currency), ``source``
    (where the value comes from) and ``source_date`` (the date of that source)."""

    code: str
    label: str
    unit: str
    value: float
    source: str
    source_date: dt.date


@dataclass(frozen=True)
class CostTable:
    """A dated, sourced unit-cost table (``config/costs/<study>.yaml``, :func:`load_cost_table`).

    ``status`` is ``illustrative`` (demo values, with a ``notice``) or ``sourced``;
    ``wastage_rule`` is the base case's rule (a key of :data:`WASTAGE_RULES`)."""

    path: str
    status: str
    notice: str | None
    currency: str
    price_year: int
    vial_size_mg: float
    wastage_rule: str
    items: Mapping[str, CostItem] = field(default_factory=dict)

    @property
    def illustrative(self) -> bool:
        """True if the values are demo values not to be used in a real analysis."""
        return self.status == "illustrative"

    def unit_cost(self, code: str) -> float:
        """The unit cost of item ``code`` (a key of :data:`COST_ITEMS`)."""
        try:
            return self.items[code].value
        except KeyError:
            raise KeyError(f"{self.path}: no cost item {code!r} (items: {sorted(self.items)})") from None

    def rule_of(self, scenario: str) -> str:
        """The wastage rule of a scenario: ``base`` -> the table's ``wastage_rule``;
        ``vial_sharing`` -> ``vial_sharing``."""
        if scenario == "base":
            return self.wastage_rule
        if scenario == "vial_sharing":
            return "vial_sharing"
        raise ValueError(f"unknown cost scenario {scenario!r}; expected one of {SCENARIOS}")


STATUSES = ("illustrative", "sourced")
ITEM_FIELDS = ("unit", "value", "source", "source_date")


def load_cost_table(path: str | Path) -> CostTable:
    """Read and validate a unit-cost table. Raises :class:`inoflow.errors.ConfigError` naming the
    file and, for an item, the item, listing every problem found:

    - top level: ``currency`` (text), ``price_year`` (a year), ``status`` (``illustrative``, with a
      ``notice``, or ``sourced``), ``vial_size_mg`` (> 0), ``wastage_rule`` (one of
      :data:`WASTAGE_RULES`), ``items`` (a mapping);
    - ``items`` prices every cost item of :data:`COST_ITEMS`;
    - every item has ``unit`` and ``source`` (non-empty text), ``value`` (a number >= 0) and
      ``source_date`` (an ISO date, YYYY-MM-DD).
    """
    doc = read_yaml(path)
    where = str(path)
    if not isinstance(doc, dict):
        raise ConfigError(f"{where}: a cost table must be a mapping, got {type(doc).__name__}")
    problems: list[str] = []

    def text(value: Any) -> bool:
        return isinstance(value, str) and value.strip() != ""

    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    if not text(doc.get("currency")):
        problems.append("currency is missing (e.g. currency: EUR)")
    year = doc.get("price_year")
    if not (isinstance(year, int) and not isinstance(year, bool) and 1900 <= year <= 2100):
        problems.append(f"price_year must be a year (e.g. 2024), got {year!r}")
    status = doc.get("status")
    if status not in STATUSES:
        problems.append(f"status must be one of {list(STATUSES)}, got {status!r}")
    if status == "illustrative" and not text(doc.get("notice")):
        problems.append("an illustrative table needs a notice: saying the values must be replaced")
    vial = doc.get("vial_size_mg")
    if not (number(vial) and vial > 0):
        problems.append(f"vial_size_mg must be a number > 0, got {vial!r}")
    rule = doc.get("wastage_rule")
    if rule not in WASTAGE_RULES:
        problems.append(f"wastage_rule must be one of {list(WASTAGE_RULES)}, got {rule!r}")

    items: dict[str, CostItem] = {}
    raw_items = doc.get("items")
    if not isinstance(raw_items, dict):
        problems.append("items is missing (a mapping of cost item -> unit, value, source, source_date)")
        raw_items = {}
    for code in COST_ITEMS:
        if code not in raw_items:
            problems.append(f"item {code!r} is missing")
    for code, spec in raw_items.items():
        if not isinstance(spec, dict):
            problems.append(f"item {code!r}: must be a mapping with {', '.join(ITEM_FIELDS)}")
            continue
        missing = [f for f in ITEM_FIELDS if spec.get(f) is None or spec.get(f) == ""]
        if missing:
            problems.append(f"item {code!r}: missing {', '.join(missing)}")
        for name in ("unit", "source"):
            if name not in missing and not text(spec[name]):
                problems.append(f"item {code!r}: {name} must be non-empty text, got {spec[name]!r}")
        value = spec.get("value")
        if "value" not in missing and not (number(value) and value >= 0):
            problems.append(f"item {code!r}: value must be a number >= 0, got {value!r}")
        date = _iso_date(spec.get("source_date"))
        if "source_date" not in missing and date is None:
            problems.append(f"item {code!r}: source_date must be a date YYYY-MM-DD, got {spec['source_date']!r}")
        if not any(p.startswith(f"item {code!r}") for p in problems):
            items[str(code)] = CostItem(
                code=str(code),
                label=str(spec.get("label") or code),
                unit=spec["unit"],
                value=float(value),
                source=spec["source"],
                source_date=date,
            )
    if problems:
        raise ConfigError(f"{where}: invalid cost table:\n  - " + "\n  - ".join(problems))
    return CostTable(
        path=where,
        status=status,
        notice=doc.get("notice"),
        currency=doc["currency"],
        price_year=year,
        vial_size_mg=float(vial),
        wastage_rule=rule,
        items=MappingProxyType(items),
    )


def _iso_date(value: Any) -> dt.date | None:
    """A date from YAML (a date, or text YYYY-MM-DD); None if it is neither."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------------------------
# Rule 7: costs
# --------------------------------------------------------------------------------------------


def subject_costs(resource: pd.DataFrame, table: CostTable, scenarios: Sequence[str] = SCENARIOS) -> pd.DataFrame:
    """Rule 7: cost per subject, item and scenario = quantity x unit cost (``table``).

    Items (:data:`COST_ITEMS`): the InO vial, charged per whole vial (``INOVIAL``) under the
    no-vial-sharing rule and per vial-equivalent (``INOVIALS``) under vial sharing; the InO
    administration (a day-hospital infusion visit, ``INOADM``); ward day; ICU day; RBC unit;
    platelet unit; allogeneic HSCT. Scenario ``base`` uses the table's ``wastage_rule`` (no vial
    sharing), ``vial_sharing`` the sensitivity analysis; only the InO vial cost differs.

    ``resource`` is :func:`resource_use`. Columns :data:`COST_COLUMNS`, one row per subject x
    scenario x item; ``COST`` is missing where the quantity is.
    """
    wide = resource.pivot(index="USUBJID", columns="PARAMCD", values="AVAL")
    wide = wide.reindex(pd.unique(resource["USUBJID"]))
    domains = resource.drop_duplicates("PARAMCD").set_index("PARAMCD")["SRCDOM"]
    parts = []
    for scenario in scenarios:
        rule = table.rule_of(scenario)
        for code, paramcd in COST_ITEMS.items():
            paramcd = paramcd or WASTAGE_RULES[rule]
            item = table.items[code]
            quantity = wide[paramcd]
            parts.append(
                pd.DataFrame(
                    {
                        "USUBJID": wide.index,
                        "SCENARIO": scenario,
                        "ITEM": code,
                        "ITEMLBL": item.label,
                        "PARAMCD": paramcd,
                        "QUANTITY": quantity.to_numpy(dtype=float),
                        "UNIT": item.unit,
                        "UNITCOST": item.value,
                        "COST": quantity.to_numpy(dtype=float) * item.value,
                        "CURRENCY": table.currency,
                        "PRICEYR": table.price_year,
                        "SRCDOM": domains.get(paramcd),
                    }
                )
            )
    out = pd.concat(parts, ignore_index=True)
    order = pd.Series(range(len(wide)), index=wide.index)
    scen = {s: i for i, s in enumerate(scenarios)}
    items = {c: i for i, c in enumerate(COST_ITEMS)}
    out = out.assign(_S=out["USUBJID"].map(order), _C=out["SCENARIO"].map(scen), _I=out["ITEM"].map(items))
    out = out.sort_values(["_C", "_S", "_I"], kind="stable").drop(columns=["_S", "_C", "_I"])
    return out[COST_COLUMNS].reset_index(drop=True)


def subject_totals(costs: pd.DataFrame, resource: pd.DataFrame) -> pd.DataFrame:
    """Rule 7: per subject and scenario, ``TOTAL`` = the sum of its item costs (missing if any
    item's is), ``CYCLES`` (the ``CYCLES`` parameter of ``resource``) and ``COSTPCYC`` = cost per
    cycle = TOTAL / CYCLES (missing for a subject with no cycle). Columns :data:`TOTAL_COLUMNS`.
    """
    totals = (
        costs.groupby(["SCENARIO", "USUBJID"], sort=False)
        .agg(
            TOTAL=("COST", lambda s: s.sum(skipna=False)),
            CURRENCY=("CURRENCY", "first"),
            PRICEYR=("PRICEYR", "first"),
        )
        .reset_index()
    )
    cycles = resource[resource["PARAMCD"] == "CYCLES"].set_index("USUBJID")["AVAL"]
    totals["CYCLES"] = totals["USUBJID"].map(cycles).astype(float)
    totals["COSTPCYC"] = totals["TOTAL"] / totals["CYCLES"].where(totals["CYCLES"] > 0)
    return totals[TOTAL_COLUMNS]


def cost_per_responder(totals: pd.DataFrame, adsl: pd.DataFrame, scenario: str = "base") -> float | None:
    """Rule 7: cohort cost per responder = the sum of the total costs of ALL subjects of the
    cohort (responders and non-responders alike: the cost of obtaining the responses) / the
    number of responders (ADSL ``RESPFL`` = ``Y``, best response CR or CRi).

    Returns None (not inf) with zero responders, and NaN if a subject's total is missing.
    ``totals`` is :func:`subject_totals`; the cohort is its subjects for ``scenario``.
    """
    part = totals[totals["SCENARIO"] == scenario]
    if part.empty:
        raise ValueError(f"no totals for cost scenario {scenario!r}")
    respfl = adsl.drop_duplicates("USUBJID").set_index("USUBJID")["RESPFL"]
    responders = int((part["USUBJID"].map(respfl) == "Y").sum())
    if responders == 0:
        return None
    total = part["TOTAL"].sum(skipna=False)
    return float(total) / responders
