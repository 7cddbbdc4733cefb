"""Values a format derives from geometry (area, enclosing box), computed one way for everyone.

Writers that store them and plans that ask "would a reader get the same value back?" share
these, so a stored value is reported as lost only when recomputing it gives something else.

Example:
    >>> from annoformat.model import Polygon
    >>> area_of(Polygon(rings=[[0, 0, 4, 0, 4, 3]]))
    6.0
"""

from __future__ import annotations

import math
from operator import mul
from typing import Any

from annoformat.model import BBox, Mask, Polygon


def area_of(ann: Any) -> float | None:
    """The area a COCO writer derives: box w*h, polygon rings by the shoelace formula (summed),
    mask pixel count; None for other kinds."""
    if isinstance(ann, BBox):
        return float(ann.w * ann.h)
    if isinstance(ann, Polygon):
        total = 0.0
        for ring in ann.rings:  # shoelace, with the products in C (map) at COCO scale
            xs, ys = ring[0::2], ring[1::2]
            twice = sum(map(mul, xs, ys[1:] + ys[:1])) - sum(map(mul, xs[1:] + xs[:1], ys))
            total += abs(twice) / 2
        return total
    if isinstance(ann, Mask):
        from annoformat import masks  # numpy + pycocotools: only when a mask needs it

        return float(masks.area(ann.counts, ann.height, ann.width))
    return None


def enclosing_box(ann: Polygon) -> tuple[float, float, float, float]:
    """The tight ``(x, y, w, h)`` around every ring of a polygon."""
    if len(ann.rings) == 1 and ann.rings[0]:  # the common case, four calls in C
        xs, ys = ann.rings[0][0::2], ann.rings[0][1::2]
        x0, y0 = min(xs), min(ys)
        return (x0, y0, max(xs) - x0, max(ys) - y0)
    rings = [ring for ring in ann.rings if ring]
    if not rings:
        return (0.0, 0.0, 0.0, 0.0)
    x0 = min(min(ring[0::2]) for ring in rings)  # per ring in C: COCO has 860k of them
    y0 = min(min(ring[1::2]) for ring in rings)
    x1 = max(max(ring[0::2]) for ring in rings)
    y1 = max(max(ring[1::2]) for ring in rings)
    return (x0, y0, x1 - x0, y1 - y0)


def same_value(stored: float, derived: float | None) -> bool:
    """Equal up to float noise (the derivation may add terms in another order)."""
    return derived is not None and math.isclose(stored, derived, rel_tol=1e-9, abs_tol=1e-9)
