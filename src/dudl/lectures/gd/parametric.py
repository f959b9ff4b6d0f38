"""gd.parametric: parametric experiments on gradient descent (gradientDescent/DUDL_GradientDescent_experiment).

On f(x) = sin(x)·exp(−0.05x²): one run from a random start, then three parametric experiments that show
how the start value (experiment 1), the learning rate (experiment 2), and the learning rate together with
the number of training epochs (experiment 3) decide where gradient descent ends.

All of it is one vectorised descent: every row (the single runs, each start value, each learning rate) is
an independent descent of the batch. Experiments 2 and 3 start at the same point with the same learning
rates, so the value after n epochs in experiment 3 is experiment 2's trajectory[n - 1]: one pass over the
largest epoch count serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core.descent import descend, random_starts
from dudl.core.surfaces import DAMPED_SINE
from dudl.lectures.divergence import note_divergence_of
from dudl.lectures.figures import figure, plottable
from dudl.lectures.gd.curve_descent import function_figure, result_figure, runs_diverged
from dudl.lectures.gd.outcome import outcome_lines
from dudl.lectures.grids import check_grid, linspace
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param, sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = ""

NOTES = ("Course quirk: the published run drew the heat map with imshow(finalres) instead of imshow(finalres.T), "
         "so its axes were swapped; dudl draws learning rate on x and training epochs on y. "
         "Course exercise: sweep_start=1.6.")

DEFAULT_SWEEP_START = 0.0


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Parametric experiments vary one thing at a time: the start, the learning rate, and the learning rate "
    "together with the number of epochs. Look at the jumps between minima as the start moves, and at tiny "
    "learning rates that never get anywhere in the time they have."
)
CAPTIONS = {
    "function": "the function: several valleys, the deepest near x = -1.4",
    "single_run": "one run's path from its start to where it stopped",
    "start_values": (
        "the final x for each start: flat stretches are basins of one minimum, jumps are hills between them"
    ),
    "learning_rates": "the final x for each learning rate: too small a rate has not arrived after 1000 epochs",
    "lr_epochs_heatmap": "final x over learning rate and epochs: small rates need many more epochs",
    "lr_epochs_lines": "the same, one line per number of epochs",
    "final_spread": "where the single run ended, over the repetitions: the start decides the minimum",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    learning_rate: float = param(0.01, "lr of the single run and of experiment 1", gt=0)
    epochs: int = param(1000, "updates of the single run and of experiments 1 and 2", ge=1)
    x_min: float = param(-2 * np.pi, "left end of the grid for plotting and for the single run's random start")
    x_max: float = param(2 * np.pi, "right end of the grid")
    n_grid: int = param(401, "points of the grid linspace(x_min, x_max, n_grid)", ge=2)
    start: float | None = param(None, "start of the single run; null = a random grid point")
    start_values: tuple[float, ...] = sweep("linspace(-5,5,50)", "experiment 1: start values")
    learning_rates: tuple[float, ...] = sweep("linspace(1e-10,1e-1,50)", "experiments 2 and 3: learning rates",
                                              gt=0)
    epoch_counts: tuple[int, ...] = sweep("round(linspace(10,500,40))", "experiment 3: numbers of updates", ge=1)
    sweep_start: float = param(DEFAULT_SWEEP_START, "start of experiments 2 and 3 (course exercise: 1.6)")
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_grid(self.x_min, self.x_max)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The single run [reps] and experiments 1-3 (deterministic sweeps), all in one vectorised descent."""
    grid = linspace(params.x_min, params.x_max, params.n_grid)
    single_starts = random_starts(params.seed, params.reps, lambda rng: rng.choice(grid), params.start)
    start_values = np.array(params.start_values)
    learning_rates = np.array(params.learning_rates)
    epoch_counts = np.array(params.epoch_counts, dtype=int)
    n_single, n_starts = len(single_starts), len(start_values)

    # rows: the single runs | experiment 1 (one per start value) | experiments 2 and 3 (one per learning rate)
    starts = np.concatenate([single_starts, start_values, np.full(len(learning_rates), params.sweep_start)])
    rates = np.concatenate([np.full(n_single + n_starts, params.learning_rate), learning_rates])
    descent = descend(DAMPED_SINE.df, starts, rates, max(params.epochs, int(epoch_counts.max())))
    final = descent.after([params.epochs])[:, 0]
    sweep_rows = slice(n_single + n_starts, None)

    return {
        "start": single_starts,
        "final_minimum": final[:n_single],
        "trajectory": descent.trajectory[:n_single, : params.epochs],
        "start_values": start_values,
        "final_by_start": final[n_single:n_single + n_starts],
        "learning_rates": learning_rates,
        "final_by_learning_rate": final[sweep_rows],
        "epoch_counts": epoch_counts,
        "final_by_lr_and_epochs": descent.after(epoch_counts)[sweep_rows],
    }


def figures_diverged(result: Result) -> np.ndarray:
    """Which descents of a Result diverged, one flag per descent: the single runs, experiment 1 (per start
    value), experiments 2 and 3 (per learning rate, from ``sweep_start``)."""
    return np.concatenate([
        runs_diverged(DAMPED_SINE, result.metric("start"), result.metric("final_minimum")),
        runs_diverged(DAMPED_SINE, result.metric("start_values"), result.metric("final_by_start")),
        runs_diverged(DAMPED_SINE, result.params["sweep_start"], result.metric("final_by_learning_rate"))])


@note_divergence_of(figures_diverged, "runs")
@with_repetitions(
    single=("single_run",),
    spreads={"final_spread": Spread("final_minimum", "final x of the single run")},
)
def figures(result: Result) -> dict[str, Figure]:
    p, m = result.params, result.metrics
    grid = linspace(p["x_min"], p["x_max"], p["n_grid"])
    final = float(np.asarray(m["final_minimum"], dtype=float)[0])
    learning_rates = plottable(m["learning_rates"])
    epoch_counts = np.asarray(m["epoch_counts"], dtype=float)
    by_lr_and_epochs = plottable(m["final_by_lr_and_epochs"])  # [n_learning_rates, n_epoch_counts]

    start_fig, ax = figure()
    ax.plot(plottable(m["start_values"]), plottable(m["final_by_start"]), "s-")
    ax.set_xlabel("Starting guess")
    ax.set_ylabel("Final guess")

    lr_fig, ax = figure()
    ax.plot(learning_rates, plottable(m["final_by_learning_rate"]), "s-")
    ax.set_xlabel("Learning rate")
    ax.set_ylabel("Final guess")

    heatmap_fig, ax = figure()
    limits = {"vmin": -1.45, "vmax": -1.2} if p["sweep_start"] == DEFAULT_SWEEP_START else {}
    extent = (learning_rates[0], learning_rates[-1], epoch_counts[0], epoch_counts[-1])
    drawable = np.isfinite(extent).all() and extent[0] < extent[1] and extent[2] < extent[3]
    image = ax.imshow(by_lr_and_epochs.T, extent=extent if drawable else None, aspect="auto", origin="lower",
                      **limits)
    ax.set_xlabel("Learning rate")
    ax.set_ylabel("Training epochs")
    ax.set_title("Final guess")
    heatmap_fig.colorbar(image, ax=ax)

    lines_fig, ax = figure()
    ax.plot(learning_rates, by_lr_and_epochs)
    ax.set_xlabel("Learning rates")
    ax.set_ylabel("Final function estimate")
    ax.set_title("Each line is a training epochs N")

    return {
        "function": function_figure(DAMPED_SINE, grid, legend=("f(x)", "df"), derivative_style="--"),
        "single_run": result_figure(DAMPED_SINE, grid, final, derivative_style="--"),
        "start_values": start_fig,
        "learning_rates": lr_fig,
        "lr_epochs_heatmap": heatmap_fig,
        "lr_epochs_lines": lines_fig,
    }


def printed(result: Result) -> list[str]:
    """The course printed nothing; a diverged single run and (for reps > 1) its spread over repetitions."""
    starts = result.metric("start")
    finals = result.metric("final_minimum")
    with np.errstate(all="ignore"):
        start_values, final_values = DAMPED_SINE.f(starts), DAMPED_SINE.f(finals)
    return outcome_lines("f(x)", start_values, final_values, "Final minimum of the single run", finals)
