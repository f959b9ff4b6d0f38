"""The experiment registry: runs an experiment into a Result (:func:`run`).

The catalog (id -> course lecture, purpose and module; :func:`entry`, :func:`resolve`, :func:`experiments`) and
what an experiment module provides (:class:`Lecture`) are :mod:`dudl.catalog`, re-exported here. The catalog is
static, so ``dudl list`` answers without importing torch, sympy or matplotlib. An experiment module
(``dudl.lectures.<section>.<name>``, one per lecture; the package is not called ``experiments`` so that it cannot
shadow the function ``dudl.experiments()``) is imported only when it is shown or run, by
:meth:`dudl.catalog.Entry.load`, which returns it as a :class:`Lecture`.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dudl import budget
from dudl.catalog import CATALOG, Entry, Lecture, entry, experiments, resolve
from dudl.errors import ParamError
from dudl.result import Result

if TYPE_CHECKING:
    from dudl.budget import Limits

__all__ = ["CATALOG", "Entry", "Lecture", "check_device", "entry", "experiments", "resolve", "run"]


def run(experiment_id: str, overrides: dict[str, Any], device: str = "cpu", *, executor: Any = None,
        cache: Any = None, progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None, limits: Limits | None = None) -> Result:
    """Resolve the parameters, check the run's size against ``limits`` (default :class:`dudl.budget.Limits`;
    ParamError if over), run the experiment and wrap its metrics in a Result.

    The experiment's engine calls get, through a run context (:mod:`dudl.core.blocks`): ``executor``
    ("local", "processes[:N]", "dask[:ADDRESS]" or a ``concurrent.futures.Executor``), ``cache`` (a folder,
    True for the user's cache folder, False for none; finished blocks are kept there and reused),
    ``progress(done, total)`` in model-epochs and ``cancel()`` (True stops the run with
    :class:`dudl.core.blocks.Cancelled`). Those not given come from the enclosing :func:`blocks.session`.
    """
    from dudl import __version__
    from dudl.cache import open_cache
    from dudl.core import blocks
    from dudl.executors import open_executor

    item = entry(experiment_id)
    params = resolve(experiment_id, overrides)
    budget.check(experiment_id, params, limits)
    check_device(device, experiment_id)
    defaults = blocks.settings()
    block_cache = defaults.cache if cache is None else open_cache(cache)
    module = item.load()
    with (open_executor(executor) if executor is not None else contextlib.nullcontext(defaults.executor)) as pool, \
            _one_torch_thread(item.uses_torch) as threads, \
            blocks.run_context(experiment_id=experiment_id, params=params.to_dict(), executor=pool,
                               cache=block_cache, progress=progress or defaults.progress,
                               cancel=cancel or defaults.cancel, threads=threads):
        start = time.perf_counter()
        metrics = module.run(params, device)
        elapsed = time.perf_counter() - start
    return Result(id=experiment_id, params=params.to_dict(), metrics=metrics, elapsed_s=elapsed,
                  dudl_version=__version__)


@contextlib.contextmanager
def _one_torch_thread(uses_torch: bool) -> Iterator[int | None]:
    """Run a torch experiment's own tensor work on one intra-op thread (restored after); yields the thread
    count it had (None for a numpy experiment: torch is not even imported). The engine trains its blocks side by
    side in threads of its own; the small tensors between its calls (evaluation, data) gain little from two
    OpenMP threads, and on a busy machine each parallel region waits for a free core
    (docs/engine.md#tuning-notes)."""
    if not uses_torch:
        yield None
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield threads
    finally:
        torch.set_num_threads(threads)


def check_device(device: str, experiment_id: str | None = None) -> None:
    """Reject a device name other than cpu/cuda[:N], a GPU this machine lacks, or a GPU for a numpy experiment."""
    if device == "cpu":
        return
    if not isinstance(device, str) or not re.fullmatch(r"cuda(:\d+)?", device):
        raise ParamError(f'--device must be "cpu" or "cuda" (or "cuda:N"), got {device!r}')
    if experiment_id is not None and not entry(experiment_id).uses_torch:
        raise ParamError(f"{experiment_id} runs in numpy float64; --device applies to the experiments that "
                         "train torch models")
    import torch

    if not torch.cuda.is_available():
        raise ParamError(f"--device {device}: no CUDA device is available on this machine; use --device cpu")
    count = torch.cuda.device_count()
    index = int(device.partition(":")[2] or 0)
    if index >= count:
        raise ParamError(f"--device {device}: this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}")
