"""Releases of a locked cut's results: numbered, read-only, checksummed, never overwritten.

``make_release`` copies the products of a run of a locked cut (the book, the comparison with
the publication, SDTM, ADaM, ARD, tables, figures, notebooks, data-quality, reconciliation
and listings; not the logs nor the intermediate ingest/validated/harmonised files) from
``results/<study>/<cut>/`` into ``releases/<study>/<cut>/v<N>/``, with a copy of the cut's
lock (:mod:`inoflow.audit.lock`: the extract manifest ``extracts.sha256``, and
``config.sha256`` and ``code.sha256``, the manifests of its configuration and code) and:

- ``RELEASE.json``: study, cut, version, creation time (UTC), who made it, the reason (required
  from v2 on), the git commit of the code and whether its working tree had uncommitted
  changes, the extract manifest's path and sha256, the lock (each manifest's path and sha256,
  and the line of ``lock-log.tsv`` that records them), and the sha256 of every released file;
- ``RELEASE.sha256``: the same checksums in ``sha256sum`` format, so that
  ``cd releases/<study>/<cut>/v<N> && sha256sum --check --strict RELEASE.sha256`` checks it.

Files and folders are made read-only. ``verify_release`` rechecks a release against its
``RELEASE.json``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from inoflow.audit.lock import CODE_SUFFIX, CONFIG_SUFFIX, LOCK_LOG, current_user, last_lock, sha256_file, shown
from inoflow.audit.provenance import git_state
from inoflow.errors import InoflowError

# What a release holds of results/<study>/<cut>/ (the rest are logs and intermediate files).
RELEASED = (
    "book.html",
    "book.docx",
    "book.pdf",
    "comparison_with_publication.csv",
    "sdtm",
    "adam",
    "ard",
    "tables",
    "figures",
    "notebooks",
    "data_quality",
    "reconciliation",
    "listings",
    "shareable",
)
REQUIRED = ("book.html",)  # the last product of a successful run
RELEASE_JSON = "RELEASE.json"
RELEASE_SUMS = "RELEASE.sha256"
MANIFEST_COPY = "extracts.sha256"
LOCK_COPIES = {"extracts": MANIFEST_COPY, "config": "config.sha256", "code": "code.sha256"}
METADATA = (RELEASE_JSON, RELEASE_SUMS)
_VERSION = re.compile(r"^v([1-9][0-9]*)$")
READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
READ_ONLY_DIR = READ_ONLY_FILE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH


class ReleaseError(InoflowError):
    """A release cannot be made (no results, an existing version, no reason) or fails its check."""


def release_versions(cut_releases: str | Path) -> list[int]:
    """The version numbers already released in ``releases/<study>/<cut>/``, ascending."""
    folder = Path(cut_releases)
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := _VERSION.match(p.name)) and p.is_dir())


def released_files(results_cut_dir: str | Path) -> list[str]:
    """The files of a cut's results that a release holds, as sorted POSIX paths relative to it."""
    root = Path(results_cut_dir)
    files = []
    for item in RELEASED:
        path = root / item
        if path.is_file():
            files.append(item)
        elif path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files += [Path(folder, n).relative_to(root).as_posix() for n in names if not n.startswith(".")]
    odd = [f for f in files if "\n" in f or "\\" in f]
    if odd:
        raise ReleaseError(
            f"results file(s) {odd} of {shown(root)}: a name with a newline or a backslash cannot be released"
        )
    return sorted(files)


def make_release(
    results_cut_dir: str | Path,
    releases_root: str | Path,
    study: str,
    cut: str,
    manifest_path: str | Path,
    reason: str | None = None,
    created_by: str | None = None,
) -> Path:
    """Release a locked cut's results as ``<releases_root>/<study>/<cut>/v<N>/``; returns that folder.

    N is one more than the last version; from v2 on, ``reason`` is required. An existing
    version is never touched. The caller checks the extracts against the manifest first
    (:func:`inoflow.audit.lock.check_locked_cut`).
    """
    results_cut_dir, manifest_path = Path(results_cut_dir), Path(manifest_path)
    if not manifest_path.is_file():
        raise ReleaseError(
            f"cut {cut} of study {study} has no extract manifest ({shown(manifest_path)}): "
            f"only a locked cut is released; run scripts/lock_cut.py --study {study} --cut {cut}"
        )
    missing = [item for item in REQUIRED if not (results_cut_dir / item).is_file()]
    if missing:
        raise ReleaseError(
            f"no complete results for cut {cut} of study {study} in {shown(results_cut_dir)} "
            f"({', '.join(missing)} missing): run the workflow first"
        )
    reason = " ".join(reason.split()) if reason else None
    cut_releases = Path(releases_root) / study / cut
    versions = release_versions(cut_releases)
    version = versions[-1] + 1 if versions else 1
    if versions and not reason:
        raise ReleaseError(
            f"release v{versions[-1]} of cut {cut} of study {study} already exists "
            f"({shown(cut_releases / f'v{versions[-1]}')}); releases are never overwritten. "
            f"To make v{version}, give the reason for a new release: --reason '...'"
        )
    target = cut_releases / f"v{version}"
    files = released_files(results_cut_dir)
    lock = lock_manifests(manifest_path, cut)
    cut_releases.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".v{version}.partial-", dir=cut_releases))
    try:
        sums: dict[str, str] = {}
        copies = {LOCK_COPIES[name]: path for name, path in lock.items()}
        for rel in [*files, *copies]:
            source = copies.get(rel, results_cut_dir / rel)
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
            sums[rel] = sha256_file(dest)  # the copy's, so a faulty copy does not go unnoticed
        sums = dict(sorted(sums.items()))
        record = {
            "study": study,
            "cut": cut,
            "version": version,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_by": created_by or current_user(),
            "reason": reason,
            "git": git_state(),
            "extract_manifest": {
                "path": shown(manifest_path),
                "sha256": sha256_file(manifest_path),
                "copy": MANIFEST_COPY,
            },
            "lock": {
                **{
                    name: {"path": shown(path), "sha256": sha256_file(path), "copy": LOCK_COPIES[name]}
                    for name, path in lock.items()
                },
                "log": last_lock(manifest_path.parent / LOCK_LOG, study, cut),
            },
            "results": shown(results_cut_dir),
            "files": sums,
        }
        (staging / RELEASE_JSON).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        (staging / RELEASE_SUMS).write_text(_sha256sum_lines(sums), encoding="utf-8", newline="\n")
        for path in staging.rglob("*"):
            if path.is_file():
                path.chmod(READ_ONLY_FILE)
        if target.exists():  # another release of the same version since we looked
            raise ReleaseError(f"{shown(target)} already exists; releases are never overwritten")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # its folders are still writable
        raise
    for folder in sorted((p for p in target.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        folder.chmod(READ_ONLY_DIR)
    target.chmod(READ_ONLY_DIR)
    return target


def lock_manifests(manifest_path: Path, cut: str) -> dict[str, Path]:
    """The manifests of a cut's lock that exist beside its extract manifest (extracts first)."""
    siblings = {"config": f"{cut}{CONFIG_SUFFIX}", "code": f"{cut}{CODE_SUFFIX}"}
    found = {"extracts": manifest_path}
    found |= {name: manifest_path.with_name(n) for name, n in siblings.items() if manifest_path.with_name(n).is_file()}
    return found


def verify_release(release_dir: str | Path) -> list[str]:
    """Recheck every file of a release against its RELEASE.json: the problems, one line each
    (a changed, missing or added file; empty if the release is intact)."""
    release_dir = Path(release_dir)
    try:
        record = json.loads((release_dir / RELEASE_JSON).read_text(encoding="utf-8"))
        sums = record["files"]
    except FileNotFoundError:
        return [f"missing: {RELEASE_JSON} (not a release, or its record was removed)"]
    except (ValueError, KeyError, TypeError) as exc:
        return [f"changed: {RELEASE_JSON} (not a readable release record: {exc})"]
    problems = []
    for rel, digest in sorted(sums.items()):
        path = release_dir / rel
        if not path.is_file():
            problems.append(f"missing: {rel} (in {RELEASE_JSON}, not in the release)")
        elif sha256_file(path) != digest:
            problems.append(f"changed: {rel} (its sha256 differs from {RELEASE_JSON})")
    present = {p.relative_to(release_dir).as_posix() for p in release_dir.rglob("*") if p.is_file()}
    for rel in sorted(present - set(sums) - set(METADATA)):
        problems.append(f"added: {rel} (in the release, not in {RELEASE_JSON})")
    sums_file = release_dir / RELEASE_SUMS
    if not sums_file.is_file():
        problems.append(f"missing: {RELEASE_SUMS}")
    elif sums_file.read_text(encoding="utf-8") != _sha256sum_lines(sums):
        problems.append(f"changed: {RELEASE_SUMS} (does not list the checksums of {RELEASE_JSON})")
    return problems


def _sha256sum_lines(sums: dict[str, str]) -> str:
    return "".join(f"{digest}  {rel}\n" for rel, digest in sorted(sums.items()))
