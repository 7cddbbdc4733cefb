"""CVAT export folders: what CVAT's "Export dataset" and datumaro's ``cvat`` exporter unpack to.

CVAT writes one ``annotations.xml`` (beside ``images/``); datumaro writes one XML per subset
(``train.xml``, ``val.xml``, each a task of its own). A folder of subset files is read as one
dataset: each file's images take its stem as their subset unless they name one themselves, and
the labels are the union of the files' (the first declaration of a name wins). The files' tasks
become the tasks of one project's meta (each naming its subset), which is how CVAT exports the
same subsets in one file, so that writing the dataset as one file keeps every task.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annoformat.formats.cvat._common import NAME, subset_read, subset_text
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
    extras = parts[0][1].extras
    project = _project_of(parts)
    if project is not None:
        extras = {**extras, NAME: {**extras.get(NAME, {}), "meta": project}}
    return trusted(Dataset, {"labels": list(labels.values()), "items": items, "info": {},
                             "extras": extras})


def _project_of(parts: list[tuple[Path, Dataset]]) -> list[Any] | None:
    """One project's meta holding each file's task (labels aside; its subset named), or None
    when a file's meta is not one task."""
    tasks: list[Any] = []
    for path, ds in parts:
        meta = ds.extras.get(NAME, {}).get("meta")
        if not (isinstance(meta, list) and len(meta) == 1 and meta[0][0] == "task"
                and isinstance(meta[0][1], list)):
            return None
        fields = [f for f in meta[0][1] if f != ["labels", None]]
        if not any(key == "subset" and subset_read(value) for key, value in fields):
            fields = [f for f in fields if f[0] != "subset"]
            fields.append(["subset", subset_text(path.stem)])
        tasks.append(["task", fields])
    names = [subset_text(next(subset_read(v) or path.stem for k, v in task[1] if k == "subset"))
             for task, (path, _) in zip(tasks, parts, strict=True)]
    return [["project", [["name", ""], ["labels", None], ["subsets", "\n".join(names)],
                         ["tasks", tasks]]]]
