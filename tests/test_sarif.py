"""SARIF output validates against the published SARIF 2.1.0 schema.

The schema comes from the npm package @microsoft/jest-sarif (which ships it), fetched with
`npm pack`; the test is skipped where npm is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from annoformat.cli import main

from conftest import FIXTURES


@pytest.fixture(scope="module")
def sarif_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if shutil.which("npm") is None:
        pytest.skip("npm is needed to fetch the published SARIF schema")
    folder = tmp_path_factory.mktemp("sarif")
    subprocess.run(["npm", "pack", "@microsoft/jest-sarif@1.0.0-beta.0", "--silent"],
                   cwd=folder, check=True, capture_output=True, timeout=300)
    (tgz,) = folder.glob("*.tgz")
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/lib/schemas/sarif-2.1.0-rtm.5.json")
        assert member is not None
        schema: dict[str, object] = json.loads(member.read())
    return schema


def test_sarif_output_matches_the_schema(sarif_schema: dict[str, object]) -> None:
    bad = [FIXTURES / "coco" / "bad" / name / "annotations.json"
           for name in ("AF203-duplicate-image-id", "AF301-bbox-outside-image")]
    result = CliRunner().invoke(main, ["validate", "--output", "sarif", *map(str, bad)])
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    validator = jsonschema.Draft7Validator(sarif_schema)
    errors = [e.message for e in validator.iter_errors(log)]
    assert errors == []
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["AF203", "AF301"]
    first = run["results"][0]
    assert first["ruleId"] == "AF203" and first["level"] == "error"
    region = first["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 16, "startColumn": 10}
    assert run["results"][1]["level"] == "warning"
    assert Path(first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).name == (
        "annotations.json")
