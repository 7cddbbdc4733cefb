"""Bad input never escapes as a traceback: arbitrary bytes and near-COCO documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import annoformat as af

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
_NUM = st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False), st.text(max_size=2),
                 st.none(), st.booleans(), st.integers(2**63, 2**70))
_VALUE: Any = st.recursive(_NUM, lambda c: st.lists(c, max_size=4)
                           | st.dictionaries(st.text(max_size=3), c, max_size=3), max_leaves=8)


def _coco_like() -> st.SearchStrategy[dict[str, Any]]:
    image = st.fixed_dictionaries({"id": _NUM, "file_name": st.text(max_size=4)},
                                  optional={"width": _NUM, "height": _NUM})
    seg = st.one_of(st.lists(st.lists(_NUM, max_size=7), max_size=2),
                    st.fixed_dictionaries({"counts": st.one_of(st.text(max_size=6),
                                                               st.lists(_NUM, max_size=5)),
                                           "size": st.lists(_NUM, max_size=3)}))
    ann = st.fixed_dictionaries(
        {"id": _NUM, "image_id": st.sampled_from([1, 2, 3]) | _NUM,
         "category_id": st.sampled_from([1, 2]) | _NUM},
        optional={"bbox": st.lists(_NUM, max_size=5), "segmentation": seg,
                  "keypoints": st.lists(_NUM, max_size=7), "iscrowd": _NUM, "area": _NUM,
                  "attributes": _VALUE})
    cat = st.fixed_dictionaries({"id": st.sampled_from([1, 2]) | _NUM,
                                 "name": st.sampled_from(["a", "b"]) | st.text(max_size=2)},
                                optional={"keypoints": st.lists(st.text(max_size=2), max_size=3),
                                          "skeleton": _VALUE})
    return st.fixed_dictionaries({"images": st.lists(image, max_size=3),
                                  "categories": st.lists(cat, max_size=3)},
                                 optional={"annotations": st.lists(ann, max_size=4)})


def _check(path: Path) -> None:
    report = af.validate(path, format="coco")
    for diag in report:
        assert diag.code[:3] in {"AF0", "AF1", "AF2", "AF3", "AF9"}, diag


@SETTINGS
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(data)
    _check(path)


@SETTINGS
@given(doc=_coco_like())
def test_near_coco_documents(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(doc))
    _check(path)
    report = af.validate(path, format="coco")
    if not report.has_errors:  # whatever reads cleanly also converts and reads back
        out = tmp_path / "out.json"
        result = af.convert(path, out, to="coco", overwrite=True)
        assert result.written, [d.message for d in result.report]
        assert not af.validate(out).has_errors


@pytest.mark.parametrize(("text", "pointers"), [
    ('{"images": [], "categories": [], "annotations": [{}]}', ["/annotations/0"] * 3),
    ('[{"image_id": 1, "category_id": 1, "score": 1}]', ["/0"]),
])
def test_schema_gaps_are_coded(tmp_path: Path, text: str, pointers: list[str]) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    report = af.validate(path)
    assert report.codes() == ["AF101"] * len(pointers)
    assert [d.location.pointer for d in report] == pointers
