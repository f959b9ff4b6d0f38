"""Progress bars for runs longer than about a second: rich's bar with an ETA on a terminal, and the same bar in
a Jupyter notebook (rich renders it there as a widget). Nothing is shown where neither is (a pipe, a log).

A :class:`Bar` is the ``progress(done, total)`` callback of :func:`dudl.registry.run` (model-epochs of the
current experiment). ``dudl report`` has its own bar over the experiments, with this one inside it.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from dudl.core import blocks

# a run shows its bar only once it has lasted this long (seconds)
DELAY_S = 1.0


class Bar:
    """A context manager and a ``progress(done, total)`` callback: a bar "experiment (models x epochs)" with
    the time left, shown once the run has lasted ``DELAY_S`` and removed at the end."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal or self.console.is_jupyter
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._experiment = ""
        self._start = time.monotonic()

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _show(self) -> Progress:
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
        progress = Progress(*columns, console=self.console, transient=True)
        self._task = progress.add_task(self._experiment, total=None)
        progress.start()
        return progress

    def __call__(self, done: int, total: int) -> None:
        """The current experiment's model-epochs ``done`` of ``total`` (shown after ``DELAY_S``)."""
        context = blocks.current()
        if context is not None and context.experiment_id:
            self._experiment = context.experiment_id
        if not self.enabled or time.monotonic() - self._start < DELAY_S:
            return
        if self._progress is None:
            self._progress = self._show()
        self._progress.update(self._task, completed=done, total=total or None,
                              description=f"{self._experiment} (models x epochs)")
