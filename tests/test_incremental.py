"""Rerun after a change: exactly the affected jobs are planned (``snakemake -n``), and an
incremental run gives the results of a clean run.

A copy of the project is run once (the interim demo cut); each scenario then changes one
thing in the copy, reads the planned jobs and puts the thing back. The copy runs its own
``src/`` (PYTHONPATH), so editing a module there is seen by the code hashes of the rules
(inoflow.codeversion).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from inoflow.config import load_contract
from inoflow.project import copy_project

pytestmark = pytest.mark.workflow

CUT = "2022-09-30"  # the interim cut: a locked cut refuses changed extracts (tests/test_workflow.py)
ENDPOINTS = ["response", "mrd", "survival", "safety", "death"]


class Project:
    def __init__(self, root: Path):
        self.root = root
        self.results = root / "results"
        self.env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}

    def snakemake(self, *args: str, results: Path | None = None) -> subprocess.CompletedProcess:
        results = results or self.results
        target = str(results / "india" / CUT / "book.html")
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", target, "--cores", "2", *args, "--config", f"results={results}"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        return proc

    def planned(self) -> set[str]:
        """The jobs a dry run plans, as 'rule' or 'rule[wildcard values]' (study and cut left out)."""
        out = self.snakemake("-n").stdout
        jobs = set()
        for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
            head = re.match(r"(?:local)?rule (\w+):", block)
            if not head:
                continue
            found = re.search(r"wildcards: (.*)", block)
            values = [
                kv.split("=", 1)[1]
                for kv in (found.group(1).split(", ") if found else [])
                if kv.split("=", 1)[0] not in ("study", "cut")
            ]
            jobs.add(head.group(1) + (f"[{','.join(values)}]" if values else ""))
        return jobs

    def edit(self, relative: str, old: str, new: str):
        """Change a file of the copy; returns a function that puts it back."""
        path = self.root / relative
        original = path.read_bytes()
        text = original.decode("utf-8")
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return lambda: path.write_bytes(original)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = Project(copy_project(tmp_path_factory.mktemp("project")))
    copy.snakemake()
    return copy


DOWNSTREAM_OF_AE = {
    "pool_sdtm_adverse_events",
    "reconcile_extracts",
    "report_data_quality",
    "derive_adam[ADAE]",
    "derive_adam[ADSL]",  # ADSL carries the subject-level toxicity flags derived in ADAE
    "derive_adam[ADTTE]",
    *(f"run_endpoint[{e}]" for e in ENDPOINTS),
    "assemble_book",
}


def test_a_noop_rerun_plans_nothing(project):
    assert project.planned() == set()


def test_one_site_resending_its_adverse_event_file_reruns_that_chain(project):
    restore = project.edit(
        "data/india/2022-09-30/IN02/IN02_adverse_events.csv",
        "UTI,22/07/2021,24/07/2021,2",
        "UTI,22/07/2021,24/07/2021,3",
    )
    try:
        assert project.planned() == {"ingest_validate_harmonise[IN02,adverse_events]", *DOWNSTREAM_OF_AE}
    finally:
        restore()
    assert project.planned() == set()  # the same bytes again: nothing to do


def test_editing_the_safety_notebook_reruns_safety_and_the_book_only(project):
    restore = project.edit(
        "notebooks/safety.ipynb",
        "# VOD, liver and haematological toxicity",
        "# VOD, liver and haematological toxicities",
    )
    try:
        assert project.planned() == {"run_endpoint[safety]", "assemble_book"}
    finally:
        restore()


def test_editing_a_derivation_module_reruns_its_dataset_and_what_reads_it(project):
    restore = project.edit("src/inoflow/adam/adtte.py", '"""', '"""Edited. ')
    try:
        assert project.planned() == {"derive_adam[ADTTE]", "run_endpoint[survival]", "assemble_book"}
    finally:
        restore()


def test_editing_one_sites_mapping_reruns_that_sites_extracts_and_what_follows(project):
    restore = project.edit("config/sites/india/IN03.yaml", "\n", "\n# edited\n")
    try:
        planned = project.planned()
    finally:
        restore()
    extracts = {job for job in planned if job.startswith("ingest_validate_harmonise")}
    assert extracts == {f"ingest_validate_harmonise[IN03,{d}]" for d in load_contract().domains}
    families = {f"pool_sdtm_{family}" for family in load_contract().sdtm_families()}
    assert families <= planned
    assert {f"run_endpoint[{e}]" for e in ENDPOINTS} | {"assemble_book"} <= planned


def test_an_incremental_run_gives_the_results_of_a_clean_run(project, tmp_path):
    restore = project.edit(
        "data/india/2022-09-30/IN02/IN02_adverse_events.csv",
        "UTI,22/07/2021,24/07/2021,2",
        "UTI,22/07/2021,24/07/2021,3",
    )
    try:
        project.snakemake()
        clean = tmp_path / "clean"
        project.snakemake(results=clean)
        for folder in ("sdtm", "adam", "ard"):
            for path in sorted((project.results / "india" / CUT / folder).glob("*.parquet")):
                incremental = pd.read_parquet(path)
                fresh = pd.read_parquet(clean / "india" / CUT / folder / path.name)
                pd.testing.assert_frame_equal(incremental, fresh, obj=f"{folder}/{path.name}")
        ae = pd.read_parquet(project.results / "india" / CUT / "sdtm" / "AE.parquet")
        uti = ae[(ae["USUBJID"] == "INO-IND-RWS-IN02-02-0007") & (ae["AETERM"] == "UTI")]
        assert uti["AETOXGR"].tolist() == [3]
    finally:
        restore()
    project.snakemake()  # back to the shipped data for any test after this one
