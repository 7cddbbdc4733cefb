"""COCO <-> YOLO at COCO-2017-train scale: annoformat against a minimal hand-written converter.

Usage: python benchmarks/bench_yolo.py [--images N --annotations M] [--coco FILE] [--repeat R]
                                       [--workdir DIR] [--diskdir DIR] [--json OUT] [--smoke]
                                       [--tasks detect,segment] [--jobs 1,2] [--no-disk]

Operations, each in a fresh interpreter (this script re-run with --child), round-robin, --repeat
times; the output goes to a RAM-backed folder (/dev/shm) and to the disk (--diskdir):

* floor coco->yolo (and the same with the cyclic GC switched off, ``floor_nogc``, since
  annoformat pauses it while building large structures): orjson.loads, one
  "%d %.6f %.6f %.6f %.6f" row per non-crowd annotation from its stored bbox, one label file
  per image, data.yaml and a sizes JSON (what makes the labels readable again without the
  images); no validation at all;
* floor coco->yolo segment: the same with one "%d" + " %.6f" per coordinate row of the
  annotation's first polygon (a box-only annotation: its four corners);
* annoformat coco->yolo: ``annoformat.convert(coco, out, to="yolo", allow_loss=True,
  options={"task": T}, jobs=N)`` for each ``--tasks`` T and ``--jobs`` N, all checks on (COCO
  schema and semantics, loss planning, collision and path checks, range checks, data.yaml
  schema); each task against its own floor;
* floor yolo->coco: read the sizes JSON, each label file, split and float() every row, orjson
  dump of images/annotations/categories;
* annoformat yolo->coco: ``annoformat.convert(yolo, out.json, to="coco",
  read_options={"image_sizes": sizes}, jobs=N)`` (the explicit size source: the images are
  absent) of the detect labels.

Figures: median whole-process wall time (start-up and imports included), median in-process
time of the operation alone, median peak RSS of the process (os.wait4), and the ratio of each
median to the plain floor's from the same run (x floor columns); the verdict lines also compare
annoformat with the no-GC floor, and the --jobs lines each jobs value with the first.

Targets (#16): annoformat wall <= 1.5x the floor's with every check on; YOLO -> COCO peak memory
<= 1.5x the floor's; ``--jobs 2`` >= 1.7x ``--jobs 1`` for YOLO -> COCO (a per-file source: COCO
-> YOLO reads one JSON document in one process, so its scaling is printed without a target).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATOR = HERE / "generate_coco.py"
FULL_SIZE = (118_287, 860_001)
SMOKE_SIZE = (2_000, 15_000)
SEED = 2017
TARGET = 1.5
MEMORY_TARGET = 1.5
SCALING_TARGET = 1.7
MIB = 2**20


# --------------------------------------------------------------------------- the child side


def _floor_write(dst: str, doc: dict[str, Any], images: dict[int, Any],
                 rows: dict[int, list[str]]) -> dict[str, int]:
    """The floors' output: a label file per image, data.yaml and the sizes JSON."""
    import orjson

    labels = os.path.join(dst, "labels")
    os.makedirs(labels)
    os.makedirs(os.path.join(dst, "images"))
    sizes = {}
    for iid, im in images.items():
        name = im["file_name"]
        sizes["images/" + name] = [im["width"], im["height"]]
        with open(os.path.join(labels, name.rsplit(".", 1)[0] + ".txt"), "w") as fh:
            fh.write("".join(rows[iid]))
    names = "".join(f"  {i}: {c['name']}\n" for i, c in enumerate(doc["categories"]))
    with open(os.path.join(dst, "data.yaml"), "w") as fh:
        fh.write(f"train: images\nval: images\nnc: {len(doc['categories'])}\nnames:\n{names}")
    with open(os.path.join(dst, "sizes.json"), "wb") as fh:
        fh.write(orjson.dumps({"sizes": sizes}))
    return {"images": len(images), "rows": sum(len(r) for r in rows.values())}


def _box_row(a: dict[str, Any], cls: int, w: int, h: int) -> str:
    x, y, bw, bh = a["bbox"]
    return "%d %.6f %.6f %.6f %.6f\n" % (  # noqa: UP031 - fastest
        cls, (x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h)


def _segment_row(a: dict[str, Any], cls: int, w: int, h: int) -> str:
    seg = a.get("segmentation")
    if isinstance(seg, list) and seg and len(seg[0]) >= 6:
        ring = seg[0]
    else:
        x, y, bw, bh = a["bbox"]
        ring = [x, y, x + bw, y, x + bw, y + bh, x, y + bh]
    return "%d" % cls + "".join(" %.6f %.6f" % (ring[i] / w, ring[i + 1] / h)  # noqa: UP031
                                for i in range(0, len(ring) - 1, 2)) + "\n"


def _floor(src: str, dst: str, row: Callable[[dict[str, Any], int, int, int], str],
           ) -> dict[str, int]:
    import orjson

    with open(src, "rb") as fh:
        doc = orjson.loads(fh.read())
    index = {c["id"]: i for i, c in enumerate(doc["categories"])}
    images = {im["id"]: im for im in doc["images"]}
    rows: dict[int, list[str]] = {iid: [] for iid in images}
    for a in doc["annotations"]:
        if a.get("iscrowd"):
            continue
        im = images[a["image_id"]]
        rows[a["image_id"]].append(row(a, index[a["category_id"]], im["width"], im["height"]))
    return _floor_write(dst, doc, images, rows)


def floor_coco2yolo(src: str, dst: str) -> dict[str, int]:
    return _floor(src, dst, _box_row)


def floor_seg_coco2yolo(src: str, dst: str) -> dict[str, int]:
    return _floor(src, dst, _segment_row)


def floor_yolo2coco(src: str, dst: str) -> dict[str, int]:
    import orjson
    import yaml

    with open(os.path.join(src, "data.yaml"), "rb") as fh:
        names = yaml.safe_load(fh)["names"]
    with open(os.path.join(src, "annoformat_sizes.json"), "rb") as fh:
        sizes = orjson.loads(fh.read())["sizes"]
    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    for image_id, (rel, (w, h)) in enumerate(sizes.items(), start=1):
        name = rel[len("images/"):]
        images.append({"id": image_id, "file_name": name, "width": w, "height": h})
        with open(os.path.join(src, "labels", name.rsplit(".", 1)[0] + ".txt")) as fh:
            text = fh.read()
        for line in text.splitlines():
            p = line.split()
            if not p:
                continue
            cx, cy, bw, bh = float(p[1]), float(p[2]), float(p[3]) * w, float(p[4]) * h
            anns.append({"id": len(anns) + 1, "image_id": image_id,
                         "category_id": int(p[0]) + 1,
                         "bbox": [cx * w - bw / 2, cy * h - bh / 2, bw, bh],
                         "area": bw * bh, "iscrowd": 0})
    cats = [{"id": int(i) + 1, "name": n} for i, n in names.items()]
    with open(dst, "wb") as fh:
        fh.write(orjson.dumps({"images": images, "annotations": anns, "categories": cats}))
    return {"images": len(images), "annotations": len(anns)}


def af_coco2yolo(src: str, dst: str, task: str = "detect",
                 jobs: int | None = None) -> dict[str, Any]:
    import annoformat

    # the whole path, as the floor: not left to how much memory is free (it would stream)
    result = annoformat.convert(src, dst, to="yolo", allow_loss=True, options={"task": task},
                                stream=False, jobs=jobs)
    if not result.written:
        raise RuntimeError(f"not written: {[d.message for d in result.report.errors][:3]}")
    return {"items": result.summary["items"], "annotations": result.summary["annotations"]}


def af_yolo2coco(src: str, dst: str, jobs: int | None = None) -> dict[str, Any]:
    import annoformat

    sizes = os.path.join(src, "annoformat_sizes.json")
    result = annoformat.convert(src, dst, to="coco", read_options={"image_sizes": sizes},
                                jobs=jobs)
    if not result.written:
        raise RuntimeError(f"not written: {[d.message for d in result.report.errors][:3]}")
    return {"items": result.summary["items"], "annotations": result.summary["annotations"]}


def _nogc(op: Any) -> Any:
    def run(src: str, dst: str) -> Any:
        import gc

        gc.disable()  # what annoformat does while it builds large acyclic structures
        return op(src, dst)
    return run


CHILD_OPS = {"floor_coco2yolo": floor_coco2yolo, "af_coco2yolo": af_coco2yolo,
             "floor_nogc_coco2yolo": _nogc(floor_coco2yolo),
             "floor_seg_coco2yolo": floor_seg_coco2yolo,
             "floor_yolo2coco": floor_yolo2coco, "af_yolo2coco": af_yolo2coco,
             "floor_nogc_yolo2coco": _nogc(floor_yolo2coco)}


def child(op: str, src: str, dst: str, result_path: str) -> int:
    # "af_coco2yolo:segment:2": task segment, jobs 2; "af_yolo2coco::2": jobs 2
    name, _, rest = op.partition(":")
    task, _, jobs = rest.partition(":")
    kw: dict[str, Any] = {"jobs": int(jobs)} if jobs else {}
    if task:
        kw["task"] = task
    start = time.perf_counter()
    summary = CHILD_OPS[name](src, dst, **kw)
    done = time.perf_counter()
    with open(result_path, "w", encoding="utf-8") as fh:
        # (a pool's largest worker peak, as bench_voc: forked workers share the parent's
        # pages until they change them)
        json.dump({"op_s": done - start, "result": summary,
                   "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   "pool_maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss},
                  fh)
    return 0


# --------------------------------------------------------------------------- the parent side


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "src"),
                                                    env.get("PYTHONPATH", "")) if p)
    return env


def ensure_coco(workdir: Path, images: int, annotations: int) -> Path:
    digest = hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:10]
    path = workdir / f"coco_i{images}_a{annotations}_s{SEED}_{digest}.json"
    if not path.exists():
        log(f"generating {path} ...")
        subprocess.run([sys.executable, str(GENERATOR), str(path), "--images", str(images),
                        "--annotations", str(annotations), "--seed", str(SEED)], check=True)
    return path


def run_child(op: str, src: Path, dst: Path, scratch: Path) -> dict[str, Any]:
    result_path = scratch / f"result_{op}.json"
    result_path.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", op, str(src), str(dst),
           str(result_path)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=child_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0 or not result_path.exists():
        raise RuntimeError(f"{op} failed: {err.strip().splitlines()[-1:]}")
    record = json.loads(result_path.read_text())
    return {"wall_s": wall, "op_s": record["op_s"], "maxrss": usage.ru_maxrss * 1024,
            "pool_maxrss": record["pool_maxrss_kib"] * 1024, "result": record["result"]}


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


#: a row: (its label, the child op, its floor's label); labels are the JSON rows' "op"
Row = tuple[str, str, str]


def plan(tasks: list[str], jobs: list[int]) -> list[list[Row]]:
    """The groups of rows, each a floor (and its no-GC twin) and annoformat per jobs value."""
    groups: list[list[Row]] = []
    for task in tasks:
        floor = "floor_coco2yolo" if task == "detect" else f"floor_{task[:3]}_coco2yolo"
        group = [(floor, floor, floor)]
        if task == "detect":
            group.append(("floor_nogc_coco2yolo", "floor_nogc_coco2yolo", floor))
        group += [(f"af_coco2yolo_{task}_jobs{j}", f"af_coco2yolo:{task}:{j}", floor)
                  for j in jobs]
        groups.append(group)
    groups.append([("floor_yolo2coco", "floor_yolo2coco", "floor_yolo2coco"),
                   ("floor_nogc_yolo2coco", "floor_nogc_yolo2coco", "floor_yolo2coco"),
                   *((f"af_yolo2coco_jobs{j}", f"af_yolo2coco::{j}", "floor_yolo2coco")
                     for j in jobs)])
    return groups


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--child":
        return child(*argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=FULL_SIZE[0])
    parser.add_argument("--annotations", type=int, default=FULL_SIZE[1])
    parser.add_argument("--coco", type=Path, help="use this COCO file instead of generating")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path,
                        default=Path("/dev/shm") / f"annoformat-bench-yolo-{os.getuid()}")
    parser.add_argument("--diskdir", type=Path,
                        default=Path("/var/tmp") / f"annoformat-bench-yolo-{os.getuid()}")
    parser.add_argument("--no-disk", action="store_true", help="RAM-backed runs only")
    parser.add_argument("--tasks", default="detect,segment",
                        help="comma-separated COCO -> YOLO tasks (default detect,segment)")
    parser.add_argument("--jobs", default="1,2",
                        help="comma-separated jobs values for the annoformat rows (default 1,2)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_SIZE} and --repeat 1")
    args = parser.parse_args(argv)
    if args.smoke:
        args.images, args.annotations = SMOKE_SIZE
        args.repeat = 1
    tasks = args.tasks.split(",")
    if not set(tasks) <= {"detect", "segment"}:
        parser.error(f"--tasks: detect and/or segment, not {args.tasks}")
    groups = plan(tasks, [int(j) for j in args.jobs.split(",")])
    args.workdir.mkdir(parents=True, exist_ok=True)
    coco = args.coco or ensure_coco(args.workdir, args.images, args.annotations)
    places = {"shm": args.workdir} if args.no_disk else {"shm": args.workdir,
                                                         "disk": args.diskdir}
    figures: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for place, root in places.items():
        root.mkdir(parents=True, exist_ok=True)
        yolo_in = root / f"yolo-input-{coco.stem}"
        if not yolo_in.exists():  # the reverse direction reads annoformat's own output
            log(f"[{place}] preparing {yolo_in} ...")
            run_child("af_coco2yolo", coco, yolo_in, args.workdir)
        for rep in range(1, args.repeat + 1):
            for label, op, _ in (row for group in groups for row in group):
                src = yolo_in if "yolo2coco" in op else coco
                dst = root / (f"out-{label}" + (".json" if "yolo2coco" in op else ""))
                remove(dst)
                subprocess.run(["sync"], check=False)
                run = run_child(op, src, dst, args.workdir)
                figures.setdefault((place, label), []).append(run)
                log(f"[{place} {rep}/{args.repeat}] {label}: {run['wall_s']:.2f} s wall, "
                    f"{run['op_s']:.2f} s op, {run['maxrss'] / MIB:.0f} MiB, {run['result']}")
                remove(dst)
        report(coco, args, groups, {k: v for k, v in figures.items() if k[0] == place})
    if len(places) > 1:
        report(coco, args, groups, figures)
    return 0


def report(coco: Path, args: argparse.Namespace, groups: list[list[Row]],
           figures: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    def med(place: str, label: str, key: str) -> float:
        return float(statistics.median(r[key] for r in figures[(place, label)]))

    print(f"input: {coco} ({coco.stat().st_size / MIB:.0f} MiB); repeat {args.repeat}; "
          f"medians; Python {platform.python_version()} on {platform.machine()}")
    print(f"{'where':5} {'operation':26} {'wall s':>8} {'in-proc s':>10} {'peak MiB':>9} "
          f"{'x floor (wall)':>15} {'x floor (MiB)':>14} {'pool MiB':>9}")
    out: dict[str, Any] = {"input": str(coco), "repeat": args.repeat, "rows": []}
    verdicts: list[str] = []
    places = sorted({p for p, _ in figures}, key=["shm", "disk"].index)
    for place in places:
        for group in groups:
            for label, _, floor in group:
                wall, op_s = med(place, label, "wall_s"), med(place, label, "op_s")
                rss, pool = med(place, label, "maxrss") / MIB, med(place, label, "pool_maxrss")
                ratio = wall / med(place, floor, "wall_s")
                ratio_mem = rss / (med(place, floor, "maxrss") / MIB)
                print(f"{place:5} {label:26} {wall:8.2f} {op_s:10.2f} {rss:9.0f} "
                      f"{ratio:15.2f} {ratio_mem:14.2f} {pool / MIB:9.0f}")
                out["rows"].append({"where": place, "op": label, "floor": floor,
                                    "wall_s": wall, "op_s": op_s, "peak_mib": rss,
                                    "pool_peak_mib": pool / MIB, "x_floor_wall": ratio,
                                    "x_floor_mem": ratio_mem})
            mine = [label for label, op, _ in group if op.startswith("af_")]
            floors = [label for label, op, _ in group if not op.startswith("af_")]
            for label in mine:
                for floor in floors:
                    ratio = med(place, label, "wall_s") / med(place, floor, "wall_s")
                    verdict = "meets" if ratio <= TARGET else "misses"
                    verdicts.append(f"{place}: {label} = {ratio:.2f} x {floor} wall time "
                                    f"({verdict} the {TARGET:g}x target)")
            if "yolo2coco" in group[0][0]:  # the read's memory, one process (the first jobs)
                mem = med(place, mine[0], "maxrss") / med(place, group[0][0], "maxrss")
                verdicts.append(f"{place}: {mine[0]} peak memory = {mem:.2f} x floor "
                                f"({'meets' if mem <= MEMORY_TARGET else 'misses'} the "
                                f"{MEMORY_TARGET:g}x target)")
            for label in mine[1:]:
                wall = med(place, mine[0], "wall_s") / med(place, label, "wall_s")
                op = med(place, mine[0], "op_s") / med(place, label, "op_s")
                line = f"{place}: --jobs scaling {label} vs {mine[0]}: {wall:.2f}x wall, " \
                       f"{op:.2f}x in-proc"
                if "yolo2coco" in label:
                    line += (f" ({'meets' if wall >= SCALING_TARGET else 'misses'} the "
                             f"{SCALING_TARGET:g}x target)")
                verdicts.append(line)
    for line in verdicts:
        print(line)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
