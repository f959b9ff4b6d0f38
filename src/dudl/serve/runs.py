"""The run queue of ``dudl serve``: jobs, their states and the cache of finished results, on the event loop.

One :class:`~dudl.serve.worker.Worker` process runs one job at a time; the others wait in a queue and know
their position. A finished run is cached by (experiment id, resolved parameters, dudl version), so asking
for the same run again (a shared link, a second click) answers at once. Every change of a job wakes the
Server-Sent Events streams that watch it.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from dudl.serve.worker import CANCEL_GRACE_S, Worker

CACHE_SIZE = 32  # finished results kept (figures and exported models included, typically 0.1-2 MB each)
TERMINAL = ("done", "error", "cancelled")


def run_key(experiment_id: str, params: dict[str, Any], version: str) -> str:
    """The cache key of a run, a short hash of (id, resolved parameters, dudl version); also the run's id in
    URLs, so that the same run always has the same id."""
    text = json.dumps([experiment_id, params, version], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass
class Job:
    """One requested run. ``state``: queued, running, drawing, done, error or cancelled; ``position``: 1 for
    the next in the queue (0 once running); ``done``/``total``: model-epochs; ``message``: the error's line."""

    id: str
    number: int
    experiment_id: str
    params: dict[str, Any]
    state: str = "queued"
    position: int = 0
    done: int = 0
    total: int = 0
    message: str = ""
    payload: dict[str, Any] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def status(self) -> dict[str, Any]:
        """The job as the API shows it."""
        return {"run": self.id, "experiment": self.experiment_id, "state": self.state, "position": self.position,
                "done": self.done, "total": self.total, "message": self.message}

    def touch(self) -> None:
        """Wake whoever waits for a change of this job."""
        self.changed.set()
        self.changed = asyncio.Event()


class Runner:
    """Jobs, the queue, the worker and the cache; every method runs on the event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.jobs: dict[str, Job] = {}  # active and recently ended jobs, by run id
        self.cache: OrderedDict[str, Job] = OrderedDict()  # finished runs, by run id, least recent first
        self.queue: deque[Job] = deque()
        self.current: Job | None = None
        self._numbers = itertools.count(1)
        self.worker = Worker(lambda message: self.loop.call_soon_threadsafe(self._handle, message))

    def close(self) -> None:
        """Stop the worker process."""
        self.worker.close()

    # -- requests --------------------------------------------------------------------------------
    def find(self, run_id: str) -> Job | None:
        """The job (queued, running, ended or cached) with this run id."""
        job = self.cache.get(run_id) or self.jobs.get(run_id)
        if job is not None and job.id in self.cache:
            self.cache.move_to_end(job.id)
        return job

    def submit(self, run_id: str, experiment_id: str, params: dict[str, Any]) -> Job:
        """The job of this run: the cached one, the same run already queued or running, or a new queued one."""
        existing = self.find(run_id)
        if existing is not None and existing.state not in ("error", "cancelled"):
            return existing
        job = Job(run_id, next(self._numbers), experiment_id, params)
        self.jobs[run_id] = job
        self.queue.append(job)
        self._prune()
        self._dispatch()
        return job

    def cancel(self, job: Job) -> None:
        """Cancel a queued job at once, or ask the running one to stop (killed after CANCEL_GRACE_S)."""
        if job in self.queue:
            self.queue.remove(job)
            self._end(job, "cancelled")
            self._positions()
        elif job is self.current:
            self.worker.cancel(job.number)
            self.loop.call_later(CANCEL_GRACE_S, self._kill_if_running, job)

    # -- the worker's messages -------------------------------------------------------------------
    def _handle(self, message: tuple) -> None:
        kind, number = message[0], message[1]
        job = self.current
        if kind == "died":
            if job is not None and number == self.worker.pid:  # not a worker that kill() ended on purpose
                job.message = f"the worker process stopped (exit code {message[2]}); the run was lost"
                self._finish(job, "error")
            return
        if job is None or job.number != number:
            return  # a late message of a killed run
        if kind == "progress":
            job.done, job.total = message[2], message[3]
            job.touch()
        elif kind == "drawing":
            job.state = "drawing"
            job.touch()
        elif kind == "done":
            job.payload = message[2]
            self.cache[job.id] = job
            while len(self.cache) > CACHE_SIZE:
                self.cache.popitem(last=False)
            self._finish(job, "done")
        elif kind == "error":
            job.message = message[2]
            self._finish(job, "error")
        elif kind == "cancelled":
            self._finish(job, "cancelled")

    def _kill_if_running(self, job: Job) -> None:
        if self.current is job:
            self.worker.kill()
            self._finish(job, "cancelled")

    def _finish(self, job: Job, state: str) -> None:
        self.current = None
        self._end(job, state)
        self._dispatch()

    def _end(self, job: Job, state: str) -> None:
        job.state, job.position = state, 0
        job.touch()

    def _dispatch(self) -> None:
        if self.current is None and self.queue:
            job = self.queue.popleft()
            job.state = "running"
            self.current = job
            self.worker.submit(job.number, job.experiment_id, job.params)
            job.touch()
        self._positions()

    def _positions(self) -> None:
        for position, job in enumerate(self.queue, start=1):
            if job.position != position:
                job.position = position
                job.touch()

    def _prune(self, keep: int = 256) -> None:
        """Forget the oldest ended jobs beyond ``keep`` (cached results stay in the cache)."""
        ended = [run_id for run_id, job in self.jobs.items() if job.state in TERMINAL]
        for run_id in ended[:max(0, len(self.jobs) - keep)]:
            del self.jobs[run_id]
