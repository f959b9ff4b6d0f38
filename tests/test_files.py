"""Kills, races and limits on disk, with real processes and real signals: SIGINT/SIGTERM/SIGHUP leave nothing
half-written, a SIGKILL's staging folder is refused and cleaned, concurrent saves end with one whole result,
disk full and closed stdout give one line, and files get the umask's modes."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dudl
from dudl import ResultError, cli, saving
from dudl.result import Result

DUDL = str(Path(sys.executable).with_name("dudl"))
# A sweep that runs for seconds (well past the moments the signals are sent)
LONG_RUN = ["run", "gd.parametric", "--no-figures", "--param", "epoch_counts=round(linspace(10,20000,40))"]


def start_cli(*args: str, cwd: Path, **options) -> subprocess.Popen[str]:
    return subprocess.Popen([DUDL, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **options)


def wait_until_catching(pid: int, signum: int) -> None:
    """Wait until the process has its own handler for ``signum`` (``dudl.cli.main`` has started)."""
    mask = 1 << (signum - 1)
    while True:
        fields = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                      if ":\t" in line)
        if int(fields["SigCgt"], 16) & mask:
            return
        time.sleep(0.01)


def entries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --------------------------------------------------------------------------------------------------
# Signals


@pytest.mark.parametrize(("signum", "status", "delay"), [(signal.SIGINT, 130, 0.0), (signal.SIGTERM, 143, 0.0),
                                                         (signal.SIGTERM, 143, 0.5), (signal.SIGHUP, 129, 0.3)])
def test_a_signal_while_computing_exits_128_plus_n_with_one_line_and_no_files(
        tmp_path: Path, signum: int, status: int, delay: float) -> None:
    proc = start_cli(*LONG_RUN, "--out", "out", cwd=tmp_path)
    wait_until_catching(proc.pid, signal.SIGTERM)
    time.sleep(delay)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == status, stderr
    (line,) = stderr.splitlines()  # one line, which may go on to say what was kept
    assert line.startswith(f"dudl: interrupted by {signal.Signals(signum).name}")
    assert stdout == "" and entries(tmp_path) == []  # no --out folder, no staging folder


def run_saving_then_signal(monkeypatch: pytest.MonkeyPatch, moment: str, signum: int, seed: int) -> int:
    """``dudl run gd.1d --out out`` in this process, sending ``signum`` to itself at ``moment``: "staging" (the
    staging folder holds result.json) or "renames" (just before the renames); returns the exit status."""
    real_write_text, real_swap = Path.write_text, saving._swap

    def write_text(self: Path, *args, **kwargs) -> int:
        written = real_write_text(self, *args, **kwargs)
        if moment == "staging":
            os.kill(os.getpid(), signum)
        return written

    def swap(staging: Path, target: Path) -> Path | None:
        if moment == "renames":
            os.kill(os.getpid(), signum)
        return real_swap(staging, target)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "write_text", write_text)
        patch.setattr(saving, "_swap", swap)
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["run", "gd.1d", "--out", "out", "--seed", str(seed), "--no-figures"])
    return exit_info.value.code


def test_signals_while_saving_leave_the_old_result_or_the_new_one_whole_and_no_staging_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    handlers = [signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]
    assert run_saving_then_signal(monkeypatch, "never", signal.SIGTERM, seed=1) == 0
    saved = tmp_path / "out" / "gd.1d" / "latest" / "result.json"  # each run is kept in a folder of its own
    old = saved.read_text()
    capsys.readouterr()
    for signum, status in ((signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)):
        assert run_saving_then_signal(monkeypatch, "staging", signum, seed=2) == status
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"dudl: interrupted by {signal.Signals(signum).name}")
        assert entries(tmp_path / "out") == ["gd.1d"] and saved.read_text() == old
        assert len(entries(tmp_path / "out" / "gd.1d")) == 2  # the first run and latest: no staging folder
    # a signal between the renames is held until the new result is in place, and latest points at it
    assert run_saving_then_signal(monkeypatch, "renames", signal.SIGTERM, seed=3) == 143
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("dudl: interrupted by SIGTERM")
    assert entries(tmp_path / "out") == ["gd.1d"] and len(entries(tmp_path / "out" / "gd.1d")) == 3
    assert entries(saved.parent) == ["result.json"]
    assert json.loads(old)["params"]["seed"] == 1 and Result.load(tmp_path / "out" / "gd.1d").params["seed"] == 3
    # the CLI's handlers are gone once it returns
    assert [signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)] == handlers


KILLED_WHILE_SAVING = """
import os, signal
from pathlib import Path
from dudl import cli

real_write_text = Path.write_text
def write_text(self, *args, **kwargs):  # result.json is written in the staging folder, then the process dies
    real_write_text(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
Path.write_text = write_text
cli.main(["run", "gd.1d", "--out", "out", "--seed", "4", "--no-figures"])
"""


@pytest.mark.slow
def test_a_staging_folder_left_by_sigkill_is_refused_and_cleaned_by_the_next_save(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLED_WHILE_SAVING], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == -signal.SIGKILL
    (staging,) = (tmp_path / "out" / "gd.1d").iterdir()  # a run's folder of its own, never renamed into place
    assert saving.is_leftover(staging.name) and (staging / "result.json").is_file()
    assert json.loads((staging / "result.json").read_text())["params"]["seed"] == 4  # complete, yet refused
    with pytest.raises(ResultError, match="unfinished save"):
        Result.load(staging)
    folder = dudl.run("gd.1d", epochs=5).save(tmp_path / "out", figures=False, keep_previous=True)
    assert entries(tmp_path / "out" / "gd.1d") == sorted([folder.name, "latest"])


# --------------------------------------------------------------------------------------------------
# Races

SAVER = """
import sys, time
import dudl
result = dudl.run("gd.1d", epochs=5, seed=int(sys.argv[1]))
while not __import__("os").path.exists("go"):
    time.sleep(0.001)
for _ in range(50):
    result.save("out", figures=False)
print(result.to_json())
"""


@pytest.mark.slow
def test_three_processes_saving_one_folder_end_with_one_whole_result_and_no_leftovers(tmp_path: Path) -> None:
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, str(seed)], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for seed in range(3)]
    (tmp_path / "go").touch()  # each saves 50 times as soon as it has its result: the saves overlap
    outputs = [saver.communicate(timeout=600) for saver in savers]
    assert [saver.returncode for saver in savers] == [0, 0, 0], [err for _, err in outputs]
    assert entries(tmp_path / "out") == ["gd.1d"]
    assert entries(tmp_path / "out" / "gd.1d") == ["result.json"]
    assert Result.load(tmp_path / "out" / "gd.1d").to_json() in {out.strip() for out, _ in outputs}


# --------------------------------------------------------------------------------------------------
# Disk full, unwritable output, closed stdout


def fail_with_enospc(*_args, **_kwargs) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["figure", "json"])
def test_disk_full_is_one_line_exit_1_and_leaves_the_old_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str) -> None:
    import matplotlib.figure

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "gd.1d", "--out", "fresh/out", "--seed", "1", "--no-figures"])
    assert exit_info.value.code == 0
    old = (tmp_path / "fresh" / "out" / "gd.1d" / "latest" / "result.json").read_text()
    capsys.readouterr()

    if where == "figure":
        def savefig(self, path, **kwargs) -> None:  # a file half-written, then the disk is full
            Path(path).write_bytes(b"\x89PNG")
            fail_with_enospc()
        monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    else:
        monkeypatch.setattr(Path, "write_text", fail_with_enospc)
    for out, before in (("fresh/out", ["gd.1d"]), ("new/deeper/out", [])):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["run", "gd.1d", "--out", out, "--seed", "2", *([] if where == "figure" else ["--no-figures"])])
        assert exit_info.value.code == 1
        stderr = capsys.readouterr().err
        assert stderr.splitlines() == [f"dudl: error: could not write to {out!r} (No space left on device); "
                                       "nothing was saved there"]
        assert entries(tmp_path / out) == before
    assert (tmp_path / "fresh" / "out" / "gd.1d" / "latest" / "result.json").read_text() == old
    assert len(entries(tmp_path / "fresh" / "out" / "gd.1d")) == 2  # the first run and latest
    assert not (tmp_path / "new").exists()  # the folders made for the failed save are gone


@pytest.mark.slow
def test_disk_full_on_stdout_is_one_line_exit_1(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([DUDL, "run", "gd.1d", "--json", "--no-figures"], cwd=tmp_path, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=600)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == ["dudl: error: could not write the output (No space left on device)"]


@pytest.mark.slow
@pytest.mark.parametrize("args", [["run", "gd.1d", "--json", "--no-figures"], ["list"]])
def test_a_closed_stdout_is_one_line_exit_1(tmp_path: Path, args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write, as after `| head -1`
    proc = subprocess.run([DUDL, *args], cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE, text=True,
                          timeout=600)
    os.close(write_end)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == ["dudl: error: stdout was closed before all the output was written "
                                        "(broken pipe)"]
    if args[0] == "run":  # the result was saved whole before the output failed
        assert Result.load(tmp_path / "runs" / "gd.1d").params["seed"] == 0


def test_a_stdout_closed_from_the_start_runs_nothing(tmp_path: Path) -> None:
    proc = subprocess.run(["sh", "-c", f"'{DUDL}' run gd.1d >&-"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 1 and proc.stderr.splitlines() == ["dudl: error: stdout is closed; nothing was run"]
    assert entries(tmp_path) == []


@pytest.mark.parametrize("out", ["a_file/sub", "a_file", "/proc/dudl-out"])
def test_an_unwritable_out_is_one_line_exit_2_before_any_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], out: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.setattr(dudl.registry, "run", lambda *args, **kwargs: pytest.fail("ran before checking --out"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "gd.1d", "--out", out])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert captured.out == "" and line.startswith(f"dudl: error: --out {out!r} is not a writable folder (")
    assert entries(tmp_path) == ["a_file"] and (tmp_path / "a_file").read_text() == "not a folder"


def test_a_run_that_fails_after_validation_leaves_no_out_folder(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    def run(*args, **kwargs) -> None:
        raise RuntimeError("the experiment failed")

    monkeypatch.setattr(dudl.registry, "run", run)
    with pytest.raises(RuntimeError, match="the experiment failed"):
        cli.main(["run", "gd.1d", "--out", "out/deeper"])
    assert entries(tmp_path) == []


# --------------------------------------------------------------------------------------------------
# Modes


@pytest.mark.parametrize(("umask", "figures", "file_mode", "folder_mode"),
                         [(0o022, True, 0o644, 0o755), (0o077, False, 0o600, 0o700), (0o002, False, 0o664, 0o775)])
def test_saved_files_get_the_umask_modes(tmp_path: Path, umask: int, figures: bool, file_mode: int,
                                         folder_mode: int) -> None:
    result = dudl.run("gd.1d", epochs=5)
    previous = os.umask(umask)
    try:
        folder = result.save(tmp_path / "out", figures=figures)
        result.save(tmp_path / "out", figures=figures)  # replacing keeps the modes
    finally:
        os.umask(previous)
    assert stat.S_IMODE(folder.stat().st_mode) == folder_mode
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == folder_mode
    files = list(folder.iterdir())
    assert len(files) == (4 if figures else 1) and {stat.S_IMODE(path.stat().st_mode) for path in files} == {file_mode}


def test_a_report_into_an_old_folder_replaces_what_it_writes_removes_the_rest_and_is_shareable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dudl import registry
    from dudl.report import build_report

    monkeypatch.setattr(registry, "CATALOG", tuple(e for e in registry.CATALOG if e.id in ("gd.1d", "gd.dynamic-lr")))
    real_run = registry.run

    def run(experiment_id: str, overrides: dict, **options) -> Result:
        if experiment_id == "gd.dynamic-lr":
            raise RuntimeError("boom")
        return real_run(experiment_id, overrides, **options)

    monkeypatch.setattr(registry, "run", run)
    # the old report: a result now failing, one no longer run, a stale file beside a rewritten one, the user's file
    for experiment_id in ("gd.1d", "gd.dynamic-lr", "ann.gone"):
        (tmp_path / experiment_id).mkdir()
        (tmp_path / experiment_id / "result.json").write_text("{}")
    (tmp_path / "gd.1d" / "stale.png").write_text("old")
    (tmp_path / "notes.txt").write_text("mine")
    previous = os.umask(0o022)
    try:
        assert build_report(tmp_path, reps=1) == ["gd.dynamic-lr"]
    finally:
        os.umask(previous)
    assert entries(tmp_path) == ["gd.1d", "index.html", "notes.txt"]
    assert "stale.png" not in entries(tmp_path / "gd.1d") and Result.load(tmp_path / "gd.1d").params["reps"] == 1
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert stat.S_IMODE((tmp_path / "index.html").stat().st_mode) == 0o644  # a web server can publish it
    assert stat.S_IMODE((tmp_path / "gd.1d").stat().st_mode) == 0o755
    assert {stat.S_IMODE(path.stat().st_mode) for path in (tmp_path / "gd.1d").iterdir()} == {0o644}
