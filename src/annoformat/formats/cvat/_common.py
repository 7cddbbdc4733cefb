"""Decisions the CVAT writer takes, shared with the loss plan that states them first.

Which flavour is written, whether item ids survive as ``<image id>``, the attribute specs
declared for attributes the labels do not declare, and how an attribute value is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

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

    # defer_build: the validator is built on first use, not when discovery imports it
    model_config = ConfigDict(extra="forbid", defer_build=True)
    flavour: Literal["auto", "images", "video"] = Field(
        default="auto",
        description=("writing: CVAT for images or for video; "
                     "auto: as read, else video for video frames"))
    layout: Literal["auto", "file", "folder"] = Field(
        default="auto",
        description=("writing: one XML file or an export folder; "
                     "auto: one file when the destination ends in .xml"))


def resolve_options(options: Options, dest: Path) -> Options:
    """``options`` made definite for ``dest``: ``layout=auto`` is ``file`` for a ``.xml``."""
    if options.layout != "auto":
        return options
    return options.model_copy(update={"layout": "file" if dest.suffix.lower() == ".xml"
                                      else "folder"})


def media_paths(ds: Dataset, options: Options) -> dict[int, str]:
    """Where each item's image goes (``FormatSpec.media``): ``images/<name>`` in an export
    folder (``images/<subset>/<name>`` for a project), nowhere beside one XML file."""
    if options.layout != "folder":
        return {}
    items = [item for item in ds.items if isinstance(item.media, (Image, VideoFrame))]
    stored = ds.extras.get(NAME, {}).get("meta")
    by_subset = is_project(stored, subsets_of(items))
    out = {}
    for i, item in enumerate(ds.items):
        media = item.media
        if not isinstance(media, Image) or not is_safe_relative(media.path):
            continue
        subset = subset_text(item.subset)
        if by_subset and is_safe_relative(subset):
            out[i] = f"images/{subset}/{media.path}"
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


# -- the rings of one polygon ---------------------------------------------------------------

#: the index of a ring of a multi-ring IR polygon on each of its CVAT polygons (which share a
#: group_id); CVAT and datumaro ignore attributes they do not know
RING = "annoformat_ring"
#: ``added`` on those polygons when their group_id was added by the writer (the IR polygon had
#: no group)
RING_GROUP = "annoformat_group"


# -- subsets: a task or a project -----------------------------------------------------------

#: a shape's or track's ``source`` -> the IR ``origin``: drawn by a person (``manual``), by a
#: person with a model's help whose result they accepted (``semi-auto``: SAM, interactors), merged
#: from people's shapes (``consensus``), or by a model unreviewed (``auto``: automatic
#: annotation); ``file`` (imported) and none say nothing about who made it
ORIGINS = {"manual": "human", "semi-auto": "human", "consensus": "human", "auto": "model"}
#: what the writer writes for an origin when the annotation keeps no ``source`` of its own that
#: says the same (``file``: how CVAT marks what it imported)
SOURCES = {"human": "manual", "model": "auto", "unknown": "file"}


def origin_of(source: Any) -> str:
    """The IR origin of a CVAT ``source`` value (None: the attribute is absent)."""
    return ORIGINS.get(source, "unknown") if isinstance(source, str) else "unknown"


def source_of(ann: Any) -> str | None:
    """The ``source`` to write for ``ann``: the one it was read with while it says the same
    origin (kept in its extras when it is not the origin's own), else the origin's own. None:
    write no attribute, as the file it came from had none."""
    cv = ann.extras.get("cvat", {})
    if "source" in cv:
        raw = cv["source"]
        if origin_of(raw) == ann.origin and (raw is None or isinstance(raw, str)):
            return raw
    return SOURCES[ann.origin]


#: CVAT's (and datumaro's) name for "no subset": a task without one exports ``<subset>default``
DEFAULT_SUBSET = "default"


def subset_text(subset: str | None) -> str:
    """How a subset is written: its name, CVAT's ``default`` for none."""
    return DEFAULT_SUBSET if subset is None else subset


def subset_read(text: str | None) -> str | None:
    """A subset as read: none for an empty value or CVAT's ``default``."""
    return None if not text or text == DEFAULT_SUBSET else text


def subsets_of(items: list[Item]) -> list[str | None]:
    """The items' subsets in first-seen order."""
    return list(dict.fromkeys(item.subset for item in items))


def is_project(tree: Any, subsets: list[str | None]) -> bool:
    """Whether the images flavour writes a project (each image naming its subset) rather
    than a task: for several subsets, or when the meta already is a project's.

    CVAT exports one subset (or none) as a task (``<meta><task>``, its ``<subset>``) whose
    images name none, and several as a project (``<meta><project>`` with ``<subsets>``, one
    name a line, and a ``<task>`` per subset naming it in ``<subset>``, which is what datumaro
    splits a project by) whose images name theirs (``subset=``, ``default`` for none).
    """
    return len(subsets) > 1 or _node(tree, "project") is not None


def fit_meta(tree: Any, subsets: list[str | None]) -> Any:
    """The meta ``tree`` (from ``to_tree``; None for none) made to say ``subsets``: a
    project's tasks extended with one per subset they do not name; a task's ``<subset>``
    set to its one subset; a task with several subsets made the first of a project's tasks.
    Nothing of ``tree`` is dropped, and ``fit_meta(fit_meta(t, s), s) == fit_meta(t, s)``,
    so the reader (on what it read) and the writer (on what it writes) agree. None stays
    None, unless there are several subsets: then it is a new project's meta.
    """
    project, task = _node(tree, "project"), _node(tree, "task")
    if project is not None:
        named = _task_subsets(project[1])
        missing = [subset_text(s) for s in subsets if subset_text(s) not in named]
        if not missing:
            return tree
        fields = list(project[1])
        tasks = next((i for i, (k, v) in enumerate(fields) if k == "tasks"), None)
        old = fields[tasks][1] if tasks is not None and isinstance(fields[tasks][1], list) else []
        new = [*old, *(_new_task(name) for name in missing)]
        if tasks is None:
            fields.append(["tasks", new])
        else:
            fields[tasks] = ["tasks", new]
        listed = next((i for i, (k, v) in enumerate(fields) if k == "subsets"), None)
        lines = str(fields[listed][1] or "").splitlines() if listed is not None else named
        names = [*dict.fromkeys([*lines, *missing])]
        if listed is None:
            fields.append(["subsets", "\n".join(names)])
        else:
            fields[listed] = ["subsets", "\n".join(names)]
        return _replace(tree, project, ["project", fields])
    if len(subsets) <= 1:
        if task is None or not subsets:  # no images: the task says what it said
            return tree
        return _replace(tree, task, ["task", _with_subset(task[1], subsets[0] if subsets
                                                          else None)])
    names = [subset_text(s) for s in subsets]
    made = [_new_task(n) for n in names]
    if task is None:  # a new project's meta (beside what else the meta held)
        project_node = ["project", [["name", "annoformat export"], ["labels", None],
                                    ["subsets", "\n".join(names)], ["tasks", made]]]
        return [project_node, *(tree or [])]
    head = [["name", next((v for k, v in task[1] if k == "name"), "")]]
    if ["labels", None] in task[1]:
        head.append(["labels", None])
    made[0] = ["task", [*(f for f in task[1] if f[0] not in ("labels", "subset")),
                         ["subset", names[0]]]]
    return _replace(tree, task, ["project", [*head, ["subsets", "\n".join(names)],
                                             ["tasks", made]]])


def _node(tree: Any, tag: str) -> list[Any] | None:
    if not isinstance(tree, list):
        return None
    return next((n for n in tree if isinstance(n, list) and len(n) == 2 and n[0] == tag
                 and isinstance(n[1], list)), None)


def _replace(tree: list[Any], old: list[Any], new: list[Any]) -> list[Any]:
    return [new if node is old else node for node in tree]


def _new_task(name: str) -> list[Any]:
    return ["task", [["name", name], ["mode", "annotation"], ["subset", name]]]


def _task_subsets(project: list[Any]) -> list[str]:
    out = []
    for tag, value in project:
        if tag == "tasks" and isinstance(value, list):
            for sub, task in value:
                if sub == "task" and isinstance(task, list):
                    out += [str(v) for k, v in task if k == "subset" and isinstance(v, str)]
    return out


def _with_subset(fields: list[Any], subset: str | None) -> list[Any]:
    """A task's fields with its ``<subset>`` saying ``subset`` (unchanged when it does)."""
    found = next((i for i, (k, _) in enumerate(fields) if k == "subset"), None)
    if found is None and subset is None:
        return fields
    if found is not None and subset_read(fields[found][1]) == subset:
        return fields
    if found is None:
        at = next((i for i, (k, _) in enumerate(fields) if k == "labels"), len(fields))
        return [*fields[:at], ["subset", subset], *fields[at:]]
    return [*fields[:found], ["subset", subset_text(subset)], *fields[found + 1:]]
