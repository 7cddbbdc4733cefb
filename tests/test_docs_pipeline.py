"""docs/pipeline.md runs as shown: its ```python blocks are run in order, in one namespace, from a
temporary folder that sees the checkout's fixtures as ``fixtures/`` (what running them from the
root of a checkout does, without writing into it). A ```text block right after a python block
(only blank lines between) is that block's exact stdout; a python block without one prints
nothing."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from conftest import ROOT

PAGE = ROOT / "docs" / "pipeline.md"
FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)


def examples(text: str) -> list[tuple[str, str | None]]:
    """(code, the stdout shown for it or None) for each python block of ``text``, in order."""
    blocks = list(FENCE.finditer(text))
    out: list[tuple[str, str | None]] = []
    for n, block in enumerate(blocks):
        if block["lang"] != "python":
            continue
        shown = None
        if n + 1 < len(blocks):
            after = blocks[n + 1]
            if after["lang"] == "text" and not text[block.end():after.start()].strip():
                shown = after["body"]
        out.append((block["body"], shown))
    return out


def run_examples(text: str) -> list[tuple[str, str | None, str]]:
    """Run the blocks of ``text`` from the current folder (which must see ``fixtures/``):
    (code, shown, printed) per block."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    results = []
    for n, (code, shown) in enumerate(examples(text), 1):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"{PAGE.name}, python block {n}", "exec"), namespace)
        results.append((code, shown, printed.getvalue()))
    return results


def test_the_page_shows_code_and_what_it_prints() -> None:
    found = examples(PAGE.read_text(encoding="utf-8"))
    assert len(found) >= 6, found
    assert all(shown for _, shown in found), "every python block is followed by its output"
    code = "\n".join(c for c, _ in found)
    for name in ("af.load", "af.filter_items", "af.filter_annotations", "af.rename_labels",
                 "af.merge_labels", "af.drop_labels", "af.split", "af.subsets", "af.validate",
                 "af.save", ".box", ".pixel_area"):
        assert name in code, f"docs/pipeline.md does not use {name}"


def test_the_page_prints_what_it_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for n, (code, shown, printed) in enumerate(
            run_examples(PAGE.read_text(encoding="utf-8")), 1):
        assert printed == (shown or ""), (
            f"docs/pipeline.md, python block {n} prints something else than the page shows:\n"
            f"{code}\n--- shown\n{shown}--- printed\n{printed}")
    assert (tmp_path / "out" / "pets-train.json").is_file()


def test_a_wrong_output_is_caught() -> None:
    text = "```python\nprint(1 + 1)\n```\n\n```text\n3\n```\n\n```python\nx = 1\n```\n"
    assert examples(text) == [("print(1 + 1)\n", "3\n"), ("x = 1\n", None)]
    [(_, shown, printed), (_, none, nothing)] = run_examples(text)
    assert (shown, printed, none, nothing) == ("3\n", "2\n", None, "")


@pytest.mark.parametrize("between", ["\n", "\nprose\n"])
def test_output_is_the_text_block_right_after(between: str) -> None:
    text = f"```python\nprint(2)\n```\n{between}```text\n2\n```\n"
    assert examples(text) == [("print(2)\n", "2\n" if not between.strip() else None)]
