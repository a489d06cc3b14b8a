"""Release a locked cut's results: a numbered, read-only, checksummed copy in releases/<study>/<cut>/v<N>/.

    python scripts/release_cut.py --study india --cut 2023-04-30
    python scripts/release_cut.py --study india --cut 2023-04-30 --reason "corrected AE coding (query 23)"

Run it after a successful run of the workflow. The cut is checked against its lock first
(extracts, configuration and code, inoflow.audit.lock.check_lock), and the lock's manifests
are released with the results. A release is never overwritten: a new one (v2, v3, ...) needs --reason.
Check a release later with inoflow.audit.release.verify_release, or
``cd releases/<study>/<cut>/v<N> && sha256sum --check --strict RELEASE.sha256``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from inoflow.audit.lock import (
    check_lock,
    cut_command_line,
    locked_cut_of,
    run_command,
    shown,
)
from inoflow.audit.release import RELEASE_JSON, make_release
from inoflow.config import read_yaml

WORKFLOW_DIR = Path(__file__).resolve().parents[1]  # the workflow this command belongs to


def main(argv: list[str] | None = None) -> int:
    parser = cut_command_line(__doc__.split("\n\n")[0])
    parser.add_argument("--reason", help="why this release is made (required for a second or later version)")
    parser.add_argument("--results", type=Path, help="results folder (default: the configuration's `results`)")
    parser.add_argument("--releases", type=Path, help="releases folder (default: <root>/releases)")
    return run_command("release_cut", release, parser.parse_args(argv))


def release(args: argparse.Namespace) -> str:
    root, config, study, cut, manifest = locked_cut_of(
        args, "only a locked cut is released (set status: locked in {config} and run scripts/lock_cut.py)"
    )
    check_lock(study, cut, manifest.parents[1], root, (args.workflow or WORKFLOW_DIR).resolve())
    results = args.results or root / read_yaml(config)["results"]
    target = make_release(
        results / study.study / cut.cut, args.releases or root / "releases", study.study, cut.cut, manifest, args.reason
    )
    record = json.loads((target / RELEASE_JSON).read_text(encoding="utf-8"))
    git = record["git"]
    code = "code not in git" if git["commit"] is None else f"code {git['commit'][:12]}"
    if git["dirty"]:
        code += " with uncommitted changes, recorded in RELEASE.json"
    return (
        f"released cut {cut.cut} of study {study.study} as v{record['version']}: {shown(target)} "
        f"({len(record['files'])} files, read-only; {code})"
    )


if __name__ == "__main__":
    sys.exit(main())
