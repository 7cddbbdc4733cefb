"""IR -> COCO: one document per subset, checked against the schema before it is written."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from annoformat import schemas
from annoformat.diagnostics import Report
from annoformat.formats.coco._common import (
    _FIELD_ATTRS,
    _ROBOFLOW,
    SCHEMA,
    Options,
    _canonical_category_keys,
    _canonical_stem,
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
)


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


