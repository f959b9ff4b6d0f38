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

from dudl.errors import ParamError  # also imported from here by the lectures and the faces


def param(
    default: Any,
    doc: str,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    allow_inf: bool = False,
) -> Any:
    """A parameter field: course ``default``, one-line ``doc`` and optional bounds.

    Bounds apply to a number, and to every number inside a sequence (a sweep axis). NaN is never allowed;
    +/-Infinity only with ``allow_inf`` (where an infinite value means something, e.g. a threshold that
    stops at once, or a learning rate whose divergence is the data), and then still subject to the bounds.
    """
    return dataclasses.field(default=default, metadata={"doc": doc, "shown": None, "gt": gt, "ge": ge, "lt": lt,
                                                        "le": le, "allow_inf": allow_inf})


def sweep(shorthand: str, doc: str, **bounds: Any) -> Any:
    """A sweep-axis field whose default is written as the course writes it, e.g. ``linspace(.001,.1,40)``.

    ``bounds`` are :func:`param`'s (``gt``, ``ge``, ``lt``, ``le``, ``allow_inf``).
    """
    field = param(parse_shorthand(shorthand), doc, **bounds)  # param's signature rejects any other keyword
    return dataclasses.field(default=field.default, metadata={**field.metadata, "shown": shorthand})


def seed_param() -> Any:
    """The ``seed`` every stochastic experiment takes."""
    return param(0, "seed of every random draw: the same seed gives the same result", ge=0)


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

MAX_SWEEP_LENGTH = 100_000  # values of one list parameter (a sweep axis); the run-size budget judges the rest
MAX_NESTING = 8  # round(...) inside round(...): deeper is refused rather than unwrapped
INTEGER_RANGE = (-(2**63), 2**63 - 1)  # int64: what numpy and torch can hold


def is_shorthand(text: str) -> bool:
    """Whether ``text`` is written as ``linspace(...)``, ``arange(...)`` or ``round(...)``."""
    return bool(_SHORTHAND.match(text))


def parse_shorthand(text: str) -> tuple[float, ...] | tuple[int, ...]:
    """Evaluate a sweep shorthand without ``eval``.

    ``linspace(a,b,n)`` -> ``np.linspace(a, b, n)``; ``arange(start,stop,step)`` -> ``np.arange`` (stop
    excluded; one or two arguments also work); ``round(x)`` -> ``np.round(x)`` as ints. The numbers must be
    finite and the length at most :data:`MAX_SWEEP_LENGTH`, checked before anything is allocated.
    """
    match = _SHORTHAND.match(text)
    if not match:
        raise ParamError(f"{_show(text)} is not a sweep shorthand (allowed: linspace(a,b,n), arange(a,b,step), "
                         "round(...))")
    name, inner = match.groups()
    rounds = 0
    while name == "round":  # unwrapped in a loop, not by recursion: round(round(x)) is round(x)
        rounds += 1
        match = _SHORTHAND.match(inner)
        if rounds > MAX_NESTING or not match:
            raise ParamError(f"round(...) takes one linspace(...) or arange(...) (nested at most {MAX_NESTING} "
                             f"deep), got {_show(text)}")
        name, inner = match.groups()
    values = _linspace(inner, text) if name == "linspace" else _arange(inner, text)
    if rounds:
        return tuple(int(v) for v in np.round(np.asarray(values, dtype=float)))
    return values


def _shorthand_numbers(name: str, inner: str, text: str) -> list[float]:
    try:
        numbers = [float(part) for part in inner.split(",")]
    except ValueError:
        raise ParamError(f"{name}(...) takes numbers separated by commas, got {_show(text)}") from None
    if not all(math.isfinite(n) for n in numbers):
        raise ParamError(f"{name}(...) takes finite numbers, got {_show(text)}")
    return numbers


def _linspace(inner: str, text: str) -> tuple[float, ...]:
    numbers = _shorthand_numbers("linspace", inner, text)
    if len(numbers) != 3 or not numbers[2].is_integer() or not 1 <= numbers[2] <= MAX_SWEEP_LENGTH:
        raise ParamError(f"linspace takes (start, stop, n) with an integer n from 1 to {MAX_SWEEP_LENGTH}, "
                         f"got {_show(text)}")
    with np.errstate(over="ignore", invalid="ignore"):  # a span beyond the float range: refused just below
        values = np.linspace(numbers[0], numbers[1], int(numbers[2]))
    if not np.isfinite(values).all():
        raise ParamError(f"linspace's span from start to stop is beyond the float range, got {_show(text)}")
    return tuple(float(v) for v in values)


def _arange(inner: str, text: str) -> tuple[float, ...] | tuple[int, ...]:
    numbers = _shorthand_numbers("arange", inner, text)
    if not 1 <= len(numbers) <= 3 or (len(numbers) == 3 and numbers[2] == 0):
        raise ParamError(f"arange takes (stop), (start, stop) or (start, stop, step != 0), got {_show(text)}")
    start, stop, step = {1: [0.0, *numbers, 1.0], 2: [*numbers, 1.0], 3: numbers}[len(numbers)]
    if not (stop - start) / step <= MAX_SWEEP_LENGTH:  # also catches an overflow to inf
        raise ParamError(f"arange gives at most {MAX_SWEEP_LENGTH} values, got {_show(text)}")
    values = np.arange(*numbers)
    if all(n.is_integer() for n in numbers):
        return tuple(int(v) for v in values)
    return tuple(float(v) for v in values)


def parse_text(text: str) -> Any:
    """A CLI value: a JSON literal, a sweep shorthand (kept as text for :func:`coerce`) or a bare word."""
    if is_shorthand(text):
        return text
    try:
        return json.loads(text)
    except RecursionError:
        raise ParamError(f"{_show(text)} is nested too deeply") from None
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
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
            if not INTEGER_RANGE[0] <= value <= INTEGER_RANGE[1]:
                raise ParamError(f"parameter {name!r} must be an integer from -2**63 to 2**63-1 (int64), "
                                 f"got {_show(value)}")
            return int(value)
        raise _type_error(name, value, annotation)
    if annotation is float:
        if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_):
            try:
                return float(value)
            except OverflowError:  # an integer beyond the largest float
                raise ParamError(f"parameter {name!r} must be a number of magnitude below 1.8e308, "
                                 f"got {_show(value)}") from None
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
    if len(value) > MAX_SWEEP_LENGTH:
        raise ParamError(f"parameter {name!r} takes at most {MAX_SWEEP_LENGTH} values, got {len(value)}")
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
    """``value`` for a one-line message, at most 60 characters."""
    try:
        text = json.dumps(value) if isinstance(value, int | float | str | list | tuple | bool | None) else repr(value)
    except (ValueError, RecursionError):  # an integer of thousands of digits, or lists nested very deep
        text = f"a {type(value).__name__} too large to show"
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
        if math.isinf(number) and not meta.get("allow_inf"):
            allowed = " ".join(filter(None, ("a finite number", bounds_text(field))))
            raise ParamError(f"parameter {field.name!r} must be {allowed}, got {number:g}")
        for key, ok in rules.items():
            bound = meta.get(key)
            if bound is not None and not ok(number, bound):
                raise ParamError(f"parameter {field.name!r} must be {bounds_text(field)}, got {number:g}")


def bounds_text(field: dataclasses.Field) -> str:
    """The allowed range of a field, e.g. ``> 0``, ``>= 1 and <= 100`` or ``> 0, Infinity allowed``; empty if
    unbounded (numbers are then any finite value)."""
    symbols = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    parts = [f"{symbols[k]} {field.metadata[k]:g}" for k in symbols if field.metadata.get(k) is not None]
    infinity = ["Infinity allowed"] if field.metadata.get("allow_inf") else []
    return ", ".join(filter(None, [" and ".join(parts), *infinity]))
