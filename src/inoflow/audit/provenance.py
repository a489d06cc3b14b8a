"""Provenance of an output: what it was made from, by which program and code, when, with what.

Every table (HTML) and figure (PNG, SVG) carries a footer with it, and each endpoint writes it
in full beside its tables (``tables/<endpoint>/provenance.json``):

- the source datasets (ADaM files, with their sha256) and the data cut (id and cut-off date);
- the program: the endpoint notebook and the module that computes (with the code hash the
  workflow keys reruns on, :mod:`inoflow.codeversion`);
- the code version: the git commit of the checkout, and whether it had uncommitted changes;
- the parameters the notebook ran with, the run time (UTC) and key package versions.
"""

from __future__ import annotations

import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from inoflow.audit.lock import sha256_file

KEY_PACKAGES = ("pandas", "numpy", "scipy", "lifelines", "pandera", "pyarrow", "matplotlib", "papermill", "snakemake")


# The code that runs: this package's folder (a git checkout when installed from one, editable)
CODE_DIR = Path(__file__).resolve().parent


def git_state(root: str | Path = CODE_DIR) -> dict:
    """The code's git commit (full hash) and whether tracked files had uncommitted changes;
    both None outside a git checkout (an installed package, an unpacked release).

    This is the version of the code, so its default is where the code is, not the working
    folder (which holds the study's configuration and data)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return {"commit": commit, "dirty": bool(status)}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def describe_code_version(git: dict) -> str:
    """``git 1a2b3c4d5e6f (clean)``, ``... with uncommitted changes``, or unknown."""
    commit = git.get("commit")
    if not commit:
        return "git commit unknown (not a git checkout)"
    return f"git {commit[:12]}" + (" with uncommitted changes" if git.get("dirty") else " (clean)")


def package_versions(names=KEY_PACKAGES) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass
class Provenance:
    """Where an endpoint's outputs come from (see the module docstring)."""

    study: str
    cut: str
    cutoff: str
    sources: dict[str, str]
    program: str
    module: str
    code: str
    parameters: dict
    git: dict = field(default_factory=git_state)
    run_time: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    packages: dict = field(default_factory=package_versions)

    @classmethod
    def of_endpoint(
        cls,
        study: str,
        cut: str,
        cutoff: str,
        adam_paths: dict[str, str],
        program: str,
        module: str,
        code: str,
        parameters: dict,
    ):
        sources = {name: sha256_file(path) for name, path in adam_paths.items()}
        return cls(study, cut, cutoff, sources, program, module, code, parameters)

    def code_version(self) -> str:
        return describe_code_version(self.git)

    def footer(self) -> str:
        """One paragraph for the foot of a table or figure."""
        sources = ", ".join(f"{name} (sha256 {digest[:12]})" for name, digest in self.sources.items())
        packages = ", ".join(f"{name} {version}" for name, version in self.packages.items())
        return (
            f"Source: {sources}; study {self.study}, data cut {self.cut} (cut-off {self.cutoff}). "
            f"Program: {self.program} calling {self.module} (code {self.code[:12]}). "
            f"Code version: {self.code_version()}. Run: {self.run_time}. Packages: {packages}."
        )

    def short_footer(self) -> str:
        """Two lines for a figure."""
        return (
            f"Source: {', '.join(self.sources)} | data cut {self.cut} (cut-off {self.cutoff}) | {self.program} | "
            f"{self.code_version()}\nRun {self.run_time} | "
            + ", ".join(
                f"{n} {v}" for n, v in self.packages.items() if n in ("python", "pandas", "lifelines", "matplotlib")
            )
        )

    def as_dict(self) -> dict:
        return asdict(self)
