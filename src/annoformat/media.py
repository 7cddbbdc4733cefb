"""Images travel with their labels: find each item's image in the source, place it in the output.

A format that keeps images beside its labels (YOLO ``images/``, VOC ``JPEGImages/``, a COCO
folder's ``images/<subset>/``) says where each item's image goes (``FormatSpec.media``); this
module finds the image in the source and links or copies it there, inside the staging folder, so
the images land atomically with the labels.

Finding an image: the item's ``media.path`` (``a.jpg``, ``train/a.jpg``) under the search root
(the ``--images`` folder when one is given, else the source folder: the folder holding a source
file, or its parent when that folder is ``annotations`` or ``labels``, as in
``coco/annotations/instances_val.json`` + ``coco/val/``): first where layouts keep images
(``images/<subset>/``, ``<subset>/``, ``JPEGImages/``...), then among all the image files under
the root. There a path matches a file whose path ends with it; of several, the one with the
item's subset among its folders; still several, it is ambiguous and counted as missing (never
a guess).

Example:
    >>> from annoformat.model import Image, Item
    >>> index = MediaIndex.of([])
    >>> index.find(Item(id="1", media=Image(path="a.jpg"))) is None
    True
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from annoformat._io import is_safe_relative
from annoformat.model import Image, Item, VideoFrame

Mode = Literal["hardlink", "copy", "symlink", "none"]
MODES: tuple[Mode, ...] = ("hardlink", "copy", "symlink", "none")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp",
                            ".dng", ".mpo", ".pfm", ".heic"})
#: how many directory entries the fallback walk looks at before it stops (a guard against a
#: source file that sits in a home folder; images beyond it are reported missing, AF060)
SCAN_LIMIT = 2_000_000


def search_root(source: Path) -> Path:
    """Where a source's images are looked for when no ``--images`` folder is given."""
    root = source if source.is_dir() else source.parent
    if root.name.lower() in ("annotations", "labels") and root.parent != root:
        return root.parent
    return root


@dataclass
class MediaIndex:
    """Finds items' images under a root: first where layouts put them (a few ``stat`` calls),
    then, for what is not there, among the image files under the root (walked once, at most
    ``SCAN_LIMIT`` entries), by lower-cased file name."""

    roots: list[Path]
    by_name: dict[str, list[str]] | None = None
    walked_all: bool = True  # False: the walk stopped at SCAN_LIMIT
    #: per usual folder, the names of the files in it (listed once: one ``scandir`` instead
    #: of a ``stat`` per item and place, most of them for images that are not there)
    listed: dict[Path, frozenset[str]] = field(default_factory=dict)
    #: per subset, the usual folders under each root
    places: dict[str | None, list[Path]] = field(default_factory=dict)

    @classmethod
    def of(cls, roots: Iterable[Path]) -> MediaIndex:
        return cls(list(roots))

    def _walk(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        seen = 0
        for root in self.roots:
            for folder, dirs, files in os.walk(root, followlinks=False):
                dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__MACOSX"]
                for name in files:
                    if os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                        index.setdefault(name.lower(), []).append(os.path.join(folder, name))
                seen += len(files) + len(dirs)
                if seen > SCAN_LIMIT:
                    self.walked_all = False
                    return index
        return index

    def find(self, item: Item) -> Path | None:
        """The image file of ``item`` (None when absent or ambiguous)."""
        media = item.media
        if not isinstance(media, (Image, VideoFrame)) or not media.path:
            return None
        rel = media.path.replace("\\", "/")
        while rel.startswith("./"):
            rel = rel[2:]
        if not is_safe_relative(rel):  # '../../etc/passwd', '/abs/a.jpg': never a file
            rel = rel.rsplit("/", 1)[-1]  # outside the roots; looked for there by name
        places = self.places.get(item.subset)
        if places is None:
            places = self.places[item.subset] = [
                folder for root in self.roots for folder in _usual(root, item.subset)]
        for folder in places:  # the usual places: no walk needed
            if "/" in rel:
                if (folder / rel).is_file():
                    return folder / rel
                continue
            names = self.listed.get(folder)
            if names is None:
                names = self.listed[folder] = _files(folder)
            if rel in names:
                return folder / rel
        if self.by_name is None:
            self.by_name = self._walk()
        found = self.by_name.get(rel.rsplit("/", 1)[-1].lower(), [])
        if "/" in rel:  # the folders in the item's path must match too
            tail = "/" + rel.lower()
            found = [p for p in found if p.replace(os.sep, "/").lower().endswith(tail)]
        if len(found) > 1 and item.subset:
            subset = item.subset.lower()
            found = [p for p in found
                     if subset in p.replace(os.sep, "/").lower().split("/")[:-1]] or found
        return Path(found[0]) if len(found) == 1 else None


def _files(folder: Path) -> frozenset[str]:
    """The names of the files in ``folder`` (symbolic links to files included), none when it
    cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            return frozenset(e.name for e in entries if e.is_file())
    except OSError:
        return frozenset()


def _usual(root: Path, subset: str | None) -> list[Path]:
    """Where layouts keep images relative to a dataset root (COCO, YOLO, VOC, CVAT, Roboflow);
    a subset's own folders first, so two subsets' same-named images stay apart."""
    own = [root / "images" / subset, root / subset / "images", root / subset] if subset else []
    return [*own, root / "images", root / "JPEGImages", root]


def place(src: Path, target: Path, mode: Mode) -> Mode:
    """Put ``src`` at ``target`` (a hard link, a copy or a symbolic link); a hard link that the
    file system refuses (another device, no link support) becomes a copy. Returns what was done.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode == "hardlink":
        try:
            os.link(src, target)
            return "hardlink"
        except OSError:
            mode = "copy"
    if mode == "symlink":
        os.symlink(src.resolve(), target)
        return "symlink"
    import shutil  # a conversion that copies images; never a `validate` (start-up)

    shutil.copyfile(src, target)
    return "copy"
