"""Parameter declaration, parsing and validation (dudl.params)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dudl import registry
from dudl.params import (
    ParamError,
    Params,
    bounds_text,
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


@dataclass(frozen=True)
class Thresholds(Params):
    threshold: float | None = param(None, "stop below; null = never", gt=0, allow_inf=True)
    rates: tuple[float, ...] = param((0.1,), "rates", gt=0, allow_inf=True)
    blur: float = param(1.0, "spread", ge=0)


def one_line_error(make: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ParamError) as info:
        make(*args, **kwargs)
    message = str(info.value)
    assert message and "\n" not in message and len(message) < 400
    return message


@pytest.mark.parametrize(("text", "fragment"), [
    ("linspace(1,2,nan)", "finite numbers"),
    ("linspace(1,2,inf)", "finite numbers"),
    ("linspace(1,2,1e12)", "integer n from 1 to 100000"),
    ("linspace(1,2,100001)", "integer n from 1 to 100000"),
    ("arange(0,inf)", "finite numbers"),
    ("arange(1,2,nan)", "finite numbers"),
    ("arange(0,1e308,1e-300)", "at most 100000 values"),
    ("arange(-1e308,1e308)", "at most 100000 values"),
    ("round(linspace(0,1e309,3))", "finite numbers"),
    ("round(" * 1500 + "arange(3)" + ")" * 1500, "nested at most 8 deep"),
    ("round(5)", "takes one linspace(...) or arange(...)"),
])
def test_shorthands_refuse_non_finite_numbers_absurd_lengths_and_deep_nesting(text: str, fragment: str) -> None:
    assert fragment in one_line_error(parse_shorthand, text)


def test_rounds_nest_without_recursion() -> None:
    assert parse_shorthand("round(" * 8 + "linspace(1,5,3)" + ")" * 8) == (1, 3, 5)
    assert parse_shorthand("arange(3)") == (0, 1, 2) and parse_shorthand("arange(2,5)") == (2, 3, 4)


def test_deeply_nested_json_is_one_error() -> None:
    assert "nested too deeply" in one_line_error(parse_text, "[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"epochs": 10**400}, "'epochs' must be an integer from -2**63 to 2**63-1"),
    ({"epochs": 2**63}, "'epochs' must be an integer from -2**63 to 2**63-1"),
    ({"epochs": 1e300}, "'epochs' must be an integer from -2**63 to 2**63-1"),
    ({"seed": -(2**63) - 1}, "'seed' must be an integer from"),
    ({"learning_rate": 10**400}, "'learning_rate' must be a number of magnitude below 1.8e308"),
    ({"start": float("inf")}, "'start' must be a finite number, got inf"),
    ({"learning_rate": float("inf")}, "'learning_rate' must be a finite number > 0, got inf"),
    ({"rates": [0.1, float("-inf")]}, "'rates' must be a finite number > 0, got -inf"),
    ({"centers": [[1, 1], [float("inf"), 1]]}, "'centers' must be a finite number, got inf"),
    ({"epochs": float("inf")}, "'epochs' must be integer"),
    ({"epochs": float("nan")}, "'epochs' must be integer"),
    ({"rates": [0.1] * 100_001}, "'rates' takes at most 100000 values, got 100001"),
    ({"rates": "linspace(.1,1,1e9)"}, "integer n from 1 to 100000"),
])
def test_numbers_beyond_what_a_parameter_can_mean_are_refused(overrides: dict, fragment: str) -> None:
    assert fragment in one_line_error(Example, **overrides)


def test_infinity_only_where_a_parameter_allows_it() -> None:
    params = Thresholds(threshold=float("inf"), rates=[0.5, float("inf")])
    assert params.threshold == math.inf and params.rates == (0.5, math.inf)
    assert "'threshold' must be > 0, Infinity allowed, got -inf" in one_line_error(Thresholds, threshold=-math.inf)
    assert "must not be NaN" in one_line_error(Thresholds, threshold=math.nan)
    assert "'blur' must be a finite number >= 0, got inf" in one_line_error(Thresholds, blur=math.inf)
    assert Thresholds(**dict([parse_assignment("threshold=Infinity")])).threshold == math.inf
    assert Thresholds(**dict([parse_assignment("threshold=1e999")])).threshold == math.inf


def test_bounds_text_says_where_infinity_is_allowed() -> None:
    fields = {field.name: field for field in dataclasses.fields(Thresholds)}
    assert bounds_text(fields["threshold"]) == "> 0, Infinity allowed"
    assert bounds_text(fields["blur"]) == ">= 0"


def test_which_parameters_take_infinity() -> None:
    # the torch experiments' learning rates (divergence is data) and gd.1d's stopping threshold; nothing else
    allowed = {(experiment_id, field.name) for experiment_id in registry.experiments()
               for field in dataclasses.fields(registry.entry(experiment_id).load().Params)
               if field.metadata.get("allow_inf")}
    torch_rates = {(e.id, name) for e in registry.CATALOG if e.uses_torch
                   for name in ("learning_rate", "learning_rates", "demo_learning_rate")
                   if name in {f.name for f in dataclasses.fields(e.load().Params)}}
    assert allowed == torch_rates | {("gd.1d", "grad_threshold")}


HOSTILE = [math.nan, math.inf, -math.inf, 10**400, -(10**400), "linspace(1,2,nan)", "round(linspace(0,1e309,3))",
           "linspace(0,1,1e12)", [[[[[[[[[1]]]]]]]]], "1" * 5000]


@pytest.mark.parametrize("experiment_id", registry.experiments())
def test_every_parameter_refuses_hostile_values_with_one_line(experiment_id: str) -> None:
    fields = dataclasses.fields(registry.entry(experiment_id).load().Params)
    for field in fields:
        for value in HOSTILE:
            if field.metadata.get("allow_inf") and value == math.inf:
                continue
            one_line_error(registry.resolve, experiment_id, {field.name: value})


def test_show_says_which_parameters_take_infinity(capsys: pytest.CaptureFixture) -> None:
    from dudl.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["show", "gd.1d"])
    rows = {line.split()[1]: line for line in capsys.readouterr().out.splitlines() if line.startswith("│ ")}
    assert exit_info.value.code == 0
    assert "Infinity allowed" in rows["grad_threshold"] and "Infinity" not in rows["learning_rate"]
