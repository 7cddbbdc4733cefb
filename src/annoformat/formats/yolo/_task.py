"""What a YOLO write does with a dataset, decided once for the loss plan and the writer.

The task (the ``task`` option, or the one that holds the data), the layout, where items without
a subset go, the keypoint dimension, how an item's annotations group into rows and what each
one becomes (:func:`fate`). ``_plan`` states the losses from these decisions before anything is
written; ``_write`` and ``_emit`` act on the same decisions and report no loss themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from annoformat._io import is_safe_relative
from annoformat.formats.yolo._common import GEOMETRY, Options
from annoformat.model import Dataset, Image, Item, Keypoints, Tag

#: (keep | approx | drop, what the annotation is when it matters, what it is written as)
Fate = tuple[Literal["keep", "approx", "drop"], str, str]
KEEP: Fate = ("keep", "", "")
DROP: Fate = ("drop", "", "")
#: approximations that change the type, not the geometry (reported as warnings)
EXACT = frozenset({("bbox", "4-point polygon"), ("bbox", "oriented box at 0 degrees")})


@dataclass
class Census:
    """What the whole-set decisions need to know of a dataset's items, in a few sets and
    counts (never per item): taken in one pass, over ``ds.items`` or over a second read of a
    streamed source (``settle``), so that each part of a conversion decides as the whole.

    Example:
        >>> from annoformat.model import BBox
        >>> c = census_of([Item(id="a", media=Image(path="x/a.jpg"), subset="val",
        ...                     annotations=[BBox(label="c", x=0, y=0, w=1, h=1)])])
        >>> sorted(c.kinds), c.subsets, c.image_subsets, c.nested
        (['bbox'], {'val'}, ['val'], True)
    """

    #: annotation kinds a task can hold (:func:`kinds_of`)
    kinds: set[str] = field(default_factory=set)
    #: every item's subset (None: an item without one)
    subsets: set[str | None] = field(default_factory=set)
    #: the image items' subsets in the order first met (data.yaml lists splits in that order)
    image_subsets: list[str | None] = field(default_factory=list)
    #: an image path has a folder (a bare layout then keeps labels in labels/)
    nested: bool = False
    #: keypoints per annotation -> how many annotations (one value: pose's kpt_shape)
    kpt_counts: dict[int, int] = field(default_factory=dict)


def census_of(items: Iterable[Item]) -> Census:
    """The :class:`Census` of ``items`` (one pass)."""
    held = {*GEOMETRY, "tag"}
    out = Census()
    seen: set[str | None] = set()
    for item in items:
        out.subsets.add(item.subset)
        media = item.media
        if isinstance(media, Image):
            if item.subset not in seen:
                seen.add(item.subset)
                out.image_subsets.append(item.subset)
            out.nested = out.nested or "/" in media.path
        for ann in item.annotations:
            kind = ann.type
            if kind in held:
                out.kinds.add(kind)
                if isinstance(ann, Keypoints):
                    n = len(ann.visibility)
                    out.kpt_counts[n] = out.kpt_counts.get(n, 0) + 1
    return out


def census(ds: Dataset, options: Options) -> Census:
    """The census ``settle`` took of the whole dataset, else that of ``ds``."""
    taken = options._census
    return taken if isinstance(taken, Census) else census_of(ds.items)


def kinds_of(ds: Dataset) -> set[str]:
    """The annotation kinds a YOLO task can hold that ``ds`` has (one pass)."""
    held = {*GEOMETRY, "tag"}
    found: set[str] = {a.type for item in ds.items for a in item.annotations}
    return found & held


def clash(kinds: set[str]) -> list[str] | None:
    """The kinds when no single task holds them all (the plan refuses: AF515)."""
    geo = kinds - {"tag"}
    regions = geo & {"polygon", "mask"}
    if (("tag" in kinds and geo) or ("keypoints" in geo and (regions or "rotated_bbox" in geo))
            or (regions and "rotated_bbox" in geo)):
        return sorted(kinds)
    return None


def choose_task(ds: Dataset, options: Options, kinds: set[str] | None = None
                ) -> tuple[str, str]:
    """The task to write and why (``kinds``: :func:`kinds_of`, when already known; call
    :func:`clash` first when the task is ``auto``)."""
    if options.task != "auto":
        return options.task, "chosen by the task option"
    extras = ds.extras.get("yolo", {})
    hint = extras.get("task") or ("pose" if extras.get("kpt_shape") else None)
    kinds = kinds if kinds is not None else kinds_of(ds)
    geo = kinds - {"tag"}
    if kinds == {"tag"}:
        return "classify", "the dataset holds only tags"
    if "keypoints" in geo:
        return "pose", "the dataset holds keypoints"
    if "rotated_bbox" in geo:
        return "obb", "the dataset holds rotated boxes"
    if geo & {"polygon", "mask"}:
        return "segment", "the dataset holds polygons or masks"
    if hint in ("obb", "pose", "segment", "classify"):
        return hint, f"the source was a YOLO {hint} dataset"
    return "detect", "the dataset holds only boxes" if geo else "the dataset has no annotations"


def output_layout(ds: Dataset, options: Options, task: str) -> str:
    """ultralytics, darknet, bare or classify: the option, else the source's, else Ultralytics."""
    layout: str = (options.layout if options.layout != "auto"
                   else ds.extras.get("yolo", {}).get("layout", "ultralytics"))
    if task == "classify":
        return "classify"
    return "ultralytics" if layout == "classify" else layout


def none_subset(seen: Census, layout: str) -> str | None:
    """The subset items without one are written to, when the layout cannot leave them out.

    Ultralytics: ``images/`` would hold ``images/<subset>/`` and its recursive search mixes
    them; Darknet: every image is listed in a ``<subset>.txt``.
    """
    subsets = seen.subsets
    if None not in subsets:
        return None
    if layout == "darknet":
        return "train"
    if layout == "ultralytics" and len(subsets) > 1:
        return "default"
    return None


def kpt_dim(ds: Dataset) -> int:
    """Values per keypoint in pose rows: the source's ``kpt_shape``, else 3 (x, y, visibility)."""
    shape = ds.extras.get("yolo", {}).get("kpt_shape")
    return int(shape[1]) if shape else 3


def row_groups(item: Item, task: str, index: dict[str, int]) -> list[list[Any]]:
    """The item's annotations that can become rows, in order, grouped into objects.

    Pose pairs a box and keypoints sharing an id and label (one row); every other task has one
    annotation per group. Annotations without a class index or geometry are left out.
    """
    groups: list[list[Any]] = []
    pairs: dict[tuple[Any, Any], list[Any]] = {}
    pose = task == "pose"
    for ann in item.annotations:
        if ann.type not in GEOMETRY or ann.label not in index:
            continue
        if pose and ann.id is not None and ann.type in ("bbox", "keypoints"):
            group = pairs.get((ann.id, ann.label))
            if group is not None and len(group) == 1 and group[0].type != ann.type:
                group.append(ann)
                continue
            pairs[(ann.id, ann.label)] = group = [ann]
        else:
            group = [ann]
        groups.append(group)
    return groups


def shadowed(item: Item, task: str) -> set[int]:
    """``id()`` of the keypoints whose object another annotation of the item already writes
    (same id and label: COCO's person with a segmentation and keypoints). Outside pose, the
    keypoints would only write that object a second time, so they are dropped instead."""
    if task != "detect":
        return set()  # pose pairs them (row_groups); segment and obb drop keypoints anyway
    shapes = {(a.id, a.label) for a in item.annotations
              if a.id is not None and a.type in GEOMETRY and a.type != "keypoints"}
    if not shapes:
        return set()
    return {id(a) for a in item.annotations
            if a.type == "keypoints" and (a.id, a.label) in shapes}


def fate(ann: Any, task: str, dim: int = 3) -> Fate:
    """What a labelled annotation becomes in ``task`` (``dim``: values per pose keypoint)."""
    kind: str = ann.type
    if kind == "tag":
        return KEEP if task == "classify" else DROP
    if task == "classify":
        return DROP
    if getattr(ann, "crowd", None):  # a crowd region is no object to train on (Ultralytics'
        return "drop", f"crowd {kind}", ""  # own COCO converter leaves them out)
    if kind == "mask" and task == "pose":
        return DROP
    if task == "detect":
        if kind == "bbox":
            return KEEP
        if kind == "keypoints" and ann.bbox is not None:
            return "approx", kind, "its box"
        return "approx", kind, "its enclosing box"
    if task == "segment":
        if kind == "polygon":
            if len(ann.rings) != 1:
                return "approx", "polygon with several rings", "one polygon joining its parts"
            return KEEP
        if kind == "mask":
            _, left_out = mask_outline(ann)
            if left_out:
                return ("approx", "mask with holes or several parts",
                        "the outline of its largest part")
            return "approx", kind, "its outline"
        return DROP if kind == "keypoints" else ("approx", kind, "4-point polygon")
    if task == "obb":
        if kind == "rotated_bbox":
            return KEEP
        if kind == "keypoints":
            return DROP
        return "approx", kind, ("oriented box at 0 degrees" if kind == "bbox"
                                else "its enclosing box at 0 degrees")
    # pose: a box, keypoints with their box, or keypoints alone (their box is computed)
    if kind in ("polygon", "rotated_bbox"):
        return DROP
    if kind == "keypoints":
        if not any(ann.visibility) and not any(ann.points):
            return "approx", "keypoints with no labelled point", "a plain box"
        if dim == 2 and 1 in ann.visibility:  # [K, 2] rows say only labelled or not
            return "approx", "keypoints with visibility 1", "visible (kpt_shape [K, 2])"
    return KEEP


def joined(rings: Sequence[Sequence[float]]) -> list[float]:
    """One ring visiting every ring of a multi-part polygon, the way Ultralytics merges a COCO
    object's segments: each further ring is entered from the closest point of the path so far
    and left back to it, so the joins have no width and the outline covers the same pixels.

    Example:
        >>> joined([[0, 0, 2, 0, 2, 2], [5, 0, 6, 0, 6, 1]])
        [0, 0, 2, 0, 5, 0, 6, 0, 6, 1, 5, 0, 2, 0, 2, 2]
    """
    import numpy as np  # the closest pair over all point pairs: in C, not per pair

    path = [(ring[k], ring[k + 1]) for ring in rings[:1] for k in range(0, len(ring), 2)]
    for ring in rings[1:]:
        pts = [(ring[k], ring[k + 1]) for k in range(0, len(ring), 2)]
        if not pts:
            continue
        a, b = np.asarray(path, dtype=float), np.asarray(pts, dtype=float)
        gaps = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
        i, j = divmod(int(gaps.argmin()), len(pts))  # the first closest pair, as min() would
        detour = pts[j:] + pts[:j] + [pts[j], path[i]]
        path = path[:i + 1] + detour + path[i + 1:]
    return [v for xy in path for v in xy]


@functools.lru_cache(maxsize=256)
def _outline(counts: str | tuple[int, ...], height: int, width: int
             ) -> tuple[tuple[float, ...], int]:
    from annoformat import masks  # numpy + pycocotools: only when a mask needs it

    found = masks.rings(masks.decode(counts if isinstance(counts, str) else list(counts),
                                     height, width))
    outer = next((ring for ring, area in found if area > 0), [])
    return tuple(outer), len(found) - 1


def mask_outline(ann: Any) -> tuple[list[float], int]:
    """The outer boundary of a mask's largest part (pixel edges, exact) and how many other
    rings (holes, other parts) it leaves out."""
    counts = ann.counts if isinstance(ann.counts, str) else tuple(ann.counts)
    ring, left_out = _outline(counts, ann.height, ann.width)
    return list(ring), left_out


def split_key(subset: str | None) -> str:
    """The data.yaml split (train, val, test) a subset name stands for."""
    s = (subset or "").lower()
    if s.startswith(("val", "dev")):
        return "val"
    if s.startswith("test"):
        return "test"
    return "train"


def class_tag(item: Item) -> Tag | None:
    """The one labelled tag a classification image is filed under (None: zero or several)."""
    tags = [a for a in item.annotations if isinstance(a, Tag) and a.label is not None]
    return tags[0] if len(tags) == 1 else None


def split_folders(layout: str, subset: str | None) -> tuple[str, str]:
    """(label folder, image folder) of a subset, relative to the destination."""
    if layout == "darknet":
        folder = f"obj_{subset or 'train'}_data"
        return folder, folder
    if layout == "bare":
        return "", ""
    if subset is None:
        return "labels", "images"
    return f"labels/{subset}", f"images/{subset}"


def flat_bare(seen: Census) -> bool:
    """A bare layout keeps labels beside images at the top only when no image is in a folder."""
    return not seen.nested


def image_folder(layout: str, subset: str | None, flat: bool) -> str:
    """Where the writer puts (and data.yaml / list files name) the images of a subset."""
    if layout == "bare" and not flat:
        return "images"
    return split_folders(layout, subset)[1]


def written_path(path: str) -> str:
    """An image path as the writer places it under ``images/<subset>/``: without folders named
    ``images`` or ``labels``, since Ultralytics finds a label by replacing the *last* ``images``
    folder of the image's path with ``labels`` (``images/train/images/a.jpg`` would look for
    ``images/train/labels/a.txt``)."""
    parts = path.split("/")
    kept = [p for p in parts[:-1] if p not in ("images", "labels")]
    return "/".join([*kept, parts[-1]])


def media_paths(ds: Dataset, options: Options) -> dict[int, str]:
    """Where each item's image goes (``FormatSpec.media``); classification's own writer places
    the images in class folders itself."""
    seen = census(ds, options)
    task, _ = choose_task(ds, options, seen.kinds)
    layout = output_layout(ds, options, task)
    if layout == "classify":
        return {}
    none_as = none_subset(seen, layout)
    flat = flat_bare(seen)
    out = {}
    for index, item in enumerate(ds.items):
        media = item.media
        subset = item.subset if item.subset is not None else none_as
        if not isinstance(media, Image) or not is_safe_relative(media.path) or (
                subset is not None and not is_safe_relative(subset)):
            continue  # the writer refuses it (AF016)
        folder = image_folder(layout, subset, flat)
        path = written_path(media.path)
        out[index] = f"{folder}/{path}" if folder else path
    return out
