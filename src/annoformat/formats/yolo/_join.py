"""A YOLO folder made of the folders its parts were written to (a conversion that writes as it
reads, ``annoformat.stream``): what ``write`` gives for the whole dataset.

Every part was written with the whole dataset's census (``settle``), so its label files are
where the whole write puts them and its whole-set findings are those of the whole (AF335 is
said by every part alike, and once by the conversion). Here the label files (and
classification's images) move in as they are; Darknet's lists are concatenated in part order;
the size sidecar is merged entry by entry in item order; data.yaml, obj.data / obj.names or
classes.txt are written once from the labels known at the end, and what they say (AF034, AF039,
AF044) is said here, once the parts are known not to collide (a whole write says it after its
label files). Two items of different parts that would share a label file (also by case or
Unicode normalisation) are AF215, as within one part: found by sorting the parts' index files
(a line per label file, on disk) by label file, in flat memory.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO

import orjson

from annoformat._spill import SortedSpill
from annoformat.diagnostics import Report
from annoformat.formats.yolo._common import Options
from annoformat.formats.yolo._sizes import SIDECAR, SIDECAR_FORMAT
from annoformat.formats.yolo._task import census, choose_task, none_subset, output_layout
from annoformat.formats.yolo._write import INDEX, kpt_shape, meta_files
from annoformat.model import Dataset

_META = frozenset({"data.yaml", "obj.data", "obj.names", SIDECAR, INDEX})


@dataclass
class _Meta:
    """What ``meta_files`` fills: the dataset files and the folders they need."""

    files: dict[str, str] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    none_as: str | None = None


def join(parts: list[Path], head: Dataset, dest: Path, options: Options,
         report: Report) -> None:
    """Move the parts' label files into ``dest`` and write its lists and dataset files."""
    seen = census(head, options)
    task, reason = choose_task(head, options, seen.kinds)
    layout = output_layout(head, options, task)
    _collisions(parts, report)
    if report.has_errors:
        return
    meta = _Meta(none_as=none_subset(seen, layout))
    said = Report()  # every part has said AF335 already, as the whole write says it once
    kpt = kpt_shape(head, task, seen, said)
    if not meta_files(head, task, layout, kpt, seen, meta, options, report, dest,
                      _list_names(parts) if layout == "darknet" else None):
        return
    dest.mkdir(parents=True, exist_ok=True)
    lists: dict[str, list[Path]] = {}
    sized: list[Path] = []
    for part in parts:
        for folder, dirs, names in os.walk(part):
            rel_dir = os.path.relpath(folder, part)
            top = rel_dir == "."
            for d in dirs:
                (dest / rel_dir / d).mkdir(exist_ok=True)
            for name in names:
                if top and name == SIDECAR:
                    sized.append(part / name)
                elif top and layout == "darknet" and name.endswith(".txt"):
                    lists.setdefault(name, []).append(part / name)
                elif not (top and (name in _META or (layout == "bare"
                                                     and name == "classes.txt"))):
                    os.replace(Path(folder) / name, dest / rel_dir / name)
    for name, files in lists.items():
        with open(dest / name, "wb") as out:
            for listed in files:
                out.write(listed.read_bytes())
    if sized and options.sizes_file:
        _merge_sizes(sized, dest / SIDECAR)
    for d in meta.dirs:
        (dest / d).mkdir(parents=True, exist_ok=True)
    for rel, text in meta.files.items():
        (dest / rel).write_bytes(text.encode("utf-8"))
    report.add("AF034", path=str(dest), layout=layout, task=task, reason=f"written: {reason}")


def _list_names(parts: list[Path]) -> list[str]:
    """Darknet's list files (``train.txt``...) over all parts, as ``write`` names them."""
    return sorted({p.name for part in parts for p in part.glob("*.txt")})


def _collisions(parts: list[Path], report: Report) -> None:
    """AF215 for two items of different parts that share a label file (a part's own were
    refused when it was written): the parts' index lines sorted by label file (on disk past a
    threshold: flat memory), then said in part and line order."""
    by_key: SortedSpill[tuple[str, int, int, str, str, str]] = SortedSpill()
    for number, part in enumerate(parts):
        index = part / INDEX
        if not index.is_file():
            continue
        with open(index, "rb") as fh:
            for line, raw in enumerate(fh):
                key, item_id, shown, label = orjson.loads(raw)
                by_key.add((key, number, line, item_id, shown, label))
    found: list[tuple[int, int, str, str, str, str]] = []
    for _key, group in itertools.groupby(by_key, key=itemgetter(0)):
        (*_, first, _label), *again = group
        found += [(number, line, item_id, first, shown, label)
                  for _, number, line, item_id, shown, label in again]
    if by_key.failed is not None:
        report.add("AF906", path=str(parts[0].parent), reason=by_key.failed)
    by_key.close()
    for _, _, item_id, first, shown, label in sorted(found):
        report.add("AF215", item_id=item_id, first=first, second=shown, label=label)


def _merge_sizes(sidecars: list[Path], dest: Path) -> None:
    """One sidecar of the parts' entries, in part order, as ``write`` lays it out."""
    first = True
    with open(dest, "w", encoding="utf-8", newline="") as out:
        out.write(f'{{\n  "format": "{SIDECAR_FORMAT}",\n  "version": 1,\n  "sizes": {{\n')
        for sidecar in sidecars:
            with open(sidecar, encoding="utf-8", newline="") as fh:
                first = _entries(fh, out, first)
        out.write("\n  }\n}\n")


def _entries(fh: IO[str], out: IO[str], first: bool) -> bool:
    """Copy a sidecar's entry lines (``    "path": [w, h]``) to ``out``, comma-separated."""
    for line in fh:
        if not line.startswith("    "):
            continue
        entry = line.rstrip("\n").removesuffix(",")
        out.write(entry if first else ",\n" + entry)
        first = False
    return first
