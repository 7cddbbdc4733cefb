"""The documentation site, checked without MkDocs: the nav names pages that exist (and every page
is in it), and every ``annoformat ...`` command line in the pages' code blocks parses with the
real CLI (a known subcommand, known options, valid choices). CI builds the site itself with
``mkdocs build --strict`` (.ci/run)."""

from __future__ import annotations

import contextlib
import importlib.util
import re
import shlex
from collections.abc import Iterator
from typing import Any

import click
import pytest
import yaml

from annoformat.cli import main
from annoformat.registry import get_format, list_formats

from conftest import ROOT

DOCS = ROOT / "docs"
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<lang>[\w-]*)[^\n]*\n"
                   r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$", re.S | re.M)
#: blocks that hold commands (``console``: after a ``$`` prompt); ``text`` & co. hold output
SHELL = {"", "sh", "bash", "shell", "zsh"}
#: shell tokens that end the annoformat part of a line
OPERATORS = {"|", "||", "&&", ";", ">", ">>", "<", "2>", "2>&1", "&"}


def _nav_pages(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        if not re.match(r"^[a-z]+://", node):
            yield node
    elif isinstance(node, list):
        for entry in node:
            yield from _nav_pages(entry)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_pages(value)


def _config() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert isinstance(config, dict)
    return config


def test_nav_pages_exist_and_every_page_is_in_the_nav() -> None:
    config = _config()
    assert config.get("docs_dir", "docs") == "docs"
    nav = list(_nav_pages(config["nav"]))
    assert len(nav) == len(set(nav)), "a page is listed twice in the nav"
    missing = [page for page in nav if not (DOCS / page).is_file()]
    assert not missing, f"pages in mkdocs.yml nav but not in docs/: {missing}"
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(nav) == pages, f"pages not in the nav: {sorted(set(pages) - set(nav))}"


def _commands(text: str) -> Iterator[str]:
    """The command lines of ``text``'s fenced code blocks whose first word is ``annoformat``:
    in ``console`` blocks the lines after a ``$`` prompt, in shell blocks every line."""
    for block in FENCE.finditer(text):
        lines = block["body"].splitlines()
        if block["lang"] == "console":
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        elif block["lang"] not in SHELL:
            continue
        joined: list[str] = []
        for line in lines:
            if joined and joined[-1].endswith("\\"):
                joined[-1] = joined[-1][:-1] + " " + line.strip()
            else:
                joined.append(line.strip())
        for line in joined:
            if line.split(" ", 1)[0] == "annoformat":
                yield line


def _doc_commands() -> list[tuple[str, str]]:
    return [(p.relative_to(ROOT).as_posix(), cmd) for p in sorted(DOCS.rglob("*.md"))
            for cmd in _commands(p.read_text(encoding="utf-8"))]


def _parse(command: str) -> None:
    """Parse one command line with the CLI's click group; raise click's error if it is wrong."""
    words = shlex.split(command, comments=True)[1:]
    for n, word in enumerate(words):
        if word in OPERATORS or word.startswith(("2>", ">")):
            words = words[:n]
            break
    rest = list(words)
    while rest and rest[0].startswith("-"):  # the group's own options
        option = rest.pop(0)
        if option in ("--help", "--version"):
            return
        if option == "--max-bytes":
            rest.pop(0)
        elif not option.startswith("--max-bytes="):
            raise click.NoSuchOption(option)
    assert rest, f"no subcommand in {command!r}"
    name, args = rest[0], rest[1:]
    with click.Context(main, info_name="annoformat") as ctx:
        sub = main.get_command(ctx, name)
        if sub is None:
            known = sorted(main.list_commands(ctx))
            raise click.UsageError(f"no such command {name!r} (known: {known})")
        with contextlib.suppress(click.exceptions.Exit):  # --help
            sub.make_context(name, args, parent=ctx)


def test_the_docs_show_commands() -> None:
    commands = _doc_commands()
    assert len(commands) >= 10, commands
    names = {shlex.split(cmd, comments=True)[1] for _, cmd in commands}
    assert {"convert", "validate", "detect", "formats", "codes"} <= names


@pytest.mark.parametrize(("page", "command"), _doc_commands(), ids=lambda v: str(v)[:60])
def test_every_annoformat_command_in_the_docs_parses(page: str, command: str) -> None:
    try:
        _parse(command)
    except click.ClickException as exc:
        pytest.fail(f"{page}: {command!r}: {exc.format_message()}")


def test_no_shown_output_is_located_at_a_placeholder() -> None:
    """Findings are located at the file they are about; ``<input>`` in a page's code block is an
    output pasted from an older annoformat (or a finding that lost its path)."""
    shown = [(p.relative_to(ROOT).as_posix(), line)
             for p in sorted(DOCS.rglob("*.md"))
             for block in FENCE.finditer(p.read_text(encoding="utf-8"))
             for line in block["body"].splitlines() if "<input>" in line]
    assert not shown, shown


@pytest.mark.parametrize("command", [
    "annoformat convrt a b --to coco",       # no such subcommand
    "annoformat convert a b --too coco",     # no such option
    "annoformat convert a b --to coco --media move",  # not a choice
    "annoformat convert a --to coco",        # a missing argument
    "annoformat --max-byts 1 validate a",    # no such group option
])
def test_a_wrong_command_is_caught(command: str) -> None:
    with pytest.raises(click.ClickException):
        _parse(command)


def test_commands_are_found_in_console_and_shell_blocks() -> None:
    text = "\n".join([
        "```console", "$ annoformat validate a.json", "annoformat output line", "```",
        "```sh", "annoformat convert a b \\", "    --to coco  # comment", "echo annoformat", "```",
        "    ```yaml", "    annoformat: no", "    ```",
        "```text", "annoformat validate.....Failed", "```",
    ])
    assert list(_commands(text)) == ["annoformat validate a.json",
                                     "annoformat convert a b  --to coco  # comment"]


def _hooks() -> Any:
    spec = importlib.util.spec_from_file_location("annoformat_docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_built_in_format_has_a_page_with_its_generated_reference() -> None:
    hooks = _hooks()
    built_in = [name for name, fmt in list_formats().items() if fmt.plugin is None]
    assert len(built_in) >= 9
    for name in built_in:
        page = DOCS / "formats" / f"{name}.md"
        assert page.is_file(), f"no docs page for format {name}"
        text = page.read_text(encoding="utf-8")
        assert f"<!-- annoformat: format {name} -->" in text.splitlines()
        rendered = hooks.on_page_markdown(text)
        assert "<!-- annoformat" not in rendered
        for option in get_format(name).options.model_fields:
            assert f"| `{option}` |" in rendered, (name, option)
