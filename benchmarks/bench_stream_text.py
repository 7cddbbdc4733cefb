"""Streaming reads of the text dialects and CVAT: peak RSS and items/s at 1x, 2x and 4x a base.

Usage: python benchmarks/bench_stream_text.py [--base N] [--scales 1,2,4]
                                              [--formats jsonl,doccano,label-studio,cvat]
                                              [--workdir DIR]

For each format and scale a dataset of ``base x scale`` items is generated once (fixed seed)
into the work directory (default under /dev/shm): annoformat's JSONL and doccano JSONL as
``bench_jsonl.generate`` makes them (text records with spans), a Label Studio JSON array of
the same records (one annotation of ``labels`` results per task), and CVAT for images as
``bench_cvat.generate`` makes it (7 shapes per image, COCO-train's ratio). Each run is a fresh
interpreter that iterates ``annoformat.iter_items(path, format=...)`` and counts the items;
printed: the child's peak RSS (``ru_maxrss`` from ``os.wait4``), items per second (the
child's own clock around the iteration), and the peak as a ratio to the 1x run's: flat means
within +-20 % from 1x to 4x. The peak includes the interpreter and its imports (~70 MiB).
A Label Studio array up to 16 MiB is parsed whole by design (see docs/formats/label-studio.md);
``--ijson-always`` streams those too.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_cvat  # noqa: E402  (a sibling script: its generator)
import bench_jsonl  # noqa: E402

FORMATS = ("jsonl", "doccano", "label-studio", "cvat")
CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import annoformat as af
fmt, path = sys.argv[2], sys.argv[3]
if sys.argv[4] == "1":  # every Label Studio array through ijson, however small
    from annoformat.formats import label_studio
    label_studio.WHOLE_JSON_BYTES = 0
t0 = time.perf_counter()
count = sum(1 for _ in af.iter_items(path, format=fmt))
print(count, time.perf_counter() - t0)
"""


def label_studio(folder: Path, records: int) -> Path:
    """A Label Studio JSON export (one array) of ``records`` tasks: the doccano records'
    texts and spans as one annotation's ``labels`` results each, written as it goes."""
    out = folder / f"label-studio-{records}.json"
    if out.exists():
        return out
    _, doccano = bench_jsonl.generate(folder, records, 0)
    with doccano.open("rb") as src, out.open("wb") as fh:
        fh.write(b"[\n")
        for i, line in enumerate(src):
            rec = orjson.loads(line)
            text = rec["text"]
            result = [{"id": f"r{i}-{k}", "from_name": "label", "to_name": "text",
                       "type": "labels", "value": {"start": _u16(text, s), "end": _u16(text, e),
                                                   "labels": [lab]}}
                      for k, (s, e, lab) in enumerate(rec["label"])]
            task = {"id": rec["id"], "data": {"text": rec["text"]},
                    "annotations": [{"id": i, "completed_by": 1, "result": result}]}
            fh.write((b",\n" if i else b"") + orjson.dumps(task))
        fh.write(b"\n]\n")
    return out


def _u16(text: str, offset: int) -> int:
    """Label Studio's offsets are UTF-16 code units; doccano's code points."""
    return len(text[:offset].encode("utf-16-le")) // 2


def dataset(fmt: str, folder: Path, items: int) -> Path:
    """The generated file of ``items`` items in ``fmt`` (made once)."""
    if fmt in ("jsonl", "doccano"):
        native, doccano = bench_jsonl.generate(folder, items, 0)
        return native if fmt == "jsonl" else doccano
    if fmt == "label-studio":
        return label_studio(folder, items)
    path = folder / f"cvat-{items}.xml"
    if not path.exists():
        bench_cvat.generate(path, items, items * 7)
    return path


def run(fmt: str, path: Path, ijson_always: bool) -> tuple[int, float, float]:
    """(items, seconds, peak MiB) of iterating ``path`` in a fresh interpreter."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT / "src"), fmt, str(path),
                             "1" if ijson_always else "0"],
                            stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    assert proc.stdout is not None
    out = proc.stdout.read().split()
    proc.stdout.close()
    if status != 0 or len(out) != 2:
        raise SystemExit(f"{fmt} {path.name}: the child failed (status {status})")
    return int(out[0]), float(out[1]), usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=int, default=10_000, help="items at 1x")
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--ijson-always", action="store_true",
                        help="stream Label Studio arrays under 16 MiB too (read whole by default)")
    args = parser.parse_args()
    shm = Path("/dev/shm")
    workdir = args.workdir or Path(tempfile.gettempdir() if not shm.is_dir() else shm) / (
        f"annoformat-bench-stream-text-{os.getuid()}")
    workdir.mkdir(parents=True, exist_ok=True)
    scales = [int(s) for s in args.scales.split(",")]
    random.seed(0)
    print(f"{'format':<13}{'scale':>6}{'items':>10}{'MiB in':>9}{'peak MiB':>10}"
          f"{'items/s':>11}{'x 1x peak':>11}")
    started = time.perf_counter()
    for fmt in args.formats.split(","):
        first = None
        for scale in scales:
            path = dataset(fmt, workdir, args.base * scale)
            count, seconds, peak = run(fmt, path, args.ijson_always)
            first = first or peak
            print(f"{fmt:<13}{scale:>5}x{count:>10}{path.stat().st_size / 2**20:>9.0f}"
                  f"{peak:>10.1f}{count / seconds:>11.0f}{peak / first:>11.2f}", flush=True)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
