"""Writing the IR as a YOLO dataset: plan every file first, refuse collisions, then write.

Nothing is written until every label file's name and content is known and no error was
recorded; the conversion pipeline's staging folder makes the final move atomic.
"""

from __future__ import annotations

import copy
import os
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from annoformat import schemas
from annoformat._io import is_safe_relative
from annoformat.diagnostics import RecordedReport, Report
from annoformat.formats.yolo._common import GEOMETRY, SCHEMA, Options, writes_scores
from annoformat.formats.yolo._emit import Rows
from annoformat.formats.yolo._layout import strip_image_ext
from annoformat.formats.yolo._sizes import SIDECAR, SIDECAR_FORMAT
from annoformat.formats.yolo._task import (
    Census,
    census,
    choose_task,
    class_tag,
    flat_bare,
    image_folder,
    kpt_dim,
    none_subset,
    output_layout,
    split_folders,
    split_key,
    written_path,
)
from annoformat.model import Dataset, Image, Item
from annoformat.parallel import map_inherited
from annoformat.progress import counter, track


@dataclass
class _Files:
    files: dict[str, str] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    sizes: dict[str, list[int]] = field(default_factory=dict)
    copies: list[tuple[Path, str]] = field(default_factory=list)
    none_as: str | None = None
    #: a part's label files (casefolded key, item id, as AF215 names it, file): ``_join``
    #: finds two parts' items that share one from these
    index: list[tuple[str, str, str, str]] | None = None

#: a part's index of its label files, beside them in its folder (``_join`` reads it)
INDEX = ".annoformat-parts-index.jsonl"


def kpt_shape(ds: Dataset, task: str, seen: Census, report: Report
              ) -> tuple[int, int] | None:
    """data.yaml's ``kpt_shape`` for ``task`` (None outside pose, or AF335)."""
    if task != "pose":
        return None
    extras = ds.extras.get("yolo", {})
    dim = kpt_dim(ds)
    counts = seen.kpt_counts
    if len(counts) > 1:
        report.add("AF335", counts=", ".join(f"{n} ({c} annotations)" for n, c in
                                             sorted(counts.items())))
        return None
    if counts:
        return next(iter(counts)), dim
    if extras.get("kpt_shape"):
        return extras["kpt_shape"][0], dim
    report.add("AF335", counts="none (no keypoint annotations and no kpt_shape to keep)")
    return None


def _norm(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def write_dataset(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write ``ds`` as YOLO; the loss plan (``_plan``) has stated what this loses, and refused
    a dataset that no single task holds (AF515) when the task is ``auto``."""
    seen = census(ds, options)
    task, reason = choose_task(ds, options, seen.kinds)
    layout = output_layout(ds, options, task)
    kpt = kpt_shape(ds, task, seen, report)
    if task == "pose" and kpt is None:
        return
    names = ds.label_names()
    rows = Rows(task, options.precision, options.clip, kpt, report, writes_scores(ds, options))
    rows.index = {n: i for i, n in enumerate(names)}
    files = _Files(none_as=none_subset(seen, layout),
                   index=[] if options._in_parts else None)
    if layout == "classify":
        _class_folders(ds, dest, options, report, files)
    else:
        _label_files(ds, layout, rows, seen, report, files)
    if report.has_errors:
        return
    if files.index is not None:  # a part: the join writes the dataset files and says AF034
        files.files[INDEX] = "".join(orjson.dumps(row).decode() + "\n" for row in files.index)
    elif not meta_files(ds, task, layout, kpt, seen, files, options, report, dest):
        return
    if files.sizes and options.sizes_file and layout != "classify":
        files.files[SIDECAR] = _sidecar(files.sizes)
    if files.index is None:
        report.add("AF034", path=str(dest), layout=layout, task=task,
                   reason=f"written: {reason}")
    dest.mkdir(parents=True, exist_ok=True)
    made = {""}
    for d in sorted(files.dirs):
        (dest / d).mkdir(parents=True, exist_ok=True)
        made.add(d)
    root = str(dest)
    for rel, text in files.files.items():
        parent = rel.rpartition("/")[0]
        if parent not in made:
            os.makedirs(os.path.join(root, parent), exist_ok=True)
            made.add(parent)
        with open(os.path.join(root, rel), "wb") as fh:
            fh.write(text.encode("utf-8"))
    for src, rel in files.copies:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)


def meta_files(ds: Dataset, task: str, layout: str, kpt: tuple[int, int] | None,
               seen: Census, files: Any, options: Options, report: Report, dest: Path,
               lists: list[str] | None = None) -> bool:
    """Add the layout's dataset files (data.yaml, obj.data and obj.names, classes.txt) to
    ``files`` (``lists``: Darknet's list files, when not among ``files``); False when refused
    (AF044, AF102)."""
    names = ds.label_names()
    if layout == "ultralytics":
        if options.val is not None and options.val not in seen.subsets:
            report.add("AF044", option="val", format="yolo",
                       reason=f"no item is in subset {options.val!r}")
            return False
        doc = _data_yaml(ds, task, kpt, seen, files, report, dest, options.val)
        if not schemas.is_valid(SCHEMA, _str_keys(doc)):
            for ptr, message in list(schemas.iter_errors(SCHEMA, _str_keys(doc)))[:20]:
                report.add("AF102", pointer=ptr, format="yolo", reason=message)
            return False
        from annoformat.formats.yolo._yaml import dump_yaml  # PyYAML only for a data.yaml

        files.files["data.yaml"] = dump_yaml(doc).decode("utf-8")
    elif layout == "darknet":
        if lists is None:
            lists = sorted(k for k in files.files if "/" not in k and k.endswith(".txt"))
        _darknet_meta(names, lists, files)
    elif layout == "bare":
        files.files["classes.txt"] = "".join(n + "\n" for n in names)
    return True


def _sidecar(sizes: dict[str, list[int]]) -> str:
    """The size sidecar, one image per line (small diffs, fast to write at 100k images)."""
    entries = ",\n".join(f"    {orjson.dumps(k).decode()}: [{w}, {h}]"
                         for k, (w, h) in sizes.items())
    return (f'{{\n  "format": "{SIDECAR_FORMAT}",\n  "version": 1,\n  "sizes": {{\n'
            f"{entries}\n  }}\n}}\n")


def _str_keys(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {str(k): _str_keys(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_str_keys(v) for v in doc]
    return doc


def _label_files(ds: Dataset, layout: str, rows: Rows, seen: Census, report: Report,
                 files: _Files) -> None:
    taken: dict[str, tuple[str, str]] = {}
    if layout == "bare":  # an image called classes.jpg must not overwrite the class names
        taken["classes.txt"] = ("(the class names)", "classes.txt")
    flat = flat_bare(seen)
    lists: dict[str, list[str]] = {}
    # what the loop finds, in item order: a diagnostic, or a label file whose rows are made
    # after it (in a pool with --jobs > 1) and whose findings then come in its place
    events: list[tuple[str, dict[str, Any]] | str] = []
    pending: list[tuple[int, int, int]] = []  # (item position, width, height)

    def say(code: str, **ctx: Any) -> None:
        events.append((code, ctx))

    for k, item in enumerate(ds.items):
        media = item.media
        if not isinstance(media, Image):
            continue
        subset = item.subset if item.subset is not None else files.none_as
        if subset is not None and not is_safe_relative(subset):
            say("AF016", item_id=item.id, value=subset)
            continue
        if not is_safe_relative(media.path):
            say("AF016", item_id=item.id, value=media.path)
            continue
        label_dir = split_folders(layout, subset)[0]
        if layout == "bare" and not flat:
            label_dir = "labels"
        image_dir = image_folder(layout, subset, flat)
        path = written_path(media.path)
        stem = strip_image_ext(path)
        label_rel = f"{label_dir}/{stem}.txt" if label_dir else f"{stem}.txt"
        key = _norm(label_rel)
        if key in taken:
            first_id, first_path = taken[key]
            say("AF215", item_id=item.id, first=f"{first_id} ({first_path})",
                second=f"{item.id} ({media.path})", label=label_rel)
            continue
        taken[key] = (item.id, media.path)
        if files.index is not None:
            files.index.append((key, item.id, f"{item.id} ({media.path})", label_rel))
        image_rel = f"{image_dir}/{path}" if image_dir else path
        if layout == "darknet":
            lists.setdefault(subset or "train", []).append(f"data/{image_rel}")
        if label_dir:
            files.dirs.add(label_dir)
        if image_dir and layout == "ultralytics":
            files.dirs.add(image_dir)
        w, h = media.width, media.height
        has_rows = any(a.type in GEOMETRY for a in item.annotations)
        if w is not None and h is not None:
            files.sizes[image_rel] = [w, h]
        elif has_rows:
            say("AF333", item_id=item.id, image=media.path)
            continue
        files.files[label_rel] = ""
        if has_rows and w and h:
            pending.append((k, w, h))
            events.append(label_rel)
    made = _made_rows(ds.items, rows, pending)
    count = counter("write", len(ds.items))
    for event in events:
        if isinstance(event, str):
            lines, calls = next(made)
            for code, ctx in calls:
                report.add(code, **ctx)
            files.files[event] = "".join(line + "\n" for line in lines)
            if count is not None:
                count.add()
        else:
            report.add(event[0], **event[1])
    if count is not None:
        count.add(len(ds.items) - count.done)
        count.close()
    for subset, entries in lists.items():
        files.files[f"{subset}.txt"] = "".join(e + "\n" for e in entries)


#: label files whose rows a worker makes at a time, and the fewest runs worth a pool
_ROWS_RUN = 512
_POOLED_RUNS = 8


Made = tuple[list[str], list[tuple[str, dict[str, Any]]]]


def _made_rows(items: list[Item], rows: Rows,
               pending: list[tuple[int, int, int]]) -> Iterator[Made]:
    """Each pending label file's rows and the report calls making them made, in order: in
    a pool of forked workers with --jobs > 1 (each reads the items it inherited; the rows and
    calls travel back), else here."""
    shared = (items, pending, rows)
    runs = [(a, min(a + _ROWS_RUN, len(pending))) for a in range(0, len(pending), _ROWS_RUN)]
    # a detect row is one formatting call: sending it back costs about as much (COCO-2017
    # train: 24.0 s here, 25.3 s pooled); a polygon's many numbers pay (48.0 s -> 39.6 s)
    done = (map_inherited(_rows_run, shared, runs, min_items=_POOLED_RUNS)
            if rows.task != "detect" else (_rows_run(shared, run) for run in runs))
    for made in done:
        yield from made


def _rows_run(shared: tuple[list[Item], list[tuple[int, int, int]], Rows],
              run: tuple[int, int]) -> list[Made]:
    """The rows (and report calls) of pending label files ``run``; module-level, of what a
    forked worker inherits (``map_shared``)."""
    items, pending, rows = shared
    mine = copy.copy(rows)
    out: list[Made] = []
    for k, w, h in pending[run[0]:run[1]]:
        mine.report = recorded = RecordedReport()
        out.append((mine.item_rows(items[k], w, h), recorded.calls))
    return out


def _class_folders(ds: Dataset, dest: Path, options: Options, report: Report,
                   files: _Files) -> None:
    root = Path(options.image_root) if options.image_root else None
    if root is None:
        report.add("AF038", path=str(dest), reason="pass image_root: the folder the item "
                   "media paths are relative to (classification datasets are the images)")
        return
    taken: dict[str, str] = {}
    for item in track(ds.items, "write"):
        media = item.media
        if not isinstance(media, Image):
            continue
        tag = class_tag(item)
        if tag is None:
            count = sum(1 for a in item.annotations if a.type == "tag" and a.label is not None)
            report.add("AF038", item_id=item.id,
                       reason=f"item has {count} tags; a classification image has one class")
            continue
        if not is_safe_relative(media.path) or not is_safe_relative(tag.label or ""):
            report.add("AF016", item_id=item.id, value=media.path)
            continue
        name = media.path.rsplit("/", 1)[-1]
        split = split_key(item.subset)  # classification reads only train/, val/, test/
        rel = f"{split}/{tag.label}/{name}"
        key = _norm(rel)
        if key in taken:
            report.add("AF215", item_id=item.id, first=taken[key], second=item.id, label=rel)
            continue
        taken[key] = item.id
        if files.index is not None:
            files.index.append((key, item.id, item.id, rel))
        src = root / media.path
        if not src.is_file():
            report.add("AF038", path=str(src), item_id=item.id, reason="the image is missing")
            continue
        files.copies.append((src, rel))


def _data_yaml(ds: Dataset, task: str, kpt: tuple[int, int] | None, seen: Census,
               files: Any, report: Report, dest: Path,
               val: str | None = None) -> dict[str, Any]:
    extras = ds.extras.get("yolo", {})
    splits: dict[str, list[str]] = {}
    # text items were refused or dropped (AF509): only images' subsets count
    for subset in seen.image_subsets:
        subset = subset if subset is not None else files.none_as
        folder = split_folders("ultralytics", subset)[1]
        key = "val" if val is not None and subset == val else split_key(subset)
        entries = splits.setdefault(key, [])
        if folder not in entries:
            entries.append(folder)
    borrowed = bool(splits) and ("train" not in splits or "val" not in splits)
    if not splits:
        splits["train"] = ["images"]
        files.dirs.update({"images", "labels"})
    if "train" not in splits:
        splits["train"] = list(next(iter(splits.values())))
    if "val" not in splits:
        splits["val"] = list(splits["train"][:1])
    if borrowed:  # Ultralytics needs both keys: never a silent val = train
        report.add("AF039", path=str(dest / "data.yaml"), train=", ".join(splits["train"]),
                   val=", ".join(splits["val"]))
    doc: dict[str, Any] = {}
    for key in ("train", "val", "test"):
        if key in splits:
            value = splits[key]
            doc[key] = value[0] if len(value) == 1 else list(value)
    names = ds.label_names()
    doc["nc"] = len(names)
    doc["names"] = dict(enumerate(names))
    if kpt is not None:
        doc["kpt_shape"] = list(kpt)
        flip = extras.get("flip_idx")
        if isinstance(flip, list) and len(flip) == kpt[0]:
            doc["flip_idx"] = list(flip)
    if task == "obb" or extras.get("task"):
        doc["task"] = task
    for key, value in extras.get("yaml", {}).items():
        doc.setdefault(key, value)
    return doc


def _darknet_meta(names: list[str], lists: list[str], files: Any) -> None:
    lines = [f"classes = {len(names)}"]
    for rel in lists:
        subset = rel[: -len(".txt")]
        key = {"train": "train", "val": "valid"}.get(split_key(subset), subset)
        key = subset if key in {line.split(" = ")[0] for line in lines} else key
        lines.append(f"{key} = data/{rel}")
    lines += ["names = data/obj.names", "backup = backup/"]
    files.files["obj.data"] = "\n".join(lines) + "\n"
    files.files["obj.names"] = "".join(n + "\n" for n in names)
