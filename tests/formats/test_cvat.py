"""CVAT XML specifics beyond the conformance suite: exact values, tracks, masks, skeletons,
writer-side loss codes, lossless round trips (hypothesis) and conversions with COCO/VOC/YOLO."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import annoformat as af
from annoformat import masks
from annoformat.convert import plan_loss
from annoformat.diagnostics import Report
from annoformat.formats import cvat
from annoformat.formats.cvat._read import Reader
from annoformat.model import (
    AttributeSpec,
    BBox,
    Dataset,
    Ellipse,
    Image,
    Item,
    Keypoints,
    Label,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBBox,
    Tag,
    VideoFrame,
)
from annoformat.testing import first_difference
from annoformat.testing.strategies_cvat import cvat_image_datasets, cvat_video_datasets

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "cvat" / "good"
SHAPES = FIX / "images-all-shapes" / "annotations.xml"
VIDEO = FIX / "video-tracks" / "annotations.xml"
PROJECT = FIX / "images-project-subsets" / "annotations.xml"
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _read(path: Path) -> tuple[Dataset | None, Report]:
    report = Report()
    return cvat.read(path, cvat.Options(), report), report


def _write(ds: Dataset, path: Path, flavour: str = "auto") -> Report:
    """The loss plan's facts (loss allowed), then what the writer itself reports."""
    report = Report()
    options = cvat.Options.model_validate({"flavour": flavour})
    plan_loss(ds, cvat.FORMAT, report, options, allow_loss=True)
    cvat.write(ds, path, options, report)
    return report


def _norm(el: Any) -> Any:
    """An element as comparable data: numbers by value, text exact, comments dropped."""
    def value(v: str) -> Any:
        try:
            return float(v)
        except ValueError:
            return v
    attrs = {k: value(v) for k, v in el.attrib.items()}
    if k := el.get("rle"):
        attrs["rle"] = [int(x) for x in k.split(",")]
    kids = [_norm(c) for c in el if isinstance(c.tag, str)]
    text = el.text or ""
    return (el.tag, attrs, text if el.tag == "attribute" and not kids else text.strip(), kids)


def _xml(path: Path) -> Any:
    return _norm(etree.fromstring(path.read_bytes()))


# ------------------------------------------------------------------------------------------
# reading: exact values


def test_images_shapes_exact_values() -> None:
    ds, report = _read(SHAPES)
    assert ds is not None and report.codes() == ["AF343"]
    assert [item.id for item in ds.items] == ["0", "1", "2"]
    assert [item.subset for item in ds.items] == [None, "train", None]
    assert ds.items[0].media == Image(path="street/0001.jpg", width=64, height=48)
    box, rot, poly, line, pts, ell, tag = ds.items[0].annotations
    assert isinstance(box, BBox) and (box.x, box.y, box.w, box.h) == (10.5, 5.25, 19.5, 15.5)
    assert (box.label, box.group, box.z_order, box.occluded, box.track_id) == ("car", 2, 1,
                                                                             False, None)
    assert box.attributes == {"model": "light blue", "parked": True, "speed": 42,
                              "plate": "0003"}
    assert list(box.attributes) == ["model", "parked", "speed", "plate"]
    assert box.extras == {}
    assert isinstance(rot, RotatedBBox)
    assert (rot.x, rot.y, rot.w, rot.h, rot.rotation) == (2.0, 3.0, 10.0, 6.0, 30.5)
    assert (rot.occluded, rot.z_order, rot.track_id) == (True, 0, 4)
    assert rot.attributes == {"speed": 12.5}
    assert (rot.extras, rot.origin) == ({}, "model")  # source="auto": the origin says it
    assert isinstance(poly, Polygon) and poly.rings == [[0, 40, 64, 40, 64, 48, 0, 48]]
    assert poly.group == 2
    assert isinstance(line, Polyline) and line.points == [1, 44, 63, 44.5]
    assert line.z_order == -1 and line.extras == {"cvat": {"source": "semi-auto"}}
    assert isinstance(pts, Points) and pts.points == [5, 6, 7.5, 8.25] and pts.visibility is None
    assert isinstance(ell, Ellipse) and (ell.cx, ell.cy, ell.rx, ell.ry, ell.rotation) == (
        32, 24, 6, 3, 15)
    assert isinstance(tag, Tag) and tag.label == "road" and tag.occluded is None
    assert ds.items[2].annotations == []


def test_labels_attribute_specs_and_skeleton() -> None:
    ds, _ = _read(SHAPES)
    assert ds is not None
    assert ds.label_names() == ["car", "road", "hand"]
    car, road, hand = ds.labels
    assert car.attributes == [
        AttributeSpec(name="model", input_type="select", values=["bmw", "mazda", "light blue"],
                      default="bmw", mutable=False),
        AttributeSpec(name="parked", input_type="checkbox", values=["false"], default=False,
                      mutable=True),
        AttributeSpec(name="speed", input_type="number", values=["0", "200", "1"], default=0,
                      mutable=True),
        AttributeSpec(name="plate", input_type="text", values=[], default="", mutable=False),
    ]
    assert car.extras == {"cvat": {"color": "#fa3253", "type": "rectangle"}}
    assert road.extras == {"cvat": {"color": "#33ddff", "type": "any"}}
    assert hand.keypoints == ["wrist", "thumb", "index"]
    assert hand.skeleton == [(0, 1), (1, 2)]
    subs = hand.extras["cvat"]["sublabels"]
    assert [s["name"] for s in subs] == ["wrist", "thumb", "index"]
    assert subs[0]["attributes"] == [{"name": "visible_part", "input_type": "radio",
                                      "values": ["yes", "no"], "default": "yes",
                                      "mutable": False}]


def test_masks_are_placed_into_image_sized_rle() -> None:
    ds, _ = _read(SHAPES)
    assert ds is not None
    car, road = ds.items[1].annotations[:2]
    assert isinstance(car, Mask) and (car.height, car.width) == (6, 8)
    full = masks.decode(car.counts, 6, 8)
    # rle "1, 2, 2, 1" over the 3x2 crop at (2, 1): rows [0 1 1] and [0 0 1]
    assert np.argwhere(full).tolist() == [[1, 3], [1, 4], [2, 4]]
    assert car.extras == {"cvat": {"box": [2, 1, 3, 2]}}  # not the tight box: kept
    assert isinstance(road, Mask)
    assert np.argwhere(masks.decode(road.counts, 6, 8)).tolist() == [[0, 0]]


def test_skeleton_outside_and_occluded_become_visibility() -> None:
    ds, _ = _read(SHAPES)
    assert ds is not None
    kp = ds.items[1].annotations[2]
    assert isinstance(kp, Keypoints) and kp.label == "hand"
    assert kp.points == [1, 2, 3, 4, 5, 5.5]
    assert kp.visibility == [2, 0, 1]
    assert kp.extras == {"cvat": {"elements": {"wrist": {"attributes": {"visible_part": "no"}}}}}


def test_cuboid_is_kept_as_eight_points() -> None:
    ds, report = _read(SHAPES)
    assert ds is not None
    cuboid = ds.items[1].annotations[3]
    assert isinstance(cuboid, Points) and cuboid.extras == {"cvat": {"cuboid": True}}
    assert cuboid.points == [1, 1, 1, 4, 4, 1, 4, 4, 5, 0.5, 5, 3.5, 7, 0.5, 7, 3.5]
    [diag] = report.diagnostics
    assert (diag.code, diag.location.line, diag.ctx) == ("AF343", 144, {"count": 1})


def test_video_tracks_become_frames_linked_by_track_id() -> None:
    ds, report = _read(VIDEO)
    assert ds is not None and report.codes() == []
    assert [item.id for item in ds.items] == ["10", "12", "14", "16"]  # start 10, step=2
    assert ds.items[0].media == VideoFrame(path="traffic.mp4", frame=10, width=320, height=240)
    by_frame = {item.id: [(a.type, a.track_id, a.label) for a in item.annotations]
                for item in ds.items}
    assert by_frame == {
        "10": [("bbox", 0, "car"), ("keypoints", 2, "hand")],
        "12": [("bbox", 0, "car"), ("polygon", 1, "car"), ("keypoints", 2, "hand")],
        "14": [("polygon", 1, "car")],
        "16": [],
    }
    box10, kp10 = ds.items[0].annotations
    box12, poly12, kp12 = ds.items[1].annotations
    assert (box10.group, box10.occluded, box10.attributes, box10.extras) == (
        3, False, {"parked": False}, {})
    assert (box12.occluded, box12.extras) == (True, {"cvat": {"keyframe": False}})
    assert isinstance(box12, BBox) and (box12.x, box12.w) == (12.0, 40.0)
    assert (poly12.z_order, poly12.extras, poly12.origin) == (2, {}, "model")  # source="auto"
    assert isinstance(kp10, Keypoints) and kp10.visibility == [2, 0]
    assert isinstance(kp12, Keypoints) and kp12.visibility == [2, 1]
    assert kp12.extras == {"cvat": {"keyframe": False,
                                    "elements": {"thumb": {"keyframe": True}}}}
    [outside] = ds.items[2].extras["cvat"]["outside"]
    assert outside["track_id"] == 0 and outside["tag"] == "box"
    assert outside["attrs"]["outside"] == "1" and outside["attrs"]["xtl"] == "14.00"


def test_project_meta_subsets_and_task_ids() -> None:
    ds, report = _read(PROJECT)
    assert ds is not None and report.codes() == []
    assert [(i.id, i.subset, i.extras) for i in ds.items] == [
        ("0", "Train", {"cvat": {"task_id": "31"}}), ("1", "Train", {"cvat": {"task_id": "31"}}),
        ("0", "Validation", {"cvat": {"task_id": "32"}})]
    # space-separated number values (older CVAT) are read as min, max, step
    assert ds.labels[0].attributes[1].values == ["0", "10", "1"]
    assert ds.items[0].annotations[0].attributes == {"ripe": "no", "count": 3}
    project = ds.extras["cvat"]["meta"][0]
    assert project[0] == "project" and ["subsets", "Train\nValidation"] in project[1]


# ------------------------------------------------------------------------------------------
# writing


@pytest.mark.parametrize("path", [VIDEO, PROJECT], ids=lambda p: p.parent.name)
def test_cvat_ir_cvat_keeps_every_value(path: Path, tmp_path: Path) -> None:
    ds, _ = _read(path)
    assert ds is not None
    out = tmp_path / "out.xml"
    assert _write(ds, out).codes() == []
    # the one normalisation: older space-separated <values> are written one per line
    original = path.read_bytes().replace(b"<values>0 10 1</values>", b"<values>0\n10\n1</values>")
    assert _xml(out) == _norm(etree.fromstring(original))


def test_a_task_with_several_subsets_is_written_as_a_project(tmp_path: Path) -> None:
    # the fixture is a task whose images name two subsets (none and "train"), which CVAT never
    # exports and datumaro reads as nothing: its meta is read as a project's, the task being
    # the first of its tasks, and written so, every other value kept
    ds, _ = _read(SHAPES)
    assert ds is not None
    out = tmp_path / "out.xml"
    assert _write(ds, out).codes() == []
    written, original = _xml(out), _norm(etree.fromstring(SHAPES.read_bytes()))
    [project, dumped] = written[3][1][3]
    assert project[0] == "project" and dumped == original[3][1][3][1]
    fields = {f[0]: f for f in project[3]}
    assert fields["name"][2] == "street scenes" and fields["subsets"][2] == "default\ntrain"
    [task, other] = fields["tasks"][3]
    old_task = [f for f in original[3][1][3][0][3] if f[0] not in ("labels", "subset")]
    assert task[3] == [*old_task, ("subset", {}, "default", [])]
    assert other[3] == [("name", {}, "train", []), ("mode", {}, "annotation", []),
                        ("subset", {}, "train", [])]
    assert fields["labels"] == next(f for f in original[3][1][3][0][3] if f[0] == "labels")
    # the images: each names its subset, nothing else changes
    names = [el[1].pop("subset") for el in written[3][2:]]
    assert names == ["default", "train", "default"]
    original[3][3][1].pop("subset")
    assert written[3][2:] == original[3][2:]
    again, _ = _read(out)
    assert again is not None and first_difference(ds, again) is None


def test_default_is_cvat_name_for_no_subset(tmp_path: Path) -> None:
    # CVAT writes <subset>default</subset> for a task without one, and subset="default" on a
    # project's images: both read as none; an IR subset named so is said (AF507)
    ds = _tiny([BBox(label="a", x=0, y=0, w=1, h=1)])
    named = ds.model_copy(update={"items": [ds.items[0].model_copy(
        update={"subset": "default"}), ds.items[0].model_copy(update={"id": "1",
                                                                       "subset": "val"})]})
    out = tmp_path / "d.xml"
    report = _write(named, out)
    assert [(d.code, d.ctx["what"]) for d in report] == [("AF507", "subset name 'default'")]
    again, _ = _read(out)
    assert again is not None and [i.subset for i in again.items] == [None, "val"]


@SETTINGS
@given(st.sampled_from([None, [["dumped", "x"]],
                        [["task", [["name", "t"], ["subset", "Train"], ["labels", None]]]],
                        [["task", [["name", "t"], ["labels", None]]], ["dumped", "x"]],
                        [["project", [["name", "p"], ["labels", None], ["subsets", "a\nb"],
                                      ["tasks", [["task", [["subset", "a"]]],
                                                 ["task", [["subset", "b"]]]]]]]]]),
       st.lists(st.sampled_from([None, "a", "b", "Train"]), max_size=4, unique=True))
def test_fit_meta_says_the_subsets_and_is_idempotent(tree: Any, subsets: list[Any]) -> None:
    from annoformat.formats.cvat._common import fit_meta, is_project, subset_text

    fitted = fit_meta(tree, subsets)
    assert fit_meta(fitted, subsets) == fitted
    if fitted is None:
        assert tree is None and len(subsets) <= 1
        return
    text = str(fitted)
    for node in tree or []:  # nothing of the source's meta is dropped but what it said
        kept = [v for v in (node[1] if isinstance(node[1], list) else [node])
                if v[0] not in ("subset", "subsets", "tasks")]
        assert all(str(v) in text for v in kept)
    if is_project(fitted, subsets):
        [project] = [n for n in fitted if n[0] == "project"]
        tasks = dict(project[1])["tasks"]
        named = {v for _, task in tasks for k, v in task if k == "subset"}
        assert {subset_text(s) for s in subsets} <= named
    elif any(n[0] == "task" for n in fitted):
        [task] = [n for n in fitted if n[0] == "task"]
        said = [v for k, v in task[1] if k == "subset"]
        if subsets:
            assert said in ([], ["default"]) if subsets[0] is None else said == [subsets[0]]


def test_writer_uses_cvat_number_style(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[Item(id="0", media=Image(
        path="a.jpg", width=10, height=10), annotations=[
            BBox(label="a", x=0.1, y=1 / 3, w=2, h=1e-5, origin="human")])])
    out = tmp_path / "o.xml"
    _write(ds, out)
    box = etree.fromstring(out.read_bytes()).find("image/box")
    assert box is not None
    attrs: dict[str, str] = {str(k): str(v) for k, v in box.attrib.items()}
    assert attrs == {"label": "a", "source": "manual", "xtl": "0.10", "ytl": "0.3333333333",
                     "xbr": "2.10", "ybr": "0.3333433333"}


def test_video_write_rebuilds_the_same_tracks(tmp_path: Path) -> None:
    ds, _ = _read(VIDEO)
    assert ds is not None
    out = tmp_path / "v.xml"
    _write(ds, out)
    root = etree.fromstring(out.read_bytes())
    tracks = [(t.get("id"), t.get("label"), t.get("group_id"),
               [(s.tag, s.get("frame"), s.get("keyframe"), s.get("outside")) for s in t])
              for t in root.iter("track")]
    assert tracks == [
        ("0", "car", "3", [("box", "10", "1", "0"), ("box", "12", "0", "0"),
                           ("box", "14", "1", "1")]),
        ("1", "car", None, [("polygon", "12", "1", "0"), ("polygon", "14", "1", "0")]),
        ("2", "hand", None, [("skeleton", "10", "1", None), ("skeleton", "12", "0", None)]),
    ]


def test_video_to_images_to_video_keeps_tracks(tmp_path: Path) -> None:
    ds, _ = _read(VIDEO)
    assert ds is not None
    images, video = tmp_path / "images.xml", tmp_path / "video.xml"
    assert _write(ds, images, "images").codes() == []
    as_images, report = _read(images)
    assert as_images is not None and report.codes() == []
    assert as_images.extras["cvat"]["flavour"] == "images"
    assert _write(as_images, video, "video").codes() == []
    again, _ = _read(video)
    assert again is not None

    def tracks(d: Dataset) -> dict[str, list[Any]]:
        return {item.id: [a.model_dump(exclude={"extras"}) for a in item.annotations]
                for item in d.items if item.annotations}
    assert tracks(as_images) == tracks(ds) == tracks(again)
    # the images flavour has no "outside": the rebuilt track 0 ends after frame 12 and
    # the single-frame skeleton track 2 is not ended (CVAT interpolates skeletons)
    root = etree.fromstring(video.read_bytes())
    track0 = root.find("track")
    assert track0 is not None
    assert [(s.get("frame"), s.get("outside")) for s in track0] == [
        ("10", "0"), ("12", "0"), ("14", "1")]


def _tiny(anns: list[Any], labels: list[Label] | None = None, media: Any = None) -> Dataset:
    media = media or Image(path="a.jpg", width=10, height=10)
    return Dataset(labels=labels or [Label(name="a")],
                   items=[Item(id="0", media=media, annotations=anns)])


def test_writer_loss_codes(tmp_path: Path) -> None:
    out = tmp_path / "o.xml"
    two_rings = Polygon(label="a", rings=[[0, 0, 1, 0, 1, 1], [5, 5, 6, 5, 6, 6]])
    report = _write(_tiny([two_rings]), out)
    assert [(d.code, d.ctx) for d in report] == [("AF521", {"count": 1, "ids": ["0/#0"],
                                                           "format": "cvat"})]
    assert len(etree.fromstring(out.read_bytes()).findall("image/polygon")) == 2

    frame = VideoFrame(path="v.mp4", frame=0, width=10, height=10)
    report = _write(_tiny([Tag(label="a")], media=frame), tmp_path / "v.xml", "video")
    assert [(d.code, d.ctx["count"]) for d in report] == [("AF520", 1)]

    listed = BBox(label="a", x=0, y=0, w=1, h=1, attributes={"tags": ["x", "y"]})
    report = _write(_tiny([listed]), tmp_path / "l.xml")
    assert [(d.code, d.ctx["count"]) for d in report] == [("AF522", 1), ("AF522", 1)]

    kp = Keypoints(label="a", points=[1, 1], visibility=[2])
    report = _write(_tiny([kp]), tmp_path / "k.xml")
    assert [(d.code, d.ctx) for d in report] == [("AF523", {"count": 1, "ids": ["0/#0"],
                                                           "format": "cvat"})]
    assert etree.fromstring((tmp_path / "k.xml").read_bytes()).find("image/points") is not None

    small = Mask(label="a", counts=masks.encode(np.ones((2, 2), np.uint8)), height=2, width=2)
    report = _write(_tiny([small]), tmp_path / "m.xml")
    assert [(d.code, d.ctx) for d in report] == [("AF305", {
        "mask_width": 2, "mask_height": 2, "width": 10, "height": 10})]


def _polygons(path: Path) -> list[dict[str, str]]:
    return [dict(el.attrib) for el in etree.fromstring(path.read_bytes()).iter("polygon")]


def test_rings_of_one_polygon_share_a_group_and_read_back_as_one(tmp_path: Path) -> None:
    out = tmp_path / "o.xml"
    rings = [[0, 0, 1, 0, 1, 1], [5, 5, 6, 5, 6, 6], [2, 2, 3, 2, 3, 3]]
    loose = Polygon(label="a", rings=rings, attributes={"n": 1}, z_order=2)
    grouped = Polygon(label="a", rings=rings[:2], group=3, occluded=True)
    box = BBox(label="a", x=0, y=0, w=1, h=1, group=7)
    spec = AttributeSpec(name="n", input_type="number", values=["0", "9", "1"], default=0)
    ds = _tiny([box, loose, grouped, Polygon(label="a", rings=rings[:1])],
               [Label(name="a", attributes=[spec])])
    assert _write(ds, out).codes() == ["AF521"]
    written = _polygons(out)
    # a new group id, above every group of the dataset (datumaro reads 0 as no group)
    assert [(p["group_id"], p["annoformat_ring"], p.get("annoformat_group"))
            for p in written[:5]] == [("8", "0", "added"), ("8", "1", "added"),
                                      ("8", "2", "added"), ("3", "0", None), ("3", "1", None)]
    assert "group_id" not in written[5] and "annoformat_ring" not in written[5]
    again, report = _read(out)
    assert again is not None and report.codes() == []
    assert first_difference(ds, again.model_copy(update={"extras": {}})) is None


def test_video_rings_beyond_the_first_are_tracks_of_their_own(tmp_path: Path) -> None:
    # a track holds one shape a frame: two rings at one frame made CVAT (and the reader, AF226)
    # drop one; each extra ring is now a track of its own, in the polygon's group
    rings = [[0, 0, 1, 0, 1, 1], [5, 5, 6, 5, 6, 6]]
    ds = Dataset(labels=[Label(name="a")], items=[
        Item(id=str(f), media=VideoFrame(path="v.mp4", frame=f, width=10, height=10),
             annotations=[Polygon(label="a", track_id=4, rings=rings),
                          Polygon(label="a", rings=rings, group=2)]) for f in (0, 1)])
    out = tmp_path / "v.xml"
    assert _write(ds, out, "video").codes() == ["AF521"]
    tracks = etree.fromstring(out.read_bytes()).findall("track")
    assert [(t.get("id"), t.get("group_id"), len(t.findall("polygon[@outside='0']")))
            for t in tracks] == [("4", "3", 2), ("5", "2", 1), ("6", "2", 1), ("7", "3", 2),
                                 ("8", "2", 1), ("9", "2", 1)]
    again, report = _read(out)
    assert again is not None and report.codes() == []
    assert [sorted(r for a in i.annotations for r in a.rings) for i in again.items] == [
        sorted(rings * 2)] * 2


def test_grouped_polygons_are_joined_only_when_marked_and_alike(tmp_path: Path) -> None:
    head = ('<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version><meta>'
            '<task><labels><label><name>a</name></label></labels></task></meta>'
            '<image id="0" name="a.jpg" width="10" height="10">')
    tri, tri2 = 'points="0,0;1,0;1,1"', 'points="5,5;6,5;6,6"'
    cases = {
        # a CVAT group of two polygons: two objects as far as the file says
        "unmarked": (f'<polygon label="a" {tri} group_id="1"/>'
                     f'<polygon label="a" {tri2} group_id="1"/>', [1, 1]),
        "marked": (f'<polygon label="a" {tri} group_id="1" annoformat_ring="0"/>'
                   f'<polygon label="a" {tri2} group_id="1" annoformat_ring="1"/>', [2]),
        "other z_order": (f'<polygon label="a" {tri} group_id="1" annoformat_ring="0"/>'
                          f'<polygon label="a" {tri2} group_id="1" annoformat_ring="1" '
                          'z_order="1"/>', [1, 1]),
        "other group": (f'<polygon label="a" {tri} group_id="1" annoformat_ring="0"/>'
                        f'<polygon label="a" {tri2} group_id="2" annoformat_ring="1"/>', [1, 1]),
        "not next": (f'<polygon label="a" {tri} group_id="1" annoformat_ring="0"/>'
                     '<box label="a" xtl="0" ytl="0" xbr="1" ybr="1"/>'
                     f'<polygon label="a" {tri2} group_id="1" annoformat_ring="1"/>', [1, 1]),
        "ring skipped": (f'<polygon label="a" {tri} group_id="1" annoformat_ring="0"/>'
                         f'<polygon label="a" {tri2} group_id="1" annoformat_ring="2"/>',
                         [1, 1]),
    }
    for name, (shapes, expected) in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.xml"
        path.write_text(head + shapes + "</image></annotations>")
        ds, report = _read(path)
        assert ds is not None and report.codes() == [], name
        anns = ds.items[0].annotations
        assert [len(a.rings) for a in anns if isinstance(a, Polygon)] == expected, name
        # the group is kept: only a group the writer added goes
        assert all(a.group is not None for a in anns if isinstance(a, Polygon)), name


def test_writer_refuses_a_track_with_two_labels(tmp_path: Path) -> None:
    frames = [Item(id=str(f), media=VideoFrame(path="v.mp4", frame=f), annotations=[
        BBox(label=lb, x=0, y=0, w=1, h=1, track_id=7)]) for f, lb in ((0, "a"), (1, "b"))]
    ds = Dataset(labels=[Label(name="a"), Label(name="b")], items=frames)
    report = _write(ds, tmp_path / "v.xml")
    assert [(d.code, d.ctx) for d in report] == [("AF228", {"track_id": 7, "labels": "a, b"})]


def test_writer_renumbers_non_integer_ids_and_declares_used_attributes(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[
        Item(id="x", media=Image(path="x.jpg", width=4, height=4), annotations=[
            BBox(label="a", x=0, y=0, w=1, h=1,
                 attributes={"n": 3, "f": True, "s": "0003", "r": 0.5})]),
        Item(id="y", media=Image(path="y.jpg", width=4, height=4), annotations=[
            BBox(label="a", x=0, y=0, w=1, h=1, attributes={"n": 7})])])
    out = tmp_path / "o.xml"
    report = _write(ds, out)
    assert [(d.code, d.ctx["count"]) for d in report] == [("AF508", 2)]
    again, rep = _read(out)
    assert again is not None and rep.codes() == []
    assert [i.id for i in again.items] == ["0", "1"]
    assert again.labels[0].attributes == [
        AttributeSpec(name="n", input_type="number", values=["3", "7", "1"], default=3),
        AttributeSpec(name="f", input_type="checkbox", values=["false"], default=False),
        AttributeSpec(name="s", input_type="text"),
        AttributeSpec(name="r", input_type="number", values=["0.5", "0.5", "0.01"],
                      default=0.5)]
    assert again.items[0].annotations[0].attributes == {"n": 3, "f": True, "s": "0003",
                                                        "r": 0.5}


def test_flavour_option_and_auto(tmp_path: Path) -> None:
    frame = VideoFrame(path="v.mp4", frame=3, width=10, height=10)
    ds = _tiny([BBox(label="a", x=0, y=0, w=1, h=1, track_id=1)], media=frame)
    _write(ds, tmp_path / "auto.xml")
    assert etree.fromstring((tmp_path / "auto.xml").read_bytes()).find("track") is not None
    _write(ds, tmp_path / "img.xml", "images")
    image = etree.fromstring((tmp_path / "img.xml").read_bytes()).find("image")
    assert image is not None and image.get("name") == "frame_000003"
    track_attr = image.find("box/attribute")
    assert track_attr is not None and (track_attr.get("name"), track_attr.text) == ("track_id",
                                                                                  "1")


# ------------------------------------------------------------------------------------------
# properties


def _without_cvat_meta(ds: Dataset) -> Dataset:
    """The dataset minus CVAT's task bookkeeping (meta tree and flavour), which a dataset made
    elsewhere gains on its first write."""
    return ds.model_copy(update={"extras": {}})


@SETTINGS
@given(cvat_image_datasets())
def test_ir_cvat_ir_is_lossless_for_images(tmp_path: Path, ds: Dataset) -> None:
    out = tmp_path / "p.xml"
    out.unlink(missing_ok=True)
    assert _write(ds, out).codes() == []
    again, report = _read(out)
    assert again is not None and not report.has_errors, report.codes()
    assert first_difference(ds, _without_cvat_meta(again)) is None


@st.composite
def _with_multi_ring_polygons(draw: Any) -> Dataset:
    """CVAT image datasets with multi-ring polygons among their annotations (any group, any
    attributes their label declares, next to one-ring polygons of the same group)."""
    ds = draw(cvat_image_datasets())
    plain = [lb for lb in ds.labels if not lb.keypoints]
    for item in ds.items:
        w, h = item.media.width or 1, item.media.height or 1  # type: ignore[union-attr]
        for _ in range(draw(st.integers(0, 3))):
            label = draw(st.sampled_from(plain))
            specs = draw(st.lists(st.sampled_from(label.attributes), unique_by=lambda a: a.name)
                         ) if label.attributes else []
            ring = st.lists(st.integers(0, 4 * w), min_size=6, max_size=10).map(
                lambda v: [x / 4 for x in v[: len(v) // 2 * 2]])
            polygon = Polygon(
                label=label.name, rings=draw(st.lists(ring, min_size=1, max_size=4)),
                group=draw(st.none() | st.integers(0, 5)),
                z_order=draw(st.none() | st.integers(-1, 1)),
                occluded=draw(st.none() | st.booleans()),
                attributes={s.name: s.default if s.default is not None else s.values[0]
                            for s in specs if s.input_type != "text"})
            item.annotations.insert(draw(st.integers(0, len(item.annotations))), polygon)
            if h and draw(st.booleans()):  # a one-ring twin: same fields, same group
                twin = polygon.model_copy(update={"rings": [polygon.rings[0]]})
                item.annotations.insert(item.annotations.index(polygon) + 1, twin)
    return ds


@SETTINGS
@given(_with_multi_ring_polygons())
def test_ir_cvat_ir_keeps_multi_ring_polygons(tmp_path: Path, ds: Dataset) -> None:
    out = tmp_path / "m.xml"
    out.unlink(missing_ok=True)
    assert set(_write(ds, out).codes()) <= {"AF521"}
    again, report = _read(out)
    assert again is not None and not report.has_errors, report.codes()
    assert first_difference(ds, _without_cvat_meta(again)) is None
    # and CVAT -> IR -> CVAT writes the same file again
    twice = tmp_path / "m2.xml"
    twice.unlink(missing_ok=True)
    _write(again, twice)
    assert twice.read_bytes() == out.read_bytes()


@SETTINGS
@given(cvat_video_datasets())
def test_ir_cvat_video_ir_keeps_frames_and_tracks(tmp_path: Path, ds: Dataset) -> None:
    out = tmp_path / "v.xml"
    out.unlink(missing_ok=True)
    assert _write(ds, out, "video").codes() == []
    again, report = _read(out)
    assert again is not None and not report.has_errors, report.codes()
    assert [i.media for i in again.items] == [i.media for i in ds.items]
    for a, b in zip(ds.items, again.items, strict=True):
        assert [x.model_dump() for x in a.annotations] == [y.model_dump()
                                                          for y in b.annotations]


@SETTINGS
@given(cvat_video_datasets())
def test_video_images_video_keeps_tracks(tmp_path: Path, ds: Dataset) -> None:
    one, two = tmp_path / "one.xml", tmp_path / "two.xml"
    for p in (one, two):
        p.unlink(missing_ok=True)
    assert _write(ds, one, "images").codes() == []
    images, _ = _read(one)
    assert images is not None
    assert _write(images, two, "video").codes() == []
    again, report = _read(two)
    assert again is not None and not report.has_errors

    def annotated(d: Dataset) -> dict[str, list[Any]]:
        return {i.id: [a.model_dump() for a in i.annotations] for i in d.items if i.annotations}
    assert annotated(again) == annotated(ds)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 6000), st.integers(1, 400))
def test_damaged_files_give_codes_not_tracebacks(cut: int, length: int) -> None:
    data = SHAPES.read_bytes()
    damaged = data[:cut] + data[cut + length:]
    report = Report()
    ds = Reader("damaged.xml", report).read(damaged)
    assert ds is not None or report.has_errors


# ------------------------------------------------------------------------------------------
# conversions


def _loss(result: af.ConversionResult) -> list[tuple[str, dict[str, Any]]]:
    return [(d.code, d.ctx) for d in result.loss]


def test_cvat_to_coco_reports_exactly_what_is_lost(tmp_path: Path) -> None:
    refused = af.convert(SHAPES, tmp_path / "no.json", to="coco")
    assert not refused.written
    result = af.convert(SHAPES, tmp_path / "c.json", to="coco", allow_loss=True)
    assert result.written
    assert _loss(result) == [
        ("AF501", {"format": "coco", "kind": "ellipse", "count": 1, "ids": ["0/#5"]}),
        ("AF501", {"format": "coco", "kind": "points", "count": 2, "ids": ["0/#4", "1/#3"]}),
        ("AF501", {"format": "coco", "kind": "polyline", "count": 1, "ids": ["0/#3"]}),
        ("AF501", {"format": "coco", "kind": "rotated_bbox", "count": 1, "ids": ["0/#1"]}),
        ("AF501", {"format": "coco", "kind": "tag", "count": 1, "ids": ["0/#6"]}),
        ("AF506", {"format": "coco", "field": "group", "count": 2, "ids": ["0/#0", "0/#2"]}),
        ("AF507", {"format": "coco", "what": "annotation extras (cvat)", "detail": "3 object(s)"}),
        ("AF507", {"format": "coco", "what": "attribute specs", "detail": "car"}),
        ("AF507", {"format": "coco", "what": "dataset extras (cvat)", "detail": "1 object(s)"}),
        ("AF507", {"format": "coco", "what": "label extras (cvat)", "detail": "3 object(s)"}),
        ("AF507", {"format": "coco (single file)", "what": "subsets", "detail": "train"}),
        ("AF508", {"format": "coco", "what": "annotation",
                 "reason": "annotation ids are missing, not integers or not unique", "count": 5,
                 "ids": ["0/#0", "0/#2", "1/#0", "1/#1", "1/#2"]}),
        # the road polygon is exactly its box's rectangle: COCO reads it back as the box
        ("AF513", {"format": "coco", "count": 1, "ids": ["0/#2"]}),
    ]
    coco = af.load(tmp_path / "c.json")
    box = coco.items[0].annotations[0]
    assert (box.attributes, box.occluded, box.z_order) == (
        {"model": "light blue", "parked": True, "speed": 42, "plate": "0003"}, False, 1)


def test_coco_to_cvat_reports_exactly_what_is_lost(tmp_path: Path) -> None:
    src = FIX.parents[1] / "coco" / "good" / "minimal" / "annotations.json"
    result = af.convert(src, tmp_path / "c.xml", to="cvat", allow_loss=True)
    assert result.written
    assert _loss(result) == [
        ("AF506", {"format": "cvat", "field": "crowd", "count": 1, "ids": ["2/12"]}),
        ("AF507", {"format": "cvat", "what": "annotation extras (coco)", "detail": "1 object(s)"}),
        ("AF507", {"format": "cvat", "what": "dataset extras (coco)", "detail": "1 object(s)"}),
        ("AF507", {"format": "cvat", "what": "info", "detail": "description, version, year"}),
        ("AF507", {"format": "cvat", "what": "item extras (coco)", "detail": "2 object(s)"}),
        ("AF507", {"format": "cvat", "what": "label ids", "detail": "cat, dog"}),
        ("AF507", {"format": "cvat", "what": "supercategories", "detail": "cat, dog"}),
        ("AF521", {"format": "cvat", "count": 1, "ids": ["1/11"]}),
    ]
    back, report = _read(tmp_path / "c.xml")
    assert back is not None and report.codes() == []
    box = back.items[1].annotations[1]
    assert (box.label, box.occluded, box.attributes) == ("cat", True, {"color": "black"})
    mask = back.items[1].annotations[0]
    assert isinstance(mask, Mask)
    assert np.argwhere(masks.decode(mask.counts, 240, 320)).tolist() == [
        [1, 1], [1, 2], [1, 3], [2, 1], [2, 2], [2, 3]]


def test_cvat_coco_cvat_keeps_attributes_and_fields(tmp_path: Path) -> None:
    ds = _tiny([BBox(label="a", x=1, y=2, w=3, h=4, occluded=True, z_order=2, track_id=9,
                     attributes={"kind": "b", "n": 4})],
               labels=[Label(name="a")])
    af.save(ds, tmp_path / "a.xml", format="cvat")
    result = af.convert(tmp_path / "a.xml", tmp_path / "b.json", to="coco", allow_loss=True)
    assert _loss(result) == [
        ("AF507", {"format": "coco", "what": "attribute specs", "detail": "a"}),
        ("AF507", {"format": "coco", "what": "dataset extras (cvat)", "detail": "1 object(s)"}),
        ("AF508", {"format": "coco", "what": "annotation",
                 "reason": "annotation ids are missing, not integers or not unique", "count": 1,
                 "ids": ["0/#0"]}),
    ]
    back = af.convert(tmp_path / "b.json", tmp_path / "c.xml", to="cvat", allow_loss=True)
    assert back.written
    again, _ = _read(tmp_path / "c.xml")
    assert again is not None
    box = again.items[0].annotations[0]
    assert (box.occluded, box.z_order, box.track_id, box.attributes) == (
        True, 2, 9, {"kind": "b", "n": 4})


def _has(name: str) -> bool:
    return name in af.registry.list_formats()


@pytest.mark.skipif(not _has("voc"), reason="VOC is not available")
def test_cvat_to_voc_reports_exactly_what_is_lost(tmp_path: Path) -> None:
    result = af.convert(SHAPES, tmp_path / "voc", to="voc", allow_loss=True)
    assert result.written, [d.message for d in result.report.errors]
    assert _loss(result) == [
        ("AF501", {"format": "voc", "kind": "ellipse", "count": 1, "ids": ["0/#5"]}),
        ("AF501", {"format": "voc", "kind": "keypoints", "count": 1, "ids": ["1/#2"]}),
        ("AF501", {"format": "voc", "kind": "points", "count": 2, "ids": ["0/#4", "1/#3"]}),
        ("AF501", {"format": "voc", "kind": "polyline", "count": 1, "ids": ["0/#3"]}),
        ("AF501", {"format": "voc", "kind": "rotated_bbox", "count": 1, "ids": ["0/#1"]}),
        ("AF501", {"format": "voc", "kind": "tag", "count": 1, "ids": ["0/#6"]}),
        # the two masks are written exactly: their boxes and SegmentationObject/Class PNGs
        ("AF502", {"format": "voc", "kind": "polygon", "target": "bbox", "count": 1,
                 "ids": ["0/#2"]}),
        ("AF506", {"format": "voc", "field": "z_order", "count": 1, "ids": ["0/#0"]}),
        ("AF507", {"format": "voc", "what": "annotation extras (cvat)", "detail": "2 object(s)"}),
        ("AF507", {"format": "voc", "what": "attribute specs", "detail": "car"}),
        ("AF507", {"format": "voc", "what": "dataset extras (cvat)", "detail": "1 object(s)"}),
        ("AF507", {"format": "voc", "what": "keypoint names and skeletons", "detail": "hand"}),
        ("AF507", {"format": "voc", "what": "label extras (cvat)", "detail": "3 object(s)"}),
        ("AF508", {"format": "voc", "what": "image",
                 "reason": "VOC identifies an image by its file stem", "count": 3,
                 "ids": ["0", "1", "2"]}),
        ("AF510", {"format": "voc",
                 "reason": "VOC groups only an object with the parts nested in it (extras voc "
                           "part); other groups become plain objects",
                 "count": 2, "ids": ["0/#0", "0/#2"]}),
        ("AF511", {"format": "voc", "names": "plate", "count": 1, "ids": ["0/#0"]}),
        ("AF512", {"format": "voc", "names": "hand", "count": 1}),
        # who made them (source="manual": people; "auto": a model) has no place in VOC
        ("AF524", {"format": "voc", "field": "origin", "detail": "", "count": 4,
                   "ids": ["0/#0", "0/#2", "1/#0", "1/#1"]}),
    ]


@pytest.mark.skipif(not _has("yolo"), reason="YOLO is not available")
def test_cvat_yolo_cvat_reports_exactly_what_is_lost(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="car"), Label(name="bus")], items=[
        Item(id="0", media=Image(path="a.jpg", width=100, height=50), annotations=[
            BBox(label="car", x=10, y=5, w=20, h=10, occluded=True, z_order=1, track_id=3,
                 attributes={"parked": True}),
            BBox(label="bus", x=0, y=0, w=100, h=50)]),
        Item(id="1", media=Image(path="b.jpg", width=100, height=50))])
    af.save(ds, tmp_path / "a.xml", format="cvat")
    result = af.convert(tmp_path / "a.xml", tmp_path / "yolo", to="yolo", allow_loss=True)
    assert result.written, [d.message for d in result.report.errors]
    assert _loss(result) == [
        ("AF503", {"format": "yolo", "names": "parked", "count": 1}),
        ("AF504", {"format": "yolo", "field": "track_id", "count": 1, "ids": ["0/#0"]}),
        ("AF506", {"format": "yolo", "field": "occluded", "count": 1, "ids": ["0/#0"]}),
        ("AF506", {"format": "yolo", "field": "z_order", "count": 1, "ids": ["0/#0"]}),
        ("AF507", {"format": "yolo", "what": "attribute specs", "detail": "car"}),
        ("AF507", {"format": "yolo", "what": "dataset extras (cvat)", "detail": "1 object(s)"}),
        ("AF507", {"format": "yolo", "what": "item ids",
                 "detail": "2 item(s); YOLO names items by image path"}),
    ]
    back = af.convert(tmp_path / "yolo", tmp_path / "b.xml", to="cvat", allow_loss=True)
    assert back.written
    assert _loss(back) == [
        ("AF507", {"format": "cvat", "what": "dataset extras (yolo)", "detail": "1 object(s)"}),
        ("AF508", {"format": "cvat", "what": "image",
                 "reason": "item ids are not integers unique within their subset", "count": 2,
                 "ids": ["a", "b"]}),
    ]
    again, _ = _read(tmp_path / "b.xml")
    assert again is not None
    assert [(a.label, a.x, a.y, a.w, a.h) for a in again.items[0].annotations  # type: ignore
            ] == [("car", 10, 5, 20, 10), ("bus", 0, 0, 100, 50)]
    assert [i.media.path for i in again.items] == ["a.jpg", "b.jpg"]  # type: ignore


def test_text_xml_cannot_hold_is_refused_not_written(tmp_path: Path) -> None:
    ds = _tiny([BBox(label="a", x=0, y=0, w=1, h=1, attributes={"note": "bell\x07"})])
    out = tmp_path / "o.xml"
    report = _write(ds, out)
    # the plan refuses it (AF068, not lifted by allow_loss); the writer, run anyway, too
    assert report.codes() == ["AF068", "AF102"] and not out.exists()
    assert report.diagnostics[0].ctx["ids"] == ["/items/0/annotations/0/attributes/note"]


def test_writer_alone_refuses_a_label_xml_cannot_hold(tmp_path: Path) -> None:
    ds = _tiny([BBox(label="a\x1b", x=0, y=0, w=1, h=1)], labels=[Label(name="a\x1b")])
    report = Report()
    cvat.write(ds, tmp_path / "o.xml", cvat.Options(), report)
    assert report.codes() == ["AF068"] and not (tmp_path / "o.xml").exists()


def test_special_characters_survive(tmp_path: Path) -> None:
    text = 'a<b & "c"\n\td\r'
    ds = _tiny([Tag(label='x "&<y>', attributes={"note": text})],
               labels=[Label(name='x "&<y>', attributes=[AttributeSpec(name="note")])])
    out = tmp_path / "o.xml"
    assert _write(ds, out).codes() == []
    again, report = _read(out)
    assert again is not None and report.codes() == []
    tag = again.items[0].annotations[0]
    assert (tag.label, tag.attributes) == ('x "&<y>', {"note": text})


def test_coco_keypoints_become_a_cvat_skeleton(tmp_path: Path) -> None:
    src = FIX.parents[1] / "coco" / "good" / "keypoints" / "person_keypoints.json"
    coco = af.load(src)
    person = next(lb for lb in coco.labels if lb.keypoints)
    result = af.convert(src, tmp_path / "k.xml", to="cvat", allow_loss=True)
    assert result.written, [d.message for d in result.report.errors]
    again, report = _read(tmp_path / "k.xml")
    assert again is not None and not report.has_errors
    label = next(lb for lb in again.labels if lb.name == person.name)
    assert (label.keypoints, label.skeleton) == (person.keypoints, person.skeleton)
    before = [a for i in coco.items for a in i.annotations if isinstance(a, Keypoints)]
    after = [a for i in again.items for a in i.annotations if isinstance(a, Keypoints)]
    assert [(a.points, a.visibility) for a in after] == [(a.points, a.visibility)
                                                         for a in before]


def test_an_export_folder_reads_as_its_annotations_xml(tmp_path: Path) -> None:
    export = tmp_path / "task_7_dataset"
    (export / "images").mkdir(parents=True)
    shutil.copy(SHAPES, export / "annotations.xml")
    assert af.detect(export).name == "cvat"
    assert first_difference(af.load(export), af.load(SHAPES)) is None
    (export / "annotations.xml").unlink()
    assert af.detect(export).verdicts["cvat"].reason == (
        "a folder without annotations.xml or CVAT XML files")


def test_an_unlabelled_shape_is_kept_without_a_label(tmp_path: Path) -> None:
    bad = FIX.parent / "bad" / "AF227-unlabelled-shape" / "annotations.xml"
    ds, report = _read(bad)
    assert ds is not None and [d.code for d in report] == ["AF227"]
    (polygon,) = ds.items[0].annotations
    assert polygon.label is None and polygon.rings == [[1.0, 1.0, 9.0, 1.0, 5.0, 5.0]]
    refused = af.convert(bad, tmp_path / "a.json", to="coco")
    assert not refused.written
    assert [(d.code, d.ctx["kind"]) for d in refused.report.errors] == [
        ("AF501", "unlabelled polygon")]
    # CVAT itself and annoformat's jsonl keep it
    for name in ("cvat", "jsonl"):
        kept = af.convert(bad, tmp_path / f"k.{name}", to=name)
        assert kept.written and kept.loss == []
        assert af.load(tmp_path / f"k.{name}", name).items[0].annotations[0].label is None


def test_a_number_spec_that_is_not_a_range_is_kept_and_not_checked() -> None:
    bad = FIX.parent / "bad" / "AF229-number-values-not-a-range" / "annotations.xml"
    ds, report = _read(bad)
    assert ds is not None and [d.code for d in report] == ["AF229"]
    speed = next(s for s in ds.labels[0].attributes if s.name == "speed")
    assert (speed.input_type, speed.values) == ("number", ["0;120"])


def test_the_parts_of_one_polygon_share_a_group(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[Item(
        id="0", media=Image(path="a.png", width=50, height=50), annotations=[
            Polygon(label="a", rings=[[1, 1, 5, 1, 5, 5], [10, 10, 15, 10, 15, 15]]),
            Polygon(label="a", group=3, rings=[[20, 20, 25, 20, 25, 25]]),
            Polygon(label="a", group=3, rings=[[30, 30, 35, 30, 35, 35], [40, 40, 45, 40, 45, 45]]),
        ])])
    af.save(ds, tmp_path / "a.xml", format="cvat", allow_loss=True)
    xml = (tmp_path / "a.xml").read_text()
    # a new group (above every group of the dataset) for the first; the third keeps its own
    assert xml.count('group_id="4"') == 2 and xml.count('group_id="3"') == 3
    back = af.load(tmp_path / "a.xml")
    assert [(len(a.rings), a.group) for a in back.items[0].annotations  # type: ignore[union-attr]
            ] == [(2, None), (1, 3), (2, 3)]


def test_source_is_the_origin_and_kept_as_it_came(tmp_path: Path) -> None:
    """manual, semi-auto and consensus are people's work, auto a model's; file (imported) and
    no source say nothing. The value read is written back while the origin still says the
    same; a changed origin, or an annotation from another format, gets the origin's own."""
    sources = ["manual", "semi-auto", "consensus", "auto", "file", None]
    boxes = "".join(
        f'<box label="a"{f" source={s!r}" if s else ""} xtl="0" ytl="0" xbr="1" ybr="1"/>'
        for s in sources)
    src = tmp_path / "annotations.xml"
    src.write_text('<?xml version="1.0"?><annotations><version>1.1</version><meta><task>'
                   '<labels><label><name>a</name><type>any</type><attributes/></label></labels>'
                   f'</task></meta><image id="0" name="a.jpg" width="4" height="4">{boxes}'
                   '</image></annotations>')
    ds = af.load(src, format="cvat")
    anns = ds.items[0].annotations
    assert [a.origin for a in anns] == ["human", "human", "human", "model", "unknown", "unknown"]
    anns[2].origin = "model"  # a reviewer re-labels a consensus box as a model's
    anns.append(BBox(label="a", x=0, y=0, w=1, h=1, origin="model"))
    anns.append(BBox(label="a", x=0, y=0, w=1, h=1))
    out = tmp_path / "o.xml"
    _write(ds, out)
    written = [b.get("source") for b in etree.fromstring(out.read_bytes()).iter("box")]
    assert written == ["manual", "semi-auto", "auto", "auto", "file", None, "auto", "file"]
