"""Streaming COCO read: peak RSS and items/s at 1x, 2x and 4x a base size.

Usage: python benchmarks/bench_stream_coco.py [--base N] [--scales 1,2,4] [--workdir DIR]
                                              [--repeat R]

For each scale S the COCO-2017-shaped instances file of S x ``--base`` images (default
10,000) and as many annotations per image as COCO train (7.27) is generated once by
``generate_coco.py`` (kept in the work directory, default /tmp). A fresh interpreter then
iterates ``annoformat.iter_items(path, "coco")`` over it, counting items and annotations, and
reports its own peak RSS (ru_maxrss) and the time from the first call to the last item. The
figures are medians over ``--repeat`` runs. Memory is flat when the 4x peak is within 20% of the
1x peak; the verdict is printed last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANNOTATIONS_PER_IMAGE = 860_001 / 118_287

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import annoformat as af
items = annotations = 0
t1 = time.perf_counter()
for item in af.iter_items(sys.argv[1], "coco"):
    items += 1
    annotations += len(item.annotations)
t2 = time.perf_counter()
print(json.dumps({"items": items, "annotations": annotations, "import_s": t1 - t0,
                  "stream_s": t2 - t1,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def dataset(workdir: Path, images: int) -> Path:
    """The generated file of ``images`` images (made once, kept)."""
    annotations = round(images * ANNOTATIONS_PER_IMAGE)
    path = workdir / f"coco_stream_i{images}_a{annotations}.json"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "generate_coco.py"), str(path),
                        "--images", str(images), "--annotations", str(annotations)], check=True)
    return path


def run(path: Path) -> dict[str, float]:
    src = HERE.parent / "src"
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True,
                          capture_output=True, text=True, env={"PYTHONPATH": str(src)})
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=10_000, help="images at 1x")
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args(argv)
    scales = [int(s) for s in args.scales.split(",")]
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"{'scale':>5} {'images':>9} {'annotations':>11} {'MiB file':>9} {'peak MiB':>9} "
          f"{'stream s':>9} {'items/s':>9}")
    peaks: dict[int, float] = {}
    for scale in scales:
        path = dataset(args.workdir, scale * args.base)
        runs = [run(path) for _ in range(args.repeat)]
        peak = statistics.median(r["peak_mib"] for r in runs)
        seconds = statistics.median(r["stream_s"] for r in runs)
        peaks[scale] = peak
        print(f"{scale:>5} {int(runs[0]['items']):>9,} {int(runs[0]['annotations']):>11,} "
              f"{path.stat().st_size / 2**20:>9.1f} {peak:>9.1f} {seconds:>9.2f} "
              f"{runs[0]['items'] / seconds:>9,.0f}", flush=True)
    low, high = min(scales), max(scales)
    growth = peaks[high] / peaks[low] - 1
    verdict = "FLAT" if abs(growth) <= 0.20 else "NOT FLAT"
    print(f"peak RSS {high}x vs {low}x: {growth:+.1%} ({verdict}, target within +-20%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
