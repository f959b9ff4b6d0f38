"""`make bench`: the speed targets of the issues, measured on this machine in one run.

1. `dudl list` start-up (wall time of the real command, median of 5).
2. Every experiment at the course defaults without figures, each in a fresh process: the first run
   (cold: imports, first-touch allocations) and the median `elapsed_s` of 3 runs.
3. The whole ann section with figures, in one fresh process (target: 20 s).
4. The batched engine against the course-style loop (benchmarks/bench_engine.py).
5. Executors, cache and progress (benchmarks/bench_blocks.py).

Usage: python benchmarks/bench.py [--quick] [ID_PREFIX ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dudl  # noqa: E402

DUDL = str(Path(sys.executable).with_name("dudl"))

# elapsed_s targets at the course defaults, seconds (issues 2, 4 and 5)
TARGETS = {"gd.parametric": 0.5, "ann.breadth-vs-depth": 6.0}
SECTION_TARGET = {"ann": 2.0, "overfit": 2.0}

_TIME_ONE = """
import json, sys, dudl
times = [dudl.run(sys.argv[1]).elapsed_s for _ in range(int(sys.argv[2]))]
print(json.dumps(times))
"""

_ANN_WITH_FIGURES = """
import json, time, dudl
import matplotlib; matplotlib.use("Agg")
start = time.perf_counter()
for experiment_id in [e for e in dudl.experiments() if e.startswith("ann.")]:
    figures = dudl.run(experiment_id).figures()
    for figure in figures.values():
        figure.canvas.draw()
print(json.dumps(time.perf_counter() - start))
"""


def target_of(experiment_id: str) -> float | None:
    """The issue's elapsed_s target for ``experiment_id`` (None where there is none)."""
    return TARGETS.get(experiment_id, SECTION_TARGET.get(experiment_id.split(".")[0]))


def time_list_command(runs: int = 5) -> float:
    """Median wall seconds of `dudl list`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([DUDL, "list"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_experiment(experiment_id: str, runs: int) -> list[float]:
    """elapsed_s of ``runs`` runs of one experiment at its defaults, in one fresh process."""
    proc = subprocess.run([sys.executable, "-c", _TIME_ONE, experiment_id, str(runs)], check=True,
                          capture_output=True, text=True)
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only experiments whose id starts with one of these")
    parser.add_argument("--quick", action="store_true", help="skip the engine-vs-loop comparison")
    args = parser.parse_args()

    print(f"dudl list: {time_list_command():.3f} s wall (median of 5; target < 1 s)")
    print()
    print(f"{'experiment':<26} {'first s':>9} {'median s':>9} {'target s':>9}  ok")
    for experiment_id in dudl.experiments():
        if args.prefixes and not experiment_id.startswith(tuple(args.prefixes)):
            continue
        times = time_experiment(experiment_id, runs=3)
        median = statistics.median(times)
        target = target_of(experiment_id)
        verdict = "" if target is None else ("yes" if median <= target else "NO")
        shown = f"{target:9.1f}" if target is not None else f"{'-':>9}"
        print(f"{experiment_id:<26} {times[0]:9.3f} {median:9.3f} {shown}  {verdict}", flush=True)

    if not args.prefixes or any("ann".startswith(p[:3]) for p in args.prefixes):
        proc = subprocess.run([sys.executable, "-c", _ANN_WITH_FIGURES], check=True, capture_output=True,
                              text=True)
        print(f"\nwhole ann section with figures, one fresh process: {json.loads(proc.stdout):.2f} s "
              "(target 20 s)")

    if not args.quick:
        import bench_blocks
        import bench_engine

        print()
        bench_engine.main()
        print()
        bench_blocks.main()


if __name__ == "__main__":
    main()
