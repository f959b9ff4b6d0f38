"""`dudl serve` measured in a real browser (Playwright driving chromium): time from `dudl serve` to the first
page, an experiment page's load time, click-to-figures for gd.1d and ann.qwerties (new runs: a fresh seed each
time), the cached-result time (a shared link of a finished run), and the memory of the server and its worker.

    .venv/bin/python benchmarks/bench_serve.py [--repeat 3] [--chromium /usr/bin/chromium]

Times are medians over ``--repeat`` tries, in seconds; memory is resident set size (RSS) in MiB.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

DUDL = str(Path(sys.executable).with_name("dudl"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_page(url: str, timeout: float = 300) -> float:
    """Seconds until ``url`` answers 200 (polled every 20 ms)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([DUDL, "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        to_first_page = first_page(base + "/")
        timings: dict[str, list[float]] = {"experiment page load": [], "click-to-figures gd.1d": [],
                                           "click-to-figures ann.qwerties": [], "cached result (shared link)": []}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page()
            for attempt in range(args.repeat):
                tick = time.perf_counter()
                page.goto(f"{base}/experiments/ann.learning-rates")
                page.wait_for_selector("#params .field")
                timings["experiment page load"].append(time.perf_counter() - tick)
                for experiment in ("gd.1d", "ann.qwerties"):
                    page.goto(f"{base}/experiments/{experiment}?seed={100 + attempt}")
                    page.wait_for_selector("#params .field")
                    tick = time.perf_counter()
                    page.click("#run")
                    page.wait_for_selector("#result .dudl-figure img", timeout=600_000)
                    timings[f"click-to-figures {experiment}"].append(time.perf_counter() - tick)
                shared = page.url
                fresh = browser.new_page()
                tick = time.perf_counter()
                fresh.goto(shared)
                fresh.wait_for_selector("#result .dudl-figure img")
                timings["cached result (shared link)"].append(time.perf_counter() - tick)
                fresh.close()
            browser.close()
        process = psutil.Process(server.pid)
        rss = {"server": process.memory_info().rss}
        for child in process.children(recursive=True):
            rss[f"worker {child.pid}" if "python" in child.name() else child.name()] = child.memory_info().rss
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.repeat} tries each (median)")
    print(f"dudl serve -> first page: {to_first_page:.2f} s")
    for name, values in timings.items():
        print(f"{name}: {statistics.median(values):.2f} s (all: {', '.join(f'{v:.2f}' for v in values)})")
    for name, value in rss.items():
        print(f"memory {name}: {value / 2**20:.0f} MiB")
    print(f"memory server + worker(s): {sum(rss.values()) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
