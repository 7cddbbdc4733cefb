"""annoformat: convert and validate annotation files without silent loss.

Example:
    >>> import annoformat as af
    >>> ds = af.load("fixtures/coco/good/minimal/annotations.json")
    >>> [item.id for item in ds.items]
    ['1', '2', '3']
"""

# The public names are imported on first use (PEP 562), so that `import annoformat` and the
# command line's start-up pay only for what they touch: `af.load` imports the pipeline, `af.BBox`
# the model. Type checkers and documentation tools read the imports below.
from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from annoformat.codes import on_unknown_code as _on_unknown_code

if TYPE_CHECKING:
    from annoformat.codes import Severity
    from annoformat.convert import (
        ConversionResult,
        convert,
        load,
        save,
        summarize,
        validate,
    )
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
    from annoformat.quality.agree import Agreement, agreement
    from annoformat.quality.compare import Comparison, compare
    from annoformat.quality.merge import merge
    from annoformat.quality.stats import Stats, stats
    from annoformat.registry import detect, list_formats
    from annoformat.stream import iter_items

__version__ = "0.2.0"

#: public name -> the module that defines it
_ORIGIN = {
    **dict.fromkeys(["Severity"], "annoformat.codes"),
    **dict.fromkeys(["ConversionResult", "convert", "load", "save", "summarize", "validate"],
                    "annoformat.convert"),
    **dict.fromkeys(["AnnoformatError", "Diagnostic", "Location", "Report", "UsageError"],
                    "annoformat.diagnostics"),
    **dict.fromkeys(["LabelMap"], "annoformat.labelmap"),
    **dict.fromkeys(["Annotation", "BBox", "Dataset", "Ellipse", "Image", "Item", "Keypoints",
                     "Label", "Mask", "Points", "Polygon", "Polyline", "Relation", "RotatedBBox",
                     "Span", "Tag", "Text", "VideoFrame"], "annoformat.model"),
    **dict.fromkeys(["drop_labels", "filter_annotations", "filter_items", "merge_labels",
                     "rename_labels", "split", "subsets"], "annoformat.ops"),
    **dict.fromkeys(["Agreement", "agreement"], "annoformat.quality.agree"),
    **dict.fromkeys(["Comparison", "compare"], "annoformat.quality.compare"),
    **dict.fromkeys(["merge"], "annoformat.quality.merge"),
    **dict.fromkeys(["Stats", "stats"], "annoformat.quality.stats"),
    **dict.fromkeys(["detect", "list_formats"], "annoformat.registry"),
    **dict.fromkeys(["iter_items"], "annoformat.stream"),
}

__all__ = [
    "Agreement",
    "AnnoformatError",
    "Annotation",
    "BBox",
    "Comparison",
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
    "Stats",
    "Tag",
    "Text",
    "UsageError",
    "VideoFrame",
    "__version__",
    "agreement",
    "compare",
    "convert",
    "detect",
    "drop_labels",
    "filter_annotations",
    "filter_items",
    "iter_items",
    "list_formats",
    "load",
    "merge",
    "merge_labels",
    "rename_labels",
    "save",
    "split",
    "stats",
    "subsets",
    "summarize",
    "validate",
]


def _discover_formats() -> None:
    """Discover the formats, whose codes join the catalogue then: ``annoformat.codes`` asks for
    this when a code is not known yet, whichever module was imported first (it cannot import
    the registry itself, a higher layer)."""
    from annoformat.registry import list_formats

    list_formats()


_on_unknown_code(_discover_formats)


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (then kept here)."""
    origin = _ORIGIN.get(name)
    if origin is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(origin), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public surface (and the module's dunder attributes), loaded or not."""
    return sorted({n for n in globals() if n.startswith("__")} | set(__all__))


class _Package(ModuleType):
    """Keeps a public name bound to its object when a submodule of the same name is imported
    (``annoformat.convert`` the module would otherwise replace ``af.convert`` the function), as
    the eager imports this package once made did."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (isinstance(value, ModuleType) and value.__name__ == f"{__name__}.{name}"
                and _ORIGIN.get(name) == value.__name__):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
