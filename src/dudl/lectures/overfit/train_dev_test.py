"""overfit.train-dev-test: train, devset and test partitions (overfitting/DUDL_overfitting_trainDevsetTest).

Partition the 10x4 toy data into three disjoint sets, once with two calls of scikit-learn's
``train_test_split`` and once by hand with numpy (a permutation cut at the partition boundaries). No model.
Each repetition's splits come from its data key (stream 0): scikit-learn's ``RandomState`` for the two calls,
numpy's generator for the permutation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from dudl.core import data, seeding, splits
from dudl.lectures.overfit import checks
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

COURSE_OUTPUT = """\
Training data size: (8, 4)
Devset data size: (1, 4)
Test data size: (1, 4)
(then the rows of each set)
Partition proportions:
[0.8 0.1 0.1]

Partition boundaries:
[ 8  9 10]

Randomized data indices:
[6 4 5 2 1 9 3 7 0 8]"""

NOTES = (
    "second_split exposes the original code's bug: it splits the remaining 20% with train_size = "
    "partitions[1] = 0.1, i.e. 10% of the 2 remaining rows, which scikit-learn rejects because the devset "
    "would be empty (the error is recorded in sklearn_error). The published run (\"fixed\", the default) uses "
    "the devset's share of the remainder, partitions[1] / (partitions[1] + partitions[2]) = 0.5."
)

SET_NAMES = ("Training", "Devset", "Test")
N_ROWS = 10  # the toy data (docs/spec/experiments.md#toy-data)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Three partitions: train to learn, a devset to tune, a test set touched only at the end. Look at the sizes of"
    " the three parts, with scikit-learn and with numpy."
)
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    """overfit.train-dev-test parameters (course defaults)."""

    partitions: tuple[float, float, float] = param((0.8, 0.1, 0.1), "train, devset, test proportions (sum 1)",
                                                   gt=0, lt=1)
    second_split: Literal["fixed", "original"] = param(
        "fixed", "quirk: fixed = train_size p_dev/(p_dev+p_test); original = train_size p_dev (course bug)"
    )
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        checks.check_partitions(self.partitions, N_ROWS)
        if self.second_split == "fixed":
            checks.check_sklearn_partitions(self.partitions, N_ROWS)



def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Both partitions for every repetition; the sklearn error of the "original" second split is recorded."""
    fake_data, _ = data.toy()
    sklearn_rows: list[list[list[int]]] | None = []
    sklearn_error = None
    random_indices, numpy_rows = [], []
    for rep in range(params.reps):
        data_key = seeding.key(params.seed, seeding.DATA, rep)
        if sklearn_rows is not None:
            try:
                sets = splits.sklearn_partition(N_ROWS, params.partitions, random_state=seeding.sklearn_state(data_key),
                                                second_split=params.second_split)
                sklearn_rows.append([rows.tolist() for rows in sets])
            except ValueError as error:  # the "original" second split: scikit-learn rejects an empty set
                sklearn_error, sklearn_rows = str(error), None
        boundaries, permutation, sets = splits.numpy_partition(seeding.numpy_rng(data_key), N_ROWS,
                                                               params.partitions)
        random_indices.append(permutation)
        numpy_rows.append([rows.tolist() for rows in sets])
    n_features = fake_data.shape[1]
    return {
        "sklearn_shapes": None if sklearn_rows is None
        else np.array([[len(rows), n_features] for rows in sklearn_rows[0]]),
        "sklearn_rows": sklearn_rows,
        "sklearn_error": sklearn_error,
        "partition_boundaries": boundaries,
        "random_indices": np.stack(random_indices),
        "numpy_shapes": np.array([[len(rows), n_features] for rows in numpy_rows[0]]),
        "numpy_rows": numpy_rows,
    }


def printed(result: Any) -> list[str]:
    """The course's lines for repetition 0: the three sizes and rows, the proportions, boundaries, permutation."""
    metrics = result.metrics
    fake_data, _ = data.toy()
    lines: list[str] = []
    if metrics["sklearn_rows"] is None:
        lines.append(f"ValueError: {metrics['sklearn_error']}")
    else:
        shapes = np.asarray(metrics["sklearn_shapes"], dtype=int)
        lines += [f"{name} data size: {tuple(int(v) for v in shape)}"
                  for name, shape in zip(SET_NAMES, shapes, strict=True)]
        for name, rows in zip(SET_NAMES, metrics["sklearn_rows"][0], strict=True):
            lines += ["", f"{name} data:", *str(fake_data[np.asarray(rows, dtype=int)]).splitlines()]
    lines += ["", "Partition proportions:", str(np.array(result.params["partitions"])), "",
              "Partition boundaries:", str(np.asarray(metrics["partition_boundaries"], dtype=int)), "",
              "Randomized data indices:", str(np.asarray(metrics["random_indices"], dtype=int)[0])]
    reps = len(metrics["numpy_rows"])
    if reps > 1:
        counts = np.bincount(np.concatenate([np.asarray(sets[2], dtype=int) for sets in metrics["numpy_rows"]]),
                             minlength=N_ROWS)
        lines.append(f"Test-set count of each row over {reps} reps (numpy): {counts.tolist()}")
    return lines


def figures(result: Any) -> dict[str, Any]:
    """No figures (the lecture draws none)."""
    return {}
