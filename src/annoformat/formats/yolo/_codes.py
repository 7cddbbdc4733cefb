"""The diagnostic codes only the yolo format raises (declared in its FormatSpec)."""

from __future__ import annotations

from annoformat.spec import Code, Severity

ERR = Severity.ERROR
INFO = Severity.INFO
WARN = Severity.WARNING

CODES = (
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
    Code("AF040", "yolo-images-absent", WARN, "{count} image(s) the labels are for are not "
         "in the dataset (sizes came from a size source): {ids}", "A YOLO dataset trains on "
         "its images; labels whose images are elsewhere (DVC, object storage) or not yet "
         "copied validate, but Ultralytics cannot load them as they are.",
         "labels/ and annoformat_sizes.json without images/",
         "Add the images (convert --media copy), or validate --no-images where they are kept "
         "elsewhere on purpose."),
    Code("AF048", "yolo-labels-without-images", INFO, "no image is in the dataset and no size "
         "source gives sizes: {count} label file(s) checked in normalised units (class, "
         "columns, range); their pixel geometry is not read", "A repository that keeps its "
         "labels in git and its images elsewhere (DVC, object storage) validates what can be "
         "checked without the images, instead of refusing every label file (AF333).",
         "labels/ and data.yaml, no images/",
         "Nothing to do; add the images or annoformat_sizes.json to check pixel geometry."),
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
         "outside [-0.01, 1.01]", "YOLO coordinates are fractions of the image size; "
         "Ultralytics rejects the whole label file when one leaves its 1% tolerance.",
         "0 1.2 0.5 0.2 0.2", "Fix the value, or re-export with clipping."),
    Code("AF336", "yolo-value-within-tolerance", WARN, "normalised value {value} (field {field}) "
         "is outside [0, 1] but within Ultralytics' 1% tolerance; read cut at the image border",
         "Ultralytics trains on label files whose values lie in [-0.01, 1.01] and clips them to "
         "the image; annoformat reads them the same way and says so (points are clamped to the "
         "border, a box is cut at it).", "0 1.004 0.5 0.2 0.2",
         "Nothing, unless the value is wrong; re-export with clipping to silence it."),
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
         "Choose the task: --opt task=segment (or detect, obb, pose, classify; task=... in "
         "the API); what that task cannot hold is then reported as AF516/AF517.",
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
    Code("AF039", "yolo-split-borrowed", WARN, "the dataset has no train or no validation "
         "subset: data.yaml says train: {train} and val: {val}", "Ultralytics needs train and "
         "val; when the data has only one of them, both keys name the same images, and the "
         "validation figures then measure the training images.",
         "a COCO file without subsets converted to YOLO",
         "Pass --opt val=<subset> to validate on one of the subsets, or give the items a "
         "'val' subset."),
)
