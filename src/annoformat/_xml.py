"""The one hardened XML parser every XML format uses (VOC, CVAT).

* annoformat reads the bytes itself (size-capped by ``_io.read_bytes``) and hands lxml bytes,
  never a path: lxml would transparently gunzip a path, defeating the size cap;
* no DTD loading, no entity expansion, no network; a DOCTYPE (the only way to declare entities)
  is refused outright with AF021 rather than silently ignored or expanded;
* libxml2's default depth and size limits stay on (``huge_tree`` off): too deep is AF902;
* errors carry file and line (and column where libxml2 gives one);
* libxml2 running out of memory (its "Memory allocation failed", or "unknown error" when a
  limit stops it early) is AF905, not a syntax error.

Example:
    >>> from annoformat.diagnostics import Report
    >>> report = Report()
    >>> parse_xml(b"<a><b/></a>", "x.xml", report).tag, report.codes()
    ('a', [])
    >>> parse_xml(b"<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", "x.xml", report), report.codes()
    (None, ['AF021'])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from annoformat.diagnostics import Report

if TYPE_CHECKING:  # lxml loads when XML is parsed, not when a format module is imported
    from lxml import etree

_SETTINGS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": False,
}
#: what libxml2 says when an allocation failed (under a memory limit, "unknown error" at 0:0)
_OUT_OF_MEMORY = ("memory allocation failed", "out of memory", "unknown error")


def _parser() -> etree.XMLParser:
    from lxml import etree

    return etree.XMLParser(**_SETTINGS)


def pull_parser(tags: Iterable[str]) -> etree.XMLPullParser:
    """A feed parser with the same hardening as :func:`parse_xml`, reporting the end of the
    elements named ``tags`` (streaming readers clear what they have read)."""
    from lxml import etree

    return etree.XMLPullParser(events=("end",), tag=tuple(tags), **_SETTINGS)


def parse_xml(data: bytes, path: str, report: Report) -> etree._Element | None:
    """Parse XML bytes; None with AF020/AF021/AF902/AF905 recorded when it cannot be used."""
    from lxml import etree

    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        syntax_error(exc, data[:4096], path, report)
        return None
    doctype = doctype_of(root)
    if doctype is not None:
        report.add("AF021", path=path, line=doctype_line(data),
                   reason=f"document declares {doctype}")
        return None
    return root


def syntax_error(exc: etree.XMLSyntaxError, head: bytes, path: str, report: Report,
                 *, streamed: bool = False) -> None:
    """Record what a failed parse means: AF902 too deep, AF021 an entity of a DOCTYPE (``head``
    is the file's start), AF905 libxml2 out of memory, else AF020 with line and column.

    ``streamed``: the parse was fed in chunks after :func:`etree.clear_error_log`; libxml2's
    first error is then the one (a feed parser may raise a later, misleading one, such as "no
    element found" at 0:0 after an undefined entity)."""
    from lxml import etree

    line, column = exc.position if exc.position else (exc.lineno, None)
    msg = str(exc.msg)
    log: Any = exc.error_log
    # the domains of schema errors, which the thread's error log holds beside the parser's
    validation = (etree.ErrorDomains.SCHEMASV, etree.ErrorDomains.SCHEMASP)
    errors = [e for e in log if e.level >= etree.ErrorLevels.ERROR
              and e.domain not in validation] if streamed else []
    if errors and errors[0].line and (errors[0].line, errors[0].column) != (line, column):
        line, column = errors[0].line, errors[0].column
        msg = f"{errors[0].message}, line {line}, column {column}"
    if any(m in msg.lower() for m in _OUT_OF_MEMORY):
        report.add("AF905", path=path, detail="")
    elif "depth" in msg.lower():
        report.add("AF902", path=path, line=line, column=column, limit=256)
    elif "entity" in msg.lower() and b"<!DOCTYPE" in head[:4096]:
        report.add("AF021", path=path, line=line, column=column, reason=msg)
    else:
        report.add("AF020", path=path, line=line, column=column, reason=msg)


def doctype_of(root: etree._Element) -> str | None:
    """What the document of ``root`` declares in a DOCTYPE (None when it has none)."""
    docinfo = root.getroottree().docinfo
    doctype: str = getattr(docinfo, "doctype", "")  # missing from lxml-stubs
    if doctype or docinfo.internalDTD is not None:
        return doctype or "an internal DTD"
    return None


def doctype_line(head: bytes) -> int:
    """The line of ``<!DOCTYPE`` in the file's start ``head`` (1 when not there)."""
    at = head.find(b"<!DOCTYPE")
    return head.count(b"\n", 0, at) + 1 if at >= 0 else 1


def xpath_of(element: etree._Element) -> str:
    """A readable XPath to ``element``: ``/annotation/object[2]/bndbox``."""
    path: str = element.getroottree().getpath(element)
    return path
