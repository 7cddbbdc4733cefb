"""Hardened input and atomic output shared by every format.

* bytes are read by annoformat itself with a size cap (AF001, AF002, AF901);
* JSON is parsed by orjson (fast path, no positions); parse errors become coded diagnostics with
  line:column; positions of JSON Pointers are computed *only* when something failed, by a second
  scan of the bytes (:func:`json_positions`);
* output goes through :mod:`annoformat._output` (atomic, exclusive, durable).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import resource
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from annoformat.diagnostics import Report

DEFAULT_MAX_BYTES = 8 * 1024**3
#: files up to this size are also scanned for duplicate keys (AF006); orjson keeps the last
#: value silently, and the scan costs about 3x the orjson parse, so larger files skip it
DUPLICATE_KEY_SCAN_BYTES = 16 * 1024**2
_BOM = b"\xef\xbb\xbf"
#: how much of a text file is looked at for NUL bytes before the rest is read
_SNIFF_BYTES = 64 * 1024


def max_bytes_limit() -> int:
    """The input size cap: ``ANNOFORMAT_MAX_BYTES`` from the environment (``annoformat
    --max-bytes``), else 8 GiB. Checked against the size and again as bytes arrive."""
    value = os.environ.get("ANNOFORMAT_MAX_BYTES", "")
    return int(value) if value.isdigit() else DEFAULT_MAX_BYTES


def parse_size(text: str) -> int | None:
    """``"500M"`` -> 524288000 (K, M, G, T are powers of 1024; plain digits are bytes)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if m is None:
        return None
    return int(m.group(1)) * int(1024 ** " KMGT".index(m.group(2).upper() or " "))


def special_kind(path: Path) -> str | None:
    """What ``path`` is when it exists but is neither a regular file nor a folder (a device,
    a FIFO, a socket): such "files" never end, or block, when read."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return kind_of_mode(mode)


def kind_of_mode(mode: int) -> str | None:
    """What a file of this ``st_mode`` is when it is not a regular file or folder, else None."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic structures.

    Parsing a COCO-2017-sized file allocates tens of millions of objects; each allocation
    burst triggers full collections that scan everything built so far (about two thirds of
    ``orjson.loads``' time on that file). The IR has no reference cycles, so nothing is lost.

    On exit the objects built are moved to the permanent generation (``gc.freeze``) before
    the collector is switched back on: otherwise its first run would scan all of them at
    once (about a second per 100 MB of COCO). Frozen objects are still freed by reference
    counting as usual; they are only skipped by the cycle detector.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def read_bytes(path: Path, report: Report, max_bytes: int | None = None) -> bytes | None:
    """The bytes of the text file ``path``, or None with the reason recorded: AF001 missing,
    AF002 unreadable, AF065 a device/FIFO/socket, AF066 binary (a NUL byte in its first 64 KiB,
    found before the rest is read), AF901 over ``max_bytes`` (its size, or the bytes that
    arrived: a file that grows while read is cut at the cap, never read to the end)."""
    shown = str(path)
    max_bytes = max_bytes_limit() if max_bytes is None else max_bytes
    try:
        st = path.stat()
    except FileNotFoundError:
        report.add("AF001", path=shown)
        return None
    except OSError as exc:
        report.add("AF002", path=shown, reason=exc.strerror or str(exc))
        return None
    if stat.S_ISDIR(st.st_mode):
        report.add("AF002", path=shown, reason="it is a directory")
        return None
    kind = kind_of_mode(st.st_mode)
    if kind is not None:
        report.add("AF065", path=shown, kind=kind)
        return None
    if st.st_size > max_bytes:
        report.add("AF901", path=shown, size=st.st_size, limit=max_bytes)
        return None
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
            nul = head.find(b"\x00")
            if nul >= 0:
                report.add("AF066", path=shown, offset=nul)
                return None
            data = head
            if len(head) == _SNIFF_BYTES:  # more to come: one read of the whole file,
                fh.seek(0)  # so that no second copy of it is ever in memory
                data = fh.read(min(st.st_size, max_bytes) + 1)
            if len(data) > st.st_size:  # it grew since stat: read on, up to the cap only
                parts = [data]
                total = len(data)
                while total <= max_bytes:
                    chunk = fh.read(min(1 << 20, max_bytes - total + 1))
                    if not chunk:
                        break
                    parts.append(chunk)
                    total += len(chunk)
                data = b"".join(parts)
    except OSError as exc:
        report.add("AF002", path=shown, reason=exc.strerror or str(exc))
        return None
    if len(data) > max_bytes:
        report.add("AF901", path=shown, size=f"more than {max_bytes}", limit=max_bytes)
        return None
    return data


class ReadAborted(Exception):
    """A streamed read stopped early; its diagnostic (AF002/AF901) is in the report."""


def stream_bytes(path: Path, report: Report, max_bytes: int | None = None,
                 chunk: int = 1 << 20) -> Iterator[bytes] | None:
    """The file's bytes in chunks, for readers that parse as bytes arrive (bounded memory);
    None with AF001/AF002/AF901 recorded when it cannot be read, as :func:`read_bytes`. The
    size cap is checked again as the bytes arrive (a file that grows): the iterator records
    AF901 (or AF002 for a failed read) and raises :class:`ReadAborted`."""
    shown = str(path)
    limit = max_bytes_limit() if max_bytes is None else max_bytes
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        report.add("AF001", path=shown)
        return None
    except OSError as exc:
        report.add("AF002", path=shown, reason=exc.strerror or str(exc))
        return None
    if path.is_dir():
        report.add("AF002", path=shown, reason="it is a directory")
        return None
    if size > limit:
        report.add("AF901", path=shown, size=size, limit=limit)
        return None
    try:
        fh = path.open("rb")
    except OSError as exc:
        report.add("AF002", path=shown, reason=exc.strerror or str(exc))
        return None

    def chunks() -> Iterator[bytes]:
        seen = 0
        with fh:
            while True:
                try:
                    data = fh.read(chunk)
                except OSError as exc:
                    report.add("AF002", path=shown, reason=exc.strerror or str(exc))
                    raise ReadAborted(shown) from exc
                if not data:
                    return
                seen += len(data)
                if seen > limit:
                    report.add("AF901", path=shown, size=seen, limit=limit)
                    raise ReadAborted(shown)
                yield data

    return chunks()


_BLOCK = 1 << 20


def _blocks(data: bytes) -> Iterator[tuple[int, bytes]]:
    """``data`` in pieces of about 1 MiB, each cut after a newline (never inside a UTF-8
    sequence nor a CRLF), with its offset."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + _BLOCK)
        end = len(data) if end < 0 else end + 1
        yield start, data[start:end]
        start = end


def utf8_error(data: bytes) -> tuple[int, str] | None:
    """The offset and reason of the first byte that is not UTF-8, if any."""
    for start, block in _blocks(data):
        try:
            block.decode("utf-8")
        except UnicodeDecodeError as exc:
            return start + exc.start, exc.reason
    return None


def text_lines(data: bytes) -> Iterator[str]:
    """``data.decode().splitlines()``, a block at a time: a large file's lines are never all
    held (check :func:`utf8_error` first)."""
    for _, block in _blocks(data):
        yield from block.decode("utf-8").splitlines()


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of byte ``offset``."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


#: bytes of memory per byte of JSON while orjson parses a document into Python objects (a
#: generated 108 MiB COCO file: 9.0 resident, 17.8 of address space at the peak), with margins
JSON_RESIDENT_FACTOR, JSON_ADDRESS_FACTOR = 10, 20


def memory_headroom() -> tuple[int | None, int | None]:
    """``(address space, resident)`` bytes this process can still take: what the address-space
    limit (ulimit -v) leaves beside what is mapped; and the least of what the cgroup's
    memory.max leaves and the machine's MemAvailable. None where no limit is known."""
    address = None
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    mapped = _status_kib("VmSize")
    if soft != resource.RLIM_INFINITY and mapped is not None:
        address = soft - mapped * 1024
    resident: list[int] = []
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            resident.append(int(limit) - int(Path("/sys/fs/cgroup/memory.current").read_text()))
    except (OSError, ValueError):
        pass
    available = _meminfo_kib("MemAvailable")
    if available is not None:
        resident.append(available * 1024)
    return address, min(resident) if resident else None


def memory_problem(size: int, *, resident: float, address: float) -> str | None:
    """Why reading ``size`` bytes that need ``resident`` / ``address`` times their size of
    memory / address space would run out, or None (also when no limit is known)."""
    free_address, free_resident = memory_headroom()
    for need, free, kind in ((int(address * size), free_address, "of address space"),
                             (int(resident * size), free_resident, "of memory")):
        if free is not None and need > free:
            return f" (it needs about {_mib(need)} {kind}; {_mib(free)} are available)"
    return None


def _status_kib(key: str) -> int | None:
    return _kib_field(Path("/proc/self/status"), key)


def _meminfo_kib(key: str) -> int | None:
    return _kib_field(Path("/proc/meminfo"), key)


def _kib_field(path: Path, key: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _mib(n: int) -> str:
    return f"{max(n, 0) / 2**20:,.0f} MiB"


def parse_json(data: bytes, path: str, report: Report) -> Any:
    """Parse JSON bytes; on failure record AF003/AF005/AF007/AF902 and return None.

    A leading BOM is tolerated with AF004 (RFC 8259 forbids it; many tools write it).
    Duplicate keys are detected by :func:`find_duplicate_keys` (slow path, see there).
    """
    if data.startswith(_BOM):
        report.add("AF004", path=path, line=1, column=1)
        data = data[len(_BOM):]
    problem = memory_problem(len(data), resident=JSON_RESIDENT_FACTOR,
                             address=JSON_ADDRESS_FACTOR)
    if problem is not None:  # orjson crashes (SIGSEGV) when an allocation fails: never try
        report.add("AF905", path=path, detail=problem)
        return None
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "memory" in exc.msg.lower():
            report.add("AF905", path=path, detail="")
        else:
            _report_json_error(data, exc, path, report)
        return None
    except MemoryError:
        report.add("AF905", path=path, detail="")
        return None
    if len(data) <= DUPLICATE_KEY_SCAN_BYTES and has_duplicate_keys(data):
        for ptr, key, offset in find_duplicate_keys(data):
            line, col = line_col(data, offset)
            report.add("AF006", path=path, line=line, column=col, pointer=ptr, key=key)
    return doc


class _Duplicate(Exception):
    """Raised by the stdlib parser's hook at the first repeated key."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate
    return out


def has_duplicate_keys(data: bytes) -> bool:
    """Whether a JSON object in ``data`` repeats a key (orjson keeps the last silently)."""
    try:
        json.loads(data, object_pairs_hook=_no_duplicates)
    except _Duplicate:
        return True
    except ValueError:  # orjson accepted it; stdlib quirks (e.g. lone surrogates) are not ours
        return False
    return False


def find_duplicate_keys(data: bytes) -> list[tuple[str, str, int]]:
    """``(pointer, key, byte offset)`` of each repeated key (slow path: one token scan)."""
    return [(f"{ptr}/{_escape(key)}", key, offset)
            for kind, ptr, key, offset in _walk(data, repeated_keys=True) if kind == "repeat"]


def _report_json_error(data: bytes, exc: orjson.JSONDecodeError, path: str, report: Report) -> None:
    msg = exc.msg
    if "UTF-8" in msg:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as uexc:
            line, col = line_col(data, uexc.start)
            report.add("AF003", path=path, line=line, column=col, offset=uexc.start,
                       reason=uexc.reason)
            return
        report.add("AF003", path=path, offset=0, reason=msg)
        return
    if "depth limit" in msg or "recursion" in msg:
        report.add("AF902", path=path, line=exc.lineno, column=exc.colno, limit=1024)
        return
    text = data.decode("utf-8", errors="replace")
    text_after = text[exc.pos: exc.pos + 9]
    if msg.startswith("number is infinity"):
        # a finite literal beyond the double range (1e400, 400 digits): not NaN or Infinity
        report.add("AF313", path=path, line=exc.lineno, column=exc.colno,
                   text=_number_shown(text, exc.pos))
        return
    if re.match(r"-?(NaN|Infinity)", text_after) or (
        msg == "no digit after sign" and text_after[:1] == "I"
    ):
        report.add("AF007", path=path, line=exc.lineno, column=exc.colno, reason=msg)
        return
    report.add("AF005", path=path, line=exc.lineno, column=exc.colno, reason=msg)


_NUMBER = re.compile(r"-?[0-9.eE+-]+")


def _number_shown(text: str, pos: int, keep: int = 24) -> str:
    """The number literal starting at ``pos``, shortened when long (400 digits stay readable)."""
    found = _NUMBER.match(text, pos)
    literal = found.group() if found else text[pos: pos + keep]
    if len(literal) <= keep:
        return literal
    return f"{literal[:keep]}... ({len(literal)} characters)"


_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}:,]|[^\s\[\]{}:,"]+', re.DOTALL)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def json_positions(data: bytes, pointers: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Line and column (1-based) where the value at each JSON Pointer starts.

    The slow path behind "positions only when something failed": one tokenising pass over the
    bytes, skipping containers that lead to no wanted pointer. Pointers not found are absent.
    """
    wanted = set(pointers)
    if not wanted:
        return {}
    prefixes = {""}
    for p in wanted:
        parts = p.split("/")
        for i in range(1, len(parts)):
            prefixes.add("/".join(parts[: i + 1]))
    found: dict[str, int] = {}
    for kind, ptr, _key, offset in _walk(data, follow=prefixes.__contains__):
        if kind == "value" and ptr in wanted:
            found.setdefault(ptr, offset)
            if len(found) == len(wanted):
                break
    at = line_cols(data, found.values())
    return {p: at[off] for p, off in found.items()}


def line_cols(data: bytes, offsets: Iterable[int]) -> dict[int, tuple[int, int]]:
    """:func:`line_col` of many offsets in one pass (sorted, each counted from the one
    before): thousands of positions in a one-line 20 MB COCO file stay linear, not quadratic.
    Offsets must fall on character boundaries (token starts do)."""
    out: dict[int, tuple[int, int]] = {}
    line, line_start, prev, column = 1, 0, 0, 1
    for off in sorted(set(offsets)):
        newlines = data.count(b"\n", prev, off)
        if newlines:
            line += newlines
            line_start = data.rfind(b"\n", prev, off) + 1
            column = len(data[line_start:off].decode("utf-8", errors="replace")) + 1
        else:
            column += len(data[prev:off].decode("utf-8", errors="replace"))
        out[off] = (line, column)
        prev = off
    return out


def _walk(data: bytes, *, follow: Callable[[str], bool] | None = None,
          repeated_keys: bool = False) -> Iterator[tuple[str, str, str, int]]:
    """Events of one token scan of JSON bytes, with JSON Pointers.

    ``("value", pointer, "", offset)`` where each value starts, and with ``repeated_keys``
    ``("repeat", pointer of the object, key, offset)`` for each key seen twice in one object.
    Inside a container whose pointer ``follow`` rejects, no events (it is still tokenised).
    """
    # a frame: [is_object, pointer, current key or index, expecting a key, followed, keys]
    stack: list[list[Any]] = []
    root_pending = True
    for match in _TOKEN.finditer(data, 3 if data.startswith(_BOM) else 0):
        tok = match.group()
        first = tok[:1]
        if first in (b"{", b"["):
            ptr = _value_pointer(stack, root_pending)
            root_pending = False
            if ptr is not None:
                yield "value", ptr, "", match.start()
            followed = ptr is not None and (follow is None or follow(ptr))
            stack.append([first == b"{", ptr or "", 0, first == b"{", followed, set()])
        elif first in (b"}", b"]"):
            if stack:
                stack.pop()
        elif first == b":":
            if stack:
                stack[-1][3] = False
        elif first == b",":
            if stack:
                frame = stack[-1]
                if frame[0]:
                    frame[3] = True
                else:
                    frame[2] += 1
        elif stack and stack[-1][0] and stack[-1][3]:  # an object key
            frame = stack[-1]
            if frame[4] or repeated_keys:
                try:
                    key = orjson.loads(tok)
                except orjson.JSONDecodeError:
                    key = tok[1:-1].decode("utf-8", errors="replace")
                if repeated_keys:
                    if key in frame[5]:
                        yield "repeat", frame[1], key, match.start()
                    frame[5].add(key)
                frame[2] = key
        else:
            ptr = _value_pointer(stack, root_pending)
            root_pending = False
            if ptr is not None:
                yield "value", ptr, "", match.start()


def _value_pointer(stack: list[list[Any]], root_pending: bool) -> str | None:
    if not stack:
        return "" if root_pending else None
    frame = stack[-1]
    return f"{frame[1]}/{_escape(str(frame[2]))}" if frame[4] else None


def fill_json_positions(report: Report, path: str, data: bytes, *, since: int = 0) -> None:
    """Give every diagnostic of ``path`` recorded after index ``since`` its line and column."""
    todo = [
        d for d in report.diagnostics[since:]
        if d.location.path == path and d.location.pointer is not None and d.location.line is None
    ]
    if not todo:
        return
    positions = json_positions(data, {d.location.pointer for d in todo if d.location.pointer})
    for d in todo:
        pos = positions.get(d.location.pointer or "")
        if pos is None and d.location.pointer:
            # a missing key: point at its parent object instead
            parent = d.location.pointer.rsplit("/", 1)[0]
            pos = json_positions(data, [parent]).get(parent)
        if pos is not None:
            d.location.line, d.location.column = pos


def pointer(*segments: str | int) -> str:
    """An RFC 6901 JSON Pointer: ``pointer("annotations", 3) == "/annotations/3"``."""
    return "".join("/" + _escape(str(s)) for s in segments)


def is_safe_relative(name: str) -> bool:
    """True when ``name`` stays inside a folder it is joined to (no absolute path, no '..',
    no drive letter, no NUL that no file system accepts)."""
    if not name or name.startswith(("/", "\\")) or "\x00" in name or (
            len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        return False
    if ".." not in name:  # the common case, without a split
        return True
    return ".." not in name.replace("\\", "/").split("/")
