"""Helpers shared by the experiment files: parameter checks, summaries over repetitions and figure
scaffolding.

Figures are :class:`dudl.display.DisplayFigure` objects, matplotlib Figures without pyplot state: they render
headless, save to PNG and show themselves in Jupyter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.params import ParamError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def figure(ncols: int = 1, nrows: int = 1, width: float = 6.0, height: float = 4.5) -> tuple[Figure, Any]:
    """A new Figure with a grid of axes (``axes`` is one Axes when 1x1, else an array)."""
    from dudl.display import DisplayFigure

    fig = DisplayFigure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def check_distinct(name: str, values: Sequence[Any], item: str) -> None:
    """Raise ParamError if the axis parameter ``name`` lists an ``item`` twice."""
    if len(set(values)) != len(values):
        raise ParamError(f"parameter {name!r} must not repeat a {item}, got {list(values)}")


def check_finite(name: str, value: float | tuple[float, ...] | None) -> None:
    """Raise ParamError unless the parameter ``name`` (a number or numbers, e.g. a start) is finite or null."""
    if value is not None and not np.all(np.isfinite(value)):
        raise ParamError(f"parameter {name!r} must be finite, got {value}")


def check_grid(x_min: float, x_max: float, names: tuple[str, str] = ("x_min", "x_max")) -> None:
    """Raise ParamError unless a grid's ends (parameters ``names``) are finite numbers with x_min < x_max."""
    check_finite(names[0], x_min)
    check_finite(names[1], x_max)
    if not x_min < x_max:
        raise ParamError(f"{names[0]} must be less than {names[1]}, got {x_min:g} and {x_max:g}")


def tensor_text(value: float) -> str:
    """How the course's notebooks show a float32 scalar tensor, e.g. ``tensor(0.7600)``, ``tensor(50.)``."""
    import torch  # here, not at the top: the gd lectures use this module and need no torch

    return repr(torch.tensor(float(value), dtype=torch.float32))


def train_test_accuracy_figure(train: np.ndarray, test: np.ndarray) -> Figure:
    """The overfitting lectures' accuracy curves: train 'ro-' and test 'bs-' per epoch [epochs] each."""
    fig, ax = figure()
    ax.plot(np.asarray(train, dtype=float), "ro-", label="Train")
    ax.plot(np.asarray(test, dtype=float), "bs-", label="Test")
    ax.set(xlabel="Epochs", ylabel="Accuracy (%)")
    ax.legend()
    return fig


def plot_spread(ax: Axes, x: np.ndarray, values: np.ndarray, fmt: str = "s-", label: str | None = None,
                **style: Any) -> None:
    """Plot the mean over repetitions of ``values`` [reps, len(x)], each repetition drawn faintly behind it."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[0] > 1:
        color = style.get("color", "gray")
        for row in values:
            ax.plot(x, row, "-", color=color, alpha=min(0.5, 3.0 / values.shape[0]), linewidth=0.8)
    ax.plot(x, np.nanmean(values, axis=0), fmt, label=label, **style)


def spread(values: Sequence[float] | np.ndarray) -> dict[str, float]:
    """Mean, median, standard deviation (ddof 0), min and max over the finite values; the counts ``n`` of
    values and ``nonfinite`` of those not finite (ints). Without finite values, only the two counts."""
    array = np.asarray(values, dtype=float).ravel()
    finite = array[np.isfinite(array)]
    stats: dict[str, float] = {"n": array.size, "nonfinite": array.size - finite.size}
    if finite.size:
        stats.update(mean=float(finite.mean()), median=float(np.median(finite)), sd=float(finite.std()),
                     min=float(finite.min()), max=float(finite.max()))
    return stats


def summary_line(label: str, values: Sequence[float] | np.ndarray, *, unit: str = "",
                 failed: Sequence[bool] | np.ndarray | None = None) -> str:
    """One line over repetitions:
    ``<label> over N reps: mean m, median d, sd s, range [min, max][, failed f%][, diverged k]``.

    The statistics are over the finite values (:func:`spread`); ``diverged k`` counts the non-finite ones
    (``<label> over N reps: all diverged`` when none is finite). ``failed`` marks the repetitions that
    failed (e.g. accuracy at chance level).
    """
    stats = spread(values)
    n = stats["n"]
    if "mean" not in stats:
        return f"{label} over {n} reps: all diverged"
    line = (f"{label} over {n} reps: mean {stats['mean']:.4g}{unit}, median {stats['median']:.4g}{unit}, "
            f"sd {stats['sd']:.3g}, range [{stats['min']:.4g}, {stats['max']:.4g}]")
    if failed is not None:
        line += f", failed {100 * float(np.mean(failed)):.0f}%"
    if stats["nonfinite"]:
        line += f", diverged {stats['nonfinite']}"
    return line
