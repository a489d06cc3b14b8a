"""What code a step runs (inoflow.codeversion): the inoflow imports found in a module.

``imports_of`` parses only the statements that import inoflow; these tests hold it to what a
reading of the whole module finds, on every module of the engine and on the forms an import
can take (function-level, parenthesised over lines, continued with a backslash, quoted in a
docstring).
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from inoflow import codeversion


def _whole_module_imports(name: str) -> tuple[str, ...]:
    """The reference: every inoflow import of the module, read from its whole syntax tree."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(codeversion.module_file(name).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "inoflow"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "inoflow":
            found.add(node.module)
            found |= {
                f"{node.module}.{a.name}" for a in node.names if codeversion.module_file(f"{node.module}.{a.name}")
            }
    return tuple(sorted(m for m in found if codeversion.module_file(m)))


def _module_name(key: str) -> str:
    name = key.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def test_every_engine_module_imports_what_its_whole_syntax_tree_says():
    names = [_module_name(key) for key in codeversion.engine_files()]
    assert len(names) > 60
    assert "inoflow.adam.adrs" in names
    for name in names:
        assert codeversion.imports_of(name) == _whole_module_imports(name), name


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A throwaway ``inoflow`` package with modules a, b, c, d, e (d a subpackage)."""
    root = tmp_path / "inoflow"
    (root / "d").mkdir(parents=True)
    for path in (root / "__init__.py", root / "b.py", root / "c.py", root / "e.py", root / "d" / "__init__.py"):
        path.write_text("", encoding="utf-8")
    (root / "d" / "f.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(codeversion, "PACKAGE_ROOTS", {"inoflow": root})
    codeversion.imports_of.cache_clear()
    yield root
    codeversion.imports_of.cache_clear()


def _write_a(root, source: str) -> tuple[str, ...]:
    (root / "a.py").write_text(textwrap.dedent(source), encoding="utf-8")
    codeversion.imports_of.cache_clear()
    return codeversion.imports_of("inoflow.a")


def test_imports_in_functions_and_over_several_lines_are_found(package):
    found = _write_a(
        package,
        """
        import os
        from inoflow.b import thing

        def run():
            from inoflow.d import (
                f,
                other,
            )
            import inoflow.e as e
            return e
        """,
    )
    assert found == ("inoflow.b", "inoflow.d", "inoflow.d.f", "inoflow.e")


def test_an_import_continued_with_a_backslash_is_found(package):
    found = _write_a(
        package,
        """
        from inoflow.d import \\
            f
        """,
    )
    assert found == ("inoflow.d", "inoflow.d.f")


def test_prose_in_a_docstring_that_reads_like_an_import_does_not_break_the_reading(package):
    found = _write_a(
        package,
        '''
        """Notes.

        from inoflow.c import the rest: not a statement
        """
        from inoflow.b import thing
        ''',
    )
    # the docstring line cannot be parsed alone, so the whole module is read: only b
    assert found == ("inoflow.b",)


def test_a_module_importing_nothing_of_inoflow_has_no_imports(package):
    assert _write_a(package, "import os\nx = 'from inoflow'\n") == ()
