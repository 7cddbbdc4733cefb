"""YOLO label rows <-> IR annotations, with the geometry conventions of the format.

Rows (whitespace-separated, one object per non-blank line; values normalised by the image
width for x and height for y):

* detect   ``c cx cy w h``                         -> BBox
* segment  ``c x1 y1 x2 y2 x3 y3 ...`` (>= 3 pts)   -> Polygon (one ring)
* obb      ``c x1 y1 x2 y2 x3 y3 x4 y4``            -> RotatedBBox (see below)
* pose     ``c cx cy w h`` + K x (``x y`` | ``x y v``) -> BBox + Keypoints sharing one id
* any row may end with a confidence column (IR ``score``): unambiguous for detect (6 columns),
  obb (10) and pose (6 + K*d); segment rows take one only with the option ``scores=True``.

Every annotation of a row gets ``id`` = the row's ordinal among non-blank rows (1-based), so a
pose row's box and keypoints share it (as COCO's do) and the writer can tell which ids it keeps.

OBB mapping (tested both ways): the IR ``RotatedBBox`` is the box ``x, y, w, h`` turned
``rotation`` degrees clockwise on screen (y down) about its centre ``c``. Its corners, written
in this order, are ``c + R(rotation) . d`` for ``d`` = (-w/2, -h/2), (w/2, -h/2), (w/2, h/2),
(-w/2, h/2) with ``R(t) = [[cos t, -sin t], [sin t, cos t]]``: top-left, top-right,
bottom-right, bottom-left before rotation. Read back: ``c`` = mean of the corners, ``w`` and
``h`` = the mean lengths of the sides p1p2/p4p3 and p2p3/p1p4, ``rotation`` = the direction of
p1 -> p2 in [0, 360) (averaged with p4 -> p3 and the other sides turned back by 90 degrees, so
that a thin box's angle is not taken from its short side alone). Four corners that are
not a rectangle (within the printed precision) are read as a 4-point Polygon (AF334).

De-normalised values within ``1e-6`` x the image side of a whole pixel are snapped to it
(option ``snap``): that is the rounding error of 6-decimal files, so integer pixel boxes survive
IR -> YOLO -> IR exactly for images narrower than 500,000 pixels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from math import floor
from typing import Any, Protocol

from annoformat.checks import EPSILON, check_box
from annoformat.model import BBox, Keypoints, Polygon, RotatedBBox, defaults_of, trusted

_BASE_BBOX = defaults_of(BBox)
_BASE_POLY = defaults_of(Polygon)
_BASE_ROT = defaults_of(RotatedBBox)
_BASE_KP = defaults_of(Keypoints)
_TOKEN = re.compile(r"\S+")
SNAP = 1e-6
TOLERANCE = 0.01  # Ultralytics' verify_image_label: [-0.01, 1.01]


class Adds(Protocol):
    """Where diagnostics go: a ``Report``, or a per-file list replayed into one later."""

    def add(self, code: str, **ctx: Any) -> Any:
        """Record diagnostic ``code`` with its location and template fields."""


@dataclass
class RowContext:
    """What every row of a dataset is read with."""

    names: Sequence[str]
    task: str  # auto, detect, segment, obb, pose
    kpt_shape: tuple[int, int] | None
    scores: bool | None
    snap: bool
    report: Adds
    #: inline the plain 5-column row (tests turn it off to check both paths agree)
    fast: bool = True


def _column(line: str, index: int) -> int:
    """1-based character column of whitespace-separated field ``index`` (0-based)."""
    for i, m in enumerate(_TOKEN.finditer(line)):
        if i == index:
            return m.start() + 1
    return 1


def _shape(n: int, ctx: RowContext) -> tuple[str, bool] | str:
    """The row kind and whether it has a score, or the expected column counts as text."""
    task = ctx.task
    if n in (5, 6) and (n == 5 or ctx.scores is not False):
        return "bbox", n == 6
    if task == "pose" and ctx.kpt_shape is not None:
        size = 5 + ctx.kpt_shape[0] * ctx.kpt_shape[1]
        if n == size or (n == size + 1 and ctx.scores is not False):
            return "pose", n == size + 1
        return f"5 or {size} (+1 with a score)"
    if task == "obb":
        if n == 9 or (n == 10 and ctx.scores is not False):
            return "obb", n == 10
        return "5 or 9 (+1 with a score)"
    if task == "detect":
        return "5 (+1 with a score)"
    if n >= 7:
        if n % 2:
            return "polygon", False
        if ctx.scores:
            return "polygon", True
        return "an odd number >= 7 (class + x, y pairs; pass scores=True for a score column)"
    return "5, or an odd number >= 7 for a polygon"


def _keys_of(cls: type[Any], **values: Any) -> dict[str, Any]:
    """A dict of every field of ``cls`` (in field order; ``values``, else None) whose copies
    share one key table: CPython keeps an instance ``__dict__`` "split" (keys stored once per
    class, values per object), and ``dict.copy`` and assigning existing keys keep it so. A
    box's dict then takes 296 bytes, not 464 (COCO-2017 train: 860k boxes, ~140 MB)."""
    holder = type("_Keys", (), {})()  # a class of its own: its key table holds these keys only
    for name in cls.model_fields:
        setattr(holder, name, values.get(name))
    keys: dict[str, Any] = holder.__dict__
    return keys


_BOX_KEYS = _keys_of(BBox, **_BASE_BBOX)
_POLY_KEYS = _keys_of(Polygon, **_BASE_POLY)


def build_rows(rows: list[Any], names: Sequence[str]) -> list[Any]:
    """IR annotations of the compact rows :func:`parse_compact` gives, in row order.

    A row is ``(class, ordinal, x, y, w, h)`` (a plain box, pixels), ``(class, ordinal,
    ring)`` (a polygon without a score) or ``(model class, fields)`` (anything else)."""
    out: list[Any] = []
    append = out.append
    for row in rows:
        n = len(row)
        if n == 6:
            d = _BOX_KEYS.copy()
            d["label"], d["id"], d["x"], d["y"], d["w"], d["h"] = (
                names[row[0]], row[1], row[2], row[3], row[4], row[5])
            d["attributes"], d["extras"] = {}, {}
            append(trusted(BBox, d))
        elif n == 3:
            d = _POLY_KEYS.copy()
            d["label"], d["id"], d["rings"] = names[row[0]], row[1], [row[2]]
            d["attributes"], d["extras"] = {}, {}
            append(trusted(Polygon, d))
        else:
            append(trusted(row[0], row[1]))
    return out


def parse_rows(text: str, path: str, width: int | None, height: int | None, item_id: str,
               ctx: RowContext) -> list[Any] | None:
    """IR annotations of one label file; None when it has rows but the size is unknown."""
    rows = parse_compact(text, path, width, height, item_id, ctx)
    return None if rows is None else build_rows(rows, ctx.names)


def parse_compact(text: str, path: str, width: int | None, height: int | None, item_id: str,
                  ctx: RowContext) -> list[Any] | None:
    """The rows of one label file in the compact form :func:`build_rows` takes (plain values:
    they pickle small); None when it has rows but the size is unknown. Diagnostics go to
    ``ctx.report``."""
    report = ctx.report
    names = ctx.names
    nc = len(names)
    out: list[Any] = []
    ordinal = 0
    snap = ctx.snap
    fast = ctx.fast and ctx.task != "pose"
    tol_w = SNAP * width if width else 0.0
    tol_h = SNAP * height if height else 0.0
    # sides up to 100,000 px: value x 10**10 stays below 2**52, where _exact's units are exact
    small = bool(width and height and width <= 100_000 and height <= 100_000)
    for lineno, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        ordinal += 1
        if width is None or height is None:
            return None
        if fast and len(fields) == 5 and "_" not in line:
            # the common detect row, inlined; anything unusual falls through to the full path
            cls = fields[0]
            try:
                cx, cy = float(fields[1]), float(fields[2])
                bw, bh = float(fields[3]), float(fields[4])
                ci = int(cls) if cls.isascii() and cls.isdigit() else nc
            except ValueError:
                cx, ci = math.nan, nc
            if (ci < nc and 0.0 <= cx <= 1.0 and 0.0 <= cy <= 1.0 and 0.0 < bw <= 1.0
                    and 0.0 < bh <= 1.0):
                x, y = (cx - bw / 2) * width, (cy - bh / 2) * height
                w, h = bw * width, bh * height
                # no float noise: 0.904 x 100 is 90.4, not 90.39999... (see _exact; inlined:
                # COCO-2017 has 860k rows; a token without "." only overestimates, harmless)
                f1, f2, f3, f4 = fields[1], fields[2], fields[3], fields[4]
                most = max(len(f1) - f1.find("."), len(f2) - f2.find("."),
                          len(f3) - f3.find("."), len(f4) - f4.find(".")) - 1
                if most <= 9 and small and "e" not in line and "E" not in line:
                    s1, s0 = _POW10[most + 1], _POW10[most]
                    x, y = floor(x * s1 + 0.5) / s1, floor(y * s1 + 0.5) / s1
                    w, h = floor(w * s0 + 0.5) / s0, floor(h * s0 + 0.5) / s0
                if snap:
                    r = round(x)
                    x = float(r) if abs(x - r) <= tol_w else x
                    r = round(y)
                    y = float(r) if abs(y - r) <= tol_h else y
                    r = round(w)
                    w = float(r) if abs(w - r) <= tol_w else w
                    r = round(h)
                    h = float(r) if abs(h - r) <= tol_h else h
                # a size snapped to 0 (AF302) or a box past the border take the full path
                if (w > 0 and h > 0 and x >= -EPSILON and y >= -EPSILON
                        and x + w <= width + EPSILON and y + h <= height + EPSILON):
                    out.append((ci, ordinal, x, y, w, h))
                    continue
        shape = _shape(len(fields), ctx)
        if isinstance(shape, str):
            report.add("AF033", path=path, line=lineno, column=1, item_id=item_id,
                       count=len(fields), task=ctx.task, expected=shape)
            continue
        kind, has_score = shape
        cls = fields[0]
        if not (cls.isascii() and cls.isdigit()):
            report.add("AF217", path=path, line=lineno, column=_column(line, 0), item_id=item_id,
                       value=cls)
            continue
        ci = int(cls)
        if ci >= nc:
            report.add("AF216", path=path, line=lineno, column=_column(line, 0), item_id=item_id,
                       value=ci, last=nc - 1, count=nc)
            continue
        try:
            if "_" in line:
                raise ValueError
            vals = [float(t) for t in fields[1:]]
        except ValueError:
            _report_number(line, fields, path, lineno, item_id, report)
            continue
        if not all(math.isfinite(v) for v in vals):
            _report_number(line, fields, path, lineno, item_id, report)
            continue
        score = vals.pop() if has_score else None
        label = names[ci]
        if kind == "pose":
            assert ctx.kpt_shape is not None
            head = vals[:4]
            fit = _range(head, 1, line, path, lineno, item_id, report, clamp=False)
            bad = fit == "refused"
            tail = vals[4:]
            bad |= _pose_range(tail, ctx.kpt_shape[1], line, path, lineno, item_id, report)
            if bad:
                continue
            vals = (_clip_box(head) if fit == "tolerated" else head) + tail
        else:
            fit = _range(vals, 1, line, path, lineno, item_id, report, clamp=kind != "bbox")
            if fit == "refused":
                continue
            if fit == "tolerated" and kind == "bbox":
                vals[:4] = _clip_box(vals[:4])
        # a confidence column: a model's output (predictions), else nothing said
        common = {"label": label, "id": ordinal, "score": score,
                  "origin": "unknown" if score is None else "model"}
        if kind in ("bbox", "pose"):
            cx, cy, bw, bh = vals[0], vals[1], vals[2], vals[3]
            # (a box cut at the border has new values: no rounding to the written ones)
            dec = None if fit == "tolerated" else _decimals(fields, 1, 5)
            half = None if dec is None else dec + 1  # cx - w / 2: one decimal more
            x = _px(cx - bw / 2, width, snap, half)
            y = _px(cy - bh / 2, height, snap, half)
            w = _px(bw, width, snap, dec)
            h = _px(bh, height, snap, dec)
            findings = check_box(x, y, w, h, width, height)
            for f in findings:
                report.add(f.code, path=path, line=lineno, item_id=item_id,
                           annotation_id=ordinal, **f.ctx)
            if findings and findings[0].code == "AF302":
                continue
            out.append((BBox, {**_BASE_BBOX, **common, "x": x, "y": y, "w": w, "h": h}))
            if kind == "pose":
                assert ctx.kpt_shape is not None
                kp = _keypoints(vals[4:], ctx.kpt_shape[1], width, height, snap, line, path,
                                lineno, item_id, report)
                if kp is not None:
                    out.append((Keypoints, {**_BASE_KP, **common, "points": kp[0],
                                            "visibility": kp[1]}))
        elif kind == "polygon":
            # no float noise (see _exact): a token of n characters has at most n - 1 decimals,
            # a bound found in C (overestimating only rounds less); then snap, as _px does
            most = max(map(len, fields)) - 1
            if fit != "tolerated" and most <= 9 and small and "e" not in line and "E" not in line:
                sc = _POW10[most]
                ring = [floor(v * (height if i & 1 else width) * sc + 0.5) / sc
                        for i, v in enumerate(vals)]
                if snap:
                    ring = [float(r) if abs(p - (r := round(p))) <= (tol_h if i & 1 else tol_w)
                            else p for i, p in enumerate(ring)]
            else:
                ring = [_px(v, height if i % 2 else width, snap) for i, v in enumerate(vals)]
            if score is None:
                out.append((ci, ordinal, ring))
            else:
                out.append((Polygon, {**_BASE_POLY, **common, "rings": [ring]}))
        else:
            corners = [_px(v, height if i % 2 else width, snap) for i, v in enumerate(vals)]
            rect = corners_to_rotated(corners, width, height)
            if rect is None:
                report.add("AF334", path=path, line=lineno, item_id=item_id,
                           annotation_id=ordinal, sides=_sides(corners))
                out.append((Polygon, {**_BASE_POLY, **common, "rings": [corners]}))
            else:
                rx, ry, rw, rh, rot = rect
                out.append((RotatedBBox, {**_BASE_ROT, **common, "x": rx, "y": ry,
                                          "w": rw, "h": rh, "rotation": rot}))
    return out


_POW10 = [10.0 ** k for k in range(23)]


def _decimals(fields: list[str], start: int, stop: int) -> int | None:
    """The most decimals among ``fields[start:stop]``: a value times a whole number of pixels
    has no more, so rounding to them removes float noise exactly (None: an exponent, or more
    decimals than a double holds)."""
    most = 0
    for tok in fields[start:stop]:
        if "e" in tok or "E" in tok:
            return None
        dot = tok.find(".")
        if dot >= 0 and len(tok) - dot - 1 > most:
            most = len(tok) - dot - 1
    return most if most < 20 else None


def _exact(p: float, decimals: int) -> float:
    """``p`` rounded to ``decimals`` places: the double nearest that decimal (an integer over
    a power of ten is correctly rounded), 4x cheaper than ``round`` at millions of values."""
    scale = _POW10[decimals]
    q = p * scale
    if -4503599627370496.0 < q < 4503599627370496.0:  # 2**52: q's units are exact
        return math.floor(q + 0.5) / scale
    return p


def _px(v: float, side: int, snap: bool, decimals: int | None = None) -> float:
    p = v * side if decimals is None else _exact(v * side, decimals)
    if snap:
        r = round(p)
        if abs(p - r) <= SNAP * side:
            return float(r)
    return p


def _report_number(line: str, fields: list[str], path: str, lineno: int, item_id: str,
                   report: Adds) -> None:
    for i, tok in enumerate(fields[1:], start=1):
        try:
            ok = "_" not in tok and math.isfinite(float(tok))
        except ValueError:
            ok = False
        if not ok:
            report.add("AF032", path=path, line=lineno, column=_column(line, i),
                       item_id=item_id, field=i + 1, value=tok)
            return


def _range(vals: list[float], first_field: int, line: str, path: str, lineno: int,
           item_id: str, report: Adds, clamp: bool) -> str:
    """AF330 (row refused) outside Ultralytics' tolerance; AF336 (cut at the border) within it.

    Ultralytics' ``verify_image_label`` accepts coordinates in [-0.01, 1.01] and clips them to
    the image when it builds its instances; a file it trains on is read the same way here.
    Points are clamped (``clamp``); a box is cut at the border by the caller (``_clip_box``).
    """
    first_tolerated = None
    for i, v in enumerate(vals):
        if v < -TOLERANCE or v > 1.0 + TOLERANCE:
            report.add("AF330", path=path, line=lineno, column=_column(line, first_field + i),
                       item_id=item_id, value=v, field=first_field + i + 1)
            return "refused"
        if (v < 0.0 or v > 1.0) and first_tolerated is None:
            first_tolerated = i
    if first_tolerated is not None:
        i = first_tolerated
        report.add("AF336", path=path, line=lineno, column=_column(line, first_field + i),
                   item_id=item_id, value=vals[i], field=first_field + i + 1)
        if clamp:
            vals[:] = [min(max(v, 0.0), 1.0) for v in vals]
        return "tolerated"
    return "ok"


def _clip_box(box: list[float]) -> list[float]:
    """A centre box with a value past [0, 1] (AF336) cut at the border, as Ultralytics does."""
    cx, cy, bw, bh = box
    x1, x2 = max(cx - bw / 2, 0.0), min(cx + bw / 2, 1.0)
    y1, y2 = max(cy - bh / 2, 0.0), min(cy + bh / 2, 1.0)
    return [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]


def _pose_range(vals: list[float], dim: int, line: str, path: str, lineno: int, item_id: str,
                report: Adds) -> bool:
    """AF309 / AF330 refuse the row; keypoints within Ultralytics' tolerance are clamped (AF336)."""
    tolerated = None
    for i, v in enumerate(vals):
        if dim == 3 and i % 3 == 2:
            if v not in (0.0, 1.0, 2.0):
                report.add("AF309", path=path, line=lineno, column=_column(line, 5 + i),
                           item_id=item_id, value=v)
                return True
        elif v < -TOLERANCE or v > 1.0 + TOLERANCE:
            report.add("AF330", path=path, line=lineno, column=_column(line, 5 + i),
                       item_id=item_id, value=v, field=6 + i)
            return True
        elif (v < 0.0 or v > 1.0) and tolerated is None:
            tolerated = i
    if tolerated is not None:
        report.add("AF336", path=path, line=lineno, column=_column(line, 5 + tolerated),
                   item_id=item_id, value=vals[tolerated], field=6 + tolerated)
        for i, v in enumerate(vals):
            if not (dim == 3 and i % 3 == 2):
                vals[i] = min(max(v, 0.0), 1.0)
    return False


def _keypoints(vals: list[float], dim: int, width: int, height: int, snap: bool, line: str,
               path: str, lineno: int, item_id: str,
               report: Adds) -> tuple[list[float], list[int]] | None:
    """Points and visibility, or None when every point is absent (the row is a plain box)."""
    points: list[float] = []
    vis: list[int] = []
    for k in range(0, len(vals), dim):
        x, y = vals[k], vals[k + 1]
        v = int(vals[k + 2]) if dim == 3 else (0 if x == 0.0 and y == 0.0 else 2)
        points += (_px(x, width, snap), _px(y, height, snap))
        vis.append(v)
    if not any(vis) and not any(points):
        return None
    return points, vis


def corners_to_rotated(c: list[float], width: int,
                       height: int) -> tuple[float, float, float, float, float] | None:
    """``x, y, w, h, rotation`` of the rectangle with corners ``c`` (pixels), None if not one."""
    p = [(c[0], c[1]), (c[2], c[3]), (c[4], c[5]), (c[6], c[7])]
    s = [math.dist(p[i], p[(i + 1) % 4]) for i in range(4)]
    d1, d2 = math.dist(p[0], p[2]), math.dist(p[1], p[3])
    tol = 1e-5 * max(width, height) + 1e-9
    if abs(s[0] - s[2]) > tol or abs(s[1] - s[3]) > tol or abs(d1 - d2) > tol:
        return None
    # both "w" edges and both "h" edges (the latter turned back by 90 degrees) vote for the
    # direction: the angle then uses all four corners, not only the (maybe short) first edge
    ux = p[1][0] - p[0][0] + p[2][0] - p[3][0]
    uy = p[1][1] - p[0][1] + p[2][1] - p[3][1]
    vx = p[2][0] - p[1][0] + p[3][0] - p[0][0]
    vy = p[2][1] - p[1][1] + p[3][1] - p[0][1]
    w, h = math.hypot(ux, uy) / 2, math.hypot(vx, vy) / 2
    if w <= 0 or h <= 0:
        return None
    cx = (p[0][0] + p[1][0] + p[2][0] + p[3][0]) / 4
    cy = (p[0][1] + p[1][1] + p[2][1] + p[3][1]) / 4
    rot = math.degrees(math.atan2(uy - vx, ux + vy)) % 360.0
    if rot >= 360.0:  # -tiny % 360 rounds up to 360.0
        rot = 0.0
    return cx - w / 2, cy - h / 2, w, h, rot


def rotated_to_corners(x: float, y: float, w: float, h: float,
                       rotation: float) -> list[float]:
    """The 4 corners (pixels, flat) of an IR RotatedBBox in the order documented above."""
    cx, cy = x + w / 2, y + h / 2
    if rotation % 90 == 0:  # exact for the right angles (sin/cos of pi/2 are not)
        quarter = int(rotation % 360 // 90)
        cos, sin = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[quarter]
    else:
        t = math.radians(rotation)
        cos, sin = math.cos(t), math.sin(t)
    out: list[float] = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        out += (cx + cos * dx - sin * dy, cy + sin * dx + cos * dy)
    return out


def _sides(corners: list[float]) -> str:
    p = [(corners[i], corners[i + 1]) for i in range(0, 8, 2)]
    return ", ".join(f"{math.dist(p[i], p[(i + 1) % 4]):.6g}" for i in range(4))
