"""Registry: discovery, plugins through entry points, and the one-module-per-format contract."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import annoformat as af
from annoformat.registry import LOAD_REPORT, PLUGINS, Format, get_format
from annoformat.schemas import schema_dir

from conftest import FIXTURES

BUILTIN = sorted(name for name in af.list_formats() if name not in PLUGINS)


def test_every_module_in_formats_exposes_a_format() -> None:
    pkg = importlib.import_module("annoformat.formats")
    modules = [m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]
    assert modules, "no built-in formats"
    names = []
    for name in modules:
        fmt = importlib.import_module(f"annoformat.formats.{name}").FORMAT
        assert isinstance(fmt, Format)
        names.append(fmt.name)
    assert len(names) == len(set(names))
    assert sorted(names) == BUILTIN


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_format_has_schema_and_fixtures(name: str) -> None:
    fmt = get_format(name)
    for schema in fmt.schemas:
        assert (schema_dir() / schema).is_file(), schema
    for kind in ("good", "bad"):
        folder = FIXTURES / name / kind
        assert folder.is_dir() and any(folder.iterdir()), f"{folder} needs fixtures"


def test_plugin_formats_come_from_entry_points() -> None:
    assert PLUGINS["boxes"] == "annoformat_testplugin:FORMAT"
    assert get_format("boxes").capabilities.annotation_types == frozenset({"bbox"})


def test_broken_and_clashing_plugins_are_diagnostics_not_crashes() -> None:
    messages = {d.ctx["plugin"]: d.ctx["reason"] for d in LOAD_REPORT if d.code == "AF012"}
    assert messages["broken"] == "ImportError: this plugin is broken on purpose"
    assert messages["clash"] == "ValueError: name 'coco' is already taken"
    assert get_format("coco").description.startswith("COCO JSON")


def test_unknown_format_name_is_a_usage_error() -> None:
    with pytest.raises(af.UsageError) as exc:
        get_format("pascal")
    assert exc.value.report.codes() == ["AF010"]
