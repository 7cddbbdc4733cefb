"""Sharded reading, validation and conversion on Dask (the ``annoformat[dask]`` extra).

A *shard* is one file that annoformat reads as one dataset: a COCO or CVAT file, a JSONL file
of any dialect, or a ``.zip`` holding a VOC or YOLO folder slice. Shards are named by URL or glob
(``s3://bucket/part-*.jsonl``, ``gs://...``, ``file:///data/*.json``, a plain path;
``memory://`` in tests), read through fsspec, and each is handled by one Dask task:

* :func:`read` gives a ``dask.bag`` of IR items, one partition per shard;
* :func:`validate` checks every shard and merges the findings, located at the shard URLs, plus
  what only the whole set shows: an item id in two shards (AF207);
* :func:`convert` plans every shard's loss for the target, applies the loss policy **once** to
  the plan merged from the shards' plans (so one refusal stops every shard before any is
  written), then writes each shard to ``DEST/<shard stem><ext>`` (a folder format as
  ``<stem>.zip``), atomically per shard: written locally, uploaded under a hidden name, renamed
  into place. Labels are made one list across shards first (the order of first appearance),
  so a YOLO class index or a COCO category id means the same in every shard's output, and
  COCO image and annotation ids are unique across the shards' outputs;
* :func:`merge` splices COCO shard outputs into one COCO file (``convert(..., merge=True)``
  converts and merges in one call).

``scheduler`` says where tasks run: ``"sync"`` (in this process, one shard after another),
``"local:N"`` (a ``LocalCluster`` of N worker processes, started and stopped for the call),
an address (``"tcp://host:8786"``), a ``distributed.Client``, or None (Dask's default, or the
client already made current). A worker that dies is replaced and its shard run again by Dask;
a shard is never half-written at the destination, since only the rename makes it appear.

Nothing in annoformat's core imports this module or Dask.

Example:
    >>> import annoformat.dask as afd
    >>> report = afd.validate("fixtures/coco/good/minimal/annotations.json", scheduler="sync")
    >>> report.has_errors
    False
"""

from __future__ import annotations

import contextlib
import itertools
import posixpath
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annoformat.convert import ConversionResult, load, record_plan, summarize, write_planned
from annoformat.diagnostics import AnnoformatError, Report, UsageError
from annoformat.model import Item, Label
from annoformat.registry import Format, detect, get_format, parse_options
from annoformat.sources import opened
from annoformat.spec import Loss, LossPlan

if TYPE_CHECKING:
    import dask.bag

Urls = str | Sequence[str]


def shards(urls: Urls, report: Report | None = None) -> list[str]:
    """The shard URLs that ``urls`` (URLs, paths or globs) name: each once, in sorted order.
    A storage that cannot be listed is AF930 in ``report`` (raised without one).

    Example:
        >>> [u.rsplit("/", 1)[1] for u in shards("fixtures/jsonl/good/*/dataset.jsonl")][:1]
        ['dataset.jsonl']
    """
    import fsspec

    found: set[str] = set()
    problems = Report()
    for pattern in [urls] if isinstance(urls, str) else list(urls):
        try:
            fs, _, paths = fsspec.core.get_fs_token_paths(pattern)
            found.update(fs.unstrip_protocol(p) for p in paths if fs.isfile(p))
        except _STORAGE_ERRORS as exc:
            problems.add("AF930", path=pattern, reason=_reason(exc))
    if report is not None:
        report.extend(problems)
    elif problems.has_errors:
        raise AnnoformatError(problems)
    return sorted(found)


#: what fsspec raises for a storage it cannot reach: no such bucket, no access, a dropped
#: connection (OSError), a protocol whose package is not installed (ImportError, ValueError)
_STORAGE_ERRORS = (OSError, ValueError, ImportError)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


@contextlib.contextmanager
def _fetched(url: str) -> Iterator[Path]:
    """``url`` as a local path: itself when local, else a copy in a temporary folder (removed
    after), under the same name so that detection sees the same extension."""
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    fs, path = fsspec.core.url_to_fs(url)
    if isinstance(fs, LocalFileSystem):
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="annoformat-shard-") as tmp:
        local = Path(tmp) / posixpath.basename(path)
        fs.get_file(path, str(local))
        yield local


def _load_shard(url: str, from_: str | None, read_options: dict[str, Any],
                report: Report) -> tuple[Any, str | None]:
    """The shard's dataset (None when it has errors) and its format; findings into
    ``report``, located at ``url``."""
    try:
        with _fetched(url) as local:
            with opened(local, report) as root:  # a .zip: the folder it unpacks to
                if root is None:
                    return None, None
                fmt = from_ or getattr(detect(root).format, "name", None)
                try:
                    ds = load(root, fmt, report=report, **read_options)
                except AnnoformatError:
                    ds = None
            report.relocate(str(local), url)
    except _STORAGE_ERRORS as exc:
        report.add("AF930", path=url, reason=_reason(exc))
        return None, None
    return ds, fmt


def _items(url: str, format: str | None, options: dict[str, Any]) -> list[Item]:
    report = Report()
    ds, _ = _load_shard(url, format, options, report)
    if ds is None:
        raise AnnoformatError(report, api="load")
    return list(ds.items)


def read(urls: Urls, format: str | None = None, **options: Any) -> dask.bag.Bag:
    """A ``dask.bag`` of the IR items of every shard, one partition per shard (lazy: a shard
    is read when the bag is computed; one with errors raises :class:`AnnoformatError`).

    Example:
        >>> import annoformat.dask as afd
        >>> bag = afd.read("fixtures/coco/good/minimal/annotations.json")
        >>> bag.npartitions, bag.count().compute(scheduler="sync")
        (1, 3)
    """
    import dask.bag as db
    from dask.delayed import delayed

    parts = shards(urls)
    if not parts:
        raise _no_shards(urls)
    bag: dask.bag.Bag = db.from_delayed([delayed(_items)(u, format, options) for u in parts])
    return bag


def _named(urls: Urls) -> str:
    return urls if isinstance(urls, str) else ", ".join(urls)


def _no_shards(urls: Urls) -> AnnoformatError:
    report = Report()
    report.add("AF001", path=_named(urls))
    return AnnoformatError(report)


@dataclass
class _ShardRead:
    """What a shard's first pass sends back: findings, the keys and labels the whole-set
    checks need, and, for a conversion, its loss facts and counts."""

    url: str
    report: Report
    format: str | None = None
    ok: bool = False
    keys: list[tuple[str | None, str]] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    facts: list[Loss] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    #: a COCO output's image and object counts and kept ids (coco._plan.IdCensus)
    ids: Any = None
    #: a YOLO output with ``task=auto``: the kinds its task is decided from, and that task
    kinds: set[str] | None = None
    task: str | None = None
    #: where the shard's output was written ahead of the decision (None: not written)
    staged: str | None = None
    written: Report = field(default_factory=Report)


def _read_shard(url: str, from_: str | None, read_options: dict[str, Any],
                to: str | None = None, options: dict[str, Any] | None = None,
                staging: str | None = None, dest: str | None = None, *, alone: bool = True,
                labels: list[Label] | None = None) -> _ShardRead:
    """A shard's first pass: read, check, plan for ``to``; and, with ``staging``, write its
    output there ahead of the decision (moved to ``dest`` if the conversion goes ahead and
    the shard's labels are the merged list, so most shards are read once). Given ``labels``,
    the shard is planned and written with them (a second pass)."""
    report = Report()
    ds, fmt = _load_shard(url, from_, read_options, report)
    out = _ShardRead(url, report, fmt)
    if ds is None:
        return out
    out.ok = True
    out.keys = [(item.subset, item.id) for item in ds.items]
    if labels is not None:
        ds.labels = list(labels)
    out.labels = list(ds.labels)
    if to is not None:
        target = get_format(to)
        opts = target.options_for(parse_options(target, options or {}),
                                  Path(_output_name(url, target)))
        out.facts = list(target.plan_loss(ds, opts))
        out.summary = summarize(ds)
        if target.name == "coco":
            from annoformat.formats.coco import id_census

            out.ids = id_census(ds, opts)
        elif target.name == "yolo" and getattr(opts, "task", None) == "auto":
            from annoformat.formats.yolo import auto_task, task_kinds

            out.kinds = task_kinds(ds)
            out.task = auto_task(ds, out.kinds)
        # a COCO shard that numbers its ids is numbered again with the others' (_numbering)
        renumbered = out.ids is not None and None in (out.ids.image_ids,
                                                      out.ids.annotation_ids)
        if staging is not None and dest is not None and (alone or not renumbered):
            out.staged = _put(ds, url, to, options or {}, staging, dest, out.written)
    return out


def _numbering(reads: list[_ShardRead], to: str,
               options: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Per shard, the first image and annotation ids that keep a COCO destination's ids
    unique across shards: each kind numbered through the shards in order when any shard
    numbers it or two shards hold one id (or the options give a first id); None when every
    shard's ids can stay as they are (or the target is not a COCO file)."""
    census = [r.ids for r in reads]
    if len(reads) < 2 or any(c is None for c in census):
        return None
    given = parse_options(get_format(to), options)
    out: list[dict[str, Any]] = [{} for _ in reads]
    for key, count, ids in (("first_image_id", "images", "image_ids"),
                            ("first_annotation_id", "annotations", "annotation_ids")):
        first = getattr(given, key)
        if first is None and _unique([getattr(c, ids) for c in census]):
            continue
        n = 1 if first is None else first
        for numbers, c in zip(out, census, strict=True):
            numbers[key] = n
            n += getattr(c, count)
    return out if out[0] else None


def _one_task(reads: list[_ShardRead]) -> list[dict[str, Any]] | None:
    """For a YOLO target with ``task=auto``: the task the whole set's kinds decide, given
    to each shard whose own kinds decided another (None when every shard agrees)."""
    if len(reads) < 2 or any(r.kinds is None for r in reads):
        return None
    from annoformat.formats.yolo import auto_task
    from annoformat.model import Dataset

    kinds = set().union(*(r.kinds or set() for r in reads))
    task = auto_task(Dataset(), kinds)
    out = [{} if r.task == task else {"task": task} for r in reads]
    return out if any(out) else None


def _unique(parts: list[Any]) -> bool:
    """Whether the shards' kept ids (arrays; None: numbered) are unique across shards."""
    if any(p is None for p in parts):
        return False
    spans = sorted((min(p), max(p)) for p in parts if len(p))
    if all(a[1] < b[0] for a, b in itertools.pairwise(spans)):
        return True  # the common case: each shard a range of its own
    seen: set[int] = set()
    for p in parts:
        if not seen.isdisjoint(p):
            return False
        seen.update(p)
    return True


def _whole_set(reads: list[_ShardRead], report: Report) -> list[Label]:
    """What no shard can see alone: an item in two shards (AF207) and a label two shards
    declare differently (AF931). Returns the labels of every shard as one list."""
    seen: dict[tuple[str | None, str], str] = {}
    labels: dict[str, tuple[Label, str]] = {}
    for r in reads:
        for key in r.keys:
            if key in seen:
                report.add("AF207", path=r.url, item_id=key[1], subset=key[0])
            else:
                seen[key] = r.url
        for label in r.labels:
            first = labels.setdefault(label.name, (label, r.url))
            differ = [f for f in ("id", "parent", "keypoints", "skeleton", "attributes")
                      if getattr(first[0], f) != getattr(label, f)]
            if differ:
                report.add("AF931", path=r.url, label=label.name, first=first[1],
                           detail=", ".join(differ))
    return [label for label, _ in labels.values()]


@contextlib.contextmanager
def _scheduler(scheduler: Any) -> Iterator[Any]:
    """What ``dask.compute(scheduler=...)`` takes for ``scheduler`` (see the module doc)."""
    if not isinstance(scheduler, str) or scheduler == "sync":
        yield scheduler
        return
    from distributed import Client, LocalCluster

    if scheduler.startswith("local:"):
        workers = scheduler.removeprefix("local:")
        if not workers.isdigit() or int(workers) < 1:
            raise UsageError(Report(), f"scheduler {scheduler!r}: 'local:N' takes a number "
                             "of workers of 1 or more")
        with LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            yield client
        return
    with Client(scheduler) as client:
        yield client


def _compute(tasks: list[Any], scheduler: Any, report: Report, source: str) -> list[Any] | None:
    """The tasks' results in order; None, with AF932, when the cluster gave up on one."""
    from dask.base import compute

    try:
        return list(compute(*tasks, scheduler=scheduler))
    except Exception as exc:
        if type(exc).__name__ != "KilledWorker":  # distributed's, without importing it
            raise
        report.add("AF932", path=source, reason=_reason(exc))
        return None


def validate(urls: Urls, format: str | None = None, *, scheduler: Any = None,
             **options: Any) -> Report:
    """Check every shard (syntax, schema, semantics, as :func:`annoformat.validate` without
    project rules) on ``scheduler``, and what only the whole set shows (AF207, AF931).

    Example:
        >>> import annoformat.dask as afd
        >>> afd.validate("fixtures/coco/bad/AF203-duplicate-image-id/annotations.json",
        ...              scheduler="sync").codes()
        ['AF203']
    """
    from dask.delayed import delayed

    report = Report()
    parts = shards(urls, report)
    if not parts:
        return report if report.has_errors else _no_shards(urls).report
    with _scheduler(scheduler) as where:
        reads = _compute([delayed(_read_shard)(u, format, options) for u in parts], where,
                         report, _named(urls))
    for r in reads or ():
        report.extend(r.report)
    _whole_set(reads or [], report)
    return report


def _output_name(url: str, target: Format) -> str:
    """``<shard stem><the target's extension>``, or ``<stem>.zip`` for a folder format."""
    stem = posixpath.basename(url).split(".", 1)[0] or "shard"
    return stem + (target.extensions[0] if target.one_file and target.extensions else ".zip")


def _write_shard(url: str, from_: str | None, read_options: dict[str, Any], to: str,
                 options: dict[str, Any], labels: list[Label], dest: str) -> Report:
    """The second pass of a shard whose staged output cannot be used (its labels are not
    the merged list): read it again, write it with every shard's labels."""
    report, again = Report(), Report()
    ds, _ = _load_shard(url, from_, read_options, again)  # its findings are the first pass'
    if ds is None:  # changed since the first pass: why, as this read saw it
        return again
    ds.labels = list(labels)
    _put(ds, url, to, options, dest, dest, report)
    return report


def _put(ds: Any, url: str, to: str, options: dict[str, Any], folder: str, dest: str,
         report: Report) -> str | None:
    """Write ``ds`` as the shard's output into ``folder`` (a URL): written locally, uploaded
    under a hidden name, renamed into place. Findings name it as it will be in ``dest``.
    Returns its path in ``folder``'s file system (None when it was not written)."""
    import fsspec

    target = get_format(to)
    name = _output_name(url, target)
    fs, root = fsspec.core.url_to_fs(folder)
    shown = fs.unstrip_protocol(posixpath.join(fsspec.core.url_to_fs(dest)[1], name))
    with tempfile.TemporaryDirectory(prefix="annoformat-shard-out-") as tmp:
        local = Path(tmp) / name  # a .zip for a folder format: the writer zips it
        try:
            write_planned(ds, local, to, options, report=report)
        except AnnoformatError:
            return None
        report.relocate(str(local), shown)
        opts = target.options_for(parse_options(target, options), local)
        images = len(target.media(ds, opts)) if target.media is not None else 0
        if images:
            report.add("AF061", path=shown, format=target.name, count=images,
                       reason="a sharded run does not place images")
        return _upload(local, fs, posixpath.join(root, name), shown, report)


def _upload(local: Path, fs: Any, final: str, shown: str, report: Report) -> str | None:
    """Put the file ``local`` at ``final`` in ``fs``: uploaded under a hidden name beside it,
    then renamed, so that ``final`` is whole or absent. Returns ``final`` (None, with AF015
    located at ``shown``, when it could not be)."""
    root, name = posixpath.split(final)
    part = posixpath.join(root, f".{name}.{uuid.uuid4().hex}.part")
    try:
        fs.makedirs(root, exist_ok=True)
        fs.put_file(str(local), part)
        fs.mv(part, final)
    except OSError as exc:
        with contextlib.suppress(OSError):
            fs.rm(part)
        report.add("AF015", path=shown, reason=str(exc))
        return None
    return final


def merge(urls: Urls, dest: str, *, overwrite: bool = False) -> Report:
    """Splice COCO files (a sharded conversion's outputs: a glob, taken in sorted order, or a
    list of URLs, taken in its order) into one COCO file at ``dest``: images and annotations
    of each in turn, categories once, one file in memory at a time. Refused (AF933, nothing
    written) when the files do not make one valid document: top-level values that differ,
    an id two files share.

    Example:
        >>> import annoformat.dask as afd, tempfile
        >>> out = tempfile.mkdtemp() + "/all.json"
        >>> afd.merge("fixtures/coco/good/minimal/annotations.json", out).codes()
        []
    """
    import fsspec

    from annoformat.formats.coco.merge import splice

    report = Report()
    parts = shards(urls, report) if isinstance(urls, str) else list(urls)
    if not parts:
        return report if report.has_errors else _no_shards(urls).report
    fs, path = fsspec.core.url_to_fs(dest)
    if fs.exists(path) and not overwrite:
        report.add("AF013", path=dest)
        return report

    def reader(url: str) -> Any:
        def read() -> bytes:
            with fsspec.open(url, "rb") as fh:  # closed once read
                data: bytes = fh.read()
            return data
        return read

    with tempfile.TemporaryDirectory(prefix="annoformat-merge-") as tmp:
        local = Path(tmp) / posixpath.basename(path)
        try:
            with open(local, "wb") as out:
                merged = splice([(u, reader(u)) for u in parts], out, report)
        except _STORAGE_ERRORS as exc:
            report.add("AF930", path=_named(urls), reason=_reason(exc))
            merged = False
        if merged:
            _upload(local, fs, path, dest, report)
    return report


def convert(urls: Urls, dest: str, to: str, from_: str | None = None, *,
            allow_loss: bool = False, strict: bool = False, overwrite: bool = False,
            options: dict[str, Any] | None = None,
            read_options: dict[str, Any] | None = None,
            scheduler: Any = None, merge: bool = False) -> ConversionResult:
    """Convert every shard to format ``to``, one output per shard under the folder ``dest``
    (with ``merge``, a COCO target: one COCO file ``dest``, the shards' outputs spliced by
    :func:`merge`).

    The loss policy is applied once, to the plan merged from every shard's plan, before any
    shard is written: the report is one report, and a refusal writes nothing. Like
    :func:`annoformat.convert`, refusals do not raise: ``written`` is False and the report
    says why (``written`` is True only when every shard was written). A COCO target's image
    and annotation ids are unique across the shards' outputs: where any shard numbers them,
    or two shards hold one id, every shard is numbered on from the one before it (AF508). A
    YOLO target's ``task=auto`` is decided from what every shard holds, as for the whole.

    Example:
        >>> import annoformat.dask as afd, tempfile
        >>> out = tempfile.mkdtemp()
        >>> r = afd.convert("fixtures/coco/good/minimal/annotations.json", out, to="jsonl",
        ...                 scheduler="sync")
        >>> r.written, r.summary["annotations"], sorted(p.name for p in Path(out).iterdir())
        (True, 4, ['annotations.jsonl'])
    """
    import fsspec

    report = Report()
    target = get_format(to)
    result = ConversionResult(_named(urls), dest, from_, target.name, False, report)
    if merge:
        return _converted_and_merged(urls, dest, to, from_, result, allow_loss=allow_loss,
                                     strict=strict, overwrite=overwrite, options=options,
                                     read_options=read_options, scheduler=scheduler)
    parts = shards(urls, report)
    if not parts:
        if not report.has_errors:
            report.extend(_no_shards(urls).report)
        return result
    fs, root = fsspec.core.url_to_fs(dest)
    if not overwrite and fs.exists(root) and (not fs.isdir(root) or fs.ls(root)):
        report.add("AF013", path=dest)
        return result
    opts, read_opts = options or {}, read_options or {}
    # beside the destination, so that a refused run leaves the destination as it was
    staging = posixpath.join(posixpath.dirname(root.rstrip("/")),
                             f".{posixpath.basename(root.rstrip('/'))}.annoformat-"
                             f"{uuid.uuid4().hex}")
    try:
        with _scheduler(scheduler) as where:
            _convert_shards(parts, dest, fs.unstrip_protocol(staging), result, where,
                            from_=from_, read_options=read_opts, to=to, options=opts,
                            allow_loss=allow_loss, strict=strict)
    finally:
        if fs.exists(staging):
            fs.rm(staging, recursive=True)
    if result.written:
        # the destination is this run's shards only, as --overwrite replaces a local one
        # whole: what an earlier run left (more shards, another format) goes
        ours = {_output_name(u, target) for u in parts}
        for entry in fs.ls(root, detail=False):
            if posixpath.basename(entry.rstrip("/")) not in ours:
                with contextlib.suppress(OSError):
                    fs.rm(entry, recursive=True)
    return result


def _converted_and_merged(urls: Urls, dest: str, to: str, from_: str | None,
                          result: ConversionResult, *, overwrite: bool,
                          **given: Any) -> ConversionResult:
    """:func:`convert` with ``merge``: the shards written to a hidden folder beside ``dest``,
    merged into ``dest``, the folder removed."""
    import fsspec

    report = result.report
    if get_format(to).name != "coco":
        raise UsageError(report, f"merge: shard outputs are merged into one COCO file; not "
                         f"for {to!r}")
    fs, path = fsspec.core.url_to_fs(dest)
    if fs.exists(path) and not overwrite:
        report.add("AF013", path=dest)
        return result
    parent, name = posixpath.split(path.rstrip("/"))
    made = not fs.exists(parent)
    folder = fs.unstrip_protocol(posixpath.join(parent, f".{name}.annoformat-shards-"
                                                        f"{uuid.uuid4().hex}"))
    try:
        shard_result = convert(urls, folder, to, from_, **given)
        report.extend(shard_result.report)
        result.source_format, result.summary = shard_result.source_format, shard_result.summary
        if shard_result.written:  # in the shards' order, which numbered the ids
            parts = shards(urls)
            outputs = [posixpath.join(folder, _output_name(u, get_format(to))) for u in parts]
            merged = merge(outputs, dest, overwrite=overwrite)
            for output, part in zip(outputs, parts, strict=True):
                merged.relocate(output, part)  # a shard's output named by its shard
            report.extend(merged)
            result.written = not report.has_errors
    finally:
        if fs.exists(folder):
            fs.rm(folder, recursive=True)
        if made and not result.written:
            with contextlib.suppress(OSError):
                fs.rmdir(parent)
    return result


def _convert_shards(parts: list[str], dest: str, staging: str, result: ConversionResult,
                    where: Any, *, from_: str | None, read_options: dict[str, Any], to: str,
                    options: dict[str, Any], allow_loss: bool, strict: bool) -> None:
    import fsspec
    from dask.delayed import delayed

    report = result.report
    alone = len(parts) == 1
    reads = _compute([delayed(_read_shard)(u, from_, read_options, to, options, staging, dest,
                                           alone=alone) for u in parts],
                     where, report, result.source)
    if reads is None:
        return
    for r in reads:
        report.extend(r.report)
    labels = _whole_set(reads, report)
    formats = sorted({r.format for r in reads if r.format})
    result.source_format = formats[0] if len(formats) == 1 else ", ".join(formats) or None
    result.summary = _summed([r.summary for r in reads], len(labels))
    if report.has_errors:
        return
    overrides: list[dict[str, Any]] | None = (_numbering(reads, to, options)
                                              or _one_task(reads))
    each = {r.url: options for r in reads}
    if overrides is not None:
        # the shards whose output the whole set changes (ids numbered through the shards, the
        # task of every shard), planned and written again
        each = {r.url: {**options, **given} for r, given in zip(reads, overrides, strict=True)}
        redo = [k for k, given in enumerate(overrides) if given]
        second = _compute([delayed(_read_shard)(reads[k].url, from_, read_options, to,
                                               each[reads[k].url], staging, dest,
                                               labels=labels) for k in redo],
                          where, report, result.source)
        if second is None:
            return
        for k, r in zip(redo, second, strict=True):
            if not r.ok:  # changed since the first pass: why, as this read saw it
                report.extend(r.report)
            reads[k] = r
        if report.has_errors:
            return
    plan = LossPlan(get_format(to).name)
    for r in reads:  # one plan, as the whole set's: names unite, head facts count once
        part = LossPlan(plan.format)
        for f in r.facts:
            part.add(f.code, count=f.count, ids=f.ids, severity=f.severity, **f.ctx)
        plan.merge(part)
    since = len(report.diagnostics)
    record_plan(plan, report, allow_loss=allow_loss, strict=strict)
    for diag in report.diagnostics[since:]:  # located at the source, as convert does
        diag.location.path = diag.location.path or result.source
    if report.has_errors:
        return
    fs, root = fsspec.core.url_to_fs(dest)
    fs.makedirs(root, exist_ok=True)
    again = []
    for r in reads:  # written ahead with the labels every shard ends up with: move it in
        if r.staged is not None and r.labels == labels:
            report.extend(r.written)
            try:
                fs.mv(r.staged, posixpath.join(root, posixpath.basename(r.staged)))
            except OSError as exc:
                report.add("AF015", path=dest, reason=_reason(exc))
        else:
            again.append(r.url)
    if again:
        written = _compute([delayed(_write_shard)(u, from_, read_options, to, each[u],
                                                  labels, dest) for u in again], where,
                           report, result.source)
        for shard_report in written or ():
            report.extend(shard_report)
    result.written = not report.has_errors


def _summed(summaries: list[dict[str, Any]], labels: int) -> dict[str, Any]:
    """The shards' summaries as one (counts added up; labels: the merged list's length)."""
    out: dict[str, Any] = {}
    for s in summaries:
        for key, value in s.items():
            if isinstance(value, dict):
                into = out.setdefault(key, {})
                for k, v in value.items():
                    into[k] = into.get(k, 0) + v
            else:
                out[key] = out.get(key, 0) + value
    for key, value in out.items():
        if isinstance(value, dict):
            out[key] = dict(sorted(value.items()))
    if out:
        out["labels"] = labels
    return out
