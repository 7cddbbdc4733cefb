"""YOLO written in parts (``stream.convert_stream``): the whole-set decisions are settled by a
census before the first part (a second read only when the options leave them open), and the
join gives the folder, findings and verdict of a whole write, across part boundaries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import annoformat as af
from annoformat import stream as stream_module
from annoformat.convert import record_plan
from annoformat.registry import get_format, parse_options
from annoformat.spec import LossPlan
from annoformat.stream import convert_stream
from annoformat.testing.strategies_text import full_datasets


def _item(name: str, subset: str | None, *anns: Any, path: str | None = None) -> af.Item:
    return af.Item(id=name, subset=subset, annotations=list(anns),
                   media=af.Image(path=path or f"{name}.jpg", width=100, height=50))


def _box(label: str = "cat") -> af.BBox:
    return af.BBox(label=label, x=10, y=5, w=20, h=10)


def _source(tmp_path: Path, items: list[af.Item], labels: tuple[str, ...] = ("cat", "dog"),
            **extras: Any) -> Path:
    path = tmp_path / "src.jsonl"
    ds = af.Dataset(labels=[af.Label(name=n, keypoints=extras.get("points", []))
                            for n in labels], items=items)
    af.save(ds, path, "jsonl")
    return path


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes()
            for p in sorted(path.rglob("*")) if p.is_file()}


def _both(src: Path, tmp_path: Path, part_items: int = 1, **options: Any
          ) -> tuple[af.ConversionResult, af.ConversionResult]:
    whole = af.convert(src, tmp_path / "out-whole", to="yolo", allow_loss=True, media="none",
                       options=options, stream=False)
    parts = convert_stream(src, tmp_path / "out-parts", to="yolo", allow_loss=True, media="none",
                           options=options, part_items=part_items)
    rendered = [r.report.render("text").replace(str(tmp_path / n), "OUT")
                for r, n in ((whole, "out-whole"), (parts, "out-parts"))]
    assert rendered[0] == rendered[1]
    assert (parts.written, parts.summary) == (whole.written, whole.summary)
    if whole.written:
        assert _tree(tmp_path / "out-parts") == _tree(tmp_path / "out-whole")
    return whole, parts


@pytest.mark.parametrize("spill_at", ["50000", "1"])  # 1: the index lines sorted on disk
def test_two_items_of_different_parts_sharing_a_label_file_are_af215(
        tmp_path: Path, spill_at: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOFORMAT_SPILL_AT", spill_at)
    # a.jpg (part 0) and A.png (part 2) would both write labels/train/a.txt (casefolded);
    # b.jpg (part 1) and B.jpg, b.png (parts 3, 4) labels/val/b.txt
    src = _source(tmp_path, [_item("a", "train", _box()), _item("b", "val", _box()),
                             _item("A", "train", _box(), path="A.png"),
                             _item("B", "val", _box()), _item("b2", "val", path="b.png")])
    _, parts = _both(src, tmp_path)
    found = [d for d in parts.report.diagnostics if d.code == "AF215"]
    assert not parts.written
    assert [(d.location.item_id, d.ctx["first"], d.ctx["second"], d.ctx["label"])
            for d in found] == [("A", "a (a.jpg)", "A (A.png)", "labels/train/A.txt"),
                                ("B", "b (b.jpg)", "B (B.jpg)", "labels/val/B.txt"),
                                ("b2", "b (b.jpg)", "b2 (b.png)", "labels/val/b.txt")]
    assert not (tmp_path / "out-parts").exists()


def test_val_names_a_subset_met_only_in_a_later_part(tmp_path: Path) -> None:
    src = _source(tmp_path, [_item("a", "train", _box()), _item("b", "train"),
                             _item("c", "holdout", _box("dog"))])
    _both(src, tmp_path, val="holdout")
    text = (tmp_path / "out-parts" / "data.yaml").read_text()
    assert "train: images/train\nval: images/holdout\n" in text


def test_val_missing_from_every_part_is_af044_once(tmp_path: Path) -> None:
    src = _source(tmp_path, [_item("a", "train", _box()), _item("b", "train")])
    _, parts = _both(src, tmp_path, val="val")
    assert parts.report.codes().count("AF044") == 1 and not parts.written


def test_af039_is_said_once_when_no_part_has_a_val_subset(tmp_path: Path) -> None:
    src = _source(tmp_path, [_item(n, "train", _box()) for n in "abc"])
    _, parts = _both(src, tmp_path)
    assert parts.report.codes().count("AF039") == 1
    assert parts.report.codes().count("AF034") == 1


def test_items_without_a_subset_go_to_default_when_a_later_part_has_one(
        tmp_path: Path) -> None:
    src = _source(tmp_path, [_item("a", None, _box()), _item("b", None),
                             _item("c", "val", _box())])
    _, parts = _both(src, tmp_path)
    assert sorted(_tree(tmp_path / "out-parts")) == [
        "annoformat_sizes.json", "data.yaml", "labels/default/a.txt", "labels/default/b.txt",
        "labels/val/c.txt"]
    facts = [d.message for d in parts.report.diagnostics if "'no subset'" in d.message]
    assert len(facts) == 1 and "2 item(s) without a subset" in facts[0]


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    opened: list[str] = []
    real = stream_module._stream

    def counted(*args: Any) -> Any:
        opened.append(args[0].name)
        return real(*args)

    monkeypatch.setattr(stream_module, "_stream", counted)
    return opened


def test_darknet_with_a_task_given_reads_the_source_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = _reads(monkeypatch)
    src = _source(tmp_path, [_item("a", "train", _box()), _item("b", None, _box("dog")),
                             _item("c", "valid", _box())])
    convert_stream(src, tmp_path / "one", to="yolo", media="none", allow_loss=True,
                   options={"task": "detect", "layout": "darknet"}, part_items=1)
    assert opened == ["jsonl"]
    _both(src, tmp_path, task="detect", layout="darknet")
    parts = tmp_path / "out-parts"
    assert (parts / "train.txt").read_text() == (
        "data/obj_train_data/a.jpg\ndata/obj_train_data/b.jpg\n")
    assert (parts / "obj.data").read_text() == (
        "classes = 2\ntrain = data/train.txt\nvalid = data/valid.txt\n"
        "names = data/obj.names\nbackup = backup/\n")


def test_an_open_task_or_ultralytics_layout_reads_the_source_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = _reads(monkeypatch)
    src = _source(tmp_path, [_item("a", "train", _box()), _item("b", "val", _box())])
    for n, options in enumerate(({}, {"task": "detect"}, {"layout": "darknet"})):
        result = convert_stream(src, tmp_path / f"o{n}", to="yolo", media="none",
                                allow_loss=True, options=options, part_items=1)
        assert result.written
    assert opened == ["jsonl"] * 6


def test_bare_layout_keeps_labels_in_a_folder_when_a_later_image_is_in_one(
        tmp_path: Path) -> None:
    src = _source(tmp_path, [_item("a", None, _box()), _item("b", None, _box(),
                                                             path="sub/b.jpg")])
    _both(src, tmp_path, layout="bare")
    assert sorted(_tree(tmp_path / "out-parts")) == [
        "annoformat_sizes.json", "classes.txt", "labels/a.txt", "labels/sub/b.txt"]


def test_pose_kpt_shape_comes_from_the_census(tmp_path: Path) -> None:
    def person(name: str, n: int) -> af.Item:
        points = [float(v) for k in range(n) for v in (10 + k, 10 + k)]
        return _item(name, "train", af.Keypoints(label="person", points=points,
                                                 visibility=[2] * n))

    src = _source(tmp_path, [_item("a", "train"), person("b", 3)], labels=("person",),
                  points=["p", "q", "r"])
    _both(src, tmp_path)
    assert "kpt_shape:\n- 3\n- 3\n" in (tmp_path / "out-parts" / "data.yaml").read_text()
    (tmp_path / "mixed").mkdir()
    mixed = _source(tmp_path / "mixed", [person("a", 3), person("b", 2)], labels=("person",))
    _, parts = _both(mixed, tmp_path / "mixed")
    assert parts.report.codes().count("AF335") == 1 and not parts.written


def test_classification_copies_each_part_s_images_into_class_folders(tmp_path: Path) -> None:
    (tmp_path / "imgs").mkdir()
    items = []
    for n, (subset, label) in enumerate([("train", "cat"), ("val", "dog"), ("train", "dog")]):
        (tmp_path / "imgs" / f"{n}.jpg").write_bytes(bytes([n]))
        items.append(_item(str(n), subset, af.Tag(label=label), path=f"{n}.jpg"))
    src = _source(tmp_path, items)
    _, parts = _both(src, tmp_path, image_root=str(tmp_path / "imgs"))
    assert _tree(tmp_path / "out-parts") == {
        "train/cat/0.jpg": b"\x00", "train/dog/2.jpg": b"\x02", "val/dog/1.jpg": b"\x01"}
    assert parts.report.codes() == ["AF034"]


@pytest.mark.parametrize("options", [{}, {"layout": "ultralytics"}, {"task": "pose"}],
                         ids=["auto", "ultralytics", "pose"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=full_datasets(max_items=5), cut=st.integers(0, 5))
def test_with_the_census_the_parts_plans_merge_into_the_whole_plan(
        options: dict[str, Any], ds: af.Dataset, cut: int) -> None:
    """The whole-set facts (AF515, the subset 'default' for items without one) become
    mergeable once every part is planned with the whole dataset's census (``settle``)."""
    # masks: this strategy's need not decode (plans get checked datasets, where AF307 refused
    # them), and segment outlines them
    assume(not any(a.type == "mask" for item in ds.items for a in item.annotations))
    fmt = get_format("yolo")
    assert fmt.settle is not None
    opts = fmt.settle(ds.model_copy(update={"items": []}), lambda: iter(ds.items),
                      parse_options(fmt, options))
    merged = LossPlan("yolo")
    for part, offset in ((ds.items[:cut], 0), (ds.items[cut:], cut)):
        merged.merge(fmt.plan_loss(ds.model_copy(update={"items": part}), opts),
                     offset=min(offset, len(ds.items)))
    assert _recorded(merged) == _recorded(fmt.plan_loss(ds, parse_options(fmt, options)))


def _recorded(plan: LossPlan) -> list[tuple[str, str, list[str]]]:
    report = af.Report()
    record_plan(plan, report, allow_loss=True)
    return sorted((d.code, d.message, list(d.ctx.get("ids", []))) for d in report)
