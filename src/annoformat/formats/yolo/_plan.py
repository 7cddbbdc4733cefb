"""What writing YOLO loses for this dataset and these options, stated before anything is written.

From the decisions the writer takes (``_task``): no single task holds the data (AF515, a
refusal), what the task approximates (AF516) or cannot hold (AF517), and what YOLO has no place
for: items without a subset, subsets of a bare folder, annotation ids, item ids, stored areas
(AF507). Facts counted per annotation are tallied locally and stated once: a key per call would
cost seconds at COCO-2017 size.
"""

from __future__ import annotations

from typing import Any

from annoformat.codes import Severity
from annoformat.formats.yolo._common import (
    CAPABILITIES,
    GEOMETRY,
    NAME,
    WITHOUT_SCORES,
    Options,
    writes_scores,
)
from annoformat.formats.yolo._layout import strip_image_ext
from annoformat.formats.yolo._task import (
    EXACT,
    census,
    choose_task,
    clash,
    class_tag,
    fate,
    kpt_dim,
    none_subset,
    output_layout,
    row_groups,
    shadowed,
    split_key,
    written_path,
)
from annoformat.geometry import area_of, enclosing_box, same_value
from annoformat.model import Dataset, Image
from annoformat.spec import LossPlan, Names, Phrase, plan_capabilities, plan_origin, where


class _Tally:
    """Per (code, kind, target): how many annotations, and which."""

    def __init__(self) -> None:
        self.facts: dict[tuple[str, str, str], list[Any]] = {}

    def add(self, code: str, kind: str, target: str, item_id: str, ann: Any,
            anns: list[Any]) -> None:
        """Count ``ann`` (of the item's ``anns``) under a fact (its position is looked up only
        when it has no id)."""
        entry = self.facts.get((code, kind, target))
        if entry is None:
            entry = self.facts[(code, kind, target)] = [0, []]
        entry[0] += 1
        if ann.id is not None:
            entry[1].append(f"{item_id}/{ann.id}")
        else:
            position = next(n for n, other in enumerate(anns) if other is ann)
            entry[1].append(where(item_id, None, position))


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What :func:`~annoformat.formats.yolo.write` will approximate, drop or renumber."""
    scores = writes_scores(ds, options)
    loss = plan_capabilities(ds, CAPABILITIES if scores else WITHOUT_SCORES, NAME)
    # a row's origin is its confidence column: a model's with a written score, else unknown
    plan_origin(ds, CAPABILITIES, loss, lambda item, ann: "model" if scores and (
        ann.score is not None) else "unknown")
    # the whole dataset's census when written in parts, so each part decides as the whole
    seen = census(ds, options)
    if options.task == "auto":
        kinds = clash(seen.kinds)
        if kinds is not None:
            loss.add("AF515", kinds=Names(kinds))
            return loss
    task, _ = choose_task(ds, options, seen.kinds)
    layout = output_layout(ds, options, task)
    none_as = none_subset(seen, layout)
    count = sum(1 for item in ds.items if item.subset is None) if none_as is not None else 0
    if count:  # counts add up over parts: the subset is the whole census's decision
        loss.add("AF507", what="'no subset'", format=f"{NAME} ({layout})",
                 detail=Phrase("{n} item(s) without a subset are written to subset "
                               + repr(none_as).replace("{", "{{").replace("}", "}}"), n=count))
    if layout == "bare" and any(item.subset for item in ds.items):
        loss.add("AF507", what="subsets", format=f"{NAME} (bare folder)",
                 detail=Names({i.subset for i in ds.items if i.subset}, sort=True))
    tally = _Tally()
    if layout == "classify":
        _plan_classify(ds, tally, loss)
    else:
        _plan_rows(ds, task, tally, loss)
    for (code, kind, target), (count, ids) in sorted(tally.facts.items()):
        more = {"target": target} if code == "AF516" else {}
        severity = Severity.WARNING if (kind, target) in EXACT else None
        loss.add(code, count=count, ids=ids, severity=severity, kind=kind, task=task, **more)
    return loss


def _plan_rows(ds: Dataset, task: str, tally: _Tally, loss: LossPlan) -> None:
    """Each annotation's fate, and the ids, areas and boxes rows cannot hold.

    Written for speed (it runs before every YOLO write): a plain box in detect, the common
    case, costs two attribute reads; refs are built only for what is tallied.
    """
    index = {name: i for i, name in enumerate(ds.label_names())}
    dim = kpt_dim(ds)
    detect = task == "detect"
    ids_lost = renamed = areas = stored = 0
    for item in ds.items:
        media = item.media
        if not isinstance(media, Image):
            continue  # the capability plan drops it (AF509)
        if item.id != strip_image_ext(written_path(media.path)):
            renamed += 1
        anns = item.annotations
        if not anns:
            continue
        groups: Any = row_groups(item, task, index) if task == "pose" else anns
        twice = shadowed(item, task)
        row = 0
        for group in groups:
            # one annotation per row but in pose, where a box and its keypoints share one
            members = group if task == "pose" else (group,)
            written = False
            for ann in members:
                kind = ann.type
                if kind not in GEOMETRY or ann.label is None:
                    if kind == "tag" and ann.label is not None:
                        tally.add("AF517", "tag", "", item.id, ann, anns)
                    continue  # other kinds and unlabelled ones: the capability plan (AF501)
                if id(ann) in twice:  # its object is written from its other shape
                    tally.add("AF517", "keypoints (their object is written from its shape)", "",
                              item.id, ann, anns)
                    continue
                changed = False  # written as another shape (a box's 4 corners keep its area)
                if not (detect and kind == "bbox" and not ann.crowd):
                    what, shown, target = fate(ann, task, dim)
                    changed = what == "approx" and kind != "bbox"
                    if what == "drop":
                        tally.add("AF517", shown or kind, "", item.id, ann, anns)
                        continue
                    if what == "approx":
                        tally.add("AF516", shown, target, item.id, ann, anns)
                written = True
                # stored values count as lost only when recomputing them gives another value
                area = getattr(ann, "area", None)
                if area is not None and (changed or not same_value(area, area_of(ann))):
                    areas += 1
                if (task == "segment" and kind == "polygon" and ann.bbox is not None
                        and not all(map(same_value, ann.bbox, enclosing_box(ann)))):
                    stored += 1
            if written:
                for ann in members:
                    if ann.id is not None and ann.id != row + 1:
                        ids_lost += 1
                row += 1  # one row per object (a polygon's parts are joined)
    if ids_lost:
        loss.add("AF507", what="annotation ids",
                 detail=Phrase("{n} annotation(s); YOLO rows are numbered by position",
                               n=ids_lost))
    if renamed:
        loss.add("AF507", what="item ids",
                 detail=Phrase("{n} item(s); YOLO names items by image path", n=renamed))
    if areas:
        loss.add("AF507", what="stored areas",
                 detail=Phrase("{n} annotation(s) whose area differs from the one their "
                               "written geometry gives; YOLO rows hold geometry only", n=areas))
    if stored:
        loss.add("AF507", what="stored enclosing boxes of polygons",
                 detail=Phrase("{n} annotation(s) whose stored box differs from the "
                               "polygon's; recomputed from the polygon", n=stored))


def _plan_classify(ds: Dataset, tally: _Tally, loss: LossPlan) -> None:
    """Classification: an image per class folder; everything but its one tag is dropped."""
    renamed: dict[str, int] = {}
    for item in ds.items:
        if not isinstance(item.media, Image):
            continue
        tag = class_tag(item)
        if tag is None:
            continue  # the writer refuses the item (AF038)
        split = split_key(item.subset)  # classification reads only train/, val/, test/
        if split != item.subset:
            key = f"{item.subset} -> {split}"
            renamed[key] = renamed.get(key, 0) + 1
        for ann in item.annotations:
            if ann is not tag and ann.label is not None:
                tally.add("AF517", ann.type, "", item.id, ann, item.annotations)
    if renamed:
        loss.add("AF507", what="subset names", format=f"{NAME} (classify)",
                 detail=", ".join(f"{k} ({n} item(s))" for k, n in sorted(renamed.items())))


