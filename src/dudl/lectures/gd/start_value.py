"""gd.start-value: code challenge "unfortunate starting value"
(gradientDescent/DUDL_GradientDescent_CodeChallengeStartValue).

1-D gradient descent on the bumpy f(x) = cos(2πx) + x²: the local minimum it finds depends on where it
starts, and a start of exactly x = 0, where the derivative is 0, never moves (try ``start = 0`` and
``start = 0.0001``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core.descent import descend, random_starts
from dudl.core.surfaces import BUMPY
from dudl.lectures.divergence import note_divergence_of
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
array([-1.42506741])
"""

NOTES = "start=0 is step 2 of the challenge: f'(0) = 0 exactly, so gradient descent never moves from there."


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "On a bumpy function, where gradient descent ends depends on where it starts. A start where the slope is "
    "exactly 0 never moves at all."
)
CAPTIONS = {
    "function": "a bumpy function with several local minima",
    "result": "where the descent stopped: the nearest minimum downhill of the start",
    "final_spread": "where each repetition ended: the answer depends on the start",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    learning_rate: float = param(0.01, "step size", gt=0)
    epochs: int = param(100, "number of updates", ge=1)
    x_min: float = param(-2.0, "left end of the grid for plotting and for the random start")
    x_max: float = param(2.0, "right end of the grid")
    n_grid: int = param(2001, "points of the grid linspace(x_min, x_max, n_grid)", ge=2)
    start: float | None = param(None, "start value; null = a random grid point (step 2 of the challenge: 0)")
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_grid(self.x_min, self.x_max)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Gradient descent (docs/spec/experiments.md#gradient-descent-updates) on cos(2πx) + x² from each repetition's
    start: [reps] starts and finals, [reps, epochs] records."""
    grid = linspace(params.x_min, params.x_max, params.n_grid)
    starts = random_starts(params.seed, params.reps, lambda rng: rng.choice(grid), params.start)
    descent = descend(BUMPY.df, starts, params.learning_rate, params.epochs)
    return descent_metrics(BUMPY, starts, descent)


@note_divergence_of(descents_diverged(BUMPY), "runs")
@with_repetitions(single=("result",), spreads={"final_spread": Spread("final_minimum", "final x")})
def figures(result: Result) -> dict[str, Figure]:
    p = result.params
    grid = linspace(p["x_min"], p["x_max"], p["n_grid"])
    final = float(result.metric("final_minimum")[0])
    return {"function": function_figure(BUMPY, grid), "result": result_figure(BUMPY, grid, final)}


def printed(result: Result) -> list[str]:
    starts = result.metric("start")
    finals = result.metric("final_minimum")
    with np.errstate(all="ignore"):
        start_values, final_values = BUMPY.f(starts), BUMPY.f(finals)
    return [print_final(finals[0]), *outcome_lines("f(x)", start_values, final_values, "Final minimum", finals)]
