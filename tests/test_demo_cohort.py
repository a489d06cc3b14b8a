"""The synthetic India cohort reproduces the publication.

Every published count and cross-tabulation is recomputed here from the truth tables with plain
pandas (the study definitions, written out again independently of the generator) and compared
with ``config/reference/published_results.yaml``. The generator's ``outcomes`` table is used only
to cross-check the recomputation patient by patient.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from lifelines import KaplanMeierFitter

ROOT = Path(__file__).resolve().parents[1]
try:
    from inodemo.cohort import build_cohort
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(ROOT / "src"))
    from inodemo.cohort import build_cohort

PUBLISHED = ROOT / "config/reference/published_results.yaml"
MONTH = 30.4375
SIX, TWELVE = 6 * MONTH, 12 * MONTH
DOMAINS = [
    "screening",
    "patients",
    "dosing",
    "assessments",
    "labs",
    "transplants",
    "adverse_events",
    "conmeds",
    "followup",
]
DATE_COLUMNS = [
    "DIAG_DATE",
    "DOSE_DATE",
    "ASSESS_DATE",
    "LAB_DATE",
    "HSCT_DATE",
    "AE_START",
    "AE_END",
    "CM_START",
    "CM_END",
    "LAST_CONTACT",
    "DEATH_DATE",
]


# ---------------------------------------------------------------------------------------------
# fixtures and the independent derivation
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pub() -> dict:
    return yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))["india"]


@pytest.fixture(scope="module")
def cohort() -> dict[str, pd.DataFrame]:
    return build_cohort()


def as_timestamps(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in DOMAINS:
        frame = frames[name].copy()
        for column in DATE_COLUMNS:
            if column in frame.columns:
                frame[column] = pd.to_datetime(frame[column])
        out[name] = frame
    return out


def normalise(text: str) -> str:
    key = re.sub(r"\s+", " ", str(text).strip().casefold())
    return key[:-1].rstrip() if key.endswith(".") else key


def derive(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per patient (index SUBJID), every fact derived with the study definitions."""
    t = as_timestamps(frames)
    pts, dos, ass, labs = t["patients"], t["dosing"], t["assessments"], t["labs"]
    tx, aes, cms, fu = t["transplants"], t["adverse_events"], t["conmeds"], t["followup"]

    f = pts.set_index("SUBJID")[["SITEID", "AGE", "SEX", "SALVAGE_LINE", "DISEASE_STATUS"]].copy()
    f["first_dose"] = dos.groupby("SUBJID").DOSE_DATE.min()
    f["last_dose"] = dos.groupby("SUBJID").DOSE_DATE.max()
    f["n_cycles"] = dos.groupby("SUBJID").CYCLE.max()
    f["cycle1_dose"] = dos[dos.CYCLE == 1].groupby("SUBJID").DOSE.sum().round(1)
    f["dose_category"] = np.select([f.cycle1_dose == 1.8, f.cycle1_dose < 1.8], ["standard", "under"], "over")
    f["dose_modified"] = dos.groupby(["SUBJID", "CYCLE"]).DOSE.sum().round(1).ne(1.8).groupby("SUBJID").any()

    ass = ass.merge(f[["first_dose"]], left_on="SUBJID", right_index=True)
    base = ass[ass.ASSESS_DATE <= ass.first_dose].sort_values("ASSESS_DATE").groupby("SUBJID").last()
    f["baseline_blasts"] = base.BM_BLASTS
    f["burden"] = np.where(f.baseline_blasts >= 50, "high", "low")
    f["emd_baseline"] = base.EMD == "Y"

    post = ass[ass.ASSESS_DATE > ass.first_dose].copy()
    post["resp"] = (post.BM_BLASTS <= 5) & (post.EMD == "N")
    post["cr"] = post.resp & (post.PLATELETS > 100) & (post.ANC > 1.0)
    post["mrd_neg"] = np.where(post.MRD_STATUS.notna(), post.MRD_STATUS == "NEGATIVE", post.MRD_PCT < 0.01)
    f["best_response"] = "NE"
    f.loc[f.index.isin(post.SUBJID), "best_response"] = "NR"
    f.loc[f.index.isin(post[post.resp].SUBJID), "best_response"] = "CRi"
    f.loc[f.index.isin(post[post.cr].SUBJID), "best_response"] = "CR"
    f["responder"] = f.best_response.isin(["CR", "CRi"])
    f["first_response"] = post[post.resp].groupby("SUBJID").ASSESS_DATE.min()

    upto = dos.merge(f[["first_response"]], left_on="SUBJID", right_index=True)
    upto = upto[upto.DOSE_DATE <= upto.first_response].sort_values("DOSE_DATE")
    f["cycles_to_response"] = upto.groupby("SUBJID").CYCLE.last()

    post = post.merge(f[["first_response"]], left_on="SUBJID", right_index=True)
    on_after = post[post.ASSESS_DATE >= post.first_response]
    f["mrd_negative"] = on_after.groupby("SUBJID").mrd_neg.any()
    f["mrd_negative_at_first"] = post[post.ASSESS_DATE == post.first_response].groupby("SUBJID").mrd_neg.first()
    after = post[post.ASSESS_DATE > post.first_response]
    f["n_after_response"] = after.groupby("SUBJID").size()
    f["n_after_response"] = f.n_after_response.fillna(0).astype(int)
    f["relapse_date"] = after[(after.BM_BLASTS > 5) | (after.EMD == "Y")].groupby("SUBJID").ASSESS_DATE.min()
    f["relapse"] = f.relapse_date.notna()

    f["hsct_date"] = tx.set_index("SUBJID").HSCT_DATE
    f["hsct"] = f.hsct_date.notna()
    vod = aes[aes.AE_DECOD == "VENO-OCCLUSIVE DISEASE"].groupby("SUBJID").AE_START.min()
    f["vod"] = f.index.isin(vod.index)
    f["vod_date"] = vod
    f["vod_after_hsct"] = f.vod & (f.vod_date > f.hsct_date)

    # toxicity window: first dose .. last dose + 42 days, truncated at HSCT
    f["window_end"] = (f.last_dose + pd.Timedelta(days=42)).where(
        f.hsct_date.isna() | (f.last_dose + pd.Timedelta(days=42) < f.hsct_date), f.hsct_date
    )
    labs = labs.merge(f[["first_dose", "window_end"]], left_on="SUBJID", right_index=True)
    lw = labs[(labs.LAB_DATE >= labs.first_dose) & (labs.LAB_DATE <= labs.window_end)]
    aw = ass.merge(f[["window_end"]], left_on="SUBJID", right_index=True)
    aw = aw[(aw.ASSESS_DATE >= aw.first_dose) & (aw.ASSESS_DATE <= aw.window_end)]

    def any_by_patient(mask_frame: pd.DataFrame) -> pd.Series:
        return f.index.isin(mask_frame.SUBJID)

    f["liver_ast"] = any_by_patient(lw[(lw.TEST == "AST") & (lw.VALUE >= 2.5 * lw.ULN)])
    f["liver_alt"] = any_by_patient(lw[(lw.TEST == "ALT") & (lw.VALUE >= 2.5 * lw.ULN)])
    f["liver_bili"] = any_by_patient(lw[(lw.TEST == "BILI") & (lw.VALUE >= 1.5 * lw.ULN)])
    f["liver_any"] = f.liver_ast | f.liver_alt | f.liver_bili
    f["thrombocytopenia"] = any_by_patient(lw[(lw.TEST == "PLAT") & (lw.VALUE < 150)]) | any_by_patient(
        aw[aw.PLATELETS < 150]
    )
    f["neutropenia"] = any_by_patient(lw[(lw.TEST == "NEUT") & (lw.VALUE < 1.0)]) | any_by_patient(aw[aw.ANC < 1.0])
    wide = lw.pivot_table(index=["SUBJID", "LAB_DATE"], columns="TEST", values="VALUE").reset_index()
    f["febrile_neutropenia"] = any_by_patient(wide[(wide.NEUT < 1.0) & (wide.TEMP >= 38.5)])
    f["heme_any"] = f.thrombocytopenia | f.neutropenia | f.febrile_neutropenia

    fu = fu.set_index("SUBJID")
    f["status"] = fu.STATUS
    f["last_contact"] = fu.LAST_CONTACT
    f["death_date"] = fu.DEATH_DATE
    f["death"] = fu.DEATH_DATE.notna()
    f["death_cause_std"] = fu.DEATH_CAUSE_STD
    f["os_days"] = (f.last_contact - f.first_dose).dt.days
    event_date = pd.concat([f.relapse_date, f.death_date], axis=1).min(axis=1)
    end = event_date.fillna(f.last_contact)
    f["rfs_event"] = event_date.notna()
    f["rfs_days"] = (end - f.first_dose).dt.days
    f["dor_days"] = (end - f.first_response).dt.days
    f["dor_evaluable"] = f.responder & (f.rfs_event | (f.n_after_response > 0))
    f["any_conmed"] = f.index.isin(cms[cms.CM_CATEGORY == "CONCOMITANT"].SUBJID)
    return f


@pytest.fixture(scope="module")
def facts(cohort) -> pd.DataFrame:
    return derive(cohort)


def km_median_months(durations: pd.Series, events: pd.Series) -> float:
    kmf = KaplanMeierFitter().fit(durations.astype(float) / MONTH, events.astype(bool))
    return float(kmf.median_survival_time_)


# ---------------------------------------------------------------------------------------------
# structure and determinism
# ---------------------------------------------------------------------------------------------


def test_frames_follow_the_contract(cohort):
    contract = yaml.safe_load((ROOT / "config/contract.yaml").read_text(encoding="utf-8"))
    extras = {"adverse_events": ["AE_DECOD"], "followup": ["DEATH_CAUSE_STD"]}
    not_collected = {"patients": {"AGE_YEARS", "PRIOR_INDUCTION"}}  # the Italian study's variables
    for domain in DOMAINS:
        variables = [v for v in contract["domains"][domain]["variables"] if v not in not_collected.get(domain, ())]
        expected = ["SITEID", *variables, *extras.get(domain, [])]
        assert list(cohort[domain].columns) == expected, domain
        for name, spec in contract["domains"][domain]["variables"].items():
            if name not in cohort[domain].columns:
                continue
            column = cohort[domain][name]
            if spec.get("required"):
                assert column.notna().all(), f"{domain}.{name} has missing values"
            if spec["type"] == "code":
                allowed = set(contract["codelists"][spec["codelist"]])
                assert set(column.dropna()) <= allowed, f"{domain}.{name}"
        key = contract["domains"][domain]["key"]
        assert not cohort[domain].duplicated(key).any(), f"{domain} key {key} not unique"
        assert set(cohort[domain].SITEID) <= {"IN01", "IN02", "IN03", "IN04", "IN05"}
    assert set(cohort) == {*DOMAINS, "outcomes"}
    assert len(cohort["outcomes"]) == 32


def test_build_is_deterministic(cohort):
    again = build_cohort(20230430)
    for name, frame in cohort.items():
        pd.testing.assert_frame_equal(frame, again[name], obj=name)
    other = build_cohort(7)
    assert not other["labs"].equals(cohort["labs"])


@pytest.mark.parametrize("seed", [1, 99])
def test_other_seeds_reproduce_the_key_facts(seed, pub):
    f = derive(build_cohort(seed))
    assert f.best_response.value_counts().to_dict() == {"CR": 18, "NR": 12, "CRi": 1, "NE": 1}
    assert round(km_median_months(f.os_days, f.death), 1) == pub["overall_survival"]["median_months"]
    r = f[f.responder]
    assert round(km_median_months(r.rfs_days, r.rfs_event), 1) == pub["relapse_free_survival"]["median_months"]
    assert (f.liver_any.sum(), f.heme_any.sum(), f.vod.sum()) == (12, 28, 7)


# ---------------------------------------------------------------------------------------------
# published facts
# ---------------------------------------------------------------------------------------------


def test_baseline_characteristics(facts, pub):
    b = pub["baseline"]
    assert len(facts) == b["n"] == pub["disposition"]["eligible_enrolled_analysed"]
    assert facts.SEX.value_counts().to_dict() == {"M": b["sex"]["male"], "F": b["sex"]["female"]}
    groups = np.where(facts.AGE > 65, ">65", "18-65")
    assert pd.Series(groups).value_counts().to_dict() == b["age_group"]
    assert (facts.AGE == 65).sum() == 1 and facts.AGE.min() >= 18
    assert round(facts.AGE.mean(), 2) == b["age_mean"]
    assert round(facts.AGE.std(ddof=1), 2) == b["age_sd"]
    assert facts.SALVAGE_LINE.value_counts().to_dict() == b["salvage_line_of_ino"]
    status = facts.DISEASE_STATUS.value_counts()
    assert status.to_dict() == {
        "RELAPSED": b["disease_status_before_ino"]["relapsed"],
        "REFRACTORY": b["disease_status_before_ino"]["refractory"],
    }
    assert facts.n_cycles.value_counts().to_dict() == b["total_ino_cycles"]
    doses = facts.dose_category.value_counts()
    assert doses.to_dict() == {
        "standard": b["cycle1_dose_category"]["standard_1.8"],
        "under": b["cycle1_dose_category"]["under_lt_1.8"],
        "over": b["cycle1_dose_category"]["over_gt_1.8"],
    }
    assert (facts.burden == "low").sum() == b["bone_marrow_blasts"]["lt_50"]
    assert (facts.burden == "high").sum() == b["bone_marrow_blasts"]["ge_50"]
    assert (facts.baseline_blasts == 50).sum() == 1  # the ">= 50" boundary is exercised
    assert facts.emd_baseline.sum() == b["extramedullary_disease"]


def test_response(facts, pub):
    r = pub["response"]
    counts = facts.best_response.value_counts()
    assert counts["CR"] == r["cr"] and counts["CRi"] == r["cri"]
    assert counts["CR"] + counts["CRi"] == r["cr_cri"]
    assert counts["NR"] == r["no_remission"] and counts["NE"] == r["not_evaluable_lost_to_follow_up"]
    ctr = facts[facts.responder].cycles_to_response
    c = r["cycles_to_cr_cri"]
    assert (len(ctr), ctr.median(), ctr.min(), ctr.max()) == (c["n"], c["median"], c["min"], c["max"])
    for line, spec in r["by_salvage_line"].items():
        group = facts[facts.SALVAGE_LINE == line]
        assert (len(group), group.responder.sum()) == (spec["n"], spec["cr_cri"]), line
    for key, burden in (("lt_50", "low"), ("ge_50", "high")):
        group = facts[facts.burden == burden]
        assert (len(group), group.responder.sum()) == (r["by_burden"][key]["n"], r["by_burden"][key]["cr_cri"])
    emd = facts[facts.emd_baseline]
    e = r["emd_at_baseline"]
    assert (len(emd), emd.responder.sum(), (emd.responder & emd.hsct).sum()) == (
        e["n"],
        e["cr_cri"],
        e["cr_cri_then_hsct"],
    )


def test_mrd(facts, pub):
    m = pub["mrd"]
    cr, cri = facts[facts.best_response == "CR"], facts[facts.best_response == "CRi"]
    assert (len(cr), cr.mrd_negative.astype(bool).sum()) == (m["among_cr"]["n"], m["among_cr"]["negative"])
    assert (len(cri), cri.mrd_negative.astype(bool).sum()) == (m["among_cri"]["n"], m["among_cri"]["negative"])
    resp = facts[facts.responder]
    assert resp.mrd_negative.astype(bool).sum() == m["among_cr_cri"]["negative"]
    assert resp.mrd_negative_at_first.astype(bool).sum() == 13  # the abstract's 13/19


def test_hsct(facts, pub):
    h = pub["hsct"]
    assert facts.hsct.sum() == h["overall"]
    resp = facts[facts.responder]
    assert resp.hsct.sum() == h["among_cr_cri"]
    assert (resp.hsct & (resp.n_cycles == 1)).sum() == h["among_cr_cri_after_single_cycle"]
    assert (facts.hsct & ~facts.responder).sum() == h["overall"] - h["among_cr_cri"]


def test_overall_survival(facts, pub):
    os_ = pub["overall_survival"]
    assert facts.death.sum() == pub["deaths"]["n"]
    assert round(km_median_months(facts.os_days, facts.death), 1) == os_["median_months"]
    dead = facts[facts.death]
    assert (dead.os_days < SIX).sum() == 16
    assert ((dead.os_days >= SIX) & (dead.os_days < TWELVE)).sum() == 1
    # crude: known alive at the landmark (death or last contact on or after it), out of 32
    alive6 = (facts.os_days >= SIX).sum()
    alive12 = (facts.os_days >= TWELVE).sum()
    assert (alive6, alive12) == (15, 9)
    assert round(100 * alive6 / len(facts), 1) == os_["rate_6_months_pct"]
    assert round(100 * alive12 / len(facts), 1) == os_["rate_12_months_pct"]
    assert len(facts) == os_["at_risk"][0]
    assert (facts.os_days >= TWELVE).sum() == os_["at_risk"][12]
    months = facts.os_days / MONTH
    lost = facts.status == "LOST TO FOLLOW-UP"
    assert (lost & (months >= 6) & (months < 7)).sum() == pub["disposition"]["lost_to_follow_up_by_6_months"]
    assert (lost & (months >= 12) & (months < 13)).sum() == pub["disposition"]["lost_to_follow_up_by_12_months"]
    alive = facts[facts.status == "ALIVE"]
    assert len(alive) == 4 and (alive.os_days / MONTH).max() <= 61 and (alive.os_days >= 13 * MONTH).all()
    ne = facts[facts.best_response == "NE"]
    assert len(ne) == 1 and (ne.status == "LOST TO FOLLOW-UP").all() and (ne.os_days < SIX).all()
    assert lost.sum() == 5 + 5 + 1
    old = facts[facts.AGE > 65]
    a = os_["age_gt_65"]
    assert len(old) == a["n"]
    assert round(100 * (old.os_days >= SIX).sum() / len(old)) == a["rate_6_months_pct"]
    assert round(100 * (old.os_days >= TWELVE).sum() / len(old)) == a["rate_12_months_pct"]
    assert (~old.death & (old.os_days >= TWELVE)).sum() == 1
    assert ((old.os_days < SIX) & old.death).sum() == 1


def test_relapse_free_survival_and_duration_of_remission(facts, pub):
    resp = facts[facts.responder]
    assert len(resp) == pub["response"]["cr_cri"]  # RFS population: the CR/CRi responders
    rfs = km_median_months(resp.rfs_days, resp.rfs_event)
    assert round(rfs, 1) == pub["relapse_free_survival"]["median_months"]
    evaluable = resp[resp.dor_evaluable]
    assert len(evaluable) == pub["duration_of_remission"]["n_with_data"]
    not_evaluable = resp[~resp.dor_evaluable]
    assert (~not_evaluable.death).all() and (not_evaluable.n_after_response == 0).all()
    dor = km_median_months(evaluable.dor_days, evaluable.rfs_event)
    assert round(dor) == pub["duration_of_remission"]["median_months"]
    # relapse deaths are in responders who relapsed; progression deaths in non-responders
    relapse_deaths = facts[facts.death_cause_std.isin(["RELAPSE", "CNS RELAPSE"])]
    assert relapse_deaths.responder.all() and relapse_deaths.relapse.all()
    assert (~facts[facts.death_cause_std == "PROGRESSION OF DISEASE"].responder).all()


def test_cns_relapse_is_extramedullary(cohort, facts):
    subj = facts.index[facts.death_cause_std == "CNS RELAPSE"]
    assert len(subj) == 1
    a = cohort["assessments"]
    relapse = a[(a.SUBJID == subj[0]) & (pd.to_datetime(a.ASSESS_DATE) == facts.loc[subj[0], "relapse_date"])]
    assert relapse.EMD.tolist() == ["Y"] and relapse.EMD_SITE.tolist() == ["CNS"]


def test_safety(facts, pub):
    s = pub["safety"]
    assert facts.vod.sum() == s["vod"]["n"] and round(100 * facts.vod.mean()) == s["vod"]["pct"]
    assert facts.vod_after_hsct.sum() == s["vod"]["after_hsct"]
    assert (facts.vod_after_hsct & facts.hsct).sum() == s["vod"]["after_hsct"]
    table6 = facts[facts.best_response != "NE"]  # 31: the lost patient is in neither column
    for key, group in (("hsct", table6[table6.hsct]), ("no_hsct", table6[~table6.hsct])):
        assert (len(group), group.vod.sum()) == (s["vod_by_hsct"][key]["n"], s["vod_by_hsct"][key]["vod"])
        assert (len(group), group.liver_any.sum()) == (
            s["liver_g34_by_hsct"][key]["n"],
            s["liver_g34_by_hsct"][key]["events"],
        )
        assert (len(group), group.heme_any.sum()) == (s["heme_by_hsct"][key]["n"], s["heme_by_hsct"][key]["events"])
    for line, spec in s["vod_by_salvage_line"].items():
        group = facts[facts.SALVAGE_LINE == line]
        assert (len(group), group.vod.sum()) == (spec["n"], spec["vod"]), line
    assert facts.liver_any.sum() == s["liver_toxicity_g34"]
    lp = s["liver_by_parameter"]
    assert (facts.liver_ast.sum(), facts.liver_alt.sum(), facts.liver_bili.sum()) == (
        lp["ast_increased"],
        lp["alt_increased"],
        lp["bilirubin_increased"],
    )
    assert facts.heme_any.sum() == s["hematological_toxicity"]
    h = s["heme_by_type"]
    assert (facts.thrombocytopenia.sum(), facts.neutropenia.sum(), facts.febrile_neutropenia.sum()) == (
        h["thrombocytopenia"],
        h["neutropenia"],
        h["febrile_neutropenia"],
    )
    ne = facts[facts.best_response == "NE"].iloc[0]
    assert not (ne.vod or ne.liver_any or ne.heme_any)


def test_deaths_by_cause(facts, pub):
    names = {
        "progression_of_disease": "PROGRESSION OF DISEASE",
        "relapse": "RELAPSE",
        "septic_shock": "SEPTIC SHOCK",
        "vod_multi_organ_failure": "VOD-RELATED MULTI-ORGAN FAILURE",
        "vod_pneumonia": "VOD PNEUMONIA",
        "cns_relapse": "CNS RELAPSE",
        "not_documented": "NOT DOCUMENTED",
    }
    counts = facts[facts.death].death_cause_std.value_counts().to_dict()
    assert counts == {names[k]: v for k, v in pub["deaths"]["cause"].items()}
    vod_deaths = facts[facts.death_cause_std.isin(["VOD-RELATED MULTI-ORGAN FAILURE", "VOD PNEUMONIA"])]
    assert (vod_deaths.hsct & vod_deaths.vod).all()
    assert facts[~facts.death].death_cause_std.isna().all()


# ---------------------------------------------------------------------------------------------
# cross-check with the generator's intended outcomes
# ---------------------------------------------------------------------------------------------


def test_outcomes_match_the_derivation(cohort, facts):
    o = cohort["outcomes"].set_index("SUBJID").loc[facts.index]
    ts = lambda s: pd.to_datetime(s)  # noqa: E731
    pairs = {
        "best_response": "best_response",
        "n_cycles": "n_cycles",
        "cycle1_dose_mgm2": "cycle1_dose",
        "dose_category": "dose_category",
        "dose_modified": "dose_modified",
        "burden": "burden",
        "baseline_blasts": "baseline_blasts",
        "emd_baseline": "emd_baseline",
        "salvage_line": "SALVAGE_LINE",
        "age": "AGE",
        "hsct": "hsct",
        "vod": "vod",
        "vod_after_hsct": "vod_after_hsct",
        "liver_ast": "liver_ast",
        "liver_alt": "liver_alt",
        "liver_bili": "liver_bili",
        "liver_any": "liver_any",
        "thrombocytopenia": "thrombocytopenia",
        "neutropenia": "neutropenia",
        "febrile_neutropenia": "febrile_neutropenia",
        "heme_any": "heme_any",
        "death": "death",
        "os_days": "os_days",
        "any_conmed": "any_conmed",
    }
    for out_col, fact_col in pairs.items():
        assert (o[out_col].to_numpy() == facts[fact_col].to_numpy()).all(), out_col
    for out_col, fact_col in {
        "first_dose_date": "first_dose",
        "last_contact": "last_contact",
        "hsct_date": "hsct_date",
        "death_date": "death_date",
        "first_response_date": "first_response",
        "relapse_date": "relapse_date",
    }.items():
        pd.testing.assert_series_equal(ts(o[out_col]), facts[fact_col], check_names=False, obj=out_col)
    assert (o.age_group == np.where(facts.AGE > 65, ">65", "18-65")).all()
    assert (o.death_cause_std.fillna("-") == facts.death_cause_std.fillna("-")).all()
    resp = facts.responder
    for out_col, fact_col in {
        "cycles_to_response": "cycles_to_response",
        "mrd_negative": "mrd_negative",
        "mrd_negative_at_first_response": "mrd_negative_at_first",
        "relapse": "relapse",
        "rfs_days": "rfs_days",
        "rfs_event": "rfs_event",
        "dor_days": "dor_days",
        "dor_event": "rfs_event",
        "dor_evaluable": "dor_evaluable",
    }.items():
        assert (
            o.loc[resp, out_col].astype(float).to_numpy() == facts.loc[resp, fact_col].astype(float).to_numpy()
        ).all(), out_col
        assert o.loc[~resp, out_col].isna().all(), out_col
    months = facts.os_days / MONTH
    lost = facts.status == "LOST TO FOLLOW-UP"
    window = np.select([months < 6, months < 12], ["<6", "6-12"], ">=12")
    assert (o.ltfu_window.where(lost, "-") == pd.Series(np.where(lost, window, "-"), index=o.index)).all()


# ---------------------------------------------------------------------------------------------
# vocabularies
# ---------------------------------------------------------------------------------------------


def load_vocabulary(name: str) -> dict[str, list[str]]:
    doc = yaml.safe_load((ROOT / f"config/vocabularies/{name}.yaml").read_text(encoding="utf-8"))
    assert doc["name"] == name and doc["description"]
    lookup: dict[str, str] = {}
    for term, synonyms in doc["terms"].items():
        for synonym in [term, *synonyms]:
            key = normalise(synonym)
            assert lookup.get(key, term) == term, f"{name}: {synonym!r} maps to two terms"
            lookup[key] = term
    return lookup


def test_adverse_event_verbatims_are_in_the_vocabulary(cohort):
    lookup = load_vocabulary("ae_terms")
    ae = cohort["adverse_events"]
    mapped = ae.AE_TERM.map(lambda v: lookup.get(normalise(v)))
    assert mapped.notna().all(), ae.AE_TERM[mapped.isna()].unique()
    assert (mapped == ae.AE_DECOD).all()
    verbatims = set(ae.AE_TERM)
    assert len(verbatims) > 30  # realistic spelling variety
    assert {"FN", "Transaminitis"} & verbatims


def test_death_cause_verbatims_are_in_the_vocabulary(cohort):
    lookup = load_vocabulary("death_causes")
    assert set(lookup.values()) >= {  # the Indian categories (Table 8); the Italian ones besides
        "PROGRESSION OF DISEASE",
        "RELAPSE",
        "SEPTIC SHOCK",
        "VOD-RELATED MULTI-ORGAN FAILURE",
        "VOD PNEUMONIA",
        "CNS RELAPSE",
        "NOT DOCUMENTED",
    }
    fu = cohort["followup"]
    dead = fu[fu.STATUS == "DEAD"]
    assert dead.DEATH_CAUSE.notna().all()
    assert (dead.DEATH_CAUSE.map(lambda v: lookup.get(normalise(v))) == dead.DEATH_CAUSE_STD).all()
    assert fu[fu.STATUS != "DEAD"][["DEATH_DATE", "DEATH_CAUSE", "DEATH_CAUSE_STD"]].isna().all().all()


# ---------------------------------------------------------------------------------------------
# clinical coherence
# ---------------------------------------------------------------------------------------------


def test_sites_and_identifiers(cohort):
    p = cohort["patients"]
    assert p.SITEID.value_counts().to_dict() == {"IN01": 9, "IN02": 7, "IN03": 6, "IN04": 6, "IN05": 4}
    patterns = {
        "IN01": r"P\d{3}",
        "IN02": r"02-\d{4}",
        "IN03": r"KMC/ALL/\d{3}",
        "IN04": r"R4-\d+",
        "IN05": r"05/\d{3}",
    }
    for site, pattern in patterns.items():
        assert p[p.SITEID == site].SUBJID.str.fullmatch(pattern).all(), site
    assert p.SUBJID.is_unique
    for name in DOMAINS:
        frame = cohort[name].dropna(subset=["SUBJID"])  # screening: cases not enrolled have no subject id
        merged = frame.merge(p[["SUBJID", "SITEID"]], on="SUBJID", suffixes=("", "_p"))
        assert len(merged) == len(frame) and (merged.SITEID == merged.SITEID_p).all(), name
    screening = cohort["screening"]
    assert len(screening) == 50 and screening["SUBJID"].notna().sum() == 32
    first = cohort["dosing"].groupby("SUBJID").DOSE_DATE.min()
    in03 = p[p.SITEID == "IN03"]
    assert in03.BIRTH_YEAR.notna().all() and p[p.SITEID != "IN03"].BIRTH_YEAR.isna().all()
    for _, row in in03.iterrows():
        dose = first[row.SUBJID]
        imputed_age = dose.year - int(row.BIRTH_YEAR) - ((dose.month, dose.day) < (7, 1))
        assert imputed_age == row.AGE


def test_patient_history(cohort):
    p = as_timestamps(cohort)["patients"]
    first = pd.to_datetime(cohort["dosing"].groupby("SUBJID").DOSE_DATE.min())
    months = (first.loc[p.SUBJID].to_numpy() - p.DIAG_DATE.to_numpy()) / np.timedelta64(1, "D") / MONTH
    assert (months >= 4).all() and (months <= 48.5).all()
    assert (
        months[p.DISEASE_STATUS.eq("REFRACTORY").to_numpy()].max()
        < months[p.DISEASE_STATUS.eq("RELAPSED").to_numpy()].min()
    )
    ph = p.PH_STATUS == "POSITIVE"
    assert 5 <= ph.sum() <= 9 and (p[ph].TKI_FAILED >= 1).all() and (p[~ph].TKI_FAILED == 0).all()
    assert p.CD22_PCT.between(60, 99).all()
    assert (p.PRIOR_LINES == p.SALVAGE_LINE).all()
    assert 4 <= (p.PRIOR_BLINA == "Y").sum() <= 6


def test_dosing(cohort, facts):
    d = as_timestamps(cohort)["dosing"]
    first = d.groupby("SUBJID").DOSE_DATE.transform("min")
    assert first.min() >= pd.Timestamp("2017-02-01") and first.max() <= pd.Timestamp("2022-10-31")
    assert set(d.DAY) <= {1, 8, 15}
    start = d[d.DAY == 1].set_index(["SUBJID", "CYCLE"]).DOSE_DATE
    assert len(start) == d.groupby(["SUBJID", "CYCLE"]).ngroups
    offset = (d.DOSE_DATE - start.loc[list(zip(d.SUBJID, d.CYCLE, strict=True))].to_numpy()).dt.days
    assert (offset == d.DAY - 1).all()
    gaps = start.groupby(level="SUBJID").diff().dropna().dt.days
    assert gaps.between(21, 28).all()
    assert d.BSA.between(1.4, 2.1).all() and (d.groupby("SUBJID").BSA.nunique() == 1).all()
    c1 = d[d.CYCLE == 1].pivot(index="SUBJID", columns="DAY", values="DOSE")
    standard = facts.index[facts.dose_category == "standard"]
    assert (
        (c1.loc[standard, 1] == 0.8).all()
        and (c1.loc[standard, 8] == 0.5).all()
        and (c1.loc[standard, 15] == 0.5).all()
    )
    assert (facts[facts.dose_category == "under"].cycle1_dose <= 1.6).all()
    assert (facts[facts.dose_category == "over"].cycle1_dose >= 2.0).all()
    assert (c1[15].isna().sum()) >= 3  # day 15 omitted for some under-dosed patients
    assert facts.dose_modified.sum() >= 17


def test_transplants_and_vod_timing(cohort, facts):
    tx = as_timestamps(cohort)["transplants"]
    assert tx.SUBJID.is_unique
    assert (tx.HSCT_TYPE == "HAPLOIDENTICAL").sum() > len(tx) / 2
    assert (tx.CONDITIONING == "MYELOABLATIVE").sum() > len(tx) / 2
    h = facts[facts.hsct]
    weeks = (h.hsct_date - h.last_dose).dt.days
    assert weeks.between(21, 56).all()
    after = facts[facts.vod_after_hsct]
    assert ((after.vod_date - after.hsct_date).dt.days.between(1, 30)).all()
    during = facts[facts.vod & ~facts.hsct]
    assert (during.vod_date >= during.first_dose).all() and (
        during.vod_date <= during.last_dose + pd.Timedelta(days=14)
    ).all()


def test_follow_up_dates(cohort, facts):
    assert facts.last_contact.max() <= pd.Timestamp("2023-04-30")
    dead = facts[facts.death]
    assert (dead.last_contact == dead.death_date).all()
    alive = facts[facts.status == "ALIVE"]
    assert (alive.last_contact >= pd.Timestamp("2023-01-01")).all()
    t = as_timestamps(cohort)
    for name, column in (
        ("dosing", "DOSE_DATE"),
        ("assessments", "ASSESS_DATE"),
        ("labs", "LAB_DATE"),
        ("adverse_events", "AE_START"),
        ("adverse_events", "AE_END"),
        ("conmeds", "CM_START"),
        ("conmeds", "CM_END"),
    ):
        frame = t[name].dropna(subset=[column])
        assert (frame[column] <= facts.last_contact.loc[frame.SUBJID].to_numpy()).all(), (name, column)


def test_labs(cohort, facts):
    labs = as_timestamps(cohort)["labs"]
    units = {
        "AST": "U/L",
        "ALT": "U/L",
        "BILI": "umol/L",
        "PLAT": "10^9/L",
        "NEUT": "10^9/L",
        "HGB": "g/dL",
        "WBC": "10^9/L",
        "TEMP": "C",
    }
    assert (labs.UNIT == labs.TEST.map(units)).all()
    assert labs[labs.TEST == "TEMP"].ULN.isna().all() and labs[labs.TEST != "TEMP"].ULN.notna().all()
    uln = labs[labs.TEST == "AST"].groupby("SITEID").ULN.unique()
    assert uln.map(len).eq(1).all() and uln.map(lambda u: u[0]).nunique() > 1  # per site laboratory
    assert (labs.groupby(["SUBJID", "LAB_DATE"]).TEST.nunique() == 8).all()
    days = (labs.LAB_DATE - facts.first_dose.loc[labs.SUBJID].to_numpy()).dt.days
    baseline = days[days < 0].groupby(labs.SUBJID[days < 0]).unique()
    assert baseline.map(len).eq(1).all() and baseline.map(lambda d: 1 <= -d[0] <= 3).all()
    hsct = facts.hsct_date.loc[labs.SUBJID].to_numpy()
    assert not (labs.LAB_DATE >= hsct).any()  # nothing on or after the transplant
    assert not (labs.LAB_DATE >= facts.death_date.loc[labs.SUBJID].to_numpy()).any()
    assert (labs.LAB_DATE <= facts.last_contact.loc[labs.SUBJID].to_numpy()).all()


def test_adverse_events_and_conmeds(cohort, facts):
    t = as_timestamps(cohort)
    ae, cm = t["adverse_events"], t["conmeds"]
    assert ae.GRADE.between(1, 5).all() and set(ae.GRADE) == {1, 2, 3, 4, 5}
    assert (ae.AE_END.isna() | (ae.AE_END >= ae.AE_START)).all() and ae.AE_END.isna().any()
    assert (ae.AE_START >= facts.first_dose.loc[ae.SUBJID].to_numpy()).all()
    # a febrile-neutropenia AE on every febrile-neutropenia date
    labs = t["labs"]
    wide = labs.pivot_table(index=["SUBJID", "LAB_DATE"], columns="TEST", values="VALUE").reset_index()
    wide = wide.merge(facts[["first_dose", "window_end"]], left_on="SUBJID", right_index=True)
    fn = wide[
        (wide.NEUT < 1.0)
        & (wide.TEMP >= 38.5)
        & (wide.LAB_DATE >= wide.first_dose)
        & (wide.LAB_DATE <= wide.window_end)
    ]
    fn_ae = set(
        zip(
            ae[ae.AE_DECOD == "FEBRILE NEUTROPENIA"].SUBJID,
            ae[ae.AE_DECOD == "FEBRILE NEUTROPENIA"].AE_START,
            strict=True,
        )
    )
    assert set(zip(fn.SUBJID, fn.LAB_DATE, strict=True)) == fn_ae
    septic = facts.index[facts.death_cause_std == "SEPTIC SHOCK"]
    assert ae[
        ae.SUBJID.isin(septic) & ae.AE_DECOD.isin(["SEPSIS", "SEPTIC SHOCK", "PNEUMONIA"])
    ].SUBJID.nunique() == len(septic)
    assert facts.any_conmed.sum() >= 30
    for pattern in (
        "ursodiol|ursodeoxycholic|udca",
        "posaconazole",
        "a[cy]+clovir",
        "filgrastim",
        "ondansetron",
        "allopurinol",
        "premed",
    ):
        assert cm.CM_NAME.str.contains(pattern, case=False).any(), pattern
    subsequent = cm[cm.CM_CATEGORY == "SUBSEQUENT ANTILEUKAEMIC THERAPY"]
    assert subsequent.SUBJID.nunique() >= 2 and (facts.loc[subsequent.SUBJID, "best_response"] == "NR").all()


def test_assessments_and_boundary_cases(cohort, facts):
    a = as_timestamps(cohort)["assessments"]
    mrd_reported = a.MRD_PCT.notna() | a.MRD_STATUS.notna()
    assert (a.MRD_METHOD[mrd_reported] == "FLOW CYTOMETRY").all() and a.MRD_METHOD[~mrd_reported].isna().all()
    assert (a.MRD_STATUS.notna() & a.MRD_PCT.isna()).any() and (a.MRD_STATUS.isna() & a.MRD_PCT.notna()).any()
    assert (a.EMD_SITE.notna() == (a.EMD == "Y")).all()
    a = a.merge(facts[["first_dose", "first_response", "best_response"]], left_on="SUBJID", right_index=True)
    first = a[a.ASSESS_DATE == a.first_response]
    # CR at exactly 5 % blasts; the CRi patient's response marrow at platelets exactly 100
    assert (
        (first.BM_BLASTS == 5.0) & (first.best_response == "CR") & (first.PLATELETS > 100) & (first.ANC > 1.0)
    ).sum() == 1
    assert ((first.best_response == "CRi") & (first.PLATELETS == 100.0)).sum() == 1
    # ANC exactly 1.0 in a remission marrow: not a recovered count
    exact = a[(a.ANC == 1.0) & (a.BM_BLASTS <= 5)]
    assert len(exact) >= 1 and (exact.best_response == "CRi").all()
    # the MRD-positive CR patient: MRD exactly 0.01 % without a documented status
    never = facts.index[facts.responder & ~facts.mrd_negative.astype(bool)]
    assert len(never) == 1 and facts.loc[never[0], "best_response"] == "CR"
    assert ((a.SUBJID == never[0]) & (a.MRD_PCT == 0.01) & a.MRD_STATUS.isna()).any()
    # the baseline is the last marrow on or before the first dose, not the earliest one
    pre = a[a.ASSESS_DATE <= a.first_dose]
    assert (pre.groupby("SUBJID").size() > 1).any()
    # 2-3 patients whose site label disagrees with the rule
    post = a[a.ASSESS_DATE > a.first_dose].copy()
    resp = (post.BM_BLASTS <= 5) & (post.EMD == "N")
    rule = np.select([resp & (post.PLATELETS > 100) & (post.ANC > 1.0), resp], ["CR", "CRi"], "none")

    def label_class(label):
        if not isinstance(label, str):
            return None
        text = label.strip().casefold()
        if text.startswith(("cri", "cr with incomplete")):
            return "CRi"
        if re.match(r"(cr|complete remission|continued cr)\b", text):
            return "CR"
        return "none"

    labels = post.SITE_RESPONSE.map(label_class)
    disagree = post[labels.notna() & (labels != rule)]
    assert 2 <= disagree.SUBJID.nunique() <= 3
    assert set(post.SITE_RESPONSE.dropna()) >= {
        "CR",
        "Complete remission",
        "CRi",
        "CR with incomplete count recovery",
        "Refractory",
        "No response",
        "PR",
        "Relapse",
    }
