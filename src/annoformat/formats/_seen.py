"""The keys a streaming reader has seen (item ids, for the repeated-id checks), in flat memory.

A Python ``set`` of 64-bit hashes costs about 70 bytes a key (an int object and a slot) and a
``dict`` with a line per key about 110; at half a billion JSONL records that is the reader's
whole memory. :class:`SeenKeys` keeps the hashes (and optionally one int per key) in flat
``array`` tables with open addressing, a power of two slots of 8 bytes (16 with values), half
of them used at most: 16 to 32 bytes a key (32 to 64 with values), the old table beside the
new while it grows. Two different keys with equal 64-bit hashes are taken for one (odds
n²/2⁶⁵: 1e-8 for 600k keys, 0.7 % for 500M), as with a set of hashes.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable

_START = 1 << 10


class SeenKeys:
    """Keys by their 64-bit hash, each with an int recorded when first seen (a line).

    Example:
        >>> seen = SeenKeys()
        >>> seen.first(("train", "7"), 12), seen.first(("train", "7"), 40), len(seen)
        (None, 12, 1)
    """

    __slots__ = ("_count", "_hashes", "_mask", "_values")

    def __init__(self, values: bool = True) -> None:
        self._mask = _START - 1
        self._hashes = _zeros(_START)  # 0: an empty slot
        self._values: array[int] | None = _zeros(_START) if values else None
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def first(self, key: Hashable, value: int = 0) -> int | None:
        """The value recorded with ``key`` when it was first seen, or None: it is new, and
        now recorded with ``value``."""
        h = hash(key) or 1  # 0 marks an empty slot
        hashes, mask = self._hashes, self._mask
        i = h & mask
        while True:
            found = hashes[i]
            if found == h:
                return self._values[i] if self._values is not None else 0
            if not found:
                break
            i = (i + 1) & mask
        hashes[i] = h
        if self._values is not None:
            self._values[i] = value
        self._count += 1
        if self._count * 2 > mask:  # at most half full: short probe runs
            self._grow()
        return None

    def _grow(self) -> None:
        old_hashes, old_values = self._hashes, self._values
        size = (self._mask + 1) * 2
        self._mask = mask = size - 1
        self._hashes = hashes = _zeros(size)
        self._values = values = _zeros(size) if old_values is not None else None
        for j, h in enumerate(old_hashes):
            if h:
                i = h & mask
                while hashes[i]:
                    i = (i + 1) & mask
                hashes[i] = h
                if values is not None and old_values is not None:
                    values[i] = old_values[j]


def _zeros(size: int) -> array[int]:
    return array("q", (0,)) * size  # no temporary of the table's size
