"""What code a workflow step runs, as a hash: so that editing a module reruns exactly the
steps that use it.

Snakemake tracks a rule's own script (by mtime) and its input files, but not the modules the
script imports, and its output cache does not see them either. Each rule therefore carries a
parameter ``code``: the sha256 over the source of the modules it runs, found by following the
``inoflow`` imports of its entry modules (static analysis with :mod:`ast`, function-level
imports included), plus any further files it names (schemas, notebooks). A changed hash is a
changed parameter, and Snakemake reruns the step and everything downstream of it.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import re
from pathlib import Path

from inoflow.checksum import sha256_file

PACKAGE_ROOTS = {"inoflow": Path(__file__).resolve().parent}
# inoflow.schemas is schemas/ of the checkout, or inoflow/schemas/ of an installed package
PACKAGE_ROOTS["inoflow.schemas"] = Path(importlib.util.find_spec("inoflow.schemas").origin).resolve().parent


def module_file(name: str) -> Path | None:
    """The source file of an ``inoflow`` module (``inoflow.schemas`` lives in schemas/ of a checkout)."""
    for prefix in sorted(PACKAGE_ROOTS, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            base = (
                PACKAGE_ROOTS[prefix].joinpath(*name[len(prefix) :].strip(".").split("."))
                if name != prefix
                else PACKAGE_ROOTS[prefix]
            )
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file():
                    return candidate
            return None
    return None


_INOFLOW_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+inoflow[\w.]*[ \t]+import[ \t]+(?:\([^)]*\)|[^\n]*)|import[ \t]+inoflow[^\n]*)$", re.MULTILINE
)


@functools.cache
def imports_of(name: str) -> tuple[str, ...]:
    """The ``inoflow`` modules a module imports (anywhere in it)."""
    path = module_file(name)
    if path is None:
        return ()
    found: set[str] = set()
    source = path.read_text(encoding="utf-8")
    # only the statements that import inoflow are parsed (parsing every module whole cost each
    # Snakemake start about half a second); should one not parse alone (a line continued with
    # a backslash, or prose in a docstring that looks like one), the whole module is parsed
    try:
        tree = ast.parse("\n".join(m.group(0).strip() for m in _INOFLOW_IMPORT.finditer(source)))
    except SyntaxError:
        tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "inoflow"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "inoflow":
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if module_file(f"{node.module}.{a.name}")}
    return tuple(sorted(m for m in found if module_file(m)))


def module_closure(roots: list[str], opaque: tuple[str, ...] = ()) -> list[str]:
    """Every ``inoflow`` module the roots run, following imports; an ``opaque`` module is
    included but its imports are not followed (a dispatcher whose branches the roots name)."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen or module_file(name) is None:
            continue
        seen.add(name)
        parent = name.rsplit(".", 1)[0]
        if parent != name and module_file(parent):
            stack.append(parent)  # a package's __init__ runs before its modules
        if name not in opaque:
            stack.extend(imports_of(name))
    return sorted(seen)


def code_hash(modules: list[str], files: list[str | Path] = (), opaque: tuple[str, ...] = ()) -> str:
    """sha256 over the sources of ``modules`` (with what they import) and of ``files``."""
    digest = hashlib.sha256()
    paths = [module_file(m) for m in module_closure(modules, opaque)] + [Path(f) for f in files]
    for path in sorted(set(paths)):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --- the code version of a locked cut (inoflow.audit.lock) ---------------------------------
# The lock records every file of code a number can depend on, one sha256 each: every module
# of the engine, and the workflow's own files. Keys do not depend on where the code is
# installed: a module is named by its path in the package layout (``inoflow/adam/adsl.py``,
# ``inoflow/schemas/sdtm.py``), a workflow file by its path in the workflow's folder.

# The workflow's own files (relative to its folder, the Snakefile's), as the audit bundle
# gathers them (inoflow.audit.crate.WORKFLOW_FILES); of scripts/, the ones a rule runs.
WORKFLOW_PATTERNS = (
    "Snakefile",
    "workflow/rules/*.smk",
    "workflow/schemas/*.yaml",
    "workflow/schemas/*.py",
    "notebooks/*.ipynb",
    "requirements.lock",  # the exact versions of every package the code runs with
    # (not requirements-slurm.lock: the SLURM executor plugin submits jobs, it computes nothing)
)
_RULE_SCRIPT = re.compile(r"""\bscript:\s*["']([^"']+\.py)["']""")


def engine_files() -> dict[str, Path]:
    """Every module of the installed engine (the ``inoflow`` package, with ``inoflow.schemas``),
    keyed by its path in the package layout (``inoflow/adam/adsl.py``), sorted."""
    found: dict[str, Path] = {}
    for prefix, root in PACKAGE_ROOTS.items():
        for path in root.rglob("*.py"):
            relative = path.relative_to(root)
            if any(part.startswith((".", "__pycache__")) for part in relative.parts):
                continue
            if prefix == "inoflow" and relative.parts[0] == "config_schemas":
                continue  # workflow/schemas/ installed with the engine: hashed as the workflow's files
            found["/".join([*prefix.split("."), *relative.parts])] = path
    return dict(sorted(found.items()))


def module_name(key: str) -> str:
    """``inoflow/adam/adsl.py`` -> ``inoflow.adam.adsl`` (a package's ``__init__.py`` -> the package)."""
    parts = key.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def rule_scripts(workflow_dir: str | Path) -> list[Path]:
    """The scripts the workflow's rules run (``script:`` of workflow/rules/*.smk and the Snakefile)."""
    root = Path(workflow_dir)
    scripts = set()
    for rules in [root / "Snakefile", *sorted((root / "workflow" / "rules").glob("*.smk"))]:
        if rules.is_file():
            for match in _RULE_SCRIPT.finditer(rules.read_text(encoding="utf-8")):
                script = (rules.parent / match.group(1)).resolve()
                if script.is_file():
                    scripts.add(script)
    return sorted(scripts)


def workflow_files(workflow_dir: str | Path) -> dict[str, Path]:
    """The workflow's own files (Snakefile, rules, configuration schemas, the scripts the rules
    run, notebooks, requirements.lock), keyed by their POSIX path relative to its folder, sorted."""
    root = Path(workflow_dir).resolve()
    paths = [p for pattern in WORKFLOW_PATTERNS for p in root.glob(pattern) if p.is_file()]
    paths += [p for p in rule_scripts(root) if p.is_relative_to(root)]
    return dict(sorted((p.relative_to(root).as_posix(), p) for p in set(paths)))


def default_workflow_dir() -> Path | None:
    """The workflow folder of the checkout the engine is imported from (editable install or
    PYTHONPATH=src), None for an engine installed without its checkout."""
    folder = PACKAGE_ROOTS["inoflow"].parents[1]
    return folder if (folder / "Snakefile").is_file() else None


def code_sums(workflow_dir: str | Path) -> dict[str, str]:
    """sha256 of every file of code: the workflow's own files, then the engine's modules."""
    files = {**workflow_files(workflow_dir), **engine_files()}
    return {key: sha256_file(path) for key, path in files.items()}
