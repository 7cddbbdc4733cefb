"""YOLO specifics beyond the conformance suite: exact values, the OBB mapping, hardened YAML,
size sources, writer refusals, lossless round trips, COCO <-> YOLO loss accounting, and a
consumer that applies the rules Ultralytics documents for data.yaml and label rows."""

from __future__ import annotations

import contextlib
import json
import math
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.formats.yolo._rows import (
    RowContext,
    corners_to_rotated,
    parse_rows,
    rotated_to_corners,
)
from annoformat.formats.yolo._yaml import load_yaml
from annoformat.model import BBox, Dataset, Image, Item, Keypoints, Label, Polygon, RotatedBBox
from annoformat.registry import get_format, parse_options
from annoformat.testing import first_difference
from annoformat.testing.strategies_yolo import yolo_datasets

from conftest import FIXTURES

GOOD = FIXTURES / "yolo" / "good"
WRITE = FIXTURES / "yolo" / "write"
EXTRA = FIXTURES / "yolo" / "extra"
COCO_MINIMAL = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"


def _read(path: Path, **options: Any) -> tuple[Dataset | None, Report]:
    fmt = get_format("yolo")
    report = Report()
    return fmt.read(path, parse_options(fmt, options), report), report


def _tree(path: Path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(path.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ exact values on fixtures


def test_detect_fixture_exact_values() -> None:
    ds, report = _read(GOOD / "ultralytics-detect" / "dataset")
    assert ds is not None and report.codes() == ["AF034"]
    assert ds.label_names() == ["cat", "dog"]
    a, b, empty, c = ds.items
    assert (a.id, a.subset, a.media.path, a.media.width, a.media.height) == (  # type: ignore[union-attr]
        "a", "train", "a.png", 64, 48)
    cat, dog = a.annotations
    assert isinstance(cat, BBox) and (cat.label, cat.id, cat.x, cat.y, cat.w, cat.h) == (
        "cat", 1, 8.0, 12.0, 16.0, 24.0)
    assert isinstance(dog, BBox) and (dog.x, dog.y, dog.w, dog.h) == (0.0, 0.0, 64.0, 48.0)
    (small,) = b.annotations  # 0.1 0.2 0.1 0.2 on 32x32: not whole pixels, kept as floats
    assert isinstance(small, BBox)
    assert small.x == pytest.approx(1.6, abs=1e-12) and small.w == pytest.approx(3.2, abs=1e-12)
    assert empty.annotations == [] and (empty.id, empty.subset) == ("empty", "train")
    assert (c.id, c.subset) == ("c", "val")
    assert report.diagnostics[0].message == (
        "YOLO ultralytics layout, task detect (read: data.yaml with names; task from the rows)")


def test_obb_fixture_maps_corners_to_rotated_boxes() -> None:
    ds, _ = _read(GOOD / "ultralytics-obb" / "dataset")
    assert ds is not None
    axis, turned = ds.items[0].annotations
    assert isinstance(axis, RotatedBBox) and (axis.x, axis.y, axis.w, axis.h, axis.rotation) == (
        10.0, 10.0, 20.0, 10.0, 0.0)
    # corners (10,10) (13,14) (5,20) (2,16): edge 3-4-5 then 6-8-10
    assert isinstance(turned, RotatedBBox)
    assert (turned.x, turned.y, turned.w, turned.h) == (5.0, 10.0, 5.0, 10.0)
    assert turned.rotation == pytest.approx(math.degrees(math.atan2(4, 3)), abs=1e-12)
    assert rotated_to_corners(turned.x, turned.y, turned.w, turned.h, turned.rotation) == \
        pytest.approx([10, 10, 13, 14, 5, 20, 2, 16], abs=1e-12)


def test_rotated_box_corner_order_is_documented_order() -> None:
    # 90 degrees clockwise on screen: the top-left corner moves to the top-right
    corners = rotated_to_corners(0, 0, 4, 2, 90)
    assert corners == [3.0, -1.0, 3.0, 3.0, 1.0, 3.0, 1.0, -1.0]  # x 1..3, y -1..3
    assert corners_to_rotated(corners, 10, 10) == (0.0, 0.0, 4.0, 2.0, 90.0)
    assert corners_to_rotated([0, 0, 4, 0, 5, 3, 0, 2], 10, 10) is None  # not a rectangle


@given(st.floats(-1000, 1000), st.floats(-1000, 1000), st.floats(0.5, 500), st.floats(0.5, 500),
       st.floats(0, 360, exclude_max=True))
@settings(max_examples=100, deadline=None)
def test_obb_mapping_inverts(x: float, y: float, w: float, h: float, rot: float) -> None:
    back = corners_to_rotated(rotated_to_corners(x, y, w, h, rot), 2000, 2000)
    assert back is not None
    bx, by, bw, bh, brot = back
    assert (bx, by, bw, bh) == pytest.approx((x, y, w, h), abs=1e-9)
    assert min(abs(brot - rot), 360 - abs(brot - rot)) < 1e-9


_TOKENS = st.sampled_from(["0", "1", "2", "01", "x", "0.5", "1.0", "1", "0", "-0.1", "1.2",
                           "nan", "inf", "1_0", "0.25", "1e-3", "0.000001", "٣", "+1", "1.5"])


@given(st.lists(st.lists(_TOKENS | st.floats(0, 1).map(lambda v: f"{v:.6f}"), min_size=5,
                         max_size=5), max_size=6), st.integers(1, 5000), st.integers(1, 5000))
@settings(max_examples=100, deadline=None)
def test_inlined_detect_rows_agree_with_the_full_path(rows: list[list[str]], w: int,
                                                      h: int) -> None:
    text = "\n".join(" ".join(r) for r in rows)
    out = []
    for fast in (True, False):
        report = Report()
        ctx = RowContext(["a", "b"], "auto", None, None, True, report, fast=fast)
        anns = parse_rows(text, "a.txt", w, h, "a", ctx)
        assert anns is not None
        out.append(([a.model_dump() for a in anns],
                    [(d.code, d.location.line, d.location.column) for d in report]))
    assert out[0] == out[1]


def test_pose_fixture_pairs_box_and_keypoints_by_id() -> None:
    ds, _ = _read(GOOD / "ultralytics-pose" / "dataset")
    assert ds is not None
    assert ds.extras == {"yolo": {"layout": "ultralytics", "kpt_shape": [3, 3],
                                  "flip_idx": [0, 2, 1]}}
    box, kp, lone = ds.items[0].annotations
    assert isinstance(box, BBox) and isinstance(kp, Keypoints) and box.id == kp.id == 1
    assert kp.points == [100.0, 40.0, 90.0, 50.0, 0.0, 0.0] and kp.visibility == [2, 1, 0]
    # a row whose keypoints are all "0 0 0" is a plain box
    assert isinstance(lone, BBox) and lone.id == 2


def test_pose_2d_visibility_is_derived_from_zero_points() -> None:
    ds, _ = _read(GOOD / "ultralytics-pose-2d" / "dataset")
    assert ds is not None
    _, kp = ds.items[0].annotations
    assert isinstance(kp, Keypoints) and kp.points == [45.0, 45.0, 0.0, 0.0]
    assert kp.visibility == [2, 0]


def test_scores_column() -> None:
    ds, _ = _read(GOOD / "ultralytics-scores" / "dataset")
    assert ds is not None
    assert [a.score for a in ds.items[0].annotations] == [0.875, None]
    _, report = _read(GOOD / "ultralytics-scores" / "dataset", scores=False)
    assert [(d.code, d.location.line) for d in report.errors] == [("AF033", 1)]


def test_segment_rows_with_scores_need_the_option(tmp_path: Path) -> None:
    root = _copy(GOOD / "ultralytics-segment" / "dataset", tmp_path)
    (root / "labels/train/a.txt").write_text("0 0.1 0.1 0.5 0.1 0.3 0.4 0.9\n")
    _, report = _read(root)
    assert [(d.code, d.location.line) for d in report.errors] == [("AF033", 1)]
    ds, report = _read(root, scores=True)
    assert ds is not None and not report.has_errors
    (poly,) = ds.items[0].annotations
    assert isinstance(poly, Polygon) and poly.score == 0.9
    assert poly.rings == [[10.0, 10.0, 50.0, 10.0, 30.0, 40.0]]


def test_nine_columns_are_a_polygon_unless_obb(tmp_path: Path) -> None:
    root = _copy(GOOD / "ultralytics-obb" / "dataset", tmp_path)
    (root / "data.yaml").write_text("train: images/train\nval: images/train\nnames: [a, b]\n")
    ds, _ = _read(root)
    assert ds is not None and {a.type for a in ds.items[0].annotations} == {"polygon"}
    ds, _ = _read(root, task="obb")
    assert ds is not None and {a.type for a in ds.items[0].annotations} == {"rotated_bbox"}


def test_darknet_and_bare_layouts() -> None:
    ds, _ = _read(GOOD / "darknet-cvat" / "dataset")
    assert ds is not None and ds.label_names() == ["car", "bus"]
    assert [(i.id, i.subset, i.media.path) for i in ds.items] == [  # type: ignore[union-attr]
        ("f0", "train", "f0.png"), ("f1", "train", "f1.png")]
    (bus,) = ds.items[0].annotations
    assert isinstance(bus, BBox) and (bus.label, bus.x, bus.y, bus.w, bus.h) == (
        "bus", 20.0, 15.0, 10.0, 20.0)
    ds, _ = _read(GOOD / "bare-classes-crlf" / "dataset")
    assert ds is not None and ds.label_names() == ["cat", "dog"]  # CRLF stripped
    assert [(i.id, len(i.annotations)) for i in ds.items] == [("a", 2), ("b", 0)]


def test_roboflow_paths_and_subset_names() -> None:
    ds, _ = _read(GOOD / "roboflow" / "dataset")
    assert ds is not None
    assert [(i.id, i.subset) for i in ds.items] == [("p1", "train"), ("p2", "valid")]


def test_list_files_resolve_relative_to_the_list() -> None:
    ds, _ = _read(GOOD / "ultralytics-list-files" / "dataset")
    assert ds is not None
    # ids and paths relative to the folder holding a list's images, as for a folder split
    assert [(i.id, i.subset, i.media.path, len(i.annotations))  # type: ignore[union-attr]
            for i in ds.items] == [
        ("a", "train", "a.png", 1), ("b", "train", "b.png", 0), ("c", "val", "c.png", 1)]


# ------------------------------------------------------------------ sizes


def test_label_without_image_uses_the_sidecar_and_keeps_the_image_name() -> None:
    ds, report = _read(GOOD / "ultralytics-no-images" / "dataset")
    # read from the sidecar, and said: the images are not there to train on (AF040)
    assert ds is not None and report.codes() == ["AF040", "AF034"]
    assert _read(GOOD / "ultralytics-no-images" / "dataset", images=False)[1].codes() == [
        "AF034"]
    x = ds.items[0]
    assert (x.id, x.media.path, x.media.width, x.media.height) == (  # type: ignore[union-attr]
        "x", "x.jpg", 640, 480)
    (box,) = x.annotations
    assert isinstance(box, BBox) and (box.x, box.y, box.w, box.h) == (160, 120, 320, 240)
    # download: is data, never run; unknown keys are kept for the writer
    assert ds.extras["yolo"]["yaml"]["download"].startswith("import os")


def test_explicit_size_sources(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "yolo" / "bad" / "AF333-image-size-unknown" / "dataset", tmp_path)
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("path,width,height\nimages/train/lost.jpg,200,100\n")
    ds, report = _read(root, image_sizes=str(sizes))
    assert ds is not None and not report.has_errors
    (item,) = ds.items
    assert (item.media.path, item.media.width) == ("lost.jpg", 200)  # type: ignore[union-attr]
    assert isinstance(item.annotations[0], BBox) and item.annotations[0].x == 80.0
    ds, report = _read(root, image_size=[10, 20])
    assert ds is not None and not report.has_errors
    assert (ds.items[0].media.path, ds.items[0].media.height) == ("lost", 20)  # type: ignore[union-attr]
    sizes.write_text("path,width,height\nimages/train/lost.jpg,200,zero\n")
    _, report = _read(root, image_sizes=str(sizes))
    assert [(d.code, d.location.line) for d in report.errors] == [("AF036", 2)]


# ------------------------------------------------------------------ hardened YAML


@pytest.mark.parametrize(("text", "code"), [
    ("a: &x [1, 2]\nb: [*x, *x]\n", "AF031"),
    ("<<: {a: 1}\n", "AF031"),
    ("names: !!python/object/apply:os.system ['echo pwned']\n", "AF030"),
    ("names: [a]\nnames: [b]\n", "AF006"),
    ("[" * 5000 + "]" * 5000, "AF902"),
])
def test_yaml_loader_refuses(tmp_path: Path, text: str, code: str) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(text)
    report = Report()
    doc = load_yaml(path, report)
    assert doc is None and report.codes() == [code]


def test_yaml_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "data.yaml"
    path.write_text("names: [a]\n" + "#" * (1024 * 1024))
    report = Report()
    assert load_yaml(path, report) is None and report.codes() == ["AF901"]


def test_download_key_is_never_executed(tmp_path: Path) -> None:
    root = _copy(GOOD / "ultralytics-detect" / "dataset", tmp_path)
    marker = tmp_path / "ran"
    (root / "data.yaml").write_text(
        (root / "data.yaml").read_text()
        + f"download: |\n  open({str(marker)!r}, 'w').write('x')\n")
    ds, _ = _read(root)
    assert ds is not None and not marker.exists()


# ------------------------------------------------------------------ writer


def _write_case_ids() -> list[Path]:
    return sorted(p for p in WRITE.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", _write_case_ids(), ids=lambda p: p.name)
def test_write_fixture(case: Path, tmp_path: Path, update_golden: bool) -> None:
    """fixtures/yolo/write/<CODE>-<slug>: an IR dataset written as YOLO (allow_loss=True);
    expected.diagnostics.json and expected.files.json (null: nothing written) are golden."""
    ds = Dataset.model_validate_json((case / "dataset.ir.json").read_bytes())
    opts = json.loads((case / "options.json").read_text()) if (
        case / "options.json").exists() else {}
    out = tmp_path / "out"
    report = Report()
    with contextlib.suppress(af.AnnoformatError):
        af.save(ds, out, format="yolo", allow_loss=True, report=report, **opts)
    diags = [{k: v for k, v in {"code": d.code, "severity": d.severity.value,
                                 "item_id": d.location.item_id,
                                 "annotation_id": d.location.annotation_id,
                                 "message": d.message.replace(str(tmp_path), "{tmp}")}.items()
              if v is not None} for d in report]
    code = case.name.split("-", 1)[0]
    assert code in {d["code"] for d in diags}, diags
    for name, actual in (("expected.diagnostics.json", diags),
                         ("expected.files.json", _tree(out) if out.exists() else None)):
        golden = case / name
        text = orjson.dumps(actual, option=orjson.OPT_INDENT_2).decode() + "\n"
        if update_golden or not golden.exists():
            golden.write_text(text)
        assert text == golden.read_text(), f"{golden} differs (pytest --update-golden)"
    if report.has_errors:
        assert not out.exists()  # refused before anything was written


def test_writer_collisions_are_refused_before_writing(tmp_path: Path) -> None:
    ds = Dataset.model_validate_json(
        (WRITE / "AF215-write-collision" / "dataset.ir.json").read_bytes())
    report = Report()
    with pytest.raises(af.AnnoformatError):
        af.save(ds, tmp_path / "out", format="yolo", report=report)
    collisions = [d for d in report if d.code == "AF215"]
    assert [d.message for d in collisions] == [
        "items 1 (img.jpg) and 2 (IMG.png) map to the same label file labels/train/IMG.txt",
        "items 4 (café.jpg) and 5 (cafe\u0301.jpg) map to the same label file "
        f"labels/train/{unicodedata.normalize('NFD', 'café')}.txt",
    ]
    assert not (tmp_path / "out").exists()


def test_empty_items_get_empty_label_files_and_precision_option(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[
        Item(id="x", subset="train", media=Image(path="x.jpg", width=3, height=7),
             annotations=[BBox(label="a", id=1, x=0, y=0, w=1, h=1)]),
        Item(id="y", subset="train", media=Image(path="y.jpg", width=3, height=7))])
    af.save(ds, tmp_path / "p3", format="yolo", precision=3)
    files = _tree(tmp_path / "p3")
    assert files["labels/train/x.txt"] == "0 0.167 0.071 0.333 0.143\n"
    assert files["labels/train/y.txt"] == ""
    af.save(ds, tmp_path / "p6", format="yolo")
    assert _tree(tmp_path / "p6")["labels/train/x.txt"] == (
        "0 0.166667 0.071429 0.333333 0.142857\n")
    again = af.load(tmp_path / "p6")
    assert first_difference(ds, _without_yolo_extras(again)) is None


def test_writer_layout_options(tmp_path: Path) -> None:
    ds = af.load(GOOD / "ultralytics-detect" / "dataset")
    af.save(ds, tmp_path / "dk", format="yolo", layout="darknet")
    files = _tree(tmp_path / "dk")
    assert files["obj.data"] == ("classes = 2\ntrain = data/train.txt\nvalid = data/val.txt\n"
                                 "names = data/obj.names\nbackup = backup/\n")
    assert files["train.txt"] == ("data/obj_train_data/a.png\ndata/obj_train_data/b.png\n"
                                  "data/obj_train_data/empty.png\n")
    assert files["obj_train_data/a.txt"] == (
        "0 0.250000 0.500000 0.250000 0.500000\n1 0.500000 0.500000 1.000000 1.000000\n")
    back = af.load(tmp_path / "dk")
    assert [(i.id, i.subset) for i in back.items] == [(i.id, i.subset) for i in ds.items]
    af.save(ds, tmp_path / "bare", format="yolo", layout="bare")
    bare = _tree(tmp_path / "bare")
    assert bare["classes.txt"] == "cat\ndog\n" and "a.txt" in bare


def test_classify_read_and_write(tmp_path: Path) -> None:
    src = EXTRA / "classify"
    ds, report = _read(src)
    assert ds is not None and report.codes() == ["AF034"]
    assert ds.label_names() == ["cat", "dog"]
    assert [(i.id, i.subset, [a.label for a in i.annotations]) for i in ds.items] == [
        ("cat/c1", "train", ["cat"]), ("dog/d1", "train", ["dog"]), ("cat/c2", "val", ["cat"])]
    report = Report()
    with pytest.raises(af.AnnoformatError):
        af.save(ds, tmp_path / "no-root", format="yolo", report=report)
    assert report.codes()[-1] == "AF038"
    assert [i.media.path for i in ds.items] == [
        "train/cat/c1.png", "train/dog/d1.png", "val/cat/c2.png"]
    # every split in one step: media paths are relative to the dataset root
    result = af.convert(src, tmp_path / "out", to="yolo", options={"image_root": str(src)})
    assert result.written, result.report.codes()
    assert sorted(p.relative_to(tmp_path / "out").as_posix()
                  for p in (tmp_path / "out").rglob("*.png")) == [
        "train/cat/c1.png", "train/dog/d1.png", "val/cat/c2.png"]
    assert (tmp_path / "out/val/cat/c2.png").read_bytes() == (src / "val/cat/c2.png").read_bytes()
    back = af.load(tmp_path / "out")
    assert [(i.id, i.subset, i.media.path) for i in back.items] == [
        (i.id, i.subset, i.media.path) for i in ds.items]


# ------------------------------------------------------------------ round trips


def _without_yolo_extras(ds: Dataset) -> Dataset:
    return ds.model_copy(update={"extras": {}})


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol


def _same_within(a: Dataset, b: Dataset, decimals: int = 6) -> str | None:
    """Like first_difference, with coordinates equal within the printed precision."""
    if a.label_names() != b.label_names():
        return "labels"
    keys_a, keys_b = [(i.subset, i.id) for i in a.items], [(i.subset, i.id) for i in b.items]
    if keys_a != keys_b:
        return f"items {keys_a} != {keys_b}"
    for x, y in zip(a.items, b.items, strict=True):
        if x.media != y.media:
            return f"{x.id}: media {x.media} != {y.media}"
        w, h = x.media.width, x.media.height  # type: ignore[union-attr]
        assert w is not None and h is not None
        # printing error (<= 0.75e-6 x side for a box corner) plus snapping (<= 1e-6 x side)
        tol = 2 * 10.0 ** -decimals * max(w, h) + 1e-9
        if len(x.annotations) != len(y.annotations):
            return f"{x.id}: {len(x.annotations)} != {len(y.annotations)} annotations"
        for p, q in zip(x.annotations, y.annotations, strict=True):
            where = f"{x.id}/{p.id}"
            if (p.type, p.label, p.id, p.score) != (q.type, q.label, q.id, q.score):
                return f"{where}: {p} != {q}"
            if isinstance(p, BBox) and isinstance(q, BBox):
                pv, qv = [p.x, p.y, p.w, p.h], [q.x, q.y, q.w, q.h]
            elif isinstance(p, Polygon) and isinstance(q, Polygon):
                pv, qv = p.rings[0], q.rings[0]
            elif isinstance(p, RotatedBBox) and isinstance(q, RotatedBBox):
                pv = rotated_to_corners(p.x, p.y, p.w, p.h, p.rotation)
                qv = rotated_to_corners(q.x, q.y, q.w, q.h, q.rotation)
                tol *= 2  # corners are recomputed from the centre, size and angle
            elif isinstance(p, Keypoints) and isinstance(q, Keypoints):
                if p.visibility != q.visibility:
                    return f"{where}: visibility"
                pv, qv = p.points, q.points
            else:
                return f"{where}: types"
            if len(pv) != len(qv) or not all(_close(u, v, tol) for u, v in zip(pv, qv,
                                                                                  strict=True)):
                return f"{where}: {pv} != {qv} (tolerance {tol})"
    return None


@pytest.mark.parametrize("task", ["detect", "segment", "obb", "pose"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_ir_yolo_ir_is_lossless_within_printed_precision(task: str, data: st.DataObject,
                                                         tmp_path_factory: Any) -> None:
    ds = data.draw(yolo_datasets(task))
    out = tmp_path_factory.mktemp("rt") / "out"
    report = af.save(ds, out, format="yolo")
    assert [d.code for d in report if d.code not in ("AF034", "AF039")] == []
    back = af.load(out, allow_empty=True, scores=True)
    assert back.extras == ds.extras
    assert _same_within(ds, back) is None, _same_within(ds, back)


@pytest.mark.parametrize("task", ["detect", "segment", "obb", "pose"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_normalisation_is_an_exact_inverse_on_integer_pixels(task: str, data: st.DataObject,
                                                            tmp_path_factory: Any) -> None:
    """Whole-pixel geometry on images up to 100,000 px survives IR -> YOLO(6 dp) -> IR exactly."""
    ds = data.draw(yolo_datasets(task, integer_pixels=True))
    out = tmp_path_factory.mktemp("int") / "out"
    af.save(ds, out, format="yolo")
    back = af.load(out, allow_empty=True, scores=True)
    assert first_difference(ds, back) is None


# ------------------------------------------------------------------ COCO <-> YOLO


def test_coco_to_yolo_to_coco_keeps_every_box_and_names_the_loss(tmp_path: Path) -> None:
    mid = tmp_path / "yolo"
    result = af.convert(COCO_MINIMAL, mid, to="yolo", options={"task": "detect"})
    assert not result.written  # a mask, an attribute and a crowd flag would be lost
    # every fact of the plan, the writer's own (ids, areas, the polygon's box) included
    assert sorted((d.code, d.severity.value) for d in result.loss) == [
        ("AF503", "error"), ("AF506", "error")] + [
        ("AF507", "warning")] * 9 + [("AF516", "error"), ("AF517", "error")]
    result = af.convert(COCO_MINIMAL, mid, to="yolo", allow_loss=True,
                        options={"task": "detect"})
    assert result.written
    # by code, then by the fact's fields
    assert [(d.code, d.message) for d in result.report] == [
        ("AF503", "1 annotation/item attribute value(s) cannot be written as yolo "
                  "(names: color)"),
        ("AF506", "1 value(s) of field 'occluded' cannot be written as yolo"),
        ("AF507", "annotation extras (coco) cannot be written as yolo: 1 object(s)"),
        ("AF507", "annotation ids cannot be written as yolo: 3 annotation(s); YOLO rows are "
                  "numbered by position"),
        ("AF507", "dataset extras (coco) cannot be written as yolo: 1 object(s)"),
        ("AF507", "info cannot be written as yolo: description, version, year"),
        ("AF507", "item extras (coco) cannot be written as yolo: 2 object(s)"),
        ("AF507", "item ids cannot be written as yolo: 3 item(s); YOLO names items by image "
                  "path"),
        ("AF507", "label ids cannot be written as yolo: cat, dog"),
        # 100 x 50.25 != 5026.25, and the polygon written as its box; the whole-image box's
        # area is w x h
        ("AF507", "stored areas cannot be written as yolo: 2 annotation(s) whose area differs "
                  "from the one their written geometry gives; YOLO rows hold geometry only"),
        ("AF507", "supercategories cannot be written as yolo: cat, dog"),
        ("AF516", "1 polygon annotation(s) written as its enclosing box for task detect: "
                  "['1/11']"),
        ("AF517", "1 crowd mask annotation(s) cannot be written in task detect and were left "
                  "out: ['2/12']"),
        # no subsets: train and val name the same images, and say so
        ("AF039", "the dataset has no train or no validation subset: data.yaml says train: "
                  "images and val: images"),
        ("AF034", "YOLO ultralytics layout, task detect (written: chosen by the task option)"),
        # the fixture has no images: the output is labels only, and says so
        ("AF061", f"the yolo output holds labels only (no image was found under "
                  f"{COCO_MINIMAL.parent}): its 3 image(s) are not in it, so it cannot be "
                  "trained on as it is"),
    ]
    files = _tree(mid)
    assert files["labels/cat.txt"] == ("0 0.094531 0.094010 0.156250 0.104688\n"
                                       "1 0.343750 0.239583 0.062500 0.062500\n")
    assert files["labels/dog.txt"] == "0 0.500000 0.500000 1.000000 1.000000\n"
    assert files["labels/empty.txt"] == ""
    back = tmp_path / "back.json"
    assert af.convert(mid, back, to="coco").written
    doc = json.loads(back.read_text())
    boxes = {(img["file_name"], tuple(round(v, 3) for v in a["bbox"]))
             for img in doc["images"] for a in doc["annotations"] if a["image_id"] == img["id"]}
    assert boxes == {("cat.jpg", (10.5, 20.0, 100.0, 50.25)), ("cat.jpg", (200.0, 100.0, 40.0,
                                                                           30.0)),
                     ("dog.jpg", (0.0, 0.0, 320.0, 240.0))}
    assert [(i["file_name"], i["width"], i["height"]) for i in doc["images"]] == [
        ("cat.jpg", 640, 480), ("dog.jpg", 320, 240), ("empty.jpg", 100, 100)]
    assert [c["name"] for c in doc["categories"]] == ["cat", "dog"]


def test_coco_to_yolo_auto_task_is_segment_and_says_so(tmp_path: Path) -> None:
    result = af.convert(COCO_MINIMAL, tmp_path / "y", to="yolo", allow_loss=True)
    assert result.written
    chosen = [d.message for d in result.report if d.code == "AF034"]
    assert chosen == ["YOLO ultralytics layout, task segment (written: the dataset holds "
                      "polygons or masks)"]
    approx = sorted(d.message for d in result.report if d.code == "AF516")
    assert approx == [
        "1 polygon with several rings annotation(s) written as one polygon joining its parts "
        "for task segment: ['1/11']",
        "2 bbox annotation(s) written as 4-point polygon for task segment: ['1/10', '2/13']"]
    rows = _tree(tmp_path / "y")["labels/cat.txt"].splitlines()
    # the box, then the two rings joined into one polygon row (3 + 4 points + 2 joins)
    assert len(rows) == 2 and rows[1].split()[0] == "1" and len(rows[1].split()) == 19


# ------------------------------------------------------------------ a real consumer


def _ultralytics_check(yaml_path: Path) -> dict[str, int]:
    """The data.yaml and label-row rules Ultralytics documents (docs.ultralytics.com/datasets/
    detect, segment, obb, pose) and enforces in check_det_dataset / verify_image_label:
    train and val keys; names a list or a mapping 0..nc-1 with nc equal to its length; paths
    relative to ``path`` (default: the YAML's folder); each image's label is the image path with
    the last /images/ replaced by /labels/ and the suffix by .txt; rows are whitespace-separated
    numbers, the class an integer below nc, every coordinate in [0, 1]; a detect row has 5
    values, a segment row 1 + 2n (n >= 3), an obb row 9, a pose row 5 + K*ndim from kpt_shape.
    Returns counts of images, rows and empty label files it accepted; raises on a violation."""
    data = yaml.safe_load(yaml_path.read_text())
    assert "train" in data and "val" in data, "train and val are required"
    names = data["names"]
    names = dict(enumerate(names)) if isinstance(names, list) else names
    assert sorted(names) == list(range(len(names)))
    nc = data.get("nc", len(names))
    assert nc == len(names)
    root = Path(data.get("path") or yaml_path.parent)
    sizes = json.loads((yaml_path.parent / "annoformat_sizes.json").read_text())["sizes"]
    counts = {"images": 0, "rows": 0, "empty": 0}
    task = "pose" if "kpt_shape" in data else data.get("task", "segment")
    seen: set[str] = set()
    for key in ("train", "val", "test"):
        if key not in data:
            continue
        for split in data[key] if isinstance(data[key], list) else [data[key]]:
            if split in seen:  # val may be the train folder: the same images, counted once
                continue
            seen.add(split)
            folder = root / split
            assert folder.is_dir(), f"{key}: {folder} missing"
            prefix = split.rstrip("/") + "/"
            for image_rel in (k for k in sizes if k.startswith(prefix)):
                counts["images"] += 1
                label = root / re.sub(r"(^|/)images/(?!.*/images/)", r"\1labels/",
                                      image_rel).rsplit(".", 1)[0]
                lines = [ln.split() for ln in Path(f"{label}.txt").read_text().splitlines()
                         if ln.strip()]
                counts["empty"] += not lines
                for row in lines:
                    counts["rows"] += 1
                    values = [float(v) for v in row]
                    assert values[0] == int(values[0]) and 0 <= values[0] < nc
                    n = len(values)
                    if task == "pose":
                        k, ndim = data["kpt_shape"]
                        assert n == 5 + k * ndim
                        coords = values[1:5] + [v for i, v in enumerate(values[5:])
                                                if ndim == 2 or i % 3 != 2]
                    elif task == "obb":
                        assert n == 9
                        coords = values[1:]
                    else:
                        assert n == 5 or (n % 2 == 1 and n >= 7)
                        coords = values[1:]
                    assert all(0 <= v <= 1 for v in coords), row
    return counts


def test_written_datasets_pass_the_ultralytics_rules(tmp_path: Path) -> None:
    out = tmp_path / "coco-detect"
    assert af.convert(COCO_MINIMAL, out, to="yolo", allow_loss=True,
                      options={"task": "detect"}).written
    assert _ultralytics_check(out / "data.yaml") == {"images": 3, "rows": 3, "empty": 1}
    out = tmp_path / "coco-seg"
    assert af.convert(COCO_MINIMAL, out, to="yolo", allow_loss=True).written
    assert _ultralytics_check(out / "data.yaml") == {"images": 3, "rows": 3, "empty": 1}
    for name, expected in [("ultralytics-pose", {"images": 1, "rows": 2, "empty": 0}),
                           ("ultralytics-obb", {"images": 1, "rows": 2, "empty": 0}),
                           ("roboflow", {"images": 2, "rows": 1, "empty": 1})]:
        out = tmp_path / name
        af.save(af.load(GOOD / name / "dataset"), out, format="yolo")
        assert _ultralytics_check(out / "data.yaml") == expected, name


def test_consumer_check_catches_what_it_should(tmp_path: Path) -> None:
    out = tmp_path / "o"
    af.save(af.load(GOOD / "ultralytics-detect" / "dataset"), out, format="yolo")
    (out / "labels/train/a.txt").write_text("2 0.5 0.5 0.1 0.1\n")
    with pytest.raises(AssertionError):
        _ultralytics_check(out / "data.yaml")


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(src, dst)
    return dst


def test_folders_are_kept_so_same_names_in_two_folders_do_not_collide(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[
        Item(id=f"{d}/img", subset="train", media=Image(path=f"{d}/img.jpg", width=4, height=4),
             annotations=[BBox(label="a", id=1, x=0, y=0, w=2, h=2)]) for d in ("a", "b")])
    af.save(ds, tmp_path / "u", format="yolo")
    assert sorted(p for p in _tree(tmp_path / "u") if p.startswith("labels")) == [
        "labels/train/a/img.txt", "labels/train/b/img.txt"]
    assert first_difference(ds, _without_yolo_extras(af.load(tmp_path / "u"))) is None
    # classification folders hold file names only: there the two images would collide
    tagged = Dataset(labels=[Label(name="a")], items=[
        Item(id=f"{d}/img", subset="train", media=Image(path=f"{d}/img.jpg"),
             annotations=[af.Tag(label="a")]) for d in ("a", "b")])
    report = Report()
    with pytest.raises(af.AnnoformatError):
        af.save(tagged, tmp_path / "c", format="yolo", image_root=str(tmp_path), report=report)
    assert [d.message for d in report if d.code == "AF215"] == [
        "items a/img and b/img map to the same label file train/a/img.jpg"]


def test_bare_layout_never_overwrites_classes_txt(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[
        Item(id="classes", media=Image(path="classes.png", width=4, height=4))])
    report = Report()
    with pytest.raises(af.AnnoformatError):
        af.save(ds, tmp_path / "b", format="yolo", layout="bare", report=report)
    assert [d.message for d in report if d.code == "AF215"] == [
        "items (the class names) (classes.txt) and classes (classes.png) map to the same label "
        "file classes.txt"]


def test_missing_test_split_warns_missing_val_split_fails(tmp_path: Path) -> None:
    root = _copy(GOOD / "ultralytics-detect" / "dataset", tmp_path)
    text = (root / "data.yaml").read_text()
    (root / "data.yaml").write_text(text + "test: images/test-dev\n")
    ds, report = _read(root)
    assert ds is not None and not report.has_errors
    assert [(d.code, d.severity.value, d.location.pointer) for d in report if d.code == "AF001"
            ] == [("AF001", "warning", "/test")]
    (root / "data.yaml").write_text(text.replace("images/val", "images/nope"))
    _, report = _read(root)
    assert [(d.code, d.location.pointer) for d in report.errors] == [("AF001", "/val")]


def test_darknet_items_without_subset_are_reported(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[
        Item(id="x", media=Image(path="x.jpg", width=4, height=4))])
    report = af.save(ds, tmp_path / "d", format="yolo", layout="darknet")
    assert [d.message for d in report if d.code == "AF507"] == [
        "'no subset' cannot be written as yolo (darknet): 1 item(s) without a subset are "
        "written to subset 'train'"]
    assert [(i.id, i.subset) for i in af.load(tmp_path / "d").items] == [("x", "train")]


def test_coco_keypoints_need_task_pose_and_then_keep_boxes_and_points(tmp_path: Path) -> None:
    src = FIXTURES / "coco" / "good" / "keypoints" / "person_keypoints.json"
    result = af.convert(src, tmp_path / "auto", to="yolo")
    assert not result.written
    assert [d.message for d in result.report.errors] == [
        "the dataset holds keypoints, polygon; no single YOLO task holds them all"]
    result = af.convert(src, tmp_path / "pose", to="yolo", allow_loss=True,
                        options={"task": "pose"})
    assert result.written
    assert [d.message for d in result.report if d.code == "AF517"] == [
        "1 polygon annotation(s) cannot be written in task pose and were left out: ['7/1']"]
    files = _tree(tmp_path / "pose")
    assert files["labels/people.txt"] == (
        "0 0.175000 0.500000 0.250000 0.800000 0.100000 0.150000 2 0.150000 0.150000 1 "
        "0.000000 0.000000 0\n"
        "0 0.575000 0.500000 0.150000 0.600000 0.550000 0.250000 2 0.600000 0.250000 2 "
        "0.575000 0.700000 2\n")
    assert yaml.safe_load(files["data.yaml"])["kpt_shape"] == [3, 3]
    back = af.load(tmp_path / "pose")
    box, kp = back.items[0].annotations[:2]
    assert isinstance(box, BBox) and (box.x, box.y, box.w, box.h) == (10, 10, 50, 80)
    assert isinstance(kp, Keypoints) and kp.points == [20, 15, 30, 15, 0, 0]
    assert kp.visibility == [2, 1, 0] and box.id == kp.id == 1


def test_label_file_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from annoformat.formats.yolo import _labels as labels_module

    monkeypatch.setattr(labels_module, "MAX_LABEL_BYTES", 30)
    root = _copy(GOOD / "ultralytics-detect" / "dataset", tmp_path)
    _, report = _read(root)
    assert [(d.code, Path(d.location.path or "").name) for d in report.errors] == [
        ("AF901", "a.txt")]  # 56 bytes; b.txt (19) and c.txt (23) are under the cap


def test_darknet_without_obj_data_reads_its_subset_folders(tmp_path: Path) -> None:
    """CVAT's YOLO 1.1 export trimmed to obj.names + obj_<subset>_data/; a README.txt beside
    it is not an image list."""
    full = GOOD / "datumaro-darknet" / "dataset"
    trimmed = tmp_path / "dk"
    shutil.copytree(full, trimmed)
    for name in ("obj.data", "train.txt", "val.txt"):
        (trimmed / name).unlink()
    (trimmed / "README.txt").write_text("Exported from CVAT\n")
    ds = af.load(trimmed)
    assert [(i.subset, i.id) for i in ds.items] == [
        ("train", "street_1"), ("val", "street_2"), ("val", "street_3")]
    assert first_difference(af.load(full), ds) is None


def test_data_yaml_splits_may_list_image_files(tmp_path: Path) -> None:
    """train: [images/train/a.png, ...] is a split as well as a folder or a list file."""
    full = GOOD / "ultralytics-detect" / "dataset"
    listed = tmp_path / "listed"
    shutil.copytree(full, listed)
    (listed / "data.yaml").write_text(
        "train: [images/train/a.png, images/train/b.png, images/train/empty.png]\n"
        "val: [images/val/c.png]\nnames: {0: cat, 1: dog}\n")
    ds = af.load(listed)
    assert [(i.subset, i.id, len(i.annotations)) for i in ds.items] == [
        (i.subset, i.id, len(i.annotations)) for i in af.load(full).items]
    assert {i.subset for i in ds.items} == {"train", "val"}


def _rows(text: str, task: str = "auto", kpt_shape: tuple[int, int] | None = None,
          ) -> tuple[list[Any], list[tuple[str, int, int | None]]]:
    report = Report()
    ctx = RowContext(["a", "b"], task, kpt_shape, None, True, report)
    anns = parse_rows(text, "a.txt", 200, 100, "a", ctx)
    assert anns is not None
    return anns, [(d.code, d.location.line, d.location.column) for d in report]


def test_values_within_ultralytics_tolerance_are_read_cut_at_the_border() -> None:
    # Ultralytics' verify_image_label (8.4) accepts [-0.01, 1.01] and clips when it trains
    anns, found = _rows("0 1.005 0.5 0.2 0.2\n1 -0.005 0.1 0.5 0.1 0.5 0.5\n"
                        "0 0.5 0.5 0.2 0.2")
    box, poly, plain = anns
    assert isinstance(box, BBox)
    assert (box.x, box.y, box.w, box.h) == pytest.approx((181.0, 40.0, 19.0, 20.0))
    assert isinstance(poly, Polygon) and poly.rings == [[0.0, 10.0, 100.0, 10.0, 100.0, 50.0]]
    assert isinstance(plain, BBox) and (plain.x, plain.w) == (80.0, 40.0)
    assert found == [("AF336", 1, 3), ("AF336", 2, 3)]


def test_values_past_ultralytics_tolerance_refuse_the_row() -> None:
    anns, found = _rows("0 1.0101 0.5 0.2 0.2\n1 0.1 -0.02 0.5 0.1 0.5 0.5")
    assert anns == []
    assert found == [("AF330", 1, 3), ("AF330", 2, 7)]


def test_pose_keypoints_within_tolerance_are_clamped() -> None:
    anns, found = _rows("0 0.5 0.5 0.2 0.2 1.004 0.5 2", task="pose", kpt_shape=(1, 3))
    _, kp = anns
    assert isinstance(kp, Keypoints) and kp.points == [200.0, 50.0] and kp.visibility == [2]
    assert found == [("AF336", 1, 19)]


def test_stored_area_and_box_are_lost_only_when_recomputing_differs(tmp_path: Path) -> None:
    def polygon(area: float, bbox: tuple[float, float, float, float]) -> Polygon:
        return Polygon(label="a", rings=[[0, 0, 40, 0, 40, 30]], area=area, bbox=bbox)

    def lost(ann: Polygon) -> list[str]:
        ds = Dataset(labels=[Label(name="a")], items=[Item(
            id="1", subset="train", media=Image(path="1.jpg", width=100, height=100),
            annotations=[ann])])
        report = af.save(ds, tmp_path / "out", format="yolo", overwrite=True)
        return sorted(d.ctx["what"] for d in report if d.code == "AF507"
                      and d.ctx["what"].startswith("stored"))

    assert lost(polygon(600.0, (0, 0, 40, 30))) == []
    assert lost(polygon(598.0, (0, 0, 40, 30))) == ["stored areas"]
    assert lost(polygon(600.0, (0, 0, 41, 30))) == ["stored enclosing boxes of polygons"]


def test_scores_reach_training_labels_only_when_asked(tmp_path: Path) -> None:
    src = tmp_path / "predictions.jsonl"  # model output on an image, kept in native jsonl
    af.save(Dataset(labels=[Label(name="a")], items=[Item(
        id="1", subset="train", media=Image(path="1.jpg", width=100, height=100),
        annotations=[BBox(label="a", x=10, y=10, w=20, h=20, score=0.9),
                     BBox(label="a", x=50, y=50, w=10, h=10, score=0.4)])]), src,
        format="jsonl")
    refused = af.convert(src, tmp_path / "a", to="yolo", options={"task": "detect"})
    assert not refused.written
    assert [d.code for d in refused.report if d.code == "AF505"] == ["AF505"]
    plain = af.convert(src, tmp_path / "b", to="yolo", allow_loss=True,
                       options={"task": "detect"})
    assert plain.written
    rows = [r for p in sorted((tmp_path / "b" / "labels").rglob("*.txt"))
            for r in p.read_text().splitlines()]
    assert rows and all(len(r.split()) == 5 for r in rows)
    scored = af.convert(src, tmp_path / "c", to="yolo", options={"task": "detect",
                                                                  "scores": True})
    assert scored.written and not [d for d in scored.report if d.code == "AF505"]
    rows = [r for p in sorted((tmp_path / "c" / "labels").rglob("*.txt"))
            for r in p.read_text().splitlines()]
    assert rows and all(len(r.split()) == 6 for r in rows)


def test_detect_writes_an_object_once_when_it_has_a_shape_and_keypoints(tmp_path: Path) -> None:
    # COCO person 1 has a segmentation and keypoints (one object, two IR annotations);
    # person 2 has keypoints only, written as its box
    src = FIXTURES / "coco" / "good" / "keypoints" / "person_keypoints.json"
    result = af.convert(src, tmp_path / "out", to="yolo", allow_loss=True, media="none",
                        options={"task": "detect"})
    assert result.written
    assert (tmp_path / "out" / "labels" / "people.txt").read_text() == (
        "0 0.175000 0.500000 0.250000 0.800000\n0 0.575000 0.500000 0.150000 0.600000\n")
    assert [(d.code, d.ctx["count"], d.ctx["ids"]) for d in result.report
            if d.code == "AF517"] == [("AF517", 1, ['7/1'])]


def test_masks_become_their_outline_in_segment(tmp_path: Path) -> None:
    import numpy as np

    from annoformat import masks

    solid = np.zeros((20, 40), dtype=np.uint8)
    solid[2:7, 4:14] = 1  # 10 x 5 pixels at (4, 2)
    holed = np.zeros((20, 40), dtype=np.uint8)
    holed[10:18, 20:30] = 1
    holed[12:14, 22:24] = 0  # a hole
    crowd = np.zeros((20, 40), dtype=np.uint8)
    crowd[0:2, 0:2] = 1

    def mask(arr: Any, crowd: bool = False) -> af.Mask:
        return af.Mask(label="a", counts=masks.encode(arr), height=20, width=40, crowd=crowd)

    ds = Dataset(labels=[Label(name="a")], items=[Item(
        id="m", subset="train", media=Image(path="m.jpg", width=40, height=20),
        annotations=[mask(solid), mask(holed), mask(crowd, crowd=True)])])
    refused = Report()
    with pytest.raises(af.AnnoformatError):
        af.save(ds, tmp_path / "a", format="yolo", report=refused)
    assert sorted((d.code, d.message) for d in refused if d.code in ("AF516", "AF517")) == [
        ("AF516", "1 mask annotation(s) written as its outline for task segment: ['m/#0']"),
        ("AF516", "1 mask with holes or several parts annotation(s) written as the outline of "
                  "its largest part for task segment: ['m/#1']"),
        ("AF517", "1 crowd mask annotation(s) cannot be written in task segment and were left "
                  "out: ['m/#2']")]
    af.save(ds, tmp_path / "b", format="yolo", allow_loss=True)
    rows = (tmp_path / "b" / "labels" / "train" / "m.txt").read_text().splitlines()
    # pixel edges, exact: x / 40, y / 20
    assert rows == ["0 0.100000 0.100000 0.350000 0.100000 0.350000 0.350000 0.100000 0.350000",
                    "0 0.500000 0.500000 0.750000 0.500000 0.750000 0.900000 0.500000 0.900000"]


def test_val_names_the_validation_subset(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[
        Item(id=name, subset=subset, media=Image(path=f"{name}.jpg", width=4, height=4),
             annotations=[BBox(label="a", x=0, y=0, w=2, h=2)])
        for name, subset in (("p", "train"), ("q", "holdout"))])
    report = af.save(ds, tmp_path / "a", format="yolo", val="holdout")
    assert (tmp_path / "a" / "data.yaml").read_text().startswith(
        "train: images/train\nval: images/holdout\n")
    assert not [d for d in report if d.code == "AF039"]
    borrowed = af.save(ds, tmp_path / "b", format="yolo")
    # without it, holdout is trained on and val borrows the training images: said, not silent
    assert [d.code for d in borrowed if d.code == "AF039"] == ["AF039"]
    with pytest.raises(af.AnnoformatError) as refused:
        af.save(ds, tmp_path / "c", format="yolo", val="nope")
    assert [d.code for d in refused.value.report if d.code == "AF044"] == ["AF044"]


def test_labels_without_images_are_checked_not_refused(tmp_path: Path) -> None:
    root = _copy(GOOD / "ultralytics-labels-only" / "dataset", tmp_path)
    report = af.validate(root)
    assert [(d.code, d.severity.value) for d in report] == [
        ("AF048", "info"), ("AF034", "info")]
    (root / "labels" / "train" / "b.txt").write_text("7 0.5 0.5 0.1 0.1\n0 1.5 0.5 0.1 0.1\n")
    report = af.validate(root / "labels" / "train" / "b.txt")
    assert [(d.code, d.location.line) for d in report.errors] == [("AF216", 1), ("AF330", 2)]


def test_pixel_values_carry_no_float_noise() -> None:
    # 0.904 x 200 is 180.8, not 180.79999999999998: a value times whole pixels has no more
    # decimals than the value, and is rounded to them
    anns, found = _rows("0 0.904 0.333333 0.1234 0.2\n1 0.123456 0.5 0.5 0.5 0.25 0.75")
    box, poly = anns
    assert found == []
    assert (repr(box.x), repr(box.y), repr(box.w), repr(box.h)) == (
        "168.46", "23.3333", "24.68", "20.0")
    assert [repr(v) for v in poly.rings[0]] == ["24.6912", "50.0", "100.0", "50.0", "50.0", "75.0"]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 10**6), st.integers(1, 8000))
def test_rounding_to_the_written_decimals_is_exact(a: int, b: int, side: int) -> None:
    from fractions import Fraction

    from annoformat.formats.yolo._rows import _exact

    v = a / 10**6  # a 6-decimal token
    assert _exact(v * side, 6) == float(Fraction(a, 10**6) * side)
