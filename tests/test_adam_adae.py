"""ADAE: reported adverse events (treatment emergence, VOD, onset after HSCT) and the
laboratory-derived liver and haematological toxicity events of the registry's definitions, and
the subject-level safety flags derived from them (``derive_subject_safety_flags``: VODFL,
VODHSCFL, LIVTOXFL, ASTFL, ALTFL, BILIFL, HEMTOXFL, THRMBFL, NEUTRFL, FNFL), which the safety
and death endpoints join onto ADSL.

Hand-worked cases (day 0 = first dose; one label-schedule cycle: last dose on day 14, so the
toxicity window is days 0-56 unless HSCT comes first), then the demo study end to end.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_adam_common import D, MiniSdtm, T, assert_per_patient, definitions, demo_study, flag, standard_subject

from inoflow.adam.adae import SAFETY_FLAGS, derive_adae, derive_subject_safety_flags
from inoflow.adam.derive import derive

AST, ALT, BILI = (
    "ASPARTATE AMINOTRANSFERASE INCREASED",
    "ALANINE AMINOTRANSFERASE INCREASED",
    "BLOOD BILIRUBIN INCREASED",
)
VOD = "VENO-OCCLUSIVE DISEASE"


def adae_of(sdtm: MiniSdtm) -> pd.DataFrame:
    return derive_adae(sdtm.build(), definitions())


def lab_events(adae: pd.DataFrame) -> pd.DataFrame:
    return adae[adae["AECAT"] == "LABORATORY-DERIVED"].set_index("AEDECOD")


def subject() -> MiniSdtm:
    return standard_subject(MiniSdtm(), "1")


def flags_of(sdtm: MiniSdtm, cutoff: str | None = None) -> pd.DataFrame:
    """The subject-level safety flags of every subject of DM, by SUBJID; with ``cutoff``, ADAE
    derived as the workflow does (inoflow.adam.derive: the cut's data only)."""
    domains, d = sdtm.build(), definitions()
    adae = derive_adae(domains, d) if cutoff is None else derive("ADAE", domains, {}, d, cutoff)
    flags = derive_subject_safety_flags(adae, d, domains["DM"]["USUBJID"])
    return flags.set_index(flags["USUBJID"].map(domains["DM"].set_index("USUBJID")["SUBJID"]))


def rules_hold(flags: pd.DataFrame) -> None:
    """The rules between the flags (schemas/adam.py ADSLSafety)."""
    yes = flags[SAFETY_FLAGS] == "Y"
    assert (yes["LIVTOXFL"] == yes[["ASTFL", "ALTFL", "BILIFL"]].any(axis=1)).all()
    assert (yes["HEMTOXFL"] == yes[["THRMBFL", "NEUTRFL", "FNFL"]].any(axis=1)).all()
    assert (~yes["FNFL"] | yes["NEUTRFL"]).all()
    assert (~yes["VODHSCFL"] | yes["VODFL"]).all()
    assert flags[SAFETY_FLAGS].isin(["Y", "N"]).all().all()


# ---------------------------------------------------------------------------------------------
# Hand-worked cases
# ---------------------------------------------------------------------------------------------


def test_01_ast_exactly_2_5_uln_counts_just_below_does_not():
    sdtm = subject().lab("1", 10, "AST", 100.0, uln=40.0).lab("1", 10, "ALT", 99.0, uln=40.0)
    events = lab_events(adae_of(sdtm))
    assert list(events.index) == [AST]
    assert (events.at[AST, "AVAL"], events.at[AST, "ULN"], events.at[AST, "R2ULN"]) == (100.0, 40.0, 2.5)
    assert events.at[AST, "AECRIT"] == "AST >= 2.5 x ULN" and events.at[AST, "AEGRP"] == "LIVER"


def test_02_bilirubin_exactly_1_5_uln_after_unit_conversion_counts():
    """30.75 umol/L with ULN 20.5 (1.798 mg/dL converted): ratio 1.5 at 6 decimals."""
    sdtm = subject().lab("1", 12, "BILI", 1.797825070159027 * 17.104, uln=20.5)
    assert BILI in lab_events(adae_of(sdtm)).index


def test_03_first_occurrence_in_the_window_with_its_source_record():
    sdtm = (
        subject()
        .lab("1", 5, "ALT", 90.0, uln=40.0)
        .lab("1", 9, "ALT", 140.0, uln=40.0)
        .lab("1", 20, "ALT", 200.0, uln=40.0)
    )
    adae = adae_of(sdtm)
    event = lab_events(adae).loc[ALT]
    assert (event["ASTDT"], event["AVAL"], event["ASTDY"], event["TRTEMFL"]) == (T(9), 140.0, 10, "Y")
    lb = sdtm.build()["LB"].set_index("LBSEQ")
    source = lb.loc[event["SRCSEQ"]]
    assert (event["SRCDOM"], source["LBTESTCD"], source["LBSTRESN"], source["SRCROW"]) == (
        "LB",
        "ALT",
        140.0,
        event["SRCROW"],
    )


def test_04_window_is_first_dose_to_last_dose_plus_42_days():
    before = subject().lab("1", -1, "PLAT", 20.0)  # before the first dose
    assert lab_events(adae_of(before)).empty
    last = subject().lab("1", 56, "PLAT", 149.0)  # last dose day 14 + 42 = day 56: inside
    assert "THROMBOCYTOPENIA" in lab_events(adae_of(last)).index
    after = subject().lab("1", 57, "PLAT", 20.0)
    assert lab_events(adae_of(after)).empty


def test_05_window_ends_at_hsct_the_hsct_day_included():
    on_day = subject().hsct("1", 40).lab("1", 40, "NEUT", 0.2)
    assert "NEUTROPENIA" in lab_events(adae_of(on_day)).index
    after = subject().hsct("1", 40).lab("1", 41, "NEUT", 0.2)
    assert lab_events(adae_of(after)).empty


def test_06_counts_sent_with_the_marrow_count_too():
    sdtm = subject()
    sdtm.marrow("1", 25, 2.0, plat=140.0, neut=1.5)  # platelets 140 < 150 on the marrow day
    events = lab_events(adae_of(sdtm))
    assert list(events.index) == ["THROMBOCYTOPENIA"] and events.at["THROMBOCYTOPENIA", "ASTDT"] == T(25)
    assert lab_events(adae_of(subject().lab("1", 3, "PLAT", 150.0))).empty  # exactly 150: not < 150


def test_07_febrile_neutropenia_needs_anc_below_1_and_38_5_c_the_same_day():
    cases = {
        "38.4 C with ANC 0.3": (subject().lab("1", 8, "NEUT", 0.3).temp("1", 8, 38.4), False),
        "38.5 C with ANC 0.3": (subject().lab("1", 8, "NEUT", 0.3).temp("1", 8, 38.5), True),
        "39.0 C with ANC 1.0": (subject().lab("1", 8, "NEUT", 1.0).temp("1", 8, 39.0), False),
        "39.0 C the day after ANC 0.3": (subject().lab("1", 8, "NEUT", 0.3).temp("1", 9, 39.0), False),
    }
    got = {name: "FEBRILE NEUTROPENIA" in lab_events(adae_of(sdtm)).index for name, (sdtm, _) in cases.items()}
    assert got == {name: expected for name, (_, expected) in cases.items()}
    event = lab_events(adae_of(cases["38.5 C with ANC 0.3"][0])).loc["FEBRILE NEUTROPENIA"]
    assert (event["SRCDOM"], event["AVAL"], event["AVALU"], event["ANC"]) == ("VS", 38.5, "C", 0.3)
    assert pd.notna(event["ANCSEQ"])


def test_08_vod_onset_on_the_hsct_date_is_not_after_hsct_the_day_after_is():
    sdtm = subject().hsct("1", 40).ae("1", VOD, 40).ae("1", VOD, 41)
    adae = adae_of(sdtm)
    vod = adae[adae["AEDECOD"] == VOD].set_index("ASTDT")
    assert (vod.at[T(40), "APHSCTFL"], vod.at[T(41), "APHSCTFL"]) == ("N", "Y")
    assert (vod["VODFL"] == "Y").all() and (vod["AECAT"] == "REPORTED").all() and (vod["SRCDOM"] == "AE").all()


def test_09_treatment_emergence_and_no_hsct():
    sdtm = subject().ae("1", "NAUSEA", -2).ae("1", "NAUSEA", 0)
    adae = adae_of(sdtm)
    reported = adae[adae["AECAT"] == "REPORTED"].set_index("ASTDT")
    assert (reported.at[T(-2), "TRTEMFL"], reported.at[T(0), "TRTEMFL"]) == ("N", "Y")
    assert (reported.at[T(-2), "ASTDY"], reported.at[T(0), "ASTDY"]) == (-2, 1)
    assert reported["APHSCTFL"].isna().all()  # no HSCT: not applicable


# ---------------------------------------------------------------------------------------------
# Hand-worked cases: the subject-level safety flags
# ---------------------------------------------------------------------------------------------


def test_10_vod_flags_vod_after_hsct():
    """The same subjects as tests/test_adam_adsl.py test_07 (HSCT after a single cycle)."""
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1").hsct("1", 45).ae("1", VOD, 55)
    standard_subject(sdtm, "2", cycles=2).hsct("2", 75).ae("2", VOD, 75)
    standard_subject(sdtm, "3").hsct("3", -30)  # a transplant before InO is not "after InO"
    flags = flags_of(sdtm)
    assert flags.loc["1", ["VODFL", "VODHSCFL"]].tolist() == ["Y", "Y"]
    assert flags.loc["2", ["VODFL", "VODHSCFL"]].tolist() == ["Y", "N"]  # VOD on the HSCT date: not after
    assert flags.loc["3", ["VODFL", "VODHSCFL"]].tolist() == ["N", "N"]
    rules_hold(flags)


def test_11_toxicity_flags_from_the_laboratory_events():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1").lab("1", 10, "AST", 100.0, uln=40.0).lab("1", 10, "NEUT", 0.4).temp("1", 10, 38.6)
    standard_subject(sdtm, "2").lab("2", 10, "BILI", 30.0, uln=20.5).ae("2", "THROMBOCYTOPENIA", 5)  # reported only
    flags = flags_of(sdtm)
    tox = ["LIVTOXFL", "ASTFL", "ALTFL", "BILIFL", "HEMTOXFL", "THRMBFL", "NEUTRFL", "FNFL"]
    assert flags.loc["1", tox].tolist() == ["Y", "Y", "N", "N", "Y", "N", "Y", "Y"]
    assert flags.loc["2", tox].tolist() == ["N", "N", "N", "N", "N", "N", "N", "N"]  # 1.46 x ULN; no low count
    rules_hold(flags)


def test_12_one_row_per_subject_every_flag_n_without_an_event():
    sdtm = subject().lab("1", 10, "PLAT", 20.0)
    standard_subject(sdtm, "2")  # no adverse event, no low count: not in ADAE
    standard_subject(sdtm, "3").ae("3", "NAUSEA", 5).ae("3", "NAUSEA", 9)  # two reported events
    flags = flags_of(sdtm)
    assert list(flags.columns) == ["USUBJID", *SAFETY_FLAGS]
    assert list(flags.index) == ["1", "2", "3"] and flags["USUBJID"].is_unique
    assert flags.loc["1", ["HEMTOXFL", "THRMBFL"]].tolist() == ["Y", "Y"]
    assert (flags.loc[["2", "3"], SAFETY_FLAGS] == "N").all().all()
    adae = derive_adae(sdtm.build(), definitions())  # without subjects: the subjects of ADAE
    assert derive_subject_safety_flags(adae, definitions())["USUBJID"].tolist() == [
        sdtm.usubjid("1"),
        sdtm.usubjid("3"),
    ]


def test_13_events_after_the_cutoff_are_not_in_the_cut():
    """No cut-off parameter: ADAE of a cut is derived from the cut's data (inoflow.adam.datacut), so
    an event dated after the cut-off is not in it; one on the cut-off date counts."""
    sdtm = subject().lab("1", 30, "AST", 100.0, uln=40.0).hsct("1", 40).ae("1", VOD, 50)
    got = {
        day: flags_of(sdtm, cutoff=D(day)).loc["1", ["ASTFL", "LIVTOXFL", "VODFL", "VODHSCFL"]].tolist()
        for day in (29, 30, 49, 50)
    }
    assert got == {29: ["N", "N", "N", "N"], 30: ["Y", "Y", "N", "N"], 49: ["Y", "Y", "N", "N"], 50: ["Y"] * 4}


# ---------------------------------------------------------------------------------------------
# The demo study end to end
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo():
    return demo_study()


def test_20_patient_by_patient_equals_the_intended_truth(demo):
    lab = demo.adae[demo.adae["AECAT"] == "LABORATORY-DERIVED"]
    vod = demo.adae[(demo.adae["AECAT"] == "REPORTED") & (demo.adae["VODFL"] == "Y")]
    has = {decod: set(lab.loc[lab["AEDECOD"] == decod, "USUBJID"]) for decod in lab["AEDECOD"].unique()}
    facts = {
        AST: "liver_ast",
        ALT: "liver_alt",
        BILI: "liver_bili",
        "THROMBOCYTOPENIA": "thrombocytopenia",
        "NEUTROPENIA": "neutropenia",
        "FEBRILE NEUTROPENIA": "febrile_neutropenia",
    }
    pairs = []
    for usubjid, t in demo.truth.iterrows():
        pairs += [
            (f"{usubjid} {decod}", flag(usubjid in has.get(decod, set())), flag(t[f])) for decod, f in facts.items()
        ]
        pairs.append((f"{usubjid} VOD", flag(usubjid in set(vod["USUBJID"])), flag(t["vod"])))
        after = set(vod.loc[vod["APHSCTFL"] == "Y", "USUBJID"])
        pairs.append((f"{usubjid} VOD after HSCT", flag(usubjid in after), flag(t["vod_after_hsct"])))
    assert_per_patient(pairs)


def test_21_published_safety_counts(demo):
    lab = demo.adae[demo.adae["AECAT"] == "LABORATORY-DERIVED"]
    per = lab.groupby("AEDECOD")["USUBJID"].nunique().to_dict()
    assert per == {AST: 9, ALT: 6, BILI: 8, "THROMBOCYTOPENIA": 27, "NEUTROPENIA": 20, "FEBRILE NEUTROPENIA": 14}
    assert lab[lab["AEGRP"] == "LIVER"]["USUBJID"].nunique() == 12  # Table 8
    assert lab[lab["AEGRP"] == "HAEMATOLOGICAL"]["USUBJID"].nunique() == 28
    assert not lab.duplicated(["USUBJID", "AEDECOD"]).any()  # one record per subject and toxicity
    vod = demo.adae[(demo.adae["AECAT"] == "REPORTED") & (demo.adae["VODFL"] == "Y")]
    assert vod["USUBJID"].nunique() == 7 and vod.loc[vod["APHSCTFL"] == "Y", "USUBJID"].nunique() == 5


def test_22_reported_records_trace_to_ae(demo):
    reported = demo.adae[demo.adae["AECAT"] == "REPORTED"]
    assert len(reported) == len(demo.sdtm["AE"])
    ae = demo.sdtm["AE"].set_index(["USUBJID", "AESEQ"])
    for row in reported.itertuples():
        source = ae.loc[(row.USUBJID, row.SRCSEQ)]
        assert (source["AEDECOD"], source["SRCFILE"], source["SRCROW"]) == (row.AEDECOD, row.SRCFILE, row.SRCROW)
    lab = demo.adae[demo.adae["AECAT"] == "LABORATORY-DERIVED"]
    assert set(lab["SRCDOM"]) == {"LB", "VS"} and lab[["SRCSEQ", "SRCFILE", "SRCROW"]].notna().all().all()


def test_23_subject_flags_patient_by_patient_equal_the_intended_truth(demo):
    flags = demo.safety.set_index("USUBJID")
    assert list(flags.index) == list(demo.adsl["USUBJID"])  # one row per ADSL subject, in its order
    assert sorted(flags.index) == sorted(demo.truth.index)
    facts = {  # flag -> truth column
        "VODFL": "vod",
        "VODHSCFL": "vod_after_hsct",
        "ASTFL": "liver_ast",
        "ALTFL": "liver_alt",
        "BILIFL": "liver_bili",
        "LIVTOXFL": "liver_any",
        "THRMBFL": "thrombocytopenia",
        "NEUTRFL": "neutropenia",
        "FNFL": "febrile_neutropenia",
        "HEMTOXFL": "heme_any",
    }
    assert sorted(facts) == sorted(SAFETY_FLAGS)
    pairs = [
        (f"{usubjid} {variable}", flags.at[usubjid, variable], flag(t[column]))
        for usubjid, t in demo.truth.iterrows()
        for variable, column in facts.items()
    ]
    assert_per_patient(pairs)


def test_24_published_subject_flag_counts(demo):
    flags = demo.safety
    rules_hold(flags)
    assert (flags["VODFL"] == "Y").sum() == 7 and (flags["VODHSCFL"] == "Y").sum() == 5
    assert [(flags[f] == "Y").sum() for f in ("LIVTOXFL", "ASTFL", "ALTFL", "BILIFL")] == [12, 9, 6, 8]
    assert [(flags[f] == "Y").sum() for f in ("HEMTOXFL", "THRMBFL", "NEUTRFL", "FNFL")] == [28, 27, 20, 14]
    adsl = demo.adsl.merge(flags, on="USUBJID", validate="one_to_one")
    assert len(adsl) == 32
    assert (~(adsl["VODHSCFL"] == "Y") | (adsl["HSCTFL"] == "Y")).all()  # VOD after HSCT needs HSCT
    post = adsl[adsl["POSTBLFL"] == "Y"]  # Table 6: 11 + 20 = 31
    table6 = post.groupby("HSCTFL")[["VODFL", "LIVTOXFL", "HEMTOXFL"]].agg(lambda s: (s == "Y").sum())
    assert table6.loc["Y"].tolist() == [5, 4, 9] and table6.loc["N"].tolist() == [2, 8, 19]
    by_line = adsl.groupby("SALVLNGR")["VODFL"].agg(lambda s: (s == "Y").sum()).to_dict()
    assert by_line == {"1": 2, "2": 3, ">=3": 2}  # Table 7
