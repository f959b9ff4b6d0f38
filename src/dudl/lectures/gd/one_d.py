"""gd.1d: gradient descent in 1D (gradientDescent/DUDL_GradientDescent_1D).

Gradient descent walks downhill on f(x) = 3x² − 3x + 4 and settles near the minimum at x = 0.5, with the
derivative shrinking towards 0. Course exercise: stop early once |f'(x)| drops below a threshold.

Helpers here are shared by the other gd lectures: the 1-D ones (gd.start-value, gd.parametric) use
:func:`descent_metrics`, the figures :func:`function_figure` and :func:`result_figure` (styled the same way)
and :func:`print_final`; every gd lecture's printed lines end with :func:`outcome_lines` (built on
:func:`divergence_line`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core.descent import Descent, descend, diverged, random_starts
from dudl.core.surfaces import QUADRATIC, Curve
from dudl.lectures.common import (
    Spread,
    check_grid,
    figure,
    linspace,
    note_divergence_of,
    plottable,
    set_limits,
    summary_line,
    with_repetitions,
)
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
[1.006]
array([0.50103977])
"""


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Gradient descent repeatedly steps downhill, against the derivative, and ends near the minimum of 3x² - 3x + "
    "4 at x = 0.5. Look at the steps shrinking as the slope flattens, and at every random start ending near 0.5."
)
CAPTIONS = {
    "function": "the function and its derivative: the minimum is where the derivative crosses zero",
    "result": "where gradient descent stopped (the dots): at the bottom of the curve, where the slope is 0",
    "trajectory": "x moves quickly at first and slowly near the minimum, as the derivative shrinks towards 0",
    "final_spread": "where each repetition's descent ended: all of them near the true minimum",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    learning_rate: float = param(0.01, "step size", gt=0)
    epochs: int = param(100, 'number of updates ("training epochs")', ge=1)
    x_min: float = param(-2.0, "left end of the grid used for plotting and for the random start")
    x_max: float = param(2.0, "right end of the grid")
    n_grid: int = param(2001, "points of the grid linspace(x_min, x_max, n_grid)", ge=2)
    start: float | None = param(None, "start value; null = a random grid point (np.random.choice(x, 1))")
    grad_threshold: float | None = param(None, "course exercise: stop once abs(f'(x)) < threshold; null = never",
                                         gt=0, allow_inf=True)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_grid(self.x_min, self.x_max)


def run(params: Params) -> dict[str, Any]:
    """B10 on 3x² − 3x + 4 from each repetition's start: [reps] starts and finals, [reps, epochs] records."""
    grid = linspace(params.x_min, params.x_max, params.n_grid)
    starts = random_starts(params.seed, params.reps, lambda rng: rng.choice(grid), params.start)
    descent = descend(QUADRATIC.df, starts, params.learning_rate, params.epochs, grad_threshold=params.grad_threshold)
    return {**descent_metrics(QUADRATIC, starts, descent), "n_iterations": descent.n_iterations}


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


# ---------------------------------------------------------------------------------------------------
# Figures shared by the 1-D lectures


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


def trajectory_figure(trajectory: np.ndarray, gradients: np.ndarray, final: float) -> Figure:
    """Two panels against 'Iteration': 'Local minimum' and 'Derivative', titled with the final value."""
    fig, axes = figure(ncols=2, height=4)
    for ax, values, label in zip(axes, (trajectory, gradients), ("Local minimum", "Derivative"), strict=True):
        ax.plot(plottable(values), "o-")
        ax.set_xlabel("Iteration")
        ax.set_ylabel(label)
        ax.set_title(f"Final estimated minimum: {final:.5f}")
    return fig


def runs_diverged(curve: Curve, starts: np.ndarray, finals: np.ndarray) -> np.ndarray:
    """Which 1-D descents on ``curve`` diverged (:func:`~dudl.core.descent.diverged`), from their starts and
    final points [runs]."""
    starts, finals = np.asarray(starts, dtype=float), np.asarray(finals, dtype=float)  # inf, not OverflowError
    with np.errstate(all="ignore"):
        return diverged(curve.f(starts), curve.f(finals))


def descents_diverged(curve: Curve) -> Callable[[Result], np.ndarray]:
    """For :func:`~dudl.lectures.common.note_divergence_of`: which of a Result's descents on ``curve`` (its
    metrics ``start`` and ``final_minimum`` [reps]) diverged."""
    return lambda result: runs_diverged(curve, result.metric("start"), result.metric("final_minimum"))


@note_divergence_of(descents_diverged(QUADRATIC), "runs")
@with_repetitions(
    single=("result", "trajectory"),
    spreads={"final_spread": Spread("final_minimum", "final x", reference=0.5)},
)
def figures(result: Result) -> dict[str, Figure]:
    p, m = result.params, result.metrics
    grid = linspace(p["x_min"], p["x_max"], p["n_grid"])
    final = float(np.asarray(m["final_minimum"], dtype=float)[0])
    return {
        "function": function_figure(QUADRATIC, grid),
        "result": result_figure(QUADRATIC, grid, final),
        "trajectory": trajectory_figure(np.asarray(m["trajectory"], dtype=float)[0],
                                        np.asarray(m["gradients"], dtype=float)[0], final),
    }


# ---------------------------------------------------------------------------------------------------
# Printed lines shared by the gd lectures


def outcome_lines(objective: str, start_values: np.ndarray, final_values: np.ndarray, label: str,
                  finals: np.ndarray, *, ascent: bool = False, notes: Sequence[str] = ()) -> list[str]:
    """The printed lines that follow repetition 0's values in every gd lecture.

    ``start_values`` and ``final_values`` [reps]: the ``objective`` (e.g. ``"f(x)"``) at each repetition's
    start and end, which decide the repetitions that diverged (:func:`~dudl.core.descent.diverged`). The
    lines: :func:`divergence_line` if repetition 0 diverged, then ``notes``, then (for reps > 1) the
    :func:`~dudl.lectures.common.summary_line` ``label`` of ``finals`` [reps], diverged repetitions as NaN.
    """
    bad = diverged(start_values, final_values, ascent=ascent)
    lines = [divergence_line(objective, start_values[0], final_values[0], ascent=ascent)] if bad[0] else []
    lines += notes
    if len(finals) > 1:
        lines.append(summary_line(label, np.where(bad, np.nan, finals)))
    return lines


def divergence_line(objective: str, start_value: float, final_value: float, *, ascent: bool = False) -> str:
    """The line that says a run diverged: where the objective went (non-finite values are null in the JSON)."""
    where = f"went from {start_value:.6g} to {final_value:.6g}"
    if not np.isfinite(final_value):
        where += " (null in the JSON)"
    return f"The {'ascent' if ascent else 'descent'} diverged: {objective} {where}; try a smaller learning rate"


def print_start(value: float) -> str:
    """The course's ``print(localmin)`` of ``np.random.choice(x, 1)``, e.g. ``[1.006]``."""
    return str(np.array([value]))


def print_final(value: float) -> str:
    """The course's notebook echo of ``localmin``, e.g. ``array([0.50103977])``."""
    return repr(np.array([value]))


def printed(result: Result) -> list[str]:
    m = result.metrics
    starts = np.asarray(m["start"], dtype=float)
    finals = np.asarray(m["final_minimum"], dtype=float)
    notes = []
    if result.params["grad_threshold"] is not None:
        made = int(np.asarray(m["n_iterations"])[0])
        notes.append(f"Stopped after {made} of {result.params['epochs']} iterations "
                     f"(|f'(x)| < {result.params['grad_threshold']:g})" if made < result.params["epochs"]
                     else f"Ran all {made} iterations (|f'(x)| stayed >= {result.params['grad_threshold']:g})")
    with np.errstate(all="ignore"):
        start_values, final_values = QUADRATIC.f(starts), QUADRATIC.f(finals)
    return [print_start(starts[0]), print_final(finals[0]),
            *outcome_lines("f(x)", start_values, final_values, "Final minimum", finals, notes=notes)]
