"""Prodigy JSONL (prodi.gy/docs/api-interfaces, ``prodigy db-out``): NER spans, binary and
choice classification, with answers.

Facts a maintainer needs:

* ``text``; optional ``tokens`` (``text``, ``start``, ``end``, ``id``, ``ws``); ``spans`` with
  character offsets ``start``/``end`` (code points, ``[start, end)``) and token indices
  ``token_start``/``token_end`` where **token_end is inclusive** (the last token of the span).
  Token indices are checked against the tokens (AF408/AF409/AF410) and recomputed on writing,
  so they never drift from the offsets.
* Binary tasks: ``label`` + ``answer``. Choice tasks: ``options`` (``id``, ``text``) and
  ``accept`` (the chosen option ids; IR tag labels are the ids as strings).
* ``answer``: ``accept`` gives IR annotations (spans, tags). ``reject`` and ``ignore`` **never
  become positive labels**: the item keeps its text, ``item.attributes["answer"]`` says
  ``reject``/``ignore``, and the rejected spans/label/accept stay verbatim in
  ``item.extras["prodigy"]``. Formats without item attributes therefore refuse such items
  (AF503) and the CoNLL writer leaves them out (AF530). A record without ``answer`` (an input
  task) is read the same way and written back without one.
* Provenance: every IR annotation is an accepted answer, so its ``origin`` is ``human``; its
  ``annotator`` is the record's ``_annotator_id`` (Prodigy's ``dataset-session`` name), else its
  ``_session_id``. Prodigy keeps one answer per annotator as separate records (the same
  ``_input_hash``), so a record names one annotator: writing an item whose annotations name
  several keeps the first and reports the others (AF524).
* ``meta``, ``_input_hash``, ``_task_hash``, ``_view_id``, ``_session_id``, ``_timestamp`` and
  other ``_`` keys are kept in ``item.extras["prodigy"]``; other top-level keys (Prodigy keeps
  custom keys) are item attributes. A top-level ``id`` is the item id; without one the item id
  is the 1-based record number.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annoformat.diagnostics import Report
from annoformat.formats._text import (
    ItemIds,
    Labels,
    TextOptions,
    collect,
    fresh_defaults,
    iter_checked_records,
    jsonl_keys,
    labelled_stream,
    record_origin,
    report_spans,
    text_items,
    write_records,
)
from annoformat.model import Dataset, Item, Span, Tag, Text, trusted
from annoformat.progress import track
from annoformat.spec import (
    Capabilities,
    Code,
    Detection,
    FormatSpec,
    LossPlan,
    Severity,
    Stream,
    plan_capabilities,
    plan_origin,
    where,
)

SCHEMA = "prodigy.schema.json"
NAME = "prodigy"
NEGATIVE = ("reject", "ignore")
_SPAN_KEYS = frozenset({"start", "end", "label", "token_start", "token_end", "text", "score"})
_MODELLED = frozenset({"id", "text", "tokens", "spans", "label", "options", "accept", "answer"})
_EXTRA_KEYS = frozenset({"meta", "_input_hash", "_task_hash", "_view_id", "_session_id",
                         "_timestamp", "_annotator_id", "html", "image", "audio", "video"})
_MARKERS = frozenset({"_input_hash", "_task_hash", "answer", "spans", "tokens", "accept",
                      "_view_id"})

CAPABILITIES = Capabilities(
    media=frozenset({"text"}),
    annotation_types=frozenset({"tag", "span"}),
    fields=frozenset({"score", "annotator", "origin"}),
    item_attributes=True,
    subsets=False,
    empty_items=True,
    metadata=frozenset(),
)


class Options(TextOptions):
    """Prodigy options: see :class:`~annoformat.formats._text.TextOptions`."""


def detect(path: Path) -> Detection:
    """A ``.jsonl`` file whose first record has ``text`` and Prodigy's keys (hashes, answer...)."""
    keys = jsonl_keys(path)
    if keys is None:
        return Detection(0.0, "not a .jsonl file with a JSON object on its first line")
    if "text" in keys and keys & _MARKERS and not keys & {"annoformat", "data"}:
        return Detection(0.9, "first record has text and Prodigy keys: "
                              + ", ".join(sorted(keys & _MARKERS)))
    if keys == {"text", "meta"}:
        return Detection(0.6, "first record has text and meta (a Prodigy input task)")
    if keys == {"text"}:
        return Detection(0.4, "first record has only text (a Prodigy input task?)")
    return Detection(0.0, "first record has no Prodigy keys (_input_hash, answer, spans...)")


# --------------------------------------------------------------------------------------------
# reading


def _token_bounds(tokens: list[dict[str, Any]]) -> tuple[dict[int, int], dict[int, int]]:
    starts = {t["start"]: i for i, t in enumerate(tokens)}
    ends = {t["end"]: i for i, t in enumerate(tokens)}
    return starts, ends


def iter_items(path: Path, options: Options, report: Report, labels: Labels,
               check_ids: bool = True) -> Iterator[Item]:
    """Stream the records of a Prodigy file as IR items (labels collected into ``labels``)."""
    shown = str(path)
    ids = ItemIds(report, check_ids)
    records = iter_checked_records(path, report, SCHEMA, options.max_line_bytes)
    for yielded, (index, line, rec) in enumerate(records):
        item = _item(rec, index, shown, line, options, report, labels)
        ids.check(item, shown, line)
        record_origin(yielded, item, shown, line)
        yield item


def _item(rec: dict[str, Any], index: int, path: str, line: int, options: Options,
          report: Report, labels: Labels) -> Item:
    text: str = rec["text"]
    raw_id = rec.get("id")
    item_id = str(raw_id) if isinstance(raw_id, (str, int)) else str(index)
    where = {"path": path, "line": line, "item_id": item_id}
    px: dict[str, Any] = {k: v for k, v in rec.items()
                          if k in _EXTRA_KEYS or (k.startswith("_") and k not in _MODELLED)}
    attributes = {k: v for k, v in rec.items()
                  if k not in _MODELLED and k not in px}
    answer = rec.get("answer")
    tokens = rec.get("tokens")
    if tokens is not None:
        px["tokens"] = tokens
        _check_tokens(text, tokens, where, report)
    if "id" in rec and not isinstance(raw_id, str):
        px["id_int"] = True
    anns: list[Any] = []
    pointers: list[str] = []
    stored: dict[int, str] = {}
    who = {"annotator": annotator_of(rec), "origin": "human"}
    if answer in NEGATIVE or answer is None:
        # never a positive label: keep what was rejected (or not yet answered) verbatim
        for key in ("spans", "label", "accept", "options"):
            if key in rec:
                px[key] = rec[key]
        if answer is None:
            px["no_answer"] = True
        else:
            attributes["answer"] = answer
    else:
        bounds = _token_bounds(tokens) if tokens is not None else None
        for j, span in enumerate(rec.get("spans", [])):
            ptr = f"/spans/{j}"
            name = span.get("label")
            if name is not None and not labels.use(name, report, pointer=f"{ptr}/label",
                                                   **where):
                continue
            extra = {k: v for k, v in span.items() if k not in _SPAN_KEYS}
            if bounds is not None:
                _check_token_indices(span, bounds, ptr, where, report)
            else:
                extra.update({k: span[k] for k in ("token_start", "token_end") if k in span})
            if "text" in span:
                stored[len(anns)] = span["text"]
                px["span_text"] = True
            anns.append(trusted(Span, {**fresh_defaults(Span), "label": name,
                                       "start": int(span["start"]), "end": int(span["end"]),
                                       "score": span.get("score"), **who,
                                       "extras": {NAME: extra} if extra else {}}))
            pointers.append(ptr)
        options_list = rec.get("options")
        if "accept" in rec:
            for j, choice in enumerate(rec["accept"]):
                if labels.use(str(choice), report, pointer=f"/accept/{j}", **where):
                    anns.append(_tag(str(choice), who))
                    pointers.append(f"/accept/{j}")
            if options_list != [{"id": c, "text": c} for c in rec["accept"]]:
                px["options"] = options_list
            if not rec["accept"]:
                px["accept"] = []
        elif options_list is not None:
            px["options"] = options_list
        if "label" in rec and labels.use(rec["label"], report, pointer="/label", **where):
            anns.append(_tag(rec["label"], who))
            pointers.append("/label")
    media = trusted(Text, {"kind": "text", "text": text})
    item = trusted(Item, {"id": item_id, "subset": None, "media": media, "annotations": anns,
                          "attributes": attributes, "extras": {NAME: px} if px else {}})
    report_spans(report, item, pointers.__getitem__, path, line, options.allow_overlap, stored)
    return item


def _tag(name: str, who: dict[str, Any]) -> Tag:
    return trusted(Tag, {**fresh_defaults(Tag), "label": name, **who})


def annotator_of(rec: dict[str, Any]) -> str | None:
    """Who answered a record: its ``_annotator_id`` (Prodigy's ``dataset-session`` name), else
    its ``_session_id`` (older Prodigy wrote only that), else None.

    Example:
        >>> annotator_of({"_session_id": "news-alice"}), annotator_of({"text": "t"})
        ('news-alice', None)
    """
    for key in ("_annotator_id", "_session_id"):
        value = rec.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def record_annotator(item: Item) -> str | None:
    """The one annotator a written record names: its first annotation's that has one, else
    what the record it was read from named."""
    for ann in item.annotations:
        if ann.annotator is not None:
            return ann.annotator
    return annotator_of(item.extras.get(NAME, {}))


def _check_tokens(text: str, tokens: list[dict[str, Any]], where: dict[str, Any],
                  report: Report) -> None:
    for i, tok in enumerate(tokens):
        start, end = int(tok["start"]), int(tok["end"])  # the schema allows 5.0
        actual = text[start:end] if 0 <= start <= end <= len(text) else "(outside the text)"
        if actual != tok["text"]:
            report.add("AF410", pointer=f"/tokens/{i}", index=i, start=start, end=end,
                       stored=tok["text"], actual=actual, **where)


def _check_token_indices(span: dict[str, Any], bounds: tuple[dict[int, int], dict[int, int]],
                         ptr: str, where: dict[str, Any], report: Report) -> None:
    starts, ends = bounds
    first, last = starts.get(span["start"]), ends.get(span["end"])
    ctx = {"start": span["start"], "end": span["end"], "label": span.get("label")}
    if first is None or last is None:
        report.add("AF408", pointer=ptr, reason="start and end on token boundaries", **ctx,
                   **where)
        return
    got = (span.get("token_start", first), span.get("token_end", last))
    if got != (first, last):
        report.add("AF409", pointer=ptr, token_start=got[0], token_end=got[1],
                   reason=f"the tokens give {first}..{last} (token_end is inclusive)",
                   **ctx, **where)


def stream(path: Path, options: Options, report: Report) -> Stream:
    """The records of ``path`` one at a time (labels appended to the head as met); memory is
    one record plus a hash per item id (AF207) and the label names."""
    return labelled_stream(options, lambda labels: iter_items(path, options, report, labels))


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a Prodigy JSONL file into the IR."""
    return collect(stream(path, options, report))


# --------------------------------------------------------------------------------------------
# writing


def record_of(item: Item, text: str, index: int, path: str, report: Report) -> dict[str, Any]:
    """The Prodigy record of one text item (``index``: its 1-based record number)."""
    px: dict[str, Any] = dict(item.extras.get(NAME, {}))
    rec: dict[str, Any] = {"text": text}
    if item.id != str(index):
        rec["id"] = int(item.id) if px.pop("id_int", False) else item.id
    px.pop("id_int", None)
    tokens = px.pop("tokens", None)
    if tokens is not None:
        rec["tokens"] = tokens
    span_text = px.pop("span_text", False)
    no_answer = px.pop("no_answer", False)
    spans = [a for a in item.annotations if isinstance(a, Span)]
    tags = [a.label for a in item.annotations if isinstance(a, Tag) and a.label is not None]
    answer = item.attributes.get("answer")
    if spans:
        bounds = _token_bounds(tokens) if tokens is not None else None
        rec["spans"] = [_span_record(s, text, bounds, span_text, item.id, path, report)
                        for s in spans]
    elif "spans" in px:
        rec["spans"] = px.pop("spans")
    options_list = px.pop("options", None)
    if tags and (options_list is not None or len(tags) > 1):
        by_label = {str(o["id"]): o["id"] for o in options_list or []}
        rec["options"] = options_list or [{"id": t, "text": t} for t in tags]
        rec["accept"] = [by_label.get(t, t) for t in tags]
    elif tags:
        rec["label"] = tags[0]
    else:
        for key in ("label", "options", "accept"):
            value = options_list if key == "options" else px.pop(key, None)
            if value is not None:
                rec[key] = value
    for key in ("label", "accept", "spans"):
        px.pop(key, None)
    if answer in NEGATIVE:
        rec["answer"] = answer
    elif not no_answer:
        rec["answer"] = "accept"
    for name, value in item.attributes.items():
        if name != "answer" or answer not in NEGATIVE:
            rec.setdefault(name, value)
    who = record_annotator(item)
    if who is not None and who != annotator_of(px):
        rec["_annotator_id"] = who
    for key, value in px.items():
        rec.setdefault(key, value)
    return rec


def _span_record(span: Span, text: str, bounds: tuple[dict[int, int], dict[int, int]] | None,
                 with_text: bool, item_id: str, path: str, report: Report) -> dict[str, Any]:
    out: dict[str, Any] = {"start": span.start, "end": span.end}
    if with_text:
        out["text"] = text[span.start:span.end]
    if bounds is not None:
        first, last = bounds[0].get(span.start), bounds[1].get(span.end)
        if first is None or last is None:
            report.add("AF408", path=path, item_id=item_id, annotation_id=span.id,
                       start=span.start, end=span.end, label=span.label,
                       reason="start and end on the record's tokens")
        else:
            out["token_start"], out["token_end"] = first, last
    if span.label is not None:
        out["label"] = span.label
    if span.score is not None:
        out["score"] = span.score
    for key, value in span.extras.get(NAME, {}).items():
        out.setdefault(key, value)
    return out


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write the text items of ``ds`` as Prodigy JSONL (one task per line)."""
    records = (record_of(item, text, k, str(dest), report)
               for k, (item, text) in enumerate(text_items(track(ds.items, "write")),
                                                start=1))
    write_records(dest, records, SCHEMA, NAME, report)


def plan(ds: Dataset, options: Options) -> LossPlan:
    """The default plan, and the provenance one record per item cannot hold: a record names
    one annotator (``_annotator_id``), and every annotation in it is an accepted answer, a
    person's (``origin`` reads back ``human``)."""
    loss = plan_capabilities(ds, CAPABILITIES, NAME)
    for item, _text in text_items(ds.items):
        who = record_annotator(item)
        for n, ann in enumerate(item.annotations):
            if ann.annotator != who and isinstance(ann, (Span, Tag)):
                loss.count("AF524", where(item.id, ann.id, n), field="annotator",
                           detail=f": a record names one annotator; it reads back as {who!r}")
    return plan_origin(ds, CAPABILITIES, loss, lambda item, ann: "human")


ERR = Severity.ERROR
#: the diagnostic codes only this format raises
CODES = (
    Code("AF409", "token-index-mismatch", ERR, "token_start/token_end {token_start}..{token_end} "
         "do not match characters [{start}, {end}): {reason}", "Prodigy spans carry both "
         "character offsets and (inclusive) token indices; they must agree.",
         '{"spans": [{"start": 0, "end": 5, "token_start": 0, "token_end": 1}]}',
         "Recompute token_start/token_end from the tokens (token_end is inclusive)."),
    Code("AF410", "token-offset-mismatch", ERR, "token {index} [{start}, {end}) says {stored!r} "
         "but the text there is {actual!r}", "Prodigy tokens carry their own character "
         "offsets into the text; they must point at the token's text.",
         '{"text": "a b", "tokens": [{"text": "b", "start": 0, "end": 1}]}',
         "Re-tokenize the text."),
)


FORMAT = FormatSpec(
    name=NAME,
    description="Prodigy JSONL: spans (inclusive token_end), binary/choice labels, answers",
    extensions=(".jsonl",),
    capabilities=CAPABILITIES,
    options=Options,
    schemas=(SCHEMA,),
    detect=detect,
    read=read,
    stream=stream,
    write=write,
    plan=plan,
    codes=CODES,
)
