"""The CLI through its real entry point: JSON output, reproducibility, bad input, files on disk."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import dudl
from dudl.result import Result


def without_elapsed(text: str) -> str:
    return re.sub(r'"elapsed_s":[^,}]+', '"elapsed_s":0', text)


def test_list_names_every_experiment(cli) -> None:
    proc = cli("list")
    assert proc.returncode == 0
    for experiment_id in dudl.experiments():
        assert experiment_id in proc.stdout
    assert len(dudl.experiments()) == 37  # 13 math, 5 gd, 13 ann, 6 overfit


@pytest.mark.slow
def test_show_lists_parameters_with_defaults(cli) -> None:
    proc = cli("show", "gd.parametric")
    assert proc.returncode == 0
    for text in ("learning_rates", "linspace(1e-10,1e-1,50)", "round(linspace(10,500,40))", "sweep_start"):
        assert text in proc.stdout


@pytest.mark.slow
def test_json_output_parses_and_round_trips(cli, tmp_path: Path) -> None:
    proc = cli("run", "gd.1d", "--json", "--param", "start=1.006")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert list(data) == ["id", "params", "metrics", "elapsed_s", "dudl_version"]
    assert data["params"]["start"] == 1.006 and data["params"]["seed"] == 0 and data["params"]["reps"] == 1
    assert abs(data["metrics"]["final_minimum"][0] - 0.50103977) < 1e-8
    assert Result.from_dict(data).to_json() == proc.stdout.strip()
    saved = tmp_path / "runs" / "gd.1d" / "latest"  # the newest of the runs kept in runs/gd.1d/
    assert (saved / "result.json").read_text() == proc.stdout.strip()
    assert {p.name for p in saved.glob("*.png")} == {"function.png", "result.png", "trajectory.png"}


@pytest.mark.slow
def test_plain_run_prints_course_lines_and_summary(cli, tmp_path: Path) -> None:
    proc = cli("run", "gd.1d", "-p", "start=1.006", "--no-figures", "--out", "elsewhere")
    assert proc.returncode == 0, proc.stderr
    assert "[1.006]" in proc.stdout and "0.50103977" in proc.stdout and "final_minimum" in proc.stdout
    assert sorted(p.name for p in (tmp_path / "elsewhere" / "gd.1d" / "latest").iterdir()) == ["result.json"]


@pytest.mark.slow
def test_same_seed_gives_byte_identical_json(cli) -> None:
    first = cli("run", "gd.2d", "--json", "--no-figures", "--seed", "7", "--reps", "4")
    second = cli("run", "gd.2d", "--json", "--no-figures", "--seed", "7", "--reps", "4")
    assert first.returncode == second.returncode == 0
    assert without_elapsed(first.stdout) == without_elapsed(second.stdout)
    other = cli("run", "gd.2d", "--json", "--no-figures", "--seed", "8", "--reps", "4")
    assert without_elapsed(other.stdout) != without_elapsed(first.stdout)


@pytest.mark.slow
def test_repetition_r_does_not_depend_on_reps(cli_json) -> None:
    five = cli_json("gd.1d", "--reps", "5", "--seed", "3")["metrics"]
    three = cli_json("gd.1d", "--reps", "3", "--seed", "3")["metrics"]
    assert np.array_equal(np.array(five["trajectory"])[:3], np.array(three["trajectory"]))
    assert five["start"][:3] == three["start"]
    assert len(set(five["start"])) > 1  # repetitions really differ


@pytest.mark.slow
def test_divergence_is_data_not_an_error(cli, cli_json) -> None:
    # x <- x - (6x - 3) grows 5-fold per update: finite after 100 updates, overflowing long before 500
    data = cli_json("gd.1d", "--param", "learning_rate=1", "--param", "start=1.5", "--param", "epochs=500")
    assert data["metrics"]["final_minimum"] == [None]
    assert None in data["metrics"]["trajectory"][0]
    proc = cli("run", "gd.1d", "--param", "learning_rate=1", "--no-figures")
    assert proc.returncode == 0 and "diverged" in proc.stdout
    assert "Warning" not in proc.stderr


BAD_INPUTS = [
    (["run", "gd.1e"], "did you mean gd.1d"),
    (["run", "gd.1d", "--param", "rate=0.1"], "valid parameters: learning_rate, epochs"),
    (["run", "gd.1d", "--param", "epochs=many"], "'epochs' must be integer"),
    (["run", "gd.1d", "--param", "learning_rate=0"], "'learning_rate' must be > 0"),
    (["run", "gd.1d", "--param", "learning_rate=-0.1"], "'learning_rate' must be > 0"),
    (["run", "gd.1d", "--param", "epochs=0"], "'epochs' must be >= 1"),
    (["run", "gd.1d", "--reps", "0"], "'reps' must be >= 1"),
    (["run", "gd.parametric", "--param", "start_values=[]"], "'start_values' must not be empty"),
    (["run", "gd.2d", "--param", "start=[1,2,3]"], "'start' must be"),
    (["run", "gd.1d", "--param", "learning_rate"], "--param takes name=value"),
    (["run", "gd.parametric", "--param", "learning_rates=linspace(1,2)"], "linspace takes"),
    (["run", "math.derivatives", "--seed", "1"], "unknown parameter 'seed'"),
    (["run", "gd.1d", "--device", "tpu"], "--device must be"),
    (["run", "gd.1d", "--bogus"], "No such option"),
    (["run", "gd.dynamic-lr", "--param", 'schedules=["fixed","cyclic"]'],
     "'schedules' must be one of \"fixed\", \"gradient\", \"time\", got \"cyclic\""),
    (["run", "math.derivatives", "--param", "expression=import os"],
     "expression 'import os' is not valid sympy syntax"),
    (["run", "ann.multilayer", "--param", "n_hidden=0", "--no-figures"], "'n_hidden' must be >= 1, got 0"),
    (["run", "ann.seq2class", "--param", 'definitions=["functional"]', "--no-figures"],
     "'definitions' must be one of \"sequential\", \"class\", got \"functional\""),
    (["run", "overfit.kfold", "--param", "k=151", "--no-figures"], "'k' must be >= 2 and <= 150"),
    (["run", "overfit.train-dev-test", "--param", "partitions=[0.5,0.2,0.2]", "--no-figures"],
     "'partitions' must sum to 1, got [0.5, 0.2, 0.2]"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "fragment"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_and_no_files(cli, tmp_path: Path, args: list[str], fragment: str) -> None:
    proc = cli(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists()


def test_unwritable_out_is_one_line_exit_2(cli, tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("not a folder")
    proc = cli("run", "gd.1d", "--out", "a_file/sub")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "--out 'a_file/sub' is not a writable folder" in proc.stderr
    assert (tmp_path / "a_file").read_text() == "not a folder"


@pytest.mark.slow
def test_python_api_matches_the_cli(cli_json) -> None:
    cli_metrics = cli_json("gd.1d", "--param", "start=1.006")["metrics"]
    result = dudl.run("gd.1d", start=1.006)
    assert result.params["start"] == 1.006
    assert result.metrics["trajectory"].tolist() == cli_metrics["trajectory"]
    with pytest.raises(dudl.ParamError, match="unknown parameter"):
        dudl.run("gd.1d", startt=1.0)


def test_api_function_experiments_survives_importing_the_lectures() -> None:
    import dudl.lectures.gd.one_d  # noqa: F401 - a submodule import must not shadow dudl.experiments()

    assert callable(dudl.experiments) and dudl.experiments()[0] == "math.derivatives"


def test_device_is_checked_before_running(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from dudl import registry

    for device in (None, 0, "cuda:", "cuda:x", "gpu"):
        with pytest.raises(dudl.ParamError, match="must be \"cpu\" or \"cuda\""):
            dudl.run("ann.regression", device=device)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    registry.check_device("cuda:1", "ann.regression")
    registry.check_device("cuda", "ann.regression")
    with pytest.raises(dudl.ParamError, match=r"cuda:7: this machine has 2 CUDA device\(s\), cuda:0 to cuda:1"):
        registry.check_device("cuda:7", "ann.regression")


@pytest.mark.slow
def test_json_into_a_pipe_closed_midway_is_one_line_exit_1(tmp_path: Path) -> None:
    import subprocess
    import sys

    dudl_script = str(Path(sys.executable).with_name("dudl"))
    proc = subprocess.Popen([dudl_script, "run", "gd.1d", "--reps", "300", "--json", "--no-figures"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(10) == b'{"id":"gd.'  # about 1 MB follows: far more than the pipe holds
    proc.stdout.close()  # as `| head -c 10` does
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=600) == 1
    assert stderr.splitlines() == ["dudl: error: stdout was closed before all the output was written (broken pipe)"]


@pytest.mark.parametrize(("args", "status"), [
    (["run", "gd.parametric", "--param", "learning_rates=linspace(-1e308,1e308,3)"], 2),
    (["run", "gd.parametric", "--param", "sweep_start=1e308", "--param", "epochs=10"], 0),
])
def test_edge_values_print_no_numpy_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                             status: int) -> None:
    import warnings

    from dudl import cli

    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings(record=True) as caught, pytest.raises(SystemExit) as exit_info:
        warnings.simplefilter("always")
        cli.main([*args, "--no-figures"])
    assert exit_info.value.code == status
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
