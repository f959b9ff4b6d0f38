"""The block layer's rows of `make bench` (issue 11), all measured in one run, interleaved, medians of 3:

1. wall seconds of `ann.breadth-vs-depth --reps 4` and `ann.hidden-units --reps 10` on the local executor,
   a process pool of 2 and a Dask LocalCluster of 2 workers x 1 thread (each pool started once, before);
2. a rerun that takes every block from the cache;
3. the overhead of progress reporting: the same run with a progress callback and without (target < 2%).

Usage: python benchmarks/bench_blocks.py [--runs N] [ID ...]   (IDs: only these sweeps of row 1)
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import dudl
from dudl.executors import local_dask_cluster

SWEEPS = {"ann.breadth-vs-depth": {"reps": 4}, "ann.hidden-units": {"reps": 10}}


def wall(experiment_id: str, **options: object) -> float:
    """Wall seconds of one dudl.run (no progress bar)."""
    options.setdefault("progress", False)
    start = time.perf_counter()
    dudl.run(experiment_id, **options)
    return time.perf_counter() - start


def main(runs: int = 3, only: tuple[str, ...] = ()) -> None:
    sweeps = {name: params for name, params in SWEEPS.items() if not only or name in only}

    # the cluster leaves this process's environment as it was (else torch, imported by the first run, would
    # get OMP_NUM_THREADS=1 from Dask and the local row would run on one thread)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool, \
            local_dask_cluster(2) as client:
        executors = {"local": None, "processes:2": pool, "dask LocalCluster(2x1)": client.get_executor()}
        for experiment_id, params in sweeps.items():  # warm-up: imports in every worker
            for executor in executors.values():
                dudl.run(experiment_id, executor=executor, progress=False, **{**params, "reps": 1})
        print(f"{'sweep':<34} " + " ".join(f"{name:>24}" for name in executors))
        for experiment_id, params in sweeps.items():
            times: dict[str, list[float]] = {name: [] for name in executors}
            for _ in range(runs):  # interleaved: each round runs every executor once
                for name, executor in executors.items():
                    times[name].append(wall(experiment_id, executor=executor, **params))
            label = f"{experiment_id} --reps {params['reps']}"
            print(f"{label:<34} " + " ".join(f"{statistics.median(t):22.2f} s" for t in times.values()),
                  flush=True)

    experiment_id, params = "ann.hidden-units", SWEEPS["ann.hidden-units"]
    with tempfile.TemporaryDirectory() as folder:
        first = wall(experiment_id, cache=folder, **params)
        hits = statistics.median(wall(experiment_id, cache=folder, **params) for _ in range(runs))
    print(f"\n{experiment_id} --reps {params['reps']}: {first:.2f} s filling the cache, {hits:.2f} s from it "
          f"(median of {runs})")

    calls = []
    with_progress, without = [], []
    for _ in range(runs):
        without.append(wall(experiment_id, **params))
        with_progress.append(wall(experiment_id, progress=lambda done, total: calls.append(done), **params))
    overhead = statistics.median(with_progress) / statistics.median(without) - 1
    print(f"progress reporting: {statistics.median(with_progress):.2f} s with, {statistics.median(without):.2f} s "
          f"without ({100 * overhead:+.1f}%, target < 2%; {len(calls) // runs} callbacks per run)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("only", nargs="*", help="only these sweeps in the executor rows")
    arguments = parser.parse_args()
    main(arguments.runs, tuple(arguments.only))
