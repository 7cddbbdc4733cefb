"""Streaming CVAT read: peak RSS and time on a >= 300 MB CVAT-for-images file beside a bare parse.

Usage: python benchmarks/cvat_stream.py [--images N --shapes M] [--repeat R] [--workdir DIR]
                                        [--before REV] [--timeout S] [--smoke]

The input is ``bench_cvat.generate``'s (stdlib ``random``, fixed seed, streamed to disk): by
default 150,000 images with 2,100,000 shapes (boxes, polygons, points, polylines, ellipses,
tags, a few masks; attributes on a third of the cars), about 317 MB, cached in the work
directory (default ``/dev/shm/annoformat-bench-<uid>``, else under ``/tmp``).

Each run of each operation is a fresh interpreter (this script with ``--child``); its peak RSS
is ``ru_maxrss`` of that child (``os.wait4``), its time the child's own clock around the
operation (imports excluded) and the whole process's wall time. Runs are interleaved
round-robin; the figures are medians over ``--repeat`` runs:

* ``lxml parse``: ``etree.parse(path)`` with annoformat's hardened parser settings: the baseline;
* ``annoformat load``: ``annoformat.load(path)`` (detection, streaming read with the XSD
  checks, semantic checks, the IR);
* ``annoformat validate``: ``annoformat.validate(path)`` (the same read, recording where each
  annotation is for project rules, then the dataset checks);
* with ``--before REV``: the same two operations with ``src/`` of git revision ``REV`` (e.g. the
  whole-file reader this replaced), exported with ``git archive`` into the work directory.
  A run that exceeds ``--timeout`` is reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
from bench_cvat import SEED, generate, make_workdir  # noqa: E402

FULL = (150_000, 2_100_000)
SMOKE = (2_000, 28_000)
MIB = 2**20


def child(op: str, src: str, result: str) -> None:
    """One measured operation in this (fresh) process."""
    start = time.perf_counter()
    record: dict[str, Any] = {"op": op}
    if op == "lxml":
        from lxml import etree

        imported = time.perf_counter()
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                 huge_tree=False)
        root = etree.parse(src, parser).getroot()
        record["summary"] = {"root children": sum(1 for _ in root)}
    else:
        import annoformat

        imported = time.perf_counter()
        if op.startswith("load"):
            ds = annoformat.load(src)
            record["summary"] = {"items": len(ds.items),
                                 "annotations": sum(len(i.annotations) for i in ds.items)}
        else:
            report = annoformat.validate(src)
            assert not report.has_errors, report.codes()[:5]
            record["summary"] = {"diagnostics": len(report.diagnostics)}
    done = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    record.update(import_s=imported - start, op_s=done - imported,
                  self_peak_bytes=rss * (1 if sys.platform == "darwin" else 1024))
    Path(result).write_text(json.dumps(record))


def run(op: str, src: Path, workdir: Path, srcdir: Path, timeout: float) -> dict[str, Any]:
    """Run ``op`` in a fresh interpreter importing annoformat from ``srcdir``."""
    res = workdir / f"result_{op}.json"
    res.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(srcdir), os.environ.get("PYTHONPATH", "")) if p))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(HERE), "--child", op, str(src), str(res)],
                            env=env)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            return {"op": op, "timed_out": True, "wall_s": time.perf_counter() - start,
                    "peak_bytes": usage.ru_maxrss * 1024}
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{op} failed with status {status}")
    record: dict[str, Any] = json.loads(res.read_text())
    rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    record.update(wall_s=wall, peak_bytes=rss)
    return record


def export_src(rev: str, workdir: Path) -> Path:
    """``src/`` (and the ``schemas/`` it reads) of git revision ``rev``, under ``workdir``."""
    out = workdir / f"src-{rev}"
    if not out.is_dir():
        archive = workdir / f"src-{rev}.tar"
        with archive.open("wb") as fh:
            subprocess.run(["git", "-C", str(REPO), "archive", rev, "src", "schemas"], stdout=fh,
                           check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(out, filter="data")
        archive.unlink()
    return out / "src"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int)
    parser.add_argument("--shapes", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--before", metavar="REV", help="also measure src/ of git revision REV")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--smoke", action="store_true", help=f"sizes {SMOKE}")
    parser.add_argument("--child", nargs=3, metavar=("OP", "SRC", "RESULT"))
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    images, shapes = SMOKE if args.smoke else FULL
    images, shapes = args.images or images, args.shapes or shapes
    workdir = make_workdir(args.workdir)
    gen = (HERE.parent / "bench_cvat.py").read_bytes()
    import hashlib

    digest = hashlib.sha256(gen).hexdigest()[:10]
    src = workdir / f"cvat_i{images}_s{shapes}_seed{SEED}_{digest}.xml"
    if not src.exists():
        start = time.perf_counter()
        generate(src, images, shapes)
        print(f"(input generated in {time.perf_counter() - start:.1f} s)", file=sys.stderr)
    ops: list[tuple[str, str, Path]] = [
        ("lxml", "baseline: lxml parse", REPO / "src"),
        ("load", "annoformat load", REPO / "src"),
        ("validate", "annoformat validate", REPO / "src")]
    if args.before:
        old = export_src(args.before, workdir)
        ops += [("load_before", f"load @ {args.before[:10]}", old),
                ("validate_before", f"validate @ {args.before[:10]}", old)]
    runs: dict[str, list[dict[str, Any]]] = {op: [] for op, _, _ in ops}
    for rep in range(args.repeat):
        for op, _, srcdir in ops:
            if runs[op] and runs[op][-1].get("timed_out"):
                continue  # once too slow, always too slow: do not spend the timeout again
            record = run(op, src, workdir, srcdir, args.timeout)
            runs[op].append(record)
            state = "TIMED OUT" if record.get("timed_out") else record["summary"]
            print(f"[{rep + 1}/{args.repeat}] {op}: {record['wall_s']:.2f} s, "
                  f"{record['peak_bytes'] / MIB:.0f} MiB, {state}", file=sys.stderr)
    size = src.stat().st_size
    print(f"CVAT streaming read: {images:,} images, {shapes:,} shapes, {size / MIB:.1f} MiB "
          f"({size / 1e6:.0f} MB); medians of {args.repeat} fresh-process runs")
    base_op = statistics.median(r["op_s"] for r in runs["lxml"])
    base_rss = statistics.median(r["peak_bytes"] for r in runs["lxml"])
    print(f"{'operation':<26}{'op s':>8}{'x lxml':>8}{'wall s':>8}{'peak MiB':>10}"
          f"{'x file':>8}{'x lxml':>8}")
    for op, label, _ in ops:
        done = [r for r in runs[op] if not r.get("timed_out")]
        if not done:
            r = runs[op][0]
            print(f"{label:<26}  timed out after {r['wall_s']:.0f} s at "
                  f"{r['peak_bytes'] / MIB:.0f} MiB")
            continue
        op_s = statistics.median(r["op_s"] for r in done)
        wall = statistics.median(r["wall_s"] for r in done)
        rss = statistics.median(r["peak_bytes"] for r in done)
        print(f"{label:<26}{op_s:>8.2f}{op_s / base_op:>8.2f}{wall:>8.2f}{rss / MIB:>10.0f}"
              f"{rss / size:>8.2f}{rss / base_rss:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
