"""Database lock of a data cut: manifests of everything its numbers are computed from,
checked at every run.

Locking a cut (``scripts/lock_cut.py``) writes three manifests in ``config/locks/<study>/``,
each in the format of ``sha256sum`` (``<hex>  <path>`` lines under ``#`` comment headers
naming the study, the cut, the date and who locked it, which ``sha256sum`` skips):

- ``<cut>.sha256``, the extracts: every file of the cut's extract folder, paths relative to it::

    cd data/india/2023-04-30 && sha256sum --check --strict ../../../config/locks/india/2023-04-30.sha256

- ``<cut>.config.sha256``, the configuration: the contract, the unit table, the
  de-identification rules, the vocabularies, the dialect of each site of the cut (with the
  template it extends), the study's definitions and the cost table they name, paths relative
  to the study folder (``cd <study folder> && sha256sum --check --strict config/locks/...``).
  The study file itself is recorded by the part of it the cut reads (every key but the other
  cuts: a cut added later does not touch the lock), as a ``# part <sha256>  <path>`` line;
- ``<cut>.code.sha256``, the code: every module of the engine (``inoflow/adam/adsl.py``,
  wherever it is installed) and the workflow's own files (Snakefile, rules, configuration
  schemas, the scripts the rules run, notebooks, ``requirements.lock``; paths relative to the
  workflow's folder), :func:`inoflow.codeversion.code_sums`.

Each lock and relock appends a line to ``config/locks/<study>/lock-log.tsv`` (when, who, why,
and the sha256 of the three manifests), so a manifest edited by hand is detected.

The workflow calls :func:`check_locked_cuts` when it starts: a locked cut without its
manifests or log line, with a manifest edited since its lock, or whose extracts,
configuration or code differ from the lock stops the run before any job, with one
:class:`LockError` naming what differs (at most :data:`MAX_NAMED` files per part) and the
command that locks the cut again.

Hidden files and folders (names starting with ``.``, such as ``.DS_Store``) are not part of
a cut: the workflow reads only the files the sites' dialects name, never a hidden one.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import json
import os
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

from inoflow.checksum import sha256_file
from inoflow.codeversion import code_sums, default_workflow_dir, module_name
from inoflow.errors import InoflowError, UnknownNameError

LOCKS_DIR = Path("config/locks")  # of the working folder
MANIFEST_SUFFIX = ".sha256"
CONFIG_SUFFIX = ".config.sha256"
CODE_SUFFIX = ".code.sha256"
LOCK_LOG = "lock-log.tsv"
LOG_COLUMNS = (
    "locked_at",
    "study",
    "cut",
    "action",
    "locked_by",
    "reason",
    "extracts_sha256",
    "config_sha256",
    "code_sha256",
)
MAX_NAMED = 10  # files a refusal names per part of the lock, then "and N more"
# The configuration every cut of the working folder reads (the schema fixes these paths).
SHARED_CONFIG = ("config/contract.yaml", "config/units.yaml", "config/deidentification.yaml")
VOCABULARIES = "config/vocabularies"
_PART = re.compile(r"^# part ([0-9a-f]{64})  (.+)$")
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


# --- the lock of everything a number is computed from ------------------------------------


@dataclass(frozen=True)
class LockFiles:
    """The files of a cut's lock: its three manifests and the study's lock log."""

    extracts: Path
    config: Path
    code: Path
    log: Path

    def manifests(self) -> dict[str, Path]:
        return {"extracts": self.extracts, "config": self.config, "code": self.code}


def lock_files(study: str, cut: str, locks_dir: str | Path = LOCKS_DIR) -> LockFiles:
    """``config/locks/<study>/<cut>.sha256``, ``.config.sha256``, ``.code.sha256`` and ``lock-log.tsv``."""
    extracts = manifest_path(study, cut, locks_dir)
    return LockFiles(
        extracts,
        extracts.with_name(f"{cut}{CONFIG_SUFFIX}"),
        extracts.with_name(f"{cut}{CODE_SUFFIX}"),
        extracts.parent / LOCK_LOG,
    )


def config_key(path: str | Path, root: str | Path) -> str:
    """A configuration file as a lock names it: its POSIX path relative to the study folder,
    or its absolute path when it lies outside it."""
    path, root = Path(os.path.abspath(path)), Path(os.path.abspath(root))
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def config_files(study, cut, root: str | Path) -> dict[str, Path]:
    """The configuration files a cut's numbers depend on (key: :func:`config_key`), sorted: the
    contract, units, de-identification rules and vocabularies of the study folder, the dialect
    of each site of the cut (and the template it extends) and the list of names it gives the
    de-identification gate, the definitions and the cost table they name. The study file is
    recorded by its part (:func:`study_part_sha256`)."""
    from inoflow.config import read_yaml

    root = Path(root)
    paths = [root / name for name in SHARED_CONFIG]
    paths += sorted((root / VOCABULARIES).glob("*.yaml"))
    for site in cut.sites:
        paths += study.sites[site].dialect_files
        names = (study.sites[site].spec or {}).get("name_list")  # the site's list of names to refuse
        if names:
            paths.append(Path(names) if Path(names).is_absolute() else root / names)
    paths.append(study.definitions)
    if study.definitions.is_file():
        cost_table = (read_yaml(study.definitions) or {}).get("cost_table")
        if cost_table:
            paths.append(root / cost_table)
    files = {config_key(p, root): Path(p) for p in paths if Path(p).is_file()}
    return dict(sorted(files.items()))


def study_part_sha256(study, cut) -> str:
    """sha256 of the part of the study file a cut reads: every key, of ``cuts`` only this cut's
    (canonical JSON), so that adding or changing another cut leaves the lock as it is; and of the
    cut, not where its extracts lie (their own manifest covers them: a study folder moved to
    another disk keeps its lock)."""
    this = {k: v for k, v in (study.spec.get("cuts", {}).get(cut.cut) or {}).items() if k != "extracts"}
    part = {**study.spec, "cuts": {cut.cut: this}}
    text = json.dumps(part, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_sums(study, cut, root: str | Path) -> dict[str, str]:
    """Key -> sha256 of the cut's configuration, the study file's part included."""
    sums = {key: sha256_file(path) for key, path in config_files(study, cut, root).items()}
    sums[config_key(study.path, root)] = study_part_sha256(study, cut)
    return dict(sorted(sums.items()))


def read_sums(path: Path, absolute: bool = False) -> tuple[dict[str, str], set[str]]:
    """Path -> sha256 of a manifest's lines, and the paths given as ``# part`` lines."""
    sums: dict[str, str] = {}
    parts: set[str] = set()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LockError(f"manifest {shown(path)} not found") from None
    for number, line in enumerate(text.splitlines(), start=1):
        part = _PART.match(line)
        if not line.strip() or (line.startswith("#") and not part):
            continue
        match = part or _LINE.match(line)
        where = f"manifest {shown(path)}, line {number}"
        if not match:
            raise LockError(f"{where}: not a '<sha256>  <path>' line: {line!r}")
        digest, name = match.groups()
        pure = PurePosixPath(name)
        if (pure.is_absolute() and not absolute) or ".." in pure.parts:
            raise LockError(f"{where}: {name!r} is not a path a lock can name")
        if name in sums:
            raise LockError(f"{where}: {name!r} is listed twice")
        sums[name] = digest
        if part:
            parts.add(name)
    return sums, parts


def _header(study: str, cut: str, what: str, locked_by: str, today: str, reason: str | None) -> list[str]:
    lines = [f"# study {study}, cut {cut}, locked {today} by {locked_by}: {what}"]
    return lines + ([f"# relocked: {reason}"] if reason else [])


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    tmp.replace(path)


def write_config_manifest(study, cut, root, path, locked_by: str, today: str, reason: str | None = None) -> Path:
    """Write ``<cut>.config.sha256`` (paths relative to ``root``, the study folder)."""
    path, root = Path(path), Path(root)
    files = config_files(study, cut, root)
    study_key = config_key(study.path, root)
    check_from = config_key(path, root)
    lines = _header(study.study, cut.cut, "the configuration its numbers are computed with", locked_by, today, reason)
    lines += [
        f"# {len(files)} files of the study folder ({shown(root)}); check there: sha256sum --check --strict {check_from}",
        f"# the part of {study_key} the cut reads (every key but the other cuts; sha256 of its canonical "
        "JSON, checked by the workflow and by scripts/lock_cut.py --check):",
        f"# part {study_part_sha256(study, cut)}  {study_key}",
    ]
    lines += [f"{sha256_file(p)}  {key}" for key, p in files.items()]
    _write(path, lines)
    return path


def write_code_manifest(study: str, cut: str, workflow_dir, path, locked_by: str, today: str, reason=None) -> Path:
    """Write ``<cut>.code.sha256``: the workflow's own files (relative to ``workflow_dir``) and
    every module of the engine (``inoflow/...``, relative to where the package is installed)."""
    import inoflow

    path, workflow_dir = Path(path), Path(workflow_dir)
    sums = dict(sorted(code_sums(workflow_dir).items()))
    engine = sum(1 for key in sums if key.startswith("inoflow/"))
    lines = _header(study, cut, "the code its numbers are computed with", locked_by, today, reason)
    lines += [
        f"# {len(sums) - engine} files of the workflow ({shown(workflow_dir)}) and {engine} modules of "
        f"the engine (inoflow/, installed in {shown(Path(inoflow.__file__).parents[1])})",
        f"# check: python {shown(workflow_dir / 'scripts' / 'lock_cut.py')} --study {study} --cut {cut} --check "
        f"(the workflow's files alone: grep -v '  inoflow/' {shown(path)} | {_in(workflow_dir)}sha256sum --check --strict)",
    ]
    lines += [f"{digest}  {key}" for key, digest in sums.items()]
    _write(path, lines)
    return path


def _in(folder: Path) -> str:
    """The shell prefix that runs a command in ``folder`` (none for the working folder)."""
    return "" if shown(folder) == "." else f"cd {shown(folder)} && "


def read_log(log_path: str | Path) -> list[dict[str, str]]:
    """The lines of a study's lock log, oldest first (empty if there is none)."""
    log_path = Path(log_path)
    if not log_path.is_file():
        return []
    with log_path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def last_lock(log_path: str | Path, study: str, cut: str) -> dict[str, str] | None:
    """The log line of a cut's last lock or relock, None if none is recorded."""
    entries = [e for e in read_log(log_path) if e.get("study") == study and e.get("cut") == cut]
    return entries[-1] if entries else None


def append_log(log_path: str | Path, entry: dict[str, str]) -> None:
    """Append one line to the lock log (its header first if the log is new); never rewrites it."""
    log_path = Path(log_path)
    new = not log_path.is_file() or log_path.stat().st_size == 0
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8", newline="") as handle:
        if new:
            handle.write("\t".join(LOG_COLUMNS) + "\n")
        handle.write("\t".join(" ".join(str(entry.get(c) or "").split()) for c in LOG_COLUMNS) + "\n")


def write_lock(
    study,
    cut,
    locks_dir: str | Path,
    root: str | Path,
    workflow_dir: str | Path,
    locked_by: str | None = None,
    today: date | str | None = None,
    reason: str | None = None,
) -> LockFiles:
    """Lock a cut (:class:`~inoflow.config.Study`, :class:`~inoflow.config.Cut`): write its
    three manifests and append their sha256 to the lock log. Returns the lock's files."""
    files = lock_files(study.study, cut.cut, locks_dir)
    locked_by = locked_by or current_user()
    reason = " ".join(reason.split()) if reason else None
    action = "relock" if files.extracts.exists() else "lock"
    today = today or date.today()
    today = today.isoformat() if isinstance(today, date) else str(today)
    write_manifest(study.study, cut.cut, cut.extracts, files.extracts, locked_by, today, reason)
    write_config_manifest(study, cut, root, files.config, locked_by, today, reason)
    write_code_manifest(study.study, cut.cut, workflow_dir, files.code, locked_by, today, reason)
    append_log(
        files.log,
        {
            "locked_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "study": study.study,
            "cut": cut.cut,
            "action": action,
            "locked_by": locked_by,
            "reason": reason,
            **{f"{name}_sha256": sha256_file(path) for name, path in files.manifests().items()},
        },
    )
    return files


def differences(recorded: dict[str, str], current: dict[str, str], name=lambda key: key) -> list[str]:
    """changed/missing/added lines between what a manifest records and what is read now."""
    return (
        [
            f"changed: {name(k)} (its sha256 differs from the lock)"
            for k in recorded
            if k in current and current[k] != recorded[k]
        ]
        + [f"missing: {name(k)} (in the lock, not read now)" for k in recorded if k not in current]
        + [f"added: {name(k)} (read now, not in the lock)" for k in sorted(set(current) - set(recorded))]
    )


def code_name(key: str) -> str:
    """A code file as a refusal names it: a module by its name, a workflow file by its path."""
    return f"module {module_name(key)}" if key.startswith("inoflow/") else key


def relock_command(study: str, cut: str, workflow_dir: str | Path | None = None) -> str:
    """The documented command that locks a cut again."""
    script = shown(Path(workflow_dir) / "scripts" / "lock_cut.py") if workflow_dir else "scripts/lock_cut.py"
    return f"python {script} --study {study} --cut {cut} --relock --reason '...'"


def named(problems: list[str], limit: int = MAX_NAMED) -> list[str]:
    """At most ``limit`` problems, then 'and N more'."""
    return problems[:limit] + ([f"and {len(problems) - limit} more"] if len(problems) > limit else [])


def lock_problems(study, cut, locks_dir=LOCKS_DIR, root=None, workflow_dir=None) -> tuple[dict[str, list[str]], int]:
    """What differs between a locked cut and its lock, per part ('lock', 'extracts',
    'configuration', 'code'; empty lists if nothing), and the number of files checked.

    Raises :class:`LockError` for a cut without its manifests (locked before the lock covered
    its configuration and code) or a workflow folder that cannot be found."""
    root = Path(root) if root is not None else Path.cwd()
    files = lock_files(study.study, cut.cut, locks_dir)
    again = f"lock it again: {relock_command(study.study, cut.cut, workflow_dir)}"
    if not files.extracts.is_file():
        raise LockError(
            f"cut {cut.cut} of study {study.study} is locked but has no manifest: run scripts/lock_cut.py "
            f"--study {study.study} --cut {cut.cut} (it writes {shown(files.extracts)}, to commit with the study)"
        )
    absent = [shown(p) for p in (files.config, files.code) if not p.is_file()]
    if absent:
        raise LockError(
            f"cut {cut.cut} of study {study.study} was locked before the lock covered its configuration "
            f"and code ({', '.join(absent)} not found); {again}"
        )
    problems: dict[str, list[str]] = {"lock": [], "extracts": [], "configuration": [], "code": []}
    logged = last_lock(files.log, study.study, cut.cut)
    if logged is None:
        problems["lock"].append(f"no lock of the cut is recorded in {shown(files.log)}")
    else:
        for name, path in files.manifests().items():
            if sha256_file(path) != logged.get(f"{name}_sha256"):
                problems["lock"].append(
                    f"edited: {shown(path)} (its sha256 is not the one {shown(files.log)} records for the "
                    f"lock of {logged.get('locked_at')} by {logged.get('locked_by')}: edited by hand?)"
                )
    diff = compare_manifest(cut.extracts, files.extracts)
    problems["extracts"] = diff.problems()
    recorded, _ = read_sums(files.config, absolute=True)
    configuration = config_sums(study, cut, root)
    problems["configuration"] = differences(recorded, configuration)
    recorded, _ = read_sums(files.code)
    workflow_dir = workflow_dir or default_workflow_dir()
    if workflow_dir is None:
        raise LockError(
            f"cut {cut.cut} of study {study.study}: the workflow's folder (where its Snakefile is) is not known, "
            "so its code cannot be checked against the lock; pass it (check_locked_cuts(..., workflow_dir=...))"
        )
    problems["code"] = differences(recorded, code_sums(workflow_dir), code_name)
    checked = len(read_manifest(files.extracts)) + len(recorded) + len(configuration)
    return problems, checked


def check_lock(study, cut, locks_dir=LOCKS_DIR, root=None, workflow_dir=None) -> int:
    """Raise :class:`LockError` unless a locked cut (:class:`~inoflow.config.Study`,
    :class:`~inoflow.config.Cut`) matches its lock: its manifests are the ones the lock log
    records, and its extracts, configuration and code those they list. Returns the number
    of files checked."""
    workflow_dir = workflow_dir or default_workflow_dir()
    problems, checked = lock_problems(study, cut, locks_dir, root, workflow_dir)
    if not any(problems.values()):
        return checked
    files = lock_files(study.study, cut.cut, locks_dir)
    header = manifest_header(files.extracts)
    when = f" (locked {header['date']} by {header['user']})" if header else ""
    where = {
        "lock": f"the lock itself ({shown(files.log)})",
        "extracts": f"extracts ({shown(cut.extracts)} against {shown(files.extracts)})",
        "configuration": f"configuration ({shown(files.config)})",
        "code": f"code ({shown(files.code)})",
    }
    lines = [f"cut {cut.cut} of study {study.study} is locked{when}, but it differs from its lock:"]
    for part, found in problems.items():
        if found:
            lines.append(f"  {where[part]}:")
            lines += [f"  - {p}" for p in named(found)]
    lines.append(
        "A locked cut is computed from exactly what was locked: undo the change, or, if it is intended, "
        f"lock the cut again: {relock_command(study.study, cut.cut, workflow_dir)}"
    )
    raise LockError("\n".join(lines))


def check_locked_cuts(
    studies,
    locks_dir: str | Path = LOCKS_DIR,
    workflow_dir: str | Path | None = None,
    root: str | Path | None = None,
    only: Collection[tuple[str, str]] | None = None,
) -> int:
    """Check every locked cut of ``studies`` (study name -> :class:`inoflow.config.Study`, as
    :func:`inoflow.config.load_config` returns them) against its lock (:func:`check_lock`);
    one :class:`LockError` lists every failure. ``workflow_dir`` is the workflow's folder
    (where the Snakefile is; default: the checkout the engine is imported from), ``root`` the
    study folder (default: the working folder). ``only``: the (study, cut) pairs a run builds,
    when it names them (None: every cut); a locked cut the run does not build is not checked,
    so work on an interim cut goes on while a locked one waits for its re-lock.

    Returns the number of locked cuts checked.
    """
    failures, checked = [], 0
    for study in studies.values():
        for cut in study.cuts.values():
            if cut.status != "locked" or (only is not None and (study.study, cut.cut) not in only):
                continue
            checked += 1
            try:
                check_lock(study, cut, locks_dir, root, workflow_dir)
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


def cut_command_line(description: str, required: bool = True):
    """The options the lock and release commands share: which study and cut, and where the
    project's configuration, manifests and workflow are (tests point them at temporary copies)."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--study", required=required)
    parser.add_argument("--cut", required=required)
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="folder the configuration's paths start from (default: the working folder)",
    )
    parser.add_argument("--config", type=Path, help="entry configuration (default: <root>/config/config.yaml)")
    parser.add_argument("--locks", type=Path, help="folder of the manifests (default: <root>/config/locks)")
    parser.add_argument(
        "--workflow",
        type=Path,
        help="the workflow's folder, where its Snakefile is (default: the one this command belongs to)",
    )
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
    root, config = args.root.resolve(), entry_config(args)
    study, cut = load_cut(args.study, args.cut, config, root)
    if cut.status != "locked":
        raise LockError(
            f"cut {cut.cut} of study {study.study} has status {cut.status}: "
            + if_not_locked.format(config=shown(study.path))
        )
    return root, config, study, cut, manifest_path(study.study, cut.cut, args.locks or root / "config" / "locks")


def entry_config(args) -> Path:
    """The entry configuration a command's options name (default: <root>/config/config.yaml)."""
    return args.config or args.root.resolve() / "config" / "config.yaml"


def load_config_of(args):
    """The study folder and every study of the entry configuration a command's options name."""
    from inoflow.config import load_config

    root = args.root.resolve()
    return root, load_config(entry_config(args), root)
