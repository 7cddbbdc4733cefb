"""The COCO streaming reader beyond the fixtures (tests/test_stream.py holds it to ``read`` on
every one of them): files not ordered by image, state spilled to disk, the compact tables, the
files it hands to the whole read, and the temporary store it leaves behind (none)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.formats import coco
from annoformat.formats.coco import _stream
from annoformat.formats.coco._read import Reader
from annoformat.formats.coco._table import DenseTable, IntTable
from annoformat.model import Dataset
from annoformat.testing import first_difference

from conftest import fixture_cases


def _both(path: Path) -> tuple[Dataset | None, Report, Dataset | None, Report]:
    """``read`` and the stream (collected) of ``path``, each with its report."""
    whole_report, report = Report(), Report()
    whole = coco.read(path, coco.Options(), whole_report)
    s = coco.stream(path, coco.Options(), report)
    streamed = None if s is None else s.head.model_copy(update={"items": list(s.items)})
    return whole, whole_report, streamed, report


def _recorded(report: Report) -> list[tuple[Any, ...]]:
    return [(d.code, d.message, d.location.pointer, d.location.line, d.location.column)
            for d in report]


def _shuffled_coco(n_images: int, n_anns: int, seed: int = 5) -> dict[str, Any]:
    """A file with its annotations in random order and its images after them, box-only
    objects written three ways, sparse image ids and a few problems."""
    rng = random.Random(seed)
    images = [{"id": 7 * k + 3, "file_name": f"img{k}.jpg", "width": 640, "height": 480}
              for k in range(n_images)]
    anns = []
    for j in range(n_anns):
        img = rng.choice(images)
        ann: dict[str, Any] = {"id": j + 1, "image_id": img["id"], "category_id": 1 + j % 2,
                               "bbox": [10.0, 20.0, 30.0, 40.0], "area": 1200.0, "iscrowd": 0}
        style = j % 10
        if style < 6:
            ann["segmentation"] = [[10.0, 20.0, 40.0, 20.0, 40.0, 60.0, 10.0, 60.0]]
        elif style < 9:
            ann["segmentation"] = []
        anns.append(ann)
    rng.shuffle(anns)
    return {"annotations": anns, "images": images,
            "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
            "info": {"year": 2026}}


def test_a_file_not_ordered_by_image_streams_as_read_gives_it(tmp_path: Path) -> None:
    path = tmp_path / "shuffled.json"
    path.write_bytes(orjson.dumps(_shuffled_coco(50, 600)))
    whole, whole_report, streamed, report = _both(path)
    assert whole is not None and streamed is not None
    assert first_difference(whole, streamed) is None
    assert _recorded(report) == _recorded(whole_report) == []
    # the images' order, each with every annotation that names it
    assert [item.id for item in streamed.items] == [str(7 * k + 3) for k in range(50)]
    assert sum(len(item.annotations) for item in streamed.items) == 600
    # most box-only objects are written as their corners: the few with [] keep theirs
    assert streamed.extras.get("coco", {}).get("_box_segmentation") is None
    kept = [a for item in streamed.items for a in item.annotations
            if a.extras.get("coco", {}).get("_segmentation") == []]
    assert len(kept) == 180


def test_repeated_ids_far_apart_are_found_on_disk(tmp_path: Path) -> None:
    """Past the in-memory batch (16,384 keys) the first positions are asked of the store."""
    doc = _shuffled_coco(30, 20_000, seed=9)
    anns = sorted(doc["annotations"], key=lambda a: a["id"])
    anns[19_990]["id"] = 3  # first met at /annotations/2
    anns[19_995]["image_id"] = 10**6  # no such image
    doc["annotations"] = anns
    doc["images"][25]["file_name"] = "img4.jpg"
    path = tmp_path / "repeats.json"
    path.write_bytes(orjson.dumps(doc))
    whole, whole_report, streamed, report = _both(path)
    assert _recorded(report) == _recorded(whole_report)
    assert [(d.code, d.location.pointer, d.ctx.get("first")) for d in report] == [
        ("AF206", "/images/25/file_name", "/images/4"),
        ("AF204", "/annotations/19990/id", "/annotations/2"),
        ("AF201", "/annotations/19995/image_id", None),
    ]
    assert whole is not None and streamed is not None
    assert first_difference(whole, streamed) is None


def test_an_image_id_written_as_a_float_finds_its_image(tmp_path: Path) -> None:
    doc = _shuffled_coco(3, 4)
    doc["annotations"][0]["image_id"] = 10.0  # image 10 (7 * 1 + 3), as read's lookup finds
    path = tmp_path / "float-id.json"
    path.write_bytes(orjson.dumps(doc))
    whole, whole_report, streamed, report = _both(path)
    assert whole is not None and streamed is not None
    assert first_difference(whole, streamed) is None
    assert _recorded(report) == _recorded(whole_report)


def test_good_fixtures_stream_and_only_unreadable_files_are_read_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    whole: list[str] = []
    real = Reader.read_file

    def spy(self: Reader, path: Path, subset: str | None, in_folder: bool) -> None:
        whole.append(path.name)
        real(self, path, subset, in_folder)

    monkeypatch.setattr(Reader, "read_file", spy)
    read_whole = set()
    for case in fixture_cases("good") + fixture_cases("bad"):
        if case.format != "coco":
            continue
        whole.clear()
        s = coco.stream(case.input, coco.Options(), Report())
        assert s is not None
        list(s.items)
        if whole:
            read_whole.add(case.folder.name)
    # not JSON orjson reads alike, not schema-valid, or nested past orjson's limit
    assert read_whole == {"AF003-invalid-utf8", "AF005-invalid-json", "AF005-truncated",
                          "AF007-nan", "AF008-huge-integer", "AF101-schema-violation",
                          "AF313-number-too-large", "AF902-nesting-too-deep"}


def test_the_head_holds_the_labels_before_the_first_item() -> None:
    s = coco.stream(Path("fixtures/coco/good/minimal/annotations.json"), coco.Options(),
                    Report())
    assert s is not None
    assert s.head.label_names() == ["cat", "dog"]
    assert [item.id for item in s.items] == ["1", "2", "3"]


def test_the_temporary_store_is_removed_read_or_dropped(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr(_stream.tempfile, "tempdir", str(spill))
    good = Path("fixtures/coco/good/keypoints/person_keypoints.json")
    assert len(list(af.iter_items(good))) == 1
    assert list(spill.iterdir()) == []
    s = coco.stream(good, coco.Options(), Report())
    assert s is not None and len(list(spill.iterdir())) == 1  # the first file's passes ran
    del s
    assert list(spill.iterdir()) == []


@pytest.mark.parametrize("table", [IntTable, DenseTable])
def test_the_compact_tables_agree_with_a_dict(table: type[Any]) -> None:
    rng = random.Random(3)
    keys = ([rng.randint(-2**63, 2**63 - 1) for _ in range(3000)] + list(range(5000))
            + [1024 * k for k in range(3000)] + [rng.randint(0, 60_000) for _ in range(3000)])
    t, d = table(), {}
    for n, key in enumerate(keys):
        assert t.get(key) == d.get(key)
        if key not in d:
            d[key] = n
            t[key] = n
    assert len(t) == len(d)
    assert all(t.get(k) == v for k, v in d.items())
    assert t.get(2**62) is None


def test_the_bit_set_only_filters_what_the_store_answers() -> None:
    """A bit set of 16 bits for 3,000 keys says "maybe" for nearly every new key: the store's
    answer decides, so no key is taken for another."""
    spill = _stream._Spill()
    try:
        seen = _stream._Seen(spill, "t", 4)
        rng = random.Random(4)
        d: dict[int, int] = {}
        for n in range(3000):
            key = rng.randint(-2**40, 2**40)
            assert seen.get(key) == d.get(key)
            if key not in d:
                d[key] = n
                seen[key] = n
        assert all(seen.get(k) == v for k, v in d.items())
    finally:
        spill.close()
