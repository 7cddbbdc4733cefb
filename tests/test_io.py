"""Hardened input and atomic output."""

from __future__ import annotations

from pathlib import Path

import pytest

from annoformat._io import (
    find_duplicate_keys,
    is_safe_relative,
    json_positions,
    line_col,
    parse_json,
    staged_output,
)
from annoformat.diagnostics import Report

DOC = b'{"a": [1, {"b/c": "x\\"]", "d~e": [true]}],\n "\xc3\xa9": {"k": null}}'


def test_json_positions_resolve_pointers_with_escapes() -> None:
    found = json_positions(DOC, ["/a/1/b~1c", "/a/1/d~0e/0", "/\u00e9/k", "", "/a/9"])
    assert found == {"/a/1/b~1c": (1, 19), "/a/1/d~0e/0": (1, 35), "/\u00e9/k": (2, 13),
                     "": (1, 1)}


def test_line_col_counts_characters_not_bytes() -> None:
    data = "é\nxé€z".encode()
    assert line_col(data, data.index(b"z")) == (2, 4)


def test_find_duplicate_keys_reports_each_repeat() -> None:
    data = b'{"a": 1, "b": {"a": 1, "a": 2}, "a": 3}'
    assert find_duplicate_keys(data) == [("/b/a", "a", 23), ("/a", "a", 32)]


@pytest.mark.parametrize(("data", "code"), [
    (b'{"a": 1,}', "AF005"),
    (b'{"a": NaN}', "AF007"),
    (b'{"a": -Infinity}', "AF007"),
    (b'{"a": 1e999}', "AF313"),
    (b'{"a": "\xff"}', "AF003"),
    (b"[" * 2000 + b"]" * 2000, "AF902"),
])
def test_parse_errors_are_coded(data: bytes, code: str) -> None:
    report = Report()
    assert parse_json(data, "x.json", report) is None
    assert report.codes() == [code]
    assert report.diagnostics[0].location.line == 1


@pytest.mark.parametrize(("name", "safe"), [
    ("a.jpg", True), ("sub/a.jpg", True), ("../a.jpg", False), ("a/../../b", False),
    ("/etc/passwd", False), ("C:\\x.jpg", False), ("\\\\server\\x", False), ("", False),
    ("a\x00b.jpg", False), ("1:2.jpg", True), ("x/..y.jpg", True), ("x\\..\\y", False),
])
def test_safe_relative_names(name: str, safe: bool) -> None:
    assert is_safe_relative(name) is safe


def test_staged_output_moves_only_on_success(tmp_path: Path) -> None:
    dest = tmp_path / "out.json"
    report = Report()
    with pytest.raises(RuntimeError), staged_output(dest, report) as staged:
        assert staged is not None
        staged.write_text("half")
        raise RuntimeError("writer crashed")
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []  # the temporary folder is gone too


def test_staged_output_keeps_old_destination_when_errors_are_recorded(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "old.txt").write_text("old")
    report = Report()
    with staged_output(dest, report, overwrite=True) as staged:
        assert staged is not None
        staged.mkdir()
        (staged / "new.txt").write_text("new")
        report.add("AF102", format="x", reason="invalid output")
    assert sorted(p.name for p in dest.iterdir()) == ["old.txt"]


def test_staged_output_replaces_a_folder_whole_with_overwrite(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "old.txt").write_text("old")
    with staged_output(dest, Report(), overwrite=True) as staged:
        assert staged is not None
        staged.mkdir()
        (staged / "new.txt").write_text("new")
    assert sorted(p.name for p in dest.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_staged_output_refuses_source_inside_destination(tmp_path: Path) -> None:
    dest = tmp_path / "ds"
    (dest / "annotations").mkdir(parents=True)
    src = dest / "annotations" / "a.json"
    src.write_text("{}")
    report = Report()
    with staged_output(dest, report, overwrite=True, sources=[src]) as staged:
        assert staged is None
    assert report.codes() == ["AF014"] and src.read_text() == "{}"
