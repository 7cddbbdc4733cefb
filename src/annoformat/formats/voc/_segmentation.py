"""The devkit's segmentation PNGs read as IR masks.

``SegmentationObject/<id>.png`` holds an instance per pixel: value i is the i-th ``<object>`` of
``Annotations/<id>.xml`` (1-based, in file order), 0 background, 255 void (the devkit's
"don't care" boundary). ``SegmentationClass/<id>.png`` holds a class per pixel: value i is the
i-th class of ``labelmap.txt`` (background first) or, without one, of the devkit's class list
(``_labelmap.VOC_CLASSES``), 255 void. The devkit writes palette PNGs, read as their indices
(Pillow, mode ``P``); datumaro writes RGB PNGs, read back through the colours: the VOC palette
for instances, the labelmap's colours for classes. Grey PNGs are read as their values.

An object with instance pixels becomes one IR :class:`~annoformat.model.Mask` in its place:
the object's label, attributes, ``occluded`` and group (parts), and its box kept as the mask's
stored ``bbox``, so writing VOC gives the same ``<bndbox>`` back. Objects without pixels stay
boxes. Class pixels outside every instance (a PNG of classes alone, as many semantic
segmentation sets have) become one mask per class, marked ``extras["voc"]["_from"] =
"SegmentationClass"`` (a note on the form: not a VOC object). The void pixels are kept as an
RLE mask in ``item.extras["voc"]["void"]``. What cannot be matched is said (AF049): an
instance without its object (read as a mask labelled from the class PNG when there is one, else
dropped), a class index or colour without a class, a class that disagrees with the object's
name (the object's name is kept), a PNG without an annotation file or not readable; a PNG of
another size than its image is AF305.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annoformat.diagnostics import Report
from annoformat.formats.voc._common import FROM_CLASS, VOID, class_region, fits, instances
from annoformat.formats.voc._labelmap import Classes, palette
from annoformat.model import BBox, Image, Item, Mask, defaults_of, trusted

if TYPE_CHECKING:  # numpy, pycocotools (masks) and Pillow load only when there are PNGs
    import numpy as np

OBJECT_DIR = "SegmentationObject"
CLASS_DIR = "SegmentationClass"
#: a pixel whose colour names nothing (RGB PNGs)
_UNKNOWN = -1
_MASK_DEFAULTS = defaults_of(Mask)


def _key(rgb: tuple[int, int, int]) -> int:
    return (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]


_INSTANCE_COLOURS = {_key(palette(i)): i for i in range(256)}


def pngs(root: Path) -> dict[str, dict[str, Path]]:
    """The PNGs of each segmentation folder of a dataset root, by stem."""
    out: dict[str, dict[str, Path]] = {}
    for name in (OBJECT_DIR, CLASS_DIR):
        folder = root / name
        if folder.is_dir():
            out[name] = {p.stem: p for p in sorted(folder.iterdir())
                         if p.suffix.lower() == ".png" and p.is_file()}
    return out


def _load(path: Path, colours: dict[int, int], item_id: str, report: Report
          ) -> tuple[np.ndarray[Any, Any], list[int]] | None:
    """The PNG's values (palette indices, grey levels, or colours mapped through ``colours``,
    as int32 with ``_UNKNOWN`` where a colour names nothing: AF049, once per PNG) and the
    distinct values, ascending."""
    import numpy as np
    from PIL import Image as PILImage  # Pillow only for datasets that have PNGs

    try:
        with PILImage.open(path) as img:
            mode = img.mode
            if mode in ("RGB", "RGBA"):
                rgb = np.asarray(img.convert("RGB"), dtype=np.int32)
                keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
                found, inverse = np.unique(keys, return_inverse=True)
                values = np.array([colours.get(int(k), _UNKNOWN) for k in found],
                                  dtype=np.int32)
                missing = [int(k) for k, v in zip(found, values, strict=True) if v == _UNKNOWN]
                if missing:
                    shown = ", ".join(f"{k >> 16},{(k >> 8) & 255},{k & 255}"
                                      for k in missing[:5])
                    report.add("AF049", path=str(path), item_id=item_id,
                               reason=f"colour(s) {shown} name no class or instance; those "
                                      "pixels are not read")
                out: np.ndarray[Any, Any] = values[inverse.reshape(keys.shape)]
                return out, sorted(set(values.tolist()))
            if mode not in ("P", "L", "I", "I;16"):
                img = img.convert("L")
            if img.mode in ("P", "L"):
                # 8-bit stays 8-bit (a quarter of the memory); Pillow's histogram gives the
                # values present far faster than numpy can from the pixels
                present = [i for i, n in enumerate(img.histogram()) if n]
                return np.asarray(img, dtype=np.uint8), present
            arr = np.asarray(img, dtype=np.int32)
            return arr, np.unique(arr).tolist()
    except (OSError, ValueError, SyntaxError) as exc:  # PIL raises all three for bad files
        report.add("AF049", path=str(path), item_id=item_id,
                   reason=f"not an image Pillow can read ({exc}); its masks are not read")
        return None


def _majority(values: np.ndarray[Any, Any]) -> int | None:
    """The most frequent class value among an instance's pixels (void and unknown aside)."""
    import numpy as np

    values = values[(values != VOID) & (values >= 0)]
    if not values.size:
        return None
    return int(np.bincount(values).argmax())


def _mask_fields(mask: np.ndarray[Any, Any], label: str) -> dict[str, Any]:
    from annoformat import masks

    height, width = mask.shape
    fields = dict(_MASK_DEFAULTS)
    fields.update(label=label, counts=masks.encode(mask), height=int(height), width=int(width),
                  attributes={}, extras={})
    return fields


def attach(item: Item, objects: dict[int, int], found: dict[str, Path], classes: Classes,
           report: Report, declare: Any) -> Item:
    """``item`` with the masks of its segmentation PNGs (``found``: folder name -> PNG).

    ``objects`` maps an ``<object>``'s 1-based position to its annotation's index;
    ``declare(name, path)`` declares a label a class PNG names (False: not allowed)."""
    import numpy as np

    from annoformat import masks

    media = item.media
    width, height = getattr(media, "width", None), getattr(media, "height", None)
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    values: dict[str, list[int]] = {}
    for name, path in found.items():
        colours = _INSTANCE_COLOURS if name == OBJECT_DIR else {
            _key(colour): i for i, (_, colour) in enumerate(classes)}
        if name == CLASS_DIR:
            colours.setdefault(_key(palette(VOID)), VOID)
        loaded = _load(path, colours, item.id, report)
        if loaded is None:
            continue
        arr, values[name] = loaded
        if arr.ndim != 2 or (width and height and arr.shape != (height, width)):
            report.add("AF305", path=str(path), item_id=item.id, mask_width=arr.shape[1],
                       mask_height=arr.shape[0], width=width, height=height)
            continue
        arrays[name] = arr
    if not arrays:
        return item
    inst, cls = arrays.get(OBJECT_DIR), arrays.get(CLASS_DIR)
    shape = next(iter(arrays.values())).shape
    anns: list[Any] = list(item.annotations)
    covered = np.zeros(shape, dtype=bool)
    void = np.zeros(shape, dtype=bool)
    if inst is not None:
        void |= inst == VOID
        path = found[OBJECT_DIR]
        for value in values[OBJECT_DIR]:
            if value in (0, VOID, _UNKNOWN):
                continue
            pixels = inst == value
            covered |= pixels
            index = _majority(cls[pixels]) if cls is not None else None
            named = classes[index][0] if index is not None and index < len(classes) else None
            position = objects.get(value)
            if position is None:
                why = (f"instance {value} has no <object> (the annotation file has "
                       f"{len(objects)})")
                if named is None or not declare(named, path):
                    report.add("AF049", path=str(path), item_id=item.id,
                               reason=f"{why} and no class names it; not read")
                    continue
                report.add("AF049", path=str(path), item_id=item.id,
                           reason=f"{why}; read as a {named!r} mask without a box")
                anns.append(trusted(Mask, _mask_fields(pixels, named)))
                continue
            obj: BBox = anns[position]
            if named is not None and named != obj.label:
                report.add("AF049", path=str(found[CLASS_DIR]), item_id=item.id,
                           reason=f"instance {value} is {named!r} here but its <object> is "
                                  f"{obj.label!r}; the object's name is kept")
            fields = _mask_fields(pixels, obj.label or "")
            fields.update(attributes=obj.attributes, occluded=obj.occluded, group=obj.group,
                          z_order=obj.z_order, extras=obj.extras,
                          bbox=(obj.x, obj.y, obj.w, obj.h))
            anns[position] = trusted(Mask, fields)
    if cls is not None:
        void |= cls == VOID
        path = found[CLASS_DIR]
        for value in values[CLASS_DIR]:
            if value in (0, VOID, _UNKNOWN):
                continue
            pixels = (cls == value) & ~covered
            if not pixels.any():
                continue
            if value >= len(classes):
                report.add("AF049", path=str(path), item_id=item.id,
                           reason=f"class {value} is not among the {len(classes)} classes "
                                  "(labelmap.txt or the VOC classes); not read")
                continue
            named = classes[value][0]
            if not declare(named, path):
                continue
            fields = _mask_fields(pixels, named)
            fields["extras"] = {"voc": {"_from": FROM_CLASS}}
            anns.append(trusted(Mask, fields))
    extras = item.extras
    if void.any():
        voc = {**extras.get("voc", {}), "void": {"counts": masks.encode(void),
                                                 "height": shape[0], "width": shape[1]}}
        extras = {**extras, "voc": voc}
    return item.model_copy(update={"annotations": anns, "extras": extras})


# -- writing ---------------------------------------------------------------------------------
def _png(values: np.ndarray[Any, Any], colours: list[tuple[int, int, int]]) -> bytes:
    """A palette PNG of ``values`` (its indices), with ``colours`` as its palette."""
    import numpy as np
    from PIL import Image as PILImage

    img = PILImage.fromarray(values.astype(np.uint8))  # mode L; putpalette makes it P
    img.putpalette([v for colour in colours for v in colour])
    out = io.BytesIO()
    # level 1: 2.5x faster than zlib's default 6 on mask PNGs (1.3 -> 0.5 ms at 640x480),
    # about a third larger (masks are runs of a few values: a few KB either way)
    img.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def render(item: Item, objects: list[Any], classes: Classes) -> tuple[bytes, bytes] | None:
    """The ``SegmentationObject`` and ``SegmentationClass`` PNGs of ``item`` (None when it has
    nothing to paint): its object masks with their instance values (``instances``), its class
    regions, then its void pixels, in the devkit's palette form (the class palette is the
    labelmap's colours)."""
    values = instances(objects, item)
    regions: list[Any] = [ann for ann in item.annotations
                          if class_region(ann) and fits(ann, item)]
    media = item.media
    assert isinstance(media, Image)
    height, width = media.height, media.width
    void = item.extras.get("voc", {}).get("void")
    if not (isinstance(void, dict) and (void.get("height"), void.get("width")) == (height, width)
            and height and width):
        void = None
    if not (values or regions or void) or not height or not width:
        return None
    import numpy as np

    from annoformat import masks

    index = {name: i for i, (name, _) in enumerate(classes)}
    inst = np.zeros((height, width), dtype=np.uint8)
    cls = np.zeros((height, width), dtype=np.uint8)
    for ann in regions:
        cls[masks.decode(ann.counts, height, width).astype(bool)] = index.get(ann.label, 0)
    for ann in objects:
        value = values.get(id(ann))
        if value is not None:
            pixels = masks.decode(ann.counts, height, width).astype(bool)
            inst[pixels] = value
            cls[pixels] = index.get(ann.label, 0)
    if void is not None:
        pixels = masks.decode(void["counts"], height, width).astype(bool)
        inst[pixels] = VOID
        cls[pixels] = VOID
    palette_of_classes = [colour for _, colour in classes][:VOID]
    palette_of_classes += [palette(i) for i in range(len(palette_of_classes), 256)]
    return (_png(inst, [palette(i) for i in range(256)]), _png(cls, palette_of_classes))


def overlapping(objects: list[Any], item: Item) -> list[Any]:
    """The object masks that share pixels with an earlier one: an instance PNG holds one object
    per pixel, so the later object takes them (the plan's AF502)."""
    values = instances(objects, item)
    if len(values) < 2:
        return []
    media = item.media
    assert isinstance(media, Image) and media.height and media.width
    import numpy as np

    from annoformat import masks

    taken = np.zeros((media.height, media.width), dtype=bool)
    out = []
    for ann in objects:
        if id(ann) in values:
            pixels = masks.decode(ann.counts, media.height, media.width).astype(bool)
            if (taken & pixels).any():
                out.append(ann)
            taken |= pixels
    return out
