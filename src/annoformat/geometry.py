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
from typing import Any

from annoformat.model import BBox, Mask, Polygon


def area_of(ann: Any) -> float | None:
    """The area a COCO writer derives: box w*h, polygon rings by the shoelace formula (summed),
    mask pixel count; None for other kinds."""
    if isinstance(ann, BBox):
        return float(ann.w * ann.h)
    if isinstance(ann, Polygon):
        total = 0.0
        for ring in ann.rings:
            xs, ys = ring[0::2], ring[1::2]
            n = len(xs)
            total += abs(sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i]
                             for i in range(n))) / 2
        return total
    if isinstance(ann, Mask):
        from annoformat import masks  # numpy + pycocotools: only when a mask needs it

        return float(masks.area(ann.counts, ann.height, ann.width))
    return None


def enclosing_box(ann: Polygon) -> tuple[float, float, float, float]:
    """The tight ``(x, y, w, h)`` around every ring of a polygon."""
    xs = [v for ring in ann.rings for v in ring[0::2]]
    ys = [v for ring in ann.rings for v in ring[1::2]]
    if not xs:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def same_value(stored: float, derived: float | None) -> bool:
    """Equal up to float noise (the derivation may add terms in another order)."""
    return derived is not None and math.isclose(stored, derived, rel_tol=1e-9, abs_tol=1e-9)
