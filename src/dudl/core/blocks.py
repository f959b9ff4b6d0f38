"""Blocks: the independent pieces a sweep is trained in, and how they run (executor, cache, progress, cancel).

A block is a set of models of one padded architecture (see :func:`dudl.core.engine.padded_architecture`)
with everything they need: it is a pure function of its task (the models' data, keys, learning rates and
the training settings, all derived from the experiment id, the resolved parameters and the model indices)
and returns arrays. A model's numbers do not depend on which block it is in, so blocks can be sized,
cached and sent anywhere.

:func:`execute` runs a list of blocks: from the cache where a finished block is stored, the others in this
process (``executor`` None: Python threads, with progress inside each block and a cancel check every few
hundred milliseconds) or on any ``concurrent.futures.Executor`` (a process pool, a Dask cluster: progress
and cancel per finished block). The hooks reach :func:`dudl.core.engine.train` through a :class:`RunContext`
that :func:`dudl.registry.run` sets, so no experiment passes them along.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    CancelledError,
    Executor,
    Future,
    ThreadPoolExecutor,
    wait,
)
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

Task = TypeVar("Task")
Arrays = dict[str, Any]
ProgressCallback = Callable[[int, int], None]
CancelCheck = Callable[[], bool]

class BlockCache(Protocol):
    """Where finished blocks are kept (:class:`dudl.cache.BlockCache` keeps them in a folder)."""

    def get(self, key: str) -> Arrays | None:
        """The block stored under ``key``, or None."""

    def put(self, key: str, arrays: Arrays) -> None:
        """Keep a finished block under ``key``."""


# at most this often (seconds) a progress callback is called and the cancel check asked
INTERVAL = 0.2


class Cancelled(Exception):  # noqa: N818 - the user's own request, not an error
    """The cancel check asked the engine to stop; finished blocks are kept (in the cache, if any)."""


class ExecutorLost(RuntimeError):
    """The executor can no longer run blocks: a process of the pool died, the Dask scheduler went away, or Dask
    gave up on a block that killed its workers. Finished blocks are kept (in the cache, if any)."""


@dataclass
class RunContext:
    """What one run (one experiment) passes down to every :func:`dudl.core.engine.train` call it makes.

    progress(done, total): model-epochs done and planned so far in this run (the total grows when the
    experiment starts another engine call). cancel(): True to stop. executor: None for this process, or
    an Executor. cache: finished blocks, keyed by experiment, resolved params, call, model indices and version.
    The counters say how far the run got (for the line an interrupted run prints).
    plan_only: the engine calls only plan (``plans``: models, model_epochs, flops, blocks per call) and return
    zeros, so that ``dudl run --dry-run`` can show a run's size without training.
    """

    experiment_id: str | None = None
    params: dict[str, Any] | None = None
    executor: Executor | None = None
    cache: BlockCache | None = None
    progress: ProgressCallback | None = None
    cancel: CancelCheck | None = None
    plan_only: bool = False  # --dry-run: engine calls record their plan in ``plans`` and train nothing
    # torch's intra-op thread count before the run (the engine's default number of blocks side by side); the
    # run's own torch work is on one thread (None: the run did not change it)
    threads: int | None = None
    plans: list[dict[str, int]] = field(default_factory=list)
    calls: int = 0
    done: int = 0
    total: int = 0
    blocks_done: int = 0
    blocks_total: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


_CONTEXT: ContextVar[RunContext | None] = ContextVar("dudl_run_context", default=None)


@dataclass(frozen=True)
class Settings:
    """Defaults for every run inside a :func:`session` (``dudl report`` runs every experiment in one): an open
    executor (None: this process), a cache, a progress callback and a cancel check."""

    executor: Executor | None = None
    cache: BlockCache | None = None
    progress: ProgressCallback | None = None
    cancel: CancelCheck | None = None


_SETTINGS: ContextVar[Settings | None] = ContextVar("dudl_settings", default=None)


def settings() -> Settings:
    """The enclosing :func:`session`'s settings (all None outside one)."""
    return _SETTINGS.get() or Settings()


@contextlib.contextmanager
def session(**values: Any) -> Iterator[Settings]:
    """Set :class:`Settings` (fields as keywords) for the runs inside the ``with`` block."""
    token = _SETTINGS.set(Settings(**values))
    try:
        yield settings()
    finally:
        _SETTINGS.reset(token)


def current() -> RunContext | None:
    """The run context set by :func:`run_context` around this code, or None."""
    return _CONTEXT.get()


_LAST: list[RunContext] = []


def last() -> RunContext | None:
    """The context of the latest run started in this process (how far an interrupted run got), or None."""
    return _LAST[-1] if _LAST else None


@contextlib.contextmanager
def run_context(**settings: Any) -> Iterator[RunContext]:
    """Set a :class:`RunContext` (fields as keywords) for the engine calls inside the ``with`` block."""
    context = RunContext(**settings)
    _LAST[:] = [context]
    token = _CONTEXT.set(context)
    try:
        yield context
    finally:
        _CONTEXT.reset(token)


class Hooks:
    """Progress and cancel of one engine call, shared by its blocks (thread-safe, throttled to ``INTERVAL``).

    :meth:`advance` counts model-epochs; every ``INTERVAL`` seconds at most it reports them (adding the
    run's earlier calls when there is a context) and asks the cancel check, raising :class:`Cancelled`.
    """

    def __init__(self, total: int, progress: ProgressCallback | None, cancel: CancelCheck | None,
                 context: RunContext | None) -> None:
        self.progress, self.cancel, self.context = progress, cancel, context
        self.offset = 0
        if context is not None:
            with context.lock:
                self.offset = context.done
                context.total += total
                context.calls += 1
        self.done, self.total = 0, total
        self.stopped = False  # set when this call must stop (cancel, Ctrl-C, a failed block)
        self._lock = threading.Lock()
        self._last = time.monotonic()

    def advance(self, model_epochs: int, *, force: bool = False) -> None:
        """Count ``model_epochs`` more; report and check for cancellation if ``INTERVAL`` has passed."""
        with self._lock:
            self.done += model_epochs
            now = time.monotonic()
            due = force or now - self._last >= INTERVAL
            if due:
                self._last = now
        if self.stopped:
            raise Cancelled("cancelled")
        if not due:
            return
        if self.progress is not None:
            run_done, run_total = self.offset + self.done, self.total
            if self.context is not None:
                run_total = self.context.total
            self.progress(run_done, run_total)
        if self.cancel is not None and self.cancel():
            self.stopped = True
            raise Cancelled("cancelled")

    def finish(self) -> None:
        """The call is over: the run's count moves on by its model-epochs."""
        if self.context is not None:
            with self.context.lock:
                self.context.done += self.total


def execute(
    tasks: Sequence[Task],
    function: Callable[..., Arrays],
    *,
    costs: Sequence[float],
    model_epochs: Sequence[int],
    hooks: Hooks,
    workers: int = 1,
    executor: Executor | None = None,
    cache: BlockCache | None = None,
    keys: Sequence[str] | None = None,
) -> list[Arrays]:
    """``[function(task, hooks) for task in tasks]``, each block from the cache when it holds it.

    In this process (``executor`` None) up to ``workers`` Python threads run the blocks, biggest ``costs``
    first; else the blocks are submitted to ``executor`` as ``function(task)`` (no hooks: progress counts
    ``model_epochs`` per finished block, and the cancel check is asked while waiting). Every finished block
    is stored in the cache at once, so an interrupted run keeps it. Cancel or Ctrl-C stops within about
    ``INTERVAL`` seconds (the blocks in flight in this process stop at their next epoch).
    """
    context = hooks.context
    results: dict[int, Arrays] = {}
    if context is not None:
        with context.lock:
            context.blocks_total += len(tasks)

    def finished(index: int, arrays: Arrays, *, store: bool = True) -> None:
        results[index] = arrays
        if store and cache is not None and keys is not None:
            cache.put(keys[index], arrays)
        if context is not None:
            with context.lock:
                context.blocks_done += 1

    if cache is not None and keys is not None:
        for index, key in enumerate(keys):
            stored = cache.get(key)
            if stored is not None:
                finished(index, stored, store=False)
                hooks.advance(model_epochs[index])
    pending = sorted((i for i in range(len(tasks)) if i not in results), key=lambda i: -costs[i])

    if executor is None and (workers <= 1 or len(pending) <= 1):
        for index in pending:
            finished(index, function(tasks[index], hooks))
    elif executor is None:
        _run_in_threads(pending, lambda index: finished(index, function(tasks[index], hooks)), hooks,
                        min(workers, len(pending)))
    else:
        futures: dict[Future, int] = {}
        try:
            for index in pending:
                futures[executor.submit(function, tasks[index])] = index
        except BaseException as error:  # a pool broken since the last call; Ctrl-C while submitting
            for future in futures:
                future.cancel()
            if isinstance(error, BrokenExecutor):
                raise _lost(error) from None
            raise
        _collect(futures, finished, hooks, model_epochs)
    hooks.advance(0, force=True)
    return [results[i] for i in range(len(tasks))]


def _run_in_threads(order: list[int], run: Callable[[int], None], hooks: Hooks, workers: int) -> None:
    """``run(index)`` for every index of ``order`` (biggest block first) on ``workers`` Python threads: half of
    them take the biggest blocks left, half the smallest, so that a thread busy with many small operations (each
    taking and releasing the GIL) mostly runs beside one in long matrix products that need no GIL. Two threads
    both on small blocks hand the GIL to and fro at every operation (ann.breadth-vs-depth's 40 blocks on 2 threads:
    131k context switches biggest-first; docs/engine.md#tuning-notes)."""
    queue, lock = collections.deque(order), threading.Lock()

    def worker(from_biggest: bool) -> None:
        while not hooks.stopped:
            with lock:
                if not queue:
                    return
                index = queue.popleft() if from_biggest else queue.pop()
            run(index)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        # each thread in a copy of this context: the run's context (blocks.current()) holds there too
        futures = {pool.submit(contextvars.copy_context().run, worker, thread % 2 == 0): thread
                   for thread in range(workers)}
        _collect(futures, lambda _thread, _result: None, hooks, None)


def _collect(futures: dict, finished: Callable[[int, Arrays], None], hooks: Hooks,
             model_epochs: Sequence[int] | None) -> None:
    """Wait for ``futures`` (future -> block index), handing each result to ``finished`` as it comes;
    ``model_epochs`` given: count each finished block's progress here (remote blocks report none)."""
    remaining = set(futures)
    try:
        while remaining:
            done, remaining = wait(remaining, timeout=INTERVAL / 2, return_when=FIRST_COMPLETED)
            for future in done:
                index = futures[future]
                finished(index, _result(future))
                if model_epochs is not None:
                    hooks.advance(model_epochs[index])
            if model_epochs is not None:
                hooks.advance(0)  # the cancel check while remote blocks run
    except BaseException as error:  # Ctrl-C in this (main) thread, a cancel, a failed block: before any thread is
        hooks.stopped = True  # waited for, the blocks running in this process's threads stop at their next epoch
        if not isinstance(error, ExecutorLost):  # a broken pool fails its other blocks itself (and raises in its own
            for future in remaining:  # thread on a future cancelled meanwhile: Python 3.11's InvalidStateError)
                future.cancel()
        raise


def _result(future: Future) -> Arrays | None:
    """A block's arrays from an executor's future (None from a thread of this process); :class:`ExecutorLost` where
    the executor lost the block (an error in the block itself is raised as it is)."""
    try:
        return future.result()
    except BrokenExecutor as error:
        raise _lost(error) from None
    except CancelledError:
        raise ExecutorLost("the executor lost a block: it was cancelled (the Dask scheduler went away?)") from None
    except Exception as error:
        if type(error).__name__ != "KilledWorker":  # distributed.KilledWorker (Dask is an optional extra)
            raise
        raise ExecutorLost(f"the executor lost a block: it killed the Dask workers that ran it ({error})") from None


def _lost(error: BrokenExecutor) -> ExecutorLost:
    """A broken process pool, as :class:`ExecutorLost`."""
    return ExecutorLost(f"the executor lost a block: a worker process died ({error})")
