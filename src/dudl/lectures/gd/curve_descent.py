"""1-D gradient descent on a curve, shared by gd.1d, gd.start-value and gd.parametric: the metrics of a
descent, which descents diverged, the function and result figures (styled the same way) and the course's echo
of the final value."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core.descent import Descent, diverged
from dudl.core.surfaces import Curve
from dudl.lectures.figures import figure, plottable, set_limits

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from dudl.result import Result


def descent_metrics(curve: Curve, starts: np.ndarray, descent: Descent) -> dict[str, Any]:
    """The 1-D lectures' metrics of a descent on ``curve``: starts, records, final minimum and f there."""
    with np.errstate(all="ignore"):
        final_value = curve.f(descent.final)
    return {
        "start": starts,
        "trajectory": descent.trajectory,
        "gradients": descent.gradients,
        "final_minimum": descent.final,
        "final_value": final_value,
    }


def function_figure(curve: Curve, grid: np.ndarray, legend: tuple[str, str] = ("y", "dy"),
                    derivative_style: str = "-") -> Figure:
    """f and f' on the grid: x label 'x', y label 'f(x)', grid lines, x limits = the grid."""
    fig, ax = figure()
    _draw_function(ax, curve, grid, derivative_style)
    ax.legend(list(legend))
    return fig


def result_figure(curve: Curve, grid: np.ndarray, final: float, derivative_style: str = "-") -> Figure:
    """f and f' with red dots at (final, f(final)) and (final, f'(final)); title 'Empirical local minimum'."""
    fig, ax = figure()
    _draw_function(ax, curve, grid, derivative_style)
    with np.errstate(all="ignore"):
        ax.plot(plottable(final), plottable(curve.f(np.float64(final))), "ro")
        ax.plot(plottable(final), plottable(curve.df(np.float64(final))), "ro")
    ax.legend(["f(x)", "df", "f(x) min"])
    ax.set_title(f"Empirical local minimum: {final}")
    return fig


def _draw_function(ax: Axes, curve: Curve, grid: np.ndarray, derivative_style: str) -> None:
    """f and f' on the grid (what is plottable of them: a huge grid overflows f)."""
    with np.errstate(all="ignore"):
        ax.plot(plottable(grid), plottable(curve.f(grid)))
        ax.plot(plottable(grid), plottable(curve.df(grid)), derivative_style)
    set_limits(ax, "x", grid[0], grid[-1])
    ax.grid(True)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")


def runs_diverged(curve: Curve, starts: np.ndarray, finals: np.ndarray) -> np.ndarray:
    """Which 1-D descents on ``curve`` diverged (:func:`~dudl.core.descent.diverged`), from their starts and
    final points [runs]."""
    starts, finals = np.asarray(starts, dtype=float), np.asarray(finals, dtype=float)  # inf, not OverflowError
    with np.errstate(all="ignore"):
        return diverged(curve.f(starts), curve.f(finals))


def descents_diverged(curve: Curve) -> Callable[[Result], np.ndarray]:
    """For :func:`~dudl.lectures.divergence.note_divergence_of`: which of a Result's descents on ``curve`` (its
    metrics ``start`` and ``final_minimum`` [reps]) diverged."""
    return lambda result: runs_diverged(curve, result.metric("start"), result.metric("final_minimum"))


def print_final(value: float) -> str:
    """The course's notebook echo of ``localmin``, e.g. ``array([0.50103977])``."""
    return repr(np.array([value]))
