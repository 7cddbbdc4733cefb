"""IR -> COCO: one document per subset, checked against the schema as it is written (what was
written goes when a check fails)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from annoformat import schemas
from annoformat.diagnostics import Report
from annoformat.formats.coco._common import (
    FIELD_ATTRS,
    NAME,
    ROBOFLOW,
    SCHEMA,
    Options,
    assigned_ids,
    bbox_of,
    box_ring,
    canonical_category_keys,
    canonical_stem,
    documents,
    file_name_of,
    object_ids,
    objects,
    output_layout,
    resolve_options,
    results_file,
    tidy_product,
    tidy_shoelace,
)
from annoformat.geometry import area_of, enclosing_box
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
)
from annoformat.parallel import map_inherited
from annoformat.progress import counter, track


def _area_of(ann: Any, bbox: list[float]) -> float:
    """The stored area as it came (an integer stays one), else the derived one without float
    noise (``tidy``)."""
    if ann.area is not None:
        area: float = ann.area
        return area
    if isinstance(ann, BBox):
        return tidy_product(ann.w, ann.h)
    if isinstance(ann, Polygon):
        shoelace = area_of(ann)
        assert shoelace is not None
        x, y, w, h = bbox if ann.bbox is None else enclosing_box(ann)
        points = sum(len(ring) for ring in ann.rings) // 2
        return tidy_shoelace(shoelace, points, x, y, x + w, y + h)
    if isinstance(ann, Mask):
        return float(area_of(ann) or 0.0)  # a pixel count
    return tidy_product(bbox[2], bbox[3])  # keypoints alone: their box


def _annotation_dict(parts: list[Any], image_id: int, ann_id: int, cat_id: int,
                     results: bool = False, box_segmentation: str = "polygon"
                     ) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ann_id, "image_id": image_id, "category_id": cat_id}
    main = parts[0]
    attrs: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for part in parts:
        attrs.update(part.attributes)
        for key in FIELD_ATTRS:
            value = getattr(part, key)
            if value is not None:
                attrs[key] = value
        if part.annotator is not None:
            attrs["annotator"] = part.annotator
        if part.origin != ("model" if results else "unknown"):  # else the file says it
            attrs["origin"] = part.origin
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
    bbox = bbox_of(main)
    if extras.pop("_no_segmentation", False):
        box_segmentation = "absent"  # this object had none in a file where others had one
    if "_segmentation" in extras:  # its own form (another corner order, [] in a mixed file)
        out["segmentation"] = extras.pop("_segmentation")
    if ("segmentation" not in out and "segmentation" not in extras and not results
            and box_segmentation != "absent"):
        # a box-only object: pycocotools' annToMask and segm evaluation need a segmentation
        # (keypoints alone may have a 0-wide box: no polygon there)
        degenerate = not (bbox[2] > 0 and bbox[3] > 0)
        out["segmentation"] = ([] if box_segmentation == "empty" or degenerate
                               else [box_ring(*bbox)])
    out["bbox"] = bbox
    # ground truth always gets area and iscrowd (pycocotools needs them); detections only if read
    if not results or main.area is not None:
        out["area"] = _area_of(main, bbox)
    if not results or main.crowd is not None:
        out["iscrowd"] = 1 if main.crowd else 0
    if main.score is not None:
        out["score"] = main.score
    if attrs:
        out["attributes"] = attrs
    for key, value in extras.items():
        out.setdefault(key, value)
    return out


#: what must be unset on a box for the plain path: nothing of it goes to ``attributes`` or
#: ``score`` (``_annotation_dict`` writes these when set)
_UNSET = itemgetter("score", "annotator", *FIELD_ATTRS)
_NONE = (None,) * (2 + len(FIELD_ATTRS))


def _plain(fields: dict[str, Any]) -> bool:
    """Whether a lone annotation (its ``__dict__``) has nothing ``_annotation_dict`` would put
    in ``attributes``, ``score`` or other keys: its geometry, area and ``iscrowd`` only."""
    return (not fields["attributes"] and not fields["extras"] and fields["origin"] == "unknown"
            and _UNSET(fields) == _NONE)


def _plain_box(fields: dict[str, Any]) -> bool:
    """Whether a lone ``BBox`` (its ``__dict__``) is written as its box, corner ring, area and
    ``iscrowd`` and nothing else: ``_annotation_dict`` would give exactly that dict."""
    return (_plain(fields) and type(fields["x"]) is float
            and type(fields["y"]) is float and type(fields["w"]) is float
            and type(fields["h"]) is float and fields["w"] > 0 and fields["h"] > 0)


#: ``_common``'s error unit; _fill_boxes inlines tidy_sum and tidy_product (tested equal)
_ULP = 2.0 ** -52


def _fill_boxes(boxes: list[dict[str, Any]]) -> None:
    """The corner rings (``box_ring``'s order) and missing areas of the plain boxes: the
    values of ``tidy_sum`` and ``tidy_product``, inlined (2.6M calls at COCO-2017 scale)."""
    log10, floor = math.log10, math.floor
    for d in boxes:
        x, y, w, h = d["bbox"]  # floats, w and h > 0 (_plain_box)
        x2, y2 = x + w, y + h
        err = _ULP * (abs(x) + w)
        if err > 0 and x2 - x2 == 0.0:  # finite
            x2 = round(x2, floor(-log10(2 * err)))
        err = _ULP * (abs(y) + h)
        if err > 0 and y2 - y2 == 0.0:
            y2 = round(y2, floor(-log10(2 * err)))
        d["segmentation"] = [[x, y, x, y2, x2, y2, x2, y]]
        if d["area"] is None:
            area = w * h
            err = 2 * _ULP * area
            d["area"] = (round(area, floor(-log10(2 * err))) if err > 0 and area - area == 0.0
                         else area)


#: annotations serialised (and checked) at a time: the document never holds them all as dicts
CHUNK = 2_000

#: what a document's annotations are made from: its items, their image ids, every object's
#: id, the category ids and the box segmentation style (a forked worker inherits it whole)
_Shared = tuple[list[Item], Sequence[int], Sequence[int], dict[str, int], str]
#: one chunk: items [first, end) and the position of the first one's first object
_Range = tuple[int, int, int]
#: one COCO document: its dict (``annotations`` an empty placeholder list when present) and
#: its annotations' chunks, to be checked and serialised in order
Document = tuple[dict[str, Any], tuple[_Shared, list[_Range]]]


def _document(ds: Dataset, items: list[Item], record: dict[str, Any],
              cat_ids: dict[str, int], options: Options, key: str) -> Document:
    box_segmentation = options.box_segmentation
    if box_segmentation == "auto":  # as the source file wrote them, else the corners
        styles = ds.extras.get("coco", {}).get("_box_segmentation", {})
        box_segmentation = styles.get(key, "polygon")
    doc: dict[str, Any] = {}
    info = record.get("info", ds.info or None)
    if info is not None:
        doc["info"] = info
    if "licenses" in record:
        doc["licenses"] = record["licenses"]
    # which ids are kept: the same decision as the plan's AF508 (assigned_ids, objects)
    item_ids = assigned_ids([item.id for item in items], options.first_image_id)
    images: list[dict[str, Any]] = []
    for item, image_id in zip(items, item_ids, strict=True):
        media = item.media
        assert isinstance(media, (Image, VideoFrame))
        image: dict[str, Any] = {"id": image_id, "file_name": file_name_of(media),
                                 "width": media.width, "height": media.height}
        if isinstance(media, VideoFrame):  # read back as the frame it is
            image["video"], image["frame"] = media.path, media.frame
        for key, value in item.extras.get("coco", {}).items():
            image.setdefault(key, value)
        if image.get("width") is None:
            image.pop("width", None)
        if image.get("height") is None:
            image.pop("height", None)
        images.append(image)
    # the objects' ids only: each item's objects are grouped again as they are written
    per_item = [object_ids(item.annotations) for item in items]
    ids = [oid for item_ids_ in per_item for oid in item_ids_]
    all_ann_ids = assigned_ids(ids, options.first_annotation_id)
    doc["images"] = images
    if not record.get("no_annotations") or ids:
        doc["annotations"] = []  # filled in from the chunks as they are serialised
    doc["categories"] = [_category_dict(label, cat_ids[label.name]) for label in ds.labels]
    for key, value in record.get("other", {}).items():
        doc.setdefault(key, value)
    shared = (items, item_ids, all_ann_ids, cat_ids, box_segmentation)
    return doc, (shared, _ranges([len(one) for one in per_item]))


def _ranges(counts: list[int]) -> list[_Range]:
    """The document's chunks: runs of whole items of CHUNK objects (or a few more), from the
    number of objects of each item."""
    out: list[_Range] = []
    first = done = size = 0
    for end, count in enumerate(counts, 1):
        size += count
        if size >= CHUNK:
            out.append((first, end, done))
            first, done, size = end, done + size, 0
    if size:
        out.append((first, len(counts), done))
    return out


def _chunk(shared: _Shared, task: _Range) -> list[dict[str, Any]]:
    """The annotation dicts of one chunk's items, in order."""
    items, item_ids, all_ann_ids, cat_ids, box_segmentation = shared
    first, end, next_ann = task
    chunk: list[dict[str, Any]] = []
    boxes: list[dict[str, Any]] = []  # plain boxes: ring and area filled in by _fill_boxes
    for k in range(first, end):
        image_id = item_ids[k]
        for parts in objects(items[k].annotations):
            ann_id = all_ann_ids[next_ann]
            next_ann += 1
            main = parts[0]
            fields = main.__dict__
            if (len(parts) == 1 and type(main) is BBox and box_segmentation == "polygon"
                    and _plain_box(fields)):
                out = {"id": ann_id, "image_id": image_id,
                       "category_id": cat_ids[fields["label"]], "segmentation": None,
                       "bbox": [fields["x"], fields["y"], fields["w"], fields["h"]],
                       "area": fields["area"], "iscrowd": 1 if fields["crowd"] else 0}
                boxes.append(out)
                chunk.append(out)
            elif len(parts) == 1 and type(main) is Polygon and _plain(fields):
                # what _annotation_dict gives a lone polygon, without its generic steps
                bbox = bbox_of(main)
                chunk.append({
                    "id": ann_id, "image_id": image_id, "category_id": cat_ids[fields["label"]],
                    "segmentation": fields["rings"], "bbox": bbox,
                    "area": _area_of(main, bbox), "iscrowd": 1 if fields["crowd"] else 0})
            else:
                chunk.append(_annotation_dict(parts, image_id, ann_id, cat_ids[main.label],
                                              box_segmentation=box_segmentation))
    _fill_boxes(boxes)
    return chunk


def _chunk_bytes(shared: _Shared, task: _Range) -> tuple[bytes, list[tuple[str, str]]]:
    """One chunk checked against the schema and serialised (the annotations' part of the
    array: no brackets), or the first 20 schema errors (pointers into the chunk) and no bytes.
    Module-level, of what a forked worker inherits: a pool runs it (``map_shared``)."""
    chunk = _chunk(shared, task)
    wrapped = {"images": [], "annotations": chunk, "categories": []}
    if not schemas.is_valid(SCHEMA, wrapped):
        return b"", list(schemas.iter_errors(SCHEMA, wrapped))[:20]
    return orjson.dumps(chunk)[1:-1], []


def _category_dict(label: Label, cat_id: int) -> dict[str, Any]:
    extra = dict(label.extras.get("coco", {}))
    present = extra.pop("_present", None)
    base = extra.pop("skeleton_base", 1)  # 0: as datumaro wrote it
    out: dict[str, Any] = {"id": cat_id, "name": label.name}
    if present is None:
        present = canonical_category_keys(label.parent, label.keypoints)
    if "supercategory" in present or label.parent is not None:
        out["supercategory"] = label.parent if label.parent is not None else ""
    if "keypoints" in present or label.keypoints:
        out["keypoints"] = list(label.keypoints)
    if "skeleton" in present or label.skeleton:
        out["skeleton"] = [[a + base, b + base] for a, b in label.skeleton]
    for key, value in extra.items():
        out.setdefault(key, value)
    return out


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

    Annotations COCO cannot hold are skipped, and ids renumbered, as the format's loss plan
    (``_plan.plan``) stated before writing, from the same decisions.
    """
    cat_ids = _category_ids(ds)
    coco_extras = ds.extras.get("coco", {})
    files: dict[str, dict[str, Any]] = coco_extras.get("files", {})
    layout = output_layout(ds, resolve_options(options, dest))
    outputs: list[tuple[Path, Any, tuple[_Shared, list[_Range]] | None]] = []
    if results_file(ds, layout):
        outputs.append((dest, _results_list(ds, cat_ids), None))
    elif layout == "file":
        ((_, items),) = documents(ds, layout)
        record = files.get("", next(iter(files.values()), {})) if files else {}
        styles = ds.extras.get("coco", {}).get("_box_segmentation", {})
        one = "" if "" in styles else next(iter(styles), "")
        outputs.append((dest, *_document(ds, items, record, cat_ids, options, one)))
    else:
        for subset, items in documents(ds, layout):
            key = "" if subset is None else subset
            record = files.get(key, {})
            if layout == "roboflow":
                rel = Path(subset or "default") / ROBOFLOW
            else:
                stem = record.get("stem") or canonical_stem(subset)
                rel = Path("annotations") / f"{stem}.json"
            outputs.append((dest / rel, *_document(ds, items, record, cat_ids, options, key)))
    # each output written as it is checked, a chunk of annotations at a time (never the whole
    # document's bytes at once); on a failure what was written goes (nothing half-written)
    written: list[Path] = []
    made: list[Path] = []
    for out_path, doc, parts in outputs:
        for folder in reversed(out_path.parents):
            if not folder.exists():
                folder.mkdir()
                made.append(folder)
        written.append(out_path)
        with open(out_path, "wb") as fh:
            done = _serialise(fh, out_path, doc, parts, options, report)
        if not done:
            for path in written:
                path.unlink(missing_ok=True)
            for folder in reversed(made):
                folder.rmdir()
            return


def _invalid(out_path: Path, doc: Any, report: Report) -> bool:
    """AF102 for each (of the first 20) schema errors of ``doc``."""
    if schemas.is_valid(SCHEMA, doc):
        return False
    _errors(out_path, list(schemas.iter_errors(SCHEMA, doc))[:20], report)
    return True


def _errors(out_path: Path, errors: list[tuple[str, str]], report: Report,
            offset: int = 0) -> None:
    """AF102 for each schema error; annotation pointers shifted by ``offset`` (the errors of
    one chunk of them)."""
    for ptr, message in errors:
        if offset and ptr.startswith("/annotations/"):
            index, slash, rest = ptr[len("/annotations/"):].partition("/")
            ptr = f"/annotations/{int(index) + offset}{slash}{rest}"
        report.add("AF102", path=str(out_path), pointer=ptr, format=NAME, reason=message)


def _counted(ranges: list[_Range], total: int) -> Iterator[_Range]:
    """``ranges`` as they are, their items counted as written (progress: ``total`` items)."""
    count = counter("write", total)
    if count is None:
        yield from ranges
        return
    try:
        for task in ranges:
            yield task
            count.add(task[1] - task[0])
        count.add(total - count.done)  # the last items, without objects
    finally:
        count.close()


#: fewest chunks worth a pool (a forked pool starts in milliseconds; a chunk is 2,000 objects)
_POOLED_CHUNKS = 8


def _serialise(fh: BinaryIO, out_path: Path, doc: Any,
               parts: tuple[_Shared, list[_Range]] | None, options: Options,
               report: Report) -> bool:
    """Write one output to ``fh``, checked against the schema as it goes; False (and AF102)
    if it fails.

    A document's annotations are checked and serialised a chunk at a time between the rest
    (orjson's compact output has no whitespace: the bytes are those of the whole document
    dumped at once), in a pool of forked workers with ``--jobs`` > 1 (each reads the items
    it inherited: nothing but bytes travels); pretty-printed output is dumped whole."""
    if parts is None or options.indent or "annotations" not in doc:
        if parts is not None and "annotations" in doc:
            shared, ranges = parts
            doc["annotations"] = [ann for task in _counted(ranges, len(shared[0]))
                                  for ann in _chunk(shared, task)]
        if _invalid(out_path, doc, report):
            return False
        fh.write(_dump(doc, options))
        return True
    if _invalid(out_path, doc, report):  # all but the annotations ([] in their place)
        return False
    keys = list(doc)
    at = keys.index("annotations")
    head = orjson.dumps({k: doc[k] for k in keys[:at]})[:-1]  # "{...", without its "}"
    fh.write(head + (b',"annotations":[' if at else b'"annotations":['))
    shared, ranges = parts
    done_chunks = map_inherited(_chunk_bytes, shared, ranges, min_items=_POOLED_CHUNKS)
    for (_, _, offset), (data, errors) in zip(_counted(ranges, len(shared[0])), done_chunks,
                                              strict=True):
        if errors:
            _errors(out_path, errors, report, offset)
            return False
        if offset:
            fh.write(b",")
        fh.write(data)
    tail = orjson.dumps({k: doc[k] for k in keys[at + 1:]})
    fh.write(b"]," + tail[1:] if len(keys) > at + 1 else b"]}")
    return True


def _results_list(ds: Dataset, cat_ids: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for item in track(ds.items, "write"):
        if not isinstance(item.media, Image):
            continue  # the plan drops it (AF509)
        for parts in objects(item.annotations):
            ann_id = parts[0].id
            det = _annotation_dict(parts, int(item.id), ann_id, cat_ids[parts[0].label],
                                   results=True)
            if ann_id is None:
                del det["id"]
            out.append(det)
    return out
