"""Semantic rules over the IR (DESIGN.md validation layer 3).

Each check looks at one object and returns findings with a path *relative to that object*; the
walker (:func:`check_dataset`) or a reader prefixes the object's own location. So checks stay
small and every format reuses them with its own pointers (jsonschema's composition).

Example:
    >>> from annoformat.model import BBox
    >>> [f.code for f in check_annotation(BBox(label="a", x=-5, y=0, w=10, h=10), 100, 100)]
    ['AF301']
"""

from __future__ import annotations

import math
import re
from collections.abc import Container, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from annoformat.diagnostics import Report
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
    Relation,
    RotatedBBox,
    VideoFrame,
)

#: slack for float noise when comparing coordinates with the image border (pixels)
EPSILON = 1e-6
#: a coordinate beyond this many pixels (either sign) is an error (AF312): no image is that
#: large, and writers would print it with hundreds of digits
COORDINATE_LIMIT = 1e7
_LIMIT_SHOWN = "10000000"


class Finding(NamedTuple):
    """A check's result: a code, a path relative to the checked object, message context."""

    code: str
    path: str
    ctx: dict[str, Any]


def check_box(x: float, y: float, w: float, h: float,
              width: int | None, height: int | None) -> list[Finding]:
    """AF302 for non-positive size, AF301 for a box leaving a ``width`` x ``height`` image,
    AF312 for a value beyond :data:`COORDINATE_LIMIT`."""
    if w > 0 and h > 0:
        if width and height and (x < -EPSILON or y < -EPSILON or x + w > width + EPSILON
                                 or y + h > height + EPSILON):
            return check_range((x, y, w, h), "") or [
                Finding("AF301", "", {"x": x, "y": y, "w": w, "h": h,
                                      "width": width, "height": height})]
        if width and height:  # inside an image: no coordinate can be that large
            return []
        return check_range((x, y, w, h), "")
    return check_range((x, y, w, h), "") or [Finding("AF302", "", {"w": w, "h": h})]


def check_range(values: Sequence[float], path: str) -> list[Finding]:
    """AF312 for the first value beyond :data:`COORDINATE_LIMIT` pixels (either sign).

    Example:
        >>> [f.ctx["value"] for f in check_range([0, 1e308], "")]
        ['1e+308']
    """
    if not values or (max(values) <= COORDINATE_LIMIT and min(values) >= -COORDINATE_LIMIT):
        return []
    worst = max(values, key=abs)
    return [Finding("AF312", path, {"value": f"{worst:.6g}", "limit": _LIMIT_SHOWN})]


def check_flat_points(points: Sequence[float], path: str, min_points: int) -> list[Finding]:
    """AF304 for an odd number of values, AF303 for fewer than ``min_points`` points."""
    n = len(points)
    if n % 2:
        return [Finding("AF304", path, {"count": n})]
    if n < 2 * min_points:
        return [Finding("AF303", path, {"count": n // 2})]
    return []


def check_finite(values: Sequence[float], path: str) -> list[Finding]:
    """Guard for IR built by hand: NaN/inf (AF007) and coordinates beyond
    :data:`COORDINATE_LIMIT` (AF312) never reach a writer."""
    if all(math.isfinite(v) for v in values):
        return check_range(values, path)
    return [Finding("AF007", path, {"reason": "coordinate is NaN or infinite"})]


def check_keypoints(points: Sequence[float], visibility: Sequence[int],
                    label: Label | None) -> list[Finding]:
    """AF304 odd values, AF306 count differs from the label's names, AF309 bad visibility."""
    out = check_flat_points(points, "/points", 0)
    if out:
        return out
    count = len(points) // 2
    if len(visibility) != count:
        return [Finding("AF306", "/visibility", {"count": len(visibility), "expected": count,
                                                 "label": label.name if label else None})]
    if label is not None and label.keypoints and count != len(label.keypoints):
        out.append(Finding("AF306", "/points", {"count": count, "expected": len(label.keypoints),
                                                "label": label.name}))
    for i, v in enumerate(visibility):
        if v not in (0, 1, 2):
            out.append(Finding("AF309", f"/visibility/{i}", {"value": v}))
            break
    return out


def check_mask(counts: str | list[int], mask_h: int, mask_w: int,
               width: int | None, height: int | None) -> list[Finding]:
    """AF305 size differs from the image's, AF307 runs that do not cover the mask."""
    out: list[Finding] = []
    if width and height and (mask_w, mask_h) != (width, height):
        out.append(Finding("AF305", "", {"mask_width": mask_w, "mask_height": mask_h,
                                         "width": width, "height": height}))
    if isinstance(counts, list):
        if sum(counts) != mask_h * mask_w or any(c < 0 for c in counts):
            out.append(Finding("AF307", "/counts", {
                "reason": f"run lengths add up to {sum(counts)}, not {mask_h}x{mask_w}"}))
    else:
        from annoformat import masks

        reason = masks.compressed_problem(counts, mask_h, mask_w)
        if reason:
            out.append(Finding("AF307", "/counts", {"reason": reason}))
    return out


def check_annotation(ann: Any, width: int | None, height: int | None,
                     label: Label | None = None) -> list[Finding]:
    """Geometry findings for one IR annotation on an image of ``width`` x ``height``."""
    if isinstance(ann, BBox):
        return check_finite((ann.x, ann.y, ann.w, ann.h), "") or check_box(
            ann.x, ann.y, ann.w, ann.h, width, height)
    out: list[Finding] = []
    box = getattr(ann, "bbox", None)
    if box is not None:  # the enclosing box a source stored with a region
        bx, by, bw, bh = box
        out += [Finding(f.code, "/bbox", f.ctx) for f in check_box(bx, by, bw, bh, width, height)]
    return out + _shape_findings(ann, width, height, label)


def _shape_findings(ann: Any, width: int | None, height: int | None,
                    label: Label | None) -> list[Finding]:
    if isinstance(ann, Polygon):
        out: list[Finding] = []
        for i, ring in enumerate(ann.rings):
            out += check_finite(ring, f"/rings/{i}") or check_flat_points(ring, f"/rings/{i}", 3)
        return out
    if isinstance(ann, Polyline):
        return check_finite(ann.points, "/points") or check_flat_points(ann.points, "/points", 2)
    if isinstance(ann, Keypoints):
        return check_finite(ann.points, "/points") or check_keypoints(
            ann.points, ann.visibility, label)
    if isinstance(ann, Points):
        return check_finite(ann.points, "/points") or check_flat_points(ann.points, "/points", 1)
    if isinstance(ann, Mask):
        return check_mask(ann.counts, ann.height, ann.width, width, height)
    if isinstance(ann, RotatedBBox):
        found = check_finite((ann.x, ann.y, ann.w, ann.h), "")
        if found or (ann.w > 0 and ann.h > 0):
            return found
        return [Finding("AF302", "", {"w": ann.w, "h": ann.h})]
    if isinstance(ann, Ellipse):
        found = check_finite((ann.cx, ann.cy, ann.rx, ann.ry), "")
        if found or (ann.rx > 0 and ann.ry > 0):
            return found
        return [Finding("AF302", "", {"w": 2 * ann.rx, "h": 2 * ann.ry})]
    return []


def coordinate_lists(ann: Any) -> list[Sequence[float]]:
    """The coordinates of an IR annotation as the lists it holds them in (its stored box
    too); none for masks, tags, spans and relations."""
    values = ann.__dict__
    kind = values["type"]
    out: list[Sequence[float]] = []
    if kind in ("bbox", "rotated_bbox"):
        out.append((values["x"], values["y"], values["w"], values["h"]))
    elif kind == "ellipse":
        out.append((values["cx"], values["cy"], values["rx"], values["ry"]))
    elif kind == "polygon":
        out += values["rings"]
    elif kind in ("polyline", "points", "keypoints"):
        out.append(values["points"])
    box = values.get("bbox")
    if box is not None:
        out.append(box)
    return out


def far_coordinates(ds: Dataset) -> tuple[list[tuple[str, Any, int]], float]:
    """``(item id, annotation id, position)`` of each annotation with a coordinate beyond
    :data:`COORDINATE_LIMIT` (infinity too; NaN is AF007's, found by :func:`check_finite`),
    and the largest such magnitude: what a writer must never print (a 1e308 box would be a
    309-digit VOC integer). One pass of C-level ``min``/``max`` per list.

    Example:
        >>> ds = Dataset(labels=[Label(name="a")], items=[Item(id="1", media=Image(path="x"),
        ...     annotations=[BBox(label="a", x=1e308, y=0, w=1, h=1)])])
        >>> far_coordinates(ds)
        ([('1', None, 0)], 1e+308)
    """
    found: list[tuple[str, Any, int]] = []
    worst = 0.0
    lo, hi = -COORDINATE_LIMIT, COORDINATE_LIMIT
    for item in ds.items:
        for n, ann in enumerate(item.annotations):
            values = ann.__dict__  # plain reads: this loop sees every annotation
            kind = values["type"]
            if kind == "bbox" or kind == "rotated_bbox":
                far = not (lo <= values["x"] <= hi and lo <= values["y"] <= hi
                           and lo <= values["w"] <= hi and lo <= values["h"] <= hi)
            elif kind == "polygon":
                far = False
                for ring in values["rings"]:
                    if ring and (min(ring) < lo or max(ring) > hi):
                        far = True
                        break
            elif kind in ("polyline", "points", "keypoints"):
                points = values["points"]
                far = bool(points) and (min(points) < lo or max(points) > hi)
            elif kind == "ellipse":
                far = not all(lo <= values[k] <= hi for k in ("cx", "cy", "rx", "ry"))
            else:
                far = False
            box = values.get("bbox")
            if box is not None and not far:
                far = min(box) < lo or max(box) > hi
            if far:
                found.append((item.id, values["id"], n))
                worst = max(worst, *(abs(v) for lst in coordinate_lists(ann) for v in lst
                                     if v == v))
    return found, worst


def check_relations(annotations: Sequence[Any]) -> list[Finding]:
    """AF230 for each relation end that names no other annotation of the item (path ``/j/end``).

    Example:
        >>> [f.path for f in check_relations([Relation(source=1, target=2)])]
        ['/0/source', '/0/target']
    """
    ids = {a.id for a in annotations if a.id is not None and not isinstance(a, Relation)}
    out = []
    for j, ann in enumerate(annotations):
        if isinstance(ann, Relation):
            for end in ("source", "target"):
                value = getattr(ann, end)
                if value not in ids:
                    out.append(Finding("AF230", f"/{j}/{end}", {
                        "relation": ann.id if ann.id is not None else j, "entity_id": value}))
    return out


def check_dataset(ds: Dataset, report: Report, path: str | None = None) -> None:
    """Walk an IR dataset: control characters in names (:func:`check_text`), duplicate
    labels/items, unknown labels, geometry.

    Locations are IR pointers (``/items/3/annotations/1``) plus item and annotation ids.
    """
    check_text(ds, report, path)
    labels: dict[str, Label] = {}
    for i, declared in enumerate(ds.labels):
        if declared.name in labels:
            report.add("AF209", path=path, pointer=f"/labels/{i}/name", label=declared.name)
        labels.setdefault(declared.name, declared)
    check_skeletons(ds, report, path)
    seen: set[tuple[str | None, str]] = set()
    for i, item in enumerate(ds.items):
        key = (item.subset, item.id)
        if key in seen:
            report.add("AF207", path=path, pointer=f"/items/{i}/id", item_id=item.id,
                       subset=item.subset)
        seen.add(key)
        media = item.media
        width = height = None
        if isinstance(media, (Image, VideoFrame)):
            width, height = media.width, media.height
        for j, ann in enumerate(item.annotations):
            base = f"/items/{i}/annotations/{j}"
            label = labels.get(ann.label) if ann.label is not None else None
            if ann.label is not None and label is None:
                report.add("AF208", path=path, pointer=f"{base}/label", item_id=item.id,
                           annotation_id=ann.id, label=ann.label)
            for f in check_annotation(ann, width, height, label):
                report.add(f.code, path=path, pointer=base + f.path, item_id=item.id,
                           annotation_id=ann.id, **f.ctx)
        if any(isinstance(a, Relation) for a in item.annotations):
            for f in check_relations(item.annotations):
                report.add(f.code, path=path, pointer=f"/items/{i}/annotations{f.path}",
                           item_id=item.id, **f.ctx)


# --------------------------------------------------------------------------------------------
# text safety (issue 13): names and values that hold control characters

_C0 = ("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "TAB", "LF", "VT", "FF",
       "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM",
       "SUB", "ESC", "FS", "GS", "RS", "US")
#: control characters (C0, DEL, C1) and what no XML 1.0 document can hold (lone surrogates,
#: the noncharacters U+FFFE and U+FFFF)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: the same, but tab, line feed and carriage return are text (free values such as a note)
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: what XML 1.0 cannot hold, not even as a character reference (its ``Char`` production)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: line breaks, as ``str.splitlines`` finds them
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def char_name(char: str) -> str:
    r"""``U+001B (ESC)``: a character as a person can read it, whatever it is.

    Example:
        >>> char_name("\x00"), char_name("\x85"), char_name("\ud800")
        ('U+0000 (NUL)', 'U+0085 (a C1 control)', 'U+D800 (a lone surrogate)')
    """
    code = ord(char)
    if code < 0x20:
        name = _C0[code]
    elif code == 0x7F:
        name = "DEL"
    elif 0x80 <= code <= 0x9F:
        name = "a C1 control"
    elif 0xD800 <= code <= 0xDFFF:
        name = "a lone surrogate"
    elif code in (0xFFFE, 0xFFFF):
        name = "a noncharacter"
    elif char in "\u2028\u2029":
        name = "a line separator"
    else:
        return f"U+{code:04X}"
    return f"U+{code:04X} ({name})"


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return char_name(found.group()) if found else None


def control_character(text: str, *, free: bool = False) -> str | None:
    r"""The first control character of ``text`` (or one XML 1.0 cannot hold), named; None when
    there is none. ``free`` text (an attribute value) may hold tabs and line breaks.

    Example:
        >>> control_character("cat\x1b[31m"), control_character("a\nb", free=True)
        ('U+001B (ESC)', None)
    """
    return _first(_CONTROL_IN_TEXT if free else _CONTROL, text)


def xml_character(text: str) -> str | None:
    r"""The first character of ``text`` that XML 1.0 cannot hold, named; None when none.

    Example:
        >>> xml_character("a\tb\n"), xml_character("a\x00b")
        (None, 'U+0000 (NUL)')
    """
    return _first(_NOT_XML, text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate(text: str) -> str | None:
    """The first lone surrogate of ``text`` (which no UTF-8 file can hold), named; None when
    there is none. Python strings can hold one; no reader of annoformat's makes one."""
    return _first(_SURROGATE, text)


def line_break(text: str) -> str | None:
    """The first line break in ``text``, named; None when there is none."""
    return _first(_LINE_BREAK, text)


class TextField(NamedTuple):
    """One string of a dataset: what it is, where (IR pointer, ids), and whether it is free
    text (tabs and line breaks allowed) rather than a name."""

    what: str
    value: str
    pointer: str
    item_id: str | None = None
    annotation_id: Any = None
    free: bool = False


def json_strings(value: Any, what: str, pointer: str, item_id: str | None = None,
             annotation_id: Any = None) -> Iterator[TextField]:
    """Every key (a name) and string value (free text) inside a JSON-like value."""
    if isinstance(value, str):
        yield TextField(what, value, pointer, item_id, annotation_id, True)
    elif isinstance(value, dict):
        for key, inner in value.items():
            at = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if isinstance(key, str):
                yield TextField(f"{what} key", key, at, item_id, annotation_id)
            yield from json_strings(inner, what, at, item_id, annotation_id)
    elif isinstance(value, (list, tuple)):
        for k, inner in enumerate(value):
            yield from json_strings(inner, what, f"{pointer}/{k}", item_id, annotation_id)


def _attributes(attrs: dict[str, Any], pointer: str, item_id: str | None,
                annotation_id: Any = None) -> Iterator[TextField]:
    for key, value in attrs.items():
        at = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
        yield TextField("attribute name", key, at, item_id, annotation_id)
        yield from json_strings(value, "attribute value", at, item_id, annotation_id)


def label_text_fields(labels: Sequence[Label]) -> Iterator[TextField]:
    """The names of declared labels: label, supercategory, keypoint and attribute names, and
    the declared attribute values (``/labels/i/...`` pointers)."""
    for i, label in enumerate(labels):
        base = f"/labels/{i}"
        yield TextField("label name", label.name, f"{base}/name")
        if label.parent is not None:
            yield TextField("supercategory", label.parent, f"{base}/parent")
        for k, name in enumerate(label.keypoints):
            yield TextField("keypoint name", name, f"{base}/keypoints/{k}")
        for a, spec in enumerate(label.attributes):
            at = f"{base}/attributes/{a}"
            yield TextField("attribute name", spec.name, f"{at}/name")
            for v, value in enumerate(spec.values):
                yield TextField("attribute value", value, f"{at}/values/{v}")
            yield from json_strings(spec.default, "attribute value", f"{at}/default")


def item_text_fields(item: Item, base: str = "", declared: Container[str] = (),
                     extras: str | None = None) -> Iterator[TextField]:
    """The names and values of one item (pointers below ``base``): its id, subset, file name,
    attributes, and each annotation's label (unless ``declared``), string id and attributes."""
    yield TextField("item id", item.id, f"{base}/id", item.id)
    if item.subset is not None:
        yield TextField("subset", item.subset, f"{base}/subset", item.id)
    media = item.media
    if isinstance(media, (Image, VideoFrame)):
        yield TextField("file name", media.path, f"{base}/media/path", item.id)
    if item.attributes:
        yield from _attributes(item.attributes, f"{base}/attributes", item.id)
    if extras is not None and extras in item.extras:
        yield from json_strings(item.extras[extras], "extras", f"{base}/extras/{extras}", item.id)
    for j, ann in enumerate(item.annotations):
        values = ann.__dict__  # plain reads: this loop sees every annotation
        label, ann_id = values["label"], values["id"]
        at = f"{base}/annotations/{j}"
        if label is not None and label not in declared:
            yield TextField("label name", label, f"{at}/label", item.id, ann_id)
        if isinstance(ann_id, str):
            yield TextField("annotation id", ann_id, f"{at}/id", item.id, ann_id)
        if values["attributes"]:
            yield from _attributes(values["attributes"], f"{at}/attributes", item.id, ann_id)
        if extras is not None and values["extras"] and extras in values["extras"]:
            yield from json_strings(values["extras"][extras], "extras", f"{at}/extras/{extras}",
                                item.id, ann_id)


def text_fields(ds: Dataset, extras: str | None = None) -> Iterator[TextField]:
    """The names and values of ``ds`` that a writer turns into text: label names (and their
    supercategories, keypoint names, attribute specs), item ids, subsets, file names,
    attribute names and values, string annotation ids, and the ``extras`` of the format named
    ``extras`` (what its own writer writes back). Document text (``Text``) is not one of them.
    An annotation's label is listed only when no declared label has that name.
    """
    yield from label_text_fields(ds.labels)
    for i, label in enumerate(ds.labels):
        if extras is not None and extras in label.extras:
            yield from json_strings(label.extras[extras], "extras", f"/labels/{i}/extras/{extras}")
    if extras is not None and extras in ds.extras:
        yield from json_strings(ds.extras[extras], "extras", f"/extras/{extras}")
    declared = {label.name for label in ds.labels}
    for i, item in enumerate(ds.items):
        yield from item_text_fields(item, f"/items/{i}", declared, extras)


def check_text_fields(fields: Iterable[TextField], report: Report, path: str | None = None,
                      line: int | None = None) -> None:
    """AF067 for each of ``fields`` holding a control character: a name none at all, free
    text (an attribute value) none but tab and line breaks."""
    for field in fields:
        char = control_character(field.value, free=field.free)
        if char is not None:
            report.add("AF067", path=path, line=line, pointer=field.pointer,
                       item_id=field.item_id, annotation_id=field.annotation_id,
                       what=field.what, value=field.value, char=char)


def check_skeletons(ds: Dataset, report: Report, path: str | None = None) -> None:
    """AF232 for each skeleton edge naming a keypoint index its label does not have."""
    for i, label in enumerate(ds.labels):
        for e, edge in enumerate(label.skeleton):
            if not all(0 <= k < len(label.keypoints) for k in edge):
                report.add("AF232", path=path, pointer=f"/labels/{i}/skeleton/{e}",
                           label=label.name, edge=list(edge), count=len(label.keypoints))


def check_text(ds: Dataset, report: Report, path: str | None = None) -> None:
    """AF067 for each name or value of ``ds`` (:func:`text_fields`) holding a control
    character (:func:`check_text_fields`)."""
    check_text_fields(label_text_fields(ds.labels), report, path)
    check_items_text(ds.items, report, path, {label.name for label in ds.labels})


#: items whose text is searched at once (what one search holds: a few MiB of text at most)
_TEXT_RUN = 4096
#: what any text check of a name or value looks for (AF067, AF068): a control character, a
#: lone surrogate, a noncharacter or a line break
_UNUSUAL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u2028\u2029]")


def check_items_text(items: Sequence[Item], report: Report, path: str | None,
                     declared: Container[str], start: int | None = 0,
                     line: int | None = None) -> None:
    r"""AF067 for each of ``items``' names and values (:func:`item_text_fields`) holding a
    control character, item ``i`` at ``/items/{start + i}`` (at the root when ``start`` is
    None). Only the runs :func:`suspect_runs` gives are walked field by field, so the
    findings are :func:`check_text_fields`' in the same order.

    Example:
        >>> from annoformat.model import Image, Item
        >>> items = [Item(id=name, media=Image(path=f"{name}.jpg")) for name in ("a", "b\x07")]
        >>> report = Report()
        >>> check_items_text(items, report, None, ())
        >>> [(d.code, d.location.pointer) for d in report.diagnostics]
        [('AF067', '/items/1/id'), ('AF067', '/items/1/media/path')]
    """
    for first, run in suspect_runs(items, declared):
        for i, item in enumerate(run, first):
            base = "" if start is None else f"/items/{start + i}"
            check_text_fields(item_text_fields(item, base, declared), report, path, line)


def suspect_runs(items: Sequence[Item], declared: Container[str], extras: str | None = None,
                 labels: bool = False) -> Iterator[tuple[int, Sequence[Item]]]:
    """The runs of ``items`` (the first's position, the run) whose text fields
    (:func:`item_text_fields` with ``extras``) may need a look: a string holds a control
    character, a lone surrogate, a noncharacter or a line break (the run's strings are
    searched joined: a space matches nothing, and the pattern one character at a time), or,
    with ``labels``, an annotation names a label not ``declared``. Any other run holds
    nothing a text check can find: nearly every dataset is passed over in a few searches."""
    for first in range(0, len(items), _TEXT_RUN):
        run = items[first:first + _TEXT_RUN]
        strings: list[str] = []
        undeclared = _item_strings(run, declared, extras, strings)
        if (labels and undeclared) or _UNUSUAL.search(" ".join(strings)) is not None:
            yield first, run


def _item_strings(items: Sequence[Item], declared: Container[str], extras: str | None,
                  out: list[str]) -> bool:
    """Every string :func:`item_text_fields` lists for ``items``, added to ``out``; whether
    one names a label not ``declared``."""
    add = out.append
    undeclared = False
    for item in items:
        add(item.id)
        if item.subset is not None:
            add(item.subset)
        media = item.media
        if isinstance(media, (Image, VideoFrame)):
            add(media.path)
        if item.attributes:
            _json_strings(item.attributes, out)
        if extras is not None and extras in item.extras:
            _json_strings(item.extras[extras], out)
        for ann in item.annotations:
            values = ann.__dict__
            label, ann_id = values["label"], values["id"]
            if label is not None and label not in declared:
                add(label)
                undeclared = True
            if isinstance(ann_id, str):
                add(ann_id)
            if values["attributes"]:
                _json_strings(values["attributes"], out)
            if extras is not None and values["extras"] and extras in values["extras"]:
                _json_strings(values["extras"][extras], out)
    return undeclared


def _json_strings(value: Any, out: list[str]) -> None:
    """The keys and strings :func:`json_strings` (and ``_attributes``) list."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(key, str):
                out.append(key)
            _json_strings(inner, out)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            _json_strings(inner, out)


# --------------------------------------------------------------------------------------------
# text spans (issue 5): offsets are code points, [start, end)


def check_span(text: str, start: int, end: int, stored: str | None = None) -> list[Finding]:
    """AF402 end <= start, AF401 outside ``text``, AF403 ``stored`` text differs, AF404 padding.

    Example:
        >>> [f.code for f in check_span("in Paris", 2, 8)]
        ['AF404']
    """
    if end <= start:
        return [Finding("AF402", "", {"start": start, "end": end})]
    if start < 0 or end > len(text):
        return [Finding("AF401", "", {"start": start, "end": end, "length": len(text)})]
    actual = text[start:end]
    if stored is not None and stored != actual:
        return [Finding("AF403", "", {"start": start, "end": end, "actual": actual,
                                      "stored": stored})]
    if actual != actual.strip():
        return [Finding("AF404", "", {"start": start, "end": end, "actual": actual})]
    return []


def check_span_set(spans: Sequence[tuple[int, int, str | None, Any]],
                   allow_overlap: bool = False) -> list[Finding]:
    """AF405 duplicate and AF406 overlapping spans among ``(start, end, label, id)`` tuples.

    Paths are ``/<index>`` of the later span. Spans sharing a non-None ``id`` are parts of one
    source object (one region with several labels) and are not compared with each other.

    Example:
        >>> [f.code for f in check_span_set([(0, 5, "PER", None), (3, 9, "ORG", None)])]
        ['AF406']
    """
    out: list[Finding] = []
    order = sorted(range(len(spans)), key=lambda k: (spans[k][0], spans[k][1], k))
    seen: dict[tuple[int, int, str | None], int] = {}
    open_spans: list[int] = []  # indices of earlier spans whose end is past the current start
    for k in order:
        start, end, label, sid = spans[k]
        key = (start, end, label)
        if key in seen and (sid is None or spans[seen[key]][3] != sid):
            out.append(Finding("AF405", f"/{k}", {"start": start, "end": end, "label": label}))
            continue
        seen.setdefault((start, end, label), k)
        open_spans = [j for j in open_spans if spans[j][1] > start]
        if not allow_overlap:
            for j in open_spans:
                if sid is not None and spans[j][3] == sid:
                    continue
                other = spans[j]
                out.append(Finding("AF406", f"/{k}", {
                    "start": start, "end": end, "label": label, "other_start": other[0],
                    "other_end": other[1], "other_label": other[2]}))
                break
        open_spans.append(k)
    return sorted(out, key=lambda f: int(f.path[1:]))
