"""Label Studio JSON export for text (labelstud.io/guide/export): NER regions and choices.

Facts a maintainer needs:

* The export is a JSON array of tasks (``.json``); one task per line (``.jsonl``) is read and
  written too. A task: ``id``, ``data`` (the text under ``data.text``, or the ``text_key``
  option), ``annotations`` (one per annotator) and ``predictions`` (model output), each with a
  ``result`` list.
* A ``labels`` result is a region: ``value.start``/``value.end`` count **UTF-16 code units**
  (Label Studio is a JavaScript app), ``value.text`` the covered text, ``value.labels`` its
  labels. Offsets are converted exactly to code points (:class:`_text.Utf16Offsets`); an
  offset between the two halves of an emoji is AF407. A region with several labels becomes one
  IR span per label sharing the result ``id`` (written back as one region).
* A ``choices`` result (``value.choices``) becomes one IR tag per choice, sharing the result id.
* Which annotation or prediction an IR annotation came from is
  ``ann.extras["label-studio"]["annotation"]`` (or ``"prediction"``: index); ``from_name`` /
  ``to_name`` are kept there when they are not the defaults (``label``/``choice``, ``text``).
  Overlap is checked per annotation (two annotators may label the same words).
* A prediction result's ``score`` is the IR ``score``. Annotation and prediction metadata
  (``completed_by``, ``was_cancelled``, ``model_version``...), other result types and other
  task keys are kept in ``item.extras["label-studio"]``; other ``data`` keys are item
  attributes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import Field

from annoformat import schemas
from annoformat._io import (
    DUPLICATE_KEY_SCAN_BYTES,
    fill_json_positions,
    parse_json,
    read_bytes,
)
from annoformat.checks import check_relations
from annoformat.diagnostics import Report
from annoformat.formats._text import (
    ItemIds,
    Labels,
    TextOptions,
    Utf16Offsets,
    collect,
    fresh_defaults,
    item_id_of,
    iter_records,
    jsonl_keys,
    labelled_stream,
    raw_id_of,
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
)

SCHEMA = "label-studio.schema.json"
NAME = "label-studio"
_DEFAULT_FROM = {"labels": "label", "choices": "choice"}
_KINDS = (("annotations", "annotation"), ("predictions", "prediction"))

CAPABILITIES = Capabilities(
    media=frozenset({"text"}),
    annotation_types=frozenset({"tag", "span", "relation"}),
    fields=frozenset({"id", "score", "annotator", "origin"}),
    item_attributes=True,
    subsets=False,
    empty_items=True,
    metadata=frozenset(),
    unlabelled=frozenset({"relation"}),
)


class Options(TextOptions):
    """Label Studio options (plus :class:`~annoformat.formats._text.TextOptions`).

    ``text_key``: the ``data`` key holding the text. ``layout``: ``auto`` writes a JSON array
    unless the destination ends in ``.jsonl``.
    """

    text_key: str = Field(
        default="text",
        description="the key of each task's data holding the text")
    layout: Literal["auto", "json", "jsonl"] = Field(
        default="auto",
        description=("writing: a JSON array or JSON lines; auto: "
                     "JSON lines when the destination ends in .jsonl"))


def _head(path: Path, size: int = 65536) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return b""


def detect(path: Path) -> Detection:
    """A JSON array of tasks with ``data`` and ``annotations``/``predictions``, or such JSONL."""
    if path.is_file() and path.suffix.lower() == ".json":
        head = _head(path)
        if head.startswith(b"[") and b'"data"' in head and (
                b'"annotations"' in head or b'"predictions"' in head):
            return Detection(0.9, "JSON array of tasks with data and annotations")
        return Detection(0.0, "not a JSON array of Label Studio tasks")
    keys = jsonl_keys(path)
    if keys is not None and "data" in keys and "annoformat" not in keys:
        sure = bool(keys & {"annotations", "predictions"})
        return Detection(0.9 if sure else 0.6, "JSONL of tasks with a data key")
    return Detection(0.0, "no Label Studio tasks (a 'data' key) found")


# --------------------------------------------------------------------------------------------
# reading


#: a JSON export up to this size is parsed whole even when streamed (memory bounded by it);
#: it is also the size up to which repeated keys are looked for (AF006), which a streaming
#: parser cannot say, so the two reads report the same
WHOLE_JSON_BYTES = DUPLICATE_KEY_SCAN_BYTES


def _tasks(path: Path, options: Options, report: Report, whole: bool = True
           ) -> Iterator[tuple[int | None, str, Any]]:
    """``(line, pointer_prefix, task)``: JSONL streams; a JSON array is parsed whole, or, when
    not ``whole`` and larger than :data:`WHOLE_JSON_BYTES`, one task at a time (ijson)."""
    if path.suffix.lower() != ".json":
        for line, task in iter_records(path, report, options.max_line_bytes):
            yield line, "", task
        return
    if not whole and _streamable(path):
        yield from _array_tasks(path, report)
        return
    yield from _whole_tasks(path, report)


def _streamable(path: Path) -> bool:
    """A file above :data:`WHOLE_JSON_BYTES` that starts (no BOM) like an array; any other
    is read whole, which words its findings (syntax, not an array) exactly."""
    try:
        if path.stat().st_size <= WHOLE_JSON_BYTES:
            return False
        with path.open("rb") as fh:
            return fh.read(4096).lstrip(b" \t\r\n").startswith(b"[")
    except OSError:
        return False


def _array_tasks(path: Path, report: Report) -> Iterator[tuple[int | None, str, Any]]:
    """The array's tasks one at a time (ijson's C parser: memory is one task). A syntax error
    part-way is worded by the whole-file parse (the file is then read whole, once), after the
    findings of the tasks before it."""
    import ijson  # when a large export is streamed, not at discovery

    i = 0
    try:
        with path.open("rb") as fh:
            for task in ijson.items(fh, "item", use_float=True):
                yield None, f"/{i}", task
                i += 1
    except (ijson.JSONError, UnicodeDecodeError, OSError):
        data = read_bytes(path, report)
        if data is not None:
            parse_json(data, str(path), report)


def _whole_tasks(path: Path, report: Report) -> Iterator[tuple[int | None, str, Any]]:
    data = read_bytes(path, report)
    if data is None:
        return
    doc = parse_json(data, str(path), report)
    if doc is None:
        return
    if not isinstance(doc, list):
        report.add("AF101", path=str(path), pointer="", reason="the export is not a JSON array")
        return
    for i, task in enumerate(track(doc, "read")):  # a task is an item
        yield None, f"/{i}", task


def iter_items(path: Path, options: Options, report: Report, labels: Labels,
               check_ids: bool = True, whole: bool = True) -> Iterator[Item]:
    """Stream the tasks of a Label Studio export as IR items (a large JSON array too, unless
    ``whole``: see :func:`_tasks`)."""
    shown = str(path)
    ids = ItemIds(report, check_ids)
    since = len(report.diagnostics)
    yielded = 0
    tasks = _tasks(path, options, report, whole)
    for index, (line, prefix, task) in enumerate(tasks, start=1):
        data = task.get("data") if isinstance(task, dict) else None
        if isinstance(data, dict) and not isinstance(data.get(options.text_key), str):
            report.add("AF130", path=shown, line=line, pointer=f"{prefix}/data/"
                       + options.text_key, key=f"data.{options.text_key}")
            continue
        if not schemas.is_valid(SCHEMA, task):
            for ptr, message in schemas.iter_errors(SCHEMA, task):
                report.add("AF101", path=shown, line=line, pointer=prefix + ptr, reason=message)
            continue
        item = _Task(task, index, shown, line, prefix, options, report, labels).item()
        ids.check(item, shown, line, f"{prefix}/id")
        record_origin(yielded, item, shown, line)
        yielded += 1
        yield item
    if path.suffix.lower() == ".json" and any(  # only then the file is read again
            d.location.line is None and d.location.pointer is not None
            for d in report.diagnostics[since:]):
        data_bytes = read_bytes(path, Report())
        if data_bytes is not None:
            fill_json_positions(report, shown, data_bytes, since=since)


class _Task:
    def __init__(self, task: dict[str, Any], index: int, path: str, line: int | None,
                 prefix: str, options: Options, report: Report, labels: Labels) -> None:
        self.task, self.path, self.line, self.prefix = task, path, line, prefix
        self.options, self.report, self.labels = options, report, labels
        self.text: str = task["data"][options.text_key]
        self.offsets = Utf16Offsets(self.text)
        self.item_id, self.flags = item_id_of(task.get("id"), index)
        self.anns: list[Any] = []
        self.pointers: list[str] = []
        self.stored: dict[int, str] = {}
        self.who: dict[str, Any] = {"annotator": None, "origin": "unknown"}

    def item(self) -> Item:
        task = self.task
        ls: dict[str, Any] = dict(self.flags)
        other = {k: v for k, v in task.items()
                 if k not in ("id", "data", "annotations", "predictions")}
        if other:
            ls["task"] = other
        for key, kind in _KINDS:
            if key not in task:
                if key == "annotations":
                    ls["no_annotations"] = True
                continue
            metas = []
            used = 0  # how many entries the writer makes from the IR annotations alone
            for i, entry in enumerate(task[key]):
                meta = {k: v for k, v in entry.items() if k != "result"}
                count = len(self.anns)
                self.who = provenance(entry, kind)
                if kind == "annotation" and entry.get("was_cancelled") is True:
                    rest = list(entry.get("result", []))
                    self.report.add("AF070", path=self.path, line=self.line,
                                    pointer=f"{self.prefix}/{key}/{i}", item_id=self.item_id,
                                    index=i, count=len(rest),
                                    annotator=_named(self.who["annotator"]))
                else:
                    rest = [r for j, r in enumerate(entry.get("result", [])) if not self._result(
                        r, kind, i, f"{self.prefix}/{key}/{i}/result/{j}")]
                if len(self.anns) > count:
                    used = i + 1
                if rest:
                    meta["other_results"] = rest
                if "result" not in entry:
                    meta["no_result"] = True
                metas.append(meta)
            if any(metas) or len(metas) != used:
                ls[key] = metas
        attrs = {k: v for k, v in task["data"].items() if k != self.options.text_key}
        media = trusted(Text, {"kind": "text", "text": self.text})
        item = trusted(Item, {"id": self.item_id, "subset": None, "media": media,
                              "annotations": self.anns, "attributes": attrs,
                              "extras": {NAME: ls} if ls else {}})
        report_spans(self.report, item, self.pointers.__getitem__, self.path, self.line,
                     self.options.allow_overlap, self.stored, group_of=_group)
        self._check_relations()
        return item

    def _check_relations(self) -> None:
        """AF230 for a relation whose end is no region of its own annotation (or prediction)."""
        groups: dict[Any, list[int]] = {}
        for k, ann in enumerate(self.anns):
            groups.setdefault(_group(ann), []).append(k)
        for members in groups.values():
            if not any(isinstance(self.anns[k], Relation) for k in members):
                continue
            for f in check_relations([self.anns[k] for k in members]):
                index, end = f.path.split("/")[1:]
                k = members[int(index)]
                ann = self.anns[k]
                assert isinstance(ann, Relation)
                swapped = ann.extras.get(NAME, {}).get("direction") == "left"
                field = {"source": "from_id", "target": "to_id"}[end]
                if swapped:
                    field = "to_id" if field == "from_id" else "from_id"
                self.report.add("AF230", path=self.path, line=self.line,
                                pointer=f"{self.pointers[k]}/{field}", item_id=self.item_id,
                                relation=k, entity_id=f.ctx["entity_id"])

    def _result(self, r: dict[str, Any], kind: str, i: int, ptr: str) -> bool:
        """Add the IR annotations of result ``r``; False when it is not a labels/choices one."""
        rtype = r["type"]
        if rtype == "relation":
            self._relation(r, kind, i, ptr)
            return True
        if rtype not in _DEFAULT_FROM:
            return False
        extra: dict[str, Any] = {kind: i} if (kind, i) != ("annotation", 0) else {}
        for key in ("from_name", "to_name"):
            default = _DEFAULT_FROM[rtype] if key == "from_name" else "text"
            if r.get(key, default) != default:
                extra[key] = r[key]
            elif key not in r:
                extra[f"no_{key}"] = True
        extra.update({k: v for k, v in r.items()
                      if k not in ("id", "type", "value", "from_name", "to_name", "score")})
        value = r["value"]
        value_extra = {k: v for k, v in value.items()
                       if k not in ("start", "end", "text", "labels", "choices")}
        if value_extra:
            extra["value"] = value_extra
        if rtype == "labels" and "text" not in value:
            extra["no_text"] = True
        common = {"id": r.get("id"), "score": r.get("score"), **self.who}

        def extras() -> dict[str, Any]:  # one result may give several annotations: no sharing
            return {NAME: copy.deepcopy(extra)} if extra else {}

        where = {"path": self.path, "line": self.line, "item_id": self.item_id}
        if rtype == "choices":
            for name in value["choices"]:
                if self.labels.use(name, self.report, pointer=f"{ptr}/value/choices", **where):
                    self.anns.append(trusted(Tag, {**fresh_defaults(Tag), **common, "label": name,
                                                   "extras": extras()}))
                    self.pointers.append(ptr)
            return True
        start, end = self._code_point(value["start"], f"{ptr}/value/start"), self._code_point(
            value["end"], f"{ptr}/value/end")
        if start is None or end is None:
            return True
        for name in value["labels"]:
            if not self.labels.use(name, self.report, pointer=f"{ptr}/value/labels", **where):
                continue
            if "text" in value:
                self.stored[len(self.anns)] = value["text"]
            self.anns.append(trusted(Span, {**fresh_defaults(Span), **common, "label": name,
                                            "start": start, "end": end, "extras": extras()}))
            self.pointers.append(ptr)
        return True

    def _relation(self, r: dict[str, Any], kind: str, i: int, ptr: str) -> None:
        """One IR relation per label (none: one unlabelled); ``left`` is stored reversed."""
        extra: dict[str, Any] = {kind: i} if (kind, i) != ("annotation", 0) else {}
        extra.update({k: v for k, v in r.items()
                      if k not in ("id", "from_id", "to_id", "type", "direction", "labels")})
        direction = r.get("direction", "right")
        if direction == "left":
            extra["direction"] = direction
        if "labels" not in r:
            extra["no_labels"] = True
        source, target = r["from_id"], r["to_id"]
        if direction == "left":
            source, target = target, source
        where = {"path": self.path, "line": self.line, "item_id": self.item_id}
        names = r.get("labels") or [None]
        for name in names:
            if name is not None and not self.labels.use(name, self.report,
                                                        pointer=f"{ptr}/labels", **where):
                continue
            self.anns.append(trusted(Relation, {
                **fresh_defaults(Relation), **self.who, "id": r.get("id"), "label": name,
                "source": source,
                "target": target,
                "directed": direction != "bi",
                "extras": {NAME: copy.deepcopy(extra)} if extra else {}}))
            self.pointers.append(ptr)

    def _code_point(self, offset: int, ptr: str) -> int | None:
        offset = int(offset)  # the schema allows 5.0 for an integer
        cp = self.offsets.to_code_point(offset)
        if cp is None:
            self.report.add("AF407", path=self.path, line=self.line, pointer=ptr,
                            item_id=self.item_id, offset=offset,
                            char=self.offsets.char_at_utf16(offset))
        return cp


def annotator_of(completed_by: Any) -> str | None:
    """The IR annotator for an annotation's ``completed_by``: a user id (``7`` -> ``"7"``), or a
    user object's ``email`` (its ``id`` when it has no e-mail), as Label Studio exports them.

    Example:
        >>> annotator_of(7), annotator_of({"id": 1, "email": "a@b.org"}), annotator_of(None)
        ('7', 'a@b.org', None)
    """
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        if isinstance(email, str) and email:
            return email
        completed_by = completed_by.get("id")
    if isinstance(completed_by, bool) or not isinstance(completed_by, (int, str)):
        return None
    return str(completed_by)


def provenance(entry: dict[str, Any], kind: str) -> dict[str, Any]:
    """``annotator`` and ``origin`` of the IR annotations read from one annotation (a person's:
    ``completed_by``) or prediction (a model's: its ``model_version``)."""
    if kind == "prediction":
        version = entry.get("model_version")
        named = isinstance(version, (str, int)) and not isinstance(version, bool)
        return {"annotator": str(version) if named else None, "origin": "model"}
    return {"annotator": annotator_of(entry.get("completed_by")), "origin": "human"}


def completed_by_of(annotator: str) -> Any:
    """What :func:`annotator_of` reads back as ``annotator``: a user id stays a number, any
    other name is a user object's ``email`` (where Label Studio and its converter look)."""
    if _USER_ID.fullmatch(annotator):
        return int(annotator)
    return {"email": annotator}


_USER_ID = re.compile(r"0|[1-9]\d{0,17}")


def _named(annotator: str | None) -> str:
    return repr(annotator) if annotator is not None else "an annotator it does not name"


def _group(ann: Any) -> Any:
    extra = ann.extras.get(NAME, {})
    return ("prediction", extra["prediction"]) if "prediction" in extra else extra.get(
        "annotation", 0)


def stream(path: Path, options: Options, report: Report) -> Stream:
    """The tasks of ``path`` one at a time (labels appended to the head as met); memory is
    one task plus a hash per item id (AF207) and the label names."""
    return labelled_stream(
        options, lambda labels: iter_items(path, options, report, labels, whole=False))


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a Label Studio JSON export (array) or JSONL of tasks into the IR."""
    # a JSON array parsed whole: orjson is several times faster than a streaming parser
    return collect(labelled_stream(
        options, lambda labels: iter_items(path, options, report, labels)))


# --------------------------------------------------------------------------------------------
# writing


def task_of(item: Item, text: str, options: Options) -> dict[str, Any]:
    """The Label Studio task of one text item."""
    ls: dict[str, Any] = item.extras.get(NAME, {})
    task: dict[str, Any] = {}
    raw = raw_id_of(item.id, ls)
    if raw is not None:
        task["id"] = raw
    task["data"] = {options.text_key: text, **item.attributes}
    offsets = Utf16Offsets(text)
    groups, added = _entries_of(item, ls)
    for key, kind in _KINDS:
        metas: list[dict[str, Any]] = list(ls.get(key, []))
        metas += [{}] * (max([len(metas), *added[kind]]) - len(metas))
        for i, annotator in added[kind].items():
            metas[i - 1] = ({"model_version": annotator} if kind == "prediction"
                            else {"completed_by": completed_by_of(annotator)})
        count = max([len(metas)] + [i + 1 for (k, i) in groups if k == kind])
        if count == 0 and (key == "predictions" or ls.get("no_annotations")):
            continue
        entries = []
        for i in range(count):
            meta = dict(metas[i]) if i < len(metas) else {}
            other = meta.pop("other_results", [])
            no_result = meta.pop("no_result", False)
            results = _results(groups.get((kind, i), []), text, offsets) + other
            entry = {**({} if no_result and not results else {"result": results}), **meta}
            entries.append(entry)
        task[key] = entries
    for key, value in ls.get("task", {}).items():
        task.setdefault(key, value)
    return task


def _entries_of(item: Item, ls: dict[str, Any]
                ) -> tuple[dict[tuple[str, int], list[Any]], dict[str, dict[int, str]]]:
    """Which annotation or prediction each IR annotation goes into, and the entries to add.

    One read from Label Studio names its entry in its extras (none: the first annotation), and
    goes back there while its provenance still says that entry's. Any other goes by its
    provenance: a model's into a prediction, anyone else's into an annotation; the entry whose
    ``completed_by`` (``model_version``) reads as its annotator, else the first one when it has
    no annotator, else a new entry for that annotator (after the others). The added entries come
    back as ``{kind: {index + 1: annotator}}``.
    """
    groups: dict[tuple[str, int], list[Any]] = {}
    known = {kind: [provenance(m, kind)["annotator"] for m in ls.get(key, [])]
             for key, kind in _KINDS}
    loose: list[tuple[str, str, Any]] = []
    for ann in item.annotations:
        if not isinstance(ann, (Span, Tag, Relation)) or (
                ann.label is None and not isinstance(ann, Relation)):
            continue
        extra = ann.extras.get(NAME, {})
        kind = "prediction" if ann.origin == "model" else "annotation"
        who = ann.annotator
        if kind in extra:  # the entry it was read from, while its provenance still says so
            index = extra[kind]
            named = known[kind][index] if index < len(known[kind]) else None
            if named == who:
                groups.setdefault((kind, index), []).append(ann)
                continue
        if who is None or who in known[kind]:
            index = known[kind].index(who) if who in known[kind] else 0
            groups.setdefault((kind, index), []).append(ann)
        else:
            loose.append((kind, who, ann))
    added: dict[str, dict[int, str]] = {"annotation": {}, "prediction": {}}
    slots: dict[tuple[str, str], int] = {}
    for kind, who, ann in loose:
        slot = slots.get((kind, who))
        if slot is None:
            used = {i for (k, i) in groups if k == kind} | set(range(len(known[kind])))
            slot = slots[(kind, who)] = next(i for i in range(len(used) + 1) if i not in used)
            added[kind][slot + 1] = who
        groups.setdefault((kind, slot), []).append(ann)
    return groups, added


def _results(anns: list[Any], text: str, offsets: Utf16Offsets) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    by_id: dict[Any, dict[str, Any]] = {}
    for ann in anns:
        extra = ann.extras.get(NAME, {})
        if isinstance(ann, Relation):
            _relation_result(ann, extra, by_id, out)
            continue
        rtype = "labels" if isinstance(ann, Span) else "choices"
        values = "labels" if rtype == "labels" else "choices"
        key = (ann.id, rtype, getattr(ann, "start", None), getattr(ann, "end", None))
        if ann.id is not None or rtype == "choices":
            found = by_id.get(key)
            if found is not None:
                found["value"][values].append(ann.label)
                continue
        result: dict[str, Any] = {}
        if ann.id is not None:
            result["id"] = ann.id
        result["type"] = rtype
        for name, default in (("from_name", _DEFAULT_FROM[rtype]), ("to_name", "text")):
            if not extra.get(f"no_{name}"):
                result[name] = extra.get(name, default)
        if isinstance(ann, Span):
            value: dict[str, Any] = {"start": offsets.to_utf16(ann.start),
                                     "end": offsets.to_utf16(ann.end)}
            if not extra.get("no_text"):
                value["text"] = text[ann.start:ann.end]
            value["labels"] = [ann.label]
        else:
            value = {"choices": [ann.label]}
        result["value"] = {**value, **extra.get("value", {})}
        if ann.score is not None:
            result["score"] = ann.score
        for k, v in extra.items():
            if k not in ("annotation", "prediction", "from_name", "to_name", "value", "no_text",
                         "no_from_name", "no_to_name"):
                result.setdefault(k, v)
        by_id[key] = result
        out.append(result)
    return out


def _relation_result(rel: Relation, extra: dict[str, Any], by_id: dict[Any, dict[str, Any]],
                     out: list[dict[str, Any]]) -> None:
    """A relation result; relations between the same ends in one direction share one."""
    direction = extra.get("direction", "right" if rel.directed else "bi")
    ends = (rel.target, rel.source) if direction == "left" else (rel.source, rel.target)
    key = ("relation", rel.id, *ends, direction)
    found = by_id.get(key)
    if found is not None and rel.label is not None:
        found.setdefault("labels", []).append(rel.label)
        return
    result: dict[str, Any] = {"id": rel.id} if rel.id is not None else {}
    result.update({"from_id": ends[0], "to_id": ends[1], "type": "relation",
                   "direction": direction})
    if not extra.get("no_labels"):
        result["labels"] = [rel.label] if rel.label is not None else []
    for k, v in extra.items():
        if k not in ("annotation", "prediction", "direction", "no_labels"):
            result.setdefault(k, v)
    by_id[key] = result
    out.append(result)


def _tasks_of(ds: Dataset, options: Options) -> Iterable[dict[str, Any]]:
    return (task_of(item, text, options)
            for item, text in text_items(track(ds.items, "write")))


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write the text items of ``ds`` as a Label Studio export (JSON array, or JSONL)."""
    layout = options.layout
    if layout == "auto":
        layout = "jsonl" if dest.suffix.lower() in (".jsonl", ".ndjson") else "json"
    if layout == "jsonl":
        write_records(dest, _tasks_of(ds, options), SCHEMA, NAME, report)
        return
    tasks = list(_tasks_of(ds, options))
    for i, task in enumerate(tasks):
        if not schemas.is_valid(SCHEMA, task):
            for ptr, message in list(schemas.iter_errors(SCHEMA, task))[:10]:
                report.add("AF102", path=str(dest), pointer=f"/{i}{ptr}", format=NAME,
                           reason=message)
            return
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(orjson.dumps(tasks, option=orjson.OPT_INDENT_2) + b"\n")


def plan(ds: Dataset, options: Options) -> LossPlan:
    """The default plan, and the origins Label Studio cannot state: every entry of a task's
    ``annotations`` is a person's, so an ``unknown`` origin reads back as ``human``."""
    loss = plan_capabilities(ds, CAPABILITIES, NAME)
    return plan_origin(ds, CAPABILITIES, loss, _implied_origin)


def _implied_origin(item: Item, ann: Any) -> str:
    return "model" if ann.origin == "model" else "human"


ERR = Severity.ERROR
#: the diagnostic codes only this format raises
CODES = (
    Code("AF407", "utf16-offset-splits-character", ERR, "UTF-16 offset {offset} falls between "
         "the two halves of {char!r}", "Label Studio counts offsets in UTF-16 code units, where "
         "a character outside the BMP (an emoji) takes two; an offset between them is corrupt.",
         '{"text": "😀a", "value": {"start": 1, "end": 3}}', "Fix the offset."),
    Code("AF070", "annotation-cancelled", Severity.INFO, "annotation {index} of task {item_id} "
         "was cancelled (skipped) by {annotator}: its {count} result(s) are kept as they are, "
         "not read as annotations", "An annotator pressed Skip (was_cancelled: true): what the "
         "entry holds was never submitted, so it does not count as anyone's labels (agreement, "
         "comparison); it is written back unchanged.",
         '"annotations": [{"completed_by": 2, "was_cancelled": true, "result": []}]',
         "Nothing to do; re-open the task in Label Studio if it should be labelled."),
)


FORMAT = FormatSpec(
    name=NAME,
    description="Label Studio JSON export (text: labels regions in UTF-16 offsets, choices)",
    extensions=(".json", ".jsonl"),
    capabilities=CAPABILITIES,
    options=Options,
    schemas=(SCHEMA,),
    detect=detect,
    read=read,
    stream=stream,
    write=write,
    plan=plan,
    codes=CODES,
    aliases=('ls', 'labelstudio', 'label_studio'),
)
