"""Dataset operations for pipelines: each returns a new dataset whose labels, annotations and
relations stay consistent (an annotation removed takes the relations that point at it along).

Example:
    >>> import annoformat as af
    >>> ds = af.load("fixtures/coco/good/minimal/annotations.json")
    >>> ds = af.rename_labels(ds, {"cat": "feline"})
    >>> ds.label_names()
    ['feline', 'dog']
    >>> ds = af.split(ds, {"train": 2, "val": 1}, seed=0)
    >>> sorted(af.subsets(ds))
    ['train', 'val']
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from annoformat.diagnostics import AnnoformatError, Report, UsageError
from annoformat.labelmap import LabelMap, MappedLabel, apply, without_dangling_relations
from annoformat.model import Dataset, Item


def rename_labels(ds: Dataset, mapping: Mapping[str, str], *,
                  order: Sequence[str] | None = None) -> Dataset:
    """Labels renamed as ``mapping`` says (old name -> new name), everywhere they are used.

    The class order stays (YOLO index i is still the i-th label) unless ``order`` lists the new
    names in the order wanted. Two old names given one new name are merged into it, at the place
    of the first.
    """
    unknown = sorted(set(mapping) - set(ds.label_names()))
    if unknown:
        raise UsageError(Report(), f"no label named {', '.join(map(repr, unknown))} "
                                   f"(labels: {', '.join(ds.label_names())})")
    sources: dict[str, list[str]] = {}
    for name in ds.label_names():
        sources.setdefault(mapping.get(name, name), []).append(name)
    names = list(sources)
    if order is not None:
        if sorted(order) != sorted(names):
            raise UsageError(Report(), f"order must list each label once: {', '.join(names)}")
        names = list(order)
    return _mapped(ds, LabelMap(labels=[MappedLabel(name=n, sources=sources[n]) for n in names],
                                unmapped="keep"))


def merge_labels(ds: Dataset, labels: Iterable[str], into: str) -> Dataset:
    """The annotations of every label in ``labels`` relabelled ``into`` (one class, at the place
    of the first of them)."""
    return rename_labels(ds, {name: into for name in labels})


def drop_labels(ds: Dataset, labels: Iterable[str]) -> Dataset:
    """The labels removed, with their annotations (and relations to those)."""
    gone = set(labels)
    unknown = sorted(gone - set(ds.label_names()))
    if unknown:
        raise UsageError(Report(), f"no label named {', '.join(map(repr, unknown))}")
    keep = [MappedLabel(name=n) for n in ds.label_names() if n not in gone]
    return _mapped(ds, LabelMap(labels=keep, drop=sorted(gone), unmapped="keep"))


def filter_items(ds: Dataset, keep: Callable[[Item], bool]) -> Dataset:
    """Only the items for which ``keep(item)`` is true (labels unchanged)."""
    return ds.model_copy(update={"items": [item for item in ds.items if keep(item)]})


def filter_annotations(ds: Dataset, keep: Callable[[Item, Any], bool]) -> Dataset:
    """Only the annotations for which ``keep(item, annotation)`` is true; relations whose end
    was removed go too. Items are kept, with or without annotations."""
    items = []
    for item in ds.items:
        kept = [ann for ann in item.annotations if keep(item, ann)]
        if len(kept) < len(item.annotations):
            kept = without_dangling_relations(kept)
            item = item.model_copy(update={"annotations": kept})
        items.append(item)
    return ds.model_copy(update={"items": items})


def split(ds: Dataset, parts: Mapping[str, float], *, seed: int = 0,
          stratify: bool = False) -> Dataset:
    """Every item given a subset from ``parts`` (name -> share; shares are normalised, so
    ``{"train": 8, "val": 2}`` and ``{"train": 0.8, "val": 0.2}`` are the same), at random with
    ``seed``. Sizes are exact (largest remainders). With ``stratify``, each label's items are
    split in those shares: an item counts under its rarest label, items without annotations
    form a group of their own.
    """
    if not parts or any(share < 0 for share in parts.values()) or sum(parts.values()) <= 0:
        raise UsageError(Report(), "split needs at least one subset with a positive share")
    rng = random.Random(seed)
    groups: dict[str, list[int]] = {}
    if stratify:
        freq = Counter(a.label for item in ds.items for a in item.annotations if a.label)
        for i, item in enumerate(ds.items):
            labels = {a.label for a in item.annotations if a.label}
            key = min(labels, key=lambda n: (freq[n], n)) if labels else ""
            groups.setdefault(key, []).append(i)
    else:
        groups[""] = list(range(len(ds.items)))
    subset_of: dict[int, str] = {}
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        start = 0
        for name, size in zip(parts, _sizes(len(members), list(parts.values())), strict=True):
            for i in members[start:start + size]:
                subset_of[i] = name
            start += size
    items = [item.model_copy(update={"subset": subset_of[i]}) for i, item in enumerate(ds.items)]
    return ds.model_copy(update={"items": items})


def subsets(ds: Dataset) -> dict[str | None, Dataset]:
    """One dataset per subset (``None`` for items without one), each with all the labels."""
    out: dict[str | None, list[Item]] = {}
    for item in ds.items:
        out.setdefault(item.subset, []).append(item)
    return {name: ds.model_copy(update={"items": items}) for name, items in out.items()}


def _sizes(n: int, shares: list[float]) -> list[int]:
    """``n`` split in ``shares`` exactly: floors, then the remainder to the largest fractions."""
    total = sum(shares)
    exact = [n * s / total for s in shares]
    sizes = [int(e) for e in exact]
    by_fraction = sorted(range(len(shares)), key=lambda k: (-(exact[k] - sizes[k]), k))
    for k in by_fraction[:n - sum(sizes)]:
        sizes[k] += 1
    return sizes


def _mapped(ds: Dataset, lm: LabelMap) -> Dataset:
    report = Report()
    out = apply(ds, lm, report)
    if report.has_errors:
        raise AnnoformatError(report)
    return out
