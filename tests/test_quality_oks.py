"""OKS against pycocotools' own COCOeval.computeOks on the same objects (random cases)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from annoformat.model import Keypoints
from annoformat.quality.similarity import Canvas, oks

K = 5
coord = st.floats(0, 200, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def person(draw: st.DrawFn, ground_truth: bool) -> dict[str, object]:
    points = draw(st.lists(coord, min_size=2 * K, max_size=2 * K))
    # no labelled point at all is COCOeval's special case (distance to twice the box)
    vis = draw(st.one_of(st.lists(st.sampled_from([0, 1, 2]), min_size=K, max_size=K),
                         st.just([0] * K)))
    box = [draw(coord), draw(coord), draw(st.floats(1, 100)), draw(st.floats(1, 100))]
    kps: list[float] = []
    for k in range(K):
        kps += [points[2 * k], points[2 * k + 1], vis[k] if ground_truth else 1]
    return {"keypoints": kps, "bbox": box, "area": draw(st.floats(10, 5000)),
            "num_keypoints": sum(v > 0 for v in vis)}


@settings(max_examples=60, deadline=None)
@given(st.lists(person(True), min_size=1, max_size=3), st.lists(person(False), min_size=1,
                                                                   max_size=3),
       st.sampled_from([0.09, 0.05, 0.2]))
def test_oks_equals_cocoeval(gts: list[dict[str, object]], dts: list[dict[str, object]],
                             sigma: float) -> None:
    images = [{"id": 1, "width": 300, "height": 300, "file_name": "a.jpg"}]
    cats = [{"id": 1, "name": "person", "keypoints": [f"k{i}" for i in range(K)]}]
    gt_anns = [{**g, "id": i + 1, "image_id": 1, "category_id": 1, "iscrowd": 0}
               for i, g in enumerate(gts)]
    # scores descending: computeOks sorts detections by score
    dt_anns = [{"keypoints": d["keypoints"], "image_id": 1, "category_id": 1,
                "score": 1.0 - i / 10} for i, d in enumerate(dts)]
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        gt = COCO()
        gt.dataset = {"images": images, "annotations": gt_anns, "categories": cats}
        gt.createIndex()
        dt = gt.loadRes(dt_anns)
        ev = COCOeval(gt, dt, "keypoints")
        ev.params.kpt_oks_sigmas = np.full(K, sigma)
        ev.params.imgIds = [1]
        ev._prepare()
        expected = np.asarray(ev.computeOks(1, 1))  # detections x ground truths

    def ir(a: dict[str, object], vis: bool) -> Keypoints:
        kps = a["keypoints"]
        assert isinstance(kps, list)
        return Keypoints(points=[v for k, v in enumerate(kps) if k % 3 != 2],
                         visibility=[int(v) for v in kps[2::3]] if vis else [2] * K,
                         area=a["area"], bbox=tuple(a["bbox"]))  # type: ignore[arg-type]

    ours = oks([ir(g, True) for g in gts], [ir(d, False) for d in dts], Canvas(300, 300), sigma)
    assert pytest.approx(expected, rel=1e-9, abs=1e-12) == ours.T
