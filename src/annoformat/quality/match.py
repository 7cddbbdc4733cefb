"""Optimal one-to-one matching of two annotation lists of one item: the engine every quality
command shares (``compare`` now; ``agree`` and ``merge`` call :func:`match_annotations` too).

Matching is per kind (a box is never matched to a polygon; polygons and masks are one kind).
Pairs whose similarity is below the threshold are excluded *before* the assignment; the
assignment (``scipy.optimize.linear_sum_assignment``, the Hungarian method) then maximises the
total similarity of the remaining pairs. Labels play no part: they are compared afterwards.

Example:
    >>> from annoformat.model import BBox
    >>> ref = [BBox(label="cat", x=0, y=0, w=10, h=10), BBox(label="dog", x=50, y=50, w=10, h=10)]
    >>> cand = [BBox(label="dog", x=51, y=50, w=10, h=10)]
    >>> m = match_annotations(ref, cand, Settings(), width=100, height=100)
    >>> [(p.ref, p.cand, round(p.similarity, 3)) for p in m.pairs], m.unmatched_ref
    ([(1, 0, 0.818)], [0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from annoformat.diagnostics import Report
from annoformat.quality.similarity import (
    Canvas,
    Matrix,
    SpanMatch,
    canvas_for,
    kind_of,
    same_geometry,
    similarity,
)

#: the IoU bound's margin: pairs bounded below ``iou * _BOUND_MARGIN`` are not computed, the
#: margin covering the gap between a polygon's geometric and rasterised areas
_BOUND_MARGIN = 0.8


@dataclass(frozen=True)
class Settings:
    """How annotations are compared (``compare``'s options; CVAT's defaults).

    ``iou``: the least similarity of a pair that may match, in (0, 1]; ``low_overlap``: matched
    pairs of the same label below it are ``low_overlap`` warnings; ``oks_sigma``: COCO's
    per-point sigma for points and keypoints; ``line_thickness``: a polyline's buffer
    half-width relative to the square root of the image area; ``span_match``: ``exact``
    offsets or character-IoU ``overlap``; ``ignore_attributes``: attribute names left out of
    the comparison; ``ignore_crowd``: crowd objects are left out on both sides;
    ``compare_attributes`` / ``compare_groups``: whether those conflicts are looked for;
    ``coverage``: the share of a candidate region inside another that makes it
    ``covered_annotation``; ``look_for_covered``: whether that is looked for (``agree``'s
    pairwise metrics do not use it, and it is the costliest check).
    """

    iou: float = 0.5
    low_overlap: float = 0.8
    oks_sigma: float = 0.09
    line_thickness: float = 0.01
    span_match: SpanMatch = "exact"
    ignore_attributes: frozenset[str] = field(default_factory=frozenset)
    ignore_crowd: bool = False
    compare_attributes: bool = True
    compare_groups: bool = True
    coverage: float = 0.9
    look_for_covered: bool = True

    def usage_errors(self) -> Report:
        """AF707 for each setting out of range, named as the CLI option (empty when fine)."""
        usage = Report()
        for problem in self.problems():
            name, _, why = problem.partition(": ")
            usage.add("AF707", option="--" + name.replace("_", "-"),
                      value=getattr(self, name), reason=why)
        return usage

    def problems(self) -> list[str]:
        """What is wrong with these settings, as ``name: why`` (empty when they are fine)."""
        out = []
        for name in ("iou", "low_overlap", "coverage"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                out.append(f"{name}: {value} is not in (0, 1]")
        if self.oks_sigma <= 0:
            out.append(f"oks_sigma: {self.oks_sigma} is not positive")
        if self.line_thickness <= 0:
            out.append(f"line_thickness: {self.line_thickness} is not positive")
        if self.span_match not in ("exact", "overlap"):
            out.append(f"span_match: {self.span_match!r} is not 'exact' or 'overlap'")
        return out


@dataclass(frozen=True)
class Pair:
    """Reference annotation ``ref`` matched to candidate ``cand`` (indices into the lists
    given) with this similarity, measured within ``kind``."""

    ref: int
    cand: int
    similarity: float
    kind: str


@dataclass
class Matching:
    """The pairs, and the indices left unmatched on each side (ascending)."""

    pairs: list[Pair]
    unmatched_ref: list[int]
    unmatched_cand: list[int]
    canvas: Canvas


def assign(sim: Matrix, threshold: float) -> list[tuple[int, int, float]]:
    """The one-to-one pairs ``(row, column, similarity)`` of greatest total similarity among
    the pairs at or above ``threshold`` (> 0), in row order.

    Excluded pairs weigh 0 in the assignment and are dropped from its answer: as every allowed
    pair weighs more than 0, that is the best assignment over allowed pairs only. Small
    competitions are settled without the solver when their best assignment is unique
    (:func:`_settle`); otherwise ``scipy.optimize.linear_sum_assignment`` decides.
    """
    allowed = sim >= threshold
    if not allowed.any():
        return []
    rows_n, cols_n = allowed.sum(axis=1), allowed.sum(axis=0)
    if rows_n.max() <= 1 and cols_n.max() <= 1:  # no competition: the common case, no solver
        r, c = np.nonzero(allowed)
        return [(int(i), int(j), float(sim[i, j])) for i, j in zip(r, c, strict=True)]
    settled = _settle(sim, allowed)
    if settled is not None:
        return settled
    return solve(sim, allowed)


def solve(sim: Matrix, allowed: Any) -> list[tuple[int, int, float]]:
    """:func:`assign` by the Hungarian method alone (scipy), the reference the shortcut of
    :func:`_settle` is tested against."""
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(np.where(allowed, sim, 0.0), maximize=True)
    return [(int(i), int(j), float(sim[i, j]))
            for i, j in zip(rows, cols, strict=True) if allowed[i, j]]


#: the most partial assignments :func:`_settle` enumerates before leaving it to the solver
_ENUMERATED = 4096
#: how much the best total must beat the runner-up by for the answer to be the solver's too:
#: far above the rounding of a sum of a few similarities, far below any real difference
_MARGIN = 1e-9


def _settle(sim: Matrix, allowed: Any) -> list[tuple[int, int, float]] | None:
    """The best assignment, found by enumerating each connected group of competing pairs,
    when every group is small and its best assignment beats every other by more than
    ``_MARGIN``; None otherwise (a tie, which the solver breaks its own way, or too many).

    The groups are independent (no pair joins two of them), so the best assignment is the
    union of their best ones; a unique optimum is what any exact solver returns, hence the
    same pairs as :func:`solve` (and scipy need not even be imported: about half a second).
    """
    edges: dict[int, list[int]] = {}
    for i, j in zip(*np.nonzero(allowed), strict=True):
        edges.setdefault(int(i), []).append(int(j))
    col_rows: dict[int, list[int]] = {}
    for i, js in edges.items():
        for j in js:
            col_rows.setdefault(j, []).append(i)
    weight = {(i, j): float(sim[i, j]) for i, js in edges.items() for j in js}
    seen: set[int] = set()
    out: list[tuple[int, int, float]] = []
    for start in sorted(edges):
        if start in seen:
            continue
        group, todo = [], [start]  # the rows joined to ``start`` through shared columns
        seen.add(start)
        while todo:
            i = todo.pop()
            group.append(i)
            for j in edges[i]:
                for k in col_rows[j]:
                    if k not in seen:
                        seen.add(k)
                        todo.append(k)
        best = _best_unique(sorted(group), edges, weight)
        if best is None:
            return None
        out += [(i, j, weight[i, j]) for i, j in best]
    out.sort()
    return out


def _best_unique(rows: list[int], edges: dict[int, list[int]],
                 weight: dict[tuple[int, int], float]) -> list[tuple[int, int]] | None:
    """The partial assignment of ``rows`` of greatest total, if it beats every other by more
    than ``_MARGIN`` and at most ``_ENUMERATED`` were looked at; else None."""
    best: list[tuple[int, int]] = []
    top = second = -1.0
    visited = 0
    chosen: list[tuple[int, int]] = []
    used: set[int] = set()

    def walk(k: int, total: float) -> bool:
        nonlocal best, top, second, visited
        if k == len(rows):
            visited += 1
            if total > top:
                top, second, best = total, top, list(chosen)
            elif total > second:
                second = total
            return visited <= _ENUMERATED
        i = rows[k]
        for j in edges[i]:
            if j not in used:
                used.add(j)
                chosen.append((i, j))
                ok = walk(k + 1, total + weight[i, j])
                chosen.pop()
                used.discard(j)
                if not ok:
                    return False
        return walk(k + 1, total)

    if not walk(0, 0.0) or top - second <= _MARGIN:
        return None
    return best


def match_annotations(ref: Sequence[Any], cand: Sequence[Any], settings: Settings | None = None,
                      *, width: int | None = None, height: int | None = None) -> Matching:
    """Match two annotation lists of one item (image ``width`` x ``height`` when known), per
    kind, as the module docstring says. Relations and crowd objects left out by
    ``settings.ignore_crowd`` are in neither the pairs nor the unmatched lists."""
    settings = settings or Settings()
    canvas = canvas_for(width, height, [*ref, *cand])
    by_kind: dict[str, tuple[list[int], list[int]]] = {}
    for side, anns in ((0, ref), (1, cand)):
        for i, ann in enumerate(anns):
            kind = kind_of(ann)
            if kind is None or (settings.ignore_crowd and getattr(ann, "crowd", None)):
                continue
            by_kind.setdefault(kind, ([], []))[side].append(i)
    pairs: list[Pair] = []
    unmatched_ref: list[int] = []
    unmatched_cand: list[int] = []
    for kind, (ri, ci) in by_kind.items():
        if len(ri) == len(ci) and all(same_geometry(ref[i], cand[j])
                                      for i, j in zip(ri, ci, strict=True)):
            # the same shapes in the same order: every pair has similarity 1, the most there
            # is, so this assignment's total cannot be beaten (an unchanged item at COCO scale)
            pairs += [Pair(i, j, 1.0, kind) for i, j in zip(ri, ci, strict=True)]
            continue
        # pairs surely below the threshold are excluded anyway: their IoU is not rasterised
        sim = similarity([ref[i] for i in ri], [cand[j] for j in ci], kind, canvas,
                         oks_sigma=settings.oks_sigma, line_thickness=settings.line_thickness,
                         span_match=settings.span_match, floor=settings.iou * _BOUND_MARGIN)
        found = assign(sim, settings.iou)
        pairs += [Pair(ri[r], ci[c], s, kind) for r, c, s in found]
        used_r, used_c = {r for r, _, _ in found}, {c for _, c, _ in found}
        unmatched_ref += [i for k, i in enumerate(ri) if k not in used_r]
        unmatched_cand += [j for k, j in enumerate(ci) if k not in used_c]
    pairs.sort(key=lambda p: p.ref)
    return Matching(pairs, sorted(unmatched_ref), sorted(unmatched_cand), canvas)
