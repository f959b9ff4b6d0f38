r"""math.softmax: softmax by hand and with ``nn.Softmax`` (math/DUDL_math_softmax).

σ = exp(z) / Σ exp(z): positive, in the order of the inputs, summing to 1. First for the course's z = [1, 2, 3],
then for random integers, by hand (float64) and with PyTorch (float32); the two agree. Stochastic: repetition r
draws its integers from stream 0, index (r,).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import seeding
from dudl.lectures.figures import figure
from dudl.lectures.math.common import Vector, check_list, lines, widen
from dudl.lectures.repetition_figures import with_repetitions
from dudl.lectures.summaries import correlation
from dudl.params import ParamError, param, reps_param, seed_param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
[0.09003057 0.24472847 0.66524096]
1.0
[ 2 13  9 13 10 10  4 -2  9 -2 14  0  8  3  7  1  4  3 -5  5 -3  2 14 -5
  8]
tensor([4.1809e-03, 1.8981e-07, 6.9828e-08, 1.4025e-06, 2.2827e-01, 5.1596e-07,
        2.5688e-08, 1.8981e-07, 6.9828e-08, 8.3976e-02, 3.0893e-02, 5.1596e-07,
        1.0363e-05, 6.2050e-01, 1.4025e-06, 1.4025e-06, 1.4025e-06, 2.0816e-04,
        6.9828e-08, 2.0816e-04, 5.6582e-04, 3.0893e-02, 1.4025e-06, 2.0816e-04,
        7.6576e-05])
"""

NOTES = ("log_scale: the course's code puts the first figure's y axis on a log scale; its published figure, older "
         "than the code, is linear (log_scale=false). The by-hand formula does not subtract the maximum, as in the "
         "course: an input above about 709 overflows to NaN, while PyTorch's softmax stays finite. The published z "
         "and tensor come from different executions of the random cell; the outputs of one dudl run belong "
         "together.")

INTEGER = {"ge": -10**9, "le": 10**9}


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Softmax turns any list of numbers into probabilities: all positive, in the same order as the inputs, and "
    "adding up to 1. Look at how it exaggerates the largest input, and at PyTorch giving the same numbers as the "
    "formula."
)
CAPTIONS = {
    "random_softmax": "each random number against its softmax: larger inputs get exponentially more probability",
    "methods": "the formula and nn.Softmax give the same values: the points lie on the diagonal",
}
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    z: Vector = param((1, 2, 3), "the numbers of the first, by-hand demonstration (1-D)")
    n_random: int = param(25, "how many random integers in the second part", ge=1, le=10**6)
    random_low: int = param(-5, "smallest random integer", **INTEGER)
    random_high: int = param(15, "upper bound of the random integers, excluded (> random_low)", **INTEGER)
    log_scale: bool = param(True, "quirk: the first figure's y axis is logarithmic, as in the code (the published "
                                  "figure was linear)")
    seed: int = seed_param()
    reps: int = reps_param()

    def check(self) -> None:
        check_list("z", self.z)
        if self.random_high <= self.random_low:
            raise ParamError(f"random_high must be greater than random_low, got {self.random_low} and "
                             f"{self.random_high}")


def softmax(z: Any) -> np.ndarray:
    """The course's softmax by hand, exp(z) / Σ exp(z), in float64 along the last axis; no maximum is subtracted,
    so exp overflows above about 709 and the result is NaN, silently (data, not an error)."""
    with np.errstate(over="ignore", invalid="ignore"):
        exp_z = np.exp(np.asarray(z, dtype=np.float64))
        return exp_z / np.sum(exp_z, axis=-1, keepdims=True)


def repetition(params: Params, rep: int) -> tuple[np.ndarray, np.ndarray]:
    """Repetition ``rep``'s random integers [n_random] and nn.Softmax's output for them [n_random] (float32)."""
    rng = seeding.numpy_rng(seeding.key(params.seed, seeding.DATA, rep))
    random_z = rng.integers(params.random_low, params.random_high, size=params.n_random)
    return random_z, widen(torch.nn.Softmax(dim=0)(torch.Tensor(random_z)))


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """σ of z [len(z)]; per repetition the random integers, both softmaxes [reps, n_random] and how they agree
    [reps]."""
    sigma = softmax(params.z)
    random_z, torch_sigma = (np.stack(values) for values in zip(*(repetition(params, rep)
                                                                  for rep in range(params.reps)), strict=True))
    random_sigma = softmax(random_z)
    return {
        "sigma": sigma,
        "sigma_sum": float(np.sum(sigma)),
        "random_z": random_z,
        "random_sigma": random_sigma,
        "random_sigma_sum": np.sum(random_sigma, axis=1),
        "torch_sigma": torch_sigma,
        "correlation": np.array([correlation(x, y) for x, y in zip(random_sigma, torch_sigma, strict=True)]),
        "max_abs_difference": np.abs(random_sigma - torch_sigma).max(axis=1),
    }


@with_repetitions(single=("random_softmax", "methods"))
def figures(result: Result) -> dict[str, Figure]:
    p, m = result.params, result.metrics
    random_z, random_sigma = np.asarray(m["random_z"])[0], result.metric("random_sigma")[0]
    by_hand, ax = figure()
    ax.plot(random_z, random_sigma, "ko")
    ax.set(xlabel="Original number (z)", ylabel=r"Softmaxified $\sigma$",
           title=rf"$\sum\sigma$ = {result.metric('random_sigma_sum')[0]:g}")
    if p["log_scale"]:
        ax.set_yscale("log")
    methods, ax = figure()
    ax.plot(random_sigma, result.metric("torch_sigma")[0], "ko")
    ax.set(xlabel='"Manual" softmax', ylabel="Pytorch nn.Softmax",
           title=f"The two methods correlate at r={result.metric('correlation')[0]}")
    return {"random_softmax": by_hand, "methods": methods}


def printed(result: Result) -> list[str]:
    p, m = result.params, result.metrics
    out = [*lines(result.metric("sigma")), str(np.float64(result.metric("sigma_sum"))),
           *lines(np.asarray(m["random_z"])[0]),
           *lines(torch.tensor(result.metric("torch_sigma")[0], dtype=torch.float32))]
    if p["reps"] > 1:
        out.append(f"Over {p['reps']} repetitions: smallest correlation {np.min(result.metric('correlation'))}, "
                   f"largest max abs difference {np.max(result.metric('max_abs_difference')):.3g}")
    return out
