"""Figure scaffolding shared by the lectures: a new figure with its axes, values and axis limits made drawable
where a diverged run left values that are not finite or too large, and the overfitting lectures' train and test
accuracy curves.

Figures are :class:`dudl.display.DisplayFigure` objects, matplotlib Figures without pyplot state: they render
headless, save to PNG and show themselves in Jupyter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


PLOT_LIMIT = 1e300  # the largest magnitude a figure draws: matplotlib's axis spans overflow near 1e308


def figure(ncols: int = 1, nrows: int = 1, width: float = 6.0, height: float = 4.5) -> tuple[Figure, Any]:
    """A new Figure with a grid of axes (``axes`` is one Axes when 1x1, else an array)."""
    from dudl.display import DisplayFigure

    fig = DisplayFigure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def plottable(values: Any) -> np.ndarray:
    """``values`` as a new float array with NaN (which matplotlib leaves out) wherever a value is not finite
    or beyond +/-:data:`PLOT_LIMIT`, so that a diverged run's figure draws what is finite."""
    array = np.array(values, dtype=float)
    with np.errstate(invalid="ignore"):
        array[~(np.abs(array) <= PLOT_LIMIT)] = np.nan
    return array


def set_limits(ax: Axes, axis: str, low: float, high: float) -> None:
    """``ax.set_xlim`` (``axis`` "x") or ``set_ylim`` ("y") to (low, high) when both are plottable and
    low < high; otherwise the axis keeps autoscaling to the finite data."""
    low, high = plottable([low, high])
    if low < high:
        (ax.set_xlim if axis == "x" else ax.set_ylim)(low, high)


def train_test_accuracy_figure(train: np.ndarray, test: np.ndarray) -> Figure:
    """The overfitting lectures' accuracy curves: train 'ro-' and test 'bs-' per epoch [epochs] each."""
    fig, ax = figure()
    ax.plot(np.asarray(train, dtype=float), "ro-", label="Train")
    ax.plot(np.asarray(test, dtype=float), "bs-", label="Test")
    ax.set(xlabel="Epochs", ylabel="Accuracy (%)")
    ax.legend()
    return fig
