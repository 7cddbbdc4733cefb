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
from annoformat.model import Dataset, Item, Relation, Span, Tag, Text
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
@given(text_datasets(ids="int", item_attributes=True, provenance="label-studio")
       | text_datasets(ids="int", span_ids=True, relations=True, provenance="label-studio"),
       st.sampled_from(["a.json", "a.jsonl"]))
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


def test_relations_are_ir_relations_and_written_back(tmp_path: Path) -> None:
    src = FIX / "ner-relations" / "export.json"
    ds, report = _read(src)
    assert report.codes() == []
    rels = [(a.label, a.source, a.target, a.directed) for a in ds.items[0].annotations
            if isinstance(a, Relation)]
    assert rels == [("works_in", "e1", "e3", True), ("works_in", "e2", "e3", True),
                    ("lives_in", "e2", "e3", True), (None, "e1", "e2", False),
                    ("works_in", "p1", "p2", True)]
    out = tmp_path / "out.json"
    label_studio.write(ds, out, label_studio.Options(), Report())
    assert orjson.loads(out.read_bytes()) == orjson.loads(src.read_bytes())


def test_relation_to_an_unknown_region_is_located(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('[{"id": 1, "data": {"text": "Ada in Paris"}, "annotations": [{"result": ['
                    '{"id": "a", "type": "labels", "from_name": "label", "to_name": "text", '
                    '"value": {"start": 0, "end": 3, "labels": ["PER"]}}, '
                    '{"from_id": "zz", "to_id": "a", "type": "relation", "direction": "left", '
                    '"labels": ["in"]}]}]}]')
    _, report = _read(path)
    assert [(d.code, d.location.pointer, d.ctx["entity_id"]) for d in report] == [
        ("AF230", "/0/annotations/0/result/1/from_id", "zz")]


def test_doccano_relations_through_label_studio_come_back_exactly(tmp_path: Path) -> None:
    doc = FIX.parents[1] / "doccano" / "good" / "relations" / "data.jsonl"
    result = af.convert(doc, tmp_path / "ls.json", to="label-studio")
    assert result.written and not result.report.has_errors
    task = orjson.loads((tmp_path / "ls.json").read_bytes())[0]
    assert task["annotations"][0]["result"][2] == {
        "from_id": 5, "to_id": 6, "type": "relation", "direction": "right",
        "labels": ["works_in"], "id": 1}
    back = af.convert(tmp_path / "ls.json", tmp_path / "doc.jsonl", to="doccano")
    assert back.written
    assert orjson.loads((tmp_path / "doc.jsonl").read_bytes())["relations"] == [
        {"id": 1, "from_id": 5, "to_id": 6, "type": "works_in"}]


def test_relations_doccano_cannot_hold_are_refused_then_reported(tmp_path: Path) -> None:
    src = FIX / "ner-relations" / "export.json"
    refused = af.convert(src, tmp_path / "d.jsonl", to="doccano")
    assert not refused.written
    assert sorted((d.code, d.ctx.get("count"), d.ctx.get("kind") or d.ctx.get("field"))
                  for d in refused.report if d.code in ("AF501", "AF506")) == [
        ("AF501", 1, "unlabelled relation")]
    done = af.convert(src, tmp_path / "d.jsonl", to="doccano", allow_loss=True)
    assert done.written
    rec = orjson.loads((tmp_path / "d.jsonl").read_bytes())
    assert [(r["from_id"], r["to_id"], r["type"]) for r in rec["relations"]] == [
        ("e1", "e3", "works_in"), ("e2", "e3", "works_in"), ("e2", "e3", "lives_in"),
        ("p1", "p2", "works_in")]


def test_a_label_map_dropping_an_entity_drops_its_relations(tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text("labels: [{name: PER}, {name: works_in}, "
                                       "{name: lives_in}]\ndrop: [LOC]\n")
    src = FIX / "ner-relations" / "export.json"
    result = af.convert(src, tmp_path / "o.json", to="label-studio",
                        label_map=tmp_path / "map.yaml")
    assert result.written, result.report
    dropped = sorted((d.ctx["label"], d.ctx["count"]) for d in result.report
                     if d.code == "AF603")
    assert dropped == [("LOC", 2), ("lives_in", 1), ("works_in", 3)]
    ds, _ = _read(tmp_path / "o.json")
    assert [(a.source, a.target) for a in ds.items[0].annotations
            if isinstance(a, Relation)] == [("e1", "e2")]


def test_an_undirected_relation_to_doccano_is_field_loss(tmp_path: Path) -> None:
    ds = Dataset(labels=[af.Label(name="PER"), af.Label(name="knows")], items=[af.Item(
        id="1", media=af.Text(text="Ada Bob"), annotations=[
            Span(id=1, label="PER", start=0, end=3), Span(id=2, label="PER", start=4, end=7),
            Relation(label="knows", source=1, target=2, directed=False)])])
    refused = af.save(ds, tmp_path / "d.jsonl", format="doccano", allow_loss=True)
    assert [(d.code, d.ctx["field"], d.ctx["count"]) for d in refused
            if d.code == "AF506"] == [("AF506", "directed", 1)]
    assert orjson.loads((tmp_path / "d.jsonl").read_bytes())["relations"] == [
        {"from_id": 1, "to_id": 2, "type": "knows"}]


def test_provenance_of_annotations_predictions_and_a_skip() -> None:
    """completed_by as a user id or a user object, model_version for predictions, and the
    skipped annotation reported (AF070) and read as no annotation."""
    ds, report = _read(FIX / "annotators-predictions-skip" / "export.json")
    assert [(d.code, d.location.pointer, d.ctx["annotator"]) for d in report] == [
        ("AF070", "/0/annotations/2", "'3'")]
    assert [(a.label, a.annotator, a.origin, a.score) for a in ds.items[0].annotations] == [
        ("PER", "1", "human", None), ("LOC", "1", "human", None),
        ("PER", "bob@example.org", "human", None), ("PER", "bob@example.org", "human", None),
        ("PER", "ner-2024-05", "model", 0.93), ("LOC", "ner-2024-05", "model", 0.69)]


def test_completed_by_of_any_shape_names_someone_or_no_one() -> None:
    assert [label_studio.annotator_of(v) for v in (
        7, "7", "ann", {"id": 3}, {"id": 3, "email": ""}, {"email": "e@x.org", "id": 3},
        None, True, [1], {"first_name": "x"})] == [
        "7", "7", "ann", "3", "3", "e@x.org", None, None, None, None]


def test_foreign_annotators_become_entries_and_models_predictions(tmp_path: Path) -> None:
    """Annotations from another format go by their provenance: one annotation entry per
    person (completed_by as Label Studio and its converter read it), a model's into a
    prediction with its model_version; read back, each keeps its annotator and origin."""
    text = "Ada met Bob"
    ds = Dataset(items=[Item(id="4", media=Text(text=text), annotations=[
        Span(label="PER", start=0, end=3, annotator="alice"),
        Span(label="PER", start=8, end=11, annotator="12", origin="human"),
        Span(label="PER", start=0, end=3, annotator="det-v2", origin="model", score=0.5),
        Span(label="PER", start=8, end=11, annotator="alice"),
        Tag(label="greeting"),
    ])])
    out = tmp_path / "o.json"
    label_studio.write(ds, out, label_studio.Options(), Report())
    (task,) = orjson.loads(out.read_bytes())
    entries = [(e.get("completed_by"), [r["value"].get("start", r["type"]) for r in e["result"]])
               for e in task["annotations"]]
    assert entries == [(None, ["choices"]), ({"email": "alice"}, [0, 8]), (12, [8])]
    assert [(p["model_version"], [r["score"] for r in p["result"]])
            for p in task["predictions"]] == [("det-v2", [0.5])]
    back, _ = _read(out)
    assert [(a.label, getattr(a, "start", None), a.annotator, a.origin)
            for a in back.items[0].annotations] == [
        ("greeting", None, None, "human"), ("PER", 0, "alice", "human"),
        ("PER", 8, "alice", "human"), ("PER", 8, "12", "human"), ("PER", 0, "det-v2", "model")]
    plan = label_studio.FORMAT.plan_loss(ds, label_studio.Options())
    assert [(f.code, f.count, f.ids, f.ctx["detail"]) for f in plan] == [
        ("AF524", 3, ["4/#0", "4/#3", "4/#4"], ": 'unknown' reads back as 'human'")]


def test_a_skipped_annotations_region_is_kept_not_read(tmp_path: Path) -> None:
    src = FIX.parent / "bad" / "AF070-cancelled-with-results" / "export.json"
    ds, report = _read(src)
    assert [d.ctx["annotator"] for d in report] == ["'dana@example.org'",
                                                    "an annotator it does not name"]
    assert [(a.label, a.annotator) for a in ds.items[0].annotations] == [("LOC", "2")]
    out = tmp_path / "out.json"
    label_studio.write(ds, out, label_studio.Options(), Report())
    assert orjson.loads(out.read_bytes()) == orjson.loads(src.read_bytes())


def test_edited_provenance_moves_an_annotation_to_its_entry(tmp_path: Path) -> None:
    """An annotation read from one entry goes back there only while its provenance still
    says that entry's: reassigned to another person, or marked a model's, it moves."""
    ds, _ = _read(FIX / "annotators-predictions-skip" / "export.json")
    anns = ds.items[0].annotations
    anns[1].annotator = "bob@example.org"  # user 1's LOC, reassigned to Bob
    anns[3].origin, anns[3].annotator = "model", "ner-2024-05"  # Bob's second PER: the model's
    out = tmp_path / "out.json"
    label_studio.write(ds, out, label_studio.Options(), Report())
    back, _ = _read(out)
    assert [(a.label, getattr(a, "start", None), a.annotator, a.origin)
            for a in back.items[0].annotations] == [
        ("PER", 0, "1", "human"), ("LOC", 36, "bob@example.org", "human"),
        ("PER", 0, "bob@example.org", "human"), ("PER", 17, "ner-2024-05", "model"),
        ("PER", 0, "ner-2024-05", "model"), ("LOC", 36, "ner-2024-05", "model")]
