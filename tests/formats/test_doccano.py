"""doccano: exact values, relations, overlap option, round trips through the IR and native JSONL."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings

import annoformat as af
from annoformat.diagnostics import Report, Severity
from annoformat.formats import doccano
from annoformat.model import Dataset, Relation, Span, Tag
from annoformat.testing import first_difference
from annoformat.testing.strategies_text import text_datasets

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "doccano" / "good"


def _read(path: Path, **options: object) -> tuple[Dataset, Report]:
    report = Report()
    ds = doccano.read(path, doccano.Options.model_validate(options), report)
    assert ds is not None
    return ds, report


def test_emoji_before_spans_crlf_and_bom() -> None:
    ds, report = _read(FIX / "sequence-emoji-crlf-bom" / "data.jsonl")
    assert report.codes() == ["AF004"]
    first = ds.items[0]
    assert first.id == "10" and isinstance(first.media, af.Text)
    spans = [(a.start, a.end, a.label) for a in first.annotations if isinstance(a, Span)]
    assert spans == [(3, 15, "PER"), (28, 34, "LOC")]
    assert [first.media.text[s:e] for s, e, _ in spans] == ["Ada Lovelace", "London"]
    assert ds.items[1].annotations == []
    assert ds.items[2].media == af.Text(text="Bob\u2028Paris")  # U+2028 is not a line break
    assert ds.label_names() == ["PER", "LOC"]


def test_relations_are_kept_and_written_back(tmp_path: Path) -> None:
    ds, _ = _read(FIX / "relations" / "data.jsonl")
    item = ds.items[0]
    assert [(a.id, a.label, a.start, a.end) for a in item.annotations
            if isinstance(a, Span)] == [(5, "PER", 0, 11), (6, "LOC", 22, 27)]
    assert [a for a in item.annotations if isinstance(a, Relation)] == [
        Relation(id=1, label="works_in", source=5, target=6)]
    assert ds.label_names() == ["PER", "LOC", "works_in"]
    out = tmp_path / "out.jsonl"
    doccano.write(ds, out, doccano.Options(), Report())
    assert orjson.loads(out.read_bytes()) == orjson.loads(
        (FIX / "relations" / "data.jsonl").read_bytes())


def test_classification_and_metadata(tmp_path: Path) -> None:
    ds, report = _read(FIX / "classification" / "data.jsonl")
    assert report.codes() == []
    assert [[a.label for a in i.annotations if isinstance(a, Tag)] for i in ds.items] == [
        ["positive"], ["negative", "short"], []]
    assert ds.items[1].attributes == {"comment": "two classes"}
    out = tmp_path / "out.jsonl"
    doccano.write(ds, out, doccano.Options(), Report())
    assert out.read_bytes().decode().splitlines() == [
        '{"id":1,"text":"I love it 😍","label":["positive"]}',
        '{"id":2,"text":"Meh.","label":["negative","short"],"comment":"two classes"}',
        '{"id":3,"text":"Not labelled yet","label":[]}',
    ]


def test_overlap_is_an_error_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": 1, "text": "Bank of New York", "label": [[0, 16, "ORG"], '
                    '[8, 16, "LOC"], [8, 16, "LOC"]]}\n')
    _, report = _read(path)
    assert [(d.code, d.location.pointer, d.ctx.get("other_label")) for d in report] == [
        ("AF406", "/label/1", "ORG"), ("AF405", "/label/2", None)]
    ds, report = _read(path, allow_overlap=True)
    assert report.codes() == ["AF405"] and len(ds.items[0].annotations) == 3


def test_ids_keep_their_json_type(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "7", "text": "a", "label": []}\n{"id": 8, "text": "b", "label": []}\n'
                    '{"text": "c", "label": []}\n')
    ds, _ = _read(path)
    assert [i.id for i in ds.items] == ["7", "8", "3"]
    out = tmp_path / "b.jsonl"
    doccano.write(ds, out, doccano.Options(), Report())
    assert [orjson.loads(line).get("id") for line in out.read_bytes().splitlines()] == [
        "7", 8, None]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_datasets(item_attributes=True, ids="any")
       | text_datasets(ids="int", provenance="doccano-1x"))
def test_doccano_round_trips_and_through_native_jsonl(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first, native, second = (Path(tmp) / n for n in ("a.jsonl", "n.jsonl", "b.jsonl"))
        report = Report()
        doccano.write(ds, first, doccano.Options(), report)
        assert not report.has_errors, report.codes()
        back, report = _read(first)
        assert not report.has_errors, report.codes()
        assert first_difference(ds, back) is None, first_difference(ds, back)
        af.save(back, native, format="jsonl")
        result = af.convert(native, second, to="doccano")
        assert result.written, result.report.codes()
        assert first.read_bytes() == second.read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_datasets(span_ids=True, tags=False, ids="int", relations=True))
def test_entity_form_round_trips(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.jsonl"
        doccano.write(ds, out, doccano.Options(), Report())
        back, report = _read(out)
        assert not report.has_errors and first_difference(ds, back) is None


LEGACY = (
    '{"id": 1, "text": "EU rejects German call.", "annotations": [{"label": 10, '
    '"start_offset": 0, "end_offset": 2, "user": 1}, {"label": 11, "start_offset": 11, '
    '"end_offset": 17, "user": 1}, {"label": 10, "start_offset": 0, "end_offset": 2, '
    '"user": 2}], "meta": {}, "annotation_approver": null}\n'
    '{"id": 2, "text": "Great movie!", "annotations": [{"label": 4, "user": 1}, '
    '{"label": 5, "user": 2}], "meta": {"source": "imdb"}, "annotation_approver": "admin"}\n')


def test_doccano_1x_exports_keep_every_annotator(tmp_path: Path) -> None:
    """doccano 1.x: 'annotations' with numeric label ids and one entry per annotator (before
    this, the whole list was read as an item attribute: silently no annotation at all)."""
    src = tmp_path / "legacy.jsonl"
    src.write_text(LEGACY)
    ds = af.load(src)
    assert [[(a.type, a.label, getattr(a, "start", None), a.annotator, a.origin, a.extras)
             for a in item.annotations] for item in ds.items] == [
        [("span", "10", 0, "1", "human", {}), ("span", "11", 11, "1", "human", {}),
         ("span", "10", 0, "2", "human", {})],
        [("tag", "4", None, "1", "human", {}), ("tag", "5", None, "2", "human", {})]]
    assert ds.items[1].attributes == {"meta": {"source": "imdb"}, "annotation_approver": "admin"}
    af.save(ds, tmp_path / "out.jsonl", format="doccano")
    assert [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()] == [
        json.loads(line) for line in LEGACY.splitlines()]


def test_annotators_are_kept_only_in_the_1x_layout(tmp_path: Path) -> None:
    """The 1.x layout names a user per entry; the others name no one, and the plan says what
    they lose (AF524: the annotator an error, the origin a warning)."""
    src = tmp_path / "legacy.jsonl"
    src.write_text(LEGACY)
    ds = af.load(src, format="doccano")
    assert len(doccano.FORMAT.plan_loss(ds, doccano.Options())) == 0
    for item in ds.items:
        item.extras = {}  # as if it came from another format: doccano's current layout
    plan = doccano.FORMAT.plan_loss(ds, doccano.Options())
    assert [(f.code, f.severity, f.ctx["field"], f.count) for f in plan] == [
        ("AF524", None, "annotator", 5), ("AF524", Severity.WARNING, "origin", 5)]
    assert plan.codes() == ["AF524", "AF524"]
