"""The project's own files, for tools that work on a copy of it (the benchmark, the rerun tests)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def project_files(root: Path) -> list[str]:
    """Every file git tracks or would track (ignored files, such as results/, left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return [f for f in listed if f and (root / f).is_file()]


def copy_project(to: Path, root: Path) -> Path:
    """A working copy of the project at ``to`` (mtimes kept); run it with PYTHONPATH=<to>/src."""
    for relative in project_files(root):
        (to / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, to / relative)
    return to


def plain_profile(project: Path) -> Path:
    """A copy of the project's profile without its terminal logger, in ``<project>/profiles/plain``,
    for tools that read Snakemake's own description of each planned job (``--workflow-profile``):
    its rule and wildcards."""
    import yaml

    profile = yaml.safe_load((project / "profiles" / "default" / "config.yaml").read_text(encoding="utf-8"))
    profile.pop("logger", None)
    folder = project / "profiles" / "plain"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return folder
