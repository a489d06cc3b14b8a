"""Harmonise: a site's validated extract -> the contract's canonical variables.

One generic mechanism driven by the site's dialect: rename columns to contract variables,
parse dates and decimals, map local codes, standardise free text through the vocabularies,
convert units to the standard ones (config/units.yaml), turn wide test layouts long.
A date column whose dialect declares partial forms (``partial_dates:``) is harmonised to
ISO 8601 text, full or partial (``"2019-03-05"``, ``"2019-03"``, ``"2019"``); other dates are
calendar dates. Each output row keeps the provenance of the source row (file, sha256, sheet, row) and
``SRCCOLS``, the source column of every variable it carries.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd

from inoflow.config import VARIABLE_QUANTITY, Site, load_contract, load_units
from inoflow.extract import parsing
from inoflow.extract.dialect import ColumnRule, DomainDialect, ParsedExtract
from inoflow.extract.ingest import PROVENANCE

log = logging.getLogger(__name__)

DOSE_DECIMALS = 3  # mg/m2 derived from mg / BSA is kept to 3 decimals


def canonical_columns(domain: str) -> list[str]:
    """Column order of a harmonised (canonical) table for a raw domain."""
    contract = load_contract()
    columns = ["SITEID"]
    for var, spec in contract.variables(domain).items():
        columns.append(var)
        if spec["type"] == "term":
            columns.append(f"{var}__STD")
    return columns


def harmonise_extract(
    accepted: pd.DataFrame, site: Site, domain: str, parsed: ParsedExtract | None = None
) -> pd.DataFrame:
    """Turn a validated extract (text cells) into the canonical table for the domain.

    ``parsed``: the accepted rows' values as validation parsed them (``ValidationResult.parsed``),
    so that each value is parsed once; without it, the accepted rows are parsed here."""
    if parsed is None:
        parsed = DomainDialect.of(site, domain).parse(accepted)
    layout = site.domain_spec(domain).get("layout", "records")
    if layout == "wide_tests":
        out = _harmonise_wide_tests(accepted, parsed)
    else:
        out = _harmonise_records(accepted, parsed)
    out.insert(0, "SITEID", site.site)
    for column in canonical_columns(domain):
        if column not in out.columns:
            out[column] = None
    extra = [c for c in out.columns if "__ORIG" in c]
    ordered = canonical_columns(domain) + extra + PROVENANCE + ["SRCCOLS"]
    out = out[ordered].reset_index(drop=True)
    log.info("%s %s: %d source rows -> %d canonical records", site.site, domain, accepted["SRCROW"].nunique(), len(out))
    return _apply_dtypes(out, domain)


def _parsed(rule: ColumnRule, parsed: ParsedExtract) -> pd.Series:
    if parsed.bad[rule.source].any():  # validation passed these rows, so this is a programming error
        dialect = parsed.dialect
        raise AssertionError(
            f"{dialect.site.site}/{dialect.domain}: unparsed cells survived validation in {rule.source!r}"
        )
    return parsed.values[rule.source]


def _harmonise_records(accepted: pd.DataFrame, parsed: ParsedExtract) -> pd.DataFrame:
    units = load_units()
    domain = parsed.dialect.domain
    columns: dict[str, object] = {}  # the output's columns in order, made into a frame once
    sources: dict[str, str] = {}
    rules = parsed.dialect.rules
    by_source = {r.source: r for r in rules}
    for rule in rules:
        values = _parsed(rule, parsed)
        sources[rule.variable] = rule.source
        if rule.vtype == "term":
            columns[rule.variable] = (
                accepted[rule.source].str.strip().astype("object").where(accepted[rule.source].notna(), None)
            )
            columns[f"{rule.variable}__STD"] = values
            continue
        quantity = VARIABLE_QUANTITY.get((domain, rule.variable))
        if rule.unit and quantity:
            unit_name = units.canonical_unit(rule.unit)
            columns[f"{rule.variable}__ORIG"] = accepted[rule.source]
            columns[f"{rule.variable}__ORIGU"] = rule.unit
            if unit_name in units.quantities[quantity].get("per_bsa", []):
                bsa = _parsed(by_source[rule.bsa_column], parsed)
                values = (values / bsa).round(DOSE_DECIMALS)
                sources[rule.variable] = f"{rule.source} / {rule.bsa_column}"
            else:
                values, _ = parsing.convert_units(values, pd.Series(rule.unit, index=values.index), quantity, units)
        columns[rule.variable] = values
    provenance = {c: accepted[c] for c in PROVENANCE}
    provenance["SRCCOLS"] = json.dumps(sources, ensure_ascii=False)
    if domain != "labs":
        return pd.DataFrame(columns | provenance, index=accepted.index)
    out = _convert_long_labs(pd.DataFrame(columns, index=accepted.index), accepted, sources, units)
    return out.assign(**provenance)


def _convert_long_labs(out: pd.DataFrame, accepted: pd.DataFrame, sources: dict[str, str], units) -> pd.DataFrame:
    """Long laboratory rows: convert VALUE and ULN to the test's standard unit row by row."""
    out["VALUE__ORIG"] = accepted[sources["VALUE"]]
    out["UNIT__ORIG"] = out["UNIT"]
    value = pd.Series(np.nan, index=out.index)
    uln = pd.Series(np.nan, index=out.index)
    unit = pd.Series(None, index=out.index, dtype="object")
    for test in out["TEST"].dropna().unique():
        rows = out["TEST"] == test
        value[rows] = parsing.convert_units(out.loc[rows, "VALUE"], out.loc[rows, "UNIT"], test, units)[0]
        if "ULN" in out:
            uln[rows] = parsing.convert_units(
                out.loc[rows, "ULN"].astype("float64"), out.loc[rows, "UNIT"], test, units
            )[0]
        unit[rows] = units.quantities[test]["standard"]
    out["VALUE"], out["UNIT"] = value, unit
    if "ULN" in out:
        out["ULN"] = uln
    return out


def _harmonise_wide_tests(accepted: pd.DataFrame, parsed: ParsedExtract) -> pd.DataFrame:
    """One row per date with a column per test -> one row per test and date."""
    units = load_units()
    dspec = parsed.dialect.site.domain_spec(parsed.dialect.domain)
    id_rules = [r for r in parsed.dialect.rules if r.source in dspec.get("columns", {})]
    ids = pd.DataFrame({r.variable: _parsed(r, parsed) for r in id_rules}, index=accepted.index)
    id_sources = {r.variable: r.source for r in id_rules}
    parts = []
    for test, tspec in dspec["tests"].items():
        raw_value = accepted[tspec["value"]]
        present = raw_value.notna()
        if not present.any():
            continue
        number = parsed.values[tspec["value"]][present]
        unit_text = pd.Series(tspec["unit"], index=number.index)
        part = ids.loc[present].copy()
        part["TEST"] = test
        part["VALUE"] = parsing.convert_units(number, unit_text, test, units)[0]
        part["UNIT"] = units.quantities[test]["standard"]
        part["VALUE__ORIG"] = raw_value[present]
        part["UNIT__ORIG"] = tspec["unit"]
        srccols = dict(id_sources, VALUE=tspec["value"])
        if "uln" in tspec:
            uln = parsed.values[tspec["uln"]][present]
            part["ULN"] = parsing.convert_units(uln, unit_text, test, units)[0]
            srccols["ULN"] = tspec["uln"]
        part[PROVENANCE] = accepted.loc[present, PROVENANCE]
        part["SRCCOLS"] = json.dumps(srccols, ensure_ascii=False)
        parts.append(part)
    out = pd.concat(parts) if parts else pd.DataFrame(columns=list(ids.columns) + PROVENANCE)
    return out.sort_values(["SRCROW", "TEST"], kind="stable")


def _apply_dtypes(out: pd.DataFrame, domain: str) -> pd.DataFrame:
    """Each column in its contract type (integer: Int64, number: float64, any other: objects with
    None for missing), the original and standardised texts as objects, SRCROW Int64."""
    types = {var: spec["type"] for var, spec in load_contract().variables(domain).items()}
    columns = {}
    for column, values in out.items():
        vtype = types.get(column)
        if vtype == "integer":
            values = pd.array(values, dtype="Int64")
        elif vtype == "number":
            values = pd.to_numeric(values).astype("float64")
        elif vtype is not None or column.endswith(("__ORIG", "__ORIGU", "__STD")):
            values = values.astype("object").where(values.notna(), None)
        elif column == "SRCROW":
            values = values.astype("Int64")
        columns[column] = values
    return pd.DataFrame(columns, index=out.index)
