"""The report page in headless Chromium (Debian's, driven by Playwright): sections laid out, nothing wider than
the viewport, every image loaded. With CI set these tests run, never skip; elsewhere they skip without a browser."""

from __future__ import annotations

import os
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dudl import registry
from dudl.report import build_report

CHROMIUM = Path("/usr/bin/chromium")
SECTIONS = ("math.derivatives", "math.transpose", "gd.1d", "gd.dynamic-lr")

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (CI installs it)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402 - after the skip

pytestmark = pytest.mark.slow  # a browser: seconds a test


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "CATALOG", tuple(e for e in registry.CATALOG if e.id in SECTIONS))
        assert build_report(out) == []
    return out / "index.html"


def look(report: Path, width: int, shot: Path) -> dict:
    """What Chromium shows of the report at ``width``: page width, images, sections, and a screenshot of gd.1d."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(report.as_uri())
        seen = {
            "page_width": page.evaluate("document.documentElement.scrollWidth"),
            "images": page.evaluate(
                "Array.from(document.images, i => [i.complete, i.naturalWidth, i.getBoundingClientRect().right])"),
            "sections": {experiment_id: page.locator(f"#{experiment_id.replace('.', '-')}").evaluate(
                "e => [e.getBoundingClientRect().height > 0, e.scrollWidth <= e.clientWidth,"
                " e.innerText.includes('What to look for.')]") for experiment_id in SECTIONS},
        }
        page.locator("#gd-1d").screenshot(path=str(shot))
        browser.close()
    return seen


@pytest.mark.parametrize("width", [1280, 700])
def test_report_fits_the_viewport_and_loads_every_image(report: Path, width: int, tmp_path: Path) -> None:
    shot = tmp_path / "gd-1d.png"
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API refuses a thread where an asyncio loop runs
        seen = thread.submit(look, report, width, shot).result()
    assert seen["page_width"] <= width
    assert len(seen["images"]) >= 8
    assert all(complete and natural > 0 and right <= width for complete, natural, right in seen["images"])
    assert seen["sections"] == {experiment_id: [True, True, True] for experiment_id in SECTIONS}
    # the screenshot of a section with printed lines side by side and figures: no wider than the viewport
    png_width, png_height = struct.unpack(">II", shot.read_bytes()[16:24])
    assert 0 < png_width <= width and png_height > 300
