"""The report page in headless Chromium (Debian's, driven by Playwright): sections laid out, nothing wider than
the viewport, every image loaded. With CI set these tests run, never skip; elsewhere they skip without a browser."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
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

from playwright.sync_api import Page, sync_playwright  # noqa: E402 - after the skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "CATALOG", tuple(e for e in registry.CATALOG if e.id in SECTIONS))
        assert build_report(out) == []
    return out / "index.html"


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.mark.parametrize("width", [1280, 700])
def test_report_fits_the_viewport_and_loads_every_image(report: Path, browser, width: int, tmp_path: Path) -> None:
    page: Page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(report.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    images = page.evaluate(
        "Array.from(document.images, i => [i.complete, i.naturalWidth, i.getBoundingClientRect().right])")
    assert len(images) >= 8
    assert all(complete and natural > 0 and right <= width for complete, natural, right in images)
    for experiment_id in SECTIONS:
        section = page.locator(f"#{experiment_id.replace('.', '-')}")
        assert section.is_visible()
        assert section.evaluate("e => e.scrollWidth <= e.clientWidth")
        assert section.get_by_text("What to look for.").is_visible()
    # a screenshot of a section with printed lines side by side and figures: no wider than the viewport
    shot = tmp_path / "gd-1d.png"
    page.locator("#gd-1d").screenshot(path=str(shot))
    png_width, png_height = struct.unpack(">II", shot.read_bytes()[16:24])
    assert 0 < png_width <= width and png_height > 300
    page.close()
