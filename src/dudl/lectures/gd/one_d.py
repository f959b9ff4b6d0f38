"""gd.1d: gradient descent in 1D (gradientDescent/DUDL_GradientDescent_1D).

Gradient descent walks downhill on f(x) = 3x² − 3x + 4 and settles near the minimum at x = 0.5, with the
derivative shrinking towards 0. Course exercise: stop early once |f'(x)| drops below a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core.descent import descend, random_starts
from dudl.core.surfaces import QUADRATIC
from dudl.lectures.divergence import note_divergence_of
from dudl.lectures.figures import figure, plottable
from dudl.lectures.gd.curve_descent import (
    descent_metrics,
    descents_diverged,
    function_figure,
    print_final,
    result_figure,
)
from dudl.lectures.gd.outcome import outcome_lines
from dudl.lectures.grids import check_grid, linspace
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
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


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Gradient descent (docs/spec/experiments.md#gradient-descent-updates) on 3x² − 3x + 4 from each repetition's
    start: [reps] starts and finals, [reps, epochs] records."""
    grid = linspace(params.x_min, params.x_max, params.n_grid)
    starts = random_starts(params.seed, params.reps, lambda rng: rng.choice(grid), params.start)
    descent = descend(QUADRATIC.df, starts, params.learning_rate, params.epochs, grad_threshold=params.grad_threshold)
    return {**descent_metrics(QUADRATIC, starts, descent), "n_iterations": descent.n_iterations}




def trajectory_figure(trajectory: np.ndarray, gradients: np.ndarray, final: float) -> Figure:
    """Two panels against 'Iteration': 'Local minimum' and 'Derivative', titled with the final value."""
    fig, axes = figure(ncols=2, height=4)
    for ax, values, label in zip(axes, (trajectory, gradients), ("Local minimum", "Derivative"), strict=True):
        ax.plot(plottable(values), "o-")
        ax.set_xlabel("Iteration")
        ax.set_ylabel(label)
        ax.set_title(f"Final estimated minimum: {final:.5f}")
    return fig


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


def print_start(value: float) -> str:
    """The course's ``print(localmin)`` of ``np.random.choice(x, 1)``, e.g. ``[1.006]``."""
    return str(np.array([value]))


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
