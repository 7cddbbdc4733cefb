"""compare's exact semantics (issue 15): conflicts, metrics, confusion, JSON keys, pairing."""

from __future__ import annotations

import json

import pytest

import annoformat as af
from annoformat.diagnostics import UsageError
from annoformat.model import BBox, Dataset, Image, Item, Polyline, Span, Tag, Text

from conftest import FIXTURES


def one(anns: list[object], **item: object) -> Dataset:
    return Dataset(items=[Item(id="1", media=Image(path="a.jpg", width=100, height=100),
                               annotations=anns, **item)])  # type: ignore[arg-type]


def box(label: str, x: float, y: float = 0, w: float = 10, h: float = 10, **kw: object) -> BBox:
    return BBox(label=label, x=x, y=y, w=w, h=h, **kw)  # type: ignore[arg-type]


def test_json_document_has_exactly_the_documented_keys() -> None:
    ref = one([box("car", 0, id=1), box("car", 50, id=2)])
    cand = one([box("truck", 0, id=7), box("car", 80, id=8)])
    doc = json.loads(af.compare(ref, cand).to_json())
    assert list(doc) == ["summary", "by_label", "confusion", "conflicts", "items"]
    assert doc["summary"] == {"reference": 2, "candidate": 2, "matched": 0, "precision": 0.0,
                              "recall": 0.0, "f1": 0.0, "accuracy": 0.0, "mean_iou": None}
    assert doc["confusion"] == {"(none)": {"car": 1}, "car": {"(none)": 1, "truck": 1}}
    first = doc["conflicts"][0]
    assert first == {"type": "missing_annotation", "severity": "error",
                     "item": {"subset": None, "id": "1", "media": "a.jpg"}, "reference": 2,
                     "candidate": None, "labels": ["car", None], "iou": None,
                     "locations": {"reference": {"index": 1}}}
    assert [c["type"] for c in doc["conflicts"]] == [
        "missing_annotation", "extra_annotation", "mismatching_label"]
    assert doc["conflicts"][2]["iou"] == 1.0 and doc["conflicts"][2]["measure"] == "iou"
    assert doc["items"] == [{"item": {"subset": None, "id": "1", "media": "a.jpg"},
                             "reference": 2, "candidate": 2, "matched": 0, "accuracy": 0.0,
                             "conflicts": 3}]


def test_a_relabelled_pair_is_one_label_conflict_not_a_miss_and_an_extra() -> None:
    c = af.compare(one([box("car", 0), box("car", 50)]), one([box("truck", 0), box("car", 50)]))
    assert c.counts() == {"mismatching_label": 1}
    assert c.summary["matched"] == 1 and c.summary["precision"] == 0.5
    assert c.by_label["truck"] == {"reference": 0, "candidate": 1, "matched": 0,
                                   "precision": 0.0, "recall": None, "f1": 0.0,
                                   "accuracy": 0.0, "mean_iou": None}
    assert c.confusion == {"car": {"car": 1, "truck": 1}}


def test_metrics_formulas_and_mean_iou_over_same_label_pairs_only() -> None:
    # car: IoU 1; dog: shifted by 5 -> IoU 5/15 ... below 0.5: a miss and an extra
    # cat: shifted by 2 -> IoU 8/12; bird relabelled (IoU 1, not in mean_iou)
    ref = one([box("car", 0), box("dog", 20), box("cat", 40), box("bird", 60)])
    cand = one([box("car", 0), box("dog", 25), box("cat", 42), box("fish", 60)])
    s = af.compare(ref, cand).summary
    assert (s["reference"], s["candidate"], s["matched"]) == (4, 4, 2)
    assert s["precision"] == s["recall"] == s["f1"] == 0.5
    assert s["accuracy"] == 2 / 6
    assert s["mean_iou"] == pytest.approx((1 + 8 / 12) / 2)


def test_empty_denominators_are_null() -> None:
    c = af.compare(one([]), one([]))
    assert c.summary == {"reference": 0, "candidate": 0, "matched": 0, "precision": None,
                         "recall": None, "f1": None, "accuracy": None, "mean_iou": None}
    assert c.items[0]["accuracy"] is None


def test_warnings_only_for_same_label_pairs_and_one_per_pair_and_type() -> None:
    ref = one([box("car", 0, attributes={"color": "red", "id": 1}),
               box("car", 50, attributes={"color": "red"})])
    cand = one([box("car", 2, attributes={"color": "blue", "id": 2}),
                box("van", 52, attributes={"color": "blue"})])
    c = af.compare(ref, cand)
    assert [(x.type, x.index) for x in c.conflicts] == [
        ("mismatching_label", (1, 1)), ("low_overlap", (0, 0)),
        ("mismatching_attributes", (0, 0))]
    assert c.conflicts[2].detail == {"attributes": ["color", "id"]}
    c = af.compare(ref, cand, ignore_attributes=["id"])
    assert c.conflicts[2].detail == {"attributes": ["color"]}
    c = af.compare(ref, cand, ignore_attributes=["id", "color"], low_overlap=0.5)
    assert [x.type for x in c.conflicts] == ["mismatching_label"]


def test_item_attributes_are_compared_per_item() -> None:
    c = af.compare(one([], attributes={"weather": "rain"}), one([], attributes={"weather": "sun"}))
    assert [(x.type, x.detail) for x in c.conflicts] == [
        ("mismatching_attributes", {"scope": "item", "attributes": ["weather"]})]
    assert json.loads(c.to_json())["conflicts"] == [{
        "type": "mismatching_attributes", "severity": "warning",
        "item": {"subset": None, "id": "1", "media": "a.jpg"}, "reference": None,
        "candidate": None, "labels": [None, None], "iou": None, "scope": "item",
        "attributes": ["weather"], "locations": {}}]


def test_crowd_counts_unless_ignored() -> None:
    ref = one([box("person", 0, crowd=True), box("person", 50)])
    cand = one([box("person", 50)])
    assert af.compare(ref, cand).counts() == {"missing_annotation": 1}
    c = af.compare(ref, cand, ignore_crowd=True)
    assert c.conflicts == [] and c.summary["reference"] == 1


def test_groups_must_correspond() -> None:
    ref = one([box("car", 0, group=1), box("wheel", 20, group=1), box("car", 50)])
    same = one([box("car", 0, group=4), box("wheel", 20, group=4), box("car", 50)])
    split = one([box("car", 0, group=4), box("wheel", 20, group=5), box("car", 50, group=5)])
    assert af.compare(ref, same).conflicts == []
    got = [(x.type, x.index, x.detail) for x in af.compare(ref, split).conflicts]
    assert got == [("mismatching_groups", (0, 0), {"groups": [1, 4]}),
                   ("mismatching_groups", (1, 1), {"groups": [1, 5]}),
                   ("mismatching_groups", (2, 2), {"groups": [None, 5]})]


def test_covered_annotation_is_a_candidate_region_90_percent_inside_another() -> None:
    ref = one([box("car", 0, w=50, h=50), box("car", 60, w=20, h=20)])
    cand = one([box("car", 0, w=50, h=50), box("car", 5, y=5, w=10, h=10),
                box("car", 60, w=20, h=20)])
    c = af.compare(ref, cand)
    covered = [x for x in c.conflicts if x.type == "covered_annotation"]
    assert [(x.index, x.detail["coverage"], x.severity) for x in covered] == [
        ((None, 1), 1.0, "warning")]
    # agree's pairwise comparisons skip the check; nothing else changes
    quiet = af.compare(ref, cand, look_for_covered=False)
    assert [x.type for x in quiet.conflicts] == [
        x.type for x in c.conflicts if x.type != "covered_annotation"]
    assert quiet.summary == c.summary


def test_polyline_direction() -> None:
    ref = one([Polyline(label="lane", points=[10, 50, 90, 50])])
    cand = one([Polyline(label="lane", points=[90, 50, 10, 50])])
    assert [x.type for x in af.compare(ref, cand).conflicts] == ["mismatching_direction"]


def test_a_changed_tag_is_one_missing_and_one_extra() -> None:
    c = af.compare(one([Tag(label="day"), Tag(label="city")]),
                   one([Tag(label="night"), Tag(label="city")]))
    assert sorted(x.type for x in c.conflicts) == ["extra_annotation", "missing_annotation"]
    assert c.summary["matched"] == 1 and c.summary["mean_iou"] is None  # tags: no geometry


def text(*docs: tuple[str, str, list[Span]]) -> Dataset:
    return Dataset(items=[Item(id=i, media=Text(text=t), annotations=a) for i, t, a in docs])


def test_text_items_pair_by_id_and_text_then_text_then_line() -> None:
    ref = text(("1", "Ann met Bob", [Span(label="PER", start=0, end=3)]),
               ("2", "in Paris", [Span(label="LOC", start=3, end=8)]))
    # ids renumbered and order swapped: the texts pair them
    cand = text(("9", "in Paris", [Span(label="LOC", start=3, end=8)]),
                ("8", "Ann met Bob", [Span(label="PER", start=0, end=4)]))
    c = af.compare(ref, cand)
    assert [(x.type, x.item["id"]) for x in c.conflicts] == [("missing_annotation", "1"),
                                                            ("extra_annotation", "1")]
    assert af.compare(ref, cand, span_match="overlap").counts() == {"low_overlap": 1}


def test_items_on_one_side_only_are_reported_and_left_out_of_the_metrics() -> None:
    ref = one([box("car", 0)])
    cand = Dataset(items=[*one([box("car", 0)]).items,
                          Item(id="2", media=Image(path="b.jpg"), annotations=[box("car", 0)])])
    c = af.compare(ref, cand)
    assert c.report.codes() == ["AF702"] and c.summary["candidate"] == 1
    assert "1 annotation(s), left out of the metrics): b.jpg" in c.report.diagnostics[0].message


def test_bad_settings_are_usage_errors() -> None:
    with pytest.raises(UsageError) as exc:
        af.compare(one([]), one([]), iou=0.0)
    assert exc.value.report.codes() == ["AF707"]


def test_gate() -> None:
    c = af.compare(one([box("car", 0)]), one([box("car", 3)]))
    assert c.gate({"f1": 1.0}).codes() == []
    assert c.gate({"mean_iou": 0.9}).codes() == ["AF706"]
    assert af.compare(one([]), one([])).gate({"f1": 0.1}).codes() == ["AF706"]  # null fails


def test_paths_and_datasets_are_both_accepted() -> None:
    path = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    assert af.compare(path, af.load(path)).summary["f1"] == 1.0


def test_the_text_report_names_every_conflict_type() -> None:
    from annoformat.quality.text import render_text

    ref = one([box("car", 0, attributes={"c": 1}, group=1), box("car", 30, group=1),
               Polyline(label="lane", points=[10, 50, 90, 50]), Tag(label="day")],
              attributes={"w": "rain"})
    cand = one([box("car", 2, attributes={"c": 2}), box("van", 30), box("car", 60, 60, 30, 30),
                box("car", 61, 61, 5, 5), Polyline(label="lane", points=[90, 50, 10, 50]),
                Tag(label="night")], attributes={"w": "sun"})
    lines = render_text(af.compare(ref, cand)).splitlines()
    assert lines[0] == "compare: 1 item(s) paired, 4 reference and 6 candidate annotation(s)"
    assert lines[2] == ("(all)  4          6          2        0.333      0.500   0.400  "
                        "0.250     0.833")
    assert lines[8] == ("conflicts: 5 error(s), 7 warning(s): covered_annotation 1, "
                        "extra_annotation 3, low_overlap 1, mismatching_attributes 2, "
                        "mismatching_direction 1, mismatching_groups 2, mismatching_label 1, "
                        "missing_annotation 1")
    assert lines[11:] == [
        "missing_annotation (error): a.jpg: reference [3] 'day' has no match in the candidate",
        "extra_annotation (error): a.jpg: candidate [2] 'car' has no match in the reference",
        "extra_annotation (error): a.jpg: candidate [3] 'car' has no match in the reference",
        "extra_annotation (error): a.jpg: candidate [5] 'night' has no match in the reference",
        "mismatching_label (error): a.jpg: reference [1] 'car' ~ candidate [1] 'van', iou 1.000",
        "low_overlap (warning): a.jpg: reference [0] 'car' ~ candidate [0] 'car', iou 0.667",
        "mismatching_attributes (warning): a.jpg: item attributes differ: w",
        "mismatching_attributes (warning): a.jpg: reference [0] 'car' ~ candidate [0] 'car', "
        "iou 0.667 (c)",
        "mismatching_groups (warning): a.jpg: reference [0] 'car' ~ candidate [0] 'car' "
        "(groups 1 / None)",
        "mismatching_groups (warning): a.jpg: reference [1] 'car' ~ candidate [1] 'van' "
        "(groups 1 / None)",
        "mismatching_direction (warning): a.jpg: reference [2] 'lane' ~ candidate [4] 'lane', "
        "line_iou 1.000",
        "covered_annotation (warning): a.jpg: candidate [3] 'car' lies 100% inside another "
        "candidate region",
    ]


def test_the_same_comparison_on_one_core_and_on_two() -> None:
    """Items are compared in a pool of processes (the datasets inherited, not sent); the
    result is merged in item order, so it is the same document."""
    from annoformat.parallel import use_jobs

    ref = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    cand = FIXTURES / "cli" / "data" / "compare" / "candidate.json"
    with use_jobs(1):
        one = af.compare(ref, cand).to_json()
    with use_jobs(2, min_items=1):
        two = af.compare(ref, cand).to_json()
    doc = json.loads(one)
    assert len(doc["items"]) == 3 and len(doc["conflicts"]) == 5
    assert two == one
