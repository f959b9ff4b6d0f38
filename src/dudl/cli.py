"""The `dudl` command line: list, show, run and report. Formatting only: every number comes from a Result.

Bad input (unknown id or parameter, wrong type, out-of-range value, malformed ``--param``, unwritable
``--out``) prints one line on stderr and exits with status 2, without a traceback or partial files.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import typing
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dudl import budget, registry
from dudl.params import ParamError, bounds_text, describe, parse_assignment, plain_value

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
    out: Annotated[Path, typer.Option(help="write OUT/ID/result.json and the figures")] = Path("runs"),
    as_json: Annotated[bool, typer.Option("--json", help="print only the result JSON on stdout")] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="do not draw the figures")] = False,
    device: Annotated[str, typer.Option(help='"cpu" or "cuda" (torch experiments)')] = "cpu",
    max_memory: MaxMemory = None,
    max_seconds: MaxSeconds = None,
) -> None:
    """Run one experiment; print the course's lines and a summary, and save the result and figures."""
    overrides = dict(parse_assignment(text) for text in param or [])
    for name, value in (("seed", seed), ("reps", reps)):
        if value is not None:
            overrides[name] = value
    limits = budget.Limits.from_options(max_memory, max_seconds)
    budget.check(experiment_id, registry.resolve(experiment_id, overrides), limits)  # before touching the disk
    registry.check_device(device, experiment_id)
    check_writable(out)
    result = registry.run(experiment_id, overrides, device=device, limits=limits)
    folder = result.save(out, figures=not no_figures)
    if as_json:
        sys.stdout.write(result.to_json() + "\n")
        return
    console = _console()
    for line in result.printed():
        console.print(line, markup=False)
    console.print(summary_table(result))
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
) -> None:
    """Run every experiment and write OUT/index.html with parameters, metrics, figures and course output."""
    from dudl.report import build_report, report_overrides

    if reps is not None and reps < 1:
        raise ParamError(f"--reps must be >= 1, got {reps}")
    limits = budget.Limits.from_options(max_memory, max_seconds)
    for item in registry.CATALOG:  # every run sized before anything is written
        budget.check(item.id, registry.resolve(item.id, report_overrides(item, reps)), limits)
    registry.check_device(device)
    check_writable(out)
    failures = build_report(out, reps=reps, device=device, limits=limits)
    if failures:
        print(f"dudl: {len(failures)} experiment(s) failed: {', '.join(failures)}", file=sys.stderr)
        raise typer.Exit(1)


def summary_table(result: Any) -> Table:
    """The result's metrics as a table: shape and value, or mean and range; non-finite values counted."""
    table = Table(title=f"{result.id} metrics")
    for column in ("metric", "shape", "value / mean [min, max]", "non-finite"):
        table.add_column(column, overflow="fold")
    for row in result.summary_rows():
        table.add_row(*(escape(cell) for cell in row))
    return table


def check_writable(folder: Path) -> None:
    """Fail early, before computing anything, if ``folder`` cannot be created or written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise ParamError(f"--out {str(folder)!r} is not a writable folder ({reason})") from None


def _console() -> Console:
    """A console for tables: the terminal's width, or a wide fixed one when piped (so values do not wrap)."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning bad input into one line on stderr and exit status 2."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="dudl", standalone_mode=False)
    except ParamError as error:
        _fail(str(error))
    except BrokenPipeError:
        os._exit(0)  # a closed pipe (e.g. `| head`) is not an error
    except typer.Abort:
        _fail("aborted")
    except Exception as error:
        # typer's usage errors (its vendored click's UsageError: unknown option, missing argument, ...)
        if getattr(error, "exit_code", None) != 2 or not hasattr(error, "format_message"):
            raise
        context = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError" and context is not None:
            print(context.get_help())
            sys.exit(2)
        _fail(" ".join(error.format_message().split()))
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str) -> None:
    print(f"dudl: error: {message}", file=sys.stderr)
    sys.exit(2)
