"""ann.iris: a multi-output ANN classifies the iris flowers (ANN/DUDL_ANN_multioutput).

A 4-64-64-3 net (B5) with CrossEntropyLoss on the logits learns the three species; softmax turns its
outputs into probabilities that sum to 1. Every repetition trains a new model on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import data as datasets
from dudl.core import engine, models, seeding
from dudl.lectures.ann import common
from dudl.lectures.common import (
    Spread,
    diverged_runs,
    divergence_lines,
    figure,
    note_divergence_of,
    plot_spread,
    summary_line,
    with_repetitions,
)
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

IRIS_HEAD_OUTPUT = """\
   sepal_length  sepal_width  petal_length  petal_width species
0           5.1          3.5           1.4          0.2  setosa
1           4.9          3.0           1.4          0.2  setosa
2           4.7          3.2           1.3          0.2  setosa
3           4.6          3.1           1.5          0.2  setosa
4           5.0          3.6           1.4          0.2  setosa
"""  # the course's print(iris.head()), shared with ann.hidden-units

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


def class_accuracy(predicted: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """[reps, n_classes] accuracy (%) within each true class, from ``predicted`` [reps, N], ``labels`` [N]."""
    return np.stack([100 * np.mean(predicted[:, labels == k] == k, axis=1) for k in range(n_classes)], axis=1)


def confusion_matrix(predicted: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """[reps, n_classes, n_classes] counts: rows = true class, columns = predicted class."""
    counts = np.zeros((predicted.shape[0], n_classes, n_classes), dtype=np.int64)
    for true in range(n_classes):
        for guess in range(n_classes):
            counts[:, true, guess] = np.sum((labels == true) & (predicted == guess), axis=1)
    return counts


# ---------------------------------------------------------------------------------------------------
# Printing and figures


def iris_head_lines() -> list[str]:
    """The course's ``print(iris.head())`` (seaborn's column names), from scikit-learn's copy."""
    features, labels = datasets.iris()
    widths = [len(name) + 2 for name in datasets.IRIS_FEATURES]
    lines = ["   " + "  ".join(datasets.IRIS_FEATURES) + " species"]
    for row in range(5):
        values = "".join(f"{value:>{width}.1f}" for value, width in zip(features[row], widths, strict=True))
        lines.append(f"{row}{values}  {datasets.IRIS_SPECIES[labels[row]]}")
    return lines


def printed(result: Result) -> list[str]:
    """iris.head(), the labels, the final predicted labels, 'Final accuracy: %g%%' and the softmax row sums."""
    _, labels = datasets.iris()
    metrics = result.metrics
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    probabilities = np.asarray(metrics["probabilities"], dtype=np.float32)
    lines = iris_head_lines() + common.tensor_lines(labels)
    lines += common.tensor_lines(np.asarray(metrics["predicted_labels"])[0])
    lines.append(f"Final accuracy: {accuracy[0]:g}%")
    lines += common.tensor_lines(probabilities[0].sum(axis=1))
    if len(accuracy) > 1:
        lines.append(summary_line("Final accuracy", accuracy, unit="%", failed=common.chance_failed(accuracy, 3))
                     + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


def training_figure(losses: Any, accuracy_by_epoch: Any) -> Figure:
    """Left: loss per epoch ('Losses'); right: accuracy per epoch ('Accuracy'); the mean over reps with their
    spread as a band."""
    losses = np.atleast_2d(np.asarray(losses, dtype=float))
    accuracy_by_epoch = np.atleast_2d(np.asarray(accuracy_by_epoch, dtype=float))
    epochs = np.arange(losses.shape[-1])
    fig, (left, right) = figure(ncols=2, width=6.5)
    plot_spread(left, epochs, losses, fmt="-")
    left.set_xlabel("epoch")
    left.set_ylabel("Loss")
    left.set_title("Losses")
    plot_spread(right, epochs, accuracy_by_epoch, fmt="-")
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    right.set_title("Accuracy")
    return fig


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


def outputs_figure(outputs: Any, legend: tuple[str, ...], markers: tuple[str, ...] = ("s-",) * 3) -> Figure:
    """Each output column per sample (repetition 0), white-faced markers; x 'Stimulus number'."""
    outputs = np.asarray(outputs, dtype=float)
    fig, ax = figure(width=10, height=4)
    for column, marker in enumerate(markers):
        ax.plot(outputs[:, column], marker, markerfacecolor="w")
    ax.set_xlabel("Stimulus number")
    ax.set_ylabel("Probability")
    ax.legend(list(legend))
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
