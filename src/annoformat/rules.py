"""Project rules as code: ``[tool.annoformat]`` in pyproject.toml, or ``annoformat.toml``.

DESIGN.md validation layer 4. Example configuration::

    [tool.annoformat]
    labels = ["cat", "dog"]          # or: label-map = "labels.yaml" (the converters' file)
    min-box-width = 4                # pixels; also min-box-height, min-box-area
    max-objects-per-item = 100
    allow-overlapping-spans = false
    [tool.annoformat.required-attributes]
    cat = { color = ["black", "white", "ginger"], occluded = [] }   # [] = any value
    [tool.annoformat.per-path-ignores]
    "legacy/**" = ["AF301", "box-too-small"]
    [tool.annoformat.severity]
    AF301 = "error"

The configuration is itself checked (``schemas/config.schema.json``): a bad one is AF609.
Findings carry the file location the reader recorded (``sourcemap``), else IR pointers.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from annoformat import schemas
from annoformat._io import read_bytes
from annoformat.codes import Severity
from annoformat.diagnostics import Report, normalise_selector
from annoformat.model import BBox, Dataset, Span
from annoformat.sourcemap import SourceMap

SCHEMA = "config.schema.json"


class ProjectRules(BaseModel):
    """The parsed ``[tool.annoformat]`` table; ``root`` is the folder the config lives in."""

    # defer_build: built when a project has rules, not at every start-up
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    root: Path = Path(".")
    source: str | None = None
    labels: list[str] | None = None
    label_map: str | None = Field(default=None, alias="label-map")
    required_attributes: dict[str, dict[str, list[Any]]] = Field(
        default_factory=dict, alias="required-attributes")
    min_box_width: float | None = Field(default=None, alias="min-box-width")
    min_box_height: float | None = Field(default=None, alias="min-box-height")
    min_box_area: float | None = Field(default=None, alias="min-box-area")
    max_objects_per_item: int | None = Field(default=None, alias="max-objects-per-item")
    allow_overlapping_spans: bool = Field(default=True, alias="allow-overlapping-spans")
    per_path_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-path-ignores")
    severity: dict[str, Severity] = Field(default_factory=dict)


def find_config(start: Path) -> Path | None:
    """The nearest ``annoformat.toml``, or ``pyproject.toml`` with a [tool.annoformat] table,
    in ``start`` or a parent folder."""
    folder = start if start.is_dir() else start.parent
    for parent in [folder.resolve(), *folder.resolve().parents]:
        own = parent / "annoformat.toml"
        if own.is_file():
            return own
        py = parent / "pyproject.toml"
        if py.is_file() and _DECLARES.search(py.read_bytes()):
            return py
    return None


#: a ``[tool.annoformat...]`` table header at the start of a line (not in a comment or a string)
_DECLARES = re.compile(rb'^[ \t]*\[\[?[ \t]*"?tool"?[ \t]*\.[ \t]*"?annoformat"?[ \t]*[.\]]',
                       re.MULTILINE)


def load_rules(path: Path, report: Report) -> ProjectRules | None:
    """Parse and check a config file; None with AF609 diagnostics when it is invalid."""
    data = read_bytes(path, report, max_bytes=4 * 1024**2)
    if data is None:
        return None
    shown = str(path)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        found = re.search(r"at line (\d+), column (\d+)", str(exc))
        line, column = (int(found[1]), int(found[2])) if found else (None, None)
        if "at end of document" in str(exc):
            line = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        report.add("AF609", path=shown, line=line, column=column,
                   reason=re.sub(r" \(at (line \d+, column \d+|end of document)\)", "",
                                 str(exc)))
        return None
    table = doc.get("tool", {}).get("annoformat", {}) if path.name == "pyproject.toml" else doc
    base = "/tool/annoformat" if path.name == "pyproject.toml" else ""
    errors = list(schemas.iter_errors(SCHEMA, table))
    text = data.decode("utf-8")
    for ptr, message in errors:
        key = ptr.rsplit("/", 1)[-1] if ptr else _quoted(message)
        report.add("AF609", path=shown, pointer=base + ptr, line=_key_line(text, key),
                   reason=message)
    for code in [*table.get("severity", {}), *(c for v in table.get("per-path-ignores", {})
                                              .values() for c in v)]:
        try:
            normalise_selector(code)
        except KeyError:
            report.add("AF609", path=shown, pointer=base, reason=f"unknown code or name {code!r}")
    if report.has_errors:
        return None
    rules = ProjectRules.model_validate({**table, "root": path.parent, "source": shown})
    if rules.label_map is not None:
        from annoformat.labelmap import load_label_map  # YAML only for a project that has one

        lm = load_label_map(path.parent / rules.label_map, report)
        if lm is None:
            return None
        rules.labels = [lb.name for lb in lm.labels]
    return rules


def _quoted(message: str) -> str:
    found = re.search(r"'([^']+)'", message)
    return found[1] if found else ""


def _key_line(text: str, key: str) -> int | None:
    """1-based line where ``key`` is assigned in TOML text (best effort, for messages)."""
    if not key:
        return None
    pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=', re.M)
    found = pattern.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def check_rules(ds: Dataset, rules: ProjectRules, report: Report,
                sm: SourceMap | None = None, path: str | None = None) -> None:
    """Record AF604-AF608 (and AF406 for overlapping spans) where ``ds`` breaks ``rules``."""
    allowed = set(rules.labels) if rules.labels is not None else None
    for i, item in enumerate(ds.items):
        where = _Locator(i, item.id, sm, path)
        if rules.max_objects_per_item is not None and \
                len(item.annotations) > rules.max_objects_per_item:
            report.add("AF608", **where(None), count=len(item.annotations),
                       limit=rules.max_objects_per_item)
        for j, ann in enumerate(item.annotations):
            if allowed is not None and ann.label is not None and ann.label not in allowed:
                report.add("AF604", **where(j, "/label"), annotation_id=ann.id, label=ann.label,
                           allowed=", ".join(sorted(allowed)))
            for name, values in rules.required_attributes.get(ann.label or "", {}).items():
                if name not in ann.attributes and getattr(ann, name, None) is None:
                    report.add("AF605", **where(j), annotation_id=ann.id, label=ann.label,
                               attribute=name)
                    continue
                value = ann.attributes.get(name, getattr(ann, name, None))
                if values and value not in values:
                    report.add("AF606", **where(j), annotation_id=ann.id, attribute=name,
                               value=value, allowed=", ".join(map(str, values)))
            if isinstance(ann, BBox):
                _check_size(ann.w, ann.h, rules, report, where(j), ann.id)
            else:
                box = getattr(ann, "bbox", None)
                if box is not None:
                    _check_size(box[2], box[3], rules, report, where(j), ann.id)
        if not rules.allow_overlapping_spans:
            _check_overlaps(item.annotations, report, where)


def _check_size(w: float, h: float, rules: ProjectRules, report: Report,
                location: dict[str, Any], ann_id: Any) -> None:
    too_small = ((rules.min_box_width is not None and w < rules.min_box_width)
                 or (rules.min_box_height is not None and h < rules.min_box_height)
                 or (rules.min_box_area is not None and w * h < rules.min_box_area))
    if too_small:
        minimum = ", ".join(f"{what} {value:g}" for what, value in (
            ("width", rules.min_box_width), ("height", rules.min_box_height),
            ("area", rules.min_box_area)) if value is not None)
        report.add("AF607", **location, annotation_id=ann_id, w=f"{w:g}", h=f"{h:g}",
                   minimum=minimum)


class _Locator:
    """Location keywords for findings on item ``index``: file origin if recorded, else IR."""

    def __init__(self, index: int, item_id: str, sm: SourceMap | None,
                 path: str | None) -> None:
        self.index, self.item_id, self.sm, self.path = index, item_id, sm, path

    def __call__(self, j: int | None, field: str = "") -> dict[str, Any]:
        origin = None
        if self.sm is not None:
            origin = (self.sm.annotations.get((self.index, j)) if j is not None
                      else self.sm.items.get(self.index))
        if origin is None:
            ptr = f"/items/{self.index}" + (f"/annotations/{j}" if j is not None else "")
            return {"path": self.path, "pointer": ptr + field, "item_id": self.item_id}
        return {"path": origin.path, "pointer": origin.pointer, "line": origin.line,
                "item_id": self.item_id}


def _check_overlaps(annotations: list[Any], report: Report, where: _Locator) -> None:
    spans = sorted((a.start, a.end, j) for j, a in enumerate(annotations) if isinstance(a, Span))
    widest: tuple[int, int, int] | None = None  # the earlier span reaching furthest right
    for start, end, j in spans:
        if widest is not None and start < widest[1]:
            report.add("AF406", **where(j), annotation_id=annotations[j].id, start=start,
                       end=end, label=annotations[j].label, other_start=widest[0],
                       other_end=widest[1], other_label=annotations[widest[2]].label)
        if widest is None or end > widest[1]:
            widest = (start, end, j)


def apply_overrides(report: Report, rules: ProjectRules, since: int = 0) -> Report:
    """A report with per-path ignores removed and per-code severities applied."""
    out = Report(report.max_errors)
    overrides = {normalise_selector(c): sev for c, sev in rules.severity.items()}
    ignores = [(pattern, [normalise_selector(c) for c in codes])
               for pattern, codes in rules.per_path_ignores.items()]
    kept = list(report.diagnostics[:since])
    for diag in report.diagnostics[since:]:
        rel = _relative(diag.location.path, rules.root)
        if rel is not None and any(fnmatch.fnmatch(rel, pattern) and any(
                diag.code.startswith(c) for c in codes) for pattern, codes in ignores):
            continue
        for code, sev in overrides.items():
            if diag.code.startswith(code):
                diag.severity = sev
        kept.append(diag)
    out.extend(kept)
    return out


def _relative(path: str | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()
