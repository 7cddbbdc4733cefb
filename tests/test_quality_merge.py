"""``merge``: known clusters, votes and ties on hand-built panels; the output re-read."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat.cli import main
from annoformat.diagnostics import AnnoformatError, Report, UsageError
from annoformat.model import BBox, Dataset, Image, Item, Label, Polygon

from conftest import FIXTURES

AGREE = FIXTURES / "_agree"
LABELS = [Label(name="car"), Label(name="truck"), Label(name="bus")]


def _ds(*anns: object) -> Dataset:
    return Dataset(labels=LABELS, items=[Item(id="1", media=Image(path="a.jpg", width=200,
                                                                   height=200),
                                              annotations=list(anns))])  # type: ignore[arg-type]


def test_three_annotators_known_clusters_votes_and_ties() -> None:
    """Cluster 1: three boxes (car, car, truck): kept, car 2 of 3, mean box. Cluster 2: two
    boxes (truck, bus), a tie at quorum 2: truck (first in the label list). Cluster 3: one
    box: below the quorum."""
    a = _ds(BBox(label="car", x=0, y=0, w=10, h=10), BBox(label="truck", x=100, y=100, w=20,
                                                            h=20))
    b = _ds(BBox(label="car", x=2, y=0, w=10, h=10), BBox(label="bus", x=101, y=100, w=20,
                                                          h=20))
    c = _ds(BBox(label="truck", x=1, y=1, w=10, h=12), BBox(label="car", x=150, y=150, w=5,
                                                            h=5))
    report = Report()
    ds = af.merge([a, b, c], quorum=2, annotators=["a", "b", "c"], report=report)
    first, second = ds.items[0].annotations
    assert (first.label, first.x, first.y, first.w, first.h) == ("car", 1.0, 1 / 3, 10.0,
                                                                  32 / 3)
    assert first.attributes == {
        "consensus_votes": 3, "consensus_label_votes": 2, "consensus_annotators": 3,
        "consensus_by": "a,b,c", "consensus_iou": pytest.approx(first.attributes[
            "consensus_iou"])}
    assert first.score == pytest.approx(2 / 3)
    assert (second.label, second.x, second.attributes["consensus_label_votes"]) == (
        "truck", 100.5, 1)
    assert second.attributes["consensus_by"] == "a,b"
    assert second.score == pytest.approx(1 / 3)
    assert [d.code for d in report] == ["AF751", "AF752"]
    assert report.diagnostics[0].ctx["count"] == 1 and report.diagnostics[1].ctx["count"] == 1
    # the mean pairwise IoU of cluster 1: boxes (0,0,10,10), (2,0,10,10), (1,1,10,12)
    ious = [80 / 120, 81 / 139, 81 / 139]
    assert first.attributes["consensus_iou"] == pytest.approx(sum(ious) / 3, abs=1e-6)


def test_quorum_one_keeps_everything_and_three_only_the_unanimous() -> None:
    a = _ds(BBox(label="car", x=0, y=0, w=10, h=10), BBox(label="car", x=50, y=50, w=10, h=10))
    b = _ds(BBox(label="car", x=0, y=0, w=10, h=10))
    c = _ds(BBox(label="car", x=0, y=0, w=10, h=10), BBox(label="bus", x=90, y=90, w=9, h=9))
    assert len(af.merge([a, b, c], quorum=1).items[0].annotations) == 3
    kept = af.merge([a, b, c], quorum=3).items[0].annotations
    assert [(k.label, k.score) for k in kept] == [("car", 1.0)]
    with pytest.raises(UsageError) as err:
        af.merge([a, b, c], quorum=4)
    assert err.value.report.codes() == ["AF750"]
    with pytest.raises(UsageError):
        af.merge([a, b, c], quorum=0)


def test_polygons_take_the_member_closest_to_the_others() -> None:
    def square(x: float, size: float) -> Polygon:
        return Polygon(label="car", rings=[[x, 0, x + size, 0, x + size, size, x, size]])

    # 20x20 squares at x = 0, 2 and 4: the middle one overlaps both others the most
    ds = af.merge([_ds(square(0, 20)), _ds(square(4, 20)), _ds(square(2, 20))], quorum=2)
    (merged,) = ds.items[0].annotations
    assert merged.rings == [[2, 0, 22, 0, 22, 20, 2, 20]]
    assert merged.attributes["consensus_votes"] == 3


def test_merge_output_is_written_through_save_and_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "merged.json"
    result = CliRunner().invoke(main, ["merge", str(AGREE / "files" / "ann.xml"),
                                       str(AGREE / "files" / "bob.jsonl"),
                                       str(AGREE / "files" / "cat.xml"), "--quorum", "2",
                                       "--to", "coco", "-o", str(out), "--allow-loss"])
    assert result.exit_code == 0, result.stderr
    assert "AF501" in result.stderr  # the consensus tag (day) cannot be written as COCO
    back = af.load(out)
    anns = {it.media.path: it.annotations for it in back.items}  # type: ignore[union-attr]
    assert sorted(anns) == ["i1.jpg", "i2.jpg", "i3.jpg", "i4.jpg"]
    assert [(a.label, a.attributes["consensus_votes"], a.attributes["consensus_by"])
            for a in anns["i1.jpg"]] == [("car", 3, "ann,bob,cat"), ("person", 2, "ann,bob")]
    assert anns["i1.jpg"][0].score == 1.0 and anns["i1.jpg"][0].x == pytest.approx(1 / 3)
    assert [(a.label, a.attributes["consensus_label_votes"]) for a in anns["i2.jpg"]] == [
        ("car", 2)]
    # i4: ann's car, and cat's file lists i4 empty: 1 vote of 2 annotators, below the quorum
    assert anns["i4.jpg"] == []


def test_merge_refuses_lossy_output_unless_allowed(tmp_path: Path) -> None:
    with pytest.raises(AnnoformatError) as err:
        af.save(af.merge(AGREE / "one-file.jsonl", quorum=2), tmp_path / "y", format="yolo")
    assert "AF503" in err.value.report.codes()
    assert not (tmp_path / "y").exists()


def test_one_file_merge_and_jsonl_round_trip(tmp_path: Path) -> None:
    report = Report()
    ds = af.merge(AGREE / "tie.jsonl", quorum=2, report=report)
    assert report.codes() == ["AF751", "AF752", "AF753"]
    af.save(ds, tmp_path / "m.jsonl", format="jsonl")
    back = af.load(tmp_path / "m.jsonl")
    spans = back.items[0].annotations
    assert [(s.label, s.start, s.end, s.score) for s in spans] == [  # type: ignore[union-attr]
        ("PER", 0, 3, 1.0), ("PER", 8, 11, 0.5)]


def test_the_worked_example_is_the_real_output(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    text = (FIXTURES.parent / "docs" / "quality.md").read_text(encoding="utf-8")
    block = text.split("## `merge`", 1)[1].split("```console\n", 1)[1]
    command, *expected = block.split("\n```", 1)[0].splitlines()
    (tmp_path / "fixtures").symlink_to(FIXTURES)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, command.split()[2:])
    assert result.exit_code == 0
    assert (result.stdout + result.stderr).splitlines() == expected
    first = af.load(tmp_path / "consensus.jsonl").items[0].annotations[0]
    assert first.attributes["consensus_iou"] == 0.878788 and first.score == 1.0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 150), st.integers(0, 150), st.integers(2, 40),
                          st.integers(2, 40), st.sampled_from(["car", "truck", "bus"])),
                max_size=6, unique_by=lambda t: t[:4]), st.integers(2, 4))
def test_identical_annotators_merge_to_their_own_objects(
        boxes: list[tuple[int, int, int, int, str]], n: int) -> None:
    """Distinct boxes: keeping each box with its own copies is the unique best assignment."""
    ds = _ds(*(BBox(label=lab, x=x, y=y, w=w, h=h) for x, y, w, h, lab in boxes))
    merged = af.merge([ds] * n, quorum=n, annotators=[str(k) for k in range(n)])
    found = merged.items[0].annotations
    assert sorted((a.x, a.y, a.w, a.h, a.label) for a in found) == sorted(  # type: ignore[union-attr]
        (float(x), float(y), float(w), float(h), lab) for x, y, w, h, lab in boxes)
    assert all(a.score == 1.0 and a.attributes["consensus_votes"] == n for a in found)
