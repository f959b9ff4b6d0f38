"""ann.seq-vs-class: ``nn.Sequential`` and an ``nn.Module`` class define the same model
(ANN/DUDL_ANN_seqVsClass).

Both definitions are built as real PyTorch modules from the cell's key (``torch.manual_seed``-style), so
both create their two layers in the same order and, paired, start from identical weights; those modules'
weights are the ones the engine trains. Paired, the two loss curves are identical up to float32 rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import engine, models, seeding
from dudl.lectures.ann.accuracy import chance_failed
from dudl.lectures.ann.model_definitions import DEFINITIONS, Definition, shown_definition, variant_index
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
from dudl.lectures.checks import check_distinct
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure
from dudl.lectures.repetition_figures import Spread, plot_spread, with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from torch import nn

    from dudl.result import Result

COURSE_OUTPUT = """\
<class 'numpy.ndarray'>
(200, 2)

<class 'torch.Tensor'>
torch.Size([200, 2])
Final accuracy: 50%"""

NOTES = ("paired = false gives the class definition its own initial weights (its cell key gets the definition "
         "index appended); the data stay the repetition's. The sequential definition is ann.qwerties' model "
         "with ann.qwerties' keys, so it reproduces ann.qwerties exactly.")


RUNS = ("accuracy",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The same model written as nn.Sequential and as an nn.Module class. With the same starting weights they give "
    "exactly the same losses: the two ways of writing it are the same model."
)
CAPTIONS = {
    "data": "the two groups of points",
    "losses": "both definitions' losses: the curves lie on top of each other",
    "predictions": "the predictions of the model",
    "accuracy_spread": "each repetition's accuracy for both definitions: the same dots, side by side",
}
REPORT_REPS = 10


@dataclass(frozen=True)
class Params(BaseParams):
    definitions: tuple[Definition, ...] = param(DEFINITIONS, "model definitions (an axis)")
    centers: tuple[tuple[float, float], ...] = param(((1, 1), (5, 1)), "class centres A, B ([x, y] each)")
    n_per_cluster: int = param(100, "points per class", ge=1)
    blur: float = param(1.0, "standard deviation around each centre", ge=0)
    learning_rate: float = param(0.01, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(1000, "full-batch epochs", ge=1)
    paired: bool = param(True, "both definitions use the same data and initial weights in each repetition")
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_centers(self.centers, 2)
        check_distinct("definitions", self.definitions, "definition")


def build(definition: Definition, key: np.random.SeedSequence) -> nn.Module:
    """The course's module for ``definition``, its weights drawn from ``key``."""
    factory = models.qwerty_net().sequential if definition == "sequential" else models.theClass4ANN
    return models.build_seeded(factory, key)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Every (repetition, definition) model, each started from its own module's weights, in one batch."""
    architecture = models.qwerty_net()
    n_definitions, reps = len(params.definitions), params.reps
    data, labels = qwerties_for_reps(params.seed, reps, params.centers, params.n_per_cluster, params.blur)
    cells = [(rep, name) for rep in range(reps) for name in params.definitions]
    variants = [variant_index(params.paired, name) for _, name in cells]
    keys = [seeding.key(params.seed, seeding.MODEL, rep, *(() if variant is None else (variant,)))
            for (rep, _), variant in zip(cells, variants, strict=True)]
    modules = [build(name, key) for (_, name), key in zip(cells, keys, strict=True)]
    rows = torch.arange(reps).repeat_interleave(n_definitions)
    model_data, model_labels = data[rows], labels[rows]
    targets = binary_targets(model_labels)
    out = engine.train(architecture, model_data, targets, learning_rates=[params.learning_rate] * len(cells),
                       epochs=params.epochs, keys=keys, initial_weights=modules, record=("losses",), device=device)
    losses = out.losses.numpy().reshape(reps, n_definitions, params.epochs)
    accuracy = engine.accuracy(out.outputs, model_labels, architecture).numpy().reshape(reps, n_definitions)
    final_loss = engine.loss_values(out.outputs, targets, architecture).numpy().astype(np.float64)
    metrics: dict[str, Any] = {
        "definitions": list(params.definitions),
        "losses": losses,
        "final_loss": final_loss.reshape(reps, n_definitions),
        "accuracy": accuracy,
    }
    if set(params.definitions) == set(DEFINITIONS):
        sequential, cls = params.definitions.index("sequential"), params.definitions.index("class")
        metrics["max_abs_loss_difference"] = np.abs(losses[:, sequential] - losses[:, cls]).max(axis=-1)
    # the shown definition's misclassified samples per repetition [reps][ragged], for the predictions figure
    shown_rows = torch.arange(reps) * n_definitions + shown_definition(params.definitions)
    metrics["misclassified"] = misclassified_rows(out.outputs[shown_rows], labels, architecture)
    return metrics


@note_divergence_of(RUNS)
@with_repetitions(
    single=("data", "predictions"),
    spreads={"accuracy_spread": Spread("accuracy", "accuracy (%)", groups="definitions")},
)
def figures(result: Result) -> dict[str, Figure]:
    """``data``, ``losses`` (one line per definition; mean over reps, reps faint) and ``predictions``."""
    metrics, params = result.metrics, result.params
    names = list(metrics["definitions"])
    data, labels = rep0_qwerties(params)
    losses = np.asarray(metrics["losses"], dtype=float)
    loss_fig, ax = figure()
    epochs = np.arange(losses.shape[-1])
    styles = ("-", "--")
    for d, name in enumerate(names):
        plot_spread(ax, epochs, losses[:, d], fmt=styles[d % 2], label=name, color=f"C{d}", linewidth=2)
    ax.legend()
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    shown = shown_definition(names)
    accuracy = float(np.asarray(metrics["accuracy"], dtype=float)[0, shown])
    figs = {"data": data_figure(data, labels), "losses": loss_fig,
            "predictions": predictions_figure(data, labels, metrics["misclassified"][0], accuracy)}
    return figs


def printed(result: Result) -> list[str]:
    """The data's type and shape, then ``Final accuracy`` of the class model; then the spread over reps."""
    accuracy = result.metric("accuracy")
    shown = shown_definition(result.metrics["definitions"])
    lines = [*data_type_lines(2 * result.params["n_per_cluster"]),
             f"Final accuracy: {accuracy[0, shown]:g}%"]
    if accuracy.shape[0] > 1:
        name = list(result.metrics["definitions"])[shown]
        lines.append(summary_line(f"Final accuracy ({name})", accuracy[:, shown], unit="%",
                                  failed=chance_failed(accuracy[:, shown])) + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines
