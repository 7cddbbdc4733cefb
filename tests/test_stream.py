"""Streaming reads equal whole reads: every fixture of every format that streams
(``FormatSpec.stream``) gives, item by item, the dataset and the report ``read`` gives.

The report is compared as recorded (codes, messages, locations, in order), not sorted: a
streaming reader records what ``read`` records, where ``read`` records it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.model import Dataset
from annoformat.registry import get_format, parse_options
from annoformat.stream import open_stream
from annoformat.testing import first_difference

from conftest import Case, fixture_cases

STREAMED = [case for case in fixture_cases("good") + fixture_cases("bad")
            if get_format(case.format).stream is not None]


def _options(case: Case) -> dict[str, Any]:
    opts = case.folder / "options.json"
    return json.loads(opts.read_text()) if opts.exists() else {}


def _recorded(report: Report) -> list[tuple[str, str, Any, Any, Any]]:
    return [(d.code, d.message, d.location.path, d.location.line, d.location.pointer)
            for d in report]


@pytest.mark.parametrize("case", STREAMED, ids=lambda c: c.id)
def test_a_stream_gives_what_read_gives(case: Case) -> None:
    fmt = get_format(case.format)
    whole_report = Report()
    whole = fmt.read(case.input, parse_options(fmt, _options(case)), whole_report)
    report = Report()
    with open_stream(case.input, case.format, _options(case), report) as stream:
        if stream is None:
            streamed = None
        else:
            items = list(stream.items)
            streamed = stream.head.model_copy(update={"items": items})
    assert _recorded(report) == _recorded(whole_report)
    if whole is None or whole_report.has_errors:
        return  # what a failed read returned is not part of the contract
    assert isinstance(streamed, Dataset)
    assert first_difference(whole, streamed) is None


def test_iter_items_yields_the_items_and_raises_after_a_bad_one(tmp_path: Path) -> None:
    good = Path("fixtures/coco/good/minimal/annotations.json")
    assert [item.id for item in af.iter_items(good)] == ["1", "2", "3"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"images": [], "annotations": [], "categories": "x"}')
    report = Report()
    with pytest.raises(af.AnnoformatError):
        list(af.iter_items(bad, "coco", report=report))
    assert "AF101" in report.codes()
