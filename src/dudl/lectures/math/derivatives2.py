"""math.derivatives2: the product rule and the chain rule with sympy (math/DUDL_math_derivatives2).

The product rule by hand, (f·g)′ = f′·g + f·g′, equals sympy's derivative of the product; the product of the
two derivatives, f′·g′, does not. The chain rule: h = outer(inner), and sympy's h′ equals outer′(inner)·inner′.
Deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy
import sympy.physics.units  # noqa: F401 - simplify imports it on first use: here, so elapsed_s counts computation

from dudl.core import calculus
from dudl.lectures.math.common import course_text
from dudl.params import ParamError, param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = course_text("""\
The functions:
2*x**2
-3*x**4 + 4*x**3

Their derivatives:
4*x
-12*x**3 + 12*x**2

Manual product rule:
2*x**2*(-12*x**3 + 12*x**2) + 4*x*(-3*x**4 + 4*x**3)

Via sympy:
2*x**2*(-12*x**3 + 12*x**2) + 4*x*(-3*x**4 + 4*x**3)

The wrong way:
4*x*(-12*x**3 + 12*x**2)
The function:
(4*x**3 + x**2)**5

Its derivative:
(60*x**2 + 10*x)*(4*x**3 + x**2)**4
""")

NOTES = ("The course shows the expressions with Jupyter's display (typeset as LaTeX); dudl prints str(), and "
         "sympy orders the terms its own way (g prints as -3*x**4 + 4*x**3).")

U = sympy.Symbol("u")  # the variable of the outer function
PROBES = (sympy.Rational(1, 3), sympy.Rational(7, 5))  # rational points where a difference is evaluated exactly


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The product rule (f·g)' = f'·g + f·g' and the chain rule for a function inside another, checked with sympy. "
    "Look at the 'wrong way', multiplying the two derivatives: it gives a different formula."
)


@dataclass(frozen=True)
class Params(BaseParams):
    f: str = param("2*x**2", "first factor of the product (a sympy expression in x)")
    g: str = param("4*x**3 - 3*x**4", "second factor of the product (a sympy expression in x)")
    inner: str = param("x**2 + 4*x**3", "inner function of the chain rule (a sympy expression in x)")
    outer: str = param("u**5", "outer function of the chain rule (a sympy expression in u; the course writes "
                               "(inner)**5 directly)")

    def check(self) -> None:
        for name in ("f", "g", "inner", "outer"):
            expression(self, name)


def expression(params: Params, name: str) -> sympy.Expr:
    """The parameter ``name`` parsed by :func:`calculus.parse_function` (in u for ``outer``, else in x); a bad
    expression raises ParamError naming the parameter."""
    try:
        return calculus.parse_function(getattr(params, name), "u" if name == "outer" else "x")
    except calculus.ExpressionError as error:
        raise ParamError(f"parameter {name!r}: {error}") from None


def same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Whether two expressions of x are equal symbolically: ``simplify(a - b) == 0``, as the course checks.

    Two cheap answers come first: equal trees are equal, and a difference that is an exact nonzero number at a
    probe point (a polynomial at a rational x) is not zero; simplify alone can take a minute to show that two
    large polynomials differ, e.g. the wrong way with ``f = x**1000``, ``g = (x+1)**1000``.
    """
    if a == b:
        return True
    difference = a - b
    if any((value := difference.subs(calculus.X, point)).is_Rational and value != 0 for point in PROBES):
        return False
    return bool(sympy.simplify(difference) == 0)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The product rule by hand, via sympy and the wrong way; the chain rule via sympy and by hand (strings)."""
    f, g, inner, outer = (expression(params, name) for name in ("f", "g", "inner", "outer"))
    df, dg = calculus.derivative(f), calculus.derivative(g)
    product_manual, product_wrong = df * g + f * dg, df * dg
    product_sympy = calculus.derivative(f * g)
    chain_function = outer.subs(U, inner)
    chain_derivative = calculus.derivative(chain_function)
    chain_manual = calculus.derivative(outer, U).subs(U, inner) * calculus.derivative(inner)
    return {
        "f": str(f), "g": str(g), "df": str(df), "dg": str(dg),
        "product_manual": str(product_manual),
        "product_sympy": str(product_sympy),
        "product_wrong": str(product_wrong),
        "product_rule_holds": same(product_manual, product_sympy),
        "wrong_way_differs": not same(product_wrong, product_sympy),
        "chain_function": str(chain_function),
        "chain_derivative": str(chain_derivative),
        "chain_manual": str(chain_manual),
        "chain_rule_holds": same(chain_manual, chain_derivative),
    }


def figures(result: Result) -> dict[str, Figure]:
    """None: the lecture only prints."""
    return {}


def printed(result: Result) -> list[str]:
    """The course's labelled groups, each but 'The wrong way' followed by a one-space line."""
    m = result.metrics
    return ["The functions:", m["f"], m["g"], " ",
            "Their derivatives:", m["df"], m["dg"], " ",
            "Manual product rule:", m["product_manual"], " ",
            "Via sympy:", m["product_sympy"], " ",
            "The wrong way:", m["product_wrong"],
            "The function:", m["chain_function"], " ",
            "Its derivative:", m["chain_derivative"]]
