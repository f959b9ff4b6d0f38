"""Figures of a classifier or regression model's training: the loss per epoch, loss and accuracy per epoch, and
each output per sample.

Figures take plain arrays (``np.asarray`` of Result metrics), so they work on a Result loaded back from JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dudl.lectures.figures import figure
from dudl.lectures.repetition_figures import plot_spread

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def losses_figure(losses: Any, final_loss: float | None = None, title: str | None = None) -> Figure:
    """Loss per epoch as the course draws it (open circles): one run [epochs], or [reps, epochs] drawn as
    the mean with the spread of the repetitions as a band (:func:`plot_spread`); ``final_loss`` adds a red dot
    at x = epochs."""
    losses = np.atleast_2d(np.asarray(losses, dtype=float))
    epochs = np.arange(losses.shape[-1])
    fig, ax = figure()
    label = f"mean over {losses.shape[0]} reps" if losses.shape[0] > 1 else None
    plot_spread(ax, epochs, losses, fmt="o", label=label, color="C0", markerfacecolor="w", markersize=4)
    if final_loss is not None:
        ax.plot(losses.shape[-1], final_loss, "ro")
    if label:
        ax.legend()
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    if title:
        ax.set_title(title)
    return fig


def training_figure(losses: Any, accuracy_by_epoch: Any) -> Figure:
    """Left: loss per epoch ('Losses'); right: accuracy per epoch ('Accuracy'); the mean over reps with their
    spread as a band."""
    losses = np.atleast_2d(np.asarray(losses, dtype=float))
    accuracy_by_epoch = np.atleast_2d(np.asarray(accuracy_by_epoch, dtype=float))
    epochs = np.arange(losses.shape[-1])
    fig, (left, right) = figure(ncols=2, width=6.5)
    plot_spread(left, epochs, losses, fmt="-")
    left.set_xlabel("epoch")
    left.set_ylabel("Loss")
    left.set_title("Losses")
    plot_spread(right, epochs, accuracy_by_epoch, fmt="-")
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    right.set_title("Accuracy")
    return fig


def outputs_figure(outputs: Any, legend: tuple[str, ...], markers: tuple[str, ...] = ("s-",) * 3) -> Figure:
    """Each output column per sample (repetition 0), white-faced markers; x 'Stimulus number'."""
    outputs = np.asarray(outputs, dtype=float)
    fig, ax = figure(width=10, height=4)
    for column, marker in enumerate(markers):
        ax.plot(outputs[:, column], marker, markerfacecolor="w")
    ax.set_xlabel("Stimulus number")
    ax.set_ylabel("Probability")
    ax.legend(list(legend))
    return fig
