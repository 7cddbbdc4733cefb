"""The catalogue of diagnostic codes: the only place a code is defined.

Families (DESIGN.md): AF0xx I/O and syntax, AF1xx schema, AF2xx references and identity, AF3xx
geometry, AF4xx text spans, AF5xx conversion loss, AF6xx project rules, AF9xx safety limits.
Codes are never reused; a retired code stays here with ``retired=True``.

Example:
    >>> from annoformat.codes import CODES
    >>> CODES["AF203"].name
    'duplicate-image-id'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """How bad a diagnostic is; ``error`` fails validation and refuses conversion."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Code:
    """One catalogue entry: what triggers the code, an example, and how to fix it."""

    code: str
    name: str
    severity: Severity
    template: str
    explanation: str
    example: str
    fix: str
    retired: bool = False
    #: a refused conversion that --allow-loss does not lift (the user must choose, e.g. a task)
    refusal: bool = False


ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

_ENTRIES = [
    # --- AF0xx: I/O and syntax -------------------------------------------------------------
    Code("AF001", "file-not-found", ERR, "{path} does not exist",
         "A path given to annoformat (or referenced by a dataset file) does not exist.",
         "annoformat validate missing.json", "Check the path; relative paths are resolved from "
         "the current directory."),
    Code("AF002", "unreadable-file", ERR, "cannot read {path}: {reason}",
         "The operating system refused to read the file (permissions, a directory where a file "
         "was expected, an I/O error).", "annoformat info /root/secret.json",
         "Fix the permissions or pass the file, not its folder."),
    Code("AF003", "invalid-utf8", ERR, "not valid UTF-8 at byte {offset}: {reason}",
         "Annotation files are text in UTF-8; this file has a byte sequence that is not UTF-8 "
         "(often a Latin-1 export).", "a file name written as b'caf\\xe9.jpg'",
         "Re-export the file as UTF-8 (iconv -f latin1 -t utf-8)."),
    Code("AF004", "byte-order-mark", WARN,
         "file starts with a UTF-8 byte-order mark; it was ignored",
         "JSON (RFC 8259) forbids a BOM; many tools reject such files. annoformat reads past it "
         "and never writes one.", "EF BB BF 7B ... (a BOM before '{')",
         "Save the file as UTF-8 without BOM."),
    Code("AF005", "invalid-json", ERR, "invalid JSON: {reason}",
         "The file is not well-formed JSON (a missing comma or bracket, a truncated file).",
         '{"images": [ {"id": 1,} ]}', "Fix the syntax at the reported line and column."),
    Code("AF006", "duplicate-key", ERR, "key {key!r} appears more than once in the same object",
         "JSON parsers disagree about duplicate keys (most keep the last, silently dropping the "
         "first value), so a duplicate key is a silent loss waiting to happen.",
         '{"id": 1, "id": 2}', "Remove or rename one of the keys."),
    Code("AF007", "non-finite-number", ERR, "NaN or Infinity is not a JSON number: {reason}",
         "JSON has no NaN or Infinity; Python's json module writes them anyway, and coordinates "
         "that are NaN break every consumer.", '{"bbox": [NaN, 0, 10, 10]}',
         "Fix the tool that produced the value; drop or recompute the annotation."),
    Code("AF008", "huge-integer", ERR, "integer {value} at {pointer} does not fit in 64 bits",
         "Ids and counts beyond 64 bits are read as floats by most JSON libraries and lose "
         "digits, so two ids can silently become equal.", '{"id": 123456789012345678901234567890}',
         "Renumber the ids within 64-bit range."),
    Code("AF010", "unknown-format", ERR, "cannot tell which format {path} is: {reason}",
         "Detection found no format whose files match.", "annoformat info notes.txt",
         "Pass the format explicitly with --from / format=, or check the path."),
    Code("AF011", "ambiguous-format", ERR, "{path} matches several formats: {candidates}",
         "More than one format recognises the path equally well.", "a folder holding both a "
         "COCO JSON and YOLO label files", "Pass the format explicitly with --from / format=."),
    Code("AF012", "plugin-load-failed", WARN,
         "format plugin {plugin!r} could not be loaded: {reason}",
         "A package registered an 'annoformat.formats' entry point that failed to import or does "
         "not provide a valid Format (or clashes with a built-in name). Other formats still work.",
         "a plugin raising ImportError at import time", "Fix or uninstall the plugin package."),
    Code("AF013", "destination-exists", ERR,
         "{path} already exists; pass --overwrite to replace it",
         "annoformat never replaces existing files unless asked.",
         "annoformat convert a.json out/ --to coco   (out/ exists)",
         "Choose a new destination or pass --overwrite / overwrite=True."),
    Code("AF014", "destination-is-source", ERR, "destination {path} is the source; refusing to "
         "overwrite the input", "Writing over the input would destroy it if anything failed.",
         "annoformat convert a.json a.json --to coco --overwrite",
         "Write to another path, check the result, then replace the input yourself."),
    Code("AF015", "write-failed", ERR, "could not write {path}: {reason}",
         "The output could not be written (disk full, permissions). Nothing was moved into place.",
         "annoformat convert a.json /read-only/out --to coco", "Fix the destination and rerun."),
    Code("AF016", "unsafe-path", ERR, "{value!r} would be written outside the destination",
         "A file name in the dataset is absolute or climbs out of the output folder with '..'.",
         '{"file_name": "../../etc/passwd"}', "Fix the file name in the source dataset."),
    Code("AF017", "unknown-option", ERR, "format {format} has no option {option!r}; it has: "
         "{known}", "An option was passed that the chosen format does not define.",
         "annoformat convert a.json out --to coco --opt nope=1",
         "Run `annoformat formats` to list each format's options."),
    Code("AF020", "invalid-xml", ERR, "invalid XML: {reason}",
         "The file is not well-formed XML (an unclosed tag, a truncated file, a stray '&').",
         "<annotation><object></annotation>", "Fix the syntax at the reported line."),
    Code("AF021", "xml-doctype-forbidden", ERR, "DOCTYPE and entity declarations are refused: "
         "{reason}", "A DOCTYPE can declare entities that expand to huge text or read local "
         "files (XXE). Annotation files never need one, so annoformat refuses them instead of "
         "silently expanding or dropping them.",
         "<!DOCTYPE annotation [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>",
         "Remove the DOCTYPE and replace entity references with their text."),
    Code("AF099", "internal-error", ERR, "internal error: {reason} (details in {log})",
         "A bug in annoformat. The traceback was written to a log file, not the screen.",
         "(none: please report it)", "Report the issue with the log file attached."),
    # --- AF1xx: schema ---------------------------------------------------------------------
    Code("AF101", "schema-violation", ERR, "{reason}",
         "The document does not match the format's schema (schemas/ in the repository): a "
         "missing required key, a value of the wrong type, an array of the wrong length.",
         '{"images": [{"id": "1", "width": 640}]}  (id must be an integer; file_name missing)',
         "Fix the value at the reported location."),
    Code("AF102", "invalid-output", ERR, "the {format} writer produced a document that fails its "
         "schema: {reason}", "annoformat checks everything it writes before moving it into "
         "place; this is a bug in a writer, or IR content the format cannot represent.",
         "(none: please report it)", "Report the issue; nothing was written."),
    # --- AF2xx: references and identity ----------------------------------------------------
    Code("AF201", "unknown-image", ERR, "annotation refers to image id {image_id}, which is not in "
         "'images'", "Every COCO annotation must belong to a listed image.",
         '{"annotations": [{"id": 1, "image_id": 99, ...}]}  (no image 99)',
         "Add the image or remove the annotation."),
    Code("AF202", "unknown-category", ERR, "annotation refers to category id {category_id}, which "
         "is not in 'categories'", "Every annotation's class must be declared.",
         '{"annotations": [{"category_id": 7, ...}]}  (no category 7)',
         "Declare the category or fix the id."),
    Code("AF203", "duplicate-image-id", ERR, "image id {image_id} is used more than once (first at "
         "{first})", "Annotations are attached to images by id; a duplicate makes it ambiguous.",
         '{"images": [{"id": 1, ...}, {"id": 1, ...}]}', "Give every image a unique id."),
    Code("AF204", "duplicate-annotation-id", ERR, "annotation id {annotation_id} is used more than "
         "once (first at {first})", "Evaluation tools (pycocotools) index annotations by id.",
         '{"annotations": [{"id": 5, ...}, {"id": 5, ...}]}', "Renumber the annotations."),
    Code("AF205", "duplicate-category-id", ERR, "category id {category_id} is used more than once "
         "(first at {first})", "Annotations refer to categories by id.",
         '{"categories": [{"id": 1, "name": "cat"}, {"id": 1, "name": "dog"}]}',
         "Give every category a unique id."),
    Code("AF206", "duplicate-file-name", WARN, "file name {file_name!r} is used by more than one "
         "image (first at {first})", "Two image records point at the same file; converters that "
         "name label files after images will collide.",
         '{"images": [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "a.jpg"}]}',
         "Merge the two images or fix the file name."),
    Code("AF207", "duplicate-item-id", ERR, "item id {item_id!r} occurs more than once in subset "
         "{subset!r}", "Items are identified by (subset, id).",
         "two Item(id='1') in the same subset", "Give every item a unique id per subset."),
    Code("AF208", "unknown-label", ERR, "annotation label {label!r} is not one of the dataset's "
         "labels", "Every annotation's label must be declared in Dataset.labels.",
         "BBox(label='dgo') with labels ['dog', 'cat']", "Declare the label or fix the name."),
    Code("AF209", "duplicate-label-name", ERR, "label name {label!r} is declared more than once",
         "Labels are matched by name across formats; two classes with one name cannot be told "
         "apart.", '{"categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "cat"}]}',
         "Rename one of the classes (supercategories do not disambiguate)."),
    # --- AF3xx: geometry -------------------------------------------------------------------
    Code("AF301", "bbox-outside-image", WARN, "box [{x}, {y}, {w}, {h}] extends outside the "
         "{width}x{height} image", "Part of the box lies outside the image; trainers clip or "
         "drop it differently, so the label means different things to different tools.",
         '{"bbox": [600, 10, 100, 50]} on a 640x480 image', "Clip the box to the image, or fix "
         "the image size."),
    Code("AF302", "non-positive-size", ERR, "box has non-positive size {w}x{h}",
         "A box with zero or negative width or height covers nothing.", '{"bbox": [10, 10, 0, 5]}',
         "Remove the annotation or fix its size."),
    Code("AF303", "too-few-points", ERR, "polygon ring has {count} points; at least 3 are needed",
         "A ring with fewer than 3 points has no area.", '{"segmentation": [[10, 10, 20, 20]]}',
         "Remove the ring or add the missing points."),
    Code("AF304", "odd-coordinate-count", ERR, "point list has {count} numbers; x, y pairs need an "
         "even count", "A flat x, y list with an odd length has lost or gained a value.",
         '{"segmentation": [[10, 10, 20, 20, 30]]}', "Find the missing coordinate."),
    Code("AF305", "mask-size-mismatch", ERR, "mask is {mask_width}x{mask_height} but the image is "
         "{width}x{height}", "An RLE mask must have the size of its image.",
         '{"segmentation": {"size": [100, 100], ...}} on a 640x480 image',
         "Re-encode the mask at the image size."),
    Code("AF306", "keypoint-count-mismatch", ERR, "annotation has {count} keypoints but category "
         "{label!r} declares {expected}", "Keypoints are matched to names by position.",
         '{"keypoints": [10, 10, 2]} for a category with 17 keypoint names',
         "Emit one (x, y, v) triple per declared keypoint, v=0 for absent ones."),
    Code("AF307", "invalid-rle", ERR, "RLE mask is invalid: {reason}",
         "The run lengths do not add up to height x width, or the compressed string is corrupt.",
         '{"segmentation": {"size": [2, 2], "counts": [1, 1]}}', "Re-encode the mask."),
    Code("AF308", "missing-image-size", WARN, "image has no usable size (width={width}, "
         "height={height}); geometry against the image cannot be checked",
         "Without a size, boxes cannot be checked against the image, and YOLO cannot normalise.",
         '{"images": [{"id": 1, "file_name": "a.jpg"}]}', "Add width and height."),
    Code("AF309", "keypoint-visibility", ERR, "keypoint visibility {value} is not 0, 1 or 2",
         "COCO visibility flags are 0 (not labelled), 1 (labelled, not visible), 2 (visible).",
         '{"keypoints": [10, 10, 5]}', "Use 0, 1 or 2."),
    Code("AF311", "image-size-mismatch", ERR, "the annotation says {width}x{height} but "
         "{image} is {image_width}x{image_height}", "Boxes were drawn on, and are checked "
         "against, a size the image does not have: often a resized or rotated (EXIF) export.",
         "<size><width>640</width>... for a 1280-pixel-wide JPEG",
         "Re-export the annotations for the image as it is, or fix the stored size."),
    # --- AF5xx: conversion loss ------------------------------------------------------------
    Code("AF501", "annotations-dropped", ERR, "{count} {kind} annotation(s) cannot be written as "
         "{format}", "The target format has no way to store this annotation type.",
         "converting keypoints to a format that holds only boxes",
         "Pick a target that holds them, or pass --allow-loss to drop them knowingly."),
    Code("AF502", "geometry-approximated", ERR,
         "{count} {kind} annotation(s) would be approximated "
         "as {target} in {format}", "The target stores a simpler shape (a polygon's bounding box).",
         "converting polygons to a box-only format",
         "Pick a target that holds the shape, or pass --allow-loss."),
    Code("AF503", "attributes-dropped", ERR, "{count} annotation/item attribute value(s) cannot be "
         "written as {format} (names: {names})", "The target has no attributes.",
         "a CVAT 'occluded' attribute going to YOLO", "Pass --allow-loss to drop them knowingly."),
    Code("AF504", "tracks-dropped", ERR, "{count} track id(s) cannot be written as {format}",
         "The target cannot link annotations across frames.", "CVAT video tracks to COCO",
         "Pass --allow-loss to drop the links knowingly."),
    Code("AF505", "scores-dropped", ERR,
         "{count} prediction score(s) cannot be written as {format}",
         "The target has no confidence field.", "a COCO results file to a format without scores",
         "Pass --allow-loss to drop the scores knowingly."),
    Code("AF506", "fields-dropped", ERR, "{count} value(s) of field {field!r} cannot be written as "
         "{format}", "An annotation field the target cannot hold (group, z_order, occluded, "
         "crowd...).", "COCO iscrowd=1 to a format without crowd regions",
         "Pass --allow-loss to drop them knowingly."),
    Code("AF507", "metadata-dropped", WARN, "{what} cannot be written as {format}: {detail}",
         "Dataset metadata (info, licenses, supercategories, another format's extras) the target "
         "cannot hold.", "COCO 'licenses' to a format without licenses",
         "Nothing to do if the metadata is not needed; --strict refuses it."),
    Code("AF508", "ids-reassigned", WARN,
         "{count} {what} id(s) were renumbered for {format}: {reason}",
         "The source ids cannot be kept as they are (not integers, or not unique in the output).",
         "text item ids written as COCO image ids", "Nothing to do unless other files refer to "
         "the old ids."),
    Code("AF509", "items-dropped", ERR, "{count} item(s) cannot be written as {format}: {reason}",
         "The target cannot hold these items at all (text items to an image format).",
         "JSONL text documents converted to COCO", "Pick a target that holds them."),
    # --- AF6xx: project rules --------------------------------------------------------------
    Code("AF601", "invalid-label-map", ERR, "label map is invalid: {reason}",
         "The label map file does not match schemas/labelmap.schema.json, or maps one source "
         "label twice, or both maps and drops it.",
         "labels: [{name: pet, from: [cat]}, {name: animal, from: [cat]}]",
         "Give every source label exactly one destination (or list it under drop)."),
    Code("AF602", "unmapped-label", ERR, "label {label!r} ({count} annotation(s)) is not in the "
         "label map", "With a label map, every source label must be mapped or dropped, so a "
         "misspelt or new class cannot slip through under its raw name.",
         "a dataset with 'kitty' and a map that only lists 'cat'",
         "Add it to a 'from' list, to 'drop', or set 'unmapped: keep' / 'unmapped: drop'."),
    Code("AF603", "labels-dropped-by-map", INFO, "{count} annotation(s) of label {label!r} "
         "dropped by the label map", "The label map asked for these annotations to be removed; "
         "recorded so the summary says how many.", "drop: [background]", "Nothing to do."),
    Code("AF604", "label-not-allowed", ERR, "label {label!r} is not in the project's label "
         "set ({allowed})", "The project declares its labels ([tool.annoformat] labels or "
         "label-map); anything else is a typo or an unplanned class.",
         'labels = ["cat", "dog"] and an annotation labelled "cta"',
         "Fix the label, or add it to the project's label set."),
    Code("AF605", "missing-attribute", ERR, "{label!r} annotation lacks required attribute "
         "{attribute!r}", "The project requires this attribute on every annotation of the label.",
         'required-attributes.cat = { color = [] } and a cat without "color"',
         "Set the attribute in the labelling tool and re-export."),
    Code("AF606", "attribute-value-not-allowed", ERR, "attribute {attribute!r} is {value!r}; "
         "allowed: {allowed}", "The project lists the values this attribute may take.",
         'color = ["black", "white"] and color "blakc"', "Use one of the allowed values."),
    Code("AF607", "box-too-small", ERR, "box {w}x{h} is below the project minimum (width "
         "{min_w}, height {min_h}, area {min_area})", "Boxes below the minimum are usually "
         "mis-clicks; the project sets the smallest object worth labelling.",
         "min-box-width = 4 and a 2-pixel-wide box", "Delete the box or draw it properly."),
    Code("AF608", "too-many-objects", ERR, "item has {count} annotations, over the project "
         "maximum of {limit}", "An unusually crowded item is often a duplicated import.",
         "max-objects-per-item = 100 and an image with 250 boxes",
         "Check the item for duplicates, or raise the limit."),
    Code("AF609", "invalid-config", ERR, "annoformat configuration is invalid: {reason}",
         "[tool.annoformat] (or annoformat.toml) is checked against schemas/config.schema.json "
         "before any rule runs.", 'min-box-width = "four"',
         "Fix the value at the reported location."),
    # --- VOC codes (issue 3): AF022-AF029, AF110-AF114, AF210-AF214, AF320-AF329, AF510-AF514,
    #     AF910-AF914 ------------------------------------------------------------------------
    Code("AF022", "voc-root-not-annotation", ERR, "root element is <{tag}>, not <annotation>",
         "A Pascal VOC annotation file has one <annotation> element at its root; another root "
         "means this is not a VOC file (CVAT XML has <annotations>).",
         "<annotations><image .../></annotations>",
         "Pass the right format with --from, or fix the root element."),
    Code("AF023", "voc-item-without-xml", INFO, "{item!r} is listed in {imageset} but has no "
         "Annotations/{item}.xml; read as an image without objects",
         "VOC image sets may list images that have no annotation file (unlabelled or test "
         "images). annoformat keeps them as items without annotations, sized from the image "
         "header when JPEGImages/ holds the image.", "ImageSets/Main/test.txt lists 000042 and "
         "Annotations/000042.xml does not exist", "Nothing to do if the image has no objects."),
    Code("AF024", "voc-imageset-bad-line", ERR, "image-set line {text!r} is not an image id: "
         "{reason}", "Lines of ImageSets/Main/<subset>.txt hold one image id (per-class files: "
         "an id and -1, 0 or 1). Blank lines and '#' comments are allowed.",
         "ImageSets/Main/train.txt: '000005 000007 x'", "Put one id per line."),
    Code("AF025", "voc-imageset-duplicate", WARN, "{item!r} is listed again in {imageset} "
         "(first on line {first}); the repeat is ignored",
         "An image listed twice in one image set would be trained on twice by some loaders.",
         "train.txt: '000005' on lines 1 and 9", "Remove the repeated line."),
    Code("AF026", "voc-class-imagesets-derived", INFO, "per-class image sets for {subsets} "
         "are derived from the annotations: not read, and regenerated on write",
         "ImageSets/Main/<class>_<subset>.txt ('id -1|0|1') restate which images hold which "
         "class; annoformat recomputes them from the objects (1: present, 0: only difficult, "
         "-1: absent) instead of trusting a copy that can disagree.",
         "ImageSets/Main/cat_train.txt", "Nothing to do."),
    Code("AF027", "voc-single-file-many-items", ERR, "a single VOC XML file holds one image, "
         "but the dataset has {count}", "The .xml destination (or layout=file) writes exactly "
         "one annotation file.", "annoformat convert coco.json out.xml --to voc",
         "Write to a folder (a VOC dataset with Annotations/) instead."),
    Code("AF110", "voc-missing-element", ERR, "<{parent}> has no <{element}>",
         "Pascal VOC requires <filename> in every annotation and <name> and <bndbox> in every "
         "object and part.", "<object><bndbox>...</bndbox></object>  (no <name>)",
         "Add the element."),
    Code("AF111", "voc-repeated-element", ERR, "<{parent}> has more than one <{element}>",
         "An element VOC allows once appears several times, so it is ambiguous which one "
         "counts (readers disagree: first or last).",
         "<object><name>cat</name><name>dog</name>...</object>", "Keep exactly one."),
    Code("AF210", "voc-empty-label", ERR, "object has an empty <name>",
         "Every VOC object needs a class name.", "<object><name> </name>...</object>",
         "Fill in the class name or remove the object."),
    Code("AF211", "voc-xml-name-collision", ERR, "items {item!r} and {other!r} would both "
         "be written to {file}", "VOC names each annotation file after its image stem; two "
         "images with the same stem (in different folders, or differing only in case or "
         "Unicode normalisation) would overwrite each other. Nothing was written.",
         "a/img.jpg and b/img.jpg -> Annotations/img.xml",
         "Rename one of the images (or their item ids) so the stems differ."),
    Code("AF320", "voc-reversed-box", ERR, "box has {low_tag}={low} greater than "
         "{high_tag}={high}", "xmax must not be less than xmin (nor ymax less than ymin); the "
         "corners were probably swapped by the tool that wrote the file.",
         "<bndbox><xmin>50</xmin><xmax>10</xmax>...</bndbox>", "Swap the two values."),
    Code("AF329", "voc-coordinate-convention", INFO, "VOC boxes {direction} as {origin} pixel "
         "indices: {mapping}", "Pascal VOC stores 1-based, inclusive pixel indices; the IR is "
         "continuous (DESIGN.md). Reading maps x = xmin - 1, w = xmax - xmin + 1 and writing "
         "inverts it, so integer boxes round-trip exactly. Files written by tools that use "
         "0-based pixels need origin=zero-based.",
         "<xmin>1</xmin><xmax>10</xmax> -> x=0, w=10",
         "Pass --opt origin=zero-based if the producer used 0-based coordinates."),
    Code("AF510", "voc-group-not-representable", WARN, "{count} annotation group value(s) "
         "cannot be written as voc: {reason}", "VOC links annotations only by nesting <part> "
         "boxes in their object; other groups are written as separate objects.",
         "two CVAT boxes in group 3, neither marked as a VOC part",
         "Nothing to do if the grouping is not needed."),
    Code("AF511", "voc-attribute-type-lost", WARN, "{count} attribute value(s) cannot keep "
         "their type in voc's text <attributes> block (names: {names})", "VOC's <attributes> "
         "block holds text, read back as datumaro does: true/false as booleans, numbers as "
         "numbers, the rest as text. Lists, objects and null are written as JSON text, and text "
         "that looks like a number or a boolean reads back as one.",
         '{"attributes": {"tags": ["a", "b"], "code": "007"}}',
         "Nothing to do if the changed types are acceptable."),
    Code("AF512", "voc-unused-labels", WARN, "{count} label(s) without objects cannot be "
         "written as voc: {names}", "VOC has no class list: a class appears only through its "
         "objects, so labels no object uses are lost.", "a COCO category with no annotations",
         "Nothing to do unless consumers need the full class list (pass labels= on read)."),
    # --- end of VOC codes
    # --- YOLO codes (issue 3): AF030-AF039, AF115-AF119, AF215-AF219, AF330-AF339,
    #     AF515-AF519, AF915-AF919 ------------------------------------------------------------
    Code("AF030", "invalid-yaml", ERR, "invalid YAML: {reason}",
         "The data.yaml file is not well-formed YAML, or uses a tag that safe loading refuses "
         "(!!python/object...).", "names: [cat, dog", "Fix the syntax at the reported line."),
    Code("AF031", "yaml-alias-forbidden", ERR, "YAML anchors and aliases are refused: {reason}",
         "Anchors and aliases let a tiny file expand into a huge document (billion laughs) and "
         "merge keys silently override values; dataset descriptions never need them.",
         "base: &b {nc: 2}\nval: *b", "Write the values out in full."),
    Code("AF032", "yolo-non-numeric", ERR, "field {field} {value!r} is not a finite number",
         "Every value after the class index must be a decimal number; NaN, inf and '1_0' are "
         "refused (Python's float() would accept them).", "0 0.5 0.5 abc 0.2",
         "Fix the value at the reported column."),
    Code("AF033", "yolo-column-count", ERR, "row has {count} fields; {task} rows have {expected}",
         "The number of fields does not fit the task: a detect row has 5 (6 with a score), a "
         "polygon an odd number >= 7, an OBB 9, a pose row 5 + K x (2 or 3) from kpt_shape.",
         "0 0.5 0.5 0.2    (4 fields)", "Find the missing or extra value."),
    Code("AF034", "yolo-layout-and-task", INFO, "YOLO {layout} layout, task {task} ({reason})",
         "Which layout and task the reader found or the writer chose, and why: YOLO files do "
         "not say which task they hold, so the choice is always stated.",
         "a data.yaml with kpt_shape is read as pose",
         "Pass task=... (and layout=... when writing) to choose otherwise."),
    Code("AF035", "yolo-image-missing", WARN, "image {image} does not exist; {what}",
         "A label file has no image beside it (or a list file names an image that is absent) "
         "and no size source lists it, so its size is unknown.",
         "labels/train/a.txt without images/train/a.jpg",
         "Add the image, or give its size with image_sizes=FILE or image_size=[w, h]."),
    Code("AF036", "yolo-invalid-size-source", ERR, "image size source {path}: {reason}",
         "The image_sizes file must be JSON {\"<image path>\": [width, height]} or CSV with a "
         "path,width,height header, sizes positive integers.", '{"a.jpg": [640]}',
         "Fix the entry at the reported location."),
    Code("AF037", "yolo-image-unreadable", WARN, "cannot read the size of {path}: {reason}",
         "The image header could not be read (truncated file, unsupported format), so its "
         "labels cannot be de-normalised.", "a zero-byte a.jpg",
         "Replace the image, or give its size with image_sizes=FILE."),
    Code("AF038", "yolo-classify-needs-images", ERR, "cannot write a classification dataset: "
         "{reason}", "A YOLO classification dataset is its images, one folder per class; the "
         "writer copies each image (from image_root) into <subset>/<class>/ and needs exactly "
         "one tag per item.", "annoformat convert a.json out --to yolo --opt task=classify",
         "Pass image_root=FOLDER and give every item exactly one tag."),
    Code("AF115", "yolo-nc-mismatch", ERR, "names has {names} entries but nc is {nc}",
         "Ultralytics requires nc (Darknet: classes) to equal the number of names; a mismatch "
         "shifts or truncates classes.", "nc: 3\nnames: [cat, dog]",
         "Fix nc or add the missing names."),
    Code("AF116", "yolo-names-not-contiguous", ERR, "class names must cover 0..{last} without "
         "gaps; {missing} is missing", "Class index i is the i-th name: a gap makes every "
         "later class ambiguous.", "names: {0: cat, 2: dog}",
         "Number the names 0..nc-1 (an empty line in obj.names / classes.txt is a gap)."),
    Code("AF117", "yolo-no-names", ERR, "no class names: {reason}",
         "Without names, class indices cannot be mapped to labels.", "names: []",
         "List the class names."),
    Code("AF118", "yolo-pose-without-kpt-shape", ERR, "task pose needs kpt_shape [K, 2 or 3] in "
         "data.yaml", "Pose rows can only be split into keypoints when kpt_shape says how many "
         "there are and whether each has a visibility value.", "task=pose on a detect dataset",
         "Add kpt_shape to data.yaml, or read with another task."),
    Code("AF215", "yolo-label-file-collision", ERR, "items {first} and {second} map to the same "
         "label file {label}", "YOLO names a label file after its image without the extension; "
         "a/img.jpg and a/img.png, or names differing only in case or Unicode normalisation, "
         "would share one (and overwrite each other on case-insensitive disks).",
         "images a.jpg and A.jpg in one subset", "Rename one of the images."),
    Code("AF216", "yolo-class-out-of-range", ERR, "class index {value} is not in 0..{last} "
         "({count} names)", "The row's class has no name in data.yaml / obj.names.",
         "5 0.5 0.5 0.2 0.2   with names [cat, dog]", "Fix the index or add the name."),
    Code("AF217", "yolo-class-not-integer", ERR, "class index {value!r} is not a non-negative "
         "integer", "The first field of a row is the class index.", "cat 0.5 0.5 0.2 0.2",
         "Write the class index (0-based), not the name or a float."),
    Code("AF219", "yolo-split-missing", WARN, "data.yaml has no {key!r} split; Ultralytics "
         "requires train and val", "Training with Ultralytics stops when train or val is "
         "missing; annoformat reads what is there.", "names: [cat]\ntrain: images/train",
         "Add the missing key (val may point at the train images)."),
    Code("AF330", "yolo-value-out-of-range", ERR, "normalised value {value} (field {field}) is "
         "outside [0, 1]", "YOLO coordinates are fractions of the image size; Ultralytics "
         "rejects the whole label file when one is negative or above 1.",
         "0 1.2 0.5 0.2 0.2", "Fix the value, or re-export with clipping."),
    Code("AF331", "yolo-write-out-of-range", ERR, "the {where} of this annotation would be "
         "written as {value}, outside [0, 1]", "The annotation lies partly outside its "
         "image; annoformat never clips silently.", "a box at x=-5 on a 640-wide image",
         "Fix the annotation, or pass clip=True (every clipped annotation is reported)."),
    Code("AF332", "yolo-clipped", WARN, "clipped to the image: {before} -> {after}",
         "clip=True was given and this annotation extended outside its image.",
         "bbox [-5, 10, 20, 20] -> [0, 10, 15, 20]", "Nothing, if clipping was intended."),
    Code("AF333", "yolo-image-size-unknown", ERR, "the size of image {image} is unknown, so its "
         "labels cannot be (de)normalised", "YOLO values are fractions of the image size; "
         "annoformat never guesses a size.", "labels/train/a.txt with rows and no image",
         "Provide the images, or image_sizes=FILE / image_size=[w, h]."),
    Code("AF334", "yolo-obb-not-rectangle", WARN, "the 4 OBB corners are not a rectangle "
         "(sides {sides}); read as a 4-point polygon", "An oriented box's corners must form a "
         "rectangle; this quadrilateral is kept exactly as a polygon instead.",
         "0 0.1 0.1 0.5 0.1 0.6 0.4 0.1 0.3", "Nothing, unless the corners are wrong."),
    Code("AF335", "yolo-kpt-shape-mixed", ERR, "YOLO pose needs one kpt_shape; keypoint counts: "
         "{counts}", "Every pose row has the same number of keypoints (kpt_shape in "
         "data.yaml).", "person (17 keypoints) and hand (21) in one dataset",
         "Write the labels as separate datasets, or pad to one skeleton."),
    Code("AF515", "yolo-no-single-task", ERR, "the dataset holds {kinds}; no single YOLO task "
         "holds them all", "A YOLO dataset is one task (detect, segment, obb, pose or "
         "classify); annoformat will not pick what to approximate or drop for you.",
         "polygons and rotated boxes in one dataset",
         "Pass task=... (what that task cannot hold is then reported as AF516/AF517).",
         refusal=True),
    Code("AF516", "yolo-task-approximation", ERR, "{count} {kind} annotation(s) written as "
         "{target} for task {task}: {ids}", "The chosen task stores another shape; the "
         "geometry is converted (a box is exactly a 4-point polygon; a polygon becomes its "
         "enclosing box).", "task=detect on COCO polygons",
         "Choose a task that holds the shape if the approximation is not wanted."),
    Code("AF517", "yolo-task-dropped", ERR, "{count} {kind} annotation(s) cannot be written in "
         "task {task} and were left out: {ids}", "The task chosen with task=... has no way to "
         "store these annotations.", "keypoints with task=detect",
         "Choose a task that holds them."),
    # --- end of YOLO codes
    # --- CVAT codes (issue 4): AF040-AF049, AF120-AF129, AF220-AF229, AF340-AF349,
    #     AF520-AF529, AF920-AF924 ------------------------------------------------------------
    Code("AF041", "invalid-skeleton-svg", ERR, "skeleton label {label!r} has an unusable <svg>: "
         "{reason}", "CVAT stores a skeleton's edges in an escaped SVG string; its circles name "
         "the sublabels (data-label-name) and its lines join node ids (data-node-from/to).",
         '<svg>&lt;line data-type="edge" data-node-from="1" data-node-to="9"&gt;...</svg> '
         "(no node 9)", "Re-export the task from CVAT, or fix the node ids in the SVG."),
    Code("AF042", "cvat-version", WARN, "CVAT XML version {version!r} is not 1.1; read as 1.1",
         "annoformat reads CVAT for images/video 1.1; other versions may differ in detail.",
         "<version>1.0</version>", "Re-export from a current CVAT."),
    Code("AF043", "invalid-label-spec", ERR, "label declaration: {reason}",
         "A label in <meta> cannot be used as declared: an attribute with an unknown input_type, "
         "a sublabel whose parent is not a skeleton label.",
         "<attribute><name>kind</name><input_type>dropdown</input_type>...</attribute>",
         "Use one of select, radio, checkbox, number, text; give sublabels a skeleton parent."),
    # AF220-AF229: references and identity
    Code("AF220", "empty-label", ERR, "{where} has an empty label",
         "A shape, track or label declaration with label=\"\" belongs to no class; CVAT cannot "
         "import it and converters would drop it.", '<box label="" xtl="1" ...>',
         "Give the shape one of the labels declared in <meta>."),
    Code("AF221", "undeclared-attribute", WARN, "attribute {name!r} is not declared for label "
         "{label!r}; its value was kept as text", "CVAT attributes are declared per label in "
         "<meta>; an undeclared one has no type, and CVAT refuses it on import.",
         '<box label="car" ...><attribute name="colour">red</attribute></box> (car declares '
         "no 'colour')", "Declare the attribute for the label, or remove it."),
    Code("AF222", "invalid-attribute-value", ERR, "attribute {name!r} value {value!r}: {reason}",
         "Values are checked against the attribute's spec: a checkbox is true or false, a number "
         "is a number within its range, a select/radio value is one of the declared values.",
         '<attribute name="parked">maybe</attribute> for a checkbox',
         "Use a value the spec allows, or extend the spec in <meta>."),
    Code("AF223", "duplicate-attribute", ERR, "attribute {name!r} is given more than once",
         "One shape has two values for one attribute; which one is meant is unknown.",
         '<attribute name="a">1</attribute><attribute name="a">2</attribute>',
         "Keep one of the values."),
    Code("AF224", "invalid-skeleton-element", ERR, "skeleton {label!r} element {element!r} cannot "
         "be used: {reason}", "A <skeleton> holds one <points> child per declared sublabel, "
         "each with one point.", '<skeleton label="hand"><points label="nose" .../></skeleton>',
         "Use the skeleton's sublabels, once each, with one x,y point."),
    Code("AF225", "duplicate-track-id", ERR, "track id {track_id} is used more than once (first "
         "at {first})", "Tracks link shapes across frames by id; a repeated id merges two "
         "objects.", '<track id="3" ...>...</track><track id="3" ...>',
         "Renumber the tracks."),
    Code("AF226", "duplicate-track-frame", ERR, "track {track_id} has more than one shape on frame "
         "{frame} (first at {first})", "A track is one object: one shape per frame.",
         '<track id="0"><box frame="5" .../><box frame="5" .../></track>',
         "Remove one of the shapes or split the track."),
    Code("AF228", "track-label-conflict", ERR, "track {track_id} has annotations of several "
         "labels ({labels}); a CVAT track has one label", "CVAT stores the label on the track, "
         "so every annotation sharing a track_id must share its label.",
         "two frames of track_id 4 labelled 'car' and 'truck'",
         "Fix the labels or give the annotations different track ids."),
    # AF340-AF349: geometry
    Code("AF340", "mask-outside-image", ERR, "mask crop {mask_width}x{mask_height} at ({left}, "
         "{top}) does not fit the {width}x{height} image", "A CVAT mask is a crop placed at "
         "left/top; it has to lie inside the image to become an image-sized mask.",
         '<mask left="630" top="0" width="20" height="5" .../> on a 640x480 image',
         "Fix left/top/width/height, or the image size."),
    Code("AF341", "mask-without-image-size", ERR, "mask on an image without width and height "
         "cannot be placed", "Masks become image-sized RLE; without the image size there is no "
         "such size.", '<image id="0" name="a.jpg"><mask .../></image>',
         "Add width and height to the <image>."),
    Code("AF343", "cuboid-kept-as-points", WARN, "{count} cuboid(s) have no IR type: each is kept "
         "as an 8-point 'points' annotation marked extras['cvat']['cuboid']",
         "Only CVAT writes them back as cuboids; other formats see (or drop) 8 points.",
         '<cuboid label="car" xtl1="..." .../>', "Nothing to do for CVAT -> CVAT; for other "
         "targets decide whether the corner points are useful."),
    # AF520-AF529: conversion loss
    Code("AF520", "cvat-flavour-loss", WARN, "{count} {what} cannot be written as {format}: "
         "{reason}", "The CVAT flavour chosen for writing cannot hold everything (tags in a "
         "video task, several videos in one task).", "Tag annotations written with "
         "flavour=video", "Write the other flavour (option flavour=images|video)."),
    Code("AF521", "polygon-rings-split", WARN, "{count} extra polygon ring(s) were written as "
         "separate CVAT polygons (a CVAT polygon has one ring)", "A multi-ring IR polygon (a "
         "COCO object in several parts) becomes one CVAT polygon per ring, with the same label, "
         "group and attributes.", "a COCO segmentation with two polygons",
         "Nothing to do unless one object per polygon matters; group ids still tie them."),
    Code("AF522", "attribute-written-as-text", WARN, "{count} attribute value(s): {reason}",
         "CVAT attribute values are text, numbers or booleans; other values are written as JSON "
         "text and read back as strings.", "attributes={'tags': ['a', 'b']}",
         "Use scalar attribute values."),
    Code("AF523", "keypoints-as-points", WARN, "{count} keypoints annotation(s) of labels without "
         "matching keypoint names were written as CVAT points", "A CVAT skeleton needs one "
         "sublabel per keypoint; without them the keypoints are written as plain points.",
         "Keypoints on a label whose keypoints list is empty",
         "Declare keypoint names on the label."),
    # AF920-AF924: safety limits
    Code("AF920", "too-many-frames", ERR, "the task declares frames {start}..{stop} by {step}, "
         "more than {limit}", "A video task's frame range becomes one item per frame; a huge "
         "range is a typo or an attack, not a video.", "<start_frame>0</start_frame>"
         "<stop_frame>999999999999</stop_frame>", "Fix start_frame/stop_frame."),
    # --- end of CVAT codes
    # --- JSONL/text codes (issue 5): AF050-AF059, AF130-AF139, AF230-AF239, AF400-AF449,
    #     AF530-AF539, AF925-AF929 ------------------------------------------------------------
    Code("AF050", "native-header-missing", ERR, "the first record is not an annoformat JSONL "
         "header: {reason}", "annoformat's own JSONL starts with one header record "
         '({"annoformat": "1", "labels": [...], "info": {...}, "extras": {...}}) that holds the '
         "dataset-level data; without it labels and metadata would be lost.",
         '{"id": "1", "media": {...}}  (on line 1)',
         "Write the file with annoformat (format jsonl), or add the header line."),
    Code("AF051", "native-version-unsupported", ERR, "annoformat JSONL version {version!r} is not "
         "supported (this annoformat reads {supported})", "The file was written by a newer "
         "annoformat whose record layout this version does not know.",
         '{"annoformat": "9", ...}', "Upgrade annoformat."),
    Code("AF052", "native-header-repeated", ERR, "a second annoformat header record (the first is "
         "on line 1)", "Two annoformat JSONL files were probably concatenated; their labels and "
         "metadata cannot both apply.", 'cat a.jsonl b.jsonl > c.jsonl',
         "Merge the datasets with annoformat instead of concatenating files."),
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
    Code("AF130", "missing-text", ERR, "record has no text string under {key!r}",
         "Text labels index into the text; a record without it cannot be read.",
         '{"label": ["positive"]}', "Add the text (or pass the text key used by the file)."),
    Code("AF230", "unknown-relation-entity", ERR, "relation {relation!r} refers to entity id "
         "{entity_id!r}, which is not an entity of this record",
         "doccano relations join two entities of the same record by id.",
         '{"entities": [{"id": 1, ...}], "relations": [{"from_id": 1, "to_id": 7, ...}]}',
         "Fix the id, or remove the relation."),
    Code("AF231", "duplicate-entity-id", ERR, "entity id {entity_id!r} is used more than once in "
         "this record", "Relations refer to entities by id; a repeated id is ambiguous.",
         '{"entities": [{"id": 1, ...}, {"id": 1, ...}]}', "Give every entity a unique id."),
    Code("AF401", "span-out-of-range", ERR, "span [{start}, {end}) is outside the text of "
         "{length} characters", "Offsets are Unicode code points into the record's text; a "
         "span past the end (often a byte or UTF-16 offset) points at nothing.",
         '{"text": "abc", "label": [[1, 9, "X"]]}',
         "Fix the offsets; check whether the producer counted bytes or UTF-16 units."),
    Code("AF402", "span-empty-or-reversed", ERR, "span end {end} is not after its start {start}",
         "A span [start, end) with end <= start covers no text.",
         '{"label": [[5, 5, "X"]]}', "Remove the span or fix its end."),
    Code("AF403", "span-text-mismatch", ERR, "span [{start}, {end}) covers {actual!r} but the "
         "record says {stored!r}", "The offsets and the stored span text disagree: the "
         "offsets were shifted (an emoji counted as two units, a text edited after labelling).",
         '{"text": "😀 Paris", "spans": [{"start": 3, "end": 8, "text": "Paris"}]}',
         "Recompute the offsets from the span text."),
    Code("AF404", "span-whitespace", WARN, "span [{start}, {end}) {actual!r} starts or ends with "
         "whitespace", "Leading or trailing whitespace is almost always a labelling slip; "
         "evaluation counts such spans as wrong.", '{"text": "in Paris", "label": [[2, 8, "LOC"]]}',
         "Trim the span to the word."),
    Code("AF405", "duplicate-span", WARN, "span [{start}, {end}) {label!r} appears more than once",
         "The same label on the same characters twice counts the entity twice.",
         '{"label": [[0, 5, "PER"], [0, 5, "PER"]]}', "Remove the duplicate."),
    Code("AF406", "overlapping-spans", ERR, "span [{start}, {end}) {label!r} overlaps "
         "[{other_start}, {other_end}) {other_label!r}", "Flat NER (BIO tagging, most "
         "trainers) cannot hold overlapping or nested spans; they would silently vanish.",
         '{"label": [[0, 5, "PER"], [3, 9, "ORG"]]}',
         "Fix the spans, or pass allow_overlap=true if nested entities are intended."),
    Code("AF407", "utf16-offset-splits-character", ERR, "UTF-16 offset {offset} falls between "
         "the two halves of {char!r}", "Label Studio counts offsets in UTF-16 code units, where "
         "a character outside the BMP (an emoji) takes two; an offset between them is corrupt.",
         '{"text": "😀a", "value": {"start": 1, "end": 3}}', "Fix the offset."),
    Code("AF408", "span-not-on-token-boundary", ERR, "span [{start}, {end}) {label!r} does not "
         "{reason}", "Token-based formats (CoNLL/BIO, Prodigy tokens) can only hold spans that "
         "start and end at token boundaries; moving the span would change the label.",
         "span 'Paris' in 'Paris.' with the whitespace tokenizer",
         "Use a tokenizer that splits there (conll option tokenizer=words), or fix the span."),
    Code("AF409", "token-index-mismatch", ERR, "token_start/token_end {token_start}..{token_end} "
         "do not match characters [{start}, {end}): {reason}", "Prodigy spans carry both "
         "character offsets and (inclusive) token indices; they must agree.",
         '{"spans": [{"start": 0, "end": 5, "token_start": 0, "token_end": 1}]}',
         "Recompute token_start/token_end from the tokens (token_end is inclusive)."),
    Code("AF410", "token-offset-mismatch", ERR, "token {index} [{start}, {end}) says {stored!r} "
         "but the text there is {actual!r}", "Prodigy tokens carry their own character "
         "offsets into the text; they must point at the token's text.",
         '{"text": "a b", "tokens": [{"text": "b", "start": 0, "end": 1}]}',
         "Re-tokenize the text."),
    Code("AF530", "answers-not-written", WARN, "{count} item(s) answered reject/ignore were not "
         "written as {format}: it cannot mark an answer, and their text without labels would "
         "read as having none (ids: {ids})", "A rejected or ignored Prodigy task is never a "
         "positive label; in a format without answers it is left out instead.",
         "Prodigy answer=reject records converted to CoNLL",
         "Convert to doccano, Label Studio, Prodigy or jsonl to keep them."),
    Code("AF531", "relations-dropped", WARN, "{count} doccano relation(s) cannot be written as "
         "{format} (items: {ids})", "Only doccano and annoformat JSONL hold relations between "
         "spans.", "doccano relation extraction exported to CoNLL",
         "Convert to doccano or jsonl to keep them."),
    Code("AF532", "text-rebuilt-from-tokens", WARN, "{count} item(s) will read back from "
         "{format} with their text rebuilt from tokens (whitespace normalised, offsets shift "
         "with it): ids {ids}", "CoNLL stores tokens, not text; reading joins the tokens with "
         "single spaces. Spans stay on the same tokens.", "'Hello  world' (two spaces) -> "
         "'Hello world'", "Nothing to do unless the exact text matters; keep a jsonl copy."),
    Code("AF925", "line-too-long", ERR, "line is longer than the {limit}-byte limit for one "
         "record; it was skipped", "A single JSONL record that large is not an annotation; "
         "the cap keeps memory flat on hostile input.", "a 5 GB line without a newline",
         "Raise max_line_bytes if the record is genuine."),
    # --- end of JSONL/text codes
    # --- AF9xx: safety limits --------------------------------------------------------------
    Code("AF901", "file-too-large", ERR, "{path} is {size} bytes, over the {limit}-byte limit",
         "A cap protects against runaway inputs.", "a 20 GB JSON file",
         "Raise the limit with max_bytes= if the file is genuine."),
    Code("AF902", "nesting-too-deep", ERR, "nesting is deeper than {limit} levels",
         "Deeply nested documents are a denial-of-service vector and never valid annotations.",
         "[[[[[[...]]]]]] 2000 levels deep", "Fix the producer of the file."),
    Code("AF903", "too-many-diagnostics", INFO, "stopped recording after {limit} diagnostics "
         "(--max-errors); more may exist", "The report is capped to keep output readable.",
         "annoformat validate big.json --max-errors 10", "Fix the first ones, or raise the cap."),
]

CODES: dict[str, Code] = {entry.code: entry for entry in _ENTRIES}
BY_NAME: dict[str, Code] = {entry.name: entry for entry in _ENTRIES}


def lookup(code_or_name: str) -> Code:
    """The catalogue entry for a code (``AF203``) or name (``duplicate-image-id``).

    Raises:
        KeyError: neither a known code nor a known name.
    """
    key = code_or_name.strip()
    if key.upper() in CODES:
        return CODES[key.upper()]
    return BY_NAME[key.lower()]


def markdown() -> str:
    """The catalogue as Markdown (``docs/codes.md`` is this, kept in sync by a test)."""
    lines = [
        "# Diagnostic codes",
        "",
        "Generated by `annoformat codes --markdown` from `src/annoformat/codes.py`; do not edit.",
        "Families: AF0xx I/O and syntax, AF1xx schema, AF2xx references and identity, AF3xx "
        "geometry, AF4xx text spans, AF5xx conversion loss, AF6xx project rules, AF9xx safety "
        "limits.",
        "",
    ]
    for entry in CODES.values():
        lines += [
            f"## {entry.code} `{entry.name}`",
            "",
            f"Severity: **{entry.severity.value}**. Message: `{entry.template}`",
            "",
            entry.explanation,
            "",
            f"Example: `{entry.example}`",
            "",
            f"Fix: {entry.fix}",
            "",
        ]
    return "\n".join(lines)
