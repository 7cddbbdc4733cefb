"""The diagnostic codes only the coco format raises (declared in its FormatSpec)."""

from __future__ import annotations

from annoformat.spec import Code, Severity

ERR = Severity.ERROR
WARN = Severity.WARNING

CODES = (
    Code("AF008", "huge-integer", ERR, "{value} at {pointer} is not a 64-bit integer",
         "Ids and counts beyond 64 bits are read as floats by most JSON libraries and lose "
         "digits, so two ids can silently become equal; an id written with a decimal point "
         "(7.0) is not an integer either.", '{"id": 123456789012345678901234567890}',
         "Renumber the ids within 64-bit range, written as plain integers."),
    Code("AF201", "unknown-image", ERR, "annotation refers to image id {image_id}, which is not in "
         "'images'", "Every COCO annotation must belong to a listed image.",
         '{"annotations": [{"id": 1, "image_id": 99, ...}]}  (no image 99)',
         "Add the image or remove the annotation."),
    Code("AF202", "unknown-category", ERR, "annotation refers to category id {category_id}, which "
         "is not in 'categories'", "Every annotation's class must be declared.",
         '{"annotations": [{"category_id": 7, ...}]}  (no category 7)',
         "Declare the category or fix the id."),
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
    Code("AF212", "coco-skeleton-zero-based", WARN, "category {name!r} numbers its skeleton from "
         "0 (COCO numbers keypoints from 1); read as 0-based", "The COCO format's skeleton "
         "joins keypoints by 1-based index; datumaro (and some scripts) write 0-based indices. "
         "An index 0 with none equal to the number of keypoints can only be 0-based.",
         '"keypoints": ["a", "b"], "skeleton": [[0, 1]]',
         "Nothing to do: it is read correctly and written back 1-based."),
    Code("AF513", "polygon-reads-as-box", WARN, "{count} polygon(s) are exactly their box's "
         "rectangle and will read back from {format} as boxes, with the same geometry "
         "(ids: {ids})", "A COCO segmentation that is the annotation's own bbox rectangle is "
         "how box-only objects are written (pycocotools' loadRes, for annToMask and segm "
         "evaluation), so readers take it as the box: a polygon that happens to be that "
         "rectangle cannot be told apart.", "a CVAT polygon [0,0, 10,0, 10,10, 0,10] written "
         "to COCO reads back as the box [0, 0, 10, 10]",
         "Nothing to do if boxes are fine; keep a jsonl or CVAT copy where the shape type "
         "matters. --strict (strict=True) refuses it."),
)
