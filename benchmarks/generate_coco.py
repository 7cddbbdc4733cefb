"""Deterministic generator of a synthetic, COCO-2017-train-sized instances file.

Usage: python benchmarks/generate_coco.py OUT.json [--images N] [--annotations M] [--seed S]

The defaults match COCO 2017 train (118,287 images, 860,001 annotations, 80 categories with
ids 1..90). Only the stdlib ``random`` module drives the content and orjson writes it, so the
same arguments give a byte-identical file. The file is streamed in chunks and written to
``OUT.part`` first, then renamed, so an interrupted run never leaves a truncated ``OUT``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from operator import mul
from pathlib import Path
from typing import Any, BinaryIO

import orjson

DEFAULT_IMAGES = 118_287
DEFAULT_ANNOTATIONS = 860_001
DEFAULT_SEED = 2017
CHUNK = 20_000
EMPTY_IMAGE_FRACTION = 0.01
CROWD_FRACTION = 0.01
MULTI_POLYGON_MIN_PX = 24.0
PHASES = 32
JITTER_POOL = 1 << 16
MAX_CROWD_COLUMNS = 200

Json = dict[str, Any]

# fmt: off
# (id, name, supercategory) exactly as in COCO 2017: 80 categories, ids 1..90 with gaps.
CATEGORIES: tuple[tuple[int, str, str], ...] = (
    (1, "person", "person"), (2, "bicycle", "vehicle"), (3, "car", "vehicle"),
    (4, "motorcycle", "vehicle"), (5, "airplane", "vehicle"), (6, "bus", "vehicle"),
    (7, "train", "vehicle"), (8, "truck", "vehicle"), (9, "boat", "vehicle"),
    (10, "traffic light", "outdoor"), (11, "fire hydrant", "outdoor"),
    (13, "stop sign", "outdoor"), (14, "parking meter", "outdoor"), (15, "bench", "outdoor"),
    (16, "bird", "animal"), (17, "cat", "animal"), (18, "dog", "animal"),
    (19, "horse", "animal"), (20, "sheep", "animal"), (21, "cow", "animal"),
    (22, "elephant", "animal"), (23, "bear", "animal"), (24, "zebra", "animal"),
    (25, "giraffe", "animal"), (27, "backpack", "accessory"), (28, "umbrella", "accessory"),
    (31, "handbag", "accessory"), (32, "tie", "accessory"), (33, "suitcase", "accessory"),
    (34, "frisbee", "sports"), (35, "skis", "sports"), (36, "snowboard", "sports"),
    (37, "sports ball", "sports"), (38, "kite", "sports"), (39, "baseball bat", "sports"),
    (40, "baseball glove", "sports"), (41, "skateboard", "sports"), (42, "surfboard", "sports"),
    (43, "tennis racket", "sports"), (44, "bottle", "kitchen"), (46, "wine glass", "kitchen"),
    (47, "cup", "kitchen"), (48, "fork", "kitchen"), (49, "knife", "kitchen"),
    (50, "spoon", "kitchen"), (51, "bowl", "kitchen"), (52, "banana", "food"),
    (53, "apple", "food"), (54, "sandwich", "food"), (55, "orange", "food"),
    (56, "broccoli", "food"), (57, "carrot", "food"), (58, "hot dog", "food"),
    (59, "pizza", "food"), (60, "donut", "food"), (61, "cake", "food"),
    (62, "chair", "furniture"), (63, "couch", "furniture"), (64, "potted plant", "furniture"),
    (65, "bed", "furniture"), (67, "dining table", "furniture"), (70, "toilet", "furniture"),
    (72, "tv", "electronic"), (73, "laptop", "electronic"), (74, "mouse", "electronic"),
    (75, "remote", "electronic"), (76, "keyboard", "electronic"),
    (77, "cell phone", "electronic"), (78, "microwave", "appliance"),
    (79, "oven", "appliance"), (80, "toaster", "appliance"), (81, "sink", "appliance"),
    (82, "refrigerator", "appliance"), (84, "book", "indoor"), (85, "clock", "indoor"),
    (86, "vase", "indoor"), (87, "scissors", "indoor"), (88, "teddy bear", "indoor"),
    (89, "hair drier", "indoor"), (90, "toothbrush", "indoor"),
)

LICENSES: tuple[tuple[int, str, str], ...] = (
    (1, "Attribution-NonCommercial-ShareAlike License",
     "http://creativecommons.org/licenses/by-nc-sa/2.0/"),
    (2, "Attribution-NonCommercial License", "http://creativecommons.org/licenses/by-nc/2.0/"),
    (3, "Attribution-NonCommercial-NoDerivs License",
     "http://creativecommons.org/licenses/by-nc-nd/2.0/"),
    (4, "Attribution License", "http://creativecommons.org/licenses/by/2.0/"),
    (5, "Attribution-ShareAlike License", "http://creativecommons.org/licenses/by-sa/2.0/"),
    (6, "Attribution-NoDerivs License", "http://creativecommons.org/licenses/by-nd/2.0/"),
    (7, "No known copyright restrictions", "http://flickr.com/commons/usage/"),
    (8, "United States Government Work", "http://www.usa.gov/copyright.shtml"),
)

# Common COCO image sizes (width, height) and their relative frequency; the rest is random.
IMAGE_SIZES: tuple[tuple[int, int], ...] = (
    (640, 480), (480, 640), (640, 427), (427, 640), (640, 426), (640, 428), (640, 424),
    (500, 375), (375, 500), (640, 360), (612, 612), (640, 640), (640, 512),
)
IMAGE_SIZE_WEIGHTS: tuple[float, ...] = (30, 8, 14, 5, 5, 4, 3, 3, 2, 3, 2, 2, 2)
RANDOM_SIZE_WEIGHT = 17.0
# fmt: on

DATE_ORIGIN = dt.datetime(2013, 11, 10, 0, 0, 0)
DATE_SPAN_SECONDS = 40 * 24 * 3600


@dataclass(frozen=True)
class ImageSpec:
    """What the annotation generator needs to know about one image."""

    image_id: int
    width: int
    height: int


@dataclass(frozen=True)
class Tables:
    """Precomputed unit-circle tables and radius jitter, so the hot loop stays cheap."""

    rings: dict[int, list[tuple[list[float], list[float]]]]
    jitter: list[float]


@dataclass(frozen=True)
class Box:
    """An axis-aligned region in hundredths of a pixel: x, y, width, height."""

    x: float
    y: float
    w: float
    h: float


# --------------------------------------------------------------------------- header blocks


def make_info(n_images: int, n_annotations: int, seed: int) -> Json:
    return {
        "description": "Synthetic COCO-2017-train-sized dataset (annoformat benchmark)",
        "url": "http://cocodataset.org",
        "version": "1.0",
        "year": 2017,
        "contributor": f"annoformat generate_coco.py (images={n_images}, "
        f"annotations={n_annotations}, seed={seed})",
        "date_created": "2017/09/01",
    }


def make_licenses() -> list[Json]:
    return [{"url": url, "id": lid, "name": name} for lid, name, url in LICENSES]


def make_categories() -> list[Json]:
    return [{"supercategory": sup, "id": cid, "name": name} for cid, name, sup in CATEGORIES]


# --------------------------------------------------------------------------- images


def pick_size(rng: random.Random, cum_weights: list[float]) -> tuple[int, int]:
    choice = rng.choices(range(len(cum_weights)), cum_weights=cum_weights)[0]
    if choice < len(IMAGE_SIZES):
        return IMAGE_SIZES[choice]
    short = 240 + int(rng.random() * 400)
    return (640, short) if rng.random() < 0.75 else (short, 640)


def make_date(rng: random.Random) -> str:
    moment = DATE_ORIGIN + dt.timedelta(seconds=int(rng.random() * DATE_SPAN_SECONDS))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def make_flickr_url(rng: random.Random) -> str:
    farm = 1 + int(rng.random() * 9)
    server = 1000 + int(rng.random() * 8000)
    photo = 1_000_000_000 + int(rng.random() * 8_999_999_999)
    return f"http://farm{farm}.staticflickr.com/{server}/{photo}_{rng.getrandbits(40):010x}_z.jpg"


def make_image(rng: random.Random, image_id: int, cum_weights: list[float]) -> Json:
    width, height = pick_size(rng, cum_weights)
    file_name = f"{image_id:012d}.jpg"
    return {
        "license": 1 + int(rng.random() * len(LICENSES)),
        "file_name": file_name,
        "coco_url": f"http://images.cocodataset.org/train2017/{file_name}",
        "height": height,
        "width": width,
        "date_captured": make_date(rng),
        "flickr_url": make_flickr_url(rng),
        "id": image_id,
    }


def make_images(rng: random.Random, n_images: int) -> list[Json]:
    """Images with scattered, unique ids (like COCO's), in no particular id order."""
    id_space = max(600_000, 5 * n_images)
    ids = rng.sample(range(1, id_space), n_images)
    cum_weights = list(accumulate((*IMAGE_SIZE_WEIGHTS, RANDOM_SIZE_WEIGHT)))
    return [make_image(rng, image_id, cum_weights) for image_id in ids]


# --------------------------------------------------------------------------- planning


def plan_counts(rng: random.Random, n_images: int, n_annotations: int) -> list[int]:
    """Annotations per image: ~1% of images get none, the rest a skewed share (>= 1 each)."""
    counts = [0] * n_images
    n_empty = round(n_images * EMPTY_IMAGE_FRACTION)
    nonempty = sorted(rng.sample(range(n_images), n_images - n_empty))[:n_annotations]
    for index in nonempty:
        counts[index] = 1
    rest = n_annotations - len(nonempty)
    if rest and nonempty:
        cum = list(accumulate(0.05 + rng.random() ** 2 for _ in nonempty))
        for index in rng.choices(nonempty, cum_weights=cum, k=rest):
            counts[index] += 1
    return counts


def plan_categories(rng: random.Random, n_annotations: int) -> list[int]:
    """Category id per annotation; 'person' dominates, as in COCO."""
    ids = [cid for cid, _, _ in CATEGORIES]
    weights = [30.0] + [0.3 + 3.0 * rng.random() for _ in ids[1:]]
    return rng.choices(ids, weights=weights, k=n_annotations)


def make_tables(rng: random.Random) -> Tables:
    rings: dict[int, list[tuple[list[float], list[float]]]] = {}
    for n in range(3, 61):
        phases = []
        for p in range(PHASES):
            angles = [2 * math.pi * (k + p / PHASES) / n for k in range(n)]
            phases.append(([math.cos(a) for a in angles], [math.sin(a) for a in angles]))
        rings[n] = phases
    jitter = [0.55 + 0.45 * rng.random() for _ in range(JITTER_POOL)]
    return Tables(rings=rings, jitter=jitter)


# --------------------------------------------------------------------------- polygons


def ring(rng: random.Random, tables: Tables, n: int, box: Box) -> tuple[list[int], list[int]]:
    """A simple star-shaped ring of n points inscribed in box, in integer hundredths."""
    cos_t, sin_t = tables.rings[n][int(rng.random() * PHASES)]
    offset = int(rng.random() * (JITTER_POOL - n))
    jit = tables.jitter[offset : offset + n]
    rx, ry = box.w / 2, box.h / 2
    cx, cy = box.x + rx + 0.5, box.y + ry + 0.5
    xs = [int(cx + rx * c * j) for c, j in zip(cos_t, jit, strict=True)]
    ys = [int(cy + ry * s * j) for s, j in zip(sin_t, jit, strict=True)]
    return xs, ys


def twice_area(xs: list[int], ys: list[int]) -> int:
    """Shoelace formula (twice the area), exact in integers."""
    xs1 = xs[1:] + xs[:1]
    ys1 = ys[1:] + ys[:1]
    total: int = sum(map(mul, xs, ys1)) - sum(map(mul, xs1, ys))
    return abs(total)


def object_box(rng: random.Random, width: int, height: int) -> Box:
    """Where the object sits, in hundredths; it never touches the right/bottom edge."""
    max_w, max_h = width * 100 - 1, height * 100 - 1
    size = 0.02 + 0.85 * rng.random() ** 2.2
    aspect = math.exp(1.4 * rng.random() - 0.7)
    w = min(max(max_w * size * aspect, 400.0), max_w)
    h = min(max(max_h * size / aspect, 400.0), max_h)
    return Box(rng.random() * (max_w - w), rng.random() * (max_h - h), w, h)


def split_box(box: Box, parts: int) -> list[Box]:
    """Split along the longer side into parts, leaving a small gap between them."""
    if parts == 1:
        return [box]
    if box.w >= box.h:
        step = box.w / parts
        return [Box(box.x + i * step, box.y, step * 0.9, box.h) for i in range(parts)]
    step = box.h / parts
    return [Box(box.x, box.y + i * step, box.w, step * 0.9) for i in range(parts)]


def polygon_count(rng: random.Random, box: Box) -> int:
    if min(box.w, box.h) < MULTI_POLYGON_MIN_PX * 100:
        return 1
    r = rng.random()
    return 1 if r < 0.82 else 2 if r < 0.96 else 3


def point_count(rng: random.Random) -> int:
    """Total points of one annotation: 20..60, skewed towards the low end (mean ~29)."""
    return 20 + int(41 * rng.random() ** 3.5)


def polygon_annotation(
    rng: random.Random, tables: Tables, image: ImageSpec
) -> tuple[list[list[float]], list[float], float]:
    box = object_box(rng, image.width, image.height)
    parts = split_box(box, polygon_count(rng, box))
    total = point_count(rng)
    segmentation: list[list[float]] = []
    all_x: list[int] = []
    all_y: list[int] = []
    area2 = 0
    for i, part in enumerate(parts):
        n = total // len(parts) + (total % len(parts) if i == 0 else 0)
        xs, ys = ring(rng, tables, n, part)
        area2 += twice_area(xs, ys)
        flat = [0] * (2 * n)
        flat[0::2] = xs
        flat[1::2] = ys
        segmentation.append([v / 100 for v in flat])
        all_x += xs
        all_y += ys
    x0, y0 = min(all_x), min(all_y)
    bbox = [x0 / 100, y0 / 100, (max(all_x) - x0) / 100, (max(all_y) - y0) / 100]
    return segmentation, bbox, area2 / 20000


# --------------------------------------------------------------------------- crowd (RLE)


def walk(rng: random.Random, top: int, bottom: int, height: int) -> tuple[int, int]:
    top = min(max(top + int(rng.random() * 7) - 3, 0), height - 1)
    bottom = min(max(bottom + int(rng.random() * 7) - 3, top + 1), height)
    return top, bottom


def crowd_annotation(rng: random.Random, image: ImageSpec) -> tuple[Json, list[float], float]:
    """Uncompressed column-major RLE of a blob; counts sum to height * width."""
    w, h = image.width, image.height
    columns = 2 + int(rng.random() * (min(w, MAX_CROWD_COLUMNS) - 1))
    x0 = int(rng.random() * (w - columns + 1))
    top = int(rng.random() * h * 0.5)
    bottom = top + 1 + int(rng.random() * (h - top - 1))
    counts: list[int] = []
    background = x0 * h
    area = 0
    y_min, y_max = h, 0
    for _ in range(columns):
        counts += (background + top, bottom - top)
        area += bottom - top
        y_min, y_max = min(y_min, top), max(y_max, bottom)
        background = h - bottom
        top, bottom = walk(rng, top, bottom, h)
    counts.append(background + (w - x0 - columns) * h)
    bbox = [float(x0), float(y_min), float(columns), float(y_max - y_min)]
    return {"counts": counts, "size": [h, w]}, bbox, float(area)


# --------------------------------------------------------------------------- annotations


def make_annotation(
    rng: random.Random, tables: Tables, image: ImageSpec, category_id: int, ann_id: int
) -> Json:
    crowd = rng.random() < CROWD_FRACTION
    if crowd:
        segmentation: Any
        segmentation, bbox, area = crowd_annotation(rng, image)
    else:
        segmentation, bbox, area = polygon_annotation(rng, tables, image)
    return {
        "segmentation": segmentation,
        "area": area,
        "iscrowd": int(crowd),
        "image_id": image.image_id,
        "bbox": bbox,
        "category_id": category_id,
        "id": ann_id,
    }


def iter_annotations(
    rng: random.Random, images: list[ImageSpec], counts: list[int], categories: list[int]
) -> Iterator[Json]:
    tables = make_tables(rng)
    ann_id = 0
    for image, count in zip(images, counts, strict=True):
        for _ in range(count):
            yield make_annotation(rng, tables, image, categories[ann_id], ann_id + 1)
            ann_id += 1


# --------------------------------------------------------------------------- writing


def chunked(items: Iterable[Json], size: int) -> Iterator[list[Json]]:
    chunk: list[Json] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_array(out: BinaryIO, items: Iterable[Json]) -> None:
    """Write a JSON array chunk by chunk; bytes equal orjson.dumps(list(items))."""
    out.write(b"[")
    first = True
    for chunk in chunked(items, CHUNK):
        if not first:
            out.write(b",")
        out.write(orjson.dumps(chunk)[1:-1])
        first = False
    out.write(b"]")


def write_dataset(out: BinaryIO, n_images: int, n_annotations: int, seed: int) -> None:
    """Stream {"info", "licenses", "images", "annotations", "categories"} in COCO key order."""
    rng = random.Random(seed)
    images = make_images(rng, n_images)
    specs = [ImageSpec(im["id"], im["width"], im["height"]) for im in images]
    counts = plan_counts(rng, n_images, n_annotations)
    categories = plan_categories(rng, n_annotations)
    out.write(b'{"info":' + orjson.dumps(make_info(n_images, n_annotations, seed)))
    out.write(b',"licenses":' + orjson.dumps(make_licenses()))
    out.write(b',"images":')
    write_array(out, images)
    out.write(b',"annotations":')
    write_array(out, iter_annotations(rng, specs, counts, categories))
    out.write(b',"categories":' + orjson.dumps(make_categories()) + b"}")


def generate(path: Path, n_images: int, n_annotations: int, seed: int) -> None:
    if n_images < 1 or n_annotations < 0:
        raise ValueError("need --images >= 1 and --annotations >= 0")
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as out:
        write_dataset(out, n_images, n_annotations, seed)
    partial.replace(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="output .json path")
    parser.add_argument("--images", type=int, default=DEFAULT_IMAGES)
    parser.add_argument("--annotations", type=int, default=DEFAULT_ANNOTATIONS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    generate(args.out, args.images, args.annotations, args.seed)
    elapsed = time.perf_counter() - start
    size_mib = args.out.stat().st_size / 2**20
    print(
        f"wrote {args.out}: {args.images:,} images, {args.annotations:,} annotations, "
        f"{size_mib:.1f} MiB in {elapsed:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
