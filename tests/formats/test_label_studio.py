"""Label Studio: exact UTF-16 <-> code point offsets, regions with several labels, round trips."""

from __future__ import annotations

import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.formats import label_studio
from annoformat.formats._text import Utf16Offsets
from annoformat.model import Dataset, Span, Tag
from annoformat.testing import first_difference
from annoformat.testing.strategies_text import text_datasets, texts

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "label-studio" / "good"


def _read(path: Path, **options: object) -> tuple[Dataset, Report]:
    report = Report()
    ds = label_studio.read(path, label_studio.Options.model_validate(options), report)
    assert ds is not None
    return ds, report


@settings(max_examples=100, deadline=None)
@given(texts(max_size=60))
def test_utf16_and_code_point_offsets_are_exact_inverses(text: str) -> None:
    m = Utf16Offsets(text)
    assert m.length16 == len(text.encode("utf-16-le")) // 2
    for cp in range(len(text) + 1):
        u16 = m.to_utf16(cp)
        assert u16 == len(text[:cp].encode("utf-16-le")) // 2
        assert m.to_code_point(u16) == cp
    inside = {m.to_utf16(i) + 1 for i, ch in enumerate(text) if ord(ch) > 0xFFFF}
    for u16 in range(m.length16 + 1):
        assert (m.to_code_point(u16) is None) == (u16 in inside)


def test_export_offsets_are_converted_exactly(tmp_path: Path) -> None:
    ds, report = _read(FIX / "export-emoji" / "export.json")
    assert report.codes() == []
    item = ds.items[0]
    text = item.media.text  # type: ignore[union-attr]
    spans = [(a.label, a.id, a.start, a.end, text[a.start:a.end], a.score)
             for a in item.annotations if isinstance(a, Span)]
    assert spans == [("PER", "r1", 2, 5, "Ada", None), ("LOC", "r2", 17, 22, "Paris", None),
                     ("GPE", "r2", 17, 22, "Paris", None),
                     ("PER", "p1", 2, 13, "Ada visited", 0.9)]
    assert [(a.label, a.id) for a in item.annotations if isinstance(a, Tag)] == [
        ("positive", "c1")]
    out = tmp_path / "out.json"
    label_studio.write(ds, out, label_studio.Options(), Report())
    assert orjson.loads(out.read_bytes()) == orjson.loads(
        (FIX / "export-emoji" / "export.json").read_bytes())


def test_two_annotators_may_overlap_each_other() -> None:
    ds, report = _read(FIX / "two-annotators-overlap" / "export.json")
    assert report.codes() == []
    assert [a.extras for a in ds.items[0].annotations] == [{}, {"label-studio": {"annotation": 1}}]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_datasets(ids="int", item_attributes=True), st.sampled_from(["a.json", "a.jsonl"]))
def test_label_studio_round_trips_and_through_native_jsonl(ds: Dataset, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first, native, second = Path(tmp) / name, Path(tmp) / "n.jsonl", Path(tmp) / f"b{name}"
        report = Report()
        label_studio.write(ds, first, label_studio.Options(), report)
        assert not report.has_errors, report.codes()
        back, report = _read(first)
        assert not report.has_errors, report.codes()
        assert first_difference(ds, back) is None, first_difference(ds, back)
        af.save(back, native, format="jsonl")
        assert af.convert(native, second, to="label-studio").written
        assert first.read_bytes() == second.read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_datasets(ids="int", tags=False, span_ids=True))
def test_offsets_in_written_export_are_utf16(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.json"
        label_studio.write(ds, out, label_studio.Options(), Report())
        for task, item in zip(orjson.loads(out.read_bytes()), ds.items, strict=True):
            text = item.media.text  # type: ignore[union-attr]
            for result in task["annotations"][0]["result"] if task["annotations"] else []:
                v = result["value"]
                units = text.encode("utf-16-le")
                assert units[2 * v["start"]:2 * v["end"]].decode("utf-16-le") == v["text"]
