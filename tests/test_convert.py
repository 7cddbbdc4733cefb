"""The pipeline: loss policy, atomic writes, refusals, and the Python API around them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import annoformat as af
from annoformat.formats import coco
from annoformat.registry import get_format

from conftest import FIXTURES

MINIMAL = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"


def test_refused_conversion_writes_nothing(tmp_path: Path) -> None:
    dst = tmp_path / "out.boxes.csv"
    result = af.convert(MINIMAL, dst, to="boxes")
    assert not result.written and not dst.exists()
    assert sorted({d.code for d in result.loss}) == ["AF501", "AF503", "AF506", "AF507", "AF509"]
    assert list(tmp_path.iterdir()) == []


def test_allow_loss_writes_and_keeps_the_report(tmp_path: Path) -> None:
    dst = tmp_path / "out.boxes.csv"
    result = af.convert(MINIMAL, dst, to="boxes", allow_loss=True)
    assert result.written
    assert all(d.severity is af.Severity.WARNING for d in result.loss)
    assert dst.read_text().splitlines() == [
        "#labels: cat,dog",
        "cat.jpg,640,480,cat,10.5,20,100,50.25",
        "dog.jpg,320,240,cat,0,0,320,240",
    ]


def test_strict_refuses_metadata_loss(tmp_path: Path) -> None:
    src = FIXTURES / "cli" / "data" / "boxes-only.json"
    assert af.convert(src, tmp_path / "a.boxes.csv", to="boxes").written
    strict = af.convert(src, tmp_path / "b.boxes.csv", to="boxes", strict=True)
    assert not strict.written
    assert [(d.code, d.severity.value) for d in strict.loss] == [
        ("AF507", "error"), ("AF507", "error")]


def test_writer_crash_leaves_no_partial_destination(tmp_path: Path) -> None:
    def crashing_write(ds: af.Dataset, dest: Path, options: Any, report: af.Report) -> None:
        dest.write_text('{"images": [')  # half a file, then the writer dies
        raise OSError(28, "No space left on device")

    fmt = get_format("coco")
    object.__setattr__(fmt, "write", crashing_write)  # FormatSpec is frozen
    try:
        result = af.convert(MINIMAL, tmp_path / "out.json", to="coco")
    finally:
        object.__setattr__(fmt, "write", coco.write)
    assert not result.written and result.report.codes() == ["AF015"]
    assert list(tmp_path.iterdir()) == []


def test_existing_destination_is_kept_without_overwrite(tmp_path: Path) -> None:
    dst = tmp_path / "out.json"
    dst.write_text("precious")
    result = af.convert(MINIMAL, dst, to="coco")
    assert not result.written and result.report.codes() == ["AF013"]
    assert dst.read_text() == "precious"
    assert af.convert(MINIMAL, dst, to="coco", overwrite=True).written
    assert json.loads(dst.read_text())["images"][0]["file_name"] == "cat.jpg"


def test_bad_input_is_refused_before_writing(tmp_path: Path) -> None:
    src = FIXTURES / "coco" / "bad" / "AF201-unknown-image" / "annotations.json"
    result = af.convert(src, tmp_path / "o.json", to="coco")
    assert not result.written and result.report.codes() == ["AF201"]
    assert result.report.diagnostics[0].location.line == 26


def test_save_checks_the_ir_first(tmp_path: Path) -> None:
    ds = af.Dataset(labels=[af.Label(name="cat")], items=[
        af.Item(id="1", media=af.Image(path="a.jpg", width=10, height=10),
                annotations=[af.BBox(id=1, label="dgo", x=1, y=1, w=2, h=2)])])
    with pytest.raises(af.AnnoformatError) as exc:
        af.save(ds, tmp_path / "o.json", format="coco")
    diag = exc.value.report.diagnostics[0]
    assert (diag.code, diag.location.pointer, diag.location.item_id) == (
        "AF208", "/items/0/annotations/0/label", "1")
    assert not (tmp_path / "o.json").exists()


def test_save_refuses_a_mask_whose_rle_does_not_fit_before_planning(tmp_path: Path) -> None:
    # the YOLO plan outlines masks: an RLE that does not decode crashed it (a traceback)
    ds = af.Dataset(labels=[af.Label(name="A")], items=[af.Item(
        id="0", media=af.Image(path="a.jpg", width=4, height=4),
        annotations=[af.Mask(label="A", counts="PP", height=4, width=4)])])
    with pytest.raises(af.AnnoformatError) as exc:
        af.save(ds, tmp_path / "o", "yolo", task="segment", allow_loss=True)
    diag = exc.value.report.diagnostics[0]
    assert (diag.code, diag.location.pointer) == ("AF307", "/items/0/annotations/0/counts")
    assert list(tmp_path.iterdir()) == []


def test_load_raises_with_the_full_report() -> None:
    with pytest.raises(af.AnnoformatError) as exc:
        af.load(FIXTURES / "coco" / "bad" / "AF302-non-positive-size" / "annotations.json")
    assert exc.value.report.codes() == ["AF302", "AF302"]
    assert str(exc.value).startswith("AF302 box has non-positive size 0x5")


def test_text_items_are_refused_by_an_image_format(tmp_path: Path) -> None:
    ds = af.Dataset(labels=[af.Label(name="pos")], items=[
        af.Item(id="t1", media=af.Text(text="good film"), annotations=[af.Tag(label="pos")])])
    with pytest.raises(af.AnnoformatError) as exc:
        af.save(ds, tmp_path / "o.json", format="coco")
    assert exc.value.report.codes() == ["AF509"]
    assert exc.value.report.diagnostics[0].ctx["ids"] == ["t1"]


def test_strict_models_refuse_coercion() -> None:
    with pytest.raises(ValueError):
        af.BBox(x="1", y=0, w=1, h=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        af.BBox(x=True, y=0, w=1, h=1)
    with pytest.raises(ValueError):
        af.BBox(x=float("nan"), y=0, w=1, h=1)
    with pytest.raises(ValueError):
        af.Item(id="1", media=af.Image(path="a"), unknown=1)  # type: ignore[call-arg]


def test_label_map_merges_renames_and_fixes_ids(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    result = af.convert(MINIMAL, out, to="coco",
                        label_map=FIXTURES / "cli" / "data" / "pets.labelmap.yaml")
    assert result.written and result.summary["annotations_by_label"] == {"pet": 4}
    doc = json.loads(out.read_text())
    assert doc["categories"] == [{"id": 7, "name": "pet", "supercategory": "animal"}]
    assert {a["category_id"] for a in doc["annotations"]} == {7}


def test_label_map_drop_is_reported_not_silent(tmp_path: Path) -> None:
    result = af.convert(MINIMAL, tmp_path / "o.json", to="coco",
                        label_map=FIXTURES / "cli" / "data" / "drop-dog.labelmap.yaml")
    assert result.written
    assert [(d.code, d.ctx) for d in result.report] == [("AF603", {"label": "dog", "count": 2})]
