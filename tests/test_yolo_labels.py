"""YOLO's per-file work (``yolo/_labels.parse_file``): picklable, the same in another process,
and the boxes it leads to share their key table (``_rows._keys_of``)."""

from __future__ import annotations

import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import annoformat as af
from annoformat.formats.yolo._labels import LabelJob, RowSpec, parse_file
from annoformat.formats.yolo._rows import build_rows
from annoformat.model import BBox, Polygon

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "yolo"
SPEC = RowSpec(("a", "b"), "auto", None, None, True)


def _jobs(tmp_path: Path) -> list[LabelJob]:
    rows = {
        "box.txt": "0 0.5 0.5 0.25 0.5\n\n1 0.1 0.2 0.1 0.2\n",
        "poly.txt": "1 0.1 0.1 0.9 0.1 0.5 0.8\n",
        "score.txt": "0 0.5 0.5 0.2 0.2 0.87\n",
        "bad.txt": "0 0.5 x 0.2 0.2\n7 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 1.5\n",
        "bom.txt": "\ufeff0 0.5 0.5 0.2 0.2\n",
    }
    jobs = []
    for name, text in rows.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        jobs.append(LabelJob(str(tmp_path / name), name[:-4], 200, 100, False, True, SPEC))
    jobs.append(LabelJob(str(tmp_path / "absent.txt"), "absent", 200, 100, False, True, SPEC))
    jobs.append(LabelJob(str(tmp_path / "box.txt"), "unsized", None, None, False, False, SPEC))
    return jobs


def test_parse_file_results_pickle_and_agree_across_processes(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path)
    here = [parse_file(job) for job in jobs]
    assert [pickle.loads(pickle.dumps(r)) for r in here] == here
    with ProcessPoolExecutor(2) as pool:
        assert list(pool.map(parse_file, jobs)) == here
    box, poly, score, bad, bom, absent, unsized = here
    assert box.rows == [(0, 1, 75.0, 25.0, 50.0, 50.0), (1, 2, 10.0, 10.0, 20.0, 20.0)]
    assert box.lines == [1, 3]
    assert poly.rows == [(1, 1, [20.0, 10.0, 180.0, 10.0, 100.0, 80.0])]
    assert [type(a) for a in build_rows(score.rows or [], SPEC.names)] == [BBox]
    assert build_rows(score.rows or [], SPEC.names)[0].score == 0.87
    assert [code for code, _ in bad.row_found] == ["AF032", "AF216", "AF330"]
    assert bad.row_found[0][1]["column"] == 7 and bad.row_found[0][1]["line"] == 1
    assert [code for code, _ in bom.read_found] == ["AF004"]
    assert (absent.read, absent.rows, absent.read_found) == (False, [], [])
    assert unsized.rows is None  # rows but no size: the reader reports AF333


def test_read_boxes_and_polygons_share_their_key_table() -> None:
    ds = af.load(FIX / "good" / "ultralytics-segment" / "dataset")
    anns = [a for item in ds.items for a in item.annotations]
    assert {type(a) for a in anns} >= {Polygon}
    for ann in anns:
        # a split dict (keys kept once per class) is smaller than the same dict built anew
        assert sys.getsizeof(ann.__dict__) < sys.getsizeof(dict(ann.__dict__))
        assert type(ann).model_validate(ann.model_dump()) == ann
    ds = af.load(FIX / "good" / "ultralytics-detect" / "dataset")
    boxes = [a for item in ds.items for a in item.annotations]
    assert boxes and all(type(a) is BBox for a in boxes)
    assert all(sys.getsizeof(a.__dict__) < sys.getsizeof(dict(a.__dict__)) for a in boxes)
