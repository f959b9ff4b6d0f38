"""One real `dudl serve` (uvicorn, its worker process) per test session, on 127.0.0.1 and a free port, for the
API tests (httpx) and the browser tests (Playwright driving Debian's chromium)."""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

DUDL = str(Path(sys.executable).with_name("dudl"))
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The base URL of a running `dudl serve --port N` (started here, stopped at the end of the session)."""
    port = free_port()
    process = subprocess.Popen([DUDL, "serve", "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    lines = []
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if selector.select(timeout=1):
            lines.append(process.stdout.readline())
            if url in lines[-1]:
                break
    else:
        process.kill()
        pytest.fail(f"dudl serve did not print {url}: {''.join(lines)}")
    try:
        yield url.rstrip("/")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as session:
        yield session


def wait_for(client: httpx.Client, run: str, timeout: float = 240) -> dict:
    """Follow a run's Server-Sent Events until it ends; returns every status event (the last is the end)."""
    statuses = []
    with client.stream("GET", f"/api/runs/{run}/events", timeout=timeout) as events:
        for line in events.iter_lines():
            if line.startswith("data: "):
                statuses.append(json.loads(line[6:]))
                if statuses[-1]["state"] in ("done", "error", "cancelled"):
                    break
    return statuses
