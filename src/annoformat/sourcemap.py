"""Where IR items and annotations came from, recorded by readers only when someone asks.

Project rules (``rules.py``) run over the IR but must report file locations. A reader that
supports it records, for each item and annotation index, the file and the JSON Pointer/XPath or
line it was read from, into the map active in the current context. Conversions do not record
(no cost on the fast path); ``validate`` does.

Example:
    >>> with recording() as sm:
    ...     m = current()
    ...     m.annotation(0, 2, "a.json", pointer="/annotations/7") if m else None
    >>> sm.annotations[(0, 2)].pointer
    '/annotations/7'
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Origin:
    """A file and a place in it (pointer or XPath, and/or a 1-based line)."""

    path: str
    pointer: str | None = None
    line: int | None = None


@dataclass
class SourceMap:
    """Origins of items (by index) and annotations (by item index, annotation index)."""

    items: dict[int, Origin] = field(default_factory=dict)
    annotations: dict[tuple[int, int], Origin] = field(default_factory=dict)

    def item(self, index: int, path: str, *, pointer: str | None = None,
             line: int | None = None) -> None:
        self.items[index] = Origin(path, pointer, line)

    def annotation(self, item_index: int, index: int, path: str, *, pointer: str | None = None,
                   line: int | None = None) -> None:
        self.annotations[(item_index, index)] = Origin(path, pointer, line)


_CURRENT: ContextVar[SourceMap | None] = ContextVar("annoformat_source_map", default=None)


def current() -> SourceMap | None:
    """The map readers should record into, or None when nobody asked."""
    return _CURRENT.get()


@contextlib.contextmanager
def recording() -> Iterator[SourceMap]:
    """Make a fresh SourceMap current for the duration of the block."""
    sm = SourceMap()
    token = _CURRENT.set(sm)
    try:
        yield sm
    finally:
        _CURRENT.reset(token)
