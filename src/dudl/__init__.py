"""dudl: the first four sections of "A Deep Understanding of Deep Learning" as runnable experiments.

>>> import dudl
>>> result = dudl.run("gd.1d", start=1.006)
>>> round(float(result.metrics["final_minimum"][0]), 8)
0.50103977
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dudl.compare import compare
from dudl.errors import FigureError, ParamError, ResultError
from dudl.registry import experiments
from dudl.result import Result

__version__ = "0.1.0"
__all__ = ["FigureError", "ParamError", "Result", "ResultError", "compare", "experiments", "run"]


def run(experiment_id: str, /, *, device: str = "cpu", executor: Any = None, cache: Any = None,
        progress: bool | Callable[[int, int], None] = True, cancel: Callable[[], bool] | None = None,
        max_memory: int | float | str | None = None, max_seconds: float | None = None, **params: Any) -> Result:
    """Run one experiment with the course defaults, overridden by ``params``.

    ``device`` ("cpu" or "cuda") applies to the experiments that train torch models.
    Sweep axes also accept the shorthands ``"linspace(a,b,n)"``, ``"arange(a,b,step)"`` and ``"round(...)"``.
    ``executor``: "local" (default), "processes[:N]", "dask[:ADDRESS]" or any ``concurrent.futures.Executor``
    (the numbers are the same bits). ``cache``: a folder (True: the user's cache folder) where finished blocks
    are kept, so that a rerun of an interrupted run resumes; default none. ``progress``: a bar (terminal or
    notebook) for runs longer than a second; False for none, or a callable ``progress(done, total)``
    (model-epochs). ``cancel()``: True stops the run (:class:`dudl.core.blocks.Cancelled`).
    A run estimated to need more than ``max_memory`` (bytes, or e.g. ``"8G"``; default a quarter of this
    machine's memory) or ``max_seconds`` of computation (default 1800) is refused before anything is allocated
    (:mod:`dudl.budget`).
    Raises :class:`ParamError` for an unknown id, parameter or value, or a run over those limits.
    """
    from dudl import budget, registry

    limits = budget.Limits.from_options(max_memory, max_seconds)

    if progress is True:
        from dudl.progress import Bar

        with Bar() as bar:
            return registry.run(experiment_id, params, device=device, executor=executor, cache=cache,
                                progress=bar, cancel=cancel, limits=limits)
    return registry.run(experiment_id, params, device=device, executor=executor, cache=cache,
                        progress=progress or None, cancel=cancel, limits=limits)
