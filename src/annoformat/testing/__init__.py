"""Test helpers for annoformat and for format plugins: dataset comparison, canonical dumps.

Hypothesis strategies for the IR live in :mod:`annoformat.testing.strategies` (needs the
``test`` extra).

Example:
    >>> from annoformat.model import Dataset, Item, Image, BBox
    >>> a = Dataset(items=[Item(id="1", media=Image(path="a.jpg"),
    ...                         annotations=[BBox(id=7, x=0, y=0, w=2, h=2)])])
    >>> b = a.model_copy(deep=True)
    >>> b.items[0].annotations[0].w = 3.0
    >>> first_difference(a, b)
    'items[(None, 1)].annotations[0 id=7].w: 2.0 != 3.0'
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel

from annoformat.model import Dataset

__all__ = ["assert_same_dataset", "canonical_json", "first_difference"]


def _diff(a: Any, b: Any, where: str) -> str | None:
    if isinstance(a, BaseModel) and isinstance(b, BaseModel):
        if type(a) is not type(b):
            return f"{where}: {type(a).__name__} != {type(b).__name__}"
        for name in type(a).model_fields:
            found = _diff(getattr(a, name), getattr(b, name), f"{where}.{name}")
            if found:
                return found
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys(), key=str):
            if key not in a or key not in b:
                return f"{where}[{key!r}]: only in {'second' if key not in a else 'first'}"
            found = _diff(a[key], b[key], f"{where}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = _diff(x, y, f"{where}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{where}: length {len(a)} != {len(b)}"
        return None
    if a != b or (type(a) is bool) != (type(b) is bool):
        return f"{where}: {a!r} != {b!r}"
    return None


def first_difference(a: Dataset, b: Dataset) -> str | None:
    """Where two datasets first differ, by item ``(subset, id)`` and annotation index/id.

    Numbers compare by value (``1 == 1.0``); None when the datasets are equal.
    """
    for field in ("labels", "info", "extras"):
        found = _diff(getattr(a, field), getattr(b, field), field)
        if found:
            return found
    items_b = {(item.subset, item.id): item for item in b.items}
    for item in a.items:
        key = (item.subset, item.id)
        other = items_b.pop(key, None)
        where = f"items[({item.subset}, {item.id})]"
        if other is None:
            return f"{where}: only in first"
        for name in ("media", "attributes", "extras"):
            found = _diff(getattr(item, name), getattr(other, name), f"{where}.{name}")
            if found:
                return found
        for i, (x, y) in enumerate(zip(item.annotations, other.annotations, strict=False)):
            found = _diff(x, y, f"{where}.annotations[{i} id={x.id}]")
            if found:
                return found
        if len(item.annotations) != len(other.annotations):
            return (f"{where}.annotations: {len(item.annotations)} != "
                    f"{len(other.annotations)} annotations")
    if items_b:
        subset, item_id = next(iter(items_b))
        return f"items[({subset}, {item_id})]: only in second"
    if [(i.subset, i.id) for i in a.items] != [(i.subset, i.id) for i in b.items]:
        return "items: same items in a different order"
    return None


def assert_same_dataset(a: Dataset, b: Dataset) -> None:
    """Fail with the first difference (see :func:`first_difference`)."""
    found = first_difference(a, b)
    if found:
        raise AssertionError(found)


def canonical_json(ds: Dataset) -> bytes:
    """A stable, sorted, pretty JSON dump of the IR, for golden files."""
    return orjson.dumps(ds.model_dump(mode="json"),
                        option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
