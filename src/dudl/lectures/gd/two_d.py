"""gd.2d: gradient descent in 2D on the "peaks" function (gradientDescent/DUDL_GradientDescent_2D), and the
code challenge "2D gradient ascent" (``ascent = true``).

Same algorithm as in 1D, with the vector of partial derivatives (the gradient) from sympy. Where it ends
depends on where it starts: finding the global minimum (or maximum) is hard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import sympy

from dudl.core.descent import descend, diverged, random_starts
from dudl.core.surfaces import peaks, peaks_gradient, peaks_landscape, peaks_partials
from dudl.lectures.divergence import note_divergence_of
from dudl.lectures.figures import PLOT_LIMIT, figure, plottable
from dudl.lectures.gd.outcome import outcome_lines
from dudl.lectures.grids import check_grid, linspace
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
-1.07369833656079
[0.228278920556369 -1.62553495750000]
[-0.56050454 -1.35877004]
"""

NOTES = ("ascent=true is the code challenge: climb to a local maximum, either by adding the gradient "
         "(ascent_method=add_gradient) or by descending on -peaks (negate_function); both give the same path.")


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The same downhill walk on a 2-D landscape with several valleys and peaks. Look at the path bending as it "
    "follows the slope, and at different starts ending in different valleys: descent finds a local minimum, not "
    "necessarily the lowest one."
)
CAPTIONS = {
    "landscape": "the peaks function: bright peaks and dark valleys",
    "trajectory": "the path of gradient descent from its start down into a valley (repetition 0)",
    "final_spread": "where each repetition ended: different starts end in different valleys",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    learning_rate: float = param(0.01, "step size", gt=0)
    epochs: int = param(1000, "number of updates", ge=1)
    start: tuple[float, float] | None = param(None, "[x, y]; null = uniform random in [-2, 2]^2 (rand(2)*4-2)")
    ascent: bool = param(False, "code challenge: climb to a local maximum instead")
    ascent_method: Literal["add_gradient", "negate_function"] = param(
        "add_gradient", "the challenge's two solutions: x <- x + lr*grad f, or descend on -f")
    grid_min: float = param(-3.0, "low end of the plotted landscape (both axes)")
    grid_max: float = param(3.0, "high end of the plotted landscape (both axes)")
    n_grid: int = param(201, "landscape points per axis, linspace(grid_min, grid_max, n_grid)", ge=2)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_grid(self.grid_min, self.grid_max, ("grid_min", "grid_max"))


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Gradient descent (docs/spec/experiments.md#gradient-descent-updates) in 2D on peaks (or ascent) from each
    repetition's start: [reps, 2] points, [reps, epochs, 2] records."""
    df_x, _ = peaks_partials()
    starts = random_starts(params.seed, params.reps, lambda rng: rng.random(2) * 4 - 2, params.start)  # [reps, 2]
    if params.ascent and params.ascent_method == "negate_function":
        # descend on -peaks (its own sympy derivative); the gradient of peaks is minus the one followed
        descent = descend(peaks_gradient(negate=True), starts, params.learning_rate, params.epochs, point_ndim=1)
        gradients = -descent.gradients
    else:
        descent = descend(peaks_gradient(), starts, params.learning_rate, params.epochs, point_ndim=1,
                          ascent=params.ascent)
        gradients = descent.gradients
    with np.errstate(all="ignore"):
        final_value = peaks(descent.final[:, 0], descent.final[:, 1])
    return {
        "df_x_at_1_1": float(df_x(1.0, 1.0)),
        "start": starts,
        "trajectory": descent.trajectory,
        "gradients": gradients,
        "final_point": descent.final,
        "final_value": final_value,
    }


def figures_diverged(result: Result) -> np.ndarray:
    """Which descents (ascents) of a Result diverged [reps]: peaks at the start and at the end decide."""
    starts = result.metric("start")
    with np.errstate(all="ignore"):
        return diverged(peaks(starts[:, 0], starts[:, 1]), result.metric("final_value"),
                        ascent=result.params["ascent"])


@note_divergence_of(figures_diverged, "runs")
@with_repetitions(
    single=("trajectory",),
    spreads={"final_spread": Spread("final_value", "peaks(x, y) where the descent stopped")},
)
def figures(result: Result) -> dict[str, Figure]:
    p, m = result.params, result.metrics
    grid = linspace(p["grid_min"], p["grid_max"], p["n_grid"])
    with np.errstate(all="ignore"):  # a huge grid overflows peaks: those pixels are NaN (blank)
        landscape = peaks_landscape(grid)
    extent = plottable((grid[0], grid[-1], grid[0], grid[-1]))

    def landscape_figure() -> tuple[Figure, Axes]:
        """A new figure of the landscape in colour, -5 to 5, with its colour bar (none if the grid is too big
        to draw)."""
        fig, ax = figure(width=6, height=5)
        if np.isfinite(extent).all():
            fig.colorbar(ax.imshow(landscape, extent=tuple(extent), vmin=-5, vmax=5, origin="lower"), ax=ax)
        else:
            ax.set_title(f"(landscape not drawn: the grid reaches beyond +/-{PLOT_LIMIT:g})")
        return fig, ax

    landscape_fig, _ = landscape_figure()

    start = plottable(np.asarray(m["start"], dtype=float)[0])
    path = plottable(np.asarray(m["trajectory"], dtype=float)[0])
    end = plottable(np.asarray(m["final_point"], dtype=float)[0])
    trajectory_fig, ax = landscape_figure()
    ax.plot(start[0], start[1], "bs", label="rnd start")
    ax.plot(end[0], end[1], "ro", label="local max" if p["ascent"] else "local min")
    ax.plot(path[:, 0], path[:, 1], "r")
    ax.legend()
    return {"landscape": landscape_fig, "trajectory": trajectory_fig}


def sympy_float(value: float) -> str:
    """A number as the course's sympy ``evalf()`` prints it (15 significant digits), e.g. -1.07369833656079."""
    return str(sympy.Float(float(value), 15))


def printed(result: Result) -> list[str]:
    p, m = result.params, result.metrics
    starts = np.asarray(m["start"], dtype=float)
    finals = np.asarray(m["final_point"], dtype=float)
    final_values = np.asarray(m["final_value"], dtype=float)
    # the course's final point is an object array of sympy Floats (from evalf), its start a float array
    final_point = np.array([sympy.Float(float(v), 15) for v in finals[0]], dtype=object)
    with np.errstate(all="ignore"):
        start_values = peaks(starts[:, 0], starts[:, 1])
    label = "Local maximum value" if p["ascent"] else "Local minimum value"
    return [sympy_float(m["df_x_at_1_1"]), str(final_point), str(starts[0]),
            *outcome_lines("peaks", start_values, final_values, f"{label} peaks(final_point)", final_values,
                           ascent=p["ascent"])]
