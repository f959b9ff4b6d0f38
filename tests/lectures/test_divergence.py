"""Divergence is data (issue 9, item 2): NaN and infinity from a loss, an output or a weight end in the metrics
as null, never in an exception; the printed lines count the diverged models, every figure draws what is finite
and says how many diverged, and the JSON round trip keeps it all.

Every torch experiment runs at learning rates 1e3, 1e20, 1e40 and Infinity (each learning-rate parameter; a
sweep takes them all at once, beside 0.01), the qwerty and regression lectures with data too big for float32,
and the gd lectures with grids of +/-1e308. An infinite value a parameter refuses is one ParamError line.
"""

from __future__ import annotations

import io
import json
import math
import re
import typing
from typing import Any

import numpy as np
import pytest
import torch

import dudl
from dudl import registry
from dudl.core import engine, models
from dudl.lectures import divergence, figures, grids, summaries
from dudl.lectures.ann.decision_surface import surface_grid
from dudl.result import Result

HUGE = (1e3, 1e20, 1e40, math.inf)
OVERFLOW = (1e40, math.inf)  # beyond float32 (3.4e38): every model trained with it diverges
TORCH = [entry.id for entry in registry.CATALOG if entry.uses_torch]

# the smallest runs that still train every kind of model each experiment has
SMALL: dict[str, Any] = {"epochs": 3, "meta_epochs": 3, "demo_epochs": 3, "reps": 2, "n_per_cluster": 10}
SMALLER_AXES: dict[str, dict[str, Any]] = {
    "ann.hidden-units": {"n_hidden": [1, 8]},
    "ann.breadth-vs-depth": {"n_layers": [1, 2], "n_units": [4, 10]},
    "ann.regression-slope": {"slopes": [-1.0, 1.0]},
    "overfit.sklearn": {"train_proportions": [0.5, 0.8]},
    "gd.parametric": {"learning_rates": [0.01, 0.1], "start_values": [0.0, 1.0], "epoch_counts": [10, 20]},
}


def fields(experiment_id: str) -> dict[str, Any]:
    """name -> type annotation of the experiment's parameters."""
    return typing.get_type_hints(registry.entry(experiment_id).load().Params)


def small(experiment_id: str, **overrides: Any) -> dict[str, Any]:
    """Small-run parameters of the experiment (only those it has), then ``overrides``."""
    names = fields(experiment_id)
    return {**{k: v for k, v in SMALL.items() if k in names}, **SMALLER_AXES.get(experiment_id, {}), **overrides}


def learning_rate_cases() -> list[Any]:
    """(id, parameter, value) for every learning-rate parameter of every torch experiment: a sweep axis gets
    [0.01, *HUGE] in one run, a single rate each of HUGE."""
    cases = []
    for experiment_id in TORCH:
        for name, annotation in fields(experiment_id).items():
            if "learning_rate" not in name:
                continue
            if typing.get_origin(annotation) is tuple:
                cases.append(pytest.param(experiment_id, name, [0.01, *HUGE], id=f"{experiment_id}-{name}"))
            else:
                cases += [pytest.param(experiment_id, name, value, id=f"{experiment_id}-{name}={value:g}")
                          for value in HUGE]
    return cases


def run_or_refuse(experiment_id: str, **params: Any) -> Result | None:
    """The run's Result, or None when a parameter is refused: then with a one-line ParamError."""
    try:
        return dudl.run(experiment_id, **params)
    except dudl.ParamError as error:
        assert "\n" not in str(error) and str(error)
        return None


def drawn_notes(result: Result, render: bool = False) -> list[str | None]:
    """Draws every figure of ``result`` and returns their suptitles. Every axis must have scaled to finite
    limits within what matplotlib can tick (a span near 1e308 overflows); ``render`` also renders to PNG."""
    import matplotlib.pyplot as plt

    notes = []
    for figure in result.figures().values():
        assert figure.axes
        for ax in figure.axes:
            limits = np.array([ax.get_xlim(), ax.get_ylim()])
            assert np.isfinite(limits).all() and (np.abs(limits) <= 1e307).all()  # ticks overflow beyond
        if render:
            figure.savefig(io.BytesIO(), format="png", dpi=20)
        notes.append(figure._suptitle.get_text() if figure._suptitle is not None else None)
        plt.close(figure)
    return notes


def check_divergence_is_data(result: Result, render: bool = False) -> tuple[Result, np.ndarray | None, list, list]:
    """The JSON round trip is exact, the reloaded Result prints and draws, and (for an experiment with ``RUNS``)
    the diverged runs are counted the same way in the printed ``Diverged:`` line, on every figure and in the
    summary's non-finite counts. ``render``: see :func:`drawn_notes`. Returns the reloaded Result, its
    diverged flags (None without ``RUNS``), its printed lines and its figures' notes."""
    text = result.to_json()
    loaded = Result.from_dict(json.loads(text))
    assert loaded.to_json() == text
    lines = loaded.printed()
    assert all(isinstance(line, str) for line in lines)
    notes = drawn_notes(loaded, render)
    module = registry.entry(result.id).load()
    if not hasattr(module, "RUNS"):
        return loaded, None, lines, notes
    runs = divergence.diverged_runs(loaded, *module.RUNS)
    n_diverged = int(runs.sum())
    stated = [line for line in lines if line.startswith("Diverged:")]
    if n_diverged:
        text = f"{n_diverged} of {runs.size} models diverged"
        assert len(stated) == 1 and stated[0].startswith(f"Diverged: {text}")
        assert all(note is not None and note.startswith(text) for note in notes)
        summary = {name: count for name, _, _, count in result.summary_rows()}
        assert sum(int(summary[name].split()[0]) for name in module.RUNS if summary.get(name)) == n_diverged
    else:
        assert not stated and notes == [None] * len(notes)
    return loaded, runs, lines, notes


# ---------------------------------------------------------------------------------------------------
# Learning rates


@pytest.mark.slow
@pytest.mark.parametrize(("experiment_id", "name", "value"), learning_rate_cases())
def test_huge_learning_rates_diverge_as_data(experiment_id: str, name: str, value: Any) -> None:
    result = run_or_refuse(experiment_id, **small(experiment_id, **{name: value}))
    if result is None:
        assert value == math.inf  # only Infinity may be refused
        return
    sweep = name.endswith("learning_rates")
    loaded, runs, _, _ = check_divergence_is_data(result, render=sweep)
    if sweep:  # the sweep: 0.01 converges, the two rates beyond float32 diverge
        accuracy = loaded.metric("accuracy")
        assert np.isfinite(accuracy[..., 0]).all()
        assert np.isnan(accuracy[..., -2:]).all()
        if "sweep_accuracy" in loaded.metrics:
            single_sweep = loaded.metric("sweep_accuracy")
            assert np.isfinite(single_sweep[0]) and np.isnan(single_sweep[-2:]).all()
    elif value in OVERFLOW and name.startswith("demo_"):
        assert np.isnan(loaded.metric("demo_accuracy")).all()
        assert np.isfinite(loaded.metric("accuracy")).all()
    elif value in OVERFLOW:
        assert runs is not None and runs.all()


def test_the_issue_s_multilayer_demo_at_1e20_is_data() -> None:
    """`ann.multilayer --param demo_learning_rate=1e20` raised BCE's "all elements of input should be between 0
    and 1"; the demo now diverges to a null accuracy, and the sweep (rate 0.01 ... 0.1) is untouched."""
    result = dudl.run("ann.multilayer", demo_learning_rate=1e20, epochs=300, learning_rates=[0.01, 0.1])
    baseline = dudl.run("ann.multilayer", epochs=300, learning_rates=[0.01, 0.1])
    loaded, runs, _, _ = check_divergence_is_data(result, render=True)
    assert np.isnan(loaded.metric("demo_accuracy")) and np.isnan(loaded.metric("demo_losses")[-1])
    assert runs.tolist() == [True, False, False]
    np.testing.assert_array_equal(result.metric("accuracy"), baseline.metric("accuracy"))
    assert "Diverged: 1 of 3 models diverged" in " ".join(loaded.printed())


def test_the_issue_s_learning_rate_map_draws_the_finite_columns() -> None:
    """`ann.learning-rates --param "learning_rates=[0.01,Infinity]" --reps 2` threw its result away when the
    accuracy map could not place an infinite learning rate; the map now draws the 0.01 column."""
    result = dudl.run("ann.learning-rates", learning_rates=[0.01, math.inf], reps=2, epochs=50, meta_epochs=50)
    loaded, runs, _, _ = check_divergence_is_data(result, render=True)
    assert runs.tolist() == [False, False, True, False, True, False, True]  # demo, sweep [2], meta [2, 2]
    (mesh,) = loaded.figures()["meta_accuracy_map"].axes[0].collections
    assert mesh.get_array().shape == (2, 1)


# ---------------------------------------------------------------------------------------------------
# Data too big for float32 (qwerties and regression data)

QWERTY_EXPERIMENTS = [i for i in TORCH if "centers" in fields(i)]
REGRESSION_EXPERIMENTS = [i for i in TORCH if "noise_sd" in fields(i)]


@pytest.mark.parametrize("experiment_id", QWERTY_EXPERIMENTS)
@pytest.mark.parametrize("data", [{"blur": 1e40}, {"blur": math.inf}, "centers"],
                         ids=["blur=1e40", "blur=inf", "centers=1e300"])
def test_qwerties_beyond_float32_diverge_as_data(experiment_id: str, data: Any) -> None:
    if data == "centers":  # every class centre far out, in opposite directions
        n_classes = len(registry.entry(experiment_id).load().Params().centers)
        data = {"centers": [[1e300 * (-1) ** k, 1.0] for k in range(n_classes)]}
    result = run_or_refuse(experiment_id, **small(experiment_id, **data))
    if result is None:
        assert math.inf in data.values()
        return
    _, runs, _, _ = check_divergence_is_data(result)
    assert runs.all()  # an infinite input leaves no output finite


@pytest.mark.parametrize("experiment_id", REGRESSION_EXPERIMENTS)
@pytest.mark.parametrize("noise_sd", [1e300, math.inf])
def test_regression_noise_beyond_float32_diverges_as_data(experiment_id: str, noise_sd: float) -> None:
    result = run_or_refuse(experiment_id, **small(experiment_id, noise_sd=noise_sd))
    if result is None:
        assert noise_sd == math.inf
        return
    _, runs, _, _ = check_divergence_is_data(result)
    assert runs.all()


# ---------------------------------------------------------------------------------------------------
# Gradient descent: huge learning rates and grids


GD = [entry.id for entry in registry.CATALOG if entry.id.startswith("gd.")]


def gd_count(lines: list[str]) -> int:
    """The number of runs the printed lines say diverged (the summary over repetitions: ``diverged k`` or
    ``all diverged``)."""
    match = re.search(r"over (\d+) reps: all diverged|diverged (\d+)", " ".join(lines))
    return 0 if match is None else int(match.group(1) or match.group(2))


@pytest.mark.parametrize("experiment_id", GD)
@pytest.mark.parametrize("value", HUGE)
def test_gd_huge_learning_rates_diverge_as_data(experiment_id: str, value: float) -> None:
    name = "learning_rate_fixed" if experiment_id == "gd.dynamic-lr" else "learning_rate"
    result = run_or_refuse(experiment_id, **small(experiment_id, **{name: value}))
    if result is None:
        assert value == math.inf
        return
    _, _, lines, notes = check_divergence_is_data(result)
    if experiment_id in ("gd.1d", "gd.start-value"):  # the summary and the notes count the same runs
        count = gd_count(lines)
        note = f"{count} of 2 runs diverged (non-finite values, null in the JSON, are not drawn)"
        assert set(notes) == ({note} if count else {None})


@pytest.mark.slow
@pytest.mark.parametrize("experiment_id", GD)
def test_gd_grids_of_1e308_draw(experiment_id: str) -> None:
    """x_min/x_max (grid_min/grid_max) of -/+1e308: numpy's linspace would overflow to inf and NaN; the grid is
    exact and finite, and the figures draw what is plottable of f on it."""
    low, high = ("grid_min", "grid_max") if experiment_id == "gd.2d" else ("x_min", "x_max")
    result = dudl.run(experiment_id, **small(experiment_id, **{low: -1e308, high: 1e308}))
    loaded, _, _, _ = check_divergence_is_data(result, render=True)
    if experiment_id != "gd.2d":  # random starts are grid points: finite, inside the range
        starts = loaded.metric("start")
        assert np.isfinite(starts).all() and (np.abs(starts) <= 1e308).all()


@pytest.mark.parametrize(("experiment_id", "start"), [("gd.1d", {"start": 1e308}), ("gd.2d", {"start": [1e308, 0.0]})])
def test_gd_starts_of_1e308_diverge_as_data(experiment_id: str, start: dict[str, Any]) -> None:
    """f at a start of 1e308 overflows: every run diverged, and every figure says so."""
    result = dudl.run(experiment_id, **small(experiment_id, **start))
    _, _, _, notes = check_divergence_is_data(result, render=True)
    assert set(notes) == {"2 of 2 runs diverged (non-finite values, null in the JSON, are not drawn)"}


def test_parametric_starts_of_1e308_stay_put() -> None:
    """The damped sine is flat (f' = 0 in float64) at 1e308: those descents never move and did not diverge
    (computing f there on a Python float raised OverflowError when the figures counted diverged runs)."""
    result = dudl.run("gd.parametric", **small("gd.parametric", sweep_start=1e308, start_values=[1e308, 0.0]))
    loaded, _, _, notes = check_divergence_is_data(result, render=True)
    assert loaded.metric("final_by_start")[0] == 1e308 and (loaded.metric("final_by_learning_rate") == 1e308).all()
    assert set(notes) == {None}


# ---------------------------------------------------------------------------------------------------
# The helpers


def test_linspace_is_numpy_s_unless_the_span_overflows() -> None:
    np.testing.assert_array_equal(grids.linspace(-2.0, 2.0, 2001), np.linspace(-2.0, 2.0, 2001))
    grid = grids.linspace(-1e308, 1e308, 5)
    np.testing.assert_array_equal(grid, [-1e308, -5e307, 0.0, 5e307, 1e308])


def test_plottable_and_limits() -> None:
    np.testing.assert_array_equal(figures.plottable([1.0, np.inf, -1e301, 1e300, np.nan]),
                                  [1.0, np.nan, np.nan, 1e300, np.nan])
    fig, ax = figures.figure()
    figures.set_limits(ax, "x", -1e308, 1e308)  # not plottable: left to autoscaling
    figures.set_limits(ax, "y", 2.0, 5.0)
    assert ax.get_ylim() == (2.0, 5.0)
    fig.savefig(io.BytesIO(), format="png", dpi=20)


def test_divergence_counts_and_notes() -> None:
    result = Result("ann.qwerties", {}, {"accuracy": np.array([[90.0, np.nan], [50.0, 95.0]]),
                                         "demo_accuracy": np.inf}, 0.0, "0")
    assert divergence.diverged_runs(result, "demo_accuracy", "accuracy", "absent").tolist() == [True, False, True,
                                                                                                False, False]
    assert divergence.divergence_lines(divergence.diverged_runs(result, "accuracy")) == [
        "Diverged: 1 of 4 models diverged (non-finite values, null in the JSON, are not drawn)"]
    assert divergence.divergence_lines([False, False]) == []
    fig, _ = figures.figure()
    divergence.note_divergence({"a": fig}, [[True, False], [False, False]], "runs")
    assert fig._suptitle.get_text().startswith("1 of 4 runs diverged")
    assert summaries.summary_line("x", [1.0, np.nan, 3.0]).endswith("diverged 1")


def test_a_nan_output_has_a_nan_loss_and_accuracy() -> None:
    """BCELoss refuses NaN (torch raises); the engine's loss and accuracy give NaN for that model only."""
    architecture = models.multilayer_net(4)
    outputs = torch.tensor([[[0.2], [0.9]], [[math.nan], [0.9]]])  # [M=2, N=2, 1] sigmoid outputs
    targets = torch.tensor([[0.0], [1.0]])
    losses = engine.loss_values(outputs, targets, architecture)
    assert math.isfinite(losses[0]) and math.isnan(losses[1])
    assert engine.accuracy(outputs, targets, architecture).tolist()[0] == 100.0
    assert math.isnan(engine.accuracy(outputs, targets, architecture)[1])


def test_the_decision_surface_spans_the_finite_data() -> None:
    data = np.array([[0.0, 0.0], [1.0, 2.0], [np.inf, 1.0]], dtype=np.float32)
    points, extent = surface_grid(data, resolution=3)
    np.testing.assert_allclose(extent, [-0.1, 1.1, -0.2, 2.2])
    assert np.isfinite(points).all()
    assert surface_grid(np.full((2, 2), np.inf), resolution=2)[1].tolist() == [-1.2, 1.2, -1.2, 1.2]
