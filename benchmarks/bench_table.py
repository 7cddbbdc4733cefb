"""Issue #16's table in one command: every conversion beside its hand-written floor.

Usage: python benchmarks/bench_table.py [--smoke] [--repeat R]

Runs, one after another, ``bench_coco.py``, ``bench_yolo.py --no-disk``, ``bench_voc.py
--no-disk`` (``--jobs 1,2``) and ``bench_cvat.py`` with ``--json`` (each in fresh processes,
its rows interleaved with its own floor, ``--repeat`` times), then prints one table: each task,
annoformat's median wall time and peak RSS as ratios to the floor measured in the same script
run, and the issue's target. Every figure is a ratio within one script's run, so the machine's
load drifting between scripts does not bias a row; it still widens the spread, so quote the
table from a quiet machine.

At full size (COCO-2017-train: 118,287 images, 860,001 objects; CVAT: 100,000 images, 800,000
shapes) a run takes 30 to 60 minutes and several GiB; ``--smoke`` runs the small sizes (a check
that the scripts and this table still fit together, not figures).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: (task, target on time, target on memory or None)
TARGETS = {
    "COCO load": (1.5, None),
    "validate COCO": (1.5, None),
    "COCO -> COCO": (1.5, 1.5),
    "COCO -> YOLO, detect (jobs 1)": (1.5, None),
    "COCO -> YOLO, detect (jobs 2)": (1.5, None),
    "COCO -> YOLO, segment (jobs 1)": (1.5, None),
    "COCO -> YOLO, segment (jobs 2)": (1.5, None),
    "YOLO -> COCO (jobs 1)": (1.5, 1.5),
    "YOLO -> COCO (jobs 2)": (1.5, 1.5),
    "COCO -> VOC (jobs 1)": (1.5, None),
    "COCO -> VOC (jobs 2)": (1.5, None),
    "VOC -> COCO (jobs 1)": (1.5, 1.5),
    "VOC -> COCO (jobs 2)": (1.5, 1.5),
    "CVAT -> COCO": (1.5, None),
    "CVAT read vs a bare lxml parse": (2.5, None),
}


def _run(script: str, args: list[str], out: Path) -> Any:
    cmd = [sys.executable, str(HERE / script), *args, "--json", str(out)]
    print("$", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def _coco(doc: Any) -> dict[str, tuple[float, float]]:
    ops = doc["operations"]

    def ratio(op: str, base: str) -> tuple[float, float]:
        return (ops[op]["median_wall_s"] / ops[base]["median_wall_s"],
                ops[op]["median_maxrss_bytes"] / ops["baseline_a"]["median_maxrss_bytes"])

    # load against parsing alone; validate and convert against parse + dump + write, GC off
    return {"COCO load": ratio("load", "baseline_a"),
            "validate COCO": ratio("validate", "baseline_b_nogc"),
            "COCO -> COCO": ratio("convert", "baseline_b_nogc")}


def _yolo(doc: Any) -> dict[str, tuple[float, float]]:
    out = {}
    for r in doc["rows"]:
        if r["where"] != "shm" or not r["op"].startswith("af_"):
            continue
        # af_coco2yolo_segment_jobs2 -> "COCO -> YOLO, segment (jobs 2)"
        direction, *task, jobs = r["op"].removeprefix("af_").split("_")
        name = "COCO -> YOLO" if direction == "coco2yolo" else "YOLO -> COCO"
        task_name = f", {task[0]}" if task else ""
        out[f"{name}{task_name} (jobs {jobs.removeprefix('jobs')})"] = (r["x_floor_wall"],
                                                                       r["x_floor_mem"])
    return out


def _voc(doc: Any) -> dict[str, tuple[float, float]]:
    import statistics

    fig = doc["figures"]

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in fig[name])

    out = {}
    for task, tag in (("COCO -> VOC", "COCO->VOC"), ("VOC -> COCO", "VOC->COCO")):
        floor = f"{tag} floor (shm)"
        for jobs in (1, 2):
            row = f"{tag} af jobs={jobs} (shm)"
            if row in fig:
                out[f"{task} (jobs {jobs})"] = (med(row, "wall_s") / med(floor, "wall_s"),
                                                med(row, "rss") / med(floor, "rss"))
    return out


def _cvat(doc: Any) -> dict[str, tuple[float, float]]:
    rows = {r["op"]: r for r in doc["rows"]}
    return {"CVAT -> COCO": (rows["coco"]["x_base_wall"], rows["coco"]["x_base_mem"]),
            "CVAT read vs a bare lxml parse": (rows["read"]["x_base_wall"],
                                               rows["read"]["x_base_mem"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="the scripts' small sizes")
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    common = ["--repeat", str(opts.repeat)] + (["--smoke"] if opts.smoke else [])
    ratios: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="annoformat-bench-table-") as tmp:
        out = Path(tmp)
        ratios |= _coco(_run("bench_coco.py", common, out / "coco.json"))
        ratios |= _yolo(_run("bench_yolo.py", [*common, "--no-disk"], out / "yolo.json"))
        ratios |= _voc(_run("bench_voc.py", [*common, "--no-disk", "--jobs", "1,2"],
                            out / "voc.json"))
        ratios |= _cvat(_run("bench_cvat.py", common, out / "cvat.json"))
    print(f"medians of {opts.repeat} fresh-process runs"
          + (" (smoke sizes: not figures)" if opts.smoke else ""))
    print(f"{'task':<32}{'time / floor':>14}{'target':>8}{'peak / floor':>14}{'target':>8}")
    for task, (time_target, mem_target) in TARGETS.items():
        if task not in ratios:
            print(f"{task:<32}{'(no row)':>14}")
            continue
        t, m = ratios[task]
        t_mark = "ok" if t <= time_target else "over"
        m_mark = "" if mem_target is None else ("ok" if m <= mem_target else "over")
        print(f"{task:<32}{t:>13.2f}x{f'{time_target}x {t_mark}':>12}{m:>13.2f}x"
              f"{(f'{mem_target}x {m_mark}' if mem_target else ''):>12}")


if __name__ == "__main__":
    main()
