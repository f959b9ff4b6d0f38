"""Pieces shared by the ann experiments: qwerty data per repetition, the qwerty figures, the decision
surface (the predicted class over a grid behind the data), and the learning-rate sweep figure.

Figures take plain arrays (``np.asarray`` of Result metrics, or data regenerated from the Result's
params with :func:`qwerties_for_rep`), so they work on a Result loaded back from JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import data as datasets
from dudl.core import engine, seeding
from dudl.lectures.common import figure, plot_spread

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from torch import nn

CLASS_MARKERS = ("bs", "ko", "r^")  # the course's markers for qwerty classes 0, 1, 2
SURFACE_RESOLUTION = 80  # grid points per axis of the decision surface


# ---------------------------------------------------------------------------------------------------
# Data


def qwerties_for_rep(seed: int, rep: int, centers: Sequence[Sequence[float]], n_per_cluster: int,
                     blur: float) -> tuple[np.ndarray, np.ndarray]:
    """B1 qwerties of repetition ``rep`` (data stream): ``data`` float32 [N, 2], ``labels`` int64 [N]."""
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


def check_centers(centers: Sequence[Sequence[float]], n_classes: int | None = None) -> None:
    """Raise ParamError unless ``centers`` is a list of (x, y) pairs (``n_classes`` of them if given)."""
    from dudl.params import ParamError

    if n_classes is not None and len(centers) != n_classes:
        raise ParamError(f"parameter 'centers' must hold {n_classes} [x, y] centres, got {len(centers)}")
    if len(centers) < 2:
        raise ParamError("parameter 'centers' must hold at least 2 [x, y] centres (one per class)")


def chance_failed(accuracy: Any, n_classes: int = 2) -> np.ndarray:
    """Which runs failed: accuracy (%) at or below chance level (100 / n_classes), bool like ``accuracy``."""
    return np.asarray(accuracy, dtype=float) <= 100.0 / n_classes + 1e-6


def success_fraction(accuracy: Any, threshold: float) -> np.ndarray:
    """B8 over the last axis: the fraction of cells whose accuracy (%) exceeds ``threshold``."""
    return np.mean(np.asarray(accuracy, dtype=float) > threshold, axis=-1)


def tensor_text(value: float) -> str:
    """How the course's notebooks show a float32 scalar tensor, e.g. ``tensor(0.7600)``, ``tensor(50.)``."""
    return repr(torch.tensor(float(value), dtype=torch.float32))


def data_type_lines(n_rows: int) -> list[str]:
    """The qwerty notebooks' printed checks of the data's type and shape (numpy, then torch)."""
    return ["<class 'numpy.ndarray'>", f"({n_rows}, 2)", "", "<class 'torch.Tensor'>",
            f"torch.Size([{n_rows}, 2])"]


def accuracy_lines(accuracy: Any) -> str:
    """The course's ``accByLR`` list of accuracy tensors, e.g. ``[tensor(50.), tensor(99.5000)]``."""
    return "[" + ", ".join(tensor_text(a) for a in np.asarray(accuracy, dtype=float).ravel()) + "]"


def sweep_batch(seed: int, reps: int, n_rates: int, data: torch.Tensor, labels: torch.Tensor,
                variant: int | None = None) -> tuple[list[np.random.SeedSequence], torch.Tensor, torch.Tensor]:
    """Keys and per-model data of the demo (stream 2, index (0,), on rep 0's data) followed by every
    (repetition, learning rate) cell (stream 1, cell (lr_index,)), in that order.

    ``variant`` (an unpaired model variant) appends its index to every key, so its weights differ from the
    paired ones. data [reps, N, 2], labels [reps, N] -> keys [1 + reps*n_rates], data and labels per model.
    """
    extra = () if variant is None else (variant,)
    keys = [seeding.key(seed, seeding.DEMO, 0, *extra)]
    keys += [seeding.key(seed, seeding.MODEL, rep, i, *extra) for rep in range(reps) for i in range(n_rates)]
    rows = torch.tensor([0] + [rep for rep in range(reps) for _ in range(n_rates)])
    return keys, data[rows], labels[rows]


# ---------------------------------------------------------------------------------------------------
# Decision surface


def surface_grid(data: np.ndarray, resolution: int = SURFACE_RESOLUTION,
                 margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """A grid over the data's range (plus ``margin`` of it on each side).

    Returns ``points`` float32 [resolution*resolution, 2] (row-major: y outer, x inner) and ``extent``
    [4] = (x_min, x_max, y_min, y_max), as ``imshow`` takes it.
    """
    data = np.asarray(data, dtype=float)
    low, high = data.min(axis=0), data.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-6)
    low, high = low - pad, high + pad
    xs = np.linspace(low[0], high[0], resolution)
    ys = np.linspace(low[1], high[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32)
    return points, np.array([low[0], high[0], low[1], high[1]])


def decision_surface(module: nn.Module, architecture: engine.Architecture, data: np.ndarray,
                     resolution: int = SURFACE_RESOLUTION) -> dict[str, np.ndarray]:
    """The trained ``module``'s predicted class (B7) over a grid around ``data`` [N, 2].

    Returns the metrics ``decision_surface`` int [resolution, resolution] (rows = y, columns = x) and
    ``decision_surface_extent`` [4] (x_min, x_max, y_min, y_max).
    """
    points, extent = surface_grid(data, resolution)
    with torch.no_grad():
        outputs = module(torch.from_numpy(points))
    labels = engine.predicted_labels(outputs.unsqueeze(0), architecture)[0]
    return {"decision_surface": labels.reshape(resolution, resolution).numpy().astype(np.int64),
            "decision_surface_extent": extent}


def decision_surface_figure(surface: Any, extent: Any, data: np.ndarray, labels: np.ndarray,
                            title: Sequence[str] | str = "Decision surface") -> Figure:
    """The predicted class over the grid (light colours) behind the data (the course's class markers).

    ``surface`` is one grid [R, R] or one per panel [n_panels, R, R] (``title``: one title per panel).
    """
    from matplotlib.colors import ListedColormap

    surfaces = np.asarray(surface)
    if surfaces.ndim == 2:
        surfaces = surfaces[None]
    titles = [title] if isinstance(title, str) else list(title)
    labels = np.asarray(labels)
    n_classes = max(int(labels.max()) + 1, int(np.nanmax(surfaces)) + 1)
    colours = ListedColormap(["#c6d7ff", "#d0d0d0", "#ffc6c6"][:n_classes])
    fig, axes = figure(ncols=len(surfaces))
    for ax, grid, panel_title in zip(np.atleast_1d(axes), surfaces, titles, strict=True):
        ax.imshow(grid, origin="lower", extent=tuple(np.asarray(extent, dtype=float)), cmap=colours,
                  vmin=-0.5, vmax=n_classes - 0.5, aspect="auto", interpolation="nearest")
        plot_classes(ax, data, labels)
        ax.set_xlabel("qwerty dimension 1")
        ax.set_ylabel("qwerty dimension 2")
        ax.set_title(panel_title)
        ax.legend([f"class {k}" for k in range(int(labels.max()) + 1)], loc="best")
    return fig


# ---------------------------------------------------------------------------------------------------
# Figures


def plot_classes(ax: Axes, data: np.ndarray, labels: np.ndarray, **style: Any) -> None:
    """Each class's points with the course's markers ('bs', 'ko', 'r^')."""
    data, labels = np.asarray(data), np.asarray(labels)
    for k in range(int(labels.max()) + 1):
        rows = labels == k
        ax.plot(data[rows, 0], data[rows, 1], CLASS_MARKERS[k % len(CLASS_MARKERS)], **style)


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


def losses_figure(losses: Any, final_loss: float | None = None, title: str | None = None) -> Figure:
    """Loss per epoch as the course draws it (open circles): one run [epochs], or [reps, epochs] drawn as
    the mean with every repetition faint behind it; ``final_loss`` adds a red dot at x = epochs."""
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


def demo_losses_figure(demo_losses: Any, labels: Sequence[str] | None = None) -> Figure:
    """The demo's losses per epoch ('Epoch', 'Loss'): [epochs], or one line per variant [n, epochs]."""
    fig, ax = figure()
    curves = np.atleast_2d(np.asarray(demo_losses, dtype=float))
    ax.plot(curves.T)
    if labels is not None and len(curves) > 1:
        ax.legend(labels)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    return fig


def sweep_figure(learning_rates: Any, accuracy_lines: Mapping[str, Any], loss_curves: Any) -> Figure:
    """ann.learning-rates' ``sweep``: left, accuracy by learning rate ('s-'; each entry of ``accuracy_lines``
    is [n_lr] or [reps, n_lr], drawn as the mean with the reps faint; legend when several lines); right,
    every loss curve ``loss_curves`` [n_curves, epochs]."""
    learning_rates = np.asarray(learning_rates, dtype=float)
    fig, (left, right) = figure(ncols=2, width=7.5)
    colours = ("C0", "C1", "C2", "C3")
    for index, (label, values) in enumerate(accuracy_lines.items()):
        plot_spread(left, learning_rates, np.asarray(values, dtype=float), fmt="s-", label=label,
                    color=colours[index % len(colours)])
    if len(accuracy_lines) > 1:
        left.legend()
    left.set_xlabel("Learning rate")
    left.set_ylabel("Accuracy")
    left.set_title("Accuracy by learning rate")
    curves = np.atleast_2d(np.asarray(loss_curves, dtype=float))
    right.plot(curves.T)
    right.set_xlabel("Epoch number")
    right.set_ylabel("Loss")
    right.set_title("Losses by learning rate")
    return fig
