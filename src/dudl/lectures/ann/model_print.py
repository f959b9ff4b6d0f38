"""What the course prints of a model: ``print(model)`` of an architecture's ``nn.Sequential`` form (ann.regression,
ann.qwerties) and torchsummary's table of a model's layers (ann.num-parameters)."""

from __future__ import annotations

import torch

from dudl.core.engine import Architecture


def structure(architecture: Architecture) -> str:
    """``print(model)`` of the architecture's ``nn.Sequential`` (built without touching the global RNG)."""
    with torch.random.fork_rng(devices=[]):
        return str(architecture.sequential())


def summary_lines(rows: list[tuple[str, list[int], int, bool]]) -> list[str]:
    """The torchsummary table of :func:`dudl.core.models.layer_summary` rows, as torchsummary prints it (to the
    totals)."""
    total = sum(n for _, _, n, _ in rows)
    trainable = sum(n for _, _, n, is_trainable in rows if is_trainable)
    lines = ["-" * 64, "{:>20}  {:>25} {:>15}".format("Layer (type)", "Output Shape", "Param #"), "=" * 64]
    lines += ["{:>20}  {:>25} {:>15}".format(name, str(shape), f"{n:,}") for name, shape, n, _ in rows]
    lines += ["=" * 64, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    return lines
