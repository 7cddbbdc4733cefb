"""The consumers suite: our outputs, loaded by the tools users feed them to.

pycocotools is one of annoformat's own dependencies, so its rows always run. datumaro and
Ultralytics (with torch) do not fit beside annoformat's dependencies, so each lives in its own
virtual environment, pinned in ``requirements-<tool>.txt`` here; ``.ci/run`` builds them once in a
cache outside the checkout and names their interpreters in ``ANNOFORMAT_DATUMARO_PYTHON`` and
``ANNOFORMAT_ULTRALYTICS_PYTHON``. A test drives the tool with a small script run by that
interpreter, which prints JSON for the test to compare. Where the variable is unset, the rows are
skipped with the reason shown in pytest's summary (``-rs``).
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Runner = Callable[[str], Any]


def _runner(variable: str, tool: str) -> Runner:
    python = os.environ.get(variable)
    if not python or not Path(python).exists():
        pytest.skip(f"{tool} consumer rows need {variable} (a Python with {tool}; .ci/run sets it)")

    def run(script: str) -> Any:
        done = subprocess.run([python, "-c", textwrap.dedent(script)], capture_output=True,
                              text=True, timeout=600, check=False)
        assert done.returncode == 0, f"{tool} script failed:\n{done.stderr[-4000:]}"
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run


@pytest.fixture
def datumaro() -> Runner:
    """Run a script under datumaro's interpreter; returns the JSON its last stdout line holds."""
    return _runner("ANNOFORMAT_DATUMARO_PYTHON", "datumaro")


@pytest.fixture
def ultralytics() -> Runner:
    """Run a script under Ultralytics' interpreter; returns the JSON its last stdout line holds."""
    return _runner("ANNOFORMAT_ULTRALYTICS_PYTHON", "Ultralytics")


@pytest.fixture
def label_studio_converter() -> Runner:
    """label-studio-converter lives in Ultralytics' venv (requirements-ultralytics.txt)."""
    return _runner("ANNOFORMAT_ULTRALYTICS_PYTHON", "label-studio-converter")
