"""ann.linear-vs-nonlinear: the multilayer net with and without its hidden ReLUs (lectures "Linear solutions
to linear problems" and "Why multilayer linear models don't exist").

The qwerties of ann.multilayer are linearly separable, so the linear model (the same layers without the
two ReLUs) does at least as well as the nonlinear one and fails less often: simple problems need simple
solutions. Its three stacked linear layers collapse into one (``w = W3 W2 W1``), up to float32 rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from dudl.core import engine, models
from dudl.lectures.ann.accuracy import chance_failed
from dudl.lectures.ann.decision_surface import decision_surface, decision_surface_figure
from dudl.lectures.ann.qwerty import check_centers, plot_classes, qwerties_for_reps, rep0_qwerties
from dudl.lectures.ann.sweeps import accuracy_panel, losses_panel, variant_sweep
from dudl.lectures.checks import check_distinct
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure, plottable, set_limits
from dudl.lectures.printing import tensor_text
from dudl.lectures.repetition_figures import with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param, sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

Variant = Literal["nonlinear", "linear"]

COURSE_OUTPUT = "(none: the lecture is a code demonstration without a published notebook)"

NOTES = ("paired = false gives the linear variant its own initial weights (its cell key gets the variant "
         "index appended); the data stay the repetition's, and the nonlinear variant keeps ann.multilayer's "
         "keys, so it reproduces ann.multilayer exactly either way.")


RUNS = ("demo_accuracy", "accuracy")  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The multilayer network with and without its hidden ReLUs. Without them, the three layers collapse into one "
    "linear layer, and on a linearly separable problem that is all it needs: look at the linear model succeeding "
    "at least as often."
)
CAPTIONS = {
    "sweep": "accuracy against learning rate for both models",
    "losses": "the demo models' losses over the epochs",
    "decision_boundaries": "the boundary each model drew between the groups",
    "decision_surface": "the class each model gives each part of the plane",
}
REPORT_REPS = 3


@dataclass(frozen=True)
class Params(BaseParams):
    models: tuple[Variant, ...] = param(("nonlinear", "linear"), "model variants (an axis)")
    centers: tuple[tuple[float, float], ...] = param(((1, 3), (1, -2)), "class centres A, B ([x, y] each)")
    n_per_cluster: int = param(100, "points per class", ge=1)
    blur: float = param(1.0, "standard deviation around each centre", ge=0)
    n_hidden: int = param(16, "first-layer width", ge=1)
    learning_rates: tuple[float, ...] = sweep("linspace(.001,.1,50)", "learning rates (sweep axis)",
                                              gt=0, allow_inf=True)
    epochs: int = param(1000, "epochs per model", ge=1)
    demo_learning_rate: float = param(0.01, "learning rate of the demo runs", gt=0, allow_inf=True)
    success_threshold: float = param(70.0, "accuracy (%) above which a model counts as a success",
                                     ge=0, le=100)
    paired: bool = param(True, "both variants use the same initial weights and data in each cell")
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        check_centers(self.centers, 2)
        check_distinct("models", self.models, "variant")


def collapse(layers: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stacked linear layers -> the one equivalent layer: ``w = W3 W2 W1`` [1, 2], ``b = W3 (W2 b1 + b2) + b3``."""
    weight, bias = layers[0]
    for next_weight, next_bias in layers[1:]:
        weight, bias = next_weight @ weight, next_weight @ bias + next_bias
    return weight, bias


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Both variants' demo and sweep models (ann.multilayer's batch each) trained in one call."""
    n_rates, n_models, reps = len(params.learning_rates), len(params.models), params.reps
    data, labels = qwerties_for_reps(params.seed, reps, params.centers, params.n_per_cluster, params.blur)
    variants = [None if params.paired or name == "nonlinear" else 1 for name in params.models]
    architectures = [models.multilayer_net(params.n_hidden, linear=name == "linear") for name in params.models]
    out, model_data, sweep_metrics = variant_sweep(params, data, labels, variants, architectures,
                                                   device=device)
    metrics: dict[str, Any] = {"models": list(params.models), **sweep_metrics}
    per_variant = 1 + reps * n_rates  # the demo, then the sweep cells
    if "linear" in params.models:
        first = params.models.index("linear") * per_variant
        metrics.update(collapse_metrics(out, model_data, first, reps, n_rates))
    metrics["logistic_regression_accuracy"] = np.array(  # NaN for data that overflowed float32 (huge blur)
        [100 * LogisticRegression().fit(x, y).score(x, y) if np.isfinite(x).all() else np.nan
         for x, y in zip(data.numpy(), labels.numpy(), strict=True)])
    demo_rows = [v * per_variant for v in range(n_models)]
    surfaces = [decision_surface(out.module(k), architectures[v], data[0].numpy())
                for v, k in enumerate(demo_rows)]
    metrics["decision_surface"] = np.stack([s["decision_surface"] for s in surfaces])
    metrics["decision_surface_extent"] = surfaces[0]["decision_surface_extent"]
    return metrics


def collapse_metrics(out: engine.TrainResult, model_data: torch.Tensor, first: int, reps: int,
                     n_rates: int) -> dict[str, np.ndarray]:
    """Collapse every trained linear model (rows ``first`` = its demo, then its sweep cells) into one layer."""
    weights, differences = [], []
    for k in range(first, first + 1 + reps * n_rates):
        weight, bias = collapse(out.parameters(k))
        collapsed = torch.sigmoid(model_data[k] @ weight.T + bias)
        differences.append(float((out.outputs[k] - collapsed).abs().max()))
        weights.append([float(weight[0, 0]), float(weight[0, 1]), float(bias[0])])
    weights_array, differences_array = np.array(weights), np.array(differences)
    return {
        "collapsed_weights": weights_array[1:].reshape(reps, n_rates, 3),
        "collapse_max_abs_diff": differences_array[1:].reshape(reps, n_rates),
        "demo_collapsed_weights": weights_array[0],  # for the decision_boundaries figure
    }


@note_divergence_of(RUNS)
@with_repetitions(single=("losses",))
def figures(result: Result) -> dict[str, Figure]:
    """``sweep``, ``losses`` (a panel per variant), ``decision_boundaries`` and ``decision_surface``."""
    metrics, params = result.metrics, result.params
    names = list(metrics["models"])
    accuracy = np.asarray(metrics["accuracy"], dtype=float)

    sweep_fig, ax = figure()
    accuracy_panel(ax, metrics["learning_rates"], {name: accuracy[:, v] for v, name in enumerate(names)},
                   legend=True)

    losses = np.asarray(metrics["losses"], dtype=float)[0]
    loss_fig, axes = figure(ncols=len(names))
    for ax, name, curves in zip(np.atleast_1d(axes), names, losses, strict=True):
        losses_panel(ax, curves, f"Losses by learning rate ({name})")

    data, labels = rep0_qwerties(params)
    boundary_fig, ax = figure()
    plot_classes(ax, data, labels)
    if "demo_collapsed_weights" in metrics:
        w1, w2, b = np.asarray(metrics["demo_collapsed_weights"], dtype=float)
        drawn = plottable(data)
        xs = np.linspace(np.nanmin(drawn[:, 0]), np.nanmax(drawn[:, 0]), 2)
        if np.isfinite([w1, w2, b]).all() and abs(w2) > 1e-12:  # (a diverged model has no boundary)
            with np.errstate(all="ignore"):
                ax.plot(xs, plottable(-(w1 * xs + b) / w2), "m-", linewidth=2)
        elif np.isfinite([w1, w2, b]).all():
            ax.axvline(-b / w1 if abs(w1) > 1e-12 else 0.0, color="m", linewidth=2)
        set_limits(ax, "y", np.nanmin(drawn[:, 1]) - 1, np.nanmax(drawn[:, 1]) + 1)
        ax.legend(["class 0", "class 1", "w·x + b = 0"])
        ax.set_title(f"Collapsed linear model: w = [{w1:.3g}, {w2:.3g}], b = {b:.3g}")
    else:
        ax.set_title("(no linear model in this run)")
    ax.set_xlabel("qwerty dimension 1")
    ax.set_ylabel("qwerty dimension 2")

    demo_accuracy = np.asarray(metrics["demo_accuracy"], dtype=float)
    surface_fig = decision_surface_figure(
        metrics["decision_surface"], metrics["decision_surface_extent"], data, labels,
        [f"{name} demo ({acc:g}% correct)" for name, acc in zip(names, demo_accuracy, strict=True)])
    return {"sweep": sweep_fig, "losses": loss_fig, "decision_boundaries": boundary_fig,
            "decision_surface": surface_fig}


def printed(result: Result) -> list[str]:
    """No course output: each variant's demo accuracy and success fraction (ann.multilayer's lines), the
    logistic-regression baseline and the collapse check; then the spread over repetitions."""
    metrics = result.metrics
    names = list(metrics["models"])
    demo_accuracy = np.asarray(metrics["demo_accuracy"], dtype=float)
    success = np.asarray(metrics["success_fraction"], dtype=float)
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    lines = [f"{name}: Final accuracy: {demo_accuracy[v]:g}% (demo); success fraction "
             f"{tensor_text(success[0, v])}" for v, name in enumerate(names)]
    lines.append("Logistic regression (scikit-learn defaults): "
                 f"{float(np.asarray(metrics['logistic_regression_accuracy'])[0]):g}%")
    if "collapse_max_abs_diff" in metrics:
        w1, w2, b = np.asarray(metrics["demo_collapsed_weights"], dtype=float)
        differences = np.asarray(metrics["collapse_max_abs_diff"], dtype=float)
        largest = np.nanmax(differences) if not np.isnan(differences).all() else np.nan  # NaN: all diverged
        lines.append(f"linear demo collapsed to one layer: w = [{w1:.4g}, {w2:.4g}], b = {b:.4g}; max |model - "
                     f"one layer| over the sweep = {largest:.2g}")
    if accuracy.shape[0] > 1:
        lines += [summary_line(f"Success fraction ({name})", success[:, v],
                               failed=chance_failed(accuracy[:, v])) + " of the models at chance"
                  for v, name in enumerate(names)]
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines
