"""One file a site sent, through the extract stages in one process: ingest, the
de-identification gate, validation against the site's layout, harmonisation, and the
plausibility and uniqueness of each row. What the ``ingest_validate_harmonise`` jobs run."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from inoflow.config import Site
from inoflow.errors import ExtractError, Finding, findings_frame
from inoflow.extract.deid import check_deidentified
from inoflow.extract.dialect import DomainDialect
from inoflow.extract.harmonise import harmonise_extract
from inoflow.extract.ingest import read_extract
from inoflow.extract.plausibility import check_duplicates, check_plausibility
from inoflow.extract.validate import ValidationResult, validate_extract

log = logging.getLogger(__name__)


STAGE_OUTPUTS = ("read", "accepted", "rejected", "findings", "harmonised")


@dataclass
class ExtractStages:
    """One extract after each stage: as read, as validated, as harmonised."""

    read: pa.Table
    validation: ValidationResult
    harmonised: pd.DataFrame

    def write(self, paths: dict[str, str]) -> None:
        """Write each stage to its file; ``paths`` maps each of STAGE_OUTPUTS to a path."""
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
    check_deidentified(read, site.site)  # before anything is validated, logged or written; under any policy
    dialect = DomainDialect.of(site, domain)  # resolved once, shared by the stages
    validation = validate_extract(read.to_pandas(), site, domain, policy, dialect)  # parses each value once
    harmonised = harmonise_extract(validation.accepted, site, domain, validation.parsed)
    findings = check_plausibility(harmonised, validation.accepted, site.site, domain, today)
    findings += check_duplicates(harmonised, site.site, domain)
    if findings and policy == "fail":
        raise ExtractError(findings)
    if findings:
        validation, harmonised = quarantine_rows(validation, harmonised, findings)
    return ExtractStages(read, validation, harmonised)


def quarantine_rows(
    validation: ValidationResult, harmonised: pd.DataFrame, findings: list[Finding]
) -> tuple[ValidationResult, pd.DataFrame]:
    """Move the source rows named by ``findings`` from accepted to rejected, with their reasons,
    and drop the harmonised records built from them (a wide laboratory row is one source row)."""
    reasons: dict[int, list[str]] = {}
    for finding in findings:
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
