"""CVAT-for-images benchmark: read and write 100k images / 800k shapes beside a bare lxml parse.

Usage: python benchmarks/bench_cvat.py [--images N --shapes M] [--repeat R] [--workdir DIR]
                                       [--smoke] [--jobs 1,2] [--ops lxml,read]

The input is generated deterministically (stdlib ``random`` with a fixed seed, streamed to
disk) and cached in the work directory under a name made of the sizes, the seed and a hash of
this file. Every run of every operation is a fresh interpreter (this script with ``--child``),
so peak RSS is the whole process's (``ru_maxrss`` from ``os.wait4``); runs are interleaved
round-robin and the figures are medians over ``--repeat`` runs:

* ``lxml parse``: ``etree.fromstring(bytes)`` with annoformat's hardened parser settings;
* ``annoformat read``: ``cvat.read`` (parse, XSD check, typed IR);
* ``annoformat read+write``: read, then ``cvat.write`` (tree, XSD check of the output, bytes);
  its in-process column is the write alone;
* ``CVAT->COCO floor``: the least a converter does (``floor_cvat_to_coco``): lxml parse, boxes,
  polygons and masks (runs -> pycocotools RLE) with their box, area and attributes, orjson;
  no checks;
* ``annoformat CVAT->COCO``: ``annoformat.convert(..., to="coco", allow_loss=True)`` with every
  check on (XSD and semantic checks of the input, the COCO schema check of the output).

The ``x lxml`` columns are ratios to the lxml parse, except the annoformat CVAT->COCO row's,
which is to the CVAT->COCO floor. ``cpu s`` is the child's user + system time with its pool's
workers (``os.wait4``); ``peak MiB`` is the largest one process's, not their sum.

``--jobs 1,2`` runs each annoformat row once per value (``use_jobs(N)``, ``convert(...,
jobs=N)``) in the same interleaved rounds and prints each value's wall time as a speed-up over
the first's; without it they run with the library's default (every usable core). ``--ops``
picks the rows (the read+write and CVAT->COCO rows take most of a full-size run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
FULL = (100_000, 800_000)
SMOKE = (2_000, 16_000)
SEED = 4
MIB = 2**20
OPS = (("lxml", "baseline: lxml parse"), ("read", "annoformat read"),
       ("write", "annoformat read+write"), ("floor_coco", "CVAT->COCO floor"),
       ("coco", "annoformat CVAT->COCO"))
#: the row each row is a ratio to
BASE = {"coco": "floor_coco"}

_META = """  <version>1.1</version>
  <meta>
    <task>
      <id>1</id>
      <name>benchmark</name>
      <size>{images}</size>
      <mode>annotation</mode>
      <labels>
        <label>
          <name>car</name>
          <color>#fa3253</color>
          <type>any</type>
          <attributes>
            <attribute>
              <name>parked</name>
              <mutable>True</mutable>
              <input_type>checkbox</input_type>
              <default_value>false</default_value>
              <values>false</values>
            </attribute>
            <attribute>
              <name>model</name>
              <mutable>False</mutable>
              <input_type>select</input_type>
              <default_value>bmw</default_value>
              <values>bmw
mazda
volvo</values>
            </attribute>
          </attributes>
        </label>
        <label><name>person</name><type>any</type><attributes/></label>
        <label><name>road</name><type>any</type><attributes/></label>
        <label><name>sign</name><type>any</type><attributes/></label>
      </labels>
    </task>
  </meta>
"""


def make_workdir(explicit: Path | None) -> Path:
    """``explicit``, else a per-user folder on the RAM disk (or /tmp), made if needed."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/tmp")
    workdir = explicit or base / f"annoformat-bench-{os.getuid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def generate(path: Path, images: int, shapes: int, seed: int = SEED) -> None:
    """A CVAT for images 1.1 file: boxes 55%, polygons 25%, points 8%, polylines 5%,
    ellipses 4%, tags 2.9%, masks 0.1%; a third of the cars carry two attributes."""
    rnd = random.Random(seed)
    per_image = [shapes // images] * images
    for i in range(shapes - sum(per_image)):
        per_image[i % images] += 1
    labels = ("car", "person", "road", "sign")
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n')
        out.write(_META.format(images=images))
        for i in range(images):
            w, h = 640, 480
            out.write(f'  <image id="{i}" name="frames/{i:06d}.jpg" width="{w}" height="{h}">\n')
            for _ in range(per_image[i]):
                out.write(_shape(rnd, rnd.choice(labels), w, h))
            out.write("  </image>\n")
        out.write("</annotations>\n")
    tmp.replace(path)


def _c(rnd: random.Random, high: int) -> str:
    return f"{rnd.uniform(0, high):.2f}"


def _shape(rnd: random.Random, label: str, w: int, h: int) -> str:
    r = rnd.random()
    head = f'    <{{tag}} label="{label}" source="manual" occluded="{int(rnd.random() < .1)}"'
    attrs = ""
    if label == "car" and rnd.random() < 1 / 3:
        attrs = (f'\n      <attribute name="parked">{rnd.choice(("true", "false"))}</attribute>'
                 f'\n      <attribute name="model">{rnd.choice(("bmw", "mazda", "volvo"))}'
                 "</attribute>\n    ")
    if r < 0.55:
        x, y = rnd.uniform(0, w - 20), rnd.uniform(0, h - 20)
        geo = (f' xtl="{x:.2f}" ytl="{y:.2f}" xbr="{x + rnd.uniform(1, 19):.2f}" '
               f'ybr="{y + rnd.uniform(1, 19):.2f}"')
        tag = "box"
    elif r < 0.93:
        if r < 0.80:
            tag, n = "polygon", rnd.randint(3, 12)
        elif r < 0.88:
            tag, n = "points", rnd.randint(1, 4)
        else:
            tag, n = "polyline", rnd.randint(2, 6)
        geo = ' points="' + ";".join(f"{_c(rnd, w)},{_c(rnd, h)}" for _ in range(n)) + '"'
    elif r < 0.97:
        tag = "ellipse"
        geo = (f' cx="{_c(rnd, w)}" cy="{_c(rnd, h)}" rx="{rnd.uniform(1, 30):.2f}" '
               f'ry="{rnd.uniform(1, 30):.2f}"')
    elif r < 0.999:
        return f'    <tag label="{label}" source="manual">{attrs}</tag>\n'
    else:
        mw, mh = rnd.randint(4, 40), rnd.randint(4, 40)
        runs, left = [], mw * mh
        while left > 0:
            run = min(left, rnd.randint(0, 30))
            runs.append(run)
            left -= run
        geo = (f' rle="{", ".join(map(str, runs))}" left="{rnd.randint(0, w - mw)}" '
               f'top="{rnd.randint(0, h - mh)}" width="{mw}" height="{mh}"')
        tag = "mask"
    return head.format(tag=tag) + geo + f' z_order="0">{attrs}</{tag}>\n'


# ------------------------------------------------------------------------------------------
# child


def floor_cvat_to_coco(src: str, dst: str) -> int:
    """lxml + orjson: what annoformat's CVAT -> COCO writes (boxes, polygons, masks; their
    box, area, iscrowd and attributes), nothing checked. Returns the annotation count."""
    import numpy as np
    import orjson
    from lxml import etree
    from pycocotools import mask as coco_mask

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=True)
    root = etree.fromstring(Path(src).read_bytes(), parser)
    cats = {name: i for i, name in enumerate(root.xpath("meta//label/name/text()"), 1)}
    images, anns = [], []
    for image_id, image in enumerate(root.iterchildren("image")):
        width, height = int(image.get("width")), int(image.get("height"))
        images.append({"id": image_id, "file_name": image.get("name"), "width": width,
                       "height": height})
        for el in image:
            tag = el.tag
            if tag == "box":
                x, y = float(el.get("xtl")), float(el.get("ytl"))
                x2, y2 = float(el.get("xbr")), float(el.get("ybr"))
                seg: Any = [[x, y, x, y2, x2, y2, x2, y]]
                bbox, area = [x, y, x2 - x, y2 - y], (x2 - x) * (y2 - y)
            elif tag == "polygon":
                pts = [float(v) for v in el.get("points").replace(";", ",").split(",")]
                xs, ys = pts[0::2], pts[1::2]
                seg = [pts]
                bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
                area = abs(sum(xs[i] * ys[i - 1] - xs[i - 1] * ys[i]
                               for i in range(len(xs)))) / 2
            elif tag == "mask":
                left, top = int(el.get("left")), int(el.get("top"))
                mw, mh = int(el.get("width")), int(el.get("height"))
                runs = np.array([int(v) for v in el.get("rle").split(",")], dtype=np.int64)
                full = np.zeros((height, width), dtype=np.uint8)
                full[top:top + mh, left:left + mw] = np.repeat(
                    (np.arange(len(runs)) % 2).astype(np.uint8), runs).reshape(mh, mw)
                rle = coco_mask.encode(np.asfortranarray(full))
                seg = {"size": [height, width], "counts": rle["counts"].decode()}
                bbox, area = coco_mask.toBbox(rle).tolist(), float(coco_mask.area(rle))
            else:
                continue
            attrs: dict[str, Any] = {"occluded": el.get("occluded") == "1",
                                     "z_order": int(el.get("z_order", "0"))}
            for a in el.iterchildren("attribute"):
                attrs[a.get("name")] = a.text
            anns.append({"id": len(anns) + 1, "image_id": image_id,
                         "category_id": cats[el.get("label")], "segmentation": seg,
                         "bbox": bbox, "area": area, "iscrowd": int(tag == "mask"),
                         "attributes": attrs})
    doc = {"images": images, "annotations": anns,
           "categories": [{"id": i, "name": n} for n, i in cats.items()]}
    Path(dst).write_bytes(orjson.dumps(doc))
    return len(anns)


def child(task: str, src: str, dst: str, result: str) -> None:
    """One operation, timed in this process: ``op`` or ``op:N`` (with N jobs)."""
    op, _, n = task.partition(":")
    from annoformat.parallel import use_jobs

    with use_jobs(int(n)) if n else nullcontext():
        _child(op, src, dst, result)


def _child(op: str, src: str, dst: str, result: str) -> None:
    start = time.perf_counter()
    record: dict[str, Any] = {"op": op}
    if op == "floor_coco":
        import lxml.etree  # noqa: F401
        import numpy  # noqa: F401  (imports outside the clock, as the other ops' are)
        import orjson  # noqa: F401
        import pycocotools.mask  # noqa: F401

        imported = time.perf_counter()
        record["summary"] = {"annotations": floor_cvat_to_coco(src, dst)}
        done = time.perf_counter()
    elif op == "coco":
        import annoformat
        from annoformat.parallel import jobs

        imported = time.perf_counter()
        converted = annoformat.convert(src, dst, to="coco", allow_loss=True, jobs=jobs())
        assert converted.written, converted.report.codes()[:5]
        record["summary"] = {"annotations": len(orjson_loads(dst)["annotations"])}
        done = time.perf_counter()
    elif op == "lxml":
        from lxml import etree

        imported = time.perf_counter()
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(Path(src).read_bytes(), parser)
        record["summary"] = {"images": len(root.findall("image"))}
        done = time.perf_counter()
    else:
        from annoformat.diagnostics import Report
        from annoformat.formats import cvat

        imported = time.perf_counter()
        report = Report()
        ds = cvat.read(Path(src), cvat.Options(), report)
        assert ds is not None and not report.has_errors, report.codes()[:5]
        done = time.perf_counter()
        record["summary"] = {"items": len(ds.items),
                             "annotations": sum(len(i.annotations) for i in ds.items)}
        if op == "write":
            cvat.write(ds, Path(dst), cvat.Options(), report)
            assert not report.has_errors, report.codes()[:5]
            record["read_s"] = done - imported
            imported, done = done, time.perf_counter()
            record["summary"]["bytes_written"] = Path(dst).stat().st_size
    record.update(import_s=imported - start, op_s=done - imported)
    Path(result).write_text(json.dumps(record))


# ------------------------------------------------------------------------------------------
# parent


def orjson_loads(path: str) -> Any:
    import orjson

    return orjson.loads(Path(path).read_bytes())


def run(op: str, src: Path, workdir: Path) -> dict[str, Any]:
    suffix = ".json" if "coco" in op else ".xml"
    name = op.replace(":", "_j")
    dst, res = workdir / f"out_{name}{suffix}", workdir / f"result_{name}.json"
    res.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH", "")) if p))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(HERE), "--child", op, str(src), str(dst),
                             str(res)], env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    dst.unlink(missing_ok=True)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{op} failed with status {status}")
    record: dict[str, Any] = json.loads(res.read_text())
    rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    record.update(wall_s=wall, peak_bytes=rss, cpu_s=usage.ru_utime + usage.ru_stime)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int)
    parser.add_argument("--shapes", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--smoke", action="store_true", help=f"sizes {SMOKE}")
    parser.add_argument("--json", type=Path, help="also dump the medians here")
    parser.add_argument("--jobs", help="comma-separated jobs values for the annoformat rows")
    parser.add_argument("--ops", default=",".join(op for op, _ in OPS),
                        help="comma-separated rows to run (default: all)")
    parser.add_argument("--child", nargs=4, metavar=("OP", "SRC", "DST", "RESULT"))
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    images, shapes = SMOKE if args.smoke else FULL
    images, shapes = args.images or images, args.shapes or shapes
    workdir = make_workdir(args.workdir)
    digest = hashlib.sha256(HERE.read_bytes()).hexdigest()[:10]
    src = workdir / f"cvat_i{images}_s{shapes}_seed{SEED}_{digest}.xml"
    if not src.exists():
        start = time.perf_counter()
        generate(src, images, shapes)
        print(f"(input generated in {time.perf_counter() - start:.1f} s)", file=sys.stderr)
    chosen = args.ops.split(",")
    unknown = set(chosen) - {op for op, _ in OPS}
    if unknown:
        parser.error(f"unknown --ops {sorted(unknown)}")
    jobs = args.jobs.split(",") if args.jobs else [""]
    tasks = []  # (op or op:N, label), the base rows whatever --ops says
    for op, label in OPS:
        if op not in chosen and op not in (BASE.get(o, "lxml") for o in chosen):
            continue
        if op in ("lxml", "floor_coco"):
            tasks.append((op, label))
        else:
            tasks += [(f"{op}:{n}" if n else op, f"{label} --jobs {n}" if n else label)
                      for n in jobs]
    runs: dict[str, list[dict[str, Any]]] = {task: [] for task, _ in tasks}
    for rep in range(args.repeat):
        for task, _ in tasks:
            record = run(task, src, workdir)
            runs[task].append(record)
            print(f"[{rep + 1}/{args.repeat}] {task}: {record['wall_s']:.2f} s, "
                  f"{record['peak_bytes'] / MIB:.0f} MiB, {record['summary']}", file=sys.stderr)
    size = src.stat().st_size / MIB
    print(f"CVAT benchmark: {images:,} images, {shapes:,} shapes, {size:.1f} MiB; medians of "
          f"{args.repeat} fresh-process runs; wall = whole process")
    print(f"{'operation':<32}{'wall s':>8}{'x lxml':>8}{'in-proc s':>11}{'cpu s':>8}"
          f"{'peak MiB':>10}{'x lxml':>8}")
    rows = []
    for task, label in tasks:
        op = task.partition(":")[0]
        wall = statistics.median(r["wall_s"] for r in runs[task])
        rss = statistics.median(r["peak_bytes"] for r in runs[task])
        inproc = statistics.median(r["op_s"] for r in runs[task])
        cpu = statistics.median(r["cpu_s"] for r in runs[task])
        base = runs[BASE.get(op, "lxml")]
        base_wall = statistics.median(r["wall_s"] for r in base)
        base_rss = statistics.median(r["peak_bytes"] for r in base)
        print(f"{label:<32}{wall:>8.2f}{wall / base_wall:>8.2f}{inproc:>11.2f}{cpu:>8.2f}"
              f"{rss / MIB:>10.0f}{rss / base_rss:>8.2f}")
        rows.append({"op": task, "label": label, "wall_s": wall, "op_s": inproc, "cpu_s": cpu,
                     "peak_bytes": rss, "base": BASE.get(op, "lxml"),
                     "x_base_wall": wall / base_wall, "x_base_mem": rss / base_rss})
    for op, _ in OPS:  # each jobs value's speed-up over the first's
        mine = [r for r in rows if r["op"].partition(":")[0] == op and ":" in r["op"]]
        for row in mine[1:]:
            print(f"--jobs scaling: {row['op']} vs {mine[0]['op']}: "
                  f"{mine[0]['wall_s'] / row['wall_s']:.2f}x wall, "
                  f"{mine[0]['op_s'] / row['op_s']:.2f}x in-process")
    if args.json:
        args.json.write_text(json.dumps({"images": images, "shapes": shapes,
                                         "repeat": args.repeat, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
