"""MkDocs hook: the format pages' reference sections, generated from the format registry.

A line ``<!-- annoformat: format NAME -->`` in a page becomes that format's capabilities (what
``annoformat formats NAME`` prints) and its options (name, type, default, and the options
class's docstring), so the pages cannot drift from the code. The checkout's ``src/`` is imported
first, so the site documents this checkout, not an installed copy.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from annoformat.registry import get_format  # noqa: E402

MARK = re.compile(r"^<!-- annoformat: format ([a-z-]+) -->$", re.M)
PIPE = " \\| "  # a "|" inside a Markdown table cell
ROLE = re.compile(r":[a-z]+:`~?(?:[\w.]+\.)?(\w+)`")

CAPABILITIES = {
    "media": "media",
    "annotation_types": "annotation types",
    "fields": "annotation fields kept (beyond label and geometry)",
    "item_attributes": "item attributes",
    "subsets": "subsets",
    "empty_items": "items without annotations",
    "metadata": "dataset metadata kept",
    "extras": "keeps every format's extras",
    "unlabelled": "annotation types kept without a label",
}


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return MARK.sub(lambda m: format_reference(m.group(1)), markdown)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value) or "none"
    return str(value)


def format_reference(name: str) -> str:
    fmt = get_format(name)
    lines = [
        f"`annoformat formats {name}`: {fmt.description}.",
        "",
        f"File extensions: {_value(list(fmt.extensions))}. "
        f"Schemas: {_value(list(fmt.schemas))}.",
        "",
        "| capability | value |",
        "| --- | --- |",
    ]
    fates = fmt.fidelity()  # what its loss plan does with each type, as `formats NAME` says
    for key, value in fmt.capabilities.describe().items():
        shown = _value(value)
        if key == "annotation_types":
            shown = _value([k for k, fate in fates.items() if fate == "kept"]) + "".join(
                f"; `{k}` written {fate}" for k, fate in fates.items() if fate.startswith("as "))
        lines.append(f"| {CAPABILITIES.get(key, key)} | {shown} |")
    lines += ["", "### Options", ""]
    table = fmt.option_table()
    if not table:
        return "\n".join([*lines, "None.", ""])
    lines += [
        "Given as `--opt KEY=VALUE` (writing) or `--read-opt KEY=VALUE` (reading), or as "
        "keyword arguments to `annoformat.save` / `options=` of `annoformat.convert`.",
        "",
        "| option | type | default | what it does |",
        "| --- | --- | --- | --- |",
    ]
    for opt in table:  # the same rows `annoformat formats NAME` prints
        kinds = PIPE.join(f"`{k}`" for k in opt.type.split(" | "))
        what = opt.description.replace("|", PIPE.strip())
        lines.append(f"| `{opt.name}` | {kinds} | `{opt.default}` | {what} |")
    lines.append("")
    for cls in fmt.options.__mro__:
        if cls.__module__.startswith("annoformat.formats") and cls.__doc__:
            lines += [ROLE.sub(r"`\1`", inspect.cleandoc(cls.__doc__)), ""]
    return "\n".join(lines)
