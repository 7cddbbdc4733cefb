"""Ultralytics loads what annoformat writes: ``check_det_dataset`` on the data.yaml, then
``YOLODataset`` on every split (its own ``verify_image_label`` per file) for detect, segment,
pose and obb, with 0 corrupt files, every image found, and the rows it reads equal to ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import annoformat as af
from annoformat import masks
from annoformat.model import BBox, Dataset, Image, Item, Label, Mask, Polygon
from annoformat.testing.images import write_png

from .conftest import Runner
from conftest import FIXTURES

LOAD = """
import json, os, sys
from pathlib import Path
from ultralytics.data.dataset import YOLODataset
from ultralytics.data.utils import check_det_dataset, load_dataset_cache_file

data_yaml, task = sys.argv[1], sys.argv[2]
data = check_det_dataset(data_yaml)
out = {"nc": data["nc"], "names": [data["names"][i] for i in range(data["nc"])], "splits": {}}
for split in ("train", "val"):
    ds = YOLODataset(img_path=data[split], data=data, task=task, augment=False, cache=False)
    cache = load_dataset_cache_file(Path(ds.label_files[0]).parent.with_suffix(".cache"))
    found, missing, empty, corrupt, total = cache["results"]
    rows = {}
    for lb in ds.labels:
        rows[os.path.basename(lb["im_file"])] = {
            "cls": [int(c) for c in lb["cls"].ravel().tolist()],
            "boxes": [[round(v, 5) for v in b] for b in lb["bboxes"].tolist()],
            "segments": [len(s) for s in lb.get("segments", [])],
            "keypoints": (list(lb["keypoints"].shape) if lb.get("keypoints") is not None
                          else None),
        }
    out["splits"][split] = {"found": found, "missing": missing, "empty": empty,
                            "corrupt": corrupt, "images": len(ds.im_files),
                            "messages": cache["msgs"], "rows": rows}
print(json.dumps(out))
"""


def _load(ultralytics: Runner, data_yaml: Path, task: str) -> Any:
    script = (f"import sys, os; sys.argv = ['x', {str(data_yaml)!r}, {task!r}]; "
              f"os.environ['YOLO_CONFIG_DIR'] = {str(data_yaml.parent / '.ultra')!r}\n" + LOAD)
    return ultralytics(script)


def _source(root: Path) -> Path:
    """A COCO folder (train and val) with real images: boxes, a two-part polygon, a mask with
    a hole, a crowd region and an empty image."""
    ring = np.zeros((60, 80), dtype=np.uint8)
    ring[10:40, 30:70] = 1
    ring[20:30, 40:50] = 0
    crowd = np.zeros((60, 80), dtype=np.uint8)
    crowd[50:58, 0:20] = 1

    def image(name: str) -> Image:
        write_png(root / "images" / name, 80, 60)
        return Image(path=name, width=80, height=60)

    ds = Dataset(labels=[Label(name="cat"), Label(name="dog")], items=[
        Item(id="1", subset="train", media=image("t1.png"), annotations=[
            BBox(id=1, label="cat", x=8, y=6, w=20, h=12),
            Polygon(id=2, label="dog", rings=[[40, 10, 60, 10, 60, 30], [62, 40, 70, 40, 70, 50]]),
        ]),
        Item(id="2", subset="train", media=image("t2.png"), annotations=[
            Mask(id=3, label="cat", counts=masks.encode(ring), height=60, width=80),
            Mask(id=4, label="dog", counts=masks.encode(crowd), height=60, width=80,
                 crowd=True),
        ]),
        Item(id="3", subset="train", media=image("t3.png")),
        Item(id="4", subset="val", media=image("v1.png"), annotations=[
            BBox(id=5, label="dog", x=0, y=0, w=80, h=60)]),
    ])
    af.save(ds, root / "coco", format="coco")
    for name in ("t1.png", "t2.png", "t3.png", "v1.png"):
        (root / "images" / name).rename(root / "coco" / name)
    return root / "coco"


@pytest.mark.parametrize("task", ["detect", "segment"])
def test_coco_to_yolo_trains_as_is(ultralytics: Runner, tmp_path: Path, task: str) -> None:
    src = _source(tmp_path / "src")
    out = tmp_path / "yolo"
    result = af.convert(src, out, to="yolo", allow_loss=True, options={"task": task})
    assert result.written and result.summary["media"] == {"hard-linked": 4}
    got = _load(ultralytics, out / "data.yaml", task)
    assert got["names"] == ["cat", "dog"]
    train, val = got["splits"]["train"], got["splits"]["val"]
    assert (train["found"], train["missing"], train["empty"], train["corrupt"]) == (3, 0, 1, 0)
    assert (val["found"], val["missing"], val["empty"], val["corrupt"]) == (1, 0, 0, 0)
    assert train["images"] == 3 and val["images"] == 1 and not train["messages"]
    rows = train["rows"]
    # the crowd region is no object; the two-part polygon is one; the mask its outline
    assert rows["t1.png"]["cls"] == [0, 1] and rows["t2.png"]["cls"] == [0]
    assert rows["t1.png"]["boxes"][0] == [0.225, 0.2, 0.25, 0.2]  # (8 + 10) / 80, ...
    assert rows["t2.png"]["boxes"] == [[0.625, 0.41667, 0.5, 0.5]]
    assert val["rows"]["v1.png"]["boxes"] == [[0.5, 0.5, 1.0, 1.0]]
    if task == "segment":
        # 3 + 3 points joined by two bridge points; the mask's outline has 4 corners
        assert rows["t1.png"]["segments"][1] == 8 and rows["t2.png"]["segments"] == [4]


@pytest.mark.parametrize(("name", "task", "rows"), [
    ("ultralytics-pose", "pose", 2), ("ultralytics-obb", "obb", 2),
    ("ultralytics-detect", "detect", 3)])
def test_yolo_fixtures_rewritten_load(ultralytics: Runner, tmp_path: Path, name: str,
                                      task: str, rows: int) -> None:
    out = tmp_path / "out"
    result = af.convert(FIXTURES / "yolo" / "good" / name / "dataset", out, to="yolo")
    assert result.written and result.summary.get("media")
    got = _load(ultralytics, out / "data.yaml", task)
    splits = got["splits"].values()
    assert sum(s["corrupt"] for s in splits) == 0 and sum(s["missing"] for s in splits) == 0
    # (a fixture without a val subset has data.yaml's val borrow train: count train only)
    assert sum(len(r["cls"]) for r in got["splits"]["train"]["rows"].values()) == rows
    if task == "pose":
        shapes = {tuple(r["keypoints"]) for s in splits for r in s["rows"].values() if r["cls"]}
        assert shapes == {(2, 3, 3)}


def test_a_broken_label_is_caught(ultralytics: Runner, tmp_path: Path) -> None:
    """The check can fail: a score column on a polygon row makes Ultralytics drop the file."""
    out = tmp_path / "yolo"
    assert af.convert(_source(tmp_path / "src"), out, to="yolo", allow_loss=True,
                      options={"task": "segment"}).written
    label = out / "labels" / "train" / "t1.txt"
    label.write_text("".join(row + " 0.9\n" for row in label.read_text().splitlines()))
    got = _load(ultralytics, out / "data.yaml", "segment")
    assert got["splits"]["train"]["corrupt"] == 1
    assert json.dumps(got["splits"]["train"]["messages"]).count("t1.png") == 1
