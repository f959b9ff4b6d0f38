"""math.log: the logarithm on (0, 1] (math/DUDL_math_log).

log(x) increases monotonically and stretches the small numbers apart, which is why losses work with log
probabilities; log and exp undo each other. Deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.lectures.figures import figure
from dudl.lectures.grids import check_grid
from dudl.lectures.math.common import check_log_base, log
from dudl.params import Params as BaseParams
from dudl.params import param

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = ""

NOTES = ("The course raises matplotlib's global font size to 15, which changes every later figure of the session; "
         "dudl sets font size 15 on these two figures only.")

FONT_SIZE = 15
GRID_POINTS = {"ge": 2, "le": 10**6}


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "The logarithm stretches the small numbers between 0 and 1 far apart (down to -9 for 0.0001) and squeezes the"
    " larger ones. log and exp undo each other, which the second figure shows as straight lines."
)
CAPTIONS = {
    "log": "the log curve: it plunges towards minus infinity as x approaches 0",
    "inverses": "log(exp(x)) and exp(log(x)) give back x: all three lines lie on top of each other",
}


@dataclass(frozen=True)
class Params(BaseParams):
    x_min: float = param(0.0001, "left end of both grids (log(0) is -inf, hence the small positive start)", gt=0)
    x_max: float = param(1.0, "right end of both grids (> x_min)")
    n_points: int = param(200, "grid points of the log curve", **GRID_POINTS)
    n_points_inverse: int = param(20, "the smaller grid of the inverse demonstration", **GRID_POINTS)
    log_base: float | None = param(None, "null = natural log (np.log, the course); otherwise log_b(x) = "
                                         "ln(x)/ln(b), whose inverse is b**x (> 0 and != 1)", gt=0)

    def check(self) -> None:
        check_grid(self.x_min, self.x_max)
        check_log_base(self.log_base)


def power(x: Any, base: float | None) -> Any:
    """The inverse of :func:`log`: exp(x), or base**x. Overflow gives inf, silently (data, not an error)."""
    with np.errstate(over="ignore"):
        return np.exp(x) if base is None else np.power(base, x)


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """log on the grid [n_points]; the two round trips on the smaller grid [n_points_inverse] and their error."""
    base = params.log_base
    x = np.linspace(params.x_min, params.x_max, params.n_points)
    log_x = log(x, base)
    x_inverse = np.linspace(params.x_min, params.x_max, params.n_points_inverse)
    exp_log_x, log_exp_x = power(log(x_inverse, base), base), log(power(x_inverse, base), base)
    return {
        "x": x,
        "log_x": log_x,
        "monotonic": bool(np.all(np.diff(log_x) > 0)),
        "x_inverse": x_inverse,
        "exp_log_x": exp_log_x,
        "log_exp_x": log_exp_x,
        "max_roundtrip_error": float(max(np.max(np.abs(exp_log_x - x_inverse)), np.max(np.abs(log_exp_x - x_inverse)))),
    }


def _font(ax: Axes) -> None:
    """The course's font size 15 on this figure's labels, ticks and legend only."""
    for text in (ax.xaxis.label, ax.yaxis.label):
        text.set_fontsize(FONT_SIZE)
    ax.tick_params(labelsize=FONT_SIZE)
    if ax.get_legend() is not None:
        for text in ax.get_legend().get_texts():
            text.set_fontsize(FONT_SIZE)


def figures(result: Result) -> dict[str, Figure]:
    base = result.params["log_base"]
    log_name, power_name = ("log", "exp") if base is None else (f"log_{base:g}", f"{base:g}**")
    x = result.metric("x")
    curve, ax = figure(width=10, height=4)
    ax.plot(x, result.metric("log_x"), "ks-", markerfacecolor="w")
    ax.set(xlabel="x", ylabel=f"{log_name}(x)")
    _font(ax)
    inverses, ax = figure()
    x_inverse = result.metric("x_inverse")
    ax.plot(x_inverse, x_inverse, color=[0.8, 0.8, 0.8])
    ax.plot(x_inverse, result.metric("exp_log_x"), "o", markersize=8)
    ax.plot(x_inverse, result.metric("log_exp_x"), "x", markersize=8)
    ax.set(xlabel="x", ylabel="f(g(x))")
    ax.legend(["unity", f"{power_name}({log_name}(x))", f"{log_name}({power_name}(x))"])
    _font(ax)
    return {"log": curve, "inverses": inverses}


def printed(result: Result) -> list[str]:
    return []
