"""One YOLO label file validated in its dataset's context (issue 6: hooks pass single files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import annoformat as af

from conftest import FIXTURES

YOLO = FIXTURES / "yolo"


def test_a_label_file_is_detected_as_part_of_its_dataset() -> None:
    label = YOLO / "good" / "ultralytics-detect" / "dataset" / "labels" / "train" / "a.txt"
    found = af.detect(label)
    assert found.name == "yolo"
    assert found.verdicts["yolo"].reason.startswith("a label file of the YOLO dataset at ")


def test_a_label_file_reads_as_its_one_item() -> None:
    root = YOLO / "good" / "ultralytics-detect" / "dataset"
    whole = af.load(root)
    one = af.load(root / "labels" / "train" / "a.txt")
    assert [(i.subset, i.id) for i in one.items] == [("train", "a")]
    expected = next(i for i in whole.items if (i.subset, i.id) == ("train", "a"))
    assert one.items[0] == expected and one.labels == whole.labels


def test_only_this_files_findings_are_reported() -> None:
    label = YOLO / "bad" / "AF216-class-out-of-range" / "dataset" / "labels" / "train" / "a.txt"
    report = af.validate(label)
    assert [(d.code, Path(d.location.path or "").name, d.location.line, d.location.column)
            for d in report] == [("AF216", "a.txt", 2, 1)]


def test_project_rules_point_at_the_label_line(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    shutil.copytree(YOLO / "good" / "ultralytics-detect" / "dataset", root)
    (tmp_path / "annoformat.toml").write_text("min-box-width = 1000\n")
    label = root / "labels" / "train" / "a.txt"
    rows = [n for n, line in enumerate(label.read_text().splitlines(), 1) if line.split()]
    report = af.validate(label)
    assert [(d.code, Path(d.location.path or "").name, d.location.line) for d in report] == [
        ("AF607", "a.txt", n) for n in rows]


def test_dotted_image_names_find_their_sizes(tmp_path: Path) -> None:
    """Roboflow names images "a_jpg.rf.1.jpg": the item id keeps its inner dots."""
    out = tmp_path / "yolo"
    result = af.convert(FIXTURES / "coco" / "good" / "roboflow" / "export", out, to="yolo",
                        allow_loss=True)
    assert result.written
    report = af.validate(out, config=False)
    assert not report.has_errors, [d.message for d in report.errors]
    assert sorted(i.id for i in af.load(out).items) == ["a_jpg.rf.1", "b_jpg.rf.2"]


def test_a_yolo_dataset_without_images_still_reads_back(tmp_path: Path) -> None:
    """Text items cannot go to YOLO (AF509); what is written must still be a valid dataset."""
    out = tmp_path / "yolo"
    result = af.convert(FIXTURES / "jsonl" / "good" / "crlf-bom" / "dataset.jsonl", out,
                        to="yolo", allow_loss=True)
    assert result.written and [d.code for d in result.loss] == ["AF509"]
    # valid, and empty: reading it says so (AF009) unless an empty dataset is expected
    assert af.validate(out, config=False).codes() == ["AF034", "AF009"]  # layout, empty
    assert af.load(out, allow_empty=True).items == []
