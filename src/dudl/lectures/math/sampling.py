"""math.sampling: sampling variability (math/DUDL_math_sampling).

The mean of one small random sample of a population can land far from the population mean; the means of many
samples (the course's ``nExpers`` = 10000, here ``reps``) pile up around it, with the spread σ/√n that theory
predicts for samples drawn with replacement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.core import seeding
from dudl.lectures.figures import figure
from dudl.lectures.math.common import Vector
from dudl.params import ParamError, param, reps_param, seed_param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
1.625
(then the demonstration sample's mean, random: a multiple of 0.2 between -9 and 10, mean 1.625, sd 2.13)
"""

NOTES = ("The histogram is a density (density=True), yet the course labels its y axis 'Count', and its line at "
         "the population mean always runs from 0 to .3; dudl draws the figure as the course does.")

MAX_SIZE = 100_000  # population size, sample sizes
MAX_ABS = 1e100  # |numbers| of the population: their sums and squares stay finite


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "One small sample's mean can be far from the population's mean, but the means of many samples pile up around "
    "it. Look at the histogram: centred on the population mean, with a spread (the standard error) that shrinks "
    "as samples grow."
)
CAPTIONS = {
    "sample_means": "the means of many samples pile up around the population mean (the vertical line)",
}
REPORT_REPS = 10000


@dataclass(frozen=True)
class Params(BaseParams):
    x: Vector = param((1, 2, 4, 6, 5, 4, 0, -4, 5, -2, 6, 10, -9, 1, 3, -6), "the population", ge=-MAX_ABS, le=MAX_ABS)
    demo_sample_size: int = param(5, "size of the single demonstration sample", ge=1, le=MAX_SIZE)
    sample_size: int = param(15, "size of each sample of the experiment", ge=1, le=MAX_SIZE)
    replace: bool = param(True, "draw with replacement (the course); without, both sizes must be <= len(x)")
    bins: int = param(40, "histogram bins", ge=1, le=10_000)
    seed: int = seed_param()
    reps: int = reps_param(10000)

    def check(self) -> None:
        if len(self.x) > MAX_SIZE:
            raise ParamError(f"parameter 'x' must have at most {MAX_SIZE} numbers, got {len(self.x)}")
        for name in ("demo_sample_size", "sample_size"):
            size = getattr(self, name)
            if not self.replace and size > len(self.x):
                raise ParamError(f"{name} ({size}) must be <= len(x) ({len(self.x)}) when replace is false: "
                                 "a sample without replacement cannot be larger than the population")


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The population's mean and sd, one demonstration sample [demo_sample_size] (stream 2) and one sample mean
    per repetition [reps] (each repetition's data stream)."""
    x = np.array(params.x)
    demo_rng = seeding.numpy_rng(seeding.key(params.seed, seeding.DEMO, 0))
    demo_sample = demo_rng.choice(x, size=params.demo_sample_size, replace=params.replace)
    samples = np.array([
        seeding.numpy_rng(seeding.key(params.seed, seeding.DATA, rep)).choice(x, size=params.sample_size,
                                                                              replace=params.replace)
        for rep in range(params.reps)
    ])
    population_sd, sample_means = np.std(x), np.mean(samples, axis=1)
    return {
        "population_mean": float(np.mean(x)),
        "population_sd": float(population_sd),
        "standard_error": float(population_sd / np.sqrt(params.sample_size)),
        "demo_sample": demo_sample,
        "demo_sample_mean": float(np.mean(demo_sample)),
        "sample_means": sample_means,
        "mean_of_sample_means": float(np.mean(sample_means)),
        "sd_of_sample_means": float(np.std(sample_means)),
    }


def figures(result: Result) -> dict[str, Figure]:
    """``sample_means``: the density histogram of the sample means and the line 'm--' at the population mean
    from y = 0 to .3, labelled as the course labels it."""
    population_mean = result.metrics["population_mean"]
    fig, ax = figure()
    ax.hist(result.metric("sample_means"), bins=result.params["bins"], density=True)
    ax.plot([population_mean, population_mean], [0, 0.3], "m--")
    ax.set_ylabel("Count")
    ax.set_xlabel("Sample mean")
    return {"sample_means": fig}


def printed(result: Result) -> list[str]:
    """The population mean, the demonstration sample's mean, then the sample means against the theory."""
    m = result.metrics
    return [str(m["population_mean"]), str(m["demo_sample_mean"]),
            f"Mean of {len(m['sample_means'])} sample means: {m['mean_of_sample_means']:.4f} "
            f"(sd {m['sd_of_sample_means']:.4f}, expected {m['standard_error']:.4f})"]
