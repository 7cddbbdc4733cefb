"""Benchmark the streaming JSONL readers/writers against orjson.loads over the same lines.

Usage::

    python benchmarks/bench_jsonl.py                      # 200,000 records, 3 runs
    python benchmarks/bench_jsonl.py --records 1000000    # the issue's 1M-record figure
    python benchmarks/bench_jsonl.py --smoke --repeat 1   # 5,000 records: checks the script

Each operation runs in a fresh interpreter (so peak RSS is its own), round-robin, ``--repeat``
times; medians are printed with ratios to the baseline measured in the same run:

* ``baseline``: ``for line in file: orjson.loads(line)`` - the floor for any line reader;
* ``native read``: ``jsonl.iter_items`` over annoformat's own JSONL (items validated by the IR
  model, spans checked), discarding each item - the streaming case; it keeps one hash per
  item id for the duplicate-id check;
* ``native stream``: the same with ``check_ids=False`` - nothing kept per record;
* ``doccano read``: ``doccano.iter_items`` over the same records in doccano's shape;
* ``native write``: ``jsonl.encode_lines`` over items made on the fly, written to a file;
* ``native load``: ``annoformat.load`` - the whole Dataset in memory (for scale, not flat).

``peak MiB`` is the child's peak RSS (``ru_maxrss`` from ``os.wait4``): flat memory means it
stays near the baseline's as ``--records`` grows.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
WORDS = ["Ada", "Lovelace", "visited", "London", "in", "1843", "with", "Charles", "Babbage",
         "😀", "Zürich", "the", "engine", "notes", "🇫🇷", "Paris", "and", "wrote", "a", "program"]

CHILD = r"""
import sys, time, resource
sys.path.insert(0, sys.argv[1])
op, path, out, n = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
import orjson
from pathlib import Path
from annoformat.diagnostics import Report
t0 = time.perf_counter()
count = 0
if op == "baseline":
    with open(path, "rb") as fh:
        for line in fh:
            orjson.loads(line)
            count += 1
elif op in ("native read", "native stream"):
    from annoformat.formats import jsonl
    check = op == "native read"
    for _ in jsonl.iter_items(Path(path), jsonl.Options(), Report(), check_ids=check):
        count += 1
elif op == "doccano read":
    from annoformat.formats import doccano
    from annoformat.formats._text import Labels
    for _ in doccano.iter_items(Path(path), doccano.Options(), Report(), Labels()):
        count += 1
elif op == "native write":
    from annoformat.formats import jsonl
    from annoformat.formats._text import write_lines
    from annoformat.model import Item, Span, Text, trusted, defaults_of
    def items():
        for i in range(n):
            text = f"Ada Lovelace visited London in {i} 😀 notes"
            yield Item(id=str(i), media=Text(text=text), annotations=[
                Span(label="PER", start=0, end=12), Span(label="LOC", start=21, end=27)])
    header = {"annoformat": "1", "labels": [{"name": "PER"}, {"name": "LOC"}], "info": {},
              "extras": {}}
    write_lines(Path(out), jsonl.encode_lines(items(), header, out, Report()), Report())
    count = n
elif op == "native load":
    import annoformat as af
    count = len(af.load(path, format="jsonl").items)
print(count, time.perf_counter() - t0)
"""


def generate(folder: Path, records: int, seed: int) -> tuple[Path, Path]:
    """A native JSONL and a doccano JSONL file with the same ``records`` documents."""
    native, doc = folder / f"native-{records}-{seed}.jsonl", folder / f"doccano-{records}.jsonl"
    if native.exists() and doc.exists():
        return native, doc
    rng = random.Random(seed)
    with native.open("wb") as fn, doc.open("wb") as fd:
        fn.write(orjson.dumps({"annoformat": "1", "labels": [{"name": "PER"}, {"name": "LOC"}],
                               "info": {}, "extras": {}}) + b"\n")
        for i in range(records):
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 30))]
            text = " ".join(words)
            spans, pos = [], 0
            for w in words:
                if w[0].isupper() and rng.random() < 0.3:
                    spans.append((pos, pos + len(w), rng.choice(["PER", "LOC"])))
                pos += len(w) + 1
            fn.write(orjson.dumps({"id": str(i), "media": {"kind": "text", "text": text},
                                   "annotations": [{"type": "span", "label": lab, "start": s,
                                                    "end": e} for s, e, lab in spans]}) + b"\n")
            fd.write(orjson.dumps({"id": i, "text": text,
                                   "label": [[s, e, lab] for s, e, lab in spans]}) + b"\n")
    return native, doc


def run_child(op: str, path: Path, out: Path, records: int) -> tuple[int, float, float, float]:
    """(count, in-process seconds, wall seconds, peak MiB) of one operation in a fresh child."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT / "src"), op, str(path),
                             str(out), str(records)], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stdout is not None
    output = proc.stdout.read().split()
    proc.stdout.close()
    if status != 0 or len(output) != 2:
        raise SystemExit(f"{op} failed (status {status})")
    peak = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1024**2
    return int(output[0]), float(output[1]), wall, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="5,000 records")
    parser.add_argument("--no-load", action="store_true", help="skip the in-memory load row")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    records = 5_000 if args.smoke else args.records
    default = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    work = args.workdir or default / f"annoformat-bench-jsonl-{os.getuid()}"
    work.mkdir(parents=True, exist_ok=True)
    native, doc = generate(work, records, args.seed)
    size = native.stat().st_size
    print(f"{records:,} records; native {size / 2**20:.1f} MiB, doccano "
          f"{doc.stat().st_size / 2**20:.1f} MiB; {args.repeat} run(s), medians")
    ops = [("baseline", native), ("native read", native), ("native stream", native),
           ("doccano read", doc),
           ("native write", native)]
    if not args.no_load:
        ops.append(("native load", native))
    results: dict[str, list[tuple[int, float, float, float]]] = {op: [] for op, _ in ops}
    for _ in range(args.repeat):
        for op, path in ops:
            results[op].append(run_child(op, path, work / "written.jsonl", records))
    base_t = statistics.median(r[1] for r in results["baseline"])
    base_m = statistics.median(r[3] for r in results["baseline"])
    print(f"{'operation':<14}{'in-proc s':>10}{'wall s':>9}{'rec/s':>12}{'MiB/s':>9}"
          f"{'peak MiB':>10}{'x time':>8}{'x mem':>7}")
    for op, rows in results.items():
        t = statistics.median(r[1] for r in rows)
        wall = statistics.median(r[2] for r in rows)
        mem = statistics.median(r[3] for r in rows)
        expected = records + 1 if op == "baseline" else records  # baseline parses the header
        assert all(r[0] == expected for r in rows), f"{op} saw {rows[0][0]} records"
        print(f"{op:<14}{t:>10.2f}{wall:>9.2f}{records / t:>12,.0f}{size / 2**20 / t:>9.1f}"
              f"{mem:>10.1f}{t / base_t:>8.2f}{mem / base_m:>7.2f}")


if __name__ == "__main__":
    main()
