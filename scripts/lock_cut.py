"""Lock a data cut: write the manifest of its extracts' checksums (config/locks/<study>/<cut>.sha256).

    python scripts/lock_cut.py --study india --cut 2023-04-30
    python scripts/lock_cut.py --study india --cut 2023-04-30 --relock --reason "IN03 resent labs (query 17)"

The cut must have ``status: locked`` in its study configuration. An existing manifest is
replaced only with ``--relock --reason``. Commit the manifest with the study configuration;
every run of the workflow then checks the cut's extracts against it (inoflow.audit.lock).
"""

from __future__ import annotations

import argparse
import sys

# As in workflow/rules/common.smk: the configuration schemas use no IRI formats, so jsonschema's
# optional IRI checker (1.5 s to import) is declared absent.
sys.modules.setdefault("rfc3987_syntax", None)

from inoflow.audit.lock import (  # noqa: E402
    LockError,
    compare_manifest,
    cut_command_line,
    locked_cut_of,
    manifest_header,
    run_command,
    sha256_file,
    shown,
    write_manifest,
)


def main(argv: list[str] | None = None) -> int:
    parser = cut_command_line(__doc__.split("\n\n")[0])
    parser.add_argument("--relock", action="store_true", help="replace an existing manifest (needs --reason)")
    parser.add_argument("--reason", help="why the cut is locked again (recorded in the manifest)")
    parser.add_argument("--by", help="who locks the cut (default: the login name)")
    return run_command("lock_cut", lock, parser.parse_args(argv))


def lock(args: argparse.Namespace) -> str:
    root, config, study, cut, manifest = locked_cut_of(args, "set status: locked in {config} first")
    reason = " ".join(args.reason.split()) if args.reason else None
    note = ""
    if manifest.exists():
        header = manifest_header(manifest)
        when = f" on {header['date']} by {header['user']}" if header else ""
        if not (args.relock and reason):
            raise LockError(
                f"cut {cut.cut} of study {study.study} is already locked{when} ({shown(manifest)}); "
                "to lock it again after an intended change of its extracts, pass --relock --reason '...'"
            )
        diff = compare_manifest(cut.extracts, manifest)
        changes = "; ".join(diff.problems()) if diff else "no file changed"
        note = f" (relocked; previously locked{when}, manifest sha256 {sha256_file(manifest)[:12]}; {changes})"
    elif args.relock:
        note = " (no earlier manifest: first lock)"
    write_manifest(study.study, cut.cut, cut.extracts, manifest, locked_by=args.by, reason=reason)
    count = sum(1 for line in manifest.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    return (
        f"locked cut {cut.cut} of study {study.study}: {count} files of {shown(cut.extracts)} "
        f"listed in {shown(manifest)}{note}; commit it with {shown(study.path)}"
    )


if __name__ == "__main__":
    sys.exit(main())
