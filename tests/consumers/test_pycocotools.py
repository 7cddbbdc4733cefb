"""pycocotools reads what annoformat writes as COCO: ``COCO``, ``annToMask`` on every
annotation, ``loadRes`` and ``COCOeval`` (bbox, segm, keypoints) scoring our ground truth
against itself at 1.0. pycocotools is annoformat's own dependency, so these rows always run."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

import annoformat as af
from annoformat import masks
from annoformat.model import BBox, Dataset, Image, Item, Keypoints, Label, Mask, Polygon

from conftest import FIXTURES


def _dataset() -> Dataset:
    blob = np.zeros((60, 80), dtype=np.uint8)
    blob[10:30, 40:70] = 1
    crowd = np.zeros((60, 80), dtype=np.uint8)
    crowd[40:55, 5:25] = 1
    return Dataset(labels=[Label(name="cat"), Label(name="person",
                                                    keypoints=["head", "hand"],
                                                    skeleton=[(0, 1)])], items=[
        Item(id="1", media=Image(path="a.png", width=80, height=60), annotations=[
            BBox(id=1, label="cat", x=10, y=20, w=30, h=15),
            Polygon(id=2, label="cat", rings=[[5, 5, 25, 5, 25, 15], [30, 40, 50, 40, 50, 55]]),
            Mask(id=3, label="cat", counts=masks.encode(blob), height=60, width=80),
            Mask(id=4, label="cat", counts=masks.encode(crowd), height=60, width=80,
                 crowd=True),
        ]),
        Item(id="2", media=Image(path="b.png", width=80, height=60), annotations=[
            BBox(id=5, label="person", x=20, y=10, w=20, h=40),
            Keypoints(id=5, label="person", points=[30, 15, 25, 40], visibility=[2, 1]),
        ]),
    ])


def _quiet(fn: Any, *args: Any) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


@pytest.fixture
def written(tmp_path: Path) -> Path:
    path = tmp_path / "gt.json"
    af.save(_dataset(), path, format="coco")
    return path


def test_coco_loads_it_and_every_annotation_rasterises(written: Path) -> None:
    gt = _quiet(COCO, str(written))
    assert (len(gt.getImgIds()), len(gt.getAnnIds()), len(gt.getCatIds())) == (2, 5, 2)
    assert gt.loadCats(gt.getCatIds(catNms=["person"]))[0]["skeleton"] == [[1, 2]]
    anns = gt.loadAnns(gt.getAnnIds())
    for ann in anns:
        assert gt.annToMask(ann).shape == (60, 80)
    by_id = {a["id"]: a for a in anns}
    # a box's mask is what pycocotools' own loadRes makes of the same box
    own = _quiet(gt.loadRes, [{"image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 15],
                               "score": 1.0}])
    assert np.array_equal(gt.annToMask(by_id[1]), own.annToMask(own.loadAnns(1)[0]))
    # the two-part polygon covers both parts; masks come back pixel for pixel
    assert int(gt.annToMask(by_id[2]).sum()) == int(
        gt.annToMask({**by_id[2], "segmentation": [by_id[2]["segmentation"][0]]}).sum()
        + gt.annToMask({**by_id[2], "segmentation": [by_id[2]["segmentation"][1]]}).sum())
    assert int(gt.annToMask(by_id[3]).sum()) == 600 and by_id[3]["area"] == 600
    # exact pixel counts: the 30 x 15 box, the two triangles (100 + 150 px)
    assert by_id[1]["segmentation"] == [[10, 20, 10, 35, 40, 35, 40, 20]]
    assert int(gt.annToMask(by_id[1]).sum()) == 450 == by_id[1]["area"]
    assert by_id[2]["bbox"] == [5, 5, 45, 50]
    assert int(gt.annToMask(by_id[2]).sum()) == 250 == by_id[2]["area"]
    assert by_id[4]["iscrowd"] == 1 and int(gt.annToMask(by_id[4]).sum()) == 300
    assert by_id[5]["keypoints"] == [30, 15, 2, 25, 40, 1] and by_id[5]["num_keypoints"] == 2


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "keypoints"])
def test_cocoeval_scores_the_ground_truth_against_itself_at_one(written: Path,
                                                                iou_type: str) -> None:
    gt = _quiet(COCO, str(written))
    dets = []
    for ann in copy.deepcopy(gt.loadAnns(gt.getAnnIds())):
        if ann["iscrowd"] or (iou_type == "keypoints" and "keypoints" not in ann):
            continue
        ann["score"] = 1.0
        del ann["id"]
        dets.append(ann)
    res = _quiet(gt.loadRes, dets)
    ev = COCOeval(gt, res, iou_type)
    if iou_type == "keypoints":  # as for COCO's person_keypoints: the category with keypoints
        ev.params.catIds = gt.getCatIds(catNms=["person"])
        ev.params.kpt_oks_sigmas = np.array([0.05, 0.05])  # ours has 2 points, not COCO's 17
    _quiet(ev.evaluate)
    _quiet(ev.accumulate)
    _quiet(ev.summarize)
    assert ev.stats[0] == pytest.approx(1.0)  # AP @ IoU .50:.95


def test_voc_to_coco_is_ready_for_pycocotools(tmp_path: Path) -> None:
    src = FIXTURES / "voc" / "good" / "dataset" / "VOC2007"
    out = tmp_path / "out.json"
    result = af.convert(src, out, to="coco", allow_loss=True)
    assert result.written
    gt = _quiet(COCO, str(out))
    anns = gt.loadAnns(gt.getAnnIds())
    assert anns and all(a["segmentation"] for a in anns)
    assert all(gt.annToMask(a).sum() > 0 for a in anns)
    raw = out.read_text()
    assert "00000000" not in raw and "9999999" not in raw  # no float noise
    assert json.loads(raw)["annotations"][0]["bbox"] == anns[0]["bbox"]


def test_box_segmentation_empty_writes_the_empty_list(tmp_path: Path) -> None:
    """datumaro's and CVAT's style on request: ``[]`` for a box-only object (pycocotools'
    annToMask cannot rasterise it; bbox evaluation still works), read back as the box."""
    path = tmp_path / "gt.json"
    af.save(_dataset(), path, format="coco", box_segmentation="empty")
    by_id = {a["id"]: a for a in json.loads(path.read_text())["annotations"]}
    assert by_id[1]["segmentation"] == [] and by_id[5]["segmentation"] == []
    assert by_id[2]["segmentation"] == [[5, 5, 25, 5, 25, 15], [30, 40, 50, 40, 50, 55]]
    gt = _quiet(COCO, str(path))
    assert len(gt.getAnnIds()) == 5
    box = af.load(path).items[0].annotations[0]
    assert isinstance(box, BBox) and (box.x, box.y, box.w, box.h) == (10, 20, 30, 15)
