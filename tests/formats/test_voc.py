"""Pascal VOC specifics beyond the conformance suite: exact values, the coordinate convention,
writer refusals and loss reports, lossless round trips, COCO <-> VOC."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat import masks
from annoformat._xml import parse_xml
from annoformat.convert import plan_loss
from annoformat.diagnostics import Report
from annoformat.formats import voc
from annoformat.formats.voc._read import _Reader
from annoformat.formats.voc._write import _Writer
from annoformat.model import BBox, Dataset, Image, Item, Label, Mask, Polygon
from annoformat.parallel import use_jobs
from annoformat.testing import first_difference
from annoformat.testing.strategies_voc import voc_datasets

FIX = Path(__file__).resolve().parents[2] / "fixtures"
DATASET = FIX / "voc" / "good" / "dataset" / "VOC2007"
SINGLE = FIX / "voc" / "good" / "single-file" / "2008_000123.xml"
COCO_MINIMAL = FIX / "coco" / "good" / "minimal" / "annotations.json"
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.fixture(autouse=True, params=[1, 2], ids=["jobs1", "jobs2"])
def jobs(request: pytest.FixtureRequest) -> Any:
    """Every test here with one job and with a pool of two (even for one file)."""
    with use_jobs(request.param, min_items=1):
        yield request.param


def _box(ann: Any) -> tuple[float, float, float, float]:
    return (ann.x, ann.y, ann.w, ann.h)


def _codes(report: Report, prefix: str = "AF") -> list[tuple[str, Any]]:
    """(code, count) of every diagnostic whose code starts with ``prefix``, sorted."""
    return sorted((d.code, d.ctx.get("count")) for d in report if d.code.startswith(prefix))


def _item(item_id: str, path: str, anns: list[Any] | None = None, subset: str | None = None,
          width: int | None = 50, height: int | None = 40) -> Item:
    return Item(id=item_id, subset=subset, media=Image(path=path, width=width, height=height),
                annotations=anns or [])


def _planned(ds: Dataset, allow_loss: bool = True,
             **options: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """The loss findings convert makes of VOC's plan: (code, severity, ctx; format only when it
    is not plain ``voc``)."""
    report = Report()
    plan_loss(ds, voc.FORMAT, report, voc.Options(**options), allow_loss=allow_loss)
    for d in report:
        if d.ctx["format"] == "voc":
            del d.ctx["format"]
    return [(d.code, d.severity.value, d.ctx) for d in report]


def _write(ds: Dataset, dest: Path, **options: Any) -> Report:
    report = Report()
    voc.write(ds, dest, voc.Options(**options), report)
    return report


# ------------------------------------------------------------------------------- reading


def test_dataset_layout_exact_values() -> None:
    ds = af.load(DATASET)
    assert [(i.id, i.subset) for i in ds.items] == [
        ("000005", "train"), ("000012", "train"), ("000007", "val"), ("000009", "val")]
    assert [i.extras["voc"]["imagesets"] for i in ds.items] == [["trainval"]] * 4
    assert ds.label_names() == ["chair", "car"]
    first, second = ds.items[0].annotations
    # devkit convention: x = xmin - 1, w = xmax - xmin + 1
    assert _box(first) == (262, 210, 62, 129) and first.attributes == {"pose": "Rear"}
    assert _box(second) == (4, 243, 63, 131)
    assert second.attributes == {"truncated": True, "difficult": True}
    car = ds.items[2].annotations[0]
    assert _box(car) == (0, 0, 500, 333)  # <xmin>1</xmin>..<xmax>500</xmax> fills the image
    bare = ds.items[3]  # listed in val.txt without an XML: sized from JPEGImages/000009.jpg
    assert bare.annotations == [] and bare.media == Image(path="000009.jpg", width=353,
                                                          height=500)
    extras = ds.items[0].extras["voc"]
    assert extras["source"]["flickrid"] == "325991873" and "depth" not in extras  # 3: the default
    assert extras["xml"][0].startswith("<owner>")
    assert ds.extras == {"voc": {"class_imagesets": ["train"]}}


def test_dataset_layout_diagnostics_have_file_and_line() -> None:
    report = af.validate(DATASET)
    rows = [(d.code, Path(d.location.path or "").name, d.location.line) for d in report]
    assert rows == [("AF026", "Main", None), ("AF329", "VOC2007", None),
                    ("AF023", "val.txt", 2)]
    assert not report.has_errors


def test_single_file_parts_actions_attributes_floats() -> None:
    ds = af.load(SINGLE)
    (item,) = ds.items
    assert item.id == "2008_000123" and item.extras["voc"]["xml_attributes"] == {
        "verified": "yes"}
    person, head, hand, dog = item.annotations
    assert (person.label, _box(person), person.group) == ("person", (9.25, 19, 101.5, 181.5), 1)
    assert person.occluded is True
    assert person.attributes == {"actions": {"jumping": False, "phoning": True}}
    assert person.extras == {"voc": {"xml": ["<point><x>55</x><y>40</y></point>"]}}
    assert [(p.label, _box(p), p.group, p.extras) for p in (head, hand)] == [
        ("head", (39, 20, 31, 40), 1, {"voc": {"part": True}}),
        ("hand", (11, 99, 19, 21), 1, {"voc": {"part": True}})]
    assert dog.group is None and dog.occluded is False
    assert dog.attributes == {"pose": "Left", "difficult": True, "color": "brown", "age": 3,
                              "good boy": True, "weight": 12.5}


def test_zero_based_origin_option() -> None:
    path = FIX / "voc" / "good" / "zero-based" / "img.xml"
    one = af.load(path).items[0].annotations
    zero = af.load(path, origin="zero-based").items[0].annotations
    assert [_box(a) for a in zero] == [(0, 0, 64, 48), (10.5, 4, 10, 4)]
    assert [_box(a) for a in one] == [(-1, -1, 65, 49), (9.5, 3, 11, 5)]


def test_labels_option_fixes_order_and_refuses_unknown(tmp_path: Path) -> None:
    xml = tmp_path / "a.xml"
    xml.write_text("<annotation><filename>a.jpg</filename><size><width>9</width>"
                   "<height>9</height></size><object><name>dog</name><bndbox><xmin>1</xmin>"
                   "<ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>")
    ds = af.load(xml, labels=["cat", "dog"])
    assert ds.label_names() == ["cat", "dog"]
    with pytest.raises(af.AnnoformatError) as exc:
        af.load(xml, labels=["cat"])
    assert [(d.code, d.location.line) for d in exc.value.report.errors] == [("AF208", 1)]


def test_detection() -> None:
    assert af.detect(DATASET).name == "voc"
    assert af.detect(SINGLE).name == "voc"
    assert voc.detect(COCO_MINIMAL).confidence == 0
    cvat = FIX / "voc" / "bad" / "AF022-root-not-annotation" / "x.xml"
    assert voc.detect(cvat).confidence == 0


# ------------------------------------------------------------------------------- writing


def test_written_files_exact(tmp_path: Path) -> None:
    ds = af.load(DATASET)
    out = tmp_path / "out"
    af.save(ds, out, format="voc")
    assert (out / "Annotations" / "000007.xml").read_text() == (
        "<annotation>\n\t<folder>VOC2007</folder>\n\t<filename>000007.jpg</filename>\n"
        "\t<size>\n\t\t<width>500</width>\n\t\t<height>333</height>\n\t\t<depth>3</depth>\n"
        "\t</size>\n\t<segmented>1</segmented>\n\t<object>\n\t\t<name>car</name>\n"
        "\t\t<pose>Unspecified</pose>\n\t\t<truncated>1</truncated>\n"
        "\t\t<difficult>0</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>1</xmin>\n"
        "\t\t\t<ymin>1</ymin>\n\t\t\t<xmax>500</xmax>\n\t\t\t<ymax>333</ymax>\n"
        "\t\t</bndbox>\n\t</object>\n</annotation>\n")
    # the image listed without an XML gets one (VOC lists images without objects)
    assert (out / "Annotations" / "000009.xml").read_text() == (
        "<annotation>\n\t<filename>000009.jpg</filename>\n\t<size>\n\t\t<width>353</width>\n"
        "\t\t<height>500</height>\n\t\t<depth>3</depth>\n\t</size>\n"
        "\t<segmented>0</segmented>\n</annotation>\n")
    # the label list, for datumaro and CVAT (background first; VOC classes in their colours)
    assert (out / "labelmap.txt").read_text() == (
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\nchair:192,0,0::\n"
        "car:128,128,128::\n")
    main = out / "ImageSets" / "Main"
    assert sorted(p.name for p in main.iterdir()) == [
        "car_train.txt", "chair_train.txt", "train.txt", "trainval.txt", "val.txt"]
    assert (main / "train.txt").read_text() == "000005\n000012\n"
    assert (main / "val.txt").read_text() == "000007\n000009\n"
    assert (main / "trainval.txt").read_text() == "000005\n000012\n000007\n000009\n"
    # derived per-class set: 000005 has a non-difficult chair (1); 000012 none (-1)
    assert (main / "chair_train.txt").read_text() == "000005  1\n000012 -1\n"
    assert (main / "car_train.txt").read_text() == "000005 -1\n000012 -1\n"


def test_parts_and_attributes_written_back(tmp_path: Path) -> None:
    ds = af.load(SINGLE)
    out = tmp_path / "one.xml"
    af.save(ds, out, format="voc")
    text = out.read_text()
    assert text.startswith('<annotation verified="yes">\n\t<filename>2008_000123.jpg')
    assert ("\t\t<bndbox>\n\t\t\t<xmin>10.25</xmin>\n\t\t\t<ymin>20</ymin>\n"
            "\t\t\t<xmax>110.75</xmax>\n\t\t\t<ymax>200.5</ymax>\n\t\t</bndbox>\n"
            "\t\t<part>\n\t\t\t<name>head</name>\n\t\t\t<bndbox>\n\t\t\t\t<xmin>40</xmin>") in text
    assert ("\t\t<actions>\n\t\t\t<jumping>0</jumping>\n\t\t\t<phoning>1</phoning>\n"
            "\t\t</actions>\n\t\t<point><x>55</x><y>40</y></point>\n\t</object>") in text
    assert ("\t\t\t<attribute>\n\t\t\t\t<name>good boy</name>\n\t\t\t\t<value>true</value>\n"
            "\t\t\t</attribute>") in text
    assert text.count("<object>") == 2 and text.count("<part>") == 2
    assert first_difference(ds, af.load(out)) is None


def test_zero_based_write_inverts_zero_based_read(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[
        _item("img", "img.jpg", [BBox(label="a", x=0, y=2, w=10.5, h=3)])])
    out = tmp_path / "img.xml"
    assert not _write(ds, out, origin="zero-based").has_errors
    text = out.read_text()
    assert "<xmin>0</xmin>" in text and "<xmax>10.5</xmax>" in text
    assert "<ymin>2</ymin>" in text and "<ymax>5</ymax>" in text
    assert first_difference(ds, af.load(out, origin="zero-based")) is None


@pytest.mark.parametrize(("first", "second"), [
    ("a/img.jpg", "b/img.jpg"),
    ("IMG.jpg", "img.png"),
    (unicodedata.normalize("NFC", "café.jpg"), unicodedata.normalize("NFD", "café.jpg")),
])
def test_two_items_one_xml_refused_before_writing(tmp_path: Path, first: str,
                                                  second: str) -> None:
    ds = Dataset(items=[_item("1", first), _item("2", second)])
    out = tmp_path / "out"
    report = _write(ds, out)
    (error,) = report.errors
    assert error.code == "AF211" and (error.ctx["item"], error.ctx["other"]) == ("1", "2")
    assert error.message.startswith("items '1' and '2' would both be written to Annotations/")
    assert not out.exists()


@pytest.mark.parametrize(("path", "subset"), [
    ("../escape.jpg", None), ("/etc/passwd.jpg", None), ("C:/x.jpg", None),
    ("ok.jpg", "../up"), ("ok.jpg", "a/b"),
])
def test_unsafe_names_refused(tmp_path: Path, path: str, subset: str | None) -> None:
    ds = Dataset(items=[_item("1", path, subset=subset)])
    out = tmp_path / "out"
    report = _write(ds, out)
    assert [d.code for d in report.errors] == ["AF016"]
    assert not out.exists()


def test_unsafe_name_through_save_leaves_nothing(tmp_path: Path) -> None:
    ds = Dataset(items=[_item("1", "../escape.jpg")])
    with pytest.raises(af.AnnoformatError) as exc:
        af.save(ds, tmp_path / "out", format="voc")
    assert "AF016" in exc.value.report.codes()
    assert list(tmp_path.iterdir()) == []


def test_single_file_needs_one_item(tmp_path: Path) -> None:
    ds = Dataset(items=[_item("1", "a.jpg"), _item("2", "b.jpg")])
    report = _write(ds, tmp_path / "x.xml")
    assert [d.code for d in report.errors] == ["AF027"]
    assert not (tmp_path / "x.xml").exists()


def test_plan_states_the_writers_loss_exactly(tmp_path: Path) -> None:
    poly = Polygon(label="a", rings=[[1, 1, 9, 1, 9, 5]], id=3)
    mask = Mask(label="a", counts=[0, 4, 16], height=4, width=5, id=4)
    ds = Dataset(labels=[Label(name="a"), Label(name="unused")], items=[_item("1", "x.jpg", [
        BBox(label="a", x=0, y=0, w=2, h=2, id=1, group=7),
        BBox(label="a", x=0, y=0, w=2, h=2, id=2, group=7,
             attributes={"tags": ["p", "q"], "code": "007", "n": None}),
        poly, mask])])
    assert _planned(ds) == [
        ("AF502", "warning", {"kind": "mask", "target": "bbox", "count": 1, "ids": ["1/4"]}),
        ("AF502", "warning", {"kind": "polygon", "target": "bbox", "count": 1,
                              "ids": ["1/3"]}),
        ("AF508", "warning", {"what": "annotation", "count": 4,
                              "reason": "VOC objects have no ids; they read back without one",
                              "ids": ["1/1", "1/2", "1/3", "1/4"]}),
        ("AF508", "warning", {"what": "image", "count": 1, "ids": ["1"],
                              "reason": "VOC identifies an image by its file stem"}),
        ("AF510", "warning", {"count": 2, "ids": ["1/1", "1/2"], "reason": (
            "VOC groups only an object with the parts nested in it (extras voc part); other "
            "groups become plain objects")}),
        ("AF511", "warning", {"count": 3, "ids": ["1/2", "1/2", "1/2"],
                              "names": "code, n, tags"}),
        ("AF512", "warning", {"count": 1, "names": "unused"}),
    ]
    report = _write(ds, tmp_path / "out")
    assert not report.has_errors and _codes(report, "AF5") == []  # the writer only writes
    back = af.load(tmp_path / "out")
    boxes = [_box(a) for a in back.items[0].annotations]
    # polygon and mask as their enclosing boxes (the mask covers column 0, rows 0-3)
    assert boxes == [(0, 0, 2, 2), (0, 0, 2, 2), (1, 1, 8, 4), (0, 0, 1, 4)]
    assert back.items[0].annotations[1].attributes == {"tags": '["p","q"]', "code": 7,
                                                       "n": "null"}


def test_approximated_regions_are_refused_without_allow_loss() -> None:
    ds = Dataset(labels=[Label(name="a")], items=[_item("x", "x.jpg", [
        Polygon(label="a", rings=[[1, 1, 9, 1, 9, 5]])])])
    # one fact, stated once: the shape is approximated (not also "cannot be written")
    assert _planned(ds, allow_loss=False) == [
        ("AF502", "error", {"kind": "polygon", "target": "bbox", "count": 1,
                            "ids": ["x/#0"]})]


def test_regions_drop_option(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[_item("x", "x.jpg", [
        Polygon(label="a", rings=[[1, 1, 9, 1, 9, 5]])])])
    assert _planned(ds, regions="drop") == [
        ("AF501", "warning", {"kind": "polygon", "count": 1, "ids": ["x/#0"]}),
        ("AF512", "warning", {"count": 1, "names": "a"})]
    report = _write(ds, tmp_path / "out", regions="drop")
    assert _codes(report, "AF5") == []
    assert af.load(tmp_path / "out").items[0].annotations == []


def test_parts_nested_in_their_object_lose_nothing(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="person"), Label(name="head")], items=[
        _item("x", "x.jpg", [
            BBox(label="person", x=0, y=0, w=20, h=30, group=1),
            BBox(label="head", x=5, y=0, w=5, h=5, group=1, extras={"voc": {"part": True}}),
            BBox(label="head", x=5, y=0, w=5, h=5, group=2, extras={"voc": {"part": True}}),
        ])])
    # the orphan part (group 2) is written as an object: its group is lost
    assert _planned(ds) == [
        ("AF510", "warning", {"count": 1, "ids": ["x/#2"], "reason": (
            "VOC groups only an object with the parts nested in it (extras voc part); other "
            "groups become plain objects")})]
    af.save(ds, tmp_path / "out", format="voc", allow_loss=True)
    back = af.load(tmp_path / "out")
    assert [(a.label, a.group) for a in back.items[0].annotations] == [
        ("person", 1), ("head", 1), ("head", None)]


def test_invalid_xml_text_is_caught_before_writing(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a\x01")], items=[_item("1", "x.jpg", [
        BBox(label="a\x01", x=0, y=0, w=2, h=2)])])
    report = _write(ds, tmp_path / "out")
    assert [d.code for d in report.errors] == ["AF102"]
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------- properties


@SETTINGS
@given(ds=voc_datasets())
def test_ir_voc_ir_is_lossless(tmp_path_factory: pytest.TempPathFactory, ds: Dataset) -> None:
    out = tmp_path_factory.mktemp("voc") / "out"
    af.save(ds, out, format="voc")
    assert first_difference(ds, af.load(out, format="voc")) is None


@SETTINGS
@given(ds=voc_datasets(integer_boxes=True))
def test_integer_boxes_voc_ir_voc_is_identity(tmp_path_factory: pytest.TempPathFactory,
                                              ds: Dataset) -> None:
    base = tmp_path_factory.mktemp("voc")
    af.save(ds, base / "one", format="voc")
    again = af.load(base / "one", format="voc")
    af.save(again, base / "two", format="voc")
    files = sorted(p.relative_to(base / "one") for p in (base / "one").rglob("*.xml"))
    for rel in files:
        assert (base / "one" / rel).read_bytes() == (base / "two" / rel).read_bytes()


@given(xmin=st.integers(-5000, 5000), ymin=st.integers(-5000, 5000),
       w=st.integers(0, 5000), h=st.integers(0, 5000))
def test_devkit_mapping_is_exact_inverse_on_integers(xmin: int, ymin: int, w: int,
                                                     h: int) -> None:
    xmax, ymax = xmin + w, ymin + h
    xml = (f"<annotation><filename>a.jpg</filename><object><name>a</name><bndbox>"
           f"<xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax>"
           f"</bndbox></object></annotation>").encode()
    report = Report()
    root = parse_xml(xml, "a.xml", report)
    assert root is not None
    reader = _Reader(voc.Options(), report)
    box = reader._box(root.find("object/bndbox"), "a.xml", "a", None, None)
    assert box == (xmin - 1, ymin - 1, w + 1, h + 1)  # continuous [xmin - 1, xmax)
    text = _Writer(voc.Options())._bndbox(box, "")
    assert text == (f"<bndbox>\n\t<xmin>{xmin}</xmin>\n\t<ymin>{ymin}</ymin>\n"
                    f"\t<xmax>{xmax}</xmax>\n\t<ymax>{ymax}</ymax>\n</bndbox>")


# ------------------------------------------------------------------------------- COCO <-> VOC


def test_coco_to_voc_refused_without_allow_loss(tmp_path: Path) -> None:
    result = af.convert(COCO_MINIMAL, tmp_path / "voc", to="voc")
    assert not result.written and not (tmp_path / "voc").exists()
    errors = sorted((d.code, d.ctx.get("kind") or d.ctx.get("field"), d.ctx.get("count"))
                    for d in result.report.errors)
    # the polygon approximated as a box (not also "cannot be written"), the mask's crowd flag;
    # the mask itself is written exactly (its box and the segmentation PNGs)
    assert errors == [("AF502", "polygon", 1), ("AF506", "crowd", 1)]


def test_coco_voc_coco_keeps_every_box_and_names_the_loss(tmp_path: Path) -> None:
    to_voc = af.convert(COCO_MINIMAL, tmp_path / "voc", to="voc", allow_loss=True)
    assert to_voc.written
    loss = sorted((d.code, d.severity.value,
                   d.ctx.get("kind") or d.ctx.get("what") or d.ctx.get("field"),
                   d.ctx.get("count")) for d in to_voc.loss)
    assert loss == [
        ("AF502", "warning", "polygon", 1),
        ("AF506", "warning", "crowd", 1),  # the mask's box is a plain object
        ("AF507", "warning", "annotation extras (coco)", None),
        ("AF507", "warning", "dataset extras (coco)", None),
        ("AF507", "warning", "info", None),
        ("AF507", "warning", "item extras (coco)", None),
        ("AF507", "warning", "label ids", None),
        ("AF507", "warning", "supercategories", None),
        ("AF508", "warning", "annotation", 4),
        ("AF508", "warning", "image", 3),
    ]
    crowd = [d.ctx["ids"] for d in to_voc.loss if d.code == "AF506"]
    assert crowd == [["2/12"]]  # the crowd region (a mask) is written, as an object
    assert sorted(p.relative_to(tmp_path / "voc").as_posix()
                  for p in (tmp_path / "voc").rglob("*.png")) == [
        "SegmentationClass/dog.png", "SegmentationObject/dog.png"]
    back = af.convert(tmp_path / "voc", tmp_path / "coco.json", to="coco")
    assert back.written, back.report.codes()
    src = orjson.loads(COCO_MINIMAL.read_bytes())
    out = orjson.loads((tmp_path / "coco.json").read_bytes())

    def boxes(doc: dict[str, Any]) -> list[tuple[str, str, list[float]]]:
        names = {c["id"]: c["name"] for c in doc["categories"]}
        files = {i["id"]: i["file_name"] for i in doc["images"]}
        return sorted((files[a["image_id"]], names[a["category_id"]], a["bbox"])
                      for a in doc["annotations"])

    assert boxes(out) == boxes(src)
    assert sorted(i["file_name"] for i in out["images"]) == ["cat.jpg", "dog.jpg", "empty.jpg"]
    whole = next(a for a in out["annotations"] if a["bbox"] == [0, 0, 320, 240])
    assert whole["attributes"] == {"occluded": True, "color": "black"}
    # the mask's pixels come back exactly, through the segmentation PNGs
    (rle,) = [a["segmentation"] for a in src["annotations"] if a["id"] == 12]
    (again,) = [a["segmentation"] for a in out["annotations"]
                if isinstance(a["segmentation"], dict)]
    assert masks.decode(again["counts"], *again["size"]).tolist() == masks.decode(
        rle["counts"], *rle["size"]).tolist()


@st.composite
def _coco_docs(draw: Any) -> dict[str, Any]:
    cats = [{"id": i + 1, "name": n} for i, n in enumerate(
        draw(st.lists(st.sampled_from(["cat", "dog", "car", "person"]), min_size=1,
                      max_size=4, unique=True)))]
    images, anns = [], []
    for image_id in range(1, draw(st.integers(1, 4)) + 1):
        w, h = draw(st.integers(10, 500)), draw(st.integers(10, 500))
        images.append({"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": w,
                       "height": h})
        for _ in range(draw(st.integers(0, 4))):
            x = draw(st.integers(0, (w - 1) * 100)) / 100
            y = draw(st.integers(0, (h - 1) * 100)) / 100
            bw = draw(st.integers(1, int((w - x) * 100))) / 100
            bh = draw(st.integers(1, int((h - y) * 100))) / 100
            ann: dict[str, Any] = {"id": len(anns) + 1, "image_id": image_id,
                                   "category_id": draw(st.sampled_from(cats))["id"],
                                   "bbox": [x, y, bw, bh], "area": bw * bh, "iscrowd": 0}
            if draw(st.booleans()):
                ann["segmentation"] = [[x, y, x + bw, y, x + bw, y + bh]]
            anns.append(ann)
    return {"images": images, "annotations": anns, "categories": cats}


@SETTINGS
@given(doc=_coco_docs())
def test_coco_voc_coco_property(tmp_path_factory: pytest.TempPathFactory,
                                doc: dict[str, Any]) -> None:
    base = tmp_path_factory.mktemp("cvc")
    (base / "in.json").write_bytes(orjson.dumps(doc))
    to_voc = af.convert(base / "in.json", base / "voc", to="voc", allow_loss=True)
    assert to_voc.written
    polygons = sum("segmentation" in a for a in doc["annotations"])
    used = {a["category_id"] for a in doc["annotations"]}
    expected = [("AF507", None)]  # label ids
    if polygons:
        expected.append(("AF502", polygons))
    if doc["annotations"]:
        expected.append(("AF508", len(doc["annotations"])))
    expected.append(("AF508", len(doc["images"])))
    if len(used) < len(doc["categories"]):
        expected.append(("AF512", len(doc["categories"]) - len(used)))
    assert _codes(to_voc.report, "AF5") == sorted(expected)
    back = af.convert(base / "voc", base / "out.json", to="coco")
    assert back.written
    out = json.loads((base / "out.json").read_text())

    def boxes(d: dict[str, Any]) -> list[tuple[str, str, list[float]]]:
        names = {c["id"]: c["name"] for c in d["categories"]}
        files = {i["id"]: i["file_name"] for i in d["images"]}
        return sorted((files[a["image_id"]], names[a["category_id"]], a["bbox"])
                      for a in d["annotations"])

    assert boxes(out) == boxes(doc)
    assert sorted((i["file_name"], i["width"], i["height"]) for i in out["images"]) == sorted(
        (i["file_name"], i["width"], i["height"]) for i in doc["images"])


def test_xml_named_apart_from_its_image_keeps_its_name(tmp_path: Path) -> None:
    src = tmp_path / "src" / "Annotations"
    src.mkdir(parents=True)
    (src / "scan_01.xml").write_text("<annotation><filename>photo.jpg</filename><size>"
                                     "<width>4</width><height>3</height></size></annotation>")
    ds = af.load(tmp_path / "src")
    assert ds.items[0].id == "scan_01"
    assert ds.items[0].extras == {"voc": {"named_by_id": True}}
    af.save(ds, tmp_path / "out", format="voc")
    assert [p.name for p in (tmp_path / "out" / "Annotations").iterdir()] == ["scan_01.xml"]
    assert first_difference(ds, af.load(tmp_path / "out")) is None


def test_single_file_states_the_subsets_it_cannot_hold(tmp_path: Path) -> None:
    ds = Dataset(items=[_item("x", "x.jpg", subset="train")])
    assert _planned(ds, layout="file") == [
        ("AF507", "warning", {"format": "voc (single file)", "what": "subsets",
                              "detail": "train"})]
    assert _planned(ds) == []  # a dataset folder keeps it (ImageSets/Main/train.txt)
    report = _write(ds, tmp_path / "x.xml")
    assert _codes(report, "AF5") == []
    assert af.load(tmp_path / "x.xml").items[0].subset is None


def test_resolve_options_makes_the_layout_definite() -> None:
    auto = voc.Options()
    assert voc.resolve_options(auto, Path("a/x.XML")).layout == "file"
    assert voc.resolve_options(auto, Path("a/out")).layout == "dataset"
    assert voc.resolve_options(voc.Options(layout="dataset"), Path("x.xml")).layout == "dataset"


def test_single_file_destination_plans_its_loss(tmp_path: Path) -> None:
    ds = Dataset(items=[_item("x", "x.jpg", subset="train")])
    report = af.save(ds, tmp_path / "x.xml", format="voc")
    assert [(d.code, d.ctx["what"], d.ctx["detail"]) for d in report if d.code == "AF507"] == [
        ("AF507", "subsets", "train")]


DEVKIT = Path(__file__).resolve().parents[2] / "fixtures" / "voc" / "good" / "devkit"


def test_a_devkit_reads_every_year_with_its_subsets_named_after_it() -> None:
    for source in (DEVKIT / "VOCdevkit", DEVKIT / "VOCdevkit" / ".."):  # either folder
        ds = af.load(source, "voc")
        assert [(i.subset, i.id) for i in ds.items] == [
            ("train-VOC2007", "000005"), ("train-VOC2007", "000012"), ("train-VOC2012", "a"),
            ("val-VOC2007", "000007"), ("val-VOC2007", "000009"), ("val-VOC2012", "b")]
    assert af.detect(DEVKIT / "VOCdevkit").verdicts["voc"].reason == (
        "VOC devkit: VOC2007, VOC2012")


def test_one_year_of_a_devkit_keeps_its_subsets() -> None:
    for year in ("2012", "VOC2012"):
        ds = af.load(DEVKIT / "VOCdevkit", year=year)
        assert [(i.subset, i.id) for i in ds.items] == [("train", "a"), ("val", "b")]
    with pytest.raises(af.AnnoformatError) as caught:
        af.load(DEVKIT / "VOCdevkit", year="2010")
    (diag,) = caught.value.report.errors
    assert (diag.code, diag.ctx["found"]) == ("AF028", "VOC2007, VOC2012")


def test_roboflow_subset_folders_read_each_as_its_subset(tmp_path: Path) -> None:
    """Roboflow's VOC export: train/, valid/, test/, each XML beside its image."""
    xmls = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "voc" / "good" /
                   "folder-of-xmls" / "labels").glob("*.xml"))
    for folder, xml in zip(("train", "valid"), xmls, strict=True):
        (tmp_path / "export" / folder).mkdir(parents=True)
        shutil.copy(xml, tmp_path / "export" / folder / xml.name)
    (tmp_path / "export" / "README.roboflow.txt").write_text("exported via roboflow.com\n")
    assert af.detect(tmp_path / "export").verdicts["voc"].reason == (
        "subset folders of VOC XML files (Roboflow): train/, valid/")
    ds = af.load(tmp_path / "export")
    assert [(i.subset, i.id) for i in ds.items] == [("train", "a"), ("valid", "b")]


def test_labelmap_declares_labels_and_keeps_their_colours(tmp_path: Path) -> None:
    ds = Dataset(labels=[af.Label(name="kite", extras={"voc": {"color": [1, 2, 3]}}),
                         af.Label(name="cat"), af.Label(name="unused")],
                 items=[af.Item(id="a", subset="train",
                                media=af.Image(path="a.jpg", width=10, height=10),
                                annotations=[af.BBox(label="cat", x=1, y=1, w=4, h=4)])])
    af.save(ds, tmp_path / "out", format="voc", allow_loss=True)
    assert (tmp_path / "out" / "labelmap.txt").read_text() == (
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\nkite:1,2,3::\ncat:64,0,0::\n"
        "unused:128,128,0::\n")
    back = af.load(tmp_path / "out")
    assert [(lb.name, lb.extras) for lb in back.labels] == [
        ("kite", {"voc": {"color": [1, 2, 3]}}), ("cat", {}), ("unused", {})]


def test_items_without_subset_are_the_default_image_set(tmp_path: Path) -> None:
    ds = Dataset(labels=[af.Label(name="cat")], items=[
        af.Item(id="a", media=af.Image(path="a.jpg", width=10, height=10))])
    af.save(ds, tmp_path / "out", format="voc")
    assert (tmp_path / "out/ImageSets/Main/default.txt").read_text() == "a\n"
    assert af.load(tmp_path / "out").items[0].subset is None


def test_integer_coordinates_are_an_approximation_said_once(tmp_path: Path) -> None:
    ds = Dataset(labels=[af.Label(name="cat")], items=[af.Item(
        id="a", subset="train", media=af.Image(path="a.jpg", width=100, height=100),
        annotations=[af.BBox(id=1, label="cat", x=9, y=9, w=20, h=20),
                     af.BBox(id=2, label="cat", x=10.4, y=20.6, w=30.2, h=9.5)])])
    report = af.Report()
    with pytest.raises(af.AnnoformatError):
        af.save(ds, tmp_path / "no", format="voc", coordinates="int", report=report)
    assert [(d.code, d.ctx["count"], d.ctx["kind"]) for d in report if d.code == "AF502"] == [
        ("AF502", 1, "box with fractional corners")]
    af.save(ds, tmp_path / "out", format="voc", coordinates="int", allow_loss=True)
    xml = (tmp_path / "out/Annotations/a.xml").read_text()
    # one-based: xmin = round(10.4 + 1), xmax = round(10.4 + 30.2)
    assert "<xmin>10</xmin>" in xml and "<xmin>11</xmin>" in xml
    assert "<xmax>41</xmax>" in xml and "<ymax>30</ymax>" in xml
    assert "." not in "".join(line for line in xml.splitlines() if "min>" in line or "max>" in line)


# -- segmentation PNGs --------------------------------------------------------------------------
def _load(path: Path) -> tuple[Dataset | None, Report]:
    report = Report()
    return voc.read(path, voc.Options(), report), report


def _palette_png(path: Path, values: Any) -> None:
    """A devkit-style palette PNG of ``values`` (the VOC palette)."""
    from PIL import Image as PILImage

    from annoformat.formats.voc._labelmap import palette

    path.parent.mkdir(parents=True, exist_ok=True)
    img = PILImage.fromarray(np.asarray(values, dtype=np.uint8))
    img.putpalette([v for i in range(256) for v in palette(i)])
    img.save(path)


def _devkit_segmented(root: Path, objects: int = 2) -> None:
    """A devkit image (1-based boxes, no labelmap) with instance and class PNGs and a void
    boundary: object 1 a cat, object 2 a dog (objects=1: the dog has no <object>)."""
    boxes = [("cat", 2, 2, 4, 3), ("dog", 6, 1, 8, 4)][:objects]
    xml = "".join(f"<object><name>{n}</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin>"
                  f"<xmax>{c}</xmax><ymax>{d}</ymax></bndbox></object>" for n, a, b, c, d in boxes)
    (root / "Annotations").mkdir(parents=True)
    (root / "Annotations" / "a.xml").write_text(
        f"<annotation><filename>a.jpg</filename><size><width>8</width><height>5</height>"
        f"<depth>3</depth></size><segmented>1</segmented>{xml}</annotation>")
    inst = np.zeros((5, 8), dtype=np.uint8)
    inst[1:3, 1:4] = 1  # the cat: box 2..4 x 2..3 (1-based) is x 1..4, y 1..3
    inst[0:4, 5:8] = 2
    inst[4, :] = 255  # a void row
    cls = np.where(inst == 1, 8, np.where(inst == 2, 12, inst))  # cat 8, dog 12
    cls[0, 0] = 15  # a person pixel outside every instance: a class region
    _palette_png(root / "SegmentationObject" / "a.png", inst)
    _palette_png(root / "SegmentationClass" / "a.png", cls)


def test_devkit_palette_pngs_read_as_masks_in_their_objects(tmp_path: Path) -> None:
    _devkit_segmented(tmp_path / "voc")
    ds, report = _load(tmp_path / "voc")
    assert ds is not None and report.codes() == ["AF329"]
    cat, dog, person = ds.items[0].annotations
    assert isinstance(cat, Mask) and isinstance(dog, Mask) and isinstance(person, Mask)
    assert (cat.label, cat.bbox, masks.area(cat.counts, 5, 8)) == ("cat", (1.0, 1.0, 3.0, 2.0), 6)
    assert (dog.label, dog.bbox, masks.area(dog.counts, 5, 8)) == ("dog", (5.0, 0.0, 3.0, 4.0), 12)
    assert (person.label, person.bbox, person.extras) == (
        "person", None, {"voc": {"_from": "SegmentationClass"}})
    assert ds.label_names() == ["cat", "dog", "person"]
    void = ds.items[0].extras["voc"]["void"]
    assert masks.decode(void["counts"], 5, 8)[4].tolist() == [1] * 8
    # written back: the same XML boxes, the same pixels (palette PNGs), nothing reported lost
    out = tmp_path / "out"
    result = af.convert(tmp_path / "voc", out, to="voc", media="none")
    assert result.written and result.loss == []
    assert first_difference(ds, af.load(out)) is None
    from PIL import Image as PILImage

    # class values are positions in the labelmap.txt written beside them (background first)
    assert (out / "labelmap.txt").read_text().splitlines()[1:] == [
        "background:0,0,0::", "cat:64,0,0::", "dog:64,0,128::", "person:192,128,128::"]
    for name, renumber in (("SegmentationObject", {}), ("SegmentationClass", {8: 1, 12: 2, 15: 3})):
        with PILImage.open(out / name / "a.png") as a, \
                PILImage.open(tmp_path / "voc" / name / "a.png") as b:
            expected = np.vectorize(lambda v, r=renumber: r.get(int(v), int(v)))(np.asarray(b))
            assert a.mode == "P" and np.asarray(a).tolist() == expected.tolist()
    assert (out / "ImageSets" / "Segmentation" / "default.txt").read_text() == "a\n"


def test_instance_without_object_is_af049_and_read_from_its_class(tmp_path: Path) -> None:
    _devkit_segmented(tmp_path / "voc", objects=1)
    ds, report = _load(tmp_path / "voc")
    assert ds is not None
    (found,) = [d for d in report.diagnostics if d.code == "AF049"]
    assert found.ctx["reason"] == ("instance 2 has no <object> (the annotation file has 1); "
                                   "read as a 'dog' mask without a box")
    assert [(a.type, a.label, getattr(a, "bbox", 0)) for a in ds.items[0].annotations] == [
        ("mask", "cat", (1.0, 1.0, 3.0, 2.0)), ("mask", "dog", None), ("mask", "person", None)]


def test_segmentation_pngs_that_cannot_be_matched(tmp_path: Path) -> None:
    _devkit_segmented(tmp_path / "voc")
    _palette_png(tmp_path / "voc" / "SegmentationClass" / "b.png", np.zeros((5, 8)))
    _palette_png(tmp_path / "voc" / "SegmentationObject" / "a.png", np.zeros((4, 8)))
    ds, report = _load(tmp_path / "voc")
    assert ds is not None
    assert [(d.code, Path(d.location.path or "").name) for d in report.diagnostics[1:]] == [
        ("AF305", "a.png"), ("AF049", "b.png")]
    # the class PNG alone: one mask per class
    assert [(a.label, a.type) for a in ds.items[0].annotations] == [
        ("cat", "bbox"), ("dog", "bbox"), ("cat", "mask"), ("dog", "mask"), ("person", "mask")]


def test_plan_names_what_segmentation_pngs_cannot_carry(tmp_path: Path) -> None:
    _devkit_segmented(tmp_path / "voc")
    ds, _ = _load(tmp_path / "voc")
    assert ds is not None
    one = voc.plan(ds, voc.Options(layout="file"))
    assert sorted((f.code, str(f.ctx.get("kind") or f.ctx.get("what")), f.count)
                  for f in one if f.code != "AF512") == [
        ("AF501", "class-region mask (SegmentationClass, no object; a single XML file or not "
                  "the image's size)", 1),
        ("AF502", "mask", 2), ("AF507", "subsets", None),
        ("AF507", "void pixels of 1 item(s)", None)]
    # two masks sharing pixels: an instance PNG keeps one object per pixel
    cat = ds.items[0].annotations[0]
    item = ds.items[0].model_copy(update={"annotations": [cat, cat.model_copy()]})
    overlap = voc.plan(ds.model_copy(update={"items": [item]}), voc.Options())
    assert [(f.code, f.ctx.get("kind"), f.ids) for f in overlap if f.code == "AF502"] == [
        ("AF502", "overlapping mask", ["a/#1"])]


def test_image_headers_are_read_once_by_default_and_not_at_all_without_images(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import imagesize

    dataset = FIX / "voc" / "bad" / "AF311-image-size-mismatch" / "dataset"
    opened: list[str] = []
    real = imagesize.get

    def counting(path: str) -> tuple[int, int]:
        opened.append(Path(path).name)
        return real(path)  # type: ignore[no-any-return]

    monkeypatch.setattr(imagesize, "get", counting)
    with use_jobs(1):  # (the count is kept in this process)
        checked = af.validate(dataset, format="voc", config=False)
        assert opened == ["cat.png"]
        assert [(d.code, d.location.line) for d in checked.errors] == [("AF311", 4)]
        assert "AF345" not in checked.codes()
        opened.clear()
        trusted_ = af.validate(dataset, format="voc", config=False, images=False)
    assert opened == []
    assert not trusted_.has_errors
    [note] = [d for d in trusted_ if d.code == "AF345"]
    assert note.ctx["count"] == 1
    assert note.location.path == str(dataset)
    assert note.message.startswith("1 image size(s) taken from <size> without opening")


@SETTINGS
@given(ds=voc_datasets())
def test_plain_documents_made_from_plain_data_are_the_documents(ds: Dataset) -> None:
    """The writer sends workers an item's plain data instead of the item when it has nothing
    VOC-specific: the document made from it must be the one made from the item."""
    writer = _Writer(voc.Options())
    for item in ds.items:
        objects = writer.objects(item)
        plain = writer.plain(item, objects)
        if plain is not None:
            assert writer.plain_document(plain)[0] == writer.document(item, objects, False)


_ODD_TEXT = st.text(st.sampled_from(["a", " ", "\t", "\n", "\r", "\x00", "\x0b", "&", "<",
                                      "\ufffe", "\U0001f600", "\x85"]),
                    max_size=5)
_ODD_NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                        st.floats(-1e6, 1e6), st.integers(-10, 10))


@SETTINGS
@given(path=_ODD_TEXT, width=st.one_of(st.none(), st.integers(-2, 2), st.floats(0, 5),
                                       st.booleans()),
       boxes=st.lists(st.tuples(_ODD_TEXT, st.tuples(*[_ODD_NUMBER] * 4)), max_size=3))
def test_a_plain_document_is_sound_exactly_when_the_schema_says_it_is_valid(
        path: str, width: Any, boxes: list[Any]) -> None:
    """The writer skips the re-parse of a plain document it knows valid by construction: that
    knowledge must be the XSD's verdict on the bytes, case for case."""
    from annoformat.formats.voc._write import _xml_errors

    writer = _Writer(voc.Options())
    data, sound = writer.plain_document((path, width, 5, boxes))
    valid = _xml_errors(data, "x.xml") == []
    # a number longer than older libxml2 takes as xs:decimal is checked by the XSD itself
    long = any(len(n) > 24 for _, box in boxes for n in writer._corners(box))
    assert sound == (valid and not long)


def test_coco_items_are_plain_and_written_alike() -> None:
    ds = af.load(COCO_MINIMAL)
    writer = _Writer(voc.Options())
    plain = [writer.plain(item, writer.objects(item)) for item in ds.items]
    # (dog.jpg has a polygon with attributes: its document is made from the item)
    assert [p[0] if p is not None else None for p in plain] == ["cat.jpg", None, "empty.jpg"]
    for item, data in zip(ds.items, plain, strict=True):
        if data is not None:
            assert writer.plain_document(data)[0] == writer.document(
                item, writer.objects(item), False)
