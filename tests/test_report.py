"""The HTML report: one self-contained page, each section saying what to look for, the runs repeated as the
lectures ask, and the per-experiment text that the report and the notebooks show."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from pathlib import Path

import pytest

from dudl import registry
from dudl.report import build_report, report_overrides

CHEAP = ("math.derivatives", "gd.1d", "gd.dynamic-lr", "overfit.train-dev-test")


@pytest.fixture
def cheap_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "CATALOG", tuple(e for e in registry.CATALOG if e.id in CHEAP))


def _section(page: str, experiment_id: str) -> str:
    match = re.search(rf'<section id="{experiment_id.replace(".", "-")}">(.*?)</section>', page, re.S)
    assert match, experiment_id
    return match.group(1)


def test_report_sections_show_look_for_printed_lines_and_inline_figures(tmp_path: Path, cheap_catalog: None) -> None:
    assert build_report(tmp_path) == []
    page = (tmp_path / "index.html").read_text()
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 8 and all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    assert not re.findall(r'<img src="(?!data:)', page)  # the page holds its images
    derivatives = _section(page, "math.derivatives")
    assert "What to look for." in derivatives and "the course printed" in derivatives and "4*x" in derivatives
    assert "ReLU" in derivatives  # its caption
    for experiment_id in CHEAP:  # in course order, each with its saved result
        assert (tmp_path / experiment_id / "result.json").is_file()
    assert [page.index(f'<section id="{i.replace(".", "-")}">') for i in CHEAP] == sorted(
        page.index(f'<section id="{i.replace(".", "-")}">') for i in CHEAP)
    # random experiments run with the lecture's REPORT_REPS, and the page says so
    assert json.loads((tmp_path / "gd.1d" / "result.json").read_text())["params"]["reps"] == 20
    assert "reps=20" in _section(page, "gd.1d")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging leftovers


def test_reps_overrides_every_lecture_and_only_where_there_are_repetitions() -> None:
    gd = registry.entry("gd.1d")
    assert report_overrides(gd, None) == {"reps": gd.load().REPORT_REPS}
    assert report_overrides(gd, 3) == {"reps": 3}
    assert report_overrides(registry.entry("math.derivatives"), 3) == {}


def test_a_failing_experiment_is_reported_not_fatal(tmp_path: Path, cheap_catalog: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real_run = registry.run

    def run(experiment_id: str, overrides: dict, **options):
        if experiment_id == "gd.1d":
            raise RuntimeError("boom")
        return real_run(experiment_id, overrides, **options)

    monkeypatch.setattr(registry, "run", run)
    assert build_report(tmp_path, reps=2) == ["gd.1d"]
    page = (tmp_path / "index.html").read_text()
    assert "This experiment failed" in _section(page, "gd.1d") and "boom" in page
    assert not (tmp_path / "gd.1d").exists()


@pytest.mark.parametrize("item", registry.CATALOG, ids=lambda item: item.id)
def test_every_lecture_says_what_to_look_for_and_how_often_the_report_repeats_it(item: registry.Entry) -> None:
    module = item.load()
    assert 80 < len(module.LOOK_FOR) < 500 and not re.search(r"\bB\d+\b", module.LOOK_FOR)  # no spec codes
    assert all(caption and not re.search(r"\bB\d+\b", caption) for caption in getattr(module, "CAPTIONS", {}).values())
    has_reps = any(f.name == "reps" for f in dataclasses.fields(module.Params))
    assert hasattr(module, "REPORT_REPS") == has_reps
    if has_reps:
        assert 1 <= module.REPORT_REPS <= 10000


def test_captions_name_the_figures_drawn(cheap_catalog: None) -> None:
    for item in registry.CATALOG:
        result = registry.run(item.id, {"reps": 3} if "reps" in registry.resolve(item.id, {}).to_dict() else {})
        captions = set(getattr(item.load(), "CAPTIONS", {}))
        assert set(result.figures()) <= captions, item.id
