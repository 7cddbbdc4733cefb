"""The diagnostic codes only the voc format raises (declared in its FormatSpec)."""

from __future__ import annotations

from annoformat.spec import Code, Severity

ERR = Severity.ERROR
INFO = Severity.INFO
WARN = Severity.WARNING

CODES = (
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
         "are checked against the objects (AF045) and regenerated from them on write",
         "ImageSets/Main/<class>_<subset>.txt ('id -1|0|1') restate which images hold which "
         "class; annoformat checks them against the objects (1: present, 0: only difficult, "
         "-1: absent) and writes them from the objects.",
         "ImageSets/Main/cat_train.txt", "Nothing to do."),
    Code("AF045", "voc-class-imageset-disagrees", WARN, "{label!r} is {flag} for {item_id} here, "
         "but its objects say {actual} (1: present, 0: only difficult, -1: absent)",
         "A per-class image set disagrees with the annotation file it restates; the objects "
         "win (they are what every tool reads).", "cat_train.txt: '000005 1' for an image "
         "without a cat", "Fix the annotation, or regenerate the image sets."),
    Code("AF027", "voc-single-file-many-items", ERR, "a single VOC XML file holds one image, "
         "but the dataset has {count}", "The .xml destination (or layout=file) writes exactly "
         "one annotation file.", "annoformat convert coco.json out.xml --to voc",
         "Write to a folder (a VOC dataset with Annotations/) instead."),
    Code("AF028", "voc-year-not-found", ERR, "the devkit has no year {year!r}; it has: {found}",
         "year=... picks one year of a VOC devkit (VOCdevkit/VOC2007, VOC2012...).",
         "annoformat convert VOCdevkit out --to coco --read-opt year=2010",
         "Pass one of the years listed, or leave year out to read them all."),
    Code("AF029", "voc-filename-from-id", WARN, "<annotation> has no <filename>; its image is "
         "taken to be {filename}, named after the annotation file", "In the devkit an "
         "annotation file and its image share their id (Annotations/<id>.xml, "
         "JPEGImages/<id>.jpg); some tools leave <filename> out.", "<annotation><size>...",
         "Add <filename> if the image has another name."),
    Code("AF049", "voc-segmentation-unmatched", WARN, "segmentation PNG: {reason}",
         "SegmentationObject/<id>.png gives the i-th <object> of Annotations/<id>.xml the "
         "pixels of value i (0 background, 255 void); SegmentationClass/<id>.png gives each "
         "pixel the i-th class of labelmap.txt (or of the 20 VOC classes). A value, colour or "
         "file that names no object, class or annotation file, an unreadable PNG, or a class "
         "that disagrees with its object's name cannot be matched as the file means it.",
         "SegmentationObject/2007_000032.png has instance 4; the XML has 3 objects",
         "Add the missing <object> (or the class to labelmap.txt), or re-export the masks."),
    Code("AF047", "voc-labelmap-bad-line", ERR, "labelmap line {text!r} is not "
         "name:r,g,b:parts:actions", "labelmap.txt (datumaro's and CVAT's VOC label list) "
         "declares one label per line with its colour (0-255 each) and optional parts and "
         "actions.", "person:192,128", "Write the line as person:192,128,128::"),
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
    Code("AF321", "voc-size-from-image", INFO, "<size> is missing or 0; {width}x{height} read from "
         "{image}", "LabelImg and others write 0 (or nothing) when they did not know the image "
         "size; the image header gives it.", "<size><width>0</width><height>0</height>...",
         "Nothing to do; write the size into the file to read it without the image."),
    Code("AF345", "voc-image-sizes-not-checked", INFO, "{count} image size(s) taken from "
         "<size> without opening the images (images=false): not checked against the image "
         "files (AF311)", "By default the reader reads the header of every image it finds "
         "(JPEGImages/ or beside the XML) once, to check the size the XML states. With "
         "images=false (validate --no-images, or --read-opt images=false) it trusts <size> and "
         "says so here; an image is still opened when its <size> is missing or 0 (AF321).",
         "--read-opt images=false on a devkit with JPEGImages/",
         "Nothing to do if the sizes are trusted; read with images=true to check them."),
)
