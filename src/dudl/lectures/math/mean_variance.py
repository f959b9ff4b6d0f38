"""math.mean-variance: mean and variance with numpy and by formula (math/DUDL_math_meanvar).

``np.var`` divides by n (ddof 0) unless told ``ddof=1``, while the formula (1/(n−1))·Σ(x − mean)² divides by
n − 1, so the two disagree for the course's seven numbers; for a large random sample (N = 10⁴) the difference,
a factor N/(N−1), hardly matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core import seeding
from dudl.lectures.math.common import Vector
from dudl.lectures.summaries import summary_line
from dudl.params import ParamError, param, reps_param, seed_param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
3.142857142857143
3.142857142857143
4.122448979591836
4.809523809523809
4.809523809523809
4.809523809523809
(then two random values near 33.25, the variance of the integers 0..19; the second is 10000/9999 times the first)
"""

NOTES = ("The course reuses one variable name for the ddof-0 variance of its seven numbers and the ddof-1 "
         "variance of the large sample; the metric names say which is which.")

MAX_N = 10_000_000  # numbers of the large sample
MAX_INT = 10**15  # |bounds| of the large sample's integers
MAX_ABS = 1e100  # |numbers| of x: their sums and squares stay finite


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The mean is the average; the variance is the average squared distance from it. numpy's var divides by n "
    "unless you ask for ddof=1 (divide by n - 1); for a large sample the two hardly differ."
)
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    x: Vector = param((1, 2, 4, 6, 5, 4, 0), "the numbers (at least 2)", ge=-MAX_ABS, le=MAX_ABS)
    n_large: int = param(10000, "N of the large-sample check", ge=2, le=MAX_N)
    large_low: int = param(0, "smallest random integer", ge=-MAX_INT, le=MAX_INT)
    large_high: int = param(20, "upper bound of the random integers, excluded (the course's randint(0, high=20))",
                            ge=-MAX_INT, le=MAX_INT)
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        if len(self.x) < 2:
            raise ParamError(f"parameter 'x' must hold at least 2 numbers (the formula divides by n - 1), "
                             f"got {list(self.x)}")
        if self.large_high <= self.large_low:
            raise ParamError(f"large_high must be greater than large_low, got {self.large_high} and "
                             f"{self.large_low}")


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The mean two ways, the variance three ways (floats); the large sample's two variances [reps]."""
    x = np.array(params.x)
    n = len(x)
    mean = np.mean(x)
    var_manual = (1 / (n - 1)) * np.sum((x - mean) ** 2)  # the course's formula, term for term
    large = np.array([
        seeding.numpy_rng(seeding.key(params.seed, seeding.DATA, rep)).integers(params.large_low, params.large_high,
                                                                                size=params.n_large)
        for rep in range(params.reps)
    ])
    large_var_ddof0, large_var_ddof1 = np.var(large, axis=1, ddof=0), np.var(large, axis=1, ddof=1)
    with np.errstate(invalid="ignore"):  # one possible integer: both variances 0, the ratio NaN (data)
        large_ratio = large_var_ddof1 / large_var_ddof0
    return {
        "mean": float(mean),
        "mean_manual": float(np.sum(x) / n),
        "var_ddof0": float(np.var(x)),
        "var_manual": float(var_manual),
        "var_ddof1": float(np.var(x, ddof=1)),
        "large_var_ddof0": large_var_ddof0,
        "large_var_ddof1": large_var_ddof1,
        "large_ratio": large_ratio,
    }


def figures(result: Result) -> dict[str, Figure]:
    """None: the lecture only prints."""
    return {}


def printed(result: Result) -> list[str]:
    """The course's six deterministic lines and repetition 0's two variances; for reps > 1, their spread."""
    m = result.metrics
    large0, large1 = result.metric("large_var_ddof0"), result.metric("large_var_ddof1")
    lines = [str(m[name]) for name in ("mean", "mean_manual", "var_ddof0", "var_manual", "var_ddof1", "var_manual")]
    lines += [str(large0[0]), str(large1[0])]
    if large0.size > 1:
        lines.append(summary_line("Large-sample variance (ddof 0)", large0))
    return lines
