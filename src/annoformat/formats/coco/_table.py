"""Compact whole-file state for streaming: where each integer key was first met.

A dict of Python ints costs about 100 bytes an entry; :class:`IntTable` keeps the same facts
in two flat arrays (8 bytes a key, 4 a value, at most two thirds full: 18 to 36 bytes an
entry), which is what lets a COCO file of millions of annotations stream in flat memory.
"""

from __future__ import annotations

from array import array

_GOLD = 0x9E3779B97F4A7C15  # Fibonacci hashing: spreads ids that share low bits
_M64 = (1 << 64) - 1


class IntTable:
    """A map of 64-bit integer keys to non-negative ints below 2**31 - 1, in open addressing.

    Example:
        >>> t = IntTable()
        >>> t[7] = 0
        >>> t[-3] = 12
        >>> t.get(7), t.get(-3), t.get(8), len(t)
        (0, 12, None, 2)
    """

    def __init__(self, bits: int = 10) -> None:
        self._empty(bits)

    def _empty(self, bits: int) -> None:
        self._bits = bits
        self._mask = (1 << bits) - 1
        self._keys = array("q", bytes(8 << bits))
        self._vals = array("i", bytes(4 << bits))  # value + 1; 0 marks an empty slot
        self._used = 0

    def __len__(self) -> int:
        return self._used

    def _slot(self, key: int) -> int:
        keys, vals, mask = self._keys, self._vals, self._mask
        slot = ((key * _GOLD) & _M64) >> (64 - self._bits)
        while vals[slot] and keys[slot] != key:
            slot = (slot + 1) & mask
        return slot

    def get(self, key: int, /) -> int | None:
        """The value of ``key``, or None."""
        keys, vals, mask = self._keys, self._vals, self._mask
        slot = ((key * _GOLD) & _M64) >> (64 - self._bits)
        while True:  # _slot inlined: this runs once per annotation
            value = vals[slot]
            if not value:
                return None
            if keys[slot] == key:
                return value - 1
            slot = (slot + 1) & mask

    def __setitem__(self, key: int, value: int, /) -> None:
        slot = self._slot(key)
        if not self._vals[slot]:
            self._used += 1
            self._keys[slot] = key
        self._vals[slot] = value + 1
        if 3 * self._used > 2 * (self._mask + 1):
            self._grow()

    def _grow(self) -> None:
        keys, vals = self._keys, self._vals
        self._empty(self._bits + 1)
        for key, value in zip(keys, vals, strict=True):
            if value:
                self[key] = value - 1


class DenseTable:
    """:class:`IntTable`'s map for ids that mostly run from 0 up without big gaps (COCO image
    ids): an array indexed by the id, 4 bytes an id up to the largest, grown while the ids stay
    within 8 slots per entry; the others go to an :class:`IntTable`.

    Example:
        >>> t = DenseTable()
        >>> t[3] = 0
        >>> t[10**15] = 1
        >>> t.get(3), t.get(10**15), t.get(4), len(t)
        (0, 1, None, 2)
    """

    def __init__(self) -> None:
        self._slots = array("i")  # value + 1; 0 marks an empty slot
        self._others = IntTable()
        self._used = 0

    def __len__(self) -> int:
        return self._used

    def get(self, key: int, /) -> int | None:
        slots = self._slots
        if 0 <= key < len(slots):
            value = slots[key]
            if value:
                return value - 1
        return self._others.get(key) if len(self._others) else None

    def __setitem__(self, key: int, value: int, /) -> None:
        slots = self._slots
        if key >= len(slots) and 0 <= key < 8 * (self._used + 4096):
            slots.frombytes(bytes(4 * max(key + 1 - len(slots), len(slots))))
        if 0 <= key < len(slots):
            if not slots[key] and self._others.get(key) is None:
                self._used += 1
            slots[key] = value + 1
        else:
            if self._others.get(key) is None:
                self._used += 1
            self._others[key] = value
