"""The HTML report: every experiment, run with enough repetitions to see the spread, in course order. Formatting
only: each section is the Result's own HTML (:func:`dudl.display.result_html`: what the lecture says to look for,
our printed lines next to the course's, the metrics, every figure with its caption).

Layout: ``OUT/index.html``, one self-contained page (figures inline), and ``OUT/<id>/result.json`` (written by
:meth:`dudl.result.Result.save`), so that every run can be reloaded. Into an existing report folder, each
experiment's folder is replaced atomically, the folder of an experiment that now fails is removed (its section
shows the error) and so are result folders that the report no longer writes; the index is written atomically at
the end. Files and folders get the user's umask modes, so the report can be published as it is.
"""

from __future__ import annotations

import dataclasses
import html
import traceback
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from dudl import __version__, display, registry, saving
from dudl.budget import Limits
from dudl.core import blocks
from dudl.result import Result

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { border-bottom: 2px solid #444; } h2 { border-bottom: 1px solid #bbb; margin-top: 2.5em; }
.error { background: #fde8e8; border-left: 4px solid #c00; padding: 0.5em 1em; }
.error pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.muted { color: #777; }
.dudl-result img { box-sizing: border-box; }
"""


def build_report(out: Path, *, reps: int | None = None, device: str = "cpu", limits: Limits | None = None) -> list[str]:
    """Run every registered experiment, save its result under ``out`` and write ``index.html``.

    Each random experiment runs with its lecture's ``REPORT_REPS`` repetitions, or ``reps`` for all of them when
    given; ``limits`` is each run's budget (:class:`dudl.budget.Limits`). Returns the ids that failed (their
    sections show the error; the others are complete).
    """
    out.mkdir(parents=True, exist_ok=True)
    sections, failures = [], []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    console = Console(stderr=True)  # stdout stays for what the user redirects; no bar in a pipe or a log
    with Progress(*columns, console=console, transient=False,
                  disable=not (console.is_terminal or console.is_jupyter)) as progress:
        task = progress.add_task("report", total=len(registry.CATALOG))
        models = progress.add_task(f"{'  models x epochs':<26}", total=None)  # the current experiment's sweep
        for item in registry.CATALOG:
            progress.update(task, description=f"{item.id:<26}")
            progress.reset(models, total=None)
            try:
                result = registry.run(item.id, report_overrides(item, reps),
                                      device=device if item.uses_torch else "cpu", limits=limits,
                                      progress=lambda done, total: progress.update(models, completed=done, total=total))
                result.save(out, figures=False)
                sections.append(_section(item, result))
            except Exception as error:  # noqa: BLE001 - a failing experiment is shown in the report, not fatal to it
                if isinstance(error, blocks.ExecutorLost):  # but no later one could run either
                    raise
                failures.append(item.id)
                sections.append(_error_section(item, traceback.format_exc()))
            progress.advance(task)
    _remove_stale_results(out, written={item.id for item in registry.CATALOG} - set(failures))
    saving.write_text(out / "index.html", _page(sections, failures))
    return failures


def report_overrides(item: registry.Entry, reps: int | None) -> dict[str, int]:
    """The parameters the report sets for ``item``: ``reps`` (if given, else the lecture's ``REPORT_REPS``)
    where the experiment has repetitions."""
    if not _has_param(item, "reps"):
        return {}
    chosen = reps if reps is not None else getattr(item.load(), "REPORT_REPS", None)
    return {"reps": chosen} if chosen is not None else {}


def _remove_stale_results(out: Path, written: set[str]) -> None:
    """Remove the result folders in ``out`` that this report did not write (failed or no longer run)."""
    for folder in out.iterdir():
        if folder.name not in written and not folder.name.startswith(".") and (folder / "result.json").is_file():
            saving.remove(out, folder.name)


def _has_param(item: registry.Entry, name: str) -> bool:
    return any(f.name == name for f in dataclasses.fields(item.load().Params))


def _anchor(experiment_id: str) -> str:
    return experiment_id.replace(".", "-")


def _section(item: registry.Entry, result: Result) -> str:
    esc = html.escape
    return (f'<section id="{_anchor(item.id)}"><h2>{esc(item.id)}</h2>'
            + display.result_html(result)
            + f'<p class="muted"><a href="{esc(item.id)}/result.json">result.json</a> '
            f"(reload it with <code>dudl.Result.load</code>)</p></section>\n")


def _error_section(item: registry.Entry, trace: str) -> str:
    esc = html.escape
    return (f'<section id="{_anchor(item.id)}"><h2>{esc(item.id)}</h2><div class="error">'
            f"<p>This experiment failed.</p><pre>{esc(trace)}</pre></div></section>\n")


def _page(sections: list[str], failures: list[str]) -> str:
    toc = "".join(f'<li><a href="#{_anchor(e.id)}">{html.escape(e.id)}</a> '
                  f'<span class="muted">{html.escape(e.purpose)}</span></li>' for e in registry.CATALOG)
    failed = (f'<p class="error">Failed: {html.escape(", ".join(failures))}</p>' if failures else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>dudl report</title><style>{_STYLE}</style></head>
<body>
<h1>dudl report</h1>
<p>Every experiment of the first four sections of "A Deep Understanding of Deep Learning", run by dudl
{html.escape(__version__)}, in the course's order. Each section says what to look for, then shows what dudl
printed next to what the course printed (the course's random numbers come from one unseeded run), the main
numbers and every figure. Random experiments are repeated (the parameters line says how often), so their
figures show the spread over repetitions; a figure that draws one repetition says so in its title.</p>
{failed}
<ol>{toc}</ol>
{''.join(sections)}
</body></html>
"""
