"""Comparing two data cuts (inoflow.audit.cutdiff): hand-worked edits of the demo's common model and
of small results frames, each with the one change it must produce and nothing else."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from inoflow.audit.cutdiff import (
    CELL_COLUMNS,
    IE_SCREENING_NUMBER,
    NATURAL_KEYS,
    PR_PRODUCT,
    RECORD_COLUMNS,
    compare_ards,
    compare_common_models,
    compare_domain,
    domain_summary,
    show,
    subjects_changed,
    write_cut_comparison,
)
from inoflow.config import load_contract


def copy_model(sdtm: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {name: frame.copy(deep=True) for name, frame in sdtm.items()}


def renumber(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """--SEQ as the model builds it: 1.. per subject in the frame's order."""
    frame = frame.reset_index(drop=True)
    frame[f"{name}SEQ"] = frame.groupby("USUBJID").cumcount() + 1
    return frame


@pytest.fixture
def before(demo_sdtm):
    return copy_model(demo_sdtm)


@pytest.fixture
def after(demo_sdtm):
    return copy_model(demo_sdtm)


def test_identical_cuts_have_no_changes(before, after):
    assert compare_common_models(before, after).empty
    summary = domain_summary(before, after)
    assert (summary[["changed", "added", "removed", "resent_unchanged", "values_changed"]] == 0).all().all()
    assert (summary["unchanged"] == summary["records_before"]).all()
    assert list(compare_common_models(before, after).columns) == RECORD_COLUMNS


def test_one_changed_lab_value(before, after):
    lb = after["LB"]
    i = lb.index[(lb["LBTESTCD"] == "PLAT") & lb["LBSTRESN"].notna()][0]
    old = lb.at[i, "LBSTRESN"]
    lb.at[i, "LBSTRESN"] = old + 1
    changes = compare_common_models(before, after)
    assert len(changes) == 1
    row = changes.iloc[0]
    assert (row["domain"], row["change"], row["variable"]) == ("LB", "changed", "LBSTRESN")
    assert (row["before"], row["after"]) == (show(old), show(old + 1))
    assert row["USUBJID"] == lb.at[i, "USUBJID"] and row["SITEID"] == lb.at[i, "SITEID"]
    assert "LBTESTCD=PLAT" in row["key"] and f"LBDTC={lb.at[i, 'LBDTC']}" in row["key"]
    for side in ("before", "after"):
        assert row[f"file_{side}"] == lb.at[i, "SRCFILE"]
        assert row[f"row_{side}"] == lb.at[i, "SRCROW"]


def test_a_corrected_lab_result_is_one_record_with_each_changed_variable(before, after):
    lb = after["LB"]
    i = lb.index[(lb["LBTESTCD"] == "PLAT") & lb["LBSTRESN"].notna()][0]
    lb.loc[i, ["LBORRES", "LBSTRESC", "LBSTRESN"]] = ["9", "9", 9.0]
    changes = compare_domain("LB", before["LB"], after["LB"])
    assert set(changes["variable"]) == {"LBORRES", "LBSTRESC", "LBSTRESN"}
    assert changes[["USUBJID", "key"]].drop_duplicates().shape[0] == 1
    subject = subjects_changed(changes).iloc[0]
    assert (subject["records_changed"], subject["values_changed"], subject["domains"]) == (1, 3, "LB")


def test_float_noise_is_not_a_change(before, after):
    after["LB"]["LBSTRESN"] = after["LB"]["LBSTRESN"] + 1e-13
    assert compare_common_models(before, after).empty


def _alive_subject(sdtm) -> str:
    return sdtm["DS"].loc[sdtm["DS"]["DSDECOD"] == "ALIVE", "USUBJID"].iloc[0]


def test_a_death_reported_at_the_later_cut(before, after):
    """The follow-up record (one per subject) changes; the cause of death is a new DD record."""
    subject = _alive_subject(before)
    ds = after["DS"]
    i = ds.index[ds["USUBJID"] == subject][0]
    ds.loc[i, ["DSDECOD", "DSSTDTC", "DSDTHDTC"]] = ["DEAD", "2023-04-01", "2023-04-01"]
    template = after["DD"].iloc[[0]].copy()
    new = template.assign(
        USUBJID=subject,
        SUBJID=ds.at[i, "SUBJID"],
        SITEID=ds.at[i, "SITEID"],
        DDDTC="2023-04-01",
        DDORRES="relapse",
        DDSTRESC="RELAPSE",
        SRCROW=999,
    )
    after["DD"] = renumber(pd.concat([after["DD"], new]).sort_values("USUBJID", kind="stable"), "DD")
    changes = compare_common_models(before, after)
    assert set(changes["USUBJID"]) == {subject}
    ds_rows = changes[changes["domain"] == "DS"]
    assert set(ds_rows["change"]) == {"changed"}
    assert dict(zip(ds_rows["variable"], zip(ds_rows["before"], ds_rows["after"], strict=True), strict=True)) == {
        "DSDECOD": ("ALIVE", "DEAD"),
        "DSSTDTC": (before["DS"].at[i, "DSSTDTC"], "2023-04-01"),
        "DSDTHDTC": ("", "2023-04-01"),
    }
    dd = changes[changes["domain"] == "DD"]
    assert len(dd) == 1 and dd.iloc[0]["change"] == "added"
    assert "DDSTRESC=RELAPSE" in dd.iloc[0]["after"] and dd.iloc[0]["before"] == ""
    assert dd.iloc[0]["row_after"] == 999 and pd.isna(dd.iloc[0]["row_before"]) and dd.iloc[0]["file_before"] == ""
    subject_row = subjects_changed(changes).iloc[0]
    assert (subject_row["domains"], subject_row["records_added"], subject_row["records_changed"]) == ("DS, DD", 1, 1)


def test_a_new_ds_death_record_is_added(before, after):
    """A second DS record for a subject (key shared): the identical record pairs with its
    counterpart, the new one is added; nothing is reported as changed."""
    subject = _alive_subject(before)
    ds = after["DS"]
    death = ds[ds["USUBJID"] == subject].assign(DSDECOD="DEAD", DSSTDTC="2023-04-20", DSDTHDTC="2023-04-20", SRCROW=500)
    after["DS"] = renumber(pd.concat([death, ds]).sort_values("USUBJID", kind="stable"), "DS")
    changes = compare_common_models(before, after)
    assert len(changes) == 1
    row = changes.iloc[0]
    assert (row["domain"], row["USUBJID"], row["change"], row["variable"]) == ("DS", subject, "added", "")
    assert "DSDECOD=DEAD" in row["after"] and "DSDTHDTC=2023-04-20" in row["after"]
    assert "key not unique: 1 before, 2 after" in row["key"]


def test_last_contact_moved(before, after):
    subject = _alive_subject(before)
    ds = after["DS"]
    i = ds.index[ds["USUBJID"] == subject][0]
    ds.at[i, "DSSTDTC"] = "2023-04-29"
    changes = compare_common_models(before, after)
    assert changes[["domain", "USUBJID", "change", "variable", "after"]].values.tolist() == [
        ["DS", subject, "changed", "DSSTDTC", "2023-04-29"]
    ]


def test_a_removed_ae(before, after):
    ae = after["AE"]
    gone = ae.iloc[0]
    after["AE"] = renumber(ae.iloc[1:], "AE")  # the subject's later AEs are renumbered
    changes = compare_common_models(before, after)
    assert len(changes) == 1
    row = changes.iloc[0]
    assert (row["domain"], row["USUBJID"], row["change"]) == ("AE", gone["USUBJID"], "removed")
    assert row["key"] == f"AETERM={gone['AETERM']}; AESTDTC={gone['AESTDTC']}"
    assert f"AEDECOD={gone['AEDECOD']}" in row["before"] and row["after"] == ""
    assert (row["file_before"], row["row_before"]) == (gone["SRCFILE"], gone["SRCROW"])
    assert row["file_after"] == "" and pd.isna(row["row_after"])


def test_an_ae_inserted_before_others_is_one_added_record(before, after):
    """The inserted AE shifts the subject's later AESEQ and the rows below it: only the AE is reported."""
    ae = after["AE"]
    first = ae.iloc[[0]].assign(AETERM="Nausea", AEDECOD="NAUSEA", AESTDTC="2000-01-01", AETOXGR=1, SRCROW=2)
    shifted = ae.assign(SRCROW=ae["SRCROW"] + 1)
    after["AE"] = renumber(pd.concat([first, shifted]).sort_values(["USUBJID", "AESTDTC"], kind="stable"), "AE")
    changes = compare_common_models(before, after)
    assert changes[["domain", "change"]].values.tolist() == [["AE", "added"]]
    summary = domain_summary(before, after).set_index("domain").loc["AE"]
    assert (summary["added"], summary["changed"], summary["resent_unchanged"]) == (1, 0, len(ae))


def test_seq_renumbering_alone_is_not_a_change(before, after):
    for name in ("AE", "LB", "CM"):
        frame = after[name].sample(frac=1, random_state=1)  # another order, so another --SEQ per subject
        after[name] = renumber(frame, name)
        assert not (after[name][f"{name}SEQ"].values == before[name][f"{name}SEQ"].values).all()
    assert compare_common_models(before, after).empty


def test_a_resent_file_with_identical_values_is_not_a_change(before, after):
    file = before["LB"]["SRCFILE"].iloc[0]
    resent = 0
    for frame in after.values():
        mine = frame["SRCFILE"] == file
        frame.loc[mine, "SRCSHA256"] = "0" * 64
        frame.loc[mine, "SRCROW"] = frame.loc[mine, "SRCROW"] + 3
        resent += int(mine.sum())
    assert resent > 0
    assert compare_common_models(before, after).empty
    summary = domain_summary(before, after)
    assert summary["resent_unchanged"].sum() == resent
    assert (summary[["changed", "added", "removed"]] == 0).all().all()


def test_a_domain_missing_from_one_cut(before, after):
    del before["PR"]
    changes = compare_common_models(before, after)
    assert set(changes["domain"]) == {"PR"} and set(changes["change"]) == {"added"}
    assert len(changes) == len(after["PR"])


def test_a_screened_case_enrolled_by_the_later_cut_keeps_its_ie_records(before, after):
    """IE is keyed on the screening number: a new USUBJID is a changed value, not a new case."""
    ie = after["IE"]
    enrolled = set(before["DM"]["USUBJID"])
    case = ie.loc[~ie["USUBJID"].isin(enrolled), "USUBJID"].iloc[0]
    mine = ie["USUBJID"] == case
    new_id = case.rsplit("-", 1)[0] + "-P999"  # any new id: the test is on the pairing
    ie.loc[mine, "USUBJID"] = new_id
    ie.loc[mine, "SUBJID"] = "P999"
    changes = compare_domain("IE", before["IE"], ie)
    assert set(changes["change"]) == {"changed"}
    assert set(changes["variable"]) == {"USUBJID", "SUBJID"}
    assert len(changes) == 2 * int(mine.sum())
    assert set(changes["USUBJID"]) == {new_id}
    assert changes["key"].str.startswith("screening number ").all()


def test_natural_keys_cover_the_contract_keys():
    """Every variable of a raw domain's contract key lands in the natural key of each SDTM domain
    it feeds, and findings domains are keyed on --TESTCD."""
    contract = load_contract()
    for raw, spec in contract.domains.items():
        for name, target in spec["sdtm"].items():
            key = NATURAL_KEYS[name]
            if target["kind"] in ("findings", "long"):
                assert f"{name}TESTCD" in key, name
            columns = {source: column for column, source in target.get("columns", {}).items()}
            for variable in spec["key"]:
                if variable == "SUBJID":
                    expected = "USUBJID"
                elif raw == "screening" and variable == "SCREEN_ID":
                    expected = IE_SCREENING_NUMBER
                elif raw == "transfusions" and variable == "PRODUCT":
                    expected = PR_PRODUCT  # PRTRT of a transfusion (a transplant's PRTRT is a value)
                elif variable == target.get("date"):
                    expected = f"{name}DTC"
                elif variable == target.get("test"):
                    expected = f"{name}TESTCD"
                else:
                    expected = columns[variable]
                assert expected in key, (raw, name, variable, key)


# ------------------------------------------------------------------------------------------------
# results cells


def small_ard() -> pd.DataFrame:
    rows = [
        ("a1", "OM01", None, None, None, None, "RESPFL", "Y", "proportion_ci", "N", "N", 32.0, "32"),
        ("a2", "OM01", None, None, None, None, "RESPFL", "Y", "proportion_ci", "estimate", "Estimate", 0.59375, "59.4"),
        (
            "a3",
            "OM01",
            None,
            None,
            None,
            None,
            "RESPFL",
            "Y",
            "proportion_ci",
            "method",
            "Method",
            np.nan,
            "Clopper-Pearson exact",
        ),
        ("b1", "OM16", "HSCTFL", "Y", None, None, "time", "6", "survival_survfit", "estimate", "Estimate", 0.8, "80.0"),
        (
            "b2",
            "OM16",
            "HSCTFL",
            "Y",
            None,
            None,
            "time",
            "12",
            "survival_survfit",
            "estimate",
            "Estimate",
            np.nan,
            "NE",
        ),
    ]
    columns = ["ard_row_id", "output_id", "group1", "group1_level", "group2", "group2_level", "variable"]
    columns += ["variable_level", "context", "stat_name", "stat_label", "stat", "stat_fmt"]
    return pd.DataFrame(rows, columns=columns)


def test_identical_ards_have_no_changes():
    ard = small_ard()
    cells = compare_ards(ard, ard.copy())
    assert cells.empty and list(cells.columns) == CELL_COLUMNS
    noisy = ard.assign(stat=ard["stat"] + 1e-13, group2=np.nan)  # missing as NaN rather than None
    assert compare_ards(ard, noisy).empty


def test_a_changed_estimate_and_a_new_time_point():
    before = small_ard()
    after = small_ard()
    after.loc[1, ["stat", "stat_fmt"]] = [0.5625, "56.2"]
    new = after.iloc[[3]].assign(ard_row_id="b3", variable_level="18", stat=0.7, stat_fmt="70.0")
    after = pd.concat([after, new], ignore_index=True)
    cells = compare_ards(before, after)
    assert cells["change"].tolist() == ["changed", "added"]
    changed, added = cells.iloc[0], cells.iloc[1]
    assert (changed["output_id"], changed["variable"], changed["stat_name"]) == ("OM01", "RESPFL", "estimate")
    assert (changed["stat_before"], changed["stat_after"]) == (0.59375, 0.5625)
    assert (changed["stat_fmt_before"], changed["stat_fmt_after"]) == ("59.4", "56.2")
    assert changed["group1"] == "" and changed["ard_row_id"] == "a2"
    assert (added["output_id"], added["variable_level"], added["stat_fmt_after"]) == ("OM16", "18", "70.0")
    assert added["stat_fmt_before"] == "" and pd.isna(added["stat_before"])


def test_a_removed_cell_and_a_text_statistic():
    before = small_ard()
    after = small_ard().drop(index=4)
    after.loc[2, "stat_fmt"] = "Wilson"
    cells = compare_ards(before, after)
    assert cells[["stat_name", "change", "stat_fmt_before", "stat_fmt_after"]].values.tolist() == [
        ["method", "changed", "Clopper-Pearson exact", "Wilson"],
        ["estimate", "removed", "NE", ""],
    ]


# ------------------------------------------------------------------------------------------------
# files and page


def _write_cut(folder, sdtm: dict[str, pd.DataFrame], ard: pd.DataFrame) -> None:
    (folder / "sdtm").mkdir(parents=True)
    (folder / "ard").mkdir()
    for name, frame in sdtm.items():
        frame.to_parquet(folder / "sdtm" / f"{name}.parquet")
    ard.to_parquet(folder / "ard" / "all_outputs.parquet")


def test_write_cut_comparison(tmp_path, before, after):
    ae = after["AE"]
    gone = ae.iloc[0]
    after["AE"] = renumber(ae.iloc[1:], "AE")
    subject = _alive_subject(before)
    after["DS"].loc[after["DS"]["USUBJID"] == subject, "DSSTDTC"] = "2023-04-29"
    ard_before, ard_after = small_ard(), small_ard()
    ard_after.loc[1, ["stat", "stat_fmt"]] = [0.5625, "56.2"]
    ard_after.loc[0, "stat_label"] = "<N & total>"  # labels are escaped, and not compared
    _write_cut(tmp_path / "interim", before, ard_before)
    _write_cut(tmp_path / "locked", after, ard_after)
    titles = {"OM01": {"title": "CR/CRi <all>"}}
    paths = write_cut_comparison(
        tmp_path / "interim", tmp_path / "locked", "2022-09-30", "2023-04-30", tmp_path / "out", titles=titles
    )
    assert {p.name for p in paths.values()} == {"records.csv", "subjects.csv", "cells.csv", "comparison.html"}
    records = pd.read_csv(paths["records"], keep_default_na=False)
    assert records[["domain", "change"]].values.tolist() == [["AE", "removed"], ["DS", "changed"]]
    subjects = pd.read_csv(paths["subjects"], keep_default_na=False)
    assert set(subjects["USUBJID"]) == {gone["USUBJID"], subject}
    cells = pd.read_csv(paths["cells"], dtype=str, keep_default_na=False)
    assert cells[["output_id", "stat_name", "stat_fmt_before", "stat_fmt_after"]].values.tolist() == [
        ["OM01", "estimate", "59.4", "56.2"]
    ]
    page = paths["html"].read_text(encoding="utf-8")
    assert "CR/CRi &lt;all&gt;" in page and "<all>" not in page
    assert "<td>59.4</td><td>56.2</td>" in page
    assert "2023-04-29" in page and html.escape(gone["AETERM"]) in page
    assert not re.search(r"\b(nan|NaN|None|NaT)\b|<NA>|&lt;NA&gt;", page)
    assert "http" not in page and "<script" not in page and "<link" not in page
    first = {name: path.read_bytes() for name, path in paths.items()}
    again = write_cut_comparison(
        tmp_path / "interim", tmp_path / "locked", "2022-09-30", "2023-04-30", tmp_path / "out", titles=titles
    )
    assert {name: path.read_bytes() for name, path in again.items()} == first


def test_page_when_nothing_changed(tmp_path, before):
    _write_cut(tmp_path / "a", before, small_ard())
    _write_cut(tmp_path / "b", before, small_ard())
    paths = write_cut_comparison(tmp_path / "a", tmp_path / "b", "A", "B", tmp_path / "out")
    page = paths["html"].read_text(encoding="utf-8")
    assert "No result differs" in page and "No record differs" in page
    assert pd.read_csv(paths["records"]).empty and pd.read_csv(paths["cells"]).empty
