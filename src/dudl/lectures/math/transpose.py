"""math.transpose: the transpose in numpy and PyTorch (math/DUDL_math_transpose).

``.T`` turns the course's 1×4 row vector (its double brackets) into a 4×1 column and swaps a matrix's rows
and columns; transposing twice gives back the original. Deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.lectures.math.common import Matrix, Vector, check_list, course_text, lines, matches, widen
from dudl.params import Params as BaseParams
from dudl.params import param

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = course_text("""\
[[1 2 3 4]]

[[1]
 [2]
 [3]
 [4]]

[[1 2 3 4]]
[[1 2 3 4]
 [5 6 7 8]]

[[1 5]
 [2 6]
 [3 7]
 [4 8]]

[[1 2 3 4]
 [5 6 7 8]]
tensor([[1, 2, 3, 4]])

tensor([[1],
        [2],
        [3],
        [4]])

tensor([[1, 2, 3, 4]])
tensor([[1, 2, 3, 4],
        [5, 6, 7, 8]])

tensor([[1, 5],
        [2, 6],
        [3, 7],
        [4, 8]])

tensor([[1, 2, 3, 4],
        [5, 6, 7, 8]])
Variable nv is of type <class 'numpy.ndarray'>
Variable nM is of type <class 'numpy.ndarray'>
Variable tv is of type <class 'torch.Tensor'>
Variable tM is of type <class 'torch.Tensor'>
""")

NOTES = ("vector: the course's double brackets make [[1,2,3,4]] a 1×4 matrix, whose transpose is a 4×1 column. "
         "A 1-D vector such as [1,2,3,4] is unchanged by the transpose, in numpy and in PyTorch (where dudl "
         "reverses the dimensions instead of calling the deprecated .T).")

NAMES = ("nv", "nM", "tv", "tM")


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Transposing turns rows into columns: a 1×4 row becomes a 4×1 column and a 2×4 matrix becomes 4×2. "
    "Transposing twice gives back what you started with, and numpy and PyTorch agree."
)


@dataclass(frozen=True)
class Params(BaseParams):
    vector: Vector | Matrix = param(((1, 2, 3, 4),), "the vector; the course's double brackets make it 1×4 "
                                    "(1-D, or 2-D with rows of equal length)")
    matrix: Matrix = param(((1, 2, 3, 4), (5, 6, 7, 8)), "the matrix (2-D, rows of equal length)")

    def check(self) -> None:
        check_list("vector", self.vector)
        check_list("matrix", self.matrix)


def transpose(value: Any) -> Any:
    """The course's ``.T``: numpy's for an array; for a tensor, its dimensions reversed (``.T`` without its
    deprecation warning for tensors that are not 2-D; the identity for a 1-D tensor, like numpy's)."""
    if isinstance(value, np.ndarray):
        return value.T
    return value.permute(*range(value.ndim - 1, -1, -1))


def course_objects(params: dict[str, Any]) -> dict[str, Any]:
    """The notebook's nv, nM (numpy arrays) and tv, tM (tensors), made from the parameters (a Result's
    ``params``) as the course does."""
    return {"nv": np.array(params["vector"]), "nM": np.array(params["matrix"]),
            "tv": torch.tensor(params["vector"]), "tM": torch.tensor(params["matrix"])}


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The transposes (numpy's values; PyTorch's match them) and their shapes, and the four objects' types."""
    objects = course_objects(params.to_dict())
    nv, nm, tv, tm = (objects[name] for name in NAMES)
    pairs = [(nv, tv), (nm, tm), (nv.T, transpose(tv)), (nm.T, transpose(tm))]  # transposed: .T, then .T.T
    return {
        "vector_shape": np.array(nv.shape),
        "vector_transpose_shape": np.array(nv.T.shape),
        "vector_transpose": nv.T,
        "matrix_shape": np.array(nm.shape),
        "matrix_transpose_shape": np.array(nm.T.shape),
        "matrix_transpose": nm.T,
        "double_transpose_equal": all(np.array_equal(transpose(transpose(v)), v) for v in objects.values()),
        "torch_matches_numpy": all(matches(transpose(n), widen(transpose(t))) for n, t in pairs),
        "types": [str(type(objects[name])) for name in NAMES],
    }


def figures(result: Result) -> dict[str, Figure]:
    return {}


def printed(result: Result) -> list[str]:
    objects = course_objects(result.params)
    out: list[str] = []
    for name in NAMES:
        value = objects[name]
        out += [*lines(value), " ", *lines(transpose(value)), " ", *lines(transpose(transpose(value)))]
    out += [f"Variable {name} is of type {kind}" for name, kind in zip(NAMES, result.metrics["types"], strict=True)]
    return out
