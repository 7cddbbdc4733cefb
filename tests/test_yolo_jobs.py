"""YOLO with one job and with two: the same items, labels, findings and source map.

Label files are parsed in a pool of processes (``yolo._labels.parse_file``) and replayed in
item order. Every YOLO conformance fixture (good and bad) is read in this process and through a
pool of two (``min_items=1``: the pool even for one file) and must give the same IR, the same
diagnostics (message and location included) and the same source map; a dataset past the
default pool threshold is converted with ``--jobs 1`` and ``--jobs 2`` and the COCO outputs
compared byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from annoformat.cli import main
from annoformat.diagnostics import Report
from annoformat.parallel import MIN_ITEMS, use_jobs
from annoformat.registry import get_format, parse_options
from annoformat.sourcemap import recording
from annoformat.testing import canonical_json

from conftest import Case, fixture_cases

YOLO_CASES = [c for c in fixture_cases("good") + fixture_cases("bad") if c.format == "yolo"]


def _read(case: Case, jobs: int) -> tuple[bytes | None, list[tuple[Any, ...]], Any]:
    opts_file = case.folder / "options.json"
    opts = json.loads(opts_file.read_text()) if opts_file.exists() else {}
    fmt = get_format("yolo")
    report = Report()
    with use_jobs(jobs, min_items=1), recording() as sm:
        ds = fmt.read(case.input, parse_options(fmt, opts), report)
    diags = [(d.code, d.severity, d.message, d.location) for d in report]
    return (canonical_json(ds) if ds is not None else None), diags, sm


@pytest.mark.parametrize("case", YOLO_CASES, ids=lambda c: c.id)
def test_two_jobs_read_what_one_job_reads(case: Case) -> None:
    ir_one, diags_one, sm_one = _read(case, 1)
    ir_two, diags_two, sm_two = _read(case, 2)
    assert diags_two == diags_one
    assert ir_two == ir_one
    assert vars(sm_two) == vars(sm_one)


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
