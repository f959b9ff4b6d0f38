"""dudl.core.descent against the plain per-start loop of the course (the oracle), plus its properties."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dudl.core.descent import descend, diverged
from dudl.core.surfaces import BUMPY, DAMPED_SINE, QUADRATIC, peaks_gradient


def course_loop(deriv, start, learning_rate, epochs, schedule="fixed", grad_threshold=None, ascent=False):
    """The course's loop for ONE start (docs/spec/experiments.md#gradient-descent-updates): trajectory, gradients,
    learning rates, final x, updates made.

    Works for scalar points and for 2-D points (numpy arrays of shape [2]).
    """
    x = np.asarray(start, dtype=float)
    trajectory, gradients, rates = [], [], []
    with np.errstate(all="ignore"):
        for i in range(epochs):
            grad = deriv(x)
            size = float(np.linalg.norm(grad)) if np.ndim(grad) else abs(grad)
            if grad_threshold is not None and size < grad_threshold:
                break
            lr = learning_rate
            if schedule == "gradient":
                lr = learning_rate * size
            elif schedule == "time":
                lr = learning_rate * (1 - (i + 1) / epochs)
            x = x + lr * grad if ascent else x - lr * grad
            trajectory.append(x)
            gradients.append(grad)
            rates.append(lr)
    return np.array(trajectory), np.array(gradients), np.array(rates), x, len(trajectory)


CURVES = {"quadratic": QUADRATIC, "bumpy": BUMPY, "damped_sine": DAMPED_SINE}


@pytest.mark.parametrize("name", CURVES)
def test_batch_equals_the_per_start_loop(name: str) -> None:
    curve = CURVES[name]
    starts = np.array([-1.7, -0.3, 0.0, 0.45, 1.006, 1.9])
    rates = np.array([0.001, 0.01, 0.05])
    schedules = np.array(["fixed", "gradient", "time"])
    # batch: [starts, rates, schedules]
    descent = descend(curve.df, starts[:, None, None], rates[None, :, None], 60, schedule=schedules)
    assert descent.trajectory.shape == (6, 3, 3, 60) and descent.learning_rates.shape == (6, 3, 3, 60)
    for i, start in enumerate(starts):
        for j, rate in enumerate(rates):
            for k, schedule in enumerate(schedules):
                trajectory, gradients, lrs, final, _ = course_loop(curve.df, start, rate, 60, schedule)
                np.testing.assert_allclose(descent.trajectory[i, j, k], trajectory, rtol=0, atol=1e-12)
                np.testing.assert_allclose(descent.gradients[i, j, k], gradients, rtol=0, atol=1e-12)
                np.testing.assert_allclose(descent.learning_rates[i, j, k], lrs, rtol=0, atol=1e-15)
                np.testing.assert_allclose(descent.final[i, j, k], final, rtol=0, atol=1e-12)
    assert (descent.n_iterations == 60).all()


def test_two_d_batch_equals_the_loop_and_ascent_climbs() -> None:
    gradient = peaks_gradient()
    starts = np.array([[-0.56050454, -1.35877004], [-1.16863321, 1.13352453], [0.5, 0.5], [1.5, -0.2]])
    for ascent in (False, True):
        descent = descend(gradient, starts, 0.01, 200, point_ndim=1, ascent=ascent)
        assert descent.trajectory.shape == (4, 200, 2) and descent.final.shape == (4, 2)
        for row, start in enumerate(starts):
            trajectory, gradients, _, final, _ = course_loop(gradient, start, 0.01, 200, ascent=ascent)
            np.testing.assert_allclose(descent.trajectory[row], trajectory, rtol=0, atol=1e-12)
            np.testing.assert_allclose(descent.gradients[row], gradients, rtol=0, atol=1e-12)
            np.testing.assert_allclose(descent.final[row], final, rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    curvature=st.floats(0.1, 50.0),
    center=st.floats(-5.0, 5.0),
    fraction=st.floats(0.01, 0.99),
    starts=st.lists(st.floats(-100.0, 100.0), min_size=1, max_size=8),
)
def test_convex_quadratic_below_one_over_l_never_goes_up(curvature, center, fraction, starts) -> None:
    """f(x) = a (x - c)^2 has L = 2a; with lr < 1/L every update lowers f (or keeps it, at the minimum)."""
    def f(x):
        return curvature * (x - center) ** 2

    def df(x):
        return 2 * curvature * (x - center)

    descent = descend(df, starts, fraction / (2 * curvature), 50)
    values = f(np.concatenate([np.asarray(starts, dtype=float)[:, None], descent.trajectory], axis=1))
    assert np.all(np.diff(values, axis=1) <= 1e-12 * (1 + values[:, :-1]))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    starts=st.lists(st.floats(-6.0, 6.0), min_size=1, max_size=5),
    rates=st.lists(st.floats(1e-6, 0.1), min_size=1, max_size=4),
    epoch_counts=st.lists(st.integers(1, 120), min_size=1, max_size=4),
)
def test_sweep_after_epoch_counts_equals_separate_loops(starts, rates, epoch_counts) -> None:
    """One pass over the largest count, read off at each count == a fresh loop per (start, lr, count)."""
    descent = descend(DAMPED_SINE.df, np.array(starts)[:, None], np.array(rates)[None, :], max(epoch_counts))
    finals = descent.after(epoch_counts)  # [n_starts, n_rates, n_counts]
    assert finals.shape == (len(starts), len(rates), len(epoch_counts))
    for i, start in enumerate(starts):
        for j, rate in enumerate(rates):
            for k, count in enumerate(epoch_counts):
                *_, final, _ = course_loop(DAMPED_SINE.df, start, rate, count)
                assert abs(finals[i, j, k] - final) <= 1e-12


def test_after_two_d_and_zero_epochs() -> None:
    starts = np.array([[0.3, -0.4], [-1.0, 1.0]])
    descent = descend(peaks_gradient(), starts, 0.01, 30, point_ndim=1)
    after = descent.after([0, 1, 30])
    assert after.shape == (2, 3, 2)
    np.testing.assert_array_equal(after[:, 0], starts)
    np.testing.assert_array_equal(after[:, 1], descent.trajectory[:, 0])
    np.testing.assert_array_equal(after[:, 2], descent.final)
    with pytest.raises(ValueError):
        descent.after([31])


def test_grad_threshold_stops_before_the_first_small_gradient() -> None:
    starts = np.array([1.006, -0.998, 0.5])
    descent = descend(QUADRATIC.df, starts, 0.01, 100, grad_threshold=0.1)
    for row, start in enumerate(starts):
        trajectory, gradients, _, final, made = course_loop(QUADRATIC.df, start, 0.01, 100, grad_threshold=0.1)
        assert descent.n_iterations[row] == made
        np.testing.assert_array_equal(descent.trajectory[row, :made], trajectory)
        np.testing.assert_array_equal(descent.gradients[row, :made], gradients)
        assert np.isnan(descent.trajectory[row, made:]).all() and np.isnan(descent.learning_rates[row, made:]).all()
        assert descent.final[row] == final
    # 0.5 is the minimum: f'(0.5) = 0, so it never moves; the others stop once |6x - 3| < 0.1
    assert descent.n_iterations[2] == 0 and descent.final[2] == 0.5
    made = descent.n_iterations[0]
    assert abs(QUADRATIC.df(descent.trajectory[0, made - 1])) < 0.1 <= abs(descent.gradients[0, made - 1])
    # after() keeps a stopped descent's last value
    np.testing.assert_array_equal(descent.after([100])[:, 0], descent.final)


def test_schedules_learning_rates() -> None:
    descent = descend(QUADRATIC.df, 1.5, [0.01, 0.01, 0.1], 50, schedule=["fixed", "gradient", "time"])
    rates, gradients = descent.learning_rates, descent.gradients
    np.testing.assert_array_equal(rates[0], np.full(50, 0.01))
    np.testing.assert_array_equal(rates[1], 0.01 * np.abs(gradients[1]))
    np.testing.assert_allclose(rates[2], 0.1 * (1 - np.arange(1, 51) / 50), rtol=0, atol=1e-17)
    assert rates[2, -1] == 0.0


def test_overflowing_descent_records_non_finite_values_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        descent = descend(QUADRATIC.df, [1.5, 0.2], [1.0, 0.01], 500)
    # lr = 1: x - 0.5 is multiplied by -5 each update, so float64 overflows after about 440 updates
    path = descent.trajectory[0]
    first_bad = int(np.argmax(~np.isfinite(path)))
    assert 400 < first_bad < 460 and np.isnan(descent.final[0])
    np.testing.assert_allclose(path[:20] - 0.5, (1.5 - 0.5) * (-5.0) ** np.arange(1, 21), rtol=1e-12)
    assert np.isfinite(descent.trajectory[1]).all()
    start_values, final_values = QUADRATIC.f(np.array([1.5, 0.2])), QUADRATIC.f(descent.final)
    np.testing.assert_array_equal(diverged(start_values, final_values), [True, False])


def test_diverged_flags_uphill_and_non_finite_only() -> None:
    np.testing.assert_array_equal(diverged([1.0, 1.0, 1.0, 1.0], [0.5, 1.0, 1.5, math.inf]), [False, False, True, True])
    np.testing.assert_array_equal(diverged([1.0, 1.0], [0.5, 1.5], ascent=True), [True, False])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="epochs"):
        descend(QUADRATIC.df, 0.0, 0.01, 0)
    with pytest.raises(ValueError, match="schedule"):
        descend(QUADRATIC.df, 0.0, 0.01, 5, schedule="cyclic")
