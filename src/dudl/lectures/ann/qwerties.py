"""ann.qwerties: a binary classifier for two 2-D blobs (ANN/DUDL_ANN_classifyQwerties).

The 2-1-1 model often works and sometimes fails completely (the single ReLU unit dies and every
sample gets the same class: 50%). Run with ``--reps 100`` to see how often.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core import engine, models, seeding
from dudl.lectures.ann.accuracy import chance_failed
from dudl.lectures.ann.decision_surface import decision_surface, decision_surface_figure
from dudl.lectures.ann.model_print import structure
from dudl.lectures.ann.qwerty import (
    binary_targets,
    check_centers,
    data_figure,
    data_type_lines,
    misclassified_rows,
    predictions_figure,
    qwerties_for_reps,
    rep0_qwerties,
)
from dudl.lectures.ann.training_figures import losses_figure
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
<class 'numpy.ndarray'>
(200, 2)

<class 'torch.Tensor'>
torch.Size([200, 2])
Sequential(
  (0): Linear(in_features=2, out_features=1, bias=True)
  (1): ReLU()
  (2): Linear(in_features=1, out_features=1, bias=True)
  (3): Sigmoid()
)
Final accuracy: 84.5%"""

NOTES = ("With reps > 1 the summary's 'failed' fraction counts runs at chance level (50%): the single "
         "hidden ReLU unit died and the model gives every sample the same class.")


RUNS = ("accuracy",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "A network classifies two clouds of points ('qwerties'). A run that learns reaches about 90% accuracy, but "
    "about half of the runs fail completely and stay at chance (50%): look at the failure rate over repetitions."
)
CAPTIONS = {
    "data": "the two groups of points the model must separate",
    "losses": "the loss falling over the epochs",
    "predictions": "each point's prediction: the misclassified ones stand out",
    "decision_surface": "the class the model gives each part of the plane",
    "accuracy_spread": "each repetition's accuracy: near 90% or stuck at chance; the title gives the failure rate",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    centers: tuple[tuple[float, float], ...] = param(((1, 1), (5, 1)), "class centres A, B ([x, y] each)")
    n_per_cluster: int = param(100, "points per class", ge=1)
    blur: float = param(1.0, "standard deviation around each centre", ge=0)
    learning_rate: float = param(0.01, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(1000, "full-batch epochs", ge=1)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_centers(self.centers, 2)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Each repetition: new qwerties (stream 0) and a new model (stream 1), all trained at once."""
    data, labels = qwerties_for_reps(params.seed, params.reps, params.centers, params.n_per_cluster,
                                     params.blur)
    targets = binary_targets(labels)
    architecture = models.qwerty_net()
    keys = [seeding.key(params.seed, seeding.MODEL, rep) for rep in range(params.reps)]
    out = engine.train(architecture, data, targets, learning_rates=[params.learning_rate] * params.reps,
                       epochs=params.epochs, keys=keys, record=("losses",), device=device)
    return {
        "losses": out.losses.numpy(),
        "final_loss": engine.loss_values(out.outputs, targets, architecture).numpy().astype(np.float64),
        "accuracy": engine.accuracy(out.outputs, labels, architecture).numpy(),
        "misclassified": misclassified_rows(out.outputs, labels, architecture),
        **decision_surface(out.module(0), architecture, data[0].numpy()),
    }


@note_divergence_of(RUNS)
@with_repetitions(
    single=("data", "predictions", "decision_surface"),
    spreads={"accuracy_spread": Spread("accuracy", "accuracy (%)", chance=50)},
)
def figures(result: Result) -> dict[str, Figure]:
    """``data``, ``losses``, ``predictions`` (repetition 0) and ``decision_surface``."""
    metrics = result.metrics
    data, labels = rep0_qwerties(result.params)
    accuracy = float(np.asarray(metrics["accuracy"], dtype=float)[0])
    return {
        "data": data_figure(data, labels),
        "losses": losses_figure(metrics["losses"]),
        "predictions": predictions_figure(data, labels, metrics["misclassified"][0], accuracy),
        "decision_surface": decision_surface_figure(
            metrics["decision_surface"], metrics["decision_surface_extent"], data, labels,
            f"Decision surface ({accuracy:g}% correct)"),
    }


def printed(result: Result) -> list[str]:
    """The data's type and shape, ``print(model)``, ``Final accuracy``; then the spread over repetitions."""
    accuracy = result.metric("accuracy")
    n_rows = 2 * result.params["n_per_cluster"]
    lines = [*data_type_lines(n_rows), *structure(models.qwerty_net()).splitlines(),
             f"Final accuracy: {accuracy[0]:g}%"]
    if accuracy.size > 1:
        lines.append(summary_line("Final accuracy", accuracy, unit="%", failed=chance_failed(accuracy))
                     + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines
