"""Compare two data cuts of a study: what changed in the common model and in the results.

A later cut (the locked one, say) is compared with an earlier one (the interim): which
subjects, records and values of the harmonised common model changed, and which results cells
of the analysis results data (ARD) moved, before and after. Written as CSV and as one
self-contained HTML page a statistician or medical writer can read.

Matching records (the common model)
    Records of the two cuts are paired on their *natural key*, the variables that identify a
    record in the contract (``key:`` of each raw domain in config/contract.yaml, carried into
    SDTM), plus --TESTCD for findings (:data:`NATURAL_KEYS`). Never on --SEQ (renumbered when
    a record is inserted before another) nor on provenance (SRCROW shifts and SRCSHA256
    changes when a site resends a file). A pair whose values differ gives one ``changed`` row
    per differing variable; a record of one cut only gives one ``added`` or ``removed`` row
    whose ``before``/``after`` text lists the record's values. Both provenances (file, sheet,
    row) are reported on each row.

    When a key is not unique within a cut (it should be, but the common model does not forbid
    it), the records sharing it are paired first with records of identical values, then in
    the order of the cut; the key text then says so.

    Provenance-only differences (same values, another sha256, sheet or row) are not changes:
    they are counted per domain (``resent_unchanged`` in :func:`domain_summary`, also shown in
    the HTML) but not listed record by record, since a resent workbook would otherwise list
    every record of the site and bury the changes that matter.

Matching cells (the ARD)
    A cell is identified by ``output_id, group1, group1_level, group2, group2_level, variable,
    variable_level, context, stat_name`` (empty and missing being the same); it ``changed`` if
    its number (``stat``) or its display text (``stat_fmt``) differs. ``stat_label`` and
    ``ard_row_id`` are descriptive and not compared.

Numbers are compared exactly after rounding to 10 decimals (see :func:`comparable`).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from inoflow.analysis.ard import ROW_KEY
from inoflow.frames import read_parquet

# Domains in the order a reader expects them (the contract's flow: screening, baseline,
# treatment, assessments, events, follow-up); domains not listed follow alphabetically.
DOMAIN_ORDER = ["IE", "DM", "MH", "SC", "EX", "LB", "RS", "VS", "PR", "HO", "AE", "CM", "DS", "DD"]

# The natural key of each domain, from the contract's raw-domain keys:
#   screening SCREEN_ID            -> IE: SITEID + screening number (the SCRNID test's result) + IETESTCD
#   patients SUBJID                -> DM: USUBJID; MH: USUBJID + MHCAT + MHTERM; SC: USUBJID + SCTESTCD
#   dosing SUBJID, CYCLE, DAY      -> EX: USUBJID + EXCYCLE + EXCYDY
#   assessments SUBJID, ASSESS_DATE and labs SUBJID, LAB_DATE, TEST
#                                  -> LB: USUBJID + LBTESTCD + LBSPEC + LBDTC (neutrophils and platelets
#                                     come from both the marrow assessment, LBSPEC BLOOD, and the labs
#                                     sheet, LBSPEC empty, on the same day);
#                                     RS, VS: USUBJID + --TESTCD + --DTC
#   transplants SUBJID, HSCT_DATE and transfusions SUBJID, TRANSF_DATE, PRODUCT
#                                  -> PR: USUBJID + PRCAT + PRSTDTC + the product of a transfusion
#                                     (PRTRT; a transplant's PRTRT, its donor type, is a value)
#   hospitalisations SUBJID, ADMIT_DATE -> HO: USUBJID + HOSTDTC
#   adverse_events SUBJID, AE_TERM, AE_START -> AE: USUBJID + AETERM + AESTDTC
#   conmeds SUBJID, CM_NAME, CM_START        -> CM: USUBJID + CMTRT + CMSTDTC
#   followup SUBJID                -> DS: USUBJID + DSCAT + DSSCAT; DD: USUBJID + DDTESTCD
# So a death reported at the later cut changes the subject's DS record (DSDECOD ALIVE -> DEAD, dates)
# and adds a DD record; a moved last contact changes DSSTDTC; a corrected date of a dated key (an AE
# start, a lab date) shows as one record removed and one added, as it is another record by the key.
IE_SCREENING_NUMBER = "IESCRNID"  # derived key column: the screening number of the subject's IE records
PR_PRODUCT = "PRPROD"  # derived key column: the blood product of a transfusion (empty for a transplant)
NATURAL_KEYS: dict[str, list[str]] = {
    "IE": ["SITEID", IE_SCREENING_NUMBER, "IETESTCD"],
    "DM": ["USUBJID"],
    "MH": ["USUBJID", "MHCAT", "MHTERM"],
    "SC": ["USUBJID", "SCTESTCD"],
    "EX": ["USUBJID", "EXCYCLE", "EXCYDY"],
    "LB": ["USUBJID", "LBTESTCD", "LBSPEC", "LBDTC"],
    "RS": ["USUBJID", "RSTESTCD", "RSDTC"],
    "VS": ["USUBJID", "VSTESTCD", "VSDTC"],
    "PR": ["USUBJID", "PRCAT", "PRSTDTC", PR_PRODUCT],
    "HO": ["USUBJID", "HOSTDTC"],
    "AE": ["USUBJID", "AETERM", "AESTDTC"],
    "CM": ["USUBJID", "CMTRT", "CMSTDTC"],
    "DS": ["USUBJID", "DSCAT", "DSSCAT"],
    "DD": ["USUBJID", "DDTESTCD"],
}

PROVENANCE = ["SRCFILE", "SRCSHA256", "SRCSHEET", "SRCROW", "SRCCOLS"]
IDENTIFIERS = ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "SITEID"]

RECORD_COLUMNS = [
    "domain",
    "USUBJID",
    "SITEID",
    "key",
    "change",
    "variable",
    "before",
    "after",
    "file_before",
    "sheet_before",
    "row_before",
    "file_after",
    "sheet_after",
    "row_after",
]
SUBJECT_COLUMNS = [
    "USUBJID",
    "SITEID",
    "domains",
    "records_added",
    "records_removed",
    "records_changed",
    "values_changed",
    "note",
]
DOMAIN_SUMMARY_COLUMNS = [
    "domain",
    "records_before",
    "records_after",
    "unchanged",
    "resent_unchanged",
    "changed",
    "added",
    "removed",
    "values_changed",
]
# a results cell: everything that places a statistic in an output (cards' identifying columns)
CELL_KEY = ["output_id", *ROW_KEY, "context", "stat_name"]
CELL_COLUMNS = [
    *CELL_KEY,
    "stat_label",
    "change",
    "stat_before",
    "stat_after",
    "stat_fmt_before",
    "stat_fmt_after",
    "ard_row_id",
]
CHANGES = ["added", "removed", "changed"]

# Numbers are compared after rounding to 10 decimals. A statistic or a converted value recomputed
# from the same data can differ in its last bits when the order of the arithmetic changes (rows in
# another order after a resend, another summation path in numpy/pandas): 0.1 + 0.2 is not 0.3.
# Such a difference is not a change anyone could see or report (the outputs show at most 4
# decimals), yet a real change of a clinical value or a statistic is far larger than 1e-10. Rounding
# rather than a tolerance keeps the comparison exact and transitive; the price, two values within
# 1e-16 of each other falling either side of a rounding boundary, is negligible.
DECIMALS = 10


# ------------------------------------------------------------------------------------------------
# values


def comparable(value: object) -> object:
    """The form in which a value is compared: ``None`` for any missing value (None, NaN, NA, NaT),
    a float rounded to :data:`DECIMALS` for any number (so 3, 3.0 and Int64 3 are equal), ISO text
    for dates, text otherwise.

    >>> comparable(float("nan")) is None, comparable(pd.NA) is None, comparable(3) == comparable(3.0)
    (True, True, True)
    >>> comparable(0.1 + 0.2) == comparable(0.3)
    True
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "Y" if value else "N"
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        return round(number, DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def show(value: object) -> str:
    """Display text of a value: empty when missing, numbers without a trailing ``.0``.

    >>> show(None), show(float("nan")), show(124.0), show(0.1 + 0.2), show("2023-04-30")
    ('', '', '124', '0.3', '2023-04-30')
    """
    value = comparable(value)
    if value is None:
        return ""
    if isinstance(value, float):
        # the shortest text that reads back as the same float: distinct values never look alike
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return value


def _show_pair(before: object, after: object) -> tuple[str, str]:
    """Display texts of two different values; says which is a number where the texts coincide
    (a column read as text in one cut and as a number in the other)."""
    b, a = show(before), show(after)
    if b == a:
        kind = {True: " (number)", False: " (text)"}
        b += kind[isinstance(comparable(before), float)]
        a += kind[isinstance(comparable(after), float)]
    return b, a


# ------------------------------------------------------------------------------------------------
# the common model


def natural_key(name: str, columns) -> list[str]:
    """The natural key of a domain (:data:`NATURAL_KEYS`); for a domain not listed there,
    USUBJID and whichever of --TESTCD, --TERM, --TRT, --DTC, --STDTC it has."""
    if name in NATURAL_KEYS:
        return NATURAL_KEYS[name]
    candidates = [f"{name}{suffix}" for suffix in ("TESTCD", "TERM", "TRT", "DTC", "STDTC")]
    return ["USUBJID"] + [c for c in candidates if c in columns]


def _with_derived_keys(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """IE is keyed on the site's screening number (the contract's SCREEN_ID), so that a case
    screened at one cut and enrolled by the next (USUBJID built from the screening number, then
    from the subject id) is one record whose USUBJID changed, not seven removed and seven added.
    PR is keyed on a transfusion's product, not on a transplant's type (a corrected donor type is
    a changed value)."""
    if name == "PR" and not frame.empty:  # two products transfused on one day are two records
        transfusion = frame["PRCAT"] == "TRANSFUSION"
        return frame.assign(**{PR_PRODUCT: frame["PRTRT"].where(transfusion, "")})
    if name != "IE" or frame.empty or "IETESTCD" not in frame:
        return frame
    frame = frame.copy()
    screening = frame.loc[frame["IETESTCD"] == "SCRNID"].drop_duplicates("USUBJID")
    number = dict(zip(screening["USUBJID"], screening["IESTRESC"].map(show), strict=True))
    # a subject without a SCRNID record (should not happen: SCREEN_ID is required) keeps its USUBJID
    frame[IE_SCREENING_NUMBER] = [number.get(u) or f"USUBJID {u}" for u in frame["USUBJID"]]
    return frame


def _value_columns(name: str, keys: list[str], before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """The variables compared: every column of either cut except the key, --SEQ, the provenance
    and the identifiers (USUBJID and SUBJID are compared where they are not part of the key, IE)."""
    skip = set(keys) | set(PROVENANCE) | {"STUDYID", "DOMAIN", "SITEID", f"{name}SEQ"}
    if "USUBJID" in keys:
        skip |= {"SUBJID"}
    columns = list(before.columns) + [c for c in after.columns if c not in before.columns]
    return [c for c in columns if c not in skip]


def _column(frame: pd.DataFrame, column: str) -> list:
    return frame[column].tolist() if column in frame else [None] * len(frame)


def _records(frame: pd.DataFrame, keys: list[str], values: list[str]) -> dict[tuple, list[dict]]:
    """Records of one cut by natural key (key texts), each a dict of its comparable values,
    display values and provenance, in the cut's order."""
    key_texts = list(zip(*[[show(v) for v in _column(frame, k)] for k in keys], strict=True))
    raw = {c: _column(frame, c) for c in values}
    source = {c: _column(frame, c) for c in ["USUBJID", "SITEID", "SRCFILE", "SRCSHA256", "SRCSHEET", "SRCROW"]}
    out: dict[tuple, list[dict]] = {}
    for i, key in enumerate(key_texts):
        out.setdefault(key, []).append(
            {
                "signature": tuple(comparable(raw[c][i]) for c in values),
                "values": {c: raw[c][i] for c in values},
                **{c: source[c][i] for c in source},
            }
        )
    return out


def _key_text(keys: list[str], key: tuple, occurrence: int, n_before: int, n_after: int) -> str:
    parts = [f"{k}={v}" for k, v in zip(keys, key, strict=True) if k not in ("USUBJID", "SITEID") and v != ""]
    text = "; ".join(parts).replace(f"{IE_SCREENING_NUMBER}=", "screening number ") or "subject record"
    if max(n_before, n_after) > 1:
        text += f" #{occurrence} (key not unique: {n_before} before, {n_after} after)"
    return text


def _summary_text(record: dict) -> str:
    """The non-empty values of an added or removed record, as one line."""
    return "; ".join(f"{c}={show(v)}" for c, v in record["values"].items() if show(v) != "")


def _pair(before: list[dict], after: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """Pair the records sharing a key: identical values first, then in order. Returns the pairs,
    the unpaired records of before (removed) and of after (added)."""
    left, right = list(before), list(after)
    pairs = []
    for record in list(left):
        match = next((r for r in right if r["signature"] == record["signature"]), None)
        if match is not None:
            pairs.append((record, match))
            left.remove(record)
            right.remove(match)
    pairs += list(zip(left, right, strict=False))
    n = min(len(left), len(right))
    return pairs, left[n:], right[n:]


def _provenance(record: dict | None, side: str) -> dict:
    if record is None:
        return {f"file_{side}": "", f"sheet_{side}": "", f"row_{side}": pd.NA}
    row = comparable(record["SRCROW"])
    return {
        f"file_{side}": show(record["SRCFILE"]),
        f"sheet_{side}": show(record["SRCSHEET"]),
        f"row_{side}": pd.NA if row is None else int(row),
    }


def _compare(name: str, before: pd.DataFrame | None, after: pd.DataFrame | None) -> tuple[pd.DataFrame, dict]:
    """The changed values of one domain and its counts (:data:`DOMAIN_SUMMARY_COLUMNS`)."""
    before = pd.DataFrame() if before is None else before
    after = pd.DataFrame() if after is None else after
    before, after = _with_derived_keys(name, before), _with_derived_keys(name, after)
    keys = natural_key(name, list(before.columns) + list(after.columns))
    values = _value_columns(name, keys, before, after)
    old, new = _records(before, keys, values), _records(after, keys, values)
    counts = dict.fromkeys(DOMAIN_SUMMARY_COLUMNS[3:], 0)
    rows = []
    for key in sorted(set(old) | set(new)):
        b, a = old.get(key, []), new.get(key, [])
        pairs, removed, added = _pair(b, a)
        for occurrence, (change, rb, ra) in enumerate(
            [("paired", x, y) for x, y in pairs]
            + [("removed", r, None) for r in removed]
            + [("added", None, r) for r in added],
            start=1,
        ):
            ref = ra if ra is not None else rb
            common = {
                "domain": name,
                "USUBJID": show(ref["USUBJID"]),
                "SITEID": show(ref["SITEID"]),
                "key": _key_text(keys, key, occurrence, len(b), len(a)),
                **_provenance(rb, "before"),
                **_provenance(ra, "after"),
            }
            if change != "paired":
                counts[change] += 1
                text = _summary_text(ref)
                rows.append(
                    {**common, "change": change, "variable": "", "before": "", "after": ""}
                    | {"before" if change == "removed" else "after": text}
                )
                continue
            if rb["signature"] == ra["signature"]:
                moved = any(
                    comparable(rb[c]) != comparable(ra[c]) for c in ("SRCFILE", "SRCSHA256", "SRCSHEET", "SRCROW")
                )
                counts["resent_unchanged" if moved else "unchanged"] += 1
                continue
            counts["changed"] += 1
            for column, x, y in zip(values, rb["signature"], ra["signature"], strict=True):
                if x != y:
                    counts["values_changed"] += 1
                    shown_before, shown_after = _show_pair(rb["values"][column], ra["values"][column])
                    rows.append(
                        {
                            **common,
                            "change": "changed",
                            "variable": column,
                            "before": shown_before,
                            "after": shown_after,
                        }
                    )
    counts = {"domain": name, "records_before": len(before), "records_after": len(after), **counts}
    return _frame(rows), counts


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    for side in ("before", "after"):
        out[f"row_{side}"] = out[f"row_{side}"].astype("Int64")
    return out


def compare_domain(name: str, before: pd.DataFrame | None, after: pd.DataFrame | None) -> pd.DataFrame:
    """The changes of one common-model domain between two cuts (:data:`RECORD_COLUMNS`).

    One row per changed value (``change`` ``changed``, ``variable`` names it, ``before`` and
    ``after`` its display texts) and one row per added or removed record (``variable`` empty,
    the record's values listed in ``after`` or ``before``). ``key`` is the record's natural key
    in words (``LBTESTCD=PLAT; LBDTC=2019-02-27``). ``file/sheet/row_before`` and ``_after``
    give each side's provenance (empty on the side where the record is absent). A domain absent
    from one cut is passed as ``None`` (or an empty frame): all its records are added or removed.
    """
    return _compare(name, before, after)[0]


def _ordered_domains(names) -> list[str]:
    names = set(names)
    return [d for d in DOMAIN_ORDER if d in names] + sorted(names - set(DOMAIN_ORDER))


def _compare_all(before: Mapping[str, pd.DataFrame], after: Mapping[str, pd.DataFrame]):
    parts, counts = [], []
    for name in _ordered_domains(set(before) | set(after)):
        changes, count = _compare(name, before.get(name), after.get(name))
        parts.append(changes)
        counts.append(count)
    changes = pd.concat(parts, ignore_index=True) if parts else _frame([])
    order = {d: i for i, d in enumerate(_ordered_domains(changes["domain"].unique()))}
    changes = changes.sort_values(
        ["domain", "USUBJID", "key", "change", "variable"],
        key=lambda s: s.map(order) if s.name == "domain" else s,
        kind="stable",
    ).reset_index(drop=True)
    return changes, pd.DataFrame(counts, columns=DOMAIN_SUMMARY_COLUMNS)


def compare_common_models(before: Mapping[str, pd.DataFrame], after: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """:func:`compare_domain` over every domain of either cut, in :data:`DOMAIN_ORDER`, sorted by
    domain, subject, key, change and variable."""
    return _compare_all(before, after)[0]


def domain_summary(before: Mapping[str, pd.DataFrame], after: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per domain: records in each cut and how the paired records compare
    (:data:`DOMAIN_SUMMARY_COLUMNS`; ``changed``, ``added``, ``removed`` count records,
    ``values_changed`` values, ``resent_unchanged`` records with the same values but another
    source file, sheet, row or sha256)."""
    return _compare_all(before, after)[1]


def subjects_changed(changes: pd.DataFrame) -> pd.DataFrame:
    """One row per subject with a change (:data:`SUBJECT_COLUMNS`): the domains touched, the
    records added, removed and changed, the values changed, and a note when the subject's DM
    record was added (a new subject) or removed (a subject no longer in the cut)."""
    rows = []
    for usubjid, part in changes.groupby("USUBJID", sort=True):
        records = part.drop_duplicates(["domain", "key", "change"])
        count = records["change"].value_counts()
        dm = records.loc[records["domain"] == "DM", "change"].tolist()
        note = "new subject (DM record added)" if "added" in dm else ""
        note = "subject no longer in the cut (DM record removed)" if "removed" in dm else note
        rows.append(
            {
                "USUBJID": usubjid,
                "SITEID": part["SITEID"].iloc[0],
                "domains": ", ".join(_ordered_domains(part["domain"].unique())),
                "records_added": int(count.get("added", 0)),
                "records_removed": int(count.get("removed", 0)),
                "records_changed": int(count.get("changed", 0)),
                "values_changed": int((part["change"] == "changed").sum()),
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=SUBJECT_COLUMNS)


# ------------------------------------------------------------------------------------------------
# the analysis results data


def _cells(ard: pd.DataFrame) -> pd.DataFrame:
    """An ARD with its identifying columns as text (missing = empty) and its row position."""
    cells = pd.DataFrame({c: ard[c].map(show) if c in ard else "" for c in CELL_KEY}, index=ard.index)
    for column in ("stat_label", "stat_fmt", "ard_row_id"):
        cells[column] = ard[column].map(show) if column in ard else ""
    cells["stat"] = ard["stat"] if "stat" in ard else np.nan
    cells["position"] = range(len(cells))
    duplicated = cells.duplicated(CELL_KEY, keep=False)
    if duplicated.any():
        raise ValueError(f"ARD cells are not unique:\n{cells.loc[duplicated, CELL_KEY]}")
    return cells.reset_index(drop=True)


def compare_ards(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The results cells that differ between two ARDs (:data:`CELL_COLUMNS`).

    A cell present in both ``changed`` if ``stat`` (after rounding to :data:`DECIMALS`) or
    ``stat_fmt`` differs; ``added``/``removed`` if present in one only (a new time point, a new
    level). Identifying columns are text, empty where missing. Sorted by output (in the order
    of the after ARD, then the before ARD) and by position within it.
    """
    old, new = _cells(before), _cells(after)
    merged = old.merge(new, on=CELL_KEY, how="outer", suffixes=("_before", "_after"), indicator=True)
    stat_differs = [
        comparable(b) != comparable(a) for b, a in zip(merged["stat_before"], merged["stat_after"], strict=True)
    ]
    fmt_differs = merged["stat_fmt_before"].fillna("") != merged["stat_fmt_after"].fillna("")
    change = np.select(
        [merged["_merge"] == "left_only", merged["_merge"] == "right_only", np.array(stat_differs) | fmt_differs],
        ["removed", "added", "changed"],
        default="",
    )
    merged["change"] = change
    merged = merged[merged["change"] != ""].copy()
    for column in ("stat_label", "ard_row_id"):
        merged[column] = merged[f"{column}_after"].where(merged["_merge"] != "left_only", merged[f"{column}_before"])
    for column in ("stat_fmt_before", "stat_fmt_after"):
        merged[column] = merged[column].fillna("")
    output_order = {o: i for i, o in enumerate(pd.concat([new["output_id"], old["output_id"]]).unique())}
    merged["_output"] = merged["output_id"].map(output_order)
    merged["_position"] = merged["position_after"].fillna(len(new) + merged["position_before"].fillna(0))
    merged = merged.sort_values(["_output", "_position"], kind="stable")
    return merged[CELL_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# files


def read_common_model(cut_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The common model of a cut: ``<cut_dir>/sdtm/<DOMAIN>.parquet``, by domain."""
    folder = Path(cut_dir) / "sdtm"
    paths = sorted(folder.glob("*.parquet"))
    if not paths:
        raise FileNotFoundError(f"no common-model domains in {folder}")
    return {path.stem: read_parquet(path) for path in paths}


def read_ard(cut_dir: str | Path) -> pd.DataFrame:
    """The analysis results data of a cut: ``<cut_dir>/ard/all_outputs.parquet``."""
    return pd.read_parquet(Path(cut_dir) / "ard" / "all_outputs.parquet")


def write_cut_comparison(
    before_dir: str | Path,
    after_dir: str | Path,
    before_cut: str,
    after_cut: str,
    out_dir: str | Path,
    *,
    study: str | None = None,
    titles: Mapping[str, object] | None = None,
    variable_labels: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Compare two cuts' results folders (``results/<study>/<cut>``: ``sdtm/`` and
    ``ard/all_outputs.parquet``) and write into ``out_dir``:

    - ``records.csv``: :func:`compare_common_models` (one row per changed value, added or removed record);
    - ``subjects.csv``: :func:`subjects_changed`;
    - ``cells.csv``: :func:`compare_ards`;
    - ``comparison.html``: all of it for a reader, with the per-domain counts of :func:`domain_summary`.

    ``titles`` (output id -> title, or -> ``{"title": ...}`` as in the output catalogue) and
    ``variable_labels`` (ARD variable -> label) make the page readable; with ``study`` given and
    these omitted, they are taken from config/reference/outputs.yaml and :mod:`inoflow.tables.report`.
    The outputs depend on the inputs only (no time stamps), so rerunning gives identical files.
    Returns the paths written, by name.
    """
    if study is not None and (titles is None or variable_labels is None):
        from inoflow.tables import report  # matplotlib comes with it: import only when used

        titles = report.load_outputs(study) if titles is None else titles
        variable_labels = report.variable_labels() if variable_labels is None else variable_labels
    changes, summary = _compare_all(read_common_model(before_dir), read_common_model(after_dir))
    subjects = subjects_changed(changes)
    cells = compare_ards(read_ard(before_dir), read_ard(after_dir))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / f"{name}.csv" for name in ("records", "subjects", "cells")}
    for name, table in (("records", changes), ("subjects", subjects), ("cells", cells)):
        table.to_csv(paths[name], index=False, lineterminator="\n")
    paths["html"] = out / "comparison.html"
    page = comparison_html(
        changes,
        subjects,
        cells,
        summary,
        before_cut,
        after_cut,
        study=study,
        titles=titles,
        variable_labels=variable_labels,
    )
    paths["html"].write_text(page, encoding="utf-8")
    return paths


# ------------------------------------------------------------------------------------------------
# the page

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:80em;
 padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #bbb;padding:3px 8px;font-size:90%;
 vertical-align:top;text-align:left}th{background:#f2f2f2}td.n{text-align:right}
.added{color:#1a6e1a}.removed{color:#a31515}.changed{color:#8a5a00}.empty{color:#888;font-style:italic}
.arrow{color:#888;padding:0 .3em}.src{color:#555;font-size:85%}details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
"""


def _e(value: object) -> str:
    return html.escape(show(value))


def _value_html(text: str) -> str:
    return html.escape(text) if text != "" else '<span class="empty">empty</span>'


def _title(titles: Mapping[str, object] | None, output_id: str) -> str:
    spec = (titles or {}).get(output_id)
    if isinstance(spec, Mapping):
        spec = spec.get("title")
    return "" if spec is None else str(spec)


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """An HTML table; ``rows`` hold cell HTML (already escaped)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _source(file: object, sheet: object, row: object) -> str:
    if show(file) == "":
        return ""
    where = _e(file) + (f" [{_e(sheet)}]" if show(sheet) else "") + (f", row {_e(row)}" if show(row) else "")
    return f'<span class="src">{where}</span>'


def _cell_label(cell: pd.Series, labels: Mapping[str, str]) -> tuple[str, str, str]:
    """(group, characteristic, level) of a results cell, labelled where labels are known."""

    def label(name: str) -> str:
        return labels.get(name, name)

    groups = [
        f"{label(cell[g])} = {cell[f'{g}_level']}" if cell[f"{g}_level"] else label(cell[g])
        for g in ("group1", "group2")
        if cell[g]
    ]
    return "; ".join(groups), label(cell["variable"]), cell["variable_level"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def comparison_html(
    changes: pd.DataFrame,
    subjects: pd.DataFrame,
    cells: pd.DataFrame,
    summary: pd.DataFrame,
    before_cut: str,
    after_cut: str,
    *,
    study: str | None = None,
    titles: Mapping[str, object] | None = None,
    variable_labels: Mapping[str, str] | None = None,
) -> str:
    """The comparison as one self-contained HTML page (inline CSS, no scripts or external assets)."""
    labels = dict(variable_labels or {})
    b, a = html.escape(before_cut), html.escape(after_cut)
    of_study = f" of study {html.escape(study)}" if study else ""
    records = changes.drop_duplicates(["domain", "USUBJID", "key", "change"])
    n_records = records["change"].value_counts()
    n_cells = cells["change"].value_counts()
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Data cut {b} compared with {a}'
        f"{of_study}</title><style>{STYLE}</style></head><body>",
        f"<h1>What changed between data cut {b} and data cut {a}{of_study}</h1>",
        "<p>This page compares two data cuts of the same study: the <b>before</b> cut "
        f"({b}) and the <b>after</b> cut ({a}). It lists every result of the analysis whose value "
        "is different, and every patient, record and value of the harmonised data (the common "
        "model, named after CDISC SDTM domains) that was added, removed or corrected.</p>"
        "<p>Records are matched between the cuts on what identifies them clinically (the patient, "
        "the test or event, and its date; see <a href='#matching'>how records were matched</a>), "
        "not on sequence numbers or on where they sit in the sites' files. A record whose values "
        "are all the same is not listed, even if the site sent its file again or the row moved; "
        "such records are only counted. Numbers are compared to 10 decimal places. "
        "Empty values are shown as <span class='empty'>empty</span>.</p>",
        "<h2>Summary</h2>",
        _table(
            ["", "Count"],
            [
                ["Results cells changed", str(n_cells.get("changed", 0))],
                ["Results cells added (only in the after cut)", str(n_cells.get("added", 0))],
                ["Results cells removed (only in the before cut)", str(n_cells.get("removed", 0))],
                ["Outputs with a difference", str(cells["output_id"].nunique())],
                ["Patients or screened cases with a data change", str(len(subjects))],
                ["Records changed", str(n_records.get("changed", 0))],
                ["Values changed (in changed records)", str((changes["change"] == "changed").sum())],
                ["Records added", str(n_records.get("added", 0))],
                ["Records removed", str(n_records.get("removed", 0))],
                [
                    "Records unchanged but sent again (new file version or row)",
                    str(int(summary["resent_unchanged"].sum())) if len(summary) else "0",
                ],
            ],
            numeric={1},
        ),
    ]
    parts.append("<h2>Results that changed</h2>")
    if cells.empty:
        parts.append("<p>No result differs between the two cuts.</p>")
    for output_id, part in cells.groupby("output_id", sort=False):
        title = _title(titles, output_id)
        count = part["change"].value_counts()
        counts = ", ".join(f"{_plural(int(count[c]), 'cell')} {c}" for c in CHANGES if c in count)
        parts.append(
            f"<h3>{html.escape(output_id)}{': ' + html.escape(title) if title else ''}</h3><p>{html.escape(counts)}</p>"
        )
        rows = []
        for _, cell in part.iterrows():
            group, variable, level = _cell_label(cell, labels)
            statistic = cell["stat_label"] or cell["stat_name"]
            before = cell["stat_fmt_before"] or show(cell["stat_before"])
            after = cell["stat_fmt_after"] or show(cell["stat_after"])
            if cell["change"] == "changed" and before == after:  # the change is below the displayed precision
                before = f"{before} ({show(cell['stat_before'])})"
                after = f"{after} ({show(cell['stat_after'])})"
            rows.append(
                [
                    html.escape(group) if group else '<span class="empty">overall</span>',
                    html.escape(variable),
                    html.escape(level),
                    html.escape(statistic),
                    _value_html(before) if cell["change"] != "added" else '<span class="empty">not in this cut</span>',
                    _value_html(after) if cell["change"] != "removed" else '<span class="empty">not in this cut</span>',
                    f'<span class="{cell["change"]}">{cell["change"]}</span>',
                ]
            )
        parts.append(
            _table(
                [
                    "Group",
                    "Characteristic",
                    "Level",
                    "Statistic",
                    f"Before ({before_cut})",
                    f"After ({after_cut})",
                    "Change",
                ],
                rows,
            )
        )
    parts.append("<h2>Patients with changed data</h2>")
    if subjects.empty:
        parts.append("<p>No patient's data differ between the two cuts.</p>")
    else:
        parts.append(
            _table(
                [
                    "Subject",
                    "Site",
                    "Domains",
                    "Records added",
                    "Records removed",
                    "Records changed",
                    "Values changed",
                    "Note",
                ],
                [[_e(v) for v in row] for row in subjects[SUBJECT_COLUMNS].itertuples(index=False)],
                numeric={3, 4, 5, 6},
            )
        )
    parts.append("<h2>Records and values that changed</h2>")
    parts.append(
        _table(
            [
                "Domain",
                f"Records before ({before_cut})",
                f"Records after ({after_cut})",
                "Unchanged",
                "Unchanged, sent again",
                "Changed",
                "Added",
                "Removed",
                "Values changed",
            ],
            [[_e(v) for v in row] for row in summary[DOMAIN_SUMMARY_COLUMNS].itertuples(index=False)],
            numeric=set(range(1, 9)),
        )
    )
    for domain, part in changes.groupby("domain", sort=False):
        count = part.drop_duplicates(["USUBJID", "key", "change"])["change"].value_counts()
        counts = ", ".join(f"{int(count[c])} {c}" for c in CHANGES if c in count)
        rows = []
        for row in part.itertuples(index=False):
            before, after = row.before, row.after
            rows.append(
                [
                    _e(row.USUBJID),
                    _e(row.key),
                    f'<span class="{row.change}">{row.change}</span>',
                    _e(row.variable) if row.variable else '<span class="empty">whole record</span>',
                    _value_html(before) if row.change != "added" else '<span class="empty">not in this cut</span>',
                    _value_html(after) if row.change != "removed" else '<span class="empty">not in this cut</span>',
                    _source(row.file_before, row.sheet_before, row.row_before),
                    _source(row.file_after, row.sheet_after, row.row_after),
                ]
            )
        parts.append(
            f"<details open><summary>{html.escape(domain)}, records: {html.escape(counts)}</summary>"
            + _table(
                ["Subject", "Record", "Change", "Variable", "Before", "After", "Source before", "Source after"], rows
            )
            + "</details>"
        )
    if changes.empty:
        parts.append("<p>No record differs between the two cuts.</p>")
    parts.append(
        "<h2 id='matching'>How records were matched</h2><p>A record of one cut is the same record in the other "
        "when these variables are equal (USUBJID is the study-wide subject identifier). Sequence numbers "
        "(--SEQ) and the source file, sheet, row and checksum are not compared.</p>"
    )
    domains = _ordered_domains(set(summary["domain"])) if len(summary) else []
    parts.append(
        _table(
            ["Domain", "Natural key"],
            [
                [
                    html.escape(d),
                    html.escape(
                        ", ".join(natural_key(d, []))
                        .replace(IE_SCREENING_NUMBER, "screening number (IESTRESC of the SCRNID test)")
                        .replace(PR_PRODUCT, "product of a transfusion (PRTRT)")
                    ),
                ]
                for d in domains
            ],
        )
    )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def describe(changes: pd.DataFrame, cells: pd.DataFrame) -> str:
    """A one-line account for a log: counts of changed records and results cells."""
    records = changes.drop_duplicates(["domain", "USUBJID", "key", "change"])["change"].value_counts()
    count = cells["change"].value_counts()
    return json.dumps(
        {
            "records": {c: int(records.get(c, 0)) for c in CHANGES},
            "values_changed": int((changes["change"] == "changed").sum()),
            "cells": {c: int(count.get(c, 0)) for c in CHANGES},
        }
    )
