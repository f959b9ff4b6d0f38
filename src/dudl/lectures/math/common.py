"""Helpers shared by the math lectures: list and matrix parameters, numpy and PyTorch side by side
(docs/spec/math-section.md#numpy-and-pytorch-side-by-side and #data-types) and printing as the notebooks print
(docs/spec/math-section.md#printing).

A list parameter keeps each number's type (``int | float``), so ``[1, 2]`` becomes an int64 array and an
int64 tensor, and a list that holds any float becomes float64 in numpy and float32 in PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.params import ParamError

if TYPE_CHECKING:
    import torch

Vector = tuple[int | float, ...]
"""A 1-D list of numbers (a parameter annotation)."""

Matrix = tuple[tuple[int | float, ...], ...]
"""A 2-D list of numbers, a list of rows (a parameter annotation); :func:`check_list` checks the rows."""


def check_list(name: str, values: Sequence[Any]) -> None:
    """Raise ParamError unless the list (or matrix) parameter ``name`` is one numpy can hold as a plain array:
    the rows of a matrix all have the same length. (Parameter parsing already keeps integers in int64.)"""
    if values and isinstance(values[0], Sequence):
        lengths = [len(row) for row in values]
        if len(set(lengths)) > 1:
            raise ParamError(f"parameter {name!r} must have rows of equal length, got row lengths {lengths}")


def widen(tensor: torch.Tensor) -> np.ndarray:
    """A tensor as a numpy metric (docs/spec/math-section.md#data-types): integers stay integers, float32 values are
    widened to float64."""
    array = tensor.detach().cpu().numpy()
    return array.astype(np.float64) if array.dtype.kind == "f" else array


def matches(numpy_result: Any, torch_result: Any) -> bool:
    """The same shape and equal values (integers exactly, floats within ``numpy.allclose`` defaults):
    docs/spec/math-section.md#numpy-and-pytorch-side-by-side."""
    a, b = np.asarray(numpy_result), np.asarray(torch_result)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        return bool(np.array_equal(a, b))
    return bool(np.allclose(a, b))


def lines(value: Any) -> list[str]:
    """What ``print(value)`` shows for an array, a tensor or a number, one string per line."""
    return str(value).splitlines()


def course_text(text: str) -> str:
    """A course output block written with empty lines for the notebooks' one-space lines (``print(' ')``, see
    docs/spec/math-section.md#printing):
    the block with each empty line holding one space, as the course printed it."""
    return "\n".join(line or " " for line in text.split("\n")[:-1]) + "\n"


def check_log_base(base: float | None) -> None:
    """Raise ParamError if the ``log_base`` parameter (declared ``gt=0``; null = natural log) is 1."""
    if base == 1:
        raise ParamError("parameter 'log_base' must be > 0 and != 1 (or null), got 1")


def log(x: Any, base: float | None) -> Any:
    """log(x) in ``base`` (None: the natural log, ``np.log`` itself, as in the course); log(0) is -inf, silently."""
    with np.errstate(divide="ignore"):
        return np.log(x) if base is None else np.log(x) / np.log(base)
