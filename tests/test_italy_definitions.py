"""The Italian study's definitions (config/definitions/italy.yaml) applied by the same derivation
code as the Indian ones, at their boundaries: hand-worked cases on small SDTM frames.

The two studies differ exactly at the boundaries: the Indian registry reads CR as blasts <= 5 %
with platelets > 100 and ANC > 1; the Italian study (the label's definitions) as blasts < 5 %
with platelets >= 100 and ANC >= 1, and relapse as blasts >= 5 %.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import PROJECT_ROOT
from test_adam_common import MiniSdtm, T, standard_subject

from inoflow.adam.adrs import derive_adrs
from inoflow.adam.adsl import derive_adsl
from inoflow.adam.adtte import derive_adtte
from inoflow.config import read_yaml

ITALY = read_yaml(PROJECT_ROOT / "config/definitions/italy.yaml")
INDIA = read_yaml(PROJECT_ROOT / "config/definitions/india.yaml")


def response(definitions: dict, **marrow) -> str:
    sdtm = standard_subject(MiniSdtm(), "1")
    sdtm.marrow("1", 25, **marrow)
    adrs = derive_adrs(sdtm.build(), definitions)
    return adrs[(adrs["PARAMCD"] == "BOR")].iloc[0]["AVALC"]


@pytest.mark.parametrize(
    ("marrow", "italy", "india"),
    [
        ({"blast": 5.0, "plat": 118.0, "neut": 1.5}, "NR", "CR"),  # 5 % is not < 5 % (is <= 5 %)
        ({"blast": 4.9, "plat": 118.0, "neut": 1.5}, "CR", "CR"),
        ({"blast": 2.0, "plat": 100.0, "neut": 1.6}, "CR", "CRi"),  # 100 is >= 100 (is not > 100)
        ({"blast": 2.0, "plat": 99.0, "neut": 1.6}, "CRi", "CRi"),
        ({"blast": 1.0, "plat": 140.0, "neut": 1.0}, "CR", "CRi"),  # ANC 1.0 is >= 1 (is not > 1)
        ({"blast": 1.0, "plat": 140.0, "neut": 0.99}, "CRi", "CRi"),
        ({"blast": 1.0, "plat": 140.0, "neut": 2.0, "emd": "Y", "site": "Testicolo"}, "NR", "NR"),
        ({"blast": 2.0, "plat": None, "neut": None}, "CRi", "CRi"),  # counts not sent: not recovered
    ],
)
def test_remission_at_the_boundaries(marrow, italy, india):
    assert response(ITALY, **marrow) == italy
    assert response(INDIA, **marrow) == india


def subject_in_remission_then(day: int, blasts: float) -> MiniSdtm:
    sdtm = standard_subject(MiniSdtm(), "1", followup=("ALIVE", 300), cycles=2)
    sdtm.marrow("1", 25, 2.0, plat=120.0, neut=1.5)  # CR on day 25
    sdtm.marrow("1", day, blasts, plat=150.0, neut=2.0)
    return sdtm


def dor(definitions: dict, sdtm: MiniSdtm) -> pd.Series:
    data = sdtm.build()
    adrs = derive_adrs(data, definitions)
    adsl = derive_adsl(data, adrs, definitions, "2021-12-31")
    adtte = derive_adtte(data, adsl, adrs, definitions)
    return adtte[adtte["PARAMCD"] == "DOR"].iloc[0]


def test_relapse_at_exactly_5_pct_blasts_ends_the_italian_response_only():
    sdtm = subject_in_remission_then(120, 5.0)
    italy, india = dor(ITALY, sdtm), dor(INDIA, sdtm)
    # Italy: blasts >= 5 % is the loss of the marrow criterion: relapse on day 120, DOR 95 days
    assert (italy["CNSR"], italy["AVAL"], italy["EVNTDESC"], italy["ADT"]) == (0, 95, "RELAPSE FROM CR/CRI", T(120))
    # India: relapse needs blasts > 5 %: censored at the last date known alive (day 300)
    assert (india["CNSR"], india["AVAL"]) == (1, 275)


def test_blasts_just_under_5_pct_after_remission_is_no_relapse():
    italy = dor(ITALY, subject_in_remission_then(120, 4.9))
    assert (italy["CNSR"], italy["AVAL"]) == (1, 275)


def test_the_italian_age_is_the_age_with_decimals_sent():
    sdtm = standard_subject(MiniSdtm(), "1", age=None)
    data = sdtm.build()
    extra = (
        data["SC"].iloc[[0, 0]].assign(SCTESTCD=["AGEYRS", "PRINDCT"], SCSTRESN=[65.9, None], SCSTRESC=["65.9", "Y"])
    )
    data["SC"] = pd.concat([data["SC"], extra], ignore_index=True)
    adsl = derive_adsl(data, derive_adrs(data, ITALY), ITALY, "2021-12-31").iloc[0]
    # completed years 65 (18-65 group), analysis age 65.9, prior induction from SC
    assert (adsl["AGE"], adsl["AAGE"], adsl["AGEGR1"], adsl["PRINDCT"]) == (65, 65.9, "18-65", "Y")


def test_every_italian_output_has_an_analysis_or_its_own_module():
    catalogue = read_yaml(PROJECT_ROOT / "config/reference/outputs.yaml")["italy"]
    planned = set(ITALY["analyses"])
    for endpoint, output_ids in catalogue["endpoints"].items():
        for output_id in output_ids:
            assert output_id in planned or endpoint == "costs", output_id
    assert set(catalogue["outputs"]) - planned == {"IT09"}
