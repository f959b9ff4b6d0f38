"""result.frame(): a tidy DataFrame per (repetition, sweep cell[, epoch]); the axes declared for every experiment
agree with the specification's metric shapes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dudl
from dudl import frame as frames
from dudl import registry
from dudl.frame import AXIS_COLUMNS, metric_axes
from dudl.result import Result

SPEC = Path(__file__).resolve().parents[1] / "docs" / "spec"


def spec_shapes() -> dict[str, dict[str, tuple[str, ...]]]:
    """experiment id -> metric -> its axes, from the spec's metric tables ("[reps, n_learning_rates]" -> axes)."""
    shapes: dict[str, dict[str, tuple[str, ...]]] = {}
    for path in (SPEC / "math-section.md", SPEC / "experiments.md"):
        current = None
        for line in path.read_text(encoding="utf-8").splitlines():
            heading = re.match(r"### ([a-z]+\.[a-z0-9-]+)$", line)
            if heading:
                current = shapes.setdefault(heading.group(1), {})
            elif current is not None and line.startswith("| `"):
                cells = [cell.strip() for cell in line.strip("|").split("|")]
                bracket = re.match(r"\[([^\]]*)\]", cells[1])
                if bracket:
                    for name in re.findall(r"`(\w+)`", cells[0]):
                        current[name] = tuple(axis.strip() for axis in bracket.group(1).split(","))
    return shapes


def test_every_experiment_declares_its_axes_as_the_spec_shapes_them() -> None:
    shapes = spec_shapes()
    assert set(frames.AXES) == set(registry.experiments())
    for experiment_id in registry.experiments():
        for name, axes in metric_axes(experiment_id).items():
            assert shapes[experiment_id][name] == axes, (experiment_id, name)
            assert all(axis in AXIS_COLUMNS for axis in axes), (experiment_id, name)


@pytest.mark.parametrize("experiment_id", [e for e in registry.experiments() if e.split(".")[0] in ("math", "gd")])
def test_the_numpy_experiments_frame_has_a_row_per_cell_and_their_metrics_have_the_declared_axes(
        experiment_id: str) -> None:
    params = {"reps": 3} if "reps" in registry.resolve(experiment_id, {}).to_dict() else {}
    result = dudl.run(experiment_id, **params)
    table = result.frame()
    declared = {name: axes for name, axes in metric_axes(experiment_id).items() if name in result.metrics}
    for name, axes in declared.items():
        assert np.ndim(result.metrics[name]) == len(axes), name
        assert name in table or name in result.frame(epochs=True)
    cell_metrics = [name for name, axes in declared.items() if "epochs" not in axes]
    if cell_metrics:
        assert len(table) == np.size(result.metrics[cell_metrics[0]])
    else:  # nothing per model: one row of the scalar metrics
        assert len(table) == 1


def test_learning_rates_frame_is_tidy(sweep_frame: tuple[Result, pd.DataFrame]) -> None:
    result, table = sweep_frame
    rates = result.metrics["learning_rates"]
    assert list(table.columns) == ["rep", "learning_rate", "accuracy", "final_loss", "success_fraction"]
    assert len(table) == 3 * 4
    assert table["rep"].tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert table["learning_rate"].tolist() == list(rates) * 3
    assert np.array_equal(table["accuracy"].to_numpy().reshape(3, 4), result.metrics["accuracy"])
    assert np.array_equal(table["success_fraction"].to_numpy().reshape(3, 4)[:, 0], result.metrics["success_fraction"])
    mean = table.groupby("learning_rate")["accuracy"].mean().to_numpy()
    assert np.allclose(mean, result.metrics["mean_accuracy"])  # the summary over repetitions, from the frame


@pytest.fixture(scope="module")
def sweep_frame() -> tuple[Result, pd.DataFrame]:
    result = dudl.run("ann.learning-rates", reps=3, learning_rates=[0.01, 0.04, 0.07, 0.1], epochs=20,
                      meta_epochs=20, progress=False)
    return result, result.frame()


def test_per_epoch_frame(sweep_frame: tuple[Result, pd.DataFrame]) -> None:
    result, _ = sweep_frame
    table = result.frame(epochs=True)
    assert list(table.columns) == ["learning_rate", "epoch", "sweep_losses"]  # the single sweep's curves
    assert len(table) == 4 * 20 and table["epoch"].tolist()[:21] == [*range(20), 0]
    assert np.array_equal(table["sweep_losses"].to_numpy().reshape(4, 20), result.metrics["sweep_losses"])
    descent = dudl.run("gd.1d", reps=2, epochs=5).frame(epochs=True)
    assert list(descent.columns) == ["rep", "epoch", "trajectory", "gradients"] and len(descent) == 10


def test_a_result_without_repetitions_has_one_row_per_cell() -> None:
    result = dudl.run("gd.dynamic-lr", reps=1)
    table = result.frame()
    assert table["schedule"].tolist() == ["fixed", "gradient", "time"] and table["rep"].tolist() == [0, 0, 0]
    assert np.array_equal(table["final_minimum"], result.metrics["final_minimum"][0])
    parametric = dudl.run("gd.parametric", learning_rates="linspace(.001,.1,3)", epoch_counts=[10, 20],
                          start_values="linspace(-1,1,3)").frame()
    assert list(parametric.columns) == ["learning_rate", "epochs", "final_by_lr_and_epochs"]
    assert parametric[["learning_rate", "epochs"]].to_numpy().tolist() == [
        [rate, count] for rate in np.linspace(.001, .1, 3) for count in (10, 20)]
    log = dudl.run("math.log").frame()  # no repetitions and no sweep: one row of its numbers
    assert len(log) == 1 and log["monotonic"].item() and log["max_roundtrip_error"].item() < 1e-12
    with pytest.raises(dudl.ParamError, match="records no per-epoch metrics"):
        dudl.run("math.log").frame(epochs=True)


def test_a_reloaded_result_with_diverged_runs_gives_the_same_frame(tmp_path: Path) -> None:
    result = dudl.run("gd.dynamic-lr", reps=2, learning_rate_fixed=1e150)
    assert not np.isfinite(result.metrics["final_minimum"]).all()
    reloaded = Result.load(result.save(tmp_path, figures=False))
    pd.testing.assert_frame_equal(reloaded.frame(), result.frame())
    infinite_as_null = result.frame(epochs=True).replace([np.inf, -np.inf], np.nan)  # JSON has no infinity
    pd.testing.assert_frame_equal(reloaded.frame(epochs=True), infinite_as_null)
