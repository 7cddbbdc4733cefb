"""Dataset statistics (``annoformat stats``): the numbers a reviewer looks at first, per group,
with drift against another dataset and the annotator who labels unlike the others.

Definitions (docs/stats.md):

* objects are annotations of every type; *objects per item* counts them per item, empty items
  included; *empty items* have no annotation at all;
* label shares are a label's annotations over all annotations (unlabelled ones count as
  ``(none)``);
* box statistics are over the annotations that cover an area (bbox, rotated_bbox, polygon,
  mask, ellipse), each by its enclosing axis-aligned box (``.box``): width, height, area
  ``w*h``, size ``sqrt(w*h)`` and aspect ratio ``w/h`` (boxes of height 0 left out of it);
* quantiles interpolate linearly between order statistics (numpy's default);
* the size histogram has octave bins of ``sqrt(w*h)`` in pixels: ``[0, 2)``, ``[2, 4)``, ...,
  ``[1024, 2048)``, ``[2048, inf)``;
* a group (``by``) of a subset holds its items; of an annotator or a label, the annotations
  it made or carries, and the items holding at least one of them.

Drift (``against``) lives in :mod:`annoformat.quality.drift`.

Example:
    >>> from annoformat.quality.stats import stats
    >>> s = stats("fixtures/coco/good/minimal/annotations.json")
    >>> s.summary.items, s.summary.empty_items, s.summary.labels["cat"].count
    (3, 1, 2)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson

from annoformat._io import gc_paused
from annoformat.diagnostics import Report
from annoformat.model import BBox, Dataset, Ellipse, Item, Mask, Polygon, RotatedBBox
from annoformat.quality.items import Source, read_source

if TYPE_CHECKING:  # drift imports this module; it is imported here only when asked for
    from annoformat.quality.drift import Drift

GroupBy = Literal["subset", "annotator", "label"]
#: the annotation types whose enclosing box is an object's size
AREA_TYPES = (BBox, RotatedBBox, Polygon, Mask, Ellipse)
NONE = "(none)"
#: octave edges of sqrt(w*h): bin k holds [EDGES[k], EDGES[k+1])
SIZE_EDGES: tuple[float, ...] = (0.0, *(2.0 ** k for k in range(1, 12)), math.inf)
SIZE_BINS: tuple[str, ...] = tuple(
    f"[{a:g}, {b:g})" for a, b in pairwise(SIZE_EDGES))
#: how many items an HTML report draws
SAMPLES = 4


@dataclass(frozen=True)
class Quantiles:
    """Summary of a list of numbers; every field is None for an empty list."""

    n: int
    min: float | None = None
    p25: float | None = None
    median: float | None = None
    p75: float | None = None
    max: float | None = None
    mean: float | None = None

    @classmethod
    def of(cls, values: Sequence[float] | Any) -> Quantiles:
        """Quantiles of ``values`` (linear interpolation, as numpy's default).

        Example:
            >>> Quantiles.of([1, 2, 3, 4]).p25
            1.75
        """
        import numpy as np

        arr = np.asarray(values, dtype=float)
        if not arr.size:
            return cls(0)
        low, p25, median, p75, high = np.percentile(arr, [0, 25, 50, 75, 100]).tolist()
        return cls(int(arr.size), low, p25, median, p75, high, float(arr.mean()))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LabelCount:
    """A label's annotations and their share of all annotations."""

    count: int
    share: float


@dataclass
class Summary:
    """The statistics of one dataset or group."""

    items: int
    empty_items: int
    annotations: int
    types: dict[str, int]
    objects_per_item: Quantiles
    labels: dict[str, LabelCount]
    box_width: Quantiles
    box_height: Quantiles
    box_area: Quantiles
    box_size: Quantiles
    aspect_ratio: Quantiles
    size_histogram: dict[str, int]
    attributes: dict[str, dict[str, int]]

    def label_counts(self) -> dict[str, int]:
        return {name: c.count for name, c in self.labels.items()}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if isinstance(value, Quantiles):
                out[key] = value.to_dict()
            elif key == "labels":
                out[key] = {k: {"count": v.count, "share": v.share} for k, v in value.items()}
            else:
                out[key] = value
        return out


def attribute_text(value: Any) -> str:
    """An attribute value as one key of the frequency table: strings as they are, anything
    else as its JSON text (``true``, ``3``, ``["a"]``)."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def size_bin(size: float) -> int:
    """The histogram bin of ``sqrt(w*h)``."""
    if size < 2:
        return 0
    return min(int(math.log2(size)), len(SIZE_BINS) - 1)


def summarize(pairs: Iterable[tuple[Item, Sequence[Any]]]) -> Summary:
    """Statistics of ``(item, annotations)`` pairs: the annotations are those of the item that
    the group holds (all of them for a whole dataset)."""
    import numpy as np

    items = empty = 0
    per_item: list[int] = []
    types: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    widths: list[float] = []
    heights: list[float] = []
    attributes: dict[str, Counter[str]] = {}
    with gc_paused():  # millions of small objects alive: the cyclic GC would rescan them all
        for _item, anns in pairs:
            items += 1
            per_item.append(len(anns))
            empty += not anns
            for ann in anns:
                types[ann.type] += 1
                labels[ann.label if ann.label is not None else NONE] += 1
                for key, value in ann.attributes.items():
                    kind = type(value)
                    text = (value if kind is str else ("true" if value else "false")
                            if kind is bool else attribute_text(value))
                    counts = attributes.get(key)
                    if counts is None:
                        counts = attributes[key] = Counter()
                    counts[text] += 1
                if type(ann) is BBox:  # the common case, without building a tuple
                    widths.append(ann.w)
                    heights.append(ann.h)
                elif isinstance(ann, AREA_TYPES):
                    _, _, w, h = ann.box
                    widths.append(w)
                    heights.append(h)
    total = sum(types.values())
    w_arr = np.asarray(widths, dtype=float)
    h_arr = np.asarray(heights, dtype=float)
    areas = w_arr * h_arr
    sizes = np.sqrt(areas)
    # size_bin, vectorised: floor(log2(size)) for sizes of 2 and more, bin 0 below
    bins = np.clip(np.floor(np.log2(np.maximum(sizes, 1.0))), 0, len(SIZE_BINS) - 1)
    histogram = np.bincount(bins.astype(np.int64), minlength=len(SIZE_BINS)).tolist()
    tall = h_arr > 0
    return Summary(
        items=items, empty_items=empty, annotations=total, types=dict(sorted(types.items())),
        objects_per_item=Quantiles.of(per_item),
        labels={name: LabelCount(n, n / total) for name, n in
                sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))},
        box_width=Quantiles.of(w_arr), box_height=Quantiles.of(h_arr),
        box_area=Quantiles.of(areas), box_size=Quantiles.of(sizes),
        aspect_ratio=Quantiles.of(w_arr[tall] / h_arr[tall]),
        size_histogram=dict(zip(SIZE_BINS, histogram, strict=True)),
        attributes={key: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
                    for key, c in sorted(attributes.items())},
    )


def whole(ds: Dataset) -> list[tuple[Item, Sequence[Any]]]:
    """Every item with all its annotations."""
    return [(item, item.annotations) for item in ds.items]


def groups(ds: Dataset, by: GroupBy) -> dict[str, list[tuple[Item, Sequence[Any]]]]:
    """The dataset split by subset, annotator or label (see the module's definitions)."""
    out: dict[str, list[tuple[Item, Sequence[Any]]]] = {}
    if by == "subset":
        for item in ds.items:
            out.setdefault(item.subset or NONE, []).append((item, item.annotations))
        return dict(sorted(out.items()))
    for item in ds.items:
        mine: dict[str, list[Any]] = {}
        for ann in item.annotations:
            key = ann.annotator if by == "annotator" else ann.label
            mine.setdefault(key if key is not None else NONE, []).append(ann)
        for key, anns in mine.items():
            out.setdefault(key, []).append((item, anns))
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class Outlier:
    """The annotator whose label distribution is farthest (Jensen-Shannon distance) from the
    pooled distribution of all the other annotators; ``distances`` has every annotator's."""

    annotator: str
    distance: float
    distances: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Stats:
    """What :func:`stats` found: the whole dataset, its groups, drift and findings."""

    path: str | None
    summary: Summary
    by: GroupBy | None = None
    groups: dict[str, Summary] = field(default_factory=dict)
    outlier: Outlier | None = None
    against: Drift | None = None
    report: Report = field(default_factory=Report)
    #: items an HTML report draws (the ones with most objects), and where their images are
    samples: list[Item] = field(default_factory=list, repr=False)
    image_root: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document ``annoformat stats --output json`` prints."""
        out: dict[str, Any] = {"path": self.path, "summary": self.summary.to_dict()}
        if self.by is not None:
            out["by"] = self.by
            out["groups"] = {k: v.to_dict() for k, v in self.groups.items()}
        if self.by == "annotator":
            out["outlier"] = self.outlier.to_dict() if self.outlier else None
        if self.against is not None:
            out["against"] = self.against.to_dict()
        out["diagnostics"] = [d.to_dict() for d in self.report]
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2).decode()

    def to_html(self) -> str:
        """One self-contained HTML page: tables, plots and the sample items drawn."""
        from annoformat.quality.stats_page import page

        return page(self)


def _load(source: Source, format: str | None) -> tuple[Dataset, str | None]:
    return read_source(source, format), None if isinstance(source, Dataset) else str(source)


def annotator_outlier(parts: dict[str, Summary], report: Report, path: str | None,
                      threshold: float) -> Outlier | None:
    """Each named annotator's label distribution against all the others' pooled (annotations
    without an annotator take no part); AF727 when the farthest is above ``threshold``, AF728
    when fewer than two annotators are named."""
    from annoformat.quality.drift import js_distance

    named = {k: v.label_counts() for k, v in parts.items() if k != NONE}
    if len(named) < 2:
        report.add("AF728", path=path, count=len(named))
        return None
    distances: dict[str, float] = {}
    for name, counts in named.items():
        rest: Counter[str] = Counter()
        for other, theirs in named.items():
            if other != name:
                rest.update(theirs)
        d = js_distance(counts, rest)
        if d is not None:
            distances[name] = d
    if not distances:
        return None
    worst = max(distances, key=lambda k: (distances[k], k))
    if distances[worst] > threshold:
        report.add("AF727", path=path, annotator=worst, distance=round(distances[worst], 4),
                   threshold=threshold)
    return Outlier(worst, distances[worst], dict(sorted(distances.items())))


def stats(source: str | Path | Dataset, *, format: str | None = None,
          by: GroupBy | None = None, against: str | Path | Dataset | None = None,
          against_format: str | None = None, drift_threshold: float = 0.1,
          significance: float = 0.001, images: str | Path | None = None) -> Stats:
    """Statistics of a dataset (a path in any format, or a :class:`Dataset`), optionally per
    group (``by``), and drift against another dataset (``against``, see
    :func:`annoformat.quality.drift.drift`).

    Drift and the annotator outlier are findings in ``report``: AF720-AF726 (drift above
    ``drift_threshold`` or a label share changed with a chi-square p-value below
    ``significance``), AF727/AF728 (``by="annotator"``).

    Raises:
        AnnoformatError: an input cannot be read (the report says why and where).

    Example:
        >>> import annoformat as af
        >>> s = af.stats("fixtures/coco/good/minimal/annotations.json", by="label")
        >>> sorted(s.groups), s.summary.box_width.max
        (['cat', 'dog'], 320.0)
    """
    ds, path = _load(source, format)
    result = Stats(path, summarize(whole(ds)), by=by)
    if by is not None:
        result.groups = {k: summarize(v) for k, v in groups(ds, by).items()}
        if by == "annotator":
            result.outlier = annotator_outlier(result.groups, result.report, path,
                                               drift_threshold)
    if against is not None:
        from annoformat.quality.drift import drift

        other, other_path = _load(against, against_format)
        result.against = drift(result.summary, summarize(whole(other)), result.report,
                               path=path, other_path=other_path, threshold=drift_threshold,
                               significance=significance)
    ranked = sorted((it for it in ds.items if any(isinstance(a, AREA_TYPES)
                                                  for a in it.annotations)),
                    key=lambda it: -len(it.annotations))
    result.samples = ranked[:SAMPLES]
    if images is not None:
        result.image_root = Path(images)
    elif path is not None:
        from annoformat.media import search_root

        result.image_root = search_root(Path(path))
    return result
