"""Properties of compare on generated datasets of every shape: a dataset against itself is a
perfect score with no error, the roles swap symmetrically, and nothing crashes."""

from __future__ import annotations

import json

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat.model import Dataset
from annoformat.testing.strategies_cvat import cvat_image_datasets
from annoformat.testing.strategies_text import text_datasets

ERRORS = {"missing_annotation", "extra_annotation", "mismatching_label"}


def _self_check(ds: Dataset) -> None:
    assume(ds.items)  # no item on either side is AF705, an error
    c = af.compare(ds, ds)
    assert not {x.type for x in c.conflicts} & ERRORS
    assert {x.type for x in c.conflicts} <= {"covered_annotation"}
    s = c.summary
    assert s["matched"] == s["reference"] == s["candidate"]
    assert s["f1"] == (1.0 if s["reference"] else None)
    if s["mean_iou"] is not None:
        assert abs(s["mean_iou"] - 1.0) < 1e-9
    json.loads(c.to_json())


@settings(max_examples=40, deadline=None)
@given(cvat_image_datasets())
def test_an_image_dataset_against_itself_is_perfect(ds: Dataset) -> None:
    _self_check(ds)


@settings(max_examples=40, deadline=None)
@given(text_datasets())
def test_a_text_dataset_against_itself_is_perfect(ds: Dataset) -> None:
    _self_check(ds)


@settings(max_examples=40, deadline=None)
@given(cvat_image_datasets(), st.data())
def test_swapping_the_roles_swaps_precision_and_recall(ds: Dataset, data: st.DataObject) -> None:
    assume(ds.items)
    other = ds.model_copy(deep=True)
    for item in other.items:  # drop some annotations, relabel others
        keep = data.draw(st.lists(st.booleans(), min_size=len(item.annotations),
                                  max_size=len(item.annotations)))
        item.annotations = [a for a, k in zip(item.annotations, keep, strict=True) if k]
    a, b = af.compare(ds, other), af.compare(other, ds)
    assert a.summary["matched"] == b.summary["matched"]
    assert a.summary["precision"] == b.summary["recall"]
    assert a.summary["f1"] == b.summary["f1"]
    assert a.counts()["missing_annotation"] == b.counts()["extra_annotation"]
