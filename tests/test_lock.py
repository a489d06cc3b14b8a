"""Database lock (manifest of a cut's extracts) and releases of a locked cut's results."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time

import pytest
from conftest import PROJECT_ROOT

from inoflow.audit.lock import (
    LockError,
    check_locked_cut,
    check_locked_cuts,
    extract_files,
    manifest_path,
    read_manifest,
    verify_manifest,
    write_manifest,
)
from inoflow.audit.release import ReleaseError, make_release, verify_release
from inoflow.errors import InoflowError

STUDY, CUT = "india", "2023-04-30"
DEMO_EXTRACTS = PROJECT_ROOT / "data" / STUDY / CUT
CHANGED, MISSING, ADDED = "IN02/IN02_patients.csv", "IN03/ALL_InO_labs.csv", "IN05/his_export_extra.txt"


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_writable(tree) -> None:
    """Undo a release's read-only modes, so a test can tamper with it."""
    for folder, _dirs, names in os.walk(tree):
        os.chmod(folder, stat.S_IRWXU)
        for name in names:
            os.chmod(os.path.join(folder, name), stat.S_IRUSR | stat.S_IWUSR)


def tamper(extracts) -> None:
    """One changed, one missing and one added extract file."""
    with (extracts / CHANGED).open("a", encoding="utf-8") as handle:
        handle.write("IN02-099,1970-01-01\n")
    (extracts / MISSING).unlink()
    (extracts / ADDED).write_text("late file\n", encoding="utf-8")


@pytest.fixture
def extracts(tmp_path):
    """A copy of the demo cut's extract folder."""
    return shutil.copytree(DEMO_EXTRACTS, tmp_path / "data" / STUDY / CUT)


@pytest.fixture
def manifest(tmp_path, extracts):
    return write_manifest(STUDY, CUT, extracts, manifest_path(STUDY, CUT, tmp_path / "locks"), "tester", "2024-05-01")


@pytest.fixture
def results(tmp_path):
    """A cut's results as a run leaves them: products, plus logs and intermediate files."""
    root = tmp_path / "results" / STUDY / CUT
    files = {
        "book.html": "<html>book</html>",
        "comparison_with_publication.csv": "endpoint,ours,published\n",
        "sdtm/DM.parquet": "dm",
        "adam/ADSL.parquet": "adsl",
        "ard/survival.parquet": "ard",
        "tables/survival/os.html": "<table/>",
        "figures/survival/km.png": "png",
        "notebooks/survival.ipynb": "{}",
        "notebooks/survival.html": "<html/>",
        "notebooks/.ipynb_checkpoints/survival-checkpoint.ipynb": "{}",
        "data_quality/data_quality.csv": "site,rule\n",
        "reconciliation/reconciliation.csv": "site,domain\n",
        "listings/screened.csv": "id\n",
        "logs/assemble_book/india.log": "log",
        "ingest/IN01/patients.parquet": "raw",
        "validated/IN01/patients.parquet": "valid",
        "harmonised/IN01/patients.parquet": "harm",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


RELEASED = {
    "book.html",
    "comparison_with_publication.csv",
    "sdtm/DM.parquet",
    "adam/ADSL.parquet",
    "ard/survival.parquet",
    "tables/survival/os.html",
    "figures/survival/km.png",
    "notebooks/survival.ipynb",
    "notebooks/survival.html",
    "data_quality/data_quality.csv",
    "reconciliation/reconciliation.csv",
    "listings/screened.csv",
}


# --- the manifest -------------------------------------------------------------------------


def test_extract_files_are_relative_sorted_and_skip_hidden_files(extracts):
    (extracts / ".DS_Store").write_bytes(b"finder")
    files = extract_files(extracts)
    names = [p.as_posix() for p in files]
    assert names == sorted(names)
    assert "IN01/IN01_InO_RWE_export.xlsx" in names and CHANGED in names and "README.md" in names
    assert ".DS_Store" not in names
    assert all(not p.is_absolute() for p in files)
    assert len(files) == sum(1 for p in DEMO_EXTRACTS.rglob("*") if p.is_file() and not p.name.startswith("."))


def test_manifest_round_trip(extracts, manifest):
    lines = manifest.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"# study {STUDY}, cut {CUT}, locked 2024-05-01 by tester"
    listed = read_manifest(manifest)
    assert list(listed) == [p.as_posix() for p in extract_files(extracts)]
    assert listed[CHANGED] == sha256(extracts / CHANGED)
    assert verify_manifest(extracts, manifest) == []
    assert check_locked_cut(STUDY, CUT, extracts, manifest) == len(listed)


def test_changed_missing_and_added_files_are_named(extracts, manifest):
    tamper(extracts)
    problems = verify_manifest(extracts, manifest)
    assert len(problems) == 3
    assert any(p.startswith(f"changed: {CHANGED}") for p in problems)
    assert any(p.startswith(f"missing: {MISSING}") for p in problems)
    assert any(p.startswith(f"added: {ADDED}") for p in problems)
    with pytest.raises(LockError) as caught:
        check_locked_cut(STUDY, CUT, extracts, manifest)
    message = str(caught.value)
    assert isinstance(caught.value, InoflowError)
    assert f"cut {CUT} of study {STUDY} is locked" in message
    for path in (CHANGED, MISSING, ADDED):
        assert path in message
    assert "--relock --reason" in message


def test_a_locked_cut_without_manifest_is_an_error(tmp_path, extracts):
    with pytest.raises(
        LockError, match=f"cut {CUT} of study {STUDY} is locked but has no manifest: run scripts/lock_cut.py"
    ):
        check_locked_cut(STUDY, CUT, extracts, tmp_path / "locks" / STUDY / f"{CUT}.sha256")


def test_a_malformed_manifest_line_is_named(tmp_path, extracts, manifest):
    text = manifest.read_text(encoding="utf-8") + "not a checksum line\n"
    manifest.write_text(text, encoding="utf-8")
    with pytest.raises(LockError, match=f"line {text.count(chr(10))}: not a '<sha256>  <path>' line"):
        verify_manifest(extracts, manifest)


def test_sha256sum_accepts_the_manifest(extracts, manifest):
    sha256sum = shutil.which("sha256sum")
    assert sha256sum, "sha256sum (GNU coreutils) is needed to check the manifest's format"
    check = [sha256sum, "--check", "--strict", str(manifest)]
    done = subprocess.run(check, cwd=extracts, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len(extract_files(extracts))
    assert "improperly formatted" not in done.stderr  # the # header lines are skipped
    tamper(extracts)
    done = subprocess.run(check, cwd=extracts, capture_output=True, text=True)
    assert done.returncode != 0
    assert f"{CHANGED}: FAILED" in done.stdout


def test_check_locked_cuts_of_the_shipped_config_is_fast(tmp_path, india):
    locks = tmp_path / "locks"
    with pytest.raises(LockError, match="has no manifest"):
        check_locked_cuts({STUDY: india}, locks)
    write_manifest(STUDY, CUT, india.cuts[CUT].extracts, manifest_path(STUDY, CUT, locks))
    start = time.perf_counter()
    assert check_locked_cuts({STUDY: india}, locks) == 1
    assert time.perf_counter() - start < 2.0


# --- releases -----------------------------------------------------------------------------


def test_release_copies_the_products_read_only_with_checksums(tmp_path, results, manifest):
    release = make_release(results, tmp_path / "releases", STUDY, CUT, manifest)
    assert release == tmp_path / "releases" / STUDY / CUT / "v1"
    present = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    assert present == RELEASED | {"extracts.sha256", "RELEASE.json", "RELEASE.sha256"}
    for rel in RELEASED:
        assert (release / rel).read_bytes() == (results / rel).read_bytes()
    for path in [release, *release.rglob("*")]:
        assert path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0, path
    record = json.loads((release / "RELEASE.json").read_text(encoding="utf-8"))
    assert (record["study"], record["cut"], record["version"], record["reason"]) == (STUDY, CUT, 1, None)
    assert record["created"].endswith("Z")
    assert set(record["git"]) == {"commit", "dirty"}
    if shutil.which("git"):
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True)
        assert record["git"]["commit"] == (head.stdout.strip() if head.returncode == 0 else None)
    assert record["extract_manifest"]["sha256"] == sha256(manifest)
    assert record["files"] == {rel: sha256(results / rel) for rel in RELEASED} | {"extracts.sha256": sha256(manifest)}
    assert verify_release(release) == []
    sha256sum = shutil.which("sha256sum")
    assert sha256sum
    done = subprocess.run([sha256sum, "--check", "--strict", "RELEASE.sha256"], cwd=release, capture_output=True)
    assert done.returncode == 0


def test_a_release_is_never_overwritten_and_a_new_version_needs_a_reason(tmp_path, results, manifest):
    releases = tmp_path / "releases"
    v1 = make_release(results, releases, STUDY, CUT, manifest)
    before = (v1 / "RELEASE.json").read_bytes()
    (results / "book.html").write_text("<html>book, corrected</html>", encoding="utf-8")
    with pytest.raises(ReleaseError, match="release v1 of cut 2023-04-30 of study india already exists") as caught:
        make_release(results, releases, STUDY, CUT, manifest)
    assert "--reason" in str(caught.value)
    assert (v1 / "RELEASE.json").read_bytes() == before
    assert sorted(p.name for p in (releases / STUDY / CUT).iterdir()) == ["v1"]  # no partial copy left
    v2 = make_release(results, releases, STUDY, CUT, manifest, reason="corrected  AE coding")
    assert v2.name == "v2"
    record = json.loads((v2 / "RELEASE.json").read_text(encoding="utf-8"))
    assert (record["version"], record["reason"]) == (2, "corrected AE coding")
    assert (v2 / "book.html").read_text(encoding="utf-8") == "<html>book, corrected</html>"
    assert verify_release(v1) == [] and verify_release(v2) == []


def test_verify_release_names_changed_missing_and_added_files(tmp_path, results, manifest):
    release = make_release(results, tmp_path / "releases", STUDY, CUT, manifest)
    make_writable(release)
    (release / "sdtm" / "DM.parquet").write_text("edited", encoding="utf-8")
    (release / "tables" / "survival" / "os.html").unlink()
    (release / "figures" / "extra.png").write_text("new", encoding="utf-8")
    problems = verify_release(release)
    assert len(problems) == 3
    assert any(p.startswith("changed: sdtm/DM.parquet") for p in problems)
    assert any(p.startswith("missing: tables/survival/os.html") for p in problems)
    assert any(p.startswith("added: figures/extra.png") for p in problems)


def test_release_refuses_a_cut_without_results_or_manifest(tmp_path, results, manifest):
    with pytest.raises(ReleaseError, match="has no extract manifest"):
        make_release(results, tmp_path / "releases", STUDY, CUT, tmp_path / "none.sha256")
    (results / "book.html").unlink()
    with pytest.raises(ReleaseError, match=r"book.html missing\): run the workflow first"):
        make_release(results, tmp_path / "releases", STUDY, CUT, manifest)


# --- command lines ------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path):
    """A copy of the project's configuration and the demo cut's extracts, for the command lines."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "config", root / "config", ignore=shutil.ignore_patterns("locks"))
    shutil.copytree(DEMO_EXTRACTS, root / "data" / STUDY / CUT)
    return root


def run(script, root, *options, cwd=None):
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / script), "--study", STUDY, "--cut", CUT, "--root", str(root)]
        + list(options),
        capture_output=True,
        text=True,
        cwd=cwd or root,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_lock_cli_refuses_a_cut_not_marked_locked(project):
    study_config = project / "config" / "studies" / f"{STUDY}.yaml"
    study_config.write_text(study_config.read_text(encoding="utf-8").replace("status: locked", "status: interim"))
    done = run("lock_cut.py", project)
    assert done.returncode == 1
    assert "has status interim: set status: locked in" in done.stderr
    assert f"config/studies/{STUDY}.yaml first" in done.stderr
    assert not (project / "config" / "locks").exists()


def test_lock_cli_locks_once_and_relocks_only_with_a_reason(project):
    manifest = project / "config" / "locks" / STUDY / f"{CUT}.sha256"
    done = run("lock_cut.py", project, "--by", "tester")
    assert done.returncode == 0, done.stderr
    assert f"locked cut {CUT} of study {STUDY}: {len(extract_files(DEMO_EXTRACTS))} files" in done.stdout
    assert manifest.read_text(encoding="utf-8").startswith(f"# study {STUDY}, cut {CUT}, locked ")
    first = manifest.read_bytes()
    for options in ([], ["--relock"], ["--reason", "why"]):
        done = run("lock_cut.py", project, *options)
        assert done.returncode == 1
        assert f"cut {CUT} of study {STUDY} is already locked" in done.stderr
        assert "--relock --reason" in done.stderr
        assert manifest.read_bytes() == first
    tamper(project / "data" / STUDY / CUT)
    done = run("lock_cut.py", project, "--relock", "--reason", "IN03 resent its labs")
    assert done.returncode == 0, done.stderr
    assert "relocked" in done.stdout and CHANGED in done.stdout
    assert "# relocked: IN03 resent its labs" in manifest.read_text(encoding="utf-8")
    assert verify_manifest(project / "data" / STUDY / CUT, manifest) == []


@pytest.mark.parametrize(
    ("study", "cut", "message"),
    [
        (STUDY, "2099-01-01", "unknown cut '2099-01-01': study india has no such cut in "),
        ("indai", CUT, "unknown study 'indai' in "),
    ],
)
def test_lock_cli_names_an_unknown_study_or_cut(project, study, cut, message):
    """A typo is one line naming the value and the valid ones, exit 2, no traceback."""
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "lock_cut.py"), "--study", study, "--cut", cut]
        + ["--root", str(project)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("lock_cut: error: " + message) and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    valid = "(cuts: 2022-09-30, 2023-04-30)" if study == STUDY else "(studies: india, italy)"
    assert done.stderr.strip().endswith(valid)


def test_release_cli(project, results):
    releases = project / "releases"
    options = ["--results", str(results.parents[1]), "--releases", str(releases)]
    done = run("release_cut.py", project, *options)
    assert done.returncode == 1
    assert f"cut {CUT} of study {STUDY} is locked but has no manifest: run scripts/lock_cut.py" in done.stderr
    assert run("lock_cut.py", project).returncode == 0
    done = run("release_cut.py", project, *options)
    assert done.returncode == 0, done.stderr
    # run in the project's folder: the release is named as the user sees it from there
    assert f"released cut {CUT} of study {STUDY} as v1: releases/{STUDY}/{CUT}/v1 (" in done.stdout
    done = run("release_cut.py", project, *options)
    assert done.returncode == 1
    assert (
        "already exists" in done.stderr
        and "releases are never overwritten" in done.stderr
        and "--reason" in done.stderr
    )
    done = run("release_cut.py", project, *options, "--reason", "second look")
    assert done.returncode == 0, done.stderr
    assert "as v2" in done.stdout
    tamper(project / "data" / STUDY / CUT)
    done = run("release_cut.py", project, *options, "--reason", "third")
    assert done.returncode == 1
    assert all(path in done.stderr for path in (CHANGED, MISSING, ADDED))
    assert sorted(p.name for p in (releases / STUDY / CUT).iterdir()) == ["v1", "v2"]


def test_lock_cli_reads_everything_from_its_root_wherever_it_runs(project, tmp_path):
    """--root names the project folder: its configuration, contract and units are read from it,
    not from the folder the command runs in (here an empty one)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "config" / "contract.yaml").rename(project / "config" / "contract.moved")
    done = run("lock_cut.py", project, cwd=elsewhere)
    assert (
        done.returncode == 1 and f"configuration file not found: {project / 'config' / 'contract.yaml'}" in done.stderr
    )
    (project / "config" / "contract.moved").rename(project / "config" / "contract.yaml")
    done = run("lock_cut.py", project, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert (project / "config" / "locks" / STUDY / f"{CUT}.sha256").is_file()
    assert not (elsewhere / "config").exists()
