"""The engine's optimizers: a batched ``update`` step for G stacked models, each with its own learning rate.

The engine's backward pass produces each parameter's gradient; :meth:`Optimizer.update` then changes the
parameters in place and keeps its own state (momentum buffers, Adam's moments), exactly as the
``torch.optim`` optimizer named by :meth:`Optimizer.torch` does for one model. Plain :class:`SGD` (no
momentum) is ``fused``: the engine folds it into the backward pass instead (the learning rate scales the
output gradient and each weight is updated by the same matrix product that gives its gradient), which
saves a pass over every weight; it never calls ``update``.

A parameter here is a [G, ...] tensor (model axis first); ``learning_rates`` is [G, 1, 1].
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class Optimizer(ABC):
    """Base of the optimizers: hyper-parameters only (picklable, hashable); the state lives in :class:`State`."""

    @property
    def fused(self) -> bool:
        """True when the engine applies this optimizer inside its backward pass (no ``update`` call)."""
        return False

    @abstractmethod
    def torch(self, parameters: Iterable[torch.Tensor], learning_rate: float) -> torch.optim.Optimizer:
        """The ``torch.optim`` optimizer this one reproduces, for one model (the course loop)."""

    @abstractmethod
    def update(self, state: State, parameters: list[torch.Tensor], gradients: list[torch.Tensor],
               learning_rates: torch.Tensor) -> None:
        """One step: change ``parameters`` in place from their ``gradients`` (same shapes)."""


@dataclass
class State:
    """An optimizer's per-parameter buffers and its step count."""

    step: int = 0
    buffers: dict[str, list[torch.Tensor]] = field(default_factory=dict)

    def buffer(self, name: str, like: list[torch.Tensor]) -> list[torch.Tensor]:
        """The buffers called ``name`` (zeros like ``like`` on first use)."""
        if name not in self.buffers:
            self.buffers[name] = [torch.zeros_like(tensor) for tensor in like]
        return self.buffers[name]


def _scale(learning_rates: torch.Tensor, parameter: torch.Tensor) -> torch.Tensor:
    """learning_rates [G, 1, 1] shaped to broadcast over ``parameter`` [G, ...]."""
    return learning_rates.view(-1, *[1] * (parameter.dim() - 1))


@dataclass(frozen=True)
class SGD(Optimizer):
    """``torch.optim.SGD(lr, momentum)`` (no dampening, no Nesterov, no weight decay).

    With momentum m the step is ``b = m b + g`` (b = g on the first step), ``p -= lr b``.
    """

    momentum: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.momentum) and 0 <= self.momentum < 1):
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")

    @property
    def fused(self) -> bool:
        return self.momentum == 0

    def torch(self, parameters: Iterable[torch.Tensor], learning_rate: float) -> torch.optim.Optimizer:
        return torch.optim.SGD(parameters, lr=learning_rate, momentum=self.momentum)

    def update(self, state: State, parameters: list[torch.Tensor], gradients: list[torch.Tensor],
               learning_rates: torch.Tensor) -> None:
        steps = gradients
        if self.momentum:
            steps = state.buffer("momentum", gradients)
            for buffer, gradient in zip(steps, gradients, strict=True):
                if state.step == 0:
                    buffer.copy_(gradient)
                else:
                    buffer.mul_(self.momentum).add_(gradient)
        state.step += 1
        for parameter, step in zip(parameters, steps, strict=True):
            parameter.sub_(step * _scale(learning_rates, parameter))


PLAIN_SGD = SGD()  # the default: plain SGD, fused into the engine's backward pass


@dataclass(frozen=True)
class Adam(Optimizer):
    """``torch.optim.Adam(lr, betas, eps)`` (no weight decay, no amsgrad): moments m and v of the gradient,
    bias-corrected, ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``."""

    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if not all(math.isfinite(beta) and 0 <= beta < 1 for beta in self.betas) or len(self.betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas}")
        if not (math.isfinite(self.eps) and self.eps > 0):
            raise ValueError(f"eps must be > 0, got {self.eps}")

    def torch(self, parameters: Iterable[torch.Tensor], learning_rate: float) -> torch.optim.Optimizer:
        return torch.optim.Adam(parameters, lr=learning_rate, betas=self.betas, eps=self.eps)

    def update(self, state: State, parameters: list[torch.Tensor], gradients: list[torch.Tensor],
               learning_rates: torch.Tensor) -> None:
        beta1, beta2 = self.betas
        means = state.buffer("mean", gradients)
        squares = state.buffer("square", gradients)
        state.step += 1
        bias_correction1 = 1 - beta1**state.step
        bias_correction2_sqrt = math.sqrt(1 - beta2**state.step)
        for parameter, gradient, mean, square in zip(parameters, gradients, means, squares, strict=True):
            mean.lerp_(gradient, 1 - beta1)
            square.mul_(beta2).addcmul_(gradient, gradient, value=1 - beta2)
            denominator = (square.sqrt() / bias_correction2_sqrt).add_(self.eps)
            step_size = _scale(learning_rates, parameter) / bias_correction1
            parameter.sub_(mean / denominator * step_size)
