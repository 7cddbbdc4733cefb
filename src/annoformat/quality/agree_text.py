"""``agree``'s text report and HTML page: the annotators, the pairwise matrix (like Label
Studio's), Krippendorff's alpha overall / by label / without each annotator, the review queue.

Example:
    >>> import annoformat as af
    >>> print(render_text(af.agreement("fixtures/_agree/one-file.jsonl"), review=0))
    ... # doctest: +ELLIPSIS
    annotators: 3 (ann, bob, cat); items: 4
    ...
"""

from __future__ import annotations

from pathlib import Path

from annoformat.diagnostics import escape_text
from annoformat.media import MediaIndex
from annoformat.quality.agree import Agreement
from annoformat.quality.compare import item_key
from annoformat.quality.html import Page, draw_item


def _f(value: float | None) -> str:
    return "null" if value is None else f"{value:.4f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *rows]]


def render_text(result: Agreement, *, review: int = 10) -> str:
    """The report a person reads: who, the f1 matrix, alpha, the least-agreed items."""
    names = [a["name"] for a in result.annotators]
    shown = [escape_text(n) for n in names]
    lines = [f"annotators: {len(names)} ({', '.join(shown)}); items: {len(result.items)}"]
    lines += ["", "pairwise f1 (rows and columns: annotators):"]
    lines += _table(["", *shown], [[shown[i], *("-" if v is None else f"{v:.3f}" for v in row)]
                                   for i, row in enumerate(result.matrix("f1"))])
    lines += ["", "pairs:"]
    lines += _table(["a", "b", "items", "f1", "precision", "recall", "accuracy"],
                    [[escape_text(p["a"]), escape_text(p["b"]), str(p["items"]),
                      *(_f(p[m]) for m in ("f1", "precision", "recall", "accuracy"))]
                     for p in result.pairwise])
    alpha = result.alpha
    units = result.reliability()[1]
    paired = sum(1 for row in units if sum(v is not None for v in row) >= 2)
    lines += ["", f"Krippendorff's alpha (nominal): {_f(alpha['overall'])} over "
              f"{len(units)} unit(s), {paired} coded by two or more"]
    if alpha["by_label"]:
        lines.append("  by label: " + ", ".join(f"{escape_text(k)} {_f(v)}"
                                                for k, v in alpha["by_label"].items()))
    lines.append("  without: " + ", ".join(f"{escape_text(k)} {_f(v)}"
                                           for k, v in alpha["without"].items()))
    if review and result.review:
        lines += ["", f"review first ({min(review, len(result.review))} of "
                  f"{len(result.review)} item(s) below full agreement):"]
        for entry in result.review[:review]:
            item = entry["item"]
            name = item["media"] or item["id"]
            lines.append(f"  {escape_text(name)}: agreement {_f(entry['agreement'])}")
            for d in entry["disagreeing"]:
                said = ", ".join(f"{escape_text(k)}={escape_text(str(v))}"
                                 for k, v in d["labels"].items())
                lines.append(f"    {d['kind']}: {said}")
    return "\n".join(lines)


def render_html(result: Agreement, *, images: Path | None = None, review: int = 10) -> str:
    """One self-contained page: the matrix, alpha (a bar chart of ``without``), and the
    review queue drawn (the first two annotators of each item overlaid, the disagreeing
    objects highlighted) over the images found under ``images``."""
    names = [a["name"] for a in result.annotators]
    page = Page("annoformat agree")
    page.heading("Annotators")
    page.table(["annotator", "source", "items", "annotations"],
               [[a["name"], a["source"] or "", a["items"], a["annotations"]]
                for a in result.annotators])
    page.heading("Pairwise f1")
    page.table(["", *names], [[names[i], *("" if v is None else f"{v:.3f}" for v in row)]
                              for i, row in enumerate(result.matrix("f1"))])
    page.heading("Krippendorff's alpha (nominal)")
    page.paragraph(f"overall: {_f(result.alpha['overall'])}")
    page.bar_chart("alpha without each annotator", {k: v for k, v in
                                                   result.alpha["without"].items()
                                                   if v is not None})
    if result.alpha["by_label"]:
        page.bar_chart("alpha by label", {k: v for k, v in result.alpha["by_label"].items()
                                          if v is not None})
    page.heading("Review first")
    panel = result.panel
    index = MediaIndex.of([images] if images is not None else [])
    for entry in result.review[:review]:
        r = next((r for r, it in enumerate(panel.items) if item_key(it) == entry["item"]),
                 None)
        if r is None:
            continue
        cells = [c for c in panel.cells[r] if c is not None]
        who = [panel.names[k] for k, c in enumerate(panel.cells[r]) if c is not None]
        media = entry["item"]["media"]
        image = index.find(panel.items[r]) if images is not None else None
        marked = [{d["annotations"].get(name) for d in entry["disagreeing"]} - {None}
                  for name in who[:2]]
        svg = draw_item(cells[0], image=image, candidate=cells[1] if len(cells) > 1 else None,
                        highlight_reference=marked[0],
                        highlight_candidate=marked[1] if len(marked) > 1 else ())
        page.figure(svg, f"{media or entry['item']['id']}: {who[0]} (solid)"
                    + (f" vs {who[1]} (dashed)" if len(who) > 1 else "")
                    + f", agreement {_f(entry['agreement'])}; " + "; ".join(
                        f"{d['kind']}: " + ", ".join(f"{k}={v}" for k, v in d["labels"].items())
                        for d in entry["disagreeing"]))
    return page.render()
