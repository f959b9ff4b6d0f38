"""A lecture's grid of x values from ``x_min`` to ``x_max``: the check of its ends and its points, also where the
ends are near the largest float.
"""

from __future__ import annotations

import numpy as np

from dudl.params import ParamError


def check_grid(x_min: float, x_max: float, names: tuple[str, str] = ("x_min", "x_max")) -> None:
    """Raise ParamError unless a grid's ends (parameters ``names``) have x_min < x_max (the parameter layer has
    already refused ends that are not finite)."""
    if not x_min < x_max:
        raise ParamError(f"{names[0]} must be less than {names[1]}, got {x_min:g} and {x_max:g}")


def linspace(low: float, high: float, n: int) -> np.ndarray:
    """``np.linspace(low, high, n)`` [n], also when ``high - low`` overflows (ends near +/-1.8e308, where numpy
    gives inf and NaN): each point is then ``low * (1 - t) + high * t``."""
    with np.errstate(over="ignore"):
        span = np.subtract(high, low, dtype=float)
    if np.isfinite(span):
        return np.linspace(low, high, n)
    t = np.linspace(0.0, 1.0, n)
    points = low * (1 - t) + high * t
    points[[0, -1]] = low, high
    return points
