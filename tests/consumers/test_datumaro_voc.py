"""datumaro 1.13 imports the VOC annoformat writes: labels (labelmap.txt), items per subset,
boxes exactly, VOC's object flags (difficult, truncated, occluded), and instance masks
(SegmentationObject/Class PNGs) pixel for pixel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import annoformat as af
from annoformat import masks
from annoformat.model import BBox, Dataset, Image, Item, Label, Mask
from annoformat.testing.images import write_png

from .conftest import Runner

IMPORT = """
import json, sys
import datumaro as dm
import numpy as np
ds = dm.Dataset.import_from(sys.argv[1], "voc")
labels = [c.name for c in ds.categories()[dm.AnnotationType.label]]
items = {}
for it in ds:
    boxes, found = [], []
    for a in it.annotations:
        if a.type == dm.AnnotationType.bbox:
            boxes.append([labels[a.label], [float(v) for v in a.get_bbox()],
                          {k: a.attributes.get(k) for k in ("difficult", "truncated", "occluded")}])
        elif a.type == dm.AnnotationType.mask:
            found.append([labels[a.label] if a.label is not None else None,
                          np.argwhere(a.image).tolist()])
    items[f"{it.subset}/{it.id}"] = {"boxes": sorted(boxes), "masks": sorted(found)}
print(json.dumps({"labels": labels, "items": items}))
"""


def _import(datumaro: Runner, path: Path) -> Any:
    return datumaro(f"import sys; sys.argv = ['x', {str(path)!r}]\n" + IMPORT)


def _dataset(root: Path) -> Path:
    """Boxes with VOC's flags in two subsets, an object with an instance mask, a label outside
    the VOC classes, and an image without objects; real images beside them."""
    car = np.zeros((48, 64), dtype=np.uint8)
    car[6:16, 4:24] = 1
    car[6:8, 4:8] = 0
    items = []
    for name in ("img0", "img1", "empty"):
        write_png(root / f"{name}.png", 64, 48)
    items.append(Item(id="img0", subset="train", media=Image(path="img0.png", width=64, height=48),
                      annotations=[
                          Mask(label="car", counts=masks.encode(car), height=48, width=64,
                               bbox=(4, 6, 20, 10), attributes={"truncated": True}),
                          BBox(label="person", x=30, y=20, w=12, h=24, occluded=True,
                               attributes={"difficult": True}),
                          BBox(label="scooter", x=50, y=30, w=10, h=8)]))
    items.append(Item(id="img1", subset="val", media=Image(path="img1.png", width=64, height=48),
                      annotations=[BBox(label="car", x=1, y=2, w=30, h=20)]))
    items.append(Item(id="empty", subset="train",
                      media=Image(path="empty.png", width=64, height=48)))
    ds = Dataset(labels=[Label(name="car"), Label(name="person"), Label(name="scooter")],
                 items=items)
    af.save(ds, root / "source.jsonl", format="jsonl")
    return root / "source.jsonl"


def test_voc_boxes_flags_and_masks(datumaro: Runner, tmp_path: Path) -> None:
    out = tmp_path / "voc"
    result = af.convert(_dataset(tmp_path / "src"), out, to="voc", options={"origin": "zero-based"})
    assert result.written, result.report.codes()
    assert result.loss == []  # the mask is written exactly: nothing to allow
    got = _import(datumaro, out)
    assert got["labels"] == ["background", "car", "person", "scooter"]
    assert sorted(got["items"]) == ["train/empty", "train/img0", "val/img1"]
    # zero-based corners are datumaro's own reading of VOC: the boxes come back exactly
    assert got["items"]["train/img0"]["boxes"] == [
        ["car", [4.0, 6.0, 20.0, 10.0], {"difficult": False, "truncated": True,
                                          "occluded": False}],
        ["person", [30.0, 20.0, 12.0, 24.0], {"difficult": True, "truncated": False,
                                               "occluded": True}],
        ["scooter", [50.0, 30.0, 10.0, 8.0], {"difficult": False, "truncated": False,
                                               "occluded": False}]]
    assert got["items"]["val/img1"]["boxes"] == [
        ["car", [1.0, 2.0, 30.0, 20.0], {"difficult": False, "truncated": False,
                                          "occluded": False}]]
    assert got["items"]["train/empty"] == {"boxes": [], "masks": []}
    # the instance mask: its label from the class PNG, every pixel
    ((label, pixels),) = got["items"]["train/img0"]["masks"]
    car = masks.decode(af.load(out, origin="zero-based").items[0].annotations[0].counts, 48, 64)
    assert label == "car" and pixels == np.argwhere(car).tolist() and len(pixels) == 192
