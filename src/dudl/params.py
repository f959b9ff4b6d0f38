"""Experiment parameters: declaration, parsing and validation at the boundary.

An experiment declares its parameters as a frozen dataclass that subclasses :class:`Params`. Each field
is made with :func:`param` (or :func:`sweep` for a sweep axis), which records the course default, a
one-line doc and the allowed range. Constructing the dataclass coerces every value to its annotated
type and checks it, so ``Params(**overrides)`` either returns valid parameters or raises
:class:`ParamError` with a one-line message that says what is wrong and what is allowed.

Values may come from Python (``dudl.run("gd.1d", start=1.006)``) or from the CLI as text
(``--param start=1.006``), parsed by :func:`parse_text` as a JSON literal or a sweep shorthand:
``linspace(a,b,n)``, ``arange(start,stop,step)`` (stop excluded) and ``round(<shorthand>)``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import types
import typing
from collections.abc import Sequence
from typing import Any, Literal, Union

import numpy as np


class ParamError(ValueError):
    """A parameter value that is not allowed; the message is one line for the user."""


def param(
    default: Any,
    doc: str,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> Any:
    """A parameter field: course ``default``, one-line ``doc`` and optional bounds.

    Bounds apply to a number, and to every number inside a sequence (a sweep axis).
    """
    return dataclasses.field(default=default, metadata={"doc": doc, "shown": None, "gt": gt, "ge": ge, "lt": lt,
                                                        "le": le})


def sweep(shorthand: str, doc: str, **bounds: float | None) -> Any:
    """A sweep-axis field whose default is written as the course writes it, e.g. ``linspace(.001,.1,40)``.

    ``bounds`` are :func:`param`'s (``gt``, ``ge``, ``lt``, ``le``).
    """
    field = param(parse_shorthand(shorthand), doc, **bounds)  # param's signature rejects any other keyword
    return dataclasses.field(default=field.default, metadata={**field.metadata, "shown": shorthand})


def seed_param() -> Any:
    """The ``seed`` every stochastic experiment takes."""
    return param(0, "seed of every random draw (SeedSequence([seed, stream, *index]))", ge=0)


def reps_param(default: int = 1) -> Any:
    """The ``reps`` every stochastic experiment takes: independent repetitions."""
    return param(default, "number of independent repetitions", ge=1)


@dataclasses.dataclass(frozen=True)
class Params:
    """Base of every experiment's parameters: coerces and validates on construction."""

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value = coerce(getattr(self, field.name), hints[field.name], field.name)
            _check_bounds(value, field)
            object.__setattr__(self, field.name, value)
        self.check()

    def check(self) -> None:
        """Checks between parameters; raise :class:`ParamError`. Override where needed."""

    def to_dict(self) -> dict[str, Any]:
        """Every resolved value, JSON-ready (tuples as lists)."""
        return {f.name: plain_value(getattr(self, f.name)) for f in dataclasses.fields(self)}


def plain_value(value: Any) -> Any:
    """A parameter value JSON-ready: tuples (nested ones too) as lists, anything else unchanged."""
    if isinstance(value, tuple):
        return [plain_value(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------
# Text -> value


_SHORTHAND = re.compile(r"^\s*(linspace|arange|round)\s*\((.*)\)\s*$", re.S)


def is_shorthand(text: str) -> bool:
    """Whether ``text`` is written as ``linspace(...)``, ``arange(...)`` or ``round(...)``."""
    return bool(_SHORTHAND.match(text))


def parse_shorthand(text: str) -> tuple[float, ...] | tuple[int, ...]:
    """Evaluate a sweep shorthand without ``eval``.

    ``linspace(a,b,n)`` -> ``np.linspace(a, b, n)``; ``arange(start,stop,step)`` -> ``np.arange`` (stop
    excluded; one or two arguments also work); ``round(x)`` -> ``np.round(x)`` as ints.
    """
    match = _SHORTHAND.match(text)
    if not match:
        raise ParamError(f"{text!r} is not a sweep shorthand (allowed: linspace(a,b,n), arange(a,b,step), "
                         "round(...))")
    name, inner = match.group(1), match.group(2)
    if name == "round":
        values = np.round(np.asarray(parse_shorthand(inner), dtype=float))
        return tuple(int(v) for v in values)
    try:
        numbers = [float(part) for part in inner.split(",")]
    except ValueError:
        raise ParamError(f"{name}(...) takes numbers separated by commas, got {text!r}") from None
    if name == "linspace":
        if len(numbers) != 3 or numbers[2] != int(numbers[2]) or numbers[2] < 1:
            raise ParamError(f"linspace takes (start, stop, n) with an integer n >= 1, got {text!r}")
        values = np.linspace(numbers[0], numbers[1], int(numbers[2]))
    else:
        if not 1 <= len(numbers) <= 3 or (len(numbers) == 3 and numbers[2] == 0):
            raise ParamError(f"arange takes (stop), (start, stop) or (start, stop, step != 0), got {text!r}")
        values = np.arange(*numbers)
        if all(n == int(n) for n in numbers):
            return tuple(int(v) for v in values)
    return tuple(float(v) for v in values)


def parse_text(text: str) -> Any:
    """A CLI value: a JSON literal, a sweep shorthand (kept as text for :func:`coerce`) or a bare word."""
    if is_shorthand(text):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text  # a bare word such as `class`; coerce decides whether a string is allowed


def parse_assignment(text: str) -> tuple[str, Any]:
    """``name=value`` from ``--param`` -> (name, parsed value)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise ParamError(f"--param takes name=value (e.g. learning_rate=0.05), got {text!r}")
    return name.strip(), parse_text(value.strip())


# ---------------------------------------------------------------------------------------------------
# Coercion to the annotated type


def describe(annotation: Any) -> str:
    """A short human name for a parameter type, for `dudl show` and error messages."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(a) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of ({describe(args[0])})"
        return f"[{', '.join(describe(a) for a in args)}]"
    if annotation is type(None):
        return "null"
    return {float: "number", int: "integer", bool: "true/false", str: "string"}.get(annotation, str(annotation))


def coerce(value: Any, annotation: Any, name: str) -> Any:
    """Convert ``value`` to ``annotation`` (int, float, bool, str, Literal, Optional, tuple) or raise."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        # a value that already has one of the types keeps it (2.0 stays a float in `int | float`)
        options = sorted((a for a in args if a is not type(None)), key=lambda a: a is not type(value))
        for option in options:
            try:
                return coerce(value, option, name)
            except ParamError:
                continue
        raise _type_error(name, value, annotation)
    if origin is Literal:
        if value in args and not isinstance(value, bool):
            return value
        raise _type_error(name, value, annotation)
    if origin is tuple:
        return _coerce_tuple(value, args, annotation, name)
    if annotation is bool:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        raise _type_error(name, value, annotation)
    if annotation is int:
        if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
            return int(value)
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return int(value)
        raise _type_error(name, value, annotation)
    if annotation is float:
        if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_):
            return float(value)
        raise _type_error(name, value, annotation)
    if annotation is str:
        if isinstance(value, str):
            return value
        raise _type_error(name, value, annotation)
    raise TypeError(f"unsupported parameter type {annotation!r} for {name!r}")


def _coerce_tuple(value: Any, args: tuple[Any, ...], annotation: Any, name: str) -> tuple[Any, ...]:
    if isinstance(value, str) and is_shorthand(value):
        value = parse_shorthand(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise _type_error(name, value, annotation)
    if len(args) == 2 and args[1] is Ellipsis:
        if len(value) == 0:
            raise ParamError(f"parameter {name!r} must not be empty (expected {describe(annotation)})")
        return tuple(coerce(v, args[0], name) for v in value)
    if len(value) != len(args):
        raise ParamError(
            f"parameter {name!r} must have {len(args)} elements ({describe(annotation)}), got {_show(value)}"
        )
    return tuple(coerce(v, a, name) for v, a in zip(value, args, strict=True))


def _show(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, int | float | str | list | tuple | bool | None) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_error(name: str, value: Any, annotation: Any) -> ParamError:
    return ParamError(f"parameter {name!r} must be {describe(annotation)}, got {_show(value)}")


def _numbers(value: Any) -> list[float]:
    if isinstance(value, tuple):
        return [n for v in value for n in _numbers(v)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)]
    return []


def _check_bounds(value: Any, field: dataclasses.Field) -> None:
    meta = field.metadata
    rules = {"gt": lambda n, b: n > b, "ge": lambda n, b: n >= b, "lt": lambda n, b: n < b,
             "le": lambda n, b: n <= b}
    for number in _numbers(value):
        if math.isnan(number):
            raise ParamError(f"parameter {field.name!r} must not be NaN")
        for key, ok in rules.items():
            bound = meta.get(key)
            if bound is not None and not ok(number, bound):
                raise ParamError(f"parameter {field.name!r} must be {bounds_text(field)}, got {number:g}")


def bounds_text(field: dataclasses.Field) -> str:
    """The allowed range of a field, e.g. ``> 0`` or ``>= 1 and <= 100``; empty if unbounded."""
    symbols = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    parts = [f"{symbols[k]} {field.metadata[k]:g}" for k in symbols if field.metadata.get(k) is not None]
    return " and ".join(parts)
