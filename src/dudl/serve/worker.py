"""The run worker of ``dudl serve``: one process, off the server's event loop, that runs one experiment at a time.

The server (:class:`Runner`) keeps the queue and the finished results; the worker process (:func:`main`) only
runs what it is sent. Messages, all picklable tuples:

* server -> worker (``jobs``): ``(job, experiment_id, params)``, ``params`` the resolved parameters;
* worker -> server (``events``): ``("progress", job, done, total)`` in model-epochs, ``("drawing", job)``,
  ``("done", job, payload)`` (see :func:`render`), ``("error", job, message)``, ``("cancelled", job)``;
  the reader thread adds ``("died", pid, exitcode)`` when the process ends unasked (killed by the system).

A run is cancelled through a shared integer, the number of the job to stop, which the engine's cancel hook
reads every 0.2 s. A worker that has not stopped within :data:`CANCEL_GRACE_S` (a numpy experiment without
hooks, figures being drawn) is killed and a new one started.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
from collections.abc import Callable
from typing import Any

CANCEL_GRACE_S = 0.8  # a cancelled run that has not stopped by then is killed (so it stops within a second)


def render(result: Any) -> dict[str, Any]:
    """What the pages show of a finished Result, drawn once in the worker (display.py's pieces; the worker adds
    the trained models and the scrubber's surfaces, :mod:`dudl.serve.training`):

    * ``json``: Result.to_json(), the CLI's JSON; ``html``: display.result_html without figures;
    * ``figures``: [{name, caption, uri}] (PNG data URIs); ``summary``: the metrics summary rows;
    * ``changed``: the parameters that differ from the defaults; ``spread``: :func:`spread`.
    """
    from dudl import display

    drawn = result.figures()
    captions = display.captions(result, list(drawn))
    figures = [{"name": name, "caption": captions.get(name, name), "uri": display.figure_data_uri(figure)}
               for name, figure in drawn.items()]
    return {
        "json": result.to_json(),
        "html": display.result_html(result, figures=False),
        "figures": figures,
        "summary": [list(row) for row in display.summary_rows(result)],
        "changed": {name: _plain(value) for name, value in display.changed_params(result).items()},
        "spread": spread(result),
        "elapsed_s": result.elapsed_s,
    }


def spread(result: Any) -> list[dict[str, Any]]:
    """For a run with reps > 1: every metric with a value per repetition (:func:`dudl.frame.metric_axes`: the
    repetition axis first, no epochs axis), one number per repetition (the mean over its other axes, diverged
    values left out; None if all diverged) as {metric, values [reps], note}; empty for one repetition."""
    import numpy as np

    from dudl.frame import metric_axes

    reps = result.params.get("reps", 1)
    if not isinstance(reps, int) or reps < 2:
        return []
    out = []
    for name, axes in metric_axes(result.id).items():
        if name not in result.metrics or axes[:1] != ("reps",) or "epochs" in axes:
            continue
        rows = np.asarray(result.metrics[name], dtype=float).reshape(reps, -1)
        finite = np.isfinite(rows)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(finite, rows, 0).sum(axis=1) / finite.sum(axis=1)
        note = f"mean over {', '.join(axes[1:])} per repetition" if len(axes) > 1 else ""
        out.append({"metric": name, "values": [float(v) if np.isfinite(v) else None for v in means], "note": note})
    return out


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool | list | dict) or value is None else str(value)


def main(jobs: Any, events: Any, cancel_job: Any) -> None:
    """The worker process: run each job sent on ``jobs`` and report on ``events`` (see the module's doc).
    Ctrl-C reaches the server, which stops this process; the worker itself ignores SIGINT."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch  # noqa: F401 - imported once, before the first job, not during it

    import dudl
    from dudl import display  # noqa: F401 - matplotlib too
    from dudl.core import engine
    from dudl.core.blocks import Cancelled
    from dudl.serve import training

    while True:
        message = jobs.get()
        if message is None:
            return
        job, experiment_id, params = message

        def progress(done: int, total: int, job: int = job) -> None:
            events.put(("progress", job, int(done), int(total)))

        def cancel(job: int = job) -> bool:
            return cancel_job.value == job

        try:
            with engine.keep_trained() as kept:
                result = dudl.run(experiment_id, progress=progress, cancel=cancel, max_seconds=1e12, **params)
            events.put(("drawing", job))
            payload = {**render(result), "models": training.exports(kept), "scrub": training.scrub(kept)}
            del kept
        except Cancelled:
            events.put(("cancelled", job))
            continue
        except dudl.ParamError as error:
            events.put(("error", job, str(error)))
            continue
        except Exception as error:  # noqa: BLE001 - reported to the page in one line, never a traceback
            events.put(("error", job, f"the run failed: {type(error).__name__}: {error}"))
            continue
        events.put(("done", job, payload))


class Worker:
    """The worker process and its queues, seen from the server. ``on_event(message)`` is called in a reader
    thread for every message; :meth:`kill` ends a stuck run (the next :meth:`submit` starts a fresh process)."""

    def __init__(self, on_event: Callable[[tuple], None]) -> None:
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self.on_event = on_event
        self.cancel_job = self._context.Value("q", -1, lock=False)
        self.process: Any = None
        self.jobs: Any = None
        self.events: Any = None
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        self.start()

    def start(self) -> None:
        """Start a worker process (it imports dudl and torch once, before its first job)."""
        self.jobs, self.events = self._context.Queue(), self._context.Queue()
        self.process = self._context.Process(target=main, args=(self.jobs, self.events, self.cancel_job),
                                             name="dudl-serve-worker", daemon=True)
        self.process.start()
        self._reader = threading.Thread(target=self._read, args=(self.events, self.process), daemon=True)
        self._reader.start()

    def _read(self, events: Any, process: Any) -> None:
        while not self._stop.is_set():
            try:
                message = events.get(timeout=0.2)
            except queue.Empty:
                if process.is_alive():
                    continue
                message = ("died", process.pid, process.exitcode)
            except (EOFError, OSError, ValueError):  # the queue was closed by kill()
                return
            self.on_event(message)
            if message[0] == "died":
                return

    def submit(self, job: int, experiment_id: str, params: dict[str, Any]) -> None:
        """Send a job to the worker (restarting it first if it was killed)."""
        if not self.process.is_alive():
            self.start()
        self.jobs.put((job, experiment_id, params))

    def cancel(self, job: int) -> None:
        """Ask the running ``job`` to stop (the engine's cancel hook sees it within 0.2 s)."""
        self.cancel_job.value = job

    def kill(self) -> None:
        """End the worker process at once (a run that did not stop); the next submit starts another."""
        process = self.process
        process.kill()
        process.join(timeout=5)
        for channel in (self.jobs, self.events):
            with contextlib.suppress(Exception):
                channel.close()
                channel.cancel_join_thread()

    def close(self) -> None:
        """Stop the worker process and the reader thread."""
        self._stop.set()
        if self.process.is_alive():
            with contextlib.suppress(Exception):
                self.jobs.put(None)
            self.process.join(timeout=2)
            if self.process.is_alive():
                self.kill()
        if self._reader is not None:
            self._reader.join(timeout=1)

    @property
    def pid(self) -> int | None:
        """The worker process's id (for measuring its memory)."""
        return self.process.pid if self.process is not None else None
