"""Drift between two datasets or batches (``annoformat stats PATH --against OTHER``).

OTHER is the reference (an earlier batch, the training set); every change is PATH's value
minus OTHER's. Findings (warnings unless said):

* AF720 the label distributions are farther apart than the threshold (Jensen-Shannon distance,
  base 2, so in [0, 1]: 0 for equal distributions, 1 for disjoint ones);
* AF721 the same for the box-size histograms (octave bins of ``sqrt(w*h)``);
* AF722 a label's share changed significantly: Pearson's chi-square test on the 2 x 2 table
  (this label, all other labels) x (PATH, OTHER), with Yates' continuity correction (scipy's
  ``chi2_contingency`` default), p-value below the significance level;
* AF723 / AF724 a label occurs in PATH only / in OTHER only;
* AF725 / AF726 (info) attribute values that occur in PATH only / in OTHER only.

Example:
    >>> from annoformat.quality.drift import js_distance
    >>> js_distance({"a": 1}, {"b": 3}), js_distance({"a": 1, "b": 1}, {"a": 2, "b": 2})
    (1.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from annoformat.diagnostics import Report
from annoformat.quality.stats import Summary

#: how many appeared or vanished attribute values a finding names
_SHOWN = 5


def js_distance(p: Mapping[str, float], q: Mapping[str, float]) -> float | None:
    """Jensen-Shannon distance (base 2) between two count or probability tables over names;
    None when either is empty.

    Example:
        >>> round(js_distance({"a": 1, "b": 1}, {"a": 1}), 4)
        0.5579
    """
    from scipy.spatial.distance import jensenshannon

    keys = sorted(set(p) | set(q))
    a = [float(p.get(k, 0)) for k in keys]
    b = [float(q.get(k, 0)) for k in keys]
    if sum(a) <= 0 or sum(b) <= 0:
        return None
    d = float(jensenshannon(a, b, base=2))
    return 0.0 if math.isnan(d) else d  # equal tables: rounding can give sqrt of -1e-17


def chi_square(table: list[list[int]]) -> tuple[float, int, float] | None:
    """(statistic, degrees of freedom, p-value) of the chi-square test of independence on a
    contingency table (scipy; Yates' correction on 2 x 2); None when a row or column is all
    zero, where the test is undefined."""
    if not table or any(sum(row) == 0 for row in table) or any(
            sum(col) == 0 for col in zip(*table, strict=True)):
        return None
    if len(table) < 2 or len(table[0]) < 2:
        return None
    from scipy.stats import chi2_contingency

    statistic, p, dof, _ = chi2_contingency(table)
    return float(statistic), int(dof), float(p)


@dataclass(frozen=True)
class LabelDrift:
    """One label in both datasets: counts, shares, the change and its chi-square test."""

    count: int
    share: float
    other_count: int
    other_share: float
    change: float
    chi2: float | None
    p: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Drift:
    """How PATH differs from OTHER (the reference); see the module's definitions."""

    other_path: str | None
    other: Summary
    labels: dict[str, LabelDrift]
    labels_chi2: dict[str, Any] | None
    label_distance: float | None
    size_distance: float | None
    labels_appeared: list[str]
    labels_vanished: list[str]
    attribute_values_appeared: dict[str, list[str]]
    attribute_values_vanished: dict[str, list[str]]
    threshold: float
    significance: float
    flagged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key == "other":
                out["summary"] = value.to_dict()
            elif key == "labels":
                out[key] = {k: v.to_dict() for k, v in value.items()}
            elif key == "other_path":
                out["path"] = value
            else:
                out[key] = value
        return out


def _changed_values(a: dict[str, dict[str, int]],
                    b: dict[str, dict[str, int]]) -> dict[str, list[str]]:
    """Per attribute, the values ``a`` has and ``b`` lacks (sorted)."""
    out = {key: sorted(set(values) - set(b.get(key, {}))) for key, values in a.items()}
    return {k: v for k, v in out.items() if v}


def drift(here: Summary, other: Summary, report: Report, *, path: str | None = None,
          other_path: str | None = None, threshold: float = 0.1,
          significance: float = 0.001) -> Drift:
    """Compare ``here`` (PATH's statistics) with ``other`` (the reference); findings go to
    ``report`` located at ``path``.

    Example:
        >>> from annoformat.diagnostics import Report
        >>> from annoformat.quality.stats import stats
        >>> a = stats("fixtures/coco/good/minimal/annotations.json").summary
        >>> report = Report()
        >>> drift(a, a, report).label_distance, report.codes()
        (0.0, [])
    """
    mine, theirs = here.label_counts(), other.label_counts()
    total, other_total = here.annotations, other.annotations
    labels: dict[str, LabelDrift] = {}
    for name in sorted(set(mine) | set(theirs)):
        n, m = mine.get(name, 0), theirs.get(name, 0)
        share = n / total if total else 0.0
        other_share = m / other_total if other_total else 0.0
        test = chi_square([[n, total - n], [m, other_total - m]])
        labels[name] = LabelDrift(n, share, m, other_share, share - other_share,
                                  test[0] if test else None, test[2] if test else None)
    names = list(labels)
    overall = chi_square([[mine.get(k, 0) for k in names], [theirs.get(k, 0) for k in names]])
    result = Drift(
        other_path=other_path, other=other, labels=labels,
        labels_chi2=({"statistic": overall[0], "dof": overall[1], "p": overall[2]}
                     if overall else None),
        label_distance=js_distance(mine, theirs),
        size_distance=js_distance(here.size_histogram, other.size_histogram),
        labels_appeared=sorted(set(mine) - set(theirs)),
        labels_vanished=sorted(set(theirs) - set(mine)),
        attribute_values_appeared=_changed_values(here.attributes, other.attributes),
        attribute_values_vanished=_changed_values(other.attributes, here.attributes),
        threshold=threshold, significance=significance,
    )
    _findings(result, report, path, other_path or "the other dataset")
    return result


def _findings(d: Drift, report: Report, path: str | None, other: str) -> None:
    before = len(report)
    for code, distance in (("AF720", d.label_distance), ("AF721", d.size_distance)):
        if distance is not None and distance > d.threshold:
            report.add(code, path=path, other=other, distance=round(distance, 4),
                       threshold=d.threshold)
    for name, row in d.labels.items():
        if name in d.labels_appeared:
            report.add("AF723", path=path, other=other, label=name, count=row.count)
        elif name in d.labels_vanished:
            report.add("AF724", path=path, other=other, label=name, count=row.other_count)
        elif row.p is not None and row.p < d.significance:
            report.add("AF722", path=path, other=other, label=name, share=f"{row.share:.1%}",
                       other_share=f"{row.other_share:.1%}", p=f"{row.p:.2g}",
                       significance=d.significance)
    for code, table in (("AF725", d.attribute_values_appeared),
                        ("AF726", d.attribute_values_vanished)):
        for key, values in table.items():
            shown = ", ".join(repr(v) for v in values[:_SHOWN])
            more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
            report.add(code, path=path, other=other, attribute=key, count=len(values),
                       values=shown + more)
    d.flagged = [diag.code for diag in report.diagnostics[before:]]
