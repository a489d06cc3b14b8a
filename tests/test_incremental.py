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
from conftest import PROJECT_ROOT

from inoflow.config import load_contract, load_study
from inoflow.project import copy_project, plain_profile

pytestmark = pytest.mark.workflow

LOCKED = "2023-04-30"
CUT = "2022-09-30"  # the interim cut: a locked cut refuses changed extracts (tests/test_workflow.py)
ENDPOINTS = ["response", "mrd", "survival", "safety", "death"]
# the raw domains the Indian sites send (the contract also has the Italian study's resource use)
INDIA_DOMAINS = [
    d for d in load_contract().domains if d in load_study("config/studies/india.yaml").sites["IN03"].domains
]


class Project:
    def __init__(self, root: Path):
        self.root = root
        self.results = root / "results"
        self.env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
        # the dry runs read Snakemake's own description of each job (rule, wildcards): the
        # project's profile without its terminal logger
        self.plain = plain_profile(root)

    def snakemake(self, *args: str, results: Path | None = None, cut: str = CUT) -> subprocess.CompletedProcess:
        results = results or self.results
        target = str(results / "india" / cut / "book.html")
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", target, "--cores", "2", *args, "--config", f"results={results}"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        return proc

    def planned(self, cut: str = CUT) -> set[str]:
        """The jobs a dry run plans, as 'rule' or 'rule[wildcard values]' (study and cut left
        out). A cached step (inoflow.cache) is planned like any other: whether it is restored
        from the output cache is decided when it runs (see :meth:`restored`)."""
        out = self.snakemake("-n", "--workflow-profile", str(self.plain), cut=cut).stdout
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

    def restored(self, cut: str = CUT) -> set[str]:
        """The jobs of the last run of a cut that were restored from the output cache, named as
        by :meth:`planned`: their logs say "restored from cache entry <key>"."""
        logs = self.results / "india" / cut / "logs"
        jobs = set()
        for log in logs.glob("*/**/*.log"):
            if "restored from cache entry" not in log.read_text(encoding="utf-8"):
                continue
            rule, *where = log.relative_to(logs).with_suffix("").parts
            if rule == "pool_sdtm":
                jobs.add(f"pool_sdtm_{where[0]}")
            elif where[-1] == "workbook":  # logs/ingest_validate_harmonise/<site>/workbook.log
                jobs.add(f"{rule}_workbook[{where[0]}]")
            else:
                jobs.add(f"{rule}[{','.join(where)}]")
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
    copy = Project(copy_project(tmp_path_factory.mktemp("project"), PROJECT_ROOT))
    copy.snakemake()
    copy.clean = tmp_path_factory.mktemp("clean-run")  # the clean run's datasets, to compare with
    for folder in ("sdtm", "adam", "ard"):
        (copy.clean / folder).mkdir()
        for path in (copy.results / "india" / CUT / folder).glob("*.parquet"):
            (copy.clean / folder / path.name).write_bytes(path.read_bytes())
    return copy


def assert_same_results(cut_dir: Path, reference: Path) -> None:
    """The common model, ADaM datasets and ARD of a cut equal those of a reference run."""
    for folder in ("sdtm", "adam", "ard"):
        names = sorted(p.name for p in (cut_dir / folder).glob("*.parquet"))
        assert names == sorted(p.name for p in (reference / folder).glob("*.parquet")), folder
        for name in names:
            pd.testing.assert_frame_equal(
                pd.read_parquet(cut_dir / folder / name), pd.read_parquet(reference / folder / name), obj=name
            )


def run_and_compare_with_the_clean_run(project) -> None:
    """Run the planned jobs; the results equal the clean run's (the edits change no result)."""
    project.snakemake()
    assert_same_results(project.results / "india" / CUT, project.clean)


DOWNSTREAM_OF_AE = {
    "pool_sdtm_adverse_events",
    "reconcile_extracts",
    "report_data_quality",
    "derive_adam[ADAE]",  # ADSL reads no adverse events: its toxicity flags are derived from ADAE where used
    "run_endpoint[safety]",
    "run_endpoint[death]",
    "assemble_book",
}


def test_a_noop_rerun_plans_nothing(project):
    assert project.planned() == set()


# the files the sites resent between the interim cut and the lock (tests/test_round_trip.py)
RESENT = {
    "ingest_validate_harmonise_workbook[IN01]",
    "ingest_validate_harmonise[IN02,adverse_events]",
    "ingest_validate_harmonise[IN02,followup]",
    "ingest_validate_harmonise[IN03,followup]",
    "ingest_validate_harmonise_workbook[IN04]",
    "ingest_validate_harmonise[IN05,labs]",
    "ingest_validate_harmonise[IN05,followup]",
}


def test_interim_to_locked_processes_only_the_resent_files_and_equals_a_clean_run(project, tmp_path):
    """After the interim cut, the locked cut's files sent unchanged are restored from the
    output cache (inoflow.cache: the jobs run, find their verified entry and copy it); the
    resent ones, the pooling and everything at the level of the cut (its cut-off differs) are
    computed. The results equal those of a clean run. (Runs before the scenarios below: a
    resent interim file equal to the locked one would be in the cache.)"""
    extract_jobs = {f"ingest_validate_harmonise[{s},{d}]" for s in ("IN02", "IN03", "IN05") for d in INDIA_DOMAINS}
    extract_jobs |= {"ingest_validate_harmonise_workbook[IN01]", "ingest_validate_harmonise_workbook[IN04]"}
    planned = project.planned(cut=LOCKED)
    project.snakemake(cut=LOCKED)
    restored = project.restored(cut=LOCKED)
    computed = planned - restored
    families, unsent = set(), set()  # the families the Indian sites send, and those they do not (HO)
    for family, (raws, _) in load_contract().sdtm_families().items():
        (families if set(raws) & set(INDIA_DOMAINS) else unsent).add(f"pool_sdtm_{family}")
    # an empty family (no site sends its domains) is the same in both cuts: restored
    assert restored == (extract_jobs - RESENT) | unsent
    assert {job for job in computed if job.startswith("ingest_validate_harmonise")} == RESENT
    cut_level = {"reconcile_extracts", "report_data_quality", "assemble_book"}
    cut_level |= {f"derive_adam[{n}]" for n in ("ADELIG", "ADRS", "ADAE", "ADSL", "ADTTE")}
    cut_level |= {f"run_endpoint[{e}]" for e in ENDPOINTS}
    assert computed == RESENT | families | cut_level
    assert not any(path.is_symlink() for path in project.results.rglob("*"))  # restored as copies
    clean = tmp_path / "clean"
    project.snakemake(results=clean, cut=LOCKED)
    assert_same_results(project.results / "india" / LOCKED, clean / "india" / LOCKED)


def test_one_site_resending_its_adverse_event_file_reruns_that_chain(project):
    restore = project.edit(
        "data/india/2022-09-30/IN02/IN02_adverse_events.csv",
        "UTI,22/07/2021,24/07/2021,2",
        "UTI,22/07/2021,24/07/2021,4",
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
        run_and_compare_with_the_clean_run(project)
    finally:
        restore()
    assert project.planned() == {"run_endpoint[safety]", "assemble_book"}  # the notebook changed back
    run_and_compare_with_the_clean_run(project)


def test_editing_a_derivation_module_reruns_its_dataset_and_what_reads_it(project):
    restore = project.edit("src/inoflow/adam/adtte.py", '"""', '"""Edited. ')
    try:
        assert project.planned() == {"derive_adam[ADTTE]", "run_endpoint[survival]", "assemble_book"}
        run_and_compare_with_the_clean_run(project)
    finally:
        restore()
    run_and_compare_with_the_clean_run(project)


def test_editing_one_sites_mapping_reruns_that_sites_extracts_and_what_follows(project):
    restore = project.edit("config/sites/india/IN03.yaml", "\n", "\n# edited\n")
    try:
        planned = project.planned()
        run_and_compare_with_the_clean_run(project)
    finally:
        restore()
    run_and_compare_with_the_clean_run(project)
    extracts = {f"ingest_validate_harmonise[IN03,{d}]" for d in INDIA_DOMAINS}
    families = {  # the families IN03 sends a domain of
        f"pool_sdtm_{family}"
        for family, (raws, _) in load_contract().sdtm_families().items()
        if set(raws) & set(INDIA_DOMAINS)
    }
    cut_level = {"reconcile_extracts", "report_data_quality", "assemble_book"}
    cut_level |= {f"derive_adam[{n}]" for n in ("ADELIG", "ADRS", "ADAE", "ADSL", "ADTTE")}
    cut_level |= {f"run_endpoint[{e}]" for e in ENDPOINTS}
    assert planned == extracts | families | cut_level


def test_an_incremental_run_gives_the_results_of_a_clean_run(project, tmp_path):
    restore = project.edit(
        "data/india/2022-09-30/IN02/IN02_adverse_events.csv",
        "UTI,22/07/2021,24/07/2021,2",
        "UTI,22/07/2021,24/07/2021,4",
    )
    try:
        project.snakemake()
        clean = tmp_path / "clean"
        project.snakemake(results=clean)
        assert_same_results(project.results / "india" / CUT, clean / "india" / CUT)
        ae = pd.read_parquet(project.results / "india" / CUT / "sdtm" / "AE.parquet")
        uti = ae[(ae["USUBJID"] == "INO-IND-RWS-IN02-02-0007") & (ae["AETERM"] == "UTI")]
        assert uti["AETOXGR"].tolist() == [4]
    finally:
        restore()
    project.snakemake()  # back to the shipped data for any test after this one
