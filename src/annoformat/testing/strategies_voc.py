"""Hypothesis strategies for what Pascal VOC holds, in the form its reader produces.

``voc_datasets()`` draws datasets that IR -> VOC -> IR must reproduce exactly: boxes on a
quarter-pixel grid (``integer_boxes=True``: whole pixels), labels in order of first use, items
ordered as VOC image sets list them (train, val, test, other sets by name, then items in no set
by id), VOC attributes (pose, truncated, difficult, actions) only in their non-default form,
``<attributes>`` values that read back with their type, object parts right after their object
and grouped with it.

Example:
    >>> strategy = voc_datasets(integer_boxes=True)
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from annoformat.formats.voc import set_order
from annoformat.model import BBox, Dataset, Image, Item, Label

_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_- éü猫&<>", min_size=1, max_size=10).filter(
    lambda s: s.strip() == s and s not in ("true", "false"))
_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_- éü猫", min_size=1, max_size=8).filter(
    lambda s: s.strip() == s)
_KEY = st.sampled_from(["color", "model", "visible", "count", "état", "two words"])
_VALUE = st.one_of(st.booleans(), st.integers(-10**6, 10**6), _TEXT)
_SETS = ("train", "val", "test", "trainval", "extra")


def _coord(draw: Any, upper: int, integer: bool) -> float:
    step = 1 if integer else 4
    value: float = draw(st.integers(0, max(0, upper * step))) / step
    return value


@st.composite
def _box(draw: Any, width: int, height: int, integer: bool,
         common: dict[str, Any]) -> BBox:
    x, y = _coord(draw, width - 1, integer), _coord(draw, height - 1, integer)
    step = 1 if integer else 4
    w = draw(st.integers(1, max(1, int((width - x) * step)))) / step
    h = draw(st.integers(1, max(1, int((height - y) * step)))) / step
    return BBox(**common, x=x, y=y, w=w, h=h)


@st.composite
def _attributes(draw: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if draw(st.booleans()):
        attrs["pose"] = draw(st.sampled_from(["Left", "Right", "Frontal", "Rear"]))
    for key in ("truncated", "difficult"):
        if draw(st.booleans()):
            attrs[key] = True
    if draw(st.booleans()):
        attrs["actions"] = draw(st.dictionaries(
            st.sampled_from(["jumping", "phoning", "reading", "other"]), st.booleans(),
            min_size=1, max_size=3))
    attrs.update(draw(st.dictionaries(_KEY, _VALUE, max_size=2)))
    return attrs


@st.composite
def voc_datasets(draw: Any, integer_boxes: bool = False, max_items: int = 4) -> Dataset:
    """A Dataset holding only what Pascal VOC holds, as the VOC reader would return it."""
    names = draw(st.lists(_LABEL, min_size=1, max_size=4, unique=True))
    numbers = draw(st.lists(st.integers(0, 999_999), max_size=max_items, unique=True))
    items: list[Item] = []
    for number in numbers:
        item_id = f"{number:06d}"
        sized = draw(st.integers(0, 3)) > 0
        width, height = draw(st.integers(1, 40)), draw(st.integers(1, 40))
        subset = draw(st.none() | st.sampled_from(_SETS))
        extras: dict[str, Any] = {}
        if subset is not None:
            later = [s for s in _SETS if set_order(s) > set_order(subset)]
            more = draw(st.lists(st.sampled_from(later), unique=True, max_size=2)) if later else []
            if more:
                extras["imagesets"] = sorted(more, key=set_order)
        if draw(st.booleans()):
            extras["folder"] = "VOC2012"
            extras["depth"] = draw(st.sampled_from([1, 4]))  # 3 is the default, not kept
        if draw(st.booleans()):
            extras["segmented"] = True
        annotations: list[Any] = []
        for index in range(1, draw(st.integers(0, 3)) + 1):
            common = {"label": draw(st.sampled_from(names)), "attributes": draw(_attributes()),
                      "occluded": draw(st.none() | st.booleans())}
            part_count = draw(st.integers(0, 2))
            if part_count:
                common["group"] = index
            annotations.append(draw(_box(width, height, integer_boxes, common)))
            for _ in range(part_count):
                part = {"label": draw(st.sampled_from(names)), "group": index,
                        "extras": {"voc": {"part": True}}}
                annotations.append(draw(_box(width, height, integer_boxes, part)))
        items.append(Item(id=item_id, subset=subset,
                          media=Image(path=f"{item_id}.jpg", width=width if sized else None,
                                      height=height if sized else None),
                          annotations=annotations, extras={"voc": extras} if extras else {}))
    # the order the reader lists them: by image set, then the items in no set by id
    items.sort(key=lambda it: (0, set_order(it.subset)) if it.subset else (1, (0, it.id)))
    used: list[str] = []
    for item in items:
        for ann in item.annotations:
            if ann.label is not None and ann.label not in used:
                used.append(ann.label)
    return Dataset(labels=[Label(name=n) for n in used], items=items)
