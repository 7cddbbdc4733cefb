"""Printing the CVAT writer's light element tree as indented XML text."""

from __future__ import annotations

import re

_ATTR_SPECIAL = re.compile(r'[&<>"\n\r\t]')
_TEXT_SPECIAL = re.compile(r"[&<>\r]")


class Node:
    """A light element: the writer builds these and prints them itself (far cheaper than an
    lxml tree per shape); the printed document is then parsed once for the XSD check."""

    __slots__ = ("attrib", "children", "tag", "text")

    def __init__(self, tag: str, attrib: dict[str, str] | None = None) -> None:
        self.tag = tag
        self.attrib = attrib if attrib is not None else {}
        self.text: str | None = None
        self.children: list[Node] = []

    def __len__(self) -> int:
        return len(self.children)

    def __getitem__(self, index: int) -> Node:
        return self.children[index]

    def set(self, key: str, value: str) -> None:
        self.attrib[key] = value


def child(parent: Node, tag: str, attrib: dict[str, str] | None = None) -> Node:
    node = Node(tag, attrib)
    parent.children.append(node)
    return node


def _qa(value: str) -> str:
    if not _ATTR_SPECIAL.search(value):
        return value
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
            .replace("\t", "&#9;"))


def quote_text(value: str) -> str:
    if not _TEXT_SPECIAL.search(value):
        return value
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def emit(node: Node, depth: int, out: list[str]) -> None:
    """Print ``node`` as indented XML into ``out``."""
    pad = "  " * depth
    attrs = "".join([f' {k}="{_qa(v)}"' for k, v in node.attrib.items()])
    if node.children:
        out.append(f"{pad}<{node.tag}{attrs}>\n")
        for child in node.children:
            emit(child, depth + 1, out)
        out.append(f"{pad}</{node.tag}>\n")
    elif node.text:
        out.append(f"{pad}<{node.tag}{attrs}>{quote_text(node.text)}</{node.tag}>\n")
    else:
        out.append(f"{pad}<{node.tag}{attrs}/>\n")
