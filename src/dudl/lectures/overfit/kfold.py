"""overfit.kfold: K-fold cross-validation of the iris model (lecture "Cross-validation"; no notebook).

scikit-learn's ``KFold`` (or ``StratifiedKFold``) cuts iris into k test folds; fold i's model trains on the
other k-1 folds and is tested on fold i, so every row is tested exactly once. The spread of the k test
accuracies is how much one 80/20 split (one fold of k = 5) can vary. All reps x k models train together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dudl.core import data, engine, models, seeding, splits
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure
from dudl.lectures.overfit import checks
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

COURSE_OUTPUT = """\
(no notebook: the course explains K-fold cross-validation in the lecture but runs only single splits)
Fold <i>: TRAIN accuracy <a>%, TEST accuracy <b>%   (one line per fold)
Mean TEST accuracy: <m>% (sd <s>)"""

NOTES = (
    "Each fold's test accuracy is one 80/20 estimate (for k = 5): their spread is how much a single split, "
    "like overfit.manual's, can vary. With shuffle=false and unstratified folds, the sorted iris rows give "
    "test folds of one or two species, and for k = 3 each test fold is the species its model never saw, so "
    "every fold's test accuracy is 0% (the manual notebook's \"first rows\" mistake); stratified=true keeps "
    "every species balanced in every fold."
)


RUNS = ("test_accuracy",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "K-fold cross-validation trains K models, each tested on a different fifth of the data. Look at how much the "
    "test accuracy varies from fold to fold: one split alone can be lucky or unlucky."
)
CAPTIONS = {
    "fold_accuracy": "training and test accuracy of each fold, with their mean",
    "test_accuracy_by_epoch": "each fold's test accuracy over the epochs",
    "mean_accuracy_spread": "each repetition's cross-validated accuracy: it still varies with the shuffle",
}
REPORT_REPS = 5


@dataclass(frozen=True)
class Params(BaseParams):
    """overfit.kfold parameters."""

    k: int = param(5, "number of folds (>= 2)", ge=2)
    stratified: bool = param(False, "use StratifiedKFold (each fold keeps the species balance)")
    shuffle: bool = param(True, "shuffle the rows before cutting the folds (iris is sorted by species)")
    n_hidden: int = param(64, "hidden units per hidden layer of the 4-h-h-3 iris net", ge=1)
    learning_rate: float = param(0.01, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(1000, "full-batch epochs per fold", ge=1)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        checks.check_kfold(self.k, data.iris()[1], stratified=self.stratified)


def fold_masks(params: Params, labels: np.ndarray, rep: int) -> np.ndarray:
    """[k, 150] bool test folds of repetition ``rep`` (fold assignment from its data key, stream 0)."""
    state = seeding.sklearn_state(seeding.key(params.seed, seeding.DATA, rep))
    return splits.kfold_test_masks(len(labels), params.k, shuffle=params.shuffle, random_state=state,
                                   labels=labels if params.stratified else None)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Folds per repetition, then all reps x k fold models (stream 1, cell (fold,)) in one train call."""
    features, labels = data.iris()
    folds = np.stack([fold_masks(params, labels, rep) for rep in range(params.reps)])  # [reps, k, 150]
    keys = [seeding.key(params.seed, seeding.MODEL, rep, fold)
            for rep in range(params.reps) for fold in range(params.k)]
    test_rows = torch.from_numpy(folds.reshape(-1, len(labels)))  # [reps*k, 150]

    architecture = models.iris_net(params.n_hidden)
    targets = torch.from_numpy(labels)
    out = engine.train(
        architecture, torch.from_numpy(features), targets, learning_rates=[params.learning_rate] * len(keys),
        epochs=params.epochs, keys=keys, train_mask=~test_rows,
        record=("losses", "accuracy", "test_accuracy"), device=device,
    )
    shape = (params.reps, params.k)
    train_accuracy = engine.accuracy(out.outputs, targets, architecture, ~test_rows).numpy().reshape(shape)
    test_accuracy = engine.accuracy(out.outputs, targets, architecture, test_rows).numpy().reshape(shape)
    species = np.arange(3)
    return {
        "fold_test_sizes": folds[0].sum(axis=1),
        "fold_class_counts": (folds[..., None] & (labels[:, None] == species)).sum(axis=2),
        "losses": out.losses.numpy().reshape(*shape, params.epochs),
        "train_accuracy_by_epoch": out.accuracy.numpy().reshape(*shape, params.epochs),
        "test_accuracy_by_epoch": out.test_accuracy.numpy().reshape(*shape, params.epochs),
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "mean_test_accuracy": test_accuracy.mean(axis=1),
        "std_test_accuracy": test_accuracy.std(axis=1),
        "mean_train_accuracy": train_accuracy.mean(axis=1),
    }


def printed(result: Any) -> list[str]:
    """One line per fold of repetition 0, then the mean and sd over its folds (and a summary over reps)."""
    metrics = result.metrics
    train = np.asarray(metrics["train_accuracy"], dtype=float)
    test = np.asarray(metrics["test_accuracy"], dtype=float)
    means = np.asarray(metrics["mean_test_accuracy"], dtype=float)
    sds = np.asarray(metrics["std_test_accuracy"], dtype=float)
    lines = [f"Fold {fold + 1}: TRAIN accuracy {train[0, fold]:.4g}%, TEST accuracy {test[0, fold]:.4g}%"
             for fold in range(train.shape[1])]
    lines.append(f"Mean TEST accuracy: {means[0]:.4g}% (sd {sds[0]:.3g})")
    if len(means) > 1:
        lines.append(summary_line("Mean TEST accuracy", means, unit="%"))
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


@note_divergence_of(RUNS)
@with_repetitions(
    single=("fold_accuracy", "test_accuracy_by_epoch"),
    spreads={"mean_accuracy_spread": Spread("mean_test_accuracy", "mean test accuracy over the folds (%)")},
)
def figures(result: Any) -> dict[str, Any]:
    """``fold_accuracy`` (bars per fold, the mean and the fold range) and ``test_accuracy_by_epoch``; rep 0."""
    metrics = result.metrics
    train = np.asarray(metrics["train_accuracy"], dtype=float)[0]
    test = np.asarray(metrics["test_accuracy"], dtype=float)[0]
    k = len(test)
    # rep 0's mean and sd (ddof 0) of the fold test accuracies, as run() stored them
    mean = float(np.asarray(metrics["mean_test_accuracy"], dtype=float)[0])
    sd = float(np.asarray(metrics["std_test_accuracy"], dtype=float)[0])
    folds = np.arange(1, k + 1)

    fig_bars, ax = figure(width=max(6.0, 0.6 * k + 3))
    ax.bar(folds - 0.2, train, width=0.4, color="tab:blue", label="Train")
    test_bars = ax.bar(folds + 0.2, test, width=0.4, color="tab:red", label="Test")
    if k <= 20:
        ax.bar_label(test_bars, fmt="%.1f", fontsize=8)
    ax.axhspan(mean - sd, mean + sd, color="k", alpha=0.08, label=f"Mean test ± sd ({sd:.1f})")
    ax.axhline(mean, color="k", linestyle="--", label="Mean test accuracy")
    ax.set(xlabel="Fold", ylabel="Accuracy (%)", ylim=(0, 110))
    ax.set_xticks(folds)
    ax.set_title(f"{k}-fold cross-validation: mean test accuracy = {mean:.1f}%\n"
                 f"test accuracy over folds: {np.nanmin(test):.1f}% to {np.nanmax(test):.1f}%", fontsize=11)
    fig_bars.legend(loc="outside lower center", ncols=4, fontsize=8)

    by_epoch = np.asarray(metrics["test_accuracy_by_epoch"], dtype=float)[0]  # [k, epochs]
    fig_epochs, ax = figure()
    for fold in range(k):
        ax.plot(by_epoch[fold], label=f"Fold {fold + 1}")
    ax.set(xlabel="Epochs", ylabel="Test accuracy (%)")
    if k <= 10:
        ax.legend()
    return {"fold_accuracy": fig_bars, "test_accuracy_by_epoch": fig_epochs}
