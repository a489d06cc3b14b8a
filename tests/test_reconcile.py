"""Reconciliation against the previous cut (inoflow.model.reconcile): a file that had rows and
now has none is not balanced, although every row it holds (none) is accounted for."""

from __future__ import annotations

import pandas as pd
import pytest

from inoflow.model.reconcile import ReconciliationError, check_balanced, reconcile_extract, write_reconciliation


def _read(rows: list[int], file: str = "IN02/IN02_adverse_events.csv") -> pd.DataFrame:
    return pd.DataFrame(
        {"SRCFILE": [file] * len(rows), "SRCSHA256": ["ab"] * len(rows), "SRCSHEET": "", "SRCROW": rows}
    )


EMPTY_REJECTED = pd.DataFrame({"SRCROW": pd.Series([], dtype=int)})
PREVIOUS = {"site": "IN02", "domain": "adverse_events", "file": "IN02/IN02_adverse_events.csv", "rows_read": 26}


def test_a_file_with_rows_as_before_is_balanced():
    row = reconcile_extract(
        "india",
        "2023-04-30",
        "IN02",
        "adverse_events",
        _read([2, 3]),
        EMPTY_REJECTED,
        pd.DataFrame({"SRCROW": [2, 3]}),
        {("IN02/IN02_adverse_events.csv", 2), ("IN02/IN02_adverse_events.csv", 3)},
        PREVIOUS,
    )
    assert (row["rows_read"], row["rows_read_previous_cut"], row["balanced"]) == (2, 26, True)


def test_a_file_that_had_rows_and_now_has_none_is_not_balanced(caplog):
    row = reconcile_extract(
        "india",
        "2023-04-30",
        "IN02",
        "adverse_events",
        _read([]),
        EMPTY_REJECTED,
        pd.DataFrame({"SRCROW": pd.Series([], dtype=int)}),
        set(),
        PREVIOUS,
    )
    assert (row["file"], row["rows_read"], row["rows_unaccounted"], row["balanced"]) == (
        "IN02/IN02_adverse_events.csv",
        0,
        0,
        False,
    )
    check_balanced(pd.DataFrame([row]))  # said, not raised: the data-quality report stops the cut on it
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "reconciliation: IN02 adverse_events (IN02/IN02_adverse_events.csv): read 0 rows, the previous cut "
        "read 26: a file sent with its header only? Its records would leave the analysis"
    ]


def test_a_row_not_accounted_for_still_stops_the_reconciliation():
    row = reconcile_extract(
        "india",
        "2023-04-30",
        "IN02",
        "adverse_events",
        _read([2, 3]),
        EMPTY_REJECTED,
        pd.DataFrame({"SRCROW": [2]}),
        {("IN02/IN02_adverse_events.csv", 2)},
        PREVIOUS,
    )
    with pytest.raises(ReconciliationError) as error:
        check_balanced(pd.DataFrame([row]))
    assert str(error.value) == (
        "the reconciliation is not balanced:\n"
        "  - IN02 adverse_events (IN02/IN02_adverse_events.csv): read 2, harmonised 1, rejected 0, "
        "unaccounted 1, in common model 1"
    )


@pytest.mark.parametrize("previous", [None, {**PREVIOUS, "rows_read": 0}])
def test_an_empty_file_is_balanced_in_a_first_cut_or_when_it_was_empty_before(previous):
    row = reconcile_extract(
        "india",
        "2022-09-30",
        "IN02",
        "transplants",
        _read([]),
        EMPTY_REJECTED,
        pd.DataFrame({"SRCROW": pd.Series([], dtype=int)}),
        set(),
        previous,
    )
    assert row["balanced"] is True


def test_the_previous_cuts_reconciliation_is_read_from_its_csv(tmp_path):
    """write_reconciliation on parquet files as the workflow writes them, the earlier CSV beside."""
    paths = {}
    for name, frame in {
        "read": pd.DataFrame(
            {
                "SRCFILE": pd.Series([], dtype=str),
                "SRCSHA256": pd.Series([], dtype=str),
                "SRCSHEET": pd.Series([], dtype=str),
                "SRCROW": pd.Series([], dtype="int64"),
            }
        ),
        "rejected": pd.DataFrame(
            {
                "SRCFILE": pd.Series([], dtype=str),
                "SRCSHEET": pd.Series([], dtype=str),
                "SRCROW": pd.Series([], dtype="int64"),
                "REJECT_REASON": pd.Series([], dtype=str),
            }
        ),
        "harmonised": pd.DataFrame({"SRCROW": pd.Series([], dtype="int64")}),
        "sdtm": pd.DataFrame({"SRCFILE": pd.Series([], dtype=str), "SRCROW": pd.Series([], dtype="int64")}),
    }.items():
        paths[name] = tmp_path / f"{name}.parquet"
        frame.to_parquet(paths[name])
    previous = tmp_path / "previous.csv"
    pd.DataFrame([{**PREVIOUS, "rows_harmonised": 26}]).to_csv(previous, index=False)
    out = {k: str(tmp_path / f"out.{k}") for k in ("csv", "rejected", "html")}
    write_reconciliation(
        "india",
        "2023-04-30",
        [("IN02", "adverse_events")],
        [paths["read"]],
        [paths["rejected"]],
        [paths["harmonised"]],
        [paths["sdtm"]],
        out["csv"],
        out["rejected"],
        out["html"],
        previous=str(previous),
    )
    written = pd.read_csv(out["csv"])
    assert written[["site", "rows_read", "rows_read_previous_cut", "balanced"]].values.tolist() == [
        ["IN02", 0, 26, False]
    ]
    assert "NOT BALANCED - see the table" in open(out["html"], encoding="utf-8").read()
