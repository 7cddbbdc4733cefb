"""COCO files spliced into one: a sharded conversion's outputs merged into a single document.

The files are read one at a time (one in memory), their images written out as they come and
their annotations kept in a temporary file until every image is out, so the merged document
has COCO's usual shape: the first file's keys in its order, ``images`` and ``annotations``
those of every file in turn. What a merge must not hide is refused (AF933): a file that is
not a COCO document, categories or another top-level value that differ from the first file's,
an image or annotation id that two files share, an annotation of an image its file lacks.
Ids are compared through a :class:`~annoformat._spill.SortedSpill`, so memory does not grow
with the number of objects.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from typing import IO, Any

import orjson

from annoformat._io import gc_paused
from annoformat._spill import SortedSpill
from annoformat.diagnostics import Report

#: the lists a merge concatenates; every other top-level key must be the same in every file
_SPLICED = ("images", "annotations")


def splice(files: Iterable[tuple[str, Callable[[], bytes]]], out: IO[bytes],
           report: Report) -> bool:
    """Write the COCO documents ``files`` ((name, read its bytes) pairs, in order) to ``out``
    as one document. Returns False (AF933 in ``report``, located at the file) when they do
    not merge; ``out`` then holds a partial document the caller discards.

    Example:
        >>> import io
        >>> doc = b'{"images":[{"id":1}],"annotations":[],"categories":[]}'
        >>> other = b'{"images":[{"id":2}],"annotations":[],"categories":[]}'
        >>> out = io.BytesIO()
        >>> splice([("a.json", lambda: doc), ("b.json", lambda: other)], out, Report())
        True
        >>> out.getvalue()
        b'{"images":[{"id":1},{"id":2}],"annotations":[],"categories":[]}'
    """
    first: dict[str, Any] | None = None
    first_name = ""
    image_ids: SortedSpill[tuple[int, int]] = SortedSpill()
    ann_ids: SortedSpill[tuple[int, int]] = SortedSpill()
    names: list[str] = []
    with tempfile.TemporaryFile() as annotations:
        wrote_images = wrote_annotations = False
        for index, (name, read) in enumerate(files):
            names.append(name)
            doc = _document(name, read, report)
            if doc is None:
                return False
            if first is None:
                first, first_name = doc, name
                out.write(_head(doc))
            elif not _same_rest(first, doc, first_name, name, report):
                return False
            ids = {image["id"] for image in doc["images"]}
            if not _annotations_refer(doc, ids, name, report):
                return False
            image_ids.extend((image["id"], index) for image in doc["images"])
            ann_ids.extend((ann["id"], index) for ann in doc["annotations"])
            if doc["images"]:
                out.write(b"," if wrote_images else b"")
                out.write(orjson.dumps(doc["images"])[1:-1])
                wrote_images = True
            if doc["annotations"]:
                annotations.write(b"," if wrote_annotations else b"")
                annotations.write(orjson.dumps(doc["annotations"])[1:-1])
                wrote_annotations = True
        if first is None:
            return False
        for what, spill in (("image", image_ids), ("annotation", ann_ids)):
            repeated = _repeated(spill)
            if repeated is not None:
                value, a, b = repeated
                where = "it twice" if a == b else f"{names[a]} too"
                report.add("AF933", path=names[b], reason=f"{what} id {value} is in {where}")
                return False
        out.write(b'],"annotations":[')
        annotations.seek(0)
        shutil.copyfileobj(annotations, out)
        out.write(_tail(first))
    return True


def _document(name: str, read: Callable[[], bytes], report: Report) -> dict[str, Any] | None:
    try:
        data = read()
        with gc_paused():  # as every read: a shard's objects hold no cycles
            doc = orjson.loads(data)
        del data
    except orjson.JSONDecodeError as exc:
        report.add("AF933", path=name, reason=f"not JSON: {exc}")
        return None
    if isinstance(doc, dict) and "images" in doc:
        doc.setdefault("annotations", [])  # an image list alone (COCO's test split files)
    if not isinstance(doc, dict) or not all(
            isinstance(doc.get(k), list) for k in (*_SPLICED, "categories")):
        report.add("AF933", path=name, reason="not a COCO document (images, annotations and "
                   "categories lists)")
        return None
    for what in _SPLICED:
        for n, entry in enumerate(doc[what]):
            if not isinstance(entry, dict) or type(entry.get("id")) is not int:
                report.add("AF933", path=name, reason=f"{what}[{n}] has no integer id")
                return None
    return doc


def _head(doc: dict[str, Any]) -> bytes:
    """The document up to its first image: the keys before ``images``, in order (images and
    annotations follow, then the keys after them, as :func:`_tail` writes)."""
    before = dict(_around_images(doc)[0])
    head = orjson.dumps(before)[:-1]
    return head + (b',"images":[' if before else b'"images":[')


def _tail(doc: dict[str, Any]) -> bytes:
    after = dict(_around_images(doc)[1])
    return b"]," + orjson.dumps(after)[1:] if after else b"]}"


def _around_images(doc: dict[str, Any]) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """The top-level entries other than images and annotations, before and after ``images``."""
    entries = list(doc.items())
    at = [k for k, _ in entries].index("images")
    return ([(k, v) for k, v in entries[:at] if k not in _SPLICED],
            [(k, v) for k, v in entries[at:] if k not in _SPLICED])


def _same_rest(first: dict[str, Any], doc: dict[str, Any], first_name: str, name: str,
               report: Report) -> bool:
    """Whether ``doc`` has the first file's top-level values (categories, info, ...)."""
    keys = [k for k in dict.fromkeys([*first, *doc]) if k not in _SPLICED]
    for key in keys:
        if first.get(key) != doc.get(key):
            report.add("AF933", path=name, reason=f"its {key!r} differs from {first_name}'s")
            return False
    return True


def _annotations_refer(doc: dict[str, Any], image_ids: set[int], name: str,
                       report: Report) -> bool:
    for n, ann in enumerate(doc["annotations"]):
        if ann.get("image_id") not in image_ids:
            report.add("AF933", path=name, reason=f"annotations[{n}] refers to image id "
                       f"{ann.get('image_id')!r}, which it does not hold")
            return False
    return True


def _repeated(spill: SortedSpill[tuple[int, int]]) -> tuple[int, int, int] | None:
    """The first id (value, file index, later file index) held twice, in id order."""
    previous: tuple[int, int] | None = None
    try:
        for record in spill:
            if previous is not None and record[0] == previous[0]:
                return record[0], previous[1], record[1]
            previous = record
    finally:
        spill.close()
    return None
