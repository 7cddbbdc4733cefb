"""Scale: streamed conversions in flat memory, and sharded conversion on Dask.

Usage: python benchmarks/bench_scale.py [--scale S] [--shards N] [--repeat R] [--workdir DIR]
       python benchmarks/bench_scale.py --streaming [--scales 1,2,4] [--trace] [--workdir DIR]

``--streaming``: for each S of ``--scales``, a dataset of S x COCO-2017-train images for each
pair of ``--pairs``: ``jsonl``, one JSONL file (the generator below, one shard) converted to
JSONL; ``yolo-voc``, a YOLO detect dataset (made once from ``generate_coco.py``'s file)
converted to VOC, labels only; ``voc-yolo``, a VOC dataset (made once from that YOLO one)
converted to YOLO; ``coco-yolo``, ``generate_coco.py``'s file itself converted to YOLO
(``task: auto``, so a second read of the source takes the census, docs/streaming.md). Each
conversion runs in a fresh process through ``annoformat.convert(..., stream=True)`` (written
as it is read; by default only a dataset that would not fit is), and once more at the first
scale with
``stream=False`` (the whole dataset in memory first), for contrast. Printed: each run's wall
seconds and the process' peak RSS (ru_maxrss from wait4), and the peak at the largest scale
over the peak at the smallest (flat: within 1.2).

Without ``--streaming``:

The dataset is annoformat's JSONL (a header declaring 80 labels, then one image item per line
with its boxes) with as many items as COCO-2017-train has images times ``--scale`` (default
10: 1,182,870 items, 7.27 boxes each on average: 8.6M boxes), split into ``--shards`` files
(default 40), generated once into the work directory (default under /dev/shm) with a fixed
seed. Each run converts every shard to COCO (one JSON file per shard) with
``annoformat.dask.convert`` on a ``LocalCluster`` of one worker process, then of two (one
thread each), round-robin ``--repeat`` times; the clusters are
started before the timing (start-up is printed apart). Also timed, as the reference, the local
path: ``annoformat.convert`` on each shard in turn, in this process. A sharded conversion reads
each shard once when every shard declares the same labels (as here): its output is written
ahead of the decision and moved into place after.

Also timed, on two workers: the same conversion with ids numbered through the shards (``--opt
first_image_id=1 first_annotation_id=1``, what a source whose ids are not integers gets: every
shard planned and written again in a second pass), and, once, ``annoformat.dask.merge`` of
that run's outputs into one COCO file in a fresh process.

Printed: median wall seconds, records per second, the workers' peak RSS (ru_maxrss of each
worker process, read after the run), the merge's time and peak RSS, and the speed-up of two
workers over one.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

TRAIN_IMAGES = 118_287
BOXES_PER_IMAGE = 860_001 / 118_287
SEED = 17
LABELS = [f"class-{k:02d}" for k in range(80)]


def workdir(given: str | None) -> Path:
    base = Path(given) if given else Path("/dev/shm" if Path("/dev/shm").is_dir()
                                          else tempfile.gettempdir())
    out = base / f"annoformat-bench-scale-{os.getuid()}"
    out.mkdir(parents=True, exist_ok=True)
    return out


def generate(folder: Path, items: int, shards: int) -> list[Path]:
    """``shards`` JSONL files holding ``items`` image items in all (kept between runs)."""
    import orjson

    done = folder / f"jsonl-{items}-{shards}-{SEED}"
    paths = [done / f"part-{k:04d}.jsonl" for k in range(shards)]
    if (done / "complete").exists():
        return paths
    shutil.rmtree(done, ignore_errors=True)
    done.mkdir(parents=True)
    rng = random.Random(SEED)
    header = orjson.dumps({"annoformat": "1", "labels": [{"name": n} for n in LABELS]})
    per = -(-items // shards)
    n = ann = 0
    for path in paths:
        with path.open("wb") as out:
            out.write(header + b"\n")
            for _ in range(min(per, items - n)):
                n += 1
                boxes = []
                for _ in range(rng.randint(0, int(2 * BOXES_PER_IMAGE))):
                    ann += 1
                    w, h = rng.uniform(4, 300), rng.uniform(4, 300)
                    boxes.append({"type": "bbox", "label": rng.choice(LABELS), "id": ann,
                                  "x": round(rng.uniform(0, 640 - w), 2),
                                  "y": round(rng.uniform(0, 480 - h), 2),
                                  "w": round(w, 2), "h": round(h, 2)})
                out.write(orjson.dumps({"id": str(n), "media": {
                    "kind": "image", "path": f"img/{n}.jpg", "width": 640, "height": 480},
                    "annotations": boxes}) + b"\n")
    (done / "complete").touch()
    return paths


def local_path(paths: list[Path], out: Path) -> float:
    import annoformat as af

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    start = time.perf_counter()
    for p in paths:
        result = af.convert(p, out / (p.stem + ".json"), to="coco", allow_loss=True)
        assert result.written, result.report.codes()
    return time.perf_counter() - start


def sharded(client: object, pattern: str, out: Path, numbered: bool = False) -> float:
    import annoformat.dask as afd

    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    # numbered: ids numbered through the shards, which plans and writes every shard again
    options = {"first_image_id": 1, "first_annotation_id": 1} if numbered else {}
    result = afd.convert(pattern, str(out), to="coco", allow_loss=True, scheduler=client,
                         options=options)
    elapsed = time.perf_counter() - start
    assert result.written, result.report.codes()[:10]
    return elapsed


_CONVERT = """
import sys
import annoformat as af
r = af.convert(sys.argv[1], sys.argv[2], to=sys.argv[3], allow_loss=True, media="none",
               stream=sys.argv[4] == "streamed")
assert r.written, r.report.codes()[:10]
"""


_MERGE = """
import sys
import annoformat.dask as afd
assert afd.merge(sys.argv[1], sys.argv[2]).codes() == []
"""


def merged(pattern: str, dest: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of ``annoformat.dask.merge`` in a fresh process."""
    import subprocess

    dest.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _MERGE, pattern, str(dest)],
                            env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    assert os.waitstatus_to_exitcode(status) == 0, "the merge failed"
    size = dest.stat().st_size
    dest.unlink()
    print(f"  merge of the last run's outputs into one COCO file "
          f"({size / 2**20:,.0f} MiB): {elapsed:.1f} s, peak RSS {usage.ru_maxrss / 1024:,.0f} MiB")
    return elapsed, usage.ru_maxrss


def streamed(src: Path, out: Path, to: str, stream: str, trace: bool = False
             ) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one conversion in a fresh process; ``trace``: its
    RSS sampled every half second is printed (which phase holds the peak: the census, the
    parts, the join)."""
    import subprocess

    shutil.rmtree(out, ignore_errors=True)
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _CONVERT, str(src), str(out), to, stream],
                            env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")})
    samples: list[tuple[float, int]] = []
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG if trace else 0)
        if pid:
            break
        samples.append((time.perf_counter() - start, _rss_kib(proc.pid)))
        time.sleep(0.5)
    elapsed = time.perf_counter() - start
    if samples:
        _print_trace(samples)
    assert os.waitstatus_to_exitcode(status) == 0, "the conversion failed"
    shutil.rmtree(out, ignore_errors=True)
    out.unlink(missing_ok=True)
    return elapsed, usage.ru_maxrss


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
    except OSError:  # (not Linux, or the process just ended)
        return 0


def _print_trace(samples: list[tuple[float, int]], lines: int = 24) -> None:
    """The RSS samples in ``lines`` rows, each the highest of its stretch of time."""
    step = max(1, -(-len(samples) // lines))
    for k in range(0, len(samples), step):
        stretch = samples[k:k + step]
        print(f"    {stretch[0][0]:7.1f} s  RSS {max(r for _, r in stretch) / 1024:7,.0f} MiB")


def yolo_source(folder: Path, items: int, kind: str = "yolo") -> Path:
    """A ``kind`` dataset of ``items`` images (COCO-train's boxes and polygons per image),
    made once and kept between runs: ``coco``, ``generate_coco.py``'s file; ``yolo`` (detect),
    that file converted; ``voc``, the YOLO one converted. Both conversions are streamed, so
    that a 4x-train source is made in flat memory (the whole path needs ~16 GiB there)."""
    sys.path.insert(0, str(HERE))
    import generate_coco

    import annoformat as af

    done = folder / f"{kind}-{items}"
    made = done / ("coco.json" if kind == "coco" else kind)
    if (done / "complete").exists():
        return made
    if kind == "coco":
        done.mkdir(parents=True, exist_ok=True)
        generate_coco.generate(made, items, round(items * BOXES_PER_IMAGE), SEED)
    else:
        src = yolo_source(folder, items, "coco" if kind == "yolo" else "yolo")
        shutil.rmtree(done, ignore_errors=True)
        done.mkdir(parents=True)
        result = af.convert(src, made, to=kind, media="none", allow_loss=True,
                            options={"task": "detect"} if kind == "yolo" else None)
        assert result.written, result.report.codes()[:10]
    (done / "complete").touch()
    return made


#: --pairs: (source kind, target format, what is printed)
PAIRS = {"jsonl": ("jsonl", "jsonl", "JSONL -> JSONL"), "yolo-voc": ("yolo", "voc", "YOLO -> VOC"),
         "voc-yolo": ("voc", "yolo", "VOC -> YOLO"), "coco-yolo": ("coco", "yolo", "COCO -> YOLO")}


def _made_apart(folder: Path, items: int, kind: str = "yolo") -> Path:
    """:func:`yolo_source` in a process of its own: a child forked from this process would
    start with this process' pages, and its peak RSS (ru_maxrss counts them) with them."""
    import subprocess

    code = ("import sys; sys.path.insert(0, sys.argv[1]); import bench_scale; "
            "print(bench_scale.yolo_source(bench_scale.Path(sys.argv[2]), int(sys.argv[3]), "
            "sys.argv[4]))")
    out = subprocess.run([sys.executable, "-c", code, str(HERE), str(folder), str(items), kind],
                         check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")})
    return Path(out.stdout.strip().splitlines()[-1])


def streaming(where: Path, scales: list[float], pairs: list[str], trace: bool = False) -> None:
    for pair in pairs:
        rows = []
        for scale in scales:
            items = int(TRAIN_IMAGES * scale)
            t0 = time.perf_counter()
            kind, to, _ = PAIRS[pair]
            src = (generate(where, items, 1)[0] if kind == "jsonl"
                   else _made_apart(where, items, kind))
            print(f"{scale:g}x train: {items:,} items ({time.perf_counter() - t0:.1f} s to "
                  "generate or find)", flush=True)
            out = where / ("out.jsonl" if to == "jsonl" else "out")
            rows.append((f"{scale:g}x, streamed", items,
                         *streamed(src, out, to, "streamed", trace)))
            if scale == scales[0]:
                rows.append((f"{scale:g}x, whole in memory", items,
                             *streamed(src, out, to, "whole")))
        print(f"{PAIRS[pair][2]}, one fresh process per run:")
        for name, n, seconds, kib in rows:
            print(f"  {name:<24} {seconds:7.1f} s  {n / seconds:9,.0f} items/s  "
                  f"peak RSS {kib / 1024:7,.0f} MiB")
        peaks = [kib for name, _, _, kib in rows if name.endswith("streamed")]
        print(f"peak RSS at {scales[-1]:g}x / at {scales[0]:g}x (streamed): "
              f"{peaks[-1] / peaks[0]:.2f} (flat: within 1.20)", flush=True)


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--shards", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir")
    parser.add_argument("--streaming", action="store_true")
    parser.add_argument("--trace", action="store_true",
                        help="with --streaming: print each streamed run's RSS over time")
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--pairs", default="jsonl,yolo-voc",
                        help="streamed conversions: jsonl (JSONL -> JSONL), yolo-voc, "
                        "voc-yolo, coco-yolo")
    opts = parser.parse_args()
    where = workdir(opts.workdir)
    if opts.streaming:
        streaming(where, [float(s) for s in opts.scales.split(",")], opts.pairs.split(","),
                  opts.trace)
        return

    from distributed import Client, LocalCluster

    items = int(TRAIN_IMAGES * opts.scale)
    t0 = time.perf_counter()
    paths = generate(where, items, opts.shards)
    size = sum(p.stat().st_size for p in paths)
    print(f"{items:,} JSONL image items in {opts.shards} shards, {size / 2**20:,.0f} MiB "
          f"({time.perf_counter() - t0:.1f} s to generate or find)")
    pattern = str(paths[0].parent / "part-*.jsonl")
    clusters = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        lc = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0", memory_limit=0, silence_logs=logging.ERROR)
        clusters[workers] = (lc, Client(lc))
        print(f"LocalCluster of {workers} worker(s) started in {time.perf_counter() - t0:.1f} s")
    names = {1: "dask, 1 worker", 2: "dask, 2 workers"}
    numbered = "dask, 2 workers, ids numbered"
    runs: dict[str, list[float]] = {"local path (this process)": [], **{n: [] for n in
                                                                        names.values()},
                                    numbered: []}
    out = where / "out"
    for _ in range(opts.repeat):  # round-robin: drift in machine load hits every row alike
        runs["local path (this process)"].append(local_path(paths, out))
        for workers, name in names.items():
            runs[name].append(sharded(clusters[workers][1], pattern, out))
        runs[numbered].append(sharded(clusters[2][1], pattern, out, numbered=True))
    peaks = {w: sorted(c.run(_peak_kib).values()) for w, (_, c) in clusters.items()}
    for _, (lc, client) in clusters.items():
        client.close()
        lc.close()
    merged(str(out / "*.json"), where / "merged.json")  # the last run's (numbered) shards
    shutil.rmtree(out, ignore_errors=True)
    print(f"medians of {opts.repeat} runs:")
    med = {name: statistics.median(v) for name, v in runs.items()}
    for name, seconds in med.items():
        print(f"  {name:<28} {seconds:8.1f} s  {items / seconds:10,.0f} items/s")
    for w, kib in peaks.items():
        print(f"  worker peak RSS, {w} worker(s): "
              + ", ".join(f"{k / 1024:,.0f} MiB" for k in kib))
    print(f"  this process' peak RSS (local path): {_peak_kib() / 1024:,.0f} MiB")
    print(f"speed-up of 2 workers over 1: {med['dask, 1 worker'] / med['dask, 2 workers']:.2f}x; "
          f"1 worker / local path: {med['dask, 1 worker'] / med['local path (this process)']:.2f}x")


if __name__ == "__main__":
    main()
