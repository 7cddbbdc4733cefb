"""Geometric similarity between the annotations of one item: one matrix per annotation kind.

Every function takes a list of reference and a list of candidate annotations of one *kind*
(:func:`kind_of`) and returns an ``len(ref) x len(cand)`` matrix of similarities in [0, 1]:

* boxes: IoU; rotated boxes: exact IoU of the two rectangles (convex polygon clipping);
* polygons and masks (one kind, as CVAT compares them), ellipses (as 64-gons): IoU of their
  pycocotools RLE rasterisations on the item's canvas;
* keypoints and points: COCO's object keypoint similarity (OKS), the reference as ground truth;
* polylines: IoU of the two lines' buffers (half-width ``line_thickness * sqrt(image area)``,
  CVAT's relative thickness), rasterised as RLE;
* spans: 1 for the same ``[start, end)``, else 0; or their character IoU (``overlap``);
* tags: 1 for the same label, else 0.

Example:
    >>> from annoformat.model import BBox
    >>> m = similarity([BBox(x=0, y=0, w=10, h=10)], [BBox(x=5, y=0, w=10, h=10)], "bbox",
    ...                Canvas(100, 100))
    >>> round(float(m[0, 0]), 4)
    0.3333
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from annoformat.model import (
    BBox,
    Ellipse,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBBox,
    Span,
    Tag,
)

Matrix = np.ndarray[Any, np.dtype[np.float64]]
SpanMatch = Literal["exact", "overlap"]

#: annotation type -> the kind it is matched within (polygons and masks are one kind, as in CVAT)
KINDS = {"bbox": "bbox", "rotated_bbox": "rotated_bbox", "polygon": "region", "mask": "region",
         "ellipse": "ellipse", "polyline": "polyline", "points": "points",
         "keypoints": "keypoints", "span": "span", "tag": "tag"}
#: the kinds that cover an area (``covered_annotation`` looks at these)
AREA_KINDS = ("bbox", "rotated_bbox", "region", "ellipse")
#: what each kind's similarity is called in reports
MEASURE = {"bbox": "iou", "rotated_bbox": "iou", "region": "iou", "ellipse": "iou",
           "polyline": "line_iou", "points": "oks", "keypoints": "oks", "span": "span_iou",
           "tag": "label"}
ELLIPSE_VERTICES = 64
#: COCO's epsilon added to the object area (``np.spacing(1)``)
_EPS = float(np.spacing(1))


def kind_of(ann: Any) -> str | None:
    """The kind an annotation is matched within, or None (relations are not compared)."""
    return KINDS.get(getattr(ann, "type", ""))


@dataclass(frozen=True)
class Canvas:
    """The item's raster size in pixels, which RLE rasterisation and line thickness need, and
    the RLEs already made on it (by annotation object: matching and ``covered_annotation``
    rasterise each region once)."""

    width: int
    height: int
    rles: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)
    _boxes: dict[int, tuple[float, float, float, float]] = field(
        default_factory=dict, compare=False, repr=False)
    _areas: dict[int, float] = field(default_factory=dict, compare=False, repr=False)

    def boxes(self, anns: Sequence[Any]) -> Matrix:
        """The ``x, y, w, h`` boxes of annotations of this item as an N x 4 array (each
        computed once: matching and ``covered_annotation`` ask for the same ones)."""
        known = self._boxes
        rows = []
        for a in anns:
            box = known.get(id(a))
            if box is None:
                box = known[id(a)] = a.box
            rows.append(box)
        return np.array(rows, dtype=np.float64).reshape(-1, 4)

    def areas(self, anns: Sequence[Any]) -> Matrix:
        """The geometric areas (px^2) of annotations of this item, each computed once."""
        known = self._areas
        out = np.empty(len(anns))
        for k, a in enumerate(anns):
            area = known.get(id(a))
            if area is None:
                area = known[id(a)] = a.pixel_area
            out[k] = area
        return out


def canvas_for(width: int | None, height: int | None, anns: Sequence[Any]) -> Canvas:
    """The image size when known; else the smallest canvas holding every annotation given
    (a dataset without image sizes is still comparable: IoU does not depend on the margin)."""
    if width and height:
        return Canvas(int(width), int(height))
    right, bottom = 1.0, 1.0
    for ann in anns:
        if isinstance(ann, Mask):
            right, bottom = max(right, ann.width), max(bottom, ann.height)
        elif hasattr(ann, "box"):
            x, y, w, h = ann.box
            right, bottom = max(right, x + w), max(bottom, y + h)
    return Canvas(math.ceil(right) + 1, math.ceil(bottom) + 1)


def similarity(ref: Sequence[Any], cand: Sequence[Any], kind: str, canvas: Canvas, *,
               oks_sigma: float = 0.09, line_thickness: float = 0.01,
               span_match: SpanMatch = "exact", floor: float = 0.0) -> Matrix:
    """The ``len(ref) x len(cand)`` similarity matrix of annotations of one ``kind``; region
    pairs that surely stay below ``floor`` may be given as 0 (:func:`region_iou`)."""
    if not ref or not cand:
        return np.zeros((len(ref), len(cand)))
    if kind == "bbox":
        return box_iou(_boxes(ref), _boxes(cand))
    if kind == "rotated_bbox":
        return np.array([[convex_iou(r.corners, c.corners) for c in cand] for r in ref])
    if kind in ("region", "ellipse"):
        return region_iou(ref, cand, canvas, floor=floor)
    if kind == "polyline":
        radius = line_radius(canvas, line_thickness)
        return rle_iou(line_rles(ref, canvas, radius), line_rles(cand, canvas, radius))
    if kind in ("points", "keypoints"):
        return oks(ref, cand, canvas, oks_sigma)
    if kind == "span":
        return np.array([[span_similarity(r, c, span_match) for c in cand] for r in ref])
    if kind == "tag":
        return np.array([[1.0 if r.label == c.label else 0.0 for c in cand] for r in ref])
    raise ValueError(f"no similarity for kind {kind!r}")


# --- boxes ----------------------------------------------------------------------------------

def boxes(anns: Sequence[Any]) -> Matrix:
    """The ``x, y, w, h`` boxes of annotations as an N x 4 array."""
    return _boxes(anns)


def _boxes(anns: Sequence[Any]) -> Matrix:
    return np.array([a.box for a in anns], dtype=np.float64).reshape(-1, 4)


def box_iou(a: Matrix, b: Matrix) -> Matrix:
    """IoU of every box in ``a`` (N x 4, ``x, y, w, h``) with every box in ``b``."""
    inter = _box_intersection(a, b)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Matrix = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return out


def _box_intersection(a: Matrix, b: Matrix) -> Matrix:
    w = np.minimum(a[:, None, 0] + a[:, None, 2], b[None, :, 0] + b[None, :, 2]) - np.maximum(
        a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 1] + a[:, None, 3], b[None, :, 1] + b[None, :, 3]) - np.maximum(
        a[:, None, 1], b[None, :, 1])
    out: Matrix = np.clip(w, 0, None) * np.clip(h, 0, None)
    return out


def box_intersection(a: Matrix, b: Matrix) -> Matrix:
    """Area shared by every box in ``a`` with every box in ``b`` (N x 4, ``x, y, w, h``)."""
    return _box_intersection(a, b)


def box_coverage(a: Matrix) -> Matrix:
    """``[i, j]``: the share of box i's area inside box j (the diagonal is 1)."""
    inter = _box_intersection(a, a)
    area = (a[:, 2] * a[:, 3])[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(area > 0, inter / np.where(area > 0, area, 1.0), 0.0)


# --- convex polygons (rotated boxes) ---------------------------------------------------------

def _signed_area(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    return sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n)) / 2


def convex_intersection_area(p: list[float], q: list[float]) -> float:
    """Area shared by two convex polygons (flat ``[x1, y1, ...]``, either orientation):
    Sutherland-Hodgman clipping of ``p`` by each edge of ``q``, then the shoelace formula."""
    pts = list(zip(p[0::2], p[1::2], strict=True))
    clip = list(zip(q[0::2], q[1::2], strict=True))
    if _signed_area(q[0::2], q[1::2]) < 0:  # walk the clip polygon counter-clockwise
        clip.reverse()
    for k in range(len(clip)):
        (ax, ay), (bx, by) = clip[k], clip[(k + 1) % len(clip)]
        inside = [(bx - ax) * (y - ay) - (by - ay) * (x - ax) for x, y in pts]
        out: list[tuple[float, float]] = []
        for i in range(len(pts)):
            j = (i + 1) % len(pts)
            if inside[i] >= 0:
                out.append(pts[i])
            if (inside[i] >= 0) != (inside[j] >= 0):  # the edge crosses the clip line
                t = inside[i] / (inside[i] - inside[j])
                out.append((pts[i][0] + t * (pts[j][0] - pts[i][0]),
                            pts[i][1] + t * (pts[j][1] - pts[i][1])))
        pts = out
        if len(pts) < 3:
            return 0.0
    return abs(_signed_area([x for x, _ in pts], [y for _, y in pts]))


def convex_iou(p: list[float], q: list[float]) -> float:
    """IoU of two convex polygons (exact, no rasterisation)."""
    inter = convex_intersection_area(p, q)
    union = abs(_signed_area(p[0::2], p[1::2])) + abs(_signed_area(q[0::2], q[1::2])) - inter
    return inter / union if union > 0 else 0.0


# --- RLE: polygons, masks, ellipses, line buffers --------------------------------------------

def ellipse_ring(e: Ellipse, vertices: int = ELLIPSE_VERTICES) -> list[float]:
    """The ellipse as a polygon ring, turned clockwise like :class:`RotatedBBox`."""
    t = math.radians(e.rotation)
    cos, sin = math.cos(t), math.sin(t)
    ring: list[float] = []
    for k in range(vertices):
        a = 2 * math.pi * k / vertices
        px, py = e.rx * math.cos(a), e.ry * math.sin(a)
        ring += [e.cx + px * cos - py * sin, e.cy + px * sin + py * cos]
    return ring


def _rings_of(ann: Any) -> list[list[float]]:
    if isinstance(ann, Polygon):
        return ann.rings
    if isinstance(ann, Ellipse):
        return [ellipse_ring(ann)]
    if isinstance(ann, (BBox, RotatedBBox)):
        return [ann.corners] if isinstance(ann, RotatedBBox) else [_box_ring(ann.box)]
    return []


def _box_ring(box: tuple[float, float, float, float]) -> list[float]:
    x, y, w, h = box
    return [x, y, x + w, y, x + w, y + h, x, y + h]


_GEOMETRY: dict[type, tuple[str, ...]] = {
    Polygon: ("rings",), Mask: ("counts", "height", "width"),
    Ellipse: ("cx", "cy", "rx", "ry", "rotation"), BBox: ("x", "y", "w", "h"),
    RotatedBBox: ("x", "y", "w", "h", "rotation"), Polyline: ("points",),
    Points: ("points", "visibility"), Keypoints: ("points", "visibility", "area", "bbox"),
    Span: ("start", "end"), Tag: ("label",),
}


def same_geometry(a: Any, b: Any) -> bool:
    """True when two annotations are the same shape, value for value: similarity 1 without
    computing it (tags: the same label)."""
    fields = _GEOMETRY.get(type(a))
    return (fields is not None and type(a) is type(b)
            and all(getattr(a, f) == getattr(b, f) for f in fields))


#: regions at least this big (px^2) have a rasterised area close enough to their geometric one
#: for the IoU bound of :func:`region_iou`
_BOUNDED_AREA = 100.0


def region_iou(ref: Sequence[Any], cand: Sequence[Any], canvas: Canvas, *,
               floor: float = 0.0) -> Matrix:
    """IoU of polygons, masks or ellipses. Pairs whose boxes do not meet are 0 and identical
    shapes 1 without rasterising; with ``floor`` > 0, pairs of regions of 100 px^2 or more whose
    IoU cannot reach ``floor`` are 0 too (the intersection is at most the smaller area and the
    boxes' overlap). Only the annotations of the other pairs are rasterised: at COCO scale most
    pairs are settled before."""
    shared = _box_intersection(canvas.boxes(ref), canvas.boxes(cand))
    meet = shared > 0
    if floor > 0 and meet.any():
        ra = canvas.areas(ref)[:, None]
        ca = canvas.areas(cand)[None, :]
        most = np.minimum(shared, np.minimum(ra, ca))
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = most / (ra + ca - most)
        meet &= ~((bound < floor) & (ra >= _BOUNDED_AREA) & (ca >= _BOUNDED_AREA))
    out = np.zeros(meet.shape)
    need = meet.copy()
    for i, j in zip(*np.nonzero(meet), strict=True):
        if same_geometry(ref[int(i)], cand[int(j)]):
            out[i, j] = 1.0
            need[i, j] = False
    if need.any():
        rows, cols = np.nonzero(need.any(axis=1))[0], np.nonzero(need.any(axis=0))[0]
        sub = rle_iou(to_rles([ref[int(i)] for i in rows], canvas),
                      to_rles([cand[int(j)] for j in cols], canvas))
        block = np.ix_(rows, cols)
        out[block] = np.where(need[block], sub, out[block])
    return out


def to_rles(anns: Sequence[Any], canvas: Canvas, *, cache: bool = True) -> list[dict[str, Any]]:
    """One RLE per annotation on ``canvas``: rings rasterised by pycocotools in one call,
    masks taken as they are (re-framed when their size is not the canvas'). With ``cache``,
    RLEs are kept on the canvas by annotation object (for annotations that outlive the
    call)."""
    from pycocotools import mask as coco_mask

    known = canvas.rles if cache else {}
    flat: list[list[float]] = []
    owners: list[int] = []
    for i, ann in enumerate(anns):
        if isinstance(ann, Mask) or id(ann) in known:
            continue
        # a ring of fewer than 3 points has no area; a 4-number one would be read as a box
        for ring in _rings_of(ann):
            if len(ring) >= 6:
                flat.append([float(v) for v in ring])
                owners.append(i)
    h, w = canvas.height, canvas.width
    parts: list[list[dict[str, Any]]] = [[] for _ in anns]
    if flat:
        for owner, rle in zip(owners, coco_mask.frPyObjects(flat, h, w), strict=True):
            parts[owner].append(rle)
    out: list[dict[str, Any]] = []
    for ann, own in zip(anns, parts, strict=True):
        rle = known.get(id(ann))
        if rle is None:
            if isinstance(ann, Mask):
                rle = _mask_on(ann, canvas)
            elif len(own) == 1:
                rle = own[0]
            elif own:
                rle = coco_mask.merge(own)
            else:
                rle = coco_mask.frPyObjects({"size": [h, w], "counts": [h * w]}, h, w)
            if cache:
                known[id(ann)] = rle
        out.append(rle)
    return out


def _mask_on(m: Mask, canvas: Canvas) -> dict[str, Any]:
    from pycocotools import mask as coco_mask

    if isinstance(m.counts, list):
        rle: dict[str, Any] = coco_mask.frPyObjects(
            {"size": [m.height, m.width], "counts": m.counts}, m.height, m.width)
    else:
        rle = {"size": [m.height, m.width], "counts": m.counts.encode("ascii")}
    if (m.height, m.width) == (canvas.height, canvas.width):
        return rle
    bits = coco_mask.decode(rle)  # a mask of another size: placed at the top-left corner
    framed = np.zeros((canvas.height, canvas.width), dtype=np.uint8, order="F")
    hh, ww = min(m.height, canvas.height), min(m.width, canvas.width)
    framed[:hh, :ww] = bits[:hh, :ww]
    encoded: dict[str, Any] = coco_mask.encode(framed)
    return encoded


def rle_iou(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> Matrix:
    """IoU of every RLE in ``a`` with every RLE in ``b`` (pycocotools, no crowd rule)."""
    from pycocotools import mask as coco_mask

    if not a or not b:
        return np.zeros((len(a), len(b)))
    out = coco_mask.iou(a, b, [0] * len(b))
    return np.asarray(out, dtype=np.float64).reshape(len(a), len(b))


def rle_coverage(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> Matrix:
    """``[i, j]``: the share of region a[i]'s area inside region b[j]. pycocotools' crowd rule
    divides the intersection by the first argument's area, which is exactly that share."""
    from pycocotools import mask as coco_mask

    if not a or not b:
        return np.zeros((len(a), len(b)))
    out = coco_mask.iou(a, b, [1] * len(b))
    return np.asarray(out, dtype=np.float64).reshape(len(a), len(b))


def line_radius(canvas: Canvas, line_thickness: float) -> float:
    """The buffer's half-width: ``line_thickness`` times the square root of the image area
    (CVAT's relative thickness), at least half a pixel so that a line always rasterises."""
    return max(0.5, line_thickness * math.sqrt(canvas.width * canvas.height))


def _disc(x: float, y: float, r: float, n: int = 16) -> list[float]:
    out: list[float] = []
    for k in range(n):
        a = 2 * math.pi * k / n
        out += [x + r * math.cos(a), y + r * math.sin(a)]
    return out


def buffer_rings(points: list[float], radius: float) -> list[list[float]]:
    """The line's buffer as rings: a rectangle per segment and a disc (16-gon) per vertex."""
    xs, ys = points[0::2], points[1::2]
    rings = [_disc(x, y, radius) for x, y in zip(xs, ys, strict=True)]
    for i in range(len(xs) - 1):
        dx, dy = xs[i + 1] - xs[i], ys[i + 1] - ys[i]
        length = math.hypot(dx, dy)
        if length == 0:
            continue
        nx, ny = -dy / length * radius, dx / length * radius
        rings.append([xs[i] + nx, ys[i] + ny, xs[i + 1] + nx, ys[i + 1] + ny,
                      xs[i + 1] - nx, ys[i + 1] - ny, xs[i] - nx, ys[i] - ny])
    return rings


def line_rles(lines: Sequence[Polyline], canvas: Canvas, radius: float) -> list[dict[str, Any]]:
    """One RLE per polyline: the union of its buffer's rings."""
    # not cached: the buffers are temporary objects, whose ids Python reuses
    return to_rles([Polygon.model_construct(rings=buffer_rings(ln.points, radius))
                    for ln in lines], canvas, cache=False)


def _resample(points: list[float], n: int = 16) -> Matrix:
    """``n`` points evenly spaced along the line by arc length."""
    xy = np.array(points, dtype=np.float64).reshape(-1, 2)
    seg = np.hypot(*np.diff(xy, axis=0).T) if len(xy) > 1 else np.zeros(0)
    along = np.concatenate([[0.0], np.cumsum(seg)])
    if along[-1] == 0:
        return np.repeat(xy[:1], n, axis=0)
    at = np.linspace(0.0, along[-1], n)
    return np.stack([np.interp(at, along, xy[:, 0]), np.interp(at, along, xy[:, 1])], axis=1)


def reversed_direction(ref: Polyline, cand: Polyline, radius: float) -> bool:
    """True when the candidate runs the other way: walked backwards, its points (16, evenly
    spaced) lie closer to the reference's by more than the buffer half-width than walked
    forwards."""
    a, b = _resample(ref.points), _resample(cand.points)
    forward = float(np.hypot(*(a - b).T).mean())
    backward = float(np.hypot(*(a - b[::-1]).T).mean())
    return forward - backward > radius


# --- keypoints and points: OKS ---------------------------------------------------------------

def object_scale(ann: Points | Keypoints, canvas: Canvas) -> float:
    """The object area OKS divides by: the stored ``area`` (COCO's), else the stored ``bbox``,
    else the box of the labelled points; the image area when these are empty (a single point,
    CVAT's "image size" point base)."""
    if isinstance(ann, Keypoints):
        if ann.area:
            return float(ann.area)
        if ann.bbox is not None and ann.bbox[2] * ann.bbox[3] > 0:
            return float(ann.bbox[2] * ann.bbox[3])
    _, _, w, h = ann.box
    return float(w * h) if w * h > 0 else float(canvas.width * canvas.height)


def _visible(ann: Points | Keypoints) -> Matrix:
    n = len(ann.points) // 2
    vis = ann.visibility if ann.visibility is not None else [2] * n
    return np.asarray(vis[:n], dtype=np.float64)


def oks(ref: Sequence[Any], cand: Sequence[Any], canvas: Canvas, sigma: float) -> Matrix:
    """COCO's object keypoint similarity with one ``sigma`` for every point: for each labelled
    reference point ``exp(-d^2 / (2 * s * (2 * sigma)^2))``, averaged (``s`` the object scale);
    a reference with no labelled point measures the distance to twice its box, as COCOeval
    does. Point sets of different sizes cannot be compared: similarity 0."""
    var = (2 * sigma) ** 2
    out = np.zeros((len(ref), len(cand)))
    for i, g in enumerate(ref):
        gxy = np.asarray(g.points, dtype=np.float64).reshape(-1, 2)
        vis = _visible(g) > 0
        area = object_scale(g, canvas)
        if not vis.any():
            bx, by, bw, bh = (g.bbox if isinstance(g, Keypoints) and g.bbox is not None
                              else g.box)
            lo = np.array([bx - bw, by - bh])
            hi = np.array([bx + 2 * bw, by + 2 * bh])
        for j, d in enumerate(cand):
            dxy = np.asarray(d.points, dtype=np.float64).reshape(-1, 2)
            if dxy.shape != gxy.shape:
                continue
            if vis.any():
                sq = ((dxy - gxy) ** 2).sum(axis=1)[vis]
            else:
                gap = np.maximum(0, lo - dxy) + np.maximum(0, dxy - hi)
                sq = (gap ** 2).sum(axis=1)
            e = sq / var / (area + _EPS) / 2
            out[i, j] = float(np.exp(-e).mean()) if len(e) else 0.0
    return out


# --- spans -----------------------------------------------------------------------------------

def span_similarity(a: Span, b: Span, mode: SpanMatch = "exact") -> float:
    """``exact``: 1 for the same ``[start, end)``, else 0; ``overlap``: character IoU."""
    if mode == "exact":
        return 1.0 if (a.start, a.end) == (b.start, b.end) else 0.0
    inter = max(0, min(a.end, b.end) - max(a.start, b.start))
    union = (a.end - a.start) + (b.end - b.start) - inter
    return inter / union if union > 0 else 0.0
