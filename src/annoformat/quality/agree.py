"""``agree``: agreement among several annotators (docs/quality.md, "agree").

The annotators and their items come from :mod:`annoformat.quality.panel`. Then:

* **pairwise**: :func:`~annoformat.quality.compare.compare` for every two annotators, on the
  items that count for both, the first as reference (``f1`` and ``accuracy`` are symmetric;
  swapping the two swaps ``precision`` and ``recall``).
* **reliability data** for Krippendorff's alpha (nominal), one row per unit, one column per
  annotator. Units: one per item that someone tagged (the value: the set of that annotator's
  tag labels, empty when they tagged nothing), and one per cluster of matching regions or spans
  (:mod:`annoformat.quality.cluster`; the value: the member's label, or *none* for an
  annotator the item counts for who drew nothing there, so an unmatched object is a
  disagreement). An annotator the item does not count for is missing (not a value). Units
  whose values are all *none* are dropped (nobody drew anything there).
* **alpha**: ``overall`` over every unit; ``by_label[L]`` over every unit with each value
  replaced by whether it holds ``L``; ``without[A]`` over every unit with annotator ``A``'s
  column removed (units then all *none* dropped).
* **review**: the items whose mean pairwise accuracy is below 1, least agreed first.

Example:
    >>> from annoformat.model import BBox, Dataset, Image, Item
    >>> def one(label, x):
    ...     return Dataset(items=[Item(id="1", media=Image(path="a.jpg", width=99, height=99),
    ...                            annotations=[BBox(label=label, x=x, y=0, w=10, h=10)])])
    >>> a = agreement([one("car", 0), one("car", 1), one("bus", 0)], annotators=["x", "y", "z"])
    >>> [(p["a"], p["b"], p["f1"]) for p in a.pairwise]
    [('x', 'y', 1.0), ('x', 'z', 0.0), ('y', 'z', 0.0)]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import orjson

from annoformat.diagnostics import Report, UsageError
from annoformat.model import Dataset, Item
from annoformat.quality.alpha import nominal_alpha, presence_alphas
from annoformat.quality.cluster import cluster_item
from annoformat.quality.compare import UNLABELLED, compare, item_key
from annoformat.quality.items import Source
from annoformat.quality.items import label as item_label
from annoformat.quality.match import Settings
from annoformat.quality.panel import Panel, examples, read_panel

#: a unit's value: the labels an annotator gave it (one for a region or span, any number of
#: tags); the empty tuple is *none* (counted for the item, drew nothing there)
Value = tuple[str, ...]
NONE: Value = ()
PAIR_METRICS = ("f1", "precision", "recall", "accuracy")


@dataclass
class Unit:
    """One row of the reliability data: the item row, the kind (``tag`` for an item's tags),
    each annotator's value (None: missing) and, for clusters, each member's annotation
    index."""

    row: int
    kind: str
    values: list[Value | None]
    members: dict[int, int] = field(default_factory=dict)

    def disagrees(self) -> bool:
        return len({v for v in self.values if v is not None}) > 1


def show(value: Value | None) -> str | None:
    """A value as the JSON output writes it: labels joined by ``+``, ``(none)``, or null."""
    if value is None:
        return None
    return "+".join(value) if value else "(none)"


@dataclass
class Agreement:
    """What ``agree`` found. ``to_dict()`` / ``to_json()`` give the documented document:
    ``annotators``, ``items``, ``pairwise``, ``alpha``, ``review``; ``units`` is the
    reliability data alpha was computed on and ``report`` the findings (AF74x)."""

    annotators: list[dict[str, Any]]
    items: list[dict[str, Any]]
    pairwise: list[dict[str, Any]]
    alpha: dict[str, Any]
    review: list[dict[str, Any]]
    units: list[Unit]
    report: Report
    panel: Panel

    def to_dict(self) -> dict[str, Any]:
        """The JSON document ``--output json`` prints."""
        return {"annotators": self.annotators, "items": self.items, "pairwise": self.pairwise,
                "alpha": self.alpha, "review": self.review}

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2).decode()

    def matrix(self, metric: str = "f1") -> list[list[float | None]]:
        """The annotator x annotator matrix of a pairwise metric (1.0 on the diagonal), like
        Label Studio's agreement matrix; ``precision`` reads row as reference."""
        names = [a["name"] for a in self.annotators]
        at = {n: k for k, n in enumerate(names)}
        out: list[list[float | None]] = [[1.0 if i == j else None for j in names] for i in names]
        swap = {"precision": "recall", "recall": "precision"}
        for p in self.pairwise:
            i, j = at[p["a"]], at[p["b"]]
            out[i][j] = p[metric]
            out[j][i] = p[swap.get(metric, metric)]
        return out

    def reliability(self, without: str | None = None) -> tuple[list[str], list[list[Hashable]]]:
        """The reliability data (annotator names, one row of values per unit; None missing)
        that ``alpha["overall"]`` (or ``alpha["without"][without]``) was computed on."""
        keep = [k for k, a in enumerate(self.annotators) if a["name"] != without]
        return ([self.annotators[k]["name"] for k in keep],
                [[show(v) for v in row] for row in _rows(self.units, keep)])


def agreement(sources: Source | Sequence[Source], *, annotators: Iterable[str] = (),
              format: str | None = None, iou: float = 0.5, oks_sigma: float = 0.09,
              line_thickness: float = 0.01, span_match: str = "exact",
              ignore_crowd: bool = False, review: int = 20, with_models: bool = False,
              report: Report | None = None) -> Agreement:
    """Agreement among annotators: several sources (one per annotator, named by
    ``annotators`` in order, else by file stem) or one source whose annotations carry
    ``annotator`` (``annotators`` then picks some; model output takes part only
    ``with_models``). Geometry settings are ``compare``'s; ``review`` caps the review queue.

    Raises:
        AnnoformatError: an input cannot be read, or fewer than two annotators (AF740).
        UsageError: bad names (AF743) or settings (AF707).

    Example:
        >>> import annoformat as af
        >>> a = af.agreement("fixtures/_agree/one-file.jsonl")
        >>> [x["name"] for x in a.annotators], round(a.alpha["overall"], 4)
        (['ann', 'bob', 'cat'], 0.3889)
    """
    report = report if report is not None else Report()
    settings = Settings(iou=iou, oks_sigma=oks_sigma, line_thickness=line_thickness,
                        span_match=span_match, ignore_crowd=ignore_crowd)  # type: ignore[arg-type]
    usage = settings.usage_errors()
    if len(usage):
        raise UsageError(usage)
    panel = read_panel(sources, annotators=list(annotators), format=format, report=report,
                       with_models=with_models)
    pairwise, per_item = _pairwise(panel, settings)
    units = _units(panel, settings)
    _coverage_findings(panel, report)
    alpha = _alpha(panel, units, report)
    rows = _item_rows(panel, units, per_item)
    queue = sorted((r for r, row in enumerate(rows)
                    if row["agreement"] is not None and row["agreement"] < 1),
                   key=lambda r: (rows[r]["agreement"], -rows[r]["disagreements"], r))[:review]
    return Agreement(
        annotators=[_annotator(panel, k) for k in range(len(panel.names))],
        items=rows, pairwise=pairwise, alpha=alpha,
        review=[_review_entry(panel, units, r, rows[r]) for r in queue], units=units, report=report,
        panel=panel)


def _annotator(panel: Panel, k: int) -> dict[str, Any]:
    cells = [row[k] for row in panel.cells if row[k] is not None]
    return {"name": panel.names[k], "source": panel.sources[k], "items": len(cells),
            "annotations": sum(len(c.annotations) for c in cells if c is not None)}


def _restamped(cell: Item, row: int, like: Item) -> Item:
    # compare pairs items again: give both sides the row's identity so they pair exactly
    return cell.model_copy(update={"id": str(row), "subset": like.subset, "media": like.media})


def _pairwise(panel: Panel, settings: Settings) -> tuple[list[dict[str, Any]],
                                                         dict[int, list[float]]]:
    out: list[dict[str, Any]] = []
    per_item: dict[int, list[float]] = {}
    for a, b in combinations(range(len(panel.names)), 2):
        rows = [r for r, cells in enumerate(panel.cells)
                if cells[a] is not None and cells[b] is not None]
        entry: dict[str, Any] = {"a": panel.names[a], "b": panel.names[b], "items": len(rows)}
        entry.update(dict.fromkeys(PAIR_METRICS))
        if rows:
            sides = [Dataset.model_construct(labels=panel.labels, info={}, extras={}, items=[
                _restamped(panel.cells[r][k], r, panel.items[r]) for r in rows])  # type: ignore[arg-type]
                for k in (a, b)]
            c = compare(sides[0], sides[1], iou=settings.iou, oks_sigma=settings.oks_sigma,
                        line_thickness=settings.line_thickness, span_match=settings.span_match,
                        ignore_crowd=settings.ignore_crowd, compare_attributes=False,
                        compare_groups=False, look_for_covered=False)
            entry.update({m: c.summary[m] for m in PAIR_METRICS})
            for row in c.items:
                if row["accuracy"] is not None:
                    per_item.setdefault(int(row["item"]["id"]), []).append(row["accuracy"])
        out.append(entry)
    return out, per_item


def _label(ann: Any) -> str:
    return ann.label if ann.label is not None else UNLABELLED


def _units(panel: Panel, settings: Settings) -> list[Unit]:
    units: list[Unit] = []
    for r, cells in enumerate(panel.cells):
        present = [c is not None for c in cells]
        tags: list[Value | None] = [
            tuple(sorted({_label(a) for a in c.annotations if a.type == "tag"}))
            if c is not None else None for c in cells]
        if any(tags):
            units.append(Unit(r, "tag", tags))
        media = panel.items[r].media
        regions = [None if c is None else [a for a in c.annotations if a.type != "tag"]
                   for c in cells]
        for cl in cluster_item(regions, settings, width=getattr(media, "width", None),
                               height=getattr(media, "height", None)):
            values: list[Value | None] = [
                (_label(regions[k][cl.members[k]]),) if k in cl.members  # type: ignore[index]
                else NONE if present[k] else None for k in range(len(cells))]
            units.append(Unit(r, cl.kind, values, dict(cl.members)))
    return units


def _rows(units: list[Unit], keep: list[int]) -> list[list[Value | None]]:
    """The reliability rows over the annotators ``keep``: units all *none* there dropped."""
    out = []
    for u in units:
        row = [u.values[k] for k in keep]
        if any(v for v in row if v is not None):
            out.append(row)
    return out


def _alpha(panel: Panel, units: list[Unit], report: Report) -> dict[str, Any]:
    everyone = list(range(len(panel.names)))
    rows = _rows(units, everyone)
    overall = nominal_alpha(rows)
    if overall is None:
        paired = any(sum(v is not None for v in row) >= 2 for row in rows)
        report.add("AF745", reason="one value in every unit" if paired
                   else "no unit was coded by two annotators")
    per_label = presence_alphas(rows)
    by_label = {lab: per_label[lab] for lab in sorted(per_label, key=str)}
    without = {n: nominal_alpha(_rows(units, [j for j in everyone if j != k]))
               for k, n in enumerate(panel.names)}
    return {"overall": overall, "by_label": by_label, "without": without}


def _coverage_findings(panel: Panel, report: Report) -> None:
    lonely = [item_label(panel.items[r]) for r in range(len(panel.cells))
              if len(panel.present(r)) < 2]
    if lonely:
        report.add("AF744", count=len(lonely), examples=examples(lonely))
    if not panel.single_file:
        empty = [item_label(panel.items[r]) for r, cells in enumerate(panel.cells)
                 if any(c is not None and not c.annotations for c in cells)
                 and any(c is not None and c.annotations for c in cells)]
        if empty:
            report.add("AF754", count=len(empty), examples=examples(empty))


def _item_rows(panel: Panel, units: list[Unit],
               per_item: dict[int, list[float]]) -> list[dict[str, Any]]:
    counts: dict[int, list[int]] = {}
    for u in units:
        c = counts.setdefault(u.row, [0, 0])
        c[0] += 1
        c[1] += u.disagrees()
    out = []
    for r, item in enumerate(panel.items):
        acc = per_item.get(r)
        n, bad = counts.get(r, [0, 0])
        out.append({"item": item_key(item), "annotators": [panel.names[k]
                                                           for k in panel.present(r)],
                    "units": n, "disagreements": bad,
                    "agreement": sum(acc) / len(acc) if acc else None})
    return out


def _review_entry(panel: Panel, units: list[Unit], r: int,
                  row: dict[str, Any]) -> dict[str, Any]:
    found = []
    for u in units:
        if u.row == r and u.disagrees():
            found.append({"kind": u.kind, "labels": {
                panel.names[k]: show(v) for k, v in enumerate(u.values) if v is not None},
                "annotations": {panel.names[k]: _ann_id(panel, r, k, i)
                                for k, i in u.members.items()}})
    return {**row, "disagreeing": found}


def _ann_id(panel: Panel, row: int, k: int, index: int) -> int | str | None:
    cell = panel.cells[row][k]
    if cell is None:
        return None
    regions = [a for a in cell.annotations if a.type != "tag"]
    return regions[index].id
