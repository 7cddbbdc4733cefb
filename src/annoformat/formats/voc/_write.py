"""Writing Pascal VOC: plan the file names, build every document, check them, then write."""

from __future__ import annotations

import re
import unicodedata
from functools import partial
from pathlib import Path
from typing import Any

from annoformat import schemas
from annoformat._io import is_safe_relative
from annoformat._xml import parse_xml
from annoformat.checks import control_character
from annoformat.diagnostics import Report
from annoformat.formats.voc import _labelmap as labelmap
from annoformat.formats.voc import _segmentation as seg
from annoformat.formats.voc._common import (
    DECIMALS,
    DEFAULT_POSE,
    NAME,
    SCHEMA,
    Options,
    as_element,
    attribute_block,
    attribute_text,
    convention,
    corners,
    image_sets,
    is_object,
    nest,
    png_masks,
    region_box,
    resolve_options,
    single_file,
    xml_stem,
)
from annoformat.model import Dataset, Image, Item, Mask, Polygon
from annoformat.parallel import map_ordered
from annoformat.progress import track

_UNSAFE_STEM = re.compile(r"[/\\\x00]")


def _esc(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = text.replace("\r", "&#13;")
    return text


def _xml_attributes(voc: dict[str, Any]) -> str:
    attrs = voc.get("xml_attributes")
    if not attrs:
        return ""
    return "".join(f' {k}="{_esc(str(v)).replace(chr(34), "&quot;")}"' for k, v in attrs.items())


def _num(value: float) -> str:
    """A coordinate as VOC text: integers bare, others with at most DECIMALS decimals."""
    value = round(float(value), DECIMALS)
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" in text:  # repr switches to exponents below 1e-4; xs:decimal has none
        text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return text


#: an object with nothing but a label and a box (the common case), in the canonical layout
_PLAIN_OBJECT = ("\t<object>\n\t\t<name>{}</name>\n\t\t<pose>Unspecified</pose>\n"
                 "\t\t<truncated>0</truncated>\n\t\t<difficult>0</difficult>\n"
                 "\t\t<bndbox>\n\t\t\t<xmin>{}</xmin>\n\t\t\t<ymin>{}</ymin>\n"
                 "\t\t\t<xmax>{}</xmax>\n\t\t\t<ymax>{}</ymax>\n\t\t</bndbox>\n"
                 "\t</object>")


#: an item's image name, width, height and its objects' (label, box): see _Writer.plain
_Plain = tuple[str, int | None, int | None, list[tuple[str, tuple[float, float, float, float]]]]


def _flag(value: bool) -> str:
    return "1" if value else "0"


class _Writer:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.regions = options.regions == "bbox"

    # -- objects ----------------------------------------------------------------------------
    @staticmethod
    def _box_of(ann: Any) -> tuple[float, float, float, float]:
        if isinstance(ann, (Polygon, Mask)):
            return region_box(ann)
        return ann.x, ann.y, ann.w, ann.h

    def _corners(self, box: tuple[float, float, float, float]) -> tuple[str, str, str, str]:
        xmin, ymin, xmax, ymax = corners(*box, self.options)
        return _num(xmin), _num(ymin), _num(xmax), _num(ymax)

    def _bndbox(self, box: tuple[float, float, float, float], indent: str) -> str:
        xmin, ymin, xmax, ymax = self._corners(box)
        return (f"{indent}<bndbox>\n{indent}\t<xmin>{xmin}</xmin>\n{indent}\t<ymin>{ymin}</ymin>"
                f"\n{indent}\t<xmax>{xmax}</xmax>\n{indent}\t<ymax>{ymax}</ymax>\n"
                f"{indent}</bndbox>")

    def _object(self, ann: Any, parts: list[Any], indent: str, is_part: bool) -> str:
        box = self._box_of(ann)
        voc = ann.extras.get("voc", {})
        if not (ann.attributes or voc or parts or is_part) and ann.occluded is None:
            return _PLAIN_OBJECT.format(_esc(ann.label), *self._corners(box))
        tag = "part" if is_part else "object"
        inner = indent + "\t"
        attrs = ann.attributes
        out = [f"{indent}<{tag}{_xml_attributes(voc)}>", f"{inner}<name>{_esc(ann.label)}</name>"]
        pose = attrs.get("pose")
        if as_element("pose", pose):
            out.append(f"{inner}<pose>{_esc(pose)}</pose>")
        elif not is_part:
            out.append(f"{inner}<pose>{DEFAULT_POSE}</pose>")
        for key in ("truncated", "difficult"):
            value = attrs.get(key)
            if as_element(key, value):
                out.append(f"{inner}<{key}>{_flag(value)}</{key}>")
            elif not is_part:
                out.append(f"{inner}<{key}>0</{key}>")
        if ann.occluded is not None:
            out.append(f"{inner}<occluded>{_flag(ann.occluded)}</occluded>")
        out.append(self._bndbox(box, inner))
        for part in parts:
            out.append(self._object(part, [], inner, True))
        actions = attrs.get("actions")
        if as_element("actions", actions):
            out.append(f"{inner}<actions>")
            out += [f"{inner}\t<{k}>{_flag(v)}</{k}>" for k, v in actions.items()]
            out.append(f"{inner}</actions>")
        block = attribute_block(attrs, voc) if attrs or voc else {}
        if block:
            out.append(f"{inner}<attributes>")
            for key, value in block.items():
                text = attribute_text(value)[0]
                out.append(f"{inner}\t<attribute>\n{inner}\t\t<name>{_esc(key)}</name>\n"
                           f"{inner}\t\t<value>{_esc(text)}</value>\n{inner}\t</attribute>")
            out.append(f"{inner}</attributes>")
        out += [inner + raw for raw in voc.get("xml", ())]
        out.append(f"{indent}</{tag}>")
        return "\n".join(out)

    def objects(self, item: Item) -> list[tuple[Any, list[Any]]]:
        """The item's objects in file order, each with its parts."""
        return nest([ann for ann in item.annotations if is_object(ann, self.regions)])[0]

    # -- documents --------------------------------------------------------------------------
    def plain(self, item: Item, objects: list[tuple[Any, list[Any]]]) -> _Plain | None:
        """What the document of an item with nothing VOC-specific needs (its image's name and
        size, each object's label and box), as plain data for a worker; None for others."""
        if item.extras.get("voc"):
            return None
        boxes = []
        for ann, parts in objects:
            if parts or ann.attributes or ann.extras.get("voc") or ann.occluded is not None:
                return None
            boxes.append((ann.label, self._box_of(ann)))
        media = item.media
        assert isinstance(media, Image)
        return media.path, media.width, media.height, boxes

    def plain_document(self, plain: _Plain) -> tuple[bytes, bool]:
        """The document of :meth:`plain`'s data (what :meth:`document` writes for that item),
        and whether it is valid by construction: the template is, so it is when the values
        filled in are (:func:`_sound`); else it is parsed and checked like any other."""
        path, width, height, boxes = plain
        out = [f"<annotation>\n\t<filename>{_esc(path)}</filename>\n\t<size>\n"
               f"\t\t<width>{width or 0}</width>\n\t\t<height>{height or 0}</height>\n"
               "\t\t<depth>3</depth>\n\t</size>\n\t<segmented>0</segmented>"]
        sound = _sound_name(path) and _sound_size(width) and _sound_size(height)
        for label, box in boxes:
            numbers = self._corners(box)
            out.append(_PLAIN_OBJECT.format(_esc(label), *numbers))
            # inf and nan: the only non-decimals _num gives; past 24 characters older libxml2
            # refuses an xs:decimal (the full check then says what the installed one does)
            sound = sound and _XML_CHARS.fullmatch(label) is not None and not any(
                "n" in n or len(n) > 24 for n in numbers)
        out.append("</annotation>\n")
        return "\n".join(out).encode(), sound

    def document(self, item: Item, objects: list[tuple[Any, list[Any]]], segmented: bool
                 ) -> bytes:
        """The annotation file of ``item`` (``segmented``: it gets segmentation PNGs)."""
        media = item.media
        assert isinstance(media, Image)
        voc = item.extras.get("voc", {})
        out = [f"<annotation{_xml_attributes(voc)}>"]
        if "folder" in voc:
            out.append(f"\t<folder>{_esc(voc['folder'])}</folder>")
        out.append(f"\t<filename>{_esc(media.path)}</filename>")
        if "path" in voc:
            out.append(f"\t<path>{_esc(voc['path'])}</path>")
        source = voc.get("source")
        if isinstance(source, dict):
            out.append("\t<source>")
            out += [f"\t\t<{k}>{_esc(v)}</{k}>" for k, v in source.items()]
            out.append("\t</source>")
        elif isinstance(source, str):
            out.append("\t" + source)
        depth = voc.get("depth", 3)  # the devkit's files all say; 3: colour images
        if media.width or media.height or depth is not None:
            out.append(f"\t<size>\n\t\t<width>{media.width or 0}</width>\n"
                       f"\t\t<height>{media.height or 0}</height>")
            if depth is not None:
                out.append(f"\t\t<depth>{depth}</depth>")
            out.append("\t</size>")
        out.append(f"\t<segmented>{_flag(segmented or bool(voc.get('segmented')))}</segmented>")
        out += ["\t" + raw for raw in voc.get("xml", ())]
        out += [self._object(ann, parts, "\t", False) for ann, parts in objects]
        out.append("</annotation>\n")
        return "\n".join(out).encode()


def _stems(items: list[Item], dest: Path, single: bool, report: Report) -> list[str] | None:
    """The XML stem of every item; None (with AF016/AF211) if any name is unusable."""
    stems: list[str] = []
    taken: dict[str, Item] = {}
    ok = True
    for item in items:
        stem = xml_stem(item)
        path = item.media.path if isinstance(item.media, Image) else ""
        if (not stem or stem in (".", "..") or _UNSAFE_STEM.search(stem)
                or (path and not is_safe_relative(path))):
            report.add("AF016", path=str(dest), item_id=item.id, value=path or stem)
            ok = False
        elif not single and control_character(stem) is not None:
            # (a name from the image path is the plan's AF069 already; from the item id not)
            report.add("AF069", path=str(dest), item_id=item.id, count=1, format=NAME,
                       reason=f"{control_character(stem)} in {f'Annotations/{stem}.xml'!r}")
            ok = False
        key = unicodedata.normalize("NFC", stem).casefold()
        other = taken.get(key)
        if other is not None:
            target = dest if single else dest / "Annotations" / f"{stem}.xml"
            report.add("AF211", path=str(target), item_id=other.id, item=other.id,
                       other=item.id, file=f"Annotations/{stem}.xml")
            ok = False
        taken.setdefault(key, item)
        stems.append(stem)
    for name in {s for item in items for s in image_sets(item)}:
        if not name or name in (".", "..") or _UNSAFE_STEM.search(name):
            report.add("AF016", path=str(dest), value=name)
            ok = False
    return stems if ok else None


def _class_sets(ds: Dataset, items: list[Item], stems: list[str],
                sets: dict[str, list[str]]) -> dict[str, bytes]:
    """``<class>_<subset>.txt``: 1 if the image has the class, 0 if only difficult, else -1."""
    wanted = ds.extras.get("voc", {}).get("class_imagesets", [])
    if not wanted:
        return {}
    flags: dict[str, dict[str, int]] = {}
    for item, stem in zip(items, stems, strict=True):
        mine: dict[str, int] = {}
        for ann in item.annotations:
            if ann.label is None or ann.extras.get("voc", {}).get("part"):
                continue
            hard = ann.attributes.get("difficult") is True
            mine[ann.label] = max(mine.get(ann.label, -1), 0 if hard else 1)
        flags[stem] = mine
    # classes of objects (not of parts: VOC has no per-class sets for head, hand, foot)
    classes = [name for name in ds.label_names() if any(name in f for f in flags.values())]
    out: dict[str, bytes] = {}
    for subset in wanted:
        for label in classes:
            lines = [f"{stem} {flags[stem].get(label, -1):2d}\n" for stem in sets.get(subset, [])]
            out[f"{label}_{subset}.txt"] = "".join(lines).encode()
    return out


#: text XML 1.0 can hold (as characters or, for CR, the reference _esc writes)
_XML_CHARS = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def _sound_name(path: str) -> bool:
    """Whether ``path`` is a valid <filename>: XML text matching the schema's ``\\s*\\S.*``
    (something besides white space, and no line break after it)."""
    rest = path.lstrip(" \t\n\r")
    return (bool(rest) and "\n" not in rest and "\r" not in rest
            and _XML_CHARS.fullmatch(path) is not None)


def _sound_size(value: int | None) -> bool:
    return not value or (type(value) is int and value >= 0)  # (written ``value or 0``)


def _xml_errors(data: bytes, shown: str) -> list[tuple[int | None, str | None, str]]:
    """(line, xpath, why) for each way a written document is not well-formed VOC."""
    scratch = Report()
    root = parse_xml(data, shown, scratch)
    if root is None:
        return [(None, None, scratch.diagnostics[0].message)]
    return [(line, xpath, message) for line, xpath, message in schemas.xsd_errors(SCHEMA, root)]


#: a document to finish: its path, and its bytes, or what they are made of: the plain data of
#: an item with nothing VOC-specific, or the item (with masks: its PNGs decide them)
_Task = tuple[str, bytes | _Plain | None, Item | None]
#: a finished document: its bytes, its PNGs (object, class) or None, its XSD errors
_Done = tuple[bytes, tuple[bytes, bytes] | None, list[tuple[int | None, str | None, str]]]


def _finish(job: tuple[_Writer, labelmap.Classes], task: _Task) -> _Done:
    """Paint an item's segmentation PNGs when it has masks, and check its document against the
    schema (module-level: a pool runs it; only items with masks travel to it whole)."""
    writer, classes = job
    shown, given, item = task
    rendered = None
    if item is not None:
        objects = writer.objects(item)
        rendered = seg.render(item, [ann for ann, _ in objects], classes)
        data = writer.document(item, objects, rendered is not None)
    elif isinstance(given, tuple):
        data, sound = writer.plain_document(given)
        if sound:
            return data, None, []
    else:
        assert given is not None
        data = given
    return data, rendered, _xml_errors(data, shown)


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write ``ds`` as a VOC dataset folder at ``dest`` (or one XML file, see Options).

    What this loses (polygons as boxes, groups, ids, subsets of a single file...) is stated
    before writing by the format's loss plan (``_plan.plan``), from the same decisions.
    """
    options = resolve_options(options, dest)
    report.add("AF329", path=str(dest), direction="written", origin=options.origin,
               mapping=convention(options))
    items = [item for item in ds.items if isinstance(item.media, Image)]
    single = single_file(options)
    if single and len(items) != 1:
        report.add("AF027", path=str(dest), count=len(items))
        return
    stems = _stems(items, dest, single, report)
    if stems is None:
        return
    writer = _Writer(options)
    docs: list[tuple[Path, bytes]] = []
    pngs: list[tuple[Path, bytes]] = []
    sets: dict[str, list[str]] = {}
    segmentation_sets: dict[str, list[str]] = {}
    painted = png_masks(options)
    classes = labelmap.table(ds.labels)
    targets = [dest if single else dest / "Annotations" / f"{stem}.xml" for stem in stems]
    # per-file work for map_ordered (in a pool with jobs > 1): making the documents of plain
    # items (from plain data: pickling models costs more than formatting them), painting PNGs,
    # checking every document against the schema; other documents are made here
    tasks: list[_Task] = []
    for item, target in zip(items, targets, strict=True):
        if painted and (item.extras.get("voc", {}).get("void")
                        or any(isinstance(ann, Mask) for ann in item.annotations)):
            tasks.append((str(target), None, item))
            continue
        objects = writer.objects(item)
        tasks.append((str(target), writer.plain(item, objects)
                      or writer.document(item, objects, False), None))
    ok = True
    done = map_ordered(partial(_finish, (writer, classes)), tasks)
    for item, stem, target, (data, rendered, errors) in track(
            zip(items, stems, targets, done, strict=True), "write", len(items)):
        for line, xpath, message in errors:
            report.add("AF102", path=str(target), line=line, pointer=xpath, format=NAME,
                       reason=message)
            ok = False
        docs.append((target, data))
        for name in image_sets(item):
            sets.setdefault(name, []).append(stem)
            if rendered is not None:
                segmentation_sets.setdefault(name, []).append(stem)
        if rendered is not None:
            pngs += [(dest / seg.OBJECT_DIR / f"{stem}.png", rendered[0]),
                     (dest / seg.CLASS_DIR / f"{stem}.png", rendered[1])]
    if not ok:
        return
    if pngs:
        (dest / seg.OBJECT_DIR).mkdir(parents=True, exist_ok=True)
        (dest / seg.CLASS_DIR).mkdir(parents=True, exist_ok=True)
        (dest / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
        docs += pngs
        docs += [(dest / "ImageSets" / "Segmentation" / f"{name}.txt",
                  "".join(s + "\n" for s in stems_).encode())
                 for name, stems_ in sorted(segmentation_sets.items())]
    if not single:
        (dest / "Annotations").mkdir(parents=True, exist_ok=True)
        if items:  # (an empty dataset stays an empty folder, read back as empty)
            docs.append((dest / labelmap.FILE, labelmap.text(ds.labels).encode()))
        main = dest / "ImageSets" / "Main"
        extra = {f"{name}.txt": "".join(s + "\n" for s in stems_).encode()
                 for name, stems_ in sets.items()}
        extra.update(_class_sets(ds, items, stems, sets))
        if extra:
            main.mkdir(parents=True, exist_ok=True)
        for name in sorted(extra):
            docs.append((main / name, extra[name]))
    for path, data in docs:
        with open(path, "wb") as fh:
            fh.write(data)
