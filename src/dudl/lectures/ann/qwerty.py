"""The qwerties (2-D blobs, one per class: docs/spec/experiments.md#qwerties) of the ann lectures: each repetition's
data, the BCE targets, the centres check, the printed data checks, which samples a model misclassified, and the course's
qwerty figures.

Figures take plain arrays (``np.asarray`` of Result metrics, or data regenerated from the Result's params with
:func:`rep0_qwerties`), so they work on a Result loaded back from JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import data as datasets
from dudl.core import engine, seeding
from dudl.lectures.figures import figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CLASS_MARKERS = ("bs", "ko", "r^")  # the course's markers for qwerty classes 0, 1, 2


def qwerties_for_rep(seed: int, rep: int, centers: Sequence[Sequence[float]], n_per_cluster: int,
                     blur: float) -> tuple[np.ndarray, np.ndarray]:
    """The qwerties of repetition ``rep`` (data stream): ``data`` float32 [N, 2], ``labels`` int64 [N]."""
    rng = seeding.numpy_rng(seeding.key(seed, seeding.DATA, rep))
    return datasets.qwerties(rng, centers, n_per_cluster, blur)


def qwerties_for_reps(seed: int, reps: int, centers: Sequence[Sequence[float]], n_per_cluster: int,
                      blur: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Every repetition's qwerties: ``data`` float32 [reps, N, 2], ``labels`` int64 [reps, N]."""
    pairs = [qwerties_for_rep(seed, rep, centers, n_per_cluster, blur) for rep in range(reps)]
    data = torch.from_numpy(np.stack([d for d, _ in pairs]))
    labels = torch.from_numpy(np.stack([lab for _, lab in pairs]))
    return data, labels


def rep0_qwerties(params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Repetition 0's qwerties, regenerated from a Result's params (the data stream is deterministic)."""
    return qwerties_for_rep(params["seed"], 0, params["centers"], params["n_per_cluster"], params["blur"])


def binary_targets(labels: torch.Tensor) -> torch.Tensor:
    """Class labels [..., N] (0/1) -> the BCE targets float32 [..., N, 1]."""
    return labels.to(torch.float32).unsqueeze(-1)


def check_centers(centers: Sequence[Sequence[float]], n_classes: int) -> None:
    """Raise ParamError unless ``centers`` holds ``n_classes`` centres (one per class); only the count is checked."""
    from dudl.params import ParamError

    if len(centers) != n_classes:
        raise ParamError(f"parameter 'centers' must hold {n_classes} [x, y] centres, got {len(centers)}")


def data_type_lines(n_rows: int) -> list[str]:
    """The qwerty notebooks' printed checks of the data's type and shape (numpy, then torch)."""
    return ["<class 'numpy.ndarray'>", f"({n_rows}, 2)", "", "<class 'torch.Tensor'>",
            f"torch.Size([{n_rows}, 2])"]


def misclassified_rows(outputs: torch.Tensor, labels: torch.Tensor,
                       architecture: engine.Architecture) -> list[list[int]]:
    """Per model, the indices of the misclassified samples (ragged): outputs [M, N, 1], labels [M, N]."""
    wrong = engine.predicted_labels(outputs, architecture) != labels
    return [np.flatnonzero(row).tolist() for row in wrong.numpy()]


def plot_classes(ax: Axes, data: np.ndarray, labels: np.ndarray) -> None:
    """Each class's points with the course's markers ('bs', 'ko', 'r^')."""
    data, labels = np.asarray(data), np.asarray(labels)
    for k in range(int(labels.max()) + 1):
        rows = labels == k
        ax.plot(data[rows, 0], data[rows, 1], CLASS_MARKERS[k % len(CLASS_MARKERS)])


def data_figure(data: np.ndarray, labels: np.ndarray) -> Figure:
    """The course's qwerty data plot: 'bs' class 0, 'ko' class 1 ('r^' class 2), title 'The qwerties!'."""
    fig, ax = figure()
    plot_classes(ax, data, labels)
    ax.set_title("The qwerties!")
    ax.set_xlabel("qwerty dimension 1")
    ax.set_ylabel("qwerty dimension 2")
    return fig


def predictions_figure(data: np.ndarray, labels: np.ndarray, misclassified: Sequence[int],
                       accuracy: float) -> Figure:
    """ann.qwerties' predictions plot: misclassified red 'x', predicted class 0 'bs', class 1 'ko'."""
    data, labels = np.asarray(data), np.asarray(labels)
    wrong = np.zeros(len(labels), dtype=bool)
    wrong[np.asarray(misclassified, dtype=int)] = True
    predicted = np.where(wrong, 1 - labels, labels)
    fig, ax = figure()
    ax.plot(data[wrong, 0], data[wrong, 1], "rx", markersize=12, markeredgewidth=3)
    ax.plot(data[predicted == 0, 0], data[predicted == 0, 1], "bs")
    ax.plot(data[predicted == 1, 0], data[predicted == 1, 1], "ko")
    ax.legend(["Misclassified", "blue", "black"], loc="upper left", bbox_to_anchor=(1, 1))
    ax.set_title(f"{accuracy:g}% correct")
    return fig
