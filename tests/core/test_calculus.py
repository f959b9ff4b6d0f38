"""dudl.core.calculus (safe parsing, sympy derivatives, evaluation) and dudl.core.surfaces."""

from __future__ import annotations

import ast

import numpy as np
import pytest
import sympy

from dudl.core import calculus
from dudl.core.calculus import ExpressionError, X, derivative, evaluate, parse_function
from dudl.core.surfaces import BUMPY, DAMPED_SINE, QUADRATIC, SX, SY, peaks, peaks_expression, peaks_partials


def test_course_derivative() -> None:
    fx = parse_function("2*x**2")
    assert str(fx) == "2*x**2" and str(derivative(fx)) == "4*x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("x^3", "x**3"), ("sin(x)*x^2", "x**2*sin(x)"), ("sin(x)*exp(-x)", "exp(-x)*sin(x)"), ("1/2*x", "x/2"),
     ("Max(0, x)", "Max(0, x)"),
     ("pi*x + E", "pi*x + E"), ("0.5*x", "0.5*x"), ("-x", "-x"), ("3", "3")],
)
def test_parses_like_sympy(text: str, expected: str) -> None:
    assert str(parse_function(text)) == expected
    assert parse_function(text) == sympy.sympify(text.replace("^", "**"), locals={"x": X})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "function of x"),
        ("y + x", "unknown name 'y'"),
        ("__import__('os').system('true')", "unknown function"),
        ("().__class__", "is not allowed"),
        ("x.__class__", "is not allowed"),
        ("lambda: 1", "is not allowed"),
        ("'x'", "is not allowed"),
        ("x[0]", "is not allowed"),
        ("foo(x)", "unknown function 'foo'"),
        ("sin", "needs an argument"),
        ("2x", "not valid sympy syntax"),
        ("9**9**9", "too large"),
        ("Heaviside(x)", "numpy cannot evaluate"),
        ("x" * 600, "longer than"),
        ("((9**999)**999)**999", "digits is too large"),
        ("(2**1000)**1000*x", "digits is too large"),
        ("*".join(["10**999"] * 5) + "*x", "digits is too large"),
        ("sin(" * 26 + "x" + ")" * 26, "nests 26 operations"),
        ("-" * 300 + "x", "nests 300 operations"),
        ("Max(x, 1, 2) + Min(x, 3, 4, 5)", "Max and Min 7 arguments"),
    ],
)
def test_rejects_anything_but_a_function_of_x(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError, match=None) as error:
        parse_function(text)
    message = str(error.value)
    assert fragment in message and "\n" not in message


def test_evaluate_broadcasts_constants_and_nans_undefined_values() -> None:
    grid = np.linspace(-1, 1, 5)
    np.testing.assert_array_equal(evaluate(parse_function("3"), grid), np.full(5, 3.0))
    np.testing.assert_array_equal(evaluate(derivative(parse_function("3")), grid), np.zeros(5))
    values = evaluate(parse_function("sqrt(x)"), grid)
    assert values.dtype == np.float64 and np.isnan(values[:2]).all() and values[-1] == 1.0
    assert np.isnan(evaluate(parse_function("(-8)**(1/3)"), grid)).all()  # complex constant -> NaN


def test_activations_and_their_derivatives() -> None:
    assert str(derivative(calculus.RELU)) == "Heaviside(x)"
    assert str(derivative(calculus.SIGMOID)) == "exp(-x)/(1 + exp(-x))**2"
    grid = np.linspace(-4, 4, 9)
    np.testing.assert_array_equal(evaluate(calculus.RELU, grid), np.maximum(0, grid))
    sigmoid = evaluate(calculus.SIGMOID, grid)
    np.testing.assert_allclose(sigmoid, 1 / (1 + np.exp(-grid)), rtol=1e-15)
    np.testing.assert_allclose(evaluate(derivative(calculus.SIGMOID), grid), sigmoid * (1 - sigmoid), rtol=1e-12)
    np.testing.assert_array_equal(evaluate(derivative(calculus.RELU), grid), (grid > 0) + 0.5 * (grid == 0))


@pytest.mark.parametrize(
    ("curve", "formula"),
    [(QUADRATIC, "3*x**2 - 3*x + 4"), (BUMPY, "cos(2*pi*x) + x**2"), (DAMPED_SINE, "sin(x)*exp(-0.05*x**2)")],
)
def test_hand_coded_derivatives_equal_sympy(curve, formula: str) -> None:
    grid = np.linspace(-6, 6, 97)
    fx = parse_function(formula)
    np.testing.assert_allclose(curve.f(grid), evaluate(fx, grid), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(curve.df(grid), evaluate(derivative(fx), grid), rtol=1e-11, atol=1e-12)


def test_peaks_partials_match_the_course_and_finite_differences() -> None:
    df_x, df_y = peaks_partials()
    assert str(sympy.Float(float(df_x(1.0, 1.0)), 15)) == "-1.07369833656079"  # the course's df_x(1,1).evalf()
    assert abs(float(df_x(1, 1)) - float(sympy.diff(peaks_expression(), SX).subs({SX: 1, SY: 1}))) < 1e-14
    rng = np.random.default_rng(0)
    x, y, h = rng.uniform(-2, 2, 20), rng.uniform(-2, 2, 20), 1e-6
    np.testing.assert_allclose(df_x(x, y), (peaks(x + h, y) - peaks(x - h, y)) / (2 * h), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(df_y(x, y), (peaks(x, y + h) - peaks(x, y - h)) / (2 * h), rtol=1e-6, atol=1e-7)
    negated_x, negated_y = peaks_partials(negate=True)
    np.testing.assert_allclose(negated_x(x, y), -df_x(x, y), rtol=1e-13)
    np.testing.assert_allclose(negated_y(x, y), -df_y(x, y), rtol=1e-13)


def test_exact_powers_are_sized_before_sympy_computes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    computed = []
    power = calculus._OPERATORS[ast.Pow]
    monkeypatch.setitem(calculus._OPERATORS, ast.Pow, lambda a, b: computed.append((a, b)) or power(a, b))
    with pytest.raises(ExpressionError, match="digits"):
        parse_function("((9**999)**999)**999")
    assert computed == [(9, 999)]  # 9**999 (954 digits) only; its 999th power is refused unmade


def test_max_derivatives_evaluate_without_sympy_rewriting_heaviside() -> None:
    slope = evaluate(derivative(parse_function("Max(1, x, x**2, x**3)")), np.array([-2.0, 0.5, 1.5, 3.0]))
    np.testing.assert_allclose(slope, [2 * -2.0, 0.0, 3 * 1.5**2, 3 * 3.0**2])  # x**2 wins at -2, 1 at 0.5

