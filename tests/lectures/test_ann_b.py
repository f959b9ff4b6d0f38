"""The second half of section ann: iris, qwerties-3class, hidden-units, num-parameters, seq2class,
breadth-vs-depth.

Exact facts (parameter counts, the course's printed model structures and summary table, softmax rows,
the double-softmax loss floor, identities between experiments) and statistical checks over many seeded
repetitions (deterministic; bounds wide enough not to flake, tight enough to catch a wrong model, loss or
accuracy rule). Most runs are in-process with small overrides; one CLI run per experiment.
"""

from __future__ import annotations

import json
import math

import matplotlib
import numpy as np
import pytest
import torch

import dudl
from dudl.core import data as datasets
from dudl.core import engine, models, seeding
from dudl.lectures.ann import breadth_vs_depth, num_parameters
from dudl.params import ParamError
from dudl.result import Result

matplotlib.use("Agg")

DOUBLE_SOFTMAX_FLOOR = -math.log(math.e / (math.e + 2))  # CrossEntropy of softmax((1, 0, 0)) for class 0


def course_block(text: str, first: str, last: str) -> list[str]:
    """The lines of a COURSE_OUTPUT from the one starting with ``first`` to the one starting with ``last``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if i >= start and line.startswith(last))
    return lines[start:end + 1]


def contains_block(lines: list[str], block: list[str]) -> bool:
    return any(lines[i:i + len(block)] == block for i in range(len(lines) - len(block) + 1))


# ---------------------------------------------------------------------------------------------------
# ann.num-parameters: exact counts


def test_num_parameters_exact_counts() -> None:
    m = dudl.run("ann.num-parameters").metrics
    assert (m["wide_nodes"], m["deep_nodes"]) == (7, 7)
    assert (m["wide_params"], m["deep_params"]) == (27, 21)
    assert m["wide_params_per_tensor"].tolist() == [8, 4, 12, 3]
    assert m["deep_params_per_tensor"].tolist() == [4, 2, 4, 2, 6, 3]
    assert m["wide_params_per_layer"].tolist() == [12, 15]
    assert m["deep_params_per_layer"].tolist() == [6, 6, 9]
    assert m["wide_output_shapes"].tolist() == [[-1, 1, 4], [-1, 1, 3]]


def test_num_parameters_prints_the_course_lines_and_summary_table() -> None:
    lines = dudl.run("ann.num-parameters", seed=3).printed()
    course = num_parameters.COURSE_OUTPUT
    assert lines[:10] == course.splitlines()[:10]  # both Sequential prints, with the blank line between
    assert contains_block(lines, course_block(course, "There are 7", "There are 7"))
    assert contains_block(lines, course_block(course, "This piece", "Non-trainable params: 0"))
    assert lines[-9:] == course.splitlines()[-9:]  # torchsummary's table, exactly
    assert sum(line.startswith("('") for line in lines) == 6  # deepnet's named_parameters
    # the seed fixes the printed weights only
    assert dudl.run("ann.num-parameters", seed=3).printed() == lines
    assert dudl.run("ann.num-parameters", seed=4).printed() != lines


def test_num_parameters_other_layer_sizes() -> None:
    m = dudl.run("ann.num-parameters", wide_layers=[3, 10, 2], deep_layers=[3, 4, 4, 4, 2]).metrics
    assert m["wide_nodes"] == 12 and m["wide_params"] == 3 * 10 + 10 + 10 * 2 + 2
    assert m["deep_nodes"] == 14 and m["deep_params"] == (12 + 4) + 2 * (16 + 4) + (8 + 2)
    assert m["wide_output_shapes"].tolist() == [[-1, 1, 10], [-1, 1, 2]]


# ---------------------------------------------------------------------------------------------------
# models: the class forms print as the course's and train as the engine's models


def test_breadth_depth_class_prints_the_course_model() -> None:
    course = breadth_vs_depth.COURSE_OUTPUT.splitlines()
    assert str(models.ANNiris(12, 4)).splitlines() == course[:10]
    assert str(models.ANNirisMultilayer()).splitlines()[0] == "ANNiris("


@pytest.mark.parametrize("n_layers", [0, 1, 3, 5])
@pytest.mark.parametrize("n_units", [4, 19, 100])
def test_breadth_depth_param_count_closed_form(n_units: int, n_layers: int) -> None:
    closed_form = n_layers * n_units**2 + (8 + n_layers) * n_units + 3
    assert breadth_vs_depth.count_params(n_units, n_layers) == closed_form
    assert models.breadth_depth_net(n_units, n_layers).n_params == closed_form


@pytest.mark.parametrize("relu_after_input", [True, False])
def test_class_forms_are_the_engine_models(relu_after_input: bool) -> None:
    """Built from a key, the classes hold the engine's weights for that key; trained weights load back."""
    features, labels = datasets.iris()
    key = seeding.key(0, seeding.MODEL, 0, 1, 2)
    architecture = models.breadth_depth_net(6, 2, relu_after_input=relu_after_input)
    model = models.build_seeded(lambda: models.ANNiris(6, 2, relu_after_input), key)
    inputs = torch.from_numpy(features)
    drawn = engine.draw_initial_weights(architecture, seeding.torch_generator(key))
    assert all(torch.equal(layer.weight, weight) and torch.equal(layer.bias, bias)
               for layer, (weight, bias) in zip(models.linear_layers(model), drawn, strict=True))
    sequential = models.load_trained(architecture.sequential(), models.sequential_state(architecture, model))
    with torch.no_grad():
        assert torch.equal(model(inputs), sequential(inputs))
    trained = engine.train(architecture, inputs, torch.from_numpy(labels), learning_rates=[0.05], epochs=20,
                           keys=[key], record=())  # no initial weights: the engine draws them from the key
    models.load_trained(model, trained.state_dict(0))
    with torch.no_grad():
        torch.testing.assert_close(model(inputs), trained.outputs[0], rtol=1e-5, atol=1e-6)


def test_multilayer_class_is_the_multilayer_sequential() -> None:
    architecture = models.multilayer_net(16)
    key = seeding.key(1, seeding.MODEL, 0, 4)
    as_class = models.build_seeded(models.ANNirisMultilayer, key)
    as_sequential = models.build_seeded(architecture.sequential, key)
    state = models.sequential_state(architecture, as_class)
    assert all(torch.equal(state[name], value) for name, value in as_sequential.state_dict().items())
    points = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(as_class(points), as_sequential(points))


# ---------------------------------------------------------------------------------------------------
# ann.iris


@pytest.fixture(scope="module")
def iris_10() -> Result:
    return dudl.run("ann.iris", reps=10)


def test_iris_wide_net_reaches_high_accuracy(iris_10: Result) -> None:
    accuracy = iris_10.metrics["accuracy"]
    assert accuracy.shape == (10,)
    assert accuracy.min() > 90 and np.median(accuracy) >= 96  # the course: 98%
    assert iris_10.metrics["losses"].shape == iris_10.metrics["accuracy_by_epoch"].shape == (10, 1000)
    assert np.all(iris_10.metrics["final_loss"] < iris_10.metrics["losses"][:, 0])


def test_iris_softmax_rows_sum_to_one_and_metrics_agree(iris_10: Result) -> None:
    m = iris_10.metrics
    _, labels = datasets.iris()
    np.testing.assert_allclose(m["probabilities"].sum(axis=-1), 1, atol=1e-5)
    assert np.array_equal(m["probabilities"].argmax(axis=-1), m["predicted_labels"])
    np.testing.assert_allclose(m["accuracy"], 100 * (m["predicted_labels"] == labels).mean(axis=1))
    confusion = m["confusion_matrix"]
    assert confusion.shape == (10, 3, 3) and np.all(confusion.sum(axis=2) == 50)
    np.testing.assert_allclose(m["class_accuracy"], 2 * np.diagonal(confusion, axis1=1, axis2=2))
    np.testing.assert_allclose(m["accuracy"], 100 * np.trace(confusion, axis1=1, axis2=2) / 150)
    # the per-epoch accuracy is that of each epoch's forward pass, before the update: near the end it has
    # settled close to the final accuracy
    assert np.all(np.abs(m["accuracy_by_epoch"][:, -1] - m["accuracy"]) <= 4)


def test_iris_printed_course_lines() -> None:
    result = dudl.run("ann.iris", epochs=100, n_hidden=16, reps=2)
    lines = result.printed()
    assert lines[:6] == [
        "   sepal_length  sepal_width  petal_length  petal_width species",
        "0           5.1          3.5           1.4          0.2  setosa",
        "1           4.9          3.0           1.4          0.2  setosa",
        "2           4.7          3.2           1.3          0.2  setosa",
        "3           4.6          3.1           1.5          0.2  setosa",
        "4           5.0          3.6           1.4          0.2  setosa",
    ]
    assert lines[6].startswith("tensor([0, 0, 0")
    accuracy = result.metrics["accuracy"][0]
    assert f"Final accuracy: {accuracy:g}%" in lines
    assert lines[-1].startswith("Final accuracy over 2 reps: mean")
    assert sum(line.count("1.0000") for line in lines) == 150  # the softmax row sums


def test_iris_repetition_does_not_depend_on_reps() -> None:
    one = dudl.run("ann.iris", epochs=30, n_hidden=8, seed=5)
    three = dudl.run("ann.iris", epochs=30, n_hidden=8, seed=5, reps=3)
    np.testing.assert_array_equal(one.metrics["losses"][0], three.metrics["losses"][0])
    assert not np.array_equal(three.metrics["losses"][0], three.metrics["losses"][1])


# ---------------------------------------------------------------------------------------------------
# ann.qwerties-3class


def test_double_softmax_loss_never_below_its_floor() -> None:
    result = dudl.run("ann.qwerties-3class", epochs=400, learning_rate=0.5, reps=8)
    m = result.metrics
    assert m["losses"].min() >= DOUBLE_SOFTMAX_FLOOR - 1e-6
    assert m["final_loss"].min() >= DOUBLE_SOFTMAX_FLOOR - 1e-6
    assert m["final_loss"].min() < DOUBLE_SOFTMAX_FLOOR + 0.15  # and it gets close
    np.testing.assert_allclose(m["probabilities"].sum(axis=-1), 1, atol=1e-5)
    # without the quirk, the logits' loss goes well below the floor
    logits = dudl.run("ann.qwerties-3class", epochs=400, learning_rate=0.5, reps=8, double_softmax=False)
    assert np.median(logits.metrics["final_loss"]) < DOUBLE_SOFTMAX_FLOOR - 0.2
    np.testing.assert_allclose(logits.metrics["probabilities"].sum(axis=-1), 1, atol=1e-5)


def test_tiny_three_class_nets_fail_at_exactly_chance() -> None:
    m = dudl.run("ann.qwerties-3class", n_hidden=1, epochs=1000, reps=30).metrics
    at_chance = np.isclose(m["accuracy"], 100 / 3)  # a dead net predicts one class: 100/3 exactly
    assert 0.1 <= at_chance.mean() <= 0.6
    assert np.median(m["accuracy"][~at_chance]) > 50  # the live ones separate two classes or more
    # the per-class accuracies average (equal class sizes) to the accuracy
    np.testing.assert_allclose(m["class_accuracy"].mean(axis=1), m["accuracy"], atol=1e-9)


def test_qwerties_3class_course_shapes_and_surface() -> None:
    result = dudl.run("ann.qwerties-3class", epochs=300, reps=2, n_per_cluster=40)
    lines = result.printed()
    assert lines[:2] == ["torch.Size([120, 2])", "torch.Size([120, 3])"]
    assert lines[2] == f"Final accuracy: {result.metrics['accuracy'][0]:g}%"
    assert "grad_fn=<SumBackward1>" in lines[-2]
    assert result.metrics["probabilities"].shape == (2, 120, 3)
    surface = result.metrics["decision_surface"]
    assert surface.shape == (80, 80) and set(np.unique(surface)) <= {0, 1, 2}


# ---------------------------------------------------------------------------------------------------
# ann.hidden-units


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
# ann.seq2class


SMALL_RATES = "linspace(.01,.1,4)"


def test_seq2class_paired_definitions_train_identically() -> None:
    result = dudl.run("ann.seq2class", learning_rates=SMALL_RATES, epochs=300, reps=3)
    m = result.metrics
    assert m["accuracy"].shape == m["final_loss"].shape == (3, 2, 4)
    assert m["losses"].shape == (3, 2, 4, 300) and m["demo_losses"].shape == (2, 300)
    assert np.all(m["max_abs_loss_difference"] <= 1e-6)
    np.testing.assert_allclose(m["demo_losses"][0], m["demo_losses"][1], atol=1e-6)
    np.testing.assert_allclose(m["success_fraction"], (m["accuracy"] > 70).mean(axis=-1))
    lines = result.printed()
    class_index = m["definitions"].index("class")
    assert lines[0] == f"Final accuracy: {m['demo_accuracy'][class_index]:g}%"
    assert lines[1].startswith("tensor(")


def test_seq2class_sequential_is_ann_multilayer() -> None:
    shared = dict(learning_rates=SMALL_RATES, epochs=200, reps=2, seed=7)
    seq2class = dudl.run("ann.seq2class", definitions=["sequential"], **shared).metrics
    multilayer = dudl.run("ann.multilayer", **shared).metrics
    np.testing.assert_allclose(seq2class["losses"][:, 0], multilayer["losses"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(seq2class["demo_losses"][0], multilayer["demo_losses"], rtol=1e-5, atol=1e-6)
    # the class alone, paired, is the same model again
    class_only = dudl.run("ann.seq2class", definitions=["class"], **shared).metrics
    np.testing.assert_allclose(class_only["losses"], seq2class["losses"], rtol=1e-5, atol=1e-6)


def test_seq2class_unpaired_class_gets_its_own_weights() -> None:
    m = dudl.run("ann.seq2class", learning_rates=SMALL_RATES, epochs=50, reps=2, paired=False).metrics
    assert np.all(m["max_abs_loss_difference"] > 1e-3)


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


def test_breadth_vs_depth_deeper_needs_more_training() -> None:
    """After 500 epochs, one hidden layer of 16 units classifies well; five such layers often stay at chance."""
    m = dudl.run("ann.breadth-vs-depth", n_layers=[1, 5], n_units=[16], reps=12, demo_epochs=1).metrics
    shallow, deep = m["accuracy"][:, 0, 0], m["accuracy"][:, 1, 0]
    assert shallow.min() > 85
    assert deep.mean() < shallow.mean() - 25 and np.isclose(deep, 100 / 3).mean() >= 0.25


# ---------------------------------------------------------------------------------------------------
# Figures and printed lines from a Result loaded back from JSON


SMALL_RUNS = {
    "ann.iris": dict(epochs=20, n_hidden=8, reps=2, plot_logits=True),
    "ann.qwerties-3class": dict(epochs=20, reps=2),
    "ann.hidden-units": dict(epochs=10, n_hidden=[1, 8], reps=2),
    "ann.num-parameters": dict(),
    "ann.seq2class": dict(epochs=20, learning_rates=SMALL_RATES, reps=2),
    "ann.breadth-vs-depth": dict(epochs=10, n_layers=[1, 2], n_units=[4, 8], demo_epochs=10, reps=2),
}
FIGURES = {
    "ann.iris": {"pairplot", "training", "outputs", "accuracy_spread"},
    "ann.qwerties-3class": {"data", "training", "outputs", "decision_surface", "accuracy_spread"},
    "ann.hidden-units": {"accuracy_by_hidden_units"},
    "ann.num-parameters": set(),
    "ann.seq2class": {"data", "demo_losses", "sweep"},
    "ann.breadth-vs-depth": {"accuracy_by_units", "accuracy_vs_params"},
}


@pytest.mark.parametrize("experiment_id", list(SMALL_RUNS))
def test_figures_and_printed_from_json(experiment_id: str, draw) -> None:
    result = dudl.run(experiment_id, **SMALL_RUNS[experiment_id])
    loaded = draw(result, FIGURES[experiment_id])
    assert loaded.printed() == result.printed()


# ---------------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(("experiment_id", "overrides", "fragment"), [
    ("ann.iris", {"n_hidden": 0}, "'n_hidden' must be >= 1, got 0"),
    ("ann.iris", {"learning_rate": -0.1}, "'learning_rate' must be > 0, Infinity allowed, got -0.1"),
    ("ann.qwerties-3class", {"centers": [[1, 1], [5, 1]]}, "'centers' must hold 3 [x, y] centres, got 2"),
    ("ann.qwerties-3class", {"centers": [[1, 1, 1], [5, 1, 1], [3, -2, 0]]}, "'centers' must have 2 elements"),
    ("ann.qwerties-3class", {"n_hidden": -4}, "'n_hidden' must be >= 1, got -4"),
    ("ann.hidden-units", {"n_hidden": []}, "'n_hidden' must not be empty"),
    ("ann.hidden-units", {"n_hidden": [4, -2]}, "'n_hidden' must be >= 1, got -2"),
    ("ann.num-parameters", {"wide_layers": [2]}, "'wide_layers' must list at least 2 layer sizes"),
    ("ann.num-parameters", {"deep_layers": [2, 0, 3]}, "'deep_layers' must be >= 1, got 0"),
    ("ann.seq2class", {"definitions": ["sequential", "functional"]},
     "'definitions' must be one of \"sequential\", \"class\", got \"functional\""),
    ("ann.seq2class", {"definitions": ["class", "class"]}, "'definitions' must not repeat a definition"),
    ("ann.seq2class", {"learning_rates": []}, "'learning_rates' must not be empty"),
    ("ann.breadth-vs-depth", {"n_units": [4, -1]}, "'n_units' must be >= 1, got -1"),
    ("ann.breadth-vs-depth", {"demo_units": 0}, "'demo_units' must be >= 1, got 0"),
    ("ann.num-parameters", {"reps": 3}, "unknown parameter 'reps' for ann.num-parameters"),
])
def test_bad_parameters_raise_param_error(experiment_id: str, overrides: dict, fragment: str) -> None:
    with pytest.raises(ParamError) as error:
        dudl.run(experiment_id, **overrides)
    assert fragment in str(error.value) and "\n" not in str(error.value), str(error.value)


# ---------------------------------------------------------------------------------------------------
# CLI end to end


CLI_RUNS = {
    "ann.iris": ["--param", "epochs=30", "--param", "n_hidden=16", "--reps", "2"],
    "ann.qwerties-3class": ["--param", "epochs=30", "--param", "double_softmax=false"],
    "ann.hidden-units": ["--param", "n_hidden=arange(1,129,40)", "--param", "epochs=20"],
    "ann.num-parameters": ["--param", "wide_layers=[2,8,3]"],
    "ann.seq2class": ["--param", "learning_rates=linspace(.01,.1,3)", "--param", "epochs=30", "--seed", "2"],
    "ann.breadth-vs-depth": ["--param", "n_layers=[1,2]", "--param", "n_units=round(linspace(4,10,3))",
                             "--param", "epochs=10", "--param", "demo_epochs=10"],
}


@pytest.mark.parametrize("experiment_id", list(CLI_RUNS))
def test_cli_runs_end_to_end(cli_json, experiment_id: str) -> None:
    data = cli_json(experiment_id, *CLI_RUNS[experiment_id])
    assert data["id"] == experiment_id
    metrics = data["metrics"]
    if experiment_id == "ann.iris":
        assert data["params"]["reps"] == 2 and len(metrics["accuracy"]) == 2
    elif experiment_id == "ann.qwerties-3class":
        assert data["params"]["double_softmax"] is False and np.shape(metrics["probabilities"]) == (1, 300, 3)
    elif experiment_id == "ann.hidden-units":
        assert metrics["n_hidden"] == [1, 41, 81, 121] and np.shape(metrics["accuracy"]) == (1, 4)
    elif experiment_id == "ann.num-parameters":
        assert metrics["wide_params"] == 2 * 8 + 8 + 8 * 3 + 3 and metrics["wide_nodes"] == 11
    elif experiment_id == "ann.seq2class":
        assert data["params"]["seed"] == 2 and np.shape(metrics["accuracy"]) == (1, 2, 3)
    else:
        assert metrics["n_units"] == [4, 7, 10] and np.shape(metrics["n_params"]) == (2, 3)
    in_process = dudl.run(experiment_id, **data["params"])
    assert metrics == json.loads(in_process.to_json())["metrics"]
