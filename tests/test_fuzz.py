"""Hostile `--param` values through the CLI entry point, in-process: every run ends in exit 0 with a valid
Result, or exit 2 with exactly one line on stderr and no file left behind.

Hypothesis draws, for each experiment, one of its parameters (or --reps / --seed) and a value: numbers of
every size and sign, NaN and infinities, JSON lists nested or ragged, strings, sweep shorthands with bad
numbers and deep round(...) nesting, and the parameter's own default scaled up. A low budget
(--max-seconds, --max-memory) keeps the valid runs small and makes the big ones refusals.

Examples: ``DUDL_FUZZ_EXAMPLES`` in all (default 300, spread over the experiments); derandomized, without
a database, so the suite is deterministic.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dudl import registry
from dudl.cli import main
from dudl.params import plain_value
from dudl.result import Result

EXAMPLES = max(1, math.ceil(int(os.environ.get("DUDL_FUZZ_EXAMPLES", "300")) / len(registry.experiments())))
LIMITS = ["--max-seconds", "1", "--max-memory", "256M"]

EXTREME_NUMBERS = [0, 1, -1, 2, 0.5, -0.0, 1e-300, 5e-324, 1e300, 1.7976931348623157e308, 2**31, 2**53 + 1,
                   2**63 - 1, 2**63, -(2**63), 10**18, 10**400, -(10**400), math.nan, math.inf, -math.inf]
numbers = st.one_of(st.sampled_from(EXTREME_NUMBERS), st.integers(), st.floats(), st.integers(-5, 300))
json_values = st.recursive(numbers | st.booleans() | st.none() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=4), max_leaves=12)
shorthand_numbers = st.one_of(numbers.map(repr), st.sampled_from(["nan", "inf", "-inf", "1e12", "1e400", "", "x"]))
shorthands = st.builds(lambda name, args, rounds: "round(" * rounds + f"{name}({','.join(args)})" + ")" * rounds,
                       st.sampled_from(["linspace", "arange"]), st.lists(shorthand_numbers, max_size=4),
                       st.integers(0, 3) | st.just(1500))
texts = st.one_of(
    json_values.map(json.dumps),
    shorthands,
    st.integers(1, 5000).map(lambda depth: "[" * depth + "1" + "]" * depth),
    st.text(max_size=30),
    st.sampled_from(["class", "Infinity", "-Infinity", "NaN", "1" * 5000, "null", "[]", "[[]]", "{}"]),
)


def scaled(default: Any, factor: float) -> Any:
    """The default with every number multiplied by ``factor`` (ints stay ints), as JSON-ready values."""
    if isinstance(default, list):
        return [scaled(value, factor) for value in default]
    if isinstance(default, bool) or not isinstance(default, int | float):
        return default
    return type(default)(default * factor) if math.isfinite(default * factor) else default * factor


def arguments(experiment_id: str) -> st.SearchStrategy[list[str]]:
    """CLI arguments for one hostile value of one parameter of ``experiment_id`` (or of --reps / --seed)."""
    fields = dataclasses.fields(registry.entry(experiment_id).load().Params)
    names = [field.name for field in fields]
    defaults = {field.name: plain_value(field.default) for field in fields}
    by_scaling = st.tuples(st.sampled_from(names), st.sampled_from([0, -1, 0.5, 3, 10, 1e3, 1e6, 1e12, 1e30])).map(
        lambda pair: (pair[0], json.dumps(scaled(defaults[pair[0]], pair[1]))))
    assignments = st.one_of(st.tuples(st.sampled_from(names), texts), by_scaling)
    options = st.tuples(st.sampled_from(["--reps", "--seed"]), numbers.map(str) | st.text(max_size=10))
    return st.one_of(assignments.map(lambda pair: ["--param", f"{pair[0]}={pair[1]}"]),
                     options.map(list))


@pytest.mark.slow
@pytest.mark.parametrize("experiment_id", registry.experiments())
def test_hostile_values_end_in_a_result_or_one_line(experiment_id: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    counter = iter(range(10**9))

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(args=arguments(experiment_id))
    def run(args: list[str]) -> None:
        out = tmp_path / str(next(counter))
        with pytest.raises(SystemExit) as exit_info:
            main(["run", experiment_id, *args, "--json", "--no-figures", "--out", str(out), *LIMITS])
        captured = capsys.readouterr()
        code = exit_info.value.code
        assert code in (0, 2), (args, code, captured.err[-2000:])
        if code == 2:
            assert captured.err.startswith("dudl: error: ") and captured.err.count("\n") == 1, (args, captured.err)
            assert not out.exists() or not any(out.rglob("*")), (args, sorted(out.rglob("*")))
        else:
            result = Result.from_dict(json.loads(captured.out))
            assert result.id == experiment_id and (out / experiment_id).is_dir(), args

    run()
