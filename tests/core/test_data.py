"""dudl.core.data: the course's datasets. Exact shapes, dtypes and known first values from a seeded key, the
course's order of draws, and the distributions' moments over many seeds."""

from __future__ import annotations

import numpy as np

from dudl.core import data, seeding

QWERTY_CENTERS = [[1, 1], [5, 1]]


def rng(seed: int = 0, rep: int = 0) -> np.random.Generator:
    """Repetition ``rep``'s data stream."""
    return seeding.numpy_rng(seeding.key(seed, seeding.DATA, rep))


def test_qwerties_shapes_and_known_values() -> None:
    points, labels = data.qwerties(rng(), QWERTY_CENTERS, 100, 1.0)
    assert points.dtype == np.float32 and points.shape == (200, 2)
    assert labels.dtype == np.int64 and labels.tolist() == [0] * 100 + [1] * 100
    assert points[0].tolist() == [1.125730276107788, 1.5026828050613403]
    assert points[100].tolist() == [4.336464881896973, 2.203258991241455]
    # the course's order of draws: class by class, all x then all y
    normals = rng().standard_normal(400)
    np.testing.assert_array_equal(points[:100, 0], (1 + normals[:100]).astype(np.float32))
    np.testing.assert_array_equal(points[:100, 1], (1 + normals[100:200]).astype(np.float32))
    np.testing.assert_array_equal(points[100:, 0], (5 + normals[200:300]).astype(np.float32))
    three, three_labels = data.qwerties(rng(), [[1, 1], [5, 1], [4, -2]], 7, 0.5)
    assert three.shape == (21, 2) and np.bincount(three_labels).tolist() == [7, 7, 7]


def test_qwerties_moments_over_seeds() -> None:
    """Each class is normal around its centre with sd ``blur``: the means within four standard errors."""
    points = np.stack([data.qwerties(rng(seed), [[1, 1], [5, -2]], 50, 2.0)[0] for seed in range(200)])
    n = points.shape[0] * 50
    for k, centre in enumerate([[1, 1], [5, -2]]):
        block = points[:, 50 * k:50 * (k + 1)].reshape(-1, 2).astype(np.float64)
        assert np.all(np.abs(block.mean(axis=0) - centre) < 4 * 2.0 / np.sqrt(n))
        assert np.all(np.abs(block.std(axis=0) - 2.0) < 4 * 2.0 / np.sqrt(2 * n))
        assert abs(np.corrcoef(block.T)[0, 1]) < 4 / np.sqrt(n)
    assert data.qwerties(rng(), QWERTY_CENTERS, 3, 0.0)[0].tolist() == [[1, 1]] * 3 + [[5, 1]] * 3


def test_regression_shapes_known_values_and_slope() -> None:
    x, y = data.regression(rng(), 30, 0.5)
    assert x.dtype == y.dtype == np.float32 and x.shape == y.shape == (30, 1)
    assert x[:2, 0].tolist() == [0.1257302165031433, -0.13210485875606537]
    assert y[:2, 0].tolist() == [-0.37907886505126953, -0.2366926521062851]
    normals = rng().standard_normal(60)  # x first, then the noise
    np.testing.assert_array_equal(x[:, 0], normals[:30].astype(np.float32))
    np.testing.assert_array_equal(y[:, 0], (normals[:30] + 0.5 * normals[30:]).astype(np.float32))
    flat_x, flat_y = data.regression(rng(), 30, 0.0, slope=-2.0)
    np.testing.assert_array_equal(flat_x, x)
    np.testing.assert_array_equal(flat_y, -2 * x)


def test_regression_moments_over_seeds() -> None:
    """x standard normal; y - slope*x is the noise, sd noise_sd and uncorrelated with x."""
    pairs = [data.regression(rng(seed), 100, 0.5, slope=1.5) for seed in range(200)]
    x = np.concatenate([p[0] for p in pairs]).ravel().astype(np.float64)
    noise = np.concatenate([p[1] for p in pairs]).ravel() - 1.5 * x
    n = x.size
    assert abs(x.mean()) < 4 / np.sqrt(n) and abs(x.std() - 1) < 4 / np.sqrt(2 * n)
    assert abs(noise.mean()) < 4 * 0.5 / np.sqrt(n) and abs(noise.std() - 0.5) < 4 * 0.5 / np.sqrt(2 * n)
    assert abs(np.corrcoef(x, noise)[0, 1]) < 4 / np.sqrt(n)


def test_regression_for_reps_draws_each_repetition_from_its_stream() -> None:
    x, y = data.regression_for_reps(3, 4, 25, 0.7)
    assert x.dtype == y.dtype == np.float32 and x.shape == y.shape == (4, 25, 1)
    for rep in range(4):
        alone_x, alone_y = data.regression(rng(3, rep), 25, 0.7)
        np.testing.assert_array_equal(x[rep], alone_x)
        np.testing.assert_array_equal(y[rep], alone_y)
    fewer = data.regression_for_reps(3, 2, 25, 0.7)[0]
    np.testing.assert_array_equal(fewer, x[:2])
    assert not np.array_equal(x[0], x[1])


def test_iris_is_scikit_learn_s_bundled_copy() -> None:
    features, labels = data.iris()
    assert features.dtype == np.float32 and features.shape == (150, 4)
    assert labels.dtype == np.int64 and labels.tolist() == [0] * 50 + [1] * 50 + [2] * 50
    np.testing.assert_array_equal(features[0], np.float32([5.1, 3.5, 1.4, 0.2]))
    np.testing.assert_array_equal(features[-1], np.float32([5.9, 3.0, 5.1, 1.8]))
    np.testing.assert_allclose(features.mean(axis=0), [5.843333, 3.057333, 3.758, 1.199333], atol=1e-5)
    assert data.IRIS_FEATURES == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert data.IRIS_SPECIES == ("setosa", "versicolor", "virginica")


def test_toy_data() -> None:
    fake_data, fake_labels = data.toy()
    assert fake_data.shape == (10, 4) and fake_data.dtype.kind == "i"
    assert fake_data.tolist() == [[10 * k + j for j in (1, 2, 3, 4)] for k in range(1, 11)]
    assert fake_labels.dtype == bool and fake_labels.tolist() == [False] * 5 + [True] * 5
