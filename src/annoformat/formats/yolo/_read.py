"""Reading a YOLO dataset (any layout) into the IR."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annoformat import schemas, sourcemap
from annoformat._io import gc_paused, kind_of_mode
from annoformat.diagnostics import Report
from annoformat.formats.yolo import _layout as lay
from annoformat.formats.yolo._common import SCHEMA, Options
from annoformat.formats.yolo._rows import RowContext, parse_rows
from annoformat.formats.yolo._sizes import SIDECAR, Sizes, header_size, load_sizes
from annoformat.model import Dataset, Image, Item, Label, Tag, build, defaults_of, trusted
from annoformat.progress import counter

MAX_LABEL_BYTES = 64 * 1024 * 1024
_BASE_TAG = defaults_of(Tag)


def _jsonable(doc: Any) -> Any:
    """The YAML document with mapping keys as strings (JSON Schema's data model)."""
    if isinstance(doc, dict):
        return {str(k): _jsonable(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_jsonable(v) for v in doc]
    if isinstance(doc, (str, int, float, bool)) or doc is None:
        return doc
    return str(doc)  # dates and other YAML scalars


def _names(doc: dict[str, Any], path: str, report: Report) -> list[str] | None:
    raw = doc["names"]
    if isinstance(raw, list):
        names = [str(v) for v in raw]
    else:
        raw = {int(k): v for k, v in raw.items()}  # the schema let only digit keys through
        keys = sorted(raw)
        missing = [i for i in range(len(keys)) if i not in raw]
        if missing or (keys and keys[-1] != len(keys) - 1):
            report.add("AF116", path=path, pointer="/names", last=len(keys) - 1,
                       missing=missing[0] if missing else len(keys))
            return None
        names = [str(raw[i]) for i in range(len(keys))]
    nc = doc.get("nc")
    if nc is not None and nc != len(names):
        report.add("AF115", path=path, pointer="/nc", names=len(names), nc=nc)
        return None
    if not names:
        report.add("AF117", path=path, pointer="/names", reason="names is empty")
        return None
    return names


class _Reader:
    def __init__(self, layout: lay.Layout, options: Options, report: Report) -> None:
        self.layout = layout
        self.options = options
        self.report = report
        self.sizes = Sizes(options.image_size)
        self.items: list[Item] = []
        self.kinds: set[str] = set()
        self.absent: list[str] = []  # images sized from a size source, not on disk
        # labels only (no image in any split, no size source): set by read_dataset
        self.without_sizes = False
        self.unsized = 0
        # label file and non-blank line numbers per item, only when someone asks for origins
        self.origins: dict[int, tuple[str, list[int]]] | None = (
            {} if sourcemap.current() is not None else None)
        # the images listed are the items known up front; label files without an image are
        # found as the folders are walked, and counted beyond that total
        self.count = counter("read", sum(len(split.images) for split in layout.splits) or None)

    def load_sizes(self) -> bool:
        explicit = self.options.image_sizes
        if explicit:
            return load_sizes(Path(explicit), self.report, self.sizes)
        sidecar = self.layout.root / SIDECAR
        if sidecar.is_file():
            return load_sizes(sidecar, self.report, self.sizes)
        return True

    def _root_rel(self, p: Path) -> str:
        try:
            return p.relative_to(self.layout.root).as_posix()
        except ValueError:
            return p.as_posix()

    def _size(self, image: Path, exists: bool) -> tuple[int | None, int | None, str | None]:
        """Width, height and the size source's image name (for images that are absent)."""
        if self.sizes:
            found = self.sizes.lookup(self._root_rel(image))
            if found is not None:
                return found
        if exists:
            got = header_size(image)
            if isinstance(got, str):
                self.report.add("AF037", path=str(image), reason=got)
                return None, None, None
            return got[0], got[1], None
        return None, None, None

    def _label_text(self, path: str) -> str | None:
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                kind, size = kind_of_mode(st.st_mode), st.st_size
                if kind is not None:
                    self.report.add("AF065", path=path, kind=kind)
                    return None
                if size > MAX_LABEL_BYTES:
                    self.report.add("AF901", path=path, size=size, limit=MAX_LABEL_BYTES)
                    return None
                data = fh.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.report.add("AF002", path=path, reason=exc.strerror or str(exc))
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            self.report.add("AF003", path=str(path), line=line, offset=exc.start,
                            reason=exc.reason)
            return None
        if text.startswith("\ufeff"):
            self.report.add("AF004", path=str(path), line=1, column=1)
            text = text[1:]
        return text

    def _item(self, item_id: str, subset: str | None, media_path: str, width: int | None,
              height: int | None, label: str, text: str | None,
              ctx: RowContext) -> None:
        annotations: list[Any] = []
        if text is not None and width is None and self.without_sizes:
            # no image anywhere, no size source: the rows are checked in normalised units
            # (class, columns, range) and their geometry, which needs pixels, is not kept
            parse_rows(text, label, 1, 1, item_id, ctx)
            self.unsized += 1
        elif text is not None:
            parsed = parse_rows(text, label, width, height, item_id, ctx)
            if parsed is None:
                self.report.add("AF333", path=label, item_id=item_id, image=media_path)
            else:
                annotations = parsed
                self.kinds.update(a.type for a in parsed)
        media = trusted(Image, {"kind": "image", "path": media_path, "width": width,
                                "height": height})
        item = trusted(Item, {"id": item_id, "subset": subset, "media": media,
                              "annotations": annotations, "attributes": {}, "extras": {}})
        if self.origins is not None:
            rows = [n for n, row in enumerate((text or "").splitlines(), start=1) if row.split()]
            self.origins[id(item)] = (label, rows)
        self.items.append(item)
        if self.count is not None:
            self.count.add()

    def read_split(self, split: lay.Split, ctx: RowContext) -> None:
        start = len(self.items)
        self._read_split(split, ctx)
        self.items[start:] = sorted(self.items[start:], key=lambda item: item.id)

    def _read_split(self, split: lay.Split, ctx: RowContext) -> None:
        root = self.layout.root
        by_label: dict[str, str] = {}
        for image in split.images:
            try:
                rel = image.relative_to(split.base).as_posix()
            except ValueError:
                rel = self._root_rel(image)
            item_id = lay.strip_image_ext(rel)
            label = lay.label_path(image, root)
            key = str(label)
            if key in by_label:
                self.report.add("AF215", path=key, item_id=item_id, first=by_label[key],
                                second=rel, label=self._root_rel(label))
                continue
            by_label[key] = rel
            exists = image.is_file()
            width, height, _name = self._size(image, exists)
            text = self._label_text(key)
            if not exists and width is None:
                self.report.add("AF035", path=str(label) if text is not None else str(image),
                                item_id=item_id, image=self._root_rel(image),
                                what=self._missing_what(text))
            self._item(item_id, split.subset, rel, width, height, key, text, ctx)
        # label files without an image: strings, not Paths (COCO-2017 has 118k of them)
        root_rel = self._root_rel(split.base)
        prefix = "" if root_rel in ("", ".") else root_rel + "/"
        for _folder, rel_label, label_s in self._label_files(split):
            if label_s in by_label:
                continue
            width = height = None
            rel = rel_label
            found = self.sizes.lookup(prefix + rel_label) if self.sizes else None
            if found is not None:
                width, height, name = found
                rel = name[len(prefix):] if name.startswith(prefix) else name
                self.absent.append(rel_label)
            text = self._label_text(label_s)
            if width is None and not self.without_sizes:
                self.report.add("AF035", path=label_s, item_id=rel_label,
                                image=prefix + rel_label + ".*", what=self._missing_what(text))
            self._item(rel_label, split.subset, rel, width, height, label_s, text, ctx)

    def _label_files(self, split: lay.Split) -> Iterator[tuple[str, str, str]]:
        """(folder, path relative to it without .txt, full path) of candidate label files."""
        for label in split.label_files:
            yield str(label.parent), label.name[: -len(".txt")], str(label)
        for folder in split.label_dirs:
            top = str(folder)
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames.sort()
                rel_dir = os.path.relpath(dirpath, top).replace(os.sep, "/")
                rel_dir = "" if rel_dir == "." else rel_dir + "/"
                for name in sorted(filenames):
                    if name[-4:].lower() == ".txt":
                        yield top, rel_dir + name[:-4], os.path.join(dirpath, name)

    def _missing_what(self, text: str | None) -> str:
        if text is None:
            return "the item has no label file either and its size is unknown"
        return "no size source gives its size"

    def read_classify(self) -> None:
        for split in self.layout.splits:
            for image in split.images:
                rel = image.relative_to(split.base).as_posix()
                cls = rel.split("/", 1)[0]
                width, height, _ = self._size(image, True)
                # the path from the dataset root (train/cat/a.jpg), as the other layouts'
                # are: one image_root then serves every split when it is written back
                path = image.relative_to(self.layout.root).as_posix()
                media = trusted(Image, {"kind": "image", "path": path, "width": width,
                                        "height": height})
                tag = trusted(Tag, {**_BASE_TAG, "label": cls})
                self.items.append(trusted(Item, {
                    "id": lay.strip_image_ext(rel), "subset": split.subset, "media": media,
                    "annotations": [tag], "attributes": {}, "extras": {}}))
                if self.count is not None:
                    self.count.add()


def read_dataset(path: Path, options: Options, report: Report) -> Dataset | None:
    found = lay.kind_of(path)
    if found is None:
        report.add("AF057", path=str(path), format="yolo", reason="no data.yaml, obj.data, "
                   "obj.names, classes.txt or classification split folders")
        return None
    kind, why = found
    layout = lay.build(path, kind, report)
    if layout is None:
        return None
    extras: dict[str, Any] = {"layout": kind}
    task = options.task
    kpt_shape: tuple[int, int] | None = None
    config_shown = str(layout.config_path) if layout.config_path else str(path)
    if kind == "ultralytics":
        doc = layout.config
        if not isinstance(doc, dict):
            report.add("AF101", path=config_shown, reason="data.yaml must be a mapping")
            return None
        plain = _jsonable(doc)
        if not schemas.is_valid(SCHEMA, plain):
            for ptr, message in schemas.iter_errors(SCHEMA, plain):
                report.add("AF101", path=config_shown, pointer=ptr, reason=message)
            return None
        layout.names = _names(doc, config_shown, report)
        if layout.names is None:
            return None
        for key in ("train", "val"):
            if doc.get(key) is None:
                report.add("AF219", path=config_shown, key=key)
        if "kpt_shape" in doc:
            kpt_shape = (doc["kpt_shape"][0], doc["kpt_shape"][1])
            extras["kpt_shape"] = list(kpt_shape)
        if "flip_idx" in doc:
            extras["flip_idx"] = list(doc["flip_idx"])
        if "task" in doc:
            extras["task"] = doc["task"]
        other = {str(k): v for k, v in plain.items() if k not in lay.YAML_KEYS}
        if other:
            extras["yaml"] = other
        lay.resolve_ultralytics(layout, report)
        if task == "auto":
            task = "pose" if kpt_shape else doc.get("task", "auto")
    elif kind == "darknet":
        classes = layout.config.get("classes")
        assert layout.names is not None
        if classes is not None and classes.strip() != str(len(layout.names)):
            report.add("AF115", path=config_shown, names=len(layout.names), nc=classes)
            return None
    elif kind == "classify":
        task = "classify"
    names = layout.names or []
    if task == "pose" and kpt_shape is None:
        report.add("AF118", path=config_shown)
        return None
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            report.add("AF209", path=config_shown, pointer=f"/names/{i}", label=name)
        seen.add(name)
    if report.has_errors:
        return None
    reader = _Reader(layout, options, report)
    if not reader.load_sizes():
        return None
    reader.without_sizes = (bool(layout.splits) and not reader.sizes
                            and all(split.images_elsewhere for split in layout.splits))
    with gc_paused():  # ~1M acyclic objects at COCO-2017 scale
        if task == "classify":
            reader.read_classify()
        else:
            ctx = RowContext(names, task, kpt_shape, options.scores, options.snap, report)
            for split in layout.splits:
                reader.read_split(split, ctx)
    if reader.count is not None:
        reader.count.close()
    _record_origins(reader)
    if reader.unsized:
        report.add("AF048", path=str(layout.root), count=reader.unsized)
    if reader.absent and options.images:  # labels that cannot be trained on as they are
        report.add("AF040", path=str(layout.root), count=len(reader.absent),
                   ids=", ".join(reader.absent[:5]) + (", ..." if len(reader.absent) > 5
                                                        else ""))
    shown_task = task if task != "auto" else _task_of(reader.kinds)
    report.add("AF034", path=config_shown, layout=kind, task=shown_task,
               reason=f"read: {why}" + ("" if task != "auto" else "; task from the rows"))
    if any(a.score is not None for item in reader.items for a in item.annotations):
        extras["scores"] = True  # a predictions file: written back with its score column
    labels = [build(Label, name=n) for n in names]
    return trusted(Dataset, {"labels": labels, "items": reader.items, "info": {},
                             "extras": {"yolo": extras}})


def _record_origins(reader: _Reader) -> None:
    """Tell the active source map which label file (and line) each item and row came from."""
    sm = sourcemap.current()
    if sm is None or reader.origins is None:
        return
    for index, item in enumerate(reader.items):
        origin = reader.origins.get(id(item))
        if origin is None:
            continue
        label, rows = origin
        sm.item(index, label)
        for j, ann in enumerate(item.annotations):
            row = ann.id if isinstance(ann.id, int) else 0
            sm.annotation(index, j, label, line=rows[row - 1] if 0 < row <= len(rows) else None)


def _task_of(kinds: set[str]) -> str:
    if "rotated_bbox" in kinds:
        return "obb"
    if "polygon" in kinds:
        return "segment"
    return "detect"
