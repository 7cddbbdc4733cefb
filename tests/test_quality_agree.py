"""``agree``: exact numbers on hand-built panels, the reliability data and alpha against the
`krippendorff` package, the empty-item reading, several files in several formats."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat.diagnostics import AnnoformatError, UsageError
from annoformat.model import BBox, Dataset, Image, Item, Label
from annoformat.quality.cluster import cluster_item

from conftest import FIXTURES

AGREE = FIXTURES / "_agree"


def _package(rows: list[list[Any]]) -> float | None:
    """The `krippendorff` package's nominal alpha of reliability rows (one per unit)."""
    values = sorted({v for row in rows for v in row if v is not None}, key=str)
    code = {v: k for k, v in enumerate(values)}
    data = np.array([[np.nan if v is None else code[v] for v in row] for row in rows],
                    dtype=float).T  # the package wants coders x units
    if len(values) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def test_one_file_exact_numbers() -> None:
    a = af.agreement(AGREE / "one-file.jsonl")
    assert [x["name"] for x in a.annotators] == ["ann", "bob", "cat"]
    assert [(x["items"], x["annotations"]) for x in a.annotators] == [(4, 5), (3, 4), (3, 3)]
    pairs = {(p["a"], p["b"]): p for p in a.pairwise}
    # ann-bob: 4 and 4 objects on i1-i3, 3 same-label matches (i2 is car vs truck)
    assert pairs["ann", "bob"] == {"a": "ann", "b": "bob", "items": 3, "f1": 0.75,
                                   "precision": 0.75, "recall": 0.75, "accuracy": 0.6}
    # ann-cat: 4 and 3, 2 matched (i1 car, i2 car); cat missed the person, tagged night
    assert pairs["ann", "cat"]["f1"] == pytest.approx(4 / 7)
    assert pairs["ann", "cat"]["precision"] == pytest.approx(2 / 3)
    assert pairs["ann", "cat"]["recall"] == 0.5
    assert pairs["ann", "cat"]["accuracy"] == pytest.approx(0.4)
    assert pairs["bob", "cat"]["accuracy"] == pytest.approx(1 / 6)
    # units: (car car car) (person person none) (car truck car) (day day night) (car - -)
    _, rows = a.reliability()
    assert rows == [["car", "car", "car"], ["person", "person", "(none)"],
                    ["car", "truck", "car"], ["day", "day", "night"], ["car", None, None]]
    # D_o = 0 + 2 + 2 + 2 = 6; n = 12 values, sum n_c^2 = 36; D_e = (144 - 36) / 11
    assert a.alpha["overall"] == pytest.approx(1 - 6 / (108 / 11), abs=1e-12)
    # car as a yes/no decision: D_o = 2 (the truck), n_car = 5 of 12: D_e = (144 - 74) / 11
    assert a.alpha["by_label"]["car"] == pytest.approx(1 - 2 / (70 / 11), abs=1e-12)
    assert a.alpha["by_label"]["night"] == 0.0  # used once, by one annotator: chance level
    # without cat: (car car) (person person) (car truck) (day day): D_o = 2, D_e = 46 / 7
    assert a.alpha["without"]["cat"] == pytest.approx(1 - 2 / (46 / 7), abs=1e-12)
    assert max(a.alpha["without"], key=lambda k: a.alpha["without"][k]) == "cat"  # the outlier
    assert [r["item"]["id"] for r in a.review] == ["i2", "i3", "i1"]
    assert a.review[0]["disagreeing"] == [{"kind": "bbox", "labels": {
        "ann": "car", "bob": "truck", "cat": "car"}, "annotations": {"ann": 1, "bob": 2,
                                                                    "cat": 3}}]
    assert a.report.codes() == ["AF741", "AF744"]


def test_json_document_has_exactly_the_documented_keys() -> None:
    doc = json.loads(af.agreement(AGREE / "one-file.jsonl").to_json())
    assert list(doc) == ["annotators", "items", "pairwise", "alpha", "review"]
    assert list(doc["alpha"]) == ["overall", "by_label", "without"]
    assert set(doc["pairwise"][0]) >= {"a", "b", "f1", "precision", "recall", "accuracy"}


def test_alpha_equals_the_krippendorff_package_on_the_fixtures() -> None:
    for source in ([AGREE / "one-file.jsonl"],
                   [AGREE / "files" / n for n in ("ann.xml", "bob.jsonl", "cat.xml")]):
        a = af.agreement(source)
        assert a.alpha["overall"] == pytest.approx(_package(a.reliability()[1]), abs=1e-12)
        for name in ("ann", "bob", "cat"):
            assert a.alpha["without"][name] == pytest.approx(
                _package(a.reliability(without=name)[1]), abs=1e-12)


def test_an_empty_item_counts_in_several_files_but_not_in_one() -> None:
    """One file: i4 counts only for ann (the only one who annotated it). Several files: cat's
    file lists i4 with nothing on it, so cat said "nothing here" and ann's car is a
    disagreement; bob's file lacks i4, so it does not count for bob (AF742)."""
    files = af.agreement([AGREE / "files" / n for n in ("ann.xml", "bob.jsonl", "cat.xml")])
    assert files.reliability()[1][-1] == ["car", None, "(none)"]
    # as the one-file units plus (car, -, none): D_o = 6 + 2; n = 14, sum n_c^2 = 50
    assert files.alpha["overall"] == pytest.approx(1 - 8 / (146 / 13), abs=1e-12)
    assert files.report.codes() == ["AF742", "AF754"]
    assert files.review[0]["item"]["media"] == "i4.jpg" and files.review[0]["agreement"] == 0.0
    one = af.agreement(AGREE / "one-file.jsonl")
    assert one.reliability()[1][-1] == ["car", None, None]
    assert one.items[3]["annotators"] == ["ann"]


def _boxes(spec: list[tuple[str, float]], path: str = "a.jpg") -> Dataset:
    return Dataset(labels=[Label(name="car"), Label(name="bus")], items=[Item(
        id="1", media=Image(path=path, width=200, height=200),
        annotations=[BBox(label=lab, x=x, y=0, w=10, h=10) for lab, x in spec])])


def test_clusters_need_every_member_to_match() -> None:
    # IoU(0, 3) = 70/130 = 0.538 >= 0.5, IoU(3, 6) = 0.538, IoU(0, 6) = 40/160 = 0.25 < 0.5:
    # the third box matches the second but not the first, so it starts its own cluster
    anns = [_boxes([("car", x)]).items[0].annotations for x in (0, 3, 6)]
    clusters = cluster_item(anns)
    assert [c.members for c in clusters] == [{0: 0, 1: 0}, {2: 0}]
    assert clusters[0].similarity == pytest.approx(70 / 130)
    assert clusters[1].similarity is None


def test_cluster_similarity_takes_oks_both_ways() -> None:
    """OKS is not symmetric (the first object's scale): a cluster's mean is over both
    directions of every two members, as the definition of ``Cluster.similarity`` says."""
    from annoformat.model import Points
    from annoformat.quality.similarity import Canvas, similarity

    pts = [Points(label="p", points=[10, 10, 30, 10, 20, 40]),
           Points(label="p", points=[11, 10, 31, 12, 20, 41]),
           Points(label="p", points=[10, 12, 32, 10, 21, 43])]
    clusters = cluster_item([[p] for p in pts], width=100, height=100)
    assert [c.members for c in clusters] == [{0: 0, 1: 0, 2: 0}]
    full = similarity(pts, pts, "points", Canvas(100, 100))
    assert full[0, 1] != full[1, 0]  # the case is worth testing
    off = [full[i, j] for i in range(3) for j in range(3) if i != j]
    assert clusters[0].similarity == pytest.approx(sum(off) / 6, abs=1e-12)
    assert clusters[0].pair_mean == pytest.approx(
        {k: (full[k].sum() - full[k, k]) / 2 for k in range(3)}, abs=1e-12)


def test_an_annotator_gives_at_most_one_member_per_cluster() -> None:
    anns = [[*_boxes([("car", 0), ("car", 1)]).items[0].annotations],
            [*_boxes([("car", 0)]).items[0].annotations]]
    clusters = cluster_item(anns)
    assert sorted(sorted(c.members.items()) for c in clusters) == [[(0, 0), (1, 0)], [(0, 1)]]


def test_several_files_in_four_formats_agree_like_the_datasets(tmp_path: Path) -> None:
    panel = [_boxes([("car", 0), ("bus", 50)]), _boxes([("car", 1), ("car", 50)]),
             _boxes([("car", 0), ("bus", 100)]), _boxes([("bus", 0)])]
    expected = af.agreement(panel, annotators=["coco", "cvat", "voc", "yolo"])
    paths = []
    for ds, fmt, name in zip(panel, ("coco", "cvat", "voc", "yolo"),
                             ("coco.json", "cvat.xml", "voc", "yolo"), strict=True):
        af.save(ds, tmp_path / name, format=fmt, allow_loss=True)
        paths.append(tmp_path / name)
    found = af.agreement(paths, annotators=["coco", "cvat", "voc", "yolo"])
    assert found.pairwise == expected.pairwise
    assert found.alpha["overall"] == pytest.approx(expected.alpha["overall"], abs=1e-12)
    for part in ("by_label", "without"):
        assert found.alpha[part] == pytest.approx(expected.alpha[part], abs=1e-12)
    assert [x["items"] for x in found.annotators] == [1, 1, 1, 1]
    # coco-cvat: the car boxes match (IoU 9/11), the second pair is bus vs car
    coco_cvat = found.pairwise[0]
    assert (coco_cvat["a"], coco_cvat["b"], coco_cvat["f1"], coco_cvat["accuracy"]) == (
        "coco", "cvat", 0.5, 1 / 3)
    assert found.alpha["overall"] == pytest.approx(_package(found.reliability()[1]))


def test_file_stems_name_the_annotators_and_must_differ(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        af.save(_boxes([("car", 0)]), tmp_path / sub / "labels.json", format="coco")
    with pytest.raises(UsageError) as err:
        af.agreement([tmp_path / "a" / "labels.json", tmp_path / "b" / "labels.json"])
    assert err.value.report.codes() == ["AF743"]
    ok = af.agreement([tmp_path / "a" / "labels.json", tmp_path / "b" / "labels.json"],
                      annotators=["al", "bo"])
    assert ok.alpha["overall"] is None and ok.report.codes() == ["AF745"]
    assert ok.pairwise[0]["f1"] == 1.0


def test_one_file_annotator_selection_and_errors() -> None:
    two = af.agreement(AGREE / "one-file.jsonl", annotators=["ann", "cat"])
    assert [x["name"] for x in two.annotators] == ["ann", "cat"]
    assert two.reliability()[1] == [["car", "car"], ["person", "(none)"], ["car", "car"],
                                    ["day", "night"], ["car", None]]
    with pytest.raises(UsageError) as err:
        af.agreement(AGREE / "one-file.jsonl", annotators=["zed"])
    assert err.value.report.codes() == ["AF743"]
    with pytest.raises(AnnoformatError) as err2:
        af.agreement(AGREE / "one-file.jsonl", annotators=["ann"])
    assert err2.value.report.codes() == ["AF740"]


# --- alpha against the package, on random panels whose units are known by construction -----

_SLOTS = (0.0, 40.0, 80.0)  # box positions far apart: each slot is one unit, whoever draws it
_panel = st.lists(  # items
    st.lists(  # annotators (3)
        st.lists(st.sampled_from(["car", "bus", "van", None]), min_size=3, max_size=3),
        min_size=3, max_size=3),
    min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(_panel, st.booleans())
def test_alpha_and_units_equal_an_independent_construction(
        drawn: list[list[list[str | None]]], one_file: bool) -> None:
    """Each annotator draws, per item and slot, a box with a label or nothing; the units are
    the (item, slot) pairs someone drew, valued by label or *none*; with one file an item
    counts for an annotator only when they drew something on it."""
    names = ["a", "b", "c"]
    expected: list[list[str | None]] = []
    for per_item in drawn:
        counts = [any(lab is not None for lab in slots) or not one_file for slots in per_item]
        for s in range(len(_SLOTS)):
            if any(per_item[k][s] is not None for k in range(3)):
                expected.append([(per_item[k][s] or "(none)") if counts[k] else None
                                 for k in range(3)])
    if one_file:
        ds = Dataset(items=[Item(id=str(i), media=Image(path=f"{i}.jpg", width=120, height=20),
                                 annotations=[BBox(label=lab, x=_SLOTS[s], y=0, w=10, h=10,
                                                   annotator=names[k])
                                              for k in range(3)
                                              for s, lab in enumerate(per_item[k]) if lab])
                             for i, per_item in enumerate(drawn)])
        if len({a.annotator for it in ds.items for a in it.annotations}) < 2:
            return
        result = af.agreement(ds)
        kept = sorted({a.annotator for it in ds.items for a in it.annotations})
        expected = [[row[names.index(n)] for n in kept] for row in expected]
        expected = [row for row in expected if any(v not in (None, "(none)") for v in row)]
    else:
        sets = [Dataset(items=[Item(id=str(i), media=Image(path=f"{i}.jpg", width=120,
                                                          height=20),
                                    annotations=[BBox(label=lab, x=_SLOTS[s], y=0, w=10, h=10)
                                                 for s, lab in enumerate(per_item[k]) if lab])
                               for i, per_item in enumerate(drawn)]) for k in range(3)]
        result = af.agreement(sets, annotators=names)
    assert sorted(result.reliability()[1], key=repr) == sorted(expected, key=repr)
    want = _package(expected)
    if want is None or np.isnan(want):
        assert result.alpha["overall"] is None or result.alpha["overall"] == pytest.approx(want)
    else:
        assert result.alpha["overall"] == pytest.approx(want, abs=1e-12)
    for label, value in result.alpha["by_label"].items():
        binary = [[None if v is None else v == label for v in row] for row in expected]
        ref = _package(binary)
        assert value == (None if ref is None else pytest.approx(ref, abs=1e-12))


def test_review_is_capped_and_worst_first() -> None:
    a = af.agreement(AGREE / "one-file.jsonl", review=1)
    assert [r["item"]["id"] for r in a.review] == ["i2"]
    assert a.matrix("f1")[0] == [1.0, 0.75, pytest.approx(4 / 7)]
    assert a.matrix("precision")[2][0] == a.pairwise[1]["recall"]


def test_one_record_per_annotator_is_one_item() -> None:
    """Prodigy's db-out: each annotator's answer is its own record with the same text (the
    prodigy reader gives them different ids); in one file they are one item."""
    from annoformat.model import Span, Text

    text = Text(text="Apple hired Ada.")

    def record(rid: str, who: str, *spans: tuple[str, int, int]) -> Item:
        return Item(id=rid, media=text, annotations=[
            Span(label=lab, start=s, end=e, annotator=who) for lab, s, e in spans])

    ds = Dataset(items=[record("1", "alice", ("ORG", 0, 5), ("PER", 12, 15)),
                        record("2", "bob", ("PER", 12, 15)),
                        record("3", "carol", ("ORG", 0, 5)), Item(id="4", media=text)])
    a = af.agreement(ds)
    assert len(a.items) == 1 and a.items[0]["annotators"] == ["alice", "bob", "carol"]
    assert sorted(a.reliability()[1]) == [["ORG", "(none)", "ORG"], ["PER", "PER", "(none)"]]
    # D_o = 2 + 2 = 4; n = 6 (ORG 2, PER 2, none 2): D_e = (36 - 12) / 5
    assert a.alpha["overall"] == pytest.approx(1 - 4 / (24 / 5), abs=1e-12)
    assert {(p["a"], p["b"]): p["f1"] for p in a.pairwise} == {
        ("alice", "bob"): pytest.approx(2 / 3), ("alice", "carol"): pytest.approx(2 / 3),
        ("bob", "carol"): 0.0}
    merged = af.merge(ds, quorum=2)
    assert [(s.label, s.start, s.attributes["consensus_by"])  # type: ignore[union-attr]
            for s in merged.items[0].annotations] == [("ORG", 0, "alice,carol"),
                                                     ("PER", 12, "alice,bob")]


def test_model_output_takes_part_only_when_asked() -> None:
    src = AGREE / "with-model.jsonl"
    humans = af.agreement(src)
    assert [x["name"] for x in humans.annotators] == ["ann", "bob"]
    assert humans.report.codes() == ["AF746"]
    # (car, car) (none, bus): D_o = 2, n = 4 (car 2, none 1, bus 1): D_e = (16 - 6) / 3
    assert humans.alpha["overall"] == pytest.approx(1 - 2 / (10 / 3), abs=1e-12)
    every = af.agreement(src, with_models=True)
    assert [x["name"] for x in every.annotators] == ["ann", "bob", "detector-v2"]
    assert every.reliability()[1] == [["car", "car", "bus"], ["(none)", "bus", "(none)"]]
    assert every.report.codes() == []
    merged = af.merge(src, quorum=2, with_models=True)
    (box,) = merged.items[0].annotations
    assert (box.label, box.origin, box.attributes["consensus_by"]) == (
        "car", "unknown", "ann,bob,detector-v2")


def test_a_box_never_clusters_with_a_polygon() -> None:
    from annoformat.model import Polygon

    square = Polygon(label="car", rings=[[0, 0, 10, 0, 10, 10, 0, 10]])
    clusters = cluster_item([[BBox(label="car", x=0, y=0, w=10, h=10)], [square]],
                            width=50, height=50)
    assert [(c.kind, c.members) for c in clusters] == [("bbox", {0: 0}), ("region", {1: 0})]


def test_a_pair_with_no_item_in_common_has_null_metrics() -> None:
    a = _boxes([("car", 0)], path="a.jpg")
    b = _boxes([("car", 0)], path="b.jpg")
    c = Dataset(labels=a.labels, items=[*a.items, *b.items])
    result = af.agreement([a, b, c], annotators=["a", "b", "c"])
    ab = result.pairwise[0]
    assert (ab["a"], ab["b"], ab["items"], ab["f1"], ab["accuracy"]) == ("a", "b", 0, None, None)
    assert [(p["items"], p["f1"]) for p in result.pairwise[1:]] == [(1, 1.0), (1, 1.0)]
    assert result.report.codes() == ["AF742", "AF745"]


def test_agree_out_never_replaces_an_input_and_writes_atomically(tmp_path: Path) -> None:
    """`agree -o` goes through the same atomic output as stats and compare: AF014 on an input."""
    from click.testing import CliRunner

    from annoformat.cli import main

    src = tmp_path / "one.jsonl"
    src.write_bytes((FIXTURES / "_agree" / "one-file.jsonl").read_bytes())
    before = src.read_bytes()
    refused = CliRunner().invoke(main, ["agree", str(src), "-o", str(src)])
    assert refused.exit_code == 1 and "AF014" in refused.stderr
    assert src.read_bytes() == before
    done = CliRunner().invoke(main, ["agree", str(src), "--output", "json",
                                     "-o", str(tmp_path / "a.json")])
    assert done.exit_code == 0, done.output
    names = [a["name"] for a in json.loads((tmp_path / "a.json").read_text())["annotators"]]
    assert names == ["ann", "bob", "cat"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "one.jsonl"]
