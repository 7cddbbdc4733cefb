"""What keeps a `validate` start-up short changes no result: default options built without a
validator, the entry-point pre-scan, readers' labels built as trusted models."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, model_validator

from annoformat import registry
from annoformat.diagnostics import UsageError
from annoformat.model import AttributeSpec, Label, build
from annoformat.registry import get_format, list_formats, parse_options

from conftest import FIXTURES


def test_default_options_are_what_validating_no_values_gives() -> None:
    """parse_options builds no validator for no values; that must change nothing."""
    for fmt in list_formats().values():
        got = parse_options(fmt, {})
        want = fmt.options.model_validate({})
        assert type(got) is type(want), fmt.name
        assert (got.model_dump(), got.model_fields_set) == (want.model_dump(),
                                                            want.model_fields_set), fmt.name


class _Checked(BaseModel):
    size: int = 0

    @model_validator(mode="after")
    def _positive(self) -> _Checked:
        if self.size <= 0:
            raise ValueError("size must be positive")
        return self


def test_options_with_a_validator_are_validated_even_without_values() -> None:
    fmt = dataclasses.replace(get_format("coco"), name="checked", options=_Checked)
    with pytest.raises(UsageError) as raised:
        parse_options(fmt, {})
    assert [d.code for d in raised.value.report] == ["AF044"]


def test_the_entry_point_pre_scan_finds_what_importlib_metadata_finds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import entry_points

    for group in ("annoformat.formats", "console_scripts", "pytest11", "no.such.group"):
        assert registry._may_declare(group) or not list(entry_points(group=group)), group
    assert registry._may_declare("annoformat.formats")  # tests/plugin_site declares it
    assert not registry._may_declare("no.such.group")
    # a distribution on the path that declares a group: found; an egg too
    dist = tmp_path / "Some_Dist-1.0.dist-info"
    dist.mkdir()
    (dist / "entry_points.txt").write_text("[acme.plugins]\nx = acme:X\n")
    egg = tmp_path / "other-2.0-py3.11.egg" / "EGG-INFO"
    egg.mkdir(parents=True)
    (egg / "entry_points.txt").write_text("[acme.eggs]\ny = other:Y\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert registry._may_declare("acme.plugins") and registry._may_declare("acme.eggs")
    assert [ep.name for ep in registry._entry_points("acme.plugins")] == ["x"]
    # a zip archive on the path cannot be looked into cheaply: importlib.metadata decides
    (tmp_path / "lib.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    monkeypatch.syspath_prepend(str(tmp_path / "lib.zip"))
    assert registry._may_declare("no.such.group")
    assert registry._entry_points("no.such.group") == []


@pytest.mark.parametrize("cls,fields", [
    (Label, {"name": "cat"}),
    (Label, {"name": "p", "id": 3, "parent": "animal", "keypoints": ["a", "b"],
             "skeleton": [(0, 1)], "extras": {"coco": {"x": [1]}}}),
    (Label, {"name": "s", "attributes": [AttributeSpec(name="flag", input_type="checkbox")]}),
    (AttributeSpec, {"name": "n", "input_type": "number", "values": ["0", "9", "1"],
                     "mutable": True}),
])
def test_build_is_the_validated_model(cls: type[BaseModel], fields: dict[str, Any]) -> None:
    built, validated = build(cls, **fields), cls(**fields)
    assert built == validated
    assert list(built.__dict__) == list(validated.__dict__)  # model_dump's key order
    assert built.model_dump_json() == validated.model_dump_json()
    for name, value in fields.items():  # copied as validation copies
        if isinstance(value, (list, dict)):
            assert getattr(built, name) is not value


@pytest.mark.parametrize("fields", [
    {"name": "p", "skeleton": [(0.0, 1)]},  # orjson's 1.0: not an int for a strict model
    {"name": "p", "skeleton": [[0, 1]]},
    {"name": "p", "id": True},
    {"name": 3},
    {"keypoints": []},  # no name
    {"name": "p", "colour": "red"},
])
def test_build_refuses_what_validation_refuses(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as built:
        build(Label, **fields)
    with pytest.raises(ValidationError) as validated:
        Label(**fields)
    assert built.value.errors() == validated.value.errors()


@pytest.mark.parametrize("path", [
    "coco/good/minimal/annotations.json", "yolo/good/ultralytics-detect/dataset",
    "cvat/good/images-project-subsets/annotations.xml", "voc/good/datumaro-voc/dataset",
])
def test_a_validate_run_imports_neither_click_nor_importlib_metadata(path: str) -> None:
    """A pydantic validator built on the way would import importlib.metadata (its plugin
    scan): the console script's validate of a small file builds none."""
    probe = ("import sys\nsys.argv = ['annoformat', 'validate', sys.argv[1]]\n"
             "from annoformat._entry import main\ntry:\n    main()\nexcept SystemExit:\n"
             "    pass\nprint(sorted(m for m in ('click', 'importlib.metadata') "
             "if m in sys.modules))\n")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run([sys.executable, "-c", probe, str(FIXTURES / path)],
                         capture_output=True, text=True, env=env, check=False)
    assert run.stdout.splitlines()[-1] == "[]", run.stderr
