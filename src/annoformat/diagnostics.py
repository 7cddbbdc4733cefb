"""Diagnostics: coded findings with a location a person can jump to, collected in a Report.

Every diagnostic is recorded; renderers only choose what to print. Locations carry a file path,
1-based line and column where the format has them, a JSON Pointer (RFC 6901) or XPath into the
document, and the item/annotation ids people think in.

Example:
    >>> from annoformat.diagnostics import Report
    >>> report = Report()
    >>> d = report.add("AF203", path="a.json", line=9, column=12, image_id=1, first="/images/0")
    >>> render_text(report).split(": ")[:2]
    ['a.json:9:12', 'AF203 duplicate-image-id']
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import orjson

from annoformat.codes import Severity, entry, lookup

__all__ = [
    "AnnoformatError",
    "Diagnostic",
    "Location",
    "Report",
    "Severity",
    "UsageError",
    "escape_text",
    "render",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]


@dataclass
class Location:
    """Where a diagnostic points: file, line/column (1-based), pointer, and ids."""

    path: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None
    item_id: str | None = None
    annotation_id: str | int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Diagnostic:
    """One finding: a stable code, its name and severity, a message, a location and context."""

    code: str
    name: str
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)
    ctx: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "location": self.location.to_dict(),
            "ctx": self.ctx,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path or "", loc.line or 0, loc.column or 0, self.code)

    def __str__(self) -> str:
        """The line the CLI prints: ``path:line:col: AF203 duplicate-image-id: ...``.

        Example:
            >>> import annoformat as af
            >>> print(af.validate("does-not-exist.json").diagnostics[0])
            does-not-exist.json: AF001 file-not-found: does-not-exist.json does not exist
        """
        return _line(self)


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


_FORMATTER = string.Formatter()


#: how many entries of a list (affected ids) a message shows; ``ctx`` keeps them all
SHOWN_IN_MESSAGE = 20


#: the last entry of a list that was kept short where it was made (a loss plan's ids)
_MORE = re.compile(r"\.\.\. (\d+) more")


def _shortened(value: Any) -> Any:
    if isinstance(value, list) and len(value) > SHOWN_IN_MESSAGE:
        last = _MORE.fullmatch(value[-1]) if isinstance(value[-1], str) else None
        hidden = len(value) - SHOWN_IN_MESSAGE - (1 - int(last[1]) if last else 0)
        return [*value[:SHOWN_IN_MESSAGE], f"... {hidden} more"]
    return value


def _render_message(template: str, ctx: dict[str, Any]) -> str:
    try:
        shown = {key: _shortened(value) for key, value in ctx.items()}
        return _FORMATTER.vformat(template, (), _Defaulting(shown))
    except (ValueError, TypeError, IndexError):
        return template + " " + repr(ctx)


class Report:
    """Collects diagnostics; never stops at the first one.

    ``max_errors`` caps how many are stored (the count goes on); reaching it records AF903 once.
    """

    def __init__(self, max_errors: int | None = None) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.max_errors = max_errors
        self._counts: Counter[str] = Counter()
        self._capped = False

    @property
    def counts(self) -> Mapping[str, int]:
        """How many diagnostics of each severity were recorded (also past the cap); read-only."""
        return MappingProxyType(self._counts)

    def add(
        self,
        code: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        pointer: str | None = None,
        item_id: str | None = None,
        annotation_id: str | int | None = None,
        severity: Severity | None = None,
        **ctx: Any,
    ) -> Diagnostic:
        """Record a diagnostic of catalogue ``code``; ``ctx`` fills the message template."""
        found = entry(code)
        loc = Location(path, line, column, pointer, item_id, annotation_id)
        # location fields may appear in a message template too ("item id {item_id!r} ...")
        ctx_all = {"path": path, "pointer": pointer, "item_id": item_id,
                   "annotation_id": annotation_id, **ctx}
        diag = Diagnostic(
            code, found.name, severity or found.severity, _render_message(found.template, ctx_all),
            loc, ctx,
        )
        self._counts[diag.severity.value] += 1
        if self.max_errors is not None and len(self.diagnostics) >= self.max_errors:
            if not self._capped:
                self._capped = True
                cap = entry("AF903")
                self.diagnostics.append(Diagnostic(
                    "AF903", cap.name, cap.severity,
                    _render_message(cap.template, {"limit": self.max_errors}), Location(),
                    {"limit": self.max_errors},
                ))
            return diag
        self.diagnostics.append(diag)
        return diag

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diag in diagnostics:
            self._counts[diag.severity.value] += 1
            self.diagnostics.append(diag)

    def render(self, output: str = "text", *, version: str = "0") -> str:
        """The report as the CLI prints it: ``text``, ``json``, ``github`` or ``sarif``."""
        return render(self, output, version=version)

    def relocate(self, old: str, new: str, *, since: int = 0) -> None:
        """Rename the path prefix ``old`` to ``new`` in the diagnostics recorded from index
        ``since`` on (locations, messages and context): a file read from a temporary copy, such
        as an unpacked archive, is named as the user knows it."""
        def swap(text: str) -> str:
            return new + text[len(old):] if text.startswith(old) else text.replace(old, new)

        for diag in self.diagnostics[since:]:
            if diag.location.path:
                diag.location.path = swap(diag.location.path)
            if old in diag.message:
                diag.message = diag.message.replace(old, new)
            for key, value in diag.ctx.items():
                if isinstance(value, str) and old in value:
                    diag.ctx[key] = swap(value)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.diagnostics)

    def __len__(self) -> int:
        return len(self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def has_errors(self) -> bool:
        return self.counts["error"] > 0

    def codes(self) -> list[str]:
        """The codes recorded, in order (handy in tests)."""
        return [d.code for d in self.diagnostics]

    def filter(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Report:
        """A new report with only the selected codes (or names), minus the ignored ones.

        A selector may be a full code (``AF203``), a name, or a code prefix (``AF2``).
        """
        sel = [normalise_selector(s) for s in select]
        ign = [normalise_selector(s) for s in ignore]
        out = Report(self.max_errors)
        out.extend(
            d for d in self.diagnostics
            if (not sel or any(d.code.startswith(s) for s in sel))
            and not any(d.code.startswith(s) for s in ign)
        )
        return out

    def summary(self) -> dict[str, int]:
        """Counts by severity over everything recorded (also past the cap)."""
        return {s.value: self._counts[s.value] for s in Severity}

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "diagnostics": [d.to_dict() for d in sorted(self.diagnostics, key=Diagnostic.sort_key)],
        }


class RecordedReport(Report):
    """A report that also keeps the arguments of each ``add``: work done apart (in a worker, or
    after the rest) whose findings are replayed into the caller's report in order.

    Example:
        >>> recorded = RecordedReport()
        >>> _ = recorded.add("AF302", item_id="1", w=0, h=4)
        >>> main = Report()
        >>> for code, ctx in recorded.calls:
        ...     _ = main.add(code, **ctx)
        >>> main.codes()
        ['AF302']
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def add(self, code: str, **kwargs: Any) -> Diagnostic:
        self.calls.append((code, kwargs))
        return super().add(code, **kwargs)


def normalise_selector(selector: str) -> str:
    """A code prefix for a code, name or prefix given on the command line (``AF2``, a name)."""
    s = selector.strip()
    if s.upper().startswith("AF"):
        return s.upper()
    return lookup(s).code


def advice(report: Report, *, api: str | None = None) -> list[str]:
    """What would let refused work proceed: each error code's fix, once, and one line for the
    loss that allowing it lifts; in the CLI's terms (``--allow-loss``), or with ``api`` (the
    function: ``"save"``, ``"convert"``) in its keywords (``allow_loss=True``).

    Example:
        >>> report = Report()
        >>> _ = report.add("AF013", path="out.json")
        >>> advice(report)
        ['Choose a new destination or pass --overwrite / overwrite=True.']
        >>> advice(report, api="save")
        ['Choose a new destination or pass overwrite=True.']
    """
    out: list[str] = []
    allowable = False
    for d in report.errors:
        code = lookup(d.code)
        if d.code.startswith("AF5") and not code.refusal:
            allowable = True
        elif code.fix not in out:
            out.append(code.fix)
    if allowable:
        out.append("Pass --allow-loss to write it anyway (every loss stays reported), or choose "
                   "a target that holds what is listed.")
    out = out[:4]
    return out if api is None else [in_api_terms(text, api) for text in out]


#: CLI flags as the Python API spells them (``options`` of ``convert``: a dict)
_FLAGS = [
    (re.compile(r"--(allow-loss|strict|overwrite|allow-empty)\b"),
     lambda m, api: f"{m.group(1).replace('-', '_')}=True"),
    (re.compile(r"--media (\w+)"), lambda m, api: f"media={m.group(1)!r}"),
    (re.compile(r"--images (\S+)"), lambda m, api: f"images={m.group(1)}"),
    (re.compile(r"--(?:from|format) / (\w+=)"), lambda m, api: m.group(1)),  # gave both
    (re.compile(r"--(from|format) (\w[\w-]*)"),
     lambda m, api: f"{'from_' if api == 'convert' else 'format'}={m.group(2)!r}"),
    (re.compile(r"--(read-)?opt (\w+)=([\w.-]*)"), lambda m, api: (
        f"{m.group(2)}={m.group(3)!r}" if api != "convert" else
        f"{'read_options' if m.group(1) else 'options'}={{{m.group(2)!r}: {m.group(3)!r}}}")),
]


def in_api_terms(text: str, api: str) -> str:
    """``text`` (a code's fix, written for the CLI) with its flags as ``api``'s keywords."""
    for pattern, spelled in _FLAGS:
        text = pattern.sub(lambda m, s=spelled: s(m, api), text)  # type: ignore[misc]
    return re.sub(r"(\w+=\S+) / \1", r"\1", text)  # a fix that gave both spellings


class AnnoformatError(Exception):
    """The one exception the library raises for bad input or refused work; carries the Report
    and, in ``advice``, what would let the call proceed (in the API's keywords).

    Example:
        >>> import annoformat as af
        >>> try:
        ...     af.load("does-not-exist.json")
        ... except af.AnnoformatError as exc:
        ...     exc.report.codes()
        ['AF001']
    """

    def __init__(self, report: Report, message: str | None = None, *,
                 api: str = "save") -> None:
        self.report = report
        self.api = api
        self.advice = advice(report, api=api)
        first = next(iter(report.errors), None) or next(iter(report), None)
        text = message or (f"{first.code} {first.message}" if first else "annoformat error")
        if self.advice and message is None:
            text += " (to proceed: " + " ".join(self.advice) + ")"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled whole (a process pool or a Dask worker sends it to the caller)
        return (_rebuilt, (type(self), self.report, str(self), self.api))


def _rebuilt(cls: type[AnnoformatError], report: Report, text: str,
             api: str) -> AnnoformatError:
    return cls(report, text, api=api)


class UsageError(AnnoformatError):
    """Wrong arguments to the API or CLI (unknown format name, bad option)."""


#: what must not reach a terminal or a line-based log raw: C0 and C1 controls, DEL, line and
#: paragraph separators, bidirectional overrides and isolates, lone surrogates
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_text(text: str) -> str:
    r"""``text`` safe to print as (part of) one line: control characters, line breaks and
    bidirectional overrides become Python-style escapes, so a file name holding a newline
    cannot start a fake diagnostic line and an ESC cannot drive the terminal.

    Example:
        >>> escape_text("a\nb.jpg: AF000 fake"), escape_text("cat\x1b[31m"), escape_text("é")
        ('a\\nb.jpg: AF000 fake', 'cat\\x1b[31m', 'é')
    """
    if _UNPRINTABLE.search(text) is None:  # the common case, without a copy
        return text
    return _UNPRINTABLE.sub(_escaped, text)


def _where(d: Diagnostic) -> str:
    """``path:line:col: `` where the finding is; nothing for one about no file (an option, a
    dataset built in code: its pointer says where)."""
    loc = d.location
    if not loc.path:
        return ""
    parts = [loc.path]
    if loc.line is not None:
        parts.append(str(loc.line))
        if loc.column is not None:
            parts.append(str(loc.column))
    return ":".join(parts) + ": "


def _line(d: Diagnostic) -> str:
    where = f" [{d.location.pointer}]" if d.location.pointer else ""
    sev = "" if d.severity is Severity.ERROR else f"({d.severity.value}) "
    return escape_text(f"{_where(d)}{d.code} {d.name}: {sev}{d.message}{where}")


def render_text(report: Report, *, min_severity: Severity = Severity.INFO) -> str:
    """``path:line:col: AF203 duplicate-image-id: message [pointer]``, one per line, sorted;
    what came from the input is escaped (:func:`escape_text`): one diagnostic, one line."""
    order = [Severity.ERROR, Severity.WARNING, Severity.INFO]
    allowed = set(order[: order.index(min_severity) + 1])
    lines = []
    for d in sorted(report.diagnostics, key=Diagnostic.sort_key):
        if d.severity not in allowed:
            continue
        lines.append(_line(d))
    return "\n".join(lines)


def render_json(report: Report) -> str:
    """The whole report as JSON: ``{"summary": {...}, "diagnostics": [...]}``."""
    return orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode()


def _gh_escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: ``::error file=a.json,line=3,col=5,title=AF203::...``;
    what came from the input is escaped (:func:`escape_text`) before the commands' own
    escaping, so it shows as written and cannot end the command."""
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for d in sorted(report.diagnostics, key=Diagnostic.sort_key):
        props = []
        if d.location.path:
            props.append(f"file={_gh_escape(escape_text(d.location.path), True)}")
        if d.location.line is not None:
            props.append(f"line={d.location.line}")
        if d.location.column is not None:
            props.append(f"col={d.location.column}")
        props.append(f"title={_gh_escape(f'{d.code} {d.name}', True)}")
        msg = d.message + (f" [{d.location.pointer}]" if d.location.pointer else "")
        lines.append(f"::{kinds[d.severity]} {','.join(props)}::{_gh_escape(escape_text(msg))}")
    return "\n".join(lines)


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(report: Report, *, version: str = "0") -> str:
    """SARIF 2.1.0: one run, the catalogue's codes as rules, one result per diagnostic."""
    used = sorted({d.code for d in report.diagnostics})
    known = [entry(code) for code in used]
    rules = [{
        "id": e.code,
        "name": e.name,
        "shortDescription": {"text": e.explanation.split(". ")[0].rstrip(".")},
        "fullDescription": {"text": e.explanation},
        "help": {"text": f"{e.fix} Example: {e.example}"},
        "defaultConfiguration": {"level": _SARIF_LEVEL[e.severity]},
    } for e in known]
    results = []
    for d in sorted(report.diagnostics, key=Diagnostic.sort_key):
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": used.index(d.code),
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
        }
        loc = d.location
        if loc.path:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path)}}
            if loc.line is not None:
                region: dict[str, Any] = {"startLine": loc.line}
                if loc.column is not None:
                    region["startColumn"] = loc.column
                physical["region"] = region
            location: dict[str, Any] = {"physicalLocation": physical}
            if loc.pointer:
                location["logicalLocations"] = [{"fullyQualifiedName": loc.pointer}]
            result["locations"] = [location]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "annoformat", "version": version,
                                "informationUri": "https://pypi.org/project/annoformat/",
                                "rules": rules}},
            "results": results,
        }],
    }
    return orjson.dumps(log, option=orjson.OPT_INDENT_2).decode()


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/:")


def render(report: Report, output: str, *, version: str = "0") -> str:
    """Render with ``output`` = ``text``, ``json``, ``github`` or ``sarif`` (``version`` names
    annoformat's version in SARIF)."""
    if output == "json":
        return render_json(report)
    if output == "github":
        return render_github(report)
    if output == "sarif":
        return render_sarif(report, version=version)
    return render_text(report)
