"""The diagnostic codes only the cvat format raises (declared in its FormatSpec)."""

from __future__ import annotations

from annoformat.spec import Code, Severity

ERR = Severity.ERROR
WARN = Severity.WARNING

CODES = (
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
    Code("AF220", "empty-label", ERR, "{where} has an empty label",
         "A label declaration with an empty name cannot be referred to by any shape.",
         "<label><name></name>...</label>", "Give the label a name, or remove it."),
    Code("AF227", "unlabelled-shape", WARN, "{where} has an empty label; read as an "
         "unlabelled annotation", "datumaro and some CVAT exports write label=\"\" for shapes "
         "without a class. They are kept, without a label; a conversion to a format that "
         "needs one drops them under the loss policy (AF501).", '<box label="" xtl="1" ...>',
         "Give the shape one of the labels declared in <meta> if it should train a class."),
    Code("AF229", "number-values-not-a-range", WARN, "number attribute {name!r} declares "
         "values {values!r}, not 'min max step'; kept as declared, values are not range-checked",
         "A CVAT number attribute declares its range as three numbers; some exporters write "
         "other values (one number, a list).", "<values>0;10</values>",
         "Declare 'min max step' (e.g. '0 100 1') if the range should be checked."),
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
    Code("AF520", "cvat-flavour-loss", WARN, "{count} {what} cannot be written as {format}: "
         "{reason}", "The CVAT flavour chosen for writing cannot hold everything (tags in a "
         "video task, several videos in one task).", "Tag annotations written with "
         "flavour=video", "Write the other flavour (option flavour=images|video)."),
    Code("AF521", "polygon-rings-split", WARN, "{count} extra polygon ring(s) were written as "
         "separate CVAT polygons sharing a group_id (a CVAT polygon has one ring)", "A "
         "multi-ring IR polygon (a COCO object in several parts) becomes one CVAT polygon per "
         "ring, with the same label, attributes and group_id (a new one when it had none), so "
         "that CVAT and datumaro see one group; annoformat reads them back as one polygon "
         "(marked annoformat_ring), other tools as one polygon per part. In a video task a "
         "track holds one shape a frame: each extra ring is a track of its own in that group, "
         "read back as a polygon of its own.",
         "a COCO segmentation with two polygons",
         "Nothing to do unless the next tool needs one object per polygon; its group ties the "
         "parts."),
    Code("AF522", "attribute-written-as-text", WARN, "{count} attribute value(s): {reason}",
         "CVAT attribute values are text, numbers or booleans; other values are written as JSON "
         "text and read back as strings.", "attributes={'tags': ['a', 'b']}",
         "Use scalar attribute values."),
    Code("AF523", "keypoints-as-points", WARN, "{count} keypoints annotation(s) of labels without "
         "matching keypoint names were written as CVAT points", "A CVAT skeleton needs one "
         "sublabel per keypoint; without them the keypoints are written as plain points.",
         "Keypoints on a label whose keypoints list is empty",
         "Declare keypoint names on the label."),
    Code("AF920", "too-many-frames", ERR, "the task declares frames {start}..{stop} by {step}, "
         "more than {limit}", "A video task's frame range becomes one item per frame; a huge "
         "range is a typo or an attack, not a video.", "<start_frame>0</start_frame>"
         "<stop_frame>999999999999</stop_frame>", "Fix start_frame/stop_frame."),
)
