"""Reading CVAT XML (images 1.1 and video 1.1) into the IR; see the package docstring."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from pydantic import JsonValue

from annoformat import schemas, sourcemap
from annoformat._io import is_safe_relative
from annoformat._xml import parse_xml, xpath_of
from annoformat.checks import check_box, check_flat_points
from annoformat.diagnostics import Report
from annoformat.formats.cvat._common import (
    RING,
    RING_GROUP,
    fit_meta,
    subset_read,
    subsets_of,
)
from annoformat.formats.cvat._meta import (
    MetaReader,
    find_labels,
    line_of,
    parse_number,
    sublabel_specs,
    tight_box,
    to_tree,
    typed_value,
)
from annoformat.model import (
    AttributeSpec,
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
    defaults_of,
    trusted,
)

SCHEMAS = {"images": "cvat-images-1.1.xsd", "video": "cvat-video-1.1.xsd"}
#: most frames a video task may declare (start..stop by step) before AF920 refuses it
MAX_FRAMES = 10_000_000
_PATTERN_NOISE = re.compile(r"\[facet 'pattern'\] The value '(.*)' is not accepted by the "
                            r"pattern '.*'\.?$", re.DOTALL)
_CUBOID = ("xtl1", "ytl1", "xbl1", "ybl1", "xtr1", "ytr1", "xbr1", "ybr1",
           "xtl2", "ytl2", "xbl2", "ybl2", "xtr2", "ytr2", "xbr2", "ybr2")
_MIN_POINTS = {"polygon": 3, "polyline": 2, "points": 1}
_BASES = {cls: defaults_of(cls) for cls in (BBox, RotatedBBox, Polygon, Polyline, Points,
                                           Keypoints, Mask, Ellipse, Tag)}


def _points(text: str) -> list[float]:
    return [float(v) for v in text.replace(";", ",").split(",")]


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "1"


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def schema_message(message: str) -> str:
    """libxml2's schema message without the (long, unreadable) regular expression."""
    return _PATTERN_NOISE.sub(r"the value '\1' is not in CVAT's syntax (numbers like 12.5, "
                              r"points like x1,y1;x2,y2, mask runs like 3, 4, 1)", message)


class Reader:
    """One CVAT XML file into one Dataset."""

    def __init__(self, path: str, report: Report) -> None:
        self.path = path
        self.report = report
        self.labels: dict[str, Label] = {}
        self.specs: dict[str, dict[str, AttributeSpec]] = {}
        self.element_specs: dict[str, dict[str, dict[str, AttributeSpec]]] = {}
        self.flavour = "images"
        self.cuboids: list[int] = []
        # (line, XPath) of each annotation's element, only when a source map is recording
        self.origins: dict[int, tuple[int | None, str]] | None = (
            {} if sourcemap.current() is not None else None)

    def _at(self, el: etree._Element) -> dict[str, Any]:
        """Location of an element: file, line and XPath."""
        return {"path": self.path, "line": line_of(el), "pointer": xpath_of(el)}

    # -- document ------------------------------------------------------------------------
    def read(self, data: bytes) -> Dataset | None:
        report, path = self.report, self.path
        root = parse_xml(data, path, report)
        if root is None:
            return None
        self.flavour = _flavour(root)
        errors = schemas.xsd_errors(SCHEMAS[self.flavour], root)
        if errors:
            for line, xpath, message in errors:
                report.add("AF101", path=path, line=line, pointer=xpath or None,
                           reason=schema_message(message))
            return None
        extras: dict[str, Any] = {"flavour": self.flavour}
        version = root.find("version")
        if version is None or (version.text or "").strip() != "1.1":
            shown = None if version is None else (version.text or "").strip()
            report.add("AF042", path=path, line=line_of(version) if version is not None
                       else line_of(root), version=shown)
            extras["version"] = shown
        meta = root.find("meta")
        labels: list[Label] = []
        if meta is not None:
            labels_el = find_labels(meta)
            if labels_el is not None:
                labels = MetaReader(path, report).labels(labels_el)
            extras["meta"] = to_tree(meta, labels_el)
        else:
            extras["meta"] = None
        for label in labels:
            self.labels[label.name] = label
            self.specs[label.name] = {s.name: s for s in label.attributes}
            if label.keypoints:
                self.element_specs[label.name] = sublabel_specs(label)
        if self.flavour == "video":
            items = self._video(root, meta, extras)
        else:  # the meta as the writer would write it for these subsets (nothing dropped)
            items = self._images(root)
            extras["meta"] = fit_meta(extras["meta"], subsets_of(items))
        if self.cuboids:
            report.add("AF343", path=path, line=self.cuboids[0], count=len(self.cuboids))
        return trusted(Dataset, {"labels": labels, "items": items, "info": {},
                                 "extras": {"cvat": extras}})

    # -- images 1.1 ----------------------------------------------------------------------
    def _record(self, index: int, item: Item) -> None:
        """Tell the active source map (project rules) where the item's annotations are."""
        sm = sourcemap.current()
        if sm is None or self.origins is None:
            return
        sm.item(index, self.path)
        for j, ann in enumerate(item.annotations):
            line, xpath = self.origins.get(id(ann), (None, None))
            sm.annotation(index, j, self.path, line=line, pointer=xpath)

    def _images(self, root: etree._Element) -> list[Item]:
        items: list[Item] = []
        first: dict[tuple[str | None, str], int] = {}
        # a task names its subset once, in its meta (CVAT writes "default" for none); a
        # project's images name theirs
        implied = subset_read(root.findtext("meta/task/subset"))
        for image in root.iterchildren("image"):
            attrib = image.attrib
            iid = attrib["id"]
            subset = subset_read(str(attrib["subset"])) if "subset" in attrib else implied
            line = line_of(image)
            key = (subset, str(int(iid)))
            if key in first:
                self.report.add("AF203", **self._at(image), image_id=iid, item_id=key[1],
                                first=f"line {first[key]}")
                image.clear()
                continue
            first[key] = line or 0
            name = str(attrib["name"])
            if not is_safe_relative(name):
                self.report.add("AF016", **self._at(image), value=name, item_id=key[1])
            width, height = _int(attrib.get("width")), _int(attrib.get("height"))
            if not width or not height:
                self.report.add("AF308", **self._at(image), item_id=key[1],
                                width=width, height=height)
            media = trusted(Image, {"kind": "image", "path": name, "width": width,
                                    "height": height})
            extras: dict[str, Any] = {}
            if "task_id" in attrib:
                extras["task_id"] = attrib["task_id"]
            anns: list[Any] = []
            joined: list[tuple[Polygon, bool]] = []  # multi-ring polygons; group added?
            for el in image:
                tag = el.tag
                if not isinstance(tag, str):
                    continue
                ann = self._shape(el, tag, el.get("label", ""), key[1], width, height, None)
                if ann is None:
                    continue
                if tag == "polygon" and RING in el.attrib and _join(anns, joined, ann, el):
                    continue
                anns.append(ann)
                if self.origins is not None:
                    self.origins[id(ann)] = (line_of(el), xpath_of(el))
            for polygon, added in joined:
                if added and len(polygon.rings) > 1:
                    polygon.group = None
            image.clear()
            items.append(trusted(Item, {"id": key[1], "subset": subset, "media": media,
                                        "annotations": anns, "attributes": {},
                                        "extras": {"cvat": extras} if extras else {}}))
            if self.origins is not None:
                self._record(len(items) - 1, items[-1])
        return items

    # -- shapes --------------------------------------------------------------------------
    def _shape(self, el: etree._Element, tag: str, label: str, item_id: str,
               width: int | None, height: int | None, track: dict[str, Any] | None) -> Any:
        """One shape element as an IR annotation (None, with a diagnostic, when unusable)."""
        report = self.report
        if not label and tag == "skeleton":  # its points are named by its label's sublabels
            report.add("AF224", **self._at(el), item_id=item_id, label="", element="*",
                       reason="a skeleton without a label has no sublabels to name its points")
            return None
        if not label:
            if track is None:
                report.add("AF227", **self._at(el), item_id=item_id, where=f"<{tag}>")
        elif label not in self.labels:
            report.add("AF208", **self._at(el), item_id=item_id, label=label)
            return None
        attrib = el.attrib
        get = el.get
        extras: dict[str, Any] = {}
        if track is None:
            source = get("source")
            group = get("group_id")
            common: dict[str, Any] = {
                "label": label or None, "group": None if group is None else int(group),
                "track_id": None}
        else:
            source = track["source"]
            common = {"label": label or None, "group": track["group"], "track_id": track["id"]}
            if track["other"]:
                extras["track"] = track["other"]
            if get("keyframe") == "0":
                extras["keyframe"] = False
        if source != "manual":
            extras["source"] = source
        occluded, z_order = get("occluded"), get("z_order")
        common["occluded"] = None if occluded is None else occluded == "1"
        common["z_order"] = None if z_order is None else int(z_order)
        if tag == "skeleton":
            return self._skeleton(el, common, extras, item_id, track)
        specs = self.specs.get(label, {})
        common["attributes"] = self._attributes(el, specs, item_id, common) if len(el) else {}
        findings: list[Any] = []
        if tag == "box":
            x, y = float(get("xtl", "")), float(get("ytl", ""))
            w, h = float(get("xbr", "")) - x, float(get("ybr", "")) - y
            rotation = float(get("rotation", "0"))
            if rotation:
                cls: type[Any] = RotatedBBox
                geo: dict[str, Any] = {"x": x, "y": y, "w": w, "h": h, "rotation": rotation}
                if w <= 0 or h <= 0:
                    findings = check_box(x, y, w, h, None, None)
            else:
                cls, geo = BBox, {"x": x, "y": y, "w": w, "h": h}
                if (w <= 0 or h <= 0 or x < 0 or y < 0 or (width and x + w > width)
                        or (height and y + h > height)):
                    findings = check_box(x, y, w, h, width, height)
        elif tag in _MIN_POINTS:
            pts = _points(get("points", ""))
            if len(pts) < 2 * _MIN_POINTS[tag]:
                findings = check_flat_points(pts, "", _MIN_POINTS[tag])
            if tag == "polygon":
                cls, geo = Polygon, {"rings": [pts]}
            elif tag == "polyline":
                cls, geo = Polyline, {"points": pts}
            else:
                cls, geo = Points, {"points": pts}
        elif tag == "ellipse":
            cls = Ellipse
            geo = {k: float(attrib[k]) for k in ("cx", "cy", "rx", "ry")}
            geo["rotation"] = float(attrib.get("rotation", "0"))
            findings = [] if geo["rx"] > 0 and geo["ry"] > 0 else [
                check_box(0, 0, 2 * geo["rx"], 2 * geo["ry"], None, None)[0]]
        elif tag == "mask":
            return self._mask(el, common, extras, item_id, width, height)
        elif tag == "cuboid":
            self.cuboids.append(line_of(el) or 0)
            extras["cuboid"] = True
            cls, geo = Points, {"points": [float(attrib[k]) for k in _CUBOID]}
        else:  # tag
            cls, geo = Tag, {}
        for f in findings:
            report.add(f.code, **self._at(el), item_id=item_id, **f.ctx)
            if f.code != "AF301":
                return None
        common["extras"] = {"cvat": extras} if extras else {}
        return trusted(cls, {**_BASES[cls], **common, **geo})

    def _attributes(self, el: etree._Element, specs: dict[str, AttributeSpec], item_id: str,
                    common: dict[str, Any] | None) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {}
        if not len(el):
            return out
        for child in el.iterchildren("attribute"):
            name = child.get("name", "")
            text = child.text or ""
            if name in out:
                self.report.add("AF223", **self._at(child), item_id=item_id,
                                name=name)
                continue
            spec = specs.get(name)
            if spec is None:
                if (name == "track_id" and common is not None and self.flavour == "images"
                        and isinstance(parse_number(text), int)):
                    common["track_id"] = int(text)
                    continue
                self.report.add("AF221", **self._at(child),
                                item_id=item_id, name=name, label=el.get("label"))
                out[name] = text
                continue
            value, problem = typed_value(spec, text)
            if problem:
                self.report.add("AF222", **self._at(child),
                                item_id=item_id, name=name, value=text, reason=problem)
            out[name] = value
        return out

    def _mask(self, el: etree._Element, common: dict[str, Any], extras: dict[str, Any],
              item_id: str, width: int | None, height: int | None) -> Mask | None:
        report = self.report
        attrib = el.attrib
        left, top = int(attrib["left"]), int(attrib["top"])
        mw, mh = int(attrib["width"]), int(attrib["height"])
        if not width or not height:
            report.add("AF341", **self._at(el), item_id=item_id)
            return None
        if left + mw > width or top + mh > height or not mw or not mh:
            report.add("AF340", **self._at(el), item_id=item_id, left=left, top=top,
                       mask_width=mw, mask_height=mh, width=width, height=height)
            return None
        import numpy as np  # numpy + pycocotools only when a file has masks (hook start-up)

        from annoformat import masks

        runs = np.array([int(v) for v in str(attrib["rle"]).split(",")], dtype=np.int64)
        if int(runs.sum()) != mw * mh:
            report.add("AF307", **self._at(el), item_id=item_id,
                       reason=f"runs add up to {int(runs.sum())} pixels, not "
                       f"{mw}x{mh} = {mw * mh}")
            return None
        values = np.arange(len(runs), dtype=np.int64) % 2
        crop = np.repeat(values.astype(np.uint8), runs).reshape(mh, mw)
        full = np.zeros((height, width), dtype=np.uint8)
        full[top:top + mh, left:left + mw] = crop
        if tight_box(crop, left, top) != [left, top, mw, mh]:
            extras["box"] = [left, top, mw, mh]
        common["extras"] = {"cvat": extras} if extras else {}
        return trusted(Mask, {**_BASES[Mask], **common, "counts": masks.encode(full),
                              "height": height, "width": width})

    def _skeleton(self, el: etree._Element, common: dict[str, Any], extras: dict[str, Any],
                  item_id: str, track: dict[str, Any] | None) -> Keypoints | None:
        label = self.labels[common["label"]]
        names = label.keypoints
        element_specs = self.element_specs.get(label.name, {})
        points = [0.0] * (2 * len(names))
        vis = [0] * len(names)
        seen: set[str] = set()
        elements: dict[str, dict[str, Any]] = {}
        parent_source = extras.get("source", "manual") if track is None else None
        parent_key = extras.get("keyframe", True)
        for child in el.iterchildren("points"):
            name = child.get("label", "")
            if name not in names or name in seen:
                self.report.add("AF224", **self._at(child),
                                item_id=item_id, element=name, label=label.name,
                                reason="it is repeated" if name in seen
                                else "it is not one of the skeleton's points")
                return None
            seen.add(name)
            pts = _points(child.get("points", ""))
            if len(pts) != 2:
                self.report.add("AF224", **self._at(child),
                                item_id=item_id, element=name, label=label.name,
                                reason=f"it has {len(pts) // 2} points instead of 1")
                return None
            k = names.index(name)
            points[2 * k], points[2 * k + 1] = pts
            outside = child.get("outside") == "1"
            occluded = child.get("occluded") == "1"
            vis[k] = 0 if outside else 1 if occluded else 2
            entry: dict[str, Any] = {}
            if outside and occluded:
                entry["occluded"] = True
            if child.get("source") != parent_source:
                entry["source"] = child.get("source")
            if track is not None and (child.get("keyframe") == "1") != parent_key:
                entry["keyframe"] = child.get("keyframe") == "1"
            attrs = self._attributes(child, element_specs.get(name, {}), item_id, None)
            if attrs:
                entry["attributes"] = attrs
            if entry:
                elements[name] = entry
        missing = [n for n in names if n not in seen]
        if missing:
            extras["missing"] = missing
        if elements:
            extras["elements"] = elements
        common["attributes"] = self._attributes(el, self.specs[label.name], item_id, common)
        common["extras"] = {"cvat": extras} if extras else {}
        return trusted(Keypoints, {**_BASES[Keypoints], **common, "points": points,
                                   "visibility": vis})

    # -- video 1.1 -----------------------------------------------------------------------
    def _video(self, root: etree._Element, meta: etree._Element | None,
               extras: dict[str, Any]) -> list[Item]:
        task = _video_task(meta)
        source = task.get("source", "")
        width = _positive(task.get("width"))
        height = _positive(task.get("height"))
        frames: dict[int, list[Any]] = {}
        outside: dict[int, list[Any]] = {}
        start, stop = parse_number(task.get("start_frame", "")), parse_number(
            task.get("stop_frame", ""))
        step = _step(task.get("frame_filter", ""))
        if isinstance(start, int) and isinstance(stop, int) and 0 <= start <= stop:
            if (stop - start) // step + 1 > MAX_FRAMES:
                self.report.add("AF920", path=self.path, line=int(task.get("line", "0")) or None,
                                start=start, stop=stop, step=step,
                                limit=MAX_FRAMES)
                return []
            for f in range(start, stop + 1, step):
                frames[f] = []
        first_track: dict[int, int] = {}
        empty_tracks: dict[str, Any] = {}
        for track_el in root.iterchildren("track"):
            attrib = track_el.attrib
            tid = int(attrib["id"])
            line = line_of(track_el) or 0
            if tid in first_track:
                self.report.add("AF225", **self._at(track_el), track_id=tid,
                                first=f"line {first_track[tid]}")
                continue
            first_track[tid] = line
            label = str(attrib["label"])
            if not label:  # said once for the track, not for each of its shapes
                self.report.add("AF227", **self._at(track_el), where="<track>")
            elif label not in self.labels:
                self.report.add("AF208", **self._at(track_el), label=label)
                track_el.clear()
                continue
            other = {k: v for k, v in attrib.items()
                     if k not in ("id", "label", "source", "group_id")}
            track = {"id": tid, "source": attrib.get("source"),
                     "group": _int(attrib.get("group_id")), "other": other}
            seen: dict[int, int] = {}
            visible = 0
            for el in track_el:
                tag = el.tag
                if not isinstance(tag, str):
                    continue
                frame = int(el.get("frame", "0"))
                if frame in seen:
                    self.report.add("AF226", **self._at(el), track_id=tid,
                                    frame=frame, first=f"line {seen[frame]}")
                    continue
                seen[frame] = line_of(el) or 0
                if el.get("outside") == "1":
                    outside.setdefault(frame, []).append({"track_id": tid, **raw(el)})
                    continue
                ann = self._shape(el, tag, label, str(frame), width, height, track)
                if ann is not None:
                    frames.setdefault(frame, []).append(ann)
                    visible += 1
                    if self.origins is not None:
                        self.origins[id(ann)] = (line_of(el), xpath_of(el))
            if not visible:
                empty_tracks[str(tid)] = raw(track_el, children=False)["attrs"]
            track_el.clear()
        if empty_tracks:
            extras["tracks"] = empty_tracks
        items = []
        for f in sorted(frames.keys() | outside.keys()):
            media = trusted(VideoFrame, {"kind": "video_frame", "path": source, "frame": f,
                                         "width": width, "height": height})
            item_extras = {"cvat": {"outside": outside[f]}} if f in outside else {}
            items.append(trusted(Item, {"id": str(f), "subset": None, "media": media,
                                        "annotations": frames.get(f, []), "attributes": {},
                                        "extras": item_extras}))
            if self.origins is not None:
                self._record(len(items) - 1, items[-1])
        return items


def _join(anns: list[Any], joined: list[tuple[Polygon, bool]], ann: Polygon,
          el: etree._Element) -> bool:
    """Whether ``ann``, a polygon marked as ring ``i`` of one object, joined that object as its
    ring: only when the previous shape is the object's ring ``i - 1`` (``i`` rings so far) and
    every field but the geometry is the same (label, group_id, attributes, occluded, z_order,
    source, the group_id's origin). Anything else is a polygon of its own."""
    ring, added = el.get(RING, ""), el.get(RING_GROUP) == "added"
    if ring == "0":
        if ann.group is not None:
            joined.append((ann, added))
        return False
    if not joined or not anns or anns[-1] is not joined[-1][0] or joined[-1][1] != added:
        return False
    polygon = joined[-1][0]
    if str(len(polygon.rings)) != ring or ann.group != polygon.group:
        return False
    if any(getattr(ann, f) != getattr(polygon, f) for f in _SAME):
        return False
    polygon.rings.append(ann.rings[0])
    return True


_SAME = ("label", "attributes", "occluded", "z_order", "track_id", "extras")


def raw(el: etree._Element, children: bool = True) -> dict[str, Any]:
    """An element kept verbatim as JSON: tag, attributes (``frame`` aside), text, children."""
    out: dict[str, Any] = {"tag": el.tag,
                           "attrs": {k: v for k, v in el.attrib.items() if k != "frame"}}
    if el.text and el.text.strip():
        out["text"] = el.text
    if children:
        kids = [raw(c) for c in el if isinstance(c.tag, str)]
        if kids:
            out["children"] = kids
    return out


def _flavour(root: etree._Element) -> str:
    """video when there are tracks, images when there are images; else the task's mode."""
    if root.find("track") is not None:
        return "video"
    if root.find("image") is not None:
        return "images"
    mode = root.find("meta/task/mode")
    if mode is None:
        mode = root.find("meta/project/tasks/task/mode")
    return "video" if mode is not None and (mode.text or "").strip() == "interpolation" \
        else "images"


def _positive(text: str | None) -> int | None:
    value = parse_number(text or "")
    return value if isinstance(value, int) and value > 0 else None


def _step(frame_filter: str) -> int:
    match = re.search(r"step\s*=\s*(\d+)", frame_filter)
    return max(1, int(match.group(1))) if match else 1


def _video_task(meta: etree._Element | None) -> dict[str, str]:
    """start/stop frame, frame filter, original size and source of the (first) task."""
    out: dict[str, str] = {}
    if meta is None:
        return out
    task = meta.find("task")
    if task is None:
        task = meta.find("project/tasks/task")
    if task is None:
        return out
    for key in ("start_frame", "stop_frame", "frame_filter", "source"):
        found = task.find(key)
        if found is not None and found.text:
            out[key] = found.text.strip()
            if key == "stop_frame":
                out["line"] = str(line_of(found))
    for key in ("width", "height"):
        found = task.find(f"original_size/{key}")
        if found is not None and found.text:
            out[key] = found.text.strip()
    return out
