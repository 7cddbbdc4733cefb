"""COCO: object detection, segmentation and keypoints (cocodataset.org/#format-data).

Facts a maintainer needs:

* Coordinates are continuous pixels already: ``bbox`` is ``[x, y, w, h]`` from the top-left
  corner; polygons are flat ``[x1, y1, ...]`` lists; both map to the IR unchanged.
* ``segmentation`` is a list of polygons (one annotation may have several, each an IR ring) or
  RLE ``{"counts", "size": [h, w]}``, counts compressed (string) or not (list); ``iscrowd`` 1
  marks crowd regions (IR ``crowd``), usually RLE. RLE goes through pycocotools (``masks``).
* Keypoints are ``[x, y, v]`` triples; category ``keypoints`` names them and ``skeleton`` joins
  them with **1-based** indices (0-based in the IR).
* An annotation with keypoints *and* a segmentation becomes two IR annotations sharing the
  COCO ``id``; the writer merges annotations of one item that share an id back into one.
* Results files are a bare list of detections with ``score``.
* CVAT and datumaro put an ``attributes`` object on annotations; ``occluded``, ``z_order`` and
  ``track_id`` in it map to the IR fields of those names.
* Layouts: one JSON file; a folder with ``annotations/<task>_<subset>.json``; Roboflow's
  ``<subset>/_annotations.coco.json``. Image ids may restart per subset: items are identified
  by (subset, id).
* Everything else (``info``, ``licenses``, ``coco_url``, unknown keys) is kept in ``extras``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict

from annoformat import schemas, sourcemap
from annoformat._io import fill_json_positions, is_safe_relative, parse_json, read_bytes
from annoformat.checks import (
    EPSILON,
    check_box,
    check_flat_points,
    check_keypoints,
    check_mask,
)
from annoformat.diagnostics import Report
from annoformat.model import (
    BBox,
    Dataset,
    Image,
    Item,
    Keypoints,
    Label,
    Mask,
    Polygon,
    defaults_of,
    trusted,
)
from annoformat.registry import Capabilities, Detection, FormatSpec

SCHEMA = "coco.schema.json"
_TASKS = re.compile(
    r"^(instances|person_keypoints|captions|image_info|panoptic|stuff|keypoints)(?:_(.+))?$")
_ROBOFLOW = "_annotations.coco.json"
_IMAGE_KEYS = frozenset({"id", "file_name", "width", "height"})
_ANN_KEYS = frozenset({"id", "image_id", "category_id", "bbox", "segmentation", "area", "iscrowd",
                       "keypoints", "num_keypoints", "score", "attributes"})
_CAT_KEYS = frozenset({"id", "name", "supercategory", "keypoints", "skeleton"})
_DOC_KEYS = frozenset({"info", "licenses", "images", "annotations", "categories"})
#: attribute keys CVAT/datumaro use for IR fields, with the type each must have
_FIELD_ATTRS: dict[str, type] = {"occluded": bool, "z_order": int, "track_id": int}

CAPABILITIES = Capabilities(
    media=frozenset({"image"}),
    annotation_types=frozenset({"bbox", "polygon", "mask", "keypoints"}),
    fields=frozenset({"id", "score", "crowd", "area", "attributes", "occluded", "z_order",
                      "track_id"}),
    item_attributes=False,
    subsets=True,
    empty_items=True,
    metadata=frozenset({"info", "label_ids", "label_parents", "keypoint_names"}),
)


class Options(BaseModel):
    """COCO options.

    ``layout``: ``auto`` writes one file when the destination ends in ``.json``, else a folder
    with ``annotations/<task>_<subset>.json``; ``roboflow`` writes
    ``<subset>/_annotations.coco.json``.
    ``indent``: pretty-print the JSON (2 spaces).
    """

    model_config = ConfigDict(extra="forbid")
    layout: Literal["auto", "file", "folder", "roboflow"] = "auto"
    indent: bool = False


# --------------------------------------------------------------------------------------------
# detection and layout


def _peek(path: Path, size: int = 65536) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return b""


def _looks_like_coco(path: Path) -> bool:
    head = _peek(path)
    if head.startswith(b"{"):
        return b'"images"' in head or b'"categories"' in head or b'"annotations"' in head
    return head.startswith(b"[") and b'"image_id"' in head and b'"category_id"' in head


def _layout(path: Path) -> list[tuple[Path, str | None]]:
    """The COCO files under ``path`` with the subset each belongs to (None: no subset)."""
    if path.is_file():
        return [(path, None)]
    roboflow = sorted(path.glob(f"*/{_ROBOFLOW}"))
    if roboflow:
        return [(p, p.parent.name) for p in roboflow]
    folder = path / "annotations" if (path / "annotations").is_dir() else path
    files = [p for p in sorted(folder.glob("*.json")) if _looks_like_coco(p)]
    stems = [_subset_of_stem(p.stem) for p in files]
    # two tasks for one subset (instances_val + person_keypoints_val): keep the stems apart
    taken = [s for s in stems if s is not None]
    return [
        (p, p.stem if s is not None and taken.count(s) > 1 else s)
        for p, s in zip(files, stems, strict=True)
    ]


def _canonical_stem(subset: str | None) -> str:
    return "instances" if subset is None else f"instances_{subset}"


def _canonical_category_keys(parent: str | None, keypoints: list[str] | None) -> list[str]:
    """The optional category keys the writer emits for a label."""
    keys = ["supercategory"] if parent is not None else []
    return [*keys, "keypoints", "skeleton"] if keypoints else keys


def _subset_of_stem(stem: str) -> str | None:
    m = _TASKS.match(stem)
    if m:
        return m.group(2)
    return stem


def detect(path: Path) -> Detection:
    """COCO if ``path`` is a JSON file with COCO's top-level keys, or a folder of such files."""
    if path.is_file():
        if path.suffix.lower() != ".json":
            return Detection(0.0, "not a .json file")
        if _looks_like_coco(path):
            return Detection(0.9, "JSON with COCO top-level keys (images/categories/annotations)")
        return Detection(0.0, "JSON without COCO's images/categories/annotations keys")
    if path.is_dir():
        found = _layout(path)
        if found:
            names = ", ".join(str(p.relative_to(path)) for p, _ in found[:3])
            return Detection(0.9, f"folder with COCO files: {names}")
        return Detection(0.0, "no COCO JSON in annotations/ or */_annotations.coco.json")
    return Detection(0.0, "path does not exist")


# --------------------------------------------------------------------------------------------
# reading


class _Reader:
    """Reads one or more COCO files into one Dataset; identifies items by (subset, id)."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.labels: dict[str, Label] = {}
        self.label_ids: dict[int, Label] = {}
        self.items: list[Item] = []
        self.info: dict[str, Any] | None = None
        self.files: dict[str, dict[str, Any]] = {}
        self.results = False
        self.roboflow = False

    def dataset(self) -> Dataset:
        extras: dict[str, Any] = {"layout": "roboflow"} if self.roboflow else {}
        if self.files:
            extras["files"] = self.files
        if self.results:
            extras["results"] = True
        return trusted(Dataset, {"labels": list(self.labels.values()), "items": self.items,
                                 "info": self.info or {},
                                 "extras": {"coco": extras} if extras else {}})

    def read_file(self, path: Path, subset: str | None, in_folder: bool) -> None:
        shown = str(path)
        data = read_bytes(path, self.report)
        if data is None:
            return
        since = len(self.report.diagnostics)
        doc = parse_json(data, shown, self.report)
        if doc is None:
            return
        if not schemas.is_valid(SCHEMA, doc):
            for ptr, message in schemas.iter_errors(SCHEMA, doc):
                self.report.add("AF101", path=shown, pointer=ptr, reason=message)
        else:
            record: dict[str, Any] = {}
            if in_folder and path.stem != _canonical_stem(subset) and path.name != _ROBOFLOW:
                record["stem"] = path.stem
            if isinstance(doc, list):
                self.results = True
                self._results(doc, shown, subset)
            else:
                self._document(doc, shown, subset, record)
            if record:
                self.files["" if subset is None else subset] = record
        fill_json_positions(self.report, shown, data, since=since)

    # -- categories ---------------------------------------------------------------------------
    def _categories(self, cats: list[dict[str, Any]], path: str) -> dict[int, Label]:
        report = self.report
        by_id: dict[int, Label] = {}
        first_id: dict[int, int] = {}
        first_name: dict[str, int] = {}
        for i, cat in enumerate(cats):
            cid, name = cat["id"], cat["name"]
            if not self._int_ok(cid, path, f"/categories/{i}/id"):
                continue
            if cid in first_id:
                report.add("AF205", path=path, pointer=f"/categories/{i}/id", category_id=cid,
                           first=f"/categories/{first_id[cid]}")
                continue
            first_id[cid] = i
            known = self.labels.get(name)
            if name in first_name or (known is not None and known.id != cid):
                # one name for two classes, in this file or against another subset file
                report.add("AF209", path=path, pointer=f"/categories/{i}/name", label=name)
                continue
            first_name[name] = i
            if known is not None:  # the same category repeated in another subset file
                by_id[cid] = known
                continue
            extra = {k: v for k, v in cat.items() if k not in _CAT_KEYS}
            # which optional keys were present, when not what the writer would write anyway
            flags = [k for k in ("supercategory", "keypoints", "skeleton") if k in cat]
            if flags != _canonical_category_keys(cat.get("supercategory"), cat.get("keypoints")):
                extra["_present"] = flags
            label = Label(
                name=name, id=cid, parent=cat.get("supercategory"),
                keypoints=list(cat.get("keypoints", [])),
                skeleton=[(a - 1, b - 1) for a, b in cat.get("skeleton", [])],
                extras={"coco": extra} if extra else {},
            )
            self.labels[name] = label
            self.label_ids[cid] = label
            by_id[cid] = label
        return by_id

    def _int_ok(self, value: Any, path: str, ptr: str) -> bool:
        # orjson reads integers beyond 64 bits as floats; the schema cannot tell 1e30 from 1
        if type(value) is int:
            return True
        self.report.add("AF008", path=path, pointer=ptr, value=value)
        return False

    # -- documents ----------------------------------------------------------------------------
    def _document(self, doc: dict[str, Any], path: str, subset: str | None,
                  record: dict[str, Any]) -> None:
        report = self.report
        if "info" in doc:
            if self.info is None:
                self.info = doc["info"]
            if doc["info"] != self.info or not doc["info"]:
                record["info"] = doc["info"]
        if "licenses" in doc:
            record["licenses"] = doc["licenses"]
        other = {k: v for k, v in doc.items() if k not in _DOC_KEYS}
        if other:
            record["other"] = other
        if "annotations" not in doc:
            record["no_annotations"] = True
        cats = self._categories(doc["categories"], path)
        sm = sourcemap.current()
        items_by_id: dict[int, Item] = {}
        sizes: dict[int, tuple[int | None, int | None]] = {}
        first_image: dict[int, int] = {}
        first_name: dict[str, int] = {}
        for i, img in enumerate(doc["images"]):
            iid = img["id"]
            if not self._int_ok(iid, path, f"/images/{i}/id"):
                continue
            if iid in first_image:
                report.add("AF203", path=path, pointer=f"/images/{i}/id", image_id=iid,
                           item_id=str(iid), first=f"/images/{first_image[iid]}")
                continue
            first_image[iid] = i
            name = img["file_name"]
            if name in first_name:
                report.add("AF206", path=path, pointer=f"/images/{i}/file_name", file_name=name,
                           item_id=str(iid), first=f"/images/{first_name[name]}")
            else:
                first_name[name] = i
            if not is_safe_relative(name):
                report.add("AF016", path=path, pointer=f"/images/{i}/file_name", value=name,
                           item_id=str(iid))
            width, height = img.get("width"), img.get("height")
            if not width or not height:
                report.add("AF308", path=path, pointer=f"/images/{i}", item_id=str(iid),
                           width=width, height=height)
            extra = {k: v for k, v in img.items() if k not in _IMAGE_KEYS}
            if sm is not None:
                sm.item(len(self.items), path, pointer=f"/images/{i}")
            media = trusted(Image, {"kind": "image", "path": name, "width": width,
                                    "height": height})
            item = trusted(Item, {"id": str(iid), "subset": subset, "media": media,
                                  "annotations": [], "attributes": {},
                                  "extras": {"coco": extra} if extra else {}})
            items_by_id[iid] = item
            sizes[iid] = (width, height)
            self.items.append(item)
        self._annotations(doc.get("annotations", []), path, cats, items_by_id, sizes)

    def _results(self, dets: list[dict[str, Any]], path: str, subset: str | None) -> None:
        items_by_id: dict[int, Item] = {}
        sizes: dict[int, tuple[int | None, int | None]] = {}
        cats: dict[int, Label] = {}
        for j, det in enumerate(dets):
            iid, cid = det["image_id"], det["category_id"]
            if not (self._int_ok(iid, path, f"/{j}/image_id")
                    and self._int_ok(cid, path, f"/{j}/category_id")):
                continue
            if iid not in items_by_id:
                media = trusted(Image, {"kind": "image", "path": "", "width": None,
                                        "height": None})
                item = trusted(Item, {"id": str(iid), "subset": subset, "media": media,
                                      "annotations": [], "attributes": {}, "extras": {}})
                items_by_id[iid] = item
                sizes[iid] = (None, None)
                self.items.append(item)
            if cid not in cats:
                label = self.label_ids.get(cid)
                if label is None:
                    # results files carry ids only; the name is the id until a label map says more
                    label = Label(name=str(cid), id=cid)
                    self.labels.setdefault(label.name, label)
                    self.label_ids[cid] = label
                cats[cid] = label
        self._annotations(dets, path, cats, items_by_id, sizes, results=True)

    def _annotations(
        self,
        anns: list[dict[str, Any]],
        path: str,
        cats: dict[int, Label],
        items: dict[int, Item],
        sizes: dict[int, tuple[int | None, int | None]],
        results: bool = False,
    ) -> None:
        report = self.report
        prefix = "" if results else "/annotations"
        sm = sourcemap.current()
        item_index = {id(item): k for k, item in enumerate(self.items)} if sm else {}
        first_ann: dict[int, int] = {}
        eps = EPSILON
        for j, a in enumerate(anns):
            aid = a.get("id")
            iid = a["image_id"]
            item = items.get(iid)
            if item is None:
                if type(iid) is int:
                    report.add("AF201", path=path, pointer=f"{prefix}/{j}/image_id",
                               image_id=iid, annotation_id=aid)
                continue
            label = cats.get(a["category_id"])
            if label is None:
                if type(a["category_id"]) is int:
                    report.add("AF202", path=path, pointer=f"{prefix}/{j}/category_id",
                               category_id=a["category_id"], item_id=item.id, annotation_id=aid)
                else:
                    self._int_ok(a["category_id"], path, f"{prefix}/{j}/category_id")
                continue
            if aid is not None:
                if not self._int_ok(aid, path, f"{prefix}/{j}/id"):
                    continue
                if aid in first_ann:
                    report.add("AF204", path=path, pointer=f"{prefix}/{j}/id", annotation_id=aid,
                               item_id=item.id, first=f"{prefix}/{first_ann[aid]}")
                    continue
                first_ann[aid] = j
            width, height = sizes[iid]
            # every field of the IR annotation, with fresh dicts: `trusted` takes it as is
            common: dict[str, Any] = {
                "label": label.name, "id": aid, "attributes": {}, "group": None,
                "z_order": None, "occluded": None, "score": a.get("score"), "track_id": None,
                "extras": {}, "crowd": bool(a["iscrowd"]) if "iscrowd" in a else None,
                "area": a.get("area"),
            }
            extra = None if a.keys() <= _ANN_KEYS else {
                k: v for k, v in a.items() if k not in _ANN_KEYS}
            if "attributes" in a:
                attrs = dict(a["attributes"])
                for key, typ in _FIELD_ATTRS.items():
                    if key in attrs and type(attrs[key]) is typ:
                        common[key] = attrs.pop(key)
                common["attributes"] = attrs
                if not a["attributes"]:
                    extra = {**(extra or {}), "attributes": {}}
            where = f"{prefix}/{j}"
            out: list[Any] = []
            bbox = a.get("bbox")
            seg = a.get("segmentation")
            if isinstance(seg, dict):
                h, w = seg["size"]
                for f in check_mask(seg["counts"], h, w, width, height):
                    report.add(f.code, path=path, pointer=f"{where}/segmentation{f.path}",
                               item_id=item.id, annotation_id=aid, **f.ctx)
                out.append(trusted(Mask, {**common, "type": "mask", "counts": seg["counts"],
                                          "height": h, "width": w,
                                          "bbox": tuple(bbox) if bbox is not None else None}))
            elif seg:
                bad = False
                for r, ring in enumerate(seg):
                    if len(ring) >= 6 and not len(ring) % 2:
                        continue  # the common case, without a call
                    for f in check_flat_points(ring, f"/segmentation/{r}", 3):
                        bad = True
                        report.add(f.code, path=path, pointer=where + f.path, item_id=item.id,
                                   annotation_id=aid, **f.ctx)
                if not bad:
                    out.append(trusted(Polygon, {**common, "type": "polygon", "rings": seg,
                                                 "bbox": tuple(bbox) if bbox is not None
                                                 else None}))
            elif seg is not None:
                extra = {**(extra or {}), "segmentation": seg}
            if "keypoints" in a:
                flat = a["keypoints"]
                if len(flat) % 3:
                    report.add("AF304", path=path, pointer=f"{where}/keypoints", item_id=item.id,
                               annotation_id=aid, count=len(flat))
                else:
                    points = [v for k, v in enumerate(flat) if k % 3 != 2]
                    vis = [int(v) for v in flat[2::3]]
                    for f in check_keypoints(points, vis, label):
                        report.add(f.code, path=path, pointer=f"{where}/keypoints",
                                   item_id=item.id, annotation_id=aid, **f.ctx)
                    kp_extra = {}
                    if "num_keypoints" in a and a["num_keypoints"] != sum(1 for v in vis if v):
                        kp_extra["num_keypoints"] = a["num_keypoints"]
                    if any(type(v) is not int for v in flat[2::3]):
                        kp_extra["float_visibility"] = True
                    kp = {**common, "type": "keypoints", "points": points, "visibility": vis,
                          "bbox": tuple(bbox) if bbox is not None else None,
                          "attributes": dict(common["attributes"]),
                          "extras": {"coco": kp_extra} if kp_extra else {}}
                    if out:  # polygon/mask + keypoints: the first part carries area and crowd
                        kp["area"] = None
                        kp["crowd"] = None
                    out.append(trusted(Keypoints, kp))
            elif "num_keypoints" in a:
                extra = {**(extra or {}), "num_keypoints": a["num_keypoints"]}
            if bbox is not None:
                x, y, bw, bh = bbox
                if not (width and height and bw > 0 and bh > 0 and x >= -eps and y >= -eps
                        and x + bw <= width + eps and y + bh <= height + eps):
                    for f in check_box(x, y, bw, bh, width, height):
                        report.add(f.code, path=path, pointer=f"{where}/bbox", item_id=item.id,
                                   annotation_id=aid, **f.ctx)
                if not out:
                    box = {**common, "type": "bbox", "x": x, "y": y, "w": bw, "h": bh}
                    out.append(trusted(BBox, box))
            elif not out and seg is None:
                report.add("AF101", path=path, pointer=where, item_id=item.id, annotation_id=aid,
                           reason="annotation has no bbox, segmentation or keypoints")
            if not out:
                continue
            if extra:
                out[0].extras = {"coco": extra}
            if sm is not None:
                index = item_index[id(item)]
                for k in range(len(out)):
                    sm.annotation(index, len(item.annotations) + k, path, pointer=where)
            item.annotations.extend(out)


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a COCO file or dataset folder into the IR (None if it could not be read)."""
    reader = _Reader(report)
    files = _layout(path) if path.is_dir() else [(path, None)]
    if not files:
        report.add("AF010", path=str(path), reason="no COCO JSON file found")
        return None
    for file, subset in files:
        reader.roboflow = reader.roboflow or file.name == _ROBOFLOW
        reader.read_file(file, subset, in_folder=path.is_dir())
    return reader.dataset()


# --------------------------------------------------------------------------------------------
# writing


def _ids(values: Iterable[Any]) -> list[int] | None:
    """The values as ints when every one is a unique integer (or a decimal string), else None."""
    out: list[int] = []
    for v in values:
        if type(v) is int:
            out.append(v)
        elif isinstance(v, str) and v.isascii() and v.removeprefix("-").isdigit() \
                and len(v) <= 18 and v == str(int(v)):  # "007" would not survive int()
            out.append(int(v))
        else:
            return None
    return out if len(set(out)) == len(out) else None


def _bbox_of(ann: Any) -> list[float]:
    if isinstance(ann, BBox):
        return [ann.x, ann.y, ann.w, ann.h]
    if ann.bbox is not None:
        return list(ann.bbox)
    if isinstance(ann, Polygon):
        xs = [v for ring in ann.rings for v in ring[0::2]]
        ys = [v for ring in ann.rings for v in ring[1::2]]
        if not xs:
            return [0.0, 0.0, 0.0, 0.0]
        return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    if isinstance(ann, Mask):
        from annoformat import masks  # numpy + pycocotools: only when a mask needs it

        return list(masks.to_bbox(ann.counts, ann.height, ann.width))
    if isinstance(ann, Keypoints):
        xs = [x for x, v in zip(ann.points[0::2], ann.visibility, strict=False) if v]
        ys = [y for y, v in zip(ann.points[1::2], ann.visibility, strict=False) if v]
        if not xs:
            return [0.0, 0.0, 0.0, 0.0]
        return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    raise TypeError(f"COCO cannot hold {ann.type} annotations")


def _area_of(ann: Any) -> float:
    if ann.area is not None:
        return float(ann.area)
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
        from annoformat import masks

        return float(masks.area(ann.counts, ann.height, ann.width))
    bbox = _bbox_of(ann)
    return float(bbox[2] * bbox[3])


def _annotation_dict(parts: list[Any], image_id: int, ann_id: int, cat_id: int,
                     results: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ann_id, "image_id": image_id, "category_id": cat_id}
    main = parts[0]
    attrs: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for part in parts:
        attrs.update(part.attributes)
        for key in _FIELD_ATTRS:
            value = getattr(part, key)
            if value is not None:
                attrs[key] = value
        extras.update(part.extras.get("coco", {}))
        if isinstance(part, Polygon):
            out["segmentation"] = part.rings
        elif isinstance(part, Mask):
            out["segmentation"] = {"size": [part.height, part.width], "counts": part.counts}
        elif isinstance(part, Keypoints):
            if extras.pop("float_visibility", None):
                vis: list[Any] = [float(v) for v in part.visibility]
            else:
                vis = part.visibility
            flat: list[Any] = []
            for k, v in enumerate(vis):
                flat += (part.points[2 * k], part.points[2 * k + 1], v)
            out["keypoints"] = flat
            out["num_keypoints"] = extras.pop("num_keypoints", sum(1 for v in vis if v))
    out["bbox"] = _bbox_of(main)
    # ground truth always gets area and iscrowd (pycocotools needs them); detections only if read
    if not results or main.area is not None:
        out["area"] = _area_of(main)
    if not results or main.crowd is not None:
        out["iscrowd"] = 1 if main.crowd else 0
    if main.score is not None:
        out["score"] = main.score
    if attrs:
        out["attributes"] = attrs
    for key, value in extras.items():
        out.setdefault(key, value)
    return out


def _document(ds: Dataset, items: list[Item], record: dict[str, Any],
              cat_ids: dict[str, int], report: Report) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    info = record.get("info", ds.info or None)
    if info is not None:
        doc["info"] = info
    if "licenses" in record:
        doc["licenses"] = record["licenses"]
    item_ids = _ids(item.id for item in items)
    if item_ids is None:
        item_ids = list(range(1, len(items) + 1))
        if items:
            report.add("AF508", count=len(items), what="image", format="coco",
                       reason="item ids are not unique integers")
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    groups = [_groups(item.annotations) for item in items]
    all_ann_ids = _ids(parts[0].id for item_groups in groups for parts in item_groups)
    next_ann = 1
    for item, image_id, item_groups in zip(items, item_ids, groups, strict=True):
        media = item.media
        assert isinstance(media, Image)
        image: dict[str, Any] = {"id": image_id, "file_name": media.path,
                                 "width": media.width, "height": media.height}
        for key, value in item.extras.get("coco", {}).items():
            image.setdefault(key, value)
        if image.get("width") is None:
            image.pop("width", None)
        if image.get("height") is None:
            image.pop("height", None)
        images.append(image)
        for parts in item_groups:
            if all_ann_ids is not None and parts[0].id is not None:
                ann_id = parts[0].id
            else:
                ann_id = next_ann
            next_ann += 1
            label = parts[0].label
            annotations.append(_annotation_dict(parts, image_id, ann_id, cat_ids[label]))
    if all_ann_ids is None and annotations:
        report.add("AF508", count=len(annotations), what="annotation", format="coco",
                   reason="annotation ids are missing, not integers or not unique")
    doc["images"] = images
    if not record.get("no_annotations") or annotations:
        doc["annotations"] = annotations
    doc["categories"] = [_category_dict(label, cat_ids[label.name]) for label in ds.labels]
    for key, value in record.get("other", {}).items():
        doc.setdefault(key, value)
    return doc


def _category_dict(label: Label, cat_id: int) -> dict[str, Any]:
    extra = dict(label.extras.get("coco", {}))
    present = extra.pop("_present", None)
    out: dict[str, Any] = {"id": cat_id, "name": label.name}
    if present is None:
        present = _canonical_category_keys(label.parent, label.keypoints)
    if "supercategory" in present or label.parent is not None:
        out["supercategory"] = label.parent if label.parent is not None else ""
    if "keypoints" in present or label.keypoints:
        out["keypoints"] = list(label.keypoints)
    if "skeleton" in present or label.skeleton:
        out["skeleton"] = [[a + 1, b + 1] for a, b in label.skeleton]
    for key, value in extra.items():
        out.setdefault(key, value)
    return out


_WRITABLE = (BBox, Polygon, Mask, Keypoints)


def _groups(annotations: list[Any]) -> list[list[Any]]:
    """Annotations of one item grouped into COCO objects: parts sharing an ``id`` merge."""
    ids = [a.id for a in annotations]
    if None not in ids and len(set(ids)) == len(ids):  # the common case: nothing to merge
        return [[a] for a in annotations if isinstance(a, _WRITABLE)]
    groups: list[list[Any]] = []
    by_id: dict[Any, list[Any]] = {}
    for ann in annotations:
        if not isinstance(ann, _WRITABLE):
            continue
        if ann.id is not None:
            group = by_id.get((ann.id, ann.label))
            if group is not None and not any(type(p) is type(ann) for p in group):
                group.append(ann)
                continue
            by_id[(ann.id, ann.label)] = group = [ann]
            groups.append(group)
        else:
            groups.append([ann])
    return groups


def _category_ids(ds: Dataset) -> dict[str, int]:
    ids = [label.id for label in ds.labels]
    if all(i is not None for i in ids) and len(set(ids)) == len(ids):
        return {label.name: int(label.id) for label in ds.labels if label.id is not None}
    taken = {i for i in ids if i is not None}
    out: dict[str, int] = {}
    next_id = 1
    seen: set[int] = set()
    for label in ds.labels:
        if label.id is not None and label.id not in seen:
            out[label.name] = label.id
            seen.add(label.id)
            continue
        while next_id in taken or next_id in seen:
            next_id += 1
        out[label.name] = next_id
        seen.add(next_id)
    return out


def _dump(doc: Any, options: Options) -> bytes:
    opts = orjson.OPT_INDENT_2 if options.indent else 0
    return orjson.dumps(doc, option=opts)


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write ``ds`` as COCO to ``dest`` (a ``.json`` file, or a dataset folder).

    Annotations COCO cannot hold are skipped here: the conversion planner has already reported
    them (AF5xx) and the user allowed the loss.
    """
    cat_ids = _category_ids(ds)
    coco_extras = ds.extras.get("coco", {})
    files: dict[str, dict[str, Any]] = coco_extras.get("files", {})
    by_subset: dict[str | None, list[Item]] = {}
    for item in ds.items:
        if isinstance(item.media, Image):
            by_subset.setdefault(item.subset, []).append(item)
    layout = options.layout
    if layout == "auto":
        layout = "file" if dest.suffix.lower() == ".json" else coco_extras.get("layout", "folder")
    outputs: list[tuple[Path, Any]] = []
    if coco_extras.get("results") and layout == "file":
        outputs.append((dest, _results_list(ds, cat_ids)))
    elif layout == "file":
        if len(by_subset) > 1:
            report.add("AF507", what="subsets", format="coco (single file)",
                       detail=", ".join(sorted(str(s) for s in by_subset)))
        items = [item for group in by_subset.values() for item in group]
        record = files.get("", next(iter(files.values()), {})) if files else {}
        outputs.append((dest, _document(ds, items, record, cat_ids, report)))
    else:
        for subset, items in by_subset.items() or {None: []}.items():
            key = "" if subset is None else subset
            record = files.get(key, {})
            if layout == "roboflow":
                rel = Path(subset or "default") / _ROBOFLOW
            else:
                stem = record.get("stem") or _canonical_stem(subset)
                rel = Path("annotations") / f"{stem}.json"
            outputs.append((dest / rel, _document(ds, items, record, cat_ids, report)))
    for out_path, doc in outputs:
        if not schemas.is_valid(SCHEMA, doc):
            for ptr, message in list(schemas.iter_errors(SCHEMA, doc))[:20]:
                report.add("AF102", path=str(out_path), pointer=ptr, format="coco",
                           reason=message)
            return
    for out_path, doc in outputs:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_bytes(_dump(doc, options))


def _results_list(ds: Dataset, cat_ids: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for item in ds.items:
        for parts in _groups(item.annotations):
            det = _annotation_dict(parts, int(item.id), 0, cat_ids[parts[0].label], results=True)
            if parts[0].id is None:
                del det["id"]
            out.append(det)
    return out


FORMAT = FormatSpec(
    name="coco",
    description="COCO JSON: instances, keypoints, results; single file, folder or Roboflow",
    extensions=(".json",),
    capabilities=CAPABILITIES,
    options=Options,
    schemas=(SCHEMA,),
    detect=detect,
    read=read,
    write=write,
)
