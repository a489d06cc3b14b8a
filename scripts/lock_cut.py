"""Lock a data cut: write the manifests of everything its numbers are computed from (config/locks/<study>/).

    python scripts/lock_cut.py --study india --cut 2023-04-30
    python scripts/lock_cut.py --study india --cut 2023-04-30 --relock --reason "IN03 resent labs (query 17)"
    python scripts/lock_cut.py --all-locked --relock --reason "engine 0.2: corrected ADTTE censoring"
    python scripts/lock_cut.py --study india --cut 2023-04-30 --check

The cut must have ``status: locked`` in its study configuration. Locking writes
``<cut>.sha256`` (the extracts), ``<cut>.config.sha256`` (contract, units, de-identification
rules, vocabularies, the sites' dialects, definitions, cost table, the study file's part for
the cut) and ``<cut>.code.sha256`` (the engine's modules and the workflow's files), and
appends the manifests' sha256 to ``lock-log.tsv`` (inoflow.audit.lock). An existing lock is
replaced only with ``--relock --reason``; ``--all-locked`` (re)locks every locked cut of every
configured study. Commit the manifests and the log with the study configuration; every run of
the workflow then checks each locked cut against its lock. ``--check`` runs that check alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inoflow.audit.lock import (
    LockError,
    check_lock,
    code_name,
    compare_manifest,
    config_sums,
    cut_command_line,
    differences,
    load_config_of,
    lock_files,
    locked_cut_of,
    manifest_header,
    named,
    read_sums,
    run_command,
    sha256_file,
    shown,
    write_lock,
)
from inoflow.codeversion import code_sums

WORKFLOW_DIR = Path(__file__).resolve().parents[1]  # the workflow this command belongs to


def main(argv: list[str] | None = None) -> int:
    parser = cut_command_line(__doc__.split("\n\n")[0], required=False)
    parser.add_argument("--all-locked", action="store_true", help="every cut with status locked, of every study")
    parser.add_argument("--relock", action="store_true", help="replace an existing lock (needs --reason)")
    parser.add_argument("--reason", help="why the cut is locked again (recorded in the manifests and the log)")
    parser.add_argument("--by", help="who locks the cut (default: the login name)")
    parser.add_argument("--check", action="store_true", help="check the cut against its lock; write nothing")
    args = parser.parse_args(argv)
    if args.all_locked == bool(args.study or args.cut) or (not args.all_locked and not (args.study and args.cut)):
        parser.error("give --study and --cut, or --all-locked")
    args.workflow = (args.workflow or WORKFLOW_DIR).resolve()
    return run_command("lock_cut", check if args.check else lock, args)


def cuts_of(args: argparse.Namespace) -> list[tuple]:
    """(root, study, cut, locks folder) of each cut the command works on."""
    if not args.all_locked:
        root, _config, study, cut, manifest = locked_cut_of(args, "set status: locked in {config} first")
        return [(root, study, cut, manifest.parents[1])]
    root, studies = load_config_of(args)
    locks = args.locks or root / "config" / "locks"
    found = [(root, s, c, locks) for s in studies.values() for c in s.cuts.values() if c.status == "locked"]
    if not found:
        raise LockError("no cut of the configured studies has status locked: nothing to lock")
    return found


def lock(args: argparse.Namespace) -> str:
    return "\n".join(lock_one(args, *found) for found in cuts_of(args))


def lock_one(args: argparse.Namespace, root: Path, study, cut, locks: Path) -> str:
    files = lock_files(study.study, cut.cut, locks)
    reason = " ".join(args.reason.split()) if args.reason else None
    note = ""
    if files.extracts.exists():
        header = manifest_header(files.extracts)
        when = f" on {header['date']} by {header['user']}" if header else ""
        if not (args.relock and reason):
            raise LockError(
                f"cut {cut.cut} of study {study.study} is already locked{when} ({shown(files.extracts)}); "
                "to lock it again after an intended change of its extracts, configuration or code, "
                "pass --relock --reason '...'"
            )
        note = f" (relocked; previously locked{when}, manifest sha256 {sha256_file(files.extracts)[:12]}; {changes(args, root, study, cut, files)})"
    elif args.relock:
        note = " (no earlier manifest: first lock)"
    write_lock(study, cut, locks, root, args.workflow, locked_by=args.by, reason=reason)
    counts = [
        sum(1 for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
        for path in files.manifests().values()
    ]
    return (
        f"locked cut {cut.cut} of study {study.study}: {counts[0]} files of {shown(cut.extracts)} listed in "
        f"{shown(files.extracts)}, {counts[1] + 1} of its configuration in {shown(files.config)}, {counts[2]} of "
        f"code in {shown(files.code)}, logged in {shown(files.log)}{note}; commit them with {shown(study.path)}"
    )


def changes(args: argparse.Namespace, root: Path, study, cut, files) -> str:
    """What changed since the previous lock, for the relock's note."""
    found = compare_manifest(cut.extracts, files.extracts).problems()
    if files.config.is_file():
        found += differences(read_sums(files.config, absolute=True)[0], config_sums(study, cut, root))
    else:
        found.append(f"no {shown(files.config)} before")
    if files.code.is_file():
        found += differences(read_sums(files.code)[0], code_sums(args.workflow), code_name)
    else:
        found.append(f"no {shown(files.code)} before")
    return "; ".join(named(found)) if found else "nothing changed"


def check(args: argparse.Namespace) -> str:
    """Check each cut against its lock, as the workflow does when it starts; every failure is named."""
    lines, failures = [], []
    for root, study, cut, locks in cuts_of(args):
        try:
            count = check_lock(study, cut, locks, root, args.workflow)
        except LockError as exc:
            failures.append(str(exc))
            continue
        lines.append(f"cut {cut.cut} of study {study.study} matches its lock ({count} files checked)")
    if failures:
        raise LockError("\n\n".join(failures))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
