"""ann.regression: the smallest ANN (1-1-1 with a ReLU) predicts y from x (ANN/DUDL_ANN_regression).

Course exercise 3 (``reps = 100``) shows that the model does not always work: when the ReLU unit dies,
the predictions are a constant and the correlation is undefined (set to 0, ``flat_prediction``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core import data as datasets
from dudl.core import models, seeding
from dudl.lectures.ann.model_print import structure
from dudl.lectures.ann.regression_fit import fit_regression, predictions_panel
from dudl.lectures.ann.training_figures import losses_figure
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
Sequential(
  (0): Linear(in_features=1, out_features=1, bias=True)
  (1): ReLU()
  (2): Linear(in_features=1, out_features=1, bias=True)
)
0.1991717666387558"""


RUNS = ("final_loss",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The smallest neural network (one input, one ReLU unit, one output) learns to predict y from x. Look at the "
    "loss falling and the predictions lining up with the data; over repetitions, some models get stuck with a "
    "dead ReLU and predict a constant."
)
CAPTIONS = {
    "data": "the noisy data: y grows with x",
    "losses": "the loss falls as the model learns",
    "predictions": "the model's predictions follow the data's trend",
    "final_loss_spread": "each repetition's final loss: most learn, a few stay high (dead ReLU)",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    n: int = param(30, "number of points", ge=2)
    noise_sd: float = param(0.5, "y = x + noise_sd*randn (the course's y = x + randn/2)", ge=0)
    learning_rate: float = param(0.05, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(500, "full-batch epochs", ge=1)
    seed: int = seed_param()
    reps: int = reps_param(1)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Every repetition: new data (stream 0) and a new model (stream 1), trained together."""
    x, y = datasets.regression_for_reps(params.seed, params.reps, params.n, params.noise_sd)
    xs, ys = x[..., 0], y[..., 0]
    keys = [seeding.key(params.seed, seeding.MODEL, rep) for rep in range(params.reps)]
    fitted = fit_regression(xs, ys, keys, params.learning_rate, params.epochs, device)
    return {"x": xs, "y": ys, **fitted}


@note_divergence_of(RUNS)
@with_repetitions(single=("data", "predictions"), spreads={"final_loss_spread": Spread("final_loss", "final loss")})
def figures(result: Result) -> dict[str, Figure]:
    """``data``, ``losses`` and ``predictions`` (repetition 0; losses: mean over reps, reps faint)."""
    metrics = result.metrics
    x, y = np.asarray(metrics["x"], dtype=float)[0], np.asarray(metrics["y"], dtype=float)[0]
    final_loss = np.asarray(metrics["final_loss"], dtype=float)

    data_fig, ax = figure()
    ax.plot(x, y, "s")
    ax.set_xlabel("x")
    ax.set_ylabel("y")

    if final_loss.size > 1:
        title = f"Final loss = {np.nanmean(final_loss):g} (mean over {final_loss.size} reps)"
        loss_fig = losses_figure(metrics["losses"], float(np.nanmean(final_loss)), title)
    else:
        loss_fig = losses_figure(metrics["losses"], float(final_loss[0]), f"Final loss = {final_loss[0]:g}")

    predictions_fig, ax = figure()
    predictions_panel(ax, x, y, np.asarray(metrics["predictions"], dtype=float)[0],
                      f"prediction-data r={float(np.asarray(metrics['correlation'])[0]):.2f}")
    return {"data": data_fig, "losses": loss_fig, "predictions": predictions_fig}


def printed(result: Result) -> list[str]:
    """``print(model)`` and ``testloss.item()`` of repetition 0; then the spread over repetitions."""
    final_loss = result.metric("final_loss")
    lines = [*structure(models.regression_net()).splitlines(), repr(float(final_loss[0]))]
    if final_loss.size > 1:
        lines.append(summary_line("Final loss", final_loss,
                                  failed=np.asarray(result.metrics["flat_prediction"], dtype=bool))
                     + " (a dead ReLU unit: flat predictions)")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


NOTES = ("With reps > 1 the summary's 'failed' fraction counts the runs whose ReLU unit died: the model then "
         "predicts a constant, the loss stays near var(y) and the correlation is undefined (set to 0).")
