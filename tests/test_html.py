"""The HTML report builder: self-contained pages, escaped input, every shape drawn exactly."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from PIL import Image as PILImage

from annoformat.model import (
    BBox,
    Ellipse,
    Image,
    Item,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBBox,
    Span,
    Tag,
)
from annoformat.quality.html import Page, draw_item, image_data_uri

from conftest import FIXTURES

A1 = FIXTURES / "_stats" / "batch-a" / "images" / "a1.png"
_HOSTILE = '<script>alert("x")</script>&"'


def test_a_page_is_self_contained_and_escapes_input() -> None:
    page = Page(_HOSTILE)
    page.heading(_HOSTILE)
    page.paragraph(_HOSTILE)
    page.table(["a", "b"], [[_HOSTILE, None]], numeric={1})
    page.bar_chart(_HOSTILE, {_HOSTILE: 2, "b": 1})
    page.histogram(_HOSTILE, {_HOSTILE: 0, "b": 4})
    item = Item(id=_HOSTILE, media=Image(path="x.png", width=10, height=10),
                annotations=[BBox(label=_HOSTILE, id=_HOSTILE, x=1, y=1, w=2, h=2)])
    page.figure(draw_item(item), _HOSTILE)
    html = page.render()
    assert "<script" not in html and "alert(&quot;x&quot;)" in html
    assert 'http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:' \
        in html
    # nothing is fetched: the only URL is the SVG namespace, every image a data: URI
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"]
    assert re.findall(r'\b(?:src|href)="(?!data:)', html) == []
    assert '<td class="n"></td>' in html  # None is an empty cell


def test_bar_chart_and_histogram_scale_to_the_largest_value() -> None:
    page = Page("t")
    page.bar_chart("labels", {"car": 4, "bike": 1}, width=560)
    chart = page.render()
    # left margin 12 + 7 * len("bike") = 40; span 560 - 40 - 60 = 460
    assert re.findall(r'class="bar" x="40" y="\d+" width="([\d.]+)"', chart) == ["460", "115"]
    page = Page("t")
    page.histogram("sizes", {"[0, 2)": 0, "[2, 4)": 3, "[4, 8)": 6}, width=320)
    bars = re.findall(r'class="bar" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"',
                      page.render())
    assert bars == [("160", "0"), ("95", "65"), ("30", "130")]


def _item(**media: int) -> Item:
    return Item(id="7", media=Image(path="a1.png", **media), annotations=[
        BBox(label="car", id=1, x=10, y=10, w=40, h=20),
        Polygon(label="road", id=2, rings=[[0, 50, 100, 50, 100, 80], [1, 2, 3, 4, 5, 6]]),
        RotatedBBox(label="sign", id=3, x=60, y=10, w=10, h=20, rotation=90),
        Polyline(label="lane", id=4, points=[0, 70, 50, 60.126]),
        Ellipse(label="sun", id=5, cx=80, cy=15, rx=10, ry=5, rotation=30),
        Points(label="p", id=6, points=[1, 1, 2, 2], visibility=[2, 0]),
        Keypoints(label="k", id=7, points=[3, 3, 4, 4], visibility=[1, 1]),
        Mask(label="blob", id=8, counts=[10, 5, 7985], height=80, width=100),
        Tag(label="day"), Span(label="x", start=0, end=1)])


def test_draw_item_draws_every_region_exactly() -> None:
    svg = draw_item(_item(width=100, height=80), display_width=200)
    assert svg.startswith('<svg class="item-view" xmlns="http://www.w3.org/2000/svg" '
                          'width="200" height="160" viewBox="0 0 100 80" data-item="7">')
    assert '<rect class="media missing" x="0" y="0" width="100" height="80"' in svg
    assert re.findall(r'class="ann reference" [^>]*data-type="(\w+)"', svg) == [
        "bbox", "polygon", "rotated_bbox", "polyline", "ellipse", "points", "keypoints", "mask"]
    assert 'data-label="car" data-type="bbox" data-id="1" x="10" y="10" width="40" height="20">'\
        in svg
    assert 'd="M0 50 L100 50 L100 80 Z M1 2 L3 4 L5 6 Z"' in svg
    # 10 x 20 about (65, 20), turned a quarter clockwise: 20 x 10, exact corners
    assert 'd="M75 15 L75 25 L55 25 L55 15 Z"' in svg
    assert 'points="0,70 50,60.13"' in svg
    assert 'cx="80" cy="15" rx="10" ry="5" transform="rotate(30 80 15)"' in svg
    assert svg.count("<circle") == 3  # the absent point is not drawn
    assert svg.count('href="data:image/png;base64,') == 1  # the mask, as a translucent PNG
    assert "day" not in svg  # a tag has no place in the image
    # text keeps its size on screen: 11 px at 2 image pixels per screen pixel... 0.5 here
    assert 'font-size="5.5"' in svg


def test_draw_item_reference_candidate_and_highlights() -> None:
    ref = Item(id="1", media=Image(path="a1.png", width=100, height=80), annotations=[
        BBox(label="car", id=1, x=10, y=10, w=40, h=20),
        BBox(label="car", id=2, x=50, y=40, w=20, h=10)])
    cand = Item(id="1", media=Image(path="a1.png", width=100, height=80), annotations=[
        BBox(label="car", id="c1", x=12, y=10, w=40, h=20),
        BBox(label="truck", id="c2", x=50, y=40, w=20, h=10)])
    svg = draw_item(ref, image=A1, candidate=cand, highlight_reference={2},
                    highlight_candidate={"c2"})
    classes = re.findall(r'class="(ann [a-z ]+)"', svg)
    assert classes == ["ann reference", "ann reference highlight", "ann candidate",
                       "ann candidate highlight"]
    assert svg.count('stroke="#d62728"') == 2
    png = re.search(r'class="media" [^>]*href="data:image/png;base64,([^"]+)"', svg)
    assert png is not None and base64.b64decode(png.group(1)) == A1.read_bytes()


def test_image_data_uri_scales_large_images_and_refuses_broken_ones(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    PILImage.new("L", (2000, 1000), 200).save(big)
    found = image_data_uri(big, max_side=1024)
    assert found is not None
    uri, width, height = found
    assert (width, height) == (2000, 1000) and uri.startswith("data:image/jpeg;base64,")
    with PILImage.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as im:
        assert im.size == (1024, 512)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert image_data_uri(broken) is None
    assert image_data_uri(tmp_path / "absent.png") is None
    # an item without a size takes the image's
    svg = draw_item(Item(id="1", media=Image(path="big.png")), image=big)
    assert 'viewBox="0 0 2000 1000"' in svg
