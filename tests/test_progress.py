"""The progress bars: `dudl run`'s (rich, on a terminal or in Jupyter) and `dudl report`'s."""

from __future__ import annotations

import io

import torch
from rich.console import Console

import dudl
from dudl import progress, registry
from dudl.report import build_report


def test_the_bar_names_the_experiment_while_the_engine_threads_report(monkeypatch) -> None:
    """The engine's worker threads call the bar: it still shows the experiment, not " (models x epochs)"."""
    monkeypatch.setattr(progress, "DELAY_S", 0.0)
    monkeypatch.setattr(dudl.core.blocks, "INTERVAL", 0.05)
    screen = io.StringIO()
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # two engine threads (the tests run on one)
    try:
        with progress.Bar(Console(file=screen, force_terminal=True, width=120)) as bar:
            dudl.run("ann.hidden-units", reps=2, epochs=30, progress=bar)
    finally:
        torch.set_num_threads(threads)
    shown = screen.getvalue()
    assert "ann.hidden-units (models x epochs)" in shown and "] (models x epochs)" not in shown
    assert " (models x epochs)" not in shown.replace("ann.hidden-units (models x epochs)", "")


def test_a_report_into_a_pipe_prints_no_bar(tmp_path, monkeypatch, capfd) -> None:
    """stdout is the user's (a pipe, a log): the report's bar goes to a terminal's stderr only."""
    monkeypatch.setattr(registry, "CATALOG", tuple(e for e in registry.CATALOG if e.id in ("gd.1d", "math.log")))
    assert build_report(tmp_path / "report") == []
    out, err = capfd.readouterr()
    assert (tmp_path / "report" / "index.html").is_file()
    assert "━" not in out + err and "gd.1d" not in out + err
