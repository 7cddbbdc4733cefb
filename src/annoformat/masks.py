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


def rings(mask: np.ndarray[Any, Any]) -> list[tuple[list[float], float]]:
    """The boundary of a binary mask as closed rings along pixel edges, ``[(flat_xy, area)]``.

    Pixel ``(x, y)`` covers the square ``[x, x + 1] x [y, y + 1]``, so a ring's corners are
    whole numbers and its area counts pixels exactly. Outer boundaries have a positive area,
    holes a negative one; largest first. Diagonal neighbours are separate parts (4-connected).

    Example:
        >>> m = np.zeros((3, 4), dtype=np.uint8); m[1, 1:3] = 1
        >>> rings(m)
        [([1.0, 1.0, 3.0, 1.0, 3.0, 2.0, 1.0, 2.0], 2.0)]
    """
    p = np.pad(mask.astype(bool), 1)
    # directed edges with the foreground on their right (image coordinates, y down)
    out: dict[tuple[int, int], list[tuple[int, int]]] = {}
    rows, cols = np.nonzero(p[:-1, 1:-1] != p[1:, 1:-1])  # horizontal edges at corner row y
    for y, x in zip(rows.tolist(), cols.tolist(), strict=True):
        if p[y + 1, x + 1]:  # foreground below: walk +x
            out.setdefault((x, y), []).append((x + 1, y))
        else:
            out.setdefault((x + 1, y), []).append((x, y))
    rows, cols = np.nonzero(p[1:-1, :-1] != p[1:-1, 1:])  # vertical edges at corner column x
    for y, x in zip(rows.tolist(), cols.tolist(), strict=True):
        if p[y + 1, x]:  # foreground on the left: walk +y
            out.setdefault((x, y), []).append((x, y + 1))
        else:
            out.setdefault((x, y + 1), []).append((x, y))
    found = []
    while out:
        start = next(iter(out))
        loop = [start]
        here, came = start, None
        while True:
            nexts = out[here]
            if len(nexts) == 1:
                step = nexts.pop()
            else:  # a saddle (two pixels touching at a corner): turn right, parts stay apart
                step = max(nexts, key=lambda n: _right_turn(came, here, n))
                nexts.remove(step)
            if not nexts:
                del out[here]
            came, here = here, step
            if here == start:
                break
            loop.append(here)
        corners = _corners(loop)
        flat = [float(v) for xy in corners for v in xy]
        found.append((flat, _signed_area(corners)))
    return sorted(found, key=lambda r: -abs(r[1]))


def _right_turn(came: tuple[int, int] | None, here: tuple[int, int],
                nxt: tuple[int, int]) -> int:
    if came is None:
        return 0
    dx1, dy1 = here[0] - came[0], here[1] - came[1]
    dx2, dy2 = nxt[0] - here[0], nxt[1] - here[1]
    return dx1 * dy2 - dy1 * dx2  # > 0: a right turn with y pointing down


def _corners(loop: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The loop without the points where it goes straight on."""
    n = len(loop)
    keep = []
    for i, (x, y) in enumerate(loop):
        px, py = loop[i - 1]
        nx, ny = loop[(i + 1) % n]
        if (x - px) * (ny - y) - (y - py) * (nx - x) != 0:
            keep.append((x, y))
    return keep


def _signed_area(points: list[tuple[int, int]]) -> float:
    n = len(points)
    return sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
               for i in range(n)) / 2
