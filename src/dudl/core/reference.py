"""The course's training loop, one model at a time: the ORACLE of the engine's tests and the BASELINE of
its benchmark.

This is the notebooks' code (docs/spec/experiments.md#full-batch-training) with nothing vectorised:
``yhat = model(X)``; ``loss = lossfun(yhat, y)``;
record; ``optimizer.zero_grad()``; ``loss.backward()``; ``optimizer.step()`` with ``torch.optim.SGD`` (or the
``torch.optim`` optimizer of any :mod:`dudl.core.optimizers` entry); and the mini-batch variant that loops
over the batches of a ``DataLoader``-like batch order. Losses and the decision rule come from the tables of
:mod:`dudl.core.functions`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from dudl.core.functions import LOSSES, decision_threshold
from dudl.core.optimizers import PLAIN_SGD, Optimizer


def _accuracy(outputs: torch.Tensor, targets: torch.Tensor, threshold: float) -> float:
    """Accuracy in % (docs/spec/experiments.md#decision-rule-and-accuracy) of one model's outputs [N, out]: the
    argmax of several outputs, else one output above ``threshold``."""
    if outputs.shape[1] > 1:
        predicted = torch.argmax(outputs, dim=1)
        return 100 * torch.mean((predicted == targets).float()).item()
    return 100 * torch.mean(((outputs > threshold) == (targets > 0.5)).float()).item()


def train_reference(
    module: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss: str,
    learning_rate: float,
    epochs: int,
    *,
    batch_order: Sequence[torch.Tensor] | None = None,
    batch_size: int | None = None,
    test_inputs: torch.Tensor | None = None,
    test_targets: torch.Tensor | None = None,
    output_activation: str = "none",
    optimizer: Optimizer = PLAIN_SGD,
) -> dict[str, list[float] | torch.Tensor]:
    """Train ``module`` in place, the course's way; returns its records.

    inputs [N, F] and targets ([N, out] float or [N] int64) are the TRAINING rows. Full batch when
    ``batch_size`` is None; else each epoch e visits ``inputs[batch_order[e]]`` (a permutation of
    range(N); row order if ``batch_order`` is None) in batches of ``batch_size``, last smaller batch kept.
    Returns ``losses`` / ``accuracy`` per epoch (the forward before the update; mini-batch: mean over
    batches), ``batch_losses`` (a list per epoch), ``test_losses`` / ``test_accuracy`` per epoch (after the
    update, if test rows are given) and ``outputs`` (a final forward on the training rows).
    ``output_activation`` (the module's last activation) sets the decision rule of a single output.
    """
    lossfun = LOSSES[loss].module()
    threshold = decision_threshold(loss, output_activation)
    torch_optimizer = optimizer.torch(module.parameters(), learning_rate)
    records: dict[str, list] = {"losses": [], "accuracy": [], "batch_losses": [], "test_losses": [],
                                "test_accuracy": []}
    n_rows = len(inputs)
    for epoch in range(epochs):
        if batch_size is None:
            batches = [torch.arange(n_rows)]
        else:
            order = torch.arange(n_rows) if batch_order is None else batch_order[epoch]
            batches = list(torch.split(order, batch_size))
        batch_losses, batch_accuracies = [], []
        for rows in batches:
            X, y = inputs[rows], targets[rows]
            yhat = module(X)
            batch_loss = lossfun(yhat, y)
            batch_losses.append(batch_loss.item())
            batch_accuracies.append(_accuracy(yhat.detach(), y, threshold))
            torch_optimizer.zero_grad()
            batch_loss.backward()
            torch_optimizer.step()
        records["losses"].append(sum(batch_losses) / len(batch_losses))
        records["accuracy"].append(sum(batch_accuracies) / len(batch_accuracies))
        records["batch_losses"].append(batch_losses)
        if test_inputs is not None:
            with torch.no_grad():
                test_outputs = module(test_inputs)
                records["test_losses"].append(lossfun(test_outputs, test_targets).item())
                records["test_accuracy"].append(_accuracy(test_outputs, test_targets, threshold))
    with torch.no_grad():
        records["outputs"] = module(inputs)
    return records
