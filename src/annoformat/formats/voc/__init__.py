"""Pascal VOC: one XML file per image (host.robots.ox.ac.uk/pascal/VOC, devkit_doc.pdf).

Facts a maintainer needs:

* Coordinates: VOC stores **1-based, inclusive pixel indices** (the devkit's convention). The IR
  is continuous (DESIGN.md), so reading maps ``x = xmin - 1``, ``w = xmax - xmin + 1`` (the
  continuous box is ``[xmin - 1, xmax)``, as detectron2 reads it) and writing inverts it:
  ``xmin = x + 1``, ``xmax = x + w``. On integer boxes this is the identity both ways. Tools that
  wrote 0-based pixels (``xmin`` is already the continuous left edge) need
  ``origin="zero-based"``: then ``x = xmin``, ``w = xmax - xmin``. Every read and write records
  AF329 (info) stating the convention used. Float coordinates are allowed; non-integers are
  written with at most 10 decimals and read back rounded to 10 decimals, so the ``+1``/``-1``
  shift cannot leave float noise behind.
* Layouts read: a dataset folder (``Annotations/*.xml``, ``ImageSets/Main/<subset>.txt``,
  ``JPEGImages/``), a folder of XML files, or one XML file. Image-set files: one id per line,
  blank lines and ``#`` comments allowed. An id listed without an XML is an item without
  annotations (AF023, info), its size read from the image header in ``JPEGImages/`` when the
  image is there (``imagesize``). An image listed in several sets (``train`` and ``trainval``)
  is one item: its ``subset`` is the first set listing it in the order train, val, test, then
  the others by name; the other sets are kept in ``item.extras["voc"]["imagesets"]``. Per-class
  sets (``<class>_<subset>.txt`` with ``id -1|0|1`` lines) are derived data: not read (AF026),
  regenerated on write. Items are ordered as their sets list them (in that set order), then the
  XML files no set lists, by name. Item ids are the XML file stems (a lone XML file: its
  image's stem); when that differs from the image's stem, ``extras["voc"]["named_by_id"]``
  makes the writer keep the XML name.
* Per image: ``filename`` is the IR media path; ``size`` gives width and height (0 or missing:
  unknown, AF308); ``folder``, ``path``, ``source`` (a dict of its children), ``depth`` and
  ``segmented`` go to ``item.extras["voc"]``.
* Per object: ``name`` is the label; ``occluded`` is the IR field; ``pose``, ``truncated``,
  ``difficult`` and ``actions`` (a dict of flags) are IR attributes of those names, so COCO
  carries them in its ``attributes`` object. Their VOC defaults (``Unspecified``, 0, 0) read as
  absent and are always written (detectron2's and the devkit's evaluators require them). The
  ``<attributes><attribute><name/><value/></attribute></attributes>`` block (CVAT, datumaro)
  becomes IR attributes too, values typed as datumaro does: ``true``/``false`` as booleans,
  integers and decimals as numbers, anything else as text. A block entry whose name is also
  an element of the object (a ``pose`` attribute beside ``<pose>``) is kept apart in
  ``extras["voc"]["attributes"]``.
* ``part`` boxes (VOC person layout) are IR ``bbox`` annotations right after their object,
  with ``extras["voc"]["part"] = True``; the object and its parts share the IR ``group``, which
  is the object's 1-based position among the file's ``<object>`` elements. The writer nests
  each marked part in the first unmarked annotation of its group.
* Unknown elements (``owner``, ``point``, tool-specific ones) are kept verbatim in
  ``extras["voc"]["xml"]`` of the image or object and written back, and XML attributes of
  ``<annotation>`` and ``<object>`` (LabelImg's ``verified="yes"``) in
  ``extras["voc"]["xml_attributes"]``. Comments, element order and
  whitespace are not kept: the writer emits one canonical layout.
* XML is parsed by ``annoformat._xml`` (no DTD, no entities: AF020/AF021) and checked against
  ``schemas/voc.xsd`` on read and on write (AF101/AF102 with line and XPath).
* Writing: ``Annotations/<stem>.xml`` per image (the stem is the image file's, so items without
  annotations get an XML too), ``ImageSets/Main/<subset>.txt`` when items have subsets. Two items
  mapping to one XML file (AF211) and names leaving the destination (AF016) are refused before
  anything is written. Polygons are written as their enclosing box (AF502), or dropped with
  ``regions=drop`` (AF501); other non-box annotations are dropped (AF501). ``labelmap.txt``
  lists the labels (background first) with their colours.
* Segmentation (``_segmentation.py``): ``SegmentationObject/<id>.png`` (value i: the i-th
  ``<object>``, 255 void) and ``SegmentationClass/<id>.png`` (value i: the i-th labelmap class,
  or VOC class without a labelmap) are read with Pillow, palette PNGs as their indices and
  datumaro's RGB PNGs through the colours. An object with pixels becomes an IR ``Mask`` in its
  place, its box kept as the mask's stored ``bbox`` (one object, one annotation; parts keep
  its group); class pixels outside every instance become one mask per class marked
  ``extras["voc"]["_from"] = "SegmentationClass"``; void pixels are kept as an RLE in
  ``item.extras["voc"]["void"]``; what cannot be matched is AF049. The writer paints them back
  (palette PNGs, the class palette from the labelmap, ``ImageSets/Segmentation/``): a mask of
  its image's size is written exactly as its box plus its pixels, and only masks that overlap
  (AF502), masks of another size or in a single XML file (AF502 as boxes; class regions AF501,
  void AF507) lose anything.
* Loss is stated before writing by ``plan`` (``_plan.py``), from the decisions the writer takes
  (``_common.py``): approximated regions (AF502), groups other than an object with its parts
  (AF510), attribute values whose type the text block loses (AF511), labels no object uses
  (AF512), image ids other than the file stem and annotation ids (AF508), and the image sets
  of a single XML file (AF507). ``layout=auto`` is made definite for the destination by
  ``resolve_options`` (``.xml``: one file).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from annoformat.formats.voc import _devkit as devkit
from annoformat.formats.voc._codes import CODES
from annoformat.formats.voc._common import (
    CAPABILITIES,
    NAME,
    SCHEMA,
    Options,
    media_paths,
    resolve_options,
    set_order,
)
from annoformat.spec import Detection, FormatSpec, Stream

if TYPE_CHECKING:  # the reader, the writer and the plan load when used, not at discovery
    from annoformat.diagnostics import Report
    from annoformat.model import Dataset
    from annoformat.spec import LossPlan

__all__ = [
    "CAPABILITIES",
    "FORMAT",
    "SCHEMA",
    "Options",
    "detect",
    "join",
    "plan",
    "read",
    "resolve_options",
    "set_order",
    "stream",
    "write",
]


_ROOT = re.compile(rb"<annotation[\s>/]")


def _looks_like_voc(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    match = _ROOT.search(head)
    # the root must come before any other element (skip the declaration and comments)
    return match is not None and b"<" not in re.sub(
        rb"<\?.*?\?>|<!--.*?-->|\s", b"", head[: match.start()], flags=re.DOTALL)


def _first_xml(folder: Path) -> Path | None:
    # scandir + min over names: sorting 118k Path objects takes a second
    with os.scandir(folder) as entries:
        names = [e.name for e in entries if e.name[-4:].lower() == ".xml" and e.is_file()]
    return folder / min(names) if names else None


def detect(path: Path) -> Detection:
    """VOC if ``path`` is an XML file with an ``<annotation>`` root, or a folder of them."""
    if path.is_file():
        if path.suffix.lower() != ".xml":
            return Detection(0.0, "not a .xml file")
        if _looks_like_voc(path):
            return Detection(0.9, "XML with an <annotation> root element")
        return Detection(0.0, "XML without an <annotation> root element")
    if not path.is_dir():
        return Detection(0.0, "path does not exist")
    ann = path / "Annotations"
    if ann.is_dir():
        first = _first_xml(ann)
        if first is not None and _looks_like_voc(first):
            return Detection(0.9, f"VOC dataset folder: {first.relative_to(path)}")
        if (path / "ImageSets" / "Main").is_dir():
            return Detection(0.8, "VOC dataset folder with Annotations/ and ImageSets/Main/")
        return Detection(0.0, "Annotations/ holds no VOC XML file")
    first = _first_xml(path)
    if first is not None and _looks_like_voc(first):
        return Detection(0.8, f"folder of VOC XML files: {first.name}")
    found = devkit.years(path)
    if found and any(detect(folder).confidence > 0 for _, folder in found):
        return Detection(0.9, "VOC devkit: " + ", ".join(name for name, _ in found))
    folders = devkit.subset_folders(path)
    if folders and any(detect(folder).confidence > 0 for _, folder in folders):
        return Detection(0.8, "subset folders of VOC XML files (Roboflow): "
                         + ", ".join(f"{name}/" for name, _ in folders))
    return Detection(0.0, "no Annotations/ folder, no VOC XML file and no devkit years")


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a VOC dataset folder, a devkit, Roboflow's subset folders, a folder of XML files or
    one XML file into the IR; see ``_read.read``."""
    from annoformat.formats.voc._read import read as read_voc

    return read_voc(path, options, report)


def stream(path: Path, options: Options, report: Report) -> Stream | None:
    """:func:`read`, one XML file at a time: the layout, image sets and labelmap first; labels
    found in the XMLs join ``head.labels`` as they are met. See ``_read.stream``.

    Example:
        >>> from annoformat.diagnostics import Report
        >>> s = stream(Path("fixtures/voc/good/folder-of-xmls"), Options(), Report())
        >>> [item.id for item in s.items], s.head.label_names()
        (['a', 'b'], ['cat'])
    """
    from annoformat.formats.voc._read import stream as stream_voc

    return stream_voc(path, options, report)


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What :func:`write` will drop, approximate or rename; see ``_plan.plan``."""
    from annoformat.formats.voc._plan import plan as plan_voc

    return plan_voc(ds, options)


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write ``ds`` as a VOC dataset folder at ``dest`` (or one XML file); see
    ``_write.write``."""
    from annoformat.formats.voc._write import write as write_voc

    write_voc(ds, dest, options, report)


def join(parts: list[Path], head: Dataset, dest: Path, options: Options,
         report: Report) -> None:
    """The VOC folder of a dataset written in parts; see ``_join.join``."""
    from annoformat.formats.voc._join import join as join_voc

    join_voc(parts, head, dest, options, report)


FORMAT = FormatSpec(
    name=NAME,
    description="Pascal VOC XML: dataset folder (Annotations, ImageSets), folder of XMLs, one XML",
    extensions=(".xml",),
    one_file=False,
    capabilities=CAPABILITIES,
    options=Options,
    schemas=(SCHEMA,),
    detect=detect,
    read=read,
    write=write,
    stream=stream,
    join=join,
    plan=plan,
    resolve=resolve_options,
    codes=CODES,
    media=media_paths,
    aliases=('pascal_voc', 'pascal-voc', 'pascalvoc', 'labelimg'),
    memory_factor=5.0,  # 233 MB of XML peak at 1.0 GiB converted whole (COCO-2017-train size)
)
