"""Result: JSON round trip (NaN/inf -> null), atomic saving, summary rows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import dudl
from dudl.result import Result


def make_result(**metrics: object) -> Result:
    return Result(id="gd.1d", params={"seed": 0, "reps": 2}, metrics=metrics, elapsed_s=0.25,
                  dudl_version="0.1.0")


def test_json_has_exactly_the_contract_keys_and_nulls_for_non_finite() -> None:
    result = make_result(trajectory=np.array([[1.0, np.nan], [np.inf, -np.inf]]), n=np.int64(3),
                         label="4*x", ragged=[[1, 2], [3]], flags=np.array([True, False]))
    data = json.loads(result.to_json())
    assert list(data) == ["id", "params", "metrics", "elapsed_s", "dudl_version"]
    assert data["metrics"]["trajectory"] == [[1.0, None], [None, None]]
    assert data["metrics"]["n"] == 3 and data["metrics"]["label"] == "4*x"
    assert data["metrics"]["ragged"] == [[1, 2], [3]] and data["metrics"]["flags"] == [True, False]


def test_round_trip_restores_arrays_and_nan() -> None:
    original = make_result(trajectory=np.array([[1.0, np.nan], [2.0, 3.0]]), ragged=[[1, 2], [3]],
                           names=["fixed", "time"], value=0.5, missing=None)
    loaded = Result.from_dict(json.loads(original.to_json()))
    assert loaded.metrics["trajectory"].shape == (2, 2)
    assert math.isnan(loaded.metrics["trajectory"][0, 1]) and loaded.metrics["trajectory"][1, 1] == 3.0
    assert loaded.metrics["ragged"] == [[1, 2], [3]] and loaded.metrics["names"] == ["fixed", "time"]
    assert loaded.metrics["value"] == 0.5 and loaded.metrics["missing"] is None
    assert loaded.to_json() == original.to_json()


def test_save_writes_result_atomically_and_replaces_an_old_one(tmp_path: Path) -> None:
    result = dudl.run("gd.1d", reps=2, epochs=5)
    folder = result.save(tmp_path, figures=False)
    assert folder == tmp_path / "gd.1d" and (folder / "result.json").exists()
    (folder / "stale.png").write_text("old")
    result.save(tmp_path, figures=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gd.1d"]  # no staging folders left behind
    assert sorted(p.name for p in folder.iterdir()) == ["result.json"]
    assert Result.load(folder).to_json() == result.to_json()


def test_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = dudl.run("gd.1d", progress=False)

    def full_disk(self: object, *args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", full_disk)
    with pytest.raises(OSError):
        result.save(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_figure_that_fails_to_draw_keeps_the_computed_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    result = dudl.run("gd.1d", progress=False)

    def broken_figures(self: Result) -> dict:
        raise ValueError("cannot draw\nthis")

    monkeypatch.setattr(Result, "figures", broken_figures)
    with pytest.raises(dudl.FigureError, match=r"saved in .*gd\.1d, but its figures could not be drawn "
                                                 r"\(ValueError: cannot draw this\)$"):
        result.save(tmp_path)
    assert sorted(p.name for p in (tmp_path / "gd.1d").iterdir()) == ["result.json"]
    assert Result.load(tmp_path / "gd.1d").to_json() == result.to_json()
    # the CLI: one line, exit 1, the result kept
    from dudl.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["run", "gd.1d", "--out", str(tmp_path / "cli")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "its figures could not be drawn (ValueError: cannot draw this)" in err
    assert Result.load(tmp_path / "cli" / "gd.1d").metrics.keys() == result.metrics.keys()


def test_summary_rows_count_divergence_and_leave_out_curves_and_text() -> None:
    rows = {row[0]: row for row in make_result(trajectory=np.array([[1.0, np.nan]]), final_minimum=np.array([2.0]),
                                               final_loss=np.array([[1.0, 3.0, np.inf]]), label="x").summary_rows()}
    assert list(rows) == ["final_minimum", "final_loss"]  # a trajectory and a text are not summarised
    assert rows["final_minimum"][1:] == ("1", "2", "")
    assert rows["final_loss"][1:] == ("1x3", "2 [1, 3]", "1 (diverged)")


# --------------------------------------------------------------------------------------------------
# Accepted infinities survive the round trip


def test_an_accepted_infinity_is_saved_so_that_a_reload_reproduces_the_run(tmp_path: Path) -> None:
    result = dudl.run("ann.learning-rates", learning_rates=[0.01, math.inf], demo_learning_rate=math.inf, epochs=3,
                      meta_experiment=False)
    data = json.loads(result.to_json())
    assert data["params"]["learning_rates"] == [0.01, "Infinity"] and data["params"]["demo_learning_rate"] == "Infinity"
    assert data["metrics"]["learning_rates"] == [0.01, None]  # a metric's non-finite value stays null
    loaded = Result.load(result.save(tmp_path, figures=False))
    assert loaded.params["learning_rates"] == [0.01, math.inf] and loaded.params["demo_learning_rate"] == math.inf
    assert loaded.to_json() == result.to_json()
    rerun = dudl.run("ann.learning-rates", **{k: v for k, v in loaded.params.items()})
    assert json.loads(rerun.to_json())["metrics"] == data["metrics"]


def test_the_saved_infinity_text_reads_back_through_param() -> None:
    from dudl.params import parse_assignment

    assert parse_assignment("grad_threshold=Infinity") == ("grad_threshold", math.inf)
    text = dudl.run("gd.1d", grad_threshold=math.inf, reps=2).to_json()
    assert '"grad_threshold":"Infinity"' in text
    assert Result.from_dict(json.loads(text)).params["grad_threshold"] == math.inf


# --------------------------------------------------------------------------------------------------
# Result.load checks what it reads


@pytest.fixture(scope="module")
def saved_json() -> dict:
    return json.loads(dudl.run("gd.parametric", epochs=5, start_values="linspace(-1,1,3)",
                               learning_rates="linspace(.01,.1,3)", epoch_counts=[5, 10]).to_json())


def edited(data: dict, **changes: object) -> str:
    return json.dumps({**data, **changes})


def with_param(data: dict, **params: object) -> str:
    return edited(data, params={**data["params"], **params})


def with_metric(data: dict, **metrics: object) -> str:
    return edited(data, metrics={**data["metrics"], **metrics})


def without(data: dict, key: str, inner: str | None = None) -> str:
    if inner is None:
        return json.dumps({k: v for k, v in data.items() if k != key})
    return edited(data, **{key: {k: v for k, v in data[key].items() if k != inner}})


BAD_FILES = [
    ("empty", lambda d: "", "the file is empty"),
    ("truncated", lambda d: json.dumps(d)[:300], "the JSON ends early at line 1 (a truncated file?)"),
    ("truncated at a line end", lambda d: json.dumps(d, indent=1)[:300] + "\n", "the JSON ends early at line"),
    ("corrupt", lambda d: json.dumps(d).replace(":", ";", 3), "not valid JSON"),
    ("not utf-8", lambda d: json.dumps(d).encode("utf-16"), "not UTF-8 text (byte 0 is 0xff)"),
    ("latin-1 string", lambda d: json.dumps({**d, "dudl_version": "0.1é"}, ensure_ascii=False).encode("latin-1"),
     "not UTF-8 text"),
    ("deeply nested", lambda d: "[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ("deeply nested metric", lambda d: with_metric(d, final_minimum=json.loads("[" * 900 + "]" * 900)),
     "metric 'final_minimum' is nested more than 16 lists deep"),
    ("array", lambda d: json.dumps([d]), "a result is a JSON object, not array"),
    ("NaN token", lambda d: json.dumps(d)[:-1] + ',"x":NaN}', "NaN is not a JSON value"),
    ("no id", lambda d: without(d, "id"), "the key 'id' is missing"),
    ("extra key", lambda d: edited(d, comment="mine"), "unknown key 'comment'"),
    ("id a number", lambda d: edited(d, id=7), "'id' must be a JSON string, not number"),
    ("unknown id", lambda d: edited(d, id="gd.parametrik"), "unknown experiment 'gd.parametrik': did you mean"),
    ("params a list", lambda d: edited(d, params=[]), "'params' must be a JSON object, not array"),
    ("metrics null", lambda d: edited(d, metrics=None), "'metrics' must be a JSON object, not null"),
    ("elapsed a string", lambda d: edited(d, elapsed_s="1 s"), "'elapsed_s' must be a JSON number, not string"),
    ("elapsed negative", lambda d: edited(d, elapsed_s=-1), "'elapsed_s' must be a number of seconds >= 0"),
    ("version a bool", lambda d: edited(d, dudl_version=True), "'dudl_version' must be a JSON string, not boolean"),
    ("param missing", lambda d: without(d, "params", "epochs"), "params lack 'epochs'"),
    ("unknown param", lambda d: with_param(d, speed=1), "unknown parameter 'speed' for gd.parametric"),
    ("param out of range", lambda d: with_param(d, epochs=0), "params not valid for gd.parametric: parameter "
     "'epochs' must be >= 1"),
    ("param wrong type", lambda d: with_param(d, epochs="many"), "parameter 'epochs' must be integer"),
    ("infinity not accepted", lambda d: with_param(d, learning_rate="Infinity"), "parameter 'learning_rate'"),
    ("axis shorter", lambda d: with_metric(d, learning_rates=d["metrics"]["learning_rates"][:2]),
     "metric 'learning_rates' is not the sweep axis of params.learning_rates"),
    ("axis edited", lambda d: with_param(d, start_values=[-1, 0, 2]),
     "metric 'start_values' is not the sweep axis of params.start_values"),
    ("metric missing", lambda d: without(d, "metrics", "final_minimum"), "metrics do not fit gd.parametric"),
    ("metric a string", lambda d: with_metric(d, final_minimum="x"), "metrics do not fit gd.parametric"),
]


@pytest.mark.parametrize(("make", "fragment"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_load_refuses_a_bad_file_with_one_line(tmp_path: Path, saved_json: dict, make, fragment: str) -> None:
    folder = tmp_path / "gd.parametric"
    folder.mkdir()
    content = make(saved_json)
    target = folder / "result.json"
    target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
    with pytest.raises(dudl.ResultError) as error:
        Result.load(folder)
    message = str(error.value)
    assert message.startswith(f"{target}: ") and fragment in message, message
    assert "\n" not in message and isinstance(error.value, ValueError)


def test_load_reads_a_good_file_and_refuses_a_missing_one(tmp_path: Path, saved_json: dict) -> None:
    (tmp_path / "result.json").write_text(json.dumps(saved_json))
    assert Result.load(tmp_path / "result.json").to_json() == json.dumps(saved_json, separators=(",", ":"))
    with pytest.raises(dudl.ResultError, match=r"cannot read .*nowhere/result.json \(No such file or directory\)"):
        Result.load(tmp_path / "nowhere" / "result.json")


def test_saving_figures_of_axes_near_the_float_limit_prints_no_warning(tmp_path: Path) -> None:
    import warnings

    result = dudl.run("math.derivatives", x_max=1e308)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folder = result.save(tmp_path)
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    assert len(list(folder.glob("*.png"))) == 4  # function, derivative, activations, activation_derivatives
