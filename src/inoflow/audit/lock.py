"""Database lock of a data cut: a manifest of its extracts' checksums, checked at every run.

Locking a cut (``scripts/lock_cut.py``) writes ``config/locks/<study>/<cut>.sha256``: the
SHA-256 of every file of the cut's extract folder, one ``<hex>  <path relative to the
folder>`` line each, sorted by path, under a ``#`` comment header naming the study, the cut,
the date and who locked it. It is the format of ``sha256sum``, which skips the comment lines,
so anyone can check a cut with standard tools::

    cd data/india/2023-04-30 && sha256sum --check --strict ../../../config/locks/india/2023-04-30.sha256

The workflow calls :func:`check_locked_cuts` when it starts: a locked cut whose extracts
differ from its manifest (a file changed, missing or added), or that has no manifest, stops
the run with a :class:`LockError` naming the files.

Hidden files and folders (names starting with ``.``, such as ``.DS_Store``) are not part of
a cut: the workflow reads only the files the sites' dialects name, never a hidden one.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from inoflow.errors import InoflowError, UnknownNameError

LOCKS_DIR = Path("config/locks")  # of the working folder
MANIFEST_SUFFIX = ".sha256"
_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
_HEADER = re.compile(r"^# study (?P<study>.+), cut (?P<cut>.+), locked (?P<date>\S+) by (?P<user>.+)$")


class LockError(InoflowError):
    """A locked cut has no manifest, or its extracts differ from it."""


@dataclass
class ManifestDiff:
    """How a cut's extract folder differs from its manifest (paths relative to the folder)."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.added)

    def problems(self) -> list[str]:
        return (
            [f"changed: {p} (its sha256 differs from the manifest)" for p in self.changed]
            + [f"missing: {p} (in the manifest, not on disk)" for p in self.missing]
            + [f"added: {p} (on disk, not in the manifest)" for p in self.added]
        )


def shown(path: str | Path) -> str:
    """A path as the user should see it: relative to the working folder when it is inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def sha256_file(path: str | Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def manifest_path(study: str, cut: str, locks_dir: str | Path = LOCKS_DIR) -> Path:
    """Where a cut's manifest lives: ``config/locks/<study>/<cut>.sha256``."""
    for name, value in (("study", study), ("cut", cut)):
        if not value or "/" in value or "\\" in value or value.startswith("."):
            raise LockError(f"{name} {value!r} cannot name a manifest file")
    return Path(locks_dir) / study / f"{cut}{MANIFEST_SUFFIX}"


def extract_files(extracts_dir: str | Path) -> list[Path]:
    """Every file of a cut's extract folder, as paths relative to it, sorted (hidden ones left out)."""
    root = Path(extracts_dir)
    if not root.is_dir():
        raise LockError(f"extract folder {shown(root)} does not exist")
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            relative = Path(folder, name).relative_to(root)
            if "\n" in str(relative) or "\\" in str(relative):
                raise LockError(
                    f"extract file {relative!r} of {shown(root)}: a name with a newline or a backslash "
                    "cannot be listed in a manifest; rename it"
                )
            files.append(relative)
    return sorted(files, key=lambda p: p.as_posix())


def checksums(extracts_dir: str | Path) -> dict[str, str]:
    """Relative POSIX path -> sha256 of every file of an extract folder."""
    root = Path(extracts_dir)
    return {p.as_posix(): sha256_file(root / p) for p in extract_files(root)}


def write_manifest(
    study: str,
    cut: str,
    extracts_dir: str | Path,
    manifest_path: str | Path,
    locked_by: str | None = None,
    today: date | str | None = None,
    reason: str | None = None,
) -> Path:
    """Write the manifest of a cut's extracts (``sha256sum`` format under a ``#`` header).

    ``reason`` (a relock's) is recorded in the header. Returns the manifest's path.
    """
    extracts_dir, manifest_path = Path(extracts_dir), Path(manifest_path)
    sums = checksums(extracts_dir)
    if not sums:
        raise LockError(f"extract folder {shown(extracts_dir)} holds no files: nothing to lock")
    locked_by = locked_by or current_user()
    today = today or date.today()
    today = today.isoformat() if isinstance(today, date) else str(today)
    check_from = os.path.relpath(manifest_path.resolve(), extracts_dir.resolve())
    header = [
        f"# study {study}, cut {cut}, locked {today} by {locked_by}",
        f"# {len(sums)} files of {shown(extracts_dir)}; check: cd {shown(extracts_dir)} && sha256sum --check --strict {check_from}",
    ]
    if reason:
        header.append(f"# relocked: {' '.join(reason.split())}")
    lines = header + [f"{digest}  {path}" for path, digest in sums.items()]
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = manifest_path.with_name(manifest_path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    tmp.replace(manifest_path)
    return manifest_path


def read_manifest(manifest_path: str | Path) -> dict[str, str]:
    """Relative POSIX path -> sha256, as a manifest lists them (comment lines skipped)."""
    manifest_path = Path(manifest_path)
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LockError(f"manifest {shown(manifest_path)} not found") from None
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _LINE.match(line)
        where = f"manifest {shown(manifest_path)}, line {number}"
        if not match:
            raise LockError(f"{where}: not a '<sha256>  <path>' line: {line!r}")
        digest, path = match.groups()
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts:
            raise LockError(f"{where}: {path!r} is not a path inside the extract folder")
        if path in sums:
            raise LockError(f"{where}: {path!r} is listed twice")
        sums[path] = digest
    return sums


def manifest_header(manifest_path: str | Path) -> dict[str, str]:
    """The study, cut, date and user of a manifest's first header line (empty if it has none)."""
    with open(manifest_path, encoding="utf-8") as handle:
        match = _HEADER.match(handle.readline().rstrip("\n"))
    return match.groupdict() if match else {}


def compare_manifest(extracts_dir: str | Path, manifest_path: str | Path) -> ManifestDiff:
    """How the extract folder differs from the manifest: files changed, missing and added."""
    listed = read_manifest(manifest_path)
    root = Path(extracts_dir)
    on_disk = {p.as_posix() for p in extract_files(root)}
    diff = ManifestDiff()
    for path, digest in listed.items():
        if path not in on_disk:
            diff.missing.append(path)
        elif sha256_file(root / path) != digest:
            diff.changed.append(path)
    diff.added = sorted(on_disk - set(listed))
    return diff


def verify_manifest(extracts_dir: str | Path, manifest_path: str | Path) -> list[str]:
    """The differences between an extract folder and its manifest, one line each (empty if none)."""
    return compare_manifest(extracts_dir, manifest_path).problems()


def check_locked_cut(study: str, cut: str, extracts_dir: str | Path, manifest_path: str | Path) -> int:
    """Raise :class:`LockError` unless the locked cut's extracts match its manifest.

    Returns the number of files checked.
    """
    manifest_path = Path(manifest_path)
    if not manifest_path.is_file():
        raise LockError(
            f"cut {cut} of study {study} is locked but has no manifest: run scripts/lock_cut.py "
            f"--study {study} --cut {cut} (it writes {shown(manifest_path)}, to commit with the study)"
        )
    problems = verify_manifest(extracts_dir, manifest_path)
    if problems:
        header = manifest_header(manifest_path)
        when = f" (locked {header['date']} by {header['user']})" if header else ""
        raise LockError(
            f"cut {cut} of study {study} is locked{when}, but {len(problems)} file(s) of "
            f"{shown(extracts_dir)} differ from its manifest {shown(manifest_path)}:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nA locked cut's extracts do not change: restore the files, or, if the change is "
            f"intended, lock the cut again: scripts/lock_cut.py --study {study} --cut {cut} "
            "--relock --reason '...'"
        )
    return len(read_manifest(manifest_path))


def check_locked_cuts(studies, locks_dir: str | Path = LOCKS_DIR) -> int:
    """Check every locked cut of ``studies`` (study name -> :class:`inoflow.config.Study`, as
    :func:`inoflow.config.load_config` returns them); one :class:`LockError` lists every failure.

    Returns the number of locked cuts checked.
    """
    failures, checked = [], 0
    for name, study in studies.items():
        for cut in study.cuts.values():
            if cut.status != "locked":
                continue
            checked += 1
            try:
                check_locked_cut(name, cut.cut, cut.extracts, manifest_path(name, cut.cut, locks_dir))
            except LockError as exc:
                failures.append(str(exc))
    if failures:
        raise LockError("\n\n".join(failures))
    return checked


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def load_cut(study: str, cut: str, config_path: str | Path, root: str | Path | None = None):
    """The :class:`~inoflow.config.Study` and :class:`~inoflow.config.Cut` named on a command
    line, from the entry configuration (paths in it relative to ``root``, default the working folder)."""
    from inoflow.config import load_config

    studies = load_config(config_path, root)
    if study not in studies:
        raise UnknownNameError(
            f"unknown study {study!r} in {shown(config_path)} (studies: {', '.join(sorted(studies))})"
        )
    cuts = studies[study].cuts
    if cut not in cuts:
        raise UnknownNameError(
            f"unknown cut {cut!r}: study {study} has no such cut in {shown(studies[study].path)} (cuts: {', '.join(sorted(cuts))})"
        )
    return studies[study], cuts[cut]


def cut_command_line(description: str):
    """The options the lock and release commands share: which study and cut, and where the
    project's configuration and manifests are (tests point them at temporary copies)."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--study", required=True)
    parser.add_argument("--cut", required=True)
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="folder the configuration's paths start from (default: the working folder)",
    )
    parser.add_argument("--config", type=Path, help="entry configuration (default: <root>/config/config.yaml)")
    parser.add_argument("--locks", type=Path, help="folder of the manifests (default: <root>/config/locks)")
    return parser


def run_command(name: str, action, args) -> int:
    """Run a command's action; print its one-line result, or its error without a traceback
    (exit 2 for a study or cut that does not exist, 1 for any other refusal)."""
    import sys

    try:
        print(action(args))
    except UnknownNameError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 2
    except InoflowError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 1
    return 0


def locked_cut_of(args, if_not_locked: str):
    """The study, cut and manifest path a lock or release command works on, from its options;
    refuses a cut whose status is not locked (``if_not_locked`` says what to do, ``{config}``
    naming the study configuration)."""
    root = args.root.resolve()
    config = args.config or root / "config" / "config.yaml"
    study, cut = load_cut(args.study, args.cut, config, root)
    if cut.status != "locked":
        raise LockError(
            f"cut {cut.cut} of study {study.study} has status {cut.status}: "
            + if_not_locked.format(config=shown(study.path))
        )
    return root, config, study, cut, manifest_path(study.study, cut.cut, args.locks or root / "config" / "locks")
