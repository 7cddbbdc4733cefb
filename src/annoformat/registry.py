"""Discovery: built-in formats, entry-point plugins, their codes, and detection.

A format is a module in ``annoformat.formats`` exposing ``FORMAT``, a
:class:`~annoformat.spec.FormatSpec` (found by discovery: adding a format edits no list), or a
third-party spec registered in the ``annoformat.formats`` entry-point group. Each format's
codes join the catalogue here. A plugin that fails to load, or whose name or codes clash with
what is known, becomes an AF012 diagnostic in :data:`LOAD_REPORT`, never a crash.

Example:
    >>> from annoformat.registry import get_format
    >>> "score" in get_format("coco").capabilities.fields
    True
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pkgutil
import sys
from dataclasses import dataclass
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from annoformat import codes
from annoformat.diagnostics import Report, UsageError
from annoformat.spec import Detection, FormatSpec

#: a format of any options type
Format = FormatSpec[Any]


#: diagnostics from loading plugins (AF012); shown by ``annoformat formats``
LOAD_REPORT = Report()
_FORMATS: dict[str, Format] = {}
#: format name -> entry point that provided it (built-ins are absent)
PLUGINS: dict[str, str] = {}


_DISCOVERING: list[bool] = []


def _discover() -> dict[str, Format]:
    if _FORMATS or _DISCOVERING:
        return _FORMATS
    _DISCOVERING.append(True)  # AF012 below looks up a code while the catalogue fills
    # by name: importing the subpackage makes it the attribute ``annoformat.formats``
    pkg = importlib.import_module("annoformat.formats")
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{pkg.__name__}.{mod.name}")
            fmt = getattr(module, "FORMAT", None)
            if isinstance(fmt, FormatSpec):
                codes.register(fmt.name, fmt.codes)
                _FORMATS[fmt.name] = fmt
        except Exception as exc:  # one broken format must not take the others down
            LOAD_REPORT.add("AF012", plugin=f"annoformat.formats.{mod.name}",
                            reason=f"{type(exc).__name__}: {exc}")
    for ep in _entry_points("annoformat.formats"):
        try:
            obj = ep.load()
            fmt = getattr(obj, "FORMAT", obj)
            if not isinstance(fmt, FormatSpec):
                raise TypeError("entry point does not provide an annoformat.plugin.FormatSpec")
            if fmt.name in _FORMATS:
                raise ValueError(f"name {fmt.name!r} is already taken")
            codes.register(f"plugin {fmt.name}", fmt.codes)
        except Exception as exc:  # a broken plugin must not break annoformat
            LOAD_REPORT.add("AF012", plugin=ep.name, reason=f"{type(exc).__name__}: {exc}")
            continue
        _FORMATS[fmt.name] = dataclasses.replace(fmt, plugin=ep.value)
        PLUGINS[fmt.name] = ep.value
    return _FORMATS


codes.on_unknown_code(_discover)


def _entry_points(group: str) -> list[Any]:
    """The entry points of ``group``. ``importlib.metadata`` (about a tenth of a `validate`
    run's start-up to import and scan) is asked only when an installed distribution may
    declare the group."""
    if not _may_declare(group):
        return []
    from importlib.metadata import entry_points

    return list(entry_points(group=group))


def _may_declare(group: str) -> bool:
    """False only when no distribution on ``sys.path`` mentions ``group`` in its
    ``entry_points.txt``, looked up where ``importlib.metadata`` looks (``*.dist-info``,
    ``*.egg-info``, ``*.egg/EGG-INFO``); True when unsure (a zip on the path, another finder)."""
    if any(hasattr(f, "find_distributions") and f is not PathFinder
           # the importlib_metadata backport's (dask imports it) searches sys.path as well
           and type(f).__name__ != "MetadataPathFinder" for f in sys.meta_path):
        return True
    for entry in sys.path:
        root = entry or "."
        if not os.path.isdir(root):
            if os.path.exists(root):  # a zip archive: let importlib.metadata read it
                return True
            continue
        try:
            names = os.listdir(root)
        except OSError:
            continue
        for name in names:
            lower = name.lower()
            if lower.endswith((".dist-info", ".egg-info")):
                meta = os.path.join(root, name, "entry_points.txt")
            elif lower.endswith(".egg"):
                meta = os.path.join(root, name, "EGG-INFO", "entry_points.txt")
            else:
                continue
            try:
                with open(meta, "rb") as fh:
                    if group.encode() in fh.read():
                        return True
            except OSError:  # no entry points (or not a folder)
                continue
    return False


def list_formats() -> dict[str, Format]:
    """Every available format by name: built-ins first, then plugins."""
    return dict(_discover())


def get_format(name: str) -> Format:
    """The format called ``name``, or by one of its aliases (``yolov8``, ``pascal_voc``);
    case, ``-`` and ``_`` do not matter.

    Raises:
        UsageError: no such format (AF056 names the closest ones and lists the known names).
    """
    names = format_names()
    found = names.get(_key(name))
    if found is None:
        import difflib  # only for the error's suggestions

        close = difflib.get_close_matches(_key(name), list(names), n=3, cutoff=0.6)
        suggestion = dict.fromkeys(names[c].name for c in close)
        report = Report()
        report.add("AF056", path=name, name=name,
                   hint=f"; did you mean {' or '.join(suggestion)}?" if suggestion else ".",
                   known=", ".join(sorted(_discover())))
        raise UsageError(report)
    return found


def format_names() -> dict[str, Format]:
    """Every name a format answers to (its own and its aliases, normalised) -> the format."""
    out: dict[str, Format] = {}
    for fmt in _discover().values():  # a format's own name wins over another's alias
        out[_key(fmt.name)] = fmt
    for fmt in _discover().values():
        for alias in fmt.aliases:
            out.setdefault(_key(alias), fmt)
    return out


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def parse_options(fmt: Format, values: dict[str, Any]) -> BaseModel:
    """Validate ``values`` against the format's Options model (AF017 on unknown keys, AF044 on
    values that do not fit)."""
    known = set(fmt.options.model_fields)
    report = Report()
    for key in values:
        if key not in known:
            report.add("AF017", format=fmt.name, option=key,
                       known=", ".join(sorted(known)) or "(none)")
    if report.has_errors:
        raise UsageError(report)
    if not values and _defaults_are_valid(fmt.options):
        # the defaults, without building a validator: a `validate` run builds none (start-up)
        defaults: BaseModel = fmt.options.model_construct()
        return defaults
    try:
        options: BaseModel = fmt.options.model_validate(values)
        return options
    except ValidationError as exc:
        for err in exc.errors():
            report.add("AF044", format=fmt.name, option=".".join(map(str, err["loc"])),
                       reason=err["msg"])
        raise UsageError(report) from None


def _defaults_are_valid(cls: type[BaseModel]) -> bool:
    """``cls()`` needs no validation: every field has a default that no validator looks at
    (``model_construct()`` is then what ``model_validate({})`` returns)."""
    found = cls.__pydantic_decorators__
    if (found.model_validators or found.field_validators or found.root_validators
            or found.validators or cls.model_config.get("validate_default")):
        return False
    return not any(f.is_required() or f.validate_default for f in cls.model_fields.values())


@dataclass
class DetectResult:
    """The detected format (None if none or several matched), each format's verdict, a report."""

    format: Format | None
    verdicts: dict[str, Detection]
    report: Report

    @property
    def name(self) -> str | None:
        return self.format.name if self.format is not None else None


def detect(path: Path | str) -> DetectResult:
    """Which format ``path`` is, and why every other format said no.

    The report holds AF001 (missing path), AF010 (nothing matched) or AF011 (a tie).

    Example:
        >>> import annoformat as af
        >>> af.detect("fixtures/coco/good/minimal/annotations.json").name
        'coco'
    """
    p = Path(path)
    report = Report()
    verdicts: dict[str, Detection] = {}
    if not p.exists():
        report.add("AF001", path=str(p))
        return DetectResult(None, verdicts, report)
    for name, fmt in _discover().items():
        try:
            verdicts[name] = fmt.detect(p)
        except Exception as exc:  # a plugin's detect must not crash detection
            verdicts[name] = Detection(0.0, f"detect failed: {type(exc).__name__}: {exc}")
    best = max((d.confidence for d in verdicts.values()), default=0.0)
    if best <= 0:
        report.add("AF010", path=str(p), reason="; ".join(
            f"{n}: {d.reason}" for n, d in verdicts.items()) or "no formats installed")
        return DetectResult(None, verdicts, report)
    winners = [n for n, d in verdicts.items() if d.confidence == best]
    if len(winners) > 1:
        report.add("AF011", path=str(p), candidates=", ".join(winners))
        return DetectResult(None, verdicts, report)
    return DetectResult(_discover()[winners[0]], verdicts, report)
