"""Start-up cost of `annoformat validate` on one small file, as a pre-commit hook pays it.

Usage: python benchmarks/bench_startup.py [--repeat 15] [--top 15] [--no-timing] [FILE ...]

Three parts, each in fresh processes of this interpreter:

1. Time. `python -c pass` (the floor), `python -c "import annoformat"`, two reference rows
   (orjson and the pydantic names the IR uses, which every `validate` imports before
   annoformat's own code; and `import annoformat.model`, the IR itself) and
   `annoformat validate FILE` for each FILE (default: a small COCO, YOLO and CVAT fixture), run
   alternately --repeat times (at least 15 for a verdict); prints the median wall time and CPU
   time (user + system, from `os.wait4`) of each and their ratios to the floor's. The budget is
   on wall time; the CPU ratios move less on a shared machine.
2. Imports. `python -X importtime` of `import annoformat` and of each validate run: the
   --top imports by cumulative time, each with the chain that imported it (the "why").
3. Budget. Fails (exit status 1) when a median exceeds its budget, as a ratio to the floor
   measured in the same run (--budget-import, --budget-validate), or when a run imports a module
   its input does not need (heavy dependencies only the file's own format may pull in; click,
   importlib.metadata and the writers for any validate) or more modules than its budget (the
   default files). The module checks are deterministic; --no-timing runs only them and the
   import listing (a few seconds), a smoke check for CI.

`annoformat` is run as the installed console script (what pre-commit runs), beside this
interpreter; without one, as `python -m annoformat`.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
#: what no validate run of a small file needs: click (the console script parses simple
#: arguments itself), importlib.metadata (imported by pydantic's plugin scan the first time a
#: validator is built, and by plugin discovery: a run builds none and finds no plugin), the
#: writers
_NO_VALIDATE = ("click", "importlib.metadata", "annoformat.formats.coco._write",
                "annoformat.formats.voc._write", "annoformat.formats.yolo._write",
                "annoformat.formats.cvat._write")
#: one small file per format family: (path, modules its validate run must not import, how many
#: modules it may import: a deterministic import budget, about 5% above what it takes). They are
#: validated where they are, so the project rules of this repository apply (its pyproject.toml
#: counts as a config: tomllib, and jsonschema_rs for the config's schema, load for every file)
DEFAULTS: list[tuple[Path, tuple[str, ...], int | None]] = [
    (FIXTURES / "coco" / "good" / "minimal" / "annotations.json",
     ("numpy", "pycocotools", "lxml", "yaml", "PIL", "tqdm", "imagesize", "annoformat.labelmap",
      "annoformat._output", *_NO_VALIDATE), 250),
    (FIXTURES / "yolo" / "good" / "ultralytics-detect" / "dataset",
     ("numpy", "pycocotools", "lxml", "PIL", "tqdm", "annoformat.labelmap", "annoformat._output",
      *_NO_VALIDATE), 297),
    (FIXTURES / "cvat" / "good" / "images-project-subsets" / "annotations.xml",
     ("numpy", "pycocotools", "yaml", "PIL", "tqdm", "imagesize", "annoformat.labelmap",
      "annoformat._output", *_NO_VALIDATE), 233),
]
#: what `import annoformat` alone may import: nothing of its dependencies
IMPORT_FORBIDDEN = ("pydantic", "click", "orjson", "numpy", "pycocotools", "lxml", "yaml", "PIL",
                    "tqdm", "imagesize", "jsonschema_rs", "annoformat.model",
                    "annoformat.convert")
#: reference rows: what every validate run imports before annoformat's own modules (orjson,
#: pydantic and the pydantic names the IR uses), and the IR itself (those and its classes)
DEPENDENCIES = "orjson + pydantic"
IR = "import annoformat.model (the IR)"
#: budgets, as ratios of medians to `python -c pass` in the same run
BUDGET_IMPORT = 4.0
BUDGET_VALIDATE = 10.0
#: fewer runs than this give no budget verdict (a median of a few runs on a shared machine)
MIN_REPEAT = 15

# an installed package has its bytecode cached; some sandboxes set this variable, which would
# make every run recompile annoformat and its dependencies
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _annoformat() -> list[str]:
    script = Path(sys.executable).with_name("annoformat")
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "annoformat"]


def _time(cmd: list[str]) -> tuple[float, float]:
    """Wall time of ``cmd`` and the CPU time (user + system) it used, in seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


@dataclass
class Import:
    """One line of `-X importtime`: a module, its own and cumulative microseconds, its chain."""

    name: str
    self_us: int
    cumulative_us: int
    depth: int
    chain: list[str] = field(default_factory=list)  # importers, outermost first


_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)\s*$")


def importtime(cmd: list[str]) -> list[Import]:
    """Run ``cmd`` (a Python command line without the interpreter) under ``-X importtime``.

    A module with an empty chain was imported by the script itself or at run time (from a
    function), not while another module was being imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *cmd], check=False,
                          capture_output=True, text=True, env=ENV)
    rows: list[Import] = []
    for line in proc.stderr.splitlines():
        m = _LINE.match(line)
        if m:
            depth = len(m.group(3)) // 2
            rows.append(Import(m.group(4), int(m.group(1)), int(m.group(2)), depth))
    # children are printed before their importer, one level deeper: walk backwards
    stack: list[Import] = []
    for row in reversed(rows):
        while stack and stack[-1].depth >= row.depth:
            stack.pop()
        row.chain = [s.name for s in stack]
        stack.append(row)
    return rows


def _top(rows: list[Import], n: int) -> list[str]:
    out = []
    for row in sorted(rows, key=lambda r: -r.cumulative_us)[:n]:
        why = " <- ".join(reversed(row.chain)) if row.chain else "-"
        out.append(f"  {row.cumulative_us / 1000:7.1f} ms  {row.name:<36} {why}")
    return out


def _forbidden(rows: list[Import], names: tuple[str, ...]) -> list[str]:
    """Each of ``names`` that was imported (itself or a submodule), with the chain that did."""
    found = []
    for name in names:
        hits = [r for r in rows if r.name == name or r.name.startswith(name + ".")]
        if hits:  # the outermost import of the package says best why it is there
            row = min(hits, key=lambda r: r.depth)
            found.append(f"{name} ({' <- '.join([row.name, *reversed(row.chain)])})")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path,
                        help="inputs to validate (default: a COCO, a YOLO and a CVAT fixture)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--top", type=int, default=15, help="imports listed per command")
    parser.add_argument("--no-timing", action="store_true",
                        help="only the import listing and the module check (CI smoke check)")
    parser.add_argument("--budget-import", type=float, default=BUDGET_IMPORT, metavar="X",
                        help=f"import annoformat <= X times python -c pass ({BUDGET_IMPORT})")
    parser.add_argument("--budget-validate", type=float, default=BUDGET_VALIDATE, metavar="X",
                        help=f"each validate <= X times python -c pass ({BUDGET_VALIDATE})")
    args = parser.parse_args()
    files = ([(f, (), None) for f in args.files] if args.files else DEFAULTS)
    cli = _annoformat()
    validates = {f"validate {f.name}": [*cli, "validate", str(f)] for f, _, _ in files}
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "import annoformat": [sys.executable, "-c", "import annoformat"],
                DEPENDENCIES: [sys.executable, "-c", "import orjson\n"
                               "from pydantic import BaseModel, ConfigDict, Field, JsonValue"],
                IR: [sys.executable, "-c", "import annoformat.model"],
                **validates}
    failures: list[str] = []

    # imports: what each command loads, the slowest first, and the modules it must not load
    for cmd in commands.values():  # warm the file cache and write bytecode once
        _time(cmd)
    checks = [("import annoformat", ["-c", "import annoformat"], IMPORT_FORBIDDEN, None)]
    checks += [(name, [*cli[1:], "validate", str(f)], forbidden, most)
               for (name, _), (f, forbidden, most) in zip(validates.items(), files, strict=True)]
    for name, cmd, forbidden, most in checks:
        rows = importtime(cmd)
        if most is not None and len(rows) > most:
            failures.append(f"{name} imports {len(rows)} modules, more than its {most}")
        ours = sum(r.cumulative_us for r in rows if r.depth == 0) / 1000
        print(f"{name}: {len(rows)} modules imported, {ours:.1f} ms by -X importtime; "
              f"top {args.top} by cumulative time (imported by):")
        print("\n".join(_top(rows, args.top)))
        for bad in _forbidden(rows, forbidden):
            failures.append(f"{name} imports {bad}")
    if args.no_timing:
        return _verdict(failures)

    # wall and CPU time: interleaved fresh processes, the floor measured in the same rounds
    if args.repeat < MIN_REPEAT:
        failures.append(f"--repeat {args.repeat}: a budget verdict needs medians of at least "
                        f"{MIN_REPEAT} runs")
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, cmd in commands.items():
            wall, cpu = _time(cmd)
            walls[name].append(wall)
            cpus[name].append(cpu)
    floor = statistics.median(walls["python -c pass"])
    cpu_floor = statistics.median(cpus["python -c pass"])
    print(f"\nstart-up, medians of {args.repeat} interleaved fresh processes (Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}); "
          "the budget is on wall time, CPU time (user + system) is less moved by a busy machine")
    print(f"{'command':<34} {'wall ms':>8}   {'x pass':>6}   {'CPU ms':>7}   {'x pass':>6}")
    for name in commands:
        median, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        budget = (args.budget_import if name == "import annoformat"
                  else args.budget_validate if name in validates else None)
        verdict = ""
        if budget is not None:
            ok = median <= budget * floor
            verdict = f"   budget {budget:g}x: {'ok' if ok else 'OVER'}"
            if not ok:
                failures.append(f"{name}: {median / floor:.1f}x python -c pass > {budget:g}x")
        print(f"{name:<34} {median * 1000:8.1f}   {median / floor:5.1f}x   {cpu * 1000:7.1f}   "
              f"{cpu / cpu_floor:5.1f}x{verdict}")
    return _verdict(failures)


def _verdict(failures: list[str]) -> int:
    print("\nbudget: " + ("PASS" if not failures else "FAIL"))
    for failure in failures:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
