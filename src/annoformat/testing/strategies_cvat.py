"""Hypothesis strategies for what CVAT XML holds, in the form its reader produces.

* :func:`cvat_image_datasets`: images-flavour content: every shape CVAT has (one-ring polygons,
  rotated boxes, ellipses, image-sized masks, tags, skeletons), typed attribute values that
  satisfy their label's specs, ``group`` / ``z_order`` / ``occluded`` / ``track_id``, subsets,
  ``origin`` with the ``source`` it is read from (shapes and tracks).
* :func:`cvat_video_datasets`: video frames ``start, start + step, ...`` whose annotations all
  belong to tracks (one label and one group per track).

Coordinates are multiples of 1/4, so ``xbr = x + w`` and back is exact.

Example:
    >>> strategy = cvat_image_datasets()
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from annoformat import masks
from annoformat.model import (
    AttributeSpec,
    BBox,
    Dataset,
    Ellipse,
    Image,
    Item,
    Keypoints,
    Label,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBBox,
    Tag,
    VideoFrame,
)

_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_- éü猫", min_size=1, max_size=10).filter(
    lambda s: s.strip() == s)
_TEXT = st.text(alphabet="abcxyz0123456789 -_.,;/'\"<>&é猫\n\t", max_size=8)
_SPECS = [
    AttributeSpec(name="flag", input_type="checkbox", values=["false"], default=False,
                  mutable=True),
    AttributeSpec(name="count", input_type="number", values=["0", "100", "1"], default=0),
    AttributeSpec(name="note", input_type="text"),
    AttributeSpec(name="kind", input_type="select", values=["a", "b", "c d"], default="a"),
    AttributeSpec(name="side", input_type="radio", values=["left", "right"]),
]
_KEYPOINTS = ["wrist", "thumb", "index"]
_SHAPES = ("bbox", "rotated_bbox", "polygon", "polyline", "points", "ellipse", "mask", "tag",
           "keypoints")


def _q(draw: Any, high: float, low: float = 0) -> float:
    value: float = draw(st.integers(int(low * 4), int(high * 4)).map(lambda v: v / 4))
    return value


def _flat(draw: Any, n: int, w: int, h: int) -> list[float]:
    return [v for _ in range(n) for v in (_q(draw, w), _q(draw, h))]


def _value(draw: Any, spec: AttributeSpec) -> Any:
    if spec.input_type == "checkbox":
        return draw(st.booleans())
    if spec.input_type == "number":
        return draw(st.integers(0, 100))
    if spec.input_type == "text":
        return draw(_TEXT)
    return draw(st.sampled_from(spec.values))


@st.composite
def _labels(draw: Any, skeleton: bool) -> list[Label]:
    taken = (*_KEYPOINTS, "hand")  # "hand" is the skeleton's own name
    names = draw(st.lists(_NAME.filter(lambda n: n not in taken), min_size=1, max_size=3,
                          unique=True))
    labels = [Label(name=n, attributes=draw(st.lists(st.sampled_from(_SPECS), max_size=3,
                                                     unique_by=lambda s: s.name)))
              for n in names]
    if skeleton and draw(st.booleans()):
        labels.append(Label(name="hand", keypoints=list(_KEYPOINTS), skeleton=[(0, 1), (1, 2)],
                            attributes=[_SPECS[0]]))
    return labels


def _common(draw: Any, label: Label, track: bool) -> dict[str, Any]:
    specs = draw(st.lists(st.sampled_from(label.attributes), unique_by=lambda s: s.name)
                 ) if label.attributes else []
    out: dict[str, Any] = {
        "label": label.name,
        "attributes": {s.name: _value(draw, s) for s in specs},
        "z_order": draw(st.none() | st.integers(-3, 3)),
        "occluded": draw(st.none() | st.booleans()),
    }
    if not track:
        out["group"] = draw(st.none() | st.integers(0, 5))
        out["track_id"] = draw(st.none() | st.integers(0, 50))
        out.update(draw(_PROVENANCE))
    return out


#: an annotation's origin with the ``source`` it is read from when that is not the origin's own
#: (manual, auto, file), which the reader does not keep
_PROVENANCE = st.sampled_from([
    {"origin": "human", "extras": {}},
    {"origin": "model", "extras": {}},
    {"origin": "unknown", "extras": {}},
    {"origin": "unknown", "extras": {"cvat": {"source": None}}},
    {"origin": "human", "extras": {"cvat": {"source": "semi-auto"}}},
    {"origin": "human", "extras": {"cvat": {"source": "consensus"}}},
])


def _shape(draw: Any, kind: str, label: Label, common: dict[str, Any], w: int, h: int) -> Any:
    if kind == "keypoints":
        vis = draw(st.lists(st.sampled_from([0, 1, 2]), min_size=3, max_size=3))
        return Keypoints(**common, points=_flat(draw, 3, w, h), visibility=vis)
    if kind == "bbox":
        x, y = _q(draw, w - 1), _q(draw, h - 1)
        return BBox(**common, x=x, y=y, w=_q(draw, w - x, 0.25), h=_q(draw, h - y, 0.25))
    if kind == "rotated_bbox":
        turn = draw(st.sampled_from([-45.5, 30.0, 90.25]))
        return RotatedBBox(**common, x=_q(draw, w), y=_q(draw, h), w=_q(draw, w, 0.25),
                           h=_q(draw, h, 0.25), rotation=turn)
    if kind == "polygon":
        return Polygon(**common, rings=[_flat(draw, draw(st.integers(3, 6)), w, h)])
    if kind == "polyline":
        return Polyline(**common, points=_flat(draw, draw(st.integers(2, 5)), w, h))
    if kind == "points":
        return Points(**common, points=_flat(draw, draw(st.integers(1, 4)), w, h))
    if kind == "ellipse":
        return Ellipse(**common, cx=_q(draw, w), cy=_q(draw, h), rx=_q(draw, w, 0.25),
                       ry=_q(draw, h, 0.25), rotation=draw(st.sampled_from([0.0, 12.5])))
    if kind == "mask":
        bits = draw(st.lists(st.booleans(), min_size=w * h, max_size=w * h).filter(any))
        arr = np.array(bits, dtype=np.uint8).reshape((h, w))
        return Mask(**common, counts=masks.encode(arr), height=h, width=w)
    common.update(z_order=None, occluded=None)
    return Tag(**common)


@st.composite
def cvat_image_datasets(draw: Any, max_items: int = 4) -> Dataset:
    """Images-flavour datasets CVAT holds losslessly."""
    labels = draw(_labels(skeleton=True))
    plain = [lb for lb in labels if not lb.keypoints]
    skeletons = [lb for lb in labels if lb.keypoints]
    ids = draw(st.lists(st.integers(0, 10**6), max_size=max_items, unique=True))
    items = []
    for iid in ids:
        w, h = draw(st.integers(1, 10)), draw(st.integers(1, 10))
        anns = []
        for _ in range(draw(st.integers(0, 5))):
            kind = draw(st.sampled_from(_SHAPES))
            if kind == "keypoints" and not skeletons:
                kind = "bbox"
            label = skeletons[0] if kind == "keypoints" else draw(st.sampled_from(plain))
            anns.append(_shape(draw, kind, label, _common(draw, label, False), w, h))
        items.append(Item(id=str(iid), subset=draw(st.sampled_from([None, "train", "val"])),
                          media=Image(path=f"img_{iid}.jpg", width=w, height=h),
                          annotations=anns))
    return Dataset(labels=labels, items=items)


@st.composite
def cvat_video_datasets(draw: Any, max_tracks: int = 4) -> Dataset:
    """Video-flavour datasets: frames ``start..`` by ``step``, every annotation in a track."""
    labels = draw(_labels(skeleton=False))
    start, step = draw(st.integers(0, 20)), draw(st.integers(1, 3))
    n = draw(st.integers(1, 6))
    frames = [start + k * step for k in range(n)]
    w, h = 16, 12
    items = [Item(id=str(f), media=VideoFrame(path="clip.mp4", frame=f, width=w, height=h))
             for f in frames]
    for tid in range(draw(st.integers(0, max_tracks))):
        label = draw(st.sampled_from(labels))
        kind = draw(st.sampled_from(("bbox", "polygon", "points", "ellipse", "polyline")))
        group = draw(st.none() | st.integers(1, 3))
        made = draw(_PROVENANCE)  # a track's source is the track's, for every frame
        for k in sorted(draw(st.sets(st.integers(0, n - 1), min_size=1))):
            common = _common(draw, label, True)
            common.update(group=group, track_id=tid, origin=made["origin"],
                          extras={k: dict(v) for k, v in made["extras"].items()})
            items[k].annotations.append(_shape(draw, kind, label, common, w, h))
    return Dataset(labels=labels, items=items)
