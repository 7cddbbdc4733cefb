"""The public surface: a small explicit __all__, docstrings, and their examples run."""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import annoformat as af

from conftest import FIXTURES, ROOT

EXPECTED = {
    "Annotation", "AnnoformatError", "BBox", "ConversionResult", "Dataset", "Diagnostic",
    "Ellipse", "Image", "Item", "Keypoints", "Label", "Location", "Mask", "Points", "Polygon",
    "Polyline", "Relation", "Report", "RotatedBBox", "Severity", "Span", "Tag", "Text",
    "UsageError", "VideoFrame", "__version__", "convert", "detect", "list_formats", "load",
    "save", "summarize", "validate",
    # dataset operations for pipelines (annoformat.ops) and label maps in code
    "LabelMap", "drop_labels", "filter_annotations", "filter_items", "merge_labels",
    "rename_labels", "split", "subsets",
    # quality (issue 15): a reference against a candidate
    "Comparison", "compare",
    # agreement among annotators and consensus merge (annoformat.quality.agree / merge)
    "Agreement", "agreement", "merge",
    # label quality (annoformat.quality)
    "Stats", "stats",
    # datasets one item at a time (issue 17)
    "iter_items",
}


def test_all_is_the_documented_surface() -> None:
    assert set(af.__all__) == EXPECTED
    public = {n for n in dir(af) if not n.startswith("_") and not isinstance(
        getattr(af, n), type(af))}
    assert public <= EXPECTED | {"annotations"}


@pytest.mark.parametrize("name", sorted(EXPECTED - {"__version__", "Annotation"}))
def test_public_names_have_docstrings(name: str) -> None:
    assert (getattr(af, name).__doc__ or "").strip(), name


def _modules() -> Iterator[str]:
    yield "annoformat"
    for mod in pkgutil.walk_packages(af.__path__, "annoformat."):
        yield mod.name


@pytest.mark.parametrize("module", sorted(_modules()))
def test_docstring_examples_run(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # examples use repo-relative fixture paths
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # a module another format's work left broken shows up elsewhere
        pytest.skip(f"{module} does not import: {exc}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_version_matches_metadata() -> None:
    from importlib.metadata import version

    assert af.__version__ == version("annoformat")
    assert Path(ROOT / "src" / "annoformat" / "py.typed").exists()
    assert os.environ.get("PYTHONPATH", "") is not None


def test_hostile_inputs_and_destinations_raise_only_annoformat_errors(tmp_path: Path) -> None:
    binary = tmp_path / "labels.json"
    binary.write_bytes(b'{"images": \x00}')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    ds = af.load(FIXTURES / "coco" / "good" / "minimal" / "annotations.json")
    cases = [(lambda: af.load("/dev/zero", format="coco"), "AF065"),
             (lambda: af.load(binary, format="coco"), "AF066"),
             (lambda: af.save(ds, repo, format="yolo", overwrite=True), "AF063")]
    for call, code in cases:
        with pytest.raises(af.AnnoformatError) as info:
            call()
        assert info.value.report.codes() == [code]
    result = af.convert(FIXTURES / "coco" / "good" / "minimal" / "annotations.json", repo,
                        to="yolo", overwrite=True)
    assert not result.written and result.report.codes() == ["AF063"]


def test_a_wrong_type_assigned_in_code_is_caught_at_save(tmp_path: Path) -> None:
    ds = af.load(FIXTURES / "coco" / "good" / "minimal" / "annotations.json")
    ds.items[0].annotations[0].x = "5"  # type: ignore[union-attr]
    ds.items[2].media.width = 1.5  # type: ignore[assignment]
    expected = [("AF103", "/items/0/annotations/0/x: Input should be a valid number (got '5')"),
                ("AF103", "/items/2/media/width: Input should be a valid integer (got 1.5)")]
    report = af.validate(ds)
    assert [(d.code, d.message) for d in report] == expected
    assert report.diagnostics[0].location.pointer == "/items/0/annotations/0/x"
    with pytest.raises(af.AnnoformatError) as info:
        af.save(ds, tmp_path / "out.json", format="coco")
    assert [(d.code, d.message) for d in info.value.report] == expected
    assert list(tmp_path.iterdir()) == []


def test_refusals_carry_advice_in_the_api_keywords(tmp_path: Path) -> None:
    """The API's refusals say what would proceed, as the CLI does, in the API's own terms."""
    ds = af.load(FIXTURES / "coco" / "good" / "minimal" / "annotations.json")
    with pytest.raises(af.AnnoformatError) as exc:
        af.save(ds, tmp_path / "y", format="yolo")
    assert exc.value.advice == [
        "Pass allow_loss=True to write it anyway (every loss stays reported), or choose a "
        "target that holds what is listed."]
    assert str(exc.value).endswith("(to proceed: " + exc.value.advice[0] + ")")
    taken = tmp_path / "taken.json"
    taken.write_text("{}")
    with pytest.raises(af.AnnoformatError) as exc:
        af.save(ds, taken, format="coco")
    assert exc.value.advice == ["Choose a new destination or pass overwrite=True."]
    result = af.convert(FIXTURES / "coco" / "good" / "minimal" / "annotations.json",
                        tmp_path / "y", to="yolo", media="none")
    assert not result.written and result.advice == [
        "Pass allow_loss=True to write it anyway (every loss stays reported), or choose a "
        "target that holds what is listed."]
    mixed = af.convert(FIXTURES / "cvat" / "good" / "images-all-shapes" / "annotations.xml",
                       tmp_path / "y", to="yolo", media="none")
    assert [a for a in mixed.advice if "--" in a] == []
    assert any("options={'task': 'segment'}" in a for a in mixed.advice), mixed.advice
