"""The playground in a real browser: Playwright for Python driving Debian's chromium (``executable_path``;
``playwright install`` cannot download browsers here) against the session's `dudl serve`.

With CI=true these tests must run: a missing browser fails them. Elsewhere they skip without one.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import parse_qs, urlparse

import pytest

import dudl

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow  # a browser and a server: seconds a test

CHROMIUM = os.environ.get("DUDL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
WAIT_MS = 240_000  # a run on a busy 2-core machine


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"no chromium at {CHROMIUM}: CI must install it (apt-get install -y chromium)")
        pytest.skip("no chromium on this machine")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []  # no script error on any page


def open_experiment(page, server: str, experiment: str, query: str = "") -> None:
    page.goto(f"{server}/experiments/{experiment}{query}")
    page.wait_for_selector("#params .field")


def figure_names(page) -> list[str]:
    page.wait_for_selector("#result .dudl-figure img", timeout=WAIT_MS)
    return page.eval_on_selector_all("#result .dudl-figures .dudl-figure", "nodes => nodes.map(n => n.dataset.name)")


def watch_states(page) -> None:
    """Record every state the progress bar shows (window.states), from now on."""
    page.evaluate("""() => {
        window.states = [];
        const bar = document.getElementById('progress');
        new MutationObserver(() => window.states.push(bar.dataset.state))
            .observe(bar, {attributes: true, attributeFilter: ['data-state']});
    }""")


def test_index_lists_every_experiment_and_opens_one(page, server):
    page.goto(server + "/")
    links = page.eval_on_selector_all('a[href^="/experiments/"]', "nodes => nodes.map(n => n.textContent)")
    assert links == dudl.experiments()
    assert page.locator("h2").all_text_contents() == ["Math, numpy, PyTorch", "Gradient descent",
                                                       "Artificial neural networks", "Overfitting and cross-validation"]
    page.click("text=ann.learning-rates")
    page.wait_for_selector("#param-learning_rates")
    assert page.url == server + "/experiments/ann.learning-rates"
    assert page.input_value("#param-learning_rates") == "linspace(.001,.1,40)"


def test_a_learning_rate_sweep_runs_with_progress_and_figures(page, server):
    open_experiment(page, server, "ann.learning-rates")
    for name, value in (("learning_rates", "linspace(.01,.1,4)"), ("epochs", "200"), ("meta_epochs", "100"),
                        ("reps", "3")):
        page.fill(f"#param-{name}", value)
    assert page.eval_on_selector_all(".field .changed", "nodes => nodes.map(n => n.name)") == [
        "learning_rates", "epochs", "meta_epochs", "reps"]
    watch_states(page)
    page.click("#run")
    names = figure_names(page)
    assert names == list(dudl.run("ann.learning-rates", progress=False, learning_rates="linspace(.01,.1,4)",
                                  epochs=10, meta_epochs=10, reps=2).figures())
    states = page.evaluate("window.states")
    assert states[0] in ("queued", "running") and states[-1] == "done"
    assert "Final accuracy" in page.text_content("#result .dudl-side pre")
    assert page.text_content("#status-text") == "done"
    query = parse_qs(urlparse(page.url).query)
    assert query == {"learning_rates": ["linspace(.01,.1,4)"], "epochs": ["200"], "meta_epochs": ["100"],
                     "reps": ["3"], "seed": ["0"]}
    assert page.locator("#result svg.histogram").count() == 3  # the spread over the 3 repetitions
    downloads = page.eval_on_selector_all(".exports a", "nodes => nodes.map(n => n.textContent)")
    assert downloads == ["result JSON", *[f"{name}.png" for name in names]]
    page.click("#reset")
    assert page.locator(".field .changed").count() == 0
    assert page.input_value("#param-learning_rates") == "linspace(.001,.1,40)" and urlparse(page.url).query == ""


def test_a_bad_value_shows_its_message_next_to_its_field(page, server):
    open_experiment(page, server, "ann.learning-rates")
    page.fill("#param-epochs", "abc")
    page.fill("#param-learning_rates", "linspace(1,2)")
    page.click("#run")
    page.wait_for_selector("#error-epochs:not(:empty)")
    assert page.text_content("#error-epochs") == "parameter 'epochs' must be integer, got \"abc\""
    assert page.text_content("#error-learning_rates") == (
        'linspace takes (start, stop, n) with an integer n from 1 to 100000, got "linspace(1,2)"')
    assert page.text_content("#result") == ""


def test_a_shared_link_shows_the_cached_result_at_once(page, server, client):
    params = {"start": "1.006", "learning_rate": "0.02", "seed": "0"}
    response = client.post("/api/runs", json={"experiment": "gd.1d", "params": params})
    if response.json()["state"] != "done":
        from .conftest import wait_for

        assert wait_for(client, response.json()["run"])[-1]["state"] == "done"
    open_experiment(page, server, "gd.1d", "?start=1.006&learning_rate=0.02&seed=0")
    assert figure_names(page) == ["function", "result", "trajectory"]
    assert page.get_attribute("#result", "data-run") == response.json()["run"]  # no Run clicked: from the cache
    assert page.locator(".field .changed").count() == 2
    assert "start=1.006" in page.text_content("#result")


def test_cancel_stops_a_long_run(page, server):
    open_experiment(page, server, "ann.learning-rates", "?epochs=100000&reps=20&seed=1")
    page.click("#run")
    page.wait_for_function("document.getElementById('progress').value > 0", timeout=WAIT_MS)
    page.click("#cancel")
    page.wait_for_function("document.getElementById('status-text').textContent === 'cancelled'", timeout=10_000)
    assert page.is_hidden("#cancel") and page.is_enabled("#run")
    assert page.text_content("#result") == ""


def test_compare_shows_two_runs_side_by_side(page, server):
    open_experiment(page, server, "gd.1d", "?seed=5")
    page.click("#run")
    figure_names(page)
    first = page.get_attribute("#result", "data-run")
    page.click("#pin")
    page.fill("#param-start", "1.006")
    page.click("#run")
    page.wait_for_selector("#compare .side", timeout=WAIT_MS)
    runs = page.eval_on_selector_all("#compare .side", "nodes => nodes.map(n => n.dataset.run)")
    assert runs == [first, page.get_attribute("#result", "data-run")] and runs[0] != runs[1]
    assert page.eval_on_selector_all("#compare .differ td:first-child", "n => n.map(x => x.textContent)") == ["start"]
    assert page.locator("#compare .side img").count() == 2


def test_scrub_through_training_and_export_a_model(page, server):
    open_experiment(page, server, "ann.qwerties", "?epochs=200&learning_rate=0.05&reps=2&seed=1")
    page.click("#run")
    page.wait_for_selector("#scrub-canvas", timeout=WAIT_MS)
    assert page.get_attribute("#scrub-canvas", "data-epoch") == "200"
    page.fill("#scrub-slider", "0")  # a range input: sets its value and fires input
    assert page.get_attribute("#scrub-canvas", "data-epoch") == "0"
    assert page.text_content("#scrub-epoch") == "after 0 epochs"
    page.fill(".models input.model-index", "1")
    run = page.get_attribute("#result", "data-run")
    assert page.get_attribute(".models a", "href") == f"/api/runs/{run}/models/0/1.pt"
    assert page.locator("#result svg.histogram").count() == 2  # accuracy and final loss over the 2 repetitions
