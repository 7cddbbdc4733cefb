"""The pipeline: detect -> read (+ schema, checks) -> plan loss -> staged write -> validate -> move.

This module is the only place that knows about loss: :func:`plan_loss` compares a dataset with
a target's capabilities and records AF5xx diagnostics with counts and the ids affected.

Policy (DESIGN.md): losing annotations, geometry, attributes, scores, tracks or items is an
error that refuses the conversion unless ``allow_loss``; losing metadata is a warning;
``strict`` refuses any loss.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from annoformat._io import fill_json_positions, gc_paused, staged_output
from annoformat.checks import check_dataset
from annoformat.codes import CODES, Severity
from annoformat.diagnostics import AnnoformatError, Diagnostic, Report, UsageError
from annoformat.labelmap import LabelMap, load_label_map
from annoformat.labelmap import apply as apply_label_map
from annoformat.model import Dataset
from annoformat.registry import Format, detect, get_format, parse_options
from annoformat.rules import ProjectRules, apply_overrides, check_rules, find_config, load_rules
from annoformat.sourcemap import recording

#: how many affected ids a loss diagnostic lists
MAX_IDS = 20

#: annotation field -> (loss code, is it data rather than metadata?)
_FIELD_LOSS = {
    "score": "AF505",
    "track_id": "AF504",
    "group": "AF506",
    "z_order": "AF506",
    "occluded": "AF506",
    "crowd": "AF506",
}


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


def _resolve_format(path: Path, name: str | None) -> Format:
    if name:
        return get_format(name)
    found = detect(path)
    if found.format is None:
        raise AnnoformatError(found.report)
    return found.format


def load(path: str | Path, format: str | None = None, *, report: Report | None = None,
         **options: Any) -> Dataset:
    """Read a dataset in any known format into the IR.

    The format is detected unless ``format`` is given; ``options`` are the format's own
    (see ``annoformat formats``). Diagnostics go into ``report`` when one is passed.

    Raises:
        AnnoformatError: the input has errors (the report says which, where).

    Example:
        >>> import annoformat as af
        >>> ds = af.load("fixtures/coco/good/minimal/annotations.json")
        >>> len(ds.items), ds.label_names()
        (3, ['cat', 'dog'])
    """
    report = report if report is not None else Report()
    p = Path(path)
    fmt = _resolve_format(p, format)
    with gc_paused():
        ds = fmt.read(p, parse_options(fmt, options), report)
    if ds is None or report.has_errors:
        raise AnnoformatError(report)
    return ds


def validate(path: str | Path, format: str | None = None, *, max_errors: int | None = None,
             config: str | Path | Literal[False] | None = None,
             skip_unknown: bool = False) -> Report:
    """Check a file or dataset: syntax, schema, semantics, then the project's rules.

    The rules come from ``config`` (a pyproject.toml or annoformat.toml), else from the nearest
    such file above ``path``; ``config=False`` skips them. ``skip_unknown`` turns "no format
    recognises this file" into an info (for hooks that see every changed file).

    Example:
        >>> import annoformat as af
        >>> af.validate("fixtures/coco/good/minimal/annotations.json").has_errors
        False
    """
    report = Report(max_errors)
    p = Path(path)
    rules: ProjectRules | None = None
    if config is not False:
        config_path = Path(config) if config else find_config(p)
        if config_path is not None:
            rules = load_rules(config_path, report)
            if rules is None:
                return report
    try:
        fmt = _resolve_format(p, format)
    except AnnoformatError as exc:
        for diag in exc.report:
            if skip_unknown and diag.code == "AF010":
                diag.severity = Severity.INFO
            report.extend([diag])
        return report
    since = len(report.diagnostics)
    with gc_paused(), recording() as sm:
        ds = fmt.read(p, parse_options(fmt, {}), report)
    if ds is None or rules is None:
        return report
    check_rules(ds, rules, report, sm, str(p) if p.is_file() else None)
    for file in {d.location.path for d in report.diagnostics[since:] if d.location.path}:
        if file.endswith((".json", ".jsonl")) and Path(file).is_file():
            data = Path(file).read_bytes()
            fill_json_positions(report, file, data, since=since)
    return apply_overrides(report, rules)


def _ids(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for v in values:
        if len(out) >= MAX_IDS:
            out.append("...")
            break
        out.append(str(v))
    return out


def plan_loss(ds: Dataset, target: Format, report: Report, *, source: str | None = None) -> None:
    """Record AF5xx diagnostics for everything in ``ds`` that ``target`` cannot hold."""
    caps = target.capabilities
    name = target.name
    dropped_items: list[str] = []
    by_type: dict[str, list[str]] = {}
    fields: dict[str, list[str]] = {}
    attr_names: Counter[str] = Counter()
    foreign_extras: Counter[str] = Counter()
    empty_items = 0
    for item in ds.items:
        if item.media.kind not in caps.media:
            dropped_items.append(item.id)
            continue
        if not item.annotations:
            empty_items += 1
        if item.attributes and not caps.item_attributes:
            attr_names.update(list(item.attributes))
        for key in item.extras:
            if key != name:
                foreign_extras[f"item extras ({key})"] += 1
        for ann in item.annotations:
            if ann.type not in caps.annotation_types or ann.label is None:
                by_type.setdefault(ann.type if ann.label is not None else f"unlabelled {ann.type}",
                                   []).append(f"{item.id}/{ann.id}")
                continue
            if ann.attributes and "attributes" not in caps.fields:
                attr_names.update(list(ann.attributes))
            for fld in _FIELD_LOSS:
                if fld not in caps.fields and getattr(ann, fld, None) not in (None, False):
                    fields.setdefault(fld, []).append(f"{item.id}/{ann.id}")
            if ann.extras:
                for key in ann.extras:
                    if key != name:
                        foreign_extras[f"annotation extras ({key})"] += 1
    if dropped_items:
        report.add("AF509", count=len(dropped_items), format=name, ids=_ids(dropped_items),
                   reason="their media kind is not one the format holds")
    if empty_items and not caps.empty_items:
        report.add("AF509", count=empty_items, format=name,
                   reason="the format has no way to list items without annotations")
    for kind, ids in sorted(by_type.items()):
        report.add("AF501", count=len(ids), kind=kind, format=name, ids=_ids(ids))
    for fld, ids in sorted(fields.items()):
        report.add(_FIELD_LOSS[fld], count=len(ids), field=fld, format=name, ids=_ids(ids))
    if attr_names:
        report.add("AF503", count=sum(attr_names.values()), format=name,
                   names=", ".join(sorted(attr_names)))
    _plan_metadata(ds, target, report, foreign_extras)


def _plan_metadata(ds: Dataset, target: Format, report: Report,
                   foreign_extras: Counter[str]) -> None:
    caps, name = target.capabilities, target.name
    if ds.info and "info" not in caps.metadata:
        report.add("AF507", what="info", format=name, detail=", ".join(sorted(ds.info)))
    if not caps.subsets and any(item.subset for item in ds.items):
        report.add("AF507", what="subsets", format=name,
                   detail=", ".join(sorted({i.subset for i in ds.items if i.subset})))
    checks = [
        ("label_parents", "supercategories", [lb.name for lb in ds.labels if lb.parent]),
        ("keypoint_names", "keypoint names and skeletons",
         [lb.name for lb in ds.labels if lb.keypoints or lb.skeleton]),
        ("attribute_specs", "attribute specs", [lb.name for lb in ds.labels if lb.attributes]),
        ("label_ids", "label ids", [lb.name for lb in ds.labels if lb.id is not None]),
    ]
    for key, what, names in checks:
        if names and key not in caps.metadata:
            report.add("AF507", what=what, format=name, detail=", ".join(names[:MAX_IDS]))
    for key in ds.extras:
        if key != name and ds.extras[key]:
            foreign_extras[f"dataset extras ({key})"] += 1
    for label in ds.labels:
        for key in label.extras:
            if key != name:
                foreign_extras[f"label extras ({key})"] += 1
    if caps.extras:  # the target keeps every format's extras verbatim
        return
    for what, count in sorted(foreign_extras.items()):
        report.add("AF507", what=what, format=name, detail=f"{count} object(s)")


def _apply_policy(report: Report, since: int, allow_loss: bool, strict: bool) -> None:
    for diag in report.diagnostics[since:]:
        if not diag.code.startswith("AF5") or CODES[diag.code].refusal:
            continue
        old = diag.severity
        if strict:
            diag.severity = Severity.ERROR
        elif allow_loss and old is Severity.ERROR:
            diag.severity = Severity.WARNING
        if diag.severity is not old:
            report.counts[old.value] -= 1
            report.counts[diag.severity.value] += 1


def _write(ds: Dataset, dest: Path, fmt: Format, options: Any, report: Report,
           overwrite: bool, sources: Iterable[Path], allow_loss: bool, strict: bool) -> bool:
    with staged_output(dest, report, overwrite=overwrite, sources=sources) as staged:
        if staged is None:
            return False
        errors, since = report.counts["error"], len(report.diagnostics)
        with gc_paused():
            fmt.write(ds, staged, options, report)
        # loss only the writer can see (a YOLO task, VOC parts) obeys the same policy: the
        # staged output is simply not moved into place when it is refused
        _apply_policy(report, since, allow_loss, strict)
        for diag in report.diagnostics[since:]:  # name the destination, not the temporary copy
            if diag.location.path and diag.location.path.startswith(str(staged)):
                diag.location.path = str(dest) + diag.location.path[len(str(staged)):]
        return report.counts["error"] == errors and staged.exists()
    return False


def save(ds: Dataset, path: str | Path, format: str, *, allow_loss: bool = False,
         strict: bool = False, overwrite: bool = False, report: Report | None = None,
         **options: Any) -> Report:
    """Check ``ds``, plan the loss for ``format``, and write it atomically to ``path``.

    Raises:
        AnnoformatError: the dataset has errors, the loss is not allowed, or writing failed.

    Example:
        >>> import annoformat as af, tempfile, os
        >>> ds = af.load("fixtures/coco/good/minimal/annotations.json")
        >>> out = os.path.join(tempfile.mkdtemp(), "copy.json")
        >>> af.save(ds, out, format="coco").has_errors
        False
    """
    report = report if report is not None else Report()
    fmt = get_format(format)
    opts = parse_options(fmt, options)
    check_dataset(ds, report)
    since = len(report.diagnostics)
    plan_loss(ds, fmt, report)
    _apply_policy(report, since, allow_loss, strict)
    if report.has_errors or not _write(ds, Path(path), fmt, opts, report, overwrite, (),
                                       allow_loss, strict):
        raise AnnoformatError(report)
    return report


def convert(src: str | Path, dst: str | Path, to: str, from_: str | None = None, *,
            allow_loss: bool = False, strict: bool = False, overwrite: bool = False,
            options: dict[str, Any] | None = None,
            read_options: dict[str, Any] | None = None,
            label_map: str | Path | LabelMap | None = None,
            progress: Callable[[str], None] | None = None) -> ConversionResult:
    """Convert ``src`` to format ``to`` at ``dst``; never a half-written destination.

    Refusals (bad input, loss not allowed, destination exists) do not raise: the result has
    ``written=False`` and the report says why. Only wrong arguments raise :class:`UsageError`.
    ``label_map`` (a file or a :class:`~annoformat.labelmap.LabelMap`) renames, merges, drops
    and orders labels before the target is planned. ``progress`` is called with each phase
    ("read", "plan", "write") as it starts.

    Example:
        >>> import annoformat as af, tempfile, os
        >>> out = os.path.join(tempfile.mkdtemp(), "out.json")
        >>> result = af.convert("fixtures/coco/good/minimal/annotations.json", out, to="coco")
        >>> result.written, result.summary["annotations"]
        (True, 4)
    """
    src_p, dst_p = Path(src), Path(dst)
    report = Report()
    target = get_format(to)
    write_opts = parse_options(target, options or {})
    result = ConversionResult(str(src_p), str(dst_p), from_, target.name, False, report)
    try:
        source = _resolve_format(src_p, from_)
    except UsageError:
        raise
    except AnnoformatError as exc:
        report.extend(exc.report)
        return result
    result.source_format = source.name
    step = progress or (lambda phase: None)
    step("read")
    with gc_paused():
        ds = source.read(src_p, parse_options(source, read_options or {}), report)
    if ds is None or report.has_errors:
        return result
    if label_map is not None:
        lm = label_map if isinstance(label_map, LabelMap) else load_label_map(
            Path(label_map), report)
        if lm is None:
            return result
        ds = apply_label_map(ds, lm, report)
        if report.has_errors:
            return result
    result.summary = summarize(ds)
    step("plan")
    since = len(report.diagnostics)
    plan_loss(ds, target, report)
    _apply_policy(report, since, allow_loss, strict)
    if report.has_errors:
        return result
    step("write")
    result.written = _write(ds, dst_p, target, write_opts, report, overwrite, [src_p],
                            allow_loss, strict)
    return result
