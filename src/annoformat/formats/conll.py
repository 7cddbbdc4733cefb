"""CoNLL-2003 style NER (token per line, BIO tags in the last column, blank line between
documents).

Facts a maintainer needs:

* A line is ``token [other columns...] tag``, split on runs of spaces/tabs; the tag is IOB2
  (``B-PER``, ``I-PER``, ``O``). IOB1 (a span starting with ``I-``, AF054 warning) and IOBES
  (``E-``, ``S-``) are read too; the writer always writes IOB2.
* A blank line ends a document: each block is one IR item whose text is its tokens joined by
  single spaces, with spans ``[start, end)`` in code points over those tokens. Item ids are
  the 1-based block numbers. ``-DOCSTART-`` lines are kept (``item.extras["conll"]["docstart"]``
  on the next block) and written back; middle columns (POS, chunk) are kept per token in
  ``item.extras["conll"]["columns"]``.
* Writing needs tokens: the record's own Prodigy tokens when it has them, else the
  ``tokenizer`` option (:func:`_text.tokenize`: ``whitespace`` - runs of non-space, exact for
  text read from CoNLL; or ``words`` - word runs and single punctuation marks). A span that
  does not start and end on token boundaries is AF408 naming it, and overlapping spans are
  AF406: nothing is dropped or shifted, the write is refused. Text whose whitespace the
  tokens do not reproduce is AF532 (it reads back normalised). Items answered reject/ignore
  (Prodigy) are left out with AF530; relations cannot be held (AF501).
* CoNLL has no schema file (it is not JSON): ``FORMAT.schemas`` is empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from annoformat.diagnostics import Report
from annoformat.formats._text import (
    Labels,
    TextOptions,
    Tokenizer,
    collect,
    fresh_defaults,
    iter_lines,
    report_spans,
    text_items,
    tokenize,
    write_lines,
)
from annoformat.model import Dataset, Item, Span, Text, trusted
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
)

NAME = "conll"
DOCSTART = "-DOCSTART-"
_TAG = re.compile(r"^(?:O|[BIES]-\S+)$")
_EXTENSIONS = (".conll", ".conll03", ".iob", ".iob2", ".bio", ".bioes")

CAPABILITIES = Capabilities(
    media=frozenset({"text"}),
    annotation_types=frozenset({"span"}),
    fields=frozenset(),
    item_attributes=False,
    subsets=False,
    empty_items=True,
    metadata=frozenset(),
    # B-/I- tags are columns between whitespace
    text_limits=frozenset({"tokens"}),
)


class Options(TextOptions):
    """CoNLL options (plus :class:`~annoformat.formats._text.TextOptions`).

    ``tokenizer``: how the writer splits text that has no tokens of its own (``whitespace`` or
    ``words``). ``delimiter``: the column separator the writer uses.
    """

    tokenizer: Tokenizer = Field(
        default="whitespace",
        description=("writing: how text without tokens of its "
                     "own is split (whitespace, or words and punctuation)"))
    delimiter: str = Field(
        default=" ",
        description="writing: the column separator (a tab instead when the source CoNLL used tabs)")


def _looks_like_conll(path: Path) -> bool:
    seen = 0
    try:
        with path.open("rb") as fh:
            for _ in range(50):
                raw = fh.readline(65536)
                if not raw:
                    break
                cols = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace").split()
                if not cols:
                    continue
                if len(cols) < 2 or not _TAG.match(cols[-1]):
                    return False
                seen += 1
    except OSError:
        return False
    return seen > 0


def detect(path: Path) -> Detection:
    """A text file whose lines are ``token ... TAG`` with BIO tags in the last column."""
    if not path.is_file():
        return Detection(0.0, "not a file")
    suffix = path.suffix.lower()
    if suffix not in _EXTENSIONS and suffix != ".txt":
        return Detection(0.0, f"extension {suffix!r} is not a CoNLL one")
    if not _looks_like_conll(path):
        return Detection(0.0, "lines are not 'token ... TAG' with O/B-/I- tags")
    if suffix == ".txt":
        return Detection(0.6, "a .txt file of 'token ... TAG' lines with BIO tags")
    return Detection(0.9, f"{suffix} file of 'token ... TAG' lines")


# --------------------------------------------------------------------------------------------
# reading


class _Block:
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.tags: list[tuple[str, int]] = []
        self.columns: list[list[str]] = []
        self.first_line = 0


def _blocks(path: Path, options: Options, report: Report,
            extras: dict[str, Any]) -> Iterator[tuple[_Block, list[str] | None]]:
    shown = str(path)
    block, docstart = _Block(), None
    for number, raw in iter_lines(path, report, options.max_line_bytes, keep_blank=True):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.add("AF003", path=shown, line=number, offset=exc.start, reason=exc.reason)
            continue
        cols = line.split()
        if not cols:
            if block.tokens:
                yield block, docstart
                block, docstart = _Block(), None
            continue
        if cols[0] == DOCSTART:
            if block.tokens:
                yield block, docstart
                block = _Block()
            docstart = cols
            continue
        if len(cols) < 2:
            report.add("AF055", path=shown, line=number, count=len(cols))
            continue
        if "\t" in line and NAME not in extras:
            extras[NAME] = {"delimiter": "\t"}
        if not block.tokens:
            block.first_line = number
        block.tokens.append(cols[0])
        block.tags.append((cols[-1], number))
        block.columns.append(cols[1:-1])
    if block.tokens:
        yield block, docstart


def _decode(block: _Block, item_id: str, path: str,
            report: Report) -> list[tuple[str, int, int, int]]:
    """BIO/IOBES tags to ``(label, start, end, line)`` over the space-joined tokens."""
    out: list[tuple[str, int, int, int]] = []
    current: list[Any] | None = None  # [label, start, end, line]
    pos = 0
    for k, (tag, number) in enumerate(block.tags):
        start, end = pos, pos + len(block.tokens[k])
        pos = end + 1
        if not _TAG.match(tag):
            report.add("AF053", path=path, line=number, item_id=item_id, tag=tag)
            tag = "O"
        if tag == "O":
            if current is not None:
                out.append((current[0], current[1], current[2], current[3]))
            current = None
            continue
        prefix, name = tag[0], tag[2:]
        if prefix in "IE" and current is not None and current[0] == name:
            current[2] = end
        else:
            if prefix in "IE":
                report.add("AF054", path=path, line=number, item_id=item_id, tag=tag,
                           previous=block.tags[k - 1][0] if k else "the start", label=name)
            if current is not None:
                out.append((current[0], current[1], current[2], current[3]))
            current = [name, start, end, number]
        if prefix in "ES":
            out.append((current[0], current[1], current[2], current[3]))
            current = None
    if current is not None:
        out.append((current[0], current[1], current[2], current[3]))
    return out


def iter_items(path: Path, options: Options, report: Report, labels: Labels,
               extras: dict[str, Any] | None = None) -> Iterator[Item]:
    """Stream the documents of a CoNLL file as IR items; ``extras`` (the dataset's) gets
    the file-level facts, under ``"conll"``."""
    shown = str(path)
    extras = extras if extras is not None else {}
    for index, (block, docstart) in enumerate(_blocks(path, options, report, extras), start=1):
        item_id = str(index)
        anns: list[Any] = []
        lines: list[int] = []
        for name, start, end, line in _decode(block, item_id, shown, report):
            if labels.use(name, report, path=shown, line=line, item_id=item_id):
                anns.append(trusted(Span, {**fresh_defaults(Span), "label": name,
                                           "start": start, "end": end}))
                lines.append(line)
        item_extras: dict[str, Any] = {}
        if any(block.columns):
            item_extras["columns"] = block.columns
        if docstart is not None:
            item_extras["docstart"] = docstart
        media = trusted(Text, {"kind": "text", "text": " ".join(block.tokens)})
        item = trusted(Item, {"id": item_id, "subset": None, "media": media, "annotations": anns,
                              "attributes": {}, "extras": {NAME: item_extras} if item_extras
                              else {}})
        report_spans(report, item, None, shown, None, options.allow_overlap,
                     line_of=lines.__getitem__)
        yield item


def stream(path: Path, options: Options, report: Report) -> Stream:
    """The documents of ``path`` one at a time; the head gets the labels as met and the
    file-level facts (the delimiter) once known. Memory: one document plus the label names."""
    head = Dataset()
    labels = Labels(options.labels, sink=head.labels)
    return Stream(head, iter_items(path, options, report, labels, head.extras))


def read(path: Path, options: Options, report: Report) -> Dataset | None:
    """Read a CoNLL file into the IR (one text item per blank-line-separated document)."""
    return collect(stream(path, options, report))


# --------------------------------------------------------------------------------------------
# writing


def _tokens(item: Item, text: str, options: Options) -> list[tuple[int, int]]:
    own = item.extras.get("prodigy", {}).get("tokens")
    if own:
        return [(t["start"], t["end"]) for t in own if text[t["start"]:t["end"]].strip()]
    return tokenize(text, options.tokenizer)


def lines_of(item: Item, text: str, options: Options, delimiter: str, path: str,
             report: Report) -> list[str] | None:
    """The CoNLL lines of one item (None when a span cannot be written: AF406/AF408)."""
    tokens = _tokens(item, text, options)
    starts = {s: k for k, (s, _) in enumerate(tokens)}
    ends = {e: k for k, (_, e) in enumerate(tokens)}
    tags = ["O"] * len(tokens)
    owner: list[Span | None] = [None] * len(tokens)
    ok = True
    for ann in item.annotations:
        if not isinstance(ann, Span) or ann.label is None:
            continue
        first, last = starts.get(ann.start), ends.get(ann.end)
        where: dict[str, Any] = {"path": path, "item_id": item.id, "annotation_id": ann.id}
        if first is None or last is None or last < first:
            report.add("AF408", start=ann.start, end=ann.end, label=ann.label,
                       reason=f"start and end on {options.tokenizer} tokens", **where)
            ok = False
            continue
        clash = next((o for o in owner[first:last + 1] if o is not None), None)
        if clash is not None:
            report.add("AF406", start=ann.start, end=ann.end, label=ann.label,
                       other_start=clash.start, other_end=clash.end, other_label=clash.label,
                       **where)
            ok = False
            continue
        for k in range(first, last + 1):
            tags[k] = ("B-" if k == first else "I-") + ann.label
            owner[k] = ann
    if not ok:
        return None
    columns = item.extras.get(NAME, {}).get("columns")
    if columns is not None and len(columns) != len(tokens):
        columns = None
    out = []
    docstart = item.extras.get(NAME, {}).get("docstart")
    if docstart:
        out += [delimiter.join(docstart), ""]
    for k, (s, e) in enumerate(tokens):
        out.append(delimiter.join([text[s:e], *(columns[k] if columns else []), tags[k]]))
    return out


def _answered_no(item: Item) -> bool:
    """Rejected or ignored (Prodigy): never a positive label, so not written (AF530)."""
    return item.attributes.get("answer") in ("reject", "ignore")


def plan(ds: Dataset, options: Options) -> LossPlan:
    """What :func:`write` leaves out or changes: answered reject/ignore (AF530), text rebuilt
    from tokens (AF532), texts without tokens (AF509); relations are annotations CoNLL cannot
    hold (AF501, from the capabilities)."""
    loss = plan_capabilities(ds, CAPABILITIES, NAME)
    skipped: list[str] = []
    rebuilt: list[str] = []
    empty: list[str] = []
    renumbered: list[str] = []
    written = 0
    for item, text in text_items(ds.items):
        if _answered_no(item):
            skipped.append(item.id)
            continue
        tokens = _tokens(item, text, options)
        if not tokens:
            empty.append(item.id)
            continue
        if " ".join(text[s:e] for s, e in tokens) != text:
            rebuilt.append(item.id)
        # a CoNLL document has no id: it reads back numbered by position (1, 2, ...)
        written += 1
        if item.id != str(written):
            renumbered.append(item.id)
    if skipped:
        loss.add("AF530", count=len(skipped), ids=skipped)
    if rebuilt:
        loss.add("AF532", count=len(rebuilt), ids=rebuilt)
    if renumbered:
        loss.add("AF508", count=len(renumbered), ids=renumbered, what="item",
                 reason="a CoNLL document has no id; it reads back numbered 1, 2, ... in order")
    if empty:
        loss.add("AF509", severity=Severity.WARNING, count=len(empty), ids=empty,
                 reason="their text has no tokens, and CoNLL has no empty documents")
    return loss


def write(ds: Dataset, dest: Path, options: Options, report: Report) -> None:
    """Write the text items of ``ds`` as CoNLL (one block per item, blank line between);
    what this leaves out is :func:`plan`'s to say."""
    delimiter = ds.extras.get(NAME, {}).get("delimiter", options.delimiter)
    blocks: list[list[str]] = []
    failed = False
    for item, text in text_items(track(ds.items, "write")):
        if _answered_no(item):
            continue
        lines = lines_of(item, text, options, delimiter, str(dest), report)
        if lines is None:
            failed = True
            continue
        if not any(not line.startswith(DOCSTART) and line for line in lines):
            continue  # no tokens (AF509)
        blocks.append(lines)
    if failed:
        return
    for label in ds.labels:
        if any(ch.isspace() for ch in label.name):
            report.add("AF102", path=str(dest), format=NAME,
                       reason=f"label {label.name!r} has whitespace; a tag cannot hold it")
            return
    body = "\n\n".join("\n".join(lines) for lines in blocks)
    if body.startswith("\ufeff"):  # a token starting with U+FEFF would read as a BOM
        body = "\n" + body
    write_lines(dest, [(body + "\n").encode() if blocks else b""], report)


ERR = Severity.ERROR
WARN = Severity.WARNING
#: the diagnostic codes only this format raises
CODES = (
    Code("AF053", "conll-bad-tag", ERR, "tag {tag!r} is not O or B-, I-, E-, S-<label>",
         "CoNLL NER files carry one BIO tag per token in the last column; anything else cannot "
         "be turned into spans.", "EU NNP B-NP ORG   (tag without B-/I- prefix)",
         "Fix the tag at the reported line."),
    Code("AF054", "conll-orphan-inside", WARN, "{tag} follows {previous}; read as the start of a "
         "new {label!r} span", "In IOB2 every span starts with B-; an I- tag after O or after "
         "another label (IOB1 style) starts a new span here.", "O then I-PER",
         "Nothing to do for IOB1 files; in IOB2 files check the tagging."),
    Code("AF055", "conll-bad-line", ERR, "line has {count} column(s); a token and a tag are "
         "needed", "A CoNLL line is a token followed by one or more columns, the last being "
         "the tag.", "Paris    (no tag column)", "Add the tag column or a blank line."),
    Code("AF530", "answers-not-written", WARN, "{count} item(s) answered reject/ignore were not "
         "written as {format}: it cannot mark an answer, and their text without labels would "
         "read as having none (ids: {ids})", "A rejected or ignored Prodigy task is never a "
         "positive label; in a format without answers it is left out instead.",
         "Prodigy answer=reject records converted to CoNLL",
         "Convert to doccano, Label Studio, Prodigy or jsonl to keep them."),
    Code("AF532", "text-rebuilt-from-tokens", WARN, "{count} item(s) will read back from "
         "{format} with their text rebuilt from tokens (whitespace normalised, offsets shift "
         "with it): ids {ids}", "CoNLL stores tokens, not text; reading joins the tokens with "
         "single spaces. Spans stay on the same tokens.", "'Hello  world' (two spaces) -> "
         "'Hello world'", "Nothing to do unless the exact text matters; keep a jsonl copy."),
)


FORMAT = FormatSpec(
    name=NAME,
    description="CoNLL-2003 style NER: token per line, BIO tags, blank line between documents",
    extensions=_EXTENSIONS,
    capabilities=CAPABILITIES,
    options=Options,
    schemas=(),  # not JSON: no schema file
    detect=detect,
    read=read,
    stream=stream,
    write=write,
    plan=plan,
    codes=CODES,
    aliases=('conll2003', 'conll-2003', 'iob', 'bio'),
)
