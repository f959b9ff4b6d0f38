"""The JSON API of `dudl serve`, with httpx against a real server: experiments, schema, runs (the same Result
JSON as the CLI), the cache, Server-Sent Events, the queue, cancel, compare, export, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

import dudl
from dudl import display, registry
from dudl.params import ParamError

from .conftest import wait_for

LONG = {"epochs": "100000", "reps": "20"}  # ann.learning-rates: estimated ~30 s, under --max-seconds 120


def start(client, experiment: str, **params: str):
    return client.post("/api/runs", json={"experiment": experiment, "params": params})


def finished(client, experiment: str, **params: str) -> str:
    response = start(client, experiment, **params)
    assert response.status_code in (200, 202), response.text
    run = response.json()["run"]
    if response.json()["state"] != "done":
        assert wait_for(client, run)[-1]["state"] == "done"
    return run


def test_experiments_are_the_registry(client):
    listed = client.get("/api/experiments").json()
    assert [e["id"] for e in listed] == dudl.experiments()
    qwerties = next(e for e in listed if e["id"] == "ann.qwerties")
    assert qwerties == {"id": "ann.qwerties", "section": "ann", "lecture": "ANN/DUDL_ANN_classifyQwerties",
                        "purpose": registry.entry("ann.qwerties").purpose}


@pytest.mark.slow
def test_schema_has_types_defaults_bounds_choices_and_docs(client):
    params = {p["name"]: p for p in client.get("/api/experiments/ann.learning-rates").json()["params"]}
    assert params["learning_rates"] == {
        "name": "learning_rates", "kind": "sweep", "type": "list of (number)", "default": "linspace(.001,.1,40)",
        "bounds": "> 0, Infinity allowed", "choices": [], "doc": params["learning_rates"]["doc"]}
    assert params["reps"]["kind"] == "integer" and params["reps"]["default"] == "50"  # the meta-experiment
    assert params["reps"]["bounds"] == ">= 1"
    assert params["seed"]["doc"].startswith("seed of every random draw")
    split = {p["name"]: p for p in client.get("/api/experiments/overfit.manual").json()["params"]}["split_method"]
    assert split["kind"] == "choice" and split["choices"] == ['"random"', '"first"', '"stratified"']


@pytest.mark.slow
def test_a_run_gives_the_cli_result_json_and_is_cached(client):
    response = start(client, "gd.1d", start="1.006")
    run = response.json()["run"]
    if response.status_code == 202:
        statuses = wait_for(client, run)
        assert statuses[-1]["state"] == "done"
    served = json.loads(client.get(f"/api/runs/{run}/result").text)
    expected = json.loads(dudl.run("gd.1d", progress=False, start=1.006).to_json())
    served.pop("elapsed_s"), expected.pop("elapsed_s")
    assert served == expected
    assert round(served["metrics"]["final_minimum"][0], 8) == 0.50103977
    again = start(client, "gd.1d", start=" 1.006 ")  # the same resolved parameters: the same run, at once
    assert again.status_code == 200 and again.json()["run"] == run and again.json()["state"] == "done"
    cached = client.post("/api/runs", json={"experiment": "gd.1d", "params": {"start": 1.006}, "cached_only": True})
    assert cached.status_code == 200 and cached.json()["run"] == run
    missing = client.post("/api/runs", json={"experiment": "gd.1d", "params": {"start": 0.3}, "cached_only": True})
    assert missing.status_code == 404


def test_view_and_export_use_the_shared_renderer(client):
    run = finished(client, "gd.1d", start="1.006")
    view = client.get(f"/api/runs/{run}/view").json()
    result = dudl.run("gd.1d", progress=False, start=1.006)
    assert [f["name"] for f in view["figures"]] == list(result.figures())
    assert {f["name"]: f["caption"] for f in view["figures"]} == display.captions(result, list(result.figures()))
    assert view["summary"] == [list(row) for row in display.summary_rows(result)]
    assert view["changed"] == {"start": 1.006}
    assert "the course printed" in view["html"] and 'class="dudl-result"' in view["html"]
    png = client.get(f"/api/runs/{run}/figures/{view['figures'][0]['name']}.png")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/api/runs/{run}/figures/nope.png").status_code == 404


def test_spread_over_seeds_has_one_value_per_repetition(client):
    run = finished(client, "ann.qwerties", reps="4", epochs="50")
    spread = {s["metric"]: s for s in client.get(f"/api/runs/{run}/view").json()["spread"]}
    result = dudl.run("ann.qwerties", progress=False, reps=4, epochs=50)
    assert spread["accuracy"]["values"] == pytest.approx(result.metric("accuracy").tolist())
    assert len(spread["final_loss"]["values"]) == 4


@pytest.mark.parametrize(("experiment", "params"), [
    ("ann.learning-rates", {"learning_rates": "linspace(.001,.1,0)"}),
    ("ann.learning-rates", {"epochs": "abc"}),
    ("ann.learning-rates", {"reps": "0"}),
    ("gd.1d", {"learning_rate": "NaN"}),
    ("gd.1d", {"nope": "1"}),
    ("overfit.manual", {"split_method": "/etc/passwd"}),
])
def test_bad_values_get_the_parsers_one_line_message(client, experiment, params):
    from dudl.params import parse_text

    response = start(client, experiment, **params)
    assert response.status_code == 422
    (name, text), = params.items()
    with pytest.raises(ParamError) as error:
        registry.resolve(experiment, {name: parse_text(text)})
    assert response.json() == {"errors": {name: str(error.value)}}
    assert "\n" not in str(error.value)


def test_a_message_is_the_clis(client):
    from tests.conftest import run_cli

    response = start(client, "ann.learning-rates", learning_rates="linspace(.001,.1,0)")
    cli = run_cli("run", "ann.learning-rates", "--param", "learning_rates=linspace(.001,.1,0)", "--no-figures")
    assert cli.returncode == 2
    assert cli.stderr.strip() == "dudl: error: " + response.json()["errors"]["learning_rates"]


def test_a_run_over_max_seconds_is_refused_with_the_command_line(client):
    response = start(client, "ann.learning-rates", epochs="1000000", reps="1000")
    assert response.status_code == 422
    message = response.json()["errors"]["run"]
    assert "dudl run ann.learning-rates --param epochs=1000000 --param reps=1000 --max-seconds 100000" in message
    assert "120 s" in message


def test_bad_requests(client, server):
    assert client.get("/api/experiments/nope").status_code == 404
    assert "unknown experiment" in client.get("/api/experiments/nope").json()["error"]
    assert start(client, "nope").status_code == 404
    assert client.get("/api/runs/0123456789").status_code == 404
    assert client.get("/experiments/nope").status_code == 404
    big = client.post("/api/runs", content=b"{" + b" " * 70000 + b"}", headers={"content-type": "application/json"})
    assert big.status_code == 413
    assert client.post("/api/runs", content=b"not json").status_code == 400
    path = client.post("/api/runs", json={"experiment": "gd.1d", "params": {}, "out": "/tmp/x"})
    assert path.status_code == 400 and "unknown key 'out'" in path.json()["error"]
    assert client.get("/static/../app.py").status_code == 404


def test_queue_positions_and_cancel(client):
    long = start(client, "ann.learning-rates", **LONG).json()
    queued = start(client, "gd.1d", start="0.25").json()
    assert queued["state"] == "queued" and queued["position"] == 1
    with client.stream("GET", f"/api/runs/{long['run']}/events", timeout=240) as events:
        for line in events.iter_lines():
            if line.startswith("data: ") and json.loads(line[6:])["done"] > 0:
                break
    cancelled = client.post(f"/api/runs/{long['run']}/cancel").json()
    assert cancelled["state"] == "running"
    statuses = wait_for(client, long["run"], timeout=10)
    assert statuses[-1]["state"] == "cancelled" and statuses[-1]["done"] < statuses[-1]["total"]
    assert wait_for(client, queued["run"])[-1]["state"] == "done"  # the queue moved on


@pytest.mark.slow
def test_compare_lists_the_parameters_that_differ(client):
    a, b = finished(client, "gd.1d", start="1.006"), finished(client, "gd.1d", start="-0.5")
    body = client.get(f"/api/compare?a={a}&b={b}").json()
    assert body["differ"] == [{"name": "start", "a": 1.006, "b": -0.5}]
    finals = [dict((row[0], row[2]) for row in side["summary"])["final_minimum"] for side in body["runs"]]
    expected = [float(dudl.run("gd.1d", progress=False, start=x).metrics["final_minimum"][0]) for x in (1.006, -0.5)]
    assert [float(v) for v in finals] == pytest.approx(expected, rel=1e-5)  # 0.50104, 0.497945
    assert body["runs"][0]["figure"]["name"] == body["runs"][1]["figure"]["name"]
    assert client.get(f"/api/compare?a={a}&b=nope").status_code == 404


def test_the_index_page_lists_every_experiment(client):
    page = client.get("/").text
    for experiment in dudl.experiments():
        assert f'href="/experiments/{experiment}"' in page
    assert np.all([client.get(path).status_code == 200 for path in ("/static/app.js", "/static/style.css")])


def test_trained_models_export_as_state_dicts_for_the_course_sequential(client):
    import io

    import torch

    from dudl.core import engine, models
    from dudl.lectures.ann import qwerty

    run = finished(client, "ann.qwerties", reps="2", epochs="60")
    view = client.get(f"/api/runs/{run}/view").json()
    assert view["models"] == [{"call": 0, "architecture": "2-1-1 (relu, sigmoid; bce)", "models": 2,
                               "exportable": True}]
    result = dudl.run("ann.qwerties", progress=False, reps=2, epochs=60)
    data, labels = qwerty.qwerties_for_reps(0, 2, result.params["centers"], 100, 1.0)
    for k in range(2):
        state = torch.load(io.BytesIO(client.get(f"/api/runs/{run}/models/0/{k}.pt").content))
        model = models.qwerty_net().sequential()
        model.load_state_dict(state)  # strict: the course's nn.Sequential, every key
        with torch.no_grad():
            predicted = engine.predicted_labels(model(torch.as_tensor(data[k])).unsqueeze(0), models.qwerty_net())
        accuracy = 100 * (predicted[0] == torch.as_tensor(labels[k])).double().mean().item()
        assert accuracy == pytest.approx(result.metrics["accuracy"][k], abs=1e-9)
    assert client.get(f"/api/runs/{run}/models/0/2.pt").status_code == 404
    assert client.get(f"/api/runs/{run}/models/1/0.pt").status_code == 404


def test_the_scrubber_replays_training_to_the_runs_own_surface(client):
    run = finished(client, "ann.qwerties", epochs="200", learning_rate="0.05", seed="1")
    scrub = client.get(f"/api/runs/{run}/view").json()["scrub"]
    result = dudl.run("ann.qwerties", progress=False, epochs=200, learning_rate=0.05, seed=1)
    assert scrub["epochs"] == list(range(0, 201, 20))
    assert np.array_equal(scrub["surfaces"][-1], result.metrics["decision_surface"])  # the last frame: the run's
    assert scrub["extent"] == pytest.approx(np.asarray(result.metrics["decision_surface_extent"]).tolist())
    assert len(scrub["points"]) == len(scrub["labels"]) == 200 and sorted(set(scrub["labels"])) == [0, 1]
    assert not np.array_equal(scrub["surfaces"][0], scrub["surfaces"][-1])  # training changed the surface
    gd = finished(client, "gd.1d", start="1.006")
    assert client.get(f"/api/runs/{gd}/view").json()["scrub"] is None  # no 2-D classifier


@pytest.mark.slow
def test_serve_refuses_a_bad_or_busy_port_in_one_line(server):
    from tests.conftest import run_cli

    bad = run_cli("serve", "--port", "70000")
    assert (bad.returncode, bad.stderr) == (2, "dudl: error: --port must be from 1 to 65535, got 70000\n")
    port = server.rsplit(":", 1)[1]
    busy = run_cli("serve", "--port", port)
    assert busy.returncode == 2 and busy.stderr.startswith(f"dudl: error: cannot listen on 127.0.0.1:{port} (")
    assert busy.stderr.count("\n") == 1
