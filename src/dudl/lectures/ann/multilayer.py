"""ann.multilayer: a 2-16-1-1 multilayer ANN and its learning-rate sweep (ANN/DUDL_ANN_multilayer).

The same learning-rate sweep as ann.learning-rates, now with a hidden layer of 16 ReLU units before the
one-unit bottleneck, on a new pair of qwerty groups (one above the other).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core import engine, models
from dudl.lectures.ann.accuracy import chance_failed, success_fraction
from dudl.lectures.ann.qwerty import binary_targets, check_centers, data_figure, qwerties_for_reps, rep0_qwerties
from dudl.lectures.ann.sweeps import accuracy_lines, demo_losses_figure, sweep_batch, sweep_figure
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.printing import tensor_text
from dudl.lectures.repetition_figures import with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param, sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
Final accuracy: 99%
[the accByLR list: 50 accuracy tensors, one per learning rate]
tensor(0.7600)"""


RUNS = ("demo_accuracy", "accuracy")  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "A deeper network (2-16-1-1) on two separable groups. It learns at most learning rates, but some runs still "
    "fail; look at the sweep and at the success fraction."
)
CAPTIONS = {
    "data": "the two groups of points",
    "demo_losses": "the demo model's loss over the epochs",
    "sweep": "accuracy and loss against learning rate",
}
REPORT_REPS = 5


@dataclass(frozen=True)
class Params(BaseParams):
    centers: tuple[tuple[float, float], ...] = param(((1, 3), (1, -2)), "class centres A, B ([x, y] each)")
    n_per_cluster: int = param(100, "points per class", ge=1)
    blur: float = param(1.0, "standard deviation around each centre", ge=0)
    n_hidden: int = param(16, "units of the first layer (course exercise 1: 32)", ge=1)
    learning_rates: tuple[float, ...] = sweep("linspace(.001,.1,50)", "learning rates (sweep axis)",
                                              gt=0, allow_inf=True)
    epochs: int = param(1000, "epochs of the demo and of each sweep model", ge=1)
    demo_learning_rate: float = param(0.01, "learning rate of the demo run", gt=0, allow_inf=True)
    success_threshold: float = param(70.0, "accuracy (%) above which a model counts as a success",
                                     ge=0, le=100)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_centers(self.centers, 2)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Data per repetition (stream 0); the demo and every (rep, lr) model trained in one batch."""
    architecture = models.multilayer_net(params.n_hidden)
    learning_rates = np.asarray(params.learning_rates, dtype=float)
    n_rates = len(learning_rates)
    data, labels = qwerties_for_reps(params.seed, params.reps, params.centers, params.n_per_cluster,
                                     params.blur)
    keys, model_data, model_labels = sweep_batch(params.seed, params.reps, n_rates, data, labels)
    targets = binary_targets(model_labels)
    rates = [params.demo_learning_rate, *np.tile(learning_rates, params.reps)]
    out = engine.train(architecture, model_data, targets, learning_rates=rates, epochs=params.epochs, keys=keys,
                       record=("losses",), device=device)
    accuracy = engine.accuracy(out.outputs, model_labels, architecture).numpy()
    final_loss = engine.loss_values(out.outputs, targets, architecture).numpy().astype(np.float64)
    sweep_accuracy = accuracy[1:].reshape(params.reps, n_rates)
    return {
        "learning_rates": learning_rates,
        "demo_accuracy": float(accuracy[0]),
        "demo_final_loss": float(final_loss[0]),
        "demo_losses": out.losses[0].numpy(),
        "accuracy": sweep_accuracy,
        "losses": out.losses[1:].numpy().reshape(params.reps, n_rates, params.epochs),
        "final_loss": final_loss[1:].reshape(params.reps, n_rates),
        "success_fraction": success_fraction(sweep_accuracy, params.success_threshold),
    }


@note_divergence_of(RUNS)
@with_repetitions(single=("data", ("sweep", 1)))
def figures(result: Result) -> dict[str, Figure]:
    """``data`` (rep 0), ``demo_losses`` and ``sweep`` (accuracy: mean over reps, reps faint; rep 0's losses)."""
    metrics = result.metrics
    data, labels = rep0_qwerties(result.params)
    return {
        "data": data_figure(data, labels),
        "demo_losses": demo_losses_figure(metrics["demo_losses"]),
        "sweep": sweep_figure(metrics["learning_rates"], {"accuracy": metrics["accuracy"]},
                              np.asarray(metrics["losses"], dtype=float)[0]),
    }


def printed(result: Result) -> list[str]:
    """``Final accuracy`` (demo), the ``accByLR`` list and ``success_fraction`` of repetition 0."""
    metrics = result.metrics
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    success = np.asarray(metrics["success_fraction"], dtype=float)
    lines = [f"Final accuracy: {float(result.metric('demo_accuracy')):g}%", accuracy_lines(accuracy[0]),
             tensor_text(success[0])]
    if accuracy.shape[0] > 1:
        lines.append(summary_line("Success fraction", success, failed=chance_failed(accuracy))
                     + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines
