"""dudl.compare and `dudl compare`; `dudl run` keeps every run under OUT/ID/ with OUT/ID/latest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import dudl
from dudl import cli, display
from dudl.result import Result


@pytest.fixture(scope="module")
def runs() -> tuple[Result, Result]:
    return dudl.run("gd.1d"), dudl.run("gd.1d", start=1.006, learning_rate=0.02)


@pytest.mark.slow
def test_compare_gives_the_differing_parameters_the_metrics_side_by_side_and_figures_side_by_side(
        runs: tuple[Result, Result]) -> None:
    first, second = runs
    comparison = dudl.compare(first, second, labels=["course", "mine"])
    assert comparison.params.to_dict() == {"course": {"learning_rate": "0.01", "start": "null"},
                                           "mine": {"learning_rate": "0.02", "start": "1.006"}}
    assert comparison.metrics.loc["final_minimum"].tolist() == [
        f"{first.metrics['final_minimum'][0]:.6g}", f"{second.metrics['final_minimum'][0]:.6g}"]
    assert list(comparison.metrics.index) == [row.metric for row in display.summary_rows(first)]
    figures = comparison.figures()
    assert list(figures) == ["function", "result", "trajectory"]
    single = first.figures()["trajectory"].get_size_inches()
    assert figures["trajectory"].get_figwidth() == pytest.approx(2 * single[0])
    assert [ax.get_title() for ax in figures["trajectory"].axes] == ["course", "mine"]
    assert repr(comparison) == "Comparison('gd.1d', 2 runs: course, mine; 2 parameters differ)"
    page = comparison._repr_html_()
    assert page.count('<img src="data:image/png;base64,') == 3 and "learning_rate" in page


def test_compare_reads_saved_runs_and_the_latest_of_a_folder(tmp_path: Path, runs: tuple[Result, Result]) -> None:
    first, second = runs
    older = first.save(tmp_path, figures=False, keep_previous=True)
    newer = second.save(tmp_path, figures=False, keep_previous=True)
    assert older.parent == newer.parent == tmp_path / "gd.1d" and older != newer
    assert os.readlink(tmp_path / "gd.1d" / "latest") == newer.name
    assert Result.load(tmp_path / "gd.1d").to_json() == second.to_json()
    comparison = dudl.compare(older / "result.json", tmp_path / "gd.1d")
    assert comparison.labels == [f"gd.1d/{older.name}", f"{tmp_path.name}/gd.1d"]
    assert comparison.params.loc["start"].tolist() == ["null", "1.006"]


def test_latest_is_a_file_where_symlinks_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              runs: tuple[Result, Result]) -> None:
    def no_symlinks(*args: object, **kwargs: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    runs[0].save(tmp_path, figures=False, keep_previous=True)
    newer = runs[1].save(tmp_path, figures=False, keep_previous=True)
    latest = tmp_path / "gd.1d" / "latest"
    assert not latest.is_symlink() and latest.read_text() == newer.name + "\n"
    assert Result.load(tmp_path / "gd.1d").params["start"] == 1.006


def test_compare_refuses_what_it_cannot_compare(tmp_path: Path, runs: tuple[Result, Result]) -> None:
    with pytest.raises(dudl.ParamError, match=r"^cannot compare runs of different experiments \(gd.1d, math.log\)"):
        dudl.compare(runs[0], dudl.run("math.log"))
    with pytest.raises(dudl.ParamError, match="compare needs two runs or more, got 1"):
        dudl.compare(runs[0])
    with pytest.raises(dudl.ParamError, match="1 labels for 2 runs"):
        dudl.compare(*runs, labels=["one"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(dudl.ResultError, match="no result here"):
        dudl.compare(runs[0], tmp_path / "empty")


def dudl_main(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`dudl ARGS...` in this process (faster than a new one): exit status, stdout, stderr."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(args))
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.mark.slow
def test_dudl_run_keeps_every_run_and_dudl_compare_writes_the_figures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert dudl_main("run", "gd.1d", "--no-figures", capsys=capsys)[0] == 0
    status, out, err = dudl_main("run", "gd.1d", "-p", "start=1.006", "--no-figures", capsys=capsys)
    assert status == 0, err
    folder = tmp_path / "runs" / "gd.1d"
    newest = (folder / "latest").resolve().name
    kept = sorted(path.name for path in folder.iterdir() if path.name != "latest")
    assert len(kept) == 2 and newest in kept and f"wrote runs/gd.1d/{newest}/ (result.json)" in out
    older = next(name for name in kept if name != newest)
    status, out, err = dudl_main("compare", f"runs/gd.1d/{older}", "runs/gd.1d", "--out", "cmp", capsys=capsys)
    assert status == 0, err
    assert "parameters that differ" in out and "start" in out and "1.006" in out
    assert "final_minimum" in out and "0.50104" in out
    assert sorted(path.name for path in (tmp_path / "cmp" / "gd.1d").iterdir()) == [
        "function.png", "result.png", "trajectory.png"]


def test_dudl_compare_bad_input_is_one_line_exit_2_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for experiment_id in ("gd.1d", "math.log"):
        assert dudl_main("run", experiment_id, "--no-figures", capsys=capsys)[0] == 0
    (tmp_path / "empty").mkdir()
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "result.json").write_text('{"id": "gd.1d", ')
    cases = {("runs/gd.1d", "runs/math.log"): "cannot compare runs of different experiments (gd.1d, math.log)",
             ("runs/gd.1d", "empty"): "empty: no result here (neither a result.json nor a latest run)",
             ("runs/gd.1d", "nowhere"): "cannot read nowhere (No such file or directory)",
             ("runs/gd.1d", "corrupt"): "corrupt/result.json: ",
             ("runs/gd.1d",): "compare needs two runs or more, got 1"}
    for args, message in cases.items():
        status, out, err = dudl_main("compare", *args, "--out", "cmp", capsys=capsys)
        assert status == 2 and out == "", (args, err)
        (line,) = err.splitlines()
        assert line.startswith(f"dudl: error: {message}"), (args, line)
    assert not (tmp_path / "cmp").exists()
