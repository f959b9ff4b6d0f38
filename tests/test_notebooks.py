"""The notebooks: one per experiment, committed without outputs, exactly as notebooks/build.py writes them
(``make test`` executes them with nbmake; here only what can be checked without a kernel)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from dudl import registry

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"


def _builder():
    spec = importlib.util.spec_from_file_location("notebooks_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build = _builder()


def outputs_left(path: Path) -> list[str]:
    """The ids of the code cells of a notebook file that hold outputs or an execution count."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [cell.get("id", "?") for cell in cells
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]


def test_one_notebook_per_experiment() -> None:
    assert sorted(p.stem for p in FOLDER.glob("*.ipynb")) == sorted(registry.experiments())
    assert set(build.LESSONS) == set(registry.experiments())


@pytest.mark.parametrize("experiment_id", registry.experiments())
def test_notebook_is_committed_as_built_without_outputs(experiment_id: str) -> None:
    path = FOLDER / f"{experiment_id}.ipynb"
    assert outputs_left(path) == [], f"{path.name} was committed with outputs: clear them (notebooks/build.py)"
    committed = json.loads(path.read_text(encoding="utf-8"))
    assert committed == json.loads(build.text(experiment_id)), "run notebooks/build.py"


@pytest.mark.parametrize("experiment_id", registry.experiments())
def test_notebook_installs_dudl_runs_the_defaults_and_ends_with_the_claim(experiment_id: str) -> None:
    cells = build.notebook(experiment_id).cells
    code = [cell for cell in cells if cell.cell_type == "code"]
    assert 'find_spec("dudl") is None' in code[0].source and "%pip install" in code[0].source
    assert f'result = dudl.run("{experiment_id}")' in code[1].source  # the course's defaults
    assert f'dudl.run("{experiment_id}", ' in code[2].source  # the change
    assert code[-1].metadata["tags"] == ["test"] and "assert " in code[-1].source
    assert registry.entry(experiment_id).load().LOOK_FOR in cells[0].source


def test_a_notebook_with_outputs_is_caught(tmp_path: Path) -> None:
    book = build.notebook("gd.1d")
    book.cells[3].outputs = [{"output_type": "stream", "name": "stdout", "text": "0.5\n"}]
    book.cells[3].execution_count = 1
    path = tmp_path / "gd.1d.ipynb"
    path.write_text(json.dumps(book), encoding="utf-8")
    assert outputs_left(path) == ["run"]
