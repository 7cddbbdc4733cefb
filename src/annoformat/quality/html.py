"""Self-contained HTML report pages: one file, no network, no script.

A :class:`Page` collects headings, tables, bar charts and figures and renders one HTML
document whose styles are inline, whose plots are inline SVG and whose images are ``data:``
URIs; its Content-Security-Policy forbids every fetch, so opening a report never reaches out.
:func:`draw_item` draws one item's annotations (a reference and, optionally, a candidate) as
SVG over its image, with chosen annotations highlighted: ``stats`` draws sample items with it,
``compare`` the items with conflicts.

Everything that comes from the input (labels, file names, attribute values) is escaped.

Example:
    >>> page = Page("demo")
    >>> page.bar_chart("labels", {"car": 3, "person": 1})
    >>> html = page.render()
    >>> html.startswith("<!DOCTYPE html>"), html.count('class="bar"')
    (True, 2)
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from annoformat.model import (
    BBox,
    Ellipse,
    Image,
    Item,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBBox,
    VideoFrame,
)

#: the longest side an embedded image keeps (larger ones are scaled down, overlays are not)
MAX_SIDE = 1024
REFERENCE, CANDIDATE, HIGHLIGHT = "#1f77b4", "#ff7f0e", "#d62728"
_BROWSER_IMAGES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif",
                   "WEBP": "image/webp"}
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.3em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .7em;border-bottom:1px solid #eee;
text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{display:block;margin:.5em 0}.chart text{font-size:11px;fill:#333}.bar{fill:#4c78a8}
figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}
figcaption{font-size:12px;color:#555;max-width:30em}
svg.item-view{border:1px solid #ccc;background:#f4f4f4}
.ann,.ann *{fill-opacity:.12;stroke-width:2;vector-effect:non-scaling-stroke}
.ann circle{fill-opacity:.9}
.ann.candidate{stroke-dasharray:5 3}.ann.highlight{stroke:#d62728;stroke-width:3;fill-opacity:.25}
.ann-label{paint-order:stroke;stroke:#fff}
.note{color:#555}.warning{color:#a15c00}
"""


def _num(value: float) -> str:
    """A coordinate as short SVG text (2 decimals at most)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class Page:
    """One self-contained HTML report, built in order and rendered once.

    Example:
        >>> page = Page("report")
        >>> page.heading("Labels")
        >>> page.table(["label", "count"], [["car", 3]], numeric={1})
        >>> "<td class=\\"n\\">3</td>" in page.render()
        True
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.parts: list[str] = []

    def heading(self, text: str, level: int = 2) -> None:
        self.parts.append(f"<h{level}>{escape(text)}</h{level}>")

    def paragraph(self, text: str, css: str | None = None) -> None:
        klass = f' class="{escape(css)}"' if css else ""
        self.parts.append(f"<p{klass}>{escape(text)}</p>")

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
              numeric: Collection[int] = ()) -> None:
        """A table; ``numeric`` columns are right-aligned; None shows as an empty cell."""
        def cell(tag: str, k: int, value: Any) -> str:
            klass = ' class="n"' if k in numeric else ""
            return f"<{tag}{klass}>{'' if value is None else escape(str(value))}</{tag}>"

        head = "".join(cell("th", k, h) for k, h in enumerate(header))
        body = "".join("<tr>" + "".join(cell("td", k, v) for k, v in enumerate(row)) + "</tr>"
                       for row in rows)
        self.parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def bar_chart(self, title: str, values: Mapping[str, float], *, width: int = 560) -> None:
        """Horizontal bars, one per name, longest = the largest value."""
        if not values:
            return
        row, left = 18, min(200, 12 + 7 * max(len(k) for k in values))
        top = max(max(values.values()), 0) or 1
        span = width - left - 60
        out = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
               f'height="{row * len(values) + 24}" viewBox="0 0 {width} '
               f'{row * len(values) + 24}"><text x="0" y="12">{escape(title)}</text>']
        for k, (name, value) in enumerate(values.items()):
            y = 20 + k * row
            w = max(value, 0) / top * span
            out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">'
                       f'{escape(_clip(name))}</text>'
                       f'<rect class="bar" x="{left}" y="{y + 2}" width="{_num(w)}" '
                       f'height="{row - 4}"><title>{escape(name)}: {value:g}</title></rect>'
                       f'<text x="{_num(left + w + 4)}" y="{y + 12}">{value:g}</text>')
        self.parts.append("".join(out) + "</svg>")

    def histogram(self, title: str, bins: Mapping[str, float], *, width: int = 560) -> None:
        """Vertical bars over ordered bins (their names under the axis)."""
        if not bins:
            return
        height, bottom = 160, 40
        top = max(max(bins.values()), 0) or 1
        step = (width - 20) / len(bins)
        out = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
               f'height="{height + bottom}" viewBox="0 0 {width} {height + bottom}">'
               f'<text x="0" y="12">{escape(title)}</text>']
        for k, (name, value) in enumerate(bins.items()):
            h = max(value, 0) / top * (height - 30)
            x = 10 + k * step
            out.append(f'<rect class="bar" x="{_num(x + 2)}" y="{_num(height - h)}" '
                       f'width="{_num(step - 4)}" height="{_num(h)}"><title>{escape(name)}: '
                       f'{value:g}</title></rect>')
            if value:
                out.append(f'<text x="{_num(x + step / 2)}" y="{_num(height - h - 3)}" '
                           f'text-anchor="middle">{value:g}</text>')
            out.append(f'<text x="{_num(x + step / 2)}" y="{height + 14 + 10 * (k % 2)}" '
                       f'text-anchor="middle">{escape(name)}</text>')
        self.parts.append("".join(out) + "</svg>")

    def figure(self, svg: str, caption: str) -> None:
        """An SVG (from :func:`draw_item`, trusted markup) with an escaped caption."""
        self.parts.append(f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>")

    def render(self) -> str:
        """The whole document."""
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{escape(self.title)}</title><style>{_STYLE}</style></head><body>"
                f"<h1>{escape(self.title)}</h1>\n" + "\n".join(self.parts)
                + "\n</body></html>\n")


def _clip(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def image_data_uri(path: Path, max_side: int = MAX_SIDE) -> tuple[str, int, int] | None:
    """``(data URI, width, height)`` of the image file at ``path``, scaled down to
    ``max_side`` when larger (the size returned is the file's own); None when the file cannot
    be read as an image."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as im:
            width, height = im.size
            kind = im.format or ""
            if kind in _BROWSER_IMAGES and max(width, height) <= max_side:
                data, mime = path.read_bytes(), _BROWSER_IMAGES[kind]
            else:  # too large, or a format browsers do not show (TIFF, BMP...): re-encoded
                im.thumbnail((max_side, max_side))
                buffer = io.BytesIO()
                if im.mode in ("RGB", "L"):
                    im.save(buffer, "JPEG", quality=85)
                    mime = "image/jpeg"
                else:
                    im.convert("RGBA").save(buffer, "PNG")
                    mime = "image/png"
                data = buffer.getvalue()
    except (OSError, ValueError, PILImage.DecompressionBombError):
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", width, height


def _mask_uri(mask: Mask, color: str) -> str:
    """The mask's foreground as a translucent PNG in ``color``."""
    import numpy as np
    from PIL import Image as PILImage
    from pycocotools import mask as coco_mask

    if isinstance(mask.counts, list):
        rle = coco_mask.frPyObjects({"size": [mask.height, mask.width], "counts": mask.counts},
                                    mask.height, mask.width)
    else:
        rle = {"size": [mask.height, mask.width], "counts": mask.counts.encode("ascii")}
    on = coco_mask.decode(rle).astype(bool)
    rgba = np.zeros((*on.shape, 4), dtype=np.uint8)
    rgba[on] = [int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), 110]
    buffer = io.BytesIO()
    PILImage.fromarray(rgba, "RGBA").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _shape(ann: Any, attrs: str, scale: float) -> str | None:
    """One annotation as an SVG element (``attrs`` already holds class and colour)."""
    if isinstance(ann, BBox):
        return (f'<rect {attrs} x="{_num(ann.x)}" y="{_num(ann.y)}" width="{_num(ann.w)}" '
                f'height="{_num(ann.h)}">')
    if isinstance(ann, (RotatedBBox, Polygon)):
        rings = [ann.corners] if isinstance(ann, RotatedBBox) else ann.rings
        d = " ".join("M" + " L".join(f"{_num(r[k])} {_num(r[k + 1])}"
                                     for k in range(0, len(r) - 1, 2)) + " Z"
                     for r in rings if len(r) >= 4)
        return f'<path {attrs} fill-rule="evenodd" d="{d}">'
    if isinstance(ann, Polyline):
        pts = " ".join(f"{_num(ann.points[k])},{_num(ann.points[k + 1])}"
                       for k in range(0, len(ann.points) - 1, 2))
        return f'<polyline {attrs} fill="none" points="{pts}">'
    if isinstance(ann, Ellipse):
        return (f'<ellipse {attrs} cx="{_num(ann.cx)}" cy="{_num(ann.cy)}" rx="{_num(ann.rx)}" '
                f'ry="{_num(ann.ry)}" transform="rotate({_num(ann.rotation)} {_num(ann.cx)} '
                f'{_num(ann.cy)})">')
    if isinstance(ann, (Points, Keypoints)):
        vis = ann.visibility or [2] * (len(ann.points) // 2)
        dots = "".join(f'<circle cx="{_num(ann.points[2 * k])}" cy="{_num(ann.points[2 * k + 1])}"'
                       f' r="{_num(2.5 * scale)}"/>' for k in range(len(ann.points) // 2) if vis[k])
        return f"<g {attrs}>{dots}"
    return None


def _closing(element: str) -> str:
    return element[1:element.index(" ")]


def _overlays(anns: Iterable[Any], side: str, color: str, highlight: Collection[Any],
              scale: float) -> str:
    """SVG elements for ``anns``; ``scale`` is image pixels per screen pixel (text and dots
    keep their size on screen whatever the image's)."""
    out = []
    for ann in anns:
        hl = ann.id is not None and ann.id in highlight
        klass = f"ann {side}" + (" highlight" if hl else "")
        label = ann.label if ann.label is not None else "(none)"
        data = (f'class="{klass}" stroke="{HIGHLIGHT if hl else color}" fill="{color}" '
                f'data-label="{escape(label)}" data-type="{ann.type}"'
                + (f' data-id="{escape(str(ann.id))}"' if ann.id is not None else ""))
        tip = f"<title>{escape(side)} {escape(label)}" + (
            f" #{escape(str(ann.id))}" if ann.id is not None else "") + "</title>"
        if isinstance(ann, Mask):
            x, y, w, h = ann.box
            out.append(f'<g {data}><image x="0" y="0" width="{ann.width}" height="{ann.height}" '
                       f'href="{_mask_uri(ann, HIGHLIGHT if hl else color)}"/>'
                       f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
                       f'fill="none"/>{tip}</g>')
            continue
        element = _shape(ann, data, scale)
        if element is None:  # tags, spans, relations: not drawn on an image
            continue
        out.append(f"{element}{tip}</{_closing(element)}>")
        x, y, _, h = ann.box
        # a candidate's name goes under its shape, so that it does not cover the reference's
        y = max(y - 3 * scale, 10 * scale) if side == "reference" else y + h + 11 * scale
        out.append(f'<text class="ann-label" x="{_num(x + 2 * scale)}" y="{_num(y)}" '
                   f'font-size="{_num(11 * scale)}" '
                   f'stroke-width="{_num(3 * scale)}" fill="{HIGHLIGHT if hl else color}">'
                   f'{escape(_clip(label, 20))}</text>')
    return "".join(out)


def _frame(item: Item, others: Iterable[Item]) -> tuple[float, float]:
    """The drawing's size: the item's image size, else the extent of what is drawn."""
    media = item.media
    if isinstance(media, (Image, VideoFrame)) and media.width and media.height:
        return float(media.width), float(media.height)
    right = bottom = 1.0
    for it in (item, *others):
        for ann in it.annotations:
            box = getattr(ann, "box", None)
            if box is not None:
                right, bottom = max(right, box[0] + box[2]), max(bottom, box[1] + box[3])
    return math.ceil(right), math.ceil(bottom)


def draw_item(item: Item, *, image: Path | None = None, candidate: Item | None = None,
              highlight_reference: Collection[Any] = (),
              highlight_candidate: Collection[Any] = (), display_width: int = 360,
              max_side: int = MAX_SIDE) -> str:
    """An SVG of ``item``'s annotations (the reference, solid) and ``candidate``'s (the same
    item in another dataset, dashed) over the image at ``image`` (embedded as a ``data:`` URI;
    a grey frame when absent or unreadable). Annotations whose ``id`` is in
    ``highlight_reference`` / ``highlight_candidate`` are drawn in red. Coordinates are the
    IR's pixels; ``display_width`` is the width on the page.

    Each annotation is one element of class ``ann`` plus ``reference`` or ``candidate`` (and
    ``highlight``), with ``data-label``, ``data-type`` and ``data-id``; tags, spans and
    relations have no place in an image and are not drawn.

    Example:
        >>> from annoformat.model import BBox, Image, Item
        >>> item = Item(id="1", media=Image(path="a.jpg", width=100, height=80),
        ...             annotations=[BBox(label="car", id=7, x=10, y=10, w=20, h=20)])
        >>> svg = draw_item(item, highlight_reference={7})
        >>> svg.count('class="ann reference highlight"')
        1
    """
    width, height = _frame(item, [candidate] if candidate else [])
    found = image_data_uri(image, max_side) if image is not None else None
    if found is not None and not (isinstance(item.media, (Image, VideoFrame))
                                  and item.media.width and item.media.height):
        width, height = float(found[1]), float(found[2])
    background = (f'<image class="media" x="0" y="0" width="{_num(width)}" '
                  f'height="{_num(height)}" preserveAspectRatio="none" href="{found[0]}"/>'
                  if found is not None else
                  f'<rect class="media missing" x="0" y="0" width="{_num(width)}" '
                  f'height="{_num(height)}" fill="#ddd"/>')
    shown_height = round(display_width * height / width) if width else display_width
    scale = width / display_width
    body = _overlays(item.annotations, "reference", REFERENCE, highlight_reference, scale)
    if candidate is not None:
        body += _overlays(candidate.annotations, "candidate", CANDIDATE, highlight_candidate,
                          scale)
    return (f'<svg class="item-view" xmlns="http://www.w3.org/2000/svg" width="{display_width}" '
            f'height="{shown_height}" viewBox="0 0 {_num(width)} {_num(height)}" '
            f'data-item="{escape(item.id)}">{background}{body}</svg>')
