"""Shared pieces of the ADaM derivations: the study definitions, dates, comparisons written as
data, treatment exposure, HSCT dates and the provenance an ADaM record carries.

Dates in ADaM datasets are ``datetime64[ns]`` at midnight (``ADT``, ``TRTSDT``, ...); SDTM dates
are ISO 8601 text (``--DTC``). A partial ISO date (``2019`` or ``2019-05``) is not a calendar
date: each derivation first imputes it by the study's declared rule (``date_imputation:`` in the
definitions, admiral's ``derive_vars_dt``: :func:`impute_partial_dates`), or stops with an error
naming where it is; the birth year is imputed by its own definition (:func:`impute_partial_date`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inoflow.config import read_yaml

PROVENANCE = ["SRCFILE", "SRCSHA256", "SRCSHEET", "SRCROW", "SRCCOLS"]
"""Provenance columns of every SDTM record, carried into ADaM records from one source record."""

TRACE = ["SRCDOM", "SRCSEQ", *PROVENANCE]
"""Traceability columns of an ADaM record: source domain, its --SEQ, and the source row."""

REQUIRED_DEFINITIONS = (
    "month_days",
    "landmarks_months",
    "complete_remission",
    "relapse",
    "mrd_negativity",
    "disease_burden",
    "dose",
    "age_groups",
    "age_imputation",
    "salvage_line_groups",
    "liver_toxicity",
    "hematological_toxicities",
    "toxicity_window",
    "vod",
    "hsct",
    "relapse_free_survival",
    "lost_to_follow_up_windows",
    "site_response_labels",
)

MONTH_DAYS = 30.4375
"""Days per month (365.25 / 12), as ``month_days`` in the definitions files."""

OPERATORS = {
    "gt": np.greater,
    "ge": np.greater_equal,
    "lt": np.less,
    "le": np.less_equal,
    "eq": np.equal,
}


# ---------------------------------------------------------------------------------------------
# Definitions
# ---------------------------------------------------------------------------------------------


def load_definitions(path: str | Path) -> dict:
    """Read a study's definitions file (``config/definitions/<study>.yaml``) and check that every
    parameter the derivations use is there.

    >>> d = load_definitions("config/definitions/india.yaml")
    >>> d["month_days"], d["complete_remission"]["marrow_blasts_pct"]
    (30.4375, {'le': 5})
    """
    path = Path(path)
    definitions = read_yaml(path)  # libyaml where PyYAML has it
    if not isinstance(definitions, dict):
        raise ValueError(f"{path}: a definitions file is a mapping")
    missing = [key for key in REQUIRED_DEFINITIONS if key not in definitions]
    if missing:
        raise ValueError(f"{path}: missing definitions {missing}")
    return definitions


def compare(values: pd.Series | float, rule: Mapping[str, float]) -> pd.Series | bool:
    """Apply a comparison written as data (``{ge: 18, le: 65}``): every operator must hold.
    Missing values never satisfy a rule.

    >>> compare(pd.Series([4.9, 5.0, 5.1, None]), {"le": 5}).tolist()
    [True, True, False, False]
    >>> compare(100.0, {"gt": 100})
    False
    """
    unknown = set(rule) - set(OPERATORS) - {"label"}
    if unknown:
        raise ValueError(f"unknown comparison operators {sorted(unknown)} in {dict(rule)}")
    scalar = not isinstance(values, pd.Series)
    series = pd.Series([values]) if scalar else values
    numeric = pd.to_numeric(series, errors="coerce").astype("float64")
    result = numeric.notna()
    for op, bound in rule.items():
        if op in OPERATORS:
            result &= pd.Series(OPERATORS[op](numeric.to_numpy(), float(bound)), index=series.index)
    return bool(result.iloc[0]) if scalar else result


def categorise(values: pd.Series, categories: list[Mapping[str, Any]]) -> pd.Series:
    """The label of the first category whose comparison holds (``None`` if none does).

    >>> groups = [{"label": "18-65", "ge": 18, "le": 65}, {"label": ">65", "gt": 65}]
    >>> categorise(pd.Series([18, 65, 66, 17]), groups).tolist()
    ['18-65', '18-65', '>65', None]
    """
    out = pd.Series([None] * len(values), index=values.index, dtype="object")
    for category in categories:
        hit = compare(values, category) & out.isna()
        out[hit] = category["label"]
    return out


def round_half_up(values: pd.Series, decimals: int) -> pd.Series:
    """Round to ``decimals`` half away from zero, on the decimal value (``0.8 + 0.5 + 0.5``
    summed in floating point is 1.8, not 1.7999999999999998 or 1.8000000000000003).

    >>> round_half_up(pd.Series([0.8 + 0.5 + 0.5, 1.25, 1.35, 2.449999]), 1).tolist()
    [1.8, 1.3, 1.4, 2.4]
    """
    quantum = Decimal(1).scaleb(-decimals)

    def one(value: float) -> float:
        if pd.isna(value):
            return np.nan
        exact = Decimal(repr(round(float(value), 9)))  # float noise below 1e-9 removed first
        return float(exact.quantize(quantum, rounding=ROUND_HALF_UP))

    return pd.to_numeric(values, errors="coerce").map(one).astype("float64")


def yn(flags: pd.Series) -> pd.Series:
    """Booleans as ADaM flags 'Y'/'N' (missing stays missing).

    >>> yn(pd.Series([True, False, None])).tolist()
    ['Y', 'N', None]
    """

    def one(value: Any) -> str | None:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return None
        return "Y" if bool(value) else "N"

    return flags.map(one).astype("object")


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


def conform(frame: pd.DataFrame, columns: list[str], dates=(), floats=(), integers=()) -> pd.DataFrame:
    """Give a derived dataset every column of its specification (empty where not derived) and
    the types of its dates (``datetime64``), decimals (``float64``) and whole numbers (``Int64``).

    >>> conform(pd.DataFrame({"A": ["1"]}), ["A", "B"], integers=["A"]).dtypes.astype(str).tolist()
    ['Int64', 'object']
    """
    out = frame.copy()
    for column in columns:
        if column not in out.columns:
            out[column] = None
    for column in dates:
        out[column] = to_date(out[column])
    for column in floats:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    for column in integers:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    return out


def to_date(values: Any) -> pd.Series:
    """Calendar dates (``datetime64[ns]``, midnight) from ISO 8601 text, ``datetime.date`` or
    timestamps; partial or invalid dates are missing.

    >>> to_date(pd.Series(["2019-05-07", "2019-05", None])).dt.strftime("%Y-%m-%d").tolist()
    ['2019-05-07', nan, nan]
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.tz_localize(None).dt.normalize() if series.dt.tz is not None else series.dt.normalize()
    text = series.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    full = text.where(text.astype("string").str.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?").fillna(False).astype(bool))
    return pd.to_datetime(full.astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")


def impute_partial_date(values: pd.Series, month: int, day: int) -> pd.Series:
    """Dates from ISO text that may be partial: ``YYYY`` -> ``YYYY-<month>-<day>``,
    ``YYYY-MM`` -> ``YYYY-MM-<day>``; full dates are kept.

    >>> impute_partial_date(pd.Series(["1985", "1985-03", "1985-03-09"]), 7, 1).dt.strftime("%Y-%m-%d").tolist()
    ['1985-07-01', '1985-03-01', '1985-03-09']
    """
    text = values.astype("string").str.strip()
    text = text.where(~text.str.fullmatch(r"\d{4}").fillna(False), text + f"-{month:02d}-{day:02d}")
    text = text.where(~text.str.fullmatch(r"\d{4}-\d{2}").fillna(False), text + f"-{day:02d}")
    return to_date(text)


IMPUTATION_LEVELS = ("n", "D", "M")
"""admiral's ``highest_imputation`` levels this workflow allows: none, the day, month and day. A
date whose year is unknown is not a date (the dialect cannot declare one), so ``Y`` is refused."""

DATE_IMPUTATIONS = ("first", "mid", "last")

OWN_IMPUTATION = {"BRTHDTC": "age_imputation"}
"""SDTM dates imputed by a definition of their own, not by ``date_imputation``."""


def impute_dtc_dt(dtc: pd.Series, highest_imputation: str = "n", date_imputation: str = "first") -> pd.DataFrame:
    """Impute ISO 8601 dates that may be partial, as admiral's ``impute_dtc_dt`` and
    ``compute_dtf`` do: columns ``DT`` (the date, ``datetime64``) and ``DTF`` (the imputation
    flag: ``D`` when the day was imputed, ``M`` when month and day were, missing for a full
    date).

    ``highest_imputation`` ``D`` imputes a missing day, ``M`` a missing day or month and day;
    ``n`` imputes nothing. A date missing more than the highest level allows stays missing here
    (``DT`` missing, as admiral returns NA); :func:`impute_partial_dates` refuses it instead.
    ``date_imputation`` ``first`` (day 1, 1 January), ``mid`` (day 15, 30 June, as admiral) or
    ``last`` (the month's last day, leap years counted; 31 December).

    >>> dates = pd.Series(["2019-03", "2019", "2020-02", "2019-03-05", None])
    >>> out = impute_dtc_dt(dates, "M", "last")
    >>> out["DT"].dt.strftime("%Y-%m-%d").tolist(), out["DTF"].tolist()
    (['2019-03-31', '2019-12-31', '2020-02-29', '2019-03-05', nan], ['D', 'M', 'D', None, None])
    """
    if highest_imputation not in IMPUTATION_LEVELS:
        raise ValueError(f"highest_imputation must be one of {IMPUTATION_LEVELS}, not {highest_imputation!r}")
    if date_imputation not in DATE_IMPUTATIONS:
        raise ValueError(f"date_imputation must be one of {DATE_IMPUTATIONS}, not {date_imputation!r}")
    missing = partial_level(dtc)
    allowed = {"n": set(), "D": {"D"}, "M": {"D", "M"}}[highest_imputation]
    imputable = missing.isin(allowed)
    text = dtc.astype("string").str.strip().str.slice(0, 10)
    day_for_month = {"first": "01", "mid": "15"}
    whole_year = {"first": "-01-01", "mid": "-06-30", "last": "-12-31"}[date_imputation]
    filled = text.copy()
    year_only = imputable & missing.eq("M")
    filled[year_only] = text[year_only] + whole_year
    month_only = imputable & missing.eq("D")
    if date_imputation == "last":
        month_start = pd.to_datetime(text[month_only] + "-01", format="%Y-%m-%d", errors="coerce")
        filled[month_only] = (month_start + pd.offsets.MonthEnd(0)).dt.strftime("%Y-%m-%d")
    else:
        filled[month_only] = text[month_only] + "-" + day_for_month[date_imputation]
    out = pd.DataFrame({"DT": to_date(filled.where(missing.isna() | imputable))}, index=dtc.index)
    out["DTF"] = missing.where(imputable & out["DT"].notna()).astype("object")
    out["DTF"] = out["DTF"].where(out["DTF"].notna(), None)
    return out


def partial_level(dtc: pd.Series) -> pd.Series:
    """What an ISO 8601 date lacks: ``D`` for ``2019-03`` (the day), ``M`` for ``2019`` (month and
    day), missing for a full date, an empty cell or anything else.

    >>> partial_level(pd.Series(["2019-03", "2019", "2019-03-05", None])).tolist()
    ['D', 'M', None, None]
    """
    text = dtc.astype("string").str.strip()
    level = pd.Series(None, index=dtc.index, dtype="object")
    level[text.str.fullmatch(r"\d{4}-\d{2}").fillna(False).astype(bool)] = "D"
    level[text.str.fullmatch(r"\d{4}").fillna(False).astype(bool)] = "M"
    return level.where(level.notna(), None)


def date_imputation_rules(definitions: dict) -> dict[str, dict]:
    """The study's imputation rule of each SDTM date (``date_imputation:`` in the definitions),
    checked: a rule names ``highest_imputation`` (n, D, M) and, when it imputes,
    ``date_imputation`` (first, mid, last). An SDTM date with no rule is imputed never."""
    rules = definitions.get("date_imputation") or {}
    for dtc, rule in rules.items():
        where = f"definitions date_imputation: {dtc}"
        if not str(dtc).endswith("DTC") or not isinstance(rule, dict):
            raise ValueError(f"{where}: a rule is '<--DTC>: {{highest_imputation: ..., date_imputation: ...}}'")
        unknown = set(rule) - {"highest_imputation", "date_imputation", "adam", "reason", "min_dates", "max_dates"}
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if rule.get("highest_imputation") not in IMPUTATION_LEVELS:
            raise ValueError(f"{where}: highest_imputation must be one of {IMPUTATION_LEVELS}")
        if rule["highest_imputation"] != "n" and rule.get("date_imputation") not in DATE_IMPUTATIONS:
            raise ValueError(f"{where}: date_imputation must be one of {DATE_IMPUTATIONS}")
        for key in ("min_dates", "max_dates"):
            wrong = [d for d in rule.get(key, []) if d not in REFERENCE_DATES]
            if wrong:
                raise ValueError(f"{where}: {key} may name {sorted(REFERENCE_DATES)}, not {wrong}")
    return rules


# Subject-level dates an imputation may be bounded by (admiral's min_dates / max_dates), each
# from the common model: the first InO dose and the death date (both complete: never imputed).
REFERENCE_DATES = {"TRTSDT": ("EX", "EXSTDTC", "min"), "DTHDT": ("DS", "DSDTHDTC", "min")}


def _reference_dates(sdtm: dict[str, pd.DataFrame], name: str) -> pd.Series:
    """One subject-level reference date (REFERENCE_DATES) per USUBJID, as a timestamp."""
    domain, column, how = REFERENCE_DATES[name]
    frame = sdtm.get(domain)
    if frame is None or column not in frame.columns or frame.empty:
        return pd.Series(dtype="datetime64[ns]")
    dates = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
    return dates.groupby(frame["USUBJID"]).agg(how).dropna()


def bound_imputed(
    imputed: pd.Series, dtc: pd.Series, subjects: pd.Series, minimum: list[pd.Series], maximum: list[pd.Series]
) -> pd.Series:
    """admiral's ``min_dates`` / ``max_dates``: an imputed date is moved up to a subject's
    reference date (e.g. the first dose) when that date lies within the days the partial date
    may be and the imputation fell before it, and down to one (e.g. death) when it fell after:
    an AE that started "2019-03" under a first dose of 2019-03-10 starts 2019-03-10, not
    2019-03-01, so that it is not called pre-treatment by the imputation alone.

    >>> dtc = pd.Series(["2019-03", "2019-03", "2019-04-02"])
    >>> imputed = pd.Series(pd.to_datetime(["2019-03-01", "2019-03-01", "2019-04-02"]))
    >>> first = pd.Series(pd.to_datetime(["2019-03-10", "2019-02-10"]), index=["A", "B"])
    >>> bound_imputed(imputed, dtc, pd.Series(["A", "B", "A"]), [first], []).dt.strftime("%d/%m").tolist()
    ['10/03', '01/03', '02/04']
    """
    from inoflow.extract.parsing import iso_date_bounds

    partial = partial_level(dtc).notna()
    low, high = iso_date_bounds(dtc)
    out = imputed.copy()
    for reference in minimum:
        ref = subjects.map(reference)
        move = partial & ref.notna() & (low <= ref) & (ref <= high) & (out < ref)
        out[move] = ref[move]
    for reference in maximum:
        ref = subjects.map(reference)
        move = partial & ref.notna() & (low <= ref) & (ref <= high) & (out > ref)
        out[move] = ref[move]
    return out


def impute_partial_dates(sdtm: dict[str, pd.DataFrame], definitions: dict) -> dict[str, pd.DataFrame]:
    """The common model with every partial ``--DTC`` imputed by the study's declared rule
    (``date_imputation:``, :func:`impute_dtc_dt`), and its imputation flag beside it
    (``AESTDTC`` -> ``AESTDTF``: ``D`` or ``M``, missing when the date was complete), so that
    every derivation reads one imputed date; an ADaM date takes the flag of its source
    (``ASTDTF`` from ``AESTDTF``).

    A partial date the rule does not allow to impute (no rule, ``highest_imputation: n``, or
    month unknown under ``D``) raises :class:`~inoflow.errors.ExtractError` listing every such
    date with its site, file, sheet, row, the source column as the site named it, and the rule.
    Called first by each ``derive_*`` entry; applying it twice changes nothing.

    >>> ae = pd.DataFrame({"USUBJID": ["A", "A"], "AESTDTC": ["2019-03", "2019-03-05"]})
    >>> rules = {"date_imputation": {"AESTDTC": {"highest_imputation": "M", "date_imputation": "first"}}}
    >>> impute_partial_dates({"AE": ae}, rules)["AE"][["AESTDTC", "AESTDTF"]].values.tolist()
    [['2019-03-01', 'D'], ['2019-03-05', None]]
    """
    from inoflow.errors import ExtractError

    rules = date_imputation_rules(definitions)
    out, problems = {}, []
    for name, frame in sdtm.items():
        if frame is None:
            out[name] = frame
            continue
        frame = frame.copy()
        for column in [c for c in frame.columns if c.endswith("DTC") and c not in OWN_IMPUTATION]:
            flag = f"{column[:-1]}F"
            if flag in frame.columns:
                continue  # imputed already
            levels = partial_level(frame[column])
            if levels.isna().all():
                continue
            rule = rules.get(column, {"highest_imputation": "n"})
            imputed = impute_dtc_dt(frame[column], rule["highest_imputation"], rule.get("date_imputation", "first"))
            if rule.get("min_dates") or rule.get("max_dates"):
                imputed["DT"] = bound_imputed(
                    imputed["DT"],
                    frame[column],
                    frame["USUBJID"],
                    [_reference_dates(sdtm, d) for d in rule.get("min_dates", [])],
                    [_reference_dates(sdtm, d) for d in rule.get("max_dates", [])],
                )
            refused = levels.notna() & imputed["DT"].isna()
            problems += [_partial_date_finding(name, frame.loc[i], column, rule) for i in frame.index[refused]]
            frame[column] = imputed["DT"].dt.strftime("%Y-%m-%d").where(imputed["DT"].notna(), frame[column])
            frame[flag] = imputed["DTF"]
        out[name] = frame
    if problems:
        raise ExtractError(problems)
    return out


def _partial_date_finding(name: str, record: pd.Series, column: str, rule: dict):
    """The finding of a partial date that may not be imputed, located in the site's file."""
    import json

    from inoflow.config import load_contract
    from inoflow.errors import Finding

    contract = load_contract()
    sent = json.loads(record["SRCCOLS"]) if isinstance(record.get("SRCCOLS"), str) else {}
    source = column
    for raw in contract.sources_of(name):
        spec = contract.domains[raw]["sdtm"][name]
        variable = spec.get("columns", {}).get(column) if spec["kind"] == "record" else spec.get("date")
        if variable in sent:
            source = sent[variable]
            break
    unknown = "the day is" if partial_level(pd.Series([record[column]])).iloc[0] == "D" else "month and day are"
    level = rule["highest_imputation"]
    allowed = {"n": "no imputation of it", "D": "imputing at most its day (highest_imputation: D)"}[level]
    reason = f" ({rule['reason']})" if rule.get("reason") else ""
    row, sheet = record.get("SRCROW"), record.get("SRCSHEET")
    return Finding(
        site=str(record.get("SITEID", "")),
        file=str(record.get("SRCFILE", "")),
        sheet="" if sheet is None or pd.isna(sheet) else str(sheet),
        row=None if row is None or pd.isna(row) else int(row),
        column=source,
        value=str(record[column]),
        rule=(
            f"{name} {column} is a partial date ({unknown} unknown) and the study's definitions allow "
            f"{allowed}{reason}: ask the site for the full date, or declare how to impute it "
            f"(date_imputation: {column} in config/definitions/<study>.yaml)"
        ),
        category="completeness",
    )


def add_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add a date column for each ISO ``--DTC`` column (``CMSTDTC`` -> ``CMSTDT``)."""
    out = frame.copy()
    for column in frame.columns:
        if column.endswith("DTC") and column[:-1] not in out.columns:
            out[column[:-1]] = to_date(frame[column])
    return out


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """CDISC study day: ``date - reference + 1`` on or after the reference, ``date - reference``
    before it (there is no day 0).

    >>> ref = pd.Series(pd.to_datetime(["2020-01-10"] * 3))
    >>> study_day(pd.Series(pd.to_datetime(["2020-01-10", "2020-01-11", "2020-01-09"])), ref).tolist()
    [1, 2, -1]
    """
    days = (to_date(dates) - to_date(reference)).dt.days
    return (days + (days >= 0).astype(int)).where(days.notna()).astype("Int64")


def months(days: Any, month_days: float = MONTH_DAYS) -> Any:
    """Days as months: ``days / month_days`` (the definitions' ``month_days``, 30.4375 =
    365.25 / 12, is the default).

    >>> round(months(182), 2), months(365.25, 30.4375)
    (5.98, 12.0)
    """
    return days / month_days


# ---------------------------------------------------------------------------------------------
# Exposure, HSCT, provenance
# ---------------------------------------------------------------------------------------------


def cycle_doses(ex: pd.DataFrame) -> pd.DataFrame:
    """One row per subject and InO cycle: ``EXCYCLE``, ``CYSTDT`` (its first dose date) and
    ``CYDOSE`` (the sum of its doses in mg/m2, unrounded)."""
    doses = ex.assign(EXSTDT=to_date(ex["EXSTDTC"]), EXDOSE=pd.to_numeric(ex["EXDOSE"], errors="coerce"))
    doses = doses[doses["EXDOSE"].fillna(0) > 0]
    out = (
        doses.groupby(["USUBJID", "EXCYCLE"], as_index=False)
        .agg(CYSTDT=("EXSTDT", "min"), CYDOSE=("EXDOSE", "sum"))
        .sort_values(["USUBJID", "CYSTDT", "EXCYCLE"], kind="stable")
    )
    out["EXCYCLE"] = out["EXCYCLE"].astype("int64")
    return out.reset_index(drop=True)


def treatment_exposure(ex: pd.DataFrame) -> pd.DataFrame:
    """Treatment exposure per subject from EX: ``TRTSDT`` (first dose), ``TRTEDT`` (last dose),
    ``NCYCLES`` (cycles with at least one dose), ``CYCSTDTS`` (the cycles' start dates, in
    order), ``C1DOSE`` (cycle-1 total dose in mg/m2, unrounded).

    Registry: "The median number of cycles of InO a participant received during treatment were
    included. Standard dose of InO: 1.8 mg/m^2 per 21 days cycle."
    """
    doses = ex.assign(EXSTDT=to_date(ex["EXSTDTC"]))
    doses = doses[pd.to_numeric(doses["EXDOSE"], errors="coerce").fillna(0) > 0]
    cycles = cycle_doses(ex)
    dates = doses.groupby("USUBJID")["EXSTDT"].agg(TRTSDT="min", TRTEDT="max")
    starts = cycles.sort_values(["USUBJID", "CYSTDT"], kind="stable").assign(CYSTDT=lambda f: f["CYSTDT"].dt.date)
    per_cycle = cycles.groupby("USUBJID").agg(NCYCLES=("EXCYCLE", "nunique"))
    per_cycle["CYCSTDTS"] = starts.groupby("USUBJID")["CYSTDT"].agg(list)
    c1 = cycles[cycles["EXCYCLE"] == 1].set_index("USUBJID")["CYDOSE"].rename("C1DOSE")
    out = dates.join(per_cycle).join(c1).reset_index()
    out["NCYCLES"] = out["NCYCLES"].astype("Int64")
    return out


def cycle_at(frame: pd.DataFrame, ex: pd.DataFrame, date_column: str) -> pd.Series:
    """The InO cycle a date falls in: the cycle of the latest dose on or before the date
    (missing before the first dose). Aligned with ``frame``'s index."""
    doses = ex.assign(_DT=to_date(ex["EXSTDTC"]), _CYCLE=pd.to_numeric(ex["EXCYCLE"], errors="coerce"))
    doses = doses[pd.to_numeric(doses["EXDOSE"], errors="coerce").fillna(0) > 0]
    doses = doses.dropna(subset=["_DT", "_CYCLE"]).sort_values("_DT")[["USUBJID", "_DT", "_CYCLE"]]
    left = pd.DataFrame({"USUBJID": frame["USUBJID"], "_DT": to_date(frame[date_column]), "_ROW": frame.index})
    known = left.dropna(subset=["_DT"]).sort_values("_DT")
    if known.empty or doses.empty:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    merged = pd.merge_asof(known, doses, on="_DT", by="USUBJID", direction="backward")
    out = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    out.loc[merged["_ROW"].to_numpy()] = merged["_CYCLE"].astype("Int64").to_numpy()
    return out


def first_hsct(pr: pd.DataFrame, exposure: pd.DataFrame, definitions: dict) -> pd.DataFrame:
    """The first HSCT on or after the first InO dose, per subject: ``HSCTDT`` with the PR
    record's ``PRSEQ`` and provenance.

    Registry: "HSCT is the transplantation of multipotent hematopoietic stem cells to treat some
    type of cancers and other diseases."
    """
    prcat = definitions["hsct"]["prcat"]
    columns = ["USUBJID", "HSCTDT", "PRSEQ", "PRTRT", *PROVENANCE]
    if pr is None or pr.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "HSCTDT" else "object") for c in columns})
    pr = pr.assign(**{c: None for c in ("PRTRT", *PROVENANCE) if c not in pr.columns})
    records = pr[pr["PRCAT"] == prcat] if "PRCAT" in pr.columns else pr
    records = records.assign(HSCTDT=to_date(records["PRSTDTC"])).merge(
        exposure[["USUBJID", "TRTSDT"]], on="USUBJID", how="inner"
    )
    records = records[records["HSCTDT"].notna() & (records["HSCTDT"] >= records["TRTSDT"])]
    records = records.sort_values(["USUBJID", "HSCTDT", "PRSEQ"], kind="stable").drop_duplicates("USUBJID")
    return records[columns].reset_index(drop=True)


def trace(records: pd.DataFrame, domain: str, seq_column: str) -> pd.DataFrame:
    """The traceability columns of ADaM records that each come from one SDTM record of
    ``domain``: ``SRCDOM``, ``SRCSEQ`` (its --SEQ) and the source-row provenance."""
    columns = {
        "SRCDOM": domain,
        "SRCSEQ": pd.to_numeric(records[seq_column], errors="coerce").astype("Int64"),
        **{c: records[c] if c in records.columns else None for c in PROVENANCE},
    }
    return pd.DataFrame(columns, index=records.index)


def with_trace(records: pd.DataFrame, domain: str, seq_column: str) -> pd.DataFrame:
    """``records`` with their traceability columns (:func:`trace`) in place of the SDTM
    provenance columns."""
    kept = records.drop(columns=[c for c in TRACE if c in records.columns])
    return pd.concat([kept, trace(records, domain, seq_column)], axis=1)


def empty_trace(index: pd.Index) -> pd.DataFrame:
    """Missing traceability columns (derived records with no single source record)."""
    columns = {"SRCDOM": None, "SRCSEQ": pd.Series(pd.NA, index=index, dtype="Int64"), **dict.fromkeys(PROVENANCE)}
    return pd.DataFrame(columns, index=index)


def subjects(dm: pd.DataFrame) -> pd.DataFrame:
    """The study's subjects (one DM record each): STUDYID, USUBJID, SUBJID, SITEID."""
    return dm[["STUDYID", "USUBJID", "SUBJID", "SITEID"]].drop_duplicates("USUBJID").reset_index(drop=True)


def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate record frames, ignoring empty frames and columns a frame has no value in
    (they come back as missing through alignment)."""
    kept = [f.dropna(axis=1, how="all") for f in frames if f is not None and len(f)]
    if not kept:
        return pd.DataFrame()
    return pd.concat(kept, ignore_index=True)


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values of text columns as ``None`` (not NaN), so that a parquet column has one
    type; provenance text columns as plain ``object``."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype).startswith("string"):
            values = out[column].astype("object")
            out[column] = values.where(values.notna(), None)
    return out


def add_sequence(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sort by ``keys`` and number the records of each subject ``ASEQ`` 1, 2, ..."""
    out = frame.drop(columns=["ASEQ"], errors="ignore").sort_values(keys, kind="stable", na_position="last")
    out = out.reset_index(drop=True)
    out.insert(out.columns.get_loc("USUBJID") + 1, "ASEQ", out.groupby("USUBJID").cumcount() + 1)
    return out
