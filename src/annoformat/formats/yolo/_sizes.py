"""Image sizes for (de)normalising: image headers, or an explicit size source; never guessed.

Size sources, in the order they are consulted for an image:

1. an explicit file (option ``image_sizes``): JSON ``{"<path>": [width, height], ...}`` (or the
   sidecar shape ``{"format": "annoformat-image-sizes", "sizes": {...}}``), or CSV with a
   ``path,width,height`` header; paths relative to the dataset root;
2. the sidecar ``annoformat_sizes.json`` the YOLO writer puts at the dataset root (same shape);
3. a fixed size for every image (option ``image_size: [width, height]``);
4. the image file's header (``imagesize``: a few bytes, never the pixels).

A path matches with or without its extension, so a label file whose image is absent still finds
its size (and the item keeps the image's real name from the source).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from annoformat import _spill
from annoformat._io import parse_json, read_bytes
from annoformat._spill import temp_folder
from annoformat.diagnostics import Report

SIDECAR = "annoformat_sizes.json"
SIDECAR_FORMAT = "annoformat-image-sizes"
MAX_SIZES_BYTES = 512 * 1024 * 1024
_BATCH = 4096


def _strip_ext(key: str) -> str:
    """``a/b.jpg`` -> ``a/b``; ``a/.keep`` and ``a/b`` stay (PurePosixPath.suffix's rule)."""
    dot = key.rfind(".")
    return key[:dot] if dot > key.rfind("/") + 1 and dot < len(key) - 1 else key


def _remove(db: sqlite3.Connection, folder: str) -> None:
    db.close()
    shutil.rmtree(folder, ignore_errors=True)


class _Store:
    """Sizes in a temporary sqlite file: memory stays flat however many images a source names.

    The folder is removed when the store is dropped (or the process exits), whatever happened.
    """

    def __init__(self) -> None:
        self.folder = temp_folder("annoformat-sizes-")
        self.db = sqlite3.connect(os.path.join(self.folder, "sizes.sqlite"),
                                  isolation_level=None, check_same_thread=False)
        self._finalizer = weakref.finalize(self, _remove, self.db, self.folder)
        for sql in ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF",
                    "CREATE TABLE exact (k TEXT PRIMARY KEY, w INTEGER, h INTEGER) WITHOUT ROWID",
                    "CREATE TABLE stem (s TEXT PRIMARY KEY, k TEXT, w INTEGER, h INTEGER)"
                    " WITHOUT ROWID"):
            self.db.execute(sql)
        self.rows: list[tuple[str, int, int]] = []

    def add(self, key: str, width: int, height: int) -> None:
        self.rows.append((key, width, height))
        if len(self.rows) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        # in order: a later size of a path replaces it (as dict assignment), the first path of a
        # stem keeps the stem (as setdefault)
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR REPLACE INTO exact VALUES (?, ?, ?)", self.rows)
        self.db.executemany("INSERT OR IGNORE INTO stem VALUES (?, ?, ?, ?)",
                            [(_strip_ext(k), k, w, h) for k, w, h in self.rows])
        self.db.execute("COMMIT")
        self.rows.clear()

    def exact(self, key: str) -> tuple[int, int] | None:
        row = self.db.execute("SELECT w, h FROM exact WHERE k = ?", (key,)).fetchone()
        return None if row is None else (row[0], row[1])

    def by_stem(self, stem: str) -> tuple[str, int, int] | None:
        row = self.db.execute("SELECT k, w, h FROM stem WHERE s = ?", (stem,)).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def close(self) -> None:
        self._finalizer()


class Sizes:
    """Looks up ``(width, height, name)`` by a root-relative POSIX path.

    Beyond ``spill_at`` sizes the table moves to a temporary sqlite store (same answers).

    >>> sizes = Sizes(spill_at=1)
    >>> sizes.add("a/b.jpg", 640, 480); sizes.add("a/c.png", 10, 20)
    >>> sizes.lookup("a/c"), sizes.lookup("a/b.jpg")
    ((10, 20, 'a/c.png'), (640, 480, 'a/b.jpg'))
    """

    def __init__(self, fixed: tuple[int, int] | None = None, spill_at: int | None = None) -> None:
        self.exact: dict[str, tuple[int, int]] = {}
        self.by_stem: dict[str, tuple[str, int, int]] = {}
        self.fixed = fixed
        # beyond this many sizes they move to a temporary sqlite store (~200 B a size in dicts)
        self.spill_at = _spill.spill_at() if spill_at is None else spill_at
        self.store: _Store | None = None
        self.failed: str | None = None  # why the store could not be made (AF906), if not

    def add(self, key: str, width: int, height: int) -> None:
        key = key.replace("\\", "/").removeprefix("./")
        if self.store is not None:
            self.store.add(key, width, height)
            return
        self.exact[key] = (width, height)
        self.by_stem.setdefault(_strip_ext(key), (key, width, height))
        if len(self.exact) > self.spill_at:
            self._spill()

    def _spill(self) -> None:
        try:
            store = _Store()
            # stems first in their first-come order, so INSERT OR IGNORE keeps the same path
            # per stem
            for key, width, height in self.by_stem.values():
                store.add(key, width, height)
            for key, (width, height) in self.exact.items():
                store.add(key, width, height)
            store.flush()
        except (OSError, sqlite3.Error) as exc:  # a full or read-only TMPDIR: kept in memory
            self.failed = f"{_spill.temp_root()}: {exc}"
            self.spill_at = sys.maxsize
            return
        self.exact, self.by_stem, self.store = {}, {}, store

    def _exact(self, key: str) -> tuple[int, int] | None:
        if self.store is None:
            return self.exact.get(key)
        self.store.flush()
        return self.store.exact(key)

    def _by_stem(self, stem: str) -> tuple[str, int, int] | None:
        if self.store is None:
            return self.by_stem.get(stem)
        self.store.flush()
        return self.store.by_stem(stem)

    def lookup(self, rel: str) -> tuple[int, int, str] | None:
        """Size and the source's name for the image at ``rel`` (root-relative, may lack ext)."""
        found = self._exact(rel)
        if found is not None:
            return found[0], found[1], rel
        # ``rel`` may already lack its extension: "a_jpg.rf.1" must not lose ".1" (Roboflow)
        by_stem = self._by_stem(rel) or self._by_stem(_strip_ext(rel))
        if by_stem is not None:
            return by_stem[1], by_stem[2], by_stem[0]
        if self.fixed is not None:
            return self.fixed[0], self.fixed[1], rel
        return None

    def close(self) -> None:
        """Remove the temporary store now (it also goes when the Sizes is dropped)."""
        if self.store is not None:
            self.store.close()

    def clear(self) -> None:
        """Forget every size added (the fixed size stays)."""
        self.close()
        self.exact, self.by_stem, self.store = {}, {}, None

    def count(self) -> int:
        """How many different paths have a size."""
        if self.store is None:
            return len(self.exact)
        self.store.flush()
        return int(self.store.db.execute("SELECT COUNT(*) FROM exact").fetchone()[0])

    def __bool__(self) -> bool:
        return bool(self.exact) or self.store is not None or self.fixed is not None


def _positive_int(value: Any) -> bool:
    return type(value) is int and value > 0


class _Irregular(Exception):
    """Not a plain valid size file: read whole, which says what is wrong."""


def load_sizes(path: Path, report: Report, sizes: Sizes) -> bool:
    """Add the sizes in ``path`` (JSON or CSV) to ``sizes``; False with AF036 on bad content.

    A valid file is read as a stream (one entry in memory at a time: a sidecar of millions of
    images is not parsed whole first); anything else (malformed, a repeated path, a value
    that is not ``[w, h]``, a BOM, past the size cap) is read whole, which reports it."""
    try:
        if path.stat().st_size <= MAX_SIZES_BYTES:
            added = _stream_csv(path, sizes) if path.suffix.lower() == ".csv" else \
                _stream_json(path, sizes)
            if added == sizes.count():  # else a path repeated
                return True
    except (_Irregular, ijson.JSONError, StopIteration, ValueError, OSError, UnicodeError,
            csv.Error):
        pass  # not a plainly valid file: the whole read says what is wrong
    sizes.clear()
    return _load_whole(path, report, sizes)


def _stream_json(path: Path, sizes: Sizes) -> int:
    """The sizes of a JSON size file added (ijson's C parser), as many as were added."""
    with path.open("rb") as fh:
        events = ijson.basic_parse(fh, use_float=True)
        if next(events) != ("start_map", None):
            raise _Irregular
        event, key = next(events)
        sidecar = (event, key) == ("map_key", "format")
        keys: set[str] = set()  # the sidecar's own keys (a handful)
        if sidecar:
            if next(events) != ("string", SIDECAR_FORMAT):
                raise _Irregular
            keys.add(key)
            event, key = next(events)
        added = 0
        while event == "map_key":
            if not sidecar:
                _size_entry(key, events, sizes)
                added += 1
            elif key in keys:
                raise _Irregular
            elif key == "sizes":
                keys.add(key)
                if next(events) != ("start_map", None):
                    raise _Irregular
                event, key = next(events)
                while event == "map_key":
                    _size_entry(key, events, sizes)
                    added += 1
                    event, key = next(events)
                if event != "end_map":
                    raise _Irregular
            else:
                keys.add(key)
                _skip_value(events)
            event, key = next(events)
        if event != "end_map" or (sidecar and "sizes" not in keys) or next(events, None):
            raise _Irregular
    return added


def _size_entry(key: str, events: Iterator[tuple[str, Any]], sizes: Sizes) -> None:
    if next(events) != ("start_array", None):
        raise _Irregular
    (e1, width), (e2, height), end = next(events), next(events), next(events)
    if (e1 != "number" or e2 != "number" or end != ("end_array", None)
            or not _positive_int(width) or not _positive_int(height)):
        raise _Irregular
    sizes.add(key, width, height)


def _skip_value(events: Iterator[tuple[str, Any]]) -> None:
    depth = 0
    for event, _ in events:
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            return
    raise _Irregular


def _stream_csv(path: Path, sizes: Sizes) -> int:
    """The sizes of a CSV size file added line by line, as many as were added."""
    added = 0
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows)
        if [h.strip().lower() for h in header] != ["path", "width", "height"]:
            raise _Irregular  # (a BOM lands here too: the whole read takes it)
        for row in rows:
            if not row:
                continue
            if len(row) != 3:
                raise _Irregular
            width, height = int(row[1]), int(row[2])
            if width <= 0 or height <= 0:
                raise _Irregular
            sizes.add(row[0], width, height)
            added += 1
    return added


def _load_whole(path: Path, report: Report, sizes: Sizes) -> bool:
    shown = str(path)
    data = read_bytes(path, report, MAX_SIZES_BYTES)
    if data is None:
        return False
    if path.suffix.lower() == ".csv":
        return _load_csv(data, shown, report, sizes)
    doc = parse_json(data, shown, report)
    if doc is None:
        return False
    if isinstance(doc, dict) and doc.get("format") == SIDECAR_FORMAT:
        doc = doc.get("sizes")
    if not isinstance(doc, dict):
        report.add("AF036", path=shown, reason='expected an object {"<image path>": [w, h]}')
        return False
    for key, value in doc.items():
        if (not isinstance(value, list) or len(value) != 2
                or not all(_positive_int(v) for v in value)):
            report.add("AF036", path=shown, pointer="/" + key.replace("~", "~0").replace("/", "~1"),
                       reason=f"size of {key!r} must be [width, height], positive integers")
            return False
        sizes.add(key, value[0], value[1])
    return True


def _load_csv(data: bytes, shown: str, report: Report, sizes: Sizes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.add("AF003", path=shown, offset=exc.start, reason=exc.reason)
        return False
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or [h.strip().lower() for h in header] != ["path", "width", "height"]:
        report.add("AF036", path=shown, line=1, reason="the header must be path,width,height")
        return False
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        try:
            if len(row) != 3:
                raise ValueError
            width, height = int(row[1]), int(row[2])
            if width <= 0 or height <= 0:
                raise ValueError
        except ValueError:
            report.add("AF036", path=shown, line=line,
                       reason=f"expected path,width,height with positive integers, got {row!r}")
            return False
        sizes.add(row[0], width, height)
    return True


def header_size(path: Path) -> tuple[int, int] | str:
    """``(width, height)`` from the image header, or the reason it could not be read."""
    import imagesize  # (and urllib, which it imports) only when a header is read

    try:
        width, height = imagesize.get(str(path))
    except (OSError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    if width <= 0 or height <= 0:
        return "unknown or unsupported image header"
    return int(width), int(height)
