"""Provenance (who or what made an annotation) across the text dialects: X -> Y -> X keeps the
annotator and origin that Y can hold, and Y's loss plan names every annotation whose provenance
it cannot hold (AF524), by the same ``item/#n`` reference the other loss codes use."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import annoformat as af
from annoformat.model import Dataset, Relation
from annoformat.registry import get_format
from annoformat.spec import where
from annoformat.testing.strategies_text import text_datasets

DIALECTS = {"label-studio": ".json", "prodigy": ".jsonl", "doccano": ".jsonl", "jsonl": ".jsonl"}


def _key(item_id: str, ann: Any) -> tuple[Any, ...]:
    return (item_id, ann.type, ann.label, getattr(ann, "start", None), getattr(ann, "end", None))


@pytest.mark.parametrize("target", sorted(DIALECTS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=text_datasets(ids="int", max_items=3, provenance="label-studio")
       | text_datasets(ids="int", max_items=3, provenance="doccano-1x"))
def test_provenance_is_kept_or_named_by_the_plan(target: str, ds: Dataset) -> None:
    fmt = get_format(target)
    options = fmt.options()
    plan = fmt.plan_loss(ds, options)
    named: dict[str, set[str]] = {"annotator": set(), "origin": set()}
    for fact in plan:
        if fact.code == "AF524":
            assert fact.count is not None and fact.count <= len(fact.ids), "every one listed"
            named[fact.ctx["field"]].update(fact.ids)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"out{DIALECTS[target]}"
        af.save(ds, out, format=target, allow_loss=True)
        back = af.load(out, format=target)
    got: Counter[tuple[Any, ...]] = Counter(
        (*_key(item.id, a), a.annotator, a.origin) for item in back.items
        for a in item.annotations)
    for item in ds.items:
        for n, ann in enumerate(item.annotations):
            if isinstance(ann, Relation):
                continue
            ref = where(item.id, ann.id, n)
            annotator = None if ref in named["annotator"] else ann.annotator
            origin = None if ref in named["origin"] else ann.origin
            found = [k for k in got if k[:5] == _key(item.id, ann)
                     and annotator in (None, k[5]) and origin in (None, k[6])]
            assert found, (target, ref, ann.annotator, ann.origin, sorted(got))
