"""Sorting past memory (annoformat._spill) and the streamed readers' listings that use it: the
same order as an in-memory sort (stable), runs really written and removed, and a temporary
folder that cannot be written leaving the result as it was, with AF906 said once."""

from __future__ import annotations

import contextlib
import gc
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat import _spill
from annoformat._spill import SortedSpill
from annoformat.diagnostics import Report
from annoformat.formats.yolo import _layout
from annoformat.registry import get_format, parse_options

from conftest import FIXTURES

YOLO_GOOD = sorted(p / "dataset" for p in (FIXTURES / "yolo" / "good").iterdir())
YOLO_BAD = [FIXTURES / "yolo" / "bad" / name / "dataset"
            for name in ("AF215-images-share-label", "AF035-image-missing",
                         "AF036-invalid-size-source", "AF333-image-size-unknown")]
_NOT_INPUT = {"README.md", "options.json", "expected.diagnostics.json", "expected.ir.json"}
#: every VOC fixture's input: (folder or file, options)
VOC = [(next(p for p in sorted(case.iterdir()) if p.name not in _NOT_INPUT),
        json.loads((case / "options.json").read_text()) if (case / "options.json").exists()
        else {})
       for kind in ("good", "bad") for case in sorted((FIXTURES / "voc" / kind).iterdir())]


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of records in each run written (the real writer, counted)."""
    written: list[int] = []
    real = _spill._write_chunks

    def counted(fh: Any, records: list[Any]) -> None:
        written.append(len(records))
        real(fh, records)

    monkeypatch.setattr(_spill, "_write_chunks", counted)
    return written


records = st.lists(st.tuples(st.text("ab/-.", max_size=3), st.integers(0, 3)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(records, st.integers(1, 9), st.booleans())
def test_the_order_is_a_stable_sort_however_it_spills(items: list[tuple[str, int]], limit: int,
                                                      by_text: bool) -> None:
    key = (lambda r: r[0]) if by_text else None
    spill = SortedSpill[tuple[str, int]](key, limit=limit)
    spill.extend(items)
    expected = sorted(items, key=key)
    assert spill.spilled == (len(items) >= limit)
    assert list(spill) == expected and list(spill) == expected  # iterated again
    assert len(spill) == len(items)
    spill.close()


def test_runs_are_written_in_chunks_and_removed(temp: Path, runs: list[int]) -> None:
    spill = SortedSpill[int](limit=5000)
    spill.extend(range(12_000, 0, -1))
    assert runs == [5000, 5000]  # the last 2,000 stay in memory
    (folder,) = temp.iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["run-00000", "run-00001"]
    assert list(spill) == list(range(1, 12_001))
    del spill
    gc.collect()
    assert list(temp.iterdir()) == []


def test_a_folder_that_cannot_be_written_keeps_the_records_in_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    monkeypatch.setattr(tempfile, "tempdir", str(a_file))
    spill = SortedSpill[int](limit=2)
    spill.extend([3, 1, 2, 0])
    assert list(spill) == [0, 1, 2, 3] and not spill.spilled
    assert spill.failed is not None and spill.failed.startswith(f"{a_file}: ")


def test_the_threshold_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SortedSpill[int]().limit == 50_000
    monkeypatch.setenv("ANNOFORMAT_SPILL_AT", "7")
    assert SortedSpill[int]().limit == 7
    monkeypatch.setenv("ANNOFORMAT_SPILL_AT", "many")  # not a number: the default
    assert SortedSpill[int]().limit == 50_000


def test_names_sort_as_paths_or_keep_their_order(temp: Path, runs: list[int]) -> None:
    walked = ["b.jpg", "a-b/x.jpg", "a/z.jpg", "a/b/c.jpg", "a.jpg", "a/x.jpg"]
    as_paths = sorted(walked, key=lambda p: Path(p).parts)
    names = _layout.Names(by_path=True)
    for name in walked:
        names.append(name)
    listed = _layout.listed(walked)
    assert list(names) == as_paths and list(listed) == walked
    assert runs == []  # below the threshold: nothing written


def _read(path: Path, stream: bool, format: str = "yolo", options: dict[str, Any] | None = None
          ) -> tuple[list[Any], list[tuple[str, Any, str]]]:
    report = Report()
    options = options or {}
    if stream:
        items = []
        with contextlib.suppress(af.AnnoformatError):  # the bad fixtures: raised at the end
            items.extend(af.iter_items(path, format, report=report, **options))
    else:
        fmt = get_format(format)
        ds = fmt.read(path, parse_options(fmt, options), report)
        items = ds.items if ds is not None else []
    return items, [(d.code, d.location, d.message) for d in report]


@pytest.mark.parametrize("path", YOLO_GOOD + YOLO_BAD, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_yolo_listings_spilled_read_as_held(path: Path, stream: bool, temp: Path,
                                            runs: list[int],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    held = _read(path, stream)
    assert runs == []
    monkeypatch.setenv("ANNOFORMAT_SPILL_AT", "1")
    assert _read(path, stream) == held
    assert runs and set(runs) == {1}  # every listing went to disk, a record per run
    gc.collect()
    assert list(temp.iterdir()) == []


def test_yolo_listing_on_a_read_only_temporary_folder_is_af906(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = FIXTURES / "yolo" / "good" / "ultralytics-detect" / "dataset"
    held = _read(path, True)
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    monkeypatch.setattr(tempfile, "tempdir", str(a_file))
    monkeypatch.setenv("ANNOFORMAT_SPILL_AT", "1")
    items, found = _read(path, True)
    assert items == held[0]
    (af906,) = [d for d in found if d[0] == "AF906"]
    assert af906[1].path == str(path)
    assert f"{a_file}: Not a directory" in af906[2]
    assert [d for d in found if d[0] != "AF906"] == held[1]


def test_a_walk_of_many_files_is_listed_in_path_order(tmp_path: Path, temp: Path,
                                                      runs: list[int],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested image folders and label files, ids in the order a held sort gives, runs of 3."""
    root = tmp_path / "ds"
    names = ["b/2.jpg", "a-b/1.jpg", "a/9.png", "a/10.jpg", "a/b/c/1.jpg", "c.jpg", "a.b/1.jpg",
             "a/1.JPG"]
    for name in names:
        image = root / "images" / "train" / name
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(b"")
        label = root / "labels" / "train" / Path(name).with_suffix(".txt")
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "labels" / "train" / "lone.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "data.yaml").write_text("train: images/train\nval: images/train\nnames: [a]\n")
    opts = {"image_size": [100, 100]}
    held = [item.id for item in af.iter_items(root, "yolo", **opts)]
    assert runs == []
    monkeypatch.setenv("ANNOFORMAT_SPILL_AT", "3")
    assert [item.id for item in af.iter_items(root, "yolo", **opts)] == held
    assert held == sorted(held) and len(held) == len(names) + 1
    assert len(runs) >= 6 and max(runs) == 3


@pytest.mark.parametrize(("path", "options"), VOC, ids=[p.parent.name for p, _ in VOC])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_voc_listings_spilled_read_as_held(path: Path, options: dict[str, Any], stream: bool,
                                           temp: Path, runs: list[int],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    held = _read(path, stream, "voc", options)
    assert runs == []
    monkeypatch.setenv("ANNOFORMAT_SPILL_AT", "1")
    assert _read(path, stream, "voc", options) == held
    assert runs and set(runs) == {1}
    gc.collect()
    assert list(temp.iterdir()) == []


def test_voc_image_sets_of_many_ids_are_ordered_as_held(tmp_path: Path, temp: Path,
                                                        runs: list[int],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Overlapping image sets, XML files that no set lists (one as .XML), an id without XML:
    the same items, subsets, later sets and diagnostics through runs of 2."""
    root = tmp_path / "voc"
    (root / "Annotations").mkdir(parents=True)
    main = root / "ImageSets" / "Main"
    main.mkdir(parents=True)
    xml = ("<annotation><filename>{0}.jpg</filename><size><width>10</width><height>10</height>"
           "<depth>3</depth></size><object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
           "<xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>")
    for stem in ("a", "b", "c", "d", "a-b", "z", "e"):
        (root / "Annotations" / f"{stem}.xml").write_text(xml.format(stem))
    (root / "Annotations" / "y.XML").write_text(xml.format("y"))
    (main / "train.txt").write_text("d\nb\nnone\na\n")
    (main / "val.txt").write_text("c\nb\nd\n")
    (main / "test.txt").write_text("b\ne\n")
    held = _read(root, True, "voc")
    assert runs == []
    monkeypatch.setenv("ANNOFORMAT_SPILL_AT", "2")
    spilled = _read(root, True, "voc")
    assert spilled == held and len(runs) >= 4
    items = held[0]
    assert [(i.id, i.subset, i.extras.get("voc", {}).get("imagesets")) for i in items] == [
        ("d", "train", ["val"]), ("b", "train", ["val", "test"]), ("none", "train", None),
        ("a", "train", None), ("c", "val", None), ("e", "test", None),
        ("a-b", None, None), ("y", None, None), ("z", None, None)]
    assert [d[0] for d in held[1]].count("AF023") == 1


def test_voc_set_file_findings_come_in_line_order(tmp_path: Path, temp: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "voc"
    (root / "Annotations").mkdir(parents=True)
    (root / "ImageSets" / "Main").mkdir(parents=True)
    (root / "ImageSets" / "Main" / "train.txt").write_text("a\nb c\na\n../x\nb c\nd\nd\na\n")
    expected = [("AF024", 2, None), ("AF025", 3, 1), ("AF024", 4, None), ("AF024", 5, None),
                ("AF025", 7, 6), ("AF025", 8, 1)]
    for spill_at in ("50000", "1"):
        monkeypatch.setenv("ANNOFORMAT_SPILL_AT", spill_at)
        report = Report()
        with contextlib.suppress(af.AnnoformatError):
            list(af.iter_items(root, "voc", report=report))
        found = [(d.code, d.location.line, d.ctx.get("first")) for d in report
                 if d.code in ("AF024", "AF025")]
        assert found == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "é", "\n", "\r", "\r\n", "\x85", "\u2028", "\x0b", " "]),
                max_size=40),
       st.lists(st.integers(0, 40), max_size=2), st.integers(1, 8))
def test_voc_set_files_are_decoded_a_block_at_a_time(pieces: list[str], bad_at: list[int],
                                                     block: int) -> None:
    from annoformat import _io

    data = bytearray("".join(pieces).encode())
    for at in bad_at:  # a byte that is never UTF-8
        data.insert(min(at, len(data)), 0xFF)
    raw = bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_io, "_BLOCK", block)
        try:
            whole = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            assert _io.utf8_error(raw) == (exc.start, exc.reason)
        else:
            assert _io.utf8_error(raw) is None
            assert list(_io.text_lines(raw)) == whole.splitlines()
