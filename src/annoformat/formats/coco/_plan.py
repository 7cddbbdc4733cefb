"""What writing COCO loses for this dataset and these options, stated before anything is written.

The capability plan (types, fields, metadata, other formats' extras), then what depends on the
layout and the data, decided by the helpers the writer uses (``_common``): the subsets a single
file cannot hold, the subset name Roboflow's layout invents, and the image and annotation ids
each document renumbers. One pass over the ids; nothing is formatted.
"""

from __future__ import annotations

from annoformat.formats.coco._common import (
    CAPABILITIES,
    NAME,
    Options,
    documents,
    kept_ids,
    object_ids,
    objects,
    output_layout,
    results_file,
)
from annoformat.model import Dataset, Item
from annoformat.spec import MAX_IDS, LossPlan, plan_capabilities, where


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What :func:`~annoformat.formats.coco.write` will drop or renumber."""
    loss = plan_capabilities(ds, CAPABILITIES, NAME)
    layout = output_layout(ds, options)
    docs = documents(ds, layout)
    if layout == "file":
        subsets = {item.subset for _, items in docs for item in items if item.subset}
        if subsets:
            loss.add("AF507", what="subsets", format=f"{NAME} (single file)",
                     detail=", ".join(sorted(subsets)))
    elif layout == "roboflow":
        unnamed = [item.id for subset, items in docs if subset is None for item in items]
        if unnamed:
            loss.add("AF507", what="'no subset'", format=f"{NAME} (roboflow)",
                     detail=f"{len(unnamed)} item(s) without a subset are written to subset "
                     "'default'")
    if results_file(ds, layout):
        return loss  # detections keep their image and annotation ids
    for _, items in docs:
        if items and kept_ids(item.id for item in items) is None:
            loss.add("AF508", count=len(items), ids=[item.id for item in items[:MAX_IDS]],
                     what="image", reason="item ids are not unique integers")
        if _distinct_int_ids(items):
            continue  # the common case, decided in one pass: every id is kept
        heads = [object_ids(item.annotations) for item in items]
        count = sum(len(ids) for ids in heads)
        if count and kept_ids(i for ids in heads for i in ids) is None:
            first: list[str] = []
            for item, ids in zip(items, heads, strict=True):
                if ids:
                    first += _refs(item)[: MAX_IDS - len(first)]
                if len(first) >= MAX_IDS:
                    break
            loss.add("AF508", count=count, ids=first, what="annotation",
                     reason="annotation ids are missing, not integers or not unique")
    return loss


def _refs(item: Item) -> list[str]:
    """How the plan names the item's COCO objects (by id, else by position)."""
    position = {id(ann): n for n, ann in enumerate(item.annotations)}
    return [where(item.id, group[0].id, position[id(group[0])])
            for group in objects(item.annotations)]


_WRITTEN = frozenset({"bbox", "polygon", "mask", "keypoints"})


def _distinct_int_ids(items: list[Item]) -> bool:
    """True when every annotation COCO writes has an int id, distinct over the document: then
    no parts merge and :func:`kept_ids` keeps them all (checked without building groups)."""
    seen: set[int] = set()
    add = seen.add
    count = 0
    for item in items:
        for ann in item.annotations:
            if ann.type in _WRITTEN:
                value = ann.id
                if type(value) is not int:
                    return False
                add(value)
                count += 1
    return len(seen) == count
