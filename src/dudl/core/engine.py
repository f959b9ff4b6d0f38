"""The batched trainer: M independent models of the course's fully connected architectures, trained as one
tensor program (see docs/engine.md).

API CONTRACT (the experiments are written against it; keep it stable):

    arch = Architecture(sizes=(2, 1, 1), activations=("relu", "none"), loss="bce_logits")
    out = train(arch, inputs, targets, learning_rates=lrs, epochs=500, keys=keys,
                record=("losses",), device="cpu")
    out = train(arch, inputs, targets, learning_rates=lrs, epochs=500, keys=keys, optimizer=Adam())
    out.losses            # torch.Tensor [M, epochs] float32 (CPU), or None if not recorded
    out.outputs           # [M, N, out] final outputs on ALL rows, after training (one extra forward)
    loss_values(out.outputs, targets, arch)  # [M] loss after training, over all rows or a mask
    accuracy(out.outputs, targets, arch)     # [M] accuracy in %, over all rows or a mask
    # (accuracy and predicted labels follow docs/spec/experiments.md#decision-rule-and-accuracy)
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import json
import math
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Executor
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from dudl.core import _kernels, blocks, seeding
from dudl.core._kernels import StackedNet
from dudl.core.functions import ACTIVATIONS, LOSSES, decision_threshold
from dudl.core.optimizers import PLAIN_SGD, Optimizer

Activation = str  # a name in functions.ACTIVATIONS
Loss = str  # a name in functions.LOSSES
RECORDS = ("losses", "accuracy", "test_losses", "test_accuracy")


@dataclass(frozen=True)
class Architecture:
    """A fully connected net: ``Linear(sizes[i], sizes[i+1])`` followed by ``activations[i]`` (a name in
    :data:`dudl.core.functions.ACTIVATIONS`: none, relu, sigmoid, tanh, leaky_relu).

    ``softmax_output`` appends ``Softmax(dim=1)`` after the last layer (the course's double-softmax
    quirk when the loss is cross-entropy). ``loss`` is the PyTorch loss, mean over samples:
    "mse" (MSELoss), "bce" (BCELoss on a sigmoid output), "bce_logits" (BCEWithLogitsLoss),
    "cross_entropy" (CrossEntropyLoss; targets are int64 class labels): :data:`dudl.core.functions.LOSSES`.
    """

    sizes: tuple[int, ...]
    activations: tuple[Activation, ...]
    loss: Loss
    softmax_output: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", tuple(int(s) for s in self.sizes))
        object.__setattr__(self, "activations", tuple(self.activations))
        if len(self.sizes) < 2 or any(s < 1 for s in self.sizes):
            raise ValueError(f"sizes must be >= 2 positive layer sizes, got {self.sizes}")
        if len(self.activations) != len(self.sizes) - 1:
            raise ValueError(
                f"need one activation per Linear layer ({len(self.sizes) - 1}), got {len(self.activations)}"
            )
        bad = [a for a in self.activations if a not in ACTIVATIONS]
        if bad:
            raise ValueError(f"unknown activation {bad[0]!r}; allowed: {', '.join(ACTIVATIONS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; allowed: {', '.join(LOSSES)}")

    @property
    def n_layers(self) -> int:
        """Number of Linear layers."""
        return len(self.sizes) - 1

    @property
    def linear_indices(self) -> tuple[int, ...]:
        """Index of each Linear inside :meth:`sequential` (activations "none" add no module)."""
        indices, position = [], 0
        for activation in self.activations:
            indices.append(position)
            position += 1 if ACTIVATIONS[activation].module is None else 2
        return tuple(indices)

    def sequential(self) -> nn.Sequential:
        """The course's ``nn.Sequential`` form (Linear, activation, ..., [Softmax])."""
        modules: list[nn.Module] = []
        for fan_in, fan_out, activation in zip(self.sizes[:-1], self.sizes[1:], self.activations, strict=True):
            modules.append(nn.Linear(fan_in, fan_out))
            module = ACTIVATIONS[activation].module
            if module is not None:
                modules.append(module())
        if self.softmax_output:
            modules.append(nn.Softmax(dim=1))
        return nn.Sequential(*modules)

    @property
    def n_params(self) -> int:
        """Trainable parameters: sum of weight and bias sizes."""
        return sum(i * o + o for i, o in zip(self.sizes[:-1], self.sizes[1:], strict=True))


@dataclass
class _Group:
    """Models trained together: stacked (possibly padded) weights [G, out, in] and biases [G, out].

    The first layer's weight carries its bias as an extra last input column ([G, h, F + 1]); slicing
    ``[:out, :in]`` gives every layer's plain weight.
    """

    indices: torch.Tensor  # [G] int64 model indices
    weights: list[torch.Tensor]
    biases: list[torch.Tensor]


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
    batch_losses, batch_accuracy: [M, epochs, n_batches] per-batch values (mini-batch mode only, when
                   recorded); NaN for batches a model does not have.
    Fields not asked for in ``record`` are None.
    """

    architectures: tuple[Architecture, ...]
    outputs: torch.Tensor
    losses: torch.Tensor | None = None
    accuracy: torch.Tensor | None = None
    test_losses: torch.Tensor | None = None
    test_accuracy: torch.Tensor | None = None
    batch_losses: torch.Tensor | None = None
    batch_accuracy: torch.Tensor | None = None
    groups: list[_Group] = field(default_factory=list, repr=False)

    def _locate(self, k: int) -> tuple[_Group, int]:
        for group in self.groups:
            hits = (group.indices == k).nonzero()
            if len(hits):
                return group, int(hits[0, 0])
        raise IndexError(f"model {k} out of range (M = {len(self.architectures)})")

    def parameters(self, k: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Model k's trained (weight [out, in], bias [out]) per Linear layer, unpadded, on the CPU."""
        group, position = self._locate(k)
        sizes = self.architectures[k].sizes
        return [
            (
                weight[position, :fan_out, :fan_in].detach().cpu().clone(),
                bias[position, :fan_out].detach().cpu().clone(),
            )
            for weight, bias, fan_in, fan_out in zip(
                group.weights, group.biases, sizes[:-1], sizes[1:], strict=True
            )
        ]

    def state_dict(self, k: int) -> dict[str, torch.Tensor]:
        """Model k's trained weights, named as in ``architectures[k].sequential()``."""
        state = {}
        for index, (weight, bias) in zip(self.architectures[k].linear_indices, self.parameters(k), strict=True):
            state[f"{index}.weight"] = weight
            state[f"{index}.bias"] = bias
        return state

    def module(self, k: int) -> nn.Sequential:
        """Model k as a trained ``nn.Sequential``."""
        model = self.architectures[k].sequential()
        model.load_state_dict(self.state_dict(k))
        return model


# ---------------------------------------------------------------------------------------------------------
# initial weights


def _init_bounds(fan_in: int) -> tuple[float, float]:
    """nn.Linear.reset_parameters' uniform bounds: kaiming_uniform_(a=sqrt(5)) for the weight
    (sqrt(3) * sqrt(2 / (1 + a^2)) / sqrt(fan_in), computed in the same float steps), 1/sqrt(fan_in) for
    the bias."""
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    return math.sqrt(3.0) * (gain / math.sqrt(fan_in)), 1 / math.sqrt(fan_in)


def draw_initial_weights(
    architecture: Architecture, generator: torch.Generator
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(weight [out, in], bias [out]) per layer, drawn from ``generator`` exactly as ``nn.Linear`` does:
    layer by layer, weight uniform(-b_w, b_w) then bias uniform(-b_b, b_b) (see :func:`_init_bounds`)."""
    layers = []
    for fan_in, fan_out in zip(architecture.sizes[:-1], architecture.sizes[1:], strict=True):
        weight_bound, bias_bound = _init_bounds(fan_in)
        weight = torch.empty(fan_out, fan_in).uniform_(-weight_bound, weight_bound, generator=generator)
        bias = torch.empty(fan_out).uniform_(-bias_bound, bias_bound, generator=generator)
        layers.append((weight, bias))
    return layers


def _uniform_from_unit(
    draws: torch.Tensor, architecture: Architecture
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Stacked weights [G, out, in] and biases [G, out, 1] from ``torch.rand`` draws [G, n_params].

    Bit for bit what ``uniform_(-b, b)`` gives for the same generator: torch's CPU kernel turns the same
    random bits into x in [0, 1) (which ``rand`` returns exactly), then computes ``x * (to - from) + from``
    in double, with ``from``, ``to`` and ``to - from`` in float32, and rounds to float32.
    """
    draws = draws.double()
    weights, biases, offset = [], [], 0
    for fan_in, fan_out in zip(architecture.sizes[:-1], architecture.sizes[1:], strict=True):
        for bound, count, shape, out in (
            (_init_bounds(fan_in)[0], fan_out * fan_in, (fan_out, fan_in), weights),
            (_init_bounds(fan_in)[1], fan_out, (fan_out, 1), biases),
        ):
            low, high = np.float32(-bound), np.float32(bound)
            span = float(np.float32(high - low))
            values = draws[:, offset : offset + count] * span + float(low)
            out.append(values.float().view(len(draws), *shape))
            offset += count
    return weights, biases


def _weights_from(
    source: nn.Module | dict[str, torch.Tensor], architecture: Architecture
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Weight/bias pairs in layer order from a module (``parameters()`` order) or a state dict."""
    if isinstance(source, nn.Module):
        tensors = [p.detach() for p in source.parameters()]
    else:
        tensors = list(source.values())
    if len(tensors) != 2 * architecture.n_layers:
        raise ValueError(f"initial weights have {len(tensors)} tensors, expected {2 * architecture.n_layers}")
    layers = []
    for layer, (fan_in, fan_out) in enumerate(zip(architecture.sizes[:-1], architecture.sizes[1:], strict=True)):
        weight = tensors[2 * layer].detach().to("cpu", torch.float32).clone()
        bias = tensors[2 * layer + 1].detach().to("cpu", torch.float32).clone()
        if weight.shape != (fan_out, fan_in) or bias.shape != (fan_out,):
            raise ValueError(
                f"initial weights of layer {layer} have shapes {tuple(weight.shape)}, {tuple(bias.shape)}; "
                f"expected {(fan_out, fan_in)}, {(fan_out,)}"
            )
        layers.append((weight, bias))
    return layers


# ---------------------------------------------------------------------------------------------------------
# the decision rule and the masked mean (shared by the trainer and the evaluation helpers)


def _decision_threshold(architecture: Architecture) -> float:
    """The decision rule (docs/spec/experiments.md#decision-rule-and-accuracy): a sigmoid output (or a BCE loss) is
    class 1 above .5; a logit or linear output above 0 (:func:`dudl.core.functions.decision_threshold`)."""
    return decision_threshold(architecture.loss, architecture.activations[-1])


def _masked_mean(values: torch.Tensor, rows: torch.Tensor | None) -> torch.Tensor:
    """[G] mean of values [G, R] over each model's rows (float 0/1 weights [G, R]; all rows if None)."""
    if rows is None:
        return values.mean(-1)
    return (values * rows).sum(-1) / rows.sum(-1)


# ---------------------------------------------------------------------------------------------------------
# argument normalisation


def _as_float_tensor(values: object) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        return values.detach().to("cpu", torch.float32)
    with np.errstate(over="ignore"):  # beyond float32 (e.g. a learning rate of 1e40) is inf: the model diverges
        return torch.as_tensor(np.asarray(values, dtype=np.float32))


def _normalise_targets(
    targets: torch.Tensor, architecture: Architecture, n_models: int, n_rows: int
) -> torch.Tensor:
    """[1 or M, N, out] float32 targets, or [1 or M, N] int64 labels for cross-entropy."""
    targets = torch.as_tensor(targets).detach().cpu()
    n_out = architecture.sizes[-1]
    if LOSSES[architecture.loss].labels:
        targets = targets.to(torch.int64)
        if targets.dim() == 1:
            return targets.unsqueeze(0)
        if targets.dim() == 2 and targets.shape[0] in (1, n_models):
            return targets
        shape = tuple(targets.shape)
        raise ValueError(f"cross-entropy targets must be [N], [1, N] or [M, N] int64 labels, got {shape}")
    targets = targets.to(torch.float32)
    if targets.dim() == 1:
        targets = targets.view(1, -1, 1)
    elif targets.dim() == 2:
        if targets.shape == (n_rows, n_out):
            targets = targets.unsqueeze(0)
        elif targets.shape[0] in (1, n_models) and targets.shape[1] == n_rows and n_out == 1:
            targets = targets.unsqueeze(-1)  # [1 or M, N] labels of one output unit
        else:
            raise ValueError(f"targets of shape {tuple(targets.shape)} fit neither [N, out] nor [M, N]")
    if (targets.dim() != 3 or targets.shape[0] not in (1, n_models) or targets.shape[-1] != n_out
            or targets.shape[-2] != n_rows):
        raise ValueError(f"targets must be [N, {n_out}] or [M, N, {n_out}], got {tuple(targets.shape)}")
    return targets


def _normalise_mask(mask: torch.Tensor | None, n_models: int, epochs: int, n_rows: int) -> torch.Tensor | None:
    """[M, 1 or epochs, N] bool."""
    if mask is None:
        return None
    mask = torch.as_tensor(mask).detach().cpu().to(torch.bool)
    if mask.dim() == 1:
        mask = mask.view(1, 1, -1).expand(n_models, 1, -1)
    elif mask.dim() == 2:
        mask = mask.unsqueeze(1)
    if mask.dim() != 3 or mask.shape[0] != n_models or mask.shape[1] not in (1, epochs) or mask.shape[2] != n_rows:
        raise ValueError(f"masks must be [M, N] or [M, epochs, N] bool, got {tuple(mask.shape)}")
    return mask


# ---------------------------------------------------------------------------------------------------------
# grouping / padding: each architecture has ONE padded shape; blocks of models of one padded shape

# Cost model of one training step of a block on one thread (seconds): a fixed cost per tensor operation (Python,
# dispatch, small kernels) plus its matrix work. It sizes the blocks and, times machine_speed(), gives --dry-run's
# estimate; the constants were fitted with benchmarks/bench_limits.py cost (docs/engine.md#tuning-notes).
_SECONDS_PER_OPERATION = 4e-6
_FLOPS_PER_SECOND = 1e11
# above this many FLOPs per step, blocks are trained in parallel threads (below, thread overhead wins)
_PARALLEL_FLOPS = 2e8
# a group of models of one padded shape is cut into blocks of about this many estimated seconds: small enough
# to resume, cache and spread over workers, big enough that the per-operation costs stay small
_BLOCK_SECONDS = 2.5
# at most this many models in a block sent to an executor (other processes, a cluster), so that a big sweep
# spreads over its workers; in this process a block holds any number (each block costs its per-operation time
# every step: ann.learning-rates' 2000-model meta-experiment in 8 blocks of 250 took 0.9 s of CPU, in one 0.8 s)
_SHIPPED_BLOCK_MODELS = 256
# a block keeps up to this many floats of its steps' outputs, to compute the records of many epochs at once
_RECORD_FLOATS = 1 << 16
_LOCAL_BLOCK_MODELS: int | None = None


def padded_width(width: int) -> int:
    """The width a hidden layer of ``width`` units is trained at: up to 4 as it is, then the next multiple of
    16 (at most 15 padded units). Small widths share few shapes (their steps cost little work, and each shape
    costs its own operations every step); wide layers waste little work. The course's widths (1, 4, 16, 64)
    are steps."""
    if width <= 4:
        return width
    return -(-width // 16) * 16


def padded_architecture(architecture: Architecture) -> Architecture:
    """The shape ``architecture`` is trained in: every hidden width rounded up by :func:`padded_width`.

    A function of the architecture alone, so a model is trained by the same sequence of tensor operations
    whichever models share its call or its block: its numbers are the same bits alone or in any sweep
    (padded units stay exactly zero, see :mod:`dudl.core._kernels`; the products' rounding depends on
    their shapes, which is why the padding must not depend on the other models).
    """
    hidden = tuple(padded_width(width) for width in architecture.sizes[1:-1])
    sizes = (architecture.sizes[0], *hidden, architecture.sizes[-1])
    if sizes == architecture.sizes:
        return architecture
    return dataclasses.replace(architecture, sizes=sizes)


def _step_flops(sizes: tuple[int, ...], n_models: int, n_rows: int) -> int:
    """The matrix work of one training step of a group: FLOPs of its products and elementwise passes."""
    weights = sum(i * o for i, o in zip(sizes[:-1], sizes[1:], strict=True))
    units = sum(sizes[1:])
    return 6 * n_rows * n_models * weights + 10 * n_rows * n_models * units


def _step_operations(sizes: tuple[int, ...]) -> int:
    """About how many tensor operations one training step of a net of these layer sizes runs."""
    return 7 * (len(sizes) - 1) + 6


def _step_cost(sizes: tuple[int, ...], n_models: int, n_rows: int) -> float:
    return _SECONDS_PER_OPERATION * _step_operations(sizes) + _step_flops(sizes, n_models, n_rows) / _FLOPS_PER_SECOND


def _plan_blocks(
    architectures: Sequence[Architecture], n_rows: int, steps: int, max_models: int | None = None
) -> list[tuple[list[int], Architecture]]:
    """The blocks of a call: (model indices, padded architecture), the models of one padded shape (see
    :func:`padded_architecture`) in index order, cut into near-equal blocks of about ``_BLOCK_SECONDS``
    (``steps`` training steps each) and at most ``max_models`` models. Numbers do not depend on the cut."""
    by_shape: dict[Architecture, list[int]] = {}
    for k, architecture in enumerate(architectures):
        by_shape.setdefault(padded_architecture(architecture), []).append(k)
    plan = []
    for padded, members in by_shape.items():
        seconds = steps * _step_cost(padded.sizes, len(members), n_rows)
        n_blocks = max(1, math.ceil(seconds / _BLOCK_SECONDS), math.ceil(len(members) / (max_models or math.inf)))
        n_blocks = min(n_blocks, len(members))
        bounds = np.linspace(0, len(members), n_blocks + 1).round().astype(int)
        plan += [(members[start:stop], padded) for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]
    return plan


def _makespan(costs: Sequence[float], workers: int) -> float:
    """About how long blocks of these ``costs`` take on ``workers`` threads: the longest thread when each free
    thread takes the biggest block left (the engine's threads take from both ends, blocks._run_in_threads;
    for an estimate the simpler schedule is close enough)."""
    loads = [0.0] * max(workers, 1)
    for cost in sorted(costs, reverse=True):
        loads[loads.index(min(loads))] += cost
    return max(loads)


@functools.cache
def machine_speed() -> float:
    """This machine's seconds per second of the cost model (above 1: slower than the machine it was fitted on),
    measured once per process: a reference block of four 4-64-64-3 nets and one 4-4-4-4-3 net trained on one
    thread for 30 epochs, the best of three (about 50 ms in all). --dry-run multiplies its estimate by it."""
    generator = torch.Generator().manual_seed(0)
    inputs, targets = torch.randn(150, 4, generator=generator), torch.randint(0, 3, (150,), generator=generator)
    wide = Architecture(sizes=(4, 64, 64, 3), activations=("relu", "relu", "none"), loss="cross_entropy")
    narrow = Architecture(sizes=(4, 4, 4, 4, 3), activations=("relu", "relu", "relu", "none"), loss="cross_entropy")
    architectures, epochs = [wide] * 4 + [narrow], 30
    keys = [np.random.SeedSequence(k) for k in range(len(architectures))]

    def seconds(n_epochs: int) -> float:
        start = time.perf_counter()
        train(architectures, inputs, targets, learning_rates=[0.01] * len(architectures), epochs=n_epochs,
              keys=keys, record=(), threads=1)
        return time.perf_counter() - start

    def measure() -> float:
        seconds(2)  # first-touch allocations
        model = epochs * (_step_cost(wide.sizes, 4, 150) + _step_cost(narrow.sizes, 1, 150))
        return min(seconds(epochs) for _ in range(3)) / model

    return contextvars.Context().run(measure)  # outside any run's context (a dry run's plan-only engine calls)


# ---------------------------------------------------------------------------------------------------------
# the trainer


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
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    executor: Executor | None = None,
    optimizer: Optimizer = PLAIN_SGD,
) -> TrainResult:
    """Train M = len(learning_rates) independent models, all at once, with plain SGD or another ``optimizer``.

    architectures: one Architecture for all models, or one per model. Per-model architectures may
        differ in hidden widths and depth (the engine groups or pads them); they share the loss, the
        input and output sizes.
    inputs: [N, F] float32 shared by all models, or [M, N, F] per model.
    targets: shared [N] / [N, out], or per model [M, N] / [M, N, out]; float32 for "mse", "bce",
        "bce_logits" (shape [.., N, 1]); int64 class labels [.., N] for "cross_entropy".
    learning_rates: [M] per-model learning rate.
    epochs: full passes over the training rows.
    keys: [M] each model's SeedSequence (stream 1 cell key, or stream 2 for a demo). A CPU
        torch.Generator seeded from it draws the initial weights exactly as ``nn.Linear`` does (layer
        by layer: weight, then bias), then, in mini-batch mode, each epoch's batch order exactly as the
        model's own ``DataLoader(train_set, batch_size, shuffle=True, generator=g)`` draws it
        (:func:`dataloader_permutation`).
        So model k gets the same weights and batches alone or batched with others.
    initial_weights: [M] modules or state dicts (Sequential naming) to start from instead of the drawn
        weights (the draw still happens, so the batch order is unchanged).
    train_mask: [M, N] bool rows each model trains on (None: all rows), or [M, epochs, N] for a split
        that changes every epoch.
    test_mask: like train_mask, the rows of the test records; default ``~train_mask`` when a
        train_mask is given.
    batch_size: None for full-batch training (docs/spec/experiments.md#full-batch-training); else mini-batches of
        the model's training rows
        (last smaller batch kept), reshuffled every epoch when ``shuffle``.
    record: which of RECORDS to keep (the others stay None); ask only for what is used. In mini-batch
        mode "batch_losses" and "batch_accuracy" ([M, epochs, n_batches]) may also be asked for.
    device: "cpu" (the reference) or "cuda"; results come back on the CPU.
    threads: how many blocks (see :func:`_plan_blocks`) may train side by side in Python threads, each
        with one torch thread (torch's own threads are set to 1 while training and restored after).
        None: ``torch.get_num_threads()`` (in a run: the count before the run, see
        :attr:`dudl.core.blocks.RunContext.threads`) for matrix-heavy sweeps, 1 for the small-tensor work that
        per-operation overhead dominates. Results do not depend on it (each block is computed alike).
    progress: called as ``progress(done, total)`` (model-epochs) at most every ``blocks.INTERVAL`` seconds
        and at the end; cancel: asked as often, True stops the call with :class:`blocks.Cancelled`.
    executor: None to train here, or a ``concurrent.futures.Executor`` that runs the blocks (processes, a
        Dask cluster). progress, cancel and executor default to the run context's
        (:func:`dudl.core.blocks.run_context`, set by :func:`dudl.registry.run`), which may also cache blocks.
    optimizer: :class:`dudl.core.optimizers.SGD` (default; with ``momentum=0`` fused into the backward pass),
        ``SGD(momentum=...)`` or :class:`dudl.core.optimizers.Adam`, as ``torch.optim`` does it per model.

    A model's numbers (every record, its outputs and weights) are the same bits whatever the other models of
    the call, the block sizes, the thread count or the executor.
    """
    call = dict(locals())  # this call's arguments, before any is rebound (for keep_trained)
    device = torch.device(device)
    learning_rates = _as_float_tensor(learning_rates).reshape(-1)
    n_models = len(learning_rates)
    if isinstance(architectures, Architecture):
        architectures = (architectures,) * n_models
    architectures = tuple(architectures)
    if len(architectures) != n_models or len(keys) != n_models:
        raise ValueError(
            f"need one architecture and key per learning rate ({n_models}); got {len(architectures)} "
            f"architectures and {len(keys)} keys"
        )
    if initial_weights is not None and len(initial_weights) != n_models:
        raise ValueError(f"need {n_models} initial weights, got {len(initial_weights)}")
    unknown = set(record) - set(RECORDS) - {"batch_losses", "batch_accuracy"}
    if unknown:
        raise ValueError(f"unknown records {sorted(unknown)}; allowed: {', '.join(RECORDS)}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    reference = architectures[0]
    for architecture in architectures:
        if (
            architecture.loss != reference.loss
            or architecture.softmax_output != reference.softmax_output
            or architecture.sizes[0] != reference.sizes[0]
            or architecture.sizes[-1] != reference.sizes[-1]
        ):
            raise ValueError("all models must share the loss, softmax_output, input and output sizes")

    inputs = _as_float_tensor(inputs)
    if inputs.dim() == 2:
        inputs = inputs.unsqueeze(0)
    if inputs.dim() != 3 or inputs.shape[0] not in (1, n_models) or inputs.shape[-1] != reference.sizes[0]:
        raise ValueError(f"inputs must be [N, {reference.sizes[0]}] or [M, N, F], got {tuple(inputs.shape)}")
    n_rows = inputs.shape[1]
    targets = _normalise_targets(targets, reference, n_models, n_rows)
    train_mask = _normalise_mask(train_mask, n_models, epochs, n_rows)
    test_mask = _normalise_mask(test_mask, n_models, epochs, n_rows)
    if test_mask is None and train_mask is not None:
        test_mask = ~train_mask

    n_batches = 0
    rows_per_step = n_rows
    if batch_size is not None:
        n_train_max = n_rows if train_mask is None else int(train_mask.sum(-1).max())
        n_batches = max(1, math.ceil(n_train_max / batch_size))
        rows_per_step = min(batch_size, n_rows)
    context = blocks.current()
    if executor is None and context is not None:
        executor = context.executor
    plan = _plan_blocks(architectures, rows_per_step, epochs * max(n_batches, 1),
                        _LOCAL_BLOCK_MODELS if executor is None else _SHIPPED_BLOCK_MODELS)
    costs = [epochs * max(n_batches, 1) * _step_cost(padded.sizes, len(members), rows_per_step)
             for members, padded in plan]
    if threads is None:
        flops = sum(_step_flops(padded.sizes, len(members), rows_per_step) for members, padded in plan)
        available = context.threads if context is not None and context.threads else torch.get_num_threads()
        threads = available if flops > _PARALLEL_FLOPS else 1

    records = {name: torch.full((n_models, epochs), math.nan) for name in RECORDS if name in record}
    for name in ("batch_losses", "batch_accuracy"):
        if name in record and batch_size is not None:
            records[name] = torch.full((n_models, epochs, n_batches), math.nan)
    outputs = torch.empty(n_models, n_rows, reference.sizes[-1])

    def task(members: list[int]) -> _BlockTask:
        index = torch.tensor(members, dtype=torch.int64)
        return _BlockTask(
            architectures=[architectures[k] for k in members],
            keys=[keys[k] for k in members],
            initial_weights=None if initial_weights is None else [initial_weights[k] for k in members],
            inputs=inputs if inputs.shape[0] == 1 else inputs[index],
            targets=targets if targets.shape[0] == 1 else targets[index],
            learning_rates=learning_rates[index],
            epochs=epochs,
            train_mask=None if train_mask is None else train_mask[index],
            test_mask=None if test_mask is None else test_mask[index],
            batch_size=batch_size,
            n_batches=n_batches,
            shuffle=shuffle,
            wanted=tuple(sorted(records)),
            device=str(device),
            optimizer=optimizer,
        )

    if context is not None and context.plan_only:  # --dry-run: the plan, zeros for the numbers
        context.plans.append({
            "models": n_models, "model_epochs": n_models * epochs, "blocks": len(plan),
            "seconds": sum(costs), "wall_seconds": _makespan(costs, threads),
            "flops": epochs * max(n_batches, 1) * sum(_step_flops(padded.sizes, len(members), rows_per_step)
                                                      for members, padded in plan),
        })
        groups = [_Group(torch.tensor(members),
                         [torch.zeros(len(members), o, i) for i, o in zip(padded.sizes[:-1], padded.sizes[1:],
                                                                            strict=True)],
                         [torch.zeros(len(members), o) for o in padded.sizes[1:]]) for members, padded in plan]
        return TrainResult(architectures=architectures, outputs=outputs.zero_(), groups=groups,
                           **{name: values.zero_() for name, values in records.items()})
    tasks = [task(members) for members, _ in plan]
    hooks = blocks.Hooks(
        n_models * epochs,
        progress if progress is not None or context is None else context.progress,
        cancel if cancel is not None or context is None else context.cancel,
        context,
    )
    cache = None if context is None else context.cache
    cache_keys = None
    if cache is not None:  # the cache adds dudl's version to the key
        run = json.dumps([context.experiment_id, context.params, context.calls], sort_keys=True, default=str)
        cache_keys = [f"{run}|{members}|{_digest(block)}" for (members, _), block in zip(plan, tasks, strict=True)]
    # Each block runs on one thread (torch intra-op threads = 1: no OpenMP barriers that spin on a busy
    # machine); several blocks run side by side in Python threads (torch releases the GIL), biggest first.
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        results = blocks.execute(tasks, train_block, costs=costs, model_epochs=[len(m) * epochs for m, _ in plan],
                                 hooks=hooks, workers=threads, executor=executor, cache=cache, keys=cache_keys)
    finally:
        torch.set_num_threads(previous_threads)
    hooks.finish()
    groups = []
    for (members, padded), arrays in zip(plan, results, strict=True):
        index = torch.tensor(members, dtype=torch.int64)
        outputs[index] = arrays["outputs"]
        for name in records:
            records[name][index] = arrays[name]
        groups.append(_Group(
            indices=index,
            weights=[arrays[f"weight{layer}"] for layer in range(padded.n_layers)],
            biases=[arrays[f"bias{layer}"] for layer in range(padded.n_layers)],
        ))
    trained = TrainResult(architectures=architectures, outputs=outputs, groups=groups, **records)
    kept = _KEPT.get()
    if kept is not None:
        kept.append(KeptCall(call, trained))
    return trained


@dataclass(frozen=True)
class KeptCall:
    """One :func:`train` call seen by :func:`keep_trained`: its ``arguments`` (by name, as passed) and its
    TrainResult (``trained.state_dict(k)``, ``trained.module(k)``: model k's final weights)."""

    arguments: dict[str, Any]
    trained: TrainResult


_KEPT: ContextVar[list[KeptCall] | None] = ContextVar("dudl_kept_calls", default=None)


@contextlib.contextmanager
def keep_trained() -> Iterator[list[KeptCall]]:
    """Inside the ``with`` block, every :func:`train` call (in this thread's context) appends a
    :class:`KeptCall` to the yielded list, so that a caller of an experiment can export its trained models
    or replay a model's training for fewer epochs (``dudl serve``). Keeps every model's weights alive."""
    kept: list[KeptCall] = []
    token = _KEPT.set(kept)
    try:
        yield kept
    finally:
        _KEPT.reset(token)


@dataclass
class _BlockTask:
    """Everything one block needs (its models' slices of :func:`train`'s arguments): picklable, so a block
    can run in another process or on a Dask worker."""

    architectures: list[Architecture]
    keys: list[np.random.SeedSequence]
    initial_weights: list[nn.Module | dict[str, torch.Tensor]] | None
    inputs: torch.Tensor
    targets: torch.Tensor
    learning_rates: torch.Tensor
    epochs: int
    train_mask: torch.Tensor | None
    test_mask: torch.Tensor | None
    batch_size: int | None
    n_batches: int
    shuffle: bool
    wanted: tuple[str, ...]
    device: str
    optimizer: Optimizer = PLAIN_SGD


def _digest(task: _BlockTask) -> str:
    """SHA-256 of everything a block's numbers depend on (part of its cache key)."""
    digest = hashlib.sha256()

    def add(value: object) -> None:
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().contiguous()
            digest.update(f"{value.dtype}{tuple(value.shape)}".encode())
            digest.update(value.view(-1).view(torch.uint8).numpy().tobytes() if value.numel() else b"")
        elif isinstance(value, np.random.SeedSequence):
            add((value.entropy, value.spawn_key, value.pool_size))
        elif isinstance(value, nn.Module):
            add(value.state_dict())
        elif isinstance(value, dict):
            for name, item in value.items():
                add(name)
                add(item)
        elif isinstance(value, list | tuple):
            digest.update(f"{type(value).__name__}{len(value)}".encode())
            for item in value:
                add(item)
        else:
            digest.update(repr(value).encode() + b";")

    for item in dataclasses.fields(task):
        add(item.name)
        add(getattr(task, item.name))
    return digest.hexdigest()


def train_block(task: _BlockTask, hooks: blocks.Hooks | None = None) -> dict[str, torch.Tensor]:
    """Train one block; returns its arrays (CPU): "outputs" [G, N, out], "weight{l}" / "bias{l}" per layer
    (padded; the first weight carries the bias column) and each wanted record [G, epochs(, n_batches)].

    ``hooks`` (in this process only) count each epoch's model-epochs and may stop the block (Cancelled)."""
    # torch.set_num_threads sets the calling thread's OpenMP thread count only: a worker thread would
    # otherwise start with the machine's count, and its MKL products would oversubscribe the cores
    # (docs/engine.md#tuning-notes)
    torch.set_num_threads(1)
    device = torch.device(task.device)
    padded = padded_architecture(task.architectures[0])
    n_models = len(task.architectures)
    task = _with_spare_models(task, padded)
    weights, biases, masks, generators = _initial_group_weights(
        task.architectures,
        padded,
        task.keys,
        task.initial_weights,
        keep_generators=task.batch_size is not None and task.shuffle,
    )
    net = StackedNet(
        [w.to(device) for w in weights],
        [b.to(device) for b in biases],
        padded.activations,
        padded.loss,
        padded.softmax_output,
        [None if m is None else (m[0].to(device), m[1].to(device)) for m in masks],
        task.optimizer,
        task.learning_rates.to(device).view(-1, 1, 1),
    )
    group_records, outputs = _train_group(
        padded=padded,
        net=net,
        generators=generators,
        inputs=task.inputs,
        targets=task.targets,
        learning_rates=task.learning_rates,
        fold_learning_rates=task.optimizer.fused,
        epochs=task.epochs,
        train_mask=task.train_mask,
        test_mask=task.test_mask,
        batch_size=task.batch_size,
        n_batches=task.n_batches,
        shuffle=task.shuffle,
        wanted=set(task.wanted),
        device=device,
        on_epoch=None if hooks is None else functools.partial(hooks.advance, n_models),
    )
    arrays = {"outputs": outputs, **group_records}
    for layer, (weight, bias) in enumerate(zip(*net.linear_parameters(), strict=True)):
        arrays[f"weight{layer}"] = weight.cpu()
        arrays[f"bias{layer}"] = bias.cpu()
    return {name: values[:n_models].clone() for name, values in arrays.items()}


# torch's elementwise CPU kernels compute a tensor in vector chunks and its last (numel mod chunk) elements
# with the scalar formula, which rounds exp, log and sigmoid differently; in a flat [G, units, rows] tensor
# that tail falls on the last model of the block. Each block therefore ends with spare models (learning rate
# 0, the first model's data) that hold at least this many elements of every such tensor.
_TAIL_ELEMENTS = 64


def _with_spare_models(task: _BlockTask, padded: Architecture) -> _BlockTask:
    """``task`` with the spare models that take the elementwise kernels' scalar tail (see _TAIL_ELEMENTS),
    where it matters: an activation or loss whose table entry is not ``exact_tail`` (sigmoid, tanh, the BCE
    losses). ReLU, MSE and (log-)softmax over the units round alike in both paths or run per model."""
    if LOSSES[padded.loss].exact_tail and all(ACTIVATIONS[a].exact_tail for a in padded.activations):
        return task
    rows = task.inputs.shape[1] if task.batch_size is None else min(task.batch_size, task.inputs.shape[1])
    n_spare = math.ceil(_TAIL_ELEMENTS / (min(padded.sizes[1:]) * rows))

    def extend(values: torch.Tensor | None, shared_if_one: bool = True) -> torch.Tensor | None:
        if values is None or (shared_if_one and values.shape[0] == 1):  # absent, or shared by all models
            return values
        return torch.cat([values, values[:1].expand(n_spare, *values.shape[1:])])

    zero_state = {f"{kind}{layer}": torch.zeros(shape) for layer, (fan_in, fan_out) in
                  enumerate(zip(padded.sizes[:-1], padded.sizes[1:], strict=True))
                  for kind, shape in (("weight", (fan_out, fan_in)), ("bias", (fan_out,)))}
    return dataclasses.replace(
        task,
        architectures=[*task.architectures, *[padded] * n_spare],
        keys=[*task.keys, *[np.random.SeedSequence(0)] * n_spare],
        initial_weights=None if task.initial_weights is None else [*task.initial_weights, *[zero_state] * n_spare],
        inputs=extend(task.inputs),
        targets=extend(task.targets),
        learning_rates=torch.cat([task.learning_rates, torch.zeros(n_spare)]),
        train_mask=extend(task.train_mask, shared_if_one=False),  # masks are per model: [G, 1 or epochs, N]
        test_mask=extend(task.test_mask, shared_if_one=False),
    )


def dataloader_permutation(n_rows: int, generator: torch.Generator) -> torch.Tensor:
    """[n_rows] one epoch's row order of ``DataLoader(..., shuffle=True, generator=generator)``.

    Draws what that DataLoader draws per epoch, in its order: the iterator's base seed (one int64), the
    RandomSampler's permutation, and the spare permutation RandomSampler draws for the remainder
    (``num_samples % n`` = 0 rows). So the generator stays in step with a real DataLoader epoch after epoch.
    """
    torch.empty((), dtype=torch.int64).random_(generator=generator)
    order = torch.randperm(n_rows, generator=generator)
    torch.randperm(n_rows, generator=generator)
    return order


def _initial_group_weights(
    architectures: list[Architecture],
    padded: Architecture,
    keys: list[np.random.SeedSequence],
    initial_weights: list[nn.Module | dict[str, torch.Tensor]] | None,
    keep_generators: bool,
) -> tuple[
    list[torch.Tensor],
    list[torch.Tensor],
    list[tuple[torch.Tensor, torch.Tensor] | None],
    list[torch.Generator | None],
]:
    """Stacked zero-padded initial weights [G, out, in] and biases [G, out, 1] of a group (CPU).

    Each model's generator draws what nn.Linear draws, in its order, with no per-model modules (cheap per
    model): when no model is padded, one ``torch.rand`` of all its parameters per model, turned into every
    layer's uniform(-b, b) for the whole stack at once (:func:`_uniform_from_unit`, bit for bit); else
    straight into its corner of the zero-padded stack, layer by layer. Given ``initial_weights`` overwrite
    the draw. For a sigmoid hidden layer with padded units, the next layer gets 0/1 masks that keep its
    padded weights at zero (sigmoid(0) = .5 is not zero; see :mod:`dudl.core._kernels`). Returns the
    generators (after the draw) when ``keep_generators`` (they then draw the batch order), else Nones.
    """
    n_models = len(architectures)
    shapes = list(zip(padded.sizes[:-1], padded.sizes[1:], strict=True))
    generators: list[torch.Generator | None] = []
    shared_generator = torch.Generator()

    def generator_for(key: np.random.SeedSequence) -> torch.Generator:
        if keep_generators:
            generators.append(seeding.torch_generator(key))
            return generators[-1]
        generators.append(None)
        shared_generator.manual_seed(seeding.torch_seed(key))
        return shared_generator

    unpadded = all(architecture.sizes == padded.sizes for architecture in architectures)
    if unpadded:
        # no padding: one torch.rand per model, then nn.Linear's uniform(-b, b) for all models at once
        n_params = padded.n_params
        draws = torch.stack([torch.rand(n_params, generator=generator_for(key)) for key in keys])
        weights, biases = _uniform_from_unit(draws, padded)
    else:
        weights = [torch.zeros(n_models, fan_out, fan_in) for fan_in, fan_out in shapes]
        biases = [torch.zeros(n_models, fan_out, 1) for fan_in, fan_out in shapes]
    for position, architecture in enumerate(architectures):
        if not unpadded:  # each model draws into its corner of the padded stack
            generator = generator_for(keys[position])
            for layer, (fan_in, fan_out) in enumerate(
                zip(architecture.sizes[:-1], architecture.sizes[1:], strict=True)
            ):
                weight_bound, bias_bound = _init_bounds(fan_in)
                weights[layer][position, :fan_out, :fan_in].uniform_(-weight_bound, weight_bound, generator=generator)
                biases[layer][position, :fan_out, 0].uniform_(-bias_bound, bias_bound, generator=generator)
        if initial_weights is not None:
            for layer, (weight, bias) in enumerate(_weights_from(initial_weights[position], architecture)):
                weights[layer][position, : weight.shape[0], : weight.shape[1]] = weight
                biases[layer][position, : bias.shape[0], 0] = bias
    masks: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * len(shapes)
    for layer, activation in enumerate(padded.activations[:-1]):
        if ACTIVATIONS[activation].at_zero == 0 or all(a.sizes[layer + 1] == padded.sizes[layer + 1]
                                                       for a in architectures):
            continue
        weight_mask = torch.zeros_like(weights[layer + 1])
        for position, architecture in enumerate(architectures):
            weight_mask[position, : architecture.sizes[layer + 2], : architecture.sizes[layer + 1]] = 1
        masks[layer + 1] = (weight_mask, weight_mask[:, :, :1].clone())
    return weights, biases, masks, generators


@torch.no_grad()
def _train_group(
    *,
    padded: Architecture,
    net: StackedNet,
    generators: list[torch.Generator | None],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    learning_rates: torch.Tensor,
    fold_learning_rates: bool,
    epochs: int,
    train_mask: torch.Tensor | None,
    test_mask: torch.Tensor | None,
    batch_size: int | None,
    n_batches: int,
    shuffle: bool,
    wanted: set[str],
    device: torch.device,
    on_epoch: Callable[[], None] | None,
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Train one block of models that share a (padded) architecture (``net`` holds their weights and its
    optimizer). ``fold_learning_rates``: the row weights carry the learning rates (plain SGD, fused).

    Returns its records ({name: [G, epochs(, n_batches)]} on the CPU) and its outputs [G, N, out] on all
    rows. ``on_epoch()`` is called after every epoch (progress; it may raise Cancelled).
    """
    n_models = len(learning_rates)
    n_rows = inputs.shape[1]

    # inputs as X^T with a row of ones: shared [F+1, N] or per model [G, F+1, N]
    shared = inputs.shape[0] == 1
    inputs_t = net.prepare_inputs((inputs[0].t() if shared else inputs.transpose(1, 2)).to(device))
    if LOSSES[padded.loss].labels:
        labels = targets.to(device)  # [1 or G, N]
        targets_t = torch.zeros(labels.shape[0], padded.sizes[-1], n_rows, device=device)
        targets_t.scatter_(1, labels.unsqueeze(1), 1.0)
    else:
        targets_t = targets.transpose(1, 2).contiguous().to(device)  # [1 or G, out, N]
        labels = targets_t[:, 0]
    threshold = _decision_threshold(padded)
    # the learning rates times the row weights (fused SGD), or the row weights alone (the optimizer's update
    # applies the learning rates)
    lr = learning_rates.to(device).view(n_models, 1, 1) if fold_learning_rates else torch.ones(n_models, 1, 1,
                                                                                                device=device)
    want = {name: name in wanted for name in (*RECORDS, "batch_losses", "batch_accuracy")}
    if train_mask is None:
        train_rows = None  # all rows: plain means
    else:
        train_rows = train_mask.to(device=device, dtype=torch.float32)  # [G, 1 or epochs, N]
        train_counts = train_rows.sum(-1)
    test_rows = None if test_mask is None else test_mask.to(device=device, dtype=torch.float32)
    record_test = test_rows is not None and (want["test_losses"] or want["test_accuracy"])
    group_records = {name: torch.full((epochs, n_models), math.nan, device=device) for name in RECORDS
                     if want[name]}

    def epoch_rows_of(mask: torch.Tensor | None, first: int, count: int) -> torch.Tensor | None:
        """[count, G, N] rows of epochs first, first + 1, ... of a [G, 1 or epochs, N] mask (None: all rows)."""
        if mask is None:
            return None
        if mask.shape[1] == 1:
            return mask[:, 0].expand(count, -1, -1)
        return mask[:, first:first + count].transpose(0, 1)

    def record(outputs: torch.Tensor, rows: torch.Tensor | None, first: int, loss: str, accuracy: str) -> None:
        """The ``loss`` and ``accuracy`` records of epochs first, first + 1, ... (where they are wanted) from
        their outputs [E, G, out, N], over rows [E, G, N]: all E epochs' values at once (each model's and
        epoch's numbers are computed as alone: per row, then summed along its own rows)."""
        count = outputs.shape[0]
        flat = outputs.view(count * n_models, *outputs.shape[2:])
        targets_e = targets_t if targets_t.shape[0] == 1 or count == 1 else targets_t.repeat(count, 1, 1)
        labels_e = labels if labels.shape[0] == 1 or count == 1 else labels.repeat(count, 1)
        if want[loss]:
            losses = LOSSES[padded.loss].row_losses(flat, targets_e, labels_e).view(count, n_models, -1)
            group_records[loss][first:first + count] = _masked_mean(losses, rows)
        if want[accuracy]:
            correct = _kernels.row_correct(flat, labels_e, threshold).view(count, n_models, -1)
            group_records[accuracy][first:first + count] = 100 * _masked_mean(correct, rows)

    def test_records(outputs: torch.Tensor, first: int) -> None:
        """The test records of epochs first, first + 1, ... from the outputs after their updates [E, G, out, N]."""
        if record_test and len(outputs):
            count = outputs.shape[0]
            record(outputs, epoch_rows_of(test_rows, first, count), first, "test_losses", "test_accuracy")

    if batch_size is None:
        # the same tensors every step (net.step plans its operations once for them)
        row_scale = lr / n_rows if train_rows is None else torch.empty(n_models, 1, n_rows, device=device)
        keep_outputs = want["losses"] or want["accuracy"] or record_test
        # each step's outputs are kept, and the records of many epochs computed at once from them
        n_out = padded.sizes[-1]
        chunk = max(1, min(epochs, _RECORD_FLOATS // (n_models * n_out * n_rows))) if keep_outputs else 0
        kept = torch.empty(chunk, n_models, n_out, n_rows, device=device)
        first = 0  # the epoch of kept[0]
        for epoch in range(epochs):
            if train_rows is not None and (epoch == 0 or train_rows.shape[1] > 1):
                epoch_rows = train_rows[:, min(epoch, train_rows.shape[1] - 1)]
                counts = train_counts[:, min(epoch, train_counts.shape[1] - 1)]
                # a model without training rows gets no gradient (not 0/0); its loss record is NaN
                torch.mul(lr / counts.clamp(min=1).view(n_models, 1, 1), epoch_rows.unsqueeze(1), out=row_scale)
            model_outputs = net.step(inputs_t, targets_t, row_scale, keep_outputs=keep_outputs)
            if keep_outputs:
                kept[epoch - first].copy_(model_outputs)
                if epoch - first + 1 == chunk or epoch == epochs - 1:
                    outputs = kept[:epoch - first + 1]  # the forwards of epochs first..epoch, before their updates
                    record(outputs, epoch_rows_of(train_rows, first, len(outputs)), first, "losses", "accuracy")
                    test_records(outputs[1:] if first == 0 else outputs, max(first - 1, 0))
                    first = epoch + 1
            if on_epoch is not None:
                on_epoch()
    else:
        batch_records = want["losses"] or want["batch_losses"] or want["accuracy"] or want["batch_accuracy"]
        batch_losses = torch.full((epochs, n_batches, n_models), math.nan, device=device)
        batch_accuracy = torch.full((epochs, n_batches, n_models), math.nan, device=device)
        inputs_rows = inputs_t.unsqueeze(0) if shared else inputs_t
        # each epoch's rows are gathered into the same buffers, and each batch is a view of them, the same
        # views every epoch (net.step plans its operations once for them)
        width = n_batches * batch_size
        epoch_inputs = torch.empty(n_models, inputs_t.shape[-2], width, device=device)
        epoch_targets = torch.empty(n_models, targets_t.shape[1], width, device=device)
        epoch_scale = torch.empty(n_models, 1, width, device=device)
        batches = [tuple(values[..., batch * batch_size:(batch + 1) * batch_size]
                         for values in (epoch_inputs, epoch_targets, epoch_scale)) for batch in range(n_batches)]
        for epoch in range(epochs):
            epoch_mask = (
                torch.ones(n_models, n_rows, dtype=torch.bool)
                if train_mask is None
                else train_mask[:, min(epoch, train_mask.shape[1] - 1)]
            )
            rows, row_weights, has_batch = _batch_plan(epoch_mask, generators, batch_size, n_batches, shuffle)
            rows, row_weights, has_batch = rows.to(device), row_weights.to(device), has_batch.to(device)
            epoch_rows = rows.view(n_models, width)
            epoch_inputs.copy_(_kernels.take_rows(inputs_rows, epoch_rows))  # [G, F+1, n_batches * B]
            epoch_targets.copy_(_kernels.take_rows(targets_t, epoch_rows))
            torch.mul(lr, row_weights.view(n_models, 1, width), out=epoch_scale)  # lr/batch size, 0 = padding
            if batch_records:
                epoch_outputs = torch.empty(n_models, padded.sizes[-1], width, device=device)
            for batch, (batch_inputs, batch_targets, batch_scale) in enumerate(batches):
                model_outputs = net.step(batch_inputs, batch_targets, batch_scale, keep_outputs=batch_records)
                if batch_records:
                    epoch_outputs[..., batch * batch_size:(batch + 1) * batch_size] = model_outputs
            if batch_records:  # all batches' records of the epoch at once
                epoch_labels = _kernels.take_labels(labels, epoch_rows)
                weights_by_batch = row_weights.view(n_models, n_batches, batch_size)
                losses = LOSSES[padded.loss].row_losses(epoch_outputs, epoch_targets, epoch_labels)
                losses = (losses.view_as(weights_by_batch) * weights_by_batch).sum(-1)
                correct = _kernels.row_correct(epoch_outputs, epoch_labels, threshold)
                accuracy_by_batch = 100 * (correct.view_as(weights_by_batch) * weights_by_batch).sum(-1)
                nan = torch.tensor(math.nan, device=device)
                batch_losses[epoch] = torch.where(has_batch, losses, nan).t()
                batch_accuracy[epoch] = torch.where(has_batch, accuracy_by_batch, nan).t()
            if record_test:
                test_records(net.forward(inputs_t).unsqueeze(0), epoch)
            if on_epoch is not None:
                on_epoch()
        # each model's mean over its batches, summed along contiguous memory: a mean over the middle axis of
        # [epochs, n_batches, G] would be summed in an order that depends on G
        if want["losses"]:
            group_records["losses"] = batch_losses.permute(0, 2, 1).contiguous().nanmean(-1)
        if want["accuracy"]:
            group_records["accuracy"] = batch_accuracy.permute(0, 2, 1).contiguous().nanmean(-1)
    model_outputs = net.forward(inputs_t)
    if batch_size is None and epochs > 0:
        test_records(model_outputs.unsqueeze(0), epochs - 1)
    results = {name: values.t().cpu() for name, values in group_records.items()}
    if batch_size is not None:
        for name, values in (("batch_losses", batch_losses), ("batch_accuracy", batch_accuracy)):
            if want[name]:
                results[name] = values.permute(2, 0, 1).cpu()
    return results, model_outputs.transpose(1, 2).cpu()


def _batch_plan(
    train_mask: torch.Tensor,
    generators: list[torch.Generator | None],
    batch_size: int,
    n_batches: int,
    shuffle: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One epoch's batches of each model, like its own ``DataLoader(shuffle=shuffle)``.

    train_mask [G, N] bool. Returns rows [G, n_batches, batch_size] int64 (row indices), row weights
    [G, n_batches, batch_size] (1 / size of the batch on real rows, 0 on padding), and has_batch
    [G, n_batches] bool (False where a model with fewer training rows has no such batch).
    """
    n_models = train_mask.shape[0]
    rows = torch.zeros(n_models, n_batches * batch_size, dtype=torch.int64)
    weights = torch.zeros(n_models, n_batches * batch_size)
    has_batch = torch.zeros(n_models, n_batches, dtype=torch.bool)
    for position in range(n_models):
        train_rows = train_mask[position].nonzero().view(-1)
        n_train = len(train_rows)
        if shuffle:
            train_rows = train_rows[dataloader_permutation(n_train, generators[position])]
        rows[position, :n_train] = train_rows
        sizes = torch.full((n_train,), float(batch_size))
        last = n_train % batch_size
        if last:
            sizes[n_train - last :] = last
        weights[position, :n_train] = 1 / sizes
        has_batch[position, : math.ceil(n_train / batch_size)] = True
    return (
        rows.view(n_models, n_batches, batch_size),
        weights.view(n_models, n_batches, batch_size),
        has_batch,
    )


# ---------------------------------------------------------------------------------------------------------
# evaluation helpers


def _eval_layout(
    outputs: torch.Tensor, targets: torch.Tensor, architecture: Architecture
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """outputs [M, N, out] -> the trainer's layout for a loss's ``row_losses`` and ``_kernels.row_correct``:
    outputs [M, out, N] float32, targets [1 or M, out, N] (labels for cross-entropy) and labels [1 or M, N]."""
    outputs = torch.as_tensor(outputs).to(torch.float32)
    targets = _normalise_targets(targets, architecture, outputs.shape[0], outputs.shape[1]).to(outputs.device)
    if LOSSES[architecture.loss].labels:
        return outputs.transpose(1, 2), targets, targets
    return outputs.transpose(1, 2), targets.transpose(1, 2), targets[..., 0]


def _eval_mask(mask: torch.Tensor | None, outputs: torch.Tensor) -> torch.Tensor:
    """[M, N] bool rows to evaluate (all rows if None); outputs in the trainer's layout [M, out, N]."""
    shape = (outputs.shape[0], outputs.shape[2])
    if mask is None:
        return torch.ones(shape, dtype=torch.bool, device=outputs.device)
    mask = torch.as_tensor(mask).to(device=outputs.device, dtype=torch.bool)
    return mask.expand(shape)


def loss_values(
    outputs: torch.Tensor, targets: torch.Tensor, architecture: Architecture, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """[M] the architecture's loss (mean over the rows in ``mask`` [M, N], all rows if None).

    outputs [M, N, out] as :func:`train` returns them (after sigmoid / softmax where the architecture
    has them: with ``softmax_output`` cross-entropy applies log-softmax again, the course's quirk).
    """
    outputs, targets, labels = _eval_layout(outputs, targets, architecture)
    mask = _eval_mask(mask, outputs).to(torch.float32)
    losses = LOSSES[architecture.loss].row_losses(outputs, targets, labels)  # [M, N]
    return _masked_mean(losses, mask)


def predicted_labels(outputs: torch.Tensor, architecture: Architecture) -> torch.Tensor:
    """[M, N] int64 predicted class (docs/spec/experiments.md#decision-rule-and-accuracy): sigmoid output > .5, logit >
    0, argmax for several outputs."""
    return _kernels.predicted(torch.as_tensor(outputs).transpose(-1, -2), _decision_threshold(architecture))


def accuracy(
    outputs: torch.Tensor, targets: torch.Tensor, architecture: Architecture, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """[M] float64 accuracy in % (docs/spec/experiments.md#decision-rule-and-accuracy) over the rows in ``mask`` [M, N]
    (all rows if None); NaN for an empty mask and for a diverged model (an output in the mask not finite).

    Counted exactly (correct rows / rows, in float64), so 117 of 120 is 97.5, not 97.50001.
    """
    outputs, _, labels = _eval_layout(outputs, targets, architecture)
    mask = _eval_mask(mask, outputs)
    correct = _kernels.row_correct(outputs, labels, _decision_threshold(architecture))
    hits = ((correct == 1) & mask).sum(-1)
    accuracy = 100 * hits.to(torch.float64) / mask.sum(-1).to(torch.float64)
    return accuracy.masked_fill((correct.isnan() & mask).any(-1), math.nan)
