"""The pipeline: detect -> read (+ schema, checks) -> plan loss -> staged write -> validate -> move.

Loss is planned once, by the target format, before anything is written: :func:`plan_loss` asks
``FormatSpec.plan_loss`` what this dataset will lose with these options and records each fact as
one AF5xx diagnostic (counts and the ids affected). Writers only write.

Policy (DESIGN.md), applied here only: losing annotations, geometry, attributes, scores, tracks
or items is an error that refuses the conversion unless ``allow_loss``; losing metadata is a
warning; ``strict`` refuses any loss.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from annoformat._archive import is_archive, staged_member, write_zip
from annoformat._io import fill_json_positions, gc_paused, memory_headroom
from annoformat.checks import check_dataset, check_skeletons, check_text
from annoformat.codes import Severity, entry
from annoformat.diagnostics import AnnoformatError, Diagnostic, Report, UsageError, advice
from annoformat.media import MODES, MediaIndex, Mode, place, search_root
from annoformat.model import ANNOTATION_TYPES, Dataset
from annoformat.parallel import use_jobs
from annoformat.progress import ProgressCallback, begin, finish, reporting, track
from annoformat.registry import Format, detect, get_format, parse_options
from annoformat.rules import ProjectRules, apply_overrides, check_rules, find_config, load_rules
from annoformat.sourcemap import recording
from annoformat.sources import check_not_empty, datasets_under, opened
from annoformat.spec import MERGEABLE, LossPlan, Unused

if TYPE_CHECKING:  # label maps (YAML) load only when a conversion is given one
    from annoformat.labelmap import LabelMap


@dataclass
class ConversionResult:
    """What a conversion did: formats, whether anything was written, summary and report."""

    source: str
    destination: str
    source_format: str | None
    target_format: str
    written: bool
    report: Report
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def advice(self) -> list[str]:
        """What would let a refused conversion proceed, in this function's keywords
        (``allow_loss=True``, ``options={'task': 'segment'}``); empty once written."""
        return [] if self.written else advice(self.report, api="convert")

    @property
    def loss(self) -> list[Diagnostic]:
        """The AF5xx diagnostics: what was (or would have been) dropped or approximated."""
        return [d for d in self.report if d.code.startswith("AF5")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "source_format": self.source_format,
            "target_format": self.target_format,
            "written": self.written,
            "summary": self.summary,
            "loss": [d.to_dict() for d in self.loss],
            "report": self.report.to_dict(),
        }


def summarize(ds: Dataset) -> dict[str, Any]:
    """Counts: items, subsets, items without annotations, annotations by type and by label."""
    by_type: Counter[str] = Counter()
    by_label: Counter[str] = Counter()
    subsets: Counter[str] = Counter()
    empty = 0
    for item in ds.items:
        subsets[item.subset or "(none)"] += 1
        if not item.annotations:
            empty += 1
        for ann in item.annotations:
            by_type[ann.type] += 1
            by_label[ann.label or "(none)"] += 1
    return {
        "items": len(ds.items),
        "items_without_annotations": empty,
        "subsets": dict(sorted(subsets.items())),
        "labels": len(ds.labels),
        "annotations": sum(by_type.values()),
        "annotations_by_type": dict(sorted(by_type.items())),
        "annotations_by_label": dict(sorted(by_label.items())),
    }


def resolve_format(path: Path, name: str | None, report: Report) -> Format | None:
    """The named format, or the one detected (None, with AF001/AF010/AF011 recorded)."""
    if name:
        return get_format(name)
    found = detect(path)
    if found.format is None:
        report.extend(found.report)
    return found.format


def _jobs(n: int | None) -> AbstractContextManager[None]:
    if n is None:
        return nullcontext()
    if n < 1:
        raise UsageError(Report(), f"jobs must be at least 1, not {n}")
    return use_jobs(n)


def load(path: str | Path, format: str | None = None, *, report: Report | None = None,
         allow_empty: bool = False, progress: ProgressCallback | None = None,
         jobs: int | None = None, **options: Any) -> Dataset:
    """Read a dataset in any known format (a file, a folder or a ``.zip``) into the IR.

    The format is detected unless ``format`` is given; ``options`` are the format's own
    (see ``annoformat formats``). Diagnostics go into ``report`` when one is passed. Zero items
    read from a source that holds files is an error (AF009) unless ``allow_empty``.
    ``progress`` receives a :class:`~annoformat.progress.ProgressEvent` as items are read.
    ``jobs``: processes for per-file formats (default: every usable core; 1: this process).

    Raises:
        AnnoformatError: the input has errors (the report says which, where).

    Example:
        >>> import annoformat as af
        >>> ds = af.load("fixtures/coco/good/minimal/annotations.json")
        >>> len(ds.items), ds.label_names()
        (3, ['cat', 'dog'])
    """
    report = report if report is not None else Report()
    with _jobs(jobs), reporting(progress), opened(Path(path), report) as root:
        ds = _load(root, format, report, allow_empty, options) if root is not None else None
    if ds is None:  # raised here, once an archive's paths in the report are the user's
        raise AnnoformatError(report, api="load")
    return ds


def _read(fmt: Format, root: Path, options: Any, report: Report) -> Dataset | None:
    """``fmt.read`` with the cyclic GC paused; running out of memory is AF905 naming the source,
    never a crash (a reader that knows which file it was reading says so itself)."""
    begin("read")
    try:
        with gc_paused():
            ds = fmt.read(root, options, report)
        if ds is not None:  # a format that reports no progress still shows its count
            finish("read", len(ds.items))
        return ds
    except MemoryError:
        report.add("AF905", path=str(root), detail="")
        return None


def _load(root: Path, format: str | None, report: Report, allow_empty: bool,
          options: dict[str, Any]) -> Dataset | None:
    fmt = resolve_format(root, format, report)
    if fmt is None:
        return None
    since = len(report.diagnostics)
    ds = _read(fmt, root, parse_options(fmt, options), report)
    if ds is None or report.has_errors:
        return None
    _check_read(ds, root, report, since)
    if report.has_errors or (not allow_empty and not check_not_empty(ds, root, fmt, report)):
        return None
    return ds


def check_types(ds: Dataset, report: Report) -> bool:
    """Every field of ``ds`` checked against its type again (AF103 for each wrong one): fields
    are checked when a model is built, not when assigned to, so a pipeline's ``ann.x = "5"``
    is caught here, before a writer would meet it. False when something was wrong."""
    try:
        Dataset.model_validate(ds.model_dump(round_trip=True, warnings=False))
    except ValidationError as exc:
        for err in exc.errors(include_url=False)[:100]:
            report.add("AF103", pointer=_ir_pointer(err["loc"]), reason=err["msg"],
                       value=repr(err.get("input"))[:80])
        return False
    except PydanticSerializationError as exc:  # not even a model where one belongs
        report.add("AF103", pointer="", reason=str(exc).splitlines()[0], value="?")
        return False
    return True


def _ir_pointer(loc: tuple[int | str, ...]) -> str:
    """A JSON Pointer into the IR, without pydantic's union tags (``bbox``, ``image``)."""
    parts = [str(p) for k, p in enumerate(loc)
             if not (p in _TAGS and k and (isinstance(loc[k - 1], int) or loc[k - 1] == "media"))]
    return "/" + "/".join(parts)


_TAGS = {*ANNOTATION_TYPES, "image", "text", "video_frame"}


def validate(path: str | Path | Dataset, format: str | None = None, *,
             max_errors: int | None = None,
             config: str | Path | Literal[False] | None = None,
             skip_unknown: bool = False, images: bool = True,
             progress: ProgressCallback | None = None, jobs: int | None = None) -> Report:
    """Check a file, a dataset (folder or ``.zip``) or a folder of datasets: syntax, schema,
    semantics, then the project's rules. A :class:`Dataset` in memory is checked field by field
    (AF103 for a value of the wrong type) and then semantically.

    The rules come from ``config`` (a pyproject.toml or annoformat.toml), else from the nearest
    such file above ``path``; ``config=False`` skips them. ``skip_unknown`` turns "no format
    recognises this file" into an info (for hooks that see every changed file). A folder that
    no format recognises has every dataset under it validated; what was skipped is listed
    (AF018). ``images=False`` does not ask for the images of formats that train on them
    (YOLO's AF040), for repositories that keep images elsewhere. ``progress`` receives a
    :class:`~annoformat.progress.ProgressEvent` as items are read. ``jobs``: processes for
    per-file formats (default: every usable core; 1: this process).

    Example:
        >>> import annoformat as af
        >>> af.validate("fixtures/coco/good/minimal/annotations.json").has_errors
        False
    """
    report = Report(max_errors)
    if isinstance(path, Dataset):  # a dataset built or changed in code: types, then semantics
        if check_types(path, report):
            check_dataset(path, report)
        return report
    p = Path(path)
    rules: ProjectRules | None = None
    if config is not False:
        config_path = Path(config) if config else find_config(p)
        if config_path is not None:
            rules = load_rules(config_path, report)
            if rules is None:
                return report
    with _jobs(jobs), reporting(progress), opened(p, report) as root:
        if root is None:
            return report
        if format is None and root.is_dir() and detect(root).format is None:
            found = list(datasets_under(root, report))
            if found:
                for sub, sub_fmt in found:
                    _validate_one(sub, sub_fmt, rules, report, images)
                return apply_overrides(report, rules) if rules is not None else report
        scratch = Report()
        fmt = resolve_format(root, format, scratch)
        for diag in scratch:
            if skip_unknown and diag.code == "AF010":
                diag.severity = Severity.INFO
        report.extend(scratch)
        if fmt is not None:
            _validate_one(root, fmt, rules, report, images)
    return apply_overrides(report, rules) if rules is not None else report


def _validate_one(p: Path, fmt: Format, rules: ProjectRules | None, report: Report,
                  images: bool = True) -> None:
    since = len(report.diagnostics)
    wanted = {} if images or "images" not in fmt.options.model_fields else {"images": False}
    with recording() as sm:
        ds = _read(fmt, p, parse_options(fmt, wanted), report)
    if ds is None:
        return
    _check_read(ds, p, report, since)
    if not report.has_errors:
        check_not_empty(ds, p, fmt, report)
    if rules is None:
        return
    check_rules(ds, rules, report, sm, str(p) if p.is_file() else None)
    for file in {d.location.path for d in report.diagnostics[since:] if d.location.path}:
        if file.endswith((".json", ".jsonl")) and Path(file).is_file():
            data = Path(file).read_bytes()
            fill_json_positions(report, file, data, since=since)


def _check_read(ds: Dataset, path: Path, report: Report, since: int) -> None:
    """What every source is checked for after its reader: control characters in names and
    values (AF067; unless the reader already looked line by line, as JSONL does) and skeleton
    edges to keypoints that do not exist (AF232)."""
    if not any(d.code == "AF067" for d in report.diagnostics[since:]):
        check_text(ds, report, str(path))
    check_skeletons(ds, report, str(path))


def plan_loss(ds: Dataset, target: Format, report: Report, options: Any = None, *,
              allow_loss: bool = False, strict: bool = False) -> LossPlan:
    """Ask ``target`` what writing ``ds`` will lose, and record it as AF5xx findings
    (:func:`record_plan`)."""
    opts = options if options is not None else target.options()
    plan = target.plan_loss(ds, opts)
    record_plan(plan, report, allow_loss=allow_loss, strict=strict)
    return plan


def record_plan(plan: LossPlan, report: Report, *, allow_loss: bool = False,
                strict: bool = False) -> None:
    """Apply the loss policy to ``plan`` and record each fact as an AF5xx finding.

    This is where the loss policy is applied, once per conversion (a sharded one applies it to
    the plan merged from its shards'): a fact whose code is an error refuses the conversion
    unless ``allow_loss`` (then it is a warning); ``strict`` makes every fact an error; a
    refusal (``Code.refusal``) stays an error whatever is allowed.

    Example:
        >>> from annoformat.spec import LossPlan
        >>> plan = LossPlan("voc")
        >>> plan.count("AF502", "1/7", kind="polygon", target="its bbox")
        >>> report = Report()
        >>> record_plan(plan, report, allow_loss=True)
        >>> [(d.code, d.severity.value) for d in report]
        [('AF502', 'warning')]
    """
    # by code, then by the fact's own fields (kind, field, what...): stable across runs
    for fact in sorted(plan, key=lambda f: (f.code, [str(v) for v in f.ctx.values()])):
        code = entry(fact.code)
        severity = fact.severity or code.severity
        if code.refusal or strict:
            severity = Severity.ERROR
        elif allow_loss and severity is Severity.ERROR:
            severity = Severity.WARNING
        ctx: dict[str, Any] = {"format": plan.format, **{
            k: str(v) if isinstance(v, MERGEABLE) else v for k, v in fact.ctx.items()}}
        unused = [v for v in fact.ctx.values() if isinstance(v, Unused)]
        if unused and not len(unused[0]):
            continue  # every name it listed is used by some part of the dataset
        if fact.count is not None:
            ctx["count"] = fact.count
        elif unused:
            ctx["count"] = len(unused[0])
        if fact.ids:  # every one kept (LossPlan.KEPT_IDS): messages show the first few
            kept = len(fact.ids)
            more = (fact.count or 0) - kept if kept == LossPlan.KEPT_IDS else 0
            ctx["ids"] = [*fact.ids, f"... {more} more"] if more > 0 else fact.ids
        report.add(fact.code, severity=severity, **ctx)


_DONE = {"hardlink": "hard-linked", "copy": "copied", "symlink": "symlinked"}


@dataclass
class MediaPlacement:
    """How a conversion brings the images along (see ``annoformat.media``), and what it did:
    :meth:`place` for the dataset (or each part of it, in order), then :meth:`record`."""

    mode: Mode
    root: Path  # where the source's images are looked for
    links_ok: bool = True  # symbolic links would point into a temporary unpacking: copy
    placed: Counter[str] = field(default_factory=Counter)
    wanted: int = 0
    missing: list[str] = field(default_factory=list)  # the first ids, for the message
    missing_count: int = 0
    index: MediaIndex | None = None

    def place(self, ds: Dataset, target: Path, fmt: Format, options: Any) -> None:
        """Link or copy each item's image to where ``fmt`` keeps it inside ``target``."""
        assert fmt.media is not None
        wanted = fmt.media(ds, options)
        if not wanted or not target.is_dir():
            return
        self.wanted += len(wanted)
        if self.mode == "none":
            return
        if self.index is None:
            self.index = MediaIndex.of([self.root])
        mode: Mode = self.mode if self.links_ok or self.mode != "symlink" else "copy"
        for i, rel in track(wanted.items(), "images", len(wanted), unit="image"):
            item = ds.items[i]
            found = self.index.find(item)
            if found is None:
                self.missing_count += 1
                if len(self.missing) < 10:
                    self.missing.append(item.id)
                continue
            self.placed[_DONE[place(found, target / rel, mode)]] += 1

    def record(self, target: Path, fmt: Format, report: Report) -> None:
        """What could not be placed: AF061 (no image at all), AF060 (some)."""
        if not self.wanted:
            return
        if self.mode == "none":
            report.add("AF061", path=str(target), format=fmt.name, count=self.wanted,
                       reason="--media none")
        elif self.missing_count and not self.placed:
            report.add("AF061", path=str(target), format=fmt.name, count=self.wanted,
                       reason=f"no image was found under {self.root}")
        elif self.missing_count:
            report.add("AF060", path=str(self.root), count=self.missing_count,
                       root=str(self.root), ids=", ".join(self.missing)
                       + (", ..." if self.missing_count > 10 else ""))


def _write(ds: Dataset, dest: Path, fmt: Format, options: Any, report: Report,
           overwrite: bool, sources: Iterable[Path], media: MediaPlacement | None = None) -> bool:
    """Write ``ds`` to ``dest`` through a staging folder; True only once it is in place."""
    from annoformat._output import staged_output  # (ctypes) only for a write

    with staged_output(dest, report, overwrite=overwrite, sources=sources) as staging:
        if staging is None:
            return False
        staged = staging.path
        errors, since = report.counts["error"], len(report.diagnostics)
        archive = dest.suffix.lower() == ".zip"
        target, member = staged, ""
        if archive:  # the writer writes a folder or a file; the zip is made from it after
            target, member = staged_member(staged, fmt.extensions[0] if fmt.extensions else "")
        begin("write")
        with gc_paused():
            fmt.write(ds, target, options, report)
        if report.counts["error"] == errors:
            finish("write", len(ds.items))
        if media is not None and fmt.media is not None and report.counts["error"] == errors:
            media.place(ds, target, fmt, options)
            media.record(target, fmt, report)
        # name the destination, not the temporary copy
        if archive:
            inside = f"{dest}!/{member}" if target.is_file() else f"{dest}!"
            report.relocate(str(target), inside, since=since)
        else:
            report.relocate(str(staged), str(dest), since=since)
        if report.counts["error"] == errors and target.exists() and archive:
            if target.is_file():
                target = target.rename(target.with_name(member))
            write_zip(target if target.is_dir() else target.parent, staged)
    # decided after the move: a move that failed is not a write
    return staging.committed


def save(ds: Dataset, path: str | Path, format: str, *, allow_loss: bool = False,
         strict: bool = False, overwrite: bool = False, report: Report | None = None,
         progress: ProgressCallback | None = None, **options: Any) -> Report:
    """Check ``ds``, plan the loss for ``format``, and write it atomically to ``path``.

    ``progress`` receives a :class:`~annoformat.progress.ProgressEvent` as items are written.

    Raises:
        AnnoformatError: the dataset has errors, the loss is not allowed, or writing failed.

    Example:
        >>> import annoformat as af, tempfile, os
        >>> ds = af.load("fixtures/coco/good/minimal/annotations.json")
        >>> out = os.path.join(tempfile.mkdtemp(), "copy.json")
        >>> af.save(ds, out, format="coco").has_errors
        False
    """
    from annoformat._output import check_destination

    report = report if report is not None else Report()
    fmt = get_format(format)
    opts = fmt.options_for(parse_options(fmt, options), Path(path))
    if not check_destination(Path(path), report, overwrite=overwrite) or not check_types(
            ds, report):
        raise AnnoformatError(report)
    check_dataset(ds, report)
    if report.has_errors:  # the plan and the writer are handed only valid geometry
        raise AnnoformatError(report)
    plan_loss(ds, fmt, report, opts, allow_loss=allow_loss, strict=strict)
    with reporting(progress):
        written = not report.has_errors and _write(ds, Path(path), fmt, opts, report,
                                                   overwrite, ())
    if not written:
        raise AnnoformatError(report)
    return report


def write_planned(ds: Dataset, path: str | Path, format: str, options: Any = None, *,
                  overwrite: bool = False, report: Report | None = None) -> Report:
    """Write ``ds``, already checked and planned, atomically to ``path``: the second half of a
    conversion, for pipelines that apply the loss policy themselves (``annoformat.dask`` plans
    every shard, records the merged plan once with :func:`record_plan`, then writes each shard
    with this). No check and no plan are run here, and images are not placed.

    Raises:
        AnnoformatError: the destination is refused or the writer failed.

    Example:
        >>> import annoformat as af, tempfile, os
        >>> ds = af.load("fixtures/coco/good/minimal/annotations.json")
        >>> out = os.path.join(tempfile.mkdtemp(), "copy.json")
        >>> write_planned(ds, out, "coco").has_errors
        False
    """
    report = report if report is not None else Report()
    fmt = get_format(format)
    opts = fmt.options_for(parse_options(fmt, options or {}), Path(path))
    if not _write(ds, Path(path), fmt, opts, report, overwrite, ()):
        raise AnnoformatError(report)
    return report


#: the files a dataset folder's labels are in (its images are not read whole)
_LABEL_SUFFIXES = frozenset({".json", ".jsonl", ".xml", ".txt", ".csv", ".yaml", ".yml",
                             ".conll", ".conllu"})


def _fits_whole(src: Path, factor: float) -> bool:
    """Whether reading ``src`` whole (its label files' bytes times ``factor``) takes at most
    three quarters of the memory free (and of half the address space left: Python's arenas
    reserve about twice what they fill)."""
    address, resident = memory_headroom()
    budgets = [free * 3 / 4 for free in (resident,) if free is not None]
    budgets += [free * 3 / 8 for free in (address,) if free is not None]
    if not budgets:
        return True
    limit = min(budgets) / factor  # label bytes beyond this do not fit
    try:
        if not src.is_dir():
            return src.stat().st_size <= limit
        total = 0
        for root, _, files in os.walk(src):
            for name in files:
                if os.path.splitext(name)[1].lower() in _LABEL_SUFFIXES:
                    total += os.stat(os.path.join(root, name)).st_size
                    if total > limit:  # no need to walk the rest
                        return False
    except OSError:
        return True  # the read reports it
    return True


def convert(src: str | Path, dst: str | Path, to: str, from_: str | None = None, *,
            allow_loss: bool = False, strict: bool = False, overwrite: bool = False,
            options: dict[str, Any] | None = None,
            read_options: dict[str, Any] | None = None,
            label_map: str | Path | LabelMap | None = None,
            progress: ProgressCallback | None = None,
            allow_empty: bool = False, media: Mode = "hardlink",
            images: str | Path | None = None, jobs: int | None = None,
            stream: bool | None = None) -> ConversionResult:
    """Convert ``src`` to format ``to`` at ``dst``; never a half-written destination.

    Refusals (bad input, loss not allowed, destination exists) do not raise: the result has
    ``written=False`` and the report says why. Only wrong arguments raise :class:`UsageError`.
    ``label_map`` (a file or a :class:`~annoformat.labelmap.LabelMap`) renames, merges, drops
    and orders labels before the target is planned. ``progress`` receives a
    :class:`~annoformat.progress.ProgressEvent` as items are read (task ``read``) and written
    (``write``) and images placed (``images``).
    ``src`` may be a ``.zip`` (read as the folder it unpacks to) and ``dst`` too (the output
    zipped). Zero items read from a source that holds
    files refuses the conversion (AF009) unless ``allow_empty``. A target that keeps images
    beside its labels (YOLO, VOC, a COCO folder) gets each item's image as ``media`` says
    (``hardlink``, falling back to a copy across file systems; ``copy``; ``symlink``; ``none``),
    found under ``images`` or the source's own folder; what is missing is reported (AF060/061).
    ``jobs``: processes for per-file formats' reads and writes (default: every usable core;
    1: this process); the output is the same for any number.
    ``stream``: write as it reads, in memory that does not grow with the dataset
    (:func:`annoformat.stream.convert_stream`); by default (None) when reading the whole
    dataset would take more than 3/4 of the memory free (its label files' size times the source
    format's ``memory_factor``, against the cgroup limit, MemAvailable and ``ulimit -v``), the
    source reads item by item, the target joins parts (JSONL, doccano, VOC, YOLO), no
    ``label_map`` is given and ``dst`` is not a ``.zip``; False reads the whole dataset first,
    which is faster (1.5x to 3x). The output and the report are the same either way.

    Example:
        >>> import annoformat as af, tempfile, os
        >>> out = os.path.join(tempfile.mkdtemp(), "out.json")
        >>> result = af.convert("fixtures/coco/good/minimal/annotations.json", out, to="coco")
        >>> result.written, result.summary["annotations"]
        (True, 4)
    """
    from annoformat._output import check_destination

    src_p, dst_p = Path(src), Path(dst)
    if media not in MODES:
        raise UsageError(Report(), f"media must be one of {', '.join(MODES)}, not {media!r}")
    report = Report()
    target = get_format(to)
    if (stream is None and target.join is not None and label_map is None
            and dst_p.suffix.lower() != ".zip"):
        source = (get_format(from_) if from_ else
                  None if is_archive(src_p) or not src_p.exists() else detect(src_p).format)
        stream = (source is not None and source.stream is not None
                  and not _fits_whole(src_p, source.memory_factor))
    if stream:
        from annoformat.stream import convert_stream

        if label_map is not None:
            raise UsageError(report, "a label map is applied to the whole dataset: it cannot "
                             "be used with stream=True")
        with _jobs(jobs), reporting(progress):
            return convert_stream(src_p, dst_p, to, from_, allow_loss=allow_loss,
                                  strict=strict, overwrite=overwrite, options=options,
                                  read_options=read_options, allow_empty=allow_empty,
                                  media=media, images=images)
    write_opts = target.options_for(parse_options(target, options or {}), dst_p)
    result = ConversionResult(str(src_p), str(dst_p), from_, target.name, False, report)
    if not check_destination(dst_p, report, overwrite=overwrite):  # before any reading
        return result
    with _jobs(jobs), reporting(progress), opened(src_p, report) as root:
        if root is not None:
            found_in = Path(images) if images is not None else search_root(root)
            media_plan = MediaPlacement(media, found_in, links_ok=not is_archive(src_p))
            _convert(root, src_p, dst_p, target, write_opts, result, allow_loss=allow_loss,
                     strict=strict, overwrite=overwrite, allow_empty=allow_empty,
                     read_options=read_options, label_map=label_map, media=media_plan)
            if media_plan.placed:
                result.summary["media"] = dict(sorted(media_plan.placed.items()))
    return result


def _convert(root: Path, src: Path, dst: Path, target: Format, write_opts: Any,
             result: ConversionResult, *, allow_loss: bool, strict: bool, overwrite: bool,
             allow_empty: bool, read_options: dict[str, Any] | None,
             label_map: str | Path | LabelMap | None, media: MediaPlacement) -> None:
    """The conversion of the source as readers see it (``root``: ``src`` or its unpacking)."""
    report = result.report
    source = resolve_format(root, result.source_format, report)
    if source is None:
        return
    result.source_format = source.name
    since_read = len(report.diagnostics)
    ds = _read(source, root, parse_options(source, read_options or {}), report)
    if ds is None or report.has_errors:
        return
    _check_read(ds, root, report, since_read)
    if report.has_errors or (not allow_empty and not check_not_empty(ds, root, source, report)):
        return
    if label_map is not None:
        from annoformat.labelmap import LabelMap, load_label_map
        from annoformat.labelmap import apply as apply_label_map

        lm = label_map if isinstance(label_map, LabelMap) else load_label_map(
            Path(label_map), report)
        if lm is None:
            return
        ds = apply_label_map(ds, lm, report)
        if report.has_errors:
            return
    result.summary = summarize(ds)
    since = len(report.diagnostics)
    plan_loss(ds, target, report, write_opts, allow_loss=allow_loss, strict=strict)
    for diag in report.diagnostics[since:]:  # what the source holds that the target cannot
        if diag.location.path is None:
            diag.location.path = str(src)
    if report.has_errors:
        return
    result.written = _write(ds, dst, target, write_opts, report, overwrite, [src], media)
