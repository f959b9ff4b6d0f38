"""The HTML report builds, and every figure it references exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dudl import registry
from dudl.report import build_report

CHEAP = ("math.derivatives", "gd.1d", "gd.dynamic-lr", "overfit.train-dev-test")


@pytest.fixture
def cheap_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "CATALOG", tuple(e for e in registry.CATALOG if e.id in CHEAP))


def test_report_references_existing_figures(tmp_path: Path, cheap_catalog: None) -> None:
    assert build_report(tmp_path, reps=2) == []
    page = (tmp_path / "index.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) >= 8
    for source in images:
        assert (tmp_path / source).is_file(), source
    for experiment_id in CHEAP:
        assert f'id="{experiment_id.replace(".", "-")}"' in page
        assert (tmp_path / experiment_id / "result.json").is_file()
    assert "Course printed" in page and "4*x" in page  # math.derivatives, next to the course's output
    assert json.loads((tmp_path / "gd.1d" / "result.json").read_text())["params"]["reps"] == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging leftovers


def test_a_failing_experiment_is_reported_not_fatal(tmp_path: Path, cheap_catalog: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real_run = registry.run

    def run(experiment_id: str, overrides: dict, **options):
        if experiment_id == "gd.1d":
            raise RuntimeError("boom")
        return real_run(experiment_id, overrides, **options)

    monkeypatch.setattr(registry, "run", run)
    assert build_report(tmp_path) == ["gd.1d"]
    page = (tmp_path / "index.html").read_text()
    assert "This experiment failed" in page and "boom" in page
