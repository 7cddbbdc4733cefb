"""``compare``: a reference (ground truth) against a candidate (an annotator, a batch, a model).

Items are paired (:mod:`annoformat.quality.items`), annotations matched per item and kind
(:mod:`annoformat.quality.match`), then labels, attributes, groups and directions compared.
Conflicts use CVAT's names; metrics follow the definitions in docs/quality.md:

* ``matched``: matched pairs with the same label; ``precision = matched / candidate``,
  ``recall = matched / reference``, ``f1 = 2 matched / (reference + candidate)``,
  ``accuracy = matched / (reference + candidate - matched)``; ``mean_iou`` over the
  same-label pairs (tags, which have no geometry, left out); an empty denominator gives None.

Example:
    >>> import annoformat as af
    >>> gt = af.load("fixtures/coco/good/minimal/annotations.json")
    >>> c = af.compare(gt, gt)
    >>> c.summary["f1"], c.summary["matched"], c.conflicts
    (1.0, 4, [])
"""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson

from annoformat.diagnostics import AnnoformatError, Report, UsageError
from annoformat.model import Dataset, Item, Polyline, Text
from annoformat.parallel import map_shared, use_jobs
from annoformat.quality.checks import considered, covered, group_mismatches
from annoformat.quality.items import Source, pair_items, read_source
from annoformat.quality.match import Settings, match_annotations
from annoformat.quality.similarity import (
    MEASURE,
    SpanMatch,
    line_radius,
    reversed_direction,
)
from annoformat.sourcemap import Origin, SourceMap, recording

NONE = "(none)"
UNLABELLED = "(unlabelled)"
METRICS = ("precision", "recall", "f1", "accuracy", "mean_iou")
ERRORS = ("missing_annotation", "extra_annotation", "mismatching_label")
WARNINGS = ("low_overlap", "mismatching_attributes", "mismatching_groups",
            "mismatching_direction", "covered_annotation")
_ORDER = {name: k for k, name in enumerate(ERRORS + WARNINGS)}


@dataclass
class Conflict:
    """One disagreement: its CVAT type and severity, the item, the two annotations' ids (None
    when absent or unnamed), their labels, the pair's similarity, and where each was read."""

    type: str
    item: dict[str, Any]
    reference: int | str | None = None
    candidate: int | str | None = None
    labels: list[str | None] = field(default_factory=list)
    iou: float | None = None
    measure: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    where: dict[str, Origin | None] = field(default_factory=dict)
    #: (reference index, candidate index) of the annotations in their items
    index: tuple[int | None, int | None] = (None, None)

    @property
    def severity(self) -> str:
        return "error" if self.type in ERRORS else "warning"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type, "severity": self.severity, "item": self.item,
            "reference": self.reference, "candidate": self.candidate, "labels": self.labels,
            "iou": self.iou,
        }
        if self.measure is not None:
            out["measure"] = self.measure
        out.update(self.detail)
        out["locations"] = {side: _origin_dict(self.where.get(side), k) for side, k in
                            zip(("reference", "candidate"), self.index, strict=True)
                            if k is not None}
        return out


def _origin_dict(origin: Origin | None, index: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"index": index}
    if origin is not None:
        out.update({k: v for k, v in (("path", origin.path), ("line", origin.line),
                                      ("pointer", origin.pointer)) if v is not None})
    return out


class _Tally:
    """Counts behind one row of metrics (overall, a label, an item)."""

    __slots__ = ("candidate", "iou_n", "iou_sum", "matched", "reference")

    def __init__(self) -> None:
        self.reference = self.candidate = self.matched = self.iou_n = 0
        self.iou_sum = 0.0

    def add(self, other: _Tally) -> None:
        self.reference += other.reference
        self.candidate += other.candidate
        self.matched += other.matched
        self.iou_n += other.iou_n
        self.iou_sum += other.iou_sum

    def metrics(self) -> dict[str, Any]:
        r, c, m = self.reference, self.candidate, self.matched
        return {"reference": r, "candidate": c, "matched": m,
                "precision": _ratio(m, c), "recall": _ratio(m, r), "f1": _ratio(2 * m, r + c),
                "accuracy": _ratio(m, r + c - m),
                "mean_iou": self.iou_sum / self.iou_n if self.iou_n else None}


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


@dataclass
class Comparison:
    """What ``compare`` found: metrics overall, by label and by item, the confusion matrix,
    the conflicts, and the report of what was read (AF7xx findings included).

    ``to_dict()`` / ``to_json()`` give the documented document: ``summary``, ``by_label``,
    ``confusion``, ``conflicts``, ``items``.
    """

    summary: dict[str, Any]
    by_label: dict[str, dict[str, Any]]
    confusion: dict[str, dict[str, int]]
    conflicts: list[Conflict]
    items: list[dict[str, Any]]
    report: Report
    settings: Settings
    sources: dict[str, str | None] = field(default_factory=dict)
    #: the two datasets compared (what the HTML page draws its worst items from)
    datasets: tuple[Dataset, Dataset] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document ``--output json`` prints."""
        return {"summary": self.summary, "by_label": self.by_label, "confusion": self.confusion,
                "conflicts": [c.to_dict() for c in self.conflicts], "items": self.items}

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2).decode()

    def to_html(self, *, images: str | Path | None = None, worst: int = 10) -> str:
        """The self-contained HTML report (:mod:`annoformat.quality.compare_page`): the
        ``worst`` items are drawn over their images, found under ``images`` (default: the
        reference's image folder, as ``convert`` looks for it)."""
        from annoformat.quality.compare_page import page

        root = Path(images) if images is not None else None
        if root is None and self.sources.get("reference"):
            from annoformat.media import search_root

            root = search_root(Path(str(self.sources["reference"])))
        return page(self, images=root, worst=worst)

    def counts(self) -> Counter[str]:
        """Conflicts by type."""
        return Counter(c.type for c in self.conflicts)

    def gate(self, fail_under: Mapping[str, float]) -> Report:
        """AF706 for each ``metric: least value`` that the summary does not reach (a null
        metric fails)."""
        report = Report()
        for metric, least in fail_under.items():
            value = self.summary.get(metric)
            if value is None or value < least:
                shown = "null" if value is None else f"{value:.4f}"
                report.add("AF706", metric=metric, value=shown, threshold=least)
        return report


def parse_fail_under(pairs: Iterable[str]) -> dict[str, float]:
    """``["f1=0.9", ...]`` -> ``{"f1": 0.9}``; AF707 (a usage error) for a bad one."""
    out: dict[str, float] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        reason = None
        if not sep:
            reason = "expected METRIC=VALUE"
        elif name.strip() not in METRICS:
            reason = f"unknown metric {name.strip()!r}; one of {', '.join(METRICS)}"
        else:
            try:
                out[name.strip()] = float(raw)
            except ValueError:
                reason = f"{raw!r} is not a number"
        if reason is not None:
            report = Report()
            report.add("AF707", option="--fail-under", value=pair, reason=reason)
            raise UsageError(report)
    return out


def _read(source: Source, fmt: str | None, report: Report) -> tuple[Dataset, SourceMap | None]:
    """The dataset, with where each annotation was read when it came from a file."""
    if isinstance(source, Dataset):
        return source, None
    with recording() as sm:
        ds = read_source(source, fmt, report)
    return ds, sm


def compare(reference: Source, candidate: Source, *, from_ref: str | None = None,
            from_cand: str | None = None, iou: float = 0.5, low_overlap: float = 0.8,
            oks_sigma: float = 0.09, line_thickness: float = 0.01, span_match: str = "exact",
            ignore_attributes: Iterable[str] = (), ignore_crowd: bool = False,
            compare_attributes: bool = True, compare_groups: bool = True,
            look_for_covered: bool = True, jobs: int | None = None,
            report: Report | None = None) -> Comparison:
    """Compare ``candidate`` against ``reference`` (paths in any known format, or Datasets).

    ``from_ref`` / ``from_cand`` name their formats (detected otherwise); ``jobs``: processes
    comparing items (default: every usable core; 1: this process; the result is the same);
    the other settings are :class:`~annoformat.quality.match.Settings`'. Findings about the
    inputs (items on one side only, AF701-AF705) go into ``report`` and ``Comparison.report``.

    Raises:
        AnnoformatError: an input cannot be read, or no item pairs (AF705).
        UsageError: a setting is out of range (AF707).

    Example:
        >>> import annoformat as af
        >>> c = af.compare("fixtures/coco/good/minimal/annotations.json",
        ...                "fixtures/coco/good/minimal/annotations.json", iou=0.7)
        >>> c.summary["accuracy"]
        1.0
    """
    settings = Settings(iou=iou, low_overlap=low_overlap, oks_sigma=oks_sigma,
                        line_thickness=line_thickness,
                        span_match=cast(SpanMatch, span_match),  # checked by problems()
                        ignore_attributes=frozenset(ignore_attributes), ignore_crowd=ignore_crowd,
                        compare_attributes=compare_attributes, compare_groups=compare_groups,
                        look_for_covered=look_for_covered)
    report = report if report is not None else Report()
    usage = settings.usage_errors()
    if jobs is not None and jobs < 1:
        usage.add("AF707", option="--jobs", value=jobs, reason="at least 1 process")
    if len(usage):
        raise UsageError(usage)
    ref, ref_map = _read(reference, from_ref, report)
    cand, cand_map = _read(candidate, from_cand, report)
    pairs = pair_items(ref, cand, report)
    if not pairs:
        report.add("AF705", reference=len(ref.items), candidate=len(cand.items))
        raise AnnoformatError(report)
    engine = _Engine(settings, ref_map, cand_map)
    # items are independent: on every usable core (--jobs), merged back in item order
    shared = (settings, ref_map, cand_map, ref.items, cand.items)
    with contextlib.nullcontext() if jobs is None else use_jobs(jobs):
        for outcome in map_shared(_item_outcome, shared, pairs):
            engine.merge(outcome)
    _fill_lines(engine.conflicts)
    return Comparison(
        summary=engine.total.metrics(),
        by_label={k: engine.labels[k].metrics() for k in sorted(engine.labels)},
        confusion={k: dict(sorted(v.items())) for k, v in sorted(engine.confusion.items())},
        conflicts=engine.conflicts, items=engine.rows, report=report, settings=settings,
        sources={"reference": None if isinstance(reference, Dataset) else str(reference),
                 "candidate": None if isinstance(candidate, Dataset) else str(candidate)},
        datasets=(ref, cand))


def _item_outcome(shared: tuple[Any, ...], pair: tuple[int, int]) -> _Engine:
    """One item pair compared on an engine of its own (in a pool worker, or here)."""
    settings, ref_map, cand_map, ref_items, cand_items = shared
    ri, ci = pair
    engine = _Engine(settings, ref_map, cand_map)
    engine.item(ri, ref_items[ri], ci, cand_items[ci])
    engine.maps = (None, None)  # not sent back: the caller has them
    return engine


def item_key(item: Item) -> dict[str, Any]:
    """How an item is named in the JSON output: subset, id, and its media path (text items:
    none)."""
    media = None if isinstance(item.media, Text) else item.media.path
    return {"subset": item.subset, "id": item.id, "media": media}


def _name(ann: Any) -> str:
    return ann.label if ann.label is not None else UNLABELLED


class _Engine:
    """Accumulates metrics, confusion and conflicts item by item."""

    def __init__(self, settings: Settings, ref_map: SourceMap | None,
                 cand_map: SourceMap | None) -> None:
        self.s = settings
        self.maps = (ref_map, cand_map)
        self.total = _Tally()
        self.labels: dict[str, _Tally] = defaultdict(_Tally)
        self.confusion: dict[str, Counter[str]] = defaultdict(Counter)
        self.conflicts: list[Conflict] = []
        self.rows: list[dict[str, Any]] = []

    def merge(self, other: _Engine) -> None:
        """Add what ``other`` found (the next items, in order)."""
        self.total.add(other.total)
        for name, tally in other.labels.items():
            self.labels[name].add(tally)
        for ref_label, row in other.confusion.items():
            self.confusion[ref_label].update(row)
        self.conflicts += other.conflicts
        self.rows += other.rows

    def _origin(self, side: int, item_index: int, index: int | None) -> Origin | None:
        sm = self.maps[side]
        if sm is None or index is None:
            return None
        return sm.annotations.get((item_index, index))

    def item(self, ri: int, ref_item: Item, ci: int, cand_item: Item) -> None:
        s = self.s
        ref = ref_item.annotations
        cand = cand_item.annotations
        media = ref_item.media
        width = getattr(media, "width", None) or getattr(cand_item.media, "width", None)
        height = getattr(media, "height", None) or getattr(cand_item.media, "height", None)
        m = match_annotations(ref, cand, s, width=width, height=height)
        key = item_key(ref_item)
        tally = _Tally()
        found: list[Conflict] = []

        def conflict(kind: str, r: int | None, c: int | None, **extra: Any) -> None:
            labels = [None if r is None else _name(ref[r]), None if c is None else _name(cand[c])]
            found.append(Conflict(
                kind, key, None if r is None else ref[r].id, None if c is None else cand[c].id,
                labels, index=(r, c),
                where={"reference": self._origin(0, ri, r), "candidate": self._origin(1, ci, c)},
                **extra))

        for r in (i for i, a in enumerate(ref) if considered(a, s)):
            tally.reference += 1
            self.labels[_name(ref[r])].reference += 1
        for c in (j for j, a in enumerate(cand) if considered(a, s)):
            tally.candidate += 1
            self.labels[_name(cand[c])].candidate += 1
        for p in m.pairs:
            a, b = ref[p.ref], cand[p.cand]
            la, lb = _name(a), _name(b)
            self.confusion[la][lb] += 1
            measure = MEASURE[p.kind]
            if la != lb:
                conflict("mismatching_label", p.ref, p.cand, iou=p.similarity, measure=measure)
                continue
            tally.matched += 1
            self.labels[la].matched += 1
            if p.kind != "tag":
                for t in (tally, self.labels[la]):
                    t.iou_sum += p.similarity
                    t.iou_n += 1
            if p.similarity < s.low_overlap:
                conflict("low_overlap", p.ref, p.cand, iou=p.similarity, measure=measure)
            if s.compare_attributes:
                differ = _differing(a.attributes, b.attributes, s.ignore_attributes)
                if differ:
                    conflict("mismatching_attributes", p.ref, p.cand, iou=p.similarity,
                             measure=measure, detail={"attributes": differ})
            if p.kind == "polyline" and isinstance(a, Polyline) and isinstance(b, Polyline) and (
                    reversed_direction(a, b, line_radius(m.canvas, s.line_thickness))):
                conflict("mismatching_direction", p.ref, p.cand, iou=p.similarity,
                         measure=measure)
        for r in m.unmatched_ref:
            self.confusion[_name(ref[r])][NONE] += 1
            conflict("missing_annotation", r, None)
        for c in m.unmatched_cand:
            self.confusion[NONE][_name(cand[c])] += 1
            conflict("extra_annotation", None, c)
        if s.compare_groups:
            for r, c in group_mismatches(m, ref, cand):
                conflict("mismatching_groups", r, c, detail={"groups": [ref[r].group,
                                                                        cand[c].group]})
        for c, share, other in covered(cand, m, s) if s.look_for_covered else ():
            conflict("covered_annotation", None, c,
                     detail={"coverage": share, "covered_by": cand[other].id})
        if s.compare_attributes:
            differ = _differing(ref_item.attributes, cand_item.attributes, s.ignore_attributes)
            if differ:
                found.append(Conflict("mismatching_attributes", key, labels=[None, None],
                                      detail={"scope": "item", "attributes": differ}))
        found.sort(key=lambda f: (_ORDER[f.type], f.index[0] if f.index[0] is not None else -1,
                                  f.index[1] if f.index[1] is not None else -1))
        self.conflicts += found
        self.total.add(tally)
        metrics = tally.metrics()
        self.rows.append({"item": key, "reference": tally.reference,
                          "candidate": tally.candidate, "matched": tally.matched,
                          "accuracy": metrics["accuracy"], "conflicts": len(found)})


def _differing(a: Mapping[str, Any], b: Mapping[str, Any], ignored: frozenset[str]) -> list[str]:
    """Attribute names whose values differ (or that one side lacks), sorted."""
    return sorted(k for k in (set(a) | set(b)) - ignored if a.get(k, _MISSING) != b.get(k,
                                                                                   _MISSING))


_MISSING = object()


#: JSON files up to this size get line numbers in conflict locations; finding them tokenises
#: the file in Python (about 0.5 s per MiB), so bigger ones are located by JSON Pointer only
LINES_UP_TO = 2 * 2**20


def _fill_lines(conflicts: list[Conflict]) -> None:
    """Give JSON origins (a pointer, no line) their line, one pass per file involved."""
    from annoformat._io import json_positions

    wanted: dict[str, set[str]] = defaultdict(set)
    for c in conflicts:
        for o in c.where.values():
            if o is not None and o.pointer and o.line is None and o.path.endswith(".json"):
                wanted[o.path].add(o.pointer)
    for path, pointers in wanted.items():
        try:
            if Path(path).stat().st_size > LINES_UP_TO:
                continue
            positions = json_positions(Path(path).read_bytes(), pointers)
        except OSError:
            continue
        for c in conflicts:
            for side, o in c.where.items():
                if o is not None and o.path == path and o.pointer in positions:
                    c.where[side] = Origin(o.path, o.pointer, positions[o.pointer][0])
