"""Registry: discovery, plugins through entry points, and the one-module-per-format contract."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import annoformat as af
from annoformat.codes import OWNERS, entry
from annoformat.plugin import FormatSpec
from annoformat.registry import LOAD_REPORT, PLUGINS, get_format
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
        assert isinstance(fmt, FormatSpec)
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
    assert messages["codeclash"] == ("CodeClash: code 'AF203' of plugin codeclash is already "
                                     "taken by core (AF203 duplicate-image-id)")
    assert get_format("coco").description.startswith("COCO JSON")
    assert "codeclash" not in af.list_formats() and entry("AF203").name == "duplicate-image-id"


def test_a_plugin_declares_its_own_codes(tmp_path: Path) -> None:
    assert OWNERS["AF190"] == "plugin boxes" and entry("AF190").name == "boxes-bad-row"
    src = tmp_path / "a.boxes.csv"
    src.write_text("#labels: cat\na.jpg,4,4,cat,1\n")
    report = af.validate(src)
    assert [(d.code, d.location.line, d.ctx["reason"]) for d in report] == [
        ("AF190", 2, "not enough values to unpack (expected 4, got 1)")]


def test_each_builtin_format_declares_the_codes_only_it_raises() -> None:
    """A code owned by a format is raised in that format's module only; the core's elsewhere."""
    src = Path(af.__file__).parent
    for name in BUILTIN:
        fmt = get_format(name)
        assert all(OWNERS[c.code] == name for c in fmt.codes)
        module = src / "formats" / name.replace("-", "_")
        files = list(module.rglob("*.py")) if module.is_dir() else [module.with_suffix(".py")]
        text = "".join(f.read_text() for f in files)
        for code in fmt.codes:
            assert f'"{code.code}"' in text.replace(f'Code("{code.code}"', ""), code.code
    owned = {c.code: n for n in BUILTIN for c in get_format(n).codes}
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).parts
        here = rel[1].removesuffix(".py") if rel[0] == "formats" else None
        for code in re.findall(r'"(AF\d{3})"', path.read_text()):
            if code in owned and 'Code("' + code not in path.read_text():
                assert owned[code].replace("-", "_") == here, f"{path}: {code} of {owned[code]}"


def test_unknown_format_name_is_a_usage_error_with_the_closest_names() -> None:
    with pytest.raises(af.UsageError) as exc:
        get_format("pascal")
    [diag] = exc.value.report.diagnostics
    assert diag.code == "AF056" and diag.message.startswith(
        "no format is named 'pascal'; did you mean voc? Known: ") and ", coco, " in diag.message
    with pytest.raises(af.UsageError) as exc:
        get_format("excel")
    assert "no format is named 'excel'. Known: " in exc.value.report.diagnostics[0].message


@pytest.mark.parametrize(("alias", "name"), [
    ("yolov8", "yolo"), ("YOLOv5", "yolo"), ("ultralytics", "yolo"), ("pascal_voc", "voc"),
    ("Pascal-VOC", "voc"), ("ls", "label-studio"), ("label_studio", "label-studio"),
    ("cvat_images", "cvat"), ("conll2003", "conll"), ("COCO", "coco")])
def test_aliases_name_their_format(alias: str, name: str) -> None:
    assert get_format(alias).name == name


def test_no_alias_is_another_format_s_name() -> None:
    names = {f.name for f in af.list_formats().values()}
    aliases = [a for f in af.list_formats().values() for a in f.aliases]
    assert not names & set(aliases) and len(aliases) == len(set(aliases))


def test_an_explicit_format_reports_its_own_error_not_detection() -> None:
    coco = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    with pytest.raises(af.AnnoformatError) as exc:
        af.load(coco, format="yolo")
    assert [(d.code, d.message) for d in exc.value.report] == [
        ("AF057", f"{coco} is not a yolo dataset: no data.yaml, obj.data, obj.names, "
                  "classes.txt or classification split folders")]


def test_every_option_of_every_format_has_a_one_line_description() -> None:
    checked: dict[str, int] = {}
    for fmt in af.list_formats().values():
        if fmt.plugin is not None:
            continue
        checked[fmt.name] = 0
        for opt in fmt.option_table():
            assert opt.description and len(opt.description) <= 120 and "\n" not in \
                opt.description, (fmt.name, opt.name)
            checked[fmt.name] += 1
    # every built-in format is covered, and each has options to check
    assert set(checked) >= {"coco", "conll", "cvat", "doccano", "jsonl", "label-studio",
                            "prodigy", "voc", "yolo"}
    assert all(checked.values()), checked


def test_fidelity_is_what_the_readers_produce_and_the_readme_table_is_generated() -> None:
    """Every annotation type a built-in reader yields on its good fixtures is one its writer
    keeps (``fidelity`` says ``kept``), and README's formats table is `formats --markdown`."""
    import json

    from click.testing import CliRunner

    from annoformat.cli import main

    for name, fmt in af.list_formats().items():
        if fmt.plugin is not None:  # a test plugin, registered by an earlier test
            continue
        kept = {kind for kind, fate in get_format(name).fidelity().items() if fate == "kept"}
        seen: set[str] = set()
        for expected in (FIXTURES / name / "good").glob("*/expected.ir.json"):
            for item in json.loads(expected.read_text())["items"]:
                seen |= {ann["type"] for ann in item["annotations"]}
        assert seen, name
        assert seen <= kept, (name, seen - kept)
    plugins = [f"`{n}`" for n, fmt in af.list_formats().items() if fmt.plugin is not None]
    table = "\n".join(line for line in CliRunner().invoke(main, ["formats", "--markdown"])
                      .output.splitlines() if not any(name in line for name in plugins))
    readme = (FIXTURES.parent / "README.md").read_text()
    assert table in readme
    assert get_format("voc").fidelity()["polygon"] == "as bbox"
    assert get_format("yolo").fidelity()["mask"] == "as outline"
    assert get_format("conll").fidelity()["bbox"] == "no items"
    assert get_format("coco").fidelity()["ellipse"] == "dropped"
