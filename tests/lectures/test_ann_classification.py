"""Section ann, classification: ann.qwerties (two qwerty blobs, a tiny net that often fails at chance), ann.iris
(softmax outputs, confusion matrix) and ann.qwerties-3class (the double-softmax loss floor).

Exact facts (shapes, the course's printed lines, softmax rows, accuracy rules) and statistical checks over many
seeded repetitions (deterministic; bounds wide enough not to flake, tight enough to catch a wrong model, loss or
accuracy rule). Small runs' figures, bad input and the CLI of every experiment: test_every_experiment.py.
"""

from __future__ import annotations

import math
import re

import matplotlib
import numpy as np
import pytest

import dudl
from dudl.core import data as datasets
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
DOUBLE_SOFTMAX_FLOOR = -math.log(math.e / (math.e + 2))  # CrossEntropy of softmax((1, 0, 0)) for class 0


# ---------------------------------------------------------------------------------------------------
# ann.qwerties


@pytest.fixture(scope="module")
def qwerties_100() -> Result:
    return dudl.run("ann.qwerties", reps=100)


@pytest.mark.slow
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
# ann.iris


@pytest.fixture(scope="module")
def iris_10() -> Result:
    return dudl.run("ann.iris", reps=10)


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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
