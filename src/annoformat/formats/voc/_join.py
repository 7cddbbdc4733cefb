"""A VOC folder made of the folders its parts were written to (a conversion that writes as it
reads, ``annoformat.stream``): what ``write`` gives for the whole dataset.

Each part's folder is a complete VOC dataset of its items. Their documents and PNG masks move
in as they are; the image-set lists are concatenated in part order (the order of the items);
a class's ``<class>_<set>.txt`` that a part lacks (none of its items holds the class) is made
from that part's ``<set>.txt``, every image ``-1``; ``labelmap.txt`` is written from the labels
known at the end. Two items of different parts that name one document are AF211, as within one
part; what is kept to find them is the 64-bit hash of each document's casefolded name (16 to 32
bytes a document, ``SeenKeys``): on a repeated hash the document already moved in is looked
up by name, which also tells a real repeat from two names that share a hash.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from annoformat.diagnostics import Report
from annoformat.formats._seen import SeenKeys
from annoformat.formats.voc import _labelmap as labelmap
from annoformat.formats.voc import _segmentation as seg
from annoformat.formats.voc._common import Options, resolve_options, single_file
from annoformat.model import Dataset

_ANNOTATIONS = "Annotations"
_MAIN = Path("ImageSets") / "Main"


def join(parts: list[Path], head: Dataset, dest: Path, options: Options,
         report: Report) -> None:
    """Move the parts' documents and masks into ``dest`` and write its lists and label map."""
    options = resolve_options(options, dest)
    if single_file(options):  # one item, so one part holds it
        for part in parts:
            if part.is_file():
                os.replace(part, dest)
        return
    (dest / _ANNOTATIONS).mkdir(parents=True, exist_ok=True)
    seen = SeenKeys(values=False)
    lists: dict[Path, list[tuple[Path, Path]]] = {}  # list -> (part, file) in part order
    documents = 0
    for part in parts:
        for doc in sorted((part / _ANNOTATIONS).iterdir()):
            key = _key(doc.stem)
            first = _moved_in(dest / _ANNOTATIONS, key) if seen.first(key) is not None else None
            if first is not None:
                report.add("AF211", path=str(dest / _ANNOTATIONS / doc.name),
                           item_id=first, item=first, other=doc.stem,
                           file=f"{_ANNOTATIONS}/{doc.name}")
                continue
            os.replace(doc, dest / _ANNOTATIONS / doc.name)
            documents += 1
        for folder in (seg.OBJECT_DIR, seg.CLASS_DIR):
            if (part / folder).is_dir():
                (dest / folder).mkdir(exist_ok=True)
                for png in (part / folder).iterdir():
                    os.replace(png, dest / folder / png.name)
        for listed in sorted((part / "ImageSets").rglob("*.txt")):
            lists.setdefault(listed.relative_to(part), []).append((part, listed))
    if report.has_errors:
        return
    _class_lists(head, parts, lists)
    for rel, files in sorted(lists.items()):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        with open(dest / rel, "wb") as out:
            for _, listed in files:
                out.write(listed.read_bytes())
    if documents:
        (dest / labelmap.FILE).write_text(labelmap.text(head.labels), encoding="utf-8")


def _key(stem: str) -> str:
    return unicodedata.normalize("NFC", stem).casefold()


def _moved_in(folder: Path, key: str) -> str | None:
    """The stem of the document in ``folder`` whose name is ``key`` once casefolded (None: a
    hash shared by two different names). A scan of the folder, made only for a repeat."""
    with os.scandir(folder) as entries:
        for entry in entries:
            stem = entry.name[: -len(".xml")] if entry.name.endswith(".xml") else entry.name
            if _key(stem) == key:
                return stem
    return None


def _class_lists(head: Dataset, parts: list[Path],
                 lists: dict[Path, list[tuple[Path, Path]]]) -> None:
    """Give every part a place in every ``<class>_<set>.txt``: a part none of whose items holds
    the class lists each of its images in that set as ``-1``."""
    wanted = head.extras.get("voc", {}).get("class_imagesets", [])
    for subset in wanted:
        for label in head.label_names():
            rel = _MAIN / f"{label}_{subset}.txt"
            if rel not in lists:
                continue  # no item of the whole dataset holds the class
            have = {part for part, _ in lists[rel]}
            merged = []
            for part in parts:
                if part in have:
                    merged += [(p, f) for p, f in lists[rel] if p == part]
                elif (part / _MAIN / f"{subset}.txt").is_file():
                    made = part / _MAIN / f"{label}_{subset}.txt"
                    stems = (part / _MAIN / f"{subset}.txt").read_text(encoding="utf-8")
                    made.write_text("".join(f"{stem} {-1:2d}\n" for stem in stems.split()),
                                    encoding="utf-8")
                    merged.append((part, made))
            lists[rel] = merged
