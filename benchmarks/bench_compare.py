"""`annoformat compare` (and stats, agree, merge) at COCO-2017-val size beside `annoformat
validate` on the same file.

Usage: python benchmarks/bench_compare.py [--images N --annotations M] [--repeat R]
                                          [--workdir DIR] [--train]

The reference comes from generate_coco.py (default 5,000 images, 36,781 annotations: COCO 2017
val); the candidate is a perturbed copy (2% of objects dropped, 2% shifted, 1% relabelled, 1%
added; fixed seed). Each run is a fresh `annoformat` process (start-up included), runs are
interleaved and the medians printed with peak RSS (ru_maxrss from os.wait4):

- validate REF: the time baseline; compare REF CAND --output json: target < 2x validate
  (compare uses every usable core; ``compare --jobs 1`` is the same in one process);
- load REF + load CAND (af.load twice in one process): what compare cannot avoid, since it
  works on both datasets' IR; it alone takes more than 2x validate, so the time is also given
  as a ratio to it (proposed target <= 2x);
- with --quality: stats REF, stats REF --against CAND, agree REF CAND and merge REF CAND
  --quorum 2 --to coco (the other quality commands), each as a ratio to validate and to
  loading what it reads;
- with --train (118,287 / 860,001, minutes and GBs: not for CI): compare's peak RSS target is
  <= 1.5x loading both.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VAL_SIZE = (5_000, 36_781)
TRAIN_SIZE = (118_287, 860_001)
SEED = 2017
MIB = 2**20


def workdir(given: str | None) -> Path:
    base = Path(given) if given else Path("/dev/shm" if Path("/dev/shm").is_dir()
                                          else tempfile.gettempdir())
    out = base / f"annoformat-bench-compare-{os.getuid()}"
    out.mkdir(parents=True, exist_ok=True)
    return out


def generate(path: Path, images: int, annotations: int) -> None:
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "generate_coco.py"), str(path), "--images",
                        str(images), "--annotations", str(annotations), "--seed", str(SEED)],
                       check=True)


def perturb(src: Path, dst: Path, seed: int = 15) -> dict[str, int]:
    """The candidate: a copy with known edits; returns how many of each."""
    if dst.exists():
        return {}
    doc: dict[str, Any] = orjson.loads(src.read_bytes())
    rng = random.Random(seed)
    anns = doc["annotations"]
    cats = [c["id"] for c in doc["categories"]]
    widths = {im["id"]: im["width"] for im in doc["images"]}
    counts = {"dropped": 0, "shifted": 0, "relabelled": 0, "added": 0}
    kept = []
    next_id = max(a["id"] for a in anns) + 1
    for a in anns:
        roll = rng.random()
        if roll < 0.02:
            counts["dropped"] += 1
            continue
        if roll < 0.04:  # a quarter of the box's width sideways, polygon alike, staying inside
            dx = a["bbox"][2] / 4
            if a["bbox"][0] + a["bbox"][2] + dx > widths[a["image_id"]]:
                dx = -dx
            if a["bbox"][0] + dx < 0:  # wide as the image: left as it is
                kept.append(a)
                continue
            a["bbox"][0] += dx
            if isinstance(a["segmentation"], list):
                a["segmentation"] = [[v + dx if k % 2 == 0 else v for k, v in enumerate(ring)]
                                     for ring in a["segmentation"]]
            counts["shifted"] += 1
        elif roll < 0.05:
            a["category_id"] = rng.choice([c for c in cats if c != a["category_id"]])
            counts["relabelled"] += 1
        elif roll < 0.06:
            extra = dict(a, id=next_id, bbox=[1.0, 1.0, 8.0, 8.0], area=64.0, iscrowd=0,
                         segmentation=[[1.0, 1.0, 9.0, 1.0, 9.0, 9.0, 1.0, 9.0]])
            next_id += 1
            kept.append(extra)
            counts["added"] += 1
        kept.append(a)
    doc["annotations"] = kept
    dst.write_bytes(orjson.dumps(doc))
    return counts


def run(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS bytes of one fresh process."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{args[:4]} failed: {err[-400:]}")
    return wall, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int)
    parser.add_argument("--annotations", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir")
    parser.add_argument("--quality", action="store_true",
                        help="also time stats, stats --against, agree and merge")
    parser.add_argument("--train", action="store_true",
                        help="COCO-2017-train size, and the memory of loading both datasets")
    opts = parser.parse_args()
    images, annotations = TRAIN_SIZE if opts.train else VAL_SIZE
    images, annotations = opts.images or images, opts.annotations or annotations
    where = workdir(opts.workdir)
    ref = where / f"ref-{images}-{annotations}.json"
    cand = where / f"cand-{images}-{annotations}.json"
    generate(ref, images, annotations)
    edits = perturb(ref, cand)
    if edits:
        print("candidate edits:", edits)
    cli = [sys.executable, "-m", "annoformat"]
    ops = {
        "validate REF": [*cli, "validate", str(ref)],
        "compare REF CAND": [*cli, "compare", str(ref), str(cand), "--output", "json"],
        "compare --jobs 1": [*cli, "compare", str(ref), str(cand), "--output", "json",
                             "--jobs", "1"],
        "load REF + load CAND": [sys.executable, "-c", "import sys, annoformat as af; "
                                 "a = af.load(sys.argv[1]); b = af.load(sys.argv[2])",
                                 str(ref), str(cand)],
    }
    if opts.quality:
        merged = where / "merged.json"
        ops |= {
            "load REF": [sys.executable, "-c", "import sys, annoformat as af; "
                         "a = af.load(sys.argv[1])", str(ref)],
            "stats REF": [*cli, "stats", str(ref), "--output", "json"],
            "stats REF --against CAND": [*cli, "stats", str(ref), "--against", str(cand),
                                         "--output", "json"],
            "agree REF CAND": [*cli, "agree", str(ref), str(cand), "--output", "json"],
            "merge REF CAND": [*cli, "merge", str(ref), str(cand), "--quorum", "2", "--to",
                               "coco", "-o", str(merged), "--overwrite"],
        }
    figures: dict[str, list[tuple[float, int]]] = {name: [] for name in ops}
    for _ in range(opts.repeat):  # round-robin: drift in machine load hits every row alike
        for name, args in ops.items():
            figures[name].append(run(args))
    print(f"{images} images, {annotations} annotations; medians of {opts.repeat} fresh "
          "processes")
    med = {name: (statistics.median(w for w, _ in runs), statistics.median(m for _, m in runs))
           for name, runs in figures.items()}
    for name, (wall, rss) in med.items():
        print(f"  {name:<26} {wall:8.2f} s  {rss / MIB:8.0f} MiB")
    ratio = med["compare REF CAND"][0] / med["validate REF"][0]
    print(f"compare / validate time: {ratio:.2f}x (target < 2x): "
          f"{'met' if ratio < 2 else 'NOT met'}")
    print(f"compare on every usable core ({os.cpu_count()} here) vs --jobs 1: "
          f"{med['compare --jobs 1'][0] / med['compare REF CAND'][0]:.2f}x faster")
    # compare must build both datasets' IR, which alone costs more than 2x validate
    floor = med["load REF + load CAND"][0]
    ratio = med["compare REF CAND"][0] / floor
    print(f"compare / loading both time: {ratio:.2f}x (proposed target <= 2x): "
          f"{'met' if ratio <= 2 else 'NOT met'}; loading both / validate: "
          f"{floor / med['validate REF'][0]:.2f}x")
    if opts.quality:
        print("other quality commands (x validate, x loading what they read):")
        bases = {"stats REF": "load REF"}
        for name in ("stats REF", "stats REF --against CAND", "agree REF CAND",
                     "merge REF CAND"):
            base = med[bases.get(name, "load REF + load CAND")][0]
            print(f"  {name:<26} {med[name][0] / med['validate REF'][0]:6.2f}x "
                  f"{med[name][0] / base:6.2f}x")
    if opts.train:
        mem = med["compare REF CAND"][1] / med["load REF + load CAND"][1]
        print(f"compare / loading both peak RSS: {mem:.2f}x (target <= 1.5x): "
              f"{'met' if mem <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
