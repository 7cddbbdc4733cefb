"""``labelmap.txt``: the label list datumaro and CVAT keep beside a VOC dataset.

One line per label, ``name:r,g,b:parts:actions`` (parts and actions comma-separated), after a
``# label:color_rgb:parts:actions`` header; ``background`` (colour 0,0,0) comes first. Without
it, datumaro assumes the 20 VOC classes and refuses any other name (``UndeclaredLabelError``).
Colours default to a VOC class's own colour where the name is one of the 20 VOC classes, else
to the VOC palette by index (the next free palette colour when a VOC class has that one), so
only other colours are kept in ``Label.extras["voc"]["color"]``; parts and actions likewise.

Example:
    >>> palette(1), palette(15)
    ((128, 0, 0), (192, 128, 128))
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from annoformat._io import read_bytes
from annoformat.diagnostics import Report
from annoformat.model import Label, build

FILE = "labelmap.txt"
HEADER = "# label:color_rgb:parts:actions"
BACKGROUND = "background"
#: the devkit's class order: a segmentation PNG's value i is the i-th of these (0: background)
VOC_CLASSES = (BACKGROUND, "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
               "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person",
               "pottedplant", "sheep", "sofa", "train", "tvmonitor")
#: a class table: the name and colour of each class index (a segmentation PNG's values)
Classes = list[tuple[str, tuple[int, int, int]]]


def voc_classes() -> Classes:
    """The class table without a labelmap: the devkit's 20 classes and background."""
    return [(name, palette(i)) for i, name in enumerate(VOC_CLASSES)]


@functools.cache  # (256 colours, asked for per pixel value of every PNG written)
def palette(index: int) -> tuple[int, int, int]:
    """The VOC devkit's colour for class ``index`` (bits of the index spread over r, g, b)."""
    r = g = b = 0
    c = index
    for bit in range(8):
        r |= ((c >> 0) & 1) << (7 - bit)
        g |= ((c >> 1) & 1) << (7 - bit)
        b |= ((c >> 2) & 1) << (7 - bit)
        c >>= 3
    return r, g, b


def defaults(names: list[str]) -> list[tuple[int, int, int]]:
    """The colour of each class (index i of ``names``) when the labelmap gives none: a VOC
    class's own colour (``person`` is 192,128,128 wherever it is), else the palette's for its
    index, or the next palette colour no other class has.

    Example:
        >>> defaults(["background", "person", "scooter"])
        [(0, 0, 0), (192, 128, 128), (0, 128, 0)]
    """
    fixed = {name: palette(VOC_CLASSES.index(name)) for name in names if name in VOC_CLASSES}
    used = set(fixed.values())
    out: list[tuple[int, int, int]] = []
    for i, name in enumerate(names):
        colour = fixed.get(name)
        if colour is None:
            j = i
            while palette(j) in used:
                j += 1
            colour = palette(j)
            used.add(colour)
        out.append(colour)
    return out


def table(labels: list[Label]) -> Classes:
    """The class table written for ``labels``: background first unless one of them is called
    so, then each label with its kept colour or the palette's for its index."""
    names = [lb.name for lb in labels]
    rows: Classes = []
    if BACKGROUND not in names:
        rows.append((BACKGROUND, (0, 0, 0)))
    offset = len(rows)
    colours = defaults([name for name, _ in rows] + names)
    for i, label in enumerate(labels):
        color = label.extras.get("voc", {}).get("color")
        rows.append((label.name, (color[0], color[1], color[2]) if color
                     else colours[i + offset]))
    return rows


def text(labels: list[Label]) -> str:
    """The labelmap of ``labels`` (:func:`table` with each label's parts and actions)."""
    extras = {lb.name: lb.extras.get("voc", {}) for lb in labels}
    rows = [HEADER]
    for name, color in table(labels):
        voc = extras.get(name, {})
        parts, actions = ",".join(voc.get("parts", [])), ",".join(voc.get("actions", []))
        rows.append(f"{name}:{','.join(str(v) for v in color)}:{parts}:{actions}")
    return "\n".join(rows) + "\n"


def read(path: Path, report: Report) -> tuple[list[Label], Classes] | None:
    """The labels a labelmap declares, in order, without its background entry (AF047 for a
    line that is not ``name:r,g,b:parts:actions``), and its class table (background included:
    index i is the i-th line, the value segmentation PNGs give that class)."""
    data = read_bytes(path, report)
    if data is None:
        return None
    table: Classes = []
    rows: list[list[str]] = []
    index = 0
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        # datumaro writes "name:::" when it has no colours: the palette's then
        color = (_color(fields[1]) if fields[1] else palette(index)) if len(fields) >= 2 else None
        if len(fields) not in (2, 4) or not fields[0] or color is None:
            report.add("AF047", path=str(path), line=number, text=line)
            continue
        table.append((fields[0], color))
        rows.append(fields)
        index += 1
    labels: list[Label] = []
    expected = defaults([name for name, _ in table])
    for i, ((name, color), fields) in enumerate(zip(table, rows, strict=True)):
        if i == 0 and name == BACKGROUND and color == (0, 0, 0):
            continue  # the devkit's class 0: no objects carry it
        voc: dict[str, Any] = {}
        if color != expected[i]:  # only colours the writer would not give it again
            voc["color"] = list(color)
        for key, value in zip(("parts", "actions"), fields[2:], strict=False):
            if value:
                voc[key] = value.split(",")
        labels.append(build(Label, name=name, extras={"voc": voc} if voc else {}))
    return labels, table


def _color(value: str) -> tuple[int, int, int] | None:
    parts = value.split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) < 256 for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])
