"""The HTML reports in a real browser: Debian's chromium, driven by selenium through the
system's chromedriver (no browser or driver download). The page loads with no console error
(a fetch refused by the page's Content-Security-Policy would be one), the overlays are there
and drawn where the annotations are, and a screenshot is kept as an artefact: in
$ANNOFORMAT_ARTEFACTS, else <tmp>/annoformat-artefacts (the path is printed).

.ci/run installs chromium and chromium-driver with apt when they are missing; where no browser
can be installed the test is skipped, saying so.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

import annoformat as af
from annoformat.model import BBox, Image, Item, Mask
from annoformat.quality.html import CANDIDATE, HIGHLIGHT, REFERENCE, Page, draw_item

from conftest import FIXTURES

A = FIXTURES / "_stats" / "batch-a" / "annotations.json"
A1 = FIXTURES / "_stats" / "batch-a" / "images" / "a1.png"


def _browser() -> tuple[str, str] | None:
    binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    driver = shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    found = _browser()
    if found is None:
        pytest.skip("no headless browser: Debian's chromium and chromium-driver are not "
                    "installed and could not be (.ci/run installs them with apt as root)")
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1200,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=found[1]), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _artefacts() -> Path:
    folder = Path(os.environ.get("ANNOFORMAT_ARTEFACTS")
                  or Path(tempfile.gettempdir()) / "annoformat-artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(driver: Any, html: str, name: str, capsys: pytest.CaptureFixture[str]) -> Path:
    """Load ``html`` from a file, check the console, keep a full-page screenshot."""
    page = _artefacts() / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    driver.get_log("browser")  # what earlier pages left
    driver.set_window_size(1200, 300)  # the page's height is measured at least this tall
    driver.get(page.as_uri())
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    height, frame = driver.execute_script(
        "return [document.documentElement.scrollHeight, window.outerHeight - innerHeight]")
    driver.set_window_size(1200, min(int(height) + int(frame), 8000))  # the whole page
    shot = _artefacts() / f"{name}.png"
    driver.save_screenshot(str(shot))
    with capsys.disabled():
        print(f"\nscreenshot of {name}: {shot}")
    return shot


def _color_near(png: bytes, x: int, y: int, rgb: tuple[int, int, int], tol: int = 40) -> bool:
    """Whether a pixel within 2 px of (x, y) has about ``rgb`` (anti-aliasing blurs edges)."""
    with PILImage.open(io.BytesIO(png)) as im:
        px = im.convert("RGB").load()
        assert px is not None
        return any(all(abs(c - r) <= tol for c, r in zip(px[x + dx, y + dy], rgb, strict=True))
                   for dx in range(-2, 3) for dy in range(-2, 3))


# a mask of rows 50-79 in columns 60-79 (column-major runs: 60 columns and 50 rows of zeros,
# then 30 ones and 50 zeros per column, the last column's ones followed by 20 empty columns)
_ROAD = [60 * 80 + 50, *[n for k in range(20) for n in (30, 50 if k < 19 else 20 * 80)]]


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def test_stats_report_in_a_browser(browser: Any, capsys: pytest.CaptureFixture[str]) -> None:
    shot = _open(browser, af.stats(A, by="label").to_html(), "stats-batch-a", capsys)
    assert shot.stat().st_size > 10_000
    views = browser.find_elements(By.CSS_SELECTOR, "svg.item-view")
    assert [v.get_attribute("data-item") for v in views] == ["1", "2", "3"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.item-view image.media")) == 3
    overlays = browser.find_elements(By.CSS_SELECTOR, "svg.item-view .ann.reference")
    assert sorted(o.get_attribute("data-label") for o in overlays) == [
        "bike", "car", "car", "car", "person", "person"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")) > 12
    # drawn where the annotation is: a1's first car is the box (10, 10, 40, 20) of a 100 x 80
    # image shown 360 px wide (3.6 screen px per image px); the sun of a1 is yellow
    first = views[0]
    assert (first.size["width"], first.size["height"]) == (362, 290)  # and a 1 px border
    png = first.screenshot_as_png
    assert _color_near(png, round(30 * 3.6), round(10 * 3.6), _rgb(REFERENCE))
    assert _color_near(png, round(80 * 3.6), round(15 * 3.6), (250, 230, 90))
    rect = browser.find_element(By.CSS_SELECTOR, 'svg.item-view rect.ann[data-id="1"]')
    assert (rect.size["width"], rect.size["height"]) == pytest.approx((144, 72), abs=4)


def test_reference_and_candidate_overlay_in_a_browser(
        browser: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # what `compare --output html` draws: both sides over the image, a conflict highlighted
    media = Image(path="a1.png", width=100, height=80)
    ref = Item(id="a1", media=media, annotations=[
        BBox(label="car", id=1, x=10, y=10, w=40, h=20),
        BBox(label="person", id=3, x=5, y=30, w=10, h=30),
        Mask(label="road", id=4, counts=_ROAD, height=80, width=100)])
    cand = Item(id="a1", media=media, annotations=[
        BBox(label="car", id="c1", x=12, y=12, w=40, h=20),
        BBox(label="truck", id="c3", x=5, y=30, w=10, h=30)])
    page = Page("reference and candidate")
    page.figure(draw_item(ref, image=A1, candidate=cand, highlight_reference={3},
                          highlight_candidate={"c3"}, display_width=500), "a1.png")
    _open(browser, page.render(), "compare-overlay", capsys)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".ann.reference")) == 3
    assert len(browser.find_elements(By.CSS_SELECTOR, ".ann.candidate")) == 2
    assert len(browser.find_elements(By.CSS_SELECTOR, ".ann.highlight")) == 2
    view = browser.find_element(By.CSS_SELECTOR, "svg.item-view")
    png = view.screenshot_as_png
    scale = 5.0  # 500 px for 100 image px
    assert _color_near(png, round(30 * scale), round(10 * scale), _rgb(REFERENCE))
    assert _color_near(png, round(32 * scale), round(12 * scale), _rgb(CANDIDATE))
    assert _color_near(png, round(5 * scale), round(45 * scale), _rgb(HIGHLIGHT))
    mask = browser.find_element(By.CSS_SELECTOR, '.ann[data-type="mask"] image')
    assert (mask.size["width"], mask.size["height"]) == (500, 400)


def test_compare_report_in_a_browser(browser: Any, capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    # `compare --output html` of batch-a against a perturbed copy (tests/test_compare_html.py)
    from test_compare_html import perturbed

    html = af.compare(A, perturbed(tmp_path)).to_html()
    shot = _open(browser, html, "compare-batch-a", capsys)
    assert shot.stat().st_size > 10_000
    views = browser.find_elements(By.CSS_SELECTOR, "svg.item-view")
    assert [v.get_attribute("data-item") for v in views] == ["2", "1", "3"]  # worst first
    assert all(v.is_displayed() for v in views)
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.item-view image.media")) == 3
    shown = browser.find_elements(By.CSS_SELECTOR, "svg.item-view .ann")
    assert len(shown) == 12 and all(o.is_displayed() for o in shown)
    marked = browser.find_elements(By.CSS_SELECTOR, "svg.item-view .ann.highlight")
    assert [(o.get_attribute("class"), o.get_attribute("data-id")) for o in marked] == [
        ("ann reference highlight", "4"), ("ann reference highlight", "5"),
        ("ann candidate highlight", "4"), ("ann reference highlight", "1"),
        ("ann reference highlight", "3"), ("ann candidate highlight", "1"),
        ("ann candidate highlight", "3"), ("ann candidate highlight", "7")]
    bars = browser.find_elements(By.CSS_SELECTOR, "svg.metrics rect.bar")
    assert [browser.execute_script("return getComputedStyle(arguments[0]).fill", b)
            for b in bars[:3]] == ["rgb(76, 120, 168)", "rgb(245, 133, 24)", "rgb(84, 162, 75)"]
    assert len(bars) == 9 and all(b.is_displayed() for b in bars[:3])
    # a2's missing car #4 (0, 0, 32, 16) has a red right edge; its moved candidate
    # (60, 50, 32, 16) a red top; a1's matched car #2 (50, 40, 20, 10) stays blue
    scale = 3.6  # 360 screen px for 100 image px
    png = views[0].screenshot_as_png
    assert _color_near(png, round(32 * scale), round(8 * scale), _rgb(HIGHLIGHT))
    assert _color_near(png, round(76 * scale), round(50 * scale), _rgb(HIGHLIGHT))
    png = views[1].screenshot_as_png
    assert _color_near(png, round(50 * scale), round(45 * scale), _rgb(REFERENCE))
    assert not _color_near(png, round(50 * scale), round(45 * scale), _rgb(HIGHLIGHT))
    car = browser.find_element(By.CSS_SELECTOR, 'svg.item-view[data-item="2"] '
                                                'rect.ann.reference[data-id="4"]')
    assert (car.size["width"], car.size["height"]) == pytest.approx((115, 58), abs=4)
