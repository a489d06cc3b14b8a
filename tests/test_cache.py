"""The between-cut output cache (inoflow.cache): entries read-only and verified against their
SHA-256s before anything is restored, restored as plain copies, written atomically, keyed
without the cut or the output paths; and, on a copy of the project, a truncated result
restored with the right bytes and a corrupted entry detected and recomputed."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT
from snakemake.iocontainers import InputFiles, Log, OutputFiles, Params, ResourceList, Wildcards
from snakemake.script import Snakemake

from inoflow import cache
from inoflow.cache import ENTRY_FILE, ENV, OutputCache, cached_step, key_material, key_of
from inoflow.config import load_study

# a value that must never reach a log: the tests write it into the step's outputs
PLANTED = "Mario Rossi 98450.12345"


def named(cls, **items):
    """A Snakemake named list as a job's script receives it (lists flattened, names kept)."""
    result = cls()
    for name, value in items.items():
        start = len(result)
        if isinstance(value, list):
            result.extend(value)
            result._set_name(name, start, len(result))
        else:
            result.append(value)
            result._add_name(name)
    return result


def job(tmp_path: Path, cut: str, *, extract: bytes = b"SUBJID,AE\nP001,UTI\n", site: str = "IN02", policy="fail"):
    """The `snakemake` object of an extract job of one cut: its extract (with ``extract`` as
    content) in the cut's folder, its outputs under the cut's results."""
    data = tmp_path / "data" / cut / site
    data.mkdir(parents=True, exist_ok=True)
    (data / "ae.csv").write_bytes(extract)
    shared = tmp_path / "contract.yaml"
    if not shared.exists():
        shared.write_text("domains: {}\n")
    out = tmp_path / "results" / cut
    return Snakemake(
        named(InputFiles, extract=str(data / "ae.csv"), shared=[str(shared)]),
        named(
            OutputFiles,
            harmonised=str(out / "harmonised" / site / "adverse_events.parquet"),
            findings=str(out / "validated" / site / "adverse_events.findings.csv"),
        ),
        named(Params, study_config="config/studies/india.yaml", policy=policy, domains=["adverse_events"], code="c0de"),
        named(Wildcards, study="india", cut=cut, site=site, domain="adverse_events"),
        1,
        ResourceList(),
        named(Log, log=str(out / "logs" / site / "adverse_events.log")),
        {},
        "ingest_validate_harmonise",
        None,
    )


SCRIPT = PROJECT_ROOT / "scripts" / "extract_cut.py"


def run(smk, calls: list[str], reads=None) -> str:
    """cached_step with a work that writes the outputs from the extract's bytes; the log's text."""

    def work(log):
        calls.append(smk.wildcards.cut)
        content = Path(smk.input.extract).read_bytes()
        for path in smk.output:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_bytes(content + PLANTED.encode() + Path(path).suffix.encode())

    cached_step(smk, work, script=SCRIPT, reads=reads)
    logging.shutdown()
    return Path(smk.log[0]).read_text(encoding="utf-8")


@pytest.fixture
def store(tmp_path, monkeypatch):
    root = tmp_path / "results" / ".output-cache"
    monkeypatch.setenv(ENV, str(root))
    return OutputCache(root)


def entries(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if not p.name.startswith("."))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_step_is_stored_then_restored_in_another_cut_as_plain_copies(tmp_path, store):
    calls: list[str] = []
    first = job(tmp_path, "2022-09-30")
    log = run(first, calls)
    assert calls == ["2022-09-30"]
    [entry] = entries(store.root)
    assert f"stored in cache entry {entry.name[:12]} (2 files)" in log
    second = job(tmp_path, "2023-04-30")  # the same file sent again in the next cut
    log = run(second, calls)
    assert calls == ["2022-09-30"]  # not computed again
    assert f"restored from cache entry {entry.name[:12]} (2 files, SHA-256 verified)" in log
    for a, b in zip(first.output, second.output, strict=True):
        assert Path(a).read_bytes() == Path(b).read_bytes()  # byte-identical to the computed ones
        assert not Path(b).is_symlink() and Path(b).stat().st_nlink == 1  # a copy: no link into the cache
        assert Path(b).stat().st_mode & stat.S_IWUSR  # an ordinary, writable result file
    assert PLANTED not in log


def test_an_entry_is_read_only_and_records_the_sha256_of_each_file(tmp_path, store):
    smk = job(tmp_path, "2022-09-30")
    run(smk, [])
    [entry] = entries(store.root)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o555
    record = json.loads((entry / ENTRY_FILE).read_text())
    assert sorted(p.name for p in entry.iterdir()) == [ENTRY_FILE, "findings.csv", "harmonised.parquet"]
    for path in entry.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert record["key"] == entry.name == key_of(record["material"])
    assert record["files"] == {
        name: {"file": f"{name}{Path(path).suffix}", "sha256": digest(Path(path)), "size": Path(path).stat().st_size}
        for name, path in smk.output.items()
    }
    # the record names no path of a cut and no value
    text = (entry / ENTRY_FILE).read_text()
    assert "2022-09-30" not in text and PLANTED not in text


def test_the_key_is_independent_of_the_cut_and_the_output_paths_and_follows_what_makes_the_outputs(tmp_path):
    def key(smk, reads=None):
        return key_of(
            key_material(
                rule=smk.rule,
                script=SCRIPT,
                wildcards=dict(smk.wildcards.items()),
                params=dict(smk.params.items()),
                inputs=cache._inputs(smk),
                outputs=dict(smk.output.items()),
                reads=reads,
            )
        )

    base = key(job(tmp_path / "a", "2022-09-30"))
    assert key(job(tmp_path / "b", "2023-04-30")) == base  # other cut, other folders, same content
    assert key(job(tmp_path / "c", "2022-09-30", extract=b"SUBJID,AE\nP001,UTI \n")) != base  # one byte more
    assert key(job(tmp_path / "d", "2022-09-30", site="IN03")) != base  # another site, same bytes
    assert key(job(tmp_path / "e", "2022-09-30", policy="quarantine")) != base  # params
    assert key(job(tmp_path / "f", "2022-09-30"), reads={"studyid": "X"}) != base  # what the step reads besides
    other_script = tmp_path / "script.py"
    other_script.write_text(SCRIPT.read_text() + "\n# edited\n")
    smk = job(tmp_path / "g", "2022-09-30")
    material = key_material(
        rule=smk.rule,
        script=other_script,
        wildcards=dict(smk.wildcards.items()),
        params=dict(smk.params.items()),
        inputs=cache._inputs(smk),
        outputs=dict(smk.output.items()),
    )
    assert key_of(material) != base
    assert material["inputs"][0][0] == "extract" and material["inputs"][1][0] == "shared"
    assert "cut" not in material["wildcards"] and material["outputs"] == ["findings", "harmonised"]


def test_a_corrupted_entry_is_detected_discarded_and_the_step_recomputes(tmp_path, store):
    calls: list[str] = []
    first = job(tmp_path, "2022-09-30")
    run(first, calls)
    [entry] = entries(store.root)
    os.chmod(entry / "harmonised.parquet", 0o644)  # as anyone who could write there
    (entry / "harmonised.parquet").write_bytes(b"SUBJID")  # truncated
    second = job(tmp_path, "2023-04-30")
    log = run(second, calls)
    assert calls == ["2022-09-30", "2023-04-30"]  # recomputed
    assert (
        f"WARNING inoflow.rule.ingest_validate_harmonise: cache entry {entry.name[:12]} ({entry}) is corrupt: "
        "file harmonised.parquet (output harmonised) does not match its recorded SHA-256; "
        "the entry is discarded and the step recomputes"
    ) in log
    assert f"stored in cache entry {entry.name[:12]}" in log  # stored again, intact
    assert "restored" not in log and PLANTED not in log
    assert Path(second.output.harmonised).read_bytes() == Path(first.output.harmonised).read_bytes()
    store.read_entry(entry.name)  # the new entry verifies
    assert [p.name for p in store.root.iterdir()] == [entry.name]  # nothing left aside


def test_a_corrupt_entry_is_taken_out_of_use_within_the_cache_folder(tmp_path, store, monkeypatch):
    """An entry folder is read-only (0555): moving it to another parent folder would need write
    permission on it (its '..'), which only root has, so an ordinary user's job could never
    discard it. It is renamed within the cache folder, which needs none, then removed. (The
    tests run as root, whom permissions do not stop: the renames are watched instead.)"""
    run(job(tmp_path, "2022-09-30"), [])
    [entry] = entries(store.root)
    renames = []
    real_rename = os.rename

    def watched(source, target):
        renames.append((Path(source), Path(target)))
        return real_rename(source, target)

    monkeypatch.setattr(cache.os, "rename", watched)
    store.discard(entry.name)
    assert [(s.name, t.parent) for s, t in renames] == [(entry.name, store.root)]
    assert renames[0][1].name.startswith(".discarded-")
    assert list(store.root.iterdir()) == []


@pytest.mark.parametrize(
    "damage, what",
    [
        (lambda e: (e / "findings.csv").unlink(), "file findings.csv (output findings) is missing"),
        (lambda e: (e / ENTRY_FILE).write_text("{"), f"its {ENTRY_FILE} cannot be read"),
        (
            lambda e: (e / ENTRY_FILE).write_text(
                (e / ENTRY_FILE).read_text().replace('"policy": "fail"', '"policy": "quarantine"')
            ),
            f"the key material in its {ENTRY_FILE} does not give its key",
        ),
        (  # the record edited by hand
            lambda e: (e / ENTRY_FILE).write_text(
                (e / ENTRY_FILE).read_text().replace(digest(e / "findings.csv"), "0" * 64)
            ),
            "file findings.csv (output findings) does not match its recorded SHA-256",
        ),
        (  # a file changed in place, its size kept
            lambda e: (e / "findings.csv").write_bytes(bytes(len((e / "findings.csv").read_bytes()))),
            "file findings.csv (output findings) does not match its recorded SHA-256",
        ),
    ],
)
def test_every_kind_of_damage_to_an_entry_is_detected(tmp_path, store, damage, what):
    run(job(tmp_path, "2022-09-30"), [])
    [entry] = entries(store.root)
    for path in (entry, *entry.iterdir()):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    damage(entry)
    calls: list[str] = []
    log = run(job(tmp_path, "2023-04-30"), calls)
    assert calls == ["2023-04-30"]
    assert f"cache entry {entry.name[:12]} ({entry}) is corrupt: {what};" in log
    store.read_entry(entry.name)


def test_a_truncated_result_does_not_touch_the_entry_and_a_rerun_restores_the_right_bytes(tmp_path, store):
    first = job(tmp_path, "2022-09-30")
    run(first, [])
    right = Path(first.output.harmonised).read_bytes()
    [entry] = entries(store.root)
    before = {p.name: digest(p) for p in entry.iterdir()}
    Path(first.output.harmonised).write_bytes(right[:5])  # truncated in results/
    assert {p.name: digest(p) for p in entry.iterdir()} == before
    calls: list[str] = []
    log = run(job(tmp_path, "2022-09-30"), calls)  # the same job again (a forced rerun)
    assert calls == [] and f"restored from cache entry {entry.name[:12]}" in log
    assert Path(first.output.harmonised).read_bytes() == right


def test_a_job_killed_while_storing_leaves_no_entry_and_its_leftovers_are_removed(tmp_path, store):
    """kill -9 between the first and the second file of an entry: no entry under the key (the
    next job computes), and the next store removes the dead job's temporary folder."""
    smk = job(tmp_path, "2022-09-30")
    pickled = tmp_path / "smk.json"
    pickled.write_text(json.dumps({"tmp": str(tmp_path), "root": str(store.root)}))
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, os, signal, sys; sys.path.insert(0, 'tests');"
            "from pathlib import Path; from inoflow import cache; import test_cache as t;"
            f"cfg = json.loads(Path({str(pickled)!r}).read_text());"
            "os.environ[cache.ENV] = cfg['root'];"
            "copy = cache._copy_hashing; n = []\n"
            "def dying(a, b):\n"
            "    n.append(1)\n"
            "    if len(n) == 2: os.kill(os.getpid(), signal.SIGKILL)\n"
            "    return copy(a, b)\n"
            "cache._copy_hashing = dying\n"
            "t.run(t.job(Path(cfg['tmp']), '2022-09-30'), [])",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -9, killed.stderr
    assert entries(store.root) == []  # no entry, whole or half
    [left] = [p for p in store.root.iterdir()]
    assert left.name.startswith(".tmp-") and len(list(left.iterdir())) == 1  # one file copied before the kill
    calls: list[str] = []
    log = run(smk, calls)
    assert calls == ["2022-09-30"] and "stored in cache entry" in log
    [entry] = list(store.root.iterdir())  # the dead job's folder removed
    store.read_entry(entry.name)


def test_two_jobs_storing_the_same_key_keep_one_entry(tmp_path, store):
    smk = job(tmp_path, "2022-09-30")
    run(smk, [])
    [entry] = entries(store.root)
    material = json.loads((entry / ENTRY_FILE).read_text())["material"]
    assert store.store(entry.name, material, dict(smk.output.items()), logging.getLogger("t")) is False
    assert list(store.root.iterdir()) == [entry]


def test_without_a_cache_folder_the_step_runs_uncached(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    calls: list[str] = []
    smk = job(tmp_path, "2022-09-30")
    run(smk, calls)
    log = run(smk, calls)
    assert calls == ["2022-09-30", "2022-09-30"] and "cache" not in log
    assert not (tmp_path / "results" / ".output-cache").exists()


# --- the workflow, on a copy of the project ---------------------------------------------

INTERIM, LOCKED = "2022-09-30", "2023-04-30"
POOL = "pool_sdtm"


@pytest.mark.workflow
def test_the_workflow_restores_the_right_bytes_and_recomputes_a_corrupted_entry(tmp_path):
    from inoflow.project import copy_project

    project = copy_project(tmp_path / "project", PROJECT_ROOT)
    results = project / "results"
    env = {**os.environ, "PYTHONPATH": f"{project / 'src'}{os.pathsep}{project}"}
    env.pop(ENV, None)

    def snakemake(cut: str, *args: str) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", str(results / "india" / cut / "sdtm" / "AE.parquet")]
            + ["--cores", "2", *args, "--config", f"results={results}"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]

    ae = results / "india" / INTERIM / "sdtm" / "AE.parquet"
    pool_log = results / "india" / INTERIM / "logs" / "pool_sdtm" / "sdtm.log"
    root = results / ".output-cache"
    snakemake(INTERIM)
    assert "adverse_events: stored in cache entry" in pool_log.read_text()
    right = ae.read_bytes()
    links = [p for p in results.rglob("*") if p.is_symlink()]
    assert links == []  # nothing in results/ links into the cache
    store = OutputCache(root)
    [pool_entry] = [
        e for e in entries(root) if json.loads((e / ENTRY_FILE).read_text())["material"].get("part") == "adverse_events"
    ]
    for entry in entries(root):
        store.read_entry(entry.name)  # every entry verifies
        assert stat.S_IMODE(entry.stat().st_mode) == 0o555

    # a truncated result: the entry is untouched, and a rerun of the job restores the right bytes
    ae.write_bytes(right[: len(right) // 2])
    store.read_entry(pool_entry.name)
    snakemake(INTERIM, "--forcerun", POOL)
    assert f"adverse_events: restored from cache entry {pool_entry.name[:12]}" in pool_log.read_text()
    assert ae.read_bytes() == right and not ae.is_symlink()

    # a corrupted entry: detected, reported by entry and file, discarded, the job recomputes
    os.chmod(pool_entry / "AE.parquet", 0o644)
    (pool_entry / "AE.parquet").write_bytes(b"PAR1")
    snakemake(INTERIM, "--forcerun", POOL)
    log = pool_log.read_text()
    assert (
        f"cache entry {pool_entry.name[:12]} ({pool_entry}) is corrupt: file AE.parquet (output AE) "
        "does not match its recorded SHA-256; the entry is discarded and the step recomputes"
    ) in log
    assert (
        "adverse_events: restored" not in log and f"adverse_events: stored in cache entry {pool_entry.name[:12]}" in log
    )
    assert ae.read_bytes() == right
    store.read_entry(pool_entry.name)

    # the next cut: the files sent unchanged are restored (shared entries), the resent one read
    snakemake(LOCKED)
    log = (results / "india" / LOCKED / "logs" / "extract" / "extract.log").read_text()
    india = load_study("config/studies/india.yaml")
    for site in ("IN03", "IN05"):
        file = india.sites[site].domain_spec("adverse_events")["file"]
        assert f"{site}/{file}: restored from cache entry" in log, site
    assert "IN02 adverse_events: read" in log and "IN02/IN02_adverse_events.csv: restored" not in log
    assert [p for p in results.rglob("*") if p.is_symlink()] == []
