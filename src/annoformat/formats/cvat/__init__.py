"""CVAT XML 1.1, "for images" and "for video" (docs.cvat.ai, "CVAT for images/video 1.1").

Facts a maintainer needs:

* One ``annotations.xml``: ``<version>1.1</version>``, ``<meta>`` (a task or a project with its
  labels), then ``<image>`` elements (images flavour) or ``<track>`` elements (video flavour).
  The flavour is detected on read (any ``<track>`` means video) and is an option on write.
  Each flavour has its own XSD in ``schemas/``, checked on read and on the writer's output.
* Subsets, as CVAT exports them and datumaro reads them: one subset (or none) is a task
  (``<meta><task>`` naming it in ``<subset>``; its images name none); several are a project
  (``<meta><project>`` with ``<subsets>``, one name a line, and a ``<task>`` per subset naming
  it in ``<subset>``; each image names its own with ``subset=``). ``default`` is CVAT's name for
  no subset (read as none; an IR subset named so is reported, AF507). A source's meta is kept,
  made to say the subsets (``_common.fit_meta``: a task with several subsets becomes the first
  task of a project) by the reader and the writer alike.
* Coordinates are continuous pixels already: a box is ``xtl, ytl, xbr, ybr``
  (IR ``x, y, w = xbr - xtl, h = ybr - ytl``); ``rotation`` (degrees clockwise about the
  centre) makes an IR ``rotated_bbox`` when it is not 0. Point lists are ``x1,y1;x2,y2``.
  A polygon is one ring. An IR polygon with several rings (images flavour) is written as one
  CVAT polygon per ring, in order, with the same fields and one ``group_id`` (its own group,
  else a new id above every group of the dataset, never 0, which datumaro reads as none), so
  CVAT and datumaro see one group (AF521 says so). Each of them carries
  ``annoformat_ring="i"`` (and ``annoformat_group="added"`` when the group id is new); other
  tools ignore both. The reader joins a polygon marked ring ``i`` > 0 into the shape just
  before it only when that is the same object's ring ``i - 1`` (marked, ``i`` rings so far,
  same ``group_id``, label, attributes, occluded, z_order, source and group origin); then a
  new group goes again (group None). Anything else, e.g. a CVAT group of unmarked polygons
  (parts or separate objects: the file does not say), stays one polygon per shape.
  An ellipse is ``cx, cy, rx, ry`` (+ rotation).
* Masks: ``rle`` holds run lengths over the ``width`` x ``height`` crop at ``left, top``,
  row-major, starting with a run of 0s. The IR mask has the image's size, COCO RLE through
  pycocotools (``annoformat.masks``); a crop that does not fit the image is AF340.
* Labels: ``<label>`` with name, color, type and ``<attributes>`` (``input_type`` select / radio
  / checkbox / number / text, ``mutable``, ``default_value``, ``values`` one per line) become
  IR ``Label.attributes`` (``AttributeSpec``). Attribute values are typed by their spec
  (checkbox -> bool, number -> int or float, text stays a string: "0003" stays "0003").
* Skeletons: a ``skeleton`` label's points are the labels whose ``<parent>`` names it (IR
  ``Label.keypoints``, in that order); the edges are ``<line data-node-from/to>`` in the escaped
  SVG string of ``<svg>`` (IR ``Label.skeleton``). A ``<skeleton>`` shape is an IR ``keypoints``
  annotation: ``outside`` -> visibility 0, ``occluded`` -> 1, else 2.
* Cuboids have no IR type: each is kept as an 8-point ``points`` annotation with
  ``extras["cvat"]["cuboid"]`` (AF343 says so), written back as a cuboid.
* Video: a ``<track>`` (id, label, source, group_id) holds one shape per frame (``frame`` is the
  absolute frame number, ``keyframe``, ``outside``, ``occluded``, ``z_order``, attributes). In the
  IR each frame is a ``VideoFrame`` item (the task's start..stop by the ``step=`` of its frame
  filter); visible shapes are annotations with ``track_id``; shapes with ``outside="1"`` (the
  object has left) are kept verbatim in ``item.extras["cvat"]["outside"]``. Writing video
  rebuilds the same tracks. The images flavour carries a track as an
  ``<attribute name="track_id">`` child (CVAT's built-in attribute name).
* CVAT-only values live in ``extras["cvat"]``: ``source`` (when not "manual"), ``keyframe``
  (when false), the mask crop ``box`` (when not the tight box), skeleton ``elements`` / ``missing``,
  the ``meta`` tree (everything of ``<meta>`` but the labels) and the flavour, so that
  CVAT -> IR -> CVAT is lossless up to attribute order and number formatting.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annoformat import schemas
from annoformat._io import gc_paused, memory_problem, stream_bytes
from annoformat._xml import parse_xml
from annoformat.diagnostics import Report
from annoformat.formats.cvat import _export as export
from annoformat.formats.cvat._codes import CODES
from annoformat.formats.cvat._common import (
    NAME,
    Options,
    flavour_of,
    media_paths,
    resolve_options,
)
from annoformat.formats.cvat._read import SCHEMAS, Reader, schema_message
from annoformat.model import Dataset, Item, Label, trusted
from annoformat.progress import track_bytes
from annoformat.spec import Capabilities, Detection, FormatSpec, LossPlan, Stream

__all__ = ["CAPABILITIES", "FORMAT", "Options", "detect", "plan", "read", "stream", "write"]

_TYPES = frozenset({"bbox", "rotated_bbox", "polygon", "polyline", "points", "keypoints", "mask",
                    "ellipse", "tag"})
CAPABILITIES = Capabilities(
    media=frozenset({"image", "video_frame"}),
    annotation_types=_TYPES,
    fields=frozenset({"attributes", "group", "z_order", "occluded", "track_id", "origin"}),
    item_attributes=False,
    subsets=True,
    empty_items=True,
    metadata=frozenset({"keypoint_names", "attribute_specs"}),
    unlabelled=_TYPES,
    # XML 1.0, and a select attribute's <values> are one per line
    text_limits=frozenset({"xml", "lines", "named"}),
)


def _head(path: Path, size: int = 4096) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def detect(path: Path) -> Detection:
    """CVAT if ``path`` is an ``.xml`` file whose root element is ``<annotations>``, or an
    export folder holding ``annotations.xml`` or one such file per subset."""
    if path.is_dir():
        files = export.files_of(path)
        if not files:
            return Detection(0.0, f"a folder without {export.EXPORT_XML} or CVAT XML files")
        found = detect(files[0])
        names = ", ".join(p.name for p in files[:4]) + (", ..." if len(files) > 4 else "")
        return Detection(found.confidence, f"CVAT export folder: {names}: {found.reason}")
    if not path.is_file():
        return Detection(0.0, "not a file")
    if path.suffix.lower() != ".xml":
        return Detection(0.0, "not a .xml file")
    if not export.is_cvat_xml(path):
        return Detection(0.0, "XML without an <annotations> root")
    if b"<version>1.1" in _head(path) or b"<meta" in _head(path):
        return Detection(0.9, "XML with <annotations> root and CVAT's version/meta")
    return Detection(0.6, "XML with an <annotations> root")


#: memory per byte of CVAT XML while it is read, source maps kept (a generated 42 MB file:
#: 12.4x resident and of address space), with a margin
MEMORY_FACTOR = 14


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0  # stream_bytes says why


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a CVAT for images / for video 1.1 file, or an export folder (``annotations.xml``,
    or one XML per subset as datumaro writes), into the IR (None if it cannot be read)."""
    head = _head_of(path, report)
    if head is None:
        return None
    with gc_paused():  # a million acyclic objects (the IR) at 100k images: no cycle scans
        items = list(_items(path, head, report, whole=True))
    if not head.extras:  # a file could not be used (the report says why)
        return None
    head.items = items
    return head


def stream(path: Path, options: Options, report: Report) -> Stream | None:
    """:func:`read` one item at a time: the images of a file as they are parsed (the file's
    XML is dropped element by element), a video's frames once its last ``<track>`` is read
    (a frame holds a shape of every track: the tracks are kept until then). The head's labels
    come with each file's ``<meta>``, its extras at the end."""
    head = _head_of(path, report)
    return None if head is None else Stream(head, _items(path, head, report, whole=False))


def _head_of(path: Path, report: Report) -> Dataset | None:
    if path.is_dir() and not export.files_of(path):
        report.add("AF002", path=str(path),
                   reason=f"a folder without {export.EXPORT_XML} or CVAT XML files")
        return None
    return trusted(Dataset, {"labels": [], "items": [], "info": {}, "extras": {}})


def _items(path: Path, head: Dataset, report: Report, whole: bool) -> Iterator[Item]:
    """The items of ``path``'s files in order; ``head`` gets their labels (the first
    declaration of a name wins) as each file's meta is read, and the merged extras once the
    last file is (none when a file cannot be used). ``whole``: the file will be held whole,
    refused up front when that cannot fit (AF905)."""
    files = export.files_of(path) if path.is_dir() else [path]
    several = len(files) > 1
    names: set[str] = set()
    parts = []
    for file in files:
        if whole:
            problem = memory_problem(_size(file), resident=MEMORY_FACTOR,
                                     address=MEMORY_FACTOR)
            if problem is not None:  # lxml does not come back from a failed allocation
                report.add("AF905", path=str(file), detail=problem)
                return
        chunks = stream_bytes(file, report)
        # bytes: the items (<image>, or frames of <track>s) are counted only at the end
        if chunks is None:
            return
        reader = Reader(str(file), report)
        met = 0
        for item in reader.iter_stream(track_bytes(chunks, "read", _size(file))):
            if met < len(reader.label_list):  # the file's <meta> was read
                met = _add_labels(head, reader.label_list, names)
            if several and item.subset is None:
                item = item.model_copy(update={"subset": file.stem})
            yield item
        if reader.result is None:
            return
        _add_labels(head, reader.result.labels, names)
        parts.append((file, reader.result))
    merged = export.merged(parts)
    head.labels[:] = merged.labels  # one file: its labels as declared, a repeated name too
    head.extras = merged.extras


def _add_labels(head: Dataset, labels: list[Label], names: set[str]) -> int:
    for label in labels:
        if label.name not in names:
            names.add(label.name)
            head.labels.append(label)
    return len(labels)


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write ``ds`` as one CVAT XML file, or an export folder's ``annotations.xml`` (what it
    loses is ``plan``'s to say)."""
    options = resolve_options(options, dest)
    flavour = flavour_of(ds, options)
    from annoformat.formats.cvat._write import Writer  # when used, not at discovery

    try:
        text = Writer(ds, flavour, report).build()
    except ValueError as exc:  # lxml refuses what XML 1.0 cannot hold: the plan's AF068
        if "XML compatible" not in str(exc):
            raise
        report.add("AF068", path=str(dest), count=1, what="string(s)", format="cvat",
                   reason="XML 1.0 cannot hold a control character")
        return
    data = text.encode("utf-8", errors="surrogatepass")
    check = Report()
    root = parse_xml(data, str(dest), check)
    if root is None:  # a string XML cannot hold (a control character) reached the output
        for diag in check:
            report.add("AF102", path=str(dest), line=diag.location.line, format="cvat",
                       reason=diag.message)
        return
    errors = schemas.xsd_errors(SCHEMAS[flavour], root)
    if errors:
        for line, xpath, message in errors[:20]:
            report.add("AF102", path=str(dest), line=line, pointer=xpath or None, format="cvat",
                       reason=schema_message(message))
        return
    del root
    if options.layout == "folder":
        dest.mkdir(parents=True, exist_ok=True)
        dest = dest / export.EXPORT_XML
    dest.write_bytes(data)


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What writing ``ds`` as CVAT XML with ``options`` loses (see ``_plan``)."""
    from annoformat.formats.cvat._plan import plan as plan_cvat  # when used, not at discovery

    return plan_cvat(ds, options, CAPABILITIES)


FORMAT = FormatSpec(
    name=NAME,
    description="CVAT XML 1.1 for images or for video: shapes, attributes, skeletons, tracks",
    extensions=(".xml",),
    capabilities=CAPABILITIES,
    options=Options,
    schemas=tuple(SCHEMAS.values()),
    detect=detect,
    read=read,
    stream=stream,
    write=write,
    plan=plan,
    resolve=resolve_options,
    codes=CODES,
    media=media_paths,
    aliases=('cvat_xml', 'cvat-xml', 'cvat_images', 'cvat-images', 'cvat_video', 'cvat-video'),
)
