"""math.matrix-multiplication: when a matrix product is defined (math/DUDL_math_matrixMult).

X@Y needs as many columns in X as rows in Y and has the outer sizes. The course tries products of random
matrices in numpy, then in PyTorch, where a float32 tensor times a float64 numpy array comes back as a float64
tensor computed by numpy. Stochastic: repetition r draws its matrices from stream 0, index (r,): numpy's from
the numpy generator (A, B, C, then C1), PyTorch's from the torch generator of the same key (A, then B).
"""

from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import seeding
from dudl.lectures.math.common import lines, widen
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
(no stored output; the numbers are random) np.round(A@B, 2), a 3×5 array; a one-space line;
np.round(C.T@A, 2), a 7×4 array; then np.round(A@C1, 2), a 3×7 tensor ending in dtype=torch.float64;
a one-space line; np.round(A@C2, 2), a 3×7 float32 tensor with the same rounded values.
"""

NOTES = ("A@C and B@C (numpy) and A@B.T (PyTorch) are undefined at the course's sizes: the inner sizes differ. "
         "A@C1 multiplies a float32 tensor by a float64 numpy array: numpy computes it and returns a float64 "
         "tensor; A@C2 uses the float32 copy, so the two differ by float32 rounding only (mixed_max_abs_diff).")

NUMPY_PRODUCTS = ("A@B", "A@C", "B@C", "C.T@A")
TORCH_PRODUCTS = ("A@B", "A@B.T", "A@C1", "A@C2")
SIZE = {"ge": 1, "le": 1000}  # each matrix side: at most a million entries per matrix


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Two matrices can be multiplied only when the inner sizes match (columns of the first = rows of the second); "
    "the product has the outer sizes. Look at which products fail, and at the tiny difference when a float32 "
    "tensor meets a float64 array."
)
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    shape_a: tuple[int, int] = param((3, 4), "size of A (numpy and PyTorch parts)", **SIZE)
    shape_b: tuple[int, int] = param((4, 5), "size of B (numpy and PyTorch parts)", **SIZE)
    shape_c: tuple[int, int] = param((3, 7), "size of C (numpy part)", **SIZE)
    shape_c1: tuple[int, int] = param((4, 7), "size of C1, the numpy matrix of the PyTorch part (C2 is its float32 "
                                      "copy)", **SIZE)
    decimals: int = param(2, "rounding of the printed products", ge=0, le=15)
    seed: int = seed_param()
    reps: int = reps_param()


def attempt(x: Any, y: Any) -> tuple[Any, str | None]:
    """``x @ y`` as the course writes it, or None and the library's message where the product is undefined.

    A tensor @ float64 array is computed by numpy and wrapped as a tensor; numpy >= 2 warns that torch's
    ``__array_wrap__`` has an old signature, which says nothing about the product, so it is silenced.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return operator.matmul(x, y), None
    except (ValueError, RuntimeError) as error:
        return None, str(error)


def course_round(value: Any, decimals: int) -> Any:
    """The course's ``np.round(value, decimals)``; a tensor stays a tensor of its dtype (warning silenced as in
    :func:`attempt`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.round(value, decimals)


def repetition(params: Params, rep: int) -> dict[str, Any]:
    """One repetition's matrices and the eight products (None where undefined), with rep's errors."""
    key = seeding.key(params.seed, seeding.DATA, rep)
    rng, generator = seeding.numpy_rng(key), seeding.torch_generator(key)
    a, b, c = (rng.standard_normal(shape) for shape in (params.shape_a, params.shape_b, params.shape_c))
    torch_a, torch_b = (torch.randn(shape, generator=generator) for shape in (params.shape_a, params.shape_b))
    c1 = rng.standard_normal(params.shape_c1)
    c2 = torch.tensor(c1, dtype=torch.float32)
    operands = [(a, b), (a, c), (b, c), (c.T, a), (torch_a, torch_b), (torch_a, torch_b.T), (torch_a, c1),
                (torch_a, c2)]
    products, errors = zip(*(attempt(x, y) for x, y in operands), strict=True)
    return {"a": a, "b": b, "c": c, "torch_a": torch_a, "torch_b": torch_b, "c1": c1, "products": products,
            "errors": errors}


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The matrices [reps, *shape], each product's shape (and PyTorch's dtype), the defined products
    [reps, rows, cols] (null where undefined) and the float32 rounding between A@C1 and A@C2 [reps]."""
    reps = [repetition(params, rep) for rep in range(params.reps)]
    first = reps[0]["products"]

    def stacked(index: int) -> np.ndarray | None:
        if first[index] is None:
            return None
        return np.stack([r["products"][index] if isinstance(r["products"][index], np.ndarray)
                         else widen(r["products"][index]) for r in reps])

    a_c1, a_c2 = stacked(6), stacked(7)
    return {
        "a": np.stack([r["a"] for r in reps]),
        "b": np.stack([r["b"] for r in reps]),
        "c": np.stack([r["c"] for r in reps]),
        "numpy_products": list(NUMPY_PRODUCTS),
        "numpy_product_shapes": [None if p is None else list(p.shape) for p in first[:4]],
        "ab": stacked(0),
        "ct_a": stacked(3),
        "torch_a": np.stack([widen(r["torch_a"]) for r in reps]),
        "torch_b": np.stack([widen(r["torch_b"]) for r in reps]),
        "c1": np.stack([r["c1"] for r in reps]),
        "torch_products": list(TORCH_PRODUCTS),
        "torch_product_shapes": [None if p is None else list(p.shape) for p in first[4:]],
        "torch_product_dtypes": [None if p is None else str(p.dtype) for p in first[4:]],
        "a_c1": a_c1,
        "a_c2": a_c2,
        "mixed_max_abs_diff": None if a_c1 is None else np.abs(a_c1 - a_c2).max(axis=(1, 2)),
        "product_errors": list(reps[0]["errors"]),
    }


def figures(result: Result) -> dict[str, Figure]:
    return {}


def printed(result: Result) -> list[str]:
    p, m = result.params, result.metrics
    decimals = p["decimals"]
    shapes = {"A": p["shape_a"], "B": p["shape_b"], "C.T": p["shape_c"][::-1], "C1": p["shape_c1"],
              "C2": p["shape_c1"]}

    def product_lines(name: str, value: Any) -> list[str]:
        if value is None:
            x, y = name.split("@")
            return [f"{name}: undefined for shapes {tuple(shapes[x])} and {tuple(shapes[y])}"]
        return lines(course_round(value, decimals))

    def first_rep(name: str, dtype: torch.dtype | None = None) -> Any:
        """Repetition 0 of a product metric as the array (or tensor of ``dtype``) the course rounds; None if
        the product is undefined."""
        if m[name] is None:
            return None
        value = np.asarray(m[name])[0]
        return value if dtype is None else torch.tensor(value, dtype=dtype)

    out = [*product_lines("A@B", first_rep("ab")), " ", *product_lines("C.T@A", first_rep("ct_a")),
           *product_lines("A@C1", first_rep("a_c1", torch.float64)), " ",
           *product_lines("A@C2", first_rep("a_c2", torch.float32))]
    if p["reps"] > 1 and m["mixed_max_abs_diff"] is not None:
        out.append(f"Largest max abs(A@C1 - A@C2) over {p['reps']} repetitions: "
                   f"{np.max(m['mixed_max_abs_diff']):.3g}")
    return out
