"""``compare --output text``: the summary table, the worst items, the conflicts located.

Conflict lines read like validation diagnostics: ``path:line: type (severity): message
[pointer]``, the location of the candidate annotation when there is one, else the
reference's; what came from the input is escaped, one conflict per line.

Example:
    >>> import annoformat as af
    >>> gt = af.load("fixtures/coco/good/minimal/annotations.json")
    >>> print(render_text(af.compare(gt, gt)).splitlines()[1])
    label  reference  candidate  matched  precision  recall  f1     accuracy  mean_iou
"""

from __future__ import annotations

from typing import Any

from annoformat.diagnostics import escape_text
from annoformat.quality.compare import Comparison, Conflict

WORST = 10
_COLUMNS = ("reference", "candidate", "matched", "precision", "recall", "f1", "accuracy",
            "mean_iou")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _table(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    first = max([len("label")] + [len(name) for name, _ in rows])
    widths = [max(len(c), 5) for c in _COLUMNS]
    head = "label".ljust(first) + "  " + "  ".join(
        c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True))
    lines = [head.rstrip()]
    for name, m in rows:
        cells = "  ".join(_cell(m[c]).ljust(w) for c, w in zip(_COLUMNS, widths, strict=True))
        lines.append((escape_text(name).ljust(first) + "  " + cells).rstrip())
    return lines


def item_name(item: dict[str, Any]) -> str:
    """``subset/media`` (or ``id N``) of an item's JSON key, as reports name it."""
    name = item["media"] if item.get("media") is not None else f"id {item['id']}"
    return f"{item['subset']}/{name}" if item.get("subset") else str(name)


def where_of(c: Conflict) -> tuple[str, str]:
    """``path:line: `` and `` [pointer]`` of the annotation a conflict is best read at."""
    origin = c.where.get("candidate") or c.where.get("reference")
    if origin is None:
        return "", ""
    at = origin.path + (f":{origin.line}" if origin.line is not None else "") + ": "
    return at, f" [{origin.pointer}]" if origin.pointer else ""


def describe(c: Conflict) -> str:
    """What a conflict is about, in words: the annotations (id or index, label) and why."""
    def who(side: str, index: int | None) -> str:
        ident = c.reference if side == "reference" else c.candidate
        label = c.labels[0] if side == "reference" else c.labels[1]
        named = f"#{ident}" if ident is not None else f"[{index}]"
        return f"{side} {named} {label!r}"

    r, k = c.index
    sim = f", {c.measure} {c.iou:.3f}" if c.iou is not None and c.measure else ""
    if c.type == "missing_annotation":
        return f"{who('reference', r)} has no match in the candidate"
    if c.type == "extra_annotation":
        return f"{who('candidate', k)} has no match in the reference"
    if c.type == "covered_annotation":
        return (f"{who('candidate', k)} lies {c.detail['coverage']:.0%} inside another "
                "candidate region")
    if c.detail.get("scope") == "item":
        return "item attributes differ: " + ", ".join(c.detail["attributes"])
    extra = ""
    if c.type == "mismatching_attributes":
        extra = " (" + ", ".join(c.detail["attributes"]) + ")"
    elif c.type == "mismatching_groups":
        extra = f" (groups {c.detail['groups'][0]} / {c.detail['groups'][1]})"
    return f"{who('reference', r)} ~ {who('candidate', k)}{sim}{extra}"


def render_text(comparison: Comparison, *, worst: int = WORST) -> str:
    """The text report; ``worst`` items (lowest accuracy first) are listed."""
    s = comparison.summary
    lines = [f"compare: {len(comparison.items)} item(s) paired, {s['reference']} reference and "
             f"{s['candidate']} candidate annotation(s)"]
    lines += _table([("(all)", s), *comparison.by_label.items()])
    counts = comparison.counts()
    errors = sum(n for t, n in counts.items() if t in ("missing_annotation", "extra_annotation",
                                                        "mismatching_label"))
    listed = ", ".join(f"{t} {n}" for t, n in sorted(counts.items())) or "none"
    lines.append(f"conflicts: {errors} error(s), {len(comparison.conflicts) - errors} "
                 f"warning(s): {listed}")
    rated = [row for row in comparison.items if row["accuracy"] is not None
             and row["accuracy"] < 1]
    rated.sort(key=lambda row: (row["accuracy"], -row["reference"]))
    if rated:
        lines.append(f"worst items (accuracy; {min(worst, len(rated))} of {len(rated)} below 1):")
        lines += [f"  {escape_text(item_name(row['item']))}  {row['accuracy']:.3f}  "
                  f"(reference {row['reference']}, candidate {row['candidate']}, matched "
                  f"{row['matched']})" for row in rated[:worst]]
    for c in comparison.conflicts:
        at, pointer = where_of(c)
        lines.append(escape_text(f"{at}{c.type} ({c.severity}): {item_name(c.item)}: "
                                 f"{describe(c)}{pointer}"))
    return "\n".join(lines)
