"""overfit.sklearn: cross-validation with scikit-learn (overfitting/DUDL_overfitting_scikitlearn).

``train_test_split`` on the 10x4 toy data, then on iris: one demo model watched over epochs (train and test
accuracy), and a parametric experiment over the training proportion. Every model gets its own split, drawn
by scikit-learn with a ``random_state`` from the model's key; the demo and all sweep models train together.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dudl.core import data, engine, models, seeding, splits
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure, train_test_accuracy_figure
from dudl.lectures.overfit import checks
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param, sweep

COURSE_OUTPUT = """\
[[ 11  12  13  14]
 [ 21  22  23  24]
 ...
 [101 102 103 104]]

[False False False False False  True  True  True  True  True]
Training data size: (8, 4)
Test data size: (2, 4)
(then the 8 training rows and the 2 test rows; the rows are random)"""

NOTES = (
    "resplit_every_epoch reproduces the original notebook's train_test_split inside the epoch loop (\"Note 1: "
    "unique split for each epoch!\"). Each epoch then trains on a different 80% of the rows, so over the epochs "
    "every row is trained on, and the \"test\" accuracy of the last epoch is measured on rows the model has "
    "already learned: it climbs to the training accuracy instead of estimating generalisation (a test set "
    "leaking into training). At a training proportion of .2 (30 rows), over 50 reps, the final \"test\" "
    "accuracy is 92.6% with re-splitting against 85.8% on truly held-out rows. The default (false) follows "
    "the published run: one fixed split per model."
)

TOY_INDEX = 1  # stream 2 index of the toy-data split (index 0 is the iris demo model)


RUNS = ("test_accuracy",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "scikit-learn's train_test_split does the random split. Look at the test accuracy following the training "
    "accuracy, and at how the accuracy depends on how much data goes to training."
)
CAPTIONS = {
    "demo_accuracy": "training and test accuracy over the epochs",
    "accuracy_heatmaps": "accuracy over epochs and training proportion, training and test side by side",
    "test_accuracy_spread": "each repetition's final test accuracy for each training proportion",
}
REPORT_REPS = 5


@dataclass(frozen=True)
class Params(BaseParams):
    """overfit.sklearn parameters (course defaults)."""

    train_proportion: float = param(0.8, "training fraction of the single demo run", gt=0, lt=1)
    train_proportions: tuple[float, ...] = sweep("linspace(.2,.95,10)", "training proportions of the sweep",
                                                 gt=0, lt=1)
    n_hidden: int = param(64, "hidden units per hidden layer of the 4-h-h-3 iris net", ge=1)
    learning_rate: float = param(0.01, "SGD learning rate (course exercise 1: .001)", gt=0, allow_inf=True)
    epochs: int = param(200, "full-batch epochs (course exercise 1: 1000)", ge=1)
    resplit_every_epoch: bool = param(False, "quirk: draw a new train/test split at every epoch (original code)")
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        checks.check_sklearn_proportion("train_proportion", self.train_proportion, 150)
        for proportion in self.train_proportions:
            checks.check_sklearn_proportion("train_proportions", proportion, 150)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Toy split; then the demo model and every (rep, proportion) model in one batched train call."""
    fake_data, _ = data.toy()
    fake_train, fake_test = splits.train_test_indices(
        len(fake_data), test_size=0.2, random_state=seeding.sklearn_state(seeding.key(params.seed, seeding.DEMO,
                                                                                      TOY_INDEX)))
    features, labels = data.iris()
    n_rows = len(labels)
    proportions = np.asarray(params.train_proportions, dtype=float)
    # model 0: the demo (stream 2); then rep-major, proportion-minor sweep cells (stream 1, cell (i,))
    keys = [seeding.key(params.seed, seeding.DEMO, 0)]
    cell_proportions = [params.train_proportion]
    for rep in range(params.reps):
        for index, proportion in enumerate(proportions):
            keys.append(seeding.key(params.seed, seeding.MODEL, rep, index))
            cell_proportions.append(float(proportion))
    n_splits = params.epochs if params.resplit_every_epoch else 1  # one split per model, or one per epoch
    masks = np.stack([splits.resplit_masks(n_rows, p, n_splits, seeding.sklearn_state(k))
                      for p, k in zip(cell_proportions, keys, strict=True)])  # [M, 1 or epochs, N]
    train_rows = torch.from_numpy(masks)

    architecture = models.iris_net(params.n_hidden)
    targets = torch.from_numpy(labels)
    out = engine.train(
        architecture, torch.from_numpy(features), targets,
        learning_rates=[params.learning_rate] * len(keys), epochs=params.epochs, keys=keys,
        train_mask=train_rows, record=("accuracy", "test_accuracy"), device=device,
    )
    last_split = torch.from_numpy(masks[:, -1])
    train_accuracy = engine.accuracy(out.outputs, targets, architecture, last_split).numpy()
    test_accuracy = engine.accuracy(out.outputs, targets, architecture, ~last_split).numpy()
    sweep_shape = (params.reps, len(proportions))
    return {
        "fake_train_shape": np.array([len(fake_train), fake_data.shape[1]]),
        "fake_test_shape": np.array([len(fake_test), fake_data.shape[1]]),
        "fake_train_rows": fake_train,
        "fake_test_rows": fake_test,
        "n_train": int(masks[0, 0].sum()),
        "n_test": int(n_rows - masks[0, 0].sum()),
        "demo_train_accuracy_by_epoch": out.accuracy[0].numpy(),
        "demo_test_accuracy_by_epoch": out.test_accuracy[0].numpy(),
        "train_proportions": proportions,
        "train_sizes": np.array([splits.sklearn_sizes(n_rows, p)[0] for p in proportions]),
        "train_accuracy_by_epoch": out.accuracy[1:].numpy().reshape(*sweep_shape, params.epochs),
        "test_accuracy_by_epoch": out.test_accuracy[1:].numpy().reshape(*sweep_shape, params.epochs),
        "train_accuracy": train_accuracy[1:].reshape(sweep_shape),
        "test_accuracy": test_accuracy[1:].reshape(sweep_shape),
    }


def printed(result: Any) -> list[str]:
    """The toy data, labels, split sizes and split rows, as the course printed them."""
    metrics = result.metrics
    fake_data, fake_labels = data.toy()
    train_rows = np.asarray(metrics["fake_train_rows"], dtype=int)
    test_rows = np.asarray(metrics["fake_test_rows"], dtype=int)
    train_shape = tuple(int(v) for v in metrics["fake_train_shape"])
    test_shape = tuple(int(v) for v in metrics["fake_test_shape"])
    lines = [*str(fake_data).splitlines(), "", str(fake_labels),
             f"Training data size: {train_shape}", f"Test data size: {test_shape}", "",
             *str(fake_data[train_rows]).splitlines(), "", *str(fake_data[test_rows]).splitlines()]
    test_accuracy = np.asarray(metrics["test_accuracy"], dtype=float)
    if test_accuracy.shape[0] > 1:
        with warnings.catch_warnings():  # a repetition whose every model diverged has no mean (NaN)
            warnings.simplefilter("ignore", RuntimeWarning)
            means = np.nanmean(test_accuracy, axis=1)
        lines.append(summary_line("Final TEST accuracy (mean over training proportions)", means, unit="%"))
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


@note_divergence_of(RUNS)
@with_repetitions(spreads={"test_accuracy_spread": Spread(
    "test_accuracy", "final test accuracy (%)", groups="train_proportions", groups_label="training proportion")})
def figures(result: Any) -> dict[str, Any]:
    """``demo_accuracy`` (the demo's curves) and ``accuracy_heatmaps`` (mean over reps, proportion x epoch)."""
    metrics = result.metrics
    fig_demo = train_test_accuracy_figure(metrics["demo_train_accuracy_by_epoch"],
                                                 metrics["demo_test_accuracy_by_epoch"])

    proportions = np.asarray(metrics["train_proportions"], dtype=float)
    order = np.argsort(proportions)  # smallest proportion in the top row
    epochs = int(result.params["epochs"])
    fig_maps, axes = figure(ncols=2, width=6.5)
    for ax, name, title in zip(axes, ("train_accuracy_by_epoch", "test_accuracy_by_epoch"),
                               ("Training accuracy", "Test accuracy"), strict=True):
        mean = np.nanmean(np.asarray(metrics[name], dtype=float), axis=0)[order]  # [n_proportions, epochs]
        image = ax.imshow(mean, aspect="auto", vmin=50, vmax=90, interpolation="nearest",
                          extent=(0, epochs, len(order) - 0.5, -0.5))
        ax.set_yticks(np.arange(len(order)), [f"{p:.2f}" for p in proportions[order]])
        ax.set(xlabel="Epochs", ylabel="Training size proportion", title=title)
        fig_maps.colorbar(image, ax=ax)
    return {"demo_accuracy": fig_demo, "accuracy_heatmaps": fig_maps}
