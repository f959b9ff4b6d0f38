"""Compare runs of one experiment: what differs in their parameters, their main metrics side by side, and their
figures side by side. ``dudl.compare(a, b, ...)`` in Python and ``dudl compare DIR_A DIR_B`` in the terminal.
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dudl.params import ParamError
from dudl.result import Result

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from dudl.display import Figures


@dataclass
class Comparison:
    """Runs of one experiment side by side.

    ``params``: the parameters that differ (rows) by run (columns, named by ``labels``); ``metrics``: the metrics
    summary (:func:`dudl.display.summary_rows`: value, or mean [min, max]) by run, for the metrics every run has.
    """

    id: str
    labels: list[str]
    results: list[Result]
    params: pd.DataFrame
    metrics: pd.DataFrame

    def figures(self) -> Figures:
        """Every figure the runs share (name -> Figure): each run's version side by side, titled by its label."""
        from dudl import display

        drawn = [result.figures() for result in self.results]
        names = [name for name in drawn[0] if all(name in figures for figures in drawn)]
        return display.Figures({name: side_by_side([figures[name] for figures in drawn], self.labels)
                                for name in names}, drawn[0].captions)

    def __repr__(self) -> str:
        return (f"Comparison({self.id!r}, {len(self.results)} runs: {', '.join(self.labels)}; "
                f"{len(self.params)} parameters differ)")

    def _repr_html_(self) -> str:
        from dudl import display

        figures = self.figures()
        return (display.STYLE + f'<div class="dudl-result"><div class="dudl-head"><b>{html.escape(self.id)}</b>: '
                f"{len(self.results)} runs</div><p>Parameters that differ</p>{self.params.to_html()}"
                f"<p>Metrics</p>{self.metrics.to_html()}{display.figures_html(figures, figures.captions)}</div>")


def compare(*runs: Result | str | os.PathLike[str], labels: Sequence[str] | None = None) -> Comparison:
    """Compare two or more runs of one experiment: Results, or saved ones (a result.json, its folder, or
    ``runs/<id>`` for the latest run there). ``labels`` name the runs (default: the folders' names, or
    "run 1", "run 2", ... for Results). ParamError for fewer than two runs, runs of different experiments or a
    label count that does not match; :class:`dudl.ResultError` for a path that holds no valid result."""
    import pandas as pd

    from dudl import display

    if len(runs) < 2:
        raise ParamError(f"compare needs two runs or more, got {len(runs)}")
    results = [run if isinstance(run, Result) else Result.load(run) for run in runs]
    ids = sorted({result.id for result in results})
    if len(ids) > 1:
        raise ParamError(f"cannot compare runs of different experiments ({', '.join(ids)}); compare runs of one")
    if labels is None:
        labels = _labels(runs)
    elif len(labels) != len(results):
        raise ParamError(f"{len(labels)} labels for {len(results)} runs; give one label per run")
    labels = list(labels)
    names = [name for name in results[0].params if any(r.params[name] != results[0].params[name] for r in results)]
    params = pd.DataFrame({label: [display.short_value(r.params[name]) for name in names]
                           for label, r in zip(labels, results, strict=True)}, index=pd.Index(names, name="parameter"))
    summaries = [{row.metric: row.value for row in display.summary_rows(result)} for result in results]
    metric_names = [name for name in summaries[0] if all(name in summary for summary in summaries)]
    metrics = pd.DataFrame({label: [summary[name] for name in metric_names]
                            for label, summary in zip(labels, summaries, strict=True)},
                           index=pd.Index(metric_names, name="metric"))
    return Comparison(ids[0], labels, results, params, metrics)


def side_by_side(figures: Sequence[Figure], titles: Sequence[str]) -> Figure:
    """One figure that shows ``figures`` next to each other (as images, each at its own aspect), each titled."""
    import matplotlib.image

    from dudl.display import DisplayFigure, figure_png

    images = [matplotlib.image.imread(io.BytesIO(figure_png(figure))) for figure in figures]
    width = sum(figure.get_figwidth() for figure in figures)
    height = max(figure.get_figheight() for figure in figures) + 0.4
    combined = DisplayFigure(figsize=(width, height), layout="constrained")
    axes = combined.subplots(1, len(images), squeeze=False,
                             width_ratios=[figure.get_figwidth() for figure in figures])[0]
    for ax, image, title in zip(axes, images, titles, strict=True):
        ax.imshow(image)
        ax.set_axis_off()
        ax.set_title(title)
    return combined


def _labels(runs: Sequence[Any]) -> list[str]:
    """A label per run: a saved run's folder (its parent and name, e.g. "gd.1d/20261130-221500-3f2a9c"),
    or "run N" for a Result."""
    labels = []
    for number, run in enumerate(runs, start=1):
        if isinstance(run, Result):
            labels.append(f"run {number}")
            continue
        path = Path(run).resolve()
        folder = path.parent if path.name == "result.json" else path
        labels.append(f"{folder.parent.name}/{folder.name}" if folder.parent.name else folder.name)
    if len(set(labels)) < len(labels):  # the same folder name twice: number them
        labels = [f"{label} ({number})" for number, label in enumerate(labels, start=1)]
    return labels
