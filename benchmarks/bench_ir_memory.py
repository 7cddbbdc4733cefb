"""What the IR costs in memory per object, as the COCO and YOLO readers build it.

Usage: python benchmarks/bench_ir_memory.py [--fast] [--baseline FILE] [--update] [--json OUT]

Each figure is the memory a loaded ``Dataset`` holds (``tracemalloc``: the bytes allocated
during ``annoformat.load`` and still alive while the dataset is, after a warm-up load that
pays the one-time costs: imports, compiled schemas, caches), taken as a difference of two
inputs that differ only in the thing measured, divided by how many of it were added:

* ``<fmt>.item``: an image with no annotation (its id, media path and size, the Item);
* ``<fmt>.box``: one box annotation (COCO ``bbox`` with ``area`` and ``iscrowd``; a YOLO row);
* ``<fmt>.polygon``: one polygon annotation of 4 points, the points included;
* ``<fmt>.polygon_point``: one more point (x, y) in a polygon (polygons of 4 and 16 points).

The inputs are generated here (fixed sizes, names and values), so the figures depend only on
the Python version and on annoformat and its dependencies: tracemalloc counts allocations, not
pages, so two runs give the same bytes. The exit status is 1 when a figure exceeds its
baseline (``ir_memory_baseline.json`` beside this script) by more than 20% (``--tolerance``),
2 when the baseline lacks a figure; ``--update`` rewrites the baseline's figures of this mode
(``full`` or ``fast``: the baseline holds both).
``--fast`` uses 200 images / 2,000 objects per input (the figures agree with the full sizes to
a few bytes) and takes a few seconds. Two runs agree to within 0.1 byte per object, not to
the byte (a few hundred bytes of the whole load vary from run to run), far inside the 20%.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # this working tree's annoformat

import orjson  # noqa: E402

import annoformat  # noqa: E402

BASELINE = HERE / "ir_memory_baseline.json"
TOLERANCE = 0.20
FULL = (2_000, 20_000)
FAST = (200, 2_000)
WIDTH, HEIGHT = 640, 480


def _coco(images: int, objects: int, points: int | None) -> dict[str, Any]:
    """A COCO document: ``objects`` boxes (``points`` None) or polygons of ``points`` points,
    spread evenly over the images; coordinates with two decimals, as COCO-2017's."""
    doc_images = [{"id": i, "file_name": f"{i:012d}.jpg", "width": WIDTH, "height": HEIGHT}
                  for i in range(1, images + 1)]
    anns = []
    for k in range(objects):
        x, y = 10 + (k % 97) * 3.25, 20 + (k % 89) * 2.75
        w, h = 40.5 + k % 13, 30.25 + k % 11
        ann: dict[str, Any] = {"id": k + 1, "image_id": k % images + 1, "category_id": k % 3 + 1,
                               "bbox": [x, y, w, h], "area": round(w * h, 2), "iscrowd": 0}
        if points is not None:
            # points on the box's border, as many as asked
            ring: list[float] = []
            for p in range(points):
                t = p / points
                ring += ([round(x + w * 4 * t, 2), y] if t < 0.25 else
                         [x + w, round(y + h * (4 * t - 1), 2)] if t < 0.5 else
                         [round(x + w * (3 - 4 * t), 2), y + h] if t < 0.75 else
                         [x, round(y + h * (4 - 4 * t), 2)])
            ann["segmentation"] = [ring]
        anns.append(ann)
    cats = [{"id": c, "name": name, "supercategory": "thing"}
            for c, name in enumerate(("person", "car", "dog"), start=1)]
    return {"images": doc_images, "annotations": anns, "categories": cats}


def _retained(path: Path, **options: Any) -> int:
    """Bytes a loaded dataset holds (allocated by the load, alive while the dataset is)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        ds = annoformat.load(path, **options)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del ds
    return held


def _inputs(work: Path, images: int, objects: int) -> dict[str, tuple[Path, dict[str, Any]]]:
    """COCO files and their YOLO conversions: items only, boxes, 4- and 16-point polygons."""
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    shapes = {"items": (0, None), "boxes": (objects, None), "poly4": (objects, 4),
              "poly16": (objects, 16)}
    for name, (count, points) in shapes.items():
        coco = work / f"{name}.json"
        coco.write_bytes(orjson.dumps(_coco(images, count, points)))
        out[f"coco.{name}"] = (coco, {})
        yolo = work / f"yolo-{name}"
        task = "detect" if points is None else "segment"
        result = annoformat.convert(coco, yolo, to="yolo", allow_loss=True,
                                    options={"task": task})
        if not result.written:
            raise RuntimeError(f"YOLO input {name} not written: "
                               f"{[d.message for d in result.report.errors][:3]}")
        out[f"yolo.{name}"] = (yolo, {"image_sizes": str(yolo / "annoformat_sizes.json")})
    return out


def measure(images: int, objects: int) -> dict[str, float]:
    """Bytes per item, box, 4-point polygon and polygon point, for COCO and YOLO reads."""
    with tempfile.TemporaryDirectory(prefix="af-ir-memory-") as tmp:
        inputs = _inputs(Path(tmp), images, objects)
        held: dict[str, int] = {}
        for key, (path, options) in inputs.items():
            annoformat.load(path, **options)  # warm-up: imports, schemas, caches
            held[key] = _retained(path, **options)
    figures: dict[str, float] = {}
    for fmt in ("coco", "yolo"):
        items = held[f"{fmt}.items"]
        figures[f"{fmt}.item"] = round(items / images, 1)
        figures[f"{fmt}.box"] = round((held[f"{fmt}.boxes"] - items) / objects, 1)
        figures[f"{fmt}.polygon"] = round((held[f"{fmt}.poly4"] - items) / objects, 1)
        figures[f"{fmt}.polygon_point"] = round(
            (held[f"{fmt}.poly16"] - held[f"{fmt}.poly4"]) / (objects * 12), 1)
    return figures


def check(figures: dict[str, float], baseline: dict[str, float], tolerance: float) -> int:
    """Print each figure beside its baseline; 1 if one grew more than ``tolerance``."""
    status = 0
    print(f"{'figure':22} {'bytes':>9} {'baseline':>9} {'change':>8}")
    for key, value in figures.items():
        base = baseline.get(key)
        if base is None:
            print(f"{key:22} {value:9.1f} {'-':>9} {'':>8}  no baseline")
            status = max(status, 2)
            continue
        change = value / base - 1 if base else 0.0
        flag = ""
        if change > tolerance:
            flag = f"  GREW more than {tolerance:.0%}"
            status = max(status, 1)
        print(f"{key:22} {value:9.1f} {base:9.1f} {change:+8.1%}{flag}")
    return status


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help=f"{FAST[0]} images, {FAST[1]} "
                        "objects per input")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--update", action="store_true", help="write this run as the baseline")
    parser.add_argument("--json", type=Path, help="also write this run's figures here")
    args = parser.parse_args(argv)
    mode = "fast" if args.fast else "full"
    images, objects = FAST if args.fast else FULL
    start = time.perf_counter()
    figures = measure(images, objects)
    took = time.perf_counter() - start
    python = platform.python_version()
    print(f"{mode}: {images} images, {objects} objects per input; Python {python}; "
          f"{took:.1f} s")
    if args.json:
        args.json.write_text(json.dumps({"python": python, mode: figures}, indent=2) + "\n")
    stored = json.loads(args.baseline.read_text()) if args.baseline.exists() else {}
    if args.update:  # this mode's figures; the other mode's stay
        stored.update({"python": python, mode: figures})
        args.baseline.write_text(json.dumps(stored, indent=2) + "\n")
        print(f"baseline written: {args.baseline} ({mode})")
        return 0
    if stored.get("python", "").rsplit(".", 1)[0] != python.rsplit(".", 1)[0]:
        print(f"note: the baseline was measured on Python {stored.get('python')}: object "
              "sizes differ between Python versions")
    return check(figures, stored.get(mode, {}), args.tolerance)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
