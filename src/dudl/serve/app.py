"""The ASGI app of ``dudl serve``: the pages and the JSON API under them.

Pages: ``/`` (every section and experiment) and ``/experiments/{id}`` (a form from the parameter schema, the
run with its progress, the result; the changed parameters and the seed live in the query string). Static
assets come from the package (``dudl/serve/static``), so the pages work offline.

API (JSON):

* ``GET /api/experiments``: [{id, section, lecture, purpose}];
* ``GET /api/experiments/{id}``: the parameter schema (:func:`schema`);
* ``POST /api/runs`` ``{"experiment": id, "params": {name: text or JSON value}, "cached_only": false}``: the
  run's status (``run`` is its id); 422 ``{"errors": {name: message}}`` for bad values (the parser's and the
  CLI's one-line messages) or a run over ``--max-seconds``; with ``cached_only`` 404 unless it is cached;
* ``GET /api/runs/{run}``: status; ``GET /api/runs/{run}/events``: Server-Sent Events, one ``status`` event
  per change until the run ends; ``POST /api/runs/{run}/cancel``;
* ``GET /api/runs/{run}/result``: the Result JSON (as ``dudl run --json``); ``/view``: what the page shows
  (display.py's HTML, figures with captions, summary, spread over seeds, the scrubber's decision surfaces, the
  exportable models); ``/figures/{name}.png``; ``/models/{call}/{k}.pt``: model k of the run's engine call
  as a ``torch.save``'d state_dict that loads into the course's ``nn.Sequential``;
* ``GET /api/compare?a=RUN&b=RUN``: the parameters that differ and both summaries.

Requests name no file: parameters are parsed by :mod:`dudl.params` (no eval), bodies over
:data:`MAX_BODY` bytes are refused (413), unknown experiments and runs are 404.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import html
import json
import shlex
import threading
import typing
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dudl import budget, registry
from dudl.params import ParamError, bounds_text, describe, parse_text, plain_value
from dudl.serve.runs import TERMINAL, Job, Runner, run_key

STATIC = Path(__file__).parent / "static"
MAX_BODY = 64 * 1024  # bytes of a POST body
SSE_KEEPALIVE_S = 15.0
DEFAULT_MAX_SECONDS = 120.0
SECTIONS = {"math": "Math, numpy, PyTorch", "gd": "Gradient descent", "ann": "Artificial neural networks",
            "overfit": "Overfitting and cross-validation"}


# -- the parameter schema ------------------------------------------------------------------------------
def schema(experiment_id: str) -> dict[str, Any]:
    """The experiment's parameters for a form: per parameter its name, ``kind`` (bool, choice, integer,
    number, sweep or json), ``type`` (as ``dudl show`` says it), ``default`` as text (sweep axes as the course's
    shorthand), ``bounds``, ``choices`` (the allowed values, as JSON text) and ``doc``."""
    item = registry.entry(experiment_id)
    params_type = item.load().Params
    hints = typing.get_type_hints(params_type)
    fields = []
    for field in dataclasses.fields(params_type):
        annotation = hints[field.name]
        shown = field.metadata.get("shown")
        choices = [json.dumps(a) for a in typing.get_args(annotation)] if typing.get_origin(annotation) is \
            typing.Literal else []
        if annotation is bool:
            kind, choices = "bool", ["true", "false"]
        elif choices:
            kind = "choice"
        elif shown:
            kind = "sweep"
        else:
            kind = {int: "integer", float: "number"}.get(annotation, "json")
        fields.append({"name": field.name, "kind": kind, "type": describe(annotation),
                       "default": shown or json.dumps(plain_value(field.default)), "bounds": bounds_text(field),
                       "choices": choices, "doc": field.metadata["doc"]})
    return {"id": item.id, "lecture": item.lecture, "purpose": item.purpose, "params": fields}


def parse_values(experiment_id: str, values: Any) -> dict[str, Any]:
    """The resolved parameters (``Params.to_dict()``) from the request's values (text as ``--param`` reads it,
    or JSON values). Raises :class:`Invalid` with one message per bad field (each the parser's one line)."""
    if not isinstance(values, dict):
        raise Invalid({"params": "params must be an object {name: value}"})
    overrides, errors = {}, {}
    for name, value in values.items():
        try:
            overrides[name] = parse_text(value.strip()) if isinstance(value, str) else value
            registry.resolve(experiment_id, {name: overrides[name]})
        except ParamError as error:
            errors[name] = str(error)
    if errors:
        raise Invalid(errors)
    try:
        return registry.resolve(experiment_id, overrides).to_dict()
    except ParamError as error:  # a check between parameters: shown next to the first field it names
        named = [name for name in overrides if f"'{name}'" in str(error)]
        raise Invalid({named[0] if named else "params": str(error)}) from None


class Invalid(Exception):  # noqa: N818 - a client error, answered with 422
    """Bad parameter values: field name -> one-line message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def cli_command(experiment_id: str, values: dict[str, Any]) -> str:
    """The ``dudl run`` command line of a run with these (changed) values, for a run refused here."""
    parts = ["dudl", "run", experiment_id]
    for name, value in values.items():
        text = value.strip() if isinstance(value, str) else json.dumps(value)
        parts += ["--param", f"{name}={text}"]
    return shlex.join(parts)


# -- helpers -------------------------------------------------------------------------------------------
def _entry(experiment_id: str) -> registry.Entry:
    try:
        return registry.entry(experiment_id)
    except ParamError as error:
        raise HTTPException(404, str(error)) from None


def _job(request: Request) -> Job:
    job = request.app.state.runner.find(request.path_params["run"])
    if job is None:
        raise HTTPException(404, f"no run {request.path_params['run']!r} (finished runs are kept while cached)")
    return job


def _finished(request: Request) -> Job:
    job = _job(request)
    if job.state != "done" or job.payload is None:
        raise HTTPException(409, f"run {job.id} is {job.state}, not done")
    return job


async def _body(request: Request) -> Any:
    """The request's JSON body, at most MAX_BODY bytes (413 beyond, 400 if it is not JSON)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise HTTPException(413, f"request body over {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(413, f"request body over {MAX_BODY} bytes")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks) or b"null")
    except (ValueError, RecursionError):
        raise HTTPException(400, "the request body must be JSON") from None


# -- API -------------------------------------------------------------------------------------------------
async def list_experiments(request: Request) -> JSONResponse:
    return JSONResponse([{"id": e.id, "section": e.id.split(".")[0], "lecture": e.lecture, "purpose": e.purpose}
                         for e in registry.CATALOG])


async def experiment_schema(request: Request) -> JSONResponse:
    item = _entry(request.path_params["id"])
    return JSONResponse(schema(item.id))


async def start_run(request: Request) -> JSONResponse:
    body = await _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("experiment"), str):
        raise HTTPException(400, 'the body must be {"experiment": ID, "params": {...}}')
    unknown = sorted(set(body) - {"experiment", "params", "cached_only"})
    if unknown:
        raise HTTPException(400, f"unknown key {unknown[0]!r} (allowed: experiment, params, cached_only)")
    item = _entry(body["experiment"])
    values = body.get("params") or {}
    try:
        params = parse_values(item.id, values)
    except Invalid as error:
        return JSONResponse({"errors": error.errors}, status_code=422)
    from dudl import __version__

    runner: Runner = request.app.state.runner
    run_id = run_key(item.id, params, __version__)
    if body.get("cached_only"):
        job = runner.find(run_id)
        if job is None or job.state != "done":
            raise HTTPException(404, "this run is not cached")
        return JSONResponse(job.status())
    limits = budget.Limits(max_seconds=request.app.state.max_seconds)
    try:
        budget.check(item.id, registry.resolve(item.id, params), limits)
    except ParamError as error:
        hint = f"{error}. This page runs at most {limits.max_seconds:g} s; run it from the command line: " \
               f"{cli_command(item.id, values)} --max-seconds 100000"
        return JSONResponse({"errors": {"run": hint}}, status_code=422)
    job = runner.submit(run_id, item.id, params)
    return JSONResponse(job.status(), status_code=200 if job.state == "done" else 202)


async def run_status(request: Request) -> JSONResponse:
    return JSONResponse(_job(request).status())


async def run_events(request: Request) -> StreamingResponse:
    job = _job(request)

    async def stream() -> AsyncIterator[str]:
        while True:
            changed = job.changed
            yield f"event: status\ndata: {json.dumps(job.status())}\n\n"
            if job.state in TERMINAL:
                return
            try:
                await asyncio.wait_for(changed.wait(), SSE_KEEPALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def cancel_run(request: Request) -> JSONResponse:
    job = _job(request)
    request.app.state.runner.cancel(job)
    return JSONResponse(job.status())


async def run_result(request: Request) -> Response:
    job = _finished(request)
    return Response(job.payload["json"], media_type="application/json",
                    headers={"Content-Disposition": f'inline; filename="{job.experiment_id}.json"'})


async def run_view(request: Request) -> JSONResponse:
    job = _finished(request)
    payload = job.payload
    keys = ("html", "figures", "summary", "changed", "spread", "elapsed_s", "scrub")
    models = [{"call": index, "architecture": call["architecture"][0], "models": call["models"],
               "exportable": call["files"] is not None} for index, call in enumerate(payload["models"])]
    return JSONResponse({"run": job.id, "experiment": job.experiment_id, "params": job.params, "models": models,
                         **{key: payload[key] for key in keys}})


async def run_model(request: Request) -> Response:
    job = _finished(request)
    calls = job.payload["models"]
    call, model = int(request.path_params["call"]), int(request.path_params["model"])
    if not (call < len(calls) and calls[call]["files"] is not None and model < calls[call]["models"]):
        raise HTTPException(404, f"run {job.id} has no exported model {model} of engine call {call}")
    name = f"{job.experiment_id}-call{call}-model{model}.pt"
    return Response(calls[call]["files"][model], media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def run_figure(request: Request) -> Response:
    job = _finished(request)
    name = request.path_params["name"]
    for figure in job.payload["figures"]:
        if figure["name"] == name:
            data = base64.b64decode(figure["uri"].partition(",")[2])
            return Response(data, media_type="image/png",
                            headers={"Content-Disposition": f'inline; filename="{job.experiment_id}-{name}.png"'})
    raise HTTPException(404, f"run {job.id} has no figure {name!r}")


async def compare(request: Request) -> JSONResponse:
    runner: Runner = request.app.state.runner
    runs = []
    for key in ("a", "b"):
        job = runner.find(request.query_params.get(key, ""))
        if job is None or job.state != "done":
            raise HTTPException(404, f"run {key}={request.query_params.get(key, '')!r} is not a finished run")
        runs.append(job)
    a, b = runs
    names = list(dict.fromkeys([*a.params, *b.params]))
    differ = [{"name": n, "a": a.params.get(n), "b": b.params.get(n)} for n in names
              if a.params.get(n) != b.params.get(n)]
    return JSONResponse({
        "experiments": [a.experiment_id, b.experiment_id], "differ": differ,
        "runs": [{"run": job.id, "summary": job.payload["summary"],
                  "figure": job.payload["figures"][0] if job.payload["figures"] else None} for job in runs],
    })


# -- pages ------------------------------------------------------------------------------------------------
def _page(title: str, body: str, script: bool = False) -> HTMLResponse:
    """A whole page: the package's stylesheet, and (``script``) the experiment page's script."""
    scripts = '<script src="/static/app.js" defer></script>' if script else ""
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="/static/style.css">{scripts}</head><body>{body}</body></html>')


async def index_page(request: Request) -> HTMLResponse:
    esc = html.escape
    parts = ['<header><h1>dudl playground</h1><p>Every experiment of "A Deep Understanding of Deep Learning", '
             "sections math, gradient descent, ANN and overfitting: change the parameters and see what "
             "happens.</p></header><main>"]
    for section, title in SECTIONS.items():
        rows = "".join(
            f'<tr><td><a href="/experiments/{esc(e.id)}">{esc(e.id)}</a></td><td>{esc(e.lecture)}</td>'
            f"<td>{esc(e.purpose)}</td></tr>" for e in registry.CATALOG if e.id.startswith(section + "."))
        parts.append(f'<section id="section-{section}"><h2>{esc(title)}</h2><table class="experiments">'
                     f"<tr><th>id</th><th>course lecture</th><th>what it shows</th></tr>{rows}</table></section>")
    return _page("dudl playground", "".join(parts) + "</main>")


async def experiment_page(request: Request) -> HTMLResponse:
    item = _entry(request.path_params["id"])
    esc = html.escape
    body = (f'<header><a href="/">dudl playground</a><h1>{esc(item.id)}</h1><p>{esc(item.purpose)}. '
            f'<span class="muted">Reproduces {esc(item.lecture)}.</span></p></header>'
            f'<main id="app" data-experiment="{esc(item.id)}"><p>Loading...</p></main>')
    return _page(f"{item.id} - dudl playground", body, script=True)


async def not_found(request: Request, error: HTTPException) -> Response:
    """API errors as ``{"error": message}``, page errors as a small page; both with the error's status."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": error.detail}, status_code=error.status_code)
    page = _page("dudl playground", f"<main><h1>{error.status_code}</h1><p>{html.escape(str(error.detail))}</p>"
                 '<p><a href="/">all experiments</a></p></main>')
    page.status_code = error.status_code
    return page


def create_app(max_seconds: float = DEFAULT_MAX_SECONDS) -> Starlette:
    """The app; its lifespan starts the worker process (and stops it). ``max_seconds``: runs estimated
    (:mod:`dudl.budget`) to compute longer are refused with the command line that runs them."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.runner = Runner()
        # the lecture modules (torch, matplotlib) imported now, so the first experiment page needs not wait
        threading.Thread(target=lambda: [item.load() for item in registry.CATALOG], daemon=True).start()
        try:
            yield
        finally:
            app.state.runner.close()

    routes = [
        Route("/", index_page),
        Route("/experiments/{id}", experiment_page),
        Route("/api/experiments", list_experiments),
        Route("/api/experiments/{id}", experiment_schema),
        Route("/api/runs", start_run, methods=["POST"]),
        Route("/api/runs/{run}", run_status),
        Route("/api/runs/{run}/events", run_events),
        Route("/api/runs/{run}/cancel", cancel_run, methods=["POST"]),
        Route("/api/runs/{run}/result", run_result),
        Route("/api/runs/{run}/view", run_view),
        Route("/api/runs/{run}/figures/{name}.png", run_figure),
        Route("/api/runs/{run}/models/{call:int}/{model:int}.pt", run_model),
        Route("/api/compare", compare),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: not_found})
    app.state.max_seconds = max_seconds
    return app
