"""Reading a YOLO dataset (any layout) into the IR, one item at a time.

:func:`open_dataset` reads what the dataset states up front (data.yaml or obj.names, the size
source) and returns a :class:`~annoformat.spec.Stream` whose items are read one label file at a
time; :func:`read_dataset` collects it (with label files parsed in a pool: ``map_ordered``). Per
split, the items come in id order, each with its diagnostics (its image header, label file,
rows), so a stream and a whole read record the same report in the same order.

Whole-set state while streaming: per split, its image paths (``Split.images``) and its entries
sorted by label file then by id, each held in memory up to 50,000 and past that in sorted runs
on disk (:mod:`annoformat._spill`): flat memory; the class names, the annotation types met,
counters. The size source past 50,000 sizes is a temporary sqlite store (``_sizes``). A whole
read (:func:`read_dataset`) keeps all of it in memory (``_spill.whole_read``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from annoformat import schemas, sourcemap
from annoformat._io import gc_paused
from annoformat._spill import SortedSpill, whole_read
from annoformat.diagnostics import Report
from annoformat.formats.yolo import _layout as lay
from annoformat.formats.yolo._common import SCHEMA, Options
from annoformat.formats.yolo._labels import Found, LabelFile, LabelJob, RowSpec, Sink, parse_file
from annoformat.formats.yolo._rows import Adds, build_rows
from annoformat.formats.yolo._sizes import SIDECAR, Sizes, header_size, load_sizes
from annoformat.model import Dataset, Image, Item, Label, Tag, build, defaults_of, trusted
from annoformat.parallel import map_ordered
from annoformat.progress import counter
from annoformat.spec import Stream

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



class _Shared:
    """An image whose label file an earlier image took (AF215): no item of its own."""

    __slots__ = ("first", "image")

    def __init__(self, image: str, first: str) -> None:
        self.image, self.first = image, first


class _Lone:
    """A label file without an image: its path from the label folder without .txt, and its
    full path."""

    __slots__ = ("path", "rel")

    def __init__(self, rel: str, path: str) -> None:
        self.rel, self.path = rel, path


#: a split member before anything of it is read: an image (one of ``Split.images``: the
#: same string, so a split's entries cost a list slot each), an image sharing its label file,
#: or a label file alone
_Entry = str | _Shared | _Lone


class _Step(NamedTuple):
    """An entry with what was found before its label file is parsed."""

    early: list[Found]
    job: LabelJob | None
    image: Path | None  # the image of an item that has one
    exists: bool
    media: str  # the item's media path


class _Reader:
    def __init__(self, layout: lay.Layout, options: Options, report: Report) -> None:
        self.layout = layout
        self.options = options
        self.report = report
        self.sizes = Sizes(options.image_size)
        self.kinds: set[str] = set()
        self.absent = 0  # images sized from a size source, not on disk
        self.absent_ids: list[str] = []  # the first few of them, for AF040's message
        # labels only (no image in any split, no size source): set by open_dataset
        self.without_sizes = False
        self.unsized = 0
        self.scores = False  # a row with a confidence column was read
        self.names: tuple[str, ...] = ()  # the class names, in class order
        self.origins = sourcemap.current()  # where items came from, only when someone asks
        self.index = 0  # the next item's position in the dataset
        self.spill_reported = False  # AF906 said (a listing kept in memory)
        # the images listed are the items known up front; label files without an image are
        # found as the folders are walked, and counted beyond that total
        self.count = counter("read", sum(len(split.images) for split in layout.splits) or None)

    def load_sizes(self) -> bool:
        explicit = self.options.image_sizes
        sidecar = self.layout.root / SIDECAR
        source = Path(explicit) if explicit else sidecar if sidecar.is_file() else None
        if source is None:
            return True
        loaded = load_sizes(source, self.report, self.sizes)
        self._spill_failed(self.sizes.failed)
        return loaded

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
              height: int | None, label: str, got: LabelFile) -> Item:
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
                self.scores = self.scores or any(a.score is not None for a in annotations)
        media = trusted(Image, {"kind": "image", "path": media_path, "width": width,
                                "height": height})
        item = trusted(Item, {"id": item_id, "subset": subset, "media": media,
                              "annotations": annotations, "attributes": {}, "extras": {}})
        if self.origins is not None:
            self._record_origin(item, label, got.lines or [])
        self._counted()
        return item

    def _record_origin(self, item: Item, label: str, rows: list[int]) -> None:
        """Tell the active source map which label file (and line) the item and rows came from."""
        assert self.origins is not None
        self.origins.item(self.index, label)
        for j, ann in enumerate(item.annotations):
            row = ann.id if isinstance(ann.id, int) else 0
            self.origins.annotation(self.index, j, label,
                                    line=rows[row - 1] if 0 < row <= len(rows) else None)

    def _counted(self) -> None:
        self.index += 1
        if self.count is not None:
            self.count.add()

    def _job(self, label: str, item_id: str, width: int | None, height: int | None,
             spec: RowSpec) -> LabelJob:
        return LabelJob(label, item_id, width, height, self.without_sizes,
                        self.origins is not None, spec)

    def _rel(self, image: str) -> str:
        """The path an item id is made of: from the split base, else from the root."""
        return image if not os.path.isabs(image) else self._root_rel(Path(image))

    def _label_of(self, split: lay.Split, image: str) -> str:
        return lay.label_of(split, image, self.layout.root)

    def _key(self, image: str) -> str:
        """An image's item id."""
        return lay.strip_image_ext(self._rel(image))

    def _entries(self, split: lay.Split) -> Iterator[_Entry]:
        """The split's images and lone label files in item id order (an AF215 image where
        its id falls); equal ids keep the images' order, then the label files'.

        Two sorts that go to disk past ``ANNOFORMAT_SPILL_AT`` records (flat memory): by label
        file, to find the images sharing one and the label files no image takes; then by id."""
        by_label: SortedSpill[tuple[str, int, int, str]] = SortedSpill()
        self._spill_failed(split.images.failed)
        for n, image in enumerate(split.images):
            by_label.add((self._label_of(split, image), 0, n, image))
        seq = len(split.images)
        for _folder, rel_label, label_s in self._label_files(split):
            by_label.add((label_s, 1, seq, rel_label))
            seq += 1
        # (id, position in the listing, 0 image / 1 image sharing / 2 lone label file, ...)
        by_id: SortedSpill[tuple[str, int, int, str, str]] = SortedSpill()
        label, first = "", ""
        for got_label, kind, n, name in by_label:
            if got_label != label:
                label, first = got_label, ""
            if kind == 1:
                if not first:
                    by_id.add((name, n, 2, name, got_label))
            elif not first:
                first = name
                by_id.add((self._key(name), n, 0, name, ""))
            else:
                by_id.add((self._key(name), n, 1, name, first))
        self._spill_failed(by_label.failed or by_id.failed)
        by_label.close()
        for _key, _n, kind, name, other in by_id:
            yield name if kind == 0 else _Shared(name, other) if kind == 1 else _Lone(name, other)
        by_id.close()

    def _spill_failed(self, why: str | None) -> None:
        if why is not None and not self.spill_reported:
            self.spill_reported = True
            self.report.add("AF906", path=str(self.layout.root), reason=why)

    def _steps(self, split: lay.Split, spec: RowSpec, prefix: str) -> Iterator[_Step]:
        """Each entry with its size (an image header read here, one per item) and its job."""
        for entry in self._entries(split):
            early = Sink()
            if isinstance(entry, _Shared):
                label = self._label_of(split, entry.image)
                rel = self._rel(entry.image)
                early.add("AF215", path=label, item_id=lay.strip_image_ext(rel),
                          first=self._rel(entry.first), second=rel,
                          label=self._root_rel(Path(label)))
                yield _Step(early.found, None, None, False, rel)
            elif isinstance(entry, str):
                image = lay.image_path(split, entry)
                rel = self._rel(entry)
                exists = image.is_file()
                width, height, _name = self._size(image, exists, early)
                job = self._job(self._label_of(split, entry), lay.strip_image_ext(rel), width,
                                height, spec)
                yield _Step(early.found, job, image, exists, rel)
            else:
                width = height = None
                media = entry.rel
                found = self.sizes.lookup(prefix + entry.rel) if self.sizes else None
                if found is not None:
                    width, height, name = found
                    media = name[len(prefix):] if name.startswith(prefix) else name
                    self.absent += 1
                    if len(self.absent_ids) < 5:
                        self.absent_ids.append(entry.rel)
                job = self._job(entry.path, entry.rel, width, height, spec)
                yield _Step([], job, None, False, media)

    def split_items(self, split: lay.Split, spec: RowSpec, pool: bool) -> Iterator[Item]:
        """The split's items in id order; ``pool``: the label files are parsed in a pool of
        processes (``map_ordered``: the split's steps are listed first), else one by one."""
        root_rel = self._root_rel(split.base)
        prefix = "" if root_rel in ("", ".") else root_rel + "/"
        steps = self._steps(split, spec, prefix)
        pairs: Iterator[tuple[_Step, LabelFile | None]]
        if pool:  # only the jobs travel to the workers
            listed = list(steps)
            parsed = map_ordered(parse_file, [s.job for s in listed if s.job is not None])
            pairs = ((s, next(parsed) if s.job is not None else None) for s in listed)
        else:
            pairs = ((s, parse_file(s.job) if s.job is not None else None) for s in steps)
        for step, got in pairs:
            self._replay(step.early)
            job = step.job
            if job is None or got is None:
                continue
            self._replay(got.read_found)
            if step.image is not None:
                if not step.exists and job.width is None:
                    self.report.add("AF035", path=job.path if got.read else str(step.image),
                                    item_id=job.item_id, image=self._root_rel(step.image),
                                    what=self._missing_what(got.read))
            elif job.width is None and not self.without_sizes:
                self.report.add("AF035", path=job.path, item_id=job.item_id,
                                image=prefix + job.item_id + ".*",
                                what=self._missing_what(got.read))
            yield self._item(job.item_id, split.subset, step.media, job.width, job.height,
                             job.path, got)

    def _label_files(self, split: lay.Split) -> Iterator[tuple[str, str, str]]:
        """(folder, path relative to it without .txt, full path) of candidate label files."""
        for label in split.label_files:
            yield str(label.parent), label.name[: -len(".txt")], str(label)
        for folder in split.label_dirs:
            top = str(folder)
            for rel, path in _walk_txt(top):
                yield top, rel, path

    def _missing_what(self, read: bool) -> str:
        if not read:
            return "the item has no label file either and its size is unknown"
        return "no size source gives its size"

    def classify_items(self) -> Iterator[Item]:
        for split in self.layout.splits:
            for rel in split.images:
                image = lay.image_path(split, rel)
                cls = rel.split("/", 1)[0]
                width, height, _ = self._size(image, True, self.report)
                # the path from the dataset root (train/cat/a.jpg), as the other layouts'
                # are: one image_root then serves every split when it is written back
                path = image.relative_to(self.layout.root).as_posix()
                media = trusted(Image, {"kind": "image", "path": path, "width": width,
                                        "height": height})
                tag = trusted(Tag, {**_BASE_TAG, "label": cls})
                self._counted()
                yield trusted(Item, {
                    "id": lay.strip_image_ext(rel), "subset": split.subset, "media": media,
                    "annotations": [tag], "attributes": {}, "extras": {}})


def _walk_txt(top: str) -> Iterator[tuple[str, str]]:
    """(path from ``top`` without .txt, full path) of the .txt files under ``top``, in no
    order (:func:`~annoformat.formats.yolo._layout.walk_files`): the entries are sorted by id."""
    for rel, path in lay.walk_files(top):
        if rel[-4:].lower() == ".txt":
            yield rel[:-4], path


def read_dataset(path: Path, options: Options, report: Report) -> Dataset | None:
    """The whole dataset: :func:`open_dataset`'s stream collected, label files parsed in a
    pool of processes when there are many (``--jobs``)."""
    with whole_read():  # the listings and sizes in memory: the dataset outweighs them
        stream = open_dataset(path, options, report, pool=True)
        if stream is None:
            return None
        with gc_paused():  # ~1M acyclic objects at COCO-2017 scale
            items = list(stream.items)
    head = stream.head
    return trusted(Dataset, {"labels": head.labels, "items": items, "info": head.info,
                             "extras": head.extras})


def open_dataset(path: Path, options: Options, report: Report, *,
                 pool: bool = False) -> Stream | None:
    """The dataset at ``path`` as a :class:`Stream`: data.yaml (or obj.names, classes.txt)
    and the size source are read now, the label files as the items are taken."""
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
    labels = [build(Label, name=n) for n in names]
    head = trusted(Dataset, {"labels": labels, "items": [], "info": {},
                             "extras": {"yolo": extras}})
    spec = RowSpec(tuple(names), task, kpt_shape, options.scores, options.snap)
    reader.names = spec.names
    return Stream(head, _items(reader, spec, pool, extras, config_shown, why))


def _items(reader: _Reader, spec: RowSpec, pool: bool, extras: dict[str, Any],
           config_shown: str, why: str) -> Iterator[Item]:
    """Every split's items, then what is known only once all were read (AF048, AF040, the
    task from the rows, whether rows had scores)."""
    layout, report, task = reader.layout, reader.report, spec.task
    if task == "classify":
        yield from reader.classify_items()
    else:
        for split in layout.splits:
            yield from reader.split_items(split, spec, pool)
    if reader.count is not None:
        reader.count.close()
    if reader.unsized:
        report.add("AF048", path=str(layout.root), count=reader.unsized)
    if reader.absent and reader.options.images:  # labels that cannot be trained on as they are
        report.add("AF040", path=str(layout.root), count=reader.absent,
                   ids=", ".join(reader.absent_ids) + (", ..." if reader.absent > 5 else ""))
    shown_task = task if task != "auto" else _task_of(reader.kinds)
    report.add("AF034", path=config_shown, layout=layout.kind, task=shown_task,
               reason=f"read: {why}" + ("" if task != "auto" else "; task from the rows"))
    if reader.scores:
        extras["scores"] = True  # a predictions file: written back with its score column


def _task_of(kinds: set[str]) -> str:
    if "rotated_bbox" in kinds:
        return "obb"
    if "polygon" in kinds:
        return "segment"
    return "detect"
