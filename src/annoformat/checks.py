"""Semantic rules over the IR (DESIGN.md validation layer 3).

Each check looks at one object and returns findings with a path *relative to that object*; the
walker (:func:`check_dataset`) or a reader prefixes the object's own location. So checks stay
small and every format reuses them with its own pointers (jsonschema's composition).

Example:
    >>> from annoformat.model import BBox
    >>> [f.code for f in check_annotation(BBox(label="a", x=-5, y=0, w=10, h=10), 100, 100)]
    ['AF301']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from annoformat.diagnostics import Report
from annoformat.model import (
    BBox,
    Dataset,
    Ellipse,
    Image,
    Keypoints,
    Label,
    Mask,
    Points,
    Polygon,
    Polyline,
    Relation,
    RotatedBBox,
    VideoFrame,
)

#: slack for float noise when comparing coordinates with the image border (pixels)
EPSILON = 1e-6


class Finding(NamedTuple):
    """A check's result: a code, a path relative to the checked object, message context."""

    code: str
    path: str
    ctx: dict[str, Any]


def check_box(x: float, y: float, w: float, h: float,
              width: int | None, height: int | None) -> list[Finding]:
    """AF302 for non-positive size, AF301 for a box leaving a ``width`` x ``height`` image."""
    if w > 0 and h > 0:
        if width and height and (x < -EPSILON or y < -EPSILON or x + w > width + EPSILON
                                 or y + h > height + EPSILON):
            return [Finding("AF301", "", {"x": x, "y": y, "w": w, "h": h,
                                          "width": width, "height": height})]
        return []
    return [Finding("AF302", "", {"w": w, "h": h})]


def check_flat_points(points: Sequence[float], path: str, min_points: int) -> list[Finding]:
    """AF304 for an odd number of values, AF303 for fewer than ``min_points`` points."""
    n = len(points)
    if n % 2:
        return [Finding("AF304", path, {"count": n})]
    if n < 2 * min_points:
        return [Finding("AF303", path, {"count": n // 2})]
    return []


def check_finite(values: Sequence[float], path: str) -> list[Finding]:
    """AF307-style guard for IR built by hand: NaN/inf never reach a writer."""
    if all(math.isfinite(v) for v in values):
        return []
    return [Finding("AF007", path, {"reason": "coordinate is NaN or infinite"})]


def check_keypoints(points: Sequence[float], visibility: Sequence[int],
                    label: Label | None) -> list[Finding]:
    """AF304 odd values, AF306 count differs from the label's names, AF309 bad visibility."""
    out = check_flat_points(points, "/points", 0)
    if out:
        return out
    count = len(points) // 2
    if len(visibility) != count:
        return [Finding("AF306", "/visibility", {"count": len(visibility), "expected": count,
                                                 "label": label.name if label else None})]
    if label is not None and label.keypoints and count != len(label.keypoints):
        out.append(Finding("AF306", "/points", {"count": count, "expected": len(label.keypoints),
                                                "label": label.name}))
    for i, v in enumerate(visibility):
        if v not in (0, 1, 2):
            out.append(Finding("AF309", f"/visibility/{i}", {"value": v}))
            break
    return out


def check_mask(counts: str | list[int], mask_h: int, mask_w: int,
               width: int | None, height: int | None) -> list[Finding]:
    """AF305 size differs from the image's, AF307 runs that do not cover the mask."""
    out: list[Finding] = []
    if width and height and (mask_w, mask_h) != (width, height):
        out.append(Finding("AF305", "", {"mask_width": mask_w, "mask_height": mask_h,
                                         "width": width, "height": height}))
    if isinstance(counts, list):
        if sum(counts) != mask_h * mask_w or any(c < 0 for c in counts):
            out.append(Finding("AF307", "/counts", {
                "reason": f"run lengths add up to {sum(counts)}, not {mask_h}x{mask_w}"}))
    else:
        from annoformat import masks

        reason = masks.compressed_problem(counts, mask_h, mask_w)
        if reason:
            out.append(Finding("AF307", "/counts", {"reason": reason}))
    return out


def check_annotation(ann: Any, width: int | None, height: int | None,
                     label: Label | None = None) -> list[Finding]:
    """Geometry findings for one IR annotation on an image of ``width`` x ``height``."""
    if isinstance(ann, BBox):
        return check_finite((ann.x, ann.y, ann.w, ann.h), "") or check_box(
            ann.x, ann.y, ann.w, ann.h, width, height)
    out: list[Finding] = []
    box = getattr(ann, "bbox", None)
    if box is not None:  # the enclosing box a source stored with a region
        bx, by, bw, bh = box
        out += [Finding(f.code, "/bbox", f.ctx) for f in check_box(bx, by, bw, bh, width, height)]
    return out + _shape_findings(ann, width, height, label)


def _shape_findings(ann: Any, width: int | None, height: int | None,
                    label: Label | None) -> list[Finding]:
    if isinstance(ann, Polygon):
        out: list[Finding] = []
        for i, ring in enumerate(ann.rings):
            out += check_finite(ring, f"/rings/{i}") or check_flat_points(ring, f"/rings/{i}", 3)
        return out
    if isinstance(ann, Polyline):
        return check_finite(ann.points, "/points") or check_flat_points(ann.points, "/points", 2)
    if isinstance(ann, Keypoints):
        return check_finite(ann.points, "/points") or check_keypoints(
            ann.points, ann.visibility, label)
    if isinstance(ann, Points):
        return check_finite(ann.points, "/points") or check_flat_points(ann.points, "/points", 1)
    if isinstance(ann, Mask):
        return check_mask(ann.counts, ann.height, ann.width, width, height)
    if isinstance(ann, RotatedBBox):
        if ann.w > 0 and ann.h > 0:
            return []
        return [Finding("AF302", "", {"w": ann.w, "h": ann.h})]
    if isinstance(ann, Ellipse):
        if ann.rx > 0 and ann.ry > 0:
            return []
        return [Finding("AF302", "", {"w": 2 * ann.rx, "h": 2 * ann.ry})]
    return []


def check_relations(annotations: Sequence[Any]) -> list[Finding]:
    """AF230 for each relation end that names no other annotation of the item (path ``/j/end``).

    Example:
        >>> [f.path for f in check_relations([Relation(source=1, target=2)])]
        ['/0/source', '/0/target']
    """
    ids = {a.id for a in annotations if a.id is not None and not isinstance(a, Relation)}
    out = []
    for j, ann in enumerate(annotations):
        if isinstance(ann, Relation):
            for end in ("source", "target"):
                value = getattr(ann, end)
                if value not in ids:
                    out.append(Finding("AF230", f"/{j}/{end}", {
                        "relation": ann.id if ann.id is not None else j, "entity_id": value}))
    return out


def check_dataset(ds: Dataset, report: Report, path: str | None = None) -> None:
    """Walk an IR dataset: duplicate labels/items, unknown labels, geometry.

    Locations are IR pointers (``/items/3/annotations/1``) plus item and annotation ids.
    """
    labels: dict[str, Label] = {}
    for i, declared in enumerate(ds.labels):
        if declared.name in labels:
            report.add("AF209", path=path, pointer=f"/labels/{i}/name", label=declared.name)
        labels.setdefault(declared.name, declared)
    seen: set[tuple[str | None, str]] = set()
    for i, item in enumerate(ds.items):
        key = (item.subset, item.id)
        if key in seen:
            report.add("AF207", path=path, pointer=f"/items/{i}/id", item_id=item.id,
                       subset=item.subset)
        seen.add(key)
        media = item.media
        width = height = None
        if isinstance(media, (Image, VideoFrame)):
            width, height = media.width, media.height
        for j, ann in enumerate(item.annotations):
            base = f"/items/{i}/annotations/{j}"
            label = labels.get(ann.label) if ann.label is not None else None
            if ann.label is not None and label is None:
                report.add("AF208", path=path, pointer=f"{base}/label", item_id=item.id,
                           annotation_id=ann.id, label=ann.label)
            for f in check_annotation(ann, width, height, label):
                report.add(f.code, path=path, pointer=base + f.path, item_id=item.id,
                           annotation_id=ann.id, **f.ctx)
        if any(isinstance(a, Relation) for a in item.annotations):
            for f in check_relations(item.annotations):
                report.add(f.code, path=path, pointer=f"/items/{i}/annotations{f.path}",
                           item_id=item.id, **f.ctx)


# --------------------------------------------------------------------------------------------
# text spans (issue 5): offsets are code points, [start, end)


def check_span(text: str, start: int, end: int, stored: str | None = None) -> list[Finding]:
    """AF402 end <= start, AF401 outside ``text``, AF403 ``stored`` text differs, AF404 padding.

    Example:
        >>> [f.code for f in check_span("in Paris", 2, 8)]
        ['AF404']
    """
    if end <= start:
        return [Finding("AF402", "", {"start": start, "end": end})]
    if start < 0 or end > len(text):
        return [Finding("AF401", "", {"start": start, "end": end, "length": len(text)})]
    actual = text[start:end]
    if stored is not None and stored != actual:
        return [Finding("AF403", "", {"start": start, "end": end, "actual": actual,
                                      "stored": stored})]
    if actual != actual.strip():
        return [Finding("AF404", "", {"start": start, "end": end, "actual": actual})]
    return []


def check_span_set(spans: Sequence[tuple[int, int, str | None, Any]],
                   allow_overlap: bool = False) -> list[Finding]:
    """AF405 duplicate and AF406 overlapping spans among ``(start, end, label, id)`` tuples.

    Paths are ``/<index>`` of the later span. Spans sharing a non-None ``id`` are parts of one
    source object (one region with several labels) and are not compared with each other.

    Example:
        >>> [f.code for f in check_span_set([(0, 5, "PER", None), (3, 9, "ORG", None)])]
        ['AF406']
    """
    out: list[Finding] = []
    order = sorted(range(len(spans)), key=lambda k: (spans[k][0], spans[k][1], k))
    seen: dict[tuple[int, int, str | None], int] = {}
    open_spans: list[int] = []  # indices of earlier spans whose end is past the current start
    for k in order:
        start, end, label, sid = spans[k]
        key = (start, end, label)
        if key in seen and (sid is None or spans[seen[key]][3] != sid):
            out.append(Finding("AF405", f"/{k}", {"start": start, "end": end, "label": label}))
            continue
        seen.setdefault((start, end, label), k)
        open_spans = [j for j in open_spans if spans[j][1] > start]
        if not allow_overlap:
            for j in open_spans:
                if sid is not None and spans[j][3] == sid:
                    continue
                other = spans[j]
                out.append(Finding("AF406", f"/{k}", {
                    "start": start, "end": end, "label": label, "other_start": other[0],
                    "other_end": other[1], "other_label": other[2]}))
                break
        open_spans.append(k)
    return sorted(out, key=lambda f: int(f.path[1:]))
