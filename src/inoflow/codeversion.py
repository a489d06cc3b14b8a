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
from pathlib import Path

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


@functools.cache
def imports_of(name: str) -> tuple[str, ...]:
    """The ``inoflow`` modules a module imports (anywhere in it)."""
    path = module_file(name)
    if path is None:
        return ()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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
