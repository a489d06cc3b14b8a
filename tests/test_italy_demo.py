"""The synthetic demo extracts of the Italian INO-CD22 study (24 centres, N = 73).

SYNTHETIC DATA: src/inodemo/italy.py builds the patient-level truth, src/inodemo/render.py writes
each centre's files in its dialect (config/sites/italy/). These tests check that

- the committed extracts are byte for byte what the seeded generator writes, and the cut's lock
  manifest lists exactly them;
- the truth reproduces the published counts and the time-to-event truth of
  src/inodemo/italy_times.py under the study's definitions (an independent re-derivation);
- every date is on or before the cut-off, and no record of a patient is dated after the last
  contact (the last date known alive is the latest dated record);
- harmonising each centre's extracts gives back the truth (round trip), boundary values included.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from inodemo.italy import (
    BOUNDARY_CASES,
    CUTOFF,
    DOMAIN_COLUMNS,
    EXCLUSIONS,
    SITE_FAMILY,
    SITE_SIZES,
    TEMPLATES,
    build_italy_cohort,
    check_italy_cohort,
    derive_from_truth,
)
from inodemo.italy_times import italy_survival
from inodemo.render import BANNER, render_site
from inoflow.audit.lock import compare_manifest
from inoflow.config import load_contract, load_study, read_yaml
from inoflow.extract.dialect import column_rules

STUDY = "config/studies/italy.yaml"
CUT = "2022-12-31"
RENAMED = {"AE_DECOD": "AE_TERM__STD", "DEATH_CAUSE_STD": "DEATH_CAUSE__STD"}
DATE_COLUMNS = {
    "screening": ["SCREEN_DATE"],
    "patients": ["DIAG_DATE"],
    "dosing": ["DOSE_DATE"],
    "assessments": ["ASSESS_DATE"],
    "transplants": ["HSCT_DATE"],
    "transfusions": ["TRANSF_DATE"],
    "hospitalisations": ["ADMIT_DATE", "DISCHARGE_DATE"],
    "adverse_events": ["AE_START", "AE_END"],
    "followup": ["LAST_CONTACT", "DEATH_DATE"],
}


@pytest.fixture(scope="module")
def italy():
    return load_study(STUDY)


@pytest.fixture(scope="module")
def extracts(italy):
    return italy.cuts[CUT].extracts


@pytest.fixture(scope="module")
def truth():
    return build_italy_cohort()


@pytest.fixture(scope="module")
def harmonised(italy_canonical):
    """Every centre's extracts through ingest, the de-identification gate, validation and
    harmonisation (what the workflow's extract jobs run), pooled by domain (tests/conftest.py)."""
    return italy_canonical


def patient_rows(truth: pd.DataFrame, frame: pd.DataFrame, patient: int) -> pd.DataFrame:
    row = truth["outcomes"].set_index("PATIENT").loc[patient]
    return frame[(frame["SITEID"] == row["SITEID"]) & (frame["SUBJID"] == row["SUBJID"])]


# --- the committed files ----------------------------------------------------------------------


def test_committed_extracts_are_what_the_seeded_generator_writes(truth, italy, extracts, tmp_path):
    written = set()
    for site in italy.sites.values():
        for path in render_site(truth, site, tmp_path):
            committed = extracts / site.site / path.name
            written.add(committed.relative_to(extracts).as_posix())
            assert committed.exists(), f"{committed} is not committed"
            assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(committed.read_bytes()).digest(), (
                f"{committed} differs from the generator's output: rerun scripts/generate_demo_data.py "
                "--study config/studies/italy.yaml --cut 2022-12-31 (and relock the cut)"
            )
    on_disk = {p.relative_to(extracts).as_posix() for p in extracts.rglob("*") if p.is_file()}
    assert on_disk - written == {"README.md"}
    # 17 workbooks + 7 centres x 9 CSV files
    assert len(written) == 17 + 7 * 9


def test_the_lock_manifest_lists_exactly_the_committed_files(extracts):
    diff = compare_manifest(extracts, PROJECT_ROOT / "config/locks/italy" / f"{CUT}.sha256")
    assert not diff, diff.problems()


def test_every_file_says_it_is_synthetic(italy, extracts):
    from openpyxl import load_workbook

    assert "SYNTHETIC DEMO DATA" in (extracts / "README.md").read_text(encoding="utf-8")
    for site in italy.sites.values():
        for domain in site.domains:
            settings = site.reader(domain)
            path = extracts / site.site / site.domain_spec(domain)["file"]
            if settings["format"] == "xlsx":
                workbook = load_workbook(path, read_only=True)
                first = next(workbook[site.domain_spec(domain)["sheet"]].iter_rows(values_only=True))
                workbook.close()
                assert first[0] == BANNER, (site.site, domain)
            else:
                text = path.read_bytes().decode(settings["encoding"])
                assert next(csv.reader(io.StringIO(text), delimiter=settings["delimiter"]))[0] == BANNER, (
                    site.site,
                    domain,
                )


def test_the_dialects(italy):
    assert set(italy.sites) == set(SITE_SIZES) and len(SITE_SIZES) == 24
    families = {family: 0 for family in TEMPLATES}
    for site_id, site in italy.sites.items():
        raw = read_yaml(site.path)
        assert raw["name"] == f"Centro {site_id[2:]} (synthetic demo)" and raw["synthetic_demo"] is True
        assert raw["extends"] == TEMPLATES[SITE_FAMILY[site_id]], site_id  # the generator's family is the site's
        families[SITE_FAMILY[site_id]] += 1
        assert set(site.domains) == set(DOMAIN_COLUMNS)  # no laboratory panel, no medication list
        assert site.sends_one_file() == (SITE_FAMILY[site_id] == "crf")
    assert families == {"crf": 17, "his": 4, "win": 3}
    encodings = {site.reader("patients")["encoding"] for site in italy.sites.values() if not site.sends_one_file()}
    assert encodings == {"utf-8", "cp1252"}
    dose_units = {r.unit for site in italy.sites.values() for r in column_rules(site, "dosing") if r.variable == "DOSE"}
    assert dose_units == {"mg/m²", "mg"}


# --- the truth reproduces the publication ---------------------------------------------------


def test_the_truth_reproduces_the_published_counts(truth):
    summary = check_italy_cohort(truth)  # raises on any mismatch with italy_times
    assert summary["n"] == 73
    assert summary["best_response"] == {"CR": 51, "CRi": 3, "NR": 19}
    assert (summary["hsct"], summary["vod"], summary["prior_blina"], summary["prior_induction"]) == (27, 8, 42, 62)


def test_age_median_and_its_order_statistics(truth):
    from inoflow.analysis.stats.order import median_ci

    ages = sorted(truth["patients"]["AGE_YEARS"])
    assert len(ages) == 73 and min(ages) >= 18
    assert all(round(a, 1) == a for a in ages)  # one decimal, as "Età" is sent
    assert (np.median(ages), ages[28], ages[44]) == (52.7, 51.9, 53.5)  # ranks 29 and 45 (normal approximation)
    ci = median_ci(ages)  # ranks 28 and 46 (binomial rule), as the workflow computes the interval
    assert (ci.median, ci.conf_low, ci.conf_high, ci.rank_low, ci.rank_high) == (52.7, 51.9, 53.5, 28, 46)
    q1, q3 = np.quantile(ages, [0.25, 0.75])
    assert 35 < q1 < 48 and 56 < q3 < 66  # the real quartiles are wide


def test_prior_lines_induction_and_blinatumomab(truth):
    p = truth["patients"]
    for method in ("averaged_inverted_cdf", "linear"):  # type 2 and type 7 quantiles
        assert list(np.quantile(p["PRIOR_LINES"], [0.25, 0.5, 0.75], method=method)) == [2, 3, 4]
    assert (p["SALVAGE_LINE"] == p["PRIOR_LINES"]).all()
    assert ((p["PRIOR_INDUCTION"] == "Y").sum(), (p["PRIOR_BLINA"] == "Y").sum()) == (62, 42)
    ph = p["PH_STATUS"] == "POSITIVE"
    assert (p.loc[ph, "TKI_FAILED"] >= 1).all() and (p.loc[~ph, "TKI_FAILED"] == 0).all()


def test_the_derived_times_are_italy_times(truth):
    derived = derive_from_truth(truth).merge(truth["outcomes"][["SITEID", "SUBJID", "PATIENT"]])
    t = italy_survival().set_index("PATIENT").loc[derived["PATIENT"]].reset_index()
    assert (derived["OS_DAYS"].to_numpy() == t["OS_DAYS"].to_numpy()).all()
    assert (derived["DEATH"].to_numpy() == t["DEATH"].to_numpy()).all()
    responders = t["RESPONSE"].isin(["CR", "CRi"]).to_numpy()
    assert list(derived.loc[responders, "DOR_DAYS"]) == list(t.loc[responders, "DOR_DAYS"])
    assert list(derived.loc[responders, "DOR_EVENT"]) == list(t.loc[responders, "DOR_EVENT"])
    relapsed = responders & t["RELAPSE"].fillna(False).to_numpy(dtype=bool)
    assert list(derived.loc[relapsed, "RELAPSE_DAY"]) == list(
        t.loc[relapsed, "RESPONSE_DAY"] + t.loc[relapsed, "DOR_DAYS"]
    )
    assert derived.loc[responders & ~relapsed, "RELAPSE_DAY"].isna().all()


def test_dosing_follows_the_label_schedule(truth):
    d = truth["dosing"].merge(truth["outcomes"], on=["SITEID", "SUBJID"])
    assert set(d["DAY"]) == {1, 8, 15} and d["BSA"].between(1.45, 2.20).all()
    assert d.groupby(["SITEID", "SUBJID"])["CYCLE"].max().between(1, 6).all()
    assert (d.loc[d["CYCLE"] == 1].groupby(["SITEID", "SUBJID", "DAY"])["DOSE"].first().unstack()[1] == 0.8).all()
    day = (d["DOSE_DATE"] - d["FIRST_DOSE_DATE"]).map(lambda x: x.days)
    starts = d[d["DAY"] == 1].assign(DAYN=day).set_index(["SITEID", "SUBJID", "CYCLE"])["DAYN"]
    gaps = starts.groupby(level=[0, 1]).diff().dropna()
    assert gaps.between(21, 28).all()
    in_remission = d["RESPONSE_DAY"].notna() & (d["CYCLE"] > 1)
    later = d[d["CYCLE"] > 1].assign(DAYN=day)
    start_of = later.groupby(["SITEID", "SUBJID", "CYCLE"])["DAYN"].transform("min")
    response_day = pd.to_numeric(later["RESPONSE_DAY"], errors="coerce")
    cr_at_start = response_day.notna() & (response_day <= start_of)
    first_dose = later[later["DAY"] == 1]
    assert (first_dose.loc[cr_at_start, "DOSE"] == 0.5).all() and (first_dose.loc[~cr_at_start, "DOSE"] == 0.8).all()
    assert in_remission.any()
    hsct = d["HSCT_DAY"].notna()
    assert (day[hsct] < d.loc[hsct, "HSCT_DAY"].astype(float) - 14).all()  # no dose near or after the HSCT
    assert (day < d["OS_DAYS"]).all()


def test_no_date_after_the_cutoff_and_no_record_after_last_contact(truth):
    last = truth["followup"].set_index(["SITEID", "SUBJID"])["LAST_CONTACT"]
    first = truth["outcomes"].set_index(["SITEID", "SUBJID"])["FIRST_DOSE_DATE"]
    assert first.between(date(2014, 1, 1), date(2019, 12, 31)).all()
    for domain, columns in DATE_COLUMNS.items():
        frame = truth[domain]
        enrolled = frame["SUBJID"].notna()
        keys = list(zip(frame.loc[enrolled, "SITEID"], frame.loc[enrolled, "SUBJID"], strict=True))
        for column in columns:
            dates = frame[column].dropna()
            assert (dates <= CUTOFF).all(), f"{domain}.{column} after the cut-off"
            limit = pd.Series([last[k] for k in keys], index=frame.index[enrolled])
            values = frame.loc[enrolled, column]
            late = values.notna() & (values.where(values.notna(), limit) > limit)
            assert not late.any(), f"{domain}.{column} after the last contact: {frame.loc[late[late].index]}"
    # records during treatment start on or after the first dose
    for domain, column in (
        ("assessments", None),
        ("transfusions", "TRANSF_DATE"),
        ("hospitalisations", "ADMIT_DATE"),
        ("adverse_events", "AE_START"),
    ):
        if column:
            frame = truth[domain]
            starts = pd.Series(
                [first[k] for k in zip(frame["SITEID"], frame["SUBJID"], strict=True)], index=frame.index
            )
            assert (frame[column] >= starts).all(), domain
    stays = truth["hospitalisations"]
    assert (stays["DISCHARGE_DATE"] >= stays["ADMIT_DATE"]).all()
    assert set(stays["WARD"]) == {"HOSPITAL", "INTENSIVE CARE UNIT"}
    units = truth["transfusions"].groupby(["SITEID", "SUBJID"])["UNITS"].sum()
    assert units.max() <= 30 and truth["transfusions"]["UNITS"].between(1, 20).all()


def test_adverse_events_named_by_the_abstract(truth):
    ae = truth["adverse_events"]
    g3 = ae[ae["GRADE"] >= 3]
    liver = {
        "ASPARTATE AMINOTRANSFERASE INCREASED",
        "ALANINE AMINOTRANSFERASE INCREASED",
        "TRANSAMINASES INCREASED",
        "BLOOD BILIRUBIN INCREASED",
        "HEPATOTOXICITY",
        "VENO-OCCLUSIVE DISEASE",
    }
    haem = {"FEBRILE NEUTROPENIA", "NEUTROPENIA", "THROMBOCYTOPENIA", "ANAEMIA", "LEUKOPENIA", "PANCYTOPENIA"}
    non_haem = g3[~g3["AE_DECOD"].isin(haem)]
    per_term = (
        non_haem.groupby("AE_DECOD")["SUBJID"].apply(lambda s: s.str.cat(sep="|")).map(lambda s: len(set(s.split("|"))))
    )
    liver_patients = non_haem[non_haem["AE_DECOD"].isin(liver)][["SITEID", "SUBJID"]].drop_duplicates()
    pneumonia = non_haem[non_haem["AE_DECOD"] == "PNEUMONIA"]
    # liver toxicities the most frequent, pneumonia next: every other term in fewer patients
    assert len(liver_patients) > len(pneumonia) == 6
    assert per_term.drop(["PNEUMONIA", *[t for t in liver if t in per_term.index]]).max() < 6
    assert sorted(pneumonia["GRADE"]) == [3, 3, 3, 4, 4, 5]
    vod = ae[ae["AE_DECOD"] == "VENO-OCCLUSIVE DISEASE"]
    assert len(vod) == 8 and vod["GRADE"].between(3, 5).all() and (vod["GRADE"] == 5).sum() == 2


def test_screening_log_and_eligibility(truth):
    log = truth["screening"]
    assert len(log) == 78 and log["SCREEN_ID"].is_unique is False  # ids are per centre
    assert not log.duplicated(["SITEID", "SCREEN_ID"]).any()
    excluded = log[log["SUBJID"].isna()]
    assert len(excluded) == len(EXCLUSIONS) == 5
    eligible = (log["AGE"] >= 18) & (log["CD22_POSITIVE"] == "Y") & (log["RELAPSED_REFRACTORY"] == "Y")
    assert eligible.sum() == 73 and (eligible == log["SUBJID"].notna()).all()
    assert sorted(excluded["AGE"].lt(18).astype(int)) == [0, 0, 0, 1, 1]
    assert (excluded["RELAPSED_REFRACTORY"] == "N").sum() == 2 and (excluded["CD22_POSITIVE"] == "N").sum() == 1
    enrolled = log.dropna(subset=["SUBJID"]).merge(truth["patients"], on=["SITEID", "SUBJID"])
    assert (enrolled["AGE"] == enrolled["AGE_YEARS"].map(math.floor)).all()


# --- the round trip -----------------------------------------------------------------------------


def comparable(frame: pd.DataFrame, columns: list[str], keys: list[str]) -> pd.DataFrame:
    out = frame[columns].copy()
    for column in columns:
        if out[column].dtype.kind in "iuf" or str(out[column].dtype) in ("Int64", "Float64"):
            out[column] = pd.to_numeric(out[column]).astype("float64").round(6)
        else:
            out[column] = out[column].map(
                lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            )
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("domain", list(DOMAIN_COLUMNS))
def test_harmonising_each_centre_gives_back_the_truth(domain, truth, harmonised):
    contract = load_contract()
    expected = truth[domain].rename(columns=RENAMED)
    got = harmonised[domain]
    columns = list(expected.columns)
    assert set(columns) <= set(got.columns), set(columns) - set(got.columns)
    keys = ["SITEID"] + contract.domains[domain]["key"]
    assert len(got) == len(expected), f"{domain}: {len(got)} harmonised records, truth has {len(expected)}"
    for site in SITE_SIZES:  # every centre sends every domain's file, possibly with no rows
        assert (got["SITEID"] == site).sum() == (expected["SITEID"] == site).sum(), (domain, site)
    pd.testing.assert_frame_equal(
        comparable(got, columns, keys), comparable(expected, columns, keys), check_dtype=False
    )


def test_the_boundary_values_survive_harmonisation(truth, harmonised):
    """The planted boundary values (docs/demo-cohort-italy.md) arrive exactly as planted."""
    marrows = harmonised["assessments"]
    outcomes = truth["outcomes"].set_index("PATIENT")

    def on_day(patient: int, day: int) -> pd.Series:
        rows = patient_rows(truth, marrows, patient)
        when = outcomes.loc[patient, "FIRST_DOSE_DATE"] + pd.Timedelta(days=day)
        return rows[pd.to_datetime(rows["ASSESS_DATE"]).dt.date == when].iloc[0]

    def post_baseline(patient: int) -> pd.DataFrame:
        rows = patient_rows(truth, marrows, patient)
        return rows[pd.to_datetime(rows["ASSESS_DATE"]).dt.date > outcomes.loc[patient, "FIRST_DOSE_DATE"]]

    response = {p: int(outcomes.loc[p, "RESPONSE_DAY"]) for p in (11, 52, 10, 7, 33, 71)}
    assert tuple(on_day(11, response[11])[["PLATELETS", "ANC"]]) == (100.0, 1.6)
    assert tuple(on_day(52, response[52])[["ANC", "PLATELETS"]]) == (1.0, 165.0)
    assert on_day(10, response[10])["BM_BLASTS"] == 4.9
    assert tuple(on_day(7, response[7])[["PLATELETS", "ANC"]]) == (99.0, 2.1)
    assert tuple(on_day(33, response[33])[["ANC", "PLATELETS"]]) == (0.99, 140.0)
    assert tuple(on_day(71, response[71])[["PLATELETS", "ANC"]]) == (45.0, 0.6)
    relapse_1 = int(outcomes.loc[1, "RESPONSE_DAY"] + outcomes.loc[1, "DOR_DAYS"])
    assert on_day(1, relapse_1)["BM_BLASTS"] == 5.0
    relapse_16 = on_day(16, int(outcomes.loc[16, "RESPONSE_DAY"] + outcomes.loc[16, "DOR_DAYS"]))
    assert (relapse_16["BM_BLASTS"], relapse_16["EMD"], relapse_16["EMD_SITE"]) == (1.5, "Y", "SNC")
    assert tuple(post_baseline(23).iloc[0][["BM_BLASTS", "EMD"]]) == (5.0, "N")
    assert tuple(post_baseline(53).iloc[0][["BM_BLASTS", "EMD"]]) == (3.0, "Y")
    assert 4.9 in set(post_baseline(2)["BM_BLASTS"])
    assert set(BOUNDARY_CASES) == {23, 53, 11, 52, 10, 7, 33, 71, 1, 16, 2}


def test_the_workflow_derivations_reproduce_the_truth(italy, italy_sdtm, truth):
    """End to end in one process: common model, ADaM, then the published counts and, per
    patient, OS and DOR exactly as italy_times has them."""
    from inoflow.adam.derive import ADAM_SOURCES, derive_datasets

    sdtm = italy_sdtm
    definitions = read_yaml(italy.definitions)
    adam = derive_datasets(ADAM_SOURCES, sdtm, definitions, italy.cuts[CUT].cutoff)
    adsl, adtte, adae = adam["ADSL"], adam["ADTTE"], adam["ADAE"]
    assert len(adsl) == 73 and (adsl["FASFL"] == "Y").all()
    assert adsl["BESTRSP"].value_counts().to_dict() == {"CR": 51, "NR": 19, "CRi": 3}
    assert ((adsl["HSCTFL"] == "Y").sum(), (adsl["PRBLINA"] == "Y").sum()) == (27, 42)
    assert adae.loc[(adae["AECAT"] == "REPORTED") & (adae["VODFL"] == "Y"), "USUBJID"].nunique() == 8
    times = italy_survival().merge(truth["outcomes"][["SITEID", "SUBJID", "PATIENT"]], on="PATIENT")
    ids = times.merge(adsl[["SITEID", "SUBJID", "USUBJID"]], on=["SITEID", "SUBJID"]).set_index("USUBJID")
    os_ = adtte[adtte["PARAMCD"] == "OS"].set_index("USUBJID")
    assert (os_["AVAL"] == ids.loc[os_.index, "OS_DAYS"]).all()
    assert (os_["CNSR"] == (~ids.loc[os_.index, "DEATH"]).astype(int)).all()
    dor = adtte[adtte["PARAMCD"] == "DOR"].set_index("USUBJID")
    assert len(dor) == 54
    assert (dor["AVAL"] == ids.loc[dor.index, "DOR_DAYS"].astype(int)).all()
    assert (dor["CNSR"] == (~ids.loc[dor.index, "DOR_EVENT"].astype(bool)).astype(int)).all()
