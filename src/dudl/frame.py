"""A Result's metrics as a tidy pandas DataFrame: one row per (repetition, sweep cell[, epoch]).

Which axes a metric has comes from the specification's shapes (``[reps, n_learning_rates]``, ``[reps, k,
epochs]``), declared per experiment in :data:`AXES` for the metrics that belong in a table: one value per trained
model, run or repetition (accuracies, losses, correlations, final values) and the per-epoch curves. Data samples
(``x``, ``probabilities``), indices and shapes are left out; so are summaries over repetitions (``mean_accuracy``:
``frame().groupby(...)`` gives them).

The frame's rows are the cells of the first declared metric present in the result (its "grid"); every
declared metric whose axes are the grid's, or a part of them in the same order (a value per repetition, a
value per sweep cell), is a column, repeated over the axes it lacks; with ``epochs``, only the per-epoch
metrics. Each axis is a column too: ``rep``, ``epoch`` and ``fold`` count from 0; a sweep axis holds its
values (``learning_rate``: 0.001, ...). A result whose experiment has no such metrics gives one row of its
scalar metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dudl import catalog
from dudl.params import ParamError

if TYPE_CHECKING:
    import pandas as pd

    from dudl.result import Result

# spec axis -> (column, metric holding the axis' values; None: counted 0, 1, ...)
AXIS_COLUMNS: dict[str, tuple[str, str | None]] = {
    "reps": ("rep", None),
    "epochs": ("epoch", None),
    "k": ("fold", None),
    "n_learning_rates": ("learning_rate", "learning_rates"),
    "n_slopes": ("slope", "slopes"),
    "n_schedules": ("schedule", "schedules"),
    "n_models": ("model", "models"),
    "n_definitions": ("definition", "definitions"),
    "n_proportions": ("train_proportion", "train_proportions"),
    "n_epoch_counts": ("epochs", "epoch_counts"),
    "n_widths": ("n_hidden", "n_hidden"),
    "n_depths": ("n_layers", "n_layers"),
}
# axes named alike in two experiments but held by different metrics
_AXIS_OVERRIDES: dict[str, dict[str, tuple[str, str | None]]] = {
    "ann.breadth-vs-depth": {"n_widths": ("n_units", "n_units")},
}

_PER_MODEL = "reps"  # the spec's shape of a value per repetition
_CURVE = "reps epochs"

# experiment id -> metric -> its axes, as the spec's metric tables write the shape (brackets left out). The first
# metric that a result holds sets the rows of frame(); the first with an "epochs" axis those of frame(epochs=True).
AXES: dict[str, dict[str, str]] = {
    "math.derivatives": {},
    "math.transpose": {},
    "math.dot-product": {},
    "math.matrix-multiplication": {"mixed_max_abs_diff": _PER_MODEL},
    "math.softmax": {"random_sigma_sum": _PER_MODEL, "correlation": _PER_MODEL, "max_abs_difference": _PER_MODEL},
    "math.log": {},
    "math.entropy": {},
    "math.argmin": {},
    "math.mean-variance": {"large_var_ddof0": _PER_MODEL, "large_var_ddof1": _PER_MODEL,
                           "large_ratio": _PER_MODEL},
    "math.sampling": {"sample_means": _PER_MODEL},
    "math.random-seed": {},
    "math.t-test": {"t": _PER_MODEL, "p": _PER_MODEL, "df": _PER_MODEL},
    "math.derivatives2": {},
    "gd.1d": {"start": _PER_MODEL, "final_minimum": _PER_MODEL, "final_value": _PER_MODEL,
              "n_iterations": _PER_MODEL, "trajectory": _CURVE, "gradients": _CURVE},
    "gd.2d": {"final_value": _PER_MODEL},
    "gd.start-value": {"start": _PER_MODEL, "final_minimum": _PER_MODEL, "final_value": _PER_MODEL,
                       "trajectory": _CURVE, "gradients": _CURVE},
    "gd.dynamic-lr": {"start": "reps n_schedules", "final_minimum": "reps n_schedules",
                      "trajectory": "reps n_schedules epochs", "gradients": "reps n_schedules epochs",
                      "lr_by_iteration": "reps n_schedules epochs"},
    "gd.parametric": {"final_by_lr_and_epochs": "n_learning_rates n_epoch_counts", "trajectory": _CURVE},
    "ann.regression": {"final_loss": _PER_MODEL, "correlation": _PER_MODEL, "flat_prediction": _PER_MODEL,
                       "losses": _CURVE},
    "ann.regression-slope": {"final_loss": "reps n_slopes", "correlation": "reps n_slopes",
                             "flat_prediction": "reps n_slopes", "demo_losses": "epochs"},
    "ann.qwerties": {"accuracy": _PER_MODEL, "final_loss": _PER_MODEL, "losses": _CURVE},
    "ann.learning-rates": {"accuracy": "reps n_learning_rates", "final_loss": "reps n_learning_rates",
                           "success_fraction": _PER_MODEL, "sweep_losses": "n_learning_rates epochs"},
    "ann.multilayer": {"accuracy": "reps n_learning_rates", "final_loss": "reps n_learning_rates",
                       "success_fraction": _PER_MODEL, "losses": "reps n_learning_rates epochs"},
    "ann.linear-vs-nonlinear": {"accuracy": "reps n_models n_learning_rates",
                                "final_loss": "reps n_models n_learning_rates", "success_fraction": "reps n_models",
                                "logistic_regression_accuracy": _PER_MODEL,
                                "losses": "reps n_models n_learning_rates epochs"},
    "ann.iris": {"accuracy": _PER_MODEL, "final_loss": _PER_MODEL, "losses": _CURVE, "accuracy_by_epoch": _CURVE},
    "ann.qwerties-3class": {"accuracy": _PER_MODEL, "final_loss": _PER_MODEL, "losses": _CURVE,
                            "accuracy_by_epoch": _CURVE},
    "ann.hidden-units": {"accuracy": "reps n_widths", "final_loss": "reps n_widths",
                         "losses": "reps n_widths epochs"},
    "ann.num-parameters": {},
    "ann.seq-vs-class": {"accuracy": "reps n_definitions", "final_loss": "reps n_definitions",
                         "max_abs_loss_difference": _PER_MODEL, "losses": "reps n_definitions epochs"},
    "ann.seq2class": {"accuracy": "reps n_definitions n_learning_rates",
                      "final_loss": "reps n_definitions n_learning_rates", "success_fraction": "reps n_definitions",
                      "max_abs_loss_difference": _PER_MODEL, "losses": "reps n_definitions n_learning_rates epochs"},
    "ann.breadth-vs-depth": {"accuracy": "reps n_depths n_widths", "final_loss": "reps n_depths n_widths",
                             "n_params": "n_depths n_widths", "params_accuracy_correlation": _PER_MODEL},
    "overfit.manual": {"train_accuracy": _PER_MODEL, "test_accuracy": _PER_MODEL, "label_mean_train": _PER_MODEL,
                       "label_mean_test": _PER_MODEL, "losses": _CURVE, "train_accuracy_by_epoch": _CURVE},
    "overfit.sklearn": {"train_accuracy": "reps n_proportions", "test_accuracy": "reps n_proportions",
                        "train_sizes": "n_proportions", "train_accuracy_by_epoch": "reps n_proportions epochs",
                        "test_accuracy_by_epoch": "reps n_proportions epochs"},
    "overfit.dataloader": {"train_accuracy": _PER_MODEL, "test_accuracy": _PER_MODEL, "losses": _CURVE,
                           "train_accuracy_by_epoch": _CURVE, "test_accuracy_by_epoch": _CURVE},
    "overfit.train-dev-test": {},
    "overfit.regression": {"train_loss": _PER_MODEL, "test_loss": _PER_MODEL, "losses": _CURVE,
                           "test_loss_by_epoch": _CURVE},
    "overfit.kfold": {"train_accuracy": "reps k", "test_accuracy": "reps k", "losses": "reps k epochs",
                      "train_accuracy_by_epoch": "reps k epochs", "test_accuracy_by_epoch": "reps k epochs"},
}


def metric_axes(experiment_id: str) -> dict[str, tuple[str, ...]]:
    """The declared metrics of ``experiment_id`` and their axes (spec names), e.g. ``{"accuracy": ("reps",
    "n_learning_rates")}``; ParamError for an unknown id."""
    catalog.entry(experiment_id)  # an unknown id: ParamError naming the closest ones
    return {name: tuple(shape.split()) for name, shape in AXES[experiment_id].items()}


def frame(result: Result, *, epochs: bool = False) -> pd.DataFrame:
    """The metrics of ``result`` as a tidy DataFrame (see the module's docstring).

    ``epochs``: the per-epoch curves instead, one row per (repetition, sweep cell, epoch). A result without
    repetitions (reps = 1, or an experiment without them) still has its ``rep`` column (0) where the spec's
    shape has a reps axis, and gives one row per sweep cell.
    """
    import pandas as pd

    declared = {name: axes for name, axes in metric_axes(result.id).items()
                if result.metrics.get(name) is not None}
    grids = [(name, axes) for name, axes in declared.items() if ("epochs" in axes) == epochs]
    if not grids:
        if epochs:
            raise ParamError(f"{result.id} records no per-epoch metrics; use frame() for its values")
        scalars = {name: value for name, value in result.metrics.items() if _is_number(value)}
        return pd.DataFrame([scalars])
    first, grid = grids[0]
    shape = np.shape(result.metrics[first])
    lengths = dict(zip(grid, shape, strict=True))
    columns: dict[str, Any] = {}
    for axis, index in zip(grid, np.indices(shape).reshape(len(shape), -1), strict=True):  # cells in C order
        column, values_metric = _AXIS_OVERRIDES.get(result.id, {}).get(axis, AXIS_COLUMNS[axis])
        columns[column] = np.asarray(result.metrics[values_metric])[index] if values_metric else index
    for name, axes in declared.items():
        if ("epochs" in axes) == epochs and _is_part(axes, grid):
            values = np.asarray(result.metrics[name])
            broadcast = [lengths[axis] if axis in axes else 1 for axis in grid]
            columns[name] = np.broadcast_to(values.reshape(broadcast), shape).ravel()
    return pd.DataFrame(columns)


def _is_part(axes: tuple[str, ...], grid: tuple[str, ...]) -> bool:
    """Whether ``axes`` are some of ``grid``'s, in the same order."""
    positions = [grid.index(axis) for axis in axes if axis in grid]
    return len(positions) == len(axes) and positions == sorted(positions)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | bool | np.number | np.bool_) or (
        isinstance(value, np.ndarray) and value.ndim == 0)
