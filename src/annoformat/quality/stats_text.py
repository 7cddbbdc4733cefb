"""The text tables of ``annoformat stats`` (names from the input are escaped: one line each).

Example:
    >>> from annoformat.quality.stats import stats
    >>> print(render_text(stats("fixtures/_stats/batch-a/annotations.json")).splitlines()[1])
    items: 4 (1 without annotations)
"""

from __future__ import annotations

from annoformat.diagnostics import escape_text
from annoformat.quality.stats import Quantiles, Stats, Summary

_ROWS = (("objects per item", "objects_per_item"), ("box width", "box_width"),
         ("box height", "box_height"), ("box area", "box_area"),
         ("box size sqrt(w*h)", "box_size"), ("aspect ratio w/h", "aspect_ratio"))


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _quantiles(name: str, q: Quantiles) -> str:
    if not q.n:
        return f"  {name:<20} n=0"
    return (f"  {name:<20} n={q.n} min {_f(q.min)}  p25 {_f(q.p25)}  median {_f(q.median)}  "
            f"p75 {_f(q.p75)}  max {_f(q.max)}  mean {_f(q.mean)}")


def _labels(counts: dict[str, tuple[int, float]], indent: str = "  ") -> list[str]:
    width = max((len(escape_text(k)) for k in counts), default=0)
    return [f"{indent}{escape_text(k):<{width}}  {n:>6}  {share:6.1%}"
            for k, (n, share) in counts.items()]


def summary_lines(s: Summary) -> list[str]:
    """The lines of one dataset's or group's statistics."""
    types = ", ".join(f"{k} {v}" for k, v in s.types.items()) or "none"
    lines = [f"items: {s.items} ({s.empty_items} without annotations)",
             f"annotations: {s.annotations} [{types}]", "quantiles:"]
    lines += [_quantiles(name, getattr(s, key)) for name, key in _ROWS]
    lines.append("size histogram: " + ", ".join(
        f"{k} {v}" for k, v in s.size_histogram.items() if v) if any(
        s.size_histogram.values()) else "size histogram: no boxes")
    lines.append("labels:")
    lines += _labels({k: (v.count, v.share) for k, v in s.labels.items()})
    if s.attributes:
        lines.append("attributes:")
        lines += [f"  {escape_text(k)}: " + ", ".join(
            f"{escape_text(value)} {n}" for value, n in values.items())
            for k, values in s.attributes.items()]
    return lines


def render_text(result: Stats) -> str:
    """Every section of ``result`` as text."""
    lines = [f"stats: {escape_text(result.path or 'dataset')}", *summary_lines(result.summary)]
    if result.by is not None:
        for name, group in result.groups.items():
            lines += ["", f"{result.by} {escape_text(name)}:"]
            lines += ["  " + line for line in summary_lines(group)]
    if result.outlier is not None:
        o = result.outlier
        lines += ["", f"annotator farthest from the others: {escape_text(o.annotator)} "
                      f"(Jensen-Shannon distance {o.distance:.4f})"]
        lines += [f"  {escape_text(k)}: {v:.4f}" for k, v in o.distances.items()]
    if result.against is not None:
        d = result.against
        lines += ["", f"against {escape_text(d.other_path or 'the other dataset')} "
                      "(changes are this dataset minus that one):",
                  f"  label distance (Jensen-Shannon): {_f(d.label_distance)}",
                  f"  box size distance (Jensen-Shannon): {_f(d.size_distance)}",
                  "  labels chi-square: " + (
                      f"{d.labels_chi2['statistic']:.4g} (dof {d.labels_chi2['dof']}, "
                      f"p {d.labels_chi2['p']:.3g})" if d.labels_chi2 else "-"),
                  f"  {'label':<16} {'count':>6} {'share':>7} {'other':>6} {'share':>7} "
                  f"{'change':>8} {'p':>8}"]
        lines += [f"  {escape_text(k):<16} {r.count:>6} {r.share:>7.1%} {r.other_count:>6} "
                  f"{r.other_share:>7.1%} {r.change:>+8.1%} {_f(r.p):>8}"
                  for k, r in d.labels.items()]
    return "\n".join(lines)
