"""``box`` and ``pixel_area`` on every annotation that has a place in the image."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from annoformat import masks
from annoformat.model import (
    REGION_TYPES,
    BBox,
    Ellipse,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBBox,
)

coord = st.integers(-10_000, 10_000).map(float)
size = st.integers(1, 5_000).map(float)


def test_each_region_type_has_box_and_pixel_area() -> None:
    examples = [
        (BBox(x=1, y=2, w=3, h=4), (1.0, 2.0, 3.0, 4.0), 12.0),
        (RotatedBBox(x=0, y=0, w=4, h=2, rotation=90), (1.0, -1.0, 2.0, 4.0), 8.0),
        (Polygon(rings=[[0, 0, 4, 0, 4, 3], [10, 10, 12, 10, 12, 12, 10, 12]]),
         (0.0, 0.0, 12.0, 12.0), 10.0),
        (Polyline(points=[1, 1, 5, 3]), (1.0, 1.0, 4.0, 2.0), 0.0),
        (Points(points=[1, 1, 5, 3, 9, 9], visibility=[2, 1, 0]), (1.0, 1.0, 4.0, 2.0), 0.0),
        (Keypoints(points=[0, 0, 2, 6, 3, 1], visibility=[0, 2, 1]), (2.0, 1.0, 1.0, 5.0),
         0.0),
        (Ellipse(cx=5, cy=5, rx=2, ry=1, rotation=90), (4.0, 3.0, 2.0, 4.0), 2 * math.pi),
    ]
    assert {type(a) for a, _, _ in examples} | {Mask} == set(REGION_TYPES)
    for ann, box, area in examples:
        assert (ann.box, ann.pixel_area) == (box, area), ann.type


def test_a_mask_box_and_area_are_its_pixels() -> None:
    grid = np.zeros((6, 8), dtype=np.uint8)
    grid[1:4, 2:7] = 1  # 3 rows x 5 columns
    grid[5, 0] = 1
    for counts in (masks.encode(grid), _uncompressed(grid)):
        mask = Mask(counts=counts, height=6, width=8)
        assert mask.box == (0.0, 1.0, 7.0, 5.0) and mask.pixel_area == 16.0


def _uncompressed(grid: np.ndarray) -> list[int]:
    runs, current, n = [], 0, 0
    for v in grid.flatten(order="F"):
        if v != current:
            runs.append(n)
            current, n = v, 0
        n += 1
    return [*runs, n]


@given(st.lists(st.tuples(coord, coord), min_size=3, max_size=12))
def test_a_polygon_box_is_the_tightest_around_its_points(pts: list[tuple[float, float]]) -> None:
    poly = Polygon(rings=[[v for p in pts for v in p]])
    x, y, w, h = poly.box
    assert (x, y) == (min(p[0] for p in pts), min(p[1] for p in pts))
    assert (x + w, y + h) == (max(p[0] for p in pts), max(p[1] for p in pts))


@given(coord, coord, size, size, st.sampled_from([0, 90, 180, 270, 360, -90]))
def test_quarter_turns_are_exact(x: float, y: float, w: float, h: float, turn: int) -> None:
    box = RotatedBBox(x=x, y=y, w=w, h=h, rotation=turn).box
    cx, cy = x + w / 2, y + h / 2
    ww, hh = (w, h) if turn % 180 == 0 else (h, w)
    assert box == (cx - ww / 2, cy - hh / 2, ww, hh)


@given(coord, coord, size, size, st.floats(0, 360))
def test_a_rotated_box_contains_its_corners_and_keeps_its_area(
        x: float, y: float, w: float, h: float, turn: float) -> None:
    rb = RotatedBBox(x=x, y=y, w=w, h=h, rotation=turn)
    bx, by, bw, bh = rb.box
    corners = rb.corners
    assert math.isclose(bx, min(corners[0::2])) and math.isclose(by + bh, max(corners[1::2]))
    assert rb.pixel_area == w * h
    assert bw * bh >= w * h * (1 - 1e-9)  # no axis-aligned box is smaller than the shape
