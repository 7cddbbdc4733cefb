"""Sharded runs on Dask (annoformat.dask): a real LocalCluster of two worker processes, real
fsspec file systems (local and memory://), a real worker killed in the middle of a shard.

The Dask path must give what the local path gives: for each fixture as one shard, the same
output bytes and the same findings (the sharded path places no images, which it says).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
from distributed import Client, LocalCluster, WorkerPlugin

import annoformat as af
import annoformat.dask as afd
from annoformat.diagnostics import Report
from annoformat.registry import get_format

from conftest import FIXTURES

COCO = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as lc, Client(lc) as client:
        yield client


def _findings(report: Report, *paths: tuple[str, str]) -> list[tuple[str, str, str]]:
    """(code, severity, message) with each ``(old, new)`` path spelled the same; AF061 (images
    not placed) is the one finding the two paths word differently."""
    out = []
    for d in report:
        if d.code == "AF061":
            continue
        text = f"{d.location.path}: {d.message}"
        for old, new in paths:
            text = text.replace(old, new)
        out.append((d.code, d.severity.value, text))
    return sorted(out)


def _zip_folder(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    return dest


def _files(path: Path) -> dict[str, bytes]:
    """A written output as {relative name: bytes}: a file, a folder or a zip."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            return {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    if path.is_dir():
        return {p.relative_to(path).as_posix(): p.read_bytes()
                for p in sorted(path.rglob("*")) if p.is_file()}
    return {"": path.read_bytes()}


CASES = [
    ("coco/good/minimal/annotations.json", "jsonl"),
    ("coco/good/minimal/annotations.json", "cvat"),
    ("coco/good/minimal/annotations.json", "yolo"),
    ("cvat/good/images-all-shapes/annotations.xml", "coco"),
    ("doccano/good/relations/data.jsonl", "label-studio"),
    ("jsonl/good/mixed/dataset.jsonl", "jsonl"),
    ("yolo/good/ultralytics-detect/dataset", "coco"),  # a folder format: a .zip shard
    ("voc/good/dataset/VOC2007", "voc"),
]


@pytest.mark.parametrize(("source", "to"), CASES, ids=[f"{s.split('/')[0]}-{t}" for s, t in CASES])
def test_a_fixture_as_one_shard_gives_what_the_local_path_gives(
        cluster: Client, tmp_path: Path, source: str, to: str) -> None:
    src = FIXTURES / source
    if src.is_dir():  # a folder dataset travels as a zip shard
        src = _zip_folder(src, tmp_path / f"{src.name}.zip")
    target = get_format(to)
    name = src.name.split(".", 1)[0] + (target.extensions[0] if target.one_file else "")
    local = af.convert(src, tmp_path / "local" / name, to=to, allow_loss=True, media="none")
    assert local.written, local.report.codes()
    sharded = afd.convert(str(src), str(tmp_path / "dask"), to=to, allow_loss=True,
                          scheduler=cluster)
    assert sharded.written, sharded.report.codes()
    written = sorted((tmp_path / "dask").iterdir())
    assert len(written) == 1  # and no hidden upload left behind
    assert _files(written[0]) == _files(tmp_path / "local" / name)
    assert sharded.summary == local.summary
    assert sharded.source_format == local.source_format
    out_url = fsspec.core.url_to_fs(str(tmp_path))[0].unstrip_protocol(str(written[0]))
    # a folder format's shard is a zip: its findings name ``OUT!/member``
    assert _findings(sharded.report, ("file://", ""), (out_url.removeprefix("file://"),
                                                       "OUT"), ("OUT!", "OUT")) == _findings(
        local.report, (str(tmp_path / "local" / name), "OUT"))


def test_validate_equals_the_local_validate_and_read_gives_the_items(cluster: Client) -> None:
    bad = FIXTURES / "coco" / "bad" / "AF203-duplicate-image-id" / "annotations.json"
    sharded = afd.validate([str(bad), str(COCO)], scheduler=cluster)
    local = [*af.validate(bad, config=False), *af.validate(COCO, config=False)]
    assert sorted((d.code, d.location.path.removeprefix("file://"), d.message)
                  for d in sharded) == sorted((d.code, d.location.path, d.message)
                                              for d in local)
    bag = afd.read(str(COCO))
    items = bag.compute(scheduler=cluster)
    assert [i.id for i in items] == [i.id for i in af.load(COCO).items]
    # a shard with errors: the worker's AnnoformatError reaches the caller whole
    with pytest.raises(af.AnnoformatError) as raised:
        afd.read([str(COCO), str(bad)]).compute(scheduler=cluster)
    assert raised.value.report.codes() == ["AF203"]
    assert raised.value.report.diagnostics[0].location.path == f"file://{bad}"


def _coco_shard(path: Path, first_image: int, categories: list[tuple[int, str]]) -> Path:
    doc = json.loads(COCO.read_text())
    for image in doc["images"]:
        image["id"] += first_image
        image["file_name"] = f"{first_image}-{image['file_name']}"
    for ann in doc["annotations"]:
        ann["image_id"] += first_image
        ann["id"] += first_image * 10
    doc["categories"] = [{"id": i, "name": n} for i, n in categories]
    for ann in doc["annotations"]:
        ann["category_id"] = {1: categories[0][0], 4: categories[1][0]}[ann["category_id"]]
    path.write_text(json.dumps(doc))
    return path


def test_one_plan_for_every_shard_and_one_refusal_writes_nothing(tmp_path: Path) -> None:
    a = _coco_shard(tmp_path / "part-1.json", 100, [(1, "cat"), (4, "dog")])
    b = _coco_shard(tmp_path / "part-2.json", 200, [(1, "cat"), (4, "dog")])
    out = tmp_path / "out"
    refused = afd.convert(str(tmp_path / "part-*.json"), str(out), to="voc", scheduler="sync")
    assert not refused.written and not out.exists()
    # the shards written ahead of the decision are gone with their staging folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part-1.json", "part-2.json"]
    # the polygon and the mask of each shard: one fact each, counted over both shards
    dropped = {(d.code, d.ctx["count"]) for d in refused.report if d.code == "AF502"}
    single = {(d.code, d.ctx["count"]) for d in af.convert(
        a, tmp_path / "one", to="voc", media="none").report if d.code == "AF502"}
    assert dropped == {(code, 2 * n) for code, n in single}
    assert refused.summary["items"] == 6 and refused.summary["annotations"] == 8
    done = afd.convert([str(a), str(b)], str(out), to="voc", allow_loss=True,
                       scheduler="sync")
    assert done.written
    assert sorted(p.name for p in out.iterdir()) == ["part-1.zip", "part-2.zip"]


def test_labels_are_one_list_across_shards(tmp_path: Path) -> None:
    _coco_shard(tmp_path / "part-1.json", 100, [(1, "cat"), (4, "dog")])
    _coco_shard(tmp_path / "part-2.json", 200, [(5, "bird"), (4, "dog")])
    out = tmp_path / "out"
    done = afd.convert(str(tmp_path / "*.json"), str(out), to="yolo", allow_loss=True,
                       scheduler="sync")
    assert done.written, done.report.codes()
    names = []
    for part in ("part-1.zip", "part-2.zip"):
        with zipfile.ZipFile(out / part) as zf:
            names.append(re.findall(r"^  (\d+): (\w+)$", zf.read("data.yaml").decode(), re.M))
    assert names[0] == names[1] == [("0", "cat"), ("1", "dog"), ("2", "bird")]


def test_what_only_the_whole_set_shows(tmp_path: Path) -> None:
    a = _coco_shard(tmp_path / "part-1.json", 100, [(1, "cat"), (4, "dog")])
    (tmp_path / "part-2.json").write_bytes(a.read_bytes())  # the same images again
    _coco_shard(tmp_path / "part-3.json", 300, [(2, "cat"), (4, "dog")])  # cat: another id
    report = afd.validate(str(tmp_path / "part-*.json"), scheduler="sync")
    got = [(d.code, d.location.path.rsplit("/", 1)[1], d.message) for d in report]
    assert [g for g in got if g[0] == "AF207"] == [
        ("AF207", "part-2.json", f"item id {i!r} occurs more than once in subset None")
        for i in ("101", "102", "103")]
    assert [g[:2] for g in got if g[0] == "AF931"] == [("AF931", "part-3.json")]
    assert "declared differently" in next(g for g in got if g[0] == "AF931")[2]


def test_memory_file_system_in_and_out(tmp_path: Path) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe("/in/part-1.json", _coco_shard(tmp_path / "a.json", 100,
                                           [(1, "cat"), (4, "dog")]).read_bytes())
    fs.pipe("/in/part-2.json", _coco_shard(tmp_path / "b.json", 200,
                                           [(1, "cat"), (4, "dog")]).read_bytes())
    try:
        # memory:// lives in one process: worker threads of this one
        with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                          dashboard_address=":0") as lc, Client(lc) as client:
            done = afd.convert("memory://in/part-*.json", "memory://out", to="jsonl",
                               scheduler=client)
        assert done.written, done.report.codes()
        assert sorted(fs.ls("/out", detail=False)) == ["/out/part-1.jsonl", "/out/part-2.jsonl"]
        back = tmp_path / "back.jsonl"
        back.write_bytes(fs.cat("/out/part-2.jsonl"))
        assert [i.id for i in af.load(back).items] == ["201", "202", "203"]
    finally:
        fs.rm("/in", recursive=True)
        if fs.exists("/out"):
            fs.rm("/out", recursive=True)


class _KillOnce(WorkerPlugin):
    """Kills its worker process (SIGKILL, no clean-up) when it starts a shard's first pass
    (which writes the shard ahead) while the marker file exists; the marker is removed first,
    so only one worker dies."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        name = key[0] if isinstance(key, tuple) else str(key)
        if finish == "executing" and "_read_shard" in name:
            try:
                os.remove(self.marker)
            except FileNotFoundError:
                return
            os.kill(os.getpid(), 9)


def test_a_killed_worker_s_shard_is_written_again_and_whole(tmp_path: Path) -> None:
    for n in range(4):
        _coco_shard(tmp_path / f"part-{n}.json", 100 * (n + 1), [(1, "cat"), (4, "dog")])
    marker = tmp_path / "kill-once"
    marker.touch()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as lc, Client(lc) as client:
        client.register_plugin(_KillOnce(str(marker)))
        done = afd.convert(str(tmp_path / "part-*.json"), str(tmp_path / "out"), to="coco",
                           allow_loss=True, scheduler=client)
    assert not marker.exists()  # a worker did die
    assert done.written, done.report.codes()
    out = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert out == [f"part-{n}.json" for n in range(4)]  # nothing hidden or partial left
    for n in range(4):
        expected = tmp_path / f"expected-{n}.json"
        af.convert(tmp_path / f"part-{n}.json", expected, to="coco", allow_loss=True)
        assert (tmp_path / "out" / f"part-{n}.json").read_bytes() == expected.read_bytes()


class _KillAlways(WorkerPlugin):
    """Kills its worker whenever it starts a shard's first pass."""

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        name = key[0] if isinstance(key, tuple) else str(key)
        if finish == "executing" and "_read_shard" in name:
            os.kill(os.getpid(), 9)


def test_a_shard_the_cluster_gives_up_on_is_af932(tmp_path: Path) -> None:
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True,
            dashboard_address=":0") as lc, Client(lc) as client:
        client.register_plugin(_KillAlways())
        done = afd.convert(str(COCO), str(tmp_path / "out"), to="jsonl", scheduler=client)
    assert not done.written and not (tmp_path / "out").exists()
    (lost,) = done.report
    assert lost.code == "AF932" and lost.location.path == str(COCO)
    assert "KilledWorker" in lost.message


def test_the_cli_runs_shards_on_a_local_cluster(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from annoformat.cli import main

    for n in (1, 2):
        _coco_shard(tmp_path / f"part-{n}.json", 100 * n, [(1, "cat"), (4, "dog")])
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["convert", str(tmp_path / "part-*.json"), str(out),
                                     "--to", "cvat", "--allow-loss", "--scheduler", "local:2"])
    assert done.exit_code == 0, done.stderr
    assert "coco -> cvat: 6 item(s) (2 without annotations), 8 annotation(s)" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["part-1.xml", "part-2.xml"]
    checked = CliRunner().invoke(main, ["validate", f"{out}/*.xml", "--scheduler", "local:1"])
    assert checked.exit_code == 0, checked.stderr
    bad = CliRunner().invoke(main, ["convert", str(tmp_path / "part-*.json"), str(out),
                                    "--to", "cvat", "--scheduler", "local:x", "--overwrite"])
    assert bad.exit_code == 2 and "local:N" in bad.stderr


def test_overwrite_replaces_the_destination_as_a_whole(tmp_path: Path) -> None:
    for n in range(3):
        _coco_shard(tmp_path / f"part-{n}.json", 100 * (n + 1), [(1, "cat"), (4, "dog")])
    out = tmp_path / "out"
    first = afd.convert(str(tmp_path / "part-*.json"), str(out), to="jsonl", scheduler="sync")
    assert first.written
    (out / ".part-9.jsonl.0123.part").write_text("an upload a killed worker left")
    (tmp_path / "part-2.json").unlink()
    again = afd.convert(str(tmp_path / "part-*.json"), str(out), to="jsonl", scheduler="sync")
    assert not again.written and again.report.codes() == ["AF013"]
    again = afd.convert(str(tmp_path / "part-*.json"), str(out), to="jsonl", overwrite=True,
                        scheduler="sync")
    assert again.written
    assert sorted(p.name for p in out.iterdir()) == ["part-0.jsonl", "part-1.jsonl"]


def _jsonl_shards(tmp_path: Path, count: int) -> list[Path]:
    """``count`` JSONL shards of the minimal COCO fixture, item ids and file names made apart
    (``s<n>-<id>``): ids that are not integers, so every shard's COCO output numbers them."""
    paths = []
    for n in range(1, count + 1):
        one = tmp_path / f"one-{n}.jsonl"
        af.convert(COCO, one, to="jsonl")
        lines = []
        for line in one.read_text().splitlines():
            record = json.loads(line)
            if "media" in record:
                record["id"] = f"s{n}-{record['id']}"
                record["media"]["path"] = f"s{n}-{record['media']['path']}"
            lines.append(json.dumps(record))
        one.unlink()
        paths.append(tmp_path / f"part-{n}.jsonl")
        paths[-1].write_text("\n".join(lines) + "\n")
    return paths


def test_coco_shards_number_ids_through_the_shards_and_merge_into_the_local_output(
        cluster: Client, tmp_path: Path) -> None:
    parts = _jsonl_shards(tmp_path, 3)
    # the same items as one dataset: the header once, then every shard's items in order
    whole = tmp_path / "whole.jsonl"
    lines = [line for p in parts for line in p.read_text().splitlines()]
    whole.write_text("\n".join([lines[0], *(line for line in lines if '"media"' in line)])
                     + "\n")
    local = af.convert(whole, tmp_path / "local.json", to="coco", allow_loss=True)
    assert local.written
    shards = afd.convert(str(tmp_path / "part-*.jsonl"), str(tmp_path / "out"), to="coco",
                         allow_loss=True, scheduler=cluster)
    assert shards.written, shards.report.codes()
    ids = []
    for n in (1, 2, 3):
        doc = json.loads((tmp_path / "out" / f"part-{n}.json").read_text())
        ids.append(([i["id"] for i in doc["images"]],
                    [(a["id"], a["image_id"]) for a in doc["annotations"]]))
    assert ids == [([1, 2, 3], [(1, 1), (2, 1), (3, 2), (4, 2)]),
                   ([4, 5, 6], [(5, 4), (6, 4), (7, 5), (8, 5)]),
                   ([7, 8, 9], [(9, 7), (10, 7), (11, 8), (12, 8)])]
    # one fact per kind for the whole set, as the local conversion of the whole states it
    assert sorted((d.code, d.ctx["what"], d.ctx["count"]) for d in shards.report) == sorted(
        (d.code, d.ctx["what"], d.ctx["count"]) for d in local.report) == [
        ("AF508", "annotation", 12), ("AF508", "image", 9)]
    merged = afd.convert(str(tmp_path / "part-*.jsonl"), str(tmp_path / "all.json"),
                         to="coco", allow_loss=True, scheduler=cluster, merge=True)
    assert merged.written, merged.report.codes()
    assert (tmp_path / "all.json").read_bytes() == (tmp_path / "local.json").read_bytes()
    assert merged.summary == local.summary
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    from pycocotools.coco import COCO as PyCOCO  # the consumer loads it as one dataset

    loaded = PyCOCO(str(tmp_path / "all.json"))
    assert len(loaded.imgs) == 9 and len(loaded.anns) == 12
    assert loaded.getAnnIds(imgIds=[7]) == [9, 10]


def test_kept_ids_stay_unless_two_shards_share_one(tmp_path: Path) -> None:
    a = _coco_shard(tmp_path / "part-1.json", 100, [(1, "cat"), (4, "dog")])
    b = _coco_shard(tmp_path / "part-2.json", 200, [(1, "cat"), (4, "dog")])
    out = tmp_path / "out"
    done = afd.convert(str(tmp_path / "part-*.json"), str(out), to="coco", scheduler="sync")
    assert done.written and done.report.codes() == []
    for shard in (a, b):  # unique across the shards: every id as the source had it
        alone = tmp_path / f"alone-{shard.name}"
        assert af.convert(shard, alone, to="coco").written
        assert (out / shard.name).read_bytes() == alone.read_bytes()
    # the second shard's annotations take the first's ids: annotations numbered, images kept
    doc = json.loads(b.read_text())
    for ann in doc["annotations"]:
        ann["id"] -= 1000
    b.write_text(json.dumps(doc))
    done = afd.convert(str(tmp_path / "part-*.json"), str(out), to="coco", scheduler="sync",
                       overwrite=True, allow_loss=True)
    assert done.written
    assert [(d.code, d.ctx["what"], d.ctx["count"]) for d in done.report] == [
        ("AF508", "annotation", 8)]
    got = [[(i["id"], [a["id"] for a in d["annotations"] if a["image_id"] == i["id"]])
            for i in d["images"]]
           for d in (json.loads((out / p.name).read_text()) for p in (a, b))]
    assert got == [[(101, [1, 2]), (102, [3, 4]), (103, [])],
                   [(201, [5, 6]), (202, [7, 8]), (203, [])]]
    # asked for: numbered on from the first id given, whatever the shards hold
    given = afd.convert(str(tmp_path / "part-*.json"), str(tmp_path / "given"), to="coco",
                        scheduler="sync", allow_loss=True,
                        options={"first_image_id": "10", "first_annotation_id": "500"})
    assert given.written
    images = [[i["id"] for i in json.loads((tmp_path / "given" / p.name).read_text())["images"]]
              for p in (a, b)]
    assert images == [[10, 11, 12], [13, 14, 15]]


def test_merge_refuses_what_would_make_a_wrong_document(tmp_path: Path) -> None:
    a = _coco_shard(tmp_path / "a.json", 100, [(1, "cat"), (4, "dog")])
    b = _coco_shard(tmp_path / "b.json", 200, [(1, "cat"), (4, "dog")])
    c = _coco_shard(tmp_path / "c.json", 100, [(1, "cat"), (4, "dog")])  # a's ids again
    d = _coco_shard(tmp_path / "d.json", 300, [(1, "cat"), (7, "dog")])  # dog: another id
    e = tmp_path / "e.json"
    e.write_text('{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 2}], '
                 '"categories": []}')
    f = tmp_path / "f.json"
    f.write_text('[{"image_id": 1}]')
    out = tmp_path / "all.json"
    cases = {(a, c): (c, "image id 101 is in a.json too"),
             (a, d): (d, "its 'categories' differs from a.json's"),
             (e,): (e, "annotations[0] refers to image id 2, which it does not hold"),
             (a, f): (f, "not a COCO document (images, annotations and categories lists)")}
    for files, (where, reason) in cases.items():
        report = afd.merge([str(p) for p in files], str(out))
        assert [(x.code, x.location.path, x.ctx["reason"].replace(str(tmp_path) + "/", ""))
                for x in report] == [("AF933", str(where), reason)]
        assert not out.exists()
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert afd.merge([str(a), str(b)], str(out)).codes() == []
    doc = json.loads(out.read_text())
    assert [i["id"] for i in doc["images"]] == [101, 102, 103, 201, 202, 203]
    assert afd.merge([str(a), str(b)], str(out)).codes() == ["AF013"]


def test_the_cli_merges_shards_into_one_coco_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from annoformat.cli import main

    _jsonl_shards(tmp_path, 2)
    dest = tmp_path / "all.json"
    done = CliRunner().invoke(main, ["convert", str(tmp_path / "part-*.jsonl"), str(dest),
                                     "--to", "coco", "--allow-loss", "--scheduler", "local:2",
                                     "--merge"])
    assert done.exit_code == 0, done.stderr
    assert [i.id for i in af.load(dest).items] == ["1", "2", "3", "4", "5", "6"]
    alone = CliRunner().invoke(main, ["convert", str(tmp_path / "part-1.jsonl"),
                                      str(tmp_path / "x.json"), "--to", "coco", "--merge"])
    assert alone.exit_code == 2 and "--merge: only with --scheduler" in alone.stderr
    yolo = CliRunner().invoke(main, ["convert", str(tmp_path / "part-*.jsonl"),
                                     str(tmp_path / "y"), "--to", "yolo", "--merge",
                                     "--scheduler", "sync"])
    assert yolo.exit_code == 2 and "merged into one COCO file" in yolo.stderr
    assert not (tmp_path / "y").exists()


def test_yolo_task_auto_is_decided_for_the_whole_set(tmp_path: Path) -> None:
    """A shard of boxes alone would be written for detect, one with polygons for segment:
    the set holds polygons, so every shard is written for segment (the boxes as 4-point
    polygons), as the local conversion of that shard with task=segment writes it."""
    boxes = _coco_shard(tmp_path / "part-1.json", 100, [(1, "cat"), (4, "dog")])
    doc = json.loads(boxes.read_text())
    doc["annotations"] = [a for a in doc["annotations"] if not a.get("segmentation")
                          or a["segmentation"] == []]
    boxes.write_text(json.dumps(doc))
    _coco_shard(tmp_path / "part-2.json", 200, [(1, "cat"), (4, "dog")])
    assert af.load(boxes).items and {a.type for i in af.load(boxes).items
                                     for a in i.annotations} == {"bbox"}
    out = tmp_path / "out"
    done = afd.convert(str(tmp_path / "part-*.json"), str(out), to="yolo", allow_loss=True,
                       scheduler="sync")
    assert done.written, done.report.codes()
    alone = tmp_path / "alone"
    assert af.convert(boxes, alone, to="yolo", allow_loss=True, media="none",
                      options={"task": "segment"}).written
    assert _files(out / "part-1.zip") == _files(alone)
    detect = tmp_path / "detect"
    assert af.convert(boxes, detect, to="yolo", allow_loss=True, media="none").written
    assert _files(out / "part-1.zip") != _files(detect)  # what the shard alone would give
    # given explicitly, the task is every shard's already: nothing to decide
    given = afd.convert(str(tmp_path / "part-*.json"), str(tmp_path / "given"), to="yolo",
                        allow_loss=True, scheduler="sync", options={"task": "detect"})
    assert given.written
    assert _files(tmp_path / "given" / "part-1.zip") == _files(detect)
