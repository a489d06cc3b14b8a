"""Rerun after a change: exactly the affected work is done, and an incremental run gives the
results of a clean run.

The jobs are coarse (one per cut and stage) and their parts fine (inoflow.cache.JobParts: each
file a site sent, each family of domains, each ADaM dataset, each endpoint): a change plans the
cut's jobs downstream of it (``snakemake -n``), and within them only the parts whose inputs
changed are computed, the others restored from the output cache. Each job's log says which
(``output cache: N of M parts restored; computed: ...``).

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
import time
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

    def computed(self, since: float, cut: str = CUT) -> set[str]:
        """What the runs of a cut since ``since`` computed: 'rule[part]' for each part of a job
        made of parts that was not restored from the output cache, 'rule' for a job without
        parts (their logs, rewritten by each run of their job)."""
        done = set()
        for log in (self.results / "india" / cut / "logs").rglob("*.log"):
            if log.stat().st_mtime < since:
                continue
            text = log.read_text(encoding="utf-8")
            rule = re.search(r"INFO inoflow\.rule\.(\w+): rule ", text).group(1)
            summary = re.findall(r"output cache: \d+ of \d+ parts restored(?:; computed: (.*))?$", text, re.M)
            if not summary:
                done.add(rule)
            elif summary[-1]:
                done |= {f"{rule}[{part}]" for part in summary[-1].split(", ")}
        return done

    def run_and_report(self, cut: str = CUT) -> set[str]:
        """Run the cut; what it computed (:meth:`computed`)."""
        since = time.time() - 1
        self.snakemake(cut=cut)
        return self.computed(since, cut)

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


INDIA = load_study("config/studies/india.yaml")
CUT_JOBS = {"extract", "pool_sdtm", "reconcile_extracts", "report_data_quality", "derive_adam", "run_endpoints"}
CUT_JOBS |= {"assemble_book"}
AE_FILE = INDIA.sites["IN02"].domain_spec("adverse_events")["file"]
DOWNSTREAM_OF_AE = {
    f"extract[IN02/{AE_FILE}]",
    "pool_sdtm[adverse_events]",
    "reconcile_extracts",
    "report_data_quality",
    "derive_adam[ADAE]",  # ADSL reads no adverse events: its toxicity flags are derived from ADAE where used
    "run_endpoints[safety]",
    "run_endpoints[death]",
    "assemble_book",
}
ALL_DATASETS = {f"derive_adam[{n}]" for n in ("ADELIG", "ADRS", "ADAE", "ADSL", "ADTTE")}
ALL_ENDPOINTS = {f"run_endpoints[{e}]" for e in ENDPOINTS}


def file_of(site: str, domain: str) -> str:
    """The part name of the file a site sends a domain in: '<site>/<file>'."""
    return f"{site}/{INDIA.sites[site].domain_spec(domain)['file']}"


def test_a_noop_rerun_plans_nothing(project):
    assert project.planned() == set()


# the files the sites resent between the interim cut and the lock (tests/test_round_trip.py)
RESENT = {
    f"extract[{file_of(site, domain)}]"
    for site, domain in [
        ("IN01", "patients"),  # a workbook: one file for every domain
        ("IN02", "adverse_events"),
        ("IN02", "followup"),
        ("IN03", "followup"),
        ("IN04", "patients"),
        ("IN05", "labs"),
        ("IN05", "followup"),
    ]
}


def test_interim_to_locked_processes_only_the_resent_files_and_equals_a_clean_run(project, tmp_path):
    """After the interim cut, the locked cut's files sent unchanged are restored from the
    output cache (inoflow.cache: the extract job finds each file's verified entry and copies
    it); the resent ones, the families of domains they feed and everything at the level of the
    cut (its cut-off differs) are computed. The results equal those of a clean run. (Runs
    before the scenarios below: a resent interim file equal to the locked one would be in the
    cache.)"""
    assert project.planned(cut=LOCKED) == CUT_JOBS
    computed = project.run_and_report(cut=LOCKED)
    families = {  # the families the resent files feed
        f"pool_sdtm[{family}]"
        for family, (raws, _) in load_contract().sdtm_families().items()
        if set(raws) & {"adverse_events", "followup", "labs", *INDIA.sites["IN01"].domains}
    }
    assert {job for job in computed if job.startswith("extract")} == RESENT
    cut_level = {"reconcile_extracts", "report_data_quality", "assemble_book"} | ALL_DATASETS | ALL_ENDPOINTS
    assert computed == RESENT | families | cut_level
    assert not any(path.is_symlink() for path in project.results.rglob("*"))  # restored as copies
    clean = tmp_path / "clean"
    project.snakemake(results=clean, cut=LOCKED)
    assert_same_results(project.results / "india" / LOCKED, clean / "india" / LOCKED)


def test_one_site_resending_its_adverse_event_file_recomputes_that_chain(project):
    restore = project.edit(
        "data/india/2022-09-30/IN02/IN02_adverse_events.csv",
        "UTI,22/07/2021,24/07/2021,2",
        "UTI,22/07/2021,24/07/2021,4",
    )
    try:
        assert project.planned() == CUT_JOBS
        assert project.run_and_report() == DOWNSTREAM_OF_AE
    finally:
        restore()
    # the shipped bytes again: the cut's jobs rerun, and restore every part from the cache
    assert project.run_and_report() == {"reconcile_extracts", "report_data_quality", "assemble_book"}
    assert project.planned() == set()


def test_editing_the_safety_notebook_reruns_safety_and_the_book_only(project):
    restore = project.edit(
        "notebooks/safety.ipynb",
        "# VOD, liver and haematological toxicity",
        "# VOD, liver and haematological toxicities",
    )
    try:
        assert project.planned() == {"run_endpoints", "assemble_book"}
        assert project.run_and_report() == {"run_endpoints[safety]", "assemble_book"}
        assert_same_results(project.results / "india" / CUT, project.clean)
    finally:
        restore()
    assert project.planned() == {"run_endpoints", "assemble_book"}  # the notebook changed back
    assert project.run_and_report() == {"assemble_book"}  # its earlier outputs are in the cache
    assert_same_results(project.results / "india" / CUT, project.clean)


def test_editing_a_derivation_module_rederives_its_dataset_only(project):
    """The edit (a docstring) changes the module's code hash: ADTTE is derived again, and, as it
    comes out byte for byte the same, the survival endpoint that reads it is restored."""
    restore = project.edit("src/inoflow/adam/adtte.py", '"""', '"""Edited. ')
    try:
        assert project.planned() == {"derive_adam", "run_endpoints", "assemble_book"}
        assert project.run_and_report() == {"derive_adam[ADTTE]", "assemble_book"}
        assert_same_results(project.results / "india" / CUT, project.clean)
    finally:
        restore()
    run_and_compare_with_the_clean_run(project)


def test_editing_an_endpoint_module_recomputes_that_endpoint_only(project):
    """The edit (a docstring) changes the death endpoint's code hash, a param of the endpoints
    job compared between runs: the job runs and computes the death endpoint again, the others
    restored from the cache. (Its notebook parameters, computed from the outputs, are not
    compared by Snakemake: before the code param, the edit reran only the book.)"""
    restore = project.edit("src/inoflow/analysis/endpoints/death.py", '"""', '"""Edited. ')
    try:
        assert project.planned() == {"run_endpoints", "assemble_book"}
        assert project.run_and_report() == {"run_endpoints[death]", "assemble_book"}
        assert_same_results(project.results / "india" / CUT, project.clean)
    finally:
        restore()
    run_and_compare_with_the_clean_run(project)


def test_editing_one_sites_mapping_rereads_that_sites_files_only(project):
    """The edit (a comment) changes the dialect file: every file of IN03 is read again; their
    tables come out byte for byte the same, so every family, dataset and endpoint is restored."""
    restore = project.edit("config/sites/india/IN03.yaml", "\n", "\n# edited\n")
    try:
        assert project.planned() == CUT_JOBS
        computed = project.run_and_report()
        assert_same_results(project.results / "india" / CUT, project.clean)
    finally:
        restore()
    run_and_compare_with_the_clean_run(project)
    extracts = {f"extract[{file_of('IN03', d)}]" for d in INDIA_DOMAINS}
    assert computed == extracts | {"reconcile_extracts", "report_data_quality", "assemble_book"}


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
