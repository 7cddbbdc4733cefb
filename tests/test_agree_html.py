"""``agree --output html``: one self-contained page, checked as text and in a real browser
(the browser fixture of test_html_browser: Debian's chromium through selenium)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By

import annoformat as af
from annoformat.cli import main
from annoformat.quality.agree_text import render_html
from test_html_browser import _open, browser  # noqa: F401  (the fixture, shared)

from conftest import FIXTURES

ONE = FIXTURES / "_agree" / "one-file.jsonl"


def test_page_is_self_contained_and_shows_the_review(tmp_path: Path) -> None:
    out = tmp_path / "agree.html"
    result = CliRunner().invoke(main, ["agree", str(ONE), "--output", "html", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    assert html.count('class="item-view"') == 3  # the three review items
    # i2: ann's car (id 1, solid) and bob's truck (id 2, dashed) disagree: both highlighted;
    # i1: the person ann and bob drew and cat did not
    assert re.findall(r'class="ann (\w+) highlight"[^>]*data-label="(\w+)"[^>]*data-id="(\d+)"',
                      html) == [("reference", "car", "1"), ("candidate", "truck", "2"),
                                ("reference", "person", "2"), ("candidate", "person", "4")]
    assert "overall: 0.3889" in html
    # a tag has no place in the image: the caption says who tagged what
    assert "i3.jpg: ann (solid) vs bob (dashed), agreement 0.3333; tag: ann=day, bob=day, " \
        "cat=night" in html


def test_page_in_a_browser(browser: Any, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    html = render_html(af.agreement(ONE))
    shot = _open(browser, html, "agree-one-file", capsys)
    assert shot.stat().st_size > 5_000
    views = browser.find_elements(By.CSS_SELECTOR, "svg.item-view")
    assert [v.get_attribute("data-item") for v in views] == ["i2", "i3", "i1"]
    marked = browser.find_elements(By.CSS_SELECTOR, "svg.item-view .ann.highlight")
    assert sorted(m.get_attribute("data-label") for m in marked) == [
        "car", "person", "person", "truck"]
    cells = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "table td")]
    assert "0.750" in cells and "0.286" in cells
