"""Hardened input: bounded reads, JSON positions, safe relative names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from annoformat._io import (
    find_duplicate_keys,
    is_safe_relative,
    json_positions,
    line_col,
    parse_json,
    parse_size,
    read_bytes,
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




def test_read_bytes_refuses_what_never_ends_before_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "labels.json"
    os.mkfifo(fifo)  # opening it to read would block until a writer came
    report = Report()
    assert read_bytes(fifo, report) is None and read_bytes(Path("/dev/zero"), report) is None
    assert [(d.code, d.message) for d in report] == [
        ("AF065", f"{fifo} is a FIFO (named pipe), not a file annoformat can read"),
        ("AF065", "/dev/zero is a character device, not a file annoformat can read")]


def test_read_bytes_caps_the_bytes_that_arrive_not_only_the_size(tmp_path: Path) -> None:
    # /proc files say they are 0 bytes long and then deliver more: the cap holds as they arrive
    status = Path("/proc/self/status")
    report = Report()
    assert read_bytes(status, report, max_bytes=100) is None
    [diag] = report.diagnostics
    assert diag.code == "AF901" and "is more than 100 bytes, over the 100-byte limit" in \
        diag.message
    data = read_bytes(status, Report(), max_bytes=1 << 20)
    assert data is not None and data.startswith(b"Name:")


def test_a_sparse_2_gib_file_is_refused_after_its_first_64_kib(tmp_path: Path) -> None:
    sparse = tmp_path / "labels.json"
    with sparse.open("wb") as fh:
        fh.truncate(2 * 1024**3)
    script = ("import resource, sys\n"
              "import annoformat as af\n"
              "af.validate(sys.argv[2], format='coco')  # everything imported and warm\n"
              "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "report = af.validate(sys.argv[1], format='coco')\n"
              "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "print(*report.codes(), after - before)\n")
    small = Path(__file__).parents[1] / "fixtures" / "coco" / "good" / "minimal" / \
        "annotations.json"
    out = subprocess.run([sys.executable, "-c", script, str(sparse), str(small)],
                         capture_output=True, text=True, check=True, timeout=120).stdout.split()
    assert out[0] == "AF066"
    assert int(out[1]) < 16 * 1024  # KiB of peak growth: the 2 GiB are never read


def test_parse_size() -> None:
    assert [parse_size(t) for t in ("123", "500M", "2g", "1KiB", "3 TB", "x", "-1")] == [
        123, 500 * 1024**2, 2 * 1024**3, 1024, 3 * 1024**4, None, None]
