"""A dataset planned in parts (a stream's chunks, a sharded run's shards) gives the plan of the
whole: ``plan(A) ⊕ plan(B)`` records exactly the findings ``plan(A + B)`` records.

The parts share the dataset's head (labels, info, extras), as a stream's chunks do; the items
are split at any point. Targets whose plan makes a whole-set decision are given it as an option
(YOLO's ``task``), as a streamed or sharded run must be. Not here, because they decide over the
whole set by nature: COCO's and CVAT's renumbering of ids that are not unique integers
(AF508), and YOLO Ultralytics' subset ``default`` for items without one when others have one.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from annoformat.convert import record_plan
from annoformat.diagnostics import Report
from annoformat.model import Dataset, Image, Item, Label
from annoformat.registry import get_format, parse_options
from annoformat.spec import LossPlan
from annoformat.testing.strategies_text import full_datasets

TARGETS: list[tuple[str, dict[str, Any]]] = [
    # (segment is not here: it outlines masks, and this strategy's masks need not decode;
    # plans are handed checked datasets only, where AF307 has refused such a mask)
    ("voc", {}), ("yolo", {"task": "detect", "layout": "darknet"}),
    ("yolo", {"task": "detect", "layout": "bare"}), ("jsonl", {}), ("doccano", {}),
    ("prodigy", {}), ("label_studio", {}), ("conll", {}),
]


def _recorded(plan: LossPlan) -> list[tuple[str, str, list[str]]]:
    report = Report()
    record_plan(plan, report, allow_loss=True)
    return sorted((d.code, d.message, list(d.ctx.get("ids", []))) for d in report)


@pytest.mark.parametrize(("target", "options"), TARGETS, ids=[f"{t}-{o}" for t, o in TARGETS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=full_datasets(max_items=5), cut=st.integers(0, 5))
# found in CI: the whole set has a nested path ("/"), so YOLO bare puts images under images/;
# a part alone, unsettled, would not
@example(ds=Dataset(labels=[Label(name="A")], items=[
    Item(id="0", media=Image(path="\x1f")), Item(id="1", media=Image(path="")),
    Item(id="B", media=Image(path="/"))]), cut=1)
def test_the_plans_of_the_parts_merge_into_the_plan_of_the_whole(
        target: str, options: dict[str, Any], ds: Dataset, cut: int) -> None:
    fmt = get_format(target)
    opts = parse_options(fmt, options)
    if fmt.settle is not None:  # as a streamed conversion does: the whole set's decisions
        # (YOLO bare: images/ or flat, by any nested path) made before the parts are planned
        opts = fmt.settle(ds.model_copy(update={"items": []}), lambda: iter(ds.items), opts)
    parts = [ds.model_copy(update={"items": ds.items[:cut]}),
             ds.model_copy(update={"items": ds.items[cut:]})]
    merged = LossPlan(fmt.name)
    for part, offset in zip(parts, (0, cut), strict=True):
        merged.merge(fmt.plan_loss(part, opts), offset=min(offset, len(ds.items)))
    assert _recorded(merged) == _recorded(fmt.plan_loss(ds, opts))


def test_a_plan_keeps_ten_thousand_ids_a_fact_and_counts_every_object() -> None:
    plan = LossPlan("yolo")
    for n in range(LossPlan.KEPT_IDS + 5):
        plan.count("AF516", f"i{n}/1", kind="polygon", target="bbox", task="detect")
    (fact,) = plan
    assert (fact.count, len(fact.ids)) == (LossPlan.KEPT_IDS + 5, LossPlan.KEPT_IDS)
    report = Report()
    record_plan(plan, report, allow_loss=True)
    (found,) = report.diagnostics
    assert found.ctx["ids"][-1] == "... 5 more"
    assert found.message.endswith(f"'i19/1', '... {LossPlan.KEPT_IDS + 5 - 20} more']")
