"""Comparison with the publication: every published figure beside the reproduced one.

The list of figures, where each is printed and which ARD statistic reproduces it, is data
(``config/reference/<study>_comparison.yaml``). Each comparison ends in one status:

- ``reproduced``: equal after the stated rounding;
- ``documented difference``: the entry says it differs (a misprint, a different method) and why;
- ``not in extracts``: the figure cannot be computed from what the sites send (reason given);
- ``MISMATCH``: neither; the end-to-end test fails on any.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import yaml

from inoflow.analysis.ard import ROW_KEY as KEY_COLUMNS

COMPARISON_COLUMNS = ["label", "source", "published", "reproduced", "status", "output_id", "ard_row_id", "note"]


def load_items(study: str, folder: Path = Path("config/reference")) -> list[dict]:
    return yaml.safe_load((folder / f"{study}_comparison.yaml").read_text(encoding="utf-8"))["items"]


def select(ard: pd.DataFrame, item: dict) -> pd.Series:
    """The one ARD row an item points at (unnamed key columns must be empty; ``context`` picks
    between analyses of one variable giving the same statistic, as a median with its CI and the
    median of a summary)."""
    rows = ard[(ard["output_id"] == item["output_id"]) & (ard["stat_name"] == item["stat_name"])]
    if "context" in item:
        rows = rows[rows["context"] == item["context"]]
    for column in KEY_COLUMNS:
        if column in item:
            rows = rows[rows[column].astype(str) == str(item[column])]
        else:
            rows = rows[rows[column].isna()]
    if len(rows) != 1:
        raise KeyError(f"{item['label']}: {len(rows)} ARD rows match {item}")
    return rows.iloc[0]


def shown(value: float, check: str) -> str:
    """The reproduced value as the publication would print it under the item's rounding."""
    if value is None or math.isnan(value):
        return "NE"
    return {
        "count": f"{value:g}",
        "pct1": f"{100 * value:.1f}",
        "pct0": f"{100 * value:.0f}",
        "dec2pct": f"{100 * value:.2f}",
        "months1": f"{value:.1f}",
        "months0": f"{value:.0f}",
        "dec1": f"{value:.1f}",
        "dec2": f"{value:.2f}",
    }[check]


def _same(published, text: str, check: str) -> bool:
    decimals = {"count": None, "pct1": 1, "pct0": 0, "dec2pct": 2, "months1": 1, "months0": 0, "dec1": 1, "dec2": 2}[
        check
    ]
    if text == "NE":
        return False
    if decimals is None:
        return float(text) == float(published)
    return round(float(text), decimals) == round(float(published), decimals)


def compare(ard: pd.DataFrame, items: list[dict]) -> pd.DataFrame:
    """One row per published figure with the reproduced value and the status."""
    out = []
    for item in items:
        row = {k: item.get(k) for k in ("label", "source", "published", "output_id", "note")}
        row["published"] = f"{item['published']:g}"  # as printed (no float padding in the tables)
        if "output_id" not in item:
            expect = item.get("expect", "")
            row.update(
                reproduced="",
                ard_row_id="",
                status="not in extracts" if expect == "not_in_extracts" else "documented difference",
            )
            out.append(row)
            continue
        ard_row = select(ard, item)
        text = shown(float(ard_row["stat"]), item["check"])
        same = _same(item["published"], text, item["check"])
        if item.get("expect") == "differs":
            status = "documented difference" if not same else "reproduced (expected to differ)"
        else:
            status = "reproduced" if same else "MISMATCH"
        row.update(reproduced=text, ard_row_id=ard_row["ard_row_id"], status=status)
        out.append(row)
    return pd.DataFrame(out, columns=COMPARISON_COLUMNS)
