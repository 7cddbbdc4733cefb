"""COCO-2017-train-scale benchmark of annoformat against plain orjson.

Usage: python benchmarks/bench_coco.py [--images N --annotations M] [--repeat R]
                                       [--workdir DIR] [--json OUT] [--smoke]

Every run of every operation is a fresh interpreter (benchmarks/_bench_child.py), so peak RSS is
the whole process's; the parent takes it from os.wait4() and times the whole process (start to
exit, interpreter start-up, imports and teardown included). Runs are interleaved round-robin and
the figures are medians over --repeat runs. annoformat is only ever imported in the children.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATOR = HERE / "generate_coco.py"
CHILD = HERE / "_bench_child.py"
FULL_SIZE = (118_287, 860_001)
SMOKE_SIZE = (2_000, 15_000)
SEED = 2017
TIME_TARGET = 4.0  # convert wall time <= 4x baseline B
MEMORY_TARGET = 1.5  # convert peak RSS <= 1.5x baseline A
MIB = 2**20

# (key, label, needs annoformat)
OPERATIONS: tuple[tuple[str, str, bool], ...] = (
    ("baseline_a", "baseline A: orjson.loads", False),
    ("baseline_b", "baseline B: orjson loads+dumps+write", False),
    ("baseline_b_nogc", "baseline B': B with the GC off", False),
    ("load", "annoformat.load", True),
    ("validate", "annoformat.validate", True),
    ("convert", "annoformat.convert coco->coco", True),
)


@dataclass
class Run:
    """One child process: whole-process wall time and peak RSS, plus what it reported."""

    wall_s: float
    maxrss_bytes: int
    import_s: float
    op_s: float
    result: dict[str, Any]


@dataclass
class OpFigures:
    key: str
    label: str
    status: str = "ok"  # ok | skipped | failed
    note: str = ""
    runs: list[Run] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(float(getattr(run, attr)) for run in self.runs)


# --------------------------------------------------------------------------- setup


def default_workdir() -> Path:
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/tmp")
    return base / f"annoformat-bench-{os.getuid()}"


def child_env() -> dict[str, str]:
    """The caller's environment with the working tree's src/ first on the import path."""
    env = dict(os.environ)
    paths = [str(REPO / "src"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def dataset_path(workdir: Path, images: int, annotations: int) -> Path:
    """Cache key: sizes, seed and a hash of the generator, so a changed generator regenerates."""
    digest = hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:10]
    return workdir / f"coco_i{images}_a{annotations}_s{SEED}_{digest}.json"


def ensure_dataset(path: Path, images: int, annotations: int) -> float | None:
    """Generate the input unless cached; return the generation time, or None when cached."""
    if path.exists():
        log(f"using cached {path}")
        return None
    log(f"generating {path} ...")
    start = time.perf_counter()
    cmd = [sys.executable, str(GENERATOR), str(path), "--images", str(images)]
    cmd += ["--annotations", str(annotations), "--seed", str(SEED)]
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start


def probe_annoformat(env: dict[str, str]) -> str | None:
    """None if annoformat imports in a child, else the last line of the error."""
    proc = subprocess.run(
        [sys.executable, "-c", "import annoformat"], env=env, capture_output=True, text=True
    )
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- running


def maxrss_to_bytes(value: int) -> int:
    return value if sys.platform == "darwin" else value * 1024


def run_child(key: str, src: Path, workdir: Path, env: dict[str, str], timeout: float) -> Run:
    """Run one operation in a fresh interpreter; raise RuntimeError if it fails or times out."""
    dst = workdir / f"out_{key}.json"
    result_path = workdir / f"result_{key}.json"
    stderr_path = workdir / f"stderr_{key}.txt"
    result_path.unlink(missing_ok=True)
    cmd = [sys.executable, str(CHILD), key, str(src), str(dst), str(result_path)]
    with stderr_path.open("wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        _, status, usage = os.wait4(proc.pid, 0)  # reaps the child and gives its own rusage
        wall = time.perf_counter() - start
        watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    dst.unlink(missing_ok=True)  # outputs live in RAM on /dev/shm; do not let them pile up
    if proc.returncode == -signal.SIGKILL and wall >= timeout:
        raise RuntimeError(f"killed after the {timeout:g} s timeout")
    if proc.returncode != 0 or not result_path.exists():
        tail = stderr_path.read_text(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"exit status {proc.returncode}: {' '.join(tail)}")
    record = json.loads(result_path.read_text())
    return Run(
        wall_s=wall,
        maxrss_bytes=maxrss_to_bytes(usage.ru_maxrss),
        import_s=record["import_s"],
        op_s=record["op_s"],
        result=record["result"],
    )


def run_all(
    figures: list[OpFigures], src: Path, env: dict[str, str], args: argparse.Namespace
) -> None:
    """Round-robin over the operations, so drift (thermal, page cache) hits them alike."""
    repeat = args.repeat
    for rep in range(1, repeat + 1):
        for fig in figures:
            if fig.status != "ok":
                continue
            try:
                run = run_child(fig.key, src, args.workdir, env, args.timeout)
            except RuntimeError as exc:
                fig.status, fig.note = "failed", str(exc)
                log(f"[{rep}/{repeat}] {fig.key}: FAILED {exc}")
                continue
            fig.runs.append(run)
            log(
                f"[{rep}/{repeat}] {fig.key}: {run.wall_s:.2f} s, "
                f"{run.maxrss_bytes / MIB:.0f} MiB, {run.result}"
            )


def make_figures(annoformat_error: str | None) -> list[OpFigures]:
    figures = [OpFigures(key, label) for key, label, _ in OPERATIONS]
    for fig, (_, _, needs_af) in zip(figures, OPERATIONS, strict=True):
        if needs_af and annoformat_error is not None:
            fig.status, fig.note = "skipped", "annoformat not importable: skipped"
    return figures


# --------------------------------------------------------------------------- reporting


def by_key(figures: list[OpFigures]) -> dict[str, OpFigures]:
    return {fig.key: fig for fig in figures}


def ratio(fig: OpFigures, base: OpFigures, attr: str) -> float | None:
    if not (fig.runs and base.runs and fig.status == base.status == "ok"):
        return None
    return fig.median(attr) / base.median(attr)


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table_rows(figures: list[OpFigures]) -> list[list[str]]:
    keyed = by_key(figures)
    base_a, base_b = keyed["baseline_a"], keyed["baseline_b"]
    rows = [["operation", "wall s", "x B", "in-proc s", "import s", "peak MiB", "x A"]]
    for fig in figures:
        if fig.status != "ok" or not fig.runs:
            rows.append([fig.label, fig.note or fig.status])
            continue
        rows.append(
            [
                fig.label,
                f"{fig.median('wall_s'):.2f}",
                fmt(ratio(fig, base_b, "wall_s"), ".2f"),
                f"{fig.median('op_s'):.2f}",
                f"{fig.median('import_s'):.2f}",
                f"{fig.median('maxrss_bytes') / MIB:.0f}",
                fmt(ratio(fig, base_a, "maxrss_bytes"), ".2f"),
            ]
        )
    return rows


def render_table(rows: list[list[str]]) -> str:
    full = [row for row in rows if len(row) == len(rows[0])]
    widths = [max(len(row[i]) for row in full) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        if len(row) != len(widths):
            lines.append(f"{row[0]:<{widths[0]}}  {row[1]}")
            continue
        numbers = [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        cells = [row[0].ljust(widths[0]), *numbers]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def targets(figures: list[OpFigures]) -> list[dict[str, Any]]:
    keyed = by_key(figures)
    convert = keyed["convert"]
    checks = [
        ("convert wall time <= 4x baseline B", keyed["baseline_b"], "wall_s", TIME_TARGET),
        ("convert wall time <= 4x baseline B' (GC off, stricter)", keyed["baseline_b_nogc"],
         "wall_s", TIME_TARGET),
        ("convert peak RSS <= 1.5x baseline A", keyed["baseline_a"], "maxrss_bytes", MEMORY_TARGET),
    ]
    out = []
    for name, base, attr, limit in checks:
        value = ratio(convert, base, attr)
        verdict = "SKIPPED" if value is None else "PASS" if value <= limit else "FAIL"
        if convert.status == "failed":
            verdict = "FAIL"
        out.append({"target": name, "limit": limit, "ratio": value, "verdict": verdict})
    return out


def render_targets(results: list[dict[str, Any]]) -> str:
    lines = []
    for t in results:
        shown = "n/a" if t["ratio"] is None else f"{t['ratio']:.2f}x"
        lines.append(f"target: {t['target']:<38} {shown:>7}  {t['verdict']}")
    return "\n".join(lines)


def header(src: Path, images: int, annotations: int, repeat: int) -> str:
    size = src.stat().st_size / MIB
    return (
        f"COCO benchmark: {images:,} images, {annotations:,} annotations, {size:.1f} MiB "
        f"({src}); medians of {repeat} fresh-process runs; wall = whole process"
    )


def dump_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))


def payload(
    args: argparse.Namespace, src: Path, gen_s: float | None, figures: list[OpFigures]
) -> dict[str, Any]:
    ops = {}
    for fig in figures:
        entry: dict[str, Any] = {"label": fig.label, "status": fig.status, "note": fig.note}
        entry["runs"] = [asdict(run) for run in fig.runs]
        if fig.status == "ok" and fig.runs:
            for attr in ("wall_s", "op_s", "import_s", "maxrss_bytes"):
                entry[f"median_{attr}"] = fig.median(attr)
        ops[fig.key] = entry
    return {
        "images": args.images,
        "annotations": args.annotations,
        "seed": SEED,
        "input": str(src),
        "input_bytes": src.stat().st_size,
        "generation_s": gen_s,
        "repeat": args.repeat,
        "python": sys.version,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "operations": ops,
        "targets": targets(figures),
    }


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, help=f"default {FULL_SIZE[0]:,}")
    parser.add_argument("--annotations", type=int, help=f"default {FULL_SIZE[1]:,}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per operation (median)")
    parser.add_argument("--workdir", type=Path, default=None, help="default under /dev/shm")
    parser.add_argument("--json", type=Path, default=None, help="also dump figures here")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument(
        "--smoke", action="store_true", help=f"small sizes {SMOKE_SIZE} for a quick check"
    )
    args = parser.parse_args(argv)
    sizes = SMOKE_SIZE if args.smoke else FULL_SIZE
    args.images = sizes[0] if args.images is None else args.images
    args.annotations = sizes[1] if args.annotations is None else args.annotations
    args.workdir = args.workdir or default_workdir()
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    src = dataset_path(args.workdir, args.images, args.annotations)
    gen_s = ensure_dataset(src, args.images, args.annotations)
    env = child_env()
    error = probe_annoformat(env)
    if error is not None:
        log(f"annoformat not importable ({error}): library rows skipped")
    figures = make_figures(error)
    run_all(figures, src, env, args)
    print(header(src, args.images, args.annotations, args.repeat))
    if gen_s is not None:
        print(f"(input generated in {gen_s:.1f} s)")
    print(render_table(table_rows(figures)))
    print(render_targets(targets(figures)))
    if args.json:
        dump_json(args.json, payload(args, src, gen_s, figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
