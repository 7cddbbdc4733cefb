"""Pascal VOC (and YOLO) with one job and with two: the same items, labels, findings and bytes.

Every VOC and YOLO conformance fixture (good and bad) is read in this process and through a
pool of two (``min_items=1``: the pool even for one file) and must give the same IR and the same
diagnostics, message and location included (the conformance suite checks the one-job result
against the goldens). A dataset large enough for the default pool threshold is converted both
ways with ``--jobs 1`` and ``--jobs 2`` and the outputs compared byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

import annoformat as af
from annoformat.cli import main
from annoformat.diagnostics import Report
from annoformat.parallel import MIN_ITEMS, use_jobs
from annoformat.registry import get_format, parse_options
from annoformat.sourcemap import recording
from annoformat.testing import canonical_json

from conftest import Case, fixture_cases

#: the formats whose files are read through the pool (YOLO's CLI check: test_yolo_jobs.py)
POOLED_CASES = [c for c in fixture_cases("good") + fixture_cases("bad")
                if c.format in ("voc", "yolo")]


def _read(case: Case, jobs: int) -> tuple[bytes | None, list[tuple[Any, ...]], Any]:
    opts_file = case.folder / "options.json"
    opts = json.loads(opts_file.read_text()) if opts_file.exists() else {}
    fmt = get_format(case.format)
    report = Report()
    with use_jobs(jobs, min_items=1), recording() as sm:
        ds = fmt.read(case.input, parse_options(fmt, opts), report)
    diags = [(d.code, d.severity, d.message, d.location) for d in report]
    return (canonical_json(ds) if ds is not None else None), diags, sm


@pytest.mark.parametrize("case", POOLED_CASES, ids=lambda c: c.id)
def test_two_jobs_read_what_one_job_reads(case: Case) -> None:
    ir_one, diags_one, sm_one = _read(case, 1)
    ir_two, diags_two, sm_two = _read(case, 2)
    assert diags_two == diags_one
    assert ir_two == ir_one
    assert vars(sm_two) == vars(sm_one)  # file:line of every item and annotation, for rules


def _coco(items: int) -> dict[str, Any]:
    images, anns = [], []
    for i in range(1, items + 1):
        images.append({"id": i, "file_name": f"img{i:05d}.jpg", "width": 640, "height": 480})
        for k in range(i % 4):  # 0-3 boxes, fractions and whole pixels
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": 1 + k % 2,
                         "bbox": [10.5 + k, 20 + k, 30.25, 40], "area": 1210.0, "iscrowd": 0})
    return {"images": images, "annotations": anns,
            "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}


def _tree(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {"": path.read_bytes()}
    return {p.relative_to(path).as_posix(): p.read_bytes()
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_cli_outputs_are_byte_identical_for_one_and_two_jobs(tmp_path: Path) -> None:
    src = tmp_path / "coco.json"
    src.write_bytes(orjson.dumps(_coco(MIN_ITEMS + 44)))  # past the pool's threshold
    runner = CliRunner()
    for jobs in ("1", "2"):
        voc = tmp_path / f"voc{jobs}"
        result = runner.invoke(main, ["convert", str(src), str(voc), "--to", "voc",
                                      "--jobs", jobs])
        assert result.exit_code == 0, result.output
        back = tmp_path / f"back{jobs}.json"
        result = runner.invoke(main, ["convert", str(tmp_path / "voc1"), str(back), "--to",
                                      "coco", "--jobs", jobs])
        assert result.exit_code == 0, result.output
    assert _tree(tmp_path / "voc2") == _tree(tmp_path / "voc1")
    assert len(_tree(tmp_path / "voc1")) == MIN_ITEMS + 44 + 2  # + labelmap, default.txt
    assert (tmp_path / "back2.json").read_bytes() == (tmp_path / "back1.json").read_bytes()
    back = orjson.loads((tmp_path / "back1.json").read_bytes())
    assert len(back["images"]) == MIN_ITEMS + 44
    assert len(back["annotations"]) == len(_coco(MIN_ITEMS + 44)["annotations"])


def test_validate_reports_the_same_with_two_jobs(tmp_path: Path) -> None:
    src = tmp_path / "coco.json"
    src.write_bytes(orjson.dumps(_coco(MIN_ITEMS + 4)))
    voc = tmp_path / "voc"
    assert af.convert(src, voc, to="voc").written
    bad = voc / "Annotations" / "img00007.xml"  # a reversed box, far into the file list
    bad.write_text(bad.read_text().replace("<xmax>40.75</xmax>", "<xmax>1</xmax>", 1))
    one = af.validate(voc, jobs=1)
    two = af.validate(voc, jobs=2)
    assert [(d.code, d.message, d.location) for d in two] == \
        [(d.code, d.message, d.location) for d in one]
    assert [(d.code, d.location.path, d.location.line) for d in one.errors] == [
        ("AF320", str(bad), 14)]


def test_jobs_below_one_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path), "--jobs", "0"])
    assert result.exit_code == 2
    assert "--jobs" in result.output
    with pytest.raises(af.UsageError):
        af.load(tmp_path, jobs=0)


def test_max_errors_caps_the_same_findings_with_two_jobs(tmp_path: Path) -> None:
    src = tmp_path / "coco.json"
    src.write_bytes(orjson.dumps(_coco(MIN_ITEMS + 4)))
    voc = tmp_path / "voc"
    assert af.convert(src, voc, to="voc").written
    for name in ("img00003.xml", "img00007.xml", "img00011.xml"):  # three reversed boxes
        bad = voc / "Annotations" / name
        bad.write_text(bad.read_text().replace("<xmax>40.75</xmax>", "<xmax>1</xmax>", 1))
    one = af.validate(voc, max_errors=2, jobs=1)
    two = af.validate(voc, max_errors=2, jobs=2)
    assert [(d.code, d.location.path) for d in two] == [(d.code, d.location.path) for d in one]
    assert [d.code for d in one] == ["AF329", "AF320", "AF903"]
    assert two.counts == one.counts
