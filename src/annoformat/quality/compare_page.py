"""The HTML page of ``annoformat compare --output html`` (built with :mod:`.html`).

One self-contained page: the summary table, precision / recall / f1 per label as inline SVG
bars, the confusion matrix, the worst items (lowest accuracy first, as the text report ranks
them) drawn over their images with the reference solid, the candidate dashed and every
annotation of a conflict in red, and the conflicts with their locations. A worst item whose
image is not found is listed, not drawn.

Example:
    >>> import annoformat as af
    >>> gt = "fixtures/_stats/batch-a/annotations.json"
    >>> html = page(af.compare(gt, gt))
    >>> html.count('<svg class="item-view"'), "no conflicts" in html
    (0, True)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from annoformat.diagnostics import Report
from annoformat.media import MediaIndex
from annoformat.model import Dataset, Item
from annoformat.quality.compare import NONE, Comparison, Conflict, item_key
from annoformat.quality.html import Page, draw_item
from annoformat.quality.items import pair_items
from annoformat.quality.text import describe, item_name, where_of

WORST = 10
#: conflicts listed on the page at most (the JSON output has them all)
CONFLICTS_LISTED = 1000
_COLUMNS = ("reference", "candidate", "matched", "precision", "recall", "f1", "accuracy",
            "mean_iou")
#: the bars of each label, in this order and colour (an inline style: the page's ``.bar``
#: rule would override a fill attribute)
_BARS = (("precision", "#4c78a8"), ("recall", "#f58518"), ("f1", "#54a24b"))


def _f(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def worst_items(comparison: Comparison, worst: int = WORST) -> list[dict[str, Any]]:
    """The ``worst`` item rows with an accuracy below 1, lowest first (more reference
    annotations first among equals): the ones the page draws."""
    rated = [row for row in comparison.items if row["accuracy"] is not None
             and row["accuracy"] < 1]
    rated.sort(key=lambda row: (row["accuracy"], -row["reference"]))
    return rated[:worst]


def _key(item: dict[str, Any]) -> tuple[Any, ...]:
    return item.get("subset"), item.get("id"), item.get("media")


def metric_chart(by_label: dict[str, dict[str, Any]], *, width: int = 640) -> str:
    """Grouped horizontal bars: precision, recall and f1 of each label on a 0..1 scale (a
    null metric has no bar and reads ``-``)."""
    group, bar = 46, 12
    left = min(200, 12 + 7 * max([len(k) for k in by_label] + [5]))
    span = width - left - 50
    height = 36 + group * len(by_label)
    out = [f'<svg class="chart metrics" role="img" aria-label="precision, recall and f1 by '
           f'label" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for k, (name, color) in enumerate(_BARS):  # the legend
        out.append(f'<rect x="{left + 90 * k}" y="2" width="10" height="10" fill="{color}"/>'
                   f'<text x="{left + 90 * k + 14}" y="11">{name}</text>')
    for g, (label, m) in enumerate(by_label.items()):
        top = 22 + g * group
        shown = label if len(label) <= 28 else label[:27] + "…"
        out.append(f'<text x="{left - 6}" y="{top + 22}" text-anchor="end">'
                   f'{escape(shown)}</text>')
        for k, (name, color) in enumerate(_BARS):
            value = m.get(name)
            y = top + k * (bar + 1)
            w = 0.0 if value is None else max(value, 0.0) * span
            out.append(f'<rect class="bar {name}" x="{left}" y="{y}" width="{w:.1f}" '
                       f'height="{bar}" style="fill:{color}" data-label="{escape(label)}" '
                       f'data-metric="{name}"><title>{escape(label)} {name}: {_f(value)}'
                       f'</title></rect><text x="{left + w + 4:.1f}" y="{y + 10}">{_f(value)}'
                       "</text>")
    out.append(f'<line x1="{left}" y1="18" x2="{left}" y2="{height - 4}" stroke="#999"/>'
               f'<line x1="{left + span}" y1="18" x2="{left + span}" y2="{height - 4}" '
               'stroke="#ccc" stroke-dasharray="2 2"/></svg>')
    return "".join(out)


def _confusion(comparison: Comparison) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the confusion matrix: reference labels down, candidate across,
    ``(none)`` last on both."""
    cols = sorted({c for row in comparison.confusion.values() for c in row} - {NONE})
    cols += [NONE] if any(NONE in row for row in comparison.confusion.values()) else []
    refs = sorted(set(comparison.confusion) - {NONE})
    refs += [NONE] if NONE in comparison.confusion else []
    return (["reference \\ candidate", *cols],
            [[r, *(comparison.confusion[r].get(c, "") for c in cols)] for r in refs])


def _pairs(ref: Dataset, cand: Dataset) -> dict[tuple[Any, ...], list[tuple[Item, Item]]]:
    """The paired items by their JSON key (several when a key is shared, in order)."""
    out: dict[tuple[Any, ...], list[tuple[Item, Item]]] = defaultdict(list)
    for ri, ci in pair_items(ref, cand, Report()):
        out[_key(item_key(ref.items[ri]))].append((ref.items[ri], cand.items[ci]))
    return out


def _marked(item: Item, indexes: Iterable[int]) -> tuple[Item, set[Any]]:
    """``item`` with an id (``[index]``, as the text report names it) given to each marked
    annotation that has none, and the ids to highlight."""
    wanted = set(indexes)
    anns = list(item.annotations)
    ids: set[Any] = set()
    for k in sorted(wanted):
        if k >= len(anns):
            continue
        if anns[k].id is None:
            anns[k] = anns[k].model_copy(update={"id": f"[{k}]"})
        ids.add(anns[k].id)
    if anns == list(item.annotations):
        return item, ids
    return item.model_copy(update={"annotations": anns}), ids


def _conflict_rows(conflicts: Sequence[Conflict]) -> list[list[Any]]:
    rows = []
    for c in conflicts:
        at, pointer = where_of(c)
        rows.append([c.type, c.severity, item_name(c.item), describe(c),
                     "" if c.iou is None else f"{c.iou:.3f}",
                     (at.rstrip(": ") + pointer).strip()])
    return rows


def page(comparison: Comparison, *, images: Path | None = None, worst: int = WORST,
         reference: Dataset | None = None, candidate: Dataset | None = None) -> str:
    """The whole report page of ``comparison``; the worst items are drawn from ``reference``
    and ``candidate`` (default: the datasets the comparison kept) over the images found
    under ``images`` (none drawn when it is None)."""
    s = comparison.summary
    src = comparison.sources
    out = Page(f"annoformat compare: {src.get('candidate') or 'candidate'} against "
               f"{src.get('reference') or 'reference'}")
    out.paragraph(f"{len(comparison.items)} item(s) paired, {s['reference']} reference and "
                  f"{s['candidate']} candidate annotation(s).")
    out.heading("Summary")
    out.table(["label", *_COLUMNS],
              [[name, *(_f(m[c]) for c in _COLUMNS)]
               for name, m in [("(all)", s), *comparison.by_label.items()]],
              numeric=set(range(1, len(_COLUMNS) + 1)))
    if comparison.by_label:
        out.heading("Precision, recall and f1 by label")
        out.parts.append(metric_chart(comparison.by_label))
    out.heading("Confusion matrix")
    header, rows = _confusion(comparison)
    out.table(header, rows, numeric=set(range(1, len(header))))
    counts = comparison.counts()
    if counts:
        out.bar_chart("conflicts by type", dict(sorted(counts.items())))
    _worst(out, comparison, images, worst, reference, candidate)
    out.heading("Conflicts")
    if not comparison.conflicts:
        out.paragraph("no conflicts: every annotation matched one with the same label.")
    else:
        listed = comparison.conflicts[:CONFLICTS_LISTED]
        out.table(["type", "severity", "item", "what", "similarity", "location"],
                  _conflict_rows(listed), numeric={4})
        if len(comparison.conflicts) > len(listed):
            out.paragraph(f"{len(comparison.conflicts) - len(listed)} more conflict(s) not "
                          "listed here: the JSON output (--output json) has them all.",
                          "note")
    return out.render()


def _worst(out: Page, comparison: Comparison, images: Path | None, worst: int,
           reference: Dataset | None, candidate: Dataset | None) -> None:
    rows = worst_items(comparison, worst)
    out.heading("Worst items")
    if not rows:
        out.paragraph("none drawn (--worst 0)." if worst <= 0 and worst_items(comparison, 1)
                      else "every paired item has an accuracy of 1 (or nothing to compare).")
        return
    out.paragraph("Reference solid (blue), candidate dashed (orange); annotations in a conflict "
                  "in red. Lowest accuracy first.", "note")
    datasets = comparison.datasets
    ref = reference if reference is not None else datasets[0] if datasets else None
    cand = candidate if candidate is not None else datasets[1] if datasets else None
    pairs = _pairs(ref, cand) if ref is not None and cand is not None else {}
    index = MediaIndex.of([images] if images is not None else [])
    by_item: dict[tuple[Any, ...], list[Conflict]] = defaultdict(list)
    for c in comparison.conflicts:
        by_item[_key(c.item)].append(c)
    missing: list[list[Any]] = []
    for row in rows:
        key = _key(row["item"])
        found = pairs.get(key, [])
        pair = found.pop(0) if found else None
        image = index.find(pair[0]) if pair is not None and images is not None else None
        if image is None:
            image = index.find(pair[1]) if pair is not None and images is not None else None
        conflicts = by_item.get(key, [])
        caption = (f"{item_name(row['item'])}: accuracy {row['accuracy']:.3f} (reference "
                   f"{row['reference']}, candidate {row['candidate']}, matched "
                   f"{row['matched']}); {len(conflicts)} conflict(s)")
        if pair is None or image is None:
            why = "image not found" if pair is not None else "items not available"
            missing.append([item_name(row["item"]), f"{row['accuracy']:.3f}", row["reference"],
                            row["candidate"], row["matched"], len(conflicts), why])
            continue
        ref_item, ref_ids = _marked(pair[0], (c.index[0] for c in conflicts
                                              if c.index[0] is not None))
        cand_item, cand_ids = _marked(pair[1], (c.index[1] for c in conflicts
                                                if c.index[1] is not None))
        out.figure(draw_item(ref_item, image=image, candidate=cand_item,
                             highlight_reference=ref_ids, highlight_candidate=cand_ids),
                   caption)
    if missing:
        out.paragraph(f"{len(missing)} of the worst item(s) are not drawn: their image was not "
                      "found" + (f" under {images}" if images is not None else
                                 " (no image folder)") + ".", "warning")
        out.table(["item", "accuracy", "reference", "candidate", "matched", "conflicts",
                   "not drawn"], missing, numeric={1, 2, 3, 4, 5})
