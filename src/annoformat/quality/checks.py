"""The conflicts found among several annotations of one item: ``mismatching_groups`` (group
mates that differ across the two sides) and ``covered_annotation`` (a candidate region lying
mostly inside another).

Example:
    >>> from annoformat.model import BBox
    >>> from annoformat.quality.match import Settings, match_annotations
    >>> cand = [BBox(x=0, y=0, w=50, h=50), BBox(x=5, y=5, w=10, h=10)]
    >>> covered(cand, match_annotations([], cand), Settings())
    [(1, 1.0, 0)]
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from annoformat.quality.match import Matching, Settings
from annoformat.quality.similarity import (
    AREA_KINDS,
    box_coverage,
    box_intersection,
    boxes,
    convex_intersection_area,
    kind_of,
    rle_coverage,
    to_rles,
)


def considered(ann: Any, settings: Settings) -> bool:
    """Whether an annotation takes part in the comparison (relations do not; crowd objects not
    with ``ignore_crowd``)."""
    return kind_of(ann) is not None and not (
        settings.ignore_crowd and getattr(ann, "crowd", None))


def group_mismatches(m: Matching, ref: list[Any], cand: list[Any]) -> list[tuple[int, int]]:
    """Matched pairs whose group mates differ: the partners of the reference annotation's group
    mates are not exactly the candidate's group mates (a group of None or 0 has no mates)."""
    partner = {p.ref: p.cand for p in m.pairs}
    ref_groups: dict[int, list[int]] = defaultdict(list)
    cand_groups: dict[int, list[int]] = defaultdict(list)
    for p in m.pairs:
        if ref[p.ref].group:
            ref_groups[ref[p.ref].group].append(p.ref)
        if cand[p.cand].group:
            cand_groups[cand[p.cand].group].append(p.cand)
    out = []
    for p in m.pairs:
        g, h = ref[p.ref].group, cand[p.cand].group
        mates = {partner[r] for r in ref_groups.get(g, [])} - {p.cand} if g else set()
        theirs = set(cand_groups.get(h, [])) - {p.cand} if h else set()
        if mates != theirs:
            out.append((p.ref, p.cand))
    return out


def covered(cand: list[Any], m: Matching, s: Settings) -> list[tuple[int, float, int]]:
    """``(index, share, covering index)`` of each candidate region lying at least
    ``s.coverage`` inside another candidate region of the same kind (the most covering one)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for j, ann in enumerate(cand):
        kind = kind_of(ann)
        if kind in AREA_KINDS and considered(ann, s):
            by_kind[str(kind)].append(j)
    out: list[tuple[int, float, int]] = []
    for kind, idx in by_kind.items():
        if len(idx) < 2:
            continue
        anns = [cand[j] for j in idx]
        if kind == "bbox":
            cov = box_coverage(boxes(anns))
        elif kind == "rotated_bbox":
            cov = _rotated_coverage(anns)
        else:
            cov = _region_coverage(anns, m, s.coverage)
        np.fill_diagonal(cov, 0.0)
        for k in range(len(idx)):
            other = int(np.argmax(cov[k]))
            if cov[k, other] >= s.coverage:
                out.append((idx[k], float(cov[k, other]), idx[other]))
    return out


#: regions at least this big (px^2) are screened by their geometric area with the margin
#: below; smaller ones, whose rasterised area can differ a lot, only by their boxes meeting
_SCREENED_AREA = 100.0
_SCREEN_MARGIN = 0.8


def _region_coverage(anns: list[Any], m: Matching, least: float) -> Any:
    """Coverage of polygons, masks, ellipses, rasterising only the regions that may be covered:
    region i lying ``least`` inside region j has that much of its area inside both boxes, and
    j is at least that big (screened with a margin for rasterisation)."""
    own = m.canvas.boxes(anns)
    shared = box_intersection(own, own)
    np.fill_diagonal(shared, 0.0)
    area = m.canvas.areas(anns)
    bar = _SCREEN_MARGIN * least * area[:, None]
    small = (area < _SCREENED_AREA)[:, None] | (area < _SCREENED_AREA)[None, :]
    maybe = (shared > 0) & (small | ((shared >= bar) & (area[None, :] >= bar)))
    out = np.zeros(shared.shape)
    if maybe.any():
        rows, cols = np.nonzero(maybe.any(axis=1))[0], np.nonzero(maybe.any(axis=0))[0]
        sub = rle_coverage(to_rles([anns[i] for i in rows], m.canvas),
                           to_rles([anns[j] for j in cols], m.canvas))
        block = np.ix_(rows, cols)
        out[block] = np.where(maybe[block], sub, 0.0)
    return out


def _rotated_coverage(anns: list[Any]) -> Any:
    out = np.zeros((len(anns), len(anns)))
    for i, a in enumerate(anns):
        area = a.pixel_area
        for j, b in enumerate(anns):
            if area > 0:
                out[i, j] = convex_intersection_area(a.corners, b.corners) / area
    return out
