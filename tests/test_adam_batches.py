"""ADaM datasets derived a batch of subjects at a time (inoflow.adam.derive.derive_by_subject)
equal the whole derivation, on both demo studies and at both Indian cut-offs; a derivation that
is not ordered by subject is refused rather than concatenated out of order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from inoflow.adam import derive as derive_module
from inoflow.adam.derive import derive_by_subject, derive_datasets
from inoflow.adam.sources import ADAM_SOURCES, BY_SUBJECT, NOT_READ


def _whole_and_batched(study, sdtm, cut, batch_subjects):
    definitions = yaml.safe_load(study.definitions.read_text(encoding="utf-8"))
    names = [n for n in ADAM_SOURCES if n != "ADRU" or "cost_table" in definitions]
    cutoff = study.cuts[cut].cutoff
    whole = derive_datasets(names, sdtm, definitions, cutoff)
    for name in [n for n in names if n in BY_SUBJECT]:
        sources = ADAM_SOURCES[name]
        batched = derive_by_subject(
            name,
            {d: sdtm[d] for d in sources["sdtm"]},
            {a: whole[a] for a in sources["adam"]},
            definitions,
            cutoff,
            batch_subjects=batch_subjects,
        )
        yield name, whole[name], batched


@pytest.mark.parametrize(("cut", "batch_subjects"), [("2022-09-30", 1), ("2023-04-30", 5)])
def test_india_datasets_by_subject_equal_the_whole(india, demo_sdtm, cut, batch_subjects):
    compared = []
    for name, whole, batched in _whole_and_batched(india, demo_sdtm, cut, batch_subjects):
        pd.testing.assert_frame_equal(batched, whole, check_exact=True)
        compared.append((name, len(whole)))
    assert [n for n, _ in compared] == ["ADRS", "ADAE", "ADSL", "ADTTE"]
    assert dict(compared)["ADSL"] == 32 and all(rows > 0 for _, rows in compared)


@pytest.mark.parametrize("batch_subjects", [3])
def test_italy_datasets_by_subject_equal_the_whole(italy_study, italy_sdtm, batch_subjects):
    compared = []
    for name, whole, batched in _whole_and_batched(italy_study, italy_sdtm, "2022-12-31", batch_subjects):
        pd.testing.assert_frame_equal(batched, whole, check_exact=True)
        compared.append((name, len(whole)))
    assert sorted(n for n, _ in compared) == sorted(BY_SUBJECT)
    assert dict(compared)["ADSL"] == 73 and dict(compared)["ADRU"] > 0


def test_a_study_within_one_batch_is_derived_whole(monkeypatch):
    calls = []
    monkeypatch.setattr(derive_module, "derive", lambda name, sdtm, *rest: calls.append(len(sdtm["DM"])) or sdtm["DM"])
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
    assert derive_by_subject("ADSL", {"DM": dm}, {}, {}, "2023-01-01", batch_subjects=3) is dm
    assert derive_by_subject("ADELIG", {"DM": dm}, {}, {}, "2023-01-01", batch_subjects=1) is dm
    assert calls == [3, 3]


def test_rows_of_each_batch_keep_their_order():
    subjects = pd.Index(["A", "B", "C", "D", "E"])
    frame = pd.DataFrame({"USUBJID": ["C", "A", None, "E", "A", "B"]})
    batches = derive_module._rows_by_batch(frame, subjects, 2, 3)
    assert [b.tolist() for b in batches] == [[1, 2, 4, 5], [0], [3]]
    no_subject = derive_module._rows_by_batch(pd.DataFrame({"X": [1, 2]}), subjects, 2, 3)
    assert [b.tolist() for b in no_subject] == [[0, 1]] * 3


def test_a_derivation_not_ordered_by_subject_is_refused(monkeypatch):
    def reversed_subjects(name, sdtm, adam, definitions, cutoff):
        return sdtm["DM"].iloc[::-1].reset_index(drop=True)

    monkeypatch.setattr(derive_module, "derive", reversed_subjects)
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "X": np.arange(4)})
    with pytest.raises(ValueError, match="ADSL is not ordered by USUBJID first"):
        derive_by_subject("ADSL", {"DM": dm}, {}, {}, "2023-01-01", batch_subjects=2)
    ordered = derive_by_subject("ADSL", {"DM": dm}, {}, {}, "2023-01-01", batch_subjects=1)
    assert ordered["USUBJID"].tolist() == ["A", "B", "C", "D"]


def test_no_derivation_reads_a_column_the_adam_job_leaves_unread(india, demo_sdtm, italy_study, italy_sdtm):
    """The ADaM job does not read NOT_READ's columns (scripts/derive_adam.py): no module of
    inoflow.adam names one, and every dataset of both studies is the same without them."""
    from pathlib import Path

    import inoflow.adam

    sources = sorted(p for p in Path(inoflow.adam.__file__).parent.glob("*.py") if p.name != "sources.py")
    named = [
        (path.name, column)
        for path in sources
        for columns in NOT_READ.values()
        for column in columns
        if f'"{column}"' in path.read_text(encoding="utf-8") or f"'{column}'" in path.read_text(encoding="utf-8")
    ]
    assert len(sources) > 10 and named == []
    for study, sdtm, cut in ((india, demo_sdtm, "2023-04-30"), (italy_study, italy_sdtm, "2022-12-31")):
        definitions = yaml.safe_load(study.definitions.read_text(encoding="utf-8"))
        names = [n for n in ADAM_SOURCES if n != "ADRU" or "cost_table" in definitions]
        narrow = {d: f.drop(columns=list(NOT_READ.get(d, ()))) for d, f in sdtm.items()}
        assert set(NOT_READ["LB"]) <= set(sdtm["LB"].columns)
        cutoff = study.cuts[cut].cutoff
        whole = derive_datasets(names, sdtm, definitions, cutoff)
        without = derive_datasets(names, narrow, definitions, cutoff)
        assert list(without) == list(whole) == names
        for name in names:
            pd.testing.assert_frame_equal(without[name], whole[name], check_exact=True)
