"""Every reader survives damaged input: mutated copies of every good fixture give coded
diagnostics (or read cleanly), never an exception."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat.codes import CODES

from conftest import Case, fixture_cases

CASES = fixture_cases("good")

_EDIT = st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate"]),
                  st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=3))


def _mutate(data: bytes, edits: list[tuple[str, float, bytes]]) -> bytes:
    for kind, where, junk in edits:
        at = int(where * len(data)) if data else 0
        if kind == "flip" and data:
            data = data[:at] + bytes([data[at] ^ junk[0]]) + data[at + 1:]
        elif kind == "insert":
            data = data[:at] + junk + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(junk):]
        else:
            data = data[:at]
    return data


def _target(root: Path) -> Path:
    """The file to damage: the input itself, or the largest annotation file in the folder."""
    if root.is_file():
        return root
    files = [p for p in root.rglob("*") if p.is_file()
             and p.suffix.lower() in {".json", ".jsonl", ".xml", ".txt", ".yaml", ".conll"}]
    return max(files, key=lambda p: (p.stat().st_size, str(p)))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(_EDIT, min_size=1, max_size=3))
def test_damaged_fixture_gives_coded_diagnostics(case: Case, tmp_path: Path,
                                                 edits: list[tuple[str, float, bytes]]) -> None:
    work = tmp_path / "in"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    src = case.input
    copy = work / src.name
    if src.is_dir():
        shutil.copytree(src, copy)
    else:
        shutil.copy(src, copy)
    target = _target(copy)
    target.write_bytes(_mutate(target.read_bytes(), edits))
    report = af.validate(copy, format=case.format, config=False)
    assert all(d.code in CODES and d.code != "AF099" for d in report)
