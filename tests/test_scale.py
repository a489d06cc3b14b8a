"""The synthetic study of any size (src/inodemo/scale.py) and the comparison of two runs
(scripts/compare_runs.py), without running the workflow."""

from __future__ import annotations

import importlib.util

import pandas as pd
from conftest import PROJECT_ROOT

from inodemo.cohort import build_cohort
from inodemo.scale import DAYS, TEMPLATES, scale_truth, site_ids


def test_site_ids_follow_the_pattern_of_a_site_id():
    assert site_ids(3) == ["SA00", "SA01", "SA02"]
    assert site_ids(101)[-2:] == ["SA99", "SB00"]


def test_each_site_has_its_patients_written_from_its_template_sites_patients():
    truth = scale_truth(sites=7, patients=4)
    patients = truth["patients"]
    assert len(patients) == 28 and not patients.duplicated(["SITEID", "SUBJID"]).any()
    assert patients.groupby("SITEID").size().tolist() == [4] * 7
    demo = build_cohort()["patients"]
    # site SA05 writes as IN01 (5 mod 5 = 0): its patients are IN01's, replicated
    in01 = demo[demo["SITEID"] == "IN01"]
    sa05 = patients[patients["SITEID"] == "SA05"]
    assert set(sa05["SEX"]) <= set(in01["SEX"]) and sa05["SUBJID"].tolist() == ["P00001", "P00002", "P00003", "P00004"]
    # every domain names only the study's new patients
    for domain, frame in truth.items():
        keys = set(zip(frame["SITEID"], frame["SUBJID"], strict=True)) - {(s, None) for s in site_ids(7)}
        assert keys <= set(zip(patients["SITEID"], patients["SUBJID"], strict=True)), domain


def test_replicas_are_shifted_so_that_no_two_patients_look_the_same():
    """The replicas of one demo patient differ in the facts that recognise a patient sent twice
    (inoflow.model.quality): first dose and diagnosis shifted by whole days, age by years."""
    truth = scale_truth(sites=10, patients=40)  # 400 patients from 32: up to 13 replicas each
    patients = truth["patients"]
    first = truth["dosing"].groupby(["SITEID", "SUBJID"])["DOSE_DATE"].min().rename("FIRST")
    facts = patients.join(first, on=["SITEID", "SUBJID"])[["SEX", "AGE", "DIAG_DATE", "FIRST"]]
    assert not facts.duplicated().any()
    # site SA00 writes as IN01: its patient j is IN01's patient j mod n, replica j div n, moved
    # by replica days (and 0 years while replica < DAYS): each replica one day after the last
    n = int((build_cohort()["patients"]["SITEID"] == "IN01").sum())
    sa00 = patients[patients["SITEID"] == "SA00"].reset_index(drop=True)
    diagnosis = pd.to_datetime(sa00["DIAG_DATE"])
    assert ((diagnosis[n:].to_numpy() - diagnosis[:-n].to_numpy()) == pd.Timedelta(days=1)).all()
    assert (sa00["AGE"][n:].to_numpy() == sa00["AGE"][:-n].to_numpy()).all() and 40 // n < DAYS


def test_compare_runs_finds_a_changed_and_a_missing_dataset(tmp_path):
    spec = importlib.util.spec_from_file_location("compare_runs", PROJECT_ROOT / "scripts" / "compare_runs.py")
    compare_runs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare_runs)
    for side in ("a", "b"):
        for folder in ("sdtm", "adam"):
            (tmp_path / side / "india" / "c1" / folder).mkdir(parents=True)
    frame = pd.DataFrame({"USUBJID": ["X-1", "X-2"], "AVAL": [1.0, 2.0]})
    frame.to_parquet(tmp_path / "a" / "india" / "c1" / "adam" / "ADSL.parquet")
    frame.to_parquet(tmp_path / "b" / "india" / "c1" / "adam" / "ADSL.parquet")
    assert compare_runs.differences(tmp_path / "a", tmp_path / "b") == []
    frame.assign(AVAL=[1.0, 2.5]).to_parquet(tmp_path / "b" / "india" / "c1" / "adam" / "ADSL.parquet")
    frame.to_parquet(tmp_path / "a" / "india" / "c1" / "sdtm" / "DM.parquet")
    problems = compare_runs.differences(tmp_path / "a", tmp_path / "b")
    assert problems[0] == f"only in {tmp_path / 'a'}: india/c1/sdtm/DM.parquet"
    assert problems[1].startswith("india/c1/adam/ADSL.parquet differs")
    log = "Job 1 has been submitted with SLURM jobid 3 (log: x)\n[1/2] extract india/c1  done in 1 s\n[2/2] all  done"
    assert compare_runs.submissions(log) == (1, 1)
    assert TEMPLATES == ("IN01", "IN02", "IN03", "IN04", "IN05")


def test_replicas_are_never_younger_than_their_demo_patient(monkeypatch):
    """Past DAYS replicas a patient is made older by two years at a time (0, +2, ... +16), never
    younger: the study enrols adults, and ADSL refuses an age under 18 (a 100 x 1,000 study
    reaches it). Replicas r and r + DAYS share their first dose; the later one is diagnosed a year
    earlier, so that no two patients share sex, diagnosis and first dose (the facts by which the
    data-quality check finds one patient sent by two sites, whatever their ages)."""
    import inodemo.scale as scale

    monkeypatch.setattr(scale, "DAYS", 2)  # a step in age and diagnosis every second replica
    truth = scale.scale_truth(sites=5, patients=60)
    patients = truth["patients"]
    demo = build_cohort()["patients"]
    assert patients["AGE"].min() == demo["AGE"].min() >= 18  # nobody made younger
    assert patients["AGE"].max() > demo["AGE"].max()  # and the replicas past DAYS made older
    first = truth["dosing"].groupby(["SITEID", "SUBJID"])["DOSE_DATE"].min().rename("FIRST")
    facts = patients.join(first, on=["SITEID", "SUBJID"])
    assert not facts.duplicated(["SEX", "DIAG_DATE", "FIRST"]).any()
    # site SA00 writes as IN01 (n patients): its patients j and j + 2n are replicas r and r + DAYS
    n = int((demo["SITEID"] == "IN01").sum())
    sa00 = facts[facts["SITEID"] == "SA00"].reset_index(drop=True)
    now, later = sa00.iloc[: 60 - 2 * n], sa00.iloc[2 * n :]
    assert (later["FIRST"].to_numpy() == now["FIRST"].to_numpy()).all()
    earlier = pd.to_datetime(now["DIAG_DATE"]).to_numpy() - pd.to_datetime(later["DIAG_DATE"]).to_numpy()
    assert (earlier == pd.Timedelta(days=365)).all()
    assert (later["AGE"].to_numpy() - now["AGE"].to_numpy() == 2).all()
