"""The VOC devkit as it unpacks: ``VOCdevkit/VOC2007/``, ``VOCdevkit/VOC2012/``...

A devkit is a folder (``VOCdevkit/`` itself, or the folder holding it) whose children are VOC
dataset roots (``Annotations/`` or ``ImageSets/Main/``). Each year is read as a dataset of its
own; merged, every subset is named after its year (``trainval-VOC2007``; items in no image set
get the year itself) so that ids stay unique per subset and the years stay apart when written to
another format. ``year=2007`` reads that year alone, subsets unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from annoformat.diagnostics import Report
from annoformat.formats.voc._common import set_order
from annoformat.model import Dataset, Item, Label, trusted
from annoformat.spec import Stream


def is_root(path: Path) -> bool:
    """A VOC dataset folder: ``Annotations/`` or ``ImageSets/Main/``."""
    return (path / "Annotations").is_dir() or (path / "ImageSets" / "Main").is_dir()


def subset_folders(path: Path) -> list[tuple[str, Path]]:
    """Roboflow's VOC export: ``train/``, ``valid/``, ``test/``, each a folder of XML files with
    the images beside them (empty when ``path`` is not laid out so)."""
    if not path.is_dir() or is_root(path):
        return []
    return [(c.name, c) for c in sorted(path.iterdir())
            if c.is_dir() and not c.name.startswith(".") and any(c.glob("*.xml"))]


def read_subsets(found: list[tuple[str, Path]],
                 read_one: Callable[[Path], Dataset | None]) -> Dataset | None:
    """The subset folders read and merged, each item in its folder's subset."""
    parts = [(name, read_one(folder)) for name, folder in found]
    labels: dict[str, Label] = {}
    items: list[Item] = []
    for name, ds in parts:
        if ds is None:
            return None
        for label in ds.labels:
            labels.setdefault(label.name, label)
        items += [item.model_copy(update={"subset": name}) for item in ds.items]
    return trusted(Dataset, {"labels": list(labels.values()), "items": items, "info": {},
                             "extras": {}})


def stream_subsets(found: list[tuple[str, Path]],
                   open_one: Callable[[Path], Stream | None]) -> Stream:
    """:func:`read_subsets` one item at a time: each folder opened when the previous one is
    done, its labels joining the head's as they are met."""
    head = trusted(Dataset, {"labels": [], "items": [], "info": {}, "extras": {}})
    return Stream(head, _subset_items(found, open_one, head))


def _subset_items(found: list[tuple[str, Path]], open_one: Callable[[Path], Stream | None],
                  head: Dataset) -> Iterator[Item]:
    names: set[str] = set()

    def join(labels: list[Label]) -> None:
        for label in labels:
            if label.name not in names:
                names.add(label.name)
                head.labels.append(label)

    for name, folder in found:
        part = open_one(folder)
        if part is None:
            continue  # its reason is recorded; the whole read fails as read_subsets does
        for item in part.items:
            join(part.head.labels)
            yield item.model_copy(update={"subset": name})
        join(part.head.labels)


def years(path: Path) -> list[tuple[str, Path]]:
    """The year folders of the devkit at ``path`` (empty when it is not one)."""
    if not path.is_dir() or is_root(path):
        return []
    base = next((c for c in path.iterdir() if c.is_dir() and c.name.lower() == "vocdevkit"),
                path)
    return [(c.name, c) for c in sorted(base.iterdir()) if c.is_dir() and is_root(c)]


def year_of(path: Path, found: list[tuple[str, Path]], year: int | str,
            report: Report) -> Path | None:
    """The folder of ``year`` (``2007`` or ``VOC2007``); None with AF028 when there is none."""
    chosen = [folder for name, folder in found if name in (str(year), f"VOC{year}")]
    if not chosen:
        report.add("AF028", path=str(path), year=year,
                   found=", ".join(name for name, _ in found))
        return None
    return chosen[0]


def read_devkit(path: Path, found: list[tuple[str, Path]], year: int | str | None, report: Report,
                read_one: Callable[[Path], Dataset | None]) -> Dataset | None:
    """Every year of the devkit merged (or the one ``year``), read with ``read_one``."""
    if year is not None:
        chosen = year_of(path, found, year, report)
        return read_one(chosen) if chosen is not None else None
    parts = [(name, read_one(folder)) for name, folder in found]
    if any(ds is None for _, ds in parts):
        return None
    labels: dict[str, Label] = {}
    items: list[Item] = []
    class_sets: list[str] = []
    for name, ds in parts:
        assert ds is not None
        for label in ds.labels:
            labels.setdefault(label.name, label)
        items += [_renamed(item, name) for item in ds.items]
        class_sets += [f"{s}-{name}" for s in ds.extras.get("voc", {}).get("class_imagesets", [])]
    # in the order one dataset folder holding all these image sets reads in: subsets in
    # set order, labels in order of first use
    items.sort(key=lambda item: set_order(item.subset or ""))
    used = {ann.label: None for item in items for ann in item.annotations if ann.label}
    order = [labels[name] for name in used if name in labels]
    order += [label for name, label in labels.items() if name not in used]
    extras = {"voc": {"class_imagesets": sorted(class_sets, key=set_order)}} if class_sets else {}
    return trusted(Dataset, {"labels": order, "items": items, "info": {}, "extras": extras})


def _renamed(item: Item, year: str) -> Item:
    """``item`` with its subset (and its other image sets) named after ``year``."""
    update: dict[str, Any] = {"subset": f"{item.subset}-{year}" if item.subset else year}
    voc = item.extras.get("voc")
    if voc and voc.get("imagesets"):
        sets = [f"{s}-{year}" for s in voc["imagesets"]]
        update["extras"] = {**item.extras, "voc": {**voc, "imagesets": sets}}
    return item.model_copy(update=update)
