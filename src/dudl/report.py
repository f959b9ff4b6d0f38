"""The HTML report: every experiment run once, with its parameters, metrics, figures and printed lines
next to what the course printed. Formatting only: everything shown comes from the Results.

Layout: ``OUT/index.html`` (one section per experiment) and ``OUT/<id>/`` (result.json and PNG figures,
written by :meth:`dudl.result.Result.save`). Into an existing report folder, each experiment's folder is
replaced atomically, the folder of an experiment that now fails is removed (its section shows the error)
and so are result folders that the report no longer writes; the index is written atomically at the end.
Files and folders get the user's umask modes, so the report can be published as it is.
"""

from __future__ import annotations

import dataclasses
import html
import traceback
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dudl import __version__, registry, saving
from dudl.budget import Limits
from dudl.result import Result

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { border-bottom: 2px solid #444; } h2 { border-bottom: 1px solid #bbb; margin-top: 2.5em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; vertical-align: top; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; margin: 0; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.figs img { max-width: 48%; border: 1px solid #ddd; margin: 0.3em; }
.note { background: #fff8e0; border-left: 4px solid #e0b000; padding: 0.5em 1em; }
.error { background: #fde8e8; border-left: 4px solid #c00; padding: 0.5em 1em; }
.muted { color: #777; }
"""


def build_report(out: Path, *, reps: int | None = None, device: str = "cpu", limits: Limits | None = None) -> list[str]:
    """Run every registered experiment, save its result and figures under ``out`` and write ``index.html``.

    ``reps`` overrides the repetitions of every experiment that has them; ``limits`` is each run's budget
    (:class:`dudl.budget.Limits`). Returns the ids that failed
    (their sections show the error; the others are complete).
    """
    out.mkdir(parents=True, exist_ok=True)
    sections, failures = [], []
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("report", total=len(registry.CATALOG))
        for item in registry.CATALOG:
            progress.update(task, description=f"{item.id:<26}")
            try:
                result = registry.run(item.id, report_overrides(item, reps),
                                      device=device if item.uses_torch else "cpu", limits=limits)
                folder = result.save(out)
                sections.append(_section(item, result, sorted(p.name for p in folder.glob("*.png"))))
            except Exception:  # noqa: BLE001 - a failing experiment is shown in the report, not fatal to it
                failures.append(item.id)
                sections.append(_error_section(item, traceback.format_exc()))
            progress.advance(task)
    _remove_stale_results(out, written={item.id for item in registry.CATALOG} - set(failures))
    saving.write_text(out / "index.html", _page(sections, failures))
    return failures


def report_overrides(item: registry.Entry, reps: int | None) -> dict[str, int]:
    """The parameters the report sets for ``item``: ``reps`` (if given) where the experiment has it."""
    return {"reps": reps} if reps is not None and _has_param(item, "reps") else {}


def _remove_stale_results(out: Path, written: set[str]) -> None:
    """Remove the result folders in ``out`` that this report did not write (failed or no longer run)."""
    for folder in out.iterdir():
        if folder.name not in written and not folder.name.startswith(".") and (folder / "result.json").is_file():
            saving.remove(out, folder.name)


def _has_param(item: registry.Entry, name: str) -> bool:
    return any(f.name == name for f in dataclasses.fields(item.load().Params))


def _anchor(experiment_id: str) -> str:
    return experiment_id.replace(".", "-")


def _section(item: registry.Entry, result: Result, figure_files: list[str]) -> str:
    module = item.load()
    esc = html.escape
    params = "".join(f"<tr><td>{esc(k)}</td><td>{esc(_short(v))}</td></tr>" for k, v in result.params.items())
    metrics = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
                      for row in result.summary_rows())
    figures = "".join(f'<a href="{esc(item.id)}/{esc(name)}"><img src="{esc(item.id)}/{esc(name)}" '
                      f'alt="{esc(name)}" title="{esc(name)}"></a>' for name in figure_files)
    notes = getattr(module, "NOTES", "")
    return f"""
<h2 id="{_anchor(item.id)}">{esc(item.id)}</h2>
<p>{esc(item.purpose)}. <span class="muted">Reproduces {esc(item.lecture)};
computed in {result.elapsed_s:.3f} s; <a href="{esc(item.id)}/result.json">result.json</a></span></p>
{f'<p class="note">{esc(notes)}</p>' if notes else ''}
<div class="side">
<div><h3>Course printed</h3><pre>{esc(module.COURSE_OUTPUT.strip()) or '(nothing)'}</pre></div>
<div><h3>dudl printed</h3><pre>{esc(chr(10).join(result.printed()))}</pre></div>
</div>
<div class="figs">{figures}</div>
<details><summary>Parameters</summary><table>{params}</table></details>
<details><summary>Metrics</summary><table><tr><th>metric</th><th>shape</th><th>value / mean [min, max]</th>
<th>non-finite</th></tr>{metrics}</table></details>
"""


def _error_section(item: registry.Entry, trace: str) -> str:
    esc = html.escape
    return (f'<h2 id="{_anchor(item.id)}">{esc(item.id)}</h2><div class="error"><p>This experiment failed.</p>'
            f"<pre>{esc(trace)}</pre></div>")


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _page(sections: list[str], failures: list[str]) -> str:
    toc = "".join(f'<li><a href="#{_anchor(e.id)}">{html.escape(e.id)}</a> '
                  f'<span class="muted">{html.escape(e.purpose)}</span></li>' for e in registry.CATALOG)
    failed = (f'<p class="error">Failed: {html.escape(", ".join(failures))}</p>' if failures else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dudl report</title><style>{_STYLE}</style></head>
<body>
<h1>dudl report</h1>
<p>Every experiment of the first four sections of "A Deep Understanding of Deep Learning", run by dudl
{html.escape(__version__)}. Next to each run: what the course printed (one unseeded sample of its
distribution) and what dudl printed (seeded; repetition 0 and the spread over repetitions).</p>
{failed}
<ol>{toc}</ol>
{''.join(sections)}
</body></html>
"""
