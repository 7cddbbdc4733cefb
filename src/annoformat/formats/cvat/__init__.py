"""CVAT XML 1.1, "for images" and "for video" (docs.cvat.ai, "CVAT for images/video 1.1").

Facts a maintainer needs:

* One ``annotations.xml``: ``<version>1.1</version>``, ``<meta>`` (a task or a project with its
  labels), then ``<image>`` elements (images flavour) or ``<track>`` elements (video flavour).
  The flavour is detected on read (any ``<track>`` means video) and is an option on write.
  Each flavour has its own XSD in ``schemas/``, checked on read and on the writer's output.
* Coordinates are continuous pixels already: a box is ``xtl, ytl, xbr, ybr``
  (IR ``x, y, w = xbr - xtl, h = ybr - ytl``); ``rotation`` (degrees clockwise about the
  centre) makes an IR ``rotated_bbox`` when it is not 0. Point lists are ``x1,y1;x2,y2``.
  A polygon is one ring (an IR polygon with several rings is written as one polygon per ring).
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

from pathlib import Path

from annoformat import schemas
from annoformat._io import read_bytes
from annoformat._xml import parse_xml
from annoformat.diagnostics import Report
from annoformat.formats.cvat._codes import CODES
from annoformat.formats.cvat._common import EXPORT_XML, NAME, Options, flavour_of
from annoformat.formats.cvat._plan import plan as plan_cvat
from annoformat.formats.cvat._read import SCHEMAS, Reader, schema_message
from annoformat.formats.cvat._write import Writer
from annoformat.model import Dataset
from annoformat.spec import Capabilities, Detection, FormatSpec, LossPlan

__all__ = ["CAPABILITIES", "FORMAT", "Options", "detect", "plan", "read", "write"]

CAPABILITIES = Capabilities(
    media=frozenset({"image", "video_frame"}),
    annotation_types=frozenset({"bbox", "rotated_bbox", "polygon", "polyline", "points",
                                "keypoints", "mask", "ellipse", "tag"}),
    fields=frozenset({"attributes", "group", "z_order", "occluded", "track_id"}),
    item_attributes=False,
    subsets=True,
    empty_items=True,
    metadata=frozenset({"keypoint_names", "attribute_specs"}),
    unlabelled=True,
)


def _head(path: Path, size: int = 4096) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def _export_xml(path: Path) -> Path:
    """The XML of an export folder (``annotations.xml``, beside ``images/``), else ``path``."""
    inner = path / EXPORT_XML
    return inner if path.is_dir() and inner.is_file() else path


def detect(path: Path) -> Detection:
    """CVAT if ``path`` is an ``.xml`` file whose root element is ``<annotations>``, or an
    export folder holding one as ``annotations.xml``."""
    if path.is_dir():
        inner = path / EXPORT_XML
        if not inner.is_file():
            return Detection(0.0, f"a folder without {EXPORT_XML}")
        found = detect(inner)
        return Detection(found.confidence, f"CVAT export folder: {EXPORT_XML}: {found.reason}")
    if not path.is_file():
        return Detection(0.0, "not a file")
    if path.suffix.lower() != ".xml":
        return Detection(0.0, "not a .xml file")
    head = _head(path)
    at = head.find(b"<annotations")
    if at < 0 or head[at + 12: at + 13] not in (b">", b" ", b"\n", b"\r", b"\t", b"/"):
        return Detection(0.0, "XML without an <annotations> root")
    if b"<version>1.1" in head or b"<meta" in head:
        return Detection(0.9, "XML with <annotations> root and CVAT's version/meta")
    return Detection(0.6, "XML with an <annotations> root")


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a CVAT for images / for video 1.1 file, or the export folder holding it as
    ``annotations.xml``, into the IR (None if it cannot be read)."""
    path = _export_xml(path)
    data = read_bytes(path, report)
    if data is None:
        return None
    return Reader(str(path), report).read(data)


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write ``ds`` as one CVAT XML file (what it loses is ``plan``'s to say)."""
    flavour = flavour_of(ds, options)
    text = Writer(ds, flavour, report).build()
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
    dest.write_bytes(data)


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What writing ``ds`` as CVAT XML with ``options`` loses (see ``_plan``)."""
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
    write=write,
    plan=plan,
    codes=CODES,
)
