"""math.derivatives: sympy's derivative strings, the values on the grid, figures (bad
expressions and the CLI: test_every_experiment.py)."""

from __future__ import annotations

import io

import numpy as np

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


# ---------------------------------------------------------------------------------------------------
# math.derivatives2


def test_derivatives2_prints_the_course_output(spec_output, draw) -> None:
    result = dudl.run("math.derivatives2")
    assert result.printed() == spec_output("math.derivatives2")[0]
    m = draw(result, set()).metrics  # no figures; the metrics after the JSON round trip
    assert (m["f"], m["g"], m["df"], m["dg"]) == ("2*x**2", "-3*x**4 + 4*x**3", "4*x", "-12*x**3 + 12*x**2")
    assert m["product_manual"] == m["product_sympy"] == "2*x**2*(-12*x**3 + 12*x**2) + 4*x*(-3*x**4 + 4*x**3)"
    assert m["product_wrong"] == "4*x*(-12*x**3 + 12*x**2)"
    assert m["chain_function"] == "(4*x**3 + x**2)**5"
    assert m["chain_derivative"] == "(60*x**2 + 10*x)*(4*x**3 + x**2)**4"
    assert m["chain_manual"] == "5*(12*x**2 + 2*x)*(4*x**3 + x**2)**4"  # sympy does not reorder it to match
    assert m["product_rule_holds"] is m["wrong_way_differs"] is m["chain_rule_holds"] is True


def test_derivatives2_other_functions() -> None:
    m = dudl.run("math.derivatives2", f="sin(x)", g="exp(x)", inner="cos(x)", outer="log(u)").metrics
    assert m["product_sympy"] == "exp(x)*sin(x) + exp(x)*cos(x)" and m["product_wrong"] == "exp(x)*cos(x)"
    assert (m["chain_function"], m["chain_derivative"]) == ("log(cos(x))", "-sin(x)/cos(x)")
    assert m["product_rule_holds"] and m["wrong_way_differs"] and m["chain_rule_holds"]
    # constants: f'·g' = 0 = (f·g)', so the wrong way happens to give the right answer
    constant = dudl.run("math.derivatives2", f="2", g="3").metrics
    assert constant["product_sympy"] == constant["product_wrong"] == "0"
    assert constant["wrong_way_differs"] is False and constant["product_rule_holds"] is True
    # large polynomials: the wrong way is told apart at once (an exact value at a rational x), not by simplify
    large = dudl.run("math.derivatives2", f="x**1000", g="(x + 1)**1000", outer="u**1000").metrics
    assert large["wrong_way_differs"] and large["product_rule_holds"] and large["chain_rule_holds"]
    assert large["chain_derivative"] == "(12000*x**2 + 2000*x)*(4*x**3 + x**2)**999"
    # the outer function ignores its argument: h is constant
    flat = dudl.run("math.derivatives2", outer="7").metrics
    assert (flat["chain_function"], flat["chain_derivative"], flat["chain_manual"]) == ("7", "0", "0")
