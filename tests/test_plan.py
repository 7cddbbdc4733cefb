"""Loss is planned once, by the target format, before writing; writers only write.

* every AF5xx of a conversion is a fact of the target's plan, and each fact is reported once;
* an annotation has one fate: it is not both approximated and dropped;
* writers report no loss, checked by running every writer on every good fixture and by reading
  the writers' source.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

import annoformat as af
from annoformat.convert import record_plan
from annoformat.diagnostics import Report
from annoformat.registry import PLUGINS, get_format, parse_options

from conftest import Case, fixture_cases

GOOD = fixture_cases("good")
TARGETS = sorted(n for n in af.list_formats() if n not in PLUGINS)
#: codes that say what became of an annotation: at most one per annotation
FATES = {"AF501", "AF502", "AF516", "AF517", "AF523"}


def _read(case: Case) -> af.Dataset:
    fmt = get_format(case.format)
    opts = case.folder / "options.json"
    values = json.loads(opts.read_text()) if opts.exists() else {}
    report = Report()
    ds = fmt.read(case.input, parse_options(fmt, values), report)
    assert ds is not None, report.codes()
    return ds


def _fact_key(code: str, ctx: dict[str, Any]) -> tuple[str, str]:
    return code, repr(sorted((k, repr(v)) for k, v in ctx.items() if k not in ("count", "ids")))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", GOOD, ids=[c.id for c in GOOD])
def test_every_loss_finding_is_a_fact_of_the_plan_reported_once(
        case: Case, target: str, tmp_path: Path) -> None:
    fmt = get_format(target)
    dest = tmp_path / f"out{fmt.extensions[0] if fmt.extensions else ''}"
    opts = fmt.options_for(parse_options(fmt, {}), dest)
    result = af.convert(case.input, dest,
                        to=target, from_=case.format, allow_loss=True,
                        read_options=json.loads((case.folder / "options.json").read_text())
                        if (case.folder / "options.json").exists() else None)
    found = [_fact_key(d.code, d.ctx) for d in result.report if d.code.startswith("AF5")]
    assert len(found) == len(set(found)), "a loss fact was reported twice"
    if result.source_format is None or any(d.code.startswith("AF0") for d in result.report):
        return
    ds = _read(case)
    recorded = Report()
    record_plan(fmt.plan_loss(ds, opts), recorded, allow_loss=True)
    planned = sorted(_fact_key(d.code, d.ctx) for d in recorded)
    assert sorted(found) == planned
    # parts of one COCO object share its id: an annotation is its name and its type
    fates: dict[tuple[str, str], str] = {}
    for d in result.report:
        if d.code in FATES:
            for where in d.ctx.get("ids", []):
                key = (where, str(d.ctx.get("kind")).removeprefix("unlabelled "))
                if where != "...":
                    assert key not in fates, f"{key}: {fates[key]} and {d.code}"
                    fates[key] = d.code


@pytest.mark.parametrize("target", TARGETS)
def test_writers_report_no_loss_when_run_alone(target: str, tmp_path: Path) -> None:
    fmt = get_format(target)
    opts = parse_options(fmt, {})
    for n, case in enumerate(GOOD):
        ds = _read(case)
        report = Report()
        dest = tmp_path / f"{n}-{case.name}{fmt.extensions[0] if fmt.extensions else ''}"
        fmt.write(ds, dest, opts, report)
        assert [c for c in report.codes() if c.startswith("AF5")] == [], case.id


def _functions(files: list[Path]) -> dict[str, list[ast.AST]]:
    found: dict[str, list[ast.AST]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.setdefault(node.name, []).append(node)
    return found


def _reachable_loss_codes(files: list[Path], start: set[str]) -> set[str]:
    """AF5xx literals in the functions reachable (by called name) from ``start``."""
    functions = _functions(files)
    seen: set[str] = set()
    todo = [n for n in start if n in functions]
    codes: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for fn in functions[name]:
            for node in ast.walk(fn):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                        node.value.startswith("AF5") and len(node.value) == 5):
                    codes.add(node.value)
                if isinstance(node, ast.Call):
                    func = node.func
                    called = func.id if isinstance(func, ast.Name) else (
                        func.attr if isinstance(func, ast.Attribute) else None)
                    if called in functions and called not in seen:
                        todo.append(called)
    return codes


@pytest.mark.parametrize("target", TARGETS)
def test_writer_source_has_no_loss_codes(target: str) -> None:
    fmt = get_format(target)
    module = Path(af.__file__).parent / "formats" / target.replace("-", "_")
    files = sorted(module.rglob("*.py")) if module.is_dir() else [module.with_suffix(".py")]
    writer_files = [f for f in files if f.name.startswith(("_write", "_emit"))]
    for path in writer_files:
        assert '"AF5' not in path.read_text(), path
    start = {fmt.write.__name__}
    for path in writer_files:
        start |= set(_functions([path]))
    assert _reachable_loss_codes(files, start) == set()


def test_the_source_check_sees_a_loss_code_in_a_writer(tmp_path: Path) -> None:
    mod = tmp_path / "fmt.py"
    mod.write_text("def write(ds, dest, options, report):\n    _emit(report)\n\n"
                   "def _emit(report):\n    report.add('AF507', what='x')\n\n"
                   "def plan(ds, options):\n    return 'AF501'\n")
    assert _reachable_loss_codes([mod], {"write"}) == {"AF507"}
