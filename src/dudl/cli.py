"""The `dudl` command line: list, show, run and report. Formatting only: every number comes from a Result.

Bad input (unknown id or parameter, wrong type, out-of-range value, malformed ``--param``, unwritable
``--out``, an invalid saved result) prints one line on stderr and exits with status 2, without a traceback or
partial files. A failure to write (disk full, stdout closed by ``| head``) prints one line and exits with 1.
Ctrl-C, SIGTERM and SIGHUP stop the run the same way: one line, exit 130, 143 or 129, and nothing half-written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import io
import json
import os
import signal
import sys
import tempfile
import threading
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dudl import budget, registry
from dudl.params import ParamError, bounds_text, describe, parse_assignment, plain_value
from dudl.result import FigureError, ResultError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help='Runnable, seeded experiments from "A Deep Understanding of Deep Learning" (sections math, gd, ann, '
    "overfit).",
)


MaxMemory = Annotated[str | None, typer.Option(
    help="refuse a run estimated to need more memory, e.g. 8G or 512M (default: a quarter of this machine's)")]
MaxSeconds = Annotated[float | None, typer.Option(
    help=f"refuse a run estimated to compute longer, in seconds (default {budget.DEFAULT_MAX_SECONDS:g})")]
ExecutorOption = Annotated[str, typer.Option(
    "--executor", help="where the sweep's blocks train: local (this process), processes[:N] (a local process pool) "
    "or dask[:ADDRESS] (a Dask scheduler, e.g. tcp://host:8786; without ADDRESS a LocalCluster)")]
CacheOption = Annotated[Path | None, typer.Option(
    "--cache", help="keep finished blocks in this folder so that a rerun resumes (default: dudl/ in the user's "
    "cache folder)")]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="keep no finished blocks")]
# a run estimated longer than this on the local executor asks for confirmation on a terminal
CONFIRM_SECONDS = 600.0


@app.command("list")
def list_command() -> None:
    """List every experiment: id, course lecture, purpose."""
    table = Table(title="dudl experiments")
    for column in ("id", "course lecture", "purpose"):
        table.add_column(column)
    for item in registry.CATALOG:
        table.add_row(*(escape(cell) for cell in (item.id, item.lecture, item.purpose)))
    _console().print(table)


@app.command("show")
def show_command(experiment_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Show an experiment's parameters: default, type, allowed values and doc."""
    item = registry.entry(experiment_id)
    params_type = item.load().Params
    hints = typing.get_type_hints(params_type)
    table = Table(title=f"{item.id}: {item.purpose}", caption=f"reproduces {item.lecture}")
    for column in ("parameter", "default", "type", "allowed", "meaning"):
        table.add_column(column, overflow="fold")
    for field in dataclasses.fields(params_type):
        shown = field.metadata.get("shown") or json.dumps(plain_value(field.default))
        cells = (field.name, shown, describe(hints[field.name]), bounds_text(field), field.metadata["doc"])
        table.add_row(*(escape(cell) for cell in cells))
    _console().print(table)


@app.command("run")
def run_command(
    experiment_id: Annotated[str, typer.Argument(metavar="ID")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value (JSON literal or linspace/arange/round)")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="shortcut for --param seed=N")] = None,
    reps: Annotated[int | None, typer.Option(help="shortcut for --param reps=N")] = None,
    out: Annotated[Path, typer.Option(
        help="write the result and figures to a new folder OUT/ID/<time>-<hash>/; OUT/ID/latest points at it")
    ] = Path("runs"),
    as_json: Annotated[bool, typer.Option("--json", help="print only the result JSON on stdout")] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="do not draw the figures")] = False,
    full: Annotated[bool, typer.Option("--full", help="print long per-sample listings in full")] = False,
    device: Annotated[str, typer.Option(help='"cpu" or "cuda" (torch experiments)')] = "cpu",
    max_memory: MaxMemory = None,
    max_seconds: MaxSeconds = None,
    executor: ExecutorOption = "local",
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the planned models, model-epochs, FLOPs, "
                                          "blocks and estimated time; train nothing")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask before a run estimated over 10 minutes")] = False,
) -> None:
    """Run one experiment; print the course's lines and a summary, and save the result and figures."""
    from dudl import executors

    overrides = dict(parse_assignment(text) for text in param or [])
    for name, value in (("seed", seed), ("reps", reps)):
        if value is not None:
            overrides[name] = value
    limits = budget.Limits.from_options(max_memory, max_seconds)
    size = budget.check(experiment_id, registry.resolve(experiment_id, overrides), limits)  # before touching the disk
    seconds = None if size is None else size.seconds
    registry.check_device(device, experiment_id)
    executors.parse(executor)
    if dry_run:
        _print_plan(experiment_id, overrides, device, seconds, executor)
        return
    check_writable(out)
    with _block_cache(cache, no_cache) as block_cache:
        _confirm_long_run(experiment_id, overrides, device, seconds, executor, yes)
        result = _run_with_bar(experiment_id, overrides, block_cache, device=device, limits=limits,
                               executor=executor)
    with _nothing_left_on_failure(out, result.id):
        folder = result.save(out, figures=not no_figures, keep_previous=True)
    if as_json:
        _write_stdout(result.to_json() + "\n")
        return
    from dudl import display

    console = _console()
    for line in display.printed_pairs(result, full=full)[0]:
        console.print(line, markup=False)
    table = summary_table(result)
    if table.row_count:
        console.print(table)
    wrote = ", ".join(sorted(p.name for p in folder.iterdir()))
    console.print(f"{result.id}: {result.elapsed_s:.3f} s of computation; wrote {folder}/ ({wrote})",
                  markup=False)


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option(help="folder of the HTML report")] = Path("report"),
    reps: Annotated[int | None, typer.Option(help="repetitions for every stochastic experiment")] = None,
    device: Annotated[str, typer.Option(help='"cpu" or "cuda" (torch experiments)')] = "cpu",
    max_memory: MaxMemory = None,
    max_seconds: MaxSeconds = None,
    executor: ExecutorOption = "local",
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Run every experiment and write OUT/index.html with parameters, metrics, figures and course output."""
    from dudl import executors
    from dudl.core import blocks
    from dudl.report import build_report, report_overrides

    if reps is not None and reps < 1:
        raise ParamError(f"--reps must be >= 1, got {reps}")
    limits = budget.Limits.from_options(max_memory, max_seconds)
    for item in registry.CATALOG:  # every run sized before anything is written
        budget.check(item.id, registry.resolve(item.id, report_overrides(item, reps)), limits)
    registry.check_device(device)
    executors.parse(executor)
    check_writable(out)
    with _block_cache(cache, no_cache) as block_cache:
        with _sweep_stops_in_one_line(block_cache, report=out), _nothing_left_on_failure(out), \
                executors.open_executor(executor) as pool, blocks.session(executor=pool, cache=block_cache):
            failures = build_report(out, reps=reps, device=device, limits=limits)
    if failures:
        print(f"dudl: {len(failures)} experiment(s) failed: {', '.join(failures)}", file=sys.stderr)
        raise typer.Exit(1)


@contextlib.contextmanager
def _block_cache(folder: Path | None, no_cache: bool) -> Iterator[Any]:
    """The block cache of --cache/--no-cache (ParamError for a folder that is a file or read-only, or both
    options). The folders it created for --cache or $DUDL_CACHE are removed again if the command fails before a
    block is stored in them (not the default folder: other runs may be using it)."""
    from dudl.cache import CacheFolderError, default_folder, open_cache

    if no_cache and folder is not None:
        raise ParamError("--cache and --no-cache exclude each other; give one of them")
    path = None if no_cache else default_folder() if folder is None else folder.expanduser()
    if path is None:  # --no-cache, DUDL_CACHE=off
        yield None
        return
    chosen = folder is not None or bool(os.environ.get("DUDL_CACHE"))  # the default folder is shared by every run
    created = _missing_folders(path) if chosen else []
    try:
        block_cache = open_cache(path)
    except CacheFolderError as error:
        if chosen:
            raise
        # the default folder (a read-only home, a full disk): the run goes on without it, as pip does
        print(f"dudl: warning: {error.reason}, the default block cache, cannot be used; running without it "
              "(--cache DIR or DUDL_CACHE=DIR gives another folder)", file=sys.stderr)
        block_cache = None
    try:
        yield block_cache
    except BaseException:
        _remove_empty(created)
        raise


def _run_with_bar(experiment_id: str, overrides: dict[str, Any], block_cache: Any, **options: Any) -> Any:
    """registry.run with a progress bar on stderr (a terminal, runs over a second); Ctrl-C: one line, exit 130."""
    from dudl.progress import Bar

    with _sweep_stops_in_one_line(block_cache), Bar() as bar:
        return registry.run(experiment_id, overrides, cache=block_cache or False, progress=bar, **options)


@contextlib.contextmanager
def _sweep_stops_in_one_line(block_cache: Any, report: Path | None = None) -> Iterator[None]:
    """Ctrl-C (or SIGTERM, SIGHUP) and a lost executor inside the ``with``: one line with what was done and kept
    (:func:`_what_was_kept`), exit 130/143/129 or 1."""
    from dudl.core.blocks import ExecutorLost

    try:
        yield
    except KeyboardInterrupt as error:
        exit_interrupted(error, _what_was_kept(block_cache, report))
    except ExecutorLost as error:
        _fail(f"{error}{_what_was_kept(block_cache, report)}", 1)


def _what_was_kept(block_cache: Any, report: Path | None = None) -> str:
    """What an interrupted run (or ``dudl report`` into ``report``) had done, where its finished blocks are and
    what it wrote (for :func:`exit_interrupted`)."""
    from dudl.core import blocks

    context = blocks.last()
    done = ("" if context is None else f" ({context.experiment_id})" if not context.blocks_total else
            f" ({context.experiment_id}: {context.blocks_done} of {context.blocks_total} blocks of its sweep done)")
    written = "no result was written"
    if report is not None and any(report.glob("*/result.json")):
        written = f"the report's finished experiments are saved in {report}, its index.html was not written"
    if block_cache is None:
        return f"{done}; nothing was kept (--no-cache); {written}"
    if report is None and (context is None or not context.blocks_done):
        return f"{done}; no block was finished; {written}"
    return f"{done}; finished blocks are kept in {block_cache.folder}, the same command resumes from them; {written}"


def _plan(experiment_id: str, overrides: dict[str, Any], device: str,
          executor: str = "local") -> tuple[dict[str, float], int, str]:
    """The engine calls of a run on ``executor``, planned and not trained: their totals (models, model_epochs, flops,
    blocks, and the cost model's seconds: wall on this machine's threads, and one core's work, both scaled to this
    machine's measured speed), the number of calls, and the estimate as text ("no training" without a call).
    Another executor than local gets the blocks it would be sent (smaller ones, to spread over its workers),
    and only the one-core estimate: its workers share that."""
    from concurrent.futures import Executor

    from dudl import executors
    from dudl.core import blocks

    item = registry.entry(experiment_id)
    params = registry.resolve(experiment_id, overrides)
    local = executors.is_local(executor)
    # a plan only asks whether blocks go to an executor; the executor itself is not started
    planned_for = None if local else Executor()
    with blocks.run_context(experiment_id=experiment_id, params=params.to_dict(), plan_only=True,
                            executor=planned_for) as context:
        if item.uses_torch:
            item.load().run(params, device)
    totals = {name: sum(plan[name] for plan in context.plans)
              for name in ("models", "model_epochs", "flops", "blocks", "seconds", "wall_seconds")}
    if not context.plans:
        return totals, 0, "no training"
    from dudl.core import engine

    speed = engine.machine_speed()  # the cost model of the planned blocks, scaled to this machine
    totals["seconds"] *= speed
    totals["wall_seconds"] *= speed
    if not local:
        return totals, len(context.plans), (f"training estimated at {totals['seconds']:.1f} s of one core's work "
                                            f"on this machine's CPU, shared by --executor {executor}'s workers")
    return totals, len(context.plans), (f"training estimated at {totals['wall_seconds']:.1f} s on this machine's "
                                        f"CPU ({totals['seconds']:.1f} s of one core's work)")


def _print_plan(experiment_id: str, overrides: dict[str, Any], device: str, seconds: float | None,
                executor: str) -> None:
    """--dry-run: the experiment's engine calls planned (models, model-epochs, FLOPs, blocks), none trained."""
    totals, calls, training = _plan(experiment_id, overrides, device, executor)
    print(f"{experiment_id}: {totals['models']} models, {totals['model_epochs']} model-epochs, "
          f"{totals['flops']:.3g} FLOPs, {totals['blocks']} blocks in {calls} engine call(s); "
          + training + ("" if seconds is None else f"; run-size budget: at most {budget.seconds_text(seconds)}")
          + " (dry run: nothing trained or written)")


def _confirm_long_run(experiment_id: str, overrides: dict[str, Any], device: str, seconds: float | None,
                      executor: str, yes: bool) -> None:
    """A run estimated over CONFIRM_SECONDS on the local executor asks first on a terminal (--yes skips it).
    ``seconds``: the run-size budget's bound; over CONFIRM_SECONDS, the estimate is --dry-run's (the time of the
    training on this machine; the bound where the run trains nothing)."""
    from dudl import executors

    local = executors.is_local(executor)
    if yes or seconds is None or seconds <= CONFIRM_SECONDS or not local or not sys.stdin.isatty():
        return
    totals, calls, _ = _plan(experiment_id, overrides, device)
    if calls:
        seconds = totals["wall_seconds"]
    if seconds <= CONFIRM_SECONDS:
        return
    question = (f"{experiment_id} is estimated at {seconds / 60:.0f} min on this machine; --executor "
                "processes:N or dask:ADDRESS spreads it over cores or machines. Run it here?")
    if not typer.confirm(question, default=False, err=True):
        raise typer.Exit(1)


def summary_table(result: Any) -> Table:
    """The result's metrics summary (:func:`dudl.display.summary_rows`) as a table: shape and value, or mean and
    range; non-finite values counted."""
    from dudl import display

    table = Table(title=f"{result.id} metrics")
    for column in display.SUMMARY_HEADER:
        table.add_column(escape(column), overflow="fold")
    for row in display.summary_rows(result):
        table.add_row(*(escape(cell) for cell in row))
    return table


@app.command("compare")
def compare_command(
    runs: Annotated[list[Path], typer.Argument(
        metavar="RUN...", help="saved runs of one experiment: a result.json, its folder, or runs/ID (its latest)")],
    out: Annotated[Path, typer.Option(help="write OUT/ID/<figure>.png, each run's figure side by side")
                   ] = Path("runs/compare"),
    no_figures: Annotated[bool, typer.Option("--no-figures", help="do not draw the figures")] = False,
) -> None:
    """Compare saved runs of one experiment: the parameters that differ, the metrics side by side, the figures."""
    from dudl import saving
    from dudl.compare import compare

    comparison = compare(*runs)
    if not no_figures:
        check_writable(out)
    console = _console()
    for title, frame, what in ((f"{comparison.id}: parameters that differ", comparison.params, "parameter"),
                               (f"{comparison.id}: metrics", comparison.metrics, "metric")):
        table = Table(title=escape(title))
        for column in (what, *comparison.labels):
            table.add_column(escape(column), overflow="fold")
        for name, row in frame.iterrows():
            table.add_row(*(escape(str(cell)) for cell in (name, *row)))
        if len(frame):
            console.print(table)
        else:
            console.print(f"{title}: none", markup=False)
    if no_figures:
        return
    with _nothing_left_on_failure(out), saving.staged_folder(out, comparison.id) as staging:
        for name, figure in comparison.figures().items():
            figure.savefig(staging / f"{name}.png", dpi=100)
    folder = out / comparison.id
    wrote = ", ".join(sorted(p.name for p in folder.iterdir()))
    console.print(f"wrote {folder}/ ({wrote})", markup=False)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on (another than 127.0.0.1 opens it to the network)")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="open the playground in a web browser")] = False,
    max_seconds: Annotated[float, typer.Option(
        help="refuse a run estimated to compute longer, in seconds (the page says how to run it here)")] = 120.0,
) -> None:
    """Serve a playground page for every experiment (needs the extra: pip install 'dudl[serve]')."""
    import socket

    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise ParamError(f"dudl serve needs the serve extra ({error.name} is missing): "
                         "pip install 'dudl[serve]'") from None
    budget.Limits.from_options(None, max_seconds)
    if not 0 < port < 65536:
        raise ParamError(f"--port must be from 1 to 65535, got {port}")
    try:
        with socket.create_server((host, port)):  # fail here, in one line, rather than in the server's log
            pass
    except OSError as error:
        raise ParamError(f"cannot listen on {host}:{port} ({error.strerror or error})") from None
    from dudl.serve import serve

    serve(host, port, open_browser=open_browser, max_seconds=max_seconds)


def check_writable(folder: Path) -> None:
    """Fail early, before computing anything, if ``folder`` cannot be created or written. Creates nothing: the
    nearest existing folder on its path must accept a new folder."""
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        os.rmdir(tempfile.mkdtemp(prefix=".dudl-check-", dir=existing))
    except OSError as error:
        reason = error.strerror or str(error)
        raise ParamError(f"--out {str(folder)!r} is not a writable folder ({reason})") from None


@contextlib.contextmanager
def _nothing_left_on_failure(out: Path, inside: str = "") -> Iterator[None]:
    """Around the writing of ``out`` (and of its folder ``inside``, e.g. an experiment's folder of kept runs): if it
    fails, remove the folders it created on the way (left empty by the atomic saves), and turn an OSError (disk
    full, ...) into one line and exit status 1."""
    created = _missing_folders(out / inside if inside else out)
    try:
        yield
    except BaseException as error:
        _remove_empty(created)
        if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
            _fail(f"could not write to {str(out)!r} ({error.strerror or error}); nothing was saved there", 1)
        raise


def _missing_folders(path: Path) -> list[Path]:
    """``path`` and its parents that do not exist yet, deepest first: what writing into ``path`` creates."""
    return [folder for folder in (path, *path.parents) if not os.path.lexists(folder)]


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first), stopping at the first one that is not empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break


def _write_stdout(text: str) -> None:
    """Write ``text`` to stdout in pieces no larger than its buffer. Python's buffered writer takes one large
    write that the system accepts only in part (a disk that fills up, a pipe closed midway) as complete and drops
    the rest without an error; written in pieces, the failure raises (and :func:`main` reports it)."""
    for start in range(0, len(text), io.DEFAULT_BUFFER_SIZE):
        sys.stdout.write(text[start:start + io.DEFAULT_BUFFER_SIZE])


class _Console(Console):
    """rich's Console, but a closed stdout raises BrokenPipeError (for :func:`main`'s one line) instead of
    rich's silent exit."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def _console() -> Console:
    """A console for tables: the terminal's width, or a wide fixed one when piped (so values do not wrap)."""
    return _Console(highlight=False, width=None if sys.stdout.isatty() else 160)


# Signals: SIGTERM (timeout, Slurm, CI, kill) and SIGHUP (a closed terminal) take the path of Ctrl-C.
EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}  # 128 + the signal's number


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP, raised in the main thread: every cleanup that runs for Ctrl-C runs for it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """While the block runs, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`; once one has, the others
    are ignored so that they cannot cut the cleanup short. The previous handlers come back at the end. A signal
    ignored when dudl starts stays ignored: ``nohup`` (SIGHUP), ``cmd &`` in a script (SIGINT)."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return

    def interrupt(signum: int, _frame: object) -> None:
        for number in EXIT_STATUS:
            signal.signal(number, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {number: signal.signal(number, interrupt) for number in EXIT_STATUS
                if signal.getsignal(number) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def exit_interrupted(error: KeyboardInterrupt, detail: str = "") -> NoReturn:
    """Report an interruption in one line on stderr (``dudl: interrupted by SIGTERM`` + ``detail``, e.g. what
    was done and where it was kept) and exit with 128 + the signal's number: 130, 143 or 129."""
    signum = getattr(error, "signum", signal.SIGINT)
    _fail(f"interrupted by {signal.Signals(signum).name}{detail}", EXIT_STATUS[signum], prefix="dudl: ")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app. Bad input: one line on stderr, exit status 2; a failed write: one line, exit 1;
    SIGINT/SIGTERM/SIGHUP: one line, exit 130/143/129; never a traceback for any of these."""
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else list(argv)
    if sys.stdout is None:  # started with stdout closed (`>&-`): its descriptor could be reused by a result file
        _fail("stdout is closed; nothing was run", 1)
    with signals_interrupt():
        try:
            with command.make_context("dudl", args) as context:
                command.invoke(context)
            sys.stdout.flush()  # so that a closed stdout fails here, not silently at exit
        except (ParamError, ResultError) as error:
            _fail(str(error))
        except FigureError as error:  # the result is saved; a figure failed to draw
            _fail(str(error), 1)
        except KeyboardInterrupt as error:
            exit_interrupted(error)
        except typer.Exit as error:
            sys.exit(error.exit_code)
        except typer.Abort as error:  # click's prompt turns Ctrl-C into Abort (EOF on stdin too)
            if isinstance(error.__context__, KeyboardInterrupt):
                exit_interrupted(error.__context__)
            _fail("aborted")
        except OSError as error:  # writing to stdout (closed by `| head`, or a full disk) or another file
            if error.errno == errno.EPIPE:
                _fail("stdout was closed before all the output was written (broken pipe)", 1, drop_stdout=True)
            where = error.filename if error.filename else "the output"
            _fail(f"could not write {where} ({error.strerror or error})", 1, drop_stdout=True)
        except Exception as error:
            # typer's usage errors (its vendored click's UsageError: unknown option, missing argument, ...)
            if getattr(error, "exit_code", None) != 2 or not hasattr(error, "format_message"):
                raise
            if type(error).__name__ == "NoArgsIsHelpError":
                if error.format_message().strip():  # rich's help is printed when the error is made, plain help here
                    print(error.format_message())
                sys.exit(2)
            _fail(" ".join(error.format_message().split()))
    sys.exit(0)


def _fail(message: str, status: int = 2, *, prefix: str = "dudl: error: ", drop_stdout: bool = False) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with ``status``. ``drop_stdout``: point stdout at
    /dev/null first, so that what is left unwritten cannot fail once more (a second message) at exit."""
    if drop_stdout and sys.stdout is not None:
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(prefix + " ".join(message.split()), file=sys.stderr, flush=True)
    sys.exit(status)
