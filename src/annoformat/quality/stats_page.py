"""The HTML page of ``annoformat stats --output html`` (built with :mod:`.html`).

Example:
    >>> from annoformat.quality.stats import stats
    >>> html = page(stats("fixtures/_stats/batch-a/annotations.json"))
    >>> html.count('<svg class="item-view"')
    3
"""

from __future__ import annotations

from typing import Any

from annoformat.media import MediaIndex
from annoformat.quality.drift import Drift
from annoformat.quality.html import Page, draw_item
from annoformat.quality.stats import Quantiles, Stats, Summary

_BOX_ROWS = (("box width", "box_width"), ("box height", "box_height"),
             ("box area", "box_area"), ("box size sqrt(w*h)", "box_size"),
             ("aspect ratio w/h", "aspect_ratio"))
_Q_HEAD = ["", "n", "min", "p25", "median", "p75", "max", "mean"]
#: groups drawn as charts (a table lists them all)
_CHARTS = 12


def _f(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _q_row(name: str, q: Quantiles) -> list[Any]:
    return [name, q.n, *(_f(getattr(q, k)) for k in _Q_HEAD[2:])]


def _summary(page: Page, s: Summary, title: str) -> None:
    page.table(["", ""], [["items", s.items], ["empty items", s.empty_items],
                          ["annotations", s.annotations],
                          *([f"type {k}", v] for k, v in s.types.items())], numeric={1})
    page.table(_Q_HEAD, [_q_row("objects per item", s.objects_per_item),
                         *(_q_row(name, getattr(s, key)) for name, key in _BOX_ROWS)],
               numeric=set(range(1, 8)))
    page.bar_chart(f"{title}: annotations per label", s.label_counts())
    page.histogram(f"{title}: box size sqrt(w*h), pixels", s.size_histogram)


def page(result: Stats) -> str:
    """The whole report page of ``result``."""
    s = result.summary
    out = Page(f"annoformat stats: {result.path or 'dataset'}")
    _summary(out, s, "all")
    out.heading("Labels")
    out.table(["label", "count", "share"],
              [[k, v.count, f"{v.share:.1%}"] for k, v in s.labels.items()], numeric={1, 2})
    if s.attributes:
        out.heading("Attribute values")
        out.table(["attribute", "value", "count"],
                  [[k, value, n] for k, values in s.attributes.items()
                   for value, n in values.items()], numeric={2})
    if result.by is not None:
        out.heading(f"By {result.by}")
        out.table([result.by, "items", "empty", "annotations", "median objects/item",
                   "median size"],
                  [[k, g.items, g.empty_items, g.annotations, _f(g.objects_per_item.median),
                    _f(g.box_size.median)] for k, g in result.groups.items()],
                  numeric={1, 2, 3, 4, 5})
        for k, g in list(result.groups.items())[:_CHARTS]:
            if result.by == "label":  # one label per group: its sizes say more
                out.histogram(f"label {k}: box size sqrt(w*h), pixels", g.size_histogram)
            else:
                out.bar_chart(f"{result.by} {k}: annotations per label", g.label_counts())
    if result.outlier is not None:
        out.heading("Annotator farthest from the others")
        out.paragraph(f"{result.outlier.annotator}: Jensen-Shannon distance "
                      f"{result.outlier.distance:.4f} to the other annotators' pooled labels")
        out.bar_chart("distance to the others", result.outlier.distances)
    if result.against is not None:
        _drift(out, result.against)
    if len(result.report):
        out.heading("Findings")
        out.table(["code", "severity", "message"],
                  [[d.code, d.severity.value, d.message] for d in result.report])
    _samples(out, result)
    return out.render()


def _drift(out: Page, d: Drift) -> None:
    out.heading(f"Against {d.other_path or 'the other dataset'}")
    out.table(["", "value"], [
        ["label distance (Jensen-Shannon)", _f(d.label_distance)],
        ["box size distance (Jensen-Shannon)", _f(d.size_distance)],
        ["labels chi-square p", _f(d.labels_chi2["p"]) if d.labels_chi2 else ""],
        ["threshold", d.threshold], ["labels appeared", ", ".join(d.labels_appeared)],
        ["labels vanished", ", ".join(d.labels_vanished)]])
    out.table(["label", "count", "share", "other count", "other share", "change", "p"],
              [[k, r.count, f"{r.share:.1%}", r.other_count, f"{r.other_share:.1%}",
                f"{r.change:+.1%}", _f(r.p)] for k, r in d.labels.items()],
              numeric=set(range(1, 7)))
    out.histogram("other: box size sqrt(w*h), pixels", d.other.size_histogram)


def _samples(out: Page, result: Stats) -> None:
    if not result.samples:
        return
    out.heading("Items with the most objects")
    index = MediaIndex.of([result.image_root] if result.image_root else [])
    for item in result.samples:
        image = index.find(item) if result.image_root else None
        where = getattr(item.media, "path", item.id)
        note = "" if image is not None else " (image not found)"
        out.figure(draw_item(item, image=image),
                   f"{where}: {len(item.annotations)} annotation(s){note}")
