"""What writing COCO loses for this dataset and these options, stated before anything is written.

The capability plan (types, fields, metadata, other formats' extras), then what depends on the
layout and the data, decided by the helpers the writer uses (``_common``): the subsets a single
file cannot hold, the subset name Roboflow's layout invents, and the image and annotation ids
each document renumbers. One pass over the ids; nothing is formatted.
"""

from __future__ import annotations

import itertools
from array import array
from dataclasses import dataclass

from annoformat.formats.coco._common import (
    CAPABILITIES,
    NAME,
    Options,
    documents,
    kept_ids,
    object_ids,
    objects,
    output_layout,
    reads_as_box,
    results_file,
)
from annoformat.model import Dataset, Item
from annoformat.spec import LossPlan, Names, Phrase, plan_capabilities, where


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What :func:`~annoformat.formats.coco.write` will drop or renumber."""
    loss = plan_capabilities(ds, CAPABILITIES, NAME)
    layout = output_layout(ds, options)
    docs = documents(ds, layout)
    if layout == "file":
        subsets = {item.subset for _, items in docs for item in items if item.subset}
        if subsets:
            loss.add("AF507", what="subsets", format=f"{NAME} (single file)",
                     detail=Names(subsets, sort=True))
    elif layout == "roboflow":
        unnamed = [item.id for subset, items in docs if subset is None for item in items]
        if unnamed:
            loss.add("AF507", what="'no subset'", format=f"{NAME} (roboflow)",
                     detail=Phrase("{n} item(s) without a subset are written to subset "
                                   "'default'", n=len(unnamed)))
    _polygons_read_as_boxes(docs, loss)
    if results_file(ds, layout):
        return loss  # detections keep their image and annotation ids
    for _, items in docs:
        _numbered_from(items, options, loss)
        if options.first_image_id is None and items and kept_ids(
                item.id for item in items) is None:
            loss.add("AF508", count=len(items), ids=[item.id for item in items],
                     what="image", reason="item ids are not unique integers")
        if options.first_annotation_id is not None:
            continue
        count, kept = _object_ids_kept(items)
        if count and not kept:
            # the plan keeps the first KEPT_IDS names of a fact: only those are made
            refs = list(itertools.islice((ref for item in items for ref in _refs(item)),
                                         LossPlan.KEPT_IDS))
            loss.add("AF508", count=count, ids=refs, what="annotation",
                     reason="annotation ids are missing, not integers or not unique")
    return loss


def _polygons_read_as_boxes(docs: list[tuple[str | None, list[Item]]], loss: LossPlan) -> None:
    """AF513: the polygons written as exactly their object's box rectangle (``reads_as_box``,
    as the writer groups objects); only items with a 4-point single-ring polygon are looked at
    further, so the common item costs one attribute read per annotation."""
    for _, items in docs:
        for item in items:
            if not any(a.type == "polygon" and len(a.rings) == 1 and len(a.rings[0]) == 8
                       for a in item.annotations):
                continue
            position = {id(ann): n for n, ann in enumerate(item.annotations)}
            for parts in objects(item.annotations):
                if reads_as_box(parts):
                    first = parts[0]
                    loss.count("AF513", where(item.id, first.id, position[id(first)]))


def _numbered_from(items: list[Item], options: Options, loss: LossPlan) -> None:
    """AF508 for the ids that ``first_image_id`` / ``first_annotation_id`` change (an id the
    numbering happens to give again is kept). The reason leaves the first id out, so that a
    sharded run's shards, numbered from different ids, state one fact."""
    first = options.first_image_id
    if first is not None:
        changed = [item.id for n, item in enumerate(items, first) if item.id != str(n)]
        if changed:
            loss.add("AF508", count=len(changed), ids=changed, what="image",
                     reason="images are numbered in order from first_image_id")
    first = options.first_annotation_id
    if first is not None:
        refs, n = [], first
        for item in items:
            for oid, ref in zip(object_ids(item.annotations), _refs(item), strict=True):
                if str(oid) != str(n):
                    refs.append(ref)
                n += 1
        if refs:
            loss.add("AF508", count=len(refs), ids=refs, what="annotation",
                     reason="annotations are numbered in order from first_annotation_id")


def _refs(item: Item) -> list[str]:
    """How the plan names the item's COCO objects (by id, else by position)."""
    position = {id(ann): n for n, ann in enumerate(item.annotations)}
    return [where(item.id, group[0].id, position[id(group[0])])
            for group in objects(item.annotations)]



_WRITTEN = frozenset({"bbox", "polygon", "mask", "keypoints"})


def _object_ids_kept(items: list[Item]) -> tuple[int, bool]:
    """How many COCO objects the document has, and whether :func:`kept_ids` keeps their ids.

    One pass, cheap in the common cases (it runs before every COCO write): an item whose ids
    are distinct has one object per written annotation, and the id check stops at the first id
    that cannot be kept.
    """
    count = 0
    seen: set[int] = set()
    kept = True
    for item in items:
        anns = item.annotations
        ids = [a.id for a in anns if a.type in _WRITTEN and a.label is not None]
        if not ids:
            continue
        if None in ids or len(set(ids)) != len(ids):  # parts merge, or ids are missing
            ids = object_ids(anns)
        count += len(ids)
        if not kept:
            continue
        for value in ids:
            if type(value) is not int:
                as_int = kept_ids([value])
                if as_int is None:
                    kept = False
                    break
                value = as_int[0]
            if value in seen:
                kept = False
                break
            seen.add(value)
    return count, kept


@dataclass
class IdCensus:
    """How many images and objects a COCO output of one document holds, and the ids it keeps
    (None: it numbers them); what a sharded run needs to make ids unique across outputs."""

    images: int
    annotations: int
    image_ids: array[int] | None
    annotation_ids: array[int] | None


def id_census(ds: Dataset, options: Options) -> IdCensus | None:
    """The :class:`IdCensus` of writing ``ds`` with ``options``; None for a results file or a
    folder of documents (whose ids stay as they are)."""
    layout = output_layout(ds, options)
    if layout != "file" or results_file(ds, layout):
        return None
    ((_, items),) = documents(ds, layout)
    objects_ = [oid for item in items for oid in object_ids(item.annotations)]
    return IdCensus(len(items), len(objects_),
                    _int64(kept_ids(item.id for item in items), options.first_image_id),
                    _int64(kept_ids(objects_), options.first_annotation_id))


def _int64(ids: list[int] | None, first: int | None) -> array[int] | None:
    """Kept ids as a compact array; None when numbered, or outside int64 (then a sharded run
    numbers them, as it cannot compare them cheaply)."""
    if ids is None or first is not None:
        return None
    try:
        return array("q", ids)
    except OverflowError:
        return None
