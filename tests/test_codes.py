"""The catalogue is complete, consistent, documented, and every code is triggered by a fixture."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

from annoformat.codes import OWNERS, Severity, catalogue

from conftest import FIXTURES, ROOT

_FAMILIES = {"0", "1", "2", "3", "4", "5", "6", "7", "9"}
#: every code of the core and the built-in formats (plugins' codes are theirs to test)
CODES = {c.code: c for owner, entries in catalogue().items() if not owner.startswith("plugin ")
         for c in entries}


def _fixture_codes() -> dict[str, list[str]]:
    """code -> fixtures whose expected output contains it."""
    found: dict[str, list[str]] = {}
    for path in FIXTURES.glob("*/*/*/expected.diagnostics.json"):
        for diag in json.loads(path.read_text()):
            found.setdefault(diag["code"], []).append(str(path.parent.relative_to(FIXTURES)))
    for path in (FIXTURES / "cli").glob("*.json"):
        for code in json.loads(path.read_text())["codes"]:
            found.setdefault(code, []).append(str(path.relative_to(FIXTURES)))
    return found


def test_codes_are_well_formed() -> None:
    names = [c.name for c in CODES.values()]
    assert len(names) == len(set(names))
    for code, entry in CODES.items():
        assert re.fullmatch(r"AF\d{3}", code) and entry.code == code
        assert code[2] in _FAMILIES, code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.name), entry.name
        assert isinstance(entry.severity, Severity)
        assert entry.explanation and entry.example and entry.fix, code
        # the template only uses named fields (rendered from the diagnostic's context)
        fields = [f for _, f, _, _ in string.Formatter().parse(entry.template) if f is not None]
        assert all(f and not f.isdigit() for f in fields), code


def test_every_code_raised_in_src_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        if path.name != "plugin.py":  # its docstring shows a plugin declaring a code
            used |= set(re.findall(r'"(AF\d{3})"', path.read_text()))
    assert used - set(CODES) == set()
    assert set(OWNERS) >= set(CODES)


#: codes only a Python caller can trigger (no file or command line reaches them), each with the
#: test that does
API_ONLY = {"AF103": ("test_api.py", "test_a_wrong_type_assigned_in_code_is_caught_at_save"),
            # a worker killed on every attempt: a real cluster, no file can ask for it
            "AF932": ("test_dask.py", "test_a_shard_the_cluster_gives_up_on_is_af932")}


def test_every_code_is_triggered_by_a_fixture() -> None:
    triggered = _fixture_codes()
    for code, (module, test) in API_ONLY.items():
        assert f"def {test}(" in (ROOT / "tests" / module).read_text(), code
        assert f'"{code}"' in (ROOT / "tests" / module).read_text(), code
        triggered[code] = [f"tests/{module}::{test}"]
    missing = sorted(set(CODES) - set(triggered))
    assert missing == [], f"codes without a fixture that triggers them: {missing}"


def test_bad_fixture_folders_are_named_after_real_codes() -> None:
    for folder in FIXTURES.glob("*/bad/*"):
        code = folder.name.split("-", 1)[0]
        assert code in CODES, folder
    for path in (FIXTURES / "cli").glob("AF*.json"):
        assert path.name.split("-", 1)[0] in CODES, path


def test_catalogue_codes_are_not_in_unknown_files() -> None:
    # fixture expectations only mention catalogue codes (no typos like AF2O3)
    for codes in _fixture_codes():
        assert codes in CODES
    assert Path(FIXTURES / "cli" / "README.md").exists()


def test_docs_codes_md_is_in_sync() -> None:
    from annoformat.codes import markdown

    assert (ROOT / "docs" / "codes.md").read_text() == markdown(), (
        "regenerate: annoformat codes --markdown > docs/codes.md")
