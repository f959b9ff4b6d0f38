"""The course's datasets, as pure generators (docs/spec/experiments.md#2-common-building-blocks).

The random ones (:func:`qwerties`, :func:`regression`) take a numpy ``Generator`` (from
:mod:`dudl.core.seeding`; :func:`regression_for_reps` draws every repetition's from its data stream);
:func:`iris` and :func:`toy` are fixed data and take none. All return numpy
arrays; experiments convert to torch float32 where they train. Iris comes only from scikit-learn's bundled
copy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.datasets import load_iris  # at import, so that a run's elapsed_s is computation, not imports

from dudl.core import seeding

IRIS_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
IRIS_SPECIES = ("setosa", "versicolor", "virginica")


def qwerties(
    rng: np.random.Generator, centers: Sequence[Sequence[float]], n_per_cluster: int, blur: float
) -> tuple[np.ndarray, np.ndarray]:
    """The qwerties (docs/spec/experiments.md#qwerties): blobs around ``centers``.

    For each class k in order: ``x = c[k][0] + randn(n)*blur``, then ``y = c[k][1] + randn(n)*blur``.
    Returns ``data`` float32 [n_classes*n_per_cluster, 2] (class 0 rows first) and ``labels`` int64
    [n_classes*n_per_cluster] with values 0..n_classes-1.
    """
    blocks = []
    for cx, cy in centers:
        x = cx + rng.standard_normal(n_per_cluster) * blur
        y = cy + rng.standard_normal(n_per_cluster) * blur
        blocks.append(np.column_stack([x, y]))
    with np.errstate(over="ignore"):  # beyond float32 (a huge blur or centre) the data are inf: the runs diverge
        data = np.vstack(blocks).astype(np.float32)
    labels = np.repeat(np.arange(len(centers), dtype=np.int64), n_per_cluster)
    return data, labels


def regression(
    rng: np.random.Generator, n: int, noise_sd: float, slope: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """The regression data: ``x = randn(n,1)``, ``y = slope*x + noise_sd*randn(n,1)``; float32 [n, 1] each."""
    x = rng.standard_normal((n, 1))
    y = slope * x + noise_sd * rng.standard_normal((n, 1))
    with np.errstate(over="ignore"):  # beyond float32 (a huge noise or slope) y is inf: the runs diverge
        return x.astype(np.float32), y.astype(np.float32)


def regression_for_reps(seed: int, reps: int, n: int, noise_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Every repetition's :func:`regression` data (slope 1), repetition r from its data stream
    ``key(seed, DATA, r)``: ``x``, ``y`` float32 [reps, n, 1]."""
    pairs = [regression(seeding.numpy_rng(seeding.key(seed, seeding.DATA, rep)), n, noise_sd) for rep in range(reps)]
    return np.stack([x for x, _ in pairs]), np.stack([y for _, y in pairs])


def iris() -> tuple[np.ndarray, np.ndarray]:
    """Iris data, scikit-learn's bundled copy: ``data`` float32 [150, 4] (cm), ``labels`` int64 [150] (0, 1, 2)."""
    bunch = load_iris()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


def toy() -> tuple[np.ndarray, np.ndarray]:
    """The toy data (the overfitting section's fake data): int [10, 4], row k = 10k + [1, 2, 3, 4]; labels bool [10]."""
    fake_data = np.tile(np.array([1, 2, 3, 4]), (10, 1)) + np.tile(10 * np.arange(1, 11), (4, 1)).T
    fake_labels = np.arange(10) > 4
    return fake_data, fake_labels
