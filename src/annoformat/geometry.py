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
    mask pixel count (the models' ``pixel_area``); None for other kinds."""
    if isinstance(ann, (BBox, Polygon, Mask)):
        return ann.pixel_area
    return None


def enclosing_box(ann: Polygon) -> tuple[float, float, float, float]:
    """The tight ``(x, y, w, h)`` around every ring of a polygon (``Polygon.box``)."""
    return ann.box


def same_value(stored: float, derived: float | None) -> bool:
    """Equal up to float noise (the derivation may add terms in another order)."""
    return derived is not None and math.isclose(stored, derived, rel_tol=1e-9, abs_tol=1e-9)
