"""Hypothesis strategies for YOLO: IR datasets in the canonical form the YOLO reader produces.

``yolo_datasets(task)`` draws what one YOLO task holds: item ids equal to the image stem, every
annotation's ``id`` its row number (a pose box and its keypoints share it), labels without ids.
``integer_pixels=True`` draws boxes and points on whole pixels (the exact-inverse property).

Example:
    >>> strategy = yolo_datasets("detect")
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from annoformat.formats.yolo import rotated_to_corners
from annoformat.model import BBox, Dataset, Image, Item, Keypoints, Label, Polygon, RotatedBBox

KEYPOINTS = 3
_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-éü猫", min_size=1, max_size=10)


def _coord(draw: Any, side: int, integer: bool) -> float:
    if integer:
        return float(draw(st.integers(0, side)))
    value: float = draw(st.floats(0, side, allow_nan=False, allow_infinity=False))
    return value


def _box(draw: Any, w: int, h: int, integer: bool) -> tuple[float, float, float, float]:
    x1, x2 = sorted((_coord(draw, w, integer), _coord(draw, w, integer)))
    y1, y2 = sorted((_coord(draw, h, integer), _coord(draw, h, integer)))
    if x2 - x1 < 1 or y2 - y1 < 1:  # boxes under a pixel are noise at 6 decimals
        x1, y1, x2, y2 = 0.0, 0.0, float(w), float(h)
    return x1, y1, x2 - x1, y2 - y1


@st.composite
def _annotations(draw: Any, task: str, w: int, h: int, names: list[str], integer: bool,
                 scores: bool) -> list[Any]:
    out: list[Any] = []
    for row in range(1, draw(st.integers(0, 4)) + 1):
        common: dict[str, Any] = {"label": draw(st.sampled_from(names)), "id": row}
        if scores:
            common["score"] = draw(st.none() | st.floats(0, 1))
            if common["score"] is not None:  # a confidence column: a model's row
                common["origin"] = "model"
        if task == "detect":
            x, y, bw, bh = _box(draw, w, h, integer)
            out.append(BBox(**common, x=x, y=y, w=bw, h=bh))
        elif task == "segment":
            n = draw(st.integers(3, 6))
            ring = [v for _ in range(n) for v in (_coord(draw, w, integer),
                                                  _coord(draw, h, integer))]
            out.append(Polygon(**common, rings=[ring]))
        elif task == "obb":
            out.append(draw(_rotated(w, h, common, integer)))
        else:
            x, y, bw, bh = _box(draw, w, h, integer)
            vis = draw(st.lists(st.sampled_from([0, 1, 2]), min_size=KEYPOINTS,
                                max_size=KEYPOINTS))
            points = [v for k in vis for v in ((_coord(draw, w, integer),
                                                _coord(draw, h, integer)) if k else (0.0, 0.0))]
            out.append(BBox(**common, x=x, y=y, w=bw, h=bh))
            if any(vis):  # a row's score belongs to its box and its keypoints
                out.append(Keypoints(**common, points=points, visibility=vis))
    return out


@st.composite
def _rotated(draw: Any, w: int, h: int, common: dict[str, Any], integer: bool) -> RotatedBBox:
    if integer:  # right angles keep integer corners integer
        rotation = float(draw(st.sampled_from([0, 90, 180, 270])))
    else:
        rotation = draw(st.floats(0, 360, exclude_max=True))
    rw = float(draw(st.integers(1, max(1, w // 2)))) if integer else draw(st.floats(1, w / 2))
    rh = float(draw(st.integers(1, max(1, h // 2)))) if integer else draw(st.floats(1, h / 2))
    reach = math.hypot(rw, rh) / 2 + 1
    cx = draw(st.floats(min(reach, w / 2), max(w - reach, w / 2)))
    cy = draw(st.floats(min(reach, h / 2), max(h - reach, h / 2)))
    if integer:
        cx, cy = round(cx) + (rw % 2) / 2, round(cy) + (rh % 2) / 2
        if rotation in (90.0, 270.0):  # the turned box must still have integer corners
            cx, cy = round(cx) + (rh % 2) / 2, round(cy) + (rw % 2) / 2
    box = RotatedBBox(**common, x=cx - rw / 2, y=cy - rh / 2, w=rw, h=rh, rotation=rotation)
    corners = rotated_to_corners(box.x, box.y, box.w, box.h, box.rotation)
    if not all(0 <= v <= (w if i % 2 == 0 else h) for i, v in enumerate(corners)):
        return RotatedBBox(**common, x=0.0, y=0.0, w=float(w), h=float(h), rotation=0.0)
    return box


@st.composite
def yolo_datasets(draw: Any, task: str, integer_pixels: bool = False,
                  scores: bool = True) -> Dataset:
    """A Dataset one YOLO ``task`` (detect, segment, obb, pose) holds, in reader form."""
    names = draw(st.lists(_NAME, min_size=1, max_size=4, unique=True))
    labels = [Label(name=n) for n in names]
    subsets = draw(st.sampled_from([[None], ["train"], ["train", "val"]]))
    stems = draw(st.lists(st.integers(0, 10**6), max_size=5, unique=True))
    items = []
    max_side = 4000 if not integer_pixels else 100_000
    for stem in sorted(stems, key=str):
        smallest = 8 if task == "obb" else 1
        w = draw(st.integers(smallest, max_side))
        h = draw(st.integers(smallest, max_side))
        anns = draw(_annotations(task, w, h, names, integer_pixels, scores))
        items.append(Item(id=f"img{stem}", subset=draw(st.sampled_from(subsets)),
                          media=Image(path=f"img{stem}.jpg", width=w, height=h),
                          annotations=anns))
    items.sort(key=lambda i: (0 if i.subset in (None, "train") else 1, i.id))
    extras: dict[str, Any] = {"layout": "ultralytics"}
    if task == "pose":
        extras["kpt_shape"] = [KEYPOINTS, 3]
    if task == "obb":
        extras["task"] = "obb"
    if any(a.score is not None for item in items for a in item.annotations):
        extras["scores"] = True  # as the reader marks a predictions file
    return Dataset(labels=labels, items=items, extras={"yolo": extras})
