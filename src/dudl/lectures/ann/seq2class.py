"""ann.seq2class: code challenge "convert nn.Sequential to class" (ANN/DUDL_ANN_codeChallengeSeq2class).

ann.multilayer's 2-16-1-1 model rewritten as an ``nn.Module`` class (the course's leftover name
``ANNiris``), with the demo and the learning-rate sweep rerun to check that it works the same. Each class
model is built from its seeding key and its own initial weights are handed to the engine, so the class
really is the model that is trained. With ``paired`` both definitions share the key (identical weights,
identical data), so their losses agree to float32 rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core import engine, models
from dudl.lectures.ann.accuracy import chance_failed
from dudl.lectures.ann.model_definitions import DEFINITIONS, Definition, shown_definition, variant_index
from dudl.lectures.ann.qwerty import check_centers, data_figure, qwerties_for_reps, rep0_qwerties
from dudl.lectures.ann.sweeps import sweep_figure, variant_sweep
from dudl.lectures.checks import check_distinct
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure
from dudl.lectures.printing import tensor_text
from dudl.lectures.repetition_figures import with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param, sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from torch import nn

    from dudl.result import Result

COURSE_OUTPUT = """\
Final accuracy: 98.5%
tensor(0.7000)"""

NOTES = ("paired = true gives both definitions the same initial weights and data in each cell, so their loss "
         "curves agree to float32 rounding (max_abs_loss_difference ~ 0): the class is the same model as the "
         "Sequential. paired = false gives the class its own initial weights (its keys get the definition index "
         "appended; the data stay the repetition's), so the difference becomes that of two independent runs. "
         "The Sequential definition uses ann.multilayer's keys, so it reproduces ann.multilayer (n_hidden 16).")


RUNS = ("demo_accuracy", "accuracy")  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The multilayer model rewritten as a class and trained over the learning-rate sweep: it gives exactly the "
    "same numbers as the nn.Sequential version."
)
CAPTIONS = {
    "data": "the two groups of points",
    "demo_losses": "the demo model's loss over the epochs",
    "sweep": "accuracy and loss against learning rate, for both definitions",
}
REPORT_REPS = 3


@dataclass(frozen=True)
class Params(BaseParams):
    definitions: tuple[Definition, ...] = param(DEFINITIONS, "model definitions (an axis); the "
                                                "challenge's notebook trains the class")
    centers: tuple[tuple[float, float], ...] = param(((1, 3), (1, -2)), "class centres A, B ([x, y] each)")
    n_per_cluster: int = param(100, "points per class", ge=1)
    blur: float = param(1, "standard deviation around each centre", ge=0)
    learning_rates: tuple[float, ...] = sweep("linspace(.001,.1,50)", "SGD learning rates (sweep axis)",
                                              gt=0, allow_inf=True)
    epochs: int = param(1000, "epochs of the demo and of each sweep model", ge=1)
    demo_learning_rate: float = param(0.01, "learning rate of the demo runs", gt=0, allow_inf=True)
    success_threshold: float = param(70, "accuracy (%) a sweep model must exceed to count as a success",
                                     ge=0, le=100)
    paired: bool = param(True, "both definitions use the same data and initial weights in each cell")
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_centers(self.centers, 2)
        check_distinct("definitions", self.definitions, "definition")


def initial_module(definition: str, architecture: engine.Architecture, key: np.random.SeedSequence) -> nn.Module:
    """The definition's module (``nn.Sequential`` or the class), its weights drawn from ``key``."""
    factory = models.ANNirisMultilayer if definition == "class" else architecture.sequential
    return models.build_seeded(factory, key)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Per definition: the demo, then every (repetition, learning rate) cell, as in ann.multilayer; all
    definitions in one engine call, each model started from its own module's weights."""
    architecture = models.multilayer_net(16)
    definitions = params.definitions
    data, labels = qwerties_for_reps(params.seed, params.reps, params.centers, params.n_per_cluster,
                                     params.blur)  # [reps, N, 2], [reps, N]
    _, _, sweep_metrics = variant_sweep(
        params, data, labels, [variant_index(params.paired, name) for name in definitions],
        [architecture] * len(definitions), lambda d, key: initial_module(definitions[d], architecture, key),
        losses_dtype=float, device=device)
    metrics: dict[str, Any] = {"definitions": list(definitions), **sweep_metrics}
    if set(definitions) == set(DEFINITIONS):
        sweep_losses = metrics["losses"]
        difference = sweep_losses[:, definitions.index("sequential")] - sweep_losses[:, definitions.index("class")]
        metrics["max_abs_loss_difference"] = np.max(np.abs(difference), axis=(1, 2))
    return metrics


def printed(result: Result) -> list[str]:
    """The course's 'Final accuracy: %g%%' (demo) and ``tensor(<success fraction>)`` for the class, then the
    other definition's values, the loss difference, and for reps > 1 a summary per definition."""
    metrics = result.metrics
    definitions = list(metrics["definitions"])
    demo_accuracy = np.asarray(metrics["demo_accuracy"], dtype=float)
    success = np.asarray(metrics["success_fraction"], dtype=float)  # [reps, n_defs]
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    first = shown_definition(definitions)  # the class: the challenge's notebook trains it
    order = [first] + [d for d in range(len(definitions)) if d != first]
    lines = [f"Final accuracy: {demo_accuracy[first]:g}%", tensor_text(success[0, first])]
    for d in order[1:]:
        lines.append(f"{definitions[d]}: Final accuracy: {demo_accuracy[d]:g}%, success fraction "
                     + tensor_text(success[0, d]))
    if "max_abs_loss_difference" in metrics:
        difference = np.asarray(metrics["max_abs_loss_difference"], dtype=float)
        lines.append(f"max abs loss difference, sequential vs class: {difference[0]:g}")
    if success.shape[0] > 1:
        for d in order:
            lines.append(summary_line(f"Success fraction ({definitions[d]})", success[:, d],
                                      failed=chance_failed(accuracy[:, d], 2)) + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


@note_divergence_of(RUNS)
@with_repetitions(single=("data", ("sweep", 1)))
def figures(result: Result) -> dict[str, Figure]:
    """``data`` (repetition 0), ``demo_losses`` (one line per definition) and ``sweep`` (accuracy per
    definition, mean over reps; the loss curves of repetition 0's class models, as the course shows)."""
    params, metrics = result.params, result.metrics
    definitions = list(metrics["definitions"])
    data, labels = rep0_qwerties(params)
    demo_losses = np.asarray(metrics["demo_losses"], dtype=float)
    fig_demo, ax = figure()
    for d, name in enumerate(definitions):  # paired curves coincide: draw the later ones dashed
        ax.plot(demo_losses[d], "-" if d == 0 else "--", label=name)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    ax.legend()
    accuracy = np.asarray(metrics["accuracy"], dtype=float)  # [reps, n_defs, n_rates]
    shown = shown_definition(definitions)
    losses = np.asarray(metrics["losses"], dtype=float)[0, shown]  # repetition 0's curves: [n_rates, epochs]
    return {
        "data": data_figure(data, labels),
        "demo_losses": fig_demo,
        "sweep": sweep_figure(metrics["learning_rates"],
                              {name: accuracy[:, d] for d, name in enumerate(definitions)},
                              losses),
    }
