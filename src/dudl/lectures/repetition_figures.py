"""Figures of a result over repetitions: a mean with the band of its spread, a figure of one dot per repetition,
and the note on a figure that draws repetition 0 only.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.lectures.figures import figure, plottable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
