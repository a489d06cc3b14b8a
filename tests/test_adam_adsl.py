"""ADSL: one record per subject.

Hand-worked cases (day 0 = first dose = 2020-01-01; cut-off 2023-04-30 unless stated), then
the demo study end to end against the generator's intended truth and the publication. The
subject-level VOD and toxicity flags are derived from ADAE, not stored in ADSL: they are tested
in tests/test_adam_adae.py.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_adam_common import D, MiniSdtm, T, assert_per_patient, definitions, demo_study, flag, standard_subject

from inoflow.adam.adrs import derive_adrs
from inoflow.adam.adsl import derive_adsl

CUTOFF = "2023-04-30"


def adsl_of(sdtm: MiniSdtm, cutoff: str = CUTOFF) -> pd.DataFrame:
    domains = sdtm.build()
    d = definitions()
    return derive_adsl(domains, derive_adrs(domains, d), d, cutoff).set_index("SUBJID")


# ---------------------------------------------------------------------------------------------
# Hand-worked cases
# ---------------------------------------------------------------------------------------------


def test_01_baseline_blasts_exactly_50_pct_is_high_burden():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", baseline_blasts=50.0)
    standard_subject(sdtm, "2", baseline_blasts=49.9)
    adsl = adsl_of(sdtm)
    assert adsl.loc["1", ["BLBLAST", "BURDEN"]].tolist() == [50.0, "HIGH"]
    assert adsl.loc["2", ["BLBLAST", "BURDEN"]].tolist() == [49.9, "LOW"]


def test_02_cycle1_dose_exactly_1_8_is_standard_including_float_sums():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1")  # 0.8 + 0.5 + 0.5
    sdtm.subject("2").cycle("2", 1, 0, doses=(0.6, 0.6, 0.6)).followup("2", "ALIVE", 300)  # 1.7999999999999998
    sdtm.subject("3").cycle("3", 1, 0, doses=(1.384 / 1.73, 0.865 / 1.73, 0.865 / 1.73)).followup("3", "ALIVE", 300)
    sdtm.subject("4").cycle("4", 1, 0, doses=(0.8, 0.5, None)).followup("4", "ALIVE", 300)
    sdtm.subject("5").cycle("5", 1, 0, doses=(0.8, 0.8, 0.5)).followup("5", "ALIVE", 300)
    adsl = adsl_of(sdtm)
    assert adsl["C1DOSE"].tolist() == [1.8, 1.8, 1.8, 1.3, 2.1]
    assert adsl["DOSECAT"].tolist() == ["STANDARD", "STANDARD", "STANDARD", "UNDER", "OVER"]
    assert adsl["DOSEMODFL"].tolist() == ["N", "N", "N", "Y", "Y"]


def test_03_dose_modification_in_a_later_cycle():
    sdtm = MiniSdtm()
    sdtm.subject("1").cycle("1", 1, 0).cycle("1", 2, 28, doses=(0.5, 0.5, 0.5)).followup("1", "ALIVE", 300)
    adsl = adsl_of(sdtm)
    assert adsl.loc["1", ["DOSECAT", "DOSEMODFL", "NCYCLES"]].tolist() == ["STANDARD", "Y", 2]


def test_04_age_exactly_65_is_18_65_and_age_from_the_year_of_birth():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", age=65)
    standard_subject(sdtm, "2", age=66)
    standard_subject(sdtm, "3", age=None, brthdtc="1954")  # 1 July 1954 -> 65 on 2020-01-01
    standard_subject(sdtm, "4", age=None, brthdtc="1954-12-31")  # full date kept: 65
    adsl = adsl_of(sdtm)
    assert adsl["AGE"].tolist() == [65, 66, 65, 65]
    assert adsl["AGEGR1"].tolist() == ["18-65", ">65", "18-65", "18-65"]


def test_05_death_on_the_cutoff_date_counts_after_it_does_not():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("DEAD", 100))
    sdtm.records["DD"].append(
        {**sdtm.records["DS"][-1], "DOMAIN": "DD", "DDDTC": D(100), "DDORRES": "sepsis", "DDSTRESC": "SEPTIC SHOCK"}
    )
    on_cut = adsl_of(sdtm, cutoff=D(100))
    assert on_cut.loc["1", ["DTHFL", "DTHDT", "DTHCAUS", "LSTALVDT"]].tolist() == ["Y", T(100), "SEPTIC SHOCK", T(100)]
    before = adsl_of(sdtm, cutoff=D(99))
    assert before.loc["1", ["DTHFL", "DTHCAUS", "LSTALVDT"]].tolist() == ["N", None, T(99)]
    assert pd.isna(before.loc["1", "DTHDT"])


def test_06_response_variables_and_mrd_flag_for_responders_only():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", cycles=2)
    sdtm.marrow("1", 25, 8.0, plat=80.0, neut=1.2).marrow("1", 50, 2.0, plat=100.0, neut=1.6, mrdstat="NEGATIVE")
    standard_subject(sdtm, "2")
    sdtm.marrow("2", 25, 30.0)
    standard_subject(sdtm, "3")  # no marrow after the first dose
    adsl = adsl_of(sdtm)
    got = adsl[["BESTRSP", "RESPFL", "RESPDT", "CYCRESP", "MRDNEGFL", "POSTBLFL", "RESPPOPFL"]]
    assert got.loc["1"].tolist() == ["CRi", "Y", T(50), 2, "Y", "Y", "Y"]
    assert got.loc["2", ["BESTRSP", "RESPFL", "MRDNEGFL", "POSTBLFL"]].tolist() == ["NR", "N", None, "Y"]
    assert got.loc["3", ["BESTRSP", "RESPFL", "POSTBLFL"]].tolist() == ["NE", "N", "N"]


def test_07_hsct_after_a_single_cycle():
    """The same subjects as tests/test_adam_adae.py test_10 (VOD after HSCT)."""
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1").hsct("1", 45).ae("1", "VENO-OCCLUSIVE DISEASE", 55)
    standard_subject(sdtm, "2", cycles=2).hsct("2", 75).ae("2", "VENO-OCCLUSIVE DISEASE", 75)
    standard_subject(sdtm, "3").hsct("3", -30)  # a transplant before InO is not "after InO"
    adsl = adsl_of(sdtm)
    got = adsl[["HSCTFL", "HSCTDT", "HSCT1CFL"]]
    assert got.loc["1"].tolist() == ["Y", T(45), "Y"]
    assert got.loc["2"].tolist() == ["Y", T(75), "N"]
    assert got.loc["3", ["HSCTFL", "HSCT1CFL"]].tolist() == ["N", None]


def test_08_concomitant_medication_during_treatment():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1").cm("1", "Ondansetron", 0, 14)
    standard_subject(sdtm, "2").cm("2", "Allopurinol", -10, -1).cm("2", "Acyclovir", 15)  # before / after
    standard_subject(sdtm, "3").cm("3", "Posaconazole", -5)  # ongoing from before the first dose
    assert adsl_of(sdtm)["CMFL"].tolist() == ["Y", "N", "Y"]


def test_09_adsl_reads_no_adverse_events():
    """ADSL has no subject-level safety flags and reads neither AE nor ADAE (inoflow.adam.derive),
    so that a changed adverse-event file reruns ADAE and the safety and death endpoints only."""
    from inoflow.adam.adae import SAFETY_FLAGS
    from inoflow.adam.adsl import COLUMNS
    from inoflow.adam.derive import ADAM_SOURCES

    assert not set(SAFETY_FLAGS) & set(COLUMNS)
    assert "AE" not in ADAM_SOURCES["ADSL"]["sdtm"] and "ADAE" not in ADAM_SOURCES["ADSL"]["adam"]
    assert "ADSL" not in ADAM_SOURCES["ADAE"]["adam"]
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1").ae("1", "VENO-OCCLUSIVE DISEASE", 20).lab("1", 10, "AST", 100.0, uln=40.0)
    domains = {name: frame for name, frame in sdtm.build().items() if name in ADAM_SOURCES["ADSL"]["sdtm"]}
    d = definitions()
    adsl = derive_adsl(domains, derive_adrs(sdtm.build(), d), d, CUTOFF)
    assert list(adsl.columns) == COLUMNS and len(adsl) == 1


def test_10_lost_to_follow_up_windows_and_salvage_groups():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("LOST TO FOLLOW-UP", 182), salvage=1)  # 5.98 months
    standard_subject(sdtm, "2", followup=("LOST TO FOLLOW-UP", 183), salvage=2)  # 6.01
    standard_subject(sdtm, "3", followup=("LOST TO FOLLOW-UP", 366), salvage=3)  # 12.02
    standard_subject(sdtm, "4", followup=("ALIVE", 400), salvage=4)
    adsl = adsl_of(sdtm)
    assert adsl["LTFUWIN"].tolist() == ["<6", "6-12", ">=12", None]
    assert adsl["SALVLNGR"].tolist() == ["1", "2", ">=3", ">=3"]
    assert adsl["EOSSTT"].tolist() == ["LOST TO FOLLOW-UP"] * 3 + ["ALIVE"]


def test_11_last_known_alive_is_the_latest_dated_record_up_to_the_cutoff():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("LOST TO FOLLOW-UP", 60)).lab("1", 75, "PLAT", 200.0)
    assert adsl_of(sdtm).loc["1", "LSTALVDT"] == T(75)
    assert adsl_of(sdtm, cutoff=D(70)).loc["1", "LSTALVDT"] == T(70)


def test_12_last_known_alive_reads_no_adverse_event_onsets():
    """An AE onset after the last contact does not move LSTALVDT (ADSL reads no adverse events);
    the data-quality report flags it (inoflow.model.quality.no_records_after_last_contact)."""
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("LOST TO FOLLOW-UP", 60)).ae("1", "NAUSEA", 80)
    assert adsl_of(sdtm).loc["1", "LSTALVDT"] == T(60)


# ---------------------------------------------------------------------------------------------
# The demo study end to end
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo():
    return demo_study()


def test_20_patient_by_patient_equals_the_intended_truth(demo):
    adsl = demo.adsl.set_index("USUBJID")
    assert sorted(adsl.index) == sorted(demo.truth.index)
    facts = {  # ADSL variable -> (truth column, conversion)
        "AGE": ("age", None),
        "AGEGR1": ("age_group", None),
        "SALVLN": ("salvage_line", None),
        "BLBLAST": ("baseline_blasts", None),
        "BURDEN": ("burden", str.upper),
        "EMDBLFL": ("emd_baseline", flag),
        "NCYCLES": ("n_cycles", None),
        "C1DOSE": ("cycle1_dose_mgm2", None),
        "DOSECAT": ("dose_category", str.upper),
        "DOSEMODFL": ("dose_modified", flag),
        "BESTRSP": ("best_response", None),
        "CYCRESP": ("cycles_to_response", None),
        "RESPDT": ("first_response_date", pd.Timestamp),
        "MRDNEGFL": ("mrd_negative", flag),
        "HSCTFL": ("hsct", flag),
        "HSCTDT": ("hsct_date", pd.Timestamp),
        "DTHFL": ("death", flag),
        "DTHDT": ("death_date", pd.Timestamp),
        "DTHCAUS": ("death_cause_std", None),
        "LSTALVDT": ("last_contact", pd.Timestamp),
        "TRTSDT": ("first_dose_date", pd.Timestamp),
        "LTFUWIN": ("ltfu_window", None),
        "CMFL": ("any_conmed", flag),
    }
    pairs = []
    for usubjid, t in demo.truth.iterrows():
        for variable, (column, convert) in facts.items():
            want = t[column]
            if convert is not None and want is not None and not (isinstance(want, float) and pd.isna(want)):
                want = convert(want)
            pairs.append((f"{usubjid} {variable}", adsl.at[usubjid, variable], want))
    assert_per_patient(pairs)


def test_21_published_counts(demo):
    adsl = demo.adsl

    def counts(variable):
        return adsl[variable].value_counts(dropna=False).to_dict()

    assert len(adsl) == 32 and (adsl["FASFL"] == "Y").all() and (adsl["SAFFL"] == "Y").all()
    assert counts("SEX") == {"M": 21, "F": 11}
    assert counts("AGEGR1") == {"18-65": 30, ">65": 2}
    assert (round(adsl["AGE"].mean(), 2), round(adsl["AGE"].std(), 2)) == (37.41, 15.16)
    assert counts("SALVLNGR") == {"2": 18, "1": 10, ">=3": 4}
    assert counts("DISSTAT") == {"RELAPSED": 28, "REFRACTORY": 4}
    assert counts("NCYCLES") == {1: 15, 2: 8, 3: 5, 4: 2, 6: 2}
    assert counts("DOSECAT") == {"UNDER": 17, "STANDARD": 12, "OVER": 3}
    assert counts("BURDEN") == {"LOW": 16, "HIGH": 16}
    assert counts("EMDBLFL") == {"N": 30, "Y": 2}
    assert counts("BESTRSP") == {"CR": 18, "NR": 12, "CRi": 1, "NE": 1}
    resp = adsl[adsl["RESPFL"] == "Y"]
    assert (resp["MRDNEGFL"] == "Y").sum() == 18 and len(resp) == 19
    assert (adsl["HSCTFL"] == "Y").sum() == 11 and (resp["HSCTFL"] == "Y").sum() == 9
    assert (resp["HSCT1CFL"] == "Y").sum() == 6
    assert (adsl["DTHFL"] == "Y").sum() == 17
    assert adsl.loc[adsl["DTHFL"] == "Y", "DTHCAUS"].value_counts().to_dict() == {
        "RELAPSE": 6,
        "PROGRESSION OF DISEASE": 4,
        "SEPTIC SHOCK": 2,
        "NOT DOCUMENTED": 2,
        "VOD-RELATED MULTI-ORGAN FAILURE": 1,
        "VOD PNEUMONIA": 1,
        "CNS RELAPSE": 1,
    }
    assert counts("LTFUWIN") == {None: 21, "6-12": 5, ">=12": 5, "<6": 1}
    post = adsl[adsl["POSTBLFL"] == "Y"]  # Table 6: 11 + 20 = 31 (its toxicities: tests/test_adam_adae.py)
    assert post["HSCTFL"].value_counts().to_dict() == {"N": 20, "Y": 11}
    assert resp.groupby("SALVLNGR").size().to_dict() == {"1": 6, "2": 11, ">=3": 2}  # Table 3
    assert resp.groupby("BURDEN").size().to_dict() == {"HIGH": 9, "LOW": 10}  # Table 4


def test_22_one_record_per_subject_with_typed_columns(demo):
    adsl = demo.adsl
    assert adsl["USUBJID"].is_unique
    for column in ("TRTSDT", "TRTEDT", "DIAGDT", "RESPDT", "HSCTDT", "DTHDT", "LSTALVDT", "DCUTDT"):
        assert pd.api.types.is_datetime64_any_dtype(adsl[column]), column
    assert (adsl["DCUTDT"] == pd.Timestamp("2023-04-30")).all()
    assert (adsl["LSTALVDT"] >= adsl["TRTSDT"]).all()
