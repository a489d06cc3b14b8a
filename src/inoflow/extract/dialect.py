"""A site's dialect, resolved: how each source column maps onto a contract variable, and
how its cells are parsed.

:class:`DomainDialect` is a site's dialect for one domain resolved once (reader settings and
column rules); :meth:`DomainDialect.parse` parses every declared column of an extract once into
a :class:`ParsedExtract`. Validation reports the cells that did not parse, harmonisation uses
the values: read -> parse once -> validate the parsed frame -> harmonise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from inoflow.config import Site, load_contract, partial_date_forms
from inoflow.errors import ConfigError
from inoflow.extract import parsing

_STRFTIME_HUMAN = {
    "%d": "dd",
    "%m": "mm",
    "%Y": "yyyy",
    "%y": "yy",
    "%b": "Mon",
    "%B": "Month",
    "%H": "HH",
    "%M": "MM",
    "%S": "SS",
}


def human_date_format(fmt: str) -> str:
    """'%d/%m/%Y' -> 'dd/mm/yyyy', as a statistician would write it."""
    return re.sub(r"%[a-zA-Z]", lambda m: _STRFTIME_HUMAN.get(m.group(0), m.group(0)), fmt)


@dataclass(frozen=True)
class ColumnRule:
    """How one source column maps onto one contract variable."""

    source: str
    variable: str
    vtype: str
    required: bool
    date_format: str | None = None
    codes: dict[str, str] | None = None
    codelist: list[str] | None = None
    vocabulary: str | None = None
    unit: str | None = None
    bsa_column: str | None = None
    partial_formats: tuple[str, ...] = ()  # a date column's declared partial forms (partial_dates:)


def column_rules(site: Site, domain: str) -> list[ColumnRule]:
    """The dialect's columns for a domain, resolved against the contract and site defaults."""
    contract = load_contract()
    variables = contract.variables(domain)
    dspec = site.domain_spec(domain)
    settings = site.reader(domain)
    rules = []
    for source, target in dspec.get("columns", {}).items():
        spec = {"to": target} if isinstance(target, str) else target
        var = spec["to"]
        vspec = variables[var]
        codelist_name = vspec.get("codelist")
        codes = dict(site.spec.get("codelists", {}).get(codelist_name, {})) if codelist_name else None
        if codes is not None and "codes" in spec:
            codes.update(spec["codes"])
        rules.append(
            ColumnRule(
                source=source,
                variable=var,
                vtype=vspec["type"],
                required=bool(vspec.get("required")),
                date_format=spec.get("date_format", settings["date_format"]) if vspec["type"] == "date" else None,
                codes=codes,
                codelist=contract.codelists.get(codelist_name) if codelist_name else None,
                vocabulary=vspec.get("vocabulary"),
                unit=spec.get("unit"),
                bsa_column=spec.get("bsa_column"),
                partial_formats=_partial_formats(spec, vspec, site, domain, source),
            )
        )
    if dspec.get("layout") == "wide_tests":
        for tspec in dspec["tests"].values():
            rules.append(ColumnRule(tspec["value"], "VALUE", "number", False, unit=tspec["unit"]))
            if "uln" in tspec:
                rules.append(ColumnRule(tspec["uln"], "ULN", "number", False, unit=tspec["unit"]))
    return rules


@dataclass(frozen=True)
class DomainDialect:
    """A site's dialect for one domain, resolved once against the contract and the site's
    defaults: what validation and harmonisation share."""

    site: Site
    domain: str
    settings: dict
    rules: tuple[ColumnRule, ...]

    @classmethod
    def of(cls, site: Site, domain: str) -> DomainDialect:
        return cls(site, domain, site.reader(domain), tuple(column_rules(site, domain)))

    def parse(self, frame: pd.DataFrame) -> ParsedExtract:
        """Every declared column of ``frame`` parsed once by its rule (a column the file lacks
        is left out: validation reports it)."""
        values, bad = {}, {}
        for rule in self.rules:
            if rule.source in frame.columns and rule.source not in values:
                values[rule.source], bad[rule.source] = parse_column(rule, frame[rule.source], self.site, self.domain)
        return ParsedExtract(self, values, bad)


@dataclass(frozen=True)
class ParsedExtract:
    """An extract's declared columns parsed once: the typed values and the cells that did not
    parse, per source column, indexed as the extract's rows."""

    dialect: DomainDialect
    values: dict[str, pd.Series]
    bad: dict[str, pd.Series]

    def rows(self, index: pd.Index) -> ParsedExtract:
        """The same, for some of the rows (those validation accepted)."""
        return ParsedExtract(
            self.dialect,
            {c: v.loc[index] for c, v in self.values.items()},
            {c: b.loc[index] for c, b in self.bad.items()},
        )


def _partial_formats(spec: dict, vspec: dict, site: Site, domain: str, source: str) -> tuple[str, ...]:
    """A column's declared partial-date forms (:func:`inoflow.config.partial_date_forms`; the
    workflow checked them when it started, a job loading an unchecked dialect checks them here)."""
    try:
        return partial_date_forms(spec, vspec["type"])
    except ValueError as exc:
        raise ConfigError(f"{site.path.name}: domains/{domain}/columns/{source}/partial_dates: {exc}") from None


def parse_column(rule: ColumnRule, values: pd.Series, site: Site, domain: str) -> tuple[pd.Series, pd.Series]:
    """Parse one column by its rule: (typed values, mask of unparseable cells)."""
    settings = site.reader(domain)
    if rule.vtype == "date" and rule.partial_formats:
        return parsing.parse_date_or_partial(values, rule.date_format, list(rule.partial_formats))
    if rule.vtype == "date":
        return parsing.parse_date(values, rule.date_format)
    if rule.vtype == "number":
        return parsing.parse_number(values, settings["decimal"], settings["thousands"])
    if rule.vtype == "integer":
        return parsing.parse_integer(values, settings["decimal"], settings["thousands"])
    if rule.vtype == "year":
        return parsing.parse_year(values)
    if rule.vtype == "code":
        return parsing.map_codes(values, rule.codes or {}, rule.codelist or [])
    if rule.vtype == "term":
        extra = site.spec.get("vocabularies", {}).get(rule.vocabulary, {})
        return parsing.standardise_terms(values, rule.vocabulary, extra)
    return values.astype("string").str.strip().astype("object").where(values.notna(), None), pd.Series(
        False, index=values.index
    )


def describe_rule(rule: ColumnRule, site: Site, domain: str) -> str:
    settings = site.reader(domain)
    if rule.vtype == "date" and rule.partial_formats:
        partial = " or ".join(human_date_format(f) for f in rule.partial_formats)
        return (
            f"{rule.variable} must be a calendar date written {human_date_format(rule.date_format)}, "
            f"or a partial date written {partial} (the dialect's partial_dates)"
        )
    if rule.vtype == "date":
        return f"{rule.variable} must be a calendar date written {human_date_format(rule.date_format)}"
    if rule.vtype in ("number", "integer"):
        kind = "a whole number" if rule.vtype == "integer" else "a number"
        return f"{rule.variable} must be {kind} with decimal separator {settings['decimal']!r}"
    if rule.vtype == "year":
        return f"{rule.variable} must be a four-digit year"
    if rule.vtype == "code":
        local = sorted(rule.codes or {})
        return f"{rule.variable} must be one of the declared codes {local or rule.codelist}"
    if rule.vtype == "term":
        return f"{rule.variable} must be a term of the {rule.vocabulary} vocabulary (or a site synonym)"
    return f"{rule.variable} must be text"
