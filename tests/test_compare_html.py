"""``compare --output html``: the page's exact content on a real dataset with drawn images
(fixtures/_stats/batch-a) against a candidate perturbed with known edits.

The edits (``perturbed``): a1 - car #1 shifted by (2, 2) (IoU 684/916 = 0.747, a low_overlap)
and person #3 relabelled car (a mismatching_label); a2 - car #4 moved away (a miss and an
extra) and person #5 dropped (a miss); a3 - a bike box #7 added (an extra). Accuracies: a2 0,
a1 2/4, a3 1/2 (a1 first among the equals: more reference annotations); a4 has nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

import annoformat as af
from annoformat.cli import main
from annoformat.model import BBox, Dataset, Image, Item
from annoformat.quality.compare_page import metric_chart, page, worst_items

from conftest import FIXTURES

A = FIXTURES / "_stats" / "batch-a" / "annotations.json"
IMAGES = FIXTURES / "_stats" / "batch-a" / "images"


def perturbed(folder: Path) -> Path:
    """batch-a with the edits of the module docstring, as COCO in ``folder`` (no images)."""
    doc = json.loads(A.read_text())
    anns = []
    for ann in doc["annotations"]:
        if ann["id"] == 1:
            ann["bbox"] = [12, 12, 40, 20]
        elif ann["id"] == 3:
            ann["category_id"] = 1
        elif ann["id"] == 4:
            ann["bbox"] = [60, 50, 32, 16]
        elif ann["id"] == 5:
            continue
        anns.append(ann)
    anns.append({"id": 7, "image_id": 3, "category_id": 3, "bbox": [70, 50, 20, 20],
                 "area": 400, "iscrowd": 0})
    doc["annotations"] = anns
    out = folder / "candidate.json"
    out.write_text(json.dumps(doc))
    return out


def views(html: str) -> list[str]:
    """The drawn items' SVGs, in page order."""
    return re.findall(r'<svg class="item-view".*?</svg>', html, re.S)


def overlays(svg: str) -> list[tuple[str, str]]:
    """``(classes, data-id)`` of each overlay element of one drawn item."""
    return re.findall(r'class="(ann [a-z ]+)"[^>]*?data-id="([^"]*)"', svg)


def test_worst_items_are_drawn_in_accuracy_order_with_conflicts_highlighted(
        tmp_path: Path) -> None:
    c = af.compare(A, perturbed(tmp_path))
    assert [(r["item"]["media"], r["accuracy"]) for r in worst_items(c)] == [
        ("a2.png", 0.0), ("a1.png", 0.5), ("a3.png", 0.5)]
    html = c.to_html()  # images: batch-a's own folder, found from the reference's path
    drawn = views(html)
    assert [re.search(r'data-item="([^"]*)"', v)[1] for v in drawn] == ["2", "1", "3"]  # type: ignore[index]
    assert all(v.count('<image class="media"') == 1 for v in drawn)
    assert [overlays(v) for v in drawn] == [
        [("ann reference highlight", "4"), ("ann reference highlight", "5"),
         ("ann candidate highlight", "4")],
        [("ann reference highlight", "1"), ("ann reference", "2"),
         ("ann reference highlight", "3"), ("ann candidate highlight", "1"),
         ("ann candidate", "2"), ("ann candidate highlight", "3")],
        [("ann reference", "6"), ("ann candidate", "6"), ("ann candidate highlight", "7")]]
    assert "a2.png: accuracy 0.000 (reference 2, candidate 1, matched 0); 3 conflict(s)" in html
    assert "a1.png: accuracy 0.500 (reference 3, candidate 3, matched 2); 2 conflict(s)" in html
    assert "not drawn" not in html and "https://" not in html and "<script" not in html


def test_summary_plots_confusion_and_located_conflicts(tmp_path: Path) -> None:
    cand = perturbed(tmp_path)
    html = af.compare(A, cand).to_html()
    # the summary table: (all) and three labels, numbers as the JSON output has them
    assert ('<tr><td>(all)</td><td class="n">6</td><td class="n">6</td><td class="n">3</td>'
            '<td class="n">0.500</td><td class="n">0.500</td><td class="n">0.500</td>'
            '<td class="n">0.333</td><td class="n">0.916</td></tr>') in html
    # precision, recall and f1 bars per label on a 0..1 scale (560 px = 1): bike f1 2/3
    bars = re.findall(r'<rect class="bar (\w+)" x="\d+" y="\d+" width="([\d.]+)"[^>]*'
                      r'data-label="(\w+)"', html)
    assert len(bars) == 9 and {b[0] for b in bars} == {"precision", "recall", "f1"}
    widths = {(label, metric): float(w) for metric, w, label in bars}
    span = widths[("bike", "recall")]
    assert widths[("bike", "f1")] == round(span * 2 / 3, 1)
    assert widths[("person", "precision")] == 0.0  # null: no bar, reads "-"
    assert "person precision: -" in html
    # the confusion matrix: reference labels down, candidate across, (none) last
    assert ("<tr><th>reference \\ candidate</th><th class=\"n\">bike</th><th class=\"n\">car"
            "</th><th class=\"n\">(none)</th></tr>") in html
    assert ('<tr><td>person</td><td class="n"></td><td class="n">1</td><td class="n">1</td>'
            "</tr>") in html
    assert '<tr><td>(none)</td><td class="n">1</td><td class="n">1</td>' in html
    # every conflict, located like validation diagnostics
    rows = re.findall(r"<tr><td>(\w+)</td><td>(error|warning)</td><td>([\w.]+)</td><td>.*?"
                      r"</td><td class=\"n\">([\d.]*)</td><td>([^<]*)</td></tr>", html)
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        ("mismatching_label", "a1.png", "1.000", f"{cand}:1 [/annotations/2]"),
        ("low_overlap", "a1.png", "0.747", f"{cand}:1 [/annotations/0]"),
        ("missing_annotation", "a2.png", "", f"{A}:11 [/annotations/3]"),
        ("missing_annotation", "a2.png", "", f"{A}:12 [/annotations/4]"),
        ("extra_annotation", "a2.png", "", f"{cand}:1 [/annotations/3]"),
        ("extra_annotation", "a3.png", "", f"{cand}:1 [/annotations/5]")]


def test_items_without_an_image_are_listed_not_drawn(tmp_path: Path) -> None:
    empty = tmp_path / "no-images"
    empty.mkdir()
    html = af.compare(A, perturbed(tmp_path)).to_html(images=empty, worst=2)
    assert views(html) == []
    assert "none drawn (--worst 0)." in af.compare(A, perturbed(tmp_path)).to_html(worst=0)
    assert f"2 of the worst item(s) are not drawn: their image was not found under {empty}." \
        in html
    assert re.findall(r"<tr><td>(a\d\.png)</td><td class=\"n\">([\d.]+)</td>.*?"
                      r"<td>image not found</td></tr>", html) == [("a2.png", "0.000"),
                                                                 ("a1.png", "0.500")]


def test_annotations_without_ids_are_highlighted_by_their_index() -> None:
    media = Image(path="a1.png", width=100, height=80)
    ref = Dataset(items=[Item(id="1", media=media, annotations=[
        BBox(label="car", x=10, y=10, w=40, h=20), BBox(label="person", x=5, y=30, w=10, h=30)])])
    cand = Dataset(items=[Item(id="1", media=media, annotations=[
        BBox(label="car", x=10, y=10, w=40, h=20)])])
    html = page(af.compare(ref, cand), images=IMAGES)
    # the matched pair keeps no id (none to show); the missing person is named by its index
    assert [overlays(v) for v in views(html)] == [[("ann reference highlight", "[1]")]]
    assert re.findall(r'class="(ann [a-z ]+)"', html) == [
        "ann reference", "ann reference highlight", "ann candidate"]
    assert "reference [1] &#x27;person&#x27; has no match in the candidate" in html


def test_metric_chart_escapes_labels() -> None:
    svg = metric_chart({"<b>": {"precision": 1.0, "recall": None, "f1": 0.5}})
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    assert svg.count("<rect class=\"bar") == 3


def test_cli_writes_the_page_atomically_and_never_over_an_input(tmp_path: Path) -> None:
    cand = perturbed(tmp_path)
    out = tmp_path / "report" / "compare.html"
    result = CliRunner().invoke(main, ["compare", str(A), str(cand), "--output", "html",
                                       "--images", str(IMAGES), "--worst", "1", "-o",
                                       str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>\n")
    assert [re.search(r'data-item="([^"]*)"', v)[1] for v in views(html)] == ["2"]  # type: ignore[index]
    before = cand.read_bytes()
    result = CliRunner().invoke(main, ["compare", str(A), str(cand), "--output", "html", "-o",
                                       str(cand)])
    assert result.exit_code == 1 and "AF014 destination-is-source" in result.stderr
    assert cand.read_bytes() == before
