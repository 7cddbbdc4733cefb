"""CoNLL: BIO spans over rebuilt text, token alignment errors on writing, round trips."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

import annoformat as af
from annoformat.convert import plan_loss
from annoformat.diagnostics import Report
from annoformat.formats import conll
from annoformat.model import Dataset, Item, Label, Span, Text
from annoformat.testing import first_difference
from annoformat.testing.strategies_text import token_datasets

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "conll" / "good"


def _read(path: Path, **options: object) -> tuple[Dataset, Report]:
    report = Report()
    ds = conll.read(path, conll.Options.model_validate(options), report)
    assert ds is not None
    return ds, report


def _write(ds: Dataset, dest: Path, **options: object) -> Report:
    """The loss plan's facts (loss allowed), then what the writer itself reports."""
    report = Report()
    opts = conll.Options.model_validate(options)
    plan_loss(ds, conll.FORMAT, report, opts, allow_loss=True)
    conll.write(ds, dest, opts, report)
    return report


def _one(text: str, *spans: tuple[int, int, str]) -> Dataset:
    return Dataset(labels=[Label(name=n) for n in dict.fromkeys(s[2] for s in spans)],
                   items=[Item(id="1", media=Text(text=text), annotations=[
                       Span(label=n, start=a, end=b) for a, b, n in spans])])


def test_conll2003_blocks_columns_and_docstart(tmp_path: Path) -> None:
    src = FIX / "conll2003-docstart" / "train.conll"
    ds, report = _read(src)
    assert report.codes() == []
    first = ds.items[0]
    assert first.media == Text(text="EU rejects German call .")
    assert [(a.label, a.start, a.end) for a in first.annotations if isinstance(a, Span)] == [
        ("ORG", 0, 2), ("MISC", 11, 17)]
    assert first.extras["conll"]["docstart"] == ["-DOCSTART-", "-X-", "-X-", "O"]
    assert first.extras["conll"]["columns"][0] == ["NNP", "B-NP"]
    out = tmp_path / "out.conll"
    assert _write(ds, out).codes() == []
    assert out.read_bytes() == src.read_bytes()


def test_misaligned_span_is_an_error_naming_it(tmp_path: Path) -> None:
    ds = _one("I love Paris.", (7, 12, "LOC"))
    report = _write(ds, tmp_path / "a.conll")
    assert [(d.code, d.location.item_id, d.ctx["start"], d.ctx["end"], d.ctx["label"])
            for d in report] == [("AF408", "1", 7, 12, "LOC")]
    assert not (tmp_path / "a.conll").exists()
    report = _write(ds, tmp_path / "b.conll", tokenizer="words")
    assert report.codes() == ["AF532"]  # reads back as "I love Paris ."
    assert (tmp_path / "b.conll").read_text() == "I O\nlove O\nParis B-LOC\n. O\n"


def test_overlap_cannot_be_bio(tmp_path: Path) -> None:
    ds = _one("New York City", (0, 8, "GPE"), (4, 13, "LOC"))
    report = _write(ds, tmp_path / "a.conll")
    assert [(d.code, d.ctx["other_label"]) for d in report] == [("AF406", "GPE")]
    assert not (tmp_path / "a.conll").exists()


def test_whitespace_normalisation_is_reported(tmp_path: Path) -> None:
    ds = _one("Hello  world\n", (7, 12, "X"))
    report = _write(ds, tmp_path / "a.conll")
    assert [(d.code, d.ctx["ids"]) for d in report] == [("AF532", ["1"])]
    back, _ = _read(tmp_path / "a.conll")
    assert back.items[0].media == Text(text="Hello world")
    assert [(a.start, a.end) for a in back.items[0].annotations] == [(6, 11)]  # same token


def test_doccano_relations_are_annotation_loss(tmp_path: Path) -> None:
    src = tmp_path / "rel.jsonl"
    src.write_text('{"id": 1, "text": "Ada in Paris", "entities": [{"id": 1, "label": "PER", '
                   '"start_offset": 0, "end_offset": 3}, {"id": 2, "label": "LOC", '
                   '"start_offset": 7, "end_offset": 12}], "relations": [{"id": 3, '
                   '"from_id": 1, "to_id": 2, "type": "in"}]}\n')
    refused = af.convert(src, tmp_path / "a.conll", to="conll")
    assert not refused.written and not (tmp_path / "a.conll").exists()
    assert [(d.code, d.severity.value, d.ctx["count"]) for d in refused.report
            if d.code == "AF501"] == [("AF501", "error", 1)]
    result = af.convert(src, tmp_path / "a.conll", to="conll", allow_loss=True)
    assert result.written
    assert (tmp_path / "a.conll").read_text() == "Ada B-PER\nin O\nParis B-LOC\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token_datasets())
def test_conll_round_trips_and_through_native_jsonl(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first, native, second = (Path(tmp) / n for n in ("a.conll", "n.jsonl", "b.conll"))
        report = _write(ds, first)
        assert not report.has_errors, report.codes()
        back, report = _read(first)
        assert not report.has_errors, report.codes()
        assert first_difference(ds, back) is None, first_difference(ds, back)
        af.save(back, native, format="jsonl")
        assert af.convert(native, second, to="conll").written
        assert first.read_bytes() == second.read_bytes()


def test_item_ids_that_do_not_read_back_are_reported(tmp_path: Path) -> None:
    """A CoNLL document has no id: doccano's 10, 11, 12 read back as 1, 2, 3."""
    src = Path(__file__).resolve().parents[2] / "fixtures" / "doccano" / "good" / \
        "sequence-emoji-crlf-bom" / "data.jsonl"
    result = af.convert(src, tmp_path / "o.conll", to="conll", allow_loss=True)
    (fact,) = [d for d in result.loss if d.code == "AF508"]
    assert (fact.ctx["what"], fact.ctx["count"], fact.ctx["ids"]) == ("item", 3,
                                                                     ["10", "11", "12"])
    assert [i.id for i in af.load(tmp_path / "o.conll").items] == ["1", "2", "3"]


def test_a_first_token_starting_with_u_feff_is_not_read_as_a_bom(tmp_path: Path) -> None:
    # found by the round-trip property: the reader strips a BOM at the start of the file
    ds = Dataset(items=[Item(id="1", media=Text(text="\ufeff😀 x"))])
    af.save(ds, tmp_path / "a.conll", format="conll")
    back = af.load(tmp_path / "a.conll")
    assert back.items[0].media == Text(text="\ufeff😀 x")
