"""No planted identifier leaves the gate: one value of each kind is written into the Indian
interim cut's extracts (a bare name and a name on the site's list in remarks, a dotted mobile
number, a +39 number, a codice fiscale, a PAN, a street address, and a name typed into the
adverse-event term, a coded column), the cut is run by Snakemake under policy quarantine in a copy of the project,
and every byte under results/ and .snakemake/ (logs included, zip members and parquet cells
read as well) and the run's console output are searched for each value: none is found."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import PROJECT_ROOT

from inoflow.project import copy_project

pytestmark = pytest.mark.workflow

CUT = "2022-09-30"
PATIENTS = f"data/india/{CUT}/IN02/IN02_patients.csv"
AE = f"data/india/{CUT}/IN02/IN02_adverse_events.csv"
REMARK = "synthetic demo record"

# row of IN02's patients file -> the remark planted there, and the part of it searched for (none
# of them an example of config/deidentification.yaml, which the bundle carries)
REMARKS = {
    2: ("figlia al +39 06 4471 2290", "4471 2290"),
    3: ("brother Venkatesh Iyer informed", "Venkatesh"),
    4: ("son on 94481.77310", "94481.77310"),
    5: ("CF BNCGPP70A01H501X", "BNCGPP70A01H501X"),
    6: ("PAN ABCPK1234F on file", "ABCPK1234F"),
    7: ('"lives at #45, 2nd Cross, Indiranagar"', "Indiranagar"),
    8: ("reviewed by ekambaram", "ekambaram"),
}
# a name typed into a coded column (the battery has it in the cause of death too: there the
# patient's only follow-up row is set aside, and ADSL stops for want of it)
AE_TERM = ("02-0001,UTI,", "02-0001,Suresh Babu,", "Suresh")
SECRETS = [secret for _, secret in REMARKS.values()] + [AE_TERM[2]]


def plant(project: Path) -> None:
    path = project / PATIENTS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for row, (text, _) in REMARKS.items():
        assert REMARK in lines[row - 1]
        lines[row - 1] = lines[row - 1].replace(REMARK, text)
    path.write_text("".join(lines), encoding="utf-8")
    path = project / AE
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[1].startswith(AE_TERM[0])
    path.write_text(text.replace(AE_TERM[0], AE_TERM[1], 1), encoding="utf-8")


def only_the_interim_cut_under_quarantine(project: Path) -> None:
    """The copy runs one study, India, with one cut, the interim one, under policy quarantine."""
    path = project / "config" / "studies" / "india.yaml"
    study = yaml.safe_load(path.read_text(encoding="utf-8"))
    study["cuts"] = {CUT: study["cuts"][CUT] | {"validation_policy": "quarantine"}}
    study["publication_cut"] = CUT
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    path = project / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["studies"] = ["config/studies/india.yaml"]
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def texts_of(name: str, data: bytes):
    """The bytes of a file, and what a reader of it sees: each zip member, each parquet cell."""
    yield name, data
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            for member in bundle.namelist():
                yield from texts_of(f"{name}!{member}", bundle.read(member))
    elif name.endswith(".parquet"):
        table = pq.read_table(io.BytesIO(data))
        yield f"{name} (cells)", "\n".join(map(str, table.to_pylist())).encode("utf-8")


def leaks(folder: Path, secrets: list[str]) -> list[tuple[str, str]]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for name, data in texts_of(str(path.relative_to(folder)), path.read_bytes()):
            found += [(secret, name) for secret in secrets if secret.encode("utf-8") in data]
    return found


def test_no_planted_identifier_reaches_results_logs_cache_or_bundle(tmp_path):
    project = copy_project(tmp_path / "project", PROJECT_ROOT)
    plant(project)
    only_the_interim_cut_under_quarantine(project)
    targets = [f"results/india/{CUT}/book.html", f"results/india/{CUT}/audit/india_{CUT}_audit.zip"]
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *targets],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    cut = project / "results" / "india" / CUT
    # the remarks are masked and their rows kept, each listed as a finding without its value;
    # the adverse-event term is not a term of the vocabulary: that row is set aside
    findings = pd.read_csv(cut / "validated" / "IN02" / "patients.findings.csv", keep_default_na=False)
    identifiers = findings[findings["rule"].str.contains("[identifier kind: ", regex=False)]
    assert sorted(identifiers["row"]) == sorted(REMARKS)
    assert set(identifiers["value"]) == {""}
    rejected = pd.read_csv(cut / "reconciliation" / "rejected_rows.csv")
    in02 = rejected[rejected["site"] == "IN02"]
    assert in02.loc[in02["domain"] == "patients", "SRCROW"].tolist() == []
    assert in02.loc[in02["domain"] == "adverse_events", "SRCROW"].tolist() == [2]
    recon = pd.read_csv(cut / "reconciliation" / "reconciliation.csv")
    assert recon["balanced"].all()
    # the bundle withholds the two files as sent, giving their sha256
    with zipfile.ZipFile(cut / "audit" / f"india_{CUT}_audit.zip") as bundle:
        members = set(bundle.namelist())
    for name in ("IN02/IN02_patients.csv", "IN02/IN02_adverse_events.csv"):
        assert f"extracts/{name}" not in members and f"extracts/{name}.withheld.txt" in members
    assert "extracts/IN02/IN02_followup.csv" in members
    console = proc.stdout + proc.stderr
    assert [s for s in SECRETS if s in console] == []
    assert leaks(project / "results", SECRETS) == []
    assert leaks(project / ".snakemake", SECRETS) == []
