"""overfit.regression: cross-validation on regression (overfitting/DUDL_overfitting_regression).

A train/test split for the 1-1-1 regression net: fit y = x + noise on 80 of 100 points and compare the
train and test MSE. With 4 parameters the model cannot overfit, so both sit near the noise variance.
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
torch.Size([80, 1])
torch.Size([20, 1])
Final TRAIN loss: 1.20
Final TEST loss: 1.10"""

NOTES = (
    "The course prints the last epoch's training loss (computed before the final update) as the TRAIN loss; "
    "train_loss here is the MSE of the trained model, like test_loss, so the two are comparable. A 1-1-1 "
    "net has 4 parameters: its train and test MSE both sit near noise_sd^2 (the noise it cannot explain), "
    "except in the repetitions where the hidden ReLU dies and the prediction is flat."
)


RUNS = ("test_loss",)  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The regression model trained on 80% of the points and tested on the other 20%. Look at the test loss staying"
    " close to the training loss: this small model does not overfit."
)
CAPTIONS = {
    "data": "the data: training points and test points",
    "predictions": "the model's predictions on the training and the test points",
    "losses": "training and test loss over the epochs",
    "test_loss_spread": "each repetition's test loss: it varies with the split and the data",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    """overfit.regression parameters (course defaults)."""

    n: int = param(100, "number of points", ge=2)
    noise_sd: float = param(1.0, "y = x + noise_sd*randn", ge=0)
    train_proportion: float = param(0.8, "training fraction (round(p*n) points)", gt=0, lt=1)
    learning_rate: float = param(0.05, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(500, "full-batch epochs on the training points", ge=1)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        checks.check_split("train_proportion", self.train_proportion, n_train(self), self.n,
                           f"round({self.train_proportion:g}*{self.n})")


def n_train(params: Params) -> int:
    """Training points: ``round(train_proportion * n)``."""
    return int(round(params.train_proportion * params.n))


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """New data (stream 0) and a new split and model (stream 1) per repetition; one batched train call."""
    reps = range(params.reps)
    model_keys = [seeding.key(params.seed, seeding.MODEL, rep) for rep in reps]
    x, y = data.regression_for_reps(params.seed, params.reps, params.n, params.noise_sd)  # [reps, n, 1]
    masks = np.stack([splits.random_train_mask(seeding.numpy_rng(k), params.n, n_train(params))
                      for k in model_keys])  # [reps, n]

    architecture = models.regression_net()
    inputs, targets, train_rows = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(masks)
    out = engine.train(
        architecture, inputs, targets, learning_rates=[params.learning_rate] * params.reps,
        epochs=params.epochs, keys=model_keys, train_mask=train_rows, record=("losses", "test_losses"),
        device=device,
    )
    return {
        "n_train": n_train(params),
        "n_test": params.n - n_train(params),
        "losses": out.losses.numpy(),
        "test_loss_by_epoch": out.test_losses.numpy(),
        "train_loss": engine.loss_values(out.outputs, targets, architecture, train_rows).numpy(),
        "test_loss": engine.loss_values(out.outputs, targets, architecture, ~train_rows).numpy(),
        "x": x[..., 0],
        "y": y[..., 0],
        "train_mask": masks,
        "predictions": out.outputs[..., 0].numpy(),
    }


def printed(result: Any) -> list[str]:
    """The split shapes and the final losses of repetition 0 (course format)."""
    metrics = result.metrics
    train_loss = np.asarray(metrics["train_loss"], dtype=float)
    test_loss = np.asarray(metrics["test_loss"], dtype=float)
    lines = [f"torch.Size([{metrics['n_train']}, 1])", f"torch.Size([{metrics['n_test']}, 1])",
             f"Final TRAIN loss: {train_loss[0]:.2f}", f"Final TEST loss: {test_loss[0]:.2f}"]
    if len(test_loss) > 1:
        lines.append(summary_line("Final TEST loss", test_loss))
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


@note_divergence_of(RUNS)
@with_repetitions(
    single=("data", "predictions", "losses"),
    spreads={"test_loss_spread": Spread("test_loss", "test loss")},
)
def figures(result: Any) -> dict[str, Any]:
    """``data``, ``predictions`` (all data, train and test predictions) and ``losses`` of repetition 0."""
    metrics = result.metrics
    x = np.asarray(metrics["x"], dtype=float)[0]
    y = np.asarray(metrics["y"], dtype=float)[0]
    train = np.asarray(metrics["train_mask"], dtype=bool)[0]
    predictions = np.asarray(metrics["predictions"], dtype=float)[0]

    fig_data, ax = figure()
    ax.plot(x, y, "s")
    ax.set(xlabel="x", ylabel="y")

    fig_predictions, ax = figure()
    ax.plot(x, y, "k^", label="All data")
    ax.plot(x[train], predictions[train], "bs", markerfacecolor="w", label="Training pred.")
    ax.plot(x[~train], predictions[~train], "ro", markerfacecolor="w", label="Test pred.")
    ax.set(xlabel="x", ylabel="y")
    ax.legend()

    fig_losses, ax = figure()
    ax.plot(np.asarray(metrics["losses"], dtype=float)[0], label="Train")
    ax.plot(np.asarray(metrics["test_loss_by_epoch"], dtype=float)[0], label="Test")
    ax.set(xlabel="Epochs", ylabel="Loss (MSE)", title="Train and test loss per epoch")
    ax.legend()
    return {"data": fig_data, "predictions": fig_predictions, "losses": fig_losses}
