"""Build the common model (CDISC SDTM-named domains) from canonical tables.

The contract declares, for each raw domain, which SDTM domains it feeds and how
(``sdtm:`` in config/contract.yaml):

- ``record``: one SDTM record per canonical row, columns renamed, constants added;
- ``findings``: one record per canonical row and test whose variable is filled
  (--TESTCD, --TEST, --ORRES, --ORRESU, --STRESC, --STRESN, --STRESU, --SPEC, --METHOD);
- ``long``: canonical rows already one per test (laboratory layout).

Dates (``--DTC``) are ISO 8601 text; a date a site sent partial (its dialect's
``partial_dates``) stays partial, ``"2019-03"`` or ``"2019"``, as SDTM keeps it.

Every record gets STUDYID, DOMAIN, USUBJID (``<STUDYID>-<SITEID>-<SUBJID>``), SITEID,
--SEQ and the provenance of the source row.
"""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd

from inoflow.config import load_contract

log = logging.getLogger(__name__)

PROVENANCE_OUT = ["SRCFILE", "SRCSHA256", "SRCSHEET", "SRCROW", "SRCCOLS"]


def make_usubjid(studyid: str, siteid: pd.Series, subjid: pd.Series) -> pd.Series:
    """USUBJID = STUDYID-SITEID-SUBJID, unique across the study."""
    return studyid + "-" + siteid.astype(str) + "-" + subjid.astype(str)


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def build_sdtm_domain(name: str, canonical: dict[str, pd.DataFrame], studyid: str) -> pd.DataFrame:
    """One SDTM domain from the canonical tables of the raw domains that feed it.

    ``canonical`` maps raw domain name -> canonical table (all sites of the study).
    """
    contract = load_contract()
    parts = []
    for raw_domain in contract.sources_of(name):
        table = canonical.get(raw_domain)
        if table is None or table.empty:
            continue
        part = _part(name, raw_domain, table)
        part.insert(0, "USUBJID", make_usubjid(studyid, part["SITEID"], part["SUBJID"]))
        parts.append(part)
    if not parts:  # no site of the study sends its sources: empty, with the columns it would have
        raw_domain = contract.sources_of(name)[0]
        part = _part(name, raw_domain, _empty_canonical(raw_domain))
        part.insert(0, "USUBJID", pd.Series(dtype="object"))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for column, spec in _model_columns(name).items():  # a variable no site of the study sends: empty
        if column not in out.columns and column not in PROVENANCE_OUT:
            out[column] = pd.Series(index=out.index, dtype=_empty_dtype(spec))
    out.insert(0, "STUDYID", studyid)
    out.insert(1, "DOMAIN", name)
    dtc = [c for c in out.columns if c.endswith("DTC")]
    for column in dtc:  # ISO 8601 text, full ("2019-03-05") or partial ("2019-03", "2019"), before sorting on it
        out[column] = out[column].map(_iso).astype("object")
    sort_keys = ["USUBJID"] + dtc[:1] + [c for c in ("SRCFILE", "SRCROW") if c in out]
    out = out.sort_values(sort_keys, kind="stable", na_position="first").reset_index(drop=True)
    out.insert(out.columns.get_loc("SITEID") + 1, f"{name}SEQ", out.groupby("USUBJID").cumcount() + 1)
    front = [c for c in out.columns if c not in PROVENANCE_OUT]
    out = out[front + PROVENANCE_OUT]
    if out.empty:  # the model's types, as a filled domain has them
        for column, spec in {**_model_columns(name), "SRCROW": None}.items():
            out[column] = out[column].astype("Int64" if column in ("SRCROW", f"{name}SEQ") else _empty_dtype(spec))
    log.debug("%s: %d records for %d subjects", name, len(out), out["USUBJID"].nunique())
    return out


def _part(name: str, raw_domain: str, table: pd.DataFrame) -> pd.DataFrame:
    """The records of one SDTM domain from one raw domain's canonical table, by the kind of
    mapping the contract declares (record, findings, long)."""
    spec = load_contract().domains[raw_domain]["sdtm"][name]
    builder = {"record": _records, "findings": _findings, "long": _long}[spec["kind"]]
    return builder(name, spec, table)


def _empty_canonical(raw_domain: str) -> pd.DataFrame:
    """A harmonised table of a raw domain with no rows: SITEID, its contract variables with the
    values as sent (``__ORIG``, ``__ORIGU``) and standardised terms (``__STD``), the provenance."""
    variables = load_contract().variables(raw_domain)
    columns = ["SITEID", *variables]
    columns += [f"{v}{suffix}" for v in variables for suffix in ("__ORIG", "__ORIGU", "__STD")]
    return pd.DataFrame({c: pd.Series(dtype="object") for c in [*columns, *PROVENANCE_OUT]})


def _model_columns(name: str) -> dict:
    """The columns of a domain's pandera model (schemas/sdtm.py), by name."""
    from inoflow.schemas.sdtm import MODELS

    identifiers = {"STUDYID", "DOMAIN", "USUBJID"}
    columns = MODELS[name].to_schema().columns if name in MODELS else {}
    return {c: spec for c, spec in columns.items() if c not in identifiers}


def _empty_dtype(column) -> str:
    """The pandas dtype of a pandera column, for an empty domain (text columns as object)."""
    dtype = str(column.dtype) if column is not None and column.dtype is not None else "object"
    return dtype if dtype in ("int64", "Int64", "float64") else "object"


def _records(name: str, spec: dict, table: pd.DataFrame) -> pd.DataFrame:
    rows = table
    if "where_present" in spec:
        rows = table[table[spec["where_present"]].notna()]
    out = pd.DataFrame(index=rows.index)
    out["SUBJID"] = rows["SUBJID"]
    out["SITEID"] = rows["SITEID"]
    for target, source in spec["columns"].items():
        if target in ("SUBJID",):
            continue
        out[target] = rows[source] if source in rows else None
    for target, value in spec.get("constants", {}).items():
        out[target] = value
    out[PROVENANCE_OUT] = rows[PROVENANCE_OUT]
    return out


def _subject(spec: dict, rows: pd.DataFrame) -> pd.Series:
    """SUBJID of each row: the first filled of ``subject_from`` (default SUBJID)."""
    columns = spec.get("subject_from", ["SUBJID"])
    subject = rows[columns[0]]
    for column in columns[1:]:
        subject = subject.where(subject.notna(), rows[column])
    return subject


def _findings(name: str, spec: dict, table: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for testcd, test in spec["tests"].items():
        variable = test["variable"]
        rows = table[table[variable].notna()]
        if rows.empty:
            continue
        part = pd.DataFrame(index=rows.index)
        part["SUBJID"] = _subject(spec, rows)
        part["SITEID"] = rows["SITEID"]
        part[f"{name}TESTCD"] = testcd
        part[f"{name}TEST"] = test["label"]
        original = rows.get(f"{variable}__ORIG")
        part[f"{name}ORRES"] = original if original is not None else rows[variable].map(_text)
        part[f"{name}ORRESU"] = rows.get(f"{variable}__ORIGU", test.get("unit"))
        numeric = (
            pd.to_numeric(rows[variable], errors="coerce")
            if rows[variable].map(lambda v: isinstance(v, (int, float))).all()
            else None
        )
        part[f"{name}STRESC"] = rows[variable].map(_text)
        part[f"{name}STRESN"] = numeric.astype("float64") if numeric is not None else float("nan")
        part[f"{name}STRESU"] = test.get("unit")
        if "specimen" in test:
            part[f"{name}SPEC"] = test["specimen"]
        if "method" in test:
            part[f"{name}METHOD"] = rows[test["method"]]
        if "date" in spec:
            part[f"{name}DTC"] = rows[spec["date"]]
        part[PROVENANCE_OUT] = rows[PROVENANCE_OUT]
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["SUBJID", "SITEID"])
    return pd.concat(parts)


def _long(name: str, spec: dict, table: pd.DataFrame) -> pd.DataFrame:
    rows = table
    if "include_tests" in spec:
        rows = rows[rows[spec["test"]].isin(spec["include_tests"])]
    if "exclude_tests" in spec:
        rows = rows[~rows[spec["test"]].isin(spec["exclude_tests"])]
    out = pd.DataFrame(index=rows.index)
    out["SUBJID"] = rows["SUBJID"]
    out["SITEID"] = rows["SITEID"]
    out[f"{name}TESTCD"] = rows[spec["test"]]
    out[f"{name}TEST"] = rows[spec["test"]].map(spec["labels"])
    out[f"{name}ORRES"] = rows[f"{spec['value']}__ORIG"]
    out[f"{name}ORRESU"] = rows[f"{spec['unit']}__ORIG"]
    out[f"{name}STRESC"] = rows[spec["value"]].map(_text)
    out[f"{name}STRESN"] = rows[spec["value"]].astype("float64")
    out[f"{name}STRESU"] = rows[spec["unit"]]
    if "uln" in spec:
        out[f"{name}STNRHI"] = rows[spec["uln"]].astype("float64")
    out[f"{name}DTC"] = rows[spec["date"]]
    out[PROVENANCE_OUT] = rows[PROVENANCE_OUT]
    return out
