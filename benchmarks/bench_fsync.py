"""What durability costs: conversions with and without the fsync of the staged output.

Usage: python benchmarks/bench_fsync.py [--images 5000] [--annotations 36781] [--repeat 5]
       [--workdir DIR]

Generates a COCO file (val-2017 size by default), then converts it to YOLO (one label file per
image) and to COCO (one file), alternating runs with fsync on (what annoformat does) and off
(``_output._fsync_tree`` replaced by a no-op) in this one process, on the file system of
``--workdir`` (default: a temporary folder under /tmp). Prints the median wall time of each and
their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import annoformat as af
from annoformat import _output

sys.path.insert(0, str(Path(__file__).parent))
import generate_coco


def _convert(src: Path, dest: Path, to: str) -> float:
    start = time.perf_counter()
    result = af.convert(src, dest, to=to, media="none", allow_loss=True, overwrite=True)
    elapsed = time.perf_counter() - start
    assert result.written, result.report.codes()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--annotations", type=int, default=36_781)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(dir=args.workdir))
    real = _output._fsync_tree
    try:
        src = work / "src.json"
        generate_coco.generate(src, args.images, args.annotations, 2017)
        print(f"{args.images} images, {args.annotations} annotations, in {work}")
        for to in ("yolo", "coco"):
            times: dict[str, list[float]] = {"fsync": [], "no fsync": []}
            for _ in range(args.repeat):
                for label in times:
                    _output._fsync_tree = real if label == "fsync" else (lambda root: None)
                    dest = work / f"out-{to}"
                    times[label].append(_convert(src, dest, to))
                    shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
            on, off = (statistics.median(times[k]) for k in ("fsync", "no fsync"))
            print(f"coco -> {to}: median {on:.2f} s with fsync, {off:.2f} s without "
                  f"({on / off:.2f}x, +{on - off:.2f} s)")
    finally:
        _output._fsync_tree = real
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
