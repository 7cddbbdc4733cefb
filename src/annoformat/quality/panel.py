"""The annotators of ``agree`` and ``merge``, and which item each of them annotated.

Two ways in. **Several files** (paths or Datasets), one per annotator, named by ``--annotator``
in order or else by the file stems: items are paired across the files as ``compare`` pairs
them (:func:`~annoformat.quality.items.pair_items`: subset and media path, file name, text
id, text, line), each file against the items gathered so far. An item present in a file
counts for that annotator even when it holds no annotation (they saw it and found nothing);
an item absent from a file does not (AF742). **One file** (or Dataset) whose annotations carry
``annotator``: an item counts for an annotator only when that annotator left at least one
annotation on it, since one file cannot tell "saw it, found nothing" from "never got it"
(Label Studio and Prodigy hand each task to some annotators only); annotations without an
annotator are left out (AF741), and so are a model's (``origin: model``, Label Studio
predictions, COCO results) unless asked for (AF746): a pre-label is not an annotator.
Records of one file with the same subset and media (image path and frame, or text) are one
item: Prodigy writes one record per annotator and input.

Example:
    >>> from annoformat.model import BBox, Dataset, Image, Item
    >>> ds = Dataset(items=[Item(id="1", media=Image(path="a.jpg"), annotations=[
    ...     BBox(label="car", x=0, y=0, w=5, h=5, annotator="bob"),
    ...     BBox(label="car", x=0, y=0, w=5, h=5, annotator="al")])])
    >>> p = read_panel([ds])
    >>> p.names, [[len(c.annotations) if c else None for c in row] for row in p.cells]
    (['al', 'bob'], [[1, 1]])
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annoformat.diagnostics import AnnoformatError, Report, UsageError
from annoformat.model import Dataset, Item, Label, Text, VideoFrame
from annoformat.quality.items import Source, pair_items, read_source
from annoformat.quality.items import label as item_label

_SHOWN = 5


@dataclass
class Panel:
    """Annotator ``names`` (and the file each came from, None for a Dataset or one file);
    ``items``: one item per row (the first annotator's copy that has it); ``cells[row][k]``:
    annotator ``k``'s copy of the row's item with only their annotations, or None when the
    item does not count for them; ``labels``: every label of the inputs, first seen first."""

    names: list[str]
    sources: list[str | None]
    items: list[Item]
    cells: list[list[Item | None]]
    labels: list[Label] = field(default_factory=list)
    single_file: bool = False

    def present(self, row: int) -> list[int]:
        """The annotators the row's item counts for."""
        return [k for k, cell in enumerate(self.cells[row]) if cell is not None]


def examples(names: Sequence[str]) -> str:
    """A few names for a message, and how many more there are."""
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def read_panel(given: Source | Sequence[Source], *, annotators: Sequence[str] = (),
               format: str | None = None, report: Report | None = None,
               command: str = "agree", with_models: bool = False) -> Panel:
    """Read the annotators' work: several sources (one per annotator) or one source whose
    annotations name their annotator (then ``annotators`` picks some of them, and model
    output, ``origin == "model"``, takes part only ``with_models``: AF746).

    Raises:
        UsageError: bad ``annotators`` (AF743).
        AnnoformatError: an input cannot be read, or fewer than two annotators (AF740).
    """
    sources = [given] if isinstance(given, (str, Path, Dataset)) else list(given)
    report = report if report is not None else Report()
    if not sources:
        report.add("AF740", command=command, count=0, detail="")
        raise AnnoformatError(report)
    datasets = [read_source(s, format, report) for s in sources]
    if len(datasets) == 1:
        panel = _one_file(datasets[0], list(annotators), report, command, with_models)
    else:
        panel = _several(datasets, _names(sources, list(annotators)), report)
        panel.sources = [None if isinstance(s, Dataset) else str(s) for s in sources]
    return panel


def _names(sources: Sequence[Source], given: list[str]) -> list[str]:
    if given:
        reason = None
        if len(given) != len(sources):
            reason = f"{len(given)} name(s) for {len(sources)} file(s)"
        elif len(set(given)) != len(given):
            reason = "the names must differ"
        if reason:
            usage = Report()
            usage.add("AF743", value=",".join(given), reason=reason)
            raise UsageError(usage)
        return given
    names = [f"annotator-{k + 1}" if isinstance(s, Dataset) else Path(s).stem
             for k, s in enumerate(sources)]
    if len(set(names)) != len(names):
        usage = Report()
        usage.add("AF743", value="(file stems)", reason=f"the file stems {names} repeat; "
                  "name the annotators with --annotator, one per file")
        raise UsageError(usage)
    return names


def _labels(datasets: Sequence[Dataset]) -> list[Label]:
    seen: dict[str, Label] = {}
    for ds in datasets:
        for lab in ds.labels:
            seen.setdefault(lab.name, lab)
    return list(seen.values())


def _one_file(ds: Dataset, wanted: list[str], report: Report, command: str,
              with_models: bool) -> Panel:
    models = [a for it in ds.items for a in it.annotations if a.origin == "model"]
    if models and not with_models:
        report.add("AF746", count=len(models), names=examples(sorted(
            {a.annotator or "(unnamed)" for a in models})))
        ds = Dataset.model_construct(labels=ds.labels, info=ds.info, extras=ds.extras, items=[
            it.model_copy(update={"annotations": [a for a in it.annotations
                                                  if a.origin != "model"]})
            for it in ds.items])
    found = sorted({a.annotator for it in ds.items for a in it.annotations
                    if a.annotator is not None})
    unknown = [n for n in wanted if n not in found]
    if unknown:
        usage = Report()
        usage.add("AF743", value=",".join(unknown), reason="the file names no such annotator "
                  f"(it names {', '.join(found) or 'none'})")
        raise UsageError(usage)
    names = [n for n in found if n in wanted] if wanted else found
    if len(names) < 2:
        report.add("AF740", command=command, count=len(names),
                   detail=" in one file (" + (", ".join(names) or "no annotator field") + ")")
        raise AnnoformatError(report)
    column = {n: k for k, n in enumerate(names)}
    groups: dict[Hashable, list[Item]] = {}
    for item in ds.items:
        groups.setdefault(_same_work(item), []).append(item)
    reps: list[Item] = []
    cells: list[list[Item | None]] = []
    orphans, orphan_items = 0, list[str]()
    for copies in groups.values():
        per: list[list[object]] = [[] for _ in names]
        for item in copies:
            for ann in item.annotations:
                if ann.annotator is None:
                    orphans += 1
                    if not orphan_items or orphan_items[-1] != item_label(item):
                        orphan_items.append(item_label(item))
                elif ann.annotator in column:
                    per[column[ann.annotator]].append(ann)
        reps.append(copies[0])
        cells.append([copies[0].model_copy(update={"annotations": anns}) if anns else None
                      for anns in per])
    if orphans:
        report.add("AF741", count=orphans, items=len(orphan_items),
                   examples=examples(orphan_items))
    return Panel(names, [None] * len(names), reps, cells, list(ds.labels),
                 single_file=True)


def _same_work(item: Item) -> Hashable:
    """What makes two records of one file the same piece of work: the subset and the media
    (image path and frame, or the text). Prodigy's ``db-out`` writes one record per annotator
    for one input; they are one item with several annotators' answers."""
    media = item.media
    if isinstance(media, Text):
        return (item.subset, "text", media.text)
    frame = media.frame if isinstance(media, VideoFrame) else None
    return (item.subset, "image", media.path.replace("\\", "/"), frame)


def _several(datasets: Sequence[Dataset], names: list[str], report: Report) -> Panel:
    items: list[Item] = []
    cells: list[list[Item | None]] = []
    for k, ds in enumerate(datasets):
        scratch = Report()  # pairing findings speak of reference/candidate: not ours
        union = Dataset.model_construct(labels=[], items=items, info={}, extras={})
        pairs = pair_items(union, ds, scratch) if items else []
        row_of = {j: i for i, j in pairs}
        for j, item in enumerate(ds.items):
            if j in row_of:
                cells[row_of[j]][k] = item
            else:
                items.append(item)
                cells.append([None] * len(datasets))
                cells[-1][k] = item
    partial = [item_label(items[r]) for r, row in enumerate(cells) if None in row]
    if partial:
        report.add("AF742", count=len(partial), examples=examples(partial))
    return Panel(names, [None] * len(names), items, cells, _labels(datasets))
