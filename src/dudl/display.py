"""How a Result looks: the one renderer that every face (the CLI, Jupyter, the report, ``dudl serve``) uses.

Formatting only, from the Result alone:

* :func:`changed_params`: the parameters that differ from the experiment's defaults;
* :func:`summary_rows`: the metrics summary, only for the metrics a summary means something for
  (accuracies, losses, fractions, correlations, final values; not indices, shapes, sweep axes or curves);
* :func:`printed_pairs`: our printed lines (bare values labelled, long values shortened) and the course's;
* :func:`captions`: one line per figure saying what to look for;
* :func:`figure_png`, :func:`figure_data_uri`: a figure as PNG bytes or as a ``data:`` URI;
* :func:`result_html`: a self-contained HTML fragment (CSS classes prefixed ``dudl-``, images inline), which
  is what ``Result._repr_html_`` returns and what the report and ``dudl serve`` embed;
* :class:`Figures`, :class:`DisplayFigure`: a mapping of figures and a Figure that show themselves in Jupyter
  without ``%matplotlib``; :func:`show` opens them in pyplot windows in a plain Python session.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure

from dudl import catalog
from dudl.params import ParamError

if TYPE_CHECKING:
    from dudl.result import Result

LONG_VALUE = 12  # a value printed over more lines than this is shortened (unless full=True)


class DisplayFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in Jupyter (no ``%matplotlib`` magic needed).

    The lectures draw their figures without pyplot, so IPython's inline backend never sees them; this
    class gives them their own ``_repr_png_``.
    """

    def _repr_png_(self) -> bytes:
        return figure_png(self)


class Figures(dict):
    """name -> Figure, as :meth:`dudl.Result.figures` returns them; in Jupyter every figure shows with its
    name and caption (:func:`figures_html`)."""

    def __init__(self, figures: Mapping[str, Figure], captions: Mapping[str, str] | None = None) -> None:
        super().__init__(figures)
        self.captions = dict(captions or {})

    def _repr_html_(self) -> str:
        return STYLE + f'<div class="dudl-result">{figures_html(self, self.captions)}</div>'

    def show(self) -> None:
        """Open every figure in a pyplot window (see :func:`show`)."""
        show(self)


class SummaryRow(NamedTuple):
    """One row of the metrics summary: the metric, its shape ("scalar", "50x40"), its value or
    "mean [min, max]", and how many values are not finite ("3 (diverged)", or "")."""

    metric: str
    shape: str
    value: str
    nonfinite: str


SUMMARY_HEADER = ("metric", "shape", "value / mean [min, max]", "non-finite")


# -- parameters ------------------------------------------------------------------------------------
def changed_params(result: Result) -> dict[str, Any]:
    """The parameters of ``result`` whose value differs from the experiment's default (name -> value)."""
    defaults = catalog.resolve(result.id, {}).to_dict()
    return {name: value for name, value in result.params.items() if defaults.get(name) != value}


def params_text(params: Mapping[str, Any], limit: int = 60) -> str:
    """``name=value`` pairs, comma separated, each value cut to ``limit`` characters."""
    return ", ".join(f"{name}={short_value(value, limit)}" for name, value in params.items())


# -- metrics summary -------------------------------------------------------------------------------
_SUMMARISED = re.compile(r"accuracy|loss|fraction|correlation|minimum|maximum|error|difference|mean|variance|"
                         r"entropy")
_NOT_SUMMARISED = re.compile(r"_by_epoch$|losses$|trajector|gradients|index|indices|arg|shape|_rows$|"
                             r"predictions$|probabilities$|outputs$|surface|^n_")


def summarised(experiment_id: str, name: str, value: Any) -> bool:
    """Whether a summary of metric ``name`` of ``experiment_id`` means something: a value per trained model or
    repetition (the metrics :mod:`dudl.frame` tabulates: accuracies, losses, correlations, final values, test
    statistics), a number of the run, or an array named as an accuracy, loss, fraction or mean; not an index,
    a shape, a count of rows, a sweep axis, a data sample or a curve over epochs."""
    from dudl.frame import metric_axes

    axes = metric_axes(experiment_id).get(name)
    if axes is not None and "epochs" not in axes:
        return _numeric(value) is not None
    if name in _sweep_axes(experiment_id) or _NOT_SUMMARISED.search(name):
        return False
    array = _numeric(value)
    if array is None:
        return False
    return array.ndim == 0 or (array.dtype.kind != "b" and bool(_SUMMARISED.search(name)))


def summary_rows(result: Result) -> list[SummaryRow]:
    """The metrics summary of ``result``: one :class:`SummaryRow` per metric that :func:`summarised` accepts,
    in the order of the metrics. Non-finite values (divergence) are counted, so a diverged run says so; true/false
    values are counted ("2 of 3 true")."""
    rows = []
    for name, value in result.metrics.items():
        if not summarised(result.id, name, value):
            continue
        array = _numeric(value)
        shape = "x".join(str(n) for n in array.shape) or "scalar"
        if array.dtype.kind == "b":
            text = str(bool(array)).lower() if array.ndim == 0 else f"{int(array.sum())} of {array.size} true"
            rows.append(SummaryRow(name, shape, text, ""))
            continue
        numbers = array.astype(float)
        finite = numbers[np.isfinite(numbers)]
        if numbers.size == 1:
            text = f"{numbers.item():.6g}"
        elif finite.size:
            with np.errstate(over="ignore"):  # the sum of values near the float limit may overflow: then "inf"
                mean = float(finite.mean(dtype=np.longdouble))  # x86's 80 bits: the mean of values up to 1e308
            text = f"{mean:.4g} [{finite.min():.4g}, {finite.max():.4g}]"
        else:
            text = "all non-finite"
        nonfinite = int(numbers.size - finite.size)
        rows.append(SummaryRow(name, shape, text, f"{nonfinite} (diverged)" if nonfinite else ""))
    return rows


# -- printed lines ---------------------------------------------------------------------------------
_BARE_VALUE = re.compile(r"(tensor|array)\(.*\)|\[[-+0-9.eE,\s\[\]]*\]|[-+]?[0-9.]+(e[-+]?[0-9]+)?%?|"
                         r"[-+]?(nan|inf)|\[(tensor\([^()]*\),?\s*)+\]", re.S)
_NUMBER = re.compile(r"(?<![\w.])[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?|\bnan\b|\binf\b")


_MATRIX_PRINTS = {"numpy": ("nv", "nv.T", "nv.T.T", "nM", "nM.T", "nM.T.T"),
                  "torch": ("tv", "tv.T", "tv.T.T", "tM", "tM.T", "tM.T.T")}


def _random_seed_labels(result: Result) -> tuple[str, ...]:
    seeded = ("np.random.seed: first draw", "np.random.seed: second draw, not a repeat") \
        if result.params.get("seed_global") else ()
    return ("an unseeded draw: new numbers every run", *seeded, "generator R1: repeats the seeded numbers",
            "generator R2: its own numbers", "R1 again", "R2 again", "the global numpy generator again",
            "PyTorch unseeded", "PyTorch after torch.manual_seed", "numpy again: seeding PyTorch leaves it alone")


def _success(result: Result) -> str:
    return f"share of learning rates whose accuracy is above {result.params['success_threshold']:g}%"


# experiment id -> what each bare value it prints is, in the order printed (a function of the Result where the
# printed values depend on the parameters). Experiments whose bare values follow a line naming them have none.
LABELS: dict[str, tuple[str, ...] | Callable[[Result], tuple[str, ...]]] = {
    "math.transpose": tuple(f"{name} ({library})" for library, names in _MATRIX_PRINTS.items() for name in names),
    "math.dot-product": ("np.dot(v1, v2)", "np.sum(v1*v2)", "torch.dot(tv1, tv2)", "torch.sum(tv1*tv2)"),
    "math.softmax": ("softmax of z by hand", "its sum: 1", "random integers z", "nn.Softmax of z (PyTorch)"),
    "math.entropy": ("binary cross-entropy by PyTorch: the same as by hand",),
    "math.argmin": ("the matrix M", "min of M", "min of each column (axis=0)", "min of each row (axis=1)",
                    "the matrix M", "argmin of M: a flat index", "argmin of each column: the row of its min",
                    "argmin of each row: the column of its min", "the matrix M (PyTorch)", "torch.min(M)",
                    "min of each column: .values", "their rows: .indices"),
    "math.mean-variance": ("np.mean(x)", "sum(x)/n: the same", "np.var(x): divides by n (ddof=0)",
                           "the formula: divides by n-1", "np.var(x, ddof=1): divides by n-1", "the formula again",
                           "large sample: np.var, ddof=0", "large sample: ddof=1, almost the same"),
    "math.sampling": ("the population mean", "the mean of one small sample: it can miss"),
    "math.random-seed": _random_seed_labels,
    "math.t-test": ("t: the t statistic", "p: the p-value"),
    "gd.1d": ("the start", "where gradient descent ended: the local minimum"),
    "gd.2d": ("the derivative along x at (1, 1)", "where gradient descent ended", "the start"),
    "gd.start-value": ("where gradient descent ended",),
    "ann.regression": ("the final loss (mean squared error)",),
    "ann.iris": ("the true species (0, 1, 2) of the 150 flowers", "the predicted species",
                 "softmax outputs summed for each flower: 1"),
    "ann.qwerties-3class": ("softmax outputs summed for each point: 1",),
    "ann.learning-rates": lambda result: (_success(result),),
    "ann.multilayer": lambda result: ("accuracy (%) at each learning rate", _success(result)),
    "ann.seq2class": lambda result: (_success(result),),
    "overfit.sklearn": ("the fake data", "the training rows (a random 80%)", "the test rows"),
    "overfit.dataloader": ("the fake data", "the batch size a DataLoader takes by default"),
}


def labels(result: Result) -> tuple[str, ...]:
    """What each bare value that ``result`` prints is (:data:`LABELS`), in order; empty where none is needed."""
    known = LABELS.get(result.id, ())
    return known(result) if callable(known) else known


def is_bare_value(text: str) -> bool:
    """Whether printed text is a value without words (``[1.404]``, ``tensor(0.5750)``, ``0.25``, a numpy matrix
    over several lines): no label says what it is."""
    text = " ".join(text.split())
    return bool(_BARE_VALUE.fullmatch(text)) and bool(re.search(r"\d|\bnan\b|\binf\b", text))


def printed_values(lines: list[str]) -> list[tuple[int, int]]:
    """The printed ``lines`` grouped into values: (start, end) line ranges, where a value spans the lines from
    one that opens a bracket until the one that closes it (a matrix or a long tensor), else one line."""
    groups, start, depth = [], 0, 0
    for number, line in enumerate(lines):
        depth += sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
        if depth <= 0:
            groups.append((start, number + 1))
            start, depth = number + 1, 0
    if start < len(lines):
        groups.append((start, len(lines)))
    return groups


def printed_pairs(result: Result, *, full: bool = False) -> tuple[list[str], list[str]]:
    """(our printed lines, the course's printed lines).

    Our lines are the lecture's :meth:`~dudl.Result.printed`, with two changes for a reader. A bare value (a
    value without words, as the course printed it) gets a short label after it, ``  # what it is``, from
    :data:`LABELS` in the order the bare values appear. Unless ``full``, a value printed over more than
    ``LONG_VALUE`` lines (150 per-sample sums) keeps its first and last lines and says how many numbers it holds.
    """
    lines = result.printed()
    names = iter(labels(result))
    ours: list[str] = []
    for start, end in printed_values(lines):
        value = lines[start:end]
        if not is_bare_value("\n".join(value)):
            ours += value
            continue
        label = next(names, "")
        if not full and len(value) > LONG_VALUE:
            numbers = sum(len(_NUMBER.findall(line.replace("tensor", ""))) for line in value)
            value = [*value[:2], f"        ... ({numbers} numbers in all; --full or full=True prints them)", value[-1]]
        ours += [*value[:-1], f"{value[-1]}  # {label}" if label else value[-1]]
    course = _module(result.id).COURSE_OUTPUT.strip("\n").splitlines()
    return ours, course


# -- figures ---------------------------------------------------------------------------------------
def figure_png(figure: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes, at ``dpi`` dots per inch."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def figure_data_uri(figure: Figure, dpi: int = 100) -> str:
    """The figure as a ``data:image/png;base64,...`` URI, for an HTML page that holds its images."""
    return "data:image/png;base64," + base64.b64encode(figure_png(figure, dpi)).decode("ascii")


def captions(result: Result, names: list[str] | None = None) -> dict[str, str]:
    """One line per figure (name -> caption) saying what to look for: the lecture's ``CAPTIONS``, or the
    figure's name where it has none. ``names``: the figures' names (default: drawn from the result)."""
    known = getattr(_module(result.id), "CAPTIONS", {})
    if names is None:
        names = list(known)
    return {name: known.get(name, name) for name in names}


def figures_html(figures: Mapping[str, Figure], captions: Mapping[str, str]) -> str:
    """Every figure as an inline image in one column, each with its name and caption below it."""
    esc = html.escape
    items = []
    for name, figure in figures.items():
        caption = captions.get(name, "")
        text = f"<b>{esc(name)}</b>" + (f": {esc(caption)}" if caption and caption != name else "")
        items.append(f'<figure class="dudl-figure"><img src="{figure_data_uri(figure)}" alt="{esc(name)}">'
                     f"<figcaption>{text}</figcaption></figure>")
    return f'<div class="dudl-figures">{"".join(items)}</div>'


def show(figures: Mapping[str, Figure]) -> None:
    """Open each figure in its own pyplot window (titled by its name) and block until they are closed, as
    ``plt.show()`` does; under a non-interactive backend (Agg) the figures are only registered with pyplot."""
    import matplotlib.pyplot as plt

    for name, figure in figures.items():
        plt.figure(figure)  # pyplot takes over a figure made without it (matplotlib >= 3.10)
        figure.canvas.manager.set_window_title(name)
    plt.show()


# -- the whole result --------------------------------------------------------------------------------
STYLE = """<style>
.dudl-result { font-family: system-ui, sans-serif; max-width: 1100px; }
.dudl-result .dudl-muted { color: #777; }
.dudl-result table { border-collapse: collapse; font-size: 0.9em; margin: 0.4em 0; }
.dudl-result td, .dudl-result th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; vertical-align: top; }
.dudl-result .dudl-side { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }
.dudl-result pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: 0.5em;
  font-size: 0.85em; margin: 0; }
.dudl-result .dudl-note { background: #fff8e0; border-left: 4px solid #e0b000; padding: 0.4em 0.8em; }
.dudl-result .dudl-figures { display: flex; flex-direction: column; gap: 1em; }
.dudl-result .dudl-figure { margin: 0; }
.dudl-result .dudl-figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
.dudl-result figcaption { font-size: 0.9em; color: #444; }
</style>"""


def result_html(result: Result, *, figures: bool = True) -> str:
    """A self-contained HTML fragment: id and course lecture, the changed parameters, what to look for (the
    lecture's ``LOOK_FOR``) and its ``NOTES``, our printed lines next to the course's, the metrics summary and
    (``figures``) every figure inline with its caption, in one column."""
    esc = html.escape
    item = catalog.entry(result.id)
    module = item.load()
    changed = changed_params(result)
    params = (", ".join(f"<code>{esc(k)}={esc(short_value(v, 80))}</code>" for k, v in changed.items())
              if changed else "the course's defaults")
    ours, course = printed_pairs(result)
    rows = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in summary_rows(result))
    header = "".join(f"<th>{esc(cell)}</th>" for cell in SUMMARY_HEADER)
    metrics = f'<table class="dudl-metrics"><tr>{header}</tr>{rows}</table>' if rows else ""
    notes, look_for = getattr(module, "NOTES", ""), getattr(module, "LOOK_FOR", "")
    body = [
        f'<div class="dudl-head"><b>{esc(result.id)}</b>: {esc(item.purpose)}. <span class="dudl-muted">'
        f"Reproduces {esc(item.lecture)}; computed in {result.elapsed_s:.3g} s.</span></div>",
        f"<p>Parameters: {params}</p>",
        f"<p><b>What to look for.</b> {esc(look_for)}</p>" if look_for else "",
        f'<p class="dudl-note">{esc(notes)}</p>' if notes else "",
        '<div class="dudl-side">'
        f"<div><b>dudl printed</b><pre>{esc(chr(10).join(ours)) or '(nothing)'}</pre></div>"
        f"<div><b>the course printed</b><pre>{esc(chr(10).join(course)) or '(nothing)'}</pre></div></div>",
        metrics,
    ]
    if figures:
        drawn = result.figures()
        body.append(figures_html(drawn, captions(result, list(drawn))))
    return STYLE + f'<div class="dudl-result">{"".join(body)}</div>'


def short_repr(result: Result) -> str:
    """One short line: the id, seed and reps, the changed parameters, how many metrics, the time."""
    try:
        changed = {k: v for k, v in changed_params(result).items() if k not in ("seed", "reps")}
    except ParamError:  # an unknown id or invalid params (a Result built by hand): a repr must not fail
        changed = {}
    parts = [repr(result.id)] + [f"{k}={result.params[k]}" for k in ("seed", "reps") if k in result.params]
    if changed:
        parts.append(short_value(params_text(changed, 20), 80))
    return f"Result({', '.join(parts)}; {len(result.metrics)} metrics, {result.elapsed_s:.3g} s)"


# -- helpers -------------------------------------------------------------------------------------------
def _module(experiment_id: str) -> Any:
    return catalog.entry(experiment_id).load()


def _sweep_axes(experiment_id: str) -> set[str]:
    """The names of the experiment's sweep-axis parameters (echoed in its metrics)."""
    import dataclasses

    return {f.name for f in dataclasses.fields(_module(experiment_id).Params) if f.metadata.get("shown")}


def _numeric(value: Any) -> np.ndarray | None:
    """``value`` as a numeric or bool array, or None if it is text, ragged or mixed."""
    if isinstance(value, str | dict) or value is None:
        return None
    try:
        array = np.asarray(value)
    except ValueError:  # ragged
        return None
    return array if array.dtype.kind in "biuf" else None


def short_value(value: Any, limit: int = 60) -> str:
    """``value`` as text (JSON for anything but a string: ``null``, ``true``, ``[1, 2]``) of at most ``limit``
    characters; a long list as its length ("[40 values]")."""
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > limit and isinstance(value, list | tuple):
        return f"[{len(value)} values]"
    return text if len(text) <= limit else text[:limit - 3] + "..."

