"""ann.hidden-units: comparing the number of hidden units (ANN/DUDL_ANN_nHiddenUnits).

The iris net (docs/spec/experiments.md#iris-net) with 1 to 128 units per hidden layer, each trained for a short 150
epochs: accuracy depends on model size, and the smallest nets often stay at chance. All widths x repetitions train in
one engine call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import data as datasets
from dudl.core import engine, models, seeding
from dudl.lectures.ann.accuracy import chance_failed
from dudl.lectures.ann.iris_data import IRIS_HEAD_OUTPUT, iris_head_lines
from dudl.lectures.ann.sweeps import hidden_units_panel
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure
from dudl.lectures.printing import tensor_lines
from dudl.lectures.repetition_figures import plot_spread
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param, sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = IRIS_HEAD_OUTPUT + """\
(then the labels tensor: 50 zeros, 50 ones, 50 twos)"""

NOTES = ("The course plots ax.plot(accuracies), so its x-axis is the index (n - 1); dudl plots against the "
         "number of hidden units n. The lecture calls the two hidden layers of n units \"one hidden layer\".")


RUNS = ("accuracy",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Iris accuracy as the hidden layers grow from 1 to 128 units. Too few units are not enough to tell the "
    "species apart; beyond a few dozen the accuracy levels off."
)
CAPTIONS = {
    "accuracy_by_hidden_units": (
        "accuracy against the number of hidden units: low for narrow nets, high and flat for wide ones"
    ),
}
REPORT_REPS = 3


@dataclass(frozen=True)
class Params(BaseParams):
    n_hidden: tuple[int, ...] = sweep("arange(1,129)", "widths (course exercise 3: arange(1,129,14))", ge=1)
    learning_rate: float = param(0.01, "SGD learning rate (course exercise 2: .1, .001)", gt=0, allow_inf=True)
    epochs: int = param(150, "full-batch epochs (course exercise 1: 500)", ge=1)
    seed: int = seed_param()
    reps: int = reps_param(1)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """One iris net per (repetition, width), trained together; accuracy, losses and final loss per cell."""
    features, labels = datasets.iris()
    inputs, targets = torch.from_numpy(features), torch.from_numpy(labels)
    widths = params.n_hidden
    architectures = [models.iris_net(width) for _ in range(params.reps) for width in widths]
    keys = [seeding.key(params.seed, seeding.MODEL, rep, index)
            for rep in range(params.reps) for index in range(len(widths))]
    trained = engine.train(architectures, inputs, targets, learning_rates=[params.learning_rate] * len(keys),
                           epochs=params.epochs, keys=keys, record=("losses",), device=device)
    shape = (params.reps, len(widths))
    any_architecture = architectures[0]  # every width has the same loss and 3 outputs
    accuracy = engine.accuracy(trained.outputs, targets, any_architecture).numpy()
    final_loss = engine.loss_values(trained.outputs, targets, any_architecture)
    return {
        "n_hidden": np.asarray(widths, dtype=np.int64),
        "accuracy": accuracy.reshape(shape),
        "losses": trained.losses.numpy().astype(float).reshape(*shape, params.epochs),
        "final_loss": final_loss.numpy().astype(float).reshape(shape),
    }


def printed(result: Result) -> list[str]:
    """iris.head() and the labels tensor; for reps > 1, the mean accuracy over widths per repetition."""
    _, labels = datasets.iris()
    lines = iris_head_lines() + tensor_lines(labels)
    accuracy = result.metric("accuracy")
    if accuracy.shape[0] > 1:
        lines.append(summary_line(f"Accuracy (mean over {accuracy.shape[1]} widths)", accuracy.mean(axis=1),
                                  unit="%", failed=chance_failed(accuracy, 3))
                     + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


@note_divergence_of(RUNS)
def figures(result: Result) -> dict[str, Figure]:
    """``accuracy_by_hidden_units``: accuracy vs width (mean over reps, reps faint), chance lines 33 and 67."""
    widths = result.metric("n_hidden")
    accuracy = result.metric("accuracy")
    fig, ax = figure(width=8)
    plot_spread(ax, widths, accuracy, fmt="ko-", markerfacecolor="w", markersize=6)
    hidden_units_panel(ax, widths)
    return {"accuracy_by_hidden_units": fig}
