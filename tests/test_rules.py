"""Project rules ([tool.annoformat] / annoformat.toml): fixtures in fixtures/_rules/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import annoformat as af
from annoformat.rules import find_config

from conftest import FIXTURES

CASES = sorted(p for p in (FIXTURES / "_rules").glob("*/*") if p.is_dir())


def _rows(report: af.Report, folder: Path) -> list[dict[str, Any]]:
    rows = []
    for d in sorted(report, key=lambda d: d.sort_key()):
        loc = d.location
        row = {"code": d.code, "severity": d.severity.value,
               "file": Path(loc.path).name if loc.path else None, "line": loc.line,
               "column": loc.column, "pointer": loc.pointer}
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rules_fixture(case: Path, update_golden: bool) -> None:
    (data,) = case.glob("data.*")
    report = af.validate(data)
    rows = _rows(report, case)
    if case.parent.name == "bad":
        assert case.name.split("-", 1)[0] in {r["code"] for r in rows}
    expected = case / "expected.diagnostics.json"
    actual = orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n"
    if update_golden or not expected.exists():
        expected.write_bytes(actual)
    assert actual.decode() == expected.read_text()


def test_rules_can_be_switched_off() -> None:
    case = FIXTURES / "_rules" / "bad" / "AF604-label-not-allowed"
    assert af.validate(case / "data.json", config=False).codes() == []


def test_pyproject_table_is_found_upwards(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.annoformat]\n'
                                             'labels = ["dog"]\n')
    sub = tmp_path / "labels"
    sub.mkdir()
    src = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    (sub / "a.json").write_bytes(src.read_bytes())
    report = af.validate(sub / "a.json")
    assert [(d.code, d.location.pointer, d.location.line) for d in report] == [
        ("AF604", "/annotations/0", 10), ("AF604", "/annotations/3", 15)]


def test_rules_on_voc_point_at_the_object_element(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(FIXTURES / "voc" / "good" / "dataset" / "VOC2007", tmp_path / "VOC2007")
    (tmp_path / "annoformat.toml").write_text('labels = ["dog"]\n')
    found = [(Path(d.location.path or "").name, d.location.line, d.location.pointer)
             for d in af.validate(tmp_path / "VOC2007") if d.code == "AF604"]
    assert found[:2] == [("000005.xml", 20, "/annotation/object[1]"),
                         ("000005.xml", 32, "/annotation/object[2]")]


def test_rules_on_cvat_point_at_the_shape_element(tmp_path: Path) -> None:
    import shutil

    src = FIXTURES / "cvat" / "good" / "images-all-shapes" / "annotations.xml"
    shutil.copy(src, tmp_path / "annotations.xml")
    (tmp_path / "annoformat.toml").write_text("min-box-width = 100\n")
    found = [(d.location.line, d.location.pointer, d.message)
             for d in af.validate(tmp_path / "annotations.xml") if d.code == "AF607"]
    assert found == [(109, "/annotations/image[1]/box[1]",
                      "box 19.5x15.5 is below the project minimum (width 100)")]


def test_rules_on_doccano_point_at_the_record_line(tmp_path: Path) -> None:
    import shutil

    shutil.copy(FIXTURES / "doccano" / "good" / "classification" / "data.jsonl",
                tmp_path / "data.jsonl")
    (tmp_path / "annoformat.toml").write_text('labels = ["positive", "negative"]\n')
    found = [(d.code, d.ctx["label"], Path(d.location.path or "").name, d.location.line)
             for d in af.validate(tmp_path / "data.jsonl")]
    assert found == [("AF604", "short", "data.jsonl", 2)]


def test_a_pyproject_that_only_mentions_the_table_is_not_a_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '# rules go in [tool.annoformat] (see the README)\n[project]\nname = "x"\n'
        'description = "[tool.annoformat] is documented"\n')
    assert find_config(tmp_path) is None
    for header in ("[tool.annoformat]", "[tool.annoformat.severity]", '[ "tool" . annoformat ]',
                   "  [tool.annoformat.per-file-ignores]"):
        (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n{header}\n')
        assert find_config(tmp_path) == tmp_path / "pyproject.toml", header
