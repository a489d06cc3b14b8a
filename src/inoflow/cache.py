"""The project's output cache: a part of a job whose inputs were seen before (in this cut or
an earlier one) is restored, not computed again, and nothing can poison what is restored.

The workflow's jobs are coarse (a job per site, per cut) so that a run pays few process
starts; the cache makes them fine again. A job is made of parts (:class:`JobParts`: each file
a site sent, each family of common-model domains, each ADaM dataset, each endpoint), and each
part has its own key (:func:`key_material`): the rule, its script, the job's wildcards but the
cut, the part's name, its params as JSON (the code hash among them), the SHA-256 of the content
of each of its input files and anything else it reads (``reads``). The output paths and the
cut are not in the key, so the cuts of a study share entries: a file a new cut sends unchanged
is restored, and a changed file recomputes its own part and what reads it.

An entry is a folder ``<cache>/<key>/``, written whole or not at all (a temporary folder
renamed into place: a killed job leaves no half entry), read-only (files 0444, the folder
0555), holding a copy of each output and ``entry.json`` with the SHA-256 and size of each
file and the key's material (no data values, no paths of a cut). Before anything is
restored, every file of the entry is checked against its recorded SHA-256 and the material
against the key; an entry that fails is reported in the step's log as a warning naming the
entry and the file, discarded, and the step recomputes. Restored outputs are plain copies
(written beside the output and renamed into place): nothing under results/ links into the
cache, so editing or truncating a result never changes an entry. The same holds for a user
with every permission (root ignores the read-only modes; the hashes do not).

An output may be a folder (an endpoint's tables): it is stored and restored whole.

The cache folder is ``INOFLOW_OUTPUT_CACHE`` (set by workflow/rules/common.smk to
``<results>/.output-cache``); without it every part is computed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inoflow.checksum import sha256_file
from inoflow.runner import step

ENV = "INOFLOW_OUTPUT_CACHE"
# the layout of an entry and of its key; a new layout ignores every older entry
FORMAT = "inoflow-output-cache/1"
ENTRY_FILE = "entry.json"
FILE_MODE = 0o444
DIR_MODE = 0o555
_CHUNK = 1 << 20
_TEMP = ".tmp-"  # <cache>/.tmp-<pid>@<host>-<random>: an entry being written
_DISCARDED = ".discarded-"  # <cache>/.discarded-<pid>@<host>-<random>: an entry being removed
_HOST = socket.gethostname().replace("-", "_")  # a cache folder may be shared by a cluster's nodes


def _owner() -> str:
    """The ``<pid>@<host>`` a temporary or discarded folder is named by."""
    return f"{os.getpid()}@{_HOST}"


class CorruptEntryError(Exception):
    """An entry whose content does not match what it recorded (the message names no value)."""


def _copy_hashing(source: str | Path, target: str | Path) -> str:
    """Copy ``source`` to a new file ``target``; the SHA-256 of the bytes copied."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "xb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def key_material(
    *,
    rule: str,
    script: str | Path,
    wildcards: Mapping[str, str],
    params: Mapping[str, Any],
    inputs: Iterable[tuple[str, str | Path]],
    outputs: Iterable[str],
    reads: Mapping[str, Any] | None = None,
    part: str | None = None,
) -> dict[str, Any]:
    """What determines a step's outputs, as Snakemake's own cache keyed them (script, params,
    input content) plus the rule, the output names and the wildcards: ``inputs`` are (name,
    path) pairs in the rule's order, of which only the content counts; ``outputs`` are the
    rule's output names (not their paths); the ``cut`` wildcard is left out. ``part``: the
    part of a job the entry holds (:class:`JobParts`), e.g. one file of a site's extracts."""
    try:
        params = json.loads(json.dumps(dict(params), sort_keys=True))
        reads = json.loads(json.dumps(dict(reads or {}), sort_keys=True))
    except TypeError as exc:
        raise TypeError(f"rule {rule}: a param of a cached step is not JSON ({exc})") from None
    material = {
        "format": FORMAT,
        "rule": rule,
        "script": sha256_file(script),
        "wildcards": {k: str(v) for k, v in sorted(wildcards.items()) if k != "cut"},
        "params": params,
        "inputs": [[name, sha256_file(path)] for name, path in inputs],
        "outputs": sorted(outputs),
        "reads": reads,
    }
    if part is not None:
        material["part"] = part
    return material


def key_of(material: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(material, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _remove_all(written: Iterable[tuple[Path, Path]]) -> None:
    """Remove what a failed restore wrote (temporary files and folders; the targets are untouched)."""
    for temporary, _ in written:
        if temporary.is_dir():
            remove_tree(temporary)
        else:
            temporary.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_tree(path: Path) -> None:
    """Remove a folder written read-only (its folders made writable first)."""
    for folder, _, _ in os.walk(path):
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o755)
    shutil.rmtree(path, ignore_errors=True)


class OutputCache:
    """The entries under one folder (see the module docstring)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def entry(self, key: str) -> Path:
        return self.root / key

    def read_entry(self, key: str) -> dict[str, Any]:
        """The entry's record, checked: its format, its key (recomputed from its material) and,
        for each file, the SHA-256 of the content now; raises :class:`CorruptEntryError`."""
        folder = self.entry(key)
        try:
            record = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise CorruptEntryError(f"its {ENTRY_FILE} cannot be read") from None
        if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("key") != key:
            raise CorruptEntryError(f"its {ENTRY_FILE} does not describe this entry")
        if key_of(record.get("material", {})) != key:
            raise CorruptEntryError(f"the key material in its {ENTRY_FILE} does not give its key")
        for name, file in sorted(record.get("files", {}).items()):
            try:
                actual = sha256_file(folder / file["file"])
            except OSError:
                raise CorruptEntryError(f"file {file['file']} (output {name}) is missing") from None
            if actual != file["sha256"]:
                raise CorruptEntryError(f"file {file['file']} (output {name}) does not match its recorded SHA-256")
        return record

    def discard(self, key: str) -> None:
        """Take an entry out of use at once (renamed aside), then remove it."""
        # renamed within its own folder: moving a read-only folder to another parent would need
        # write permission on it (its '..'), which only root has
        aside = self.root / f"{_DISCARDED}{_owner()}-{secrets.token_hex(4)}"
        try:
            os.rename(self.entry(key), aside)
        except FileNotFoundError:
            return  # already gone (another job discarded it)
        remove_tree(aside)

    def restore(self, key: str, outputs: Mapping[str, str | Path], log: logging.Logger, what: str = "") -> bool:
        """Copy the entry's files to ``outputs`` (name -> path of a file, or of a folder the entry
        holds as a folder) if the entry exists and is intact; False when there is none or it was
        corrupt (then it is discarded). ``what``: the part of the job, named in the log."""
        folder = self.entry(key)
        if not folder.is_dir():
            return False
        written: list[tuple[Path, Path]] = []  # (temporary, target): a file, or a whole folder
        try:
            record = self.read_entry(key)
            dirs = set(record.get("dirs", []))
            if {f for f in record["files"] if "/" not in f} | dirs != set(outputs):
                raise CorruptEntryError("its files are not the step's outputs")
            staging: dict[str, Path] = {}
            for name in sorted(dirs):
                target = Path(outputs[name])
                temporary = target.with_name(f".{target.name}.restoring-{os.getpid()}")
                remove_tree(temporary)
                temporary.mkdir(parents=True)
                written.append((temporary, target))
                staging[name] = temporary
            for name, file in sorted(record["files"].items()):
                if "/" in name:  # a file inside an output folder
                    top, member = name.split("/", 1)
                    temporary = staging[top] / member
                    temporary.parent.mkdir(parents=True, exist_ok=True)
                else:
                    target = Path(outputs[name])
                    target.parent.mkdir(parents=True, exist_ok=True)
                    temporary = target.with_name(f".{target.name}.restoring-{os.getpid()}")
                    temporary.unlink(missing_ok=True)
                    written.append((temporary, target))
                # checked again as copied: the bytes written are the bytes recorded
                if _copy_hashing(folder / file["file"], temporary) != file["sha256"]:
                    raise CorruptEntryError(f"file {file['file']} (output {name}) does not match its recorded SHA-256")
        except (CorruptEntryError, KeyError) as exc:
            _remove_all(written)
            if not folder.exists():  # discarded by another job meanwhile: compute
                return False
            log.warning(
                "cache entry %s (%s) is corrupt: %s; the entry is discarded and the step recomputes",
                key[:12],
                folder,
                exc if isinstance(exc, CorruptEntryError) else "its record is incomplete",
            )
            self.discard(key)
            return False
        except OSError as exc:  # e.g. discarded by another job meanwhile: compute instead
            _remove_all(written)
            log.warning("cache entry %s could not be read (%s); the step recomputes", key[:12], exc.strerror)
            return False
        for temporary, target in written:
            if temporary.is_dir():
                remove_tree(target)
            os.replace(temporary, target)
        log.info(
            "%srestored from cache entry %s (%s, SHA-256 verified)",
            f"{what}: " if what else "",
            key[:12],
            _files(len(record["files"])),
        )
        return True

    def store(
        self,
        key: str,
        material: Mapping[str, Any],
        outputs: Mapping[str, str | Path],
        log: logging.Logger,
        what: str = "",
    ) -> bool:
        """Store copies of ``outputs`` (files, or folders stored whole) as the entry ``key``,
        atomically; False (with a warning, the step's outputs untouched) when the cache cannot
        be written."""
        self.prune()
        if self.entry(key).exists():
            return False  # stored meanwhile by another job with the same key
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            temporary = Path(tempfile.mkdtemp(prefix=f"{_TEMP}{_owner()}-", dir=self.root))
        except OSError as exc:
            log.warning("the output cache %s cannot be written (%s): nothing stored", self.root, exc.strerror)
            return False
        try:
            files, dirs = {}, []
            for name, path in sorted(outputs.items()):
                path = Path(path)
                if path.is_dir():
                    dirs.append(name)
                    (temporary / name).mkdir()
                    members = [(f"{name}/{m.relative_to(path).as_posix()}", m) for m in path.rglob("*") if m.is_file()]
                elif path.is_file():
                    members = [(f"{name}{path.suffix}", path)]
                else:
                    raise OSError(0, f"output {name} is not a file")
                for file, member in sorted(members):
                    (temporary / file).parent.mkdir(parents=True, exist_ok=True)
                    digest = _copy_hashing(member, temporary / file)
                    size = (temporary / file).stat().st_size
                    files[file if "/" in file else name] = {"file": file, "sha256": digest, "size": size}
                    os.chmod(temporary / file, FILE_MODE)
            record = {"format": FORMAT, "key": key, "files": files, "dirs": dirs, "material": dict(material)}
            (temporary / ENTRY_FILE).write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
            os.chmod(temporary / ENTRY_FILE, FILE_MODE)
            for sub, _, _ in sorted(os.walk(temporary), reverse=True):  # deepest first, the entry last
                os.chmod(sub, DIR_MODE)
            os.rename(temporary, self.entry(key))  # a folder appears whole, or not at all
        except OSError as exc:
            remove_tree(temporary)
            if not self.entry(key).exists():
                log.warning("cache entry %s not stored (%s)", key[:12], exc.strerror or exc)
            return False
        log.info("%sstored in cache entry %s (%s)", f"{what}: " if what else "", key[:12], _files(len(files)))
        return True

    def prune(self) -> None:
        """Remove what killed jobs left: temporary and discarded folders of dead processes."""
        if not self.root.is_dir():
            return
        for path in self.root.iterdir():
            for prefix in (_TEMP, _DISCARDED):
                if path.name.startswith(prefix):
                    pid, _, host = path.name[len(prefix) :].split("-", 1)[0].partition("@")
                    # another node's folder is left to that node (its process cannot be seen here)
                    if pid.isdigit() and host == _HOST and not _pid_alive(int(pid)):
                        remove_tree(path)


def _inputs(smk) -> list[tuple[str, str]]:
    """The job's input files in the rule's order, each with its input name ('' if unnamed)."""
    named: dict[str, str] = {}
    for name, value in smk.input.items():
        for path in [value] if isinstance(value, str) else list(value):
            named.setdefault(str(path), name)
    return [(named.get(str(path), ""), str(path)) for path in smk.input]


@dataclass
class Pending:
    """A part of a job not found in the cache: its outputs, and its key once computed."""

    part: str
    outputs: dict[str, str | Path]
    key: str | None
    material: dict[str, Any] | None


class JobParts:
    """The parts of one job, each through the cache on its own: a job that does several
    independent things (every file a site sent, every ADaM dataset of a cut, every endpoint)
    restores the parts whose inputs it has seen before and computes only the others, so that a
    coarse job costs what its changed parts cost. Without the cache folder (``ENV`` unset),
    every part is computed.

    Each part's key is :func:`key_material` of the job's rule, script and wildcards with the
    part's own name, inputs, outputs and params (what the part's outputs depend on, and
    nothing else: a part is not recomputed because another part's input changed)."""

    def __init__(self, smk, log: logging.Logger, *, script: str | Path):
        root = os.environ.get(ENV)
        self.cache = OutputCache(root) if root else None
        self.rule = smk.rule
        self.script = script
        self.wildcards = dict(smk.wildcards.items())
        self.log = log
        self.restored: list[str] = []
        self.computed: list[str] = []
        self.refused: list[str] = []  # parts that failed (recorded by the job: refuse())

    def restore(
        self,
        part: str,
        *,
        outputs: Mapping[str, str | Path],
        inputs: Iterable[tuple[str, str | Path]],
        params: Mapping[str, Any] | None = None,
        reads: Mapping[str, Any] | None = None,
    ) -> Pending | None:
        """Restore ``part`` from its entry: None when restored, else what :meth:`store` needs
        once the part is computed (its outputs written) elsewhere, e.g. in a worker process."""
        pending = Pending(part, dict(outputs), None, None)
        if self.cache is None:
            return pending
        pending.material = key_material(
            rule=self.rule,
            script=self.script,
            wildcards=self.wildcards,
            params=params or {},
            inputs=inputs,
            outputs=outputs,
            reads=reads,
            part=part,
        )
        pending.key = key_of(pending.material)
        if self.cache.restore(pending.key, outputs, self.log, what=part):
            self.restored.append(part)
            return None
        return pending

    def refuse(self, pending: Pending) -> None:
        """Record a part whose computation failed: nothing is stored."""
        self.refused.append(pending.part)

    def store(self, pending: Pending) -> None:
        """Record a part computed after :meth:`restore` found no entry, and store its outputs."""
        if self.cache is not None:
            self.cache.store(pending.key, pending.material, pending.outputs, self.log, what=pending.part)
        self.computed.append(pending.part)

    def run(
        self,
        part: str,
        compute: Callable[[], None],
        *,
        outputs: Mapping[str, str | Path],
        inputs: Iterable[tuple[str, str | Path]],
        params: Mapping[str, Any] | None = None,
        reads: Mapping[str, Any] | None = None,
    ) -> bool:
        """Restore ``part`` from its entry, or ``compute()`` it (writing ``outputs``) and store
        it; True when restored."""
        pending = self.restore(part, outputs=outputs, inputs=inputs, params=params, reads=reads)
        if pending is None:
            return True
        start = time.perf_counter()
        compute()
        self.log.info("%s: computed in %.1f s", part, time.perf_counter() - start)
        self.store(pending)
        return False

    def summary(self) -> str:
        """One line for the job's log (the terminal's logger reads it): how many parts were
        restored from the cache and which were computed."""
        total = len(self.restored) + len(self.computed) + len(self.refused)
        line = f"{CACHE_SUMMARY} {len(self.restored)} of {total} parts restored"
        if self.computed:
            line += f"; computed: {', '.join(self.computed)}"
        if self.refused:
            line += f"; refused: {', '.join(self.refused)}"
        self.log.info("%s", line)
        return line


# the job log's summary line of :class:`JobParts` (read by the terminal's logger)
CACHE_SUMMARY = "output cache:"


def cached_step(
    smk,
    work: Callable[[logging.Logger], None],
    *,
    script: str | Path,
    reads: Callable[[], Mapping[str, Any]] | None = None,
) -> None:
    """Run a Snakemake script's ``work(log)`` in :func:`inoflow.runner.step`, through the
    cache as one part: restored from an intact entry, or computed and stored. ``script`` is the
    script's own file (``__file__``: Snakemake points it at the real script); ``reads`` returns
    what the step reads besides its inputs and params (JSON), so that it is in the key."""
    with step(smk) as log:
        outputs = dict(smk.output.items())
        parts = JobParts(smk, log, script=script)
        material = dict(inputs=_inputs(smk), params=dict(smk.params.items()))
        parts.run("", lambda: work(log), outputs=outputs, reads=reads() if reads and parts.cache else None, **material)
