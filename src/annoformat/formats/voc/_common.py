"""What the VOC reader, writer and loss plan share: options, the schema name, the capabilities,
defaults, number and attribute formats, and the decisions the plan and the writer must agree on
(which annotations become objects, how they nest, which attributes are elements, file names)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import ConfigDict, Field

from annoformat import spec
from annoformat._io import is_safe_relative
from annoformat.model import BBox, Image, Item, Mask, Polygon

NAME = "voc"
SCHEMA = "voc.xsd"
#: decimals kept for non-integer coordinates (the +1/-1 shift must not leave float noise)
DECIMALS = 10
#: VOC's defaults: read as absent, always written
DEFAULT_POSE = "Unspecified"
#: IR attribute names that map to VOC object elements
ELEMENT_ATTRS = ("pose", "truncated", "difficult", "actions")
#: the order image sets are assigned as an item's subset when it is in several
PRIMARY_SETS = ("train", "val", "test")
#: the image set of items without a subset (datumaro's name for "no subset")
DEFAULT_SET = "default"
#: annotation types written as an enclosing box with ``regions=bbox``
REGION_TYPES = ("polygon", "mask")
#: ``extras["voc"]["_from"]`` of a mask read from a class PNG alone (not an object)
FROM_CLASS = "SegmentationClass"
#: the segmentation PNGs' value for void ("don't care") pixels
VOID = 255

CAPABILITIES = spec.Capabilities(
    media=frozenset({"image"}),
    annotation_types=frozenset({"bbox"}),
    # group: object <-> part links only; the plan reports the other groups (AF510)
    fields=frozenset({"attributes", "occluded", "group"}),
    item_attributes=False,
    # a dataset folder keeps them (ImageSets/Main); one XML file does not (the plan says so)
    subsets=True,
    empty_items=True,
    metadata=frozenset(),
    # XML 1.0, and labelmap.txt lists the labels one per line
    text_limits=frozenset({"xml", "lines", "trimmed", "labelmap", "named"}),
)

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_XML_NAME = re.compile(r"[A-Za-z_][\w.-]*")


class Options(spec.Options):
    """Pascal VOC options (read and write).

    ``origin``: ``one-based`` (the devkit's 1-based inclusive pixel indices) or ``zero-based``
    (files from tools that wrote the continuous left/top edge as ``xmin``/``ymin``).
    ``labels``: the class list (e.g. the 20 VOC classes): fixes the label order on read, and
    object names outside it are AF208 errors. Without it labels appear in order of first use.
    ``layout``: ``auto`` writes one XML file when the destination ends in ``.xml``, else a VOC
    dataset folder.
    ``regions``: on write, ``bbox`` writes polygons and masks as their enclosing box (AF502),
    ``drop`` leaves them out (AF501).
    ``coordinates``: on write, ``exact`` (whole pixels bare, fractions as decimals) or ``int``
    (every corner rounded to the devkit's integer pixels, as most VOC tools parse them; a
    fractional corner is an approximation, AF502).
    A dataset folder also gets ``labelmap.txt`` (the label list and colours, as datumaro and
    CVAT write and read it) and ``ImageSets/Main/<subset>.txt`` for every subset, ``default``
    for items without one; ``<depth>`` is written (3 unless the source said otherwise).
    ``year``: reading a devkit (``VOCdevkit/`` or a folder holding ``VOC2007/``,
    ``VOC2012/``...), the one year to read (``2007`` or ``VOC2007``); by default every year is
    read and each subset is named after its year (``trainval-VOC2007``).
    ``images``: reading, ``true`` (the default) reads the header of each image found in
    ``JPEGImages/`` or beside its XML, once, to check the ``<size>`` the XML states (AF311);
    ``false`` (also ``validate --no-images``) trusts ``<size>`` and says how many sizes went
    unchecked (AF345). An image whose ``<size>`` is missing or 0 is read either way (AF321).
    """

    # defer_build: the validator is built on first use, not when discovery imports it
    model_config = ConfigDict(defer_build=True)
    origin: Literal["one-based", "zero-based"] = Field(
        default="one-based",
        description=("pixel convention: one-based (the devkit's) or "
                     "zero-based (tools that wrote the left/top edge)"))
    year: int | str | None = Field(
        default=None,
        description="reading a devkit: the one year to read (2007 or VOC2007); default: every year")
    labels: list[str] | None = Field(
        default=None,
        description=("reading: the class list; fixes the label order, "
                     "an object name outside it is AF208"))
    layout: Literal["auto", "dataset", "file"] = Field(
        default="auto",
        description=("writing: a dataset folder or one XML file; "
                     "auto: one file when the destination ends in .xml"))
    regions: Literal["bbox", "drop"] = Field(
        default="bbox",
        description=("writing: polygons and masks as their enclosing "
                     "box (AF502) or left out (drop, AF501)"))
    images: bool = Field(
        default=True,
        description=("reading: check each <size> against its image's header (AF311); "
                     "false: trust <size> (AF345)"))
    coordinates: Literal["exact", "int"] = Field(
        default="exact",
        description=("writing: exact (fractions kept) or int "
                     "(corners rounded to whole pixels, AF502)"))


def resolve_options(options: Options, dest: Path) -> Options:
    """``options`` made definite for ``dest``: ``layout=auto`` becomes ``file`` or ``dataset``."""
    if options.layout != "auto":
        return options
    layout = "file" if dest.suffix.lower() == ".xml" else "dataset"
    return options.model_copy(update={"layout": layout})


def single_file(options: Options) -> bool:
    """Whether the output is one XML file (``options`` resolved for the destination)."""
    return options.layout == "file"


def media_paths(ds: Any, options: Options) -> dict[int, str]:
    """Where each item's image goes (``FormatSpec.media``): ``JPEGImages/<filename>`` in a
    dataset folder, as the devkit keeps them; nowhere for a single XML file."""
    if single_file(options):
        return {}
    return {i: f"JPEGImages/{item.media.path}" for i, item in enumerate(ds.items)
            if isinstance(item.media, Image) and is_safe_relative(item.media.path)}


def written_capabilities(options: Options) -> spec.Capabilities:
    """What the writer keeps with these options: ``regions=bbox`` also takes polygons and masks
    (approximated, AF502), so the capability plan does not report them as dropped."""
    if options.regions == "bbox":
        return replace(CAPABILITIES, annotation_types=CAPABILITIES.annotation_types
                       | frozenset(REGION_TYPES))
    return CAPABILITIES


def is_object(ann: Any, regions: bool) -> bool:
    """Whether ``ann`` becomes a VOC object or part (``regions``: ``regions=bbox``); a mask
    read from a class PNG alone is a class region, not an object."""
    if ann.label is None:
        return False
    return isinstance(ann, BBox) or (regions and isinstance(ann, (Polygon, Mask))
                                     and not class_region(ann))


def class_region(ann: Any) -> bool:
    """A mask read from ``SegmentationClass/`` outside every instance (no object of its own)."""
    return isinstance(ann, Mask) and ann.extras.get("voc", {}).get("_from") == FROM_CLASS


def png_masks(options: Options) -> bool:
    """Whether masks are written as segmentation PNGs (a dataset folder, ``regions=bbox``)."""
    return not single_file(options) and options.regions == "bbox"


def fits(ann: Any, item: Item) -> bool:
    """Whether mask ``ann`` has its image's size, so that it can be painted into its PNGs."""
    media = item.media
    return (isinstance(ann, Mask) and isinstance(media, Image)
            and (ann.width, ann.height) == (media.width, media.height))


def instances(objects: list[Any], item: Item) -> dict[int, int]:
    """The instance value (``id`` of the annotation -> 1-based position among the written
    objects) of every object mask that goes into ``SegmentationObject/``: fits its image and
    has a value below the void's (255)."""
    return {id(ann): n for n, ann in enumerate(objects, 1)
            if n < VOID and isinstance(ann, Mask) and fits(ann, item)}


def nest(anns: list[Any]) -> tuple[list[tuple[Any, list[Any]]], list[Any]]:
    """The objects of one image with the parts nested in each, and the annotations whose group
    VOC cannot say (AF510): a group shared by several objects or with no part to nest, and
    parts whose object is missing (those are written as objects, after the others)."""
    if all(ann.group is None for ann in anns):
        return [(ann, []) for ann in anns], []
    tops: list[Any] = []
    parts: dict[int, list[Any]] = {}
    for ann in anns:
        if ann.group is not None and ann.extras.get("voc", {}).get("part"):
            parts.setdefault(ann.group, []).append(ann)
        else:
            tops.append(ann)
    shared: dict[int, int] = {}
    for ann in tops:
        if ann.group is not None:
            shared[ann.group] = shared.get(ann.group, 0) + 1
    objects: list[tuple[Any, list[Any]]] = []
    lost: list[Any] = []
    for ann in tops:
        mine: list[Any] = []
        if ann.group is not None:
            mine = parts.pop(ann.group, [])
            if shared[ann.group] > 1 or not mine:
                lost.append(ann)
        objects.append((ann, mine))
    for orphans in parts.values():
        for ann in orphans:
            lost.append(ann)
            objects.append((ann, []))
    return objects, lost


def as_element(key: str, value: Any) -> bool:
    """Whether attribute ``key`` is written as the VOC element of that name."""
    if key == "pose":
        return isinstance(value, str)
    if key in ("truncated", "difficult"):
        return isinstance(value, bool)
    if key == "actions":
        return (isinstance(value, dict) and bool(value)
                and all(isinstance(v, bool) and _XML_NAME.fullmatch(k) for k, v in value.items()))
    return False


def attribute_block(attributes: dict[str, Any], voc: dict[str, Any]) -> dict[str, Any]:
    """The ``<attributes>`` entries of an object: attributes that are not elements, then the
    ones kept apart on read (``extras["voc"]["attributes"]``)."""
    block = {k: v for k, v in attributes.items() if not as_element(k, v)}
    block.update(voc.get("attributes", {}))
    return block


def typed_value(text: str) -> Any:
    """An <attributes> value as datumaro types it: booleans, numbers, else the text."""
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def attribute_text(value: Any) -> tuple[str, bool]:
    """The text for an <attributes> value, and whether it reads back unchanged."""
    if isinstance(value, bool):
        return ("true" if value else "false"), True
    if isinstance(value, (int, float)):
        text = repr(value)
        return text, typed_value(text) == value
    if isinstance(value, str):
        return value, typed_value(value.strip()) == value
    return orjson.dumps(value).decode(), False


def stem_of(name: str) -> str:
    """The stem of an image file name, like ``PurePosixPath(name).stem`` (but 10x faster)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[:dot] if 0 < dot < len(base) - 1 else base


def xml_stem(item: Item) -> str:
    """The name (without ``.xml``) of the item's annotation file in a dataset folder."""
    media = item.media
    assert isinstance(media, Image)
    if item.extras.get("voc", {}).get("named_by_id") or not media.path:
        return item.id
    return stem_of(media.path)


def image_sets(item: Item) -> list[str]:
    """The image sets listing ``item``: its subset (``default`` for none), then the others it
    was read from."""
    extra = item.extras.get("voc", {}).get("imagesets", [])
    first = item.subset or DEFAULT_SET
    return [first] + [s for s in extra if s != first]


def set_order(name: str) -> tuple[int, str]:
    """Sort key: train, val, test first (also a devkit year's ``val-VOC2007``), then the other
    image sets by name."""
    base = name.split("-", 1)[0]
    if base == DEFAULT_SET:  # items without a subset come last, as when they had no set
        return (len(PRIMARY_SETS) + 1, name)
    return (PRIMARY_SETS.index(base) if base in PRIMARY_SETS else len(PRIMARY_SETS), name)


def convention(options: Options) -> str:
    """The coordinate mapping in words (AF329)."""
    if options.origin == "zero-based":
        return "x = xmin, w = xmax - xmin (0-based, xmax exclusive)"
    return "x = xmin - 1, w = xmax - xmin + 1 (1-based, inclusive)"



def corners(x: float, y: float, w: float, h: float, options: Options
            ) -> tuple[float, float, float, float]:
    """The ``xmin, ymin, xmax, ymax`` written for the box ``x, y, w, h`` (origin applied;
    rounded to whole pixels with ``coordinates=int``)."""
    shift = 1 if options.origin == "one-based" else 0
    values = (x + shift, y + shift, x + w, y + h)
    if options.coordinates == "int":
        return (float(round(values[0])), float(round(values[1])), float(round(values[2])),
                float(round(values[3])))
    return values


def region_box(ann: Any) -> tuple[float, float, float, float]:
    """The enclosing box of a polygon or mask: the stored one when the source had it."""
    if ann.bbox is not None:
        x, y, w, h = ann.bbox
        return x, y, w, h
    if isinstance(ann, Polygon):
        xs = [v for ring in ann.rings for v in ring[0::2]]
        ys = [v for ring in ann.rings for v in ring[1::2]]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    from annoformat import masks  # numpy + pycocotools only when there is a mask

    x, y, w, h = masks.to_bbox(ann.counts, ann.height, ann.width)
    return x, y, w, h


def fractional(ann: Any, options: Options) -> bool:
    """Whether ``coordinates=int`` moves a corner of this object (an approximation)."""
    box = region_box(ann) if isinstance(ann, (Polygon, Mask)) else (ann.x, ann.y, ann.w, ann.h)
    shift = 1 if options.origin == "one-based" else 0
    x, y, w, h = box
    return any(not float(v).is_integer() for v in (x + shift, y + shift, x + w, y + h))
