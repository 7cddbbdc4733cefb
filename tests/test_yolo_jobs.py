"""YOLO with one job and with two: label files are parsed in a pool of processes
(``yolo._labels.parse_file``) and replayed in item order. Every YOLO fixture read both ways is
in test_voc_jobs.py; here a dataset past the default pool threshold is converted with ``--jobs
1`` and ``--jobs 2`` and the COCO outputs compared byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from annoformat.cli import main
from annoformat.parallel import MIN_ITEMS


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
