"""The printed lines that end every gd lecture's output: the line saying a run diverged, and the summary
over repetitions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dudl.core.descent import diverged
from dudl.lectures.summaries import summary_line


def outcome_lines(objective: str, start_values: np.ndarray, final_values: np.ndarray, label: str,
                  finals: np.ndarray, *, ascent: bool = False, notes: Sequence[str] = ()) -> list[str]:
    """The printed lines that follow repetition 0's values in every gd lecture.

    ``start_values`` and ``final_values`` [reps]: the ``objective`` (e.g. ``"f(x)"``) at each repetition's
    start and end, which decide the repetitions that diverged (:func:`~dudl.core.descent.diverged`). The
    lines: :func:`divergence_line` if repetition 0 diverged, then ``notes``, then (for reps > 1) the
    :func:`~dudl.lectures.summaries.summary_line` ``label`` of ``finals`` [reps], diverged repetitions as NaN.
    """
    bad = diverged(start_values, final_values, ascent=ascent)
    lines = [divergence_line(objective, start_values[0], final_values[0], ascent=ascent)] if bad[0] else []
    lines += notes
    if len(finals) > 1:
        lines.append(summary_line(label, np.where(bad, np.nan, finals)))
    return lines


def divergence_line(objective: str, start_value: float, final_value: float, *, ascent: bool = False) -> str:
    """The line that says a run diverged: where the objective went (non-finite values are null in the JSON)."""
    where = f"went from {start_value:.6g} to {final_value:.6g}"
    if not np.isfinite(final_value):
        where += " (null in the JSON)"
    return f"The {'ascent' if ascent else 'descent'} diverged: {objective} {where}; try a smaller learning rate"
