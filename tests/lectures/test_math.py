"""math.derivatives: sympy's derivative strings, the values on the grid, figures, bad expressions."""

from __future__ import annotations

import io

import numpy as np
import pytest

import dudl


def test_course_output_and_metrics() -> None:
    result = dudl.run("math.derivatives")
    m = result.metrics
    assert result.printed() == ["2*x**2", "4*x"]
    assert m["function"] == "2*x**2" and m["derivative"] == "4*x"
    assert m["relu_derivative"] == "Heaviside(x)" and m["sigmoid_derivative"] == "exp(-x)/(1 + exp(-x))**2"
    x = m["x"]
    assert x.shape == (801,) and x[0] == -4 and x[-1] == 4
    np.testing.assert_array_equal(m["f"], 2 * x**2)
    np.testing.assert_array_equal(m["df"], 4 * x)
    np.testing.assert_array_equal(m["relu"], np.maximum(0, x))
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(m["sigmoid"], sigmoid, rtol=1e-15)
    np.testing.assert_allclose(m["d_sigmoid"], sigmoid * (1 - sigmoid), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(m["d_relu"], np.where(x > 0, 1.0, np.where(x < 0, 0.0, 0.5)))


def test_other_expressions_and_constants() -> None:
    m = dudl.run("math.derivatives", expression="sin(x)*x^2", n_points=5, x_min=-1, x_max=1).metrics
    assert m["derivative"] == "x**2*cos(x) + 2*x*sin(x)"
    np.testing.assert_allclose(m["df"], m["x"] ** 2 * np.cos(m["x"]) + 2 * m["x"] * np.sin(m["x"]), rtol=1e-14)
    constant = dudl.run("math.derivatives", expression="7", n_points=11).metrics
    assert constant["derivative"] == "0"
    assert constant["f"].shape == constant["df"].shape == (11,)
    assert (constant["f"] == 7).all() and (constant["df"] == 0).all()


def test_figures_from_json(reloaded) -> None:
    result = reloaded(dudl.run("math.derivatives", x_min=-2, x_max=3))
    figures = result.figures()
    assert set(figures) == {"function", "derivative", "activations", "activation_derivatives"}
    titles = {name: fig.axes[0].get_title() for name, fig in figures.items()}
    assert titles == {"function": "The function", "derivative": "Its derivative", "activations": "The functions",
                      "activation_derivatives": "The derivatives"}
    activations = figures["activations"].axes[0]
    assert [t.get_text() for t in activations.get_legend().get_texts()] == ["ReLU", "Sigmoid"]
    assert [line.get_color() for line in activations.lines] == ["blue", "red"]
    derivatives = figures["activation_derivatives"].axes[0]
    assert [t.get_text() for t in derivatives.get_legend().get_texts()] == ["df(ReLU)", "df(Sigmoid)"]
    for fig in figures.values():
        assert fig.axes[0].get_xlim() == (-2.0, 3.0)
        fig.savefig(io.BytesIO(), format="png", dpi=30)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"expression": "y**2"}, "unknown name 'y'"),
        ({"expression": "__import__('os')"}, "unknown function"),
        ({"expression": "x +"}, "not valid sympy syntax"),
        ({"expression": 3}, "'expression' must be string"),
        ({"n_points": 1}, "'n_points' must be >= 2"),
        ({"x_min": 1, "x_max": 1}, "x_min must be less than x_max"),
        ({"seed": 1}, "unknown parameter 'seed'"),
    ],
)
def test_bad_values_raise_param_error(overrides: dict, fragment: str) -> None:
    with pytest.raises(dudl.ParamError) as error:
        dudl.run("math.derivatives", **overrides)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_cli_end_to_end(cli_json) -> None:
    data = cli_json("math.derivatives", "--param", 'expression="x**3"', "--param", "n_points=3")
    assert data["metrics"]["derivative"] == "3*x**2" and data["metrics"]["df"] == [48.0, 0.0, 48.0]
