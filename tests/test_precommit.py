"""The pre-commit hook, run for real with `pre-commit try-repo` against this checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PYTHONPATH": ""}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "annoformat-validate",
         "--all-files", "--verbose"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900)


def test_hook_passes_good_files_and_fails_bad_ones(tmp_path: Path) -> None:
    repo = tmp_path / "labels"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.invalid")
    _git(repo, "config", "user.name", "t")
    shutil.copy(FIXTURES / "coco" / "good" / "minimal" / "annotations.json", repo / "good.json")
    (repo / "package.json").write_text(json.dumps({"name": "not-labels"}))  # skipped, not failed
    # a YOLO dataset: each changed label .txt is checked against its data.yaml and image
    shutil.copytree(FIXTURES / "yolo" / "good" / "ultralytics-detect" / "dataset", repo / "yolo")
    # labels kept in git, images elsewhere (DVC): checked without sizes, never refused
    shutil.copytree(FIXTURES / "yolo" / "good" / "ultralytics-labels-only" / "dataset",
                    repo / "dvc")
    _git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    ok = _try_repo(repo, home)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "annoformat validate" in ok.stdout and "Passed" in ok.stdout

    bad = FIXTURES / "coco" / "bad" / "AF203-duplicate-image-id" / "annotations.json"
    shutil.copy(bad, repo / "bad.json")
    rows = "0 0.5 0.5 0.1 0.1\n7 0.5 0.5 0.1 0.1\n"  # class 7 of 2 on line 2
    (repo / "yolo" / "labels" / "train" / "b.txt").write_text(rows)
    (repo / "dvc" / "labels" / "train" / "z.txt").write_text("0 1.5 0.5 0.1 0.1\n")
    _git(repo, "add", ".")
    failed = _try_repo(repo, home)
    assert failed.returncode == 1
    assert "Failed" in failed.stdout
    assert "bad.json:16:10: AF203 duplicate-image-id" in failed.stdout
    assert "b.txt:2:1: AF216 yolo-class-out-of-range" in failed.stdout
    assert "z.txt:1:3: AF330 yolo-value-out-of-range" in failed.stdout  # checked, no images
    assert "good.json" not in failed.stdout.split("Failed", 1)[1].replace("good.json:", "")
