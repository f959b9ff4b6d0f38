"""math.random-seed: unseeded numbers change, seeded ones repeat (math/DUDL_math_randomseed).

The course seeds numpy's global generator (``np.random.seed(17)``), makes two seeded generator objects
(``np.random.RandomState``) and seeds PyTorch (``torch.manual_seed(17)``), which does not touch numpy. The
course's seeds are the subject here, so its seeded numbers are reproduced exactly; numpy's global generator
is simulated by a private ``RandomState`` and PyTorch's by a private ``torch.Generator``, so neither library's
real global state is touched. The draws the course makes without a seed come from the seeding streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from dudl.core import seeding
from dudl.params import ParamError, param, reps_param, seed_param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
[ 0.27626589 -1.85462808  0.62390111  1.14531129  1.03719047]
[-0.24972681 -1.01951826  2.23461339  0.72764703  1.2921122 ]
[ 1.88663893 -0.11169829 -0.36210134  0.14867505 -0.43778315]
[ 1.15494929 -0.0015467  -0.11196868 -1.08136725  0.10265891]
[ 0.85266105 -0.59833972  3.29199531  0.15720173 -1.3930384 ]
"""

NOTES = ("The published run never executed the np.random.seed(17) cell, so its fifth line came from an "
         "unseeded generator; seed_global=false reproduces that run, the default runs the notebook top to bottom. "
         "RandomState, which the course presents as the newer way, is numpy's legacy generator; "
         "local_generator=\"default_rng\" uses the recommended one (other numbers).")

# numpy's seeds are below 2**32; torch.manual_seed takes seeds below 2**64, but every integer parameter is an
# int64 (dudl.params), so torch_seed stays below 2**63
NUMPY_SEED_LIMIT = 2**32


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Random numbers change every time unless you set a seed; after the same seed, the same numbers come back. "
    "Look at the seeded draws repeating exactly, in numpy's global generator, in a local generator and in "
    "PyTorch."
)
REPORT_REPS = 20


@dataclass(frozen=True)
class Params(BaseParams):
    numpy_seed: int = param(17, "seed of the global generator (np.random.seed) and of the first local generator; "
                                "< 2**32", ge=0)
    second_numpy_seed: int = param(20210530, "seed of the second local generator; < 2**32", ge=0)
    torch_seed: int = param(17, "seed given to PyTorch (torch.manual_seed); < 2**63", ge=0)
    n_numbers: int = param(5, "standard normal numbers per draw", ge=1, le=1_000_000)
    seed_global: bool = param(True, "quirk: seed the global generator before the local generators (the published "
                                    "run did not: false)")
    local_generator: Literal["RandomState", "default_rng"] = param(
        "RandomState", "quirk: class of the two local generators (the course's legacy RandomState, or default_rng)")
    seed: int = seed_param()
    reps: int = reps_param(1)

    def check(self) -> None:
        for name in ("numpy_seed", "second_numpy_seed"):
            value = getattr(self, name)
            if value >= NUMPY_SEED_LIMIT:
                raise ParamError(f"parameter {name!r} must be below 2**32, got {value}")


def course_global_draws(course_global: np.random.RandomState | None, rngs: list[np.random.Generator],
                        n: int) -> np.ndarray:
    """One draw of the course's global generator in every repetition, [reps, n]: the seeded generator's next
    draw (the same in every repetition), or, when the course never seeded it, each repetition's own stream."""
    if course_global is None:
        return np.array([rng.standard_normal(n) for rng in rngs])
    return np.repeat(course_global.randn(n)[np.newaxis], len(rngs), axis=0)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The course's draws in its order; [reps, n_numbers] for the unseeded ones, [k, n_numbers] for the seeded."""
    n = params.n_numbers
    keys = [seeding.key(params.seed, seeding.DATA, rep) for rep in range(params.reps)]
    rngs = [seeding.numpy_rng(key) for key in keys]
    unseeded_numpy = np.array([rng.standard_normal(n) for rng in rngs])
    course_global = np.random.RandomState(params.numpy_seed) if params.seed_global else None
    global_draws = np.array([course_global.randn(n) for _ in range(2)]) if course_global is not None else None
    if params.local_generator == "RandomState":
        first, second = np.random.RandomState(params.numpy_seed), np.random.RandomState(params.second_numpy_seed)
        local_draws = np.array([generator.randn(n) for generator in (first, second, first, second)])
    else:
        first, second = np.random.default_rng(params.numpy_seed), np.random.default_rng(params.second_numpy_seed)
        local_draws = np.array([generator.standard_normal(n) for generator in (first, second, first, second)])
    global_next = course_global_draws(course_global, rngs, n)
    unseeded_torch = torch.stack([torch.randn(n, generator=seeding.torch_generator(key)) for key in keys])
    torch_draws = torch.randn(n, generator=torch.Generator().manual_seed(params.torch_seed))
    numpy_after_torch_seed = course_global_draws(course_global, rngs, n)
    return {
        "unseeded_numpy": unseeded_numpy,
        "global_draws": global_draws,
        "local_draws": local_draws,
        "local_repeats_global": None if global_draws is None else bool(np.array_equal(local_draws[[0, 2]],
                                                                                      global_draws)),
        "global_next": global_next,
        "unseeded_torch": unseeded_torch.numpy().astype(np.float64),
        "torch_draws": torch_draws.numpy().astype(np.float64),
        "numpy_after_torch_seed": numpy_after_torch_seed,
    }


def figures(result: Result) -> dict[str, Figure]:
    """None: the lecture only prints."""
    return {}


def printed(result: Result) -> list[str]:
    """Repetition 0's draws as the notebook shows them (bare expressions as their repr), then, for reps > 1,
    how many of the unseeded draws differ."""
    m = result.metrics

    def tensor(values: Any) -> str:
        return repr(torch.tensor(np.asarray(values, dtype=np.float32)))

    unseeded_numpy, unseeded_torch = np.asarray(m["unseeded_numpy"]), np.asarray(m["unseeded_torch"])
    seeded = [] if m["global_draws"] is None else list(np.asarray(m["global_draws"]))
    lines = [repr(unseeded_numpy[0]),
             *(str(draw) for draw in [*seeded, *np.asarray(m["local_draws"]), np.asarray(m["global_next"])[0]]),
             tensor(unseeded_torch[0]), tensor(m["torch_draws"]), str(np.asarray(m["numpy_after_torch_seed"])[0])]
    reps = len(unseeded_numpy)
    if reps > 1:
        distinct = [len(np.unique(draws, axis=0)) for draws in (unseeded_numpy, unseeded_torch)]
        lines.append(f"Unseeded draws over {reps} repetitions: {distinct[0]} different numpy draws and "
                     f"{distinct[1]} different torch draws; the seeded draws are the same in every repetition")
    return lines
