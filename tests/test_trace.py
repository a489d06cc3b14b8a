"""Traceability: every ARD row's lineage, the trace from a cell to the raw rows, and the proof
that the trace is sufficient (recomputed from its raw rows alone) and sound (a changed raw
value changes only cells whose trace contains it)."""

from __future__ import annotations

import csv
import hashlib
import json
import math

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from inoflow.analysis.endpoints import ADAM_INPUTS
from inoflow.analysis.lineage import (
    LINEAGE_KEY,
    Lineage,
    domains_behind,
    lineage_frame,
    sdtm_domains_of,
    subjects_path,
    upstream_of,
)
from inoflow.audit import trace as tr
from inoflow.audit.recompute import layouts, recompute_ard
from inoflow.pipeline import write_cut
from inoflow.tables.report import study_endpoints

CUT = "2023-04-30"


ENDPOINTS = list(study_endpoints("india"))  # the Indian study's endpoints (the catalogue's order)


@pytest.fixture(scope="module")
def cut_dir(india, tmp_path_factory):
    """The demo cut computed in process, in the workflow's layout: <results>/india/<cut>."""
    return write_cut(india, CUT, tmp_path_factory.mktemp("results") / "india" / CUT)


@pytest.fixture(scope="module")
def raw(cut_dir):
    return tr.load_raw(cut_dir)


@pytest.fixture(scope="module")
def ard(cut_dir):
    return tr.load_ard(cut_dir)


@pytest.fixture(scope="module")
def definitions(india):
    return yaml.safe_load(india.definitions.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def layout(cut_dir):
    return layouts(cut_dir)


@pytest.fixture(scope="module")
def lineage(cut_dir):
    return pd.concat([tr.load_lineage(cut_dir, e) for e in ENDPOINTS], ignore_index=True)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


# --- lineage -----------------------------------------------------------------------------------


def test_every_ard_row_has_subjects_behind_it(ard, lineage):
    assert set(ard["ard_row_id"]) == set(lineage["ard_row_id"])
    assert lineage["USUBJID"].str.startswith("INO-IND-RWS-").all()


def test_the_lineage_counts_are_the_statistics(ard, lineage):
    """n is the numerator, N the denominator, n.risk the subjects at risk, n.event the events,
    and N of a continuous summary its values: for every such ARD row of the demo."""
    counts = lineage.groupby(["ard_row_id", "ROLE"])["USUBJID"].nunique().unstack(fill_value=0)
    role_of = {
        ("n", "categorical"): "numerator",
        ("N", "categorical"): "denominator",
        ("n", "proportion_ci"): "numerator",
        ("N", "proportion_ci"): "denominator",
        ("n", "crude_proportion"): "numerator",
        ("N", "crude_proportion"): "denominator",
        ("N", "continuous"): "value",
        ("n.risk", "survival_survfit"): "at_risk",
        ("n", "survival_survfit"): "population",
        ("n.event", "survival_survfit"): "event",
        ("N", "total_n"): "denominator",
        ("n.risk", "tidycmprsk_cuminc"): "at_risk",
        ("n", "landmark"): "included",
        ("n.excluded", "landmark"): "excluded",
    }
    checked = 0
    for row in ard.itertuples(index=False):
        role = role_of.get((row.stat_name, row.context))
        if role is None:
            continue
        assert counts.loc[row.ard_row_id, role] == row.stat, (row.output_id, row.variable, row.stat_name)
        checked += 1
    # every count statistic of the five endpoints: 436, the 14 numbers at risk at the RFS and DOR
    # figures' other ticks, the 49 header counts of the table shells, and the stratified curves
    # SF1-SF5 (11 groups: N, n, n.event and 9 numbers at risk each), SF6's 12 proportions (n, N),
    # SF8's 4 counts (n, N) and N, F1's 3 statuses at the end of follow-up (n, N), and the
    # competing risks' header counts (SF9 1, SF10 3) and numbers at risk (SF9 9 months x 2
    # outcomes, SF10 2 groups x 3 months x 2 outcomes); issue 16's HSCT analyses: SF11 and SF12
    # (3 header counts each, 2 curves each with n, n.event and 9 numbers at risk: the patients
    # in the state at the time for SF11's Simon-Makuch curves), SF12's landmark (included,
    # excluded), SF13 (1 header count, n, n.event, 9 numbers at risk) and SF14 (4 curves: n,
    # n.event, 2 numbers at risk)
    hsct = 2 * (3 + 2 * 11) + 2 + (1 + 11) + 4 * 4
    assert checked == 436 + 14 + 49 + 11 * 12 + 12 * 2 + (4 * 2 + 1) + 3 * 2 + 4 + (18 + 12) + hsct


def test_the_os_at_risk_set_at_3_months_is_who_was_followed_that_long(ard, lineage, cut_dir):
    row = ard[
        (ard["output_id"] == "F2")
        & (ard["variable"] == "time")
        & (ard["variable_level"] == "3")
        & (ard["stat_name"] == "n.risk")
    ]
    at_risk = set(
        lineage.loc[(lineage["ard_row_id"] == row["ard_row_id"].item()) & (lineage["ROLE"] == "at_risk"), "USUBJID"]
    )
    adtte = pd.read_parquet(cut_dir / "adam" / "ADTTE.parquet")
    adsl = pd.read_parquet(cut_dir / "adam" / "ADSL.parquet")
    os_ = adtte[(adtte["PARAMCD"] == "OS") & adtte["USUBJID"].isin(adsl.loc[adsl["FASFL"] == "Y", "USUBJID"])]
    assert at_risk == set(os_.loc[os_["AVAL"] / 30.4375 >= 3, "USUBJID"])
    assert len(at_risk) == row["stat"].item() == 25


def test_a_row_is_traced_through_the_domains_of_its_own_datasets():
    assert domains_behind(["ADELIG"]) == ["IE", "DM"]
    assert upstream_of(["ADTTE"]) == ["ADRS", "ADSL", "ADTTE"]
    assert set(sdtm_domains_of("mrd")) == {"DM", "SC", "MH", "EX", "LB", "RS", "PR", "CM", "DS", "DD"}
    assert "AE" in sdtm_domains_of("safety") and "AE" not in sdtm_domains_of("survival")


def test_each_row_names_the_datasets_it_was_computed_from(lineage):
    datasets = lineage.groupby("output_id")["DATASETS"].agg(lambda d: sorted(set(d)))
    assert datasets["OM01"] == ["ADSL"]
    assert datasets["F1"] == ["ADELIG", "ADSL"]  # screening counts from ADELIG, analysed and follow-up from ADSL
    assert datasets["F2"] == ["ADTTE ADSL"]
    assert datasets["OM04"] == ["ADSL ADRS"]
    assert datasets["OM22"] == ["ADSL ADAE"]
    assert set(lineage.loc[lineage["output_id"] == "F2", "PARAMCD"]) == {"OS"}


# --- the trace -------------------------------------------------------------------------------


def test_om01_cell_traces_to_the_responders_marrow_rows(ard, cut_dir, raw, india):
    cells = tr.select(ard, "OM01", 1)
    assert set(cells["stat_name"]) == {"N", "n", "estimate", "conf.low", "conf.high", "conf.level", "method"}
    result = tr.trace(cut_dir, cells, raw)
    roles = result.subjects.groupby("ROLE")["USUBJID"].nunique().to_dict()
    assert roles == {"source": 32, "denominator": 32, "numerator": 19}
    # raw rows behind the response assessments come first, marked DIRECT
    direct = result.raw[result.raw["DIRECT"] == "Y"]
    assert set(direct["RAWDOM"]) == {"assessments"}
    assert result.raw["DIRECT"].iloc[: len(direct)].eq("Y").all()
    # every raw row names a file the site sent, with that file's sha256
    extracts = india.cuts[CUT].extracts
    for name, digest in result.raw.groupby("SRCFILE")["SRCSHA256"].first().items():
        assert hashlib.sha256((extracts / name).read_bytes()).hexdigest() == digest
    # and the values as read are the file's cells: IN02's second marrow row (CR, blasts 2 %)
    row = result.raw[(result.raw["SRCFILE"] == "IN02/IN02_bone_marrow.csv") & (result.raw["SRCROW"] == 3)]
    with open(extracts / "IN02" / "IN02_bone_marrow.csv", encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    assert json.loads(row["VALUES"].item()) == dict(zip(lines[0], [v or None for v in lines[2]], strict=True))
    assert row["DIRECT"].item() == "Y"
    assert json.loads(row["SRCCOLS"].item())["BM_BLASTS"] == "Blasts %"


def test_a_table_row_number_selects_the_cell_the_html_table_shows(ard):
    from inoflow.tables.report import cell_row_ids, render_table

    table = render_table(ard.drop(columns="endpoint"), "T5")
    ids = cell_row_ids(ard, "T5")
    assert len(table) == len(ids)
    for number in range(1, len(table) + 1):
        assert tr.select(ard, "T5", number)["ard_row_id"].tolist() == ids[number - 1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # a typo in any value names the value and the valid ones, in one line, with exit code 2
        (
            ["--output", "OM1"],
            "unknown output 'OM1' for india/2023-04-30 (did you mean OM01?); valid: F1, F2, OM01, OM02, OM03, OM04,"
            " OM05, OM06, OM07, OM08, OM09, OM10, ... (52 in all)",
        ),
        (["--output", "OM99", "--row", "1"], "unknown output 'OM99' for india/2023-04-30"),
        (["--output", "OM01", "--row", "9"], "unknown row 9 of OM01 for india/2023-04-30; valid: 1-5"),
        (["--output", "OM01", "--row", "0"], "unknown row 0 of OM01 for india/2023-04-30; valid: 1-5"),
        (
            ["--ard-row-id", "000000000000"],
            "unknown ARD row id '000000000000' for india/2023-04-30; valid: the ids `--output <id>` lists (",
        ),
        (
            ["--raw-file", "IN02/IN02_bone_marow.csv", "--raw-row", "3"],
            "unknown raw file 'IN02/IN02_bone_marow.csv' for india/2023-04-30 (did you mean IN02/IN02_bone_marrow.csv?);"
            " valid: IN01/IN01_InO_RWE_export.xlsx, IN02/",
        ),
        (
            ["--raw-file", "IN02/IN02_bone_marrow.csv", "--raw-row", "999"],
            "unknown raw row 999 of IN02/IN02_bone_marrow.csv; valid: 2-",
        ),
        (["--raw-file", "IN02/IN02_bone_marrow.csv"], "--raw-file IN02/IN02_bone_marrow.csv needs --raw-row"),
        (["--row", "1"], "give --output (alone, it lists the table's rows), --output and --row, or --ard-row-id"),
    ],
)
def test_the_command_names_what_cannot_be_traced(cut_dir, capsys, args, message):
    code = tr.main(["--study", "india", "--cut", CUT, "--results", str(cut_dir.parents[1]), *args])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"inoflow-trace: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("study", "cut", "message"),
    [
        # the studies and cuts are those of the results folder and of the working folder's
        # configuration (config/config.yaml: india 2022-09-30 and 2023-04-30, italy 2022-12-31)
        ("indai", CUT, "unknown study 'indai' (did you mean india?); valid: india, italy"),
        (
            "india",
            "2023-04-31",
            "unknown cut '2023-04-31' for india (did you mean 2023-04-30?); valid: 2022-09-30, 2023-04-30",
        ),
        ("italy", "2023-04-30", "unknown cut '2023-04-30' for italy; valid: 2022-12-31"),
        ("india", "2022-09-30", "no results for india/2022-09-30 under "),  # declared, not computed here
    ],
)
def test_the_command_names_an_unknown_study_or_cut(cut_dir, capsys, study, cut, message):
    code = tr.main(["--study", study, "--cut", cut, "--results", str(cut_dir.parents[1]), "--output", "OM01"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"inoflow-trace: {message}")
    assert err.count("\n") == 1


def test_the_command_runs_as_installed_and_exits_2_on_a_typo(cut_dir):
    """``inoflow-trace`` itself (python -m): one line on stderr, no traceback, exit code 2."""
    import subprocess
    import sys

    args = ["--study", "india", "--cut", CUT, "--results", str(cut_dir.parents[1]), "--output", "OM1"]
    proc = subprocess.run([sys.executable, "-m", "inoflow.audit.trace", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("inoflow-trace: unknown output 'OM1' for india/2023-04-30 (did you mean OM01?)")
    assert proc.stderr.count("\n") == 1


def test_the_command_prints_the_chain_and_writes_the_audit_files(cut_dir, capsys, tmp_path):
    def trace_command(*args: str) -> int:
        return tr.main(["--study", "india", "--cut", CUT, "--results", str(cut_dir.parents[1]), *args])

    assert trace_command("--output", "OM01") == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].startswith("  1  All | CR/CRi | Y | 19/32 (59.4%) [95% CI 40.6-76.3]")
    out = tmp_path / "audit"
    assert trace_command("--output", "OM01", "--row", "1", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert "7 ARD row(s) -> 32 subject(s) (denominator: 32, numerator: 19, source: 32)" in printed
    assert " *IN02/IN02_bone_marrow.csv (" in printed
    written = sorted(p.name for p in out.iterdir())
    assert written == ["adam.csv", "cells.csv", "raw.csv", "sdtm.csv", "subjects.csv", "trace.html"]
    assert len(pd.read_csv(out / "subjects.csv")) == 7 * (32 + 32 + 19)  # each of the 7 ARD rows: source, N, n
    page = (out / "trace.html").read_text(encoding="utf-8")
    for sentinel in (">None<", ">nan<", ">NaN<", ">&lt;NA&gt;<", ">NaT<"):
        assert sentinel not in page, sentinel  # missing values are blank
    assert "<h2>2. Subjects behind it (32), each once with its roles</h2>" in page
    # each subject once, with every role it has in the cell (02-0001 reached CR/CRi: counted in n)
    assert page.count("<td>INO-IND-RWS-IN02-02-0001</td><td>denominator, numerator, source</td>") == 1
    assert page.count("<td>INO-IND-RWS-IN02-02-0002</td><td>denominator, source</td>") == 1
    assert "<h3>IN02/IN02_bone_marrow.csv (" in page and "class=used" in page and "<style>" in page
    # the reverse question: which numbers does one raw row feed?
    assert trace_command("--raw-file", "IN02/IN02_bone_marrow.csv", "--raw-row", "3") == 0
    reverse = capsys.readouterr().out.splitlines()
    # 1,252 statistics, the 49 header counts (N = n: cards ard_total_n rows) of the table shells,
    # the 70 Kaplan-Meier rows of the RFS and DOR figures' other ticks (7 months x 5 statistics x 2)
    # and the 656 of SF1-SF5: 11 groups of 53 (the fit's 5, 9 months x 5, the median's 3), their
    # 11 header counts, 5 log-rank tests of 4 statistics and 6 hazard ratios of 7; and the 148 of
    # SF6 (12 proportions of 7), SF7 (6 hazard ratios of 7), SF8 (N, 4 counts of 3) and F1's 3
    # statuses (of 3); F2's median follow-up (7); and the competing risks (192): SF9, 9 months x 2
    # outcomes of 6 statistics and its N; SF10, 2 groups x 3 months x 2 outcomes of 6, its 3 N and
    # 2 Gray's tests of 4; and issue 16's 397: SF11 133 (3 N, 2 Simon-Makuch curves of 53, the
    # Mantel-Byar test of 6, the time-dependent hazard ratio of 7, the fixed log-rank test of 4 and
    # hazard ratio of 7), SF12 123 (the landmark's 3, 3 N, 2 curves of 53, a log-rank test of 4, a
    # hazard ratio of 7), SF13 54 (N, a curve of 53), SF14 74 (4 curves of 18: the fit's 5, 2
    # months x 5, the median's 3; and 2 flags) and 13 flags of a stated rule in OM17-OM19, OM21,
    # SF1-SF3 and SF5 (beyond.last, flat.segment)
    assert reverse[0] == "IN02/IN02_bone_marrow.csv row 3: feeds 2771 ARD row(s) in 52 output(s)"
    assert any(" OM01 RESPFL Y n = 19" in line for line in reverse[1:])


# --- sufficiency: recompute from the traced raw rows alone -------------------------------------

_recomputed: dict[tuple, pd.DataFrame] = {}


def recompute_from_trace(cut_dir, raw, ard, india, definitions, layout, ard_row_id: str):
    """The ARD row and the endpoint's ARD recomputed from nothing but the row's traced raw rows."""
    cells = ard[ard["ard_row_id"] == ard_row_id]
    endpoint = cells["endpoint"].item()
    result = tr.trace(cut_dir, cells, raw)
    rows = frozenset(zip(result.raw["SRCFILE"], result.raw["SRCSHEET"], result.raw["SRCROW"], strict=True))
    key = (endpoint, tuple(result.datasets()), rows)
    if key not in _recomputed:
        _recomputed[key] = recompute_ard(
            result.raw, india, endpoint, definitions, india.cuts[CUT].cutoff, result.datasets(), layout
        )
    return cells, _recomputed[key]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same draws in every run (CI included)
    database=None,
    phases=[Phase.explicit, Phase.generate],  # a failing draw is reported as drawn, not shrunk (each costs seconds)
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_any_ard_row_is_recomputed_from_its_traced_raw_rows_alone(
    cut_dir, raw, ard, india, definitions, layout, endpoint, data
):
    ids = ard.loc[ard["endpoint"] == endpoint, "ard_row_id"].tolist()
    ard_row_id = data.draw(st.sampled_from(ids), label="ard_row_id")
    cells, again = recompute_from_trace(cut_dir, raw, ard, india, definitions, layout, ard_row_id)
    expected = cells.iloc[0]
    got = again[again["ard_row_id"] == ard_row_id]
    assert len(got) == 1, f"{expected['output_id']} {expected['variable']} {expected['stat_name']} not recomputed"
    assert same(float(got["stat"].item()), float(expected["stat"])), (expected["output_id"], expected["stat_name"])
    assert got["stat_fmt"].item() == expected["stat_fmt"]


# --- soundness: one raw value changed ------------------------------------------------------------


def test_one_changed_raw_value_changes_only_cells_whose_trace_contains_it(
    cut_dir, raw, ard, india, definitions, layout
):
    """IN02's patient 02-0001 reached CR at the marrow of 30/07/2017 (blasts 2 %) and was in CRi
    at the next. Sent as 40 %, the first response is the CRi of 10/10/2017: every cell that
    changes is one whose trace contains that row (the row feeds them), and the cells that must
    move do: best response CR 18 -> 17 and CRi 1 -> 2, MRD by response (T5), relapse-free
    survival (OM21, and its curves by HSCT, SF5) and duration of remission (OM11), which start at
    the first CR/CRi, and both under the FDA's censoring convention (SF14)."""
    key = ("IN02/IN02_bone_marrow.csv", "", 3)
    changed_raw = raw.copy()
    at = (changed_raw["SRCFILE"] == key[0]) & (changed_raw["SRCSHEET"] == key[1]) & (changed_raw["SRCROW"] == key[2])
    values = json.loads(changed_raw.loc[at, "VALUES"].item())
    assert values["Blasts %"] == "2"
    changed_raw.loc[at, "VALUES"] = json.dumps({**values, "Blasts %": "40"}, ensure_ascii=False)

    before = ard.set_index("ard_row_id")
    after = pd.concat(
        [
            recompute_ard(changed_raw, india, e, definitions, india.cuts[CUT].cutoff, ADAM_INPUTS[e], layout)
            for e in ENDPOINTS
        ]
    ).set_index("ard_row_id")
    # the same cells, some with other values; only the flags of a stated rule (issue 16: an
    # estimate beyond the last observation, a median on a flat at 50%) come and go with the data
    gone, new = set(before.index) - set(after.index), set(after.index) - set(before.index)
    assert set(before.loc[sorted(gone), "stat_name"]) | set(after.loc[sorted(new), "stat_name"]) <= {
        "beyond.last",
        "flat.segment",
    }
    changed = gone | {
        i
        for i in set(before.index) & set(after.index)
        if not same(float(before.at[i, "stat"]), float(after.at[i, "stat"]))
        or before.at[i, "stat_fmt"] != after.at[i, "stat_fmt"]
    }
    fed = set(tr.rows_fed_by(cut_dir, key[0], key[2], key[1], ard)["ard_row_id"])
    assert changed <= fed
    assert set(after.loc[sorted(new), "output_id"]) <= set(before.loc[sorted(changed), "output_id"])
    # SF14: DOR and RFS under both censoring conventions
    assert set(before.loc[sorted(changed), "output_id"]) == {"OM01", "T5", "OM21", "OM11", "SF5", "SF14"}

    def value(output_id, variable, level, stat_name, frame):
        rows = frame[
            (frame["output_id"] == output_id)
            & (frame["variable"] == variable)
            & (frame["variable_level"] == level)
            & (frame["stat_name"] == stat_name)
            & frame["group1"].isna()
        ]
        return rows["stat"].item()

    assert value("OM01", "BESTRSP", "CR", "n", before) == 18 and value("OM01", "BESTRSP", "CR", "n", after) == 17
    assert value("OM01", "BESTRSP", "CRi", "n", before) == 1 and value("OM01", "BESTRSP", "CRi", "n", after) == 2
    assert value("OM01", "RESPFL", "Y", "n", after) == 19  # still a responder
    # the forward trace of each changed cell contains the row
    for ard_row_id in sorted(changed)[:6]:
        result = tr.trace(cut_dir, ard[ard["ard_row_id"] == ard_row_id], raw)
        assert key in set(zip(result.raw["SRCFILE"], result.raw["SRCSHEET"], result.raw["SRCROW"], strict=True))
    # and the cells the row does not feed, the screening counts of Figure 1 (ADELIG: screening
    # logs and enrolment only), are the same
    not_fed = set(ard["ard_row_id"]) - fed
    assert set(ard.loc[ard["ard_row_id"].isin(not_fed), "variable"]) == {
        "ELIGFL",
        "ENRLFL",
        *(f"IC{c['criterion']}" for c in definitions["eligibility"]),
    }
    assert not (not_fed & changed)


# --- the lineage's two tables ------------------------------------------------------------------


def test_rows_computed_from_the_same_data_share_one_subject_set(cut_dir):
    """Each (ARD row, role) names a set; every row computed from one frame names the same source
    set, so the set table holds each subject set once (the survival lineage of the locked cut)."""
    lineage = Lineage.read(cut_dir / "ard" / "survival.lineage.parquet")
    rows, sets = lineage.rows, lineage.sets
    assert list(rows.columns) == ["ard_row_id", "output_id", "ROLE", "DATASETS", "PARAMCD", "SUBJSET"]
    assert list(sets.columns) == ["SUBJSET", "USUBJID"]
    assert not rows.duplicated(["ard_row_id", "ROLE"]).any()
    # every subject set is stored once: no two sets have the same members in the same order
    members = sets.groupby("SUBJSET", sort=True)["USUBJID"].agg(tuple)
    assert not members.duplicated().any()
    # sets are numbered 0, 1, ... in order of first use; a set without members is a role no
    # subject has (a count of 0), and it has no rows in the set table
    assert sorted(set(rows["SUBJSET"])) == list(range(rows["SUBJSET"].max() + 1))
    assert set(members.index) < set(rows["SUBJSET"])
    ard = pd.read_parquet(cut_dir / "ard" / "survival.parquet")
    empty = rows[~rows["SUBJSET"].isin(members.index)].merge(ard, on=["ard_row_id", "output_id"])
    assert (empty["ROLE"].isin(["numerator", "event"]) & (empty["stat"].astype(float) == 0)).any()
    # the survival rows computed from ADTTE joined to ADSL (OS) all name one source set of 32
    source = rows.loc[(rows["ROLE"] == "source") & (rows["PARAMCD"] == "OS"), "SUBJSET"]
    assert source.nunique() == 1 and len(source) > 100
    assert len(members[source.iloc[0]]) == 32
    # stored once, the sets are far fewer members than the long form has rows
    assert len(sets) * 5 < len(lineage.long())


def test_the_long_form_lists_each_rows_subjects_in_order(tmp_path):
    """Builder rows -> sets -> back to one row per (ARD row, subject, role), in ARD order and
    each role's subjects in the order given; an equal tuple made elsewhere reuses its set; an
    empty role keeps its row and adds no subject."""
    everyone = ("S-1", "S-2", "S-3")
    rows = [
        {
            "variable": "A",
            "stat_name": "n",
            LINEAGE_KEY: {"DATASETS": "ADSL", "source": everyone, "numerator": ("S-2",), "denominator": ("S-3", "S-1")},
        },
        {
            "variable": "A",
            "stat_name": "N",
            LINEAGE_KEY: {"DATASETS": "ADSL", "source": everyone, "denominator": ("S-3", "S-1")},
        },
        {
            "variable": "B",
            "stat_name": "n",
            LINEAGE_KEY: {"DATASETS": "ADSL ADTTE", "PARAMCD": "OS", "source": tuple(list(everyone)), "event": ()},
        },
    ]
    ard = pd.DataFrame({"ard_row_id": ["r1", "r2", "r3"], "output_id": ["T1", "T1", "F2"]})
    lineage = lineage_frame(rows, ard)
    assert lineage.rows["SUBJSET"].tolist() == [0, 1, 2, 0, 2, 0, 3]
    assert lineage.sets.groupby("SUBJSET")["USUBJID"].agg(tuple).tolist() == [everyone, ("S-2",), ("S-3", "S-1")]
    long = lineage.long()
    assert list(long.columns) == ["ard_row_id", "output_id", "USUBJID", "ROLE", "DATASETS", "PARAMCD"]
    assert list(zip(long["ard_row_id"], long["ROLE"], long["USUBJID"], strict=True)) == [
        ("r1", "source", "S-1"), ("r1", "source", "S-2"), ("r1", "source", "S-3"),
        ("r1", "numerator", "S-2"),
        ("r1", "denominator", "S-3"), ("r1", "denominator", "S-1"),
        ("r2", "source", "S-1"), ("r2", "source", "S-2"), ("r2", "source", "S-3"),
        ("r2", "denominator", "S-3"), ("r2", "denominator", "S-1"),
        ("r3", "source", "S-1"), ("r3", "source", "S-2"), ("r3", "source", "S-3"),
    ]  # fmt: skip
    assert long.loc[long["ard_row_id"] == "r3", "PARAMCD"].unique().tolist() == ["OS"]
    assert lineage.long(["r2"])["ard_row_id"].unique().tolist() == ["r2"]
    # written as two tables, read back the same
    path = tmp_path / "survival.lineage.parquet"
    lineage.write(path)
    assert subjects_path(path) == tmp_path / "survival.subjects.parquet"
    again = Lineage.read(path)
    pd.testing.assert_frame_equal(again.long(), long)
