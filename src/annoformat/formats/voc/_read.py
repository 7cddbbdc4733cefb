"""Reading Pascal VOC: the layout, image sets, and one XML file per item (see the package doc)."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from annoformat import schemas, sourcemap
from annoformat._io import is_safe_relative, read_bytes, text_lines, utf8_error
from annoformat._spill import SortedSpill, whole_read
from annoformat._xml import parse_xml, xpath_of
from annoformat.checks import check_box
from annoformat.diagnostics import RecordedReport, Report
from annoformat.formats.voc import _devkit as devkit
from annoformat.formats.voc import _labelmap as labelmap
from annoformat.formats.voc import _segmentation as seg
from annoformat.formats.voc._common import (
    DECIMALS,
    DEFAULT_POSE,
    DEFAULT_SET,
    SCHEMA,
    Options,
    convention,
    set_order,
    stem_of,
    typed_value,
)
from annoformat.model import (
    BBox,
    Dataset,
    Image,
    Item,
    Label,
    Mask,
    build,
    defaults_of,
    trusted,
)
from annoformat.parallel import map_ordered
from annoformat.progress import track
from annoformat.spec import Stream

if TYPE_CHECKING:  # lxml loads when a file is read, not when discovery imports this
    from lxml import etree

_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".JPG", ".JPEG", ".PNG")
_TRUE = frozenset({"1", "true"})
_FLAGS = frozenset({"0", "1", "true", "false"})
_CLASS_FLAGS = frozenset({"-1", "0", "1"})
#: elements VOC allows once per annotation / per object
_ONCE_IMAGE = frozenset({"filename", "folder", "path", "source", "size", "segmented"})
_ONCE_OBJECT = frozenset({"name", "pose", "truncated", "difficult", "occluded", "bndbox",
                          "actions", "attributes"})
_BBOX_DEFAULTS = defaults_of(BBox)
_BAD = object()
#: where _attributes parks <attributes> entries that clash with an element of the same name
_CLASH = "\x00voc"


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def _line(el: etree._Element) -> int | None:
    # lxml-stubs types sourceline as "..." (it is Optional[int])
    return cast("int | None", el.sourceline)


def _shown(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _flag(el: etree._Element) -> bool:
    return _text(el).lower() in _TRUE


def _raw(el: etree._Element) -> str:
    from lxml import etree

    out: str = etree.tostring(el, encoding="unicode", with_tail=False)
    return out


def _record(el: etree._Element) -> dict[str, str] | str:
    """``<source>``: a dict of its leaf children, or its verbatim XML when it is not that flat."""
    out: dict[str, str] = {}
    for child in el:
        if (not isinstance(child.tag, str) or len(child) or child.attrib
                or child.tag in out):
            return _raw(el)
        out[child.tag] = _text(child)
    return out


#: a listing record: (id, 0, image set, line in it, "") for an image-set entry, (stem, 1, "",
#: 0, file name) for an XML file
_Listed = tuple[str, int, str, int, str]
#: an item to read: (id, subset, the later image sets listing it, line in its set, XML path)
_Planned = tuple[str, str | None, list[str], int, str | None]


@dataclass
class _Layout:
    root: Path | None  # the dataset folder when it has Annotations/ or ImageSets/Main/
    folder: Path  # where the XML files are
    #: the XML files and image-set entries, sorted by id (on disk past a threshold: flat
    #: memory however many files): :func:`_order` makes the items' order from it
    listing: SortedSpill[_Listed] = field(default_factory=SortedSpill)
    single: bool = False
    sets: list[str] = field(default_factory=list)  # the image sets' names, as read
    set_files: dict[str, Path] = field(default_factory=dict)
    class_sets: list[str] = field(default_factory=list)
    #: <class>_<subset>.txt: its path and (line, id, flag) rows, checked against the objects
    class_files: dict[str, tuple[Path, list[tuple[int, str, str]]]] = field(default_factory=dict)


def _scan_xml(folder: Path) -> Iterator[str]:
    """The names of the XML files (``.xml`` in any case) in ``folder``, in no order."""
    if not folder.is_dir():
        return
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name[-4:].lower() == ".xml" and entry.is_file():
                yield entry.name


def _has_xml(folder: Path) -> bool:
    return next(_scan_xml(folder), None) is not None


def _list_xml(folder: Path, layout: _Layout) -> _Layout:
    for name in _scan_xml(folder):
        layout.listing.add((name[:-4], 1, "", 0, name))
    return layout


def _safe_id(value: str) -> bool:
    return value not in (".", "..") and not re.search(r"[/\\\x00]", value)


def _image_sets(main: Path, layout: _Layout, report: Report) -> None:
    class_files: list[str] = []
    for file in sorted(p for p in main.iterdir() if p.suffix == ".txt" and p.is_file()):
        shown = str(file)
        data = read_bytes(file, report)
        if data is None:
            continue
        if data.startswith(b"\xef\xbb\xbf"):
            report.add("AF004", path=shown, line=1, column=1)
            data = data[3:]
        bad = utf8_error(data)
        if bad is not None:
            offset, reason = bad
            line = data.count(b"\n", 0, offset) + 1
            report.add("AF003", path=shown, line=line, offset=offset, reason=reason)
            continue
        # (generators: the file is decoded a block at a time, its lines never all held)
        rows = ((number, stripped.split()) for number, raw in enumerate(text_lines(data), 1)
                if (stripped := raw.strip()) and not stripped.startswith("#"))
        head = next(rows, None)
        if head is not None and len(head[1]) == 2 and head[1][1] in _CLASS_FLAGS:
            class_files.append(file.stem)
            layout.class_files[file.stem] = (file, [(n, f[0], f[1]) for n, f in (head, *rows)
                                                    if len(f) == 2])
            continue
        # the ids by id (sorted on disk past a threshold) find those listed twice (AF025);
        # the findings are said in line order, as they would be line by line
        found: list[tuple[int, str, dict[str, Any]]] = []
        by_id: SortedSpill[tuple[str, int]] = SortedSpill()
        for number, fields in itertools.chain([head] if head is not None else [], rows):
            text_line = " ".join(fields)
            if len(fields) != 1:
                found.append((number, "AF024", {"text": text_line,
                                                "reason": "expected one image id per line"}))
            elif not _safe_id(fields[0]):
                found.append((number, "AF024", {
                    "text": text_line, "reason": "an id is a file stem: no '/', '\\' or '..'"}))
            else:
                by_id.add((fields[0], number))
        for item_id, group in itertools.groupby(by_id, key=itemgetter(0)):
            (_, first), *again = group
            layout.listing.add((item_id, 0, file.stem, first, ""))
            found += [(number, "AF025", {"item_id": item_id, "item": item_id,
                                         "imageset": file.name, "first": first})
                      for _, number in again]
        if by_id.failed is not None:
            report.add("AF906", path=shown, reason=by_id.failed)
        by_id.close()
        found.sort(key=itemgetter(0))
        for number, code, kwargs in found:
            report.add(code, path=shown, line=number, **kwargs)
        layout.sets.append(file.stem)
        layout.set_files[file.stem] = file
    subsets: set[str] = set()
    for stem in class_files:
        known = [s for s in layout.sets if stem.endswith("_" + s) and len(stem) > len(s) + 1]
        subsets.add(max(known, key=len) if known else stem.rsplit("_", 1)[-1])
    layout.class_sets = sorted(subsets, key=set_order)
    if class_files:
        report.add("AF026", path=str(main), subsets=", ".join(layout.class_sets))


def _layout(path: Path, report: Report) -> _Layout | None:
    if path.is_file():
        layout = _Layout(None, path.parent, single=True)
        layout.listing.add((path.stem, 1, "", 0, path.name))
        return layout
    if not path.is_dir():
        report.add("AF001", path=str(path))
        return None
    main = path / "ImageSets" / "Main"
    if (path / "Annotations").is_dir() or main.is_dir():
        layout = _list_xml(path / "Annotations", _Layout(path, path / "Annotations"))
        if main.is_dir():
            _image_sets(main, layout, report)
        return layout
    return _list_xml(path, _Layout(None, path))


_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".JPG", ".JPEG", ".PNG")


def _image_file(xml: Path, filename: str) -> Path | None:
    """The image of an annotation file: in the devkit's JPEGImages/, or beside the XML."""
    for image in (xml.parent.parent / "JPEGImages" / filename, xml.parent / filename):
        if image.is_file():
            return image
    return None


def _image_named(xml: Path, stem: str) -> Path | None:
    """The image whose name is ``stem`` with an image extension (for a missing <filename>)."""
    for ext in _IMAGE_EXTENSIONS:
        found = _image_file(xml, stem + ext)
        if found is not None:
            return found
    return None


def _header_size(image: Path) -> tuple[int, int] | None:
    import imagesize  # (and urllib, which it imports) only when an image header is read

    try:
        width, height = imagesize.get(str(image))
    except (OSError, ValueError):
        return None
    return (int(width), int(height)) if width > 0 and height > 0 else None


def _check_image_size(xml: Path, filename: str, width: int, height: int,
                      size: etree._Element, item_id: str, report: Report) -> None:
    """AF311 when the image is present (JPEGImages/ or beside the XML) with another size."""
    if not is_safe_relative(filename):
        return
    for image in (xml.parent.parent / "JPEGImages" / filename, xml.parent / filename):
        if image.is_file():
            import imagesize

            try:
                actual = imagesize.get(str(image))
            except (OSError, ValueError):
                return
            if actual[0] > 0 and actual != (width, height):
                report.add("AF311", path=str(xml), line=_line(size), pointer=xpath_of(size),
                           item_id=item_id, image=str(image), width=width, height=height,
                           image_width=actual[0], image_height=actual[1])
            return


class _Reader:
    def __init__(self, options: Options, report: Report) -> None:
        self.options = options
        self.report = report
        self.origins: list[etree._Element] = []  # the elements of the last item's annotations
        #: the last item's objects: 1-based position among its <object>s -> annotation index
        self.objects: dict[int, int] = {}
        self.one_based = options.origin == "one-based"
        self.unchecked = 0  # sizes taken from <size> without the image (images=false)
        self.labels: dict[str, Label] = {}
        self.allowed: set[str] | None = None
        if options.labels is not None:
            self.allowed = set(options.labels)
            for i, name in enumerate(options.labels):
                if name in self.labels:
                    report.add("AF209", pointer=f"/labels/{i}", label=name)
                self.labels.setdefault(name, build(Label, name=name))

    def declare(self, name: str, png: Path) -> bool:
        """Declare the label a segmentation PNG names; False (AF208) if labels= excludes it."""
        if self.allowed is not None and name not in self.allowed:
            self.report.add("AF208", path=str(png), label=name)
            return False
        self.labels.setdefault(name, build(Label, name=name))
        return True

    # -- items ------------------------------------------------------------------------------
    def item(self, file: Path, item_id: str | None, subset: str | None,
             extra_sets: list[str]) -> dict[str, Any] | None:
        """The fields of the item of one XML file (plain data, built by :func:`_built`);
        ``item_id`` None (a lone file): the image's stem."""
        report = self.report
        shown = str(file)
        data = read_bytes(file, report)
        if data is None:
            return None
        root = parse_xml(data, shown, report)
        if root is None:
            return None
        if root.tag != "annotation":
            report.add("AF022", path=shown, line=_line(root), pointer=f"/{root.tag}",
                       tag=root.tag)
            return None
        errors = schemas.xsd_errors(SCHEMA, root)
        if errors:
            for line, xpath, message in errors:
                report.add("AF101", path=shown, line=line, pointer=xpath, item_id=item_id,
                           reason=message)
            return None
        extras: dict[str, Any] = {}
        raw: list[str] = []
        objects: list[etree._Element] = []
        filename: str | None = None
        size: etree._Element | None = None
        seen: set[str] = set()
        for child in root:
            tag = child.tag
            if not isinstance(tag, str):  # comments and processing instructions
                continue
            if tag == "object":
                objects.append(child)
                continue
            if tag in _ONCE_IMAGE:
                if tag in seen:
                    report.add("AF111", path=shown, line=_line(child),
                               pointer=xpath_of(child), item_id=item_id, parent="annotation",
                               element=tag)
                    continue
                seen.add(tag)
            if tag == "filename":
                filename = _text(child)
            elif tag in ("folder", "path"):
                extras[tag] = _text(child)
            elif tag == "source":
                extras["source"] = _record(child)
            elif tag == "size":
                size = child
            elif tag == "segmented":
                if _flag(child):
                    extras["segmented"] = True
            else:
                raw.append(_raw(child))
        if filename is None:  # the devkit's id: the image named after the annotation file
            found = _image_named(file, file.stem)
            filename = found.name if found is not None else f"{file.stem}.jpg"
            report.add("AF029", path=shown, line=_line(root), pointer="/annotation",
                       item_id=item_id, filename=filename)
        stem = stem_of(filename)
        if item_id is None:
            item_id = stem
        elif stem != item_id:
            extras["named_by_id"] = True
        if not is_safe_relative(filename):
            report.add("AF016", path=shown, pointer="/annotation/filename", item_id=item_id,
                       value=filename)
        width = height = None
        if size is not None:
            width = int(size.findtext("width") or 0) or None
            height = int(size.findtext("height") or 0) or None
            depth = size.findtext("depth")
            if depth is not None and int(depth) != 3:  # 3 is what the writer says anyway
                extras["depth"] = int(depth)
        if not width or not height:
            where = size if size is not None else root
            image = _image_file(file, filename) if is_safe_relative(filename) else None
            actual = _header_size(image) if image is not None else None
            if actual is not None:  # LabelImg writes 0 when it did not know
                width, height = actual
                report.add("AF321", path=shown, line=_line(where), pointer=xpath_of(where),
                           item_id=item_id, image=str(image), width=width, height=height)
            else:
                report.add("AF308", path=shown, line=_line(where), pointer=xpath_of(where),
                           item_id=item_id, width=width, height=height)
        elif size is not None:
            if self.options.images:
                _check_image_size(file, filename, width, height, size, item_id, report)
            else:
                self.unchecked += 1
        if raw:
            extras["xml"] = raw
        if root.attrib:
            extras["xml_attributes"] = dict(root.attrib)
        if extra_sets:
            extras["imagesets"] = extra_sets
        annotations: list[dict[str, Any]] = []
        self.origins = []
        self.objects = {}
        for index, obj in enumerate(objects, 1):
            parsed = self._object(obj, shown, item_id, width, height, None)
            if parsed is None:
                continue
            self.objects[index] = len(annotations)
            fields, part_elements = parsed
            parts = [(p, el) for p, el in ((self._object(el, shown, item_id, width, height,
                                                          index), el) for el in part_elements)
                     if p is not None]
            if parts:
                fields["group"] = index
            annotations.append(fields)
            annotations.extend(p[0] for p, _ in parts)
            self.origins += [obj, *(el for _, el in parts)]
        media = {"kind": "image", "path": filename, "width": width, "height": height}
        return {"id": item_id, "subset": subset, "media": media, "annotations": annotations,
                "attributes": {}, "extras": {"voc": extras} if extras else {}}

    def bare_item(self, layout: _Layout, item_id: str, subset: str | None,
                  extra_sets: list[str], line: int) -> Item:
        """An image listed in an image set without an XML: an item without annotations."""
        listed = layout.set_files[subset if subset is not None else DEFAULT_SET]
        set_file = str(listed)
        self.report.add("AF023", path=set_file, line=line, item_id=item_id, item=item_id,
                        imageset=listed.name)
        name, width, height = f"{item_id}.jpg", None, None
        images = layout.root / "JPEGImages" if layout.root is not None else None
        for ext in _IMAGE_EXTS if images is not None and images.is_dir() else ():
            candidate = images / f"{item_id}{ext}"  # type: ignore[operator]
            if candidate.is_file():
                name = candidate.name
                import imagesize

                try:
                    w, h = imagesize.get(str(candidate))
                except (OSError, ValueError):
                    w = h = -1
                width, height = (w, h) if w > 0 and h > 0 else (None, None)
                break
        if width is None:
            self.report.add("AF308", path=set_file, line=line, item_id=item_id,
                            width=None, height=None)
        media = trusted(Image, {"kind": "image", "path": name, "width": width,
                                "height": height})
        return trusted(Item, {"id": item_id, "subset": subset, "media": media,
                              "annotations": [], "attributes": {},
                              "extras": {"voc": {"imagesets": extra_sets}} if extra_sets
                              else {}})

    # -- objects ----------------------------------------------------------------------------
    def _object(self, el: etree._Element, shown: str, item_id: str, width: int | None,
                height: int | None, part_of: int | None
                ) -> tuple[dict[str, Any], list[etree._Element]] | None:
        report = self.report
        parent = "object" if part_of is None else "part"
        found: dict[str, etree._Element] = {}
        raw: list[str] = []
        parts: list[etree._Element] = []
        ok = True
        for child in el:
            tag = child.tag
            if tag in _ONCE_OBJECT:
                if tag in found:
                    report.add("AF111", path=shown, line=_line(child),
                               pointer=xpath_of(child), item_id=item_id, parent=parent,
                               element=tag)
                    ok = False
                found[tag] = child
            elif tag == "part" and part_of is None:
                parts.append(child)
            elif isinstance(tag, str):  # not a comment or processing instruction
                raw.append(_raw(child))
        name_el, bndbox = found.get("name"), found.get("bndbox")
        if name_el is None or bndbox is None:
            report.add("AF110", path=shown, line=_line(el), item_id=item_id,
                       pointer=xpath_of(el),
                       parent=parent, element="name" if name_el is None else "bndbox")
            return None
        name = (name_el.text or "").strip()
        if not name:
            report.add("AF210", path=shown, line=_line(name_el), item_id=item_id,
                       pointer=xpath_of(name_el))
            return None
        if self.allowed is not None and name not in self.allowed:
            report.add("AF208", path=shown, line=_line(name_el), item_id=item_id,
                       pointer=xpath_of(name_el), label=name)
            ok = False
        attrs: dict[str, Any] = {}
        occluded: bool | None = None
        if len(found) > 2:
            occluded = self._attributes(found, attrs, shown, item_id)
            if occluded is _BAD:
                return None
        box = self._box(bndbox, shown, item_id, width, height)
        if box is None or not ok:
            return None
        if self.allowed is None and name not in self.labels:
            self.labels[name] = build(Label, name=name)
        extra: dict[str, Any] = attrs.pop(_CLASH, {})
        if raw:
            extra["xml"] = raw
        if el.attrib:
            extra["xml_attributes"] = dict(el.attrib)
        fields = dict(_BBOX_DEFAULTS)
        fields.update(label=name, x=box[0], y=box[1], w=box[2], h=box[3], attributes=attrs,
                      occluded=occluded, extras={})
        if part_of is not None:
            extra["part"] = True
            fields["group"] = part_of
        if extra:
            fields["extras"] = {"voc": extra}
        return fields, parts

    def _attributes(self, found: dict[str, etree._Element], attrs: dict[str, Any], shown: str,
                    item_id: str) -> Any:
        """Fill ``attrs`` from pose/truncated/difficult/actions/<attributes>; return occluded
        (None when absent, _BAD when an action is not a flag)."""
        el = found.get("pose")
        if el is not None:
            pose = (el.text or "").strip()
            if pose != DEFAULT_POSE:
                attrs["pose"] = pose
        for key in ("truncated", "difficult"):
            el = found.get(key)
            if el is not None and (el.text or "").strip().lower() in _TRUE:
                attrs[key] = True
        el = found.get("actions")
        if el is not None:
            actions: dict[str, bool] = {}
            for action in el:
                if not isinstance(action.tag, str):
                    continue
                value = _text(action).lower()
                if value not in _FLAGS or action.tag in actions:
                    self.report.add("AF101", path=shown, line=_line(action),
                                    pointer=xpath_of(action), item_id=item_id,
                                    reason=f"action <{action.tag}> must appear once, "
                                           f"with 0 or 1 (got {_text(action)!r})")
                    return _BAD
                actions[action.tag] = value in _TRUE
            attrs["actions"] = actions
        el = found.get("attributes")
        if el is not None:
            for attribute in el.iterfind("attribute"):
                key = (attribute.findtext("name") or "").strip()
                value = typed_value((attribute.findtext("value") or "").strip())
                if key in attrs:  # also an element (<pose> and a "pose" attribute): kept apart
                    attrs.setdefault(_CLASH, {}).setdefault("attributes", {})[key] = value
                else:
                    attrs[key] = value
        el = found.get("occluded")
        return None if el is None else _flag(el)

    def _box(self, bndbox: etree._Element, shown: str, item_id: str, width: int | None,
             height: int | None) -> tuple[float, float, float, float] | None:
        # xs:all made sure there are exactly these four children, each a decimal
        v = {child.tag: child.text for child in bndbox}
        xmin, ymin = float(v["xmin"] or ""), float(v["ymin"] or "")
        xmax, ymax = float(v["xmax"] or ""), float(v["ymax"] or "")
        shift = 1 if self.one_based else 0
        x, y, w, h = xmin - shift, ymin - shift, xmax - xmin + shift, ymax - ymin + shift
        # a negative size: the corners are swapped (a zero size is check_box's AF302)
        for low_tag, low, high_tag, high, size in (("xmin", xmin, "xmax", xmax, w),
                                                   ("ymin", ymin, "ymax", ymax, h)):
            if size < 0:
                self.report.add("AF320", path=shown, line=_line(bndbox),
                                pointer=xpath_of(bndbox), item_id=item_id, low_tag=low_tag,
                                low=_shown(low), high_tag=high_tag, high=_shown(high))
                return None
        if (xmin.is_integer() and ymin.is_integer() and xmax.is_integer()
                and ymax.is_integer()):
            box = (x, y, w, h)  # exact: integers below 2**53
        else:  # the +-1 shift must not leave float noise: 10.25 - 1 + 1 == 10.25
            box = (round(x, DECIMALS), round(y, DECIMALS), round(w, DECIMALS),
                   round(h, DECIMALS))
        for f in check_box(*box, width, height):
            self.report.add(f.code, path=shown, line=_line(bndbox),
                            pointer=xpath_of(bndbox), item_id=item_id, **f.ctx)
        return box


#: what the class image sets are checked against, per item id: the labels of its objects that
#: are not difficult, and those that are only difficult (parts are not objects of the sets)
Held = dict[str, tuple[frozenset[str], frozenset[str]]]


def _held(item: Item) -> tuple[frozenset[str], frozenset[str]]:
    present: set[str] = set()
    difficult: set[str] = set()
    for ann in item.annotations:
        if ann.label is None or ann.extras.get("voc", {}).get("part"):
            continue  # parts (<part> of an object) are not objects of the image sets
        (difficult if ann.attributes.get("difficult") is True else present).add(ann.label)
    return frozenset(present), frozenset(difficult)


def _check_class_sets(layout: _Layout, held: Held, report: Report) -> None:
    """Each ``<class>_<subset>.txt`` row against the image's objects: 1 when it has the class,
    0 when only difficult ones, -1 when none (AF045 when the file says otherwise)."""
    subsets = sorted(layout.sets, key=len, reverse=True)
    for stem, (file, rows) in layout.class_files.items():
        subset = next((s for s in subsets if stem.endswith("_" + s)), None)
        if subset is None:
            continue
        name = stem[: -len(subset) - 1]
        for line, item_id, flag in rows:
            if item_id not in held:
                continue
            present, difficult = held[item_id]
            actual = "1" if name in present else "0" if name in difficult else "-1"
            if flag != actual:
                report.add("AF045", path=str(file), line=line, item_id=item_id, label=name,
                           flag=flag, actual=actual)


def _record_origins(sm: sourcemap.SourceMap, index: int, item: Item, xml: Path | None,
                    origins: list[tuple[int | None, str]]) -> None:
    if xml is None:
        return
    sm.item(index, str(xml), line=1)
    for j, (line, xpath) in enumerate(origins[: len(item.annotations)]):
        sm.annotation(index, j, str(xml), line=line, pointer=xpath)


#: what parsing one XML file gives: the item's fields (None: not read), the report's calls,
#: each annotation's (line, xpath) when asked, the labels it names (in order), and 1 when its
#: size was not checked against the image (images=false)
_Parsed = tuple[dict[str, Any] | None, list[tuple[str, dict[str, Any]]],
                list[tuple[int | None, str]], list[str], int]
#: a file's task: the XML, the item id (None: a lone file), subset, other image sets, PNGs
_Task = tuple[str, str | None, str | None, list[str], dict[str, Path]]


def _parse_file(job: tuple[Options, labelmap.Classes, bool], task: _Task) -> _Parsed:
    """One XML file (and its segmentation PNGs) read, checked and turned into plain data
    (module-level: a pool runs it; plain data: pickling models would cost more than parsing)."""
    options, classes, want_origins = job
    file, item_id, subset, extra_sets, found = task
    calls = RecordedReport()
    reader = _Reader(options, Report())  # (its AF209 for labels= is the caller's to say)
    reader.report = calls
    fields = reader.item(Path(file), item_id, subset, extra_sets)
    origins = ([(_line(el), xpath_of(el)) for el in reader.origins] if want_origins and fields
               else [])
    if fields is not None and found:
        item = seg.attach(_built(fields), reader.objects, found, classes, calls,
                          reader.declare)
        fields = {**item.__dict__, "media": item.media.__dict__,
                  "annotations": [(type(a) is Mask, a.__dict__) for a in item.annotations]}
    names = [] if reader.allowed is not None else list(reader.labels)
    return fields, calls.calls, origins, names, reader.unchecked


def _built(fields: dict[str, Any]) -> Item:
    """The IR item of :func:`_parse_file`'s fields (annotations: box fields, or (is a mask,
    fields) once segmentation PNGs made some masks)."""
    fields["media"] = trusted(Image, fields["media"])
    fields["annotations"] = [trusted(BBox, ann) if isinstance(ann, dict)
                             else trusted(Mask if ann[0] else BBox, ann[1])
                             for ann in fields["annotations"]]
    return trusted(Item, fields)


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a VOC dataset folder, a devkit of several years, Roboflow's subset folders of XML
    files, a folder of XML files, or one XML file into the IR."""
    found = devkit.years(path) if path.is_dir() and not _has_xml(path) else []
    if found:
        return devkit.read_devkit(path, found, options.year, report,
                                  lambda root: _read_root(root, options, report))
    folders = devkit.subset_folders(path) if path.is_dir() and not _has_xml(path) else []
    if folders:
        return devkit.read_subsets(folders, lambda root: _read_root(root, options, report))
    return _read_root(path, options, report)


def stream(path: Path, options: Options, report: Report) -> Stream | None:
    """:func:`read`, one XML file at a time. A devkit of several years is read whole (its
    items are ordered by subset across the years, its labels by first use)."""
    found = devkit.years(path) if path.is_dir() and not _has_xml(path) else []
    if found and options.year is not None:
        chosen = devkit.year_of(path, found, options.year, report)
        return open_root(chosen, options, report) if chosen is not None else None
    if found:
        ds = read(path, options, report)
        if ds is None:
            return None
        items, ds.items = ds.items, []
        return Stream(ds, iter(items))
    folders = devkit.subset_folders(path) if path.is_dir() and not _has_xml(path) else []
    if folders:
        return devkit.stream_subsets(folders, lambda root: open_root(root, options, report))
    return open_root(path, options, report)


def _read_root(path: Path, options: Options, report: Report) -> Dataset | None:
    with whole_read():  # the listings in memory: the dataset outweighs them
        opened = open_root(path, options, report, pool=True)
        if opened is None:
            return None
        items = list(opened.items)
    head = opened.head
    return trusted(Dataset, {"labels": head.labels, "items": items, "info": {},
                             "extras": head.extras})


def open_root(path: Path, options: Options, report: Report, *,
              pool: bool = False) -> Stream | None:
    """One dataset folder, folder of XML files or XML file as a :class:`Stream`: the layout,
    the image sets and the labelmap now, an XML file (and its PNGs) per item as they are
    taken; ``pool``: the XML files are parsed in a pool of processes (``map_ordered``) and
    the order is listed first."""
    layout = _layout(path, report)
    if layout is None:
        return None
    report.add("AF329", path=str(path), direction="read", origin=options.origin,
               mapping=convention(options))
    segmentation = seg.pngs(layout.root) if layout.root is not None else {}
    classes = labelmap.voc_classes()
    reader = _Reader(options, report)
    if layout.root is not None and (layout.root / labelmap.FILE).is_file():
        read_map = labelmap.read(layout.root / labelmap.FILE, report)
        if read_map is None:
            return None
        declared, classes = read_map
        for label in declared:  # declared order; objects' labels must then be among them
            if options.labels is None:
                reader.labels.setdefault(label.name, label)
    extras = {"voc": {"class_imagesets": layout.class_sets}} if layout.class_sets else {}
    head = trusted(Dataset, {"labels": list(reader.labels.values()), "items": [], "info": {},
                             "extras": extras})
    items = _root_items(path, layout, reader, head, segmentation, classes, pool)
    return Stream(head, items)


def _order(layout: _Layout, report: Report, where: Path) -> Iterator[_Planned]:
    """The items to read: as the image sets list them, the sets in set order, an id in its
    first set; then the XML files no set lists, by file name.

    From the listing sorted by id, each id's entries give its first set, its later sets and
    its XML file; a second sort (on disk past a threshold too) puts them in that order."""
    names = sorted(layout.sets, key=set_order)
    rank = {name: k for k, name in enumerate(names)}
    last = len(names)
    # (set rank, line in the set or 0, XML name of an unlisted file or "", id, later sets,
    # XML name or "")
    order: SortedSpill[tuple[int, int, str, str, tuple[str, ...], str]] = SortedSpill()
    for item_id, group in itertools.groupby(layout.listing, key=itemgetter(0)):
        xml = ""
        listed: list[tuple[int, int]] = []
        for _, kind, set_name, line, name in group:
            if kind == 1:
                xml = xml or name  # (stem.XML beside stem.xml: the first by name)
            else:
                listed.append((rank[set_name], line))
        if listed:
            listed.sort()
            k, line = listed[0]
            later = tuple(names[j] for j, _ in listed[1:])
            order.add((k, line, "", item_id, later, xml))
        elif xml:
            order.add((last, 0, xml, item_id, (), xml))
    for spill in (layout.listing, order):
        if spill.failed is not None:
            report.add("AF906", path=str(where), reason=spill.failed)
            break
    layout.listing.close()
    for k, line, _, item_id, later, xml in order:
        # "default" is the image set of items without a subset (as datumaro names it)
        subset = None if k == last or names[k] == DEFAULT_SET else names[k]
        yield (item_id, subset, list(later), line,
               os.path.join(layout.folder, xml) if xml else None)
    order.close()


def _root_items(path: Path, layout: _Layout, reader: _Reader, head: Dataset,
                segmentation: dict[str, dict[str, Path]], classes: labelmap.Classes,
                pool: bool) -> Iterator[Item]:
    """The items in image-set order, then the XML files no set lists; then what needs them
    all (AF345, the PNGs no item took: AF049, the class image sets: AF045)."""
    report = reader.report
    sm = sourcemap.current()  # project rules want file:line for what they find
    held: Held = {}  # only when there are class image sets to check
    parse = partial(_parse_file, (reader.options, classes, sm is not None))

    def task(stem: str, subset: str | None, extra_sets: list[str], xml: str) -> _Task:
        # with its segmentation PNGs, popped here: what is left has no annotation file
        return (xml, None if layout.single else stem, subset, extra_sets,
                {name: pngs.pop(stem) for name, pngs in segmentation.items() if stem in pngs})

    order: Iterable[_Planned] = _order(layout, report, path)
    if pool:
        # each XML file is parsed and checked on its own, in a pool with jobs > 1; the items,
        # the labels and the report are built here in file order, so any number of jobs
        # gives the same
        order = list(order)
        parsed = map_ordered(parse, [task(stem, subset, extra_sets, xml)
                                     for stem, subset, extra_sets, _, xml in order
                                     if xml is not None])
    index = 0
    for stem, subset, extra_sets, line, xml in track(order, "read"):
        origins: list[tuple[int | None, str]] = []
        if xml is not None:
            got = next(parsed) if pool else parse(task(stem, subset, extra_sets, xml))
            fields, calls, origins, names, unchecked = got
            reader.unchecked += unchecked
            for code, kwargs in calls:
                report.add(code, **kwargs)
            for name in names:
                if name not in reader.labels:
                    reader.labels[name] = label = build(Label, name=name)
                    head.labels.append(label)  # a label met in the items: the head grows
            item = _built(fields) if fields is not None else None
        else:
            item = reader.bare_item(layout, stem, subset, extra_sets, line)
        if item is not None:
            if sm is not None:
                _record_origins(sm, index, item, Path(xml) if xml else None, origins)
            if layout.class_files:
                held[item.id] = _held(item)
            index += 1
            yield item
    if reader.unchecked:
        report.add("AF345", path=str(path), count=reader.unchecked)
    for pngs in segmentation.values():  # never ignored without a word
        for stem, png in pngs.items():
            report.add("AF049", path=str(png), item_id=stem,
                       reason=f"no annotation file Annotations/{stem}.xml; not read")
    if layout.class_files:
        _check_class_sets(layout, held, report)
