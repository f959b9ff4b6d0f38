"""The run-size budget (dudl.budget): every experiment sized from its parameters and refused before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dudl
from dudl import budget, registry
from dudl.budget import Limits
from dudl.cli import main
from dudl.params import ParamError

SMALL = Limits(max_memory=2**30, max_seconds=60)  # fixed limits: the refusals must not depend on the machine


def never_run(monkeypatch: pytest.MonkeyPatch, experiment_id: str) -> None:
    """Make the experiment's run fail the test if it is ever called (a refusal must come before it)."""
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{experiment_id} ran; the budget should have refused it first")

    monkeypatch.setattr(registry.entry(experiment_id).load(), "run", fail)


def test_every_experiment_has_an_estimate() -> None:
    missing = [experiment_id for experiment_id in registry.experiments() if experiment_id not in budget.ESTIMATES]
    assert not missing, f"no run-size estimate in dudl.budget.ESTIMATES for: {', '.join(missing)}"
    assert set(budget.ESTIMATES) <= set(registry.experiments())


@pytest.mark.parametrize("experiment_id", registry.experiments())
def test_defaults_and_twenty_reps_fit_the_default_limits(experiment_id: str) -> None:
    # `make report` runs the defaults and the README's `dudl report --reps 20` twenty repetitions of each
    params = registry.resolve(experiment_id, {})
    size = budget.estimate(experiment_id, params)
    assert 0 <= size.memory_bytes < 2**30 and 0 <= size.seconds < 120 and size.result_bytes < 2**27
    with_reps = {"reps": 20} if hasattr(params, "reps") else {}
    limits = Limits(max_memory=4 * 2**30)  # the smallest machine we expect: 16 GiB
    assert budget.check(experiment_id, registry.resolve(experiment_id, with_reps), limits) is not None


# The examples of sizes that were never refused, and the parameter each refusal must name
OVERSIZED = [
    ("math.derivatives", {"n_points": 100_000_000}, "n_points=100000000"),
    ("gd.parametric", {"learning_rates": "linspace(.001,.1,100000)"}, "learning_rates (100000 values)"),
    ("ann.learning-rates", {"reps": 100_000}, "reps=100000"),
    ("gd.1d", {"epochs": 100_000_000}, "epochs=100000000"),
    ("gd.1d", {"epochs": 10**18}, "epochs=1000000000000000000"),
    ("gd.1d", {"reps": 10**18}, "reps=1000000000000000000"),
    ("gd.1d", {"reps": 100_000}, "reps=100000"),
    ("gd.2d", {"n_grid": 20_000}, "n_grid=20000"),
    ("ann.breadth-vs-depth", {"n_units": "arange(4,2000,3)"}, "n_units (666 values)"),
    ("ann.num-parameters", {"wide_layers": [2, 100_000, 100_000]}, "wide_layers=[2, 100000, 100000]"),
    ("overfit.kfold", {"epochs": 10**9}, "epochs=1000000000"),
    ("math.t-test", {"n1": 1_000_000, "reps": 1000}, "n1=1000000"),  # 33333 times the default, reps 1000
]


@pytest.mark.parametrize(("experiment_id", "overrides", "named"), OVERSIZED)
def test_oversized_runs_are_refused_before_they_start_naming_the_parameter(
        monkeypatch: pytest.MonkeyPatch, experiment_id: str, overrides: dict, named: str) -> None:
    never_run(monkeypatch, experiment_id)
    with pytest.raises(ParamError) as error:
        registry.run(experiment_id, overrides, limits=SMALL)
    message = str(error.value)
    assert message.startswith(f"{experiment_id}: {named} makes the run too big") and "\n" not in message
    assert "estimated" in message and ("--max-memory 1 GiB" in message or "--max-seconds 60 s" in message)


def test_the_limit_named_is_the_one_exceeded() -> None:
    params = registry.resolve("gd.1d", {"epochs": 1_000_000})
    size = budget.estimate("gd.1d", params)
    with pytest.raises(ParamError, match="--max-memory"):
        budget.check("gd.1d", params, Limits(max_memory=size.memory_bytes / 2, max_seconds=size.seconds * 2))
    with pytest.raises(ParamError, match="--max-seconds"):
        budget.check("gd.1d", params, Limits(max_memory=size.memory_bytes * 2, max_seconds=size.seconds / 2))
    assert budget.check("gd.1d", params, Limits(size.memory_bytes * 1.01, size.seconds * 1.01)) == size


def test_a_run_too_big_at_its_defaults_names_no_parameter() -> None:
    with pytest.raises(ParamError, match=r"^gd.1d: its parameters make the run too big: .*; raise the limit$"):
        budget.check("gd.1d", registry.resolve("gd.1d", {}), Limits(max_memory=1000))


@pytest.mark.parametrize("experiment_id", registry.experiments())
def test_estimates_grow_with_every_size_parameter(experiment_id: str) -> None:
    params = registry.resolve(experiment_id, {})
    base = budget.estimate(experiment_id, params)
    for name in ("reps", "epochs", "n_grid", "n_points", "n_per_cluster", "n_large", "n_random", "demo_epochs"):
        if hasattr(params, name):
            bigger = budget.estimate(experiment_id, registry.resolve(experiment_id, {name: 10 * getattr(params, name)}))
            assert bigger.memory_bytes >= base.memory_bytes and bigger.seconds > base.seconds, name


@pytest.mark.parametrize(("experiment_id", "overrides"), [
    ("gd.1d", {"reps": 300}),
    ("gd.dynamic-lr", {"reps": 100}),
    ("gd.parametric", {}),
    ("math.derivatives", {"n_points": 20_000}),
    ("math.t-test", {"n1": 2000, "n2": 3000, "reps": 3}),
    ("math.mean-variance", {"reps": 500}),
])
def test_the_result_size_estimate_is_close_to_the_json_written(experiment_id: str, overrides: dict) -> None:
    estimated = budget.estimate(experiment_id, registry.resolve(experiment_id, overrides)).result_bytes
    written = len(dudl.run(experiment_id, **overrides).to_json())
    assert written / 3 <= estimated <= 3 * written + 20_000


def test_the_api_keywords_set_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    never_run(monkeypatch, "gd.1d")
    with pytest.raises(ParamError, match=r"--max-memory 1 KiB \(max_memory= in dudl.run\)"):
        dudl.run("gd.1d", max_memory="1K")
    with pytest.raises(ParamError, match=r"--max-seconds 1e-06 s \(max_seconds= in dudl.run\)"):
        dudl.run("gd.1d", max_seconds=1e-6)
    with pytest.raises(AssertionError, match="ran"):  # raised limits: the run is reached
        dudl.run("gd.1d", epochs=100_000_000, max_memory="1T", max_seconds=10**6)


@pytest.mark.parametrize(("text", "expected"), [
    ("512", 512), ("4K", 4096), ("512M", 512 * 2**20), ("8G", 8 * 2**30), ("8GB", 8 * 2**30),
    ("1.5GiB", 1.5 * 2**30), ("2t", 2 * 2**40), ("1e9", 1e9), (10**6, 10**6),
])
def test_memory_sizes(text: str | int, expected: float) -> None:
    assert budget.parse_memory(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "-1G", "0", "0.0M", "1X", "inf", "nan", "1e400"])
def test_bad_memory_sizes(text: str) -> None:
    with pytest.raises(ParamError, match="--max-memory"):
        budget.parse_memory(text)


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), "soon", True])
def test_bad_second_limits(value: object) -> None:
    with pytest.raises(ParamError, match="--max-seconds must be a number > 0"):
        Limits.from_options(max_seconds=value)


def test_default_limits() -> None:
    limits = Limits()
    assert limits.max_memory == budget.physical_memory() / 4 and limits.max_seconds == budget.DEFAULT_MAX_SECONDS


@pytest.mark.parametrize("args", [
    ["run", "gd.1d", "--param", "epochs=100000000", "--max-memory", "1G"],
    ["run", "gd.2d", "--param", "n_grid=20000", "--max-memory", "1G"],
    ["run", "gd.1d", "--max-seconds", "0.000001"],
    ["run", "gd.1d", "--max-memory", "lots"],
])
def test_cli_refusals_are_one_line_and_write_nothing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
                                                     tmp_path: Path, args: list[str]) -> None:
    never_run(monkeypatch, args[1])
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--out", str(out)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and err.startswith("dudl: error: ")
    assert not out.exists()


def test_cli_limits_are_the_options(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    args = ["run", "gd.1d", "--json", "--no-figures", "--out", str(tmp_path)]  # about 330 KiB by the estimate
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--max-memory", "100K"])
    assert exit_info.value.code == 2 and "above the limit --max-memory 100 KiB" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--max-memory", "1M"])
    assert exit_info.value.code == 0 and json.loads(capsys.readouterr().out)["params"]["epochs"] == 100


def test_report_sizes_every_run_before_writing(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    out = tmp_path / "report"
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--out", str(out), "--max-seconds", "0.000001"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "too big" in err
    assert not out.exists()
