"""YOLO with one job and with two: label files are parsed in a pool of processes
(``yolo._labels.parse_file``) and replayed in item order. Every YOLO fixture read both ways is
in test_voc_jobs.py; here a dataset past the default pool threshold is converted with ``--jobs
1`` and ``--jobs 2`` and the COCO outputs compared byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from annoformat.cli import main
from annoformat.diagnostics import Report
from annoformat.formats.yolo import _write as yolo_write
from annoformat.formats.yolo._common import Options as YoloOptions
from annoformat.model import BBox, Dataset, Image, Item, Label, Polygon
from annoformat.parallel import MIN_ITEMS, use_jobs


def test_cli_outputs_are_byte_identical_for_one_and_two_jobs(tmp_path: Path) -> None:
    data = tmp_path / "yolo"
    (data / "labels" / "train").mkdir(parents=True)
    (data / "data.yaml").write_text("path: .\ntrain: images/train\nnames:\n  0: cat\n  1: dog\n")
    (data / "sizes.json").write_text("{}")
    sizes = {}
    for i in range(MIN_ITEMS + 44):  # past the pool's threshold
        rows = [f"{k % 2} 0.5 0.5 0.{k + 1} 0.25" for k in range(i % 4)]
        (data / "labels" / "train" / f"img{i:05d}.txt").write_text("\n".join(rows))
        sizes[f"images/train/img{i:05d}.jpg"] = [640, 480]
    (data / "sizes.json").write_text(json.dumps(sizes))
    runner = CliRunner()
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.json"
        done = runner.invoke(main, ["convert", str(data), str(out), "--to", "coco",
                                    "--jobs", jobs, "--media", "none"])
        assert done.exit_code == 0, done.stderr
        outputs.append((out.read_bytes(), done.stderr.replace(str(out), "OUT")))
    assert outputs[0] == outputs[1]


def _writer_dataset(unsafe: bool) -> Dataset:
    """60 items: boxes and polygons, some past the border (clipped: AF332), an unsafe image
    path (AF016) among them, items without objects."""
    items = []
    for i in range(60):
        anns: list[Any] = []
        for k in range(i % 4):
            x = 600.0 if (i + k) % 7 == 0 else 10.0 * k  # 600 + 80 > 640: clipped
            anns.append(BBox(label="cat", x=x, y=5, w=80, h=40) if k % 2 else
                        Polygon(label="dog", rings=[[x, 5, x + 80, 5, x + 40, 60]]))
        path = "../escape.jpg" if unsafe and i == 31 else f"img{i:03d}.jpg"
        items.append(Item(id=str(i), subset="train", annotations=anns,
                          media=Image(path=path, width=640, height=480)))
    return Dataset(labels=[Label(name="cat"), Label(name="dog")], items=items)


def test_label_rows_made_in_a_pool_are_the_rows_made_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the rows of each label file are made by forked workers with --jobs 2 and their findings
    # replayed in item order among the loop's own (AF016 of item 31 between the AF332s)
    monkeypatch.setattr(yolo_write, "_ROWS_RUN", 4)  # 11 runs: past _POOLED_RUNS
    made: list[tuple[dict[str, bytes], list[tuple[str, str | None]]]] = []
    for unsafe in (False, True):
        for jobs in (1, 2):
            report = Report()
            out = tmp_path / f"out{jobs}{unsafe}"
            with use_jobs(jobs):
                yolo_write.write_dataset(_writer_dataset(unsafe), out, YoloOptions(
                    task="segment", clip=True), report)
            files = {str(p.relative_to(out)): p.read_bytes()
                     for p in sorted(out.rglob("*")) if p.is_file()}
            made.append((files, [(d.code, d.location.item_id) for d in report]))
    assert made[0] == made[1] and made[2] == made[3]
    clipped = [("AF332", i) for i in ("6", "7", "14", "19", "21", "27", "34", "35", "42", "47",
                                      "49", "55")]
    files, said = made[0]
    assert [d for d in said if d[0] in ("AF016", "AF332")] == clipped
    assert len([f for f in files if f.startswith("labels/train/")]) == 60
    # item 7's first polygon, (600, 5) (680, 5) (640, 60), clipped at x = 640
    assert files["labels/train/img007.txt"].decode().splitlines()[0] == (
        "1 0.937500 0.010417 1.000000 0.010417 1.000000 0.125000")
    files, said = made[2]
    assert files == {}
    assert [d for d in said if d[0] in ("AF016", "AF332")] == [
        *clipped[:6], ("AF016", "31"), *clipped[6:]]
