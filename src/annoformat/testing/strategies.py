"""Hypothesis strategies for the IR, shaped by what a format can hold.

``datasets(CAPABILITIES)`` draws only content a format with those capabilities holds, in the
canonical form its writer produces (COCO: ``area``, ``crowd`` and the enclosing ``bbox`` set), so
that IR -> format -> IR can be asserted to be the identity.

Example:
    >>> from annoformat.formats.coco import CAPABILITIES
    >>> strategy = datasets(CAPABILITIES)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume as hyp_assume
from hypothesis import strategies as st

from annoformat import masks
from annoformat.model import BBox, Dataset, Image, Item, Keypoints, Label, Mask, Polygon
from annoformat.spec import Capabilities

_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_- éü猫", min_size=1, max_size=12).filter(
    lambda s: s.strip() == s)
#: attribute names the COCO reader maps to IR fields are avoided: they are not attributes there
_RESERVED = {"occluded", "z_order", "track_id"}
_ATTR_VALUE = st.one_of(st.booleans(), st.integers(-1000, 1000), _NAME)
_COORD = st.integers(0, 100_000).map(lambda v: v / 100)


def _in_image(draw: Any, size: int) -> float:
    value: float = draw(st.integers(0, size * 4).map(lambda v: v / 4))
    return value


@st.composite
def _bbox(draw: Any, w: int, h: int, common: dict[str, Any]) -> BBox:
    x, y = _in_image(draw, w - 1), _in_image(draw, h - 1)
    bw = draw(st.integers(1, max(1, int((w - x) * 4)))) / 4
    bh = draw(st.integers(1, max(1, int((h - y) * 4)))) / 4
    return BBox(**common, x=x, y=y, w=bw, h=bh, area=bw * bh)


@st.composite
def _polygon(draw: Any, w: int, h: int, common: dict[str, Any]) -> Polygon:
    rings = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(3, 8))
        rings.append([v for _ in range(n) for v in (_in_image(draw, w), _in_image(draw, h))])
    xs = [v for r in rings for v in r[0::2]]
    ys = [v for r in rings for v in r[1::2]]
    box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    # a polygon with a 0-wide box is degenerate, which readers rightly flag (AF302)
    hyp_assume(box[2] > 0 and box[3] > 0)
    return Polygon(**common, rings=rings, bbox=box, area=draw(_COORD))


@st.composite
def _mask(draw: Any, w: int, h: int, common: dict[str, Any]) -> Mask:
    # an empty mask has a 0x0 box, which COCO readers rightly flag (AF302)
    bits = draw(st.lists(st.booleans(), min_size=w * h, max_size=w * h).filter(any))
    arr = np.array(bits, dtype=np.uint8).reshape((h, w))
    counts = masks.encode(arr)
    box = masks.to_bbox(counts, h, w)
    return Mask(**common, counts=counts, height=h, width=w, bbox=box,
                area=float(masks.area(counts, h, w)))


@st.composite
def _keypoints(draw: Any, w: int, h: int, common: dict[str, Any], count: int) -> Keypoints:
    vis = draw(st.lists(st.sampled_from([0, 1, 2]), min_size=count, max_size=count))
    points = [v for k in vis for v in ((_in_image(draw, w), _in_image(draw, h)) if k else (0, 0))]
    return Keypoints(**common, points=points, visibility=vis,
                     bbox=(0.0, 0.0, float(w), float(h)), area=draw(_COORD))


@st.composite
def datasets(draw: Any, caps: Capabilities, max_items: int = 5) -> Dataset:
    """A Dataset holding only what ``caps`` allows, with unique item and annotation ids."""
    names = draw(st.lists(_NAME, min_size=1, max_size=4, unique=True))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=len(names), max_size=len(names),
                        unique=True))
    keypointed = "keypoints" in caps.annotation_types and draw(st.booleans())
    labels = []
    for i, (name, lid) in enumerate(zip(names, ids, strict=True)):
        kp = [f"k{j}" for j in range(3)] if keypointed and i == 0 else []
        labels.append(Label(
            name=name, id=lid if "label_ids" in caps.metadata else None,
            parent=draw(st.none() | _NAME) if "label_parents" in caps.metadata else None,
            keypoints=kp if "keypoint_names" in caps.metadata else [],
            skeleton=[(0, 1), (1, 2)] if kp and "keypoint_names" in caps.metadata else [],
        ))
    types = sorted(caps.annotation_types & {"bbox", "polygon", "mask", "keypoints"})
    item_ids = draw(st.lists(st.integers(0, 10**9), max_size=max_items, unique=True))
    next_ann = iter(range(1, 10**6))
    items = []
    for item_id in item_ids:
        w, h = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        anns: list[Any] = []
        for _ in range(draw(st.integers(0, 4)) if types else 0):
            kind = draw(st.sampled_from(types))
            label = draw(st.sampled_from(labels))
            if kind == "keypoints" and not label.keypoints:
                kind = "bbox" if "bbox" in types else kind
            common = _common(draw, caps, label.name, next(next_ann))
            if kind == "bbox":
                anns.append(draw(_bbox(w, h, common)))
            elif kind == "polygon":
                anns.append(draw(_polygon(w, h, common)))
            elif kind == "mask":
                anns.append(draw(_mask(w, h, common)))
            elif kind == "keypoints" and label.keypoints:
                anns.append(draw(_keypoints(w, h, common, len(label.keypoints))))
        items.append(Item(id=str(item_id), media=Image(path=f"img_{item_id}.jpg", width=w,
                                                       height=h), annotations=anns))
    info = draw(st.dictionaries(_NAME, _ATTR_VALUE, max_size=2)) if "info" in caps.metadata else {}
    return Dataset(labels=labels, items=items, info=info)


def _common(draw: Any, caps: Capabilities, label: str, ann_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {"label": label}
    f = caps.fields
    if "id" in f:
        out["id"] = ann_id
    if "crowd" in f:
        out["crowd"] = draw(st.booleans())
    if "score" in f:
        out["score"] = draw(st.none() | st.floats(0, 1))
    if "attributes" in f:
        out["attributes"] = draw(st.dictionaries(_NAME.filter(lambda s: s not in _RESERVED),
                                                 _ATTR_VALUE, max_size=2))
    for name, strategy in (("occluded", st.booleans()), ("z_order", st.integers(-5, 5)),
                           ("track_id", st.integers(0, 100)), ("annotator", _NAME)):
        if name in f:
            out[name] = draw(st.none() | strategy)
    if "origin" in f:
        out["origin"] = draw(st.sampled_from(["human", "model", "unknown"]))
    return out
