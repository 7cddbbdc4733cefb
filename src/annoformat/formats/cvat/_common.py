"""Decisions the CVAT writer takes, shared with the loss plan that states them first.

Which flavour is written, whether item ids survive as ``<image id>``, the attribute specs
declared for attributes the labels do not declare, and how an attribute value is written.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict

from annoformat.formats.cvat._meta import value_text
from annoformat.model import AttributeSpec, Dataset, Item, Label, VideoFrame

NAME = "cvat"


class Options(BaseModel):
    """CVAT options.

    ``flavour``: ``auto`` writes the flavour the dataset was read from, else ``video`` when the
    items are video frames and ``images`` otherwise (reading always detects it).
    """

    model_config = ConfigDict(extra="forbid")
    flavour: Literal["auto", "images", "video"] = "auto"


def flavour_of(ds: Dataset, options: Options) -> str:
    """``images`` or ``video``: the option, else the flavour read, else video for frames only."""
    flavour = options.flavour
    if flavour != "auto":
        return flavour
    stored = ds.extras.get("cvat", {}).get("flavour")
    if stored in ("images", "video"):
        return str(stored)
    video = ds.items and all(isinstance(i.media, VideoFrame) for i in ds.items)
    return "video" if video else "images"


def int_ids(items: list[Item]) -> list[int] | None:
    """The item ids as ``<image id>`` integers, or None when they are not unique integers
    within their subset (the writer then numbers the images from 0)."""
    out = []
    for item in items:
        text = item.id
        if not (text.isdigit() or (text.startswith("-") and text[1:].isdigit())):
            return None
        if len(text.lstrip("-")) > 18 or str(int(text)) != text:
            return None
        out.append(int(text))
    keys = {(item.subset, i) for item, i in zip(items, out, strict=True)}
    return out if len(keys) == len(out) else None


def attribute_text(value: Any) -> str:
    """The text of an attribute value: CVAT's own for text, numbers and booleans, else JSON."""
    text = value_text(value)
    return text if text is not None else orjson.dumps(value).decode()


def written_labels(ds: Dataset) -> tuple[list[Label], int]:
    """The labels to declare: the IR labels, with specs inferred for attributes used but not
    declared (and labels used but not declared); and how many values were of mixed types (their
    spec is text, AF522)."""
    declared = {lb.name: {s.name for s in lb.attributes} for lb in ds.labels}
    seen: dict[str, dict[str, list[Any]]] = {}
    for item in ds.items:
        for ann in item.annotations:
            if ann.label is None:
                continue
            names = declared.get(ann.label)
            if names is None:
                declared[ann.label] = names = set()
                seen.setdefault(ann.label, {})
            for key, value in ann.attributes.items():
                if key not in names:
                    seen.setdefault(ann.label, {}).setdefault(key, []).append(value)
    if not seen:
        return list(ds.labels), 0
    mixed = 0
    out = []

    def infer(name: str, values: list[Any]) -> AttributeSpec:
        nonlocal mixed
        spec, is_mixed = _infer(name, values)
        mixed += len(values) if is_mixed else 0
        return spec

    for label in ds.labels:
        extra = seen.pop(label.name, {})
        if extra:
            label = label.model_copy(update={"attributes": [
                *label.attributes, *(infer(k, v) for k, v in extra.items())]})
        out.append(label)
    for name, extra in seen.items():
        out.append(Label(name=name, attributes=[infer(k, v) for k, v in extra.items()]))
    return out, mixed


def _infer(name: str, values: list[Any]) -> tuple[AttributeSpec, bool]:
    kinds = {type(v) for v in values}
    if kinds == {bool}:
        return AttributeSpec(name=name, input_type="checkbox", values=["false"],
                             default=False), False
    if kinds and kinds <= {int, float}:
        low, high = min(values), max(values)
        step = "1" if kinds == {int} else "0.01"
        return AttributeSpec(name=name, input_type="number", default=low, values=[
            value_text(low) or "0", value_text(high) or "0", step]), False
    return AttributeSpec(name=name, input_type="text"), bool(kinds - {str})


def frame_of(item: Item, index: int) -> int:
    """The frame number of an item: a video frame's own, else an integer id, else its index."""
    if isinstance(item.media, VideoFrame):
        return item.media.frame
    try:
        return int(item.id)
    except ValueError:
        return index


def frame_name(frame: int) -> str:
    """The image name the images flavour gives a video frame (CVAT's own export does too)."""
    return f"frame_{frame:06d}"
