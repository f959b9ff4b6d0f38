"""The first half of section ann: regression, regression-slope, qwerties, learning-rates, multilayer,
linear-vs-nonlinear, seq-vs-class.

Exact facts (shapes, course formats, identities between experiments) and statistical checks over many
seeded repetitions (deterministic; bounds wide enough not to flake, tight enough to catch a wrong model,
loss or accuracy rule). Most runs are in-process with small overrides; one CLI run per experiment.
"""

from __future__ import annotations

import json
import re

import matplotlib
import numpy as np
import pytest
import torch

import dudl
from dudl.lectures.ann import linear_vs_nonlinear
from dudl.params import ParamError
from dudl.result import Result

matplotlib.use("Agg")

QWERTY_MODEL_PRINT = [
    "Sequential(",
    "  (0): Linear(in_features=2, out_features=1, bias=True)",
    "  (1): ReLU()",
    "  (2): Linear(in_features=1, out_features=1, bias=True)",
    "  (3): Sigmoid()",
    ")",
]
DATA_LINES = ["<class 'numpy.ndarray'>", "(200, 2)", "", "<class 'torch.Tensor'>", "torch.Size([200, 2])"]
SMALL_SWEEP = "linspace(.001,.1,10)"


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


# ---------------------------------------------------------------------------------------------------
# ann.qwerties


@pytest.fixture(scope="module")
def qwerties_100() -> Result:
    return dudl.run("ann.qwerties", reps=100)


def test_qwerties_tiny_net_fails_a_sizable_fraction_at_chance(qwerties_100: Result) -> None:
    m = qwerties_100.metrics
    accuracy = m["accuracy"]
    assert accuracy.shape == m["final_loss"].shape == (100,)
    assert m["losses"].shape == (100, 1000)
    assert len(m["misclassified"]) == 100
    # accuracy is the course's 100 - 100 * len(misclassified) / (2 * n_per_cluster), exactly
    np.testing.assert_array_equal(accuracy, [100 - 100 * len(w) / 200 for w in m["misclassified"]])
    failed = accuracy <= 50
    assert 0.15 <= failed.mean() <= 0.6
    assert np.median(accuracy[accuracy > 70]) >= 90
    # a failed run (dead ReLU) ends near BCE = log 2; a working one well below
    assert np.median(m["final_loss"][failed]) == pytest.approx(np.log(2), abs=0.03)
    assert np.median(m["final_loss"][~failed]) < 0.5


def test_qwerties_printed_and_figures_from_json(qwerties_100: Result, reloaded) -> None:
    lines = qwerties_100.printed()
    assert lines[:5] == DATA_LINES
    assert lines[5:11] == QWERTY_MODEL_PRINT
    assert lines[11] == f"Final accuracy: {qwerties_100.metrics['accuracy'][0]:g}%"
    assert re.search(r"failed \d+% of the models at chance$", lines[12])
    loaded = reloaded(qwerties_100)
    assert set(loaded.figures()) == {"data", "losses", "predictions", "decision_surface", "accuracy_spread"}
    surface = loaded.metrics["decision_surface"]
    assert surface.shape == (80, 80) and set(np.unique(surface)) == {0, 1}


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
# ann.multilayer and ann.linear-vs-nonlinear


@pytest.fixture(scope="module")
def linear_vs_nonlinear_small() -> Result:
    return dudl.run("ann.linear-vs-nonlinear", learning_rates=SMALL_SWEEP, reps=3)


def test_multilayer_shapes_and_printed() -> None:
    result = dudl.run("ann.multilayer", learning_rates=SMALL_SWEEP, epochs=300, reps=2)
    m = result.metrics
    assert m["accuracy"].shape == m["final_loss"].shape == (2, 10)
    assert m["losses"].shape == (2, 10, 300)
    assert m["demo_losses"].shape == (300,)
    np.testing.assert_allclose(m["success_fraction"], (m["accuracy"] > 70).mean(axis=1))
    lines = result.printed()
    assert lines[0] == f"Final accuracy: {m['demo_accuracy']:g}%"
    assert lines[1].startswith("[tensor(") and lines[1].count("tensor(") == 10
    assert lines[2] == repr(torch.tensor(float(m["success_fraction"][0])))
    assert lines[3].startswith("Success fraction over 2 reps") and lines[3].endswith("% of the models at chance")


def test_linear_model_collapses_and_wins_on_linear_qwerties(linear_vs_nonlinear_small: Result) -> None:
    m = linear_vs_nonlinear_small.metrics
    assert m["models"] == ["nonlinear", "linear"]
    assert m["accuracy"].shape == m["final_loss"].shape == (3, 2, 10)
    assert m["losses"].shape == (3, 2, 10, 1000)
    assert m["success_fraction"].shape == (3, 2) and m["demo_accuracy"].shape == (2,)
    assert m["collapsed_weights"].shape == (3, 10, 3) and m["collapse_max_abs_diff"].shape == (3, 10)
    # three stacked linear layers are one linear layer, up to float32 rounding
    assert np.nanmax(m["collapse_max_abs_diff"]) < 1e-5
    # simple problems, simple solutions: the linear model fails less often than the nonlinear one
    assert m["success_fraction"][:, 1].mean() >= 0.8
    assert m["success_fraction"][:, 1].mean() > m["success_fraction"][:, 0].mean()
    assert np.all(m["logistic_regression_accuracy"] >= 95)
    # the nonlinear variant is ann.multilayer's model with ann.multilayer's keys and data
    multilayer = dudl.run("ann.multilayer", learning_rates=SMALL_SWEEP, reps=3).metrics
    np.testing.assert_array_equal(multilayer["accuracy"], m["accuracy"][:, 0])
    np.testing.assert_allclose(multilayer["final_loss"], m["final_loss"][:, 0], atol=1e-5)
    assert linear_vs_nonlinear_small.printed()[0].startswith("nonlinear: Final accuracy: ")


def test_collapse_is_the_product_of_the_layers() -> None:
    generator = torch.Generator().manual_seed(0)
    layers = [(torch.randn(16, 2, generator=generator), torch.randn(16, generator=generator)),
              (torch.randn(1, 16, generator=generator), torch.randn(1, generator=generator)),
              (torch.randn(1, 1, generator=generator), torch.randn(1, generator=generator))]
    weight, bias = linear_vs_nonlinear.collapse(layers)
    assert weight.shape == (1, 2) and bias.shape == (1,)
    x = torch.randn(50, 2, generator=generator)
    stacked = x
    for w, b in layers:
        stacked = stacked @ w.T + b
    torch.testing.assert_close(x @ weight.T + bias, stacked, rtol=1e-5, atol=1e-5)


def test_unpaired_linear_variant_gets_its_own_weights(linear_vs_nonlinear_small: Result) -> None:
    unpaired = dudl.run("ann.linear-vs-nonlinear", learning_rates=SMALL_SWEEP, reps=3, paired=False,
                        models=["linear"]).metrics
    assert unpaired["accuracy"].shape == (3, 1, 10)
    assert not np.allclose(unpaired["final_loss"][:, 0], linear_vs_nonlinear_small.metrics["final_loss"][:, 1])


# ---------------------------------------------------------------------------------------------------
# ann.seq-vs-class


def test_seq_vs_class_paired_definitions_train_identically() -> None:
    result = dudl.run("ann.seq-vs-class", reps=6)
    m = result.metrics
    assert m["definitions"] == ["sequential", "class"]
    assert m["losses"].shape == (6, 2, 1000) and m["accuracy"].shape == m["final_loss"].shape == (6, 2)
    assert m["max_abs_loss_difference"].shape == (6,)
    assert np.all(m["max_abs_loss_difference"] < 1e-5)  # float32 rounding of the batched sums only
    np.testing.assert_array_equal(m["accuracy"][:, 0], m["accuracy"][:, 1])
    # "sequential" is ann.qwerties' model, keys and data
    qwerties = dudl.run("ann.qwerties", reps=6).metrics
    np.testing.assert_array_equal(qwerties["accuracy"], m["accuracy"][:, 0])
    lines = result.printed()
    assert lines[:5] == DATA_LINES and lines[5] == f"Final accuracy: {m['accuracy'][0, 1]:g}%"

    unpaired = dudl.run("ann.seq-vs-class", reps=6, paired=False).metrics
    np.testing.assert_allclose(unpaired["losses"][:, 0], m["losses"][:, 0], atol=1e-5)
    assert unpaired["max_abs_loss_difference"].max() > 1e-3
    only_class = dudl.run("ann.seq-vs-class", reps=2, definitions=["class"]).metrics
    assert "max_abs_loss_difference" not in only_class
    np.testing.assert_allclose(only_class["losses"][:, 0], m["losses"][:2, 1], atol=1e-5)


# ---------------------------------------------------------------------------------------------------
# Figures from a Result loaded back from JSON


SMALL_RUNS = {
    "ann.regression": ({"epochs": 50, "reps": 2}, {"data", "losses", "predictions", "final_loss_spread"}),
    "ann.regression-slope": ({"slopes": "linspace(-2,2,3)", "epochs": 50, "reps": 2},
                             {"demo", "slope_sweep", "example_data"}),
    "ann.learning-rates": ({"learning_rates": "linspace(.01,.1,3)", "epochs": 50, "meta_epochs": 20, "reps": 2},
                           {"demo_losses", "sweep", "meta_accuracy", "meta_accuracy_map"}),
    "ann.multilayer": ({"learning_rates": "linspace(.01,.1,3)", "epochs": 50, "reps": 2},
                       {"data", "demo_losses", "sweep"}),
    "ann.linear-vs-nonlinear": ({"learning_rates": "linspace(.01,.1,3)", "epochs": 50, "reps": 2},
                                {"sweep", "losses", "decision_boundaries", "decision_surface"}),
    "ann.seq-vs-class": ({"epochs": 50, "reps": 2}, {"data", "losses", "predictions", "accuracy_spread"}),
}


@pytest.mark.parametrize("experiment_id", sorted(SMALL_RUNS))
def test_figures_and_printed_work_on_a_result_loaded_from_json(experiment_id: str, draw) -> None:
    overrides, names = SMALL_RUNS[experiment_id]
    result = dudl.run(experiment_id, **overrides)
    loaded = draw(result, names)
    assert loaded.printed() == result.printed()


# ---------------------------------------------------------------------------------------------------
# Bad input and the CLI


@pytest.mark.parametrize(("experiment_id", "overrides", "fragment"), [
    ("ann.multilayer", {"n_hidden": 0}, "'n_hidden' must be >= 1, got 0"),
    ("ann.multilayer", {"n_hidden": -4}, "'n_hidden' must be >= 1, got -4"),
    ("ann.multilayer", {"learning_rates": []}, "'learning_rates' must not be empty"),
    ("ann.learning-rates", {"learning_rates": [0.01, -0.1]}, "must be > 0, Infinity allowed, got -0.1"),
    ("ann.qwerties", {"centers": [[1, 2, 3], [4, 5, 6]]}, "'centers' must have 2 elements"),
    ("ann.qwerties", {"centers": [[1, 1], [5, 1], [3, -2]]}, "'centers' must hold 2 [x, y] centres, got 3"),
    ("ann.seq-vs-class", {"definitions": ["sequential", "klass"]},
     "'definitions' must be one of \"sequential\", \"class\", got \"klass\""),
    ("ann.seq-vs-class", {"definitions": ["class", "class"]}, "'definitions' must not repeat a definition"),
    ("ann.linear-vs-nonlinear", {"models": ["linear", "quadratic"]},
     "'models' must be one of \"nonlinear\", \"linear\", got \"quadratic\""),
    ("ann.regression", {"n": 1}, "'n' must be >= 2, got 1"),
    ("ann.regression-slope", {"reps": 0}, "'reps' must be >= 1, got 0"),
    ("ann.learning-rates", {"success_threshold": 120}, "'success_threshold' must be >= 0 and <= 100, got 120"),
])
def test_bad_parameters_raise_param_error(experiment_id: str, overrides: dict, fragment: str) -> None:
    with pytest.raises(ParamError) as error:
        dudl.run(experiment_id, **overrides)
    assert fragment in str(error.value) and "\n" not in str(error.value), str(error.value)


CLI_RUNS = {
    "ann.regression": ["--param", "epochs=30", "--reps", "2"],
    "ann.regression-slope": ["--param", "slopes=linspace(-1,1,3)", "--param", "epochs=30", "--reps", "2"],
    "ann.qwerties": ["--param", "epochs=30", "--reps", "2"],
    "ann.learning-rates": ["--param", "learning_rates=linspace(.01,.1,3)", "--param", "epochs=30",
                           "--param", "meta_epochs=20", "--reps", "2"],
    "ann.multilayer": ["--param", "learning_rates=[0.01,0.05]", "--param", "epochs=30"],
    "ann.linear-vs-nonlinear": ["--param", "learning_rates=[0.01,0.05]", "--param", "epochs=30",
                                "--param", "models=[\"linear\"]"],
    "ann.seq-vs-class": ["--param", "epochs=30", "--param", "definitions=[\"class\",\"sequential\"]"],
}


@pytest.mark.parametrize("experiment_id", sorted(CLI_RUNS))
def test_cli_runs_end_to_end(cli_json, experiment_id: str) -> None:
    data = cli_json(experiment_id, *CLI_RUNS[experiment_id])
    assert data["id"] == experiment_id
    assert data["params"]["seed"] == 0
    in_process = dudl.run(experiment_id, **data["params"])
    assert data["metrics"] == json.loads(in_process.to_json())["metrics"]
