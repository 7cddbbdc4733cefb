"""The plugin contract: what a format declares about itself, and the loss plan it states.

A format (built-in module in ``annoformat.formats`` or a third-party plugin) is one
:class:`FormatSpec`: its name, detection, reader, writer, typed options, capabilities, schema
names, its own diagnostic codes, and :meth:`FormatSpec.plan_loss`, which says *before anything
is written* exactly what the writer will drop, approximate or rename for this dataset and these
options. The conversion pipeline turns that :class:`LossPlan` into AF5xx findings and applies the
loss policy once; writers only write. Import this module as ``annoformat.plugin``.

Example:
    >>> from annoformat.plugin import Capabilities, LossPlan, plan_capabilities
    >>> from annoformat.model import BBox, Dataset, Image, Item, Label, Polygon
    >>> ds = Dataset(labels=[Label(name="cat")], items=[Item(id="1",
    ...     media=Image(path="1.jpg", width=4, height=4),
    ...     annotations=[Polygon(label="cat", rings=[[0, 0, 2, 0, 2, 2]])])])
    >>> caps = Capabilities(media=frozenset({"image"}), annotation_types=frozenset({"bbox"}))
    >>> [(f.code, f.count) for f in plan_capabilities(ds, caps, "boxes")]
    [('AF501', 1)]
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from annoformat.checks import (
    COORDINATE_LIMIT,
    TextField,
    control_character,
    far_coordinates,
    item_text_fields,
    json_strings,
    line_break,
    surrogate,
    suspect_runs,
    text_fields,
    xml_character,
)
from annoformat.codes import Code, Severity, entry
from annoformat.diagnostics import SHOWN_IN_MESSAGE, Report
from annoformat.model import (
    BBox,
    Dataset,
    Ellipse,
    Image,
    Item,
    Keypoints,
    Label,
    Mask,
    Points,
    Polygon,
    Polyline,
    Relation,
    RotatedBBox,
    Span,
    Tag,
    Text,
)

__all__ = [
    "Capabilities",
    "Code",
    "Detection",
    "EmptyOptions",
    "FormatSpec",
    "Loss",
    "LossPlan",
    "Options",
    "Severity",
    "plan_capabilities",
    "plan_origin",
]

#: how many affected ids a loss *message* shows; the finding's ``ids`` (JSON, ``--report``)
#: always lists every one
MAX_IDS = SHOWN_IN_MESSAGE


@dataclass(frozen=True)
class Capabilities:
    """What a format can hold, whatever the options; :func:`plan_capabilities` plans against it."""

    media: frozenset[str]
    annotation_types: frozenset[str]
    #: annotation fields beyond label and geometry it keeps (id, group, z_order, occluded,
    #: score, track_id, crowd, area, attributes, and the provenance: annotator, origin)
    fields: frozenset[str] = frozenset()
    item_attributes: bool = False
    subsets: bool = False
    empty_items: bool = True
    #: dataset metadata it keeps: info, label_ids, label_parents, keypoint_names, attribute_specs
    metadata: frozenset[str] = frozenset()
    #: keeps every format's ``extras`` (annoformat's own jsonl), so none of them is loss
    extras: bool = False
    #: the annotation types it keeps without a label (CVAT's label="", annoformat's jsonl,
    #: Label Studio's relations with no labels)
    unlabelled: frozenset[str] = frozenset()
    #: what its text cannot hold, refused before writing (AF068): ``xml`` (XML 1.0 has no
    #: way to write most control characters), ``lines`` (label, keypoint and attribute names
    #: and declared values written one per line: no line break in one), ``tokens`` (labels
    #: written as whitespace-separated tags: no whitespace in one), ``trimmed`` (label names
    #: read back stripped: none empty or with spaces around it), ``labelmap`` (labels in a
    #: datumaro labelmap.txt: no ':' in one), ``named`` (every image is named by its file:
    #: none without a media path, AF071)
    text_limits: frozenset[str] = frozenset()

    def describe(self) -> dict[str, Any]:
        return {
            "media": sorted(self.media),
            "annotation_types": sorted(self.annotation_types),
            "fields": sorted(self.fields),
            "item_attributes": self.item_attributes,
            "subsets": self.subsets,
            "empty_items": self.empty_items,
            "metadata": sorted(self.metadata),
            "extras": self.extras,
            "unlabelled": sorted(self.unlabelled),
            "text_limits": sorted(self.text_limits),
        }


@dataclass(frozen=True)
class OptionInfo:
    """One format option as ``annoformat formats NAME`` and the docs show it."""

    name: str
    type: str
    default: str
    description: str


def _type_text(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_text(a) for a in args)
    if origin is typing.Annotated:
        return _type_text(args[0])
    if origin is not None:
        return f"{getattr(origin, '__name__', origin)}[{', '.join(map(_type_text, args))}]"
    if annotation is type(None):
        return "none"
    return str(getattr(annotation, "__name__", annotation))


def _default_text(value: Any) -> str:
    """A default as ``--opt KEY=VALUE`` spells it (values are JSON, else text)."""
    if value is None:
        return "none"
    if isinstance(value, str) and value and value.strip() == value:
        return value
    return json.dumps(value)


@dataclass(frozen=True)
class Detection:
    """How sure a format is that a path is its own (0 = no, 1 = certain) and why."""

    confidence: float
    reason: str


class Options(BaseModel):
    """Base of every format's options: unknown keys are refused (AF017)."""

    # defer_build: the validator is built on first use, not when the spec is imported (start-up)
    model_config = ConfigDict(extra="forbid", defer_build=True)


class EmptyOptions(Options):
    """A format without options."""


class Names:
    """Names in a loss fact's message, gathered over a dataset's parts (chunks, shards).

    Two facts that differ only in their ``Names`` are one fact: the names unite, in the order
    first met (or sorted), and the message shows them joined by ``sep``, the first
    ``limit`` of them. So the plan of a whole dataset equals the merged plans of its parts.

    Example:
        >>> str(Names(["b", "a"]).merge(Names(["c", "a"])))
        'b, a, c'
        >>> str(Names(["b", "a", "c"], sort=True, limit=2))
        'a, b'
    """

    __slots__ = ("limit", "names", "sep", "sort")

    def __init__(self, names: Iterable[str] = (), *, sort: bool = False,
                 limit: int | None = None, sep: str = ", ") -> None:
        self.names: dict[str, None] = dict.fromkeys(names)
        self.sort, self.limit, self.sep = sort, limit, sep

    @property
    def identity(self) -> tuple[Any, ...]:
        """What must be equal for two facts to merge (the names are not)."""
        return ("Names", self.sort, self.limit, self.sep)

    def merge(self, other: Names) -> Names:
        """Both parts' names, this one's first."""
        return Names([*self.names, *other.names], sort=self.sort, limit=self.limit,
                     sep=self.sep)

    def __str__(self) -> str:
        shown = sorted(self.names) if self.sort else list(self.names)
        return self.sep.join(shown[:self.limit] if self.limit is not None else shown)

    def __len__(self) -> int:
        return len(self.names)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Names) and self.identity == other.identity
                and list(self.names) == list(other.names))

    def __hash__(self) -> int:
        return hash((self.identity, tuple(self.names)))

    def __repr__(self) -> str:
        return f"Names({list(self.names)!r})"


class Phrase:
    """A message part built from :class:`Names` and counts that merge across a dataset's
    parts: ``template`` is filled with the names (:meth:`Names.__str__`), the counts, and the
    number of each :class:`Names` under ``distinct`` (a ``{tracks}`` of track ids seen).
    ``when`` names a count or a distinct set without which the phrase is empty.

    Example:
        >>> a = Phrase("{n} object(s) in {tracks} track(s)", n=2, distinct={"tracks": ["t1"]})
        >>> str(a.merge(Phrase("{n} object(s) in {tracks} track(s)", n=1,
        ...                    distinct={"tracks": ["t1", "t2"]})))
        '3 object(s) in 2 track(s)'
    """

    __slots__ = ("counts", "distinct", "names", "template", "when")

    def __init__(self, template: str, *, when: str | None = None,
                 names: dict[str, Names | Phrase] | None = None,
                 distinct: dict[str, Iterable[str]] | None = None, **counts: int) -> None:
        self.template, self.when = template, when
        self.names: dict[str, Names | Phrase] = dict(names or {})
        self.distinct = {k: Names(v) for k, v in (distinct or {}).items()}
        self.counts = counts

    @property
    def identity(self) -> tuple[Any, ...]:
        """What must be equal for two facts to merge."""
        return ("Phrase", self.template, self.when,
                tuple(sorted((k, v.identity) for k, v in self.names.items())),
                tuple(sorted(self.distinct)), tuple(sorted(self.counts)))

    def merge(self, other: Phrase) -> Phrase:
        """The counts added, the names and distinct sets united."""
        merged = Phrase(self.template, when=self.when)
        merged.counts = {k: v + other.counts.get(k, 0) for k, v in self.counts.items()}
        merged.names = {k: v.merge(other.names[k])  # type: ignore[arg-type]
                        for k, v in self.names.items()}
        merged.distinct = {k: v.merge(other.distinct[k]) for k, v in self.distinct.items()}
        return merged

    def __str__(self) -> str:
        sizes = {k: len(v) for k, v in self.distinct.items()}
        if self.when is not None and not {**self.counts, **sizes}.get(self.when):
            return ""
        return self.template.format(**self.counts, **sizes,
                                    **{k: str(v) for k, v in self.names.items()})

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Phrase) and self.identity == other.identity
                and str(self) == str(other) and self.distinct == other.distinct)

    def __hash__(self) -> int:
        return hash((self.identity, str(self)))

    def __repr__(self) -> str:
        return f"Phrase({str(self)!r})"


class Unused:
    """The declared names that nothing uses, over a dataset's parts: a name used in any part
    is used. A fact holding one counts its names (``len``) and is no fact once they are none.

    Example:
        >>> a = Unused(["cat", "dog", "cow"], {"cat"}).merge(Unused(["cat", "dog", "cow"], {"dog"}))
        >>> str(a), len(a)
        ('cow', 1)
    """

    __slots__ = ("declared", "limit", "used")

    def __init__(self, declared: Iterable[str], used: Iterable[str], *,
                 limit: int | None = None) -> None:
        self.declared: dict[str, None] = dict.fromkeys(declared)
        self.used, self.limit = set(used), limit

    @property
    def identity(self) -> tuple[Any, ...]:
        """What must be equal for two facts to merge."""
        return ("Unused", self.limit)

    def merge(self, other: Unused) -> Unused:
        """Declared in either part, used in either part."""
        return Unused([*self.declared, *other.declared], self.used | other.used,
                      limit=self.limit)

    def names(self) -> list[str]:
        """The unused names, in declaration order."""
        return [n for n in self.declared if n not in self.used]

    def __len__(self) -> int:
        return len(self.names())

    def __str__(self) -> str:
        names = self.names()
        return ", ".join(names[:self.limit] if self.limit is not None else names)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unused) and (self.identity, self.names()) == (
            other.identity, other.names())

    def __hash__(self) -> int:
        return hash((self.identity, tuple(self.names())))

    def __repr__(self) -> str:
        return f"Unused({self.names()!r})"


#: message values that merge across parts instead of telling two facts apart
MERGEABLE = (Names, Phrase, Unused)


@dataclass
class Loss:
    """One fact of loss: a code, how many objects, every affected id, and the message's
    fields."""

    code: str
    count: int | None = None
    ids: list[str] = field(default_factory=list)
    severity: Severity | None = None
    ctx: dict[str, Any] = field(default_factory=dict)

    @property
    def refusal(self) -> bool:
        """A refusal that allowing loss does not lift (the user must choose, e.g. a task)."""
        return entry(self.code).refusal


class LossPlan:
    """What a writer will drop, approximate or rename, one :class:`Loss` per fact.

    :meth:`count` tallies one object under a fact (same code and fields = same fact);
    :meth:`add` states a fact that has no per-object count (metadata, a refusal).

    Example:
        >>> plan = LossPlan("voc")
        >>> plan.count("AF502", "1/7", kind="polygon", target="bbox")
        >>> plan.count("AF502", "2/3", kind="polygon", target="bbox")
        >>> [(f.code, f.count, f.ids) for f in plan]
        [('AF502', 2, ['1/7', '2/3'])]
    """

    #: ids kept per fact: the count stays exact, and the findings end the list with
    #: ``"... N more"`` (a plan's memory does not grow with a dataset streamed in parts)
    KEPT_IDS = 10_000

    def __init__(self, format: str) -> None:
        self.format = format
        self._facts: dict[tuple[Any, ...], Loss] = {}

    @staticmethod
    def _key(code: str, severity: Severity | None, ctx: dict[str, Any]) -> tuple[Any, ...]:
        return (code, severity, tuple(sorted(
            (k, v.identity if isinstance(v, MERGEABLE) else repr(v)) for k, v in ctx.items())))

    @staticmethod
    def _unite(fact: Loss, ctx: dict[str, Any]) -> None:
        for k, v in ctx.items():
            if isinstance(v, MERGEABLE):
                fact.ctx[k] = fact.ctx[k].merge(v)

    def count(self, code: str, ref: str | None = None, *, n: int = 1,
              severity: Severity | None = None, **ctx: Any) -> None:
        """Add ``n`` objects to a fact; ``ref`` names the first (:func:`where`)."""
        key = self._key(code, severity, ctx)
        fact = self._facts.get(key)
        if fact is None:
            fact = self._facts[key] = Loss(code, 0, [], severity, ctx)
        else:
            self._unite(fact, ctx)
        fact.count = (fact.count or 0) + n
        if ref is not None and len(fact.ids) < self.KEPT_IDS:
            fact.ids.append(ref)

    def add(self, code: str, *, count: int | None = None, ids: list[str] | None = None,
            severity: Severity | None = None, **ctx: Any) -> None:
        """State one fact (merged with an identical one)."""
        key = self._key(code, severity, ctx)
        if key in self._facts:
            fact = self._facts[key]
            self._unite(fact, ctx)
            if count is not None:
                fact.count = (fact.count or 0) + count
            fact.ids += (ids or [])[:self.KEPT_IDS - len(fact.ids)]
            return
        self._facts[key] = Loss(code, count, list(ids or [])[:self.KEPT_IDS], severity, ctx)

    def merge(self, other: LossPlan, *, offset: int = 0) -> None:
        """Add the facts of ``other`` (the plan of the dataset's next part) to this one;
        ``offset`` is the position of that part's first item in the whole dataset (the IR
        pointers ``/items/N/...`` of its facts are moved by it).

        Example:
            >>> a, b = LossPlan("voc"), LossPlan("voc")
            >>> a.add("AF503", count=2, names=Names(["occluded"]))
            >>> b.add("AF503", count=1, names=Names(["truncated"]))
            >>> a.merge(b)
            >>> [(f.code, f.count, str(f.ctx["names"])) for f in a]
            [('AF503', 3, 'occluded, truncated')]
        """
        for fact in other:
            mine = self._facts.get(self._key(fact.code, fact.severity, fact.ctx))
            ids, count = fact.ids, fact.count
            if offset:
                ids = [_moved(ref, offset) for ref in ids]
            if mine is not None and ids and mine.ids:
                # a field of the head that every part of a dataset carries (``/labels/0/...``)
                # is one object; items are told apart by position (item ids may repeat across
                # subsets)
                seen = {ref for ref in mine.ids if ref.startswith("/")}
                ids = [ref for ref in ids if ref not in seen or ref.startswith("/items/")]
                if count is not None:
                    count -= len(fact.ids) - len(ids)
            self.add(fact.code, count=count, ids=ids, severity=fact.severity, **fact.ctx)

    def __iter__(self) -> Iterator[Loss]:
        return iter(self._facts.values())

    def __len__(self) -> int:
        return len(self._facts)

    def codes(self) -> list[str]:
        """The codes of the facts, in the order they were first stated."""
        return [f.code for f in self._facts.values()]

    @property
    def refused(self) -> bool:
        """True when the writer cannot write this dataset at all with these options."""
        return any(f.refusal for f in self._facts.values())


_ITEM_POINTER = re.compile(r"/items/(\d+)")


def _moved(ref: str, offset: int) -> str:
    match = _ITEM_POINTER.match(ref)
    return f"/items/{int(match[1]) + offset}{ref[match.end():]}" if match else ref


def where(item_id: str, ann_id: Any, position: int) -> str:
    """How a loss fact names an annotation: ``item/id``, or ``item/#n`` (its position in the
    item, from 0) when it has no id."""
    return f"{item_id}/{ann_id}" if ann_id is not None else f"{item_id}/#{position}"


#: annotation field -> its loss code
FIELD_LOSS = {
    "score": "AF505",
    "track_id": "AF504",
    "group": "AF506",
    "z_order": "AF506",
    "occluded": "AF506",
    "crowd": "AF506",
}


def carries_data(extra: Any) -> bool:
    """Whether a format's extras hold data, not only notes on the source file's form.

    By convention a key starting with ``_`` is such a note (which optional keys a COCO
    category spelled out, how a file wrote a box's segmentation): another format loses nothing
    by not keeping it, so the loss plan does not count it.

    Example:
        >>> carries_data({"_present": ["supercategory"]}), carries_data({"note": "x"})
        (False, True)
    """
    return not isinstance(extra, dict) or any(not str(k).startswith("_") for k in extra)


def plan_capabilities(ds: Dataset, caps: Capabilities, name: str,
                      plan: LossPlan | None = None, *, types: bool = True) -> LossPlan:
    """The loss of writing ``ds`` to a format that holds ``caps`` (the default plan).

    Formats whose losses depend on options or data call it with ``types=False`` and plan the
    annotation types themselves (an approximation is not also a drop), then add their own facts.
    """
    plan = plan if plan is not None else LossPlan(name)
    attr_names: Counter[str] = Counter()
    foreign: Counter[str] = Counter()
    empty_items = 0
    fields = [f for f in FIELD_LOSS if f not in caps.fields]
    # provenance (AF524): a value counts when it says something (an annotator, a known origin)
    provenance = [(f, none, Severity.WARNING if f == "origin" else None)
                  for f, none in (("annotator", None), ("origin", "unknown"))
                  if f not in caps.fields]
    keep_attrs = "attributes" in caps.fields
    held, unlabelled = caps.annotation_types, caps.unlabelled
    dropped: list[Item] = []
    for item in ds.items:
        if item.media.kind not in caps.media:
            dropped.append(item)
            continue
        if not item.annotations:
            empty_items += 1
        if item.attributes and not caps.item_attributes:
            attr_names.update(list(item.attributes))
        for key in item.extras:
            if key != name and carries_data(item.extras[key]):
                foreign[f"item extras ({key})"] += 1
        for n, ann in enumerate(item.annotations):
            values = ann.__dict__  # plain reads: this loop sees every annotation
            label, kind = values["label"], values["type"]
            if (label is None and kind not in unlabelled) or (types and kind not in held):
                kind = kind if label is not None else f"unlabelled {kind}"
                plan.count("AF501", where(item.id, values["id"], n), kind=kind)
                continue
            if values["attributes"] and not keep_attrs:
                attr_names.update(list(values["attributes"]))
            for fld in fields:
                if values.get(fld) not in (None, False):
                    plan.count(FIELD_LOSS[fld], where(item.id, values["id"], n), field=fld)
            for fld, none, severity in provenance:
                if values.get(fld, none) != none:
                    plan.count("AF524", where(item.id, values["id"], n), field=fld, detail="",
                               severity=severity)
            if values["extras"]:
                for key, extra in values["extras"].items():
                    if key != name and carries_data(extra):
                        foreign[f"annotation extras ({key})"] += 1
    if dropped:  # never by item count alone: what they held goes with them
        tracks = Phrase(" in {tracks} track(s)", when="tracks", distinct={"tracks": [
            str(a.track_id) for item in dropped for a in item.annotations
            if a.track_id is not None]})
        reason = Phrase("the format holds no {kinds} items; they hold {inside} annotation(s)"
                        "{in_tracks}",
                        names={"kinds": Names({item.media.kind for item in dropped}, sort=True,
                                              sep=" or "), "in_tracks": tracks},
                        inside=sum(len(item.annotations) for item in dropped))
        plan.add("AF509", count=len(dropped), ids=[item.id for item in dropped], reason=reason)
    if empty_items and not caps.empty_items:
        plan.add("AF509", count=empty_items,
                 reason="the format has no way to list items without annotations")
    if attr_names:
        plan.add("AF503", count=sum(attr_names.values()), names=Names(attr_names, sort=True))
    _plan_metadata(ds, caps, name, plan, foreign)
    return plan


def plan_origin(ds: Dataset, caps: Capabilities, plan: LossPlan,
                implied: Callable[[Item, Any], str]) -> LossPlan:
    """AF524 (a warning) for each annotation whose ``origin`` a format does not store but
    infers on reading: ``implied(item, annotation)`` is what it will read back as (Label Studio: a
    human for every entry of ``annotations``; the dialects that store only a user: human when
    there is one). The plain drops are :func:`plan_capabilities`' (an error for an annotator,
    a warning for an origin: a model's output keeps its ``score``, AF505 when it cannot).

    Example:
        >>> from annoformat.model import Item, Span, Text
        >>> ds = Dataset(items=[Item(id="1", media=Text(text="ab"),
        ...     annotations=[Span(label="X", start=0, end=1, annotator="ann")])])
        >>> caps = Capabilities(media=frozenset({"text"}), annotation_types=frozenset({"span"}))
        >>> plan = plan_origin(ds, caps, LossPlan("doccano"), lambda i, a: "human")
        >>> [(f.code, f.count, f.ctx["detail"]) for f in plan]
        [('AF524', 1, ": 'unknown' reads back as 'human'")]
    """
    for item in ds.items:
        if item.media.kind not in caps.media:
            continue
        for n, ann in enumerate(item.annotations):
            if ann.type not in caps.annotation_types:
                continue
            origin, back = ann.origin, implied(item, ann)
            if origin != back:
                plan.count("AF524", where(item.id, ann.id, n), severity=Severity.WARNING,
                           field="origin", detail=f": {origin!r} reads back as {back!r}")
    return plan


def _plan_metadata(ds: Dataset, caps: Capabilities, name: str, plan: LossPlan,
                   foreign: Counter[str]) -> None:
    if ds.info and "info" not in caps.metadata:
        plan.add("AF507", what="info", detail=Names(ds.info, sort=True))
    if not caps.subsets and any(item.subset for item in ds.items):
        plan.add("AF507", what="subsets",
                 detail=Names({i.subset for i in ds.items if i.subset}, sort=True))
    checks = [
        ("label_parents", "supercategories", [lb.name for lb in ds.labels if lb.parent]),
        ("keypoint_names", "keypoint names and skeletons",
         [lb.name for lb in ds.labels if lb.keypoints or lb.skeleton]),
        ("attribute_specs", "attribute specs", [lb.name for lb in ds.labels if lb.attributes]),
        ("label_ids", "label ids", [lb.name for lb in ds.labels if lb.id is not None]),
    ]
    for key, what, names in checks:
        if names and key not in caps.metadata:
            plan.add("AF507", what=what, detail=Names(names, limit=MAX_IDS))
    if caps.extras:  # the target keeps every format's extras verbatim
        return
    # objects counted by name, not by number: the dataset and its labels are in every part of
    # a dataset planned in parts (a stream, shards), its items and annotations in one each
    named: dict[str, list[str]] = {}
    for key in ds.extras:
        if key != name and ds.extras[key] and carries_data(ds.extras[key]):
            named.setdefault(f"dataset extras ({key})", []).append("(the dataset)")
    for label in ds.labels:
        for key in label.extras:
            if key != name and carries_data(label.extras[key]):
                named.setdefault(f"label extras ({key})", []).append(label.name)
    for what in sorted(foreign.keys() | named.keys()):
        detail = (Phrase("{n} object(s)", distinct={"n": named[what]}) if what in named
                  else Phrase("{n} object(s)", n=foreign[what]))
        plan.add("AF507", what=what, detail=detail)


#: the names a ``lines`` format writes one per line
_LINE_NAMES = frozenset({"label name", "supercategory", "keypoint name", "attribute name",
                         "attribute value"})
_WHITESPACE = re.compile(r"\s")


def plan_safety(ds: Dataset, caps: Capabilities, name: str, plan: LossPlan,
                files: Iterable[tuple[str, str]] = ()) -> LossPlan:
    r"""What no writer may be handed, whatever is allowed (refusals, added to ``plan``):

    * AF068: text the format cannot hold: a lone surrogate anywhere (no UTF-8 file holds
      one), and what ``caps.text_limits`` forbid: a control character in an XML 1.0
      document, a line break in a name listed one per line, whitespace in a tag;
    * AF069: a control character in a file name the writer would create; ``files`` are
      ``(item id, path relative to the destination)`` (``FormatSpec.media``'s paths);
    * AF071: an image without a file name, where the format names images by their files
      (``named`` in ``caps.text_limits``);
    * AF312: a coordinate beyond ``checks.COORDINATE_LIMIT`` (a 1e308 box would be printed
      as a 309-digit number).

    Example:
        >>> from annoformat.model import Image, Item, Label
        >>> ds = Dataset(labels=[Label(name="cat\x1b")], items=[Item(id="1",
        ...     media=Image(path="a\nb.jpg"))])
        >>> caps = Capabilities(media=frozenset({"image"}), annotation_types=frozenset(),
        ...                     text_limits=frozenset({"xml"}))
        >>> plan = plan_safety(ds, caps, "xmlish", LossPlan("xmlish"), [("1", "a\nb.jpg")])
        >>> [(f.code, f.ids, f.ctx["reason"]) for f in plan]  # doctest: +NORMALIZE_WHITESPACE
        [('AF068', ['/labels/0/name'], 'XML 1.0 cannot hold U+001B (ESC)'),
         ('AF069', ['1'], "U+000A (LF) in 'a\\nb.jpg'")]
    """
    for f in _written_text(ds, name):
        reason = _unwritable(f, caps.text_limits)
        if reason is not None:
            plan.count("AF068", f.pointer, what=f"{f.what}(s)", reason=reason)
    for item_id, path in files:
        char = control_character(path)
        if char is not None:
            plan.count("AF069", item_id, reason=f"{char} in {path!r}")
    if "named" in caps.text_limits:
        for item in ds.items:
            if isinstance(item.media, Image) and not item.media.path:
                plan.count("AF071", item.id, format=name)
    far, worst = far_coordinates(ds)
    if far:
        plan.add("AF312", count=len(far), ids=[where(i, a, n) for i, a, n in far],
                 value=f"{worst:.6g}", limit=f"{COORDINATE_LIMIT:.0f}")
    return plan


def _written_text(ds: Dataset, name: str) -> Iterator[TextField]:
    """The dataset's names and values (:func:`~annoformat.checks.text_fields`), then what
    only a lone surrogate can spoil: document text, info, dataset extras. Of the items', only
    those of runs :func:`~annoformat.checks.suspect_runs` gives: :func:`_unwritable` finds
    nothing in the others (it looks at control and line-break characters, lone surrogates,
    and otherwise only at label names, which every annotation of such a run declares)."""
    yield from text_fields(ds.model_copy(update={"items": []}), extras=name)
    declared = {label.name for label in ds.labels}
    for first, run in suspect_runs(ds.items, declared, name, labels=True):
        for i, item in enumerate(run, first):
            yield from item_text_fields(item, f"/items/{i}", declared, name)
    for i, item in enumerate(ds.items):
        if isinstance(item.media, Text):
            yield TextField("document text", item.media.text, f"/items/{i}/media/text",
                            item.id, free=True)
    for what, value in (("info", ds.info), ("extras", ds.extras)):
        for f in json_strings(value, what, f"/{what}"):
            yield f._replace(what=f"{what} text")


def _unwritable(f: TextField, limits: frozenset[str]) -> str | None:
    """Why a format with ``limits`` cannot write ``f``, or None: a lone surrogate (no UTF-8
    file holds one) in any format, then what the limits forbid."""
    char = surrogate(f.value)
    if char is not None:
        return f"UTF-8 cannot hold {char}"
    if f.what.endswith(" text"):
        return None
    if "xml" in limits:
        char = xml_character(f.value)
        if char is not None:
            return f"XML 1.0 cannot hold {char}"
    if "lines" in limits and not f.free and f.what in _LINE_NAMES:
        char = line_break(f.value)
        if char is not None:
            return f"names are written one per line; {char} would split one"
    if "trimmed" in limits and f.what == "label name" and (
            not f.value.strip() or f.value != f.value.strip()):
        return ("its readers strip the spaces around a name, so it would read back as "
                f"{f.value.strip()!r}")
    if "labelmap" in limits and f.what == "label name" and ":" in f.value:
        return "labelmap.txt separates a name from its colour with ':'"
    if "tokens" in limits and f.what == "label name":
        found = _WHITESPACE.search(f.value)
        if found is not None:
            shown = control_character(found.group()) or repr(found.group())
            return f"labels are written as tags between whitespace; {shown} would split one"
    return None


OptionsT = TypeVar("OptionsT", bound=BaseModel)



def _samples(caps: Capabilities) -> dict[str, tuple[Image | Text, list[Any]]]:
    """One labelled annotation of each type, on the media it belongs to (a relation between
    two of its ends), for :meth:`FormatSpec.fidelity`."""
    image = Image(path="x.jpg", width=100, height=100)
    text = Text(text="abc def") if "text" in caps.media else None
    shapes: dict[str, Any] = {
        "bbox": BBox(label="a", id=1, x=10, y=10, w=20, h=20),
        "rotated_bbox": RotatedBBox(label="a", id=1, x=10, y=10, w=20, h=20, rotation=30),
        "polygon": Polygon(label="a", id=1, rings=[[10, 10, 30, 10, 20, 30]]),
        "polyline": Polyline(label="a", id=1, points=[10, 10, 30, 10, 20, 30]),
        "points": Points(label="a", id=1, points=[10, 10, 30, 10]),
        "keypoints": Keypoints(label="a", id=1, points=[10, 10, 30, 10], visibility=[2, 2]),
        "mask": Mask(label="a", id=1, counts=[300, 20, 80, 20, 9580], height=100, width=100),
        "ellipse": Ellipse(label="a", id=1, cx=50, cy=50, rx=10, ry=5),
    }
    out: dict[str, tuple[Image | Text, list[Any]]] = {
        kind: (image, [ann]) for kind, ann in shapes.items()}
    out["tag"] = (text or image, [Tag(label="a", id=1)])
    out["span"] = (text or Text(text="abc def"), [Span(label="a", id=1, start=0, end=3)])
    ends: list[Any] = ([Span(label="a", id=1, start=0, end=3), Span(label="a", id=2, start=4,
                                                                   end=7)]
                       if text else [shapes["bbox"], BBox(label="a", id=2, x=0, y=0, w=5, h=5)])
    out["relation"] = (text or image, [*ends, Relation(label="a", source=1, target=2)])
    return out


@dataclass
class Stream:
    """A dataset read one item at a time: what :attr:`FormatSpec.stream` returns.

    ``head`` holds what the source states before its items (labels in class order, info,
    extras); its ``items`` stay empty. ``items`` yields the items in the order ``read`` gives
    them and records the reader's diagnostics into the report as it goes, in ``read``'s order.
    Labels that a source only reveals in its items (a JSONL dialect, VOC without a label map)
    are appended to ``head.labels`` as they are met. So once ``items`` is exhausted, ``head``
    with those items equals what ``read`` returns, and the report holds what ``read`` records.
    Memory stays bounded by one item plus compact whole-set state (ids seen, label names).

    Example:
        >>> from annoformat.model import Dataset, Image, Item, Label
        >>> one = Item(id="1", media=Image(path="1.jpg"))
        >>> s = Stream(Dataset(labels=[Label(name="cat")]), iter([one]))
        >>> [item.id for item in s.items], s.head.label_names()
        (['1'], ['cat'])
    """

    head: Dataset
    items: Iterator[Item]


@dataclass(frozen=True)
class FormatSpec(Generic[OptionsT]):
    """Everything annoformat needs to know about one format.

    ``read(path, options, report)`` returns the IR (or None when nothing usable was read);
    ``write(dataset, dest, options, report)`` writes it into ``dest`` (a staging path that the
    pipeline moves into place) and reports no loss: what it will lose is ``plan``'s job.
    ``plan(dataset, options)`` defaults to :func:`plan_capabilities` on ``capabilities``;
    ``resolve(options, dest)`` settles what depends on the destination's name, before the plan
    and the writer see the options (see :meth:`options_for`).
    ``codes`` are the diagnostic codes only this format raises. ``media(dataset, options)``
    says where the images go in a dataset this format writes (see ``annoformat.media``).
    """

    name: str
    description: str
    extensions: tuple[str, ...]
    capabilities: Capabilities
    options: type[OptionsT]
    schemas: tuple[str, ...]
    detect: Callable[[Path], Detection]
    read: Callable[[Path, OptionsT, Report], Dataset | None]
    write: Callable[[Dataset, Path, OptionsT, Report], None]
    plan: Callable[[Dataset, OptionsT], LossPlan] | None = None
    #: ``stream(path, options, report)``: the same dataset as ``read``, one item at a time in
    #: bounded memory (:class:`Stream`); None for a format read only whole
    stream: Callable[[Path, OptionsT, Report], Stream | None] | None = None
    #: ``join(parts, head, dest, options, report)``: the file ``write`` gives for a whole
    #: dataset, made from the files ``write`` gave for its parts in order (each part with the
    #: head known when it was written) and ``head``, the dataset-level data known at the end;
    #: what lets a conversion write as it reads (None: written whole)
    join: Callable[[list[Path], Dataset, Path, OptionsT, Report], None] | None = None
    #: ``settle(head, items, options)``: the options a conversion in parts writes every part
    #: with, so that decisions over the whole dataset (YOLO's task, subsets) are made before
    #: the first part is written; ``items()`` reads the source's items again (a second pass,
    #: its findings discarded), to be called only when the options leave something undecided
    settle: Callable[[Dataset, Callable[[], Iterator[Item]], OptionsT], OptionsT] | None = None
    #: options made definite for a destination (``layout=auto`` and a ``.json`` name: one file)
    resolve: Callable[[OptionsT, Path], OptionsT] | None = None
    codes: tuple[Code, ...] = ()
    #: where each item's image belongs in a written dataset: item index -> path relative to
    #: the destination (YOLO ``images/<subset>/a.jpg``); None for formats that keep no images
    media: Callable[[Dataset, OptionsT], dict[int, str]] | None = None
    #: other names users call it by (``yolov8``, ``pascal_voc``): accepted by ``--to``/``--from``
    aliases: tuple[str, ...] = ()
    #: a whole dataset can be written as one file named with ``extensions[0]`` (COCO, CVAT,
    #: the JSONL dialects); False for formats written as a folder (VOC, YOLO), which a sharded
    #: run uploads as one ``.zip`` per shard
    one_file: bool = True
    #: bytes of memory per byte of label files when the whole dataset is read and converted
    #: (measured at COCO-2017-train size, with a margin): a conversion from a format with
    #: ``stream`` writes as it reads when the whole would take over half the free memory
    memory_factor: float = 20.0
    #: the entry point that provided it (None for built-ins); set by the registry
    plugin: str | None = field(default=None, compare=False)

    def option_table(self) -> list[OptionInfo]:
        """Each option's name, type, default (as ``--opt`` spells it) and description.

        Example:
            >>> from annoformat.registry import get_format
            >>> [o for o in get_format("yolo").option_table() if o.name == "task"][0].type
            'auto | detect | segment | obb | pose | classify'
        """
        return [OptionInfo(name, _type_text(f.annotation), _default_text(f.default),
                           f.description or "")
                for name, f in self.options.model_fields.items()]

    def fidelity(self) -> dict[str, str]:
        """What writing each annotation type does, with the default options: ``kept``,
        ``as <shape>`` (written as another shape, e.g. VOC's polygon as its box), ``dropped``
        (the annotation is left out, AF501) or ``no items`` (the format holds no items of the
        media it belongs to, AF509). Asked of the format's own loss plan on a one-annotation
        dataset, so it says what a conversion would report; the built-in readers produce only
        kept types (tests/test_registry.py checks it on the fixtures).

        Example:
            >>> from annoformat.registry import get_format
            >>> fidelity = get_format("voc").fidelity()
            >>> fidelity["bbox"], fidelity["polygon"], fidelity["ellipse"]
            ('kept', 'as bbox', 'dropped')
        """
        out: dict[str, str] = {}
        for kind, (media, anns) in _samples(self.capabilities).items():
            labels = [Label(name="a", keypoints=["p", "q"])]
            ds = Dataset(labels=labels, items=[Item(id="x", media=media, annotations=anns)])
            # a fact about annotations of this kind: written as its ``target``, or left out;
            # AF509: the item itself is not held
            facts = [f for f in self.plan_loss(ds, self.options())
                     if f.ctx.get("kind") == kind or f.code == "AF509"]
            if not facts:
                out[kind] = "kept"
            elif facts[0].code == "AF509":
                out[kind] = "no items"
            elif "target" in facts[0].ctx:
                out[kind] = "as " + str(facts[0].ctx["target"]).removeprefix("its ")
            else:
                out[kind] = "dropped"
        return out

    def options_for(self, options: OptionsT, dest: Path) -> OptionsT:
        """``options`` as the plan and the writer see them when writing to ``dest``."""
        return self.resolve(options, dest) if self.resolve is not None else options

    def plan_loss(self, ds: Dataset, options: OptionsT) -> LossPlan:
        """What writing ``ds`` with ``options`` will drop, approximate or rename, and what it
        refuses whatever the format (:func:`plan_safety`)."""
        if self.plan is not None:
            plan = self.plan(ds, options)
        else:
            plan = plan_capabilities(ds, self.capabilities, self.name)
        files: list[tuple[str, str]] = []
        if self.media is not None:
            items = ds.items
            files = [(items[i].id, path) for i, path in self.media(ds, options).items()]
        return plan_safety(ds, self.capabilities, self.name, plan, files)
