"""COCO <-> Pascal VOC at COCO-2017-train scale: annoformat against a hand-written floor.

Usage: python benchmarks/bench_voc.py [--images N --annotations M | --coco FILE] [--repeat R]
                                      [--workdir DIR] [--diskdir DIR] [--json OUT] [--smoke]
                                      [--jobs 1,2] [--no-disk]

The floor is the least a converter can do: orjson and string formatting for COCO -> VOC, lxml
parsing plus orjson for VOC -> COCO, with the same coordinate convention and no checks.
annoformat runs ``annoformat.convert`` (``stream=False``: the whole path, as the floor, not left
to the free memory) with every check on (schema, XSD of every XML read or
written, semantics, loss planning, staged output). COCO -> VOC passes ``allow_loss=True``:
COCO segmentations become their enclosing boxes (reported as AF501/AF502). Each annoformat row
runs once per ``--jobs`` value (``jobs=N``: ``convert(..., jobs=N)``); the ``--jobs`` scaling
lines compare the first value's medians with each other's (wall and in-process).

Targets (#16): annoformat wall <= 1.5x the floor's with every check on; VOC -> COCO peak
memory <= 1.5x the floor's; ``--jobs 2`` >= 1.7x ``--jobs 1`` for VOC -> COCO.

Every run is a fresh interpreter (this script re-invoked with ``--child``): ``wall s`` is the
whole process (start-up and imports included), ``in-proc s`` the conversion alone, ``peak MiB``
the child's peak RSS from os.wait4(). Runs are interleaved round-robin; figures are medians.
Writes go to a RAM-backed folder (``--workdir``, default under /dev/shm) and to disk
(``--diskdir``), since creating 118k small files on disk is slow and noisy. Destinations are
removed before each run, outside the timing. The VOC input of VOC -> COCO is written once by
annoformat (COCO -> VOC) into the RAM folder.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FULL_SIZE = (118_287, 860_001)
SMOKE_SIZE = (2_000, 15_000)
SEED = 2017
TARGET = 1.5
MEMORY_TARGET = 1.5
SCALING_TARGET = 1.7
MIB = 2**20


# --------------------------------------------------------------------------- the floor


def _num(value: float) -> str:
    value = round(float(value), 10)
    return str(int(value)) if value.is_integer() else repr(value)


def floor_coco_to_voc(src: str, dst: str) -> int:
    """orjson + string formatting: one VOC XML per image, devkit convention."""
    import orjson

    with open(src, "rb") as fh:
        doc = orjson.loads(fh.read())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    by_image: dict[int, list[Any]] = {}
    for ann in doc["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    out = Path(dst) / "Annotations"
    out.mkdir(parents=True)
    obj = ("\t<object>\n\t\t<name>{}</name>\n\t\t<pose>Unspecified</pose>\n"
           "\t\t<truncated>0</truncated>\n\t\t<difficult>0</difficult>\n\t\t<bndbox>\n"
           "\t\t\t<xmin>{}</xmin>\n\t\t\t<ymin>{}</ymin>\n\t\t\t<xmax>{}</xmax>\n"
           "\t\t\t<ymax>{}</ymax>\n\t\t</bndbox>\n\t</object>")
    for image in doc["images"]:
        parts = [f"<annotation>\n\t<filename>{image['file_name']}</filename>\n\t<size>\n"
                 f"\t\t<width>{image['width']}</width>\n\t\t<height>{image['height']}</height>"
                 "\n\t</size>\n\t<segmented>0</segmented>"]
        for ann in by_image.get(image["id"], ()):
            x, y, w, h = ann["bbox"]
            parts.append(obj.format(names[ann["category_id"]], _num(x + 1), _num(y + 1),
                                    _num(x + w), _num(y + h)))
        parts.append("</annotation>\n")
        stem = image["file_name"].rsplit(".", 1)[0]
        with open(out / f"{stem}.xml", "wb") as fh:
            fh.write("\n".join(parts).encode())
    return len(doc["images"])


def floor_voc_to_coco(src: str, dst: str) -> int:
    """lxml + orjson: read every Annotations/*.xml, write one COCO file."""
    import orjson
    from lxml import etree

    folder = Path(src) / "Annotations"
    names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".xml"))
    cats: dict[str, int] = {}
    images, anns = [], []
    for image_id, name in enumerate(names, 1):
        with open(folder / name, "rb") as fh:
            root = etree.fromstring(fh.read())
        images.append({"id": image_id, "file_name": root.findtext("filename"),
                       "width": int(root.findtext("size/width")),
                       "height": int(root.findtext("size/height"))})
        for obj in root.iterfind("object"):
            box = obj.find("bndbox")
            xmin, ymin = float(box.findtext("xmin")), float(box.findtext("ymin"))
            xmax, ymax = float(box.findtext("xmax")), float(box.findtext("ymax"))
            w, h = xmax - xmin + 1, ymax - ymin + 1
            label = obj.findtext("name")
            cid = cats.setdefault(label, len(cats) + 1)
            anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": cid,
                         "bbox": [xmin - 1, ymin - 1, w, h], "area": w * h, "iscrowd": 0})
    doc = {"images": images, "annotations": anns,
           "categories": [{"id": i, "name": n} for n, i in cats.items()]}
    with open(dst, "wb") as fh:
        fh.write(orjson.dumps(doc))
    return len(anns)


def af_coco_to_voc(src: str, dst: str, jobs: int | None = None) -> int:
    import annoformat

    extra: dict[str, Any] = {} if jobs is None else {"jobs": jobs}  # (a 'before' has none)
    if "stream" in inspect.signature(annoformat.convert).parameters:
        extra["stream"] = False  # the whole path, as the floor: not left to free memory
    result = annoformat.convert(src, dst, to="voc", allow_loss=True, **extra)
    if not result.written:
        raise SystemExit(f"not written: {result.report.codes()[:10]}")
    return int(result.summary["items"])


def af_voc_to_coco(src: str, dst: str, jobs: int | None = None) -> int:
    import annoformat

    extra: dict[str, Any] = {} if jobs is None else {"jobs": jobs}  # (a 'before' has none)
    if "stream" in inspect.signature(annoformat.convert).parameters:
        extra["stream"] = False
    result = annoformat.convert(src, dst, to="coco", **extra)
    if not result.written:
        raise SystemExit(f"not written: {result.report.codes()[:10]}")
    return int(result.summary["annotations"])


CHILD_OPS = {
    "floor_c2v": floor_coco_to_voc,
    "af_c2v": af_coco_to_voc,
    "floor_v2c": floor_voc_to_coco,
    "af_v2c": af_voc_to_coco,
}


def child(op: str, src: str, dst: str, result: str) -> int:
    import resource

    name, _, jobs = op.partition(":")  # af_v2c:2 runs with jobs=2
    start = time.perf_counter()
    count = (CHILD_OPS[name](src, dst, int(jobs)) if jobs
             else CHILD_OPS[name](src, dst))
    elapsed = time.perf_counter() - start
    # this process's peak, and the largest peak of one of its pool's workers (Linux: the
    # largest child's; forked workers share the parent's pages until they change them)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pool = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    Path(result).write_text(json.dumps({"op_s": elapsed, "count": count, "maxrss": maxrss,
                                        "pool": pool}))
    return 0


# --------------------------------------------------------------------------- the parent


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def env(src: Path | None = None) -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(p for p in (str(src or REPO / "src"),
                                                    out.get("PYTHONPATH", "")) if p)
    return out


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def run(op: str, src: Path, dst: Path, workdir: Path, timeout: float,
        code: Path | None = None) -> dict[str, float]:
    remove(dst)
    result = workdir / f"result_{op}.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", op, str(src), str(dst),
           str(result)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env(code), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0 or not result.exists():
        raise RuntimeError(f"{op} failed with status {status}")
    record = json.loads(result.read_text())
    remove(dst)
    unit = 1 if sys.platform == "darwin" else 1024
    if wall > timeout:
        raise RuntimeError(f"{op} took {wall:.0f} s, over the {timeout:g} s timeout")
    del usage  # (wait4's peak is the largest of the process and its workers: not the parent's)
    return {"wall_s": wall, "op_s": record["op_s"], "rss": record["maxrss"] * unit,
            "pool_rss": record["pool"] * unit, "count": record["count"]}


def ensure_coco(args: argparse.Namespace) -> Path:
    if args.coco:
        return Path(args.coco)
    path = args.workdir / f"coco_i{args.images}_a{args.annotations}_s{SEED}.json"
    if not path.exists():
        log(f"generating {path} ...")
        subprocess.run([sys.executable, str(HERE / "generate_coco.py"), str(path),
                        "--images", str(args.images), "--annotations", str(args.annotations),
                        "--seed", str(SEED)], check=True)
    return path


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=4, metavar=("OP", "SRC", "DST", "RESULT"))
    parser.add_argument("--images", type=int)
    parser.add_argument("--annotations", type=int)
    parser.add_argument("--coco", help="use this COCO file instead of generating one")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path,
                        default=Path("/dev/shm") / f"annoformat-bench-voc-{os.getuid()}")
    parser.add_argument("--diskdir", type=Path,
                        default=Path("/var/tmp") / f"annoformat-bench-voc-{os.getuid()}")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--smoke", action="store_true", help=f"sizes {SMOKE_SIZE}")
    parser.add_argument("--jobs", default="1,2",
                        help="comma-separated jobs values for the annoformat rows (default 1,2)")
    parser.add_argument("--no-disk", action="store_true", help="only the RAM-backed folder")
    parser.add_argument("--before", type=Path, default=None, metavar="SRC",
                        help="also run the annoformat of this src/ folder (e.g. main's), "
                        "interleaved, as the 'before' rows")
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)
    size = SMOKE_SIZE if args.smoke else FULL_SIZE
    args.images = args.images or size[0]
    args.annotations = args.annotations or size[1]
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.diskdir.mkdir(parents=True, exist_ok=True)
    coco = ensure_coco(args)
    voc_src = args.workdir / "voc_input"
    if not (voc_src / "Annotations").is_dir():
        log(f"writing the VOC input {voc_src} with annoformat ...")
        remove(voc_src)
        child_result = subprocess.run(
            [sys.executable, "-c", "import annoformat as af, sys; r = af.convert(sys.argv[1], "
             "sys.argv[2], to='voc', allow_loss=True); sys.exit(0 if r.written else 1)",
             str(coco), str(voc_src)], env=env(), check=False)
        if child_result.returncode:
            raise SystemExit("could not write the VOC input")
    # (row, op, source, destination)
    jobs = [int(j) for j in args.jobs.split(",")]
    places = [("shm", args.workdir)] + ([] if args.no_disk else [("disk", args.diskdir)])
    rows = []  # per group: the floor first, then annoformat with each jobs value
    groups: list[list[str]] = []
    for where, base in places:
        for name, floor_op, af_op, src, dst in (
                ("COCO->VOC", "floor_c2v", "af_c2v", coco, base / "out_voc"),
                ("VOC->COCO", "floor_v2c", "af_v2c", voc_src, base / "out_coco.json")):
            group = [(f"{name} floor ({where})", floor_op, src, dst)]
            if args.before:  # another checkout's annoformat (no jobs keyword), same run
                group.append((f"{name} af before ({where})", af_op, src, dst))
            group += [(f"{name} af jobs={j} ({where})", f"{af_op}:{j}", src, dst) for j in jobs]
            rows += group
            groups.append([label for label, *_ in group])
    figures: dict[str, list[dict[str, float]]] = {label: [] for label, *_ in rows}
    for rep in range(1, args.repeat + 1):
        for label, op, src, dst in rows:
            code = args.before if " af before " in label else None
            fig = run(op, src, dst, args.workdir, args.timeout, code)
            figures[label].append(fig)
            log(f"[{rep}/{args.repeat}] {label}: {fig['wall_s']:.2f} s wall, "
                f"{fig['op_s']:.2f} s in-proc, {fig['rss'] / MIB:.0f} MiB, count {fig['count']}")
    size_mib = coco.stat().st_size / MIB
    print(f"VOC benchmark: {args.images:,} images, {args.annotations:,} annotations "
          f"({size_mib:.1f} MiB COCO); medians of {args.repeat} fresh-process runs")
    print(f"{'operation':<32}{'wall s':>8}{'x floor':>9}{'in-proc s':>11}{'x floor':>9}"
          f"{'peak MiB':>10}{'x floor':>9}{'pool MiB':>10}")
    verdicts = []
    for group in groups:
        floor = group[0]
        for label in group:
            runs = figures[label]
            ratio = [median(runs, k) / median(figures[floor], k) for k in ("wall_s", "op_s",
                                                                             "rss")]
            print(f"{label:<32}{median(runs, 'wall_s'):>8.2f}{ratio[0]:>8.2f}x"
                  f"{median(runs, 'op_s'):>11.2f}{ratio[1]:>8.2f}x"
                  f"{median(runs, 'rss') / MIB:>10.0f}{ratio[2]:>8.2f}x"
                  f"{median(runs, 'pool_rss') / MIB:>10.0f}")
        mine = [label for label in group[1:] if " af before " not in label]
        for label in group[1:]:
            wall_ratio = median(figures[label], "wall_s") / median(figures[floor], "wall_s")
            verdicts.append(f"target: {label} wall <= {TARGET:g}x floor: {wall_ratio:.2f}x "
                            f"{'PASS' if wall_ratio <= TARGET else 'FAIL'}")
        if floor.startswith("VOC->COCO"):  # the read's memory, one process (the first jobs)
            mem = median(figures[mine[0]], "rss") / median(figures[floor], "rss")
            verdicts.append(f"target: {mine[0]} peak memory <= {MEMORY_TARGET:g}x floor: "
                            f"{mem:.2f}x {'PASS' if mem <= MEMORY_TARGET else 'FAIL'}")
        for label in mine[1:]:
            wall = median(figures[mine[0]], "wall_s") / median(figures[label], "wall_s")
            op = median(figures[mine[0]], "op_s") / median(figures[label], "op_s")
            line = (f"--jobs scaling: {label} vs {mine[0]}: {wall:.2f}x wall, {op:.2f}x "
                    "in-proc")
            if floor.startswith("VOC->COCO"):
                verdict = "PASS" if wall >= SCALING_TARGET else "FAIL"
                line += f" (target >= {SCALING_TARGET:g}x: {verdict})"
            verdicts.append(line)
    for line in verdicts:
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"images": args.images, "annotations": args.annotations,
                                         "repeat": args.repeat, "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
