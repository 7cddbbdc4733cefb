"""YOLO: Ultralytics, Darknet and bare-folder layouts; detect, segment, OBB, pose, classify.

Specs: docs.ultralytics.com/datasets/detect/ (data.yaml, label rows), .../segment/, .../obb/,
.../pose/, .../classify/; AlexeyAB/darknet README (obj.data, obj.names, train.txt); CVAT's
"YOLO 1.1" export (the Darknet layout with ``obj_<subset>_data/``).

Facts a maintainer needs:

* A label row is ``class`` then values normalised by the image's width (x) and height (y):
  ``cx cy w h`` (detect), polygon points (segment), 4 corners (obb), a box plus K keypoints of
  2 or 3 values (pose; K and the dimension come from ``kpt_shape``), and optionally a
  confidence column (IR ``score``; such a row is a model's: ``origin`` ``model``). Row <-> IR
  mapping, the OBB corner order and the snapping of de-normalised values to whole pixels are
  documented in ``_rows``.
* Class index i is the i-th IR label; ``names`` (list, or mapping 0..nc-1) gives the names.
* De-normalising needs the image size: from the image header (``imagesize``), or an explicit
  size source (``image_sizes`` file, the writer's ``annoformat_sizes.json`` sidecar, or a fixed
  ``image_size``). A label file with rows whose image size is unknown is AF333, never a guess.
* An image without a label file is an item without annotations; the writer writes an empty
  label file for it. A label file without an image is read when a size source gives its size.
* Items: ``id`` is the image path relative to its split folder without the extension;
  ``media.path`` keeps the extension; ``subset`` is the split folder's name. Annotation ids
  are row numbers (pose box and keypoints share one).
* Layouts (``_layout``): Ultralytics data.yaml, Darknet obj.data/obj.names, bare folder with
  classes.txt, classification split folders. data.yaml is loaded with a hardened safe loader
  (``_yaml``): no anchors/aliases, no duplicate keys, size cap; ``download`` is never run.
* The writer plans every file before writing anything: two items that would share a label file
  (also by case or Unicode normalisation) are AF215, unsafe names AF016. Its task is the
  ``task`` option or the one that holds the data (AF034 says which and why); values outside
  [0, 1] are AF331 unless ``clip=True`` (each clip AF332).
* Loss is stated before writing by ``plan`` (``_plan``) from the decisions in ``_task`` that the
  writer also acts on: no single task holds the data (AF515, a refusal), what the task
  approximates (AF516) or cannot hold (AF517), ids, areas and subsets YOLO has no place for
  (AF507). An annotation has one fate (``_task.fate``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from annoformat.diagnostics import Report
from annoformat.formats.yolo._codes import CODES
from annoformat.formats.yolo._common import CAPABILITIES, NAME, SCHEMA, Options
from annoformat.formats.yolo._layout import kind_of
from annoformat.formats.yolo._rows import rotated_to_corners
from annoformat.formats.yolo._single import dataset_root, read_label_file
from annoformat.formats.yolo._task import media_paths
from annoformat.model import Dataset, Item
from annoformat.spec import Detection, FormatSpec, LossPlan, Stream

__all__ = ["CAPABILITIES", "FORMAT", "Options", "auto_task", "detect", "join", "plan", "read",
           "rotated_to_corners", "settle", "stream", "task_kinds", "write"]


def detect(path: Path) -> Detection:
    """YOLO if ``path`` is a data.yaml/obj.data, or a folder holding one, classes.txt or
    classification split folders."""
    found = kind_of(path)
    if found is None:
        root = dataset_root(path)
        if root is not None:
            return Detection(0.8, f"a label file of the YOLO dataset at {root}")
        return Detection(0.0, "no data.yaml with names, obj.data/obj.names, classes.txt or "
                         "classification split folders")
    kind, why = found
    return Detection(0.6 if kind == "classify" else 0.9, f"YOLO {kind}: {why}")


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a YOLO dataset (folder, data.yaml or obj.data) into the IR.

    A single label ``.txt`` reads as the one item of its dataset (found upwards), with the
    dataset's names and image sizes: what a pre-commit hook needs to check one changed file.
    """
    root = dataset_root(path) if kind_of(path) is None else None
    if root is not None:
        return read_label_file(path, root, options, report)
    from annoformat.formats.yolo._read import read_dataset  # when used, not at discovery

    return read_dataset(path, options, report)


def stream(path: Path, options: Options, report: Report) -> Stream | None:
    """:func:`read`, one item at a time: data.yaml (or obj.names, classes.txt) and the size
    source first, then one label file and one image header per item.

    Example:
        >>> from annoformat.diagnostics import Report
        >>> s = stream(Path("fixtures/yolo/good/ultralytics-detect/dataset"), Options(), Report())
        >>> s.head.label_names()[:2], next(s.items).id
        (['cat', 'dog'], 'a')
    """
    root = dataset_root(path) if kind_of(path) is None else None
    if root is not None:  # one label file: its dataset is read once per process anyway
        ds = read_label_file(path, root, options, report)
        if ds is None:
            return None
        items, ds.items = ds.items, []
        return Stream(ds, iter(items))
    from annoformat.formats.yolo._read import open_dataset  # when used, not at discovery

    return open_dataset(path, options, report)


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What :func:`write` will approximate, drop or renumber; see ``_plan.plan``."""
    from annoformat.formats.yolo._plan import plan as plan_yolo  # when used, not at discovery

    return plan_yolo(ds, options)


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write ``ds`` as a YOLO dataset folder at ``dest`` (labels, data.yaml or obj.*)."""
    from annoformat.formats.yolo._write import write_dataset  # when used, not at discovery

    write_dataset(ds, dest, options, report)


def task_kinds(ds: Dataset) -> set[str]:
    """The annotation kinds of ``ds`` that a YOLO task can hold: what ``task=auto`` decides
    from (a sharded run unites its shards' kinds to decide one task for all of them)."""
    from annoformat.formats.yolo._task import kinds_of

    return kinds_of(ds)


def auto_task(ds: Dataset, kinds: set[str]) -> str:
    """The task ``task=auto`` writes for a dataset like ``ds`` (its YOLO hints) holding
    ``kinds``.

    Example:
        >>> auto_task(Dataset(), {"bbox", "polygon"})
        'segment'
    """
    from annoformat.formats.yolo._task import choose_task

    return choose_task(ds, Options(), kinds)[0]


def settle(head: Dataset, items: Callable[[], Iterator[Item]], options: Options) -> Options:
    """``options`` for writing a dataset in parts: with the whole dataset's census (kinds,
    subsets, folders, keypoint counts; a few sets and counts) when the task or the layout
    depends on the items, which costs a second read of the source (``items()``). An explicit
    ``task`` (not pose) with ``layout=darknet`` decides every item alone: no second read.

    Example:
        >>> from annoformat.model import Image
        >>> reads = []
        >>> def again():
        ...     reads.append(1)
        ...     return iter([Item(id="a", media=Image(path="a.jpg"), subset="val")])
        >>> o = settle(Dataset(), again, Options(task="detect", layout="darknet"))
        >>> len(reads), settle(Dataset(), again, Options()) is not None, len(reads)
        (0, True, 1)
    """
    from annoformat.formats.yolo._task import census_of, output_layout

    settled = options.model_copy()
    settled._in_parts = True
    task = options.task
    layout = output_layout(head, options, task if task != "auto" else "detect")
    if task in ("auto", "pose") or layout in ("ultralytics", "bare"):
        settled._census = census_of(items())
    return settled


def join(parts: list[Path], head: Dataset, dest: Path, options: Options,
         report: Report) -> None:
    """The YOLO folder of a dataset written in parts; see ``_join.join``."""
    from annoformat.formats.yolo._join import join as join_parts  # when used

    join_parts(parts, head, dest, options, report)


FORMAT = FormatSpec(
    name=NAME,
    description="YOLO labels: Ultralytics data.yaml, Darknet obj.data, bare classes.txt; "
    "detect, segment, obb, pose, classify",
    extensions=(".yaml", ".yml", ".txt", ".data"),
    one_file=False,
    capabilities=CAPABILITIES,
    options=Options,
    schemas=(SCHEMA,),
    detect=detect,
    read=read,
    write=write,
    stream=stream,
    plan=plan,
    join=join,
    settle=settle,
    codes=CODES,
    media=media_paths,
    aliases=('yolov5', 'yolov8', 'yolo11', 'ultralytics', 'darknet', 'yolo1.1'),
    memory_factor=35.0,  # 38 MB of label files peak at 1.2 GiB whole (COCO-2017-train size)
)
