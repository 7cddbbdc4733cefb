"""Clusters of matching objects across several annotators of one item: the units of
``agree``'s Krippendorff's alpha and the candidates of ``merge``'s consensus.

Per kind (as :mod:`annoformat.quality.match`: a box never joins a polygon; labels play no
part), the annotators are taken in the order given. The first one's objects each start a
cluster; each next annotator's objects are assigned to the clusters so far by the Hungarian
method (:func:`~annoformat.quality.match.assign`), an object being allowed into a cluster only
when its similarity to *every* member is at least ``settings.iou``, and the assignment
maximising the total mean similarity to the members. Objects left over start new clusters. So
an annotator contributes at most one member per cluster, and every two members of a cluster
match each other at or above the threshold.

Example:
    >>> from annoformat.model import BBox
    >>> a = [BBox(label="car", x=0, y=0, w=10, h=10)]
    >>> b = [BBox(label="car", x=1, y=0, w=10, h=10), BBox(label="car", x=50, y=50, w=5, h=5)]
    >>> [sorted(c.members.items()) for c in cluster_item([a, b, None])]
    [[(0, 0), (1, 0)], [(1, 1)]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annoformat.quality.match import Settings, assign
from annoformat.quality.similarity import canvas_for, kind_of, similarity


@dataclass
class Cluster:
    """Matching objects of one kind on one item: ``members`` maps an annotator's position to
    the index of its annotation in that annotator's list; ``similarity`` is the mean
    similarity over every two members (None for a single member); ``pair_mean`` each member's
    mean similarity to the others (None for a single member)."""

    kind: str
    members: dict[int, int]
    similarity: float | None
    pair_mean: dict[int, float | None]


def cluster_item(annotations: Sequence[Sequence[Any] | None], settings: Settings | None = None,
                 *, width: int | None = None, height: int | None = None) -> list[Cluster]:
    """The clusters of one item, given each annotator's annotations on it (None for an
    annotator who does not count for the item), in kind order of first appearance, each
    kind's clusters in creation order. Relations (and crowd objects under
    ``settings.ignore_crowd``) are left out."""
    settings = settings or Settings()
    flat: list[tuple[int, int, Any]] = []
    for k, anns in enumerate(annotations):
        for i, ann in enumerate(anns or ()):
            if kind_of(ann) is None or (settings.ignore_crowd and getattr(ann, "crowd", None)):
                continue
            flat.append((k, i, ann))
    canvas = canvas_for(width, height, [a for _, _, a in flat])
    by_kind: dict[str, list[int]] = {}
    for g, (_, _, ann) in enumerate(flat):
        by_kind.setdefault(str(kind_of(ann)), []).append(g)
    out: list[Cluster] = []
    for kind, idx in by_kind.items():
        objs = [flat[g][2] for g in idx]
        owner = [flat[g][0] for g in idx]
        sim = _between_annotators(objs, owner, kind, canvas, settings)
        groups = _grow(sim, owner, settings.iou)
        for group in groups:
            out.append(_cluster(kind, group, sim, owner, [flat[g][1] for g in idx]))
    return out


#: kinds whose similarity is not symmetric (OKS takes the first object as the reference)
_ASYMMETRIC = frozenset({"points", "keypoints"})


def _between_annotators(objs: list[Any], owner: list[int], kind: str, canvas: Any,
                        settings: Settings) -> Any:
    """The similarity of every two objects of different annotators (``[p, q]``: p as the
    reference); pairs of one annotator's objects are never compared (an annotator has at most
    one member per cluster) and stay 0."""
    sim = np.zeros((len(objs), len(objs)))
    where: dict[int, list[int]] = {}
    for p, k in enumerate(owner):
        where.setdefault(k, []).append(p)
    coders = sorted(where)

    def measure(first: list[int], second: list[int]) -> Any:
        return similarity([objs[p] for p in first], [objs[q] for q in second], kind, canvas,
                          oks_sigma=settings.oks_sigma, line_thickness=settings.line_thickness,
                          span_match=settings.span_match, floor=settings.iou * 0.8)

    for n, a in enumerate(coders):
        for b in coders[n + 1:]:
            rows, cols = where[a], where[b]
            block = measure(rows, cols)
            sim[np.ix_(rows, cols)] = block
            sim[np.ix_(cols, rows)] = measure(cols, rows) if kind in _ASYMMETRIC else block.T
    return sim


def _grow(sim: Any, owner: list[int], threshold: float) -> list[list[int]]:
    """Clusters (lists of positions into ``owner``), annotator by annotator."""
    clusters: list[list[int]] = []
    for k in sorted(set(owner)):
        mine = [p for p, o in enumerate(owner) if o == k]
        if clusters:
            # every member's similarity, columns grouped by cluster: each cluster's minimum
            # (complete linkage: every member must match) and mean in one call each
            members = [p for c in clusters for p in c]
            starts = np.cumsum([0] + [len(c) for c in clusters[:-1]])
            block = sim[np.ix_(mine, members)]
            least = np.minimum.reduceat(block, starts, axis=1)
            mean = np.add.reduceat(block, starts, axis=1) / [len(c) for c in clusters]
            weight = np.where(least >= threshold, mean, 0.0)
            found = assign(weight, threshold)
        else:
            found = []
        joined = {r for r, _, _ in found}
        for r, c, _ in found:
            clusters[c].append(mine[r])
        clusters += [[p] for r, p in enumerate(mine) if r not in joined]
    return clusters


def _cluster(kind: str, group: list[int], sim: Any, owner: list[int],
             index: list[int]) -> Cluster:
    members = {owner[p]: index[p] for p in group}
    if len(group) < 2:
        return Cluster(kind, members, None, {owner[group[0]]: None})
    sub = sim[np.ix_(group, group)]
    n = len(group)
    off = (sub.sum() - np.trace(sub)) / (n * (n - 1))
    means = (sub.sum(axis=1) - np.diag(sub)) / (n - 1)
    return Cluster(kind, members, float(off),
                   {owner[p]: float(m) for p, m in zip(group, means, strict=True)})
