"""Real image files for tests and benchmarks, written without an imaging library.

Example:
    >>> import tempfile, pathlib, imagesize
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> write_png(path, 4, 3)
    >>> imagesize.get(str(path))
    (4, 3)
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def png_bytes(width: int, height: int, shade: int = 128) -> bytes:
    """An 8-bit grey ``width`` x ``height`` PNG (zlib + CRC: every decoder reads it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes([shade]) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height, 1))
            + chunk(b"IEND", b""))


def write_png(path: Path, width: int, height: int, shade: int = 128) -> None:
    """Write :func:`png_bytes` to ``path`` (parent folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(width, height, shade))
