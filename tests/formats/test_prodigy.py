"""Prodigy: inclusive token_end, reject/ignore answers never become labels, round trips."""

from __future__ import annotations

import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.formats import prodigy
from annoformat.model import Dataset, Item, Span, Tag, Text
from annoformat.testing import first_difference
from annoformat.testing.strategies_text import text_datasets

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "prodigy" / "good"


def _read(path: Path, **options: object) -> tuple[Dataset, Report]:
    report = Report()
    ds = prodigy.read(path, prodigy.Options.model_validate(options), report)
    assert ds is not None
    return ds, report


def test_tokens_and_inclusive_token_end(tmp_path: Path) -> None:
    ds, report = _read(FIX / "ner-emoji-tokens" / "data.jsonl")
    assert report.codes() == []
    item = ds.items[0]
    assert [(a.label, a.start, a.end) for a in item.annotations if isinstance(a, Span)] == [
        ("ORG", 2, 7), ("GPE", 13, 25)]
    out = tmp_path / "out.jsonl"
    prodigy.write(ds, out, prodigy.Options(), Report())
    first = orjson.loads(out.read_bytes().splitlines()[0])
    assert [(s["token_start"], s["token_end"]) for s in first["spans"]] == [(1, 1), (3, 4)]
    assert [s["text"] for s in first["spans"]] == ["Apple", "U.K. startup"]


def test_reject_and_ignore_never_become_labels() -> None:
    ds, report = _read(FIX / "reject-ignore" / "data.jsonl")
    assert report.codes() == []
    assert [i.attributes.get("answer") for i in ds.items] == ["reject", "ignore", "reject", None]
    assert [[a.label for a in i.annotations] for i in ds.items] == [[], [], [], ["POSITIVE"]]
    assert ds.items[0].extras["prodigy"]["spans"] == [{"start": 0, "end": 5, "label": "LOC"}]
    assert ds.label_names() == ["POSITIVE"]


def test_rejected_answers_are_refused_by_conll_then_left_out(tmp_path: Path) -> None:
    src = FIX / "reject-ignore" / "data.jsonl"
    refused = af.convert(src, tmp_path / "a.conll", to="conll")
    assert not refused.written
    loss = [(d.code, d.ctx.get("names")) for d in refused.loss]
    assert ("AF503", "answer") in loss and ("AF501", None) in loss  # the accepted tag too
    allowed = af.convert(src, tmp_path / "b.conll", to="conll", allow_loss=True)
    assert allowed.written
    assert [(d.code, d.ctx.get("ids")) for d in allowed.report if d.code == "AF530"] == [
        ("AF530", ["1", "2", "3"])]
    assert (tmp_path / "b.conll").read_text() == "good O\nmovie O\n"


def test_rejected_answers_stay_negative_in_doccano(tmp_path: Path) -> None:
    out = tmp_path / "a.jsonl"
    result = af.convert(FIX / "reject-ignore" / "data.jsonl", out, to="doccano")
    assert result.written
    assert [orjson.loads(line) for line in out.read_bytes().splitlines()][:2] == [
        {"id": 1, "text": "Paris is big", "label": [], "answer": "reject"},
        {"id": 2, "text": "great movie", "label": [], "answer": "ignore"}]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_datasets(ids="index", item_attributes=True, scores=True, provenance="prodigy"))
def test_prodigy_round_trips_and_through_native_jsonl(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first, native, second = (Path(tmp) / n for n in ("a.jsonl", "n.jsonl", "b.jsonl"))
        report = Report()
        prodigy.write(ds, first, prodigy.Options(), report)
        assert not report.has_errors, report.codes()
        back, report = _read(first)
        assert not report.has_errors, report.codes()
        assert first_difference(ds, back) is None, first_difference(ds, back)
        af.save(back, native, format="jsonl")
        assert af.convert(native, second, to="prodigy").written
        assert first.read_bytes() == second.read_bytes()


def test_binary_and_choice_tags(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "t", "options": [{"id": 1, "text": "A"}, {"id": 2, "text": "B"}],'
                    ' "accept": [2, 1], "answer": "accept"}\n'
                    '{"text": "u", "label": "SPORT", "answer": "accept"}\n')
    ds, report = _read(path)
    assert report.codes() == []
    assert [[(type(a), a.label) for a in i.annotations] for i in ds.items] == [
        [(Tag, "2"), (Tag, "1")], [(Tag, "SPORT")]]
    out = tmp_path / "b.jsonl"
    prodigy.write(ds, out, prodigy.Options(), Report())
    assert [orjson.loads(line) for line in out.read_bytes().splitlines()] == [
        {"text": "t", "options": [{"id": 1, "text": "A"}, {"id": 2, "text": "B"}],
         "accept": [2, 1], "answer": "accept"},
        {"text": "u", "label": "SPORT", "answer": "accept"}]


def test_annotator_is_the_annotator_id_else_the_session(tmp_path: Path) -> None:
    ds, report = _read(FIX / "two-sessions-same-input" / "annotations.jsonl")
    assert report.codes() == []
    assert [[(a.label, a.annotator, a.origin) for a in item.annotations]
            for item in ds.items] == [
        [("ORG", "news_ner-alice", "human"), ("PER", "news_ner-alice", "human")],
        [("PER", "news_ner-bob", "human")], [("ORG", "news_ner-carol", "human")], []]


def test_a_record_names_one_annotator_and_the_plan_says_so(tmp_path: Path) -> None:
    text = "Ada met Bob"
    ds = Dataset(items=[Item(id="1", media=Text(text=text), annotations=[
        Span(label="PER", start=0, end=3, annotator="s-alice", origin="human"),
        Span(label="PER", start=8, end=11, annotator="s-bob", origin="human"),
        Tag(label="greeting", origin="model")])])
    plan = prodigy.FORMAT.plan_loss(ds, prodigy.Options())
    assert [(f.code, f.ctx["field"], f.count, f.ids, f.ctx["detail"]) for f in plan] == [
        ("AF524", "annotator", 2, ["1/#1", "1/#2"],
         ": a record names one annotator; it reads back as 's-alice'"),
        ("AF524", "origin", 1, ["1/#2"], ": 'model' reads back as 'human'")]
    out = tmp_path / "o.jsonl"
    prodigy.write(ds, out, prodigy.Options(), Report())
    (rec,) = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert rec["_annotator_id"] == "s-alice"
    back, _ = _read(out)
    assert {(a.annotator, a.origin) for a in back.items[0].annotations} == {("s-alice", "human")}
