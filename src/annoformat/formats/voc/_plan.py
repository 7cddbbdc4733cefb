"""What writing VOC loses for this dataset and these options, stated before anything is written.

One pass over the items and their annotations, with the decisions the writer uses
(``_common``): which annotations become objects, how parts nest, which attributes are elements,
what the annotation files are called. Facts counted per annotation are tallied here and stated
once (``LossPlan.count`` per object would cost a key per call at COCO-2017 size).
"""

from __future__ import annotations

import sys
from typing import Any

from annoformat.formats.voc import _segmentation as seg
from annoformat.formats.voc._common import (
    NAME,
    Options,
    attribute_block,
    attribute_text,
    class_region,
    fits,
    fractional,
    image_sets,
    instances,
    is_object,
    nest,
    png_masks,
    single_file,
    stem_of,
    written_capabilities,
    xml_stem,
)
from annoformat.model import Dataset, Image
from annoformat.spec import MAX_IDS, LossPlan, Names, Phrase, Unused, plan_capabilities, where

_GROUPS = ("VOC groups only an object with the parts nested in it (extras voc part); other "
           "groups become plain objects")


class _Tally:
    """How many objects one fact concerns, and which: the first ``kept`` names only (a
    plan keeps ``LossPlan.KEPT_IDS`` per fact; at COCO-2017 size a fact may count 860k)."""

    __slots__ = ("count", "ids", "kept")

    def __init__(self, kept: int = LossPlan.KEPT_IDS) -> None:
        self.count = 0
        self.ids: list[str] = []
        self.kept = kept

    def add(self, ref: str) -> None:
        self.count += 1
        if self.count <= self.kept:
            self.ids.append(ref)

    def at(self, item_id: str, ann_id: Any, position: int) -> None:
        """An annotation (named as :func:`~annoformat.spec.where` names it, when kept)."""
        self.count += 1
        if self.count <= self.kept:
            self.ids.append(where(item_id, ann_id, position))


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What :func:`~annoformat.formats.voc.write` will drop, approximate or rename.

    Polygons are approximated by their box (AF502) with ``regions=bbox`` and dropped (AF501,
    from the capability plan) with ``regions=drop``; other types are dropped (AF501). Masks
    are written exactly (their box and their pixels in the segmentation PNGs) in a dataset
    folder when they have their image's size, else approximated by their box (AF502);
    overlapping masks share pixels an instance PNG gives one object (AF502); class regions
    (masks from a class PNG alone) are lost where no PNG is written (AF501), and so are void
    pixels (AF507).
    """
    loss = plan_capabilities(ds, written_capabilities(options), NAME)
    regions = options.regions == "bbox"
    single = single_file(options)
    approximated: dict[str, _Tally] = {}
    ann_ids, renamed, groups, typed, moved = _Tally(), _Tally(), _Tally(), _Tally(), _Tally()
    rounded = options.coordinates == "int"
    painted = png_masks(options)
    regions_lost, overlaps = _Tally(), _Tally()
    voids = _Tally(sys.maxsize)  # all named: Names gathers them over a dataset's parts
    typed_names: set[str] = set()
    used: set[str] = set()
    sets: set[str] = set()
    for item in ds.items:
        media = item.media
        if not isinstance(media, Image):
            continue  # the capability plan drops it (AF509)
        # the id a reader gives it back: a lone file is named after its image
        if (stem_of(media.path) if single else xml_stem(item)) != item.id:
            renamed.add(item.id)
        if single:
            sets.update(image_sets(item))
        grouped = False
        masked = painted and any(ann.type == "mask" for ann in item.annotations)
        exact: dict[int, int] = {}
        if masked:  # which masks go into the item's PNGs, as the writer decides
            objects = [ann for ann, _ in nest([ann for ann in item.annotations
                                                if is_object(ann, regions)])[0]]
            exact = instances(objects, item)
            position = {id(ann): n for n, ann in enumerate(item.annotations)}
            for ann in seg.overlapping(objects, item):
                overlaps.at(item.id, ann.id, position[id(ann)])
        void = item.extras.get("voc", {}).get("void")
        if void and not (painted and isinstance(void, dict)
                         and (void.get("width"), void.get("height"))
                         == (media.width, media.height)):
            voids.add(item.id)
        for n, ann in enumerate(item.annotations):
            if regions and class_region(ann) and ann.label is not None:
                used.add(ann.label)
                if not (painted and fits(ann, item)):
                    regions_lost.at(item.id, ann.id, n)
                continue
            if not is_object(ann, regions) or ann.label is None:
                continue
            used.add(ann.label)
            if rounded and fractional(ann, options):
                moved.at(item.id, ann.id, n)
            if ann.type != "bbox" and id(ann) not in exact:
                tally = approximated.get(ann.type)
                if tally is None:
                    tally = approximated[ann.type] = _Tally()
                tally.at(item.id, ann.id, n)
            if ann.id is not None:
                ann_ids.at(item.id, ann.id, n)
            if ann.group is not None:
                grouped = True
            voc = ann.extras.get("voc")
            if ann.attributes or voc:
                for key, value in attribute_block(ann.attributes, voc or {}).items():
                    if not attribute_text(value)[1]:
                        typed.at(item.id, ann.id, n)
                        typed_names.add(key)
        if grouped:
            _, lost = nest([ann for ann in item.annotations if is_object(ann, regions)])
            position = {id(ann): n for n, ann in enumerate(item.annotations)}
            for ann in lost:
                groups.at(item.id, ann.id, position[id(ann)])
    for kind, tally in sorted(approximated.items()):
        loss.add("AF502", count=tally.count, ids=tally.ids, kind=kind, target="bbox")
    if overlaps.count:
        loss.add("AF502", count=overlaps.count, ids=overlaps.ids, kind="overlapping mask",
                 target="an instance PNG that holds one object per pixel (the later object "
                        "takes the shared pixels)")
    if regions_lost.count:
        loss.add("AF501", count=regions_lost.count, ids=regions_lost.ids,
                 kind="class-region mask (SegmentationClass, no object; a single XML file or "
                      "not the image's size)")
    if voids.count:
        loss.add("AF507", what=Phrase("void pixels of {n} item(s)", n=voids.count), format=NAME,
                 detail=Phrase("SegmentationObject/Class value 255 needs a dataset folder and "
                               "the image's size; first: {ids}",
                               names={"ids": Names(voids.ids, limit=MAX_IDS)}))
    if moved.count:
        loss.add("AF502", count=moved.count, ids=moved.ids, kind="box with fractional corners",
                 target="integer pixels (coordinates=int)")
    if groups.count:
        loss.add("AF510", count=groups.count, ids=groups.ids, reason=_GROUPS)
    if typed.count:
        loss.add("AF511", count=typed.count, ids=typed.ids, names=Names(typed_names, sort=True))
    names = ds.label_names()
    if names:  # stated even when all are used: a part's plan says which it uses (recorded
        # only when some are not, counted then)
        loss.add("AF512", names=Unused(names, used & set(names), limit=MAX_IDS))
    if renamed.count:
        loss.add("AF508", count=renamed.count, ids=renamed.ids, what="image",
                 reason="VOC identifies an image by its file stem")
    if ann_ids.count:
        loss.add("AF508", count=ann_ids.count, ids=ann_ids.ids, what="annotation",
                 reason="VOC objects have no ids; they read back without one")
    if sets:
        loss.add("AF507", what="subsets", format=f"{NAME} (single file)",
                 detail=Names(sets, sort=True))
    return loss
