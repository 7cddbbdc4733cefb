"""The catalogue of diagnostic codes: the core's own, plus those each format declares.

The core defines the generic codes below (I/O, schema, references, geometry, spans, loss, project
rules, limits). A format declares the codes only it raises in its ``FormatSpec.codes``; the
registry merges them in at discovery (:func:`register`), refusing a code or name that is already
taken (AF012 for a plugin). Families (DESIGN.md): AF0xx I/O and syntax, AF1xx schema, AF2xx
references and identity, AF3xx geometry, AF4xx text spans, AF5xx conversion loss, AF6xx project
rules, AF7xx quality (compare and the other quality commands), AF9xx safety limits. Codes are
never reused; a retired code stays with ``retired=True``.

Example:
    >>> from annoformat.codes import entry
    >>> entry("AF203").name
    'duplicate-image-id'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
         "{path} already exists; pass --overwrite (overwrite=True) to replace it",
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
    Code("AF009", "empty-source", ERR, "read 0 items from {path}, which holds {seen}; {why}",
         "A source that holds files but yields no items is almost always a layout or dialect the "
         "reader does not know: converting it would write an empty dataset that looks like a "
         "success. Items without annotations are fine; zero items from files is not.",
         "annoformat convert VOCdevkit/ out.json --to coco   (years one level deeper)",
         "Point at the dataset itself (see what each format looked for), or pass "
         "--allow-empty (allow_empty=True) when the source really holds no items."),
    Code("AF018", "input-skipped", INFO, "{count} file(s) in {path} skipped ({files}): no "
         "format recognises them as annotation data",
         "Validating a folder validates every dataset found in it; files that no format "
         "recognises (READMEs, licences, images, notes) are listed as skipped, never silently.",
         "annoformat validate labels/   (labels/README.md)",
         "Nothing to do if the file is not annotation data; else pass --format."),
    Code("AF019", "unsafe-archive-entry", ERR, "archive entry {entry!r} of {path} is refused: "
         "{reason}", "An archive entry that is absolute, climbs out with '..', is a link or a "
         "device, or is named twice could write outside the unpacking folder or hide data; "
         "the whole archive is refused.", "a zip holding '../../.bashrc'",
         "Re-create the archive from the dataset folder."),
    Code("AF044", "invalid-option-value", ERR, "option {option!r} of format {format}: {reason}",
         "The option exists but the value given does not fit it (a word where a number is "
         "needed, a choice that is not offered).", "--opt precision=high",
         "Run `annoformat formats NAME` for the option's type and choices."),
    Code("AF056", "unknown-format-name", ERR, "no format is named {name!r}{hint} Known: "
         "{known}", "--to, --from and format= take a format's name or one of its aliases "
         "(yolov8 and ultralytics for yolo, pascal_voc for voc, ls for label-studio...; "
         "`annoformat formats` lists them); case, '-' and '_' do not matter.",
         "annoformat convert a.json out --to yolo8", "Use one of the names listed."),
    Code("AF057", "not-this-format", ERR, "{path} is not a {format} dataset: {reason}",
         "The format was named (--from, format=), so it is not guessed; what it reads was not "
         "found at this path. (Without a name, detection says which format it found, or AF010.)",
         "annoformat validate --format yolo annotations.json", "Check the path and the format "
         "name; `annoformat detect PATH` says which format each reader recognises."),
    Code("AF060", "media-missing", WARN, "{count} image(s) named by the dataset were not found "
         "under {root}, so the output lacks them (items: {ids})",
         "A format that keeps images beside its labels gets each item's image linked or copied "
         "in (--media); an image that is absent, or that several files could be, is left out "
         "rather than guessed.", "COCO file_name a.jpg with no a.jpg under the source folder",
         "Pass --images DIR (the folder holding the images), or add the missing files."),
    Code("AF061", "media-not-written", WARN, "the {format} output holds labels only ({reason}): "
         "its {count} image(s) are not in it, so it cannot be trained on as it is",
         "The target keeps images beside its labels (YOLO images/, VOC JPEGImages/); with "
         "--media none, or a source without images, they are left where they were.",
         "annoformat convert a.json out --to yolo --media none",
         "Pass --media hardlink|copy|symlink, or --images DIR, or copy the images yourself."),
    Code("AF067", "control-character", WARN, "{what} {value!r} holds {char}",
         "Control characters (NUL, ESC, a line break in a name...) are invisible, change what a "
         "terminal shows, end a line where a line-based format expects one value, and cannot be "
         "stored in XML 1.0 at all (CVAT, VOC). A label, file name, item id, subset or "
         "attribute that holds one is almost always an export bug. Tabs and line breaks are "
         "allowed in attribute values.", '{"categories": [{"id": 1, "name": "cat\\u001b"}]}',
         "Remove the character from the source; converting to an XML target is refused "
         "(AF068) until then."),
    Code("AF068", "text-not-representable", ERR, "{count} {what} cannot be written as "
         "{format}: {reason}", "The target cannot store some characters of the dataset's text: "
         "XML 1.0 (CVAT, VOC) has no way to write most control characters, not even escaped, "
         "and files that list one name per line cannot hold a line break in a name. The "
         "conversion is refused before anything is written; --allow-loss does not lift it "
         "(nothing would say which label a mangled name was).",
         "a label 'cat\\x1b' converted to CVAT",
         "Rename the labels or fix the values in the source (the ids list the first ones).",
         refusal=True),
    Code("AF069", "control-character-in-file-name", ERR, "{count} file name(s) for {format} "
         "would hold a control character: {reason}",
         "A writer that creates a file per image (YOLO label files, VOC Annotations/*.xml, "
         "images placed beside the labels) would create a file whose name holds a line break "
         "or another control character: such files break every line-based list of files and "
         "every shell script that handles them. The conversion is refused.",
         '{"images": [{"file_name": "a\\nb.jpg", ...}]} converted to YOLO',
         "Rename the images (and their file names in the source).", refusal=True),
    Code("AF071", "image-file-name-missing", ERR, "{count} item(s) have no image file name, "
         "and {format} names every image by its file",
         "VOC's <filename> and Annotations/<name>.xml, YOLO's label files and CVAT's <image "
         "name> all come from the image's file name. An item without one (a COCO results file "
         "names its images by id only) would be written as an empty name, or not at all: the "
         "conversion is refused before anything is written; --allow-loss does not lift it.",
         '[{"image_id": 42, "category_id": 18, "bbox": [...], "score": 0.9}] converted to VOC',
         "Convert a file that names the images (the ground-truth COCO file the results were "
         "made for, with the results merged into it), or convert to coco or jsonl, which keep "
         "images known by id only.", refusal=True),
    Code("AF020", "invalid-xml", ERR, "invalid XML: {reason}",
         "The file is not well-formed XML (an unclosed tag, a truncated file, a stray '&').",
         "<annotation><object></annotation>", "Fix the syntax at the reported line."),
    Code("AF021", "xml-doctype-forbidden", ERR, "DOCTYPE and entity declarations are refused: "
         "{reason}", "A DOCTYPE can declare entities that expand to huge text or read local "
         "files (XXE). Annotation files never need one, so annoformat refuses them instead of "
         "silently expanding or dropping them.",
         "<!DOCTYPE annotation [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>",
         "Remove the DOCTYPE and replace entity references with their text."),
    Code("AF062", "destination-busy", ERR, "{path} is being written by another process: {reason}",
         "Two conversions to one destination would replace each other's output. annoformat holds "
         "an exclusive lock beside the destination while it writes (released by the kernel if "
         "the process dies), and moves a new destination into place only if nothing is there "
         "yet, so exactly one writer wins.",
         "two `annoformat convert a.json out/ --to yolo` run at the same time",
         "Wait for the other conversion, or write to another destination."),
    Code("AF063", "destination-not-replaceable", ERR,
         "{path} holds files annoformat did not write there ({entries}); {reason}",
         "--overwrite replaces only what an earlier conversion wrote: a folder is replaced by "
         "the new output only when every top-level entry in it is one the new output also "
         "writes (or it is empty). A version-controlled folder (.git, .hg, .svn...) is never "
         "replaced.", "annoformat convert a.json myproject/ --to yolo --overwrite "
         "(myproject/ holds .git/ and src/)",
         "Choose a new or empty destination folder, or remove the listed entries first."),
    Code("AF064", "stale-staging-removed", INFO,
         "removed {count} staging folder(s) left beside {path} by an interrupted run: {folders}",
         "A conversion writes into a hidden staging folder beside its destination and moves it "
         "into place at the end; a process killed before that leaves the folder behind. The "
         "next write to the same destination (holding its lock, so no live run owns them) "
         "removes them.", "kill -9 a running `annoformat convert`, then run it again",
         "Nothing to do; the destination itself was never touched by the killed run."),
    Code("AF065", "not-a-regular-file", ERR, "{path} is {kind}, not a file annoformat can read",
         "Devices, FIFOs and sockets never end or block when read (`validate /dev/zero` would "
         "read until memory runs out), so they are refused before anything is read.",
         "annoformat validate /dev/zero", "Pass the annotation file itself (or copy the "
         "stream to a file first)."),
    Code("AF066", "binary-file", ERR, "{path} holds binary data (a NUL byte at offset "
         "{offset}), not annotation text",
         "Every annotation format annoformat reads is text, where a NUL byte never occurs; the "
         "first 64 KiB are looked at before the rest is read, so a sparse or binary file is "
         "refused without reading it whole.", "a 2 GB sparse file named labels.json",
         "Check that the file is the export you meant (not an image, an archive or a "
         "truncated download)."),
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
    Code("AF103", "invalid-ir-value", ERR, "{pointer}: {reason} (got {value})",
         "A dataset built or changed in Python holds a value of the wrong type or range for "
         "its field (the models check on construction, not on assignment, for speed); save() "
         "and validate() on a dataset check every field again before anything is written.",
         'ds.items[0].annotations[0].x = "5"', "Assign a value of the field's type (see "
         "annoformat.model), or build the annotation again with its constructor."),
    Code("AF203", "duplicate-image-id", ERR, "image id {image_id} is used more than once (first at "
         "{first})", "Annotations are attached to images by id; a duplicate makes it ambiguous.",
         '{"images": [{"id": 1, ...}, {"id": 1, ...}]}', "Give every image a unique id."),
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
    Code("AF230", "unknown-relation-entity", ERR, "relation {relation!r} refers to id "
         "{entity_id!r}, which no annotation of this item has",
         "A relation (doccano's relation extraction, Label Studio's relations) joins two "
         "annotations of the same item by their ids.",
         '{"entities": [{"id": 1, ...}], "relations": [{"from_id": 1, "to_id": 7, ...}]}',
         "Fix the id, or remove the relation."),
    Code("AF232", "skeleton-edge-out-of-range", ERR, "label {label!r}: skeleton edge {edge} "
         "names a keypoint that does not exist (it has {count}; indexes are 0-based in the IR)",
         "A skeleton edge joins two of the label's keypoints by their index; an index past the "
         "list would be written as an edge to nothing (COCO) or crash a writer (CVAT).",
         "Label(name='person', keypoints=['a', 'b'], skeleton=[(0, 5)])",
         "Fix the edge, or add the missing keypoint names."),
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
    Code("AF312", "coordinate-out-of-range", ERR, "coordinate {value} is beyond ±{limit} "
         "pixels", "No image is ten million pixels across; a coordinate that large is a "
         "unit mix-up or a corrupt value, and writers would print it as a number of hundreds "
         "of digits (VOC's integer pixels).", '{"bbox": [1e308, 0, 10, 10]}',
         "Fix the coordinate, or drop the annotation.", refusal=True),
    Code("AF313", "number-too-large", ERR, "number {text} is too large for a 64-bit float",
         "The number overflows a 64-bit float (beyond about 1.8e308): it is not NaN or "
         "Infinity in the file, but no parser can read it as a number, and it is far too large "
         "to be a coordinate or a size.", '{"bbox": [1e400, 0, 10, 10]}  (or 400 digits)',
         "Fix the tool that wrote the value."),
    # --- AF5xx: conversion loss ------------------------------------------------------------
    Code("AF501", "annotations-dropped", ERR, "{count} {kind} annotation(s) cannot be written as "
         "{format}", "The target format has no way to store this annotation type.",
         "converting keypoints to a format that holds only boxes",
         "Pick a target that holds them, or pass --allow-loss (allow_loss=True) to drop them "
         "knowingly."),
    Code("AF502", "geometry-approximated", ERR,
         "{count} {kind} annotation(s) would be approximated "
         "as {target} in {format}", "The target stores a simpler shape (a polygon's bounding box).",
         "converting polygons to a box-only format",
         "Pick a target that holds the shape, or pass --allow-loss (allow_loss=True)."),
    Code("AF503", "attributes-dropped", ERR, "{count} annotation/item attribute value(s) cannot be "
         "written as {format} (names: {names})", "The target has no attributes.",
         "a CVAT 'occluded' attribute going to YOLO",
         "Pass --allow-loss (allow_loss=True) to drop them knowingly."),
    Code("AF504", "tracks-dropped", ERR, "{count} track id(s) cannot be written as {format}",
         "The target cannot link annotations across frames.", "CVAT video tracks to COCO",
         "Pass --allow-loss (allow_loss=True) to drop the links knowingly."),
    Code("AF505", "scores-dropped", ERR,
         "{count} prediction score(s) cannot be written as {format}",
         "The target has no confidence field.", "a COCO results file to a format without scores",
         "Pass --allow-loss (allow_loss=True) to drop the scores knowingly."),
    Code("AF506", "fields-dropped", ERR, "{count} value(s) of field {field!r} cannot be written as "
         "{format}", "An annotation field the target cannot hold (group, z_order, occluded, "
         "crowd...).", "COCO iscrowd=1 to a format without crowd regions",
         "Pass --allow-loss (allow_loss=True) to drop them knowingly."),
    Code("AF507", "metadata-dropped", WARN, "{what} cannot be written as {format}: {detail}",
         "Dataset metadata (info, licenses, supercategories, another format's extras) the target "
         "cannot hold.", "COCO 'licenses' to a format without licenses",
         "Nothing to do if the metadata is not needed; --strict (strict=True) refuses it."),
    Code("AF508", "ids-reassigned", WARN,
         "{count} {what} id(s) were renumbered for {format}: {reason}",
         "The source ids cannot be kept as they are (not integers, or not unique in the output).",
         "text item ids written as COCO image ids", "Nothing to do unless other files refer to "
         "the old ids."),
    Code("AF509", "items-dropped", ERR, "{count} item(s) cannot be written as {format}: {reason}",
         "The target cannot hold these items at all (text items to an image format).",
         "JSONL text documents converted to COCO", "Pick a target that holds them."),
    Code("AF524", "provenance-dropped", ERR, "{count} annotation {field} value(s) (who or what "
         "made an annotation) cannot be written as {format}{detail}",
         "The target has no place for an annotation's provenance: its annotator (a Label Studio "
         "user, a Prodigy session, a doccano user) or its origin (human, model). Provenance is "
         "not metadata: agreement, review and model-vs-human comparisons depend on it.",
         "a Label Studio export with two annotators converted to CoNLL",
         "Pick a target that keeps it (jsonl, Label Studio, CVAT, COCO...), or pass --allow-loss "
         "(allow_loss=True) to drop it knowingly."),
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
    Code("AF607", "box-too-small", ERR, "box {w}x{h} is below the project minimum "
         "({minimum})", "Boxes below the minimum are usually "
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
    # --- text labels, shared by the text formats and checks.py ---------------------------
    Code("AF130", "missing-text", ERR, "record has no text string under {key!r}",
         "Text labels index into the text; a record without it cannot be read.",
         '{"label": ["positive"]}', "Add the text (or pass the text key used by the file)."),
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
    Code("AF408", "span-not-on-token-boundary", ERR, "span [{start}, {end}) {label!r} does not "
         "{reason}", "Token-based formats (CoNLL/BIO, Prodigy tokens) can only hold spans that "
         "start and end at token boundaries; moving the span would change the label.",
         "span 'Paris' in 'Paris.' with the whitespace tokenizer",
         "Use a tokenizer that splits there (conll option tokenizer=words), or fix the span."),
    Code("AF925", "line-too-long", ERR, "line is longer than the {limit}-byte limit for one "
         "record; it was skipped", "A single JSONL record that large is not an annotation; "
         "the cap keeps memory flat on hostile input.", "a 5 GB line without a newline",
         "Raise max_line_bytes if the record is genuine."),
    # --- AF7xx: quality (compare) ----------------------------------------------------------
    Code("AF701", "items-only-in-reference", WARN, "{count} item(s) of the reference have no "
         "counterpart in the candidate ({annotations} annotation(s), left out of the metrics): "
         "{examples}",
         "compare pairs items by (subset, media path), then by media file name (text items by "
         "id, text, line). These reference items paired with nothing; their annotations are "
         "not counted as missing, so that a partial batch is measured on what it holds.",
         "annoformat compare gt.json batch1.json   (batch1 labels 40 of the 50 images)",
         "Compare against the matching part of the reference, or check that both sides name "
         "the images alike."),
    Code("AF702", "items-only-in-candidate", WARN, "{count} item(s) of the candidate have no "
         "counterpart in the reference ({annotations} annotation(s), left out of the metrics): "
         "{examples}",
         "Candidate items that paired with no reference item (see AF701); their annotations "
         "are not counted as extra.",
         "annoformat compare gt.json job.xml   (the job holds frames the ground truth lacks)",
         "Check the media paths of both sides, or restrict the candidate to the reference's "
         "items."),
    Code("AF703", "duplicate-item-key", WARN, "{count} key(s) name several items of the {side} "
         "(paired in order): {examples}",
         "Two items of one side have the same (subset, media path), or the same text id and "
         "text, so which item pairs with which is a guess: they are paired in file order.",
         "two COCO images with the same file_name in one file",
         "Give each item its own media path (or id), or split the subsets."),
    Code("AF704", "items-paired-by-name", INFO, "{count} item(s) paired by media file name "
         "only (their subset or folder differs): {examples}",
         "The two datasets name their media differently (a COCO file without subsets against a "
         "YOLO train/ folder), so items were paired by file name, which is reliable only when "
         "the names are unique.", "gt.json cat.jpg = yolo train/images/cat.jpg",
         "Nothing if the pairs shown are right; otherwise give the media unique names."),
    Code("AF705", "no-items-in-common", ERR, "no item of the reference pairs with an item of "
         "the candidate ({reference} and {candidate} item(s)): nothing to compare",
         "Not one item paired by media path, file name, id, text or line, so every metric "
         "would be empty: the inputs are probably not two versions of the same data.",
         "annoformat compare coco.json reviews.jsonl", "Check that you passed the right files."),
    Code("AF706", "quality-below-threshold", ERR, "{metric} = {value} is below {threshold} "
         "(--fail-under)",
         "A --fail-under gate of compare failed: the metric is below the value asked for (a "
         "metric that is null, because its denominator is empty, fails every gate).",
         "annoformat compare gt.json pred.json --fail-under f1=0.9",
         "Look at the conflicts listed, fix the annotations, or agree on another threshold."),
    Code("AF707", "invalid-compare-option", ERR, "{option} {value!r}: {reason}",
         "An option of compare is out of range or malformed (a --fail-under that is not "
         "METRIC=VALUE with a known metric, a threshold outside (0, 1]).",
         "annoformat compare a.json b.json --fail-under f2=0.9",
         "Metrics: precision, recall, f1, accuracy, mean_iou; thresholds are in (0, 1]."),
    # --- AF72x-AF73x: statistics and drift (annoformat stats) -----------------------------
    Code("AF720", "label-distribution-drift", WARN, "label distribution differs from {other}: "
         "Jensen-Shannon distance {distance} is above {threshold}",
         "The labels' shares in this dataset and in the reference (--against) are farther apart "
         "than the drift threshold: a new batch labelled under another reading of the "
         "guidelines, a different sampling of the data, or a class renamed on one side. The "
         "distance is 0 for equal distributions and 1 for disjoint ones.",
         "annoformat stats batch2.json --against batch1.json",
         "Look at the per-label share changes (the labels table); raise --drift-threshold "
         "if such a difference is expected."),
    Code("AF721", "box-size-drift", WARN, "box sizes differ from {other}: Jensen-Shannon "
         "distance {distance} of the size histograms is above {threshold}",
         "The objects' sizes (sqrt(w*h), in octave bins) are distributed differently from the "
         "reference: images at another resolution, boxes drawn tighter or looser, or a "
         "different kind of scene.",
         "annoformat stats batch2.json --against batch1.json",
         "Compare the size quantiles of both sides; check the image sizes and the guidelines "
         "for how tight a box is drawn."),
    Code("AF722", "label-share-changed", WARN, "label {label!r}: {share} of the annotations "
         "here, {other_share} in {other} (chi-square p = {p}, below {significance})",
         "The label's share of all annotations changed between the reference and this "
         "dataset by more than chance explains (chi-square test on this label against all "
         "others). With many annotations even a small change is significant: read the change "
         "as well as the p-value.",
         "annoformat stats batch2.json --against batch1.json",
         "Check whether the change is real (data) or a labelling difference (guidelines); "
         "pass a smaller --significance to flag only stronger evidence."),
    Code("AF723", "label-appeared", WARN, "label {label!r} ({count} annotation(s)) does not "
         "occur in {other}",
         "A label used here is absent from the reference: a new class, or a typo or renamed "
         "class that would split one class in two for training.",
         "'Car' in batch2.json, only 'car' in batch1.json",
         "Rename or merge it with a label map (annoformat convert --label-map), or add it to "
         "the reference on purpose."),
    Code("AF724", "label-vanished", WARN, "label {label!r} ({count} annotation(s) in {other}) "
         "does not occur here",
         "A label of the reference is absent here: a class the batch forgot, or one renamed.",
         "'truck' in batch1.json, none in batch2.json",
         "Check whether the data lacks the class or the annotators skipped it."),
    Code("AF725", "attribute-values-appeared", INFO, "attribute {attribute!r}: {count} value(s) "
         "not in {other}: {values}",
         "Attribute values used here are absent from the reference: new options, or spellings "
         "that differ ('Red' and 'red').",
         "color 'Red' here, only 'red' in the reference",
         "Normalise the values, or declare the new ones in the label's attribute spec."),
    Code("AF726", "attribute-values-vanished", INFO, "attribute {attribute!r}: {count} "
         "value(s) of {other} not used here: {values}",
         "Attribute values of the reference are absent here: options the annotators no longer "
         "pick, or values renamed.",
         "occluded 'partial' in the reference, never here",
         "Check the labelling tool's attribute options for this batch."),
    Code("AF727", "annotator-outlier", WARN, "annotator {annotator!r} labels unlike the others: "
         "Jensen-Shannon distance {distance} of their label distribution to the others' pooled "
         "is above {threshold}",
         "Of all annotators, this one's label distribution is the farthest from the others' "
         "together, and farther than the drift threshold: a different reading of the "
         "guidelines, or a different share of the data.",
         "annoformat stats tasks.json --by annotator",
         "Review a sample of this annotator's work (annoformat compare against a reference); "
         "if their items differ by design, this is expected."),
    Code("AF728", "too-few-annotators", INFO, "--by annotator needs annotations of at least two "
         "named annotators; found {count}",
         "Only annotations that name their annotator (Label Studio completed_by, Prodigy "
         "_annotator_id, doccano user, the IR's annotator field) take part; with fewer than two "
         "there is nobody to compare.",
         "annoformat stats coco.json --by annotator",
         "Use a format that keeps who annotated, or group by subset or label."),
    # --- AF740-AF759: agreement and consensus merge (annoformat agree, annoformat merge) ------
    Code("AF740", "too-few-annotators-to-agree", ERR, "{command} needs at least two annotators; "
         "found {count}{detail}",
         "Agreement and consensus are about several annotators: give one file per annotator, or "
         "one file whose annotations name their annotator (Label Studio completed_by, Prodigy "
         "_annotator_id, doccano user, the IR's annotator field).",
         "annoformat agree alice.json", "Pass each annotator's file, or a file that names them."),
    Code("AF741", "annotations-without-annotator", WARN, "{count} annotation(s) on {items} "
         "item(s) name no annotator and take no part: {examples}",
         "In one file, annotations are told apart by their annotator field; those without one "
         "belong to nobody (often model predictions or an import) and are left out.",
         "a Label Studio export whose predictions carry no model_version",
         "Give them an annotator, or pass one file per annotator."),
    Code("AF742", "items-not-in-every-file", INFO, "{count} item(s) are missing from the files of "
         "some annotators: they count only for those who have them: {examples}",
         "Items are paired across the annotators' files like compare pairs them (subset and "
         "media path, file name, text id, text, line). An item absent from a file was not "
         "given to that annotator, so it is missing data for them, not a disagreement.",
         "alice.json holds 10 images, bob.json 8 of them",
         "Expected when annotators had overlapping but different batches."),
    Code("AF743", "invalid-annotator-names", ERR, "--annotator {value}: {reason}",
         "With several files, --annotator names them in order (one name per file, all "
         "different); without it, the file stems name them and must differ too. With one "
         "file, --annotator picks annotators that the file names.",
         "annoformat agree a/labels.json b/labels.json",
         "Give one distinct --annotator NAME per file, in the order of the files."),
    Code("AF744", "items-with-one-annotator", INFO, "{count} item(s) were annotated by fewer than "
         "two annotators and take no part in the agreement: {examples}",
         "Agreement needs two judgements of the same item. With one file, an item counts for "
         "an annotator only when that annotator left at least one annotation on it.",
         "a Label Studio project where each task went to one annotator only",
         "Give the items to at least two annotators (task overlap)."),
    Code("AF745", "alpha-undefined", INFO, "Krippendorff's alpha is undefined here ({reason}): "
         "it is reported as null",
         "Alpha needs at least one unit coded by two annotators and at least two different "
         "values over all units; otherwise expected disagreement is zero or nothing pairs.",
         "two annotators who both drew one car each, matching",
         "Nothing to fix: the pairwise metrics still say how the annotators agree."),
    Code("AF746", "model-output-left-out", INFO, "{count} annotation(s) made by a model "
         "({names}) take no part; --with-models counts them as annotators",
         "In one file, annotations whose origin is a model (Label Studio predictions, COCO "
         "results, CVAT auto shapes) are pre-labels, not an annotator's judgement, so "
         "agreement and consensus leave them out unless asked.",
         "a Label Studio export with predictions", "Pass --with-models to include them."),
    Code("AF750", "invalid-quorum", ERR, "--quorum {quorum}: {reason}",
         "The quorum is how many annotators must have drawn an object for it to be kept; it "
         "is at least 1 and at most the number of annotators.",
         "annoformat merge a.json b.json --quorum 3 --to coco -o out.json",
         "Give a quorum between 1 and the number of annotators."),
    Code("AF751", "below-quorum", WARN, "{count} object(s) drawn by fewer than {quorum} "
         "annotator(s) were left out of the merge ({members} annotation(s)): {examples}",
         "Each cluster of matching objects across annotators is kept when at least --quorum "
         "annotators drew it; the others are dropped from the consensus.",
         "a box only one annotator of three drew, with --quorum 2",
         "Review them (annoformat agree lists the least-agreed items), or lower --quorum."),
    Code("AF752", "label-vote-tie", WARN, "{count} merged object(s) had a tied label vote; the "
         "tied label first in the label list was kept: {examples}",
         "The merged label is the majority of the cluster's labels; on a tie the order of the "
         "dataset's labels decides, which is arbitrary.",
         "two annotators drew the same box, one said car, the other truck",
         "Review these objects, or merge with an odd number of annotators."),
    Code("AF753", "relations-not-merged", WARN, "{count} relation(s) were left out of the merge",
         "Relations link annotations of one annotator; the merged objects are new, so no "
         "relation can be carried over.", "a doccano relation-extraction export",
         "Merge the entities, then link them again."),
    Code("AF754", "empty-items-disagree", INFO, "{count} item(s) that some annotators left "
         "empty hold objects from others: {examples}",
         "Several files: an item present in an annotator's file counts for that annotator even "
         "when they left it empty (they saw it and found nothing), so the others' objects "
         "there are disagreement.", "alice left a1.jpg empty, bob drew two cars on it",
         "Review these items first."),
    # --- AF9xx: safety limits --------------------------------------------------------------
    Code("AF901", "file-too-large", ERR, "{path} is {size} bytes, over the {limit}-byte limit",
         "A cap protects against runaway inputs.", "a 20 GB JSON file",
         "Raise the limit (default 8 GiB) with `annoformat --max-bytes 20G ...` or the "
         "ANNOFORMAT_MAX_BYTES environment variable (bytes) if the file is genuine."),
    Code("AF902", "nesting-too-deep", ERR, "nesting is deeper than {limit} levels",
         "Deeply nested documents are a denial-of-service vector and never valid annotations.",
         "[[[[[[...]]]]]] 2000 levels deep", "Fix the producer of the file."),
    Code("AF904", "archive-too-large", ERR, "{path}: {what} is {value}, over the limit of "
         "{limit}", "Archives are unpacked with caps on their total size, their number of "
         "entries and their compression ratio, checked on the declared sizes and on the bytes "
         "actually inflated: a zip bomb is refused before it fills the disk.",
         "a 1 MiB zip that inflates to 1 GiB (1000:1)",
         "Unpack the archive yourself if it is genuine, and pass the folder."),
    Code("AF905", "out-of-memory", ERR, "{path}: ran out of memory while reading it{detail}",
         "Reading the file needed more memory than the process could get (Python's "
         "MemoryError, or libxml2 failing to allocate, which it reports as \"Memory allocation "
         "failed\" or \"unknown error\" at 0:0). The file is not said to be invalid: it was not "
         "read to the end. CVAT XML is read as a stream and needs about the IR's size. A JSON "
         "document needs about 10 times its size to parse; when the process's limit (ulimit "
         "-v, the cgroup's memory.max) or the machine's free memory is smaller, it is refused "
         "before parsing, since the JSON parser cannot recover from running out.",
         "validate a 300 MB CVAT XML under `ulimit -v 500000`",
         "Give the process more memory (raise the limit, close other programs), or split the "
         "file (one per subset or task)."),
    Code("AF906", "listing-kept-in-memory", WARN, "the listing could not be sorted on disk "
         "({reason}); it is kept in memory",
         "A streamed read lists a folder or an image set in item order before its first item; "
         "past 50,000 entries it sorts them in runs written to the temporary folder (TMPDIR), "
         "so memory stays flat however many files there are. When that folder cannot be "
         "written (full, read-only, missing), the listing stays in memory: the result is the "
         "same, the memory grows with the dataset.",
         "stream a YOLO folder of 2M label files with TMPDIR on a full disk",
         "Point TMPDIR at a writable folder with room (a few hundred bytes per file listed)."),
    # --- AF93x: sharded runs (annoformat.dask) ----------------------------------------------
    Code("AF930", "shard-unreachable", ERR, "the shard could not be fetched: {reason}",
         "A shard named by URL is read through fsspec; the storage refused it (missing, no "
         "access, a dropped connection). The other shards are still checked; nothing is "
         "written while one is unreadable.",
         "annoformat validate 's3://bucket/part-*.jsonl' --scheduler local:2   (no credentials)",
         "Check the URL and the credentials the workers see (they read the shards, not the "
         "client)."),
    Code("AF931", "shard-labels-disagree", ERR, "label {label!r} is declared differently here "
         "than in {first}: {detail}",
         "Each shard's output gets the labels of every shard as one list, so that a YOLO class "
         "index or a COCO category id means the same everywhere. Two shards that declare a "
         "label with another id, parent, keypoints or attribute specs cannot share one list.",
         "part-1.json has category 'car' with id 3, part-2.json with id 7",
         "Make the shards' label declarations agree (a label map on each), or convert them "
         "apart."),
    Code("AF932", "shards-lost", ERR, "the cluster gave up on a shard: {reason}",
         "A shard's task ran on workers that died (out of memory, killed, a lost machine) more "
         "often than the scheduler allows (distributed.scheduler.allowed-failures, 3 by "
         "default). Shards are written whole or not at all, so what is at the destination is "
         "complete; the conversion as a whole is not.",
         "a shard too big for a worker's memory limit, killed on every attempt",
         "Give workers more memory or split the shard, and run the conversion again (with "
         "--overwrite: written shards are replaced whole)."),
    Code("AF933", "shards-do-not-merge", ERR, "the shard cannot be merged: {reason}",
         "Merging COCO shard files (a sharded conversion with --merge, or "
         "annoformat.dask.merge) makes one document of them: their images and annotations in "
         "turn, their categories and other top-level values once. A file that is not a COCO "
         "document, top-level values that differ, an id that two files share or an annotation "
         "of an image its file lacks would make that document wrong, so nothing is written.",
         "part-1.json and part-2.json both have an image with id 1",
         "Merge shards of one dataset (a sharded conversion numbers ids through its shards); "
         "for files of different datasets, make their categories and info agree, or number "
         "their ids apart (--opt first_image_id=... first_annotation_id=...)."),
    Code("AF903", "too-many-diagnostics", INFO, "stopped recording after {limit} diagnostics "
         "(--max-errors); more may exist", "The report is capped to keep output readable.",
         "annoformat validate big.json --max-errors 10", "Fix the first ones, or raise the cap."),
]

CORE = "core"

#: every known code, the core's first; formats' codes join at discovery
CODES: dict[str, Code] = {e.code: e for e in _ENTRIES}
#: code -> who declared it: ``core``, a built-in format's name, or ``plugin <name>``
OWNERS: dict[str, str] = dict.fromkeys(CODES, CORE)
_BY_NAME: dict[str, Code] = {e.name: e for e in _ENTRIES}
#: called once when a code is not (yet) known; the registry installs its discovery here
_load_more: list[Callable[[], object]] = []


class CodeClash(ValueError):
    """A declared code or name is already in the catalogue under another owner."""


def register(owner: str, entries: Iterable[Code]) -> None:
    """Add ``owner``'s codes to the catalogue, all or none.

    Raises:
        CodeClash: a code or name is taken by another owner, or malformed.
    """
    new = list(entries)
    for e in new:
        if not e.code.startswith("AF") or len(e.code) != 5 or not e.code[2:].isdigit():
            raise CodeClash(f"{e.code!r} is not a code of the form AFnnn")
        for taken, key in ((CODES.get(e.code), "code"), (_BY_NAME.get(e.name), "name")):
            if taken is not None and (taken is not e or OWNERS[taken.code] != owner):
                raise CodeClash(f"{key} {getattr(e, key)!r} of {owner} is already taken by "
                                f"{OWNERS[taken.code]} ({taken.code} {taken.name})")
    if len({e.code for e in new}) != len(new) or len({e.name for e in new}) != len(new):
        raise CodeClash(f"{owner} declares a code or name twice")
    for e in new:
        CODES[e.code] = e
        OWNERS[e.code] = owner
        _BY_NAME[e.name] = e


def on_unknown_code(loader: Callable[[], object]) -> None:
    """Let ``loader`` (the registry's discovery) fill the catalogue when a code is missing."""
    _load_more.append(loader)


def _complete() -> None:
    while _load_more:
        _load_more.pop()()


def entry(code: str) -> Code:
    """The catalogue entry of ``code``, discovering the formats' codes if needed.

    Raises:
        KeyError: no core code, format or plugin declares it.
    """
    found = CODES.get(code)
    if found is None:
        _complete()
        found = CODES[code]
    return found


def lookup(code_or_name: str) -> Code:
    """The catalogue entry for a code (``AF203``) or name (``duplicate-image-id``).

    Raises:
        KeyError: neither a known code nor a known name.
    """
    _complete()
    key = code_or_name.strip()
    if key.upper() in CODES:
        return CODES[key.upper()]
    return _BY_NAME[key.lower()]


def catalogue() -> dict[str, list[Code]]:
    """Every code grouped by owner: the core, each built-in format, then plugins."""
    _complete()
    groups: dict[str, list[Code]] = {}
    def order(code: str) -> tuple[bool, bool, str, str]:
        owner = OWNERS[code]
        return owner != CORE, owner.startswith("plugin "), owner, code

    for code in sorted(CODES, key=order):
        groups.setdefault(OWNERS[code], []).append(CODES[code])
    return groups


def _code_span(text: str) -> str:
    """``text`` as one Markdown code span, also when it holds backticks itself."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def markdown() -> str:
    """The core's and built-in formats' codes as Markdown, grouped by owner (``docs/codes.md``,
    kept in sync by a test); plugins document their own."""
    lines = [
        "# Diagnostic codes",
        "",
        "Generated by `annoformat codes --markdown`; do not edit. The core's codes are in",
        "`src/annoformat/codes.py`; each format declares its own in its module",
        "(`FormatSpec.codes`).",
        "Families: AF0xx I/O and syntax, AF1xx schema, AF2xx references and identity, AF3xx "
        "geometry, AF4xx text spans, AF5xx conversion loss, AF6xx project rules, AF7xx quality, "
        "AF9xx safety limits.",
        "",
    ]
    for owner, entries in catalogue().items():
        if owner.startswith("plugin "):
            continue
        title = "Core (every format)" if owner == CORE else f"Format `{owner}`"
        lines += [f"## {title}", ""]
        for e in entries:
            lines += [
                f"### {e.code} `{e.name}`",
                "",
                f"Severity: **{e.severity.value}**. Message: {_code_span(e.template)}",
                "",
                e.explanation,
                "",
                f"Example: {_code_span(e.example)}",
                "",
                f"Fix: {e.fix}",
                "",
            ]
    return "\n".join(lines)
