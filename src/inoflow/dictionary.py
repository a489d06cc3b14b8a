"""The data dictionary: every raw domain, common-model (SDTM) domain and ADaM dataset with its
variables, generated from the sources of truth so that it is written once.

- **raw** domains (what a site sends): ``config/contract.yaml``: each variable's description,
  type, unit, codelist or vocabulary, whether it is required, its plausible range and the
  common-model variable it feeds. Which domains every site must send is the check
  :data:`inoflow.model.quality.REQUIRED_DOMAINS` (common-model domains, traced back to the raw
  domains that feed them).
- **sdtm** domains: the pandera models of :mod:`inoflow.schemas.sdtm` (variables, types,
  controlled values, ranges), the labels of ``inoflow.schemas.sdtm.LABELS`` and, for each
  variable, the contract variable or constant it comes from.
- **adam** datasets: the pandera models of :mod:`inoflow.schemas.adam` (``MODELS`` and the
  safety flags of ``ADSLSafety``): label (``Field(title=...)``, else
  ``inoflow.schemas.adam.LABELS``), definition (``Field(description=...)``), type, controlled
  values, the record rules that concern the variable, and its derivation: the ``derive_*``
  function of ``src/inoflow/adam/`` whose docstring names it (first paragraph), with the keys
  of ``config/definitions/<study>.yaml`` that function reads.

:func:`write_dictionary` writes ``docs/data-dictionary.html`` (a contents list, one section per
domain or dataset, a table of its variables) and ``docs/data-dictionary.csv`` (one row per
dataset and variable, :data:`COLUMNS`). Paths come from ``root``, the project folder (default:
the working folder), never from where the package is installed.

    .venv/bin/python scripts/data_dictionary.py
"""

from __future__ import annotations

import html
import importlib
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from inoflow.config import Contract, load_contract

COLUMNS = ["level", "dataset", "variable", "label", "type", "required", "codelist", "definition", "source", "rules"]
"""The columns of the CSV dictionary: one row per dataset and variable."""

LEVELS = {
    "raw": "Raw extracts (what a site sends: config/contract.yaml)",
    "sdtm": "Common model (SDTM-named domains: schemas/sdtm.py)",
    "adam": "Analysis datasets (ADaM: schemas/adam.py)",
}

OUTPUTS = ("data-dictionary.html", "data-dictionary.csv")

_DTYPES = {"str": "text", "int64": "integer", "Int64": "integer", "float64": "float", "datetime64[ns]": "date"}
_CONTRACT_TYPES = {"string": "text", "code": "text", "term": "text", "date": "text", "year": "text"}
_CONTRACT_TYPES |= {"integer": "integer", "number": "float"}
_IDENTIFIERS = ("STUDYID", "USUBJID", "SUBJID", "SITEID")
_RANGES = {
    "greater_than_or_equal_to": ("min_value", ">="),
    "greater_than": ("min_value", ">"),
    "less_than_or_equal_to": ("max_value", "<="),
    "less_than": ("max_value", "<"),
    "not_equal_to": ("value", "!="),
    "equal_to": ("value", "=="),
}


@dataclass
class Dataset:
    """One section of the dictionary: a raw domain, an SDTM domain or an ADaM dataset."""

    level: str
    name: str
    description: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    variables: list[dict[str, str]] = field(default_factory=list)
    parameters: list[dict[str, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"{self.level}-{self.name}".lower()


def build_dictionary(root: Path | None = None) -> list[Dataset]:
    """Every raw domain, SDTM domain and ADaM dataset with its variables, in that order."""
    root = Path.cwd() if root is None else Path(root)
    contract = load_contract(root / "config" / "contract.yaml")
    return [*raw_domains(contract), *sdtm_domains(contract), *adam_datasets()]


def dictionary_frame(datasets: list[Dataset]) -> pd.DataFrame:
    """One row per dataset and variable (:data:`COLUMNS`)."""
    rows = [
        {"level": d.level, "dataset": d.name, **{c: v.get(c, "") for c in COLUMNS[2:]}}
        for d in datasets
        for v in d.variables
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def write_dictionary(root: Path | None = None, out_dir: Path | None = None) -> list[Path]:
    """Write the HTML and CSV dictionaries into ``out_dir`` (default ``<root>/docs``)."""
    root = Path.cwd() if root is None else Path(root)
    out_dir = root / "docs" if out_dir is None else Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    datasets = build_dictionary(root)
    html_path, csv_path = (out_dir / name for name in OUTPUTS)
    html_path.write_text(render_html(datasets), encoding="utf-8")
    csv_path.write_text(dictionary_frame(datasets).to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return [html_path, csv_path]


# ---------------------------------------------------------------------------------------------
# Raw extracts: the contract
# ---------------------------------------------------------------------------------------------


def required_raw_domains(contract: Contract) -> dict[str, list[str]]:
    """The raw domains every site must send, each with the common-model domains that require
    it: the sources of :data:`inoflow.model.quality.REQUIRED_DOMAINS` (the check that refuses a site
    sending none of them)."""
    from inoflow.model.quality import REQUIRED_DOMAINS

    required: dict[str, list[str]] = {}
    for sdtm in REQUIRED_DOMAINS:
        for raw in contract.sources_of(sdtm):
            required.setdefault(raw, []).append(sdtm)
    return {raw: required[raw] for raw in contract.domains if raw in required}


def _feeds(name: str, spec: dict) -> dict[str, list[str]]:
    """Contract variable -> the common-model variables it becomes, from the ``sdtm:`` mapping."""
    feeds: dict[str, list[str]] = {}

    def add(variable: str, target: str) -> None:
        variable = variable.removesuffix("__STD")
        feeds.setdefault(variable, [])
        if target not in feeds[variable]:
            feeds[variable].append(target)

    for domain, mapping in spec["sdtm"].items():
        for target, variable in mapping.get("columns", {}).items():
            suffix = " (standardised)" if variable.endswith("__STD") else ""
            add(variable, f"{domain}.{target}{suffix}")
        for variable in mapping.get("subject_from", []):
            add(variable, f"{domain}.SUBJID")
        if mapping["kind"] == "findings":
            for testcd, test in mapping["tests"].items():
                add(test["variable"], f"{domain}.{domain}TESTCD {testcd}")
                if "method" in test:
                    add(test["method"], f"{domain}.{domain}METHOD")
        if mapping["kind"] == "long":
            add(mapping["test"], f"{domain}.{domain}TESTCD")
            add(mapping["value"], f"{domain}.{domain}ORRES")
            add(mapping["unit"], f"{domain}.{domain}ORRESU")
            if "uln" in mapping:
                add(mapping["uln"], f"{domain}.{domain}STNRHI")
        if "date" in mapping:
            add(mapping["date"], f"{domain}.{domain}DTC")
    return feeds


def raw_domains(contract: Contract) -> list[Dataset]:
    required = required_raw_domains(contract)
    out = []
    for name, spec in contract.domains.items():
        one_of = {v: group for group in spec.get("one_of", []) for v in group}
        feeds = _feeds(name, spec)
        facts = [
            (
                "a site must send it",
                f"yes (inoflow.model.quality.REQUIRED_DOMAINS: {', '.join(required[name])})"
                if name in required
                else "no",
            ),
            ("key", ", ".join(spec.get("key", []))),
            ("feeds", ", ".join(spec["sdtm"])),
        ]
        if spec.get("one_of"):
            facts.append(("at least one of", "; ".join(", ".join(group) for group in spec["one_of"])))
        variables = []
        for variable, var in spec["variables"].items():
            if var["type"] == "code":
                codelist = f"{var['codelist']}: {', '.join(contract.codelists[var['codelist']])}"
            elif var["type"] == "term":
                codelist = f"vocabulary {var['vocabulary']} (config/vocabularies/{var['vocabulary']}.yaml)"
            else:
                codelist = ""
            if var.get("required"):
                needed = "Y"
            elif variable in one_of:
                needed = "one of " + ", ".join(one_of[variable])
            else:
                needed = "N"
            rules = []
            if variable in spec.get("key", []):
                rules.append("part of the key")
            if "plausible" in var:
                low, high = var["plausible"]
                rules.append(f"plausible {low} to {high}" + (f" {var['unit']}" if "unit" in var else ""))
            if "earliest" in var:
                rules.append(f"not before {var['earliest']}")
            if "not_before" in var:
                rules.append(f"not before {var['not_before']}")
            variables.append(
                {
                    "variable": variable,
                    "label": var.get("description", ""),
                    "type": var["type"] + (f" ({var['unit']})" if "unit" in var else ""),
                    "required": needed,
                    "codelist": codelist,
                    "source": "feeds " + ", ".join(feeds[variable]) if variable in feeds else "",
                    "rules": "; ".join(rules),
                }
            )
        out.append(Dataset("raw", name, " ".join(spec["description"].split()), facts, variables))
    return out


# ---------------------------------------------------------------------------------------------
# Common model: schemas/sdtm.py and the contract's mapping
# ---------------------------------------------------------------------------------------------


def _column_values(column) -> tuple[str, list[str]]:
    """The allowed values (``isin``) and the other column checks (ranges, patterns) in words."""
    values, rules = "", []
    for check in column.checks:
        stats = check.statistics or {}
        if check.name == "isin":
            values = ", ".join(str(v) for v in stats["allowed_values"])
        elif check.name in _RANGES:
            key, symbol = _RANGES[check.name]
            rules.append(f"{symbol} {stats[key]}")
        elif check.name == "str_matches":
            rules.append(f"matches {stats['pattern']}")
        elif check.name == "str_length":
            rules.append(f"length {stats.get('min_value')} to {stats.get('max_value')}")
        elif check.name == "calendar_date":
            continue
        else:
            rules.append(check.error or check.name)
    return values, rules


def _record_rules(schema) -> dict[str, list[str]]:
    """Variable -> the record rules (dataframe checks) that report it (first of their columns)."""
    rules: dict[str, list[str]] = {}
    for check in schema.checks:
        columns = (check.statistics or {}).get("columns")
        if columns and check.error:
            rules.setdefault(columns[0], []).append(check.error)
    return rules


def _sources(contract: Contract, domain: str) -> dict[str, list[str]]:
    """SDTM variable -> where its values come from (contract variable, constant, tests)."""
    sources: dict[str, list[str]] = {f"{domain}SEQ": ["numbered per subject, in date order (inoflow.model.build)"]}
    for raw in contract.sources_of(domain):
        mapping = contract.domains[raw]["sdtm"][domain]
        for target, variable in mapping.get("columns", {}).items():
            standard = variable.endswith("__STD")
            text = f"{raw}.{variable.removesuffix('__STD')}" + (" standardised" if standard else "")
            sources.setdefault(target, []).append(text)
        for target, value in mapping.get("constants", {}).items():
            sources.setdefault(target, []).append(f"{raw}: constant {value!r}")
        if mapping["kind"] in ("findings", "long"):
            tests = mapping.get("tests", {}).values()
            generic = {
                "TESTCD": "one record per test",
                "TEST": "the test's label",
                "ORRES": "the value as sent",
                "ORRESU": "the unit as sent",
                "STRESC": "the value in the standard unit, as text",
                "STRESN": "the value in the standard unit",
                "STRESU": "the standard unit",
            }
            if any("specimen" in t for t in tests):
                generic["SPEC"] = "the test's specimen"
            methods = [t["method"] for t in tests if "method" in t]
            if methods:
                generic["METHOD"] = f"{raw}.{methods[0]}"
            for suffix, text in generic.items():
                sources.setdefault(f"{domain}{suffix}", []).append(text if "." in text else f"{raw}: {text}")
        if "date" in mapping:
            sources.setdefault(f"{domain}DTC", []).append(f"{raw}.{mapping['date']}")
        if mapping["kind"] == "long":
            if "uln" in mapping:
                sources.setdefault(f"{domain}STNRHI", []).append(f"{raw}.{mapping['uln']}")
    return sources


def _tests(contract: Contract, domain: str) -> dict[str, str]:
    """--TESTCD -> its label and source variable, from the contract's findings and long mappings."""
    tests: dict[str, str] = {}
    for raw in contract.sources_of(domain):
        mapping = contract.domains[raw]["sdtm"][domain]
        for testcd, test in mapping.get("tests", {}).items():
            unit = f", {test['unit']}" if "unit" in test else ""
            tests[testcd] = f"{testcd} ({test['label']}{unit}; {raw}.{test['variable']})"
        for testcd, label in mapping.get("labels", {}).items():
            tests[testcd] = f"{testcd} ({label}; {raw}.{mapping['test']})"
    return tests


def _definition(description: str | None, label: str) -> str:
    """The schema's description, unless it only repeats the label."""
    return "" if not description or description.lower() == label.lower() else description


def _first_paragraph(text: str | None) -> str:
    return " ".join((inspect.cleandoc(text or "").split("\n\n") or [""])[0].split())


def _sdtm_label(sdtm, name: str, variable: str, column=None) -> str:
    """``Field(title=...)``, else the CDISC label (``LABELS``, then the findings suffix), else the
    schema's description."""
    title = column.title if column is not None else None
    suffix = sdtm.FINDINGS_LABELS.get(variable[len(name) :]) if variable.startswith(name) else None
    description = column.description if column is not None else None
    return title or sdtm.LABELS.get(variable) or suffix or description or ""


def _mapped_type(contract: Contract, name: str, variable: str, texts: list[str]) -> str:
    """The type of a variable the contract maps but the model does not declare."""
    if variable[len(name) :] in ("STRESN", "STNRHI"):
        return "float"
    if variable == f"{name}SEQ":
        return "integer"
    for text in texts:
        raw, _, source = text.partition(".")
        spec = contract.domains.get(raw, {}).get("variables", {}).get(source.split(" ")[0])
        if spec:
            return _CONTRACT_TYPES[spec["type"]]
    return "text"


def sdtm_domains(contract: Contract) -> list[Dataset]:
    from inoflow.schemas import sdtm

    out = []
    for name in contract.sdtm_domains():
        model = sdtm.MODELS[name]
        sources = _sources(contract, name)
        tests = _tests(contract, name)
        facts = [("fed by", ", ".join(contract.sources_of(name))), ("model", f"inoflow.schemas.sdtm.{name}")]
        variables = []
        for variable, column in model.to_schema().columns.items():
            values, rules = _column_values(column)
            if variable == f"{name}TESTCD" and tests:
                values = "; ".join(tests.get(code, code) for code in (values.split(", ") if values else tests))
            label = _sdtm_label(sdtm, name, variable, column)
            variables.append(
                {
                    "variable": variable,
                    "label": label,
                    "type": _DTYPES.get(str(column.dtype), str(column.dtype)),
                    "required": "N" if column.nullable or not column.required else "Y",
                    "codelist": values,
                    "definition": _definition(column.description, label),
                    "source": "; ".join(sources.get(variable, [])),
                    "rules": "; ".join(rules),
                }
            )
        declared = {v["variable"] for v in variables}
        for variable, texts in sources.items():  # built by inoflow.model.build as the contract maps it
            if variable in declared:
                continue
            always = variable == f"{name}SEQ" or all(": constant" in t or ": one record" in t for t in texts)
            variables.append(
                {
                    "variable": variable,
                    "label": _sdtm_label(sdtm, name, variable),
                    "type": _mapped_type(contract, name, variable, texts),
                    "required": "Y" if always else "N",
                    "codelist": "",
                    "definition": "",
                    "source": "; ".join(texts),
                    "rules": "not checked by schemas/sdtm.py",
                }
            )
        out.append(Dataset("sdtm", name, _first_paragraph(model.__doc__), facts, variables))
    return out


# ---------------------------------------------------------------------------------------------
# ADaM: schemas/adam.py and the derivations of src/inoflow/adam/
# ---------------------------------------------------------------------------------------------


def _derivations(module_name: str) -> list[tuple[str, str, str, list[str]]]:
    """(function name, first docstring paragraph, source, definition keys read) of every
    ``derive_*`` function of ``inoflow.adam.<module_name>``, in source order."""
    module = importlib.import_module(f"inoflow.adam.{module_name}")
    functions = [
        (name, fn)
        for name, fn in vars(module).items()
        if name.startswith("derive") and inspect.isfunction(fn) and fn.__module__ == module.__name__
    ]
    functions.sort(key=lambda item: item[1].__code__.co_firstlineno)
    out = []
    for name, fn in functions:
        code = inspect.getsource(fn)
        keys = re.findall(r"definitions(?:\[\"(\w+)\"\]|\.get\(\"(\w+)\")", code)
        keys = sorted({a or b for a, b in keys})
        out.append((name, _first_paragraph(fn.__doc__), f"inoflow.adam.{module_name}.{name}", keys))
    return out


def _derivation_of(variable: str, derivations: list, builder: str) -> str:
    """The function deriving ``variable``, by the docstring convention of src/inoflow/adam/ (the
    first paragraph names the derived variables): ``derive_var_<variable>``; else the first
    ``derive_vars_*`` naming it; else another ``derive_*`` naming it as a variable (not in prose:
    "MRD negative", nor inside a parenthesis with a colon, "(``first_response``: USUBJID, ADT)");
    else the dataset's builder, named alone (its summary heads the dataset's section)."""
    named = re.compile(rf"(?<![\w.]){re.escape(variable)}(?!\w)")
    as_variable = re.compile(rf"(?<![\w.]){re.escape(variable)}(?!\w| [a-z])")
    if variable in _IDENTIFIERS:
        return next((d[2] for d in derivations if d[0] == builder), "")
    exact = [d for d in derivations if d[0] == f"derive_var_{variable.lower()}"]
    several = [d for d in derivations if d[0].startswith("derive_vars_") and named.search(d[1])]
    other = [
        d
        for d in derivations
        if d[0] != builder
        and not d[0].startswith("derive_var")
        and as_variable.search(re.sub(r"\([^()]*:[^()]*\)", "", d[1]))
    ]
    chosen = (exact or several or other)[:1]
    if not chosen:
        return next((d[2] for d in derivations if d[0] == builder), "")
    _, summary, where, keys = chosen[0]
    definitions = f" [config/definitions/<study>.yaml: {', '.join(keys)}]" if keys else ""
    return f"{where}: {summary}{definitions}"


def _parameters(name: str) -> list[dict[str, str]]:
    """The parameters (PARAMCD) a BDS dataset holds, as declared in its derivation module."""
    if name == "ADRS":
        from inoflow.adam.adrs import PARAMS

        return [{"PARAMCD": code, "PARAM": param} for code, param in PARAMS.items()]
    if name == "ADTTE":
        from inoflow.adam.adtte import TTE_PARAMETERS

        return [
            {
                "PARAMCD": p.paramcd,
                "PARAM": p.param,
                "population": p.population,
                "start": p.start_date,
                "events": ", ".join(e.description for e in p.events),
                "censoring": ", ".join(f"{c.description} ({c.date})" for c in p.censors),
                "definition": " ".join(f"{p.definition} {p.note}".split()),
            }
            for p in TTE_PARAMETERS.values()
        ]
    if name == "ADRU":
        from inoflow.analysis.costs import PARAMS

        return [{"PARAMCD": code, "PARAM": param, "SRCDOM": srcdom} for code, (param, srcdom) in PARAMS.items()]
    return []


def _display_name(variable: str, regex: bool) -> str:
    """A column declared by a pattern (ADELIG ``^IC[A-Z0-9]+$``) shown as ``IC*``."""
    return re.sub(r"\[[^\]]*\][+*]", "*", variable.strip("^$")) if regex else variable


def adam_datasets() -> list[Dataset]:
    from inoflow.schemas import adam

    models = {**adam.MODELS, "ADSLSafety": adam.ADSLSafety}
    modules = {"ADSLSafety": "adae"}
    builders = {"ADSLSafety": "derive_subject_safety_flags"}
    out = []
    for name, model in models.items():
        schema = model.to_schema()
        module = modules.get(name, name.lower())
        builder = builders.get(name, f"derive_{name.lower()}")
        derivations = _derivations(module)
        record_rules = _record_rules(schema)
        columns = schema.columns
        if name == "ADSLSafety":
            columns = {c: v for c, v in columns.items() if c not in adam.ADSL.to_schema().columns}
        built_by = next((d for d in derivations if d[0] == builder), None)
        facts = [("model", f"inoflow.schemas.adam.{name}")]
        if name in adam.RECORD_KEYS:
            facts.append(("record key", ", ".join(adam.RECORD_KEYS[name])))
        if built_by:
            keys = f" [config/definitions/<study>.yaml: {', '.join(built_by[3])}]" if built_by[3] else ""
            facts.append(("derived by", f"{built_by[2]}: {built_by[1]}{keys}"))
        parameters = _parameters(name)
        variables = []
        for variable, column in columns.items():
            values, rules = _column_values(column)
            if variable == "PARAMCD" and parameters:
                values = "; ".join(f"{p['PARAMCD']} ({p['PARAM']})" for p in parameters)
            label = column.title or adam.LABELS.get(variable) or column.description or ""
            variables.append(
                {
                    "variable": _display_name(variable, column.regex),
                    "label": label,
                    "type": _DTYPES.get(str(column.dtype), str(column.dtype)),
                    "required": "N" if column.nullable or not column.required else "Y",
                    "codelist": values,
                    "definition": _definition(column.description, label),
                    "source": _derivation_of(variable, derivations, builder),
                    "rules": "; ".join([*rules, *record_rules.get(variable, [])]),
                }
            )
        out.append(Dataset("adam", name, _first_paragraph(model.__doc__), facts, variables, parameters))
    return out


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 90em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 2em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.var { font-family: monospace; font-weight: bold; white-space: nowrap; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; }
dd { margin: 0; }
nav ul ul { columns: 4; }
"""

_HEADERS = {
    "raw": ["variable", "label", "type", "required", "codelist", "source", "rules"],
    "sdtm": ["variable", "label", "type", "required", "codelist", "definition", "source", "rules"],
    "adam": ["variable", "label", "type", "required", "codelist", "definition", "source", "rules"],
}
_HEADER_TEXT = {"source": "source / derivation", "codelist": "codelist / allowed values"}
_INTRO = {
    "raw": "What each site sends, domain by domain, in the contract's canonical variables. A site maps its "
    "own files, sheets, columns, formats, units and codes onto them in its dialect "
    "(config/sites/&lt;study&gt;/&lt;site&gt;.yaml). <i>source</i>: the common-model variables a variable feeds.",
    "sdtm": "The harmonised common model, one parquet file per domain (results/&lt;study&gt;/&lt;cut&gt;/sdtm/), "
    "pooled over the sites and validated against schemas/sdtm.py. <i>source</i>: the contract variable or "
    "constant a variable comes from.",
    "adam": "The analysis datasets (results/&lt;study&gt;/&lt;cut&gt;/adam/), each validated against its pandera "
    "model. <i>definition</i>: the schema's description; <i>source / derivation</i>: the function of "
    "src/inoflow/adam/ that derives the variable and the definitions it reads; <i>rules</i>: what the "
    "schema checks.",
}


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(headers: list[str], rows: list[dict[str, str]], first_class: str = "var") -> str:
    head = "".join(f"<th>{_e(_HEADER_TEXT.get(h, h))}</th>" for h in headers)
    body = []
    for row in rows:
        cells = [
            f'<td class="{first_class}">{_e(row.get(h, ""))}</td>' if i == 0 else f"<td>{_e(row.get(h, ''))}</td>"
            for i, h in enumerate(headers)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>"


def render_html(datasets: list[Dataset]) -> str:
    """One self-contained page: contents, then one section per domain or dataset."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>inoflow data dictionary</title>',
        f"<style>{_STYLE}</style></head><body>",
        "<h1>inoflow data dictionary</h1>",
        "<p>Generated by <code>.venv/bin/python scripts/data_dictionary.py</code> from config/contract.yaml, "
        "schemas/sdtm.py, schemas/adam.py and the derivations of src/inoflow/adam/ (do not edit by hand; "
        "tests/test_dictionary.py fails when it is out of date). The same content, one row per dataset and "
        'variable: <a href="data-dictionary.csv">data-dictionary.csv</a>.</p>',
        "<nav><h2>Contents</h2><ul>",
    ]
    for level, title in LEVELS.items():
        links = "".join(f'<li><a href="#{d.anchor}">{_e(d.name)}</a></li>' for d in datasets if d.level == level)
        parts.append(f'<li><a href="#{level}">{_e(title)}</a><ul>{links}</ul></li>')
    parts.append("</ul></nav>")
    for level, title in LEVELS.items():
        parts.append(f'<h2 id="{level}">{_e(title)}</h2>')
        parts.append(f"<p>{_INTRO[level]}</p>")
        for d in (d for d in datasets if d.level == level):
            parts.append(f'<section id="{d.anchor}"><h3>{_e(d.name)}</h3>')
            parts.append(f"<p>{_e(d.description)}</p>")
            if d.facts:
                facts = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in d.facts)
                parts.append(f"<dl>{facts}</dl>")
            if d.parameters:
                parts.append("<h4>Parameters</h4>")
                parts.append(_table(list(d.parameters[0]), d.parameters))
            parts.append("<h4>Variables</h4>")
            parts.append(_table(_HEADERS[level], d.variables))
            parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
