"""Pool the sites' harmonised records into one common-model domain and validate it.

Each pooled domain is checked against its pandera model (schemas/sdtm.py), lazily; every
failure is reported with the site, file, sheet and row the failing record came from.
Cross-site checks: one subject belongs to one site only.
"""

from __future__ import annotations

import logging

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
    """
    contract = load_contract()
    by_raw: dict[str, list[pd.DataFrame]] = {raw: [] for raw in contract.sources_of(name)}
    for table in canonical_tables:
        raw = _raw_domain_of(table, by_raw)
        by_raw[raw].append(table)
    canonical = {raw: pd.concat(parts, ignore_index=True) for raw, parts in by_raw.items() if parts}
    domain = build_sdtm_domain(name, canonical, studyid)
    validate_sdtm_domain(name, domain)
    return domain


def _raw_domain_of(table: pd.DataFrame, candidates: dict[str, list]) -> str:
    contract = load_contract()
    for raw in candidates:
        if set(contract.variables(raw)).issubset(table.columns):
            return raw
    raise ValueError(f"table with columns {list(table.columns)} matches none of {list(candidates)}")


def validate_sdtm_domain(name: str, domain: pd.DataFrame) -> None:
    """Validate a pooled domain against its pandera model; raise with every failure located."""
    model = MODELS[name]
    findings: list[Finding] = []
    try:
        model.validate(domain, lazy=True)
    except pa.errors.SchemaErrors as exc:
        for case in exc.failure_cases.itertuples(index=False):
            findings.extend(_locate(domain, case, name))
    if name == "DM":
        findings.extend(_subjects_in_one_site(domain))
    if findings:
        raise ExtractError(findings)
    log.info("%s: %d records pass the common-model schema", name, len(domain))


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
