"""gd.1d: gradient descent in 1D (gradientDescent/DUDL_GradientDescent_1D).

Gradient descent walks downhill on f(x) = 3x² − 3x + 4 and settles near the minimum at x = 0.5, with the
derivative shrinking towards 0. Course exercise: stop early once |f'(x)| drops below a threshold.

The figure helpers here (:func:`function_figure`, :func:`result_figure`) are shared by the other 1-D
lectures (gd.start-value, gd.parametric), which style their figures the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core import seeding
from dudl.core.descent import Descent, descend, diverged
from dudl.core.surfaces import QUADRATIC, Curve
from dudl.lectures.common import figure, summary_line
from dudl.params import ParamError, param, reps_param, seed_param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
[1.006]
array([0.50103977])
"""


@dataclass(frozen=True)
class Params(BaseParams):
    learning_rate: float = param(0.01, "step size", gt=0)
    epochs: int = param(100, 'number of updates ("training epochs")', ge=1)
    x_min: float = param(-2.0, "left end of the grid used for plotting and for the random start")
    x_max: float = param(2.0, "right end of the grid")
    n_grid: int = param(2001, "points of the grid linspace(x_min, x_max, n_grid)", ge=2)
    start: float | None = param(None, "start value; null = a random grid point (np.random.choice(x, 1))")
    grad_threshold: float | None = param(None, "course exercise: stop once abs(f'(x)) < threshold; null = never",
                                         gt=0)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_grid(self.x_min, self.x_max)
        check_finite("start", self.start)


def check_grid(x_min: float, x_max: float, names: tuple[str, str] = ("x_min", "x_max")) -> None:
    """The grid's ends must be finite numbers with x_min < x_max."""
    check_finite(names[0], x_min)
    check_finite(names[1], x_max)
    if not x_min < x_max:
        raise ParamError(f"{names[0]} must be less than {names[1]}, got {x_min:g} and {x_max:g}")


def check_finite(name: str, value: float | tuple[float, ...] | None) -> None:
    """A start value or grid end must be finite (or null where allowed)."""
    if value is not None and not np.all(np.isfinite(value)):
        raise ParamError(f"parameter {name!r} must be finite, got {value}")


def random_starts(seed: int, reps: int, grid: np.ndarray, start: float | None) -> np.ndarray:
    """[reps] start values: ``start``, or a random grid point per repetition from its data stream."""
    if start is not None:
        return np.full(reps, float(start))
    return np.array([seeding.numpy_rng(seeding.key(seed, seeding.DATA, rep)).choice(grid) for rep in range(reps)])


def run(params: Params) -> dict[str, Any]:
    """B10 on 3x² − 3x + 4 from each repetition's start: [reps] starts and finals, [reps, epochs] records."""
    grid = np.linspace(params.x_min, params.x_max, params.n_grid)
    starts = random_starts(params.seed, params.reps, grid, params.start)
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
        ax.plot(final, curve.f(np.float64(final)), "ro")
        ax.plot(final, curve.df(np.float64(final)), "ro")
    ax.legend(["f(x)", "df", "f(x) min"])
    ax.set_title(f"Empirical local minimum: {final}")
    return fig


def _draw_function(ax: Axes, curve: Curve, grid: np.ndarray, derivative_style: str) -> None:
    ax.plot(grid, curve.f(grid))
    ax.plot(grid, curve.df(grid), derivative_style)
    ax.set_xlim(grid[0], grid[-1])
    ax.grid(True)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")


def trajectory_figure(trajectory: np.ndarray, gradients: np.ndarray, final: float) -> Figure:
    """Two panels against 'Iteration': 'Local minimum' and 'Derivative', titled with the final value."""
    fig, axes = figure(ncols=2, height=4)
    for ax, values, label in zip(axes, (trajectory, gradients), ("Local minimum", "Derivative"), strict=True):
        ax.plot(values, "o-")
        ax.set_xlabel("Iteration")
        ax.set_ylabel(label)
        ax.set_title(f"Final estimated minimum: {final:.5f}")
    return fig


def figures(result: Result) -> dict[str, Figure]:
    p, m = result.params, result.metrics
    grid = np.linspace(p["x_min"], p["x_max"], p["n_grid"])
    final = float(np.asarray(m["final_minimum"], dtype=float)[0])
    return {
        "function": function_figure(QUADRATIC, grid),
        "result": result_figure(QUADRATIC, grid, final),
        "trajectory": trajectory_figure(np.asarray(m["trajectory"], dtype=float)[0],
                                        np.asarray(m["gradients"], dtype=float)[0], final),
    }


# ---------------------------------------------------------------------------------------------------
# Printed lines shared by the 1-D lectures


def divergence_lines(curve: Curve, starts: np.ndarray, finals: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The line that says repetition 0 diverged (if it did), and which repetitions diverged [reps]."""
    with np.errstate(all="ignore"):
        start_values, final_values = curve.f(starts), curve.f(finals)
    bad = diverged(start_values, final_values)
    return ([divergence_line("f(x)", start_values[0], final_values[0])] if bad[0] else []), bad


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
    lines = [print_start(starts[0]), print_final(finals[0])]
    bad_lines, bad = divergence_lines(QUADRATIC, starts, finals)
    lines += bad_lines
    if result.params["grad_threshold"] is not None:
        made = int(np.asarray(m["n_iterations"])[0])
        lines.append(f"Stopped after {made} of {result.params['epochs']} iterations "
                     f"(|f'(x)| < {result.params['grad_threshold']:g})" if made < result.params["epochs"]
                     else f"Ran all {made} iterations (|f'(x)| stayed >= {result.params['grad_threshold']:g})")
    if len(finals) > 1:
        lines.append(summary_line("Final minimum", np.where(bad, np.nan, finals)))
    return lines
