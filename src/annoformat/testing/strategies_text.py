"""Hypothesis strategies for text datasets and for the whole IR (native JSONL round trips).

* :func:`texts` - arbitrary Unicode text, astral characters (emoji) included, no lone
  surrogates (no JSON encoder can write those);
* :func:`text_datasets` - text items with tags and ``[start, end)`` spans, shaped by keyword
  arguments into what a dialect holds, in the canonical form its writer produces;
* :func:`full_datasets` - everything the IR can hold: image, video-frame and text items, every
  annotation type with every common field, attributes, extras, labels with keypoints and
  attribute specs.

Example:
    >>> strategy = text_datasets(span_ids=True)
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from annoformat.model import (
    AttributeSpec,
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
    VideoFrame,
)

_CHARS = st.characters(exclude_categories=["Cs"])
#: astral characters drawn on purpose (hypothesis rarely picks them on its own)
_ASTRAL = st.sampled_from(["😀", "𝄞", "🇫🇷", "𐍈", "👩‍💻", "\U0010fffd"])
_LABEL = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcé猫", min_size=1, max_size=8)
_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_INT64 = st.integers(-(2**63), 2**63 - 1)
_FLOAT = st.floats(allow_nan=False, allow_infinity=False)
_JSON_SCALAR = st.none() | st.booleans() | _INT64 | _FLOAT | st.text(_CHARS, max_size=8)
JSON_VALUES = st.recursive(
    _JSON_SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEY, inner, max_size=3),
    max_leaves=8,
)
JSON_OBJECTS = st.dictionaries(_KEY, JSON_VALUES, max_size=3)
#: an annotation's ``origin``
ORIGINS = st.sampled_from(["human", "model", "unknown"])
#: annotator names as the text dialects spell them (a user name, an e-mail, a session id)
ANNOTATORS = st.sampled_from(["alice", "bob@example.com", "ner_news-carol", "7"])


def texts(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Arbitrary Unicode text with astral characters mixed in."""
    return st.lists(_ASTRAL | _CHARS, min_size=min_size, max_size=max_size).map("".join)


@st.composite
def flat_spans(draw: Any, text: str, max_spans: int = 4, overlap: bool = False,
               allow_padding: bool = True) -> list[tuple[int, int]]:
    """Sorted ``[start, end)`` spans inside ``text``; non-overlapping unless ``overlap``."""
    n = len(text)
    if n == 0:
        return []
    cuts = sorted(set(draw(st.lists(st.integers(0, n), max_size=2 * max_spans))))
    pairs = list(zip(cuts[0::2], cuts[1::2], strict=False))
    if overlap and n > 1:
        pairs += draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, n)).filter(
            lambda p: p[0] < p[1]), max_size=2))
    out = [(a, b) for a, b in pairs if a < b]
    if not allow_padding:
        out = [(a, b) for a, b in out if text[a:b].strip() == text[a:b]]
    return sorted(set(out))


@st.composite
def text_datasets(draw: Any, *, max_items: int = 4, tags: bool = True, spans: bool = True,
                  span_ids: bool = False, overlap: bool = False, ids: str = "any",
                  item_attributes: bool = False, scores: bool = False,
                  relations: bool = False, provenance: str = "none",
                  text: st.SearchStrategy[str] | None = None) -> Dataset:
    """Text items with spans (first, in offset order) then tags; labels in first-use order.

    ``relations`` (with ``span_ids``): directed, labelled relations between the spans, after
    them, with their own ids.

    ``provenance``: ``"none"`` (no annotator, origin unknown); ``"prodigy"`` (each item's
    annotations one person's answer, origin human, the annotator, if any, named by the record's
    ``_annotator_id``); ``"label-studio"`` (each item's annotations one person's, origin human,
    the annotator, if any, in the item's first ``annotations`` entry, then model tags in a
    prediction with a score and model version); ``"doccano-1x"`` (doccano 1.x's
    ``annotations`` layout: each annotation its own user or none, origin human when it has one).

    ``ids``: ``"any"`` (unique strings), ``"index"`` (1-based record numbers, for dialects
    without ids) or ``"int"`` (unique integers as strings).
    """
    names = draw(st.lists(_LABEL, min_size=1, max_size=4, unique=True))
    count = draw(st.integers(0, max_items))
    if ids == "index":
        item_ids = [str(i) for i in range(1, count + 1)]
    elif ids == "int":
        item_ids = [str(i) for i in draw(st.lists(st.integers(0, 10**9), min_size=count,
                                                  max_size=count, unique=True))]
    else:
        item_ids = draw(st.lists(st.text(_CHARS, min_size=1, max_size=6), min_size=count,
                                 max_size=count, unique=True))
    used: dict[str, None] = {}
    items = []
    for item_id in item_ids:
        body = draw(text if text is not None else texts())
        anns: list[Any] = []
        if spans:
            for k, (a, b) in enumerate(draw(flat_spans(body, overlap=overlap))):
                label = draw(st.sampled_from(names))
                used[label] = None
                anns.append(Span(label=label, start=a, end=b, id=k + 1 if span_ids else None,
                                 score=draw(st.none() | st.floats(0, 1)) if scores else None))
        span_ids_here = [a.id for a in anns if a.id is not None]
        if relations and span_ids_here:
            pairs = st.tuples(st.sampled_from(span_ids_here), st.sampled_from(span_ids_here))
            for k, (source, target) in enumerate(draw(st.lists(pairs, max_size=3))):
                label = draw(st.sampled_from(names))
                used[label] = None
                anns.append(Relation(id=100 + k, label=label, source=source, target=target))
        if tags:
            for label in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
                used[label] = None
                anns.append(Tag(label=label))
        attrs = draw(st.dictionaries(_KEY.map(lambda k: "m_" + k), JSON_VALUES, max_size=2)
                     ) if item_attributes else {}
        extras: dict[str, Any] = {}
        if provenance == "doccano-1x":  # each entry its own user, or none
            for ann in anns:
                ann.annotator = draw(st.none() | ANNOTATORS)
                ann.origin = "human" if ann.annotator is not None else "unknown"
            extras = {"doccano": {"key": "annotations"}}
        elif provenance != "none":
            who = draw(st.none() | ANNOTATORS)
            for ann in anns:
                ann.annotator, ann.origin = who, "human"
            if provenance == "label-studio":
                extras = _label_studio_entries(draw, anns, names, used, who)
            elif who is not None:
                extras = {"prodigy": {"_annotator_id": who}}
        items.append(Item(id=item_id, media=Text(text=body), annotations=anns,
                          attributes=attrs, extras=extras))
    return Dataset(labels=[Label(name=n) for n in used], items=items)


def _label_studio_entries(draw: Any, anns: list[Any], names: list[str], used: dict[str, None],
                          who: str | None) -> dict[str, Any]:
    """Model tags appended to ``anns`` as Label Studio reads a prediction back, and the item
    extras that name the entries (the canonical form its writer produces)."""
    ls: dict[str, Any] = {}
    if who is not None:
        ls["annotations"] = [{"completed_by": int(who) if who.isdigit() else {"email": who}}]
    model = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    if model:
        version = draw(st.none() | st.sampled_from(["v1", "yolo-2024"]))
        score = draw(st.floats(0, 1))  # the choices share one result, so one score
        for label in model:
            used[label] = None
            anns.append(Tag(label=label, score=score, origin="model",
                            annotator=version, extras={"label-studio": {"prediction": 0}}))
        if version is not None:
            ls["predictions"] = [{"model_version": version}]
    return {"label-studio": ls} if ls else {}


# --------------------------------------------------------------------------------------------
# the whole IR


_COORD = st.floats(-1e6, 1e6, allow_nan=False)
_POS = st.floats(0.001, 1e6, allow_nan=False)


def _flat(min_points: int) -> st.SearchStrategy[list[float]]:
    return st.lists(st.tuples(_COORD, _COORD), min_size=min_points, max_size=6).map(
        lambda ps: [v for p in ps for v in p])


@st.composite
def _common(draw: Any, labels: list[str]) -> dict[str, Any]:
    return {
        "label": draw(st.none() | st.sampled_from(labels)),
        "id": draw(st.none() | _INT64 | st.text(_CHARS, max_size=5)),
        "attributes": draw(JSON_OBJECTS),
        "group": draw(st.none() | st.integers(-5, 5)),
        "z_order": draw(st.none() | st.integers(-5, 5)),
        "occluded": draw(st.none() | st.booleans()),
        "score": draw(st.none() | _FLOAT),
        "track_id": draw(st.none() | st.integers(0, 10**6)),
        "annotator": draw(st.none() | st.text(_CHARS, max_size=6)),
        "origin": draw(ORIGINS),
        "extras": draw(st.dictionaries(_KEY, JSON_OBJECTS, max_size=2)),
    }


@st.composite
def _region(draw: Any) -> dict[str, Any]:
    return {"crowd": draw(st.none() | st.booleans()), "area": draw(st.none() | _POS),
            "bbox": draw(st.none() | st.tuples(_COORD, _COORD, _POS, _POS))}


@st.composite
def _image_annotation(draw: Any, labels: list[str]) -> Any:
    c = draw(_common(labels))
    kind = draw(st.sampled_from(["bbox", "rotated_bbox", "polygon", "polyline", "points",
                                 "keypoints", "mask", "ellipse", "tag"]))
    if kind == "bbox":
        return BBox(**c, x=draw(_COORD), y=draw(_COORD), w=draw(_POS), h=draw(_POS),
                    crowd=draw(st.none() | st.booleans()), area=draw(st.none() | _POS))
    if kind == "rotated_bbox":
        return RotatedBBox(**c, x=draw(_COORD), y=draw(_COORD), w=draw(_POS), h=draw(_POS),
                           rotation=draw(st.floats(0, 360)))
    if kind == "polygon":
        return Polygon(**c, **draw(_region()), rings=draw(st.lists(_flat(3), min_size=1,
                                                                    max_size=2)))
    if kind == "polyline":
        return Polyline(**c, points=draw(_flat(2)))
    if kind == "points":
        pts = draw(_flat(1))
        vis = draw(st.none() | st.lists(st.sampled_from([0, 1, 2]), min_size=len(pts) // 2,
                                        max_size=len(pts) // 2))
        return Points(**c, points=pts, visibility=vis)
    if kind == "keypoints":
        pts = draw(_flat(1))
        vis = draw(st.lists(st.sampled_from([0, 1, 2]), min_size=len(pts) // 2,
                            max_size=len(pts) // 2))
        return Keypoints(**c, **draw(_region()), points=pts, visibility=vis)
    if kind == "mask":
        h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        counts = draw(st.sampled_from([[h * w], [0, h * w], "PP"]))
        return Mask(**c, **draw(_region()), counts=counts, height=h, width=w)
    if kind == "ellipse":
        return Ellipse(**c, cx=draw(_COORD), cy=draw(_COORD), rx=draw(_POS), ry=draw(_POS),
                       rotation=draw(st.floats(0, 360)))
    return Tag(**c)


@st.composite
def _label(draw: Any, name: str) -> Label:
    kps = draw(st.lists(_KEY, max_size=3, unique=True))
    return Label(
        name=name, id=draw(st.none() | st.integers(0, 1000)), parent=draw(st.none() | _LABEL),
        keypoints=kps,
        skeleton=[(0, k) for k in range(1, len(kps))],
        attributes=[AttributeSpec(name=n, input_type=draw(st.sampled_from(
            ["text", "number", "checkbox", "select", "radio"])), values=draw(
            st.lists(_KEY, max_size=2)), default=draw(JSON_VALUES), mutable=draw(st.booleans()))
            for n in draw(st.lists(_KEY, max_size=2, unique=True))],
        extras=draw(st.dictionaries(_KEY, JSON_OBJECTS, max_size=1)),
    )


@st.composite
def full_datasets(draw: Any, max_items: int = 4) -> Dataset:
    """Any IR dataset: every media kind, annotation type and field, with extras everywhere."""
    names = draw(st.lists(_LABEL, min_size=1, max_size=3, unique=True))
    labels = [draw(_label(n)) for n in names]
    keys = draw(st.lists(st.tuples(st.none() | _KEY, st.text(_CHARS, min_size=1, max_size=6)),
                         max_size=max_items, unique=True))
    items = []
    for subset, item_id in keys:
        kind = draw(st.sampled_from(["image", "video_frame", "text"]))
        anns: list[Any]
        if kind == "text":
            body = draw(texts())
            media: Any = Text(text=body)
            anns = [Span(**draw(_common(names)), start=a, end=b)
                    for a, b in draw(flat_spans(body, overlap=True))]
            anns += [Tag(**draw(_common(names))) for _ in range(draw(st.integers(0, 1)))]
            ends = [a.id for a in anns if a.id is not None]
            if ends:
                anns += [Relation(**draw(_common(names)), source=draw(st.sampled_from(ends)),
                                  target=draw(st.sampled_from(ends)), directed=draw(st.booleans()))
                         for _ in range(draw(st.integers(0, 2)))]
        else:
            size = draw(st.none() | st.tuples(st.integers(1, 5000), st.integers(1, 5000)))
            w, h = size if size is not None else (None, None)
            path = draw(st.text(_CHARS, max_size=10))
            media = (Image(path=path, width=w, height=h) if kind == "image" else
                     VideoFrame(path=path, frame=draw(st.integers(0, 10**6)), width=w, height=h))
            anns = draw(st.lists(_image_annotation(names), max_size=3))
        items.append(Item(id=item_id, subset=subset, media=media, annotations=anns,
                          attributes=draw(JSON_OBJECTS),
                          extras=draw(st.dictionaries(_KEY, JSON_OBJECTS, max_size=2))))
    return Dataset(labels=labels, items=items, info=draw(JSON_OBJECTS),
                   extras=draw(st.dictionaries(_KEY, JSON_OBJECTS, max_size=2)))


@st.composite
def token_datasets(draw: Any, max_items: int = 4) -> Dataset:
    """Text items as CoNLL holds them: tokens joined by single spaces, non-overlapping spans
    on token boundaries, ids 1..n (the block numbers)."""
    token = st.lists(_ASTRAL | _CHARS.filter(lambda c: not c.isspace()), min_size=1,
                     max_size=5).map("".join).filter(lambda t: t != "-DOCSTART-")
    names = draw(st.lists(_LABEL, min_size=1, max_size=3, unique=True))
    used: dict[str, None] = {}
    items = []
    for index in range(1, draw(st.integers(0, max_items)) + 1):
        tokens = draw(st.lists(token, min_size=1, max_size=8))
        starts = [sum(len(t) + 1 for t in tokens[:k]) for k in range(len(tokens))]
        cuts = sorted(set(draw(st.lists(st.integers(0, len(tokens)), max_size=6))))
        anns: list[Any] = []
        for a, b in zip(cuts[0::2], cuts[1::2], strict=False):
            if a < b:
                label = draw(st.sampled_from(names))
                used[label] = None
                anns.append(Span(label=label, start=starts[a],
                                 end=starts[b - 1] + len(tokens[b - 1])))
        items.append(Item(id=str(index), media=Text(text=" ".join(tokens)), annotations=anns))
    return Dataset(labels=[Label(name=n) for n in used], items=items)
