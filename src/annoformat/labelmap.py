"""Label maps: rename, merge, drop and fix the order (and ids) of labels in any conversion.

A label map is a YAML or JSON file (schema ``schemas/labelmap.schema.json``)::

    labels:                 # output labels, in class order (YOLO index 0, 1, ...)
      - name: cat
        id: 1               # optional fixed id (COCO category id)
        from: [cat, kitty]  # source labels merged into this one (default: [name])
      - name: dog
    drop: [background]      # source labels whose annotations are removed on purpose
    unmapped: error         # labels the map does not mention: error (default), drop or keep

Dropping is explicit, so it is reported as information (AF603) with counts, not as loss.

Example:
    >>> from annoformat.model import Dataset, Label
    >>> lm = LabelMap.model_validate({"labels": [{"name": "pet", "from": ["cat", "dog"]}]})
    >>> ds = apply(Dataset(labels=[Label(name="cat"), Label(name="dog")]), lm, Report())
    >>> ds.label_names()
    ['pet']
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from annoformat import schemas
from annoformat._io import parse_json, read_bytes
from annoformat.diagnostics import Report
from annoformat.model import Dataset, Label, Relation

SCHEMA = "labelmap.schema.json"


class MappedLabel(BaseModel):
    """One output label and the source labels it takes."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str
    id: int | None = None
    sources: list[str] | None = Field(default=None, alias="from")


class LabelMap(BaseModel):
    """A parsed label map (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    labels: list[MappedLabel]
    drop: list[str] = Field(default_factory=list)
    unmapped: Literal["error", "drop", "keep"] = "error"


def load_label_map(path: Path, report: Report) -> LabelMap | None:
    """Read and check a label map file (YAML or JSON); None with diagnostics when invalid."""
    data = read_bytes(path, report, max_bytes=16 * 1024**2)
    if data is None:
        return None
    shown = str(path)
    if path.suffix.lower() == ".json":
        doc = parse_json(data, shown, report)
        if doc is None:
            return None
    else:
        try:
            doc = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            report.add("AF601", path=shown, line=mark.line + 1 if mark else None,
                       column=mark.column + 1 if mark else None, reason=str(exc).splitlines()[0])
            return None
    errors = list(schemas.iter_errors(SCHEMA, doc))
    for ptr, message in errors:
        report.add("AF601", path=shown, pointer=ptr, reason=message)
    if errors:
        return None
    lm = LabelMap.model_validate(doc)
    _check_consistency(lm, shown, report)
    return None if report.has_errors else lm


def _check_consistency(lm: LabelMap, path: str, report: Report) -> None:
    seen: dict[str, str] = {}
    names: set[str] = set()
    for i, out in enumerate(lm.labels):
        if out.name in names:
            report.add("AF601", path=path, pointer=f"/labels/{i}/name",
                       reason=f"output label {out.name!r} is listed twice")
        names.add(out.name)
        for src in out.sources or [out.name]:
            if src in seen:
                report.add("AF601", path=path, pointer=f"/labels/{i}",
                           reason=f"source label {src!r} is mapped to both {seen[src]!r} and "
                                  f"{out.name!r}")
            seen[src] = out.name
    for src in lm.drop:
        if src in seen:
            report.add("AF601", path=path, pointer="/drop",
                       reason=f"source label {src!r} is both mapped and dropped")


def apply(ds: Dataset, lm: LabelMap, report: Report) -> Dataset:
    """A copy of ``ds`` with labels renamed, merged, dropped and ordered as ``lm`` says.

    Source labels the map does not mention are an error (AF602) unless ``unmapped`` is
    ``drop`` or ``keep`` (kept labels follow the mapped ones, in their original order).
    """
    target: dict[str, str] = {}
    for out in lm.labels:
        for src in out.sources or [out.name]:
            target[src] = out.name
    dropped = set(lm.drop)
    used: Counter[str] = Counter(a.label for item in ds.items for a in item.annotations
                                 if a.label is not None)
    source_labels = {lb.name: lb for lb in ds.labels}
    unknown = [name for name in dict.fromkeys([*source_labels, *used])
               if name not in target and name not in dropped]
    if unknown and lm.unmapped == "error":
        for name in unknown:
            report.add("AF602", label=name, count=used[name])
        return ds
    if lm.unmapped == "drop":
        dropped |= set(unknown)
    elif lm.unmapped == "keep":
        for name in unknown:
            target[name] = name
    labels = []
    for out in lm.labels:
        first = next((source_labels[s] for s in out.sources or [out.name] if s in source_labels),
                     None)
        base = first.model_copy() if first is not None else Label(name=out.name)
        base.name, base.id = out.name, out.id if out.id is not None else (
            first.id if first is not None and len(out.sources or [out.name]) == 1 else None)
        labels.append(base)
    labels += [source_labels[n].model_copy() for n in unknown
               if lm.unmapped == "keep" and n in source_labels]
    removed: Counter[str] = Counter()
    items = []
    for item in ds.items:
        kept = []
        for ann in item.annotations:
            if ann.label is None:
                kept.append(ann)
            elif ann.label in dropped:
                removed[ann.label] += 1
            else:
                kept.append(ann.model_copy(update={"label": target[ann.label]}))
        if len(kept) < len(item.annotations):
            kept = without_dangling_relations(kept, removed)
        items.append(item.model_copy(update={"annotations": kept}))
    for name, count in sorted(removed.items()):
        report.add("AF603", label=name, count=count)
    return ds.model_copy(update={"labels": labels, "items": items})


def without_dangling_relations(annotations: list[Any],
                               removed: Counter[str] | None = None) -> list[Any]:
    """Relations whose end was dropped go with it (counted under their own label in
    ``removed``, when given)."""
    ids = {a.id for a in annotations if a.id is not None and not isinstance(a, Relation)}
    out = []
    for ann in annotations:
        if isinstance(ann, Relation) and (ann.source not in ids or ann.target not in ids):
            if removed is not None:
                removed[ann.label if ann.label is not None else "(unlabelled relation)"] += 1
        else:
            out.append(ann)
    return out
