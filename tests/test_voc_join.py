"""VOC written in parts (``formats/voc/_join.py``): two items of different parts that name one
document are AF211, as in a whole write, found with a hash per document."""

from __future__ import annotations

from pathlib import Path

import annoformat as af
from annoformat.formats.voc._join import _moved_in
from annoformat.model import BBox, Dataset, Image, Item, Label
from annoformat.stream import convert_stream


def _item(name: str) -> Item:
    return Item(id=name, media=Image(path=f"{name}.jpg", width=10, height=10),
                annotations=[BBox(label="cat", x=1, y=1, w=2, h=2)])


def test_a_document_named_twice_across_parts_is_af211_as_in_a_whole_write(
        tmp_path: Path) -> None:
    src = tmp_path / "src.jsonl"
    # "Dog" and "dog" share one document on a case-insensitive file system; parts of 2 put
    # them in different parts
    af.save(Dataset(labels=[Label(name="cat")],
                    items=[_item("dog"), _item("cat"), _item("Dog")]), src, format="jsonl")
    whole = af.convert(src, tmp_path / "whole", to="voc", media="none", stream=False)
    parts = convert_stream(src, tmp_path / "parts", to="voc", media="none", part_items=2)
    assert not whole.written and not parts.written
    assert [(d.code, d.message) for d in parts.report.errors] == [
        (d.code, d.message.replace("whole", "parts")) for d in whole.report.errors]
    assert [d.code for d in parts.report.errors] == ["AF211"]
    assert "dog" in parts.report.errors[0].message and "Dog" in parts.report.errors[0].message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.jsonl"]


def test_the_first_document_is_found_again_by_its_casefolded_name(tmp_path: Path) -> None:
    (tmp_path / "Straße.xml").write_text("<annotation/>")
    assert _moved_in(tmp_path, "strasse") == "Straße"  # casefold: ß is ss
    # two names whose hashes met, not their names: no AF211
    assert _moved_in(tmp_path, "strase") is None
