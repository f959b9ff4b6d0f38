"""The CLI's block options: --executor, --cache/--no-cache, --dry-run, and Ctrl-C during a sweep (exit 130, one
line, no result; the rerun resumes from the cached blocks and writes the same JSON bytes)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dudl

DUDL = str(Path(sys.executable).with_name("dudl"))


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), [
    (("run", "ann.regression", "--executor", "threads"),
     "dudl: error: unknown executor 'threads'; allowed: local, processes[:N], dask[:ADDRESS]"),
    (("run", "ann.regression", "--executor", "processes:-3"),
     "dudl: error: --executor processes:N needs a worker count N >= 1, got '-3'"),
    (("report", "--executor", "dusk"),
     "dudl: error: unknown executor 'dusk'; allowed: local, processes[:N], dask[:ADDRESS]"),
    (("run", "ann.regression", "--cache", "a-file"),
     "dudl: error: --cache 'a-file' is not a writable folder (File exists); give another folder or --no-cache"),
    (("report", "--cache", "/proc/dudl-cache"),
     "dudl: error: --cache '/proc/dudl-cache' is not a writable folder (No such file or directory); give another "
     "folder or --no-cache"),
])
def test_bad_block_options_are_one_line_and_write_nothing(tmp_path, args, message) -> None:
    (tmp_path / "a-file").write_text("")
    proc = subprocess.run([DUDL, *args], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert (proc.returncode, proc.stderr) == (2, message + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), [
    (("run", "ann.regression", "--executor", "dask:tls://127.0.0.1:1", "--cache", "new/cache"),
     "dudl: error: --executor dask:tls://127.0.0.1:1: cannot reach a Dask scheduler there (TLS expects a "),
    (("report", "--executor", "dask:ucx://127.0.0.1:1", "--cache", "new/cache"),
     "dudl: error: --executor dask:ucx://127.0.0.1:1: cannot reach a Dask scheduler there ("),
    (("run", "ann.regression", "--cache", "new", "--no-cache"),
     "dudl: error: --cache and --no-cache exclude each other; give one of them"),
])
def test_a_failed_start_leaves_no_cache_folder(tmp_path, args, message) -> None:
    """The cache folder is made before the executor starts: a start that fails removes it again."""
    proc = subprocess.run([DUDL, *args], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 2 and proc.stderr.startswith(message) and proc.stderr.count("\n") == 1, proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_dry_run_prints_the_plan_and_trains_nothing(cli, tmp_path) -> None:
    proc = cli("run", "ann.hidden-units", "--reps", "2", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ann.hidden-units: 256 models, 38400 model-epochs, 2.51e+11 FLOPs, 12 blocks in 1 "
                                  "engine call(s); training estimated at ")
    assert " s on this machine's CPU (" in proc.stdout
    assert " s of one core's work); run-size budget: at most " in proc.stdout
    assert proc.stdout.endswith(" (dry run: nothing trained or written)\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_dry_run_plans_the_blocks_its_executor_would_get(cli, tmp_path) -> None:
    """Blocks sent to other processes hold at most 256 models (to spread over the workers): the plan shows those,
    and the time as one core's work that the workers share (the executor is not started)."""
    local = cli("run", "ann.learning-rates", "--reps", "200", "--dry-run")
    pool = cli("run", "ann.learning-rates", "--reps", "200", "--dry-run", "--executor", "processes:2")
    assert (local.returncode, pool.returncode) == (0, 0), local.stderr + pool.stderr
    assert " 8041 models, 4041000 model-epochs, 3.07e+10 FLOPs, 2 blocks in 2 engine call(s); " in local.stdout
    assert " 8041 models, 4041000 model-epochs, 3.07e+10 FLOPs, 33 blocks in 2 engine call(s); " in pool.stdout
    assert " s of one core's work on this machine's CPU, shared by --executor processes:2's workers; " in pool.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_an_unusable_default_cache_is_a_warning_not_an_error(tmp_path) -> None:
    """A read-only home must not stop every run: without --cache, dudl runs on without a cache (one warning)."""
    env = {**{k: v for k, v in os.environ.items() if k != "DUDL_CACHE"}, "XDG_CACHE_HOME": "/proc/no-cache-here"}
    proc = subprocess.run([DUDL, "run", "ann.regression", "--json", "--no-figures"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 0 and json.loads(proc.stdout)["id"] == "ann.regression"
    assert proc.stderr == ("dudl: warning: '/proc/no-cache-here/dudl' is not a writable folder (No such file or "
                           "directory), the default block cache, cannot be used; running without it (--cache DIR or "
                           "DUDL_CACHE=DIR gives another folder)\n")


SWEEP = ["run", "ann.hidden-units", "--reps", "8", "--param", "epochs=300", "--json", "--no-figures"]


def ctrl_c_after_the_first_block(cwd: Path, cache: Path, *options: str) -> tuple[str, int, int, float]:
    """Start ``dudl`` SWEEP (17 blocks of about 1.2 s of one core each, on two engine threads: the tests' other
    processes use one) in a process group of its own, and once a block is in ``cache`` send SIGINT to the group,
    as Ctrl-C on a terminal does (pool and Dask workers get it too). Asserts exit 130, nothing on stdout and no
    result folder; returns stderr, the blocks done and planned it reports, and the seconds it took to stop."""
    run = subprocess.Popen([DUDL, *SWEEP, "--cache", str(cache), "--out", "first", *options], cwd=cwd, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                           env={**os.environ, "OMP_NUM_THREADS": "2"})
    while not list(cache.glob("*.block")) and run.poll() is None:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)
    signalled = time.monotonic()
    out, err = run.communicate(timeout=600)
    stopped_after = time.monotonic() - signalled
    assert run.returncode == 130 and out == "", err
    assert not (cwd / "first").exists()
    done, total = map(int, re.search(r"(\d+) of (\d+) blocks", err).groups())
    return err, done, total, stopped_after


@pytest.mark.slow
def test_ctrl_c_keeps_finished_blocks_and_the_rerun_writes_the_same_json(tmp_path, cli_json) -> None:
    cache = tmp_path / "cache"
    err, done, total, stopped_after = ctrl_c_after_the_first_block(tmp_path, cache)
    assert err.startswith("dudl: interrupted by SIGINT (ann.hidden-units: ") and err.count("\n") == 1
    assert f"blocks of its sweep done); finished blocks are kept in {cache}, the same command resumes" in err
    # both engine threads stop at their next epoch, not after the sweep
    assert total == 17 and done <= 4, err
    assert stopped_after < 15, stopped_after  # the rest of the sweep: 8 s or more
    stored = len(list(cache.glob("*.block")))
    resumed = cli_json("ann.hidden-units", *SWEEP[2:], "--cache", str(cache), "--out", "second")
    uninterrupted = cli_json("ann.hidden-units", *SWEEP[2:], "--no-cache", "--out", "third")
    assert stored >= 1 and len(list(cache.glob("*.block"))) > stored
    for result in (resumed, uninterrupted):
        result.pop("elapsed_s")
    assert json.dumps(resumed) == json.dumps(uninterrupted)
    assert Path(tmp_path / "second").is_dir()


@pytest.mark.slow
# not processes:2: a worker terminated while it connects can make multiprocessing's resource_sharer thread in
# this process print an exception (seen once in a full run); known, in the issue note
@pytest.mark.parametrize("executor", ["dask"])
def test_ctrl_c_stops_the_workers_with_one_line(tmp_path, executor) -> None:
    """The pool's and the LocalCluster's worker processes get Ctrl-C too: no traceback or log line of theirs,
    and the blocks they run are dropped, not finished."""
    cache = tmp_path / "cache"
    err, done, total, stopped_after = ctrl_c_after_the_first_block(tmp_path, cache, "--executor", executor)
    assert err == (f"dudl: interrupted by SIGINT (ann.hidden-units: {done} of 17 blocks of its sweep done); "
                   f"finished blocks are kept in {cache}, the same command resumes from them; no result was "
                   "written\n")
    assert done <= 4 and stopped_after < 15, (done, stopped_after)


@pytest.mark.parametrize(("bound", "estimate", "executor", "yes", "tty", "asked"), [
    (900, 601, "local", False, True, True),
    (900, 601, "local", True, True, False),  # --yes
    (900, 601, "processes:4", False, True, False),  # not the local executor
    (900, 601, "local", False, False, False),  # no terminal to ask on
    (900, 600, "local", False, True, False),  # estimated at 10 minutes or less
    (600, 601, "local", False, True, False),  # a budget of 10 minutes or less is not planned at all
])
def test_a_run_estimated_over_ten_minutes_here_asks_first(monkeypatch, bound, estimate, executor, yes, tty,
                                                          asked) -> None:
    """The question gives --dry-run's estimate (the planned blocks at this machine's speed), not the budget's
    upper bound."""
    from dudl import cli

    questions, planned = [], []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: tty)
    monkeypatch.setattr(cli.typer, "confirm", lambda text, **_: questions.append(text) or False)
    monkeypatch.setattr(cli, "_plan", lambda *args: planned.append(args) or ({"wall_seconds": estimate}, 1, ""))
    arguments = ("ann.breadth-vs-depth", {"reps": 9}, "cpu", bound, executor, yes)
    if asked:
        with pytest.raises(cli.typer.Exit):
            cli._confirm_long_run(*arguments)
        assert questions == ["ann.breadth-vs-depth is estimated at 10 min on this machine; --executor processes:N or "
                             "dask:ADDRESS spreads it over cores or machines. Run it here?"]
        assert planned == [("ann.breadth-vs-depth", {"reps": 9}, "cpu")]
    else:
        cli._confirm_long_run(*arguments)
        assert questions == []


def test_ctrl_c_at_the_question_is_an_interrupt_not_an_error(monkeypatch, capsys) -> None:
    """click's prompt turns Ctrl-C into Abort: dudl still exits 130 with its one line (EOF stays "aborted")."""
    from typer._click import termui

    from dudl import cli

    def ctrl_c(_prompt: str) -> str:
        raise cli.Interrupted(signal.SIGINT)

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(cli, "_plan", lambda *args: ({"wall_seconds": 3600}, 1, ""))
    monkeypatch.setattr(termui, "visible_prompt_func", ctrl_c)
    args = ["run", "ann.iris", "--param", "epochs=5000000", "--no-cache", "--no-figures"]
    with pytest.raises(SystemExit) as stop:
        cli.main(args)
    assert stop.value.code == 130 and capsys.readouterr().err.endswith("dudl: interrupted by SIGINT\n")
    monkeypatch.setattr(termui, "visible_prompt_func", lambda _prompt: (_ for _ in ()).throw(EOFError))
    with pytest.raises(SystemExit) as stop:
        cli.main(args)
    assert stop.value.code == 2 and capsys.readouterr().err.endswith("dudl: error: aborted\n")


@pytest.mark.slow
def test_a_signal_ignored_at_start_stays_ignored(tmp_path) -> None:
    """`nohup dudl ...` (SIGHUP ignored) and `dudl ... &` in a script (SIGINT ignored) run on when the signal comes."""
    cache = tmp_path / "cache"

    def ignore() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    sweep = [*SWEEP[:3], "2", *SWEEP[4:]]  # reps 2
    run = subprocess.Popen([DUDL, *sweep, "--cache", str(cache)], cwd=tmp_path, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=ignore)
    while not list(cache.glob("*.block")) and run.poll() is None:
        time.sleep(0.05)
    run.send_signal(signal.SIGHUP)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0 and err == ""
    assert len(json.loads(out)["metrics"]["accuracy"]) == 2


@pytest.mark.slow
def test_ctrl_c_during_a_report_says_what_it_saved(tmp_path) -> None:
    """The experiments the report finished stay saved (each complete), index.html is not written, and the line
    says so rather than "no result was written"."""
    report, cache = tmp_path / "report", tmp_path / "cache"
    run = subprocess.Popen([DUDL, "report", "--out", str(report), "--cache", str(cache)], cwd=tmp_path, text=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    while len(list(report.glob("*/result.json"))) < 2 and run.poll() is None:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=600)
    assert run.returncode == 130 and err.count("\n") == 1, err
    assert err.startswith("dudl: interrupted by SIGINT (")
    assert err.endswith(f"; finished blocks are kept in {cache}, the same command resumes from them; the report's "
                        f"finished experiments are saved in {report}, its index.html was not written\n")
    saved = sorted(report.glob("*/result.json"))
    assert len(saved) >= 2 and not (report / "index.html").exists()
    for path in saved:
        assert dudl.Result.load(path.parent).id == path.parent.name
