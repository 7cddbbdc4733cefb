"""YOLO and VOC streams read one item at a time: a label or XML file is read when its item
is taken, its diagnostics recorded then, labels met in VOC XMLs join the head as they come,
and what needs every item (AF034's task, AF045's class sets) is recorded at the end.
(tests/test_stream.py holds every fixture's stream to ``read``.)
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from annoformat.diagnostics import Report
from annoformat.registry import get_format, parse_options
from annoformat.stream import open_stream


def _png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr
            + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)))


def _yolo(root: Path, rows: dict[str, str]) -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nval: images/train\n"
                                    "names:\n  0: cat\n  1: dog\n")
    for stem, text in rows.items():
        (root / "images" / "train" / f"{stem}.png").write_bytes(_png(100, 50))
        (root / "labels" / "train" / f"{stem}.txt").write_text(text)
    return root


def test_a_yolo_label_file_is_read_when_its_item_is_taken(tmp_path: Path) -> None:
    root = _yolo(tmp_path / "y", {"a": "0 0.5 0.5 0.2 0.2\n", "b": "1 0.5 0.5 0.4 0.4\n",
                                  "c": "0 0.5 x 0.2 0.2\n"})
    report = Report()
    with open_stream(root, "yolo", {}, report) as stream:
        assert stream is not None
        assert stream.head.label_names() == ["cat", "dog"]
        first = next(stream.items)
        assert (first.id, first.media.width, first.media.height) == ("a", 100, 50)
        assert report.codes() == []  # c's bad row is not read yet
        (root / "labels" / "train" / "b.txt").write_text("1 0.5 0.5 0.1 0.1\n")
        second = next(stream.items)
        # read when taken: the file as it is now (10 px wide, not 40)
        assert second.annotations[0].w == 10.0
        rest = list(stream.items)
    assert [item.id for item in rest] == ["c"]
    assert [(d.code, d.location.path, d.location.line) for d in report
            if d.code != "AF034"] == [("AF032", str(root / "labels/train/c.txt"), 1)]
    assert report.codes()[-1] == "AF034"  # the task from the rows: once all were read


def test_yolo_items_and_their_diagnostics_come_in_id_order(tmp_path: Path) -> None:
    # a list file naming the images out of order: items (and so their findings) by id
    root = _yolo(tmp_path / "y", {"b": "5 0.5 0.5 0.2 0.2\n", "a": "7 0.5 0.5 0.2 0.2\n"})
    (root / "train.txt").write_text("images/train/b.png\nimages/train/a.png\n")
    (root / "data.yaml").write_text("path: .\ntrain: train.txt\nval: train.txt\n"
                                    "names:\n  0: cat\n  1: dog\n")
    for read in ("stream", "load"):
        report = Report()
        if read == "stream":
            with open_stream(root, "yolo", {}, report) as stream:
                assert stream is not None
                ids = [item.id for item in stream.items]
        else:
            fmt = get_format("yolo")
            ds = fmt.read(root, parse_options(fmt, {}), report)
            assert ds is not None
            ids = [item.id for item in ds.items]
        assert ids == ["a", "b"]
        found = [Path(d.location.path or "").name for d in report if d.code == "AF216"]
        assert found == ["a.txt", "b.txt"], read


def _xml(name: str, *labels: str) -> str:
    objects = "".join(f"<object><name>{label}</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
                      f"<xmax>5</xmax><ymax>5</ymax></bndbox></object>" for label in labels)
    return (f"<annotation><filename>{name}.jpg</filename><size><width>10</width>"
            f"<height>10</height><depth>3</depth></size>{objects}</annotation>")


def test_voc_labels_join_the_head_as_they_are_met(tmp_path: Path) -> None:
    for stem, labels in {"a": ("cat",), "b": ("dog", "cat"), "c": ("bird",)}.items():
        (tmp_path / f"{stem}.xml").write_text(_xml(stem, *labels))
    report = Report()
    with open_stream(tmp_path, "voc", {}, report) as stream:
        assert stream is not None
        seen = []
        for item in stream.items:
            seen.append((item.id, stream.head.label_names()))
    assert seen == [("a", ["cat"]), ("b", ["cat", "dog"]), ("c", ["cat", "dog", "bird"])]


def test_voc_image_sets_order_and_class_sets_checked_at_the_end(tmp_path: Path) -> None:
    (tmp_path / "Annotations").mkdir()
    main = tmp_path / "ImageSets" / "Main"
    main.mkdir(parents=True)
    for stem, labels in {"a": ("cat",), "b": ("dog",), "c": ("cat",), "z": ()}.items():
        (tmp_path / "Annotations" / f"{stem}.xml").write_text(_xml(stem, *labels))
    (main / "train.txt").write_text("c\na\n")
    (main / "val.txt").write_text("b\n")
    (main / "trainval.txt").write_text("a\nb\nc\n")
    (main / "cat_train.txt").write_text("c 1\na -1\n")  # a has a cat: AF045
    report = Report()
    with open_stream(tmp_path, "voc", {}, report) as stream:
        assert stream is not None
        items = []
        for item in stream.items:
            items.append((item.id, item.subset, item.extras.get("voc", {}).get("imagesets")))
            assert "AF045" not in report.codes()  # the class sets need every item
    assert items == [("c", "train", ["trainval"]), ("a", "train", ["trainval"]),
                     ("b", "val", ["trainval"]), ("z", None, None)]
    assert [(d.code, d.location.line) for d in report if d.code == "AF045"] == [("AF045", 2)]
