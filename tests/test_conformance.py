"""The conformance suite every format passes, parametrised over fixtures/<format>/{good,bad}.

* detection recognises each good fixture as its own format (so no other format claims it);
* a good fixture reads without errors to exactly ``expected.ir.json``;
* a bad fixture gives exactly ``expected.diagnostics.json`` (codes, files, lines, pointers);
* write(read(x)) re-reads to the same IR and is byte-identical across two runs.

``pytest --update-golden`` rewrites the expected files; review the diff like code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.registry import get_format, parse_options
from annoformat.testing import canonical_json, first_difference

from conftest import Case, fixture_cases

GOOD = fixture_cases("good")
BAD = fixture_cases("bad")


def _options(case: Case) -> dict[str, Any]:
    opts = case.folder / "options.json"
    return json.loads(opts.read_text()) if opts.exists() else {}


def _read(case: Case) -> tuple[af.Dataset | None, Report]:
    fmt = get_format(case.format)
    report = Report()
    ds = fmt.read(case.input, parse_options(fmt, _options(case)), report)
    return ds, report


def _diagnostics(report: Report, case: Case) -> list[dict[str, Any]]:
    out = []
    for d in sorted(report, key=lambda d: d.sort_key()):
        loc = d.location
        path = Path(loc.path) if loc.path else None
        row = {"code": d.code, "file": path.relative_to(case.folder).as_posix()
               if path and path.is_relative_to(case.folder) else loc.path,
               "line": loc.line, "column": loc.column, "pointer": loc.pointer}
        out.append({k: v for k, v in row.items() if v is not None})
    return out


def _golden(path: Path, actual: bytes, update: bool) -> None:
    if update or not path.exists():
        path.write_bytes(actual)
        if not update:
            pytest.fail(f"{path} did not exist; written now, review and commit it")
    assert actual.decode() == path.read_text(), f"{path} differs (pytest --update-golden)"


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.id)
def test_detect_recognises_own_fixture(case: Case) -> None:
    found = af.detect(case.input)
    assert found.name == case.format, {n: v.reason for n, v in found.verdicts.items()}


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.id)
def test_good_fixture_reads_to_expected_ir(case: Case, update_golden: bool) -> None:
    ds, report = _read(case)
    assert ds is not None and not report.has_errors, [d.message for d in report.errors]
    _golden(case.folder / "expected.ir.json", canonical_json(ds), update_golden)
    expected = case.folder / "expected.diagnostics.json"
    diags = _diagnostics(report, case)
    if diags or expected.exists():
        _golden(expected, orjson.dumps(diags, option=orjson.OPT_INDENT_2) + b"\n", update_golden)


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_bad_fixture_gives_expected_diagnostics(case: Case, update_golden: bool) -> None:
    _ds, report = _read(case)
    diags = _diagnostics(report, case)
    code = case.name.split("-", 1)[0]
    assert code in {d["code"] for d in diags}, f"{case.id} must trigger {code}: {diags}"
    _golden(case.folder / "expected.diagnostics.json",
            orjson.dumps(diags, option=orjson.OPT_INDENT_2) + b"\n", update_golden)


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.id)
def test_write_read_round_trip_is_stable(case: Case, tmp_path: Path) -> None:
    ds, _ = _read(case)
    assert ds is not None
    suffix = case.input.suffix if case.input.is_file() else ""
    first, second = tmp_path / f"one{suffix}", tmp_path / f"two{suffix}"
    af.save(ds, first, format=case.format)
    af.save(ds, second, format=case.format)
    again = af.load(first, format=case.format)
    assert first_difference(ds, again) is None
    assert _tree_bytes(first) == _tree_bytes(second)


def _tree_bytes(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {"": path.read_bytes()}
    return {p.relative_to(path).as_posix(): p.read_bytes()
            for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.id)
def test_fast_built_models_are_complete_and_unshared(case: Case) -> None:
    """Readers build models without validation: every field set, no dict or list shared."""
    ds, _ = _read(case)
    assert ds is not None
    seen: dict[int, str] = {}
    objects: list[Any] = [*ds.labels]
    for item in ds.items:
        objects += [item, item.media, *item.annotations]
    for obj in objects:
        assert set(obj.__dict__) == set(type(obj).model_fields), type(obj).__name__
        for name, value in obj.__dict__.items():
            if isinstance(value, (dict, list)) and value:
                where = f"{type(obj).__name__}.{name}"
                assert id(value) not in seen, f"{where} shares its value with {seen[id(value)]}"
                seen[id(value)] = where
            elif isinstance(value, dict):  # empty dicts must be fresh too (they get mutated)
                assert id(value) not in seen, f"{type(obj).__name__}.{name} is a shared {{}}"
                seen[id(value)] = f"{type(obj).__name__}.{name}"
