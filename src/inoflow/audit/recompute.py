"""Recompute an ARD row from raw rows alone: the check that a trace is sufficient.

Given the raw rows a trace returns (:class:`inoflow.audit.trace.Trace` ``.raw``: site, raw domain,
provenance and every cell as read), this rebuilds the files' tables, validates and harmonises
them with each site's own dialect, pools the common-model domains, derives the ADaM datasets
the row was computed from and builds the endpoint's ARD: the same code as the workflow, on
nothing but those rows. A common-model domain none of whose rows are traced, and an ADaM
dataset the row was not computed from, enter with their layout only (columns and types, no
record: :func:`layouts`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from inoflow.adam.derive import derive_datasets
from inoflow.analysis.endpoints import ADAM_INPUTS
from inoflow.analysis.lineage import domains_behind
from inoflow.analysis.notebook import build_ard
from inoflow.config import Study, load_contract
from inoflow.extract.dialect import DomainDialect
from inoflow.extract.harmonise import harmonise_extract
from inoflow.extract.ingest import PROVENANCE
from inoflow.extract.validate import validate_extract
from inoflow.model.pool import pool_domain


def read_tables(raw: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """Raw rows -> one table per (site, raw domain), as the ingest stage would have read it."""
    tables = {}
    for (site, domain), part in raw.groupby(["SITEID", "RAWDOM"], sort=True):
        cells = pd.DataFrame([json.loads(v) for v in part["VALUES"]])
        provenance = part[PROVENANCE].reset_index(drop=True).astype({"SRCROW": "int64"})
        tables[(site, domain)] = pd.concat([cells, provenance], axis=1)
    return tables


def layouts(cut_dir: Path) -> dict[str, pd.DataFrame]:
    """Every common-model domain and ADaM dataset of a cut with its columns and types and no
    record (read from the parquet schema, not the data)."""
    out = {}
    for folder in ("sdtm", "adam"):
        for path in sorted((Path(cut_dir) / folder).glob("*.parquet")):
            out[path.stem] = pq.read_schema(path).empty_table().to_pandas()
    return out


def common_model_from_raw(
    raw: pd.DataFrame, study: Study, domains: list[str], layout: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The common-model ``domains`` built from ``raw`` rows with each site's dialect."""
    contract = load_contract()
    canonical: dict[str, list[pd.DataFrame]] = {}
    for (site, domain), table in read_tables(raw).items():
        site_dialect = study.sites[site]
        resolved = DomainDialect.of(site_dialect, domain)
        # the traced rows are data rows: the file's report footer was set aside when it was read
        resolved = replace(resolved, settings={**resolved.settings, "skip_footer": 0})
        validation = validate_extract(table, site_dialect, domain, "fail", resolved)
        canonical.setdefault(domain, []).append(
            harmonise_extract(validation.accepted, site_dialect, domain, validation.parsed)
        )
    sdtm = {}
    for name in domains:
        tables = [t for source in contract.sources_of(name) for t in canonical.get(source, [])]
        sdtm[name] = pool_domain(name, tables, study.studyid) if tables else layout[name]
    return sdtm


def recompute_ard(
    raw: pd.DataFrame,
    study: Study,
    endpoint: str,
    definitions: dict,
    cutoff: str,
    datasets: list[str],
    layout: dict[str, pd.DataFrame],
) -> pd.DataFrame:
    """The ARD of ``endpoint`` computed from ``raw`` rows only, deriving ``datasets`` (those an
    ARD row was computed from) and what they are derived from."""
    sdtm = common_model_from_raw(raw, study, domains_behind(datasets), layout)
    adam = derive_datasets(datasets, sdtm, definitions, cutoff)
    return build_ard(endpoint, {n: adam.get(n, layout[n]) for n in ADAM_INPUTS[endpoint]}, definitions)
