"""Sorting more records than memory should hold: sorted runs on disk, merged as they are read.

A streaming reader that must list a folder or an image set in a given order (item id order,
set order) needs the whole listing sorted before its first item: 118k names per COCO-2017 train
split, tens of millions for the largest datasets. :class:`SortedSpill` keeps up to ``limit``
records in memory; past that, each full batch is sorted and written to a temporary file as a
*run*, and iterating merges the runs (``heapq.merge``, a chunk of each in memory at a time).
Memory is then ``limit`` records plus a chunk per run, whatever the listing's length.

The runs are pickled: records are tuples of strings and ints. They go in a folder under
``TMPDIR`` (else the system's temporary folder), removed when the spill is closed or dropped, or the
process exits. When it cannot be written (disk full, no permission), the records stay in memory
(the result is the same, the memory is not) and :attr:`SortedSpill.failed` says why, for the
reader to report (AF906).

``ANNOFORMAT_SPILL_AT`` sets how many records are held before a run is written (default
50,000, a few MiB): lower it where memory is tight, raise it to spare the disk. Inside
:func:`whole_read` nothing spills unless that variable is set: a reader that builds the whole
dataset holds more per item than its listing does (at COCO-2017 train size, YOLO's spilled
listings and size table cost ~3 s of an 18 s read).
"""

from __future__ import annotations

import heapq
import os
import pickle
import shutil
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")

#: records kept in memory before a sorted run goes to disk (~150-300 bytes each in a listing)
SPILL_AT = 50_000


_WHOLE: ContextVar[bool] = ContextVar("annoformat_whole_read", default=False)


def spill_at() -> int:
    """The records held in memory before spilling: ``ANNOFORMAT_SPILL_AT``, else ``SPILL_AT``
    (no limit inside :func:`whole_read`)."""
    given = os.environ.get("ANNOFORMAT_SPILL_AT", "").strip()
    if given.isdigit():
        return max(1, int(given))
    return sys.maxsize if _WHOLE.get() else SPILL_AT


@contextmanager
def whole_read() -> Iterator[None]:
    """Listings and tables made inside are kept in memory (unless ``ANNOFORMAT_SPILL_AT`` is
    set): for a reader that builds the whole dataset, which outweighs them.

    Example:
        >>> with whole_read():
        ...     inside = spill_at()
        >>> inside > SPILL_AT or "ANNOFORMAT_SPILL_AT" in os.environ, spill_at() <= SPILL_AT
        (True, True)
    """
    token = _WHOLE.set(True)
    try:
        yield
    finally:
        _WHOLE.reset(token)


def temp_root() -> str:
    """Where temporary folders go, for a message (``TMPDIR``, else the system's), even when
    none is usable (``tempfile`` then raises)."""
    try:
        return tempfile.gettempdir()
    except OSError:
        return os.environ.get("TMPDIR") or "the temporary folder"


def temp_folder(prefix: str) -> str:
    """A new private folder in the temporary folder (``TMPDIR``, else the system's)."""
    return tempfile.mkdtemp(prefix=prefix)
_CHUNK = 256  # records per pickle in a run: what each run holds in memory while merged


class SortedSpill(Generic[T]):
    """Records taken back in ``key`` order; equal keys keep the order they were added in.

    Example:
        >>> spill = SortedSpill[tuple[str, int]](key=lambda record: record[0], limit=2)
        >>> spill.extend([("b", 1), ("a", 2), ("c", 3), ("a", 0)])
        >>> list(spill), len(spill)
        ([('a', 2), ('a', 0), ('b', 1), ('c', 3)], 4)
    """

    def __init__(self, key: Callable[[T], Any] | None = None, limit: int | None = None) -> None:
        self.key = key
        self.limit = spill_at() if limit is None else max(1, limit)
        self.failed: str | None = None  # why the runs could not be written, if they could not
        self._memory: list[T] = []
        self._runs: list[str] = []
        self._count = 0
        self._folder: str | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def __len__(self) -> int:
        return self._count

    @property
    def spilled(self) -> bool:
        """Whether any run went to disk."""
        return bool(self._runs)

    def add(self, record: T) -> None:
        self._memory.append(record)
        self._count += 1
        if len(self._memory) >= self.limit and self.failed is None:
            self._write_run()

    def extend(self, records: Iterable[T]) -> None:
        for record in records:
            self.add(record)

    def __iter__(self) -> Iterator[T]:
        """The records in order; may be iterated again until :meth:`close`."""
        self._memory.sort(key=self.key)
        if not self._runs:
            return iter(self._memory)
        runs = [_read_run(path) for path in self._runs]
        # runs in the order they were written, the memory's last: ties keep the adding order
        return heapq.merge(*runs, self._memory, key=self.key)

    def close(self) -> None:
        """Drop the records and remove the runs now (dropping the spill does it too)."""
        self._memory = []
        self._runs = []
        if self._finalizer is not None:
            self._finalizer()

    def _write_run(self) -> None:
        self._memory.sort(key=self.key)
        try:
            if self._folder is None:
                self._folder = temp_folder("annoformat-sort-")
                self._finalizer = weakref.finalize(self, shutil.rmtree, self._folder, True)
            path = os.path.join(self._folder, f"run-{len(self._runs):05d}")
            with open(path, "wb") as fh:
                _write_chunks(fh, self._memory)
        except OSError as exc:
            where = temp_root()  # (not the folder made: its name is random)
            self.failed = f"{where}: {exc.strerror or exc}"
            return
        self._runs.append(path)
        self._memory = []


def _write_chunks(fh: IO[bytes], records: list[Any]) -> None:
    for start in range(0, len(records), _CHUNK):
        pickle.dump(records[start:start + _CHUNK], fh, protocol=pickle.HIGHEST_PROTOCOL)


def _read_run(path: str) -> Iterator[Any]:
    with open(path, "rb") as fh:
        while True:
            try:
                chunk = pickle.load(fh)
            except EOFError:
                return
            yield from chunk
