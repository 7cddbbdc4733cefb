"""Images travel with their labels (--media): found in the source, linked or copied, reported
when missing; real hard links, real symbolic links, a real second file system."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

import annoformat as af
from annoformat.media import MediaIndex
from annoformat.model import Image, Item
from annoformat.progress import ProgressEvent

from conftest import FIXTURES

DETECT = FIXTURES / "yolo" / "good" / "ultralytics-detect" / "dataset"
MISSING_ONE = FIXTURES / "_media" / "coco-missing-one" / "annotations.json"


def _images(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / "images").rglob("*.png"))


def test_hardlink_is_the_default_and_shares_the_file(tmp_path: Path) -> None:
    result = af.convert(DETECT, tmp_path / "out", to="yolo")
    assert result.written and result.summary["media"] == {"hard-linked": 4}
    out = tmp_path / "out"
    assert _images(out) == ["images/train/a.png", "images/train/b.png",
                            "images/train/empty.png", "images/val/c.png"]
    assert os.stat(out / "images/train/a.png").st_ino == os.stat(
        DETECT / "images/train/a.png").st_ino
    assert not [d for d in result.report if d.code in ("AF060", "AF061")]


@pytest.mark.parametrize("mode", ["copy", "symlink"])
def test_copy_and_symlink(tmp_path: Path, mode: str) -> None:
    result = af.convert(DETECT, tmp_path / "out", to="yolo", media=mode)  # type: ignore[arg-type]
    placed = tmp_path / "out" / "images/val/c.png"
    assert result.summary["media"] == {"copied" if mode == "copy" else "symlinked": 4}
    assert placed.is_symlink() == (mode == "symlink")
    assert placed.read_bytes() == (DETECT / "images/val/c.png").read_bytes()
    if mode == "copy":
        assert os.stat(placed).st_ino != os.stat(DETECT / "images/val/c.png").st_ino


def test_none_writes_labels_only_and_says_it(tmp_path: Path) -> None:
    result = af.convert(DETECT, tmp_path / "out", to="yolo", media="none")
    assert result.written and _images(tmp_path / "out") == []
    found = [(d.code, d.ctx["count"], d.location.path) for d in result.report
             if d.code == "AF061"]
    assert found == [("AF061", 4, str(tmp_path / "out"))]


def test_a_missing_image_is_counted_and_the_others_placed(tmp_path: Path) -> None:
    result = af.convert(MISSING_ONE, tmp_path / "out", to="yolo")
    assert result.written and result.summary["media"] == {"hard-linked": 2}
    assert _images(tmp_path / "out") == ["images/a.png", "images/b.png"]
    missing = [(d.code, d.ctx["count"], d.ctx["ids"]) for d in result.report
               if d.code == "AF060"]
    assert missing == [("AF060", 1, "3")]


def test_images_folder_given_explicitly(tmp_path: Path) -> None:
    elsewhere = tmp_path / "pictures" / "nested"
    elsewhere.mkdir(parents=True)
    for name in ("a.png", "b.png", "c.png"):
        shutil.copy(MISSING_ONE.parent / "images" / "a.png", elsewhere / name)
    labels = tmp_path / "labels.json"
    shutil.copy(MISSING_ONE, labels)
    result = af.convert(labels, tmp_path / "out", to="voc", images=tmp_path / "pictures")
    assert result.written and result.summary["media"] == {"hard-linked": 3}
    assert sorted(p.name for p in (tmp_path / "out" / "JPEGImages").iterdir()) == [
        "a.png", "b.png", "c.png"]


def test_hardlink_across_file_systems_falls_back_to_a_copy(tmp_path: Path) -> None:
    other = Path("/dev/shm")
    if not other.is_dir() or os.stat(other).st_dev == os.stat(DETECT).st_dev:
        pytest.skip("needs /dev/shm on another file system than the checkout")
    dest = other / f"annoformat-media-{os.getpid()}"
    try:
        result = af.convert(DETECT, dest, to="yolo")
        assert result.written and result.summary["media"] == {"copied": 4}
        assert os.stat(dest / "images/train/a.png").st_nlink == 1
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def test_a_zip_source_never_gets_links_into_its_unpacking(tmp_path: Path) -> None:
    archive = tmp_path / "in.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(DETECT.rglob("*")):
            zf.write(path, path.relative_to(DETECT).as_posix())
    result = af.convert(archive, tmp_path / "out", to="yolo", media="symlink")
    assert result.written and result.summary["media"] == {"copied": 4}
    assert not (tmp_path / "out" / "images/train/a.png").is_symlink()


def test_same_name_in_two_folders_is_never_guessed(tmp_path: Path) -> None:
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "a.jpg").write_bytes(b"")
    index = MediaIndex.of([tmp_path])
    assert index.find(Item(id="1", media=Image(path="a.jpg"))) is None
    assert index.find(Item(id="1", media=Image(path="y/a.jpg"))) == tmp_path / "y" / "a.jpg"
    assert index.find(Item(id="1", subset="x", media=Image(path="a.jpg"))) == (
        tmp_path / "x" / "a.jpg")
    assert index.find(Item(id="1", media=Image(path="z/a.jpg"))) is None


def test_a_bad_mode_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(af.UsageError):
        af.convert(DETECT, tmp_path / "out", to="yolo", media="move")  # type: ignore[arg-type]


def test_progress_counts_the_images(tmp_path: Path) -> None:
    seen: list[ProgressEvent] = []
    # the whole path: a conversion written in parts counts its images part by part
    af.convert(DETECT, tmp_path / "out", to="yolo", progress=seen.append, stream=False)
    finished = [(e.task, e.done, e.total, e.unit) for e in seen if e.finished]
    assert finished == [("read", 4, 4, "item"), ("write", 4, 4, "item"),
                        ("images", 4, 4, "image")]
    assert [e.done for e in seen if e.task == "images"] == [0, 1, 2, 3, 4, 4]


def test_a_media_path_never_finds_a_file_outside_the_roots(tmp_path: Path) -> None:
    """'../' and absolute media paths are looked for by file name inside the roots only: a
    hostile dataset cannot make convert copy (or a report embed) a file from elsewhere."""
    from annoformat.media import MediaIndex
    from annoformat.model import Image, Item

    root, outside = tmp_path / "data", tmp_path / "secret"
    (root / "images").mkdir(parents=True)
    outside.mkdir()
    (outside / "key.jpg").write_bytes(b"not yours")
    (root / "images" / "a.jpg").write_bytes(b"ok")
    index = MediaIndex.of([root])

    def item(path: str) -> Item:
        return Item(id="1", media=Image(path=path))

    assert index.find(item("../secret/key.jpg")) is None
    assert index.find(item(str(outside / "key.jpg"))) is None
    assert index.find(item("../../elsewhere/a.jpg")) == root / "images" / "a.jpg"
    assert index.find(item("/home/someone/data/a.jpg")) == root / "images" / "a.jpg"
