"""The 1-1-1 regression model (docs/spec/experiments.md#regression-net) of ann.regression and ann.regression-slope:
many models trained at once, the prediction-data correlation (docs/spec/experiments.md#prediction-data-correlation),
and the panel of data and predictions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import engine, models

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def correlation(targets: np.ndarray, predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The prediction-data correlation row by row: Pearson r of ``targets`` and ``predictions`` [..., n]; constant
    predictions give 0, and non-finite values (a diverged model, data beyond float32) NaN.

    Returns ``correlation`` [...] and ``flat_prediction`` [...] bool (what numpy would warn about).
    """
    targets = np.asarray(targets, dtype=np.float64)
    predictions = np.asarray(predictions, dtype=np.float64)
    diverged = ~(np.isfinite(targets).all(axis=-1) & np.isfinite(predictions).all(axis=-1))
    flat = np.ptp(predictions, axis=-1) == 0
    with np.errstate(all="ignore"):
        t = targets - targets.mean(axis=-1, keepdims=True)
        p = predictions - predictions.mean(axis=-1, keepdims=True)
        denominator = np.sqrt((t * t).sum(axis=-1) * (p * p).sum(axis=-1))
        r = (t * p).sum(axis=-1) / denominator
    return np.where(diverged, np.nan, np.where(flat | ~np.isfinite(r), 0.0, r)), flat


def fit_regression(xs: np.ndarray, ys: np.ndarray, keys: list[np.random.SeedSequence], learning_rate: float,
                   epochs: int, device: str) -> dict[str, np.ndarray]:
    """Train one regression net per dataset, all at once: ``xs``, ``ys`` [M, n] -> ``predictions`` [M, n],
    ``losses`` [M, epochs], ``final_loss`` [M], ``correlation`` [M], ``flat_prediction`` [M]."""
    architecture = models.regression_net()
    inputs = torch.from_numpy(np.asarray(xs, dtype=np.float32)).unsqueeze(-1)
    targets = torch.from_numpy(np.asarray(ys, dtype=np.float32)).unsqueeze(-1)
    out = engine.train(architecture, inputs, targets, learning_rates=[learning_rate] * len(keys), epochs=epochs,
                       keys=keys, record=("losses",), device=device)
    predictions = out.outputs[..., 0].numpy()
    r, flat = correlation(ys, predictions)
    return {"predictions": predictions, "losses": out.losses.numpy(),
            "final_loss": engine.loss_values(out.outputs, targets, architecture).numpy().astype(np.float64),
            "correlation": r, "flat_prediction": flat}


def predictions_panel(ax: Axes, x: np.ndarray, y: np.ndarray, predictions: Any, title: str) -> None:
    """The regression lectures' real data ('bo') and predictions ('rs') against x, with a legend and ``title``."""
    ax.plot(x, y, "bo", label="Real data")
    ax.plot(x, np.asarray(predictions, dtype=float), "rs", label="Predictions")
    ax.set_title(title)
    ax.legend()
