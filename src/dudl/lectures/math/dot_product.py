"""math.dot-product: the dot product four ways (math/DUDL_math_dotproduct).

``np.dot``, numpy's sum of the elementwise product, ``torch.dot`` and PyTorch's sum of the elementwise product
all give the same number. Deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.lectures.math.common import Vector, check_list, matches
from dudl.params import ParamError, param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
-2
-2
tensor(-2)
tensor(-2)
"""

RESULTS = ("numpy_dot", "numpy_sum_of_products", "torch_dot", "torch_sum_of_products")


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The dot product multiplies two vectors element by element and adds up the products: one number. Four ways of"
    " computing it (numpy, a sum of products, PyTorch, a PyTorch sum) all give the same answer."
)


@dataclass(frozen=True)
class Params(BaseParams):
    v1: Vector = param((1, 2, 3, 4), "first vector (1-D numbers)")
    v2: Vector = param((0, 1, 0, -1), "second vector (1-D numbers, same length as v1)")

    def check(self) -> None:
        check_list("v1", self.v1)
        check_list("v2", self.v2)
        if len(self.v1) != len(self.v2):
            raise ParamError(f"v1 and v2 must have the same length, got {len(self.v1)} and {len(self.v2)}")


def torch_dtype(params: Params) -> torch.dtype:
    """``torch.dot`` needs one dtype: float32 for both tensors if either list holds a float, else int64."""
    return torch.float32 if any(isinstance(v, float) for v in params.v1 + params.v2) else torch.int64


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The four dot products (ints for int lists; PyTorch's float32 values widened) and whether they agree."""
    nv1, nv2 = np.array(params.v1), np.array(params.v2)
    dtype = torch_dtype(params)
    tv1, tv2 = torch.tensor(params.v1, dtype=dtype), torch.tensor(params.v2, dtype=dtype)
    values = [np.dot(nv1, nv2).item(), np.sum(nv1 * nv2).item(), torch.dot(tv1, tv2).item(),
              torch.sum(tv1 * tv2).item()]
    return {**dict(zip(RESULTS, values, strict=True)), "all_equal": all(matches(values[0], v) for v in values)}


def figures(result: Result) -> dict[str, Figure]:
    return {}


def printed(result: Result) -> list[str]:
    numpy_values = [str(result.metrics[name]) for name in RESULTS[:2]]
    tensors = [torch.tensor(result.metrics[name], dtype=torch.float32 if isinstance(result.metrics[name], float)
                            else torch.int64) for name in RESULTS[2:]]
    return numpy_values + [repr(t) for t in tensors]
