"""datumaro 1.13 (the framework behind CVAT's import/export) imports what annoformat writes as
COCO, VOC, YOLO and CVAT: item counts per subset, labels, and every box compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import annoformat as af
from annoformat.model import BBox, Dataset, Image, Item, Label, Points, Polygon, Polyline, Tag
from annoformat.testing.images import write_png

from .conftest import Runner

IMPORT = """
import json, sys
import datumaro as dm
path, fmt = sys.argv[1], sys.argv[2]
ds = dm.Dataset.import_from(path, fmt)
labels = [c.name for c in ds.categories()[dm.AnnotationType.label]]
items = {}
for it in ds:
    items[f"{it.subset}/{it.id}"] = sorted(
        [a.type.name, labels[a.label] if a.label is not None else None,
         [round(v, 4) for v in a.get_bbox()] if a.type.name != "label" else None,
         dict(sorted((k, v) for k, v in a.attributes.items()
                     if k not in ("occluded", "pose", "truncated", "difficult", "keyframe",
                                  "outside", "track_id", "rotation"))),
         a.group]
        for a in it.annotations)
print(json.dumps({"labels": labels, "items": items, "has_image": all(
    it.media is not None and it.media.has_data for it in ds)}))
"""


def _import(datumaro: Runner, path: Path, fmt: str) -> Any:
    return datumaro(f"import sys; sys.argv = ['x', {str(path)!r}, {fmt!r}]\n" + IMPORT)


def _source(root: Path, subsets: tuple[str | None, ...] = ("train", "val")) -> Path:
    """A jsonl dataset with real images beside it: boxes (one with attributes) in every
    subset given, and an image without annotations."""
    items = []
    for n, subset in enumerate(subsets):
        write_png(root / f"img{n}.png", 64, 48)
        items.append(Item(id=f"img{n}", subset=subset,
                          media=Image(path=f"img{n}.png", width=64, height=48), annotations=[
                              BBox(id=1, label="car", x=4, y=6, w=20, h=10,
                                   attributes={"colour": "red"}),
                              BBox(id=2, label="person", x=30, y=20, w=12.5, h=24)]))
    write_png(root / "empty.png", 64, 48)
    items.append(Item(id="empty", subset=subsets[0],
                      media=Image(path="empty.png", width=64, height=48)))
    ds = Dataset(labels=[Label(name="car"), Label(name="person")], items=items)
    af.save(ds, root / "source.jsonl", format="jsonl")
    return root / "source.jsonl"


def _boxes(got: Any) -> dict[str, list[Any]]:
    return {key: sorted([a[1], a[2]] for a in anns if a[0] == "bbox")
            for key, anns in got["items"].items()}


EXPECTED = {"car": [4.0, 6.0, 20.0, 10.0], "person": [30.0, 20.0, 12.5, 24.0]}
#: the boxes of _source's train/val dataset, as a tool that keeps them exactly reads them back
BOTH = [["car", EXPECTED["car"]], ["person", EXPECTED["person"]]]
SPLIT_BOXES = {"train/img0": BOTH, "val/img1": BOTH, "train/empty": []}


@pytest.mark.parametrize("box_segmentation", ["polygon", "empty"])
def test_coco(datumaro: Runner, tmp_path: Path, box_segmentation: str) -> None:
    out = tmp_path / "coco"
    result = af.convert(_source(tmp_path / "src"), out, to="coco", allow_loss=True,
                        options={"box_segmentation": box_segmentation})
    assert result.written and result.summary["media"] == {"hard-linked": 3}
    got = _import(datumaro, out, "coco_instances")
    assert got["labels"] == ["car", "person"] and got["has_image"]
    assert _boxes(got) == SPLIT_BOXES
    kinds = {a[0] for anns in got["items"].values() for a in anns}
    # datumaro reads a segmentation as a polygon beside the box; [] gives the box alone
    assert kinds == ({"bbox", "polygon"} if box_segmentation == "polygon" else {"bbox"})


@pytest.mark.parametrize("origin", ["one-based", "zero-based"])
def test_voc(datumaro: Runner, tmp_path: Path, origin: str) -> None:
    out = tmp_path / "voc"
    result = af.convert(_source(tmp_path / "src"), out, to="voc", allow_loss=True,
                        options={"origin": origin})
    assert result.written and result.summary["media"] == {"hard-linked": 3}
    got = _import(datumaro, out, "voc")
    assert got["labels"] == ["background", "car", "person"] and got["has_image"]
    boxes = _boxes(got)
    assert sorted(boxes) == ["train/empty", "train/img0", "val/img1"]
    # datumaro reads VOC corners as 0-based continuous: the devkit's 1-based pixel indices
    # come out one pixel right and down and one pixel smaller
    shift = 1.0 if origin == "one-based" else 0.0
    car = EXPECTED["car"]
    assert boxes["train/img0"][0] == ["car", [car[0] + shift, car[1] + shift,
                                              car[2] - shift, car[3] - shift]]
    assert got["items"]["train/img0"][0][3] == {"colour": "red"}


def test_yolo(datumaro: Runner, tmp_path: Path) -> None:
    out = tmp_path / "yolo"
    assert af.convert(_source(tmp_path / "src"), out, to="yolo", allow_loss=True).written
    got = _import(datumaro, out, "yolo")
    assert got["labels"] == ["car", "person"] and got["has_image"]
    assert _boxes(got) == SPLIT_BOXES


@pytest.mark.parametrize("subsets", [("train", "val"), (None,)])
def test_cvat(datumaro: Runner, tmp_path: Path, subsets: tuple[str | None, ...]) -> None:
    """Both meta forms: a task for one subset (or none), a project with subsets for several."""
    out = tmp_path / "cvat"
    src = _source(tmp_path / "src", subsets)
    result = af.convert(src, out, to="cvat", allow_loss=True)
    assert result.written and result.summary["media"] == {"hard-linked": len(subsets) + 1}
    got = _import(datumaro, out, "cvat")
    assert got["labels"] == ["car", "person"] and got["has_image"]
    # datumaro names a task's items after the XML file (annotations.xml), a project's by subset
    first = "train" if len(subsets) > 1 else "annotations"
    boxes = _boxes(got)
    assert boxes[f"{first}/img0"] == BOTH
    assert boxes[f"{first}/empty"] == [] and len(boxes) == len(subsets) + 1
    assert got["items"][f"{first}/img0"][0][3] == {"colour": "red"}


def test_cvat_shapes_and_tags(datumaro: Runner, tmp_path: Path) -> None:
    write_png(tmp_path / "a.png", 64, 48)
    ds = Dataset(labels=[Label(name="road"), Label(name="sign"), Label(name="day")], items=[
        Item(id="a", media=Image(path="a.png", width=64, height=48), annotations=[
            Polygon(label="road", rings=[[0, 40, 30, 30, 60, 40]]),
            Polygon(label="sign", rings=[[1, 1, 5, 1, 5, 5], [10, 10, 15, 10, 15, 15]]),
            Polyline(label="road", points=[0, 47, 63, 47]),
            Points(label="sign", points=[10, 10, 12, 11]),
            Tag(label="day")])])
    af.save(ds, tmp_path / "src.jsonl", format="jsonl")
    out = tmp_path / "cvat"
    assert af.convert(tmp_path / "src.jsonl", out, to="cvat", allow_loss=True).written
    got = _import(datumaro, out, "cvat")
    assert sorted((a[0], a[1]) for a in got["items"]["annotations/a"]) == [
        ("label", "day"), ("points", "sign"), ("polygon", "road"), ("polygon", "sign"),
        ("polygon", "sign"), ("polyline", "road")]
    # the two parts of one object: one group, which datumaro reads as one object
    groups = [a[4] for a in got["items"]["annotations/a"] if a[:2] == ["polygon", "sign"]]
    assert len(groups) == 2 and groups[0] == groups[1] != 0
