"""Shared test set-up: fixture discovery, golden files, and the test plugin "installed" here.

``tests/plugin_site`` holds a tiny distribution (dist-info + module) that registers formats in the
``annoformat.formats`` entry-point group; it is put on ``sys.path`` before annoformat discovers
formats, which is exactly what installing it would do.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# outputs are moved into place atomically but not flushed to disk (the suite's thousands of
# small writes, and the CLI processes it starts, which inherit this): a CI disk's slow
# flushes made a 4-minute suite take 89. tests/test_output_processes.py, which kills writes
# at every step, and the test of the switch itself flush as a user's run does.
os.environ["ANNOFORMAT_FSYNC"] = "0"
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(Path(__file__).parent / "plugin_site"))

_META = {"expected.ir.json", "expected.diagnostics.json", "options.json", "README.md"}


@dataclass(frozen=True)
class Case:
    """One fixture case: ``fixtures/<format>/<good|bad>/<name>/``."""

    format: str
    kind: str
    name: str
    folder: Path

    @property
    def input(self) -> Path:
        entries = [p for p in self.folder.iterdir() if p.name not in _META]
        assert len(entries) == 1, f"{self.folder} must hold exactly one input entry: {entries}"
        return entries[0]

    @property
    def id(self) -> str:
        return f"{self.format}/{self.kind}/{self.name}"


def fixture_cases(kind: str) -> list[Case]:
    out = []
    formats = [p for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_")]
    for fmt_dir in sorted(formats):
        kind_dir = fmt_dir / kind
        if not kind_dir.is_dir():
            continue
        for case in sorted(p for p in kind_dir.iterdir() if p.is_dir()):
            out.append(Case(fmt_dir.name, kind, case.name, case))
    return out


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite expected.* files from the current output (review the diff!)")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@contextlib.contextmanager
def file_size_limit(limit: int | None) -> Iterator[None]:
    """``ulimit -f``: no file written meanwhile may grow past ``limit`` bytes (Python ignores
    SIGXFSZ: a write past it fails with EFBIG)."""
    if limit is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder (``tempfile``'s) made a fresh one: what a test leaves there shows."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder
