"""CVAT export folders: what CVAT's "Export dataset" and datumaro's ``cvat`` exporter unpack to.

CVAT writes one ``annotations.xml`` (beside ``images/``); datumaro writes one XML per subset
(``train.xml``, ``val.xml``, each a task of its own). A folder of subset files is read as one
dataset: each file's images take its stem as their subset unless they name one themselves, and
the labels are the union of the files' (the first declaration of a name wins).
"""

from __future__ import annotations

from pathlib import Path

from annoformat.model import Dataset, Item, Label, trusted

#: the annotation file of a CVAT export folder or archive
EXPORT_XML = "annotations.xml"


def is_cvat_xml(path: Path) -> bool:
    """An ``.xml`` file whose root element is ``<annotations>`` (read from its first 4 KiB)."""
    if path.suffix.lower() != ".xml" or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    at = head.find(b"<annotations")
    return at >= 0 and head[at + 12: at + 13] in (b">", b" ", b"\n", b"\r", b"\t", b"/")


def files_of(folder: Path) -> list[Path]:
    """The annotation files of an export folder: ``annotations.xml``, else the subset files."""
    if not folder.is_dir():
        return []
    if (folder / EXPORT_XML).is_file():
        return [folder / EXPORT_XML]
    return sorted(p for p in folder.iterdir() if is_cvat_xml(p))


def merged(parts: list[tuple[Path, Dataset]]) -> Dataset:
    """The datasets read from the subset files of one folder, as one."""
    if len(parts) == 1:
        return parts[0][1]
    labels: dict[str, Label] = {}
    items: list[Item] = []
    for path, ds in parts:
        for label in ds.labels:
            labels.setdefault(label.name, label)
        items += [item if item.subset is not None
                  else item.model_copy(update={"subset": path.stem}) for item in ds.items]
    return trusted(Dataset, {"labels": list(labels.values()), "items": items, "info": {},
                             "extras": parts[0][1].extras})
