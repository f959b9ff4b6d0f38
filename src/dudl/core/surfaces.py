"""The course's objective functions and their derivatives, as the gradient-descent notebooks write them.

1-D functions take and return numpy float64 arrays of any shape (elementwise); their derivatives are
hand-coded, as in the course. The 2-D "peaks" function is also built symbolically in sympy, and its
gradient is sympy's derivative lambdified to numpy (the course lambdifies to sympy and calls ``evalf``:
same values, far slower).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy

from dudl.core import calculus


@dataclass(frozen=True)
class Curve:
    """A 1-D objective ``f`` with its derivative ``df`` and the formula shown in titles."""

    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    formula: str


def _quadratic(x: np.ndarray) -> np.ndarray:
    return 3 * x**2 - 3 * x + 4


def _quadratic_derivative(x: np.ndarray) -> np.ndarray:
    return 6 * x - 3


def _bumpy(x: np.ndarray) -> np.ndarray:
    return np.cos(2 * np.pi * x) + x**2


def _bumpy_derivative(x: np.ndarray) -> np.ndarray:
    return -2 * np.pi * np.sin(2 * np.pi * x) + 2 * x


def _damped_sine(x: np.ndarray) -> np.ndarray:
    return np.sin(x) * np.exp(-(x**2) * 0.05)


def _damped_sine_derivative(x: np.ndarray) -> np.ndarray:
    return np.cos(x) * np.exp(-(x**2) * 0.05) - np.sin(x) * 0.1 * x * np.exp(-(x**2) * 0.05)


QUADRATIC = Curve(_quadratic, _quadratic_derivative, "3x^2 - 3x + 4")
"""gd.1d and gd.dynamic-lr: f(x) = 3x² − 3x + 4, f'(x) = 6x − 3 (minimum at x = 0.5)."""

BUMPY = Curve(_bumpy, _bumpy_derivative, "cos(2 pi x) + x^2")
"""gd.start-value: f(x) = cos(2πx) + x², f'(x) = −2π·sin(2πx) + 2x (f'(0) = 0 exactly)."""

DAMPED_SINE = Curve(_damped_sine, _damped_sine_derivative, "sin(x) exp(-0.05 x^2)")
"""gd.parametric: f(x) = sin(x)·exp(−0.05x²), f'(x) = cos(x)·exp(−0.05x²) − 0.1x·sin(x)·exp(−0.05x²)."""


# ---------------------------------------------------------------------------------------------------
# The 2-D peaks function

SX, SY = sympy.symbols("sx,sy")


def peaks_expression() -> sympy.Expr:
    """The course's symbolic peaks function ``sZ`` in ``sx``, ``sy`` (with its float ``1/3``)."""
    return (3 * (1 - SX) ** 2 * sympy.exp(-(SX**2) - (SY + 1) ** 2)
            - 10 * (SX / 5 - SX**3 - SY**5) * sympy.exp(-(SX**2) - SY**2)
            - 1 / 3 * sympy.exp(-((SX + 1) ** 2) - SY**2))


def peaks(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The peaks function at the points (x, y), elementwise (broadcasting), numpy float64."""
    return (3 * (1 - x) ** 2 * np.exp(-(x**2) - (y + 1) ** 2)
            - 10 * (x / 5 - x**3 - y**5) * np.exp(-(x**2) - y**2)
            - 1 / 3 * np.exp(-((x + 1) ** 2) - y**2))


def peaks_landscape(grid: np.ndarray) -> np.ndarray:
    """The course's ``peaks(x, y)`` on ``meshgrid(grid, grid)``: [n_grid (y), n_grid (x)], rows are y."""
    x, y = np.meshgrid(grid, grid)
    return peaks(x, y)


@functools.lru_cache(maxsize=2)
def peaks_partials(negate: bool = False) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """``(df_x, df_y)``: sympy's partial derivatives of peaks (or of −peaks), lambdified to numpy.

    Each takes ``(x, y)`` arrays and returns their elementwise value.
    """
    surface = -peaks_expression() if negate else peaks_expression()
    return tuple(calculus.numpy_function(calculus.derivative(surface, s), (SX, SY)) for s in (SX, SY))


def peaks_gradient(negate: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """The gradient of peaks (or of −peaks) as a function of points [..., 2] -> [..., 2]."""
    df_x, df_y = peaks_partials(negate)

    def gradient(points: np.ndarray) -> np.ndarray:
        x, y = points[..., 0], points[..., 1]
        return np.stack(np.broadcast_arrays(df_x(x, y), df_y(x, y)), axis=-1).astype(float)

    return gradient
