"""The one hardened XML parser every XML format uses (VOC, CVAT).

* annoformat reads the bytes itself (size-capped by ``_io.read_bytes``) and hands lxml bytes,
  never a path: lxml would transparently gunzip a path, defeating the size cap;
* no DTD loading, no entity expansion, no network; a DOCTYPE (the only way to declare entities)
  is refused outright with AF021 rather than silently ignored or expanded;
* libxml2's default depth and size limits stay on (``huge_tree`` off): too deep is AF902;
* errors carry file and line (and column where libxml2 gives one).

Example:
    >>> from annoformat.diagnostics import Report
    >>> report = Report()
    >>> parse_xml(b"<a><b/></a>", "x.xml", report).tag, report.codes()
    ('a', [])
    >>> parse_xml(b"<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", "x.xml", report), report.codes()
    (None, ['AF021'])
"""

from __future__ import annotations

from lxml import etree

from annoformat.diagnostics import Report


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(data: bytes, path: str, report: Report) -> etree._Element | None:
    """Parse XML bytes; None with AF020/AF021/AF902 recorded when it cannot be used."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        msg = str(exc.msg)
        if "depth" in msg.lower():
            report.add("AF902", path=path, line=line, column=column, limit=256)
        elif "entity" in msg.lower() and b"<!DOCTYPE" in data[:4096]:
            report.add("AF021", path=path, line=line, column=column, reason=msg)
        else:
            report.add("AF020", path=path, line=line, column=column, reason=msg)
        return None
    docinfo = root.getroottree().docinfo
    doctype: str = getattr(docinfo, "doctype", "")  # missing from lxml-stubs
    if doctype or docinfo.internalDTD is not None:
        at = data.find(b"<!DOCTYPE")
        line = data.count(b"\n", 0, at) + 1 if at >= 0 else 1
        report.add("AF021", path=path, line=line,
                   reason=f"document declares {doctype or 'an internal DTD'}")
        return None
    return root


def xpath_of(element: etree._Element) -> str:
    """A readable XPath to ``element``: ``/annotation/object[2]/bndbox``."""
    path: str = element.getroottree().getpath(element)
    return path
