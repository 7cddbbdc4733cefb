"""Start-up cost of `annoformat validate` on one small file, as a pre-commit hook pays it.

Usage: python benchmarks/bench_startup.py [--repeat 15] [FILE]

Runs `python -c pass` (the floor), `python -c "import annoformat"` and
`python -m annoformat.cli validate FILE` alternately in fresh processes and prints the median
wall time of each and its ratio to the floor. Target (issue 6): validate well under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "fixtures" / "coco" / "good" / "minimal" / "annotations.json"


# an installed package has its bytecode cached; some sandboxes set this variable, which would
# make every run recompile annoformat and its dependencies
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import annoformat": [sys.executable, "-c", "import annoformat"],
        "annoformat validate FILE": [sys.executable, "-m", "annoformat.cli", "validate",
                                     str(args.file)],
    }
    for cmd in commands.values():  # warm the file cache and write bytecode once
        _time(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, cmd in commands.items():
            times[name].append(_time(cmd))
    floor = statistics.median(times["python -c pass"])
    print(f"start-up, medians of {args.repeat} interleaved fresh processes ({args.file.name})")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<28} {median * 1000:8.1f} ms   {median / floor:5.1f}x python -c pass")
    verdict = statistics.median(times["annoformat validate FILE"])
    print(f"target: validate < 500 ms: {'PASS' if verdict < 0.5 else 'FAIL'} ({verdict:.3f} s)")


if __name__ == "__main__":
    main()
