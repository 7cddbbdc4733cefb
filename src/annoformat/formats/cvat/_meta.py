"""CVAT ``<meta>``: labels with attribute specs and skeletons, kept as IR labels; the rest kept
verbatim as a small JSON tree in ``Dataset.extras["cvat"]["meta"]``.

Tree form: a list of ``[tag, value]`` pairs in document order, ``value`` being the element's text
(a leaf) or a list of pairs (an element with children). The ``labels`` element of the task or
project is replaced by ``["labels", None]``: the IR labels are written there.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from annoformat.diagnostics import Report
from annoformat.model import AttributeSpec, Label, build

if TYPE_CHECKING:  # lxml loads when meta is written; numpy only with masks
    import numpy as np
    from lxml import etree

INPUT_TYPES = ("text", "number", "checkbox", "select", "radio")
_LABEL_KEYS = ("name", "color", "type", "attributes", "svg", "parent")
_SPEC_KEYS = ("name", "mutable", "input_type", "default_value", "values")
_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_SVG_TAG = re.compile(r"<(line|circle)\b([^>]*)>")
_SVG_ATTR = re.compile(r"([\w:-]+)\s*=\s*\"([^\"]*)\"")


def line_of(el: etree._Element) -> int | None:
    """The element's line in its file (lxml-stubs type it loosely)."""
    line: Any = el.sourceline
    return line if isinstance(line, int) else None


# ------------------------------------------------------------------------------------------
# attribute values


def parse_number(text: str) -> int | float | None:
    """``"3"`` -> 3, ``"2.5"`` -> 2.5; None when ``text`` is not a finite number."""
    text = text.strip()
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        value = float(text)
        return value if math.isfinite(value) else None
    return None


def typed_value(spec: AttributeSpec | None, text: str) -> tuple[JsonValue, str | None]:
    """The IR value of attribute text under ``spec`` and, if it breaks the spec, why."""
    if spec is None or spec.input_type == "text":
        return text, None
    kind = spec.input_type
    if kind == "checkbox":
        low = text.strip().lower()
        if low in ("true", "false"):
            return low == "true", None
        return text, "a checkbox value must be true or false"
    if kind == "number":
        number = parse_number(text)
        if number is None:
            return text, "not a number"
        # 'min max step'; any other declaration is not a range (AF229 said so)
        bounds = [parse_number(v) for v in spec.values] if len(spec.values) == 3 else []
        low_b, high_b = ([*bounds, None, None])[:2]
        if low_b is not None and high_b is not None and not low_b <= number <= high_b:
            return number, f"outside the declared range {low_b}..{high_b}"
        return number, None
    if spec.values and text not in spec.values:
        return text, "not one of the declared values: " + ", ".join(spec.values)
    return text, None


def value_text(value: JsonValue) -> str | None:
    """CVAT text of an IR attribute value; None for values CVAT has no text for."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, str):
        return value
    return None


def number_text(value: float) -> str:
    """Shortest text that reads back as the same float, never in exponent notation."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        from decimal import Decimal

        text = format(Decimal(text), "f")
        if "." not in text:
            text += ".0"
    return text


# ------------------------------------------------------------------------------------------
# reading


def _text(el: etree._Element) -> str:
    return el.text or ""


def to_tree(el: etree._Element, labels_el: etree._Element | None) -> list[Any]:
    """``el``'s children as ``[tag, text-or-children]`` pairs (see the module docstring)."""
    out: list[Any] = []
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if child is labels_el:
            out.append(["labels", None])
        elif len(child):
            out.append([child.tag, to_tree(child, labels_el)])
        else:
            out.append([child.tag, _text(child)])
    return out


def find_labels(meta: etree._Element) -> etree._Element | None:
    """The ``labels`` element of ``meta/task`` or ``meta/project`` (first in document order)."""
    for holder in meta:
        if holder.tag in ("task", "project"):
            found = holder.find("labels")
            if found is not None:
                return found
    return None


class MetaReader:
    """Reads ``labels`` into IR labels, recording coded problems with their line."""

    def __init__(self, path: str, report: Report) -> None:
        self.path = path
        self.report = report

    def labels(self, labels_el: etree._Element) -> list[Label]:
        raw: list[tuple[etree._Element, dict[str, Any]]] = []
        for el in labels_el:
            if el.tag == "label":
                raw.append((el, self._label_fields(el)))
        out: dict[str, dict[str, Any]] = {}
        for el, fields in raw:
            if fields["parent"] is not None:
                continue
            name = fields["name"]
            if name == "":
                self.report.add("AF220", path=self.path, line=line_of(el),
                                where="label declaration")
                continue
            if name in out:
                self.report.add("AF209", path=self.path, line=line_of(el), label=name)
                continue
            out[name] = fields
        for el, fields in raw:
            parent = fields["parent"]
            if parent is None:
                continue
            owner = out.get(parent)
            if owner is None or owner["type"] != "skeleton":
                self.report.add("AF043", path=self.path, line=line_of(el),
                                reason=f"sublabel {fields['name']!r} names parent {parent!r}, "
                                "which is not a skeleton label")
                continue
            owner["sublabels"].append(fields)
        result = []
        for fields in out.values():
            label = self._label(fields)
            if label is not None:
                result.append(label)
        return result

    def _label_fields(self, el: etree._Element) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": "", "color": None, "type": None, "parent": None,
                                  "svg": None, "specs": [], "other": [], "sublabels": [],
                                  "line": line_of(el)}
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == "attributes":
                fields["specs"] = [self._spec(a) for a in child if a.tag == "attribute"]
                fields["specs"] = [s for s in fields["specs"] if s is not None]
            elif tag in _LABEL_KEYS:
                fields[tag] = _text(child)
            else:
                fields["other"].append([tag, to_tree(child, None) if len(child) else _text(child)])
        return fields

    def _spec(self, el: etree._Element) -> AttributeSpec | None:
        found = {c.tag: _text(c) for c in el if isinstance(c.tag, str)}
        name = found.get("name", "")
        kind = found.get("input_type", "text").strip().lower()
        if kind not in INPUT_TYPES:
            self.report.add("AF043", path=self.path, line=line_of(el),
                            reason=f"attribute {name!r} has unknown input_type {kind!r}")
            return None
        raw_values = found.get("values", "")
        if "\n" in raw_values:
            values = [v for v in raw_values.split("\n") if v != ""]
        elif kind == "text":
            values = [raw_values] if raw_values else []
        else:
            values = raw_values.split()
        if kind == "number" and (len(values) != 3
                                 or any(parse_number(v) is None for v in values)):
            self.report.add("AF229", path=self.path, line=line_of(el), name=name,
                            values=raw_values)
        mutable = found.get("mutable", "False").strip().lower() in ("true", "1")
        spec = build(AttributeSpec, name=name, input_type=kind, values=values, mutable=mutable)
        if "default_value" in found:
            spec.default = typed_value(spec, found["default_value"])[0]
        return spec

    def _label(self, fields: dict[str, Any]) -> Label | None:
        extras: dict[str, Any] = {}
        if fields["color"] is not None:
            extras["color"] = fields["color"]
        keypoints: list[str] = []
        skeleton: list[tuple[int, int]] = []
        if fields["type"] == "skeleton":
            subs = []
            for sub in fields["sublabels"]:
                keypoints.append(sub["name"])
                entry: dict[str, Any] = {"name": sub["name"]}
                if sub["color"] is not None:
                    entry["color"] = sub["color"]
                if sub["type"] not in (None, "points"):
                    entry["type"] = sub["type"]
                if sub["specs"]:
                    entry["attributes"] = [s.model_dump() for s in sub["specs"]]
                if sub["other"]:
                    entry["other"] = sub["other"]
                subs.append(entry)
            if any(len(entry) > 1 for entry in subs):
                extras["sublabels"] = subs
            svg = fields["svg"] or ""
            parsed = parse_svg(svg, keypoints)
            if isinstance(parsed, str):
                self.report.add("AF041", path=self.path, line=fields["line"],
                                label=fields["name"], reason=parsed)
                return None
            skeleton = parsed
            if svg != make_svg(keypoints, skeleton):
                extras["svg"] = svg
        elif fields["type"] is not None:
            extras["type"] = fields["type"]
        if fields["other"]:
            extras["other"] = fields["other"]
        return build(Label, name=fields["name"], keypoints=keypoints, skeleton=skeleton,
                     attributes=fields["specs"], extras={"cvat": extras} if extras else {})


def parse_svg(svg: str, names: list[str]) -> list[tuple[int, int]] | str:
    """Edges of a CVAT skeleton SVG as pairs of indices into ``names``, or why it is invalid."""
    nodes: dict[str, int] = {}
    edges: list[tuple[str, str]] = []
    for match in _SVG_TAG.finditer(svg):
        attrs = dict(_SVG_ATTR.findall(match.group(2)))
        if match.group(1) == "circle":
            node, name = attrs.get("data-node-id"), attrs.get("data-label-name")
            if node is None or name is None:
                return "a circle has no data-node-id or data-label-name"
            if name not in names:
                return f"node {node} names {name!r}, which is not a sublabel"
            nodes[node] = names.index(name)
        elif attrs.get("data-type") == "edge":
            a, b = attrs.get("data-node-from"), attrs.get("data-node-to")
            if a is None or b is None:
                return "an edge has no data-node-from or data-node-to"
            edges.append((a, b))
    out: list[tuple[int, int]] = []
    for a, b in edges:
        if a not in nodes or b not in nodes:
            return f"edge {a}-{b} refers to a node that is not drawn"
        out.append((nodes[a], nodes[b]))
    return out


def make_svg(names: list[str], skeleton: list[tuple[int, int]]) -> str:
    """A CVAT skeleton SVG: nodes on a circle, one line per edge."""
    parts = []
    pos = []
    n = max(len(names), 1)
    for i in range(len(names)):
        angle = 2 * math.pi * i / n
        pos.append((round(50 + 40 * math.cos(angle), 3), round(50 + 40 * math.sin(angle), 3)))
    for a, b in skeleton:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="black" '
                     f'data-type="edge" data-node-from="{a + 1}" stroke-width="0.5" '
                     f'data-node-to="{b + 1}"></line>')
    for i, name in enumerate(names):
        x, y = pos[i]
        esc = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        parts.append(f'<circle r="1.5" stroke="black" fill="#b3b3b3" cx="{x}" cy="{y}" '
                     f'stroke-width="0.1" data-type="element node" data-element-id="{i + 1}" '
                     f'data-node-id="{i + 1}" data-label-name="{esc}"></circle>')
    return "".join(parts)


# ------------------------------------------------------------------------------------------
# writing


def _leaf(parent: etree._Element, tag: str, text: str) -> None:
    from lxml import etree

    etree.SubElement(parent, tag).text = text


def write_tree(parent: etree._Element, tree: list[Any], labels: list[Label]) -> None:
    """Rebuild a tree from :func:`to_tree` under ``parent``; the labels go where they were."""
    from lxml import etree

    for tag, value in tree:
        if value is None and tag == "labels":
            write_labels(etree.SubElement(parent, "labels"), labels)
        elif isinstance(value, list):
            write_tree(etree.SubElement(parent, tag), value, labels)
        else:
            _leaf(parent, tag, str(value))


def _spec_text(spec: AttributeSpec) -> str | None:
    return None if spec.default is None else value_text(spec.default)


def _write_specs(parent: etree._Element, specs: list[AttributeSpec]) -> None:
    from lxml import etree

    holder = etree.SubElement(parent, "attributes")
    for spec in specs:
        el = etree.SubElement(holder, "attribute")
        _leaf(el, "name", spec.name)
        _leaf(el, "mutable", "True" if spec.mutable else "False")
        _leaf(el, "input_type", spec.input_type)
        default = _spec_text(spec)
        if default is not None:
            _leaf(el, "default_value", default)
        _leaf(el, "values", "\n".join(spec.values))


def _write_other(parent: etree._Element, other: list[Any]) -> None:
    from lxml import etree

    for tag, value in other:
        if isinstance(value, list):
            write_tree(etree.SubElement(parent, tag), value, [])
        else:
            _leaf(parent, tag, str(value))


def write_labels(holder: etree._Element, labels: list[Label]) -> None:
    """``<label>`` elements for IR labels; skeleton labels are followed by their sublabels."""
    from lxml import etree

    for label in labels:
        extras = label.extras.get("cvat", {})
        el = etree.SubElement(holder, "label")
        _leaf(el, "name", label.name)
        if "color" in extras:
            _leaf(el, "color", str(extras["color"]))
        if label.keypoints:
            _leaf(el, "type", "skeleton")
        elif "type" in extras:
            _leaf(el, "type", str(extras["type"]))
        _write_specs(el, label.attributes)
        if label.keypoints:
            svg = extras.get("svg")
            if not isinstance(svg, str) or parse_svg(svg, label.keypoints) != label.skeleton:
                svg = make_svg(label.keypoints, label.skeleton)
            _leaf(el, "svg", svg)
        _write_other(el, extras.get("other", []))
        if not label.keypoints:
            continue
        subs = {s.get("name"): s for s in extras.get("sublabels", []) if isinstance(s, dict)}
        for name in label.keypoints:
            sub = subs.get(name, {})
            sub_el = etree.SubElement(holder, "label")
            _leaf(sub_el, "name", name)
            if "color" in sub:
                _leaf(sub_el, "color", str(sub["color"]))
            _leaf(sub_el, "type", str(sub.get("type", "points")))
            specs = [AttributeSpec.model_validate(s) for s in sub.get("attributes", [])]
            _write_specs(sub_el, specs)
            _write_other(sub_el, sub.get("other", []))
            _leaf(sub_el, "parent", label.name)


def sublabel_specs(label: Label) -> dict[str, dict[str, AttributeSpec]]:
    """Attribute specs of each keypoint (sublabel) of a skeleton label, by sublabel name."""
    out: dict[str, dict[str, AttributeSpec]] = {}
    for sub in label.extras.get("cvat", {}).get("sublabels", []):
        if isinstance(sub, dict) and "name" in sub:
            out[sub["name"]] = {s["name"]: AttributeSpec.model_validate(s)
                                for s in sub.get("attributes", [])}
    return out


def tight_box(crop: np.ndarray[Any, Any], left: int, top: int) -> list[int] | None:
    """``[left, top, width, height]`` of the foreground of ``crop`` placed at left/top."""
    import numpy as np

    rows = np.flatnonzero(crop.any(axis=1))
    cols = np.flatnonzero(crop.any(axis=0))
    if not len(rows):
        return None
    return [left + int(cols[0]), top + int(rows[0]), int(cols[-1] - cols[0] + 1),
            int(rows[-1] - rows[0] + 1)]
