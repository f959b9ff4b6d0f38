"""Section ann, sweeps: ann.learning-rates (the sweep and its meta-experiment), ann.hidden-units (accuracy by
width) and ann.breadth-vs-depth (accuracy by depth and width, against the parameter count).

Exact facts (shapes, summaries, parameter counts, a cell alone equals the cell in a sweep) and statistical checks
over many seeded repetitions (deterministic; bounds wide enough not to flake, tight enough to catch a wrong model,
loss or accuracy rule). Small runs' figures, bad input and the CLI of every experiment: test_every_experiment.py.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

import dudl
from dudl.lectures.ann import breadth_vs_depth
from dudl.result import Result

matplotlib.use("Agg")


SMALL_SWEEP = "linspace(.001,.1,10)"


# ---------------------------------------------------------------------------------------------------
# ann.learning-rates


@pytest.fixture(scope="module")
def learning_rates_small() -> Result:
    return dudl.run("ann.learning-rates", learning_rates=SMALL_SWEEP, epochs=400, meta_epochs=300, reps=12)


def test_learning_rates_shapes_and_success_fractions(learning_rates_small: Result) -> None:
    m = learning_rates_small.metrics
    assert m["learning_rates"].shape == (10,)
    assert m["demo_losses"].shape == (400,)
    assert m["sweep_accuracy"].shape == (10,) and m["sweep_losses"].shape == (10, 400)
    assert m["accuracy"].shape == m["final_loss"].shape == (12, 10)
    assert m["success_fraction"].shape == (12,)
    np.testing.assert_allclose(m["mean_accuracy"], m["accuracy"].mean(axis=0))
    np.testing.assert_allclose(m["median_accuracy"], np.median(m["accuracy"], axis=0))
    np.testing.assert_allclose(m["success_fraction"], (m["accuracy"] > 70).mean(axis=1))
    assert m["sweep_success_fraction"] == pytest.approx(float(np.mean(m["sweep_accuracy"] > 70)))
    assert learning_rates_small.printed()[:2] == [f"Final accuracy: {m['demo_accuracy']:g}%",
                                                  repr(torch.tensor(m["sweep_success_fraction"]))]


@pytest.mark.slow
def test_learning_rates_meta_experiment_is_bimodal(learning_rates_small: Result) -> None:
    """Every model either works or sits at chance (its one ReLU died), whatever the learning rate; the
    logit output is thresholded at 0, so working models are far above 50%."""
    accuracy = learning_rates_small.metrics["accuracy"].ravel()
    at_chance = accuracy <= 52
    working = accuracy >= 80
    assert (at_chance | working).mean() >= 0.85
    assert 0.1 <= at_chance.mean() <= 0.7
    assert np.median(accuracy[working]) >= 90


def test_learning_rates_data_and_meta_switches(learning_rates_small: Result) -> None:
    base = dict(learning_rates=SMALL_SWEEP, epochs=400, meta_epochs=300)
    off = dudl.run("ann.learning-rates", **base, meta_experiment=False, reps=2).metrics
    assert "accuracy" not in off and "success_fraction" not in off
    np.testing.assert_array_equal(off["sweep_accuracy"], learning_rates_small.metrics["sweep_accuracy"])
    new_data = dudl.run("ann.learning-rates", **base, new_data_each_rep=True, reps=3).metrics
    # rep 0 of new_data_each_rep uses the same data (rep 0's) and keys as the course's single dataset
    np.testing.assert_array_equal(new_data["accuracy"][0], learning_rates_small.metrics["accuracy"][0])
    assert not np.array_equal(new_data["accuracy"][1:], learning_rates_small.metrics["accuracy"][1:3])


# ---------------------------------------------------------------------------------------------------
# ann.hidden-units


@pytest.mark.slow
def test_hidden_units_width_matters_after_short_training() -> None:
    m = dudl.run("ann.hidden-units", n_hidden=[1, 2, 64], reps=12).metrics
    accuracy = m["accuracy"]
    assert m["n_hidden"].tolist() == [1, 2, 64]
    assert accuracy.shape == (12, 3) and m["losses"].shape == (12, 3, 150)
    assert np.isclose(accuracy[:, 0], 100 / 3).mean() >= 0.5  # one unit mostly stays at chance
    assert accuracy[:, 2].mean() > 75 and accuracy[:, 2].mean() > accuracy[:, 0].mean() + 25


def test_hidden_units_cell_alone_equals_cell_in_sweep() -> None:
    sweep = dudl.run("ann.hidden-units", n_hidden=[3, 9], epochs=40, reps=2).metrics
    # keys are (rep, width index): the same width at the same index gives the same model
    alone = dudl.run("ann.hidden-units", n_hidden=[3], epochs=40, reps=2).metrics
    np.testing.assert_allclose(alone["losses"][:, 0], sweep["losses"][:, 0], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------------
# ann.breadth-vs-depth


@pytest.fixture(scope="module")
def breadth_small() -> Result:
    return dudl.run("ann.breadth-vs-depth", n_layers=[1, 3], n_units=[4, 16, 40], epochs=150, demo_epochs=300,
                    reps=3)


def test_breadth_vs_depth_counts_shapes_and_correlation(breadth_small: Result) -> None:
    m = breadth_small.metrics
    assert m["accuracy"].shape == m["final_loss"].shape == (3, 2, 3)
    expected = [[n_layers * n**2 + (8 + n_layers) * n + 3 for n in (4, 16, 40)] for n_layers in (1, 3)]
    assert m["n_params"].tolist() == expected
    for rep in range(3):
        r = np.corrcoef(m["n_params"].ravel(), m["accuracy"][rep].ravel())[0, 1]
        assert m["params_accuracy_correlation"][rep] == pytest.approx(r, nan_ok=True)
    assert m["demo_n_params"] == 723 and m["demo_untrained_output_shape"].tolist() == [10, 3]
    assert 100 / 3 - 1e-9 <= m["demo_accuracy"] <= 100


def test_breadth_vs_depth_printed(breadth_small: Result) -> None:
    lines = breadth_small.printed()
    course = breadth_vs_depth.COURSE_OUTPUT.splitlines()
    assert lines[:11] == course[:11]  # the model and torch.Size([10, 3])
    assert lines[11].startswith("tensor([[") and len(lines) == 11 + 10 + 1 + 1
    accuracy = breadth_small.metrics["demo_accuracy"]
    assert lines[21] == f"({torch.tensor(accuracy, dtype=torch.float32)!r}, 723)"


@pytest.mark.slow
def test_breadth_vs_depth_deeper_needs_more_training() -> None:
    """After 500 epochs, one hidden layer of 16 units classifies well; five such layers often stay at chance."""
    m = dudl.run("ann.breadth-vs-depth", n_layers=[1, 5], n_units=[16], reps=12, demo_epochs=1).metrics
    shallow, deep = m["accuracy"][:, 0, 0], m["accuracy"][:, 1, 0]
    assert shallow.min() > 85
    assert deep.mean() < shallow.mean() - 25 and np.isclose(deep, 100 / 3).mean() >= 0.25
