"""ann.iris: a multi-output ANN classifies the iris flowers (ANN/DUDL_ANN_multioutput).

A 4-64-64-3 net (docs/spec/experiments.md#iris-net) with CrossEntropyLoss on the logits learns the three species;
softmax turns its outputs into probabilities that sum to 1. Every repetition trains a new model on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import data as datasets
from dudl.core import engine, models, seeding
from dudl.lectures.ann.accuracy import chance_failed, class_accuracy
from dudl.lectures.ann.iris_data import IRIS_HEAD_OUTPUT, iris_head_lines
from dudl.lectures.ann.training_figures import outputs_figure, training_figure
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.printing import tensor_lines
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = IRIS_HEAD_OUTPUT + """\
(the labels tensor: 50 zeros, 50 ones, 50 twos; then torch.argmax(yHat,axis=1): 150 predicted labels)
Final accuracy: 98%
(torch.sum(sm(yHat),axis=1): 150 values 1.0000)"""

NOTES = ("plot_logits=true draws the raw outputs (logits) under the label 'Probability', as the published run "
         "did; they do not lie in [0, 1] or sum to 1, unlike the softmax the original notebook plotted.")


RUNS = ("accuracy",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "A network with three outputs classifies the three iris species. Look at the accuracy climbing during "
    "training and at the softmax outputs: three probabilities per flower that always add up to 1."
)
CAPTIONS = {
    "pairplot": "the iris data, feature against feature: setosa is easy, the other two overlap",
    "training": "loss and accuracy over the epochs",
    "outputs": "each flower's three probabilities: the right species should get the highest",
    "accuracy_spread": "each repetition's accuracy: high in all of them",
}
REPORT_REPS = 10


@dataclass(frozen=True)
class Params(BaseParams):
    n_hidden: int = param(64, "width of both hidden layers (course exercise 2: 16)", ge=1)
    learning_rate: float = param(0.01, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(1000, "full-batch epochs (course exercise 1: more)", ge=1)
    plot_logits: bool = param(False, "quirk: plot the raw outputs, as the published run did, not their softmax")
    seed: int = seed_param()
    reps: int = reps_param(1)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Train ``reps`` iris nets (one engine call); final accuracy, per-species accuracy, confusion, softmax."""
    features, labels = datasets.iris()
    inputs, targets = torch.from_numpy(features), torch.from_numpy(labels)
    architecture = models.iris_net(params.n_hidden)
    keys = [seeding.key(params.seed, seeding.MODEL, rep) for rep in range(params.reps)]
    trained = engine.train(architecture, inputs, targets, learning_rates=[params.learning_rate] * params.reps,
                           epochs=params.epochs, keys=keys, record=("losses", "accuracy"), device=device)
    predicted = engine.predicted_labels(trained.outputs, architecture).numpy()  # [reps, 150]
    metrics: dict[str, Any] = {
        "losses": trained.losses.numpy().astype(float),
        "accuracy_by_epoch": trained.accuracy.numpy().astype(float),
        "final_loss": engine.loss_values(trained.outputs, targets, architecture).numpy().astype(float),
        "accuracy": engine.accuracy(trained.outputs, targets, architecture).numpy(),
        "class_accuracy": class_accuracy(predicted, labels, 3),
        "confusion_matrix": confusion_matrix(predicted, labels, 3),
        "predicted_labels": predicted.astype(np.int64),
        "probabilities": torch.softmax(trained.outputs, dim=-1).numpy().astype(float),
    }
    if params.plot_logits:  # the quirk's figure needs the raw outputs
        metrics["logits"] = trained.outputs.numpy().astype(float)
    return metrics


def confusion_matrix(predicted: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """[reps, n_classes, n_classes] counts: rows = true class, columns = predicted class."""
    counts = np.zeros((predicted.shape[0], n_classes, n_classes), dtype=np.int64)
    for true in range(n_classes):
        for guess in range(n_classes):
            counts[:, true, guess] = np.sum((labels == true) & (predicted == guess), axis=1)
    return counts


# ---------------------------------------------------------------------------------------------------
# Printing and figures


def printed(result: Result) -> list[str]:
    """iris.head(), the labels, the final predicted labels, 'Final accuracy: %g%%' and the softmax row sums."""
    _, labels = datasets.iris()
    metrics = result.metrics
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    probabilities = np.asarray(metrics["probabilities"], dtype=np.float32)
    lines = iris_head_lines() + tensor_lines(labels)
    lines += tensor_lines(np.asarray(metrics["predicted_labels"])[0])
    lines.append(f"Final accuracy: {accuracy[0]:g}%")
    lines += tensor_lines(probabilities[0].sum(axis=1))
    if len(accuracy) > 1:
        lines.append(summary_line("Final accuracy", accuracy, unit="%", failed=chance_failed(accuracy, 3))
                     + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


def pairplot_figure() -> Figure:
    """A scatter matrix of the 4 features coloured by species, histograms on the diagonal (seaborn's
    ``pairplot`` look, drawn with matplotlib: seaborn is not a dependency)."""
    from dudl.display import DisplayFigure

    features, labels = datasets.iris()
    fig = DisplayFigure(figsize=(10, 9))  # a fixed layout: constrained layout on 16 axes costs a second
    axes = fig.subplots(4, 4)
    fig.subplots_adjust(left=0.08, right=0.86, bottom=0.07, top=0.97, wspace=0.3, hspace=0.3)
    for row, name_y in enumerate(datasets.IRIS_FEATURES):
        for col, name_x in enumerate(datasets.IRIS_FEATURES):
            ax = axes[row, col]
            for species, species_name in enumerate(datasets.IRIS_SPECIES):
                rows = labels == species
                if row == col:
                    ax.hist(features[rows, col], bins=12, color=f"C{species}", alpha=0.5, histtype="stepfilled")
                else:
                    ax.plot(features[rows, col], features[rows, row], ".", color=f"C{species}", markersize=4,
                            label=species_name)
            if row == 3:
                ax.set_xlabel(name_x)
            if col == 0:
                ax.set_ylabel(name_y)
    axes[0, 1].legend(loc="upper left", bbox_to_anchor=(3.5, 1), title="species")
    return fig


@note_divergence_of(RUNS)
@with_repetitions(single=("outputs",), spreads={"accuracy_spread": Spread("accuracy", "accuracy (%)")})
def figures(result: Result) -> dict[str, Figure]:
    """``pairplot``, ``training`` and ``outputs`` (softmax, or logits with ``plot_logits``)."""
    metrics = result.metrics
    shown = metrics["logits"] if result.params.get("plot_logits") and "logits" in metrics \
        else metrics["probabilities"]
    return {
        "pairplot": pairplot_figure(),
        "training": training_figure(metrics["losses"], metrics["accuracy_by_epoch"]),
        "outputs": outputs_figure(np.asarray(shown, dtype=float)[0], datasets.IRIS_SPECIES),
    }
