"""Accuracy (%) summaries of the ann classifiers: which runs stayed at chance, the fraction of a sweep's cells
that succeeded, the accuracy within each true class."""

from __future__ import annotations

from typing import Any

import numpy as np


def chance_failed(accuracy: Any, n_classes: int = 2) -> np.ndarray:
    """Which runs failed: accuracy (%) at or below chance level (100 / n_classes), bool like ``accuracy``."""
    return np.asarray(accuracy, dtype=float) <= 100.0 / n_classes + 1e-6


def success_fraction(accuracy: Any, threshold: float) -> np.ndarray:
    """The success fraction (docs/spec/experiments.md#success-fraction) over the last axis: the fraction of cells whose
    accuracy (%) exceeds ``threshold``."""
    return np.mean(np.asarray(accuracy, dtype=float) > threshold, axis=-1)


def class_accuracy(predicted: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """[reps, n_classes] accuracy (%) within each true class, from ``predicted`` [reps, N], ``labels`` [N]."""
    return np.stack([100 * np.mean(predicted[:, labels == k] == k, axis=1) for k in range(n_classes)], axis=1)
