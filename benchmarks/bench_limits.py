"""Where the breadth-vs-depth sweep's time goes: the measurements behind issue 3's closing note.

Run: ``.venv/bin/python benchmarks/bench_limits.py {threads,widths,plans,profile}`` (each a minute or less):

- ``threads``: two Python threads, each doing a group's products (the first layer's mm/addmm_ and 100-unit
  bmm/baddbmm_), with and without a per-thread ``torch.set_num_threads(1)``; prints how many times one
  thread's work the pair got done.
- ``widths``: MKL's GFLOP/s (one thread) for the forward, input-gradient and update products of every hidden
  width of the sweep ([5, n, 150] batches), and the time the sweep's n x n products take at those rates.
- ``plans``: the engine's serial time (one worker) for the sweep under several per-operation costs of the
  grouping planner (fewer or more padded groups).
- ``profile``: ``torch.profiler``'s table of one worker on the sweep.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable

import torch

from bench_engine import breadth_vs_depth_shape, engine_run
from dudl.core import engine

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


def plans(epochs: int) -> None:
    shape = breadth_vs_depth_shape()
    default = engine._SECONDS_PER_OPERATION
    try:
        for seconds_per_operation in (8e-6, 4e-6, 2e-6, 1e-6):
            engine._SECONDS_PER_OPERATION = seconds_per_operation
            plan = engine._plan_groups(shape.architectures, ROWS)
            padded_flops = sum(6 * ROWS * len(members) * (padded.n_params - sum(padded.sizes[1:]))
                               for members, padded in plan) * 500
            run = engine_run(shape, epochs=epochs, threads=1)
            start = time.perf_counter()
            run()
            seconds = (time.perf_counter() - start) * 500 / epochs
            print(f"{seconds_per_operation:.0e} s per operation: {len(plan)} groups, {padded_flops / 1e9:.0f} GFLOP "
                  f"padded, serial {seconds:.2f} s for 500 epochs (timed over {epochs})")
    finally:
        engine._SECONDS_PER_OPERATION = default


def profile(epochs: int) -> None:
    run = engine_run(breadth_vs_depth_shape(), epochs=epochs, threads=1)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        run()
    print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["threads", "widths", "plans", "profile"])
    parser.add_argument("--epochs", type=int, default=100, help="epochs timed by plans and profile")
    args = parser.parse_args()
    if args.what == "threads":
        threads()
    elif args.what == "widths":
        widths()
    elif args.what == "plans":
        plans(args.epochs)
    else:
        profile(args.epochs)


if __name__ == "__main__":
    main()
