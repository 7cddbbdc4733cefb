"""label-studio-converter (HumanSignal's own export converter) reads annoformat's Label Studio
output: its JSON-MIN and CoNLL-2003 exports see our spans, labels and choices, emoji included
(Label Studio offsets are UTF-16 code units; ours are converted exactly)."""

from __future__ import annotations

from pathlib import Path

import annoformat as af
from annoformat.model import Dataset, Item, Label, Span, Tag, Text

from .conftest import Runner

CONVERT = """
import json, os, sys
from label_studio_converter import Converter
src, out = sys.argv[1], sys.argv[2]
config = ('<View><Labels name="label" toName="text"><Label value="PER"/><Label value="LOC"/>'
          '</Labels><Choices name="choice" toName="text"><Choice value="travel"/></Choices>'
          '<Text name="text" value="$text"/></View>')
c = Converter(config=config, project_dir=None)
c.convert_to_json_min(src, os.path.join(out, "min"), is_dir=False)
c.convert_to_conll2003(src, os.path.join(out, "conll"), is_dir=False)
(mini,) = os.listdir(os.path.join(out, "min"))
(conll,) = os.listdir(os.path.join(out, "conll"))
tasks = json.load(open(os.path.join(out, "min", mini)))
rows = [line.split() for line in open(os.path.join(out, "conll", conll), encoding="utf-8")
        if line.strip() and not line.startswith("-DOCSTART-")]
print(json.dumps({"tasks": [{"text": t["text"], "choice": t.get("choice"),
                             "spans": [[s["text"], s["labels"]] for s in t.get("label", [])]}
                            for t in tasks],
                  "tags": [[r[0], r[-1]] for r in rows]}))
"""


def test_label_studio_converter_reads_our_export(label_studio_converter: Runner,
                                                 tmp_path: Path) -> None:
    text = "😀 Ada flew 🇫🇷 to Zürich"
    ds = Dataset(labels=[Label(name="PER"), Label(name="LOC"), Label(name="travel")], items=[
        Item(id="1", media=Text(text=text), annotations=[
            Span(id="s1", label="PER", start=2, end=5),
            Span(id="s2", label="LOC", start=17, end=23),
            Tag(label="travel")])])
    assert text[2:5] == "Ada" and text[17:23] == "Zürich"
    af.save(ds, tmp_path / "ls.json", format="label-studio")
    got = label_studio_converter(
        f"import sys; sys.argv = ['x', {str(tmp_path / 'ls.json')!r}, {str(tmp_path)!r}]\n"
        + CONVERT)
    assert got["tasks"] == [{"text": text, "choice": "travel",
                             "spans": [["Ada", ["PER"]], ["Zürich", ["LOC"]]]}]
    assert got["tags"] == [["😀", "O"], ["Ada", "B-PER"], ["flew", "O"], ["🇫🇷", "O"],
                           ["to", "O"], ["Zürich", "B-LOC"]]


ANNOTATORS = """
import json, os, sys
from label_studio_converter import Converter
src, out = sys.argv[1], sys.argv[2]
config = ('<View><Labels name="label" toName="text"><Label value="PER"/><Label value="LOC"/>'
          '</Labels><Text name="text" value="$text"/></View>')
c = Converter(config=config, project_dir=None)
c.convert_to_json_min(src, os.path.join(out, "min"), is_dir=False)
(mini,) = os.listdir(os.path.join(out, "min"))
rows = json.load(open(os.path.join(out, "min", mini)))
print(json.dumps(sorted([[str(r["annotator"]),
                          [[s["text"], s["labels"]] for s in r.get("label", [])]]
                         for r in rows])))
"""


def test_label_studio_converter_sees_each_annotator(label_studio_converter: Runner,
                                                    tmp_path: Path) -> None:
    """Annotations from another format, by two people and a model: the converter reads one
    annotation entry per person, named by completed_by as we write it (a user id as a number,
    another name as a user object's e-mail), and leaves the model's prediction out of JSON-MIN
    as it does for Label Studio's own exports."""
    text = "Ada met Bob in Rome"
    ds = Dataset(labels=[Label(name="PER"), Label(name="LOC")], items=[
        Item(id="1", media=Text(text=text), annotations=[
            Span(label="PER", start=0, end=3, annotator="alice@example.org", origin="human"),
            Span(label="PER", start=8, end=11, annotator="alice@example.org", origin="human"),
            Span(label="PER", start=0, end=3, annotator="7", origin="human"),
            Span(label="LOC", start=15, end=19, annotator="7", origin="human"),
            Span(label="LOC", start=15, end=19, annotator="ner-v1", origin="model",
                 score=0.8)])])
    af.save(ds, tmp_path / "ls.json", format="label-studio")
    got = label_studio_converter(
        f"import sys; sys.argv = ['x', {str(tmp_path / 'ls.json')!r}, {str(tmp_path)!r}]\n"
        + ANNOTATORS)
    assert got == [["7", [["Ada", ["PER"]], ["Rome", ["LOC"]]]],
                   ["alice@example.org", [["Ada", ["PER"]], ["Bob", ["PER"]]]]]
