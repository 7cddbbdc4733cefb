"""annoformat: convert and validate annotation files without silent loss.

Example:
    >>> import annoformat as af
    >>> ds = af.load("fixtures/coco/good/minimal/annotations.json")
    >>> [item.id for item in ds.items]
    ['1', '2', '3']
"""

from annoformat.codes import Severity
from annoformat.convert import ConversionResult, convert, load, save, summarize, validate
from annoformat.diagnostics import AnnoformatError, Diagnostic, Location, Report, UsageError
from annoformat.labelmap import LabelMap
from annoformat.model import (
    Annotation,
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
from annoformat.ops import (
    drop_labels,
    filter_annotations,
    filter_items,
    merge_labels,
    rename_labels,
    split,
    subsets,
)
from annoformat.registry import detect, list_formats

__version__ = "0.1.0"

__all__ = [
    "AnnoformatError",
    "Annotation",
    "BBox",
    "ConversionResult",
    "Dataset",
    "Diagnostic",
    "Ellipse",
    "Image",
    "Item",
    "Keypoints",
    "Label",
    "LabelMap",
    "Location",
    "Mask",
    "Points",
    "Polygon",
    "Polyline",
    "Relation",
    "Report",
    "RotatedBBox",
    "Severity",
    "Span",
    "Tag",
    "Text",
    "UsageError",
    "VideoFrame",
    "__version__",
    "convert",
    "detect",
    "drop_labels",
    "filter_annotations",
    "filter_items",
    "list_formats",
    "load",
    "merge_labels",
    "rename_labels",
    "save",
    "split",
    "subsets",
    "summarize",
    "validate",
]
