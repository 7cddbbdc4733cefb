"""``merge``: a consensus dataset from several annotators (docs/quality.md, "merge").

Per item, the annotators' objects are clustered (:mod:`annoformat.quality.cluster`: the same
matching as ``compare``, at ``iou``; an annotator gives at most one member per cluster) and a
cluster is kept when at least ``quorum`` annotators drew it. The merged object:

* label: the majority of the members' labels; on a tie, the tied label first in the label list
  (AF752 counts the ties);
* geometry: the mean of the members' boxes for ``bbox``; for every other kind (polygons and
  masks included) the member with the highest mean similarity to the others (its medoid);
  other fields (attributes, group, occluded…) come from the medoid among the members that
  gave the winning label;
* votes and agreement, as attributes: ``consensus_votes`` (annotators who drew it),
  ``consensus_label_votes`` (who gave it the merged label), ``consensus_annotators``
  (annotators the item counts for), ``consensus_by`` (their names, comma-separated),
  ``consensus_iou`` (the members' mean pairwise similarity; absent for one member); and
  ``score = consensus_label_votes / consensus_annotators``.

Clusters below the quorum are reported (AF751, with counts), as are relations (AF753). Every
item is kept, emptied or not.

Example:
    >>> from annoformat.model import BBox, Dataset, Image, Item
    >>> def one(label, x):
    ...     return Dataset(items=[Item(id="1", media=Image(path="a.jpg", width=99, height=99),
    ...                            annotations=[BBox(label=label, x=x, y=0, w=10, h=10)])])
    >>> ds = merge([one("car", 0), one("car", 2), one("bus", 40)], quorum=2)
    >>> box = ds.items[0].annotations[0]
    >>> box.label, box.x, box.attributes["consensus_votes"], round(box.score, 4)
    ('car', 1.0, 2, 0.6667)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from annoformat.diagnostics import Report, UsageError
from annoformat.model import Dataset, Item
from annoformat.quality.cluster import Cluster, cluster_item
from annoformat.quality.items import Source
from annoformat.quality.items import label as item_label
from annoformat.quality.match import Settings
from annoformat.quality.panel import Panel, examples, read_panel


def merge(sources: Source | Sequence[Source], *, quorum: int, annotators: Iterable[str] = (),
          format: str | None = None, iou: float = 0.5, oks_sigma: float = 0.09,
          line_thickness: float = 0.01, span_match: str = "exact", with_models: bool = False,
          report: Report | None = None) -> Dataset:
    """The consensus of several annotators: several sources (one per annotator) or one
    source whose annotations carry ``annotator`` (model output taking part only
    ``with_models``); objects kept when ``quorum`` annotators drew them. Save the result
    with :func:`annoformat.save` (the loss policy applies).

    Raises:
        AnnoformatError: an input cannot be read, or fewer than two annotators (AF740).
        UsageError: the quorum is out of range (AF750), bad names (AF743) or settings (AF707).

    Example:
        >>> import annoformat as af
        >>> ds = af.merge("fixtures/_agree/one-file.jsonl", quorum=2)
        >>> [(a.label, a.attributes["consensus_votes"]) for a in ds.items[0].annotations]
        [('car', 3), ('person', 2)]
    """
    report = report if report is not None else Report()
    settings = Settings(iou=iou, oks_sigma=oks_sigma, line_thickness=line_thickness,
                        span_match=span_match)  # type: ignore[arg-type]
    usage = settings.usage_errors()
    if quorum < 1:
        usage.add("AF750", quorum=quorum, reason="it must be at least 1")
    if len(usage):
        raise UsageError(usage)
    panel = read_panel(sources, annotators=list(annotators), format=format, report=report,
                       command="merge", with_models=with_models)
    if quorum > len(panel.names):
        usage.add("AF750", quorum=quorum, reason=f"there are only {len(panel.names)} "
                  f"annotators ({', '.join(panel.names)})")
        raise UsageError(usage)
    return _Merger(panel, settings, quorum, report).run()


class _Merger:
    def __init__(self, panel: Panel, settings: Settings, quorum: int, report: Report) -> None:
        self.panel, self.settings, self.quorum, self.report = panel, settings, quorum, report
        self.order = {lab.name: k for k, lab in enumerate(panel.labels)}
        self.next_id = 1
        self.dropped: list[str] = []
        self.dropped_members = 0
        self.ties: list[str] = []
        self.relations = 0

    def run(self) -> Dataset:
        items = [self._item(r) for r in range(len(self.panel.items))]
        if self.dropped:
            self.report.add("AF751", count=len(self.dropped), quorum=self.quorum,
                            members=self.dropped_members, examples=examples(self.dropped))
        if self.ties:
            self.report.add("AF752", count=len(self.ties), examples=examples(self.ties))
        if self.relations:
            self.report.add("AF753", count=self.relations)
        return Dataset(labels=self.panel.labels, items=items)

    def _item(self, r: int) -> Item:
        cells = self.panel.cells[r]
        item = self.panel.items[r]
        anns = [None if c is None else c.annotations for c in cells]
        self.relations += sum(1 for a in anns for x in (a or ()) if x.type == "relation")
        media = item.media
        present = sum(c is not None for c in cells)
        merged = []
        for cl in cluster_item(anns, self.settings, width=getattr(media, "width", None),
                               height=getattr(media, "height", None)):
            where = f"{item_label(item)} ({cl.kind})"
            if len(cl.members) < self.quorum:
                self.dropped.append(where)
                self.dropped_members += len(cl.members)
                continue
            members = {k: anns[k][i] for k, i in cl.members.items()}  # type: ignore[index]
            merged.append(self._object(cl, members, present, where))
        return item.model_copy(update={"annotations": merged})

    def _object(self, cl: Cluster, members: dict[int, Any], present: int, where: str) -> Any:
        votes = Counter(m.label for m in members.values())
        top = max(votes.values())
        tied = [lab for lab, n in votes.items() if n == top]
        winner = min(tied, key=lambda lab: (lab is None, self.order.get(lab or "", len(
            self.order)), lab or ""))
        if len(tied) > 1:
            self.ties.append(f"{where}: {'/'.join(str(t) for t in sorted(tied, key=str))}")
        voters = [k for k, m in members.items() if m.label == winner]
        rep = members[max(voters, key=lambda k: (cl.pair_mean[k] or 0.0, -k))]
        origins = {m.origin for m in members.values()}
        attrs = dict(rep.attributes)
        attrs.update({"consensus_votes": len(members), "consensus_label_votes": top,
                      "consensus_annotators": present,
                      "consensus_by": ",".join(self.panel.names[k] for k in sorted(members))})
        if cl.similarity is not None:
            attrs["consensus_iou"] = round(cl.similarity, 6)
        update: dict[str, Any] = {
            "label": winner, "id": self.next_id, "attributes": attrs, "annotator": None,
            "origin": origins.pop() if len(origins) == 1 else "unknown",
            "score": top / present}
        self.next_id += 1
        if cl.kind == "bbox":
            n = len(members)
            update.update({f: sum(getattr(m, f) for m in members.values()) / n
                           for f in ("x", "y", "w", "h")})
            update["area"] = None
        return rep.model_copy(update=update)
