"""Loading and checking the workflow's configuration.

Every configuration file is validated against its JSON schema in ``workflow/schemas/`` when
loaded; checks a schema cannot express (a dialect naming a contract variable that does not
exist, a unit with no conversion) raise :class:`ConfigError` naming the file and the value.

Every path is taken from the working folder (the folder Snakemake runs in: ``--directory``, or
where it was started) and from the configuration, never from where this package is installed:
relative paths in the configuration are relative to the working folder, and the defaults below
(``config/contract.yaml`` ...) are looked up there when a function is called. Only the JSON
schemas, which belong to the code, come with the package (``inoflow.config_schemas``).
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inoflow.errors import ConfigError

# libyaml's safe loader where PyYAML was built with it (about 10x faster; every job reads the configuration)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The configuration's JSON schemas (workflow/schemas/, installed with the package as its data)
SCHEMA_PACKAGE = "inoflow.config_schemas"

CONTRACT_FILE = Path("config/contract.yaml")
UNITS_FILE = Path("config/units.yaml")
CONFIG_FILE = Path("config/config.yaml")
VOCABULARIES_DIR = Path("config/vocabularies")


def working_root(root: str | Path | None = None) -> Path:
    """The folder relative configuration paths start from: ``root`` if given, else the working
    folder at the time of the call (never the package's location)."""
    return Path.cwd() if root is None else Path(root).resolve()


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file, naming the file in any error."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


@functools.cache
def _schema_text(schema_name: str) -> str:
    """The text of ``workflow/schemas/<schema_name>.schema.yaml`` (installed with the package)."""
    from importlib.resources import files

    return files(SCHEMA_PACKAGE).joinpath(f"{schema_name}.schema.yaml").read_text(encoding="utf-8")


@functools.cache
def _schema_validator(schema_name: str):
    """The validator of ``workflow/schemas/<schema_name>.schema.yaml``, read once per process
    (a study's every site file is checked against the same schema)."""
    import jsonschema  # imported here: it is slow to import and only the workflow's start needs it

    schema = yaml.load(_schema_text(schema_name), Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)
    return jsonschema.Draft202012Validator(schema)


# A document found valid is remembered as an empty file named by the SHA-256 of the schema's
# text, the validator's version and the document's content (nothing else: no path, no value),
# so that Snakemake's every start does not validate the same unchanged files again (about
# 0.3 s of a 1.7 s no-op on the demo's 32 files). The folder: INOFLOW_CHECKED_CONFIG, else
# $XDG_CACHE_HOME/inoflow/checked-config (~/.cache/...); a folder that cannot be written only
# means every document is validated.
CHECKED_ENV = "INOFLOW_CHECKED_CONFIG"
CHECKED_FORMAT = "inoflow-checked-config/1"


def checked_config_dir() -> Path:
    """Where documents found valid are remembered (see ``CHECKED_ENV``)."""
    if os.environ.get(CHECKED_ENV):
        return Path(os.environ[CHECKED_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "inoflow" / "checked-config"


@functools.cache
def _validator_version() -> str:
    from importlib.metadata import version

    return version("jsonschema")


def _canonical(value: Any) -> Any:
    """``value`` as JSON that keeps every type the schema tells apart: a mapping becomes its
    sorted ``[key, value]`` pairs with each key typed (YAML keys may be numbers or dates), and
    a value JSON cannot hold (a YAML date) its type and text, so that neither hashes like a
    string of the same text."""
    if isinstance(value, dict):
        return {"map": sorted([_canonical_key(k), _canonical(v)] for k, v in value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return {type(value).__name__: str(value)}


def _canonical_key(key: Any) -> str:
    return f"{type(key).__name__}:{key}"


def document_key(document: Any, schema_name: str) -> str:
    """The SHA-256 naming ``document`` checked against ``schema_name`` (see ``CHECKED_FORMAT``)."""
    import hashlib
    import json

    content = json.dumps(_canonical(document), sort_keys=True, ensure_ascii=True)
    parts = [CHECKED_FORMAT, _validator_version(), schema_name, _schema_text(schema_name), content]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def validate_against_schema(document: Any, schema_name: str, source: str | Path) -> None:
    """Validate ``document`` against ``workflow/schemas/<schema_name>.schema.yaml``.

    Every violation is listed, each with its location in the document. A document with the
    same content found valid before (by this schema and validator version) is not validated
    again (see ``CHECKED_FORMAT``); an invalid one is never remembered.
    """
    marker = checked_config_dir() / document_key(document, schema_name)
    if marker.is_file():
        return
    errors = sorted(_schema_validator(schema_name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  - at {'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in errors]
        raise ConfigError(f"{source}: does not match {schema_name}.schema.yaml:\n" + "\n".join(lines))
    with contextlib.suppress(OSError):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()


@dataclass(frozen=True)
class Contract:
    """The raw-extract contract (config/contract.yaml)."""

    codelists: dict[str, list[str]]
    domains: dict[str, dict[str, Any]]

    def variables(self, domain: str) -> dict[str, dict[str, Any]]:
        return self.domains[domain]["variables"]

    def sdtm_targets(self, domain: str) -> list[str]:
        return list(self.domains[domain]["sdtm"])

    def sdtm_domains(self) -> list[str]:
        """Every common-model domain, in the order the contract first names them."""
        seen: list[str] = []
        for spec in self.domains.values():
            for name in spec["sdtm"]:
                if name not in seen:
                    seen.append(name)
        return seen

    def sdtm_families(self) -> dict[str, tuple[list[str], list[str]]]:
        """The contract's raw and SDTM domains in families: the connected groups of the
        raw-domain -> SDTM-domain mapping, named by their raw domains.

        A changed raw domain changes every SDTM domain of its family and no other, so a
        family is built in one job: e.g. patients -> DM, MH, SC; assessments + labs -> LB, RS, VS.
        """
        families: list[tuple[set[str], set[str]]] = []
        for raw, spec in self.domains.items():
            raws, sdtms = {raw}, set(spec["sdtm"])
            for family in [f for f in families if f[1] & sdtms]:
                families.remove(family)
                raws |= family[0]
                sdtms |= family[1]
            families.append((raws, sdtms))
        order = list(self.domains)
        sdtm_order = self.sdtm_domains()
        named = {}
        for raws, sdtms in families:
            raw_list = sorted(raws, key=order.index)
            named["_".join(raw_list)] = (raw_list, sorted(sdtms, key=sdtm_order.index))
        return dict(sorted(named.items(), key=lambda item: order.index(item[1][0][0])))

    def sources_of(self, sdtm_domain: str) -> list[str]:
        """The raw domains that feed one common-model domain."""
        return [d for d, spec in self.domains.items() if sdtm_domain in spec["sdtm"]]


@dataclass(frozen=True)
class Units:
    """Standard units and the conversions sites may declare (config/units.yaml)."""

    quantities: dict[str, dict[str, Any]]
    aliases: dict[str, str]

    def canonical_unit(self, unit: str) -> str:
        unit = str(unit).strip()
        return self.aliases.get(unit, unit)


@dataclass(frozen=True)
class Site:
    """One site's dialect (config/sites/<study>/<site>.yaml)."""

    site: str
    path: Path
    spec: dict[str, Any]

    @property
    def domains(self) -> list[str]:
        return list(self.spec["domains"])

    @property
    def dialect_files(self) -> list[Path]:
        """The files the dialect is read from: the site's own and the template it extends."""
        template = self.spec.get("extends")
        return [self.path] + ([(self.path.parent / template).resolve()] if template else [])

    def reader(self, domain: str) -> dict[str, Any]:
        """Reader settings for a domain: site defaults overlaid by the domain's own."""
        settings = {
            "format": "csv",
            "encoding": "utf-8",
            "delimiter": ",",
            "decimal": ".",
            "thousands": None,
            "date_format": "%Y-%m-%d",
            "header_row": 1,
            "skip_footer": 0,  # the last n non-blank rows are a report footer, not data
            "missing": ["", "NA", "N/A", "na", "n/a", "-", "--"],
        }
        settings.update(self.spec.get("defaults", {}))
        domain_spec = self.spec["domains"][domain]
        settings.update({k: v for k, v in domain_spec.items() if k in settings})
        return settings

    def domain_spec(self, domain: str) -> dict[str, Any]:
        return self.spec["domains"][domain]

    def files(self) -> dict[str, list[str]]:
        """Each file the site sends (its name in the site's folder) with the domains it holds,
        in the dialect's order: a file per domain, or one workbook with a sheet per domain."""
        files: dict[str, list[str]] = {}
        for domain in self.domains:
            files.setdefault(self.domain_spec(domain)["file"], []).append(domain)
        return files

    def sends_one_file(self) -> bool:
        """True when the site sends every domain it sends in one file (a workbook of sheets)."""
        return len(self.domains) > 1 and len(self.files()) == 1


@dataclass(frozen=True)
class Cut:
    cut: str
    cutoff: str
    status: str
    extracts: Path
    description: str = ""
    validation_policy: str = "fail"  # the study's, unless the cut sets its own (interim cuts only)
    sites: tuple[str, ...] = ()  # the sites that sent data for this cut (the study's config: default all)


# A file whose rows fall by more than this share against the previous cut is a finding
# (config/studies/<study>.yaml, data_quality: row_count_fall).
DEFAULT_ROW_COUNT_FALL = 0.5


@dataclass(frozen=True)
class QualitySettings:
    """A study's settings of the common-model checks (``data_quality:`` of its configuration)."""

    window_start: str | None = None  # the study window (ISO dates); None: not checked
    window_end: str | None = None
    row_count_fall: float = DEFAULT_ROW_COUNT_FALL
    severity: dict[str, str] = field(default_factory=dict)  # check name -> error | warning

    @classmethod
    def of(cls, spec: dict[str, Any]) -> QualitySettings:
        window = spec.get("study_window", {})
        return cls(
            window_start=window.get("start"),
            window_end=window.get("end"),
            row_count_fall=float(spec.get("row_count_fall", DEFAULT_ROW_COUNT_FALL)),
            severity=dict(spec.get("severity", {})),
        )


@dataclass(frozen=True)
class Study:
    """A study: its sites' dialects, data cuts and policies."""

    study: str
    studyid: str
    title: str
    path: Path
    sites: dict[str, Site]
    cuts: dict[str, Cut]
    validation_policy: str
    definitions: Path
    spec: dict[str, Any] = field(repr=False, default_factory=dict)

    def sites_of(self, cut: str) -> dict[str, Site]:
        """The dialects of the sites that sent data for one cut, in the study's order."""
        return {s: self.sites[s] for s in self.cuts[cut].sites}

    @property
    def quality(self) -> QualitySettings:
        """The settings of the common-model checks (``data_quality:``; defaults where absent)."""
        return QualitySettings.of(self.spec.get("data_quality", {}))

    def ordered_cuts(self) -> list[str]:
        """The study's cuts in order of cut-off date."""
        return [c.cut for c in sorted(self.cuts.values(), key=lambda c: (c.cutoff, c.cut))]

    def previous_cut(self, cut: str) -> str | None:
        """The cut before ``cut`` in order of cut-off date (None for the first): the one its
        cross-cut checks compare with."""
        names = self.ordered_cuts()
        index = names.index(cut)
        return names[index - 1] if index else None


def load_contract(path: str | Path = CONTRACT_FILE) -> Contract:
    """The contract (default: ``config/contract.yaml`` of the working folder), read once per file."""
    return _load_contract(Path(path).resolve())


@functools.cache
def _load_contract(path: Path) -> Contract:
    doc = read_yaml(path)
    return Contract(codelists=doc["codelists"], domains=doc["domains"])


def load_units(path: str | Path = UNITS_FILE) -> Units:
    """Units and conversions (default: ``config/units.yaml`` of the working folder), read once per file."""
    return _load_units(Path(path).resolve())


@functools.cache
def _load_units(path: Path) -> Units:
    doc = read_yaml(path)
    return Units(quantities=doc["quantities"], aliases=doc.get("aliases", {}))


def load_site(path: str | Path, site_id: str | None = None, root: Path | None = None, check: bool = True) -> Site:
    """Load one site's dialect; with ``check``, validate it against the schema and the contract.

    The workflow checks every configuration file once, when Snakemake starts; its jobs load
    the already-checked files with ``check=False`` (the JSON-schema library is slow to import).
    """
    full = Path(path) if Path(path).is_absolute() else working_root(root) / path
    spec = with_template(read_yaml(full), full)
    if check:
        validate_against_schema(spec, "site", path)
        check_site_against_contract(spec, path, root)
    if site_id is not None and spec["site"] != site_id:
        raise ConfigError(f"{path}: declares site {spec['site']!r} but the study lists it as {site_id!r}")
    return Site(site=spec["site"], path=full, spec=spec)


def with_template(spec: dict[str, Any], path: Path) -> dict[str, Any]:
    """A site's dialect merged onto the shared dialect it ``extends`` (if any).

    Many centres of one study export the study's own case report form alike; their layout is
    written once (the template) and each site's file holds its id, name and what differs. The
    site's keys override the template's, mapping by mapping (a domain the site redefines
    replaces only the keys it names); "{site}" in a domain's file name becomes the site id.

    >>> merged = {"defaults": {"decimal": ","}, "domains": {"patients": {"file": "{site}_pazienti.csv"}}}
    >>> _merge(merged, {"domains": {"patients": {"encoding": "cp1252"}}})["domains"]["patients"]
    {'file': '{site}_pazienti.csv', 'encoding': 'cp1252'}
    """
    template_name = spec.get("extends")
    if not template_name:
        return spec
    template_path = (path.parent / template_name).resolve()
    template = read_yaml(template_path)
    if template.get("extends"):
        raise ConfigError(f"{template_path}: a dialect template cannot itself extend another")
    merged = _merge(template, {k: v for k, v in spec.items() if k != "extends"})
    for domain in merged.get("domains", {}).values():
        if isinstance(domain.get("file"), str):
            domain["file"] = domain["file"].replace("{site}", str(merged.get("site", "")))
    merged["extends"] = template_name
    return merged


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` onto ``base``: nested mappings merged key by key, anything else replaced."""
    out = {key: (dict(value) if isinstance(value, dict) else value) for key, value in base.items()}
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def check_site_against_contract(spec: dict[str, Any], source: str | Path, root: Path | None = None) -> None:
    """Checks the schema cannot express: mapped variables exist, required ones are mapped,
    codes map onto the contract's codelists, units are known (the contract and units of
    ``root``, default the working folder)."""
    contract = load_contract(working_root(root) / CONTRACT_FILE)
    units = load_units(working_root(root) / UNITS_FILE)
    problems: list[str] = []
    for codelist, mapping in spec.get("codelists", {}).items():
        if codelist not in contract.codelists:
            problems.append(f"codelists: {codelist!r} is not a contract codelist")
            continue
        for local, code in mapping.items():
            if code not in contract.codelists[codelist]:
                problems.append(
                    f"codelists/{codelist}: {local!r} maps to {code!r}, not one of {contract.codelists[codelist]}"
                )
    for domain, dspec in spec["domains"].items():
        variables = contract.variables(domain)
        mapped = set()
        for source_col, target in dspec.get("columns", {}).items():
            target_var = target if isinstance(target, str) else target["to"]
            if target_var not in variables:
                problems.append(
                    f"domains/{domain}/columns/{source_col}: {target_var!r} is not a variable "
                    f"of the {domain} contract ({', '.join(variables)})"
                )
                continue
            mapped.add(target_var)
            if isinstance(target, dict) and target.get("partial_dates"):
                try:
                    partial_date_forms(target, variables[target_var]["type"])
                except ValueError as exc:
                    problems.append(f"domains/{domain}/columns/{source_col}/partial_dates: {exc}")
            if isinstance(target, dict) and "unit" in target:
                quantity = target_var if target_var in units.quantities else None
                quantity = quantity or _quantity_of_variable(domain, target_var)
                if quantity and not _unit_known(units, quantity, target["unit"]):
                    problems.append(
                        f"domains/{domain}/columns/{source_col}: unit {target['unit']!r} has no "
                        f"conversion to {units.quantities[quantity]['standard']} in units.yaml"
                    )
        if dspec.get("layout") == "wide_tests":
            mapped |= {"TEST", "VALUE", "UNIT", "ULN"}
            for test, tspec in dspec.get("tests", {}).items():
                if test not in contract.codelists["LBTEST"]:
                    problems.append(f"domains/{domain}/tests: {test!r} is not an LBTEST code")
                elif not _unit_known(units, test, tspec["unit"]):
                    problems.append(f"domains/{domain}/tests/{test}: unit {tspec['unit']!r} has no conversion")
        for var, vspec in variables.items():
            if vspec.get("required") and var not in mapped:
                problems.append(f"domains/{domain}: required contract variable {var} is not mapped")
        for group in contract.domains[domain].get("one_of", []):
            if not mapped.intersection(group):
                problems.append(f"domains/{domain}: map at least one of {group}")
    if problems:
        raise ConfigError(f"{source}: dialect does not fit the contract:\n  - " + "\n  - ".join(problems))


def partial_date_forms(column: dict[str, Any], vtype: str) -> tuple[str, ...]:
    """A column's declared partial-date forms (``partial_dates:``), checked: only a date
    variable may have them, and each names the year and no day (ValueError otherwise)."""
    from inoflow.extract import parsing  # parsing reads the configuration: imported when used

    formats = tuple(column.get("partial_dates", ()))
    if formats and vtype != "date":
        raise ValueError(f"{column['to']} is a {vtype} variable, not a date; only dates may be partial")
    for fmt in formats:
        parsing.partial_date_precision(fmt)
    return formats


# Contract variables whose values are quantities with units (the rest are unit-less).
VARIABLE_QUANTITY = {
    ("assessments", "BM_BLASTS"): "BLAST",
    ("assessments", "ANC"): "NEUT",
    ("assessments", "PLATELETS"): "PLAT",
    ("assessments", "MRD_PCT"): "MRD",
    ("dosing", "DOSE"): "DOSE",
    ("dosing", "BSA"): "BSA",
}


def _quantity_of_variable(domain: str, variable: str) -> str | None:
    return VARIABLE_QUANTITY.get((domain, variable))


def _unit_known(units: Units, quantity: str, unit: str) -> bool:
    q = units.quantities[quantity]
    name = units.canonical_unit(unit)
    return name in q["factors"] or name in q.get("affine", {}) or name in q.get("per_bsa", [])


def load_study(path: str | Path, root: Path | None = None, check: bool = True) -> Study:
    """Load a study configuration, its sites' dialects and its cuts (see :func:`load_site`)."""
    root = working_root(root)
    full = Path(path) if Path(path).is_absolute() else root / path
    spec = read_yaml(full)
    if check:
        validate_against_schema(spec, "study", path)
    sites = {sid: load_site(spath, sid, root, check) for sid, spath in spec["sites"].items()}
    study_policy = spec.get("validation_policy", "fail")
    cuts = {
        cid: Cut(
            cut=cid,
            cutoff=c["cutoff"],
            status=c["status"],
            extracts=root / c["extracts"],
            description=c.get("description", ""),
            validation_policy=c.get("validation_policy", study_policy if c["status"] == "interim" else "fail"),
            sites=tuple(s for s in sites if s in c.get("sites", sites)),
        )
        for cid, c in spec["cuts"].items()
    }
    for cid, c in spec["cuts"].items():
        unknown = [s for s in c.get("sites", []) if s not in sites]
        if unknown:
            raise ConfigError(
                f"{path}: cut {cid!r} lists site(s) {', '.join(unknown)} that the study's `sites:` does not "
                f"name (valid: {', '.join(sites)})"
            )
    for cut in cuts.values():
        if cut.status == "locked" and cut.validation_policy != "fail":
            raise ConfigError(
                f"{path}: cut {cut.cut!r} is locked, so its validation policy must be 'fail' "
                f"(quarantine is for interim cuts), not {cut.validation_policy!r}"
            )
    return Study(
        study=spec["study"],
        studyid=spec["studyid"],
        title=spec["title"],
        path=full,
        sites=sites,
        cuts=cuts,
        validation_policy=study_policy,
        definitions=root / spec["definitions"],
        spec=spec,
    )


def load_config(path: str | Path = CONFIG_FILE, root: Path | None = None) -> dict[str, Study]:
    """Load the entry configuration file and every study it names, keyed by study name."""
    return load_studies(read_yaml(working_root(root) / path), path, root)


def load_studies(doc: dict[str, Any], source: str | Path, root: Path | None = None) -> dict[str, Study]:
    """Every study an entry configuration names (as Snakemake holds it: the config file with
    the ``--config`` overrides applied), keyed by study name."""
    validate_against_schema(doc, "config", source)
    studies = [load_study(p, root) for p in doc["studies"]]
    names = [s.study for s in studies]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ConfigError(f"{source}: study names must be unique, repeated: {sorted(duplicates)}")
    return {s.study: s for s in studies}


def load_vocabulary(name: str, folder: str | Path = VOCABULARIES_DIR) -> dict[str, list[str]]:
    """Standard term -> synonyms of one controlled vocabulary (default folder: the working folder's)."""
    return _load_vocabulary(name, Path(folder).resolve())


@functools.cache
def _load_vocabulary(name: str, folder: Path) -> dict[str, list[str]]:
    doc = read_yaml(Path(folder) / f"{name}.yaml")
    if doc.get("name") != name or not isinstance(doc.get("terms"), dict):
        raise ConfigError(f"{folder}/{name}.yaml: needs `name: {name}` and a `terms:` mapping")
    return doc["terms"]
