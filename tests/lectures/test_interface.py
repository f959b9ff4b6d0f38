"""Every lecture module provides the interface the registry uses (:class:`dudl.catalog.Lecture`), with one
``run(params, device)`` signature; no lecture imports another lecture (shared pieces live in modules named by
topic); a lecture's file is named after its id wherever the id is a usable module name."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

import dudl.lectures
from dudl.catalog import CATALOG, Entry, Lecture
from dudl.params import Params

LECTURES = Path(dudl.lectures.__file__).parent
LECTURE_MODULES = {f"dudl.lectures.{entry.module}" for entry in CATALOG}
# ids whose last part is no usable module name: a leading digit, or the name of a library the lecture imports
RENAMED = {"gd.1d": "gd.one_d", "gd.2d": "gd.two_d", "overfit.sklearn": "overfit.sklearn_split"}


def protocol_members() -> tuple[list[str], list[str]]:
    """The Lecture protocol's attributes and its methods, by name."""
    methods = [name for name, value in vars(Lecture).items() if inspect.isfunction(value) and not name.startswith("_")]
    return list(Lecture.__annotations__), methods


@pytest.mark.parametrize("entry", CATALOG, ids=[entry.id for entry in CATALOG])
def test_the_module_provides_the_lecture_interface(entry: Entry) -> None:
    module = entry.load()
    attributes, methods = protocol_members()
    assert attributes and methods == ["run", "figures", "printed"]
    missing = [name for name in attributes + methods if not hasattr(module, name)]
    assert not missing, f"{module.__name__} lacks {missing} of dudl.catalog.Lecture"
    assert dataclasses.is_dataclass(module.Params) and issubclass(module.Params, Params)
    assert module.Params.__dataclass_params__.frozen
    assert isinstance(module.COURSE_OUTPUT, str) and isinstance(module.LOOK_FOR, str) and module.LOOK_FOR
    for name in methods:
        expected = [p for p in inspect.signature(getattr(Lecture, name)).parameters if p != "self"]
        assert list(inspect.signature(getattr(module, name)).parameters) == expected, (
            f"{module.__name__}.{name} must take ({', '.join(expected)}), as dudl.catalog.Lecture.{name}")


def imported_modules(path: Path) -> set[str]:
    """Every dudl.lectures module ``path`` imports: ``from a.b import c`` counts as a.b and a.b.c."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name.startswith("dudl.lectures.")}


@pytest.mark.parametrize("path", sorted(LECTURES.rglob("*.py")), ids=lambda p: str(p.relative_to(LECTURES)))
def test_no_module_imports_a_lecture(path: Path) -> None:
    """Lectures and the modules they share import no lecture, so each lecture reads on its own."""
    lectures = sorted(imported_modules(path) & LECTURE_MODULES)
    assert not lectures, (f"{path.relative_to(LECTURES)} imports the lecture(s) {lectures}: move what they share "
                          "into a module of src/dudl/lectures/<section>/ named after what it holds")


@pytest.mark.parametrize("entry", CATALOG, ids=[entry.id for entry in CATALOG])
def test_the_file_is_named_after_the_id(entry: Entry) -> None:
    assert entry.module == RENAMED.get(entry.id, entry.id.replace("-", "_"))
