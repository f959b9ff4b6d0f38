"""What every experiment must do, one table row per experiment (`CASES`, keyed like `registry.experiments()`):

* a small run's figures are exactly the row's names, each draws and renders from the Result loaded back from
  JSON, and the reloaded Result prints the same lines (none only where the lecture printed none);
* each of the row's bad parameter values is one `dudl.ParamError` line naming what is wrong;
* repetition r is the same whatever the number of repetitions, and another seed changes the numbers;
* where the row has CLI arguments: `dudl run ID --json --no-figures ARGS` gives the id, the seed, the row's
  expected values and shapes, the metrics of the same run in-process and its printed lines.

The course's values, the statistics over seeds and the experiments' own quirks are in the section's test files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pytest

import dudl
from dudl import registry
from dudl.result import Result


@dataclass(frozen=True)
class Case:
    """One experiment's row: ``small`` overrides of a quick run and the ``figures`` it draws; ``bad``
    (overrides, fragment of the one-line error) pairs; ``cli`` the arguments after ``dudl run ID --json
    --no-figures`` (None: no CLI run here), with the JSON values (``expect``) and shapes (``shapes``) it must
    give at "metrics/NAME[/INDEX...]" or "params/NAME"."""

    small: dict[str, Any] = field(default_factory=dict)
    figures: frozenset[str] = frozenset()
    bad: tuple[tuple[dict[str, Any], str], ...] = ()
    cli: tuple[str, ...] | None = None
    expect: dict[str, Any] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)


def case(figures: Iterable[str] = (), *, small: dict[str, Any] | None = None,
         bad: Iterable[tuple[dict[str, Any], str]] = (), cli: Iterable[str] | None = None,
         expect: dict[str, Any] | None = None, shapes: dict[str, tuple[int, ...]] | None = None) -> Case:
    """A row of `CASES` (see `Case`)."""
    return Case(small or {}, frozenset(figures), tuple(bad), None if cli is None else tuple(cli), expect or {},
                shapes or {})


SILENT = {"math.log", "gd.parametric"}  # print nothing (gd.parametric: a line over reps > 1 only)
SWEEP = "linspace(.01,.1,3)"
SEQ2CLASS_RATES = "linspace(.01,.1,4)"

CASES: dict[str, Case] = {
    # -- math -------------------------------------------------------------------------------------------------
    "math.derivatives": case(
        {"function", "derivative", "activations", "activation_derivatives"},
        bad=[({"expression": "y**2"}, "unknown name 'y'"),
             ({"expression": "__import__('os')"}, "unknown function"),
             ({"expression": "x +"}, "not valid sympy syntax"),
             ({"expression": 3}, "'expression' must be string"),
             ({"n_points": 1}, "'n_points' must be >= 2"),
             ({"x_min": 1, "x_max": 1}, "x_min must be less than x_max"),
             ({"seed": 1}, "unknown parameter 'seed'")],
        cli=["--param", 'expression="x**3"', "--param", "n_points=3"],
        expect={"metrics/derivative": "3*x**2", "metrics/df": [48.0, 0.0, 48.0]}),
    "math.transpose": case(
        bad=[({"matrix": [[1, 2, 3], [4, 5]]}, "'matrix' must have rows of equal length"),
             ({"vector": [[1, 2], [3]]}, "'vector' must have rows of equal length"),
             ({"vector": [[[1]]]}, "'vector' must be list of"),
             ({"matrix": [1, 2]}, "'matrix' must be list of (integer or number), got 1"),
             ({"vector": []}, "'vector' must"),
             ({"seed": 1}, "unknown parameter 'seed'")]),
    "math.dot-product": case(
        bad=[({"v2": [1, 2]}, "v1 and v2 must have the same length, got 4 and 2"),
             ({"v1": ["a", 1, 2, 3]}, "'v1' must be integer or number, got \"a\""),
             ({"reps": 2}, "unknown parameter 'reps'")]),
    "math.matrix-multiplication": case(
        small={"reps": 2},
        bad=[({"shape_a": [0, 4]}, "'shape_a' must be >= 1"),
             ({"shape_b": [4, 1001]}, "'shape_b' must be >= 1 and <= 1000"),
             ({"shape_c": [3]}, "'shape_c' must have 2 elements"),
             ({"decimals": 16}, "'decimals' must be >= 0 and <= 15"),
             ({"reps": 0}, "'reps' must be >= 1")]),
    "math.softmax": case(
        {"random_softmax", "methods"}, small={"reps": 2},
        bad=[({"random_high": -5}, "random_high must be greater than random_low, got -5 and -5"),
             ({"n_random": 0}, "'n_random' must be >= 1"),
             ({"z": []}, "'z' must not be empty"),
             ({"z": [[1, 2]]}, "'z' must be integer or number"),
             ({"log_scale": "yes"}, "'log_scale' must be true/false")]),
    "math.log": case(
        {"log", "inverses"},
        bad=[({"x_min": 0}, "'x_min' must be > 0, got 0"),
             ({"x_min": 1, "x_max": 0.5}, "x_min must be less than x_max, got 1 and 0.5"),
             ({"n_points": 1}, "'n_points' must be >= 2"),
             ({"log_base": 1}, "'log_base' must be > 0 and != 1 (or null), got 1"),
             ({"log_base": -2}, "'log_base' must be > 0")]),
    "math.entropy": case(
        bad=[({"p": [1.5, -0.5]}, "'p' must hold probabilities in [0, 1], got 1.5"),
             ({"probabilities": [0, 1]}, "'probabilities' must hold probabilities in (0, 1], got 0"),
             ({"q": [0, 1]}, "'q' must hold probabilities in (0, 1], got 0"),
             ({"probabilities": [0.5, 0.6]}, "'probabilities' must sum to 1"),
             ({"probabilities": [1]}, "'probabilities' must have at least 2 entries"),
             ({"q": [0.5, 0.25, 0.25]}, "p and q must have the same length, got 2 and 3"),
             ({"p_event": 1}, "'p_event' must be > 0 and < 1, got 1"),
             ({"log_base": 1}, "'log_base' must be > 0 and != 1"),
             ({"bce_call": "reversed"}, "'bce_call' must be one of \"fixed\", \"swapped\", \"original\"")]),
    "math.argmin": case(
        bad=[({"matrix": [[1, 2, 3], [4, 5]]}, "rows of equal length"),
             ({"matrix": [1, 2, 3]}, "'matrix' must be"),
             ({"vector": []}, "must not be empty"),
             ({"vector": [1, "a"]}, "'vector' must be"),
             ({"seed": 1}, "unknown parameter 'seed'")]),
    "math.mean-variance": case(
        small={"reps": 2},
        bad=[({"x": [1]}, "at least 2 numbers"),
             ({"large_low": 5, "large_high": 5}, "large_high must be greater than large_low"),
             ({"n_large": 1}, "'n_large' must be >= 2"),
             ({"x": [1, float("inf")]}, "'x' must be a finite number"),
             ({"x": [1, -2e100]}, "'x' must be >= -1e+100 and <= 1e+100")]),
    "math.sampling": case(
        {"sample_means"}, small={"reps": 2},
        bad=[({"replace": False, "sample_size": 17}, "sample_size (17) must be <= len(x) (16) when replace is false"),
             ({"replace": False, "demo_sample_size": 20}, "demo_sample_size (20) must be <= len(x) (16)"),
             ({"sample_size": 0}, "'sample_size' must be >= 1"),
             ({"x": []}, "must not be empty"),
             ({"bins": 0}, "'bins' must be >= 1"),
             ({"x": [1e101]}, "'x' must be >= -1e+100 and <= 1e+100")]),
    "math.random-seed": case(
        small={"reps": 2},
        bad=[({"numpy_seed": 2**32}, "'numpy_seed' must be below 2**32, got 4294967296"),
             ({"second_numpy_seed": -1}, "'second_numpy_seed' must be >= 0"),
             ({"torch_seed": -1}, "'torch_seed' must be >= 0"),
             ({"torch_seed": 2**63}, "'torch_seed' must be an integer from -2**63 to 2**63-1 (int64)"),
             ({"local_generator": "PCG64"}, "'local_generator' must be one of"),
             ({"n_numbers": 0}, "'n_numbers' must be >= 1")]),
    "math.t-test": case(
        {"data", "t_test", "t_spread"}, small={"reps": 2},
        bad=[({"n1": 1}, "'n1' must be >= 2"),
             ({"sd2": 0}, "'sd2' must be > 0"),
             ({"jitter_divisor": -1}, "'jitter_divisor' must be > 0"),
             ({"mu1": 1e101}, "'mu1' must be >= -1e+100 and <= 1e+100"),
             ({"reps": 0}, "'reps' must be >= 1")]),
    "math.derivatives2": case(
        bad=[({"outer": "x**5"}, "parameter 'outer': expression 'x**5': unknown name 'x'"),
             ({"inner": "u + 1"}, "parameter 'inner': expression 'u + 1': unknown name 'u'"),
             ({"f": "x +"}, "parameter 'f': expression 'x +' is not valid sympy syntax"),
             ({"g": ""}, "parameter 'g': expression must be a function of x"),
             ({"seed": 0}, "unknown parameter 'seed'")],
        cli=["--param", 'f="x**3"', "--param", 'outer="sin(u)"'],
        expect={"metrics/df": "3*x**2", "metrics/chain_derivative": "(12*x**2 + 2*x)*cos(4*x**3 + x**2)",
                "metrics/chain_rule_holds": True}),
    # -- gd ---------------------------------------------------------------------------------------------------
    "gd.1d": case(
        {"function", "result", "trajectory", "final_spread"}, small={"start": 1.006, "reps": 2},
        bad=[({"learning_rate": 0}, "'learning_rate' must be > 0"),
             ({"epochs": 0}, "'epochs' must be >= 1"),
             ({"reps": 0}, "'reps' must be >= 1"),
             ({"grad_threshold": 0}, "'grad_threshold' must be > 0"),
             ({"n_grid": 1}, "'n_grid' must be >= 2"),
             ({"x_min": 2, "x_max": -2}, "x_min must be less than x_max"),
             ({"start": [1.0]}, "'start' must be number or null")],
        cli=["--param", "start=1.006", "--param", "grad_threshold=0.5"],
        expect={"metrics/n_iterations": [30], "metrics/trajectory/0/-1": None}),
    "gd.2d": case(
        {"landscape", "trajectory", "final_spread"}, small={"ascent": True, "epochs": 20, "reps": 2},
        bad=[({"start": [1, 2, 3]}, "'start' must be"),
             ({"ascent_method": "flip"}, "must be one of")],
        cli=["--param", "start=[-0.56050454,-1.35877004]", "--param", "ascent=true", "--param", "epochs=5"],
        expect={"params/ascent": True}, shapes={"metrics/trajectory": (1, 5, 2)}),
    "gd.start-value": case(
        {"function", "result", "final_spread"}, small={"reps": 2},
        bad=[({"start": float("inf")}, "'start' must be a finite number, got inf")],
        cli=["--param", "start=0", "--reps", "2"],
        expect={"metrics/final_minimum": [0.0, 0.0]}),
    "gd.dynamic-lr": case(
        {"schedules", "final_spread"}, small={"reps": 3, "learning_rate_gradient": 0.3},
        cli=["--param", 'schedules=["time","fixed"]', "--param", "epochs=5"],
        expect={"metrics/schedules": ["time", "fixed"]}, shapes={"metrics/start": (1, 2)}),
    "gd.parametric": case(
        {"function", "single_run", "start_values", "learning_rates", "lr_epochs_heatmap", "lr_epochs_lines"},
        small={"epochs": 50, "epoch_counts": "round(linspace(10,50,5))"},
        bad=[({"start_values": []}, "'start_values' must not be empty"),
             ({"learning_rates": [0.1, -0.1]}, "'learning_rates' must be > 0"),
             ({"epoch_counts": [0, 10]}, "'epoch_counts' must be >= 1")],
        cli=["--param", "learning_rates=linspace(.01,.1,4)", "--param", "epoch_counts=round(linspace(10,40,3))",
             "--param", "epochs=20"],
        expect={"metrics/epoch_counts": [10, 25, 40]}, shapes={"metrics/final_by_lr_and_epochs": (4, 3)}),
    # -- ann --------------------------------------------------------------------------------------------------
    "ann.regression": case(
        {"data", "losses", "predictions", "final_loss_spread"}, small={"epochs": 50, "reps": 2},
        bad=[({"n": 1}, "'n' must be >= 2, got 1")],
        cli=["--param", "epochs=30", "--reps", "2"]),
    "ann.regression-slope": case(
        {"demo", "slope_sweep", "example_data"}, small={"slopes": "linspace(-2,2,3)", "epochs": 50, "reps": 2},
        bad=[({"reps": 0}, "'reps' must be >= 1, got 0")],
        cli=["--param", "slopes=linspace(-1,1,3)", "--param", "epochs=30", "--reps", "2"]),
    "ann.qwerties": case(
        {"data", "losses", "predictions", "decision_surface", "accuracy_spread"}, small={"epochs": 50, "reps": 2},
        bad=[({"centers": [[1, 2, 3], [4, 5, 6]]}, "'centers' must have 2 elements"),
             ({"centers": [[1, 1], [5, 1], [3, -2]]}, "'centers' must hold 2 [x, y] centres, got 3")],
        cli=["--param", "epochs=30", "--reps", "2"]),
    "ann.learning-rates": case(
        {"demo_losses", "sweep", "meta_accuracy", "meta_accuracy_map"},
        small={"learning_rates": SWEEP, "epochs": 50, "meta_epochs": 20, "reps": 2},
        bad=[({"learning_rates": [0.01, -0.1]}, "must be > 0, Infinity allowed, got -0.1"),
             ({"success_threshold": 120}, "'success_threshold' must be >= 0 and <= 100, got 120")],
        cli=["--param", f"learning_rates={SWEEP}", "--param", "epochs=30", "--param", "meta_epochs=20",
             "--reps", "2"]),
    "ann.multilayer": case(
        {"data", "demo_losses", "sweep"}, small={"learning_rates": SWEEP, "epochs": 50, "reps": 2},
        bad=[({"n_hidden": 0}, "'n_hidden' must be >= 1, got 0"),
             ({"n_hidden": -4}, "'n_hidden' must be >= 1, got -4"),
             ({"learning_rates": []}, "'learning_rates' must not be empty")],
        cli=["--param", "learning_rates=[0.01,0.05]", "--param", "epochs=30"]),
    "ann.linear-vs-nonlinear": case(
        {"sweep", "losses", "decision_boundaries", "decision_surface"},
        small={"learning_rates": SWEEP, "epochs": 50, "reps": 2},
        bad=[({"models": ["linear", "quadratic"]},
              "'models' must be one of \"nonlinear\", \"linear\", got \"quadratic\"")],
        cli=["--param", "learning_rates=[0.01,0.05]", "--param", "epochs=30", "--param", 'models=["linear"]']),
    "ann.iris": case(
        {"pairplot", "training", "outputs", "accuracy_spread"},
        small={"epochs": 20, "n_hidden": 8, "reps": 2, "plot_logits": True},
        bad=[({"n_hidden": 0}, "'n_hidden' must be >= 1, got 0"),
             ({"learning_rate": -0.1}, "'learning_rate' must be > 0, Infinity allowed, got -0.1")],
        cli=["--param", "epochs=30", "--param", "n_hidden=16", "--reps", "2"],
        expect={"params/reps": 2}, shapes={"metrics/accuracy": (2,)}),
    "ann.qwerties-3class": case(
        {"data", "training", "outputs", "decision_surface", "accuracy_spread"}, small={"epochs": 20, "reps": 2},
        bad=[({"centers": [[1, 1], [5, 1]]}, "'centers' must hold 3 [x, y] centres, got 2"),
             ({"centers": [[1, 1, 1], [5, 1, 1], [3, -2, 0]]}, "'centers' must have 2 elements"),
             ({"n_hidden": -4}, "'n_hidden' must be >= 1, got -4")],
        cli=["--param", "epochs=30", "--param", "double_softmax=false"],
        expect={"params/double_softmax": False}, shapes={"metrics/probabilities": (1, 300, 3)}),
    "ann.hidden-units": case(
        {"accuracy_by_hidden_units"}, small={"epochs": 10, "n_hidden": [1, 8], "reps": 2},
        bad=[({"n_hidden": []}, "'n_hidden' must not be empty"),
             ({"n_hidden": [4, -2]}, "'n_hidden' must be >= 1, got -2")],
        cli=["--param", "n_hidden=arange(1,129,40)", "--param", "epochs=20"],
        expect={"metrics/n_hidden": [1, 41, 81, 121]}, shapes={"metrics/accuracy": (1, 4)}),
    "ann.num-parameters": case(
        bad=[({"wide_layers": [2]}, "'wide_layers' must list at least 2 layer sizes"),
             ({"deep_layers": [2, 0, 3]}, "'deep_layers' must be >= 1, got 0"),
             ({"reps": 3}, "unknown parameter 'reps' for ann.num-parameters")],
        cli=["--param", "wide_layers=[2,8,3]"],
        expect={"metrics/wide_params": 2 * 8 + 8 + 8 * 3 + 3, "metrics/wide_nodes": 11}),
    "ann.seq-vs-class": case(
        {"data", "losses", "predictions", "accuracy_spread"}, small={"epochs": 50, "reps": 2},
        bad=[({"definitions": ["sequential", "klass"]},
              "'definitions' must be one of \"sequential\", \"class\", got \"klass\""),
             ({"definitions": ["class", "class"]}, "'definitions' must not repeat a definition")],
        cli=["--param", "epochs=30", "--param", 'definitions=["class","sequential"]']),
    "ann.seq2class": case(
        {"data", "demo_losses", "sweep"}, small={"epochs": 20, "learning_rates": SEQ2CLASS_RATES, "reps": 2},
        bad=[({"definitions": ["sequential", "functional"]},
              "'definitions' must be one of \"sequential\", \"class\", got \"functional\""),
             ({"definitions": ["class", "class"]}, "'definitions' must not repeat a definition"),
             ({"learning_rates": []}, "'learning_rates' must not be empty")],
        cli=["--param", f"learning_rates={SWEEP}", "--param", "epochs=30", "--seed", "2"],
        shapes={"metrics/accuracy": (1, 2, 3)}),
    "ann.breadth-vs-depth": case(
        {"accuracy_by_units", "accuracy_vs_params"},
        small={"epochs": 10, "n_layers": [1, 2], "n_units": [4, 8], "demo_epochs": 10, "reps": 2},
        bad=[({"n_units": [4, -1]}, "'n_units' must be >= 1, got -1"),
             ({"demo_units": 0}, "'demo_units' must be >= 1, got 0")],
        cli=["--param", "n_layers=[1,2]", "--param", "n_units=round(linspace(4,10,3))", "--param", "epochs=10",
             "--param", "demo_epochs=10"],
        expect={"metrics/n_units": [4, 7, 10]}, shapes={"metrics/n_params": (2, 3)}),
    # -- overfit ----------------------------------------------------------------------------------------------
    "overfit.manual": case(
        {"training"}, small={"epochs": 3},
        bad=[({"train_proportion": 1.0}, "train_proportion"),
             ({"train_proportion": 0.005}, "empty training set"),
             ({"split_method": "stratified", "train_proportion": 0.01}, "species")],
        cli=["--seed", "3", "--param", "epochs=3"]),
    "overfit.sklearn": case(
        {"demo_accuracy", "accuracy_heatmaps"}, small={"epochs": 3, "train_proportions": "linspace(.2,.8,3)"},
        bad=[({"train_proportions": [0.5, 0.001]}, "empty training set"),
             ({"train_proportion": 0.0}, "train_proportion")],
        cli=["--seed", "3", "--param", "epochs=3", "--param", "train_proportions=linspace(.2,.8,3)"]),
    "overfit.dataloader": case(
        {"accuracy"}, small={"epochs": 2},
        bad=[({"batch_size": 0}, "batch_size")],
        cli=["--seed", "3", "--param", "epochs=2"]),
    "overfit.train-dev-test": case(
        small={"reps": 2},
        bad=[({"partitions": [0.8, 0.1, 0.2]}, "sum to 1"),
             ({"partitions": [0.9, 0.05, 0.05]}, "empty set")],
        cli=["--seed", "3", "--reps", "2"]),
    "overfit.regression": case(
        {"data", "predictions", "losses"}, small={"epochs": 3},
        bad=[({"train_proportion": 0.001}, "empty training set"),
             ({"train_proportion": 0.999}, "empty test set")],
        cli=["--seed", "3", "--param", "epochs=3"]),
    "overfit.kfold": case(
        {"fold_accuracy", "test_accuracy_by_epoch"}, small={"epochs": 2, "k": 3},
        bad=[({"k": 1}, "'k'"),
             ({"k": 151}, "<= 150"),
             ({"k": 51, "stratified": True}, "<= 50")],
        cli=["--seed", "3", "--param", "epochs=2", "--param", "k=3"]),
}

BAD = [pytest.param(experiment_id, overrides, fragment, id=f"{experiment_id}-{i}")
       for experiment_id, row in CASES.items() for i, (overrides, fragment) in enumerate(row.bad)]
CLI = [experiment_id for experiment_id, row in CASES.items() if row.cli is not None]


def at(data: dict[str, Any], path: str) -> Any:
    """The value at "a/b/0/-1" in the parsed JSON ``data`` (list indices are integers)."""
    value: Any = data
    for part in path.split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_every_experiment_has_a_row() -> None:
    assert list(CASES) == registry.experiments()
    assert len(CLI) >= 26 and len(BAD) >= 125  # the tables above may grow, never shrink


@pytest.mark.parametrize("experiment_id", registry.experiments())
def test_figures_and_printed_lines_from_json(experiment_id: str, draw) -> None:
    row = CASES[experiment_id]
    result = dudl.run(experiment_id, **row.small)
    loaded = draw(result, set(row.figures))
    lines = result.printed()
    assert loaded.printed() == lines and all(isinstance(line, str) for line in lines)
    assert (lines == []) == (experiment_id in SILENT)


def json_metrics(experiment_id: str, **params: Any) -> dict[str, Any]:
    """The run's metrics as its result JSON holds them (NaN as null: compared exactly, bit for bit)."""
    return json.loads(dudl.run(experiment_id, **params).to_json())["metrics"]


REPEATED = [i for i in registry.experiments() if "reps" in {f.name for f in fields(registry.entry(i).load().Params)}]


@pytest.mark.parametrize("experiment_id", REPEATED)
def test_repetition_r_is_the_same_whatever_reps(experiment_id: str) -> None:
    """Every metric with a reps axis: repetitions 0 and 1 of 3 are those of 2, bit for bit; another seed
    changes some (the row's small run, with a random start where the row fixes one)."""
    small = {k: v for k, v in CASES[experiment_id].small.items() if k not in ("reps", "start")}
    two, three = (json_metrics(experiment_id, **small, reps=reps, seed=5) for reps in (2, 3))
    by_rep = [name for name, value in two.items() if isinstance(value, list) and len(value) == 2
              and isinstance(three[name], list) and len(three[name]) == 3]
    assert by_rep and [name for name in by_rep if three[name][:2] != two[name]] == []
    other_seed = json_metrics(experiment_id, **small, reps=2, seed=6)
    assert any(other_seed[name] != two[name] for name in by_rep)


@pytest.mark.parametrize(("experiment_id", "overrides", "fragment"), BAD)
def test_bad_parameters_raise_one_line_param_errors(experiment_id: str, overrides: dict, fragment: str) -> None:
    with pytest.raises(dudl.ParamError) as error:
        dudl.run(experiment_id, **overrides)
    assert fragment in str(error.value) and "\n" not in str(error.value), str(error.value)


@pytest.mark.slow
@pytest.mark.parametrize("experiment_id", CLI)
def test_cli_runs_end_to_end(cli_json, experiment_id: str) -> None:
    row = CASES[experiment_id]
    data = cli_json(experiment_id, *row.cli)
    assert data["id"] == experiment_id
    if "seed" in data["params"]:
        assert data["params"]["seed"] == (int(row.cli[row.cli.index("--seed") + 1]) if "--seed" in row.cli else 0)
    for path, expected in row.expect.items():
        assert json.dumps(at(data, path)) == json.dumps(expected), path  # True is not 1, 0.0 is not 0
    for path, shape in row.shapes.items():
        assert np.shape(at(data, path)) == shape, path
    in_process = dudl.run(experiment_id, **data["params"])
    assert data["metrics"] == json.loads(in_process.to_json())["metrics"]
    assert Result.from_dict(data).printed() == in_process.printed()
