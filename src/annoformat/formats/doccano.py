"""doccano JSONL export (doccano.github.io/doccano): text classification, sequence labelling,
relation extraction, intent detection and slot filling.

Facts a maintainer needs:

* One JSON object per line with ``text``. Offsets are ``[start, end)`` in code points (Python
  ``str`` indices, doccano is a Python app), exactly the IR's.
* Where the labels are, by project type:
  - classification: ``"label": ["positive", ...]`` (class names) -> IR ``tag`` annotations;
  - sequence labelling: ``"label"`` (older exports ``"labels"``) as ``[start, end, "LABEL"]``
    triples -> ``span``;
  - relation extraction: ``"entities": [{"id", "label", "start_offset", "end_offset"}]`` and
    ``"relations": [{"id", "from_id", "to_id", "type"}]``;
  - intent + slots: ``"entities"`` plus ``"cats": ["intent", ...]`` (tags).
* Relations: entity ids become ``Span.id``; each relation becomes an IR ``Relation``
  (``source``/``target`` = ``from_id``/``to_id``, ``label`` = ``type``, ``id`` kept; other
  keys in its extras), after the spans. A target without relations refuses them (AF501).
* ``id`` becomes the item id (a string; written back as a number when it was one). Records
  without ``id`` get their 1-based record number. Every other key is metadata and becomes an
  item attribute (written back as a top-level key).
* Provenance: doccano 1.x exports (``annotations``, one entry per annotator and label) name
  each entry's ``user`` (a user id): that is the IR ``annotator`` (``"3"``), with ``origin``
  ``human``; the labels there are label ids, read as their digits (``"5"``): rename them with a
  label map (``--labelmap``, DESIGN "Project rules"), which knows the names the export does not
  hold. Later doccano versions export one file per annotator (``<username>.jsonl``) and name no
  one inside it, so their annotations have no annotator and an ``unknown`` origin; writing an
  annotator into any other layout is reported (AF524).
* Which key held the labels and whether spans were triples or dicts is kept in
  ``item.extras["doccano"]`` (``key``, ``form``) so the writer reproduces the export's shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annoformat.diagnostics import Report
from annoformat.formats._text import (
    ItemIds,
    Labels,
    TextOptions,
    collect,
    fresh_defaults,
    iter_checked_records,
    join_lines,
    jsonl_keys,
    labelled_stream,
    record_origin,
    report_spans,
    text_items,
    write_records,
)
from annoformat.model import Dataset, Item, Relation, Span, Tag, Text, trusted
from annoformat.progress import track
from annoformat.spec import (
    Capabilities,
    Code,
    Detection,
    FormatSpec,
    LossPlan,
    Severity,
    Stream,
    plan_capabilities,
    plan_origin,
    where,
)

SCHEMA = "doccano.schema.json"
NAME = "doccano"
_LABEL_KEYS = ("label", "labels", "entities", "annotations")
_RELATION_KEYS = frozenset({"id", "from_id", "to_id", "type"})
_KNOWN = frozenset({"id", "text", "label", "labels", "entities", "annotations", "relations",
                    "cats"})
#: first-record keys that say "this is another dialect, not doccano"
# "annotations" beside "text" is doccano 1.x; beside "data" (excluded here) Label Studio's
_FOREIGN = frozenset({"annoformat", "answer", "_input_hash", "_task_hash", "spans", "tokens",
                      "accept", "data", "predictions", "media"})
_INT_ID = re.compile(r"-?(0|[1-9]\d{0,17})")

CAPABILITIES = Capabilities(
    media=frozenset({"text"}),
    annotation_types=frozenset({"tag", "span", "relation"}),
    fields=frozenset({"id", "annotator", "origin"}),
    item_attributes=True,
    subsets=False,
    empty_items=True,
    metadata=frozenset(),
)


class Options(TextOptions):
    """doccano options: see :class:`~annoformat.formats._text.TextOptions`."""


def detect(path: Path) -> Detection:
    """A ``.jsonl`` file whose first record has ``text`` and doccano's label keys."""
    keys = jsonl_keys(path)
    if keys is None:
        return Detection(0.0, "not a .jsonl file with a JSON object on its first line")
    if "text" not in keys or keys & _FOREIGN:
        return Detection(0.0, "first record is not doccano-shaped (no text, or another "
                              "dialect's keys)")
    if keys & {"label", "labels", "entities", "relations", "cats", "annotations"}:
        return Detection(0.9, "first record has text and doccano label keys")
    return Detection(0.5, "first record has text only (unlabelled doccano import)")


# --------------------------------------------------------------------------------------------
# reading


def iter_items(path: Path, options: Options, report: Report, labels: Labels,
               check_ids: bool = True) -> Iterator[Item]:
    """Stream the records of a doccano file as IR items (labels collected into ``labels``)."""
    shown = str(path)
    ids = ItemIds(report, check_ids)
    yielded = 0
    for index, line, rec in iter_checked_records(path, report, SCHEMA, options.max_line_bytes):
        item = _item(rec, index, shown, line, options, report, labels)
        if item is None:
            continue
        if "id" in rec:
            ids.check(item, shown, line)
        record_origin(yielded, item, shown, line)
        yielded += 1
        yield item


def _item(rec: dict[str, Any], index: int, path: str, line: int, options: Options,
          report: Report, labels: Labels) -> Item | None:
    text: str = rec["text"]
    extras: dict[str, Any] = {}
    raw_id = rec.get("id")
    if raw_id is None:
        item_id = str(index)
        extras["no_id"] = True
    else:
        item_id = str(raw_id)
        if isinstance(raw_id, str) and _INT_ID.fullmatch(raw_id):
            extras["id_str"] = True
    anns: list[Any] = []
    pointers: list[str] = []
    key = next((k for k in _LABEL_KEYS if k in rec), None)
    if key is not None and key != "label":
        extras["key"] = key
    where = {"path": path, "line": line, "item_id": item_id}
    for j, entry in enumerate(rec.get(key, []) if key else []):
        ptr = f"/{key}/{j}"
        if isinstance(entry, str):
            if labels.use(entry, report, pointer=ptr, **where):
                anns.append(_tag(entry))
                pointers.append(ptr)
            continue
        if key == "annotations":  # doccano 1.x: numeric label ids, one entry per annotator
            name = str(entry["label"])
            if type(entry["label"]) is int:
                extras["label_ids"] = True
            own, who = _user(entry)
            if labels.use(name, report, pointer=ptr, **where):
                fields = {"label": name, "annotator": who,
                          "origin": "human" if who is not None else "unknown",
                          "extras": {NAME: own} if own else {}}
                if "start_offset" in entry:
                    anns.append(trusted(Span, {**fresh_defaults(Span), **fields,
                                               "start": int(entry["start_offset"]),
                                               "end": int(entry["end_offset"])}))
                else:
                    anns.append(trusted(Tag, {**fresh_defaults(Tag), **fields}))
                pointers.append(ptr)
            continue
        if isinstance(entry, dict):
            extras["form"] = "dict"
            start, end, name, sid = (int(entry["start_offset"]), int(entry["end_offset"]),
                                     entry["label"], entry.get("id"))
        else:  # int(): the schema allows 5.0 for an integer
            start, end, name, sid = int(entry[0]), int(entry[1]), entry[2], None
        if labels.use(name, report, pointer=ptr, **where):
            anns.append(trusted(Span, {**fresh_defaults(Span), "label": name, "id": sid,
                                       "start": start, "end": end}))
            pointers.append(ptr)
    for j, name in enumerate(rec.get("cats", [])):
        if labels.use(name, report, pointer=f"/cats/{j}", **where):
            anns.append(_tag(name))
            pointers.append(f"/cats/{j}")
    if "cats" in rec and not rec["cats"]:
        extras["cats"] = True
    if "relations" in rec:
        if not rec["relations"]:
            extras["relations"] = True  # the key, empty: written back so
        _check_relations(rec, anns, pointers, where, report)
        for j, rel in enumerate(rec["relations"]):
            if labels.use(rel["type"], report, pointer=f"/relations/{j}/type", **where):
                own = {k: v for k, v in rel.items() if k not in _RELATION_KEYS}
                anns.append(trusted(Relation, {
                    **fresh_defaults(Relation), "id": rel.get("id"), "label": rel["type"],
                    "source": rel["from_id"], "target": rel["to_id"],
                    "extras": {NAME: own} if own else {}}))
                pointers.append(f"/relations/{j}")
    if "relations" in rec or any(getattr(a, "id", None) is not None for a in anns):
        extras.pop("form", None)  # the writer uses dicts then anyway
    attributes = {k: v for k, v in rec.items() if k not in _KNOWN}
    media = trusted(Text, {"kind": "text", "text": text})
    item = trusted(Item, {"id": item_id, "subset": None, "media": media, "annotations": anns,
                          "attributes": attributes,
                          "extras": {NAME: extras} if extras else {}})
    report_spans(report, item, pointers.__getitem__, path, line, options.allow_overlap)
    return item


def _tag(name: str) -> Tag:
    return trusted(Tag, {**fresh_defaults(Tag), "label": name})


def _user(entry: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A doccano 1.x entry's ``user`` (the annotator's user id) as the IR annotator, and the
    extras that give the same JSON value back (a user id written as a string; a value that
    names no one, kept as it came)."""
    if "user" not in entry:
        return {}, None
    user = entry["user"]
    if isinstance(user, bool) or not isinstance(user, (int, str)):
        return {"user": user}, None
    if isinstance(user, str) and _INT_ID.fullmatch(user):
        return {"user_str": True}, user
    return {}, str(user)


def _check_relations(rec: dict[str, Any], anns: list[Any], pointers: list[str],
                     where: dict[str, Any], report: Report) -> None:
    ids: dict[Any, str] = {}
    for ann, ptr in zip(anns, pointers, strict=True):
        if isinstance(ann, Span) and ann.id is not None:
            if ann.id in ids:
                report.add("AF231", pointer=f"{ptr}/id", entity_id=ann.id, **where)
            ids[ann.id] = ptr
    for j, rel in enumerate(rec["relations"]):
        for end in ("from_id", "to_id"):
            if rel[end] not in ids:
                report.add("AF230", pointer=f"/relations/{j}/{end}", relation=rel.get("id", j),
                           entity_id=rel[end], **where)


def stream(path: Path, options: Options, report: Report) -> Stream:
    """The records of ``path`` one at a time (labels appended to the head as met); memory is
    one record plus a hash per item id (AF207) and the label names."""
    return labelled_stream(options, lambda labels: iter_items(path, options, report, labels))


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a doccano JSONL export into the IR."""
    return collect(stream(path, options, report))


# --------------------------------------------------------------------------------------------
# writing


def record_of(item: Item, text: str) -> dict[str, Any]:
    """The doccano record of one text item (item attributes whose name the record already
    uses are left out: :func:`plan` says so, AF503)."""
    extras: dict[str, Any] = item.extras.get(NAME, {})
    rec: dict[str, Any] = {}
    if not extras.get("no_id"):
        rec["id"] = (int(item.id) if _INT_ID.fullmatch(item.id) and not extras.get("id_str")
                     else item.id)
    rec["text"] = text
    spans = [a for a in item.annotations if isinstance(a, Span) and a.label is not None]
    tags = [a.label for a in item.annotations if isinstance(a, Tag) and a.label is not None]
    relations: list[dict[str, Any]] | None = [
        _relation(a) for a in item.annotations if isinstance(a, Relation) and a.label is not None]
    if not relations and not extras.get("relations"):
        relations = None
    key = extras.get("key", "label")
    if key == "annotations":  # doccano 1.x, as it came: labels as ids, annotators kept
        rec[key] = [_legacy_entry(a, extras.get("label_ids", False)) for a in item.annotations
                    if isinstance(a, (Span, Tag)) and a.label is not None]
    elif spans or key == "entities" or relations is not None:
        if (extras.get("form") == "dict" or relations is not None
                or any(s.id is not None for s in spans)):
            rec[key] = [{**({"id": s.id} if s.id is not None else {}), "label": s.label,
                         "start_offset": s.start, "end_offset": s.end} for s in spans]
        else:
            rec[key] = [[s.start, s.end, s.label] for s in spans]
        if tags or extras.get("cats"):
            rec["cats"] = tags
    else:
        rec[key] = tags
    if relations is not None:
        rec["relations"] = relations
    for name, value in item.attributes.items():
        if name not in rec and name not in _KNOWN:
            rec[name] = value
    return rec


def _relation(rel: Relation) -> dict[str, Any]:
    own = rel.extras.get(NAME, {})
    out: dict[str, Any] = {"id": rel.id} if rel.id is not None else {}
    return {**out, "from_id": rel.source, "to_id": rel.target, "type": rel.label, **own}


def _legacy_entry(ann: Span | Tag, label_ids: bool) -> dict[str, Any]:
    name = ann.label or ""
    label: Any = int(name) if label_ids and name.isdigit() else name
    entry: dict[str, Any] = {"label": label}
    if isinstance(ann, Span):
        entry.update(start_offset=ann.start, end_offset=ann.end)
    own = ann.extras.get(NAME, {})
    if ann.annotator is not None:
        numeric = _INT_ID.fullmatch(ann.annotator) and not own.get("user_str")
        entry["user"] = int(ann.annotator) if numeric else ann.annotator
    elif "user" in own:
        entry["user"] = own["user"]
    return entry


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What :func:`write` loses: the capability plan, item attributes named like a field of
    the record (``text``, ``label``...), which the record cannot also hold (AF503), and the
    both-ways reading of an undirected relation (AF506: doccano's run ``from_id`` -> ``to_id``)."""
    loss = plan_capabilities(ds, CAPABILITIES, NAME)
    for item, text in text_items(ds.items):
        legacy = item.extras.get(NAME, {}).get("key") == "annotations"
        for n, ann in enumerate(item.annotations):
            if isinstance(ann, Relation) and not ann.directed and ann.label is not None:
                loss.count("AF506", where(item.id, ann.id, n), field="directed")
            elif ann.annotator is not None and ann.label is not None and not (
                    legacy and isinstance(ann, (Span, Tag))):
                loss.count("AF524", where(item.id, ann.id, n), field="annotator",
                           detail=": only the doccano 1.x layout (annotations with a user) "
                           "names annotators")
        if item.attributes:
            rec = record_of(item, text)
            for name, value in item.attributes.items():
                # the record holds the value itself, or a field of its own under that name
                if rec.get(name, _MISSING) is not value:
                    loss.count("AF503", item.id, severity=Severity.WARNING, names=name)
    return plan_origin(ds, CAPABILITIES, loss, _implied_origin)


_MISSING = object()


def _implied_origin(item: Item, ann: Any) -> str:
    """What the writer's record reads back as: a person's where a user is written."""
    legacy = item.extras.get(NAME, {}).get("key") == "annotations"
    written = legacy and ann.annotator is not None and isinstance(ann, (Span, Tag))
    return "human" if written else "unknown"


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write the text items of ``ds`` as doccano JSONL (one record per line)."""
    records = (record_of(item, text) for item, text in text_items(track(ds.items, "write")))
    write_records(dest, records, SCHEMA, NAME, report)


def join(parts: list[Path], head: Dataset, dest: Path, options: Options,
         report: Report) -> None:
    """The file of a dataset written in parts: their records, one after another."""
    join_lines(parts, dest, report)


ERR = Severity.ERROR
#: the diagnostic codes only this format raises
CODES = (
    Code("AF231", "duplicate-entity-id", ERR, "entity id {entity_id!r} is used more than once in "
         "this record", "Relations refer to entities by id; a repeated id is ambiguous.",
         '{"entities": [{"id": 1, ...}, {"id": 1, ...}]}', "Give every entity a unique id."),
)


FORMAT = FormatSpec(
    name=NAME,
    description="doccano JSONL: classification, sequence labelling, relations, intent+slots",
    extensions=(".jsonl",),
    capabilities=CAPABILITIES,
    options=Options,
    schemas=(SCHEMA,),
    detect=detect,
    read=read,
    stream=stream,
    write=write,
    join=join,
    plan=plan,
    codes=CODES,
)
