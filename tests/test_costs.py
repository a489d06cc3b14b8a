"""Cost assessment (inoflow.analysis.costs): hand-worked resource use, costs and distributions, and the
unit-cost table loader. Every expected value is worked by hand in the comments."""

from __future__ import annotations

import copy
import datetime as dt
import doctest
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from inoflow.analysis import costs
from inoflow.analysis.ard import summary_statistics
from inoflow.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
ITALY_TABLE = ROOT / "config" / "costs" / "italy.yaml"
CUT = "2020-12-31"


# ---------------------------------------------------------------------------------------------
# Builders of small SDTM / ADSL frames
# ---------------------------------------------------------------------------------------------


def adsl_frame(*subjects: dict) -> pd.DataFrame:
    """ADSL rows; dates given as text become datetime64, missing ones NaT."""
    rows = []
    for s in subjects:
        rows.append(
            {
                "USUBJID": s["USUBJID"],
                "TRTSDT": s.get("TRTSDT"),
                "LSTALVDT": s.get("LSTALVDT"),
                "DTHDT": s.get("DTHDT"),
                "DCUTDT": s.get("DCUTDT", CUT),
                "RESPFL": s.get("RESPFL", "N"),
                "NCYCLES": s.get("NCYCLES", 0),
                "HSCTFL": s.get("HSCTFL", "N"),
                "HSCTDT": s.get("HSCTDT"),
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("TRTSDT", "LSTALVDT", "DTHDT", "DCUTDT", "HSCTDT"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def ex_frame(*doses: tuple) -> pd.DataFrame:
    """EX rows from (USUBJID, EXCYCLE, EXCYDY, EXSTDTC, EXDOSE mg/m2, EXBSA m2)."""
    rows = [
        {
            "USUBJID": u,
            "EXCYCLE": c,
            "EXCYDY": d,
            "EXSTDTC": date,
            "EXDOSE": dose,
            "EXDOSU": "mg/m2",
            "EXBSA": bsa,
            "SRCFILE": "ex.csv",
            "SRCROW": i + 2,
            "EXSEQ": i + 1,
        }
        for i, (u, c, d, date, dose, bsa) in enumerate(doses)
    ]
    return pd.DataFrame(rows)


def ho_frame(*stays: tuple) -> pd.DataFrame:
    """HO rows from (USUBJID, HOTERM, HOSTDTC, HOENDTC or None)."""
    rows = [
        {"USUBJID": u, "HOTERM": term, "HOCAT": "INPATIENT STAY", "HOSTDTC": start, "HOENDTC": end, "HOSEQ": i + 1}
        for i, (u, term, start, end) in enumerate(stays)
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "HOTERM", "HOCAT", "HOSTDTC", "HOENDTC", "HOSEQ"])


def pr_frame(*records: tuple) -> pd.DataFrame:
    """PR rows from (USUBJID, PRCAT, PRTRT, PRDOSE or None, PRSTDTC)."""
    rows = [
        {"USUBJID": u, "PRCAT": cat, "PRTRT": trt, "PRDOSE": dose, "PRSTDTC": date, "PRSEQ": i + 1}
        for i, (u, cat, trt, dose, date) in enumerate(records)
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "PRCAT", "PRTRT", "PRDOSE", "PRSTDTC", "PRSEQ"])


TX, HSCT = "TRANSFUSION", "HAEMATOPOIETIC STEM CELL TRANSPLANT"
WARD, ICU = "HOSPITAL", "INTENSIVE CARE UNIT"


def aval(resource: pd.DataFrame, usubjid: str, paramcd: str) -> float:
    row = resource[(resource["USUBJID"] == usubjid) & (resource["PARAMCD"] == paramcd)]
    assert len(row) == 1, (usubjid, paramcd, len(row))
    return float(row["AVAL"].iloc[0])


# ---------------------------------------------------------------------------------------------
# The cohort worked by hand (vial size 1 mg; cut-off 2020-12-31)
# ---------------------------------------------------------------------------------------------
#
# S1  first dose 2020-01-01, BSA 1.85, responder, 2 cycles, last known alive 2020-06-30.
#     C1 D1 0.8 mg/m2 -> 0.8 x 1.85 = 1.48 mg  -> 2 vials, 0.52 mg wasted, 1.48 vial-eq
#     C1 D8 0.5       -> 0.5 x 1.85 = 0.925 mg -> 1 vial, 0.075 wasted, 0.925 vial-eq
#     C1 D15 0.5      -> 0.925 mg              -> 1 vial, 0.075 wasted
#     C2 D1 0.5       -> 0.925 mg              -> 1 vial, 0.075 wasted
#     INOMG 1.48 + 3 x 0.925 = 4.255; INOVIAL 2 + 1 + 1 + 1 = 5; INOVIALS 4.255;
#     INOWASTE 0.52 + 3 x 0.075 = 0.745; INOADM 4; CYCLES 2.
#     Ward 2019-12-28 -> 2020-01-05 crosses the first dose: counts 01-01 -> 01-05 = 4 days.
#     ICU 2020-02-10 -> 2020-02-10 same day: 1 ICU day.
#     Ward 2020-06-25 -> 2020-07-10 crosses the last date known alive (06-30): 06-25 -> 06-30 = 5.
#     WARDDAY 4 + 5 = 9, ICUDAY 1.
#     RBC 2 units 2019-12-30 (before the first dose: ignored); RBC 3 units 2020-01-10;
#     PLT 1 unit 2020-01-12, PLT 2 units 2020-01-20: RBCUNIT 3, PLTUNIT 3.
#     HSCT 2020-03-01 (after the first dose): 1.
# S2  first dose 2020-02-01, died 2020-03-10, non-responder, 1 cycle.
#     C1 D1 0.5 x 2.00 = 1.0 mg exactly -> 1 vial, nothing wasted
#     C1 D8 0.5 x 2.0002 = 1.0001 mg     -> 2 vials, 0.9999 mg wasted
#     INOMG 2.0001; INOVIAL 3; INOVIALS 2.0001; INOWASTE 0.9999; INOADM 2; CYCLES 1.
#     ICU stay from 2020-03-01, no discharge (ongoing): ends at death 03-10: 9 ICU days.
#     HSCT 2020-01-15 (before the first dose): ignored -> HSCT 0.
# S3  in ADSL without any dose or record: every parameter 0 (CYCLES 0).


def cohort():
    adsl = adsl_frame(
        {"USUBJID": "S1", "TRTSDT": "2020-01-01", "LSTALVDT": "2020-06-30", "RESPFL": "Y", "NCYCLES": 2},
        {"USUBJID": "S2", "TRTSDT": "2020-02-01", "LSTALVDT": "2020-03-10", "DTHDT": "2020-03-10", "NCYCLES": 1},
        {"USUBJID": "S3", "LSTALVDT": "2020-05-01", "NCYCLES": 0},
    )
    ex = ex_frame(
        ("S1", 1, 1, "2020-01-01", 0.8, 1.85),
        ("S1", 1, 8, "2020-01-08", 0.5, 1.85),
        ("S1", 1, 15, "2020-01-15", 0.5, 1.85),
        ("S1", 2, 1, "2020-02-05", 0.5, 1.85),
        ("S2", 1, 1, "2020-02-01", 0.5, 2.00),
        ("S2", 1, 8, "2020-02-08", 0.5, 2.0002),
    )
    ho = ho_frame(
        ("S1", WARD, "2019-12-28", "2020-01-05"),
        ("S1", ICU, "2020-02-10", "2020-02-10"),
        ("S1", WARD, "2020-06-25", "2020-07-10"),
        ("S2", ICU, "2020-03-01", None),
    )
    pr = pr_frame(
        ("S1", TX, "RED BLOOD CELLS", 2.0, "2019-12-30"),
        ("S1", TX, "RED BLOOD CELLS", 3.0, "2020-01-10"),
        ("S1", TX, "PLATELETS", 1.0, "2020-01-12"),
        ("S1", TX, "PLATELETS", 2.0, "2020-01-20"),
        ("S1", HSCT, "ALLOGENEIC MATCHED SIBLING", None, "2020-03-01"),
        ("S2", HSCT, "HAPLOIDENTICAL", None, "2020-01-15"),
    )
    return adsl, ex, ho, pr


EXPECTED = {
    "S1": {"INOMG": 4.255, "INOVIAL": 5, "INOVIALS": 4.255, "INOWASTE": 0.745, "INOADM": 4, "CYCLES": 2,
           "WARDDAY": 9, "ICUDAY": 1, "RBCUNIT": 3, "PLTUNIT": 3, "HSCT": 1},
    "S2": {"INOMG": 2.0001, "INOVIAL": 3, "INOVIALS": 2.0001, "INOWASTE": 0.9999, "INOADM": 2, "CYCLES": 1,
           "WARDDAY": 0, "ICUDAY": 9, "RBCUNIT": 0, "PLTUNIT": 0, "HSCT": 0},
    "S3": dict.fromkeys(costs.PARAMS, 0),
}  # fmt: skip


@pytest.fixture()
def resource():
    adsl, ex, ho, pr = cohort()
    return costs.resource_use(adsl, ex, ho, pr, vial_size_mg=1.0)


# A round-number table for the cost arithmetic (the shipped one is illustrative anyway)
TEST_PRICES = {"INOVIAL": 1000, "INOADM": 100, "WARDDAY": 10, "ICUDAY": 50, "RBCUNIT": 2, "PLTUNIT": 3, "HSCT": 10000}


def write_table(tmp_path: Path, doc: dict, name: str = "costs.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def shipped_doc() -> dict:
    return yaml.safe_load(ITALY_TABLE.read_text())


@pytest.fixture()
def table(tmp_path):
    doc = shipped_doc()
    for code, price in TEST_PRICES.items():
        doc["items"][code]["value"] = price
    return costs.load_cost_table(write_table(tmp_path, doc))


# ---------------------------------------------------------------------------------------------
# Rules 1-2: dose and vials
# ---------------------------------------------------------------------------------------------


def test_docstring_examples_run():
    result = doctest.testmod(costs, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0


def test_dose_is_rounded_to_4_decimals_before_vials():
    assert 0.8 * 1.85 == 1.4800000000000002  # the floating error the rounding removes
    assert costs.ino_dose_mg(0.8, 1.85) == 1.48
    assert costs.ino_dose_mg(0.5, 2.0) == 1.0  # exactly one vial
    assert costs.ino_dose_mg(0.5, 2.0002) == 1.0001
    # 0.45 x 1.833 = 0.82485 -> half up at the 4th decimal = 0.8249
    assert costs.ino_dose_mg(0.45, 1.833) == 0.8249
    assert math.isnan(costs.ino_dose_mg(0.5, float("nan")))


@pytest.mark.parametrize(
    ("dose_mg", "vials", "vial_eq", "waste"),
    [
        (1.0, 1, 1.0, 0.0),  # exact boundary: one vial, nothing wasted
        (1.0001, 2, 1.0001, 0.9999),  # just over: a second vial, 2 - 1.0001 wasted
        (1.48, 2, 1.48, 0.52),  # 0.8 mg/m2 x 1.85 m2
        (0.925, 1, 0.925, 0.075),  # 0.5 mg/m2 x 1.85 m2
        (2.0, 2, 2.0, 0.0),
        (0.0001, 1, 0.0001, 0.9999),
    ],
)
def test_vials_at_boundaries(dose_mg, vials, vial_eq, waste):
    assert costs.vials_for_dose(dose_mg, 1.0) == vials
    assert costs.vials_for_dose(dose_mg, 1.0, sharing=True) == vial_eq
    assert costs.wasted_mg(dose_mg, 1.0) == waste


def test_vials_use_the_vial_size_argument():
    # a 0.5 mg vial: 1.48 mg -> ceil(2.96) = 3 vials, 3 x 0.5 - 1.48 = 0.02 mg wasted
    assert costs.vials_for_dose(1.48, 0.5) == 3
    assert costs.vials_for_dose(1.48, 0.5, sharing=True) == pytest.approx(2.96)
    assert costs.wasted_mg(1.48, 0.5) == 0.02
    with pytest.raises(ValueError, match="vial size must be > 0"):
        costs.vials_for_dose(1.0, 0)


@given(
    dose=st.integers(min_value=1, max_value=200).map(lambda v: v / 100),  # 0.01-2.00 mg/m2
    bsa=st.integers(min_value=8000, max_value=30000).map(lambda v: v / 10000),  # 0.8-3.0 m2, 4 decimals
)
def test_sharing_never_costs_more_ino_than_the_base_case(dose, bsa):
    mg = costs.ino_dose_mg(dose, bsa)
    whole, shared = costs.vials_for_dose(mg, 1.0), costs.vials_for_dose(mg, 1.0, sharing=True)
    assert shared <= whole < shared + 1
    assert costs.wasted_mg(mg, 1.0) == pytest.approx(whole - shared, abs=1e-9)


def test_administrations_of_a_whole_cycle_1():
    adsl, ex, _, _ = cohort()
    adm = costs.ino_administrations(ex, adsl, vial_size_mg=1.0)
    c1 = adm[(adm["USUBJID"] == "S1") & (adm["EXCYCLE"] == 1)]
    # days 1, 8, 15: 1.48 + 0.925 + 0.925 = 3.33 mg; vials 2 + 1 + 1 = 4; waste 0.52 + 0.075 + 0.075 = 0.67
    assert c1["EXCYDY"].tolist() == [1, 8, 15]
    assert c1["DOSEMG"].tolist() == [1.48, 0.925, 0.925]
    assert c1["VIALS"].tolist() == [2, 1, 1]
    assert c1["VIALEQ"].tolist() == [1.48, 0.925, 0.925]
    assert c1["WASTEMG"].tolist() == [0.52, 0.075, 0.075]
    assert round(c1["DOSEMG"].sum(), 4) == 3.33 and c1["VIALS"].sum() == 4
    assert c1["SRCROW"].tolist() == [2, 3, 4]  # provenance kept


def test_administrations_after_the_cutoff_or_without_dose_are_not_counted():
    adsl = adsl_frame({"USUBJID": "A", "TRTSDT": "2020-12-01", "LSTALVDT": "2021-02-01", "NCYCLES": 1})
    ex = ex_frame(
        ("A", 1, 1, "2020-12-01", 0.8, 1.5),  # 1.2 mg -> 2 vials
        ("A", 1, 8, "2020-12-08", 0.0, 1.5),  # no dose given
        ("A", 1, 15, "2021-01-05", 0.5, 1.5),  # after the cut-off 2020-12-31
        ("B", 1, 1, "2020-12-01", 0.8, 1.5),  # not an ADSL subject
    )
    resource = costs.resource_use(adsl, ex, None, None, vial_size_mg=1.0)
    assert (aval(resource, "A", "INOADM"), aval(resource, "A", "INOMG"), aval(resource, "A", "INOVIAL")) == (1, 1.2, 2)
    assert set(resource["USUBJID"]) == {"A"}


def test_missing_bsa_makes_the_quantity_unknown_not_zero():
    adsl = adsl_frame({"USUBJID": "A", "TRTSDT": "2020-01-01", "LSTALVDT": "2020-06-01", "NCYCLES": 1})
    ex = ex_frame(("A", 1, 1, "2020-01-01", 0.8, 1.5), ("A", 1, 8, "2020-01-08", 0.5, None))
    resource = costs.resource_use(adsl, ex, None, None, vial_size_mg=1.0)
    for code in ("INOMG", "INOVIAL", "INOVIALS", "INOWASTE"):
        assert math.isnan(aval(resource, "A", code)), code
    assert aval(resource, "A", "INOADM") == 2  # the administrations are known


# ---------------------------------------------------------------------------------------------
# Rule 3: inpatient days
# ---------------------------------------------------------------------------------------------


def stay_days(stays: tuple, **subject) -> list[float]:
    adsl = adsl_frame({"USUBJID": "A", "TRTSDT": "2020-03-01", "LSTALVDT": "2020-12-31", **subject})
    return costs.inpatient_stays(ho_frame(*stays), adsl)["DAYS"].tolist()


def test_stay_days_are_nights_with_a_same_day_stay_counting_one():
    # 03-02 -> 03-07: 5 nights; 03-10 -> 03-10: same day = 1
    assert stay_days((("A", WARD, "2020-03-02", "2020-03-07"), ("A", WARD, "2020-03-10", "2020-03-10"))) == [5, 1]


def test_stay_crossing_the_first_dose_counts_from_the_first_dose():
    # admitted 02-20, first dose 03-01, discharged 03-06: 03-01 -> 03-06 = 5 (not 15)
    # admitted 02-10, discharged 02-25, entirely before the first dose: 0
    # admitted 02-25, discharged on the day of the first dose: 03-01 -> 03-01 = 1 (same-day rule)
    stays = (
        ("A", WARD, "2020-02-20", "2020-03-06"),
        ("A", WARD, "2020-02-10", "2020-02-25"),
        ("A", WARD, "2020-02-25", "2020-03-01"),
    )
    assert stay_days(stays) == [0, 5, 1]  # in order of admission: 02-10, 02-20, 02-25


def test_stays_are_sorted_by_admission():
    stays = (("A", WARD, "2020-03-20", "2020-03-22"), ("A", WARD, "2020-03-02", "2020-03-03"))
    out = costs.inpatient_stays(ho_frame(*stays), adsl_frame({"USUBJID": "A", "TRTSDT": "2020-03-01"}))
    assert out["HOSEQ"].tolist() == [2, 1] and out["DAYS"].tolist() == [1, 2]


def test_stay_crossing_the_cutoff_counts_to_the_cutoff():
    # cut-off 2020-12-31, last known alive 2021-01-20 (beyond it): 12-20 -> 12-31 = 11 (not 16)
    # admitted 2021-01-02, after the cut-off: 0
    stays = (("A", WARD, "2020-12-20", "2021-01-05"), ("A", WARD, "2021-01-02", "2021-01-04"))
    assert stay_days(stays, LSTALVDT="2021-01-20") == [11, 0]


def test_ongoing_stay_ends_at_death_else_last_alive_else_cutoff():
    stays = (("A", ICU, "2020-05-01", None),)
    adsl = {"USUBJID": "A", "TRTSDT": "2020-03-01"}
    # death 05-09: 8 days
    out = costs.inpatient_stays(ho_frame(*stays), adsl_frame({**adsl, "DTHDT": "2020-05-09", "LSTALVDT": "2020-05-09"}))
    assert out[["HOENDIMP", "DAYS"]].values.tolist() == [["DEATH", 8]]
    assert out["HOENDT"].iloc[0] == pd.Timestamp("2020-05-09")
    # alive, last known alive 05-21: 20 days
    out = costs.inpatient_stays(ho_frame(*stays), adsl_frame({**adsl, "LSTALVDT": "2020-05-21"}))
    assert out[["HOENDIMP", "DAYS"]].values.tolist() == [["LAST KNOWN ALIVE", 20]]
    # neither known: the cut-off 2020-12-31: 05-01 -> 12-31 = 244 days (31+30+31+31+30+31+30+31 - 0)
    out = costs.inpatient_stays(ho_frame(*stays), adsl_frame(adsl))
    assert out[["HOENDIMP", "DAYS"]].values.tolist() == [["CUT-OFF", 244]]


def test_recorded_discharge_after_death_counts_to_death():
    # discharge recorded 05-20 but death 05-12: 05-01 -> 05-12 = 11
    assert stay_days((("A", WARD, "2020-05-01", "2020-05-20"),), DTHDT="2020-05-12", LSTALVDT="2020-05-12") == [11]


def test_ward_and_icu_days_are_separate(resource):
    assert (aval(resource, "S1", "WARDDAY"), aval(resource, "S1", "ICUDAY")) == (9, 1)
    assert (aval(resource, "S2", "WARDDAY"), aval(resource, "S2", "ICUDAY")) == (0, 9)
    # the ward stays counted: HOSEQ 1 and 3; the ICU stay: 2
    ward = resource[(resource["USUBJID"] == "S1") & (resource["PARAMCD"] == "WARDDAY")]
    assert ward[["SRCDOM", "SRCSEQS"]].values.tolist() == [["HO", "1,3"]]


# ---------------------------------------------------------------------------------------------
# Rules 4-5: transfusions and HSCT
# ---------------------------------------------------------------------------------------------


def test_transfusions_before_the_first_dose_or_after_the_cutoff_are_ignored():
    adsl = adsl_frame({"USUBJID": "A", "TRTSDT": "2020-03-01", "LSTALVDT": "2021-03-01"})
    pr = pr_frame(
        ("A", TX, "RED BLOOD CELLS", 2.0, "2020-02-29"),  # the day before the first dose: ignored
        ("A", TX, "RED BLOOD CELLS", 1.0, "2020-03-01"),  # on the first dose: counted
        ("A", TX, "RED BLOOD CELLS", 4.0, "2020-12-31"),  # on the cut-off: counted
        ("A", TX, "RED BLOOD CELLS", 8.0, "2021-01-01"),  # after the cut-off: ignored
        ("A", TX, "PLATELETS", 2.0, "2020-04-01"),
        ("A", TX, "FRESH FROZEN PLASMA", 3.0, "2020-04-01"),  # not a priced product
    )
    units = costs.transfusion_units(pr, adsl)
    # RBC 1 + 4 = 5; platelets 2
    assert (units.loc["A", "RBCUNIT"], units.loc["A", "PLTUNIT"]) == (5, 2)
    assert (units.loc["A", "RBCUNIT_SEQ"], units.loc["A", "PLTUNIT_SEQ"]) == ("2,3", "5")


def test_hsct_first_on_or_after_the_first_dose_and_by_the_cutoff():
    adsl = adsl_frame(
        {"USUBJID": "A", "TRTSDT": "2020-03-01"},
        {"USUBJID": "B", "TRTSDT": "2020-03-01"},
        {"USUBJID": "C", "TRTSDT": "2020-03-01"},
    )
    pr = pr_frame(
        ("A", HSCT, "HAPLOIDENTICAL", None, "2020-02-01"),  # before the first dose: ignored
        ("A", HSCT, "HAPLOIDENTICAL", None, "2020-06-01"),  # counted (PRSEQ 2)
        ("A", HSCT, "HAPLOIDENTICAL", None, "2020-09-01"),  # a second transplant: not costed
        ("B", HSCT, "ALLOGENEIC MATCHED UNRELATED", None, "2021-02-01"),  # after the cut-off
        ("C", TX, "PLATELETS", 1.0, "2020-04-01"),  # not a transplant
    )
    hsct = costs.hsct_received(pr, adsl)
    assert hsct["HSCT"].to_dict() == {"A": 1.0, "B": 0.0, "C": 0.0}
    assert hsct.loc["A", "HSCTDT"] == pd.Timestamp("2020-06-01") and hsct.loc["A", "PRSEQ"] == 2


def test_the_transplant_admission_is_paid_by_the_hsct_tariff_not_as_stay_days():
    """A ward stay 2020-03-25 to 2020-04-30 containing the HSCT (2020-04-01) is the transplant
    admission: its 36 nights are in the HSCT tariff, not in WARDDAY. The earlier stay
    2020-03-05 to 2020-03-10 (5 nights) and the ICU stay 2020-05-02 to 2020-05-04 (2 nights,
    after the discharge) count: WARDDAY 5, ICUDAY 2, HSCT 1. Without a transplant the same
    stays count 5 + 36 = 41 ward days."""
    adsl = adsl_frame({"USUBJID": "A", "TRTSDT": "2020-03-01", "LSTALVDT": "2020-10-01", "NCYCLES": 1})
    ho = ho_frame(
        ("A", WARD, "2020-03-05", "2020-03-10"),
        ("A", WARD, "2020-03-25", "2020-04-30"),
        ("A", ICU, "2020-05-02", "2020-05-04"),
    )
    pr = pr_frame(("A", HSCT, "HAPLOIDENTICAL", None, "2020-04-01"))
    use = costs.resource_use(adsl, None, ho, pr, vial_size_mg=1.0)
    assert (aval(use, "A", "WARDDAY"), aval(use, "A", "ICUDAY"), aval(use, "A", "HSCT")) == (5, 2, 1)
    assert use.loc[use["PARAMCD"] == "WARDDAY", "SRCSEQS"].item() == "1"  # the counted stay only
    without = costs.resource_use(adsl, None, ho, pr_frame(), vial_size_mg=1.0)
    assert aval(without, "A", "WARDDAY") == 41


# ---------------------------------------------------------------------------------------------
# Rule 6: the resource-use frame
# ---------------------------------------------------------------------------------------------


def test_resource_use_by_hand(resource):
    got = {u: {p: aval(resource, u, p) for p in costs.PARAMS} for u in EXPECTED}
    assert got == EXPECTED


def test_every_subject_gets_every_param_with_source_domain(resource):
    assert list(resource.columns) == costs.RESOURCE_COLUMNS
    assert len(resource) == 3 * 11
    assert resource.groupby("USUBJID")["PARAMCD"].apply(list).to_dict() == {
        u: list(costs.PARAMS) for u in ("S1", "S2", "S3")
    }
    domains = resource.drop_duplicates("PARAMCD").set_index("PARAMCD")["SRCDOM"].to_dict()
    assert domains == {p: d for p, (_, d) in costs.PARAMS.items()}
    assert domains["INOVIAL"] == "EX" and domains["CYCLES"] == "ADSL" and domains["HSCT"] == "PR"
    s1 = resource[resource["USUBJID"] == "S1"].set_index("PARAMCD")["SRCSEQS"]
    # EX records 1-4, transfusions PRSEQ 2 (RBC), 3 and 4 (PLT; PRSEQ 1 before the first dose), HSCT PRSEQ 5
    assert (s1["INOMG"], s1["RBCUNIT"], s1["PLTUNIT"], s1["HSCT"], s1["CYCLES"]) == ("1,2,3,4", "2", "3,4", "5", "")
    assert resource[resource["USUBJID"] == "S3"]["SRCSEQS"].eq("").all()


def test_vial_size_comes_from_the_argument():
    adsl, ex, ho, pr = cohort()
    half = costs.resource_use(adsl, ex, ho, pr, vial_size_mg=0.5)
    # S1: 1.48 -> ceil(2.96) = 3; 0.925 -> ceil(1.85) = 2 (x3): 9 half-mg vials;
    # wasted 3 x 0.5 - 1.48 = 0.02 and 2 x 0.5 - 0.925 = 0.075 (x3): 0.245; vial-eq 4.255 / 0.5 = 8.51
    assert aval(half, "S1", "INOVIAL") == 9
    assert aval(half, "S1", "INOWASTE") == 0.245
    assert aval(half, "S1", "INOVIALS") == pytest.approx(8.51)


# ---------------------------------------------------------------------------------------------
# Rule 7: costs
# ---------------------------------------------------------------------------------------------
#
# Prices: InO vial 1000, administration 100, ward day 10, ICU day 50, RBC 2, PLT 3, HSCT 10000.
# S1 base:    5 x 1000 + 4 x 100 + 9 x 10 + 1 x 50 + 3 x 2 + 3 x 3 + 1 x 10000 = 15555; per cycle 15555 / 2 = 7777.5
# S1 sharing: 4.255 x 1000 = 4255 in place of 5000: 14810
# S2 base:    3 x 1000 + 2 x 100 + 9 x 50 = 3650; per cycle 3650
# S2 sharing: 2.0001 x 1000 = 2000.1 in place of 3000: 2650.1
# S3:         0 in both; no cycle -> no cost per cycle
# Responders: S1 only. Cost per responder = (15555 + 3650 + 0) / 1 = 19205 (base), 17460.1 (sharing).


def test_item_costs_by_hand(resource, table):
    c = costs.subject_costs(resource, table)
    assert list(c.columns) == costs.COST_COLUMNS
    assert len(c) == 2 * 3 * 7
    s1 = c[(c["USUBJID"] == "S1") & (c["SCENARIO"] == "base")].set_index("ITEM")
    assert s1["COST"].to_dict() == {
        "INOVIAL": 5000.0,
        "INOADM": 400.0,
        "WARDDAY": 90.0,
        "ICUDAY": 50.0,
        "RBCUNIT": 6.0,
        "PLTUNIT": 9.0,
        "HSCT": 10000.0,
    }
    assert s1.loc["INOVIAL", "PARAMCD"] == "INOVIAL" and s1.loc["INOVIAL", "UNITCOST"] == 1000
    shared = c[(c["SCENARIO"] == "vial_sharing") & (c["ITEM"] == "INOVIAL")].set_index("USUBJID")
    assert shared["PARAMCD"].unique().tolist() == ["INOVIALS"]
    assert shared["COST"].to_dict() == {"S1": pytest.approx(4255.0), "S2": pytest.approx(2000.1), "S3": 0.0}
    assert set(c["CURRENCY"]) == {"EUR"} and set(c["PRICEYR"]) == {2026}


def test_totals_cost_per_cycle_and_per_responder_by_hand(resource, table):
    adsl = cohort()[0]
    totals = costs.subject_totals(costs.subject_costs(resource, table), resource)
    assert list(totals.columns) == costs.TOTAL_COLUMNS
    base = totals[totals["SCENARIO"] == "base"].set_index("USUBJID")
    assert base["TOTAL"].to_dict() == {"S1": 15555.0, "S2": 3650.0, "S3": 0.0}
    assert base.loc["S1", "COSTPCYC"] == 7777.5 and base.loc["S2", "COSTPCYC"] == 3650.0
    assert math.isnan(base.loc["S3", "COSTPCYC"])  # no cycle: no cost per cycle (not inf)
    shared = totals[totals["SCENARIO"] == "vial_sharing"].set_index("USUBJID")["TOTAL"]
    assert shared.to_dict() == {"S1": pytest.approx(14810.0), "S2": pytest.approx(2650.1), "S3": 0.0}
    assert (shared <= base["TOTAL"]).all()
    assert costs.cost_per_responder(totals, adsl, "base") == 19205.0
    assert costs.cost_per_responder(totals, adsl, "vial_sharing") == pytest.approx(17460.1)


def test_zero_responders_gives_none(resource, table):
    adsl = cohort()[0].assign(RESPFL="N")
    totals = costs.subject_totals(costs.subject_costs(resource, table), resource)
    assert costs.cost_per_responder(totals, adsl) is None
    with pytest.raises(ValueError, match="no totals for cost scenario 'other'"):
        costs.cost_per_responder(totals, adsl, "other")


def test_unknown_quantity_makes_cost_unknown(table):
    adsl = adsl_frame({"USUBJID": "A", "TRTSDT": "2020-01-01", "LSTALVDT": "2020-06-01", "NCYCLES": 1, "RESPFL": "Y"})
    ex = ex_frame(("A", 1, 1, "2020-01-01", 0.8, None))
    resource = costs.resource_use(adsl, ex, None, None, vial_size_mg=1.0)
    totals = costs.subject_totals(costs.subject_costs(resource, table), resource)
    assert totals["TOTAL"].isna().all()
    assert math.isnan(costs.cost_per_responder(totals, adsl))


def test_scenario_names_are_checked(resource, table):
    with pytest.raises(ValueError, match="unknown cost scenario 'cheap'"):
        costs.subject_costs(resource, table, scenarios=("cheap",))


# ---------------------------------------------------------------------------------------------
# Rule 8: distributions
# ---------------------------------------------------------------------------------------------


def test_distribution_of_four_subjects_by_hand():
    # sorted 100, 200, 400, 1000; mean 1700 / 4 = 425
    # SD: deviations -325, -225, -25, 575; squares 105625 + 50625 + 625 + 330625 = 487500;
    #     / (4 - 1) = 162500; sqrt = 403.1128874...
    # median (200 + 400) / 2 = 300; type 2: Q1 n*p = 1 whole -> (x1 + x2) / 2 = 150; Q3 n*p = 3 -> (x3 + x4) / 2 = 700
    d = summary_statistics([400.0, 100.0, float("nan"), 1000.0, 200.0])  # order and missing do not matter
    assert d == {
        "N": 4,
        "mean": 425.0,
        "sd": pytest.approx(403.1128874, abs=1e-7),
        "median": 300.0,
        "p25": 150.0,
        "p75": 700.0,
        "min": 100.0,
        "max": 1000.0,
    }


def test_distribution_edge_cases():
    one = summary_statistics([5.0])
    assert (one["N"], one["mean"], one["median"], one["p25"], one["p75"]) == (1, 5.0, 5.0, 5.0, 5.0)
    assert math.isnan(one["sd"])
    none = summary_statistics([])
    assert none["N"] == 0 and all(math.isnan(v) for k, v in none.items() if k != "N")


def distributions(frame: pd.DataFrame, value: str, by: list[str]) -> pd.DataFrame:
    """The per-group summary statistics of ``value`` (what IT09 reports for each scenario)."""
    rows = [{**dict(zip(by, key, strict=True)), **summary_statistics(part[value])} for key, part in frame.groupby(by)]
    return pd.DataFrame(rows)


def test_cost_distributions_by_scenario(resource, table):
    totals = costs.subject_totals(costs.subject_costs(resource, table), resource)
    dist = distributions(totals, "TOTAL", ["SCENARIO"]).set_index("SCENARIO")
    assert list(dist.columns) == ["N", "mean", "sd", "median", "p25", "p75", "min", "max"]
    base = dist.loc["base"]
    # base totals sorted 0, 3650, 15555: N 3, mean 19205 / 3, median 3650;
    # type 2: Q1 n*p = 0.75 -> x1 = 0; Q3 n*p = 2.25 -> x3 = 15555
    assert (base["N"], base["median"], base["p25"], base["p75"], base["min"], base["max"]) == (
        3,
        3650,
        0,
        15555,
        0,
        15555,
    )
    assert base["mean"] == pytest.approx(19205 / 3)
    by_item = distributions(costs.subject_costs(resource, table), "COST", ["SCENARIO", "ITEM"])
    assert len(by_item) == 2 * 7
    hsct = by_item[(by_item["SCENARIO"] == "base") & (by_item["ITEM"] == "HSCT")].iloc[0]
    assert (hsct["N"], hsct["mean"], hsct["max"]) == (3, pytest.approx(10000 / 3), 10000)


# ---------------------------------------------------------------------------------------------
# The unit-cost table
# ---------------------------------------------------------------------------------------------


def test_shipped_italian_table_is_valid_and_marked_illustrative():
    t = costs.load_cost_table(ITALY_TABLE)
    assert (t.currency, t.vial_size_mg, t.wastage_rule, t.status) == ("EUR", 1.0, "no_vial_sharing", "illustrative")
    assert t.illustrative and "replaced" in t.notice
    assert isinstance(t.price_year, int)
    assert set(t.items) == set(costs.COST_ITEMS)
    for item in t.items.values():
        assert item.value >= 0 and item.unit and isinstance(item.source_date, dt.date)
        assert item.source.startswith("ILLUSTRATIVE")
    assert "Gazzetta Ufficiale" in t.items["INOVIAL"].source and "AIFA" in t.items["INOVIAL"].source
    assert "DM 18 ottobre 2012" in t.items["WARDDAY"].source and "DM 18 ottobre 2012" in t.items["HSCT"].source
    assert "Stato-Regioni" in t.items["RBCUNIT"].source and "Stato-Regioni" in t.items["PLTUNIT"].source
    assert t.unit_cost("WARDDAY") == t.items["WARDDAY"].value
    with pytest.raises(KeyError, match="no cost item 'XRAY'"):
        t.unit_cost("XRAY")
    with pytest.raises(Exception):  # noqa: B017 (frozen)
        t.currency = "USD"


def broken(mutate) -> dict:
    doc = copy.deepcopy(shipped_doc())
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["items"]["WARDDAY"].pop("value"), r"item 'WARDDAY': missing value"),
        (lambda d: d["items"]["ICUDAY"].update(value=-1), r"item 'ICUDAY': value must be a number >= 0, got -1"),
        (lambda d: d["items"]["RBCUNIT"].update(value="cheap"), r"item 'RBCUNIT': value must be a number >= 0"),
        (lambda d: d["items"]["HSCT"].pop("source"), r"item 'HSCT': missing source"),
        (lambda d: d["items"]["PLTUNIT"].pop("unit"), r"item 'PLTUNIT': missing unit"),
        (lambda d: d["items"]["INOADM"].pop("source_date"), r"item 'INOADM': missing source_date"),
        (lambda d: d["items"]["INOADM"].update(source_date="2024-13-01"), r"item 'INOADM': source_date must be a date"),
        (lambda d: d["items"].pop("INOVIAL"), r"item 'INOVIAL' is missing"),
        (lambda d: d.pop("currency"), r"currency is missing"),
        (lambda d: d.pop("price_year"), r"price_year must be a year"),
        (lambda d: d.update(vial_size_mg=0), r"vial_size_mg must be a number > 0, got 0"),
        (lambda d: d.update(wastage_rule="half_vials"), r"wastage_rule must be one of"),
        (lambda d: d.pop("notice"), r"an illustrative table needs a notice"),
        (lambda d: d.update(status="draft"), r"status must be one of"),
        (lambda d: d.pop("items"), r"items is missing"),
    ],
)
def test_loader_errors_name_the_file_and_the_item(tmp_path, mutate, message):
    path = write_table(tmp_path, broken(mutate), "bad_costs.yaml")
    with pytest.raises(ConfigError, match=message) as error:
        costs.load_cost_table(path)
    assert str(error.value).startswith(f"{path}: invalid cost table")


def test_loader_lists_every_problem(tmp_path):
    def two(d):
        d["items"]["WARDDAY"]["value"] = -5
        d["items"]["ICUDAY"].pop("source")

    with pytest.raises(ConfigError) as error:
        costs.load_cost_table(write_table(tmp_path, broken(two)))
    assert "item 'WARDDAY': value must be a number >= 0, got -5" in str(error.value)
    assert "item 'ICUDAY': missing source" in str(error.value)


def test_loader_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found: .*nowhere.yaml"):
        costs.load_cost_table(tmp_path / "nowhere.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="list.yaml: a cost table must be a mapping"):
        costs.load_cost_table(path)


def test_a_sourced_table_needs_no_notice(tmp_path):
    def sourced(d):
        d["status"] = "sourced"
        d.pop("notice")

    t = costs.load_cost_table(write_table(tmp_path, broken(sourced)))
    assert t.status == "sourced" and not t.illustrative and t.notice is None
