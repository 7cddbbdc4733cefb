"""COCO: object detection, segmentation and keypoints (cocodataset.org/#format-data).

Facts a maintainer needs:

* Coordinates are continuous pixels already: ``bbox`` is ``[x, y, w, h]`` from the top-left
  corner; polygons are flat ``[x1, y1, ...]`` lists; both map to the IR unchanged.
* ``segmentation`` is a list of polygons (one annotation may have several, each an IR ring) or
  RLE ``{"counts", "size": [h, w]}``, counts compressed (string) or not (list); ``iscrowd`` 1
  marks crowd regions (IR ``crowd``), usually RLE. RLE goes through pycocotools (``masks``).
* Keypoints are ``[x, y, v]`` triples; category ``keypoints`` names them and ``skeleton`` joins
  them with **1-based** indices (0-based in the IR).
* An annotation with keypoints *and* a segmentation becomes two IR annotations sharing the
  COCO ``id``; the writer merges annotations of one item that share an id back into one.
* Results files are a bare list of detections with ``score``: a model's output, so their
  annotations have ``origin`` ``model``.
* CVAT and datumaro put an ``attributes`` object on annotations; ``occluded``, ``z_order`` and
  ``track_id`` in it map to the IR fields of those names. Provenance goes there too (COCO has no
  place of its own for it): ``annotator`` (a string) and ``origin`` (``human``, ``model``,
  ``unknown``; written unless it is what the file implies: ``unknown`` in a dataset, ``model``
  in a results file). Values of another type stay ordinary attributes.
* Layouts: one JSON file; a folder with ``annotations/<task>_<subset>.json``; Roboflow's
  ``<subset>/_annotations.coco.json``. Image ids may restart per subset: items are identified
  by (subset, id).
* A box-only object is written with its 4 corners as ``segmentation`` (or ``[]``, option
  ``box_segmentation``); a single ring that is exactly the bbox rectangle reads as the box.
  Derived numbers (corners, a polygon's box, areas) are rounded within their float error
  (``_common.tidy``), so they print as the short decimals they are.
* Everything else (``info``, ``licenses``, ``coco_url``, unknown keys) is kept in ``extras``.
* Loss is stated before writing by ``plan`` (``_plan.py``), from the decisions the writer takes
  (``_common.py``): the subsets a single file cannot hold (AF507), the ``default`` subset
  Roboflow's layout gives items without one (AF507), and the image and annotation ids a
  document renumbers because they are not unique integers (AF508), and the polygons that are
  exactly their box's rectangle, which read back as boxes (AF513). ``layout=auto`` is made
  definite for the destination by ``resolve_options`` (``.json``: one file).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from annoformat.formats.coco._codes import CODES
from annoformat.formats.coco._common import (
    CAPABILITIES,
    NAME,
    SCHEMA,
    Options,
    input_layout,
    looks_like_coco,
    media_paths,
    resolve_options,
)
from annoformat.spec import Detection, FormatSpec

if TYPE_CHECKING:  # the reader, the writer and the plan load when used, not at discovery
    from annoformat.diagnostics import Report
    from annoformat.formats.coco._plan import IdCensus
    from annoformat.model import Dataset
    from annoformat.spec import LossPlan, Stream

__all__ = ["CAPABILITIES", "FORMAT", "SCHEMA", "Options", "detect", "id_census", "plan",
           "read", "resolve_options", "stream", "write"]


def detect(path: Path) -> Detection:
    """COCO if ``path`` is a JSON file with COCO's top-level keys, or a folder of such files."""
    if path.is_file():
        if path.suffix.lower() != ".json":
            return Detection(0.0, "not a .json file")
        if looks_like_coco(path):
            return Detection(0.9, "JSON with COCO top-level keys (images/categories/annotations)")
        return Detection(0.0, "JSON without COCO's images/categories/annotations keys")
    if path.is_dir():
        found = input_layout(path)
        if found:
            names = ", ".join(str(p.relative_to(path)) for p, _ in found[:3])
            return Detection(0.9, f"folder with COCO files: {names}")
        return Detection(0.0, "no COCO JSON in annotations/ or */_annotations.coco.json")
    return Detection(0.0, "path does not exist")


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a COCO file or dataset folder into the IR (None if it could not be read); see
    ``_read.read``."""
    from annoformat.formats.coco._read import read as read_coco

    return read_coco(path, options, report)


def stream(path: Path, options: Options, report: Report) -> Stream | None:
    """The same dataset as :func:`read`, one item at a time in memory that does not grow with
    the file (None if it could not be read); see ``_stream.stream``."""
    from annoformat.formats.coco._stream import stream as stream_coco

    return stream_coco(path, options, report)


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What :func:`write` will drop or renumber; see ``_plan.plan``."""
    from annoformat.formats.coco._plan import plan as plan_coco

    return plan_coco(ds, options)


def id_census(ds: Dataset, options: Options) -> IdCensus | None:
    """How many images and objects writing ``ds`` as one COCO file gives, and the ids it
    keeps; what a sharded run needs to number ids across outputs. See ``_plan.id_census``."""
    from annoformat.formats.coco._plan import id_census as census

    return census(ds, options)


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write ``ds`` as COCO to ``dest`` (a ``.json`` file, or a dataset folder); see
    ``_write.write``."""
    from annoformat.formats.coco._write import write as write_coco

    write_coco(ds, dest, options, report)


FORMAT = FormatSpec(
    name=NAME,
    description="COCO JSON: instances, keypoints, results; single file, folder or Roboflow",
    extensions=(".json",),
    capabilities=CAPABILITIES,
    options=Options,
    schemas=(SCHEMA,),
    detect=detect,
    read=read,
    write=write,
    plan=plan,
    stream=stream,
    resolve=resolve_options,
    codes=CODES,
    media=media_paths,
    aliases=('coco_json', 'coco-json', 'mscoco'),
    memory_factor=12.0,  # a 483 MB file peaks at 4.6 GiB converted whole (COCO-2017-train size)
)
