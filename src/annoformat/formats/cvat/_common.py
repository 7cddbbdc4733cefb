"""Decisions the CVAT writer takes, shared with the loss plan that states them first.

Which flavour is written, whether item ids survive as ``<image id>``, the attribute specs
declared for attributes the labels do not declare, and how an attribute value is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict

from annoformat._io import is_safe_relative
from annoformat.formats.cvat._meta import value_text
from annoformat.model import AttributeSpec, Dataset, Image, Item, Label, VideoFrame

NAME = "cvat"


class Options(BaseModel):
    """CVAT options.

    ``flavour``: ``auto`` writes the flavour the dataset was read from, else ``video`` when the
    items are video frames and ``images`` otherwise (reading always detects it).
    ``layout``: ``auto`` writes one XML file when the destination ends in ``.xml``, else an
    export folder as CVAT hands it out (``annotations.xml`` beside ``images/``).
    The meta is what CVAT itself writes: a task (its ``<subset>`` when it has one) for one
    subset or none, a project with ``<subsets>`` and a task per subset, and ``subset=`` on each
    image, for several; datumaro reads nothing else.
    """

    model_config = ConfigDict(extra="forbid")
    flavour: Literal["auto", "images", "video"] = "auto"
    layout: Literal["auto", "file", "folder"] = "auto"


def resolve_options(options: Options, dest: Path) -> Options:
    """``options`` made definite for ``dest``: ``layout=auto`` is ``file`` for a ``.xml``."""
    if options.layout != "auto":
        return options
    return options.model_copy(update={"layout": "file" if dest.suffix.lower() == ".xml"
                                      else "folder"})


def subsets_of(ds: Dataset) -> list[str | None]:
    """The subsets of the items, in first-seen order."""
    return list(dict.fromkeys(item.subset for item in ds.items))


def project_meta(ds: Dataset) -> bool:
    """Whether the meta is a project's (several subsets, ``subset=`` on each image): the
    source's form when it was CVAT, else whether there are several subsets."""
    meta = ds.extras.get(NAME, {}).get("meta")
    if isinstance(meta, list) and meta and isinstance(meta[0], list):
        return any(node[0] == "project" for node in meta)
    return len(subsets_of(ds)) > 1


def task_subset(ds: Dataset) -> str | None:
    """The subset a task's meta gives its images: the source's ``<task><subset>``, else the
    dataset's one subset."""
    meta = ds.extras.get(NAME, {}).get("meta")
    if isinstance(meta, list):
        for node in meta:
            if isinstance(node, list) and node[0] == "task" and isinstance(node[1], list):
                return next((str(v) for k, v in node[1] if k == "subset" and v), None)
        return None
    subsets = subsets_of(ds)
    return subsets[0] if len(subsets) == 1 else None


def media_paths(ds: Dataset, options: Options) -> dict[int, str]:
    """Where each item's image goes (``FormatSpec.media``): ``images/<name>`` in an export
    folder (``images/<subset>/<name>`` for a project), nowhere beside one XML file."""
    if options.layout != "folder":
        return {}
    by_subset = project_meta(ds)
    out = {}
    for i, item in enumerate(ds.items):
        media = item.media
        if not isinstance(media, Image) or not is_safe_relative(media.path):
            continue
        if by_subset and item.subset is not None and is_safe_relative(item.subset):
            out[i] = f"images/{item.subset}/{media.path}"
        else:
            out[i] = f"images/{media.path}"
    return out


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
