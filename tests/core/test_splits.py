"""dudl.core.splits: the course's exact split sizes, and properties over random sizes (hypothesis), with the overfitting
lectures' checks of split parameters (dudl.lectures.overfit.checks) against the splits they guard."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split

from dudl.core import data, seeding, splits
from dudl.lectures.overfit import checks
from dudl.params import ParamError


def assert_partition(sets: list[np.ndarray], n_rows: int) -> None:
    """The sets are disjoint and together hold every row exactly once."""
    rows = np.concatenate([np.asarray(s, dtype=int) for s in sets])
    assert np.array_equal(np.sort(rows), np.arange(n_rows))


# --- exact facts of the course -------------------------------------------------------------------


def test_iris_split_is_120_30_and_toy_split_8_2() -> None:
    train, test = splits.train_test_indices(150, train_size=0.8, random_state=0)
    assert (len(train), len(test)) == (120, 30)
    assert_partition([train, test], 150)
    train, test = splits.train_test_indices(10, test_size=0.2, random_state=0)
    assert (len(train), len(test)) == (8, 2)
    assert_partition([train, test], 10)


def test_indices_equal_train_test_split_of_the_data() -> None:
    fake_data, fake_labels = data.toy()
    data_train, data_test, _, _ = train_test_split(fake_data, fake_labels, test_size=0.2, random_state=42)
    train, test = splits.train_test_indices(10, test_size=0.2, random_state=42)
    assert np.array_equal(fake_data[train], data_train) and np.array_equal(fake_data[test], data_test)


def test_train_dev_test_sizes_8_1_1_and_boundaries_8_9_10() -> None:
    assert splits.partition_boundaries(10, (0.8, 0.1, 0.1)).tolist() == [8, 9, 10]
    sets = splits.sklearn_partition(10, (0.8, 0.1, 0.1), random_state=3)
    assert [len(s) for s in sets] == [8, 1, 1]
    assert_partition(sets, 10)
    boundaries, permutation, sets = splits.numpy_partition(np.random.default_rng(3), 10, (0.8, 0.1, 0.1))
    assert [len(s) for s in sets] == [8, 1, 1]
    assert np.array_equal(np.concatenate(sets), permutation)
    assert_partition(sets, 10)


def test_original_second_split_is_rejected_by_sklearn() -> None:
    with pytest.raises(ValueError, match="train set will be empty"):
        splits.sklearn_partition(10, (0.8, 0.1, 0.1), random_state=3, second_split="original")


def test_120_training_rows_make_10_batches_of_12() -> None:
    assert splits.batch_sizes(120, 12) == [12] * 10
    assert splits.batch_sizes(8, 4) == [4, 4]
    assert splits.batch_sizes(10, 4) == [4, 4, 2]
    assert splits.batch_sizes(5, 12) == [5]


def test_manual_splits() -> None:
    rng = np.random.default_rng(0)
    mask = splits.random_train_mask(rng, 150, 120)
    assert mask.sum() == 120
    assert splits.first_rows_mask(150, 120).tolist() == [True] * 120 + [False] * 30
    labels = data.iris()[1]
    mask = splits.stratified_train_mask(rng, labels, 0.8)
    assert np.bincount(labels[mask]).tolist() == [40, 40, 40]
    assert splits.stratified_sizes(labels, 0.8) == 120 and splits.stratified_sizes(labels, 0.33) == 48


def test_resplit_masks_are_successive_train_test_splits() -> None:
    masks = splits.resplit_masks(150, 0.8, 50, 123)
    assert masks.shape == (50, 150) and (masks.sum(axis=1) == 120).all()
    generator = np.random.RandomState(123)
    for epoch in range(50):
        train, _ = train_test_split(np.arange(150), train_size=0.8, random_state=generator)
        assert np.array_equal(np.flatnonzero(masks[epoch]), np.sort(train))
    # over the epochs every row is trained on: the "test" rows are not held out
    assert masks.any(axis=0).all()
    assert len({m.tobytes() for m in masks}) == 50


def test_kfold_on_iris_5_folds_of_30() -> None:
    labels = data.iris()[1]
    folds = splits.kfold_test_masks(150, 5, shuffle=False, random_state=None)
    assert folds.sum(axis=1).tolist() == [30] * 5
    assert (folds[0] == (np.arange(150) < 30)).all()  # unshuffled: the first rows, all setosa
    folds = splits.kfold_test_masks(150, 5, shuffle=True, random_state=1, labels=labels)
    assert all(np.bincount(labels[f]).tolist() == [10, 10, 10] for f in folds)


# --- properties over random sizes ----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(n_rows=st.integers(2, 300), k=st.integers(2, 12), shuffle=st.booleans(), state=st.integers(0, 2**32 - 1))
def test_every_row_is_tested_exactly_once(n_rows: int, k: int, shuffle: bool, state: int) -> None:
    k = min(k, n_rows)
    folds = splits.kfold_test_masks(n_rows, k, shuffle=shuffle, random_state=state)
    assert folds.shape == (k, n_rows)
    assert (folds.sum(axis=0) == 1).all()
    sizes = folds.sum(axis=1)
    assert sizes.max() - sizes.min() <= 1 and sizes.min() >= 1


@settings(max_examples=40, deadline=None)
@given(per_class=st.lists(st.integers(2, 40), min_size=2, max_size=4), k=st.integers(2, 6),
       state=st.integers(0, 2**32 - 1))
def test_stratified_folds_test_every_row_once_and_keep_the_balance(per_class: list[int], k: int, state: int) -> None:
    labels = np.repeat(np.arange(len(per_class)), per_class)
    k = min(k, min(per_class))
    folds = splits.kfold_test_masks(len(labels), k, shuffle=True, random_state=state, labels=labels)
    assert (folds.sum(axis=0) == 1).all()
    counts = np.stack([np.bincount(labels[f], minlength=len(per_class)) for f in folds])  # [k, classes]
    assert (counts.max(axis=0) - counts.min(axis=0) <= 1).all()


@settings(max_examples=60, deadline=None)
@given(n_rows=st.integers(2, 500), proportion=st.floats(0.001, 0.999), state=st.integers(0, 2**32 - 1))
def test_split_sizes_match_scikit_learn(n_rows: int, proportion: float, state: int) -> None:
    n_train, n_test = splits.sklearn_sizes(n_rows, proportion)
    if n_train < 1:
        with pytest.raises(ParamError, match="empty training set"):
            checks.check_sklearn_proportion("train_proportion", proportion, n_rows)
        return
    checks.check_sklearn_proportion("train_proportion", proportion, n_rows)
    train, test = splits.train_test_indices(n_rows, train_size=proportion, random_state=state)
    assert (len(train), len(test)) == (n_train, n_test)
    assert_partition([train, test], n_rows)


@settings(max_examples=60, deadline=None)
@given(n_rows=st.integers(3, 200), cuts=st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3),
       state=st.integers(0, 2**32 - 1))
def test_three_partitions_are_disjoint_and_cover_every_row(n_rows: int, cuts: list[float], state: int) -> None:
    partitions = tuple(c / sum(cuts) for c in cuts)
    try:
        checks.check_partitions(partitions, n_rows)
    except ParamError as error:
        assert "empty set" in str(error)
        return
    boundaries, permutation, sets = splits.numpy_partition(np.random.default_rng(state), n_rows, partitions)
    assert boundaries[-1] == n_rows and all(len(s) >= 1 for s in sets)
    assert_partition(sets, n_rows)
    try:
        sets = splits.sklearn_partition(n_rows, partitions, random_state=state)
    except ValueError:  # scikit-learn's floor() can empty a set that numpy's rounding keeps
        return
    assert_partition(sets, n_rows)


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: checks.check_partitions((0.8, 0.1, 0.2), 10), "must sum to 1"),
        (lambda: checks.check_partitions((0.9, 0.05, 0.05), 10), "leaves an empty set"),
        (lambda: checks.check_kfold(1, np.zeros(10, dtype=int), stratified=False), ">= 2 and <= 10"),
        (lambda: checks.check_kfold(11, np.zeros(10, dtype=int), stratified=False), "got 11"),
        (lambda: checks.check_kfold(51, data.iris()[1], stratified=True), "<= 50"),
        (lambda: checks.check_sklearn_proportion("train_proportion", 0.005, 150), "empty training set"),
        (lambda: checks.check_split("train_proportion", 0.001, 0, 150, "int(0.001*150)"), "empty training set"),
    ],
)
def test_bad_splits_raise_one_line_param_errors(call, message: str) -> None:
    with pytest.raises(ParamError, match=message) as error:
        call()
    assert "\n" not in str(error.value)


def test_split_state_and_weight_state_are_different_streams() -> None:
    """A model's sklearn split and its torch weights come from one key; they must not share a random stream."""
    key = seeding.key(0, seeding.MODEL, 3)
    sklearn_words = np.random.RandomState(seeding.sklearn_state(key)).randint(0, 2**31, size=8)
    torch_words = torch.randint(0, 2**31, (8,), generator=seeding.torch_generator(key)).numpy()
    assert not set(sklearn_words) & set(torch_words)
