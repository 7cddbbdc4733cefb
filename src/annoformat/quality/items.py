"""Pairing the items of two datasets: which reference item is which candidate item.

Images and video frames pair by ``(subset, media path[, frame])``, then the rest by media file
name alone (a COCO file without subsets against a YOLO ``train`` folder); text items by id
where the texts agree, then by the text itself, then by id alone, then by position (line
number). Items left on one side are reported (AF701, AF702) with their annotation counts and
take no part in the metrics.

Example:
    >>> from annoformat.model import Dataset, Item, Image
    >>> ref = Dataset(items=[Item(id="1", media=Image(path="a.jpg")),
    ...                      Item(id="2", media=Image(path="b.jpg"))])
    >>> cand = Dataset(items=[Item(id="9", subset="train", media=Image(path="images/a.jpg"))])
    >>> from annoformat.diagnostics import Report
    >>> r = Report()
    >>> pair_items(ref, cand, r), r.codes()
    ([(0, 0)], ['AF704', 'AF701'])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from pathlib import Path
from posixpath import basename

from annoformat.diagnostics import Report
from annoformat.model import Dataset, Item, Text, VideoFrame

#: what the quality functions take: a path in any format annoformat reads, or a Dataset
Source = str | Path | Dataset


def read_source(source: Source, format: str | None = None,
                report: Report | None = None) -> Dataset:
    """``source`` itself when it is a Dataset, else what :func:`annoformat.load` reads there
    (``format`` detected when None; findings into ``report``)."""
    if isinstance(source, Dataset):
        return source
    from annoformat.convert import load

    return load(source, format, report=report)

_SHOWN = 5

KeyFn = Callable[[int, Item], Hashable | None]


def _path_key(i: int, item: Item) -> Hashable | None:
    media = item.media
    if isinstance(media, Text):
        return None
    frame = media.frame if isinstance(media, VideoFrame) else None
    return (item.subset, media.path.replace("\\", "/"), frame)


def _name_key(i: int, item: Item) -> Hashable | None:
    media = item.media
    if isinstance(media, Text):
        return None
    frame = media.frame if isinstance(media, VideoFrame) else None
    return (basename(media.path.replace("\\", "/")), frame)


def _text_key(i: int, item: Item) -> Hashable | None:
    return item.media.text if isinstance(item.media, Text) else None


def _id_text_key(i: int, item: Item) -> Hashable | None:
    return (item.id, item.media.text) if isinstance(item.media, Text) else None


def _id_key(i: int, item: Item) -> Hashable | None:
    return item.id if isinstance(item.media, Text) else None


def _line_key(i: int, item: Item) -> Hashable | None:
    return i if isinstance(item.media, Text) else None


def label(item: Item) -> str:
    """How an item is named in messages: its media path, else its id."""
    media = item.media
    name = item.id if isinstance(media, Text) else media.path
    return f"{item.subset}/{name}" if item.subset else name


def pair_items(ref: Dataset, cand: Dataset, report: Report) -> list[tuple[int, int]]:
    """``(reference index, candidate index)`` of every paired item, in reference order.

    Records AF703 when a key is shared by several items of one side (they pair in order),
    AF704 (info) when items paired by file name alone, AF701/AF702 for the items left over.
    """
    left = set(range(len(ref.items)))
    right = set(range(len(cand.items)))
    pairs: list[tuple[int, int]] = []
    for stage, key in enumerate((_path_key, _name_key, _id_text_key, _text_key, _id_key,
                                 _line_key)):
        found = _pair_by(ref, cand, left, right, key, report, strict=stage in (0, 2))
        if stage == 1 and found:
            report.add("AF704", count=len(found), examples=_examples(
                [f"{label(ref.items[i])} = {label(cand.items[j])}" for i, j in found]))
        pairs += found
        left -= {i for i, _ in found}
        right -= {j for _, j in found}
        if not left or not right:
            break
    for side, ds, rest, code in (("reference", ref, left, "AF701"),
                                 ("candidate", cand, right, "AF702")):
        if rest:
            items = [ds.items[i] for i in sorted(rest)]
            report.add(code, count=len(items), side=side,
                       annotations=sum(len(it.annotations) for it in items),
                       examples=_examples([label(it) for it in items]))
    pairs.sort()
    return pairs


def _pair_by(ref: Dataset, cand: Dataset, left: set[int], right: set[int], key: KeyFn,
             report: Report, *, strict: bool) -> list[tuple[int, int]]:
    """Pairs of equal keys. ``strict`` (the full keys): items sharing a key pair in order and
    AF703 says so; otherwise a key shared on either side is no evidence and pairs nothing."""
    groups: list[dict[Hashable, list[int]]] = []
    for ds, todo in ((ref, left), (cand, right)):
        by: dict[Hashable, list[int]] = defaultdict(list)
        for i in sorted(todo):
            k = key(i, ds.items[i])
            if k is not None:
                by[k].append(i)
        groups.append(by)
    out: list[tuple[int, int]] = []
    for k, rs in groups[0].items():
        cs = groups[1].get(k)
        if not cs:
            continue
        if len(rs) == 1 and len(cs) == 1:
            out.append((rs[0], cs[0]))
        elif strict:
            out += list(zip(rs, cs, strict=False))  # the surplus stays unpaired
    if strict:
        for side, ds, by in (("reference", ref, groups[0]), ("candidate", cand, groups[1])):
            shared = [label(ds.items[v[0]]) for v in by.values() if len(v) > 1]
            if shared:
                report.add("AF703", count=len(shared), side=side, examples=_examples(shared))
    return out


def _examples(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
