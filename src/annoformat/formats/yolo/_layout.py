"""Which YOLO layout a path is, and where its images and label files are.

* Ultralytics: a ``*.yaml`` with ``names`` (and ``train``/``val``/``test``: folders, list files
  or lists of either, resolved against ``path``, itself relative to the YAML's folder). The
  label of ``.../images/<x>/a.jpg`` is ``.../labels/<x>/a.txt`` (the last ``images`` component
  under the root becomes ``labels``; with none, the label sits beside the image).
* Darknet (and CVAT's "YOLO 1.1" export): ``obj.data`` (``key = value``: ``classes``,
  ``names``, ``train``, ``valid``...), ``obj.names``, list files ``train.txt``, labels beside
  the images in ``obj_<subset>_data/``. Entries written as ``data/...`` (relative to Darknet's
  working folder) are resolved inside the export folder.
* bare: ``classes.txt`` (one name per line, CRLF tolerated) with label files beside the images,
  or under ``labels/`` mirroring ``images/``.
* classify: ``<root>/<split>/<class>/<image>`` with no label files.

Subsets are named after the split's folder (``images/train2017`` -> ``train2017``; Roboflow's
``train/images`` -> ``train``; the images root itself -> no subset) or the list file's stem.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from annoformat._io import read_bytes, text_lines, utf8_error
from annoformat._spill import SortedSpill
from annoformat.codes import Severity
from annoformat.diagnostics import Report

IMG_EXTS = frozenset({"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm",
                      "heic"})
SPLIT_KEYS = ("train", "val", "test")
DARKNET_META = frozenset({"classes", "names", "backup", "eval", "results", "top"})
YAML_KEYS = frozenset({"path", "train", "val", "test", "names", "nc", "kpt_shape", "flip_idx",
                       "task"})
MAX_LIST_BYTES = 256 * 1024 * 1024


def _path_order(name: str) -> str:
    """Sort key of a POSIX path as Paths sort, component by component: "/" below every
    character (``a/x`` before ``a-b/x``)."""
    return name.replace("/", "\x00")


class Names:
    """A split's image paths (strings) in listing order: sorted as paths (a folder walked),
    or in the order added (a list file). Past ``SPILL_AT`` they are sorted runs on disk
    (:class:`~annoformat._spill.SortedSpill`), so a split of millions of images is listed in
    flat memory.

    Example:
        >>> names = Names(by_path=True)
        >>> for name in ("a-b/x.jpg", "a/y.jpg", "a/x.jpg"):
        ...     names.append(name)
        >>> list(names), len(names)
        (['a/x.jpg', 'a/y.jpg', 'a-b/x.jpg'], 3)
    """

    __slots__ = ("_by_path", "_spill")

    def __init__(self, by_path: bool = False) -> None:
        self._by_path = by_path
        # sorted by path: the names themselves; else (position, name)
        self._spill: SortedSpill[Any] = SortedSpill(_path_order if by_path else None)

    def append(self, name: str) -> None:
        self._spill.add(name if self._by_path else (len(self._spill), name))

    def __len__(self) -> int:
        return len(self._spill)

    def __iter__(self) -> Iterator[str]:
        if self._by_path:
            return iter(self._spill)
        return (name for _, name in self._spill)

    @property
    def failed(self) -> str | None:
        """Why the listing could not go to disk (it stayed in memory), if it could not."""
        return self._spill.failed


def listed(names: Iterable[str], by_path: bool = False) -> Names:
    """``names`` as a :class:`Names`."""
    out = Names(by_path)
    for name in names:
        out.append(name)
    return out


@dataclass
class Split:
    """One subset: its images (which may not exist) and the folders holding its label files."""

    subset: str | None
    base: Path
    #: POSIX paths relative to ``base``, or absolute when outside it (a list file's): strings,
    #: not Paths, on disk past a threshold (a stream keeps them: COCO-2017 has 118k)
    images: Names = field(default_factory=Names)
    #: folders walked (recursively) for label files that have no image
    label_dirs: list[Path] = field(default_factory=list)
    #: further label files that may have no image
    label_files: list[Path] = field(default_factory=list)
    #: data.yaml names an image folder that is not there, beside its labels (images kept
    #: elsewhere: DVC, object storage)
    images_elsewhere: bool = False


@dataclass
class Layout:
    kind: str  # ultralytics, darknet, bare, classify
    root: Path
    names: list[str] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    config_path: Path | None = None
    splits: list[Split] = field(default_factory=list)


def is_image(name: str) -> bool:
    return name.rsplit(".", 1)[-1].lower() in IMG_EXTS if "." in name else False


def strip_image_ext(name: str) -> str:
    """``a/b.jpg`` -> ``a/b``; names without an image extension stay as they are."""
    return name.rsplit(".", 1)[0] if is_image(name) else name


def walk_files(top: str, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path from ``top`` after ``prefix``, full path) of every file under ``top``, in no order,
    as ``os.walk`` finds them (symlinked folders not entered) but without a list of each
    folder's names (COCO-2017 has 118k in one): callers sort what they keep."""
    stack = [(prefix, top)]
    while stack:
        rel_dir, folder = stack.pop()
        try:
            scan = os.scandir(folder)
        except OSError:
            continue
        with scan:
            for entry in scan:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if not is_dir:
                    yield rel_dir + entry.name, entry.path
                elif not entry.is_symlink():
                    stack.append((rel_dir + entry.name + "/", entry.path))


def walk_images(folder: Path, prefix: str = "", into: Names | None = None) -> Names:
    """Image files under ``folder`` (:func:`walk_files`) as POSIX paths relative to it after
    ``prefix``, sorted as paths: added to ``into`` when given."""
    out = Names(by_path=True) if into is None else into
    for rel, _ in walk_files(str(folder), prefix):
        if is_image(rel.rpartition("/")[2]):
            out.append(rel)
    return out


def relative_names(images: Iterable[Path | str], base: Path) -> Names:
    """``images`` (paths, or POSIX strings of paths) as :attr:`Split.images` holds them:
    relative to ``base``, else absolute, in their order."""
    out = Names()
    for image in images:
        p = Path(image)
        out.append(p.relative_to(base).as_posix() if _inside(p, base) else p.as_posix())
    return out


def image_path(split: Split, image: str) -> Path:
    """The path of one of ``split.images``. (Made from one joined string: ``base / image``
    would intern ``image`` itself, and a split's names would then all stay in the interpreter's
    table of interned strings.)"""
    return Path(os.path.join(split.base, image))


def label_of(split: Split, image: str, root: Path) -> str:
    """``str(label_path(image_path(split, image), root))``, with strings where that is plain
    (a POSIX path inside ``root``): a split's images are listed this way without a Path each."""
    full = os.path.join(split.base, image)
    root_s = str(root)
    if os.sep != "/" or root_s in ("/", ".") or not full.startswith(root_s + "/"):
        return str(label_path(Path(full), root))
    parts = full[len(root_s) + 1:].split("/")
    if "" in parts or "." in parts or ".." in parts:
        return str(label_path(Path(full), root))
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            break
    name = parts[-1]
    parts[-1] = (name.rsplit(".", 1)[0] if "." in name else name) + ".txt"
    return root_s + "/" + "/".join(parts)


def label_path(image: Path, root: Path) -> Path:
    """Where the label file of ``image`` is (Ultralytics' images -> labels rule)."""
    try:
        parts = list(image.relative_to(root).parts)
        prefix = root
    except ValueError:
        parts, prefix = list(image.parts), Path()
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            break
    stem = parts[-1].rsplit(".", 1)[0] if "." in parts[-1] else parts[-1]
    parts[-1] = stem + ".txt"
    return prefix.joinpath(*parts)


def subset_name(folder: Path, root: Path) -> str | None:
    if folder.name == "images":
        parent = folder.parent
        return None if parent in (root, folder) else parent.name
    if folder == root:
        return None
    return folder.name


# --------------------------------------------------------------------------- detection


def find_config(path: Path) -> Path | None:
    """The data.yaml of a dataset folder (``data.yaml`` first, else one YAML with names)."""
    if path.is_file():
        return path if path.suffix.lower() in (".yaml", ".yml") else None
    if not path.is_dir():
        return None
    for name in ("data.yaml", "data.yml", "dataset.yaml"):
        if (path / name).is_file():
            return path / name
    candidates = []
    for p in sorted(path.glob("*.y*ml")):
        try:
            head = p.read_bytes()[:65536]
        except OSError:
            continue
        if b"names" in head:
            candidates.append(p)
    return candidates[0] if len(candidates) == 1 else None


def kind_of(path: Path) -> tuple[str, str] | None:
    """The layout of ``path`` and why, from file names only (cheap)."""
    if path.is_file():
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                head = path.read_bytes()[:65536]
            except OSError:
                return None
            if b"names" in head:
                return "ultralytics", f"{path.name} with names"
            return None
        if path.name == "obj.data":
            return "darknet", "obj.data"
        return None
    if not path.is_dir():
        return None
    config = find_config(path)
    if config is not None:
        return "ultralytics", f"{config.name} with names"
    if (path / "obj.data").is_file() or (path / "obj.names").is_file():
        return "darknet", "obj.data / obj.names"
    if (path / "classes.txt").is_file():
        return "bare", "classes.txt beside label files"
    splits = [path / s for s in SPLIT_KEYS if (path / s).is_dir()]
    if splits and _is_classify(splits):
        return "classify", "split folders holding one folder of images per class"
    return None


def _is_classify(splits: list[Path]) -> bool:
    seen_image = False
    for split in splits:
        for sub in split.iterdir():
            if not sub.is_dir():
                return False
            for entry in sub.iterdir():
                if entry.is_file():
                    if entry.suffix.lower() == ".txt":
                        return False
                    seen_image = seen_image or is_image(entry.name)
    return seen_image


# --------------------------------------------------------------------------- building


def build(path: Path, kind: str, report: Report) -> Layout | None:
    if kind == "ultralytics":
        return _ultralytics(path, report)
    if kind == "darknet":
        return _darknet(path, report)
    if kind == "bare":
        return _bare(path, report)
    return _classify(path)


def _ultralytics(path: Path, report: Report) -> Layout | None:
    config_path = find_config(path)
    if config_path is None:
        report.add("AF057", path=str(path), format="yolo", reason="no data.yaml found")
        return None
    from annoformat.formats.yolo._yaml import load_yaml  # PyYAML only for a data.yaml

    doc = load_yaml(config_path, report)
    if doc is None:
        return None
    layout = Layout("ultralytics", config_path.parent, config=doc, config_path=config_path)
    return layout


def resolve_ultralytics(layout: Layout, report: Report) -> None:
    """Fill the splits of a schema-valid data.yaml."""
    doc = layout.config
    here = layout.root
    root = here
    if isinstance(doc.get("path"), str) and doc["path"].strip():
        candidate = (here / doc["path"]).resolve()
        if candidate.is_dir():
            root = candidate
    layout.root = root
    seen: set[Path] = set()
    for key in SPLIT_KEYS:
        value = doc.get(key)
        if value is None:
            continue
        listed: list[Path] = []  # image files named one by one: one split named after the key
        for entry in value if isinstance(value, list) else [value]:
            target = (root / entry) if not Path(entry).is_absolute() else Path(entry)
            if not target.exists() and entry.startswith("../"):
                # Roboflow writes ../train/images; Ultralytics retries without the ../
                target = root / entry[3:]
            resolved = target.resolve() if target.exists() else target
            if resolved in seen:
                continue
            seen.add(resolved)
            if target.is_dir():
                split = Split(subset_name(target, root), target, walk_images(target))
                split.label_dirs.append(label_path(target / "x.jpg", root).parent)
                layout.splits.append(split)
            elif target.suffix.lower() == ".txt" and target.is_file():
                got = _list_file(target, root, report)
                if got is not None:
                    images, common = got
                    # ids relative to the deepest folder holding every image, as in a folder
                    # split (images/train/a.jpg listed alone is item a)
                    base = common if common is not None and _inside(common, root) else root
                    layout.splits.append(Split(target.stem, base, relative_names(images, base)))
            elif is_image(target.name) and target.is_file():
                listed.append(target)
            elif not target.suffix and label_path(target / "x.jpg", root).parent.is_dir():
                # labels kept without their images (DVC, object storage): the labels are read
                split = Split(subset_name(target, root), target, images_elsewhere=True)
                split.label_dirs.append(label_path(target / "x.jpg", root).parent)
                layout.splits.append(split)
            elif key == "test":  # Ultralytics trains without it (coco.yaml names test-dev)
                report.add("AF001", path=str(target), pointer=f"/{key}",
                           severity=Severity.WARNING)
            else:
                report.add("AF001", path=str(target), pointer=f"/{key}")
        if listed:  # ids relative to the images' folder when they share one, as for a folder
            parents = {p.parent for p in listed}
            base = parents.pop() if len(parents) == 1 else root
            layout.splits.append(Split(key, base, relative_names(listed, base)))


def _text_file(path: Path, report: Report, max_bytes: int) -> str | None:
    """A capped UTF-8 text file (a BOM tolerated); None with AF001/AF003/AF901 recorded."""
    data = read_bytes(path, report, max_bytes)
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.add("AF003", path=str(path), offset=exc.start, reason=exc.reason)
        return None


def _list_file(path: Path, root: Path, report: Report) -> tuple[Names, Path | None] | None:
    """The images a list file names, resolved, as POSIX paths in its order (on disk past a
    threshold), and the deepest folder holding them all (None: no entry, or no such folder).
    The file is decoded a block at a time: its lines are never all held."""
    data = read_bytes(path, report, MAX_LIST_BYTES)
    if data is None:
        return None
    data = data.removeprefix(b"\xef\xbb\xbf")
    bad = utf8_error(data)
    if bad is not None:
        report.add("AF003", path=str(path), offset=bad[0], reason=bad[1])
        return None
    out = Names()
    common: str | None = None
    shared = True  # the parents share a folder so far (not so for relative and absolute)
    for number, line in enumerate(text_lines(data), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if "\x00" in entry:  # no file system takes it; open() would raise
            report.add("AF101", path=str(path), line=number,
                       reason="a list-file entry contains a NUL character")
            continue
        image = _resolve_entry(entry, path.parent, root)
        out.append(image.as_posix())
        if shared:
            try:
                parent = str(image.parent)
                common = parent if common is None else os.path.commonpath([common, parent])
            except ValueError:
                shared = False
    return out, Path(common) if shared and common is not None else None


def _resolve_entry(entry: str, list_dir: Path, root: Path) -> Path:
    """A list-file entry: relative to the list's folder, else the root; Darknet's data/ prefix."""
    entry = entry.replace("\\", "/")
    p = PurePosixPath(entry)
    if p.is_absolute():
        return Path(entry)
    candidates = [list_dir / entry, root / entry]
    if p.parts and p.parts[0] == "data" and len(p.parts) > 1:
        candidates.append(root.joinpath(*p.parts[1:]))
    for c in candidates:
        if c.exists():
            return c
    for c in candidates:
        if c.parent.is_dir():
            return c
    return candidates[-1]


def _darknet(path: Path, report: Report) -> Layout | None:
    root = path.parent if path.is_file() else path
    layout = Layout("darknet", root)
    meta: dict[str, str] = {}
    data_file = root / "obj.data"
    if data_file.is_file():
        layout.config_path = data_file
        raw = read_bytes(data_file, report, 1024 * 1024)
        if raw is None:
            return None
        for lineno, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            if "=" not in text:
                report.add("AF033", path=str(data_file), line=lineno, column=1, count=1,
                           task="obj.data", expected="key = value")
                continue
            key, value = (s.strip() for s in text.split("=", 1))
            meta[key] = value
    layout.config = dict(meta)
    names_entry = meta.get("names", "obj.names")
    names_file = _resolve_entry(names_entry, root, root)
    layout.names = _names_file(names_file, report)
    if layout.names is None:
        return None
    lists = [(k, v) for k, v in meta.items() if k not in DARKNET_META]
    if not lists:  # list files are known by what they hold (README.txt is not one)
        lists = [(p.stem, p.name) for p in sorted(root.glob("*.txt"))
                 if p.name != "obj.names" and _lists_images(p)]
    seen: set[Path] = set()
    for _key, value in lists:
        list_path = _resolve_entry(value, root, root)
        if list_path in seen:
            continue
        seen.add(list_path)
        got = _list_file(list_path, root, report)
        if got is None:
            continue
        images, common = got
        subset = list_path.stem
        base = root / f"obj_{subset}_data"
        # every image inside base: the folder holding them all is (or none is listed)
        if len(images) and (common is None or not _inside(common, base)):
            base = root
        split = Split(subset, base, relative_names(images, base))
        if base != root:
            split.label_dirs.append(base)
        layout.splits.append(split)
    if not layout.splits:  # no obj.data and no list files: CVAT's obj_<subset>_data/ folders
        for folder in sorted(root.glob("obj_*_data")):
            if folder.is_dir():
                split = Split(folder.name[4:-5], folder, walk_images(folder))
                split.label_dirs.append(folder)
                layout.splits.append(split)
    return layout


def _lists_images(path: Path) -> bool:
    """Whether a .txt file is an image list: its first line names an image file."""
    try:
        with path.open("rb") as fh:
            first = fh.readline(4096).decode("utf-8", "replace").strip()
    except OSError:
        return False
    return is_image(first)


def _inside(p: Path, folder: Path) -> bool:
    try:
        p.relative_to(folder)
    except ValueError:
        return False
    return True


def _names_file(path: Path, report: Report) -> list[str] | None:
    text = _text_file(path, report, 16 * 1024 * 1024)
    if text is None:
        return None
    names = [line.strip() for line in text.splitlines()]
    while names and not names[-1]:
        names.pop()
    for lineno, name in enumerate(names, start=1):
        if not name:
            report.add("AF116", path=str(path), line=lineno, missing=lineno - 1,
                       last=len(names) - 1)
            return None
    if not names:
        report.add("AF117", path=str(path), reason="the file lists no class names")
        return None
    return names


def _bare(path: Path, report: Report) -> Layout | None:
    root = path
    layout = Layout("bare", root, config_path=root / "classes.txt")
    layout.names = _names_file(root / "classes.txt", report)
    if layout.names is None:
        return None
    if (root / "labels").is_dir():
        images_dir = root / "images"
        images = walk_images(images_dir) if images_dir.is_dir() else Names()
        split = Split(None, images_dir, images, [root / "labels"])
    else:
        entries = sorted(p for p in root.iterdir() if p.is_file())
        images = listed(p.name for p in entries if is_image(p.name))
        labels = [p for p in entries if p.suffix.lower() == ".txt" and p.name != "classes.txt"]
        split = Split(None, root, images, [], labels)
    layout.splits.append(split)
    return layout


def _classify(path: Path) -> Layout:
    layout = Layout("classify", path)
    classes: set[str] = set()
    for key in SPLIT_KEYS:
        folder = path / key
        if not folder.is_dir():
            continue
        split = Split(key, folder, Names(by_path=True))
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            classes.add(sub.name)
            walk_images(sub, sub.name + "/", split.images)
        layout.splits.append(split)
    layout.names = sorted(classes)
    return layout
