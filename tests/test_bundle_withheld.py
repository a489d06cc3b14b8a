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
