"""Dataset operations (annoformat.ops): labels, annotations and relations stay consistent."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

import annoformat as af

from conftest import FIXTURES

MINIMAL = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
RELATIONS = FIXTURES / "doccano" / "good" / "relations" / "data.jsonl"


def _labels_used(ds: af.Dataset) -> list[tuple[str, str | None]]:
    return [(item.id, a.label) for item in ds.items for a in item.annotations]


def test_rename_keeps_class_order_and_every_use() -> None:
    ds = af.load(MINIMAL)
    out = af.rename_labels(ds, {"cat": "feline"})
    assert out.label_names() == ["feline", "dog"]
    assert [lb for _, lb in _labels_used(out)] == [
        "feline" if lb == "cat" else lb for _, lb in _labels_used(ds)]
    assert ds.label_names() == ["cat", "dog"]  # the input is not changed
    assert af.rename_labels(ds, {"cat": "feline"}, order=["dog", "feline"]).label_names() == [
        "dog", "feline"]
    assert out.labels[0].id == ds.labels[0].id  # the COCO category id goes with the label


def test_merge_and_drop() -> None:
    ds = af.load(MINIMAL)
    merged = af.merge_labels(ds, ["cat", "dog"], into="pet")
    assert merged.label_names() == ["pet"]
    assert {lb for _, lb in _labels_used(merged)} == {"pet"}
    assert len(_labels_used(merged)) == len(_labels_used(ds))
    dropped = af.drop_labels(ds, ["dog"])
    assert dropped.label_names() == ["cat"]
    assert _labels_used(dropped) == [u for u in _labels_used(ds) if u[1] != "dog"]
    assert [i.id for i in dropped.items] == [i.id for i in ds.items]  # items stay


def test_unknown_labels_are_usage_errors() -> None:
    ds = af.load(MINIMAL)
    with pytest.raises(af.UsageError, match="no label named 'cow'"):
        af.rename_labels(ds, {"cow": "x"})
    with pytest.raises(af.UsageError, match="no label named 'cow'"):
        af.drop_labels(ds, ["cow"])
    with pytest.raises(af.UsageError, match="order must list each label once"):
        af.rename_labels(ds, {}, order=["cat"])


def test_removing_an_entity_removes_its_relations() -> None:
    ds = af.load(RELATIONS)
    assert [a.type for a in ds.items[0].annotations] == ["span", "span", "relation"]
    for out in (af.drop_labels(ds, ["LOC"]),
                af.filter_annotations(ds, lambda item, ann: ann.label != "LOC")):
        assert [(a.type, a.label) for a in out.items[0].annotations] == [("span", "PER")]
    kept = af.filter_annotations(ds, lambda item, ann: True)
    assert kept.items[0].annotations == ds.items[0].annotations


def test_filter_items_and_subsets() -> None:
    ds = af.load(MINIMAL)
    two = af.filter_items(ds, lambda item: item.id != "2")
    assert [i.id for i in two.items] == ["1", "3"] and two.label_names() == ds.label_names()
    parts = af.subsets(af.split(ds, {"a": 1, "b": 2}, seed=3))
    assert {k: [i.id for i in v.items] for k, v in parts.items()} == {
        k: [i.id for i in ds.items if i.id in {j.id for j in v.items}] for k, v in parts.items()}
    assert sorted(len(v.items) for v in parts.values()) == [1, 2]


def _dataset(labels: list[str | None]) -> af.Dataset:
    names = sorted({lb for lb in labels if lb})
    return af.Dataset(
        labels=[af.Label(name=n) for n in names],
        items=[af.Item(id=str(i), media=af.Image(path=f"{i}.jpg", width=10, height=10),
                       annotations=[] if lb is None else [af.Tag(label=lb)])
               for i, lb in enumerate(labels)])


@given(st.lists(st.sampled_from(["a", "b", "c", None]), max_size=60),
       st.lists(st.integers(1, 9), min_size=1, max_size=4), st.integers(0, 5), st.booleans())
def test_split_sizes_are_exact_and_seeded(labels: list[str | None], shares: list[int],
                                          seed: int, stratify: bool) -> None:
    ds = _dataset(labels)
    parts = {f"s{k}": float(v) for k, v in enumerate(shares)}
    out = af.split(ds, parts, seed=seed, stratify=stratify)
    assert out == af.split(ds, parts, seed=seed, stratify=stratify)  # the seed decides
    assert [i.id for i in out.items] == [i.id for i in ds.items]  # order kept
    counts = Counter(i.subset for i in out.items)
    total = sum(shares)
    for name, share in parts.items():  # within one item per stratum of the exact share
        slack = 4 if stratify else 1
        assert abs(counts[name] - len(labels) * share / total) < slack
    if stratify:
        for label in ("a", "b", "c"):
            n = labels.count(label)
            got = Counter(i.subset for i in out.items
                          if i.annotations and i.annotations[0].label == label)
            for name, share in parts.items():
                assert abs(got[name] - n * share / total) < 1


def test_split_refuses_no_share() -> None:
    with pytest.raises(af.UsageError):
        af.split(af.load(MINIMAL), {"train": 0})
