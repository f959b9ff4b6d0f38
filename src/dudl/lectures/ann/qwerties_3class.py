"""ann.qwerties-3class: code challenge "Many qwerties!" (ANN/DUDL_ANN_codeChallengeQwerties).

Three qwerty groups, a 2-4-3 network and its softmax outputs. The course's model ends in
``Softmax(dim=1)`` and CrossEntropyLoss applies log-softmax again (``double_softmax``), so the loss can
never go below ``-log(e/(e+2))`` ~ 0.551 however well the model classifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import engine, models, seeding
from dudl.lectures.ann.accuracy import chance_failed, class_accuracy
from dudl.lectures.ann.decision_surface import decision_surface, decision_surface_figure
from dudl.lectures.ann.qwerty import CLASS_MARKERS, check_centers, data_figure, qwerties_for_reps, rep0_qwerties
from dudl.lectures.ann.training_figures import outputs_figure, training_figure
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
torch.Size([300, 2])
torch.Size([300, 3])
Final accuracy: 93.3333%
(torch.sum(yHat,axis=1): a tensor of 300 values 1.0000 with grad_fn=<SumBackward1>)"""

NOTES = ("double_softmax=true is the course's code: the model ends in Softmax(dim=1) and CrossEntropyLoss "
         "applies log-softmax again, so the loss cannot go below -log(e/(e+2)) ~ 0.551 and its gradients are "
         "squashed; double_softmax=false outputs logits (the usual way), and probabilities = softmax(logits).")


RUNS = ("accuracy",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Three groups of qwerties and a 2-4-3 network with softmax outputs. Look at the accuracy over training and at"
    " the course's double softmax, which keeps the loss from going below about 0.55."
)
CAPTIONS = {
    "data": "the three groups of points",
    "training": "loss and accuracy over the epochs",
    "outputs": "each point's three probabilities",
    "decision_surface": "the class the model gives each part of the plane",
    "accuracy_spread": "each repetition's accuracy over the three groups",
}
REPORT_REPS = 3


@dataclass(frozen=True)
class Params(BaseParams):
    centers: tuple[tuple[float, float], ...] = param(((1, 1), (5, 1), (3, -2)), "class centres A, B, C")
    n_per_cluster: int = param(100, "points per class", ge=1)
    blur: float = param(1, "standard deviation around each centre", ge=0)
    n_hidden: int = param(4, "hidden units", ge=1)
    learning_rate: float = param(0.01, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(10000, "full-batch epochs", ge=1)
    double_softmax: bool = param(True, "quirk (course code): Softmax(dim=1) output under CrossEntropyLoss")
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_centers(self.centers, 3)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Train ``reps`` 2-h-3 nets, each on its repetition's qwerties (one engine call)."""
    data, labels = qwerties_for_reps(params.seed, params.reps, params.centers, params.n_per_cluster,
                                     params.blur)  # [reps, N, 2], [reps, N]
    architecture = models.qwerty_3class_net(params.n_hidden, double_softmax=params.double_softmax)
    keys = [seeding.key(params.seed, seeding.MODEL, rep) for rep in range(params.reps)]
    trained = engine.train(architecture, data, labels, learning_rates=[params.learning_rate] * params.reps,
                           epochs=params.epochs, keys=keys, record=("losses", "accuracy"), device=device)
    outputs = trained.outputs  # [reps, N, 3]: probabilities with the double softmax, else logits
    probabilities = outputs if params.double_softmax else torch.softmax(outputs, dim=-1)
    predicted = engine.predicted_labels(outputs, architecture).numpy()
    labels_np = labels[0].numpy()  # the same class order in every repetition
    return {
        "losses": trained.losses.numpy().astype(float),
        "accuracy_by_epoch": trained.accuracy.numpy().astype(float),
        "final_loss": engine.loss_values(outputs, labels, architecture).numpy().astype(float),
        "accuracy": engine.accuracy(outputs, labels, architecture).numpy(),
        "class_accuracy": class_accuracy(predicted, labels_np, 3),
        "probabilities": probabilities.numpy().astype(float),
        **decision_surface(trained.module(0), architecture, data[0].numpy()),
    }


def printed(result: Result) -> list[str]:
    """The data's and the untrained output's shapes, 'Final accuracy: %g%%', the softmax row sums."""
    params = result.params
    n_rows = len(params["centers"]) * params["n_per_cluster"]
    accuracy = result.metric("accuracy")
    probabilities = np.asarray(result.metrics["probabilities"], dtype=np.float32)[0]
    # the course sums the softmax outputs of its last forward pass, hence the grad_fn
    row_sums = torch.sum(torch.tensor(probabilities, requires_grad=True), axis=1)
    lines = [str(torch.Size([n_rows, 2])), str(torch.Size([n_rows, 3])), f"Final accuracy: {accuracy[0]:g}%"]
    lines += str(row_sums).splitlines()
    if len(accuracy) > 1:
        lines.append(summary_line("Final accuracy", accuracy, unit="%", failed=chance_failed(accuracy, 3))
                     + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


@note_divergence_of(RUNS)
@with_repetitions(
    single=("data", "outputs"),
    spreads={"accuracy_spread": Spread("accuracy", "accuracy (%)")},
)
def figures(result: Result) -> dict[str, Figure]:
    """``data``, ``training``, ``outputs`` (softmax per stimulus) and ``decision_surface`` (repetition 0)."""
    params, metrics = result.params, result.metrics
    data, labels = rep0_qwerties(params)
    probabilities = np.asarray(metrics["probabilities"], dtype=float)[0]
    return {
        "data": data_figure(data, labels),
        "training": training_figure(metrics["losses"], metrics["accuracy_by_epoch"]),
        "outputs": outputs_figure(probabilities, ("qwert 1", "qwert 2", "qwert 3"), markers=CLASS_MARKERS),
        "decision_surface": decision_surface_figure(
            metrics["decision_surface"], metrics["decision_surface_extent"], data, labels,
            title="Decision surface (predicted class, repetition 0)"),
    }
