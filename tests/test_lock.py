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
    check_lock,
    check_locked_cut,
    check_locked_cuts,
    extract_files,
    lock_files,
    manifest_path,
    read_log,
    read_manifest,
    verify_manifest,
    write_lock,
    write_manifest,
)
from inoflow.audit.release import ReleaseError, make_release, verify_release
from inoflow.codeversion import code_sums, workflow_files
from inoflow.config import load_config, load_study
from inoflow.errors import InoflowError
from inoflow.project import copy_project

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
        check_locked_cuts({STUDY: india}, locks, PROJECT_ROOT, PROJECT_ROOT)
    write_lock(india, india.cuts[CUT], locks, PROJECT_ROOT, PROJECT_ROOT)
    start = time.perf_counter()
    assert check_locked_cuts({STUDY: india}, locks, PROJECT_ROOT, PROJECT_ROOT) == 1
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


# --- the lock covers the configuration and the code -------------------------------------


def locked(project, **kwargs):
    """The demo's study and locked cut in ``project`` (a copy of the configuration and the
    extracts), locked with the workflow of this checkout; returns (study, cut, lock files)."""
    study = load_study("config/studies/india.yaml", project)
    cut = study.cuts[CUT]
    files = write_lock(
        study, cut, project / "config" / "locks", project, PROJECT_ROOT, "tester", "2024-05-01", **kwargs
    )
    return study, cut, files


def refusal(project, workflow_dir=PROJECT_ROOT) -> str:
    """The LockError of the demo's locked cut in ``project`` (reloaded: configuration as it is now)."""
    study = load_study("config/studies/india.yaml", project)
    with pytest.raises(LockError) as caught:
        check_lock(study, study.cuts[CUT], project / "config" / "locks", project, workflow_dir)
    message = str(caught.value)
    assert message.startswith(f"cut {CUT} of study {STUDY} is locked (locked 2024-05-01 by tester), but it differs")
    assert message.endswith(
        f"lock the cut again: python scripts/lock_cut.py --study {STUDY} --cut {CUT} --relock --reason '...'"
    )
    return message


def test_the_lock_lists_the_configuration_and_the_code(project):
    study, cut, files = locked(project)
    config = read_manifest_lines(files.config)
    dialects = {f"config/sites/india/IN0{n}.yaml" for n in range(1, 6)}
    shared = {"config/contract.yaml", "config/units.yaml", "config/deidentification.yaml"}
    vocabularies = {"config/vocabularies/ae_terms.yaml", "config/vocabularies/death_causes.yaml"}
    assert set(config) == dialects | shared | vocabularies | {"config/definitions/india.yaml"}
    for key, digest in config.items():
        assert digest == sha256(project / key), key
    text = files.config.read_text(encoding="utf-8")
    assert text.startswith(f"# study {STUDY}, cut {CUT}, locked 2024-05-01 by tester: the configuration")
    assert "\n# part " in text and text.count("  config/studies/india.yaml\n") == 1  # the study file's part
    code = read_manifest_lines(files.code)
    assert {"Snakefile", "workflow/rules/adam.smk", "scripts/derive_adam.py", "notebooks/survival.ipynb"} <= set(code)
    assert {"inoflow/audit/lock.py", "inoflow/adam/adtte.py", "inoflow/schemas/sdtm.py", "requirements.lock"} <= set(
        code
    )
    assert "scripts/lock_cut.py" not in code and "scripts/generate_demo_data.py" not in code  # no rule runs them
    assert code == code_sums(PROJECT_ROOT)
    assert code["inoflow/adam/adtte.py"] == sha256(PROJECT_ROOT / "src" / "inoflow" / "adam" / "adtte.py")
    [entry] = read_log(files.log)
    assert (entry["study"], entry["cut"], entry["action"], entry["locked_by"], entry["reason"]) == (
        STUDY,
        CUT,
        "lock",
        "tester",
        "",
    )
    for name, path in files.manifests().items():
        assert entry[f"{name}_sha256"] == sha256(path), name
    assert check_lock(study, cut, project / "config" / "locks", project, PROJECT_ROOT) == 30 + len(config) + 1 + len(
        code
    )


def read_manifest_lines(path) -> dict[str, str]:
    """path -> sha256 of a manifest's checksum lines (comment lines left out)."""
    return {
        line.split("  ", 1)[1]: line.split("  ", 1)[0]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }


def test_sha256sum_checks_the_configuration_and_the_workflow(project):
    _, _, files = locked(project)
    sha256sum = shutil.which("sha256sum")
    assert sha256sum
    done = subprocess.run(
        [sha256sum, "--check", "--strict", str(files.config)], cwd=project, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        done.stdout.count(": OK") == 11
    )  # 5 dialects, contract, units, de-identification, 2 vocabularies, definitions
    workflow = "".join(
        line + "\n" for line in files.code.read_text(encoding="utf-8").splitlines() if "  inoflow/" not in line
    )
    done = subprocess.run(
        [sha256sum, "--check", "--strict"], input=workflow, cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len(workflow_files(PROJECT_ROOT))


def test_a_changed_definition_refuses_naming_the_file(project):
    locked(project)
    definitions = project / "config" / "definitions" / "india.yaml"
    definitions.write_text(definitions.read_text(encoding="utf-8").replace("month_days: 30.4375", "month_days: 30.5"))
    message = refusal(project)
    config_manifest = project / "config" / "locks" / STUDY / f"{CUT}.config.sha256"
    assert f"  configuration ({shown_from(project, config_manifest)}):\n" in message
    assert "  - changed: config/definitions/india.yaml (its sha256 differs from the lock)\n" in message
    assert message.count("\n  - ") == 1


def test_a_changed_dialect_vocabulary_or_unit_table_is_named(project):
    locked(project)
    for name in ("sites/india/IN04.yaml", "vocabularies/ae_terms.yaml", "units.yaml"):
        with (project / "config" / name).open("a", encoding="utf-8") as handle:
            handle.write("# edited\n")
    message = refusal(project)
    for name in ("sites/india/IN04.yaml", "vocabularies/ae_terms.yaml", "units.yaml"):
        assert f"  - changed: config/{name} (its sha256 differs from the lock)" in message
    assert message.count("\n  - ") == 3


def test_the_study_file_counts_by_the_part_the_cut_reads(project):
    """A cut added to the study after the lock (the next interim) leaves the lock as it is; a
    change of a key every cut reads does not."""
    import yaml

    study, _, _ = locked(project)
    study_file = project / "config" / "studies" / f"{STUDY}.yaml"
    text = study_file.read_text(encoding="utf-8")
    later = {**study.spec["cuts"]["2022-09-30"], "cutoff": "2024-01-31", "extracts": f"data/{STUDY}/{CUT}"}
    study_file.write_text(
        yaml.safe_dump(study.spec | {"cuts": {**study.spec["cuts"], "2024-01-31": later}}, sort_keys=False),
        encoding="utf-8",
    )
    reloaded = load_study("config/studies/india.yaml", project)
    assert list(reloaded.cuts) == ["2022-09-30", CUT, "2024-01-31"]
    assert check_lock(reloaded, reloaded.cuts[CUT], project / "config" / "locks", project, PROJECT_ROOT) > 0
    assert "\nvalidation_policy: fail\n" in text
    study_file.write_text(text.replace("\nvalidation_policy: fail\n", "\nvalidation_policy: quarantine\n"))
    message = refusal(project)
    assert "  - changed: config/studies/india.yaml (its sha256 differs from the lock)" in message
    assert message.count("\n  - ") == 1


def test_a_hand_edited_manifest_is_detected(project):
    _, _, files = locked(project)
    for name, path in files.manifests().items():
        original = path.read_bytes()
        lines = original.decode("utf-8").splitlines(keepends=True)
        last = lines[-1]
        lines[-1] = ("0" if last[0] != "0" else "1") + last[1:]  # one checksum changed by hand
        path.write_text("".join(lines), encoding="utf-8")
        message = refusal(project)
        log = shown_from(project, files.log)
        assert f"  the lock itself ({log}):\n" in message
        assert (
            f"  - edited: {shown_from(project, path)} (its sha256 is not the one {log} records for the lock of "
            in message
        ), name
        assert "by tester: edited by hand?)" in message
        path.write_bytes(original)
    files.log.unlink()
    assert f"  - no lock of the cut is recorded in {shown_from(project, files.log)}" in refusal(project)


def shown_from(project, path) -> str:
    """A path as a refusal shows it when the working folder is not the project (absolute)."""
    return str(path) if os.path.relpath(path).startswith("..") else os.path.relpath(path)


def test_a_refusal_names_at_most_ten_files_per_part(project):
    locked(project)
    extracts = project / "data" / STUDY / CUT
    names = [p.as_posix() for p in extract_files(extracts)][:13]
    for name in names:
        with (extracts / name).open("ab") as handle:
            handle.write(b"\n")
    message = refusal(project)
    assert message.count("\n  - changed: ") == 10
    assert "\n  - and 3 more\n" in message
    assert all(name in message for name in names[:10]) and names[12] not in message


def test_a_cut_locked_before_the_lock_covered_configuration_and_code_must_be_relocked(project, india):
    locks = project / "config" / "locks"
    write_manifest(STUDY, CUT, project / "data" / STUDY / CUT, manifest_path(STUDY, CUT, locks), "tester", "2024-05-01")
    study = load_study("config/studies/india.yaml", project)
    with pytest.raises(LockError) as caught:
        check_lock(study, study.cuts[CUT], locks, project, PROJECT_ROOT)
    assert str(caught.value).startswith(
        f"cut {CUT} of study {STUDY} was locked before the lock covered its configuration and code ("
    )
    assert str(caught.value).endswith(
        f"lock it again: python scripts/lock_cut.py --study {STUDY} --cut {CUT} --relock --reason '...'"
    )


def test_a_changed_workflow_file_is_named(project, tmp_path):
    workflow = tmp_path / "workflow-copy"
    for key, path in workflow_files(PROJECT_ROOT).items():
        (workflow / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, workflow / key)
    study = load_study("config/studies/india.yaml", project)
    write_lock(study, study.cuts[CUT], project / "config" / "locks", project, workflow, "tester", "2024-05-01")
    rules = workflow / "workflow" / "rules" / "adam.smk"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    (workflow / "notebooks" / "mrd.ipynb").unlink()
    with pytest.raises(LockError) as caught:
        check_lock(study, study.cuts[CUT], project / "config" / "locks", project, workflow)
    message = str(caught.value)
    assert f"  code ({shown_from(project, project / 'config' / 'locks' / STUDY / f'{CUT}.code.sha256')}):\n" in message
    assert "  - changed: workflow/rules/adam.smk (its sha256 differs from the lock)\n" in message
    assert "  - missing: notebooks/mrd.ipynb (in the lock, not read now)\n" in message
    assert message.count("\n  - ") == 2
    assert (
        f"lock the cut again: python {workflow / 'scripts' / 'lock_cut.py'} --study {STUDY} --cut {CUT} --relock"
        in message
    )


def test_release_carries_the_lock(tmp_path, project, results):
    _, _, files = locked(project)
    release = make_release(results, tmp_path / "releases", STUDY, CUT, files.extracts)
    present = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    assert present == RELEASED | {"extracts.sha256", "config.sha256", "code.sha256", "RELEASE.json", "RELEASE.sha256"}
    assert (release / "config.sha256").read_bytes() == files.config.read_bytes()
    assert (release / "code.sha256").read_bytes() == files.code.read_bytes()
    record = json.loads((release / "RELEASE.json").read_text(encoding="utf-8"))
    assert {name: entry["sha256"] for name, entry in record["lock"].items() if name != "log"} == {
        name: sha256(path) for name, path in files.manifests().items()
    }
    assert record["lock"]["log"] == read_log(files.log)[-1]
    assert verify_release(release) == []


# --- the lock command and the workflow, on a copy of the checkout ------------------------


@pytest.fixture
def checkout(tmp_path):
    """A copy of the checkout running its own engine (PYTHONPATH), India only, its locked cut
    locked with the copy's code by the documented command."""
    copy = copy_project(tmp_path / "checkout", PROJECT_ROOT)
    config = copy / "config" / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("  - config/studies/italy.yaml\n", ""), encoding="utf-8"
    )
    assert list(load_config(config, copy)) == [STUDY]
    env = {**os.environ, "PYTHONPATH": f"{copy / 'src'}{os.pathsep}{copy}"}
    copy_run = lambda *args, cmd=(sys.executable, "scripts/lock_cut.py"): subprocess.run(  # noqa: E731
        [*cmd, *args], cwd=copy, env=env, capture_output=True, text=True
    )
    done = copy_run("--all-locked", "--relock", "--reason", "test: the copy's code", "--by", "tester")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"locked cut {CUT} of study {STUDY}: 30 files of data/{STUDY}/{CUT} listed in ")
    assert done.stdout.count("\n") == 1  # one locked cut
    return copy, copy_run


def test_a_changed_engine_module_refuses_naming_the_module(checkout):
    copy, copy_run = checkout
    assert copy_run("--study", STUDY, "--cut", CUT, "--check").stdout.startswith(
        f"cut {CUT} of study {STUDY} matches its lock ("
    )
    module = copy / "src" / "inoflow" / "adam" / "adtte.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    done = copy_run("--study", STUDY, "--cut", CUT, "--check")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"  code (config/locks/{STUDY}/{CUT}.code.sha256):\n" in done.stderr
    assert "  - changed: module inoflow.adam.adtte (its sha256 differs from the lock)\n" in done.stderr
    assert done.stderr.count("\n  - ") == 1
    assert f"python scripts/lock_cut.py --study {STUDY} --cut {CUT} --relock --reason '...'" in done.stderr


def test_a_changed_dialect_of_a_locked_cut_refuses_to_run_until_relocked(checkout):
    """The issue's case: a locked-cut site's Yes/No codes swapped in its dialect. Snakemake
    stops before any job, naming the dialect and the relock command; relocked, it plans."""
    copy, copy_run = checkout
    dialect = copy / "config" / "sites" / "india" / "IN02.yaml"
    text = dialect.read_text(encoding="utf-8")
    assert '  NY: {"Yes": Y, "No": N}\n' in text
    dialect.write_text(text.replace('  NY: {"Yes": Y, "No": N}', '  NY: {"Yes": N, "No": Y}'), encoding="utf-8")
    snakemake = (sys.executable, "-m", "snakemake", "--cores", "1")
    refused = copy_run("-n", cmd=snakemake)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert f"cut {CUT} of study {STUDY} is locked (locked " in refused.stderr
    assert "  - changed: config/sites/india/IN02.yaml (its sha256 differs from the lock)\n" in refused.stderr
    assert (
        f"lock the cut again: python scripts/lock_cut.py --study {STUDY} --cut {CUT} --relock --reason '...'"
        in refused.stderr
    )
    assert "extract" not in refused.stdout and "Job stats" not in refused.stderr  # no job planned
    done = copy_run("--study", STUDY, "--cut", CUT, "--relock", "--reason", "IN02's codes corrected (query 31)")
    assert done.returncode == 0, done.stderr
    assert "(relocked; previously locked on " in done.stdout
    assert "changed: config/sites/india/IN02.yaml (its sha256 differs from the lock)" in done.stdout
    log = read_log(copy / "config" / "locks" / STUDY / "lock-log.tsv")
    assert [e["action"] for e in log][-2:] == ["relock", "relock"]
    assert log[-1]["reason"] == "IN02's codes corrected (query 31)"
    planned = copy_run("-n", "--quiet", "progress", cmd=snakemake)
    assert planned.returncode == 0, planned.stderr[-3000:]


def test_a_run_that_builds_no_locked_cut_checks_no_lock(checkout):
    """Work on the interim cut goes on while the locked cut waits for its re-lock: a run whose
    targets are the interim cut's files plans; the default target (every cut) refuses."""
    copy, copy_run = checkout
    module = copy / "src" / "inoflow" / "adam" / "adtte.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    snakemake = (sys.executable, "-m", "snakemake", "--cores", "1", "--quiet", "progress")
    interim = copy_run("-n", f"results/{STUDY}/2022-09-30/book.html", cmd=snakemake)
    assert interim.returncode == 0, interim.stderr[-3000:]
    everything = copy_run("-n", cmd=snakemake)
    assert everything.returncode != 0
    assert "  - changed: module inoflow.adam.adtte (its sha256 differs from the lock)\n" in everything.stderr
    compared = copy_run("-n", f"results/{STUDY}/compare/2022-09-30_vs_{CUT}/comparison.html", cmd=snakemake)
    assert compared.returncode != 0 and f"cut {CUT} of study {STUDY} is locked" in compared.stderr


def test_the_shipped_locks_match_the_checkout():
    """The demo's locked cuts (config/locks/) match the shipped extracts, configuration and
    code: after a change of any of them, relock: python scripts/lock_cut.py --all-locked
    --relock --reason '...'."""
    studies = load_config(PROJECT_ROOT / "config" / "config.yaml", PROJECT_ROOT)
    assert check_locked_cuts(studies, PROJECT_ROOT / "config" / "locks", PROJECT_ROOT, PROJECT_ROOT) == 2
    for study, cut in ((STUDY, CUT), ("italy", "2022-12-31")):
        files = lock_files(study, cut, PROJECT_ROOT / "config" / "locks")
        assert all(path.is_file() for path in files.manifests().values())


@pytest.mark.parametrize("options", [[], ["--all-locked", "--study", STUDY], ["--study", STUDY]])
def test_lock_cli_needs_a_cut_or_all_locked_cuts(project, options):
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "lock_cut.py"), *options, "--root", str(project)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("lock_cut.py: error: give --study and --cut, or --all-locked")
    assert not (project / "config" / "locks").exists()
