"""Progress: every built-in reader and writer counts what it reads and writes, exactly; the
pipeline counts for formats that do not; the CLI shows bars on a terminal only (a real
pseudo-terminal), or when asked with --progress."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

import annoformat as af
from annoformat.diagnostics import Report
from annoformat.progress import (
    ProgressEvent,
    begin,
    counter,
    finish,
    reporting,
    step_for,
    track,
    track_bytes,
)
from annoformat.registry import get_format

from conftest import FIXTURES

MINIMAL = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"

#: (format, source, items, how the reader counts: item total, or "B" for the file's bytes)
READS: list[tuple[str, Path, list[tuple[int, str]]]] = [
    # COCO: the items (images), then the annotations
    ("coco", MINIMAL, [(3, "item"), (4, "annotation")]),
    # a folder of subset files: one count per file, in the order they are read
    ("coco", FIXTURES / "coco/good/folder/dataset",
     [(2, "item"), (2, "annotation"), (1, "item"), (1, "annotation")]),
    ("coco", FIXTURES / "coco/good/results/detections.json", [(2, "item"), (3, "annotation")]),
    ("yolo", FIXTURES / "yolo/good/roboflow/dataset", [(2, "item")]),
    ("yolo", FIXTURES / "yolo/good/ultralytics-labels-only/dataset", [(3, "item")]),
    ("voc", FIXTURES / "voc/good/dataset/VOC2007", [(4, "item")]),
    ("voc", FIXTURES / "voc/good/devkit/VOCdevkit", [(4, "item"), (2, "item")]),
    ("cvat", FIXTURES / "cvat/good/images-all-shapes/annotations.xml", [(6144, "B")]),
    ("cvat", FIXTURES / "cvat/good/video-tracks/annotations.xml", [(3774, "B")]),
    ("jsonl", FIXTURES / "jsonl/good/mixed/dataset.jsonl", [(1895, "B")]),
    ("doccano", FIXTURES / "doccano/good/relations/data.jsonl", [(267, "B")]),
    ("prodigy", FIXTURES / "prodigy/good/reject-ignore/data.jsonl", [(429, "B")]),
    ("label-studio", FIXTURES / "label-studio/good/export-emoji/export.json", [(2, "item")]),
    ("label-studio", FIXTURES / "label-studio/good/jsonl-crlf-bom/tasks.jsonl", [(303, "B")]),
    ("conll", FIXTURES / "conll/good/iob1-and-iobes/data.iob", [(69, "B")]),
]


def _finished(events: list[ProgressEvent], task: str) -> list[tuple[int, str]]:
    return [(e.done, e.unit) for e in events if e.finished and e.task == task]


@pytest.mark.parametrize(("name", "src", "expected"), READS,
                         ids=[f"{r[0]}:{r[1].parent.name}" for r in READS])
def test_every_reader_counts_exactly(name: str, src: Path,
                                     expected: list[tuple[int, str]]) -> None:
    fmt = get_format(name)
    events: list[ProgressEvent] = []
    with reporting(events.append):  # the reader itself, without the pipeline's fallback
        ds = fmt.read(src, fmt.options(), Report())
    assert ds is not None
    assert _finished(events, "read") == expected
    if expected[0][1] == "B":  # bytes: the whole file, and the total known from the start
        assert expected == [(src.stat().st_size, "B")]
        assert events[0] == ProgressEvent("read", 0, src.stat().st_size, "B")
    else:  # (COCO's annotations are its records: one may become two IR annotations)
        assert sum(n for n, unit in expected if unit == "item") == len(ds.items)
    dones = [e.done for e in events]
    assert dones == sorted(dones) or len(expected) > 1  # never backwards within one count


#: (format, source, destination name, items written)
WRITES = [
    ("coco", MINIMAL, "out.json", [3]),
    ("coco", FIXTURES / "coco/good/folder/dataset", "out", [2, 1]),  # one count per file
    ("coco", FIXTURES / "coco/good/results/detections.json", "res.json", [2]),
    ("yolo", FIXTURES / "yolo/good/roboflow/dataset", "y", [2]),
    ("voc", FIXTURES / "voc/good/dataset/VOC2007", "v", [4]),
    ("cvat", FIXTURES / "cvat/good/images-all-shapes/annotations.xml", "c.xml", [3]),
    ("cvat", FIXTURES / "cvat/good/video-tracks/annotations.xml", "v.xml", [4]),
    ("jsonl", FIXTURES / "jsonl/good/mixed/dataset.jsonl", "j.jsonl", [4]),
    ("doccano", FIXTURES / "doccano/good/relations/data.jsonl", "d.jsonl", [1]),
    ("prodigy", FIXTURES / "prodigy/good/reject-ignore/data.jsonl", "p.jsonl", [4]),
    ("label-studio", FIXTURES / "label-studio/good/export-emoji/export.json", "ls.json", [2]),
    ("label-studio", FIXTURES / "label-studio/good/jsonl-crlf-bom/tasks.jsonl", "ls.jsonl",
     [2]),
    ("conll", FIXTURES / "conll/good/iob1-and-iobes/data.iob", "c.conll", [2]),
]


@pytest.mark.parametrize(("name", "src", "dest", "expected"), WRITES,
                         ids=[f"{w[0]}:{w[1].parent.name}" for w in WRITES])
def test_every_writer_counts_exactly(name: str, src: Path, dest: str, expected: list[int],
                                     tmp_path: Path) -> None:
    ds = af.load(src)
    fmt = get_format(name)
    out = tmp_path / dest
    events: list[ProgressEvent] = []
    report = Report()
    with reporting(events.append):  # the writer itself, without the pipeline's fallback
        fmt.write(ds, out, fmt.options_for(fmt.options(), out), report)
    assert not report.has_errors
    assert _finished(events, "write") == [(n, "item") for n in expected]
    assert sum(expected) == len(ds.items)
    starts = [e for e in events if e.done == 0]
    assert [e.total for e in starts] == expected  # the total is known before the first item


def test_nobody_listening_costs_nothing() -> None:
    items = [1, 2, 3]
    assert track(items, "read") is items  # the very list: the loop is the plain loop
    chunks = iter([b"ab"])
    assert track_bytes(chunks, "read", 2) is chunks
    assert counter("read", 3) is None


def test_events_come_in_batches_with_the_exact_last_count() -> None:
    events: list[ProgressEvent] = []
    with reporting(events.append):
        assert sum(1 for _ in track(range(118_287), "read")) == 118_287
    # COCO-2017 train: 118 events, not 118 287; the last one exact
    assert len(events) == 2 + 118_287 // 1000
    assert events[-1] == ProgressEvent("read", 118_287, 118_287, "item", finished=True)
    assert step_for(None, "item") == 1000 and step_for(50, "item") == 1
    assert step_for(10 << 30, "B") == 1 << 20


def test_a_count_beyond_its_total_ends_with_the_count() -> None:
    events: list[ProgressEvent] = []
    with reporting(events.append):
        count = counter("read", 2)
        assert count is not None
        count.add(3)  # YOLO: label files without an image, beyond the images listed
        count.close()
    assert events[-1] == ProgressEvent("read", 3, 3, "item", finished=True)


def test_the_pipeline_counts_for_a_format_that_does_not(tmp_path: Path) -> None:
    """The test plugin (``boxes``) reports nothing: load and save still end with its count."""
    src = tmp_path / "a.boxes.csv"
    src.write_text("#labels: cat\na.jpg,4,4,cat,1,1,2,2\nb.jpg,4,4,cat,0,0,1,1\n")
    events: list[ProgressEvent] = []
    ds = af.load(src, progress=events.append)
    assert events == [ProgressEvent("read", 0, 2), ProgressEvent("read", 2, 2, finished=True)]
    events.clear()
    af.save(ds, tmp_path / "b.boxes.csv", "boxes", progress=events.append)
    assert events == [ProgressEvent("write", 0, 2), ProgressEvent("write", 2, 2, finished=True)]


def test_finish_does_not_repeat_what_a_reader_said() -> None:
    events: list[ProgressEvent] = []
    with reporting(events.append):
        begin("read")
        list(track([1, 2], "read"))
        finish("read", 2)
        begin("read")  # a second source in the same call: counted again
        finish("read", 5)
    assert [(e.done, e.finished) for e in events] == [(0, False), (1, False), (2, False),
                                                      (2, True), (0, False), (5, True)]


def test_convert_validate_and_save_report_each_task(tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    result = af.convert(MINIMAL, tmp_path / "out.xml", to="cvat", allow_loss=True,
                        progress=events.append)
    assert result.written
    assert [(e.task, e.done, e.total, e.unit) for e in events if e.finished] == [
        ("read", 3, 3, "item"), ("read", 4, 4, "annotation"), ("write", 3, 3, "item")]
    events.clear()
    af.validate(tmp_path / "out.xml", progress=events.append)
    size = (tmp_path / "out.xml").stat().st_size
    assert [(e.task, e.done, e.unit) for e in events if e.finished] == [("read", size, "B")]


# -------------------------------------------------------------------------- the CLI


def _cli(args: list[str], tty: bool, cwd: Path) -> tuple[int, str]:
    """Run the real CLI in a subprocess; stderr (and stdout) on a pseudo-terminal when
    ``tty``. Returns the exit status and what stderr showed."""
    cmd = [sys.executable, "-m", "annoformat", *args]
    env = {**os.environ, "COLUMNS": "100"}
    if not tty:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env,
                              timeout=120)
        return done.returncode, done.stderr
    primary, secondary = pty.openpty()
    # a terminal 100 columns wide (a fresh pseudo-terminal says 0)
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary,
                            cwd=cwd, env=env)
    os.close(secondary)
    out = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(primary, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(primary)
    return proc.wait(timeout=60), out.decode("utf-8", "replace")


RATE = re.compile(r"\d+(\.\d+)?k?item/s")


def test_a_terminal_shows_counts_and_rates(tmp_path: Path) -> None:
    status, shown = _cli(["convert", str(MINIMAL), str(tmp_path / "out.json"), "--to", "coco"],
                         tty=True, cwd=tmp_path)
    assert status == 0, shown
    assert "read items 3/3" in shown and "write items 3/3" in shown
    assert "read annotations 4/4" in shown
    assert RATE.search(shown), shown
    assert "coco -> coco: 3 item(s)" in shown  # the summary after the bars
    status, shown = _cli(["validate", str(tmp_path / "out.json")], tty=True, cwd=tmp_path)
    assert status == 0 and "read items 3/3" in shown


def test_a_pipe_shows_no_progress_unless_asked(tmp_path: Path) -> None:
    args = ["convert", str(MINIMAL), str(tmp_path / "a.json"), "--to", "coco"]
    status, shown = _cli(args, tty=False, cwd=tmp_path)
    assert status == 0
    assert "items" not in shown and "\r" not in shown and "item/s" not in shown
    assert shown.startswith("coco -> coco: 3 item(s)")
    status, shown = _cli([*args[:2], str(tmp_path / "b.json"), *args[3:], "--progress"],
                         tty=False, cwd=tmp_path)
    assert status == 0
    assert "read items 3/3" in shown and "write items 3/3" in shown and RATE.search(shown)
    status, shown = _cli(["validate", "--progress", str(tmp_path / "b.json")], tty=False,
                         cwd=tmp_path)
    assert status == 0 and "read items 3/3" in shown


def test_no_progress_silences_a_terminal(tmp_path: Path) -> None:
    status, shown = _cli(["convert", str(MINIMAL), str(tmp_path / "out.json"), "--to", "coco",
                          "--no-progress"], tty=True, cwd=tmp_path)
    assert status == 0 and "items" not in shown and "item/s" not in shown


def test_a_text_format_shows_bytes(tmp_path: Path) -> None:
    src = FIXTURES / "jsonl/good/mixed/dataset.jsonl"
    status, shown = _cli(["validate", "--progress", str(src)], tty=False, cwd=tmp_path)
    assert status == 0 and "read bytes" in shown and "1.90k/1.90k" in shown, shown


def test_the_images_placed_are_counted(tmp_path: Path) -> None:
    src = FIXTURES / "yolo/good/ultralytics-detect/dataset"
    status, shown = _cli(["convert", str(src), str(tmp_path / "voc"), "--to", "voc",
                          "--progress", "--stream"], tty=False, cwd=tmp_path)
    assert status == 0
    # YOLO streams into VOC, written in parts: counts with no total known ahead
    assert "read items 4 " in shown and "write items 4 " in shown, shown
    assert re.search(r"images 4 .*image/s", shown), shown
    assert "images: 4 hard-linked" in shown
