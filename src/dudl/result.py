"""Result: what one run of an experiment produced, and its JSON round trip.

A Result holds the experiment ``id``, every resolved parameter (``seed`` and ``reps`` included), the named ``metrics``
(numpy arrays, numbers, strings or ragged lists), the seconds of computation and the dudl version. Figures and printed
lines are drawn from the Result alone, so a saved result can be loaded and re-plotted. In JSON, a metric's NaN and
+/-inf are written as ``null`` (docs/spec/experiments.md#units-shapes-and-names); loading turns a numeric array's nulls
back into NaN. A parameter that accepts an infinity keeps it as the string ``"Infinity"`` or ``"-Infinity"`` (JSON has
no number for it; ``--param name=Infinity`` reads it back), so a reloaded result describes the same run.

:meth:`Result.load` checks what it reads and raises :class:`ResultError` with a one-line message.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import math
import os
import secrets
import typing
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dudl import catalog
from dudl.errors import FigureError, ParamError, ResultError
from dudl.params import coerce
from dudl.saving import is_leftover, remove_leftovers, staged_folder, write_text

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from dudl.display import Figures, SummaryRow

_KEYS = ("id", "params", "metrics", "elapsed_s", "dudl_version")
_INFINITY_TEXT = {math.inf: "Infinity", -math.inf: "-Infinity"}
_MAX_NESTING = 16  # lists within lists of a metric: a metric has a few axes ([reps, sweep axes..., epochs])


@dataclass
class Result:
    """The outcome of one run: ``id``, ``params``, ``metrics``, ``elapsed_s``, ``dudl_version``."""

    id: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    elapsed_s: float
    dudl_version: str

    # -- views -----------------------------------------------------------------------------------
    def figures(self) -> Figures:
        """The experiment's figures (name -> matplotlib Figure), drawn from this Result alone; in Jupyter the
        mapping shows every figure with its name and caption, and each figure shows as an image."""
        from dudl import display

        drawn = catalog.entry(self.id).load().figures(self)
        return display.Figures(drawn, display.captions(self, list(drawn)))

    def show(self) -> None:
        """Open every figure in a pyplot window (a plain Python session; in Jupyter, display the Result)."""
        self.figures().show()

    def frame(self, *, epochs: bool = False) -> pd.DataFrame:
        """The metrics as a tidy pandas DataFrame (see :func:`dudl.frame.frame`): one row per (repetition,
        sweep cell), or with ``epochs`` per (repetition, sweep cell, epoch), the sweep axes as columns."""
        from dudl.frame import frame

        return frame(self, epochs=epochs)

    def __repr__(self) -> str:
        from dudl import display

        return display.short_repr(self)

    def _repr_html_(self) -> str:
        from dudl import display

        return display.result_html(self)

    def printed(self) -> list[str]:
        """The lines the course printed, with this run's values."""
        return catalog.entry(self.id).load().printed(self)

    def metric(self, name: str) -> np.ndarray:
        """A metric as a float array (nulls as NaN)."""
        return np.asarray(self.metrics[name], dtype=float)

    def summary_rows(self) -> list[SummaryRow]:
        """The metrics summary (:func:`dudl.display.summary_rows`): (metric, shape, value or "mean [min, max]",
        non-finite count), only for the metrics a summary means something for."""
        from dudl import display

        return display.summary_rows(self)

    # -- JSON -------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON object: top-level keys id, params, metrics, elapsed_s, dudl_version."""
        return {
            "id": self.id,
            "params": _jsonable(self.params, keep_infinity=True),
            "metrics": {name: _jsonable(value) for name, value in self.metrics.items()},
            "elapsed_s": self.elapsed_s,
            "dudl_version": self.dudl_version,
        }

    def to_json(self) -> str:
        """The result as JSON text (NaN/inf as null); deterministic for the same values."""
        return json.dumps(self.to_dict(), allow_nan=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Rebuild a Result from its JSON object (unchecked; see :meth:`load`): rectangular numeric lists become
        numpy arrays, and "Infinity"/"-Infinity" become floats in the params that take a number."""
        return cls(
            id=data["id"],
            params=_decoded_params(data["id"], data["params"]),
            metrics={name: _from_json(value) for name, value in data["metrics"].items()},
            elapsed_s=data["elapsed_s"],
            dudl_version=data["dudl_version"],
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Result:
        """Load ``result.json``, a folder holding it, or a folder of kept runs (``runs/<id>``: its ``latest``), checked:
        raises :class:`ResultError` unless it is a
        complete result of a known experiment whose params are valid for it and whose metrics it can show.
        """
        file = _result_file(Path(path))
        try:
            result = cls.from_dict(_checked(_parse(file.read_bytes())))
            if is_leftover(file.parent.name, result.id) or is_leftover(file.parent.name):
                raise ResultError("the folder of an unfinished save (a run killed while saving), not a result")
            try:
                result.printed()  # the lecture's own reading of its metrics: a missing or misshapen one fails here
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
                what = f"metric {error} is missing" if isinstance(error, KeyError) else " ".join(str(error).split())
                raise ResultError(f"its metrics do not fit {result.id} ({what})") from None
        except ResultError as error:
            raise ResultError(f"{file}: {error}") from None
        except OSError as error:
            raise ResultError(f"cannot read {file} ({error.strerror or error})") from None
        except RecursionError:
            raise ResultError(f"{file}: nested too deeply to be a dudl result") from None
        return result

    def save(self, out_dir: str | os.PathLike[str], *, figures: bool = True, keep_previous: bool = False) -> Path:
        """Write ``out_dir/<id>/result.json`` and one PNG per figure, atomically; returns the folder.

        Everything is written into a staging folder beside the target first and renamed into place at the
        end (see :mod:`dudl.saving`): an error or a signal leaves the previous result or nothing, concurrent
        saves leave the last one, and modes follow the umask.

        ``keep_previous``: write a new folder ``out_dir/<id>/<UTC time>-<hash of the JSON>/`` for this run
        instead (``20261130-221500-3f2a9c``) and point ``out_dir/<id>/latest`` at it, so that runs do not
        overwrite each other; :meth:`load` reads ``out_dir/<id>`` as its latest run.
        """
        out_dir = Path(out_dir)
        text = self.to_json()
        parent, name = (out_dir / self.id, _run_name(text)) if keep_previous else (out_dir, self.id)
        if keep_previous:
            remove_leftovers(parent)  # of earlier runs killed while saving: each run has a name of its own
        failure = None
        try:
            with staged_folder(parent, name) as staging:
                (staging / "result.json").write_text(text, encoding="utf-8")
                if figures:
                    failure = self._save_figures(staging)
        finally:  # also when a signal held during the rename comes after it: the run is saved whole
            if keep_previous and (parent / name).is_dir():
                _point_latest(parent, name)
        if failure is not None:
            raise FigureError(f"{self.id}: the result is saved in {parent / name}, but its figures could not be "
                              f"drawn ({failure})")
        return parent / name

    def _save_figures(self, folder: Path) -> str | None:
        """Draw every figure into ``folder`` as PNG. A figure that fails to draw is returned as text rather than
        raised, so that the computed result is kept; a failed write (OSError) is raised."""
        with warnings.catch_warnings():
            # axes that span nearly the whole float range (e.g. x_max=1e308) overflow in matplotlib's
            # tick arithmetic; the figure is drawn all the same
            warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning, r"matplotlib\.")
            try:
                for figure_name, figure in self.figures().items():
                    figure.savefig(folder / f"{figure_name}.png", dpi=100)
                    _close(figure)
            except OSError:
                raise
            except Exception as error:  # a bug in a figure must not throw the computed result away
                return f"{type(error).__name__}: {' '.join(str(error).split())}"
        return None



def _run_name(result_json: str) -> str:
    """The folder name of a kept run: the UTC time, then 6 hex digits of the result JSON's hash (two runs saved in
    the same second differ)."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{hashlib.sha256(result_json.encode()).hexdigest()[:6]}"


LATEST = "latest"  # in a folder of kept runs: a symlink to the newest run's folder (or a file holding its name)


def _point_latest(folder: Path, name: str) -> None:
    """Point ``folder/latest`` at ``folder/name``: a relative symlink that replaces the previous one atomically
    or, on a file system without symlinks, a small file holding ``name``."""
    temporary = folder / f".{LATEST}.tmp-{secrets.token_hex(6)}"
    try:
        os.symlink(name, temporary, target_is_directory=True)
    except OSError:
        write_text(folder / LATEST, name + "\n")
        return
    os.replace(temporary, folder / LATEST)


def _result_file(path: Path) -> Path:
    """The result.json that ``path`` names: itself, the one in the folder, or that of the folder's latest run."""
    if not path.is_dir() or (path / "result.json").exists():
        return path / "result.json" if path.is_dir() else path
    latest = path / LATEST
    if latest.is_dir():
        return latest / "result.json"
    if latest.is_file():
        return path / latest.read_text(encoding="utf-8").strip() / "result.json"
    raise ResultError(f"{path}: no result here (neither a result.json nor a {LATEST} run)")


def _close(figure: Figure) -> None:
    import matplotlib.pyplot as plt

    plt.close(figure)


def _jsonable(value: Any, *, keep_infinity: bool = False) -> Any:
    """numpy arrays and scalars -> lists and Python numbers; NaN -> None, and +/-inf -> None or, with
    ``keep_infinity``, the strings "Infinity"/"-Infinity"."""
    if isinstance(value, np.ndarray | np.generic) or hasattr(value, "tolist"):  # hasattr: a torch tensor
        return _jsonable(value.tolist(), keep_infinity=keep_infinity)
    if isinstance(value, dict):
        return {str(k): _jsonable(v, keep_infinity=keep_infinity) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, keep_infinity=keep_infinity) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return _INFINITY_TEXT.get(value) if keep_infinity else None
    return value


def _decoded_params(experiment_id: Any, params: Any) -> Any:
    """``params`` with "Infinity"/"-Infinity" turned back into floats where the parameter's type takes a
    number (a string parameter keeps the text); unchanged when nothing is encoded or the id is unknown."""
    if not isinstance(params, dict) or not any(_infinity_floats(v) is not v for v in params.values()):
        return params
    try:
        hints = typing.get_type_hints(catalog.entry(experiment_id).load().Params)
    except ParamError:
        return params
    decoded = {}
    for name, value in params.items():
        floats = _infinity_floats(value)
        if floats is not value and name in hints:
            try:
                coerce(floats, hints[name], name)
                value = floats
            except ParamError:
                pass
        decoded[name] = value
    return decoded


def _infinity_floats(value: Any) -> Any:
    """``value`` with the strings "Infinity"/"-Infinity" (in lists too) as floats; the same object if none."""
    if isinstance(value, str):
        return float(value) if value in _INFINITY_TEXT.values() else value
    if isinstance(value, list):
        items = [_infinity_floats(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def _parse(raw: bytes) -> Any:
    """The JSON value of a file's bytes; ResultError if they are not UTF-8 or not standard JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ResultError(f"not UTF-8 text (byte {error.start} is {raw[error.start]:#04x})") from None
    if not text.strip():
        raise ResultError("the file is empty")

    def reject(token: str) -> None:
        raise ResultError(f"{token} is not a JSON value (a saved result writes null for a non-finite metric)")

    try:
        return json.loads(text, parse_constant=reject)
    except json.JSONDecodeError as error:
        if error.pos >= len(text.rstrip()):
            raise ResultError(f"the JSON ends early at line {error.lineno} (a truncated file?)") from None
        raise ResultError(f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None


def _checked(data: Any) -> dict[str, Any]:
    """``data`` with its params resolved, if it is a saved Result's JSON object; else ResultError.

    Checks the keys and their types, that the id is a known experiment, that the params are exactly that
    experiment's and valid for it (re-resolved), and that each sweep axis in the metrics matches its param.
    """

    if not isinstance(data, dict):
        raise ResultError(f"a result is a JSON object, not {_json_type(data)}")
    for key in _KEYS:
        if key not in data:
            raise ResultError(f"the key {key!r} is missing (a result has {', '.join(_KEYS)})")
    for key in data:
        if key not in _KEYS:
            raise ResultError(f"unknown key {key!r} (a result has {', '.join(_KEYS)})")
    expected = {"id": str, "params": dict, "metrics": dict, "elapsed_s": float, "dudl_version": str}
    for key, kind in expected.items():
        value = data[key]
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not (is_number if kind is float else isinstance(value, kind)):
            raise ResultError(f"{key!r} must be a JSON {_json_type(kind())}, not {_json_type(value)}")
    if not math.isfinite(data["elapsed_s"]) or data["elapsed_s"] < 0:
        raise ResultError(f"'elapsed_s' must be a number of seconds >= 0, got {data['elapsed_s']}")
    for name, value in data["metrics"].items():
        if _nested_deeper_than(value, _MAX_NESTING):
            raise ResultError(f"metric {name!r} is nested more than {_MAX_NESTING} lists deep")
    try:
        params_type = catalog.entry(data["id"]).load().Params
    except ParamError as error:
        raise ResultError(str(error)) from None
    fields = dataclasses.fields(params_type)
    missing = [f.name for f in fields if f.name not in data["params"]]
    if missing:
        raise ResultError(f"params lack {missing[0]!r} (a result of {data['id']} records every parameter)")
    try:
        resolved = catalog.resolve(data["id"], _decoded_params(data["id"], data["params"]))
    except ParamError as error:
        raise ResultError(f"params not valid for {data['id']}: {error}") from None
    for field in fields:
        if field.metadata.get("shown") and field.name in data["metrics"]:  # a sweep axis, echoed in the metrics
            axis = np.asarray(getattr(resolved, field.name), dtype=float)
            try:
                echoed = np.asarray(data["metrics"][field.name], dtype=float)  # null -> NaN, as +/-inf are saved
                same = echoed.shape == axis.shape and np.allclose(
                    echoed, np.where(np.isfinite(axis), axis, np.nan), rtol=1e-12, atol=0, equal_nan=True)
            except (TypeError, ValueError):
                same = False
            if not same:
                raise ResultError(f"metric {field.name!r} is not the sweep axis of params.{field.name}")
    return {**data, "params": resolved.to_dict()}


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` holds lists (or objects) more than ``limit`` deep; walks level by level, no recursion."""
    level = [value]
    for _ in range(limit + 1):
        level = [item for v in level if isinstance(v, list | dict)
                 for item in (v.values() if isinstance(v, dict) else v)]
        if not level:
            return False
    return True


def _json_type(value: Any) -> str:
    for kind, name in ((bool, "boolean"), (int | float, "number"), (str, "string"), (list, "array"),
                       (dict, "object")):
        if isinstance(value, kind):
            return name
    return "null"


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
