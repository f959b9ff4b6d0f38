"""The engine's activations and losses, one table entry each (as in TensorFlow Playground's ``nn.ts``).

An entry holds everything the batched engine (:mod:`dudl.core._kernels`), the course-loop oracle
(:mod:`dudl.core.reference`) and the evaluation helpers need, so adding an activation or a loss is one entry
here plus its oracle test. Losses see the engine's output layout [G, out, R] (model, unit, row); activations
work elementwise in any layout.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

_threshold_backward = torch.ops.aten.threshold_backward.grad_input
_sigmoid_backward = torch.ops.aten.sigmoid_backward.grad_input
_tanh_backward = torch.ops.aten.tanh_backward.grad_input
_leaky_relu_backward = torch.ops.aten.leaky_relu_backward.grad_input
LEAKY_SLOPE = 0.01  # nn.LeakyReLU's default negative slope


@dataclass(frozen=True)
class ActivationFunction:
    """One activation.

    module: the course's ``nn`` module (None: no module, a linear layer).
    forward_: applies the activation to a tensor in place.
    backward_: ``backward_(gradient, output)`` multiplies the gradient in place by the derivative, given the
        activation's OUTPUT (every entry's derivative is a function of its output).
    at_zero: f(0). A padded unit (zero weights and bias) outputs f(0); where that is not 0 the next layer's
        padded weights must be re-zeroed after each update (the engine's weight masks).
    exact_tail: False where torch's vectorised kernel and its scalar tail round differently (exp-based
        functions); the engine then gives each block spare models that take the tail.
    """

    name: str
    module: Callable[[], nn.Module] | None
    forward_: Callable[[torch.Tensor], object]
    backward_: Callable[[torch.Tensor, torch.Tensor], object]
    at_zero: float = 0.0
    exact_tail: bool = True


def _nothing(*_: torch.Tensor) -> None:
    """The identity's forward and backward: nothing to do."""


ACTIVATIONS: dict[str, ActivationFunction] = {
    entry.name: entry
    for entry in (
        ActivationFunction("none", None, _nothing, _nothing),
        ActivationFunction("relu", nn.ReLU, torch.Tensor.relu_,
                           lambda gradient, output: _threshold_backward(gradient, output, 0, grad_input=gradient)),
        ActivationFunction("sigmoid", nn.Sigmoid, torch.Tensor.sigmoid_,
                           lambda gradient, output: _sigmoid_backward(gradient, output, grad_input=gradient),
                           at_zero=0.5, exact_tail=False),
        ActivationFunction("tanh", nn.Tanh, torch.Tensor.tanh_,
                           lambda gradient, output: _tanh_backward(gradient, output, grad_input=gradient),
                           exact_tail=False),
        ActivationFunction("leaky_relu", nn.LeakyReLU, lambda values: F.leaky_relu_(values, LEAKY_SLOPE),
                           lambda gradient, output: _leaky_relu_backward(gradient, output, LEAKY_SLOPE, True,
                                                                         grad_input=gradient)),
    )
}


@dataclass(frozen=True)
class LossFunction:
    """One loss: torch's loss module, mean over rows (and over output units where torch takes that mean).

    labels: targets are int64 class labels (else float targets of the output's shape).
    regression: the targets are values, not classes (no decision rule, no accuracy).
    probabilities: the outputs must be probabilities (a single output is then class 1 above .5).
    row_losses: ``row_losses(outputs [G, out, R], targets [1 or G, out, R], labels [1 or G, R])`` -> [G, R],
        the module's loss with reduction="none", averaged over output units. targets are one-hot for labels.
    output_gradient: ``output_gradient(outputs, targets, gradient)`` writes into gradient [G, out, R] the
        derivative of each row's loss (before the mean over rows) with respect to the last pre-activation
        (through a sigmoid for "bce_logits", a log-softmax for "cross_entropy"; "bce" takes the sigmoid's
        output, whose activation backward follows).
    gradient_in_place: the gradient may overwrite the outputs (an elementwise formula of them).
    exact_tail: as for :class:`ActivationFunction`.
    """

    name: str
    module: Callable[[], nn.Module]
    row_losses: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
    output_gradient: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], object]
    labels: bool = False
    regression: bool = False
    probabilities: bool = False
    gradient_in_place: bool = False
    exact_tail: bool = True


def _mse_rows(outputs: torch.Tensor, targets: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (outputs - targets.expand_as(outputs)).square_().mean(1)


def _mse_gradient(outputs: torch.Tensor, targets: torch.Tensor, gradient: torch.Tensor) -> None:
    """2 (yhat - y) / out."""
    torch.sub(outputs, targets, out=gradient)
    gradient.mul_(2.0 / outputs.shape[1])


def _bce_rows(outputs: torch.Tensor, targets: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """A diverged model's NaN output (torch refuses it) gets a NaN loss."""
    diverged = outputs.isnan()
    if not diverged.any():
        return F.binary_cross_entropy(outputs, targets.expand_as(outputs), reduction="none").mean(1)
    per_unit = F.binary_cross_entropy(outputs.masked_fill(diverged, 0.5), targets.expand_as(outputs),
                                      reduction="none")
    return per_unit.masked_fill_(diverged, math.nan).mean(1)


def _bce_gradient(outputs: torch.Tensor, targets: torch.Tensor, gradient: torch.Tensor) -> None:
    """(p - y) / clamp(p (1 - p), 1e-12), torch's BCELoss backward."""
    torch.sub(outputs, targets, out=gradient)
    variance = torch.rsub(outputs, 1.0).mul_(outputs)
    gradient.div_(variance.clamp_(min=1e-12))


def _bce_logits_rows(outputs: torch.Tensor, targets: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(outputs, targets.expand_as(outputs), reduction="none").mean(1)


def _bce_logits_gradient(outputs: torch.Tensor, targets: torch.Tensor, gradient: torch.Tensor) -> None:
    """sigmoid(z) - y."""
    torch.sigmoid(outputs, out=gradient)
    gradient.sub_(targets)


def _cross_entropy_rows(outputs: torch.Tensor, targets: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(outputs, labels.expand(outputs.shape[0], -1), reduction="none")


def _cross_entropy_gradient(outputs: torch.Tensor, targets: torch.Tensor, gradient: torch.Tensor) -> None:
    """softmax(z) - onehot(y) (targets are one-hot)."""
    torch.softmax(outputs, dim=1, out=gradient)
    gradient.sub_(targets)


LOSSES: dict[str, LossFunction] = {
    entry.name: entry
    for entry in (
        LossFunction("mse", nn.MSELoss, _mse_rows, _mse_gradient, regression=True, gradient_in_place=True),
        LossFunction("bce", nn.BCELoss, _bce_rows, _bce_gradient, probabilities=True, exact_tail=False),
        LossFunction("bce_logits", nn.BCEWithLogitsLoss, _bce_logits_rows, _bce_logits_gradient,
                     gradient_in_place=True, exact_tail=False),
        LossFunction("cross_entropy", nn.CrossEntropyLoss, _cross_entropy_rows, _cross_entropy_gradient,
                     labels=True),
    )
}


def decision_threshold(loss: str, output_activation: str) -> float:
    """The course's decision rule for one output unit: class 1 above this value. A probability (a BCE loss)
    above .5; otherwise above the output activation's f(0), i.e. a pre-activation above 0 (a sigmoid output
    above .5, a logit or linear output above 0). Several output units: the argmax."""
    if LOSSES[loss].probabilities:
        return 0.5
    return ACTIVATIONS[output_activation].at_zero
