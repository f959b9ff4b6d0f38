"""Symbolic calculus for the math section: parse a function of x safely, differentiate it with sympy,
and evaluate expressions on a numpy grid (lecture "Derivatives: intuition and polynomials").

The course writes ``x = sym.symbols('x')``, ``fx = 2*x**2``, ``df = sym.diff(fx, x)`` and plots with
sympy. Here a user's ``expression`` arrives as text, so it is parsed without ``eval``: Python's own parser
reads it, and only numbers, ``x``, ``pi``, ``E``, the arithmetic operators and the functions in
:data:`FUNCTIONS` are turned into sympy objects. Anything else is an :class:`ExpressionError`.
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import sympy

X = sympy.Symbol("x")  # the course's `x = sym.symbols('x')`

FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    name: getattr(sympy, name)
    for name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log", "sqrt",
                 "Abs", "Max", "Min", "Heaviside")
}
FUNCTIONS["abs"] = sympy.Abs
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}

MAX_LENGTH = 500  # characters of an expression
MAX_EXPONENT = 1000  # |n| of a number raised to a number: sympy would compute it exactly
MAX_DIGITS = 4000  # digits of an exact number a power may make (Python prints integers up to 4300 digits)
# sympy's work on an expression grows fast with these (the derivative of nested calls, Max/Min's pairwise
# comparisons): about a second at the limits
MAX_DEPTH = 25  # operations nested in one another, e.g. sin(sin(...)) or x**x**...
MAX_MINMAX_ARGUMENTS = 6  # arguments of all the Max and Min calls of an expression together


class ExpressionError(ValueError):
    """An expression that cannot be used, with a one-line message saying why and what is allowed (the lectures
    show it as a parameter error)."""


_OPERATORS: dict[type[ast.AST], Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

_ALLOWED = "numbers, {variable}, pi, E, + - * / ** and " + ", ".join(FUNCTIONS)

# the two activation functions of the lecture
RELU: sympy.Expr = sympy.Max(0, X)
SIGMOID: sympy.Expr = 1 / (1 + sympy.exp(-X))


@functools.lru_cache(maxsize=64)
def parse_function(text: str, variable: str = "x") -> sympy.Expr:
    """Parse ``text`` (sympy syntax, e.g. ``"2*x**2"``) into a sympy expression of ``variable`` (``x``, or
    e.g. ``u`` for an outer function of the chain rule), without ``eval``.

    Raises :class:`ExpressionError` (one line) for bad syntax, unknown names or functions, anything that is not
    a function of the variable, a number too large to compute, or an expression whose derivative numpy
    cannot evaluate.
    """
    allowed = _ALLOWED.format(variable=variable)
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"expression must be a function of {variable} in sympy syntax, e.g. \"2*{variable}**2\"")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters")
    try:
        # sympy reads x^2 as x**2, with the precedence of ** (its convert_xor works on tokens, so do we)
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(
            f"expression {text!r} is not valid sympy syntax ({error.msg}); allowed: {allowed}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"expression {text!r} cannot be parsed; allowed: {allowed}") from None
    _check_shape(tree, text)
    symbol = sympy.Symbol(variable)
    try:
        expr = sympy.sympify(_build(tree.body, text, {variable: symbol, **CONSTANTS}, allowed))
        _check_evaluable(expr, text, symbol)
    except ExpressionError:
        raise
    except Exception as error:  # noqa: BLE001 - sympy raises many types; the user needs one line
        message = " ".join(str(error).split()) or type(error).__name__
        raise ExpressionError(f"expression {text!r} cannot be used: {message[:120]}") from None
    return expr


def _check_shape(tree: ast.AST, text: str) -> None:
    """Refuse a parse tree nested more than :data:`MAX_DEPTH` operations deep, or with more than
    :data:`MAX_MINMAX_ARGUMENTS` Max/Min arguments, before sympy builds it."""
    deepest, stack = 0, [(tree, 0)]
    while stack:  # a loop, not recursion
        node, depth = stack.pop()
        depth += isinstance(node, ast.BinOp | ast.UnaryOp | ast.Call)
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))
    if deepest > MAX_DEPTH:
        raise ExpressionError(f"expression {text!r} nests {deepest} operations in one another (at most {MAX_DEPTH})")
    minmax = sum(len(node.args) for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Name) and node.func.id in ("Max", "Min"))
    if minmax > MAX_MINMAX_ARGUMENTS:
        raise ExpressionError(f"expression {text!r} gives Max and Min {minmax} arguments in all "
                         f"(at most {MAX_MINMAX_ARGUMENTS})")


def _build(node: ast.AST, text: str, names: dict[str, sympy.Expr], allowed: str) -> sympy.Expr:
    """The sympy object for one node of Python's parse tree; only the allowed nodes and ``names`` (the
    variable and the constants) are accepted."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(node.value)
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        if node.id in FUNCTIONS:
            raise ExpressionError(f"expression {text!r}: the function {node.id!r} needs an argument, e.g. {node.id}(x)")
        raise ExpressionError(f"expression {text!r}: unknown name {node.id!r} (allowed: {allowed})")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _build(node.operand, text, names, allowed)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _build(node.left, text, names, allowed), _build(node.right, text, names, allowed)
        if isinstance(node.op, ast.Pow) and left.is_Number and right.is_Number:
            _check_power(left, right, text)
        value = _OPERATORS[type(node.op)](left, right)
        if value.is_Rational and _digits(value) > MAX_DIGITS:  # e.g. a product of many large powers
            raise ExpressionError(f"expression {text!r}: a number of about {_digits(value):.3g} digits is too large "
                             f"(at most {MAX_DIGITS} digits)")
        return value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
            and not node.keywords and node.args:
        return FUNCTIONS[node.func.id](*(_build(arg, text, names, allowed) for arg in node.args))
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
        raise ExpressionError(f"expression {text!r}: unknown function {name!r} (allowed: {allowed})")
    raise ExpressionError(f"expression {text!r}: {ast.unparse(node)!r} is not allowed (allowed: {allowed})")


def _check_power(base: sympy.Number, exponent: sympy.Number, text: str) -> None:
    """Refuse a number to a number power before sympy computes it: an exponent above :data:`MAX_EXPONENT`, or
    an exact result (an integer or rational base, a rational exponent) of more than :data:`MAX_DIGITS`
    digits, e.g. each step of ``((9**999)**999)**999``. The size is known from the operands' bit lengths."""
    if abs(exponent) > MAX_EXPONENT:
        raise ExpressionError(f"expression {text!r}: a number to a power above {MAX_EXPONENT} is too large")
    if base.is_Rational and exponent.is_Rational:
        digits = abs(float(exponent)) * _digits(base)
        if digits > MAX_DIGITS:
            raise ExpressionError(f"expression {text!r}: a power of about {digits:.3g} digits is too large "
                             f"(at most {MAX_DIGITS} digits)")


def _digits(number: sympy.Rational) -> float:
    """About how many decimal digits the numerator or denominator of an exact number has."""
    return max(abs(number.p).bit_length(), number.q.bit_length()) * math.log10(2)


def _check_evaluable(expr: sympy.Expr, text: str, symbol: sympy.Symbol) -> None:
    """Reject a function of anything but ``symbol``, or one that numpy cannot evaluate together with its
    derivative."""
    others = sorted(str(s) for s in expr.free_symbols - {symbol})
    if others:
        raise ExpressionError(f"expression {text!r} must be a function of {symbol} only; found {', '.join(others)}")
    for what, part in (("it is", expr), ("sympy's derivative is", derivative(expr, symbol))):
        try:
            evaluate(part, np.linspace(-1.0, 1.0, 3), symbol)
        except Exception:  # noqa: BLE001 - e.g. Derivative(re(x), x) from Abs, DiracDelta from Heaviside
            raise ExpressionError(
                f"expression {text!r}: {what} {part}, which numpy cannot evaluate on a grid") from None


def derivative(expr: sympy.Expr, symbol: sympy.Symbol = X) -> sympy.Expr:
    """``sympy.diff(expr, symbol)``: the symbolic derivative, as the course computes it."""
    return sympy.diff(expr, symbol)


def numpy_function(expr: sympy.Expr, symbols: Sequence[sympy.Symbol] = (X,)) -> Callable[..., np.ndarray]:
    """``sympy.lambdify(symbols, expr, "numpy")``: a numpy float64 function of the symbols, elementwise.

    Heaviside is numpy's (with sympy's value 1/2 at 0): sympy's printer would rewrite it as a Piecewise and
    simplify that: seconds for the derivative of ``Max(1, x, x**2, x**3)``, minutes with a few more arguments."""
    return sympy.lambdify(tuple(symbols), expr, [_NUMPY_FUNCTIONS, "numpy"])


_NUMPY_FUNCTIONS = {"Heaviside": lambda x, at_zero=0.5: np.heaviside(x, at_zero)}


def evaluate(expr: sympy.Expr, grid: np.ndarray, symbol: sympy.Symbol = X) -> np.ndarray:
    """``expr`` (a function of ``symbol``, x by default) on ``grid`` [n] -> float64 [n].

    A constant expression is broadcast to the grid's shape. Values that are complex (e.g. ``sqrt(x)`` at
    x < 0 when sympy keeps a complex constant) or undefined become NaN; numpy's warnings are silenced
    because such values are data here, not errors.
    """
    grid = np.asarray(grid, dtype=float)
    with np.errstate(all="ignore"):
        values = np.asarray(numpy_function(expr, (symbol,))(grid))
        if np.iscomplexobj(values):
            values = np.where(values.imag == 0, values.real, np.nan)
        return np.broadcast_to(values.astype(float), grid.shape).copy()
