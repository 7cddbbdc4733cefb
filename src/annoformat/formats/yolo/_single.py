"""One YOLO label file, checked in the context of its dataset (for hooks and editors).

A label ``.txt`` means nothing alone: its class ids need the dataset's names and its values the
image size. :func:`dataset_root` finds the nearest folder upwards that is a YOLO dataset
(data.yaml, obj.data/obj.names, classes.txt); :func:`read_label_file` reads that dataset once
per process (pre-commit passes many files of one dataset) and keeps only this file's item and
diagnostics, plus those of the dataset's own configuration.
"""

from __future__ import annotations

from pathlib import Path

from annoformat import sourcemap
from annoformat.diagnostics import Diagnostic, Report
from annoformat.formats.yolo import _layout as lay
from annoformat.formats.yolo._common import Options
from annoformat.model import Dataset
from annoformat.sourcemap import SourceMap

#: how far up from a label file to look for its dataset
MAX_DEPTH = 6
#: .txt files that are dataset files, not label files
NOT_LABELS = frozenset({"classes.txt", "train.txt", "valid.txt", "val.txt", "test.txt"})

_CACHE: dict[tuple[Path, str], tuple[Dataset | None, list[Diagnostic], SourceMap]] = {}


def dataset_root(path: Path) -> Path | None:
    """The YOLO dataset folder a label file belongs to, or None."""
    if not path.is_file() or path.suffix.lower() != ".txt" or path.name in NOT_LABELS:
        return None
    for parent in list(path.resolve().parents)[:MAX_DEPTH]:
        found = lay.kind_of(parent)
        if found is not None and found[0] != "classify":
            return parent
    return None


def _read_root(root: Path, options: Options) -> tuple[Dataset | None, list[Diagnostic], SourceMap]:
    key = (root, options.model_dump_json())
    if key not in _CACHE:
        # the reader loads when a file is read, not when detection imports this module
        from annoformat.formats.yolo._read import read_dataset

        report = Report()
        with sourcemap.recording() as sm:
            ds = read_dataset(root, options, report)
        _CACHE.clear()  # keep one dataset: a hook run walks one dataset's files
        _CACHE[key] = (ds, report.diagnostics, sm)
    return _CACHE[key]


def read_label_file(path: Path, root: Path, options: Options, report: Report) -> Dataset | None:
    """The dataset at ``root`` cut down to the item of label file ``path``."""
    ds, diagnostics, sm = _read_root(root, options)
    label = str(path.resolve())
    mine = [i for i, origin in sm.items.items() if str(Path(origin.path).resolve()) == label]
    own_files = {label}
    for diag in diagnostics:
        where = str(Path(diag.location.path).resolve()) if diag.location.path else None
        # this file's findings, and the dataset configuration's (they apply to every file)
        if where == label or (where is not None and Path(where).suffix != ".txt") or (
                where is None):
            if diag.code == "AF034":
                continue  # "read: layout, task" describes the whole dataset, not this file
            report.extend([diag])
            own_files.add(where or "")
    if ds is None:
        return None
    outer = sourcemap.current()
    items = []
    for new_index, old in enumerate(mine):
        item = ds.items[old]
        items.append(item)
        if outer is not None:
            outer.item(new_index, str(path))
            for j in range(len(item.annotations)):
                origin = sm.annotations.get((old, j))
                outer.annotation(new_index, j, str(path), line=origin.line if origin else None)
    return ds.model_copy(update={"items": items})
