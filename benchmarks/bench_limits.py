"""Where the breadth-vs-depth sweep's time goes: the measurements behind issue 3's closing note.

Run: ``.venv/bin/python benchmarks/bench_limits.py {threads,widths,cost,profile}`` (each a minute or less):

- ``threads``: two Python threads, each doing a group's products (the first layer's mm/addmm_ and 100-unit
  bmm/baddbmm_), with and without a per-thread ``torch.set_num_threads(1)``; prints how many times one
  thread's work the pair got done.
- ``widths``: MKL's GFLOP/s (one thread) for the forward, input-gradient and update products of every hidden
  width of the sweep ([5, n, 150] batches), and the time the sweep's n x n products take at those rates.
- ``cost``: every block of the sweep timed alone (one thread) against the engine's cost model
  (``engine._step_cost``), and that model's two constants fitted to the times.
- ``profile``: ``torch.profiler``'s table of one worker on the sweep.
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from collections.abc import Callable

import numpy as np
import torch

from bench_engine import breadth_vs_depth_shape, engine_run
from dudl.core import engine, seeding
from dudl.core.engine import train

ROWS = 150
WIDTHS = range(4, 101, 3)
HIDDEN_LAYERS = sum(range(1, 6))  # n x n layers of one width over depths 1..5


def _seconds_per_call(run: Callable[[], object], calls: int) -> float:
    run()
    start = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - start) / calls


def threads() -> None:
    def work(calls: int, own_setting: bool) -> None:
        if own_setting:
            torch.set_num_threads(1)
        first, inputs, hidden = torch.randn(500, 5), torch.randn(5, ROWS), torch.empty(500, ROWS)
        weights, activations, out = torch.randn(5, 100, 100), torch.randn(5, 100, ROWS), torch.empty(5, 100, ROWS)
        for _ in range(calls):
            torch.mm(first, inputs, out=hidden)
            first.t().addmm_(inputs, hidden.t(), alpha=-1e-9)
            torch.bmm(weights, activations, out=out)
            weights.baddbmm_(out, activations.transpose(1, 2), alpha=-1e-9)

    torch.set_num_threads(1)
    for own_setting in (False, True):
        start = time.perf_counter()
        work(2000, own_setting)
        alone = time.perf_counter() - start
        pair = [threading.Thread(target=work, args=(2000, own_setting)) for _ in range(2)]
        start = time.perf_counter()
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join()
        together = time.perf_counter() - start
        label = "with" if own_setting else "without"
        print(f"two threads {label} their own set_num_threads(1): {2 * alone / together:.2f}x one thread's work")


def _product_seconds(n: int, models: int) -> list[float]:
    """Seconds per call of the forward, input-gradient and update products of ``models`` n x n layers."""
    weight, activation, out = torch.randn(models, n, n), torch.randn(models, n, ROWS), torch.empty(models, n, ROWS)
    calls = max(50, int(3e8 / (2 * models * ROWS * n * n)))
    return [
        _seconds_per_call(lambda: torch.bmm(weight, activation, out=out), calls),
        _seconds_per_call(lambda: torch.bmm(weight.transpose(1, 2), activation, out=out), calls),
        _seconds_per_call(lambda: weight.baddbmm_(out, activation.transpose(1, 2), alpha=-1e-9), calls),
    ]


def widths() -> None:
    torch.set_num_threads(1)
    models, total, flops = 5, 0.0, 0.0
    print("width  forward  input-gradient  update  (GFLOP/s, one thread, [5, n, 150])")
    for n in WIDTHS:
        seconds = _product_seconds(n, models)
        product = 2 * models * ROWS * n * n
        print(f"{n:5d}  " + "  ".join(f"{product / s / 1e9:7.1f}" for s in seconds))
        total += sum(seconds) / models * HIDDEN_LAYERS * 500
        flops += 3 * 2 * ROWS * n * n * HIDDEN_LAYERS * 500
    print(f"the sweep's n x n products: {flops / 1e9:.0f} GFLOP, {total:.2f} s of one thread at these rates, "
          f"{total / 2:.2f} s on two with perfect scaling")


def cost(epochs: int) -> None:
    """Every block of the sweep timed alone (one thread, best of 3) against the engine's cost model, and the two
    constants of that model fitted to these times (least squares on the relative error)."""
    shape = breadth_vs_depth_shape()
    keys = [seeding.key(0, seeding.MODEL, k) for k in range(shape.n_models)]
    torch.set_num_threads(1)
    measured, modelled, operations, flops = [], [], [], []
    print(f"block (layers, width, models)  measured  model  (ms per step, one thread, timed over {epochs} epochs)")
    for members, padded in engine._plan_blocks(shape.architectures, ROWS, shape.epochs):
        sizes = padded.sizes

        def run(n_epochs: int, members: list[int] = members) -> None:
            train([shape.architectures[k] for k in members], shape.inputs, shape.targets,
                  learning_rates=shape.learning_rates[members], epochs=n_epochs, keys=[keys[k] for k in members],
                  record=(), threads=1)

        run(2)
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            run(epochs)
            best = min(best, (time.perf_counter() - start) / epochs)
        measured.append(best)
        modelled.append(engine._step_cost(sizes, len(members), ROWS))
        operations.append(engine._step_operations(sizes))
        flops.append(engine._step_flops(sizes, len(members), ROWS))
        print(f"{len(sizes) - 3:d} x {sizes[1]:3d} x {len(members):d}  {best * 1e3:10.3f}  {modelled[-1] * 1e3:6.3f}")
    times = np.array(measured)
    terms = np.stack([np.array(operations, float), np.array(flops, float)], 1) / times[:, None]
    (per_operation, per_flop), *_ = np.linalg.lstsq(terms, np.ones_like(times), rcond=None)
    print(f"sweep: {times.sum() * shape.epochs:.2f} s of one thread measured, {sum(modelled) * shape.epochs:.2f} s "
          f"by the cost model; fitted: {per_operation * 1e6:.2f} us per operation, {1 / per_flop / 1e9:.0f} "
          f"GFLOP/s (engine: {engine._SECONDS_PER_OPERATION * 1e6:g} us, {engine._FLOPS_PER_SECOND / 1e9:g})")


def profile(epochs: int) -> None:
    run = engine_run(breadth_vs_depth_shape(), epochs=epochs, threads=1)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        run()
    print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["threads", "widths", "cost", "profile"])
    parser.add_argument("--epochs", type=int, default=100, help="epochs timed by cost and profile")
    args = parser.parse_args()
    if args.what == "threads":
        threads()
    elif args.what == "widths":
        widths()
    elif args.what == "cost":
        cost(args.epochs)
    else:
        profile(args.epochs)


if __name__ == "__main__":
    main()
