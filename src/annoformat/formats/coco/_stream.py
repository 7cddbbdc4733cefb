"""COCO read one item at a time, in memory that does not grow with the file.

A COCO file is one JSON object whose ``images`` may come after its ``annotations``, and whose
annotations need not be grouped by image. Each file is read with ijson (yajl's C parser) in
passes over the bytes, none of which holds more than one image or annotation:

1. the top level without the insides of ``images`` and ``annotations`` (info, licenses,
   categories, other keys: small), which also proves the whole file is well-formed JSON;
2. the images: checked, their ids, sizes and file-name hashes kept (the duplicate checks and
   the annotations' lookups need them), each entry spilled to a temporary sqlite store;
3. the annotations, in file order, made into IR annotations by the reader's own
   :meth:`~annoformat.formats.coco._read.Reader.annotation` and spilled keyed by their image.

Then the items are built in the images' order from the store. A results file (a bare list of
detections) is the same with the detections in place of both.

The report is the whole reader's, in its order: the passes record into a buffer that joins
the report once the file is known to be schema-valid. A file the streaming passes cannot give
exactly as ``read`` does (not JSON, not schema-valid, a repeated top-level key, an escaped
surrogate, an integer beyond 64 bits) is read whole by ``read``'s own code: such a file
yields no items or is rare, so bounded memory is kept where it matters.
"""

from __future__ import annotations

import functools
import itertools
import operator
import os
import pickle
import re
import shutil
import sqlite3
import stat
import tempfile
import weakref
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ijson
import orjson

from annoformat import schemas, sourcemap
from annoformat._io import (
    DUPLICATE_KEY_SCAN_BYTES,
    fill_json_positions,
    find_duplicate_keys,
    has_duplicate_keys,
    kind_of_mode,
    line_col,
    max_bytes_limit,
)
from annoformat.diagnostics import Report
from annoformat.formats.coco._common import (
    ROBOFLOW,
    SCHEMA,
    Options,
    canonical_stem,
    input_layout,
)
from annoformat.formats.coco._read import Reader, detection_item, image_item
from annoformat.formats.coco._table import DenseTable
from annoformat.model import BBox, Dataset, Item, Keypoints, Label, Mask, Polygon, trusted
from annoformat.spec import Stream

_BOM = b"\xef\xbb\xbf"
#: the IR classes an annotation can become, by their index in a spilled record
_KINDS: tuple[type[Any], ...] = (BBox, Polygon, Mask, Keypoints)
_KIND_INDEX = {cls: k for k, cls in enumerate(_KINDS)}
#: ijson prefixes inside the big arrays: the top-level pass lets C skip them (not a prefix
#: deep enough to be nested too deep for orjson: those are looked at)
_BIG = re.compile(r"(?:images\.|annotations\.)?item(?:\.|\Z)")
_KEPT = re.compile(rf"(?!{_BIG.pattern})|(?=.{{{2 * 1000}}})")
#: orjson refuses nesting past 1024 levels (AF902); from this depth on a file is read whole
_DEEP = 1000
#: what only orjson refuses: a lone surrogate (pairs are caught too, and read whole); what
#: only yajl refuses (integers from 2**63 on, which orjson reads) fails the top-level pass
_DIVERGENT = re.compile(rb"\\u[dD][89a-fA-F]")
_SNIFF = 64 * 1024
_BATCH = 4096
_GOLD = 0x9E3779B97F4A7C15  # Fibonacci hashing: spreads keys that share low bits
_M64 = (1 << 64) - 1
_INT32 = 1 << 31


class _Whole(Exception):
    """This file is read whole, by ``read``'s code (see the module docstring)."""


def stream(path: Path, options: Options, report: Report) -> Stream | None:
    """The COCO file or dataset folder at ``path`` one item at a time (see the module
    docstring); None, with AF057 recorded, when a folder holds no COCO file.

    Example:
        >>> from annoformat.diagnostics import Report
        >>> s = stream(Path("fixtures/coco/good/minimal/annotations.json"), Options(), Report())
        >>> [item.id for item in s.items], s.head.label_names()
        (['1', '2', '3'], ['cat', 'dog'])
    """
    files: list[tuple[Path, str | None]] = (input_layout(path) if path.is_dir()
                                            else [(path, None)])
    if not files:
        report.add("AF057", path=str(path), format="coco", reason="no COCO JSON file found")
        return None
    reader = Reader(report)
    head: Dataset = trusted(Dataset, {"labels": [], "items": [], "info": {}, "extras": {}})
    count = itertools.count()
    # the first file's passes run now, so that the head holds its labels before any item
    first = _open(reader, head, files[0][0], files[0][1], path.is_dir(), count)
    return Stream(head, _items(reader, head, files, path.is_dir(), count, first))


def _items(reader: Reader, head: Dataset, files: list[tuple[Path, str | None]],
           in_folder: bool, count: Iterator[int], first: Iterator[Item]) -> Iterator[Item]:
    yield from first
    for file, subset in files[1:]:
        yield from _open(reader, head, file, subset, in_folder, count)
    _sync(reader, head)


def _sync(reader: Reader, head: Dataset) -> None:
    """What the files said so far beside their items, into the head."""
    head.labels = list(reader.labels.values())
    head.info = reader.info or {}
    head.extras = reader.extras()


def _open(reader: Reader, head: Dataset, path: Path, subset: str | None, in_folder: bool,
          count: Iterator[int]) -> Iterator[Item]:
    """Run the passes over one file (its findings recorded, the head brought up to date) and
    give the iterator of its items."""
    reader.roboflow = reader.roboflow or path.name == ROBOFLOW
    report = reader.report
    saved = (dict(reader.labels), dict(reader.label_ids), reader.info, reader.results,
             dict(reader.box_segmentation), dict(reader.files))
    spill = None
    try:
        bom = _plain(path)
        spill = _Spill()
        reader.report = Report()
        _passes(reader, path, subset, in_folder, bom, spill)
    except (_Whole, ijson.JSONError, sqlite3.Error, OSError):
        # what the passes cannot give as read does, and a file that changed between passes
        # or a store that could not be written: read whole, by read's code
        if spill is not None:
            spill.close()
        reader.report = report
        (reader.labels, reader.label_ids, reader.info, reader.results,
         reader.box_segmentation, reader.files) = saved
        reader.items = []
        reader.read_file(path, subset, in_folder)
        items, reader.items = reader.items, []
        _sync(reader, head)
        return _counted(items, count)
    finally:
        buffered, reader.report = reader.report, report
    _record(report, buffered, path, bom)
    _sync(reader, head)
    return _built(spill, path, subset, reader.results, count)


def _counted(items: list[Item], count: Iterator[int]) -> Iterator[Item]:
    for item in items:
        next(count)
        yield item


def _plain(path: Path) -> bool:
    """Whether the file starts with a BOM; :class:`_Whole` when ``read_bytes`` would refuse
    it (it records why) or its bytes hold what the passes cannot read as orjson does."""
    try:
        st = path.stat()
    except OSError:
        raise _Whole from None
    if (stat.S_ISDIR(st.st_mode) or kind_of_mode(st.st_mode) is not None
            or st.st_size > max_bytes_limit()):
        raise _Whole
    tail = b""
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF)
            if b"\x00" in head:
                raise _Whole
            chunk = head
            while chunk:
                if _DIVERGENT.search(tail + chunk):
                    raise _Whole
                tail = chunk[-24:]
                chunk = fh.read(1 << 22)
    except OSError:
        raise _Whole from None
    return head.startswith(_BOM)


@functools.cache
def _validator(part: str) -> Any:
    import jsonschema_rs  # as schemas does: only when a JSON document is checked

    schema = schemas.load_schema(SCHEMA)
    if part:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"],
                  "$ref": f"#/$defs/{part}"}
    return jsonschema_rs.validator_for(schema)


def _top(path: Path, bom: bool) -> Any:
    """The document without the entries of its big arrays (they read as empty); parses the
    whole file, so the later passes meet no syntax error."""
    builder = ijson.ObjectBuilder()
    keys: list[str] = []
    try:
        with path.open("rb") as fh:
            fh.seek(3 if bom else 0)
            events, prefixes = itertools.tee(ijson.parse(fh, use_float=True))
            # the C parser's events filtered in C: Python sees the top level only
            kept = itertools.compress(events, map(_KEPT.match,
                                                  map(operator.itemgetter(0), prefixes)))
            for prefix, event, value in kept:
                if len(prefix) >= 2 * _DEEP:
                    if prefix.count(".") >= _DEEP - 1:
                        raise _Whole
                    if _BIG.match(prefix):
                        continue
                if not prefix and event == "map_key":
                    keys.append(value)
                builder.event(event, value)
    except (ijson.JSONError, ValueError, OSError, UnicodeError):
        raise _Whole from None
    if len(set(keys)) != len(keys) or "item" in keys:  # (the filter would have hidden it)
        raise _Whole
    return builder.value


def _entries(path: Path, bom: bool, prefix: str) -> Iterator[Any]:
    with path.open("rb") as fh:
        fh.seek(3 if bom else 0)
        yield from ijson.items(fh, prefix, use_float=True)


def _passes(reader: Reader, path: Path, subset: str | None, in_folder: bool, bom: bool,
            spill: _Spill) -> None:
    shown = str(path)
    top = _top(path, bom)
    if not _validator("").is_valid(top):
        raise _Whole
    record: dict[str, Any] = {}
    if in_folder and path.stem != canonical_stem(subset) and path.name != ROBOFLOW:
        record["stem"] = path.stem
    # the whole-file state: image ids to their position (the annotations' lookups, in
    # memory), annotation ids and file names to where they were first met (on disk, behind a
    # fixed-size bit set), sizes by image position
    first_ann = _Seen(spill, "ids", 26)
    index = DenseTable()
    if isinstance(top, list):
        reader.results = True
        valid = _validator("detection").is_valid
        cats: dict[int, Label] = {}
        for j, det in enumerate(_entries(path, bom, "item")):
            if not valid(det):
                raise _Whole
            if reader.detection_ids(j, det, shown, cats) and index.get(det["image_id"]) is None:
                index[det["image_id"]] = len(index)
                spill.image(len(index) - 1, -1, orjson.dumps(det["image_id"]))
        _annotations(reader, _entries(path, bom, "item"), shown, "", cats, index, None, spill,
                     first_ann)
    else:
        cats = reader.document_head(top, shown, record)
        valid = _validator("image").is_valid
        first_name = _Seen(spill, "names", 23)
        sizes = _Sizes()
        for i, img in enumerate(_entries(path, bom, "images.item")):
            if not valid(img):
                raise _Whole
            sizes.append(img.get("width"), img.get("height"))
            # file names kept as their 64-bit hashes: a false AF206 is a 1-in-10^19 chance
            if reader.check_image(i, img, shown, index, first_name, hash):
                spill.image(i, i, orjson.dumps(img))
        del first_name
        styles = _annotations(reader, _entries(path, bom, "annotations.item"), shown,
                              "/annotations", cats, index, sizes, spill, first_ann)
        if styles:
            usual = styles.most_common(1)[0][0]
            spill.usual = usual
            if usual != "ring":
                reader.box_segmentation["" if subset is None else subset] = usual
    if record:
        reader.files["" if subset is None else subset] = record
    spill.done()


class _Seen:
    """Where each key (an annotation id, a file name's hash) was first met, in bounded
    memory: a bit set of ``2**bits`` bits says which keys may have been met (a hash of the key
    picks the bit), and the spill store's table holds the positions, asked only when the bit
    is set. With n keys, a lookup goes to disk for a fraction n / 2**bits of new keys."""

    def __init__(self, spill: _Spill, table: str, bits: int) -> None:
        self.db = spill.db
        self.table = table
        self.shift = 64 - bits
        self.bits = bytearray(1 << (bits - 3))
        self.pending: dict[int, int] = {}
        self.db.execute(f"CREATE TABLE {table} (k INTEGER PRIMARY KEY, v INTEGER)")
        spill.flushes.append(self._flush)

    def get(self, key: int, /) -> int | None:
        h = ((key * _GOLD) & _M64) >> self.shift
        if not self.bits[h >> 3] & (1 << (h & 7)):
            return None
        value = self.pending.get(key)
        if value is not None:
            return value
        row = self.db.execute(f"SELECT v FROM {self.table} WHERE k = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def __setitem__(self, key: int, value: int, /) -> None:
        h = ((key * _GOLD) & _M64) >> self.shift
        self.bits[h >> 3] |= 1 << (h & 7)
        self.pending[key] = value
        if len(self.pending) >= 4 * _BATCH:
            self._flush()

    def _flush(self) -> None:
        # in key order: neighbouring keys land on the same pages of the on-disk tree
        self.db.executemany(f"INSERT INTO {self.table} VALUES (?, ?)",
                            sorted(self.pending.items()))
        self.pending.clear()


class _Sizes:
    """Width and height by image position, 8 bytes an image; what is not a plain int (None,
    a float such as 640.0) is kept aside as it is, so the checks see the value read sees."""

    def __init__(self) -> None:
        self.widths = array("i")
        self.heights = array("i")
        self.odd: dict[int, tuple[Any, Any]] = {}

    def append(self, width: Any, height: Any) -> None:
        if (type(width) is int and type(height) is int and 0 <= width < _INT32
                and 0 <= height < _INT32):
            self.widths.append(width)
            self.heights.append(height)
        else:
            self.odd[len(self.widths)] = (width, height)
            self.widths.append(-1)
            self.heights.append(-1)

    def get(self, i: int) -> tuple[Any, Any]:
        width = self.widths[i]
        return (width, self.heights[i]) if width >= 0 else self.odd[i]


def _annotations(reader: Reader, entries: Iterator[Any], shown: str, prefix: str,
                 cats: dict[int, Label], index: DenseTable, sizes: _Sizes | None,
                 spill: _Spill, first_ann: _Seen) -> Counter[str]:
    """Annotations in file order (so their problems are recorded in read's order), spilled
    under their item's position; how many box-only objects wrote their segmentation each way.
    ``sizes`` is None for a results file (its items have no size)."""
    results = sizes is None
    valid = _validator("detection" if results else "annotation").is_valid
    styles: Counter[str] = Counter()
    report = reader.report
    for j, a in enumerate(entries):
        if not results and not valid(a):
            raise _Whole
        iid = a["image_id"]
        if type(iid) is not int:  # 3.0 finds image 3, as a dict lookup does in read
            iid = int(iid) if isinstance(iid, float) and iid.is_integer() else None
        found = index.get(iid) if iid is not None else None
        if found is None:
            if type(a["image_id"]) is int:
                report.add("AF201", path=shown, pointer=f"{prefix}/{j}/image_id", image_id=iid,
                           annotation_id=a.get("id"))
            continue
        width, height = sizes.get(found) if sizes is not None else (None, None)
        made = reader.annotation(j, a, shown, prefix, cats, first_ann, str(iid), width, height,
                                 results)
        if made is None:
            continue
        out, style = made
        if style is not None:
            styles[style] += 1
        seg = a.get("segmentation") if style is not None else None
        spill.annotation(found, j, style, seg, out)
    return styles


def _record(report: Report, buffered: Report, path: Path, bom: bool) -> None:
    """Into the report, what ``read`` records for this file, in its order: the BOM, the
    repeated keys (only in files it scans for them), the reader's findings, their positions."""
    shown = str(path)
    since = len(report.diagnostics)
    if bom:
        report.add("AF004", path=shown, line=1, column=1)
    size = path.stat().st_size - (3 if bom else 0)
    if size <= DUPLICATE_KEY_SCAN_BYTES:
        data = path.read_bytes()[3 if bom else 0:]
        if has_duplicate_keys(data):
            for ptr, key, offset in find_duplicate_keys(data):
                line, col = line_col(data, offset)
                report.add("AF006", path=shown, line=line, column=col, pointer=ptr, key=key)
    for d in buffered.diagnostics:
        loc = d.location
        report.add(d.code, path=loc.path, line=loc.line, column=loc.column, pointer=loc.pointer,
                   item_id=loc.item_id, annotation_id=loc.annotation_id, severity=d.severity,
                   **d.ctx)
    if any(d.location.pointer is not None and d.location.line is None
           for d in report.diagnostics[since:]):
        # positions only when something was found: the one time the bytes are held whole
        fill_json_positions(report, shown, path.read_bytes(), since=since)


def _built(spill: _Spill, path: Path, subset: str | None, results: bool,
           count: Iterator[int]) -> Iterator[Item]:
    """The items from the store, in the images' order, each with its annotations."""
    shown = str(path)
    sm = sourcemap.current()
    prefix = "" if results else "/annotations"
    try:
        yield from _merged(spill, shown, subset, results, count, sm, prefix)
    finally:
        spill.close()


def _merged(spill: _Spill, shown: str, subset: str | None, results: bool,
            count: Iterator[int], sm: Any, prefix: str) -> Iterator[Item]:
    anns = itertools.groupby(spill.annotations(), key=operator.itemgetter(0))
    pending = next(anns, None)
    for k, i, raw in spill.images():
        n = next(count)
        entry = orjson.loads(raw)
        item = detection_item(entry, subset) if results else image_item(entry, subset)
        if sm is not None and not results:
            sm.item(n, shown, pointer=f"/images/{i}")
        if pending is not None and pending[0] == k:
            for _, j, blob in pending[1]:
                out = spill.unpack(blob)
                if sm is not None:
                    for m in range(len(out)):
                        sm.annotation(n, len(item.annotations) + m, shown,
                                      pointer=f"{prefix}/{j}")
                item.annotations.extend(out)
            pending = next(anns, None)
        yield item


class _Spill:
    """A temporary sqlite store of a file's images (in order) and its annotations (keyed by
    their item's position, then their own): what lets a file not ordered by image stream."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="annoformat-coco-")
        self.db = sqlite3.connect(os.path.join(self.folder, "spill.sqlite"),
                                  isolation_level=None)
        # a stream dropped before its items were read still leaves nothing behind
        self._finalizer = weakref.finalize(self, _remove, self.db, self.folder)
        for sql in ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF",
                    "PRAGMA temp_store=FILE",
                    "CREATE TABLE images (k INTEGER PRIMARY KEY, i INTEGER, raw BLOB)",
                    "CREATE TABLE anns (k INTEGER, j INTEGER, raw BLOB, PRIMARY KEY (k, j))"
                    " WITHOUT ROWID", "BEGIN"):
            self.db.execute(sql)
        #: what else writes into the store in batches, flushed before it is read
        self.flushes: list[Callable[[], None]] = []
        self.image_rows: list[tuple[int, int, bytes]] = []
        self.ann_rows: list[tuple[int, int, bytes]] = []
        #: how most box-only objects of the file wrote their segmentation
        self.usual: str | None = None

    def image(self, k: int, i: int, raw: bytes) -> None:
        self.image_rows.append((k, i, raw))
        if len(self.image_rows) >= _BATCH:
            self._flush()

    def annotation(self, k: int, j: int, style: str | None, seg: Any, out: list[Any]) -> None:
        # the plain field dicts (rebuilt with `trusted`): pickling the models is 4x slower
        parts = [(_KIND_INDEX[type(ann)], ann.__dict__) for ann in out]
        self.ann_rows.append((k, j, pickle.dumps((style, seg, parts), protocol=5)))
        if len(self.ann_rows) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany("INSERT INTO images VALUES (?, ?, ?)", self.image_rows)
        self.db.executemany("INSERT INTO anns VALUES (?, ?, ?)", self.ann_rows)
        self.image_rows.clear()
        self.ann_rows.clear()

    def done(self) -> None:
        self._flush()
        for flush in self.flushes:
            flush()
        self.db.execute("COMMIT")

    def images(self) -> Iterator[tuple[int, int, bytes]]:
        yield from self.db.execute("SELECT k, i, raw FROM images ORDER BY k")

    def annotations(self) -> Iterator[tuple[int, int, bytes]]:
        yield from self.db.execute("SELECT k, j, raw FROM anns ORDER BY k, j")

    def unpack(self, blob: bytes) -> list[Any]:
        style, seg, parts = pickle.loads(blob)
        out = [trusted(_KINDS[kind], fields) for kind, fields in parts]
        if style is not None and style != self.usual:
            # as Reader.box_style does: the object that differs from its file keeps its own way
            own = out[0].extras.setdefault("coco", {})
            own.update({"_no_segmentation": True} if seg is None else {"_segmentation": seg})
        return out

    def close(self) -> None:
        self._finalizer()


def _remove(db: sqlite3.Connection, folder: str) -> None:
    db.close()
    shutil.rmtree(folder, ignore_errors=True)
