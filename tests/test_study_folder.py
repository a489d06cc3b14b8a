"""A real study's layout: the configuration and extracts in a folder outside the checkout, the
workflow installed elsewhere (README, "Your own study"); a copy of the checkout run with another
checkout's environment; a site that joins the study at the locked cut (README, "Adding a site").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT_ROOT

from inoflow.project import copy_project

pytestmark = pytest.mark.workflow
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
LOCKED = "2023-04-30"


def write_yaml(path: Path, doc: dict) -> None:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def edit_yaml(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    write_yaml(path, doc)


def only_india(doc: dict, results: str | Path | None = None) -> None:
    doc["studies"] = ["config/studies/india.yaml"]
    if results is not None:
        doc["results"] = str(results)


def planned_jobs(stdout: str) -> dict[str, int]:
    """The dry run's job table: rule -> count."""
    table, started = {}, False
    for line in stdout.splitlines():
        words = line.split()
        if words[:2] == ["job", "count"]:
            started = True
        elif started and len(words) == 2 and words[1].isdigit():
            table[words[0]] = int(words[1])
        elif started and table and not words:
            break
    return table


def test_the_demo_in_a_study_folder_outside_the_checkout_gives_the_same_results(workflow_run, tmp_path):
    """The Indian demo as a study team keeps a real study: configuration in its own folder, the
    extracts in another (named by an absolute path), results in a third, the engine installed
    without the checkout (pip install, not editable), the workflow run from the checkout with
    --snakefile/--directory from yet another folder. Its ARD and ADaM are byte-equal to the
    in-repository run's."""
    site_packages = tmp_path / "site-packages"
    source = copy_project(tmp_path / "source", PROJECT_ROOT)  # built apart: no build/ left in the checkout
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        + ["--target", str(site_packages), str(source)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    study, extracts, results = tmp_path / "ino-india", tmp_path / "extracts", tmp_path / "results"
    shutil.copytree(PROJECT_ROOT / "config", study / "config")
    # the sites' name lists for the de-identification gate, kept by the study team (IN02's dialect
    # names data/india/site_names/IN02.txt, relative to the study folder)
    shutil.copytree(PROJECT_ROOT / "data" / "india" / "site_names", study / "data" / "india" / "site_names")
    shutil.copytree(PROJECT_ROOT / "data" / "india" / LOCKED, extracts / "india" / LOCKED)
    edit_yaml(study / "config" / "config.yaml", lambda doc: only_india(doc, results))

    def locked_cut_only(doc):
        doc["cuts"] = {LOCKED: doc["cuts"][LOCKED] | {"extracts": str(extracts / "india" / LOCKED)}}

    edit_yaml(study / "config" / "studies" / "india.yaml", locked_cut_only)

    env = {**os.environ, "PYTHONPATH": str(site_packages)}
    engine = subprocess.run(
        [sys.executable, "-c", "import inoflow.config, inoflow.schemas; print(inoflow.config.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert Path(engine.stdout.strip()).is_relative_to(site_packages), engine.stdout + engine.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [*SNAKEMAKE, "--snakefile", str(PROJECT_ROOT / "Snakefile"), "--directory", str(study), "--cores", "2"],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    ours, theirs = results / "india" / LOCKED, workflow_run[0] / "india" / LOCKED
    compared = 0
    for folder in ("ard", "adam"):
        files = sorted(p.name for p in (theirs / folder).glob("*.parquet"))
        assert files == sorted(p.name for p in (ours / folder).glob("*.parquet"))
        for name in files:
            assert (ours / folder / name).read_bytes() == (theirs / folder / name).read_bytes(), f"{folder}/{name}"
            compared += 1
    # the five endpoints' ARD and lineage (its rows and subject sets), all_outputs, and the five
    # ADaM datasets they read
    assert compared == 21 and (ours / "ard" / "survival.subjects.parquet").is_file()
    assert (ours / "book.html").is_file() and (ours / "audit" / f"india_{LOCKED}_audit.zip").is_file()
    assert not (elsewhere / ".snakemake").exists() and (study / ".snakemake").is_dir()


def copy_of_the_checkout(tmp_path: Path) -> Path:
    copy = copy_project(tmp_path / "copy", PROJECT_ROOT)
    shutil.rmtree(copy / "data" / "italy")
    return copy


def test_a_copy_of_the_checkout_run_with_the_originals_environment_reads_its_own_configuration(tmp_path):
    """The engine installed (editable) from this checkout, run in a copy: the copy's
    configuration and extracts are planned, and the lock command writes the copy's manifest."""
    copy = copy_of_the_checkout(tmp_path)
    edit_yaml(copy / "config" / "config.yaml", only_india)
    edit_yaml(copy / "config" / "studies" / "india.yaml", lambda doc: doc["cuts"].pop("2022-09-30"))
    plan = subprocess.run([*SNAKEMAKE, "-n", "--cores", "2"], capture_output=True, text=True, cwd=copy)
    assert plan.returncode == 0, plan.stderr[-3000:]
    jobs = planned_jobs(plan.stdout)
    # one cut of one study: a job per stage
    assert jobs["extract"] == 1 and jobs["derive_adam"] == 1 and jobs["run_endpoints"] == 1
    assert jobs["assemble_book"] == 1 and "compare_cuts" not in jobs and "derive_adam_2" not in jobs
    assert "2022-09-30" not in plan.stdout and "italy" not in plan.stdout

    original = (PROJECT_ROOT / "config" / "locks" / "india" / f"{LOCKED}.sha256").read_bytes()
    lock = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "lock_cut.py"), "--study", "india", "--cut", LOCKED]
        + ["--relock", "--reason", "test: the copy's own manifest"],
        capture_output=True,
        text=True,
        cwd=copy,
    )
    assert lock.returncode == 0, lock.stderr
    assert "# relocked: test: the copy's own manifest" in (
        copy / "config" / "locks" / "india" / f"{LOCKED}.sha256"
    ).read_text(encoding="utf-8")
    assert (PROJECT_ROOT / "config" / "locks" / "india" / f"{LOCKED}.sha256").read_bytes() == original


DATE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")  # IN02 writes dd/mm/yyyy


def day_before(match: re.Match) -> str:
    day = date(int(match[3]), int(match[2]), int(match[1])) - timedelta(days=1)
    return day.strftime("%d/%m/%Y")


def test_a_sixth_site_joins_at_the_locked_cut(tmp_path):
    """README, "Adding a site": IN06 (its files and dialect copied from IN02, its patients other
    patients: the cross-site check finds a patient sent twice) sends data for the
    locked cut only; the interim cut lists the five sites it had. The locked cut refuses the
    added files until it is locked anew; then the default target runs both cuts."""
    copy = copy_of_the_checkout(tmp_path)
    edit_yaml(copy / "config" / "config.yaml", only_india)
    folder = copy / "data" / "india" / LOCKED
    (folder / "IN06").mkdir()
    for source in sorted((folder / "IN02").iterdir()):  # IN02's files, every date a day earlier: other patients
        text = DATE.sub(day_before, source.read_text(encoding="utf-8"))
        (folder / "IN06" / source.name.replace("IN02", "IN06")).write_text(text, encoding="utf-8")
    dialect = (copy / "config" / "sites" / "india" / "IN02.yaml").read_text(encoding="utf-8")
    (copy / "config" / "sites" / "india" / "IN06.yaml").write_text(dialect.replace("IN02", "IN06"), encoding="utf-8")
    names = copy / "data" / "india" / "site_names"  # the new site's list of names, which its dialect names
    shutil.copy(names / "IN02.txt", names / "IN06.txt")

    def add_site(doc):
        doc["sites"]["IN06"] = "config/sites/india/IN06.yaml"
        doc["cuts"]["2022-09-30"]["sites"] = ["IN01", "IN02", "IN03", "IN04", "IN05"]

    edit_yaml(copy / "config" / "studies" / "india.yaml", add_site)
    refused = subprocess.run([*SNAKEMAKE, "-n", "--cores", "2"], capture_output=True, text=True, cwd=copy)
    assert refused.returncode == 2
    assert "added: IN06/IN06_patients.csv (on disk, not in the manifest)" in refused.stderr
    assert "Traceback" not in refused.stderr

    lock = subprocess.run(
        [sys.executable, "scripts/lock_cut.py", "--study", "india", "--cut", LOCKED]
        + ["--relock", "--reason", "IN06 joined at the final cut"],
        capture_output=True,
        text=True,
        cwd=copy,
    )
    assert lock.returncode == 0, lock.stderr
    done = subprocess.run([*SNAKEMAKE, "--cores", "2"], capture_output=True, text=True, cwd=copy)
    assert done.returncode == 0, done.stderr[-4000:]
    import pandas as pd

    results = copy / "results" / "india"
    locked = pd.read_parquet(results / LOCKED / "sdtm" / "DM.parquet")
    interim = pd.read_parquet(results / "2022-09-30" / "sdtm" / "DM.parquet")
    assert locked.groupby("SITEID").size().to_dict() == {
        "IN01": 9,
        "IN02": 7,
        "IN03": 6,
        "IN04": 6,
        "IN05": 4,
        "IN06": 7,
    }
    assert sorted(interim["SITEID"].unique()) == ["IN01", "IN02", "IN03", "IN04", "IN05"]
    recon = pd.read_csv(results / LOCKED / "reconciliation" / "reconciliation.csv")
    assert len(recon) == 54 and recon["balanced"].all()  # 6 sites x 9 domains
    assert len(pd.read_csv(results / "2022-09-30" / "reconciliation" / "reconciliation.csv")) == 45
    assert (results / LOCKED / "book.html").is_file() and (results / "2022-09-30" / "book.html").is_file()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["results/indai/2023-04-30/book.html"],
            "unknown study 'indai' in target results/indai/2023-04-30/book.html (studies: india, italy)",
        ),
        (
            ["results/india/2023-04-31/book.html"],
            "unknown cut '2023-04-31' of study india in target results/india/2023-04-31/book.html (cuts: 2022-09-30, 2023-04-30)",
        ),
        (
            ["results/india/2023-04-30/harmonised/IN09/labs.parquet"],
            "unknown site 'IN09' of study india, cut 2023-04-30 in target",
        ),
        (
            ["results/india/2023-04-30/harmonised/IN02/labs.parquet"],
            "target results/india/2023-04-30/harmonised/IN02/labs.parquet is a file of the folder "
            "results/india/2023-04-30/harmonised, which the cut's extract job writes whole: ask for "
            "results/india/2023-04-30/harmonised",
        ),
        (["--config", 'studies=["config/studies/itali.yaml"]'], "configuration file not found: "),
        (["--config", "contract=config/other_contract.yaml"], "at contract: 'config/contract.yaml' was expected"),
        (["--config", "resuls=elsewhere"], "Additional properties are not allowed ('resuls' was unexpected)"),
    ],
)
def test_a_typo_on_the_command_line_stops_before_any_job_with_one_line(arguments, message):
    done = subprocess.run(
        [*SNAKEMAKE, "-n", "--cores", "2", *arguments], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("inoflow: error:")]
    assert len(errors) == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_a_config_override_is_honoured():
    """--config studies=[...] runs the studies it names, not those of config/config.yaml."""
    done = subprocess.run(
        [*SNAKEMAKE, "-n", "--forceall", "--cores", "2", "--config", 'studies=["config/studies/italy.yaml"]'],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    jobs = planned_jobs(done.stdout)
    assert "india" not in done.stdout and "compare_cuts" not in jobs and jobs["assemble_book"] == 1
    assert jobs["extract"] == 1 and jobs["derive_adam"] == 1  # the only study: its rules are the first ones
