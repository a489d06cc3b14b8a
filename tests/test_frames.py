"""inoflow.frames.read_parquet: the frame pandas reads, in less memory.

It must be the same frame, value for value and dtype for dtype, None where pandas gives None
and pd.NA where it gives pd.NA: on hand-made tables at the edges, and on every parquet table
the demo run writes (rows read, harmonised, common model, ADaM, ARD, lineage).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inoflow import frames
from inoflow.frames import read_parquet


def _same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got.dtypes) == list(expected.dtypes)
    for column in expected.columns:  # None and NaN are equal to assert_frame_equal; not to a reader
        if expected[column].dtype == object:
            assert [type(v) for v in got[column]] == [type(v) for v in expected[column]], column


@pytest.fixture(autouse=True)
def every_table_decoded(monkeypatch):
    """The hand-made tables are small: read them as a large one is read."""
    monkeypatch.setattr(frames, "SMALL", 0)


@pytest.fixture
def table(tmp_path):
    frame = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-1", None, "S-2"],
            "LBTESTCD": ["BLAST", "BLAST", "ANC", "BLAST"],
            "SRCSHA256": pd.array(["ab" * 32, "ab" * 32, None, "cd" * 32], dtype="string"),
            "NOTHING": [None, None, None, None],
            "AVAL": [1.5, np.nan, 2.0, 3.0],
            "SRCROW": pd.array([2, 3, None, 5], dtype="Int64"),
            "ADT": pd.to_datetime(["2020-01-01", None, "2020-02-01", "2020-03-01"]),
            "MIXED": ["x", None, "y", "x"],
        }
    )
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, index=False)
    return path


def test_reads_what_pandas_reads(table):
    expected = pd.read_parquet(table)
    got = read_parquet(table)
    _same(expected, got)
    assert got["SRCSHA256"].dtype == "string" and got["SRCSHA256"].iloc[2] is pd.NA
    assert got["USUBJID"].iloc[2] is None and got["NOTHING"].tolist() == [None] * 4


def test_each_distinct_text_is_one_object(table):
    got = read_parquet(table)
    assert got["LBTESTCD"].iloc[0] is got["LBTESTCD"].iloc[1] is got["LBTESTCD"].iloc[3]
    sha = got["SRCSHA256"].array
    assert sha[0] is sha[1]


def test_a_selection_of_columns_and_an_empty_table(table, tmp_path):
    _same(pd.read_parquet(table, columns=["SRCROW", "USUBJID"]), read_parquet(table, columns=["SRCROW", "USUBJID"]))
    empty = tmp_path / "empty.parquet"
    pd.read_parquet(table).iloc[:0].to_parquet(empty, index=False)
    _same(pd.read_parquet(empty), read_parquet(empty))


def test_every_table_of_the_demo_run_reads_as_pandas_reads_it(workflow_run):
    results, _ = workflow_run
    paths = sorted(results.rglob("*.parquet"))
    folders = {p.relative_to(results).parts[2] for p in paths}
    assert {"ingest", "harmonised", "sdtm", "adam", "ard"} <= folders
    assert len(paths) > 600
    for path in paths:
        _same(pd.read_parquet(path), read_parquet(path))
