"""ann.learning-rates: a learning-rate sweep, and the meta-experiment that repeats it
(ANN/DUDL_ANN_learningrates).

One sweep suggests that some learning rates work and others do not; repeating the whole sweep 50 times
shows that accuracy barely depends on the learning rate: every model either works (~95%) or sits at
chance (50%) because its one ReLU unit died, whatever the rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import engine, models, seeding
from dudl.lectures.ann.accuracy import chance_failed, success_fraction
from dudl.lectures.ann.qwerty import binary_targets, check_centers, qwerties_for_reps
from dudl.lectures.ann.sweeps import accuracy_panel, demo_losses_figure, sweep_figure
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure, plottable
from dudl.lectures.printing import tensor_text
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param, sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
Final accuracy: 51.5%
tensor(0.6750)
(the original notebook's run: Final accuracy: 92% and tensor(0.7000))"""

NOTES = ("new_data_each_rep = true draws new qwerties for every repetition of the meta-experiment (the course "
         "reuses one dataset), so the spread also includes the data's. The summary's 'failed' fraction is the "
         "share of all meta-experiment models at chance level (50%).")


RUNS = ("demo_accuracy", "sweep_accuracy", "accuracy")  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The same model trained with 40 learning rates, and the whole sweep repeated (the meta-experiment). Each "
    "model either learns or stays at chance; larger learning rates succeed more often, but never always."
)
CAPTIONS = {
    "demo_losses": "one model's loss over the epochs",
    "sweep": "accuracy against learning rate, one repetition: models either learn (near 100%) or sit at 50%",
    "meta_accuracy": "accuracy against learning rate over all repetitions: the mean with a band for the spread",
    "meta_accuracy_map": "every repetition's accuracy at every learning rate: bright is learned, dark is chance",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    centers: tuple[tuple[float, float], ...] = param(((1, 1), (5, 1)), "class centres A, B ([x, y] each)")
    n_per_cluster: int = param(100, "points per class", ge=1)
    blur: float = param(1.0, "standard deviation around each centre (course exercise 1 varies it)", ge=0)
    learning_rates: tuple[float, ...] = sweep("linspace(.001,.1,40)", "learning rates (sweep axis)",
                                              gt=0, allow_inf=True)
    epochs: int = param(1000, "epochs of the demo and of the single sweep", ge=1)
    demo_learning_rate: float = param(0.01, "learning rate of the single demo run", gt=0, allow_inf=True)
    success_threshold: float = param(70.0, "accuracy (%) above which a model counts as a success",
                                     ge=0, le=100)
    meta_experiment: bool = param(True, "run the repeated sweep (the meta-experiment)")
    meta_epochs: int = param(500, "epochs in the meta-experiment (fewer, to reduce computation time)", ge=1)
    new_data_each_rep: bool = param(False, "draw new qwerties per repetition (the course uses one dataset)")
    seed: int = seed_param()
    reps: int = reps_param(50)

    def check(self) -> None:
        check_centers(self.centers, 2)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Demo + single sweep (stream 2) in one batch; the meta-experiment (stream 1) in another."""
    architecture = models.qwerty_logit_net()
    learning_rates = np.asarray(params.learning_rates, dtype=float)
    n_rates = len(learning_rates)
    data_args = (params.centers, params.n_per_cluster, params.blur)
    data, labels = qwerties_for_reps(params.seed, 1, *data_args)  # the qwerties once: the data of rep 0

    # demo (index (0,)) and the single sweep (index (1, lr_index)): one batch, `epochs` epochs
    keys = [seeding.key(params.seed, seeding.DEMO, 0)]
    keys += [seeding.key(params.seed, seeding.DEMO, 1, i) for i in range(n_rates)]
    rates = [params.demo_learning_rate, *learning_rates]
    targets = binary_targets(labels[0])
    out = engine.train(architecture, data[0], targets, learning_rates=rates, epochs=params.epochs, keys=keys,
                       record=("losses",), device=device)
    accuracy = engine.accuracy(out.outputs, labels, architecture).numpy()
    final_loss = engine.loss_values(out.outputs, targets, architecture).numpy().astype(np.float64)
    metrics: dict[str, Any] = {
        "learning_rates": learning_rates,
        "demo_accuracy": float(accuracy[0]),
        "demo_final_loss": float(final_loss[0]),
        "demo_losses": out.losses[0].numpy(),
        "sweep_accuracy": accuracy[1:],
        "sweep_losses": out.losses[1:].numpy(),
        "sweep_success_fraction": float(success_fraction(accuracy[1:], params.success_threshold)),
    }
    if params.meta_experiment:
        metrics.update(meta_experiment(params, architecture, data, labels, device))
    return metrics


def meta_experiment(params: Params, architecture: engine.Architecture, data: torch.Tensor, labels: torch.Tensor,
                    device: str) -> dict[str, np.ndarray]:
    """Every (repetition, learning rate) cell: a fresh model trained ``meta_epochs`` epochs, all at once."""
    n_rates = len(params.learning_rates)
    cells = [(rep, i) for rep in range(params.reps) for i in range(n_rates)]
    keys = [seeding.key(params.seed, seeding.MODEL, rep, i) for rep, i in cells]
    rates = [params.learning_rates[i] for _, i in cells]
    if params.new_data_each_rep:
        data, labels = qwerties_for_reps(params.seed, params.reps, params.centers, params.n_per_cluster,
                                         params.blur)
        rows = torch.tensor([rep for rep, _ in cells])
        data, labels = data[rows], labels[rows]
    targets = binary_targets(labels)
    out = engine.train(architecture, data, targets, learning_rates=rates, epochs=params.meta_epochs, keys=keys,
                       record=(), device=device)
    accuracy = engine.accuracy(out.outputs, labels, architecture).numpy().reshape(params.reps, n_rates)
    final_loss = engine.loss_values(out.outputs, targets, architecture).numpy().astype(np.float64)
    return {
        "accuracy": accuracy,
        "final_loss": final_loss.reshape(params.reps, n_rates),
        "mean_accuracy": accuracy.mean(axis=0),
        "median_accuracy": np.median(accuracy, axis=0),
        "success_fraction": success_fraction(accuracy, params.success_threshold),
    }


@note_divergence_of(RUNS)
def figures(result: Result) -> dict[str, Figure]:
    """``demo_losses``, ``sweep``; with the meta-experiment ``meta_accuracy`` and ``meta_accuracy_map``."""
    metrics = result.metrics
    learning_rates = np.asarray(metrics["learning_rates"], dtype=float)
    figs = {"demo_losses": demo_losses_figure(metrics["demo_losses"]),
            "sweep": sweep_figure(learning_rates, {"accuracy": metrics["sweep_accuracy"]},
                                  metrics["sweep_losses"])}
    if "accuracy" in metrics:
        accuracy = np.asarray(metrics["accuracy"], dtype=float)
        meta_fig, ax = figure()
        several = accuracy.shape[0] > 1
        label = f"mean over {accuracy.shape[0]} reps" if several else None
        accuracy_panel(ax, learning_rates, {label: accuracy}, legend=several)
        from matplotlib.ticker import MaxNLocator

        map_fig, ax = figure()
        columns = ~np.isnan(plottable(learning_rates))  # pcolormesh takes finite coordinates only
        if columns.any():
            image = ax.pcolormesh(learning_rates[columns], np.arange(accuracy.shape[0]), accuracy[:, columns],
                                  shading="nearest", vmin=40, vmax=100, cmap="viridis")
            map_fig.colorbar(image, ax=ax, label="Accuracy (%)")
        ax.set_xlabel("Learning rate")
        ax.set_ylabel("Repetition")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Accuracy by learning rate and repetition")
        figs.update(meta_accuracy=meta_fig, meta_accuracy_map=map_fig)
    return figs


def printed(result: Result) -> list[str]:
    """``Final accuracy`` of the demo and the single sweep's success fraction; then the meta-experiment's."""
    metrics = result.metrics
    lines = [f"Final accuracy: {float(result.metric('demo_accuracy')):g}%",
             tensor_text(metrics["sweep_success_fraction"])]
    if "success_fraction" in metrics and result.params["reps"] > 1:
        lines.append(summary_line("Meta-experiment success fraction", metrics["success_fraction"],
                                  failed=chance_failed(metrics["accuracy"])) + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines
