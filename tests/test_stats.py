"""`annoformat stats`: exact statistics on fixtures with known counts, drift checked against
scipy and hand-computed Jensen-Shannon distances, groups, the annotator outlier, the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from scipy.stats import chi2_contingency

import annoformat as af
from annoformat.cli import main
from annoformat.model import BBox, Dataset, Image, Item, Label, Polyline, Tag
from annoformat.quality.drift import chi_square, js_distance
from annoformat.quality.stats import SIZE_BINS, Quantiles, size_bin

from conftest import FIXTURES, Case, fixture_cases

A = FIXTURES / "_stats" / "batch-a" / "annotations.json"
B = FIXTURES / "_stats" / "batch-b" / "annotations.json"
ANNOTATORS = FIXTURES / "_stats" / "annotators.jsonl"


def _jsd(p: list[float], q: list[float]) -> float:
    """Jensen-Shannon distance (base 2) written out: sqrt(H(M) - (H(P) + H(Q)) / 2)."""
    def norm(v: list[float]) -> list[float]:
        return [x / sum(v) for x in v]

    def entropy(v: list[float]) -> float:
        return -sum(x * math.log2(x) for x in v if x > 0)

    p, q = norm(p), norm(q)
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    return math.sqrt(entropy(m) - (entropy(p) + entropy(q)) / 2)


def _q(n: int, *values: float) -> dict[str, object]:
    keys = ["min", "p25", "median", "p75", "max", "mean"]
    return {"n": n, **{k: pytest.approx(v, abs=1e-9) for k, v in zip(keys, values, strict=True)}}


def test_batch_a_exact_numbers() -> None:
    s = af.stats(A).summary
    assert (s.items, s.empty_items, s.annotations) == (4, 1, 6)
    assert s.types == {"bbox": 5, "polygon": 1}
    # objects per item 3, 2, 1, 0
    assert s.objects_per_item.to_dict() == _q(4, 0, 0.75, 1.5, 2.25, 3, 1.5)
    assert {k: (v.count, v.share) for k, v in s.labels.items()} == {
        "car": (3, 0.5), "person": (2, 2 / 6), "bike": (1, 1 / 6)}
    assert list(s.labels) == ["car", "person", "bike"]  # most frequent first
    # widths 40 20 10 32 8 30, heights 20 10 30 16 32 30 (the pentagon's box is 30 x 30)
    assert s.box_width.to_dict() == _q(6, 8, 12.5, 25, 31.5, 40, 140 / 6)
    assert s.box_height.to_dict() == _q(6, 10, 17, 25, 30, 32, 23)
    assert s.box_area.to_dict() == _q(6, 200, 267, 406, 728, 900, 2968 / 6)
    aspects = (2 + 2 + 1 / 3 + 2 + 0.25 + 1) / 6
    assert s.aspect_ratio.to_dict() == _q(6, 0.25, 0.5, 1.5, 2, 2, aspects)
    assert {k: v for k, v in s.size_histogram.items() if v} == {"[8, 16)": 1, "[16, 32)": 5}
    assert list(s.size_histogram) == list(SIZE_BINS) and len(SIZE_BINS) == 12
    assert s.attributes == {"color": {"red": 2, "blue": 1}}


def test_quantiles_and_bins() -> None:
    assert Quantiles.of([]).to_dict() == {"n": 0, "min": None, "p25": None, "median": None,
                                          "p75": None, "max": None, "mean": None}
    assert Quantiles.of([5]).median == 5.0
    assert [size_bin(v) for v in (0, 1.99, 2, 3.99, 4, 2047.9, 2048, 1e9)] == [
        0, 0, 1, 1, 2, 10, 11, 11]


def test_js_distance_known_values() -> None:
    assert js_distance({"a": 1}, {"b": 5}) == 1.0  # disjoint
    assert js_distance({"a": 2, "b": 6}, {"a": 1, "b": 3}) == 0.0  # same shares
    # H([.75, .25]) - 1/2 = 0.311278..., its root 0.557923...
    half = math.sqrt(-(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)) - 0.5)
    assert js_distance({"a": 1, "b": 1}, {"a": 1}) == pytest.approx(half, abs=1e-12)
    assert round(half, 6) == 0.557923
    assert js_distance({}, {"a": 1}) is None


def test_chi_square_is_scipys() -> None:
    table = [[5, 1], [3, 3]]
    statistic, p, dof, _ = chi2_contingency(table)
    assert chi_square(table) == (pytest.approx(statistic), dof, pytest.approx(p))
    assert chi_square([[4, 0], [2, 0]]) is None  # a column of zeros: no test
    assert chi_square([[4, 2]]) is None


def test_drift_of_batch_b_against_batch_a() -> None:
    s = af.stats(B, against=A)
    d = s.against
    # B: car 5, truck 1; A: car 3, person 2, bike 1 (columns bike, car, person, truck)
    assert d.label_distance == pytest.approx(_jsd([0, 5, 0, 1], [1, 3, 2, 0]), abs=1e-12)
    assert round(d.label_distance, 4) == 0.6031
    assert d.size_distance == 1.0  # A's boxes are all below 32 px, B's all above
    statistic, p, dof, _ = chi2_contingency([[0, 5, 0, 1], [1, 3, 2, 0]])
    assert d.labels_chi2 == {"statistic": pytest.approx(statistic), "dof": dof,
                             "p": pytest.approx(p)}
    assert statistic == pytest.approx(4.5)
    car = d.labels["car"]
    statistic, p, _, _ = chi2_contingency([[5, 1], [3, 3]])
    assert (car.count, car.other_count) == (5, 3)
    assert (car.share, car.other_share, car.change) == (
        pytest.approx(5 / 6), 0.5, pytest.approx(1 / 3))
    assert (car.chi2, car.p) == (pytest.approx(statistic), pytest.approx(p))
    assert d.labels_appeared == ["truck"] and d.labels_vanished == ["bike", "person"]
    assert d.attribute_values_appeared == {"color": ["Red"]}
    assert d.attribute_values_vanished == {"color": ["blue"]}
    # labels in name order: bike, (car), person, truck
    assert s.report.codes() == ["AF720", "AF721", "AF724", "AF724", "AF723", "AF725", "AF726"]
    assert d.flagged == s.report.codes()
    loc = s.report.diagnostics[0].location
    assert loc.path == str(B) and s.report.diagnostics[0].ctx["distance"] == 0.6031


def test_thresholds_decide_what_is_flagged() -> None:
    s = af.stats(B, against=A, drift_threshold=1.0, significance=0.6)
    # 0.6031 and 1.0 are not above 1.0; car's p = 0.54 is below 0.6
    assert s.report.codes() == ["AF724", "AF722", "AF724", "AF723", "AF725", "AF726"]
    assert s.report.diagnostics[1].message == (
        f"label 'car': 83.3% of the annotations here, 50.0% in {A} "
        "(chi-square p = 0.54, below 0.6)")
    assert af.stats(A, against=A).report.codes() == []


def test_annotator_outlier() -> None:
    s = af.stats(ANNOTATORS, by="annotator")
    assert {k: g.label_counts() for k, g in s.groups.items()} == {
        "alice": {"pos": 3, "neg": 2, "neu": 1}, "bob": {"pos": 3, "neg": 2, "neu": 1},
        "carol": {"neg": 5, "pos": 1}}
    assert {k: g.items for k, g in s.groups.items()} == {"alice": 6, "bob": 6, "carol": 6}
    # columns neg, neu, pos; each annotator against the other two pooled
    carol = _jsd([5, 0, 1], [4, 2, 6])
    alice = _jsd([2, 1, 3], [7, 1, 4])
    assert s.outlier is not None and s.outlier.annotator == "carol"
    assert s.outlier.distance == pytest.approx(carol, abs=1e-12)
    assert s.outlier.distances == {"alice": pytest.approx(alice, abs=1e-12),
                                   "bob": pytest.approx(alice, abs=1e-12),
                                   "carol": pytest.approx(carol, abs=1e-12)}
    assert s.report.codes() == ["AF727"]
    assert s.report.diagnostics[0].ctx["annotator"] == "carol"
    assert af.stats(ANNOTATORS, by="annotator", drift_threshold=0.5).report.codes() == []


def _dataset() -> Dataset:
    def img(name: str) -> Image:
        return Image(path=name, width=200, height=100)

    return Dataset(labels=[Label(name="car"), Label(name="road")], items=[
        Item(id="1", subset="train", media=img("1.jpg"), annotations=[
            BBox(label="car", x=0, y=0, w=4, h=2, annotator="ann"),
            BBox(label="car", x=0, y=0, w=8, h=8, annotator="bob"),
            Polyline(label="road", points=[0, 0, 50, 50], annotator="bob")]),
        Item(id="2", subset="train", media=img("2.jpg"), annotations=[
            Tag(label="car", attributes={"night": True}),
            BBox(label="car", x=1, y=1, w=100, h=50, attributes={"night": True},
                 annotator="ann")]),
        Item(id="3", subset="val", media=img("3.jpg")),
    ])


def test_groups_by_subset_label_and_annotator_of_a_dataset_in_memory() -> None:
    ds = _dataset()
    by_subset = af.stats(ds, by="subset")
    assert by_subset.path is None
    assert {k: (g.items, g.empty_items, g.annotations) for k, g in by_subset.groups.items()} == {
        "train": (2, 0, 5), "val": (1, 1, 0)}
    # the polyline and the tag have no area: two of the five annotations are not boxes
    assert by_subset.summary.box_width.n == 3 and by_subset.summary.attributes == {
        "night": {"true": 2}}
    by_label = af.stats(ds, by="label")
    assert {k: (g.items, g.annotations, g.types) for k, g in by_label.groups.items()} == {
        "car": (2, 4, {"bbox": 3, "tag": 1}), "road": (1, 1, {"polyline": 1})}
    by_annotator = af.stats(ds, by="annotator")
    assert {k: (g.items, g.annotations) for k, g in by_annotator.groups.items()} == {
        "(none)": (1, 1), "ann": (2, 2), "bob": (1, 2)}
    # annotations without an annotator take no part: ann {car 2} against bob {car 1, road 1}
    assert by_annotator.outlier is not None
    assert by_annotator.outlier.distances == {"ann": pytest.approx(_jsd([2, 0], [1, 1])),
                                              "bob": pytest.approx(_jsd([1, 1], [2, 0]))}
    assert by_annotator.outlier.annotator == "bob"  # a tie goes to the later name


def test_to_dict_is_the_json_contract() -> None:
    doc = json.loads(af.stats(B, against=A, by="subset").to_json())
    assert list(doc) == ["path", "summary", "by", "groups", "against", "diagnostics"]
    assert list(doc["summary"]) == [
        "items", "empty_items", "annotations", "types", "objects_per_item", "labels",
        "box_width", "box_height", "box_area", "box_size", "aspect_ratio", "size_histogram",
        "attributes"]
    assert doc["summary"]["labels"]["car"] == {"count": 5, "share": 5 / 6}
    assert list(doc["against"]) == [
        "path", "summary", "labels", "labels_chi2", "label_distance", "size_distance",
        "labels_appeared", "labels_vanished", "attribute_values_appeared",
        "attribute_values_vanished", "threshold", "significance", "flagged"]
    assert doc["against"]["labels"]["truck"] == {
        "count": 1, "share": 1 / 6, "other_count": 0, "other_share": 0.0, "change": 1 / 6,
        "chi2": 0.0, "p": 1.0}
    assert [d["code"] for d in doc["diagnostics"]] == [
        "AF720", "AF721", "AF724", "AF724", "AF723", "AF725", "AF726"]
    annotators = json.loads(af.stats(ANNOTATORS, by="annotator").to_json())
    assert annotators["outlier"]["annotator"] == "carol"


def test_cli_json_text_and_file_output(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["stats", str(A), "--output", "json"])
    assert result.exit_code == 0 and result.stderr == ""
    assert json.loads(result.stdout) == json.loads(af.stats(A).to_json())
    text = runner.invoke(main, ["stats", str(A)]).stdout.splitlines()
    assert text[:4] == [f"stats: {A}", "items: 4 (1 without annotations)",
                        "annotations: 6 [bbox 5, polygon 1]", "quantiles:"]
    assert "  objects per item     n=4 min 0  p25 0.75  median 1.5  p75 2.25  max 3  mean 1.5" \
        in text
    assert text[-6:] == ["labels:", "  car          3   50.0%", "  person       2   33.3%",
                         "  bike         1   16.7%", "attributes:", "  color: red 2, blue 1"]
    out = tmp_path / "report.html"
    result = runner.invoke(main, ["stats", str(A), "--output", "html", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text().count('<svg class="item-view"') == 3
    drift = runner.invoke(main, ["stats", str(B), "--against", str(A), "--fail-on-drift"])
    assert drift.exit_code == 1
    # information only (attribute values) does not fail the gate
    info = runner.invoke(main, ["stats", str(B), "--against", str(B), "--fail-on-drift"])
    assert info.exit_code == 0


def test_cli_bad_input_is_a_coded_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", str(tmp_path / "missing.json")])
    assert result.exit_code == 1
    assert "AF001 file-not-found" in result.stderr and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["stats", str(A), "--against", str(tmp_path / "x.json")])
    assert result.exit_code == 1 and "AF001 file-not-found" in result.stderr


def test_names_from_the_input_are_escaped_in_text() -> None:
    ds = Dataset(labels=[Label(name="a\nAF000 fake: x")], items=[Item(
        id="1", media=Image(path="a.jpg"), annotations=[Tag(label="a\nAF000 fake: x")])])
    from annoformat.quality.stats_text import render_text

    text = render_text(af.stats(ds))
    assert "a\\nAF000 fake: x" in text and "\nAF000" not in text


def test_the_histogram_bins_every_size_as_size_bin_does() -> None:
    import random

    rng = random.Random(7)
    sides = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 2048.0, 4096.0] + [
        rng.uniform(0, 3000) for _ in range(300)]
    boxes = [BBox(label="a", x=0, y=0, w=w, h=rng.choice(sides)) for w in sides]
    ds = Dataset(items=[Item(id="1", media=Image(path="a.jpg"), annotations=boxes)])
    expected = [0] * len(SIZE_BINS)
    for box in boxes:
        expected[size_bin(math.sqrt(box.w * box.h))] += 1
    assert list(af.stats(ds).summary.size_histogram.values()) == expected


def test_output_file_is_never_an_input(tmp_path: Path) -> None:
    src = tmp_path / "a.json"
    src.write_bytes(A.read_bytes())
    result = CliRunner().invoke(main, ["stats", str(src), "--output", "json", "-o", str(src)])
    assert result.exit_code == 1 and "AF014 destination-is-source" in result.stderr
    assert src.read_bytes() == A.read_bytes()
    out = tmp_path / "deep" / "s.json"  # folders made; an old file replaced
    for _ in range(2):
        assert CliRunner().invoke(main, ["stats", str(src), "--output", "json", "-o",
                                         str(out)]).exit_code == 0
    assert json.loads(out.read_text())["summary"]["items"] == 4
    assert sorted(p.name for p in out.parent.iterdir()) == ["s.json"]


@pytest.mark.parametrize("case", [c for c in fixture_cases("good")], ids=lambda c: c.id)
def test_every_good_fixture_has_statistics_in_every_output(case: Case) -> None:
    from annoformat.quality.stats_text import render_text

    ds = af.load(case.input, case.format)
    s = af.stats(ds, by="label", against=ds)
    assert s.summary.items == len(ds.items)
    assert s.summary.annotations == sum(len(it.annotations) for it in ds.items)
    assert sum(c.count for c in s.summary.labels.values()) == s.summary.annotations
    assert s.against is not None and s.against.label_distance in (0.0, None)
    assert s.report.codes() == []  # a dataset does not drift from itself
    json.loads(s.to_json())
    assert render_text(s) and s.to_html().startswith("<!DOCTYPE html>")
