"""math.derivatives: derivatives with sympy (math/DUDL_math_derivatives1).

sympy differentiates a function of x symbolically (``sympy.diff``); then the two common activation
functions, ReLU = Max(0, x) and sigmoid = 1/(1 + exp(−x)), and their derivatives. Deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core import calculus
from dudl.lectures.figures import figure
from dudl.lectures.grids import check_grid
from dudl.params import ParamError, param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
2*x**2
4*x
"""


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "sympy differentiates a formula for you: the derivative of 2x² is 4x, the slope of the curve at every x. Look"
    " at the activation functions: ReLU's slope jumps from 0 to 1 at zero, while the sigmoid's slope is a smooth "
    "bump that is largest (1/4) at zero and almost 0 far from it."
)
CAPTIONS = {
    "function": "the function: a parabola, lowest at x = 0",
    "derivative": "the function and its slope: the slope is negative left of the minimum, zero at it, positive right",
    "activations": (
        "ReLU is 0 for negative inputs and the input itself for positive ones; the sigmoid squashes into (0, 1)"
    ),
    "activation_derivatives": "ReLU's slope is a step from 0 to 1; the sigmoid's slope is a bump, largest at 0",
}


@dataclass(frozen=True)
class Params(BaseParams):
    expression: str = param("2*x**2", "the function of x to differentiate (sympy syntax)")
    x_min: float = param(-4.0, "left end of the plotting range")
    x_max: float = param(4.0, "right end of the plotting range")
    n_points: int = param(801, "grid points used to evaluate the expressions for metrics and figures", ge=2)

    def check(self) -> None:
        check_grid(self.x_min, self.x_max)
        try:
            calculus.parse_function(self.expression)
        except calculus.ExpressionError as error:  # it names what is wrong and what is allowed
            raise ParamError(str(error)) from None


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """sympy's derivatives of the expression and of ReLU and sigmoid, as strings and on the grid [n_points]."""
    fx = calculus.parse_function(params.expression)
    df = calculus.derivative(fx)
    d_relu, d_sigmoid = calculus.derivative(calculus.RELU), calculus.derivative(calculus.SIGMOID)
    x = np.linspace(params.x_min, params.x_max, params.n_points)
    return {
        "function": str(fx),
        "derivative": str(df),
        "relu_derivative": str(d_relu),
        "sigmoid_derivative": str(d_sigmoid),
        "x": x,
        "f": calculus.evaluate(fx, x),
        "df": calculus.evaluate(df, x),
        "relu": calculus.evaluate(calculus.RELU, x),
        "sigmoid": calculus.evaluate(calculus.SIGMOID, x),
        "d_relu": calculus.evaluate(d_relu, x),
        "d_sigmoid": calculus.evaluate(d_sigmoid, x),
    }


def figures(result: Result) -> dict[str, Figure]:
    p, m = result.params, result.metrics
    x = np.asarray(m["x"], dtype=float)

    def panel(title: str, curves: list[tuple[str, str | None, str | None]]) -> Figure:
        fig, ax = figure()
        for name, label, color in curves:
            ax.plot(x, np.asarray(m[name], dtype=float), label=label, color=color)
        ax.set_xlim(p["x_min"], p["x_max"])
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.set_title(title)
        if any(label for _, label, _ in curves):
            ax.legend()
        return fig

    return {
        "function": panel("The function", [("f", None, None)]),
        "derivative": panel("Its derivative", [("df", None, None)]),
        "activations": panel("The functions", [("relu", "ReLU", "blue"), ("sigmoid", "Sigmoid", "red")]),
        "activation_derivatives": panel("The derivatives", [("d_relu", "df(ReLU)", "blue"),
                                                            ("d_sigmoid", "df(Sigmoid)", "red")]),
    }


def printed(result: Result) -> list[str]:
    return [result.metrics["function"], result.metrics["derivative"]]
