"""Parameter declaration, parsing and validation (dudl.params)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dudl.params import (
    ParamError,
    Params,
    param,
    parse_assignment,
    parse_shorthand,
    parse_text,
    reps_param,
    seed_param,
    sweep,
)


@dataclass(frozen=True)
class Example(Params):
    learning_rate: float = param(0.01, "step size", gt=0)
    epochs: int = param(100, "updates", ge=1)
    start: float | None = param(None, "start or null")
    point: tuple[float, float] | None = param(None, "a pair")
    method: Literal["add", "negate"] = param("add", "how")
    names: tuple[Literal["a", "b"], ...] = param(("a", "b"), "axis")
    rates: tuple[float, ...] = sweep("linspace(.001,.1,40)", "sweep", gt=0)
    centers: tuple[tuple[float, float], ...] = param(((1.0, 1.0), (5.0, 1.0)), "centres")
    flag: bool = param(False, "a switch")
    seed: int = seed_param()
    reps: int = reps_param(3)

    def check(self) -> None:
        if self.start is not None and self.start > 100:
            raise ParamError("start must be <= 100")


def test_defaults_resolve_to_the_course_values() -> None:
    params = Example()
    assert params.rates == tuple(np.linspace(0.001, 0.1, 40))
    assert params.reps == 3 and params.seed == 0
    assert params.to_dict()["centers"] == [[1.0, 1.0], [5.0, 1.0]]


def test_shorthands_match_numpy() -> None:
    assert parse_shorthand("linspace(-2,2,21)") == tuple(np.linspace(-2, 2, 21))
    assert parse_shorthand("arange(4,101,3)") == tuple(range(4, 101, 3))
    assert parse_shorthand("arange(1,129)") == tuple(range(1, 129))
    assert parse_shorthand("round(linspace(10,500,40))") == tuple(int(v) for v in np.round(np.linspace(10, 500, 40)))
    assert parse_shorthand("arange(0,1,0.25)") == (0.0, 0.25, 0.5, 0.75)


@pytest.mark.parametrize("text", ["linspace(1,2)", "linspace(1,2,0)", "linspace(1,2,2.5)", "arange(1,2,0)",
                                  "arange(a,b)", "linspace(__import__('os'),1,2)"])
def test_malformed_shorthands_are_errors(text: str) -> None:
    with pytest.raises(ParamError):
        parse_shorthand(text)


def test_coercion_from_cli_text() -> None:
    params = Example(**dict(parse_assignment(t) for t in [
        "learning_rate=1", "start=null", "point=[1, 2]", "method=negate", "names=[\"b\"]",
        "rates=linspace(0.1,0.2,3)", "centers=[[0,0],[1,1],[2,2]]", "flag=true", "epochs=5.0"]))
    assert params.learning_rate == 1.0 and isinstance(params.learning_rate, float)
    assert params.point == (1.0, 2.0) and params.method == "negate" and params.names == ("b",)
    assert params.rates == (0.1, 0.15000000000000002, 0.2) and params.epochs == 5 and params.flag is True
    assert len(params.centers) == 3


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"learning_rate": 0}, "'learning_rate' must be > 0"),
        ({"learning_rate": -1.0}, "'learning_rate' must be > 0"),
        ({"learning_rate": "fast"}, "'learning_rate' must be number"),
        ({"epochs": 0}, "'epochs' must be >= 1"),
        ({"epochs": 2.5}, "'epochs' must be integer"),
        ({"reps": 0}, "'reps' must be >= 1"),
        ({"seed": -1}, "'seed' must be >= 0"),
        ({"point": [1, 2, 3]}, "'point' must be [number, number] or null"),
        ({"point": 1.0}, "'point' must be"),
        ({"method": "other"}, "'method' must be one of \"add\", \"negate\""),
        ({"names": []}, "'names' must not be empty"),
        ({"rates": [0.1, -0.1]}, "'rates' must be > 0"),
        ({"centers": [[1, 2, 3]]}, "'centers' must have 2 elements"),
        ({"flag": 1}, "'flag' must be true/false"),
        ({"start": 1000.0}, "start must be <= 100"),
        ({"learning_rate": float("nan")}, "must not be NaN"),
    ],
)
def test_bad_values_raise_one_line_errors(overrides: dict, fragment: str) -> None:
    with pytest.raises(ParamError) as info:
        Example(**overrides)
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_bool_is_not_a_number() -> None:
    with pytest.raises(ParamError):
        Example(epochs=True)


@pytest.mark.parametrize("text", ["x", "=1", "x=", " = "])
def test_malformed_assignments(text: str) -> None:
    with pytest.raises(ParamError, match="name=value"):
        parse_assignment(text)


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers() | st.booleans() | st.none()
       | st.lists(st.integers(), max_size=4))
def test_json_literals_round_trip_through_parse_text(value: object) -> None:
    import json

    assert parse_text(json.dumps(value)) == value
