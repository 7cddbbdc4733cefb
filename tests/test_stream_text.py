"""Streaming reads of the text dialects and CVAT: lazy (items before the file's end), heads
filled as the contract says, Label Studio's large JSON arrays through ijson giving what
``read`` gives, and memory that does not grow with the dataset."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.formats import cvat, doccano, jsonl, label_studio
from annoformat.formats._seen import SeenKeys
from annoformat.model import Dataset
from annoformat.registry import get_format, parse_options
from annoformat.stream import open_stream
from annoformat.testing import first_difference

from conftest import Case, fixture_cases

LS_ARRAYS = [case for case in fixture_cases("good") + fixture_cases("bad")
             if case.format == "label-studio" and case.input.suffix == ".json"]


def _recorded(report: Report) -> list[tuple[Any, ...]]:
    return [(d.code, d.message, d.location.path, d.location.line, d.location.column,
             d.location.pointer) for d in report]


def _cvat_xml(images: int, tail: str = "</annotations>\n") -> str:
    rows = "".join(f'<image id="{i}" name="{i}.jpg" width="40" height="30">'
                   f'<box label="{"cat" if i % 2 else "dog"}" xtl="1" ytl="2" xbr="10" ybr="20"'
                   f' occluded="0"/></image>\n' for i in range(images))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version>'
            "<meta><task><name>t</name><labels><label><name>cat</name><attributes/></label>"
            "<label><name>dog</name><attributes/></label></labels></task></meta>\n"
            + rows + tail)


@pytest.mark.parametrize("case", LS_ARRAYS, ids=lambda c: c.id)
def test_a_label_studio_array_streamed_by_ijson_gives_what_read_gives(
        case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    import ijson

    assert ijson.backend == "yajl2_c"  # the C parser, not the pure-Python fallback
    opts = parse_options(label_studio.FORMAT, {})
    whole_report, report = Report(), Report()
    whole = label_studio.read(case.input, opts, whole_report)
    monkeypatch.setattr(label_studio, "WHOLE_JSON_BYTES", 0)  # every array streamed
    stream = label_studio.stream(case.input, opts, report)
    streamed = stream.head.model_copy(update={"items": list(stream.items)})
    assert _recorded(report) == _recorded(whole_report)
    if whole is not None and not whole_report.has_errors:
        assert first_difference(whole, streamed) is None


def test_a_syntax_error_late_in_a_streamed_array_follows_the_findings_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(label_studio, "WHOLE_JSON_BYTES", 0)
    src = tmp_path / "export.json"
    good = {"id": 1, "data": {"text": "Ada"}, "annotations": []}
    src.write_bytes(b"[" + orjson.dumps(good) + b',\n{"id": 2, "data": {}}, {"id": 3,')
    report = Report()
    items = list(label_studio.stream(src, label_studio.Options(), report).items)
    assert [item.id for item in items] == ["1"]
    assert [(d.code, d.location.pointer) for d in report] == [
        ("AF130", "/1/data/text"), ("AF005", None)]


def test_text_streams_are_lazy_and_fill_their_head_as_labels_are_met(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl"
    src.write_text('{"id": 1, "text": "Ada", "label": [[0, 3, "PER"]]}\n'
                   '{"id": 2, "text": "Paris", "label": [[0, 5, "LOC"]]}\n{oops\n')
    report = Report()
    stream = doccano.stream(src, doccano.Options(), report)
    assert stream.head.labels == []
    first = next(stream.items)
    assert first.id == "1" and stream.head.label_names() == ["PER"]
    assert report.codes() == []  # the bad last line is not read yet
    assert [item.id for item in stream.items] == ["2"]
    assert stream.head.label_names() == ["PER", "LOC"] and report.codes() == ["AF005"]


def test_a_native_jsonl_stream_has_its_header_before_any_item(tmp_path: Path) -> None:
    src = tmp_path / "n.jsonl"
    src.write_text('{"annoformat": "1", "labels": [{"name": "cat"}], "info": {"v": 2}}\n'
                   '{"id": "a", "media": {"kind": "text", "text": "x"}}\n')
    stream = jsonl.stream(src, jsonl.Options(), Report())
    assert stream is not None
    assert stream.head.label_names() == ["cat"] and stream.head.info == {"v": 2}
    assert [item.id for item in stream.items] == ["a"]


def test_cvat_images_come_before_the_end_of_the_file(tmp_path: Path) -> None:
    # 600 images and no closing tag: the first 256 are read before the parser meets the end
    src = tmp_path / "annotations.xml"
    src.write_text(_cvat_xml(600, tail=""))
    report = Report()
    with open_stream(src, "cvat", {}, report) as stream:
        assert stream is not None
        first = next(stream.items)
        assert first.id == "0" and stream.head.label_names() == ["cat", "dog"]
        assert report.codes() == []
        rest = list(stream.items)
    assert len(rest) >= 255 and report.codes() == ["AF020"]


def test_cvat_stream_equals_read_on_a_file_of_many_batches(tmp_path: Path) -> None:
    src = tmp_path / "annotations.xml"
    src.write_text(_cvat_xml(700))
    whole = cvat.read(src, cvat.Options(), Report())
    assert whole is not None and len(whole.items) == 700
    streamed = af.iter_items(src, "cvat")
    assert [item.id for item in streamed] == [item.id for item in whole.items]


def _peak(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("fmt", "write"), [
    ("doccano", lambda p, n: p.write_bytes(b"".join(
        orjson.dumps({"id": i, "text": f"Ada went to Paris {i}",
                      "label": [[0, 3, "PER"], [12, 17, "LOC"]]}) + b"\n" for i in range(n)))),
    ("cvat", lambda p, n: p.write_text(_cvat_xml(n))),
])
def test_streaming_memory_does_not_grow_with_the_dataset(
        tmp_path: Path, fmt: str, write: Callable[[Path, int], None]) -> None:
    peaks = {}  # both files larger than the 1 MiB chunks the bytes are read in
    for n in (8_000, 24_000):
        src = tmp_path / f"{n}.{'xml' if fmt == 'cvat' else 'jsonl'}"
        write(src, n)
        peaks[n] = _peak(lambda: sum(1 for _ in af.iter_items(src, fmt)))  # noqa: B023
    spec = get_format(fmt)
    loaded = _peak(lambda: spec.read(src, parse_options(spec, {}), Report()))
    # what grows: one hash per item id, with its line for CVAT (AF203 names it), in flat
    # tables of a power of two slots, 8 or 16 bytes a slot, half of them empty at most, the old
    # table beside the new while growing: 24k ids peak at 1.5 MiB, 8k at 0.4
    assert peaks[24_000] < peaks[8_000] + 16_000 * 160
    assert peaks[24_000] * 4 < loaded


def test_a_cvat_folder_of_subset_files_streams_its_labels_and_subsets() -> None:
    folder = Path("fixtures/cvat/good/datumaro-export/export")
    report = Report()
    stream = cvat.stream(folder, cvat.Options(), report)
    assert stream is not None
    items = list(stream.items)
    whole = cvat.read(folder, cvat.Options(), Report())
    assert isinstance(whole, Dataset)
    assert {item.subset for item in items} == {item.subset for item in whole.items}
    assert stream.head.labels == whole.labels and stream.head.extras == whole.extras


def test_seen_keys_remember_each_key_with_its_first_value_across_growth() -> None:
    seen, plain = SeenKeys(), SeenKeys(values=False)
    keys = [("train", str(i)) for i in range(5_000)] + [str(i) for i in range(5_000)]
    assert [seen.first(k, n) for n, k in enumerate(keys)] == [None] * 10_000
    assert [plain.first(k) for k in keys] == [None] * 10_000
    assert len(seen) == len(plain) == 10_000
    assert [seen.first(k, -1) for k in keys[::997]] == list(range(0, 10_000, 997))
    assert plain.first("4999") == 0 and plain.first("5000") is None
    assert len(seen) == 10_000 and len(plain) == 10_001
