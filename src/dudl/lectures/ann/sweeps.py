"""The ann lectures' sweeps: the learning-rate sweep's models (the demo, then every (repetition, learning rate)
cell) batched and trained once per model variant, the course's printed accuracies, and the sweep figures and
panels (accuracy and losses by learning rate, the demo's losses, the iris width sweeps' accuracy axes).

Figures take plain arrays (``np.asarray`` of Result metrics), so they work on a Result loaded back from JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import engine, seeding
from dudl.lectures.ann.accuracy import success_fraction
from dudl.lectures.ann.qwerty import binary_targets
from dudl.lectures.figures import figure
from dudl.lectures.printing import tensor_text
from dudl.lectures.repetition_figures import plot_spread

if TYPE_CHECKING:
    import numpy.typing as npt
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from torch import nn


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


def accuracy_lines(accuracy: Any) -> str:
    """The course's ``accByLR`` list of accuracy tensors, e.g. ``[tensor(50.), tensor(99.5000)]``."""
    return "[" + ", ".join(tensor_text(a) for a in np.asarray(accuracy, dtype=float).ravel()) + "]"


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


def demo_losses_figure(demo_losses: Any) -> Figure:
    """The demo's losses per epoch ('Epoch', 'Loss'): [epochs], or one line per variant [n, epochs]."""
    fig, ax = figure()
    curves = np.atleast_2d(np.asarray(demo_losses, dtype=float))
    ax.plot(curves.T)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    return fig


def hidden_units_panel(ax: Axes, widths: np.ndarray) -> None:
    """The iris width sweeps' accuracy axes: grey dashed chance lines at 33 and 67 across ``widths`` (float
    [n_widths]), 'Number of hidden units', 'accuracy' and the title 'Accuracy'."""
    ax.plot(widths[[0, -1]], [33, 33], "--", color=[0.8, 0.8, 0.8])
    ax.plot(widths[[0, -1]], [67, 67], "--", color=[0.8, 0.8, 0.8])
    ax.set_xlabel("Number of hidden units")
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy")
