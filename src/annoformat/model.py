"""The intermediate representation (IR): one typed model every format reads into and writes from.

Conventions (DESIGN.md, "Conventions"):

* geometry is in absolute pixels, continuous coordinates, origin at the top-left corner of the
  top-left pixel; pixel (i, j) covers [i, i+1) x [j, j+1);
* a box is ``x, y, w, h``; point lists are flat ``[x1, y1, x2, y2, ...]``;
* text spans are half-open ``[start, end)`` in Unicode code points (Python ``str`` indices);
* ``label`` on an annotation is a label *name*; the order of ``Dataset.labels`` is the class order
  (YOLO index i is the i-th label);
* ``extras`` keep what a format has and the IR does not model, namespaced by format name
  (``extras["coco"]["license"]``), so that X -> IR -> X is lossless.

Models are strict: ``"1"`` and ``True`` are not numbers, NaN and infinity are refused.

Example:
    >>> from annoformat.model import Dataset, Item, Image, BBox, Label
    >>> ds = Dataset(labels=[Label(name="cat")],
    ...              items=[Item(id="1", media=Image(path="a.jpg", width=640, height=480),
    ...                          annotations=[BBox(label="cat", x=10, y=20, w=30, h=40)])])
    >>> ds.items[0].annotations[0].w
    30.0
"""

# No `from __future__ import annotations` here: pydantic would compile every field's annotation
# from its string when the classes are made, at every start-up (about 15% of defining the IR).
import math
from operator import mul
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

Extras = dict[str, Any]
Attributes = dict[str, JsonValue]

_T = TypeVar("_T", bound=BaseModel)


class _Model(BaseModel):
    # defer_build: validators are compiled on first use, not at import; readers build models
    # with `trusted`, so a `validate` run on one small file never pays for them (hook start-up)
    model_config = ConfigDict(
        strict=True, allow_inf_nan=False, extra="forbid", validate_assignment=False,
        defer_build=True,
    )


def trusted(cls: type[_T], fields: dict[str, Any]) -> _T:
    """Build a model from already-validated values without re-validating them.

    Readers check raw documents against their schema and the semantic rules first; this is the
    fast path that then shares their lists instead of copying them (COCO-2017 scale needs it).
    Fields with a default *factory* (``attributes``, ``extras``, lists) that ``fields`` lacks get
    a fresh value here; other defaults come from :func:`defaults_of`.
    """
    shape = _SHAPES.get(cls) or _shape(cls)
    if len(fields) != len(shape[0]):
        for name, factory in shape[1]:
            if name not in fields:
                fields[name] = factory()
    obj = cls.__new__(cls)
    setattr_ = object.__setattr__
    setattr_(obj, "__dict__", fields)
    # One shared set of *all* field names per class: pydantic only ever adds names to it, and
    # adding a name already present is a no-op, so sharing is safe and saves ~700 B per object.
    setattr_(obj, "__pydantic_fields_set__", shape[0])
    setattr_(obj, "__pydantic_extra__", None)
    setattr_(obj, "__pydantic_private__", None)
    return obj


#: per class: every field name, and the fields with a default factory
_SHAPES: dict[type[BaseModel], tuple[set[str], list[tuple[str, Any]]]] = {}


def _shape(cls: type[BaseModel]) -> tuple[set[str], list[tuple[str, Any]]]:
    fields = cls.model_fields  # a pydantic class property: too slow to read per object
    found = _SHAPES[cls] = (set(fields), [(name, f.default_factory) for name, f in
                                          fields.items() if f.default_factory is not None])
    return found


Box = tuple[float, float, float, float]


def _extent(flat: list[float]) -> Box:
    """The tight ``(x, y, w, h)`` around flat ``[x1, y1, ...]`` points (zeros for none)."""
    if not flat:
        return (0.0, 0.0, 0.0, 0.0)
    xs, ys = flat[0::2], flat[1::2]
    x0, y0 = min(xs), min(ys)
    return (float(x0), float(y0), float(max(xs) - x0), float(max(ys) - y0))


def _ring_area(ring: list[float]) -> float:
    """Shoelace area of one closed ring (the products summed in C: COCO has 860k rings)."""
    xs, ys = ring[0::2], ring[1::2]
    twice: float = sum(map(mul, xs, ys[1:] + ys[:1])) - sum(map(mul, xs[1:] + xs[:1], ys))
    return abs(twice) / 2


def _cos_sin(degrees: float) -> tuple[float, float]:
    """Exact for quarter turns (CVAT's 90, 180, 270), where the float sine is not 0."""
    if degrees % 90 == 0:
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(degrees // 90) % 4]
    t = math.radians(degrees)
    return math.cos(t), math.sin(t)


def _mask_rle(mask: "Mask") -> dict[str, Any]:
    from pycocotools import mask as coco_mask  # numpy + pycocotools: only when a mask asks

    if isinstance(mask.counts, list):
        rle: dict[str, Any] = coco_mask.frPyObjects(
            {"size": [mask.height, mask.width], "counts": mask.counts}, mask.height, mask.width)
        return rle
    return {"size": [mask.height, mask.width], "counts": mask.counts.encode("ascii")}


class AttributeSpec(_Model):
    """A declared attribute of a label (CVAT-style): its type and allowed values."""

    name: str
    input_type: Literal["text", "number", "checkbox", "select", "radio"] = "text"
    values: list[str] = Field(default_factory=list)
    default: JsonValue = None
    mutable: bool = False


class Label(_Model):
    """A class. ``id`` is the source's own id (COCO category id) when it has one."""

    name: str
    id: int | None = None
    parent: str | None = None
    keypoints: list[str] = Field(default_factory=list)
    skeleton: list[tuple[int, int]] = Field(default_factory=list)
    attributes: list[AttributeSpec] = Field(default_factory=list)
    extras: Extras = Field(default_factory=dict)


class Image(_Model):
    """An image file; ``width``/``height`` in pixels when known."""

    kind: Literal["image"] = "image"
    path: str
    width: int | None = None
    height: int | None = None


class Text(_Model):
    """A text document; span offsets index into ``text``."""

    kind: Literal["text"] = "text"
    text: str


class VideoFrame(_Model):
    """Frame ``frame`` (absolute frame number) of the video at ``path``."""

    kind: Literal["video_frame"] = "video_frame"
    path: str
    frame: int
    width: int | None = None
    height: int | None = None


Media = Annotated[Image | Text | VideoFrame, Field(discriminator="kind")]


class _Annotation(_Model):
    """Fields every annotation has.

    ``id`` is the source's object id; annotations of one item that share an ``id`` are parts of
    one source object (a COCO person with a polygon and keypoints).

    Provenance: ``annotator`` names who made it (a Label Studio user, a Prodigy session, a doccano
    user) and ``origin`` says what made it: ``human``, ``model`` (a prediction, a detector's
    output; ``score`` is its confidence) or ``unknown``. The field is not called ``source``:
    :class:`Relation` uses that name for the annotation a link starts from.
    """

    label: str | None = None
    id: int | str | None = None
    attributes: Attributes = Field(default_factory=dict)
    group: int | None = None
    z_order: int | None = None
    occluded: bool | None = None
    score: float | None = None
    track_id: int | None = None
    annotator: str | None = None
    origin: Literal["human", "model", "unknown"] = "unknown"
    extras: Extras = Field(default_factory=dict)


class _Region(_Annotation):
    """Annotations that cover an area: what COCO calls a crowd region and its stored area."""

    crowd: bool | None = None
    area: float | None = None
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="enclosing box x, y, w, h as stored by the source"
    )


class BBox(_Annotation):
    """Axis-aligned box: top-left ``x, y``, size ``w, h``."""

    type: Literal["bbox"] = "bbox"
    x: float
    y: float
    w: float
    h: float
    crowd: bool | None = None
    area: float | None = None

    @property
    def box(self) -> Box:
        """``(x, y, w, h)``: the box itself (see :attr:`Polygon.box` for the others)."""
        return (float(self.x), float(self.y), float(self.w), float(self.h))

    @property
    def pixel_area(self) -> float:
        """``w * h`` (``area`` is what the source stored, e.g. COCO's)."""
        return float(self.w * self.h)


class RotatedBBox(_Annotation):
    """Box ``x, y, w, h`` before rotation, turned ``rotation`` degrees clockwise about its
    centre (CVAT's convention)."""

    type: Literal["rotated_bbox"] = "rotated_bbox"
    x: float
    y: float
    w: float
    h: float
    rotation: float = 0.0

    @property
    def corners(self) -> list[float]:
        """The four corners after rotation, flat, clockwise from the top-left one."""
        cx, cy = self.x + self.w / 2, self.y + self.h / 2
        cos, sin = _cos_sin(self.rotation)
        out: list[float] = []
        for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            px, py = dx * self.w / 2, dy * self.h / 2
            out += [cx + px * cos - py * sin, cy + px * sin + py * cos]
        return out

    @property
    def box(self) -> Box:
        """The axis-aligned box around the rotated corners."""
        return _extent(self.corners)

    @property
    def pixel_area(self) -> float:
        """``w * h`` (rotation keeps it)."""
        return float(self.w * self.h)


class Polygon(_Region):
    """One or more closed rings, each a flat ``[x1, y1, x2, y2, ...]`` list."""

    type: Literal["polygon"] = "polygon"
    rings: list[list[float]]

    @property
    def box(self) -> Box:
        """The tight ``(x, y, w, h)`` around every ring; computed, unlike ``bbox`` (what the
        source stored).

        Example:
            >>> p = Polygon(rings=[[0, 0, 4, 0, 4, 3]])
            >>> p.box, p.pixel_area
            ((0.0, 0.0, 4.0, 3.0), 6.0)
        """
        if len(self.rings) == 1:
            return _extent(self.rings[0])
        return _extent([v for ring in self.rings for v in ring])

    @property
    def pixel_area(self) -> float:
        """The rings' shoelace areas summed (COCO's parts of one object); ``area`` is what the
        source stored."""
        return float(sum(map(_ring_area, self.rings)))


class Polyline(_Annotation):
    """An open line through flat ``points``."""

    type: Literal["polyline"] = "polyline"
    points: list[float]

    @property
    def box(self) -> Box:
        """The tight box around the line's points."""
        return _extent(self.points)

    @property
    def pixel_area(self) -> float:
        """0: a line covers no area."""
        return 0.0


class Points(_Annotation):
    """A set of points, flat ``[x1, y1, ...]``, with optional per-point visibility."""

    type: Literal["points"] = "points"
    points: list[float]
    visibility: list[int] | None = None

    @property
    def box(self) -> Box:
        """The tight box around the points (absent ones, visibility 0, left out)."""
        return _extent(_present(self.points, self.visibility))

    @property
    def pixel_area(self) -> float:
        """0: points cover no area."""
        return 0.0


class Keypoints(_Region):
    """Keypoints of a label with named points; visibility 0 absent, 1 occluded, 2 visible."""

    type: Literal["keypoints"] = "keypoints"
    points: list[float]
    visibility: list[int]

    @property
    def box(self) -> Box:
        """The tight box around the labelled points (visibility > 0); ``bbox`` is the object's
        box as the source stored it, which is usually larger."""
        return _extent(_present(self.points, self.visibility))

    @property
    def pixel_area(self) -> float:
        """0: keypoints cover no area (``area`` is the object's, as the source stored it)."""
        return 0.0


class Mask(_Region):
    """A binary mask as COCO-style RLE in column-major order.

    ``counts`` is the compressed string or the uncompressed run lengths; ``height``/``width`` the
    mask size.
    """

    type: Literal["mask"] = "mask"
    counts: str | list[int]
    height: int
    width: int

    @property
    def box(self) -> Box:
        """The tight box around the foreground pixels (pycocotools)."""
        from pycocotools import mask as coco_mask

        x, y, w, h = coco_mask.toBbox(_mask_rle(self)).tolist()
        return (float(x), float(y), float(w), float(h))

    @property
    def pixel_area(self) -> float:
        """The number of foreground pixels."""
        from pycocotools import mask as coco_mask

        return float(coco_mask.area(_mask_rle(self)))


class Ellipse(_Annotation):
    """Ellipse centred at ``cx, cy`` with radii ``rx, ry``, turned ``rotation`` degrees
    clockwise."""

    type: Literal["ellipse"] = "ellipse"
    cx: float
    cy: float
    rx: float
    ry: float
    rotation: float = 0.0

    @property
    def box(self) -> Box:
        """The tight axis-aligned box around the (rotated) ellipse."""
        cos, sin = _cos_sin(self.rotation)
        hw = math.hypot(self.rx * cos, self.ry * sin)
        hh = math.hypot(self.rx * sin, self.ry * cos)
        return (self.cx - hw, self.cy - hh, 2 * hw, 2 * hh)

    @property
    def pixel_area(self) -> float:
        """``pi * rx * ry``."""
        return math.pi * self.rx * self.ry


class Tag(_Annotation):
    """A class for the whole item (image classification, document category)."""

    type: Literal["tag"] = "tag"


class Span(_Annotation):
    """Characters ``[start, end)`` of the item's text (code points)."""

    type: Literal["span"] = "span"
    start: int
    end: int


class Relation(_Annotation):
    """A labelled link between two annotations of the same item, named by their ``id``
    (doccano's relation extraction, Label Studio's relations): ``source`` -> ``target``, or
    both ways when ``directed`` is false. ``label`` is the relation type.

    Example:
        >>> Relation(label="works_in", source=5, target=6).directed
        True
    """

    type: Literal["relation"] = "relation"
    source: int | str
    target: int | str
    directed: bool = True


Annotation = Annotated[
    BBox | RotatedBBox | Polygon | Polyline | Points | Keypoints | Mask | Ellipse | Tag | Span
    | Relation,
    Field(discriminator="type"),
]

ANNOTATION_TYPES: dict[str, type[BaseModel]] = {
    "bbox": BBox,
    "rotated_bbox": RotatedBBox,
    "polygon": Polygon,
    "polyline": Polyline,
    "points": Points,
    "keypoints": Keypoints,
    "mask": Mask,
    "ellipse": Ellipse,
    "tag": Tag,
    "span": Span,
    "relation": Relation,
}


class Item(_Model):
    """One image, video frame or text with its annotations.

    Items are identified by ``(subset, id)``: COCO image ids that restart in each subset file stay
    distinct items.
    """

    id: str
    subset: str | None = None
    media: Media
    annotations: list[Annotation] = Field(default_factory=list)
    attributes: Attributes = Field(default_factory=dict)
    extras: Extras = Field(default_factory=dict)


class Dataset(_Model):
    """Labels (in class order), items, free metadata and format extras."""

    labels: list[Label] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    info: dict[str, JsonValue] = Field(default_factory=dict)
    extras: Extras = Field(default_factory=dict)

    def label_names(self) -> list[str]:
        """Label names in class order."""
        return [label.name for label in self.labels]


def _present(points: list[float], visibility: list[int] | None) -> list[float]:
    if visibility is None or all(visibility):
        return points
    return [v for k, v in enumerate(points) if visibility[k // 2]]


#: the annotation types that have a place in the image: ``box`` and ``pixel_area``
REGION_TYPES = (BBox, RotatedBBox, Polygon, Polyline, Points, Keypoints, Mask, Ellipse)


def build(cls: type[_T], **fields: Any) -> _T:
    """``cls(**fields)`` for a reader: a :class:`Label` or :class:`AttributeSpec` whose values
    already have their fields' exact types is made with :func:`trusted` (equal to the validated
    model, lists and dicts copied as validation copies them), so that reading a small file
    builds no pydantic validator (a hook's start-up); any other value is validated, and refused
    as ``cls(**fields)`` refuses it.

    Example:
        >>> build(Label, name="cat", skeleton=[(0, 1)]) == Label(name="cat", skeleton=[(0, 1)])
        True
    """
    check = _CONFORMS.get(cls)
    if check is None or not fields.keys() <= check.keys() or not all(
            check[k](v) for k, v in fields.items()):
        return cls(**fields)
    shape = _FIELDS.get(cls) or _fields(cls)
    if not shape[1] <= fields.keys():
        return cls(**fields)  # a required field is missing: validation says which
    values: dict[str, Any] = {}
    for name, default, factory in shape[0]:  # in the class's order, as validation gives them
        if name in fields:  # (model_dump follows it)
            v = fields[name]
            values[name] = list(v) if type(v) is list else dict(v) if type(v) is dict else v
        else:
            values[name] = factory() if factory is not None else default
    return trusted(cls, values)


#: per class: each field's name, default and default factory, in the class's order; and the
#: names of the required fields
_FIELDS: dict[type[BaseModel], tuple[list[tuple[str, Any, Any]], set[str]]] = {}


def _fields(cls: type[BaseModel]) -> tuple[list[tuple[str, Any, Any]], set[str]]:
    fields = cls.model_fields
    found = _FIELDS[cls] = ([(name, f.default, f.default_factory) for name, f in fields.items()],
                            {name for name, f in fields.items() if f.is_required()})
    return found


def _optional(kind: type) -> Any:
    return lambda v: v is None or type(v) is kind


def _list_of(kind: type) -> Any:
    return lambda v: type(v) is list and all(type(x) is kind for x in v)


def _edges(v: Any) -> bool:
    return type(v) is list and all(type(e) is tuple and len(e) == 2 and type(e[0]) is int
                                   and type(e[1]) is int for e in v)


#: per class, per field: does a value already have the field's type (strict: no bool for an
#: int, a tuple for an edge)? ``default`` (any JSON) is not listed: it is always validated
_CONFORMS: dict[type[BaseModel], dict[str, Any]] = {
    Label: {"name": lambda v: type(v) is str, "id": _optional(int), "parent": _optional(str),
            "keypoints": _list_of(str), "skeleton": _edges,
            "attributes": _list_of(AttributeSpec),
            "extras": lambda v: type(v) is dict and all(type(k) is str for k in v)},
    AttributeSpec: {"name": lambda v: type(v) is str, "values": _list_of(str),
                    "input_type": lambda v: v in ("text", "number", "checkbox", "select",
                                                  "radio") and type(v) is str,
                    "mutable": lambda v: type(v) is bool},
}


def defaults_of(cls: type[BaseModel]) -> dict[str, Any]:
    """The immutable defaults of ``cls`` (None, 0.0, the ``type`` tag), safe to reuse.

    Fields with a default factory (dicts, lists) are left out on purpose: a dict spread from a
    cached copy would be shared by every model built from it; :func:`trusted` adds them fresh.
    """
    return {name: field.default for name, field in cls.model_fields.items()
            if not field.is_required() and field.default_factory is None}
