"""Everything a format plugin imports: the contract (:mod:`annoformat.spec`), the IR, reports.

A plugin is a module exposing a :class:`FormatSpec` and registered in the
``annoformat.formats`` entry-point group (``boxes = my_package:FORMAT``). It may declare its own
diagnostic codes in ``FormatSpec.codes``; a code or name that clashes with one already known is
refused with AF012 and the plugin is not loaded. Only this module is public to plugins.

A reader or writer may report its progress with :func:`track` (``for item in track(items,
"write"): ...``) or :func:`counter`; one that does not is counted by the pipeline once done
(see :mod:`annoformat.progress`).

Example:
    >>> from annoformat.plugin import Capabilities, Code, Detection, EmptyOptions, FormatSpec
    >>> FORMAT = FormatSpec(
    ...     name="boxes", description="CSV boxes", extensions=(".csv",),
    ...     capabilities=Capabilities(media=frozenset({"image"}),
    ...                               annotation_types=frozenset({"bbox"})),
    ...     options=EmptyOptions, schemas=(), detect=lambda p: Detection(0.0, "never"),
    ...     read=lambda path, options, report: None, write=lambda ds, dest, options, report: None,
    ...     codes=(Code("AF190", "boxes-bad-row", Severity.ERROR, "bad row: {reason}",
    ...                 "A row is not image,width,height,label,x,y,w,h.", "a,1,1,cat,0,0",
    ...                 "Fix the row."),))
    >>> FORMAT.plan_loss(Dataset(), EmptyOptions()).codes()
    []
"""

from annoformat.checks import check_annotation, check_dataset
from annoformat.diagnostics import Report
from annoformat.model import (
    Annotation,
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
from annoformat.progress import counter, track, track_bytes
from annoformat.spec import (
    Capabilities,
    Code,
    Detection,
    EmptyOptions,
    FormatSpec,
    Loss,
    LossPlan,
    Options,
    Severity,
    Stream,
    carries_data,
    plan_capabilities,
    plan_origin,
    where,
)

__all__ = [
    "Annotation",
    "AttributeSpec",
    "BBox",
    "Capabilities",
    "Code",
    "Dataset",
    "Detection",
    "Ellipse",
    "EmptyOptions",
    "FormatSpec",
    "Image",
    "Item",
    "Keypoints",
    "Label",
    "Loss",
    "LossPlan",
    "Mask",
    "Options",
    "Points",
    "Polygon",
    "Polyline",
    "Relation",
    "Report",
    "RotatedBBox",
    "Severity",
    "Span",
    "Stream",
    "Tag",
    "Text",
    "VideoFrame",
    "carries_data",
    "check_annotation",
    "check_dataset",
    "counter",
    "plan_capabilities",
    "plan_origin",
    "track",
    "track_bytes",
    "where",
]
