"""Train/test, train/devset/test and K-fold splits: a thin layer over scikit-learn, plus the course's numpy splits.

Every split is returned as row indices or boolean masks over ``n_rows`` rows, so the batched engine can train
many models on one shared data tensor with per-model masks. scikit-learn draws the shuffled splits
(``train_test_split``, ``KFold``, ``StratifiedKFold``) with a ``random_state`` that the caller derives from the
spec's seeding scheme (:func:`dudl.core.seeding.sklearn_state`); the course's hand-made splits (random rows,
first rows, species-balanced rows, numpy partitions) take a numpy ``Generator``.

The overfitting lectures check their split parameters against these sizes before anything is drawn
(:mod:`dudl.lectures.overfit.checks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, train_test_split

RandomState = int | np.random.RandomState | None


# ---------------------------------------------------------------------------------------------------
# Sizes


def sklearn_sizes(n_rows: int, train_size: float) -> tuple[int, int]:
    """(n_train, n_test) of ``train_test_split(train_size=train_size)`` on ``n_rows`` rows.

    scikit-learn's rule for a float ``train_size`` without ``test_size``: ``n_train = floor(train_size*n)``,
    the rest is test. The course's ``int(p*n)`` gives the same count for every p in (0, 1).
    """
    n_train = math.floor(train_size * n_rows)
    return n_train, n_rows - n_train


# ---------------------------------------------------------------------------------------------------
# scikit-learn splits


def train_test_indices(
    n_rows: int,
    *,
    train_size: float | None = None,
    test_size: float | None = None,
    random_state: RandomState,
    stratify: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``train_test_split`` of the row indices 0..n_rows-1: (train rows [n_train], test rows [n_test]) int.

    The rows come in scikit-learn's shuffled order, so ``data[train]`` equals the first array that
    ``train_test_split(data, ..., random_state=random_state)`` returns.
    """
    train, test = train_test_split(
        np.arange(n_rows), train_size=train_size, test_size=test_size, random_state=random_state,
        stratify=stratify,
    )
    return train, test


def resplit_masks(n_rows: int, train_size: float, epochs: int, random_state: int) -> np.ndarray:
    """[epochs, n_rows] bool: a fresh ``train_test_split`` at every epoch (the original notebook's in-loop split).

    The split of epoch e comes from one ``RandomState(random_state)`` advanced through the epochs: scikit-learn's
    ``ShuffleSplit(n_splits=epochs)``, which gives the same splits as calling ``train_test_split`` once per epoch
    with that ``RandomState``, without its per-call overhead.
    """
    splitter = ShuffleSplit(n_splits=epochs, train_size=train_size, random_state=np.random.RandomState(random_state))
    masks = np.zeros((epochs, n_rows), dtype=bool)
    for epoch, (train, _) in enumerate(splitter.split(np.zeros((n_rows, 1)))):
        masks[epoch, train] = True
    return masks


def kfold_test_masks(
    n_rows: int, k: int, *, shuffle: bool, random_state: int | None, labels: np.ndarray | None = None
) -> np.ndarray:
    """[k, n_rows] bool: row j is in the test fold i. Each row is in exactly one test fold.

    ``labels`` given: ``StratifiedKFold`` (each fold keeps the class balance); else ``KFold``.
    ``random_state`` is used only when ``shuffle`` (scikit-learn rejects it otherwise).
    """
    state = random_state if shuffle else None
    if labels is None:
        folds = KFold(n_splits=k, shuffle=shuffle, random_state=state).split(np.zeros((n_rows, 1)))
    else:
        folds = StratifiedKFold(n_splits=k, shuffle=shuffle, random_state=state).split(
            np.zeros((n_rows, 1)), labels
        )
    masks = np.zeros((k, n_rows), dtype=bool)
    for fold, (_, test) in enumerate(folds):
        masks[fold, test] = True
    return masks


def devset_share(partitions: Sequence[float]) -> float:
    """``train_size`` of the ``"fixed"`` second split: the devset's share of the rows left after training."""
    return partitions[1] / (partitions[1] + partitions[2])


def sklearn_partition(
    n_rows: int, partitions: Sequence[float], *, random_state: RandomState, second_split: str = "fixed"
) -> list[np.ndarray]:
    """Train, devset and test rows from two ``train_test_split`` calls (the course's first method).

    First ``train_size=partitions[0]`` gives train and a remainder; then the remainder is split with
    ``train_size = partitions[1] / (partitions[1] + partitions[2])`` (``"fixed"``, the published run) or
    ``train_size = partitions[1]`` (``"original"``: the course's bug, which scikit-learn usually rejects with a
    ValueError that is passed on). Both calls draw from one ``RandomState``. Returns three int arrays.
    """
    generator = np.random.RandomState(random_state) if isinstance(random_state, int) else random_state
    train, rest = train_test_indices(n_rows, train_size=partitions[0], random_state=generator)
    if second_split == "fixed":
        split = devset_share(partitions)
    elif second_split == "original":
        split = partitions[1]
    else:
        raise ValueError(f"second_split must be 'fixed' or 'original', got {second_split!r}")
    devset, test = train_test_split(rest, train_size=split, random_state=generator)
    return [train, devset, test]


# ---------------------------------------------------------------------------------------------------
# The course's numpy splits


def random_train_mask(rng: np.random.Generator, n_rows: int, n_train: int) -> np.ndarray:
    """[n_rows] bool with ``n_train`` random rows True (the course's ``np.random.choice(..., replace=False)``)."""
    mask = np.zeros(n_rows, dtype=bool)
    mask[rng.choice(n_rows, n_train, replace=False)] = True
    return mask


def first_rows_mask(n_rows: int, n_train: int) -> np.ndarray:
    """[n_rows] bool: the first ``n_train`` rows (the course's "is this the correct way?" split)."""
    mask = np.zeros(n_rows, dtype=bool)
    mask[:n_train] = True
    return mask


def stratified_train_mask(rng: np.random.Generator, labels: np.ndarray, proportion: float) -> np.ndarray:
    """[n_rows] bool: ``int(proportion * n_c)`` random rows of every class c (course exercise 1)."""
    mask = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        mask[rng.choice(rows, int(proportion * len(rows)), replace=False)] = True
    return mask


def stratified_sizes(labels: np.ndarray, proportion: float) -> int:
    """Training rows of :func:`stratified_train_mask`: the sum over classes of ``int(proportion * n_c)``."""
    return int(sum(int(proportion * count) for count in np.bincount(labels) if count))


def partition_boundaries(n_rows: int, partitions: Sequence[float]) -> np.ndarray:
    """[len(partitions)] int: ``cumsum(partitions * n_rows)``, rounded (the course truncates; same at [8 9 10])."""
    return np.round(np.cumsum(np.asarray(partitions, dtype=float) * n_rows)).astype(int)


def numpy_partition(
    rng: np.random.Generator, n_rows: int, partitions: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The course's numpy partition: (boundaries [P] int, permutation [n_rows] int, P arrays of row indices).

    Set i holds ``permutation[boundaries[i-1]:boundaries[i]]`` (from 0 for the first set).
    """
    boundaries = partition_boundaries(n_rows, partitions)
    permutation = rng.permutation(n_rows)
    starts = np.concatenate([[0], boundaries[:-1]])
    return boundaries, permutation, [permutation[a:b] for a, b in zip(starts, boundaries, strict=True)]


def batch_sizes(n_rows: int, batch_size: int) -> list[int]:
    """Rows per mini-batch when ``n_rows`` rows are cut into batches of ``batch_size`` (last smaller one kept)."""
    full, rest = divmod(n_rows, batch_size)
    return [batch_size] * full + ([rest] if rest else [])
