"""Progress of reads, writes and image copies, counted in items (or bytes) as they happen.

A caller asks for progress by passing a callback (``load(path, progress=cb)``, ``save``,
``convert``, ``validate``); it receives :class:`ProgressEvent` objects. Readers and writers
report through :func:`track` (a loop over items) or :func:`counter` (anything else, such as
bytes of a file read line by line). Both cost nothing when no callback is set: :func:`track`
hands back the very iterable it was given and :func:`counter` returns None, so a hot loop pays
at most a ``None`` check. With a callback, events come in batches (about 100 per task, see
:func:`step_for`), never one per item of a 100 000-item dataset.

The callback is held in a context variable set by :func:`reporting`, so the
:class:`~annoformat.spec.FormatSpec` interface is unchanged: a third-party format that reports
nothing still works, and the pipeline then reports its items in one event once it is done
(:func:`finish`).

Example:
    >>> from annoformat.progress import ProgressEvent, reporting, track
    >>> seen: list[ProgressEvent] = []
    >>> with reporting(seen.append):
    ...     total = sum(track(range(500), "read"))
    >>> [(e.done, e.total) for e in seen][:3], len(seen)
    ([(0, 500), (5, 500), (10, 500)], 102)
    >>> seen[-1]
    ProgressEvent(task='read', done=500, total=500, unit='item', finished=True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Counter", "ProgressCallback", "ProgressEvent", "counter", "reporting", "track",
           "track_bytes"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class ProgressEvent:
    """How far one task is: ``done`` of ``total`` (None: not known up front) units.

    ``task`` is ``"read"``, ``"write"`` or ``"images"`` (images placed beside the labels);
    ``unit`` is ``"item"`` (``"image"`` for images), or ``"B"`` where the items cannot be
    counted before reading to the end (the line-oriented text formats, CVAT XML read as a
    stream: bytes of the file). COCO counts its items, then its annotations (unit
    ``"annotation"``, the same task after it: most of its reading is there). Every task
    starts with an event at ``done=0`` and ends with one whose ``finished`` is True, holding
    the exact final count.
    """

    task: str
    done: int
    total: int | None
    unit: str = "item"
    finished: bool = False


#: what a caller passes as ``progress=``
ProgressCallback = Callable[[ProgressEvent], None]

_CALLBACK: ContextVar[_Recorder | None] = ContextVar("annoformat_progress", default=None)


class _Recorder:
    """The caller's callback, and which tasks have finished (see :func:`finish`)."""

    __slots__ = ("callback", "finished")

    def __init__(self, callback: ProgressCallback) -> None:
        self.callback = callback
        self.finished: set[str] = set()

    def __call__(self, event: ProgressEvent) -> None:
        if event.finished:
            self.finished.add(event.task)
        self.callback(event)


@contextmanager
def reporting(callback: ProgressCallback | None) -> Iterator[None]:
    """Send the progress of every read and write inside the block to ``callback`` (None: no
    progress, and no cost)."""
    token = _CALLBACK.set(_Recorder(callback) if callback is not None else None)
    try:
        yield
    finally:
        _CALLBACK.reset(token)


def step_for(total: int | None, unit: str) -> int:
    """How many items (or bytes) between two events: about 100 events per task, at least one
    per 1000 items (or per MiB) when the total is not known."""
    if unit == "B":
        return max(1 << 16, min(total // 100, 1 << 20)) if total else 1 << 20
    if total is None:
        return 1000
    return max(1, min(total // 100, 1000))


class Counter:
    """A running count for one task; :meth:`add` is cheap between events."""

    __slots__ = ("_emit", "_next", "done", "step", "task", "total", "unit")

    def __init__(self, emit: Callable[[ProgressEvent], None], task: str, total: int | None,
                 unit: str) -> None:
        self._emit, self.task, self.total, self.unit = emit, task, total, unit
        self.done = 0
        self.step = step_for(total, unit)
        self._next = self.step
        emit(ProgressEvent(task, 0, total, unit))

    def add(self, n: int = 1) -> None:
        """Count ``n`` more items (bytes); an event once a step's worth has gathered."""
        self.done += n
        if self.done >= self._next:
            self._next = self.done + self.step
            self._emit(ProgressEvent(self.task, self.done, self.total, self.unit))

    def close(self) -> None:
        """The final event: the exact count (the total, if it was not known or was passed,
        becomes it)."""
        total = self.done if self.total is None or self.done > self.total else self.total
        self._emit(ProgressEvent(self.task, self.done, total, self.unit, finished=True))


def counter(task: str, total: int | None = None, unit: str = "item") -> Counter | None:
    """A :class:`Counter` reporting to the current callback, or None when nobody listens
    (then the caller skips counting: ``if count is not None: count.add(n)``). The caller
    calls :meth:`Counter.close` when done."""
    recorder = _CALLBACK.get()
    return None if recorder is None else Counter(recorder, task, total, unit)


def track(items: Iterable[_T], task: str, total: int | None = None,
          unit: str = "item") -> Iterable[_T]:
    """``items`` as they are, counting each one once the loop body is done with it.

    Without a callback this returns ``items`` itself (no cost); with one, a generator that
    reports in batches and sends the final count when the loop ends. ``total`` defaults to
    ``len(items)`` when it has one.
    """
    recorder = _CALLBACK.get()
    if recorder is None:
        return items
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    return _tracked(items, Counter(recorder, task, total, unit))


def track_bytes(chunks: Iterable[bytes], task: str, total: int | None) -> Iterable[bytes]:
    """``chunks`` of a file as they are, counting their bytes (``total``: the file's size);
    for readers that parse a stream whose items are not known before the end."""
    recorder = _CALLBACK.get()
    if recorder is None:
        return chunks
    return _weighed(chunks, Counter(recorder, task, total, "B"))


def _weighed(chunks: Iterable[bytes], count: Counter) -> Iterator[bytes]:
    try:
        for chunk in chunks:
            yield chunk
            count.add(len(chunk))
    finally:
        count.close()


def _tracked(items: Iterable[_T], count: Counter) -> Iterator[_T]:
    try:
        for item in items:
            yield item
            count.add()
    finally:
        count.close()


def begin(task: str) -> None:
    """A new ``task`` starts (a second file read in one call): :func:`finish` forgets that
    an earlier one finished."""
    recorder = _CALLBACK.get()
    if recorder is not None:
        recorder.finished.discard(task)


def finish(task: str, done: int) -> None:
    """Report ``task`` done with ``done`` items unless its reader or writer already did (a
    third-party format that reports nothing still shows its count)."""
    recorder = _CALLBACK.get()
    if recorder is not None and task not in recorder.finished:
        count = Counter(recorder, task, done, "item")
        count.done = done
        count.close()
