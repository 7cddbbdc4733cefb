"""What progress reporting costs: ``annoformat.load`` with no progress, with a callback that
does nothing, and with the CLI's tqdm bars (to /dev/null), on COCO, YOLO and JSONL.

Usage: python benchmarks/bench_progress.py [COCO.json] [--repeat R] [--workdir DIR]

COCO.json is any instances file (benchmarks/generate_coco.py makes one); the YOLO dataset and
the JSONL file are converted from it once. Every run is a fresh interpreter timing the load
alone (imports excluded); the three modes run interleaved, round-robin, and the figures are
medians with the ratio to "off". On a busy machine those differ by more than what progress
costs, so the cost per item is also measured in one process (``per item``, always printed):
118,287 items (COCO-2017 train) through each way a reader counts, best and median of --repeat.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODES = ("off", "callback", "tqdm")

CHILD = """
import sys, time
import annoformat as af
path, mode = sys.argv[1], sys.argv[2]
progress = None
if mode == "callback":
    progress = lambda event: None
elif mode == "tqdm":
    from annoformat.cli import _Progress
    sys.stderr = open("/dev/null", "w")
    progress = _Progress(True).event
kwargs = {} if progress is None else {"progress": progress}  # "off" runs on older versions
start = time.perf_counter()
ds = af.load(path, **kwargs)
print(time.perf_counter() - start, len(ds.items))
"""


def prepare(coco: Path, workdir: Path) -> dict[str, Path]:
    """The three inputs: the COCO file, a YOLO dataset and an annoformat JSONL file."""
    workdir.mkdir(parents=True, exist_ok=True)
    inputs = {"coco": coco, "yolo": workdir / "yolo", "jsonl": workdir / "data.jsonl"}
    for fmt, dest in (("yolo", inputs["yolo"]), ("jsonl", inputs["jsonl"])):
        if not dest.exists():
            opts = "{'task': 'detect'}" if fmt == "yolo" else "{}"
            subprocess.run([sys.executable, "-c", "import annoformat as af; r = af.convert("
                            f"{str(coco)!r}, {str(dest)!r}, to={fmt!r}, allow_loss=True, "
                            f"media='none', options={opts}); assert r.written, r.report"],
                           check=True, cwd=REPO)
    return inputs


def run(path: Path, mode: str) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], check=True,
                         capture_output=True, text=True, cwd=REPO).stdout.split()
    return float(out[0]), int(out[1])


def per_item(repeat: int) -> None:
    """Nanoseconds per item of each way a reader's loop counts, against the plain loop."""
    from annoformat.progress import counter, reporting, track

    items = list(range(118_287))

    def plain() -> None:
        for _ in items:
            pass

    def tracked() -> None:
        for _ in track(items, "read"):
            pass

    def checked() -> None:
        count = counter("read", len(items))
        for _ in items:
            if count is not None:
                count.add()
        if count is not None:
            count.close()

    def noop(event: object) -> None:
        pass

    print(f"per item, {len(items):,} items, best / median of {repeat} (ns)")
    base = min(timeit.repeat(plain, number=1, repeat=repeat))
    for label, fn, on in (("plain loop", plain, False), ("track, off", tracked, False),
                          ("counter, off", checked, False), ("track, on", tracked, True),
                          ("counter, on", checked, True)):
        with reporting(noop if on else None):
            runs = timeit.repeat(fn, number=1, repeat=repeat)
        best, med = min(runs), statistics.median(runs)
        print(f"  {label:<14}{best / len(items) * 1e9:8.1f}{med / len(items) * 1e9:8.1f}"
              f"   {(best - base) * 1e3:+.1f} ms per 118k items")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("coco", type=Path, nargs="?")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/dev/shm/annoformat-progress"))
    args = parser.parse_args()
    per_item(max(args.repeat, 15))
    if args.coco is None:
        return 0
    inputs = prepare(args.coco, args.workdir)
    print(f"load, medians of {args.repeat} interleaved fresh-process runs (seconds)")
    print(f"{'format':<8}{'items':>9}" + "".join(f"{m:>11}" for m in MODES) + "   vs off")
    for name, path in inputs.items():
        times: dict[str, list[float]] = {m: [] for m in MODES}
        items = 0
        for _ in range(args.repeat):
            for mode in MODES:
                seconds, items = run(path, mode)
                times[mode].append(seconds)
        med = {m: statistics.median(v) for m, v in times.items()}
        ratios = " ".join(f"{med[m] / med['off']:.3f}" for m in MODES[1:])
        print(f"{name:<8}{items:>9}" + "".join(f"{med[m]:>11.3f}" for m in MODES)
              + f"   {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
