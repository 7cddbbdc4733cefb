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
