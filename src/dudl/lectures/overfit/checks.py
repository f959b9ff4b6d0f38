"""The overfitting lectures' checks of their split parameters, made when the parameters are resolved: a
proportion, a set of partitions or a number of folds that would leave a set empty is a :class:`ParamError`
with one line naming the value, the sizes it gives and what is allowed. The sizes are those of the splits
themselves (:mod:`dudl.core.splits`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dudl.core.splits import devset_share, partition_boundaries, sklearn_sizes
from dudl.params import ParamError


def check_split(name: str, proportion: float, n_train: int, n_rows: int, rule: str) -> None:
    """Raise ParamError if a training proportion leaves an empty training or test set.

    ``rule`` says how ``n_train`` was computed, e.g. ``"floor(p*150)"``, for the message.
    """
    if 1 <= n_train <= n_rows - 1:
        return
    empty = "training" if n_train < 1 else "test"
    raise ParamError(
        f"parameter {name!r} = {proportion:g} leaves an empty {empty} set ({rule} = {n_train} of {n_rows} "
        f"rows); allowed: a proportion in (0, 1) that gives 1 to {n_rows - 1} training rows"
    )


def check_sklearn_proportion(name: str, proportion: float, n_rows: int) -> None:
    """Raise ParamError unless ``train_test_split(train_size=proportion)`` leaves both sets non-empty."""
    n_train, _ = sklearn_sizes(n_rows, proportion)
    if n_train < 1:
        raise ParamError(
            f"parameter {name!r} = {proportion:g} leaves an empty training set (floor({proportion:g}*{n_rows}) "
            f"= 0 rows); allowed: >= {1 / n_rows:.4g} and < 1"
        )


_PARTITIONS_ALLOWED = "allowed: proportions in (0, 1) summing to 1 that give every set at least one row"


def _shown(partitions: Sequence[float]) -> str:
    return ", ".join(f"{p:g}" for p in partitions)


def check_partitions(partitions: Sequence[float], n_rows: int) -> None:
    """Raise ParamError unless the proportions sum to 1 and every numpy partition of ``n_rows`` is non-empty."""
    total = float(sum(partitions))
    if abs(total - 1) > 1e-9:
        raise ParamError(f"parameter 'partitions' must sum to 1, got [{_shown(partitions)}] (sum {total:g})")
    sizes = np.diff(partition_boundaries(n_rows, partitions), prepend=0)
    if np.any(sizes < 1):
        raise ParamError(
            f"parameter 'partitions' = [{_shown(partitions)}] leaves an empty set of {n_rows} rows (sizes "
            f"{sizes.tolist()}); {_PARTITIONS_ALLOWED}"
        )


def check_sklearn_partitions(partitions: Sequence[float], n_rows: int) -> None:
    """Raise ParamError unless :func:`dudl.core.splits.sklearn_partition`'s ``"fixed"`` split of ``n_rows``
    leaves every set non-empty."""
    n_train, n_rest = sklearn_sizes(n_rows, partitions[0])
    n_dev, n_test = sklearn_sizes(n_rest, devset_share(partitions))
    if min(n_train, n_dev, n_test) < 1:
        raise ParamError(
            f"parameter 'partitions' = [{_shown(partitions)}] leaves an empty set in scikit-learn's split of "
            f"{n_rows} rows (sizes {n_train}, {n_dev}, {n_test}); {_PARTITIONS_ALLOWED}"
        )


def check_kfold(k: int, labels: np.ndarray, *, stratified: bool) -> None:
    """Raise ParamError unless ``k`` folds of these rows are possible (``2 <= k <= n_rows``; stratified: every
    class needs at least k rows, as ``StratifiedKFold`` requires)."""
    n_rows = len(labels)
    if stratified:
        smallest_class = int(np.bincount(labels).min())
        if not 2 <= k <= smallest_class:
            raise ParamError(
                f"parameter 'k' must be >= 2 and <= {smallest_class} (rows of the smallest class) with stratified "
                f"folds, got {k}"
            )
    elif not 2 <= k <= n_rows:
        raise ParamError(f"parameter 'k' must be >= 2 and <= {n_rows} (the number of rows), got {k}")
