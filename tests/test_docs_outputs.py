"""Every output pasted in the docs and the README is the real one: each page's ``console`` blocks
are run in order, in a scratch folder of their own, and what each ``$ command`` prints must equal
the lines shown under it.

A page sets its scene with HTML comments, which the rendered page does not show:

* ``<!-- docs-test: file NAME -->`` before a fenced block: the block is written to NAME;
* ``<!-- docs-test: append NAME -->``: the block is added to the end of NAME;
* ``<!-- docs-test: run COMMAND -->``: a setup command, run where it stands; without COMMAND,
  before a fenced block (a ``sh`` block the reader is asked to run): the block's lines;
* ``<!-- docs-test: skip REASON -->`` before a ``console`` block: the block is not run (the
  reason is printed as the test's skip reason when a whole page is skipped).

In commands, files and outputs, ``/tmp/`` means the page's own scratch folder, so pages never see
each other's files or an earlier run's. In an expected output a line ``...`` stands for any
number of lines. A command shown without output is run too: it must not crash (a traceback or an
exit status above 2 fails the test).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ROOT

PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
DIRECTIVE = re.compile(r"^<!-- docs-test: (?P<verb>file|append|run|skip)(?: (?P<arg>.*?))? -->$")
FENCE = re.compile(r"^(```+|~~~+)(?P<lang>[\w-]*)")
#: what is linked into each page's scratch folder, so that commands find it by the same path
LINKED = ("fixtures", "schemas")


@dataclass
class Step:
    kind: str  # "file", "append", "run", "console"
    line: int
    arg: str = ""
    body: list[str] = field(default_factory=list)
    skip: str | None = None


def steps_of(text: str) -> list[Step]:
    """The directives and ``console`` blocks of a page, in order."""
    steps: list[Step] = []
    pending: Step | None = None  # a file/append/skip directive waiting for its block
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        line = lines[n]
        found = DIRECTIVE.match(line.strip())
        fence = FENCE.match(line)
        if found:
            step = Step(found["verb"], n + 1, found["arg"] or "")
            if step.kind == "run" and step.arg:
                steps.append(step)
            else:
                pending = step
        elif fence:
            close = fence.group(1)
            end = next(k for k in range(n + 1, len(lines)) if lines[k].startswith(close))
            body = lines[n + 1:end]
            if pending is not None and pending.kind == "run":
                pending.arg = "\n".join(body)
                steps.append(pending)
                pending = None
            elif pending is not None and pending.kind in ("file", "append"):
                pending.body = body
                steps.append(pending)
                pending = None
            elif fence["lang"] == "console":
                skip = pending.arg if pending is not None and pending.kind == "skip" else None
                steps.append(Step("console", n + 1, body=body, skip=skip))
                pending = None
            n = end
        n += 1
    return steps


def commands_of(body: list[str]) -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` of a console block; ``\\`` continues a command."""
    out: list[tuple[str, list[str]]] = []
    for line in body:
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out and out[-1][0].endswith("\\") and not out[-1][1]:
            out[-1] = (out[-1][0][:-1] + " " + line.strip(), [])
        elif out:
            out[-1][1].append(line.rstrip())
    return out


def matches(expected: list[str], got: list[str]) -> bool:
    """``got`` equals ``expected``, where a ``...`` line stands for any number of lines."""
    if not expected:
        return not got
    if expected[0] == "...":
        return any(matches(expected[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and got[0] == expected[0] and matches(expected[1:], got[1:])


def _pages_with_outputs() -> list[Path]:
    return [p for p in PAGES
            if any(s.kind == "console" for s in steps_of(p.read_text(encoding="utf-8")))]


@pytest.mark.parametrize("page", _pages_with_outputs(),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_outputs_shown_in_the_docs_are_what_the_commands_print(page: Path,
                                                                     tmp_path: Path) -> None:
    work = tmp_path / "page"
    scratch = tmp_path / "tmp"
    work.mkdir()
    scratch.mkdir()
    for name in LINKED:
        (work / name).symlink_to(ROOT / name)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "COLUMNS": "100", "NO_COLOR": "1", "PYTHONHASHSEED": "0"}
    env.pop("FORCE_COLOR", None)

    def local(text: str) -> str:
        return text.replace("/tmp/", f"{scratch}/")

    def shown(text: str) -> str:
        return text.replace(f"{scratch}/", "/tmp/").replace(f"{work}/", "")

    failures: list[str] = []
    ran = skipped = 0
    for step in steps_of(page.read_text(encoding="utf-8")):
        where = f"{page.relative_to(ROOT)}:{step.line}"
        if step.kind in ("file", "append"):
            target = work / local(step.arg)
            # never through a link into the repository
            base = scratch if target.is_relative_to(scratch) else work
            inside = target.relative_to(base)
            assert not any((base / p).is_symlink() for p in (inside, *inside.parents)), where
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a" if step.kind == "append" else "w", encoding="utf-8") as fh:
                fh.write(local("\n".join(step.body)) + "\n")
            continue
        if step.kind == "run":
            done = subprocess.run(local(step.arg), shell=True, cwd=work, env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{where}: setup failed: {done.stderr}"
            continue
        if step.skip is not None:
            skipped += 1
            continue
        for command, expected in commands_of(step.body):
            ran += 1
            done = subprocess.run(local(command), shell=True, cwd=work, env=env,
                                  capture_output=True, text=True, timeout=300)
            got = [shown(line).rstrip() for line in (done.stdout + done.stderr).splitlines()]
            if "Traceback (most recent call last)" in done.stderr or done.returncode > 2:
                failures.append(f"{where}: $ {command}\n  crashed ({done.returncode}):\n"
                                + "\n".join(got[-15:]))
            elif expected and not matches(expected, got):
                failures.append(f"{where}: $ {command}\n  shown:\n    "
                                + "\n    ".join(expected) + "\n  printed:\n    "
                                + "\n    ".join(got))
    assert not failures, "\n\n".join(failures)
    if not ran:
        pytest.skip(f"every console block of {page.name} is skipped ({skipped})")


def test_the_page_reader_understands_directives_blocks_and_ellipses() -> None:
    page = "\n".join([
        "<!-- docs-test: file a.toml -->", "```toml", "x = 1", "```",
        "<!-- docs-test: run touch b -->",
        "<!-- docs-test: run -->", "```sh", "mkdir c", "touch c/d", "```",
        "<!-- docs-test: skip needs spaCy -->", "```console", "$ spacy x", "```",
        "```console", "$ annoformat validate a \\", "  --no-config", "out 1", "out 2",
        "$ true", "```",
    ])
    steps = steps_of(page)
    assert [(s.kind, s.line, s.arg, s.body, s.skip) for s in steps] == [
        ("file", 1, "a.toml", ["x = 1"], None),
        ("run", 5, "touch b", [], None),
        ("run", 6, "mkdir c\ntouch c/d", [], None),
        ("console", 12, "", ["$ spacy x"], "needs spaCy"),
        ("console", 15, "", ["$ annoformat validate a \\", "  --no-config", "out 1", "out 2",
                             "$ true"], None),
    ]
    assert commands_of(steps[4].body) == [("annoformat validate a  --no-config",
                                           ["out 1", "out 2"]), ("true", [])]
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "..."], ["a"])
    assert not matches(["a", "...", "d"], ["a", "b", "c"])
    assert not matches(["a"], ["a", "b"])
