"""YOLO label rows from IR annotations, for one task, with what each task cannot hold tallied.

Used by ``_write``: :class:`Rows` formats an item's annotations (normalised, ``precision``
decimals, checked against [0, 1], clipped only when asked) and :class:`Tally` counts what was
approximated or dropped so that the writer reports it (AF516, AF517, AF507).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annoformat.diagnostics import Report
from annoformat.formats.yolo._rows import rotated_to_corners
from annoformat.model import BBox, Item, Keypoints, Polygon, RotatedBBox

MAX_IDS = 20
GEOMETRY = ("bbox", "polygon", "rotated_bbox", "keypoints")
_ENCLOSING = ("polygon", "its enclosing box")


@dataclass
class Tally:
    """Counts and (the first few) ids of what the writer approximated or dropped."""

    approximated: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    dropped: dict[str, list[Any]] = field(default_factory=dict)
    ids_lost: int = 0
    items_renamed: int = 0
    areas: int = 0
    stored_boxes: int = 0
    clipped: int = 0

    def approx(self, kind: str, target: str, where: str) -> None:
        _count(self.approximated.setdefault((kind, target), [0, []]), where)

    def drop(self, kind: str, where: str) -> None:
        _count(self.dropped.setdefault(kind, [0, []]), where)


def _count(entry: list[Any], where: str) -> None:
    entry[0] += 1
    if len(entry[1]) < MAX_IDS:
        entry[1].append(where)


def ids_of(entry: list[Any]) -> list[str]:
    ids: list[str] = entry[1]
    return ids + (["..."] if entry[0] > len(ids) else [])


class Rows:
    """Formats one item's annotations as label rows for one task."""

    def __init__(self, task: str, precision: int, clip: bool, kpt: tuple[int, int] | None,
                 report: Report, tally: Tally) -> None:
        self.task = task
        self.fmt = f"%.{precision}f"
        self.fmt5 = "%d" + f" %.{precision}f" * 4
        self.clip = clip
        self.kpt = kpt
        self.report = report
        self.tally = tally
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
        index, tally, fmt = self.index, self.tally, self.fmt5
        approximated = tally.approximated
        for ann in item.annotations:
            kind = ann.type
            ci = index.get(ann.label) if ann.label is not None else None
            row = None
            area = None
            if ci is not None and not self.clip and ann.score is None:
                if isinstance(ann, BBox):
                    x, y, bw, bh = ann.x, ann.y, ann.w, ann.h
                    area = ann.area
                elif isinstance(ann, Polygon) and ann.bbox is not None:
                    x, y, bw, bh = ann.bbox
                    area = ann.area
                else:
                    ci = None
                if ci is not None:
                    cx, cy, nw, nh = (x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h
                    if (0.0 <= cx <= 1.0 and 0.0 <= cy <= 1.0 and 0.0 < nw <= 1.0
                            and 0.0 < nh <= 1.0):
                        row = fmt % (ci, cx, cy, nw, nh)
                        if kind == "polygon":
                            entry = approximated.get(_ENCLOSING)
                            if entry is None or len(entry[1]) < MAX_IDS:
                                tally.approx(kind, "its enclosing box", f"{item.id}/{ann.id}")
                            else:
                                entry[0] += 1
                            if area is not None:
                                tally.areas += 1
                        elif area is not None and area != bw * bh:
                            tally.areas += 1
            if row is None:
                if kind in GEOMETRY and ann.label in index:
                    row = self._row([ann], item, w, h)
                elif kind == "tag":
                    tally.drop("tag", f"{item.id}/{ann.id}")
                if row is None:
                    continue
            if ann.id is not None and ann.id != len(rows) + 1:
                tally.ids_lost += 1
            rows.append(row)
        return rows

    def item_rows(self, item: Item, w: int, h: int) -> list[str]:
        if self.task == "detect":
            return self.detect_rows(item, w, h)
        rows: list[str] = []
        groups: list[list[Any]] = []
        pairs: dict[tuple[Any, Any], list[Any]] = {}
        for ann in item.annotations:
            if ann.type not in GEOMETRY or ann.label not in self.index:
                if ann.type == "tag":
                    self.tally.drop("tag", f"{item.id}/{ann.id}")
                continue
            if self.task == "pose" and ann.id is not None and ann.type in ("bbox", "keypoints"):
                group = pairs.get((ann.id, ann.label))
                if group is not None and len(group) == 1 and group[0].type != ann.type:
                    group.append(ann)
                    continue
                pairs[(ann.id, ann.label)] = group = [ann]
                groups.append(group)
            else:
                groups.append([ann])
        for group in groups:
            if self.task == "segment" and isinstance(group[0], Polygon):
                new = self._polygon_rows(group[0], item, w, h)
            else:
                row = self._row(group, item, w, h)
                new = [row] if row is not None else []
            if new:
                for ann in group:
                    if ann.id is not None and ann.id != len(rows) + 1:
                        self.tally.ids_lost += 1
                rows += new
        return rows

    def _polygon_rows(self, ann: Polygon, item: Item, w: int, h: int) -> list[str]:
        where = f"{item.id}/{ann.id}"
        if ann.area is not None:
            self.tally.areas += 1
        if ann.bbox is not None:
            self.tally.stored_boxes += 1
        if len(ann.rings) != 1:
            self.tally.approx("polygon with several rings", "one row per ring", where)
        out = []
        for ring in ann.rings:
            row = self._points_row(ann, list(ring), item, w, h, where)
            if row is None:
                return []
            out.append(row)
        return out

    def _row(self, group: list[Any], item: Item, w: int, h: int) -> str | None:
        ann = group[0]
        where = f"{item.id}/{ann.id}"
        task, tally = self.task, self.tally
        kind = ann.type
        area = getattr(ann, "area", None)
        if area is not None and not (isinstance(ann, BBox) and area == ann.w * ann.h):
            tally.areas += 1
        if task == "segment":
            if kind == "keypoints":
                tally.drop(kind, where)
                return None
            if isinstance(ann, BBox):
                tally.approx(kind, "4-point polygon", where)
                pts = [ann.x, ann.y, ann.x + ann.w, ann.y, ann.x + ann.w, ann.y + ann.h,
                       ann.x, ann.y + ann.h]
            else:
                tally.approx(kind, "4-point polygon", where)
                pts = rotated_to_corners(ann.x, ann.y, ann.w, ann.h, ann.rotation)
            return self._points_row(ann, pts, item, w, h, where)
        if task == "obb":
            if isinstance(ann, RotatedBBox):
                pts = rotated_to_corners(ann.x, ann.y, ann.w, ann.h, ann.rotation)
            elif kind == "keypoints":
                tally.drop(kind, where)
                return None
            else:
                box = self._box(ann, item, where)
                tally.approx(kind, "oriented box at 0 degrees", where)
                pts = rotated_to_corners(box[0], box[1], box[2], box[3], 0.0)
            return self._points_row(ann, pts, item, w, h, where)
        if task == "pose" and kind in ("polygon", "rotated_bbox"):
            tally.drop(kind, where)
            return None
        bbox_ann = next((a for a in group if isinstance(a, BBox)), None)
        kp_ann = next((a for a in group if isinstance(a, Keypoints)), None)
        if task == "detect" and kp_ann is not None:
            tally.drop("keypoints", where)
        if bbox_ann is not None:
            box = (bbox_ann.x, bbox_ann.y, bbox_ann.w, bbox_ann.h)
        else:
            box = self._box(ann, item, where)
        x, y, bw, bh = box
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
            assert self.kpt is not None
            kp = self._keypoints(kp_ann, item, w, h, where)
            if kp is None:
                return None
            text += " " + kp
        score = ann.score if ann.score is not None else (kp_ann.score if kp_ann else None)
        if score is not None:
            text += " " + repr(float(score))
        return text

    def _box(self, ann: Any, item: Item, where: str) -> tuple[float, float, float, float]:
        """An axis-aligned box for an annotation that is not a BBox (reported as needed)."""
        kind = ann.type
        if isinstance(ann, BBox):
            return ann.x, ann.y, ann.w, ann.h
        raw = getattr(ann, "bbox", None)
        stored = (float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3])) if raw else None
        if isinstance(ann, Keypoints) and stored is not None:
            return stored
        if self.task != "pose" or not isinstance(ann, Keypoints):
            self.tally.approx(kind, "its enclosing box", where)
        if stored is not None:
            return stored
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
            self.tally.clipped += 1
            self.report.add("AF332", item_id=item.id, annotation_id=ann.id,
                            before=[x, y, bw, bh], after=list(out))
        return out

    def _points_row(self, ann: Any, pts: list[float], item: Item, w: int, h: int,
                    where: str) -> str | None:
        if self.clip:
            clipped = [min(max(v, 0.0), w if k % 2 == 0 else h) for k, v in enumerate(pts)]
            if clipped != pts:
                self.tally.clipped += 1
                self.report.add("AF332", item_id=item.id, annotation_id=ann.id, before=pts,
                                after=clipped)
                pts = clipped
        vals = [v / (w if k % 2 == 0 else h) for k, v in enumerate(pts)]
        if not self._check(vals, item, ann, "points"):
            return None
        text = f"{self.index[ann.label]} {self._num(vals)}"
        if ann.score is not None:
            text += " " + repr(float(ann.score))
        return text

    def _keypoints(self, kp: Keypoints | None, item: Item, w: int, h: int,
                   where: str) -> str | None:
        assert self.kpt is not None
        count, dim = self.kpt
        if kp is None:
            return " ".join(["0"] * (count * dim))
        points, vis = list(kp.points), list(kp.visibility)
        if self.clip:
            clipped = [min(max(v, 0.0), w if k % 2 == 0 else h) for k, v in enumerate(points)]
            if clipped != points:
                self.tally.clipped += 1
                self.report.add("AF332", item_id=item.id, annotation_id=kp.id, before=points,
                                after=clipped)
                points = clipped
        if not any(vis) and not any(points):
            self.tally.approx("keypoints with no labelled point", "a plain box", where)
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
            else:
                if v == 1:
                    self.tally.approx("keypoint visibility 1", "visible (kpt_shape [K, 2])",
                                      where)
                parts += (fmt % (x + 0.0), fmt % (y + 0.0))
        return " ".join(parts)
