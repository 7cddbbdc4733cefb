"""COCO-style RLE masks through pycocotools (never a hand-written codec).

RLE runs are column-major (Fortran order), alternating 0s and 1s, starting with 0s.

Example:
    >>> import numpy as np
    >>> m = np.zeros((2, 3), dtype=np.uint8); m[0, 1] = 1
    >>> counts = encode(m)
    >>> int(decode(counts, 2, 3).sum()), area(counts, 2, 3)
    (1, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as _coco_mask


def _rle(counts: str | list[int], height: int, width: int) -> dict[str, Any]:
    if isinstance(counts, list):
        out: dict[str, Any] = _coco_mask.frPyObjects(
            {"size": [height, width], "counts": counts}, height, width)
        return out
    return {"size": [height, width], "counts": counts.encode("ascii")}


def decode(counts: str | list[int], height: int, width: int) -> np.ndarray[Any, Any]:
    """The ``height`` x ``width`` uint8 mask of compressed or uncompressed RLE ``counts``."""
    arr: np.ndarray[Any, Any] = _coco_mask.decode(_rle(counts, height, width))
    return arr


def encode(mask: np.ndarray[Any, Any]) -> str:
    """Compressed RLE string of a 2-D binary mask."""
    rle = _coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    counts: bytes = rle["counts"]
    return counts.decode("ascii")


def area(counts: str | list[int], height: int, width: int) -> int:
    """Number of foreground pixels."""
    return int(_coco_mask.area(_rle(counts, height, width)))


def to_bbox(counts: str | list[int], height: int, width: int) -> tuple[float, float, float, float]:
    """Tight box ``x, y, w, h`` around the foreground."""
    x, y, w, h = _coco_mask.toBbox(_rle(counts, height, width)).tolist()
    return float(x), float(y), float(w), float(h)


def compressed_problem(counts: str, height: int, width: int) -> str | None:
    """Why a compressed RLE string is invalid, or None.

    pycocotools decodes some corrupt strings without complaint (an empty string yields
    garbage), so a string is accepted only if it re-encodes to itself: every valid encoding
    is canonical.
    """
    try:
        again = encode(decode(counts, height, width))
    except (ValueError, UnicodeEncodeError) as exc:
        return str(exc)
    if again != counts:
        return "compressed counts do not decode to a mask of the declared size"
    return None
