"""Gradient descent, vectorised in numpy over start points, learning rates and schedules
(docs/spec/experiments.md#gradient-descent-updates).

One routine, :func:`descend`, serves every gd experiment: ``x <- x - lr*f'(x)`` for ``epochs`` updates, for
a whole batch of independent descents at once (every start point, learning rate and schedule of a sweep
broadcast against each other). Each descent of the batch gives exactly the numbers of the course's plain
loop ``for i in range(epochs): grad = deriv(x); x = x - lr*grad`` (the tests keep that loop as the oracle).

Shapes: a 1-D descent has scalar points (``point_ndim=0``); a 2-D descent has points with a trailing
coordinate axis of length 2 (``point_ndim=1``). ``batch`` is the broadcast shape of the start points'
leading axes, the learning rates and the schedules.

Divergence is data: a run that overflows records inf and NaN (numpy's warnings are silenced), and
:func:`diverged` flags the runs whose objective went up instead of down, finite or not.

Start points: :func:`random_starts` gives each repetition its start, the given one or one drawn from the
repetition's data stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from dudl.core import seeding

Schedule = Literal["fixed", "gradient", "time"]
SCHEDULES: tuple[Schedule, ...] = ("fixed", "gradient", "time")


@dataclass(frozen=True)
class Descent:
    """The record of a batch of descents.

    * ``start``: [*batch, *point] the start points;
    * ``trajectory``: [*batch, epochs, *point], ``trajectory[..., i, :]`` is x after update i;
    * ``gradients``: [*batch, epochs, *point], the derivative used in update i (evaluated before it);
    * ``learning_rates``: [*batch, epochs], the learning rate used in update i;
    * ``n_iterations``: [*batch] int, the updates made (fewer than ``epochs`` where ``grad_threshold``
      stopped a descent; its trajectory, gradients and learning rates are NaN after the stop);
    * ``final``: [*batch, *point], x after the last update made.
    """

    start: np.ndarray
    trajectory: np.ndarray
    gradients: np.ndarray
    learning_rates: np.ndarray
    n_iterations: np.ndarray
    final: np.ndarray

    @property
    def epochs(self) -> int:
        """The number of updates each descent was run for (at most)."""
        return self.learning_rates.shape[-1]

    def after(self, epoch_counts: Sequence[int] | np.ndarray) -> np.ndarray:
        """x after ``n`` updates for each ``n`` in ``epoch_counts`` [n_counts] -> [*batch, n_counts, *point].

        This is ``trajectory[..., n - 1, :]`` (``start`` for n = 0), so one pass over the largest count
        gives every shorter run of the same descent. A descent stopped early by ``grad_threshold`` keeps
        its last value.
        """
        counts = np.asarray(epoch_counts, dtype=int)
        if counts.ndim != 1 or (counts < 0).any() or (counts > self.epochs).any():
            raise ValueError(f"epoch_counts must be a list of integers in [0, {self.epochs}], got {counts}")
        batch_ndim = self.n_iterations.ndim
        point_ndim = self.start.ndim - batch_ndim
        path = np.concatenate([np.expand_dims(self.start, batch_ndim), self.trajectory], axis=batch_ndim)
        made = np.minimum(counts, self.n_iterations[..., None])  # [*batch, n_counts]
        index = made.reshape(made.shape + (1,) * point_ndim)
        return np.take_along_axis(path, index, axis=batch_ndim)


def random_starts(seed: int, reps: int, draw: Callable[[np.random.Generator], ArrayLike],
                  start: ArrayLike | None = None) -> np.ndarray:
    """[reps, *shape] start points: ``start`` for every repetition, or ``draw(rng)`` per repetition.

    ``rng`` is repetition ``rep``'s data stream, ``numpy_rng(key(seed, DATA, rep))``, so repetition r starts
    at the same point whatever ``reps`` is. ``draw`` returns one repetition's start(s), of the shape of
    ``start``.
    """
    if start is not None:
        return np.repeat(np.asarray(start, dtype=float)[np.newaxis], reps, axis=0)
    return np.array([draw(seeding.numpy_rng(seeding.key(seed, seeding.DATA, rep))) for rep in range(reps)],
                    dtype=float)


def magnitude(values: np.ndarray, point_ndim: int) -> np.ndarray:
    """abs(values) for scalar points, the Euclidean norm over the coordinate axis for 2-D points."""
    return np.abs(values) if point_ndim == 0 else np.sqrt(np.sum(values**2, axis=tuple(range(-point_ndim, 0))))


def descend(
    gradient: Callable[[np.ndarray], np.ndarray],
    start: ArrayLike,
    learning_rate: ArrayLike,
    epochs: int,
    *,
    point_ndim: int = 0,
    schedule: ArrayLike = "fixed",
    grad_threshold: float | None = None,
    ascent: bool = False,
) -> Descent:
    """Run ``epochs`` updates of gradient descent for a whole batch of descents at once.

    ``gradient`` maps points [*batch, *point] to the derivative at each point (same shape). ``start``
    [*start_batch, *point], ``learning_rate`` and ``schedule`` broadcast against each other to ``batch``.
    The learning rate of update i (0-based) is, per descent:

    * ``"fixed"``: ``learning_rate``;
    * ``"gradient"``: ``learning_rate * |f'(x)|`` (the norm of the gradient for 2-D points);
    * ``"time"``: ``learning_rate * (1 - (i + 1) / epochs)``.

    ``grad_threshold``: a descent stops before its first update whose gradient magnitude is below the
    threshold (the rest of its record is NaN). ``ascent``: climb, ``x <- x + lr*f'(x)``.
    """
    if int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    start = np.asarray(start, dtype=float)
    if start.ndim < point_ndim:
        raise ValueError(f"start of shape {start.shape} has no trailing point axis of {point_ndim} dimension(s)")
    point_shape = start.shape[start.ndim - point_ndim:]
    base_rate = np.asarray(learning_rate, dtype=float)
    schedule = np.asarray(schedule)
    unknown = set(np.unique(schedule).tolist()) - set(SCHEDULES)
    if unknown:
        raise ValueError(f"unknown schedule(s) {sorted(unknown)}; allowed: {', '.join(SCHEDULES)}")
    batch = np.broadcast_shapes(start.shape[: start.ndim - point_ndim], base_rate.shape, schedule.shape)
    x = np.broadcast_to(start, batch + point_shape).astype(float, copy=True)
    start = x.copy()
    base_rate = np.broadcast_to(base_rate, batch)
    by_gradient = np.broadcast_to(schedule == "gradient", batch)
    by_time = np.broadcast_to(schedule == "time", batch)
    expand = (...,) + (None,) * point_ndim  # per-descent values -> broadcast over the point axes

    trajectory = np.full((epochs, *batch, *point_shape), np.nan)
    gradients = np.full((epochs, *batch, *point_shape), np.nan)
    rates = np.full((epochs, *batch), np.nan)
    active = np.ones(batch, dtype=bool)
    n_iterations = np.zeros(batch, dtype=int)

    with np.errstate(all="ignore"):  # divergence is data: inf and NaN are recorded, not warned about
        for i in range(epochs):
            grad = np.asarray(gradient(x), dtype=float)
            if grad_threshold is not None:
                active &= ~(magnitude(grad, point_ndim) < grad_threshold)
                if not active.any():
                    break
            rate = base_rate
            if by_gradient.any():
                rate = rate * np.where(by_gradient, magnitude(grad, point_ndim), 1.0)
            if by_time.any():
                rate = rate * np.where(by_time, 1 - (i + 1) / epochs, 1.0)
            step = rate[expand] * grad
            updated = x + step if ascent else x - step
            if grad_threshold is None:
                x = updated
            else:
                x = np.where(active[expand], updated, x)
                grad = np.where(active[expand], grad, np.nan)
                rate = np.where(active, rate, np.nan)
                updated = np.where(active[expand], updated, np.nan)
            trajectory[i] = updated
            gradients[i] = grad
            rates[i] = rate
            n_iterations += active

    def epochs_after_batch(record: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.moveaxis(record, 0, len(batch)))

    return Descent(start=start, trajectory=epochs_after_batch(trajectory), gradients=epochs_after_batch(gradients),
                   learning_rates=epochs_after_batch(rates), n_iterations=n_iterations, final=x)


def diverged(start_value: ArrayLike, final_value: ArrayLike, *, ascent: bool = False) -> np.ndarray:
    """Which descents diverged: the final objective is not finite, or it went up (down, for an ascent).

    ``start_value`` and ``final_value`` are the objective at the start and at the end, broadcast together.
    A tolerance of 1e-12 (relative) lets a descent that never moved (e.g. a start where f' = 0) pass.
    """
    start_value = np.asarray(start_value, dtype=float)
    final_value = np.asarray(final_value, dtype=float)
    with np.errstate(all="ignore"):
        change = (start_value - final_value) if ascent else (final_value - start_value)
        worse = change > 1e-12 * (1 + np.abs(start_value))
    return ~np.isfinite(final_value) | worse
