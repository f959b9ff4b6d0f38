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


@pytest.mark.slow
def test_report_sections_show_look_for_printed_lines_and_inline_figures(tmp_path: Path, cheap_catalog: None) -> None:
    assert build_report(tmp_path) == []
    page = (tmp_path / "index.html").read_text()
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 8 and all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    assert not re.findall(r'<img src="(?!data:)', page)  # the page holds its images
    derivatives = _section(page, "math.derivatives")
    assert derivatives.count("What to look for.") == 1 and "the course printed" in derivatives and "4*x" in derivatives
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


def test_random_experiments_show_their_spread_and_mark_figures_of_one_repetition() -> None:
    figures = registry.run("gd.1d", {"reps": 5}).figures()
    assert "(5 repetitions)" in figures["final_spread"].axes[0].get_title()
    assert all("repetition 0 of 5" in ax.get_title() for ax in figures["trajectory"].axes)
    assert "repetition 0 of 5" in figures["result"].axes[0].get_title()
    assert "repetition" not in figures["function"].axes[0].get_title()  # the function is no repetition's
    single = registry.run("gd.1d", {}).figures()  # one repetition: nothing to mark, no spread to draw
    assert "final_spread" not in single and "repetition" not in single["trajectory"].axes[0].get_title()


def test_spread_figure_gives_the_failure_rate_at_chance() -> None:
    from dudl.lectures.repetition_figures import Spread, spread_figure
    from dudl.result import Result

    result = Result(id="ann.qwerties", params={"reps": 8}, elapsed_s=0.0, dudl_version="test",
                    metrics={"accuracy": [50.0, 93.0, 50.0, 94.5, 90.0, 49.5, 95.0, float("nan")]})
    ax = spread_figure(result, Spread("accuracy", "accuracy (%)", chance=50)).axes[0]
    assert "failed (at chance, 50): 3 of 7 (43%)" in ax.get_title()  # a diverged (NaN) run is not counted
    assert sorted(ax.lines[-2].get_ydata()) == [49.5, 50.0, 50.0, 90.0, 93.0, 94.5, 95.0]  # one dot per run


def test_plot_spread_draws_the_mean_and_a_band_not_one_line_per_repetition() -> None:
    import numpy as np

    from dudl.lectures.figures import figure
    from dudl.lectures.repetition_figures import plot_spread

    values = np.array([[50.0, 50.0, 100.0], [100.0, 50.0, 100.0], [100.0, 50.0, np.nan], [50.0, 50.0, 100.0]])
    fig, ax = figure()
    plot_spread(ax, np.arange(3), values)
    assert len(ax.lines) == 1 and list(ax.lines[0].get_ydata()) == [75.0, 50.0, 100.0]
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == 50.0 and band[:, 1].max() == 100.0
    assert "mean of 4 repetitions" in ax.texts[0].get_text()
