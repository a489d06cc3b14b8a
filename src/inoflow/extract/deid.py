"""De-identification gate: refuse an extract that carries direct identifiers.

Hospitals send de-identified extracts; before anything is validated or written, each ingested
extract is checked for the identifiers listed in ``config/deidentification.yaml``: names, phone
numbers, e-mail and street addresses, national identity numbers (Aadhaar, codice fiscale, ...),
medical record / hospital numbers, and birth dates finer than the year. A column is flagged when
its name says it holds an identifier (and a cell is filled) or when any cell's text looks like
one. A finding names the site, file, sheet, column, the kind of identifier and how many cells,
but never the value: the error text, the findings and the logs carry nothing identifying.

Works on the pyarrow table :func:`inoflow.extract.ingest.read_extract` returns (or a pandas DataFrame
of text cells); the provenance columns are skipped. Each column's distinct values are checked
once, so a long laboratory file with few distinct values is quick.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from inoflow.config import read_yaml
from inoflow.errors import ConfigError, ExtractError, Finding
from inoflow.extract.ingest import PROVENANCE

log = logging.getLogger(__name__)

DEID_RULES = Path("config/deidentification.yaml")  # of the working folder
ADVICE = "direct identifiers must be removed before the extract is sent; the value is not shown"
QUARANTINED = "the cell is masked, the rest of the row kept; the value is not shown"
_KIND_TAG = re.compile(r"\[identifier kind: (\w+)\]")
_HEADER_SEPARATORS = re.compile(r"[\s_\-./():#,;]+")
_ALNUM = re.compile(r"[^\W_]+")
_WORD_SPLIT = re.compile(r"(\s+|[.;:!?()\[\]{}\"|/]+)")


@dataclass(frozen=True)
class ValuePattern:
    name: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class IdentifierKind:
    """One kind of direct identifier and how to recognise it (one entry of ``kinds:``)."""

    kind: str
    label: str
    header_patterns: tuple[re.Pattern[str], ...]
    header_exclusions: tuple[re.Pattern[str], ...]
    value_patterns: tuple[ValuePattern, ...]
    allowed_values: re.Pattern[str] | None
    min_cells: int

    def header_matches(self, normalised_header: str) -> bool:
        return any(p.search(normalised_header) for p in self.header_patterns) and not any(
            p.search(normalised_header) for p in self.header_exclusions
        )


@dataclass(frozen=True)
class DeidRules:
    kinds: tuple[IdentifierKind, ...]
    placeholders: re.Pattern[str]
    source: str
    allowed_words: frozenset[str] = frozenset()  # free_text/allowed_words: never part of a name
    name_min_words: int = 2  # free_text/min_words: capitalised words in a row that make a name


@dataclass(frozen=True)
class NameList:
    """A site's list of names (staff, patients), as one case-insensitive whole-word pattern."""

    source: str
    regex: re.Pattern[str] | None
    count: int

    def search(self, text: str) -> bool:
        return self.regex is not None and self.regex.search(text) is not None


@dataclass(frozen=True)
class Hit:
    """A column that carries one kind of identifier: by its name (``values`` empty: the whole
    column) or by the distinct cell values that match (the values stay in memory only)."""

    column: str
    kind: str
    rule: str
    values: tuple[str, ...]
    first_row: int | None
    by_header: bool = False  # the column's name says it holds identifiers: the whole file is refused


def normalise_header(name: str) -> str:
    """A column name as the header patterns see it: lower case, separators made one space."""
    return _HEADER_SEPARATORS.sub(" ", str(name).lower()).strip()


def finding_kind(finding: Finding) -> str | None:
    """The identifier kind (``phone``, ``birth_date``, ...) of a finding of this gate, else None."""
    return identifier_kind(finding.rule)


def identifier_kind(rule: str) -> str | None:
    """The identifier kind a rule's text names (``[identifier kind: phone]``), else None."""
    match = _KIND_TAG.search(rule or "")
    return match.group(1) if match else None


def mask_text(value: str) -> str:
    """A cell's text with every word and number masked but its first character: the form a
    finding about an identifying cell shows, and what a quarantined cell is replaced by.

    A number after the first word is masked whole: a phone number keeps one digit.

    >>> mask_text("John Smith"), mask_text("98450.12345"), mask_text("")
    ('J*** S****', '9****.*****', '')
    """

    def masked(match: re.Match[str]) -> str:
        word = match.group(0)
        if match.start() > 0 and any(c.isdigit() for c in word) and _ALNUM.search(str(value)).start() < match.start():
            return "*" * len(word)
        return word[0] + "*" * (len(word) - 1)

    return _ALNUM.sub(masked, str(value))


def _compile(pattern: Any, where: str, source: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise ConfigError(f"{source}: {where}: a pattern must be a string, not {type(pattern).__name__}")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{source}: {where}: not a valid regular expression ({exc})") from None


def compile_rules(doc: Any, source: str = "deidentification rules") -> DeidRules:
    """Check and compile the rules document (the parsed YAML), naming any bad entry."""
    if not isinstance(doc, dict) or not isinstance(doc.get("kinds"), dict) or not doc["kinds"]:
        raise ConfigError(f"{source}: needs a non-empty `kinds:` mapping")
    default_min = (doc.get("defaults") or {}).get("min_cells", 1)
    kinds = []
    for kind, spec in doc["kinds"].items():
        where = f"kinds/{kind}"
        if not isinstance(spec, dict) or not isinstance(spec.get("label"), str):
            raise ConfigError(f"{source}: {where}: needs a `label:`")
        values = []
        for i, entry in enumerate(spec.get("value_patterns") or []):
            if not isinstance(entry, dict) or "name" not in entry or "pattern" not in entry:
                raise ConfigError(f"{source}: {where}/value_patterns/{i}: needs `name:` and `pattern:`")
            values.append(
                ValuePattern(str(entry["name"]), _compile(entry["pattern"], f"{where}/value_patterns/{i}", source))
            )
        min_cells = spec.get("min_cells", default_min)
        if not isinstance(min_cells, int) or isinstance(min_cells, bool) or min_cells < 1:
            raise ConfigError(f"{source}: {where}/min_cells: must be a whole number >= 1, not {min_cells!r}")
        allowed = spec.get("allowed_values")
        kinds.append(
            IdentifierKind(
                kind=str(kind),
                label=spec["label"],
                header_patterns=tuple(
                    _compile(p, f"{where}/header_patterns/{i}", source)
                    for i, p in enumerate(spec.get("header_patterns") or [])
                ),
                header_exclusions=tuple(
                    _compile(p, f"{where}/header_exclusions/{i}", source)
                    for i, p in enumerate(spec.get("header_exclusions") or [])
                ),
                value_patterns=tuple(values),
                allowed_values=None if allowed is None else _compile(allowed, f"{where}/allowed_values", source),
                min_cells=min_cells,
            )
        )
    placeholders = _compile(doc.get("placeholders", r"^\s*$"), "placeholders", source)
    free_text = doc.get("free_text") or {}
    if not isinstance(free_text, dict):
        raise ConfigError(f"{source}: free_text: must be a mapping (min_words, allowed_words)")
    min_words = free_text.get("min_words", 2)
    if not isinstance(min_words, int) or isinstance(min_words, bool) or min_words < 1:
        raise ConfigError(f"{source}: free_text/min_words: must be a whole number >= 1, not {min_words!r}")
    words = free_text.get("allowed_words") or []
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ConfigError(f"{source}: free_text/allowed_words: must be a list of words")
    allowed_words = frozenset(w.casefold() for entry in words for w in _ALNUM.findall(entry))
    return DeidRules(tuple(kinds), placeholders, source, allowed_words, min_words)


@functools.cache
def load_deid_rules(path: str | Path = DEID_RULES) -> DeidRules:
    """The de-identification rules (``config/deidentification.yaml``), read and compiled once."""
    return compile_rules(read_yaml(path), str(path))


# --- the words a finding may show, and the words a name is not made of -------------------------


@functools.cache
def _variable_names() -> frozenset[str]:
    """The names of the SDTM and ADaM variables (schemas/sdtm.py, schemas/adam.py): a record-level
    finding shows the variables it looked at (``VODHSCFL Y, VODFL Y, HSCTFL N``)."""
    from inoflow.schemas.adam import MODELS as ADAM
    from inoflow.schemas.sdtm import MODELS as SDTM

    return frozenset(str(c) for models in (ADAM, SDTM) for m in models.values() for c in m.to_schema().columns)


def _site_words(doc: Any, add: Callable[[Any], None], within: str = "") -> None:
    """Every key and value under a dialect's ``codelists:`` and ``vocabularies:`` and every
    ``missing:`` token, wherever they stand in it."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if within:
                add(key)
            inside = within or (key if key in ("codelists", "vocabularies") else "")
            if key == "missing":
                _site_words(value, add, "missing")
            else:
                _site_words(value, add, inside)
    elif isinstance(doc, list):
        for item in doc:
            _site_words(item, add, within)
    elif within and isinstance(doc, str):
        add(doc)


def _reference_words(root: Path) -> frozenset[str]:
    """Words of the configuration that name things, not people: the vocabularies' terms and
    synonyms, the contract's codes, the SDTM and ADaM variable names and the units
    (config/ of the working folder ``root``)."""
    words: set[str] = set()

    def add(text: Any) -> None:
        words.update(w.casefold() for w in _ALNUM.findall(str(text)) if not w.isdigit())

    folder = root / "config" / "vocabularies"
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        for standard, synonyms in (read_yaml(path).get("terms") or {}).items():
            add(standard)
            for synonym in synonyms or []:
                add(synonym)
    contract = root / "config" / "contract.yaml"
    if contract.exists():
        for codes in (read_yaml(contract).get("codelists") or {}).values():
            for code in codes:
                add(code)
    for name in _variable_names():
        add(name)
    # the sites' own spellings: the labels of their codelists, their vocabulary synonyms and
    # their missing-value tokens (config/sites/**)
    sites = root / "config" / "sites"
    for path in sorted(sites.rglob("*.yaml")) if sites.is_dir() else []:
        _site_words(read_yaml(path), add)
    units = root / "config" / "units.yaml"
    if units.exists():
        doc = read_yaml(units)
        for spec in (doc.get("quantities") or {}).values():
            for unit in list(spec.get("factors", {})) + list(spec.get("affine", {})) + [spec.get("standard", "")]:
                add(unit)
        for alias, unit in (doc.get("aliases") or {}).items():
            add(alias)
            add(unit)
    return frozenset(words)


def safe_words(rules: DeidRules | None = None) -> frozenset[str]:
    """Words that are never part of a person's name (casefolded): the rules' allowed_words and
    the configuration's vocabularies, codes and units."""
    return _safe_words(rules or load_deid_rules(), Path.cwd())


@functools.cache
def _safe_words(rules: DeidRules, root: Path) -> frozenset[str]:
    return rules.allowed_words | _reference_words(root)


_MASKED_WORD = re.compile(r"(?<![\w*])\w\*+(?![\w*])|\*{2,}")


def is_masked(shown: str) -> bool:
    """Whether a value as a finding shows it was masked (:func:`display_form`, :func:`mask_text`):
    a word reduced to its first letter and stars (``S***** B***``), or a number to stars."""
    return bool(_MASKED_WORD.search(shown))


def display_form(value: str, words: bool = True) -> str:
    """What a finding may show of a cell's text (the one rule, applied by
    :class:`inoflow.errors.Finding` to every value it is given).

    Text an identifier pattern matches is masked whole (:func:`mask_text`); otherwise numbers,
    dates, ids (any token with a digit) and single letters are shown, and a word only when it is
    a clinical word, a vocabulary term, a code or a unit (:func:`safe_words`); any other word
    keeps its first letter: a name typed into a coded column shows as ``R***** K****``. Without
    readable rules everything is masked. ``words=False``: only text an identifier pattern matches
    is masked (values derived from validated data: codes, ids, dates, numbers).
    """
    if not value:
        return value
    try:
        rules = load_deid_rules()
        allowed = safe_words(rules)
    except (ConfigError, OSError, ValueError, TypeError, AttributeError):
        return mask_text(value)
    if any(p.regex.search(value) for kind in rules.kinds for p in kind.value_patterns):
        return mask_text(value)
    if not words:
        return value

    def shown(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) == 1 or any(c.isdigit() for c in word) or word.casefold() in allowed:
            return word
        return word[0] + "*" * (len(word) - 1)

    return _ALNUM.sub(shown, value)


def _is_capitalised(word: str) -> bool:
    """'Ramesh', "D'Souza", 'Rossi-Bianchi', 'Niccolò': a capital, then small letters."""
    letters = word.replace("'", "").replace("\u2019", "").replace("-", "")
    return len(letters) >= 2 and letters.isalpha() and word[0].isupper() and letters[1:] == letters[1:].lower()


def looks_like_a_name(text: str, allowed: frozenset[str], min_words: int = 2) -> bool:
    """Whether free text holds ``min_words`` or more capitalised words in a row, none of them a
    clinical word, a vocabulary term, a code or a unit (``allowed``): 'seen by Ramesh Kumar'.
    Sentence punctuation ends a run; a comma does not ('Kumar, Ramesh').

    >>> looks_like_a_name("seen by Ramesh Kumar", frozenset()), looks_like_a_name("Febrile Neutropenia", frozenset({"febrile", "neutropenia"}))
    (True, False)
    """
    run = 0
    for token in _WORD_SPLIT.split(text):
        if not token or token.isspace():
            continue
        if _WORD_SPLIT.fullmatch(token):
            run = 0
            continue
        word = token.strip(",")
        if _is_capitalised(word) and word.casefold() not in allowed:
            run += 1
            if run >= min_words:
                return True
        else:
            run = 0
    return False


# --- the site's own list of names ------------------------------------------------------------


@functools.cache
def load_name_list(path: str | Path) -> NameList:
    """A name list: one name a line (a person's full name, given name or surname; '#' starts a
    comment); names shorter than 3 letters are left out. Matched as whole words, case ignored.
    The names themselves are never logged or shown."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"the name list {path} cannot be read ({type(exc).__name__})") from None
    names = sorted(
        {" ".join(line.split("#", 1)[0].split()).casefold() for line in lines} - {""}, key=lambda n: (-len(n), n)
    )
    names = [n for n in names if len(n.replace(" ", "")) >= 3]
    if not names:
        return NameList(str(path), None, 0)
    pattern = r"(?<![^\W_])(?:" + "|".join(r"\s+".join(map(re.escape, n.split())) for n in names) + r")(?![^\W_])"
    return NameList(str(path), re.compile(pattern, re.IGNORECASE), len(names))


def site_name_list(site: Any) -> NameList | None:
    """The name list a site's dialect names (``name_list:``, absolute or relative to the
    working folder), or None."""
    name = (getattr(site, "spec", None) or {}).get("name_list")
    if not name:
        return None
    path = Path(name)
    return load_name_list((path if path.is_absolute() else Path.cwd() / path).resolve())


def free_text_columns(site: Any, domain: str) -> tuple[str, ...]:
    """The columns a site's dialect declares as free text for a domain (``free_text:``)."""
    return tuple(site.domain_spec(domain).get("free_text", []))


# --- scanning ----------------------------------------------------------------------------------


def _text_columns(table: Any) -> tuple[list[tuple[str, pa.ChunkedArray | pa.Array]], pa.Array | None]:
    """(name, string array) of every non-provenance column, and the SRCROW column if any."""
    if isinstance(table, pa.Table):
        columns = []
        for name in table.column_names:
            if name in PROVENANCE:
                continue
            column = table.column(name)
            if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
                column = pc.cast(column, pa.string())
            columns.append((name, column))
        srcrow = table.column("SRCROW").combine_chunks() if "SRCROW" in table.column_names else None
        return columns, srcrow
    # a pandas DataFrame (pandas is imported by whoever built it)
    columns = []
    for name in table.columns:
        if name in PROVENANCE:
            continue
        series = table[name]
        text = series.astype(str).where(series.notna(), None)
        columns.append((str(name), pa.array(text.tolist(), type=pa.string())))
    srcrow = None
    if "SRCROW" in table.columns:
        rows = table["SRCROW"]
        srcrow = pa.array([int(v) if v == v and v is not None else None for v in rows.tolist()], type=pa.int64())
    return columns, srcrow


def _distinct_cells(column: pa.ChunkedArray | pa.Array, placeholders: re.Pattern[str]) -> list[tuple[str, int]]:
    """Each distinct filled value of a column with how many cells hold it (placeholders left out)."""
    if len(column) == 0:
        return []
    counts = pc.value_counts(column)
    return [
        (value, count)
        for value, count in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        if value is not None and not placeholders.match(value)
    ]


def _first_row(column: pa.ChunkedArray | pa.Array, values: list[str], srcrow: pa.Array | None) -> int | None:
    if srcrow is None or not values:
        return None
    mask = pc.is_in(column, value_set=pa.array(values, type=pa.string()))
    index = pc.index(mask, True).as_py()
    return None if index < 0 else srcrow[index].as_py()


def _cells(n: int, singular: str, plural: str) -> str:
    """'1 cell matches', '3 cells match'."""
    return f"{n} cell {singular}" if n == 1 else f"{n} cells {plural}"


def _check_column(
    kind: IdentifierKind,
    header: str,
    column: pa.ChunkedArray | pa.Array,
    cells: list[tuple[str, int]],
    srcrow: pa.Array | None,
    extra: dict[str, Any] | None = None,
) -> Hit | None:
    """The hit when the column carries this kind of identifier, else None. ``extra``: more
    value tests of this kind, name -> function of a cell's text (the person-name tests of free
    text and of the site's name list)."""
    tag = f"[identifier kind: {kind.kind}]"
    if kind.header_matches(header):
        if kind.allowed_values is not None:
            finer = [(v, c) for v, c in cells if not kind.allowed_values.fullmatch(v)]
            n = sum(c for _, c in finer)
            if n >= kind.min_cells:
                rule = (
                    f"column name says {kind.label} and {_cells(n, 'holds', 'hold')} more than the year "
                    f"{tag}: keep only the age or the year of birth; {ADVICE}"
                )
                values = tuple(v for v, _ in finer)
                return Hit("", kind.kind, rule, values, _first_row(column, list(values), srcrow), True)
        else:
            n = sum(c for _, c in cells)
            if n >= kind.min_cells:
                rule = f"column name says {kind.label} and {_cells(n, 'is', 'are')} filled {tag}: {ADVICE}"
                return Hit("", kind.kind, rule, (), None, True)
    tests = [(p.name, p.regex.search) for p in kind.value_patterns] + list((extra or {}).items())
    if not tests:
        return None
    matched: list[str] = []
    hit_names: set[str] = set()
    n = 0
    for value, count in cells:
        hit = {name for name, test in tests if test(value)}
        if hit:
            matched.append(value)
            n += count
            hit_names |= hit
    if n >= kind.min_cells:
        names = ", ".join(name for name, _ in tests if name in hit_names)
        rule = f"column looks like {kind.label} ({_cells(n, 'matches', 'match')}: {names}) {tag}: {ADVICE}"
        return Hit("", kind.kind, rule, tuple(matched), _first_row(column, matched, srcrow))
    return None


def scan_identifiers(
    table: Any,
    rules: DeidRules | dict | None = None,
    free_text: tuple[str, ...] | list[str] = (),
    names: NameList | None = None,
) -> list[Hit]:
    """Every (column, identifier kind) the extract carries, with the matching values.

    ``free_text``: the columns declared free text (also scanned for capitalised names);
    ``names``: the site's name list (every column is checked against it)."""
    if rules is None:
        rules = load_deid_rules()
    elif not isinstance(rules, DeidRules):
        rules = compile_rules(rules)
    columns, srcrow = _text_columns(table)
    allowed = safe_words(rules) if free_text else frozenset()
    hits = []
    for name, column in columns:
        header = normalise_header(name)
        cells = _distinct_cells(column, rules.placeholders)
        for kind in rules.kinds:
            extra = {}
            if kind.kind == "person_name":
                if names is not None and names.regex is not None:
                    extra["a name on the site's name list"] = names.search
                if name in free_text:
                    extra["capitalised words that are not clinical words"] = functools.partial(
                        looks_like_a_name, allowed=allowed, min_words=rules.name_min_words
                    )
            hit = _check_column(kind, header, column, cells, srcrow, extra)
            if hit is not None:
                hits.append(Hit(name, hit.kind, hit.rule, hit.values, hit.first_row, hit.by_header))
    return hits


def find_identifiers(
    table: Any,
    site: str,
    file: str,
    sheet: str,
    rules: DeidRules | dict | None = None,
    free_text: tuple[str, ...] | list[str] = (),
    names: NameList | None = None,
) -> list[Finding]:
    """Every (column, identifier kind) the extract carries, as findings without the value.

    ``table`` is an ingested extract (pyarrow Table or pandas DataFrame of text cells, with or
    without the provenance columns). ``row`` is the source row of the first matching cell, or
    None when the column name itself says it holds an identifier. ``rules``: compiled rules, a
    rules document (the parsed YAML), or None for ``config/deidentification.yaml``.
    """
    return [
        Finding(site, file, sheet, hit.first_row, hit.column, "", hit.rule, "conformance")
        for hit in scan_identifiers(table, rules, free_text, names)
    ]


def check_deidentified(
    table: Any,
    site: str,
    file: str | None = None,
    sheet: str | None = None,
    rules: DeidRules | dict | None = None,
    free_text: tuple[str, ...] | list[str] = (),
    names: NameList | None = None,
) -> None:
    """Raise :class:`ExtractError` when the extract carries any direct identifier.

    ``file`` and ``sheet`` default to the table's own provenance (SRCFILE, SRCSHEET).
    """
    file, sheet = _where(table, file, sheet)
    findings = find_identifiers(table, site, file, sheet, rules, free_text, names)
    if findings:
        raise ExtractError(findings)


def quarantine_identifiers(
    table: pa.Table,
    site: str,
    policy: str,
    rules: DeidRules | dict | None = None,
    free_text: tuple[str, ...] | list[str] = (),
    names: NameList | None = None,
) -> tuple[pa.Table, list[Finding]]:
    """The gate under a policy: ``fail`` refuses an extract that carries any identifier (as
    :func:`check_deidentified`); ``quarantine`` masks every matching cell (:func:`mask_text`)
    and returns one finding per masked cell (its row, column and rule, never the value); the
    row is kept (validation sets it aside if a rule needs the masked cell). A column whose name says it holds identifiers refuses the file
    under either policy: there is no row to set aside.
    """
    file, sheet = _where(table, None, None)
    hits = scan_identifiers(table, rules, free_text, names)
    if not hits:
        return table, []
    if policy != "quarantine" or any(h.by_header for h in hits):
        raise ExtractError([Finding(site, file, sheet, h.first_row, h.column, "", h.rule) for h in hits])
    findings: list[Finding] = []
    srcrow = table.column("SRCROW").to_pylist()
    for hit in hits:
        column = table.column(hit.column).to_pylist()
        matched = set(hit.values)
        rule = hit.rule.replace(ADVICE, QUARANTINED)
        rows = sorted({r for r, v in zip(srcrow, column, strict=True) if v in matched})
        findings += [Finding(site, file, sheet, r, hit.column, "", rule) for r in rows]
        masked = pa.array([mask_text(v) if v in matched else v for v in column], type=pa.string())
        table = table.set_column(table.column_names.index(hit.column), hit.column, masked)
    log.warning(
        "%s %s: %d cell(s) masked as identifiers (%s)",
        site,
        file,
        len(findings),
        ", ".join(sorted({f"{h.column} [{h.kind}]" for h in hits})),
    )
    return table, sorted(findings, key=lambda f: (f.row or 0, f.column))


def _where(table: Any, file: str | None, sheet: str | None) -> tuple[str, str]:
    if file is None or sheet is None:
        file_from, sheet_from = _provenance(table)
        file = file_from if file is None else file
        sheet = sheet_from if sheet is None else sheet
    return file, sheet


def _provenance(table: Any) -> tuple[str, str]:
    def first(name: str) -> str:
        if isinstance(table, pa.Table):
            if name not in table.column_names or table.num_rows == 0:
                return ""
            value = table.column(name)[0].as_py()
        else:
            if name not in table.columns or len(table) == 0:
                return ""
            value = table[name].iloc[0]
        return "" if value is None else str(value)

    return first("SRCFILE"), first("SRCSHEET")
