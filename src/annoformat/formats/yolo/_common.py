"""What every part of the YOLO package shares: its name, schema, capabilities and options."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, PrivateAttr

from annoformat.spec import Capabilities

NAME = "yolo"
SCHEMA = "yolo-data.schema.json"
GEOMETRY = ("bbox", "polygon", "rotated_bbox", "keypoints", "mask")
CAPABILITIES = Capabilities(
    media=frozenset({"image"}),
    annotation_types=frozenset({*GEOMETRY, "tag"}),
    # crowd regions are dropped whole (_task.fate), so the flag itself is never lost
    fields=frozenset({"score", "crowd", "origin"}),
    item_attributes=False,
    subsets=True,
    empty_items=True,
    metadata=frozenset(),
    # obj.names and classes.txt list the labels one per line
    text_limits=frozenset({"lines", "named"}),
)


class Options(BaseModel):
    """YOLO options (reading and writing).

    Reading: ``task`` (``auto``: from ``kpt_shape``/``task`` in data.yaml, else per row:
    5 columns a box, 7, 9, 11... a polygon; ``obb`` reads 9 columns as oriented boxes);
    ``image_sizes`` (JSON ``{"path": [w, h]}`` or CSV ``path,width,height``, paths relative to
    the dataset root) and ``image_size`` (one ``[w, h]`` for every image) for images that are
    absent; ``scores`` (``True``: even-length segment rows end with a score; ``False``: no row
    has one); ``snap`` (snap values within 1e-6 x the image side of a whole pixel to it);
    ``images`` (say when images are absent though a size source sized them, AF040; false for
    repositories that keep their images elsewhere: ``validate --no-images``).
    Writing: ``task`` (``auto``: the task that holds the data), ``layout`` (``auto``: the
    source's YOLO layout, else Ultralytics), ``scores`` (a score column after each row: only
    when true, or when the source was a YOLO predictions file; a training label with one more
    number is dropped whole by Ultralytics), ``val`` (the subset data.yaml's ``val`` names
    when none is called val/dev...; without one, ``val`` borrows the training images and
    says so, AF039), ``precision`` (decimals, default 6), ``clip``
    (clip to the image, each clip reported), ``sizes_file`` (write ``annoformat_sizes.json``
    so the labels re-read without the images), ``image_root`` (classification: where the
    images are copied from).
    """

    # defer_build: the validator is built on first use, not when discovery imports it
    model_config = ConfigDict(extra="forbid", defer_build=True)
    task: Literal["auto", "detect", "segment", "obb", "pose", "classify"] = Field(
        default="auto",
        description=("detect, segment, obb, pose or classify; auto: "
                     "from data.yaml/rows on read, what fits on write"))
    image_sizes: str | None = Field(
        default=None,
        description=("reading without images: a JSON {path: [w, "
                     "h]} or CSV path,width,height file of sizes"))
    image_size: tuple[PositiveInt, PositiveInt] | None = Field(
        default=None,
        description="reading without images: one [w, h] for every image")
    scores: bool | None = Field(
        default=None,
        description=("rows end with a score: reading, whether they "
                     "do; writing, write one (default: if the source had)"))
    snap: bool = Field(
        default=True,
        description=("reading: values within 1e-6 of an image side "
                     "of a whole pixel are snapped to it"))
    layout: Literal["auto", "ultralytics", "darknet", "bare"] = Field(
        default="auto",
        description=("writing: ultralytics (data.yaml), darknet (obj.data) or "
                     "bare; auto: the source's YOLO layout"))
    precision: int = Field(
        default=6, ge=1, le=17,
        description="writing: decimals of each normalised value")
    clip: bool = Field(
        default=False,
        description=("writing: clip geometry to the image "
                     "(each clip reported) instead of refusing it"))
    sizes_file: bool = Field(
        default=True,
        description="writing: annoformat_sizes.json, so the labels re-read without their images")
    image_root: str | None = Field(
        default=None,
        description=("writing classification: the folder the media paths start from (a "
                     "classify source's own)"))
    val: str | None = Field(
        default=None,
        description=("writing: the subset data.yaml names as "
                     "val (default: one called val, valid, dev...)"))
    images: bool = Field(
        default=True,
        description=("reading: say when images are absent "
                     "(AF040); false where images live elsewhere"))
    # set by ``settle`` for a conversion written in parts: the whole dataset's census
    # (``_task.Census``), so that every part decides as the whole would; never a user option
    _census: Any = PrivateAttr(default=None)
    # set by ``settle``: each part also writes its label-file index (``_join``)
    _in_parts: bool = PrivateAttr(default=False)


def writes_scores(ds: Any, options: Options) -> bool:
    """Whether rows get a score column: ``scores=true``, or a YOLO predictions source."""
    if options.scores is not None:
        return options.scores
    return bool(ds.extras.get(NAME, {}).get("scores"))


#: what the writer holds when it leaves scores out
WITHOUT_SCORES = replace(CAPABILITIES, fields=CAPABILITIES.fields - {"score"})
