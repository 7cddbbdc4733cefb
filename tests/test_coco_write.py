"""The COCO writer's shortcuts give exactly what its general path gives.

Plain boxes and polygons (nothing in attributes, extras, score) skip ``_annotation_dict`` and
the boxes' corner rings and areas are computed together (``coco/_tidy.py``, numpy from
``BATCH`` values on): both must be byte-for-byte the general path's output.
"""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from annoformat.diagnostics import Report
from annoformat.formats.coco import CAPABILITIES, _tidy, _write
from annoformat.formats.coco._common import Options, tidy_product, tidy_sum
from annoformat.model import BBox, Dataset, Image, Item, Label, Polygon
from annoformat.testing.strategies import datasets


def _written(ds: Dataset, path: Path) -> bytes:
    report = Report()
    _write.write(ds, path, Options(), report)
    assert not report.errors
    return path.read_bytes()


def _both(ds: Dataset, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    fast = _written(ds, tmp / "fast.json")
    with monkeypatch.context() as m:
        m.setattr(_write, "_plain", lambda fields: False)  # every object: the general path
        general = _written(ds, tmp / "general.json")
    return fast, general


@given(ds=datasets(CAPABILITIES))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_shortcuts_write_what_the_general_path_writes(ds: Dataset, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fast, general = _both(ds, tmp_path, monkeypatch)
    assert fast == general


def _box_dataset(n: int) -> Dataset:
    rnd = random.Random(16)
    items = []
    for i in range(n // 4):
        anns = []
        for k in range(4):
            x, y = round(rnd.uniform(0, 600), rnd.choice((0, 1, 2, 6))), rnd.uniform(0, 400)
            w, h = round(rnd.uniform(0.5, 300), 2), round(rnd.uniform(0.5, 300), 3)
            if k == 3:  # a polygon beside the boxes, without a stored box or area
                anns.append(Polygon(label="a", id=4 * i + k + 1,
                                    rings=[[x, y, x + w, y, x + w / 3, y + h]]))
            else:
                anns.append(BBox(label="a", id=4 * i + k + 1, x=float(x), y=y, w=w, h=h,
                                 area=None if k else 1.5, crowd=k == 2 or None))
        items.append(Item(id=str(i), media=Image(path=f"{i}.jpg", width=640, height=480),
                          annotations=anns))
    return Dataset(labels=[Label(name="a")], items=items)


def test_batched_box_values_equal_the_scalar_ones(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ds = _box_dataset(4000)
    monkeypatch.setattr(_tidy, "BATCH", 100)  # numpy's path at this size
    fast, general = _both(ds, tmp_path, monkeypatch)
    assert fast == general
    doc = orjson.loads(fast)
    first = doc["annotations"][0]
    box = ds.items[0].annotations[0]
    assert first["bbox"] == [box.x, box.y, box.w, box.h]
    assert first["area"] == 1.5  # stored: kept as it came
    assert doc["annotations"][1]["area"] == tidy_product(ds.items[0].annotations[1].w,
                                                         ds.items[0].annotations[1].h)
    assert doc["annotations"][2]["iscrowd"] == 1


def test_tidy_sums_and_products_equal_the_scalar_functions() -> None:
    rnd = random.Random(7)
    a = [round(rnd.uniform(-5, 2000), rnd.choice((0, 1, 2, 3, 10, 17))) for _ in range(30_000)]
    b = [round(rnd.uniform(0, 700), rnd.choice((0, 1, 2, 6))) for _ in range(30_000)]
    # zeros (no error bound: left as they are), tiny and huge values, and sums whose decimal
    # place count is a whole number (where numpy's log10 could round the other way)
    a += [0.0, 1e-300, 5e-324, 1e15, 123456789.123456789]
    b += [0.0, 0.0, 0.0, 2.5, 0.1]
    for e in range(-5, 8):
        s = 10.0 ** e * 2 ** 51 / 10 ** 15
        a.append(s / 3)
        b.append(s * 2 / 3)
    assert len(a) >= _tidy.BATCH  # the numpy path
    sums, products = _tidy.tidy_sums(a, b), _tidy.tidy_products(a, b)
    assert sums == [tidy_sum(x, y) for x, y in zip(a, b, strict=True)]
    assert products == [tidy_product(x, y) for x, y in zip(a, b, strict=True)]
    assert _tidy.tidy_sums([10.1], [106.1]) == [116.2]  # the scalar path below BATCH
