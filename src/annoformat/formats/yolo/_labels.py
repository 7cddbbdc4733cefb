"""One YOLO label file -> its compact rows and diagnostics: the reader's per-file work.

:func:`parse_file` is a module-level function of picklable values (a :class:`LabelJob` in, a
:class:`LabelFile` out: strings, numbers, tuples, model classes), so a process pool can run it
(``parallel.map_ordered``); the reader builds the IR from the results in item order and
replays each file's diagnostics into its report there, so the report reads the same whichever
process parsed the file.

Example:
    >>> job = LabelJob("/nonexistent/a.txt", "a", 640, 480, False, False,
    ...                RowSpec(("cat",), "auto", None, None, True))
    >>> parse_file(job).read
    False
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, NamedTuple

from annoformat._io import kind_of_mode
from annoformat.formats.yolo._rows import RowContext, parse_compact

MAX_LABEL_BYTES = 64 * 1024 * 1024

#: a diagnostic kept for later: its code and the keyword arguments of ``Report.add``
Found = tuple[str, dict[str, Any]]


class Sink:
    """Collects diagnostics as ``(code, fields)`` (``Report.add``'s arguments), in order."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found: list[Found] = []

    def add(self, code: str, **ctx: Any) -> None:
        """Keep diagnostic ``code`` with its fields."""
        self.found.append((code, ctx))


@dataclass(frozen=True)
class RowSpec:
    """What every row of a dataset is read with (:class:`RowContext` without its report)."""

    names: tuple[str, ...]
    task: str
    kpt_shape: tuple[int, int] | None
    scores: bool | None
    snap: bool
    fast: bool = True


class LabelJob(NamedTuple):
    """One label file to read: its path, item, image size (None: unknown) and how to read."""

    path: str
    item_id: str
    width: int | None
    height: int | None
    #: no image anywhere and no size source: rows are checked in normalised units only
    unsized: bool
    #: also return the line numbers of the non-blank rows (a source map is active)
    origins: bool
    spec: RowSpec


class LabelFile(NamedTuple):
    """What :func:`parse_file` found in one label file."""

    #: the file was there and read as text (False: absent, or AF065/AF901/AF002/AF003)
    read: bool
    #: diagnostics of reading the file (before the caller's AF035 for the item)
    read_found: list[Found]
    #: compact rows (``_rows.build_rows``), [] when ``unsized``; None: rows, size unknown
    rows: list[Any] | None
    #: diagnostics of the rows
    row_found: list[Found]
    #: line numbers of the non-blank rows, when the job asked for them
    lines: list[int] | None


def read_text(path: str, report: Any) -> str | None:
    """The label file's text; None when absent or unreadable (with a diagnostic then)."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            kind, size = kind_of_mode(st.st_mode), st.st_size
            if kind is not None:
                report.add("AF065", path=path, kind=kind)
                return None
            if size > MAX_LABEL_BYTES:
                report.add("AF901", path=path, size=size, limit=MAX_LABEL_BYTES)
                return None
            data = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        report.add("AF002", path=path, reason=exc.strerror or str(exc))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        report.add("AF003", path=path, line=line, offset=exc.start, reason=exc.reason)
        return None
    if text.startswith("\ufeff"):
        report.add("AF004", path=path, line=1, column=1)
        text = text[1:]
    return text


def parse_file(job: LabelJob) -> LabelFile:
    """Read and parse one label file (see the module docstring)."""
    read_sink = Sink()
    text = read_text(job.path, read_sink)
    if text is None:
        return LabelFile(False, read_sink.found, [], [], None)
    sink = Sink()
    spec = job.spec
    ctx = RowContext(spec.names, spec.task, spec.kpt_shape, spec.scores, spec.snap, sink,
                     spec.fast)
    rows: list[Any] | None
    if job.width is None and job.unsized:
        # the geometry needs pixels and is not kept; the rows are still checked
        parse_compact(text, job.path, 1, 1, job.item_id, ctx)
        rows = []
    else:
        rows = parse_compact(text, job.path, job.width, job.height, job.item_id, ctx)
    lines = None
    if job.origins:
        lines = [n for n, row in enumerate(text.splitlines(), start=1) if row.split()]
    return LabelFile(True, read_sink.found, rows, sink.found, lines)
