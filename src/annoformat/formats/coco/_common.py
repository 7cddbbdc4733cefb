"""COCO constants, options, capabilities and file layouts (shared by reading and writing), and
the decisions the loss plan and the writer must agree on: which file each item goes to, which
annotations become one COCO object, which ids are kept."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, NonNegativeInt

from annoformat import spec
from annoformat._io import is_safe_relative
from annoformat.geometry import enclosing_box
from annoformat.model import BBox, Dataset, Image, Item, Keypoints, Mask, Polygon, VideoFrame

NAME = "coco"
SCHEMA = "coco.schema.json"
_TASKS = re.compile(
    r"^(instances|person_keypoints|captions|image_info|panoptic|stuff|keypoints)(?:_(.+))?$")
ROBOFLOW = "_annotations.coco.json"
IMAGE_KEYS = frozenset({"id", "file_name", "width", "height"})
ANN_KEYS = frozenset({"id", "image_id", "category_id", "bbox", "segmentation", "area", "iscrowd",
                       "keypoints", "num_keypoints", "score", "attributes"})
CAT_KEYS = frozenset({"id", "name", "supercategory", "keypoints", "skeleton"})
DOC_KEYS = frozenset({"info", "licenses", "images", "annotations", "categories"})
#: attribute keys CVAT/datumaro use for IR fields, with the type each must have
FIELD_ATTRS: dict[str, type] = {"occluded": bool, "z_order": int, "track_id": int}
#: provenance in ``attributes`` (annoformat's, read and written like the keys above): who made an
#: annotation, and what (a results file's detections are a model's without saying so)
PROVENANCE_ATTRS = ("annotator", "origin")
ORIGINS = frozenset({"human", "model", "unknown"})

CAPABILITIES = spec.Capabilities(
    media=frozenset({"image", "video_frame"}),  # a frame is an image named <video>/frame_%06d
    annotation_types=frozenset({"bbox", "polygon", "mask", "keypoints"}),
    fields=frozenset({"id", "score", "crowd", "area", "attributes", "occluded", "z_order",
                      "track_id", "annotator", "origin"}),
    item_attributes=False,
    # a folder (one file per subset) keeps them; a single file does not (the plan says so)
    subsets=True,
    empty_items=True,
    metadata=frozenset({"info", "label_ids", "label_parents", "keypoint_names"}),
)


class Options(spec.Options):
    """COCO options.

    ``layout``: ``auto`` writes one file when the destination ends in ``.json``, else a folder
    (Roboflow's when the source was one, else ``annotations/<task>_<subset>.json``); ``file``
    one file; ``folder`` ``annotations/<task>_<subset>.json``; ``roboflow``
    ``<subset>/_annotations.coco.json``.
    ``indent``: pretty-print the JSON (2 spaces).
    ``box_segmentation``: what a box-only object's ``segmentation`` is: ``polygon`` (its 4
    corners, pycocotools' own ``loadRes`` convention, so ``annToMask`` and segm evaluation
    work) or ``empty`` (``[]``, as datumaro and CVAT write; ``annToMask`` fails on it);
    ``auto`` (default): as the source COCO file wrote them when it did so for every box
    (``[]``, or no key at all), else ``polygon``. Each reads back as the box it was.
    ``first_image_id``, ``first_annotation_id``: number each document's images (objects)
    from this id, in order, instead of keeping the source's ids where they are unique
    integers (what a file merged with others needs: ids that do not repeat across files;
    ``annoformat.dask`` sets them for sharded outputs). A changed id is AF508.
    """

    # defer_build: the validator is built on first use, not when discovery imports it
    model_config = ConfigDict(defer_build=True)
    layout: Literal["auto", "file", "folder", "roboflow"] = Field(
        default="auto",
        description=("writing: file, folder (annotations/<task>_<subset>.json) "
                     "or roboflow; auto: by destination"))
    indent: bool = Field(default=False, description="writing: pretty-print the JSON with 2 spaces")
    box_segmentation: Literal["auto", "polygon", "empty"] = Field(
        default="auto",
        description=("writing: a box-only object's segmentation: its 4 "
                     "corners or []; auto: as the source did"))
    first_image_id: NonNegativeInt | None = Field(
        default=None, description="writing: number the images from this id (default: keep "
        "the source ids when they are unique integers, else from 1)")
    first_annotation_id: NonNegativeInt | None = Field(
        default=None, description="writing: number the annotations from this id (default: "
        "keep the source ids when they are unique integers, else from 1)")


#: twice the unit roundoff of a double: a margin for the inputs' own representation error
_ULP = 2.0 ** -52


def tidy(value: float, err: float) -> float:
    """A derived value (a box's corner x + w, a polygon's box w = max - min, an area) rounded
    to the finest decimal place its float computation can vouch for.

    ``err`` bounds the computation's rounding error (the callers derive it from the inputs'
    magnitudes, see :func:`tidy_sum`). Rounding to ``k = floor(-log10(2 * err))`` decimals
    recovers the exact decimal result whenever it has at most ``k`` decimals, which it has
    for coordinates written with a few decimals (every tool's): 10.1 + 106.1 prints 116.2, not
    116.19999999999999. Otherwise the value moves by at most ``10 * err``, far below anything
    a pixel means. A fixed number of decimals cannot do both: ten decimals leave noise in the
    area of a polygon in a 640-pixel image (its shoelace sums products near 1e5, whose error
    is near 1e-10) and in a corner near 1e6. Integers (sums of integers) are left as they are.
    """
    if type(value) is int or not err > 0 or not math.isfinite(value):
        return value
    return round(value, math.floor(-math.log10(2 * err)))


def tidy_sum(a: float, b: float) -> float:
    """``a + b`` (or ``a - b`` with ``b`` negated) without float noise: each input is off its
    decimal by up to u, the sum adds u of the result, so ``2u(|a| + |b|)`` bounds the error."""
    return tidy(a + b, _ULP * (abs(a) + abs(b)))


def tidy_width(x0: float, w: float) -> float:
    """A width ``w = x1 - x0`` computed from two coordinates, without float noise (as
    :func:`tidy_sum`, with ``x1 = x0 + w``)."""
    return tidy(w, _ULP * (abs(x0) + abs(x0 + w)))


def tidy_product(a: float, b: float) -> float:
    """``a * b`` (a box's area) without float noise: at most 3u relative error."""
    value = a * b
    return tidy(value, 2 * _ULP * abs(value))


def tidy_shoelace(area: float, points: int, x0: float, y0: float, x1: float, y1: float
                  ) -> float:
    """A polygon's shoelace area without float noise. ``points`` is its vertex count (every
    ring's), ``x0, y0, x1, y1`` its enclosing box: each of the 2n products is within
    ``M = max|x| * max|y|`` and carries 3u of error, two sums of n terms add ``(n - 1) n u M``
    each, the difference ``2 n u M``: ``u M n (n + 3)`` for the area (half of it); the bound
    used, ``2u M n (n + 4)``, keeps a margin."""
    scale = max(abs(x0), abs(x1)) * max(abs(y0), abs(y1))
    return tidy(area, _ULP * scale * points * (points + 4))


def box_ring(x: float, y: float, w: float, h: float) -> list[float]:
    """A box's 4 corners as a COCO polygon ring, in pycocotools' ``loadRes`` order."""
    x2, y2 = tidy_sum(x, w), tidy_sum(y, h)
    return [x, y, x, y2, x2, y2, x2, y]


def is_box_ring(seg: Any, bbox: Any) -> bool:
    """Whether ``seg`` is one ring tracing exactly the rectangle of ``bbox`` (any start corner,
    either direction): such a segmentation says nothing the box does not."""
    if not (isinstance(seg, list) and len(seg) == 1 and isinstance(bbox, list)
            and len(bbox) == 4):
        return False
    ring = seg[0]
    if not isinstance(ring, list) or len(ring) != 8:
        return False
    x, y, w, h = bbox
    if not (w > 0 and h > 0):
        return False

    def side(v: float, low: float, high: float) -> int | None:  # 0: low, 1: high, else None
        for k, edge in enumerate((low, high)):
            if abs(v - edge) <= 1e-9 * max(1.0, abs(edge)):
                return k
        return None

    corners = [(side(ring[k], x, x + w), side(ring[k + 1], y, y + h)) for k in (0, 2, 4, 6)]
    if any(c[0] is None or c[1] is None for c in corners) or len(set(corners)) != 4:
        return False
    following = corners[1:] + corners[:1]
    return all(a[0] == b[0] or a[1] == b[1] for a, b in zip(corners, following, strict=True))


# --------------------------------------------------------------------------------------------
# detection and layout


def _peek(path: Path, size: int = 65536) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return b""


def looks_like_coco(path: Path) -> bool:
    head = _peek(path)
    if head.startswith(b"{"):
        return b'"images"' in head or b'"categories"' in head or b'"annotations"' in head
    return head.startswith(b"[") and b'"image_id"' in head and b'"category_id"' in head


def input_layout(path: Path) -> list[tuple[Path, str | None]]:
    """The COCO files under ``path`` with the subset each belongs to (None: no subset)."""
    if path.is_file():
        return [(path, None)]
    roboflow = sorted(path.glob(f"*/{ROBOFLOW}"))
    if roboflow:
        return [(p, p.parent.name) for p in roboflow]
    folder = path / "annotations" if (path / "annotations").is_dir() else path
    files = [p for p in sorted(folder.glob("*.json")) if looks_like_coco(p)]
    stems = [_subset_of_stem(p.stem) for p in files]
    # two tasks for one subset (instances_val + person_keypoints_val): keep the stems apart
    taken = [s for s in stems if s is not None]
    return [
        (p, p.stem if s is not None and taken.count(s) > 1 else s)
        for p, s in zip(files, stems, strict=True)
    ]


#: the subset name of items without one, in file and folder names (as datumaro writes it)
DEFAULT_SUBSET = "default"


def canonical_stem(subset: str | None) -> str:
    return f"instances_{subset if subset is not None else DEFAULT_SUBSET}"


def canonical_category_keys(parent: str | None, keypoints: list[str] | None) -> list[str]:
    """The optional category keys the writer emits for a label."""
    keys = ["supercategory"] if parent is not None else []
    return [*keys, "keypoints", "skeleton"] if keypoints else keys


def _subset_of_stem(stem: str) -> str | None:
    m = _TASKS.match(stem)
    if m:
        return None if m.group(2) == DEFAULT_SUBSET else m.group(2)
    return stem




# --------------------------------------------------------------------------------------------
# what the plan and the writer decide alike


def resolve_options(options: Options, dest: Path) -> Options:
    """``options`` made definite for ``dest``: ``layout=auto`` is ``file`` for a ``.json``."""
    if options.layout == "auto" and dest.suffix.lower() == ".json":
        return options.model_copy(update={"layout": "file"})
    return options


def output_layout(ds: Dataset, options: Options) -> str:
    """``file``, ``folder`` or ``roboflow`` (``options`` resolved for the destination)."""
    if options.layout != "auto":
        return options.layout
    layout: str = ds.extras.get("coco", {}).get("layout", "folder")
    return layout


def results_file(ds: Dataset, layout: str) -> bool:
    """Whether the output is a results file (a bare list of detections, read as one)."""
    return layout == "file" and bool(ds.extras.get("coco", {}).get("results"))


def documents(ds: Dataset, layout: str) -> list[tuple[str | None, list[Item]]]:
    """The items of each output document: one file holds them all (grouped by subset), a
    folder has one document per subset (one empty document for an empty dataset)."""
    by_subset: dict[str | None, list[Item]] = {}
    for item in ds.items:
        if isinstance(item.media, (Image, VideoFrame)):
            by_subset.setdefault(item.subset, []).append(item)
    if layout == "file":
        return [(None, [item for group in by_subset.values() for item in group])]
    return list(by_subset.items()) or [(None, [])]


def kept_ids(values: Iterable[Any]) -> list[int] | None:
    """The values as ints when every one is a unique integer (or a decimal string), else None:
    then the writer numbers them 1, 2, ... (AF508)."""
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


def assigned_ids(values: list[Any], first: int | None) -> Sequence[int]:
    """The ids a document writes for ``values`` (its images' or its objects' source ids):
    numbered from ``first`` when given, else kept (:func:`kept_ids`), else numbered from 1."""
    if first is None:
        kept = kept_ids(values)
        if kept is not None:
            return kept
        first = 1
    return range(first, first + len(values))


def bbox_of(ann: Any) -> list[float]:
    """The ``bbox`` the writer gives an object whose first part is ``ann``: its own or stored
    one, else derived (without float noise)."""
    if isinstance(ann, BBox):
        return [ann.x, ann.y, ann.w, ann.h]
    if ann.bbox is not None:
        return list(ann.bbox)
    if isinstance(ann, Polygon):
        x, y, w, h = enclosing_box(ann)
        return [x, y, tidy_width(x, w), tidy_width(y, h)]
    if isinstance(ann, Mask):
        from annoformat import masks  # numpy + pycocotools: only when a mask needs it

        return list(masks.to_bbox(ann.counts, ann.height, ann.width))
    if isinstance(ann, Keypoints):
        xs = [x for x, v in zip(ann.points[0::2], ann.visibility, strict=False) if v]
        ys = [y for y, v in zip(ann.points[1::2], ann.visibility, strict=False) if v]
        if not xs:
            return [0.0, 0.0, 0.0, 0.0]
        x, y = min(xs), min(ys)
        return [x, y, tidy_width(x, max(xs) - x), tidy_width(y, max(ys) - y)]
    raise TypeError(f"COCO cannot hold {ann.type} annotations")


def reads_as_box(parts: list[Any]) -> bool:
    """Whether the COCO object made of ``parts`` has a polygon that is exactly the object's
    box rectangle: COCO readers (annoformat's, after pycocotools' ``loadRes`` convention) take
    such a segmentation as the box itself, so the polygon reads back as a box (AF513)."""
    for part in parts:
        if isinstance(part, Polygon) and len(part.rings) == 1 and len(part.rings[0]) == 8:
            return is_box_ring(part.rings, bbox_of(parts[0]))
    return False


WRITABLE = (BBox, Polygon, Mask, Keypoints)


def written(ann: Any) -> bool:
    """Whether COCO writes ``ann``: a writable type with a label (the plan drops the rest)."""
    return isinstance(ann, WRITABLE) and ann.label is not None


def _unique(annotations: list[Any]) -> bool:
    """No two annotations share an id (those without one included): :func:`objects` then
    merges nothing (VOC's objects have no ids at all)."""
    ids = [a.id for a in annotations]
    if None in ids:
        ids = [i for i in ids if i is not None]
    return len(set(ids)) == len(ids)


def objects(annotations: list[Any]) -> list[list[Any]]:
    """Annotations of one item grouped into COCO objects: parts sharing an ``id`` (and label,
    of different types: a polygon and its keypoints) merge into one."""
    if _unique(annotations):  # the common case: nothing to merge
        return [[a] for a in annotations if written(a)]
    return grouped(annotations)


def grouped(annotations: list[Any]) -> list[list[Any]]:
    """:func:`objects` the long way (every annotation looked up by its id and label)."""
    groups: list[list[Any]] = []
    by_id: dict[Any, list[Any]] = {}
    for ann in annotations:
        if not written(ann):
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


def object_ids(annotations: list[Any]) -> list[Any]:
    """The ids of the COCO objects of one item, as :func:`objects` groups them (the id of each
    group's first part), without building the groups in the common case."""
    if _unique(annotations):
        return [a.id for a in annotations if written(a)]
    return [group[0].id for group in objects(annotations)]


def media_paths(ds: Dataset, options: Options) -> dict[int, str]:
    """Where each item's image goes (``FormatSpec.media``): ``images/<subset>/<file_name>``
    beside ``annotations/`` (datumaro's layout, ``default`` for no subset), the subset folder
    in Roboflow's; nowhere for one file."""
    layout = output_layout(ds, options)
    if layout == "file" or results_file(ds, layout):
        return {}
    out = {}
    for i, item in enumerate(ds.items):
        if not isinstance(item.media, Image) or not is_safe_relative(item.media.path):
            continue
        subset = item.subset if item.subset is not None else DEFAULT_SUBSET
        if not is_safe_relative(subset):
            continue
        folder = subset if layout == "roboflow" else f"images/{subset}"
        out[i] = f"{folder}/{item.media.path}"
    return out


def file_name_of(media: Image | VideoFrame) -> str:
    """The ``file_name`` of an item's image: its path, or ``<video>/frame_%06d`` for a frame."""
    if isinstance(media, VideoFrame):
        name = f"frame_{media.frame:06d}"
        return f"{media.path}/{name}" if media.path else name
    return media.path
