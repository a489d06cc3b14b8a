"""Pool the sites' harmonised records into one common-model domain and validate it.

Each pooled domain is checked against its pandera model (schemas/sdtm.py), lazily; every
failure is reported with the site, file, sheet and row the failing record came from.
Cross-site checks: one subject belongs to one site only.

The workflow pools a study site by site (:func:`write_pooled_domains`): a site's records are
built, checked and kept compact before the next site is read, so pooling holds one site's
records at a time, not the study's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from inoflow.config import load_contract
from inoflow.errors import ExtractError, Finding
from inoflow.model.build import build_sdtm_domain
from inoflow.schemas.sdtm import MODELS

log = logging.getLogger(__name__)


def pool_domain(name: str, canonical_tables: list[pd.DataFrame], studyid: str) -> pd.DataFrame:
    """Build and validate one SDTM domain from every site's canonical tables of its sources.

    ``canonical_tables`` are the harmonised tables of the raw domains feeding ``name`` (any
    order, any number of sites); each carries SITEID and its own raw domain's variables.
    The workflow pools site by site instead (:func:`write_pooled_domains`), to the same file.
    """
    domain = build_sdtm_domain(name, _by_raw(name, canonical_tables), studyid)
    validate_sdtm_domain(name, domain)
    return domain


def write_pooled_domains(
    names: list[str], sites: Iterable[tuple[str, dict[str, pd.DataFrame]]], studyid: str, paths: dict[str, str | Path]
) -> dict[str, int]:
    """Pool SDTM domains site by site and write each to ``paths[name]``; returns the records of each.

    ``sites`` yields each site's harmonised tables (raw domain -> table), one site at a time
    and in site order (read lazily). A domain is built and checked from a batch of consecutive
    sites at a time (``BATCH_ROWS`` rows sent: every site at once in a study of the demo's
    size, as checking costs a fixed time per call), whose records are then kept as compact
    Arrow columns until the file is written: pooling holds a batch's records as pandas objects,
    not the study's. Each file is the one :func:`pool_domain` of all sites at once would give:
    the same records, order, columns and types (tested). It can be, because every record is
    built from its own row, a subject's records (their order, --SEQ) are its site's, and every
    check of the model is a record's own or a subject's (USUBJID carries the site), so the
    batches' findings together are the study's; which columns a domain has, in which order and
    of which type, depends only on which variables (and tests) any site filled, and
    :func:`_layout_rows` keeps a few rows of each table that show it. Every finding of every
    site and domain is reported at once.
    """
    contract = load_contract()
    pooled = {name: _Batches(name, studyid) for name in names}
    for _site, tables in sites:
        for name in names:
            sources = contract.sources_of(name)
            pooled[name].add([t for raw, t in tables.items() if raw in sources and len(t)])
    for batches in pooled.values():
        batches.flush()
    findings = [f for name in names for f in pooled[name].findings]
    if findings:
        raise ExtractError(findings)
    return {name: pooled[name].write(paths[name]) for name in names}


BATCH_ROWS = 250_000
"""Rows sent (harmonised) of consecutive sites built and checked together."""


class _Batches:
    """One domain's validated records, a batch of sites at a time, as Arrow tables with text
    dictionary-encoded."""

    def __init__(self, name: str, studyid: str):
        self.name, self.studyid = name, studyid
        self.pending: list[pd.DataFrame] = []
        self.chunks: list = []
        self.layout: list[pd.DataFrame] = []
        self.findings: list[Finding] = []

    def add(self, tables: list[pd.DataFrame]) -> None:
        """A site's tables of the domain's sources; built once a batch is full."""
        self.pending += tables
        if sum(len(t) for t in self.pending) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Build and check the pending sites' records, keep them compact."""
        import pyarrow as pa

        if not self.pending:
            return
        canonical = _by_raw(self.name, self.pending)
        self.pending = []
        self.layout += [_layout_rows(self.name, raw, table) for raw, table in canonical.items()]
        domain = build_sdtm_domain(self.name, canonical, self.studyid)
        del canonical
        self.findings += sdtm_domain_findings(self.name, domain)
        first, last = domain["USUBJID"].iloc[0], domain["USUBJID"].iloc[-1]
        table = _compact(pa.Table.from_pandas(domain, preserve_index=False))
        self.chunks.append((first, last, domain["USUBJID"].nunique(), table))

    def write(self, path: str | Path) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # the study's columns and types: the domain built from each site's rows of distinct layout
        layout = build_sdtm_domain(self.name, _by_raw(self.name, self.layout), self.studyid)
        if not self.chunks:
            layout.to_parquet(path, index=False)
            return 0
        schema = pa.Table.from_pandas(layout, preserve_index=False).schema
        chunks = sorted(self.chunks, key=lambda c: c[0])  # USUBJID begins with the site's code
        if any(a[1] >= b[0] for a, b in pairwise(chunks)):
            raise ValueError(f"{self.name}: two batches' subjects interleave in USUBJID order")
        with pq.ParquetWriter(path, schema) as writer:
            for *_, table in chunks:
                writer.write_table(_conform(table, schema))
        records = sum(c[3].num_rows for c in chunks)
        subjects = sum(c[2] for c in chunks)
        log.info("%s: %d records for %d subjects pass the common-model schema", self.name, records, subjects)
        return records


def _by_raw(name: str, tables: list[pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Tables of a domain's sources (any order, any sites) -> raw domain -> their rows together."""
    by_raw: dict[str, list[pd.DataFrame]] = {raw: [] for raw in load_contract().sources_of(name)}
    for table in tables:
        by_raw[_raw_domain_of(table, by_raw)].append(table)
    return {raw: pd.concat(parts, ignore_index=True) for raw, parts in by_raw.items() if parts}


def _layout_rows(name: str, raw: str, table: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``table`` (raw domain ``raw``) with a distinct pattern of filled cells and,
    where the contract builds ``name`` from one record per test (``kind: long``), a distinct
    test: built into the domain, they give the columns, in the order and of the types, that
    the whole table gives (a column exists where a variable or test is filled; its type is
    that of the values filled together)."""
    if len(table) <= 1:
        return table
    filled = table.notna().to_numpy()
    keys = [np.packbits(filled, axis=1)]  # a row's pattern, 8 columns a byte
    spec = load_contract().domains[raw]["sdtm"][name]
    if spec["kind"] == "long":
        keys.append(pd.factorize(table[spec["test"]])[0][:, None])
    pattern = pd.DataFrame(np.hstack([k.astype(np.int64) for k in keys]))
    return table.iloc[np.flatnonzero(~pattern.duplicated().to_numpy())]


def _compact(table):
    """Text columns dictionary-encoded: a site's records in a fraction of the memory."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type):
            table = table.set_column(i, field.name, pc.dictionary_encode(table.column(i)))
    return table


def _conform(table, schema):
    """A site's records in the study's columns and types (a column the site did not fill: null)."""
    import pyarrow as pa

    columns = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _raw_domain_of(table: pd.DataFrame, candidates: dict[str, list]) -> str:
    contract = load_contract()
    for raw in candidates:
        if set(contract.variables(raw)).issubset(table.columns):
            return raw
    raise ValueError(f"table with columns {list(table.columns)} matches none of {list(candidates)}")


def validate_sdtm_domain(name: str, domain: pd.DataFrame) -> None:
    """Validate a pooled domain against its pandera model; raise with every failure located."""
    findings = sdtm_domain_findings(name, domain)
    if findings:
        raise ExtractError(findings)
    log.info("%s: %d records pass the common-model schema", name, len(domain))


def sdtm_domain_findings(name: str, domain: pd.DataFrame) -> list[Finding]:
    """Every failure of a domain's records against its pandera model, each located."""
    findings: list[Finding] = []
    try:
        MODELS[name].validate(domain, lazy=True)
    except pa.errors.SchemaErrors as exc:
        for case in exc.failure_cases.itertuples(index=False):
            findings.extend(_locate(domain, case, name))
    if name == "DM":
        findings.extend(_subjects_in_one_site(domain))
    return findings


def _locate(domain: pd.DataFrame, case, name: str) -> list[Finding]:
    column = case.column if isinstance(case.column, str) else ""
    value = "" if pd.isna(case.failure_case) else str(case.failure_case)
    rule = f"common model {name}: {case.check}"
    if pd.isna(case.index):
        return [Finding("", "", "", None, column, value, rule)]
    record = domain.loc[case.index]
    source_col = ""
    if column:
        source_col = column
    return [
        Finding(
            record["SITEID"],
            record["SRCFILE"],
            record["SRCSHEET"] or "",
            int(record["SRCROW"]),
            source_col,
            value,
            rule,
            "plausibility",
        )
    ]


def _subjects_in_one_site(dm: pd.DataFrame) -> list[Finding]:
    """The same site subject id may recur across sites (different patients), but a subject
    must not be sent twice by one site."""
    dup = dm[dm.duplicated(["SITEID", "SUBJID"], keep=False)]
    return [
        Finding(
            r.SITEID,
            r.SRCFILE,
            r.SRCSHEET or "",
            int(r.SRCROW),
            "SUBJID",
            r.SUBJID,
            "subject sent twice by the site",
            "plausibility",
        )
        for r in dup.itertuples()
    ]
