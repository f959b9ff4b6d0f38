"""The batched engine against the course's one-model-at-a-time loop, on the three sweep shapes of the issue.

Run: ``.venv/bin/python benchmarks/bench_engine.py`` (about a minute on a quiet 2-core machine). For each
shape it prints the engine's first (cold) run and the median of the warm runs, both in seconds, the
microseconds per model-step (one model, one epoch) of the engine and of the course loop
(:func:`dudl.core.reference.train_reference`, timed on a sample of the models), their ratio, the loop's
estimated time for the whole sweep, and at the end the process's peak memory. Wall and process CPU
times are both shown: on a shared machine the wall time overstates what a quiet one would take.

To show where the limit is, it first measures this machine's float32 matrix-product peak (one large
``torch.mm`` on torch's threads) and, per shape, prints the sweep's matrix work (per Linear layer and
epoch: forward, weight gradient and, except in the first layer, input gradient) and the time that work
alone would take at that peak.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from dudl.core import data, seeding
from dudl.core.engine import Architecture, train
from dudl.core.reference import train_reference


@dataclass
class Shape:
    """One sweep: M models, their data and the loop sample (indices of the models the loop trains)."""

    name: str
    architectures: list[Architecture]
    inputs: torch.Tensor
    targets: torch.Tensor
    learning_rates: np.ndarray
    epochs: int
    sample: list[int]

    @property
    def n_models(self) -> int:
        return len(self.architectures)

    @property
    def matrix_flops(self) -> float:
        """FLOPs of the sweep's matrix products over all epochs: per Linear layer and epoch, the forward, the
        weight gradient and (except in the first layer) the input gradient, 2 * rows * in * out each."""
        products = sum(
            3 * i * o - (layer == 0) * i * o
            for a in self.architectures
            for layer, (i, o) in enumerate(zip(a.sizes[:-1], a.sizes[1:], strict=True))
        )
        return 2.0 * len(self.inputs) * products * self.epochs


def meta_shape() -> Shape:
    """ann.learning-rates' meta-experiment: 50 reps x 40 learning rates, 2-1-1 + BCEWithLogits, 500 epochs."""
    rng = seeding.numpy_rng(seeding.key(0, seeding.DATA, 0))
    features, labels = data.qwerties(rng, [[1, 1], [5, 1]], 100, 1.0)
    architecture = Architecture((2, 1, 1), ("relu", "none"), "bce_logits")
    learning_rates = np.tile(np.linspace(0.001, 0.1, 40), 50).astype(np.float32)
    return Shape(
        "learning-rate meta (2000 x 2-1-1, 200 rows, 500 epochs)",
        [architecture] * 2000,
        torch.tensor(features),
        torch.tensor(labels, dtype=torch.float32)[:, None],
        learning_rates,
        500,
        list(range(0, 2000, 50)),  # 40 models
    )


def iris_shape(name: str, sizes: list[tuple[int, ...]], epochs: int, sample_every: int) -> Shape:
    features, labels = data.iris()
    architectures = [
        Architecture(s, ("relu",) * (len(s) - 2) + ("none",), "cross_entropy") for s in sizes
    ]
    return Shape(
        name,
        architectures,
        torch.tensor(features),
        torch.tensor(labels),
        np.full(len(sizes), 0.01, dtype=np.float32),
        epochs,
        list(range(0, len(sizes), sample_every)),
    )


def hidden_units_shape() -> Shape:
    """ann.hidden-units: 4-h-h-3 for h = 1..128, iris, 150 epochs."""
    return iris_shape(
        "hidden units (128 x 4-h-h-3, 150 rows, 150 epochs)", [(4, h, h, 3) for h in range(1, 129)], 150, 16
    )


def breadth_vs_depth_shape() -> Shape:
    """ann.breadth-vs-depth: 4-n-(n x L)-3 (L = 1..5 hidden n x n layers after the input layer), n = 4..100
    step 3, 500 epochs."""
    sizes = [(4, *([n] * (depth + 1)), 3) for depth in range(1, 6) for n in range(4, 101, 3)]
    return iris_shape("breadth vs depth (5 x 33 models, 150 rows, 500 epochs)", sizes, 500, 16)


def engine_run(shape: Shape, epochs: int | None = None, threads: int | None = None) -> Callable[[], object]:
    """The engine training the whole shape (``epochs``: the shape's by default; ``threads``: the engine's)."""
    keys = [seeding.key(0, seeding.MODEL, k) for k in range(shape.n_models)]
    return lambda: train(
        shape.architectures,
        shape.inputs,
        shape.targets,
        learning_rates=shape.learning_rates,
        epochs=shape.epochs if epochs is None else epochs,
        keys=keys,
        record=(),
        threads=threads,
    )


def loop_seconds_per_model_step(shape: Shape) -> tuple[float, float]:
    """The course loop (one nn.Module + torch.optim.SGD at a time) over the sample of models, on one
    thread (its best setting for these tiny matrices); (wall, process CPU) seconds per model-step."""
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    start, start_cpu = time.perf_counter(), time.process_time()
    for k in shape.sample:
        architecture = shape.architectures[k]
        torch.manual_seed(seeding.torch_seed(seeding.key(0, seeding.MODEL, k)))
        module = architecture.sequential()
        train_reference(
            module, shape.inputs, shape.targets, architecture.loss, float(shape.learning_rates[k]), shape.epochs
        )
    steps = len(shape.sample) * shape.epochs
    wall, cpu = (time.perf_counter() - start) / steps, (time.process_time() - start_cpu) / steps
    torch.set_num_threads(previous_threads)
    return wall, cpu


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    start, start_cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - start, time.process_time() - start_cpu


def sgemm_peak(size: int = 2048, runs: int = 5) -> float:
    """FLOP/s of one size x size float32 ``torch.mm`` on torch's threads (median of ``runs``): the practical
    ceiling of this machine's matrix products (the sweeps' smaller products run below it)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    product = torch.mm(a, b)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        torch.mm(a, b, out=product)
        seconds.append(time.perf_counter() - start)
    return 2.0 * size**3 / statistics.median(seconds)


def bench(shape: Shape, warm_runs: int, peak: float) -> None:
    """Print the engine's cold and warm times and the loop's, for one shape; ``peak`` is :func:`sgemm_peak`."""
    run = engine_run(shape)
    cold, cold_cpu = _timed(run)
    warm = [_timed(run) for _ in range(warm_runs)]
    engine_wall = statistics.median(w for w, _ in warm) if warm else cold
    engine_cpu = statistics.median(c for _, c in warm) if warm else cold_cpu
    model_steps = shape.n_models * shape.epochs
    loop_wall, loop_cpu = loop_seconds_per_model_step(shape)
    engine_us, engine_cpu_us = 1e6 * engine_wall / model_steps, 1e6 * engine_cpu / model_steps
    print(shape.name)
    print(
        f"  engine: cold {cold:7.3f} s (CPU {cold_cpu:7.3f} s); warm median of {len(warm)}: {engine_wall:7.3f} s "
        f"(CPU {engine_cpu:7.3f} s); {engine_us:8.3f} us per model-step (CPU {engine_cpu_us:8.3f} us)"
    )
    print(
        f"  loop:   {1e6 * loop_wall:8.1f} us per model-step (CPU {1e6 * loop_cpu:8.1f} us), "
        f"{len(shape.sample)} models sampled, 1 thread; whole sweep ~{loop_wall * model_steps:7.1f} s"
    )
    print(f"  ratio:  {1e6 * loop_wall / engine_us:8.1f}x wall, {1e6 * loop_cpu / engine_cpu_us:8.1f}x CPU time")
    flops = shape.matrix_flops
    print(
        f"  matrix work: {flops / 1e9:.1f} GFLOP; {flops / peak:.2f} s at the sgemm peak; the engine's warm "
        f"run does it at {flops / engine_wall / 1e9:.0f} GFLOP/s ({flops / engine_wall / peak:.0%} of the peak)"
    )
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=3, help="warm engine runs per shape (median)")
    parser.add_argument("--only", choices=["meta", "hidden", "depth"], help="run one shape")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's; the engine uses 1 for "
                        "overhead-bound sweeps and these for matrix-heavy ones)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}")
    peak = sgemm_peak()
    print(f"float32 sgemm peak (2048 x 2048 torch.mm, {torch.get_num_threads()} threads): {peak / 1e9:.0f} GFLOP/s")
    shapes = {"meta": meta_shape, "hidden": hidden_units_shape, "depth": breadth_vs_depth_shape}
    for name, make in shapes.items():
        if args.only in (None, name):
            bench(make(), args.warm_runs if name != "depth" else max(1, args.warm_runs - 1), peak)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
