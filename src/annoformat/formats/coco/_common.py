"""COCO constants, options, capabilities and file layouts (shared by reading and writing)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from annoformat.spec import Capabilities

SCHEMA = "coco.schema.json"
_TASKS = re.compile(
    r"^(instances|person_keypoints|captions|image_info|panoptic|stuff|keypoints)(?:_(.+))?$")
_ROBOFLOW = "_annotations.coco.json"
_IMAGE_KEYS = frozenset({"id", "file_name", "width", "height"})
_ANN_KEYS = frozenset({"id", "image_id", "category_id", "bbox", "segmentation", "area", "iscrowd",
                       "keypoints", "num_keypoints", "score", "attributes"})
_CAT_KEYS = frozenset({"id", "name", "supercategory", "keypoints", "skeleton"})
_DOC_KEYS = frozenset({"info", "licenses", "images", "annotations", "categories"})
#: attribute keys CVAT/datumaro use for IR fields, with the type each must have
_FIELD_ATTRS: dict[str, type] = {"occluded": bool, "z_order": int, "track_id": int}

CAPABILITIES = Capabilities(
    media=frozenset({"image"}),
    annotation_types=frozenset({"bbox", "polygon", "mask", "keypoints"}),
    fields=frozenset({"id", "score", "crowd", "area", "attributes", "occluded", "z_order",
                      "track_id"}),
    item_attributes=False,
    subsets=True,
    empty_items=True,
    metadata=frozenset({"info", "label_ids", "label_parents", "keypoint_names"}),
)


class Options(BaseModel):
    """COCO options.

    ``layout``: ``auto`` writes one file when the destination ends in ``.json``, else a folder
    with ``annotations/<task>_<subset>.json``; ``roboflow`` writes
    ``<subset>/_annotations.coco.json``.
    ``indent``: pretty-print the JSON (2 spaces).
    """

    model_config = ConfigDict(extra="forbid")
    layout: Literal["auto", "file", "folder", "roboflow"] = "auto"
    indent: bool = False


# --------------------------------------------------------------------------------------------
# detection and layout


def _peek(path: Path, size: int = 65536) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return b""


def _looks_like_coco(path: Path) -> bool:
    head = _peek(path)
    if head.startswith(b"{"):
        return b'"images"' in head or b'"categories"' in head or b'"annotations"' in head
    return head.startswith(b"[") and b'"image_id"' in head and b'"category_id"' in head


def _layout(path: Path) -> list[tuple[Path, str | None]]:
    """The COCO files under ``path`` with the subset each belongs to (None: no subset)."""
    if path.is_file():
        return [(path, None)]
    roboflow = sorted(path.glob(f"*/{_ROBOFLOW}"))
    if roboflow:
        return [(p, p.parent.name) for p in roboflow]
    folder = path / "annotations" if (path / "annotations").is_dir() else path
    files = [p for p in sorted(folder.glob("*.json")) if _looks_like_coco(p)]
    stems = [_subset_of_stem(p.stem) for p in files]
    # two tasks for one subset (instances_val + person_keypoints_val): keep the stems apart
    taken = [s for s in stems if s is not None]
    return [
        (p, p.stem if s is not None and taken.count(s) > 1 else s)
        for p, s in zip(files, stems, strict=True)
    ]


def _canonical_stem(subset: str | None) -> str:
    return "instances" if subset is None else f"instances_{subset}"


def _canonical_category_keys(parent: str | None, keypoints: list[str] | None) -> list[str]:
    """The optional category keys the writer emits for a label."""
    keys = ["supercategory"] if parent is not None else []
    return [*keys, "keypoints", "skeleton"] if keypoints else keys


def _subset_of_stem(stem: str) -> str | None:
    m = _TASKS.match(stem)
    if m:
        return m.group(2)
    return stem


