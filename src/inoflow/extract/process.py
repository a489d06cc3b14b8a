"""One file a site sent, through the extract stages in one process: ingest, the
de-identification gate, validation against the site's layout, harmonisation, and the
plausibility and uniqueness of each row. What the ``ingest_validate_harmonise`` jobs run.

Nothing identifying is written: under policy quarantine the gate masks each identifying cell
before anything else sees it, the columns the dialect does not declare are dropped, and a cell a
finding names is written (as read and as rejected) in the form the finding shows it
(:func:`inoflow.errors.shown_value`): a name typed into a coded column never reaches a file."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from inoflow.config import Site
from inoflow.errors import ExtractError, Finding, findings_frame, shown_value
from inoflow.extract import stage_paths
from inoflow.extract.deid import free_text_columns, quarantine_identifiers, site_name_list
from inoflow.extract.dialect import DomainDialect
from inoflow.extract.harmonise import harmonise_extract
from inoflow.extract.ingest import PROVENANCE, declared_columns, drop_undeclared, read_extract
from inoflow.extract.plausibility import check_duplicates, check_plausibility
from inoflow.extract.validate import ValidationResult, validate_extract

log = logging.getLogger(__name__)


@dataclass
class ExtractStages:
    """One extract after each stage: as read, as validated, as harmonised."""

    read: pa.Table
    validation: ValidationResult
    harmonised: pd.DataFrame

    def write(self, paths: dict[str, str]) -> None:
        """Write each stage to its file; ``paths`` maps each stage of :data:`inoflow.extract.STAGE_FILES` to a path."""
        pq.write_table(self.read, paths["read"])
        self.validation.accepted.to_parquet(paths["accepted"], index=False)
        self.validation.rejected.to_parquet(paths["rejected"], index=False)
        self.validation.findings.to_csv(paths["findings"], index=False)
        self.harmonised.to_parquet(paths["harmonised"], index=False)


def process_extract(
    site: Site, domain: str, extracts: Path, policy: str = "fail", today: date | None = None
) -> ExtractStages:
    """Ingest one site's extract for one domain, refuse it if it carries direct identifiers,
    validate it against the site's layout, harmonise it, and check each value's plausibility
    and each row's uniqueness.

    Policy ``fail``: any finding raises :class:`ExtractError` listing them all. Policy
    ``quarantine``: a row with a finding moves to the rejected rows with its reasons.
    """
    read = read_extract(site, domain, extracts)
    # The gate, before anything is validated, logged or written: fail refuses; quarantine masks the
    # cells, and validation then sets aside a row whose masked cell a rule needs (a name typed into
    # a coded column). Names are looked for in the declared free text and in every column whose
    # content the dialect does not describe (ignored, or not declared: dropped below, but in the
    # file as sent).
    mapped = declared_columns(site, domain) - set(site.domain_spec(domain).get("ignore", []))
    unknown = tuple(c for c in read.column_names if c not in mapped and c not in PROVENANCE)
    read, identifiers = quarantine_identifiers(
        read, site.site, policy, free_text=free_text_columns(site, domain) + unknown, names=site_name_list(site)
    )
    read = drop_undeclared(read, site, domain)  # a column the dialect does not declare is never written
    dialect = DomainDialect.of(site, domain)  # resolved once, shared by the stages
    validation = validate_extract(text_frame(read), site, domain, policy, dialect)  # parses each value once
    harmonised = harmonise_extract(validation.accepted, site, domain, validation.parsed)
    findings = check_plausibility(harmonised, validation.accepted, site.site, domain, today)
    findings += check_duplicates(harmonised, site.site, domain)
    if findings and policy == "fail":
        raise ExtractError(findings)
    if findings:
        validation, harmonised = quarantine_rows(validation, harmonised, findings)
    if identifiers:  # masked cells: listed; their rows are kept (a masked cell a rule needs fails validation)
        listed = pd.concat([findings_frame(identifiers), validation.findings], ignore_index=True)
        validation = ValidationResult(validation.accepted, validation.rejected, listed, validation.parsed)
    named = validation.findings.to_dict("records") if len(validation.findings) else []
    read = _mask_named_cells(read, named)
    rejected = _mask_named_cells(validation.rejected, named)
    validation = ValidationResult(validation.accepted, rejected, validation.findings, validation.parsed)
    return ExtractStages(read, validation, harmonised)


def text_frame(read: pa.Table) -> pd.DataFrame:
    """An extract as read (text cells, SRCROW) as validation takes it: pandas' string dtype, SRCROW
    Int64 (converted by Arrow, not cell by cell)."""
    return read.to_pandas(types_mapper={pa.string(): pd.StringDtype(), pa.int64(): pd.Int64Dtype()}.get)


def process_file(site: Site, domains: list[str], extracts: Path, policy: str, folders: dict[str, str]) -> list[Finding]:
    """One file a site sent (a file per domain, or a workbook with a sheet per domain): each
    domain it holds through the extract stages, each stage written to its file in the cut's
    ``folders`` (:func:`inoflow.extract.stage_paths`). Returns the findings that refuse the file
    ([] when it was written), so that a worker process can hand them back."""
    from inoflow.extract.ingest import workbooks_kept_open

    try:
        with workbooks_kept_open():  # a workbook is opened once for all its sheets
            for domain in domains:
                stages = process_extract(site, domain, extracts, policy)
                paths = stage_paths(folders, site.site, domain)
                for path in paths.values():
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                stages.write(paths)
    except ExtractError as exc:
        return list(exc.findings)
    return []


def _mask_named_cells(table, findings: list[dict]):
    """``table`` (pyarrow or pandas, with SRCROW) with each cell a finding names replaced by the
    form the finding shows (:func:`shown_value`): a cell whose text a finding masks is written
    masked too. Cells no finding masks are left as read."""
    cells: dict[str, set[int]] = {}
    for finding in findings:
        if finding["row"] is not None and not pd.isna(finding["row"]) and finding["column"]:
            cells.setdefault(finding["column"], set()).add(int(finding["row"]))
    if isinstance(table, pa.Table):
        names = table.column_names
        rows = table.column("SRCROW").to_pylist() if "SRCROW" in names else []
        for column, wanted in cells.items():
            if column not in names:
                continue
            values = table.column(column).to_pylist()
            new = [
                shown_value(v) if r in wanted and isinstance(v, str) else v for r, v in zip(rows, values, strict=True)
            ]
            if new != values:
                table = table.set_column(names.index(column), column, pa.array(new, type=pa.string()))
        return table
    if table.empty:
        return table
    table = table.copy()
    rows = table["SRCROW"].astype(int)
    for column, wanted in cells.items():
        if column not in table.columns:
            continue
        hit = rows.isin(wanted).to_numpy()
        table.loc[hit, column] = [shown_value(v) if isinstance(v, str) else v for v in table.loc[hit, column]]
    return table


def quarantine_rows(
    validation: ValidationResult, harmonised: pd.DataFrame, findings: list[Finding]
) -> tuple[ValidationResult, pd.DataFrame]:
    """Move the source rows named by ``findings`` from accepted to rejected, with their reasons,
    and drop the harmonised records built from them (a wide laboratory row is one source row)."""
    reasons: dict[int, list[str]] = {}
    for finding in findings:
        if finding.row is not None:
            reasons.setdefault(int(finding.row), []).append(f"{finding.column}: {finding.rule}")
    bad = validation.accepted["SRCROW"].astype(int).isin(reasons)
    moved = validation.accepted.loc[bad]
    moved = moved.assign(REJECT_REASON=[" ; ".join(reasons[int(r)]) for r in moved["SRCROW"]])
    rejected = pd.concat([validation.rejected, moved]).sort_values("SRCROW", kind="stable")
    found = pd.concat([validation.findings, findings_frame(findings)], ignore_index=True)
    kept = harmonised[~harmonised["SRCROW"].astype(int).isin(reasons)]
    log.warning("%d row(s) quarantined for plausibility: rows %s", int(bad.sum()), sorted(reasons))
    kept_rows = validation.accepted.index[~bad.to_numpy()]
    parsed = validation.parsed.rows(kept_rows) if validation.parsed is not None else None
    return ValidationResult(validation.accepted.loc[~bad], rejected, found, parsed), kept
