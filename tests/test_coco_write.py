"""The COCO writer's shortcuts give exactly what its general path gives.

Plain boxes and polygons (nothing in attributes, extras, score) skip ``_annotation_dict``, and
annotations are checked and serialised ``CHUNK`` at a time: the bytes must be those of the
general path and of the whole document dumped at once.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annoformat.diagnostics import Report
from annoformat.formats.coco import CAPABILITIES, _write
from annoformat.formats.coco._common import (
    Options,
    box_ring,
    grouped,
    object_ids,
    objects,
    tidy_product,
)
from annoformat.model import BBox, Dataset, Image, Item, Label, Polygon, Tag
from annoformat.parallel import use_jobs
from annoformat.testing.strategies import datasets


def _written(ds: Dataset, path: Path) -> bytes:
    report = Report()
    _write.write(ds, path, Options(), report)
    assert not report.errors
    return path.read_bytes()


def _both(ds: Dataset, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    fast = _written(ds, tmp / "fast.json")
    with monkeypatch.context() as m:
        m.setattr(_write, "_plain", lambda fields: False)  # every object: the general path
        general = _written(ds, tmp / "general.json")
    return fast, general


@given(ds=datasets(CAPABILITIES))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_shortcuts_write_what_the_general_path_writes(ds: Dataset, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fast, general = _both(ds, tmp_path, monkeypatch)
    assert fast == general


def _box_dataset(n: int) -> Dataset:
    rnd = random.Random(16)
    items = []
    for i in range(n // 4):
        anns: list[BBox | Polygon] = []
        for k in range(4):
            x, y = round(rnd.uniform(0, 600), rnd.choice((0, 1, 2, 6))), rnd.uniform(0, 400)
            w, h = round(rnd.uniform(0.5, 300), 2), round(rnd.uniform(0.5, 300), 3)
            if k == 3:  # a polygon beside the boxes, without a stored box or area
                anns.append(Polygon(label="a", id=4 * i + k + 1,
                                    rings=[[x, y, x + w, y, x + w / 3, y + h]]))
            else:
                anns.append(BBox(label="a", id=4 * i + k + 1, x=float(x), y=y, w=w, h=h,
                                 area=None if k else 1.5, crowd=k == 2 or None))
        items.append(Item(id=str(i), media=Image(path=f"{i}.jpg", width=640, height=480),
                          annotations=anns))
    return Dataset(labels=[Label(name="a")], items=items, info={"year": 2017},
                   extras={"coco": {"files": {"": {"other": {"extra_key": [1, 2]}}}}})


def test_chunked_output_is_the_whole_document_dumped_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = _box_dataset(400)
    monkeypatch.setattr(_write, "CHUNK", 7)
    fast, general = _both(ds, tmp_path, monkeypatch)
    assert fast == general
    doc = orjson.loads(fast)
    assert orjson.dumps(doc) == fast  # compact orjson output: the splice adds nothing
    assert list(doc) == ["info", "images", "annotations", "categories", "extra_key"]
    assert [a["id"] for a in doc["annotations"]] == list(range(1, 401))
    first = doc["annotations"][0]
    box = ds.items[0].annotations[0]
    assert isinstance(box, BBox)
    assert first["bbox"] == [box.x, box.y, box.w, box.h]
    assert first["area"] == 1.5  # stored: kept as it came
    second = ds.items[0].annotations[1]
    assert isinstance(second, BBox)
    assert doc["annotations"][1]["area"] == tidy_product(second.w, second.h)
    assert doc["annotations"][1]["segmentation"] == [box_ring(second.x, second.y, second.w,
                                                              second.h)]
    assert doc["annotations"][2]["iscrowd"] == 1
    monkeypatch.setattr(_write, "CHUNK", 10**9)
    assert _written(ds, tmp_path / "one.json") == fast


def test_schema_error_in_a_later_chunk_points_at_the_document_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = _box_dataset(28)
    bad = ds.items[6].annotations[1]  # the 26th object
    bad.extras = {"coco": {"_segmentation": "not a segmentation"}}
    monkeypatch.setattr(_write, "CHUNK", 10)
    report = Report()
    _write.write(ds, tmp_path / "out.json", Options(), report)
    assert {(d.code, d.location.pointer) for d in report.errors} == {
        ("AF102", "/annotations/25/segmentation")}
    assert not (tmp_path / "out.json").exists()


def test_inlined_corners_and_areas_equal_box_ring_and_tidy_product() -> None:
    rnd = random.Random(7)
    boxes = [(round(rnd.uniform(-5, 2000), rnd.choice((0, 1, 2, 3, 10, 17))),
              round(rnd.uniform(-5, 2000), rnd.choice((0, 2, 6))),
              round(rnd.uniform(1e-3, 700), rnd.choice((0, 1, 2, 6, 17))),
              round(rnd.uniform(1e-3, 700), rnd.choice((0, 2, 3)))) for _ in range(20_000)]
    boxes += [(0.0, 0.0, 1.0, 1.0), (1e15, 123456789.123456789, 2.5, 0.1),
              (5e-324, 1e-300, 1e-300, 5e-324), (-0.0, 3.0, 1e300, 1e300)]
    # sums whose decimal place count is close to a whole number
    boxes += [(s / 3, s / 3, s * 2 / 3, s * 2 / 3)
              for s in (10.0 ** e * 2 ** 51 / 10 ** 15 for e in range(-5, 8))]
    dicts = [{"bbox": list(b), "area": None} for b in boxes]
    _write._fill_boxes(dicts)
    for d, (x, y, w, h) in zip(dicts, boxes, strict=True):
        assert d["segmentation"] == [box_ring(x, y, w, h)]
        assert d["area"] == tidy_product(w, h)


def test_a_later_output_that_fails_its_check_leaves_nothing_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # one document per subset, each written as it is checked: the first (train) is on disk
    # when the second (val) fails in its third chunk, and both go with the folder made for them
    ds = _box_dataset(40)
    for i, item in enumerate(ds.items):
        item.subset = "train" if i < 5 else "val"
    ds.items[8].annotations[1].extras = {"coco": {"_segmentation": "not a segmentation"}}
    monkeypatch.setattr(_write, "CHUNK", 5)
    dest = tmp_path / "out"
    dest.mkdir()
    report = Report()
    _write.write(ds, dest, Options(), report)
    assert [(d.code, d.location.path, d.location.pointer) for d in report.errors] == [
        ("AF102", str(dest / "annotations" / "instances_val.json"),
         "/annotations/13/segmentation")]
    assert list(dest.iterdir()) == []
    ds.items[8].annotations[1].extras = {}
    _write.write(ds, dest, Options(), Report())
    assert sorted(p.name for p in (dest / "annotations").iterdir()) == [
        "instances_train.json", "instances_val.json"]


_PART = st.tuples(st.sampled_from([BBox, Polygon, Tag]), st.sampled_from([None, 1, 2, "a"]),
                  st.sampled_from(["cat", "dog", None]))


@given(parts=st.lists(_PART, max_size=6))
@settings(max_examples=300, deadline=None)
def test_objects_shortcut_groups_as_the_long_way(
        parts: list[tuple[type[Any], Any, str | None]]) -> None:
    # objects() skips the grouping when no two annotations share an id (missing ids aside)
    anns: list[Any] = []
    for cls, ann_id, label in parts:
        geometry: dict[str, Any] = {
            BBox: {"x": 0, "y": 0, "w": 1, "h": 1},
            Polygon: {"rings": [[0, 0, 1, 0, 1, 1]]}, Tag: {}}[cls]
        anns.append(cls(label=label, id=ann_id, **geometry))
    def ids(groups: list[list[Any]]) -> list[list[int]]:
        return [[id(a) for a in group] for group in groups]
    assert ids(objects(anns)) == ids(grouped(anns))
    assert object_ids(anns) == [group[0].id for group in grouped(anns)]


def test_chunks_made_in_a_pool_give_the_same_bytes_and_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # with --jobs 2 the chunks are made by forked workers (each reads the items it inherited):
    # the bytes, and a later chunk's schema error with its document index, are one job's
    ds = _box_dataset(400)
    monkeypatch.setattr(_write, "CHUNK", 7)  # 58 chunks: past _POOLED_CHUNKS
    one = _written(ds, tmp_path / "one.json")
    with use_jobs(2):
        assert _written(ds, tmp_path / "two.json") == one
    bad = ds.items[80].annotations[1]  # the 322nd object
    bad.extras = {"coco": {"_segmentation": "not a segmentation"}}
    for n in (1, 2):
        report = Report()
        with use_jobs(n):
            _write.write(ds, tmp_path / f"bad{n}.json", Options(), report)
        assert [(d.code, d.location.pointer) for d in report.errors] == [
            ("AF102", "/annotations/321/segmentation")]
        assert not (tmp_path / f"bad{n}.json").exists()
