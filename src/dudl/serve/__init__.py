"""``dudl serve``: a playground page for every experiment (form, live progress, result, compare, export),
and the JSON API under the pages. Needs the optional extra ``dudl[serve]`` (starlette, uvicorn).

See :mod:`dudl.serve.app` for the routes, :mod:`dudl.serve.runs` for the queue and cache and
:mod:`dudl.serve.worker` for the worker process that runs the experiments.
"""

from __future__ import annotations


def serve(host: str = "127.0.0.1", port: int = 8000, *, open_browser: bool = False,
          max_seconds: float | None = None) -> None:
    """Serve the playground on http://host:port/ until interrupted; prints the URL (and opens it in a browser
    with ``open_browser``) once the server listens."""
    import threading
    import webbrowser

    import uvicorn

    from dudl.serve.app import DEFAULT_MAX_SECONDS, create_app

    app = create_app(DEFAULT_MAX_SECONDS if max_seconds is None else max_seconds)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    shown = host if ":" not in host else f"[{host}]"
    url = f"http://{shown}:{port}/"

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            print(f"dudl serve: {url} (Ctrl-C stops)", flush=True)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
