"""The wheel ships every schema the registry names (schemas/ is the single source of truth)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import annoformat as af
from annoformat.registry import PLUGINS

from conftest import ROOT


def test_wheel_contains_the_schemas(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("annoformat-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    builtin = [fmt for name, fmt in af.list_formats().items() if name not in PLUGINS]
    wanted = {schema for fmt in builtin for schema in fmt.schemas}
    assert wanted, "the registry names no schema"
    for schema in sorted(wanted):
        assert f"annoformat/schemas/{schema}" in names, schema
    on_disk = {p.name for p in (ROOT / "schemas").iterdir()}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("annoformat/schemas/")} == on_disk
    assert "annoformat/py.typed" in names and "annoformat/formats/coco/__init__.py" in names
