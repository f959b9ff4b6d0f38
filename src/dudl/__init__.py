"""dudl: the first four sections of "A Deep Understanding of Deep Learning" as runnable experiments.

>>> import dudl
>>> result = dudl.run("gd.1d", start=1.006)
>>> round(float(result.metrics["final_minimum"][0]), 8)
0.50103977
"""

from __future__ import annotations

from typing import Any

from dudl.params import ParamError
from dudl.registry import experiments
from dudl.result import Result

__version__ = "0.1.0"
__all__ = ["ParamError", "Result", "experiments", "run"]


def run(experiment_id: str, /, *, device: str = "cpu", **params: Any) -> Result:
    """Run one experiment with the course defaults, overridden by ``params``.

    ``device`` ("cpu" or "cuda") applies to the experiments that train torch models.
    Sweep axes also accept the shorthands ``"linspace(a,b,n)"``, ``"arange(a,b,step)"`` and ``"round(...)"``.
    Raises :class:`ParamError` for an unknown id, parameter or value.
    """
    from dudl import registry

    return registry.run(experiment_id, params, device=device)
