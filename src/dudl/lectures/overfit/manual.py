"""overfit.manual: cross-validation by hand (overfitting/DUDL_overfitting_manual).

Split iris into train and test rows with numpy, compare the mean label of each set (iris is sorted by
species, so the first 80% of the rows leave only virginica for the test set), train the 4-64-64-3 iris net
on the training rows only, and compare its train and test accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from dudl.core import data, engine, models, seeding, splits
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure
from dudl.lectures.overfit import checks
from dudl.lectures.printing import tensor_text
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import ParamError, param, reps_param, seed_param
from dudl.params import Params as BaseParams

COURSE_OUTPUT = """\
(the 150-element boolean mask traintestBool, 120 True)
Average of full data:
tensor(1.)

Average of training data:
tensor(1.0250)

Average of test data:
tensor(0.9000)
torch.Size([150, 4])
torch.Size([120, 4])
torch.Size([30, 4])
Final TRAIN accuracy: 97.5%
Final TEST accuracy:  100%

"first" split (deterministic): tensor(1.), tensor(0.7500), tensor(2.)"""

NOTES = (
    "split_method shows why a split must be random: iris is sorted by species, so \"first\" trains on all "
    "50 setosa, all 50 versicolor and only 20 virginica, and tests on 30 virginica (test mean label 2). The "
    "model sees few virginica (test accuracy ~72% over 50 reps, against ~98% for a random split), and its "
    "test accuracy says nothing about setosa or versicolor (test_class_accuracy is null for them). "
    "\"stratified\" (exercise 1) draws 80% of each species, so the train and test mean labels are exactly 1. "
    "In the published run the split cells were re-executed after training, so its printed mask and label "
    "means (1.025, 0.9) belong to a later split than its accuracies."
)


RUNS = ("test_accuracy",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Splitting the data by hand into training and test sets. The split must be random: iris is sorted by species,"
    " so taking the first 80% leaves only one species to test on."
)
CAPTIONS = {
    "training": "loss and training accuracy over the epochs",
    "test_accuracy_spread": "each random split's test accuracy: it depends on which flowers are tested",
}
REPORT_REPS = 10


@dataclass(frozen=True)
class Params(BaseParams):
    """overfit.manual parameters (course defaults)."""

    train_proportion: float = param(0.8, "fraction of rows for training (int(150*0.8) = 120)", gt=0, lt=1)
    split_method: Literal["random", "first", "stratified"] = param(
        "random", "random (np.random.choice), first (the first rows), stratified (random, balanced species)"
    )
    n_hidden: int = param(64, "hidden units per hidden layer of the 4-h-h-3 iris net", ge=1)
    learning_rate: float = param(0.01, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(1000, "full-batch epochs on the training rows", ge=1)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        labels = data.iris()[1]
        if self.split_method == "stratified":
            per_species = int(self.train_proportion * 50)
            if per_species < 1:
                raise ParamError(
                    f"parameter 'train_proportion' = {self.train_proportion:g} leaves a species without training "
                    f"rows (int(p*50) = {per_species}); allowed with split_method \"stratified\": >= 0.02 and < 1"
                )
        checks.check_split("train_proportion", self.train_proportion, train_size(self, labels), len(labels),
                           f"int({self.train_proportion:g}*150)")


def train_size(params: Params, labels: np.ndarray) -> int:
    """Training rows of the split: ``int(p*150)``, or the sum over species of ``int(p*50)`` when stratified."""
    if params.split_method == "stratified":
        return splits.stratified_sizes(labels, params.train_proportion)
    return int(params.train_proportion * len(labels))


def train_mask(params: Params, labels: np.ndarray, rep: int) -> np.ndarray:
    """[150] bool: repetition ``rep``'s training rows (drawn from the model's key, stream 1)."""
    n_rows = len(labels)
    if params.split_method == "first":
        return splits.first_rows_mask(n_rows, train_size(params, labels))
    rng = seeding.numpy_rng(seeding.key(params.seed, seeding.MODEL, rep))
    if params.split_method == "stratified":
        return splits.stratified_train_mask(rng, labels, params.train_proportion)
    return splits.random_train_mask(rng, n_rows, train_size(params, labels))


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Split, compare the label means, train one iris net per repetition on its training rows."""
    features, labels = data.iris()
    masks = np.stack([train_mask(params, labels, rep) for rep in range(params.reps)])  # [reps, 150]
    label_float = labels.astype(np.float32)
    label_mean_train = np.array([label_float[m].mean() for m in masks])
    label_mean_test = np.array([label_float[~m].mean() for m in masks])

    architecture = models.iris_net(params.n_hidden)
    train_rows = torch.from_numpy(masks)
    out = engine.train(
        architecture, torch.from_numpy(features), torch.from_numpy(labels),
        learning_rates=[params.learning_rate] * params.reps, epochs=params.epochs,
        keys=[seeding.key(params.seed, seeding.MODEL, rep) for rep in range(params.reps)],
        train_mask=train_rows, record=("losses", "accuracy"), device=device,
    )
    targets = torch.from_numpy(labels)
    species = torch.from_numpy(labels)[None, :] == torch.arange(3)[:, None]  # [3, 150]
    test_class_accuracy = torch.stack(
        [engine.accuracy(out.outputs, targets, architecture, ~train_rows & species[c]) for c in range(3)], dim=1
    )
    return {
        "n_train": int(masks[0].sum()),
        "n_test": int((~masks[0]).sum()),
        "label_mean_full": float(label_float.mean()),
        "label_mean_train": label_mean_train,
        "label_mean_test": label_mean_test,
        "train_mask": masks,
        "losses": out.losses.numpy(),
        "train_accuracy_by_epoch": out.accuracy.numpy(),
        "train_accuracy": engine.accuracy(out.outputs, targets, architecture, train_rows).numpy(),
        "test_accuracy": engine.accuracy(out.outputs, targets, architecture, ~train_rows).numpy(),
        "test_class_accuracy": test_class_accuracy.numpy(),
    }


def printed(result: Any) -> list[str]:
    """The course's lines for repetition 0: the mask, the three label means, the shapes, the accuracies."""
    metrics = result.metrics
    mask = np.asarray(metrics["train_mask"], dtype=bool)[0]
    means = [metrics["label_mean_full"], np.asarray(metrics["label_mean_train"])[0],
             np.asarray(metrics["label_mean_test"])[0]]
    tensors = [tensor_text(m) for m in means]
    train_accuracy = np.asarray(metrics["train_accuracy"], dtype=float)
    test_accuracy = np.asarray(metrics["test_accuracy"], dtype=float)
    lines = str(mask).splitlines() + [
        "Average of full data:", tensors[0], "",
        "Average of training data:", tensors[1], "",
        "Average of test data:", tensors[2],
        "torch.Size([150, 4])",
        f"torch.Size([{metrics['n_train']}, 4])",
        f"torch.Size([{metrics['n_test']}, 4])",
        f"Final TRAIN accuracy: {train_accuracy[0]:g}%",
        f"Final TEST accuracy:  {test_accuracy[0]:g}%",
    ]
    if len(test_accuracy) > 1:
        lines.append(summary_line("Final TEST accuracy", test_accuracy, unit="%"))
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


@note_divergence_of(RUNS)
@with_repetitions(
    single=("training",),
    spreads={"test_accuracy_spread": Spread("test_accuracy", "test accuracy (%)")},
)
def figures(result: Any) -> dict[str, Any]:
    """``training``: loss and train accuracy per epoch of repetition 0, the final test accuracy as a marker."""
    losses = result.metric("losses")[0]
    train_accuracy = result.metric("train_accuracy_by_epoch")[0]
    test_accuracy = float(result.metric("test_accuracy")[0])
    epochs = np.arange(len(losses))
    fig, (ax_loss, ax_accuracy) = figure(ncols=2)
    ax_loss.plot(epochs, losses, "k-")
    ax_loss.set(xlabel="Epochs", ylabel="Loss", title="Losses")
    ax_accuracy.plot(epochs, train_accuracy, "b-", label="Train")
    ax_accuracy.plot([epochs[-1]], [test_accuracy], "ro", markersize=8, label="Final test")
    ax_accuracy.set(xlabel="Epochs", ylabel="Accuracy (%)",
                    title=f"Accuracy ({result.params['split_method']} split)")
    ax_accuracy.legend()
    return {"training": fig}
