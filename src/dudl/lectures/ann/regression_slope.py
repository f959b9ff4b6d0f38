"""ann.regression-slope: loss vs correlation as the true slope goes from -2 to 2
(ANN/DUDL_ANN_codeChallenge_regression, code challenge "manipulate regression slope").

The loss measures how well the model predicts the data, the correlation how well it predicts their
relationship: at slope 0 the loss is smallest (y is just noise) while the correlation is worst.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core import data as datasets
from dudl.core import seeding
from dudl.lectures.ann.regression_fit import fit_regression, predictions_panel
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure
from dudl.lectures.repetition_figures import plot_spread
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param, sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
(none: the published run was not executed. The original run's only output was numpy's
RuntimeWarning: invalid value encountered in true_divide, from the correlation of constant predictions)"""

NOTES = ("Quirk: the course stores losses[-1], the loss of the last epoch's forward pass, one SGD step before "
         "the end; final_loss here is the loss after training. Constant predictions (a dead ReLU) make the "
         "correlation undefined; it is set to 0 and flagged in flat_prediction.")

EXAMPLE_INDEX = 1  # stream-2 index of the example_data figure's dataset (the demo is index 0)


RUNS = ("demo_final_loss", "final_loss")  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The same regression model on data of different slopes. The loss grows with the slope while the correlation "
    "between prediction and data gets stronger: a loss alone does not tell how well a model does. Near slope 0 "
    "there is nothing to learn and the correlation drops."
)
CAPTIONS = {
    "demo": "one model on one data set: the loss curve and the predictions",
    "slope_sweep": (
        "loss and correlation against the true slope: the mean over repetitions with a band for their spread"
    ),
    "example_data": "example data for the steepest slope",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    slopes: tuple[float, ...] = sweep("linspace(-2,2,21)", "true slopes m (sweep axis)")
    n: int = param(50, "points per dataset", ge=2)
    noise_sd: float = param(0.5, "y = m*x + noise_sd*randn", ge=0)
    learning_rate: float = param(0.05, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(500, "full-batch epochs", ge=1)
    demo_slope: float = param(0.8, "slope of the single test run made before the sweep")
    example_slope: float = param(2.0, "slope of the extra data-only figure")
    seed: int = seed_param()
    reps: int = reps_param(50)


def create_the_data(key: np.random.SeedSequence, slope: float, n: int, noise_sd: float) -> tuple[np.ndarray, ...]:
    """The course's ``createTheData(m)`` from ``key``: ``x``, ``y`` float32 [n]."""
    x, y = datasets.regression(seeding.numpy_rng(key), n, noise_sd, slope)
    return x[:, 0], y[:, 0]


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Demo (stream 2) and every (repetition, slope) cell (stream 1: new data and a new model) in one batch."""
    n_slopes = len(params.slopes)
    keys = [seeding.key(params.seed, seeding.DEMO, 0)]
    slopes = [params.demo_slope]
    for rep in range(params.reps):
        for index, slope in enumerate(params.slopes):
            keys.append(seeding.key(params.seed, seeding.MODEL, rep, index))
            slopes.append(slope)
    datasets_xy = [create_the_data(key, slope, params.n, params.noise_sd) for key, slope in zip(keys, slopes,
                                                                                                   strict=True)]
    xs = np.stack([x for x, _ in datasets_xy])
    ys = np.stack([y for _, y in datasets_xy])
    fitted = fit_regression(xs, ys, keys, params.learning_rate, params.epochs, device)

    def cells(values: np.ndarray) -> np.ndarray:
        return values[1:].reshape(params.reps, n_slopes)

    final_loss, correlation = cells(fitted["final_loss"]), cells(fitted["correlation"])
    return {
        "slopes": np.asarray(params.slopes),
        "final_loss": final_loss,
        "correlation": correlation,
        "flat_prediction": cells(fitted["flat_prediction"]),
        "mean_final_loss": final_loss.mean(axis=0),
        "mean_correlation": correlation.mean(axis=0),
        "demo_losses": fitted["losses"][0],
        "demo_final_loss": float(fitted["final_loss"][0]),
        "demo_correlation": float(fitted["correlation"][0]),
        "demo_predictions": fitted["predictions"][0],  # for the demo figure
    }


@note_divergence_of(RUNS)
def figures(result: Result) -> dict[str, Figure]:
    """``demo``, ``slope_sweep`` (means over repetitions, each repetition faint) and ``example_data``."""
    params, metrics = result.params, result.metrics
    demo_x, demo_y = create_the_data(seeding.key(params["seed"], seeding.DEMO, 0), params["demo_slope"],
                                     params["n"], params["noise_sd"])
    demo_fig, (left, right) = figure(ncols=2)
    left.plot(np.asarray(metrics["demo_losses"], dtype=float))
    left.set_xlabel("Epoch")
    left.set_title("Loss")
    predictions_panel(right, demo_x, demo_y, metrics["demo_predictions"],
                      f"prediction-data corr = {float(result.metric('demo_correlation')):.2f}")
    right.set_xlabel("x")
    right.set_ylabel("y")

    slopes = np.asarray(metrics["slopes"], dtype=float)
    sweep_fig, (left, right) = figure(ncols=2)
    plot_spread(left, slopes, np.asarray(metrics["final_loss"], dtype=float), fmt="o-", color="k")
    left.set_xlabel("Slope")
    left.set_title("Loss")
    plot_spread(right, slopes, np.asarray(metrics["correlation"], dtype=float), fmt="s-", color="m")
    right.set_xlabel("Slope")
    right.set_ylabel("Real-predicted correlation")
    right.set_title("Model performance")

    example_x, example_y = create_the_data(seeding.key(params["seed"], seeding.DEMO, EXAMPLE_INDEX),
                                           params["example_slope"], params["n"], params["noise_sd"])
    example_fig, ax = figure()
    ax.plot(example_x, example_y, "s")
    ax.set_ylim(-4, 4)
    ax.set_title(f"Slope = {params['example_slope']:g}")
    return {"demo": demo_fig, "slope_sweep": sweep_fig, "example_data": example_fig}


def printed(result: Result) -> list[str]:
    """The course printed nothing but numpy's warning about constant predictions; we say how often that was."""
    metrics = result.metrics
    flat = np.asarray(metrics["flat_prediction"], dtype=bool)
    correlation = np.asarray(metrics["correlation"], dtype=float)
    lines = [f"demo (slope {result.params['demo_slope']:g}): final loss {float(result.metric('demo_final_loss')):g}, "
             f"prediction-data corr = {float(result.metric('demo_correlation')):.2f}",
             f"constant predictions (dead ReLU, correlation set to 0): {int(flat.sum())} of {flat.size} models"]
    if correlation.shape[0] > 1:
        lines.append(summary_line("Correlation (mean over slopes)", correlation.mean(axis=1),
                                  failed=flat) + " (a dead ReLU unit: flat predictions)")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines
