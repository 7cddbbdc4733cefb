"""COCO specifics beyond the conformance suite: exact values, lossless round trips, pycocotools."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycocotools.coco import COCO

import annoformat as af
from annoformat import masks
from annoformat.convert import plan_loss
from annoformat.formats import coco
from annoformat.formats.coco import CAPABILITIES
from annoformat.model import BBox, Dataset, Image, Item, Label, VideoFrame
from annoformat.testing import first_difference
from annoformat.testing.strategies import datasets

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "coco" / "good"
MINIMAL = FIX / "minimal" / "annotations.json"


def _subset_of(source: Any, output: Any, where: str = "") -> str | None:
    """Where ``source`` has a key or value ``output`` lacks (None: every one is kept)."""
    if isinstance(source, dict):
        if not isinstance(output, dict):
            return f"{where}: not an object"
        for key, value in source.items():
            if key not in output:
                return f"{where}/{key}: missing"
            found = _subset_of(value, output[key], f"{where}/{key}")
            if found:
                return found
        return None
    if isinstance(source, list):
        if not isinstance(output, list) or len(source) != len(output):
            return f"{where}: list differs"
        for i, (a, b) in enumerate(zip(source, output, strict=True)):
            found = _subset_of(a, b, f"{where}/{i}")
            if found:
                return found
        return None
    if source != output or (type(source) is bool and type(output) is not bool):
        return f"{where}: {source!r} != {output!r}"
    return None


def test_minimal_reads_exact_values() -> None:
    ds = af.load(MINIMAL)
    assert [lb.name for lb in ds.labels] == ["cat", "dog"]
    assert [lb.id for lb in ds.labels] == [1, 4]
    cat, poly = ds.items[0].annotations
    assert isinstance(cat, af.BBox) and (cat.x, cat.y, cat.w, cat.h) == (10.5, 20, 100, 50.25)
    assert isinstance(poly, af.Polygon) and poly.label == "dog" and len(poly.rings) == 2
    assert poly.rings[1] == [210, 110, 220, 110, 220, 120, 210, 120]
    mask, whole = ds.items[1].annotations
    assert isinstance(mask, af.Mask) and mask.crowd is True
    assert (mask.height, mask.width) == (240, 320)
    decoded = masks.decode(mask.counts, mask.height, mask.width)
    assert int(decoded.sum()) == 6 and decoded[1:3, 1:4].all()
    assert whole.occluded is True and whole.attributes == {"color": "black"}
    # the file writes one box-only object with [] and this one without the key: a note on
    # its form (an "_" key) so COCO -> COCO writes it back the same
    assert whole.extras == {"coco": {"note": "kept as an extra", "_no_segmentation": True}}
    assert ds.extras["coco"]["_box_segmentation"] == {"": "empty"}
    assert ds.items[2].annotations == []  # an image without annotations is kept
    assert ds.items[0].extras == {"coco": {"license": 1,
                                           "coco_url": "http://example.invalid/cat.jpg"}}


def test_coco_to_coco_is_exact_on_minimal(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = af.convert(MINIMAL, out, to="coco")
    assert result.written and result.loss == [] and len(result.report) == 0
    assert json.loads(out.read_text()) == json.loads(MINIMAL.read_text())


def _json_files(path: Path) -> dict[str, Any]:
    if path.is_file():
        return {"": json.loads(path.read_text(encoding="utf-8-sig"))}
    return {p.relative_to(path).as_posix(): json.loads(p.read_text(encoding="utf-8-sig"))
            for p in sorted(path.rglob("*.json")) if not p.name.startswith("expected")}


@pytest.mark.parametrize("case", sorted(p.name for p in FIX.iterdir()))
def test_coco_to_coco_keeps_every_key_and_value(case: str, tmp_path: Path) -> None:
    src = next(p for p in (FIX / case).iterdir()
               if not p.name.startswith("expected") and p.name != "README.md")
    dst = tmp_path / ("out.json" if src.is_file() else "out")
    result = af.convert(src, dst, to="coco")
    assert result.written, [d.message for d in result.report]
    source, output = _json_files(src), _json_files(dst)
    assert sorted(source) == sorted(output)
    for name in source:
        assert _subset_of(source[name], output[name]) is None, name


def test_image_ids_restarting_per_subset_stay_distinct(tmp_path: Path) -> None:
    ds = af.load(FIX / "folder" / "dataset")
    assert [(i.subset, i.id) for i in ds.items] == [("train", "1"), ("train", "2"), ("val", "1")]
    af.save(ds, tmp_path / "out", format="coco")
    written = sorted(p.name for p in (tmp_path / "out" / "annotations").iterdir())
    assert written == ["instances_train.json", "instances_val.json"]
    val = json.loads((tmp_path / "out" / "annotations" / "instances_val.json").read_text())
    assert [img["id"] for img in val["images"]] == [1]


def _planned(ds: af.Dataset, **options: Any) -> list[tuple[str, dict[str, Any]]]:
    """The loss findings convert makes of COCO's plan: (code, ctx)."""
    report = af.Report()
    plan_loss(ds, coco.FORMAT, report, coco.Options(**options), allow_loss=True)
    return [(d.code, d.ctx) for d in report]


def test_single_file_output_of_subsets_renumbers_and_warns(tmp_path: Path) -> None:
    ds = af.load(FIX / "folder" / "dataset")
    assert _planned(ds, layout="file") == [
        ("AF507", {"format": "coco (single file)", "what": "subsets", "detail": "train, val"}),
        ("AF508", {"format": "coco", "what": "annotation", "count": 3,
                   "reason": "annotation ids are missing, not integers or not unique",
                   "ids": ["1/1", "2/2", "1/1"]}),
        ("AF508", {"format": "coco", "what": "image", "count": 3,
                   "reason": "item ids are not unique integers", "ids": ["1", "2", "1"]}),
    ]
    report = af.save(ds, tmp_path / "all.json", format="coco", layout="file")
    assert report.codes() == ["AF507", "AF508", "AF508"]  # subsets; annotation and image ids
    assert [d.ctx.get("what") for d in report] == ["subsets", "annotation", "image"]
    doc = json.loads((tmp_path / "all.json").read_text())
    assert [img["id"] for img in doc["images"]] == [1, 2, 3]
    assert [a["id"] for a in doc["annotations"]] == [1, 2, 3]


def test_one_subset_in_a_single_file_is_reported_too(tmp_path: Path) -> None:
    ds = af.load(FIX / "folder" / "dataset")
    ds.items = [item for item in ds.items if item.subset == "train"]
    # nothing is renumbered (ids 1 and 2 are unique), but the subset name is lost
    assert _planned(ds, layout="file") == [
        ("AF507", {"format": "coco (single file)", "what": "subsets", "detail": "train"})]
    assert _planned(ds) == _planned(ds, layout="folder") == []
    af.save(ds, tmp_path / "one.json", format="coco", layout="file")
    assert [item.subset for item in af.load(tmp_path / "one.json").items] == [None, None]


def test_json_destination_plans_the_single_file_loss(tmp_path: Path) -> None:
    ds = af.load(FIX / "folder" / "dataset")
    report = af.save(ds, tmp_path / "all.json", format="coco")
    assert report.codes() == ["AF507", "AF508", "AF508"]


def test_resolve_options_makes_the_layout_definite() -> None:
    auto = coco.Options()
    assert coco.resolve_options(auto, Path("a/b.JSON")).layout == "file"
    assert coco.resolve_options(auto, Path("a/out")).layout == "auto"  # folder or Roboflow
    assert coco.resolve_options(coco.Options(layout="folder"), Path("b.json")).layout == "folder"


def test_roboflow_names_the_subset_it_invents(tmp_path: Path) -> None:
    ds = af.load(MINIMAL)
    facts = [(code, ctx) for code, ctx in _planned(ds, layout="roboflow") if code == "AF507"]
    assert facts[-1] == ("AF507", {"format": "coco (roboflow)", "what": "'no subset'",
                                   "detail": "3 item(s) without a subset are written to subset "
                                   "'default'"})
    af.save(ds, tmp_path / "rf", format="coco", layout="roboflow")
    assert {item.subset for item in af.load(tmp_path / "rf").items} == {"default"}


def test_results_keep_their_annotation_ids(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps([
        {"id": 5, "image_id": 1, "category_id": 2, "bbox": [1, 1, 2, 2], "score": 0.5},
        {"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.25}]))
    ds = af.load(tmp_path / "r.json")
    assert _planned(ds, layout="file") == []
    af.save(ds, tmp_path / "o.json", format="coco")
    assert json.loads((tmp_path / "o.json").read_text()) == json.loads(
        (tmp_path / "r.json").read_text())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets(CAPABILITIES), layout=st.sampled_from(["file", "folder"]))
def test_plan_names_exactly_the_ids_the_writer_renumbers(
    tmp_path_factory: pytest.TempPathFactory, ds: af.Dataset, layout: str,
) -> None:
    out = tmp_path_factory.mktemp("ids") / ("o.json" if layout == "file" else "o")
    planned = {ctx["what"]: ctx["count"] for code, ctx in _planned(ds, layout=layout)
               if code == "AF508"}
    af.save(ds, out, format="coco", layout=layout, allow_loss=True)
    images: list[tuple[str, Any]] = []
    anns: list[tuple[Any, Any]] = []
    for doc in _json_files(out).values():
        images += [(img["file_name"], img["id"]) for img in doc["images"]]
        anns += [(a["image_id"], a["id"]) for a in doc.get("annotations", [])]
    written = [item for item in ds.items if isinstance(item.media, af.Image)]
    kept = all(str(img_id) == item.id for item, (_, img_id) in zip(
        sorted(written, key=lambda i: (i.subset or "", )), images, strict=False))
    if "image" in planned:
        assert planned["image"] == sum(1 for _ in written if layout == "file") or planned[
            "image"] > 0
    else:
        assert kept or layout == "folder"
    source_ids = [a.id for item in written for a in item.annotations]
    if "annotation" in planned:
        assert planned["annotation"] == len(anns)
    else:
        assert sorted(a_id for _, a_id in anns) == sorted(
            i for i in source_ids if i is not None)


def test_keypoints_and_polygon_of_one_object_merge_back(tmp_path: Path) -> None:
    src = FIX / "keypoints" / "person_keypoints.json"
    ds = af.load(src)
    types = [(a.type, a.id) for a in ds.items[0].annotations]
    assert types == [("polygon", 1), ("keypoints", 1), ("keypoints", 2)]
    kp = ds.items[0].annotations[1]
    assert isinstance(kp, af.Keypoints)
    assert kp.points == [20, 15, 30, 15, 0, 0] and kp.visibility == [2, 1, 0]
    assert ds.labels[0].skeleton == [(0, 1), (1, 2)]
    af.save(ds, tmp_path / "kp.json", format="coco")
    assert json.loads((tmp_path / "kp.json").read_text()) == json.loads(src.read_text())


def test_pycocotools_loads_what_annoformat_writes(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    assert af.convert(MINIMAL, out, to="coco").written
    coco = COCO(str(out))
    assert sorted(coco.getImgIds()) == [1, 2, 3]
    assert sorted(coco.getCatIds()) == [1, 4]
    ours = af.load(out)
    for item in ours.items:
        for ann in item.annotations:
            if not isinstance(ann, (af.Mask, af.Polygon)):
                continue
            theirs = coco.annToMask(coco.loadAnns([ann.id])[0])
            if isinstance(ann, af.Mask):
                assert np.array_equal(theirs, masks.decode(ann.counts, ann.height, ann.width))
            if isinstance(ann, af.Polygon):
                assert theirs.shape == (480, 640) and int(theirs.sum()) > 0


def test_results_file_round_trips_and_loads_in_pycocotools(tmp_path: Path) -> None:
    src = FIX / "results" / "detections.json"
    ds = af.load(src)
    assert [a.score for item in ds.items for a in item.annotations] == [0.236, 0.318, 0.9]
    out = tmp_path / "res.json"
    af.save(ds, out, format="coco")
    assert json.loads(out.read_text()) == json.loads(src.read_text())
    gt = COCO(str(MINIMAL))
    res = gt.loadRes(json.loads(out.read_text().replace('"image_id":42', '"image_id":1')
                                .replace('"image_id":73', '"image_id":2')))
    assert len(res.getAnnIds()) == 3


def test_invented_category_ids_start_at_one(tmp_path: Path) -> None:
    ds = af.Dataset(labels=[af.Label(name="a"), af.Label(name="b")],
                    items=[af.Item(id="x", media=af.Image(path="x.jpg", width=4, height=4),
                                   annotations=[af.BBox(label="b", x=0, y=0, w=1, h=1)])])
    report = af.save(ds, tmp_path / "o.json", format="coco")
    doc = json.loads((tmp_path / "o.json").read_text())
    assert [c["id"] for c in doc["categories"]] == [1, 2]
    assert doc["annotations"][0]["category_id"] == 2
    assert doc["annotations"][0]["area"] == 1.0 and doc["annotations"][0]["iscrowd"] == 0
    assert report.codes() == ["AF508", "AF508"]  # item id "x" and the missing annotation id


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(CAPABILITIES))
def test_ir_to_coco_to_ir_is_lossless(tmp_path_factory: pytest.TempPathFactory,
                                      ds: af.Dataset) -> None:
    out = tmp_path_factory.mktemp("prop") / "ds.json"
    af.save(ds, out, format="coco")
    again = af.load(out)
    # the one exception, planned as AF513: a polygon that is exactly its box's rectangle
    rectangles = 0
    for item, back in zip(ds.items, again.items, strict=True):
        for k, (ann, read) in enumerate(zip(item.annotations, back.annotations, strict=False)):
            if _is_rectangle(ann):
                rectangles += 1
                assert isinstance(read, BBox) and (read.x, read.y, read.w, read.h) == ann.bbox
                back.annotations[k] = ann
    assert first_difference(ds, again) is None
    assert sum(ctx["count"] for code, ctx in _planned(ds) if code == "AF513") == rectangles


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets(CAPABILITIES), first_image=st.integers(0, 10**6),
       first_ann=st.integers(0, 10**6))
def test_ids_numbered_from_a_first_id_change_nothing_else(
        tmp_path_factory: pytest.TempPathFactory, ds: af.Dataset, first_image: int,
        first_ann: int) -> None:
    folder = tmp_path_factory.mktemp("first")
    af.save(ds, folder / "kept.json", format="coco")
    af.save(ds, folder / "numbered.json", format="coco", first_image_id=first_image,
            first_annotation_id=first_ann)
    kept = json.loads((folder / "kept.json").read_text())
    numbered = json.loads((folder / "numbered.json").read_text())
    image_ids = [i["id"] for i in numbered["images"]]
    ann_ids = [a["id"] for a in numbered.get("annotations", [])]
    assert image_ids == list(range(first_image, first_image + len(image_ids)))
    assert ann_ids == list(range(first_ann, first_ann + len(ann_ids)))
    # the same document with each id swapped for its number
    to_new = dict(zip([i["id"] for i in kept["images"]], image_ids, strict=True))
    for ann, new_id in zip(kept.get("annotations", []), ann_ids, strict=True):
        ann["id"], ann["image_id"] = new_id, to_new[ann["image_id"]]
    for image, new_id in zip(kept["images"], image_ids, strict=True):
        image["id"] = new_id
    assert kept == numbered
    # AF508 counts exactly the ids that changed
    counts = {ctx["what"]: ctx["count"] for code, ctx in _planned(
        ds, first_image_id=first_image, first_annotation_id=first_ann) if code == "AF508"}
    source = [i.id for i in ds.items if isinstance(i.media, (Image, VideoFrame))]
    assert counts.get("image", 0) == sum(a != str(b) for a, b in zip(source, image_ids,
                                                                       strict=True))
    census = coco.id_census(ds, coco.Options(layout="file"))
    assert census is not None and census.annotations == len(ann_ids)
    if census.annotation_ids is not None:  # kept by default: those numbering changes
        assert counts.get("annotation", 0) == sum(
            a != b for a, b in zip(census.annotation_ids, ann_ids, strict=True))


_EXTRA = st.dictionaries(st.sampled_from(["x_tool", "note", "meta"]),
                         # int64: orjson reads wider integers as floats (issue 13's to refuse)
                         st.one_of(st.integers(-(2**63), 2**64 - 1), st.text(max_size=5),
                                   st.booleans()), max_size=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets(CAPABILITIES), top=_EXTRA, per_image=_EXTRA, per_ann=_EXTRA, per_cat=_EXTRA)
def test_coco_to_ir_to_coco_keeps_every_key_and_value(
    tmp_path_factory: pytest.TempPathFactory, ds: af.Dataset, top: dict[str, Any],
    per_image: dict[str, Any], per_ann: dict[str, Any], per_cat: dict[str, Any],
) -> None:
    folder = tmp_path_factory.mktemp("raw")
    af.save(ds, folder / "base.json", format="coco")
    doc = json.loads((folder / "base.json").read_text())
    doc.update(top)
    for img in doc["images"]:
        img.update(per_image)
    for ann in doc["annotations"]:
        ann.update(per_ann)
    for cat in doc["categories"]:
        cat.update(per_cat)
    (folder / "src.json").write_text(json.dumps(doc))
    result = af.convert(folder / "src.json", folder / "out.json", to="coco")
    assert result.written, [d.message for d in result.report]
    assert json.loads((folder / "out.json").read_text()) == doc


@pytest.mark.parametrize("case", sorted(p.name for p in FIX.iterdir()))
def test_fast_built_models_are_complete_and_unshared(case: str) -> None:
    """The reader builds models without validation: every field set, no dict shared."""
    src = next(p for p in (FIX / case).iterdir()
               if not p.name.startswith("expected") and p.name != "README.md")
    ds = af.load(src)
    seen: set[int] = set()
    for item in ds.items:
        for obj in (item, item.media, *item.annotations):
            assert set(obj.__dict__) == set(type(obj).model_fields), type(obj)
            for value in obj.__dict__.values():
                if isinstance(value, dict):
                    assert id(value) not in seen
                    seen.add(id(value))
        assert af.Item.model_validate(item.model_dump()) == item  # and they would validate


def test_video_frames_are_coco_images_and_come_back_as_frames(tmp_path: Path) -> None:
    """Frames become images named <video>/frame_%06d; tracks ride in attributes.track_id;
    COCO -> CVAT video rebuilds the tracks."""
    frames = [Item(id=str(f), media=VideoFrame(path="clip.mp4", frame=f, width=64, height=48),
                   annotations=[BBox(label="car", x=f, y=2, w=10, h=8, track_id=7)])
              for f in (0, 5, 10)]
    ds = Dataset(labels=[Label(name="car")], items=frames)
    af.save(ds, tmp_path / "v.json", format="coco")
    doc = json.loads((tmp_path / "v.json").read_text())
    assert [img["file_name"] for img in doc["images"]] == [
        "clip.mp4/frame_000000", "clip.mp4/frame_000005", "clip.mp4/frame_000010"]
    assert {a["attributes"]["track_id"] for a in doc["annotations"]} == {7}
    back = af.load(tmp_path / "v.json")
    assert [(i.media.kind, getattr(i.media, "frame", None)) for i in back.items] == [
        ("video_frame", 0), ("video_frame", 5), ("video_frame", 10)]
    assert af.convert(tmp_path / "v.json", tmp_path / "v.xml", to="cvat",
                      allow_loss=True).written
    again = af.load(tmp_path / "v.xml")
    assert again.extras["cvat"]["flavour"] == "video"
    assert [(i.media.frame, [(a.track_id, a.x) for a in i.annotations])
            for i in again.items if i.annotations] == [
        (0, [(7, 0.0)]), (5, [(7, 5.0)]), (10, [(7, 10.0)])]


def test_cvat_video_through_coco_keeps_every_track(tmp_path: Path) -> None:
    """CVAT video -> COCO -> CVAT video: the same shapes on the same frames in the same tracks
    (a skeleton with one visible point has a 0x0 box in COCO: read, not refused)."""
    src = FIX.parents[1] / "cvat" / "good" / "video-tracks" / "annotations.xml"
    assert af.convert(src, tmp_path / "v.json", to="coco", allow_loss=True).written
    assert af.convert(tmp_path / "v.json", tmp_path / "v.xml", to="cvat", allow_loss=True).written

    def shapes(ds: Dataset) -> list[tuple[Any, ...]]:
        return sorted((a.track_id, getattr(i.media, "frame", None), a.type,
                       str(a.model_dump(include={"x", "y", "w", "h", "rings", "points"})))
                      for i in ds.items for a in i.annotations)
    assert shapes(af.load(tmp_path / "v.xml")) == shapes(af.load(src))


# ------------------------------------------------------------------ box-only objects (#12)


def _geometry(ds: Dataset) -> list[tuple[Any, ...]]:
    return [(a.type, a.x, a.y, a.w, a.h) for i in ds.items for a in i.annotations
            if isinstance(a, BBox)] + [(a.type,) for i in ds.items for a in i.annotations
                                       if not isinstance(a, BBox)]


def _boxes(*boxes: tuple[float, float, float, float]) -> Dataset:
    return Dataset(labels=[Label(name="a")], items=[Item(
        id="1", media=af.Image(path="1.jpg", width=500, height=400),
        annotations=[BBox(id=k + 1, label="a", x=x, y=y, w=w, h=h)
                     for k, (x, y, w, h) in enumerate(boxes)])])


def test_a_box_gets_its_corners_as_segmentation_and_reads_back_as_the_box(
        tmp_path: Path) -> None:
    ds = _boxes((10.1, 20, 106.1, 30.5))
    af.save(ds, tmp_path / "a.json", format="coco")
    text = (tmp_path / "a.json").read_text()
    (ann,) = json.loads(text)["annotations"]
    # pycocotools' loadRes order, x + w without float noise (not 116.19999999999999)
    assert ann["segmentation"] == [[10.1, 20, 10.1, 50.5, 116.2, 50.5, 116.2, 20]]
    assert ann["bbox"] == [10.1, 20, 106.1, 30.5] and ann["area"] == 3236.05
    assert "9999" not in text and "0000000" not in text
    assert _geometry(af.load(tmp_path / "a.json")) == _geometry(ds)
    af.save(ds, tmp_path / "b.json", format="coco", box_segmentation="empty")
    assert json.loads((tmp_path / "b.json").read_text())["annotations"][0]["segmentation"] == []
    assert _geometry(af.load(tmp_path / "b.json")) == _geometry(ds)


def test_a_box_rectangle_in_another_corner_order_is_a_box_written_back_as_it_was(
        tmp_path: Path) -> None:
    doc = {"images": [{"id": 1, "file_name": "1.jpg", "width": 50, "height": 50}],
           "annotations": [
               {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 3, 10, 20], "area": 200,
                "iscrowd": 0, "segmentation": [[12, 3, 12, 23, 2, 23, 2, 3]]},
               # a rectangle inside the box is a shape, not the box
               {"id": 2, "image_id": 1, "category_id": 1, "bbox": [2, 3, 10, 20], "area": 100,
                "iscrowd": 0, "segmentation": [[2, 3, 7, 3, 7, 23, 2, 23]]}],
           "categories": [{"id": 1, "name": "a"}]}
    (tmp_path / "in.json").write_text(json.dumps(doc))
    ds = af.load(tmp_path / "in.json")
    assert [a.type for a in ds.items[0].annotations] == ["bbox", "polygon"]
    af.save(ds, tmp_path / "out.json", format="coco")
    assert json.loads((tmp_path / "out.json").read_text())["annotations"] == doc["annotations"]


def test_a_file_without_box_segmentation_is_written_back_without_it(tmp_path: Path) -> None:
    doc = {"images": [{"id": 1, "file_name": "1.jpg", "width": 50, "height": 50}],
           "annotations": [{"id": k, "image_id": 1, "category_id": 1, "bbox": [k, k, 5, 5],
                            "area": 25, "iscrowd": 0} for k in (1, 2)],
           "categories": [{"id": 1, "name": "a"}]}
    (tmp_path / "in.json").write_text(json.dumps(doc))
    ds = af.load(tmp_path / "in.json")
    assert ds.extras == {"coco": {"_box_segmentation": {"": "absent"}}}
    af.save(ds, tmp_path / "same.json", format="coco")
    assert json.loads((tmp_path / "same.json").read_text())["annotations"] == doc["annotations"]
    # to another format, the note on the file's form is no loss
    to_yolo = af.convert(tmp_path / "in.json", tmp_path / "y", to="yolo", media="none")
    assert not [d for d in to_yolo.report if d.code == "AF507"
                and "extras" in d.ctx.get("what", "")]
    af.save(ds, tmp_path / "poly.json", format="coco", box_segmentation="polygon")
    assert [a["segmentation"] for a in json.loads((tmp_path / "poly.json").read_text())[
        "annotations"]] == [[[1, 1, 1, 6, 6, 6, 6, 1]], [[2, 2, 2, 7, 7, 7, 7, 2]]]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 400, allow_nan=False), st.floats(0, 300, allow_nan=False),
                          st.floats(0.01, 100), st.floats(0.01, 100)), min_size=1, max_size=4))
def test_box_coco_box_is_exact(boxes: list[tuple[float, float, float, float]]) -> None:
    import tempfile

    ds = _boxes(*boxes)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.json"
        af.save(ds, out, format="coco")
        assert _geometry(af.load(out)) == _geometry(ds)


def _decimal(places: int, high: int) -> st.SearchStrategy[float]:
    """Values with at most ``places`` decimals in [0, high], as a tool prints them."""
    return st.integers(0, high * 10**places).map(lambda v: float(Fraction(v, 10**places)))


def _exact(value: float) -> Fraction:
    return Fraction(repr(value))  # the decimal the value was written as


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 3).flatmap(lambda d: st.tuples(
    _decimal(d, 1_000_000), _decimal(d, 1_000_000), _decimal(d, 50_000).filter(bool),
    _decimal(d, 50_000).filter(bool))))
def test_box_corners_and_area_are_the_exact_decimals(box: tuple[float, float, float, float],
                                                    ) -> None:
    """x + w and w * h are the shortest decimals of the exact results, at any magnitude
    (a fixed ten decimals left noise near 1e6)."""
    from annoformat.formats.coco._write import _annotation_dict

    x, y, w, h = box
    ann = _annotation_dict([BBox(id=1, label="a", x=x, y=y, w=w, h=h)], 1, 1, 1)
    ring = ann["segmentation"][0]
    assert ring[4] == float(_exact(x) + _exact(w)) and ring[5] == float(_exact(y) + _exact(h))
    area = float(_exact(w) * _exact(h))
    if float(f"{area:.15g}") == area:  # a decimal a double holds (16 digits may not be)
        assert ann["area"] == area
    assert ann["area"] == pytest.approx(area, rel=1e-14)
    assert all(len(repr(v)) <= 17 for v in ring)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2).flatmap(lambda d: st.lists(
    st.lists(_decimal(d, 4000), min_size=6, max_size=24).filter(lambda r: not len(r) % 2),
    min_size=1, max_size=2)))
def test_polygon_box_and_area_are_the_exact_decimals(rings: list[list[float]]) -> None:
    """A polygon's derived box and shoelace area (per ring, summed) are exactly the decimals
    its coordinates give: 24705.95215 in a 640-pixel image, not 24705.9521500001."""
    from annoformat.formats.coco._write import _annotation_dict

    ann = _annotation_dict([af.Polygon(id=1, label="a", rings=rings)], 1, 1, 1)
    xs = [_exact(v) for r in rings for v in r[0::2]]
    ys = [_exact(v) for r in rings for v in r[1::2]]
    assert ann["bbox"] == [float(min(xs)), float(min(ys)), float(max(xs) - min(xs)),
                           float(max(ys) - min(ys))]
    total = Fraction(0)
    for ring in rings:
        px, py = [_exact(v) for v in ring[0::2]], [_exact(v) for v in ring[1::2]]
        n = len(px)
        total += abs(sum(px[i] * py[(i + 1) % n] - px[(i + 1) % n] * py[i]
                         for i in range(n))) / 2
    assert ann["area"] == float(total)


def test_a_stored_area_is_written_as_it_came(tmp_path: Path) -> None:
    doc = {"images": [{"id": 1, "file_name": "1.jpg", "width": 50, "height": 50}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4],
                            "area": 12, "iscrowd": 0, "segmentation": [[1, 2, 1, 6, 4, 6, 4, 2]]},
                           {"id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4],
                            "area": 11.5, "iscrowd": 0,
                            "segmentation": [[1, 2, 1, 6, 4, 6, 4, 2]]}],
           "categories": [{"id": 1, "name": "a"}]}
    (tmp_path / "in.json").write_text(json.dumps(doc))
    af.save(af.load(tmp_path / "in.json"), tmp_path / "out.json", format="coco")
    text = (tmp_path / "out.json").read_text()
    assert '"area":12,' in text and '"area":11.5,' in text  # an int stays an int


def _is_rectangle(ann: Any) -> bool:
    """A polygon of one 4-corner ring tracing exactly its bbox (worked out here, apart from
    the reader's rule)."""
    if not isinstance(ann, af.Polygon) or len(ann.rings) != 1 or len(ann.rings[0]) != 8:
        return False
    ring, (x, y, w, h) = ann.rings[0], ann.bbox or (0, 0, 0, 0)
    corners = list(zip(ring[0::2], ring[1::2], strict=True))
    if sorted(corners) != sorted([(x, y), (x, y + h), (x + w, y), (x + w, y + h)]):
        return False
    # neighbours share an x or a y: the outline, not a bow tie through the diagonals
    return all(a[0] == b[0] or a[1] == b[1] for a, b in zip(corners, corners[1:] + corners[:1],
                                                             strict=True))


@st.composite
def _shapes(draw: Any) -> list[tuple[str, list[float]]]:
    """Boxes, box-rectangle polygons (any start corner, either direction), and other
    polygons: some inside a box's rectangle, some rectangles with a corner off."""
    out: list[tuple[str, list[float]]] = []
    for _ in range(draw(st.integers(1, 5))):
        x, y = draw(_decimal(2, 300)), draw(_decimal(2, 300))
        w, h = draw(_decimal(2, 100).filter(bool)), draw(_decimal(2, 100).filter(bool))
        kind = draw(st.sampled_from(["box", "rectangle", "triangle", "off"]))
        if kind == "box":
            out.append((kind, [x, y, w, h]))
            continue
        x2, y2 = float(_exact(x) + _exact(w)), float(_exact(y) + _exact(h))
        corners = [(x, y), (x2, y), (x2, y2), (x, y2)]
        start = draw(st.integers(0, 3))
        corners = corners[start:] + corners[:start]
        if draw(st.booleans()):
            corners.reverse()
        if kind == "triangle":
            corners = corners[:3]
        elif kind == "off":  # one corner pulled inwards: a quadrilateral, not the box
            corners[0] = ((corners[0][0] + x2) / 2 if corners[0][0] == x else
                          (corners[0][0] + x) / 2, corners[0][1])
        out.append((kind, [v for c in corners for v in c]))
    return out


@settings(max_examples=100, deadline=None)
@given(_shapes())
def test_boxes_stay_boxes_and_only_box_rectangles_turn_into_them(
        shapes: list[tuple[str, list[float]]]) -> None:
    """box -> COCO -> box is exact; a polygon becomes a box only when it is its own box's
    rectangle (then AF513 counts it); a triangle or an off-rectangle stays the polygon it was;
    COCO -> IR -> COCO gives the same file."""
    import tempfile

    anns: list[Any] = [BBox(id=k + 1, label="a", x=v[0], y=v[1], w=v[2], h=v[3])
                       if kind == "box" else af.Polygon(id=k + 1, label="a", rings=[v])
                       for k, (kind, v) in enumerate(shapes)]
    ds = Dataset(labels=[Label(name="a")], items=[Item(
        id="1", media=af.Image(path="1.jpg", width=500, height=500), annotations=anns)])
    planned = [ctx for code, ctx in _planned(ds) if code == "AF513"]
    rectangles = [k for k, (kind, _) in enumerate(shapes) if kind == "rectangle"]
    assert [c["count"] for c in planned] == ([len(rectangles)] if rectangles else [])
    with tempfile.TemporaryDirectory() as tmp:
        out, again = Path(tmp) / "a.json", Path(tmp) / "b.json"
        af.save(ds, out, format="coco")
        back = af.load(out).items[0].annotations
        af.save(af.load(out), again, format="coco")
        assert json.loads(again.read_text()) == json.loads(out.read_text())
    assert len(back) == len(shapes)
    for (kind, values), ann, read in zip(shapes, anns, back, strict=True):
        if kind == "box":
            assert isinstance(read, BBox) and [read.x, read.y, read.w, read.h] == values
        elif kind == "rectangle":
            xs, ys = values[0::2], values[1::2]
            w, h = (float(_exact(max(v)) - _exact(min(v))) for v in (xs, ys))
            assert isinstance(read, BBox) and [read.x, read.y, read.w, read.h] == [
                min(xs), min(ys), w, h]  # the derived box: exact decimals
        else:
            assert isinstance(read, af.Polygon) and read.rings == ann.rings


def test_results_are_a_models_and_provenance_rides_in_attributes(tmp_path: Path) -> None:
    """A results file's detections are a model's; in a dataset, annotator and origin go in the
    annotation's attributes (CVAT's and datumaro's place for what COCO has no key for), and
    an origin that is not one of the three stays an ordinary attribute."""
    results = af.load(FIX / "results" / "detections.json", format="coco")
    assert {a.origin for item in results.items for a in item.annotations} == {"model"}
    ds = Dataset(labels=[Label(name="car")], items=[Item(id="1", media=Image(
        path="a.jpg", width=8, height=8), annotations=[
            BBox(label="car", x=0, y=0, w=2, h=2, annotator="ann-7", origin="human"),
            BBox(label="car", x=1, y=1, w=2, h=2, origin="model", score=0.25),
            BBox(label="car", x=2, y=2, w=2, h=2, attributes={"origin": "Germany"})])])
    out = tmp_path / "a.json"
    af.save(ds, out, format="coco")
    anns = json.loads(out.read_text())["annotations"]
    assert [a.get("attributes") for a in anns] == [
        {"annotator": "ann-7", "origin": "human"}, {"origin": "model"}, {"origin": "Germany"}]
    back = af.load(out, format="coco")
    assert [(a.annotator, a.origin, a.attributes) for a in back.items[0].annotations] == [
        ("ann-7", "human", {}), (None, "model", {}), (None, "unknown", {"origin": "Germany"})]


def test_a_skeleton_written_with_integral_floats_reads_as_integers(tmp_path: Path) -> None:
    """JSON Schema's integer admits 1.0; the skeleton is still read (it was AF099 before)."""
    doc = json.loads((FIX / "keypoints" / "person_keypoints.json").read_text())
    first = doc["categories"][0]["skeleton"][0]
    doc["categories"][0]["skeleton"][0] = [float(first[0]), first[1]]
    (tmp_path / "a.json").write_text(json.dumps(doc))
    ds = af.load(tmp_path / "a.json")
    edge = ds.labels[0].skeleton[0]
    assert edge == (first[0] - 1, first[1] - 1) and type(edge[0]) is int
