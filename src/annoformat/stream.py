"""Datasets read one item at a time, in memory that does not grow with the dataset.

A format that can (``FormatSpec.stream``) hands its items over one by one, with what its
source states up front (labels, info) in a head :class:`~annoformat.plugin.Stream`; the items
and the report are those ``load`` gives, in the same order. A format without a streaming
reader is read whole and then iterated, so every format works here, bounded or not.

Example:
    >>> import annoformat as af
    >>> [item.id for item in af.iter_items("fixtures/coco/good/minimal/annotations.json")]
    ['1', '2', '3']
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annoformat.convert import resolve_format
from annoformat.diagnostics import AnnoformatError, Report
from annoformat.model import Item
from annoformat.registry import parse_options
from annoformat.sources import opened
from annoformat.spec import Stream


@contextlib.contextmanager
def open_stream(path: Path, format: str | None, options: dict[str, Any],
                report: Report) -> Iterator[Stream | None]:
    """The :class:`Stream` of ``path`` (a file, a folder or a ``.zip``, kept unpacked while the
    block runs) in ``format``, or the format detected; None, with the reason recorded, when
    nothing can be read."""
    with opened(path, report) as root:
        fmt = resolve_format(root, format, report) if root is not None else None
        if root is None or fmt is None:
            yield None
        elif fmt.stream is not None:
            yield fmt.stream(root, parse_options(fmt, options), report)
        else:
            ds = fmt.read(root, parse_options(fmt, options), report)
            if ds is None:
                yield None
            else:
                items, ds.items = ds.items, []
                yield Stream(ds, iter(items))


def iter_items(path: str | Path, format: str | None = None, *, report: Report | None = None,
               **options: Any) -> Iterator[Item]:
    """The items of a dataset one at a time, as ``load(path).items`` holds them.

    For the formats that stream (``annoformat formats`` says which) memory stays flat however
    large the dataset; the others are read whole first. The reader's diagnostics go into
    ``report`` as items are read.

    Raises:
        AnnoformatError: nothing could be read, or the input had errors; raised once the items
            read so far have been yielded, so a bad record far down the file is learnt at the
            end.

    Example:
        >>> import annoformat as af
        >>> [item.id for item in af.iter_items("fixtures/coco/good/minimal/annotations.json")]
        ['1', '2', '3']
    """
    report = report if report is not None else Report()
    with open_stream(Path(path), format, options, report) as stream:
        if stream is not None:
            yield from stream.items
    if stream is None or report.has_errors:
        raise AnnoformatError(report, api="iter_items")
