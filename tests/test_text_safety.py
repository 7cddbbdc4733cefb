"""Issue 13, text safety, numbers and YAML: hostile characters and numbers never crash a
writer, never reach the terminal raw, and are refused with a code where a target cannot hold
them.

* control characters in labels, tried against every writer: each writes what reads back
  equal, or refuses with AF068 (never a traceback, never another exception);
* file names with control characters are refused (AF069) before a file is created from them;
* text and GitHub output escape what came from the input: one diagnostic, one line;
* AF007 only for NaN/Infinity, AF313 for numbers beyond a double, AF312 for coordinates beyond
  +-1e7 px (a 1e308 box is never written);
* data.yaml strings that YAML 1.2 would read as a number, bool or null are quoted.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat import checks, spec
from annoformat._io import parse_json
from annoformat.checks import check_dataset, control_character, xml_character
from annoformat.diagnostics import Report, escape_text, render_github, render_text
from annoformat.formats.yolo._yaml import dump_yaml
from annoformat.model import (
    AttributeSpec,
    BBox,
    Dataset,
    Image,
    Item,
    Label,
    Polygon,
    Span,
    Tag,
    Text,
)
from annoformat.registry import PLUGINS, get_format
from annoformat.spec import Capabilities

from conftest import FIXTURES

#: every built-in format (each can write)
WRITERS = sorted(n for n in af.list_formats() if n not in PLUGINS)
#: C0 controls (NUL, BEL, ESC, tab and line breaks), DEL, C1 (NEL, CSI), a line separator
#: and a lone surrogate
CHARS = ["\x00", "\x07", "\x1b", "\t", "\n", "\r", "\x0b", "\x7f", "\x85", "\x9b", "\u2028",
         "\ud800"]
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _dataset(fmt: str, label: str, path: str = "x.jpg") -> Dataset:
    """One item of the kind ``fmt`` holds, with one annotation labelled ``label``."""
    caps = get_format(fmt).capabilities
    ann: Any
    if "image" in caps.media:
        media: Any = Image(path=path, width=10, height=10)
        ann = (BBox(label=label, x=1, y=1, w=2, h=2) if "bbox" in caps.annotation_types
               else Tag(label=label))
    else:
        media = Text(text="hello world")
        ann = Span(label=label, start=0, end=5)
    return Dataset(labels=[Label(name=label)], items=[Item(id="1", media=media,
                                                           annotations=[ann])])


def _refused(fmt: str, char: str) -> bool:
    """Whether ``fmt`` must refuse a label holding ``char`` (an independent statement of the
    rules: UTF-8, XML 1.0's Char production, names one per line, tags between whitespace)."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return True
    limits = get_format(fmt).capabilities.text_limits
    return (("xml" in limits and code < 0x20 and char not in "\t\n\r")
            or ("lines" in limits and char in _LINE_BREAKS)
            or ("tokens" in limits and char.isspace()))


def _dest(tmp: Path, fmt: str) -> Path:
    spec = get_format(fmt)
    return tmp / ("out" if fmt in ("yolo", "voc") else f"out{spec.extensions[0]}")


def _save_and_read(ds: Dataset, fmt: str, dest: Path) -> tuple[Dataset | None, Report]:
    """``af.save`` then ``af.load``: the dataset read back, or None with the refusal's report.
    Any exception other than AnnoformatError fails the test."""
    try:
        report = af.save(ds, dest, format=fmt, allow_loss=True)
    except af.AnnoformatError as exc:
        return None, exc.report
    return af.load(dest, format=fmt), report


def _names_on_disk(root: Path) -> list[str]:
    return [name for _, dirs, files in os.walk(root) for name in dirs + files]


@pytest.mark.parametrize("char", CHARS, ids=[f"U+{ord(c):04X}" for c in CHARS])
@pytest.mark.parametrize("fmt", WRITERS)
def test_control_character_in_a_label_is_written_back_equal_or_refused(
        fmt: str, char: str, tmp_path: Path) -> None:
    label = f"a{char}b"
    dest = _dest(tmp_path, fmt)
    back, report = _save_and_read(_dataset(fmt, label), fmt, dest)
    # every control character (and lone surrogate) in a name is a finding; U+2028 is not one
    assert ("AF067" in report.codes()) == (unicodedata.category(char) in ("Cc", "Cs"))
    if _refused(fmt, char):
        assert back is None
        assert [d.code for d in report.errors] == ["AF068"]
        assert report.errors[0].ctx["ids"] == ["/labels/0/name"]
        assert not dest.exists()
    else:
        assert back is not None, report.codes()
        assert back.label_names() == [label]
        assert [a.label for i in back.items for a in i.annotations] == [label]


@pytest.mark.parametrize("fmt", ["cvat", "voc"])
def test_xml_targets_refuse_an_attribute_value_xml_cannot_hold(fmt: str, tmp_path: Path) -> None:
    ds = _dataset(fmt, "cat")
    ds.items[0].annotations[0].attributes["note"] = "bell\x07 and\nnewline"
    back, report = _save_and_read(ds, fmt, _dest(tmp_path, fmt))
    assert back is None and [d.code for d in report.errors] == ["AF068"]
    refusal = report.errors[0]
    assert refusal.message == (f"1 attribute value(s) cannot be written as {fmt}: XML 1.0 "
                               "cannot hold U+0007 (BEL)")
    assert refusal.ctx["ids"] == ["/items/0/annotations/0/attributes/note"]


def test_xml_targets_keep_tabs_and_line_breaks_in_attribute_values(tmp_path: Path) -> None:
    ds = _dataset("cvat", "cat")
    ds.labels[0] = Label(name="cat", attributes=[AttributeSpec(name="note")])
    ds.items[0].annotations[0].attributes["note"] = "two\nlines\tand\r"
    back, report = _save_and_read(ds, "cvat", tmp_path / "o.xml")
    assert "AF067" not in report.codes() and back is not None
    assert back.items[0].annotations[0].attributes == {"note": "two\nlines\tand\r"}


#: labels of letters, digits, punctuation and control characters (the property under test);
#: blank or padded names and VOC's ':' (labelmap.txt's separator) are other matters
_LABELS = st.text(st.characters(categories=("L", "Nd", "Cc", "Cs", "Zl", "Pd"),
                                exclude_characters=":"), min_size=1, max_size=8).filter(
    lambda t: t.strip() == t and t.strip() != "")


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(label=_LABELS)
@pytest.mark.parametrize("fmt", ["cvat", "voc", "yolo", "coco", "jsonl", "conll"])
def test_any_label_is_written_back_equal_or_refused(
        fmt: str, label: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    dest = _dest(tmp_path_factory.mktemp("w"), fmt)
    back, report = _save_and_read(_dataset(fmt, label), fmt, dest)
    if any(_refused(fmt, c) for c in label):
        assert back is None and {d.code for d in report.errors} == {"AF068"}, report.codes()
    else:
        assert back is not None, report.codes()
        assert back.label_names() == [label]


def test_check_dataset_reports_each_control_character_with_its_pointer() -> None:
    ds = Dataset(labels=[Label(name="cat\x1b[31m")], items=[Item(
        id="i\x00", subset="tr\nain", media=Image(path="a\nb.jpg"),
        attributes={"ok": "two\nlines", "bad": "nul\x00"},
        annotations=[BBox(label="cat\x1b[31m", x=0, y=0, w=1, h=1, id="a\x07",
                          attributes={"k\x7f": 1})])])
    report = Report()
    check_dataset(ds, report)
    assert [(d.code, d.location.pointer, d.ctx["what"], d.ctx["char"]) for d in report] == [
        ("AF067", "/labels/0/name", "label name", "U+001B (ESC)"),
        ("AF067", "/items/0/id", "item id", "U+0000 (NUL)"),
        ("AF067", "/items/0/subset", "subset", "U+000A (LF)"),
        ("AF067", "/items/0/media/path", "file name", "U+000A (LF)"),
        ("AF067", "/items/0/attributes/bad", "attribute value", "U+0000 (NUL)"),
        ("AF067", "/items/0/annotations/0/id", "annotation id", "U+0007 (BEL)"),
        ("AF067", "/items/0/annotations/0/attributes/k\x7f", "attribute name", "U+007F (DEL)"),
    ]
    assert report.diagnostics[0].message == "label name 'cat\\x1b[31m' holds U+001B (ESC)"


_ODD = st.text(st.sampled_from(["a", " ", "\t", "\n", "\x00", "\x1b", "\x85", "\u2028",
                                 "\ud800", "\ufffe", "é"]), max_size=4)
#: mostly plain strings, so that whole items and runs of them hold nothing to find
_TEXT = st.one_of(*[st.sampled_from(["a", "é", "a b", "cat", ""])] * 7, _ODD)
_JSON = st.recursive(st.none() | st.integers(-3, 3) | _TEXT,
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_TEXT, inner, max_size=3), max_leaves=6)


_LABEL = st.one_of(*[st.sampled_from(["cat", "dog"])] * 6, st.just("c\x07t"), _TEXT)


@st.composite
def _items(draw: st.DrawFn) -> list[Item]:
    items = []
    for _ in range(draw(st.integers(0, 6))):
        anns = [BBox(label=draw(_LABEL), x=0, y=0,
                     w=1, h=1, id=draw(st.none() | st.integers(1, 9) | _TEXT),
                     attributes=draw(st.dictionaries(_TEXT, _JSON, max_size=2)))
                for _ in range(draw(st.integers(0, 3)))]
        items.append(Item(id=draw(_TEXT), subset=draw(st.none() | _TEXT),
                          media=Image(path=draw(_TEXT)), annotations=anns,
                          attributes=draw(st.dictionaries(_TEXT, _JSON, max_size=2))))
    return items


@given(items=_items(), run=st.sampled_from([1, 2, 4096]), start=st.sampled_from([0, 7, None]))
@settings(max_examples=300, deadline=None)
def test_runs_searched_at_once_find_what_the_field_by_field_walk_finds(
        items: list[Item], run: int, start: int | None) -> None:
    # check_items_text passes over a run of items when two searches of its joined strings find
    # nothing: its findings must be the walk's, field by field, in the same order
    declared = {"cat", "dog"}
    fast, walked = Report(), Report()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(checks, "_TEXT_RUN", run)
        checks.check_items_text(items, fast, "f", declared, start, line=3)
    for i, item in enumerate(items):
        base = "" if start is None else f"/items/{start + i}"
        checks.check_text_fields(checks.item_text_fields(item, base, declared), walked, "f", 3)
    assert [(d.code, d.location.pointer, d.message) for d in fast] == [
        (d.code, d.location.pointer, d.message) for d in walked]


@given(items=_items(), extras=st.lists(st.tuples(_JSON, _JSON), max_size=3),
       limits=st.sets(st.sampled_from(["xml", "lines", "trimmed", "labelmap", "tokens"])),
       run=st.sampled_from([1, 3, 4096]))
@settings(max_examples=300, deadline=None)
def test_the_safety_plan_passes_over_only_runs_with_nothing_to_refuse(
        items: list[Item], extras: list[tuple[Any, Any]], limits: set[str], run: int) -> None:
    # plan_safety walks only the runs suspect_runs gives: its plan must be the one a walk of
    # every item's fields (the format's own extras included) gives
    for item, (own, of_objects) in zip(items, extras, strict=False):
        item.extras = {"fmt": own, "other": "\x00"}  # (another format's extras: not written)
        for ann in item.annotations:
            ann.extras = {"fmt": of_objects}
    ds = Dataset(labels=[Label(name="cat"), Label(name="dog")], items=items)
    caps = Capabilities(media=frozenset({"image"}), annotation_types=frozenset({"bbox"}),
                        text_limits=frozenset(limits))

    def facts(walk_all: bool) -> list[tuple[str, int | None, list[str], str]]:
        with pytest.MonkeyPatch.context() as m:
            m.setattr(checks, "_TEXT_RUN", run)
            if walk_all:
                m.setattr(spec, "suspect_runs", lambda items, *a, **k: [(0, items)])
            plan = spec.plan_safety(ds, caps, "fmt", spec.LossPlan("fmt"))
        return [(f.code, f.count, f.ids, str(f.ctx)) for f in plan]

    assert facts(False) == facts(True)


_PLACES = ["id", "subset", "path", "attribute name", "attribute value", "nested key",
           "item extras", "label", "annotation id", "annotation attribute", "annotation extras"]


def _one_odd_string(place: str, odd: str) -> list[Item]:
    """A plain item (a declared label, plain strings) with ``odd`` at one place."""
    def at(where: str, plain: str = "p") -> str:
        return odd if where == place else plain

    ann = BBox(label=at("label", "cat"), x=0, y=0, w=1, h=1, id=at("annotation id"),
               attributes={"k": [at("annotation attribute")]},
               extras={"fmt": {"k": at("annotation extras")}, "other": odd})
    return [Item(id=at("id"), subset=at("subset"), media=Image(path=at("path")),
                 attributes={at("attribute name"): at("attribute value"),
                             "n": {at("nested key"): 1}},
                 extras={"fmt": [at("item extras")], "other": odd}, annotations=[ann])]


@pytest.mark.parametrize("place", _PLACES)
def test_every_string_a_text_check_reads_makes_its_run_suspect(place: str) -> None:
    # each place item_text_fields lists (the "other" format's extras are not written: never
    # looked at); an undeclared label is suspect when labels are asked about
    assert list(checks.suspect_runs(_one_odd_string("none", "\x00"), {"cat"}, "fmt")) == []
    for odd in ("\x00", "\u2028", "\ud800", "\n"):
        items = _one_odd_string(place, odd)
        assert [first for first, _ in checks.suspect_runs(items, {"cat"}, "fmt")] == [0]
    items = _one_odd_string(place, "a b")
    expected = [0] if place == "label" else []
    assert [first for first, _ in checks.suspect_runs(items, {"cat"}, "fmt", labels=True)
            ] == expected


def test_character_classes() -> None:
    assert [control_character(c) for c in "\t\x1b\x85é"] == [
        "U+0009 (TAB)", "U+001B (ESC)", "U+0085 (a C1 control)", None]
    assert [control_character(c, free=True) for c in "\t\n\r\x0c"] == [
        None, None, None, "U+000C (FF)"]
    assert [xml_character(c) for c in "\t\n\r\x1f\x7f\x85\ufffe\ud800"] == [
        None, None, None, "U+001F (US)", None, None, "U+FFFE (a noncharacter)",
        "U+D800 (a lone surrogate)"]


# -- file names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name", "shown", "codes"), [
    ("yolo", "a\nb.jpg", "U+000A (LF) in 'images/a\\nb.jpg'", ["AF069"]),
    # and VOC's <filename> cannot hold an ESC
    ("voc", "a\x1bb.jpg", "U+001B (ESC) in 'JPEGImages/a\\x1bb.jpg'", ["AF068", "AF069"]),
    ("coco", "sub/a\rb.jpg", "U+000D (CR) in 'images/default/sub/a\\rb.jpg'", ["AF069"]),
    ("cvat", "a\tb.jpg", "U+0009 (TAB) in 'images/a\\tb.jpg'", ["AF069"]),
])
def test_a_file_name_with_a_control_character_is_refused_before_writing(
        fmt: str, name: str, shown: str, codes: list[str], tmp_path: Path) -> None:
    src = tmp_path / "src.jsonl"
    af.save(_dataset("jsonl", "cat", path=name), src, format="jsonl")
    dest = tmp_path / "out"  # a folder: the writer would create a file per image
    result = af.convert(src, dest, to=fmt, allow_loss=True, options={"layout": "folder"}
                        if fmt in ("coco", "cvat") else None)
    assert not result.written and not dest.exists()
    assert [d.code for d in result.report.errors] == codes
    refusals = [d for d in result.report.errors if d.code == "AF069"]
    assert refusals[0].message == (f"1 file name(s) for {fmt} would hold a control character: "
                                   f"{shown}")
    assert refusals[0].ctx["ids"] == ["1"]
    assert all(control_character(n) is None for n in _names_on_disk(tmp_path))


def test_voc_file_named_by_item_id_refused_by_the_writer(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="cat")], items=[Item(
        id="a\nb", media=Image(path="a.jpg", width=4, height=4),
        extras={"voc": {"named_by_id": True}},
        annotations=[BBox(label="cat", x=0, y=0, w=1, h=1)])])
    with pytest.raises(af.AnnoformatError) as caught:
        af.save(ds, tmp_path / "voc", format="voc")
    assert [(d.code, d.message) for d in caught.value.report.errors] == [
        ("AF069", "1 file name(s) for voc would hold a control character: U+000A (LF) in "
         "'Annotations/a\\nb.xml'")]
    assert all(control_character(n) is None for n in _names_on_disk(tmp_path))


@pytest.mark.parametrize("fmt", WRITERS)
def test_images_known_by_id_only_are_refused_where_files_name_them(
        fmt: str, tmp_path: Path) -> None:
    # a COCO results file: detections of images named by id, no file name
    src = FIXTURES / "coco" / "good" / "results" / "detections.json"
    result = af.convert(src, tmp_path / "out", to=fmt, allow_loss=True)
    refused = [d for d in result.report.errors if d.code == "AF071"]
    if fmt in ("voc", "yolo", "cvat"):
        assert not result.written and not (tmp_path / "out").exists()
        assert [(d.message, d.ctx["ids"], d.location.path) for d in refused] == [(
            f"2 item(s) have no image file name, and {fmt} names every image by its file",
            ["42", "73"], str(src))]
    else:  # COCO writes the results back; jsonl keeps the items; text formats hold no images
        assert refused == []


# -- terminal output ----------------------------------------------------------------------------


def _hostile_report() -> Report:
    report = Report()
    report.add("AF067", path="x\n.json:1:1: AF999 fake", line=2, pointer="/media/path",
               what="file name", value="a\nb.jpg", char="U+000A (LF)")
    report.add("AF005", path="e\x1b[2J.json", reason="bad \x1b]0;title\x07 here\u202e")
    return report


def test_text_output_is_one_line_per_diagnostic_and_escapes_input() -> None:
    text = render_text(_hostile_report())
    assert text.splitlines() == [
        "e\\x1b[2J.json: AF005 invalid-json: invalid JSON: bad \\x1b]0;title\\x07 here\\u202e",
        "x\\n.json:1:1: AF999 fake:2: AF067 control-character: (warning) file name "
        "'a\\nb.jpg' holds U+000A (LF) [/media/path]",
    ]
    assert not re.search("[\x00-\x1f\x7f-\x9f]", text.replace("\n", ""))


def test_github_output_is_one_command_per_diagnostic_and_escapes_input() -> None:
    text = render_github(_hostile_report())
    assert text.splitlines() == [
        "::error file=e\\x1b[2J.json,title=AF005 invalid-json::invalid JSON: bad "
        "\\x1b]0;title\\x07 here\\u202e",
        "::warning file=x\\n.json%3A1%3A1%3A AF999 fake,line=2,title=AF067 "
        "control-character::file name 'a\\nb.jpg' holds U+000A (LF) [/media/path]",
    ]


def test_escape_text_leaves_printable_text_alone() -> None:
    assert escape_text("Zürich 東京 😀 a\\nb") == "Zürich 東京 😀 a\\nb"
    assert escape_text("\r\n\t\x00\x9b\u2028") == "\\r\\n\\t\\x00\\x9b\\u2028"


def test_cli_never_prints_esc_raw(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from annoformat.cli import main

    src = tmp_path / "a.jsonl"
    af.save(_dataset("jsonl", "cat\x1b[31m", path="a\nb.jpg"), src, format="jsonl")
    for args in (["validate", str(src)], ["info", str(src)],
                 ["convert", str(src), str(tmp_path / "o.xml"), "--to", "cvat"]):
        result = CliRunner().invoke(main, args)
        out = result.stdout + result.stderr
        assert "\x1b" not in out and "Traceback" not in out, args
        assert "cat\\x1b[31m" in out, args
    validate = CliRunner().invoke(main, ["validate", str(src)])
    assert validate.exit_code == 0
    assert validate.stdout.splitlines() == [
        f"{src}:1: AF067 control-character: (warning) label name 'cat\\x1b[31m' holds "
        "U+001B (ESC) [/labels/0/name]",
        f"{src}:2: AF067 control-character: (warning) file name 'a\\nb.jpg' holds U+000A (LF) "
        "[/media/path]",
    ]


# -- numbers ------------------------------------------------------------------------------------


def test_orjson_behaviour_behind_the_codes() -> None:
    # integers beyond 64 bits become floats (COCO ids: AF008); finite literals beyond a
    # double are an error that names infinity, which is not AF007's NaN or Infinity
    assert orjson.loads(b"[18446744073709551615, 18446744073709551616]") == [
        18446744073709551615, 1.8446744073709552e19]
    for data in (b"[1e400]", b"[1" + b"0" * 400 + b"]"):
        with pytest.raises(orjson.JSONDecodeError, match="number is infinity"):
            orjson.loads(data)


@pytest.mark.parametrize(("data", "code", "line", "column", "message"), [
    (b'{"a":\n  [1' + b"0" * 399 + b"]}", "AF313", 2, 4,
     "number 100000000000000000000000... (400 characters) is too large for a 64-bit float"),
    (b'{"a": -1e400}', "AF313", 1, 7, "number -1e400 is too large for a 64-bit float"),
    (b'{"a": 1.5e309}', "AF313", 1, 7, "number 1.5e309 is too large for a 64-bit float"),
    (b'{"a": NaN}', "AF007", 1, 7, None),
    (b'{"a": Infinity}', "AF007", 1, 7, None),
])
def test_json_number_errors(data: bytes, code: str, line: int, column: int,
                            message: str | None) -> None:
    report = Report()
    assert parse_json(data, "x.json", report) is None
    assert [(d.code, d.location.line, d.location.column) for d in report] == [
        (code, line, column)]
    if message is not None:
        assert report.diagnostics[0].message == message


def test_a_1e308_box_is_an_error_with_its_location(tmp_path: Path) -> None:
    src = tmp_path / "a.json"
    src.write_text('{"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],\n'
                   ' "annotations": [{"id": 1, "image_id": 1, "category_id": 1,\n'
                   '   "bbox": [1e308, 0, 1, 1]}],\n'
                   ' "categories": [{"id": 1, "name": "a"}]}\n')
    report = af.validate(src)
    assert [(d.code, d.location.line, d.location.column, d.location.pointer, d.message)
            for d in report] == [("AF312", 3, 12, "/annotations/0/bbox",
                                  "coordinate 1e+308 is beyond ±10000000 pixels")]
    result = af.convert(src, tmp_path / "voc", to="voc", allow_loss=True)
    assert not result.written and result.report.codes() == ["AF312"]


def test_a_far_coordinate_is_refused_by_the_plan_whatever_is_allowed(tmp_path: Path) -> None:
    # the COCO reader checks long polygon rings only for their length (fast path): the
    # plan is what keeps 5e300 out of every writer
    src = tmp_path / "a.json"
    src.write_text(orjson.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
        "annotations": [{"id": 2, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5],
                         "segmentation": [[0, 0, 5e300, 0, 5, 5]]}],
        "categories": [{"id": 1, "name": "a"}]}).decode())
    for fmt in WRITERS:
        spec = get_format(fmt)
        if "image" not in spec.capabilities.media:
            continue
        result = af.convert(src, _dest(tmp_path / fmt, fmt), to=fmt, allow_loss=True,
                            options={"regions": "bbox"} if fmt == "voc" else None)
        assert not result.written, fmt
        errors = [(d.code, d.message, d.ctx["ids"]) for d in result.report.errors]
        assert errors == [("AF312", "coordinate 5e+300 is beyond ±10000000 pixels",
                           ["1/2"])], fmt


def test_api_save_of_a_1e308_box_never_writes_309_digits(tmp_path: Path) -> None:
    ds = Dataset(labels=[Label(name="a")], items=[Item(
        id="1", media=Image(path="a.jpg", width=10, height=10),
        annotations=[BBox(label="a", x=1e308, y=0, w=1, h=1),
                     Polygon(label="a", rings=[[0, 0, -2e7, 0, 5, 5]])])])
    with pytest.raises(af.AnnoformatError) as caught:
        af.save(ds, tmp_path / "voc", format="voc", allow_loss=True, regions="bbox")
    report = caught.value.report
    # each object where it is; the plan, which would repeat them, is not asked (save stops at
    # the checks' errors)
    assert [(d.code, d.location.pointer) for d in report.errors] == [
        ("AF312", "/items/0/annotations/0"), ("AF312", "/items/0/annotations/1/rings/0")]
    assert not (tmp_path / "voc").exists()


# -- YAML ---------------------------------------------------------------------------------------

#: strings a YAML 1.2 (core schema) reader takes as null, bool, int or float
YAML12_SCALARS = ["1e3", "1E+3", "-1e-3", "+.5", "0e0", "0x1F", "0o17", ".inf", "-.Inf",
                  ".NaN", "true", "False", "NULL", "null", "~", "12", "-0", "1.", ".5"]
#: ... and what YAML 1.1 (PyYAML) adds
YAML11_SCALARS = ["yes", "No", "on", "OFF", "1_000", "0b101", "1:20", "2001-12-14", "<<", "="]


def test_yaml_quotes_what_1_1_or_1_2_would_not_read_as_a_string() -> None:
    names = YAML12_SCALARS + YAML11_SCALARS + ["cat", "1e3.5", "0x", "a b"]
    text = dump_yaml({"names": names}).decode()
    for name in YAML12_SCALARS:
        assert f"- '{name}'\n" in text, name
    for name in ("cat", "1e3.5", "0x", "a b"):
        assert f"- {name}\n" in text, name
    assert yaml.safe_load(text) == {"names": names}


def test_yolo_data_yaml_names_read_back_as_strings(tmp_path: Path) -> None:
    names = ["1e3", "0o17", "true", "~", "null", ".inf", "0x1F", "+.5"]
    ds = Dataset(labels=[Label(name=n) for n in names], items=[Item(
        id="1", media=Image(path="a.jpg", width=10, height=10),
        annotations=[BBox(label=n, x=1, y=1, w=2, h=2) for n in names])])
    af.save(ds, tmp_path / "y", format="yolo", allow_loss=True)
    text = (tmp_path / "y" / "data.yaml").read_text()
    assert "  0: '1e3'\n  1: '0o17'\n  2: 'true'\n  3: '~'\n" in text
    assert list(yaml.safe_load(text)["names"].values()) == names
    assert af.load(tmp_path / "y", format="yolo").label_names() == names


@pytest.mark.parametrize(("name", "reason"), [
    (" a", "its readers strip the spaces around a name, so it would read back as 'a'"),
    ("a\t", "its readers strip the spaces around a name, so it would read back as 'a'"),
    ("a:b", "labelmap.txt separates a name from its colour with ':'")])
def test_voc_refuses_label_names_it_would_read_back_otherwise(
        tmp_path: Path, name: str, reason: str) -> None:
    ds = af.Dataset(labels=[af.Label(name=name)], items=[af.Item(
        id="1", media=af.Image(path="a.jpg", width=10, height=10),
        annotations=[af.BBox(label=name, x=1, y=1, w=2, h=2)])])
    with pytest.raises(af.AnnoformatError) as info:
        af.save(ds, tmp_path / "voc", format="voc", allow_loss=True)
    assert [d.message for d in info.value.report.errors] == [
        f"1 label name(s) cannot be written as voc: {reason}"]
    assert list(tmp_path.iterdir()) == []
