"""Parameter checks shared by the lectures' ``Params.check()``, each a one-line :class:`ParamError`: a list
parameter that repeats a value (a grid's ends: :func:`dudl.lectures.grids.check_grid`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dudl.params import ParamError


def check_distinct(name: str, values: Sequence[Any], item: str) -> None:
    """Raise ParamError if the axis parameter ``name`` lists an ``item`` twice."""
    if len(set(values)) != len(values):
        raise ParamError(f"parameter {name!r} must not repeat a {item}, got {list(values)}")
