"""The gd section: the course's printed values, the spec's shapes and seeding, sweeps against the plain loop (bad
input and the CLI: test_every_experiment.py)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import dudl
from dudl.core.surfaces import BUMPY, DAMPED_SINE, QUADRATIC, peaks

STOCHASTIC = ("gd.1d", "gd.2d", "gd.start-value", "gd.dynamic-lr", "gd.parametric")


def plain_1d(deriv, start: float, learning_rate: float, epochs: int) -> float:
    """The course's loop: for i in range(epochs): x = x - lr*deriv(x)."""
    x = start
    for _ in range(epochs):
        x = x - learning_rate * deriv(x)
    return x


# ---------------------------------------------------------------------------------------------------
# gd.1d


def test_1d_course_value_and_printed_lines() -> None:
    result = dudl.run("gd.1d", start=1.006)
    m = result.metrics
    assert abs(m["final_minimum"][0] - 0.50103977) < 1e-8
    assert m["trajectory"].shape == m["gradients"].shape == (1, 100)
    assert m["final_minimum"][0] == m["trajectory"][0, -1]
    np.testing.assert_array_equal(m["gradients"][0], QUADRATIC.df(np.r_[1.006, m["trajectory"][0, :-1]]))
    assert m["final_value"][0] == QUADRATIC.f(m["final_minimum"][0]) and m["n_iterations"].tolist() == [100]
    assert result.printed() == ["[1.006]", "array([0.50103977])"]
    assert dudl.run("gd.1d", start=-0.998).printed()[1] == "array([0.4969218])"  # the course's second run


@pytest.mark.slow
def test_1d_random_starts_are_grid_points_and_converge() -> None:
    m = dudl.run("gd.1d", reps=200, seed=1).metrics
    grid = np.linspace(-2, 2, 2001)
    assert np.isin(m["start"], grid).all() and len(np.unique(m["start"])) > 150
    # |x - 0.5| shrinks by 0.94 per update: after 100 updates at most 2.5 * 0.94**100 = 0.0052
    assert np.abs(m["final_minimum"] - 0.5).max() <= 2.5 * 0.94**100 + 1e-12
    assert np.abs(m["final_minimum"] - 0.5).max() > 0.004  # some starts were far away


def test_1d_grad_threshold_stops_early() -> None:
    m = dudl.run("gd.1d", start=1.006, grad_threshold=0.1).metrics
    made = int(m["n_iterations"][0])
    # |6x - 3| = 3.036 * 0.94**i falls below 0.1 at the first i with 0.94**i < 0.1/3.036
    assert made == int(np.ceil(np.log(0.1 / 3.036) / np.log(0.94)))
    assert np.isfinite(m["trajectory"][0, :made]).all() and np.isnan(m["trajectory"][0, made:]).all()
    assert m["final_minimum"][0] == m["trajectory"][0, made - 1]
    assert abs(QUADRATIC.df(m["final_minimum"][0])) < 0.1


def test_1d_divergence_is_data(draw) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = dudl.run("gd.1d", learning_rate=1, epochs=500, reps=3)  # overflows after ~440 updates
        lines = result.printed()
        draw(result, {"function", "result", "trajectory", "final_spread"})
    assert np.isnan(result.metrics["final_minimum"]).all()
    data = json.loads(result.to_json())
    assert data["metrics"]["final_minimum"] == [None, None, None] and None in data["metrics"]["trajectory"][0]
    assert "diverged" in lines[2] and lines[-1].endswith("all diverged")
    # a learning rate just above 1/3 grows |x - 0.5| by 1.04 per update: finite, but uphill, so "diverged"
    slow = dudl.run("gd.1d", learning_rate=0.34, start=1.0)
    assert np.isfinite(slow.metrics["final_minimum"]).all() and "diverged" in slow.printed()[2]


def test_1d_figures_from_json(reloaded, draw) -> None:
    result = dudl.run("gd.1d", start=1.006, reps=2)
    figures = reloaded(result).figures()
    assert figures["result"].axes[0].get_title() == (f"Empirical local minimum: {result.metrics['final_minimum'][0]}"
                                                     "\n(repetition 0 of 2)")
    assert figures["trajectory"].axes[0].get_title() == "Final estimated minimum: 0.50104 (repetition 0 of 2)"
    assert [t.get_text() for t in figures["function"].axes[0].get_legend().get_texts()] == ["y", "dy"]
    assert figures["function"].axes[0].get_xlim() == (-2.0, 2.0)
    draw(result, {"function", "result", "trajectory", "final_spread"})


# ---------------------------------------------------------------------------------------------------
# gd.2d


def test_2d_course_values_and_printed_lines() -> None:
    result = dudl.run("gd.2d", start=[-0.56050454, -1.35877004])
    m = result.metrics
    assert abs(m["df_x_at_1_1"] - -1.07369833656079) < 1e-13
    np.testing.assert_allclose(m["final_point"][0], [0.2282789, -1.6255350], atol=1e-7)
    assert m["trajectory"].shape == m["gradients"].shape == (1, 1000, 2)
    assert m["final_value"][0] == peaks(*m["final_point"][0])
    assert result.printed() == ["-1.07369833656079", "[0.228278920556369 -1.62553495750000]",
                                "[-0.56050454 -1.35877004]"]


def test_2d_second_course_run() -> None:
    m = dudl.run("gd.2d", start=[-1.16863321, 1.13352453]).metrics
    np.testing.assert_allclose(m["final_point"][0], [-1.34739624436821, 0.204518866097005], atol=1e-7)


def test_2d_ascent_methods_agree_and_climb() -> None:
    add = dudl.run("gd.2d", ascent=True, reps=20, seed=4).metrics
    negate = dudl.run("gd.2d", ascent=True, ascent_method="negate_function", reps=20, seed=4).metrics
    np.testing.assert_allclose(negate["trajectory"], add["trajectory"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(negate["gradients"], add["gradients"], rtol=0, atol=1e-12)
    start_values = peaks(add["start"][:, 0], add["start"][:, 1])
    assert (add["final_value"] >= start_values).all()
    assert np.median(add["final_value"]) > 3  # most climb one of the three peaks (3.59, 3.78, 8.11)
    descent = dudl.run("gd.2d", reps=20, seed=4).metrics
    assert (descent["final_value"] <= start_values).all() and np.median(descent["final_value"]) < -3


def test_2d_random_starts_and_bad_start() -> None:
    m = dudl.run("gd.2d", reps=50, epochs=1).metrics
    assert m["start"].shape == (50, 2) and (np.abs(m["start"]) <= 2).all() and m["start"].std() > 0.8
    with pytest.raises(dudl.ParamError, match="'start' must be"):
        dudl.run("gd.2d", start=[1.0])
    with pytest.raises(dudl.ParamError, match="grid_min must be less than grid_max"):
        dudl.run("gd.2d", grid_min=3, grid_max=-3)


def test_2d_figures(reloaded, draw) -> None:
    result = dudl.run("gd.2d", ascent=True, epochs=20)
    figures = reloaded(result).figures()
    legend = [t.get_text() for t in figures["trajectory"].axes[0].get_legend().get_texts()]
    assert legend == ["rnd start", "local max"]
    image = figures["landscape"].axes[0].images[0]
    assert image.get_clim() == (-5, 5) and image.origin == "lower"
    draw(result, {"landscape", "trajectory"})


# ---------------------------------------------------------------------------------------------------
# gd.start-value


def test_start_value_zero_never_moves() -> None:
    result = dudl.run("gd.start-value", start=0)
    assert (result.metrics["trajectory"] == 0).all() and (result.metrics["gradients"] == 0).all()
    assert result.printed() == ["array([0.])"]
    nudged = dudl.run("gd.start-value", start=0.0001).metrics["final_minimum"][0]
    assert abs(nudged) > 0.4  # a nudge off the local maximum rolls into a neighbouring minimum


def test_start_value_course_output_from_a_grid_start() -> None:
    result = dudl.run("gd.start-value", start=-1.404)
    assert result.printed() == ["array([-1.42506741])"]  # the course's printed value
    assert result.metrics["final_minimum"][0] == plain_1d(BUMPY.df, -1.404, 0.01, 100)


@pytest.mark.slow
def test_start_value_depends_on_the_start(draw) -> None:
    m = dudl.run("gd.start-value", reps=100).metrics
    assert set(np.round(m["final_minimum"], 2)) == {-1.43, -0.48, 0.48, 1.43}
    assert np.isin(m["start"], np.linspace(-2, 2, 2001)).all()
    draw(dudl.run("gd.start-value", reps=2), {"function", "result", "final_spread"})


# ---------------------------------------------------------------------------------------------------
# gd.dynamic-lr


def test_dynamic_lr_starts_follow_the_course_quirk() -> None:
    quirk = dudl.run("gd.dynamic-lr", reps=4).metrics["start"]
    assert (quirk[:, 1] == quirk[:, 2]).all() and (quirk[:, 0] != quirk[:, 1]).all()
    same = dudl.run("gd.dynamic-lr", reps=4, same_start=True).metrics["start"]
    np.testing.assert_array_equal(same, np.repeat(quirk[:, :1], 3, axis=1))  # all start at s1
    fixed = dudl.run("gd.dynamic-lr", reps=2, start=1.5).metrics["start"]
    assert (fixed == 1.5).all()
    only_time = dudl.run("gd.dynamic-lr", reps=4, schedules=["time"]).metrics
    np.testing.assert_array_equal(only_time["start"][:, 0], quirk[:, 2])
    all_three = dudl.run("gd.dynamic-lr", reps=4).metrics
    np.testing.assert_array_equal(only_time["trajectory"][:, 0], all_three["trajectory"][:, 2])


def test_dynamic_lr_schedules() -> None:
    m = dudl.run("gd.dynamic-lr", start=1.5).metrics
    assert list(m["schedules"]) == ["fixed", "gradient", "time"]
    assert m["trajectory"].shape == m["lr_by_iteration"].shape == (1, 3, 50)
    rates, gradients = m["lr_by_iteration"][0], m["gradients"][0]
    np.testing.assert_array_equal(rates[0], 0.01)
    np.testing.assert_array_equal(rates[1], 0.01 * np.abs(gradients[1]))
    np.testing.assert_allclose(rates[2], 0.1 * (1 - np.arange(1, 51) / 50), atol=1e-17)
    assert m["final_minimum"][0, 0] == plain_1d(QUADRATIC.df, 1.5, 0.01, 50)


@pytest.mark.slow
def test_dynamic_lr_time_decay_wins_here() -> None:
    m = dudl.run("gd.dynamic-lr", reps=200).metrics
    error = np.abs(m["final_minimum"] - 0.5)  # [reps, schedule]
    assert error[:, 0].max() <= 2.5 * 0.94**50 + 1e-12  # fixed: |x - 0.5| shrinks by 0.94 per update
    assert error[:, 2].max() < 1e-6  # time-based: big early steps, none at the end
    assert np.median(error[:, 1]) > 0.01  # gradient-based: its steps shrink with the gradient near the minimum


def test_dynamic_lr_bad_schedules_and_figure(reloaded, draw) -> None:
    with pytest.raises(dudl.ParamError, match="must not be empty"):
        dudl.run("gd.dynamic-lr", schedules=[])
    with pytest.raises(dudl.ParamError, match="must be one of"):
        dudl.run("gd.dynamic-lr", schedules=["cyclic"])
    with pytest.raises(dudl.ParamError, match="must not repeat"):
        dudl.run("gd.dynamic-lr", schedules=["time", "time"])
    result = dudl.run("gd.dynamic-lr", reps=3, learning_rate_gradient=0.3)
    fig = reloaded(result).figures()["schedules"]
    assert [t.get_text() for t in fig.axes[2].get_legend().get_texts()] == ["Fixed l.r.", "Grad-based l.r.",
                                                                          "Time-based l.r."]
    assert [ax.get_ylabel() for ax in fig.axes[:3]] == ["Local minimum", "Derivative", "Learning rate"]
    assert result.printed()[-1].startswith("Mean final minimum over 3 reps: Fixed l.r.")
    draw(result, {"schedules", "final_spread"})


# ---------------------------------------------------------------------------------------------------
# gd.parametric


def test_parametric_sweeps_equal_the_plain_loops() -> None:
    """The course's nested loops (a fresh descent per start, per lr and per (lr, epoch count)) agree to 1e-12."""
    sweeps = {"start_values": "linspace(-5,5,9)", "learning_rates": "linspace(1e-10,1e-1,6)",
              "epoch_counts": "round(linspace(10,500,5))", "epochs": 300, "start": 0.3}
    m = dudl.run("gd.parametric", **sweeps).metrics
    deriv = DAMPED_SINE.df
    by_start = [plain_1d(deriv, start, 0.01, 300) for start in m["start_values"]]
    np.testing.assert_allclose(m["final_by_start"], by_start, rtol=0, atol=1e-12)
    by_lr = [plain_1d(deriv, 0.0, rate, 300) for rate in m["learning_rates"]]
    np.testing.assert_allclose(m["final_by_learning_rate"], by_lr, rtol=0, atol=1e-12)
    assert m["epoch_counts"].tolist() == [10, 132, 255, 378, 500]
    by_both = [[plain_1d(deriv, 0.0, rate, int(n)) for n in m["epoch_counts"]] for rate in m["learning_rates"]]
    np.testing.assert_allclose(m["final_by_lr_and_epochs"], by_both, rtol=0, atol=1e-12)
    assert abs(m["final_minimum"][0] - plain_1d(deriv, 0.3, 0.01, 300)) <= 1e-12


def test_parametric_defaults_shapes_and_minimum() -> None:
    result = dudl.run("gd.parametric", reps=3)
    m = result.metrics
    shapes = {name: np.shape(value) for name, value in m.items()}
    assert shapes == {"start": (3,), "final_minimum": (3,), "trajectory": (3, 1000), "start_values": (50,),
                      "final_by_start": (50,), "learning_rates": (50,), "final_by_learning_rate": (50,),
                      "epoch_counts": (40,), "final_by_lr_and_epochs": (50, 40)}
    assert m["epoch_counts"].dtype.kind == "i" and m["epoch_counts"][[0, 1, -1]].tolist() == [10, 23, 500]
    # from 0, the larger learning rates reach the local minimum near -1.4289 (where f' = 0)
    assert np.abs(m["final_by_learning_rate"][10:] + 1.4289).max() < 1e-3
    assert abs(DAMPED_SINE.df(m["final_by_lr_and_epochs"][-1, -1])) < 1e-9
    assert m["final_by_learning_rate"][0] == pytest.approx(0.0, abs=1e-6)  # lr = 1e-10 barely moves
    # the values of the heat map's colour range (-1.45, -1.2) are the interesting ones
    assert (m["final_by_lr_and_epochs"] >= -1.45).all()
    assert len(result.printed()) == 1 and "over 3 reps" in result.printed()[0]


def test_parametric_figures(reloaded, draw) -> None:
    result = dudl.run("gd.parametric", epochs=50, epoch_counts="round(linspace(10,50,5))")
    figures = reloaded(result).figures()
    heatmap = figures["lr_epochs_heatmap"].axes[0]
    assert heatmap.get_xlabel() == "Learning rate" and heatmap.get_ylabel() == "Training epochs"
    assert heatmap.images[0].get_clim() == (-1.45, -1.2)
    assert heatmap.images[0].get_array().shape == (5, 50)  # epochs on y, learning rates on x
    assert len(figures["lr_epochs_lines"].axes[0].lines) == 5
    exercise = dudl.run("gd.parametric", epochs=50, epoch_counts="round(linspace(10,50,5))", sweep_start=1.6)
    assert reloaded(exercise).figures()["lr_epochs_heatmap"].axes[0].images[0].get_clim() != (-1.45, -1.2)
    draw(result, {"function", "single_run", "start_values", "learning_rates", "lr_epochs_heatmap", "lr_epochs_lines"})


# ---------------------------------------------------------------------------------------------------
# Every gd experiment


@pytest.mark.parametrize("experiment_id", STOCHASTIC)
def test_repetition_r_does_not_depend_on_reps(experiment_id: str) -> None:
    small = {"epochs": 30} if experiment_id != "gd.parametric" else {"epochs": 30, "epoch_counts": [5, 10]}
    five = dudl.run(experiment_id, reps=5, seed=3, **small).metrics
    three = dudl.run(experiment_id, reps=3, seed=3, **small).metrics
    for name in ("start", "trajectory"):
        np.testing.assert_array_equal(five[name][:3], three[name])
    assert len(np.unique(five["start"], axis=0)) > 1
    other_seed = dudl.run(experiment_id, reps=3, seed=4, **small).metrics
    assert not np.array_equal(other_seed["start"], three["start"])
