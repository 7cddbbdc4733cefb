"""Every format <-> native JSONL is lossless, over every good fixture of every built-in format.

X -> IR -> jsonl -> IR gives the same IR, and writing X from the IR that went through jsonl
gives the same bytes as writing X from the IR read directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.registry import get_format, parse_options
from annoformat.testing import first_difference

from conftest import Case, fixture_cases

CASES = [c for c in fixture_cases("good") if c.format in af.list_formats()]


def _tree(path: Path) -> dict[str, object]:
    """Each output file's content: JSON files as values (COCO's integral coordinates are read
    as ints and come back from the IR's float fields as floats: 10 == 10.0), others as bytes."""
    files = [(path, "")] if path.is_file() else [
        (p, p.relative_to(path).as_posix()) for p in sorted(path.rglob("*")) if p.is_file()]
    out: dict[str, object] = {}
    for file, name in files:
        data = file.read_bytes()
        try:
            out[name] = orjson.loads(data) if file.suffix == ".json" else data
        except orjson.JSONDecodeError:
            out[name] = data
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_format_through_native_jsonl_is_lossless(case: Case, tmp_path: Path) -> None:
    fmt = get_format(case.format)
    opts = case.folder / "options.json"
    options = json.loads(opts.read_text()) if opts.exists() else {}
    ds = fmt.read(case.input, parse_options(fmt, options), Report())
    assert ds is not None
    native = tmp_path / "hub.jsonl"
    af.save(ds, native, format="jsonl")
    back = af.load(native)
    assert first_difference(ds, back) is None, first_difference(ds, back)
    suffix = case.input.suffix if case.input.is_file() else ""
    direct, through = tmp_path / f"direct{suffix}", tmp_path / f"through{suffix}"
    af.save(ds, direct, format=case.format, allow_loss=True)
    af.save(back, through, format=case.format, allow_loss=True)
    assert _tree(direct) == _tree(through)
