"""Griffe extension: read the docstrings' ``Example:`` heading as Google style's ``Examples:``.

The code's docstrings head their doctests ``Example:``; Griffe's Google parser renders that as
an admonition of Markdown text, so ``>>>`` lines and their output would not be code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

HEADING = re.compile(r"^(\s*)Example:$", re.M)


class ExampleSections(griffe.Extension):
    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = HEADING.sub(r"\1Examples:", obj.docstring.value)
