"""overfit.dataloader: TensorDataset and DataLoader (overfitting/DUDL_overfitting_dataLoader).

The toy demo uses real ``torch.utils.data`` objects, as the lecture teaches them: a ``DataLoader``'s default
batch size is 1; a ``TensorDataset`` pairs rows with labels; a split goes into a train loader of batches of 4
and a test loader of single rows. Then the iris net trains in mini-batches of 12: the batched engine plays
the model's ``DataLoader(train, shuffle=True, batch_size=12)``, with each model's batch order drawn from its
own key, and each model's rows in its ``train_test_split`` order (what ``shuffle=False`` iterates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from dudl.core import data, engine, models, seeding, splits
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import train_test_accuracy_figure
from dudl.lectures.overfit import checks
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.lectures.summaries import summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

COURSE_OUTPUT = """\
(the toy data and labels; the DataLoader object's repr)
1
(10 shuffled single-row batches, each torch.Size([1, 4]); the TensorDataset's tensors, labels
tensor([0., 0., 0., 0., 0., 1., 1., 1., 1., 1.]); 10 shuffled (row, label) pairs)
TRAINING DATA
(2 batches of 4 rows)
TESTING DATA
(2 batches of 1 row)
torch.Size([12, 4]) torch.Size([12])
(ten times in all, then the last batch's X and y)"""

NOTES = (
    "shuffle (course exercise 1 turns it off) decides whether the training batches are reshuffled every "
    "epoch. Without it, each model sees the same 10 batches in the same order every epoch (its "
    "train_test_split order, which is already random), so learning still works but the updates repeat a "
    "fixed cycle. train_accuracy_by_epoch is the unweighted mean of the batch accuracies, measured while the "
    "model changes within the epoch, as the course computes it."
)

N_TOY_ROWS = 10


RUNS = ("test_accuracy",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "A DataLoader feeds the training data in mini-batches, shuffled every epoch. Look at the training and test "
    "accuracy rising together over the epochs."
)
CAPTIONS = {
    "accuracy": "training and test accuracy over the epochs",
    "test_accuracy_spread": "each repetition's final test accuracy",
}
REPORT_REPS = 5


@dataclass(frozen=True)
class Params(BaseParams):
    """overfit.dataloader parameters (course defaults)."""

    train_proportion: float = param(0.8, "train_test_split(train_size=...) of iris", gt=0, lt=1)
    batch_size: int = param(12, "training mini-batch size", ge=1)
    shuffle: bool = param(True, "reshuffle the training batches every epoch (course exercise 1: false)")
    n_hidden: int = param(64, "hidden units per hidden layer of the 4-h-h-3 iris net", ge=1)
    learning_rate: float = param(0.01, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(500, "epochs (each is one pass over all batches)", ge=1)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        checks.check_sklearn_proportion("train_proportion", self.train_proportion, 150)


def toy_loaders(seed: int) -> dict[str, Any]:
    """The lecture's toy demo with real DataLoader and TensorDataset objects (stream 2, index (0,)).

    Returns the default batch size, the single-row batch shapes of ``DataLoader(fake_data, shuffle=True)``
    and the batch sizes of the train loader (``batch_size=4``) and the test loader (default batch size).
    """
    demo_key = seeding.key(seed, seeding.DEMO, 0)
    fake_data, fake_labels = data.toy()
    fake_data = torch.tensor(fake_data, dtype=torch.float32)
    fake_labels = torch.tensor(fake_labels, dtype=torch.float32)
    single_rows = DataLoader(fake_data, shuffle=True, generator=seeding.torch_generator(demo_key))
    train, test = splits.train_test_indices(N_TOY_ROWS, test_size=0.2, random_state=seeding.sklearn_state(demo_key))
    train_loader = DataLoader(TensorDataset(fake_data[train], fake_labels[train]), batch_size=4)
    test_loader = DataLoader(TensorDataset(fake_data[test], fake_labels[test]))
    return {
        "fake_default_batch_size": int(single_rows.batch_size),
        "single_row_shapes": [tuple(batch.shape) for batch in single_rows],
        "fake_train_batch_sizes": np.array([len(x) for x, _ in train_loader]),
        "fake_test_batch_sizes": np.array([len(x) for x, _ in test_loader]),
    }


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Toy loaders, then every repetition's iris model in one mini-batch train call."""
    toy = toy_loaders(params.seed)
    features, labels = data.iris()
    n_rows = len(labels)
    keys = [seeding.key(params.seed, seeding.MODEL, rep) for rep in range(params.reps)]
    # each model's rows in its split's order: train rows first (as its DataLoader iterates them), then test
    orders = [np.concatenate(splits.train_test_indices(n_rows, train_size=params.train_proportion,
                                                       random_state=seeding.sklearn_state(k))) for k in keys]
    n_train, n_test = splits.sklearn_sizes(n_rows, params.train_proportion)
    inputs = torch.from_numpy(np.stack([features[order] for order in orders]))  # [reps, 150, 4]
    targets = torch.from_numpy(np.stack([labels[order] for order in orders]))  # [reps, 150]
    train_rows = torch.zeros(params.reps, n_rows, dtype=torch.bool)
    train_rows[:, :n_train] = True

    architecture = models.iris_net(params.n_hidden)
    out = engine.train(
        architecture, inputs, targets, learning_rates=[params.learning_rate] * params.reps,
        epochs=params.epochs, keys=keys, train_mask=train_rows, batch_size=params.batch_size,
        shuffle=params.shuffle, record=("losses", "accuracy", "test_accuracy"), device=device,
    )
    return {
        "fake_default_batch_size": toy["fake_default_batch_size"],
        "fake_train_batch_sizes": toy["fake_train_batch_sizes"],
        "fake_test_batch_sizes": toy["fake_test_batch_sizes"],
        "n_train": n_train,
        "n_test": n_test,
        "n_batches": len(splits.batch_sizes(n_train, params.batch_size)),
        "losses": out.losses.numpy(),
        "train_accuracy_by_epoch": out.accuracy.numpy(),
        "test_accuracy_by_epoch": out.test_accuracy.numpy(),
        "train_accuracy": engine.accuracy(out.outputs, targets, architecture, train_rows).numpy(),
        "test_accuracy": engine.accuracy(out.outputs, targets, architecture, ~train_rows).numpy(),
    }


def printed(result: Any) -> list[str]:
    """The course's toy lines (batch size, batch shapes) and the iris training batch shapes."""
    metrics = result.metrics
    fake_data, fake_labels = data.toy()
    lines = [*str(fake_data).splitlines(), "", str(fake_labels),
             "<torch.utils.data.dataloader.DataLoader object>", str(metrics["fake_default_batch_size"])]
    lines += ["torch.Size([1, 4])"] * N_TOY_ROWS
    lines += ["TRAINING DATA", *(f"torch.Size([{n}, 4])" for n in np.asarray(metrics["fake_train_batch_sizes"]))]
    lines += ["", "TESTING DATA", *(f"torch.Size([{n}, 4])" for n in np.asarray(metrics["fake_test_batch_sizes"]))]
    lines += [f"torch.Size([{n}, 4]) torch.Size([{n}])"
              for n in splits.batch_sizes(int(metrics["n_train"]), int(result.params["batch_size"]))]
    test_accuracy = np.asarray(metrics["test_accuracy"], dtype=float)
    if len(test_accuracy) > 1:
        lines.append(summary_line("Final TEST accuracy", test_accuracy, unit="%"))
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


@note_divergence_of(RUNS)
@with_repetitions(
    single=("accuracy",),
    spreads={"test_accuracy_spread": Spread("test_accuracy", "test accuracy (%)")},
)
def figures(result: Any) -> dict[str, Any]:
    """``accuracy``: train (mean batch accuracy) and test accuracy per epoch of repetition 0."""
    train = result.metric("train_accuracy_by_epoch")[0]
    test = result.metric("test_accuracy_by_epoch")[0]
    return {"accuracy": train_test_accuracy_figure(train, test)}
