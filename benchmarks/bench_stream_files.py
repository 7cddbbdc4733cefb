"""Streaming YOLO and Pascal VOC reads: peak memory as the dataset grows (issue #17).

Usage: python benchmarks/bench_stream_files.py [--base N] [--scales 1,2,4] [--formats yolo,voc]
                                               [--whole] [--repeat R] [--workdir DIR]

For each format and each scale S, a dataset of S x ``--base`` images (default 10,000; COCO-2017
train is 118,287) is generated once into the work directory (default under /dev/shm), with
COCO-train's shape: image sizes and boxes per image (7.27 on average, ~1% of images empty)
from ``generate_coco.py``'s planners, 80 classes, a fixed seed.

* YOLO: Ultralytics layout, ``data.yaml``, ``labels/train/<id>.txt`` and, for each image, a
  33-byte PNG header (signature and IHDR: what ``imagesize`` reads) in ``images/train/``, so
  every item's size comes from its image header, as with real images.
* VOC: ``Annotations/<id>.xml`` (filename, size, one ``<object>`` per box) and
  ``ImageSets/Main/train.txt`` listing every id.

Each run is a fresh interpreter iterating ``annoformat.iter_items`` over the dataset (with
``--whole``, also ``annoformat.load`` for contrast); printed: items, boxes, seconds, items/s and
the child's peak RSS (``ru_maxrss`` from ``os.wait4``), medians over ``--repeat`` runs, and the
peak at each scale as a ratio to the 1x peak. Flat: within +-20% from 1x to 4x.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import struct
import subprocess
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate_coco import make_images, plan_counts  # noqa: E402 - the benchmarks' generator

BOXES_PER_IMAGE = 860_001 / 118_287
SEED = 17
CLASSES = [f"class-{k:02d}" for k in range(80)]
MIB = 2**20
FLAT = 0.20

CHILD = """
import json, sys, time
import annoformat as af
fmt, path, how = sys.argv[1:4]
start = time.perf_counter()
if how == "stream":
    items = boxes = 0
    for item in af.iter_items(path, fmt):
        items += 1
        boxes += len(item.annotations)
else:
    ds = af.load(path, fmt)
    items, boxes = len(ds.items), sum(len(i.annotations) for i in ds.items)
print(json.dumps({"items": items, "boxes": boxes, "seconds": time.perf_counter() - start}))
"""


def png_header(width: int, height: int) -> bytes:
    """A PNG signature and IHDR chunk: all an image-size reader looks at."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
            + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)))


def _images(n: int) -> list[tuple[str, int, int, list[tuple[int, int, int, int, int]]]]:
    """(stem, width, height, boxes as class, x, y, w, h in whole pixels) of ``n`` images."""
    rng = random.Random(SEED)
    images = make_images(rng, n)
    counts = plan_counts(rng, n, round(n * BOXES_PER_IMAGE))
    out = []
    for image, count in zip(images, counts, strict=True):
        w, h = image["width"], image["height"]
        boxes = []
        for _ in range(count):
            bw, bh = 1 + int(rng.random() * (w - 1)), 1 + int(rng.random() * (h - 1))
            x, y = int(rng.random() * (w - bw)), int(rng.random() * (h - bh))
            boxes.append((int(rng.random() * len(CLASSES)), x, y, bw, bh))
        out.append((f"{image['id']:012d}", w, h, boxes))
    return out


def write_yolo(root: Path, images: list[tuple[str, int, int, list[tuple[int, ...]]]]) -> None:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    names = "".join(f"  {k}: {name}\n" for k, name in enumerate(CLASSES))
    (root / "data.yaml").write_text(f"path: .\ntrain: images/train\nval: images/train\n"
                                    f"names:\n{names}")
    for stem, w, h, boxes in images:
        (root / "images" / "train" / f"{stem}.png").write_bytes(png_header(w, h))
        rows = "".join(f"{c} {(x + bw / 2) / w:.6f} {(y + bh / 2) / h:.6f} {bw / w:.6f} "
                       f"{bh / h:.6f}\n" for c, x, y, bw, bh in boxes)
        (root / "labels" / "train" / f"{stem}.txt").write_text(rows)


def write_voc(root: Path, images: list[tuple[str, int, int, list[tuple[int, ...]]]]) -> None:
    (root / "Annotations").mkdir(parents=True)
    (root / "ImageSets" / "Main").mkdir(parents=True)
    for stem, w, h, boxes in images:
        objects = "".join(
            f"<object><name>{CLASSES[c]}</name><pose>Unspecified</pose><truncated>0</truncated>"
            f"<difficult>0</difficult><bndbox><xmin>{x + 1}</xmin><ymin>{y + 1}</ymin>"
            f"<xmax>{x + bw}</xmax><ymax>{y + bh}</ymax></bndbox></object>"
            for c, x, y, bw, bh in boxes)
        (root / "Annotations" / f"{stem}.xml").write_text(
            f"<annotation><folder>JPEGImages</folder><filename>{stem}.jpg</filename>"
            f"<size><width>{w}</width><height>{h}</height><depth>3</depth></size>"
            f"<segmented>0</segmented>{objects}</annotation>\n")
    (root / "ImageSets" / "Main" / "train.txt").write_text(
        "".join(stem + "\n" for stem, _, _, _ in images))


def dataset(workdir: Path, fmt: str, n: int) -> Path:
    """The generated dataset (kept between runs: a ``complete`` marker says it is whole)."""
    root = workdir / f"{fmt}-{n}-{SEED}"
    if not (root / "complete").exists():
        if root.exists():
            subprocess.run(["rm", "-rf", str(root)], check=True)
        (write_yolo if fmt == "yolo" else write_voc)(root, _images(n))
        (root / "complete").write_text("")
    return root


def run(fmt: str, root: Path, how: str) -> tuple[dict[str, float], int]:
    """One fresh interpreter's figures and its peak RSS in bytes."""
    import json

    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, fmt, str(root), how], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{fmt} {how} failed: {err.decode(errors='replace')[-2000:]}")
    return json.loads(out), usage.ru_maxrss * 1024


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--formats", default="yolo,voc")
    parser.add_argument("--whole", action="store_true", help="also annoformat.load")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workdir", type=Path,
                        default=Path("/dev/shm") / f"annoformat-bench-stream-files-{os.getuid()}")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    scales = [int(s) for s in args.scales.split(",")]
    hows = ["stream", "load"] if args.whole else ["stream"]
    print(f"base {args.base:,} images; scales {scales}; repeat {args.repeat}; medians")
    print(f"{'format':6} {'how':6} {'scale':>5} {'items':>9} {'boxes':>10} {'seconds':>8} "
          f"{'items/s':>9} {'peak MiB':>9} {'x 1x':>6}")
    verdicts = []
    for fmt in args.formats.split(","):
        for how in hows:
            first = None
            peaks = []
            for scale in scales:
                root = dataset(args.workdir, fmt, args.base * scale)
                runs = [run(fmt, root, how) for _ in range(args.repeat)]
                seconds = statistics.median(r[0]["seconds"] for r in runs)
                peak = statistics.median(r[1] for r in runs)
                figures = runs[0][0]
                first = first or peak
                peaks.append(peak)
                print(f"{fmt:6} {how:6} {scale:>4}x {figures['items']:>9,} "
                      f"{figures['boxes']:>10,} {seconds:>8.2f} "
                      f"{figures['items'] / seconds:>9,.0f} {peak / MIB:>9.1f} "
                      f"{peak / first:>6.2f}", flush=True)
            if how == "stream":
                spread = max(peaks) / peaks[0] - 1
                verdicts.append(f"{fmt}: streaming peak at {scales[-1]}x = "
                                f"{peaks[-1] / peaks[0]:.2f} x the {scales[0]}x peak "
                                f"({'flat' if abs(spread) <= FLAT else 'NOT flat'}, "
                                f"+-{FLAT:.0%})")
    print("\n".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
