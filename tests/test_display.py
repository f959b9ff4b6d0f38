"""The faces of a Result (dudl.display): repr, Jupyter HTML, figures that show themselves, pyplot windows, the
metrics summary, labels after bare printed values and long values shortened."""

from __future__ import annotations

import base64
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import dudl
from dudl import display, registry
from dudl.display import DisplayFigure, Figures

LEARNING_RATES = dict(reps=10, learning_rates="linspace(.01,.1,40)", epochs=10, meta_epochs=10, progress=False)


@pytest.fixture(scope="module")
def sweep() -> dudl.Result:
    """ann.learning-rates at reps 10 over 40 learning rates (few epochs): the issue's 20,000-character repr."""
    return dudl.run("ann.learning-rates", **LEARNING_RATES)


def test_repr_is_one_short_line_with_what_was_run(sweep: dudl.Result) -> None:
    text = repr(sweep)
    assert "\n" not in text and len(text) < 200
    assert text.startswith("Result('ann.learning-rates', seed=0, reps=10")
    assert "learning_rates=[40 values]" in text and "epochs=10" in text and "meta_epochs=10" in text
    assert re.fullmatch(r"Result\('gd\.1d', seed=0, reps=1; 6 metrics, [0-9.e-]+ s\)", repr(dudl.run("gd.1d")))


def test_repr_of_a_hand_made_result_does_not_fail() -> None:
    result = dudl.Result(id="no.such", params={"seed": 1}, metrics={"x": np.zeros(10**5)}, elapsed_s=0.5,
                         dudl_version="0")
    assert repr(result) == "Result('no.such', seed=1; 1 metrics, 0.5 s)"


def test_changed_params_are_those_that_differ_from_the_defaults() -> None:
    result = dudl.run("gd.1d", start=1.006, learning_rate=0.01, epochs=50)
    assert display.changed_params(result) == {"start": 1.006, "epochs": 50}  # 0.01 is the default rate


def test_figures_show_themselves_as_images_with_captions(monkeypatch: pytest.MonkeyPatch) -> None:
    module = registry.entry("gd.1d").load()
    monkeypatch.setattr(module, "CAPTIONS", {"trajectory": "x moves quickly, then slowly"}, raising=False)
    figures = dudl.run("gd.1d").figures()
    assert isinstance(figures, Figures) and list(figures) == ["function", "result", "trajectory"]
    assert all(isinstance(figure, DisplayFigure) for figure in figures.values())
    png = figures["result"]._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    page = figures._repr_html_()
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)">', page)
    assert [alt for _, alt in images] == ["function", "result", "trajectory"]
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for data, _ in images)
    assert "<b>trajectory</b>: x moves quickly, then slowly</figcaption>" in page
    assert "<figcaption><b>function</b></figcaption>" in page  # no caption: the name alone
    assert "Figure size" not in page


def test_result_html_has_id_lecture_changed_params_both_printed_outputs_metrics_and_figures() -> None:
    result = dudl.run("gd.1d", start=1.006)
    page = result._repr_html_()
    assert "<b>gd.1d</b>" in page and "gradientDescent/DUDL_GradientDescent_1D" in page
    assert "<code>start=1.006</code>" in page and "learning_rate=" not in page
    ours, course = page.split("<b>dudl printed</b>")[1].split("<b>the course printed</b>")
    assert "array([0.50103977])  # where gradient descent ended" in ours and "[1.006]  # the start" in ours
    assert "array([0.50103977])" in course and "# " not in course.split("</pre>")[0]  # the course's text as it was
    assert "<th>value / mean [min, max]</th>" in page and "<td>final_minimum</td>" in page
    assert "<td>trajectory</td>" not in page  # a curve is not summarised
    assert page.count('<img src="data:image/png;base64,') == 3
    assert 'class="dudl-' in page and "white-space: pre-wrap" in page
    assert page.count("<img") == 3 and "<script" not in page


def test_show_opens_one_pyplot_window_per_figure_named_by_it() -> None:
    import matplotlib.pyplot as plt

    plt.switch_backend("agg")
    plt.close("all")
    result = dudl.run("gd.1d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Agg cannot show windows
        result.show()
    try:
        titles = [plt.figure(number).canvas.manager.get_window_title() for number in plt.get_fignums()]
        assert titles == ["function", "result", "trajectory"]
        assert all(isinstance(plt.figure(number), DisplayFigure) for number in plt.get_fignums())
    finally:
        plt.close("all")


def test_summary_keeps_accuracies_losses_and_fractions_and_leaves_out_axes_curves_and_indices(
        sweep: dudl.Result) -> None:
    rows = {row.metric: row for row in display.summary_rows(sweep)}
    assert {"accuracy", "final_loss", "success_fraction", "mean_accuracy", "demo_accuracy",
            "sweep_success_fraction"} <= set(rows)
    assert not {"learning_rates", "demo_losses", "sweep_losses"} & set(rows)
    accuracy = sweep.metric("accuracy")
    assert rows["accuracy"].shape == "10x40"
    assert rows["accuracy"].value == f"{accuracy.mean():.4g} [{accuracy.min():.4g}, {accuracy.max():.4g}]"
    argmin = {row.metric for row in display.summary_rows(dudl.run("math.argmin"))}
    assert {"min_value", "max_value", "matrix_min"} <= argmin and not {"argmin", "matrix_argmin_by_row"} & argmin
    transpose = {row.metric for row in display.summary_rows(dudl.run("math.transpose"))}
    assert transpose == {"double_transpose_equal", "torch_matches_numpy"}  # shapes and matrices are not summarised


def test_summary_counts_true_values_and_diverged_ones() -> None:
    result = dudl.Result(id="ann.regression", params={}, elapsed_s=0.1, dudl_version="0", metrics={
        "final_loss": np.array([0.5, np.nan, 1.5]), "flat_prediction": np.array([True, False, True]),
        "losses": np.ones((3, 4))})
    rows = {row.metric: tuple(row) for row in display.summary_rows(result)}
    assert rows == {"final_loss": ("final_loss", "3", "1 [0.5, 1.5]", "1 (diverged)"),
                    "flat_prediction": ("flat_prediction", "3", "2 of 3 true", "")}


def test_the_cli_header_shows_min_max_and_only_summarised_metrics(sweep: dudl.Result) -> None:
    from rich.console import Console

    from dudl.cli import summary_table

    console = Console(width=200, record=True)
    console.print(summary_table(sweep))
    text = console.export_text()
    assert "value / mean [min, max]" in text
    assert "success_fraction" in text and "sweep_losses" not in text and "learning_rates " not in text


@pytest.mark.parametrize("experiment_id", ["math.dot-product", "math.mean-variance", "gd.1d", "gd.2d",
                                           "math.random-seed"])
def test_every_bare_printed_value_gets_a_label_and_keeps_the_course_text(experiment_id: str) -> None:
    result = dudl.run(experiment_id)
    printed = result.printed()
    ours, _ = display.printed_pairs(result)
    labelled = [line for line in ours if "  # " in line]
    assert len(labelled) == len(display.labels(result)) > 0
    assert [line.split("  # ")[0] for line in labelled] == [
        printed[end - 1] for start, end in display.printed_values(printed)
        if display.is_bare_value("\n".join(printed[start:end]))]


def test_labels_follow_the_parameters() -> None:
    assert len(display.labels(dudl.run("math.random-seed", seed_global=False))) == 9
    ours = display.printed_pairs(dudl.run("math.random-seed", seed_global=False))[0]
    assert sum("  # " in line for line in ours) == 9
    result = dudl.run("ann.learning-rates", **{**LEARNING_RATES, "reps": 1, "success_threshold": 55})
    (line,) = [line for line in display.printed_pairs(result)[0] if "  # " in line]
    assert line.startswith("tensor(") and line.endswith("# share of learning rates whose accuracy is above 55%")


def test_bare_values_are_told_from_lines_with_words() -> None:
    for text in ("[1.404]", "tensor(0.5750)", "array([0.50103977])", "-2", "1.0735245025970333e-07", "33.75%",
                 "[[1 2]\n [3 4]]", "tensor([[1, 2],\n        [3, 4]])", "[tensor(50.), tensor(99.)]", "nan",
                 "tensor(nan)"):
        assert display.is_bare_value(text), text
    for text in ("Final accuracy: 51.5%", "torch.Size([150, 4])", "-" * 64, "", " ", "Min,max: -3,40",
                 "[ True False]", "<torch.utils.data.dataloader.DataLoader object>"):
        assert not display.is_bare_value(text), text


def test_a_long_printed_value_is_shortened_with_its_count_unless_full() -> None:
    result = dudl.run("ann.iris", epochs=5, progress=False)
    full, _ = display.printed_pairs(result, full=True)
    short, _ = display.printed_pairs(result)
    assert len(full) - len(short) == 17 - 4  # 150 sums, 9 to a line: 17 lines kept as 4
    (count,) = [line for line in short if "numbers in all" in line]
    assert count.strip() == "... (150 numbers in all; --full or full=True prints them)"
    assert short[short.index(count) + 1].endswith("  # softmax outputs summed for each flower: 1")
    assert full[:-17] == short[:-4]  # the lines before it are the same


def test_run_prints_long_values_in_full_with_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from dudl import cli

    monkeypatch.chdir(tmp_path)
    outputs = []
    for extra in ([], ["--full"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["run", "ann.iris", "--param", "epochs=5", "--no-figures", *extra])
        assert exit_info.value.code == 0
        outputs.append(capsys.readouterr().out)
    short, full = outputs
    assert "150 numbers in all" in short and "numbers in all" not in full
    assert len(full.splitlines()) == len(short.splitlines()) + 13
