"""annoformat's own JSONL: a lossless, line-oriented serialisation of the whole IR.

Layout (``schemas/jsonl.schema.json``):

* line 1, the header: ``{"annoformat": "1", "labels": [...], "info": {...}, "extras": {...}}``
  - the dataset-level data. The key ``annoformat`` (the layout version) is what detection looks
  for, so no other format's JSONL is taken for this one;
* every further line: one :class:`~annoformat.model.Item` - ``id``, ``subset``, ``media``
  (``kind`` first), ``annotations`` (each with ``type`` first), ``attributes``, ``extras``.

Field names and meanings are exactly the IR's (``annoformat.model``); a field equal to its
default is omitted and read back as that default (``kind`` and ``type`` are always written).
Keys come in the IR's field order, numbers are written shortest-round-trip (orjson), so the same
dataset always gives the same bytes: a diff in git shows what changed, item by item. Image,
video-frame and text items, every annotation type and every format's ``extras`` pass through
unchanged, which makes this the hub every format converts to and from without loss.

Provenance is kept like every other field: an annotation's ``annotator`` (who made it) and
``origin`` (``human``, ``model`` or ``unknown``, the default, which is then omitted).

Reading and writing stream: :func:`iter_items` yields items one line at a time and
:func:`encode_lines` encodes them one at a time, so a pipeline over them keeps memory flat;
:func:`read`/:func:`write` are those generators collected into / drained from a Dataset.
Overlapping spans are allowed by default here (the source format decided whether they were
valid); pass ``allow_overlap=false`` to check them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from annoformat import schemas, sourcemap
from annoformat._io import pointer
from annoformat.checks import (
    check_annotation,
    check_items_text,
    check_relations,
    check_text_fields,
    label_text_fields,
)
from annoformat.diagnostics import Report
from annoformat.formats._seen import SeenKeys
from annoformat.formats._text import (
    JSONL_EXTENSIONS,
    MAX_LINE_BYTES,
    collect,
    dump_line,
    first_record,
    iter_lines,
    join_lines,
    parse_line,
    report_spans,
    write_lines,
)
from annoformat.model import Dataset, Extras, Image, Item, Label, Relation, Text, VideoFrame
from annoformat.progress import track
from annoformat.spec import Capabilities, Code, Detection, FormatSpec, Severity, Stream

SCHEMA = "jsonl.schema.json"
VERSION = "1"
MARKER = "annoformat"

_TYPES = frozenset({"bbox", "rotated_bbox", "polygon", "polyline", "points", "keypoints", "mask",
                    "ellipse", "tag", "span", "relation"})
CAPABILITIES = Capabilities(
    media=frozenset({"image", "text", "video_frame"}),
    annotation_types=_TYPES,
    fields=frozenset({"id", "group", "z_order", "occluded", "score", "track_id", "crowd", "area",
                      "attributes", "annotator", "origin"}),
    item_attributes=True,
    subsets=True,
    empty_items=True,
    metadata=frozenset({"info", "label_ids", "label_parents", "keypoint_names",
                        "attribute_specs"}),
    extras=True,
    unlabelled=_TYPES,
)


class Options(BaseModel):
    """Native JSONL options.

    ``allow_overlap``: overlapping spans are fine (default) or AF406 errors.
    ``max_line_bytes``: the cap on one record (AF925).
    """

    # defer_build: the validator is built on first use, not when discovery imports it
    model_config = ConfigDict(extra="forbid", defer_build=True)
    allow_overlap: bool = Field(
        default=True,
        description="reading: overlapping spans are accepted (default) or errors (AF406)")
    max_line_bytes: int = Field(
        default=MAX_LINE_BYTES,
        description="reading: the largest record (one line) in bytes; a longer one is AF925")


class Header(BaseModel):
    """The first record: dataset-level data."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, defer_build=True)
    annoformat: str
    labels: list[Label] = Field(default_factory=list)
    info: dict[str, JsonValue] = Field(default_factory=dict)
    extras: Extras = Field(default_factory=dict)


def detect(path: Path) -> Detection:
    """A ``.jsonl`` file whose first record carries the ``annoformat`` header key."""
    if not path.is_file() or path.suffix.lower() not in JSONL_EXTENSIONS:
        return Detection(0.0, "not a .jsonl/.ndjson file")
    first = first_record(path)
    if isinstance(first, dict) and MARKER in first:
        return Detection(1.0, "first record is an annoformat JSONL header")
    return Detection(0.0, "first record has no 'annoformat' header key")


# --------------------------------------------------------------------------------------------
# reading


def _schema_errors(value: Any, exc: ValidationError, path: str, line: int,
                   report: Report, item_id: str | None = None) -> None:
    found = False
    for ptr, message in schemas.iter_errors(SCHEMA, value):
        report.add("AF101", path=path, line=line, pointer=ptr, item_id=item_id, reason=message)
        found = True
    if not found:  # the schema is looser than the model in a corner (1.0 for an integer)
        for err in exc.errors()[:10]:
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS)]
            report.add("AF101", path=path, line=line, pointer=pointer(*loc), item_id=item_id,
                       reason=err["msg"])


_UNION_TAGS = {"image", "text", "video_frame", "bbox", "rotated_bbox", "polygon", "polyline",
               "points", "keypoints", "mask", "ellipse", "tag", "span", "relation"}


def iter_items(path: Path, options: Options, report: Report,
               header: dict[str, Header] | None = None, check_ids: bool = True
               ) -> Iterator[Item]:
    """Stream the items of a native JSONL file; the header goes into ``header["header"]``.

    Each line is validated by the IR model (strict); a line that fails is reported with the
    schema's JSON Pointers and skipped. Duplicate ids, undeclared labels, geometry, spans and
    control characters in names (AF067) are checked as the items go by. Memory is flat but for
    one 64-bit hash per item for the duplicate-id check (AF207, 16 bytes an item; two different
    ids with equal hashes would be reported as a duplicate, odds ~1e-7 for 4M items);
    ``check_ids=False`` drops that too.
    """
    head, items = open_items(path, options, report, check_ids)
    if head is not None and header is not None:
        header["header"] = head
    if items is not None:
        yield from items


def open_items(path: Path, options: Options, report: Report, check_ids: bool = True
               ) -> tuple[Header | None, Iterator[Item] | None]:
    """The header of ``path`` read now, and its items still to read: ``(None, items)`` for a
    file without a header (AF050, its first line read as an item), ``(None, None)`` when the
    header is unusable (reported) or the file holds no line."""
    shown = str(path)
    lines = iter_lines(path, report, options.max_line_bytes)
    for number, line in lines:  # the first non-blank line only
        value = parse_line(line, number, shown, report)
        if value is None:
            return None, None
        if not isinstance(value, dict) or MARKER not in value:
            report.add("AF050", path=shown, line=number, reason="it has no 'annoformat' key")
            lines = itertools.chain([(number, line)], lines)
            return None, _items(lines, Header(annoformat=VERSION), options, shown, report,
                                check_ids)
        if value[MARKER] != VERSION:
            report.add("AF051", path=shown, line=number, pointer="/annoformat",
                       version=value[MARKER], supported=VERSION)
            return None, None
        try:
            head = Header.model_validate_json(line)
        except ValidationError as exc:
            _schema_errors(value, exc, shown, number, report)
            return None, None
        check_text_fields(label_text_fields(head.labels), report, shown, number)
        return head, _items(lines, head, options, shown, report, check_ids)
    return None, None


def _items(lines: Iterator[tuple[int, bytes]], head: Header, options: Options, shown: str,
           report: Report, check_ids: bool) -> Iterator[Item]:
    seen = SeenKeys(values=False)
    declared = {label.name: label for label in head.labels}
    sm = sourcemap.current()  # project rules want file:line for what they find
    yielded = 0
    for number, line in lines:
        try:
            item = Item.model_validate_json(line)
        except ValidationError as exc:
            value = parse_line(line, number, shown, report)
            if value is None:
                continue
            if isinstance(value, dict) and MARKER in value:
                report.add("AF052", path=shown, line=number)
                continue
            item_id = value.get("id") if isinstance(value, dict) else None
            _schema_errors(value, exc, shown, number, report,
                           item_id if isinstance(item_id, str) else None)
            continue
        if check_ids and seen.first((item.subset, item.id)) is not None:
            report.add("AF207", path=shown, line=number, pointer="/id", item_id=item.id,
                       subset=item.subset)
        _check_item(item, declared, options, shown, number, report)
        check_items_text((item,), report, shown, declared, None, number)
        if sm is not None:
            sm.item(yielded, shown, line=number)
            for j in range(len(item.annotations)):
                sm.annotation(yielded, j, shown, line=number, pointer=f"/annotations/{j}")
        yielded += 1
        yield item


def _check_item(item: Item, declared: dict[str, Label], options: Options, path: str, line: int,
                report: Report) -> None:
    media = item.media
    width = height = None
    if isinstance(media, (Image, VideoFrame)):
        width, height = media.width, media.height
    text = isinstance(media, Text)
    for j, ann in enumerate(item.annotations):
        label = declared.get(ann.label) if ann.label is not None else None
        if ann.label is not None and label is None and declared:
            report.add("AF208", path=path, line=line, pointer=f"/annotations/{j}/label",
                       item_id=item.id, annotation_id=ann.id, label=ann.label)
        if text:  # spans and tags have no geometry
            continue
        for f in check_annotation(ann, width, height, label):
            report.add(f.code, path=path, line=line, pointer=f"/annotations/{j}{f.path}",
                       item_id=item.id, annotation_id=ann.id, **f.ctx)
    report_spans(report, item, lambda k: f"/annotations/{k}", path, line, options.allow_overlap)
    if any(isinstance(a, Relation) for a in item.annotations):
        for f in check_relations(item.annotations):
            report.add(f.code, path=path, line=line, pointer=f"/annotations{f.path}",
                       item_id=item.id, **f.ctx)


def stream(path: Path, options: Options, report: Report) -> Stream | None:
    """The header read now (``head``: labels, info, extras) and the items one line at a time;
    None when the header is unusable. Memory: one line plus a hash per item (AF207)."""
    errors = report.counts["error"]
    head, items = open_items(path, options, report)
    if items is None:
        return None if report.counts["error"] > errors else Stream(Dataset(), iter(()))
    if head is None:  # AF050: no header, the items still read
        return Stream(Dataset(), items)
    return Stream(Dataset(labels=head.labels, info=head.info, extras=head.extras), items)


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a native JSONL file into a Dataset (None when the header is unusable)."""
    return collect(stream(path, options, report))


# --------------------------------------------------------------------------------------------
# writing


def header_record(ds: Dataset) -> dict[str, Any]:
    """The header record of ``ds`` (labels, info, extras) in its fixed key order."""
    return {
        MARKER: VERSION,
        "labels": [label.model_dump(mode="json", exclude_defaults=True) for label in ds.labels],
        "info": ds.info,
        "extras": ds.extras,
    }


def item_record(item: Item) -> dict[str, Any]:
    """One item as a record: IR field order, defaults omitted, ``kind``/``type`` kept first."""
    out = item.model_dump(mode="json", exclude_defaults=True)
    out["media"] = {"kind": item.media.kind, **out["media"]}
    if item.annotations:
        out["annotations"] = [{"type": ann.type, **d}
                              for ann, d in zip(item.annotations, out["annotations"], strict=True)]
    if "subset" in out:  # keep the IR order: id, subset, media, ...
        out = {"id": out.pop("id"), "subset": out.pop("subset"), **out}
    return out


def encode_lines(items: Iterable[Item], header: dict[str, Any], path: str,
               report: Report) -> Iterator[bytes]:
    """Encode the header then each item as one line, checking each record against the schema."""
    records: Iterable[tuple[int, dict[str, Any]]] = enumerate(
        _records(items, header), start=1)
    for number, record in records:
        if not schemas.is_valid(SCHEMA, record):
            for ptr, message in list(schemas.iter_errors(SCHEMA, record))[:10]:
                report.add("AF102", path=path, line=number, pointer=ptr, format="jsonl",
                           reason=message)
            return
        yield dump_line(record)


def _records(items: Iterable[Item], header: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield header
    for item in items:
        yield item_record(item)


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write ``ds`` as native JSONL to the file ``dest`` (header line, then one line per item)."""
    write_lines(dest, encode_lines(track(ds.items, "write"), header_record(ds), str(dest), report),
                report)


def join(parts: list[Path], head: Dataset, dest: Path, options: Options,
         report: Report) -> None:
    """The file of a dataset written in parts: the header of the whole (its labels as known at
    the end), then every part's item lines."""
    join_lines(parts, dest, report, first=dump_line(header_record(head)), skip=1)


ERR = Severity.ERROR
#: the diagnostic codes only this format raises
CODES = (
    Code("AF050", "native-header-missing", ERR, "the first record is not an annoformat JSONL "
         "header: {reason}", "annoformat's own JSONL starts with one header record "
         '({"annoformat": "1", "labels": [...], "info": {...}, "extras": {...}}) that holds the '
         "dataset-level data; without it labels and metadata would be lost.",
         '{"id": "1", "media": {...}}  (on line 1)',
         "Write the file with annoformat (format jsonl), or add the header line."),
    Code("AF051", "native-version-unsupported", ERR, "annoformat JSONL version {version!r} is not "
         "supported (this annoformat reads {supported})", "The file was written by a newer "
         "annoformat whose record layout this version does not know.",
         '{"annoformat": "9", ...}', "Upgrade annoformat."),
    Code("AF052", "native-header-repeated", ERR, "a second annoformat header record (the first is "
         "on line 1)", "Two annoformat JSONL files were probably concatenated; their labels and "
         "metadata cannot both apply.", 'cat a.jsonl b.jsonl > c.jsonl',
         "Merge the datasets with annoformat instead of concatenating files."),
)


FORMAT = FormatSpec(
    name="jsonl",
    description="annoformat's own lossless JSONL: a header line, then one IR item per line",
    extensions=(".jsonl",),
    capabilities=CAPABILITIES,
    options=Options,
    schemas=(SCHEMA,),
    detect=detect,
    read=read,
    stream=stream,
    write=write,
    join=join,
    codes=CODES,
    aliases=('annoformat',),
)
