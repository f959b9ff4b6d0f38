"""Helpers shared by the experiment files: parameter checks, summaries over repetitions and figure
scaffolding.

Figures are :class:`dudl.display.DisplayFigure` objects, matplotlib Figures without pyplot state: they render
headless, save to PNG and show themselves in Jupyter.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.params import ParamError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PLOT_LIMIT = 1e300  # the largest magnitude a figure draws: matplotlib's axis spans overflow near 1e308


def figure(ncols: int = 1, nrows: int = 1, width: float = 6.0, height: float = 4.5) -> tuple[Figure, Any]:
    """A new Figure with a grid of axes (``axes`` is one Axes when 1x1, else an array)."""
    from dudl.display import DisplayFigure

    fig = DisplayFigure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def linspace(low: float, high: float, n: int) -> np.ndarray:
    """``np.linspace(low, high, n)`` [n], also when ``high - low`` overflows (ends near +/-1.8e308, where numpy
    gives inf and NaN): each point is then ``low * (1 - t) + high * t``."""
    with np.errstate(over="ignore"):
        span = np.subtract(high, low, dtype=float)
    if np.isfinite(span):
        return np.linspace(low, high, n)
    t = np.linspace(0.0, 1.0, n)
    points = low * (1 - t) + high * t
    points[[0, -1]] = low, high
    return points


def plottable(values: Any) -> np.ndarray:
    """``values`` as a new float array with NaN (which matplotlib leaves out) wherever a value is not finite
    or beyond +/-:data:`PLOT_LIMIT`, so that a diverged run's figure draws what is finite."""
    array = np.array(values, dtype=float)
    with np.errstate(invalid="ignore"):
        array[~(np.abs(array) <= PLOT_LIMIT)] = np.nan
    return array


def set_limits(ax: Axes, axis: str, low: float, high: float) -> None:
    """``ax.set_xlim`` (``axis`` "x") or ``set_ylim`` ("y") to (low, high) when both are plottable and
    low < high; otherwise the axis keeps autoscaling to the finite data."""
    low, high = plottable([low, high])
    if low < high:
        (ax.set_xlim if axis == "x" else ax.set_ylim)(low, high)


def diverged_runs(result: Any, *names: str) -> np.ndarray:
    """Which runs of a Result diverged: bool [n_runs], the metrics ``names`` (one value per run, e.g. a final
    loss [reps] or an accuracy [reps, n_rates], NaN for a diverged model) flattened and joined, True where not
    finite. Names the Result lacks are skipped."""
    parts = [~np.isfinite(np.asarray(result.metric(name), dtype=float)).ravel() for name in names
             if name in result.metrics]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def divergence_text(n_diverged: int, n_runs: int, what: str = "models") -> str:
    """``"k of N <what> diverged (non-finite values, null in the JSON, are not drawn)"``."""
    return f"{n_diverged} of {n_runs} {what} diverged (non-finite values, null in the JSON, are not drawn)"


def note_divergence(figures: dict[str, Figure], runs_diverged: Any, what: str = "models") -> dict[str, Figure]:
    """Say on every figure (as its suptitle) how many runs diverged, when any did; ``runs_diverged`` is bool
    [any shape] (e.g. :func:`diverged_runs`), one per run. Returns ``figures``."""
    flags = np.asarray(runs_diverged, dtype=bool)
    if flags.any():
        text = divergence_text(int(flags.sum()), flags.size, what)
        for fig in figures.values():
            fig.suptitle(text, fontsize="small", color="firebrick")
    return figures


def note_divergence_of(runs: Sequence[str] | Callable[[Any], np.ndarray],
                       what: str = "models") -> Callable[[Callable], Callable]:
    """Decorate a lecture's ``figures(result)``: every figure it returns says how many runs diverged
    (:func:`note_divergence`). ``runs``: the metrics with one value per run (:func:`diverged_runs`), or a
    function of the Result that returns the diverged flags. numpy's RuntimeWarnings while drawing (the means
    and ranges of diverged runs' NaN, which are not drawn) are silenced."""

    def decorate(draw: Callable[[Any], dict[str, Figure]]) -> Callable[[Any], dict[str, Figure]]:
        @functools.wraps(draw)
        def figures(result: Any) -> dict[str, Figure]:
            flags = runs(result) if callable(runs) else diverged_runs(result, *runs)
            with warnings.catch_warnings():  # numpy's warnings about the NaN of diverged runs, left undrawn
                warnings.simplefilter("ignore", RuntimeWarning)
                drawn = draw(result)
            return note_divergence(drawn, flags, what)

        return figures

    return decorate


def divergence_lines(runs_diverged: Any, what: str = "models") -> list[str]:
    """The printed line that counts the diverged runs (bool [any shape], one per run), or no line if none did."""
    flags = np.asarray(runs_diverged, dtype=bool)
    return [f"Diverged: {divergence_text(int(flags.sum()), flags.size, what)}"] if flags.any() else []


def check_distinct(name: str, values: Sequence[Any], item: str) -> None:
    """Raise ParamError if the axis parameter ``name`` lists an ``item`` twice."""
    if len(set(values)) != len(values):
        raise ParamError(f"parameter {name!r} must not repeat a {item}, got {list(values)}")


def check_grid(x_min: float, x_max: float, names: tuple[str, str] = ("x_min", "x_max")) -> None:
    """Raise ParamError unless a grid's ends (parameters ``names``) have x_min < x_max (the parameter layer has
    already refused ends that are not finite)."""
    if not x_min < x_max:
        raise ParamError(f"{names[0]} must be less than {names[1]}, got {x_min:g} and {x_max:g}")


def tensor_text(value: float | None) -> str:
    """How the course's notebooks show a float32 scalar tensor, e.g. ``tensor(0.7600)``, ``tensor(50.)``
    (``tensor(nan)`` for a null: a diverged value loaded from JSON)."""
    import torch  # here, not at the top: the gd lectures use this module and need no torch

    return repr(torch.tensor(float(np.asarray(value, dtype=float)), dtype=torch.float32))


def tensor_lines(values: Any, **kwargs: Any) -> list[str]:
    """How ``print(torch.tensor(values))`` shows ``values``, as lines."""
    import torch  # here, not at the top: the gd lectures use this module and need no torch

    return str(torch.tensor(np.asarray(values), **kwargs)).splitlines()


def train_test_accuracy_figure(train: np.ndarray, test: np.ndarray) -> Figure:
    """The overfitting lectures' accuracy curves: train 'ro-' and test 'bs-' per epoch [epochs] each."""
    fig, ax = figure()
    ax.plot(np.asarray(train, dtype=float), "ro-", label="Train")
    ax.plot(np.asarray(test, dtype=float), "bs-", label="Test")
    ax.set(xlabel="Epochs", ylabel="Accuracy (%)")
    ax.legend()
    return fig


def plot_spread(ax: Axes, x: np.ndarray, values: np.ndarray, fmt: str = "s-", label: str | None = None,
                **style: Any) -> None:
    """Plot the mean over repetitions of ``values`` [reps, len(x)] (``fmt``, ``label``, ``style``) with, behind it,
    the :func:`spread_band` of the repetitions; no repetition's points are joined across x (each x is its own
    experiment)."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[0] > 1:
        spread_band(ax, x, values, color=style.get("color", "gray"))
    with warnings.catch_warnings():  # a column where every repetition diverged has no mean (NaN, not drawn)
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=0)
    ax.plot(x, mean, fmt, label=label, **style)


SPREAD_PERCENTILES = (10, 90)  # the band drawn around a mean over repetitions


def spread_band(ax: Axes, x: np.ndarray, values: np.ndarray, color: str = "gray") -> None:
    """Shade at each x the 10th to 90th percentile of ``values`` [reps, len(x)] over the repetitions (finite
    values only; a gap where none is), and say once, in the corner of ``ax``, what the line and the band are."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    low, high = np.full((2, values.shape[1]), np.nan)
    drawn = finite.any(axis=0)
    if drawn.any():
        low[drawn], high[drawn] = np.nanpercentile(np.where(finite, values, np.nan)[:, drawn], SPREAD_PERCENTILES,
                                                   axis=0)
    ax.fill_between(x, low, high, color=color, alpha=0.2, linewidth=0)
    if not any(text.get_gid() == "spread-note" for text in ax.texts):
        ax.text(0.99, 0.01, f"line: mean of {values.shape[0]} repetitions; band: 10th-90th percentile",
                transform=ax.transAxes, ha="right", va="bottom", fontsize="x-small", color="0.3", gid="spread-note",
                bbox={"facecolor": "white", "alpha": 0.7, "linewidth": 0})


@dataclass(frozen=True)
class Spread:
    """A figure of how a metric spreads over the repetitions (:func:`spread_figure`).

    ``metric``: one value per repetition [reps], or per repetition and group [reps, groups] with the groups
    named by the metric ``groups`` (e.g. "schedules"). ``label``: what the values are (the y axis).
    ``reference``: a dashed line at a value to compare with (e.g. the true minimum). ``chance``: the chance
    level (e.g. 50% accuracy); runs at or below it failed, and the title gives the failure rate.
    """

    metric: str
    label: str
    groups: str | None = None
    reference: float | None = None
    chance: float | None = None
    groups_label: str = ""  # the x axis: what the groups are


def spread_figure(result: Any, spec: Spread) -> Figure:
    """One dot per repetition over a box plot (median, quartiles) of ``spec.metric``, per group."""
    values = plottable(result.metric(spec.metric))  # diverged values (NaN) are not drawn
    values = values.reshape(values.shape[0], -1)  # [reps, groups]
    n_reps, n_groups = values.shape
    names = ([f"{name:.3g}" if isinstance(name, float) else str(name) for name in result.metrics[spec.groups]]
             if spec.groups else [""] * n_groups)
    fig, ax = figure(width=min(10.0, max(5.0, 0.9 * n_groups + 2.5)), height=4.0)
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, n_reps)  # where the dots sit, not data
    for group in range(n_groups):
        column = values[:, group]
        finite = np.isfinite(column)
        if finite.any():
            ax.boxplot(column[finite], positions=[group], widths=0.5, showfliers=False)
        ax.plot(group + jitter[finite], column[finite], "o", color="C0", alpha=0.6, markersize=5)
    ax.set_xticks(range(n_groups), names)
    ax.set_xlim(-0.6, n_groups - 0.4)
    ax.set(ylabel=spec.label, xlabel=spec.groups_label)
    if spec.reference is not None:
        ax.axhline(spec.reference, color="k", linestyle="--", linewidth=1)
    title = f"{spec.label}: one dot per repetition ({n_reps} repetitions)"
    if spec.chance is not None:
        failed = values[np.isfinite(values)] <= spec.chance + 1e-6
        ax.axhline(spec.chance, color="firebrick", linestyle=":", linewidth=1)
        title += f"\nfailed (at chance, {spec.chance:g}): {int(failed.sum())} of {failed.size} ({failed.mean():.0%})"
    ax.set_title(title, fontsize=11)
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def mark_repetition(fig: Figure, reps: int, panel: int | None = None) -> None:
    """Say in the titles of ``fig`` (a figure that draws repetition 0 only; or only its axes number ``panel``)
    that it is "repetition 0 of N"."""
    titled = [fig.axes[panel]] if panel is not None else [ax for ax in fig.axes if ax.get_title()] or fig.axes[:1]
    for ax in titled:
        title = ax.get_title()
        note = f"repetition 0 of {reps}"
        ax.set_title(f"{title}\n({note})" if len(title) > 40 else f"{title} ({note})" if title else note)


def with_repetitions(*, single: Sequence[str | tuple[str, int]] = (),
                     spreads: dict[str, Spread] | None = None) -> Callable[[Callable], Callable]:
    """Decorate a lecture's ``figures(result)``: for a result of more than one repetition, the figures named in
    ``single`` (which draw repetition 0; a pair (name, panel) for one panel of a figure) say so in their titles
    (:func:`mark_repetition`), and a figure of the spread (:func:`spread_figure`) is added for each of
    ``spreads`` (figure name -> :class:`Spread`)."""

    def decorate(draw: Callable[[Any], dict[str, Figure]]) -> Callable[[Any], dict[str, Figure]]:
        @functools.wraps(draw)
        def figures(result: Any) -> dict[str, Figure]:
            drawn = draw(result)
            reps = int(result.params.get("reps", 1))
            if reps > 1:
                for entry in single:
                    name, panel = entry if isinstance(entry, tuple) else (entry, None)
                    if name in drawn:
                        mark_repetition(drawn[name], reps, panel)
                for name, spec in (spreads or {}).items():
                    drawn[name] = spread_figure(result, spec)
            return drawn

        return figures

    return decorate


def correlation(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Pearson r of two equally long sets of numbers (flattened; ``np.corrcoef``); NaN, without a warning, where
    it is undefined (a constant set or a single value)."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.corrcoef(np.ravel(x).astype(float), np.ravel(y).astype(float))[0, 1])


def spread(values: Sequence[float] | np.ndarray) -> dict[str, float]:
    """Mean, median, standard deviation (ddof 0), min and max over the finite values; the counts ``n`` of
    values and ``nonfinite`` of those not finite (ints). Without finite values, only the two counts."""
    array = np.asarray(values, dtype=float).ravel()
    finite = array[np.isfinite(array)]
    stats: dict[str, float] = {"n": array.size, "nonfinite": array.size - finite.size}
    if finite.size:
        with np.errstate(over="ignore"):  # values near the largest float: the mean and sd may overflow to inf
            stats.update(mean=float(finite.mean()), median=float(np.median(finite)), sd=float(finite.std()),
                         min=float(finite.min()), max=float(finite.max()))
    return stats


def summary_line(label: str, values: Sequence[float] | np.ndarray, *, unit: str = "",
                 failed: Sequence[bool] | np.ndarray | None = None) -> str:
    """One line over repetitions:
    ``<label> over N reps: mean m, median d, sd s, range [min, max][, failed f%][, diverged k]``.

    The statistics are over the finite values (:func:`spread`); ``diverged k`` counts the non-finite ones
    (``<label> over N reps: all diverged`` when none is finite). ``failed`` marks the repetitions that
    failed (e.g. accuracy at chance level).
    """
    stats = spread(values)
    n = stats["n"]
    if "mean" not in stats:
        return f"{label} over {n} reps: all diverged"
    line = (f"{label} over {n} reps: mean {stats['mean']:.4g}{unit}, median {stats['median']:.4g}{unit}, "
            f"sd {stats['sd']:.3g}, range [{stats['min']:.4g}, {stats['max']:.4g}]")
    if failed is not None:
        line += f", failed {100 * float(np.mean(failed)):.0f}%"
    if stats["nonfinite"]:
        line += f", diverged {stats['nonfinite']}"
    return line
