"""Section ann, models: how a model is defined and what it costs. ann.num-parameters (exact counts, the course's
printed structures and summary table), the class forms against the engine's models, ann.multilayer and
ann.linear-vs-nonlinear (stacked linear layers collapse into one), ann.seq-vs-class and ann.seq2class
(nn.Sequential and a class train identically when paired).

Exact facts and statistical checks over seeded repetitions (deterministic). Small runs' figures, bad input and the
CLI of every experiment: test_every_experiment.py.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

import dudl
from dudl.core import data as datasets
from dudl.core import engine, models, seeding
from dudl.lectures.ann import breadth_vs_depth, linear_vs_nonlinear, num_parameters
from dudl.result import Result

matplotlib.use("Agg")


SMALL_SWEEP = "linspace(.001,.1,10)"
SMALL_RATES = "linspace(.01,.1,4)"


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
    assert models.n_trainable(models.ANNiris(n_units, n_layers)) == closed_form  # counted by PyTorch
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


@pytest.mark.slow
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


def test_seq_vs_class_paired_definitions_train_identically(spec_output) -> None:
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
    assert lines[:5] == spec_output("ann.seq-vs-class")[0][:5]  # the data lines of ann.qwerties
    assert lines[5] == f"Final accuracy: {m['accuracy'][0, 1]:g}%"

    unpaired = dudl.run("ann.seq-vs-class", reps=6, paired=False).metrics
    np.testing.assert_allclose(unpaired["losses"][:, 0], m["losses"][:, 0], atol=1e-5)
    assert unpaired["max_abs_loss_difference"].max() > 1e-3
    only_class = dudl.run("ann.seq-vs-class", reps=2, definitions=["class"]).metrics
    assert "max_abs_loss_difference" not in only_class
    np.testing.assert_allclose(only_class["losses"][:, 0], m["losses"][:2, 1], atol=1e-5)


# ---------------------------------------------------------------------------------------------------
# ann.seq2class


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
