"""The decision surface of the 2-D (qwerty) classifiers: the predicted class over a grid around the data, and
its figure with the data drawn on top."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import engine
from dudl.lectures.ann.qwerty import plot_classes
from dudl.lectures.figures import figure, plottable

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from torch import nn

SURFACE_RESOLUTION = 80  # grid points per axis of the decision surface


def surface_grid(data: np.ndarray, resolution: int = SURFACE_RESOLUTION,
                 margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """A grid over the data's range (plus ``margin`` of it on each side), of the plottable points only
    (:func:`~dudl.lectures.figures.plottable`; [-1, 1] on an axis without any).

    Returns ``points`` float32 [resolution*resolution, 2] (row-major: y outer, x inner) and ``extent``
    [4] = (x_min, x_max, y_min, y_max), as ``imshow`` takes it.
    """
    data = plottable(data)
    drawn = ~np.isnan(data).any(axis=1)
    low, high = (data[drawn].min(axis=0), data[drawn].max(axis=0)) if drawn.any() else (-np.ones(2), np.ones(2))
    pad = margin * np.maximum(high - low, 1e-6)
    low, high = low - pad, high + pad
    xs = np.linspace(low[0], high[0], resolution)
    ys = np.linspace(low[1], high[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32)
    return points, np.array([low[0], high[0], low[1], high[1]])


def decision_surface(module: nn.Module, architecture: engine.Architecture, data: np.ndarray,
                     resolution: int = SURFACE_RESOLUTION) -> dict[str, np.ndarray]:
    """The trained ``module``'s predicted class (docs/spec/experiments.md#decision-rule-and-accuracy) over a grid around
    ``data`` [N, 2].

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
