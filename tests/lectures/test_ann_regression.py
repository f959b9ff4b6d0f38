"""Section ann, regression: ann.regression (the 1-1-1 ReLU net fits y = x + noise, or dies flat) and
ann.regression-slope (loss against correlation as the true slope varies).

Exact facts (shapes, the course's printed model and loss) and statistical checks over many seeded repetitions
(deterministic; bounds wide enough not to flake, tight enough to catch a wrong model or loss). Small runs' figures,
bad input and the CLI of every experiment: test_every_experiment.py.
"""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest

import dudl
from dudl.result import Result

matplotlib.use("Agg")


# ---------------------------------------------------------------------------------------------------
# ann.regression


@pytest.fixture(scope="module")
def regression_100() -> Result:
    return dudl.run("ann.regression", reps=100)


def test_regression_shapes_and_course_print(regression_100: Result) -> None:
    m = regression_100.metrics
    for name in ("x", "y", "predictions"):
        assert m[name].shape == (100, 30)
    assert m["losses"].shape == (100, 500)
    assert m["final_loss"].shape == m["correlation"].shape == m["flat_prediction"].shape == (100,)
    assert m["flat_prediction"].dtype == bool
    np.testing.assert_allclose(m["final_loss"], ((m["predictions"] - m["y"]) ** 2).mean(axis=1), rtol=1e-5)
    lines = regression_100.printed()
    assert lines[:5] == [
        "Sequential(",
        "  (0): Linear(in_features=1, out_features=1, bias=True)",
        "  (1): ReLU()",
        "  (2): Linear(in_features=1, out_features=1, bias=True)",
        ")",
    ]
    assert float(lines[5]) == m["final_loss"][0]
    assert re.match(r"Final loss over 100 reps: mean .*, median .*, failed \d+% \(a dead ReLU unit: flat "
                    r"predictions\)$", lines[6])


@pytest.mark.slow
def test_regression_works_or_dies_flat(regression_100: Result) -> None:
    """Course exercise 3: most runs fit y = x + noise (MSE near the noise variance .25, r near .9); a
    sizable share die (dead ReLU) and predict a constant, with r set to 0 and the loss near var(y) = 1.25."""
    m = regression_100.metrics
    flat = m["flat_prediction"]
    assert 0.1 <= flat.mean() <= 0.5
    assert np.all(np.ptp(m["predictions"][flat], axis=1) == 0)
    assert np.all(m["correlation"][flat] == 0)
    assert 0.17 <= m["final_loss"][~flat].mean() <= 0.32
    assert m["correlation"][~flat].mean() > 0.85
    assert m["final_loss"][flat].mean() > 0.7
    # the losses are recorded before each update, so the final loss is (almost always) a step further down
    assert np.mean(m["final_loss"] <= m["losses"][:, -1] + 1e-6) >= 0.9


def test_regression_repetition_does_not_depend_on_reps(regression_100: Result) -> None:
    alone = dudl.run("ann.regression", reps=3).metrics
    np.testing.assert_array_equal(alone["x"], regression_100.metrics["x"][:3])
    np.testing.assert_allclose(alone["losses"], regression_100.metrics["losses"][:3], rtol=0, atol=1e-5)
    other_seed = dudl.run("ann.regression", seed=1).metrics
    assert not np.array_equal(other_seed["x"][0], alone["x"][0])


# ---------------------------------------------------------------------------------------------------
# ann.regression-slope


@pytest.mark.slow
def test_regression_slope_loss_vs_correlation() -> None:
    """Slope 0: the smallest loss (y is pure noise) and the worst correlation; |slope| 2: the reverse."""
    result = dudl.run("ann.regression-slope", slopes="linspace(-2,2,5)", reps=24)
    m = result.metrics
    np.testing.assert_allclose(m["slopes"], [-2, -1, 0, 1, 2])
    assert m["final_loss"].shape == m["correlation"].shape == m["flat_prediction"].shape == (24, 5)
    np.testing.assert_allclose(m["mean_final_loss"], m["final_loss"].mean(axis=0))
    np.testing.assert_allclose(m["mean_correlation"], m["correlation"].mean(axis=0))
    assert m["demo_losses"].shape == (500,)
    assert isinstance(m["demo_final_loss"], float) and isinstance(m["demo_correlation"], float)
    assert np.argmin(m["mean_final_loss"]) == 2
    assert m["mean_correlation"][2] < 0.3
    assert min(m["mean_correlation"][0], m["mean_correlation"][4]) > m["mean_correlation"][2] + 0.2
    assert np.all(m["correlation"][m["flat_prediction"]] == 0)
    # the demo is its own stream: it does not change with reps
    fewer = dudl.run("ann.regression-slope", slopes="linspace(-2,2,5)", reps=2).metrics
    assert fewer["demo_final_loss"] == pytest.approx(m["demo_final_loss"], abs=1e-6)
    np.testing.assert_allclose(fewer["correlation"], m["correlation"][:2], atol=1e-5)
