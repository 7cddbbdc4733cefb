"""Reading CVAT XML (images 1.1 and video 1.1) into the IR; see the package docstring."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from pydantic import JsonValue

from annoformat import sourcemap
from annoformat._io import ReadAborted, is_safe_relative
from annoformat._xml import doctype_line, doctype_of, pull_parser, syntax_error
from annoformat.checks import check_box, check_flat_points
from annoformat.diagnostics import Report
from annoformat.formats._seen import SeenKeys
from annoformat.formats.cvat._common import (
    ORIGINS,
    RING,
    RING_GROUP,
    SOURCES,
    fit_meta,
    subset_read,
)
from annoformat.formats.cvat._meta import (
    MetaReader,
    find_labels,
    line_of,
    parse_number,
    sublabel_specs,
    tight_box,
    to_tree,
    typed_value,
)
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
    RotatedBBox,
    Tag,
    VideoFrame,
    defaults_of,
    trusted,
)
from annoformat.schemas import compiled_xsd

if TYPE_CHECKING:  # lxml loads when a file is read, not when discovery imports this
    from lxml import etree

SCHEMAS = {"images": "cvat-images-1.1.xsd", "video": "cvat-video-1.1.xsd"}
#: most frames a video task may declare (start..stop by step) before AF920 refuses it
MAX_FRAMES = 10_000_000
_PATTERN_NOISE = re.compile(r"\[facet 'pattern'\] The value '(.*)' is not accepted by the "
                            r"pattern '.*'\.?$", re.DOTALL)
_CUBOID = ("xtl1", "ytl1", "xbl1", "ybl1", "xtr1", "ytr1", "xbr1", "ybr1",
           "xtl2", "ytl2", "xbl2", "ybl2", "xtr2", "ytr2", "xbr2", "ybr2")
_MIN_POINTS = {"polygon": 3, "polyline": 2, "points": 1}
_BASES = {cls: defaults_of(cls) for cls in (BBox, RotatedBBox, Polygon, Polyline, Points,
                                           Keypoints, Mask, Ellipse, Tag)}


def _points(text: str) -> list[float]:
    return list(map(float, text.replace(";", ",").split(",")))


#: the keys of an annotation's field dict in the order the general path makes them (defaults,
#: then the shared fields, then the geometry): the fast path fills a copy in place
_COMMON = ("label", "group", "track_id", "origin", "occluded", "z_order", "attributes", "extras")
_TEMPLATES = {cls: {**_BASES[cls], **dict.fromkeys(_COMMON), **dict.fromkeys(geo)}
              for cls, geo in ((BBox, ("x", "y", "w", "h")), (Polygon, ("rings",)),
                               (Polyline, ("points",)), (Points, ("points",)),
                               (Ellipse, ("cx", "cy", "rx", "ry", "rotation")), (Tag, ()))}
_SLOW = object()  # the fast path's "not mine": the general path reads the shape (and reports)


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "1"


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def schema_message(message: str) -> str:
    """libxml2's schema message without the (long, unreadable) regular expression."""
    return _PATTERN_NOISE.sub(r"the value '\1' is not in CVAT's syntax (numbers like 12.5, "
                              r"points like x1,y1;x2,y2, mask runs like 3, 4, 1)", message)


class _Pointer:
    """An element's XPath as libxml2 writes it (``/annotations/image[3]/box[2]``), finished once
    the whole file is read: the step under the root is numbered only when the root has another
    child of that name, and that child may come later in the file."""

    __slots__ = ("ordinal", "rest", "tag")

    def __init__(self, tag: str | None, ordinal: int = 0, rest: str = "") -> None:
        self.tag, self.ordinal, self.rest = tag, ordinal, rest

    def render(self, root: str, counts: dict[str, int]) -> str:
        if self.tag is None:
            return f"/{root}"
        step = self.tag if counts.get(self.tag, 0) < 2 else f"{self.tag}[{self.ordinal}]"
        return f"/{root}/{step}" + (f"/{self.rest}" if self.rest else "")


class _Pending:
    """Diagnostics held until the file is read (a syntax or schema error found later replaces
    them, as when the whole file was parsed first); pointers are :class:`_Pointer`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def add(self, code: str, **ctx: Any) -> None:
        self.calls.append((code, ctx))


class ImageRead(NamedTuple):
    """One ``<image>`` read on its own: the item, and what :meth:`Reader._merge` needs to add
    it in file order (its key for the repeated-id check, its findings, cuboids, and where each
    annotation is when origins are recorded). Picklable."""

    key: tuple[str | None, str]
    image_id: str
    line: int | None
    ordinal: int
    item: Item
    calls: list[tuple[str, dict[str, Any]]]
    origins: list[tuple[int | None, _Pointer]] | None
    cuboids: list[int]


#: the root's children that end a step of the streaming read
_TOP = ("annotations", "version", "meta", "image", "track")
_RANK = {None: 0, "version": 1, "meta": 2, "item": 3}
_HEAD = 1 << 16
#: root children read per drain: runs of images among them are checked as one document
_BATCH = 256


class Reader:
    """One CVAT XML file into one Dataset, read as a stream.

    The root's children are taken one at a time as the parser finishes them (``<meta>``, then
    each ``<image>`` or ``<track>``): moved out of the document into a small one of their own,
    checked against the XSD there (a copy of the root holding the child, behind a stand-in for
    what came before it, so libxml2 sees the same content model and says the same), turned into
    IR, and dropped. :meth:`iter_stream` hands the items over a batch at a time, so memory is
    one chunk of bytes and one batch (a video's frames wait for its last track: a frame holds
    every track's shape), plus a hash and a line per image (AF203) and the findings, which are
    recorded at the end; :meth:`read_stream` collects them. What the whole-file
    read said is said again: a syntax error anywhere is AF020 alone, schema errors are AF101
    alone (with libxml2's lines, XPaths and messages), else the semantic findings in file order.

    Speed: the children are drained every ``_BATCH`` of them, and a run of images is checked
    as one small document (one libxml2 call, not one per image; an error sends the run through
    the one-by-one check, which says where). Each image is read on its own into an
    :class:`ImageRead` and merged in file order (:meth:`_merge`). Usual shapes take
    :meth:`_fast`. (Reading runs of images in a process pool was measured and did not pay:
    benchmarks/README.md, "CVAT read with --jobs".)
    """

    def __init__(self, path: str, report: Report) -> None:
        self.path = path
        self.out = report
        self.report = _Pending()
        self.labels: dict[str, Label] = {}
        self.specs: dict[str, dict[str, AttributeSpec]] = {}
        self.element_specs: dict[str, dict[str, dict[str, AttributeSpec]]] = {}
        self.flavour = "images"
        self.cuboids: list[int] = []
        # (line, XPath) of each annotation's element, only when a source map is recording
        self.origins: dict[int, tuple[int | None, _Pointer]] | None = (
            {} if sourcemap.current() is not None else None)
        # the document as it streams by
        self.counts: dict[str, int] = {}  # the root's children by tag (XPath numbering)
        self.current: tuple[etree._Element, str, int] | None = None  # child being read
        self._steps: dict[etree._Element, dict[etree._Element, str]] = {}
        self.root_tag = "annotations"
        self.root_line: int | None = None
        self.doctype: str | None = None
        self.root_checked = False
        # schema: libxml2's errors, the content model's state, the flavour seen so far
        self.errors: list[tuple[int, _Pointer, str]] = []
        self.state: str | None = None
        self.unexpected: tuple[str | None, str, int, int] | None = None  # state, tag, line, #
        self.tentative: str | None = None
        self.first_image: tuple[int, str | None, int, int] | None = None
        self.has_track = self.has_image = False
        self.mode: str | None = None
        # what the IR is made of
        self.version: tuple[str | None, int | None] | None = None
        self.meta: etree._Element | None = None
        self.meta_report = _Pending()
        self.extras: dict[str, Any] = {}
        self.label_list: list[Label] = []
        # read images not yet handed over (see iter_stream), and what stays of those that were:
        # a hash per (subset, id) with its line (AF203: 32 bytes), the subsets in first-seen order,
        # each image's annotation origins only while a source map records them
        self.ready: list[Item] = []
        self.first = SeenKeys()
        self.subsets: dict[str | None, None] = {}
        self.image_origins: list[list[tuple[int | None, _Pointer]]] = []
        self.result: Dataset | None = None
        self.implied: str | None = None
        self.video: _Video | None = None

    def _at(self, el: etree._Element) -> dict[str, Any]:
        """Location of an element: file, line and XPath."""
        return {"path": self.path, "line": self._line(el), "pointer": self._pointer(el)}

    def _line(self, el: etree._Element) -> int | None:
        """The element's line in the file."""
        return line_of(el)

    def _pointer(self, el: etree._Element) -> _Pointer:
        assert self.current is not None
        top, tag, ordinal = self.current
        steps = []
        while el is not top:
            parent = el.getparent()
            assert parent is not None
            steps.append(self._step(parent, el))
            el = parent
        return _Pointer(tag, ordinal, "/".join(reversed(steps)))

    def _step(self, parent: etree._Element, el: etree._Element) -> str:
        """``el``'s step under ``parent``: numbered among same-named siblings when it has any
        (one table per parent, so a thousand shapes with findings cost one pass)."""
        table = self._steps.get(parent)
        if table is None:
            tags = [c.tag for c in parent]
            total: dict[Any, int] = {}
            for t in tags:
                total[t] = total.get(t, 0) + 1
            seen: dict[Any, int] = {}
            table = {}
            for c in parent:
                if isinstance(c.tag, str):
                    seen[c.tag] = seen.get(c.tag, 0) + 1
                    table[c] = c.tag if total[c.tag] == 1 else f"{c.tag}[{seen[c.tag]}]"
            self._steps[parent] = table
        return table[el]

    # -- document ------------------------------------------------------------------------
    def read(self, data: bytes, chunk: int = 1 << 20) -> Dataset | None:
        """Read the file's bytes (all in memory already; see :meth:`read_stream`)."""
        return self.read_stream(data[i:i + chunk] for i in range(0, max(len(data), 1), chunk))

    def read_stream(self, chunks: Iterable[bytes]) -> Dataset | None:
        """Read the file from its bytes in chunks; None when it cannot be used (the report
        says why). Running out of memory is AF905, naming the file."""
        items = list(self.iter_stream(chunks))
        if self.result is not None:
            self.result.items = items
        return self.result

    def iter_stream(self, chunks: Iterable[bytes]) -> Iterator[Item]:
        """The items as the file's bytes arrive in chunks (images as they are read; a video's
        frames once its last track is, since each frame gathers every track's shape), then
        :attr:`result`: the Dataset without its items, or None when the file cannot be used
        (the report says why; items handed over before that are not the file's). The
        findings are recorded at the end, as :meth:`read_stream` records them."""
        self.result = None
        try:
            yield from self._stream(chunks)
        except MemoryError:
            self.ready, self.report, self.errors = [], _Pending(), []
            self.out.add("AF905", path=self.path, detail="")
            self.result = None

    def _take(self) -> Iterator[Item]:
        ready, self.ready = self.ready, []
        yield from ready

    def _stream(self, chunks: Iterable[bytes]) -> Iterator[Item]:
        from lxml import etree

        parser = pull_parser(_TOP)
        etree.clear_error_log()  # so that this parse's first error is the log's first
        chunks = iter(chunks)
        head = b""  # the file's start, read before parsing (what the DOCTYPE findings need)
        root: etree._Element | None = None
        try:
            for chunk in chunks:
                head += chunk
                if len(head) >= _HEAD:
                    break
            ended = 0  # children of the root finished since the last drain
            for chunk in itertools.chain((head,), chunks):
                parser.feed(chunk)
                for _, el in _events(parser):
                    if root is None:
                        root = self._begin(el)
                    if el.getparent() is root:
                        ended += 1
                        if ended >= _BATCH:
                            self._drain(root, el)
                            ended = 0
                            yield from self._take()  # one batch: bounded however big a chunk
            last = parser.close()
            for _, el in _events(parser):
                if root is None:
                    root = self._begin(el)
            if root is None:
                root = self._begin(last)
        except etree.XMLSyntaxError as exc:
            syntax_error(exc, head, self.path, self.out, streamed=True)
            return
        except ReadAborted:
            return
        self._drain(root, None)
        yield from self._take()
        if self.doctype is not None:
            self.out.add("AF021", path=self.path, line=doctype_line(head),
                         reason=f"document declares {self.doctype}")
            return
        self._check_root(root)
        self._schema_verdict()
        if self.errors:
            counts = self.counts
            for line, pointer, message in self.errors:
                self.out.add("AF101", path=self.path, line=line,
                             pointer=pointer.render(self.root_tag, counts) or None,
                             reason=schema_message(message))
            return
        self.result = self._finish()
        yield from self._take()

    def _begin(self, el: etree._Element) -> etree._Element:
        root = el.getroottree().getroot()
        self.doctype = doctype_of(root)
        self.root_tag, self.root_line = str(root.tag), line_of(root)
        return root

    def _drain(self, root: etree._Element, upto: etree._Element | None) -> None:
        """Read and drop the root's children before ``upto`` (all of them when None): each is
        complete, and so is the text after it, once the parser has finished ``upto``."""
        self._check_root(root)
        batch: list[etree._Element] = []
        wrapper = None
        while True:
            child = next(iter(root), None)
            if child is None or child is upto:
                break
            if (child.tag == "image" and self.state == "item" and self.tentative == "images"
                    and not self.errors and self.unexpected is None):
                if wrapper is None:
                    wrapper = self._wrapper("item", "images")
                wrapper.append(child)  # out of the document, as _child does
                batch.append(child)
                continue
            if wrapper is not None:
                self._images(wrapper, batch)
                batch, wrapper = [], None
            self._child(child)
        if wrapper is not None:
            self._images(wrapper, batch)

    def _wrapper(self, state: str | None, flavour: str) -> etree._Element:
        """A root holding a stand-in for the children before (see :func:`_stub`)."""
        from lxml import etree

        wrapper = etree.Element("annotations")
        _set_line(wrapper, self.root_line)
        _stub(wrapper, state, flavour)
        return wrapper

    def _images(self, wrapper: etree._Element, batch: list[etree._Element]) -> None:
        """Images that follow images, checked against the XSD in one document (behind a
        stand-in image) and read; when that finds an error, each goes through :meth:`_child`
        instead, which says what the one-by-one check says."""
        start = self.counts.get("image", 0) + 1
        if compiled_xsd(SCHEMAS["images"]).validate(wrapper):
            done = [self._read_image(el, start + i) for i, el in enumerate(batch)]
        else:
            done = None
        if done is None:
            for el in batch:
                self._child(el)
            return
        self.counts["image"] = start + len(batch) - 1
        self.has_image = True
        self.flavour = "images"
        for one in done:
            self._merge(one)
        self.current = None
        self._steps = {}

    def _check_root(self, root: etree._Element) -> None:
        """The root's own attributes and text, checked once (before its first child)."""
        from lxml import etree

        if self.root_checked:
            return
        self.root_checked = True
        if self.doctype is not None:
            return
        copy = etree.Element(root.tag, attrib={str(k): str(v) for k, v in root.attrib.items()})
        copy.text = root.text
        _set_line(copy, self.root_line)
        self._validate(copy, None, 0, compiled_xsd(SCHEMAS["images"]))
        if root.tag != "annotations":  # libxml2 goes no further
            self.unexpected = None
            self.state = "root"

    def _child(self, el: etree._Element) -> None:
        """One child of the root: counted, checked, read into the IR, dropped."""
        from lxml import etree

        tag = el.tag
        ordinal = 0
        if isinstance(tag, str):
            ordinal = self.counts[tag] = self.counts.get(tag, 0) + 1
            if tag == "track":
                self.has_track = True
            elif tag == "image":
                self.has_image = True
            elif tag == "meta" and self.mode is None:
                self.mode = _mode_of(el)
        if self.doctype is not None or self.state == "root" or self.unexpected is not None:
            el.getparent().remove(el)  # type: ignore[union-attr]
            return
        wrapper = etree.Element("annotations")
        _set_line(wrapper, self.root_line)
        if not isinstance(tag, str):  # a comment or processing instruction: its tail only
            wrapper.append(el)
            if el.tail and el.tail.strip():
                self._validate(wrapper, None, 0, compiled_xsd(SCHEMAS[self.tentative or "images"]))
            return
        kind = {"version": "version", "meta": "meta", "image": "item",
                "track": "item"}.get(tag)
        if kind == "item":
            flavour = "images" if tag == "image" else "video"
            if self.tentative is None:
                self.tentative = flavour
                if flavour == "images":
                    self.first_image = (len(self.errors), self.state, line_of(el) or 0,
                                        ordinal)
            elif self.tentative != flavour:
                kind = None  # an image among tracks; a track after images: settled at the end
        if kind is None or (kind != "item" and _RANK[kind] <= _RANK[self.state]):
            self.unexpected = (self.state, tag, line_of(el) or 0, ordinal)
            el.getparent().remove(el)  # type: ignore[union-attr]
            return
        _stub(wrapper, self.state, self.tentative or "images")
        wrapper.append(el)
        self.state = kind
        self.current = (el, tag, ordinal)
        self._steps = {}
        self._validate(wrapper, tag, ordinal, compiled_xsd(SCHEMAS[self.tentative or "images"]))
        if self.errors:
            return
        if kind == "version":
            if self.version is None:
                self.version = ((el.text or "").strip(), line_of(el))
        elif kind == "meta":
            self._meta(el)
        elif tag == "image":
            self.flavour = "images"
            self._image(el)
        else:
            self.flavour = "video"
            if self.video is None:
                self.video = _Video(self, self.meta)
            self._track(el)
        self.current = None
        self._steps = {}

    def _validate(self, doc: etree._Element, tag: str | None, ordinal: int,
                  schema: etree.XMLSchema) -> None:
        """libxml2's errors for ``doc``, their XPaths made the real document's."""
        if schema.validate(doc):
            return
        for err in cast(Any, schema.error_log):
            parts = (err.path or "").split("/", 3)
            rest = parts[3] if len(parts) > 3 else ""
            pointer = _Pointer(tag if len(parts) > 2 else None, ordinal, rest)
            self.errors.append((err.line, pointer, err.message))

    def _schema_verdict(self) -> None:
        """The error that ends the root's content model, once the flavour is known: video when
        the file has a track (then its first image, if it came first, is where it went wrong),
        images when it has an image, else its task's mode."""
        from lxml import etree

        final = "video" if self.has_track else "images" if self.has_image else (
            "video" if self.mode == "interpolation" else "images")
        if final == "video" and self.tentative == "images" and self.first_image is not None:
            cut, state, line, ordinal = self.first_image
            del self.errors[cut:]
            self.unexpected = (state, "image", line, ordinal)
        self.flavour = final
        if self.unexpected is None:
            return
        state, tag, line, ordinal = self.unexpected
        wrapper = etree.Element("annotations")
        _stub(wrapper, state, final)
        stand_in = etree.SubElement(wrapper, tag)
        _set_line(stand_in, line)
        schema = compiled_xsd(SCHEMAS[final])
        schema.validate(wrapper)
        for err in cast(Any, schema.error_log):  # the first is the one: libxml2 stops there
            self.errors.append((line or err.line, _Pointer(tag, ordinal), err.message))
            break

    def _meta(self, meta: etree._Element) -> None:
        if self.meta is not None:
            return
        self.meta = meta
        labels_el = find_labels(meta)
        if labels_el is not None:
            meta_reader = MetaReader(self.path, cast(Report, self.meta_report))
            self.label_list = meta_reader.labels(labels_el)
        self.extras["meta"] = to_tree(meta, labels_el)
        for label in self.label_list:
            self.labels[label.name] = label
            self.specs[label.name] = {s.name: s for s in label.attributes}
            if label.keypoints:
                self.element_specs[label.name] = sublabel_specs(label)
        # a task names its subset once, in its meta (CVAT writes "default" for none); a
        # project's images name theirs
        self.implied = subset_read(meta.findtext("task/subset"))

    def _finish(self) -> Dataset:
        """The Dataset without its items (a video's frames made ready), and the findings in
        the order of the whole-file read."""
        report, path = self.out, self.path
        extras: dict[str, Any] = {"flavour": self.flavour}
        version = self.version
        if version is None or version[0] != "1.1":
            report.add("AF042", path=path, line=self.root_line if version is None
                       else version[1], version=None if version is None else version[0])
            extras["version"] = None if version is None else version[0]
        extras["meta"] = self.extras.get("meta")
        if self.flavour == "video":
            if self.video is None:
                self.video = _Video(self, self.meta)
            self.ready = self.video.items(extras)
        else:  # the meta as the writer would write it for these subsets (nothing dropped)
            extras["meta"] = fit_meta(extras["meta"], list(self.subsets))
        counts, root = self.counts, self.root_tag
        for code, ctx in self.meta_report.calls + self.report.calls:
            pointer = ctx.get("pointer")
            if isinstance(pointer, _Pointer):
                ctx["pointer"] = pointer.render(root, counts)
            report.add(code, **ctx)
        if self.cuboids:
            report.add("AF343", path=path, line=self.cuboids[0], count=len(self.cuboids))
        if self.origins is not None:
            if self.flavour == "video":
                for index, item in enumerate(self.ready):
                    self._record(index, item)
            else:
                for index, rows in enumerate(self.image_origins):
                    self._record_rows(index, rows)
        return trusted(Dataset, {"labels": self.label_list, "items": [], "info": {},
                                 "extras": {"cvat": extras}})

    # -- images 1.1 ----------------------------------------------------------------------
    def _record(self, index: int, item: Item) -> None:
        """Tell the active source map (project rules) where the item's annotations are."""
        sm = sourcemap.current()
        if sm is None or self.origins is None:
            return
        sm.item(index, self.path)
        counts, root = self.counts, self.root_tag
        for j, ann in enumerate(item.annotations):
            line, pointer = self.origins.get(id(ann), (None, None))
            sm.annotation(index, j, self.path, line=line,
                          pointer=None if pointer is None else pointer.render(root, counts))

    def _record_rows(self, index: int, rows: list[tuple[int | None, _Pointer]]) -> None:
        """:meth:`_record` for an image handed over already: its annotations' origins."""
        sm = sourcemap.current()
        if sm is None:
            return
        sm.item(index, self.path)
        counts, root = self.counts, self.root_tag
        for j, (line, pointer) in enumerate(rows):
            sm.annotation(index, j, self.path, line=line, pointer=pointer.render(root, counts))

    def _image(self, image: etree._Element) -> None:
        assert self.current is not None
        self._merge(self._read_image(image, self.current[2]))

    def _merge(self, done: ImageRead) -> None:
        """An image read on its own (here or in another process) added to the dataset in file
        order: a repeated id is AF203 and the image is dropped with what it said."""
        first = self.first.first(done.key, done.line or 0)
        if first is not None:
            self.report.add("AF203", path=self.path, line=done.line,
                            pointer=_Pointer("image", done.ordinal), image_id=done.image_id,
                            item_id=done.key[1], first=f"line {first}")
            return
        self.report.calls += done.calls
        self.cuboids += done.cuboids
        self.ready.append(done.item)
        self.subsets[done.item.subset] = None
        if self.origins is not None and done.origins is not None:
            self.image_origins.append(done.origins)

    def _read_image(self, image: etree._Element, ordinal: int) -> ImageRead:
        """One ``<image>`` read without the images before it (its id is not checked against
        theirs: :meth:`_merge` does that), its findings and cuboids kept apart."""
        report, cuboids, origins = self.report, self.cuboids, self.origins
        self.report, self.cuboids = _Pending(), []
        self.origins = None if origins is None else {}
        self.current, self._steps = (image, "image", ordinal), {}
        try:
            item = self._image_item(image)
            mine = self.origins
            return ImageRead(
                key=(item.subset, item.id), image_id=str(image.get("id")),
                line=self._line(image), ordinal=ordinal, item=item, calls=self.report.calls,
                origins=None if mine is None else [mine[id(a)] for a in item.annotations],
                cuboids=self.cuboids)
        finally:
            self.report, self.cuboids, self.origins = report, cuboids, origins

    def _image_item(self, image: etree._Element) -> Item:
        attrib = image.attrib
        iid = attrib["id"]
        subset = subset_read(str(attrib["subset"])) if "subset" in attrib else self.implied
        key = (subset, str(int(iid)))
        name = str(attrib["name"])
        if not is_safe_relative(name):
            self.report.add("AF016", **self._at(image), value=name, item_id=key[1])
        width, height = _int(attrib.get("width")), _int(attrib.get("height"))
        if not width or not height:
            self.report.add("AF308", **self._at(image), item_id=key[1],
                            width=width, height=height)
        media = trusted(Image, {"kind": "image", "path": name, "width": width,
                                "height": height})
        extras: dict[str, Any] = {}
        if "task_id" in attrib:
            extras["task_id"] = attrib["task_id"]
        anns: list[Any] = []
        joined: list[tuple[Polygon, bool]] = []  # multi-ring polygons; group added?
        fast, origins, item_id = self._fast, self.origins, key[1]
        nth: dict[str, int] = {}  # each tag's count so far (XPath steps, when recorded)
        for el in image:
            tag = el.tag
            if not isinstance(tag, str):
                continue
            if origins is not None:
                nth[tag] = nth.get(tag, 0) + 1
            ann = fast(el, tag, width, height, item_id)
            if ann is _SLOW:
                ann = self._shape(el, tag, el.get("label", ""), item_id, width, height, None)
            if ann is None:
                continue
            if tag == "polygon" and el.get(RING) is not None and _join(anns, joined, ann, el):
                continue
            anns.append(ann)
            if origins is not None:
                origins[id(ann)] = (self._line(el), _Pointer(tag, nth[tag]))  # a step, for now
        if origins is not None:  # the steps numbered as libxml2 does, the image's count known
            assert self.current is not None
            ordinal = self.current[2]
            for ann in anns:
                line, step = origins[id(ann)]
                tag = cast(str, step.tag)
                origins[id(ann)] = (line, _Pointer("image", ordinal, tag if nth[tag] < 2
                                                   else f"{tag}[{step.ordinal}]"))
        for polygon, added in joined:
            if added and len(polygon.rings) > 1:
                polygon.group = None
        return trusted(Item, {"id": key[1], "subset": subset, "media": media,
                              "annotations": anns, "attributes": {},
                              "extras": {"cvat": extras} if extras else {}})

    # -- shapes --------------------------------------------------------------------------
    def _fast(self, el: etree._Element, tag: str, width: int | None, height: int | None,
              item_id: str) -> Any:
        """An image's shape as :meth:`_shape` reads it, for the usual case only (a box,
        polygon, polyline, points, ellipse or tag of a declared label with no geometry
        finding): one dict filled in place, no intermediate ones. Anything else is
        ``_SLOW``, decided before any diagnostic is recorded, so the general path says all."""
        get = el.get
        label = get("label")
        if tag == "box":
            rotation = get("rotation")
            if rotation is not None and float(rotation):
                return _SLOW
            x, y = float(get("xtl")), float(get("ytl"))  # type: ignore[arg-type]
            w, h = float(get("xbr")) - x, float(get("ybr")) - y  # type: ignore[arg-type]
            if (w <= 0 or h <= 0 or x < 0 or y < 0 or (width and x + w > width)
                    or (height and y + h > height)):
                return _SLOW
            cls: type[Any] = BBox
        elif tag == "polygon" or tag == "polyline" or tag == "points":
            pts = _points(get("points", ""))
            if len(pts) < 2 * _MIN_POINTS[tag]:
                return _SLOW
            cls = Polygon if tag == "polygon" else Polyline if tag == "polyline" else Points
        elif tag == "ellipse":
            rx, ry = float(get("rx")), float(get("ry"))  # type: ignore[arg-type]
            if not (rx > 0 and ry > 0):
                return _SLOW
            cls = Ellipse
        elif tag != "tag":
            return _SLOW
        else:
            cls = Tag
        if not label or label not in self.labels:
            return _SLOW
        source = get("source")
        origin = ORIGINS.get(source, "unknown") if source else "unknown"
        fields = _TEMPLATES[cls].copy()
        fields["label"] = label
        group, occluded, z_order = get("group_id"), get("occluded"), get("z_order")
        if group is not None:
            fields["group"] = int(group)
        fields["origin"] = origin
        if occluded is not None:
            fields["occluded"] = occluded == "1"
        if z_order is not None:
            fields["z_order"] = int(z_order)
        if len(el):
            common: dict[str, Any] = {}
            fields["attributes"] = self._attributes(el, self.specs[label], item_id, common)
            if common:
                fields["track_id"] = common["track_id"]
        else:
            fields["attributes"] = {}
        fields["extras"] = {} if source == SOURCES[origin] else {"cvat": {"source": source}}
        if cls is BBox:
            fields["x"], fields["y"], fields["w"], fields["h"] = x, y, w, h
        elif cls is Polygon:
            fields["rings"] = [pts]
        elif cls is Ellipse:
            fields["cx"], fields["cy"] = float(get("cx")), float(get("cy"))  # type: ignore[arg-type]
            fields["rx"], fields["ry"] = rx, ry
            fields["rotation"] = float(get("rotation", "0"))
        elif cls is not Tag:
            fields["points"] = pts
        return trusted(cls, fields)

    def _shape(self, el: etree._Element, tag: str, label: str, item_id: str,
               width: int | None, height: int | None, track: dict[str, Any] | None) -> Any:
        """One shape element as an IR annotation (None, with a diagnostic, when unusable)."""
        report = self.report
        if not label and tag == "skeleton":  # its points are named by its label's sublabels
            report.add("AF224", **self._at(el), item_id=item_id, label="", element="*",
                       reason="a skeleton without a label has no sublabels to name its points")
            return None
        if not label:
            if track is None:
                report.add("AF227", **self._at(el), item_id=item_id, where=f"<{tag}>")
        elif label not in self.labels:
            report.add("AF208", **self._at(el), item_id=item_id, label=label)
            return None
        attrib = el.attrib
        get = el.get
        extras: dict[str, Any] = {}
        if track is None:
            source = get("source")
            group = get("group_id")
            common: dict[str, Any] = {
                "label": label or None, "group": None if group is None else int(group),
                "track_id": None}
        else:
            source = track["source"]
            common = {"label": label or None, "group": track["group"], "track_id": track["id"]}
            if track["other"]:
                extras["track"] = track["other"]
            if get("keyframe") == "0":
                extras["keyframe"] = False
        origin = common["origin"] = ORIGINS.get(source, "unknown") if source else "unknown"
        if source != SOURCES[origin]:  # the origin's own source is what the writer writes
            extras["source"] = source
        occluded, z_order = get("occluded"), get("z_order")
        common["occluded"] = None if occluded is None else occluded == "1"
        common["z_order"] = None if z_order is None else int(z_order)
        if tag == "skeleton":
            return self._skeleton(el, common, extras, item_id, track)
        specs = self.specs.get(label, {})
        common["attributes"] = self._attributes(el, specs, item_id, common) if len(el) else {}
        findings: list[Any] = []
        if tag == "box":
            x, y = float(get("xtl", "")), float(get("ytl", ""))
            w, h = float(get("xbr", "")) - x, float(get("ybr", "")) - y
            rotation = float(get("rotation", "0"))
            if rotation:
                cls: type[Any] = RotatedBBox
                geo: dict[str, Any] = {"x": x, "y": y, "w": w, "h": h, "rotation": rotation}
                if w <= 0 or h <= 0:
                    findings = check_box(x, y, w, h, None, None)
            else:
                cls, geo = BBox, {"x": x, "y": y, "w": w, "h": h}
                if (w <= 0 or h <= 0 or x < 0 or y < 0 or (width and x + w > width)
                        or (height and y + h > height)):
                    findings = check_box(x, y, w, h, width, height)
        elif tag in _MIN_POINTS:
            pts = _points(get("points", ""))
            if len(pts) < 2 * _MIN_POINTS[tag]:
                findings = check_flat_points(pts, "", _MIN_POINTS[tag])
            if tag == "polygon":
                cls, geo = Polygon, {"rings": [pts]}
            elif tag == "polyline":
                cls, geo = Polyline, {"points": pts}
            else:
                cls, geo = Points, {"points": pts}
        elif tag == "ellipse":
            cls = Ellipse
            geo = {k: float(attrib[k]) for k in ("cx", "cy", "rx", "ry")}
            geo["rotation"] = float(attrib.get("rotation", "0"))
            findings = [] if geo["rx"] > 0 and geo["ry"] > 0 else [
                check_box(0, 0, 2 * geo["rx"], 2 * geo["ry"], None, None)[0]]
        elif tag == "mask":
            return self._mask(el, common, extras, item_id, width, height)
        elif tag == "cuboid":
            self.cuboids.append(self._line(el) or 0)
            extras["cuboid"] = True
            cls, geo = Points, {"points": [float(attrib[k]) for k in _CUBOID]}
        else:  # tag
            cls, geo = Tag, {}
        for f in findings:
            report.add(f.code, **self._at(el), item_id=item_id, **f.ctx)
            if f.code != "AF301":
                return None
        common["extras"] = {"cvat": extras} if extras else {}
        return trusted(cls, {**_BASES[cls], **common, **geo})

    def _attributes(self, el: etree._Element, specs: dict[str, AttributeSpec], item_id: str,
                    common: dict[str, Any] | None) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {}
        if not len(el):
            return out
        for child in el.iterchildren("attribute"):
            name = child.get("name", "")
            text = child.text or ""
            if name in out:
                self.report.add("AF223", **self._at(child), item_id=item_id,
                                name=name)
                continue
            spec = specs.get(name)
            if spec is None:
                if (name == "track_id" and common is not None and self.flavour == "images"
                        and isinstance(parse_number(text), int)):
                    common["track_id"] = int(text)
                    continue
                self.report.add("AF221", **self._at(child),
                                item_id=item_id, name=name, label=el.get("label"))
                out[name] = text
                continue
            value, problem = typed_value(spec, text)
            if problem:
                self.report.add("AF222", **self._at(child),
                                item_id=item_id, name=name, value=text, reason=problem)
            out[name] = value
        return out

    def _mask(self, el: etree._Element, common: dict[str, Any], extras: dict[str, Any],
              item_id: str, width: int | None, height: int | None) -> Mask | None:
        report = self.report
        attrib = el.attrib
        left, top = int(attrib["left"]), int(attrib["top"])
        mw, mh = int(attrib["width"]), int(attrib["height"])
        if not width or not height:
            report.add("AF341", **self._at(el), item_id=item_id)
            return None
        if left + mw > width or top + mh > height or not mw or not mh:
            report.add("AF340", **self._at(el), item_id=item_id, left=left, top=top,
                       mask_width=mw, mask_height=mh, width=width, height=height)
            return None
        import numpy as np  # numpy + pycocotools only when a file has masks (hook start-up)

        from annoformat import masks

        runs = np.array([int(v) for v in str(attrib["rle"]).split(",")], dtype=np.int64)
        if int(runs.sum()) != mw * mh:
            report.add("AF307", **self._at(el), item_id=item_id,
                       reason=f"runs add up to {int(runs.sum())} pixels, not "
                       f"{mw}x{mh} = {mw * mh}")
            return None
        values = np.arange(len(runs), dtype=np.int64) % 2
        crop = np.repeat(values.astype(np.uint8), runs).reshape(mh, mw)
        full = np.zeros((height, width), dtype=np.uint8)
        full[top:top + mh, left:left + mw] = crop
        if tight_box(crop, left, top) != [left, top, mw, mh]:
            extras["box"] = [left, top, mw, mh]
        common["extras"] = {"cvat": extras} if extras else {}
        return trusted(Mask, {**_BASES[Mask], **common, "counts": masks.encode(full),
                              "height": height, "width": width})

    def _skeleton(self, el: etree._Element, common: dict[str, Any], extras: dict[str, Any],
                  item_id: str, track: dict[str, Any] | None) -> Keypoints | None:
        label = self.labels[common["label"]]
        names = label.keypoints
        element_specs = self.element_specs.get(label.name, {})
        points = [0.0] * (2 * len(names))
        vis = [0] * len(names)
        seen: set[str] = set()
        elements: dict[str, dict[str, Any]] = {}
        parent_source = extras.get("source", SOURCES[common["origin"]]) if track is None else None
        parent_key = extras.get("keyframe", True)
        for child in el.iterchildren("points"):
            name = child.get("label", "")
            if name not in names or name in seen:
                self.report.add("AF224", **self._at(child),
                                item_id=item_id, element=name, label=label.name,
                                reason="it is repeated" if name in seen
                                else "it is not one of the skeleton's points")
                return None
            seen.add(name)
            pts = _points(child.get("points", ""))
            if len(pts) != 2:
                self.report.add("AF224", **self._at(child),
                                item_id=item_id, element=name, label=label.name,
                                reason=f"it has {len(pts) // 2} points instead of 1")
                return None
            k = names.index(name)
            points[2 * k], points[2 * k + 1] = pts
            outside = child.get("outside") == "1"
            occluded = child.get("occluded") == "1"
            vis[k] = 0 if outside else 1 if occluded else 2
            entry: dict[str, Any] = {}
            if outside and occluded:
                entry["occluded"] = True
            if child.get("source") != parent_source:
                entry["source"] = child.get("source")
            if track is not None and (child.get("keyframe") == "1") != parent_key:
                entry["keyframe"] = child.get("keyframe") == "1"
            attrs = self._attributes(child, element_specs.get(name, {}), item_id, None)
            if attrs:
                entry["attributes"] = attrs
            if entry:
                elements[name] = entry
        missing = [n for n in names if n not in seen]
        if missing:
            extras["missing"] = missing
        if elements:
            extras["elements"] = elements
        common["attributes"] = self._attributes(el, self.specs[label.name], item_id, common)
        common["extras"] = {"cvat": extras} if extras else {}
        return trusted(Keypoints, {**_BASES[Keypoints], **common, "points": points,
                                   "visibility": vis})

    # -- video 1.1 -----------------------------------------------------------------------
    def _track(self, track_el: etree._Element) -> None:
        video = self.video
        assert video is not None
        if video.off:
            return
        attrib = track_el.attrib
        tid = int(attrib["id"])
        line = line_of(track_el) or 0
        if tid in video.first_track:
            self.report.add("AF225", **self._at(track_el), track_id=tid,
                            first=f"line {video.first_track[tid]}")
            return
        video.first_track[tid] = line
        label = str(attrib["label"])
        if not label:  # said once for the track, not for each of its shapes
            self.report.add("AF227", **self._at(track_el), where="<track>")
        elif label not in self.labels:
            self.report.add("AF208", **self._at(track_el), label=label)
            return
        other = {k: v for k, v in attrib.items()
                 if k not in ("id", "label", "source", "group_id")}
        track = {"id": tid, "source": attrib.get("source"),
                 "group": _int(attrib.get("group_id")), "other": other}
        seen: dict[int, int] = {}
        visible = 0
        frames, outside = video.frames, video.outside
        for el in track_el:
            tag = el.tag
            if not isinstance(tag, str):
                continue
            frame = int(el.get("frame", "0"))
            if frame in seen:
                self.report.add("AF226", **self._at(el), track_id=tid,
                                frame=frame, first=f"line {seen[frame]}")
                continue
            seen[frame] = line_of(el) or 0
            if el.get("outside") == "1":
                outside.setdefault(frame, []).append({"track_id": tid, **raw(el)})
                continue
            ann = self._shape(el, tag, label, str(frame), video.width, video.height, track)
            if ann is not None:
                frames.setdefault(frame, []).append(ann)
                visible += 1
                if self.origins is not None:
                    self.origins[id(ann)] = (line_of(el), self._pointer(el))
        if not visible:
            video.empty_tracks[str(tid)] = raw(track_el, children=False)["attrs"]


class _Video:
    """The frames of a video task as its tracks stream by (see ``Reader._track``)."""

    def __init__(self, reader: Reader, meta: etree._Element | None) -> None:
        task = _video_task(meta)
        self.source = task.get("source", "")
        self.width = _positive(task.get("width"))
        self.height = _positive(task.get("height"))
        self.frames: dict[int, list[Any]] = {}
        self.outside: dict[int, list[Any]] = {}
        self.first_track: dict[int, int] = {}
        self.empty_tracks: dict[str, Any] = {}
        self.off = False
        start, stop = parse_number(task.get("start_frame", "")), parse_number(
            task.get("stop_frame", ""))
        step = _step(task.get("frame_filter", ""))
        if isinstance(start, int) and isinstance(stop, int) and 0 <= start <= stop:
            if (stop - start) // step + 1 > MAX_FRAMES:
                reader.report.add("AF920", path=reader.path,
                                  line=int(task.get("line", "0")) or None,
                                  start=start, stop=stop, step=step, limit=MAX_FRAMES)
                self.off = True
                return
            for f in range(start, stop + 1, step):
                self.frames[f] = []

    def items(self, extras: dict[str, Any]) -> list[Item]:
        if self.off:
            return []
        if self.empty_tracks:
            extras["tracks"] = self.empty_tracks
        items = []
        frames, outside = self.frames, self.outside
        for f in sorted(frames.keys() | outside.keys()):
            media = trusted(VideoFrame, {"kind": "video_frame", "path": self.source, "frame": f,
                                         "width": self.width, "height": self.height})
            item_extras = {"cvat": {"outside": outside[f]}} if f in outside else {}
            items.append(trusted(Item, {"id": str(f), "subset": None, "media": media,
                                        "annotations": frames.get(f, []), "attributes": {},
                                        "extras": item_extras}))
        return items


def _join(anns: list[Any], joined: list[tuple[Polygon, bool]], ann: Polygon,
          el: etree._Element) -> bool:
    """Whether ``ann``, a polygon marked as ring ``i`` of one object, joined that object as its
    ring: only when the previous shape is the object's ring ``i - 1`` (``i`` rings so far) and
    every field but the geometry is the same (label, group_id, attributes, occluded, z_order,
    source, the group_id's origin). Anything else is a polygon of its own."""
    ring, added = el.get(RING, ""), el.get(RING_GROUP) == "added"
    if ring == "0":
        if ann.group is not None:
            joined.append((ann, added))
        return False
    if not joined or not anns or anns[-1] is not joined[-1][0] or joined[-1][1] != added:
        return False
    polygon = joined[-1][0]
    if str(len(polygon.rings)) != ring or ann.group != polygon.group:
        return False
    if any(getattr(ann, f) != getattr(polygon, f) for f in _SAME):
        return False
    polygon.rings.append(ann.rings[0])
    return True


_SAME = ("label", "attributes", "occluded", "z_order", "track_id", "extras")


def raw(el: etree._Element, children: bool = True) -> dict[str, Any]:
    """An element kept verbatim as JSON: tag, attributes (``frame`` aside), text, children."""
    out: dict[str, Any] = {"tag": el.tag,
                           "attrs": {k: v for k, v in el.attrib.items() if k != "frame"}}
    if el.text and el.text.strip():
        out["text"] = el.text
    if children:
        kids = [raw(c) for c in el if isinstance(c.tag, str)]
        if kids:
            out["children"] = kids
    return out


def _events(parser: etree.XMLPullParser) -> Iterator[tuple[str, etree._Element]]:
    """The parser's events so far (lxml-stubs type them loosely)."""
    events: Any = parser.read_events()
    return cast("Iterator[tuple[str, etree._Element]]", events)


def _mode_of(meta: etree._Element) -> str | None:
    """The task's mode (``annotation`` or ``interpolation``) in a ``<meta>``."""
    mode = meta.find("task/mode")
    if mode is None:
        mode = meta.find("project/tasks/task/mode")
    return None if mode is None else (mode.text or "").strip()


def _set_line(el: etree._Element, line: int | None) -> None:
    """Give a made element the line of the one it stands for: libxml2 keeps a made node's line
    in 16 bits (lxml raises OverflowError past 65,535), so a later line is left unset and the
    error's line is taken from ``line`` itself."""
    if line is not None and 0 < line <= 0xFFFF:
        cast(Any, el).sourceline = line


def _stub(wrapper: etree._Element, state: str | None, flavour: str) -> None:
    """A valid stand-in for the root's children so far: libxml2's content model is then where
    it was in the real file (``state``, the kind of the last child) for the next child."""
    from lxml import etree

    if state == "version":
        etree.SubElement(wrapper, "version")
    elif state == "meta":
        etree.SubElement(wrapper, "meta")
    elif state == "item" and flavour == "video":
        etree.SubElement(wrapper, "track", id="0", label="")
    elif state == "item":
        etree.SubElement(wrapper, "image", id="0", name="")


def _positive(text: str | None) -> int | None:
    value = parse_number(text or "")
    return value if isinstance(value, int) and value > 0 else None


def _step(frame_filter: str) -> int:
    match = re.search(r"step\s*=\s*(\d+)", frame_filter)
    return max(1, int(match.group(1))) if match else 1


def _video_task(meta: etree._Element | None) -> dict[str, str]:
    """start/stop frame, frame filter, original size and source of the (first) task."""
    out: dict[str, str] = {}
    if meta is None:
        return out
    task = meta.find("task")
    if task is None:
        task = meta.find("project/tasks/task")
    if task is None:
        return out
    for key in ("start_frame", "stop_frame", "frame_filter", "source"):
        found = task.find(key)
        if found is not None and found.text:
            out[key] = found.text.strip()
            if key == "stop_frame":
                out["line"] = str(line_of(found))
    for key in ("width", "height"):
        found = task.find(f"original_size/{key}")
        if found is not None and found.text:
            out[key] = found.text.strip()
    return out
