"""Shared test helpers: the real `dudl` entry point, run as a subprocess, and the JSON round trip of a Result."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from dudl.result import Result

# One torch thread per test process (and per CLI subprocess it starts), read when torch is imported: the
# test models are small, and two pytest-xdist workers with two threads each would oversubscribe the 2 cores
# of CI and make every test many times slower. The engine's results do not depend on the thread count.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# No test writes finished blocks into the user's cache folder: tests that use the block cache pass a folder.
os.environ.setdefault("DUDL_CACHE", "off")

DUDL = str(Path(sys.executable).with_name("dudl"))


def run_cli(*args: str, cwd: Path | str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `dudl ARGS...` through the installed console script; never raises on a non-zero exit."""
    return subprocess.run([DUDL, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def run_json(experiment_id: str, *args: str, cwd: Path | str) -> dict:
    """`dudl run ID --json --no-figures ARGS...`: the parsed result JSON (asserts exit status 0)."""
    proc = run_cli("run", experiment_id, "--json", "--no-figures", *args, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def cli(tmp_path: Path):
    """`cli(*args)` runs the dudl CLI in a fresh temporary folder."""
    return lambda *args: run_cli(*args, cwd=tmp_path)


@pytest.fixture
def cli_json(tmp_path: Path):
    """`cli_json(experiment_id, *args)` runs `dudl run ID --json --no-figures ARGS...` and parses stdout."""
    return lambda experiment_id, *args: run_json(experiment_id, *args, cwd=tmp_path)


def reload_result(result: Result) -> Result:
    """The Result as `dudl run --json` writes it and `Result.load` reads it back."""
    from dudl.result import Result  # imported here, after OMP_NUM_THREADS is set above

    return Result.from_dict(json.loads(result.to_json()))


def draw_from_json(result: Result, names: set[str]) -> Result:
    """The figures of the JSON round trip are exactly ``names``, each has axes and renders to PNG; every
    figure is closed. Returns the reloaded Result."""
    import matplotlib.pyplot as plt

    loaded = reload_result(result)
    figures = loaded.figures()
    assert set(figures) == names
    for name, figure in figures.items():
        assert figure.axes, name
        figure.savefig(io.BytesIO(), format="png", dpi=30)
        plt.close(figure)
    return loaded


@pytest.fixture
def reloaded():
    """`reloaded(result)`: the Result after the JSON round trip (see `reload_result`)."""
    return reload_result


@pytest.fixture
def draw():
    """`draw(result, names)`: checks and renders the JSON round trip's figures (see `draw_from_json`)."""
    return draw_from_json


SPEC_DIR = Path(__file__).resolve().parents[1] / "docs" / "spec"


def spec_blocks(experiment_id: str) -> list[list[str]]:
    """The code blocks (```) of the experiment's section in docs/spec/*.md, each as its list of lines (the
    course's printed output, one-space lines included)."""
    for spec in sorted(SPEC_DIR.glob("*.md")):
        section = re.search(rf"^### {re.escape(experiment_id)}\n(.*?)(?=^#{{2,3}} |\Z)", spec.read_text(), re.S | re.M)
        if section:
            return [block.split("\n")[:-1] for block in re.findall(r"^```\n(.*?)^```", section.group(1), re.S | re.M)]
    raise KeyError(f"{experiment_id} has no section in {SPEC_DIR}")


@pytest.fixture
def spec_output():
    """`spec_output(experiment_id)`: the code blocks of the experiment's spec section (see `spec_blocks`)."""
    return spec_blocks
