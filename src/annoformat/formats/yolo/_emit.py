"""YOLO label rows from IR annotations, for one task.

Used by ``_write``: :class:`Rows` formats an item's annotations (normalised, ``precision``
decimals, checked against [0, 1], clipped only when asked). What each annotation becomes in the
task is decided by ``_task.fate``, the same decision the loss plan stated (AF516, AF517).
"""

from __future__ import annotations

from typing import Any

from annoformat.diagnostics import Report
from annoformat.formats.yolo._common import GEOMETRY
from annoformat.formats.yolo._rows import rotated_to_corners
from annoformat.formats.yolo._task import fate, joined, mask_outline, row_groups, shadowed
from annoformat.model import BBox, Item, Keypoints, Mask, Polygon, RotatedBBox


class Rows:
    """Formats one item's annotations as label rows for one task."""

    def __init__(self, task: str, precision: int, clip: bool, kpt: tuple[int, int] | None,
                 report: Report, scores: bool = False) -> None:
        self.task = task
        self.scores = scores  # a score column after each row (predictions, not training)
        self.fmt = f"%.{precision}f"
        self.fmt5 = "%d" + f" %.{precision}f" * 4
        self.clip = clip
        self.kpt = kpt
        self.report = report
        self.index: dict[str, int] = {}

    def _num(self, values: list[float]) -> str:
        fmt = self.fmt
        return " ".join([fmt % (v + 0.0) for v in values])

    def _check(self, values: list[float], item: Item, ann: Any, where: str) -> bool:
        """True when every normalised value is in [0, 1] (AF331 otherwise)."""
        for v in values:
            if not 0.0 <= v <= 1.0:
                self.report.add("AF331", item_id=item.id, annotation_id=ann.id, value=v,
                                where=where)
                return False
        return True

    def detect_rows(self, item: Item, w: int, h: int) -> list[str]:
        """Detect rows, with the plain box (and COCO's polygon with its stored box) inlined;
        anything else goes through :meth:`_row`, which says the same in more steps."""
        rows: list[str] = []
        index, fmt = self.index, self.fmt5
        twice = shadowed(item, "detect")
        for ann in item.annotations:
            ci = index.get(ann.label) if ann.label is not None else None
            if ci is None or (twice and id(ann) in twice) or getattr(ann, "crowd", None):
                continue
            row = None
            if not self.clip and (ann.score is None or not self.scores):
                box = None
                if isinstance(ann, BBox):
                    box = ann.x, ann.y, ann.w, ann.h
                elif isinstance(ann, Polygon) and ann.bbox is not None:
                    box = ann.bbox
                if box is not None:
                    x, y, bw, bh = box
                    cx, cy, nw, nh = (x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h
                    if (0.0 <= cx <= 1.0 and 0.0 <= cy <= 1.0 and 0.0 < nw <= 1.0
                            and 0.0 < nh <= 1.0):
                        row = fmt % (ci, cx, cy, nw, nh)
            if row is None and ann.type in GEOMETRY and fate(ann, "detect")[0] != "drop":
                row = self._row([ann], item, w, h)
            if row is not None:
                rows.append(row)
        return rows

    def item_rows(self, item: Item, w: int, h: int) -> list[str]:
        if self.task == "detect":
            return self.detect_rows(item, w, h)
        rows: list[str] = []
        for group in row_groups(item, self.task, self.index):
            group = [ann for ann in group if fate(ann, self.task)[0] != "drop"]
            if not group:
                continue
            if self.task == "segment" and isinstance(group[0], (Polygon, Mask)):
                first = group[0]
                pts = (list(first.rings[0]) if len(first.rings) == 1 else joined(first.rings)
                       ) if isinstance(first, Polygon) else mask_outline(first)[0]
                row = self._points_row(first, pts, item, w, h) if pts else None
                if row is not None:
                    rows.append(row)
            else:
                row = self._row(group, item, w, h)
                if row is not None:
                    rows.append(row)
        return rows

    def _row(self, group: list[Any], item: Item, w: int, h: int) -> str | None:
        ann = group[0]
        task = self.task
        if task == "segment":
            if isinstance(ann, BBox):
                pts = [ann.x, ann.y, ann.x + ann.w, ann.y, ann.x + ann.w, ann.y + ann.h,
                       ann.x, ann.y + ann.h]
            else:
                pts = rotated_to_corners(ann.x, ann.y, ann.w, ann.h, ann.rotation)
            return self._points_row(ann, pts, item, w, h)
        if task == "obb":
            if isinstance(ann, RotatedBBox):
                pts = rotated_to_corners(ann.x, ann.y, ann.w, ann.h, ann.rotation)
            else:
                box = self._box(ann)
                pts = rotated_to_corners(box[0], box[1], box[2], box[3], 0.0)
            return self._points_row(ann, pts, item, w, h)
        bbox_ann = next((a for a in group if isinstance(a, BBox)), None)
        kp_ann = next((a for a in group if isinstance(a, Keypoints)), None)
        x, y, bw, bh = self._box(bbox_ann if bbox_ann is not None else ann)
        if self.clip:
            x, y, bw, bh = self._clip_box(x, y, bw, bh, w, h, item, ann)
        vals = [(x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h]
        if not self._check(vals, item, ann, "box"):
            return None
        if bw <= 0 or bh <= 0:
            self.report.add("AF302", item_id=item.id, annotation_id=ann.id, w=bw, h=bh)
            return None
        text = f"{self.index[ann.label]} {self._num(vals)}"
        if task == "pose":
            kp = self._keypoints(kp_ann, item, w, h)
            if kp is None:
                return None
            text += " " + kp
        score = ann.score if ann.score is not None else (kp_ann.score if kp_ann else None)
        if score is not None and self.scores:
            text += " " + repr(float(score))
        return text

    @staticmethod
    def _box(ann: Any) -> tuple[float, float, float, float]:
        """An axis-aligned box: the box itself, a stored one, else the enclosing one."""
        if isinstance(ann, BBox):
            return ann.x, ann.y, ann.w, ann.h
        raw = getattr(ann, "bbox", None)
        if raw:
            return float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3])
        if isinstance(ann, Mask):
            from annoformat import masks  # numpy + pycocotools: only when a mask needs it

            return masks.to_bbox(ann.counts, ann.height, ann.width)
        if isinstance(ann, RotatedBBox):
            pts = rotated_to_corners(ann.x, ann.y, ann.w, ann.h, ann.rotation)
        elif isinstance(ann, Polygon):
            pts = [v for ring in ann.rings for v in ring]
        else:
            pts = [v for k, v in enumerate(ann.points) if ann.visibility[k // 2]]
        if not pts:
            return 0.0, 0.0, 0.0, 0.0
        xs, ys = pts[0::2], pts[1::2]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)

    def _clip_box(self, x: float, y: float, bw: float, bh: float, w: int, h: int, item: Item,
                  ann: Any) -> tuple[float, float, float, float]:
        x1, y1 = min(max(x, 0.0), w), min(max(y, 0.0), h)
        x2, y2 = min(max(x + bw, 0.0), w), min(max(y + bh, 0.0), h)
        out = (x1, y1, x2 - x1, y2 - y1)
        if out != (x, y, bw, bh):
            self.report.add("AF332", item_id=item.id, annotation_id=ann.id,
                            before=[x, y, bw, bh], after=list(out))
        return out

    def _points_row(self, ann: Any, pts: list[float], item: Item, w: int,
                    h: int) -> str | None:
        if self.clip:
            clipped = [min(max(v, 0.0), w if k % 2 == 0 else h) for k, v in enumerate(pts)]
            if clipped != pts:
                self.report.add("AF332", item_id=item.id, annotation_id=ann.id, before=pts,
                                after=clipped)
                pts = clipped
        vals = [v / (w if k % 2 == 0 else h) for k, v in enumerate(pts)]
        if not self._check(vals, item, ann, "points"):
            return None
        text = f"{self.index[ann.label]} {self._num(vals)}"
        if ann.score is not None and self.scores:
            text += " " + repr(float(ann.score))
        return text

    def _keypoints(self, kp: Keypoints | None, item: Item, w: int, h: int) -> str | None:
        assert self.kpt is not None
        count, dim = self.kpt
        if kp is None:
            return " ".join(["0"] * (count * dim))
        points, vis = list(kp.points), list(kp.visibility)
        if self.clip:
            clipped = [min(max(v, 0.0), w if k % 2 == 0 else h) for k, v in enumerate(points)]
            if clipped != points:
                self.report.add("AF332", item_id=item.id, annotation_id=kp.id, before=points,
                                after=clipped)
                points = clipped
        parts: list[str] = []
        fmt = self.fmt
        for k, v in enumerate(vis):
            x, y = points[2 * k] / w, points[2 * k + 1] / h
            if not self._check([x, y], item, kp, "keypoint"):
                return None
            if dim == 3:
                parts += (fmt % (x + 0.0), fmt % (y + 0.0), str(v))
            elif v == 0:
                parts += ("0", "0")
            else:  # [K, 2]: visibility 1 is written as visible (the plan says so, AF516)
                parts += (fmt % (x + 0.0), fmt % (y + 0.0))
        return " ".join(parts)
