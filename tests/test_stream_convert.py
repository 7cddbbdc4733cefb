"""A conversion written part by part (``stream.convert_stream``) gives what ``convert`` gives:
the same output bytes, report (every finding, rendered), summary and verdict, for every good
and bad fixture of every format into every target that joins parts, with parts of 2 items so
that every fixture with more than two items is planned, checked and written in pieces.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import annoformat as af
from annoformat.progress import ProgressEvent
from annoformat.registry import list_formats
from annoformat.stream import convert_stream

from conftest import Case, fixture_cases

CASES = fixture_cases("good") + fixture_cases("bad")
JOINED = [name for name, fmt in list_formats().items() if fmt.join is not None]


def _rendered(result: af.ConversionResult, out: Path) -> str:
    return result.report.render("text").replace(str(out), "OUT")


def _tree(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {"": path.read_bytes()}
    return {p.relative_to(path).as_posix(): p.read_bytes()
            for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("target", JOINED)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_conversion_in_parts_gives_what_a_whole_one_gives(
        case: Case, target: str, tmp_path: Path) -> None:
    opts = case.folder / "options.json"
    read_options = json.loads(opts.read_text()) if opts.exists() else None
    fmt = list_formats()[target]
    ext = fmt.extensions[0] if fmt.one_file and fmt.extensions else ""
    whole_out, parts_out = tmp_path / f"whole{ext}", tmp_path / f"parts{ext}"
    whole = af.convert(case.input, whole_out, to=target, from_=case.format, allow_loss=True,
                       read_options=read_options, media="none", stream=False)
    parts = convert_stream(case.input, parts_out, to=target, from_=case.format,
                           allow_loss=True, read_options=read_options, media="none",
                           part_items=2)
    assert _rendered(parts, parts_out) == _rendered(whole, whole_out)
    assert (parts.written, parts.summary, parts.source_format) == (
        whole.written, whole.summary, whole.source_format)
    if whole.written:
        assert _tree(parts_out) == _tree(whole_out)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (whole_out, parts_out) if p.exists())  # no staging left


def test_a_refused_plan_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = convert_stream("fixtures/coco/good/minimal/annotations.json", out, to="doccano",
                            part_items=1)
    assert not result.written and "AF509" in result.report.codes()
    assert list(tmp_path.iterdir()) == []


def test_a_target_written_whole_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(af.UsageError, match="coco is written whole"):
        convert_stream("fixtures/coco/good/minimal/annotations.json", tmp_path / "o.json",
                       to="coco")


def test_progress_counts_the_items_written_over_all_parts(tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    result = af.convert("fixtures/coco/good/minimal/annotations.json", tmp_path / "o.jsonl",
                        to="jsonl", stream=True, progress=events.append)
    assert result.written
    writes = [(e.done, e.total, e.finished) for e in events if e.task == "write"]
    assert writes == [(0, None, False), (3, 3, True)]
    assert [e.finished for e in events if e.task == "read"].count(True) >= 1


MEDIA = [c for c in fixture_cases("good") if c.id in {
    "voc/good/dataset", "voc/good/datumaro-voc", "yolo/good/ultralytics-detect",
    "yolo/good/darknet-cvat"}]


@pytest.mark.parametrize("case", MEDIA, ids=lambda c: c.id)
def test_images_are_placed_part_by_part_as_a_whole_conversion_places_them(
        case: Case, tmp_path: Path) -> None:
    whole = af.convert(case.input, tmp_path / "whole", to="voc", from_=case.format,
                       allow_loss=True, media="copy", stream=False)
    parts = convert_stream(case.input, tmp_path / "parts", to="voc", from_=case.format,
                           allow_loss=True, media="copy", part_items=1)
    assert whole.summary["media"]["copied"] > 0
    assert (parts.written, parts.summary) == (whole.written, whole.summary)
    assert _rendered(parts, tmp_path / "parts") == _rendered(whole, tmp_path / "whole")
    assert _tree(tmp_path / "parts") == _tree(tmp_path / "whole")


def test_a_zip_destination_is_written_whole_even_from_a_stream(tmp_path: Path) -> None:
    # the default path for a streaming source: not into a .zip (the archive is made whole)
    with pytest.raises(af.UsageError, match=r"\.zip destination is written whole"):
        convert_stream("fixtures/jsonl/good/mixed/dataset.jsonl", tmp_path / "o.zip",
                       to="jsonl")


_STREAMED = """
import resource, sys
import annoformat as af
from annoformat._io import memory_headroom
if sys.argv[3] != "none":  # address space left: what is mapped now and this many MiB
    with open("/proc/self/status") as fh:
        mapped = next(int(line.split()[1]) for line in fh if line.startswith("VmSize:"))
    room = mapped * 1024 + int(sys.argv[3]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (room, resource.RLIM_INFINITY))
result = af.convert(sys.argv[1], sys.argv[2], to="voc", allow_loss=True, media="none")
assert result.written, result.report.codes()
print("streamed" if "annoformat.stream" in sys.modules else "whole")
"""


def test_by_default_a_dataset_streams_only_when_it_would_not_fit_whole(tmp_path: Path) -> None:
    """A real address-space limit (ulimit -v): with 400 MiB left a 20 MiB COCO file (x12 to
    read whole, against 3/8 of the room) is written as it is read; without it, read whole."""
    import subprocess
    import sys

    from conftest import ROOT

    src = tmp_path / "coco.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_coco.py"), str(src),
                    "--images", "5000", "--annotations", "36000"], check=True,
                   capture_output=True)
    assert 15 * 2**20 < src.stat().st_size < 30 * 2**20

    def run(room: str) -> tuple[str, bytes]:
        out = tmp_path / f"voc-{room}"
        done = subprocess.run([sys.executable, "-c", _STREAMED, str(src), str(out), room],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        written = sorted((out / "Annotations").iterdir())
        assert len(written) == 5000
        return done.stdout.strip(), b"".join(p.read_bytes() for p in written[::97])

    limited, unlimited = run("400"), run("none")
    assert limited[0] == "streamed" and unlimited[0] == "whole"
    assert limited[1] == unlimited[1]
