"""The batched trainer: M independent models of the course's fully connected architectures, trained as one
tensor program (see ../shared/DESIGN.md, "The batched engine").

API CONTRACT (the experiments are written against it; keep it stable):

    arch = Architecture(sizes=(2, 1, 1), activations=("relu", "none"), loss="bce_logits")
    out = train(arch, inputs, targets, learning_rates=lrs, epochs=500, keys=keys,
                record=("losses",), device="cpu")
    out.losses            # torch.Tensor [M, epochs] float32 (CPU), or None if not recorded
    out.outputs           # [M, N, out] final outputs on ALL rows, after training (one extra forward)
    final_loss(out, targets)            # [M] loss after training on the training rows
    accuracy(out.outputs, targets, arch)  # [M] accuracy in % (B7), over all rows or a mask
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

Activation = Literal["none", "relu", "sigmoid"]
Loss = Literal["mse", "bce", "bce_logits", "cross_entropy"]
RECORDS = ("losses", "accuracy", "test_losses", "test_accuracy")


@dataclass(frozen=True)
class Architecture:
    """A fully connected net: ``Linear(sizes[i], sizes[i+1])`` followed by ``activations[i]``.

    ``softmax_output`` appends ``Softmax(dim=1)`` after the last layer (the course's double-softmax
    quirk when the loss is cross-entropy). ``loss`` is the PyTorch loss, mean over samples:
    "mse" (MSELoss), "bce" (BCELoss on a sigmoid output), "bce_logits" (BCEWithLogitsLoss),
    "cross_entropy" (CrossEntropyLoss; targets are int64 class labels).
    """

    sizes: tuple[int, ...]
    activations: tuple[Activation, ...]
    loss: Loss
    softmax_output: bool = False

    def sequential(self) -> nn.Sequential:
        """The course's ``nn.Sequential`` form (Linear, activation, ..., [Softmax])."""
        raise NotImplementedError

    @property
    def n_params(self) -> int:
        """Trainable parameters: sum of weight and bias sizes."""
        return sum(i * o + o for i, o in zip(self.sizes[:-1], self.sizes[1:], strict=True))


@dataclass
class TrainResult:
    """What :func:`train` returns; every tensor is float32 on the CPU with the model axis first.

    losses:        [M, epochs] training loss of each epoch's forward pass, before the update
                   (mini-batch: the mean of that epoch's batch losses).
    accuracy:      [M, epochs] accuracy (%) of that same forward pass (mini-batch: unweighted mean of the
                   batch accuracies).
    test_losses:   [M, epochs] loss on the test rows after each epoch's update(s).
    test_accuracy: [M, epochs] accuracy (%) on the test rows after each epoch's update(s).
    outputs:       [M, N, out] outputs of the trained models on all N rows (after Softmax if
                   ``softmax_output``).
    Fields not asked for in ``record`` are None.
    """

    architectures: tuple[Architecture, ...]
    outputs: torch.Tensor
    losses: torch.Tensor | None = None
    accuracy: torch.Tensor | None = None
    test_losses: torch.Tensor | None = None
    test_accuracy: torch.Tensor | None = None

    def state_dict(self, k: int) -> dict[str, torch.Tensor]:
        """Model k's trained weights, named as in ``architectures[k].sequential()``."""
        raise NotImplementedError

    def module(self, k: int) -> nn.Sequential:
        """Model k as a trained ``nn.Sequential``."""
        raise NotImplementedError


def train(
    architectures: Architecture | Sequence[Architecture],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    learning_rates: Sequence[float] | np.ndarray | torch.Tensor,
    epochs: int,
    keys: Sequence[np.random.SeedSequence],
    initial_weights: Sequence[nn.Module | dict[str, torch.Tensor]] | None = None,
    train_mask: torch.Tensor | None = None,
    test_mask: torch.Tensor | None = None,
    batch_size: int | None = None,
    shuffle: bool = True,
    record: Collection[str] = ("losses",),
    device: str | torch.device = "cpu",
) -> TrainResult:
    """Train M = len(learning_rates) independent models with plain SGD, all at once.

    architectures: one Architecture for all models, or one per model. Per-model architectures may
        differ in hidden widths and depth (the engine groups or pads them); they share the loss, the
        input and output sizes.
    inputs: [N, F] float32 shared by all models, or [M, N, F] per model.
    targets: shared [N] / [N, out], or per model [M, N] / [M, N, out]; float32 for "mse", "bce",
        "bce_logits" (shape [.., N, 1]); int64 class labels [.., N] for "cross_entropy".
    learning_rates: [M] per-model SGD learning rate.
    epochs: full passes over the training rows.
    keys: [M] each model's SeedSequence (stream 1 cell key, or stream 2 for a demo). A CPU
        torch.Generator seeded from it draws the initial weights exactly as ``nn.Linear`` does (layer
        by layer: weight, then bias), then, in mini-batch mode, each epoch's batch order
        (``torch.randperm(n_train, generator=g)``, like the model's own ``DataLoader(shuffle=True)``).
        So model k gets the same weights and batches alone or batched with others.
    initial_weights: [M] modules or state dicts (Sequential naming) to start from instead of the drawn
        weights (the draw still happens, so the batch order is unchanged).
    train_mask: [M, N] bool rows each model trains on (None: all rows), or [M, epochs, N] for a split
        that changes every epoch.
    test_mask: like train_mask, the rows of the test records; default ``~train_mask`` when a
        train_mask is given.
    batch_size: None for full-batch training (B4); else mini-batches of the model's training rows
        (last smaller batch kept), reshuffled every epoch when ``shuffle``.
    record: which of RECORDS to keep (the others stay None); ask only for what is used.
    device: "cpu" (the reference) or "cuda"; results come back on the CPU.
    """
    raise NotImplementedError


def loss_values(
    outputs: torch.Tensor, targets: torch.Tensor, architecture: Architecture, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """[M] the architecture's loss (mean over the rows in ``mask`` [M, N], all rows if None)."""
    raise NotImplementedError


def predicted_labels(outputs: torch.Tensor, architecture: Architecture) -> torch.Tensor:
    """[M, N] int64 predicted class (B7): sigmoid output > .5, logit > 0, argmax for several outputs."""
    raise NotImplementedError


def accuracy(
    outputs: torch.Tensor, targets: torch.Tensor, architecture: Architecture, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """[M] accuracy in % (B7) over the rows in ``mask`` [M, N] (all rows if None); NaN for an empty mask."""
    raise NotImplementedError
