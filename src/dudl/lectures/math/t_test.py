"""math.t-test: an independent-samples t-test of two random groups (math/DUDL_math_ttest).

Two groups drawn with different population means, ``scipy.stats.ttest_ind`` (Student's test with a pooled
variance by default, Welch's with ``equal_var=false``), and the usual picture: the groups side by side with t
and p in the title. Over many repetitions, the fraction with p < .05 is the test's power (or, with equal means,
its false-positive rate, near .05).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from dudl.core import seeding
from dudl.lectures.figures import figure
from dudl.lectures.repetition_figures import Spread, with_repetitions
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
(no stored output; the numbers are random) t, then p. At the defaults t is noncentral t with 68 df and
noncentrality -4.14, and p < .05 in about 98% of runs.
"""

ALPHA = 0.05  # the significance level of the summary line ("p < .05")
MAX_GROUP = 1_000_000  # samples per group
MAX_ABS = 1e100  # |means| and sds: the data, their sums and squares stay finite


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "A t-test asks whether two groups' means differ by more than chance would explain. With means 1 apart and 30 "
    "and 40 values, t is large and p tiny; look at the two groups' points and at how often a repetition finds the"
    " difference."
)
CAPTIONS = {
    "data": "the two groups' values: they overlap, but the second sits higher",
    "t_test": "the two groups side by side with t and p: a large t and a small p mean a clear difference",
    "t_spread": "t over the repetitions: far from 0 in almost every one",
}
REPORT_REPS = 200


@dataclass(frozen=True)
class Params(BaseParams):
    n1: int = param(30, "size of group 1", ge=2, le=MAX_GROUP)
    n2: int = param(40, "size of group 2", ge=2, le=MAX_GROUP)
    mu1: float = param(1.0, "population mean of group 1", ge=-MAX_ABS, le=MAX_ABS)
    mu2: float = param(2.0, "population mean of group 2", ge=-MAX_ABS, le=MAX_ABS)
    sd1: float = param(1.0, "population sd of group 1 (the course adds randn: sd 1)", gt=0, le=MAX_ABS)
    sd2: float = param(1.0, "population sd of group 2", gt=0, le=MAX_ABS)
    equal_var: bool = param(True, "Student's t-test with a pooled variance (scipy's default); false = Welch's test")
    jitter_divisor: float = param(15.0, "the second figure's horizontal jitter is standard_normal/jitter_divisor",
                                  gt=0)
    seed: int = seed_param()
    reps: int = reps_param(1)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Each repetition (its data stream, in the course's order): data1 [n1], data2 [n2], then the jitters;
    t, p and df per repetition [reps]."""
    rngs = [seeding.numpy_rng(seeding.key(params.seed, seeding.DATA, rep)) for rep in range(params.reps)]
    # nearly identical data (a tiny sd) lose scipy's precision, and a tiny jitter_divisor overflows the jitter:
    # the infinities and NaNs that come out are data, and scipy's and numpy's RuntimeWarnings are not shown
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        draws = [(params.mu1 + params.sd1 * rng.standard_normal(params.n1),
                  params.mu2 + params.sd2 * rng.standard_normal(params.n2),
                  rng.standard_normal(params.n1) / params.jitter_divisor,
                  rng.standard_normal(params.n2) / params.jitter_divisor) for rng in rngs]
        data1, data2, jitter1, jitter2 = (np.array(part) for part in zip(*draws, strict=True))
        test = stats.ttest_ind(data1, data2, axis=1, equal_var=params.equal_var)
    return {"data1": data1, "data2": data2, "t": test.statistic, "p": test.pvalue, "df": test.df,
            "jitter1": jitter1, "jitter2": jitter2}


def groups(ax: Axes, x1: np.ndarray, x2: np.ndarray, data1: np.ndarray, data2: np.ndarray) -> None:
    """The course's plot of the two groups: red circles and blue squares with white faces at x1 and x2."""
    ax.plot(x1, data1, "ro", markerfacecolor="w", markersize=14)
    ax.plot(x2, data2, "bs", markerfacecolor="w", markersize=14)
    ax.set_xlim([-1, 2])
    ax.set_xticks([0, 1], labels=["Group 1", "Group 2"])


@with_repetitions(single=("data", "t_test"), spreads={"t_spread": Spread("t", "t value")})
def figures(result: Result) -> dict[str, Figure]:
    """``data``: the groups at x = 0 and 1; ``t_test``: jittered, 10x4, font size 12, t and p in the title
    (repetition 0)."""
    m = result.metrics
    data1, data2 = result.metric("data1")[0], result.metric("data2")[0]
    data_fig, ax = figure()
    groups(ax, np.zeros(data1.size), np.ones(data2.size), data1, data2)
    t_fig, ax = figure(width=10, height=4)
    groups(ax, 0 + result.metric("jitter1")[0], 1 + result.metric("jitter2")[0], data1, data2)
    ax.set_title(f"t = {m['t'][0]:.2f}, p={m['p'][0]:.3f}", fontsize=12)
    ax.tick_params(labelsize=12)  # the course's rcParams font size 12, for this figure only
    return {"data": data_fig, "t_test": t_fig}


def printed(result: Result) -> list[str]:
    """t, then p (repetition 0); for reps > 1, the median t and how often p < .05."""
    t, p = result.metric("t"), result.metric("p")
    lines = [str(t[0]), str(p[0])]
    if t.size > 1:
        lines.append(f"Median t over {t.size} repetitions: {np.median(t):.2f}; "
                     f"p < .05 in {int(np.sum(p < ALPHA))} of {t.size}")
    return lines
