"""Diverged runs (a loss or accuracy that is not finite): which runs diverged, and the note that counts them on a
lecture's figures and in its printed lines.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
