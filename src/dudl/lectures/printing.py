"""Tensors as the course's notebooks print them."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def tensor_text(value: float | None) -> str:
    """How the course's notebooks show a float32 scalar tensor, e.g. ``tensor(0.7600)``, ``tensor(50.)``
    (``tensor(nan)`` for a null: a diverged value loaded from JSON)."""
    return repr(torch.tensor(float(np.asarray(value, dtype=float)), dtype=torch.float32))


def tensor_lines(values: Any, **kwargs: Any) -> list[str]:
    """How ``print(torch.tensor(values))`` shows ``values``, as lines."""
    return str(torch.tensor(np.asarray(values), **kwargs)).splitlines()
