"""math.argmin: min/max and argmin/argmax in numpy and PyTorch (math/DUDL_math_argmin).

A vector's extremes and their (0-based) positions; for a matrix, the minimum of the whole matrix (its argmin
a flat, row-major index), of each column (``axis=0``: the row of each column's minimum) and of each row
(``axis=1``: the column of each row's minimum). PyTorch's ``torch.min(M, axis=0)`` returns the values and the
indices together. On ties both libraries return the first occurrence. Deterministic.
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
Min,max: -3,40
Min,max indices: 3,1

Min val is -3, max val is 40
[[ 0  1 10]
 [20  8  5]]

0
[0 1 5]
[0 5]
[[ 0  1 10]
 [20  8  5]]

0
[0 0 1]
[0 2]
Min,max: -3,40
Min,max indices: 3,1

Min val is -3, max val is 40
tensor([[ 0,  1, 10],
        [20,  8,  5]])

tensor(0)

torch.return_types.min(
values=tensor([0, 1, 5]),
indices=tensor([0, 0, 1]))

tensor([0, 1, 5])
tensor([0, 0, 1])
""")

NOTES = ("The notebook's last cell shows min2.count, the built-in count method of tuples (not a count of "
         "anything), as a repr with a memory address; dudl leaves it out.")


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "min and max give the smallest and largest value; argmin and argmax give where they are. In a matrix, axis=0 "
    "works down each column and axis=1 along each row."
)


@dataclass(frozen=True)
class Params(BaseParams):
    vector: Vector = param((1, 40, 2, -3), "the vector (1-D, at least one number)")
    matrix: Matrix = param(((0, 1, 10), (20, 8, 5)), "the matrix (2-D, rows of equal length)")

    def check(self) -> None:
        check_list("matrix", self.matrix)


def course_objects(params: dict[str, Any]) -> dict[str, Any]:
    """The notebook's objects, made from the parameters as the course makes them: for numpy (``np_``) and
    PyTorch (``torch_``), the vector ``v`` and its ``min``, ``max``, ``argmin``, ``argmax``, and the matrix ``M``
    with its minima and argmins (whole, ``axis=0``, ``axis=1``; PyTorch's ``axis=0`` is one named tuple)."""
    v, m = np.array(params["vector"]), np.array(params["matrix"])
    tv, tm = torch.tensor(params["vector"]), torch.tensor(params["matrix"])
    return {
        "np_v": v, "np_min": np.min(v), "np_max": np.max(v), "np_argmin": np.argmin(v), "np_argmax": np.argmax(v),
        "np_M": m, "np_M_min": [np.min(m), np.min(m, axis=0), np.min(m, axis=1)],
        "np_M_argmin": [np.argmin(m), np.argmin(m, axis=0), np.argmin(m, axis=1)],
        "torch_v": tv, "torch_min": torch.min(tv), "torch_max": torch.max(tv), "torch_argmin": torch.argmin(tv),
        "torch_argmax": torch.argmax(tv),
        "torch_M": tm, "torch_M_min": torch.min(tm), "torch_M_min_by_column": torch.min(tm, axis=0),
    }


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """numpy's extremes and indices (numbers; [n_cols] and [n_rows] per column and per row), and whether
    PyTorch's agree (docs/spec/math-section.md#numpy-and-pytorch-side-by-side)."""
    c = course_objects(params.to_dict())
    by_column = c["torch_M_min_by_column"]
    pairs = [(c["np_min"], c["torch_min"]), (c["np_max"], c["torch_max"]), (c["np_argmin"], c["torch_argmin"]),
             (c["np_argmax"], c["torch_argmax"]), (c["np_M_min"][0], c["torch_M_min"]),
             (c["np_M_min"][1], by_column.values), (c["np_M_argmin"][1], by_column.indices)]
    return {
        "min_value": c["np_min"].item(),
        "max_value": c["np_max"].item(),
        "argmin": int(c["np_argmin"]),
        "argmax": int(c["np_argmax"]),
        "matrix_min": c["np_M_min"][0].item(),
        "matrix_min_by_column": c["np_M_min"][1],
        "matrix_min_by_row": c["np_M_min"][2],
        "matrix_argmin": int(c["np_M_argmin"][0]),
        "matrix_argmin_by_column": c["np_M_argmin"][1],
        "matrix_argmin_by_row": c["np_M_argmin"][2],
        "torch_matches_numpy": all(matches(a, widen(b)) for a, b in pairs),
    }


def figures(result: Result) -> dict[str, Figure]:
    """None: the lecture only prints."""
    return {}


def vector_lines(v: Any, minval: Any, maxval: Any, minidx: Any, maxidx: Any) -> list[str]:
    """The course's three vector lines and its one-space line, formatted from either library's objects (the
    course's ``'%g' % value``, written as ``f'{value:g}'``: the same text)."""
    return [f"Min,max: {minval:g},{maxval:g}", f"Min,max indices: {minidx:g},{maxidx:g}", " ",
            f"Min val is {v[minidx]}, max val is {v[maxidx]}"]


def printed(result: Result) -> list[str]:
    """The notebook's prints: numpy's vector and matrix cells, then PyTorch's (without the ``.count`` cell)."""
    c = course_objects(result.params)
    by_column = c["torch_M_min_by_column"]
    return [
        *vector_lines(*(c[f"np_{name}"] for name in ("v", "min", "max", "argmin", "argmax"))),
        *lines(c["np_M"]), " ", *(line for value in c["np_M_min"] for line in lines(value)),
        *lines(c["np_M"]), " ", *(line for value in c["np_M_argmin"] for line in lines(value)),
        *vector_lines(*(c[f"torch_{name}"] for name in ("v", "min", "max", "argmin", "argmax"))),
        *lines(c["torch_M"]), " ", *lines(c["torch_M_min"]), " ", *lines(by_column), " ",
        *lines(by_column.values), *lines(by_column.indices),
    ]
