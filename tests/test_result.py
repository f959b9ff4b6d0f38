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


def test_failed_save_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = make_result(x=np.arange(3.0))

    def broken_figures(self: Result) -> dict:
        raise RuntimeError("figure failed")

    monkeypatch.setattr(Result, "figures", broken_figures)
    with pytest.raises(RuntimeError):
        result.save(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_summary_rows_count_divergence_and_leave_out_curves_and_text() -> None:
    rows = {row[0]: row for row in make_result(trajectory=np.array([[1.0, np.nan]]), final_minimum=np.array([2.0]),
                                               final_loss=np.array([[1.0, 3.0, np.inf]]), label="x").summary_rows()}
    assert list(rows) == ["final_minimum", "final_loss"]  # a trajectory and a text are not summarised
    assert rows["final_minimum"][1:] == ("1", "2", "")
    assert rows["final_loss"][1:] == ("1x3", "2 [1, 3]", "1 (diverged)")
