"""What a source path holds, before and after a reader has looked at it.

* :func:`opened`: a path as readers see it (a ``.zip`` unpacked, see ``_archive``);
* :func:`check_not_empty`: zero items read from a source that holds files is AF009, never an
  empty dataset by accident; the finding lists what the source holds and what each format
  looked for;
* :func:`datasets_under`: the datasets a folder that is not itself one holds (for validate),
  and what it skipped and why (AF018).
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from annoformat._archive import is_archive, unpacked
from annoformat._io import special_kind
from annoformat.diagnostics import Report
from annoformat.model import Dataset
from annoformat.registry import Format, detect

#: how many directory entries a summary looks at (a summary, not an inventory)
_SCAN_LIMIT = 20_000


@contextlib.contextmanager
def opened(path: Path, report: Report) -> Iterator[Path | None]:
    """``path``, or the folder a ``.zip`` unpacks to (None when the archive is refused, or
    when ``path`` is a device, FIFO or socket: AF065, before anything reads it)."""
    kind = special_kind(path)
    if kind is not None:
        report.add("AF065", path=str(path), kind=kind)
        yield None
    elif is_archive(path):
        with unpacked(path, report) as root:
            yield root
    else:
        yield path


def _visible(name: str) -> bool:
    return not name.startswith(".") and name != "__MACOSX"


def holdings(path: Path) -> tuple[int, str]:
    """How many files the folder ``path`` holds, and a short summary of them
    (``12 file(s): train/ (10 .xml, 2 .txt)``)."""
    groups: dict[str, Counter[str]] = {}
    seen = 0
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if _visible(d))
        rel = Path(folder).relative_to(path).as_posix()
        top = "" if rel == "." else rel.split("/")[0] + "/"
        for name in files:
            if not _visible(name):
                continue
            seen += 1
            groups.setdefault(top, Counter())[Path(name).suffix.lower() or name] += 1
        if seen >= _SCAN_LIMIT:
            break
    if not seen:
        return 0, "no files"
    parts = []
    for top, counts in sorted(groups.items(), key=lambda g: -sum(g[1].values()))[:6]:
        kinds = ", ".join(f"{n} {ext}" for ext, n in counts.most_common(4))
        parts.append(f"{top} ({kinds})" if top else kinds)
    more = "+" if seen >= _SCAN_LIMIT else ""
    return seen, f"{seen}{more} file(s): " + "; ".join(parts)


def check_not_empty(ds: Dataset, path: Path, fmt: Format, report: Report,
                    shown_as: str | None = None) -> bool:
    """False (AF009 recorded) when ``ds`` has no items although the folder ``path`` holds
    files. A single file that parses to zero items says so itself (COCO ``"images": []``) and
    is taken at its word."""
    if ds.items or not path.is_dir():
        return True
    count, seen = holdings(path)
    if not count:
        return True
    others = [f"{name}: {d.reason}" for name, d in detect(path).verdicts.items()
              if name != fmt.name]
    why = f"read as {fmt.name}, which found no items there"
    if others:
        why += "; the other formats: " + "; ".join(others[:8])
    report.add("AF009", path=shown_as or str(path), seen=seen, why=why)
    return False


def datasets_under(folder: Path, report: Report) -> Iterator[tuple[Path, Format]]:
    """The datasets and annotation files under ``folder`` (not itself a dataset), top-down: a
    folder a format recognises is one dataset (not descended into). Files no format recognises
    are reported per folder as skipped (AF018)."""
    skipped: list[str] = []
    for entry in sorted(folder.iterdir()):
        if not _visible(entry.name):
            continue
        found = detect(entry).format
        if found is not None:
            yield entry, found
        elif entry.is_dir():
            yield from datasets_under(entry, report)
        else:
            skipped.append(entry.name)
    if skipped:
        kinds = Counter(Path(name).suffix.lower() or name for name in skipped)
        files = (", ".join(skipped) if len(skipped) <= 5 else
                 ", ".join(f"{n} {ext}" for ext, n in kinds.most_common(6)))
        report.add("AF018", path=str(folder), count=len(skipped), files=files)
