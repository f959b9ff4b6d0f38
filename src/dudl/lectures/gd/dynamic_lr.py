"""gd.dynamic-lr: code challenge "fixed vs. dynamic learning rate"
(gradientDescent/DUDL_GradientDescent_codeChallenge_lr).

On f(x) = 3x² − 3x + 4 for 50 iterations, compare a fixed learning rate, one scaled by the gradient's size
(large steps far from the minimum, small ones near it) and one that decays with time (to 0 at the last
update). Think about when each can fail: a gradient-scaled rate explodes on steep slopes, a time-decayed
one stops before it arrives if it starts far away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core.descent import SCHEDULES, Schedule, descend, diverged, random_starts
from dudl.core.surfaces import QUADRATIC
from dudl.lectures.checks import check_distinct
from dudl.lectures.divergence import note_divergence_of
from dudl.lectures.figures import figure, plottable
from dudl.lectures.grids import check_grid, linspace
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = ""

NOTES = ("Course quirk: the fixed run starts at one random point and the gradient- and time-based runs both "
         "at a second one (the time run reuses initval); same_start=true gives all three the same start.")

LEGEND = {"fixed": "Fixed l.r.", "gradient": "Grad-based l.r.", "time": "Time-based l.r."}


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Three ways of choosing the step size: fixed, scaled by the gradient, and shrinking over time. Look at how "
    "quickly each one settles near the minimum at 0.5."
)
CAPTIONS = {
    "schedules": "each schedule's x, derivative and learning rate over the iterations",
    "final_spread": "how far each schedule ended from the minimum, over the repetitions",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    schedules: tuple[Schedule, ...] = param(SCHEDULES, "which runs to make (the schedule axis)")
    learning_rate_fixed: float = param(0.01, '"fixed": lr = learning_rate_fixed', gt=0)
    learning_rate_gradient: float = param(0.01, '"gradient": lr = learning_rate_gradient*abs(df(x))', gt=0)
    learning_rate_time: float = param(0.1, '"time": lr_i = learning_rate_time*(1-(i+1)/epochs)', gt=0)
    epochs: int = param(50, "number of updates", ge=1)
    x_min: float = param(-2.0, "left end of the grid for the random starts")
    x_max: float = param(2.0, "right end of the grid")
    n_grid: int = param(2001, "points of the grid linspace(x_min, x_max, n_grid)", ge=2)
    start: float | None = param(None, "one start for all schedules; null = random")
    same_start: bool = param(False, "course quirk: true gives all schedules one shared random start")
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_grid(self.x_min, self.x_max)
        check_distinct("schedules", self.schedules, "schedule")


def starts_of(params: Params, grid: np.ndarray) -> np.ndarray:
    """[reps, n_schedules]: s1 for "fixed", s2 for "gradient" and "time" (the course's quirk), s1 for all
    with ``same_start``, or ``start`` for all. s1 then s2 are drawn from the repetition's data stream."""
    def draw(rng: np.random.Generator) -> list[float]:
        first, second = rng.choice(grid), rng.choice(grid)
        return [first if params.same_start or name == "fixed" else second for name in params.schedules]

    start = None if params.start is None else np.full(len(params.schedules), float(params.start))
    return random_starts(params.seed, params.reps, draw, start)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """One descent per (repetition, schedule), all in one batch: records [reps, n_schedules, epochs]."""
    grid = linspace(params.x_min, params.x_max, params.n_grid)
    starts = starts_of(params, grid)
    base_rates = {"fixed": params.learning_rate_fixed, "gradient": params.learning_rate_gradient,
                  "time": params.learning_rate_time}
    descent = descend(QUADRATIC.df, starts, [base_rates[name] for name in params.schedules], params.epochs,
                      schedule=list(params.schedules))
    return {
        "schedules": np.array(params.schedules),
        "start": starts,
        "trajectory": descent.trajectory,
        "gradients": descent.gradients,
        "lr_by_iteration": descent.learning_rates,
        "final_minimum": descent.final,
    }


def figures_diverged(result: Result) -> np.ndarray:
    """Which descents of a Result diverged [reps, n_schedules]."""
    with np.errstate(all="ignore"):
        return diverged(QUADRATIC.f(result.metric("start")), QUADRATIC.f(result.metric("final_minimum")))


@note_divergence_of(figures_diverged, "runs")
@with_repetitions(
    single=("schedules",),
    spreads={"final_spread": Spread("final_minimum", "final x", groups="schedules", reference=0.5)},
)
def figures(result: Result) -> dict[str, Figure]:
    m = result.metrics
    fig, axes = figure(ncols=3, width=6, height=5)
    panels = (("trajectory", "Local minimum"), ("gradients", "Derivative"), ("lr_by_iteration", "Learning rate"))
    for ax, (name, label) in zip(axes, panels, strict=True):
        for values in np.asarray(m[name], dtype=float)[0]:
            ax.plot(plottable(values), "o-", markerfacecolor="w")
        ax.set_xlabel("Iteration")
        ax.set_ylabel(label)
    axes[2].legend([LEGEND[name] for name in m["schedules"]])
    return {"schedules": fig}


def printed(result: Result) -> list[str]:
    """The course printed nothing; a diverged run and (for reps > 1) the mean final minimum per schedule."""
    m = result.metrics
    names = [str(name) for name in m["schedules"]]
    starts = np.asarray(m["start"], dtype=float)
    finals = np.asarray(m["final_minimum"], dtype=float)
    with np.errstate(all="ignore"):
        bad = diverged(QUADRATIC.f(starts), QUADRATIC.f(finals))
    lines = [f"The descent diverged with the {LEGEND[name]} (final x = {finals[0, k]:.6g}); try a smaller learning "
             "rate" for k, name in enumerate(names) if bad[0, k]]
    if len(finals) > 1:
        kept = ~bad
        with np.errstate(all="ignore"):  # a schedule that diverged in every repetition has no mean (NaN)
            means = np.where(kept, finals, 0.0).sum(axis=0) / kept.sum(axis=0)
        parts = [f"{LEGEND[name]} {mean:.4g}" + (f" (diverged {int(bad[:, k].sum())})" if bad[:, k].any() else "")
                 for k, (name, mean) in enumerate(zip(names, means, strict=True))]
        lines.append(f"Mean final minimum over {len(finals)} reps: " + ", ".join(parts))
    return lines
