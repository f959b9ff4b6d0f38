"""Pieces shared by the ann experiments: qwerty data per repetition, the learning-rate sweep run once per
model variant, the qwerty figures, the decision surface (the predicted class over a grid behind the data),
and the learning-rate sweep figure and its panels.

Figures take plain arrays (``np.asarray`` of Result metrics, or data regenerated from the Result's
params with :func:`qwerties_for_rep`), so they work on a Result loaded back from JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import data as datasets
from dudl.core import engine, seeding
from dudl.lectures.common import figure, plot_spread, plottable, tensor_text

if TYPE_CHECKING:
    import numpy.typing as npt
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


def check_centers(centers: Sequence[Sequence[float]], n_classes: int) -> None:
    """Raise ParamError unless ``centers`` holds ``n_classes`` centres (one per class); only the count is checked."""
    from dudl.params import ParamError

    if len(centers) != n_classes:
        raise ParamError(f"parameter 'centers' must hold {n_classes} [x, y] centres, got {len(centers)}")


def chance_failed(accuracy: Any, n_classes: int = 2) -> np.ndarray:
    """Which runs failed: accuracy (%) at or below chance level (100 / n_classes), bool like ``accuracy``."""
    return np.asarray(accuracy, dtype=float) <= 100.0 / n_classes + 1e-6


def success_fraction(accuracy: Any, threshold: float) -> np.ndarray:
    """B8 over the last axis: the fraction of cells whose accuracy (%) exceeds ``threshold``."""
    return np.mean(np.asarray(accuracy, dtype=float) > threshold, axis=-1)


def tensor_lines(values: Any, **kwargs: Any) -> list[str]:
    """How ``print(torch.tensor(values))`` shows ``values``, as lines."""
    return str(torch.tensor(np.asarray(values), **kwargs)).splitlines()


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


def variant_sweep(params: Any, data: torch.Tensor, labels: torch.Tensor, variants: Sequence[int | None],
                  architectures: Sequence[engine.Architecture],
                  build: Callable[[int, np.random.SeedSequence], nn.Module] | None = None,
                  losses_dtype: npt.DTypeLike = np.float32,
                  device: str = "cpu") -> tuple[engine.TrainResult, torch.Tensor, dict[str, Any]]:
    """ann.multilayer's batch (:func:`sweep_batch`: the demo, then every (repetition, learning rate) cell) once
    per model variant, every model trained in one engine call.

    ``params`` gives ``seed``, ``reps``, ``learning_rates``, ``epochs``, ``demo_learning_rate`` and
    ``success_threshold``. Variant ``v`` has the key suffix ``variants[v]`` (see :func:`sweep_batch`) and
    the architecture ``architectures[v]``; with ``build``, each of its models starts from the weights of the
    module ``build(v, key)`` (else the engine draws them from the key). data [reps, N, 2], labels [reps, N].

    Returns the trained models, their data [n*(1 + reps*n_rates), N, 2] and the metrics ``learning_rates``,
    ``demo_accuracy`` [n], ``demo_losses`` [n, epochs], ``accuracy`` [reps, n, n_rates], ``losses``
    [reps, n, n_rates, epochs] (both losses as ``losses_dtype``), ``final_loss`` (float64) and
    ``success_fraction`` [reps, n].
    """
    learning_rates = np.asarray(params.learning_rates, dtype=float)
    n_variants, n_rates, reps = len(variants), len(learning_rates), params.reps
    keys: list[np.random.SeedSequence] = []
    model_architectures: list[engine.Architecture] = []
    initial: list[nn.Module] = []
    data_parts, label_parts = [], []
    for v, (variant, architecture) in enumerate(zip(variants, architectures, strict=True)):
        variant_keys, variant_data, variant_labels = sweep_batch(params.seed, reps, n_rates, data, labels, variant)
        keys += variant_keys
        model_architectures += [architecture] * len(variant_keys)
        if build is not None:
            initial += [build(v, key) for key in variant_keys]
        data_parts.append(variant_data)
        label_parts.append(variant_labels)
    model_data, model_labels = torch.cat(data_parts), torch.cat(label_parts)
    targets = binary_targets(model_labels)
    out = engine.train(model_architectures, model_data, targets,
                       learning_rates=[params.demo_learning_rate, *np.tile(learning_rates, reps)] * n_variants,
                       epochs=params.epochs, keys=keys, initial_weights=initial if build is not None else None,
                       record=("losses",), device=device)
    per_variant = 1 + reps * n_rates  # the demo, then the sweep cells
    accuracy = engine.accuracy(out.outputs, model_labels, architectures[0]).numpy().reshape(n_variants, per_variant)
    final_loss = engine.loss_values(out.outputs, targets, architectures[0]).numpy().astype(np.float64)
    final_loss = final_loss.reshape(n_variants, per_variant)
    losses = out.losses.numpy().astype(losses_dtype, copy=False).reshape(n_variants, per_variant, params.epochs)
    sweep_accuracy = accuracy[:, 1:].reshape(n_variants, reps, n_rates).transpose(1, 0, 2)
    metrics = {
        "learning_rates": learning_rates,
        "demo_accuracy": accuracy[:, 0],
        "demo_losses": losses[:, 0],
        "accuracy": sweep_accuracy,
        "losses": losses[:, 1:].reshape(n_variants, reps, n_rates, params.epochs).transpose(1, 0, 2, 3),
        "final_loss": final_loss[:, 1:].reshape(n_variants, reps, n_rates).transpose(1, 0, 2),
        "success_fraction": success_fraction(sweep_accuracy, params.success_threshold),
    }
    return out, model_data, metrics


# ---------------------------------------------------------------------------------------------------
# Decision surface


def surface_grid(data: np.ndarray, resolution: int = SURFACE_RESOLUTION,
                 margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """A grid over the data's range (plus ``margin`` of it on each side), of the plottable points only
    (:func:`~dudl.lectures.common.plottable`; [-1, 1] on an axis without any).

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


def demo_losses_figure(demo_losses: Any) -> Figure:
    """The demo's losses per epoch ('Epoch', 'Loss'): [epochs], or one line per variant [n, epochs]."""
    fig, ax = figure()
    curves = np.atleast_2d(np.asarray(demo_losses, dtype=float))
    ax.plot(curves.T)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    return fig


def accuracy_panel(ax: Axes, learning_rates: Any, accuracy_lines: Mapping[str | None, Any],
                   legend: bool | None = None) -> None:
    """Accuracy by learning rate ('s-', colours C0-C3): each entry of ``accuracy_lines`` (label -> [n_lr] or
    [reps, n_lr]) drawn as the mean with the spread of the reps as a band; a legend if ``legend`` (None: when
    several lines)."""
    learning_rates = np.asarray(learning_rates, dtype=float)
    colours = ("C0", "C1", "C2", "C3")
    for index, (label, values) in enumerate(accuracy_lines.items()):
        plot_spread(ax, learning_rates, np.asarray(values, dtype=float), fmt="s-", label=label,
                    color=colours[index % len(colours)])
    if legend is None:
        legend = len(accuracy_lines) > 1
    if legend:
        ax.legend()
    ax.set_xlabel("Learning rate")
    ax.set_ylabel("Accuracy")
    ax.set_title("Accuracy by learning rate")


def losses_panel(ax: Axes, loss_curves: Any, title: str = "Losses by learning rate") -> None:
    """Every loss curve ``loss_curves`` [n_curves, epochs] (or one [epochs]) against the epoch number."""
    curves = np.atleast_2d(np.asarray(loss_curves, dtype=float))
    ax.plot(curves.T)
    ax.set_xlabel("Epoch number")
    ax.set_ylabel("Loss")
    ax.set_title(title)


def sweep_figure(learning_rates: Any, accuracy_lines: Mapping[str | None, Any], loss_curves: Any) -> Figure:
    """ann.learning-rates' ``sweep``: left, :func:`accuracy_panel` (legend when several lines); right,
    :func:`losses_panel` of every loss curve ``loss_curves`` [n_curves, epochs]."""
    fig, (left, right) = figure(ncols=2, width=7.5)
    accuracy_panel(left, learning_rates, accuracy_lines)
    losses_panel(right, loss_curves)
    return fig


def hidden_units_panel(ax: Axes, widths: np.ndarray) -> None:
    """The iris width sweeps' accuracy axes: grey dashed chance lines at 33 and 67 across ``widths`` (float
    [n_widths]), 'Number of hidden units', 'accuracy' and the title 'Accuracy'."""
    ax.plot(widths[[0, -1]], [33, 33], "--", color=[0.8, 0.8, 0.8])
    ax.plot(widths[[0, -1]], [67, 67], "--", color=[0.8, 0.8, 0.8])
    ax.set_xlabel("Number of hidden units")
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy")


def predictions_panel(ax: Axes, x: np.ndarray, y: np.ndarray, predictions: Any, title: str) -> None:
    """The regression lectures' real data ('bo') and predictions ('rs') against x, with a legend and ``title``."""
    ax.plot(x, y, "bo", label="Real data")
    ax.plot(x, np.asarray(predictions, dtype=float), "rs", label="Predictions")
    ax.set_title(title)
    ax.legend()
