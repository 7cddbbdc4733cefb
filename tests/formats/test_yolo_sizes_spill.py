"""YOLO's size source beyond the spill threshold: a temporary sqlite store with the same answers
as the in-memory table, and no file left behind (closed, dropped, or the read half-way)."""

from __future__ import annotations

import gc
import itertools
from pathlib import Path
from typing import Any

import pytest

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.formats.yolo import _sizes
from annoformat.formats.yolo._sizes import Sizes
from annoformat.registry import get_format, parse_options

from conftest import FIXTURES

NO_IMAGES = FIXTURES / "yolo" / "good" / "ultralytics-no-images" / "dataset"
ENTRIES = [("a/b.jpg", 640, 480), ("a\\c.png", 10, 20), ("./a/b.png", 1, 2),  # stem a/b taken
           ("a/b.jpg", 30, 40),  # a later size of a path replaces it
           ("d/x_jpg.rf.1.jpg", 5, 6)]
QUERIES = ["a/b.jpg", "a/b", "a/b.png", "a/c", "a/c.png", "a/c.gif", "d/x_jpg.rf.1",
           "d/x_jpg.rf.1.jpg", "missing", "a/b.jpeg"]


@pytest.mark.parametrize("spill_at", [0, 1, 2, 100])
@pytest.mark.parametrize("fixed", [None, (7, 8)])
def test_spilled_sizes_answer_as_the_dict(temp: Path, spill_at: int,
                                          fixed: tuple[int, int] | None) -> None:
    memory, spilled = Sizes(fixed, spill_at=10**9), Sizes(fixed, spill_at=spill_at)
    for key, w, h in ENTRIES:
        memory.add(key, w, h)
        spilled.add(key, w, h)
    assert (spilled.store is not None) == (spill_at < len(ENTRIES) - 1)  # 4 distinct paths
    answers = [memory.lookup(q) for q in QUERIES]
    # the stem keeps its first path and size (as the dict's setdefault)
    assert answers[:3] == [(30, 40, "a/b.jpg"), (640, 480, "a/b.jpg"), (1, 2, "a/b.png")]
    assert [spilled.lookup(q) for q in QUERIES] == answers
    assert bool(spilled) and list(temp.iterdir()) == ([] if spilled.store is None
                                                      else list(temp.iterdir()))
    spilled.close()
    assert list(temp.iterdir()) == []


def test_a_dropped_store_leaves_nothing(temp: Path) -> None:
    sizes = Sizes(spill_at=0)
    sizes.add("a.jpg", 1, 1)
    sizes.add("b.jpg", 1, 1)
    assert len(list(temp.iterdir())) == 1
    del sizes
    gc.collect()
    assert list(temp.iterdir()) == []


def _read(path: Path) -> tuple[Any, list[Any]]:
    fmt = get_format("yolo")
    report = Report()
    ds = fmt.read(path, parse_options(fmt, {}), report)
    return ds, [(d.code, str(d.location)) for d in report]


def test_read_and_stream_from_a_spilled_sidecar(temp: Path, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    whole, codes = _read(NO_IMAGES)
    streamed = list(af.iter_items(NO_IMAGES, "yolo"))
    monkeypatch.setenv("ANNOFORMAT_SPILL_AT", "1")
    spilled, spilled_codes = _read(NO_IMAGES)
    assert spilled.items == whole.items and spilled_codes == codes
    assert list(af.iter_items(NO_IMAGES, "yolo")) == streamed == whole.items
    # dropped half-way: the store goes with the stream
    half = af.iter_items(NO_IMAGES, "yolo")
    list(itertools.islice(half, 1))
    del half
    gc.collect()
    assert list(temp.iterdir()) == []


_WHOLE = _sizes._load_whole  # the whole read, before a test counts its calls
SIZE_FILES = {
    "sidecar.json": '{"format": "annoformat-image-sizes", "version": 1, "sizes": '
                    '{"a/b.jpg": [640, 480], "c.png": [10, 20]}}',
    "plain.json": '{"a/b.jpg": [640, 480], "a\\\\c.png": [1, 2]}',
    "extras.json": '{"format": "annoformat-image-sizes", "note": {"x": [1, {"y": []}]}, '
                   '"sizes": {"a.jpg": [3, 4]}, "version": 1}',
    "sizes.csv": "path,width,height\na/b.jpg,640,480\n\nc.png,10,20\n",
}
#: read whole after the stream gives up: the whole read decides (valid or not)
IRREGULAR = {
    "bom.json": '\ufeff{"a.jpg": [1, 2]}',
    "repeated.json": '{"a.jpg": [1, 2], "a.jpg": [3, 4]}',
    "normalised-twice.json": '{"a/b.jpg": [1, 2], "./a/b.jpg": [3, 4]}',
    "sizes-twice.json": '{"format": "annoformat-image-sizes", "sizes": {"a.jpg": [1, 2]}, '
                        '"sizes": {"b.jpg": [1, 2]}}',
    "format-later.json": '{"sizes": {"a.jpg": [1, 2]}, "format": "annoformat-image-sizes"}',
    "other-format.json": '{"format": "something", "sizes": {"a.jpg": [1, 2]}}',
    "no-sizes.json": '{"format": "annoformat-image-sizes"}',
    "bool.json": '{"a.jpg": [true, 2]}',
    "float.json": '{"a.jpg": [1.5, 2]}',
    "three.json": '{"a.jpg": [1, 2, 3]}',
    "zero.json": '{"a.jpg": [0, 2]}',
    "list.json": '[["a.jpg", 1, 2]]',
    "truncated.json": '{"a.jpg": [1, 2]',
    "trailing.json": '{"a.jpg": [1, 2]} x',
    "bom.csv": "\ufeffpath,width,height\na.jpg,1,2\n",
    "bad-row.csv": "path,width,height\na.jpg,1\n",
    "negative.csv": "path,width,height\na.jpg,-1,2\n",
    "header.csv": "file,w,h\na.jpg,1,2\n",
    "latin1.csv": b"path,width,height\n\xe9.jpg,1,2\n",
    "repeated.csv": "path,width,height\na.jpg,1,2\na.jpg,3,4\n",
}


def _loaded(path: Path, load: Any) -> tuple[bool, list[Any], list[Any]]:
    sizes = Sizes(spill_at=1)
    report = Report()
    ok = load(path, report, sizes)
    found = [sizes.lookup(q) for q in ("a/b.jpg", "a/b", "a/c", "c.png", "a.jpg", "b.jpg", "é")]
    return ok, [(d.code, d.location, d.message) for d in report], found


@pytest.mark.parametrize("name", [*SIZE_FILES, *IRREGULAR])
def test_a_size_file_streamed_reads_as_whole(name: str, tmp_path: Path, temp: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    content = SIZE_FILES.get(name, IRREGULAR.get(name))
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    whole = _loaded(path, _WHOLE)
    called: list[Path] = []
    monkeypatch.setattr(_sizes, "_load_whole",
                        lambda *args: called.append(args[0]) or _WHOLE(*args))
    assert _loaded(path, _sizes.load_sizes) == whole
    assert called == ([] if name in SIZE_FILES else [path])  # a valid file is never read whole
    if name in SIZE_FILES:
        assert whole[0] and whole[1] == []

