"""Executors: a process pool and a real Dask LocalCluster (2 worker processes x 1 thread) give the same bits as
this process, also when a worker is killed mid-run; bad executor specs are one ParamError line."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import socket

import numpy as np
import pytest

import dudl
from dudl import executors
from dudl.core import blocks, engine
from dudl.params import ParamError

pytest.importorskip("distributed")

EXPERIMENTS = {
    "ann.hidden-units": dict(n_hidden=(1, 7, 30, 64), epochs=20, reps=3),
    "ann.breadth-vs-depth": dict(n_layers=(1, 2), n_units=(4, 13, 40), epochs=15, demo_epochs=5, reps=2),
    "ann.learning-rates": dict(learning_rates=(0.001, 0.05, 0.1), epochs=10, meta_epochs=30, reps=4),
    "overfit.kfold": dict(epochs=20, reps=2),
}


def assert_same_metrics(ours: dudl.Result, theirs: dudl.Result) -> None:
    assert ours.metrics.keys() == theirs.metrics.keys()
    for name, value in ours.metrics.items():
        assert np.array_equal(np.asarray(value), np.asarray(theirs.metrics[name]), equal_nan=True), name


@pytest.fixture(scope="module")
def local() -> dict[str, dudl.Result]:
    return {name: dudl.run(name, progress=False, **params) for name, params in EXPERIMENTS.items()}


@pytest.fixture(scope="module")
def client():
    with executors.local_dask_cluster(2) as dask_client:
        yield dask_client


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of at most 4 models, so that a run has many blocks to spread (and to lose with a worker)."""
    monkeypatch.setattr(engine, "_SHIPPED_BLOCK_MODELS", 4)
    monkeypatch.setattr(engine, "_LOCAL_BLOCK_MODELS", 4)


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_a_dask_cluster_gives_the_same_bits(local, client, small_blocks, name) -> None:
    result = dudl.run(name, executor=client.get_executor(), progress=False, **EXPERIMENTS[name])
    assert_same_metrics(result, local[name])


@pytest.mark.slow
def test_a_process_pool_gives_the_same_bits(local, small_blocks) -> None:
    result = dudl.run("ann.hidden-units", executor="processes:2", progress=False, **EXPERIMENTS["ann.hidden-units"])
    assert_same_metrics(result, local["ann.hidden-units"])


@pytest.mark.slow
def test_a_worker_killed_mid_run_changes_nothing(client, small_blocks) -> None:
    """The first time a worker is busy with a block, its process is killed: Dask runs the block elsewhere."""
    params = dict(n_hidden=tuple(range(2, 129, 6)), epochs=40, reps=2)
    expected = dudl.run("ann.hidden-units", progress=False, **params)
    pids = client.run(os.getpid)
    killed = []

    def kill_a_busy_worker(done: int, total: int) -> None:
        busy = [address for address, keys in client.processing().items() if keys]
        if not killed and busy and done < total:
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(busy[0])

    result = dudl.run("ann.hidden-units", executor=client.get_executor(), progress=kill_a_busy_worker, **params)
    assert killed
    assert_same_metrics(result, expected)


@pytest.mark.slow
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")  # no error in the pool's thread
def test_a_dead_pool_process_is_one_error_and_keeps_the_finished_blocks(tmp_path, monkeypatch) -> None:
    """A process of the pool killed (OOM killer, kill -9): the pool is broken, so the run stops with ExecutorLost
    (the CLI's one line, exit 1) and keeps what was finished; the rerun completes with the same bits."""
    params = dict(n_hidden=tuple(range(2, 129, 6)), epochs=40, reps=2)  # 9 blocks
    killed = []
    monkeypatch.setattr(blocks, "INTERVAL", 0.0)  # progress at every finished block

    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pids = list({pool.submit(os.getpid).result() for _ in range(8)})

        def kill_a_worker(done: int, total: int) -> None:
            if not killed and 0 < done < total:  # once a block is finished
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        lost = r"^the executor lost a block: a worker process died \(A process in the process pool was terminated "
        with pytest.raises(blocks.ExecutorLost, match=lost):
            dudl.run("ann.hidden-units", executor=pool, progress=kill_a_worker, cache=tmp_path, **params)
    assert killed and list(tmp_path.glob("*.block"))
    resumed = dudl.run("ann.hidden-units", progress=False, cache=tmp_path, **params)
    assert_same_metrics(resumed, dudl.run("ann.hidden-units", progress=False, **params))


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(("spec", "message"), [
    ("threads", "unknown executor 'threads'; allowed: local, processes[:N], dask[:ADDRESS]"),
    ("processes:-2", "--executor processes:N needs a worker count N >= 1, got '-2'"),
    ("processes:0", "--executor processes:N needs a worker count N >= 1, got '0'"),
    ("processes:two", "--executor processes:N needs a worker count N >= 1, got 'two'"),
])
def test_bad_executor_names_are_one_line(spec, message) -> None:
    with pytest.raises(ParamError) as error:
        executors.parse(spec)
    assert str(error.value) == message


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line(monkeypatch) -> None:
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1)
    address = f"tcp://127.0.0.1:{closed_port()}"
    with pytest.raises(ParamError) as error:
        dudl.run("ann.regression", executor=f"dask:{address}", progress=False)
    message = str(error.value)
    assert message.startswith(f"--executor dask:{address}: cannot reach a Dask scheduler there (")
    assert "\n" not in message


@pytest.mark.slow
def test_a_local_cluster_leaves_this_process_environment_as_it_was(monkeypatch) -> None:
    """Dask's nannies set MKL_NUM_THREADS=1 (and more; a value already set, as OMP_NUM_THREADS here, is kept) in
    this process before spawning their workers: put back here, the workers keep them."""
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_", "PYTHONHASHSEED")
    before = {name: os.environ.get(name) for name in names}
    with executors.local_dask_cluster(1) as dask_client:
        assert {name: os.environ.get(name) for name in names} == before
        def worker_environment(name: str) -> str | None:  # pickled by value: os is the worker's
            return os.environ.get(name)

        assert dask_client.submit(worker_environment, "OMP_NUM_THREADS").result() == "7"
        assert dask_client.submit(worker_environment, "MKL_NUM_THREADS").result() == "1"
    assert {name: os.environ.get(name) for name in names} == before
