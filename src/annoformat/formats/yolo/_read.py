"""Reading a YOLO dataset (any layout) into the IR."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annoformat import schemas, sourcemap
from annoformat._io import gc_paused
from annoformat.diagnostics import Report
from annoformat.formats.yolo import _layout as lay
from annoformat.formats.yolo._common import SCHEMA, Options
from annoformat.formats.yolo._labels import Found, LabelFile, LabelJob, RowSpec, Sink, parse_file
from annoformat.formats.yolo._rows import Adds, build_rows
from annoformat.formats.yolo._sizes import SIDECAR, Sizes, header_size, load_sizes
from annoformat.model import Dataset, Image, Item, Label, Tag, build, defaults_of, trusted
from annoformat.parallel import map_ordered
from annoformat.progress import counter

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
        self.names: tuple[str, ...] = ()  # the class names, in class order
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

    def _size(self, image: Path, exists: bool, report: Adds
              ) -> tuple[int | None, int | None, str | None]:
        """Width, height and the size source's image name (for images that are absent)."""
        if self.sizes:
            found = self.sizes.lookup(self._root_rel(image))
            if found is not None:
                return found
        if exists:
            got = header_size(image)
            if isinstance(got, str):
                report.add("AF037", path=str(image), reason=got)
                return None, None, None
            return got[0], got[1], None
        return None, None, None

    def _replay(self, found: list[Found]) -> None:
        add = self.report.add
        for code, fields in found:
            add(code, **fields)

    def _item(self, item_id: str, subset: str | None, media_path: str, width: int | None,
              height: int | None, label: str, got: LabelFile) -> None:
        self._replay(got.row_found)
        annotations: list[Any] = []
        if got.read and width is None and self.without_sizes:
            self.unsized += 1  # rows checked in normalised units, geometry not kept
        elif got.read:
            if got.rows is None:
                self.report.add("AF333", path=label, item_id=item_id, image=media_path)
            else:
                annotations = build_rows(got.rows, self.names)
                self.kinds.update(a.type for a in annotations)
        media = trusted(Image, {"kind": "image", "path": media_path, "width": width,
                                "height": height})
        item = trusted(Item, {"id": item_id, "subset": subset, "media": media,
                              "annotations": annotations, "attributes": {}, "extras": {}})
        if self.origins is not None:
            self.origins[id(item)] = (label, got.lines or [])
        self.items.append(item)
        if self.count is not None:
            self.count.add()

    def read_split(self, split: lay.Split, spec: RowSpec) -> None:
        start = len(self.items)
        self._read_split(split, spec)
        self.items[start:] = sorted(self.items[start:], key=lambda item: item.id)

    def _job(self, label: str, item_id: str, width: int | None, height: int | None,
             spec: RowSpec) -> LabelJob:
        return LabelJob(label, item_id, width, height, self.without_sizes,
                        self.origins is not None, spec)

    def _read_split(self, split: lay.Split, spec: RowSpec) -> None:
        root = self.layout.root
        by_label: dict[str, str] = {}
        # first the images, each with what was found before its label file is read (AF215
        # alone for a second image of one label file); the label files are parsed by
        # parse_file (per file, picklable: a process pool can map it), the results taken
        # in the same order, so diagnostics keep the order of a file-by-file read
        entries: list[tuple[Sink, LabelJob | None, str, Path, bool]] = []
        for image in split.images:
            early = Sink()
            try:
                rel = image.relative_to(split.base).as_posix()
            except ValueError:
                rel = self._root_rel(image)
            item_id = lay.strip_image_ext(rel)
            label = lay.label_path(image, root)
            key = str(label)
            if key in by_label:
                early.add("AF215", path=key, item_id=item_id, first=by_label[key],
                          second=rel, label=self._root_rel(label))
                entries.append((early, None, rel, image, False))
                continue
            by_label[key] = rel
            exists = image.is_file()
            width, height, _name = self._size(image, exists, early)
            entries.append((early, self._job(key, item_id, width, height, spec), rel, image,
                            exists))
        results = map_ordered(parse_file, [job for _, job, _, _, _ in entries
                                           if job is not None])
        for early, job, rel, image, exists in entries:
            self._replay(early.found)
            if job is None:
                continue
            got = next(results)
            self._replay(got.read_found)
            if not exists and job.width is None:
                self.report.add("AF035", path=job.path if got.read else str(image),
                                item_id=job.item_id, image=self._root_rel(image),
                                what=self._missing_what(got.read))
            self._item(job.item_id, split.subset, rel, job.width, job.height, job.path, got)
        entries.clear()
        # label files without an image: strings, not Paths (COCO-2017 has 118k of them)
        root_rel = self._root_rel(split.base)
        prefix = "" if root_rel in ("", ".") else root_rel + "/"
        names: dict[str, str] = {}  # label file -> the media path its item gets
        jobs = []
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
            names[label_s] = rel
            jobs.append(self._job(label_s, rel_label, width, height, spec))
        for job, got in zip(jobs, map_ordered(parse_file, jobs), strict=True):
            self._replay(got.read_found)
            if job.width is None and not self.without_sizes:
                self.report.add("AF035", path=job.path, item_id=job.item_id,
                                image=prefix + job.item_id + ".*",
                                what=self._missing_what(got.read))
            self._item(job.item_id, split.subset, names[job.path], job.width, job.height,
                       job.path, got)

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

    def _missing_what(self, read: bool) -> str:
        if not read:
            return "the item has no label file either and its size is unknown"
        return "no size source gives its size"

    def read_classify(self) -> None:
        for split in self.layout.splits:
            for image in split.images:
                rel = image.relative_to(split.base).as_posix()
                cls = rel.split("/", 1)[0]
                width, height, _ = self._size(image, True, self.report)
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
            spec = RowSpec(tuple(names), task, kpt_shape, options.scores, options.snap)
            reader.names = spec.names
            for split in layout.splits:
                reader.read_split(split, spec)
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
