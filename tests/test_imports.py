"""The shape of the package's imports: every module imports on its own, the modules import one another without
a cycle, and the numerical core (``dudl.core``) imports nothing of dudl outside itself.

The imports are read from the source with ``ast``, not by importing, so a cycle hidden behind a lucky import
order is still found.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "dudl"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
# ``python -m dudl``: importing it runs the command line, so it is not imported on its own below
SCRIPTS = {"dudl.__main__"}


def is_type_checking(node: ast.If) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): imports for annotations only."""
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(node: ast.AST, name: str, *, module_level: bool, annotations: bool = True) -> Iterator[str]:
    """The dudl modules that the statements under ``node`` import (``from dudl import x`` names the module
    ``dudl.x`` where it is one, else the package ``dudl``). ``module_level``: only what runs when the module is
    imported (not inside functions or classes' methods, nor under ``if TYPE_CHECKING:``). ``annotations``: with
    the imports under ``if TYPE_CHECKING:`` (for annotations only)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import):
            yield from (alias.name for alias in child.names if alias.name.split(".")[0] == "dudl")
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:  # relative: level 1 is the module's own package
                package = name.split(".") if MODULES[name].name == "__init__.py" else name.split(".")[:-1]
                base = ".".join([*package[: len(package) - child.level + 1], *([base] if base else [])])
            if base.split(".")[0] != "dudl":
                continue
            for alias in child.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
        elif module_level and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        elif (module_level or not annotations) and isinstance(child, ast.If) and is_type_checking(child):
            yield from imports(ast.Module(body=child.orelse, type_ignores=[]), name, module_level=module_level,
                               annotations=annotations)
        else:
            yield from imports(child, name, module_level=module_level, annotations=annotations)


TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}
MODULE_LEVEL = {name: set(imports(tree, name, module_level=True)) - {name} for name, tree in TREES.items()}
ANYWHERE = {name: set(imports(tree, name, module_level=False)) - {name} for name, tree in TREES.items()}
AT_RUN_TIME = {name: set(imports(tree, name, module_level=False, annotations=False)) - {name}
               for name, tree in TREES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (module -> modules it imports) as [a, b, ..., a], or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_import_reader_sees_every_kind_of_import() -> None:
    tree = ast.parse("import dudl.params\nfrom dudl import registry, __version__\nfrom dudl.core import seeding\n"
                     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dudl.result import Result\n"
                     "def f():\n    from dudl.display import Figures\n")
    assert set(imports(tree, "dudl.x", module_level=True)) == {
        "dudl.params", "dudl.registry", "dudl", "dudl.core.seeding"}
    assert set(imports(tree, "dudl.x", module_level=False)) == {
        "dudl.params", "dudl.registry", "dudl", "dudl.core.seeding", "dudl.result", "dudl.display"}
    assert set(imports(tree, "dudl.x", module_level=False, annotations=False)) == {
        "dudl.params", "dudl.registry", "dudl", "dudl.core.seeding", "dudl.display"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) is None


def test_no_import_cycle_among_dudl_modules() -> None:
    """At module level (what runs on ``import``): a cycle works or fails by the order modules are imported in."""
    assert find_cycle(MODULE_LEVEL) is None


def test_result_does_not_import_the_registry() -> None:
    """Not even inside a function (annotations aside): the registry makes Results, and the catalog that a Result
    needs to check and show itself is a module of its own (dudl.catalog)."""
    assert "dudl.registry" not in AT_RUN_TIME["dudl.result"]
    assert "dudl.registry" not in AT_RUN_TIME["dudl.catalog"]


def test_the_core_imports_nothing_of_dudl_outside_it() -> None:
    """dudl.core (numerics: no printing, no files, no parameter messages) stands on its own, also inside functions
    and for annotations."""
    outside = {(name, target) for name, targets in ANYWHERE.items() if name.startswith("dudl.core")
               for target in targets if target != "dudl.core" and not target.startswith("dudl.core.")}
    assert outside == set()


ISOLATED_IMPORTS = r"""
import importlib, os, sys, traceback
for name in sys.argv[2:]:  # third-party packages first, once: each child then imports only dudl's own code
    try:
        importlib.import_module(name)
    except ImportError:
        pass  # the child that needs it reports it
failed = []
for name in sys.argv[1].split(","):
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1] != 0:
        failed.append(name)
print("failed:", ",".join(failed))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a forked child per module")
def test_every_module_imports_on_its_own() -> None:
    """Each module in a fresh interpreter of its own (a forked child of one that has imported no dudl module):
    none relies on another having been imported first."""
    imported = {alias.name for tree in TREES.values() for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for tree in TREES.values() for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    third_party = sorted({name.split(".")[0] for name in imported} - {"dudl", "__future__"})
    names = sorted(set(MODULES) - SCRIPTS)
    completed = subprocess.run([sys.executable, "-c", ISOLATED_IMPORTS, ",".join(names), *third_party],
                               capture_output=True, text=True, timeout=300,
                               env={**os.environ, "MPLBACKEND": "Agg"}, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip().splitlines()[-1] == "failed:", completed.stderr[-3000:]
