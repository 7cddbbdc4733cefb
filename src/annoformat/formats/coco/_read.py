"""COCO -> IR: schema first, then one pass over images and annotations with the checks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Protocol

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
from annoformat.formats.coco._common import (
    ANN_KEYS,
    CAT_KEYS,
    DOC_KEYS,
    FIELD_ATTRS,
    IMAGE_KEYS,
    ORIGINS,
    ROBOFLOW,
    SCHEMA,
    Options,
    box_ring,
    canonical_category_keys,
    canonical_stem,
    input_layout,
    is_box_ring,
)
from annoformat.model import (
    BBox,
    Dataset,
    Image,
    Item,
    Keypoints,
    Label,
    Mask,
    Polygon,
    VideoFrame,
    build,
    trusted,
)
from annoformat.progress import counter, track


class Firsts(Protocol):
    """Where each id (or name) was first met: a dict, or a streaming reader's compact table."""

    def get(self, key: Any, /) -> int | None: ...

    def __setitem__(self, key: Any, value: int, /) -> None: ...


class Reader:
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
        #: the box-only objects of the file being read, with how it wrote their segmentation
        self.box_styles: list[tuple[Any, str, Any]] = []
        self.box_segmentation: dict[str, str] = {}  # per file (subset key): absent or empty

    def extras(self) -> dict[str, Any]:
        """The dataset's extras: what the files said beside their items, so far."""
        extras: dict[str, Any] = {"layout": "roboflow"} if self.roboflow else {}
        if self.files:
            extras["files"] = self.files
        if self.results:
            extras["results"] = True
        if self.box_segmentation:
            extras["_box_segmentation"] = self.box_segmentation
        return {"coco": extras} if extras else {}

    def dataset(self) -> Dataset:
        return trusted(Dataset, {"labels": list(self.labels.values()), "items": self.items,
                                 "info": self.info or {}, "extras": self.extras()})

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
            if in_folder and path.stem != canonical_stem(subset) and path.name != ROBOFLOW:
                record["stem"] = path.stem
            self.box_styles.clear()
            if isinstance(doc, list):
                self.results = True
                self._results(doc, shown, subset)
            else:
                self._document(doc, shown, subset, record)
                self.box_style("" if subset is None else subset)
            if record:
                self.files["" if subset is None else subset] = record
        fill_json_positions(self.report, shown, data, since=since)

    def box_style(self, key: str) -> None:
        """Remember how the file wrote box-only objects' segmentation (no key, ``[]``, the
        corners) so the writer does the same: the file's own way, and on the few objects that
        differ from it (a mixed file), their own. These are notes on the file's form, not data
        (``_`` keys: the loss plan does not count them)."""
        if not self.box_styles:
            return
        usual = Counter(style for _, style, _ in self.box_styles).most_common(1)[0][0]
        if usual != "ring":
            self.box_segmentation[key] = usual
        for ann, style, seg in self.box_styles:
            if style != usual:
                own = ann.extras.setdefault("coco", {})
                own.update({"_no_segmentation": True} if seg is None else {"_segmentation": seg})

    # -- categories ---------------------------------------------------------------------------
    def categories(self, cats: list[dict[str, Any]], path: str) -> dict[int, Label]:
        report = self.report
        by_id: dict[int, Label] = {}
        first_id: dict[int, int] = {}
        first_name: dict[str, int] = {}
        for i, cat in enumerate(cats):
            cid, name = cat["id"], cat["name"]
            if not self.int_ok(cid, path, f"/categories/{i}/id"):
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
            extra = {k: v for k, v in cat.items() if k not in CAT_KEYS}
            # which optional keys were present, when not what the writer would write anyway
            flags = [k for k in ("supercategory", "keypoints", "skeleton") if k in cat]
            if flags != canonical_category_keys(cat.get("supercategory"), cat.get("keypoints")):
                extra["_present"] = flags
            edges = cat.get("skeleton", [])
            base = 1
            ends = {v for edge in edges for v in edge}
            if 0 in ends and len(cat.get("keypoints", [])) not in ends:  # datumaro writes 0-based
                base = 0
                extra["skeleton_base"] = 0  # written back as it came
                report.add("AF212", path=path, pointer=f"/categories/{i}/skeleton", name=name)
            label = build(
                Label, name=name, id=cid, parent=cat.get("supercategory"),
                keypoints=list(cat.get("keypoints", [])),
                skeleton=[(int(a) - base, int(b) - base) for a, b in edges],  # 1.0 is an integer
                extras={"coco": extra} if extra else {},
            )
            self.labels[name] = label
            self.label_ids[cid] = label
            by_id[cid] = label
        return by_id

    def int_ok(self, value: Any, path: str, ptr: str) -> bool:
        # orjson reads integers beyond 64 bits as floats; the schema cannot tell 1e30 from 1
        if type(value) is int:
            return True
        self.report.add("AF008", path=path, pointer=ptr, value=value)
        return False

    # -- documents ----------------------------------------------------------------------------
    def document_head(self, doc: dict[str, Any], path: str, record: dict[str, Any]
                      ) -> dict[int, Label]:
        """What a document states beside its images and annotations (info, licenses, other
        keys: into ``record``) and its categories; only the presence of ``images`` and
        ``annotations`` is looked at, so a streaming reader passes them empty."""
        if "info" in doc:
            if self.info is None:
                self.info = doc["info"]
            if doc["info"] != self.info or not doc["info"]:
                record["info"] = doc["info"]
        if "licenses" in doc:
            record["licenses"] = doc["licenses"]
        other = {k: v for k, v in doc.items() if k not in DOC_KEYS}
        if other:
            record["other"] = other
        if "annotations" not in doc:
            record["no_annotations"] = True
        return self.categories(doc["categories"], path)

    def check_image(self, i: int, img: dict[str, Any], path: str, first_image: Firsts,
                    first_name: Firsts, name_key: Any = None) -> bool:
        """Record the problems of image ``i``; False when it is no item (a bad or repeated
        id). ``first_name`` is keyed by the file name, or by ``name_key(file name)``."""
        report = self.report
        iid = img["id"]
        if not self.int_ok(iid, path, f"/images/{i}/id"):
            return False
        first = first_image.get(iid)
        if first is not None:
            report.add("AF203", path=path, pointer=f"/images/{i}/id", image_id=iid,
                       item_id=str(iid), first=f"/images/{first}")
            return False
        first_image[iid] = i
        name = img["file_name"]
        key = name if name_key is None else name_key(name)
        first = first_name.get(key)
        if first is not None:
            report.add("AF206", path=path, pointer=f"/images/{i}/file_name", file_name=name,
                       item_id=str(iid), first=f"/images/{first}")
        else:
            first_name[key] = i
        if not is_safe_relative(name):
            report.add("AF016", path=path, pointer=f"/images/{i}/file_name", value=name,
                       item_id=str(iid))
        width, height = img.get("width"), img.get("height")
        if not width or not height:
            report.add("AF308", path=path, pointer=f"/images/{i}", item_id=str(iid),
                       width=width, height=height)
        return True

    def _document(self, doc: dict[str, Any], path: str, subset: str | None,
                  record: dict[str, Any]) -> None:
        cats = self.document_head(doc, path, record)
        sm = sourcemap.current()
        items_by_id: dict[int, Item] = {}
        sizes: dict[int, tuple[int | None, int | None]] = {}
        first_image: dict[int, int] = {}
        first_name: dict[Any, int] = {}
        for i, img in enumerate(track(doc["images"], "read")):
            if not self.check_image(i, img, path, first_image, first_name):
                continue
            if sm is not None:
                sm.item(len(self.items), path, pointer=f"/images/{i}")
            item = image_item(img, subset)
            items_by_id[img["id"]] = item
            sizes[img["id"]] = (img.get("width"), img.get("height"))
            self.items.append(item)
        self._annotations(doc.get("annotations", []), path, cats, items_by_id, sizes)

    def detection_ids(self, j: int, det: dict[str, Any], path: str, cats: dict[int, Label]
                      ) -> bool:
        """Check a detection's ids and meet its category (a label named by its id unless a
        label map said more); False when its ids are not integers."""
        iid, cid = det["image_id"], det["category_id"]
        if not (self.int_ok(iid, path, f"/{j}/image_id")
                and self.int_ok(cid, path, f"/{j}/category_id")):
            return False
        if cid not in cats:
            label = self.label_ids.get(cid)
            if label is None:
                # results files carry ids only; the name is the id until a label map says more
                label = build(Label, name=str(cid), id=cid)
                self.labels.setdefault(label.name, label)
                self.label_ids[cid] = label
            cats[cid] = label
        return True

    def _results(self, dets: list[dict[str, Any]], path: str, subset: str | None) -> None:
        items_by_id: dict[int, Item] = {}
        sizes: dict[int, tuple[int | None, int | None]] = {}
        cats: dict[int, Label] = {}
        count = counter("read")  # items are the images the detections name: not known before
        for j, det in enumerate(dets):
            if not self.detection_ids(j, det, path, cats):
                continue
            iid = det["image_id"]
            if iid not in items_by_id:
                item = detection_item(iid, subset)
                items_by_id[iid] = item
                sizes[iid] = (None, None)
                self.items.append(item)
                if count is not None:
                    count.add()
        if count is not None:
            count.close()
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
        # counted too: after the images, the annotations are most of the work
        for j, a in enumerate(track(anns, "read", unit="annotation")):
            iid = a["image_id"]
            item = items.get(iid)
            if item is None:
                if type(iid) is int:
                    report.add("AF201", path=path, pointer=f"{prefix}/{j}/image_id",
                               image_id=iid, annotation_id=a.get("id"))
                continue
            width, height = sizes[iid]
            made = self.annotation(j, a, path, prefix, cats, first_ann, item.id, width, height,
                                   results)
            if made is None:
                continue
            out, style = made
            if sm is not None:
                index = item_index[id(item)]
                for k in range(len(out)):
                    sm.annotation(index, len(item.annotations) + k, path, pointer=f"{prefix}/{j}")
            item.annotations.extend(out)
            if style is not None:
                self.box_styles.append((out[0], style, a.get("segmentation")))

    def annotation(self, j: int, a: dict[str, Any], path: str, prefix: str,
                   cats: dict[int, Label], first_ann: Firsts, item_id: str,
                   width: int | None, height: int | None, results: bool
                   ) -> tuple[list[Any], str | None] | None:
        """The IR annotations of COCO annotation ``j`` of an item (sized ``width`` x
        ``height``), with its problems recorded, and how it wrote a box-only object's
        segmentation (None when it is no such object); None when nothing is kept of it."""
        report = self.report
        eps = EPSILON
        aid = a.get("id")
        label = cats.get(a["category_id"])
        if label is None:
            if type(a["category_id"]) is int:
                report.add("AF202", path=path, pointer=f"{prefix}/{j}/category_id",
                           category_id=a["category_id"], item_id=item_id, annotation_id=aid)
            else:
                self.int_ok(a["category_id"], path, f"{prefix}/{j}/category_id")
            return None
        if aid is not None:
            if type(aid) is not int:  # checked inline: the pointer costs a string per call
                self.int_ok(aid, path, f"{prefix}/{j}/id")
                return None
            first = first_ann.get(aid)
            if first is not None:
                report.add("AF204", path=path, pointer=f"{prefix}/{j}/id", annotation_id=aid,
                           item_id=item_id, first=f"{prefix}/{first}")
                return None
            first_ann[aid] = j
        # every field of the IR annotation, with fresh dicts: `trusted` takes it as is
        common: dict[str, Any] = {
            "label": label.name, "id": aid, "attributes": {}, "group": None,
            "z_order": None, "occluded": None, "score": a.get("score"), "track_id": None,
            "annotator": None, "origin": "model" if results else "unknown", "extras": {},
            "crowd": bool(a["iscrowd"]) if "iscrowd" in a else None,
            "area": a.get("area"),
        }
        extra = None if a.keys() <= ANN_KEYS else {
            k: v for k, v in a.items() if k not in ANN_KEYS}
        if "attributes" in a:
            attrs = dict(a["attributes"])
            for key, typ in FIELD_ATTRS.items():
                if key in attrs and type(attrs[key]) is typ:
                    common[key] = attrs.pop(key)
            if "annotator" in attrs and type(attrs["annotator"]) is str:
                common["annotator"] = attrs.pop("annotator")
            if type(attrs.get("origin")) is str and attrs["origin"] in ORIGINS:
                common["origin"] = attrs.pop("origin")
            common["attributes"] = attrs
            if not a["attributes"]:
                extra = {**(extra or {}), "attributes": {}}
        out: list[Any] = []
        bbox = a.get("bbox")
        seg = a.get("segmentation")
        if isinstance(seg, dict):
            h, w = seg["size"]
            for f in check_mask(seg["counts"], h, w, width, height):
                report.add(f.code, path=path, pointer=f"{prefix}/{j}/segmentation{f.path}",
                           item_id=item_id, annotation_id=aid, **f.ctx)
            out.append(trusted(Mask, {**common, "type": "mask", "counts": seg["counts"],
                                      "height": h, "width": w,
                                      "bbox": tuple(bbox) if bbox is not None else None}))
        elif seg and is_box_ring(seg, bbox):  # the box's own rectangle: a box, not a shape
            assert bbox is not None
            if seg[0] != box_ring(bbox[0], bbox[1], bbox[2], bbox[3]):  # another order:
                extra = {**(extra or {}), "_segmentation": seg}  # written back as it was
        elif seg:
            bad = False
            for r, ring in enumerate(seg):
                if len(ring) >= 6 and not len(ring) % 2:
                    continue  # the common case, without a call
                for f in check_flat_points(ring, f"/segmentation/{r}", 3):
                    bad = True
                    report.add(f.code, path=path, pointer=f"{prefix}/{j}{f.path}",
                               item_id=item_id, annotation_id=aid, **f.ctx)
            if not bad:
                poly = common if "keypoints" not in a else dict(common)
                poly["type"], poly["rings"] = "polygon", seg
                poly["bbox"] = tuple(bbox) if bbox is not None else None
                out.append(trusted(Polygon, poly))
        style = None
        if not results and (not seg or (isinstance(seg, list) and not out)):
            # how this file writes a box-only object: no key, [] or the box's corners
            style = "absent" if seg is None else "empty" if seg == [] else "ring"
        if "keypoints" in a:
            flat = a["keypoints"]
            if len(flat) % 3:
                report.add("AF304", path=path, pointer=f"{prefix}/{j}/keypoints",
                           item_id=item_id, annotation_id=aid, count=len(flat))
            else:
                points = [v for k, v in enumerate(flat) if k % 3 != 2]
                vis = [int(v) for v in flat[2::3]]
                for f in check_keypoints(points, vis, label):
                    report.add(f.code, path=path, pointer=f"{prefix}/{j}/keypoints",
                               item_id=item_id, annotation_id=aid, **f.ctx)
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
                # the box of keypoints alone encloses the visible points: one point, or
                # points in a line, make it 0 wide or high, and that is no error
                points_only = bool(out) and all(isinstance(p, Keypoints) for p in out)
                for f in check_box(x, y, bw, bh, width, height):
                    if points_only and f.code == "AF302":
                        continue
                    report.add(f.code, path=path, pointer=f"{prefix}/{j}/bbox", item_id=item_id,
                               annotation_id=aid, **f.ctx)
            if not out:  # nothing else uses `common` now: it becomes the box
                common["type"], common["x"], common["y"] = "bbox", x, y
                common["w"], common["h"] = bw, bh
                out.append(trusted(BBox, common))
        elif not out and seg is None:
            report.add("AF101", path=path, pointer=f"{prefix}/{j}", item_id=item_id,
                       annotation_id=aid, reason="annotation has no bbox, segmentation or "
                       "keypoints")
        if not out:
            return None
        if extra:
            out[0].extras = {"coco": extra}
        return out, style


def image_item(img: dict[str, Any], subset: str | None) -> Item:
    """The item of a COCO image entry (checked by :meth:`Reader.check_image`)."""
    width, height = img.get("width"), img.get("height")
    extra = {k: v for k, v in img.items() if k not in IMAGE_KEYS}
    video, frame = extra.get("video"), extra.get("frame")
    media: Image | VideoFrame
    if isinstance(video, str) and type(frame) is int and frame >= 0:
        del extra["video"], extra["frame"]  # a video frame written as an image
        media = trusted(VideoFrame, {"kind": "video_frame", "path": video,
                                     "frame": frame, "width": width, "height": height})
    else:
        media = trusted(Image, {"kind": "image", "path": img["file_name"], "width": width,
                                "height": height})
    return trusted(Item, {"id": str(img["id"]), "subset": subset, "media": media,
                          "annotations": [], "attributes": {},
                          "extras": {"coco": extra} if extra else {}})


def detection_item(iid: int, subset: str | None) -> Item:
    """The item of an image a results file names (by its id only)."""
    media = trusted(Image, {"kind": "image", "path": "", "width": None, "height": None})
    return trusted(Item, {"id": str(iid), "subset": subset, "media": media,
                          "annotations": [], "attributes": {}, "extras": {}})


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a COCO file or dataset folder into the IR (None if it could not be read)."""
    reader = Reader(report)
    files = input_layout(path) if path.is_dir() else [(path, None)]
    if not files:
        report.add("AF057", path=str(path), format="coco", reason="no COCO JSON file found")
        return None
    for file, subset in files:
        reader.roboflow = reader.roboflow or file.name == ROBOFLOW
        reader.read_file(file, subset, in_folder=path.is_dir())
    return reader.dataset()


