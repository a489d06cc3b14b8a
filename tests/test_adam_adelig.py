"""Eligibility from the screening facts: the registry's inclusion criteria as data."""

import pandas as pd
import yaml
from conftest import PROJECT_ROOT

from inoflow.adam.adelig import derive_eligibility

CRITERIA = yaml.safe_load((PROJECT_ROOT / "config/definitions/india.yaml").read_text(encoding="utf-8"))["eligibility"]


def case(**overrides):
    facts = {"AGE": 40.0, "CD22POS": "Y", "RRSTAT": "Y", "INOMONO": "Y", "PHSTAT": "NEGATIVE", "TKIFAILN": 0.0}
    return facts | overrides


def test_boundaries_and_reasons():
    facts = pd.DataFrame(
        [
            case(AGE=18.0),  # Test 1: exactly 18 is adult
            case(AGE=17.0),  # Test 2: 17 is not
            case(PHSTAT="POSITIVE", TKIFAILN=0.0),  # Test 3: Ph+ without TKI failure
            case(PHSTAT="POSITIVE", TKIFAILN=1.0),  # Test 4: Ph+ after one TKI failure
            case(INOMONO="N", CD22POS="N"),  # Test 5: two criteria failed, both reasons listed
        ]
    )
    out = derive_eligibility(facts, CRITERIA)
    assert out["ELIGFL"].tolist() == ["Y", "N", "N", "Y", "N"]
    assert out["EXCLREAS"].tolist() == [
        None,
        "Age under 18 years",
        "Ph-positive without failure of at least one TKI",
        None,
        "Not CD22 positive; InO not given as monotherapy",
    ]
    assert out["ICPHTKI"].tolist() == ["Y", "Y", "N", "Y", "Y"]
