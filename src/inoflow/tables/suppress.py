"""Small-cell suppression of an ARD for tables shared outside the study (with the sites, a
registry, a journal's supplement).

The rule, with ``m`` the minimum cell count (``shareable: min_cell_count`` of config/config.yaml,
default 5, the ``minCellCount`` convention of OHDSI Strategus):

1. **Primary.** A count (``n``, ``N``, ``n.risk``, ``n.event``, ``n.censored``, and the deaths
   ``observed`` of a Mantel-Byar test and the patients ``n.excluded`` of a landmark) from 1 to m - 1 is
   shown as ``<m``. Zero is shown (it describes no patient). Every other figure suppressed by the
   rules below is shown as ``NR`` (a complementary count may well be m or more).
2. **Within a result.** The statistics of a proportion that would give its count back (the
   percentage, the estimate and its interval) are not reported. A summary
   (mean, median, range) or a Kaplan-Meier analysis of fewer than m patients is not reported at
   all: its minimum and maximum are individual values, its steps individual events.
3. **Complementary, within a partition.** The levels of one categorical variable in one group
   add up to their common N. Where exactly one of them is suppressed it could be recomputed, so
   the smallest other non-zero level is suppressed too.
4. **Complementary, across groups.** A table's groups (its column variable) add up to its total.
   Where a count of a group is suppressed, the same count of the ungrouped result (the Total
   column, the header's total N) is suppressed too.

The result is an ARD of the same rows and columns (``stat`` NaN and ``stat_fmt`` ``<m`` or
``NR`` where suppressed), from which the shareable tables are rendered as every table is; the
study's own ARD is not changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inoflow.analysis.ard import ROW_KEY, TOTAL_N, display_row_keys

COUNTS = ("n", "N", "n.risk", "n.event", "n.censored", "observed", "n.excluded")
DERIVED = ("p", "estimate", "conf.low", "conf.high", "total")  # give the count back, with N
PROPORTIONS = ("proportion_ci", "categorical", "hierarchical", "crude_proportion", "cost_per_responder")
WHOLE = ("continuous", "median_ci", "survival_followup")  # contexts whose every statistic describes the few
NOT_REPORTED = "NR"


def masked(min_cell_count: int) -> str:
    return f"<{min_cell_count}"


def suppress(ard: pd.DataFrame, min_cell_count: int = 5, layouts: dict[str, dict] | None = None) -> pd.DataFrame:
    """The shareable ARD (see the module's rule); ``layouts``: output id -> its outputs.yaml
    entry (``columns``: the grouping whose groups add up to the total)."""
    if min_cell_count < 2:
        raise ValueError(f"min_cell_count must be at least 2, not {min_cell_count}")
    out = ard.copy()
    counts = out["stat_name"].isin(COUNTS)
    small = counts & (out["stat"] > 0) & (out["stat"] < min_cell_count)
    keys = display_row_keys(out)  # each row's block
    hidden = small | _partition_complements(out, small, keys)  # 1 and 3
    hidden |= _group_totals(out, hidden, layouts or {})  # 4
    block_hidden = hidden.groupby(keys.to_numpy()).transform("any")
    few = _small_km_groups(out, min_cell_count)
    # 2: what gives a hidden count back, every statistic of a summary of the few; a count hidden
    # as a complement (it may be 5 or more) is not reported rather than shown as < m
    not_reported = (
        (hidden & ~small)
        | (block_hidden & out["stat_name"].isin(DERIVED) & out["context"].isin(PROPORTIONS))
        | (block_hidden & out["context"].isin(WHOLE))
        | few
    ) & ~small
    out.loc[small, "stat_fmt"] = masked(min_cell_count)
    out.loc[not_reported, "stat_fmt"] = NOT_REPORTED
    out.loc[small | not_reported, "stat"] = np.nan
    return out


def _partition_complements(ard: pd.DataFrame, small: pd.Series, keys: pd.Series) -> pd.Series:
    """Rule 3: for each categorical variable within one group whose levels add up to their N,
    with exactly one level suppressed: the smallest other non-zero level. ``keys``: each row's
    block (:func:`inoflow.analysis.ard.display_row_keys`)."""
    extra = pd.Series(False, index=ard.index)
    counts = ard[ard["context"].isin(("categorical", "hierarchical")) & (ard["stat_name"] == "n")]
    part_key = [*[c for c in ROW_KEY if c != "variable_level"], "context"]
    for _, levels in counts.groupby([ard.loc[counts.index, c].fillna("") for c in part_key], sort=False):
        if levels["variable_level"].eq("ANY").any():  # the 'any' row of events is not one of its parts
            levels = levels[levels["variable_level"] != "ANY"]
        in_blocks = keys.isin(set(keys.loc[levels.index]))
        totals = ard.loc[in_blocks & (ard["stat_name"] == "N"), "stat"].unique()
        if len(totals) != 1 or levels["stat"].sum() != totals[0] or small.loc[levels.index].sum() != 1:
            continue
        shown = levels[~small.loc[levels.index] & (levels["stat"] > 0)]
        if len(shown):
            extra.loc[shown["stat"].idxmin()] = True
    return extra


def _group_totals(ard: pd.DataFrame, hidden: pd.Series, layouts: dict[str, dict]) -> pd.Series:
    """Rule 4: a suppressed count of a group of the column variable suppresses the same count of
    the ungrouped result (same output, other groups, variable, level, context and statistic)."""
    extra = pd.Series(False, index=ard.index)
    for output_id, layout in layouts.items():
        column = layout.get("columns")
        if not column:
            continue
        rows = ard[(ard["output_id"] == output_id) & hidden]
        for _, row in rows.iterrows():
            grouped = [(row[g], row[f"{g}_level"]) for g in ("group1", "group2") if isinstance(row[g], str)]
            if column not in [g for g, _ in grouped]:
                continue
            rest = [(g, level) for g, level in grouped if g != column]
            candidates = ard[
                (ard["output_id"] == output_id)
                & (ard["variable"] == row["variable"])
                & (
                    ard["variable_level"].fillna("")
                    == ("" if pd.isna(row["variable_level"]) else row["variable_level"])
                )
                & (ard["context"] == row["context"])
                & (ard["stat_name"] == row["stat_name"])
            ]
            for index, other in candidates.iterrows():
                other_groups = [
                    (other[g], other[f"{g}_level"]) for g in ("group1", "group2") if isinstance(other[g], str)
                ]
                if other_groups == rest:
                    extra.loc[index] = True
    return extra


def _small_km_groups(ard: pd.DataFrame, min_cell_count: int) -> pd.Series:
    """Every Kaplan-Meier row of a group analysed with fewer than ``min_cell_count`` patients
    (the ``n`` of its ``..ard_survfit..`` block)."""
    km = ard["context"] == "survival_survfit"
    sizes = ard[km & (ard["variable"] == "..ard_survfit..") & (ard["stat_name"] == "n")]
    group = ["output_id", "group1", "group1_level", "group2", "group2_level"]
    few = {tuple(r) for r in sizes.loc[sizes["stat"] < min_cell_count, group].fillna("").itertuples(index=False)}
    keys = ard[group].fillna("").itertuples(index=False)
    return km & pd.Series([tuple(k) in few for k in keys], index=ard.index)


def footnote(min_cell_count: int) -> str:
    """The rule, as a shareable table's footnote."""
    return (
        f"Shareable release: counts from 1 to {min_cell_count - 1} are shown as <{min_cell_count}; NR, not "
        "reported: a figure from which such a count could be recomputed (its percentage or interval, the "
        "complementary category, the total of the groups) and any summary or Kaplan-Meier analysis of fewer "
        f"than {min_cell_count} patients. Zero counts are shown."
    )


__all__ = ["COUNTS", "NOT_REPORTED", "TOTAL_N", "footnote", "masked", "suppress"]
