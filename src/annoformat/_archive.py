"""Reading from and writing to ``.zip`` archives, as CVAT, Roboflow, Label Studio and Ultralytics
hand their exports out.

A source archive is unpacked into a private temporary folder and read like any folder; every
entry is checked first (AF019: absolute names, ``..``, symlinks, devices, duplicates) and the
sizes are capped against zip bombs (AF904: total size, number of entries, compression ratio),
both on the sizes the archive declares and on the bytes actually inflated. macOS's
``__MACOSX/`` resource forks and ``.DS_Store`` files are never unpacked: they are not data.
Diagnostics name files as ``archive.zip!/inner/path``.

A destination ``.zip`` is written from a staged folder, entries sorted and time-stamped
2000-01-01 so that two runs give the same bytes.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from annoformat.diagnostics import Report

if TYPE_CHECKING:  # zipfile (and bz2, lzma), shutil and tempfile only when an archive is read
    import zipfile  # or written

#: uncompressed bytes an archive may unpack to (COCO-2017 train with its images is ~19 GB)
MAX_TOTAL = 32 * 1024**3
MAX_ENTRIES = 2_000_000
#: the compression ratio above which an archive (or a large entry) is taken for a bomb; real
#: annotation JSON compresses 5-30:1, images barely at all
MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024  # entries smaller than this are not ratio-checked
_JUNK = ("__MACOSX/", ".DS_Store")
_EPOCH = (2000, 1, 1, 0, 0, 0)


def is_archive(path: Path) -> bool:
    """Whether ``path`` names a zip archive to read (by its name: ``.zip``)."""
    return path.suffix.lower() == ".zip" and path.is_file()


def _junk(name: str) -> bool:
    return name.startswith(_JUNK[0]) or PurePosixPath(name).name == _JUNK[1]


def _refusal(info: zipfile.ZipInfo) -> str | None:
    """Why an entry must not be unpacked, or None."""
    name = info.filename
    mode = info.external_attr >> 16
    if "\x00" in name:
        return "its name holds a NUL byte"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "its name is absolute"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "its name climbs out of the archive (..)"
    kind = stat.S_IFMT(mode)  # 0 when the archiver stored permissions only (or nothing)
    if kind == stat.S_IFLNK:
        return "it is a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "it is not a regular file or folder"
    return None


def _check(archive: Path, infos: list[zipfile.ZipInfo], report: Report) -> bool:
    """Entry names and declared sizes; False (with AF019/AF904) when the archive is refused."""
    ok = True
    seen: set[str] = set()
    for info in infos:
        why = _refusal(info)
        if why is None and info.filename.rstrip("/") in seen:
            why = "the archive holds two entries of that name"
        if why is not None:
            report.add("AF019", path=str(archive), entry=info.filename, reason=why)
            ok = False
        seen.add(info.filename.rstrip("/"))
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if len(infos) > MAX_ENTRIES:
        report.add("AF904", path=str(archive), what="number of entries", value=len(infos),
                   limit=MAX_ENTRIES)
        ok = False
    if total > MAX_TOTAL:
        report.add("AF904", path=str(archive), what="unpacked size", value=total,
                   limit=MAX_TOTAL)
        ok = False
    if total > _RATIO_FLOOR and total / packed > MAX_RATIO:
        report.add("AF904", path=str(archive), what="compression ratio",
                   value=round(total / packed), limit=MAX_RATIO)
        ok = False
    for info in infos if ok else ():  # one bomb is one finding
        if info.file_size > _RATIO_FLOOR and info.file_size / max(info.compress_size, 1) \
                > MAX_RATIO:
            report.add("AF904", path=str(archive), what=f"compression ratio of {info.filename}",
                       value=round(info.file_size / max(info.compress_size, 1)),
                       limit=MAX_RATIO)
            ok = False
            break
    return ok


def _unpack(zf: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path, budget: list[int],
            archive: Path, report: Report) -> bool:
    """Inflate one entry, counting the real bytes (declared sizes can lie)."""
    target = root / info.filename
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return True
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(info) as src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            budget[0] -= len(chunk)
            if written > info.file_size or budget[0] < 0:
                report.add("AF904", path=str(archive), what=f"bytes inflated from {info.filename}",
                           value=written, limit=info.file_size)
                return False
            dst.write(chunk)
    return True


@contextlib.contextmanager
def unpacked(archive: Path, report: Report) -> Iterator[Path | None]:
    """The folder ``archive`` unpacks to (removed afterwards); None when it is refused.

    A single top-level folder (``export/...``) is descended into; an archive of one file is
    that file. Paths in diagnostics recorded
    inside the block are rewritten from the temporary folder to ``archive!/...``.
    """
    import shutil
    import tempfile
    import zipfile

    try:
        zf = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as exc:
        report.add("AF002", path=str(archive), reason=f"not a readable zip archive: {exc}")
        yield None
        return
    tmp = Path(tempfile.mkdtemp(prefix="annoformat-zip-"))
    try:
        with zf:
            infos = [i for i in zf.infolist() if not _junk(i.filename)]
            if not _check(archive, infos, report):
                yield None
                return
            budget = [MAX_TOTAL]
            try:
                for info in infos:
                    if not _unpack(zf, info, tmp, budget, archive, report):
                        yield None
                        return
            except (OSError, zipfile.BadZipFile, EOFError) as exc:
                report.add("AF002", path=str(archive), reason=f"damaged zip archive: {exc}")
                yield None
                return
        root = tmp
        entries = list(root.iterdir())
        while len(entries) == 1 and entries[0].is_dir():  # export/... : the export itself
            root = entries[0]
            entries = list(root.iterdir())
        if len(entries) == 1:  # one file (a JSONL, an XML): read as that file
            root = entries[0]
        since = len(report.diagnostics)
        try:
            yield root
        finally:
            report.relocate(str(tmp), f"{archive}!", since=since)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_zip(folder: Path, dest: Path) -> None:
    """Zip the content of ``folder`` into ``dest`` (sorted entries, fixed timestamps)."""
    import shutil
    import zipfile

    paths = sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix())
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in paths:
            name = path.relative_to(folder).as_posix()
            if path.is_dir():  # kept: a YOLO split folder may be empty and still be named
                info = zipfile.ZipInfo(name + "/", _EPOCH)
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
                zf.writestr(info, b"")
                continue
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            with open(path, "rb") as src, zf.open(info, "w") as out:
                shutil.copyfileobj(src, out, 1 << 20)


def staged_member(staged_zip: Path, extension: str) -> tuple[Path, str]:
    """Where a writer writes content bound for the zip ``staged_zip``: a folder beside it, and
    the name a single written file takes inside the archive (``<zip stem><extension>``)."""
    folder = staged_zip.parent / (staged_zip.name + ".content")
    os.makedirs(folder, exist_ok=True)
    return folder / Path(staged_zip.name).stem, Path(staged_zip.name).stem + extension
