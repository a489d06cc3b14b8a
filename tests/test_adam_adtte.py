"""ADTTE: OS, RFS and DOR declared as data and applied by one generic derivation.

Hand-worked cases (day 0 = first dose = 2020-01-01), then the demo study end to end against
the generator's intended truth and the published medians.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_adam_common import D, MiniSdtm, T, assert_per_patient, definitions, demo_study, standard_subject

from inoflow.adam.adrs import derive_adrs
from inoflow.adam.adsl import derive_adsl
from inoflow.adam.adtte import TTE_PARAMETERS, CensorSource, EventSource, derive_adtte

CUTOFF = "2023-04-30"


def adtte_of(sdtm: MiniSdtm, cutoff: str = CUTOFF) -> pd.DataFrame:
    domains, d = sdtm.build(), definitions()
    adrs = derive_adrs(domains, d)
    adsl = derive_adsl(domains, adrs, d, cutoff)
    return derive_adtte(domains, adsl, adrs, d).set_index(["SUBJID", "PARAMCD"])


def responder(sdtm: MiniSdtm, sid: str, followup=("ALIVE", 400), cycles=1, response_day=25) -> MiniSdtm:
    standard_subject(sdtm, sid, followup=followup, cycles=cycles)
    sdtm.marrow(sid, response_day, 2.0, plat=130.0, neut=1.6, mrd=0.001)
    return sdtm


# ---------------------------------------------------------------------------------------------
# The declarations
# ---------------------------------------------------------------------------------------------


def test_01_parameters_read_like_the_protocol():
    os_, rfs, dor = (TTE_PARAMETERS[p] for p in ("OS", "RFS", "DOR"))
    assert (os_.start_date, os_.population) == ("TRTSDT", "SAFFL == 'Y'")
    assert [e.description for e in os_.events] == ["DEATH"]
    assert [c.description for c in os_.censors] == ["LAST KNOWN ALIVE"]
    assert (rfs.start_date, rfs.population) == ("TRTSDT", "RESPFL == 'Y'")
    assert [e.description for e in rfs.events] == [
        "DEATH",
        "RELAPSE FROM CR/CRI",
        "NEW INDUCTION THERAPY WITHOUT CR/CRI",
        "HSCT WITHOUT CR/CRI",
    ]
    assert rfs.not_collected == ("treatment discontinuation due to global deterioration of health status",)
    assert "posttherapy HSCT without achieving CR/CRi" in rfs.definition
    assert (dor.start_date, [e.description for e in dor.events]) == ("RESPDT", ["RELAPSE FROM CR/CRI", "DEATH"])
    assert all(isinstance(e, EventSource) for p in TTE_PARAMETERS.values() for e in p.events)
    assert all(isinstance(c, CensorSource) for p in TTE_PARAMETERS.values() for c in p.censors)


# ---------------------------------------------------------------------------------------------
# Hand-worked cases
# ---------------------------------------------------------------------------------------------


def test_02_death_on_the_cutoff_date_is_an_os_event_at_that_date():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("DEAD", 150))
    os_ = adtte_of(sdtm, cutoff=D(150)).loc[("1", "OS")]
    assert (os_["CNSR"], os_["ADT"], os_["AVAL"], os_["EVNTDESC"], os_["SRCDOM"]) == (0, T(150), 150, "DEATH", "DS")
    assert os_["SRCVAR"] == "DSDTHDTC" and os_["SRCSEQ"] == 1


def test_03_death_after_the_cutoff_is_censored_at_the_cutoff():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("DEAD", 150))
    os_ = adtte_of(sdtm, cutoff=D(149)).loc[("1", "OS")]
    assert (os_["CNSR"], os_["ADT"], os_["AVAL"]) == (1, T(149), 149)
    assert os_["EVNTDESC"] == "LAST KNOWN ALIVE"


def test_04_alive_is_censored_at_the_last_date_known_alive():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("LOST TO FOLLOW-UP", 40))
    os_ = adtte_of(sdtm).loc[("1", "OS")]
    assert (os_["CNSR"], os_["AVAL"], os_["CNSDTDSC"], os_["SRCDOM"], os_["SRCVAR"]) == (
        1,
        40,
        "LAST KNOWN ALIVE DATE",
        "ADSL",
        "LSTALVDT",
    )


def test_05_hsct_without_cr_cri_is_an_rfs_event_at_the_hsct_date():
    """HSCT on day 40 while not in CR/CRi (blasts 20 % on day 25); CR only after it, on day 70:
    a responder whose RFS ends at the HSCT ("posttherapy HSCT without achieving CR/CRi")."""
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("ALIVE", 400))
    sdtm.marrow("1", 25, 20.0, plat=50.0, neut=0.6).hsct("1", 40).marrow("1", 70, 1.0, plat=130.0, neut=1.8)
    rfs = adtte_of(sdtm).loc[("1", "RFS")]
    assert (rfs["CNSR"], rfs["ADT"], rfs["AVAL"], rfs["EVNTDESC"], rfs["SRCDOM"]) == (
        0,
        T(40),
        40,
        "HSCT WITHOUT CR/CRI",
        "PR",
    )


def test_06_hsct_after_cr_cri_is_not_an_rfs_event():
    sdtm = responder(MiniSdtm(), "1").hsct("1", 40)
    adtte = adtte_of(sdtm)
    assert adtte.loc[("1", "RFS"), "CNSR"] == 1 and adtte.loc[("1", "RFS"), "AVAL"] == 400


def test_07_new_induction_therapy_without_cr_cri_is_an_rfs_event():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("ALIVE", 400))
    sdtm.cm("1", "FLAG-IDA", 35, category="SUBSEQUENT ANTILEUKAEMIC THERAPY").marrow("1", 80, 2.0, plat=130.0, neut=1.6)
    rfs = adtte_of(sdtm).loc[("1", "RFS")]
    assert (rfs["CNSR"], rfs["AVAL"], rfs["EVNTDESC"], rfs["SRCDOM"]) == (
        0,
        35,
        "NEW INDUCTION THERAPY WITHOUT CR/CRI",
        "CM",
    )


def test_08_rfs_and_dor_end_at_the_earliest_of_relapse_and_death():
    sdtm = responder(MiniSdtm(), "1", followup=("DEAD", 180))
    sdtm.marrow("1", 120, 40.0, plat=30.0, neut=0.5)  # relapse on day 120, death on day 180
    adtte = adtte_of(sdtm)
    rfs, dor = adtte.loc[("1", "RFS")], adtte.loc[("1", "DOR")]
    assert (rfs["AVAL"], rfs["EVNTDESC"], rfs["SRCDOM"], rfs["SRCVAR"]) == (120, "RELAPSE FROM CR/CRI", "ADRS", "ADT")
    assert (dor["STARTDT"], dor["AVAL"], dor["CNSR"], dor["DOREVFL"]) == (T(25), 95, 0, "Y")
    assert adtte.loc[("1", "OS"), "AVAL"] == 180


def test_08b_relapse_and_death_without_relapse_compete():
    """CIR and NRM (issue 16): responders from the first dose; the first of relapse and death is
    the event of one parameter and the competing event of the other (CMPRSK 1 and 2, CNSR 0 for
    both); censored at the last date known alive (CMPRSK 0). Non-responders have neither."""
    sdtm = MiniSdtm()
    responder(sdtm, "1", followup=("DEAD", 180)).marrow("1", 120, 40.0, plat=30.0, neut=0.5)  # relapse, then death
    responder(sdtm, "2", followup=("DEAD", 90))  # death in remission
    responder(sdtm, "3", followup=("ALIVE", 300))
    standard_subject(sdtm, "4", followup=("DEAD", 60))  # no CR/CRi
    adtte = adtte_of(sdtm)
    columns = ["AVAL", "CNSR", "CMPRSK", "EVNTDESC"]
    assert adtte.loc[("1", "CIR"), columns].tolist() == [120, 0, 1, "RELAPSE FROM CR/CRI"]
    assert adtte.loc[("1", "NRM"), columns].tolist() == [120, 0, 2, "RELAPSE FROM CR/CRI"]
    assert adtte.loc[("2", "CIR"), columns].tolist() == [90, 0, 2, "DEATH WITHOUT RELAPSE"]
    assert adtte.loc[("2", "NRM"), columns].tolist() == [90, 0, 1, "DEATH WITHOUT RELAPSE"]
    assert adtte.loc[("3", "CIR"), columns].tolist() == [300, 1, 0, "LAST KNOWN ALIVE"]
    assert adtte.loc[("3", "NRM"), "CMPRSK"] == 0
    assert sorted(adtte.loc["4"].index) == ["OS", "OSCHSCT"]
    assert adtte.xs("OS", level="PARAMCD")["CMPRSK"].isna().all()  # only the competing-risks parameters have it


def test_08c_os_censored_at_hsct():
    """OSCHSCT (issue 16): OS with follow-up ending at the first HSCT after the first dose when it
    comes before death (censored, EVNTDESC HSCT, its date the PR record's); a death on the day of
    the HSCT is the event; without HSCT it is OS."""
    sdtm = MiniSdtm()
    responder(sdtm, "1", followup=("DEAD", 200)).hsct("1", 60)  # transplanted, then died
    responder(sdtm, "2", followup=("DEAD", 60)).hsct("2", 60)  # died on the day of the HSCT
    responder(sdtm, "3", followup=("ALIVE", 300))  # never transplanted
    adtte = adtte_of(sdtm)
    columns = ["AVAL", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR"]
    assert adtte.loc[("1", "OSCHSCT"), columns].tolist() == [60, 1, "HSCT", "HSCT DATE", "PR", "PRSTDTC"]
    assert adtte.loc[("1", "OS"), ["AVAL", "CNSR"]].tolist() == [200, 0]
    assert adtte.loc[("2", "OSCHSCT"), ["AVAL", "CNSR", "EVNTDESC"]].tolist() == [60, 0, "DEATH"]
    assert adtte.loc[("3", "OSCHSCT"), columns[:3]].tolist() == adtte.loc[("3", "OS"), columns[:3]].tolist()


def test_08d_rfs_and_dor_censored_at_the_last_adequate_assessment():
    """RFSLDA and DORLDA (issue 16): without an event, censored at the last marrow with an
    evaluable overall response (CR, CRi, NR) up to the cut-off instead of the last date known
    alive; events as RFS and DOR. A marrow after the cut-off does not count."""
    sdtm = MiniSdtm()
    responder(sdtm, "1", followup=("ALIVE", 400)).marrow("1", 90, 1.0, plat=150.0, neut=2.0)
    responder(sdtm, "2", followup=("DEAD", 180)).marrow("2", 120, 40.0, plat=30.0, neut=0.5)  # relapse
    responder(sdtm, "3", followup=("ALIVE", 400))  # no marrow after the first CR
    adtte = adtte_of(sdtm, cutoff="2020-04-09")  # day 99: a marrow on day 120 is after the cut
    columns = ["AVAL", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM"]
    lda = "LAST ADEQUATE DISEASE ASSESSMENT"
    assert adtte.loc[("1", "RFSLDA"), columns].tolist() == [90, 1, lda, "LAST ADEQUATE ASSESSMENT DATE", "ADRS"]
    assert adtte.loc[("1", "DORLDA"), ["STARTDT", "AVAL", "CNSR", "DOREVFL"]].tolist() == [T(25), 65, 1, "Y"]
    assert adtte.loc[("1", "RFS"), ["AVAL", "EVNTDESC"]].tolist() == [99, "LAST KNOWN ALIVE"]  # capped at the cut
    assert adtte.loc[("2", "RFSLDA"), ["AVAL", "CNSR", "EVNTDESC"]].tolist() == [25, 1, lda]  # day 120 after the cut
    assert adtte.loc[("3", "DORLDA"), ["AVAL", "CNSR", "DOREVFL"]].tolist() == [0, 1, "N"]
    full = adtte_of(responder(MiniSdtm(), "2", followup=("DEAD", 180)).marrow("2", 120, 40.0, plat=30.0, neut=0.5))
    assert full.loc[("2", "RFSLDA"), ["AVAL", "CNSR", "EVNTDESC"]].tolist() == [120, 0, "RELAPSE FROM CR/CRI"]


def test_09_dor_evaluable_needs_a_later_marrow_or_an_event():
    sdtm = MiniSdtm()
    responder(sdtm, "1", followup=("LOST TO FOLLOW-UP", 200))  # nothing after the first CR
    responder(sdtm, "2", followup=("LOST TO FOLLOW-UP", 200)).marrow("2", 90, 1.0, plat=150.0, neut=2.0)
    responder(sdtm, "3", followup=("DEAD", 100))
    adtte = adtte_of(sdtm)
    assert [adtte.loc[(s, "DOR"), "DOREVFL"] for s in ("1", "2", "3")] == ["N", "Y", "Y"]
    assert adtte.loc[("1", "DOR"), ["CNSR", "AVAL"]].tolist() == [1, 175]


def test_10_non_responders_have_os_only():
    sdtm = MiniSdtm()
    standard_subject(sdtm, "1", followup=("DEAD", 60)).marrow("1", 25, 30.0)
    adtte = adtte_of(sdtm)
    assert [p for s, p in adtte.index] == ["OS", "OSCHSCT"]  # OS, and OS censored at HSCT (issue 16)
    assert adtte["AVALU"].eq("DAYS").all()


# ---------------------------------------------------------------------------------------------
# The demo study end to end
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo():
    return demo_study()


def test_20_patient_by_patient_equals_the_intended_truth(demo):
    adtte = demo.adtte.set_index(["USUBJID", "PARAMCD"])
    pairs = []
    for usubjid, t in demo.truth.iterrows():
        os_ = adtte.loc[(usubjid, "OS")]
        pairs += [
            (f"{usubjid} os_days", os_["AVAL"], t["os_days"]),
            (f"{usubjid} OS event", os_["CNSR"] == 0, t["death"]),
        ]
        has_rfs = (usubjid, "RFS") in adtte.index
        pairs.append(
            (f"{usubjid} has RFS and DOR", has_rfs and (usubjid, "DOR") in adtte.index, pd.notna(t["rfs_days"]))
        )
        if has_rfs:
            rfs, dor = adtte.loc[(usubjid, "RFS")], adtte.loc[(usubjid, "DOR")]
            pairs += [
                (f"{usubjid} rfs_days", rfs["AVAL"], t["rfs_days"]),
                (f"{usubjid} rfs_event", rfs["CNSR"] == 0, t["rfs_event"]),
                (f"{usubjid} dor_days", dor["AVAL"], t["dor_days"]),
                (f"{usubjid} dor_event", dor["CNSR"] == 0, t["dor_event"]),
                (f"{usubjid} dor_evaluable", dor["DOREVFL"] == "Y", t["dor_evaluable"]),
            ]
    assert_per_patient(pairs)


def _km_median_months(frame: pd.DataFrame) -> float:
    from lifelines import KaplanMeierFitter

    fit = KaplanMeierFitter().fit(frame["AVAL"].astype(float) / 30.4375, 1 - frame["CNSR"])
    return float(fit.median_survival_time_)


def test_21_published_survival_figures(demo):
    adtte = demo.adtte
    os_ = adtte[adtte["PARAMCD"] == "OS"]
    assert len(os_) == 32 and (os_["CNSR"] == 0).sum() == 17  # 17 deaths
    assert round(_km_median_months(os_), 1) == 6.0  # Figure 2: 5.98 months
    followed = os_["AVAL"] / 30.4375  # death or last contact on or after the landmark: known alive at it
    assert ((followed >= 6).sum(), (followed >= 12).sum()) == (15, 9)  # crude 46.9 % and 28.1 %
    rfs = adtte[adtte["PARAMCD"] == "RFS"]
    assert len(rfs) == 19 and round(_km_median_months(rfs), 1) == 7.0  # section 4.3.5
    dor = adtte[(adtte["PARAMCD"] == "DOR") & (adtte["DOREVFL"] == "Y")]
    assert len(dor) == 17 and round(_km_median_months(dor)) == 6  # section 4.3.3


def test_22_events_trace_to_their_source_records(demo):
    events = demo.adtte[demo.adtte["CNSR"] == 0]
    assert set(events["SRCDOM"]) == {"DS", "ADRS"}
    assert events[["SRCSEQ", "SRCFILE", "SRCROW"]].notna().all().all()
    ds = demo.sdtm["DS"].set_index(["USUBJID", "DSSEQ"])
    for row in events[events["SRCDOM"] == "DS"].itertuples():
        assert pd.Timestamp(ds.loc[(row.USUBJID, row.SRCSEQ), "DSDTHDTC"]) == row.ADT
    adrs = demo.adrs.set_index(["USUBJID", "ASEQ"])
    for row in events[events["SRCDOM"] == "ADRS"].itertuples():
        source = adrs.loc[(row.USUBJID, row.SRCSEQ)]
        assert (source["PARAMCD"], source["ADT"], source["SRCROW"]) == ("RELAPSE", row.ADT, row.SRCROW)
