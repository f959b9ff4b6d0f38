"""Where the blocks of a sweep run: ``local`` (this process, threads: the default), ``processes[:N]`` (a pool
of N local processes, default one per core) or ``dask[:ADDRESS]`` (dask.distributed: a LocalCluster of one
single-threaded worker process per core, or the scheduler at ADDRESS such as ``tcp://scheduler-host:8786``).
The API also takes any ``concurrent.futures.Executor``. Results are the same bits whichever runs them.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

from dudl.params import ParamError

NAMES = ("local", "processes[:N]", "dask[:ADDRESS]")
# how long to wait for a Dask scheduler before calling its address unreachable
CONNECT_TIMEOUT_S = 5


def parse(spec: str) -> tuple[str, int | str | None]:
    """("local", None), ("processes", N or None) or ("dask", ADDRESS or None); bad text raises ParamError."""
    name, _, argument = spec.strip().partition(":")
    if name == "local" and not argument:
        return "local", None
    if name == "processes":
        if not argument:
            return "processes", None
        if not re.fullmatch(r"[+-]?\d+", argument) or int(argument) < 1:
            raise ParamError(f"--executor processes:N needs a worker count N >= 1, got {argument!r}")
        return "processes", int(argument)
    if name == "dask":
        return "dask", argument or None
    raise ParamError(f"unknown executor {spec!r}; allowed: {', '.join(NAMES)}")


def is_local(spec: str) -> bool:
    """Whether ``spec`` runs the blocks in this process (ParamError for a bad name)."""
    return parse(spec)[0] == "local"


def _ignore_interrupt() -> None:
    """Pool workers leave Ctrl-C to the main process (which cancels and closes the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def dask_setup(_worker: object) -> None:
    """The preload of :func:`local_dask_cluster`'s workers (this module, imported in each worker process, restarted
    ones included): like the process pool's workers, they leave Ctrl-C to the main process. A terminal sends it to
    the whole process group, and a Dask worker would otherwise stop with a traceback of its own."""
    _ignore_interrupt()


@contextlib.contextmanager
def open_executor(spec: str | Executor | None) -> Iterator[Executor | None]:
    """The executor for ``spec`` (None or "local": None, this process), closed on leaving the ``with``;
    a given ``Executor`` is used as it is and left open. An unreachable Dask scheduler raises ParamError."""
    if spec is None or isinstance(spec, Executor):
        yield spec
        return
    if not isinstance(spec, str):
        raise ParamError(f"executor must be a name ({', '.join(NAMES)}) or a concurrent.futures.Executor, "
                         f"got {type(spec).__name__} {spec!r}")
    name, argument = parse(spec)
    if name == "local":
        yield None
    elif name == "processes":
        workers = argument or os.cpu_count() or 1
        # spawn, not fork: a forked child of a process that already ran OpenMP threads can hang
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_ignore_interrupt)
        try:
            yield pool
        finally:
            _close_pool(pool)
    else:
        with _dask_client(argument) as client:
            yield client.get_executor()


def _close_pool(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down without waiting for blocks still running (after Ctrl-C): their processes end."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join()


@contextlib.contextmanager
def local_dask_cluster(n_workers: int) -> Iterator[object]:
    """A Client of a Dask LocalCluster of ``n_workers`` single-threaded worker processes, closed on leaving.

    Dask's nannies put their workers' variables (``distributed.nanny.pre-spawn-environ``: OMP_NUM_THREADS=1 and
    others, and a PYTHONHASHSEED) in this process's environment before they spawn a worker, and leave them there:
    torch imported here later would get one thread, and every process started from here those values. They are
    put back as they were once the workers have started, and again when the cluster closes (a worker the nanny
    restarts in between sets them again until then)."""
    import dask
    from distributed import Client, LocalCluster

    from dudl.saving import signals_deferred

    names = [*dask.config.get("distributed.nanny.pre-spawn-environ", {}), "PYTHONHASHSEED"]
    before = {name: os.environ.get(name) for name in names}

    def restore() -> None:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    try:
        with contextlib.ExitStack() as stack:
            # the scheduler's HTTP server on a free port: ":8787" (also what None gives) warns on stderr when
            # another Dask cluster already has it; the log shows errors only (not the warnings of the blocks
            # cancelled by Ctrl-C). SIGINT, SIGTERM and SIGHUP wait until the cluster has started (a second or two;
            # cut in the middle, it cannot be closed) and come at the end of the `with`: the stack closes it
            with signals_deferred(), _workers_without_stderr():
                cluster = stack.enter_context(LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                    silence_logs=logging.ERROR, preload=[__name__]))
            restore()
            client = stack.enter_context(Client(cluster))
            try:
                yield client
            except BaseException:
                _close_workers_now(cluster)
                raise
    finally:
        restore()


@contextlib.contextmanager
def _workers_without_stderr() -> Iterator[None]:
    """The worker processes spawned in the ``with`` get /dev/null as stderr, for good (a worker the nanny restarts
    later gets this process's). A terminal's Ctrl-C reaches the whole process group, and a worker still starting
    (before the preload has it ignore SIGINT) would stop with a traceback of its own, while this process reports the
    interrupt in one line; what a block raises still comes back through its future. The swap is of file descriptor
    2, for the whole process: nothing is written there in the meantime (with stderr closed, nothing is swapped)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # stderr closed (2>&-)
        yield
        return
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(quiet)


def _close_workers_now(cluster: object) -> None:
    """Close the cluster's workers without waiting for the blocks they run (after Ctrl-C or a failure): a worker
    still busy after a fifth of a second is killed (a plain close waits up to 4 s for its block)."""
    import asyncio

    with contextlib.suppress(Exception):  # the interrupt or failure being handled is what the user must see
        cluster.sync(asyncio.gather, *(nanny.close(timeout=0.25) for nanny in list(cluster.workers.values())))


@contextlib.contextmanager
def _dask_client(address: str | None) -> Iterator[object]:
    try:
        from distributed import Client
    except ImportError:
        raise ParamError("--executor dask needs the dask extra: pip install 'dudl[dask]'") from None
    if address is None:
        with local_dask_cluster(os.cpu_count() or 1) as client:
            yield client
        return
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except Exception as error:  # noqa: BLE001 - OSError, TimeoutError, ValueError; TypeError for tls:// or ucx://
        # without their settings: whatever the reason, no scheduler to run on
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ParamError(f"--executor dask:{address}: cannot reach a Dask scheduler there ({reason})") from None
    # the client's own reconnection attempts log tracebacks when the scheduler goes away; the run reports that in
    # one line (blocks.ExecutorLost)
    client_log = logging.getLogger("distributed.client")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        with client:
            yield client
    finally:
        client_log.setLevel(level)
