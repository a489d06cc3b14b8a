"""End to end without Snakemake for the Italian study: extracts -> common model -> ADaM -> the
ARD of IT01-IT09 from the study's analysis plan and cost module -> comparison with the abstract.
Every published figure is reproduced or is a documented difference; the cost assessment is
checked against its arithmetic done by hand from ADRU and the cost table."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from inoflow.adam.derive import derive_datasets
from inoflow.analysis import ard as cards
from inoflow.analysis import costs
from inoflow.analysis.ard import finish_with_lineage
from inoflow.analysis.endpoints import ADAM_INPUTS
from inoflow.analysis.notebook import build_ard, endpoint_rows, uses_plan
from inoflow.config import read_yaml
from inoflow.tables.compare import compare, load_items
from inoflow.tables.report import render_table, study_endpoints

CUT = "2022-12-31"
ENDPOINTS = study_endpoints("italy")


@pytest.fixture(scope="module")
def definitions(italy_study):
    return read_yaml(italy_study.definitions)


@pytest.fixture(scope="module")
def adam(italy_study, italy_sdtm, definitions):
    datasets = [n for e in ENDPOINTS for n in ADAM_INPUTS[e]]
    return derive_datasets(datasets, italy_sdtm, definitions, italy_study.cuts[CUT].cutoff)


@pytest.fixture(scope="module")
def ard(adam, definitions):
    return pd.concat(
        [build_ard(e, {n: adam[n] for n in ADAM_INPUTS[e]}, definitions, ids) for e, ids in ENDPOINTS.items()],
        ignore_index=True,
    )


def stat(ard, output_id, stat_name, **where):
    rows = ard[(ard["output_id"] == output_id) & (ard["stat_name"] == stat_name)]
    for column, value in where.items():
        rows = rows[rows[column].isna()] if value is None else rows[rows[column].astype(str) == str(value)]
    assert len(rows) == 1, (output_id, stat_name, where, len(rows))
    return rows.iloc[0]["stat"]


def test_every_italian_output_is_in_the_ard_and_renders(ard):
    catalogue = read_yaml(PROJECT_ROOT / "config/reference/outputs.yaml")["italy"]
    assert set(ard["output_id"]) == set(catalogue["outputs"]) == {f"IT{i:02d}" for i in range(1, 18)}
    for output_id in catalogue["outputs"]:
        assert len(render_table(ard, output_id)) > 0


def test_every_italian_output_as_csv_rtf_and_docx_shows_the_ard_values(ard, definitions, tmp_path):
    from table_checks import check_tables

    check_tables(ard, "italy", definitions, tmp_path)


def test_the_outputs_come_from_the_plan_and_the_cost_module(definitions):
    assert [e for e in ENDPOINTS if uses_plan(e, definitions)] == ["response", "survival", "safety", "death"]
    assert not uses_plan("costs", definitions)


def test_the_comparison_with_the_abstract(ard):
    comparison = compare(ard, load_items("italy"))
    assert comparison["status"].value_counts().to_dict() == {"reproduced": 34, "documented difference": 5}
    differs = set(comparison.loc[comparison["status"] == "documented difference", "label"])
    assert differs == {
        "Age first quartile (years)",  # the printed "quartiles" are the CI of the median (reproduced)
        "Age third quartile (years)",
        "Complete remission rate (%)",  # 51/73 = 69.86 printed 69.8
        "5-year OS 95% CI lower (%)",  # 5.3% (9.6-29.8): an interval without its estimate
        "5-year OS 95% CI upper (%)",
    }


def test_the_published_figures_by_value(ard):
    assert stat(ard, "IT02", "n", variable="RESPFL", context="proportion_ci", group1=None) == 54
    assert stat(ard, "IT02", "estimate", variable="RESPFL", context="proportion_ci", group1=None) == pytest.approx(
        54 / 73
    )
    assert stat(ard, "IT01", "median", variable="AAGE", context="median_ci") == pytest.approx(52.7)
    assert (
        stat(ard, "IT01", "conf.low", variable="AAGE", context="median_ci"),
        stat(ard, "IT01", "conf.high", variable="AAGE", context="median_ci"),
    ) == (pytest.approx(51.9), pytest.approx(53.5))
    os_median = {
        s: stat(ard, "IT04", s, variable="prob", variable_level="0.5", group1=None)
        for s in ("estimate", "conf.low", "conf.high")
    }
    # the 37th death, day 239, takes S(t) below 0.5; the bands cross 0.5 at deaths on days 185 and 378
    assert os_median["estimate"] == pytest.approx(239 / 30.4375)
    assert (os_median["conf.low"], os_median["conf.high"]) == (
        pytest.approx(185 / 30.4375),
        pytest.approx(378 / 30.4375),
    )
    assert [round(v, 2) for v in os_median.values()] == [7.85, 6.08, 12.42]
    assert round(stat(ard, "IT04", "estimate", variable="time", variable_level="36", group1=None), 3) == 0.212
    assert round(stat(ard, "IT04", "estimate", variable="followup", variable_level="0.5"), 1) == 37.2
    dor = [stat(ard, "IT03", "estimate", variable="prob", variable_level=p) for p in ("0.25", "0.5", "0.75")]
    assert [round(v, 1) for v in dor] == [2.3, 4.4, 11.2]
    assert stat(ard, "IT06", "n", variable="VODFL", group1=None) == 8
    assert stat(ard, "IT05", "n", variable="HSCTFL", group1=None) == 27


def test_the_most_frequent_grade_3_non_haematological_events_are_liver_and_pneumonia(ard):
    rows = ard[(ard["output_id"] == "IT07") & (ard["stat_name"] == "n") & ard["group1"].isna()]
    terms = rows[(rows["variable"] == "AEDECOD") & (rows["variable_level"] != "ANY")]
    groups = rows[rows["variable"] == "AEGROUP"].set_index("variable_level")["stat"]
    # the liver group outnumbers every single term (VOD/SOS, 8, included); outside the liver group
    # and VOD/SOS (which the abstract reports on its own), pneumonia is the most frequent term
    liver_terms = set(
        read_yaml(PROJECT_ROOT / "config/definitions/italy.yaml")["non_haematological_ae"]["groups"]["LIVER TOXICITY"]
    )
    others = terms[~terms["variable_level"].isin(liver_terms | {"VENO-OCCLUSIVE DISEASE"})]
    others = others.sort_values("stat", ascending=False)
    assert groups["LIVER TOXICITY"] > terms["stat"].max()
    assert others.iloc[0]["variable_level"] == "PNEUMONIA" and others.iloc[0]["stat"] > others.iloc[1]["stat"]
    haematological = {"FEBRILE NEUTROPENIA", "NEUTROPENIA", "THROMBOCYTOPENIA", "ANAEMIA"}
    assert not haematological & set(terms["variable_level"])


def test_the_cost_assessment_by_hand_from_adru_and_the_table(ard, adam, definitions):
    table = costs.load_cost_table(PROJECT_ROOT / definitions["cost_table"])
    use = adam["ADRU"].pivot(index="USUBJID", columns="PARAMCD", values="AVAL")
    unit = {code: item.value for code, item in table.items.items()}
    # a patient's base-case total: whole vials, administrations, ward and ICU days, units, HSCT
    base = (
        use["INOVIAL"] * unit["INOVIAL"]
        + use["INOADM"] * unit["INOADM"]
        + use["WARDDAY"] * unit["WARDDAY"]
        + use["ICUDAY"] * unit["ICUDAY"]
        + use["RBCUNIT"] * unit["RBCUNIT"]
        + use["PLTUNIT"] * unit["PLTUNIT"]
        + use["HSCT"] * unit["HSCT"]
    )
    sharing = base - (use["INOVIAL"] - use["INOVIALS"]) * unit["INOVIAL"]
    assert stat(ard, "IT09", "mean", variable="TOTAL", group1_level="base") == pytest.approx(base.mean())
    assert stat(ard, "IT09", "median", variable="TOTAL", group1_level="vial_sharing") == pytest.approx(sharing.median())
    responders = (adam["ADSL"]["RESPFL"] == "Y").sum()
    assert responders == 54
    assert stat(ard, "IT09", "estimate", variable="COSTPRSP", group1_level="base") == pytest.approx(base.sum() / 54)
    per_cycle = (base / use["CYCLES"]).mean()
    assert stat(ard, "IT09", "mean", variable="COSTPCYC", group1_level="base") == pytest.approx(per_cycle)
    # vial sharing never costs more; the vials are whole numbers and at least the mg used
    assert (sharing <= base + 1e-9).all() and (use["INOVIAL"] % 1 == 0).all()
    assert (use["INOVIAL"] >= use["INOVIALS"] - 1e-9).all()
    assert math.isclose(stat(ard, "IT09", "N", variable="INOMG"), 73)


def test_every_ard_row_has_its_subjects(adam, definitions):
    """The lineage of the plan's and the cost module's rows (as the workflow writes it)."""
    for endpoint, ids in ENDPOINTS.items():
        ard, lineage = finish_with_lineage(
            endpoint_rows(endpoint, {n: adam[n] for n in ADAM_INPUTS[endpoint]}, definitions, ids)
        )
        lineage = lineage.long()
        assert set(lineage["ard_row_id"]) == set(ard["ard_row_id"]), endpoint
        counts = ard[ard["stat_name"].isin(["n", "N"]) & ard["context"].isin(["proportion_ci", "categorical"])]
        for row in counts.itertuples():
            role = "numerator" if row.stat_name == "n" else "denominator"
            behind = lineage[(lineage["ard_row_id"] == row.ard_row_id) & (lineage["ROLE"] == role)]
            assert len(behind) == row.stat, (endpoint, row.output_id, row.variable, row.stat_name)


def test_the_roles_of_the_subjects_behind_the_new_statistics(adam, definitions):
    """What an auditor reads in the lineage: the follow-up's censored patients are 'censored', not
    events; a unit cost is no patient's; the cost per responder divides every patient's cost
    (value) by the responders (denominator); the median age has a value per patient."""
    rows = {}
    for endpoint, ids in ENDPOINTS.items():
        ard, lineage = finish_with_lineage(
            endpoint_rows(endpoint, {n: adam[n] for n in ADAM_INPUTS[endpoint]}, definitions, ids)
        )
        rows[endpoint] = (ard, lineage.long())

    def roles(endpoint, **where):
        ard, lineage = rows[endpoint]
        for column, value in where.items():
            ard = ard[ard[column].astype(str) == str(value)]
        behind = lineage[lineage["ard_row_id"].isin(set(ard["ard_row_id"]))]
        return behind.drop_duplicates(["ROLE", "USUBJID"]).groupby("ROLE").size().to_dict()

    assert roles("survival", variable="followup", stat_name="estimate") == {
        "population": 73,
        "censored": 15,
        "source": 73,
    }
    assert roles("costs", variable="unit_cost", variable_level="INOVIAL", stat_name="unit_cost") == {"source": 73}
    assert roles("costs", variable="COSTPRSP", group1_level="base", stat_name="estimate") == {
        "value": 73,
        "denominator": 54,
        "source": 73,
    }
    assert roles("response", variable="AAGE", context="median_ci", stat_name="median") == {"value": 73, "source": 73}
    assert roles("safety", variable="AEDECOD", variable_level="PNEUMONIA", stat_name="n") == {
        "numerator": 6,
        "denominator": 73,
        "source": 73,
    }


def test_survival_by_prior_blinatumomab_compares_the_groups_as_r_does(ard):
    """IT10 against R 4.2.2 survival 3.5.3 on the demo's ADaM: survdiff chisq 0.0685134864 on
    1 df, p 0.7935135653; coxph HR (Y vs N) 0.9317994389 (0.5530575873-1.5699091996), se(coef)
    0.2661556380, p 0.7907014071."""
    rows = ard[ard["output_id"] == "IT10"]
    test = dict(zip(*rows.loc[rows["context"] == "survival_survdiff", ["stat_name", "stat"]].T.values, strict=True))
    assert (test["statistic"], test["df"], test["p.value"]) == pytest.approx((0.0685134864, 1, 0.7935135653), abs=1e-6)
    cox = rows[rows["context"] == "coxph"]
    got = dict(zip(*cox[["stat_name", "stat"]].T.values, strict=True))
    values = [got[k] for k in ("estimate", "conf.low", "conf.high", "std.error", "p.value")]
    assert values == pytest.approx([0.9317994389, 0.5530575873, 1.5699091996, 0.2661556380, 0.7907014071], abs=1e-6)


def test_relapse_and_death_without_relapse_compete_as_in_r(ard):
    """IT13 (issue 16) against R 4.2.2 cmprsk 2.2-11 on the demo's ADTTE CIR: relapse 62.96% at
    12 months and 64.81% at 3 years (1 - Kaplan-Meier gives 70.8%), death without relapse 12.96%."""
    rows = ard[(ard["output_id"] == "IT13") & (ard["context"] == "tidycmprsk_cuminc")]

    def value(outcome, months, stat):
        found = rows[
            (rows["variable_level"] == outcome) & (rows["group1_level"] == str(months)) & (rows["stat_name"] == stat)
        ]
        return found["stat"].item()

    assert value("relapse", 12, "estimate") == pytest.approx(0.629629629630, abs=1e-10)
    assert value("relapse", 36, "estimate") == pytest.approx(0.648148148148, abs=1e-10)
    assert value("relapse", 36, "std.error") ** 2 == pytest.approx(0.00441175743294, abs=1e-12)
    assert value("death without relapse", 36, "estimate") == pytest.approx(0.129629629630, abs=1e-10)
    assert value("death without relapse", 12, "std.error") ** 2 == pytest.approx(0.00217291458503, abs=1e-12)


def test_hsct_as_a_time_dependent_event_and_the_censoring_conventions_are_rs(ard):
    """IT14-IT17 (issue 16) against R 4.2.2 survival 3.5.3 on the demo's ADaM (as India's SF11-SF14,
    landmark 6 months): time-dependent HR 0.235169985337595 (0.117495998077933-0.470696218666119)
    where the fixed grouping gives 0.168460697115522; Mantel-Byar 18.52846783996 (the Efron score
    test would give 18.553059285478: tied deaths); landmark: 46 patients, survdiff
    12.9728870503127, HR 0.278385085342199 (0.133383743802558-0.581017247916662); OS censored at
    HSCT: median 6.932238193018 (4.501026694045-7.457905544148); DOR censored at the last adequate
    assessment: 17.7% at 3 years where the paper's convention gives 19.4%."""

    def value(output_id, stat, **where):
        return cards.stat_value(ard, output_id, stat, **where)

    cox = {"context": "coxph", "variable": "HSCTTD", "variable_level": "Y"}
    got = [value("IT14", s, **cox) for s in ("estimate", "conf.low", "conf.high", "p.value")]
    assert got == pytest.approx(
        [0.235169985337595, 0.117495998077933, 0.470696218666119, 4.34399326780526e-05], abs=1e-9
    )
    assert value("IT14", "estimate", context="coxph", variable="HSCTFL") == pytest.approx(0.168460697115522, abs=1e-9)
    mantel_byar = {"context": "survival_mantel_byar", "variable": "HSCTTD"}
    assert value("IT14", "statistic", **mantel_byar) == pytest.approx(18.52846783996, abs=1e-9)
    assert value("IT14", "expected", **mantel_byar) == pytest.approx(26.2882228138333, abs=1e-9)
    after = {"group1": "HSCTTD", "group1_level": "Y"}
    assert value("IT14", "estimate", variable="time", variable_level=36, **after) == pytest.approx(
        0.5121219337937605, abs=1e-12
    )
    assert value("IT14", "estimate", variable="prob", **after) == pytest.approx(51.97535934291581, abs=1e-9)
    assert value("IT14", "conf.low", variable="prob", **after) == pytest.approx(27.86036960985626, abs=1e-9)

    assert value("IT15", "n", context="landmark") == 46 and value("IT15", "n.excluded", context="landmark") == 27
    assert value("IT15", "statistic", context="survival_survdiff") == pytest.approx(12.9728870503127, abs=1e-9)
    got = [value("IT15", s, context="coxph") for s in ("estimate", "conf.low", "conf.high")]
    assert got == pytest.approx([0.278385085342199, 0.133383743802558, 0.581017247916662], abs=1e-9)
    by_landmark = {"group1": "HSCTLM", "variable": "time", "variable_level": 12}
    assert value("IT15", "estimate", group1_level="N", **by_landmark) == pytest.approx(0.315789473684211, abs=1e-12)
    assert value("IT15", "n.risk", group1_level="Y", **by_landmark) == 20

    median = [value("IT16", s, variable="prob", group1=None) for s in ("estimate", "conf.low", "conf.high")]
    assert median == pytest.approx([6.932238193018, 4.501026694045, 7.457905544148], abs=1e-9)

    def dor(rule, months):
        group = {"group1": "CNSRULE", "group1_level": rule, "group2": "ENDPOINT", "group2_level": "DOR"}
        return value("IT17", "estimate", variable="time", variable_level=months, **group)

    assert dor("LSTALV", 12) == dor("LASTASMT", 12) == pytest.approx(0.2407407407407, abs=1e-12)
    assert dor("LSTALV", 36) == pytest.approx(0.1944444444444, abs=1e-12)
    assert dor("LASTASMT", 36) == pytest.approx(0.1765432098765, abs=1e-12)
