"""A small third-party format, as a plugin author would write one: CSV boxes.

``image,width,height,label,x,y,w,h`` per row, one row per box; a ``#labels: a,b`` line declares the
class order. It holds boxes only (no attributes, ids, scores, items without boxes), which makes it
the natural target for loss-reporting tests. It imports only ``annoformat.plugin`` and declares
a code of its own (AF190, a bad row).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from annoformat.plugin import (
    BBox,
    Capabilities,
    Code,
    Dataset,
    Detection,
    EmptyOptions,
    FormatSpec,
    Image,
    Item,
    Label,
    Report,
    Severity,
    check_dataset,
)

CAPS = Capabilities(media=frozenset({"image"}), annotation_types=frozenset({"bbox"}),
                    empty_items=False)
CODES = (
    Code("AF190", "boxes-bad-row", Severity.ERROR, "row is not image,width,height,label,x,y,w,h: "
         "{reason}", "Each row of a .boxes.csv file names an image, its size, a label and a box.",
         "a.jpg,640,480,cat,1,2", "Give the row all eight fields, numbers where numbers belong."),
)


def detect(path: Path) -> Detection:
    if path.name.endswith(".boxes.csv"):
        return Detection(0.9, "a .boxes.csv file")
    if path.name.endswith(".ambiguous.json"):  # deliberately ties with COCO (AF011 test)
        return Detection(0.9, "claims .ambiguous.json files to test ties")
    return Detection(0.0, "not a .boxes.csv file")


def read(path: Path, options: EmptyOptions, report: Report) -> Dataset | None:
    text = path.read_text(encoding="utf-8")
    labels: list[Label] = []
    items: dict[str, Item] = {}
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if row[0].startswith("#labels:"):
            names = [row[0].split(":", 1)[1].strip(), *(r.strip() for r in row[1:])]
            labels = [Label(name=n) for n in names if n]
            continue
        try:
            image, width, height, label = row[0], int(row[1]), int(row[2]), row[3]
            x, y, w, h = (float(v) for v in row[4:8])
        except (ValueError, IndexError) as exc:
            report.add("AF190", path=str(path), line=lineno, reason=str(exc))
            continue
        item = items.setdefault(image, Item(id=image, media=Image(path=image, width=width,
                                                                  height=height)))
        item.annotations.append(BBox(label=label, x=x, y=y, w=w, h=h))
    ds = Dataset(labels=labels, items=list(items.values()))
    check_dataset(ds, report, str(path))
    return ds


def write(ds: Dataset, dest: Path, options: EmptyOptions, report: Report) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["#labels: " + (ds.labels[0].name if ds.labels else ""),
                     *(lb.name for lb in ds.labels[1:])])
    for item in ds.items:
        assert isinstance(item.media, Image)
        for ann in item.annotations:
            if isinstance(ann, BBox):
                writer.writerow([item.media.path, item.media.width, item.media.height,
                                 ann.label, ann.x, ann.y, ann.w, ann.h])
    dest.write_text(out.getvalue(), encoding="utf-8")


def _crash(path: Path, options: EmptyOptions, report: Report) -> Dataset | None:
    raise RuntimeError("a bug in a plugin")


def _greedy(path: Path, options: EmptyOptions, report: Report) -> Dataset | None:
    raise MemoryError


FORMAT = FormatSpec(name="boxes", description="CSV boxes (test plugin)", extensions=(".csv",),
                    capabilities=CAPS, options=EmptyOptions, schemas=(), detect=detect,
                    read=read, write=write, codes=CODES)
CRASHY = FormatSpec(name="crashy", description="crashes on read (test plugin)", extensions=(),
                    capabilities=CAPS, options=EmptyOptions, schemas=(),
                    detect=lambda p: Detection(0.0, "never detected"), read=_crash, write=write)
GREEDY = FormatSpec(name="greedy", description="runs out of memory on read (test plugin)",
                    extensions=(), capabilities=CAPS, options=EmptyOptions, schemas=(),
                    detect=lambda p: Detection(0.0, "never detected"), read=_greedy, write=write)
CLASH = FormatSpec(name="coco", description="clashes with a built-in name", extensions=(),
                   capabilities=CAPS, options=EmptyOptions, schemas=(),
                   detect=lambda p: Detection(0.0, "never"), read=read, write=write)
CODE_CLASH = FormatSpec(name="codeclash", description="declares a code the core owns",
                        extensions=(), capabilities=CAPS, options=EmptyOptions, schemas=(),
                        detect=lambda p: Detection(0.0, "never"), read=read, write=write,
                        codes=(Code("AF203", "codeclash-dup", Severity.ERROR, "x", "x", "x", "x"),))
