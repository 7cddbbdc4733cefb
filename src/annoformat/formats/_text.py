"""Shared helpers for the line-oriented text formats (jsonl, doccano, prodigy, label-studio, conll).

* Lines are split on ``b"\\n"`` only: U+2028/U+2029 inside a JSON string are characters, not
  line breaks (Python's ``str.splitlines`` would split there). A trailing ``\\r`` (CRLF files)
  is dropped; a UTF-8 BOM before the first line is skipped with AF004. Blank lines are skipped
  but still counted, so reported line numbers are the file's.
* Records are parsed one line at a time (:func:`iter_records`), so memory stays flat however big
  the file is; invalid JSON on one line is AF005 (file:line:column) and the next line is read.
* Offsets in the IR are code points; :class:`Utf16Offsets` converts Label Studio's UTF-16 code
  units exactly (both directions are inverses on every character boundary).
* :func:`tokenize` is the documented tokenizer used where a token-based format (CoNLL) needs
  tokens the source did not have.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from annoformat import schemas, sourcemap
from annoformat._io import kind_of_mode, parse_json
from annoformat.checks import Finding, check_span, check_span_set
from annoformat.diagnostics import Report
from annoformat.formats._seen import SeenKeys
from annoformat.model import Dataset, Item, Label, Span, Text, build, defaults_of
from annoformat.progress import counter
from annoformat.spec import Stream

BOM = b"\xef\xbb\xbf"
#: default cap on one record (AF925); a record that large is not an annotation
MAX_LINE_BYTES = 64 * 1024**2
JSONL_EXTENSIONS = (".jsonl", ".ndjson", ".jsonlines")


# --------------------------------------------------------------------------------------------
# reading


def iter_lines(path: Path, report: Report, max_line_bytes: int = MAX_LINE_BYTES,
               keep_blank: bool = False) -> Iterator[tuple[int, bytes]]:
    """``(line_number, content)`` for every non-blank line (every line with ``keep_blank``);
    CR and a first-line BOM removed."""
    shown = str(path)
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        report.add("AF001", path=shown)
        return
    except OSError as exc:
        report.add("AF002", path=shown, reason=exc.strerror or str(exc))
        return
    with fh:
        kind = kind_of_mode(os.fstat(fh.fileno()).st_mode)
        if kind is not None:  # a device or FIFO never ends: refused before any line
            report.add("AF065", path=shown, kind=kind)
            return
        # bytes: the lines (items) of a stream are not known before its end
        count = counter("read", os.fstat(fh.fileno()).st_size, "B")
        number = 0
        while True:
            try:
                raw = fh.readline(max_line_bytes + 1)
            except OSError as exc:
                report.add("AF002", path=shown, reason=exc.strerror or str(exc))
                return
            if not raw:
                if count is not None:
                    count.close()
                return
            if count is not None:
                count.add(len(raw))
            number += 1
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                report.add("AF925", path=shown, line=number, limit=max_line_bytes)
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                    raw = fh.readline(1 << 20)
                continue
            if number == 1 and raw.startswith(BOM):
                report.add("AF004", path=shown, line=1, column=1)
                raw = raw[3:]
            line = raw.rstrip(b"\r\n")
            if keep_blank or line.strip():
                yield number, line


def parse_line(line: bytes, number: int, path: str, report: Report) -> Any:
    """One JSON line parsed, or None with AF003/AF005/AF007 recorded at ``path:number:col``."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        scratch = Report()
        parse_json(line, path, scratch)
        for diag in scratch:
            diag.location.line = number
        report.extend(scratch)
        return None


def iter_records(path: Path, report: Report,
                 max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, Any]]:
    """``(line_number, parsed_value)`` per line; lines that are not JSON are reported, skipped."""
    shown = str(path)
    for number, line in iter_lines(path, report, max_line_bytes):
        value = parse_line(line, number, shown, report)
        if value is not None:
            yield number, value


def iter_checked_records(path: Path, report: Report, schema: str,
                         max_line_bytes: int = MAX_LINE_BYTES
                         ) -> Iterator[tuple[int, int, Any]]:
    """``(record number, line, record)`` for records with a ``text`` string that satisfy
    ``schema``; the others are reported (AF130, AF101) with their line and skipped, but still
    counted (a record number can be an item's id)."""
    shown = str(path)
    for index, (line, rec) in enumerate(iter_records(path, report, max_line_bytes), start=1):
        if isinstance(rec, dict) and not isinstance(rec.get("text"), str):
            report.add("AF130", path=shown, line=line, pointer="/text", key="text")
            continue
        if not schemas.is_valid(schema, rec):
            for ptr, message in schemas.iter_errors(schema, rec):
                report.add("AF101", path=shown, line=line, pointer=ptr, reason=message)
            continue
        yield index, line, rec


class ItemIds:
    """AF207 for an item id seen before in the stream; keeps one hash per id (16 bytes)."""

    def __init__(self, report: Report, enabled: bool = True) -> None:
        self.report = report
        self.enabled = enabled
        self.seen = SeenKeys(values=False)

    def check(self, item: Item, path: str, line: int | None, pointer: str = "/id") -> None:
        if self.enabled and self.seen.first(item.id) is not None:
            self.report.add("AF207", path=path, line=line, pointer=pointer, item_id=item.id,
                            subset=None)


def first_record(path: Path, limit: int = 1 << 20) -> Any:
    """The first non-blank line of ``path`` parsed as JSON (None when it is not), for detection."""
    try:
        with path.open("rb") as fh:
            for _ in range(20):
                raw = fh.readline(limit)
                if not raw:
                    return None
                line = raw.removeprefix(BOM).strip()
                if line:
                    return orjson.loads(line)
    except (OSError, orjson.JSONDecodeError):
        return None
    return None


def jsonl_keys(path: Path) -> set[str] | None:
    """The keys of the first record of a JSONL file (None: not a ``.jsonl`` object per line)."""
    if not path.is_file() or path.suffix.lower() not in JSONL_EXTENSIONS:
        return None
    first = first_record(path)
    return set(first) if isinstance(first, dict) else None


# --------------------------------------------------------------------------------------------
# writing


def dump_line(record: Any) -> bytes:
    """One record as a JSON line: compact, keys in insertion order, shortest round-trip floats."""
    return orjson.dumps(record) + b"\n"


def write_lines(dest: Path, lines: Iterable[bytes], report: Report) -> None:
    """Write ``lines`` to ``dest`` as they come (the caller stages the destination)."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("wb", buffering=1 << 20) as fh:
            for line in lines:
                fh.write(line)
    except OSError as exc:
        report.add("AF015", path=str(dest), reason=exc.strerror or str(exc))
    except TypeError as exc:  # orjson: a value JSON cannot hold (a >64-bit int in extras)
        report.add("AF102", path=str(dest), format=dest.suffix, reason=str(exc))


def write_records(dest: Path, records: Iterable[dict[str, Any]], schema: str, format_name: str,
                  report: Report) -> None:
    """Write ``records`` as JSON lines, each checked against ``schema`` first (AF102 stops)."""

    def lines() -> Iterator[bytes]:
        for number, record in enumerate(records, start=1):
            if not schemas.is_valid(schema, record):
                for ptr, message in list(schemas.iter_errors(schema, record))[:10]:
                    report.add("AF102", path=str(dest), line=number, pointer=ptr,
                               format=format_name, reason=message)
                return
            yield dump_line(record)

    write_lines(dest, lines(), report)


class TextOptions(BaseModel):
    """Options every text dialect shares.

    ``labels``: the allowed label set (others are AF208); ``allow_overlap``: overlapping spans
    are fine instead of AF406; ``max_line_bytes``: the cap on one record (AF925).
    """

    # defer_build: the validator is built on first use, not when discovery imports it
    model_config = ConfigDict(extra="forbid", defer_build=True)
    labels: list[str] | None = Field(
        default=None,
        description="reading: the allowed label set; a label outside it is AF208 (default: any)")
    allow_overlap: bool = Field(
        default=False,
        description="reading: overlapping spans are accepted instead of reported (AF406)")
    max_line_bytes: int = Field(
        default=MAX_LINE_BYTES,
        description="reading: the largest record (one line) in bytes; a longer one is AF925")


def text_items(items: Iterable[Item]) -> Iterator[tuple[Item, str]]:
    """The items with text media (others were reported by the conversion planner: AF509)."""
    for item in items:
        if isinstance(item.media, Text):
            yield item, item.media.text


_INT_ID = re.compile(r"-?(0|[1-9]\d{0,17})")


def item_id_of(raw: Any, index: int) -> tuple[str, dict[str, Any]]:
    """The IR item id for a record's ``id`` (``index`` when absent) and the flags that let
    :func:`raw_id_of` give the same JSON value back."""
    if raw is None:
        return str(index), {"no_id": True}
    if isinstance(raw, str) and _INT_ID.fullmatch(raw):
        return raw, {"id_str": True}
    return str(raw), {}


def raw_id_of(item_id: str, flags: dict[str, Any]) -> int | str | None:
    """The JSON ``id`` to write for ``item_id`` (None: write no id): numbers stay numbers."""
    if flags.get("no_id"):
        return None
    if _INT_ID.fullmatch(item_id) and not flags.get("id_str"):
        return int(item_id)
    return item_id


# --------------------------------------------------------------------------------------------
# offsets and tokens


class Utf16Offsets:
    """Exact conversion between code-point offsets (the IR) and UTF-16 code units.

    Example:
        >>> m = Utf16Offsets("😀 Paris")
        >>> m.to_utf16(2), m.to_code_point(3), m.to_code_point(1)
        (3, 2, None)
    """

    def __init__(self, text: str) -> None:
        self.text = text
        # code point index -> UTF-16 index, only where they differ (after an astral character)
        self._astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
        if self._astral:
            u16 = [0]
            for ch in text:
                u16.append(u16[-1] + (2 if ord(ch) > 0xFFFF else 1))
            self._u16 = u16
            self._cp = {u: i for i, u in enumerate(u16)}
        self.length16 = len(text) + len(self._astral)

    def to_utf16(self, offset: int) -> int:
        """UTF-16 units before code point ``offset`` (offsets past the end extrapolate)."""
        if not self._astral or offset <= self._astral[0]:
            return offset
        if 0 <= offset < len(self._u16):
            return self._u16[offset]
        return self.length16 + offset - len(self.text)

    def to_code_point(self, offset: int) -> int | None:
        """Code points before UTF-16 unit ``offset``; None inside a surrogate pair."""
        if not self._astral or offset <= self._astral[0]:
            return offset
        if offset > self.length16:
            return len(self.text) + offset - self.length16
        return self._cp.get(offset)

    def char_at_utf16(self, offset: int) -> str:
        """The character whose two UTF-16 units surround ``offset`` (for AF407 messages)."""
        cp = self.to_code_point(offset - 1)
        return self.text[cp] if cp is not None and 0 <= cp < len(self.text) else ""


TOKENIZERS: dict[str, re.Pattern[str]] = {
    "whitespace": re.compile(r"\S+"),
    "words": re.compile(r"\w+|[^\w\s]"),
}
Tokenizer = Literal["whitespace", "words"]


def tokenize(text: str, tokenizer: Tokenizer = "whitespace") -> list[tuple[int, int]]:
    """Token ``[start, end)`` code-point offsets of ``text``.

    ``whitespace``: maximal runs of non-whitespace (what CoNLL's columns imply; exact for text
    rebuilt from CoNLL). ``words``: runs of word characters, every other non-space character a
    token of its own (``"Paris."`` -> ``Paris``, ``.``).

    Example:
        >>> tokenize("Hi, Bob!", "words")
        [(0, 2), (2, 3), (4, 7), (7, 8)]
    """
    return [m.span() for m in TOKENIZERS[tokenizer].finditer(text)]


# --------------------------------------------------------------------------------------------
# building IR objects fast (readers validated the values already)

_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}


def fresh_defaults(cls: type[BaseModel]) -> dict[str, Any]:
    """``defaults_of(cls)`` computed once per class; the mutable ones fresh on every call."""
    base = _DEFAULTS.get(cls)
    if base is None:
        base = _DEFAULTS[cls] = defaults_of(cls)
    return {k: ({} if isinstance(v, dict) else [] if isinstance(v, list) else v)
            for k, v in base.items()}


# --------------------------------------------------------------------------------------------
# labels and checks


class Labels:
    """Label names in first-seen order; with a declared set, others are AF208.

    ``sink`` (a stream's ``head.labels``) gets each label as it is first met, so a stream's
    head holds the labels read so far; memory is one entry per distinct label.
    """

    def __init__(self, declared: Iterable[str] | None = None,
                 sink: list[Label] | None = None) -> None:
        self.declared = set(declared) if declared is not None else None
        self.seen: dict[str, None] = dict.fromkeys(declared or ())
        self.sink = sink
        if sink is not None:
            sink.extend(build(Label, name=name) for name in self.seen)

    def use(self, name: str, report: Report, **where: Any) -> bool:
        """Record ``name``; False (with AF208) when it is outside the declared set."""
        if self.declared is not None and name not in self.declared:
            report.add("AF208", label=name, **where)
            return False
        if name not in self.seen:
            self.seen[name] = None
            if self.sink is not None:
                self.sink.append(build(Label, name=name))
        return True

    def labels(self) -> list[Label]:
        return [build(Label, name=name) for name in self.seen]


def labelled_stream(options: TextOptions,
                    items: Callable[[Labels], Iterator[Item]]) -> Stream:
    """A stream whose head gathers the labels ``items(labels)`` meets, in first-seen order
    (the declared ``options.labels`` first), as a dialect's ``read`` lists them."""
    head = Dataset()
    return Stream(head, items(Labels(options.labels, sink=head.labels)))


def collect(stream: Stream | None) -> Dataset | None:
    """A stream drained into the Dataset ``read`` returns: ``read`` is this over ``stream``,
    so the two never drift."""
    if stream is None:
        return None
    items = list(stream.items)  # first: the head fills in while the items are read
    stream.head.items = items
    return stream.head


def _all_clean(text: str, spans: list[tuple[int, int, str | None, Any, str | None]]) -> bool:
    """Fast path: spans in order, inside the text, not touching, trimmed, text as stored."""
    n, prev_end = len(text), 0
    for start, end, _label, _sid, stored in spans:
        if not (prev_end <= start < end <= n) or text[start].isspace() or text[end - 1].isspace():
            return False
        if stored is not None and text[start:end] != stored:
            return False
        prev_end = end
    return True


def span_findings(text: str, spans: list[tuple[int, int, str | None, Any, str | None]],
                  allow_overlap: bool) -> list[tuple[int, Finding]]:
    """Findings for ``(start, end, label, id, stored_text)`` spans, each with its span index."""
    if _all_clean(text, spans):
        return []
    out: list[tuple[int, Finding]] = []
    good: list[int] = []
    for k, (start, end, _label, _sid, stored) in enumerate(spans):
        found = check_span(text, start, end, stored)
        out += [(k, f) for f in found]
        if not any(f.code in ("AF401", "AF402") for f in found):
            good.append(k)
    for f in check_span_set([spans[k][:4] for k in good], allow_overlap):
        out.append((good[int(f.path[1:])], f))
    return out


def report_spans(report: Report, item: Item, pointer_of: Callable[[int], str] | None,
                 path: str, line: int | None, allow_overlap: bool,
                 stored: dict[int, str] | None = None,
                 group_of: Callable[[Any], Any] | None = None,
                 line_of: Callable[[int], int] | None = None) -> None:
    """Run the span checks over ``item``'s spans and record them with ``pointer_of(index)``.

    ``stored`` maps an annotation index to the span text the source recorded; ``group_of``
    splits the spans into groups checked separately for overlap (one annotator each);
    ``line_of`` gives each annotation its own line (CoNLL) instead of ``line``.
    """
    media = item.media
    if not isinstance(media, Text):
        return
    groups: dict[Any, list[int]] = {}
    for k, ann in enumerate(item.annotations):
        if isinstance(ann, Span):
            groups.setdefault(group_of(ann) if group_of else None, []).append(k)
    stored = stored or {}
    for members in groups.values():
        spans = []
        for k in members:
            ann = item.annotations[k]
            assert isinstance(ann, Span)
            spans.append((ann.start, ann.end, ann.label, ann.id, stored.get(k)))
        done: set[tuple[str, str | None, int, int]] = set()
        for idx, f in span_findings(media.text, spans, allow_overlap):
            k = members[idx]
            ptr = pointer_of(k) if pointer_of else None
            key = (f.code, ptr, spans[idx][0], spans[idx][1])
            if key in done:  # one region with several labels: report it once
                continue
            done.add(key)
            report.add(f.code, path=path, line=line_of(k) if line_of else line, pointer=ptr,
                       item_id=item.id, annotation_id=item.annotations[k].id, **f.ctx)


def record_origin(index: int, item: Item, path: str, line: int | None) -> None:
    """Tell the active source map (project rules) that item ``index`` is on ``line``."""
    sm = sourcemap.current()
    if sm is None:
        return
    sm.item(index, path, line=line)
    for j in range(len(item.annotations)):
        sm.annotation(index, j, path, line=line)


def join_lines(parts: list[Path], dest: Path, report: Report, *, first: bytes = b"",
               skip: int = 0) -> None:
    """``dest`` made of ``first`` and then each part's lines after its first ``skip`` (its
    header), copied in blocks: a format's ``join`` for line-per-item files."""
    try:
        with dest.open("wb", buffering=1 << 20) as out:
            out.write(first)
            for part in parts:
                with part.open("rb", buffering=1 << 20) as fh:
                    for _ in range(skip):
                        fh.readline()
                    shutil.copyfileobj(fh, out, 1 << 20)
    except OSError as exc:
        report.add("AF015", path=str(dest), reason=exc.strerror or str(exc))
