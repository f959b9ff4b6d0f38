"""Numbers over repetitions in one printed line: their spread (mean, median, sd, range, diverged count) and a
correlation that is NaN, without a warning, where it is undefined.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np


def correlation(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Pearson r of two equally long sets of numbers (flattened; ``np.corrcoef``); NaN, without a warning, where
    it is undefined (a constant set or a single value)."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.corrcoef(np.ravel(x).astype(float), np.ravel(y).astype(float))[0, 1])


def spread(values: Sequence[float] | np.ndarray) -> dict[str, float]:
    """Mean, median, standard deviation (ddof 0), min and max over the finite values; the counts ``n`` of
    values and ``nonfinite`` of those not finite (ints). Without finite values, only the two counts."""
    array = np.asarray(values, dtype=float).ravel()
    finite = array[np.isfinite(array)]
    stats: dict[str, float] = {"n": array.size, "nonfinite": array.size - finite.size}
    if finite.size:
        with np.errstate(over="ignore"):  # values near the largest float: the mean and sd may overflow to inf
            stats.update(mean=float(finite.mean()), median=float(np.median(finite)), sd=float(finite.std()),
                         min=float(finite.min()), max=float(finite.max()))
    return stats


def summary_line(label: str, values: Sequence[float] | np.ndarray, *, unit: str = "",
                 failed: Sequence[bool] | np.ndarray | None = None) -> str:
    """One line over repetitions:
    ``<label> over N reps: mean m, median d, sd s, range [min, max][, failed f%][, diverged k]``.

    The statistics are over the finite values (:func:`spread`); ``diverged k`` counts the non-finite ones
    (``<label> over N reps: all diverged`` when none is finite). ``failed`` marks the repetitions that
    failed (e.g. accuracy at chance level).
    """
    stats = spread(values)
    n = stats["n"]
    if "mean" not in stats:
        return f"{label} over {n} reps: all diverged"
    line = (f"{label} over {n} reps: mean {stats['mean']:.4g}{unit}, median {stats['median']:.4g}{unit}, "
            f"sd {stats['sd']:.3g}, range [{stats['min']:.4g}, {stats['max']:.4g}]")
    if failed is not None:
        line += f", failed {100 * float(np.mean(failed)):.0f}%"
    if stats["nonfinite"]:
        line += f", diverged {stats['nonfinite']}"
    return line
