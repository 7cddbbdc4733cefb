"""CLI transcripts (fixtures/cli/*.json) and a few direct CLI checks."""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import annoformat as af
from annoformat.cli import main

from conftest import FIXTURES, file_size_limit

TRANSCRIPTS = sorted((FIXTURES / "cli").glob("*.json"))
_CODE_LINE = re.compile(r"^(?:(?!loss:|to proceed:)\S.*?: )?(AF\d{3}) [a-z0-9-]+: ", re.M)


def printed_codes(text: str) -> list[str]:
    """The codes of diagnostic lines in CLI text output, in order."""
    return _CODE_LINE.findall(text)


def _substitute(value: str, tmp: Path) -> str:
    return value.replace("{fixtures}", str(FIXTURES)).replace("{tmp}", str(tmp))


def run_transcript(path: Path, tmp: Path) -> tuple[Any, dict[str, Any]]:
    case = json.loads(path.read_text())
    for name in case.get("setup", []):
        file = Path(_substitute(name, tmp))
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("already here\n")
    args = [_substitute(a, tmp) for a in case["args"]]
    with contextlib.ExitStack() as held:
        held.enter_context(file_size_limit(case.get("file_size_limit")))
        if "locked" in case:  # another writer holds this destination's lock during the run
            dest = Path(_substitute(case["locked"], tmp))
            dest.parent.mkdir(parents=True, exist_ok=True)
            lock = held.enter_context(open(dest.parent / f".{dest.name}.annoformat-lock", "w"))
            fcntl.flock(lock, fcntl.LOCK_EX)
        return CliRunner().invoke(main, args, catch_exceptions=False, env=case.get("env")), case


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_transcript(path: Path, tmp_path: Path) -> None:
    result, case = run_transcript(path, tmp_path)
    assert result.exit_code == case["exit"], result.output + result.stderr
    # sorted: output order follows paths, which differ between checkouts
    assert sorted(printed_codes(result.stdout + result.stderr)) == sorted(case["codes"])
    for fragment in case.get("stdout_contains", []):
        assert fragment in result.stdout
    for fragment in case.get("stderr_contains", []):
        assert fragment in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_validate_json_output_has_locations() -> None:
    bad = FIXTURES / "coco" / "bad" / "AF203-duplicate-image-id" / "annotations.json"
    result = CliRunner().invoke(main, ["validate", str(bad), "--output", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["summary"] == {"error": 1, "warning": 0, "info": 0}
    (diag,) = doc["diagnostics"]
    assert diag["code"] == "AF203" and diag["name"] == "duplicate-image-id"
    assert diag["location"] == {"path": str(bad), "line": 16, "column": 10,
                                "pointer": "/images/2/id", "item_id": "1"}


def test_validate_github_output() -> None:
    bad = FIXTURES / "coco" / "bad" / "AF301-bbox-outside-image" / "annotations.json"
    result = CliRunner().invoke(main, ["validate", str(bad), "--output", "github"])
    assert result.exit_code == 0  # AF301 is a warning
    assert result.stdout.startswith(
        f"::warning file={bad},line=15,col=12,title=AF301 bbox-outside-image::box [90, 10, 20, 20]"
        " extends outside the 100x80 image [/annotations/0/bbox]")


def test_validate_select_and_ignore() -> None:
    bad = FIXTURES / "coco" / "bad" / "AF302-non-positive-size" / "annotations.json"
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(bad), "--ignore", "AF3"]).exit_code == 0
    selected = runner.invoke(main, ["validate", str(bad), "--select", "non-positive-size"])
    assert selected.exit_code == 1
    assert runner.invoke(main, ["validate", str(bad), "--select", "AF2"]).exit_code == 0


def test_info_json() -> None:
    src = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    result = CliRunner().invoke(main, ["info", str(src), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "items": 3, "items_without_annotations": 1, "subsets": {"(none)": 3}, "labels": 2,
        "annotations": 4, "annotations_by_type": {"bbox": 2, "mask": 1, "polygon": 1},
        "annotations_by_label": {"cat": 2, "dog": 2},
    }


def test_detect_explains_every_format() -> None:
    src = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    result = CliRunner().invoke(main, ["detect", str(src)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("* coco ") and "COCO top-level keys" in lines[0]
    assert any(line.startswith("  boxes ") and "not a .boxes.csv file" in line for line in lines)


def test_codes_lists_and_explains() -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["codes"]).stdout.splitlines()
    owners = [line for line in listing if line.startswith("# ")]
    assert owners[0] == "# core" and "# voc" in owners and owners[-1] == "# plugin boxes"
    voc = listing.index("# voc")
    assert listing[voc + 1].startswith("AF022  voc-root-not-annotation")
    assert any(line.startswith("AF203  duplicate-image-id") for line in listing[:voc])
    one = runner.invoke(main, ["codes", "duplicate-image-id"])
    assert one.exit_code == 0
    assert one.stdout.startswith("AF203 duplicate-image-id (error; from core)")
    plugin = runner.invoke(main, ["codes", "AF190"])
    assert plugin.stdout.startswith("AF190 boxes-bad-row (error; from plugin boxes)")
    assert runner.invoke(main, ["codes", "AF999"]).exit_code == 2


def test_report_file_is_written(tmp_path: Path) -> None:
    src = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    report = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["convert", str(src), str(tmp_path / "o.boxes.csv"),
                                       "--to", "boxes", "--allow-loss", "--report", str(report)])
    assert result.exit_code == 0
    doc = json.loads(report.read_text())
    assert doc["written"] is True and doc["summary"]["annotations"] == 4
    dropped = [d for d in doc["loss"] if d["code"] == "AF501"]
    assert [(d["ctx"]["kind"], d["ctx"]["count"]) for d in dropped] == [("mask", 1), ("polygon", 1)]
    assert [d["ctx"]["ids"] for d in dropped] == [["2/12"], ["1/11"]]


def test_commands_are_registered_under_their_names() -> None:
    """click < 8.2 names a command after its function (``convert-cmd``) unless told."""
    assert sorted(main.commands) == ["agree", "codes", "compare", "convert", "detect", "formats",
                                     "info", "merge", "stats",
                                     "validate"]


def test_a_closed_output_pipe_is_not_success(tmp_path: Path) -> None:
    # `annoformat validate bad.json | head -1`: what was not printed may be an error; the exit
    # status says the output was cut (141 = 128 + SIGPIPE, as shells report it), never 0
    bad = tmp_path / "bad.json"
    anns = [{"id": i, "image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1]} for i in range(3)]
    bad.write_text(json.dumps({"images": [], "categories": [{"id": 1, "name": "a"}],
                               "annotations": anns}))
    proc = subprocess.Popen([sys.executable, "-m", "annoformat", "validate", str(bad)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    assert proc.wait(timeout=120) == 141, proc.stderr.read()


def test_formats_name_shows_each_option_and_the_markdown_table() -> None:
    out = CliRunner().invoke(main, ["formats", "yolov8"]).output
    assert out.startswith("yolo (also: yolov5, yolov8, yolo11, ultralytics, darknet, yolo1.1): ")
    assert "    task: auto | detect | segment | obb | pose | classify (default auto)\n" in out
    assert "    precision: int (default 6)\n" in out
    table = CliRunner().invoke(main, ["formats", "--markdown"]).output.splitlines()
    assert table[0].startswith("| format | items | box | rotated box | polygon | polyline |")
    voc = next(row for row in table if row.startswith("| `voc` |"))
    assert voc == "| `voc` | image | ✓ | — | ≈ box | — | — | — | ✓ | — | — | | — |"
    help_text = CliRunner().invoke(main, ["convert", "--help"]).output
    assert "coco, conll, cvat, doccano, jsonl, label-studio" in " ".join(help_text.split())


def test_no_transcript_prints_a_finding_at_input(tmp_path: Path) -> None:
    # every finding is at the file it is about, or (an option, a dataset built in code) at none
    for n, path in enumerate(TRANSCRIPTS):
        result, _ = run_transcript(path, tmp_path / str(n))
        assert "<input>" not in result.output, path.name


def test_report_render_and_diagnostic_str_are_the_cli_lines() -> None:
    report = af.validate(FIXTURES / "coco" / "bad" / "AF201-unknown-image" / "annotations.json")
    assert report.render() == "\n".join(str(d) for d in sorted(
        report.diagnostics, key=lambda d: d.sort_key()))
    assert str(report.diagnostics[0]).startswith(f"{FIXTURES}/coco/bad/AF201-unknown-image/")
    assert report.render("json").startswith("{")


def test_report_json_lists_every_affected_id_and_messages_stay_short(tmp_path: Path) -> None:
    """--report carries complete id lists (no cap, no '...'); a message that names the ids
    shows the first 20 and how many more."""
    labels = [af.Label(name="cat")]
    items = [af.Item(id=f"img{n}", media=af.Image(path=f"img{n}.jpg", width=100, height=100),
                     annotations=[af.Polygon(label="cat", id=k, rings=[[1, 1, 9, 1, 5, 8]])
                                  for k in range(1, 4)]) for n in range(15)]
    src = tmp_path / "src.json"
    af.save(af.Dataset(labels=labels, items=items), src, format="coco")
    report = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["convert", str(src), str(tmp_path / "y"), "--to", "yolo",
                                       "--opt", "task=detect", "--media", "none",
                                       "--allow-loss", "--report", str(report)])
    assert result.exit_code == 0, result.output
    approximated = [d for d in json.loads(report.read_text())["report"]["diagnostics"]
                    if d["code"] == "AF516"]
    assert len(approximated) == 1
    ctx = approximated[0]["ctx"]
    assert ctx["count"] == 45
    read = af.load(src)
    every = [f"{item.id}/{ann.id}" for item in read.items for ann in item.annotations]
    assert len(set(every)) == 45 and ctx["ids"] == every
    message = approximated[0]["message"]
    assert message.endswith(f"{every[19]!r}, '... 25 more']") and every[20] not in message
