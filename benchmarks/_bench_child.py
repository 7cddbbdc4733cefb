"""One measured operation, run by bench_coco.py in a fresh interpreter.

Usage: python benchmarks/_bench_child.py OP SRC DST RESULT.json

Imports only the stdlib modules it needs, plus orjson (baselines) or annoformat (library ops),
so the process's peak RSS is the operation's plus a bare interpreter. Writes a JSON object to
RESULT.json: import and operation seconds, own ru_maxrss (KiB), a short result summary.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

Operation = Callable[[str, str], Any]


def baseline_a(src: str, dst: str) -> Any:
    import orjson

    with open(src, "rb") as fh:
        return orjson.loads(fh.read())


def baseline_b(src: str, dst: str) -> Any:
    import orjson

    with open(src, "rb") as fh:
        data = orjson.loads(fh.read())
    with open(dst, "wb") as fh:
        fh.write(orjson.dumps(data))
    return data


def baseline_b_nogc(src: str, dst: str) -> Any:
    """Baseline B with the cyclic GC off, as annoformat runs: the stricter floor."""
    import gc

    gc.disable()
    return baseline_b(src, dst)


def af_load(src: str, dst: str) -> Any:
    import annoformat

    return annoformat.load(src)


def af_validate(src: str, dst: str) -> Any:
    import annoformat

    return annoformat.validate(src)


def af_convert(src: str, dst: str) -> Any:
    import annoformat

    return annoformat.convert(src, dst, to="coco", overwrite=True)


OPERATIONS: dict[str, tuple[str, Operation]] = {
    "baseline_a": ("orjson", baseline_a),
    "baseline_b": ("orjson", baseline_b),
    "baseline_b_nogc": ("orjson", baseline_b_nogc),
    "load": ("annoformat", af_load),
    "validate": ("annoformat", af_validate),
    "convert": ("annoformat", af_convert),
}


def summarise(result: Any) -> dict[str, Any]:
    """A few cheap, JSON-safe facts about the result, to show that the operation did its job."""
    summary: dict[str, Any] = {"type": type(result).__name__}
    for attr in ("items", "annotations", "images"):
        value = result.get(attr) if isinstance(result, dict) else getattr(result, attr, None)
        if isinstance(value, list):
            summary[attr] = len(value)
    counts = getattr(result, "summary", None)
    if callable(counts):
        try:
            summary["summary"] = json.loads(json.dumps(counts(), default=str))
        except Exception as exc:  # the summary is informative only; never fail the run on it
            summary["summary"] = f"unavailable: {exc!r}"
    return summary


def main(argv: list[str]) -> int:
    op, src, dst, result_path = argv
    module, operation = OPERATIONS[op]
    start = time.perf_counter()
    __import__(module)
    imported = time.perf_counter()
    result = operation(src, dst)
    done = time.perf_counter()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    record = {
        "op": op,
        "import_s": imported - start,
        "op_s": done - imported,
        "self_maxrss": maxrss,
        "result": summarise(result),
    }
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(record, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
