"""What writing CVAT XML loses for this dataset and these options, stated before writing.

From the decisions the writer takes (``_common``): the flavour (a video task has no tags, no
group ids, one video and no image names: AF520, AF506), polygons with several rings (AF521),
attribute values that become text (AF522), keypoints without a skeleton to hold them (AF523),
image ids that are renumbered (AF508) and a subset named ``default``, CVAT's name for none
(AF507).
"""

from __future__ import annotations

from typing import Any

from annoformat.formats.cvat._common import (
    DEFAULT_SUBSET,
    NAME,
    Options,
    flavour_of,
    frame_name,
    frame_of,
    int_ids,
    subsets_of,
    written_labels,
)
from annoformat.formats.cvat._meta import value_text
from annoformat.model import Dataset, Image, Keypoints, Polygon, Tag, VideoFrame
from annoformat.spec import Capabilities, LossPlan, plan_capabilities, where


class _Tally:
    def __init__(self) -> None:
        self.count = 0
        self.ids: list[str] = []

    def add(self, ref: str, n: int = 1) -> None:
        self.count += n
        self.ids.append(ref)


def plan(ds: Dataset, options: Options, caps: Capabilities) -> LossPlan:
    """What :func:`~annoformat.formats.cvat.write` will drop, split or renumber."""
    flavour = flavour_of(ds, options)
    video = flavour == "video"
    loss = plan_capabilities(ds, caps, NAME)
    written_as = f"{NAME} ({flavour})"
    labels = {label.name: label for label in ds.labels}
    tags, rings, json, points, images = _Tally(), _Tally(), _Tally(), _Tally(), _Tally()
    paths: set[str] = set()
    tracks: dict[int, list[tuple[int, Any, str]]] = {}
    items = []
    for i, item in enumerate(ds.items):
        media = item.media
        if not isinstance(media, (Image, VideoFrame)):
            continue
        items.append(item)
        frame = frame_of(item, i)
        if isinstance(media, VideoFrame):
            paths.add(media.path)
        elif video and media.path != frame_name(frame):
            images.add(item.id)
        for n, ann in enumerate(item.annotations):
            if ann.label is None:
                continue  # the capability plan drops it (AF501)
            ref = where(item.id, ann.id, n)
            if video and ann.track_id is not None:
                tracks.setdefault(ann.track_id, []).append((frame, ann.group, ref))
            if isinstance(ann, Tag):
                if video:
                    tags.add(ref)
                    continue
            elif isinstance(ann, Polygon) and len(ann.rings) > 1:
                rings.add(ref, len(ann.rings) - 1)
            elif isinstance(ann, Keypoints):
                label = labels.get(ann.label)
                if label is None or not len(label.keypoints) == len(ann.visibility) > 0:
                    points.add(ref)
            if any(value_text(v) is None for v in ann.attributes.values()):
                json.add(ref)
    if tags.count:
        loss.add("AF520", count=tags.count, ids=tags.ids, what="tag annotation(s)",
                 format=written_as, reason="CVAT for video has no tags; use the images flavour")
    if video and len(paths) > 1:
        loss.add("AF520", count=len(paths) - 1, what="video path(s) beyond the first",
                 format=written_as, reason="one CVAT task holds one video")
    if images.count:
        loss.add("AF520", count=images.count, ids=images.ids, what="image name(s)",
                 format=written_as,
                 reason="a video task numbers its frames; use the images flavour")
    if video:
        _plan_track_groups(tracks, loss)
    if rings.count:
        loss.add("AF521", count=rings.count, ids=rings.ids)
    if json.count:
        loss.add("AF522", count=json.count, ids=json.ids, reason="values that are not text, "
                 "numbers or booleans were written as JSON text")
    mixed = written_labels(ds)[1]
    if mixed:
        loss.add("AF522", count=mixed, reason="attributes with values of several types were "
                 "declared as text")
    if points.count:
        loss.add("AF523", count=points.count, ids=points.ids)
    if not video and DEFAULT_SUBSET in subsets_of(items):
        loss.add("AF507", what=f"subset name {DEFAULT_SUBSET!r}",
                 detail="it is CVAT's name for no subset and reads back as none")
    if not video and items and int_ids(items) is None:
        loss.add("AF508", count=len(items), ids=[item.id for item in items],
                 what="image", reason="item ids are not integers unique within their subset")
    return loss


def _plan_track_groups(tracks: dict[int, list[tuple[int, Any, str]]], loss: LossPlan) -> None:
    """A video track has one ``group_id``, its first shape's: other groups are lost (AF506)."""
    for shapes in tracks.values():
        shapes.sort(key=lambda s: s[0])
        group = shapes[0][1]
        for _, other, ref in shapes[1:]:
            if other != group:
                loss.count("AF506", ref, field="group")
