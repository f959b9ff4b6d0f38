"""Result: what one run of an experiment produced, and its JSON round trip.

A Result holds the experiment ``id``, every resolved parameter (``seed`` and ``reps`` included), the
named ``metrics`` (numpy arrays, numbers, strings or ragged lists), the seconds of computation and the
dudl version. Figures and printed lines are drawn from the Result alone, so a saved result can be
loaded and re-plotted. In JSON, NaN and +/-inf are written as ``null`` (spec, "Units, shapes and
names"); loading turns a numeric array's nulls back into NaN.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class Result:
    """The outcome of one run: ``id``, ``params``, ``metrics``, ``elapsed_s``, ``dudl_version``."""

    id: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    elapsed_s: float
    dudl_version: str

    # -- views -----------------------------------------------------------------------------------
    def figures(self) -> dict[str, Figure]:
        """The experiment's figures (name -> matplotlib Figure), drawn from this Result alone."""
        from dudl import registry

        return registry.entry(self.id).load().figures(self)

    def printed(self) -> list[str]:
        """The lines the course printed, with this run's values."""
        from dudl import registry

        return registry.entry(self.id).load().printed(self)

    def metric(self, name: str) -> np.ndarray:
        """A metric as a float array (nulls as NaN)."""
        return np.asarray(self.metrics[name], dtype=float)

    def summary_rows(self) -> list[tuple[str, str, str, str]]:
        """One row per metric: (name, shape, value or "mean [min, max]", count of non-finite values).

        Non-finite values (divergence) are counted, so a diverged run says so in its summary.
        """
        rows = []
        for name, value in self.metrics.items():
            array = np.asarray(value) if not isinstance(value, list) or _rectangular(value) else None
            if array is None or array.dtype.kind not in "biuf":
                text = str(value) if not isinstance(value, list) else f"ragged list of {len(value)}"
                rows.append((name, "-", text if len(text) <= 60 else text[:57] + "...", ""))
                continue
            numbers = array.astype(float)
            finite = numbers[np.isfinite(numbers)]
            shape = "x".join(str(n) for n in array.shape) or "scalar"
            if array.size == 1:
                text = f"{numbers.item():.6g}"
            elif finite.size:
                text = f"{finite.mean():.4g} [{finite.min():.4g}, {finite.max():.4g}]"
            else:
                text = "all non-finite"
            nonfinite = int(numbers.size - finite.size)
            rows.append((name, shape, text, f"{nonfinite} (diverged)" if nonfinite else ""))
        return rows

    # -- JSON -------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON object: top-level keys id, params, metrics, elapsed_s, dudl_version."""
        return {
            "id": self.id,
            "params": _jsonable(self.params),
            "metrics": {name: _jsonable(value) for name, value in self.metrics.items()},
            "elapsed_s": self.elapsed_s,
            "dudl_version": self.dudl_version,
        }

    def to_json(self) -> str:
        """The result as JSON text (NaN/inf as null); deterministic for the same values."""
        return json.dumps(self.to_dict(), allow_nan=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Rebuild a Result from its JSON object; rectangular numeric lists become numpy arrays."""
        return cls(
            id=data["id"],
            params=data["params"],
            metrics={name: _from_json(value) for name, value in data["metrics"].items()},
            elapsed_s=data["elapsed_s"],
            dudl_version=data["dudl_version"],
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Result:
        """Load ``result.json`` (or a directory holding it)."""
        path = Path(path)
        if path.is_dir():
            path = path / "result.json"
        return cls.from_dict(json.loads(path.read_text()))

    def save(self, out_dir: str | os.PathLike[str], *, figures: bool = True) -> Path:
        """Write ``out_dir/<id>/result.json`` and one PNG per figure, atomically; returns the folder.

        Everything is written into a temporary folder beside the target first and moved into place
        at the end, so an error leaves no half-written result behind.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / self.id
        staging = Path(tempfile.mkdtemp(prefix=f".{self.id}.", dir=out_dir))
        try:
            (staging / "result.json").write_text(self.to_json())
            if figures:
                for name, figure in self.figures().items():
                    figure.savefig(staging / f"{name}.png", dpi=100)
                    _close(figure)
            _replace_dir(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target


def _rectangular(value: list) -> bool:
    try:
        return np.array(value).dtype != object
    except ValueError:
        return False


def _close(figure: Figure) -> None:
    import matplotlib.pyplot as plt

    plt.close(figure)


def _replace_dir(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target``, replacing an earlier result there."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)


def _jsonable(value: Any) -> Any:
    """numpy arrays and scalars -> lists and Python numbers; NaN and inf -> None."""
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "tolist"):  # a torch tensor slipped through
        return _jsonable(value.tolist())
    return value


def _from_json(value: Any) -> Any:
    """A rectangular list of numbers (nulls allowed) or bools -> numpy array; anything else unchanged."""
    if not isinstance(value, list):
        return value
    try:
        array = np.array(value)
    except ValueError:  # ragged
        return value
    if array.dtype != object:
        return array if array.dtype.kind in "biuf" else value
    try:
        return np.array(_nulls_to_nan(value), dtype=float)
    except (TypeError, ValueError):
        return value


def _nulls_to_nan(value: Any) -> Any:
    if isinstance(value, list):
        return [_nulls_to_nan(v) for v in value]
    if value is None:
        return math.nan
    if isinstance(value, bool | str):
        raise TypeError("not numeric")
    return value
