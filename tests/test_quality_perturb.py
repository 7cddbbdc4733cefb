"""Perturbation suite: known edits to a dataset, and ``compare`` reports exactly those conflicts.

The base is the CVAT fixture with every shape type and a COCO-2017-shaped file from the
benchmark generator (boxes, 80 categories). Edits: drop k objects, add k, relabel k, shift k
boxes to a known IoU, change an attribute. The reference and the edited candidate are
written in every pair of formats that holds the data (COCO, CVAT, YOLO, VOC; attribute edits
only where both keep attributes), both read back from disk, and the conflicts compared as a
multiset.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import annoformat as af
from annoformat.model import BBox, Dataset, Item

from conftest import FIXTURES, ROOT

K = 3
LOW_IOU = 0.6  # between --iou 0.5 and --low-overlap 0.8: matched, with a low_overlap warning
Key = tuple[str, str, Any, tuple[Any, ...]]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "instances.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_coco.py"), str(out),
                    "--images", "40", "--annotations", "300", "--seed", "7"], check=True,
                   capture_output=True)
    return out


def boxes_only(ds: Dataset) -> Dataset:
    """Every object as an integer box of at least 8 px (VOC stores whole pixels), no crowd,
    ids kept; items without objects dropped (empty items need no edits)."""
    items = []
    for item in ds.items:
        anns = []
        for a in item.annotations:
            if getattr(a, "crowd", None) or not hasattr(a, "box"):
                continue
            x, y, w, h = (round(v) for v in a.box)
            w, h = max(w, 8), max(h, 8)
            assert item.media.kind == "image" and item.media.width and item.media.height
            x, y = min(x, item.media.width - w), min(y, item.media.height - h)
            if x < 0 or y < 0:
                continue
            anns.append(BBox(label=a.label, id=a.id, x=x, y=y, w=w, h=h))
        if anns:
            items.append(Item(id=item.id, subset=item.subset, media=item.media,
                              annotations=anns))
    used = {a.label for it in items for a in it.annotations}
    return Dataset(labels=[lb for lb in ds.labels if lb.name in used], items=items)


def _overlaps(a: BBox, b: BBox) -> bool:
    return not (a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y)


def _isolated(item: Item, ann: BBox) -> bool:
    return not any(_overlaps(ann, o) for o in item.annotations if o is not ann)


def perturb(base: Dataset, rng: random.Random, attributes: bool) -> tuple[Dataset, Counter[Key]]:
    """An edited copy and the conflicts the edits must produce, as (type, media, reference
    id, labels) keys."""
    ds = base.model_copy(deep=True)
    expected: Counter[Key] = Counter()
    names = ds.label_names()
    spots = [(i, j) for i, it in enumerate(ds.items) for j in range(len(it.annotations))]
    rng.shuffle(spots)
    taken: set[tuple[int, int]] = set()

    def pick(ok: Any) -> tuple[Item, BBox]:
        for spot in spots:
            item, ann = ds.items[spot[0]], ds.items[spot[0]].annotations[spot[1]]
            if spot not in taken and ok(item, ann):
                taken.add(spot)
                return item, ann  # type: ignore[return-value]
        raise AssertionError("no annotation fits the edit")

    for _ in range(K):  # relabel
        item, ann = pick(lambda it, a: _isolated(it, a))
        old = ann.label
        ann.label = rng.choice([n for n in names if n != old])
        expected[("mismatching_label", item.media.path, ann.id, (old, ann.label))] += 1
    for _ in range(K):  # shift right so that IoU = (w - dx) / (w + dx) is about LOW_IOU
        item, ann = pick(lambda it, a: a.w >= 20 and _isolated(it, a)
                         and a.x + a.w * 1.3 <= it.media.width)
        dx = round(ann.w * (1 - LOW_IOU) / (1 + LOW_IOU))
        moved = ann.model_copy(update={"x": ann.x + dx})
        if not _isolated(item, moved):
            continue
        ann.x += dx
        expected[("low_overlap", item.media.path, ann.id, (ann.label, ann.label))] += 1
    if attributes:
        for _ in range(K):
            item, ann = pick(lambda it, a: True)
            ann.attributes = {"checked": "yes"}
            expected[("mismatching_attributes", item.media.path, ann.id,
                      (ann.label, ann.label))] += 1
    drops = []
    for _ in range(K):  # isolated: dropping a box that covers another would end that warning
        item, ann = pick(lambda it, a: _isolated(it, a))
        drops.append((item, ann))
        expected[("missing_annotation", item.media.path, ann.id, (ann.label, None))] += 1
    for item, ann in drops:
        item.annotations.remove(ann)
    added = 0
    while added < K:  # new boxes touching nothing: extra, and never covered
        item = rng.choice(ds.items)
        w = h = 16
        x, y = rng.randrange(item.media.width - w), rng.randrange(item.media.height - h)
        new = BBox(label=rng.choice(names), id=10_000 + added, x=x, y=y, w=w, h=h)
        if not _isolated(item, new):
            continue
        item.annotations.append(new)
        expected[("extra_annotation", item.media.path, None, (None, new.label))] += 1
        added += 1
    return ds, expected


def found(c: af.Comparison) -> Counter[Key]:
    return Counter((x.type, x.item["media"], x.reference, tuple(x.labels)) for x in c.conflicts)


FORMATS = {"coco": ("out.json", True), "cvat": ("out.xml", True), "yolo": ("yolo", False),
           "voc": ("voc", False)}


#: formats whose reader gives these objects' ids back (CVAT XML has no shape id attribute)
KEEPS_IDS = {"coco"}


def _without_ids(keys: Counter[Key]) -> Counter[Key]:
    return Counter((k[0], k[1], None, k[3]) for k in keys.elements())


@pytest.mark.parametrize("ref_fmt", sorted(FORMATS))
@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("seed", [1, 2])
def test_compare_reports_exactly_the_edits(generated: Path, tmp_path: Path, ref_fmt: str,
                                           fmt: str, seed: int) -> None:
    """Every pair of formats that holds the edited data: the reference in one, the edited
    candidate in another (attribute edits only where both keep attributes)."""
    base = boxes_only(af.load(generated))
    name, attributes = FORMATS[fmt]
    ref_name, ref_attributes = FORMATS[ref_fmt]
    ref_name = "ref-" + ref_name
    edited, expected = perturb(base, random.Random(seed), attributes and ref_attributes)
    af.save(base, tmp_path / ref_name, ref_fmt)
    af.save(edited, tmp_path / name, fmt)
    baseline = af.compare(tmp_path / ref_name, tmp_path / ref_name)
    assert baseline.conflicts == [] or {c.type for c in baseline.conflicts} == {
        "covered_annotation"}
    c = af.compare(tmp_path / ref_name, tmp_path / name)
    got = found(c)
    # what the unedited data has already (boxes lying inside others) stays, unchanged
    covered = Counter({k: n for k, n in found(baseline).items() if k[0] == "covered_annotation"})
    if ref_fmt in KEEPS_IDS:
        assert got == expected + covered
    else:  # no ids read back: the same conflicts, told apart by the rest
        assert _without_ids(got) == _without_ids(expected + covered)
    for conflict in c.conflicts:
        if conflict.type == "low_overlap":
            assert 0.5 <= (conflict.iou or 0) < 0.8
    s = c.summary
    n = sum(len(it.annotations) for it in base.items)
    assert s["reference"] == n and s["candidate"] == n  # K dropped, K added
    wrong = sum(v for k, v in expected.items() if k[0] in ("mismatching_label",
                                                           "missing_annotation"))
    assert s["matched"] == n - wrong
    assert s["accuracy"] == pytest.approx(s["matched"] / (2 * n - s["matched"]))
    # every item paired (voc and yolo keep no subset: by file name); reading notes aside
    assert [k for k in c.report.codes() if k.startswith("AF7")] in ([], ["AF704"])


def test_the_cvat_fixture_with_every_shape_against_edits(tmp_path: Path) -> None:
    src = FIXTURES / "cvat" / "good" / "images-all-shapes" / "annotations.xml"
    ref = af.load(src)
    cand = ref.model_copy(deep=True)
    first = cand.items[0].annotations
    first[0].attributes["model"] = "mazda"  # the box
    first[1].label = "road"  # the rotated box
    del first[3]  # the polyline
    cand.items[1].annotations[2].points[0] += 0.2  # a keypoint moved a little: still matched
    af.save(cand, tmp_path / "cand.xml", "cvat")
    c = af.compare(src, tmp_path / "cand.xml")
    assert [(x.type, x.labels, x.index) for x in c.conflicts] == [
        ("missing_annotation", ["road", None], (3, None)),
        ("mismatching_label", ["car", "road"], (1, 1)),
        ("mismatching_attributes", ["car", "car"], (0, 0)),
    ]
    # located: the reference's polyline by its line in the XML, the candidate's box too
    missing = c.conflicts[0].where["reference"]
    assert missing is not None and missing.path == str(src) and missing.line is not None
    assert c.conflicts[2].detail == {"attributes": ["model"]}
    assert c.summary["reference"] == 11 and c.summary["candidate"] == 10
    assert c.summary["matched"] == 9
