"""datumaro imports the CVAT XML annoformat writes (``Dataset.import_from(path, "cvat")``).

One subset (or none) is written as CVAT writes a task (``<meta><task>``, images without
``subset=``): datumaro names the subset after the file, as it does for the per-subset files its
own exporter writes. Several subsets are written as CVAT writes a project (``<meta><project>``,
a ``<task>`` per subset, ``subset=`` on each image): datumaro splits it by those subsets. The
parts of a multi-part polygon are polygons sharing one non-zero group. Compared: items per
subset, labels, annotations per type, coordinates and attributes exactly.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import annoformat as af
from annoformat.model import (
    AttributeSpec,
    BBox,
    Dataset,
    Image,
    Item,
    Label,
    Points,
    Polygon,
    Polyline,
    Tag,
)
from annoformat.testing.images import write_png

from .conftest import Runner
from conftest import FIXTURES

IMPORT = """
import json, sys
import datumaro as dm
from datumaro.components.annotation import AnnotationType

path = sys.argv[1]
ds = dm.Dataset.import_from(path, "cvat")
labels = [c.name for c in ds.categories()[AnnotationType.label]]
items = {}
for item in ds:
    anns = []
    for a in item.annotations:
        row = {"type": a.type.name, "label": None if a.label is None else labels[a.label],
               "group": a.group, "attributes": a.attributes}
        if a.type == AnnotationType.bbox:
            row["xywh"] = [float(v) for v in a.get_bbox()]
        elif a.type == AnnotationType.mask:
            row["xywh"] = [float(v) for v in a.get_bbox()]
            row["area"] = int(a.image.sum())
        elif hasattr(a, "points"):
            row["points"] = [float(v) for v in a.points]
        anns.append(row)
    items[f"{item.subset}/{item.id}"] = anns
print(json.dumps({"labels": labels, "items": items,
                  "subsets": {name: len(sub) for name, sub in ds.subsets().items()}}))
"""


def _import(datumaro: Runner, path: Path) -> Any:
    return datumaro(f"import sys; sys.argv = ['x', {str(path)!r}]\n" + IMPORT)


CAR = Label(name="car", attributes=[
    AttributeSpec(name="parked", input_type="checkbox", values=["false"], default=False),
    AttributeSpec(name="colour", input_type="select", values=["red", "blue"], default="red"),
    AttributeSpec(name="count", input_type="number", values=["0", "10", "1"], default=0),
])
LABELS = [CAR, Label(name="person"), Label(name="lane"), Label(name="wheel")]
TWO_PARTS = [[30.0, 2.0, 40.0, 2.0, 35.0, 8.5], [44.0, 20.0, 50.0, 20.0, 50.0, 26.25]]
THREE_PARTS = [[1.0, 1.0, 5.0, 1.0, 3.0, 4.0], [10.0, 10.0, 12.0, 10.0, 12.0, 12.0],
               [20.0, 20.0, 22.5, 20.0, 22.5, 22.5]]


def _dataset(subsets: list[str | None]) -> Dataset:
    """Boxes, polygons (one two-part, one three-part in a group), polylines, points, tags and
    attributes, over 4 images in ``subsets``."""
    def image(n: int) -> Image:
        return Image(path=f"img_{n}.png", width=60, height=40)

    anns = [
        [BBox(label="car", x=2, y=3, w=10, h=6,
              attributes={"parked": True, "colour": "red", "count": 3}),
         Polygon(label="person", rings=[[5.0, 5.0, 15.0, 5.0, 10.0, 12.0]]),
         Polygon(label="car", rings=TWO_PARTS, attributes={"colour": "blue"}),
         Polyline(label="lane", points=[0.0, 30.0, 59.0, 35.5]),
         Points(label="wheel", points=[20.0, 20.0, 25.25, 22.0]),
         Tag(label="car", attributes={"colour": "blue", "parked": False})],
        [],
        [BBox(label="person", x=0.5, y=0.25, w=20, h=30),
         Polygon(label="person", rings=THREE_PARTS, group=5)],
        [Points(label="wheel", points=[1.0, 2.0])],
    ]
    return Dataset(labels=LABELS, items=[
        Item(id=str(n), subset=subset, media=image(n), annotations=a)
        for n, (subset, a) in enumerate(zip(subsets, anns, strict=True), start=1)])


def _images(ds: Dataset, folder: Path) -> None:
    """The images datumaro looks for (``images/<name>`` beside the XML)."""
    for item in ds.items:
        media = item.media
        assert isinstance(media, Image) and media.width and media.height
        write_png(folder / "images" / media.path, media.width, media.height)


def _types(ds: Dataset) -> Counter[str]:
    """What datumaro should hold: one polygon per ring, a tag is a label."""
    out: Counter[str] = Counter()
    for item in ds.items:
        for ann in item.annotations:
            if isinstance(ann, Polygon):
                out["polygon"] += len(ann.rings)
            else:
                out[{"bbox": "bbox", "polyline": "polyline", "points": "points",
                     "tag": "label"}[ann.type]] += 1
    return out


def _got_types(got: Any) -> Counter[str]:
    return Counter(a["type"] for anns in got["items"].values() for a in anns)


def _check_item_one(anns: list[dict[str, Any]]) -> None:
    """The first image's annotations, exactly."""
    box, person, part1, part2, lane, wheel, tag = anns
    assert box == {"type": "bbox", "label": "car", "group": 0, "xywh": [2.0, 3.0, 10.0, 6.0],
                   "attributes": {"occluded": False, "parked": True, "colour": "red",
                                  "count": 3.0}}
    assert person["points"] == [5.0, 5.0, 15.0, 5.0, 10.0, 12.0] and person["group"] == 0
    # the two parts of one polygon: two polygons, one (new, non-zero) group, same fields
    assert [part1["points"], part2["points"]] == TWO_PARTS
    assert part1["group"] == part2["group"] > 0
    assert part1["attributes"] == part2["attributes"] == {"occluded": False, "colour": "blue"}
    assert lane["type"] == "polyline" and lane["points"] == [0.0, 30.0, 59.0, 35.5]
    assert wheel["type"] == "points" and wheel["points"] == [20.0, 20.0, 25.25, 22.0]
    assert tag == {"type": "label", "label": "car", "group": 0,
                   "attributes": {"colour": "blue", "parked": False}}


def test_one_subset_is_a_task_datumaro_reads(datumaro: Runner, tmp_path: Path) -> None:
    ds = _dataset(["train"] * 4)
    out = tmp_path / "one"
    # datumaro names a task file's subset after the file (its exporter writes <subset>.xml)
    af.save(ds, out / "train.xml", format="cvat")
    _images(ds, out)
    text = (out / "train.xml").read_text()
    assert "<subset>train</subset>" in text and "subset=" not in text
    got = _import(datumaro, out)
    assert got["subsets"] == {"train": 4}
    assert got["labels"] == ["car", "person", "lane", "wheel"]
    assert sorted(got["items"]) == [f"train/img_{n}" for n in range(1, 5)]
    assert _got_types(got) == _types(ds)
    _check_item_one(got["items"]["train/img_1"])
    assert got["items"]["train/img_2"] == []


def test_no_subset_is_a_task_datumaro_reads(datumaro: Runner, tmp_path: Path) -> None:
    ds = _dataset([None] * 4)
    out = tmp_path / "none"
    af.save(ds, out / "annotations.xml", format="cvat")  # what CVAT names a task's file
    _images(ds, out)
    assert "subset" not in (out / "annotations.xml").read_text()
    got = _import(datumaro, out)
    assert got["subsets"] == {"annotations": 4}
    assert _got_types(got) == _types(ds)
    _check_item_one(got["items"]["annotations/img_1"])


def test_several_subsets_are_a_project_datumaro_splits(datumaro: Runner,
                                                       tmp_path: Path) -> None:
    ds = _dataset(["train", "train", "val", None])
    out = tmp_path / "several"
    af.save(ds, out / "annotations.xml", format="cvat")
    _images(ds, out)
    text = (out / "annotations.xml").read_text()
    assert "<project>" in text and "<subsets>train\nval\ndefault</subsets>" in text
    got = _import(datumaro, out)
    # each image once, in its own subset (none is CVAT's and datumaro's "default")
    assert got["subsets"] == {"train": 2, "val": 1, "default": 1}
    assert sorted(got["items"]) == ["default/img_4", "train/img_1", "train/img_2",
                                    "val/img_3"]
    assert got["labels"] == ["car", "person", "lane", "wheel"]
    assert _got_types(got) == _types(ds)
    _check_item_one(got["items"]["train/img_1"])
    box, *parts = got["items"]["val/img_3"]
    assert box["xywh"] == [0.5, 0.25, 20.0, 30.0]
    assert [p["points"] for p in parts] == THREE_PARTS
    assert {p["group"] for p in parts} == {5}  # the polygon's own group
    assert got["items"]["default/img_4"][0]["points"] == [1.0, 2.0]
    # annoformat reads the same file back as it was
    again = af.load(out / "annotations.xml", format="cvat")
    assert [(i.subset, len(i.annotations)) for i in again.items] == [
        (i.subset, len(i.annotations)) for i in ds.items]


@pytest.mark.parametrize("name", ["minimal"])
def test_coco_fixture_to_cvat_datumaro_reads(datumaro: Runner, tmp_path: Path,
                                             name: str) -> None:
    src = FIXTURES / "coco" / "good" / name / "annotations.json"
    out = tmp_path / "cvat"
    result = af.convert(src, out / "annotations.xml", to="cvat", allow_loss=True)
    assert result.written
    ds = af.load(src, format="coco")
    _images(ds, out)
    got = _import(datumaro, out)
    assert got["subsets"] == {"annotations": 3}
    assert got["labels"] == ["cat", "dog"]
    assert sorted(got["items"]) == ["annotations/cat", "annotations/dog", "annotations/empty"]
    cat, dog = got["items"]["annotations/cat"], got["items"]["annotations/dog"]
    # COCO 10: a box; COCO 11: a polygon in two parts, one group
    assert [a["type"] for a in cat] == ["bbox", "polygon", "polygon"]
    assert cat[0]["xywh"] == [10.5, 20.0, 100.0, 50.25] and cat[0]["label"] == "cat"
    assert cat[1]["points"] == [200.0, 100.0, 240.0, 100.0, 240.0, 130.0]
    assert cat[2]["points"] == [210.0, 110.0, 220.0, 110.0, 220.0, 120.0, 210.0, 120.0]
    assert cat[1]["group"] == cat[2]["group"] > 0 and cat[1]["label"] == "dog"
    # COCO 12: a crowd RLE of 6 pixels at x 1..3, y 1..2; COCO 13: a box with attributes
    assert [a["type"] for a in dog] == ["mask", "bbox"]
    assert dog[0]["area"] == 6 and dog[0]["xywh"] == [1.0, 1.0, 3.0, 2.0]
    assert dog[1]["xywh"] == [0.0, 0.0, 320.0, 240.0]
    assert dog[1]["attributes"]["color"] == "black"
    assert got["items"]["annotations/empty"] == []
