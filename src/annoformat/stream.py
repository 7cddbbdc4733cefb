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
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annoformat._archive import is_archive
from annoformat.checks import (
    check_items_text,
    check_skeletons,
    check_text_fields,
    label_text_fields,
)
from annoformat.convert import (
    ConversionResult,
    MediaPlacement,
    record_plan,
    resolve_format,
    summarize,
)
from annoformat.diagnostics import AnnoformatError, Diagnostic, Report, UsageError
from annoformat.media import Mode, search_root
from annoformat.model import Dataset, Item
from annoformat.progress import Counter, begin, counter, finish, reporting
from annoformat.registry import Format, get_format, parse_options
from annoformat.sources import check_not_empty, opened
from annoformat.spec import LossPlan, Stream


def _stream(fmt: Format, root: Path, options: dict[str, Any], report: Report) -> Stream | None:
    opts = parse_options(fmt, options)
    if fmt.stream is not None:
        return fmt.stream(root, opts, report)
    ds = fmt.read(root, opts, report)
    if ds is None:
        return None
    items, ds.items = ds.items, []
    return Stream(ds, iter(items))


@contextlib.contextmanager
def open_stream(path: Path, format: str | None, options: dict[str, Any],
                report: Report) -> Iterator[Stream | None]:
    """The :class:`Stream` of ``path`` (a file, a folder or a ``.zip``, kept unpacked while the
    block runs) in ``format``, or the format detected; None, with the reason recorded, when
    nothing can be read."""
    with opened(path, report) as root:
        fmt = resolve_format(root, format, report) if root is not None else None
        yield _stream(fmt, root, options, report) if root and fmt else None


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


def _quiet(items: Iterator[Item]) -> Iterator[Item]:
    """``items`` with the reader's own progress silenced (the conversion counts them)."""
    while True:
        with reporting(None):
            try:
                item = next(items)
            except StopIteration:
                return
        yield item


def _again(source: Format, root: Path, read_options: dict[str, Any]) -> Iterator[Item]:
    """The source's items read once more (a target's ``settle``), its findings discarded:
    the first read reports them."""
    with reporting(None):
        again = _stream(source, root, read_options, Report())
    if again is not None:
        yield from _quiet(again.items)


def _parts(stream: Stream, size: int, read: Counter | None) -> Iterator[tuple[int, Dataset]]:
    """The stream's items in datasets of ``size`` items with the head known so far, and the
    position of each one's first item."""
    offset, batch = 0, []
    for item in _quiet(stream.items):
        if read is not None:
            read.add()
        batch.append(item)
        if len(batch) == size:
            yield offset, stream.head.model_copy(update={"items": batch})
            # the caller is done with the part: its items go before the next part's come (else
            # two parts are alive at the peak)
            batch.clear()
            offset += size
    if batch or not offset:
        yield offset, stream.head.model_copy(update={"items": batch})


def _moved(d: Diagnostic, offset: int) -> None:
    pointer = d.location.pointer
    if offset and pointer and pointer.startswith("/items/"):
        number, _, rest = pointer[len("/items/"):].partition("/")
        if number.isdigit():
            d.location.pointer = f"/items/{int(number) + offset}" + (f"/{rest}" if rest else "")


def _said(d: Diagnostic, said: set[tuple[Any, ...]]) -> bool:
    """True the first time a finding is met (and then remembered)."""
    loc = d.location
    key = (d.code, d.message, loc.path, loc.line, loc.pointer)
    if key in said:
        return False
    said.add(key)
    return True


def _summed(into: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _summed(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value


def _ordered(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(sorted(v.items())) if isinstance(v, dict) else v for k, v in summary.items()}


def convert_stream(src: str | Path, dst: str | Path, to: str, from_: str | None = None, *,
                   allow_loss: bool = False, strict: bool = False, overwrite: bool = False,
                   options: dict[str, Any] | None = None,
                   read_options: dict[str, Any] | None = None, allow_empty: bool = False,
                   media: Mode = "hardlink", images: str | Path | None = None,
                   part_items: int = 10_000) -> ConversionResult:
    """:func:`~annoformat.convert` that writes as it reads, ``part_items`` items at a time, so
    that memory does not grow with the dataset: for targets that join parts
    (``FormatSpec.join``), from any source (bounded where the source streams).

    The output and the report are those ``convert`` gives: each part is checked, planned and
    written into the staging folder as it is read; the parts' plans merge into the plan of the
    whole (:meth:`~annoformat.plugin.LossPlan.merge`), the loss policy is applied to it once,
    and the output is moved into place only when nothing refused it.

    Example:
        >>> import annoformat as af, tempfile, os
        >>> out = os.path.join(tempfile.mkdtemp(), "out.jsonl")
        >>> r = convert_stream("fixtures/coco/good/minimal/annotations.json", out, to="jsonl")
        >>> r.written, r.summary["annotations"]
        (True, 4)
    """
    from annoformat._output import check_destination, staged_output

    src_p, dst_p = Path(src), Path(dst)
    report = Report()
    target = get_format(to)
    if target.join is None:
        raise UsageError(report, f"{target.name} is written whole; a streamed conversion "
                         "writes only formats that join parts (jsonl, doccano, voc, yolo)")
    if dst_p.suffix.lower() == ".zip":
        raise UsageError(report, "a .zip destination is written whole; a streamed "
                         "conversion writes a file or a folder")
    opts = target.options_for(parse_options(target, options or {}), dst_p)
    result = ConversionResult(str(src_p), str(dst_p), from_, target.name, False, report)
    if not check_destination(dst_p, report, overwrite=overwrite):
        return result
    with opened(src_p, report) as root:
        source = resolve_format(root, from_, report) if root is not None else None
        if root is None or source is None:
            return result
        result.source_format = source.name
        placement = MediaPlacement(media, Path(images) if images is not None
                                   else search_root(root), links_ok=not is_archive(src_p))
        with staged_output(dst_p, report, overwrite=overwrite, sources=[src_p]) as staging:
            if staging is None:
                return result
            _convert_parts(root, src_p, source, target, opts, staging.path, result,
                           read_options or {}, placement, allow_loss=allow_loss,
                           strict=strict, allow_empty=allow_empty, part_items=part_items)
        result.written = staging.committed
        if placement.placed:
            result.summary["media"] = dict(sorted(placement.placed.items()))
    return result


def _convert_parts(root: Path, src: Path, source: Format, target: Format, opts: Any,
                   staged: Path, result: ConversionResult, read_options: dict[str, Any],
                   placement: MediaPlacement, *,
                   allow_loss: bool, strict: bool, allow_empty: bool, part_items: int) -> None:
    assert target.join is not None
    report = result.report
    since_read = len(report.diagnostics)
    begin("read")
    with reporting(None):
        stream = _stream(source, root, read_options, report)
    if stream is None:
        return
    if report.has_errors:  # read on for the reader's other findings, as convert reports them
        for _ in stream.items:
            pass
        return
    if target.settle is not None:
        opts = target.settle(stream.head, lambda: _again(source, root, read_options), opts)
    plan = LossPlan(target.name)
    checked: list[Diagnostic] = []  # AF067 of the items, kept unless the reader found its own
    files: list[Path] = []
    summary: dict[str, Any] = {}
    folder = staged.with_name(staged.name + ".parts")  # beside it, never its own name
    folder.mkdir()
    declared: set[str] = set()
    said: set[tuple[Any, ...]] = set()
    # the writer's findings wait for the plan: a refused plan means nothing was written, as
    # in convert, where the plan comes before the write
    held: list[Diagnostic] = []
    failed = False
    # one count of the items read, written and placed over all parts (a part's own write
    # is not shown: its bar would start again every part)
    read, written = counter("read"), counter("write")
    images: Counter | None = None
    for offset, part in _parts(stream, part_items, read):
        if report.has_errors:
            continue  # a reader error: read on for the reader's other findings (as convert
            # reports them), write nothing; the staging folder goes
        declared.update(label.name for label in part.labels)
        scratch = Report()
        check_items_text(part.items, scratch, str(root), declared, offset)
        checked += scratch.diagnostics
        _summed(summary, summarize(part))
        plan.merge(target.plan_loss(part, opts), offset=offset)
        if failed:
            continue  # planned still: the report holds the plan of the whole, as convert's
        files.append(folder / f"{len(files)}{staged.suffix}")
        wrote = Report()
        with reporting(None):
            target.write(part, files[-1], opts, wrote)
        if written is not None:
            written.add(len(part.items))
        wrote.relocate(str(files[-1]), str(staged))
        for d in wrote.diagnostics:
            _moved(d, offset)
        # what every part's writer says alike (VOC's AF329 convention) is said once
        held += [d for d in wrote.diagnostics if _said(d, said)]
        failed = wrote.has_errors
        wanted = target.media(part, opts) if target.media is not None and not failed else {}
        if wanted:
            staged.mkdir(exist_ok=True)  # the images go where the joined folder will be
            with reporting(None):
                placement.place(part, staged, target, opts)
            if placement.mode != "none":
                images = images or counter("images", unit="image")
                if images is not None:
                    for _ in wanted:  # one by one, as a whole conversion counts them
                        images.add()
    for count in (read, written, images):
        if count is not None:
            count.close()
    if report.has_errors:
        return
    finish("read", summary.get("items", 0))
    head = stream.head
    reader_checked = any(d.code == "AF067" for d in report.diagnostics[since_read:])
    whole = head.model_copy(update={"items": []})
    # what the source stated only as it ended (CVAT's meta after its images): planned once
    plan.merge(target.plan_loss(whole, opts))
    scratch = Report()
    check_text_fields(label_text_fields(head.labels), scratch, str(root))
    check_skeletons(whole, scratch, str(root))
    report.extend(d for d in checked + scratch.diagnostics
                  if not (reader_checked and d.code == "AF067"))
    if report.has_errors:
        return
    if not summary.get("items") and not allow_empty and not check_not_empty(
            whole, root, source, report):
        return
    summary["labels"] = len(head.labels)
    result.summary = _ordered(summary)
    since = len(report.diagnostics)
    record_plan(plan, report, allow_loss=allow_loss, strict=strict)
    for diag in report.diagnostics[since:]:
        if diag.location.path is None:
            diag.location.path = str(src)
    if report.has_errors:
        return
    report.extend(held)
    if report.has_errors:
        return
    target.join(files, head, staged, opts, report)
    shutil.rmtree(folder)
    if target.media is not None and not report.has_errors:
        placement.record(staged, target, report)
