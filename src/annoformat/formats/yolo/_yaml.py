"""Hardened YAML for ``data.yaml``: safe loading, no anchors or aliases, no duplicate keys.

PyYAML's ``SafeLoader`` builds only plain data (no Python objects); this subclass also refuses
anchors and aliases (the "billion laughs" expansion and merge keys that silently override
values) and duplicate mapping keys (PyYAML keeps the last one silently). Bytes are read by
annoformat with a size cap before parsing. Nothing in the document is ever executed or fetched:
``download:`` is data like any other key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from annoformat._io import line_col, read_bytes
from annoformat.diagnostics import Report

#: data.yaml files are a few hundred bytes; COCO's with 80 names is ~2 KiB
MAX_YAML_BYTES = 1024 * 1024


class _Refused(yaml.YAMLError):
    def __init__(self, code: str, mark: Any, **ctx: Any) -> None:
        super().__init__(code)
        self.code = code
        self.mark = mark
        self.ctx = ctx


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases or duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("AF031", event.start_mark, reason=f"alias *{event.anchor}")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused("AF031", event.start_mark, reason=f"anchor &{anchor}")
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Refused("AF031", key_node.start_mark, reason="merge key <<")
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # unhashable key: SafeLoader reports it below
                    continue
                if duplicate:
                    raise _Refused("AF006", key_node.start_mark, key=key)
        return super().construct_mapping(node, deep)


def load_yaml(path: Path, report: Report) -> Any:
    """The document in ``path``, or None with AF001/AF002/AF003/AF006/AF030/AF031/AF901/AF902."""
    shown = str(path)
    data = read_bytes(path, report, MAX_YAML_BYTES)
    if data is None:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_col(data, exc.start)
        report.add("AF003", path=shown, line=line, column=column, offset=exc.start,
                   reason=exc.reason)
        return None
    try:
        return yaml.load(data, Loader=_StrictLoader)
    except _Refused as exc:
        report.add(exc.code, path=shown, line=exc.mark.line + 1, column=exc.mark.column + 1,
                   **exc.ctx)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        report.add("AF030", path=shown, line=mark.line + 1 if mark else None,
                   column=mark.column + 1 if mark else None, reason=reason)
    except yaml.YAMLError as exc:
        report.add("AF030", path=shown, reason=str(exc))
    except RecursionError:
        report.add("AF902", path=shown, limit="the interpreter's recursion")
    return None


#: plain scalars a YAML 1.2 reader (core schema: ruamel.yaml, libyaml-based 1.2 tools, Go's
#: yaml.v3, js-yaml) resolves to null, a bool, an int or a float; PyYAML follows YAML 1.1
#: and would write some of them unquoted (``1e3``, ``0o17``, ``+.5``), so they would come back
#: as numbers there
_YAML12_NOT_STR = re.compile(r"""
    (?: ~ | null | Null | NULL | true | True | TRUE | false | False | FALSE
      | [-+]? [0-9]+                                  # int
      | 0o [0-7]+ | 0x [0-9a-fA-F]+                   # octal, hexadecimal
      | [-+]? (?: \. [0-9]+ | [0-9]+ (?: \. [0-9]* )? ) (?: [eE] [-+]? [0-9]+ )?  # float
      | [-+]? \. (?: inf | Inf | INF ) | \. (?: nan | NaN | NAN )
    )""", re.VERBOSE)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that also quotes what YAML 1.2 would not read as a string."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _YAML12_NOT_STR.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(doc: dict[str, Any]) -> bytes:
    r"""Block-style YAML in key order, UTF-8; loads back with :func:`load_yaml`. A string that
    YAML 1.1 or 1.2 would resolve to another type (``'1e3'``, ``'0x1F'``, ``'true'``,
    ``'~'``) is quoted.

    Example:
        >>> dump_yaml({"names": ["1e3", "0o17", "cat"]}).decode()
        "names:\n- '1e3'\n- '0o17'\n- cat\n"
    """
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
    return text.encode("utf-8")
