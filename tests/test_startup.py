"""What keeps a `validate` start-up short changes no result: default options built without a
validator, the entry-point pre-scan, readers' labels built as trusted models."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pydantic import BaseModel, model_validator

from annoformat import registry
from annoformat.diagnostics import UsageError
from annoformat.registry import get_format, list_formats, parse_options


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
