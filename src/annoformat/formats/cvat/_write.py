"""Writing the IR as CVAT XML (images 1.1 or video 1.1); see the package docstring."""

from __future__ import annotations

import itertools
import math
from typing import Any

from annoformat._io import is_safe_relative
from annoformat.diagnostics import Report
from annoformat.formats.cvat._common import (
    RING,
    RING_GROUP,
    attribute_text,
    fit_meta,
    frame_name,
    frame_of,
    int_ids,
    is_project,
    source_of,
    subset_text,
    subsets_of,
    written_labels,
)
from annoformat.formats.cvat._emit import Node, child, emit, quote_text
from annoformat.formats.cvat._meta import number_text, tight_box, write_tree
from annoformat.model import (
    BBox,
    Dataset,
    Ellipse,
    Image,
    Item,
    Keypoints,
    Label,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBBox,
    Tag,
    VideoFrame,
)
from annoformat.progress import track

_CUBOID = ("xtl1", "ytl1", "xbl1", "ybl1", "xtr1", "ytr1", "xbr1", "ybr1",
           "xtl2", "ytl2", "xbl2", "ybl2", "xtr2", "ytr2", "xbr2", "ybr2")
def _n(value: float) -> str:
    """CVAT's two decimals when they are exact (``10.50``), else the shortest exact text
    (rounded to 10 decimals, so that ``0.1 + 0.2`` is written ``0.3``)."""
    two = f"{value:.2f}"
    if float(two) == value and abs(value) < 1e15:
        return two
    value = round(value, 10)
    two = f"{value:.2f}"
    return two if float(two) == value and abs(value) < 1e15 else number_text(value)


def _pts(flat: list[float]) -> str:
    texts = [_n(v) for v in flat]
    return ";".join(map(",".join, zip(texts[0::2], texts[1::2], strict=False)))


def _cv(ann: Any) -> dict[str, Any]:
    found: dict[str, Any] = ann.extras.get("cvat", {})
    return found


class Writer:
    """Builds the XML tree for one dataset; loss the flavour forces is recorded as warnings."""

    def __init__(self, ds: Dataset, flavour: str, report: Report) -> None:
        self.ds = ds
        self.flavour = flavour
        self.report = report
        self.labels = {label.name: label for label in ds.labels}
        self.out: list[str] = []
        self.items = [i for i in ds.items if isinstance(i.media, (Image, VideoFrame))]
        self.subsets = subsets_of(self.items)
        self.next_group: int | None = None
        self.project = False

    # -- document ------------------------------------------------------------------------
    def build(self) -> str:
        """The whole document as text."""
        from lxml import etree

        ds = self.ds
        cvat = ds.extras.get("cvat", {})
        out = self.out = ['<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n']
        version = cvat.get("version") if "version" in cvat else "1.1"
        if version is not None:
            out.append(f"  <version>{quote_text(str(version))}</version>\n")
        labels = self._written_labels()
        if self.flavour == "video":
            meta_tree = cvat.get("meta") if "meta" in cvat else self._default_meta()
        else:  # the source's meta made to say the subsets, else CVAT's own for them
            meta_tree = (fit_meta(cvat["meta"], self.subsets) if "meta" in cvat
                         else self._images_meta())
            self.project = is_project(meta_tree, self.subsets)
        if meta_tree is not None:
            meta = etree.Element("meta")
            write_tree(meta, _with_labels(meta_tree) if labels else meta_tree, labels)
            etree.indent(meta, space="  ", level=1)
            out.append("  " + etree.tostring(meta, encoding="unicode") + "\n")
        if self.flavour == "video":
            self._video()
        else:
            self._images()
        out.append("</annotations>\n")
        return "".join(out)

    def _written_labels(self) -> list[Label]:
        """IR labels plus specs for attributes used but not declared (and undeclared labels)."""
        return written_labels(self.ds)[0]

    def _default_meta(self) -> list[Any]:
        items = self.ds.items
        task: list[Any] = [["name", "annoformat export"]]
        if self.flavour == "video":
            frames = sorted({frame_of(item, i) for i, item in enumerate(items)})
            step = _gcd_step(frames)
            size = (frames[-1] - frames[0]) // step + 1 if frames else 0
            task += [["size", str(size)], ["mode", "interpolation"]]
            if frames:
                task += [["start_frame", str(frames[0])], ["stop_frame", str(frames[-1])],
                         ["frame_filter", f"step={step}" if step > 1 else ""]]
            task.append(["labels", None])
            media = next((item.media for item in items if isinstance(item.media, VideoFrame)),
                         None)
            if media is not None and media.width and media.height:
                task.append(["original_size", [["width", str(media.width)],
                                               ["height", str(media.height)]]])
            if media is not None and media.path:
                task.append(["source", media.path])
        else:
            return self._images_meta()
        return [["task", task]]

    def _images_meta(self) -> list[Any]:
        """A task's meta for one subset or none, a project's for several (as CVAT exports)."""
        subsets, items = self.subsets, self.items
        if len(subsets) <= 1:
            task: list[Any] = [["name", "annoformat export"], ["size", str(len(items))],
                               ["mode", "annotation"]]
            if subsets and subsets[0] is not None:
                task.append(["subset", subsets[0]])
            return [["task", [*task, ["labels", None]]]]
        sizes: dict[str, int] = {}
        for item in items:
            name = subset_text(item.subset)
            sizes[name] = sizes.get(name, 0) + 1
        tasks = [["task", [["id", str(k)], ["name", name], ["size", str(size)],
                           ["mode", "annotation"], ["subset", name]]]
                 for k, (name, size) in enumerate(sizes.items())]
        return [["project", [["name", "annoformat export"], ["labels", None],
                             ["subsets", "\n".join(sizes)], ["tasks", tasks]]]]

    # -- images 1.1 ----------------------------------------------------------------------
    def _images(self) -> None:
        items = self.items
        ids = int_ids(items)
        if ids is None:  # renumbered (the plan said so, AF508)
            ids = list(range(len(items)))
        for item, iid in track(zip(items, ids, strict=True), "write", len(items)):
            media = item.media
            attrs = {"id": str(iid)}
            if isinstance(media, VideoFrame):
                attrs["name"] = frame_name(media.frame)
            else:
                attrs["name"] = getattr(media, "path", "")
                if not is_safe_relative(attrs["name"]):  # e.g. COCO results: no file names
                    self.report.add("AF016", item_id=item.id, value=attrs["name"])
            if self.project:  # a project's images name their subset, a task's take its own
                attrs["subset"] = subset_text(item.subset)
            task_id = item.extras.get("cvat", {}).get("task_id")
            if task_id is not None:
                attrs["task_id"] = str(task_id)
            width, height = getattr(media, "width", None), getattr(media, "height", None)
            if width is not None:
                attrs["width"] = str(width)
            if height is not None:
                attrs["height"] = str(height)
            image = Node("image", attrs)
            for ann in item.annotations:
                self._shape(image, ann, None, (width, height))
            emit(image, 1, self.out)

    # -- shapes --------------------------------------------------------------------------
    def _head(self, ann: Any, track_frame: tuple[int, bool] | None, skeleton: bool = False
              ) -> dict[str, str]:
        if track_frame is None:
            attrs = {"label": ann.label or ""}
            source = source_of(ann)
            if source is not None:
                attrs["source"] = source
        else:
            frame, _ = track_frame
            attrs = {"frame": str(frame),
                     "keyframe": "0" if _cv(ann).get("keyframe") is False else "1"}
            if not skeleton:
                attrs["outside"] = "0"
        if ann.occluded is not None:
            attrs["occluded"] = "1" if ann.occluded else "0"
        return attrs

    def _tail(self, attrs: dict[str, str], ann: Any, track: bool) -> None:
        if ann.z_order is not None:
            attrs["z_order"] = str(ann.z_order)
        if not track and ann.group is not None:
            attrs["group_id"] = str(ann.group)

    def _attributes(self, el: Node, ann: Any, track: bool) -> None:
        for name, value in ann.attributes.items():
            child(el, "attribute", {"name": name}).text = attribute_text(value)
        if not track and ann.track_id is not None and self.flavour == "images":
            child(el, "attribute", {"name": "track_id"}).text = str(ann.track_id)

    def _shape(self, parent: Node, ann: Any, track_frame: tuple[int, bool] | None,
               size: tuple[int | None, int | None]) -> None:
        track = track_frame is not None
        if isinstance(ann, Keypoints):
            label = self.labels.get(ann.label or "")
            if label is not None and len(label.keypoints) == len(ann.visibility) > 0:
                self._skeleton(parent, ann, label, track_frame)
                return
        if isinstance(ann, Tag):
            if track:  # a video task has no tags (the plan said so, AF520)
                return
            attrs = {"label": ann.label or ""}
            source = source_of(ann)
            if source is not None:
                attrs["source"] = source
            if ann.group is not None:
                attrs["group_id"] = str(ann.group)
            self._attributes(child(parent, "tag", attrs), ann, False)
            return
        geometries = self._geometry(ann, size)
        if geometries is None:
            return
        parts = None
        if len(geometries) > 1 and not track:  # one object: its rings share a group_id
            parts = (ann.group, "") if ann.group is not None else (self._new_group(), "added")
        for i, (tag, geo) in enumerate(geometries):
            attrs = self._head(ann, track_frame)
            attrs.update(geo)
            self._tail(attrs, ann, track)
            if parts is not None:
                attrs["group_id"] = str(parts[0])
                attrs[RING] = str(i)
                if parts[1]:
                    attrs[RING_GROUP] = parts[1]
            self._attributes(child(parent, tag, attrs), ann, track)

    def _new_group(self) -> int:
        """A group id no annotation of the dataset has (from 1: datumaro reads 0 as none)."""
        if self.next_group is None:
            groups = [a.group for item in self.ds.items for a in item.annotations
                      if a.group is not None and a.group > 0]
            self.next_group = max(groups, default=0) + 1
        found, self.next_group = self.next_group, self.next_group + 1
        return found

    def _geometry(self, ann: Any, size: tuple[int | None, int | None]
                  ) -> list[tuple[str, dict[str, str]]] | None:
        if isinstance(ann, (BBox, RotatedBBox)):
            geo = {"xtl": _n(ann.x), "ytl": _n(ann.y), "xbr": _n(ann.x + ann.w),
                   "ybr": _n(ann.y + ann.h)}
            if isinstance(ann, RotatedBBox) and ann.rotation:
                geo["rotation"] = _n(ann.rotation)
            return [("box", geo)]
        if isinstance(ann, Polygon):  # one CVAT polygon per ring (AF521)
            return [("polygon", {"points": _pts(ring)}) for ring in ann.rings]
        if isinstance(ann, Polyline):
            return [("polyline", {"points": _pts(ann.points)})]
        if isinstance(ann, (Points, Keypoints)):
            if _cv(ann).get("cuboid") and len(ann.points) == 16:
                return [("cuboid", {k: _n(v) for k, v in zip(_CUBOID, ann.points, strict=True)})]
            return [("points", {"points": _pts(ann.points)})]
        if isinstance(ann, Ellipse):
            geo = {"cx": _n(ann.cx), "cy": _n(ann.cy), "rx": _n(ann.rx), "ry": _n(ann.ry)}
            if ann.rotation:
                geo["rotation"] = _n(ann.rotation)
            return [("ellipse", geo)]
        if isinstance(ann, Mask):
            return self._mask(ann, size)
        return None

    def _mask(self, ann: Mask, size: tuple[int | None, int | None]
              ) -> list[tuple[str, dict[str, str]]] | None:
        width, height = size
        if width and height and (ann.width, ann.height) != (width, height):
            self.report.add("AF305", mask_width=ann.width, mask_height=ann.height,
                            width=width, height=height, annotation_id=ann.id)
            return None
        import numpy as np

        from annoformat import masks

        full = masks.decode(ann.counts, ann.height, ann.width)
        box = _cv(ann).get("box")
        tight = tight_box(full, 0, 0)
        if not _box_ok(box, tight, ann.width, ann.height):
            box = tight or [0, 0, 1, 1]
        left, top, w, h = (int(v) for v in box or [0, 0, 1, 1])
        flat = full[top:top + h, left:left + w].ravel()
        cuts = np.flatnonzero(np.diff(flat)) + 1
        runs = np.diff(np.concatenate(([0], cuts, [flat.size]))).tolist()
        if flat.size and flat[0]:
            runs = [0, *runs]
        return [("mask", {"rle": ", ".join(map(str, runs)), "left": str(left),
                          "top": str(top), "width": str(w), "height": str(h)})]

    def _skeleton(self, parent: Node, ann: Keypoints, label: Label,
                  track_frame: tuple[int, bool] | None) -> None:
        track = track_frame is not None
        attrs = self._head(ann, track_frame, skeleton=True)
        self._tail(attrs, ann, track)
        el = child(parent, "skeleton", attrs)
        cv = _cv(ann)
        missing = set(cv.get("missing", []))
        elements = cv.get("elements", {})
        parent_source = None if track else source_of(ann)
        parent_key = cv.get("keyframe", True)
        for k, name in enumerate(label.keypoints):
            if name in missing:
                continue
            entry = elements.get(name, {})
            vis = ann.visibility[k]
            sub: dict[str, str] = {"label": name}
            source = entry.get("source", parent_source)
            if source is not None:
                sub["source"] = source
            if track:
                sub["keyframe"] = "1" if entry.get("keyframe", parent_key) else "0"
            sub["outside"] = "1" if vis == 0 else "0"
            sub["occluded"] = "1" if vis == 1 or entry.get("occluded") else "0"
            sub["points"] = _pts(ann.points[2 * k: 2 * k + 2])
            point = child(el, "points", sub)
            for aname, value in entry.get("attributes", {}).items():
                child(point, "attribute", {"name": aname}).text = attribute_text(value)
        self._attributes(el, ann, track)

    # -- video 1.1 -----------------------------------------------------------------------
    def _video(self) -> None:
        ds = self.ds
        cvat = ds.extras.get("cvat", {})
        explicit = cvat.get("flavour") == "video"
        rows: dict[int, list[tuple[int, Any, Item]]] = {}
        singles: list[tuple[int, Any, Item]] = []
        frames: list[int] = []
        # a track holds one shape a frame: the rings of a polygon beyond its first go to
        # tracks of their own, one per ring, sharing its group (the plan said so, AF521)
        parts: dict[tuple[Any, int], list[tuple[int, Any, Item]]] = {}
        groups: dict[Any, int] = {}

        def split(key: Any, f: int, ann: Any, item: Item) -> Any:
            if not isinstance(ann, Polygon) or len(ann.rings) < 2:
                return ann
            group = ann.group if ann.group is not None else groups.setdefault(
                key, self._new_group())
            for k, ring in enumerate(ann.rings[1:], start=1):
                parts.setdefault((key, k), []).append(
                    (f, ann.model_copy(update={"rings": [ring], "group": group}), item))
            return ann.model_copy(update={"rings": ann.rings[:1], "group": group})

        for i, item in enumerate(track(ds.items, "write")):
            if not isinstance(item.media, (Image, VideoFrame)):
                continue
            f = frame_of(item, i)
            frames.append(f)
            for ann in item.annotations:
                if isinstance(ann, Tag):
                    continue  # a video task has no tags (the plan said so, AF520)
                if ann.track_id is None:
                    singles.append((f, split(("single", len(singles)), f, ann, item), item))
                else:
                    rows.setdefault(ann.track_id, []).append(
                        (f, split(("track", ann.track_id), f, ann, item), item))
            for rec in item.extras.get("cvat", {}).get("outside", []):
                rows.setdefault(int(rec["track_id"]), []).append((f, rec, item))
        step = _step_of(cvat.get("meta")) or _gcd_step(sorted(set(frames)))
        stop = max(frames, default=0)
        next_id = max(rows, default=-1) + 1
        made: set[int] = set()
        for f, ann, item in singles:
            rows[next_id] = [(f, ann, item)]
            made.add(next_id)
            next_id += 1
        for part in parts.values():
            rows[next_id] = part
            made.add(next_id)
            next_id += 1
        stored = cvat.get("tracks", {})
        for tid in sorted(rows):
            self._track(tid, sorted(rows[tid], key=lambda r: r[0]),
                        explicit and tid not in made, step, stop, stored.get(str(tid)))

    def _track(self, tid: int, rows: list[tuple[int, Any, Item]],
               explicit: bool, step: int, stop: int, stored: dict[str, str] | None) -> None:
        anns = [ann for _, ann, _ in rows if not isinstance(ann, dict)]
        if anns:
            first = anns[0]
            labels = {a.label for a in anns}
            if len(labels) > 1:
                self.report.add("AF228", track_id=tid,
                                labels=", ".join(sorted(str(v) for v in labels)))
                return
            attrs = {"id": str(tid), "label": first.label or ""}
            source = source_of(first)
            if source is not None:
                attrs["source"] = source
            if first.group is not None:
                attrs["group_id"] = str(first.group)
            attrs.update(_cv(first).get("track", {}))
        elif stored is not None:
            attrs = {"id": str(tid), **stored}
        else:
            return
        track = Node("track", attrs)
        present = {f for f, _, _ in rows}
        for f, ann, item in rows:
            if isinstance(ann, dict):
                _from_raw(track, ann, f)
                continue
            size = (getattr(item.media, "width", None), getattr(item.media, "height", None))
            self._shape(track, ann, (f, True), size)
            nxt = f + step
            if (not explicit and nxt not in present and nxt <= stop
                    and not isinstance(ann, Keypoints)):
                self._shape(track, ann, (nxt, True), size)
                last = track[len(track) - 1]
                if "outside" in last.attrib:
                    last.set("outside", "1")
                present.add(nxt)
        emit(track, 1, self.out)


def _from_raw(parent: Node, rec: dict[str, Any], frame: int | None) -> None:
    attrs = dict(rec.get("attrs", {}))
    if frame is not None:
        attrs = {"frame": str(frame), **attrs}
    el = child(parent, rec["tag"], attrs)
    if "text" in rec:
        el.text = rec["text"]
    for sub in rec.get("children", []):
        _from_raw(el, sub, None)


def _box_ok(box: Any, tight: list[int] | None, width: int, height: int) -> bool:
    if not (isinstance(box, list) and len(box) == 4 and all(type(v) is int for v in box)):
        return False
    left, top, w, h = box
    if left < 0 or top < 0 or w <= 0 or h <= 0 or left + w > width or top + h > height:
        return False
    if tight is None:
        return True
    tl, tt, tw, th = tight
    return bool(left <= tl and top <= tt and tl + tw <= left + w and tt + th <= top + h)


def _with_labels(tree: list[Any]) -> list[Any]:
    """``tree`` with a labels placeholder: where it was, else in the first task or project."""
    def has(nodes: list[Any]) -> bool:
        return any((tag == "labels" and value is None) or (isinstance(value, list) and has(value))
                   for tag, value in nodes)
    if has(tree):
        return tree
    out = [list(node) for node in tree]
    for node in out:
        if node[0] in ("task", "project") and isinstance(node[1], list):
            node[1] = [*node[1], ["labels", None]]
            return out
    return [*out, ["task", [["labels", None]]]]


def _gcd_step(frames: list[int]) -> int:
    step = 0
    for a, b in itertools.pairwise(frames):
        step = math.gcd(step, b - a)
    return step or 1


def _step_of(tree: Any) -> int | None:
    if not isinstance(tree, list):
        return None
    for tag, value in tree:
        if tag == "frame_filter" and isinstance(value, str) and "step=" in value:
            try:
                return max(1, int(value.split("step=")[1].split()[0]))
            except ValueError:
                return None
        if isinstance(value, list):
            found = _step_of(value)
            if found:
                return found
    return None
