"""math.softmax, math.log and math.entropy: the course's printed lines and values exactly, the random integers of
the softmax lecture over many seeds, the quirk parameters both ways, figures from the JSON round trip, bad input
through the CLI (through the API: test_every_experiment.py)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

import dudl
from dudl.lectures.math import entropy, softmax


def quiet_run(experiment_id: str, **overrides: object) -> dudl.Result:
    """``dudl.run`` with every warning an error: no warning may reach stderr in a normal run."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return dudl.run(experiment_id, **overrides)


# -- math.softmax -----------------------------------------------------------------------------------------


def test_softmax_prints_the_course_lines_and_the_random_part_of_this_run(draw, spec_output) -> None:
    result = quiet_run("math.softmax")
    m = result.metrics
    lines = result.printed()
    course = spec_output("math.softmax")[0]
    assert course == softmax.COURSE_OUTPUT.splitlines()
    assert lines[:2] == course[:2] == ["[0.09003057 0.24472847 0.66524096]", "1.0"]  # z = [1, 2, 3]; the rest is random
    np.testing.assert_allclose(m["sigma"], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-15)
    assert m["sigma_sum"] == 1.0
    random_z, torch_sigma = m["random_z"], m["torch_sigma"]
    assert random_z.shape == (1, 25) and random_z.dtype.kind == "i"
    assert lines[2:4] == str(random_z[0]).splitlines()  # 25 integers wrap onto two lines, as in the course
    assert lines[4:] == str(torch.tensor(torch_sigma[0], dtype=torch.float32)).splitlines()
    assert len(lines) == 9 and lines[4].startswith("tensor([") and lines[-1].endswith("])")
    expected = torch.nn.Softmax(dim=0)(torch.tensor(random_z[0], dtype=torch.float32)).double().numpy()
    np.testing.assert_array_equal(torch_sigma[0], expected)
    np.testing.assert_allclose(m["random_sigma"][0], np.exp(random_z[0]) / np.exp(random_z[0]).sum(), rtol=1e-15)
    assert m["random_sigma_sum"][0] == pytest.approx(1, abs=1e-15)

    loaded = draw(result, {"random_softmax", "methods"})
    assert loaded.printed() == lines
    figures = loaded.figures()
    by_hand, methods = figures["random_softmax"].axes[0], figures["methods"].axes[0]
    assert by_hand.get_yscale() == "log"
    assert by_hand.get_xlabel() == "Original number (z)" and by_hand.get_ylabel() == r"Softmaxified $\sigma$"
    assert by_hand.get_title() == rf"$\sum\sigma$ = {m['random_sigma_sum'][0]:g}" == r"$\sum\sigma$ = 1"
    np.testing.assert_array_equal(by_hand.lines[0].get_xdata(), random_z[0])
    assert by_hand.lines[0].get_marker() == "o" and by_hand.lines[0].get_color() == "k"
    assert methods.get_xlabel() == '"Manual" softmax' and methods.get_ylabel() == "Pytorch nn.Softmax"
    assert methods.get_title() == f"The two methods correlate at r={m['correlation'][0]}"
    np.testing.assert_array_equal(methods.lines[0].get_ydata(), torch_sigma[0])


def test_softmax_log_scale_quirk_both_ways(draw) -> None:
    linear = draw(quiet_run("math.softmax", log_scale=False), {"random_softmax", "methods"})
    assert linear.figures()["random_softmax"].axes[0].get_yscale() == "linear"
    assert linear.params["log_scale"] is False


@pytest.mark.slow
def test_softmax_over_many_seeds() -> None:
    """The integers are uniform on random_low..random_high-1; both softmaxes sum to 1 and agree to float32
    rounding (r = 1 minus about 1e-15, max difference below 1e-6) in every repetition."""
    reps = 2000
    m = quiet_run("math.softmax", reps=reps).metrics
    z = m["random_z"]
    assert z.shape == (reps, 25) and z.min() == -5 and z.max() == 14
    counts = np.bincount(z.ravel() + 5, minlength=20)
    expected = z.size / 20  # 2500 per value; binomial sd about 49
    assert counts.shape == (20,) and np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
    assert abs(z.mean() - 4.5) < 0.05
    np.testing.assert_allclose(m["random_sigma_sum"], 1, atol=1e-14)
    np.testing.assert_allclose(m["torch_sigma"].sum(axis=1), 1, atol=1e-6)
    assert np.all(m["correlation"] > 1 - 1e-12) and np.all(m["correlation"] <= 1 + 1e-15)
    assert np.all(m["max_abs_difference"] < 1e-6)
    # softmax keeps the order of its inputs
    order = np.argsort(z, axis=1, kind="stable")
    assert np.all(np.diff(np.take_along_axis(m["random_sigma"], order, axis=1), axis=1) >= 0)


def test_softmax_is_seeded_and_repetition_r_does_not_depend_on_reps() -> None:
    one, three = quiet_run("math.softmax", seed=7), quiet_run("math.softmax", seed=7, reps=3)
    np.testing.assert_array_equal(three.metrics["random_z"][:1], one.metrics["random_z"])
    np.testing.assert_array_equal(three.metrics["torch_sigma"][:1], one.metrics["torch_sigma"])
    assert not np.array_equal(quiet_run("math.softmax", seed=8).metrics["random_z"], one.metrics["random_z"])
    lines = three.printed()
    assert lines[:-1] == one.printed()
    assert lines[-1] == (f"Over 3 repetitions: smallest correlation {three.metrics['correlation'].min()}, "
                         f"largest max abs difference {three.metrics['max_abs_difference'].max():.3g}")


def test_softmax_by_hand_overflows_to_nan_silently(reloaded) -> None:
    result = quiet_run("math.softmax", z=[1000, 1], n_random=3, random_low=2, random_high=3)
    m = result.metrics
    assert math.isnan(m["sigma"][0]) and m["sigma"][1] == 0 and math.isnan(m["sigma_sum"])
    assert result.printed()[:2] == ["[nan  0.]", "nan"]
    assert reloaded(result).printed() == result.printed()  # null in JSON, NaN again after loading
    # three equal integers: softmax 1/3 each; r is undefined for constant vectors: NaN, no warning
    np.testing.assert_array_equal(m["random_z"], [[2, 2, 2]])
    np.testing.assert_allclose(m["random_sigma"], 1 / 3, rtol=1e-15)
    assert math.isnan(m["correlation"][0])


# -- math.log ---------------------------------------------------------------------------------------------


def test_log_metrics_and_figures(draw) -> None:
    font_size = matplotlib.rcParams["font.size"]
    result = quiet_run("math.log")
    m = result.metrics
    assert result.printed() == [] and "seed" not in result.params
    x = np.linspace(0.0001, 1, 200)
    np.testing.assert_array_equal(m["x"], x)
    np.testing.assert_array_equal(m["log_x"], np.log(x))
    assert m["log_x"][-1] == 0 and m["log_x"][0] == pytest.approx(-9.210340371976182, rel=1e-15)
    assert m["monotonic"] is True
    x_inverse = np.linspace(0.0001, 1, 20)
    np.testing.assert_array_equal(m["x_inverse"], x_inverse)
    np.testing.assert_array_equal(m["exp_log_x"], np.exp(np.log(x_inverse)))
    np.testing.assert_array_equal(m["log_exp_x"], np.log(np.exp(x_inverse)))
    error = max(np.abs(np.exp(np.log(x_inverse)) - x_inverse).max(),
                np.abs(np.log(np.exp(x_inverse)) - x_inverse).max())
    assert m["max_roundtrip_error"] == error and 0 < error < 5e-16

    figures = draw(result, {"log", "inverses"}).figures()
    curve, inverses = figures["log"], figures["inverses"]
    assert tuple(curve.get_size_inches()) == (10, 4)
    ax = curve.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "log(x)")
    line = ax.lines[0]
    assert (line.get_marker(), line.get_linestyle(), line.get_color(), line.get_markerfacecolor()) == \
        ("s", "-", "k", "w")
    ax = inverses.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "f(g(x))")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["unity", "exp(log(x))", "log(exp(x))"]
    unity, exp_log, log_exp = ax.lines
    assert tuple(unity.get_color()) == (0.8, 0.8, 0.8)
    assert (exp_log.get_marker(), log_exp.get_marker(), exp_log.get_markersize(), log_exp.get_markersize()) == \
        ("o", "x", 8, 8)
    for figure in figures.values():  # font size 15 on these figures, and only there
        ax = figure.axes[0]
        assert ax.xaxis.label.get_fontsize() == ax.yaxis.label.get_fontsize() == 15
        assert all(label.get_fontsize() == 15 for label in ax.get_xticklabels())
    assert matplotlib.rcParams["font.size"] == font_size


def test_log_in_another_base(draw) -> None:
    result = quiet_run("math.log", log_base=2, n_points=5, n_points_inverse=4, x_min=0.25, x_max=4)
    m = result.metrics
    np.testing.assert_array_equal(m["log_x"], np.log(m["x"]) / np.log(2))
    np.testing.assert_allclose(m["log_x"], np.log2(m["x"]), rtol=1e-15, atol=1e-16)
    assert m["log_x"][0] == -2 and m["log_x"][-1] == 2 and m["monotonic"]
    np.testing.assert_allclose(m["exp_log_x"], m["x_inverse"], rtol=1e-15)
    np.testing.assert_allclose(m["log_exp_x"], m["x_inverse"], rtol=1e-15)
    assert m["max_roundtrip_error"] < 1e-14
    ax = draw(result, {"log", "inverses"}).figures()["inverses"].axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["unity", "2**(log_2(x))", "log_2(2**(x))"]


# -- math.entropy -----------------------------------------------------------------------------------------


def test_entropy_prints_the_course_lines_with_the_wrong_formula_first_and_torch_last(reloaded, spec_output) -> None:
    result = quiet_run("math.entropy")
    course = spec_output("math.entropy")[0]  # the published run, which did not execute steps 1 and 6
    assert result.printed() == ["Wrong entropy: 0.34657359027997264", *course, "tensor(1.3863)"]
    assert entropy.COURSE_OUTPUT.splitlines() == course and course[0] == "Correct entropy: 0.5623351446188083"
    m = result.metrics
    assert m["wrong_entropy"] == 0.34657359027997264
    assert m["entropy"] == m["entropy_two_event"] == 0.5623351446188083
    assert m["cross_entropy"] == m["cross_entropy_two_event"] == m["cross_entropy_simplified"] == 1.3862943611198906
    assert m["torch_bce"] == pytest.approx(math.log(4), rel=1e-7) and m["bce_error"] is None
    assert m["torch_bce"] == float(np.float32(m["torch_bce"]))  # a float32 value, widened
    assert reloaded(result).printed() == result.printed()


@pytest.mark.parametrize(
    ("bce_call", "torch_bce", "bce_error", "last_line"),
    [
        ("swapped", 75.0, None, "tensor(75.)"),  # log(0) clamped to -100: silently wrong
        ("original", None, "AttributeError: 'list' object has no attribute 'size'",
         "AttributeError: 'list' object has no attribute 'size'"),
    ],
)
def test_entropy_bce_call_quirk(bce_call: str, torch_bce: float | None, bce_error: str | None, last_line: str,
                                reloaded, spec_output) -> None:
    result = quiet_run("math.entropy", bce_call=bce_call)
    m = result.metrics
    assert m["torch_bce"] == torch_bce and m["bce_error"] == bce_error
    assert m["cross_entropy"] == 1.3862943611198906  # the hand computation does not depend on the call
    assert result.printed()[:-1] == ["Wrong entropy: 0.34657359027997264", *spec_output("math.entropy")[0]]
    assert result.printed()[-1] == last_line == reloaded(result).printed()[-1]


def test_entropy_in_bits() -> None:
    result = quiet_run("math.entropy", log_base=2)
    m = result.metrics
    assert m["wrong_entropy"] == 0.5
    assert m["entropy"] == pytest.approx(-(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75)), rel=1e-15)
    assert m["entropy"] == pytest.approx(0.5623351446188083 / math.log(2), rel=1e-15)
    assert m["cross_entropy"] == m["cross_entropy_two_event"] == m["cross_entropy_simplified"] == 2.0
    assert m["torch_bce"] == pytest.approx(2.0, rel=1e-7)
    assert result.printed()[-1] == "tensor(1.3863)"  # PyTorch's value as it returns it, in nats


def test_entropy_of_longer_and_not_one_hot_distributions() -> None:
    result = quiet_run("math.entropy", probabilities=[0.5, 0.25, 0.25], p=[0.5, 0.5], q=[0.25, 0.75])
    m = result.metrics
    assert m["entropy"] == pytest.approx(1.5 * math.log(2), rel=1e-15)
    assert m["entropy_two_event"] is None and m["cross_entropy_simplified"] is None
    assert m["cross_entropy"] == pytest.approx(-(0.5 * math.log(0.25) + 0.5 * math.log(0.75)), rel=1e-15)
    assert m["cross_entropy_two_event"] == pytest.approx(m["cross_entropy"], rel=1e-15)
    assert m["torch_bce"] == pytest.approx(m["cross_entropy"], rel=1e-6)  # two events: the mean BCE is H(p, q)
    lines = result.printed()
    assert [line.split(":")[0] for line in lines] == ["Wrong entropy", "Correct entropy", "Cross entropy",
                                                      "Correct entropy", "tensor(0.8370)"]


# -- bad input --------------------------------------------------------------------------------------------


def test_cli_bad_probability_is_one_line_exit_2_and_no_files(cli, tmp_path: Path) -> None:
    proc = cli("run", "math.entropy", "--param", "p=[1.5,-0.5]")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "dudl: error: parameter 'p' must hold probabilities in [0, 1], got 1.5\n"
    assert not any(tmp_path.iterdir())

