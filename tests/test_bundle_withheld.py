"""The audit bundle withholds an extract in which the de-identification gate found an
identifier, or a finding had to mask a cell's text (inoflow.audit.crate)."""

from __future__ import annotations

import pandas as pd

from inoflow.audit.crate import _withheld_note, files_with_identifiers
from inoflow.errors import FINDING_COLUMNS, Finding, findings_frame
from inoflow.extract.deid import is_masked


def _write(cut_dir, site, domain, findings):
    path = cut_dir / "validated" / site / f"{domain}.findings.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    findings_frame(findings).to_csv(path, index=False)


def test_files_with_identifiers_or_masked_text_are_named_with_what_was_found(tmp_path):
    _write(
        tmp_path,
        "IN02",
        "patients",
        [
            Finding("IN02", "IN02/IN02_patients.csv", "", 3, "Remarks", "", "a phone [identifier kind: phone]: ..."),
            Finding("IN02", "IN02/IN02_patients.csv", "", 4, "Remarks", "", "a name [identifier kind: person_name]"),
        ],
    )
    _write(
        tmp_path,
        "IN02",
        "followup",
        [Finding("IN02", "IN02/IN02_followup.csv", "", 4, "Cause", "Suresh Babu", "DEATH_CAUSE must be a term")],
    )
    _write(
        tmp_path,
        "IN02",
        "adverse_events",
        [Finding("IN02", "IN02/IN02_adverse_events.csv", "", 2, "Grade", "7", "GRADE must be 1-5")],
    )
    _write(tmp_path, "IN03", "labs", [])
    assert files_with_identifiers(tmp_path) == {
        "IN02/IN02_followup.csv": ["text masked in a finding"],
        "IN02/IN02_patients.csv": ["person_name", "phone"],
    }
    assert list(pd.read_csv(tmp_path / "validated" / "IN02" / "followup.findings.csv").columns) == FINDING_COLUMNS


def test_the_note_gives_the_files_sha256_and_no_value():
    note = _withheld_note("IN02/IN02_patients.csv", "ab" * 32, ["person_name", "phone"])
    assert note.startswith(
        "IN02/IN02_patients.csv is withheld from this bundle: the de-identification gate found identifiers in it "
        "(person_name, phone)"
    )
    assert f"sha256 of the file as received: {'ab' * 32}" in note


def test_a_masked_value_is_told_from_a_shown_one():
    assert is_masked("S***** B***") and is_masked("9****.*****")
    assert not any(is_masked(v) for v in ("UTI", "02-0001 | UTI | 2017-08-11", "12200", "a*b", ""))


def test_a_job_whose_outputs_ended_at_different_times_is_one_job(tmp_path):
    """Snakemake keeps one record per output, each with its own times: an endpoint writing its
    ARD, notebook and tables over several seconds is one job with every output as its result."""
    import base64
    import json

    from inoflow.audit.crate import snakemake_jobs

    metadata = tmp_path / "metadata"
    metadata.mkdir()
    for output, start, end in (("r/ard/mrd.parquet", 10.0, 14.0), ("r/tables/mrd", 10.5, 15.0)):
        name = base64.urlsafe_b64encode(output.encode()).decode()
        record = {"rule": "run_endpoint", "job_hash": 42, "starttime": start, "endtime": end, "input": ["a"]}
        (metadata / name).write_text(json.dumps(record), encoding="utf-8")
    (job,) = snakemake_jobs(metadata, "r/")
    assert (job.rule, job.start, job.end, sorted(job.outputs)) == (
        "run_endpoint",
        10.0,
        15.0,
        ["r/ard/mrd.parquet", "r/tables/mrd"],
    )
