"""Sources as users hand them over: zip archives of every format, folders of unrelated files,
folders of several datasets; never an empty dataset by accident (AF009)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

import annoformat as af
from annoformat._archive import MAX_RATIO
from annoformat.diagnostics import AnnoformatError
from annoformat.registry import PLUGINS
from annoformat.testing import first_difference

from conftest import FIXTURES, Case, fixture_cases

GOOD = fixture_cases("good")
NOTES = FIXTURES / "cli" / "data" / "notes"
FORMATS = sorted(n for n in af.list_formats() if n not in PLUGINS)


def _options(case: Case) -> dict[str, Any]:
    path = case.folder / "options.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _zip_folder(folder: Path, dest: Path, top: str | None = "export") -> Path:
    """Zip ``folder``'s content, under one top folder as most export tools do."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                zf.write(path, f"{top}/{rel}" if top else rel)
    return dest


@pytest.mark.parametrize("case", GOOD, ids=[c.id for c in GOOD])
def test_every_format_round_trips_through_a_zip(case: Case, tmp_path: Path) -> None:
    """read(x) == read(zip(x)), and write(zip) re-reads as write(folder) does."""
    opts = _options(case)
    plain = af.load(case.input, case.format, allow_empty=True, **opts)
    staged = tmp_path / "staged"
    staged.mkdir()
    if case.input.is_dir():
        shutil.copytree(case.input, staged / case.input.name)
    else:
        shutil.copy(case.input, staged / case.input.name)
    archive = _zip_folder(staged, tmp_path / "in.zip", top=None)
    zipped = af.load(archive, case.format, allow_empty=True, **opts)
    assert first_difference(plain, zipped) is None

    out_zip = af.convert(case.input, tmp_path / "out.zip", to=case.format, from_=case.format,
                         read_options=opts, allow_loss=True, allow_empty=True)
    if not out_zip.written:
        return
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        names = zf.namelist()
    # the same write without the zip: a folder named like the zip, or its one file
    plain = tmp_path / "plain" / (names[0] if len(names) == 1 else "out")
    out_plain = af.convert(case.input, plain, to=case.format, from_=case.format,
                           read_options=opts, allow_loss=True, allow_empty=True)
    assert out_plain.written
    again_plain = af.load(plain, case.format, allow_empty=True)
    again_zip = af.load(tmp_path / "out.zip", case.format, allow_empty=True)
    assert first_difference(again_plain, again_zip) is None


def test_written_zips_are_byte_identical_across_runs(tmp_path: Path) -> None:
    src = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    for name in ("a.zip", "b.zip"):
        assert af.convert(src, tmp_path / name, to="yolo", allow_loss=True).written
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        names = zf.namelist()
        assert names == sorted(names) and "data.yaml" in names
        assert {"images/", "labels/"} <= set(names)


def test_a_file_format_is_one_member_named_after_the_zip(tmp_path: Path) -> None:
    src = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    assert af.convert(src, tmp_path / "pets.zip", to="jsonl").written
    with zipfile.ZipFile(tmp_path / "pets.zip") as zf:
        assert zf.namelist() == ["pets.jsonl"]


def test_findings_inside_an_archive_name_the_member(tmp_path: Path) -> None:
    bad = FIXTURES / "coco" / "bad" / "AF203-duplicate-image-id"
    archive = _zip_folder(bad, tmp_path / "export.zip")
    (diag,) = [d for d in af.validate(archive, config=False) if d.code == "AF203"]
    assert diag.location.path == f"{archive}!/export/annotations.json"  # the member's name
    assert (diag.location.line, diag.location.pointer) == (16, "/images/2/id")


def test_macos_junk_is_not_unpacked(tmp_path: Path) -> None:
    src = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    archive = tmp_path / "mac.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(src, "pets/annotations.json")
        zf.writestr("__MACOSX/pets/._annotations.json", b"\x00\x05\x16\x07")
        zf.writestr("pets/.DS_Store", b"Bud1")
    ds = af.load(archive)
    assert [i.id for i in ds.items] == [i.id for i in af.load(src).items]


@pytest.mark.parametrize("name", FORMATS)
def test_every_reader_refuses_a_folder_of_unrelated_files(name: str, tmp_path: Path) -> None:
    """README, LICENSE, notes: never read as data, never an empty dataset."""
    for source in (NOTES, _zip_folder(NOTES, tmp_path / "notes.zip")):
        with pytest.raises(AnnoformatError) as caught:
            af.load(source, name)
        report = caught.value.report
        assert report.has_errors, report.codes()
        shown = str(source) + ("!" if source.suffix == ".zip" else "")
        assert all(d.location.path and d.location.path.startswith(shown)
                   for d in report.errors), [d.location.path for d in report.errors]


def test_an_archive_with_no_data_is_refused_naming_what_it_holds(tmp_path: Path) -> None:
    archive = _zip_folder(NOTES, tmp_path / "notes.zip")
    result = af.convert(archive, tmp_path / "out.json", to="coco", from_="voc")
    assert not result.written and not (tmp_path / "out.json").exists()
    (diag,) = result.report.errors
    assert diag.code == "AF009"
    assert diag.location.path == f"{archive}!/export"
    assert "holds 2 file(s): 1 LICENSE, 1 .txt" in diag.message


def test_convert_never_writes_zero_items_read_from_files(tmp_path: Path) -> None:
    result = af.convert(NOTES, tmp_path / "out.json", to="coco", from_="voc")
    assert not result.written and result.report.codes().count("AF009") == 1
    allowed = af.convert(NOTES, tmp_path / "out.json", to="coco", from_="voc",
                         allow_empty=True)
    assert allowed.written and json.loads((tmp_path / "out.json").read_text())["images"] == []


def test_an_explicitly_empty_file_is_taken_at_its_word(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text('{"images": [], "annotations": [], "categories": []}')
    assert af.load(empty).items == []


def test_validate_walks_a_folder_of_datasets_and_lists_what_it_skipped() -> None:
    report = af.validate(FIXTURES / "cli" / "data" / "mixed-folder", config=False)
    assert [(d.code, d.ctx["files"], d.ctx["count"]) for d in report] == [
        ("AF018", "README.md", 1)]


def test_a_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.json", b"[" + b"0," * (8 << 20) + b"0]")  # ~16 MiB -> ~16 KiB
    result = af.convert(bomb, tmp_path / "out.json", to="coco", from_="coco")
    (diag,) = result.report.errors
    assert diag.code == "AF904" and diag.ctx["what"] == "compression ratio"
    assert diag.ctx["value"] > MAX_RATIO
